# Long on purpose: one re-plan, from the recorded plan and actuals to the new plan and diff.
"""Re-plan the rest of a campaign from daily actuals (pure: no files, no store).

Money already spent becomes fixed commitments (with the GMV it really made, or
the model's estimate while the GMV is unknown: a spend-only report whose shop GMV
has not arrived yet), a planned line of a past day no actuals file reports counts
as spent as planned (``--unreported zero``: it did not run), content-service
orders the previous plan booked stay fixed (one-shot, not changeable mid-way),
the ROI estimates learn from the actuals with a known GMV, and the remaining
budget is optimised over the remaining days with the same rules as a fresh plan.
The result carries the changes against the previous plan.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

import pandas as pd

from planner.config import Campaign, Commitment
from planner.errors import InfeasibleError, InputError, Problem
from planner.frames import gmv_known, records
from planner.i18n import chain_name, line_text, t, tool_name
from planner.learning import Learning, learn
from planner.models import (
    Change,
    DailySpend,
    LearnedRoi,
    Line,
    Mode,
    Order,
    Plan,
    PlanVsActual,
    PvaStatus,
    Reason,
    Topup,
    Video,
)
from planner.planning import Planner, assess_roster
from planner.reasons import reason
from planner.tools import CHAIN_TOOLS, Tool

_EPS = 1.0  # yuan: smaller differences are rounding, not changes
# What the re-plan takes a planned line of a past day no actuals file reports for:
# spent as planned (the safe default: the budget never gets it back by accident) or
# not run at all (the buyer says so with ``--unreported zero``).
Unreported = Literal["planned", "zero"]
UNREPORTED_CHOICES: tuple[Unreported, ...] = ("planned", "zero")
# Booked whole and never optimised mid-way [seed]: content service.
ONE_SHOT_TOOLS: frozenset[str] = frozenset({Tool.CONTENT_SERVICE.value})


def chain_problems(actuals: pd.DataFrame, campaign: Campaign, source: str,
                   origins: Sequence[tuple[str, int | None]] | None = None) -> list[Problem]:
    """One problem per file and tool the campaign's chain does not buy through.

    A 千川 export uploaded for a Tmall campaign is one mistake, not one per row: the
    problem names the tool, the chain it belongs to, the campaign's chain and what to
    do, and the rows it covers. The app checks this as a file arrives; the re-plan
    checks it again (``check_actuals``) with the same words.
    """
    chain_tools = CHAIN_TOOLS[campaign.chain]
    tools = {tool.value for tool in chain_tools}
    foreign: dict[tuple[str, str], list[int]] = defaultdict(list)
    for position, tool in enumerate(actuals["tool"] if "tool" in actuals else ()):
        if str(tool) in tools:
            continue
        file, number = (origins[position] if origins is not None
                        else (source, position + 2))
        rows = foreign[(file, str(tool))]
        if number is not None:
            rows.append(number)
    problems: list[Problem] = []
    for (file, tool), rows in foreign.items():
        owners = [chain for chain, members in CHAIN_TOOLS.items()
                  if any(m.value == tool for m in members)]
        fix = (t("error.replan.other_chain_fix", tools=t("list.sep").join(
                   tool_name(m.value) for m in chain_tools),
                 other=t("list.sep").join(chain_name(c) for c in owners))
               if owners else
               t("error.fix.use_one_of", accepted=t("list.sep").join(
                   tool_name(m.value) for m in chain_tools)))
        problems.append(Problem(
            t("error.replan.other_chain", tool=tool_name(tool), count=max(len(rows), 1),
              owner=t("list.sep").join(chain_name(c) for c in owners) or t("error.none"),
              campaign=campaign.name, chain=chain_name(campaign.chain)),
            file=file, row=rows[0] if len(rows) == 1 else None, fix=fix,
        ))
    return problems


def check_actuals(actuals: pd.DataFrame, videos: Sequence[Video], campaign: Campaign,
                  plan_date: date, source: str,
                  origins: Sequence[tuple[str, int | None]] | None = None) -> None:
    """Actuals must name known videos and chain tools, and lie before the re-plan date.

    ``origins`` says, row by row, the file and row each came from (several files
    merged, or a platform export whose rows were added up); without it the rows are
    ``source``'s, numbered from 2.
    """
    known = {v.video_id for v in videos}
    problems = chain_problems(actuals, campaign, source, origins)
    for position, row in enumerate(records(actuals)):
        source, number = (origins[position] if origins is not None
                          else (source, position + 2))
        if row["video_id"] not in known:
            problems.append(Problem(
                t("error.replan.unknown_video", video=row["video_id"]), file=source, row=number,
                column="video_id", fix=t("error.replan.unknown_video_fix"),
            ))
        if row["date"] >= plan_date:
            problems.append(Problem(
                t("error.replan.future_actuals", date=row["date"], plan_date=plan_date),
                file=source, row=number, column="date",
                fix=t("error.replan.future_actuals_fix"),
            ))
        elif row["date"] < campaign.start:
            problems.append(Problem(
                t("error.replan.before_start", date=row["date"], start=campaign.start),
                file=source, row=number, column="date", fix=t("error.replan.before_start_fix"),
            ))
    if problems:
        raise InputError(problems)


def booked_content_service(previous: Plan | None, plan_date: date) -> list[Commitment]:
    """Content-service orders the previous plan booked before ``plan_date``: one-shot, fixed.

    Each stays whole, with its original dates, budget and booking date, also when it
    started days ago (it runs to its end); the response model then blocks Dou+ on that
    video inside its window.
    """
    if previous is None:
        return []
    return [
        Commitment(video_id=o.video_id, tool=o.tool, start=o.start_date, end=o.end_date,
                   budget=o.budget, booking_date=o.booking_date)
        for o in previous.orders
        if o.tool is Tool.CONTENT_SERVICE and o.booking_date < plan_date
    ]


def check_one_shot_spend(actuals: pd.DataFrame, booked: Sequence[Commitment]) -> None:
    """Every yuan of one-shot (content-service) spend must belong to a booked order.

    A content-service order is booked whole and runs to its end whatever the re-plan
    says [seed: one-shot]; spend the planner cannot tie to such an order means it does
    not know the order's dates and budget, and would silently plan around (or against)
    a schedule that is still running.
    """
    covered = {(c.video_id, d) for c in booked for d in c.days()}
    problems = [
        Problem(
            t("error.replan.unbooked", tool=tool_name(row["tool"]),
              spend=f"{float(row['spend']):,.0f}", video=row["video_id"], date=row["date"]),
            column="tool", fix=t("error.replan.unbooked_fix"),
        )
        for row in records(actuals.sort_values(["date", "video_id", "tool"]))
        if row["tool"] in ONE_SHOT_TOOLS and row["spend"] > 0
        and (row["video_id"], row["date"]) not in covered
    ]
    if problems:
        raise InputError(problems)


def remaining_commitments(campaign: Campaign, plan_date: date) -> list[Commitment]:
    """The campaign's own daily commitments from ``plan_date`` on (earlier days are in the
    actuals); its content-service orders are one-shot and stay whole (see ``booked``)."""
    out = []
    for c in campaign.commitments:
        if c.tool is Tool.CONTENT_SERVICE:
            continue
        days = c.days()
        left = [d for d in days if d >= plan_date]
        if not left:
            continue
        out.append(c.model_copy(update={
            "start": left[0], "budget": c.budget * len(left) / len(days),
        }))
    return out


def _unique(orders: list[Commitment]) -> list[Commitment]:
    """One entry per booked order (the previous plan repeats the campaign's own)."""
    seen: set[tuple[str, date, date, float]] = set()
    out = []
    for c in orders:
        key = (c.video_id, c.start, c.end, round(c.budget, 2))
        if key not in seen:
            seen.add(key)
            out.append(c)
    return out


def spent_commitments(actuals: pd.DataFrame, plan_date: date,
                      booked: Sequence[Commitment]) -> list[Commitment]:
    """Every yuan spent before ``plan_date`` as a one-day commitment with its real GMV
    (unknown GMV: the response model's estimate, until the shop's GMV file arrives)."""
    covered = {(c.video_id, d) for c in booked for d in c.days()}
    out = []
    for row in records(actuals.sort_values(["date", "video_id", "tool"])):
        if row["date"] >= plan_date or row["spend"] <= 0:
            continue
        if row["tool"] == Tool.CONTENT_SERVICE and (row["video_id"], row["date"]) in covered:
            continue  # the booked order already counts this money
        out.append(Commitment(video_id=row["video_id"], tool=Tool(row["tool"]),
                              start=row["date"], end=row["date"], budget=float(row["spend"]),
                              realised_gmv=float(row["gmv"]) if gmv_known(row["gmv"]) else None))
    return out


def planned_before(planned: Mapping[date, Sequence[DailySpend]],
                   plan_date: date) -> dict[tuple[date, str, Tool], tuple[float, float]]:
    """(spend, expected GMV) per day before ``plan_date``, video and tool, as the plan in
    force that day scheduled it: the latest recorded plan made on or before the day."""
    made = sorted(planned)
    cells: dict[tuple[date, str, Tool], tuple[float, float]] = {}
    for on in made:
        for row in planned[on]:
            if row.date < plan_date and made[bisect_right(made, row.date) - 1] == on:
                key = (row.date, row.video_id, row.tool)
                spend, gmv = cells.get(key, (0.0, 0.0))
                cells[key] = (spend + row.spend, gmv + row.expected_gmv)
    return cells


def unreported_lines(planned: Mapping[date, Sequence[DailySpend]], actuals: pd.DataFrame,
                     plan_date: date) -> list[DailySpend]:
    """Planned lines of past days that no actuals row reports (by date, video and tool)."""
    reported = {(r["date"], str(r["video_id"]), str(r["tool"])) for r in records(actuals)
                if r["date"] < plan_date}
    return [
        DailySpend(date=day, video_id=video_id, tool=tool, spend=round(spend, 2),
                   expected_gmv=round(gmv, 2))
        for (day, video_id, tool), (spend, gmv)
        in sorted(planned_before(planned, plan_date).items())
        if spend > 0 and (day, video_id, tool.value) not in reported
    ]


def unreported_commitments(missing: Sequence[DailySpend], booked: Sequence[Commitment],
                           known: set[str]) -> list[Commitment]:
    """Each unreported planned line as money spent as planned (its GMV: the model's).

    A booked one-shot order already counts its days whole, so its lines add nothing;
    lines of videos no longer in the roster (``known``) cannot be committed to.
    """
    covered = {(c.video_id, d) for c in booked for d in c.days()}
    return [Commitment(video_id=r.video_id, tool=r.tool, start=r.date, end=r.date,
                       budget=r.spend) for r in missing
            if (r.video_id, r.date) not in covered and r.video_id in known]


# Unreported lines a warning names one by one; plan_vs_actual lists them all.
UNREPORTED_SHOWN = 5


def unreported_warning(plan: Plan, unreported: Unreported = "planned") -> str | None:
    """One sentence listing the planned lines no actuals file reported, and what the
    re-plan took them for (spent as planned, or not run); None when every line was."""
    missing = [r for r in plan.plan_vs_actual if r.status == "unreported"]
    if not missing:
        return None
    lines = t("list.sep").join(
        t("replan.unreported_line", date=r.date, video=r.video_id, tool=tool_name(r.tool),
          spend=f"{r.planned_spend:,.2f}") for r in missing[:UNREPORTED_SHOWN])
    if len(missing) > UNREPORTED_SHOWN:
        # A cron mail of 400 lines hides the point: the first few, the count, where the rest is.
        lines += t("replan.unreported_more", count=len(missing) - UNREPORTED_SHOWN,
                   first=missing[0].date, last=missing[-1].date)
    return t(f"replan.unreported_{unreported}", count=len(missing),
             spend=f"{sum(r.planned_spend for r in missing):,.2f}", lines=lines)


def plan_vs_actual(planned: Mapping[date, Sequence[DailySpend]], actuals: pd.DataFrame,
                   plan_date: date, unreported: Unreported = "planned",
                   booked: Sequence[Commitment] = ()) -> list[PlanVsActual]:
    """Per day before ``plan_date``, video and tool: the plan in force that day against
    the actuals. ``planned`` maps each recorded plan's date to its schedule; the plan in
    force on a day is the latest one made on or before it.

    ``status`` says how the line was reported: ``reported``; ``gmv_unknown`` (spend
    without GMV yet: ``actual_gmv`` null, never 0); ``unreported`` (planned, no actuals
    file names it: ``actual_spend`` null). ``counted_spend`` is what the budget counts:
    the actual spend, or for an unreported line its planned spend (``unreported =
    "zero"``: 0, except on the days of a ``booked`` one-shot order, which runs whole).
    """
    made = sorted(planned)
    cells: dict[tuple[date, str, Tool], list[float]] = defaultdict(lambda: [0.0] * 4)
    for key, (spend, gmv) in planned_before(planned, plan_date).items():
        cells[key][0] += spend
        cells[key][1] += gmv
    reported: set[tuple[date, str, Tool]] = set()
    unknown: set[tuple[date, str, Tool]] = set()
    for actual in records(actuals):
        if actual["date"] < plan_date:
            key = (actual["date"], str(actual["video_id"]), Tool(str(actual["tool"])))
            cell = cells[key]
            reported.add(key)
            cell[2] += float(actual["spend"])
            if gmv_known(actual["gmv"]):
                cell[3] += float(actual["gmv"])
            else:
                unknown.add(key)
    not_reported = {(r.date, r.video_id, r.tool)
                    for r in unreported_lines(planned, actuals, plan_date)}
    covered = {(c.video_id, d) for c in booked for d in c.days()}

    def ratio(gmv: float, spend: float) -> float | None:
        return round(gmv / spend, 4) if spend > 0 else None

    out = []
    for key, (p_spend, p_gmv, a_spend, a_gmv) in sorted(cells.items()):
        day, video_id, tool = key
        if key not in reported and key not in not_reported:
            continue  # planned nothing, reported nothing (or a booked order's day)
        index = bisect_right(made, day) - 1
        status: PvaStatus = ("unreported" if key in not_reported
                             else "gmv_unknown" if key in unknown else "reported")
        spent: float | None = None if status == "unreported" else round(a_spend, 2)
        sold: float | None = round(a_gmv, 2) if status == "reported" else None
        if spent is not None:
            counted = a_spend
        elif unreported == "planned" or (video_id, day) in covered:
            counted = p_spend
        else:
            counted = 0.0
        out.append(PlanVsActual(
            date=day, video_id=video_id, tool=tool,
            planned_on=made[index] if index >= 0 else None,
            planned_spend=round(p_spend, 2), actual_spend=spent,
            planned_gmv=round(p_gmv, 2), actual_gmv=sold,
            planned_roi=ratio(p_gmv, p_spend),
            actual_roi=None if spent is None or sold is None else ratio(sold, spent),
            status=status, counted_spend=round(counted, 2),
        ))
    return out


def replan(videos: Sequence[Video], campaign: Campaign, actuals: pd.DataFrame,
           plan_date: date, previous: Plan | None = None, *,
           planned: Mapping[date, Sequence[DailySpend]] | None = None,
           source: str = "actuals", unreported: Unreported = "planned") -> Plan:
    """A fresh plan for ``plan_date`` onwards that learns from every actual before it.

    Actuals dated ``plan_date`` or later are ignored, so an earlier day can be re-run
    after later days were ingested and gives the same plan as the first time.
    ``planned`` (the schedules of the recorded plans, by plan date; default: the
    previous plan's) feeds ``plan_vs_actual`` and tells which planned lines of past
    days no actuals row reports: ``unreported = "planned"`` counts each as spent as
    planned, ``"zero"`` as not run. Every yuan counted before ``plan_date`` is a
    commitment against the budget, the daily caps and the rules, whether its GMV is
    known or not; only rows with a known GMV teach the ROI estimates.
    """
    if len(actuals):
        actuals = actuals[actuals["date"] < plan_date]
    check_actuals(actuals, videos, campaign, plan_date, source)
    if planned is None:
        planned = {} if previous is None else {previous.plan_date: previous.daily}
    booked = _unique([
        *booked_content_service(previous, plan_date),
        *(c for c in campaign.commitments if c.tool is Tool.CONTENT_SERVICE),
    ])
    check_one_shot_spend(actuals, booked)
    tools = set(CHAIN_TOOLS[campaign.chain])
    missing = [r for r in unreported_lines(planned, actuals, plan_date) if r.tool in tools]
    commitments = [
        *spent_commitments(actuals, plan_date, booked),
        *(unreported_commitments(missing, booked, {v.video_id for v in videos})
          if unreported == "planned" else []),
        *booked,
        *remaining_commitments(campaign, plan_date),
    ]
    updated = Campaign.model_validate({
        **campaign.model_dump(), "plan_date": plan_date, "commitments": [
            c.model_dump() for c in commitments
        ],
    })
    learning = learn(actuals, assess_roster(videos, updated), updated, plan_date)
    planner = Planner(videos, updated, signals=learning.signals)
    plan = add_topups(planner, planner.plan(), learning, updated, plan_date)
    report = plan_vs_actual(planned, actuals, plan_date, unreported, booked)
    spent = round(sum(r.counted_spend or 0.0 for r in report), 2)
    return plan.model_copy(update={
        "changes": diff_plans(previous, plan, plan_date, learning),
        "plan_vs_actual": report,
        "spent_to_date": spent,
        "budget_left": round(campaign.budget - spent, 2),
        "learned": [
            LearnedRoi(video_id=e.video_id, tool=e.tool, spend=round(e.spend, 2),
                       gmv=round(e.gmv, 2), prior_roi=round(e.prior_roi, 4),
                       observed_roi=round(e.observed_roi, 4),
                       learned_roi=round(e.learned_roi, 4))
            for e in learning.estimates
        ],
    })


@dataclass(frozen=True)
class _Peak:
    """A video whose Dou+ peaks today: the top-up it asks for and the ROI behind it."""

    video_id: str
    wanted: float
    learned: float
    observed: float
    hours: Literal[2, 6]


def roi_peaks(plan: Plan, learning: Learning, campaign: Campaign,
              plan_date: date) -> list[_Peak]:
    """Videos whose learned and observed Dou+ ROI both peak [seed: real-time buying]."""
    cfg = campaign.learning
    floor = campaign.effective_roi_floor
    learned = {(e.video_id, e.tool): e.learned_roi for e in learning.estimates}
    observed = {(e.video_id, e.tool): e.observed_roi for e in learning.estimates}
    minimum = campaign.tools[Tool.DOU_PLUS].min_order
    out = []
    for row in plan.daily:
        if row.date != plan_date or row.tool is not Tool.DOU_PLUS:
            continue
        roi = learned.get((row.video_id, Tool.DOU_PLUS))
        seen = observed.get((row.video_id, Tool.DOU_PLUS), 0.0)
        # A peak needs both: the estimate and what Dou+ really sold on this video.
        if roi is None or min(roi, seen) < floor * cfg.topup_roi_multiple:
            continue
        wanted = row.spend * cfg.topup_share
        if wanted < minimum:
            continue
        hours: Literal[2, 6] = (
            2 if row.video_id in learning.signals.burst or roi >= 2 * floor else 6)
        out.append(_Peak(row.video_id, wanted, roi, seen, hours))
    return sorted(out, key=lambda p: (-min(p.learned, p.observed), p.video_id))


def add_topups(planner: Planner, plan: Plan, learning: Learning, campaign: Campaign,
               plan_date: date) -> Plan:
    """Add a 2h/6h Dou+ top-up on top of today's Dou+ where the ROI peaks [seed].

    The top-up is extra money for the order-peak hours, not a slice of the day's 24h
    order: ``topup_share`` of that order, within the campaign budget and the daily
    cap. When the budget is already fully allocated, the plan is solved again with
    the top-ups set aside, so the optimiser takes the money from the least valuable
    spending elsewhere. A top-up is valued at the lower of the learned and the
    observed Dou+ ROI.
    """
    peaks = roi_peaks(plan, learning, campaign, plan_date)
    if not peaks:
        return plan
    wanted = sum(p.wanted for p in peaks)
    base, reserved = plan, 0.0
    if plan.unspent < wanted:
        try:
            base = planner.plan(budget=campaign.budget - wanted)
            reserved = wanted
        except InfeasibleError:  # booked money leaves no room to set aside: use what is left
            base = plan
    cfg = campaign.tools[Tool.DOU_PLUS]
    today = sum(r.spend for r in base.daily if r.date == plan_date)
    cap_room = math.inf if campaign.daily_cap is None else campaign.daily_cap - today
    budget_room = campaign.budget - base.total_spend
    day_dou_plus = {r.video_id: r.spend for r in base.daily
                    if r.date == plan_date and r.tool is Tool.DOU_PLUS}
    floor = campaign.effective_roi_floor
    added: list[tuple[Topup, float]] = []
    for peak in peaks:
        spend = day_dou_plus.get(peak.video_id, 0.0)
        amount = min(spend * campaign.learning.topup_share, cap_room, budget_room)
        amount = math.floor(amount / cfg.order_step + 1e-9) * cfg.order_step
        if spend <= 0 or amount < cfg.min_order:
            continue
        cap_room -= amount
        budget_room -= amount
        roi = min(peak.learned, peak.observed)
        text = (f"ROI peak: learned Dou+ ROI {peak.learned:.2f}, observed {peak.observed:.2f} "
                f"(floor {floor:.2f}): {amount:,.0f} yuan added on top of today's "
                f"{spend:,.0f}-yuan 24h order as a {peak.hours}h top-up in the order peak "
                f"(Dou+ today {spend + amount:,.0f}), within the budget and the daily cap")
        if reserved:
            text += "; the budget is fully used, so the rest of the plan makes room for it"
        why = reason("topup_roi_peak", text, learned=round(peak.learned, 2),
                     observed=round(peak.observed, 2), floor=round(floor, 2),
                     amount=round(amount), spend=round(spend), hours=peak.hours,
                     total=round(spend + amount), **({"form": "reserved"} if reserved else {}))
        added.append((Topup(video_id=peak.video_id, date=plan_date, hours=peak.hours,
                            budget=float(amount), reason=why), roi))
    if not added:  # nothing fits after all: keep the plan solved at the full budget
        return plan
    return _with_topups(base, added, campaign, plan_date, reserved)


def _with_topups(plan: Plan, added: list[tuple[Topup, float]], campaign: Campaign,
                 plan_date: date, reserved: float) -> Plan:
    """The plan with each top-up in today's Dou+ row, its order and the headline figures."""
    extra = {t.video_id: (t.budget, t.budget * roi, t.reason) for t, roi in added}
    spend = sum(t.budget for t, _ in added)
    gmv = sum(g for _, g, _ in extra.values())
    daily = [
        r.model_copy(update={"spend": round(r.spend + extra[r.video_id][0], 2),
                             "expected_gmv": round(r.expected_gmv + extra[r.video_id][1], 2)})
        if r.date == plan_date and r.tool is Tool.DOU_PLUS and r.video_id in extra else r
        for r in plan.daily
    ]
    orders = [
        o.model_copy(update={
            "budget": round(o.budget + extra[o.video_id][0], 2),
            "expected_gmv": round(o.expected_gmv + extra[o.video_id][1], 2),
            "reasons": [*o.reasons, extra[o.video_id][2]],
        })
        if o.tool is Tool.DOU_PLUS and not o.fixed and o.video_id in extra
        and o.start_date <= plan_date <= o.end_date else o
        for o in plan.orders
    ]
    total = plan.total_spend + spend
    expected = plan.expected_gmv + gmv
    bound = plan.bound_gmv + gmv
    everything = plan.kol_fees + plan.total_spend
    seeding = plan.seeding_share * everything + spend
    binding, lines = plan.binding, plan.binding_lines
    if reserved and len(lines) == len(binding):
        # The solve saw the budget less the top-ups: say the whole budget is allocated.
        solved_at = round(campaign.budget - reserved)
        lines = [
            Line(code="budget_full", params={"form": "topups", "budget": round(campaign.budget),
                                             "topups": round(spend)})
            if line.code == "budget_full" and line.params
            and line.params.get("budget") == solved_at else line
            for line in lines
        ]
        binding = [line_text(line) for line in lines]
    return plan.model_copy(update={
        "budget": campaign.budget,
        "daily": daily,
        "orders": orders,
        "topups": [t for t, _ in added],
        "total_spend": round(total, 2),
        "unspent": round(max(0.0, campaign.budget - total), 2),
        "expected_gmv": round(expected, 2),
        "bound_gmv": round(bound, 2),
        "gap": round(0.0 if bound <= 0 else max(0.0, (bound - expected) / bound), 6),
        "expected_roi": round(expected / total, 4) if total else 0.0,
        "seeding_share": round(seeding / (everything + spend), 4) if everything + spend else 0.0,
        "binding": binding,
        "binding_lines": lines,
    })


def _remaining(plan: Plan, plan_date: date,
               skip: set[tuple[str, Tool, date]]) -> dict[tuple[str, Tool], float]:
    out: dict[tuple[str, Tool], float] = defaultdict(float)
    for row in plan.daily:
        if row.date >= plan_date and (row.video_id, row.tool, row.date) not in skip:
            out[(row.video_id, row.tool)] += row.spend
    return out


def _kept_one_shot(previous: Plan, plan: Plan) -> set[tuple[str, Tool, date]]:
    """Days of booked one-shot orders the new plan keeps exactly as the previous one had
    them: not a change, even where the two plans spread the order over its days apart."""
    def key(o: Order) -> tuple[str, Tool, date, date, float]:
        return (o.video_id, o.tool, o.start_date, o.end_date, round(o.budget, 2))

    before = {key(o) for o in previous.orders if o.tool.value in ONE_SHOT_TOOLS}
    return {
        (o.video_id, o.tool, o.start_date + timedelta(days=i))
        for o in plan.orders
        if o.fixed and o.tool.value in ONE_SHOT_TOOLS and key(o) in before
        for i in range((o.end_date - o.start_date).days + 1)
    }


def _mode_on(plan: Plan, video_id: str, tool: Tool, plan_date: date) -> Mode | None:
    orders = sorted(
        (o for o in plan.orders
         if o.video_id == video_id and o.tool is tool and o.end_date >= plan_date),
        key=lambda o: o.start_date,
    )
    return orders[0].mode if orders else None


def diff_plans(previous: Plan | None, plan: Plan, plan_date: date,
               learning: Learning) -> list[Change]:
    """Per video and tool, how the budget from ``plan_date`` on changed, and why."""
    if previous is None:
        return []
    kept = _kept_one_shot(previous, plan)
    old, new = _remaining(previous, plan_date, kept), _remaining(plan, plan_date, kept)
    changes = []
    for key in sorted(set(old) | set(new)):
        video_id, tool = key
        before, after = old.get(key, 0.0), new.get(key, 0.0)
        old_mode = _mode_on(previous, video_id, tool, plan_date)
        new_mode = _mode_on(plan, video_id, tool, plan_date)
        if before < _EPS <= after:
            kind = "added"
        elif after < _EPS <= before:
            kind = "removed"
        elif old_mode and new_mode and old_mode != new_mode:
            kind = "mode_switched"
        elif after - before >= max(_EPS, 0.01 * before):
            kind = "increased"
        elif before - after >= max(_EPS, 0.01 * before):
            kind = "decreased"
        else:
            continue
        changes.append(Change(
            video_id=video_id, tool=tool, kind=kind, old_budget=round(before, 2),
            new_budget=round(after, 2), old_mode=old_mode, new_mode=new_mode,
            reason=_why(key, kind, before, after, learning),
        ))
    return changes


def _why(key: tuple[str, Tool], kind: str, before: float, after: float,
         learning: Learning) -> Reason:
    learned = learning.signals.reasons.get(key, [])
    priority: tuple[str, ...] = ("cs_cancelled", "targeted_roi_declining",
                                 "learned_roi_below_floor", "burst_first_2h", "learned_roi")
    if kind == "removed":  # stopped, not only switched to targeted: say why it stopped
        priority = ("cs_cancelled", "learned_roi_below_floor", "targeted_roi_declining",
                    "learned_roi")
    for code in priority:
        for r in learned:
            if r.code == code:
                return r
    return reason(
        "reoptimised",
        f"{kind.replace('_', ' ')} from {before:,.0f} to {after:,.0f} yuan: the remaining "
        "budget was re-optimised after yesterday's results elsewhere",
        kind=kind, before=round(before), after=round(after),
    )
