"""Learning from actuals, path by path: each test fails when its rule's code is mutated.

The mutations each test guards against (applied by hand, then reverted) are named in
the test's comment: an actual of the plan day itself leaking in (``<`` -> ``<=``),
per-tool spend keeping only the last day (``+=`` -> ``=``), the prior's ageing
inverted (``*`` -> ``/``), ``cs_cancelled`` needing both triggers (``|`` -> ``&``), the
learned-burst threshold, the expected-GMV segment maths and the collapse signal's
minimum daily spend.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from factories import actuals_frame, make_campaign, make_video
from planner.learning import (
    expected_gmv_for,
    learn,
    recency_weight,
    roi_collapse,
    roi_decline,
)
from planner.planning import assess_roster
from planner.response import tool_economics
from planner.tools import Tool

START = date(2027, 4, 21)
FLOOR = 1.2


def _campaign(**overrides):
    values = {"start": START, "end": START + timedelta(days=9), "plan_date": START,
              "budget": 60_000}
    values.update(overrides)
    return make_campaign(**values)


def _video(**overrides):
    values = {"video_id": "v1", "followers": 2_000_000, "median_plays": 200_000,
              "publish_date": START - timedelta(days=6), "natural_plays": 400_000,
              "natural_gmv": 40_000}
    values.update(overrides)
    return make_video(**values)



def _learn(rows, day, video=None, campaign=None):
    campaign = campaign or _campaign()
    videos = [video or _video()]
    return learn(actuals_frame(rows), assess_roster(videos, campaign), campaign, day)


def test_actuals_dated_on_the_plan_day_itself_are_not_learned_from():
    # mutation: actuals["date"] < plan_date -> <=
    day = START + timedelta(days=2)
    learning = _learn([(day, "v1", "dou_plus", 5_000, 50_000)], day)
    assert learning.estimates == []
    assert learning.signals.roi_multiplier == {}


def test_a_tools_spend_adds_up_over_every_day_of_actuals():
    # mutation: acc[0] += spend -> acc[0] = spend (and the same for GMV)
    day = START + timedelta(days=3)
    rows = [(START + timedelta(days=i), "v1", "dou_plus", 1_000 + 100 * i, 2_000 + 10 * i)
            for i in range(3)]
    estimate, = _learn(rows, day).estimates
    assert estimate.spend == pytest.approx(3_300)
    assert estimate.gmv == pytest.approx(6_030)


def test_the_prior_ages_with_the_first_day_of_actuals():
    # mutation: prior = prior_spend * recency_weight(...) -> prior_spend / recency_weight(...)
    campaign = _campaign()
    video = _video()
    first, last = START, START + timedelta(days=3)
    day = last + timedelta(days=1)
    rows = [(first, "v1", "dou_plus", 2_000, 1_000), (last, "v1", "dou_plus", 2_000, 1_000)]
    estimate, = _learn(rows, day, video, campaign).estimates
    assessment, = assess_roster([video], campaign)
    half_life = campaign.learning.recency_half_life_days
    weights = [recency_weight(d, last, half_life) for d in (first, last)]
    expected = [expected_gmv_for(assessment, Tool.DOU_PLUS, d, 2_000, campaign)
                for d in (first, last)]
    spend = sum(w * 2_000 for w in weights)
    ratio = sum(w * 1_000 for w in weights) / sum(w * e for w, e in zip(weights, expected,
                                                                         strict=True))
    prior = campaign.learning.prior_spend * weights[0]  # 20,000 x 0.5 ** (3 / 3)
    assert weights[0] == pytest.approx(0.5)
    assert estimate.multiplier == pytest.approx((prior + spend * ratio) / (prior + spend))


def _falling_dou_plus(video_id="v1"):
    # ROI 3.0 -> 1.5 -> 0.5 on 2,000 yuan a day: a clear decline, learned ROI stays above
    # the floor only while the prior still weighs in
    return [(START + timedelta(days=i), video_id, "dou_plus", 2_000, 2_000 * roi)
            for i, roi in enumerate((3.0, 1.5, 0.5))]


def test_a_clear_decline_alone_cancels_new_content_service():
    # mutation: set(declines) | set(below_floor) -> &
    video = _video(natural_gmv=120_000)  # traffic ROI 7.5: learned ROI stays above the floor
    learning = _learn(_falling_dou_plus(), START + timedelta(days=3), video)
    assert "v1" in learning.signals.declining
    assert all(e.learned_roi >= FLOOR for e in learning.estimates)
    assert learning.signals.roi_multiplier[("v1", Tool.CONTENT_SERVICE)] == 0.0
    assert any(r.code == "cs_cancelled"
               for r in learning.signals.reasons[("v1", Tool.CONTENT_SERVICE)])


def test_a_learned_roi_below_the_floor_alone_cancels_new_content_service():
    # mutation: set(declines) | set(below_floor) -> &
    # Two days of almost nothing sold (a day weighs at most day_evidence_cap yuan, so it
    # takes this much to pull the estimate under the floor): steady, not declining.
    rows = [(START + timedelta(days=i), "v1", "dou_plus", 20_000, 20_000 * 0.05)
            for i in range(2)]
    learning = _learn(rows, START + timedelta(days=2))
    assert learning.signals.declining == frozenset()
    assert any(e.learned_roi < FLOOR for e in learning.estimates)
    assert learning.signals.roi_multiplier[("v1", Tool.CONTENT_SERVICE)] == 0.0


@pytest.mark.parametrize(("multiple", "burst"), [(1.49, False), (1.5, True), (1.51, True)])
def test_a_learned_burst_needs_day_one_roi_at_floor_times_one_and_a_half(multiple, burst):
    # mutation: sold / spent >= floor * burst_min_roi_multiple -> > or / multiple
    # (a floor of 1.25 keeps floor x 1.5 = 1.875 exact in binary)
    video = _video(publish_date=START, followers=3_000_000)
    rows = [(START, "v1", "dou_plus", 10_000, 10_000 * 1.25 * multiple)]
    learning = _learn(rows, START + timedelta(days=1), video, _campaign(roi_floor=1.25))
    assert ("v1" in learning.signals.burst) is burst


def test_expected_gmv_fills_the_days_segments_best_first_then_the_last_rate():
    # mutations in the segment loop: take, the running total, the overflow at the last rate
    campaign = _campaign()
    video = _video()
    assessment, = assess_roster([video], campaign)
    day = START + timedelta(days=1)
    roi, capacity, _ = tool_economics(video, assessment.scores, Tool.DOU_PLUS, day, campaign)
    widths, factors = campaign.response.segment_widths, campaign.response.segment_roi
    yuan = capacity * 1000.0  # the whole day's capacity, in yuan
    # half of the first segment
    half = widths[0] * yuan / 2
    assert expected_gmv_for(assessment, Tool.DOU_PLUS, day, half, campaign) == pytest.approx(
        half * roi * factors[0])
    # the first segment and half of the second
    spend = (widths[0] + widths[1] / 2) * yuan
    assert expected_gmv_for(assessment, Tool.DOU_PLUS, day, spend, campaign) == pytest.approx(
        widths[0] * yuan * roi * factors[0] + widths[1] / 2 * yuan * roi * factors[1])
    # every segment and 1,000 yuan more at the last segment's rate
    whole = sum(w * yuan * roi * f for w, f in zip(widths, factors, strict=True))
    assert expected_gmv_for(assessment, Tool.DOU_PLUS, day, yuan + 1_000,
                            campaign) == pytest.approx(whole + 1_000 * roi * factors[-1])


def test_a_collapse_counts_only_days_with_the_minimum_dou_plus_spend():
    # mutation: spend >= max(min_spend, ...) -> spend < ... (or the filter dropped)
    days = [START + timedelta(days=i) for i in range(3)]
    solid = [(d, 1_000, 200, 1_000) for d in days]  # ROI 0.2 against 1.0 expected
    assert roi_collapse(solid, 2, 100, 0.7) is not None
    thin_first = [(days[0], 99, 20, 99), *solid[1:]]
    assert roi_collapse(thin_first, 2, 100, 0.7) is None
    at_minimum = [(days[0], 100, 20, 100), *solid[1:]]
    assert roi_collapse(at_minimum, 2, 100, 0.7) is not None


def _day_one_burst(followers, publish_date, day):
    # day-one Dou+ at ROI 3.0, well over floor 1.2 x 1.5
    video = _video(publish_date=publish_date, followers=followers)
    return _learn([(publish_date, "v1", "dou_plus", 10_000, 30_000)], day, video)


@pytest.mark.parametrize(("followers", "burst"), [(500_000, False), (500_001, True)])
def test_a_learned_burst_needs_more_than_500k_followers(followers, burst):
    learning = _day_one_burst(followers, START, START + timedelta(days=1))
    assert ("v1" in learning.signals.burst) is burst


@pytest.mark.parametrize(("age", "burst"), [(1, True), (2, False)])
def test_a_learned_burst_is_bought_only_within_2_days_of_publishing(age, burst):
    learning = _day_one_burst(3_000_000, START, START + timedelta(days=age))
    assert ("v1" in learning.signals.burst) is burst


def test_a_tools_expected_gmv_adds_up_over_every_day_of_actuals():
    # mutation: acc[2] += expected -> acc[2] = expected
    campaign = _campaign()
    video = _video()
    assessment, = assess_roster([video], campaign)
    days = [START + timedelta(days=i) for i in range(3)]
    rows = [(d, "v1", "dou_plus", 1_000, 2_000) for d in days]
    estimate, = _learn(rows, START + timedelta(days=3), video, campaign).estimates
    assert estimate.expected_gmv == pytest.approx(
        sum(expected_gmv_for(assessment, Tool.DOU_PLUS, d, 1_000, campaign) for d in days))


def test_yesterdays_actuals_weigh_one_and_halve_every_half_life():
    yesterday = START + timedelta(days=5)
    assert recency_weight(yesterday, yesterday, 3.0) == 1.0
    assert recency_weight(yesterday - timedelta(days=3), yesterday, 3.0) == pytest.approx(0.5)


@pytest.mark.parametrize(("spent_days_ago", "running"), [(1, True), (2, False)])
def test_a_line_that_spent_the_day_before_the_plan_goes_on_running(spent_days_ago, running):
    day = START + timedelta(days=4)
    rows = [(day - timedelta(days=spent_days_ago), "v1", "dou_plus", 1_000, 2_000)]
    learning = _learn(rows, day)
    assert (("v1", Tool.DOU_PLUS) in learning.signals.running) is running


def test_a_line_that_spent_nothing_the_day_before_the_plan_is_not_running():
    day = START + timedelta(days=4)
    rows = [(day - timedelta(days=2), "v1", "dou_plus", 1_000, 2_000),
            (day - timedelta(days=1), "v1", "dou_plus", 0, 0)]
    assert ("v1", Tool.DOU_PLUS) not in _learn(rows, day).signals.running


def test_the_evidence_behind_a_videos_roi_counts_every_tools_spend():
    day = START + timedelta(days=2)
    rows = [(START, "v1", "dou_plus", 1_000, 2_000), (START, "v1", "qianchuan", 3_000, 6_000),
            (START + timedelta(days=1), "v1", "dou_plus", 500, 1_000)]
    assert _learn(rows, day).signals.observed_spend["v1"] == pytest.approx(4_500)


def _days_at_model_times(multiple, n, video=None, campaign=None):
    """``n`` days of 2,000 yuan of Dou+ that sold exactly ``multiple`` x what the model
    expected (a power of two keeps the sums exact)."""
    campaign = campaign or _campaign()
    assessment, = assess_roster([video or _video()], campaign)
    days = [START + timedelta(days=i) for i in range(n)]
    return [(d, "v1", "dou_plus", 2_000,
             multiple * expected_gmv_for(assessment, Tool.DOU_PLUS, d, 2_000, campaign))
            for d in days]


@pytest.mark.parametrize(("multiple", "winner"), [(2.0, True), (1.99, False)])
def test_a_winner_sold_at_least_twice_what_the_model_expected(multiple, winner):
    learning = _learn(_days_at_model_times(multiple, 3), START + timedelta(days=3))
    assert ("v1" in learning.signals.winners) is winner


@pytest.mark.parametrize(("days", "winner"), [(3, True), (2, False)])
def test_a_winner_needs_3_days_of_actuals(days, winner):
    learning = _learn(_days_at_model_times(4.0, days), START + timedelta(days=days))
    assert ("v1" in learning.signals.winners) is winner


def test_a_day_without_spend_is_no_day_of_a_winner():
    rows = _days_at_model_times(4.0, 2)
    rows.append((START + timedelta(days=2), "v1", "dou_plus", 0, 0))
    learning = _learn(rows, START + timedelta(days=3))
    assert "v1" not in learning.signals.winners


def test_a_declining_video_is_no_winner_however_much_it_sold():
    # ROI 30, 15, 5 against a model of about 2.5: over twice the model, but falling fast
    video = _video(natural_gmv=40_000)
    rows = [(START + timedelta(days=i), "v1", "dou_plus", 2_000, 2_000 * roi)
            for i, roi in enumerate((30.0, 15.0, 5.0))]
    learning = _learn(rows, START + timedelta(days=3), video)
    assert "v1" in learning.signals.declining
    assert "v1" not in learning.signals.winners


def test_a_learned_roi_exactly_at_the_floor_keeps_content_service():
    # mutation: learned_roi < floor -> <=
    rows = _days_at_model_times(1.0, 2)  # sold as the model expected: multiplier 1
    prior_roi = sum(r[4] for r in rows) / sum(r[3] for r in rows)
    campaign = _campaign(roi_floor=prior_roi)
    assert _days_at_model_times(1.0, 2, campaign=campaign) == rows  # the floor moves no GMV
    learning = _learn(rows, START + timedelta(days=2), campaign=campaign)
    estimate, = learning.estimates
    assert estimate.learned_roi == campaign.effective_roi_floor
    assert learning.signals.roi_multiplier[("v1", Tool.CONTENT_SERVICE)] == 1.0


def _roi_days(*rois, spend=1_000):
    return [(START + timedelta(days=i), spend, spend * roi, 0.0) for i, roi in enumerate(rois)]


def test_a_day_as_good_as_the_one_before_is_no_fall():
    # mutation: all(b < a ...) -> b <= a
    assert roi_decline(_roi_days(2.0, 2.0, 1.0), 2, 100, 0.7) is None


def test_a_fall_to_exactly_70_percent_of_where_it_started_is_a_decline():
    # mutation: tail[-1] <= ratio * tail[0] -> <
    assert roi_decline(_roi_days(2.0, 1.6, 1.4), 2, 100, 0.7) == pytest.approx((2.0, 1.4))


def test_a_decline_judges_only_the_last_window_plus_one_days():
    # mutation: solid[-(window + 1):] -> window + 2 (an older rise would hide the fall)
    assert roi_decline(_roi_days(1.0, 3.0, 1.5, 0.5), 2, 100, 0.7) == pytest.approx((3.0, 0.5))


def test_a_collapse_to_exactly_70_percent_of_the_model_counts():
    # mutation: gmv <= ratio * expected -> <
    days = [(START + timedelta(days=i), 1_000, 1_400, 2_000) for i in range(3)]
    model, seen = roi_collapse(days, 2, 100, 0.7)
    assert model == pytest.approx(2.0) and seen == pytest.approx([1.4, 1.4, 1.4])


def test_a_collapse_judges_only_the_last_window_plus_one_days():
    # mutation: solid[-(window + 1):] -> window + 2 (an older good day would hide it)
    good = (START - timedelta(days=1), 1_000, 2_000, 2_000)
    days = [good, *((START + timedelta(days=i), 1_000, 200, 2_000) for i in range(3))]
    assert roi_collapse(days, 2, 100, 0.7) is not None


def test_a_days_evidence_cap_counts_every_tools_spend_that_day():
    # mutation: spent_on[d] += s -> spent_on[d] = s (the cap would see one tool's spend)
    campaign = _campaign()
    video = _video()
    assessment, = assess_roster([video], campaign)
    day = START + timedelta(days=1)
    spends = {"dou_plus": 8_000, "qianchuan": 8_000}  # 16,000 on the day, cap 10,000
    rows = [(START, "v1", tool, spend, spend * 1.5) for tool, spend in spends.items()]
    learning = _learn(rows, day, video, campaign)
    expected = sum(expected_gmv_for(assessment, Tool(tool), START, spend, campaign)
                   for tool, spend in spends.items())
    spend = campaign.learning.day_evidence_cap  # the whole day weighs like the cap
    ratio = sum(g for *_, g in rows) / expected
    prior = campaign.learning.prior_spend
    assert learning.signals.video_multiplier["v1"] == pytest.approx(
        (prior + spend * ratio) / (prior + spend))


def test_a_day_weighs_at_most_the_evidence_cap_however_small_the_cap():
    # mutation: spent_on[d] > 0 -> spent_on[d] > 1 (a day under 1 yuan left uncapped)
    campaign = _campaign(learning={"day_evidence_cap": 0.5})
    rows = [(START, "v1", "dou_plus", 0.8, 0.8 * 6.0)]  # twice the model's ROI of 3
    learning = _learn(rows, START + timedelta(days=1), campaign=campaign)
    prior = campaign.learning.prior_spend
    assert learning.signals.video_multiplier["v1"] == pytest.approx(
        (prior + 0.5 * 2.0) / (prior + 0.5))


def test_a_video_the_model_expects_no_gmv_from_is_not_learned_from():
    # mutations: the guards spend <= 0 or expected <= 0 (``and``, ``< 0``) would divide by
    # the zero the model expected, or look up a video without a multiplier
    video = _video(natural_gmv=0)  # no natural GMV: traffic ROI 0
    rows = [(START + timedelta(days=i), "v1", "dou_plus", 2_000, 3_000) for i in range(3)]
    learning = _learn(rows, START + timedelta(days=3), video)
    assert learning.estimates == []
    assert learning.signals.video_multiplier == {}
    assert learning.signals.winners == {}


def test_a_tool_that_spent_nothing_gets_no_estimate():
    # mutation: spend <= 0 or expected <= 0 or not learned -> (spend <= 0 or ...) and not
    # learned (a tool without spend on a learned video would divide by zero)
    rows = [(START, "v1", "dou_plus", 2_000, 6_000), (START, "v1", "qianchuan", 0, 0)]
    learning = _learn(rows, START + timedelta(days=1))
    assert [e.tool for e in learning.estimates] == [Tool.DOU_PLUS]


def test_a_few_jiao_of_spend_are_evidence_like_any_other():
    # mutations: spend <= 0 -> <= 1, expected <= 0 -> <= 1 (video and tool), spend > 0 ->
    # > 1 (running): 0.2 yuan yesterday, which the model expected to sell 0.6 yuan
    rows = [(START, "v1", "dou_plus", 0.2, 0.6)]
    learning = _learn(rows, START + timedelta(days=1))
    estimate, = learning.estimates
    assert estimate.expected_gmv == pytest.approx(0.6)
    assert "v1" in learning.signals.video_multiplier
    assert ("v1", Tool.DOU_PLUS) in learning.signals.running


def test_a_learned_burst_needs_some_day_one_spend_not_a_yuan():
    # mutation: spent > 0 -> spent > 1
    video = _video(publish_date=START, followers=3_000_000)
    learning = _learn([(START, "v1", "dou_plus", 0.5, 1.5)], START + timedelta(days=1), video)
    assert "v1" in learning.signals.burst


def test_a_winner_counts_days_of_any_spend():
    # mutations: s > 0 -> s > 1 (days of a winner), expected > 0 -> expected > 1: three
    # days of 0.1 yuan that sold 4 x the 0.3 yuan a day the model expected
    rows = [(START + timedelta(days=i), "v1", "dou_plus", 0.1, 1.2) for i in range(3)]
    learning = _learn(rows, START + timedelta(days=3))
    assert learning.signals.winners["v1"] == (pytest.approx(4.0), 3)


def test_a_decline_counts_a_day_with_exactly_the_minimum_dou_plus_spend():
    # mutation: spend >= max(min_spend, ...) -> spend > ...
    days = _roi_days(3.0, 1.5, 0.5, spend=100)
    assert roi_decline(days, 2, 100, 0.7) == pytest.approx((3.0, 0.5))


def test_without_a_minimum_daily_spend_every_day_that_spent_judges_a_decline():
    # mutation: max(min_spend, 1e-9) -> max(min_spend, 1.000000001)
    days = _roi_days(3.0, 1.5, 0.5, spend=1)
    assert roi_decline(days, 2, 0, 0.7) == pytest.approx((3.0, 0.5))


def test_without_a_minimum_daily_spend_every_day_that_spent_judges_a_collapse():
    # mutations: max(min_spend, 1e-9) -> max(..., 1.000000001), expected > 0 -> > 1:
    # 1 yuan a day the model expected to sell 0.8 yuan, which sold 0.1
    days = [(START + timedelta(days=i), 1, 0.1, 0.8) for i in range(3)]
    model, seen = roi_collapse(days, 2, 0, 0.7)
    assert model == pytest.approx(0.8) and seen == pytest.approx([0.1, 0.1, 0.1])


def test_a_day_the_model_expected_nothing_from_is_no_evidence_of_a_collapse():
    # mutation: expected > 0 -> expected >= 0
    days = [(START, 1_000, 0, 0.0),
            *((START + timedelta(days=i), 1_000, 200, 2_000) for i in (1, 2))]
    assert roi_collapse(days, 2, 100, 0.7) is None


def test_a_falls_figures_are_its_first_and_last_roi_to_one_decimal():
    # mutations: round(fall[0], 1) -> 2 digits or fall[1], round(fall[1], 1) -> 2 digits
    rows = [(START + timedelta(days=i), "v1", "dou_plus", 2_000, 2_000 * roi)
            for i, roi in enumerate((3.14, 1.57, 0.52))]
    learning = _learn(rows, START + timedelta(days=3), _video(natural_gmv=120_000))
    declined, = [r for r in learning.signals.reasons[("v1", Tool.DOU_PLUS)]
                 if r.code == "targeted_roi_declining"]
    assert declined.params == {"form": "fall", "roi_from": 3.1, "roi_to": 0.5, "days": 2}


def test_a_collapses_figure_is_the_models_roi_to_one_decimal():
    # mutation: round(model, 1) -> round(model, 2)
    campaign = _campaign()
    video = _video()
    assessment, = assess_roster([video], campaign)
    days = [START + timedelta(days=i) for i in range(3)]
    rows = [(d, "v1", "dou_plus", 5_000, 5_000 * 0.5) for d in days]  # flat ROI 0.5
    learning = _learn(rows, START + timedelta(days=3), video, campaign)
    model = sum(expected_gmv_for(assessment, Tool.DOU_PLUS, d, 5_000, campaign)
                for d in days) / 15_000
    assert round(model, 2) != round(model, 1)
    declined, = [r for r in learning.signals.reasons[("v1", Tool.DOU_PLUS)]
                 if r.code == "targeted_roi_declining"]
    assert declined.params is not None and declined.params["model"] == round(model, 1)


def test_a_below_floor_cancellations_figures_are_rounded_to_two_decimals():
    # mutations: round(learned_roi, 2) -> 3 digits, round(floor, 2) -> 3 digits
    rows = [(START + timedelta(days=i), "v1", "dou_plus", 20_000, 20_000 * 0.05)
            for i in range(2)]
    learning = _learn(rows, START + timedelta(days=2), campaign=_campaign(roi_floor=1.234))
    estimate, = learning.estimates
    assert round(estimate.learned_roi, 3) != round(estimate.learned_roi, 2)
    cancelled, = [r for r in learning.signals.reasons[("v1", Tool.CONTENT_SERVICE)]
                  if r.code == "cs_cancelled"]
    assert cancelled.params == {"form": "below_floor", "tool": "dou_plus",
                                "roi": round(estimate.learned_roi, 2), "floor": 1.23}


def test_a_tool_the_model_expected_no_gmv_from_gets_no_estimate_nor_cancels_content_service():
    # mutation: expected <= 0 -> expected < 0 (per tool): a learned ROI of 0 would cancel
    # content service. Qianchuan on a sale day without capacity, past the last segment's
    # rate of 0, was expected to sell nothing; Dou+ on the day before sold as expected.
    sale = {"name": "618", "start": START + timedelta(days=1), "end": START + timedelta(days=1)}
    campaign = _campaign(big_sales=[sale], tools={"qianchuan": {"sale_capacity_multiplier": 0}},
                         response={"segment_roi": (1.0, 0.8, 0.0)})
    rows = [(START, "v1", "dou_plus", 2_000, 6_000),
            (START + timedelta(days=1), "v1", "qianchuan", 2_000, 0)]
    learning = _learn(rows, START + timedelta(days=2), campaign=campaign)
    assert [e.tool for e in learning.estimates] == [Tool.DOU_PLUS]
    assert learning.signals.roi_multiplier[("v1", Tool.CONTENT_SERVICE)] == 1.0
