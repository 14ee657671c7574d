"""Every threshold of the rules at, just below and just above its line (the method's numbers).

Each test is named after the rule it guards; a mutation of that rule's comparison
(``<`` for ``<=``, ``and`` for ``or``, ``*`` for ``/``) makes it fail.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from factories import PLAN_DATE, make_campaign, make_video
from planner.config import BigSale
from planner.reasons import reason
from planner.rules import (
    ad_tool_rule,
    assess_video,
    content_service_rule,
    dou_plus_targeting,
    is_burst,
    kol_bidding_strategy,
    lock_in_rule,
    recent_roi,
    tool_reasons,
)
from planner.scoring import has_weight, kol_tier, score_video, weight_factor
from planner.tools import Tool

FLOOR = 1.2  # make_campaign's ROI floor


def _sale(days_after_plan: int) -> BigSale:
    start = PLAN_DATE + timedelta(days=days_after_plan)
    return BigSale(name="618", start=start, end=start + timedelta(days=3))


def _gmv_for_roi(roi: float, plays: float = 250_000, cpm: float = 40.0) -> float:
    """Natural GMV that gives ``roi`` on ``plays`` at the reference CPM."""
    return roi * cpm * plays / 1000.0


# ------------------------------------------------------------ ad tools: authorisation AND review
@pytest.mark.parametrize(("authorised", "reviewed", "allowed"), [
    (True, True, True), (True, False, False), (False, True, False), (False, False, False)])
@pytest.mark.parametrize("tool", [Tool.QIANCHUAN, Tool.AD_FEED, Tool.UNI_DESK])
def test_ad_tools_need_both_authorisation_and_ad_review(tool, authorised, reviewed, allowed):
    video = make_video(kol_authorized=authorised, ad_review_passed=reviewed)
    assert ad_tool_rule(video, tool).allowed is allowed
    campaign = make_campaign(chain="closed_loop" if tool is Tool.QIANCHUAN else "tmall")
    assert (tool in assess_video(video, campaign).eligible) is allowed


# ------------------------------------------------------------ content service: ROI floor
@pytest.mark.parametrize(("roi", "allowed"), [(FLOOR - 0.01, False), (FLOOR, True),
                                              (FLOOR + 0.01, True)])
def test_content_service_needs_traffic_roi_at_or_above_the_floor(roi, allowed):
    head = make_video(followers=5_000_000, natural_gmv=_gmv_for_roi(roi))
    campaign = make_campaign()
    verdict = content_service_rule(head, score_video(head, campaign), campaign)
    assert verdict.allowed is allowed
    if not allowed:
        assert verdict.reason.code == "cs_roi_below_floor"


@pytest.mark.parametrize(("rate", "allowed"), [(0.0199, False), (0.02, True), (0.0201, True)])
def test_content_service_comment_like_rate_at_two_percent(rate, allowed):
    head = make_video(followers=5_000_000, likes=10_000, comments=round(rate * 10_000))
    campaign = make_campaign()
    verdict = content_service_rule(head, score_video(head, campaign), campaign)
    assert verdict.allowed is allowed
    if not allowed:
        assert verdict.reason.code == "cs_comment_like_low"


@pytest.mark.parametrize(("learned", "allowed"), [(FLOOR - 0.01, False), (FLOOR, True),
                                                  (FLOOR + 0.01, True)])
def test_a_pressure_tests_learned_dou_plus_roi_at_the_floor_opens_content_service(
        learned, allowed):
    mid = make_video(followers=1_000_000)
    campaign = make_campaign()
    verdict = content_service_rule(mid, score_video(mid, campaign), campaign, learned)
    assert verdict.allowed is allowed
    assert verdict.reason.code == ("cs_pressure_test_passed" if allowed else "cs_tier_too_small")


def test_a_tier_without_a_weekly_content_service_scale_is_told_up_to_0_yuan_a_week():
    # mutation: cs_weekly_cap.get(tier, 0.0) -> get(tier, 1.0): the figure must be the scale
    # the plan obeys (the response model and the checker also read a missing tier as 0)
    tail = make_video(followers=300_000)  # tail: no weekly scale in the defaults
    campaign = make_campaign()
    scores = score_video(tail, campaign)
    assert scores.tier not in campaign.rules.cs_weekly_cap
    verdict = content_service_rule(tail, scores, campaign, FLOOR + 0.5)
    assert verdict.reason.code == "cs_pressure_test_passed"
    assert verdict.reason.params is not None and verdict.reason.params["cap"] == 0


# ------------------------------------------------------------ burst
# A floor of 1.25 keeps floor x 1.5 = 1.875 exact in binary, so "at the line" is exact.
BURST_FLOOR = 1.25


def _burst_video(**overrides):
    # first 2 hours: 10,000 plays; GMV set so the first-2h ROI is what a test asks for
    values = {"followers": 3_000_000, "publish_date": PLAN_DATE, "first_2h_plays": 10_000,
              "first_2h_gmv": _gmv_for_roi(BURST_FLOOR * 1.5, plays=10_000)}
    values.update(overrides)
    return make_video(**values)


@pytest.mark.parametrize(("multiple", "burst"), [(1.49, False), (1.5, True), (1.51, True)])
def test_burst_needs_first_two_hours_roi_at_floor_times_one_and_a_half(multiple, burst):
    campaign = make_campaign(roi_floor=BURST_FLOOR)
    video = _burst_video(first_2h_gmv=_gmv_for_roi(BURST_FLOOR * multiple, plays=10_000))
    assert is_burst(video, score_video(video, campaign), campaign) is burst


@pytest.mark.parametrize(("followers", "burst"), [(500_000, False), (500_001, True)])
def test_burst_needs_more_than_500k_followers(followers, burst):
    campaign = make_campaign(roi_floor=BURST_FLOOR)
    video = _burst_video(followers=followers)
    assert is_burst(video, score_video(video, campaign), campaign) is burst


@pytest.mark.parametrize(("age", "burst"), [(0, True), (1, True), (2, False)])
def test_burst_window_is_the_first_two_days(age, burst):
    campaign = make_campaign(roi_floor=BURST_FLOOR)
    video = _burst_video(publish_date=PLAN_DATE - timedelta(days=age))
    assert is_burst(video, score_video(video, campaign), campaign) is burst


@pytest.mark.parametrize(("followers", "package"), [(500_000, "basic+interest"),
                                                   (500_001, "basic+kol")])
def test_targeted_dou_plus_aims_at_kol_lookalikes_only_above_500k_followers(followers, package):
    campaign = make_campaign()
    video = make_video(followers=followers)
    scores = score_video(video, campaign)
    assert dou_plus_targeting(video, scores, "targeted", campaign) == package


@pytest.mark.parametrize(("followers", "strategy"), [(500_000, "yuntu"), (500_001, "kol")])
def test_kol_bidding_uses_the_kol_strategy_only_above_500k_followers(followers, strategy):
    assert kol_bidding_strategy(make_video(followers=followers), make_campaign()) == strategy


# ------------------------------------------------------------ what the assessment records
def test_only_a_switched_off_tool_is_said_to_be_switched_off():
    campaign = make_campaign(tools={"ad_feed": {"enabled": False}})
    assessed = assess_video(make_video(), campaign)
    off = [r.params["tool"] for r in assessed.reasons if r.code == "tool_disabled"]
    assert off == ["ad_feed"]
    assert Tool.AD_FEED not in assessed.eligible and Tool.UNI_DESK in assessed.eligible


def test_each_tool_is_explained_by_its_own_verdicts_and_an_ad_tool_by_its_own_name():
    assessed = assess_video(make_video(followers=5_000_000), make_campaign())
    for tool in (Tool.DOU_PLUS, Tool.CONTENT_SERVICE, Tool.AD_FEED, Tool.UNI_DESK):
        codes = {Tool.DOU_PLUS: ["roi_above_floor", "dou_plus_standard_start"],
                 Tool.CONTENT_SERVICE: ["cs_eligible"]}.get(tool, ["ad_tool_ok"])
        explained = tool_reasons(assessed.reasons, tool)
        assert [r.code for r in explained] == codes
        if tool in (Tool.AD_FEED, Tool.UNI_DESK):
            assert explained[0].params["tool"] == tool.value


def test_an_assessment_is_of_a_scheduled_post_only_when_a_schedule_is_given():
    campaign = make_campaign()
    live = assess_video(make_video(), campaign)
    assert live.scheduled is False and live.estimate is None
    why = reason("scheduled_from_tier_prior", "expected from the tier's prior", tier="mid")
    post = assess_video(make_video(), campaign, scheduled=why)
    assert post.scheduled is True and post.estimate == "tier_prior" and why in post.reasons


# ------------------------------------------------------------ lock-in
@pytest.mark.parametrize(("days", "booked"), [(29, False), (30, True), (31, True)])
def test_lock_in_needs_the_sale_at_least_30_days_after_the_plan_date(days, booked):
    campaign = make_campaign()
    video = make_video(followers=5_000_000)
    booking, why = lock_in_rule(video, score_video(video, campaign), _sale(days), campaign)
    assert (booking is not None) is booked
    assert why.code == ("sale_lock_in" if booked else "lock_in_too_late")
    if booked:
        assert booking == _sale(days).start - timedelta(days=30)


@pytest.mark.parametrize(("roi_3m", "booked"), [(FLOOR - 0.01, False), (FLOOR, True),
                                                (FLOOR + 0.01, True)])
def test_lock_in_needs_recent_roi_at_or_above_the_floor(roi_3m, booked):
    campaign = make_campaign()
    video = make_video(followers=5_000_000, roi_3m=roi_3m)
    booking, why = lock_in_rule(video, score_video(video, campaign), _sale(40), campaign)
    assert (booking is not None) is booked
    assert why.code == ("sale_lock_in" if booked else "lock_in_3m_roi_low")


@pytest.mark.parametrize(("age", "own"), [(89, True), (90, True), (91, False)])
def test_a_videos_own_roi_counts_as_recent_for_90_days(age, own):
    campaign = make_campaign()
    video = make_video(roi_3m=None, publish_date=PLAN_DATE - timedelta(days=age))
    roi, source = recent_roi(video, score_video(video, campaign), campaign)
    assert (source == "own") is own
    assert (roi is not None) is own


def test_a_learned_dou_plus_roi_books_a_lock_in_through_the_assessment():
    # An old video without a 3-month ROI: only the learned Dou+ ROI can book its lock-in.
    campaign = make_campaign(end=PLAN_DATE + timedelta(days=60),
                             big_sales=[{"name": "618", "start": PLAN_DATE + timedelta(days=40),
                                         "end": PLAN_DATE + timedelta(days=43)}])
    video = make_video(followers=5_000_000, roi_3m=None,
                       publish_date=PLAN_DATE - timedelta(days=120))
    assert assess_video(video, campaign).lock_ins == {}
    assert assess_video(video, campaign, learned_dou_plus_roi=FLOOR).lock_ins == {
        "618": PLAN_DATE + timedelta(days=10)}
    assert assess_video(video, campaign, learned_dou_plus_roi=FLOOR - 0.01).lock_ins == {}


# ------------------------------------------------------------ scoring
@pytest.mark.parametrize(("followers", "tier"), [
    (99_999, "koc"), (100_000, "tail"), (100_001, "tail"),
    (2_999_999, "mid"), (3_000_000, "head"), (3_000_001, "head"),
    (9_999_999, "head"), (10_000_000, "super_head"), (10_000_001, "super_head")])
def test_kol_tier_boundaries_at_100k_3m_and_10m_followers(followers, tier):
    assert kol_tier(followers, make_campaign().tiers) == tier


@pytest.mark.parametrize(("followers", "direct"), [(2_999_999, False), (3_000_000, True)])
def test_three_million_followers_decides_direct_content_service_or_a_pressure_test(
        followers, direct):
    campaign = make_campaign()
    video = make_video(followers=followers)
    verdict = content_service_rule(video, score_video(video, campaign), campaign)
    assert verdict.allowed is direct
    assert verdict.reason.code == ("cs_eligible" if direct else "cs_tier_too_small")


@pytest.mark.parametrize(("plays", "weight"), [(49_999, False), (50_000, True), (50_001, True)])
def test_an_account_has_weight_from_50000_median_plays(plays, weight):
    assert has_weight(plays, make_campaign().rules) is weight


@pytest.mark.parametrize(("plays", "share"), [(5_000, 0.2), (25_000, 0.5), (50_000, 1.0),
                                              (200_000, 1.0)])
def test_an_account_without_weight_gets_a_share_of_paid_capacity(plays, share):
    campaign = make_campaign()
    assert weight_factor(plays, campaign.rules, campaign.response.min_weight_factor) == (
        pytest.approx(share))
