"""Daily re-planning: a 10-day replay against a seeded simulator, and the store's promises."""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest

from planner.errors import InputError
from planner.io.campaign_file import read_campaign
from planner.io.store import open_store
from planner.jobs.replan import run_replan
from planner.models import Plan
from planner.simulate import make_world, realised_gmv, simulate_day
from planner.synthetic import generate_roster
from planner.tools import CHAIN_TOOLS, Tool

START = date(2027, 4, 21)
DAYS = 10
CAMPAIGN_TOML = f"""
name = "replay"
chain = "tmall"
start = {START}
end = {START + timedelta(days=DAYS - 1)}
plan_date = {START}
budget = 150000
roi_floor = 1.2

# KOL bidding's volume (millions a video) would let three videos take the whole budget:
# the replay is about learning which of many videos sell, so it is bounded by reach here.
[bidding]
volume = 0
"""
ACTUAL_COLUMNS = ["date", "video_id", "tool", "spend", "gmv", "plays"]


@pytest.fixture(scope="module")
def world_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("replay")
    videos = generate_roster(30, seed=11, plan_date=START)
    pd.DataFrame([v.model_dump() for v in videos]).to_csv(root / "videos.csv", index=False)
    (root / "campaign.toml").write_text(CAMPAIGN_TOML, encoding="utf-8")
    return {"root": root, "videos": root / "videos.csv", "campaign": root / "campaign.toml"}


def _write_actuals(path: Path, frame: pd.DataFrame) -> Path:
    frame.reindex(columns=ACTUAL_COLUMNS).to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def replay(world_files: dict[str, Path]) -> dict[str, object]:
    """Run the campaign day by day: plan, 'spend' it in the simulator, re-plan tomorrow."""
    root = world_files["root"]
    campaign = read_campaign(world_files["campaign"])
    from planner.io.roster import read_videos

    videos, _ = read_videos(world_files["videos"])
    world = make_world(videos, seed=5)
    store = root / "history.sqlite"
    yesterday = pd.DataFrame(columns=ACTUAL_COLUMNS)
    plans: list[Plan] = []
    every_actual: list[pd.DataFrame] = []
    for i in range(DAYS):
        day = START + timedelta(days=i)
        actuals_file = _write_actuals(root / f"actuals_{day}.csv", yesterday)
        outcome = run_replan(world_files["campaign"], world_files["videos"], actuals_file, day,
                             store, root / f"out_{day}")
        plans.append(outcome.plan)
        yesterday = simulate_day(outcome.plan.daily, day, videos, campaign, world)
        every_actual.append(yesterday)
    # The plan that never learns: day one's plan carried out as written.
    static = pd.concat(
        [simulate_day(plans[0].daily, START + timedelta(days=i), videos, campaign, world)
         for i in range(DAYS)]
    )
    return {"plans": plans, "actuals": pd.concat(every_actual), "static": static,
            "store": store, "campaign": campaign, "root": root}


@pytest.mark.slow
def test_every_replan_keeps_spend_within_budget(replay):
    for plan in replay["plans"]:
        assert plan.total_spend <= plan.budget + 1e-6


@pytest.mark.slow
def test_every_replan_fixes_what_was_already_spent(replay):
    actuals = replay["actuals"]
    for i, plan in enumerate(replay["plans"]):
        day = START + timedelta(days=i)
        past = actuals[(actuals["date"] < day) & (actuals["tool"] != "content_service")]
        fixed = sum(o.budget for o in plan.orders
                    if o.fixed and o.tool is not Tool.CONTENT_SERVICE)
        assert fixed == pytest.approx(past["spend"].sum(), abs=1.0)
        # Content service booked by the previous plan stays exactly as booked (one-shot).
        if i > 0:
            booked = {(o.video_id, o.start_date, o.end_date, o.budget)
                      for o in replay["plans"][i - 1].orders
                      if o.tool is Tool.CONTENT_SERVICE and o.booking_date < day}
            kept = {(o.video_id, o.start_date, o.end_date, o.budget)
                    for o in plan.orders if o.fixed and o.tool is Tool.CONTENT_SERVICE}
            assert kept == booked
        # Nothing new is bought for a day that has passed.
        assert all(r.date >= day for r in plan.daily
                   if not any(o.fixed and o.video_id == r.video_id and o.tool is r.tool
                              and o.start_date <= r.date <= o.end_date for o in plan.orders))


@pytest.mark.slow
def test_every_replan_respects_the_rules(replay):
    campaign = replay["campaign"]
    for i, plan in enumerate(replay["plans"]):
        day = START + timedelta(days=i)
        assert {r.tool for r in plan.daily} <= set(CHAIN_TOOLS[campaign.chain])
        per_cell: dict[tuple[str, Tool, date], float] = defaultdict(float)
        for r in plan.daily:
            if r.date >= day:
                per_cell[(r.video_id, r.tool, r.date)] += r.spend
        for (_, tool, _), spend in per_cell.items():
            if tool is not Tool.CONTENT_SERVICE:
                assert spend >= campaign.tools[tool].min_order - 1e-6
        cs = {(v, d) for (v, t, d) in per_cell if t is Tool.CONTENT_SERVICE}
        dp = {(v, d) for (v, t, d) in per_cell if t is Tool.DOU_PLUS}
        assert not cs & dp


@pytest.mark.slow
def test_store_holds_exactly_one_row_per_actual(replay):
    with open_store(replay["store"]) as store:
        stored = store.actuals("replay")
    last_day = START + timedelta(days=DAYS - 1)  # its actuals arrive after the campaign
    ingested = replay["actuals"][replay["actuals"]["date"] < last_day]
    assert len(stored) == len(ingested)
    assert not stored.duplicated(["date", "video_id", "tool"]).any()
    assert stored["spend"].sum() == pytest.approx(ingested["spend"].sum())


@pytest.mark.slow
def test_learning_beats_the_plan_that_never_updates(replay):
    learned, static = realised_gmv(replay["actuals"]), realised_gmv(replay["static"])
    spent_learned = replay["actuals"]["spend"].sum()
    spent_static = replay["static"]["spend"].sum()
    assert spent_learned <= spent_static * 1.01 + 1.0
    assert learned > static * 1.05, (learned, static)


@pytest.mark.slow
def test_rerunning_a_day_gives_the_same_plan(replay, world_files):
    day = START + timedelta(days=4)
    actuals_file = replay["root"] / f"actuals_{day}.csv"
    again = run_replan(world_files["campaign"], world_files["videos"], actuals_file, day,
                       replay["store"], replay["root"] / "rerun")
    first = replay["plans"][4]
    assert again.ingested["added"] == 0 and again.ingested["replaced"] == 0
    assert again.plan.orders == first.orders
    assert again.plan.daily == first.daily
    assert again.plan.changes == first.changes


@pytest.mark.slow
def test_diff_names_what_changed_with_reasons(replay):
    later = [p for p in replay["plans"][1:] if p.changes]
    assert later, "the learner should change something over ten days"
    kinds = {c.kind for p in later for c in p.changes}
    assert kinds & {"increased", "decreased", "added", "removed"}
    assert all(c.reason.text for p in later for c in p.changes)


def _one_video_files(tmp_path: Path, world_files: dict[str, Path]) -> tuple[Path, Path]:
    return world_files["campaign"], world_files["videos"]


@pytest.mark.slow
def test_ingest_is_idempotent_and_restatements_are_audited(tmp_path, world_files, any_store):
    campaign, videos = _one_video_files(tmp_path, world_files)
    from planner.io.roster import read_videos

    roster, _ = read_videos(videos)
    video_id = roster[0].video_id
    row = {"date": START, "video_id": video_id, "tool": "dou_plus", "spend": 1000.0,
           "gmv": 2500.0, "plays": 50000}
    first = _write_actuals(tmp_path / "a.csv", pd.DataFrame([row]))
    day = START + timedelta(days=1)
    store = any_store
    one = run_replan(campaign, videos, first, day, store, None)
    two = run_replan(campaign, videos, first, day, store, None)
    assert one.ingested["added"] == 1 and two.ingested == {"added": 0, "replaced": 0,
                                                          "unchanged": 1}
    restated = _write_actuals(tmp_path / "b.csv", pd.DataFrame([{**row, "gmv": 900.0}]))
    three = run_replan(campaign, videos, restated, day, store, None)
    assert three.ingested["replaced"] == 1
    with open_store(store) as s:
        stored = s.actuals("replay")
        assert len(stored) == 1 and stored["gmv"].iloc[0] == 900.0
        assert s.audit_rows("replay") == 1


def test_invalid_actuals_change_nothing(tmp_path, world_files, english):
    campaign, videos = _one_video_files(tmp_path, world_files)
    bad = tmp_path / "bad.csv"
    bad.write_text("date,video_id,tool,spend,gmv,plays\n2027-04-21,nope,dou_plus,10,20,30\n",
                   encoding="utf-8")
    store = tmp_path / "h.sqlite"
    with pytest.raises(InputError, match="not in the videos file"):
        run_replan(campaign, videos, bad, START + timedelta(days=1), store, tmp_path / "out")
    assert not (tmp_path / "out").exists()
    assert not store.exists() or sqlite3.connect(store).execute(
        "SELECT COUNT(*) FROM actuals").fetchone()[0] == 0


@pytest.mark.slow
def test_dry_run_keeps_nothing(tmp_path, world_files, any_store):
    campaign, videos = _one_video_files(tmp_path, world_files)
    from planner.io.roster import read_videos

    roster, _ = read_videos(videos)
    row = {"date": START, "video_id": roster[0].video_id, "tool": "dou_plus", "spend": 500.0,
           "gmv": 900.0, "plays": 25000}
    actuals = _write_actuals(tmp_path / "a.csv", pd.DataFrame([row]))
    store = any_store
    outcome = run_replan(campaign, videos, actuals, START + timedelta(days=1), store,
                         tmp_path / "out", dry_run=True)
    assert outcome.ingested["added"] == 1 and outcome.written == {}
    assert not (tmp_path / "out").exists()
    with open_store(store) as s:
        assert len(s.actuals("replay")) == 0 and s.plan_count("replay") == 0


def test_actuals_on_or_after_the_replan_date_are_refused(tmp_path, world_files, english):
    campaign, videos = _one_video_files(tmp_path, world_files)
    from planner.io.roster import read_videos

    roster, _ = read_videos(videos)
    row = {"date": START + timedelta(days=3), "video_id": roster[0].video_id,
           "tool": "dou_plus", "spend": 500.0, "gmv": 900.0, "plays": 25000}
    actuals = _write_actuals(tmp_path / "a.csv", pd.DataFrame([row]))
    with pytest.raises(InputError, match="cannot be known"):
        run_replan(campaign, videos, actuals, START + timedelta(days=3), tmp_path / "h.sqlite",
                   None)


@pytest.mark.slow
def test_replan_workbook_has_changes_and_kpi_sheets(replay):
    from openpyxl import load_workbook

    day = START + timedelta(days=5)
    workbook = load_workbook(replay["root"] / f"out_{day}" / "plan.xlsx", read_only=True)
    try:
        names = workbook.sheetnames
        # Named and headed from the catalogue like the built-in sheets (Chinese by default).
        assert {"调整", "追投", "学习后ROI", "KPI（按视频）", "KPI（按工具）",
                "KPI（按日期）"} <= set(names)
        rows = list(workbook["KPI（按工具）"].iter_rows(values_only=True))
        assert len(rows) >= 2 and "流量ROI" in rows[0] and "点击率 %" in rows[0]
        assert rows[0][0] == "工具" and {r[0] for r in rows[1:]} <= {
            "DOU+", "内容服务", "达人竞价", "随心推", "千川", "信息流", "UD"}
        learned = list(workbook["学习后ROI"].iter_rows(values_only=True))
        assert learned[0] == ("视频ID", "工具", "花费（元）", "成交额（元）", "先验ROI",
                              "实际ROI", "学习后ROI")
    finally:
        workbook.close()


@pytest.mark.slow
def test_replan_sheets_are_named_in_english_with_lang_en(replay, english) -> None:
    from planner.jobs.replan import replan_frames

    day = START + timedelta(days=5)
    plan = Plan.model_validate_json(
        (replay["root"] / f"out_{day}" / "plan.json").read_text(encoding="utf-8"))
    frames = replan_frames(plan)
    assert list(frames) == ["Changes", "Top-ups", "Learned ROI"]
