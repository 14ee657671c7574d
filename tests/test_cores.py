"""How the planner's processes share the cores: numpy's BLAS on one thread in each."""

from __future__ import annotations

import os

import pytest
from threadpoolctl import threadpool_info, threadpool_limits

from planner.jobs import cores
from planner.jobs.cores import one_blas_thread


def _blas_threads() -> set[int]:
    return {pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"}


def test_a_planner_process_does_its_matrix_products_on_one_blas_thread(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENBLAS_NUM_THREADS", raising=False)
    threadpool_limits(2, user_api="blas")
    one_blas_thread()
    assert _blas_threads() == {1}
    assert os.environ["OPENBLAS_NUM_THREADS"] == "1"  # the processes it starts, too


def test_a_buyers_own_blas_thread_setting_is_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "2")
    with threadpool_limits(2, user_api="blas"):
        one_blas_thread()
        assert _blas_threads() == {2}


def test_a_core_is_spare_only_when_fewer_processes_run_than_there_are_cores(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cores, "usable_cores", lambda: 2)
    for running, spare in ((1, 1), (2, 0), (5, 0)):
        monkeypatch.setattr(cores, "_running_now", lambda running=running: running)
        assert cores.spare_cores() == spare


def test_this_process_counts_itself_among_those_running() -> None:
    assert cores._running_now() >= 1
