# Long on purpose: every rule threshold in one validated config (the campaign file's contract).
"""Every rule threshold and response assumption, validated, with the method's defaults.

Values marked [seed] come from the AIMT article; [practice] values are public
platform practice and are meant to be tuned per brand. Nothing in scoring,
rules or the optimiser hard-codes a number that is not here.
"""

# No `from __future__ import annotations` here: pydantic would then read every field's
# annotation back from a string while it builds the classes, at every start-up (about
# 4 ms of CPU in each command's; the classes and their validation are the same either way).

import itertools
import types
import typing
from datetime import date, timedelta
from typing import Any, Literal, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from planner.errors import ConfigError, validation_problems
from planner.i18n import line_text, t
from planner.models import RiskObjective
from planner.tools import CHAIN_TOOLS, LIVE_ROOM_TOOLS, Chain, Tool


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    @field_validator("*", mode="before")
    @classmethod
    def _no_yes_no_for_numbers(cls, value: Any, info: ValidationInfo) -> Any:
        """``budget = true`` is not 1 yuan: pydantic would read a bool as a number."""
        if isinstance(value, bool) and info.field_name is not None:
            field = cls.model_fields.get(info.field_name)
            if field is not None and _is_number(field.annotation):
                raise ValueError(t("error.config.bool_not_number", value=str(value).lower()))
        return value


def _is_number(annotation: Any) -> bool:
    """A float or int field (optional or not), not a bool one."""
    if annotation in (float, int):
        return True
    args = typing.get_args(annotation)
    return typing.get_origin(annotation) in (types.UnionType, typing.Union) and any(
        a in (float, int) for a in args
    )


class ToolConfig(_Strict):
    """Price, minimums, efficiency and capacity of one traffic tool."""

    enabled: bool = True
    cpm: float = Field(gt=0, description="Price of 1,000 impressions on a normal day, yuan.")
    min_order: float = Field(ge=0, description="Smallest order (or daily plan budget), yuan.")
    order_step: float = Field(1.0, gt=0, description="Order budgets are multiples of this, yuan.")
    efficiency: float = Field(
        1.0,
        gt=0,
        description="Sales per paid impression relative to a natural play (paid traffic "
        "reaches colder audiences than the KOL's followers) [practice].",
    )
    daily_reach_multiple: float = Field(
        gt=0,
        description="Paid impressions one day can buy, as a multiple of the video's natural plays "
        "(fresh video, account with full weight).",
    )
    sale_price_multiplier: float = Field(
        1.0, gt=0, description="CPM on big-sale days relative to normal days."
    )
    sale_capacity_multiplier: float = Field(
        1.0, ge=0, description="Capacity on big-sale days relative to normal days."
    )
    sale_conversion_multiplier: float | None = Field(
        None, gt=0, description="Payment conversion on big-sale peak days relative to normal "
        "days; empty: the campaign's [sale] conversion_multiplier."
    )
    max_budget: float | None = Field(None, ge=0, description="Cap on this tool's total, yuan.")
    max_daily: float | None = Field(
        None, ge=0, description="Cap on this tool's spend per video and day."
    )
    relaunch_premium: float = Field(
        0.0, ge=0, le=2, description="Extra CPM a new or relaunched daily plan pays in its "
        "learning phase (0.25: 25% dearer), priced in the plan so that lines run steadily "
        "instead of on and off [practice: 20-30%].")
    learning_days: int = Field(
        3, ge=1, le=14, description="Days a new or relaunched daily plan stays in its "
        "learning phase (about 20 conversions in 3 days) [practice].")


# New OCPM plans (Qianchuan, AD, UD) run 20-30% dearer CPM in their first 3 days, the
# learning phase of about 20 conversions [practice]; a relaunched Dou+ order re-learns its
# audience the same way. KOL bidding has a near-zero cold start [seed], Suixintui is a
# string of small orders and content service is one booked schedule: no premium.
RELAUNCH_PREMIUM = 0.25


def default_tools() -> dict[Tool, ToolConfig]:
    return {
        # Dou+: ~20 yuan / 1,000 plays [practice]; 100-yuan minimum [seed];
        # leftover traffic, near zero in big sales when OCPM bids 2-3x [seed].
        # "Can barely spend, and if it does spend, the effect is poor" [seed]: near-zero
        # capacity AND worse conversion than on normal days.
        Tool.DOU_PLUS: ToolConfig(
            cpm=20, min_order=100, efficiency=0.6, daily_reach_multiple=2.0,
            sale_price_multiplier=1.0, sale_capacity_multiplier=0.05,
            sale_conversion_multiplier=0.8, relaunch_premium=RELAUNCH_PREMIUM,
        ),
        # Content service: 50,000 minimum, one-shot schedule [seed]. Locked a month ahead
        # of a sale it keeps its booked price (sale_price_multiplier 1.0 is the price of
        # the locked sale schedule) and receives the sale's conversion [seed: lock-in].
        Tool.CONTENT_SERVICE: ToolConfig(
            cpm=25, min_order=50_000, efficiency=0.7, daily_reach_multiple=4.0,
        ),
        # KOL bidding on AD OCPM: 300/day minimum per plan [practice]; finest
        # targeting, higher ROI than pure feed ads [seed]. In big sales OCPM prices rise
        # 2-3x and conversion 2-3x, "overall ROI usually better" [seed]: price x2.0
        # against conversion x2.5 for every auction tool.
        # On the Tmall chain (AD OCPM) [bidding] lifts it to feed_premium x AD feed's ROI
        # per yuan and gives it its volume; these figures are KOL bidding on Qianchuan in
        # the closed loop, where Qianchuan's own plans are the scale tool [seed].
        Tool.KOL_BIDDING: ToolConfig(
            cpm=40, min_order=300, efficiency=0.8, daily_reach_multiple=6.0,
            sale_price_multiplier=2.0,
        ),
        # Suixintui: 100 minimum, multiples of 10 [practice]; Qianchuan's pool (better
        # quality than Dou+'s) with order-based deep conversion [seed]: it converts like
        # Qianchuan, in small test orders until a video wins ([closed_loop]).
        Tool.SUIXINTUI: ToolConfig(
            cpm=30, min_order=100, order_step=10, efficiency=1.0, daily_reach_multiple=1.5,
            sale_price_multiplier=2.0,
        ),
        Tool.QIANCHUAN: ToolConfig(
            cpm=40, min_order=300, efficiency=1.2, daily_reach_multiple=8.0,
            sale_price_multiplier=2.0, relaunch_premium=RELAUNCH_PREMIUM,
        ),
        # Harvesting (stage M) retargets the audience that seeding built (Yuntu A1-A3 ->
        # A4): it converts better than a natural play, but only as far as that audience
        # reaches ([harvest] bounds its volume by the pool seeding has built) [seed].
        Tool.AD_FEED: ToolConfig(
            cpm=50, min_order=300, efficiency=1.4, daily_reach_multiple=10.0,
            sale_price_multiplier=2.0, relaunch_premium=RELAUNCH_PREMIUM,
        ),
        Tool.UNI_DESK: ToolConfig(
            cpm=45, min_order=300, efficiency=1.3, daily_reach_multiple=8.0,
            sale_price_multiplier=2.0, relaunch_premium=RELAUNCH_PREMIUM,
        ),
        # Qianchuan live-room promotion (closed loop, ``live_room = true``): a Qianchuan
        # plan, so Qianchuan's 300/day minimum, auction price and learning phase
        # [practice]; it buys only what short videos leave it ([live_room] direct_cap) and
        # sells at the room's GMV per 1,000 impressions ([live_room] gpm). It promotes the
        # room, not a video: daily_reach_multiple is not read.
        Tool.QIANCHUAN_LIVE: ToolConfig(
            cpm=40, min_order=300, efficiency=1.0, daily_reach_multiple=1.0,
            sale_price_multiplier=2.0, relaunch_premium=RELAUNCH_PREMIUM,
        ),
    }


class TierConfig(_Strict):
    """KOL tiers by followers [practice: sources disagree, so configurable]."""

    koc_max: int = Field(100_000, gt=0, description="Below this many followers: KOC.")
    tail_max: int = Field(500_000, gt=0, description="Below this: tail KOL.")
    mid_max: int = Field(3_000_000, gt=0, description="Below this: mid-tier KOL.")
    head_max: int = Field(10_000_000, gt=0, description="Below this: head; from it: super-head.")
    freshness_half_life_days: dict[str, float] = Field(
        default_factory=lambda: {
            "koc": 4.0, "tail": 7.0, "mid": 12.0, "head": 18.0, "super_head": 25.0,
        },
        description="Days after which a video's paid reach halves; KOC decay faster [seed].",
    )
    prior_traffic_roi: dict[str, float] = Field(
        default_factory=lambda: {
            "koc": 0.8, "tail": 1.0, "mid": 1.2, "head": 1.5, "super_head": 1.8,
        },
        description="Traffic ROI expected of a scheduled post whose KOL has no history in "
        "the roster (no 3-month ROI, no other video) [practice].",
    )
    prior_comment_like_rate: float = Field(
        0.03, ge=0, description="Comment-like rate expected of a scheduled post without "
        "history [practice]."
    )

    @field_validator("prior_traffic_roi")
    @classmethod
    def _priors_positive(cls, value: dict[str, float]) -> dict[str, float]:
        bad = {k: v for k, v in value.items() if v < 0}
        if bad:
            raise ValueError(t("error.config.prior_roi_negative", bad=bad))
        return value

    @field_validator("freshness_half_life_days")
    @classmethod
    def _positive_half_lives(cls, value: dict[str, float]) -> dict[str, float]:
        bad = {k: v for k, v in value.items() if v <= 0}
        if bad:
            raise ValueError(t("error.config.half_life", bad=bad))
        return value

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if not self.koc_max < self.tail_max < self.mid_max < self.head_max:
            raise ValueError(t("error.config.tiers_rise"))
        return self


class RuleConfig(_Strict):
    """The AIMT stage rules."""

    large_kol_followers: int = Field(500_000, gt=0, description="Smart Dou+ needs more [seed].")
    weight_median_plays: int = Field(
        50_000, gt=0, description="Median plays from which an account 'has weight' [practice]."
    )
    smart_max_age_days: int = Field(15, ge=0, description="Smart Dou+ only this young [seed].")
    standard_start_day: int = Field(
        3, ge=0, description="Standard Dou+ starts this many days after publishing [seed]."
    )
    burst_window_days: int = Field(
        2, ge=1, description="Days after publishing that a burst may be bought."
    )
    burst_min_roi_multiple: float = Field(
        1.5, gt=0, description="First-2h traffic ROI must reach floor x this for burst mode."
    )
    burst_day_target: float = Field(
        100_000, gt=0, description="Dou+ a burst day aims at for one video, yuan [seed]."
    )
    cs_tiers: tuple[str, ...] = Field(
        ("super_head", "head"),
        description="Tiers that may book content service directly; smaller KOLs get a "
        "Dou+ pressure test first [seed].",
    )
    cs_weekly_cap: dict[str, float] = Field(
        default_factory=lambda: {
            "super_head": 1_000_000.0, "head": 400_000.0, "mid": 150_000.0,
        },
        description="Content service per week by tier, yuan [seed: ~1M super-head, "
        "several 100k head; below head lower, after a Dou+ pressure test].",
    )
    recent_roi_days: int = Field(
        90, ge=1, description="A video's own traffic ROI counts as recent performance for a "
        "lock-in while it is at most this many days old [seed: last 3 months]."
    )
    cs_min_comment_like_rate: float = Field(
        0.02, ge=0, description="Comments per like a video needs for content service [practice]."
    )
    cs_order_days: int = Field(7, ge=1, description="Days one normal content-service order runs.")
    cs_booking_lead_days: int = Field(
        1, ge=0, description="Days between booking content service and its first day."
    )
    lock_in_days: int = Field(
        30, ge=0, description="Content service for a big sale is booked this long ahead [seed]."
    )
    max_amplification: float = Field(
        100.0, gt=0, description="Paid impressions over a campaign at most this x natural plays "
        "[seed: 10-100x].",
    )
    roi_decline_ratio: float = Field(
        0.7, gt=0, lt=1, description="Observed ROI below prior x this counts as a clear decline."
    )

    @field_validator("cs_weekly_cap")
    @classmethod
    def _caps_not_negative(cls, value: dict[str, float]) -> dict[str, float]:
        bad = {k: v for k, v in value.items() if v < 0}
        if bad:
            raise ValueError(t("error.config.weekly_caps", bad=bad))
        return value


class ResponseConfig(_Strict):
    """Diminishing returns: each day's capacity is cut into segments of falling ROI."""

    segment_widths: tuple[float, ...] = Field(
        (0.3, 0.3, 0.4), description="Share of a day's capacity in each segment (sum 1)."
    )
    segment_roi: tuple[float, ...] = Field(
        (1.0, 0.8, 0.55), description="ROI of each segment relative to the first."
    )
    min_weight_factor: float = Field(
        0.2, gt=0, le=1, description="Capacity share kept by an account with almost no weight."
    )

    @model_validator(mode="after")
    def _segments(self) -> Self:
        if len(self.segment_widths) != len(self.segment_roi) or not self.segment_widths:
            raise ValueError(t("error.config.segments_length"))
        if abs(sum(self.segment_widths) - 1.0) > 1e-6:
            raise ValueError(t("error.config.segments_sum"))
        if any(b > a for a, b in zip(self.segment_roi, self.segment_roi[1:], strict=False)):
            raise ValueError(t("error.config.segments_rise"))
        return self


SalePhaseKind = Literal["preheat", "presale", "peak", "return"]


def _default_intensity() -> dict[SalePhaseKind, float]:
    return {"preheat": 0.2, "presale": 0.6, "peak": 1.0, "return": 0.5}


def _default_conversion() -> dict[SalePhaseKind, float]:
    return {"preheat": 0.1, "presale": 0.5, "peak": 1.0, "return": 0.4}


class SaleConfig(_Strict):
    """Big-sale effects [seed]: conversion 2-3x, OCPM prices 2-3x, Dou+ near zero.

    The tools' sale multipliers and ``conversion_multiplier`` are the effects at
    the peak; a phase with intensity i gets ``1 + i x (multiplier - 1)`` of each.
    Price and capacity follow ``phase_intensity``, payment conversion follows
    ``phase_conversion`` [practice], so each phase converts as the method says:

    - pre-heat (蓄水/预热): seeding and audience building; prices start to rise
      (0.2 of the peak's) while shoppers mostly browse and add to cart (0.1 of
      the peak's conversion): harvesting there is a little worse than on a normal day;
    - pre-sale (预售): deposits; brands already bid hard for them (0.6 of the peak's
      price) while a deposit is half a purchase (0.5 of the peak's conversion);
    - peak (爆发/正式开卖): the highest conversion, 2-3x normal [seed], and the
      best ROI per yuan of the sale for every auction tool;
    - return (返场): prices ease (0.5) and conversion with them (0.4).

    A phase's own ``intensity`` sets both shares; its ``conversion_multiplier`` and
    its per-tool effects (``[big_sales.phases.tools.<tool>]``) override them.
    """

    conversion_multiplier: float = Field(
        2.5, gt=0, description="Payment conversion at the sale's peak [seed: 2-3x]."
    )
    peak_days: int = Field(
        3, ge=1, description="A sale given only start and end: its last this many days are "
        "the peak (爆发), the days before it the pre-sale (预售) [practice]."
    )
    phase_intensity: dict[SalePhaseKind, float] = Field(
        default_factory=lambda: _default_intensity(),
        description="Share of the peak's price and capacity effects each phase gets "
        "[practice].",
    )
    phase_conversion: dict[SalePhaseKind, float] = Field(
        default_factory=lambda: _default_conversion(),
        description="Share of the peak's conversion effect each phase gets: the peak "
        "converts best, a pre-sale's deposits about half as much [practice].",
    )

    @field_validator("phase_intensity", "phase_conversion")
    @classmethod
    def _intensity_range(cls, value: dict[str, float]) -> dict[str, float]:
        bad = {k: v for k, v in value.items() if not 0 <= v <= 1}
        if bad:
            raise ValueError(t("error.config.intensity", bad=bad))
        return value


class HarvestConfig(_Strict):
    """Seeding builds what harvesting converts [seed]: the audience pool (Yuntu A1-A3).

    Harvest tools (AD feed, UD; Qianchuan in the closed loop) retarget the
    audience the campaign's seeding has built so far: each period's harvest
    impressions are at most ``daily_pool_reach`` x days x the pool at the
    period's start, and never more than that share of ``audience_ceiling``
    (saturation). The pool counts the brand's existing audience,
    ``natural_play_share`` of the roster's natural plays published by then, and
    every seeding impression bought before the period.

    Why a natural play counts for less than a paid seeding impression: the pool
    is people moved into A1-A3, and a video's natural plays are its KOL's own
    follower circle (the look-alike expansion runs around it [seed]) watching,
    rewatching and overlapping with the roster's other KOLs' circles; content
    amplification is what carries a good video 10-100x beyond that circle to new
    people [seed]. So a roster whose seeding is left unbought (Dou+, content
    service and KOL bidding off) harvests little: "a brand that only harvests
    fails" [seed].
    """

    daily_pool_reach: float = Field(
        0.05, gt=0, le=1, description="Share of the audience pool harvesting can reach a day."
    )
    existing_audience: float = Field(
        300_000, ge=0, description="The brand's A1-A3 audience before the campaign, people "
        "(Yuntu 5A); small by default, so harvesting without seeding is poor [practice]."
    )
    natural_play_share: float = Field(
        0.1, ge=0, le=1, description="People one natural play adds to the audience pool: "
        "plays are the KOL's follower circle watching, rewatching and overlapping; paid "
        "seeding carries a video beyond it [practice]."
    )
    audience_ceiling: float = Field(
        50_000_000, gt=0, description="Most people the pool can hold (saturation) [practice]."
    )
    period_days: int = Field(
        7, ge=1, description="Harvest volume is bounded per period of this many days."
    )


class BiddingConfig(_Strict):
    """KOL bidding (达人竞价, OCPM on the KOL's own video) against pure feed ads [seed].

    The method: KOL bidding has higher ROI than pure feed ads, near-zero cold
    start and strong volume (millions of yuan over 5-7 days, practically no upper
    limit, unlike Dou+'s leftover traffic or content service's schedules). So on an
    authorised, ad-reviewed video its expected ROI per yuan is never below
    ``feed_premium`` x AD feed's on the same video and day (sale phase included),
    whatever the tools' own figures say (``[tools.kol_bidding] efficiency`` is raised
    to it); and a video with full account weight can
    take ``volume`` yuan over ``volume_days`` from its first day (no ramp: near-zero
    cold start), scaled by account weight, within its reach limit.
    """

    feed_premium: float = Field(
        1.15, ge=1, description="KOL bidding's expected ROI per yuan is at least this x AD "
        "feed's on the same video and day [seed: higher ROI than pure feed ads]."
    )
    volume: float = Field(
        2_000_000, ge=0, description="Yuan KOL bidding can take on one video (full account "
        "weight) over volume_days [seed: millions of yuan over 5-7 days]."
    )
    volume_days: int = Field(
        6, ge=1, description="Days that volume is spread over [seed: 5-7 days]; from the "
        "first day, near-zero cold start [seed]."
    )

    @property
    def daily_volume(self) -> float:
        """Yuan a day KOL bidding can take on a video with full weight."""
        return self.volume / self.volume_days


class ClosedLoopConfig(_Strict):
    """The closed-loop mix [seed]: Suixintui for many small test orders, scaling the
    winners; Qianchuan for scale.

    Suixintui runs on Qianchuan's pool (better quality, smaller than Dou+'s) with
    many small test orders; orders with good ROI get more budget and are copied.
    Until a video's Suixintui has sold (re-planning's actuals), each day's
    Suixintui on it is a test of at most ``suixintui_test_daily`` yuan; a video
    whose Suixintui actuals sold at least ``suixintui_winner_ratio`` x what was
    expected is a winner and may take Suixintui's full volume.
    """

    suixintui_test_daily: float = Field(
        1_000, ge=0, description="Most Suixintui a day on a video not yet proven: small "
        "test orders [seed: many small orders, test budgets]."
    )
    suixintui_winner_ratio: float = Field(
        1.0, gt=0, description="Suixintui actuals that sold at least this x the expected ROI "
        "make a winner: its orders scale [seed: more budget to orders with good ROI]."
    )


class LiveRoomConfig(_Strict):
    """The brand live room (直播间), the closed loop's trade stage [seed].

    The method: short videos bring 80%+ of a live room's traffic; direct live-room
    buying (Qianchuan live-room promotion) is capped at about 10% of the short-video
    pool; a live room without short-video traffic stalls at about 100,000 yuan of GMV
    a day. So with ``live_room = true``:

    - each day's direct buying (tool ``qianchuan_live``) is at most ``direct_cap`` x
      the short-video spend bought that day (booked orders counted): no short videos,
      no direct buying (the optimiser's ``live_room_direct`` rows);
    - direct buying sells ``gpm`` yuan per 1,000 impressions, at the tool's price
      and the day's sale phase (ROI = gpm x efficiency x conversion / CPM);
    - the room's GMV a day is its own traffic's (followers, the live plaza), at most
      ``ceiling``, plus what the short videos' traffic and direct buying sell in it:
      without short-video spend it stays at ``ceiling`` (the stall);
    - ``short_video_share`` is the least share of the room's bought traffic short
      videos bring, so ``direct_cap`` may not exceed (1 - share) / share.
    """

    short_video_share: float = Field(
        0.8, gt=0, le=1, description="Least share of the live room's bought traffic that short "
        "videos bring [seed: 80%+]; direct_cap may not exceed (1 - share) / share."
    )
    direct_cap: float = Field(
        0.10, ge=0, le=1, description="Most direct live-room buying (qianchuan_live) a day, as "
        "a share of the short-video spend bought that day [seed: about 10% of the "
        "short-video pool]."
    )
    ceiling: float = Field(
        100_000, ge=0, description="Live-room GMV a day without short-video traffic, yuan: "
        "where a room stalls on its own traffic [seed: about 100k/day]."
    )
    gpm: float = Field(
        120.0, gt=0, description="GMV per 1,000 impressions of direct live-room buying, yuan "
        "(ROI = gpm x efficiency x conversion / CPM) [practice]."
    )

    @model_validator(mode="after")
    def _short_videos_lead(self) -> Self:
        most = (1.0 - self.short_video_share) / self.short_video_share
        if self.direct_cap > most + 1e-9:
            raise ValueError(t("error.config.live_room_cap", cap=self.direct_cap,
                               share=self.short_video_share, most=round(most, 4)))
        return self


class BalanceConfig(_Strict):
    """The balance effect: seeding (A+I) share of KOL fees plus paid traffic."""

    min_seeding_share: float = Field(
        0.5, ge=0, le=1, description="Least share of KOL fees + Influence tools in all spend."
    )
    max_seeding_share: float = Field(
        1.0, ge=0, le=1, description="Most seeding share (lower it to force harvesting)."
    )

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.min_seeding_share > self.max_seeding_share:
            raise ValueError(t("error.config.seeding_share"))
        return self


class LearningConfig(_Strict):
    """How daily actuals update the plan (re-planning)."""

    prior_spend: float = Field(
        20_000, gt=0, description="Spend, yuan, at which observed ROI weighs as much as the "
        "traffic-ROI prior (100 yuan moves the estimate 0.5% at most; 20,000 halfway)."
    )
    day_evidence_cap: float = Field(
        10_000, gt=0, description="However much one day spends on a video, it weighs at "
        "most like this many yuan: one day's ROI is noisy, so a bad day narrows an estimate "
        "but never erases it; three bad days do."
    )
    recency_half_life_days: float = Field(
        3.0, gt=0, description="Recency weighting: a day's actuals weigh half as much as "
        "those this many days later (yesterday weighs 1); the prior counts as evidence from "
        "the first day of actuals, so it fades with it."
    )
    decline_days: int = Field(
        2, ge=1, description="Days of falling Dou+ ROI that count as a clear decline."
    )
    decline_min_daily_spend: float = Field(
        100, ge=0, description="Days with less Dou+ spend than this are too thin to judge."
    )
    burst_min_roi_multiple: float = Field(
        1.5, gt=0, description="Observed day-one ROI at floor x this marks a burst (large KOL)."
    )
    topup_roi_multiple: float = Field(
        1.5, gt=0, description="Learned Dou+ ROI at floor x this earns a 2h/6h top-up."
    )
    topup_share: float = Field(
        0.25, gt=0, lt=1, description="A top-up adds this share of the day's Dou+ on top of it."
    )
    winner_ratio: float = Field(
        2.0, gt=1, description="A video whose actuals sold at least this many times what the "
        "model expected (over winner_days days or more) is a winner: the re-plan scales it "
        "and each of its orders names the limit that stops it scaling further."
    )
    winner_days: int = Field(
        3, ge=1, description="Days of actuals a winner needs (one lucky day is no winner)."
    )


class RiskConfig(_Strict):
    """How sure the plan is of its ROI estimates, and how much safety the buyer buys.

    Every video's traffic ROI is log-normal around its point estimate (the mean),
    with a spread that follows its evidence: a live video's own natural sales
    (``natural_transfer_sigma`` plus one over the orders behind them), the KOL's
    history (``kol_history_sigma``), a tier prior (``tier_prior_sigma``), and
    actuals learned in re-plans (narrowing with the orders observed). Scenarios
    share shocks where reality does: one per campaign, one per KOL (``kol_share``
    of a video's variance), one per video. ``objective`` chooses what the plan
    maximises: ``expected`` GMV, the mean GMV of the worst ``level`` share of
    scenarios (``cautious``, conditional value at risk) or their blend
    (``balanced``: ``balanced_weight`` x that tail mean + the rest x expected GMV).
    """

    objective: RiskObjective = Field(
        "balanced", description="What the plan maximises: expected GMV, the worst-`level` "
        "scenarios' mean GMV (cautious), or a blend of both (balanced).")
    level: float = Field(
        0.1, gt=0, lt=1, description="Share of worst scenarios the cautious part averages "
        "(0.1: the worst 10%, which is also where the plan's P10 sits).")
    balanced_weight: float = Field(
        0.5, gt=0, lt=1, description="Weight of the worst-scenario mean in `balanced`; "
        "the rest weighs expected GMV.")
    scenarios: int = Field(
        100, ge=10, le=2000, description="Scenarios the risk rows steer by (each is a row "
        "over every video); the first of the report's draws.")
    report_scenarios: int = Field(
        500, ge=50, le=20000, description="Scenarios drawn (fixed seed) for the plan's "
        "GMV range, fan chart and tail.")
    seed: int = Field(618, ge=0, description="Seed of the scenario draw: plans are "
                      "reproducible.")
    campaign_sigma: float = Field(
        0.15, ge=0, le=2, description="Log-spread of the shock every video shares (the "
        "sale lands better or worse for everyone).")
    kol_share: float = Field(
        0.5, ge=0, le=1, description="Share of a video's own log-variance its KOL's other "
        "videos share (a KOL's videos rise and fall together).")
    natural_transfer_sigma: float = Field(
        0.25, ge=0, le=2, description="Log-spread left on a live video's own ROI however "
        "many orders stand behind it: paid traffic never converts exactly like natural "
        "plays.")
    order_value: float = Field(
        150.0, gt=0, description="Yuan per order, to count the orders behind a GMV figure "
        "(one over the orders is the variance they leave).")
    kol_history_sigma: float = Field(
        0.6, ge=0, le=3, description="Log-spread of a scheduled post judged by its KOL's "
        "3-month ROI or other videos: a new video can flop.")
    tier_prior_sigma: float = Field(
        0.9, ge=0, le=3, description="Log-spread of a scheduled post judged by its tier's "
        "prior alone (the widest).")
    max_video_share: float = Field(
        0.3, gt=0, le=1, description="Most of the budget new orders may put on one video.")
    max_kol_share: float = Field(
        0.4, gt=0, le=1, description="Most of the budget new orders may put on one KOL's "
        "videos.")
    test_share: float = Field(
        0.03, ge=0, le=0.5, description="Share of the budget left after commitments that "
        "buys pressure tests (small Dou+ orders on the Tmall chain, small Suixintui orders "
        "on the closed loop) on the videos whose value of information is highest: most "
        "uncertain and able to matter most (3%: test, then scale). 0: no tests.")
    test_order: float = Field(
        300, gt=0, description="Yuan a pressure test spends a day (Dou+ tests are 100-500 "
        "yuan orders [practice]); never below the tool's minimum order.")
    test_days: int = Field(
        2, ge=1, le=7, description="Days a pressure test runs (its first days on the video).")
    max_tests: int = Field(
        20, ge=0, description="Most videos a plan tests at once (a buyer watches each "
        "test; every tested line is one more launch the plan prices).")
    implausible_roi_multiple: float = Field(
        6.0, gt=1, description="A natural traffic ROI above this multiple of its tier's "
        "prior, or below the prior divided by it, is flagged as implausible input (a "
        "plays or GMV column off by a factor, a GMV in the wrong unit).")
    first_2h_roi_multiple: float = Field(
        3.0, gt=1, description="A first-2h ROI above this multiple of the video's natural "
        "ROI is flagged, and a burst day is valued at no more than this multiple of it "
        "(two hours of sales are a thin sample).")


class SolverConfig(_Strict):
    backend: Literal["highs", "cbc"] = Field(
        "highs", description="First backend tried; the other is the fallback."
    )
    time_limit_s: float = Field(
        60.0, gt=0, description="One wall-clock deadline over a plan's whole solve; the best "
        "plan found by then is returned and flagged.")
    relative_gap: float = Field(
        5e-3, ge=0, lt=1, description="A plan proven within this share of the best possible "
        "is reported optimal (0.5%: the traffic ROI behind the plan is uncertain by a third "
        "or more, and a tighter proof cost the sample's hardest budgets 20-90 s); the search "
        "stops at the first answer proven within 90% of it."
    )


class PhaseToolEffects(_Strict):
    """One tool's effects in one sale phase, relative to a normal day (empty: from the
    phase's intensity and the tool's sale multipliers)."""

    conversion_multiplier: float | None = Field(
        None, gt=0, description="Payment conversion of this tool in this phase.")
    price_multiplier: float | None = Field(
        None, gt=0, description="CPM of this tool in this phase (content service locked a "
        "month ahead keeps its booked price: 1).")
    capacity_multiplier: float | None = Field(
        None, ge=0, description="Volume this tool can take in this phase.")


class PhaseBudget(_Strict):
    """The buyer's split of the budget over a stretch of days (a sale's phase, or the days
    before the sale): buyers plan 618 budgets by phase (蓄水/预热, 预售, 爆发, 返场).

    Shares are of the campaign's budget; daily amounts hold on each planned day of the
    stretch. Booked orders on those days count towards them.
    """

    min_share: float | None = Field(
        None, ge=0, le=1, description="Least share of the budget spent on these days.")
    max_share: float | None = Field(
        None, ge=0, le=1, description="Most share of the budget spent on these days.")
    min_daily: float | None = Field(
        None, ge=0, description="Least spend on each of these days, yuan.")
    max_daily: float | None = Field(
        None, ge=0, description="Most spend on each of these days, yuan.")

    @model_validator(mode="after")
    def _ordered_budget(self) -> Self:
        for low, high in (("min_share", "max_share"), ("min_daily", "max_daily")):
            a, b = getattr(self, low), getattr(self, high)
            if a is not None and b is not None and a > b:
                raise ValueError(t("error.config.phase_budget_order", low=low, high=high,
                                   low_value=f"{a:g}", high_value=f"{b:g}"))
        return self

    @property
    def shapes_budget(self) -> bool:
        return any(v is not None for v in (self.min_share, self.max_share, self.min_daily,
                                           self.max_daily))


class SalePhase(PhaseBudget):
    """One phase of a big sale: pre-heat, pre-sale, peak or return, with its own effects
    and, if the buyer says so, its share of the budget (``PhaseBudget``)."""

    kind: SalePhaseKind
    start: date
    end: date
    intensity: float | None = Field(
        None, ge=0, le=1, description="Share of the peak's effects; empty: [sale] "
        "phase_intensity (price, capacity) and phase_conversion of this kind."
    )
    conversion_multiplier: float | None = Field(
        None, gt=0, description="Payment conversion in this phase; empty: from the intensity."
    )
    tools: dict[Tool, PhaseToolEffects] = Field(
        default_factory=dict, description="Per tool, its conversion, price and capacity in "
        "this phase ([big_sales.phases.tools.<tool>])."
    )


class BigSale(_Strict):
    name: str
    start: date
    end: date
    phases: tuple[SalePhase, ...] = ()
    before: PhaseBudget | None = Field(
        None, description="The buyer's budget for the campaign's days before this sale "
        "([big_sales.before] min_share, max_share, min_daily, max_daily).")

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.end < self.start:
            raise ValueError(t("error.config.sale_end", sale=self.name, end=self.end,
                               start=self.start))
        seen: set[date] = set()
        for phase in self.phases:
            if phase.end < phase.start:
                raise ValueError(t("error.config.phase_end", sale=self.name, phase=phase.kind))
            if phase.start < self.start or phase.end > self.end:
                raise ValueError(t(
                    "error.config.phase_outside", sale=self.name, phase=phase.kind,
                    phase_start=phase.start, phase_end=phase.end, start=self.start,
                    end=self.end))
            days = set(_date_range(phase.start, phase.end))
            if days & seen:
                raise ValueError(t("error.config.phases_overlap", sale=self.name,
                                   phase=phase.kind))
            seen |= days
        least = sum(b.min_share or 0.0 for _, b, _, _ in self.budgets())
        if least > 1 + 1e-9:
            raise ValueError(t("error.config.phase_shares_sum", sale=self.name,
                               share=f"{least:.0%}"))
        return self

    def budgets(self) -> list[tuple[str, PhaseBudget, date | None, date]]:
        """The buyer's budgets: (``before`` or the phase's kind, its figures, first day,
        last day); the days before the sale start with the campaign (None)."""
        found: list[tuple[str, PhaseBudget, date | None, date]] = []
        if self.before is not None and self.before.shapes_budget:
            found.append(("before", self.before, None, self.start - timedelta(days=1)))
        found.extend((phase.kind, phase, phase.start, phase.end) for phase in self.phases
                     if phase.shapes_budget)
        return found

    def phase_on(self, day: date, sale: SaleConfig) -> SalePhase:
        """The phase covering ``day``: a listed one, else pre-sale then a peak of the last days."""
        for phase in self.phases:
            if phase.start <= day <= phase.end:
                return phase
        peak_start = max(self.start, self.end - timedelta(days=sale.peak_days - 1))
        if self.phases or day < peak_start:
            return SalePhase(kind="presale", start=self.start, end=self.end)
        return SalePhase(kind="peak", start=peak_start, end=self.end)

    def covers(self, day: date) -> bool:
        return self.start <= day <= self.end


class Commitment(_Strict):
    """An order already booked or spent: fixed, never changed by the optimiser."""

    video_id: str
    tool: Tool
    start: date
    end: date
    budget: float = Field(gt=0)
    booking_date: date | None = None
    realised_gmv: float | None = Field(
        None, ge=0, description="GMV already realised (re-planning fills it from actuals)."
    )

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.end < self.start:
            raise ValueError(t("error.config.commitment_end", video=self.video_id,
                               tool=self.tool))
        return self

    def days(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range((self.end - self.start).days + 1)]


GmvFamily = Literal["direct", "overall", "net"]
# 整体 (overall) by default: it is the GMV the 全域推广 back end reports first, and like the
# natural GMV behind a video's traffic ROI it counts every sale the video led to; refunds
# are not taken off twice when the floor already counts return_rate.
DEFAULT_GMV_FAMILY: GmvFamily = "overall"


class AdGroup(_Strict):
    """What one ad group (or 千川 plan) of an exported report bought: a tool on a video."""

    tool: Tool
    video_id: str = Field(min_length=1)


class Campaign(_Strict):
    """One campaign: dates, budget, chain, floor, sales, commitments and overrides."""

    name: str = Field(min_length=1)
    chain: Chain
    start: date
    end: date
    plan_date: date | None = Field(
        None, description="Day the plan is made; default start. No new spend before it."
    )
    budget: float = Field(gt=0, description="Paid-traffic budget, yuan.")
    daily_cap: float | None = Field(None, gt=0, description="Most spend on one day, yuan.")
    roi_floor: float | None = Field(
        None, gt=0, description="Least ROI worth buying (typically 0.8 or 1.2) [seed]; default "
        "1.0 or the break-even floor."
    )
    gross_margin: float | None = Field(
        None, gt=0, le=1, description="With return_rate: floor = 1 / (margin x (1 - returns))."
    )
    return_rate: float | None = Field(None, ge=0, lt=1, description="Share of sales returned.")
    reference_cpm: float = Field(
        40.0, gt=0, description="CPM used to score a video's traffic ROI (GPM / CPM)."
    )
    default_landing_url: str | None = Field(
        None, description="Landing page for videos without their own landing_url."
    )
    big_sales: tuple[BigSale, ...] = ()
    commitments: tuple[Commitment, ...] = ()
    gmv_family: GmvFamily = Field(
        DEFAULT_GMV_FAMILY, description="Which GMV of a 千川 report counts: direct (直接成交), "
        "overall (整体成交, default) or net (净成交, after refunds)."
    )
    ad_groups: dict[str, AdGroup] = Field(
        default_factory=dict, description="Ad group id or name (巨量广告 广告组, 千川 计划) -> "
        "{tool, video_id}: how a report's rows become actuals."
    )
    tools: dict[Tool, ToolConfig] = Field(default_factory=default_tools)
    tiers: TierConfig = TierConfig()
    rules: RuleConfig = RuleConfig()
    response: ResponseConfig = ResponseConfig()
    sale: SaleConfig = SaleConfig()
    balance: BalanceConfig = BalanceConfig()
    harvest: HarvestConfig = HarvestConfig()
    bidding: BiddingConfig = BiddingConfig()
    closed_loop: ClosedLoopConfig = ClosedLoopConfig()
    live_room: bool = Field(
        False, description="Closed loop only: sales land in the brand live room, fed by the "
        "short videos, with direct live-room buying ([live_room_traffic])."
    )
    # A section of its own: TOML cannot hold both ``live_room = true`` and ``[live_room]``.
    live_room_traffic: LiveRoomConfig = LiveRoomConfig()
    learning: LearningConfig = LearningConfig()
    solver: SolverConfig = SolverConfig()
    risk: RiskConfig = RiskConfig()

    @field_validator("default_landing_url")
    @classmethod
    def _usable_address(cls, value: str | None) -> str | None:
        from planner.parsing import usable_url

        return usable_url(value)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.end < self.start:
            raise ValueError(t("error.config.end_before_start", end=self.end, start=self.start))
        if self.plan_date is not None and self.plan_date > self.end:
            raise ValueError(t("error.config.plan_date_after", plan_date=self.plan_date,
                               end=self.end))
        if self.roi_floor is None and (self.gross_margin is None) != (self.return_rate is None):
            raise ValueError(t("error.config.margin_pair"))
        for sale in self.big_sales:
            if sale.end < self.start or sale.start > self.end:
                raise ValueError(t("error.config.sale_outside", sale=sale.name,
                                   sale_start=sale.start, sale_end=sale.end,
                                   start=self.start, end=self.end))
        ordered = sorted(self.big_sales, key=lambda s: (s.start, s.end))
        for first, second in itertools.pairwise(ordered):
            if second.start <= first.end:  # a day in two sales has no one phase or effect
                raise ValueError(t("error.config.sales_overlap", first=first.name,
                                   first_start=first.start, first_end=first.end,
                                   second=second.name, second_start=second.start,
                                   second_end=second.end))
        if self.live_room and self.chain is not Chain.CLOSED_LOOP:
            # The brand live room is the closed loop's trade stage [seed]; the Tmall chain
            # sells in the flagship store.
            raise ValueError(t("error.config.live_room_chain", chain=self.chain.value))
        # A booked order is on a roster video: the live room's direct buying is planned.
        allowed = set(self.chain_tools(every=True)) - LIVE_ROOM_TOOLS
        for c in self.commitments:
            if c.tool not in allowed:
                raise ValueError(t("error.config.commitment_tool", video=c.video_id,
                                   tool=c.tool, chain=self.chain,
                                   tools=t("list.sep").join(sorted(allowed))))
        return self

    @property
    def effective_plan_date(self) -> date:
        return self.plan_date or self.start

    @property
    def effective_roi_floor(self) -> float:
        if self.roi_floor is not None:
            return self.roi_floor
        if self.gross_margin is not None and self.return_rate is not None:
            return break_even_roi(self.gross_margin, self.return_rate)
        return 1.0

    @property
    def roi_floor_line(self) -> tuple[str, dict[str, float]]:
        """Where the ROI floor comes from, as a code and figures (``planner.i18n.line_text``)."""
        if self.roi_floor is not None:
            return "roi_floor_set", {"floor": self.roi_floor}
        if self.gross_margin is not None and self.return_rate is not None:
            return "roi_floor_break_even", {"roi": round(self.effective_roi_floor, 2),
                                            "margin": self.gross_margin,
                                            "returns": self.return_rate}
        return "roi_floor_default", {}

    @property
    def roi_floor_source(self) -> str:
        """Where the ROI floor comes from, in the current language."""
        return line_text(self.roi_floor_line)

    def days(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range((self.end - self.start).days + 1)]

    def chain_tools(self, *, every: bool = False) -> tuple[Tool, ...]:
        """The chain's tools the campaign uses (``every``: switched off or not); the live
        room's direct buying only with ``live_room = true``."""
        return tuple(t for t in CHAIN_TOOLS[self.chain]
                     if (every or self.tools[t].enabled)
                     and (self.live_room or t not in LIVE_ROOM_TOOLS))

    def sale_on(self, day: date) -> BigSale | None:
        return _sale_table(self.big_sales).get(day)


# sale_on is asked for every video, tool and day: build each day table once. Keyed by
# the tuple's id, holding the tuple itself so that the id cannot be reused meanwhile.
_SALE_TABLES: dict[int, tuple[tuple[BigSale, ...], dict[date, BigSale]]] = {}


def _sale_table(sales: tuple[BigSale, ...]) -> dict[date, BigSale]:
    cached = _SALE_TABLES.get(id(sales))
    if cached is not None and cached[0] is sales:
        return cached[1]
    if len(_SALE_TABLES) > 256:
        _SALE_TABLES.clear()
    table = {d: s for s in reversed(sales) for d in _date_range(s.start, s.end)}
    _SALE_TABLES[id(sales)] = (sales, table)
    return table


def _date_range(start: date, end: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def break_even_roi(gross_margin: float, return_rate: float) -> float:
    """Floor at which one yuan of traffic pays for itself: 1 / (m x (1 - r))."""
    return 1.0 / (gross_margin * (1.0 - return_rate))


def _merge_tools(raw: dict[str, Any]) -> dict[str, Any]:
    """Let ``[tools.dou_plus] cpm = 25`` override one field and keep the other defaults."""
    tools_raw = raw.get("tools")
    if tools_raw is None:
        return raw
    if not isinstance(tools_raw, dict):
        return raw
    defaults = default_tools()
    merged: dict[str, Any] = {t.value: cfg.model_dump() for t, cfg in defaults.items()}
    for key, override in tools_raw.items():
        if key in merged and isinstance(override, dict):
            merged[key] = {**merged[key], **override}
        else:
            merged[key] = override
    return {**raw, "tools": merged}


def campaign_from_dict(raw: dict[str, Any], source: str = "campaign") -> Campaign:
    """Validate a parsed campaign file; raises ConfigError listing every problem."""
    try:
        return Campaign.model_validate(_merge_tools(raw))
    except ValidationError as exc:
        raise ConfigError(validation_problems(exc, Campaign, source)) from None
