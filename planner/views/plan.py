"""The Plan page's data: the headline, the orders, spend by day and tool, per video."""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Final

import pandas as pd

from planner.config import Campaign
from planner.i18n import (
    mode_name,
    money,
    status_name,
    t,
    targeting_name,
)
from planner.io.plan_files import column_header, live_room_frame
from planner.models import Order, Plan
from planner.tools import Tool
from planner.views.labels import (
    CELL_PAD_PX,
    HEADER_NARROW_PX,
    HEADER_WIDE_PX,
    Metric,
    column_px,
    display_name,
    reasons_text,
    text_px,
    tool_label,
    video_labels,
    yuan,
)

if TYPE_CHECKING:
    pass


def headline(plan: Plan) -> list[Metric]:
    """Spend, expected GMV, ROI, seeding share, solver status and gap, unspent.

    Amounts read in 万 at a glance; the help under each gives the exact yuan.
    """
    return [
        Metric(t("metric.spend"), money(plan.total_spend),
               t("metric.spend_help", spend=yuan(plan.total_spend), budget=yuan(plan.budget))),
        Metric(
            t("metric.expected_gmv"),
            money(plan.expected_gmv),
            t("metric.expected_gmv_help", gmv=yuan(plan.expected_gmv),
              bound=yuan(plan.bound_gmv)),
            delta=t("metric.gmv_range", low=money(plan.gmv_range["p10"]),
                    high=money(plan.gmv_range["p90"])) if plan.gmv_range else None,
        ),
        Metric(
            t("metric.expected_roi"),
            f"{plan.expected_roi:.2f}",
            t("metric.expected_roi_help", floor=f"{plan.roi_floor:.2f}",
              source=plan.roi_floor_text()),
        ),
        Metric(t("metric.seeding_share"), f"{plan.seeding_share:.1%}",
               t("metric.seeding_share_help")),
        Metric(
            t("metric.status"),
            status_name(plan.status),
            t("metric.status_help", seconds=f"{plan.solve_seconds:.1f}"),
            delta=t("metric.gap", gap=f"{plan.gap:.3%}"),
        ),
        Metric(t("metric.unspent"), money(plan.unspent),
               t("metric.unspent_help", unspent=yuan(plan.unspent))),
    ]


def gmv_fan_frame(plan: Plan) -> pd.DataFrame:
    """Cumulative GMV per day with its P10-P90 band (the fan chart's data)."""
    return pd.DataFrame([p.model_dump() for p in plan.gmv_fan],
                        columns=["date", "expected", "p10", "p50", "p90"])


def attitudes_frame(plan: Plan) -> pd.DataFrame:
    """What each risk attitude's plan gives, side by side: the price of safety."""
    attitudes = plan.risk.attitudes if plan.risk is not None else []
    return pd.DataFrame(
        [{"objective": t(f"risk.{a.objective}"), "expected_gmv": a.expected_gmv,
          "gmv_p10": a.gmv_p10, "tail_gmv": a.tail_gmv,
          "chosen": plan.risk is not None and a.objective == plan.risk.objective}
         for a in attitudes],
        columns=["objective", "expected_gmv", "gmv_p10", "tail_gmv", "chosen"])


ORDER_COLUMNS: Final[tuple[str, ...]] = (
    "video_id", "kol_name", "tool", "start_date", "end_date", "booking_date", "budget",
    "expected_gmv", "expected_roi", "mode", "targeting", "fixed", "reasons",
)


def orders_frame(orders: Sequence[Order], names: Mapping[str, str]) -> pd.DataFrame:
    """One row per order, with its reasons as one readable string."""
    rows = [
        {
            "video_id": o.video_id,
            "kol_name": names.get(o.video_id, ""),
            "tool": tool_label(o.tool),
            "start_date": o.start_date,
            "end_date": o.end_date,
            "booking_date": o.booking_date,
            "budget": o.budget,
            "expected_gmv": o.expected_gmv,
            "expected_roi": o.expected_gmv / o.budget if o.budget else math.nan,
            "mode": mode_name(o.mode),
            "targeting": targeting_name(o.targeting),
            "fixed": o.fixed,
            "reasons": reasons_text(o.reasons),
        }
        for o in orders
    ]
    return pd.DataFrame(rows, columns=list(ORDER_COLUMNS))


def daily_by_tool(plan: Plan) -> pd.DataFrame:
    """Spend per day and tool (columns: date, tool, spend), for a stacked bar chart."""
    totals: dict[tuple[date, str], float] = {}
    for d in plan.daily:
        key = (d.date, tool_label(d.tool))
        totals[key] = totals.get(key, 0.0) + d.spend
    rows = [
        {"date": pd.Timestamp(day), "tool": tool, "spend": round(spend, 2)}
        for (day, tool), spend in sorted(totals.items())
    ]
    return pd.DataFrame(rows, columns=["date", "tool", "spend"])


def live_room_table(plan: Plan) -> pd.DataFrame | None:
    """The live room per day with its columns in words (None: the plan has no live room),
    as the 直播间 sheet shows it."""
    if plan.live_room is None:
        return None
    frame = live_room_frame(plan)
    return frame.rename(columns={c: column_header(c) for c in frame.columns})


def live_room_caption(plan: Plan) -> str:
    """What the live room sold over the plan, and where it stalls without short videos."""
    room = plan.live_room
    if room is None:
        return ""
    return t("plan.live_room_caption", gmv=money(room.gmv),
             short_video=money(room.short_video_gmv), direct=money(room.direct_gmv),
             own=money(room.own_gmv), cap=f"{room.direct_cap:.0%}",
             ceiling=money(room.ceiling))


def per_video(plan: Plan, names: Mapping[str, str]) -> pd.DataFrame:
    """Spend and expected GMV per video that gets any, best GMV first."""
    spend: dict[str, float] = {}
    gmv: dict[str, float] = {}
    for o in plan.orders:
        spend[o.video_id] = spend.get(o.video_id, 0.0) + o.budget
        gmv[o.video_id] = gmv.get(o.video_id, 0.0) + o.expected_gmv
    rows = [
        {
            "video_id": vid,
            "kol_name": names.get(vid, ""),
            "spend": round(spend[vid], 2),
            "expected_gmv": round(gmv[vid], 2),
        }
        for vid in sorted(spend, key=lambda v: (-gmv[v], v))
    ]
    frame = pd.DataFrame(rows, columns=["video_id", "kol_name", "spend", "expected_gmv"])
    labels = video_labels(frame["video_id"], names)
    frame["label"] = frame["video_id"].map(labels)
    return frame


def per_video_long(frame: pd.DataFrame) -> pd.DataFrame:
    """``per_video`` in long form (video_id, kol_name, measure, yuan) for grouped bars."""
    long = frame.melt(
        id_vars=["video_id", "kol_name", "label"],
        value_vars=["spend", "expected_gmv"],
        var_name="measure",
        value_name="yuan",
    )
    long["measure"] = long["measure"].map(
        {"spend": t("chart.spend"), "expected_gmv": t("chart.expected_gmv")})
    return long


def roi_against_floor(plan: Plan, names: Mapping[str, str]) -> pd.DataFrame:
    """Every video's traffic ROI and whether it clears the plan's ROI floor, best first."""
    rows = [
        {
            "video_id": v.video_id,
            "kol_name": names.get(v.video_id, ""),
            "traffic_roi": v.traffic_roi,
            "verdict": t("chart.above_floor") if v.traffic_roi >= plan.roi_floor
            else t("chart.below_floor"),
        }
        for v in sorted(plan.videos, key=lambda v: (-v.traffic_roi, v.video_id))
    ]
    frame = pd.DataFrame(rows, columns=["video_id", "kol_name", "traffic_roi", "verdict"])
    frame["label"] = frame["video_id"].map(video_labels(frame["video_id"], names))
    return frame


SCHEDULE_LABELS: Final[tuple[str, ...]] = ("kol_name", "video_id", "tool", "mode")


@dataclass(frozen=True)
class ScheduleView:
    """The 排期表 as a screen shows it: one row per KOL video and tool (grouped by KOL),
    one column per campaign day (``MM-DD``) with the yuan bought that day, a row total,
    and which day columns fall in a big sale."""

    frame: pd.DataFrame  # SCHEDULE_LABELS, the day columns, "row_total"; tool by name
    tools: list[str]  # each row's tool id (the frame shows names)
    days: dict[str, date]  # day column -> its date
    sales: dict[str, str]  # day column in a big sale -> the sale's name


def schedule_view(plan: Plan, campaign: Campaign | None = None, *,
                  tools: Sequence[str] = (), kols: Sequence[str] = ()) -> ScheduleView:
    """The workbook's 排期表 (``planner.io.plan_files.schedule_rows`` on its calendar), grouped
    by KOL (display names), optionally only some tool ids or KOL names; empty cells are NaN,
    not 0."""
    from planner.io.plan_files import ScheduleCalendar, schedule_rows

    cal = ScheduleCalendar.of(campaign, plan)
    days = {f"{day:%m-%d}": day for day in cal.days}
    rows = [r for r in schedule_rows(plan)
            if (not tools or r.tool.value in tools)
            and (not kols or display_name(r.kol_name) in kols)]
    order = {tool: i for i, tool in enumerate(Tool)}
    rows.sort(key=lambda r: (r.kol_name, r.video_id, order[r.tool]))
    records = [
        {"kol_name": display_name(r.kol_name), "video_id": r.shown_id,
         "tool": tool_label(r.tool),
         "mode": "/".join(mode_name(m) for m in r.modes),
         **{name: r.spend.get(day) or math.nan for name, day in days.items()},
         "row_total": round(r.total, 2)}
        for r in rows
    ]
    frame = pd.DataFrame(records, columns=[*SCHEDULE_LABELS, *days, "row_total"])
    sales = {name: sale.name for name, day in days.items() if (sale := cal.sale_on(day))}
    return ScheduleView(frame=frame, tools=[r.tool.value for r in rows], days=days,
                        sales=sales)


def schedule_totals(view: ScheduleView) -> pd.DataFrame:
    """One row: the yuan of every shown line per day and in all (the 排期表's 合计)."""
    columns = [*view.days, "row_total"]
    totals = {c: float(view.frame[c].sum()) for c in columns}
    return pd.DataFrame([{"kol_name": t("schedule.day_total"), "video_id": "", "tool": "",
                          "mode": "", **totals}], columns=list(view.frame.columns))


def schedule_widths(table: pd.DataFrame, figures: Sequence[Hashable]) -> dict[str, int]:
    """Each column of the on-screen 排期表 (``table``: the lines, then the 合计 row) as wide
    as its header (``column_header``) and its longest value in pixels; the ``figures``
    columns as the screen writes them ("27,790"), the 合计 row's bold, as wide as a
    header's characters."""
    from planner.io.plan_files import column_header

    widths: dict[str, int] = {}
    for column in table.columns:
        name = str(column)
        header = column_header(name) if name in (*SCHEDULE_LABELS, "row_total") else name
        values = table[column]
        if column not in figures:
            widths[name] = column_px(values, header)
            continue
        shown = [f"{v:,.0f}" for v in values.iloc[:-1] if pd.notna(v)]
        bold = f"{values.iloc[-1]:,.0f}"
        widths[name] = max(column_px(shown, header), math.ceil(
            text_px(bold, HEADER_WIDE_PX, HEADER_NARROW_PX) + CELL_PAD_PX))
    return widths


# The orders table's headers on screen (short names for dates, the full name on hover).
ORDER_HEADERS: Final[dict[str, str]] = {
    "kol_name": "col.kol_name", "video_id": "col.video_id", "tool": "col.tool",
    "mode": "col.mode", "start_date": "col.start_short", "end_date": "col.end_short",
    "booking_date": "col.booking_short", "budget": "col.budget",
    "expected_gmv": "col.expected_gmv", "expected_roi": "col.expected_roi_short",
    "fixed": "col.fixed",
}


def order_widths(frame: pd.DataFrame) -> dict[str, int]:
    """Each shown column of the orders table (``orders_frame``) as wide as its header and
    its longest value as the screen writes it ("MM-DD" dates, "1,234,567" yuan, "4.02")."""
    shown: dict[str, list[str]] = {
        "start_date": ["12-31"], "end_date": ["12-31"], "booking_date": ["12-31"],
        "budget": [f"{v:,.0f}" for v in frame["budget"]],
        "expected_gmv": [f"{v:,.0f}" for v in frame["expected_gmv"]],
        "expected_roi": ["99.99"], "fixed": []}
    return {name: column_px(shown[name] if name in shown else frame[name], t(key))
            for name, key in ORDER_HEADERS.items()}
