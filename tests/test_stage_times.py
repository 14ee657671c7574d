"""The plan job splits its run into stages (start-up, reading, planning, the probe, the
other risk attitudes, each file written): the same stopwatch serves ``planner plan``,
``planner batch`` and ``benchmarks.run``. Nothing here is timed: only that each stage
is recorded, none is negative, and together they fit in the run's wall time.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from planner.jobs.plan import CHILD_STAGES, STAGE_TIMES_ENV, STAGES, process_age, run_plan
from planner.stopwatch import Stopwatch

SAMPLE = Path(__file__).resolve().parent.parent / "sample_data"


def _clock(*readings: float) -> Iterator[float]:
    return iter(readings)


def test_the_laps_add_up_to_the_time_since_the_watch_started():
    readings = _clock(10.0, 10.5, 12.0, 12.25)
    watch = Stopwatch(9.0, clock=lambda: next(readings))
    watch.lap("startup")
    watch.lap("read")
    watch.lap("startup")  # a stage lapped again adds up
    watch.lap("plan")
    assert watch.seconds == {"startup": 2.5, "read": 0.5, "plan": 0.25}
    assert watch.total() == 12.25 - 9.0


def test_a_clock_that_steps_back_gives_no_negative_stage():
    readings = _clock(5.0, 4.0, 6.0)
    watch = Stopwatch(clock=lambda: next(readings))
    watch.lap("read")
    watch.lap("plan")
    assert watch.seconds == {"read": 0.0, "plan": 1.0}


def test_a_split_moves_out_no_more_than_the_stage_held():
    readings = _clock(0.0, 3.0)
    watch = Stopwatch(clock=lambda: next(readings))
    watch.lap("plan")
    watch.split("plan", {"probe": 1.0, "attitudes": 5.0})
    assert watch.seconds == {"plan": 0.0, "probe": 1.0, "attitudes": 2.0}
    assert watch.total() == 3.0


def test_the_process_age_is_never_negative():
    age = process_age()
    if sys.platform.startswith("linux"):
        assert age is not None
    assert age is None or age >= 0.0


def _stages_are_recorded(stages: dict[str, float]) -> None:
    assert set(STAGES) <= set(stages), set(STAGES) - set(stages)
    assert all(seconds >= 0.0 for seconds in stages.values()), stages


@pytest.mark.slow
def test_planner_plan_writes_each_stage_where_the_environment_says(tmp_path):
    target = tmp_path / "stages.json"
    started = time.perf_counter()
    run = subprocess.run(
        [sys.executable, "-m", "planner.cli", "plan",
         "--campaign", str(SAMPLE / "campaign_tmall.toml"),
         "--videos", str(SAMPLE / "videos.csv"), "--out", str(tmp_path / "out")],
        env={**os.environ, STAGE_TIMES_ENV: str(target)}, capture_output=True, text=True,
        timeout=600, check=False)
    wall = time.perf_counter() - started
    assert run.returncode == 0, run.stderr
    stages = json.loads(target.read_text(encoding="utf-8"))
    _stages_are_recorded(stages)
    assert "report" in stages
    assert "record" not in stages  # no store
    assert sum(stages.values()) <= wall
    # The probe and the attitudes are the plan's own timings, measured in the child.
    timings = json.loads((tmp_path / "out" / "plan.json").read_text(encoding="utf-8"))[
        "timings"]
    for stage in CHILD_STAGES:
        assert stages[stage] == pytest.approx(timings[stage], abs=1e-4)


@pytest.mark.slow
def test_a_plan_recorded_in_a_store_times_the_store_too(tmp_path):
    started = time.perf_counter()
    outcome = run_plan(SAMPLE / "campaign_tmall.toml", SAMPLE / "videos.csv",
                       tmp_path / "out", store=tmp_path / "history.sqlite")
    wall = time.perf_counter() - started
    _stages_are_recorded(outcome.stages)
    assert outcome.stages["record"] >= 0.0
    assert sum(outcome.stages.values()) <= wall
    assert set(CHILD_STAGES) <= set(outcome.plan.timings)



def test_only_a_large_plan_on_a_free_core_builds_its_workbook_beside_its_other_files(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from types import SimpleNamespace

    from planner.jobs import cores, plan, watchdog

    large = SimpleNamespace(videos=[None] * plan.WORKBOOK_ASIDE_VIDEOS)
    small = SimpleNamespace(videos=[None] * (plan.WORKBOOK_ASIDE_VIDEOS - 1))
    monkeypatch.setattr(cores, "spare_cores", lambda **_: 1)
    monkeypatch.setattr(plan.threading, "active_count", lambda: 1)
    assert plan._workbook_aside(large, True) is watchdog.run_side_by_side  # type: ignore[arg-type]
    assert plan._workbook_aside(small, True) is None  # type: ignore[arg-type]
    assert plan._workbook_aside(large, False) is None  # type: ignore[arg-type]  # a worker
    monkeypatch.setattr(cores, "spare_cores", lambda **_: 0)
    assert plan._workbook_aside(large, True) is None  # type: ignore[arg-type]  # busy cores
    monkeypatch.setattr(cores, "spare_cores", lambda **_: 1)
    monkeypatch.setattr(plan.threading, "active_count", lambda: 2)
    assert plan._workbook_aside(large, True) is None  # type: ignore[arg-type]  # a fork copies one
