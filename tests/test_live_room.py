"""The brand live room (直播间), the closed loop's trade stage [seed]: short videos bring
80%+ of its traffic, direct live-room buying is capped at about 10% of the short-video
pool bought that day, and without short-video traffic a room stalls at about 100k/day."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from factories import make_campaign, make_video
from planner.checks import PlannedOrder, check_orders, check_plan, violation_codes
from planner.config import Commitment
from planner.errors import ConfigError
from planner.i18n import limit_text, use_lang
from planner.io.plan_files import plan_json_schema, plan_to_json, schedule_rows, write_plan_xlsx
from planner.models import Plan
from planner.optimiser.model import coupling
from planner.planning import assess_roster, make_plan
from planner.response import (
    NO_SIGNALS,
    Economics,
    FixedSpend,
    Signals,
    build_response_model,
    live_room_purchases,
    short_video_pool,
)
from planner.tools import LIVE_ROOM_ID, Tool
from planner.views.labels import plan_kol_names
from planner.views.plan import live_room_caption, live_room_table

SHORT_VIDEO_TOOLS = ("suixintui", "content_service", "kol_bidding", "qianchuan")


def _videos(count: int = 4) -> list:
    return [make_video(video_id=f"v{i}", kol_name=f"k{i}", publish_date=date(2027, 4, 12 + i))
            for i in range(count)]


def _live_room(**overrides):
    values = {"chain": "closed_loop", "budget": 300_000, "live_room": True}
    values.update(overrides)
    return make_campaign(**values)


def _by_day(plan) -> tuple[dict[date, float], dict[date, float]]:
    """(direct live-room spend, short-video spend) per day of the plan's schedule."""
    direct: dict[date, float] = defaultdict(float)
    short_video: dict[date, float] = defaultdict(float)
    for row in plan.daily:
        (direct if row.tool is Tool.QIANCHUAN_LIVE else short_video)[row.date] += row.spend
    return direct, short_video


def test_direct_live_room_buying_never_exceeds_ten_percent_of_that_days_short_video_spend():
    plan = make_plan(_videos(), _live_room())
    direct, short_video = _by_day(plan)
    assert sum(direct.values()) > 0
    for day, spend in direct.items():
        assert spend <= 0.10 * short_video[day] + 1e-6, day
    # The room's direct buying sells well: the share binds, and the plan says so.
    assert any(abs(spend - 0.10 * short_video[day]) <= 10 for day, spend in direct.items())
    assert any(line.code == "live_room_direct" for line in plan.binding_lines)


@settings(max_examples=8, deadline=None)
@given(budget=st.sampled_from([40_000, 150_000, 600_000]),
       cap=st.sampled_from([0.02, 0.10, 0.25]), gpm=st.sampled_from([60.0, 120.0, 400.0]))
def test_direct_live_room_buying_stays_within_its_share_whatever_the_budget_and_figures(
        budget, cap, gpm):
    campaign = _live_room(budget=budget,
                          live_room_traffic={"direct_cap": cap, "gpm": gpm})
    direct, short_video = _by_day(make_plan(_videos(3), campaign))
    for day, spend in direct.items():
        assert spend <= cap * short_video[day] + 1e-6, day


def _booked_spend(video_id: str, tool: Tool, day: date, yuan: float) -> FixedSpend:
    commitment = Commitment(video_id=video_id, tool=tool, start=day, end=day, budget=yuan)
    return FixedSpend(commitment=commitment, day_spend={day: yuan / 1000}, expected_gmv=0.0,
                      impressions=0.0, seeding=tool is Tool.DOU_PLUS)


def test_a_booked_short_video_order_feeds_that_days_short_video_pool_a_booked_room_buy_not():
    days = [date(2027, 4, 24), date(2027, 4, 25)]
    fixed = [_booked_spend("v1", Tool.DOU_PLUS, days[0], 4_000),
             _booked_spend(LIVE_ROOM_ID, Tool.QIANCHUAN_LIVE, days[1], 2_000)]
    assert short_video_pool([], fixed, days) == {days[0]: 4.0, days[1]: 0.0}


@pytest.mark.parametrize("live_room", [True, False])
def test_the_live_room_is_its_own_kol_only_in_a_campaign_that_buys_it(live_room):
    # Its buys promote the room, not a KOL's video: the concentration caps count it alone.
    campaign = _live_room(live_room=live_room)
    response = build_response_model(assess_roster(_videos(2), campaign), campaign)
    assert response.kol_of == {"v0": "k0", "v1": "k1"} | (
        {LIVE_ROOM_ID: LIVE_ROOM_ID} if live_room else {})


def test_every_booked_short_video_order_of_a_day_feeds_its_pool():
    day = date(2027, 4, 24)
    fixed = [_booked_spend("v1", Tool.DOU_PLUS, day, 4_000),
             _booked_spend("v2", Tool.QIANCHUAN, day, 3_000)]
    assert short_video_pool([], fixed, [day]) == {day: 7.0}


def test_a_content_service_week_feeds_each_days_short_video_pool_with_that_days_share():
    campaign = _live_room()
    video = make_video(followers=5_000_000, natural_plays=3_000_000, natural_gmv=240_000)
    response = build_response_model(assess_roster([video], campaign), campaign)
    week = next(p for p in response.purchases if p.is_content_service and len(p.days) == 7)
    pool = short_video_pool([week], [], response.days)
    for day, share in zip(week.days, week.day_shares, strict=True):
        assert pool[day] == pytest.approx(week.capacity * share)
    assert sum(pool.values()) == pytest.approx(week.capacity)


def _room_buys(signals: Signals = NO_SIGNALS, fixed: tuple[FixedSpend, ...] = (),
               **campaign_overrides):
    """The direct live-room buys a day offered beside four videos' short-video purchases."""
    campaign = _live_room(**campaign_overrides)
    response = build_response_model(assess_roster(_videos(), campaign), campaign)
    short = [p for p in response.purchases if p.tool is not Tool.QIANCHUAN_LIVE]
    return live_room_purchases(short, list(fixed), response.days, Economics(campaign),
                               signals, len(short))


def test_a_day_with_a_booked_live_room_buy_is_offered_no_second_one():
    day = date(2027, 4, 25)
    offered = {p.days[0] for p in _room_buys()}
    booked = {p.days[0] for p in _room_buys(
        fixed=(_booked_spend(LIVE_ROOM_ID, Tool.QIANCHUAN_LIVE, day, 2_000),))}
    assert day in offered
    assert booked == offered - {day}


def test_a_day_whose_live_room_buy_can_take_exactly_the_minimum_order_is_offered():
    # Qianchuan live-room promotion: 300-yuan minimum order, capped here at 300 yuan a day,
    # in one segment of returns: every day's buy is exactly the minimum, and allowed.
    buys = _room_buys(tools={"qianchuan_live": {"max_daily": 300}},
                      response={"segment_widths": [1.0], "segment_roi": [1.0]})
    assert buys
    assert {sum(p.seg_width) * 1000 for p in buys} == {300.0}


def test_the_live_rooms_learned_multiplier_scales_its_direct_buying_roi():
    learned = Signals(roi_multiplier={(LIVE_ROOM_ID, Tool.QIANCHUAN_LIVE): 1.5})
    plain, scaled = _room_buys()[0], _room_buys(learned)[0]
    assert scaled.days == plain.days
    assert scaled.seg_roi[0] == pytest.approx(1.5 * plain.seg_roi[0])


def test_live_room_gmv_falls_when_short_video_spend_is_removed():
    campaign = _live_room()
    fed = make_plan(_videos(), campaign).live_room
    starved = make_plan(_videos(), _live_room(
        tools={tool: {"enabled": False} for tool in SHORT_VIDEO_TOOLS})).live_room
    assert fed is not None and starved is not None
    assert starved.gmv < fed.gmv
    assert [d.date for d in starved.days] == [d.date for d in fed.days]
    for before, after in zip(fed.days, starved.days, strict=True):
        assert after.gmv <= before.gmv
    assert fed.short_video_gmv > 0 and fed.direct_gmv > 0


def test_without_short_video_traffic_the_room_stalls_at_its_ceiling():
    ceiling = 80_000
    room = make_plan(_videos(), _live_room(
        live_room_traffic={"ceiling": ceiling},
        tools={tool: {"enabled": False} for tool in SHORT_VIDEO_TOOLS})).live_room
    assert room is not None and room.days
    for day in room.days:
        # No short videos, no direct buying: the room sells on its own traffic alone.
        assert day.short_video_spend == 0 and day.direct_spend == 0
        assert day.gmv == pytest.approx(ceiling)


def test_the_live_room_shows_its_traffic_sources_and_gmv_per_day():
    plan = make_plan(_videos(), _live_room())
    room = plan.live_room
    assert room is not None
    direct, short_video = _by_day(plan)
    planned = [plan.plan_date + timedelta(days=i + 1) for i in range(len(room.days))]
    assert [d.date for d in room.days] == planned
    for day in room.days:
        assert day.short_video_spend == pytest.approx(short_video[day.date], abs=0.01)
        assert day.direct_spend == pytest.approx(direct[day.date], abs=0.01)
        assert day.gmv == pytest.approx(day.own_gmv + day.short_video_gmv + day.direct_gmv,
                                        abs=0.05)
        if day.short_video_spend:
            # Short videos bring at least [live_room_traffic] short_video_share (80%).
            assert day.short_video_share >= room.short_video_share
    # The room's own traffic is not bought: the plan's GMV counts what the budget buys.
    assert plan.expected_gmv == pytest.approx(room.short_video_gmv + room.direct_gmv, rel=1e-3)


def test_a_closed_loop_campaign_without_a_live_room_buys_no_direct_live_room_traffic():
    plan = make_plan(_videos(), _live_room(live_room=False))
    assert plan.live_room is None
    assert not any(d.tool is Tool.QIANCHUAN_LIVE for d in plan.daily)


def test_a_tmall_campaign_with_a_live_room_is_refused_with_the_fix():
    with pytest.raises(ConfigError) as caught:
        make_campaign(chain="tmall", live_room=True)
    said = str(caught.value)
    assert "live_room" in said and 'chain = "closed_loop"' in said


def test_direct_cap_above_what_short_videos_leave_is_refused():
    # Short videos bring at least 80% of the room's traffic: direct buying at most 25% of
    # theirs.
    with pytest.raises(ConfigError, match="direct_cap"):
        _live_room(live_room_traffic={"direct_cap": 0.3})


def test_each_day_has_a_named_row_said_by_its_limit_code():
    campaign = _live_room()
    response = build_response_model(assess_roster(_videos(2), campaign), campaign)
    rows = coupling(response, campaign).rows
    named = {name: limit for name, family, limit in
             zip(rows.names, rows.families, rows.limits, strict=True) if family == "live_room"}
    assert "live_room_direct_20270421" in named
    code, figures = named["live_room_direct_20270421"]
    assert code == "live_room_direct" and figures == {"share": 0.1, "day": "2027-04-21"}
    with use_lang("en"):
        assert limit_text(named["live_room_direct_20270421"]) == (
            "direct live-room buying on 2027-04-21 within 10% of that day's short-video "
            "spend ([live_room_traffic] direct_cap)")


def test_direct_live_room_buying_names_the_room_not_a_video():
    campaign = _live_room()
    response = build_response_model(assess_roster(_videos(2), campaign), campaign)
    live = [p for p in response.purchases if p.tool is Tool.QIANCHUAN_LIVE]
    assert live and {p.video_id for p in live} == {LIVE_ROOM_ID}
    assert all(p.reasons[0].code == "live_room_direct" for p in live)


def test_the_checker_catches_direct_buying_above_its_share_or_without_a_live_room():
    campaign = _live_room()
    videos = _videos()
    plan = make_plan(videos, campaign)
    assert check_plan(plan, campaign, videos) == []
    row = next(d for d in plan.daily if d.tool is Tool.QIANCHUAN_LIVE)
    inflated = plan.model_copy(update={"daily": [
        d.model_copy(update={"spend": d.spend * 5}) if d is row else d for d in plan.daily]})
    assert "live_room_over_direct_cap" in violation_codes(
        check_plan(inflated, campaign, videos))
    no_room = _live_room(live_room=False)
    assert "live_room_off" in violation_codes(check_plan(plan, no_room, videos))
    # Direct live-room buying names the room: on a video it is no live-room order.
    stray = PlannedOrder(video_id="v1", tool=Tool.QIANCHUAN_LIVE, start_date=row.date,
                         end_date=row.date, booking_date=row.date, budget=1_000)
    assert "live_room_off" in violation_codes(check_orders([stray], campaign, videos))


@pytest.mark.parametrize(("start", "end", "booked", "code"), [
    # runs from the campaign's last day (04-30) into the next
    (date(2027, 4, 30), date(2027, 5, 1), date(2027, 4, 30), "outside_campaign"),
    # runs after the plan date (04-20) but was booked the day before it
    (date(2027, 4, 22), date(2027, 4, 22), date(2027, 4, 19), "before_plan_date"),
])
def test_the_checker_catches_a_live_room_buy_half_outside_the_campaign_or_booked_before_the_plan(
        start, end, booked, code):
    order = PlannedOrder(video_id=LIVE_ROOM_ID, tool=Tool.QIANCHUAN_LIVE, start_date=start,
                         end_date=end, booking_date=booked, budget=1_000)
    assert code in violation_codes(check_orders([order], _live_room(), _videos()))


@pytest.mark.parametrize(("room_buys", "caught"), [
    ((600, 600), True),  # two buys on one day: 1,200 yuan, above 10% of 10,000
    ((1_001,), False),  # 10% of 10,000 and the checker's one yuan of rounding
])
def test_the_checker_adds_up_a_days_direct_live_room_buys_against_its_share(room_buys, caught):
    day = date(2027, 4, 22)
    short = PlannedOrder(video_id="v1", tool=Tool.QIANCHUAN, start_date=day, end_date=day,
                         booking_date=day, budget=10_000)
    room = [PlannedOrder(video_id=LIVE_ROOM_ID, tool=Tool.QIANCHUAN_LIVE, start_date=day,
                         end_date=day, booking_date=day, budget=yuan) for yuan in room_buys]
    codes = violation_codes(check_orders([short, *room], _live_room(), _videos()))
    assert ("live_room_over_direct_cap" in codes) is caught


@pytest.fixture(scope="module")
def room_plan():
    return make_plan(_videos(), _live_room())


def test_the_workbook_has_a_live_room_sheet_with_each_days_sources_and_gmv(room_plan, tmp_path):
    path = tmp_path / "plan.xlsx"
    with use_lang("zh"):
        write_plan_xlsx(room_plan, path)
    sheet = openpyxl.load_workbook(path)["直播间"]
    header = [c.value for c in sheet[1]]
    assert header[:2] == ["日期", "短视频投放（元）"] and "直播间成交（元）" in header
    assert sheet.max_row - 1 == len(room_plan.live_room.days)
    first = room_plan.live_room.days[0]
    assert sheet.cell(2, header.index("直播间成交（元）") + 1).value == pytest.approx(first.gmv)


def test_the_schedule_names_direct_live_room_buying_by_the_room_not_a_kol(room_plan, tmp_path):
    with use_lang("zh"):
        rows = [r for r in schedule_rows(room_plan) if r.video_id == LIVE_ROOM_ID]
        names = plan_kol_names(room_plan)
    assert rows and {r.kol_name for r in rows} == {"品牌直播间"}
    assert {r.shown_id for r in rows} == {"—"}  # no id-shaped live_room on paper
    assert names[LIVE_ROOM_ID] == "品牌直播间"


def test_a_plan_without_a_live_room_has_no_live_room_sheet(tmp_path):
    plan = make_plan(_videos(2), _live_room(live_room=False))
    with use_lang("zh"):
        write_plan_xlsx(plan, tmp_path / "plan.xlsx")
        assert "直播间" not in openpyxl.load_workbook(tmp_path / "plan.xlsx").sheetnames


def test_plan_json_carries_the_live_room_and_reads_back(room_plan):
    again = Plan.model_validate_json(plan_to_json(room_plan))
    assert again.live_room == room_plan.live_room
    assert "live_room" in plan_json_schema()["properties"]


def test_the_plan_page_shows_the_live_room_in_the_buyers_words(room_plan):
    with use_lang("en"):
        table = live_room_table(room_plan)
        caption = live_room_caption(room_plan)
    assert table is not None and len(table) == len(room_plan.live_room.days)
    assert "Live-room GMV (yuan)" in table.columns
    assert "stalls at about" in caption
    assert live_room_table(make_plan(_videos(2), _live_room(live_room=False))) is None
