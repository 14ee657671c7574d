"""Pure helpers for front ends: a plan and a roster as tables, a campaign as form values.

Nothing here imports Streamlit. The web app (``app/``) gathers input, calls
these and the core, and shows the results; every function here is a plain
function of its arguments and is tested in ``tests/test_views.py``.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Literal

import pandas as pd
from pydantic import BaseModel, ValidationError

from planner.config import BigSale, Campaign, Commitment
from planner.errors import Problem, value_message
from planner.i18n import (
    chain_name,
    mode_name,
    money,
    reason_text,
    status_name,
    t,
    targeting_name,
    tier_name,
    tool_name,
    yuan_exact,
)
from planner.kpi import KpiBy, kpi_table
from planner.models import Order, Plan, Reason, Video, VideoScore
from planner.sweep import TargetResult
from planner.tools import CHAIN_TOOLS, Chain, Tool

if TYPE_CHECKING:
    from planner.io.store_location import StoreLocation

TIERS: Final[tuple[str, ...]] = ("koc", "tail", "mid", "head", "super_head")

FloorMode = Literal["roi_floor", "break_even"]


def tool_label(tool: Tool | str) -> str:
    """The tool as buyers name it, one name per language: 内容服务 / Content service."""
    return tool_name(Tool(tool))


def chains_of(tool: Tool) -> str:
    """Which chains carry the tool: 'tmall', 'closed_loop' or 'both'."""
    chains = [c.value for c in Chain if tool in CHAIN_TOOLS[c]]
    return "both" if len(chains) == len(Chain) else chains[0]


# ------------------------------------------------------------------ headline


@dataclass(frozen=True)
class Metric:
    """One headline figure as a front end shows it."""

    label: str
    value: str
    help: str
    delta: str | None = None


def yuan(amount: float) -> str:
    """Exact yuan: '¥2,999,633' (orders, the grid, downloads)."""
    return yuan_exact(amount)


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


# ------------------------------------------------------------------ plan tables


def reasons_text(reasons: Iterable[Reason], sep: str = "; ") -> str:
    """Each reason in the buyer's words (its stable code stays in plan.json)."""
    return sep.join(reason_text(r) for r in reasons)


def kol_names(videos: Iterable[Video]) -> dict[str, str]:
    return {v.video_id: v.kol_name for v in videos}


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


def video_labels(video_ids: Iterable[str], names: Mapping[str, str]) -> dict[str, str]:
    """The label a video's bar carries: its KOL's name, plus the video id when that KOL
    has several videos (or no name), so every label is unique."""
    ids = list(dict.fromkeys(video_ids))
    counts: dict[str, int] = {}
    for vid in ids:
        name = names.get(vid, "")
        counts[name] = counts.get(name, 0) + 1
    return {
        vid: names[vid] if names.get(vid) and counts[names[vid]] == 1
        else f"{names.get(vid, '')} · {vid}".strip(" ·")
        for vid in ids
    }


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


# ------------------------------------------------------------------ roster


ROSTER_COLUMNS: Final[tuple[str, ...]] = (
    "video_id", "kol_name", "tier", "age_days", "gpm", "traffic_roi", "comment_like_rate",
    "engagement_rate", "has_weight", "burst", "eligible_tools", "verdicts",
)


def roster_frame(scores: Sequence[VideoScore]) -> pd.DataFrame:
    """The scored roster: one row per video, eligible tools as a list of tool ids."""
    rows = [
        {
            "video_id": s.video_id,
            "kol_name": s.kol_name,
            "tier": s.tier,
            "age_days": s.age_days,
            "gpm": s.gpm,
            "traffic_roi": s.traffic_roi,
            "comment_like_rate": s.comment_like_rate,
            "engagement_rate": s.engagement_rate,
            "has_weight": s.has_weight,
            "burst": s.burst,
            "eligible_tools": [tool.value for tool in s.eligible_tools],
            "verdicts": reasons_text(s.reasons),
        }
        for s in scores
    ]
    return pd.DataFrame(rows, columns=list(ROSTER_COLUMNS))


def roster_display(frame: pd.DataFrame) -> pd.DataFrame:
    """The roster as a buyer reads it: tiers and eligible tools by name (ids stay for filters)."""
    shown = frame.copy()
    shown["tier"] = shown["tier"].map(tier_name)
    shown["eligible_tools"] = shown["eligible_tools"].map(lambda ids: [tool_name(i) for i in ids])
    return shown


def filter_roster(
    frame: pd.DataFrame,
    *,
    tiers: Iterable[str] = (),
    min_roi: float | None = None,
    tool: Tool | str | None = None,
) -> pd.DataFrame:
    """Rows in the given tiers (all if none), with traffic ROI >= min_roi, eligible for tool."""
    mask = pd.Series(True, index=frame.index)
    chosen = list(tiers)
    if chosen:
        mask &= frame["tier"].isin(chosen)
    if min_roi is not None:
        mask &= frame["traffic_roi"] >= min_roi
    if tool:
        wanted = Tool(tool).value
        mask &= frame["eligible_tools"].map(lambda tools: wanted in tools).astype(bool)
    return frame.loc[mask].reset_index(drop=True)


# ------------------------------------------------------------------ one video


@dataclass(frozen=True)
class ToolVerdict:
    """Why one tool of the campaign's chain is not open to a video."""

    tool: Tool
    reason: Reason


# Per tool, the reason codes that close it (planner.rules); AD-tool verdicts name their tool.
_BLOCKING_CODES: Final[dict[Tool, frozenset[str]]] = {
    Tool.DOU_PLUS: frozenset({"roi_below_floor"}),
    Tool.SUIXINTUI: frozenset({"roi_below_floor"}),
    Tool.CONTENT_SERVICE: frozenset(
        {"cs_ad_review", "cs_tier_too_small", "cs_roi_below_floor", "cs_comment_like_low"}),
    Tool.KOL_BIDDING: frozenset(
        {"kol_bidding_not_authorized", "kol_bidding_ad_review", "kol_bidding_low_weight"}),
    Tool.QIANCHUAN: frozenset({"ad_tool_blocked"}),
    Tool.AD_FEED: frozenset({"ad_tool_blocked"}),
    Tool.UNI_DESK: frozenset({"ad_tool_blocked"}),
}


def why_not_eligible(video: Video, campaign: Campaign,
                     roster: Sequence[Video] | None = None) -> list[ToolVerdict]:
    """For each tool of the chain the video may not use, the rule that blocks it.

    Reads the planner's own assessment (``planner.planning.assess_roster``), so
    the reason shown is the reason the planner used; ``roster`` lets a scheduled
    post be expected from its KOL's other videos, as in the plan.
    """
    from planner.planning import assess_roster

    videos = list(roster) if roster is not None else [video]
    if all(v.video_id != video.video_id for v in videos):
        videos.append(video)
    assessment = next(a for a in assess_roster(videos, campaign)
                      if a.video.video_id == video.video_id)
    blocked: list[ToolVerdict] = []
    for tool in CHAIN_TOOLS[campaign.chain]:
        if tool in assessment.eligible:
            continue
        codes = _BLOCKING_CODES[tool]
        # A switched-off tool is closed by the switch first, whatever the rules say.
        why = next((r for r in assessment.reasons
                    if r.code == "tool_disabled" and r.text.startswith(f"{tool} ")), None)
        why = why or next(
            (r for r in assessment.reasons
             if r.code in codes and (r.code != "ad_tool_blocked"
                                     or r.text.startswith(f"no {tool}:"))),
            None,
        )
        if why is not None:
            blocked.append(ToolVerdict(tool, why))
    return blocked


def reasons_frame(reasons: Iterable[Reason]) -> pd.DataFrame:
    return pd.DataFrame(
        [{"code": r.code, "reason": reason_text(r)} for r in reasons], columns=["code", "reason"]
    )


# ------------------------------------------------------------------ campaign form


def campaign_to_dict(campaign: Campaign) -> dict[str, Any]:
    """The campaign as JSON-safe data that ``campaign_from_dict`` reads back unchanged."""
    return campaign.model_dump(mode="json")


def canonical_json(raw: Mapping[str, Any]) -> str:
    """A stable text of a campaign dict: the same campaign always gives the same string."""
    return json.dumps(raw, sort_keys=True, ensure_ascii=False, default=str)


def fingerprint(*parts: bytes | str) -> str:
    """A short digest of inputs, to tell whether a result still belongs to them."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode() if isinstance(part, str) else part)
        digest.update(b"\x00")
    return digest.hexdigest()[:16]


BIG_SALE_COLUMNS: Final[tuple[str, ...]] = ("name", "start", "end")
COMMITMENT_COLUMNS: Final[tuple[str, ...]] = (
    "video_id", "tool", "start", "end", "budget", "booking_date",
)
TOOL_COLUMNS: Final[tuple[str, ...]] = ("tool", "label", "chains", "enabled", "min_order")


@dataclass(frozen=True)
class CampaignForm:
    """What a buyer edits in the campaign form; everything else keeps the loaded values."""

    name: str
    chain: str
    start: date | None
    end: date | None
    plan_date: date | None
    budget: float | None
    daily_cap: float | None
    floor_mode: FloorMode
    roi_floor: float | None
    gross_margin: float | None
    return_rate: float | None
    min_seeding_share: float
    big_sales: pd.DataFrame
    commitments: pd.DataFrame
    tools: pd.DataFrame


def form_defaults(campaign: Campaign) -> CampaignForm:
    """The form as it first appears for a loaded campaign."""
    floor_mode: FloorMode = (
        "break_even"
        if campaign.roi_floor is None and campaign.gross_margin is not None
        else "roi_floor"
    )
    return CampaignForm(
        name=campaign.name,
        chain=campaign.chain.value,
        start=campaign.start,
        end=campaign.end,
        plan_date=campaign.plan_date,
        budget=campaign.budget,
        daily_cap=campaign.daily_cap,
        floor_mode=floor_mode,
        roi_floor=campaign.roi_floor if campaign.roi_floor is not None
        else round(campaign.effective_roi_floor, 4),
        gross_margin=campaign.gross_margin,
        return_rate=campaign.return_rate,
        min_seeding_share=campaign.balance.min_seeding_share,
        big_sales=big_sales_frame(campaign),
        commitments=commitments_frame(campaign),
        tools=tools_frame(campaign),
    )


def big_sales_frame(campaign: Campaign) -> pd.DataFrame:
    rows = [{"name": s.name, "start": s.start, "end": s.end} for s in campaign.big_sales]
    return pd.DataFrame(rows, columns=list(BIG_SALE_COLUMNS)).astype(object)


def commitments_frame(campaign: Campaign) -> pd.DataFrame:
    rows = [
        {
            "video_id": c.video_id,
            "tool": c.tool.value,
            "start": c.start,
            "end": c.end,
            "budget": c.budget,
            "booking_date": c.booking_date,
        }
        for c in campaign.commitments
    ]
    return pd.DataFrame(rows, columns=list(COMMITMENT_COLUMNS)).astype(object)


def tools_frame(campaign: Campaign) -> pd.DataFrame:
    rows = [
        {
            "tool": tool.value,
            "label": tool_label(tool),
            "chains": t("chain.both") if chains_of(tool) == "both" else chain_name(chains_of(tool)),
            "enabled": campaign.tools[tool].enabled,
            "min_order": campaign.tools[tool].min_order,
        }
        for tool in Tool
    ]
    return pd.DataFrame(rows, columns=list(TOOL_COLUMNS))


def _blank(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    try:
        return bool(pd.isna(value))  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return False


def _cell(value: object) -> object:
    """An editor cell as plain Python: None for blanks, dates as date, numpy scalars unwrapped."""
    if _blank(value):
        return None
    if isinstance(value, pd.Timestamp | datetime):
        return value.date()
    if isinstance(value, str):
        return value.strip()
    item = getattr(value, "item", None)
    if callable(item):  # numpy scalar
        return item()
    return value


def editor_rows(frame: pd.DataFrame, columns: Sequence[str]) -> list[tuple[int, dict[str, Any]]]:
    """Non-blank rows of an edited table as (1-based row number, {column: value})."""
    rows: list[tuple[int, dict[str, Any]]] = []
    for number, record in enumerate(frame.to_dict("records"), start=1):
        values = {c: _cell(record.get(c)) for c in columns}
        if any(v is not None for v in values.values()):
            rows.append((number, values))
    return rows


def _table_rows(
    frame: pd.DataFrame,
    columns: Sequence[str],
    model: type[BaseModel],
    table: str,
) -> tuple[list[dict[str, Any]], list[Problem]]:
    """Validate each row of an edited table with the core's model; problems name row and column."""
    kept: list[dict[str, Any]] = []
    problems: list[Problem] = []
    for number, values in editor_rows(frame, columns):
        data = {k: v for k, v in values.items() if v is not None}
        try:
            model.model_validate(data)
        except ValidationError as exc:
            for item in exc.errors():
                loc = [str(p) for p in item["loc"]]
                column = loc[0] if loc else None
                # The campaign file's words for pydantic's failures, in the buyer's language.
                msg, _ = value_message(item)
                fix = t("error.fix.correct_cell") if column else t("error.views.correct_row")
                if item["type"] == "missing":
                    msg, fix = t("error.views.empty_cell"), t("error.views.empty_cell_fix")
                problems.append(Problem(t("error.sentence", text=msg), file=table, row=number,
                                        column=column, fix=fix))
            continue
        kept.append(data)
    return kept, problems


def campaign_dict_from_form(
    base: Campaign, form: CampaignForm
) -> tuple[dict[str, Any], list[Problem]]:
    """The campaign dict the form describes, and the problems found in its tables.

    Keys the form does not show (tool prices, rules, tiers, ...) keep the
    values of ``base``. The dict still has to pass ``campaign_from_dict``,
    which checks everything that spans fields (dates in order, sales inside
    the campaign, commitments on the chain's tools).
    """
    raw = campaign_to_dict(base)
    raw["name"] = form.name.strip()
    raw["chain"] = form.chain
    raw["start"] = form.start
    raw["end"] = form.end
    raw["plan_date"] = form.plan_date
    raw["budget"] = form.budget
    raw["daily_cap"] = form.daily_cap
    if form.floor_mode == "roi_floor":
        raw["roi_floor"] = form.roi_floor
        raw["gross_margin"] = None
        raw["return_rate"] = None
    else:
        raw["roi_floor"] = None
        raw["gross_margin"] = form.gross_margin
        raw["return_rate"] = form.return_rate
    raw["balance"] = {**raw["balance"], "min_seeding_share": form.min_seeding_share}
    # Drop keys the buyer left empty, so the campaign's own rule reports them
    # (a missing budget is "Field required", not "not a number").
    for key in ("start", "end", "budget"):
        if raw[key] is None:
            del raw[key]

    problems: list[Problem] = []
    sales, found = _table_rows(form.big_sales, BIG_SALE_COLUMNS, BigSale,
                               t("error.views.big_sales_table"))
    problems += found
    commitments, found = _table_rows(
        form.commitments, COMMITMENT_COLUMNS, Commitment, t("error.views.commitments_table")
    )
    problems += found
    # The table shows name and dates; a sale's phases stay as the file gave them while
    # its dates still hold them.
    phases = {sale.name: sale for sale in base.big_sales}
    for sale in sales:
        known = phases.get(str(sale.get("name")))
        if known is not None and known.phases and (sale.get("start"), sale.get("end")) == (
                known.start, known.end):
            sale["phases"] = [p.model_dump() for p in known.phases]
    raw["big_sales"] = sales
    raw["commitments"] = commitments

    tools = dict(raw["tools"])
    for number, values in editor_rows(form.tools, ("tool", "enabled", "min_order")):
        tool = values["tool"]
        if tool not in tools:
            continue
        min_order = values["min_order"]
        if min_order is None or not isinstance(min_order, int | float) or min_order < 0:
            problems.append(Problem(
                t("error.views.min_order"), file=t("error.views.tools_table"), row=number,
                column="min_order", fix=t("error.views.min_order_fix"),
            ))
            continue
        tools[tool] = {
            **tools[tool],
            "enabled": bool(values["enabled"]),
            "min_order": float(min_order),
        }
    raw["tools"] = tools
    return raw, problems


# ------------------------------------------------------------------ re-planning


def default_replan_date(actuals: pd.DataFrame, campaign: Campaign) -> date:
    """The day after the latest actuals date, else the campaign's plan date.

    Kept inside ``replan_date_bounds`` so a date picker can show it.
    """
    days = [d for d in actuals["date"] if isinstance(d, date)] if "date" in actuals else []
    wanted = max(days) + timedelta(days=1) if days else campaign.effective_plan_date
    low, high = replan_date_bounds(campaign)
    return min(max(wanted, low), high)


def replan_date_bounds(campaign: Campaign) -> tuple[date, date]:
    """The earliest and latest day a re-plan can be made for: plan date or start .. end."""
    return min(campaign.start, campaign.effective_plan_date), campaign.end


def resolve_store(text: str, base: Path) -> StoreLocation | None:
    """The history store a buyer typed: a SQLite file (``~`` expanded, relative paths
    under ``base``) or a ``postgresql://`` URL, as ``--store`` takes them.

    None when nothing was typed; InputError for an address that names no usable store.
    """
    from planner.io.store_location import store_location  # SQLAlchemy loads on first use

    if not text.strip().strip('"').strip("'").strip():
        return None
    return store_location(text, base)


def ingest_metrics(counts: Mapping[str, int]) -> list[Metric]:
    """What the store did with the actuals rows: added, restated (replaced), unchanged."""
    return [
        Metric(t("ingest.added"), f"{counts.get('added', 0):,}", t("ingest.added_help")),
        Metric(t("ingest.restated"), f"{counts.get('replaced', 0):,}",
               t("ingest.restated_help")),
        Metric(t("ingest.unchanged"), f"{counts.get('unchanged', 0):,}",
               t("ingest.unchanged_help")),
    ]


def plan_kol_names(plan: Plan) -> dict[str, str]:
    """Video id -> KOL name, as the plan's video summaries carry them."""
    return {v.video_id: v.kol_name for v in plan.videos}


CHANGE_COLUMNS: Final[tuple[str, ...]] = (
    "video_id", "kol_name", "tool", "change", "old_budget", "new_budget", "delta",
    "old_mode", "new_mode", "reason",
)


def changes_frame(plan: Plan) -> pd.DataFrame:
    """The diff against the previous plan, one row per video and tool, biggest move first.

    Budgets are what is left from the re-plan date on; ``delta`` is new - old.
    """
    names = plan_kol_names(plan)
    rows = [
        {
            "video_id": c.video_id,
            "kol_name": names.get(c.video_id, ""),
            "tool": tool_label(c.tool),
            "change": c.kind,
            "old_budget": c.old_budget,
            "new_budget": c.new_budget,
            "delta": round(c.new_budget - c.old_budget, 2),
            "old_mode": c.old_mode or "",
            "new_mode": c.new_mode or "",
            "reason": reason_text(c.reason),
        }
        for c in sorted(
            plan.changes,
            key=lambda c: (-abs(c.new_budget - c.old_budget), c.video_id, c.tool.value),
        )
    ]
    return pd.DataFrame(rows, columns=list(CHANGE_COLUMNS))


TOPUP_COLUMNS: Final[tuple[str, ...]] = (
    "video_id", "kol_name", "date", "hours", "budget", "reason",
)


def topups_frame(plan: Plan) -> pd.DataFrame:
    """The Dou+ top-ups the re-plan suggests, with KOL names."""
    names = plan_kol_names(plan)
    rows = [
        {
            "video_id": top.video_id,
            "kol_name": names.get(top.video_id, ""),
            "date": top.date,
            "hours": top.hours,
            "budget": top.budget,
            "reason": reason_text(top.reason),
        }
        for top in plan.topups
    ]
    return pd.DataFrame(rows, columns=list(TOPUP_COLUMNS))


LEARNED_COLUMNS: Final[tuple[str, ...]] = (
    "video_id", "kol_name", "tool", "spend", "gmv", "prior_roi", "observed_roi", "learned_roi",
)


def learned_frame(plan: Plan) -> pd.DataFrame:
    """Each video and tool's ROI before (prior), in the actuals (observed) and after."""
    names = plan_kol_names(plan)
    rows = [
        {
            "video_id": e.video_id,
            "kol_name": names.get(e.video_id, ""),
            "tool": tool_label(e.tool),
            "spend": e.spend,
            "gmv": e.gmv,
            "prior_roi": e.prior_roi,
            "observed_roi": e.observed_roi,
            "learned_roi": e.learned_roi,
        }
        for e in plan.learned
    ]
    return pd.DataFrame(rows, columns=list(LEARNED_COLUMNS))


def kpi_frame(actuals: pd.DataFrame, videos: Sequence[Video], by: KpiBy) -> pd.DataFrame:
    """``planner.kpi.kpi_table`` with tools shown by name (``by="tool"``)."""
    table = kpi_table(actuals, videos, by=by)
    if by == "tool":
        table["tool"] = table["tool"].map(lambda tool: tool_label(str(tool)))
    return table


# ------------------------------------------------------------------ campaign as TOML

_BARE_KEY: Final = re.compile(r"[A-Za-z0-9_-]+")


def _toml_string(text: str) -> str:
    # JSON's escapes are valid TOML escapes; DEL is the one control JSON leaves raw.
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


def _toml_key(key: object) -> str:
    text = key.value if isinstance(key, Enum) else str(key)
    return text if _BARE_KEY.fullmatch(text) else _toml_string(text)


def _toml_value(value: object) -> str:
    if isinstance(value, Enum):
        value = value.value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)  # repr gives TOML's forms, including inf and nan
    if isinstance(value, str):
        return _toml_string(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Mapping):
        items = [f"{_toml_key(k)} = {_toml_value(v)}" for k, v in value.items() if v is not None]
        return "{" + ", ".join(items) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {type(value).__name__} as TOML")


def campaign_toml(campaign: Campaign) -> str:
    """The campaign as a TOML file that ``read_campaign`` reads back equal to it.

    Every key is written (defaults too), nested tables inline; empty values are left out.
    """
    lines = ["# The campaign as the planner's web app used it; every key is written out.", ""]
    for key, value in campaign.model_dump().items():
        if value is not None:
            lines.append(f"{_toml_key(key)} = {_toml_value(value)}")
    return "\n".join(lines) + "\n"


def describe_actuals(actuals: pd.DataFrame) -> str:
    """'2 rows from 2027-04-21 to 2027-04-22: spend ¥3,000, GMV ¥9,300' for a caption."""
    if actuals.empty:
        return t("actuals.none")
    days = sorted(d for d in actuals["date"] if isinstance(d, date))
    rows = t("actuals.one_row") if len(actuals) == 1 else t("actuals.rows",
                                                             count=f"{len(actuals):,}")
    span = (t("actuals.on", day=days[0]) if days[0] == days[-1]
            else t("actuals.from_to", first=days[0], last=days[-1]))
    return t("actuals.summary", rows=rows, span=span,
             spend=yuan(float(actuals["spend"].sum())), gmv=yuan(float(actuals["gmv"].sum())))


# ------------------------------------------------------------------ what-if on the budget

MAX_CURVE_POINTS: Final = 20
# The default curve: from a quarter to twice the campaign's budget.
DEFAULT_CURVE_SHARES: Final[tuple[float, float]] = (0.25, 2.0)
DEFAULT_CURVE_POINTS: Final = 6


def default_budget_range(budget: float) -> tuple[float, float, int]:
    """(from, to, points) the budget curve starts with: 25% .. 200% of ``budget``, 6 points."""
    low, high = DEFAULT_CURVE_SHARES
    return float(round(budget * low)), float(round(budget * high)), DEFAULT_CURVE_POINTS


def budget_range(
    start: float | None, stop: float | None, points: int | None
) -> tuple[list[float], list[Problem]]:
    """``points`` budgets evenly spaced from ``start`` to ``stop``, in whole yuan.

    Returns the budgets (ascending, no duplicates) and the problems with the
    three values; when there are problems the list of budgets is empty.
    """
    problems: list[Problem] = []
    where, low, high = t("range.name"), t("range.from"), t("range.to")
    for label, value in ((low, start), (high, stop)):
        if value is None or not math.isfinite(value) or value <= 0:
            problems.append(Problem(
                t("range.positive"), file=where, column=label, fix=t("range.positive_fix"),
            ))
    if points is None or not 1 <= points <= MAX_CURVE_POINTS:
        problems.append(Problem(
            t("range.points_count", max=MAX_CURVE_POINTS), file=where,
            column=t("range.points"), fix=t("range.points_fix"),
        ))
    if problems or start is None or stop is None or points is None:
        return [], problems
    if stop < start:
        return [], [Problem(
            t("range.reversed", to=high, from_=low, stop=f"{stop:,.0f}", start=f"{start:,.0f}"),
            file=where, column=high, fix=t("range.reversed_fix", to=high),
        )]
    if points == 1 or stop == start:
        return [float(round(start))], []
    step = (stop - start) / (points - 1)
    budgets = sorted({float(round(start + i * step)) for i in range(points)})
    return [b for b in budgets if b > 0], []


CURVE_TABLE_COLUMNS: Final[tuple[str, ...]] = (
    "budget", "total_spend", "expected_gmv", "roi", "marginal_roi", "status", "gap", "unspent",
    "binding",
)


def _one_line(text: object) -> str:
    """Lines of text as sentences on one line: 'A. B.' from 'A\nB'."""
    if not isinstance(text, str):
        return ""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return " ".join(line if line.endswith(".") else f"{line}." for line in lines)


def curve_table(curve: pd.DataFrame) -> pd.DataFrame:
    """``planner.sweep.budget_curve`` for a table: figures first, the limits as one sentence each.

    Columns: ``CURVE_TABLE_COLUMNS`` (budget, total_spend, expected_gmv, roi,
    marginal_roi, status, gap, unspent, binding).
    """
    table = curve.loc[:, list(CURVE_TABLE_COLUMNS)].copy()
    table["binding"] = [_one_line(text) for text in table["binding"]]
    return table.reset_index(drop=True)


def target_metrics(result: TargetResult) -> list[Metric]:
    """The target mode's answer as figures: the budget, and the plan made at it.

    When the target is out of reach the figures are those of the closest plan
    tried, and the budget says so; with no plan at all the list is empty.
    """
    plan = result.plan
    if plan is None:
        return []
    at = t("target.at" if result.reached else "target.closest", budget=yuan(plan.budget))
    return [
        Metric(
            t("target.budget"),
            yuan(result.budget) if result.budget is not None else t("target.out_of_reach"),
            t("target.answer_help") if result.reached else t("target.no_budget_help"),
        ),
        Metric(t("metric.expected_gmv"), yuan(plan.expected_gmv), at),
        Metric(t("metric.spend"), yuan(plan.total_spend), at),
        Metric(
            t("metric.expected_roi"),
            f"{plan.expected_roi:.2f}" if plan.total_spend else "-",
            t("target.roi_help", at=at, floor=f"{plan.roi_floor:.2f}"),
        ),
    ]
