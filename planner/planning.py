# Long on purpose: orders, days, ranges and binding limits all read the same solution.
"""The pipeline: videos + campaign -> scores and verdicts -> response model -> plan."""

from __future__ import annotations

import math
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import numpy as np

from planner.collector import collector_paused
from planner.config import Campaign
from planner.errors import InfeasibleError, InputError, Problem
from planner.i18n import line_text, t
from planner.models import (
    AttitudeFigures,
    DailySpend,
    FanPoint,
    Line,
    LiveRoom,
    LiveRoomDay,
    Order,
    Plan,
    Reason,
    ReasonParam,
    RiskObjective,
    RiskSummary,
    Video,
    VideoScore,
    VideoSummary,
)
from planner.optimiser import (
    Rows,
    SolveResult,
    amplification_name,
    daily_cap_name,
    kol_share_name,
    learning_loss,
    solve,
    video_share_name,
)
from planner.plausibility import implausible, warning_lines
from planner.reasons import reason
from planner.response import (
    KYUAN,
    NO_SIGNALS,
    FixedSpend,
    Purchase,
    ResponseModel,
    Signals,
    build_response_model,
    check_commitments,
)
from planner.rules import Assessment, assess_video
from planner.scheduled import expected_roster
from planner.tools import HARVESTING_TOOLS, LIVE_ROOM_TOOLS, SEEDING_TOOLS, Tool
from planner.uncertainty import (
    Z90,
    Floats,
    gmv_scenarios,
    percentiles,
    quantile_factor,
    tail_mean,
)


def assess_roster(videos: Sequence[Video], campaign: Campaign,
                  signals: Signals = NO_SIGNALS) -> list[Assessment]:
    """Score every video and apply the rules.

    A video published after the plan date is a scheduled post, planned from its
    KOL's history; one published after the campaign's end can carry nothing and is
    refused.
    """
    late = [v for v in videos if v.publish_date > campaign.end]
    if late:
        raise InputError(
            [
                Problem(
                    t("error.planning.after_end", video=v.video_id, published=v.publish_date,
                      end=campaign.end),
                    column="publish_date", fix=t("error.planning.after_end_fix"),
                )
                for v in late
            ]
        )
    expected = expected_roster(videos, campaign)
    missing = [v for v in videos if v.video_id not in expected and v.natural_plays is None]
    if missing:
        raise InputError([
            Problem(
                t("error.planning.no_figures", video=v.video_id, published=v.publish_date,
                  plan_date=campaign.effective_plan_date),
                column="natural_plays", fix=t("error.planning.no_figures_fix"),
            )
            for v in missing
        ])
    assessed = []
    for v in videos:
        learned = signals.learned_dou_plus.get(v.video_id)
        if v.video_id in expected:
            filled, why = expected[v.video_id]
            a = assess_video(filled, campaign, scheduled=why, learned_dou_plus_roi=learned)
        else:
            a = assess_video(v, campaign, learned_dou_plus_roi=learned)
        # Inputs a buyer would not believe are flagged, never silently trusted.
        a.reasons.extend(implausible(v, a.scores.traffic_roi, campaign,
                                     scheduled=v.video_id in expected))
        assessed.append(a)
    return assessed


def score_roster(videos: Sequence[Video], campaign: Campaign) -> list[VideoScore]:
    """Per-video scores and verdicts, as ``planner score`` prints them."""
    return [_video_score(a) for a in assess_roster(videos, campaign)]


def _assessed(a: Assessment) -> dict[str, Any]:
    """What a video's scores (``planner score``) and its plan summary both say of it."""
    return {"video_id": a.video.video_id, "kol_name": a.video.kol_name, "tier": a.scores.tier,
            "gpm": round(a.scores.gpm, 4), "traffic_roi": round(a.scores.traffic_roi, 4),
            "eligible_tools": sorted(a.eligible), "reasons": a.reasons}


def _video_score(a: Assessment) -> VideoScore:
    s = a.scores
    return VideoScore(
        **_assessed(a),
        age_days=s.age_days,
        comment_like_rate=round(s.comment_like_rate, 4),
        engagement_rate=round(s.engagement_rate, 4),
        has_weight=s.has_weight,
        burst=a.burst,
    )


def _round_spend(p: Purchase, thousand_yuan: float, campaign: Campaign) -> float:
    """Whole yuan in the tool's order step; never below the minimum it already met."""
    step = campaign.tools[p.tool].order_step
    yuan = round(thousand_yuan * KYUAN, 4)
    rounded = math.floor(yuan / step + 1e-9) * step
    minimum = p.min_order * KYUAN
    if rounded < minimum <= yuan + 0.01:
        rounded = minimum
    return float(rounded) if rounded >= max(minimum, step) else 0.0


def rounded_spend(response: ResponseModel, result: SolveResult,
                  campaign: Campaign) -> dict[int, float]:
    """Each purchase's spend in whole yuan and order steps, losing as little as possible.

    Rounding every purchase down loses up to a step each (hundreds of yuan over a
    campaign of daily orders). The yuan rounded away on a day and tool go back, a step
    at a time, to that day's purchases of the tool with the largest remainders
    (largest-remainder rounding), so no day, tool or budget total grows past what the
    solver bought. Purchases on a video at its reach limit or its share cap, harvesting
    when the audience pool binds, and multi-day orders are only rounded down.
    """
    spend: dict[int, float] = {}
    raw_of: dict[int, float] = {}
    groups: dict[tuple[date, Tool], list[Purchase]] = defaultdict(list)
    # Only the solve's purchases spend: in the response's order (a purchase's index is its
    # place there), without a pass over every purchase on offer.
    for index in sorted(result.spend):
        raw = result.spend[index] * KYUAN
        if raw <= 0:
            continue
        p = response.purchases[index]
        spend[p.index] = _round_spend(p, raw / KYUAN, campaign)
        raw_of[p.index] = raw
        if spend[p.index] > 0 and len(p.days) == 1:
            groups[(p.days[0], p.tool)].append(p)
    tight = set(result.tight)
    family = result.model.family_of
    pool_binds = any(family.get(name) == "audience_pool" for name in tight)
    for (_, tool), items in groups.items():
        step = campaign.tools[tool].order_step
        left = sum(raw_of[p.index] - spend[p.index] for p in items)
        for p in sorted(items, key=lambda p: spend[p.index] - raw_of[p.index]):
            if left < step - 1e-6:
                break
            if (amplification_name(p.video_id) in tight
                    or video_share_name(p.video_id) in tight
                    or kol_share_name(response.kol_of.get(p.video_id, "")) in tight
                    or (pool_binds and p.tool in HARVESTING_TOOLS)
                    or spend[p.index] + step > p.capacity * KYUAN + 1e-6):
                continue
            spend[p.index] += step
            left -= step
    return within_live_room_cap(spend, response, campaign)


def within_live_room_cap(spend: dict[int, float], response: ResponseModel,
                         campaign: Campaign) -> dict[int, float]:
    """``spend`` with each day's direct live-room buying within ``direct_cap`` x that
    day's rounded short-video spend: rounding the short videos down must not lift the
    room's direct buying past its share [seed]. Below its minimum order it is dropped."""
    bought = [response.purchases[index] for index in sorted(spend) if spend[index]]
    live = [p for p in bought if p.tool in LIVE_ROOM_TOOLS]
    if not live:
        return spend
    short_video: dict[date, float] = defaultdict(float)
    for p in bought:
        if p.tool not in LIVE_ROOM_TOOLS:
            for day, share in zip(p.days, p.day_shares, strict=True):
                short_video[day] += spend[p.index] * share
    for f in response.fixed:
        for day, amount in f.day_spend.items():
            short_video[day] += amount * KYUAN
    cap = campaign.live_room_traffic.direct_cap
    out = dict(spend)
    for p in live:
        step = campaign.tools[p.tool].order_step
        most = math.floor(cap * short_video[p.days[0]] / step + 1e-9) * step
        if out[p.index] > most:
            out[p.index] = float(most) if most >= p.min_order * KYUAN - 1e-6 else 0.0
    return out


def _gmv_of(p: Purchase, yuan: float) -> float:
    """Fill segments best first: the GMV ``yuan`` buys in this purchase."""
    left = yuan / KYUAN
    gmv = 0.0
    for roi, width in zip(p.seg_roi, p.seg_width, strict=True):
        take = min(left, width)
        gmv += take * roi
        left -= take
        if left <= 0:
            break
    return gmv * KYUAN


class Planner:
    """One roster and campaign, planned at any budget.

    Scoring, the rules and the response model do not depend on the budget, so
    they run once here and every budget (the plan, the next 10,000 yuan, a
    budget curve) only re-solves.
    """

    @collector_paused()
    def __init__(
        self,
        videos: Sequence[Video],
        campaign: Campaign,
        *,
        signals: Signals = NO_SIGNALS,
        source: str = "campaign",
    ) -> None:
        started = time.perf_counter()
        check_commitments(campaign, {v.video_id: v for v in videos}, source)
        self.videos = list(videos)
        self.campaign = campaign
        self.assessments = assess_roster(videos, campaign, signals)
        ruled = time.perf_counter()
        self.response = build_response_model(self.assessments, campaign, signals)
        # Stages the first plan reports; later budgets reuse them at no cost.
        self._stage_seconds = {"rules": ruled - started,
                               "response": time.perf_counter() - ruled}
        # The last solve: its purchases and basis are a good start for the next budget.
        self._warm: SolveResult | None = None
        # Each video's summary before a solve's burst verdicts: the same at every budget.
        self._videos: list[VideoSummary] | None = None

    @collector_paused()
    def plan(self, budget: float | None = None, *, flat: bool = False,
             backend: str | None = None) -> Plan:
        """Solve at ``budget`` (the campaign's when None) and lay the answer out."""
        started = time.perf_counter()
        campaign = self.campaign if budget is None else self.campaign.model_copy(
            update={"budget": budget})
        try:
            result = solve(self.response, campaign, flat=flat, backend=backend,
                           warm=self._warm)
        except InfeasibleError as error:
            raise with_named_fees(error, self.response, campaign) from None
        solved = time.perf_counter()
        stages, self._stage_seconds = self._stage_seconds, {"rules": 0.0, "response": 0.0}
        if self._videos is None:
            self._videos = video_summaries(self.assessments, self.response, campaign)
        plan = lay_out(self.assessments, self.response, result, campaign,
                        solved - started + sum(stages.values()), videos=self._videos)
        if not flat:
            self._warm = result.for_next_solve()  # the layout read the coefficients: no more
        timings = {
            **stages,
            "build": result.seconds - result.solver_seconds,
            "solve": result.solver_seconds,
            "layout": time.perf_counter() - solved,
        }
        return plan.model_copy(update={"timings": {k: round(v, 4) for k, v in timings.items()}})


    @collector_paused()
    def with_attitudes(self, plan: Plan) -> Plan:
        """``plan`` with what each risk attitude would give (the same campaign planned
        expected, balanced and cautious): the price of safety, side by side."""
        return self.with_attitude_figures(plan, self.other_attitude_figures(plan.budget))

    def other_attitudes(self) -> list[RiskObjective]:
        """The risk attitudes ``other_attitude_figures`` plans: all but the campaign's own."""
        return [o for o in RISK_OBJECTIVES if o != self.campaign.risk.objective]

    @collector_paused()
    def other_attitude_figures(self, budget: float | None = None) -> list[AttitudeFigures]:
        """What each other risk attitude would give at ``budget`` (the campaign's when
        None), in the order of ``other_attitudes``: the campaign planned again with that
        attitude, the first from scratch and each next one started from the purchases of
        the one before (which only changes how fast it is found).

        Independent of the plan and of any other budget planned, so they may be planned
        before, beside or after it: ``planner plan`` starts them in another process as
        soon as the model of returns is built, while this one makes the plan.
        """
        campaign = self.campaign if budget is None else self.campaign.model_copy(
            update={"budget": budget})
        figures: list[AttitudeFigures] = []
        start: SolveResult | None = None
        for objective in self.other_attitudes():
            attitude = campaign.model_copy(update={
                "risk": campaign.risk.model_copy(update={"objective": objective})})
            result = solve(self.response, attitude, warm=start)
            figures.append(figures_of(self.assessments, self.response, result, attitude))
            # Another attitude has other risk rows: its purchases carry, its basis does not;
            # and this one's coefficients are let go before the next solve, not after it.
            start = replace(result, relaxation=None).for_next_solve()
            del result
        return figures

    def with_attitude_figures(self, plan: Plan, others: Sequence[AttitudeFigures]) -> Plan:
        """``plan`` with the figures of every attitude, its own and ``others``, in the
        order of RISK_OBJECTIVES."""
        if plan.risk is None:
            return plan
        own = AttitudeFigures(objective=self.campaign.risk.objective,
                              expected_gmv=plan.expected_gmv,
                              gmv_p10=plan.gmv_range.get("p10", plan.expected_gmv),
                              tail_gmv=plan.risk.tail_gmv)
        by_objective = {f.objective: f for f in [own, *others]}
        figures = [by_objective[o] for o in RISK_OBJECTIVES]
        risk = plan.risk.model_copy(update={"attitudes": figures})
        return plan.model_copy(update={"risk": risk})


RISK_OBJECTIVES: tuple[RiskObjective, ...] = ("expected", "balanced", "cautious")


def make_plan(
    videos: Sequence[Video],
    campaign: Campaign,
    *,
    signals: Signals = NO_SIGNALS,
    flat: bool = False,
    backend: str | None = None,
    source: str = "campaign",
) -> Plan:
    """Score, apply the rules, solve, and lay the answer out as orders and days."""
    return Planner(videos, campaign, signals=signals, source=source).plan(
        flat=flat, backend=backend)


def lay_out(
    assessments: list[Assessment],
    response: ResponseModel,
    result: SolveResult,
    campaign: Campaign,
    seconds: float,
    *,
    videos: Sequence[VideoSummary] | None = None,
) -> Plan:
    """A solver's answer as the buyer's plan: orders, the daily schedule, figures, limits.

    ``videos``: ``video_summaries`` of the same assessments, response and risk settings,
    made once for every budget (made here when None)."""
    orders, daily, rounded, fixed_gmv = _orders_and_days(assessments, response, result,
                                                         campaign)
    room = live_room_of(daily, response, campaign)
    orders = _with_ranges(orders, response, result, campaign)
    held = winner_verdicts(response, result, campaign, rounded)
    orders = [o.model_copy(update={"reasons": [*o.reasons, held[o.video_id]]})
              if o.video_id in held and not o.fixed else o for o in orders]
    tests = test_reasons(response, result, campaign, rounded)
    orders = [o.model_copy(update={"reasons": [*o.reasons, tests[(o.video_id, o.tool)]]})
              if (o.video_id, o.tool) in tests and not o.fixed else o for o in orders]
    orders.sort(key=_order_key)
    daily.sort(key=lambda d: (d.date, d.video_id, d.tool))

    new_spend = sum(o.budget for o in orders if not o.fixed)
    committed = sum(o.budget for o in orders if o.fixed)
    total_spend = new_spend + committed
    expected, bound, gap = _expected_gmv(orders, result, fixed_gmv)
    scenario_gmv = plan_gmv_scenarios(orders, response)
    fan = gmv_fan(daily, response)
    gmv_range = {k: round(v, 2) for k, v in percentiles(scenario_gmv).items()}
    seeding = response.kol_fees * KYUAN + sum(o.budget for o in orders if o.tool in SEEDING_TOOLS)
    everything = response.kol_fees * KYUAN + total_spend
    unspent = max(0.0, campaign.budget - total_spend)
    status = result.status if total_spend > 0 else "no_spend"
    bursts = burst_verdicts(assessments, response, result, campaign)
    binding = describe_binding(result, response, campaign, unspent)
    assumed = assumptions(campaign)  # the ROI floor's source first
    flagged = warning_lines([r for a in assessments for r in a.reasons])
    notes = [*result.notes, *assumed, *flagged]
    floor_line = assumed[0]
    return Plan(
        campaign=campaign.name,
        chain=campaign.chain.value,
        plan_date=campaign.effective_plan_date,
        status=status,
        solver=result.solver,
        budget=campaign.budget,
        total_spend=round(total_spend, 2),
        unspent=round(unspent, 2),
        binding=[line_text(line) for line in binding],
        expected_gmv=round(expected, 2),
        bound_gmv=round(bound, 2),
        gap=round(gap, 6),
        roi_floor=round(campaign.effective_roi_floor, 4),
        roi_floor_source=line_text(floor_line),
        expected_roi=round(expected / total_spend, 4) if total_spend else 0.0,
        seeding_share=round(seeding / everything, 4) if everything else 0.0,
        kol_fees=round(response.kol_fees * KYUAN, 2),
        solve_seconds=round(seconds, 3),
        gmv_range=gmv_range,
        gmv_fan=fan,
        risk=RiskSummary(objective=campaign.risk.objective, level=campaign.risk.level,
                         scenarios=len(scenario_gmv),
                         tail_gmv=round(tail_mean(scenario_gmv, campaign.risk.level), 2)),
        assumptions=[line_text(line) for line in notes],
        orders=orders,
        daily=daily,
        videos=[v.model_copy(update={"reasons": [*v.reasons, *bursts[v.video_id]]})
                if v.video_id in bursts else v
                for v in (video_summaries(assessments, response, campaign) if videos is None
                          else videos)],
        binding_lines=binding,
        assumption_lines=notes,
        roi_floor_line=floor_line,
        live_room=room,
    )


def _orders_and_days(
    assessments: list[Assessment],
    response: ResponseModel,
    result: SolveResult,
    campaign: Campaign,
) -> tuple[list[Order], list[DailySpend], dict[int, float], float]:
    """The solve's orders (daily tools' consecutive days grouped, then the booked ones), its
    daily schedule, each purchase's rounded spend (yuan) and the booked orders' GMV (yuan)."""
    daily: list[DailySpend] = []
    orders: list[Order] = []
    names = {a.video.video_id: a.video.kol_name for a in assessments}
    # Daily tools: group consecutive days with the same mode and targeting into one order.
    runs: dict[tuple[str, Tool], list[tuple[Purchase, float, float]]] = defaultdict(list)
    rounded = rounded_spend(response, result, campaign)
    # A new or relaunched daily plan's first days pay the learning-phase premium.
    relearn = learning_loss(result.model.coupling,
                            {i: yuan / KYUAN for i, yuan in rounded.items()})
    for index in sorted(rounded):  # the response's order: a purchase's index is its place
        yuan = rounded[index]
        if yuan <= 0:
            continue
        p = response.purchases[index]
        gmv = _gmv_of(p, yuan) - relearn.get(p.index, 0.0) * KYUAN
        for day, share, gmv_share in zip(p.days, p.day_shares, p.gmv_day_shares, strict=True):
            daily.append(
                DailySpend(date=day, video_id=p.video_id, tool=p.tool,
                           spend=round(yuan * share, 2), expected_gmv=round(gmv * gmv_share, 2))
            )
        if p.is_content_service:
            orders.append(_order([(p, yuan, gmv)], campaign, names.get(p.video_id, "")))
        else:
            runs[(p.video_id, p.tool)].append((p, yuan, gmv))
    for items in runs.values():
        items.sort(key=lambda item: item[0].days[0])
        group: list[tuple[Purchase, float, float]] = []
        for item in items:
            if group and (
                (item[0].days[0] - group[-1][0].days[0]).days != 1
                or item[0].mode != group[-1][0].mode
                or item[0].targeting != group[-1][0].targeting
                or item[0].sale != group[-1][0].sale
            ):
                orders.append(_order(group, campaign, names.get(group[0][0].video_id, "")))
                group = []
            group.append(item)
        if group:
            orders.append(_order(group, campaign, names.get(group[0][0].video_id, "")))
    fixed_gmv = 0.0
    for f in response.fixed:
        c = f.commitment
        fixed_gmv += f.expected_gmv * KYUAN
        orders.append(
            Order(
                video_id=c.video_id, tool=c.tool, kol_name=names.get(c.video_id, ""),
                start_date=c.start, end_date=c.end,
                booking_date=c.booking_date or c.start, budget=c.budget, mode=None,
                targeting=None, expected_gmv=round(f.expected_gmv * KYUAN, 2), fixed=True,
                reasons=[reason("commitment_fixed",
                                f"already booked: {c.budget:,.0f} yuan of {c.tool}, kept as is",
                                budget=round(c.budget), tool=c.tool.value),
                         *_revalued(f)],
            )
        )
        total_days = len(f.day_spend)
        for day, spend in f.day_spend.items():
            daily.append(
                DailySpend(date=day, video_id=c.video_id, tool=c.tool,
                           spend=round(spend * KYUAN, 2),
                           expected_gmv=round(f.expected_gmv * KYUAN / total_days, 2))
            )
    return orders, daily, rounded, fixed_gmv


def _order_key(o: Order) -> tuple[date, str, Tool]:
    return (o.start_date, o.video_id, o.tool)


def _expected_gmv(orders: Sequence[Order], result: SolveResult,
                  fixed_gmv: float) -> tuple[float, float, float]:
    """The plan's expected GMV, the bound the solve proved on it and the gap (yuan)."""
    expected = sum(o.expected_gmv for o in orders)
    weight = result.model.coupling.expected_weight
    if weight >= 1.0:
        bound = result.bound * KYUAN + fixed_gmv
        expected = min(expected, bound) if bound > 0 else expected
        gap = 0.0 if bound <= 0 else max(0.0, (bound - expected) / bound)
    else:
        # The gap is the chosen objective's (expected GMV blended with the worst scenarios'
        # mean); the bound says how much more expected GMV that gap could hide.
        objective = result.objective + weight * fixed_gmv / KYUAN
        ceiling = result.bound + weight * fixed_gmv / KYUAN
        slack = max(0.0, ceiling - objective)
        gap = 0.0 if ceiling <= 0 else slack / ceiling
        bound = expected + slack * KYUAN
    return expected, bound, gap


def figures_of(assessments: list[Assessment], response: ResponseModel, result: SolveResult,
               campaign: Campaign) -> AttitudeFigures:
    """What ``lay_out`` would say of the plan's expected GMV, P10 and tail under
    ``campaign``'s risk attitude, without the rest of the plan (its schedule, its videos,
    its limits in words): another attitude's figures beside the plan."""
    orders, _, _, fixed_gmv = _orders_and_days(assessments, response, result, campaign)
    orders = _with_ranges(orders, response, result, campaign)
    orders.sort(key=_order_key)
    expected = round(_expected_gmv(orders, result, fixed_gmv)[0], 2)
    scenario_gmv = plan_gmv_scenarios(orders, response)
    return AttitudeFigures(objective=campaign.risk.objective, expected_gmv=expected,
                           gmv_p10=round(percentiles(scenario_gmv)["p10"], 2),
                           tail_gmv=round(tail_mean(scenario_gmv, campaign.risk.level), 2))


def video_summaries(assessments: Sequence[Assessment], response: ResponseModel,
                    campaign: Campaign) -> list[VideoSummary]:
    """Each video's summary in a plan (its scores, verdicts and ROI range), before the
    solve's burst verdicts: the same for every budget of one roster and campaign."""
    return [
        VideoSummary(
            **{**_assessed(a), "reasons": [*a.reasons]},
            status="scheduled" if a.scheduled else "live",
            publish_date=a.video.publish_date,
            **_roi_range(a, response, campaign),
        )
        for a in assessments
    ]


def live_room_of(daily: Sequence[DailySpend], response: ResponseModel,
                 campaign: Campaign) -> LiveRoom | None:
    """The brand live room per planned day: short videos feed it, direct buying tops it
    up within its share of them, and its own traffic sells up to ``ceiling`` (where it
    stalls without short videos) [seed]. None unless the campaign has a live room."""
    if Tool.QIANCHUAN_LIVE not in campaign.chain_tools():
        return None
    cfg = campaign.live_room_traffic
    figures = {day: [0.0, 0.0, 0.0, 0.0] for day in response.days}
    for d in daily:
        if d.date in figures:
            column = 2 if d.tool in LIVE_ROOM_TOOLS else 0
            figures[d.date][column] += d.spend
            figures[d.date][column + 1] += d.expected_gmv
    days = []
    for day, (sv_spend, sv_gmv, direct_spend, direct_gmv) in figures.items():
        bought = sv_spend + direct_spend
        days.append(LiveRoomDay(
            date=day, short_video_spend=round(sv_spend, 2), short_video_gmv=round(sv_gmv, 2),
            direct_spend=round(direct_spend, 2), direct_gmv=round(direct_gmv, 2),
            own_gmv=round(cfg.ceiling, 2), gmv=round(cfg.ceiling + sv_gmv + direct_gmv, 2),
            direct_share=round(direct_spend / sv_spend, 4) if sv_spend else 0.0,
            short_video_share=round(sv_spend / bought, 4) if bought else 0.0))
    return LiveRoom(
        ceiling=cfg.ceiling, direct_cap=cfg.direct_cap, short_video_share=cfg.short_video_share,
        gmv=round(sum(d.gmv for d in days), 2),
        short_video_gmv=round(sum(d.short_video_gmv for d in days), 2),
        direct_gmv=round(sum(d.direct_gmv for d in days), 2),
        own_gmv=round(sum(d.own_gmv for d in days), 2), days=days)


def _revalued(f: FixedSpend) -> list[Reason]:
    """A booked order its video's actuals revalued: the loss (or gain) said in figures, and
    what the buyer can still do. It stays booked: content service is one-shot [seed]."""
    before, now = f.model_gmv * KYUAN, f.expected_gmv * KYUAN
    if before <= 0 or abs(now - before) < 0.02 * before:
        return []
    budget = f.commitment.budget
    if now < before:
        return [reason(
            "commitment_revalued",
            f"actuals revalue this booked order: expected GMV {before:,.0f} -> {now:,.0f} "
            f"(ROI {before / budget:.2f} -> {now / budget:.2f}), a loss of {before - now:,.0f}; "
            "it is one-shot and runs to its end: the rest of the budget moves to what sells, "
            "and this video gets no new content service",
            form="loss", before=round(before), now=round(now), loss=round(before - now),
            roi_before=round(before / budget, 2), roi_now=round(now / budget, 2))]
    return [reason(
        "commitment_revalued",
        f"actuals revalue this booked order: expected GMV {before:,.0f} -> {now:,.0f} "
        f"(ROI {before / budget:.2f} -> {now / budget:.2f})",
        before=round(before), now=round(now),
        roi_before=round(before / budget, 2), roi_now=round(now / budget, 2))]


def _roi_range(a: Assessment, response: ResponseModel,
               campaign: Campaign) -> dict[str, object]:
    """The video's ROI belief as the buyer reads it: its source, P10 and P90."""
    belief = response.beliefs.get(a.video.video_id)
    if belief is None:
        return {}
    sigma = belief.total_sigma(campaign.risk)
    roi = a.scores.traffic_roi
    return {"roi_source": belief.source,
            "roi_p10": round(roi * quantile_factor(sigma, -Z90), 4),
            "roi_p90": round(roi * quantile_factor(sigma, Z90), 4)}


def _with_ranges(orders: list[Order], response: ResponseModel, result: SolveResult,
                 campaign: Campaign) -> list[Order]:
    """Each order with its GMV range, what its estimate rests on, and the share caps that
    shaped it. A booked order whose GMV is known has no range left."""
    cfg = campaign.risk
    family = result.model.family_of
    capped_videos = {name for name in result.tight if family.get(name) == "concentration"}
    out = []
    for o in orders:
        belief = response.beliefs.get(o.video_id)
        if belief is None:
            out.append(o)
            continue
        sigma = belief.total_sigma(cfg)
        known = o.fixed and any(
            f.commitment.realised_gmv is not None and f.commitment.video_id == o.video_id
            and f.commitment.tool is o.tool and f.commitment.start == o.start_date
            for f in response.fixed)
        low = o.expected_gmv if known else o.expected_gmv * quantile_factor(sigma, -Z90)
        high = o.expected_gmv if known else o.expected_gmv * quantile_factor(sigma, Z90)
        reasons = list(o.reasons)
        if not o.fixed:
            roi = o.expected_gmv / o.budget if o.budget else 0.0
            reasons.append(reason(
                "roi_estimate",
                f"expected ROI {roi:.2f} ({ROI_BASIS[belief.source]}), "
                f"P10-P90 {roi * quantile_factor(sigma, -Z90):.2f}-"
                f"{roi * quantile_factor(sigma, Z90):.2f}",
                basis=belief.source, roi=round(roi, 2),
                low=round(roi * quantile_factor(sigma, -Z90), 2),
                high=round(roi * quantile_factor(sigma, Z90), 2)))
            if video_share_name(o.video_id) in capped_videos:
                reasons.append(reason(
                    "risk_video_share",
                    f"capped: new orders on one video stay within {cfg.max_video_share:.0%} "
                    "of the budget", share=cfg.max_video_share))
            if kol_share_name(o.kol_name) in capped_videos:
                reasons.append(reason(
                    "risk_kol_share",
                    f"capped: new orders on one KOL's videos stay within "
                    f"{cfg.max_kol_share:.0%} of the budget", share=cfg.max_kol_share))
        out.append(o.model_copy(update={"gmv_p10": round(low, 2), "gmv_p90": round(high, 2),
                                        "reasons": reasons}))
    return out


# What a video's ROI belief rests on: code -> the words in the English sentence.
ROI_BASIS: dict[str, str] = {
    "natural": "from the video's own natural sales",
    "live_room": "from the live room's GMV per 1,000 impressions",
    "kol_history": "estimated from the KOL's record",
    "tier_prior": "estimated from the tier's prior",
    "learned": "learned from actuals",
}


def plan_gmv_scenarios(orders: Sequence[Order], response: ResponseModel) -> Floats:
    """The plan's GMV in each scenario: every order's GMV moves with its video's ROI; a
    booked order whose GMV is known does not move."""
    if response.scenarios is None:
        return np.array([sum(o.expected_gmv for o in orders)])
    moving: dict[str, float] = defaultdict(float)
    known = 0.0
    for o in orders:
        if o.gmv_p10 is not None and o.gmv_p10 == o.gmv_p90 and o.fixed:
            known += o.expected_gmv
        else:
            moving[o.video_id] += o.expected_gmv
    return gmv_scenarios(moving, response.scenarios) + known


def gmv_fan(daily: Sequence[DailySpend], response: ResponseModel) -> list[FanPoint]:
    """Cumulative GMV day by day with its P10-P90 band: each day's GMV moves with its
    video's ROI in every scenario."""
    scenarios = response.scenarios
    if scenarios is None or not daily:
        return []
    days = sorted({d.date for d in daily})
    day_of = {d: k for k, d in enumerate(days)}
    column = scenarios.column()
    # The videos the schedule buys, each a column of its scenarios, and one extra column
    # for GMV that no scenario moves (a video without a belief).
    bought = sorted({column[d.video_id] for d in daily if d.video_id in column})
    place = {video: k for k, video in enumerate(bought)}
    steady = len(bought)
    rows = np.fromiter((day_of[d.date] for d in daily), dtype=np.int64, count=len(daily))
    cols = np.fromiter((place.get(column.get(d.video_id, -1), steady) for d in daily),
                       dtype=np.int64, count=len(daily))
    values = np.fromiter((d.expected_gmv for d in daily), dtype=np.float64, count=len(daily))
    gmv = np.bincount(rows * (steady + 1) + cols, weights=values,
                      minlength=len(days) * (steady + 1)).reshape(len(days), steady + 1)
    cumulative = np.cumsum(gmv, axis=0)
    multipliers = np.ones((scenarios.count, steady + 1))
    multipliers[:, :steady] = scenarios.report(bought)
    paths = cumulative @ multipliers.T  # (days, scenarios)
    p10, p50, p90 = np.percentile(paths, [10, 50, 90], axis=1)
    expected = cumulative.sum(axis=1)
    return [FanPoint(date=d, expected=round(float(e), 2), p10=round(float(a), 2),
                     p50=round(float(b), 2), p90=round(float(c), 2))
            for d, e, a, b, c in zip(days, expected, p10, p50, p90, strict=True)]


def _order(items: list[tuple[Purchase, float, float]], campaign: Campaign,
           kol_name: str) -> Order:
    first = items[0][0]
    last = items[-1][0]
    budget = sum(yuan for _, yuan, _ in items)
    gmv = sum(g for _, _, g in items)
    # One sentence per rule, as on the order's first day ("published 16 days ago"), not
    # one per day of a long order.
    reasons: list[Reason] = []
    seen: set[str] = set()
    for p, _, _ in items:
        for r in p.reasons:
            if r.code not in seen:
                seen.add(r.code)
                reasons.append(r)
    if not first.is_content_service and len(items) > 1:
        reasons.append(
            reason("min_order", f"{len(items)} daily orders of at least "
                   f"{first.min_order * KYUAN:,.0f} yuan; amounts per day in the Daily schedule",
                   count=len(items), min=round(first.min_order * KYUAN))
        )
    return Order(
        video_id=first.video_id,
        tool=first.tool,
        kol_name=kol_name,
        start_date=first.days[0],
        end_date=last.days[-1],
        booking_date=first.booking_date,
        budget=round(budget, 2),
        mode=first.mode,
        targeting=first.targeting,
        expected_gmv=round(gmv, 2),
        reasons=reasons,
    )


def burst_verdicts(assessments: Sequence[Assessment], response: ResponseModel,
                   result: SolveResult, campaign: Campaign) -> dict[str, list[Reason]]:
    """Per burst video whose first burst day got less than a burst aims at, the limit
    that took the money (a burst the rules allow is funded unless something binds)."""
    bursts = {a.video.video_id for a in assessments
              if a.burst and Tool.DOU_PLUS in a.eligible}
    if not bursts:
        return {}  # most rosters: no pass over the purchases on each plan's layout
    rules = campaign.rules
    target = rules.burst_day_target
    paid_days = set(response.days)
    tight = set(result.tight)
    # A purchase's index is its place in the response; only the solve's purchases spend.
    spent_on: dict[date, float] = defaultdict(float)
    for index, spend in result.spend.items():
        p = response.purchases[index]
        for day, share in zip(p.days, p.day_shares, strict=True):
            spent_on[day] += spend * share * KYUAN
    for f in response.fixed:
        for day, spend in f.day_spend.items():
            spent_on[day] += spend * KYUAN
    # The burst videos' Dou+ days only, found in the book's columns.
    book = response.purchases
    mine = np.isin(book.video, book.codes_of(bursts)) & book.tool_is(Tool.DOU_PLUS)
    dou_plus = {(p.video_id, p.days[0]): p for p in book.at(np.flatnonzero(mine).tolist())}
    verdicts: dict[str, list[Reason]] = {}
    for a in assessments:
        if not a.burst or Tool.DOU_PLUS not in a.eligible:
            continue
        video_id = a.video.video_id
        window = [a.video.publish_date + timedelta(days=i)
                  for i in range(rules.burst_window_days)]
        days = [d for d in window if d in paid_days]
        if not days:
            first = min(paid_days) if paid_days else campaign.start
            verdicts[video_id] = [reason(
                "burst_limited",
                f"burst window {window[0]}..{window[-1]} is over before paid traffic starts "
                f"on {first}: no burst order; Dou+ follows the standard rules",
                first=window[0].isoformat(), last=window[-1].isoformat(),
                start=first.isoformat())]
            continue
        day = days[0]
        bought = dou_plus.get((video_id, day))
        spent = round(result.spend.get(bought.index, 0.0) * KYUAN) if bought is not None else 0
        if spent >= target - 1.0:
            continue
        figures: dict[str, ReasonParam] = {}
        if bought is None:
            form = "sale" if campaign.sale_on(day) else "closed"
            limit = ("no Dou+ can be bought that day (a big-sale day leaves Dou+ almost no "
                     "volume)" if form == "sale" else "no Dou+ order is open that day")
        elif spent >= bought.capacity * KYUAN - 1.0:
            form, figures = "capacity", {"capacity": round(bought.capacity * KYUAN)}
            limit = (f"the most Dou+ can buy on it that day ({figures['capacity']:,} yuan at "
                     "its first-2h ROI)")
        elif daily_cap_name(day) in tight:
            form = "cap"
            figures = {"cap": round(campaign.daily_cap or 0), "total": round(spent_on[day])}
            limit = (f"the daily cap of {figures['cap']:,} yuan, reached that day "
                     f"({figures['total']:,} yuan in all)")
        elif amplification_name(video_id) in tight:
            form, figures = "reach", {"multiple": rules.max_amplification}
            limit = (f"the video's reach limit ({rules.max_amplification:g}x its natural "
                     "plays)")
        elif "budget" in tight:
            form, figures = "budget", {"roi": round(bought.seg_roi[0], 2)}
            limit = (f"the budget: other purchases earn more than its ROI "
                     f"{figures['roi']:.2f} that day")
        else:
            form, figures = "returns", {"roi": round(bought.seg_roi[-1], 2)}
            limit = f"its falling returns past ROI {figures['roi']:.2f}"
        verdicts[video_id] = [reason(
            "burst_limited",
            f"burst day {day}: {spent:,} of the {round(target):,} yuan a burst aims at, held "
            f"back by {limit}",
            form=form, day=day.isoformat(), spent=spent, target=round(target), **figures)]
    return verdicts


def winner_verdicts(response: ResponseModel, result: SolveResult, campaign: Campaign,
                    rounded: dict[int, float]) -> dict[str, Reason]:
    """Per winner (``Signals.winners``), the limit that stops it scaling further, first
    found of: its reach, its video or KOL share cap, every purchase of it bought to its
    capacity (the tool's own daily cap when that set it), a tool's budget cap or the
    daily cap where it buys, the budget (its next yuan earns no more than the budget's
    last one elsewhere), or its falling returns. ``rounded``: the yuan each purchase
    buys in the plan."""
    if not response.winners:
        return {}
    tight = set(result.tight)
    spend_of: dict[str, list[tuple[Purchase, float]]] = defaultdict(list)
    book = response.purchases
    winners = np.flatnonzero(np.isin(book.video, book.codes_of(response.winners)))
    for p in book.at(winners.tolist()):
        spend_of[p.video_id].append((p, result.spend.get(p.index, 0.0)))
    verdicts: dict[str, Reason] = {}
    for video_id, (ratio, days) in sorted(response.winners.items()):
        items = spend_of.get(video_id, [])
        bought = [(p, s) for p, s in items if s > _SPENT]
        spent = round(sum(rounded.get(p.index, 0.0) for p, _ in bought))
        # The ROI of the next yuan each purchase could take (None: bought to capacity).
        room = [(p, _next_roi(p, s)) for p, s in items]
        open_rois = [r for _, r in room if r is not None]
        tools = {p.tool for p, _ in bought}
        capped_days = sorted({d for p, _ in bought for d in p.days
                              if daily_cap_name(d) in tight})
        figures: dict[str, ReasonParam]
        if amplification_name(video_id) in tight:
            form, figures = "reach", {"multiple": campaign.rules.max_amplification}
            limit = (f"its reach limit ({campaign.rules.max_amplification:g}x its natural "
                     "plays)")
        elif video_share_name(video_id) in tight:
            form, figures = "video_share", {"share": campaign.risk.max_video_share}
            limit = (f"the cap of {campaign.risk.max_video_share:.0%} of the budget on one "
                     "video ([risk] max_video_share)")
        elif kol_share_name(response.kol_of.get(video_id, "")) in tight:
            form, figures = "kol_share", {"share": campaign.risk.max_kol_share}
            limit = (f"the cap of {campaign.risk.max_kol_share:.0%} of the budget on one "
                     "KOL ([risk] max_kol_share)")
        elif bought and not open_rois:
            tool = max(tools, key=lambda t: sum(s for p, s in bought if p.tool is t))
            cap = campaign.tools[tool].max_daily
            widest = max(p.capacity for p, _ in bought if p.tool is tool) * KYUAN
            if cap is not None and widest >= cap - 1.0:
                form, figures = "tool_daily", {"tool": tool.value, "cap": round(cap)}
                limit = f"the {tool.value} cap of {cap:,.0f} yuan per video and day"
            else:
                form, figures = "capacity", {"tool": tool.value}
                limit = f"the most {tool.value} can buy on it each day"
        elif capped := [t for t in sorted(tools) if f"tool_budget_{t}" in tight]:
            tool = capped[0]
            cap = campaign.tools[tool].max_budget or 0.0
            form, figures = "tool_cap", {"tool": tool.value, "cap": round(cap)}
            limit = f"the {tool.value} budget cap of {cap:,.0f} yuan"
        elif capped_days:
            form = "daily_cap"
            figures = {"cap": round(campaign.daily_cap or 0), "capped": len(capped_days),
                       "first": capped_days[0].isoformat()}
            limit = (f"the daily cap of {figures['cap']:,} yuan, reached on "
                     f"{len(capped_days)} of its days (from {capped_days[0]})")
        elif "budget" in tight and open_rois:
            form, figures = "budget", {"budget": round(campaign.budget),
                                       "roi": round(max(open_rois), 2)}
            limit = (f"the budget of {campaign.budget:,.0f} yuan: its next yuan earns ROI "
                     f"{max(open_rois):.2f}, no more than the budget's last yuan elsewhere")
        else:
            roi = max(open_rois, default=0.0)
            form, figures = "returns", {"roi": round(roi, 2)}
            limit = f"its falling returns (its next yuan earns ROI {roi:.2f})"
        verdicts[video_id] = reason(
            "winner_limited",
            f"winner: sold {ratio:.1f}x what the model expected over {days} days; "
            f"{spent:,} yuan of new orders, held back by {limit}",
            form=form, ratio=round(ratio, 1), days=days, spent=spent, **figures)
    return verdicts


def test_reasons(response: ResponseModel, result: SolveResult, campaign: Campaign,
                 rounded: dict[int, float]) -> dict[tuple[str, Tool], Reason]:
    """Per tested video and tool, the reason labelling its orders a pressure test
    (``planner.uncertainty.pressure_tests``). A video the plan buys beyond its test
    anyway is no test: its orders say why they are bought as they are."""
    tests = result.model.coupling.tests
    found: dict[tuple[str, Tool], list[Purchase]] = defaultdict(list)
    beyond: set[tuple[str, Tool]] = set()
    for index in sorted(tests.spend):
        p = response.purchases[index]
        found[(p.video_id, p.tool)].append(p)
        if rounded.get(index, 0.0) > tests.spend[index] * KYUAN + 1.0:
            beyond.add((p.video_id, p.tool))
    for key in beyond:
        del found[key]
    out: dict[tuple[str, Tool], Reason] = {}
    for (video_id, tool), items in found.items():
        belief = response.beliefs[video_id]
        sigma = belief.total_sigma(campaign.risk)
        daily = round(tests.spend[items[0].index] * KYUAN)
        value = round(tests.value.get(video_id, 0.0) * KYUAN)
        out[(video_id, tool)] = reason(
            "pressure_test",
            f"pressure test: {daily:,} yuan of {tool.value} a day for {len(items)} days from "
            f"{items[0].days[0]}, on a video whose value is uncertain and could matter "
            f"({ROI_BASIS[belief.source]}, ROI range x{quantile_factor(sigma, -Z90):.2f}-"
            f"x{quantile_factor(sigma, Z90):.2f} of its estimate; value of information "
            f"{value:,} yuan of GMV at the plan's marginal ROI {tests.margin:.2f}): re-plans "
            "scale it once its evidence clears the floor",
            tool=tool.value, daily=daily, days=len(items), first=items[0].days[0].isoformat(),
            basis=belief.source, low=round(quantile_factor(sigma, -Z90), 2),
            high=round(quantile_factor(sigma, Z90), 2), value=value,
            margin=round(tests.margin, 2))
    return out


# Thousand yuan below which a purchase counts as not bought.
_SPENT = 1e-6


def _next_roi(p: Purchase, spend: float) -> float | None:
    """The ROI of the next yuan ``p`` could take at ``spend`` (thousand yuan); None when it
    is bought to its capacity."""
    for roi, width in zip(p.seg_roi, p.seg_width, strict=True):
        if spend < width - _SPENT:
            return roi
        spend -= width
    return None


def describe_binding(
    result: SolveResult, response: ResponseModel, campaign: Campaign, unspent: float
) -> list[Line]:
    """The limits that stop further spending, as codes and figures (``line_text`` says them)."""
    lines: list[Line] = []
    model = result.model
    book = response.purchases
    by_family: dict[str, list[str]] = defaultdict(list)
    family = model.family_of
    for name in result.tight:
        by_family[family[name]].append(name)
    budget_full = "budget" in by_family
    left = round(unspent)
    if budget_full:
        lines.append(_line("budget_full", budget=round(campaign.budget)))
    if "daily_cap" in by_family:
        days = sorted(by_family["daily_cap"])
        lines.append(_line("daily_cap", cap=round(campaign.daily_cap or 0), days=len(days),
                           first=_day_of(days[0])))
    for name in by_family.get("tool_budget", []):
        tool = Tool(name.removeprefix("tool_budget_"))
        lines.append(_line("tool_cap", tool=tool.value,
                           cap=round(campaign.tools[tool].max_budget or 0)))
    for name in by_family.get("balance", []):
        if name == "seeding_share_min":
            lines.append(_line("seeding_min", share=campaign.balance.min_seeding_share))
        else:
            lines.append(_line("seeding_max", share=campaign.balance.max_seeding_share))
    if by_family.get("balance") and response.kol_fees > 0:
        # KOL fees count as seeding: say how much of the share they alone take.
        fees = response.kol_fees * KYUAN
        lines.append(_line("seeding_fees", fees=round(fees),
                           share=round(fees / (fees + campaign.budget), 4)))
    pool_binds = bool(by_family.get("audience_pool"))
    if pool_binds:
        lines.append(_audience_pool_line(by_family["audience_pool"], response, campaign))
    if "amplification" in by_family:
        # The row names, not their words (said in the buyer's language), give the videos.
        named = {amplification_name(video_id): video_id
                 for video_id in response.purchases.videos}
        videos = [named[n] for n in by_family["amplification"] if n in named]
        lines.append(_line(
            "reach_limit", count=len(videos), multiple=campaign.rules.max_amplification,
            videos=", ".join(videos[:5]) + ("..." if len(videos) > 5 else "")))
    if "live_room" in by_family:
        # Direct live-room buying at its share of the day's short-video spend [seed].
        days = sorted(by_family["live_room"])
        lines.append(_line("live_room_direct", share=campaign.live_room_traffic.direct_cap,
                           days=len(days), first=_day_of(days[0])))
    phase_rows = by_family.get("phase_budget", [])
    lines.extend(phase_budget_lines(phase_rows, model.rows))
    shares = set(by_family.get("concentration", []))
    if shares:
        videos = response.purchases.video_ids()
        capped = [v for v in videos if video_share_name(v) in shares]
        kols = [k for k in sorted({response.kol_of.get(v, v) for v in videos})
                if kol_share_name(k) in shares]
        if capped:
            lines.append(_line("video_share", count=len(capped),
                               share=campaign.risk.max_video_share, videos=_first_few(capped)))
        if kols:
            lines.append(_line("kol_share", count=len(kols), share=campaign.risk.max_kol_share,
                               kols=_first_few(kols)))
    if budget_full and unspent >= 1.0:
        lines.append(_line("rounding", unspent=left))
    elif unspent >= 1.0 and len(book) and unspent < book.min_order.min() * KYUAN:
        smallest = book[int(np.argmin(book.min_order))]  # the first of the smallest
        lines.append(_line("below_min_order", unspent=left, tool=smallest.tool.value,
                           min=round(smallest.min_order * KYUAN)))
    elif unspent >= 1.0 and result.stopped:
        # Cut by the time limit: the money is unspent because the search stopped, not
        # because nothing more was worth buying.
        lines.append(_line("unspent_search_stopped", unspent=left,
                           limit=f"{campaign.solver.time_limit_s:g}"))
    elif unspent >= 1.0 and pool_binds and not book.seeding.any():
        # Nothing on offer builds the pool: only more seeding would let harvesting grow.
        # (With seeding on offer the plan already bought all of it worth buying.)
        lines.append(_line("unspent_audience_pool", unspent=left))
    elif unspent >= 1.0 and any(n.startswith(("phase_max_share", "phase_max_daily"))
                                for n in phase_rows):
        lines.append(_line("unspent_phase_budget", unspent=left))
    elif unspent >= 1.0 and not shares:
        # Purchases bought to their capacity (one with no capacity among them, as ever).
        spent = np.zeros(len(book))
        for index, amount in result.spend.items():
            spent[index] = amount
        full = int(np.count_nonzero(spent >= book.capacity() - 1e-6))
        lines.append(_line("nothing_above_floor", unspent=left,
                           floor=round(campaign.effective_roi_floor, 2), full=full))
    lines.extend(lock_in_impossible(campaign))
    return lines


def phase_budget_lines(names: list[str], rows: Rows) -> list[Line]:
    """The buyer's phase budgets that bind, with their figures: a share once, a daily
    amount once per phase with its number of days and the first of them."""
    limit_of = dict(zip(rows.names, rows.limits, strict=True))
    shares: list[Line] = []
    daily: dict[tuple[str, str, str], list[dict[str, ReasonParam]]] = {}
    for name in names:
        code, found = limit_of[name]
        figures: dict[str, ReasonParam] = dict(found or {})
        if code.endswith("_share"):
            shares.append(_line(code, **figures))
        else:
            daily.setdefault((code, str(figures["sale"]), str(figures["phase"])),
                             []).append(figures)
    lines = shares
    for (code, _, _), days in daily.items():
        first = min(days, key=lambda f: str(f["day"]))
        lines.append(_line(code, sale=first["sale"], phase=first["phase"],
                           amount=round(float(first["amount"])), days=len(days),
                           first=first["day"]))
    return lines


def _audience_pool_line(names: list[str], response: ResponseModel,
                        campaign: Campaign) -> Line:
    """Which weeks harvesting is held by the audience seeding has built (its rows' names)."""
    period = campaign.harvest.period_days
    starts = sorted({date.fromisoformat(_day_of(n)) for n in names})
    last = min(starts[-1] + timedelta(days=period - 1), response.days[-1])
    first_week, last_week = _week_of(starts[0], campaign), _week_of(last, campaign)
    # One week is said as one ("week 1"), never as a range of one ("weeks 1-1").
    form = {"form": "one_week"} if first_week == last_week else {}
    return _line("audience_pool", **form, first_week=first_week, last_week=last_week,
                 first=starts[0].isoformat(), last=last.isoformat(),
                 periods=len(starts), reach=campaign.harvest.daily_pool_reach)


def _week_of(day: date, campaign: Campaign) -> int:
    """The campaign week ``day`` falls in (week 1 starts on the campaign's first day)."""
    return (day - campaign.start).days // 7 + 1


def lock_in_impossible(campaign: Campaign) -> list[Line]:
    """Each sale content service can no longer be locked for: once, with the date it needed.

    A lock-in is booked ``lock_in_days`` before the sale [seed]; a plan dated later
    cannot book one, whatever the videos.
    """
    if Tool.CONTENT_SERVICE not in campaign.chain_tools():
        return []
    plan_date = campaign.effective_plan_date
    lines = []
    for sale in campaign.big_sales:
        booking = sale.start - timedelta(days=campaign.rules.lock_in_days)
        if booking < plan_date <= sale.end:
            lines.append(_line("lock_in_impossible", sale=sale.name,
                               start=sale.start.isoformat(), booking=booking.isoformat(),
                               days=campaign.rules.lock_in_days,
                               plan_date=plan_date.isoformat()))
    return lines


def with_named_fees(error: InfeasibleError, response: ResponseModel,
                    campaign: Campaign) -> InfeasibleError:
    """An infeasible seeding cap names the KOL fees that fill it (they count as seeding)."""
    fees = response.kol_fees * KYUAN
    cap = campaign.balance.max_seeding_share
    if fees <= 0 or cap >= 1:
        return error
    needed = fees * (1 - cap) / cap if cap > 0 else float("inf")
    line = _line("seeding_fees_infeasible", fees=round(fees),
                 share=round(fees / (fees + campaign.budget), 4), cap=cap,
                 harvest=round(needed) if cap > 0 else 0)
    message = str(error).split("\n", 1)[0]
    return InfeasibleError(message, [*error.conflicts, line_text(line)])


def assumptions(campaign: Campaign) -> list[Line]:
    """The model's assumptions, so the buyer can judge the expected figures."""
    r, resp = campaign.rules, campaign.response
    segments: dict[str, ReasonParam] = {}
    for i, (w, f) in enumerate(zip(resp.segment_widths, resp.segment_roi, strict=True), 1):
        segments[f"w{i}"], segments[f"r{i}"] = w, f
    half_lives = campaign.tiers.freshness_half_life_days.values()
    code, figures = campaign.roi_floor_line
    return [
        _line(code, **figures),
        _line("traffic_roi", cpm=campaign.reference_cpm),
        _line("diminishing", **segments),
        _line("freshness", fastest=min(half_lives), slowest=max(half_lives)),
        _line("big_sale", conversion=campaign.sale.conversion_multiplier,
              cpm=campaign.tools[Tool.KOL_BIDDING].sale_price_multiplier,
              dou_plus=campaign.tools[Tool.DOU_PLUS].sale_capacity_multiplier),
        _line("reach_cap", multiple=r.max_amplification),
        _line("seeding_share", low=campaign.balance.min_seeding_share,
              high=campaign.balance.max_seeding_share),
    ]


def _first_few(names: list[str]) -> str:
    return ", ".join(names[:5]) + ("..." if len(names) > 5 else "")


def _line(code: str, **params: ReasonParam) -> Line:
    return Line(code=code, params=params or None)


def _day_of(constraint_name: str) -> str:
    raw = constraint_name.rsplit("_", 1)[-1]
    return f"{raw[:4]}-{raw[4:6]}-{raw[6:]}"
