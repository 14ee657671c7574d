"""Atomic outputs: a plan run killed at any moment never leaves a half-written file.

``planner plan`` runs as a real process on a 120-video roster (several
seconds) into a folder that already holds a previous plan. Each scenario
kills it with SIGKILL, the one signal no cleanup code can catch, either after
a delay or at a moment of the export found by polling the folder (the
temporary ``.plan.*.tmp.*`` files appear, the workbook is being written, the
new plan.xlsx has replaced the old one). Afterwards every output must be the
previous file byte for byte, or a complete new one: plan.json parses as a
Plan, plan.xlsx opens, links.csv reads. The scenarios run side by side; the
assertions are about the files only, never about how long anything took.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from planner.cli import app
from planner.models import Plan
from planner.synthetic import generate_roster

ROOT = Path(__file__).resolve().parent.parent
CAMPAIGN = ROOT / "sample_data" / "campaign_tmall.toml"  # plan date 2027-04-20
OUTPUTS = ("plan.json", "plan.xlsx", "links.csv")
ROSTER_SIZE = 120  # a few seconds a run

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX SIGKILL")

Trigger = Callable[[Path, float], bool]  # (out folder, seconds since start) -> kill now


def _after(seconds: float) -> Trigger:
    return lambda out, elapsed: elapsed >= seconds


def _temp_files(out: Path, stem: str, suffix: str) -> list[os.DirEntry[str]]:
    """The atomic writer's temporary files: .<stem>.<random>.tmp<suffix>."""
    with os.scandir(out) as entries:
        return [
            e for e in entries
            if e.name.startswith(f".{stem}.") and e.name.endswith(f".tmp{suffix}")
        ]


def _json_temp_exists(out: Path, elapsed: float) -> bool:
    return bool(_temp_files(out, "plan", ".json"))


def _xlsx_temp_written(out: Path, elapsed: float) -> bool:
    for entry in _temp_files(out, "plan", ".xlsx"):
        try:
            if entry.stat().st_size > 0:
                return True
        except FileNotFoundError:  # renamed into place meanwhile
            return True
    return False


def _links_temp_exists(out: Path, elapsed: float) -> bool:
    return bool(_temp_files(out, "links", ".csv"))


@dataclass
class Scenario:
    name: str
    trigger: Trigger | None  # None: let the run finish
    out: Path = Path()
    previous: dict[str, bytes] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None
    started: float = 0.0
    killed: bool = False
    returncode: int | None = None


def _xlsx_replaced(out: Path) -> Trigger:
    """True once plan.xlsx is another file (the rename gives it a new inode)."""
    inode = (out / "plan.xlsx").stat().st_ino

    def trigger(out: Path, elapsed: float) -> bool:
        try:
            return (out / "plan.xlsx").stat().st_ino != inode
        except OSError:
            return False

    return trigger


def _write_roster(path: Path, n: int) -> None:
    videos = generate_roster(n, seed=11, plan_date=date(2027, 4, 20))
    columns = list(type(videos[0]).model_fields)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        for video in videos:
            values = video.model_dump()
            writer.writerow(["" if values[c] is None else values[c] for c in columns])


def _check_outputs(scenario: Scenario) -> str:
    """Every output is the previous one or a complete new one; returns what was found."""
    out = scenario.out
    state: dict[str, str] = {}
    for name in OUTPUTS:
        data = (out / name).read_bytes()
        if data == scenario.previous[name]:
            state[name] = "old"
            continue
        state[name] = "new"
        if name == "plan.json":
            Plan.model_validate(json.loads(data.decode("utf-8")))
        elif name == "plan.xlsx":
            book = openpyxl.load_workbook(out / name, read_only=True)
            try:
                assert {"汇总", "订单"} <= set(book.sheetnames)
                assert any(True for _ in book["订单"].iter_rows(max_row=2))
            finally:
                book.close()
        else:
            with (out / name).open(encoding="utf-8-sig", newline="") as handle:
                rows = list(csv.reader(handle))
            assert rows and rows[0][0] == "short_name"
    # plan.xlsx is replaced first, then links.csv, and plan.json last: a new plan.json
    # means the whole run's outputs are in place.
    if state["plan.json"] == "new":
        assert state["plan.xlsx"] == state["links.csv"] == "new", state
    if state["links.csv"] == "new":
        assert state["plan.xlsx"] == "new", state
    # Nothing but the outputs and hidden temporary files (a SIGKILL leaves those).
    for path in out.iterdir():
        assert path.name in OUTPUTS or (path.name.startswith(".") and ".tmp" in path.name), path
    leftovers = sorted(p.name for p in out.iterdir() if p.name not in OUTPUTS)
    return ", ".join(f"{k}={v}" for k, v in state.items()) + (
        f", {len(leftovers)} temp file(s) left" if leftovers else ""
    )


@pytest.mark.slow
def test_sigkill_never_leaves_a_half_written_plan(tmp_path: Path) -> None:
    roster = tmp_path / "videos.csv"
    _write_roster(roster, ROSTER_SIZE)

    # The previous plan: a complete run on the 40-video sample.
    template = tmp_path / "previous"
    result = CliRunner().invoke(app, [
        "plan", "--campaign", str(CAMPAIGN), "--videos", str(ROOT / "sample_data" / "videos.csv"),
        "--out", str(template),
    ])
    assert result.exit_code == 0, result.output
    previous = {name: (template / name).read_bytes() for name in OUTPUTS}

    scenarios = [
        Scenario("killed after 0.2 s", _after(0.2)),
        Scenario("killed after 0.5 s", _after(0.5)),
        Scenario("killed after 1 s", _after(1.0)),
        Scenario("killed after 2 s", _after(2.0)),
        Scenario("killed when plan.json's temp file appears", _json_temp_exists),
        Scenario("killed while plan.xlsx's temp file is written", _xlsx_temp_written),
        Scenario("killed once plan.xlsx was replaced", None),  # trigger set below
        Scenario("killed when links.csv's temp file appears", _links_temp_exists),
        Scenario("not killed", None),
    ]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    for number, scenario in enumerate(scenarios):
        scenario.out = tmp_path / f"out{number}"
        shutil.copytree(template, scenario.out)
        scenario.previous = previous
        if scenario.name == "killed once plan.xlsx was replaced":
            scenario.trigger = _xlsx_replaced(scenario.out)
        scenario.process = subprocess.Popen(
            [sys.executable, "-m", "planner.cli", "plan", "--campaign", str(CAMPAIGN),
             "--videos", str(roster), "--out", str(scenario.out)],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        scenario.started = time.monotonic()

    try:
        running = list(scenarios)
        while running:
            for scenario in list(running):
                assert scenario.process is not None
                code = scenario.process.poll()
                if code is not None:
                    scenario.returncode = code
                    running.remove(scenario)
                elif scenario.trigger is not None and scenario.trigger(
                    scenario.out, time.monotonic() - scenario.started
                ):
                    scenario.process.send_signal(signal.SIGKILL)
                    scenario.returncode = scenario.process.wait()
                    scenario.killed = True
                    running.remove(scenario)
            time.sleep(0.002)
    finally:
        for scenario in scenarios:
            if scenario.process is not None and scenario.process.poll() is None:
                scenario.process.kill()
                scenario.process.wait()

    report = []
    for scenario in scenarios:
        if scenario.killed:
            assert scenario.returncode == -signal.SIGKILL
        else:
            assert scenario.returncode == 0, scenario.name  # the run finished on its own
        found = _check_outputs(scenario)
        report.append(f"{scenario.name}: {'killed' if scenario.killed else 'finished'}; {found}")
    print("\n" + "\n".join(report))

    # The uninterrupted run replaced everything with a complete new plan.
    finished = scenarios[-1]
    assert all((finished.out / n).read_bytes() != previous[n] for n in OUTPUTS)
    # The early kills happened before the export began: the old plan is untouched.
    early = scenarios[0]
    assert early.killed
    assert all((early.out / n).read_bytes() == previous[n] for n in OUTPUTS)
