"""KOL bidding (达人竞价) against feed ads, and the closed-loop mix (随心推 tests, 千川 scale)."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from factories import make_campaign, make_video
from planner.planning import assess_roster, make_plan
from planner.response import Signals, build_response_model, suixintui_winner
from planner.tools import Tool

SALE = {"name": "618", "start": date(2027, 5, 31), "end": date(2027, 6, 18),
        "phases": [{"kind": "preheat", "start": date(2027, 5, 31), "end": date(2027, 6, 5)},
                   {"kind": "presale", "start": date(2027, 6, 6), "end": date(2027, 6, 15)},
                   {"kind": "peak", "start": date(2027, 6, 16), "end": date(2027, 6, 18)}]}
DAYS = [date(2027, 5, 20), date(2027, 6, 1), date(2027, 6, 10), date(2027, 6, 17)]


def _first_segment_roi(campaign, video):
    response = build_response_model(assess_roster([video], campaign), campaign)
    return {(p.tool, p.days[0]): p.seg_roi[0] for p in response.purchases
            if p.tool in (Tool.KOL_BIDDING, Tool.AD_FEED)}


@settings(max_examples=40, deadline=None)
@given(
    kb=st.fixed_dictionaries({
        "cpm": st.floats(10, 150), "efficiency": st.floats(0.1, 3.0),
        "sale_price_multiplier": st.floats(1.0, 3.0),
        "sale_conversion_multiplier": st.one_of(st.none(), st.floats(0.5, 3.0))}),
    feed=st.fixed_dictionaries({
        "cpm": st.floats(10, 150), "efficiency": st.floats(0.1, 3.0),
        "sale_price_multiplier": st.floats(1.0, 3.0),
        "sale_conversion_multiplier": st.one_of(st.none(), st.floats(0.5, 3.0))}),
    gmv=st.floats(5_000, 200_000),
    followers=st.integers(10_000, 20_000_000),
)
def test_kol_bidding_never_expects_less_roi_per_yuan_than_ad_feed_on_the_same_video_and_day(
        kb, feed, gmv, followers):
    # An authorised, ad-reviewed video: whatever the tools' figures and the sale phase,
    # KOL bidding's expected ROI per yuan is at least AD feed's that day [seed].
    campaign = make_campaign(start=date(2027, 5, 20), end=date(2027, 6, 20),
                             plan_date=date(2027, 5, 19), budget=1_000_000, roi_floor=0.01,
                             big_sales=[SALE],
                             tools={"kol_bidding": kb, "ad_feed": feed})
    video = make_video(publish_date=date(2027, 5, 10), natural_gmv=gmv, followers=followers,
                       kol_authorized=True, ad_review_passed=True)
    roi = _first_segment_roi(campaign, video)
    compared = [day for day in DAYS if (Tool.AD_FEED, day) in roi]
    assert compared
    for day in compared:
        assert roi[(Tool.KOL_BIDDING, day)] >= roi[(Tool.AD_FEED, day)] * (1 - 1e-9)


def test_kol_bidding_expects_the_feed_premium_over_ad_feed_with_the_default_figures():
    campaign = make_campaign(start=date(2027, 5, 20), end=date(2027, 6, 20),
                             plan_date=date(2027, 5, 19), big_sales=[SALE])
    roi = _first_segment_roi(campaign, make_video(publish_date=date(2027, 5, 10)))
    for day in DAYS:
        assert roi[(Tool.KOL_BIDDING, day)] == pytest.approx(
            campaign.bidding.feed_premium * roi[(Tool.AD_FEED, day)])


def test_kol_bidding_takes_millions_over_a_week_on_a_weighty_video_from_its_first_day():
    # Near-zero cold start and strong volume [seed]: 2,000,000 yuan over 6 days on a video
    # with full account weight, whatever its natural plays (250,000 here: 10,000 yuan of
    # reach a day at CPM 40) -- within its reach limit (100 x natural plays).
    campaign = make_campaign(budget=5_000_000, rules={"max_amplification": 10_000})
    response = build_response_model(
        assess_roster([make_video(median_plays=2_000_000)], campaign), campaign)
    daily = {p.days[0]: p.capacity * 1000 for p in response.purchases
             if p.tool is Tool.KOL_BIDDING}
    assert min(daily) == campaign.start
    assert sum(sorted(daily.values())[-6:]) >= 1_000_000
    assert daily[campaign.start] == pytest.approx(campaign.bidding.daily_volume, rel=1e-6)


def test_kol_bidding_spends_where_the_video_is_authorised_and_ad_reviewed():
    campaign = make_campaign(budget=200_000)
    plan = make_plan([make_video(publish_date=date(2027, 4, 10))], campaign)
    assert sum(d.spend for d in plan.daily if d.tool is Tool.KOL_BIDDING) > 0.5 * 200_000
    blocked = make_plan([make_video(publish_date=date(2027, 4, 10), kol_authorized=False)],
                        campaign)
    assert not any(d.tool is Tool.KOL_BIDDING for d in blocked.daily)


def _closed_loop(**overrides):
    values = {"chain": "closed_loop", "budget": 300_000}
    values.update(overrides)
    return make_campaign(**values)


def test_suixintui_buys_small_test_orders_on_a_video_not_yet_proven():
    campaign = _closed_loop()
    response = build_response_model(assess_roster([make_video()], campaign), campaign)
    tests = [p.capacity * 1000 for p in response.purchases if p.tool is Tool.SUIXINTUI]
    assert tests and max(tests) <= campaign.closed_loop.suixintui_test_daily + 1e-6


def test_suixintui_scales_a_winner_whose_actuals_sold_as_expected():
    campaign = _closed_loop()
    winner = Signals(roi_multiplier={("v1", Tool.SUIXINTUI): 1.2})
    response = build_response_model(assess_roster([make_video()], campaign), campaign, winner)
    scaled = [p.capacity * 1000 for p in response.purchases if p.tool is Tool.SUIXINTUI]
    assert max(scaled) > campaign.closed_loop.suixintui_test_daily


def test_each_tools_orders_carry_its_own_targeting_and_harvesting_orders_none():
    # A mid-tier video in the closed loop: Suixintui untargeted first, KOL bidding on the
    # KOL's own audience, Qianchuan harvests the pool without a targeting of its own.
    campaign = _closed_loop()
    response = build_response_model(assess_roster([make_video()], campaign), campaign)
    assert {(p.tool, p.targeting) for p in response.purchases} == {
        (Tool.SUIXINTUI, "untargeted"), (Tool.KOL_BIDDING, "kol"), (Tool.QIANCHUAN, None)}


@pytest.mark.parametrize(("sold", "winner"), [(1.0, True), (0.99, False)])
def test_a_suixintui_video_is_a_winner_from_exactly_the_winner_ratio(sold, winner):
    # [closed_loop] suixintui_winner_ratio 1.0: actuals that sold what was expected scale.
    signals = Signals(roi_multiplier={("v1", Tool.SUIXINTUI): sold})
    assert suixintui_winner("v1", signals, _closed_loop()) is winner


def test_the_closed_loop_puts_its_scale_on_qianchuan_and_small_tests_on_suixintui():
    campaign = _closed_loop(budget=600_000)
    videos = [make_video(video_id=f"v{i}", kol_name=f"k{i}", publish_date=date(2027, 4, 12 + i))
              for i in range(6)]
    plan = make_plan(videos, campaign)
    spend = {tool: sum(d.spend for d in plan.daily if d.tool is tool) for tool in Tool}
    suixintui_days = [d.spend for d in plan.daily if d.tool is Tool.SUIXINTUI]
    assert spend[Tool.QIANCHUAN] > spend[Tool.SUIXINTUI] > 0
    assert max(suixintui_days) <= campaign.closed_loop.suixintui_test_daily + 1e-6
