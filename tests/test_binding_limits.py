"""Every limit that binds says its name and its figures: audience pool, lock-in, KOL fees."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from factories import make_campaign, make_video
from planner.config import campaign_from_dict
from planner.errors import InfeasibleError
from planner.io.campaign_file import read_campaign
from planner.io.roster import read_videos
from planner.planning import make_plan
from planner.views.campaign_form import campaign_dict_from_form, form_defaults

SAMPLE = Path(__file__).resolve().parent.parent / "sample_data"
NO_SEEDING_TOOLS = {"dou_plus": {"enabled": False}, "content_service": {"enabled": False},
                    "kol_bidding": {"enabled": False}}


def _codes(plan):
    return [line.code for line in plan.binding_lines]


def test_a_harvest_only_roster_is_held_by_the_audience_pool_and_says_which_weeks():
    campaign = make_campaign(end=date(2027, 5, 31), budget=2_000_000, tools=NO_SEEDING_TOOLS,
                             balance={"min_seeding_share": 0.0})
    plan = make_plan([make_video()], campaign)
    pool, = (line for line in plan.binding_lines if line.code == "audience_pool")
    assert pool.params["first_week"] == 1 and pool.params["last_week"] == 6
    assert "unspent_audience_pool" in _codes(plan)
    assert "nothing_above_floor" not in _codes(plan)
    assert plan.unspent > 0.9 * campaign.budget  # little to harvest without seeding


def test_harvesting_without_seeding_grows_with_the_brands_existing_audience():
    def harvested(people):
        campaign = make_campaign(budget=2_000_000, tools=NO_SEEDING_TOOLS,
                                 balance={"min_seeding_share": 0.0},
                                 harvest={"existing_audience": people})
        return make_plan([make_video()], campaign).total_spend

    assert harvested(0) < harvested(300_000) < harvested(3_000_000)


def test_a_harvest_only_sample_roster_without_seeding_harvests_little_and_says_the_pool_binds():
    campaign = read_campaign(SAMPLE / "campaign_tmall.toml")
    raw = campaign.model_dump()
    for tool in NO_SEEDING_TOOLS:
        raw["tools"][tool]["enabled"] = False
    raw.update(balance={"min_seeding_share": 0.0, "max_seeding_share": 1.0}, commitments=[])
    harvest_only = campaign_from_dict(raw)
    videos, _ = read_videos(SAMPLE / "videos.csv", plan_date=campaign.effective_plan_date)
    plan = make_plan(videos, harvest_only)
    assert plan.total_spend < 0.15 * harvest_only.budget
    assert {"audience_pool", "unspent_audience_pool"} <= set(_codes(plan))


def test_a_natural_play_joins_the_audience_pool_at_its_configured_share():
    def harvested(share):
        campaign = make_campaign(budget=2_000_000, tools=NO_SEEDING_TOOLS,
                                 balance={"min_seeding_share": 0.0},
                                 harvest={"existing_audience": 0, "natural_play_share": share})
        return make_plan([make_video(natural_plays=2_000_000, natural_gmv=160_000)],
                         campaign).total_spend

    assert harvested(0.0) == 0
    assert harvested(0.1) < harvested(0.5) < harvested(1.0)


def test_a_pool_that_binds_in_one_week_says_that_week_not_a_range_of_one():
    campaign = make_campaign(end=date(2027, 4, 27), budget=2_000_000, tools=NO_SEEDING_TOOLS,
                             balance={"min_seeding_share": 0.0})
    plan = make_plan([make_video()], campaign)
    pool, = (line for line in plan.binding_lines if line.code == "audience_pool")
    assert pool.params["first_week"] == pool.params["last_week"] == 1
    assert any("第 1 周" in text for text in plan.binding)
    assert not any("1–1" in text for text in plan.binding)


def test_a_sale_too_close_to_lock_in_is_said_once_in_the_summary_with_the_date_it_needed():
    sale = {"name": "618", "start": date(2027, 5, 10), "end": date(2027, 5, 20)}
    campaign = make_campaign(end=date(2027, 5, 31), budget=300_000, big_sales=[sale])
    videos = [make_video(video_id=f"v{i}", followers=5_000_000, median_plays=800_000)
              for i in range(3)]
    plan = make_plan(videos, campaign)
    lines = [line for line in plan.binding_lines if line.code == "lock_in_impossible"]
    assert len(lines) == 1
    assert lines[0].params["booking"] == "2027-04-10"  # 30 days before 05-10
    assert lines[0].params["plan_date"] == "2027-04-20"
    assert sum("2027-04-10" in text for text in plan.binding) == 1


def test_a_binding_seeding_cap_names_the_kol_fees_in_it():
    # A brand with 5,000,000 people in its pool already: harvesting can take what the cap
    # needs from the first day.
    campaign = make_campaign(budget=200_000, balance={"max_seeding_share": 0.6},
                             harvest={"existing_audience": 5_000_000})
    video = make_video(kol_fee=100_000, natural_plays=5_000_000, natural_gmv=400_000)
    plan = make_plan([video], campaign)
    fees, = (line for line in plan.binding_lines if line.code == "seeding_fees")
    assert fees.params["fees"] == 100_000
    assert fees.params["share"] == pytest.approx(100_000 / 300_000, abs=1e-4)


def test_a_seeding_cap_the_kol_fees_alone_break_names_the_fees_and_the_harvest_it_needs():
    # Fees 500,000 with a 50% cap need 500,000 of harvesting; the budget is 100,000.
    campaign = make_campaign(budget=100_000, balance={"min_seeding_share": 0.0,
                                                      "max_seeding_share": 0.5})
    with pytest.raises(InfeasibleError) as caught:
        make_plan([make_video(kol_fee=500_000)], campaign)
    assert any("500,000" in c and "83%" in c for c in caught.value.conflicts)


def test_the_campaign_form_sets_the_most_seeding_share():
    campaign = make_campaign(balance={"min_seeding_share": 0.3, "max_seeding_share": 0.8})
    form = form_defaults(campaign)
    assert (form.min_seeding_share, form.max_seeding_share) == (0.3, 0.8)
    raw, problems = campaign_dict_from_form(campaign, replace(form, max_seeding_share=0.7))
    assert problems == []
    assert raw["balance"]["max_seeding_share"] == 0.7


def test_a_least_seeding_share_of_zero_is_never_said_to_hold_a_plan_back():
    # No KOL fees and no seeding tools: nothing is seeded, and a floor of 0% asks for nothing.
    campaign = make_campaign(budget=2_000_000, tools=NO_SEEDING_TOOLS,
                             balance={"min_seeding_share": 0.0})
    plan = make_plan([make_video(kol_fee=None)], campaign)
    assert plan.total_spend > 0  # the existing audience is harvested
    assert "seeding_min" not in _codes(plan)
