"""The response model: what each yuan on a video, tool and day is expected to sell.

A *purchase* is one buying decision: a daily order (Dou+, Suixintui) or daily
plan budget (KOL bidding, Qianchuan, AD, UD) on one video and day, or a whole
content-service order over a window. Each purchase's capacity is cut into
segments of falling ROI (diminishing returns), so the optimiser fills the
best segments first and a linear program stays exact.

    impressions a day = natural plays x tool reach multiple x account weight
                        x freshness (halves every tier half-life)
                        x sale capacity multiplier (Dou+ near zero in big sales)
    capacity (yuan)   = impressions / 1000 x CPM x sale price multiplier
    ROI               = GPM x tool efficiency x sale conversion multiplier
                        / (CPM x sale price multiplier)

Money is held in thousands of yuan (``KYUAN``) inside the model: with raw
yuan HiGHS reports excessively large bounds (MEASURED.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from planner.config import BigSale, Campaign, Commitment
from planner.errors import InputError, Problem
from planner.models import Mode, Reason, Video
from planner.rules import (
    Assessment,
    dou_plus_mode,
    dou_plus_targeting,
    kol_bidding_strategy,
    reason,
    suixintui_targeting,
    tool_reasons,
)
from planner.scoring import VideoScores, freshness
from planner.tools import SEEDING_TOOLS, Tool

KYUAN = 1000.0


@dataclass
class Purchase:
    """One buying decision and its capacity segments (money in thousand yuan)."""

    index: int
    video_id: str
    tool: Tool
    days: tuple[date, ...]
    day_shares: tuple[float, ...]  # how the purchase's spend spreads over ``days``
    booking_date: date
    min_order: float
    seg_roi: list[float]
    seg_width: list[float]
    impressions_per_kyuan: float
    seeding: bool
    mode: Mode | None = None
    targeting: str | None = None
    sale: str | None = None
    reasons: list[Reason] = field(default_factory=list)

    @property
    def is_content_service(self) -> bool:
        return self.tool is Tool.CONTENT_SERVICE

    @property
    def capacity(self) -> float:
        return sum(self.seg_width)


@dataclass
class FixedSpend:
    """A commitment spread over its days, with the GMV the model expects from it."""

    commitment: Commitment
    day_spend: dict[date, float]  # thousand yuan per day
    expected_gmv: float  # thousand yuan
    impressions: float
    seeding: bool


@dataclass(frozen=True)
class Signals:
    """What daily actuals taught us, as the response model consumes it.

    ``roi_multiplier`` scales a video-tool's ROI (observed / expected, shrunk
    towards 1 by the evidence behind it); ``declining`` videos get targeted
    Dou+; ``burst`` videos may buy Dou+ from publishing day; ``reasons`` are
    added to the purchases of that video and tool.
    """

    roi_multiplier: dict[tuple[str, Tool], float] = field(default_factory=dict)
    declining: frozenset[str] = frozenset()
    burst: frozenset[str] = frozenset()
    reasons: dict[tuple[str, Tool], list[Reason]] = field(default_factory=dict)


NO_SIGNALS = Signals()


@dataclass
class ResponseModel:
    """Every purchase the rules allow, plus the fixed commitments."""

    purchases: list[Purchase]
    fixed: list[FixedSpend]
    days: list[date]
    kol_fees: float  # thousand yuan, stage A spend that counts as seeding
    amplification_room: dict[str, float]  # video -> paid impressions still allowed
    notes: list[str]


@dataclass(frozen=True)
class _DayTerms:
    """What a tool costs and converts on one day, the same for every video."""

    efficiency: float
    conversion: float
    cpm: float
    daily_reach: float
    capacity_mult: float
    sale: BigSale | None


class Economics:
    """ROI, capacity and reach of a video's purchase on a day (``tool_economics``).

    The per-day terms depend only on the tool and the day, and a roster asks for
    them once per video: they are worked out once and remembered.
    """

    def __init__(self, campaign: Campaign) -> None:
        self.campaign = campaign
        self._terms: dict[tuple[Tool, date], _DayTerms] = {}
        response = campaign.response
        self._segments = tuple(zip(response.segment_widths, response.segment_roi, strict=True))
        self._best_factor = max(response.segment_roi)
        self._total_share = sum(response.segment_widths)
        self.floor = campaign.effective_roi_floor

    def terms(self, tool: Tool, day: date) -> _DayTerms:
        key = (tool, day)
        cached = self._terms.get(key)
        if cached is None:
            campaign = self.campaign
            cfg = campaign.tools[tool]
            sale = campaign.sale_on(day)
            price_mult = cfg.sale_price_multiplier if sale else 1.0
            if tool is Tool.CONTENT_SERVICE:
                # Booked a month ahead, content service keeps its normal price in the sale
                # [seed].
                price_mult = 1.0
            cpm = cfg.cpm * price_mult
            cached = self._terms[key] = _DayTerms(
                efficiency=cfg.efficiency,
                conversion=campaign.sale.conversion_multiplier if sale else 1.0,
                cpm=cpm,
                daily_reach=cfg.daily_reach_multiple,
                capacity_mult=cfg.sale_capacity_multiplier if sale else 1.0,
                sale=sale,
            )
        return cached

    def of(self, video: Video, scores: VideoScores, tool: Tool,
           day: date) -> tuple[float, float, float]:
        """(ROI, capacity in thousand yuan, impressions per thousand yuan) on one day."""
        t = self.terms(tool, day)
        impressions = (
            video.natural_plays
            * t.daily_reach
            * scores.weight_factor
            * freshness((day - video.publish_date).days, scores.half_life_days)
            * t.capacity_mult
        )
        capacity = impressions / 1000.0 * t.cpm / KYUAN
        return self.roi(scores, tool, day), capacity, KYUAN * 1000.0 / t.cpm

    def roi(self, scores: VideoScores, tool: Tool, day: date) -> float:
        """The ROI part of ``of``: cheap enough to skip cells below the floor early."""
        t = self.terms(tool, day)
        return scores.gpm * t.efficiency * t.conversion / t.cpm

    def too_small(self, capacity: float, min_order: float) -> bool:
        """True when even every segment of this capacity is under the minimum order."""
        return capacity * self._total_share * KYUAN < min_order

    def below_floor(self, roi: float) -> bool:
        """True when even the best segment of this ROI is under the floor."""
        return roi * self._best_factor < self.floor

    def segments(self, roi: float, capacity: float) -> tuple[list[float], list[float]]:
        """Cut a capacity into the configured segments, dropping those below the ROI floor."""
        rois: list[float] = []
        widths: list[float] = []
        for share, factor in self._segments:
            seg_roi = roi * factor
            if seg_roi < self.floor or capacity * share <= 1e-9:
                continue
            rois.append(seg_roi)
            widths.append(capacity * share)
        return rois, widths


def tool_economics(
    video: Video, scores: VideoScores, tool: Tool, day: date, campaign: Campaign
) -> tuple[float, float, float]:
    """(ROI, capacity in thousand yuan, impressions per thousand yuan) on one day."""
    return Economics(campaign).of(video, scores, tool, day)


def _content_service_windows(
    campaign: Campaign, first_day: date
) -> list[tuple[tuple[date, ...], BigSale | None]]:
    """Normal weekly windows on non-sale days, plus one window per big sale."""
    rules = campaign.rules
    days = [d for d in campaign.days() if d >= first_day]
    windows: list[tuple[tuple[date, ...], BigSale | None]] = []
    block: list[date] = []
    for day in days:
        if campaign.sale_on(day) is not None:
            if block:
                windows.append((tuple(block), None))
                block = []
            continue
        if block and (day - block[-1]).days > 1:
            windows.append((tuple(block), None))
            block = []
        block.append(day)
        if len(block) == rules.cs_order_days:
            windows.append((tuple(block), None))
            block = []
    if block:
        windows.append((tuple(block), None))
    for sale in campaign.big_sales:
        sale_days = tuple(d for d in campaign.days() if sale.covers(d))
        if sale_days:
            windows.append((sale_days, sale))
    return windows


def _fixed_spend(
    commitment: Commitment,
    assessments: dict[str, Assessment],
    economics: Economics,
) -> FixedSpend:
    campaign = economics.campaign
    assessment = assessments[commitment.video_id]
    days = [d for d in commitment.days() if campaign.start <= d <= campaign.end] or [
        commitment.start
    ]
    per_day = commitment.budget / KYUAN / len(days)
    gmv = 0.0
    realised = commitment.realised_gmv
    impressions = 0.0
    for day in days:
        roi, _, imp_per_k = economics.of(assessment.video, assessment.scores, commitment.tool,
                                         day)
        gmv += roi * per_day
        impressions += imp_per_k * per_day
    return FixedSpend(
        commitment=commitment,
        day_spend=dict.fromkeys(days, per_day),
        expected_gmv=gmv if realised is None else realised / KYUAN,
        impressions=impressions,
        seeding=commitment.tool in SEEDING_TOOLS,
    )


def check_commitments(campaign: Campaign, videos: dict[str, Video], source: str) -> None:
    problems = [
        Problem(
            f"commitment {i} is on video '{c.video_id}', which is not in the videos file.",
            file=source,
            column="commitments.video_id",
            fix="Use a video_id from the videos file or remove the commitment.",
        )
        for i, c in enumerate(campaign.commitments, start=1)
        if c.video_id not in videos
    ]
    if problems:
        raise InputError(problems)


def build_response_model(
    assessments: list[Assessment],
    campaign: Campaign,
    signals: Signals = NO_SIGNALS,
) -> ResponseModel:
    """Turn rule verdicts into purchases with segments; apply commitments."""
    by_id = {a.video.video_id: a for a in assessments}
    plan_date = campaign.effective_plan_date
    economics = Economics(campaign)
    fixed = [_fixed_spend(c, by_id, economics) for c in campaign.commitments]

    # Dou+ and content service never share a video and day: a booked one blocks the other.
    blocked_dou_plus: set[tuple[str, date]] = set()
    blocked_cs: set[tuple[str, date]] = set()
    for f in fixed:
        for day in f.day_spend:
            if f.commitment.tool is Tool.CONTENT_SERVICE:
                # One schedule at a time: more volume is a new order once this one ends.
                blocked_dou_plus.add((f.commitment.video_id, day))
                blocked_cs.add((f.commitment.video_id, day))
            elif f.commitment.tool is Tool.DOU_PLUS:
                blocked_cs.add((f.commitment.video_id, day))
    fixed_by_cell: dict[tuple[str, Tool, date], float] = {}
    for f in fixed:
        for day, spend in f.day_spend.items():
            key = (f.commitment.video_id, f.commitment.tool, day)
            fixed_by_cell[key] = fixed_by_cell.get(key, 0.0) + spend

    purchases: list[Purchase] = []
    days = [d for d in campaign.days() if d >= plan_date]
    for assessment in assessments:
        video = assessment.video
        for tool in sorted(assessment.eligible):
            multiplier = signals.roi_multiplier.get((video.video_id, tool), 1.0)
            learned = tool_reasons(assessment.reasons, tool) + signals.reasons.get(
                (video.video_id, tool), []
            )
            if tool is Tool.CONTENT_SERVICE:
                purchases.extend(
                    _content_service_purchases(
                        assessment, economics, blocked_cs, len(purchases), multiplier, learned
                    )
                )
                continue
            first_day = plan_date
            burst = assessment.burst or video.video_id in signals.burst
            if tool is Tool.DOU_PLUS and not burst and assessment.dou_plus_first_day is not None:
                first_day = max(first_day, assessment.dou_plus_first_day)
            # ROI changes only with the sale: judge the floor once per sale (None = normal).
            below: dict[str | None, bool] = {}
            for day in days:
                if day < first_day or (video.video_id, tool, day) in fixed_by_cell:
                    continue  # a booked order already runs this video, tool and day
                if tool is Tool.DOU_PLUS and (video.video_id, day) in blocked_dou_plus:
                    continue
                sale = economics.terms(tool, day).sale
                sale_name = sale.name if sale is not None else None
                if sale_name not in below:
                    below[sale_name] = economics.below_floor(
                        economics.roi(assessment.scores, tool, day) * multiplier)
                if below[sale_name]:
                    continue
                purchase = _daily_purchase(assessment, tool, day, economics, signals,
                                           multiplier, learned, burst, len(purchases))
                if purchase is not None:
                    purchases.append(purchase)
    kol_fees = sum((a.video.kol_fee or 0.0) for a in assessments) / KYUAN
    room: dict[str, float] = {}
    for a in assessments:
        used = sum(f.impressions for f in fixed if f.commitment.video_id == a.video.video_id)
        room[a.video.video_id] = max(
            0.0, campaign.rules.max_amplification * a.video.natural_plays - used
        )
    return ResponseModel(
        purchases=purchases,
        fixed=fixed,
        days=days,
        kol_fees=kol_fees,
        amplification_room=room,
        notes=[],
    )


def _daily_purchase(
    assessment: Assessment,
    tool: Tool,
    day: date,
    economics: Economics,
    signals: Signals,
    multiplier: float,
    learned: list[Reason],
    burst: bool,
    index: int,
) -> Purchase | None:
    """One video, daily tool and day; None when nothing above the floor fits an order."""
    video, scores, campaign = assessment.video, assessment.scores, economics.campaign
    cfg = campaign.tools[tool]
    roi, capacity, imp_per_k = economics.of(video, scores, tool, day)
    roi *= multiplier
    if economics.below_floor(roi):
        return None
    burst_day = (
        tool is Tool.DOU_PLUS
        and burst
        and (day - video.publish_date).days < campaign.rules.burst_window_days
    )
    if burst_day:
        capacity = max(capacity, campaign.rules.burst_day_target / KYUAN)
    if cfg.max_daily is not None:
        capacity = min(capacity, cfg.max_daily / KYUAN)
    if economics.too_small(capacity, cfg.min_order):
        return None
    seg_roi, seg_width = economics.segments(roi, capacity)
    if not seg_width or sum(seg_width) * KYUAN < cfg.min_order:
        return None
    why: list[Reason] = list(learned)
    mode: Mode | None = None
    targeting: str | None = None
    sale = economics.terms(tool, day).sale
    if tool is Tool.DOU_PLUS:
        if burst_day:
            why.append(
                reason(
                    "burst_first_2h",
                    f"burst day: up to {campaign.rules.burst_day_target:,.0f} "
                    "yuan of Dou+ while the first-hours ROI holds",
                )
            )
        mode, mode_reason = dou_plus_mode(
            video, scores, day, campaign, video.video_id in signals.declining
        )
        targeting = dou_plus_targeting(video, scores, mode, campaign)
        why.append(mode_reason)
        if sale is not None:
            why.append(
                reason(
                    "dou_plus_sale_no_capacity",
                    "big-sale day: OCPM bids at 2-3x leave Dou+ little traffic",
                )
            )
    elif tool is Tool.SUIXINTUI:
        targeting, _ = suixintui_targeting(scores)
    elif tool is Tool.KOL_BIDDING:
        targeting = kol_bidding_strategy(video, campaign)
    return Purchase(
        index=index,
        video_id=video.video_id,
        tool=tool,
        days=(day,),
        day_shares=(1.0,),
        booking_date=day,
        min_order=cfg.min_order / KYUAN,
        seg_roi=seg_roi,
        seg_width=seg_width,
        impressions_per_kyuan=imp_per_k,
        seeding=tool in SEEDING_TOOLS,
        mode=mode,
        targeting=targeting,
        sale=sale.name if sale else None,
        reasons=why,
    )


def _content_service_purchases(
    assessment: Assessment,
    economics: Economics,
    blocked: set[tuple[str, date]],
    start_index: int,
    multiplier: float = 1.0,
    learned: list[Reason] | None = None,
) -> list[Purchase]:
    """One candidate one-shot order per window: weekly on normal days, whole sale for lock-ins."""
    video, scores, campaign = assessment.video, assessment.scores, economics.campaign
    rules = campaign.rules
    plan_date = campaign.effective_plan_date
    first_day = plan_date + timedelta(days=rules.cs_booking_lead_days)
    weekly_cap = rules.cs_weekly_cap.get(scores.tier, 0.0) / KYUAN
    cfg = campaign.tools[Tool.CONTENT_SERVICE]
    out: list[Purchase] = []
    for window_days, sale in _content_service_windows(campaign, first_day):
        if sale is not None:
            if sale.name not in assessment.lock_ins:
                continue
            booking = assessment.lock_ins[sale.name]
            why = [
                reason(
                    "sale_lock_in",
                    f"lock-in for {sale.name}: booked {booking}, released during the sale",
                )
            ]
        else:
            # Book as late as the platform allows: a booked order is fixed for good, so
            # waiting keeps the next re-plans free to move that money.
            booking = max(plan_date, window_days[0] - timedelta(days=rules.cs_booking_lead_days))
            why = []
        if any((video.video_id, d) in blocked for d in window_days):
            continue
        per_day = [
            economics.of(video, scores, Tool.CONTENT_SERVICE, d) for d in window_days
        ]
        capacity = sum(c for _, c, _ in per_day)
        if capacity <= 0:
            continue
        roi = multiplier * sum(r * c for r, c, _ in per_day) / capacity
        imp = sum(i * c for _, c, i in per_day) / capacity
        capacity = min(capacity, weekly_cap * len(window_days) / 7.0)
        if cfg.max_daily is not None:
            capacity = min(capacity, cfg.max_daily / KYUAN * len(window_days))
        seg_roi, seg_width = economics.segments(roi, capacity)
        if sum(seg_width) * KYUAN < cfg.min_order:
            continue
        shares = tuple(c / sum(c2 for _, c2, _ in per_day) for _, c, _ in per_day)
        why.extend(learned or [])
        why.append(
            reason(
                "cs_one_shot",
                f"one-shot content service {window_days[0]}..{window_days[-1]}, "
                "booked whole; Dou+ pauses on this video meanwhile",
            )
        )
        out.append(
            Purchase(
                index=start_index + len(out),
                video_id=video.video_id,
                tool=Tool.CONTENT_SERVICE,
                days=window_days,
                day_shares=shares,
                booking_date=booking,
                min_order=cfg.min_order / KYUAN,
                seg_roi=seg_roi,
                seg_width=seg_width,
                impressions_per_kyuan=imp,
                seeding=True,
                sale=sale.name if sale else None,
                reasons=why,
            )
        )
    return out
