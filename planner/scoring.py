"""The traffic ROI model (流量ROI模型) and the content indicators behind the rules.

    GPM = sales / (plays / 1000)      sales per thousand plays
    traffic ROI = GPM / CPM           CPM = price of 1,000 impressions

GPM is measured on the video's natural plays; traffic ROI equals GMV / spend
only if paid impressions convert like natural plays, which is what the
planner assumes before actuals arrive (re-planning corrects it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from planner.config import Campaign, RuleConfig, TierConfig
from planner.models import Tier, Video


def gpm(sales: float, plays: float) -> float:
    """Sales per thousand plays; a video nobody watched has GPM 0."""
    if plays <= 0:
        return 0.0
    return sales / (plays / 1000.0)


def traffic_roi(gpm_value: float, cpm: float) -> float:
    """Sales per yuan of traffic when 1,000 impressions cost ``cpm``."""
    return gpm_value / cpm


def comment_like_rate(comments: int, likes: int) -> float:
    """評贊率: comments per like, how much traffic the content can carry."""
    if likes <= 0:
        return 0.0
    return comments / likes


def engagement_rate_by_follower(video: Video) -> float:
    """(likes + comments + shares) / followers x 100, in percent."""
    if video.followers <= 0:
        return 0.0
    engagements = (video.likes or 0) + (video.comments or 0) + (video.shares or 0)
    return engagements / video.followers * 100.0


def kol_tier(followers: int, tiers: TierConfig) -> Tier:
    if followers < tiers.koc_max:
        return "koc"
    if followers < tiers.tail_max:
        return "tail"
    if followers < tiers.mid_max:
        return "mid"
    if followers < tiers.head_max:
        return "head"
    return "super_head"


def has_weight(median_plays: float, rules: RuleConfig) -> bool:
    """Account weight is judged by median plays [seed]."""
    return median_plays >= rules.weight_median_plays


def weight_factor(median_plays: float, rules: RuleConfig, floor: float) -> float:
    """Share of paid capacity an account can use: full with weight, less without."""
    return max(floor, min(1.0, median_plays / rules.weight_median_plays))


def freshness(age_days: int, half_life_days: float) -> float:
    """Reach left in a video ``age_days`` old; halves every ``half_life_days``."""
    return float(0.5 ** (max(age_days, 0) / half_life_days))


@dataclass(frozen=True)
class VideoScores:
    """Everything the rules and the response model read about one video."""

    video_id: str
    tier: Tier
    age_days: int
    gpm: float
    traffic_roi: float
    comment_like_rate: float
    engagement_rate: float
    has_weight: bool
    weight_factor: float
    first_2h_roi: float | None
    half_life_days: float


def score_video(video: Video, campaign: Campaign, on: date | None = None) -> VideoScores:
    """Score a video on the plan date with the campaign's reference CPM."""
    day = on or campaign.effective_plan_date
    tier = kol_tier(video.followers, campaign.tiers)
    # A scheduled post is scored on its expected figures (planner.scheduled) once filled.
    value = gpm(video.natural_gmv or 0.0, video.natural_plays or 0.0)
    first_2h_roi = None
    if video.first_2h_plays and video.first_2h_gmv is not None:
        first_2h_roi = traffic_roi(
            gpm(video.first_2h_gmv, video.first_2h_plays), campaign.reference_cpm
        )
    return VideoScores(
        video_id=video.video_id,
        tier=tier,
        age_days=(day - video.publish_date).days,
        gpm=value,
        traffic_roi=traffic_roi(value, campaign.reference_cpm),
        comment_like_rate=comment_like_rate(video.comments or 0, video.likes or 0),
        engagement_rate=engagement_rate_by_follower(video),
        has_weight=has_weight(video.median_plays, campaign.rules),
        weight_factor=weight_factor(
            video.median_plays, campaign.rules, campaign.response.min_weight_factor
        ),
        first_2h_roi=first_2h_roi,
        half_life_days=campaign.tiers.freshness_half_life_days.get(tier, 10.0),
    )
