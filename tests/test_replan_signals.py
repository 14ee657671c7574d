"""Re-planning signals: decline -> targeted, weak evidence barely moves, floor stops buying."""

from datetime import date, timedelta

import pandas as pd
import pytest

from factories import make_campaign, make_video
from planner.learning import learn, roi_decline
from planner.planning import assess_roster, make_plan
from planner.replan import replan
from planner.tools import Tool

START = date(2027, 4, 21)


def _campaign(**overrides):
    values = dict(start=START, end=START + timedelta(days=9), plan_date=START, budget=60_000)
    values.update(overrides)
    return make_campaign(**values)


def _video(**overrides):
    values = dict(video_id="v1", followers=2_000_000, median_plays=200_000,
                  publish_date=START - timedelta(days=6), natural_plays=400_000,
                  natural_gmv=40_000)
    values.update(overrides)
    return make_video(**values)


def _actuals(rows):
    return pd.DataFrame(
        [{"date": d, "video_id": v, "tool": t, "spend": s, "gmv": g, "plays": s * 50}
         for d, v, t, s, g in rows],
        columns=["date", "video_id", "tool", "spend", "gmv", "plays"],
    )


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
    new = replan(videos, campaign, _actuals(rows), START + timedelta(days=3), first)
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
    thin = _actuals([(START, "v1", "dou_plus", 100, 0)])  # sold nothing at all
    learning = learn(thin, assess_roster(videos, campaign), campaign, START + timedelta(days=1))
    assert learning.signals.roi_multiplier[("v1", Tool.DOU_PLUS)] > 0.97


def test_strong_evidence_below_the_floor_stops_buying():
    campaign = _campaign(budget=100_000)
    videos = [_video()]
    rows = [(START + timedelta(days=i), "v1", "dou_plus", 10_000, 1000) for i in range(6)]
    new = replan(videos, campaign, _actuals(rows), START + timedelta(days=6))
    assert not [o for o in new.orders if not o.fixed]
    assert any(e.learned_roi < campaign.effective_roi_floor for e in new.learned)
    assert any("left unspent" in line for line in new.binding)


def test_burst_from_day_one_actuals_for_a_large_kol():
    campaign = _campaign(plan_date=START + timedelta(days=1))
    videos = [_video(publish_date=START, followers=3_000_000)]
    rows = [(START, "v1", "kol_bidding", 2000, 9000)]
    learning = learn(_actuals(rows), assess_roster(videos, campaign), campaign,
                     START + timedelta(days=1))
    assert "v1" in learning.signals.burst


def test_roi_peak_gets_a_topup_carved_from_the_day():
    campaign = _campaign()
    videos = [_video()]
    rows = [(START + timedelta(days=i), "v1", "dou_plus", 3000, 3000 * 6.0) for i in range(3)]
    new = replan(videos, campaign, _actuals(rows), START + timedelta(days=3))
    assert new.topups
    topup = new.topups[0]
    today = sum(r.spend for r in new.daily if r.date == topup.date and r.tool is Tool.DOU_PLUS
                and r.video_id == topup.video_id)
    assert topup.hours in (2, 6) and 100 <= topup.budget < today
    assert topup.reason.code == "topup_roi_peak"


def test_no_topup_when_dou_plus_really_sold_badly():
    campaign = _campaign()
    videos = [_video(natural_gmv=80_000)]  # a strong prior...
    rows = [(START, "v1", "dou_plus", 1000, 300)]  # ...but Dou+ sold at ROI 0.3
    new = replan(videos, campaign, _actuals(rows), START + timedelta(days=1))
    assert not new.topups


def test_a_booked_content_service_commitment_stays_whole_and_counts_once():
    video = _video(followers=5_000_000, comments=500)
    booked = {"video_id": "v1", "tool": "content_service", "start": START,
              "end": START + timedelta(days=6), "budget": 60_000}
    campaign = _campaign(budget=200_000, commitments=[booked])
    first = make_plan([video], campaign)
    rows = [(START, "v1", "content_service", 8_000, 20_000)]
    new = replan([video], campaign, _actuals(rows), START + timedelta(days=1), first)
    fixed_cs = [o for o in new.orders if o.fixed and o.tool is Tool.CONTENT_SERVICE]
    assert [(o.start_date, o.budget) for o in fixed_cs] == [(START, 60_000)]
    assert new.total_spend <= campaign.budget
