"""How the planner's processes share the cores: numpy's BLAS on one thread in each."""

from __future__ import annotations

import os
from pathlib import Path

import numpy  # noqa: F401  (loads the BLAS library whose threads these tests count)
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


def test_a_watched_childs_parent_running_at_that_instant_leaves_its_core_spare(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The parent only waits for the answer: running, it is finishing what it prepares
    meanwhile, so the child may still plan beside itself."""
    monkeypatch.setattr(cores, "usable_cores", lambda: 2)
    monkeypatch.setattr(cores, "_running_now", lambda: 2)  # this process and its parent
    monkeypatch.setattr(cores, "_is_running", lambda pid: pid == os.getppid())
    assert cores.spare_cores() == 0
    assert cores.spare_cores(parent_waits=True) == 1
    monkeypatch.setattr(cores, "_is_running", lambda pid: False)  # someone else runs
    assert cores.spare_cores(parent_waits=True) == 0


def test_a_watched_child_looks_again_before_it_plans_in_turn(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A task that runs for a moment (the kernel's, the parent's last import) does not
    decide: the next look a few milliseconds later sees the core free."""
    monkeypatch.setattr(cores, "usable_cores", lambda: 2)
    monkeypatch.setattr(cores, "_is_running", lambda pid: False)
    monkeypatch.setattr(cores, "LOOK_APART_S", 0.0)
    queue = iter([3, 1])
    monkeypatch.setattr(cores, "_running_now", lambda: next(queue))
    assert cores.spare_cores(parent_waits=True) == 1
    monkeypatch.setattr(cores, "_running_now", lambda: 2)  # busy at every look
    assert cores.spare_cores(parent_waits=True) == 0


def test_this_process_is_running_as_it_asks() -> None:
    assert cores._is_running(os.getpid())


def test_this_process_counts_itself_among_those_running() -> None:
    assert cores._running_now() >= 1


def test_a_portfolio_worker_started_on_its_own_plans_with_one_blas_thread(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A ``dask worker`` started apart from ``planner batch`` inherits nothing from it."""
    from datetime import date

    from planner.jobs.batch import CampaignTask, run_campaign

    monkeypatch.delenv("OPENBLAS_NUM_THREADS", raising=False)
    missing = tmp_path / "missing.toml"
    result = run_campaign(CampaignTask(
        name="c1", campaign=missing, videos=tmp_path / "missing.csv",
        store=tmp_path / "h.sqlite", actuals=None, out=tmp_path / "out",
        day=date(2027, 4, 20)))
    assert result.exit_code == 2  # its files are missing: the campaign fails, told why
    assert os.environ["OPENBLAS_NUM_THREADS"] == "1"
    assert _blas_threads() == {1}
