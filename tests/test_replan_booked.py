"""Booked one-shot orders across days: `planner plan --store`, then `planner replan`.

The sample 618 plan (made on 2027-04-20) locks content service for v0022 over the
sale, 2027-05-31 to 06-18, to be booked by 05-01 (30 days ahead); the actuals of
the sale's first day show that order spending, and the buyer re-plans on 06-01.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from planner import i18n
from planner.cli import app
from planner.models import Order, Plan
from planner.tools import Tool

SAMPLE = Path(__file__).resolve().parents[1] / "sample_data"
CAMPAIGN = SAMPLE / "campaign_tmall.toml"
VIDEOS = SAMPLE / "videos.csv"
BOOKED = ("v0022", date(2027, 5, 31), date(2027, 6, 18))
LOCKED_ON = date(2027, 5, 1)
REPLAN_ON = "2027-06-01"
ACTUALS = (
    "date,video_id,tool,spend,gmv,plays\n"
    "2027-05-31,v0022,content_service,7143,15000,300000\n"
    "2027-05-31,v0012,ad_feed,1000,1500,50000\n"
)


def _plan(out: Path, store: Path | None) -> None:
    args = ["plan", "--campaign", str(CAMPAIGN), "--videos", str(VIDEOS), "--out", str(out)]
    if store is not None:
        args += ["--store", str(store)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output


def _live_roster(folder: Path) -> Path:
    """The roster as the buyer keeps it on the re-plan day: the head-KOL posts scheduled in
    May are live by then, with their 星图 figures filled in."""
    rows = VIDEOS.read_text("utf-8").splitlines()
    live = []
    for row in rows:
        cells = row.split(",")
        if cells[5] == "" and cells[0] != "video_id":
            plays = int(cells[3])
            cells[5:9] = [str(plays), f"{plays * 0.08:.2f}", str(plays // 20), str(plays // 500)]
        live.append(",".join(cells))
    path = folder / "videos_live.csv"
    path.write_text("\n".join(live) + "\n", encoding="utf-8")
    return path


def _replan(actuals: Path, store: Path, out: Path, day: str = REPLAN_ON):
    return CliRunner().invoke(app, [
        "replan", "--campaign", str(CAMPAIGN), "--videos", str(_live_roster(actuals.parent)),
        "--actuals",
        str(actuals), "--date", day, "--store", str(store), "--out", str(out)])


def _read(out: Path) -> Plan:
    return Plan.model_validate(json.loads((out / "plan.json").read_text("utf-8")))


def _booked_order(plan: Plan) -> Order:
    video, start, end = BOOKED
    order, = [o for o in plan.orders if o.video_id == video
              and o.tool is Tool.CONTENT_SERVICE and (o.start_date, o.end_date) == (start, end)]
    return order


def _booked_budget(plan: Plan) -> float:
    return _booked_order(plan).budget


def _rows(store: Path, sql: str) -> list[tuple[object, ...]]:
    db = sqlite3.connect(store)
    try:
        return db.execute(sql).fetchall()
    finally:
        db.close()


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample plan made once with ``--store``: its outputs in day0/, its store beside."""
    folder = tmp_path_factory.mktemp("recorded")
    with pytest.MonkeyPatch.context() as env:  # as tests/conftest.py sets each test up
        env.delenv(i18n.ENV_VAR, raising=False)
        env.setenv(i18n.STRICT_ENV_VAR, "1")
        _plan(folder / "day0", folder / "history.sqlite")
    return folder


@pytest.fixture()
def day0(recorded: Path, tmp_path: Path) -> Path:
    """This test's own copy of the recorded plan (tmp_path/day0) and store; the store."""
    shutil.copytree(recorded / "day0", tmp_path / "day0")
    store = tmp_path / "history.sqlite"
    source, copy = sqlite3.connect(recorded / "history.sqlite"), sqlite3.connect(store)
    try:
        source.backup(copy)  # the whole database, its write-ahead log included
    finally:
        source.close()
        copy.close()
    return store


@pytest.fixture()
def actuals(tmp_path: Path) -> Path:
    path = tmp_path / "actuals_0421.csv"
    path.write_text(ACTUALS, encoding="utf-8")
    return path


@pytest.mark.slow
def test_plan_with_store_records_the_plan_as_a_replan_does(tmp_path: Path, day0: Path) -> None:
    store = day0
    plan = _read(tmp_path / "day0")
    (version, plan_date, plan_json), = _rows(store, "SELECT id, plan_date, plan_json FROM plans")
    assert plan_date == "2027-04-20" and Plan.model_validate_json(plan_json) == plan
    orders = _rows(store, "SELECT video_id, tool, start_date, end_date, budget, status "
                          f"FROM orders WHERE plan_id = {version} ORDER BY position")
    assert len(orders) == len(plan.orders)
    assert ("v0022", "content_service", "2027-05-31", "2027-06-18", _booked_budget(plan),
            "planned") in orders  # to book by 05-01, not yet


@pytest.mark.slow
def test_a_booked_content_service_order_runs_whole_through_the_next_replan(
    tmp_path: Path, actuals: Path, day0: Path
) -> None:
    store = day0
    result = _replan(actuals, store, tmp_path / "day2")
    assert result.exit_code == 0, result.output
    plan = _read(tmp_path / "day2")
    video, start, end = BOOKED
    budget = _booked_budget(_read(tmp_path / "day0"))
    kept = [o for o in plan.orders if o.video_id == video and o.tool is Tool.CONTENT_SERVICE
            and o.start_date <= end]
    assert [(o.start_date, o.end_date, o.budget, o.booking_date, o.fixed) for o in kept] == [
        (start, end, budget, LOCKED_ON, True)]
    # Its first day sold at ROI 2.1, below the plan's estimate: kept, and revalued.
    assert [r.code for r in kept[0].reasons] == ["commitment_fixed", "commitment_revalued"]
    # Exclusive with Dou+: nothing on that video inside the window, from the re-plan on.
    assert not [r for r in plan.daily if r.video_id == video and r.tool is Tool.DOU_PLUS
                and start <= r.date <= end]
    # Kept exactly as booked: not reported as a change.
    assert not [c for c in plan.changes if c.video_id == video
                and c.tool is Tool.CONTENT_SERVICE]


@pytest.mark.slow
def test_content_service_spend_without_a_booked_order_exits_2_and_writes_nothing(
    tmp_path: Path, actuals: Path, english: None
) -> None:
    _plan(tmp_path / "day0", store=None)  # not recorded: the store never saw the booking
    store = tmp_path / "history.sqlite"
    result = _replan(actuals, store, tmp_path / "day2")
    assert result.exit_code == 2
    assert "InputError" in result.output and "Traceback" not in result.output
    assert ("Content service spend of 7,143 yuan on video 'v0022' on 2027-05-31 matches no "
            "booked order") in result.output
    assert "record the plan with --store" in result.output
    assert "add the order under [[commitments]]" in result.output
    assert not (tmp_path / "day2").exists()
    assert _rows(store, "SELECT COUNT(*) FROM actuals") == [(0,)]
    assert _rows(store, "SELECT COUNT(*) FROM plans") == [(0,)]


@pytest.mark.slow
def test_a_content_service_commitment_in_the_campaign_file_matches_its_spend(
    tmp_path: Path, actuals: Path
) -> None:
    video, start, end = BOOKED
    budget = 200_000.0
    campaign = tmp_path / "campaign.toml"
    campaign.write_text(
        CAMPAIGN.read_text("utf-8") + f'\n[[commitments]]\nvideo_id = "{video}"\n'
        f'tool = "content_service"\nstart = {start}\nend = {end}\nbudget = {budget:.0f}\n',
        encoding="utf-8")
    result = CliRunner().invoke(app, [
        "replan", "--campaign", str(campaign), "--videos", str(_live_roster(tmp_path)),
        "--actuals",
        str(actuals), "--date", REPLAN_ON, "--store", str(tmp_path / "h.sqlite"),
        "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    kept = [o for o in _read(tmp_path / "out").orders
            if o.video_id == video and o.tool is Tool.CONTENT_SERVICE and o.fixed]
    assert [(o.start_date, o.end_date, o.budget) for o in kept] == [(start, end, budget)]


@pytest.mark.slow
def test_replaying_the_same_day_gives_the_same_plan_and_store_rows(
    tmp_path: Path, actuals: Path, day0: Path
) -> None:
    store = day0
    first = _replan(actuals, store, tmp_path / "a")
    assert first.exit_code == 0, first.output
    actual_rows = _rows(store, "SELECT date, video_id, tool, spend, gmv FROM actuals")
    again = _replan(actuals, store, tmp_path / "b")
    assert again.exit_code == 0, again.output
    one, two = _read(tmp_path / "a"), _read(tmp_path / "b")
    assert (one.orders, one.daily, one.changes, one.topups, one.plan_vs_actual) == (
        two.orders, two.daily, two.changes, two.topups, two.plan_vs_actual)
    assert _rows(store, "SELECT date, video_id, tool, spend, gmv FROM actuals") == actual_rows
    versions = _rows(store, "SELECT id FROM plans WHERE plan_date = '2027-06-01'")
    assert len(versions) == 2  # each run is a new version of the same day's plan...
    per_version = [
        _rows(store, f"SELECT position, video_id, tool, start_date, end_date, booking_date, "
                     f"budget, status FROM orders WHERE plan_id = {plan_id} ORDER BY position")
        for (plan_id,) in versions
    ]
    assert per_version[0] == per_version[1]  # ...with the same orders


@pytest.mark.slow
def test_plan_vs_actual_reports_each_day_against_the_plan_in_force(
    tmp_path: Path, actuals: Path, day0: Path
) -> None:
    store = day0
    day0 = _read(tmp_path / "day0")
    assert day0.plan_vs_actual == []  # a fresh plan has no days behind it
    assert _replan(actuals, store, tmp_path / "day2").exit_code == 0
    report = {(r.date, r.video_id, r.tool): r for r in _read(tmp_path / "day2").plan_vs_actual}
    day1 = date(2027, 5, 31)
    # Every day before the re-plan is reported; the sale's first day has the actuals.
    assert max(d for d, _, _ in report) == day1
    assert {d for d, _, _ in report} == {r.date for r in day0.daily if r.date <= day1}
    planned = {(r.video_id, r.tool): r for r in day0.daily if r.date == day1}
    assert {(v, t) for d, v, t in report if d == day1} == set(planned) | {
        ("v0022", Tool.CONTENT_SERVICE), ("v0012", Tool.AD_FEED)}
    cs = report[(day1, "v0022", Tool.CONTENT_SERVICE)]
    assert cs.planned_on == date(2027, 4, 20)  # the plan in force: day 0's
    assert cs.planned_spend == pytest.approx(planned[("v0022", Tool.CONTENT_SERVICE)].spend)
    assert (cs.actual_spend, cs.actual_gmv) == (7143, 15000)
    assert cs.actual_roi == pytest.approx(15000 / 7143, abs=1e-4)
    assert cs.planned_roi == pytest.approx(cs.planned_gmv / cs.planned_spend, abs=1e-4)
    # A planned line the actuals do not name is unreported: counted as spent as planned.
    unspent = next(r for r in report.values() if r.date == day1 and r.status == "unreported")
    assert unspent.planned_spend > 0 and unspent.actual_roi is None
    assert unspent.actual_spend is None and unspent.counted_spend == unspent.planned_spend
    # The same rows, as the buyer's daily report in the workbook.
    from openpyxl import load_workbook

    book = load_workbook(tmp_path / "day2" / "plan.xlsx", read_only=True)
    try:
        rows = list(book["计划对比实际"].iter_rows(values_only=True))
    finally:
        book.close()
    assert rows[0][:6] == ("日期", "视频ID", "达人", "工具", "计划花费（元）", "实际花费（元）")
    assert len(rows) == len(report) + 1


def test_each_day_is_compared_with_the_latest_plan_made_on_or_before_it() -> None:
    import pandas as pd

    from planner.models import DailySpend
    from planner.replan import plan_vs_actual

    d0, d1, d2, d3 = (date(2027, 4, 20 + i) for i in range(4))

    def row(day: date, spend: float) -> DailySpend:
        return DailySpend(date=day, video_id="v1", tool=Tool.DOU_PLUS, spend=spend,
                          expected_gmv=2 * spend)

    planned = {d0: [row(d1, 1000), row(d2, 1000)], d2: [row(d2, 400)]}
    actuals = pd.DataFrame([
        {"date": d1, "video_id": "v1", "tool": "dou_plus", "spend": 900.0, "gmv": 450.0},
        {"date": d2, "video_id": "v1", "tool": "dou_plus", "spend": 400.0, "gmv": 1200.0},
    ])
    rows = plan_vs_actual(planned, actuals, d3)
    assert [(r.date, r.planned_on, r.planned_spend, r.actual_spend) for r in rows] == [
        (d1, d0, 1000, 900), (d2, d2, 400, 400)]
    assert [(r.planned_roi, r.actual_roi) for r in rows] == [(2.0, 0.5), (2.0, 3.0)]


def _booked_days_at(tmp_path: Path, name: str, roi: float | None) -> Plan:
    """Re-plan on 06-03 after the booked order's first three days sold at ``roi`` (None:
    as the plan expected)."""
    store, folder = tmp_path / f"{name}.sqlite", tmp_path / name
    folder.mkdir()
    _plan(folder / "plan", store)
    order = _booked_order(_read(folder / "plan"))
    per_day = order.budget / ((order.end_date - order.start_date).days + 1)
    gmv = per_day * (order.expected_gmv / order.budget if roi is None else roi)
    rows = "".join(f"2027-{day},v0022,content_service,{per_day:.2f},{gmv:.2f},300000\n"
                   for day in ("05-31", "06-01", "06-02"))
    actuals = folder / "actuals.csv"
    actuals.write_text("date,video_id,tool,spend,gmv,plays\n" + rows, encoding="utf-8")
    result = CliRunner().invoke(app, [
        "replan", "--campaign", str(CAMPAIGN), "--videos", str(_live_roster(folder)),
        "--actuals", str(actuals), "--date", "2027-06-03", "--store", str(store),
        "--out", str(folder / "replan"), "--unreported", "zero"])
    assert result.exit_code == 0, result.output
    return _read(folder / "replan")


@pytest.mark.slow
def test_a_booked_order_that_sells_below_its_estimate_is_revalued_and_reported_as_a_loss(
        tmp_path: Path) -> None:
    """Three days at ROI 1.0 on a lock-in the plan valued far higher: the order stays booked
    (one-shot), its remaining value falls, and the headline does not rise on bad news."""
    as_planned = _booked_days_at(tmp_path, "as_planned", None)
    flop = _booked_days_at(tmp_path, "flop", 1.0)
    kept, fell = _booked_order(as_planned), _booked_order(flop)
    assert fell.budget == kept.budget  # still booked, whole
    assert fell.expected_gmv < kept.expected_gmv
    assert flop.expected_gmv <= as_planned.expected_gmv
    loss = [r for r in fell.reasons if r.code == "commitment_revalued"]
    assert loss and loss[0].params is not None and loss[0].params["form"] == "loss"
