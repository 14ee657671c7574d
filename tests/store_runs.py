"""A small synthetic campaign and the commands that run it against a history store.

Shared by the store's fault tests, which run on both back ends: ``store`` is a
SQLite file path or a PostgreSQL URL, as ``--store`` takes it.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path
from typing import NamedTuple

import pandas as pd

from planner.io.store import open_store
from planner.synthetic import generate_roster

START = date(2027, 4, 21)
NAME = "stress"
CAMPAIGN = f"""
name = "{NAME}"
chain = "tmall"
start = {START}
end = {START + timedelta(days=29)}
budget = 2000000
roi_floor = 1.0
"""


def campaign_files(root: Path, n_videos: int) -> tuple[Path, Path, list[str]]:
    """campaign.toml and videos.csv of ``n_videos`` seeded videos; their ids."""
    videos = generate_roster(n_videos, seed=3, plan_date=START)
    pd.DataFrame([v.model_dump() for v in videos]).to_csv(root / "videos.csv", index=False)
    (root / "campaign.toml").write_text(CAMPAIGN, encoding="utf-8")
    return root / "campaign.toml", root / "videos.csv", [v.video_id for v in videos]


def actuals_file(path: Path, rows: list[tuple[date, str, str, float, float]]) -> Path:
    """An actuals CSV of (date, video, tool, spend, gmv) rows."""
    pd.DataFrame(
        [{"date": d, "video_id": v, "tool": t, "spend": s, "gmv": g, "plays": int(s * 40)}
         for d, v, t, s, g in rows]
    ).to_csv(path, index=False)
    return path


def cli(*args: str) -> list[str]:
    """The planner command line as a separate process (killable, concurrent)."""
    return [sys.executable, "-m", "planner.cli", *args]


class Run(NamedTuple):
    code: int
    stdout: str
    stderr: str


def run_all(*commands: list[str]) -> list[Run]:
    """The planner commands (``cli(...)`` lists) at once, each a process of its own;
    the exit code, stdout and stderr of each, in order.

    The processes are forked from one that has imported the planner
    (tests/forked_cli.py): as separate as processes started one by one, without each
    spending a second importing.
    """
    prefix = cli()
    assert all(c[:len(prefix)] == prefix for c in commands), commands
    done = subprocess.run(
        [sys.executable, str(Path(__file__).with_name("forked_cli.py"))],
        input=json.dumps([c[len(prefix):] for c in commands]), capture_output=True,
        text=True, check=True)
    return [Run(*run) for run in json.loads(done.stdout)]


def replan_args(campaign: Path, videos: Path, actuals: Path, day: date, store: str,
                *extra: str) -> list[str]:
    return cli("replan", "--campaign", str(campaign), "--videos", str(videos), "--actuals",
               str(actuals), "--date", str(day), "--store", store, *extra)


def state(store: str) -> tuple[int, int]:
    """(actuals rows, plans) of the campaign; a SQLite file must also pass its integrity check."""
    if "://" not in store:
        db = sqlite3.connect(store)
        try:
            assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        finally:
            db.close()
    with open_store(store) as s:
        return len(s.actuals(NAME)), s.plan_count(NAME)
