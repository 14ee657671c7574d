"""Re-plan page: a day's actuals into the history store, the rest of the campaign re-planned.

The page gathers the actuals file, the re-plan date and the store, calls
``planner.jobs.replan.run_replan`` (through ``support.replan_in_store``) and
shows what it returned. Learning, the diff and the store's rules live in
``planner/``; the tables come from ``planner.views``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Final, cast

import pandas as pd
import streamlit as st
from charts import pva_trend_chart
from streamlit.runtime.uploaded_file_manager import UploadedFile
from support import (
    BLANK,
    VIDEO_TYPES,
    Inputs,
    ReplanBundle,
    app_stores,
    current_campaign,
    inputs_or_hint,
    inspect_upload,
    load_actual_sources,
    md,
    on_store,
    replan_in_store,
    show_error,
)

from planner.config import Campaign
from planner.errors import InputError, PlannerError
from planner.i18n import current_lang, has, mode_name, money, t, tool_name
from planner.io.inspection import Inspection, column_label
from planner.io.plan_files import column_header, pva_status_name
from planner.kpi import KpiBy
from planner.views.campaign_form import campaign_to_dict, canonical_json, fingerprint
from planner.views.labels import Metric, heading_date
from planner.views.plan import headline
from planner.views.replan import (
    PVA_PLANNED,
    changes_frame,
    default_replan_date,
    describe_actuals,
    has_recorded_plan,
    ingest_metrics,
    inspection_preview,
    kpi_frame,
    learned_frame,
    plan_vs_actual_view,
    pva_days,
    pva_trend,
    replan_date_bounds,
    resolve_store,
    topups_frame,
)

# Session-state names (never used as widget keys).
RESULT: Final = "replan_page.result"
DATE_FOR: Final = "replan_page.date_for"
UPLOADS_FOR: Final = "replan_page.uploads_for"  # the inputs the uploaded files belong to
KEPT: Final = "replan_page.kept."  # + widget name: values that survive a visit elsewhere
# Widget keys: "replan_page.<widget>".
ACTUALS_FILE: Final = "replan_page.actuals_file"
DATE: Final = "replan_page.date"
STORE: Final = "replan_page.store_path"
LOCK: Final = "replan_page.lock_timeout"
DRY_RUN: Final = "replan_page.dry_run"
PREVIEW_BUTTON: Final = "replan_page.preview_button"
RECORD_BUTTON: Final = "replan_page.record_button"
KPI_BY: Final = "replan_page.kpi_by"
TREND_RANGE: Final = "replan_page.trend_range"
TREND_TOOL: Final = "replan_page.trend_tool"
TREND_VIDEO: Final = "replan_page.trend_video"

DEFAULT_STORE: Final = "history.sqlite"  # in the server's store folder
DEFAULT_LOCK_S: Final = 30.0
KPI_CHOICES: Final = ("video", "tool", "day")
NO_ACTUALS: Final = pd.DataFrame({"date": pd.Series([], dtype=object)})


@dataclass(frozen=True)
class Request:
    """Everything one re-plan is made from; results are shown for the request that made them."""

    actuals: tuple[tuple[str, bytes], ...]  # every uploaded file: name and bytes
    plan_date: date
    store_text: str
    dry_run: bool
    lock_timeout: float

    def same_run(self, other: Request) -> bool:
        """Same file, date and store (dry run or not, it is the same re-plan)."""
        return (self.actuals, self.plan_date, self.store_text) == (
            other.actuals, other.plan_date, other.store_text)

    @property
    def actuals_name(self) -> str:
        return ", ".join(name for name, _ in self.actuals)


def _yen(label: str, **kwargs: Any) -> Any:
    return st.column_config.NumberColumn(label, format="yen", **kwargs)


def _ratio(label: str, **kwargs: Any) -> Any:
    return st.column_config.NumberColumn(label, format="%.2f", **kwargs)


def _count(label: str) -> Any:
    return st.column_config.NumberColumn(label, format="localized")


def _day(label: str, **kwargs: Any) -> Any:
    return st.column_config.DateColumn(label, format="YYYY-MM-DD", **kwargs)


def _who() -> dict[str, Any]:
    """Video, KOL and tool: the first columns of most tables here."""
    return {"video_id": t("col.video_id"), "kol_name": t("col.kol_name"), "tool": t("col.tool")}


def change_columns() -> dict[str, Any]:
    return {
        **_who(), "change": t("replan.col.change"),
        "old_budget": _yen(t("replan.col.old_budget"), help=t("replan.col.old_budget_help")),
        "new_budget": _yen(t("replan.col.new_budget"), help=t("replan.col.new_budget_help")),
        "delta": _yen(t("replan.col.delta")),
        "old_mode": t("replan.col.old_mode"), "new_mode": t("replan.col.new_mode"),
        "reason": st.column_config.TextColumn(t("replan.col.why"), width="large"),
    }


def topup_columns() -> dict[str, Any]:
    return {
        "video_id": t("col.video_id"), "kol_name": t("col.kol_name"),
        "date": _day(t("replan.col.day")),
        "hours": st.column_config.NumberColumn(t("replan.col.hours"),
                                               format=t("replan.hours_format")),
        "budget": _yen(t("replan.col.topup_budget")),
        "reason": st.column_config.TextColumn(t("replan.col.why"), width="large"),
    }


def learned_columns() -> dict[str, Any]:
    return {
        **_who(), "spend": _yen(t("replan.col.spent")), "gmv": _yen(t("replan.col.gmv")),
        "prior_roi": _ratio(t("replan.col.prior_roi"), help=t("replan.col.prior_roi_help")),
        "observed_roi": _ratio(t("replan.col.observed_roi"),
                               help=t("replan.col.observed_roi_help")),
        "learned_roi": _ratio(t("replan.col.learned_roi"),
                              help=t("replan.col.learned_roi_help")),
    }


def plan_vs_actual_columns() -> dict[str, Any]:
    return {
        "date": _day(t("replan.col.day")), **_who(),
        "planned_spend": _yen(t("col.planned_spend")),
        "actual_spend": _yen(t("col.actual_spend")),
        "spend_diff": _yen(t("col.spend_diff")),
        "planned_gmv": _yen(t("col.planned_gmv")), "actual_gmv": _yen(t("col.actual_gmv")),
        "gmv_diff": _yen(t("col.gmv_diff")),
        "planned_roi": _ratio(t("col.planned_roi")), "actual_roi": _ratio(t("col.actual_roi")),
        "planned_on": _day(t("col.planned_on"), help=t("replan.col.planned_on_help")),
        "pva_status": st.column_config.TextColumn(t("col.pva_status"),
                                                  help=t("replan.col.pva_status_help")),
        "counted_spend": _yen(t("col.counted_spend"), help=t("replan.col.counted_spend_help")),
    }


def kpi_columns() -> dict[str, Any]:
    return {
        **_who(), "date": _day(t("replan.col.day")),
        "spend": _yen(t("col.spend")), "gmv": _yen(t("replan.col.gmv")),
        "plays": _count(t("kpi.plays")), "orders": _count(t("kpi.orders")),
        "clicks": _count(t("kpi.clicks")), "likes": _count(t("kpi.likes")),
        "comments": _count(t("kpi.comments")), "followers": _count(t("kpi.followers")),
        "gpm": _ratio("GPM", help=t("kpi.gpm_help")),
        "cpm": _ratio("CPM", help=t("kpi.cpm_help")),
        "traffic_roi": _ratio(t("col.traffic_roi"), help=t("kpi.roi_help")),
        "ctr_pct": _ratio(t("kpi.ctr")),
        "conversion_rate_pct": _ratio(t("kpi.conversion")),
        "engagement_rate_pct": _ratio(t("kpi.engagement")),
        "comment_like_rate": st.column_config.NumberColumn(t("videos.comment_like_rate"),
                                                           format="percent"),
    }


def _kept(key: str, default: object) -> None:
    """Seed a widget from the value it had before the buyer visited another page."""
    if key not in st.session_state:
        st.session_state[key] = st.session_state.get(KEPT + key, default)


def _keep(key: str) -> None:
    st.session_state[KEPT + key] = st.session_state.get(key)


def _metrics(metrics: list[Metric]) -> None:
    for column, metric in zip(st.columns(len(metrics)), metrics, strict=True):
        column.metric(metric.label, metric.value, help=metric.help, border=True,
                      delta=metric.delta, delta_color="off", delta_arrow="off")


def _column_name(column: str) -> str:
    """A planner column by its name alone (``planner inspect`` adds the id for scripts)."""
    return column_header(column) if has(f"col.{column}") else column_label(column)


def show_inspection(found: Inspection) -> None:
    """What ``planner inspect`` says of one upload: layout, mapping, skipped rows, first rows."""
    st.markdown(md(t("inspect.recognised", file=found.file, layout=found.label,
                     kind=t(f"inspect.kind.{found.kind}"))))
    if found.kind != "roster":
        st.caption(md(t("inspect.family", family=t(f"export.family.{found.family}"))))
    st.caption(t("inspect.mapping"))
    st.dataframe(pd.DataFrame(
        [{"header": header, "column": _column_name(column)} for header, column in found.mapping],
        columns=["header", "column"]), hide_index=True, placeholder=BLANK,
        column_config={"header": t("inspect.app_header"), "column": t("inspect.app_column")})
    if found.unused:
        st.caption(md(t("inspect.unused", headers=t("list.sep").join(found.unused))))
    for note in found.notes:
        st.caption(md(note))
    if found.preview.empty:
        st.caption(t("inspect.no_rows"))
    else:
        st.caption(t("inspect.preview", rows=len(found.preview)))
        st.dataframe(inspection_preview(found.preview, found.mapping, _column_name),
                     hide_index=True, placeholder=BLANK)


def actuals_input(inputs: Inputs, campaign: Campaign,
                  source: str) -> tuple[list[UploadedFile], pd.DataFrame] | None:
    """The actuals uploader (several files: exports and the planner's own); each file's
    inspection, or its problems, right under it."""
    if st.session_state.get(UPLOADS_FOR) != inputs.key:  # another campaign: not its files
        st.session_state.pop(ACTUALS_FILE, None)
        st.session_state[UPLOADS_FOR] = inputs.key
    uploads = st.file_uploader(t("replan.actuals_file"), type=VIDEO_TYPES, key=ACTUALS_FILE,
                               accept_multiple_files=True)
    st.caption(t("replan.actuals_caption"))
    if not uploads:
        return None
    campaign_json = canonical_json(campaign_to_dict(campaign))
    readable = True
    for upload in uploads:
        try:
            found = inspect_upload(upload.getvalue(), upload.name, campaign_json, source,
                                   inputs.videos, current_lang())
        except PlannerError as exc:
            show_error(exc)
            readable = False
            continue
        with st.expander(t("inspect.app_title", file=md(upload.name), layout=md(found.label))):
            show_inspection(found)
    if not readable:
        return None
    try:
        merged = load_actual_sources(tuple((u.name, u.getvalue()) for u in uploads),
                                     campaign_json, source, inputs.videos, current_lang())
    except PlannerError as exc:
        show_error(exc)
        return None
    notes_block(merged.join_notes, caution=True)
    st.caption(t("replan.file_summary", name=md(", ".join(u.name for u in uploads)),
                 summary=md(describe_actuals(merged.frame))))
    return list(uploads), merged.frame


def date_picker(campaign: Campaign, frame: pd.DataFrame | None, file_key: str) -> date:
    """The re-plan date; starts at the day after the file's latest date for each new file."""
    low, high = replan_date_bounds(campaign)
    seed_for = fingerprint(file_key, canonical_json(campaign_to_dict(campaign)))
    if st.session_state.get(DATE_FOR) != seed_for or DATE not in st.session_state:
        st.session_state[DATE] = default_replan_date(
            NO_ACTUALS if frame is None else frame, campaign)
        st.session_state[DATE_FOR] = seed_for
    chosen = st.date_input(
        t("replan.date"), min_value=low, max_value=high, key=DATE, format="YYYY-MM-DD",
        help=t("replan.date_help"),
    )
    return chosen if isinstance(chosen, date) else default_replan_date(NO_ACTUALS, campaign)


def request_form(inputs: Inputs, campaign: Campaign,
                 source: str) -> tuple[Request | None, bool]:
    """The inputs of a re-plan and whether the buyer asked for it."""
    loaded = actuals_input(inputs, campaign, source)
    uploads, frame = loaded if loaded else (None, None)
    c1, c2, c3 = st.columns([1, 3, 1])
    with c1:
        file_key = fingerprint(*(part for u in uploads for part in (u.name, u.getvalue()))
                               ) if uploads else ""
        plan_date = date_picker(campaign, frame, file_key)
    _kept(STORE, DEFAULT_STORE)
    folder, urls = app_stores()
    store_text = c2.text_input(t("plan.store_label"), key=STORE,
                               help=t("replan.store_help", folder=folder))
    _keep(STORE)
    _kept(LOCK, DEFAULT_LOCK_S)
    lock = c3.number_input(
        t("replan.lock"), min_value=0.0, max_value=600.0, step=5.0, format="%.1f",
        key=LOCK, help=t("replan.lock_help"),
    )
    _keep(LOCK)
    try:
        store, problem = resolve_store(store_text, folder, urls), ""
    except InputError as exc:
        store, problem = None, str(exc)
    if store is None:
        c2.error(md(problem) or t("replan.store_missing", folder=md(folder)))
    elif store.path is None:
        c2.caption(t("replan.store_caption_pg", store=md(store)))
    else:
        c2.caption(t("replan.store_caption", store=md(store))
                   + ("" if store.path.exists() else t("replan.store_new")))
    dry_run = st.checkbox(t("replan.dry_run"), value=True, key=DRY_RUN,
                          help=t("replan.dry_run_help"))
    ready = bool(uploads) and frame is not None and store is not None
    if dry_run:
        clicked = st.button(t("replan.preview_button"), icon=":material/preview:",
                            disabled=not ready, key=PREVIEW_BUTTON)
    else:
        st.warning(t("replan.record_warning"), icon=":material/warning:")
        clicked = st.button(t("replan.record_button"), type="primary", icon=":material/save:",
                            disabled=not ready, key=RECORD_BUTTON)
    if not uploads or not ready:
        return None, False
    request = Request(
        actuals=tuple((u.name, u.getvalue()) for u in uploads), plan_date=plan_date,
        store_text=store_text, dry_run=bool(dry_run), lock_timeout=float(lock or 0.0),
    )
    return request, clicked


def run(inputs: Inputs, campaign: Campaign, source: str, request: Request) -> None:
    """Re-plan; the result is kept for these inputs, errors show right under the button."""
    st.session_state.pop(RESULT, None)
    try:
        store = resolve_store(request.store_text, *app_stores())
    except InputError as exc:
        show_error(exc)
        return
    if store is None:  # the button is disabled without a store; kept for the type checker
        return
    if store.path is not None and not request.dry_run:  # the server's folder, made on use
        store.path.parent.mkdir(parents=True, exist_ok=True)
    action = "replan.previewing" if request.dry_run else "replan.recording"
    try:
        with st.spinner(t(action, campaign=md(campaign.name), day=request.plan_date),
                        show_time=True):
            bundle = on_store(lambda: replan_in_store(
                inputs, campaign, source, request.actuals,
                request.plan_date, store, dry_run=request.dry_run,
                lock_timeout=request.lock_timeout,
            ), store)
    except Exception as exc:  # a bug, not the buyer's fault: still no traceback
        st.error(t("replan.internal_error", error=type(exc).__name__, detail=md(exc)),
                 icon=":material/error:")
        return
    if bundle is not None:
        st.session_state[RESULT] = (inputs.key, campaign, request, bundle)


def show_plan(bundle: ReplanBundle) -> None:
    plan = bundle.plan
    figures = headline(plan)
    _metrics(figures[:3])  # two rows of three, as on the Plan page: ¥ amounts stay readable
    _metrics(figures[3:])
    st.caption(t("replan.whole_campaign"))
    if plan.binding:
        st.markdown(f"**{t('plan.binding')}**\n\n"
                    + "\n".join(f"- {md(line)}" for line in plan.binding_text()))
    suffix = "" if not bundle.dry_run else "-dry-run"
    c1, c2, _ = st.columns([3, 3, 2])  # wide enough for the whole labels
    c1.download_button(
        t("plan.download_xlsx"), bundle.xlsx, file_name=f"plan{suffix}.xlsx",
        icon=":material/download:",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        key="replan_page.download_xlsx", on_click="ignore",
    )
    c2.download_button(
        t("plan.download_json"), bundle.json_text, file_name=f"plan{suffix}.json",
        mime="application/json",
        icon=":material/download:", key="replan_page.download_json", on_click="ignore",
    )
    if bundle.dry_run:
        st.caption(t("replan.dry_run_files"))


def _named(frame: pd.DataFrame, **columns: Callable[[object], str]) -> pd.DataFrame:
    """The frame with codes in ``columns`` shown as the buyer's words (ids stay as they are)."""
    shown = frame.copy()
    for column, name in columns.items():
        shown[column] = shown[column].map(name)
    return shown


def reasons_in_full(frame: pd.DataFrame, who: tuple[str, ...]) -> None:
    """Each row's reason, whole and wrapped, below a table that hides the long column."""
    with st.expander(t("replan.reasons_in_full")):
        headers = {"kol_name": t("col.kol_name"), "video_id": t("col.video_id"),
                   "tool": t("col.tool"), "date": t("replan.col.day"),
                   "reason": t("replan.col.why")}
        st.table(frame[[*who, "reason"]].rename(columns=headers))


def notes_block(lines: Sequence[str], *, caution: bool = False) -> None:
    """Notes of a run as one block, each said once: information, or a caution (money
    whose GMV is not known yet) the buyer should act on."""
    unique = list(dict.fromkeys(lines))
    if not unique:
        return
    text = "\n".join(f"- {md(line)}" for line in unique)
    if caution:
        st.warning(text, icon=":material/warning:")
    else:
        st.info(text, icon=":material/info:")


def _change_name(kind: object) -> str:
    return t(f"change.{kind}") if has(f"change.{kind}") else str(kind)


def show_plan_vs_actual(bundle: ReplanBundle) -> None:
    """The buyer's daily report: every day so far, planned against actual, as trend lines
    over a chosen range and as a table."""
    report = plan_vs_actual_view(bundle.plan)
    st.subheader(t("replan.plan_vs_actual"))
    span = pva_days(report)
    if span is None:
        st.caption(t("replan.pva_empty"))
        return
    spent, sold = report["actual_spend"].sum(), report["actual_gmv"].sum()
    if has_recorded_plan(report):
        st.caption(t("replan.pva_caption", days=report["date"].nunique(), spent=money(spent),
                     planned=money(report["planned_spend"].sum()), sold=money(sold),
                     expected=money(report["planned_gmv"].sum())))
    else:
        st.info(t("replan.pva_no_plan", days=report["date"].nunique(), spent=money(spent),
                  sold=money(sold)), icon=":material/info:")
    show_trend(report, span)
    columns = plan_vs_actual_columns()
    if not has_recorded_plan(report):  # nothing planned to show: the actuals alone
        columns.update(dict.fromkeys((*PVA_PLANNED, "planned_on"), None))
    st.dataframe(_named(report, tool=tool_name, pva_status=pva_status_name),
                 hide_index=True, placeholder=BLANK, column_config=columns)


def show_trend(report: pd.DataFrame, span: tuple[date, date]) -> None:
    """Trend lines of planned against actual spend and GMV per day, for a range of days and
    all lines, one tool or one video."""
    first, last = span
    c1, c2, c3 = st.columns([2, 1, 1])
    chosen = c1.date_input(t("replan.trend_range"), value=(first, last), min_value=first,
                           max_value=last, format="YYYY-MM-DD",
                           key=f"{TREND_RANGE}.{first}.{last}")  # all days of a new report
    low, high = (chosen[0], chosen[-1]) if isinstance(chosen, tuple) and chosen else (
        first, last)
    tools = sorted(set(report["tool"]))
    tool = c2.selectbox(t("replan.trend_tool"), [None, *tools], key=TREND_TOOL,
                        format_func=lambda x: t("replan.trend_all") if x is None
                        else tool_name(x))
    names = dict(zip(report["video_id"], report["kol_name"], strict=False))
    video = c3.selectbox(t("replan.trend_video"), [None, *sorted(names)], key=TREND_VIDEO,
                         format_func=lambda x: t("replan.trend_all") if x is None
                         else f"{names[x]} · {x}")
    trend = pva_trend(report, low, high, tool=tool, video_id=video)
    if trend.empty:
        st.caption(t("replan.trend_empty"))
        return
    st.altair_chart(pva_trend_chart(trend), width="stretch")


def show_changes(bundle: ReplanBundle) -> None:
    plan = bundle.plan
    changes = changes_frame(plan)
    st.subheader(t("replan.changes_header", count=len(changes)))
    if bundle.previous_date is None and bundle.recorded_note:
        st.caption(t("replan.changes_unreadable"))
    elif bundle.previous_date is None:
        st.caption(t("replan.changes_no_previous"))
    elif changes.empty:
        st.caption(t("replan.changes_still_holds", day=bundle.previous_date))
    if not changes.empty:
        st.caption(t("replan.changes_caption", day=bundle.previous_date))
        st.dataframe(_named(changes, change=_change_name, old_mode=mode_name,
                            new_mode=mode_name),
                     hide_index=True, placeholder=BLANK,
                     column_config={**change_columns(), "reason": None})
        reasons_in_full(changes, ("kol_name", "video_id", "tool"))
    st.subheader(t("replan.topups_header", count=len(plan.topups)))
    if plan.topups:
        topups = topups_frame(plan)
        st.dataframe(topups, hide_index=True, placeholder=BLANK,
                     column_config={**topup_columns(), "reason": None})
        reasons_in_full(topups, ("kol_name", "video_id", "date"))
    else:
        st.caption(t("replan.topups_none"))
    st.subheader(t("replan.learned_header"))
    if plan.learned:
        st.dataframe(learned_frame(plan), hide_index=True, placeholder=BLANK,
                     column_config=learned_columns())
    else:
        st.caption(t("replan.learned_none"))


def show_kpis(bundle: ReplanBundle, inputs: Inputs) -> None:
    st.subheader(t("replan.kpi_header"))
    recorded = bundle.recorded
    if recorded is None and bundle.recorded_note:
        st.warning(t("replan.kpi_unreadable", note=md(bundle.recorded_note)))
        return
    note = t("replan.kpi_dry_note") if bundle.dry_run else ""
    # A dry run on a store not made yet has no actuals to show, and no reason to warn.
    if recorded is None or recorded.empty:
        st.caption(t("replan.kpi_empty", campaign=md(bundle.plan.campaign), note=note))
        return
    by = st.radio(t("replan.kpi_by"), KPI_CHOICES,
                  format_func={k: t(f"replan.kpi_by.{k}") for k in KPI_CHOICES}.__getitem__,
                  horizontal=True, key=KPI_BY)
    st.caption(t("replan.kpi_caption", rows=f"{len(recorded):,}",
                 campaign=md(bundle.plan.campaign), note=note))
    st.dataframe(kpi_frame(recorded, inputs.videos, cast(KpiBy, by or "video")),
                 hide_index=True, placeholder=BLANK, column_config=kpi_columns())


def show_result(inputs: Inputs, request: Request | None) -> None:
    result = st.session_state.get(RESULT)
    if not (isinstance(result, tuple) and result[0] == inputs.key):
        return
    campaign, made, bundle = (cast(Campaign, result[1]), cast(Request, result[2]),
                              cast(ReplanBundle, result[3]))
    plan = bundle.plan
    st.divider()
    st.header(t("replan.header", campaign=md(plan.campaign), start=heading_date(plan.plan_date),
                end=heading_date(campaign.end)))
    if request is None or not request.same_run(made):
        st.info(t("replan.stale"), icon=":material/info:")
    if bundle.dry_run:
        st.info(t("replan.dry_run_done", file=md(made.actuals_name),
                  store=md(bundle.store)), icon=":material/preview:")
    else:
        st.success(t("replan.recorded", file=md(made.actuals_name),
                     store=md(bundle.store)), icon=":material/check_circle:")
    st.markdown(f"**{t('replan.ingest_header')}**"
                + (t("cli.replan_dry_run") if bundle.dry_run else ""))
    _metrics(ingest_metrics(bundle.ingested))
    notes_block(bundle.warnings)
    st.markdown(f"**{t('replan.new_plan')}**")
    show_plan(bundle)
    show_plan_vs_actual(bundle)
    show_changes(bundle)
    show_kpis(bundle, inputs)
    with st.expander(t("plan.assumptions")):
        st.markdown("\n".join(f"- {md(line)}" for line in plan.assumptions_text()))


def render() -> None:
    st.title(t("page.replan"))
    inputs = inputs_or_hint()
    if inputs is None:
        return
    campaign, source = current_campaign(inputs)
    st.caption(t("replan.caption", campaign=md(campaign.name), start=campaign.start,
                 end=campaign.end, count=len(inputs.videos), videos=md(inputs.videos_name),
                 source=md(source)))
    request, clicked = request_form(inputs, campaign, source)
    if clicked and request is not None:
        run(inputs, campaign, source, request)
    show_result(inputs, request)


render()
