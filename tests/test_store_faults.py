"""The history store under stress, on SQLite and on PostgreSQL: locks, kills mid-run,
and concurrent re-plans (eight processes on the test machine's two cores: four queue behind
the lock on each core, as twenty would, at a third of the cost)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from datetime import timedelta
from pathlib import Path

import pytest
from store_runs import (
    NAME,
    START,
    actuals_file,
    campaign_files,
    replan_args,
    run_all,
    state,
)
from typer.testing import CliRunner

from planner.cli import app
from planner.errors import StoreError
from planner.io.store import open_store
from planner.jobs.replan import run_replan

# These tests check the English wording of messages (PLANNER_LANG=en);
# tests/test_error_language.py checks they come out in Chinese by default.
pytestmark = pytest.mark.usefixtures("english")


@pytest.mark.slow
def test_a_locked_store_gives_a_clear_message_and_exit_5(tmp_path, any_store):
    campaign, videos, ids = campaign_files(tmp_path, 10)
    actuals = actuals_file(tmp_path / "a.csv", [(START, ids[0], "dou_plus", 500, 900)])
    day = START + timedelta(days=1)
    # Another run of the same campaign is writing.
    with open_store(any_store) as holder, holder.transaction(NAME):
        with pytest.raises(StoreError, match="locked by another run"):
            run_replan(campaign, videos, actuals, day, any_store, None, lock_timeout=0.2)
        result = CliRunner().invoke(app, [
            "replan", "--campaign", str(campaign), "--videos", str(videos), "--actuals",
            str(actuals), "--date", str(day), "--store", any_store, "--lock-timeout", "0.2"])
        assert result.exit_code == 5
        assert "StoreError" in result.output and "locked" in result.output
    assert state(any_store) == (0, 0)


@pytest.mark.slow
def test_killing_a_replan_midway_leaves_store_and_outputs_intact(tmp_path, any_store):
    campaign, videos, ids = campaign_files(tmp_path, 400)
    store, out = any_store, tmp_path / "out"
    day1 = actuals_file(tmp_path / "d1.csv", [(START, ids[0], "dou_plus", 500, 900)])
    run_replan(campaign, videos, day1, START + timedelta(days=1), store, out)  # the day before
    before_state = state(store)
    before_files = {p.name: p.read_bytes() for p in out.iterdir()}
    rows = [(START + timedelta(days=1), vid, "dou_plus", 300.0 + i, 600.0 + i)
            for i, vid in enumerate(ids[:50])]
    day2 = actuals_file(tmp_path / "d2.csv", rows)
    args = replan_args(campaign, videos, day2, START + timedelta(days=2), store,
                       "--out", str(out))
    killed = 0
    for delay in (0.5, 1.5, 2.5, 3.5, 5.0):
        process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        if process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)
            killed += 1
        process.wait()
        now = state(store)
        files = {p.name: p.read_bytes() for p in out.iterdir() if not p.name.startswith(".")}
        if now == before_state:
            # Killed before the commit: the store is as it was; outputs old or complete new.
            assert set(files) == set(before_files)
        else:
            # Ran to the end: every row in, one more plan.
            assert now == (before_state[0] + len(rows), before_state[1] + 1)
        for name, data in files.items():
            assert data == before_files[name] or _complete(out / name)
        if now != before_state:
            break
    assert killed >= 1, "the run was always faster than the first kill: use a larger roster"


def _complete(path: Path) -> bool:
    if path.suffix == ".json":
        json.loads(path.read_text("utf-8"))
        return True
    from openpyxl import load_workbook

    load_workbook(path, read_only=True).close()
    return True


@pytest.mark.slow
def test_eight_concurrent_replans_lose_or_duplicate_no_row(tmp_path, any_store):
    runs = 8
    campaign, videos, ids = campaign_files(tmp_path, 25)
    day = START + timedelta(days=1)
    commands = []
    for i in range(runs):
        # Each run brings its own video's row plus one row every run shares.
        rows = [(START, ids[i], "dou_plus", 200.0 + i, 500.0 + i),
                (START, ids[24], "dou_plus", 1000.0, 2500.0)]
        actuals = actuals_file(tmp_path / f"a{i}.csv", rows)
        commands.append(replan_args(campaign, videos, actuals, day, any_store,
                                    "--lock-timeout", "600"))
    codes = [(run.code, run.stderr) for run in run_all(*commands)]
    assert [c for c, _ in codes] == [0] * runs, codes
    with open_store(any_store) as s:
        stored = s.actuals(NAME)
        assert len(stored) == runs + 1
        assert not stored.duplicated(["date", "video_id", "tool"]).any()
        assert s.plan_count(NAME) == runs
        assert s.audit_rows(NAME) == 0


def test_a_store_that_is_no_store_stops_planner_plan_before_the_solve(tmp_path, monkeypatch):
    """Exit 6 with nothing written, and no minutes of solving spent first."""
    from planner.jobs import watchdog

    campaign, videos, _ = campaign_files(tmp_path, 10)
    not_a_store = tmp_path / "history.sqlite"
    not_a_store.write_text("these are notes, not a history store\n" * 50, encoding="utf-8")
    solved: list[str] = []
    monkeypatch.setattr(watchdog, "run_with_deadline",
                        lambda *args, **kwargs: solved.append("solve"))
    out = tmp_path / "out"
    result = CliRunner().invoke(app, [
        "plan", "--campaign", str(campaign), "--videos", str(videos), "--out", str(out),
        "--store", str(not_a_store)])
    assert result.exit_code == 6, result.output
    assert "StoreDamagedError" in result.output and "Fix:" in result.output
    assert solved == []
    assert not out.exists() or not any(out.iterdir())
    assert not_a_store.read_text(encoding="utf-8").startswith("these are notes")
