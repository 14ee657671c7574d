"""The traffic ROI model, with the method's worked example."""

from datetime import date

import pytest

from factories import make_campaign, make_video
from planner.config import break_even_roi
from planner.scoring import (
    comment_like_rate,
    freshness,
    gpm,
    kol_tier,
    score_video,
    traffic_roi,
)


def test_worked_example_gpm_80_and_traffic_roi_2():
    # 250,000 natural plays, 20,000 yuan of sales, CPM 40 -> GPM 80, ROI 2.0 ("1:2").
    value = gpm(20_000, 250_000)
    assert value == pytest.approx(80.0)
    assert traffic_roi(value, 40) == pytest.approx(2.0)


def test_score_video_uses_reference_cpm_for_traffic_roi():
    scores = score_video(make_video(), make_campaign(reference_cpm=40))
    assert scores.gpm == pytest.approx(80.0)
    assert scores.traffic_roi == pytest.approx(2.0)


def test_gpm_of_a_video_without_plays_is_zero():
    assert gpm(1000, 0) == 0.0


def test_comment_like_rate_is_comments_per_like():
    assert comment_like_rate(400, 10_000) == pytest.approx(0.04)
    assert comment_like_rate(5, 0) == 0.0


@pytest.mark.parametrize(
    ("followers", "tier"),
    [(50_000, "koc"), (300_000, "tail"), (500_000, "mid"), (5_000_000, "head"),
     (20_000_000, "super_head")],
    ids=["koc", "tail", "mid-starts-at-500k", "head", "super-head"],
)
def test_kol_tier_by_followers(followers, tier):
    assert kol_tier(followers, make_campaign().tiers) == tier


def test_freshness_halves_every_half_life():
    assert freshness(0, 7) == pytest.approx(1.0)
    assert freshness(7, 7) == pytest.approx(0.5)
    assert freshness(14, 7) == pytest.approx(0.25)


def test_koc_content_decays_faster_than_head_content():
    campaign = make_campaign()
    koc = score_video(make_video(followers=50_000), campaign)
    head = score_video(make_video(followers=5_000_000), campaign)
    assert koc.half_life_days < head.half_life_days


def test_break_even_floor_from_margin_and_returns():
    # At 15% returns a 2.2 floor (margin 1/2.2) becomes about 2.6 (the break-even rule).
    assert break_even_roi(1 / 2.2, 0.0) == pytest.approx(2.2)
    assert break_even_roi(1 / 2.2, 0.15) == pytest.approx(2.588, abs=0.01)


def test_campaign_derives_floor_from_margin_and_return_rate():
    campaign = make_campaign(roi_floor=None, gross_margin=0.5, return_rate=0.2)
    assert campaign.effective_roi_floor == pytest.approx(2.5)
    assert campaign.roi_floor_source == "保本ROI 2.50 = 1 / (毛利率 0.5 × (1 - 退货率 0.2))"
    assert campaign.roi_floor_line == ("roi_floor_break_even",
                                       {"roi": 2.5, "margin": 0.5, "returns": 0.2})


def test_engagement_rate_by_follower_in_percent():
    video = make_video(likes=8_000, comments=1_000, shares=1_000, followers=1_000_000)
    assert score_video(video, make_campaign()).engagement_rate == pytest.approx(1.0)


def test_age_counts_days_from_publishing_to_the_plan_date():
    video = make_video(publish_date=date(2027, 4, 1))
    assert score_video(video, make_campaign()).age_days == 19


def test_a_video_with_plays_but_no_sales_yet_has_gpm_and_traffic_roi_zero():
    scores = score_video(make_video(natural_plays=250_000, natural_gmv=None), make_campaign())
    assert scores.gpm == 0.0
    assert scores.traffic_roi == 0.0


def test_a_video_with_sales_but_no_plays_known_has_gpm_zero():
    scores = score_video(make_video(natural_plays=None, natural_gmv=20_000), make_campaign())
    assert scores.gpm == 0.0


def test_engagement_rate_of_an_account_without_followers_is_zero():
    assert score_video(make_video(followers=0), make_campaign()).engagement_rate == 0.0


def test_engagement_counts_an_empty_likes_comments_or_shares_as_none():
    video = make_video(likes=None, comments=None, shares=None, followers=1_000_000)
    assert score_video(video, make_campaign()).engagement_rate == 0.0


def test_first_two_hours_roi_needs_both_the_plays_and_the_gmv():
    campaign = make_campaign(reference_cpm=40)
    assert score_video(make_video(first_2h_plays=50_000), campaign).first_2h_roi is None
    assert score_video(make_video(first_2h_gmv=6_000), campaign).first_2h_roi is None
    both = score_video(make_video(first_2h_plays=50_000, first_2h_gmv=6_000), campaign)
    assert both.first_2h_roi == pytest.approx(3.0)  # GPM 120 at CPM 40


def test_a_tier_without_a_half_life_of_its_own_halves_in_ten_days():
    campaign = make_campaign(tiers={"freshness_half_life_days": {"koc": 4.0}})
    assert score_video(make_video(followers=5_000_000), campaign).half_life_days == 10.0


def test_one_play_one_like_or_one_follower_is_counted_not_taken_for_none():
    # The guards against dividing by zero stop at zero: one of each is a real figure.
    assert gpm(20, 1) == pytest.approx(20_000)
    assert comment_like_rate(1, 1) == pytest.approx(1.0)
    video = make_video(followers=1, likes=1, comments=0, shares=0)
    assert score_video(video, make_campaign()).engagement_rate == pytest.approx(100.0)


def test_comment_like_rate_of_a_video_without_likes_or_comments_given_is_zero():
    campaign = make_campaign()
    assert score_video(make_video(likes=None, comments=400), campaign).comment_like_rate == 0.0
    assert score_video(make_video(likes=10_000, comments=None),
                       campaign).comment_like_rate == 0.0
