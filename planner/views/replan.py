"""The Re-plan page's data: the date, the store, what changed, what was learned, KPIs."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Final

import pandas as pd

from planner.config import Campaign
from planner.i18n import (
    reason_text,
    t,
    tool_name,
)
from planner.io.plan_files import NO_PLAN_STATUS, PLANNED_COLUMNS, plan_vs_actual_frame
from planner.kpi import KpiBy, kpi_table
from planner.models import Plan, Video
from planner.views.labels import Metric, plan_kol_names, tool_label, yuan

if TYPE_CHECKING:
    from planner.io.store_location import StoreLocation


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


# Where a served app keeps its stores (its server's setting, never the buyer's): a folder
# for SQLite stores, and the database URLs a buyer may name, separated by spaces.
STORES_ENV: Final = "PLANNER_APP_STORES"
STORE_URLS_ENV: Final = "PLANNER_APP_STORE_URLS"


def store_folder(repo: Path, environ: Mapping[str, str]) -> Path:
    """The folder the app keeps SQLite stores in: ``PLANNER_APP_STORES``, else
    ``out/stores`` under the repository (``repo``)."""
    configured = environ.get(STORES_ENV, "").strip()
    return (Path(configured).expanduser() if configured else repo / "out" / "stores").resolve()


def store_urls(environ: Mapping[str, str]) -> tuple[str, ...]:
    """The database URLs the app may record into: ``PLANNER_APP_STORE_URLS``."""
    return tuple(environ.get(STORE_URLS_ENV, "").split())


def resolve_store(text: str, folder: Path, urls: Sequence[str] = ()) -> StoreLocation | None:
    """The history store a buyer typed: a SQLite file in ``folder`` (a name, or a path
    that lies in it) or one of the database ``urls`` the server allows.

    None when nothing was typed; InputError for a file outside the folder (``..``, a
    symbolic link out of it, another folder), a URL the server did not name, or an
    address that names no usable store. A buyer of a served app can thus never make it
    write a file anywhere else.
    """
    from planner.errors import InputError, Problem
    from planner.io.store_location import masked, store_location  # SQLAlchemy loads late

    typed = text.strip().strip('"').strip("'").strip()
    if not typed:
        return None
    if "://" in typed:
        if typed not in urls:
            raise InputError(Problem(
                t("error.app.store_url", store=masked(typed), env=STORE_URLS_ENV),
                fix=t("error.app.store_url_fix", env=STORE_URLS_ENV, folder=folder)))
        return store_location(typed)
    path = (folder / Path(typed).expanduser()).resolve()  # an absolute path stays itself
    if not path.is_relative_to(folder) or path == folder:
        raise InputError(Problem(
            t("error.app.store_outside", store=typed, folder=folder),
            fix=t("error.app.store_outside_fix", folder=folder, env=STORES_ENV)))
    return store_location(path)


def ingest_metrics(counts: Mapping[str, int]) -> list[Metric]:
    """What the store did with the actuals rows: added, restated (replaced), unchanged."""
    return [
        Metric(t("ingest.added"), f"{counts.get('added', 0):,}", t("ingest.added_help")),
        Metric(t("ingest.restated"), f"{counts.get('replaced', 0):,}",
               t("ingest.restated_help")),
        Metric(t("ingest.unchanged"), f"{counts.get('unchanged', 0):,}",
               t("ingest.unchanged_help")),
    ]


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


def inspection_preview(preview: pd.DataFrame, mapping: Sequence[tuple[str, str]],
                       column_name: Callable[[str], str]) -> pd.DataFrame:
    """The first rows of an upload as the planner reads them, headed by the file's own
    headers (「整体消耗(元)」, not 「spend」) and with tools by name.

    A column the file has no header for (the tool of a one-tool export, say) is headed
    by ``column_name``, the planner's word for it.
    """
    own: dict[str, str] = {}
    for header, column in mapping:
        own.setdefault(column, header)
    shown = preview.copy()
    if "tool" in shown:
        shown["tool"] = shown["tool"].map(tool_name)
    names = {c: own.get(str(c)) or column_name(str(c)) for c in shown.columns}
    taken: dict[str, int] = {}
    for column, name in names.items():  # two columns never share a header
        taken[name] = taken.get(name, 0) + 1
        if taken[name] > 1:
            names[column] = f"{name} ({column_name(str(column))})"
    return shown.rename(columns=names)


# Plan-vs-actual columns that only mean something when a plan was recorded for the day,
# and the status of a line no recorded plan covers (screens and sheets, not plan.json).
PVA_PLANNED: Final[tuple[str, ...]] = PLANNED_COLUMNS
NO_PLAN: Final = NO_PLAN_STATUS
TREND_FIGURES: Final[tuple[str, ...]] = ("spend", "gmv", "roi")
TREND_KINDS: Final[tuple[str, ...]] = ("planned", "actual")


def plan_vs_actual_view(plan: Plan) -> pd.DataFrame:
    """``plan_vs_actual_frame`` for a screen: a line no recorded plan covers shows its
    planned figures blank with the status ``no_plan`` ("无记录计划"), never ¥0, which
    would read as overspend."""
    frame = plan_vs_actual_frame(plan)
    unplanned = frame["planned_on"].isna()
    for column in PVA_PLANNED:
        frame[column] = frame[column].astype(float).where(~unplanned)
    frame["pva_status"] = frame["pva_status"].where(~unplanned, NO_PLAN)
    return frame


def has_recorded_plan(view: pd.DataFrame) -> bool:
    """Whether any line of ``plan_vs_actual_view`` has a recorded plan to compare with."""
    return bool((view["pva_status"] != NO_PLAN).any()) if not view.empty else False


def pva_days(view: pd.DataFrame) -> tuple[date, date] | None:
    """The first and last day of the plan-vs-actual report, or None when it is empty."""
    days = [d for d in view["date"] if isinstance(d, date)]
    return (min(days), max(days)) if days else None


def pva_trend(view: pd.DataFrame, first: date, last: date, *, tool: str | None = None,
              video_id: str | None = None) -> pd.DataFrame:
    """Planned and actual spend, GMV and ROI per day from ``first`` to ``last``, over the
    lines (of one tool id or one video, when given): columns date, figure (spend, gmv,
    roi), kind (planned, actual), value (yuan for spend and GMV; the day's GMV over its
    spend for ROI).

    A day without a recorded plan has no planned point (a gap in the line, not 0), and a
    day nobody reported has no actual point; a day without spend has no ROI point.
    """
    rows = view[(view["date"] >= first) & (view["date"] <= last)]
    if tool is not None:
        rows = rows[rows["tool"] == tool]
    if video_id is not None:
        rows = rows[rows["video_id"] == video_id]
    out: list[dict[str, object]] = []
    for day, group in rows.groupby("date", sort=True):
        for kind in TREND_KINDS:
            sums = {figure: group[f"{kind}_{figure}"].astype(float).sum(min_count=1)
                    for figure in ("spend", "gmv")}
            spend, gmv = sums["spend"], sums["gmv"]
            sums["roi"] = gmv / spend if pd.notna(spend) and pd.notna(gmv) and spend > 0 \
                else math.nan
            out += [{"date": day, "figure": figure, "kind": kind, "value": float(amount)}
                    for figure, amount in sums.items() if pd.notna(amount)]
    return pd.DataFrame(out, columns=["date", "figure", "kind", "value"])
