"""Every yuan accounted for in a re-plan (issue 24).

Spend a file shows without GMV (a 巨量广告 daily report, a DOU+ order report) is spent:
stored with its GMV unknown, counted against the budget, shown as 成交额未知 and left out
of learning until the shop's GMV file for that day comes, on any later morning. A planned
line of a past day that no actuals file reports counts as spent as planned unless the
buyer says it did not run (``--unreported zero``). Whatever actuals a re-plan gets,
recorded spend plus planned spend never exceeds the budget.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest
from export_fixtures import (
    AD_GROUPS_TOML,
    AD_HEADER,
    AD_ROWS,
    DOU_PLUS_HEADER,
    DOU_PLUS_ROWS,
    SHOP_HEADER,
    SHOP_ROWS,
    write,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from factories import make_campaign, make_video
from planner.cli import app
from planner.errors import InfeasibleError
from planner.jobs.batch import read_manifest
from planner.learning import learn
from planner.models import Plan
from planner.planning import Planner, assess_roster
from planner.replan import replan
from planner.tools import Tool

SAMPLE = Path(__file__).resolve().parents[1] / "sample_data"
VIDEOS = SAMPLE / "videos.csv"
NAN = float("nan")
runner = CliRunner()

# The small world of the core tests: three videos, a 10-day campaign from 04-21, a plan
# made on 04-20, and a re-plan on 04-24 (three days behind it).
ROSTER = [make_video(video_id=f"v{i}", kol_name=f"达人{i}", natural_gmv=20_000 + 5_000 * i)
          for i in range(3)]
CAMPAIGN = make_campaign(budget=60_000)
REPLAN_DAY = date(2027, 4, 24)
PAST = [date(2027, 4, 21) + timedelta(days=i) for i in range(3)]


@pytest.fixture(scope="module")
def first() -> Plan:
    return Planner(ROSTER, CAMPAIGN).plan()


def _actuals(*rows: tuple[date, str, str, float, float]) -> pd.DataFrame:
    return pd.DataFrame(
        [{"date": d, "video_id": v, "tool": tool, "spend": spend, "gmv": gmv, "plays": 1000.0}
         for d, v, tool, spend, gmv in rows],
        columns=["date", "video_id", "tool", "spend", "gmv", "plays"])


def _future(plan: Plan, day: date = REPLAN_DAY) -> float:
    return sum(r.spend for r in plan.daily if r.date >= day)


# ------------------------------------------------------------------ the core


def test_spend_without_gmv_counts_against_the_budget() -> None:
    spend_only = _actuals((PAST[0], "v0", "dou_plus", 20_000.0, NAN))
    plan = replan(ROSTER, CAMPAIGN, spend_only, REPLAN_DAY)
    assert plan.spent_to_date == 20_000.0
    assert plan.budget_left == 40_000.0
    assert _future(plan) <= 40_000.0 + 1.0
    assert plan.total_spend <= CAMPAIGN.budget + 1.0
    spent = [o for o in plan.orders if o.fixed and o.start_date == PAST[0]]
    assert [(o.video_id, o.tool, o.budget) for o in spent] == [("v0", Tool.DOU_PLUS, 20_000)]


def test_spend_without_gmv_is_left_out_of_learning() -> None:
    rows = _actuals((PAST[0], "v0", "dou_plus", 5_000.0, NAN),
                    (PAST[0], "v1", "dou_plus", 5_000.0, 1_000.0))
    updated = CAMPAIGN.model_copy(update={"plan_date": REPLAN_DAY})
    learning = learn(rows, assess_roster(ROSTER, updated), updated, REPLAN_DAY)
    assert {e.video_id for e in learning.estimates} == {"v1"}


def test_spend_without_gmv_shows_as_gmv_unknown_never_zero() -> None:
    rows = _actuals((PAST[0], "v0", "dou_plus", 5_000.0, NAN))
    line, = replan(ROSTER, CAMPAIGN, rows, REPLAN_DAY).plan_vs_actual
    assert (line.status, line.actual_spend, line.actual_gmv, line.actual_roi) == (
        "gmv_unknown", 5_000.0, None, None)
    assert line.counted_spend == 5_000.0


def test_an_unreported_planned_line_counts_as_spent_as_planned(first: Plan) -> None:
    plan = replan(ROSTER, CAMPAIGN, _actuals(), REPLAN_DAY, first)
    planned = sum(r.spend for r in first.daily if r.date < REPLAN_DAY)
    assert planned > 0
    assert {r.status for r in plan.plan_vs_actual} == {"unreported"}
    assert all(r.actual_spend is None and r.actual_gmv is None for r in plan.plan_vs_actual)
    assert plan.spent_to_date == pytest.approx(planned, abs=0.01)
    assert plan.spent_to_date + _future(plan) <= CAMPAIGN.budget + 1.0


def test_unreported_zero_takes_the_planned_lines_as_not_run(first: Plan) -> None:
    plan = replan(ROSTER, CAMPAIGN, _actuals(), REPLAN_DAY, first, unreported="zero")
    assert {r.status for r in plan.plan_vs_actual} == {"unreported"}
    assert plan.spent_to_date == 0.0 and plan.budget_left == CAMPAIGN.budget
    assert not [o for o in plan.orders if o.fixed and o.start_date < REPLAN_DAY]


def test_a_reported_line_is_not_counted_twice(first: Plan) -> None:
    line = next(r for r in first.daily if r.date == PAST[0])
    rows = _actuals((PAST[0], line.video_id, line.tool.value, 100.0, 300.0))
    plan = replan(ROSTER, CAMPAIGN, rows, REPLAN_DAY, first)
    report = {(r.date, r.video_id, r.tool): r for r in plan.plan_vs_actual}
    reported = report[(PAST[0], line.video_id, line.tool)]
    assert (reported.status, reported.counted_spend) == ("reported", 100.0)
    others = sum(r.spend for r in first.daily if r.date < REPLAN_DAY) - line.spend
    assert plan.spent_to_date == pytest.approx(100.0 + others, abs=0.01)


# Any mix of reported, spend-only and missing lines, either choice for the missing ones.
_LINES = st.lists(
    st.tuples(st.sampled_from(PAST), st.sampled_from([v.video_id for v in ROSTER]),
              st.sampled_from(["dou_plus", "uni_desk", "ad_feed"]),
              st.floats(0, 40_000, allow_nan=False).map(lambda x: round(x, 2)),
              st.one_of(st.just(NAN), st.floats(0, 200_000, allow_nan=False))),
    max_size=6, unique_by=lambda r: (r[0], r[1], r[2]))


@pytest.mark.slow
@settings(max_examples=25, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture,
                                 HealthCheck.too_slow])
@given(lines=_LINES, unreported=st.sampled_from(["planned", "zero"]),
       with_previous=st.booleans())
def test_recorded_spend_plus_planned_spend_never_exceeds_the_budget(
        first: Plan, lines: list[tuple[date, str, str, float, float]], unreported: str,
        with_previous: bool) -> None:
    rows = _actuals(*lines)
    previous = first if with_previous else None
    # The checker counts apart from the planner: every yuan the actuals show, and each
    # planned line of a past day they do not name at its planned spend.
    shown = {(d, v, tool) for d, v, tool, _, _ in lines}
    missing = sum(r.spend for r in first.daily if r.date < REPLAN_DAY
                  and (r.date, r.video_id, r.tool.value) not in shown) if previous else 0.0
    recorded = sum(s for *_, s, _ in lines) + (missing if unreported == "planned" else 0.0)
    try:
        plan = replan(ROSTER, CAMPAIGN, rows, REPLAN_DAY, previous,
                      unreported="zero" if unreported == "zero" else "planned")
    except InfeasibleError:
        assert recorded > CAMPAIGN.budget  # only money already spent can break the budget
        return
    assert plan.spent_to_date == pytest.approx(recorded, abs=0.05)
    assert plan.spent_to_date + _future(plan) <= CAMPAIGN.budget + 1.0
    assert plan.budget_left == pytest.approx(CAMPAIGN.budget - recorded, abs=0.05)


# ------------------------------------------------------------------ files and the store


def _campaign(tmp_path: Path, extra: str = "") -> Path:
    path = tmp_path / "campaign.toml"
    path.write_text((SAMPLE / "campaign_tmall.toml").read_text(encoding="utf-8") + extra,
                    encoding="utf-8")
    return path


def _replan(campaign: Path, actuals: list[Path], store: Path, day: str, out: Path,
            *extra: str):
    args = ["replan", "--campaign", str(campaign), "--videos", str(VIDEOS), "--date", day,
            "--store", str(store), "--out", str(out), "--lang", "en", *extra]
    for path in actuals:
        args += ["--actuals", str(path)]
    return runner.invoke(app, args)


def _read(out: Path) -> Plan:
    return Plan.model_validate(json.loads((out / "plan.json").read_text("utf-8")))


def test_an_ad_daily_report_alone_is_spent_and_never_planned_again(tmp_path: Path) -> None:
    """巨量广告 daily report, no GMV: its 3,000.00 yuan count, the plan leaves them alone."""
    report = write(tmp_path / "巨量广告日报.csv", AD_HEADER, AD_ROWS)
    campaign = _campaign(tmp_path, AD_GROUPS_TOML)
    result = _replan(campaign, [report], tmp_path / "h.sqlite", "2027-04-22", tmp_path / "out")
    assert result.exit_code == 0, result.output
    plan = _read(tmp_path / "out")
    assert plan.spent_to_date == 3_000.0
    assert plan.budget_left == plan.budget - 3_000.0
    assert _future(plan, date(2027, 4, 22)) <= plan.budget_left + 1.0
    assert {r.status for r in plan.plan_vs_actual} == {"gmv_unknown"}
    assert "spent to date" in result.output


@pytest.mark.slow
def test_a_replan_without_yesterdays_actuals_counts_its_planned_spend_and_says_so(
        tmp_path: Path) -> None:
    store, campaign = tmp_path / "h.sqlite", _campaign(tmp_path, AD_GROUPS_TOML)
    made = runner.invoke(app, ["plan", "--campaign", str(campaign), "--videos", str(VIDEOS),
                               "--out", str(tmp_path / "day0"), "--store", str(store)])
    assert made.exit_code == 0, made.output
    report = write(tmp_path / "ad_0421.csv", AD_HEADER, AD_ROWS)  # 04-21 only
    result = _replan(campaign, [report], store, "2027-04-23", tmp_path / "out")
    assert result.exit_code == 0, result.output
    yesterday = date(2027, 4, 22)
    planned = sum(r.spend for r in _read(tmp_path / "day0").daily if r.date == yesterday)
    plan = _read(tmp_path / "out")
    lines = [r for r in plan.plan_vs_actual if r.date == yesterday]
    assert planned > 0 and {r.status for r in lines} == {"unreported"}
    assert sum(r.counted_spend or 0 for r in lines) == pytest.approx(planned, abs=0.05)
    assert "no actuals file reports are counted as spent as planned" in result.output
    assert result.output.count("--unreported zero") == 1  # one warning, every line in it
    # --unreported zero: the same lines taken as not run.
    again = _replan(campaign, [report], store, "2027-04-23", tmp_path / "zero",
                    "--unreported", "zero")
    assert again.exit_code == 0, again.output
    assert "taken as not run" in again.output
    reported = sum(r.actual_spend or 0 for r in plan.plan_vs_actual)
    assert reported == 3_000.0  # the report's own spend, 04-21
    assert _read(tmp_path / "zero").spent_to_date == reported


@pytest.mark.slow
def test_a_gmv_file_of_a_later_morning_joins_the_spend_stored_without_gmv(
        tmp_path: Path) -> None:
    store, campaign = tmp_path / "h.sqlite", _campaign(tmp_path)
    orders = write(tmp_path / "dou_plus.csv", DOU_PLUS_HEADER, DOU_PLUS_ROWS)
    first = _replan(campaign, [orders], store, "2027-04-22", tmp_path / "a")
    assert first.exit_code == 0, first.output
    shop = write(tmp_path / "shop.csv", SHOP_HEADER, SHOP_ROWS, encoding="gbk")
    second = _replan(campaign, [shop], store, "2027-04-23", tmp_path / "b")
    assert second.exit_code == 0, second.output
    assert "joined to the Dou+ spend stored earlier without GMV" in second.output
    db = sqlite3.connect(store)
    try:
        stored = db.execute("SELECT spend, gmv FROM actuals").fetchall()
        audited = db.execute("SELECT COUNT(*) FROM actuals_audit").fetchone()
    finally:
        db.close()
    assert stored == [(798.2, 1520.0)] and audited == (1,)
    line = next(r for r in _read(tmp_path / "b").plan_vs_actual if r.video_id == "v0012")
    assert (line.status, line.actual_gmv) == ("reported", 1520.0)
    # The spend-only file given again later never wipes the joined GMV.
    third = _replan(campaign, [orders], store, "2027-04-23", tmp_path / "c")
    assert third.exit_code == 0, third.output
    db = sqlite3.connect(store)
    try:
        assert db.execute("SELECT spend, gmv FROM actuals").fetchall() == [(798.2, 1520.0)]
    finally:
        db.close()


@pytest.mark.slow
def test_plan_vs_actual_sheet_says_gmv_unknown_in_words(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    orders = write(tmp_path / "dou_plus.csv", DOU_PLUS_HEADER, DOU_PLUS_ROWS)
    args = ["replan", "--campaign", str(_campaign(tmp_path)), "--videos", str(VIDEOS),
            "--date", "2027-04-22", "--store", str(tmp_path / "h.sqlite"), "--out",
            str(tmp_path / "out"), "--actuals", str(orders)]
    assert runner.invoke(app, args).exit_code == 0
    book = load_workbook(tmp_path / "out" / "plan.xlsx", read_only=True)
    try:
        rows = list(book["计划对比实际"].iter_rows(values_only=True))
    finally:
        book.close()
    header, line = rows[0], rows[1]
    assert line[header.index("实际成交额（元）")] == "成交额未知"
    assert line[header.index("状态")] == "成交额未知"
    assert line[header.index("计入预算（元）")] == 798.2


def test_a_batch_manifest_takes_several_actuals_files_per_campaign(tmp_path: Path) -> None:
    manifest = tmp_path / "portfolio.toml"
    manifest.write_text(
        '[[campaigns]]\nname = "a"\ncampaign = "c.toml"\nvideos = "v.csv"\n'
        'store = "a.sqlite"\nactuals = ["dou_plus_{yesterday}.csv", "shop_{yesterday}.csv"]\n'
        '[[campaigns]]\nname = "b"\ncampaign = "c.toml"\nvideos = "v.csv"\n'
        'store = "b.sqlite"\nactuals = "exports/b_{yesterday}.csv"\n', encoding="utf-8")
    a, b = read_manifest(manifest, date(2027, 4, 22), tmp_path / "out")
    assert a.actuals_files == [tmp_path / "dou_plus_2027-04-21.csv",
                               tmp_path / "shop_2027-04-21.csv"]
    assert b.actuals_files == [tmp_path / "exports" / "b_2027-04-21.csv"]
    assert b.actuals == tmp_path / "exports" / "b_2027-04-21.csv"  # the single-file key


@pytest.mark.slow
def test_a_batch_campaign_replans_from_the_actuals_files_that_exist(tmp_path: Path) -> None:
    from planner.jobs.batch import run_campaign

    (tmp_path / "c.toml").write_text(_campaign(tmp_path).read_text("utf-8"), encoding="utf-8")
    write(tmp_path / "dou_plus_2027-04-21.csv", DOU_PLUS_HEADER, DOU_PLUS_ROWS)
    manifest = tmp_path / "portfolio.toml"
    manifest.write_text(
        f'[[campaigns]]\nname = "a"\ncampaign = "c.toml"\nvideos = "{VIDEOS.as_posix()}"\n'
        'store = "a.sqlite"\nactuals = ["dou_plus_{yesterday}.csv", "shop_{yesterday}.csv"]\n',
        encoding="utf-8")
    task, = read_manifest(manifest, date(2027, 4, 22), tmp_path / "out")
    result = run_campaign(task)
    assert (result.status, result.exit_code) == ("replanned", 0), result.message
    assert "shop_2027-04-21.csv" in result.message
    assert _read(tmp_path / "out" / "a").spent_to_date == 798.2


# ------------------------------------------------------------------ inspect


def test_inspect_help_keeps_ad_groups_in_its_text() -> None:
    result = runner.invoke(app, ["inspect", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    assert "[ad_groups]" in result.output


def test_inspect_without_a_campaign_calls_a_post_after_today_scheduled(tmp_path: Path) -> None:
    later = (date.today() + timedelta(days=30)).isoformat()
    roster = tmp_path / "videos.csv"
    lines = VIDEOS.read_text("utf-8").splitlines()
    header = lines[0].split(",")
    first = lines[1].split(",")
    first[header.index("publish_date")] = later
    roster.write_text("\n".join([lines[0], ",".join(first)]) + "\n", encoding="utf-8")
    result = runner.invoke(app, ["inspect", str(roster), "--lang", "en", "--rows", "1"])
    assert result.exit_code == 0, result.output
    preview = result.output.split("\n")[-3:]
    assert any("scheduled" in line for line in preview), result.output
