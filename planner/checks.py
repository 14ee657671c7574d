"""An independent plan checker: every rule a plan must obey, stated once more.

The optimiser builds its model from the rule verdicts (``planner.rules``) and the
response model (``planner.response``); this module is written apart from both,
from the campaign's settings and the videos' own figures, so that one mistake
cannot hide in the model and in its check at once. It only needs the orders and,
when the plan has them, the daily rows: a plan made by hand, by another tool or
by the planner is checked the same way.

Each broken rule is a :class:`Violation` with a stable ``code`` (listed in
``VIOLATION_CODES``), the order it concerns (none for a rule of the whole plan)
and the catalogue's sentence ``check.<code>`` filled with its figures.

Orders marked ``fixed`` (booked or spent before the plan date) are facts, not
choices: they count towards the budget, the daily cap and the seeding share, and
a fresh plan must keep each of the campaign's commitments, but the per-order
rules judge only the orders the plan makes.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from planner.config import Campaign
from planner.errors import UncheckedPlanError
from planner.i18n import chain_name, t, tier_name, tool_name
from planner.models import Order, Plan, Video
from planner.scheduled import expected_roster
from planner.tools import CHAIN_TOOLS, Tool

# Money is rounded to whole yuan (or cents) in a plan: sums may differ by this much.
_YUAN = 1.0
_SHARE = 1e-3
_DAILY_TOOLS_EXCLUDED = frozenset({Tool.CONTENT_SERVICE})
_AD_TOOLS = frozenset({Tool.KOL_BIDDING, Tool.QIANCHUAN, Tool.AD_FEED, Tool.UNI_DESK})
_SEEDING = frozenset({Tool.DOU_PLUS, Tool.CONTENT_SERVICE, Tool.KOL_BIDDING, Tool.SUIXINTUI})
_FLOOR_TOOLS = frozenset({Tool.DOU_PLUS, Tool.SUIXINTUI})
_LIVE_ROOM = "live_room"  # the video id direct live-room buying names: the room itself

# Every rule the checker states, by code: what a plan must do. Stable ids.
VIOLATION_CODES: dict[str, str] = {
    "unknown_video": "Every order names a video of the roster.",
    "tool_not_in_chain": "Only the chain's tools: Dou+, content service, KOL bidding, AD feed "
    "and UD on the Tmall chain; Suixintui, content service, KOL bidding and Qianchuan in the "
    "closed loop.",
    "tool_disabled": "No order on a tool the campaign switched off.",
    "order_dates": "An order ends on or after its first day and is booked by then.",
    "outside_campaign": "New orders run inside the campaign's dates.",
    "before_plan_date": "No new order runs, or is booked, before the plan date.",
    "before_publish": "Nothing is bought on a video before it is published.",
    "below_min_order": "Each order (each day of a daily tool) reaches the tool's minimum.",
    "off_order_step": "Order budgets are multiples of the tool's order step.",
    "roi_below_floor": "Dou+ and Suixintui only on videos whose traffic ROI reaches the floor.",
    "dou_plus_before_standard_start": "Standard Dou+ waits 3 days after publishing unless a "
    "burst is running.",
    "smart_mode_not_allowed": "Smart Dou+ only for >500k followers, an account with weight "
    "and a video at most 15 days old.",
    "smart_mode_preferred": "Dou+ is smart when all its conditions hold (unless ROI is "
    "clearly declining).",
    "cs_ad_review": "Content service needs a passed ad review.",
    "cs_tier_too_small": "Content service directly only for head KOLs; below head after a "
    "passed Dou+ pressure test.",
    "cs_roi_below_floor": "Content service needs traffic ROI at or above the floor.",
    "cs_comment_like_low": "Content service needs the minimum comment-like rate.",
    "cs_over_weekly_scale": "Content service stays within the tier's weekly scale.",
    "cs_not_one_shot": "Content service is one schedule at a time, booked whole before it "
    "runs.",
    "cs_with_dou_plus": "Content service and Dou+ never run on the same video on the same day.",
    "lock_in_too_late": "Content service in a big sale is booked at least 30 days before it.",
    "lock_in_roi_low": "A lock-in needs a recent (3-month) traffic ROI at or above the floor.",
    "ad_tool_blocked": "Ad tools need the KOL's authorisation and a passed ad review.",
    "kol_bidding_low_weight": "KOL bidding needs an account with weight.",
    "over_tool_daily_cap": "A tool's spend per video and day stays within its daily cap.",
    "over_tool_budget": "A tool's total stays within its cap.",
    "over_daily_cap": "The campaign's spend on a day stays within the daily cap.",
    "over_budget": "The plan's spend stays within the budget.",
    "commitment_missing": "Every commitment is in the plan, exactly as booked.",
    "seeding_share_low": "The seeding share (KOL fees and seeding tools) reaches its minimum.",
    "seeding_share_high": "The seeding share stays within its maximum.",
    "live_room_off": "Direct live-room buying only in a closed-loop campaign with live_room = "
    "true, on the live room (video id 'live_room').",
    "live_room_over_direct_cap": "Direct live-room buying on a day stays within direct_cap "
    "(about 10%) of the short-video spend that day.",
}


@dataclass(frozen=True)
class PlannedOrder:
    """What the checker needs of an order (a Plan's, or a row of a buyer's table)."""

    video_id: str
    tool: Tool
    start_date: date
    end_date: date
    booking_date: date
    budget: float
    mode: str | None = None
    fixed: bool = False
    reason_codes: frozenset[str] = frozenset()

    @classmethod
    def of(cls, order: Order) -> PlannedOrder:
        return cls(video_id=order.video_id, tool=order.tool, start_date=order.start_date,
                   end_date=order.end_date, booking_date=order.booking_date,
                   budget=order.budget, mode=order.mode, fixed=order.fixed,
                   reason_codes=frozenset(r.code for r in order.reasons))

    def days(self) -> list[date]:
        return [self.start_date + timedelta(days=i)
                for i in range((self.end_date - self.start_date).days + 1)]

    def covers(self, day: date) -> bool:
        return self.start_date <= day <= self.end_date


@dataclass(frozen=True)
class DaySpend:
    """One day's spend of a tool on a video."""

    day: date
    video_id: str
    tool: Tool
    spend: float


@dataclass(frozen=True)
class Evidence:
    """What re-planning learned from actuals, which opens or closes a rule's way.

    ``bursts``: videos whose day-one actuals showed a burst; ``declining``: videos
    whose ROI is clearly declining (targeted Dou+); ``learned_dou_plus``: learned
    Dou+ ROI per video (a passed pressure test, recent ROI for a lock-in).
    """

    bursts: frozenset[str] = frozenset()
    declining: frozenset[str] = frozenset()
    learned_dou_plus: dict[str, float] = field(default_factory=dict)


NO_EVIDENCE = Evidence()


def evidence_of(orders: Sequence[PlannedOrder],
                learned_dou_plus: dict[str, float] | None = None) -> Evidence:
    """What a re-plan records of its learning: learned bursts and declines as its Dou+
    orders' reasons name them, and the learned Dou+ ROI per video."""
    dou_plus = [o for o in orders if o.tool is Tool.DOU_PLUS]
    return Evidence(
        bursts=frozenset(o.video_id for o in dou_plus if "burst_first_2h" in o.reason_codes),
        declining=frozenset(o.video_id for o in dou_plus
                            if "targeted_roi_declining" in o.reason_codes),
        learned_dou_plus=dict(learned_dou_plus or {}))


def evidence_from_plan(plan: Plan) -> Evidence:
    """What a plan records of its learning (nothing, for a plan made without actuals)."""
    return evidence_of([PlannedOrder.of(o) for o in plan.orders],
                       {r.video_id: r.learned_roi for r in plan.learned
                        if r.tool is Tool.DOU_PLUS})


@dataclass(frozen=True)
class Violation:
    """One broken rule: its code, the order it concerns (if any) and its figures."""

    code: str
    order: PlannedOrder | None = None
    params: dict[str, str | int | float] = field(default_factory=dict)

    @property
    def text(self) -> str:
        """The catalogue's sentence for the rule, naming the order, in the current language."""
        sentence = t(f"check.{self.code}", **self.params)
        if self.order is None:
            return sentence
        o = self.order
        where = t("check.order", video=o.video_id, tool=tool_name(o.tool),
                  start=o.start_date.isoformat(), end=o.end_date.isoformat(),
                  budget=f"{o.budget:,.0f}")
        return t("check.line", order=where, sentence=sentence)


@dataclass(frozen=True)
class _Figures:
    """A video's figures as the rules judge them (independent of planner.scoring)."""

    video: Video
    tier: str
    traffic_roi: float
    comment_like_rate: float
    has_weight: bool
    first_2h_roi: float | None


def _figures(video: Video, campaign: Campaign) -> _Figures:
    tiers, rules, cpm = campaign.tiers, campaign.rules, campaign.reference_cpm
    followers = video.followers
    tier = ("koc" if followers < tiers.koc_max else "tail" if followers < tiers.tail_max
            else "mid" if followers < tiers.mid_max else "head" if followers < tiers.head_max
            else "super_head")
    plays, gmv = video.natural_plays or 0.0, video.natural_gmv or 0.0
    roi = gmv * 1000.0 / plays / cpm if plays > 0 else 0.0
    likes = video.likes or 0
    rate = (video.comments or 0) / likes if likes > 0 else 0.0
    first_2h = None
    if video.first_2h_plays and video.first_2h_gmv is not None:
        first_2h = video.first_2h_gmv * 1000.0 / video.first_2h_plays / cpm
    return _Figures(video, tier, roi, rate, video.median_plays >= rules.weight_median_plays,
                    first_2h)


def day_spends(orders: Sequence[PlannedOrder]) -> list[DaySpend]:
    """An orders table without daily rows: each order's budget spread evenly over its days."""
    out: list[DaySpend] = []
    for o in orders:
        days = o.days() or [o.start_date]
        out.extend(DaySpend(d, o.video_id, o.tool, o.budget / len(days)) for d in days)
    return out


class _Checker:
    def __init__(self, campaign: Campaign, videos: Sequence[Video], plan_date: date,
                 evidence: Evidence) -> None:
        self.campaign = campaign.model_copy(update={"plan_date": plan_date})
        self.plan_date = plan_date
        self.evidence = evidence
        expected = expected_roster(videos, self.campaign)
        roster = [expected[v.video_id][0] if v.video_id in expected else v for v in videos]
        self.videos = {v.video_id: v for v in roster}
        self.figures = {v.video_id: _figures(v, self.campaign) for v in roster}
        self.found: list[Violation] = []

    def add(self, code: str, order: PlannedOrder | None = None,
            **params: str | int | float) -> None:
        self.found.append(Violation(code, order, params))

    # ------------------------------------------------------------ per order
    def order(self, o: PlannedOrder) -> None:
        campaign, rules = self.campaign, self.campaign.rules
        if o.tool is Tool.QIANCHUAN_LIVE or o.video_id == _LIVE_ROOM:
            self._live_room(o)
            return
        if o.video_id not in self.videos:
            self.add("unknown_video", o, video=o.video_id)
            return
        video, fig = self.videos[o.video_id], self.figures[o.video_id]
        if o.tool not in CHAIN_TOOLS[campaign.chain]:
            self.add("tool_not_in_chain", o, tool=tool_name(o.tool),
                     chain=chain_name(campaign.chain))
            return
        if not campaign.tools[o.tool].enabled:
            self.add("tool_disabled", o, tool=tool_name(o.tool))
        if o.end_date < o.start_date or o.booking_date > o.start_date:
            self.add("order_dates", o)
        if o.start_date < campaign.start or o.end_date > campaign.end:
            self.add("outside_campaign", o, start=campaign.start.isoformat(),
                     end=campaign.end.isoformat())
        if o.start_date < self.plan_date or o.booking_date < self.plan_date:
            self.add("before_plan_date", o, plan_date=self.plan_date.isoformat())
        if o.start_date < video.publish_date:
            self.add("before_publish", o, published=video.publish_date.isoformat())
        floor = campaign.effective_roi_floor
        if o.tool in _FLOOR_TOOLS and fig.traffic_roi < floor:
            self.add("roi_below_floor", o, roi=f"{fig.traffic_roi:.2f}", floor=f"{floor:.2f}")
        if o.tool in _AD_TOOLS and not (video.kol_authorized and video.ad_review_passed):
            self.add("ad_tool_blocked", o, tool=tool_name(o.tool))
        if o.tool is Tool.KOL_BIDDING and not fig.has_weight:
            self.add("kol_bidding_low_weight", o, plays=f"{video.median_plays:,.0f}",
                     limit=f"{rules.weight_median_plays:,}")
        if o.tool is Tool.DOU_PLUS and o.mode is not None:
            self._dou_plus_mode(o, fig)
        if o.tool is Tool.CONTENT_SERVICE:
            self._content_service(o, fig)

    def _live_room(self, o: PlannedOrder) -> None:
        """The brand live room's direct buying: only where the campaign has a live room."""
        campaign = self.campaign
        if not (campaign.live_room and o.tool is Tool.QIANCHUAN_LIVE
                and o.video_id == _LIVE_ROOM):
            self.add("live_room_off", o, tool=tool_name(o.tool))
            return
        if not campaign.tools[o.tool].enabled:
            self.add("tool_disabled", o, tool=tool_name(o.tool))
        if o.start_date < campaign.start or o.end_date > campaign.end:
            self.add("outside_campaign", o, start=campaign.start.isoformat(),
                     end=campaign.end.isoformat())
        if o.start_date < self.plan_date or o.booking_date < self.plan_date:
            self.add("before_plan_date", o, plan_date=self.plan_date.isoformat())

    def _dou_plus_mode(self, o: PlannedOrder, fig: _Figures) -> None:
        rules, video = self.campaign.rules, fig.video

        def smart_on(day: date) -> bool:
            return (video.followers > rules.large_kol_followers and fig.has_weight
                    and (day - video.publish_date).days <= rules.smart_max_age_days)

        if o.mode == "smart" and not smart_on(o.end_date):
            self.add("smart_mode_not_allowed", o, followers=f"{video.followers:,}",
                     plays=f"{video.median_plays:,.0f}",
                     days=(o.end_date - video.publish_date).days,
                     large=f"{rules.large_kol_followers:,}",
                     weight=f"{rules.weight_median_plays:,}", max_days=rules.smart_max_age_days)
        elif (o.mode == "targeted" and smart_on(o.start_date)
              and o.video_id not in self.evidence.declining):
            self.add("smart_mode_preferred", o)

    def _content_service(self, o: PlannedOrder, fig: _Figures) -> None:
        campaign, rules, video = self.campaign, self.campaign.rules, fig.video
        floor = campaign.effective_roi_floor
        learned = self.evidence.learned_dou_plus.get(o.video_id)
        minimum = campaign.tools[Tool.CONTENT_SERVICE].min_order
        if o.budget < minimum - 0.01:
            self.add("below_min_order", o, day=o.start_date.isoformat(),
                     spend=f"{o.budget:,.2f}", minimum=f"{minimum:,.0f}")
        if not video.ad_review_passed:
            self.add("cs_ad_review", o)
        roi = fig.traffic_roi
        if fig.tier not in rules.cs_tiers:
            if learned is None or learned < floor:
                self.add("cs_tier_too_small", o, tier=tier_name(fig.tier))
            else:
                roi = learned
        if roi < floor:
            self.add("cs_roi_below_floor", o, roi=f"{roi:.2f}", floor=f"{floor:.2f}")
        if fig.comment_like_rate < rules.cs_min_comment_like_rate:
            self.add("cs_comment_like_low", o, rate=f"{fig.comment_like_rate:.1%}",
                     limit=f"{rules.cs_min_comment_like_rate:.1%}")
        days = max(1, (o.end_date - o.start_date).days + 1)
        scale = rules.cs_weekly_cap.get(fig.tier, 0.0) * days / 7.0
        if o.budget > scale + _YUAN:
            self.add("cs_over_weekly_scale", o, scale=f"{scale:,.0f}",
                     weekly=f"{rules.cs_weekly_cap.get(fig.tier, 0.0):,.0f}", days=days)
        if o.booking_date > o.start_date - timedelta(days=rules.cs_booking_lead_days):
            self.add("cs_not_one_shot", o, lead=rules.cs_booking_lead_days)
        for sale in campaign.big_sales:
            if o.end_date < sale.start or o.start_date > sale.end:
                continue
            latest = sale.start - timedelta(days=rules.lock_in_days)
            if o.booking_date > latest:
                self.add("lock_in_too_late", o, sale=sale.name, latest=latest.isoformat(),
                         days=rules.lock_in_days)
            recent = self._recent_roi(fig, learned)
            if recent is None or recent < floor:
                self.add("lock_in_roi_low", o, sale=sale.name,
                         roi="-" if recent is None else f"{recent:.2f}", floor=f"{floor:.2f}")

    def _recent_roi(self, fig: _Figures, learned: float | None) -> float | None:
        video = fig.video
        if video.roi_3m is not None:
            return video.roi_3m
        if learned is not None:
            return learned
        if (self.plan_date - video.publish_date).days <= self.campaign.rules.recent_roi_days:
            return fig.traffic_roi
        return None

    # ------------------------------------------------------------ per day
    def days(self, orders: Sequence[PlannedOrder], daily: Sequence[DaySpend]) -> None:
        campaign, rules = self.campaign, self.campaign.rules
        fixed_cells = {(o.video_id, o.tool, d) for o in orders if o.fixed for d in o.days()}
        cs = [o for o in orders if o.tool is Tool.CONTENT_SERVICE]
        by_cell: dict[tuple[str, Tool], list[PlannedOrder]] = defaultdict(list)
        for o in orders:
            by_cell[(o.video_id, o.tool)].append(o)

        def order_of(row: DaySpend) -> PlannedOrder | None:
            return next((o for o in by_cell.get((row.video_id, row.tool), ())
                         if o.covers(row.day)), None)

        for row in daily:
            if row.spend <= 0 or (row.video_id, row.tool, row.day) in fixed_cells:
                continue
            order = order_of(row)
            cfg = campaign.tools[row.tool] if row.tool in campaign.tools else None
            if row.tool not in _DAILY_TOOLS_EXCLUDED and cfg is not None:
                if row.spend < cfg.min_order - 0.01:
                    self.add("below_min_order", order, day=row.day.isoformat(),
                             spend=f"{row.spend:,.2f}", minimum=f"{cfg.min_order:,.0f}")
                steps = row.spend / cfg.order_step
                if abs(steps - round(steps)) > 1e-6:
                    self.add("off_order_step", order, day=row.day.isoformat(),
                             spend=f"{row.spend:,.2f}", step=f"{cfg.order_step:g}")
            if cfg is not None and cfg.max_daily is not None and row.spend > cfg.max_daily + 0.01:
                self.add("over_tool_daily_cap", order, day=row.day.isoformat(),
                         spend=f"{row.spend:,.0f}", cap=f"{cfg.max_daily:,.0f}")
            video = self.videos.get(row.video_id)
            if row.tool is Tool.DOU_PLUS and video is not None:
                age = (row.day - video.publish_date).days
                if age < rules.standard_start_day and not (
                        self._bursts(row.video_id) and 0 <= age < rules.burst_window_days):
                    self.add("dou_plus_before_standard_start", order, day=row.day.isoformat(),
                             published=video.publish_date.isoformat(),
                             days=rules.standard_start_day)
                clash = next((o for o in by_cell.get((row.video_id, Tool.CONTENT_SERVICE), ())
                              if o.covers(row.day)), None)
                if clash is not None:
                    self.add("cs_with_dou_plus", order, day=row.day.isoformat(),
                             start=clash.start_date.isoformat(), end=clash.end_date.isoformat())
        # One schedule at a time per video: a booked one cannot be topped up mid-way.
        by_video: dict[str, list[PlannedOrder]] = defaultdict(list)
        for o in cs:
            by_video[o.video_id].append(o)
        for items in by_video.values():
            items.sort(key=lambda o: o.start_date)
            for before, after in itertools.pairwise(items):
                if after.start_date <= before.end_date and not after.fixed:
                    self.add("cs_not_one_shot", after, lead=rules.cs_booking_lead_days)

    def _bursts(self, video_id: str) -> bool:
        """A large KOL whose first 2 hours sold at the floor x 1.5, seen in its window."""
        if video_id in self.evidence.bursts:
            return True
        fig, rules = self.figures[video_id], self.campaign.rules
        floor = self.campaign.effective_roi_floor
        return (fig.video.followers > rules.large_kol_followers
                and fig.first_2h_roi is not None
                and fig.first_2h_roi >= floor * rules.burst_min_roi_multiple
                and (self.plan_date - fig.video.publish_date).days < rules.burst_window_days)

    # ------------------------------------------------------------ whole plan
    def totals(self, orders: Sequence[PlannedOrder], daily: Sequence[DaySpend],
               check_commitments: bool) -> None:
        campaign = self.campaign
        fixed_cells = {(o.video_id, o.tool, d) for o in orders if o.fixed for d in o.days()}
        new_by_day: dict[date, float] = defaultdict(float)
        fixed_by_day: dict[date, float] = defaultdict(float)
        for row in daily:
            if (row.video_id, row.tool, row.day) in fixed_cells:
                fixed_by_day[row.day] += row.spend
            else:
                new_by_day[row.day] += row.spend
        if campaign.daily_cap is not None:
            for day in sorted(new_by_day):
                room = max(0.0, campaign.daily_cap - fixed_by_day[day])
                if new_by_day[day] > room + _YUAN:
                    self.add("over_daily_cap", None, day=day.isoformat(),
                             spend=f"{new_by_day[day] + fixed_by_day[day]:,.0f}",
                             cap=f"{campaign.daily_cap:,.0f}")
        self._live_room_share(daily)
        fixed = sum(o.budget for o in orders if o.fixed)
        new = sum(o.budget for o in orders if not o.fixed)
        if new > max(0.0, campaign.budget - fixed) + _YUAN:
            self.add("over_budget", None, spend=f"{new + fixed:,.0f}",
                     budget=f"{campaign.budget:,.0f}")
        for tool, cfg in campaign.tools.items():
            spent = sum(o.budget for o in orders if o.tool is tool)
            if cfg.max_budget is not None and spent > cfg.max_budget + _YUAN:
                self.add("over_tool_budget", None, tool=tool_name(tool), spend=f"{spent:,.0f}",
                         cap=f"{cfg.max_budget:,.0f}")
        if check_commitments:
            for c in campaign.commitments:
                kept = any(o.fixed and o.video_id == c.video_id and o.tool is c.tool
                           and o.start_date == c.start and o.end_date == c.end
                           and abs(o.budget - c.budget) <= _YUAN for o in orders)
                if not kept:
                    self.add("commitment_missing", None, video=c.video_id,
                             tool=tool_name(c.tool), start=c.start.isoformat(),
                             end=c.end.isoformat(), budget=f"{c.budget:,.0f}")
        fees = sum(v.kol_fee or 0.0 for v in self.videos.values())
        seeding = fees + sum(o.budget for o in orders if o.tool in _SEEDING)
        everything = fees + fixed + new
        if new > 0 and everything > 0:
            share, balance = seeding / everything, campaign.balance
            if share < balance.min_seeding_share - _SHARE:
                self.add("seeding_share_low", None, share=f"{share:.1%}",
                         limit=f"{balance.min_seeding_share:.0%}")
            if share > balance.max_seeding_share + _SHARE:
                self.add("seeding_share_high", None, share=f"{share:.1%}",
                         limit=f"{balance.max_seeding_share:.0%}")


    def _live_room_share(self, daily: Sequence[DaySpend]) -> None:
        """Direct live-room buying within direct_cap of that day's short-video spend."""
        if not self.campaign.live_room:
            return
        cap = self.campaign.live_room_traffic.direct_cap
        direct: dict[date, float] = defaultdict(float)
        short_video: dict[date, float] = defaultdict(float)
        for row in daily:
            if row.tool is Tool.QIANCHUAN_LIVE:
                direct[row.day] += row.spend
            else:
                short_video[row.day] += row.spend
        for day in sorted(direct):
            if direct[day] > cap * short_video[day] + _YUAN:
                self.add("live_room_over_direct_cap", None, day=day.isoformat(),
                         spend=f"{direct[day]:,.0f}", short_video=f"{short_video[day]:,.0f}",
                         share=f"{cap:.0%}")


def check_orders(orders: Sequence[PlannedOrder], campaign: Campaign, videos: Sequence[Video],
                 *, daily: Sequence[DaySpend] | None = None, plan_date: date | None = None,
                 evidence: Evidence = NO_EVIDENCE) -> list[Violation]:
    """Every rule the orders break (empty: the plan obeys every rule).

    ``daily``: the plan's daily rows (an order without any: spread evenly over its days);
    ``plan_date``: the day the plan was made (default the campaign's). The campaign's
    commitments are checked on a plan made on the campaign's own plan date; a re-plan
    turns them (and the spend so far) into fixed orders of its own.
    """
    day = plan_date or campaign.effective_plan_date
    checker = _Checker(campaign, videos, day, evidence)
    rows = list(daily or [])
    # An order without daily rows of its own (an orders table, or one added by hand)
    # spends its budget evenly over its days.
    row_days: dict[tuple[str, Tool], set[date]] = defaultdict(set)
    for r in rows:
        row_days[(r.video_id, r.tool)].add(r.day)
    rows += day_spends([o for o in orders if not any(
        o.covers(d) for d in row_days.get((o.video_id, o.tool), ()))])
    for order in orders:
        if not order.fixed:
            checker.order(order)
    checker.days(orders, rows)
    checker.totals(orders, rows, check_commitments=day == campaign.effective_plan_date)
    return checker.found


def check_plan(plan: Plan, campaign: Campaign, videos: Sequence[Video],
               evidence: Evidence | None = None) -> list[Violation]:
    """Every rule a planner plan breaks, judged on its orders and daily rows."""
    return check_orders(
        [PlannedOrder.of(o) for o in plan.orders], campaign, videos,
        daily=[DaySpend(d.date, d.video_id, d.tool, d.spend) for d in plan.daily],
        plan_date=plan.plan_date,
        evidence=evidence_from_plan(plan) if evidence is None else evidence)


def violation_codes(found: Iterable[Violation]) -> list[str]:
    """The codes of the violations found, each once, in the order first found."""
    return list(dict.fromkeys(v.code for v in found))


def ensure_plan_obeys(plan: Plan, campaign: Campaign, videos: Sequence[Video]) -> None:
    """Refuse a plan the planner made that breaks a rule: a bug, never a silent write."""
    found = check_plan(plan, campaign, videos)
    if found:
        lines = [f"{v.code}: {v.text}" for v in found]
        raise UncheckedPlanError(t("error.check.own_plan", count=len(found), first=lines[0]),
                                 lines)
