"""The AIMT stage rules: small functions, each returning a verdict with a reason.

A reason carries a stable snake_case ``code`` (scripts rely on it;
docs/reference.md lists them) and a sentence a media buyer can read. Rules only decide; the
response model and the optimiser turn the verdicts into columns and limits.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from planner.config import BigSale, Campaign
from planner.models import Mode, Reason, Video
from planner.reasons import reason
from planner.scoring import VideoScores, score_video
from planner.tools import AD_TOOLS, Tool

# The verdicts that explain why a tool may be used on a video, shown on its orders.
TOOL_REASON_CODES: dict[Tool, frozenset[str]] = {
    Tool.DOU_PLUS: frozenset({"roi_above_floor", "dou_plus_standard_start"}),
    Tool.SUIXINTUI: frozenset(
        {"roi_above_floor", "suixintui_untargeted_first", "suixintui_targeted"}
    ),
    Tool.CONTENT_SERVICE: frozenset({"cs_eligible", "cs_pressure_test_passed"}),
    Tool.KOL_BIDDING: frozenset({"kol_bidding_ok"}),
    Tool.QIANCHUAN: frozenset({"ad_tool_ok"}),
    Tool.AD_FEED: frozenset({"ad_tool_ok"}),
    Tool.UNI_DESK: frozenset({"ad_tool_ok"}),
}


def tool_reasons(assessment_reasons: list[Reason], tool: Tool) -> list[Reason]:
    """The verdicts behind using ``tool`` (ad-tool verdicts name their tool first)."""
    codes = TOOL_REASON_CODES[tool]
    return [
        r for r in assessment_reasons
        if r.code in codes and (r.code != "ad_tool_ok" or r.text.startswith(f"{tool}:"))
    ]


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    reason: Reason


def _yuan(value: float) -> str:
    return f"{value:,.0f}"


def roi_floor_rule(scores: VideoScores, floor: float) -> Verdict:
    if scores.traffic_roi >= floor:
        return Verdict(
            True,
            reason(
                "roi_above_floor",
                f"traffic ROI {scores.traffic_roi:.2f} is at or above the floor {floor:.2f}",
                roi=round(scores.traffic_roi, 2), floor=round(floor, 2),
            ),
        )
    return Verdict(
        False,
        reason(
            "roi_below_floor",
            f"traffic ROI {scores.traffic_roi:.2f} is below the floor {floor:.2f}: "
            "no Dou+ or Suixintui",
            roi=round(scores.traffic_roi, 2), floor=round(floor, 2),
        ),
    )


def is_burst(video: Video, scores: VideoScores, campaign: Campaign) -> bool:
    """Large KOL whose first 2 hours sold well, still inside the burst window."""
    rules = campaign.rules
    return (
        video.followers > rules.large_kol_followers
        and scores.first_2h_roi is not None
        and scores.first_2h_roi >= campaign.effective_roi_floor * rules.burst_min_roi_multiple
        and scores.age_days < rules.burst_window_days
    )


def dou_plus_first_day(video: Video, burst: bool, campaign: Campaign) -> tuple[date, Reason]:
    """First day a Dou+ order may run: publish + 3 days, or at once in a burst."""
    if burst:
        return video.publish_date, reason(
            "burst_first_2h",
            "burst: first 2 hours sold well for a KOL with "
            f"{video.followers:,} followers; Dou+ from publishing day, aiming at "
            f"{_yuan(campaign.rules.burst_day_target)} yuan a day",
            followers=video.followers, target=round(campaign.rules.burst_day_target),
        )
    first = video.publish_date + timedelta(days=campaign.rules.standard_start_day)
    return first, reason(
        "dou_plus_standard_start",
        f"standard Dou+ from {first} ({campaign.rules.standard_start_day} days after "
        "publishing), 24-hour orders judged on daily ROI",
        first=first.isoformat(), days=campaign.rules.standard_start_day,
    )


def dou_plus_mode(
    video: Video, scores: VideoScores, day: date, campaign: Campaign, roi_declining: bool = False
) -> tuple[Mode, Reason]:
    """Smart only when ALL hold: >500k followers, weight, <=15 days old [seed]."""
    return dou_plus_modes(video, scores, [day], campaign, roi_declining)[0]


def dou_plus_modes(
    video: Video, scores: VideoScores, days: Sequence[date], campaign: Campaign,
    roi_declining: bool = False,
) -> list[tuple[Mode, Reason]]:
    """``dou_plus_mode`` on each of ``days``: a verdict that does not depend on the
    video's age is worked out once and shared by every day."""
    rules = campaign.rules
    if roi_declining:
        return [("targeted", reason(
            "targeted_roi_declining",
            "targeted: ROI is clearly declining, the follower circle looks exhausted",
        ))] * len(days)
    if video.followers <= rules.large_kol_followers:
        return [("targeted", reason(
            "targeted_small_kol",
            f"targeted: {video.followers:,} followers (not above "
            f"{rules.large_kol_followers:,})",
            followers=video.followers, limit=rules.large_kol_followers,
        ))] * len(days)
    if not scores.has_weight:
        return [("targeted", reason(
            "targeted_low_weight",
            f"targeted: median plays {video.median_plays:,.0f} below "
            f"{rules.weight_median_plays:,} (low account weight)",
            plays=round(video.median_plays), limit=rules.weight_median_plays,
        ))] * len(days)
    modes: list[tuple[Mode, Reason]] = []
    for day in days:
        age = (day - video.publish_date).days
        if age > rules.smart_max_age_days:
            modes.append(_too_old_for_smart(age, rules.smart_max_age_days))
        else:
            modes.append(("smart", reason(
                "smart_mode",
                f"smart: {video.followers:,} followers, median plays "
                f"{video.median_plays:,.0f}, published {age} days ago",
                followers=video.followers, plays=round(video.median_plays), days=age,
            )))
    return modes


@functools.lru_cache(maxsize=4096)
def _too_old_for_smart(age: int, limit: int) -> tuple[Mode, Reason]:
    # The same few dozen ages on every video: each verdict is written once.
    return "targeted", reason("targeted_over_15_days",
                              f"targeted: published {age} days ago (>{limit})",
                              days=age, limit=limit)


def dou_plus_targeting(video: Video, scores: VideoScores, mode: Mode, campaign: Campaign) -> str:
    """Targeting package: basic (wide), basic+interest, basic+KOL (most precise)."""
    if mode == "smart":
        return "smart"
    if video.followers > campaign.rules.large_kol_followers and scores.has_weight:
        return "basic+kol"
    return "basic+interest"


def content_service_rule(video: Video, scores: VideoScores, campaign: Campaign,
                         learned_dou_plus_roi: float | None = None) -> Verdict:
    """Gate by ad review, KOL tier (or a passed Dou+ pressure test), ROI and comment-like
    rate [seed]."""
    rules = campaign.rules
    floor = campaign.effective_roi_floor
    if not video.ad_review_passed:
        return Verdict(False, reason(
            "cs_ad_review",
            "no content service: it is a hard-ad product and the video has not passed ad "
            "review"))
    roi = scores.traffic_roi
    pressure_tested = False
    if scores.tier not in rules.cs_tiers:
        if learned_dou_plus_roi is None or learned_dou_plus_roi < floor:
            return Verdict(
                False,
                reason(
                    "cs_tier_too_small",
                    f"no content service: {scores.tier.replace('_', '-')} KOL, "
                    "a Dou+ pressure test comes first",
                    tier=scores.tier,
                ),
            )
        pressure_tested = True
        roi = learned_dou_plus_roi
    if roi < floor:
        return Verdict(
            False,
            reason(
                "cs_roi_below_floor",
                f"no content service: traffic ROI {roi:.2f} below the floor {floor:.2f}",
                roi=round(roi, 2), floor=round(floor, 2),
            ),
        )
    if scores.comment_like_rate < rules.cs_min_comment_like_rate:
        return Verdict(
            False,
            reason(
                "cs_comment_like_low",
                f"no content service: comment-like rate {scores.comment_like_rate:.1%} below "
                f"{rules.cs_min_comment_like_rate:.1%}",
                rate=scores.comment_like_rate,
                limit=rules.cs_min_comment_like_rate,
            ),
        )
    cap = rules.cs_weekly_cap.get(scores.tier, 0.0)
    if pressure_tested:
        return Verdict(True, reason(
            "cs_pressure_test_passed",
            f"content service possible after the Dou+ pressure test: learned Dou+ ROI "
            f"{roi:.2f} clears the floor {floor:.2f}, comment-like rate "
            f"{scores.comment_like_rate:.1%}, up to {_yuan(cap)} yuan a week",
            roi=round(roi, 2), floor=round(floor, 2), rate=scores.comment_like_rate,
            cap=round(cap)))
    return Verdict(
        True,
        reason(
            "cs_eligible",
            f"content service possible: ROI {scores.traffic_roi:.2f}, comment-like rate "
            f"{scores.comment_like_rate:.1%}, up to {_yuan(cap)} yuan a week",
            roi=round(scores.traffic_roi, 2), rate=scores.comment_like_rate,
            cap=round(cap),
        ),
    )


def recent_roi(video: Video, scores: VideoScores, campaign: Campaign,
               learned_dou_plus_roi: float | None = None,
               estimate: str | None = None) -> tuple[float | None, str]:
    """The video's recent (3-month) traffic ROI and where it comes from [seed: lock-in].

    The 3-month ROI on record first; else learned ROI from actuals; else the video's
    own traffic ROI while it is at most ``recent_roi_days`` old. A scheduled post has
    no ROI of its own yet: ``estimate`` (a code of ``SCHEDULED_SOURCES``) names what
    its expected one rests on, and the reason says so. The source is a code of
    ``ROI_SOURCES``.
    """
    if video.roi_3m is not None:
        return video.roi_3m, "roi_3m"
    if learned_dou_plus_roi is not None:
        return learned_dou_plus_roi, "learned"
    if scores.age_days <= campaign.rules.recent_roi_days:
        return scores.traffic_roi, estimate or "own"
    return None, ""


# Where a lock-in's recent ROI comes from: code -> the words in the English sentence.
ROI_SOURCES: dict[str, str] = {
    "roi_3m": "3-month traffic ROI",
    "learned": "learned Dou+ ROI",
    "own": "the video's own traffic ROI",
    "kol_videos": "estimated from the KOL's other videos",
    "tier_prior": "estimated from the tier's prior",
    "buyer_estimate": "the buyer's estimate for the post",
}

# What a scheduled post's expected figures rest on (the code of its planner.scheduled
# reason) -> the source of ``ROI_SOURCES`` its recent ROI is named by.
SCHEDULED_SOURCES: dict[str, str] = {
    "scheduled_from_3m_roi": "roi_3m",
    "scheduled_from_kol_videos": "kol_videos",
    "scheduled_from_tier_prior": "tier_prior",
    "scheduled_buyer_estimate": "buyer_estimate",
}


def lock_in_rule(video: Video, scores: VideoScores, sale: BigSale, campaign: Campaign,
                 learned_dou_plus_roi: float | None = None,
                 estimate: str | None = None) -> tuple[date | None, Reason]:
    """Book content service for a sale >=30 days ahead on good recent ROI [seed].

    Returns the booking date, or None with the reason it cannot be booked.
    """
    rules = campaign.rules
    plan_date = campaign.effective_plan_date
    booking = sale.start - timedelta(days=rules.lock_in_days)
    if booking < plan_date:
        return None, reason(
            "lock_in_too_late",
            f"no lock-in for {sale.name}: it starts {sale.start}, booking had to happen by "
            f"{booking} ({rules.lock_in_days} days ahead) and the plan is dated {plan_date}",
            sale=sale.name, start=sale.start.isoformat(), booking=booking.isoformat(),
            days=rules.lock_in_days, plan_date=plan_date.isoformat(),
        )
    floor = campaign.effective_roi_floor
    roi, source = recent_roi(video, scores, campaign, learned_dou_plus_roi, estimate)
    if roi is None:
        return None, reason(
            "lock_in_no_3m_roi",
            f"no lock-in for {sale.name}: no traffic ROI from the last "
            f"{rules.recent_roi_days} days on record",
            sale=sale.name, days=rules.recent_roi_days,
        )
    if roi < floor:
        return None, reason(
            "lock_in_3m_roi_low",
            f"no lock-in for {sale.name}: recent traffic ROI {roi:.2f} ({ROI_SOURCES[source]}) "
            f"below {floor:.2f}",
            sale=sale.name, roi=round(roi, 2), source=source, floor=round(floor, 2),
        )
    return booking, reason(
        "sale_lock_in",
        f"lock-in for {sale.name}: book by {booking} ({rules.lock_in_days} days before "
        f"{sale.start}); recent traffic ROI {roi:.2f} ({ROI_SOURCES[source]})",
        sale=sale.name, booking=booking.isoformat(), days=rules.lock_in_days,
        start=sale.start.isoformat(), roi=round(roi, 2), source=source,
    )


def kol_bidding_rule(video: Video, scores: VideoScores) -> Verdict:
    """OCPM on the KOL's own video: authorisation, ad review and weight [seed]."""
    if not video.kol_authorized:
        return Verdict(
            False,
            reason("kol_bidding_not_authorized", "no KOL bidding: the KOL has not authorised"),
        )
    if not video.ad_review_passed:
        return Verdict(
            False, reason("kol_bidding_ad_review", "no KOL bidding: ad review not passed")
        )
    if not scores.has_weight:
        return Verdict(
            False,
            reason("kol_bidding_low_weight", "no KOL bidding: the account has little weight"),
        )
    return Verdict(
        True, reason("kol_bidding_ok", "KOL bidding possible: authorised, reviewed, weighty")
    )


def kol_bidding_strategy(video: Video, campaign: Campaign) -> str:
    """Yuntu, Laika or KOL strategy; broad (通投) is never recommended [seed]."""
    if video.followers > campaign.rules.large_kol_followers:
        return "kol"
    return "yuntu"


def ad_tool_rule(video: Video, tool: Tool) -> Verdict:
    if video.kol_authorized and video.ad_review_passed:
        return Verdict(True, reason("ad_tool_ok", f"{tool}: authorised and ad review passed",
                                    tool=tool.value))
    return Verdict(
        False,
        reason("ad_tool_blocked", f"no {tool}: needs the KOL's authorisation and ad review",
               tool=tool.value),
    )


def suixintui_targeting(scores: VideoScores) -> tuple[str, Reason]:
    if scores.tier in ("koc", "tail"):
        return "targeted", reason(
            "suixintui_targeted",
            f"Suixintui targeted from the start: {scores.tier.upper()} account",
            tier=scores.tier,
        )
    return "untargeted", reason(
        "suixintui_untargeted_first",
        f"Suixintui untargeted first ({scores.tier.replace('_', '-')} KOL), then targeted",
        tier=scores.tier,
    )


@dataclass
class Assessment:
    """A video's scores and which tools the rules allow, with every reason."""

    video: Video
    scores: VideoScores
    burst: bool
    eligible: set[Tool] = field(default_factory=set)
    reasons: list[Reason] = field(default_factory=list)
    dou_plus_first_day: date | None = None
    # big-sale name -> booking date allowed for a content-service lock-in
    lock_ins: dict[str, date] = field(default_factory=dict)
    scheduled: bool = False  # booked KOL post, not live yet: figures are expected
    recent_roi: float | None = None  # what a lock-in is judged and valued on
    # What a scheduled post's expected figures rest on: a code of SCHEDULED_SOURCES' values.
    estimate: str | None = None


def assess_video(video: Video, campaign: Campaign, *, scheduled: Reason | None = None,
                 learned_dou_plus_roi: float | None = None) -> Assessment:
    """Apply every rule to one video for the campaign's chain.

    ``scheduled`` is the estimate behind a post that is not live yet;
    ``learned_dou_plus_roi`` is what re-planning learned of its Dou+ (a pressure test).
    """
    scores = score_video(video, campaign)
    burst = is_burst(video, scores, campaign)
    result = Assessment(video=video, scores=scores, burst=burst, scheduled=scheduled is not None)
    estimate = None
    if scheduled is not None:
        result.reasons.append(scheduled)
        estimate = result.estimate = SCHEDULED_SOURCES.get(scheduled.code)
    result.recent_roi = recent_roi(video, scores, campaign, learned_dou_plus_roi, estimate)[0]
    floor_verdict = roi_floor_rule(scores, campaign.effective_roi_floor)
    result.reasons.append(floor_verdict.reason)
    for tool in campaign.chain_tools(every=True):
        if not campaign.tools[tool].enabled:
            result.reasons.append(reason("tool_disabled", f"{tool} is switched off",
                                         tool=tool.value))
    for tool in campaign.chain_tools():
        if tool in (Tool.DOU_PLUS, Tool.SUIXINTUI):
            if floor_verdict.allowed:
                result.eligible.add(tool)
                if tool is Tool.DOU_PLUS:
                    first, why = dou_plus_first_day(video, burst, campaign)
                    result.dou_plus_first_day = first
                    result.reasons.append(why)
                else:
                    result.reasons.append(suixintui_targeting(scores)[1])
        elif tool is Tool.CONTENT_SERVICE:
            verdict = content_service_rule(video, scores, campaign, learned_dou_plus_roi)
            result.reasons.append(verdict.reason)
            if verdict.allowed:
                result.eligible.add(tool)
                for sale in campaign.big_sales:
                    booking, why = lock_in_rule(video, scores, sale, campaign,
                                                learned_dou_plus_roi, estimate)
                    result.reasons.append(why)
                    if booking is not None:
                        result.lock_ins[sale.name] = booking
        elif tool is Tool.KOL_BIDDING:
            verdict = kol_bidding_rule(video, scores)
            result.reasons.append(verdict.reason)
            if verdict.allowed:
                result.eligible.add(tool)
        elif tool in AD_TOOLS:
            verdict = ad_tool_rule(video, tool)
            result.reasons.append(verdict.reason)
            if verdict.allowed:
                result.eligible.add(tool)
    return result
