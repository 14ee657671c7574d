"""planner batch: a portfolio planned on a local pool or a Dask cluster, campaign by campaign
as the single commands would, with failures and lost workers kept to their campaign.

One small synthetic portfolio (4 campaigns of 20 videos) goes through two mornings:
2027-04-20 plans every campaign (brand-004 is infeasible), 2027-04-22 re-plans from the
actuals of 04-21 (brand-003's export is missing). Each variant runs on its own copy of
the folder, so stores never mix.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
from datetime import date
from pathlib import Path
from types import ModuleType
from typing import Any

import dask
import openpyxl
import pandas as pd
import pytest
from distributed import LocalCluster
from typer.testing import CliRunner

import batch_chaos
from planner.cli import app
from planner.errors import ConfigError, InputError
from planner.i18n import t
from planner.io.campaign_file import read_campaign
from planner.io.store import open_store
from planner.jobs import batch
from planner.jobs.batch import read_manifest, run_portfolio
from planner.jobs.plan import load_inputs

ROOT = Path(__file__).resolve().parent.parent
DAY0 = date(2027, 4, 20)  # the campaigns' plan date: every campaign plans
SPENT = date(2027, 4, 21)  # the first day of spend, exported as actuals
DAY2 = date(2027, 4, 22)  # re-plan from the actuals of 04-21
NAMES = ["brand-001", "brand-002", "brand-003", "brand-004"]
runner = CliRunner()
# Worker processes must not re-run a Streamlit script left as __main__ by the app tests.
pytestmark = pytest.mark.usefixtures("plain_main")

INFEASIBLE = """
[[commitments]]
video_id = "v0001"
tool = "dou_plus"
start = 2027-04-21
end = 2027-04-22
budget = 60000
booking_date = 2027-04-20
"""


def _generate() -> ModuleType:
    spec = importlib.util.spec_from_file_location("sample_data_generate",
                                                  ROOT / "sample_data" / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _batch(folder: Path, day: date, *extra: str) -> Any:
    return runner.invoke(app, ["batch", "--manifest", str(folder / "portfolio.toml"),
                               "--date", day.isoformat(), "--out", str(folder / f"out_{day}"),
                               *extra])


def _copy(source: Path, target: Path) -> Path:
    shutil.copytree(source, target)
    return target


def _summary(folder: Path, day: date) -> list[dict[str, Any]]:
    """portfolio.json to the yuan, without the seconds each campaign took or the folder
    the copy is in."""
    data = json.loads((folder / f"out_{day}" / "portfolio.json").read_text("utf-8"))
    assert data["date"] == day.isoformat()
    rows = []
    for c in data["campaigns"]:
        row = {k: v for k, v in c.items() if k != "seconds"}
        row["message"] = row["message"].replace(str(folder), "<folder>")
        for key in ("total_spend", "expected_gmv"):
            row[key] = None if c[key] is None else round(c[key])
        rows.append(row)
    return rows


def _plan_json(path: Path) -> dict[str, Any]:
    plan = json.loads(path.read_text("utf-8"))
    plan.pop("solve_seconds")
    plan.pop("timings")
    return plan  # type: ignore[no-any-return]


def _xlsx_cells(path: Path) -> dict[str, list[tuple[object, ...]]]:
    book = openpyxl.load_workbook(path, read_only=True)
    return {ws.title: [row for row in ws.iter_rows(values_only=True)
                       if row and row[0] != t("summary.solve_seconds")]
            for ws in book.worksheets}


def _same_outputs(a: Path, b: Path) -> None:
    """Two output folders hold the same plan: plan.json and plan.xlsx (but for the solver's
    seconds), links.csv byte for byte when there is one."""
    assert sorted(p.name for p in a.iterdir()) == sorted(p.name for p in b.iterdir())
    assert _plan_json(a / "plan.json") == _plan_json(b / "plan.json")
    assert _xlsx_cells(a / "plan.xlsx") == _xlsx_cells(b / "plan.xlsx")
    if (a / "links.csv").exists():
        assert (a / "links.csv").read_bytes() == (b / "links.csv").read_bytes()


def _store_rows(store: Path) -> dict[str, list[tuple[object, ...]]]:
    db = sqlite3.connect(store)
    try:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        plans = [(campaign, plan_date, campaign_json, videos, actuals,
                  {k: v for k, v in json.loads(plan).items()
                   if k not in ("solve_seconds", "timings")})
                 for campaign, plan_date, campaign_json, videos, actuals, plan in db.execute(
                     "SELECT campaign, plan_date, campaign_json, videos_sha256, "
                     "actuals_sha256, plan_json FROM plans ORDER BY id")]
        return {
            "plans": plans,  # type: ignore[dict-item]
            "actuals": db.execute("SELECT campaign, date, video_id, tool, spend, gmv "
                                  "FROM actuals ORDER BY 1, 2, 3, 4").fetchall(),
            "orders": db.execute("SELECT * FROM orders ORDER BY plan_id, position").fetchall(),
        }
    finally:
        db.close()


# ---------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def initial(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The portfolio before its first morning."""
    folder = tmp_path_factory.mktemp("batch") / "initial"
    _generate().write_portfolio(folder, 4, 20, time_limit_s=60)
    with (folder / "brand-004" / "campaign.toml").open("a", encoding="utf-8") as handle:
        handle.write(INFEASIBLE)  # a booked order bigger than the budget
    return folder


@pytest.fixture(scope="module")
def morning1(initial: Path) -> tuple[Path, Any]:
    """The first morning on a local pool, then the back-ends' export of 04-21."""
    folder = _copy(initial, initial.parent / "morning1")
    result = _batch(folder, DAY0, "--workers", "2")
    _generate().write_portfolio_actuals(folder / "portfolio.toml", folder / f"out_{DAY0}",
                                        SPENT)
    (folder / "actuals" / f"brand-003_{SPENT}.csv").unlink()  # its export failed
    return folder, result


@pytest.fixture(scope="module")
def pool2(morning1: tuple[Path, Any]) -> tuple[Path, Any]:
    """The second morning on the local pool."""
    folder = _copy(morning1[0], morning1[0].parent / "pool2")
    return folder, _batch(folder, DAY2, "--workers", "2")


@pytest.fixture(scope="module")
def cluster() -> Any:
    with dask.config.set({"distributed.scheduler.worker-saturation": 1.0}), LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0",
    ) as local:
        yield local


# ---------------------------------------------------------------- the manifest


def test_manifest_paths_are_relative_to_it_and_a_store_url_is_left_as_written(tmp_path):
    (tmp_path / "m").mkdir()
    manifest = tmp_path / "m" / "portfolio.toml"
    manifest.write_text(
        '[[campaigns]]\nname = "甲-618"\ncampaign = "a/c.toml"\nvideos = "../v.csv"\n'
        'store = "postgresql://planner@db/agency"\nactuals = "exports/{yesterday}/a_{date}.xlsx"\n'
        '\n[[campaigns]]\nname = "b"\ncampaign = "b.toml"\nvideos = "v.csv"\n'
        'store = "stores/b.sqlite"\n', encoding="utf-8")
    a, b = read_manifest(manifest, DAY2, tmp_path / "out", lock_timeout=5)
    assert a.name == "甲-618" and a.out == (tmp_path / "out" / "甲-618").resolve()
    assert a.campaign == (tmp_path / "m" / "a" / "c.toml").resolve()
    assert a.videos == (tmp_path / "v.csv").resolve()
    assert a.store == "postgresql://planner@db/agency"
    assert a.actuals == (tmp_path / "m" / "exports" / "2027-04-21" / "a_2027-04-22.xlsx").resolve()
    assert b.store == (tmp_path / "m" / "stores" / "b.sqlite").resolve() and b.actuals is None
    assert a.day == DAY2 and a.lock_timeout == 5


def test_a_broken_manifest_lists_every_problem_and_runs_nothing(tmp_path, english):
    manifest = tmp_path / "portfolio.toml"
    manifest.write_text(
        '[[campaigns]]\nname = "a"\ncampaign = "a.toml"\nvidoes = "v.csv"\nstore = "s"\n'
        '[[campaigns]]\nname = "A"\ncampaign = "a.toml"\nvideos = "v.csv"\nstore = "s"\n'
        '[[campaigns]]\nname = "a"\ncampaign = "a.toml"\nvideos = "v.csv"\nstore = "s"\n'
        '[[campaigns]]\nname = "../up"\ncampaign = "a.toml"\nvideos = "v.csv"\nstore = "s"\n'
        '[[campaigns]]\nname = "d"\ncampaign = "a.toml"\nvideos = "v.csv"\nstore = "s"\n'
        'actuals = "x_{today}.csv"\n', encoding="utf-8")
    result = runner.invoke(app, ["batch", "--manifest", str(manifest), "--date", "2027-04-22",
                                 "--out", str(tmp_path / "out")])
    assert result.exit_code == 2, result.output
    text = result.output
    assert "unknown key 'vidoes'" in text and "Did you mean 'videos'?" in text
    assert "'videos' is missing" in text
    assert "the name 'a' is used twice" in text
    assert "cannot be a folder name" in text
    assert "{today}" in text and "{yesterday}" in text
    assert not (tmp_path / "out").exists()


def test_a_manifest_that_is_not_toml_names_the_file(tmp_path, english):
    manifest = tmp_path / "portfolio.toml"
    manifest.write_text("[[campaigns]\nname = 1\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"portfolio\.toml: is not valid TOML"):
        read_manifest(manifest, DAY2, tmp_path)


@pytest.mark.slow
def test_a_fresh_plan_takes_the_batch_date_and_refuses_one_after_the_campaign(initial, english):
    campaign, _, _ = load_inputs(initial / "brand-001" / "campaign.toml",
                                 initial / "brand-001" / "videos.csv", plan_date=DAY2)
    assert campaign.plan_date == DAY2
    with pytest.raises(ConfigError, match="ended on 2027-05-20"):
        load_inputs(initial / "brand-001" / "campaign.toml",
                    initial / "brand-001" / "videos.csv", plan_date=date(2027, 6, 1))


# ---------------------------------------------------------------- first morning: plans


@pytest.mark.slow
def test_an_infeasible_campaign_reports_exit_code_3_while_the_others_succeed(morning1):
    folder, result = morning1
    assert result.exit_code == 8, result.output
    # The module's batches run in the default language, Chinese.
    assert "PortfolioError: 4 个活动中有 1 个失败" in result.output
    assert "brand-004：退出码 3，InfeasibleError" in result.output
    summary = _summary(folder, DAY0)
    assert [(c["name"], c["status"], c["exit_code"]) for c in summary] == [
        ("brand-001", "planned", 0), ("brand-002", "planned", 0), ("brand-003", "planned", 0),
        ("brand-004", "failed", 3),
    ]
    assert all(c["total_spend"] > 0 and c["changes"] == 0 for c in summary[:3])
    assert summary[3]["total_spend"] is None and "InfeasibleError" in summary[3]["message"]
    assert not (folder / f"out_{DAY0}" / "brand-004").exists()
    assert not (folder / "stores" / "brand-004.sqlite").exists()  # as planner plan leaves it


@pytest.mark.slow
def test_each_planned_campaign_equals_its_own_planner_plan(initial, morning1):
    folder = _copy(initial, initial.parent / "single_plan")
    for name in NAMES[:2]:
        result = runner.invoke(app, [
            "plan", "--campaign", str(folder / name / "campaign.toml"),
            "--videos", str(folder / name / "videos.csv"), "--out", str(folder / "out" / name),
            "--store", str(folder / "stores" / f"{name}.sqlite"),
        ])
        assert result.exit_code == 0, result.output
        _same_outputs(folder / "out" / name, morning1[0] / f"out_{DAY0}" / name)
        assert (_store_rows(folder / "stores" / f"{name}.sqlite")
                == _store_rows(morning1[0] / "stores" / f"{name}.sqlite"))


@pytest.mark.slow
def test_the_portfolio_workbook_holds_the_table_and_its_totals(morning1):
    folder, _ = morning1
    table = pd.read_excel(folder / f"out_{DAY0}" / "portfolio.xlsx",
                          sheet_name=t("sheet.portfolio"))
    summary = _summary(folder, DAY0)
    assert list(table["name"]) == [*NAMES, t("batch.total")]
    total = table.iloc[-1]
    ok = [c for c in summary if c["exit_code"] == 0]
    assert total["status"] == t("batch.total_status", ok=3, total=4)
    assert round(total["total_spend"]) == pytest.approx(sum(c["total_spend"] for c in ok), abs=2)
    assert round(total["expected_gmv"]) == pytest.approx(sum(c["expected_gmv"] for c in ok),
                                                         abs=2)


@pytest.mark.slow
def test_the_batch_language_reaches_every_worker(initial):
    folder = _copy(initial, initial.parent / "english")
    text = (folder / "portfolio.toml").read_text("utf-8")
    (folder / "portfolio.toml").write_text(text.split("\n\n")[0] + "\n", encoding="utf-8")
    result = _batch(folder, DAY0, "--workers", "1", "--lang", "en")  # the tests run in Chinese
    assert result.exit_code == 0, result.output
    out = folder / f"out_{DAY0}"
    assert "Summary" in openpyxl.load_workbook(out / "brand-001" / "plan.xlsx").sheetnames
    assert openpyxl.load_workbook(out / "portfolio.xlsx").sheetnames == ["Portfolio"]
    assert _summary(folder, DAY0)[0]["message"].startswith("planned: spend ")


@pytest.mark.slow
def test_a_store_url_in_the_manifest_goes_to_the_store_as_written(initial, pg_store):
    """One PostgreSQL database for two campaigns, named by its URL in the manifest."""
    folder = _copy(initial, initial.parent / f"postgres_{pg_store.rsplit('/', 1)[-1]}")
    entries = (folder / "portfolio.toml").read_text("utf-8").split("\n\n")[:2]
    (folder / "portfolio.toml").write_text(
        "\n\n".join(re.sub(r'store = "[^"]*"', f'store = "{pg_store}"', e) for e in entries),
        encoding="utf-8")
    # A fresh process, as cron starts it: its workers see this test's PGPASSFILE.
    run = subprocess.run(
        [sys.executable, "-m", "planner.cli", "batch", "--manifest",
         str(folder / "portfolio.toml"), "--date", DAY0.isoformat(), "--out",
         str(folder / f"out_{DAY0}"), "--workers", "2", "--lang", "en"],
        capture_output=True, text=True, timeout=600, env=os.environ)
    assert run.returncode == 0, run.stderr
    assert [c["status"] for c in _summary(folder, DAY0)] == ["planned", "planned"]
    with open_store(pg_store) as store:
        for name in NAMES[:2]:
            campaign = read_campaign(folder / name / "campaign.toml").name
            previous = store.previous_plan(campaign, DAY2)
            assert previous is not None and previous.plan_date == DAY0
    assert not (folder / "stores").exists() and not list(folder.glob("postgresql*"))


# ---------------------------------------------------------------- second morning: re-plans


@pytest.mark.slow
def test_campaigns_with_actuals_replan_and_a_missing_export_stops_only_its_campaign(
        morning1, pool2):
    folder, result = pool2
    assert result.exit_code == 8, result.output
    summary = {c["name"]: c for c in _summary(folder, DAY2)}
    assert summary["brand-001"]["status"] == summary["brand-002"]["status"] == "replanned"
    assert summary["brand-003"]["exit_code"] == 2
    assert f"brand-003_{SPENT}.csv" in summary["brand-003"]["message"]
    assert "所以必须根据实际数据重新规划" in summary["brand-003"]["message"]
    assert summary["brand-004"]["exit_code"] == 3  # never planned: it plans, and fails again
    # brand-003's store is as the first morning left it.
    assert (_store_rows(folder / "stores" / "brand-003.sqlite")
            == _store_rows(morning1[0] / "stores" / "brand-003.sqlite"))


@pytest.mark.slow
def test_each_replanned_campaign_equals_its_own_planner_replan(morning1, pool2):
    folder = _copy(morning1[0], morning1[0].parent / "single_replan")
    for name in NAMES[:2]:
        result = runner.invoke(app, [
            "replan", "--campaign", str(folder / name / "campaign.toml"),
            "--videos", str(folder / name / "videos.csv"),
            "--actuals", str(folder / "actuals" / f"{name}_{SPENT}.csv"),
            "--date", DAY2.isoformat(), "--store", str(folder / "stores" / f"{name}.sqlite"),
            "--out", str(folder / "out" / name),
        ])
        assert result.exit_code == 0, result.output
        _same_outputs(folder / "out" / name, pool2[0] / f"out_{DAY2}" / name)
        assert (_store_rows(folder / "stores" / f"{name}.sqlite")
                == _store_rows(pool2[0] / "stores" / f"{name}.sqlite"))


@pytest.mark.slow
def test_a_portfolio_on_a_dask_cluster_equals_the_local_pool_to_the_yuan(
        morning1, pool2, cluster):
    folder = _copy(morning1[0], morning1[0].parent / "dask2")
    result = _batch(folder, DAY2, "--scheduler", cluster.scheduler_address)
    assert result.exit_code == 8, result.output
    assert cluster.scheduler_address in result.output
    assert _summary(folder, DAY2) == _summary(pool2[0], DAY2)
    for name in NAMES[:2]:
        _same_outputs(folder / f"out_{DAY2}" / name, pool2[0] / f"out_{DAY2}" / name)


@pytest.mark.slow
def test_rerunning_a_date_gives_the_same_portfolio_and_keeps_the_store_history(pool2):
    folder = _copy(pool2[0], pool2[0].parent / "rerun2")
    before = {n: _store_rows(folder / "stores" / f"{n}.sqlite") for n in NAMES[:3]}
    result = _batch(folder, DAY2, "--workers", "2")
    assert result.exit_code == 8, result.output
    assert _summary(folder, DAY2) == _summary(pool2[0], DAY2)
    for name in NAMES[:2]:
        _same_outputs(folder / f"out_{DAY2}" / name, pool2[0] / f"out_{DAY2}" / name)
        after = _store_rows(folder / "stores" / f"{name}.sqlite")
        # The actuals are ingested once; the day's plan is recorded again, the same plan.
        assert after["actuals"] == before[name]["actuals"]
        assert after["plans"][-1] == before[name]["plans"][-1]
    assert _store_rows(folder / "stores" / "brand-003.sqlite") == before["brand-003"]


@pytest.mark.slow
def test_a_locked_store_stops_only_its_campaign(morning1, pool2):
    folder = _copy(morning1[0], morning1[0].parent / "locked2")
    other_run = sqlite3.connect(folder / "stores" / "brand-002.sqlite", isolation_level=None)
    try:
        other_run.execute("BEGIN IMMEDIATE")  # another run is writing brand-002's store
        result = _batch(folder, DAY2, "--workers", "2", "--lock-timeout", "1")
    finally:
        other_run.close()
    assert result.exit_code == 8, result.output
    got = {c["name"]: c for c in _summary(folder, DAY2)}
    assert got["brand-002"]["exit_code"] == 5
    assert "被另一次运行锁住了" in got["brand-002"]["message"]
    assert got["brand-001"] == _summary(pool2[0], DAY2)[0]
    assert (_store_rows(folder / "stores" / "brand-002.sqlite")
            == _store_rows(morning1[0] / "stores" / "brand-002.sqlite"))


# ---------------------------------------------------------------- lost workers


@pytest.mark.slow
def test_a_worker_killed_inside_a_store_transaction_reruns_and_the_portfolio_completes(
        morning1, pool2):
    folder = _copy(morning1[0], morning1[0].parent / "chaos_pool")
    tasks = read_manifest(folder / "portfolio.toml", DAY2, folder / f"out_{DAY2}")
    portfolio = run_portfolio(tasks, DAY2, workers=2, task_fn=batch_chaos.die_once)
    assert (folder / f"out_{DAY2}" / ".killed-brand-001").exists()  # it did die once
    got = {c.name: c for c in portfolio.campaigns}
    expected = {c["name"]: c for c in _summary(pool2[0], DAY2)}
    for name in NAMES:
        assert got[name].exit_code == expected[name]["exit_code"], got[name].message
    victim = got[batch_chaos.VICTIM]
    assert victim.status == "replanned"
    assert round(victim.expected_gmv or 0) == expected["brand-001"]["expected_gmv"]
    # The killed run's transaction left nothing: the store equals a run that never died.
    assert (_store_rows(folder / "stores" / "brand-001.sqlite")
            == _store_rows(pool2[0] / "stores" / "brand-001.sqlite"))


@pytest.mark.slow
def test_a_local_worker_that_always_dies_loses_its_campaign_after_three_runs(morning1, pool2):
    folder = _copy(morning1[0], morning1[0].parent / "chaos_pool_lost")
    tasks = read_manifest(folder / "portfolio.toml", DAY2, folder / f"out_{DAY2}")[:2]
    portfolio = run_portfolio(tasks, DAY2, workers=1, task_fn=batch_chaos.die_always)
    victim, other = portfolio.campaigns
    assert (victim.status, victim.exit_code) == ("lost", 4)
    assert "死了 3 次" in victim.message
    assert (other.status, other.exit_code) == ("replanned", 0)
    assert (_store_rows(folder / "stores" / "brand-001.sqlite")
            == _store_rows(morning1[0] / "stores" / "brand-001.sqlite"))


@pytest.mark.slow
def test_a_campaign_whose_worker_always_dies_is_reported_lost_with_its_store_intact(
        morning1, pool2):
    folder = _copy(morning1[0], morning1[0].parent / "chaos_dask")
    tasks = read_manifest(folder / "portfolio.toml", DAY2, folder / f"out_{DAY2}")
    # One single-threaded worker given one task at a time (the scheduler queues a group of
    # more tasks than twice its threads): a death charges only the task it was running.
    settings = {"distributed.scheduler.allowed-failures": 1,
                "distributed.scheduler.worker-saturation": 1.0}
    with dask.config.set(settings), LocalCluster(
        n_workers=1, threads_per_worker=1, processes=True, dashboard_address=":0",
    ) as local:
        portfolio = run_portfolio(tasks, DAY2, scheduler=local.scheduler_address,
                                  task_fn=batch_chaos.die_always)
    got = {c.name: c for c in portfolio.campaigns}
    victim = got[batch_chaos.VICTIM]
    assert (victim.status, victim.exit_code) == ("lost", 4)
    assert "丢失：" in victim.message and "再为这个日期重新运行批量" in victim.message
    expected = {c["name"]: c for c in _summary(pool2[0], DAY2)}
    for name in NAMES[1:]:
        assert got[name].exit_code == expected[name]["exit_code"], got[name].message
    assert (_store_rows(folder / "stores" / "brand-001.sqlite")
            == _store_rows(morning1[0] / "stores" / "brand-001.sqlite"))
    # The killed runs wrote their files before the store's commit: whole, never half.
    written = folder / f"out_{DAY2}" / "brand-001" / "plan.json"
    assert not written.exists() or _plan_json(written)["campaign"]


# ---------------------------------------------------------------- the plan checker


@pytest.mark.slow
def test_a_fresh_plan_that_breaks_a_rule_fails_its_campaign_naming_the_rule(initial):
    folder = _copy(initial, initial.parent / "breach_plan")
    tasks = read_manifest(folder / "portfolio.toml", DAY0, folder / f"out_{DAY0}")[:2]
    portfolio = run_portfolio(tasks, DAY0, workers=2, task_fn=batch_chaos.break_a_rule)
    victim, other = portfolio.campaigns
    assert (victim.status, victim.exit_code, victim.total_spend) == ("failed", 1, None)
    assert victim.message.startswith("UncheckedPlanError: ")
    # Every broken rule by code and sentence; the summary's first line names the first.
    assert "before_plan_date: " in victim.message
    assert "outside_campaign: " in victim.message.splitlines()[0]  # 04-19: before 04-21
    assert (other.status, other.exit_code) == ("planned", 0)
    # Nothing written for it: no output folder, and no plan in its store.
    assert not (folder / f"out_{DAY0}" / batch_chaos.VICTIM).exists()
    assert (folder / f"out_{DAY0}" / "brand-002" / "plan.json").exists()
    store = folder / "stores" / f"{batch_chaos.VICTIM}.sqlite"
    assert not store.exists() or _store_rows(store)["plans"] == []


@pytest.mark.slow
def test_a_replan_that_breaks_a_rule_fails_its_campaign_naming_the_rule(morning1, pool2):
    folder = _copy(morning1[0], morning1[0].parent / "breach_replan")
    tasks = read_manifest(folder / "portfolio.toml", DAY2, folder / f"out_{DAY2}")[:2]
    portfolio = run_portfolio(tasks, DAY2, workers=2, task_fn=batch_chaos.break_a_rule)
    victim, other = portfolio.campaigns
    # Raised in the watched child that re-plans, it reaches the worker whole.
    assert (victim.status, victim.exit_code) == ("failed", 1), victim.message
    assert victim.message.startswith("UncheckedPlanError: ")
    assert "before_plan_date: " in victim.message.splitlines()[0]  # the summary's line
    assert other.status == "replanned"
    assert not (folder / f"out_{DAY2}" / batch_chaos.VICTIM).exists()
    # Its store is as the first morning left it: neither the plan nor the actuals.
    assert (_store_rows(folder / "stores" / f"{batch_chaos.VICTIM}.sqlite")
            == _store_rows(morning1[0] / "stores" / f"{batch_chaos.VICTIM}.sqlite"))


# ---------------------------------------------------------------- the command


@pytest.mark.slow
def test_an_unreachable_scheduler_is_a_clear_error(tmp_path, initial, monkeypatch, english):
    monkeypatch.setattr(batch, "SCHEDULER_TIMEOUT_S", 1.0)
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    result = runner.invoke(app, ["batch", "--manifest", str(initial / "portfolio.toml"),
                                 "--date", DAY0.isoformat(), "--out", str(tmp_path / "out"),
                                 "--scheduler", f"tcp://127.0.0.1:{port}"])
    assert result.exit_code == 2, result.output
    assert f"no Dask scheduler answered at tcp://127.0.0.1:{port}" in result.output
    assert "dask scheduler" in result.output
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_portfolio_json_names_a_file_that_is_no_roster_and_never_quotes_it(tmp_path, english):
    """A manifest may point at any file; its first line (here a password) stays out of the
    portfolio's message, which others read: the file's name and the reason only."""
    secret = tmp_path / "videos.csv"
    secret.write_text("root:s3cret-hash:0:0,admin,token=abc123\nx,y,z\n", "utf-8")
    task = batch.CampaignTask(
        name="brand-x", campaign=ROOT / "sample_data" / "campaign_tmall.toml", videos=secret,
        store=tmp_path / "h.sqlite", actuals=None, out=tmp_path / "out", day=DAY0, lang="en")
    result = batch.run_campaign(task)
    assert result.exit_code == InputError.exit_code
    assert "videos.csv: is not a file the planner recognises: its 3 headers match none" in (
        result.message)
    assert "`planner inspect` lists them" in result.message
    for content in ("s3cret", "root", "admin", "token", "abc123"):
        assert content not in result.message, result.message
    with pytest.raises(InputError) as caught:  # the terminal still shows the headers
        load_inputs(task.campaign, secret)
    assert "root:s3cret-hash:0:0" in str(caught.value)
