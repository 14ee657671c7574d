"""The history store under stress: locks, kills mid-run, and 20 concurrent re-plans."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from planner.cli import app
from planner.errors import StoreError
from planner.io.replan_job import run_replan
from planner.io.store import open_store
from planner.synthetic import generate_roster

START = date(2027, 4, 21)
CAMPAIGN = f"""
name = "stress"
chain = "tmall"
start = {START}
end = {START + timedelta(days=29)}
budget = 2000000
roi_floor = 1.0
"""


def _files(root: Path, n_videos: int) -> tuple[Path, Path, list[str]]:
    videos = generate_roster(n_videos, seed=3, plan_date=START)
    pd.DataFrame([v.model_dump() for v in videos]).to_csv(root / "videos.csv", index=False)
    (root / "campaign.toml").write_text(CAMPAIGN, encoding="utf-8")
    return root / "campaign.toml", root / "videos.csv", [v.video_id for v in videos]


def _actuals(path: Path, rows: list[tuple[date, str, str, float, float]]) -> Path:
    pd.DataFrame(
        [{"date": d, "video_id": v, "tool": t, "spend": s, "gmv": g, "plays": int(s * 40)}
         for d, v, t, s, g in rows]
    ).to_csv(path, index=False)
    return path


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "planner.cli", *args]


def test_a_locked_store_gives_a_clear_message_and_exit_5(tmp_path):
    campaign, videos, ids = _files(tmp_path, 10)
    actuals = _actuals(tmp_path / "a.csv", [(START, ids[0], "dou_plus", 500, 900)])
    store = tmp_path / "h.sqlite"
    with open_store(store):
        pass  # create the schema
    holder = sqlite3.connect(store, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(StoreError, match="locked by another run"):
            run_replan(campaign, videos, actuals, START + timedelta(days=1), store, None,
                       lock_timeout=0.2)
        result = CliRunner().invoke(app, [
            "replan", "--campaign", str(campaign), "--videos", str(videos), "--actuals",
            str(actuals), "--date", str(START + timedelta(days=1)), "--store", str(store),
            "--lock-timeout", "0.2"])
        assert result.exit_code == 5
        assert "StoreError" in result.output and "locked" in result.output
    finally:
        holder.rollback()
        holder.close()


def _state(store: Path) -> tuple[int, int]:
    db = sqlite3.connect(store)
    try:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        return (db.execute("SELECT COUNT(*) FROM actuals").fetchone()[0],
                db.execute("SELECT COUNT(*) FROM plans").fetchone()[0])
    finally:
        db.close()


def test_killing_a_replan_midway_leaves_store_and_outputs_intact(tmp_path):
    campaign, videos, ids = _files(tmp_path, 400)
    store, out = tmp_path / "h.sqlite", tmp_path / "out"
    day1 = _actuals(tmp_path / "d1.csv", [(START, ids[0], "dou_plus", 500, 900)])
    subprocess.run(_cli("replan", "--campaign", str(campaign), "--videos", str(videos),
                        "--actuals", str(day1), "--date", str(START + timedelta(days=1)),
                        "--store", str(store), "--out", str(out)), check=True,
                   capture_output=True)
    before_state = _state(store)
    before_files = {p.name: p.read_bytes() for p in out.iterdir()}
    rows = [(START + timedelta(days=1), vid, "dou_plus", 300.0 + i, 600.0 + i)
            for i, vid in enumerate(ids[:50])]
    day2 = _actuals(tmp_path / "d2.csv", rows)
    args = _cli("replan", "--campaign", str(campaign), "--videos", str(videos), "--actuals",
                str(day2), "--date", str(START + timedelta(days=2)), "--store", str(store),
                "--out", str(out))
    killed = 0
    for delay in (0.5, 1.5, 2.5, 3.5, 5.0):
        process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        if process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)
            killed += 1
        process.wait()
        state = _state(store)
        files = {p.name: p.read_bytes() for p in out.iterdir() if not p.name.startswith(".")}
        if state == before_state:
            # Killed before the commit: the store is as it was; outputs old or complete new.
            assert set(files) == set(before_files)
        else:
            # Ran to the end: every row in, one more plan.
            assert state == (before_state[0] + len(rows), before_state[1] + 1)
        for name, data in files.items():
            assert data == before_files[name] or _complete(out / name)
        if state != before_state:
            break
    assert killed >= 1, "the run was always faster than the first kill: use a larger roster"


def _complete(path: Path) -> bool:
    if path.suffix == ".json":
        import json

        json.loads(path.read_text("utf-8"))
        return True
    from openpyxl import load_workbook

    load_workbook(path, read_only=True).close()
    return True


def test_twenty_concurrent_replans_lose_or_duplicate_no_row(tmp_path):
    campaign, videos, ids = _files(tmp_path, 25)
    store = tmp_path / "h.sqlite"
    day = START + timedelta(days=1)
    processes = []
    for i in range(20):
        # Each run brings its own video's row plus one row every run shares.
        rows = [(START, ids[i], "dou_plus", 200.0 + i, 500.0 + i),
                (START, ids[24], "dou_plus", 1000.0, 2500.0)]
        actuals = _actuals(tmp_path / f"a{i}.csv", rows)
        processes.append(subprocess.Popen(
            _cli("replan", "--campaign", str(campaign), "--videos", str(videos), "--actuals",
                 str(actuals), "--date", str(day), "--store", str(store), "--lock-timeout",
                 "600"),
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE))
    codes = []
    for process in processes:
        _, err = process.communicate()
        codes.append((process.returncode, err.decode()))
    assert [c for c, _ in codes] == [0] * 20, codes
    with open_store(store) as s:
        stored = s.actuals("stress")
        assert len(stored) == 21
        assert not stored.duplicated(["date", "video_id", "tool"]).any()
        assert s.plan_count("stress") == 20
        assert s.audit_rows("stress") == 0
