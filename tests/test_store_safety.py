"""Nothing lost, nothing shared by accident (issue 29): the history store is never an
output of its own run, never another application's database, and a portfolio never
mixes two campaigns in one history."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import time
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from store_runs import START, actuals_file, campaign_files, cli, replan_args, run_all
from typer.testing import CliRunner

import batch_chaos
from planner.cli import app
from planner.errors import InputError, StoreError
from planner.io import store as store_module
from planner.io.inputs import ensure_regular
from planner.io.store import Store, open_store
from planner.jobs.batch import (
    CampaignTask,
    read_manifest,
    run_campaign,
    run_portfolio,
    write_portfolio,
)
from planner.jobs.replan import run_replan

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_data"
DAY = date(2027, 4, 20)
runner = CliRunner()

# English messages; worker processes must not re-run a Streamlit script left as __main__.
pytestmark = pytest.mark.usefixtures("english", "plain_main")


def _fixture_builders() -> dict[str, Any]:
    path = ROOT / "tests" / "data" / "bad" / "make_fixtures.py"
    spec = importlib.util.spec_from_file_location("make_fixtures", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return dict(module.BUILDERS)


BUILDERS = _fixture_builders()


def _entry(name: str, store: str, campaign: str = "c.toml") -> str:
    return (f'[[campaigns]]\nname = "{name}"\ncampaign = "{campaign}"\nvideos = "v.csv"\n'
            f'store = "{store}"\n\n')


# ---------------------------------------------------------------- the store is never an output


def test_a_store_among_the_portfolios_outputs_is_refused_before_any_campaign_runs(tmp_path):
    manifest = tmp_path / "portfolio.toml"
    manifest.write_text(_entry("a", "a.sqlite") + _entry("b", "out/a/plan.json")
                        + _entry("c", "out/portfolio.json") + _entry("d", "out"),
                        encoding="utf-8")
    with pytest.raises(InputError) as refused:
        read_manifest(manifest, DAY, tmp_path / "out")
    text = str(refused.value)
    assert "[[campaigns]] #2 ('b'): the history store is plan.json" in text
    assert "[[campaigns]] #3 ('c'): the history store is portfolio.json" in text
    assert "[[campaigns]] #4 ('d'): the history store is the --out folder" in text
    assert "#1" not in text
    result = runner.invoke(app, ["batch", "--manifest", str(manifest), "--date", str(DAY),
                                 "--out", str(tmp_path / "out")])
    assert result.exit_code == 2, result.output
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_a_plan_never_replaces_its_own_store_and_the_history_survives(tmp_path):
    """The issue's run: --store OUT/plan.json --out OUT once held a store; now it is refused
    and the store made by an earlier run is left byte for byte."""
    out = tmp_path / "out"
    store = tmp_path / "history.sqlite"
    ok = runner.invoke(app, ["plan", "--campaign", str(SAMPLE / "campaign_tmall.toml"),
                             "--videos", str(ROOT / "tests/data/bad/videos_tab.tsv"),
                             "--store", str(store), "--out", str(out)])
    assert ok.exit_code == 0, ok.output
    moved = out / "plan.json"
    moved.unlink()
    store.rename(moved)
    before = moved.read_bytes()
    again = runner.invoke(app, ["plan", "--campaign", str(SAMPLE / "campaign_tmall.toml"),
                                "--videos", str(ROOT / "tests/data/bad/videos_tab.tsv"),
                                "--store", str(moved), "--out", str(out)])
    assert again.exit_code == 2, again.output
    assert "the history store is plan.json" in again.output
    assert moved.read_bytes() == before


# ---------------------------------------------------------------- one campaign, one history


def test_two_entries_writing_one_campaign_into_one_store_are_refused_naming_both(tmp_path):
    (tmp_path / "c.toml").write_bytes((SAMPLE / "campaign_tmall.toml").read_bytes())
    (tmp_path / "copy.toml").write_bytes((SAMPLE / "campaign_tmall.toml").read_bytes())
    manifest = tmp_path / "portfolio.toml"
    manifest.write_text(_entry("brand-a", "h.sqlite")
                        + _entry("brand-b", "./h.sqlite", "copy.toml")
                        + _entry("brand-c", "other.sqlite"), encoding="utf-8")
    with pytest.raises(InputError) as refused:
        read_manifest(manifest, DAY, tmp_path / "out")
    text = str(refused.value)
    assert ("[[campaigns]] #1 ('brand-a') and #2 ('brand-b') both write the campaign "
            "'618 种草收割 2027' into the history store") in text, text
    assert "brand-c" not in text
    assert "Fix: give each campaign its own name" in text


def _task(tmp_path: Path, name: str, store: Path) -> CampaignTask:
    return CampaignTask(name=name, campaign=SAMPLE / "campaign_tmall.toml",
                        videos=ROOT / "tests/data/bad/videos_tab.tsv", store=store,
                        actuals=None, out=tmp_path / "out" / name, day=DAY, lang="en")


def test_the_store_refuses_a_campaign_another_manifest_entry_writes(tmp_path):
    """Two manifests, one store, one campaign name: the entry that wrote it first owns it."""
    store = tmp_path / "h.sqlite"
    first = run_campaign(_task(tmp_path, "brand-a", store))
    assert first.exit_code == 0, first.message
    with open_store(store) as history:
        assert history.owner("618 种草收割 2027") == "brand-a"
        plans = history.plan_count("618 种草收割 2027")
    second = run_campaign(_task(tmp_path, "brand-b", store))
    assert second.exit_code == 2, second.message
    assert ("the campaign '618 种草收割 2027' in the history store" in second.message
            and "is written by the manifest entry 'brand-a', not 'brand-b'" in second.message)
    assert not (tmp_path / "out" / "brand-b").exists()
    with open_store(store) as history:
        assert history.plan_count("618 种草收割 2027") == plans
    with open_store(store) as history, history.transaction("618 种草收割 2027"), \
            pytest.raises(InputError, match="is written by the manifest entry 'brand-a'"):
        history.claim("618 种草收割 2027", "brand-b")


# ---------------------------------------------------------------- never another program's


@pytest.mark.parametrize("builder", ["store_of_another_program", "store_of_another_program_v1",
                                     "store_other_application_id"])
def test_another_programs_database_is_never_written_into(tmp_path, builder):
    store = BUILDERS[builder](tmp_path)
    before = store.read_bytes()
    for argv in (_plan_argv(tmp_path, store), _replan_argv(tmp_path, store)):
        result = runner.invoke(app, argv)
        assert result.exit_code == 6, result.output
        assert "is not a planner history store" in result.output
        assert not (tmp_path / "out").exists()
    assert store.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [store.name]  # no journal either


def _plan_argv(tmp_path: Path, store: Path | str) -> list[str]:
    return ["plan", "--campaign", str(SAMPLE / "campaign_tmall.toml"), "--videos",
            str(ROOT / "tests/data/bad/videos_tab.tsv"), "--store", str(store),
            "--out", str(tmp_path / "out")]


def _replan_argv(tmp_path: Path, store: Path | str) -> list[str]:
    return ["replan", "--campaign", str(SAMPLE / "campaign_tmall.toml"), "--videos",
            str(ROOT / "tests/data/bad/videos_tab.tsv"), "--actuals",
            str(ROOT / "tests/data/bad/actuals_good_gb18030.csv"), "--date", "2027-04-23",
            "--store", str(store), "--out", str(tmp_path / "out")]


def _read_only(monkeypatch: pytest.MonkeyPatch, path: Path) -> None:
    """``path`` read-only for this user (the tests may run as root, who can write anything)."""
    real = os.access

    def access(target: Any, mode: int, *args: Any, **kwargs: Any) -> bool:
        if Path(target) == path and mode & os.W_OK:
            return False
        return real(target, mode, *args, **kwargs)

    monkeypatch.setattr(store_module.os, "access", access)


def test_a_read_only_store_records_nothing_and_writes_no_outputs(tmp_path, monkeypatch):
    store = tmp_path / "history.sqlite"
    with open_store(store) as history:
        assert history.plan_count("any") == 0
    _read_only(monkeypatch, store)
    for argv in (_plan_argv(tmp_path, store), _replan_argv(tmp_path, store)):
        result = runner.invoke(app, argv)
        assert result.exit_code == 6, result.output
        assert result.output.startswith("StoreReadOnlyError: ")
        assert "is read-only for you: the planner cannot record the plan" in result.output
        assert "Fix: give your user write permission" in result.output
        assert not (tmp_path / "out").exists()


def test_a_store_in_a_read_only_folder_is_said_to_be_read_only_not_foreign(tmp_path, monkeypatch):
    folder = tmp_path / "stores"
    folder.mkdir()
    _read_only(monkeypatch, folder)
    result = runner.invoke(app, _plan_argv(tmp_path, folder / "history.sqlite"))
    assert result.exit_code == 6, result.output
    assert "which is read-only for you" in result.output
    assert "not a planner history store" not in result.output
    assert not (tmp_path / "out").exists() and not any(folder.iterdir())


@pytest.mark.slow
def test_the_outputs_replace_the_old_ones_only_after_the_store_recorded_the_plan(
        tmp_path, monkeypatch):
    store = tmp_path / "history.sqlite"
    first = runner.invoke(app, _plan_argv(tmp_path, store))
    assert first.exit_code == 0, first.output
    out = tmp_path / "out"
    previous = {p.name: p.read_bytes() for p in out.iterdir()}
    seen = tmp_path / "seen.txt"  # written from the re-plan's watched child process too
    save_plan = Store.save_plan

    def failing_save(self: Store, *args: Any, **kwargs: Any) -> int:
        # Every new file is built by now; none has replaced the old one yet.
        old = all((out / n).read_bytes() == b for n, b in previous.items())
        with seen.open("a", encoding="utf-8") as note:
            note.write(f"{old}\n")
        save_plan(self, *args, **kwargs)
        raise StoreError("the disk filled up while recording")

    monkeypatch.setattr(Store, "save_plan", failing_save)
    for argv in (_plan_argv(tmp_path, store), _replan_argv(tmp_path, store)):
        result = runner.invoke(app, argv)
        assert result.exit_code == 5, result.output
        assert {p.name: p.read_bytes() for p in out.iterdir()} == previous
    assert seen.read_text("utf-8").split() == ["True", "True"]
    with open_store(store) as history:
        assert history.plan_count("618 种草收割 2027") == 1  # the failed ones rolled back


# ---------------------------------------------------------------- kill -9 (finding 9)


def _plans_in(store: Path) -> int:
    db = sqlite3.connect(store)
    try:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        return int(db.execute("SELECT count(*) FROM plans").fetchone()[0])
    finally:
        db.close()


def _temps(out: Path) -> list[str]:
    return sorted(p.name for p in out.iterdir() if p.name.startswith(".") and ".tmp" in p.name)


@pytest.mark.slow
@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX SIGKILL")
def test_a_killed_run_never_leaves_outputs_of_a_plan_the_store_does_not_hold(tmp_path):
    """``plan --store`` and ``replan`` killed with SIGKILL after delays and at moments of the
    export found by polling the folder. Whenever plan.json or plan.xlsx is new, the store
    holds one more plan; the next run cleans the temporary files the killed one left."""
    campaign, videos, ids = campaign_files(tmp_path, 300)
    template = tmp_path / "template"
    template.mkdir()
    store, out = template / "h.sqlite", template / "out"
    day1 = actuals_file(tmp_path / "d1.csv", [(START, ids[0], "dou_plus", 500, 900)])
    run_replan(campaign, videos, day1, START + timedelta(days=1), store, out)  # the day before
    previous = {n: (out / n).read_bytes() for n in ("plan.json", "plan.xlsx")}
    plans_before = _plans_in(store)
    day2 = actuals_file(tmp_path / "d2.csv", [
        (START + timedelta(days=1), vid, "dou_plus", 300.0 + i, 600.0 + i)
        for i, vid in enumerate(ids[:40])])

    def command(folder: Path, kind: str) -> list[str]:
        if kind == "replan":
            return replan_args(campaign, videos, day2, START + timedelta(days=2),
                               str(folder / "h.sqlite"), "--out", str(folder / "out"))
        return cli("plan", "--campaign", str(campaign), "--videos", str(videos), "--store",
                   str(folder / "h.sqlite"), "--out", str(folder / "out"))

    def temp_appears(folder: Path, elapsed: float) -> bool:
        return bool(_temps(folder / "out"))

    def xlsx_replaced(folder: Path, elapsed: float) -> bool:
        return (folder / "out" / "plan.xlsx").read_bytes() != previous["plan.xlsx"]

    triggers: list[tuple[str, Any]] = []
    for kind in ("replan", "plan"):
        triggers += [(kind, lambda f, e, s=s: e >= s) for s in (0.5, 1.5, 3.0)]
        triggers += [(kind, temp_appears), (kind, xlsx_replaced)]
    runs = []
    for number, (kind, trigger) in enumerate(triggers):
        folder = tmp_path / f"run{number}"
        shutil.copytree(template, folder)
        process = subprocess.Popen(command(folder, kind), stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
        runs.append((folder, kind, trigger, process, time.monotonic()))
    running = list(runs)
    try:
        while running:
            for run in list(running):
                folder, _, trigger, process, started = run
                if process.poll() is not None:
                    running.remove(run)
                elif trigger(folder, time.monotonic() - started):
                    process.send_signal(signal.SIGKILL)
                    process.wait()
                    running.remove(run)
            time.sleep(0.002)
    finally:
        for _, _, _, process, _ in runs:
            if process.poll() is None:
                process.kill()
                process.wait()
    killed = 0
    for folder, kind, _, process, _ in runs:
        killed += process.returncode == -signal.SIGKILL
        plans = _plans_in(folder / "h.sqlite")
        new = [n for n, data in previous.items() if (folder / "out" / n).read_bytes() != data]
        assert plans in (plans_before, plans_before + 1), (folder.name, kind, plans)
        if new:
            assert plans == plans_before + 1, (folder.name, kind, new)
    assert killed >= len(runs) // 2, "the runs were faster than the kills: use a larger roster"
    # The next run of the day cleans what a killed run left behind.
    again = runs[:5]
    for (folder, _, _, _, _), finished in zip(
            again, run_all(*(command(folder, kind) for folder, kind, _, _, _ in again)),
            strict=True):
        assert finished.code == 0, finished.stderr
        assert _temps(folder / "out") == []


# ---------------------------------------------------------------- no hang, no crash


def test_no_input_that_is_a_fifo_device_or_socket_is_ever_opened(tmp_path):
    fifo = tmp_path / "videos.csv"
    os.mkfifo(fifo)
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(tmp_path / "actuals.csv"))
    try:
        with pytest.raises(InputError) as refused:
            ensure_regular(fifo, tmp_path / "actuals.csv", Path("/dev/zero"),
                           tmp_path / "missing.csv", tmp_path, None)
    finally:
        server.close()
    text = str(refused.value)
    assert "videos.csv: is a named pipe (FIFO), not a file" in text
    assert "actuals.csv: is a socket, not a file" in text
    assert "/dev/zero: is a device, not a file" in text
    assert "missing.csv" not in text  # the readers say "not found" in their own words
    assert refused.value.exit_code == 2


@pytest.mark.slow
def test_a_hung_worker_is_given_up_at_its_deadline_and_the_portfolio_is_written(tmp_path):
    (tmp_path / "fifo.csv").unlink(missing_ok=True)
    os.mkfifo(tmp_path / "fifo.csv")
    campaign, videos = SAMPLE / "campaign_tmall.toml", ROOT / "tests/data/bad/videos_tab.tsv"
    manifest = tmp_path / "portfolio.toml"
    manifest.write_text("".join(
        f'[[campaigns]]\nname = "{name}"\ncampaign = "{campaign}"\nvideos = "{v}"\n'
        f'store = "{name}.sqlite"\n\n'
        for name, v in (("ok", videos), ("fifo", tmp_path / "fifo.csv"),
                        (batch_chaos.VICTIM, videos))), encoding="utf-8")
    out = tmp_path / "out"
    tasks = [replace(task, deadline_s=2.0) if task.name == batch_chaos.VICTIM else task
             for task in read_manifest(manifest, DAY, out)]
    assert all(task.deadline_s > 60 for task in tasks if task.name != batch_chaos.VICTIM)
    portfolio = run_portfolio(tasks, DAY, workers=2, task_fn=batch_chaos.hang_victim)
    written = write_portfolio(portfolio, out)
    rows = {row["name"]: row for row in json.loads(written["json"].read_text("utf-8"))[
        "campaigns"]}
    assert rows["ok"]["exit_code"] == 0, rows["ok"]
    assert rows["fifo"]["exit_code"] == 2
    assert "is a named pipe (FIFO), not a file" in rows["fifo"]["message"]
    victim = rows[batch_chaos.VICTIM]
    assert victim["exit_code"] == 4 and victim["status"] == "failed"
    assert victim["message"].startswith("WorkerError: the campaign did not finish within 2 s")


# ---------------------------------------------------------------- a cluster keeps one history


def test_every_sqlite_store_of_a_manifest_resolves_against_its_folder_on_the_client(
        tmp_path, monkeypatch):
    """A relative sqlite:/// URL once landed in whichever worker's folder ran it."""
    folder = tmp_path / "m"
    folder.mkdir()
    manifest = folder / "portfolio.toml"
    manifest.write_text(_entry("a", "sqlite:///stores/a.sqlite") + _entry("b", "stores/b.sqlite")
                        + _entry("c", f"sqlite:///{tmp_path}/abs.sqlite")
                        + _entry("d", "postgresql://planner@db/agency"), encoding="utf-8")
    monkeypatch.chdir(tmp_path)  # a worker's own folder, elsewhere
    a, b, c, d = read_manifest(manifest, DAY, tmp_path / "out")
    assert a.store == (folder / "stores" / "a.sqlite").resolve()
    assert b.store == (folder / "stores" / "b.sqlite").resolve()
    assert c.store == (tmp_path / "abs.sqlite").resolve()
    assert d.store == "postgresql://planner@db/agency"
