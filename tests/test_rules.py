"""Each AIMT rule: its verdict, reason code and sentence."""

from datetime import date

import pytest

from factories import make_campaign, make_video
from planner.config import BigSale
from planner.reasons import REASON_CODES
from planner.rules import (
    assess_video,
    content_service_rule,
    dou_plus_first_day,
    dou_plus_mode,
    dou_plus_targeting,
    is_burst,
    kol_bidding_rule,
    kol_bidding_strategy,
    lock_in_rule,
    roi_floor_rule,
    suixintui_targeting,
)
from planner.scoring import score_video
from planner.tools import Tool


def _mode(video, day, campaign=None, declining=False):
    campaign = campaign or make_campaign()
    return dou_plus_mode(video, score_video(video, campaign), day, campaign, declining)


def test_roi_below_floor_gets_no_dou_plus():
    campaign = make_campaign(roi_floor=2.5)
    verdict = roi_floor_rule(score_video(make_video(), campaign), 2.5)
    assert not verdict.allowed
    assert verdict.reason.code == "roi_below_floor"
    assert "2.00 is below the floor 2.50" in verdict.reason.text
    assessed = assess_video(make_video(), campaign)
    assert Tool.DOU_PLUS not in assessed.eligible


def test_roi_at_floor_is_allowed():
    verdict = roi_floor_rule(score_video(make_video(), make_campaign()), 2.0)
    assert verdict.allowed and verdict.reason.code == "roi_above_floor"


def test_smart_mode_needs_large_kol_with_weight_and_fresh_video():
    mode, why = _mode(make_video(publish_date=date(2027, 4, 15)), date(2027, 4, 25))
    assert mode == "smart"
    assert why.code == "smart_mode"


def test_targeted_when_published_more_than_15_days_ago():
    mode, why = _mode(make_video(publish_date=date(2027, 4, 1)), date(2027, 4, 20))
    assert mode == "targeted"
    assert why.code == "targeted_over_15_days"
    assert why.text == "targeted: published 19 days ago (>15)"


def test_exactly_15_days_is_still_smart():
    mode, _ = _mode(make_video(publish_date=date(2027, 4, 5)), date(2027, 4, 20))
    assert mode == "smart"


def test_targeted_for_kol_at_or_below_500k_followers():
    mode, why = _mode(make_video(followers=500_000), date(2027, 4, 20))
    assert (mode, why.code) == ("targeted", "targeted_small_kol")


def test_targeted_for_account_without_weight():
    mode, why = _mode(make_video(median_plays=1_000), date(2027, 4, 20))
    assert (mode, why.code) == ("targeted", "targeted_low_weight")


def test_targeted_when_roi_clearly_declines():
    mode, why = _mode(make_video(), date(2027, 4, 20), declining=True)
    assert (mode, why.code) == ("targeted", "targeted_roi_declining")


@pytest.mark.parametrize(
    ("overrides", "package"),
    [({}, "basic+kol"), ({"followers": 200_000}, "basic+interest")],
    ids=["large-kol-follower-lookalike", "small-kol-interest"],
)
def test_targeting_package_for_targeted_dou_plus(overrides, package):
    video = make_video(**overrides)
    campaign = make_campaign()
    assert dou_plus_targeting(video, score_video(video, campaign), "targeted", campaign) == package


def test_standard_dou_plus_starts_three_days_after_publishing():
    video = make_video(publish_date=date(2027, 4, 19))
    first, why = dou_plus_first_day(video, False, make_campaign())
    assert first == date(2027, 4, 22)
    assert why.code == "dou_plus_standard_start"


def test_burst_for_large_kol_with_strong_first_two_hours():
    campaign = make_campaign()
    video = make_video(
        followers=3_000_000, publish_date=date(2027, 4, 20),
        first_2h_plays=50_000, first_2h_gmv=8_000,  # GPM 160 -> ROI 4.0 >= 1.2 x 1.5
    )
    scores = score_video(video, campaign)
    assert is_burst(video, scores, campaign)
    first, why = dou_plus_first_day(video, True, campaign)
    assert first == video.publish_date and why.code == "burst_first_2h"


def test_no_burst_for_small_kol_even_with_strong_first_hours():
    campaign = make_campaign()
    video = make_video(followers=300_000, publish_date=date(2027, 4, 20),
                       first_2h_plays=50_000, first_2h_gmv=8_000)
    assert not is_burst(video, score_video(video, campaign), campaign)


def test_content_service_needs_head_tier():
    campaign = make_campaign()
    video = make_video(followers=800_000)
    verdict = content_service_rule(video, score_video(video, campaign), campaign)
    assert (verdict.allowed, verdict.reason.code) == (False, "cs_tier_too_small")


def test_content_service_needs_comment_like_rate():
    campaign = make_campaign()
    video = make_video(followers=5_000_000, likes=10_000, comments=50)
    verdict = content_service_rule(video, score_video(video, campaign), campaign)
    assert (verdict.allowed, verdict.reason.code) == (False, "cs_comment_like_low")


def test_content_service_for_head_kol_with_good_roi_and_comments():
    campaign = make_campaign()
    video = make_video(followers=5_000_000)
    verdict = content_service_rule(video, score_video(video, campaign), campaign)
    assert verdict.allowed and verdict.reason.code == "cs_eligible"


def test_lock_in_books_thirty_days_before_the_sale():
    sale = BigSale(name="618", start=date(2027, 5, 31), end=date(2027, 6, 18))
    campaign = make_campaign(end=date(2027, 6, 20), big_sales=[sale.model_dump()])
    video = make_video(roi_3m=1.8)
    booking, why = lock_in_rule(video, score_video(video, campaign), sale, campaign)
    assert booking == date(2027, 5, 1)
    assert why.code == "sale_lock_in"


def test_lock_in_too_late_less_than_thirty_days_before_the_sale():
    sale = BigSale(name="双11", start=date(2027, 5, 10), end=date(2027, 5, 12))
    campaign = make_campaign(end=date(2027, 5, 20), big_sales=[sale.model_dump()])
    video = make_video()
    booking, why = lock_in_rule(video, score_video(video, campaign), sale, campaign)
    assert booking is None
    assert why.code == "lock_in_too_late"
    assert "2027-04-10" in why.text


def _lock_in(video, sale, campaign, learned=None):
    return lock_in_rule(video, score_video(video, campaign), sale, campaign, learned)


def test_lock_in_needs_good_three_month_roi():
    sale = BigSale(name="618", start=date(2027, 5, 31), end=date(2027, 6, 18))
    campaign = make_campaign(end=date(2027, 6, 20), big_sales=[sale.model_dump()])
    old = make_video(roi_3m=None, publish_date=date(2027, 1, 10))  # 100 days old, no record
    assert _lock_in(old, sale, campaign)[1].code == "lock_in_no_3m_roi"
    assert _lock_in(make_video(roi_3m=0.9), sale, campaign)[1].code == "lock_in_3m_roi_low"


def test_lock_in_counts_a_fresh_videos_own_traffic_roi_as_recent_performance():
    # The method's worked example (docs/method.md): 250,000 plays, 20,000 yuan, CPM 40
    # -> traffic ROI 2.0.
    sale = BigSale(name="618", start=date(2027, 5, 31), end=date(2027, 6, 18))
    campaign = make_campaign(end=date(2027, 6, 20), big_sales=[sale.model_dump()])
    booking, why = _lock_in(make_video(roi_3m=None), sale, campaign)
    assert booking == date(2027, 5, 1)
    assert "2.00 (the video's own traffic ROI)" in why.text


def test_lock_in_counts_learned_roi_as_recent_performance():
    sale = BigSale(name="618", start=date(2027, 5, 31), end=date(2027, 6, 18))
    campaign = make_campaign(end=date(2027, 6, 20), big_sales=[sale.model_dump()])
    old = make_video(roi_3m=None, publish_date=date(2027, 1, 10))
    booking, why = _lock_in(old, sale, campaign, learned=3.9)
    assert booking is not None
    assert "3.90 (learned Dou+ ROI)" in why.text


@pytest.mark.parametrize(
    ("overrides", "code"),
    [({"kol_authorized": False}, "kol_bidding_not_authorized"),
     ({"ad_review_passed": False}, "kol_bidding_ad_review"),
     ({"median_plays": 100}, "kol_bidding_low_weight"),
     ({}, "kol_bidding_ok")],
    ids=["needs-authorisation", "needs-ad-review", "needs-weight", "allowed"],
)
def test_kol_bidding_preconditions(overrides, code):
    video = make_video(**overrides)
    verdict = kol_bidding_rule(video, score_video(video, make_campaign()))
    assert verdict.reason.code == code
    assert verdict.allowed == (code == "kol_bidding_ok")


def test_kol_bidding_strategy_is_never_broad():
    campaign = make_campaign()
    strategies = {kol_bidding_strategy(make_video(followers=f), campaign)
                  for f in (10_000, 300_000, 900_000, 20_000_000)}
    assert strategies <= {"yuntu", "laika", "kol"}


def test_suixintui_untargeted_first_for_mid_tier_targeted_for_koc():
    campaign = make_campaign(chain="closed_loop")
    mid = score_video(make_video(followers=800_000), campaign)
    koc = score_video(make_video(followers=30_000), campaign)
    assert suixintui_targeting(mid)[1].code == "suixintui_untargeted_first"
    assert suixintui_targeting(koc)[1].code == "suixintui_targeted"


@pytest.mark.parametrize(
    ("chain", "tools"),
    [("tmall", {"dou_plus", "content_service", "kol_bidding", "ad_feed", "uni_desk"}),
     ("closed_loop", {"suixintui", "content_service", "kol_bidding", "qianchuan"})],
    ids=["tmall", "closed-loop"],
)
def test_chain_tool_sets(chain, tools):
    assessed = assess_video(make_video(followers=5_000_000), make_campaign(chain=chain))
    assert {str(t) for t in assessed.eligible} == tools


def test_every_emitted_reason_code_is_documented():
    assessed = assess_video(make_video(), make_campaign())
    assert all(r.code in REASON_CODES for r in assessed.reasons)
