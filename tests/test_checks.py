"""The independent plan checker: the planner's plans pass it, each broken rule is caught."""

from __future__ import annotations

import json
import pickle
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from factories import PLAN_DATE, make_campaign, make_video
from planner.checks import (
    NO_EVIDENCE,
    VIOLATION_CODES,
    DaySpend,
    Evidence,
    PlannedOrder,
    check_orders,
    check_plan,
    ensure_plan_obeys,
    evidence_from_plan,
    evidence_of,
    violation_codes,
)
from planner.cli import app
from planner.config import Campaign, campaign_from_dict
from planner.errors import PlanRuleError, UncheckedPlanError
from planner.i18n import use_lang
from planner.io.plan_reader import read_plan_to_check
from planner.models import LearnedRoi, Plan, Video
from planner.planning import make_plan
from planner.synthetic import generate_campaign_dict, generate_roster
from planner.tools import Tool

SAMPLE = Path(__file__).resolve().parent.parent / "sample_data"
runner = CliRunner()
SALE = {"name": "618", "start": date(2027, 5, 31), "end": date(2027, 6, 18)}


def _campaign(**overrides: Any) -> Campaign:
    values: dict[str, Any] = {"end": date(2027, 6, 20), "budget": 600_000, "daily_cap": 40_000,
                              "big_sales": [SALE]}
    values.update(overrides)
    return make_campaign(**values)


def _roster() -> list[Video]:
    return [
        # head KOL, ROI 2.5, comment-like 4%, authorised and reviewed
        make_video(video_id="head", followers=5_000_000, median_plays=800_000,
                   natural_plays=1_000_000, natural_gmv=100_000),
        # head KOL whose last 3 months sold poorly: no lock-in
        make_video(video_id="head_weak_3m", followers=4_000_000, median_plays=600_000,
                   natural_plays=800_000, natural_gmv=80_000, roi_3m=0.5),
        # tail KOL without weight, authorisation, review; comment-like 1%
        make_video(video_id="small", followers=200_000, median_plays=20_000,
                   kol_authorized=False, ad_review_passed=False, comments=100,
                   publish_date=date(2027, 4, 18)),
        # authorised and reviewed but the account has no weight
        make_video(video_id="light", median_plays=10_000),
        # ROI 0.5: below the floor
        make_video(video_id="low", natural_gmv=5_000),
        # a scheduled post of the head KOL, live on 05-10
        make_video(video_id="late", kol_name="头部达人", followers=5_000_000,
                   median_plays=800_000, publish_date=date(2027, 5, 10), natural_plays=None,
                   natural_gmv=None, likes=None, comments=None),
    ]


def _order(video_id: str, tool: Tool, start: date, end: date | None = None,
           budget: float = 1_000, booking: date | None = None, mode: str | None = None,
           fixed: bool = False) -> PlannedOrder:
    return PlannedOrder(video_id=video_id, tool=tool, start_date=start,
                        end_date=end or start, booking_date=booking or start, budget=budget,
                        mode=mode, fixed=fixed)


class _Case:
    """A real plan's orders and days, ready to be doctored."""

    def __init__(self, campaign: Campaign) -> None:
        self.campaign = campaign
        self.videos = _roster()
        self.plan = make_plan(self.videos, campaign)
        self.orders = [PlannedOrder.of(o) for o in self.plan.orders]
        self.daily = [DaySpend(d.date, d.video_id, d.tool, d.spend) for d in self.plan.daily]

    def codes(self, orders: list[PlannedOrder] | None = None,
              daily: list[DaySpend] | None = None) -> list[str]:
        return violation_codes(check_orders(
            self.orders if orders is None else orders, self.campaign, self.videos,
            daily=self.daily if daily is None else daily))

    def added(self, *orders: PlannedOrder) -> list[str]:
        return self.codes([*self.orders, *orders])


@pytest.fixture(scope="module")
def case() -> _Case:
    return _Case(_campaign())


def test_the_planners_own_plan_obeys_every_rule(case: _Case) -> None:
    assert case.plan.total_spend > 0
    assert case.codes() == []


D = date  # short dates in the table below
CS, DOU, AD = Tool.CONTENT_SERVICE, Tool.DOU_PLUS, Tool.AD_FEED

# One order added to the planner's own plan, and the rule it breaks.
ADDED: list[tuple[str, PlannedOrder]] = [
    ("unknown_video", _order("nobody", DOU, D(2027, 5, 1))),
    ("tool_not_in_chain", _order("head", Tool.QIANCHUAN, D(2027, 5, 1), budget=500)),
    ("order_dates", _order("head", AD, D(2027, 5, 3), D(2027, 5, 1), budget=900)),
    ("outside_campaign", _order("head", AD, D(2027, 6, 20), D(2027, 6, 25), budget=1_800)),
    ("before_plan_date", _order("head", AD, D(2027, 5, 2), budget=500,
                                booking=D(2027, 4, 10))),
    ("before_publish", _order("late", AD, D(2027, 5, 5), budget=500)),
    ("below_min_order", _order("head", AD, D(2027, 5, 1), budget=200)),
    ("roi_below_floor", _order("low", DOU, D(2027, 5, 1))),
    ("dou_plus_before_standard_start", _order("late", DOU, D(2027, 5, 12))),
    ("smart_mode_not_allowed", _order("small", DOU, D(2027, 5, 1), mode="smart")),
    ("smart_mode_preferred", _order("head", DOU, D(2027, 4, 25), mode="targeted")),
    ("cs_ad_review", _order("small", CS, D(2027, 5, 2), D(2027, 5, 8), 60_000,
                            D(2027, 5, 1))),
    ("cs_tier_too_small", _order("small", CS, D(2027, 5, 2), D(2027, 5, 8), 60_000,
                                 D(2027, 5, 1))),
    ("cs_roi_below_floor", _order("low", CS, D(2027, 5, 2), D(2027, 5, 8), 60_000,
                                  D(2027, 5, 1))),
    ("cs_comment_like_low", _order("small", CS, D(2027, 5, 2), D(2027, 5, 8), 60_000,
                                   D(2027, 5, 1))),
    ("cs_over_weekly_scale", _order("head", CS, D(2027, 5, 2), D(2027, 5, 8), 500_000,
                                    D(2027, 5, 1))),
    ("cs_not_one_shot", _order("head", CS, D(2027, 5, 2), D(2027, 5, 8), 60_000)),
    ("lock_in_too_late", _order("head", CS, D(2027, 5, 31), D(2027, 6, 6), 60_000,
                                D(2027, 5, 10))),
    ("lock_in_roi_low", _order("head_weak_3m", CS, D(2027, 5, 31), D(2027, 6, 6), 60_000,
                               D(2027, 5, 1))),
    ("ad_tool_blocked", _order("small", AD, D(2027, 5, 1), budget=500)),
    ("kol_bidding_low_weight", _order("light", Tool.KOL_BIDDING, D(2027, 5, 1), budget=500)),
    ("over_budget", _order("head", AD, D(2027, 5, 1), D(2027, 5, 30), budget=900_000)),
]


@pytest.mark.parametrize(("code", "order"), ADDED, ids=[c for c, _ in ADDED])
def test_an_order_that_breaks_a_rule_is_caught(case: _Case, code: str,
                                               order: PlannedOrder) -> None:
    assert code in case.added(order)


def test_every_rule_the_checker_states_has_a_test_that_breaks_it() -> None:
    tested = {c for c, _ in ADDED} | {
        "cs_with_dou_plus", "tool_disabled", "off_order_step", "over_tool_daily_cap",
        "over_tool_budget", "over_daily_cap", "commitment_missing", "seeding_share_low",
        "seeding_share_high",
        # tests/test_live_room.py breaks the live room's two rules.
        "live_room_off", "live_room_over_direct_cap"}
    assert tested == set(VIOLATION_CODES)


# Without content service (it takes the whole budget of the case above) and KOL bidding
# (above AD feed, with millions of volume a video) the plan buys DOU+.
NO_CS = {"content_service": {"enabled": False}, "kol_bidding": {"enabled": False}}


def test_content_service_on_a_day_with_dou_plus_on_the_same_video_is_caught() -> None:
    dou = _Case(_campaign(tools=NO_CS))
    row = next(r for r in dou.daily if r.tool is DOU and r.day > D(2027, 4, 22))
    schedule = _order(row.video_id, CS, row.day - timedelta(days=1), row.day + timedelta(days=5),
                      60_000, row.day - timedelta(days=2))
    assert "cs_with_dou_plus" in dou.added(schedule)


def test_a_tool_the_campaign_switched_off_is_caught() -> None:
    off = _Case(_campaign(tools={"uni_desk": {"enabled": False}}))
    assert off.codes() == []
    assert "tool_disabled" in off.added(_order("head", Tool.UNI_DESK, D(2027, 5, 1), budget=500))


def test_a_day_off_the_order_step_is_caught() -> None:
    stepped = _Case(_campaign(tools={**NO_CS, "dou_plus": {"order_step": 10}}))
    assert stepped.codes() == []
    row = next(r for r in stepped.daily if r.tool is DOU)
    daily = [replace(r, spend=r.spend + 5) if r is row else r for r in stepped.daily]
    assert "off_order_step" in stepped.codes(daily=daily)


def test_a_day_above_the_tools_daily_cap_is_caught() -> None:
    capped = _Case(_campaign(tools={**NO_CS, "dou_plus": {"max_daily": 5_000}}))
    assert capped.codes() == []
    row = next(r for r in capped.daily if r.tool is DOU)
    daily = [replace(r, spend=5_100) if r is row else r for r in capped.daily]
    assert "over_tool_daily_cap" in capped.codes(daily=daily)


def test_a_tool_above_its_total_cap_is_caught() -> None:
    capped = _Case(_campaign(tools={"ad_feed": {"max_budget": 10_000}}))
    assert capped.codes() == []
    assert "over_tool_budget" in capped.added(_order("head", AD, D(2027, 5, 1), budget=10_500))


def test_a_day_above_the_campaigns_daily_cap_is_caught(case: _Case) -> None:
    row = max(case.daily, key=lambda r: r.spend)
    daily = [replace(r, spend=r.spend + 40_000) if r is row else r for r in case.daily]
    assert "over_daily_cap" in case.codes(daily=daily)


def test_a_commitment_left_out_or_changed_is_caught() -> None:
    booked = {"video_id": "head", "tool": "ad_feed", "start": D(2027, 4, 21),
              "end": D(2027, 4, 23), "budget": 3_000, "booking_date": PLAN_DATE}
    committed = _Case(_campaign(commitments=[booked]))
    assert committed.codes() == []
    kept = [o for o in committed.orders if not o.fixed]
    assert "commitment_missing" in committed.codes(kept)
    changed = [replace(o, budget=2_000) if o.fixed else o for o in committed.orders]
    assert "commitment_missing" in committed.codes(changed)
    # within a yuan of the booking (whole-yuan rounding) it is the booking
    rounded = [replace(o, budget=3_001) if o.fixed else o for o in committed.orders]
    assert "commitment_missing" not in committed.codes(rounded)


def test_a_seeding_share_below_its_minimum_is_caught() -> None:
    balanced = _Case(_campaign(budget=2_000_000, daily_cap=None,
                               balance={"min_seeding_share": 0.8}))
    assert balanced.codes() == []
    fees = sum(v.kol_fee or 0 for v in balanced.videos)
    seeding = fees + sum(o.budget for o in balanced.orders if o.tool is not AD
                         and o.tool is not Tool.UNI_DESK)
    total = fees + sum(o.budget for o in balanced.orders)
    harvest = seeding / 0.78 - total  # share 78% after it
    assert "seeding_share_low" in balanced.added(
        _order("head", AD, D(2027, 5, 1), D(2027, 5, 20), budget=round(harvest)))


def test_a_seeding_share_above_its_maximum_is_caught() -> None:
    balanced = _Case(_campaign(budget=2_000_000, daily_cap=None,
                               balance={"max_seeding_share": 0.97}))
    assert balanced.codes() == []
    harvest = [o for o in balanced.orders if o.tool in (AD, Tool.UNI_DESK)]
    assert harvest
    seeded = [replace(o, tool=DOU) if o in harvest else o for o in balanced.orders]
    assert "seeding_share_high" in balanced.codes(seeded)


# ---------------------------------------------------------------- the checker's own figures
def _codes(videos: list[Video], *orders: PlannedOrder, campaign: Campaign | None = None,
           evidence: Evidence = NO_EVIDENCE) -> list[str]:
    return violation_codes(check_orders(list(orders), campaign or make_campaign(), videos,
                                        evidence=evidence))


@pytest.mark.parametrize(("plays", "gmv"), [(10_000, None), (None, 50_000)])
def test_first_two_hours_without_both_plays_and_gmv_are_no_burst(plays: float | None,
                                                                  gmv: float | None) -> None:
    # A large KOL published the day before the plan: Dou+ the day after waits as standard.
    video = make_video(video_id="fresh", followers=3_000_000, publish_date=D(2027, 4, 19),
                       first_2h_plays=plays, first_2h_gmv=gmv)
    assert "dou_plus_before_standard_start" in _codes(
        [video], _order("fresh", DOU, D(2027, 4, 21)))


def test_a_video_without_natural_plays_has_no_traffic_roi_to_reach_the_floor() -> None:
    # A floor of 1.0 (the default without one): a ROI of nothing must not read as 1.0.
    silent = make_video(video_id="silent", natural_plays=0, natural_gmv=5_000)
    assert "roi_below_floor" in _codes([silent], _order("silent", DOU, D(2027, 4, 25)),
                                       campaign=make_campaign(roi_floor=1.0))
    # One play is enough to have a ROI: 50 yuan on it is ROI 1,250 at CPM 40.
    one = make_video(video_id="one", natural_plays=1, natural_gmv=50)
    assert _codes([one], _order("one", DOU, D(2027, 4, 25))) == []


@pytest.mark.parametrize("likes", [None, 0])
def test_content_service_on_a_video_without_likes_has_no_comment_like_rate(
        likes: int | None) -> None:
    # 400 comments and no likes: there is no rate to reach the 2% with.
    head = make_video(video_id="head", followers=5_000_000, likes=likes, comments=400)
    assert "cs_comment_like_low" in _codes(
        [head], _order("head", CS, D(2027, 4, 22), D(2027, 4, 28), 60_000, D(2027, 4, 20)))


# A floor of 1.25 keeps floor x 1.5 = 1.875 exact in binary, so "at the line" is exact.
@pytest.mark.parametrize(("multiple", "caught"), [(1.49, True), (1.499, True), (1.5, False)])
def test_the_checker_lets_dou_plus_start_at_once_only_in_a_burst_of_floor_times_one_and_a_half(
        multiple: float, caught: bool) -> None:
    # First 2 hours: 10,000 plays; GMV giving ROI floor x multiple at CPM 40.
    gmv = 1.25 * multiple * 40.0 * 10_000 / 1000.0
    video = make_video(video_id="burst", followers=3_000_000, publish_date=PLAN_DATE,
                       first_2h_plays=10_000, first_2h_gmv=gmv)
    found = _codes([video], _order("burst", DOU, D(2027, 4, 21)),
                   campaign=make_campaign(roi_floor=1.25))
    assert ("dou_plus_before_standard_start" in found) is caught


def test_an_order_without_daily_rows_spends_evenly_over_its_days() -> None:
    # 3,000 yuan over three days is 1,000 a day: within a daily cap of 1,000.
    campaign = make_campaign(tools={"dou_plus": {"max_daily": 1_000}})
    spread = _order("v1", DOU, D(2027, 4, 25), D(2027, 4, 27), budget=3_000)
    assert "over_tool_daily_cap" not in _codes([make_video()], spread, campaign=campaign)
    one_day = _order("v1", DOU, D(2027, 4, 25), budget=3_000)
    assert "over_tool_daily_cap" in _codes([make_video()], one_day, campaign=campaign)


def _head_week(**video: Any) -> list[str]:
    """The codes of one week's content service, booked the day before, on a head KOL."""
    values: dict[str, Any] = {"video_id": "head", "followers": 5_000_000, **video}
    return _codes([make_video(**values)],
                  _order("head", CS, D(2027, 4, 22), D(2027, 4, 28), 60_000, D(2027, 4, 21)),
                  campaign=make_campaign(roi_floor=1.25))


def test_the_checker_lets_content_service_run_on_traffic_roi_exactly_at_the_floor() -> None:
    assert _head_week(natural_gmv=12_500) == []  # ROI 1.25 on 250,000 plays at CPM 40
    assert "cs_roi_below_floor" in _head_week(natural_gmv=12_400)


def test_the_checker_lets_content_service_run_at_exactly_two_percent_comments_per_like() -> None:
    assert _head_week(likes=10_000, comments=200) == []
    assert "cs_comment_like_low" in _head_week(likes=10_000, comments=199)


def test_content_service_booked_exactly_the_lead_day_before_it_starts_is_one_shot() -> None:
    assert _head_week() == []  # booked 04-21 for 04-22: one day ahead
    late = _order("head", CS, D(2027, 4, 22), D(2027, 4, 28), 60_000, D(2027, 4, 22))
    assert "cs_not_one_shot" in _codes([make_video(video_id="head", followers=5_000_000)],
                                       late)


@pytest.mark.parametrize(("plays", "caught"), [(49_999, True), (50_000, False)])
def test_the_checker_allows_kol_bidding_from_50000_median_plays(plays: int,
                                                               caught: bool) -> None:
    found = _codes([make_video(median_plays=plays)],
                   _order("v1", Tool.KOL_BIDDING, D(2027, 4, 25), budget=500))
    assert ("kol_bidding_low_weight" in found) is caught


def test_a_targeted_suixintui_order_is_not_judged_by_dou_plus_smart_mode() -> None:
    # Smart Dou+ would be preferred on this fresh large KOL with weight; Suixintui has no
    # smart mode, so its targeted order breaks nothing.
    fresh = make_video(followers=3_000_000, publish_date=D(2027, 4, 19))
    targeted = _order("v1", Tool.SUIXINTUI, D(2027, 4, 25), budget=500, mode="targeted")
    assert _codes([fresh], targeted, campaign=make_campaign(chain="closed_loop")) == []


@pytest.mark.parametrize(("age", "caught"), [(90, False), (91, True)])
def test_the_checker_takes_a_videos_own_roi_as_recent_for_a_lock_in_for_90_days(
        age: int, caught: bool) -> None:
    sale = {"name": "618", "start": D(2027, 5, 30), "end": D(2027, 6, 2)}
    campaign = make_campaign(end=D(2027, 6, 20), big_sales=[sale])
    video = make_video(video_id="head", followers=5_000_000, roi_3m=None,
                       publish_date=PLAN_DATE - timedelta(days=age))
    lock_in = _order("head", CS, D(2027, 5, 30), D(2027, 6, 5), 60_000, PLAN_DATE)
    assert ("lock_in_roi_low" in _codes([video], lock_in, campaign=campaign)) is caught


def test_an_order_without_daily_rows_is_spread_over_its_own_days() -> None:
    # Published 04-20: standard Dou+ from 04-23; three days from then break nothing.
    video = make_video(publish_date=PLAN_DATE)
    assert _codes([video], _order("v1", DOU, D(2027, 4, 23), D(2027, 4, 25), 3_000)) == []


def test_a_replans_learned_burst_is_read_from_its_dou_plus_orders_reasons() -> None:
    burst = replace(_order("v1", DOU, D(2027, 4, 21)), reason_codes=frozenset({"burst_first_2h"}))
    other = replace(_order("v2", AD, D(2027, 4, 21)), reason_codes=frozenset({"burst_first_2h"}))
    assert evidence_of([burst, other]).bursts == {"v1"}


def test_a_replans_learned_decline_is_read_from_its_dou_plus_orders_reasons() -> None:
    declining = replace(_order("v1", DOU, D(2027, 4, 21), mode="targeted"),
                        reason_codes=frozenset({"targeted_roi_declining"}))
    steady = _order("v2", DOU, D(2027, 4, 21), mode="targeted")
    assert evidence_of([declining, steady]).declining == {"v1"}


def test_one_like_is_enough_to_have_a_comment_like_rate() -> None:
    assert _head_week(likes=1, comments=1) == []  # 100% comments per like


def test_a_plan_without_new_orders_is_not_judged_on_its_seeding_share() -> None:
    # Only an AD feed order already booked: nothing the plan chose could change the share.
    booked = _order("v1", AD, D(2027, 4, 21), budget=5_000, booking=PLAN_DATE, fixed=True)
    campaign = make_campaign(balance={"min_seeding_share": 0.8})
    assert _codes([make_video(kol_fee=0)], booked, campaign=campaign) == []


# One week's content service at each tier's own weekly scale (a tier below head after a
# passed Dou+ pressure test): a KOL exactly at a tier's line is judged in the upper tier.
WEEKLY = {"koc": 100_000.0, "tail": 200_000.0, "mid": 300_000.0, "head": 400_000.0,
          "super_head": 500_000.0}


@pytest.mark.parametrize(("followers", "tier"), [
    (99_999, "koc"), (100_000, "tail"), (499_999, "tail"), (500_000, "mid"),
    (2_999_999, "mid"), (3_000_000, "head"), (9_999_999, "head"), (10_000_000, "super_head")])
def test_the_checker_judges_content_service_at_the_tier_from_the_followers(
        followers: int, tier: str) -> None:
    campaign = make_campaign(rules={"cs_weekly_cap": WEEKLY})
    video = make_video(video_id="kol", followers=followers)
    passed = Evidence(learned_dou_plus={"kol": 1.5})  # a pressure test at ROI 1.5

    def week(budget: float) -> list[str]:
        return _codes([video], _order("kol", CS, D(2027, 4, 22), D(2027, 4, 28), budget,
                                      D(2027, 4, 20)), campaign=campaign, evidence=passed)

    assert "cs_over_weekly_scale" not in week(WEEKLY[tier])
    assert "cs_over_weekly_scale" not in week(WEEKLY[tier] + 1)  # a yuan of rounding
    assert "cs_over_weekly_scale" in week(WEEKLY[tier] + 2)


def test_the_checker_lets_dou_plus_run_on_traffic_roi_exactly_at_the_floor() -> None:
    # ROI 1.25 on 250,000 plays at CPM 40 against a floor of 1.25 (exact in binary)
    def dou_plus(gmv: float) -> list[str]:
        return _codes([make_video(natural_gmv=gmv)], _order("v1", DOU, D(2027, 4, 25)),
                      campaign=make_campaign(roi_floor=1.25))

    assert "roi_below_floor" not in dou_plus(12_500)
    assert "roi_below_floor" in dou_plus(12_499)  # ROI 1.2499


def test_a_video_with_plays_but_no_gmv_has_traffic_roi_0() -> None:
    # Ten plays and no (or an empty) GMV: nothing sold, so Dou+ stays below any floor.
    for gmv in (None, 0):
        quiet = make_video(natural_plays=10, natural_gmv=gmv)
        assert "roi_below_floor" in _codes([quiet], _order("v1", DOU, D(2027, 4, 25)))


def _head_week_of(budget: float) -> list[str]:
    return _codes([make_video(video_id="head", followers=5_000_000)],
                  _order("head", CS, D(2027, 4, 22), D(2027, 4, 28), budget, D(2027, 4, 21)))


def test_content_service_at_its_minimum_order_passes_within_a_fen_of_rounding() -> None:
    # content service's minimum: 50,000 yuan
    assert "below_min_order" not in _head_week_of(50_000)
    assert "below_min_order" not in _head_week_of(49_999.99)
    assert "below_min_order" in _head_week_of(49_999.98)


def test_one_day_of_content_service_gets_a_seventh_of_the_weekly_scale() -> None:
    # head: 400,000 yuan a week, so 57,143 for one day
    def one_day(budget: float) -> list[str]:
        return _codes([make_video(video_id="head", followers=5_000_000)],
                      _order("head", CS, D(2027, 4, 22), D(2027, 4, 22), budget,
                             D(2027, 4, 21)))

    assert "cs_over_weekly_scale" not in one_day(57_000)
    assert "cs_over_weekly_scale" in one_day(60_000)


@pytest.mark.parametrize(("start", "end"), [(D(2027, 5, 20), D(2027, 5, 26)),
                                            (D(2027, 6, 19), D(2027, 6, 20))])
def test_content_service_outside_a_sales_days_is_no_lock_in(start: date, end: date) -> None:
    # the 618 sale runs 05-31 to 06-18; booked the day before, inside 30 days of it
    campaign = make_campaign(end=D(2027, 6, 20), big_sales=[SALE])
    order = _order("head", CS, start, end, 60_000, start - timedelta(days=1))
    found = _codes([make_video(video_id="head", followers=5_000_000)], order,
                   campaign=campaign)
    assert "lock_in_too_late" not in found
    assert "lock_in_roi_low" not in found


def test_new_spend_within_a_yuan_of_the_budget_left_passes() -> None:
    # a budget of 100,000 yuan and two AD feed days of 50,000 and 50,000 + extra
    def spend(extra: float) -> list[str]:
        return _codes([make_video()], _order("v1", AD, D(2027, 4, 25), budget=50_000),
                      _order("v1", AD, D(2027, 4, 26), budget=50_000 + extra))

    assert "over_budget" not in spend(1)
    assert "over_budget" in spend(2)


# ---------------------------------------------------------------- the bundled samples
def _check(campaign: Path, plan: Path, *extra: str) -> Any:
    return runner.invoke(app, [*extra, "check", "--campaign", str(campaign),
                               "--videos", str(SAMPLE / "videos.csv"), "--plan", str(plan)])


@pytest.mark.slow
@pytest.mark.parametrize("campaign", ["campaign_tmall.toml", "campaign_closed_loop.toml"])
def test_planner_check_passes_each_bundled_sample_plan(tmp_path: Path, campaign: str) -> None:
    made = runner.invoke(app, ["plan", "--campaign", str(SAMPLE / campaign), "--videos",
                               str(SAMPLE / "videos.csv"), "--out", str(tmp_path)])
    assert made.exit_code == 0, made.output
    for name in ("plan.json", "plan.xlsx"):
        result = _check(SAMPLE / campaign, tmp_path / name)
        assert result.exit_code == 0, result.output


@pytest.mark.slow
def test_the_workbook_gives_check_the_reason_codes_of_plan_json(tmp_path: Path) -> None:
    """plan.xlsx keeps its orders' codes in the 原因代码 column, so `planner check` reads
    the same codes from it as from plan.json."""
    made = runner.invoke(app, ["plan", "--campaign", str(SAMPLE / "campaign_tmall.toml"),
                               "--videos", str(SAMPLE / "videos.csv"), "--out", str(tmp_path)])
    assert made.exit_code == 0, made.output
    from_json = read_plan_to_check(tmp_path / "plan.json").orders
    from_xlsx = read_plan_to_check(tmp_path / "plan.xlsx").orders
    assert [o.reason_codes for o in from_xlsx] == [o.reason_codes for o in from_json]
    assert any(o.reason_codes for o in from_xlsx)


def test_an_older_orders_table_gives_its_codes_from_the_reason_lines(tmp_path: Path) -> None:
    table = tmp_path / "orders.csv"
    table.write_text("video_id,tool,start_date,end_date,budget,reasons\n"
                     'v1,dou_plus,2027-04-21,2027-04-22,1000,"burst_first_2h: 爆单\n'
                     'roi_above_floor: 可以加热"\n', encoding="utf-8")
    order = read_plan_to_check(table).orders[0]
    assert order.reason_codes == {"burst_first_2h", "roi_above_floor"}


@pytest.fixture(scope="module")
def sample_plan_json(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sample")
    made = runner.invoke(app, ["plan", "--campaign", str(SAMPLE / "campaign_tmall.toml"),
                               "--videos", str(SAMPLE / "videos.csv"), "--out", str(out)])
    assert made.exit_code == 0, made.output
    return out / "plan.json"


def _doctored(source: Path, target: Path, orders: list[dict[str, Any]]) -> Path:
    raw = json.loads(source.read_text("utf-8"))
    raw["orders"].extend(orders)
    target.write_text(json.dumps(raw), "utf-8")
    return target


def _raw_order(video_id: str, tool: str, start: str, end: str, budget: float,
               booking: str | None = None) -> dict[str, Any]:
    return {"video_id": video_id, "tool": tool, "start_date": start, "end_date": end,
            "booking_date": booking or start, "budget": budget, "expected_gmv": 0.0,
            "reasons": []}


@pytest.mark.slow
def test_a_doctored_sample_plan_exits_9_and_names_all_three_breaches(
        sample_plan_json: Path, tmp_path: Path) -> None:
    doctored = _doctored(sample_plan_json, tmp_path / "plan.json", [
        # v0043: a head KOL's scheduled post, no burst, live 05-18: DOU+ that very day
        _raw_order("v0043", "dou_plus", "2027-05-18", "2027-05-18", 1_000),
        # v0035: the KOL has not authorised
        _raw_order("v0035", "ad_feed", "2027-05-02", "2027-05-02", 500),
        # v0044: 30,000 yuan of content service, below the 50,000 minimum
        _raw_order("v0044", "content_service", "2027-05-21", "2027-05-27", 30_000,
                   "2027-05-20"),
    ])
    result = _check(SAMPLE / "campaign_tmall.toml", doctored, "--lang", "en")
    assert result.exit_code == 9, result.output
    lines = result.output.splitlines()
    assert any(line.startswith("  - dou_plus_before_standard_start: v0043") for line in lines)
    assert any(line.startswith("  - ad_tool_blocked: v0035") for line in lines)
    assert any(line.startswith("  - below_min_order: v0044") and "50,000" in line
               for line in lines)


def test_a_buyers_orders_table_in_the_planners_layout_is_checked(tmp_path: Path) -> None:
    table = tmp_path / "orders.csv"
    table.write_text(
        "video_id,tool,start_date,end_date,budget\n"
        "v0008,dou_plus,2027-04-21,2027-04-22,2000\n"
        "v0035,DOU+,2027-04-21,2027-04-21,1000\n", "utf-8")
    result = _check(SAMPLE / "campaign_tmall.toml", table, "--lang", "en")
    assert result.exit_code == 9, result.output
    assert "dou_plus_before_standard_start: v0035" in result.output
    assert "v0008" not in result.output


def test_an_orders_table_without_a_budget_column_is_bad_input(tmp_path: Path) -> None:
    table = tmp_path / "orders.csv"
    table.write_text("video_id,tool,start_date,end_date\nv0008,dou_plus,2027-04-21,"
                     "2027-04-22\n", "utf-8")
    result = _check(SAMPLE / "campaign_tmall.toml", table, "--lang", "en")
    assert result.exit_code == 2
    assert "budget" in result.output


def test_the_planner_refuses_to_hand_out_a_plan_that_breaks_a_rule(case: _Case) -> None:
    early = case.plan.orders[0].model_copy(update={
        "video_id": "late", "tool": Tool.DOU_PLUS, "start_date": D(2027, 5, 10),
        "end_date": D(2027, 5, 10), "budget": 1_000.0, "fixed": False})
    broken = case.plan.model_copy(update={"orders": [*case.plan.orders, early]})
    with use_lang("en"), pytest.raises(UncheckedPlanError) as caught:
        ensure_plan_obeys(broken, case.campaign, case.videos)
    assert caught.value.exit_code == 1
    assert "dou_plus_before_standard_start" in str(caught.value)


def test_a_rule_breach_raised_in_a_watched_child_reaches_the_parent_whole() -> None:
    # The watched child of plan, replan and batch sends its error through a pipe, pickled.
    refused = UncheckedPlanError("refused", ["before_plan_date: v1", "before_publish: v2"])
    again = pickle.loads(pickle.dumps(refused))
    assert type(again) is UncheckedPlanError and str(again) == str(refused)
    assert again.violations == ["before_plan_date: v1", "before_publish: v2"]
    broken = pickle.loads(pickle.dumps(PlanRuleError("broken", ["over_budget: x"])))
    assert broken.violations == ["over_budget: x"] and broken.exit_code == 9


# ---------------------------------------------------------------- property: every plan passes
@pytest.mark.slow
@settings(max_examples=10, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), n=st.integers(6, 18),
       chain=st.sampled_from(["tmall", "closed_loop"]), n_days=st.integers(20, 60),
       budget=st.sampled_from([50_000, 300_000, 2_000_000]), with_sale=st.booleans(),
       scheduled=st.integers(0, 2))
def test_every_plan_the_planner_makes_passes_the_checker(
        seed: int, n: int, chain: str, n_days: int, budget: float, with_sale: bool,
        scheduled: int) -> None:
    raw = generate_campaign_dict(chain, plan_date=PLAN_DATE, n_days=n_days, budget=budget,
                                 with_sale=with_sale)
    campaign = campaign_from_dict(raw)
    videos = generate_roster(n, seed=seed, plan_date=PLAN_DATE)
    for i in range(scheduled):  # posts of the roster's first KOLs, live during the campaign
        source = videos[i]
        videos.append(source.model_copy(update={
            "video_id": f"s{i}", "publish_date": PLAN_DATE + timedelta(days=3 + 5 * i),
            "natural_plays": None, "natural_gmv": None, "likes": None, "comments": None,
            "shares": None, "first_2h_plays": None, "first_2h_gmv": None}))
    plan: Plan = make_plan(videos, campaign)
    found = check_plan(plan, campaign, videos)
    assert [f"{v.code}: {v.text}" for v in found] == []


def _first_2h_burst(followers: int, published: date) -> Video:
    # first 2 hours: ROI 3.0 at CPM 40, over the floor 1.2 x 1.5
    return make_video(video_id="burst", followers=followers, publish_date=published,
                      first_2h_plays=10_000, first_2h_gmv=1_200)


@pytest.mark.parametrize(("followers", "caught"), [(500_000, True), (500_001, False)])
def test_the_checkers_burst_needs_more_than_500k_followers(followers: int,
                                                           caught: bool) -> None:
    found = _codes([_first_2h_burst(followers, PLAN_DATE)], _order("burst", DOU, D(2027, 4, 21)))
    assert ("dou_plus_before_standard_start" in found) is caught


@pytest.mark.parametrize(("published", "caught"), [(D(2027, 4, 19), False),
                                                   (D(2027, 4, 18), True)])
def test_the_checkers_burst_window_is_counted_to_the_plan_date(published: date,
                                                               caught: bool) -> None:
    # Dou+ the day after publishing, on a plan made on 04-20: a burst only while the plan
    # is made within 2 days of publishing
    order = _order("burst", DOU, published + timedelta(days=1))
    found = _codes([_first_2h_burst(3_000_000, published)], order)
    assert ("dou_plus_before_standard_start" in found) is caught


def test_the_daily_cap_counts_every_booked_order_of_the_day() -> None:
    # 3,000 + 3,000 booked on 04-25 leave 4,000 of a daily cap of 10,000
    campaign = make_campaign(daily_cap=10_000)
    videos = [make_video(video_id="v1"), make_video(video_id="v2")]
    booked = [_order("v1", AD, D(2027, 4, 25), budget=3_000, booking=PLAN_DATE, fixed=True),
              _order("v2", DOU, D(2027, 4, 25), budget=3_000, booking=PLAN_DATE, fixed=True)]
    assert "over_daily_cap" not in _codes(
        videos, *booked, _order("v2", AD, D(2027, 4, 25), budget=4_000), campaign=campaign)
    assert "over_daily_cap" in _codes(
        videos, *booked, _order("v2", AD, D(2027, 4, 25), budget=5_000), campaign=campaign)


def test_the_daily_cap_counts_every_new_order_of_the_day() -> None:
    campaign = make_campaign(daily_cap=10_000)
    videos = [make_video(video_id="v1"), make_video(video_id="v2")]
    assert "over_daily_cap" in _codes(
        videos, _order("v1", AD, D(2027, 4, 25), budget=5_000),
        _order("v2", AD, D(2027, 4, 25), budget=6_000), campaign=campaign)


def _seeding_codes(campaign: Campaign, seeding: float) -> list[str]:
    """The checker's codes for 10,000 yuan on one video without a KOL fee: ``seeding`` of
    Dou+ (seeding) and the rest AD feed (harvesting)."""
    return _codes([make_video(kol_fee=0)], _order("v1", DOU, D(2027, 4, 25), budget=seeding),
                  _order("v1", AD, D(2027, 4, 26), budget=10_000 - seeding), campaign=campaign)


def test_a_seeding_share_within_a_tenth_of_a_percent_of_its_minimum_passes() -> None:
    # 4,990 of 10,000 yuan seeds: 49.9% against a minimum of 50%, the rounding allowed
    campaign = make_campaign(balance={"min_seeding_share": 0.5})


    assert "seeding_share_low" not in _seeding_codes(campaign, 4_990)
    assert "seeding_share_low" in _seeding_codes(campaign, 4_980)


def test_a_seeding_share_within_a_tenth_of_a_percent_of_its_maximum_passes() -> None:
    # 5,010 of 10,000 yuan seeds: 50.1% against a maximum of 50%, the rounding allowed
    campaign = make_campaign(balance={"max_seeding_share": 0.5})


    assert "seeding_share_high" not in _seeding_codes(campaign, 5_010)
    assert "seeding_share_high" in _seeding_codes(campaign, 5_020)


def test_a_plan_whose_orders_add_up_to_nothing_is_not_judged_on_its_seeding_share() -> None:
    # a buyer's table with a booked refund of 500 yuan and 500 yuan of new AD feed
    refund = _order("v1", AD, D(2027, 4, 21), budget=-500, booking=PLAN_DATE, fixed=True)
    found = _codes([make_video(kol_fee=0)], refund, _order("v1", AD, D(2027, 4, 26), budget=500),
                   campaign=make_campaign(balance={"min_seeding_share": 0.5}))
    assert "seeding_share_low" not in found


@pytest.mark.parametrize("comments", [None, 0])
def test_content_service_on_a_video_with_likes_but_no_comments_is_caught(
        comments: int | None) -> None:
    # ten likes and no comments: a rate of 0, not one comment's 10%
    assert "cs_comment_like_low" in _head_week(likes=10, comments=comments)


@pytest.mark.parametrize(("authorised", "reviewed"), [(True, False), (False, True)])
def test_an_ad_tool_needs_both_authorisation_and_ad_review(authorised: bool,
                                                           reviewed: bool) -> None:
    video = make_video(kol_authorized=authorised, ad_review_passed=reviewed)
    assert "ad_tool_blocked" in _codes([video], _order("v1", AD, D(2027, 4, 25), budget=500))


@pytest.mark.parametrize(("followers", "caught"), [(500_000, True), (500_001, False)])
def test_the_checker_allows_smart_dou_plus_only_above_500k_followers(followers: int,
                                                                     caught: bool) -> None:
    video = make_video(followers=followers)  # weighty, published 04-15: 10 days old
    found = _codes([video], _order("v1", DOU, D(2027, 4, 25), mode="smart"))
    assert ("smart_mode_not_allowed" in found) is caught


def test_a_pressure_tests_learned_roi_exactly_at_the_floor_opens_content_service() -> None:
    mid = make_video(video_id="kol", followers=1_000_000)
    order = _order("kol", CS, D(2027, 4, 22), D(2027, 4, 28), 60_000, D(2027, 4, 20))

    def codes(learned: float) -> list[str]:
        return _codes([mid], order, campaign=make_campaign(roi_floor=1.25),
                      evidence=Evidence(learned_dou_plus={"kol": learned}))

    assert "cs_tier_too_small" not in codes(1.25)
    assert "cs_tier_too_small" in codes(1.24)


@pytest.mark.parametrize(("start", "end"), [(D(2027, 5, 25), D(2027, 5, 31)),
                                            (D(2027, 6, 18), D(2027, 6, 20))])
def test_content_service_on_a_sales_first_or_last_day_is_a_lock_in(start: date,
                                                                  end: date) -> None:
    # the 618 sale runs 05-31 to 06-18; booked the day before: too late to lock in
    campaign = make_campaign(end=D(2027, 6, 20), big_sales=[SALE])
    order = _order("head", CS, start, end, 60_000, start - timedelta(days=1))
    found = _codes([make_video(video_id="head", followers=5_000_000)], order,
                   campaign=campaign)
    assert "lock_in_too_late" in found


def test_a_lock_in_with_recent_roi_exactly_at_the_floor_passes() -> None:
    sale = {"name": "618", "start": D(2027, 5, 30), "end": D(2027, 6, 2)}
    campaign = make_campaign(end=D(2027, 6, 20), big_sales=[sale], roi_floor=1.25)
    lock_in = _order("head", CS, D(2027, 5, 30), D(2027, 6, 5), 60_000, PLAN_DATE)

    def codes(roi_3m: float) -> list[str]:
        video = make_video(video_id="head", followers=5_000_000, roi_3m=roi_3m)
        return _codes([video], lock_in, campaign=campaign)

    assert "lock_in_roi_low" not in codes(1.25)
    assert "lock_in_roi_low" in codes(1.24)


def test_a_day_without_spend_is_no_order_to_judge() -> None:
    # two days of Dou+, the second spent nothing: no minimum order to reach that day
    order = _order("v1", DOU, D(2027, 4, 25), D(2027, 4, 26), budget=1_000)
    daily = [DaySpend(D(2027, 4, 25), "v1", DOU, 1_000), DaySpend(D(2027, 4, 26), "v1", DOU, 0)]
    found = violation_codes(check_orders([order], make_campaign(), [make_video()], daily=daily))
    assert "below_min_order" not in found


def _one_dou_plus_day(spend: float, campaign: Campaign | None = None) -> list[str]:
    order = _order("v1", DOU, D(2027, 4, 25), budget=spend)
    daily = [DaySpend(D(2027, 4, 25), "v1", DOU, spend)]
    return violation_codes(check_orders([order], campaign or make_campaign(), [make_video()],
                                        daily=daily))


def test_a_dou_plus_day_at_its_minimum_passes_within_a_fen_of_rounding() -> None:
    # Dou+'s minimum: 100 yuan
    assert "below_min_order" not in _one_dou_plus_day(99.99)
    assert "below_min_order" in _one_dou_plus_day(99.98)
    assert "below_min_order" in _one_dou_plus_day(1)


def test_a_day_at_its_tools_daily_cap_passes_within_a_fen_of_rounding() -> None:
    campaign = make_campaign(tools={"dou_plus": {"max_daily": 1_000}})
    assert "over_tool_daily_cap" not in _one_dou_plus_day(1_000.01, campaign)
    assert "over_tool_daily_cap" in _one_dou_plus_day(1_000.02, campaign)


def test_a_day_a_millionth_of_a_step_off_is_on_the_step() -> None:
    # a float's rounding, not a buyer's budget: without a minimum, 1e-6 yuan of a 1-yuan step
    campaign = make_campaign(tools={"dou_plus": {"min_order": 0}})
    assert "off_order_step" not in _one_dou_plus_day(1e-6, campaign)
    assert "off_order_step" in _one_dou_plus_day(2e-6, campaign)


def test_two_content_service_weeks_one_after_the_other_are_one_shot_each() -> None:
    head = make_video(video_id="head", followers=5_000_000)
    first = _order("head", CS, D(2027, 4, 22), D(2027, 4, 28), 60_000, D(2027, 4, 21))
    second = _order("head", CS, D(2027, 4, 29), D(2027, 5, 5), 60_000, D(2027, 4, 21))
    assert "cs_not_one_shot" not in _codes([head], first, second)


def test_a_day_within_a_yuan_of_the_campaigns_daily_cap_passes() -> None:
    campaign = make_campaign(daily_cap=10_000)

    def day(spend: float) -> list[str]:
        return _codes([make_video()], _order("v1", AD, D(2027, 4, 25), budget=spend),
                      campaign=campaign)

    assert "over_daily_cap" not in day(10_001)
    assert "over_daily_cap" in day(10_002)


def test_a_tool_within_a_yuan_of_its_total_cap_passes() -> None:
    campaign = make_campaign(tools={"ad_feed": {"max_budget": 10_000}})

    def total(spend: float) -> list[str]:
        return _codes([make_video()], _order("v1", AD, D(2027, 4, 25), budget=5_000),
                      _order("v1", AD, D(2027, 4, 26), budget=spend - 5_000),
                      campaign=campaign)

    assert "over_tool_budget" not in total(10_001)
    assert "over_tool_budget" in total(10_002)


def test_a_plan_with_any_new_spend_is_judged_on_its_seeding_share() -> None:
    # one yuan of AD feed and nothing else: no seeding at all
    found = _codes([make_video(kol_fee=0)], _order("v1", AD, D(2027, 4, 25), budget=1),
                   campaign=make_campaign(balance={"min_seeding_share": 0.5}))
    assert "seeding_share_low" in found


def test_a_tier_without_a_weekly_content_service_scale_may_book_none() -> None:
    # a tail KOL after a passed pressure test; the defaults give tails no weekly scale, so
    # 2 yuan is over it (1 yuan is rounding)
    tail = make_video(video_id="kol", followers=300_000)
    passed = Evidence(learned_dou_plus={"kol": 1.5})
    order = _order("kol", CS, D(2027, 4, 22), D(2027, 4, 28), 2, D(2027, 4, 20))
    assert "cs_over_weekly_scale" in _codes([tail], order, evidence=passed)


@pytest.mark.parametrize(("fixed", "caught"), [(False, True), (True, False)])
def test_content_service_starting_on_the_last_day_of_another_is_a_top_up(fixed: bool,
                                                                         caught: bool) -> None:
    # a booked (fixed) second order is a fact the plan cannot change
    head = make_video(video_id="head", followers=5_000_000)
    first = _order("head", CS, D(2027, 4, 22), D(2027, 4, 28), 60_000, D(2027, 4, 21))
    second = _order("head", CS, D(2027, 4, 28), D(2027, 5, 4), 60_000, D(2027, 4, 21),
                    fixed=fixed)
    assert ("cs_not_one_shot" in _codes([head], first, second)) is caught


def test_a_day_whose_booked_orders_fill_the_daily_cap_takes_no_new_spend() -> None:
    campaign = make_campaign(daily_cap=10_000)
    videos = [make_video(video_id="v1"), make_video(video_id="v2")]
    booked = _order("v1", AD, D(2027, 4, 25), budget=10_000, booking=PLAN_DATE, fixed=True)
    assert "over_daily_cap" in _codes(videos, booked, _order("v2", AD, D(2027, 4, 25), budget=2),
                                      campaign=campaign)


def test_the_budget_left_is_the_budget_less_what_is_booked() -> None:
    # a budget of 100,000 yuan with 60,000 booked leaves 40,000; with all of it booked, none
    videos = [make_video(video_id="v1"), make_video(video_id="v2")]

    def codes(booked: float, new: float) -> list[str]:
        return _codes(videos, _order("v1", AD, D(2027, 4, 25), budget=booked,
                                     booking=PLAN_DATE, fixed=True),
                      _order("v2", AD, D(2027, 4, 26), budget=new))

    assert "over_budget" not in codes(60_000, 40_000)
    assert "over_budget" in codes(60_000, 41_000)
    assert "over_budget" in codes(100_000, 2)


def test_a_replans_learned_roi_for_a_pressure_test_is_its_dou_plus_roi_only() -> None:
    # the Dou+ pressure test opens content service: another tool's learned ROI says nothing
    learned = [LearnedRoi(video_id="v1", tool=tool, spend=1_000, gmv=gmv, prior_roi=2.0,
                          observed_roi=gmv / 1_000, learned_roi=roi)
               for tool, gmv, roi in ((DOU, 1_500, 1.5), (AD, 3_000, 3.0))]
    plan = Plan.model_construct(orders=[], learned=learned)
    assert evidence_from_plan(plan).learned_dou_plus == {"v1": 1.5}
