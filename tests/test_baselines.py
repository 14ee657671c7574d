"""The buyers' rule of thumb: it keeps every rule, and the optimiser does at least as well."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

import pytest

from factories import make_campaign, make_video
from planner.baselines import BaselineResult, allocate_rule_of_thumb, rule_of_thumb
from planner.config import Campaign
from planner.models import Video
from planner.planning import assess_roster, make_plan
from planner.response import (
    KYUAN,
    AudiencePool,
    Purchase,
    ResponseModel,
    build_response_model,
)
from planner.tools import Tool


def _roster() -> list[Video]:
    return [
        # Head KOL published on the plan date: content service can start before Dou+ may.
        make_video(video_id="head_new", followers=5_000_000, median_plays=400_000,
                   publish_date=date(2027, 4, 20), natural_plays=600_000, natural_gmv=55_000,
                   likes=20_000, comments=900),
        # The factory's mid-tier video (traffic ROI 2.0): Dou+ and the ad tools.
        make_video(video_id="mid"),
        # A strong KOC: Dou+ only, small capacity.
        make_video(video_id="koc", followers=90_000, median_plays=60_000, natural_plays=80_000,
                   natural_gmv=10_400, likes=3_000, comments=90, kol_authorized=False),
        # Below the floor: nothing to buy.
        make_video(video_id="weak", natural_gmv=9_000),
    ]


CAMPAIGNS = {
    "budget binds": {"budget": 120_000},
    "daily cap binds": {"budget": 400_000, "daily_cap": 30_000},
    "big budget with a sale": {
        "budget": 2_000_000, "daily_cap": 250_000,
        "big_sales": [{"name": "sale", "start": date(2027, 4, 27), "end": date(2027, 4, 28)}],
    },
    "tool cap and leftover below minimums": {
        "budget": 50_150, "tools": {"ad_feed": {"max_budget": 5_000}},
    },
}


def _allocate(campaign: Campaign) -> tuple[ResponseModel, BaselineResult]:
    assessments = assess_roster(_roster(), campaign)
    response = build_response_model(assessments, campaign)
    return response, allocate_rule_of_thumb(assessments, response, campaign)


def _taken(response: ResponseModel, result: BaselineResult) -> list[tuple[Purchase, float]]:
    by_index = {p.index: p for p in response.purchases}
    return [(by_index[i], yuan) for i, yuan in result.spend_by_purchase.items()]


@pytest.fixture(params=list(CAMPAIGNS), ids=list(CAMPAIGNS))
def case(request: pytest.FixtureRequest) -> tuple[Campaign, ResponseModel, BaselineResult]:
    campaign = make_campaign(**CAMPAIGNS[request.param])
    response, result = _allocate(campaign)
    return campaign, response, result


def test_spends_within_the_budget(case):
    campaign, _, result = case
    assert 0 < result.spend <= campaign.budget + 1e-6
    assert result.total_spend <= campaign.budget + 1e-6


def test_respects_the_daily_cap(case):
    campaign, response, result = case
    if campaign.daily_cap is None:
        return
    per_day: dict[date, float] = defaultdict(float)
    for p, yuan in _taken(response, result):
        for day, share in zip(p.days, p.day_shares, strict=True):
            per_day[day] += yuan * share
    assert max(per_day.values()) <= campaign.daily_cap + 1e-6


def test_every_order_meets_its_tool_minimum_and_capacity(case):
    campaign, response, result = case
    for p, yuan in _taken(response, result):
        assert yuan >= campaign.tools[p.tool].min_order - 1e-6
        assert yuan <= p.capacity * KYUAN + 1e-6
        step = campaign.tools[p.tool].order_step
        assert yuan / step == pytest.approx(round(yuan / step))


def test_respects_tool_caps_and_reach_limit(case):
    campaign, response, result = case
    per_tool: dict[Tool, float] = defaultdict(float)
    impressions: dict[str, float] = defaultdict(float)
    for p, yuan in _taken(response, result):
        per_tool[p.tool] += yuan
        impressions[p.video_id] += yuan / KYUAN * p.impressions_per_kyuan
    for tool, spent in per_tool.items():
        cap = campaign.tools[tool].max_budget
        assert cap is None or spent <= cap + 1e-6
    for video_id, used in impressions.items():
        assert used <= response.amplification_room[video_id] * (1 + 1e-9)


def test_content_service_and_dou_plus_never_share_a_video_day(case):
    _, response, result = case
    cs_days = {(p.video_id, d) for p, _ in _taken(response, result)
               if p.is_content_service for d in p.days}
    dou_plus_days = {(p.video_id, p.days[0]) for p, _ in _taken(response, result)
                     if p.tool is Tool.DOU_PLUS}
    assert not cs_days & dou_plus_days


def test_keeps_the_minimum_seeding_share(case):
    campaign, response, result = case
    seeding = response.kol_fees * KYUAN + sum(y for p, y in _taken(response, result) if p.seeding)
    total = response.kol_fees * KYUAN + result.spend
    assert seeding >= campaign.balance.min_seeding_share * total - 1e-6


def test_the_exclusivity_is_really_exercised():
    """Content service is taken first on the new head video, then Dou+ after its window."""
    # KOL bidding off: on an authorised video it outbids Dou+ (above AD feed, own volume).
    campaign = make_campaign(budget=2_000_000, tools={"kol_bidding": {"enabled": False}})
    response, result = _allocate(campaign)
    tools = {p.tool for p, _ in _taken(response, result) if p.video_id == "head_new"}
    assert {Tool.CONTENT_SERVICE, Tool.DOU_PLUS} <= tools
    cs = [p for p in response.purchases if p.is_content_service and p.video_id == "head_new"]
    assert min(p.min_order for p in cs) * KYUAN == 50_000


def test_skips_a_purchase_when_less_than_its_minimum_is_left():
    # 40,000 yuan cannot book content service (50,000 minimum): the money goes elsewhere.
    campaign = make_campaign(budget=40_000)
    response, result = _allocate(campaign)
    assert not any(p.is_content_service for p, _ in _taken(response, result))
    assert result.spend > 0


def test_ranks_videos_by_traffic_roi():
    # With money for one video only, the best traffic ROI gets it, whatever the roster order.
    campaign = make_campaign(budget=5_000)
    for roster in (_roster(), list(reversed(_roster()))):
        result = rule_of_thumb(roster, campaign)
        assessments = assess_roster(roster, campaign)
        response = build_response_model(assessments, campaign)
        by_index = {p.index: p for p in response.purchases}
        bought = {by_index[i].video_id for i in result.spend_by_purchase}
        buyable = {p.video_id for p in response.purchases}
        best = max((a for a in assessments if a.video.video_id in buyable),
                   key=lambda a: a.scores.traffic_roi).video.video_id
        assert bought == {best} == {"koc"}


def test_counts_fixed_commitments_like_the_planner():
    campaign = make_campaign(budget=120_000, commitments=[
        {"video_id": "mid", "tool": "dou_plus", "start": date(2027, 4, 21),
         "end": date(2027, 4, 22), "budget": 4_000},
    ])
    _, result = _allocate(campaign)
    assert result.committed == pytest.approx(4_000)
    assert result.total_spend <= campaign.budget + 1e-6


def _pool_and_purchase(*wanted: tuple[Tool, date]) -> tuple[AudiencePool, list[Purchase]]:
    """The rule of thumb's audience pool over the factory campaign (04-21 to 04-30, weeks
    from 04-21 and 04-28) and video v1's daily purchases of the tools on the days asked."""
    campaign = make_campaign()
    response = build_response_model(assess_roster([make_video()], campaign), campaign)
    found = [next(p for p in response.purchases if (p.tool, p.days[0]) == w) for w in wanted]
    return AudiencePool(response, campaign), found


def test_seeding_bought_before_a_week_widens_its_harvest_room_by_the_reach_share():
    # 4,000 yuan of Dou+ at CPM 20 on 04-24 seeds 200,000 people; harvesting reaches 5% of
    # the pool a day, 15% over the last week's three days (04-28 to 04-30): 30,000 more.
    pool, (dou_plus,) = _pool_and_purchase((Tool.DOU_PLUS, date(2027, 4, 24)))
    before = pool.room(date(2027, 4, 28))
    pool.take(dou_plus, 4.0)
    assert pool.room(date(2027, 4, 28)) == pytest.approx(before + 30_000)


def test_seeding_bought_on_a_weeks_first_day_leaves_that_weeks_harvest_room_as_it_was():
    # The pool a week harvests is the one at its start: Dou+ bought on 04-28, the last
    # week's first day, seeds too late for it.
    pool, (dou_plus,) = _pool_and_purchase((Tool.DOU_PLUS, date(2027, 4, 28)))
    before = pool.room(date(2027, 4, 28))
    pool.take(dou_plus, 4.0)
    assert before > 0
    assert pool.room(date(2027, 4, 28)) == before


def test_a_content_service_week_seeds_its_impressions_once_over_its_days():
    # 10,000 yuan of content service at CPM 25 over 04-21 to 04-27 seeds 400,000 people
    # in all, before the last week: 15% of them widen that week's room, 60,000.
    campaign = make_campaign()
    response = build_response_model(
        assess_roster([make_video(followers=5_000_000)], campaign), campaign)
    week = next(p for p in response.purchases
                if p.is_content_service and p.days[0] == date(2027, 4, 21))
    pool = AudiencePool(response, campaign)
    before = pool.room(date(2027, 4, 28))
    pool.take(week, 10.0)
    assert len(week.days) == 7
    assert pool.room(date(2027, 4, 28)) == pytest.approx(before + 60_000)


def test_each_harvest_order_takes_its_impressions_from_its_weeks_room():
    # The last week's room: 15% of 325,000 people (the brand's 300,000 and a tenth of v1's
    # 250,000 natural plays), 48,750. 1,000 yuan of AD feed at CPM 50 harvests 20,000
    # impressions; two such orders 40,000.
    pool, (first, second) = _pool_and_purchase((Tool.AD_FEED, date(2027, 4, 28)),
                                               (Tool.AD_FEED, date(2027, 4, 29)))
    assert pool.room(date(2027, 4, 28)) == pytest.approx(48_750)
    pool.take(first, 1.0)
    pool.take(second, 1.0)
    assert pool.room(date(2027, 4, 30)) == pytest.approx(48_750 - 40_000)
    pool.take(first, 1.0)  # 60,000 harvested: the week has no room left, never less
    assert pool.room(date(2027, 4, 30)) == 0.0


def test_is_deterministic():
    campaign = make_campaign(**CAMPAIGNS["daily cap binds"])
    assert rule_of_thumb(_roster(), campaign) == rule_of_thumb(_roster(), campaign)


@pytest.mark.parametrize("name", list(CAMPAIGNS))
def test_the_planner_does_at_least_as_well(name):
    campaign = make_campaign(**CAMPAIGNS[name])
    thumb = rule_of_thumb(_roster(), campaign)
    plan = make_plan(_roster(), campaign)
    # The planner is optimal within its relative gap; both round orders down to whole yuan.
    slack = campaign.solver.relative_gap * plan.bound_gmv + 10.0
    assert thumb.expected_gmv <= plan.expected_gmv + slack
    assert thumb.expected_gmv <= plan.bound_gmv + 10.0
