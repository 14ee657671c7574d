"""Re-planning signals: decline -> targeted, weak evidence barely moves, floor stops buying."""

from collections import defaultdict
from datetime import date, timedelta

import pytest

from factories import actuals_frame, make_campaign, make_video
from planner.learning import learn, roi_collapse, roi_decline
from planner.planning import assess_roster, make_plan
from planner.replan import replan
from planner.tools import Tool

START = date(2027, 4, 21)


def _campaign(**overrides):
    values = dict(start=START, end=START + timedelta(days=9), plan_date=START, budget=60_000)
    values.update(overrides)
    return make_campaign(**values)


def _video(**overrides):
    # Not authorised for ads: KOL bidding (above AD feed, with its own volume) would outbid
    # the Dou+ these signals steer.
    values = dict(video_id="v1", followers=2_000_000, median_plays=200_000,
                  publish_date=START - timedelta(days=6), natural_plays=400_000,
                  natural_gmv=40_000, kol_authorized=False)
    values.update(overrides)
    return make_video(**values)




def test_roi_decline_needs_a_clear_fall_over_the_window():
    d = [START + timedelta(days=i) for i in range(3)]
    falling = [(d[0], 1000, 2100, 0), (d[1], 1000, 1400, 0), (d[2], 1000, 900, 0)]
    assert roi_decline(falling, 2, 100, 0.7) == pytest.approx((2.1, 0.9))
    wobbly = [(d[0], 1000, 2100, 0), (d[1], 1000, 2300, 0), (d[2], 1000, 900, 0)]
    assert roi_decline(wobbly, 2, 100, 0.7) is None
    thin = [(d[0], 50, 2100, 0), (d[1], 50, 1400, 0), (d[2], 50, 900, 0)]
    assert roi_decline(thin, 2, 100, 0.7) is None


def test_clear_decline_switches_dou_plus_to_targeted_with_the_reason():
    campaign = _campaign()
    videos = [_video()]
    first = make_plan(videos, campaign)
    day1 = next(o for o in first.orders if o.tool is Tool.DOU_PLUS)
    assert day1.mode == "smart"
    rows = [(START, "v1", "dou_plus", 1000, 2100), (START + timedelta(days=1), "v1", "dou_plus",
            1000, 1400), (START + timedelta(days=2), "v1", "dou_plus", 1000, 900)]
    new = replan(videos, campaign, actuals_frame(rows), START + timedelta(days=3), first)
    dou_plus = [o for o in new.orders if o.tool is Tool.DOU_PLUS and not o.fixed]
    assert dou_plus and all(o.mode == "targeted" for o in dou_plus)
    switched = [c for c in new.changes if c.tool is Tool.DOU_PLUS]
    assert switched
    assert switched[0].reason.text == (
        "ROI fell from 2.1 to 0.9 over 2 days: Dou+ switched to targeted"
    )


def test_one_day_of_100_yuan_barely_moves_the_estimate():
    campaign = _campaign()
    videos = [_video()]
    thin = actuals_frame([(START, "v1", "dou_plus", 100, 0)])  # sold nothing at all
    learning = learn(thin, assess_roster(videos, campaign), campaign, START + timedelta(days=1))
    assert learning.signals.roi_multiplier[("v1", Tool.DOU_PLUS)] > 0.97


def test_strong_evidence_below_the_floor_stops_buying():
    campaign = _campaign(budget=100_000)
    videos = [_video()]
    rows = [(START + timedelta(days=i), "v1", "dou_plus", 10_000, 1000) for i in range(6)]
    new = replan(videos, campaign, actuals_frame(rows), START + timedelta(days=6))
    assert not [o for o in new.orders if not o.fixed]
    assert any(e.learned_roi < campaign.effective_roi_floor for e in new.learned)
    assert any(line.code == "nothing_above_floor" for line in new.binding_lines)


def test_burst_from_day_one_actuals_for_a_large_kol():
    campaign = _campaign(plan_date=START + timedelta(days=1))
    videos = [_video(publish_date=START, followers=3_000_000)]
    rows = [(START, "v1", "kol_bidding", 2000, 9000)]
    learning = learn(actuals_frame(rows), assess_roster(videos, campaign), campaign,
                     START + timedelta(days=1))
    assert "v1" in learning.signals.burst


def _peak_rows():
    """Three days of Dou+ selling at ROI 6: a peak against the floor of 1.2."""
    return actuals_frame([(START + timedelta(days=i), "v1", "dou_plus", 3000, 3000 * 6.0)
                     for i in range(3)])


def _today(plan, tool=None):
    return sum(r.spend for r in plan.daily if r.date == plan.plan_date
               and (tool is None or r.tool is tool))


def test_roi_peak_topup_is_added_on_top_of_the_days_dou_plus():
    day = START + timedelta(days=3)
    without = replan([_video()], _campaign(budget=1_000_000, learning={
        "topup_roi_multiple": 100}), _peak_rows(), day)
    new = replan([_video()], _campaign(budget=1_000_000), _peak_rows(), day)
    assert not without.topups and len(new.topups) == 1
    topup = new.topups[0]
    assert topup.hours in (2, 6) and topup.reason.code == "topup_roi_peak"
    assert "added on top of today's" in topup.reason.text
    day_order = _today(without, Tool.DOU_PLUS)
    assert topup.budget == pytest.approx(round(day_order * 0.25), abs=1.0)
    assert _today(new, Tool.DOU_PLUS) == pytest.approx(day_order + topup.budget)
    assert new.total_spend == pytest.approx(without.total_spend + topup.budget)
    order = next(o for o in new.orders if o.tool is Tool.DOU_PLUS
                 and o.start_date <= day <= o.end_date)
    assert "topup_roi_peak" in {r.code for r in order.reasons}


def test_roi_peak_topup_fits_a_fully_used_budget():
    campaign = _campaign()  # 60,000 yuan: the plan spends all of it
    new = replan([_video()], campaign, _peak_rows(), START + timedelta(days=3))
    assert new.topups and new.topups[0].budget >= 100
    assert new.total_spend <= campaign.budget
    assert sum(r.spend for r in new.daily) == pytest.approx(new.total_spend)
    assert sum(o.budget for o in new.orders) == pytest.approx(new.total_spend)
    assert "the rest of the plan makes room for it" in new.topups[0].reason.text


def test_roi_peak_topup_never_breaks_the_daily_cap():
    campaign = _campaign(budget=1_000_000, daily_cap=30_000)
    new = replan([_video()], campaign, _peak_rows(), START + timedelta(days=3))
    per_day = defaultdict(float)
    for r in new.daily:
        per_day[r.date] += r.spend
    assert max(per_day.values()) <= 30_000 + 1e-6
    for topup in new.topups:
        assert topup.budget >= 100


def test_no_topup_when_dou_plus_really_sold_badly():
    campaign = _campaign()
    videos = [_video(natural_gmv=80_000)]  # a strong prior...
    rows = [(START, "v1", "dou_plus", 1000, 300)]  # ...but Dou+ sold at ROI 0.3
    new = replan(videos, campaign, actuals_frame(rows), START + timedelta(days=1))
    assert not new.topups


def test_a_booked_content_service_commitment_stays_whole_and_counts_once():
    video = _video(followers=5_000_000, comments=500)
    booked = {"video_id": "v1", "tool": "content_service", "start": START,
              "end": START + timedelta(days=6), "budget": 60_000}
    campaign = _campaign(budget=200_000, commitments=[booked])
    first = make_plan([video], campaign)
    rows = [(START, "v1", "content_service", 8_000, 20_000)]
    new = replan([video], campaign, actuals_frame(rows), START + timedelta(days=1), first)
    fixed_cs = [o for o in new.orders if o.fixed and o.tool is Tool.CONTENT_SERVICE]
    assert [(o.start_date, o.budget) for o in fixed_cs] == [(START, 60_000)]
    assert new.total_spend <= campaign.budget


def _remaining_on(plan, video_id, day):
    """What the plan buys on the video from ``day`` on (money already spent excluded)."""
    return sum(r.spend for r in plan.daily if r.video_id == video_id and r.date >= day
               and not any(o.fixed and o.video_id == r.video_id and o.tool is r.tool
                           and o.start_date <= r.date <= o.end_date for o in plan.orders))


@pytest.mark.parametrize("daily_spend", [None, 1000], ids=["as-planned", "1000-yuan-test"])
def test_three_days_of_roi_0_2_cut_the_video_to_under_half_and_end_smart_dou_plus(daily_spend):
    campaign = _campaign(budget=200_000, end=START + timedelta(days=13), roi_floor=1.0)
    videos = [_video(), _video(video_id="v2", followers=900_000, median_plays=150_000,
                               natural_plays=300_000, natural_gmv=24_000)]
    first = make_plan(videos, campaign)
    rows = []
    for i in range(3):
        day = START + timedelta(days=i)
        planned = sum(r.spend for r in first.daily if r.date == day and r.video_id == "v1"
                      and r.tool is Tool.DOU_PLUS)
        spend = planned if daily_spend is None else daily_spend
        rows.append((day, "v1", "dou_plus", spend, 0.2 * spend))
    day4 = START + timedelta(days=3)
    new = replan(videos, campaign, actuals_frame(rows), day4, first)
    assert _remaining_on(new, "v1", day4) < 0.5 * _remaining_on(first, "v1", day4)
    assert not [o for o in new.orders if o.video_id == "v1" and o.tool is Tool.DOU_PLUS
                and not o.fixed and o.mode == "smart"]
    estimate = next(e for e in new.learned if e.video_id == "v1")
    assert estimate.learned_roi < campaign.effective_roi_floor


def test_roi_collapse_needs_every_day_of_the_window_far_below_the_model():
    d = [START + timedelta(days=i) for i in range(3)]
    # (day, spend, gmv, expected gmv): the model expected ROI 2.7 each day
    collapsed = [(day, 1000, 200, 2700) for day in d]
    model, seen = roi_collapse(collapsed, 2, 100, 0.7)
    assert model == pytest.approx(2.7) and seen == pytest.approx([0.2, 0.2, 0.2])
    one_good_day = [*collapsed[:2], (d[2], 1000, 2500, 2700)]
    assert roi_collapse(one_good_day, 2, 100, 0.7) is None
    assert roi_collapse(collapsed[:2], 2, 100, 0.7) is None  # two days are not a collapse


def test_one_lucky_day_moves_the_estimate_about_a_tenth_as_before():
    campaign = _campaign()
    videos = [_video()]
    day = START + timedelta(days=1)
    lucky = learn(actuals_frame([(START, "v1", "dou_plus", 2000, 2000 * 8.0)]),
                  assess_roster(videos, campaign), campaign, day)
    (estimate,) = lucky.estimates
    ratio = estimate.gmv / estimate.expected_gmv
    assert estimate.multiplier == pytest.approx((20_000 + 2000 * ratio) / 22_000)
    assert estimate.multiplier - 1 <= 0.1 * (ratio - 1)


def test_recent_days_weigh_more_than_older_ones():
    campaign = _campaign()
    videos = [_video()]
    day = START + timedelta(days=3)
    good, bad = 2500 * 3.0, 2500 * 1.5  # no day is a collapse against the model's ~2.7

    def multiplier(rois):
        rows = [(START + timedelta(days=i), "v1", "dou_plus", 2500, g)
                for i, g in enumerate(rois)]
        learning = learn(actuals_frame(rows), assess_roster(videos, campaign), campaign, day)
        assert not learning.signals.declining
        return learning.signals.roi_multiplier[("v1", Tool.DOU_PLUS)]

    assert multiplier([good, good, bad]) < multiplier([bad, good, good])
    assert multiplier([bad, bad, good]) > multiplier([good, bad, bad])


def test_a_video_going_3_0_1_5_0_5_is_a_decline_that_cancels_its_lock_in():
    sale = {"name": "618", "start": date(2027, 5, 31), "end": date(2027, 6, 18)}
    # Content service at CPM 40 only clears the floor of 2.0 in the sale: a lock-in.
    campaign = _campaign(end=date(2027, 6, 20), budget=1_000_000, roi_floor=2.0,
                         big_sales=[sale], tools={"content_service": {"cpm": 40}})
    videos = [_video(followers=6_000_000, median_plays=500_000, natural_plays=1_000_000,
                     natural_gmv=100_000, roi_3m=2.5, likes=20_000, comments=1000),
              _video(video_id="v2", followers=900_000, median_plays=150_000,
                     natural_plays=300_000, natural_gmv=30_000)]
    first = make_plan(videos, campaign)
    day = START + timedelta(days=3)
    lock_in = [o for o in first.orders if o.video_id == "v1"
               and o.tool is Tool.CONTENT_SERVICE and o.booking_date > day]
    assert [o.start_date for o in lock_in] == [sale["start"]]  # planned, not yet booked
    rows = [(START + timedelta(days=i), "v1", "dou_plus", 5000, 5000 * roi)
            for i, roi in enumerate([3.0, 1.5, 0.5])]
    learning = learn(actuals_frame(rows), assess_roster(videos, campaign), campaign, day)
    assert "v1" in learning.signals.declining
    new = replan(videos, campaign, actuals_frame(rows), day, first)
    assert not [o for o in new.orders if o.video_id == "v1" and o.tool is Tool.CONTENT_SERVICE]
    (cancelled,) = [c for c in new.changes if c.video_id == "v1"
                    and c.tool is Tool.CONTENT_SERVICE]
    assert cancelled.kind == "removed" and cancelled.reason.code == "cs_cancelled"
    assert "ROI fell from 3.0 to 0.5" in cancelled.reason.text
    assert "lock-ins included" in cancelled.reason.text
    assert all(o.mode == "targeted" for o in new.orders
               if o.video_id == "v1" and o.tool is Tool.DOU_PLUS and not o.fixed)


# ---------------------------------------------------------------- learning like a buyer


def _rival():
    return _video(video_id="v2", kol_name="对手", natural_plays=400_000, natural_gmv=36_000)


def _future_spend(rows, day, video_id="v1", budget=150_000):
    """New money on ``video_id`` from ``day`` on, after ``rows`` of actuals."""
    campaign = _campaign(plan_date=day, budget=budget)
    videos = [_video(), _rival()]
    learning = learn(actuals_frame(rows), assess_roster(videos, campaign), campaign, day)
    plan = make_plan(videos, campaign, signals=learning.signals)
    return sum(o.budget for o in plan.orders if o.video_id == video_id and not o.fixed)


def _days_at(roi, count, spend=20_000):
    return [(START + timedelta(days=i), "v1", "dou_plus", spend, spend * roi)
            for i in range(count)]


def test_one_bad_day_narrows_the_estimate_but_does_not_erase_the_video():
    day = START + timedelta(days=1)
    before = _future_spend([], day)
    after = _future_spend(_days_at(0.2, 1), day)
    assert before > 0
    assert 0 < after < before


def test_three_bad_days_take_at_least_half_of_the_videos_money_away():
    day = START + timedelta(days=3)
    assert _future_spend(_days_at(0.2, 3), day) <= 0.5 * _future_spend([], day)


def test_three_days_at_three_times_the_estimate_scale_a_winner_with_reach_to_spare():
    day = START + timedelta(days=3)
    # Expected ROI ~2.2 on v1: three days at 3x that.
    assert _future_spend(_days_at(6.6, 3, 5_000), day, budget=60_000) >= (
        1.2 * _future_spend([], day, budget=60_000))


def _winner_reasons(**overrides):
    day = START + timedelta(days=3)
    campaign = _campaign(plan_date=day, **overrides)
    videos = [_video(), _rival()]
    rows = _days_at(6.6, 3, 5_000)  # three days at three times the estimate
    learning = learn(actuals_frame(rows), assess_roster(videos, campaign), campaign, day)
    assert "v1" in learning.signals.winners
    plan = make_plan(videos, campaign, signals=learning.signals)
    new = [o for o in plan.orders if o.video_id == "v1" and not o.fixed]
    assert new
    held = [[r for r in o.reasons if r.code == "winner_limited"] for o in new]
    assert all(len(r) == 1 for r in held)
    spent = round(sum(o.budget for o in new))
    assert all(r[0].params["spent"] == spent for r in held)
    return held[0][0]


def test_a_winner_bought_to_capacity_says_so():
    held = _winner_reasons(budget=150_000)
    assert held.params["form"] == "capacity" and held.params["tool"] == "dou_plus"
    assert held.text.startswith("winner: sold 2.4x what the model expected over 3 days")
    assert held.text.endswith("held back by the most dou_plus can buy on it each day")


def test_a_winner_held_by_the_daily_cap_names_the_cap_with_its_figures():
    held = _winner_reasons(budget=150_000, daily_cap=8_000)
    assert held.params["form"] == "daily_cap" and held.params["cap"] == 8_000
    assert "the daily cap of 8,000 yuan, reached on" in held.text


def test_a_video_with_one_lucky_day_is_no_winner():
    day = START + timedelta(days=1)
    campaign = _campaign(plan_date=day)
    videos = [_video(), _rival()]
    learning = learn(actuals_frame(_days_at(6.6, 1, 5_000)), assess_roster(videos, campaign),
                     campaign, day)
    assert not learning.signals.winners
