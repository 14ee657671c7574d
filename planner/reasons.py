"""Reason codes: every decision the planner makes carries one, with a sentence.

A reason's ``code`` is a stable snake_case id that scripts rely on (the reference
lists them); its sentence is rendered in the buyer's language from the
catalogue's ``reason.<code>`` template and the figures in ``params``. Rules,
the response model, planning, re-planning and learning all build reasons here.
"""

from __future__ import annotations

import functools

from planner.models import Reason, ReasonParam

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
    "live_room_direct": "Direct live-room buying (Qianchuan live-room promotion): at most a "
    "share of the short-video spend bought that day, as short videos bring the room's "
    "traffic.",
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
    "winner_limited": "A winner (actuals far above the model) is scaled; names the limit "
    "that stops it scaling further (reach, share cap, capacity, tool or daily cap, budget, "
    "returns) with its figures.",
    "implausible_input": "An input value a buyer would not believe (a natural ROI far "
    "outside its tier's range, a first-2h ROI far above the natural one, zeros in a "
    "scheduled post's figures): flagged with what the plan does with it.",
    "pressure_test": "A small test order ([risk] test_share of the budget) on a video whose "
    "value is uncertain and could matter most (value of information): re-plans scale it "
    "once its evidence clears the floor.",
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
