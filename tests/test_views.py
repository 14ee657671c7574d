"""The front-end helpers in planner.views, without Streamlit."""

from __future__ import annotations

import io
import json
from dataclasses import replace
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from factories import make_campaign, make_video
from planner.config import Campaign, campaign_from_dict
from planner.errors import ConfigError, InputError
from planner.i18n import money
from planner.io.campaign_file import campaign_toml, read_campaign
from planner.io.plan_files import csv_bytes, write_csv
from planner.io.roster import read_videos
from planner.models import Plan, PlanVsActual, Video
from planner.planning import make_plan, score_roster
from planner.replan import replan
from planner.sweep import TargetResult, budget_curve, min_budget_for
from planner.tools import CHAIN_TOOLS, LIVE_ROOM_TOOLS, Tool
from planner.views.campaign_form import (
    campaign_dict_from_form,
    campaign_to_dict,
    canonical_json,
    fingerprint,
    form_defaults,
)
from planner.views.labels import (
    display_name,
    kol_names,
    money_text,
    read_money,
    tool_label,
    yuan,
)
from planner.views.plan import (
    ORDER_COLUMNS,
    daily_by_tool,
    headline,
    orders_frame,
    per_video,
    per_video_long,
    roi_against_floor,
    schedule_view,
)
from planner.views.replan import (
    CHANGE_COLUMNS,
    LEARNED_COLUMNS,
    TOPUP_COLUMNS,
    changes_frame,
    default_replan_date,
    describe_actuals,
    ingest_metrics,
    kpi_frame,
    learned_frame,
    replan_date_bounds,
    resolve_store,
    store_folder,
    store_urls,
    topups_frame,
)
from planner.views.videos import ROSTER_COLUMNS, filter_roster, roster_frame, why_not_eligible
from planner.views.whatif import (
    CURVE_TABLE_COLUMNS,
    MAX_CURVE_POINTS,
    budget_range,
    curve_table,
    default_budget_range,
    target_metrics,
)

SAMPLE = Path(__file__).resolve().parent.parent / "sample_data"

# Written against English words: PLANNER_LANG=en (Chinese names: tests/test_i18n.py).
pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture(scope="module")
def tmall() -> Campaign:
    return read_campaign(SAMPLE / "campaign_tmall.toml")


@pytest.fixture(scope="module")
def closed_loop() -> Campaign:
    return read_campaign(SAMPLE / "campaign_closed_loop.toml")


@pytest.fixture(scope="module")
def videos(tmall: Campaign) -> list[Video]:
    roster, _ = read_videos(SAMPLE / "videos.csv", plan_date=tmall.effective_plan_date)
    return roster


@pytest.fixture(scope="module")
def plan(videos: list[Video], tmall: Campaign) -> Plan:
    return make_plan(videos, tmall)


def test_tool_labels_name_each_tool_once_in_the_language_shown(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert tool_label(Tool.CONTENT_SERVICE) == "Content service"
    assert tool_label("dou_plus") == "Dou+"
    assert tool_label(Tool.UNI_DESK) == "UD"
    monkeypatch.delenv("PLANNER_LANG")
    assert tool_label(Tool.CONTENT_SERVICE) == "内容服务"
    assert tool_label("dou_plus") == "DOU+"


def test_headline_lists_the_six_figures_of_the_plan(plan: Plan) -> None:
    metrics = {m.label: m for m in headline(plan)}
    assert list(metrics) == [
        "Spend", "Expected GMV", "Expected ROI", "Seeding share", "Solver status", "Unspent",
    ]
    # Large amounts at a glance; the exact yuan in the help.
    assert metrics["Spend"].value == money(plan.total_spend)
    assert f"¥{plan.total_spend:,.0f}" in metrics["Spend"].help
    assert metrics["Expected GMV"].value == money(plan.expected_gmv)
    assert f"¥{plan.expected_gmv:,.0f}" in metrics["Expected GMV"].help
    assert metrics["Expected ROI"].value == f"{plan.expected_roi:.2f}"
    assert metrics["Solver status"].value == plan.status
    assert metrics["Solver status"].delta == f"gap {plan.gap:.3%}"
    assert metrics["Unspent"].value == money(plan.unspent)


def test_orders_frame_has_one_row_per_order_with_names_and_reasons(
    plan: Plan, videos: list[Video]
) -> None:
    frame = orders_frame(plan.orders, kol_names(videos))
    assert list(frame.columns) == list(ORDER_COLUMNS)
    assert len(frame) == len(plan.orders) > 0
    booked = frame[frame["fixed"]]
    assert booked["video_id"].tolist() == ["v0012"]
    assert booked["kol_name"].tolist() == ["橙不熬夜"]
    # The reason's sentence, without its code (codes stay in plan.json).
    assert booked["reasons"].iloc[0].startswith("already booked: 3,000 yuan")
    assert frame["budget"].sum() == pytest.approx(plan.total_spend)


def test_orders_frame_of_no_orders_keeps_its_columns() -> None:
    frame = orders_frame([], {})
    assert frame.empty
    assert list(frame.columns) == list(ORDER_COLUMNS)


def test_daily_by_tool_adds_up_to_the_spend_with_one_row_per_day_and_tool(plan: Plan) -> None:
    daily = daily_by_tool(plan)
    assert not daily.duplicated(["date", "tool"]).any()
    assert daily["spend"].sum() == pytest.approx(plan.total_spend, abs=len(plan.daily) * 0.01)
    assert set(daily["tool"]) == {tool_label(d.tool) for d in plan.daily}


def test_per_video_sums_the_orders_best_gmv_first(plan: Plan, videos: list[Video]) -> None:
    frame = per_video(plan, kol_names(videos))
    assert frame["spend"].sum() == pytest.approx(plan.total_spend)
    assert frame["expected_gmv"].is_monotonic_decreasing
    assert set(frame["video_id"]) == {o.video_id for o in plan.orders}
    long = per_video_long(frame)
    assert len(long) == 2 * len(frame)
    assert set(long["measure"]) == {"Spend", "Expected GMV"}


def test_roi_against_floor_marks_each_video_by_the_plans_floor(plan: Plan) -> None:
    frame = roi_against_floor(plan, {})
    assert len(frame) == len(plan.videos)
    above = frame[frame["verdict"] == "at or above floor"]
    assert (above["traffic_roi"] >= plan.roi_floor).all()
    assert (frame.loc[frame["verdict"] == "below floor", "traffic_roi"] < plan.roi_floor).all()
    assert frame["traffic_roi"].is_monotonic_decreasing


# A hostile export's KOL names (the bundled sample holds none): a formula, a mention sign.
FORMULA_NAME = '=HYPERLINK("http://example.com","点我领券")'


@pytest.fixture(scope="module")
def hostile(videos: list[Video], tmall: Campaign) -> tuple[list[Video], Plan]:
    """The sample with a bought video's KOL (v0008) and an unbought one's (v0034) named as
    formulas, and its plan (names change nothing the planner decides)."""
    renamed = [v.model_copy(update={"kol_name": FORMULA_NAME})
               if v.video_id in ("v0008", "v0034") else v for v in videos]
    return renamed, make_plan(renamed, tmall)


def test_a_formula_kol_name_shows_as_its_display_name_on_the_roi_chart(
    hostile: tuple[list[Video], Plan],
) -> None:
    # As a hostile export might name a KOL: charts and tables show what a spreadsheet
    # would, the link text.
    videos, plan = hostile
    frame = roi_against_floor(plan, kol_names(videos))
    labels = dict(zip(frame["video_id"], frame["label"], strict=True))
    assert labels["v0034"] == "点我领券 · v0034"  # two videos of that name: their ids tell
    assert not any("HYPERLINK" in str(label) for label in frame["label"])
    assert display_name("=1+1") == "1+1" and display_name("@小助手官方") == "@小助手官方"


def test_the_schedule_shows_and_filters_kols_by_their_display_names(
    hostile: tuple[list[Video], Plan], tmall: Campaign,
) -> None:
    _, plan = hostile
    whole = schedule_view(plan, tmall)
    assert "点我领券" in set(whole.frame["kol_name"])  # v0008 is bought, named by its text
    assert not whole.frame["kol_name"].str.contains("HYPERLINK").any()
    only = schedule_view(plan, tmall, kols=["点我领券"])  # the filter offers the shown names
    assert set(only.frame["kol_name"]) == {"点我领券"}
    assert set(only.frame["video_id"]) == {"v0008"}


def test_the_bundled_sample_holds_no_hostile_kol_names(videos: list[Video]) -> None:
    """Formula prefixes, mentions and quotes belong in the tests' rosters, not the buyer's
    sample (it shows on every chart)."""
    names = [v.kol_name for v in videos]
    assert not [n for n in names if n[:1] in "=+-@" or '"' in n or "," in n]


def test_roster_filters_by_tier_min_roi_and_tool(videos: list[Video], tmall: Campaign) -> None:
    roster = roster_frame(score_roster(videos, tmall))
    assert list(roster.columns) == list(ROSTER_COLUMNS)
    assert len(filter_roster(roster)) == len(videos)

    big = filter_roster(roster, tiers=["head", "super_head"])
    assert 0 < len(big) < len(roster)
    assert set(big["tier"]) <= {"head", "super_head"}

    strong = filter_roster(roster, min_roi=2.0)
    assert 0 < len(strong) < len(roster)
    assert (strong["traffic_roi"] >= 2.0).all()

    cs = filter_roster(roster, tool=Tool.CONTENT_SERVICE)
    assert 0 < len(cs) < len(roster)
    assert all("content_service" in tools for tools in cs["eligible_tools"])

    both = filter_roster(roster, tiers=["head", "super_head"], tool="content_service")
    assert set(both["video_id"]) == set(big["video_id"]) & set(cs["video_id"])


def test_why_not_eligible_gives_the_planners_own_reason_for_every_closed_tool(
    videos: list[Video], tmall: Campaign, closed_loop: Campaign
) -> None:
    for campaign in (tmall, closed_loop):
        for score, video in zip(score_roster(videos, campaign), videos, strict=True):
            blocked = why_not_eligible(video, campaign, videos)
            # Direct live-room buying is on the room, never on a video.
            closed = set(CHAIN_TOOLS[campaign.chain]) - LIVE_ROOM_TOOLS - set(score.eligible_tools)
            assert {b.tool for b in blocked} == closed, video.video_id
            for b in blocked:
                assert b.reason in score.reasons, (video.video_id, b)


def test_why_not_eligible_names_a_switched_off_tool(
    videos: list[Video], tmall: Campaign
) -> None:
    raw = campaign_to_dict(tmall)
    raw["tools"]["dou_plus"]["enabled"] = False
    campaign = campaign_from_dict(raw)
    blocked = {b.tool: b.reason for b in why_not_eligible(videos[0], campaign)}
    assert blocked[Tool.DOU_PLUS].code == "tool_disabled"


@pytest.mark.parametrize("name", ["campaign_tmall.toml", "campaign_closed_loop.toml"])
def test_an_unedited_form_gives_back_the_loaded_campaign(name: str) -> None:
    campaign = read_campaign(SAMPLE / name)
    raw, problems = campaign_dict_from_form(campaign, form_defaults(campaign))
    assert problems == []
    assert campaign_from_dict(raw) == campaign


def test_form_edits_reach_the_campaign_and_keep_everything_else(tmall: Campaign) -> None:
    form = form_defaults(tmall)
    tools = form.tools.copy()
    tools.loc[tools["tool"] == "ad_feed", "enabled"] = False
    tools.loc[tools["tool"] == "dou_plus", "min_order"] = 200.0
    edited = replace(
        form, budget=1_000_000.0, daily_cap=None, floor_mode="break_even",
        gross_margin=0.6, return_rate=0.15, min_seeding_share=0.4, tools=tools,
        big_sales=form.big_sales.iloc[0:0], commitments=form.commitments.iloc[0:0],
    )
    raw, problems = campaign_dict_from_form(tmall, edited)
    assert problems == []
    campaign = campaign_from_dict(raw)
    assert campaign.budget == 1_000_000
    assert campaign.daily_cap is None
    assert campaign.roi_floor is None
    assert campaign.effective_roi_floor == pytest.approx(1 / (0.6 * 0.85))
    assert campaign.balance.min_seeding_share == 0.4
    assert not campaign.tools[Tool.AD_FEED].enabled
    assert campaign.tools[Tool.DOU_PLUS].min_order == 200
    assert campaign.tools[Tool.DOU_PLUS].cpm == tmall.tools[Tool.DOU_PLUS].cpm
    assert campaign.big_sales == () and campaign.commitments == ()
    assert campaign.rules == tmall.rules and campaign.reference_cpm == tmall.reference_cpm


def test_table_problems_name_the_table_row_and_column(tmall: Campaign) -> None:
    form = form_defaults(tmall)
    sales = pd.DataFrame(
        [
            {"name": "618", "start": date(2027, 5, 31), "end": date(2027, 5, 1)},
            {"name": None, "start": None, "end": None},  # a blank row is skipped
            {"name": "双11", "start": None, "end": date(2027, 6, 1)},
        ],
        dtype=object,
    )
    commitments = pd.DataFrame(
        [{"video_id": "v0012", "tool": "rocket", "start": date(2027, 4, 21),
          "end": date(2027, 4, 22), "budget": 500.0, "booking_date": None}],
        dtype=object,
    )
    tools = form.tools.copy()
    tools.loc[tools["tool"] == "dou_plus", "min_order"] = float("nan")
    _, problems = campaign_dict_from_form(
        tmall, replace(form, big_sales=sales, commitments=commitments, tools=tools)
    )
    where = [(p.file, p.row, p.column) for p in problems]
    assert where == [
        ("Big sales table", 1, None),
        ("Big sales table", 3, "start"),
        ("Commitments table", 1, "tool"),
        ("Tools table", 1, "min_order"),
    ]
    assert "end 2027-05-01 is before start 2027-05-31" in problems[0].message
    assert problems[1].message == "this cell is empty."
    assert all(p.fix for p in problems)


def test_an_empty_budget_is_reported_by_the_campaign_rules(tmall: Campaign) -> None:
    raw, problems = campaign_dict_from_form(tmall, replace(form_defaults(tmall), budget=None))
    assert problems == []
    with pytest.raises(ConfigError, match="'budget': Field required"):
        campaign_from_dict(raw, source="campaign form")


def test_canonical_json_and_fingerprint_are_stable(tmall: Campaign) -> None:
    text = canonical_json(campaign_to_dict(tmall))
    assert text == canonical_json(campaign_to_dict(read_campaign(SAMPLE / "campaign_tmall.toml")))
    assert campaign_from_dict(json.loads(text)) == tmall
    assert fingerprint("a", b"b") == fingerprint("a", b"b")
    assert fingerprint("a", b"b") != fingerprint("ab", b"")


# ------------------------------------------------------------------ re-planning


def _actuals(rows: list[tuple[date, str, str, float, float, float]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["date", "video_id", "tool", "spend", "gmv", "plays"])
    frame["date"] = frame["date"].astype(object)
    return frame


DAY_ONE = [
    (date(2027, 4, 21), "v0012", "dou_plus", 1000.0, 300.0, 50_000.0),
    (date(2027, 4, 21), "v0008", "kol_bidding", 2000.0, 9000.0, 50_000.0),
]
DAY_TWO = [
    (date(2027, 4, 22), "v0012", "dou_plus", 1000.0, 200.0, 48_000.0),
    (date(2027, 4, 22), "v0008", "kol_bidding", 2000.0, 12_000.0, 55_000.0),
]


@pytest.fixture(scope="module")
def replanned(videos: list[Video], tmall: Campaign) -> Plan:
    """Day two's re-plan of the sample against day one's, as the store would chain them."""
    first = replan(videos, tmall, _actuals(DAY_ONE), date(2027, 4, 22))
    return replan(videos, tmall, _actuals(DAY_ONE + DAY_TWO), date(2027, 4, 23), first)


def test_changes_frame_names_the_kol_and_puts_the_biggest_move_first(
    replanned: Plan, videos: list[Video]
) -> None:
    frame = changes_frame(replanned)
    assert list(frame.columns) == list(CHANGE_COLUMNS)
    assert len(frame) == len(replanned.changes) > 0
    names = kol_names(videos)
    assert frame["kol_name"].tolist() == [names[v] for v in frame["video_id"]]
    assert frame["delta"].abs().is_monotonic_decreasing
    first = max(replanned.changes, key=lambda c: abs(c.new_budget - c.old_budget))
    row = frame.iloc[0]
    assert (row["video_id"], row["tool"], row["change"]) == (
        first.video_id, tool_label(first.tool), first.kind)
    assert row["reason"] == first.reason.text
    assert row["delta"] == pytest.approx(first.new_budget - first.old_budget, abs=0.01)
    assert set(frame["old_mode"]) | set(frame["new_mode"]) <= {"", "smart", "targeted"}


def test_topups_and_learned_roi_frames_carry_names_and_every_row(replanned: Plan) -> None:
    topups = topups_frame(replanned)
    assert list(topups.columns) == list(TOPUP_COLUMNS)
    assert len(topups) == len(replanned.topups)
    learned = learned_frame(replanned)
    assert list(learned.columns) == list(LEARNED_COLUMNS)
    assert {"v0012", "v0008"} <= set(learned["video_id"])
    assert learned.loc[learned["video_id"] == "v0012", "kol_name"].tolist()[0] == "橙不熬夜"
    empty = Plan.model_validate({**replanned.model_dump(), "changes": [], "topups": [],
                                 "learned": []})
    for frame, columns in ((changes_frame(empty), CHANGE_COLUMNS),
                           (topups_frame(empty), TOPUP_COLUMNS),
                           (learned_frame(empty), LEARNED_COLUMNS)):
        assert frame.empty and list(frame.columns) == list(columns)


def test_the_default_replan_date_follows_the_file_inside_the_campaign(tmall: Campaign) -> None:
    assert replan_date_bounds(tmall) == (date(2027, 4, 20), date(2027, 6, 20))
    no_rows = _actuals([])
    assert default_replan_date(no_rows, tmall) == tmall.plan_date == date(2027, 4, 20)
    assert default_replan_date(_actuals(DAY_ONE + DAY_TWO), tmall) == date(2027, 4, 23)
    last_day = _actuals([(date(2027, 6, 20), "v0012", "dou_plus", 1.0, 1.0, 1.0)])
    assert default_replan_date(last_day, tmall) == date(2027, 6, 20)  # clamped to the end


def test_a_typed_store_is_a_file_in_the_servers_store_folder(tmp_path: Path) -> None:
    folder = tmp_path.resolve()

    def path(text: str) -> Path | None:
        store = resolve_store(text, folder)
        return None if store is None else store.path

    assert path("history.sqlite") == folder / "history.sqlite"
    assert path(' "team/h.sqlite" ') == folder / "team" / "h.sqlite"
    assert path(str(folder / "h.sqlite")) == folder / "h.sqlite"  # a path inside it
    assert path("  ") is None
    for outside in ("/srv/h.sqlite", "~/h.sqlite", "../h.sqlite", "a/../../h.sqlite", "."):
        with pytest.raises(InputError, match="is outside the folder this app keeps"):
            path(outside)


def test_the_store_folder_is_the_servers_setting_else_out_stores(tmp_path: Path) -> None:
    assert store_folder(tmp_path, {}) == (tmp_path / "out" / "stores").resolve()
    assert store_folder(tmp_path, {"PLANNER_APP_STORES": str(tmp_path / "s")}) == (
        tmp_path / "s").resolve()
    assert store_urls({"PLANNER_APP_STORE_URLS": " postgresql://db/a  postgresql://db/b "}) == (
        "postgresql://db/a", "postgresql://db/b")


def test_a_database_url_is_a_store_only_when_the_server_lists_it(tmp_path: Path) -> None:
    url = "postgresql://planner@db:5432/portfolio"
    store = resolve_store(f" {url} ", tmp_path, [url])
    assert store is not None and store.path is None
    assert str(store) == url
    with pytest.raises(InputError, match="records only into the databases its server lists"):
        resolve_store(url, tmp_path)
    with pytest.raises(InputError, match="not 'mysql'"):
        resolve_store("mysql://db/portfolio", tmp_path, ["mysql://db/portfolio"])


def test_ingest_metrics_call_replaced_rows_restated() -> None:
    metrics = ingest_metrics({"added": 1200, "replaced": 3, "unchanged": 0})
    assert [(m.label, m.value) for m in metrics] == [
        ("Added", "1,200"), ("Restated", "3"), ("Unchanged", "0"),
    ]


def test_kpi_frame_shows_tools_by_name(videos: list[Video]) -> None:
    actuals = _actuals(DAY_ONE + DAY_TWO)
    by_tool = kpi_frame(actuals, videos, "tool")
    assert by_tool["tool"].tolist() == ["Dou+", "KOL bidding"]
    assert by_tool["traffic_roi"].tolist() == pytest.approx([500 / 2000, 21_000 / 4000])
    assert kpi_frame(actuals, videos, "video")["kol_name"].str.len().gt(0).all()


def test_describe_actuals_sums_the_file() -> None:
    assert describe_actuals(_actuals(DAY_ONE)) == "2 rows on 2027-04-21: spend ¥3,000, GMV ¥9,300"
    assert describe_actuals(_actuals(DAY_ONE + DAY_TWO)).startswith(
        "4 rows from 2027-04-21 to 2027-04-22: spend ¥6,000")
    assert describe_actuals(_actuals([])).startswith("no rows")


@pytest.mark.parametrize("name", ["campaign_tmall.toml", "campaign_closed_loop.toml"])
def test_campaign_toml_reads_back_as_the_same_campaign(name: str, tmp_path: Path) -> None:
    campaign = read_campaign(SAMPLE / name)
    path = tmp_path / "campaign.toml"
    path.write_text(campaign_toml(campaign), encoding="utf-8")
    assert read_campaign(path) == campaign


def test_campaign_toml_keeps_edits_odd_text_and_empty_values(
    tmall: Campaign, tmp_path: Path
) -> None:
    raw = campaign_to_dict(tmall)
    raw.update(
        name='618 "双11" \\ test\ttab\x7f',
        daily_cap=None, roi_floor=None, gross_margin=0.55, return_rate=0.1,
        default_landing_url="https://example.com/?a=1&b=[2]",
    )
    raw["tools"]["ad_feed"]["enabled"] = False
    raw["tools"]["dou_plus"]["max_daily"] = 2e4
    raw["commitments"][0]["booking_date"] = None
    raw["commitments"][0]["realised_gmv"] = 1234.5
    edited = campaign_from_dict(raw)
    path = tmp_path / "edited.toml"
    text = campaign_toml(edited)
    assert "daily_cap" not in text and "roi_floor" not in text  # None is left out
    path.write_text(text, encoding="utf-8")
    assert read_campaign(path) == edited


# ------------------------------------------------------------------ what-if on the budget


def _sweep_videos() -> list[Video]:
    # The pair of tests/test_sweep.py: a daily cap of 8,000 over ten days saturates it
    # at about 80,000 yuan, and each plan solves in well under a second.
    return [
        make_video(video_id="v1"),
        make_video(video_id="v2", kol_name="B", followers=300_000, natural_gmv=12_000,
                   kol_fee=5_000),
    ]


def _sweep_campaign(**overrides: object) -> Campaign:
    return make_campaign(**{"budget": 50_000, "daily_cap": 8_000, **overrides})


def test_the_default_budget_range_runs_from_a_quarter_to_twice_the_budget() -> None:
    assert default_budget_range(3_000_000) == (750_000, 6_000_000, 6)
    low, high, points = default_budget_range(50_001)
    assert (low, high, points) == (12_500, 100_002, 6)
    budgets, problems = budget_range(low, high, points)
    assert not problems and len(budgets) == 6


def test_budget_range_spaces_whole_yuan_budgets_evenly() -> None:
    assert budget_range(750_000, 6_000_000, 6) == (
        [750_000, 1_800_000, 2_850_000, 3_900_000, 4_950_000, 6_000_000], [])
    assert budget_range(100, 200, 3) == ([100, 150, 200], [])
    assert budget_range(10, 12, 5) == ([10, 11, 12], [])  # rounding merges duplicates
    assert budget_range(500_000.4, 500_000.4, 4) == ([500_000], [])
    assert budget_range(500_000, 900_000, 1) == ([500_000], [])


@pytest.mark.parametrize(
    ("start", "stop", "points", "column", "words"),
    [
        (None, 1_000_000, 3, "From", "positive number"),
        (0, 1_000_000, 3, "From", "positive number"),
        (100, float("nan"), 3, "To", "positive number"),
        (100, -5, 3, "To", "positive number"),
        (100, 1_000, 0, "Points", f"1 to {MAX_CURVE_POINTS}"),
        (100, 1_000, MAX_CURVE_POINTS + 1, "Points", f"1 to {MAX_CURVE_POINTS}"),
        (100, 1_000, None, "Points", f"1 to {MAX_CURVE_POINTS}"),
        (2_000, 1_000, 3, "To", "is below 'From'"),
    ],
)
def test_budget_range_names_the_field_to_fix(
    start: float | None, stop: float | None, points: int | None, column: str, words: str
) -> None:
    budgets, problems = budget_range(start, stop, points)
    assert budgets == []
    assert len(problems) == 1
    assert problems[0].file == "Budget range" and problems[0].column == column
    assert words in problems[0].message and problems[0].fix


def test_curve_table_puts_the_figures_first_and_the_limits_on_one_line() -> None:
    curve = budget_curve(_sweep_videos(), _sweep_campaign(), [100_000, 20_000, 60_000])
    table = curve_table(curve)
    assert list(table.columns) == list(CURVE_TABLE_COLUMNS)
    assert table["budget"].tolist() == [20_000, 60_000, 100_000]
    assert table["expected_gmv"].tolist() == curve["expected_gmv"].tolist()
    assert table["expected_gmv"].is_monotonic_increasing
    first = curve["binding"].iloc[0].split("\n")
    assert table["binding"].iloc[0] == " ".join(
        line if line.endswith(".") else f"{line}." for line in first)
    assert not table["binding"].str.contains("\n").any()
    # Past saturation at about 80,000 the last row's limits say why more buys nothing.
    assert "unspent" in table["binding"].iloc[2]


def test_curve_table_of_an_infeasible_budget_keeps_its_blanks() -> None:
    curve = pd.DataFrame([
        {"budget": 1_000.0, "status": "infeasible", "binding": "short by 2,000 yuan\nfixed"},
        {"budget": 2_000.0, "total_spend": 1_990.0, "unspent": 10.0, "expected_gmv": 4_000.0,
         "roi": 2.01, "marginal_roi": float("nan"), "status": "optimal", "gap": 0.0,
         "binding": float("nan")},
    ])
    table = curve_table(curve)
    assert table["binding"].tolist() == ["short by 2,000 yuan. fixed.", ""]
    assert pd.isna(table.loc[0, "expected_gmv"]) and table.loc[1, "expected_gmv"] == 4_000


def test_csv_bytes_are_what_write_csv_writes(tmp_path: Path) -> None:
    curve = budget_curve(_sweep_videos(), _sweep_campaign(), [20_000, 100_000])
    odd = pd.DataFrame({
        "=header": ["=HYPERLINK(\"http://x\")", "+1", "-2", "@sum", "双11 种草", None],
        "amount": [1.5, float("nan"), -3.0, 0.0, 1e7, 2.0],
        "count": [1, 2, 3, 4, 5, 6],
        "tabbed": ["\tx", "\ry", "ok", "a,b", 'say "hi"', "line\nbreak"],
    })
    for frame in (curve, odd):
        path = tmp_path / "out.csv"
        write_csv(frame, path)
        assert csv_bytes(frame) == path.read_bytes()
    text = csv_bytes(odd).decode("utf-8-sig")
    assert text.startswith("'=header,amount")
    assert "'=HYPERLINK" in text and "\r\n'+1," in text and "'@sum" in text
    assert "双11 种草" in text and "-3.0" in text  # numbers are not text: no quote mark
    back = pd.read_csv(io.BytesIO(csv_bytes(curve)), encoding="utf-8-sig")
    assert back["expected_gmv"].tolist() == pytest.approx(curve["expected_gmv"].tolist())


def test_target_metrics_show_the_answer_and_its_plan() -> None:
    result = min_budget_for(_sweep_videos(), _sweep_campaign(), gmv_target=100_000,
                            tolerance=2_000)
    assert result.reached and result.plan is not None and result.budget is not None
    figures = {m.label: m for m in target_metrics(result)}
    assert list(figures) == ["Budget", "Expected GMV", "Spend", "Expected ROI"]
    assert figures["Budget"].value == yuan(result.budget)
    assert figures["Expected GMV"].value == yuan(result.plan.expected_gmv)
    assert result.plan.expected_gmv >= 100_000
    assert figures["Expected ROI"].value == f"{result.plan.expected_roi:.2f}"


def test_target_metrics_of_an_unreachable_target_show_the_closest_plan() -> None:
    result = min_budget_for(_sweep_videos(), _sweep_campaign(), gmv_target=1_000_000)
    assert not result.reached and result.plan is not None
    figures = {m.label: m for m in target_metrics(result)}
    assert figures["Budget"].value == "out of reach"
    assert figures["Spend"].value == yuan(result.plan.total_spend)
    assert "closest plan tried" in figures["Spend"].help
    assert target_metrics(TargetResult(False, None, None, "no plan", 1)) == []


def _pva(day: int, video: str, tool: Tool, planned: float, actual: float | None,
         planned_on: date | None) -> PlanVsActual:
    return PlanVsActual(
        date=date(2027, 4, day), video_id=video, tool=tool, planned_on=planned_on,
        planned_spend=planned, actual_spend=actual, planned_gmv=planned * 3,
        actual_gmv=None if actual is None else actual * 2,
        planned_roi=3.0 if planned else None, actual_roi=None if actual is None else 2.0,
        status="reported" if actual is not None else "unreported")


def test_a_line_without_a_recorded_plan_shows_no_plan_not_planned_zero(plan: Plan) -> None:
    from planner.views.replan import has_recorded_plan, plan_vs_actual_view

    recorded = date(2027, 4, 20)
    lines = [_pva(21, "v0012", Tool.DOU_PLUS, 0.0, 800.0, None),
             _pva(22, "v0012", Tool.DOU_PLUS, 1_000.0, 900.0, recorded)]
    view = plan_vs_actual_view(plan.model_copy(update={"plan_vs_actual": lines}))
    first, second = view.iloc[0], view.iloc[1]
    assert pd.isna(first["planned_spend"]) and pd.isna(first["spend_diff"])
    assert first["pva_status"] == "no_plan" and first["actual_spend"] == 800.0
    assert (second["planned_spend"], second["spend_diff"]) == (1_000.0, -100.0)
    assert has_recorded_plan(view)
    assert not has_recorded_plan(view.iloc[:1])


def test_the_trend_sums_each_day_leaves_gaps_and_narrows_by_range_tool_and_video(
    plan: Plan,
) -> None:
    from planner.views.replan import plan_vs_actual_view, pva_days, pva_trend

    on = date(2027, 4, 20)
    lines = [_pva(21, "v0012", Tool.DOU_PLUS, 1_000.0, 900.0, None),
             _pva(21, "v0008", Tool.AD_FEED, 2_000.0, 2_500.0, None),
             _pva(22, "v0012", Tool.DOU_PLUS, 1_000.0, 1_100.0, on),
             _pva(22, "v0008", Tool.AD_FEED, 2_000.0, None, on),
             _pva(23, "v0012", Tool.DOU_PLUS, 1_000.0, 700.0, on)]
    view = plan_vs_actual_view(plan.model_copy(update={"plan_vs_actual": lines}))
    assert pva_days(view) == (date(2027, 4, 21), date(2027, 4, 23))
    trend = pva_trend(view, date(2027, 4, 21), date(2027, 4, 23))
    spend = trend[trend["figure"] == "spend"].set_index(["date", "kind"])["value"]
    assert (date(2027, 4, 21), "planned") not in spend.index  # no recorded plan: a gap
    assert spend[(date(2027, 4, 21), "actual")] == 3_400.0
    assert spend[(date(2027, 4, 22), "planned")] == 3_000.0
    assert spend[(date(2027, 4, 22), "actual")] == 1_100.0  # the unreported line adds nothing
    narrowed = pva_trend(view, date(2027, 4, 22), date(2027, 4, 23), tool="dou_plus")
    assert sorted(set(narrowed["date"])) == [date(2027, 4, 22), date(2027, 4, 23)]
    assert narrowed[(narrowed["figure"] == "spend") & (narrowed["kind"] == "actual")][
        "value"].tolist() == [1_100.0, 700.0]
    one = pva_trend(view, date(2027, 4, 21), date(2027, 4, 23), video_id="v0008")
    assert set(one["date"]) == {date(2027, 4, 21), date(2027, 4, 22)}


def test_the_trend_draws_planned_and_actual_roi_per_tool_and_per_video(plan: Plan) -> None:
    """ROI as spend and GMV are: the day's GMV over its spend, planned and actual, for all
    lines, one tool or one video; no ROI point on a day without spend or without a plan."""
    from planner.views.replan import plan_vs_actual_view, pva_trend

    on = date(2027, 4, 20)
    lines = [_pva(21, "v0012", Tool.DOU_PLUS, 1_000.0, 900.0, None),
             _pva(22, "v0012", Tool.DOU_PLUS, 1_000.0, 1_100.0, on),
             _pva(22, "v0008", Tool.AD_FEED, 2_000.0, 500.0, on)]
    view = plan_vs_actual_view(plan.model_copy(update={"plan_vs_actual": lines}))

    def roi(trend: pd.DataFrame) -> dict[tuple[date, str], float]:
        rows = trend[trend["figure"] == "roi"]
        return {(d, k): round(v, 4) for d, k, v in zip(rows["date"], rows["kind"],
                                                      rows["value"], strict=True)}

    def ratio(line: PlanVsActual, kind: str) -> float:
        spend, gmv = getattr(line, f"{kind}_spend"), getattr(line, f"{kind}_gmv")
        return round(gmv / spend, 4)

    both = roi(pva_trend(view, date(2027, 4, 21), date(2027, 4, 22)))
    assert (date(2027, 4, 21), "planned") not in both  # no recorded plan: no planned ROI
    assert both[(date(2027, 4, 21), "actual")] == ratio(lines[0], "actual")
    day = lines[1:]
    assert both[(date(2027, 4, 22), "actual")] == round(
        sum(x.actual_gmv or 0 for x in day) / sum(x.actual_spend or 0 for x in day), 4)
    feed = roi(pva_trend(view, date(2027, 4, 21), date(2027, 4, 22), tool="ad_feed"))
    assert feed == {(date(2027, 4, 22), "planned"): ratio(lines[2], "planned"),
                    (date(2027, 4, 22), "actual"): ratio(lines[2], "actual")}
    one = roi(pva_trend(view, date(2027, 4, 22), date(2027, 4, 22), video_id="v0012"))
    assert one[(date(2027, 4, 22), "actual")] == ratio(lines[1], "actual")


def test_the_workbooks_plan_against_actual_says_no_recorded_plan_not_zero(
    plan: Plan, tmp_path: Path,
) -> None:
    import openpyxl

    from planner.i18n import t
    from planner.io.plan_files import column_header, pva_status_name, write_plan

    lines = [_pva(21, "v0012", Tool.DOU_PLUS, 0.0, 800.0, None),
             _pva(22, "v0012", Tool.DOU_PLUS, 1_000.0, 900.0, date(2027, 4, 20))]
    paths = write_plan(plan.model_copy(update={"plan_vs_actual": lines}), tmp_path)
    rows = list(openpyxl.load_workbook(paths["xlsx"])[t("sheet.plan_vs_actual")].values)
    title = column_header("planned_spend")
    header = next(r for r in rows if r and title in r)
    data = [r for r in rows[rows.index(header) + 1:] if r and "v0012" in r]
    planned = header.index(title)
    assert data[0][planned] == pva_status_name("no_plan") == "no recorded plan"
    assert data[1][planned] == 1_000


def test_money_boxes_show_separators_and_read_what_buyers_type() -> None:
    assert money_text(3_000_000) == "3,000,000" and money_text(None) == ""
    assert money_text(1_234.5) == "1,234.50"
    for typed in ("3,000,000", "3000000", "300万", "300w", "¥3,000,000元"):
        assert read_money(typed, "预算") == (3_000_000, None), typed
    assert read_money("", "预算") == (None, None)
    amount, problem = read_money("三百万", "预算")
    assert amount is None and problem is not None and problem.file == "预算"
    amount, problem = read_money("-5", "预算")
    assert amount is None and problem is not None and "-5" in problem.message
