"""Test, then scale: a small share of the budget tests the videos whose value is most
uncertain and could matter most; re-plans scale the ones whose evidence clears the floor."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from factories import PLAN_DATE, POINT_ESTIMATES, actuals_frame, make_video
from factories import make_campaign as _make_campaign
from planner.config import RiskConfig
from planner.learning import expected_gmv_for, learn
from planner.planning import assess_roster, make_plan
from planner.pressure_tests import value_of_information
from planner.tools import Tool

START = PLAN_DATE + timedelta(days=1)


def make_campaign(**overrides):
    """The test campaign with 3% of its budget for pressure tests (the default is none)."""
    return _make_campaign(risk={**POINT_ESTIMATES, "test_share": 0.03}, **overrides)


@pytest.mark.slow
@given(st.floats(0.1, 10), st.floats(0.1, 10), st.floats(0.01, 2), st.floats(0.01, 2))
def test_value_of_information_is_never_negative_and_grows_with_the_spread(
        mean: float, margin: float, sigma: float, more: float) -> None:
    value = value_of_information(mean, margin, sigma, 1.0)
    assert value >= -1e-9
    assert value_of_information(mean, margin, sigma + more, 1.0) >= value - 1e-9
    assert value_of_information(mean, margin, 0.0, 1.0) == 0.0


def _roster(live: bool = False) -> list:
    """Two live videos with plenty of natural sales and a KOL new to the roster whose post
    goes live on the second day: planned on its tier's prior (the widest belief)."""
    new = make_video(video_id="s1", kol_name="新人", publish_date=START + timedelta(days=1),
                     followers=600_000, median_plays=150_000, natural_plays=None,
                     natural_gmv=None, roi_3m=None, kol_authorized=False)
    if live:  # a few days later: live, with a thin natural record
        new = new.model_copy(update={"natural_plays": 30_000, "natural_gmv": 1_440})
    big = {"followers": 2_000_000, "median_plays": 200_000, "natural_plays": 400_000,
           "publish_date": START - timedelta(days=6), "kol_authorized": False}
    return [make_video(video_id="v1", natural_gmv=40_000, **big),
            make_video(video_id="v2", kol_name="对手", natural_gmv=36_000, **big), new]


def _tests(plan):
    return [o for o in plan.orders if any(r.code == "pressure_test" for r in o.reasons)]


def test_a_pressure_test_goes_to_the_post_whose_value_is_most_uncertain() -> None:
    campaign = make_campaign(budget=150_000)
    plan = make_plan(_roster(), campaign)
    tests = {o.video_id: o for o in _tests(plan)}
    assert "s1" in tests
    test = tests["s1"]
    # Two days of a 300-yuan Dou+ order, from the post's first Dou+ day.
    assert test.tool is Tool.DOU_PLUS and test.budget == 600
    assert (test.end_date - test.start_date).days == 1
    (why,) = [r for r in test.reasons if r.code == "pressure_test"]
    assert why.params is not None and why.params["basis"] == "tier_prior"
    assert why.text.startswith("pressure test: 300 yuan of dou_plus a day for 2 days")
    assert "re-plans scale it once its evidence clears the floor" in why.text
    assert sum(o.budget for o in _tests(plan)) <= 0.03 * 150_000


def test_no_pressure_test_where_no_money_could_follow_it() -> None:
    # The post goes live four days before the campaign ends: its first Dou+ days (standard
    # start, three days on) are the last two, so nothing is left to scale what it teaches.
    campaign = make_campaign(budget=150_000)
    late = [v if v.video_id != "s1" else
            v.model_copy(update={"publish_date": campaign.end - timedelta(days=4)})
            for v in _roster()]
    assert "s1" not in {o.video_id for o in _tests(make_plan(late, campaign))}
    assert "s1" in {o.video_id for o in _tests(make_plan(_roster(), campaign))}


def test_no_pressure_tests_without_a_test_share() -> None:
    plan = make_plan(_roster(), _make_campaign(budget=150_000))  # test_share 0
    assert RiskConfig().test_share == 0.03  # a campaign that says nothing tests 3%
    assert not _tests(plan)


def test_the_closed_loop_tests_with_small_suixintui_orders() -> None:
    plan = make_plan(_roster(), make_campaign(chain="closed_loop", budget=20_000))
    assert [(o.video_id, o.tool, o.budget) for o in _tests(plan)] == [
        ("s1", Tool.SUIXINTUI, 600)]


def test_a_budget_that_buys_everything_worth_buying_tests_nothing() -> None:
    """With money for every purchase on offer, knowing a video's ROI changes no decision:
    its value of information is nil."""
    plan = make_plan(_roster(), make_campaign(chain="closed_loop", budget=150_000))
    assert not _tests(plan)


def _replanned_spend(test_roi_multiple: float | None) -> float:
    """New money on s1 after its two test days sold ``test_roi_multiple`` x expected."""
    before = make_campaign(budget=150_000)
    (test,) = [o for o in _tests(make_plan(_roster(), before)) if o.video_id == "s1"]
    assessed = {a.video.video_id: a for a in assess_roster(_roster(), before)}
    rows = []
    if test_roi_multiple is not None:
        for k in range(2):
            day = test.start_date + timedelta(days=k)
            expected = expected_gmv_for(assessed["s1"], Tool.DOU_PLUS, day, 300, before)
            rows.append((day, "s1", "dou_plus", 300, expected * test_roi_multiple))
    day = test.end_date + timedelta(days=1)
    campaign = make_campaign(budget=150_000, plan_date=day)
    learning = learn(actuals_frame(rows), assess_roster(_roster(live=True), campaign),
                     campaign, day)
    plan = make_plan(_roster(live=True), campaign, signals=learning.signals)
    assert not [o for o in _tests(plan) if o.video_id == "s1"]  # tested once
    return sum(o.budget for o in plan.orders if o.video_id == "s1" and not o.fixed)


def test_a_passed_pressure_test_scales_the_video_and_a_failed_one_does_not() -> None:
    untested = _replanned_spend(None)
    assert _replanned_spend(3.0) >= 1.5 * untested
    assert _replanned_spend(0.2) <= untested


def test_tests_that_would_break_a_rule_are_dropped_and_the_plan_says_so() -> None:
    # A Dou+ budget cap below the 600 yuan of a test: the plan goes without tests.
    campaign = make_campaign(budget=150_000, tools={"dou_plus": {"max_budget": 500}})
    plan = make_plan(_roster(), campaign)
    assert not _tests(plan)
    assert sum(o.budget for o in plan.orders if o.tool is Tool.DOU_PLUS) <= 500
    (dropped,) = [line for line in plan.assumption_lines if line.code == "tests_dropped"]
    assert dropped.params is not None and dropped.params["tests"] >= 1
    assert dropped.params["spend"] == 600 * dropped.params["tests"]
