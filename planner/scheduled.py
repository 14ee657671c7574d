"""Scheduled KOL posts (排期): booked, not yet live, planned from the KOL's history.

A 618 plan is made in April around KOL posts that go live in the pre-heat.
Until a post is live its natural plays and sales are expected from the KOL's
record [seed + practice]:

- plays: the account's median plays (account weight);
- sales per 1,000 plays (GPM): the KOL's 3-month traffic ROI x the reference
  CPM, else the KOL's other videos in the roster, else the tier's prior ROI;
- comment-like rate: the KOL's other videos, else a prior.

A buyer who fills in expected plays and GMV for a scheduled row is taken at
their word. Once the roster carries the live numbers, re-planning uses them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from planner.config import Campaign
from planner.models import Reason, Video
from planner.reasons import reason
from planner.scoring import kol_tier

# Nominal likes behind an expected comment-like rate: only their ratio is read.
_NOMINAL_LIKES = 10_000


def is_scheduled(video: Video, campaign: Campaign) -> bool:
    """Published after the plan date: booked, not yet live."""
    return video.publish_date > campaign.effective_plan_date


def _kol_history(videos: Sequence[Video], campaign: Campaign) -> dict[str, tuple[float, float,
                                                                                 int, int]]:
    """Per KOL, over their live videos with figures: (plays, GMV, likes, comments)."""
    totals: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0, 0.0])
    for v in videos:
        if is_scheduled(v, campaign) or v.natural_plays is None or v.natural_gmv is None:
            continue
        t = totals[v.kol_name]
        t[0] += v.natural_plays
        t[1] += v.natural_gmv
        t[2] += v.likes or 0
        t[3] += v.comments or 0
    return {k: (t[0], t[1], int(t[2]), int(t[3])) for k, t in totals.items()}


def expected_video(video: Video, history: dict[str, tuple[float, float, int, int]],
                   campaign: Campaign) -> tuple[Video, Reason]:
    """The scheduled post with its expected figures filled in, and where they came from."""
    # A zero in a post that is not live yet is no estimate: read as missing
    # (planner.plausibility flags it).
    plays = video.natural_plays if video.natural_plays else video.median_plays
    past = history.get(video.kol_name)
    cpm = campaign.reference_cpm
    if video.natural_gmv and video.natural_plays:
        gmv = video.natural_gmv
        why = reason("scheduled_buyer_estimate",
                     f"scheduled post ({video.publish_date}): plays and GMV as the buyer "
                     "expects them in the roster", date=video.publish_date.isoformat())
    elif video.roi_3m is not None:
        gmv = video.roi_3m * cpm * plays / 1000.0
        why = reason("scheduled_from_3m_roi",
                     f"scheduled post ({video.publish_date}): expected {plays:,.0f} plays "
                     f"(median plays) at the KOL's 3-month traffic ROI {video.roi_3m:.2f}",
                     date=video.publish_date.isoformat(), plays=round(plays),
                     roi=round(video.roi_3m, 2))
    elif past is not None and past[0] > 0:
        gmv = past[1] / past[0] * plays
        roi = past[1] / (past[0] / 1000.0) / cpm
        why = reason("scheduled_from_kol_videos",
                     f"scheduled post ({video.publish_date}): expected {plays:,.0f} plays "
                     f"(median plays) at the traffic ROI {roi:.2f} of the KOL's other videos",
                     date=video.publish_date.isoformat(), plays=round(plays), roi=round(roi, 2))
    else:
        tier = kol_tier(video.followers, campaign.tiers)
        prior = campaign.tiers.prior_traffic_roi.get(tier, 1.0)
        gmv = prior * cpm * plays / 1000.0
        why = reason("scheduled_from_tier_prior",
                     f"scheduled post ({video.publish_date}): no history for this KOL, "
                     f"expected {plays:,.0f} plays (median plays) at the "
                     f"{tier.replace('_', '-')} prior traffic ROI {prior:.2f}",
                     date=video.publish_date.isoformat(), plays=round(plays), tier=tier,
                     roi=round(prior, 2))
    likes, comments = video.likes, video.comments
    if likes is None or comments is None:
        rate = campaign.tiers.prior_comment_like_rate
        if past is not None and past[2] > 0:
            rate = past[3] / past[2]
        likes, comments = _NOMINAL_LIKES, round(_NOMINAL_LIKES * rate)
    filled = video.model_copy(update={
        "natural_plays": plays, "natural_gmv": gmv, "likes": likes, "comments": comments,
    })
    return filled, why


def expected_roster(videos: Sequence[Video],
                    campaign: Campaign) -> dict[str, tuple[Video, Reason]]:
    """Every scheduled post of the roster, expected from its KOL's history."""
    history = _kol_history(videos, campaign)
    return {
        v.video_id: expected_video(v, history, campaign)
        for v in videos if is_scheduled(v, campaign)
    }
