"""Implausible input values are flagged on the video and in the plan, never silently trusted."""

from __future__ import annotations

from datetime import date, timedelta

from factories import PLAN_DATE, make_campaign, make_video
from planner.i18n import line_text, reason_text, use_lang
from planner.planning import assess_roster, make_plan
from planner.response import build_response_model
from planner.tools import Tool


def _flags(plan):
    on_videos = {v.video_id: [r for r in v.reasons if r.code == "implausible_input"]
                 for v in plan.videos}
    lines = [line for line in plan.assumption_lines if line.code == "implausible_input"]
    return on_videos, lines


def test_a_natural_roi_far_above_its_tiers_prior_is_flagged_on_the_video_and_in_the_plan():
    # 250,000 plays selling 2,000,000 yuan: GPM 8,000, traffic ROI 200 at CPM 40, against
    # a mid-tier prior of 1.2.
    odd = make_video(video_id="odd", natural_gmv=2_000_000)
    plan = make_plan([odd, make_video(video_id="ok", kol_name="别人")], make_campaign())
    on_videos, lines = _flags(plan)
    assert not on_videos["ok"]
    (flag,) = on_videos["odd"]
    assert flag.params["form"] == "roi_high" and flag.params["roi"] == 200.0
    assert [line.params for line in lines] == [flag.params]
    with use_lang("en"):
        assert line_text(lines[0]).startswith(
            "odd: natural traffic ROI 200.00 is over 6x the mid-tier prior 1.20")
    with use_lang("zh"):
        assert "请核对 natural_plays 和 natural_gmv" in reason_text(flag)


def test_a_natural_roi_far_below_its_tiers_prior_is_flagged():
    plan = make_plan([make_video(natural_gmv=100)], make_campaign())
    on_videos, _ = _flags(plan)
    assert [r.params["form"] for r in on_videos["v1"]] == ["roi_low"]


def _burst(first_2h_gmv: float):
    # Natural ROI 2.5 (GPM 100); a first-2h GMV of 15,000 on 50,000 plays is ROI 7.5 (3x).
    return make_video(video_id="burst", followers=3_000_000, median_plays=2_000_000,
                      natural_plays=3_000_000, natural_gmv=300_000, first_2h_plays=50_000,
                      first_2h_gmv=first_2h_gmv, publish_date=date(2027, 4, 21))


def _burst_day_roi(video) -> list[float]:
    campaign = make_campaign(budget=1_000_000)
    response = build_response_model(assess_roster([video], campaign), campaign)
    return [r for p in response.purchases if p.tool is Tool.DOU_PLUS
            and p.days[0] == video.publish_date for r in p.seg_roi]


def test_a_first_2h_roi_far_above_the_natural_is_flagged_and_values_the_burst_day_no_higher():
    assert _burst_day_roi(_burst(40_000)) == _burst_day_roi(_burst(15_000))  # ROI 20 = 7.5
    assert _burst_day_roi(_burst(12_000)) < _burst_day_roi(_burst(15_000))  # below: as given
    on_videos, lines = _flags(make_plan([_burst(40_000)], make_campaign(budget=1_000_000)))
    (flag,) = on_videos["burst"]
    assert flag.params["form"] == "first_2h" and flag.params["cap"] == 7.5
    assert len(lines) == 1
    assert not _flags(make_plan([_burst(15_000)], make_campaign(budget=1_000_000)))[1]


def test_zeros_in_a_scheduled_posts_figures_read_as_missing_and_are_flagged():
    later = PLAN_DATE + timedelta(days=3)
    zeros = make_video(video_id="s1", publish_date=later, natural_plays=0, natural_gmv=0)
    missing = make_video(video_id="s1", publish_date=later, natural_plays=None,
                         natural_gmv=None)
    campaign = make_campaign()
    (with_zeros,), (without,) = assess_roster([zeros], campaign), assess_roster([missing],
                                                                               campaign)
    # Estimated from the KOL's 3-month ROI (1.8) like the post without figures, not at 0.
    assert with_zeros.scores.traffic_roi == without.scores.traffic_roi > 1.0
    on_videos, lines = _flags(make_plan([zeros], campaign))
    (flag,) = on_videos["s1"]
    assert flag.params["form"] == "scheduled_zero"
    assert flag.params["fields"] == "natural_plays, natural_gmv"
    assert len(lines) == 1
    assert not _flags(make_plan([missing], campaign))[1]
