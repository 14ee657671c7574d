"""The AIMT stage rules: small functions, each returning a verdict with a reason.

A reason carries a stable snake_case ``code`` (scripts rely on it;
docs/reference.md lists them) and a sentence a media buyer can read. Rules only decide; the
response model and the optimiser turn the verdicts into columns and limits.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import date, timedelta

from planner.config import BigSale, Campaign
from planner.models import Mode, Reason, ReasonParam, Video
from planner.scoring import VideoScores, score_video
from planner.tools import AD_TOOLS, CHAIN_TOOLS, Tool

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


# Every reason code the planner can emit, with what it means. Stable ids.
REASON_CODES: dict[str, str] = {
    "roi_above_floor": "Traffic ROI clears the ROI floor, so the video may be boosted.",
    "roi_below_floor": "Traffic ROI is below the floor: no Dou+ / Suixintui for this video.",
    "tool_not_in_chain": "The tool belongs to the other chain (Tmall vs closed loop).",
    "tool_disabled": "The campaign switched this tool off.",
    "dou_plus_standard_start": "Standard Dou+ starts 3 days after publishing, once natural "
    "traffic is used up; 24-hour orders.",
    "burst_first_2h": "Large KOL with a strong first 2 hours: burst Dou+ from day one.",
    "burst_limited": "The burst day got less than a burst aims at: names the limit that took "
    "the money.",
    "smart_mode": "Smart Dou+: >500k followers, account has weight, video <=15 days old.",
    "targeted_small_kol": "Targeted Dou+: the KOL has 500k followers or fewer.",
    "targeted_low_weight": "Targeted Dou+: the account's median plays show little weight.",
    "targeted_over_15_days": "Targeted Dou+: the video is more than 15 days old.",
    "targeted_roi_declining": "Targeted Dou+: ROI is clearly declining (follower circle "
    "exhausted).",
    "dou_plus_sale_no_capacity": "Big-sale day: OCPM bids crowd out Dou+, little to buy.",
    "cs_eligible": "Content service possible: ROI and comment-like rate pass, KOL big enough.",
    "cs_pressure_test_passed": "Below head, but the Dou+ pressure test proved the content "
    "model: content service may scale it.",
    "cs_ad_review": "Content service is a hard-ad product: the video must pass ad review.",
    "scheduled_from_3m_roi": "Scheduled post: expected from median plays and the KOL's "
    "3-month traffic ROI.",
    "scheduled_from_kol_videos": "Scheduled post: expected from median plays and the KOL's "
    "other videos.",
    "scheduled_from_tier_prior": "Scheduled post without KOL history: expected from median "
    "plays and the tier's prior ROI.",
    "scheduled_buyer_estimate": "Scheduled post: plays and GMV as the buyer expects them.",
    "harvest_audience_pool": "Harvesting retargets the audience seeding has built; its "
    "volume grows with that pool.",
    "cs_tier_too_small": "Below head KOLs get a Dou+ pressure test before content service.",
    "cs_roi_below_floor": "Content service needs traffic ROI above the floor.",
    "cs_comment_like_low": "Comment-like rate too low to carry content-service volume.",
    "cs_excludes_dou_plus": "Content service and Dou+ never run on the same video at once.",
    "cs_one_shot": "Content service is one-shot: booked whole, not optimised mid-way.",
    "sale_lock_in": "Content service for the big sale, booked 30 days ahead to lock traffic.",
    "lock_in_too_late": "Less than 30 days before the sale: no new content service for it.",
    "lock_in_no_3m_roi": "No recent (3-month) traffic ROI: the video cannot be chosen for a "
    "lock-in.",
    "lock_in_3m_roi_low": "Recent (3-month) traffic ROI below the floor: not chosen for a "
    "lock-in.",
    "kol_bidding_ok": "KOL bidding possible: authorised, ad review passed, account has weight.",
    "kol_bidding_not_authorized": "KOL bidding needs the KOL's authorisation.",
    "kol_bidding_ad_review": "KOL bidding needs a passed ad review.",
    "kol_bidding_low_weight": "KOL bidding needs an account with weight.",
    "ad_tool_ok": "The video may run as an ad creative (authorised, ad review passed).",
    "ad_tool_blocked": "Running the video as an ad needs authorisation and ad review.",
    "suixintui_untargeted_first": "Suixintui: mid-tier and larger KOLs test untargeted first.",
    "suixintui_targeted": "Suixintui: tail KOLs and KOCs need targeting from the start.",
    "min_order": "Orders respect the tool's minimum (Dou+ 100, content service 50,000 yuan).",
    "commitment_fixed": "Already booked or spent: kept exactly as it is.",
    "commitment_revalued": "Actuals revalued a booked order (the loss or gain in figures); "
    "it stays booked, one-shot, and the rest of the budget moves to what sells.",
    "learned_roi": "Actuals moved the ROI estimate (weighted by the money behind them).",
    "learned_roi_below_floor": "Actuals pulled the ROI estimate below the floor: stop buying.",
    "topup_roi_peak": "ROI peak: a 2h or 6h Dou+ top-up order added on top of the day's Dou+, "
    "within the budget and the daily cap.",
    "reoptimised": "Re-optimised with the remaining budget after yesterday's results.",
    "roi_estimate": "What the order's value rests on (the video's natural sales, the KOL's "
    "record, a tier prior or learned actuals) and the ROI range it allows (P10-P90).",
    "risk_video_share": "The order's video holds the most of the budget one video may take "
    "([risk] max_video_share): the plan does not rest on one video.",
    "risk_kol_share": "The order's KOL holds the most of the budget one KOL's videos may take "
    "([risk] max_kol_share).",
    "cs_cancelled": "No new content service (lock-ins included) on a video whose ROI is "
    "clearly declining or learned below the floor: a booked order could not be stopped.",
}


@functools.lru_cache(maxsize=65_536)
def reason(code: str, text: str, **params: ReasonParam) -> Reason:
    """A reason with a documented code; the same sentence is built once and shared.

    ``params`` are the figures in ``text`` by name (numbers, ISO dates, codes of
    tools and tiers), so ``reason_text`` can say it in Chinese too; the catalogue's
    ``reason.<code>`` template names the same fields. ``form="x"`` picks the
    variant ``reason.<code>.x`` where one code has sentences of several shapes.
    Reasons are shared between callers: never change one.
    """
    if code not in REASON_CODES:
        raise KeyError(f"unknown reason code {code!r}")
    return Reason.model_construct(code=code, text=text, params=params or None)


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
    rules = campaign.rules
    age = (day - video.publish_date).days
    if roi_declining:
        return "targeted", reason(
            "targeted_roi_declining",
            "targeted: ROI is clearly declining, the follower circle looks exhausted",
        )
    if video.followers <= rules.large_kol_followers:
        return "targeted", reason(
            "targeted_small_kol",
            f"targeted: {video.followers:,} followers (not above "
            f"{rules.large_kol_followers:,})",
            followers=video.followers, limit=rules.large_kol_followers,
        )
    if not scores.has_weight:
        return "targeted", reason(
            "targeted_low_weight",
            f"targeted: median plays {video.median_plays:,.0f} below "
            f"{rules.weight_median_plays:,} (low account weight)",
            plays=round(video.median_plays), limit=rules.weight_median_plays,
        )
    if age > rules.smart_max_age_days:
        return "targeted", reason(
            "targeted_over_15_days",
            f"targeted: published {age} days ago (>{rules.smart_max_age_days})",
            days=age, limit=rules.smart_max_age_days,
        )
    return "smart", reason(
        "smart_mode",
        f"smart: {video.followers:,} followers, median plays {video.median_plays:,.0f}, "
        f"published {age} days ago",
        followers=video.followers, plays=round(video.median_plays), days=age,
    )


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
    for tool in CHAIN_TOOLS[campaign.chain]:
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
