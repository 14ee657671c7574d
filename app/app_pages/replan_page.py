"""Re-plan page: a day's actuals into the history store, the rest of the campaign re-planned.

The page gathers the actuals file, the re-plan date and the store, calls
``planner.io.replan_job.run_replan`` (through ``support.replan_in_store``) and
shows what it returned. Learning, the diff and the store's rules live in
``planner/``; the tables come from ``planner.views``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Final, cast

import pandas as pd
import streamlit as st
from charts import plan_vs_actual_chart
from streamlit.runtime.uploaded_file_manager import UploadedFile
from support import (
    REPO,
    VIDEO_TYPES,
    Inputs,
    ReplanBundle,
    current_campaign,
    inputs_or_hint,
    load_actuals,
    md,
    replan_in_store,
    show_error,
)

from planner.config import Campaign
from planner.errors import InputError, PlannerError
from planner.io.export import plan_vs_actual_frame
from planner.kpi import KpiBy
from planner.views import (
    Metric,
    campaign_to_dict,
    canonical_json,
    changes_frame,
    default_replan_date,
    describe_actuals,
    fingerprint,
    headline,
    ingest_metrics,
    kpi_frame,
    learned_frame,
    replan_date_bounds,
    resolve_store,
    topups_frame,
)

# Session-state names (never used as widget keys).
RESULT: Final = "replan_page.result"
DATE_FOR: Final = "replan_page.date_for"
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

DEFAULT_STORE: Final = "out/history.sqlite"
DEFAULT_LOCK_S: Final = 30.0
KPI_CHOICES: Final[dict[str, str]] = {"video": "Video", "tool": "Tool", "day": "Day"}
NO_ACTUALS: Final = pd.DataFrame({"date": pd.Series([], dtype=object)})


@dataclass(frozen=True)
class Request:
    """Everything one re-plan is made from; results are shown for the request that made them."""

    actuals_name: str
    actuals_data: bytes
    plan_date: date
    store_text: str
    dry_run: bool
    lock_timeout: float

    def same_run(self, other: Request) -> bool:
        """Same file, date and store (dry run or not, it is the same re-plan)."""
        return (self.actuals_name, self.actuals_data, self.plan_date, self.store_text) == (
            other.actuals_name, other.actuals_data, other.plan_date, other.store_text)


def _yen(label: str, **kwargs: Any) -> Any:
    return st.column_config.NumberColumn(label, format="yen", **kwargs)


def _ratio(label: str, **kwargs: Any) -> Any:
    return st.column_config.NumberColumn(label, format="%.2f", **kwargs)


CHANGE_COLUMNS: Final[dict[str, Any]] = {
    "video_id": "Video", "kol_name": "KOL", "tool": "Tool", "change": "Change",
    "old_budget": _yen("Old budget", help="Left from the re-plan date on in the previous plan."),
    "new_budget": _yen("New budget", help="Left from the re-plan date on in the new plan."),
    "delta": _yen("New - old"),
    "old_mode": "Old mode", "new_mode": "New mode",
    "reason": st.column_config.TextColumn("Why", width="large"),
}
TOPUP_COLUMNS: Final[dict[str, Any]] = {
    "video_id": "Video", "kol_name": "KOL",
    "date": st.column_config.DateColumn("Day", format="YYYY-MM-DD"),
    "hours": st.column_config.NumberColumn("Hours", format="%d h"),
    "budget": _yen("Top-up budget"),
    "reason": st.column_config.TextColumn("Why", width="large"),
}
LEARNED_COLUMNS: Final[dict[str, Any]] = {
    "video_id": "Video", "kol_name": "KOL", "tool": "Tool",
    "spend": _yen("Spent"), "gmv": _yen("GMV"),
    "prior_roi": _ratio("Prior ROI", help="Traffic ROI the plan assumed before any actuals."),
    "observed_roi": _ratio("Observed ROI", help="GMV / spend in the actuals."),
    "learned_roi": _ratio("Learned ROI", help="Prior and observed, weighted by the money "
                          "behind the observation (learning.prior_spend)."),
}
PLAN_VS_ACTUAL_COLUMNS: Final[dict[str, Any]] = {
    "date": st.column_config.DateColumn("Day", format="YYYY-MM-DD"),
    "video_id": "Video", "kol_name": "KOL", "tool": "Tool",
    "planned_spend": _yen("Planned spend"), "actual_spend": _yen("Actual spend"),
    "spend_diff": _yen("Spend: actual - planned"),
    "planned_gmv": _yen("Planned GMV"), "actual_gmv": _yen("Actual GMV"),
    "gmv_diff": _yen("GMV: actual - planned"),
    "planned_roi": _ratio("Planned ROI"), "actual_roi": _ratio("Actual ROI"),
    "planned_on": st.column_config.DateColumn(
        "Plan of", format="YYYY-MM-DD", help="The recorded plan in force that day."),
}
KPI_COLUMNS: Final[dict[str, Any]] = {
    "video_id": "Video", "kol_name": "KOL", "tool": "Tool",
    "date": st.column_config.DateColumn("Day", format="YYYY-MM-DD"),
    "spend": _yen("Spend"), "gmv": _yen("GMV"),
    "plays": st.column_config.NumberColumn("Plays", format="localized"),
    "orders": st.column_config.NumberColumn("Orders", format="localized"),
    "clicks": st.column_config.NumberColumn("Clicks", format="localized"),
    "likes": st.column_config.NumberColumn("Likes", format="localized"),
    "comments": st.column_config.NumberColumn("Comments", format="localized"),
    "followers": st.column_config.NumberColumn("Followers", format="localized"),
    "gpm": _ratio("GPM", help="GMV per 1,000 paid plays, yuan."),
    "cpm": _ratio("CPM", help="Spend per 1,000 paid plays, yuan."),
    "traffic_roi": _ratio("Traffic ROI", help="GMV / spend."),
    "ctr_pct": _ratio("CTR %"),
    "conversion_rate_pct": _ratio("Conversion %"),
    "engagement_rate_pct": _ratio("Engagement %"),
    "comment_like_rate": st.column_config.NumberColumn("評贊率", format="percent"),
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


def actuals_input() -> tuple[UploadedFile, pd.DataFrame] | None:
    """The actuals uploader; a file that cannot be read lists its problems right under it."""
    upload = st.file_uploader(
        "Actuals file (CSV or XLSX): one row per date, video and tool",
        type=VIDEO_TYPES, key=ACTUALS_FILE,
    )
    st.caption(
        "Required: date 日期, video_id 视频ID, tool 工具, spend 消耗, gmv 成交额, plays 播放量; "
        "optional: orders 订单数, clicks 点击数, likes 点赞数, comments 评论数. Tools as ids or "
        "as the back ends name them (DOU+, 内容服务, 达人竞价, 随心推, 千川, 信息流, UD)."
    )
    if upload is None:
        return None
    try:
        frame, warnings = load_actuals(upload.getvalue(), upload.name)
    except PlannerError as exc:
        show_error(exc)
        return None
    for line in warnings:
        st.warning(md(line))
    st.caption(f"**{md(upload.name)}**: {md(describe_actuals(frame))}")
    return upload, frame


def date_picker(campaign: Campaign, frame: pd.DataFrame | None, file_key: str) -> date:
    """The re-plan date; starts at the day after the file's latest date for each new file."""
    low, high = replan_date_bounds(campaign)
    seed_for = fingerprint(file_key, canonical_json(campaign_to_dict(campaign)))
    if st.session_state.get(DATE_FOR) != seed_for or DATE not in st.session_state:
        st.session_state[DATE] = default_replan_date(
            NO_ACTUALS if frame is None else frame, campaign)
        st.session_state[DATE_FOR] = seed_for
    chosen = st.date_input(
        "Re-plan date", min_value=low, max_value=high, key=DATE, format="YYYY-MM-DD",
        help="The day the new plan starts (usually today). Actuals must all be dated before "
        "it. Default: the day after the latest date in the file.",
    )
    return chosen if isinstance(chosen, date) else default_replan_date(NO_ACTUALS, campaign)


def request_form(campaign: Campaign) -> tuple[Request | None, bool]:
    """The inputs of a re-plan and whether the buyer asked for it."""
    loaded = actuals_input()
    upload, frame = loaded if loaded else (None, None)
    c1, c2, c3 = st.columns([1, 3, 1])
    with c1:
        file_key = fingerprint(upload.name, upload.getvalue()) if upload else ""
        plan_date = date_picker(campaign, frame, file_key)
    _kept(STORE, DEFAULT_STORE)
    store_text = c2.text_input(
        "History store (SQLite file or PostgreSQL URL)", key=STORE,
        help="Every actuals row and every recorded plan of the campaign. A file (relative "
        "paths are under the project folder) or a team's database, postgresql://user@host:"
        "5432/db (the password comes from PGPASSWORD or ~/.pgpass where the app runs). Use "
        "the same store as the daily `planner replan` job.",
    )
    _keep(STORE)
    _kept(LOCK, DEFAULT_LOCK_S)
    lock = c3.number_input(
        "Wait for another run (s)", min_value=0.0, max_value=600.0, step=5.0, format="%.1f",
        key=LOCK, help="If another run (e.g. the cron job) is writing the store, wait this "
        "long before giving up.",
    )
    _keep(LOCK)
    try:
        store, problem = resolve_store(store_text, REPO), ""
    except InputError as exc:
        store, problem = None, str(exc)
    if store is None:
        c2.error(md(problem) or "Type the path of the history store, e.g. "
                 "out/history.sqlite, or a postgresql:// URL.")
    elif store.path is None:
        c2.caption(f"Store: **{md(store)}**, a PostgreSQL database: the first run creates "
                   "the planner's tables in it.")
    else:
        c2.caption(f"Store: **{md(store)}**" + ("" if store.path.exists() else
                   " is new: the first run creates it (a dry run leaves it empty)"))
    dry_run = st.checkbox(
        "Dry run (change nothing)", value=True, key=DRY_RUN,
        help="Computes and shows the re-plan, then rolls the store back: no actuals and no "
        "plan are recorded. Turn off to record.",
    )
    ready = upload is not None and frame is not None and store is not None
    if dry_run:
        clicked = st.button("Re-plan (dry run)", icon=":material/preview:", disabled=not ready,
                            key=PREVIEW_BUTTON)
    else:
        st.warning("Recording adds the actuals to the store (restated rows replace the old "
                   "numbers) and saves the new plan: tomorrow's re-plan is compared with it.",
                   icon=":material/warning:")
        clicked = st.button("Record and re-plan", type="primary", icon=":material/save:",
                            disabled=not ready, key=RECORD_BUTTON)
    if upload is None or not ready:
        return None, False
    request = Request(
        actuals_name=upload.name, actuals_data=upload.getvalue(), plan_date=plan_date,
        store_text=store_text, dry_run=bool(dry_run), lock_timeout=float(lock or 0.0),
    )
    return request, clicked


def run(inputs: Inputs, campaign: Campaign, source: str, request: Request) -> None:
    """Re-plan; the result is kept for these inputs, errors show right under the button."""
    st.session_state.pop(RESULT, None)
    try:
        store = resolve_store(request.store_text, REPO)
    except InputError as exc:
        show_error(exc)
        return
    if store is None:  # the button is disabled without a store; kept for the type checker
        return
    action = "Previewing" if request.dry_run else "Recording and re-planning"
    try:
        with st.spinner(f"{action} {md(campaign.name)} from {request.plan_date}...",
                        show_time=True):
            bundle = replan_in_store(
                inputs, campaign, source, request.actuals_name, request.actuals_data,
                request.plan_date, store, dry_run=request.dry_run,
                lock_timeout=request.lock_timeout,
            )
    except PlannerError as exc:
        show_error(exc)
        return
    except OSError as exc:
        st.error(f"**{type(exc).__name__}**: the history store {md(store)} cannot be used: "
                 f"{md(exc.strerror or exc)}. Check the path and its folder's permissions.",
                 icon=":material/error:")
        return
    except Exception as exc:  # a bug, not the buyer's fault: still no traceback
        st.error(f"**InternalError**: {type(exc).__name__}: {md(exc)}. This is a bug in the "
                 "planner; please report it with the input files.", icon=":material/error:")
        return
    st.session_state[RESULT] = (inputs.key, campaign, request, bundle)


def show_plan(bundle: ReplanBundle) -> None:
    plan = bundle.plan
    figures = headline(plan)
    _metrics(figures[:3])  # two rows of three, as on the Plan page: ¥ amounts stay readable
    _metrics(figures[3:])
    st.caption("Spend and expected GMV cover the whole campaign: money already spent (with "
               "the GMV it really made) and booked orders included.")
    if plan.binding:
        st.markdown("**What stops more spending**\n\n"
                    + "\n".join(f"- {md(line)}" for line in plan.binding))
    suffix = "" if not bundle.dry_run else "-dry-run"
    c1, c2, _ = st.columns([1, 1, 3])
    c1.download_button(
        "plan.xlsx", bundle.xlsx, file_name=f"plan{suffix}.xlsx", icon=":material/download:",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        key="replan_page.download_xlsx", on_click="ignore",
    )
    c2.download_button(
        "plan.json", bundle.json_text, file_name=f"plan{suffix}.json", mime="application/json",
        icon=":material/download:", key="replan_page.download_json", on_click="ignore",
    )
    if bundle.dry_run:
        st.caption("Dry-run files: the store does not know this plan, so tomorrow's changes "
                   "are measured against the last recorded plan, not against these files.")


def show_plan_vs_actual(bundle: ReplanBundle) -> None:
    """The buyer's daily report: every day so far, planned against actual."""
    report = plan_vs_actual_frame(bundle.plan)
    st.subheader("Plan vs actual")
    if report.empty:
        st.caption("No day before the re-plan date has a recorded plan or actuals yet.")
        return
    planned, spent = report["planned_spend"].sum(), report["actual_spend"].sum()
    expected, sold = report["planned_gmv"].sum(), report["actual_gmv"].sum()
    st.caption(
        f"{report['date'].nunique()} day(s) so far: spent ¥{spent:,.0f} of ¥{planned:,.0f} "
        f"planned, sold ¥{sold:,.0f} against ¥{expected:,.0f} expected. Each day is compared "
        "with the plan recorded on or before it (a dry run's plan is not among them)."
    )
    st.altair_chart(plan_vs_actual_chart(report), width="stretch")
    st.dataframe(report, hide_index=True, column_config=PLAN_VS_ACTUAL_COLUMNS)


def show_changes(bundle: ReplanBundle) -> None:
    plan = bundle.plan
    changes = changes_frame(plan)
    st.subheader(f"Changes against the previous plan ({len(changes)})")
    if bundle.previous_date is None and bundle.recorded_note:
        st.caption("The store could not be read after the run, so the previous plan's date "
                   "is unknown.")
    elif bundle.previous_date is None:
        st.caption("No plan of this campaign recorded for an earlier day, so nothing to "
                   "compare with. Record this re-plan to make it the base for the next one.")
    elif changes.empty:
        st.caption(f"The plan recorded for {bundle.previous_date} still holds: no video or "
                   "tool moved by more than 1% from the re-plan date on.")
    if not changes.empty:
        st.caption(f"Against the plan recorded for {bundle.previous_date}: per video and tool, "
                   "the budget left from the re-plan date on, before and after; biggest moves "
                   "first.")
        st.dataframe(changes, hide_index=True, column_config=CHANGE_COLUMNS)
    st.subheader(f"Dou+ top-ups ({len(plan.topups)})")
    if plan.topups:
        st.dataframe(topups_frame(plan), hide_index=True, column_config=TOPUP_COLUMNS)
    else:
        st.caption("No video's learned Dou+ ROI is high enough today for a 2h / 6h top-up.")
    st.subheader("Learned ROI")
    if plan.learned:
        st.dataframe(learned_frame(plan), hide_index=True, column_config=LEARNED_COLUMNS)
    else:
        st.caption("No actuals before the re-plan date: every estimate is still the prior.")


def show_kpis(bundle: ReplanBundle, inputs: Inputs) -> None:
    st.subheader("KPIs of the recorded actuals")
    by = st.radio("Per", list(KPI_CHOICES), format_func=KPI_CHOICES.__getitem__,
                  horizontal=True, key=KPI_BY)
    recorded = bundle.recorded
    if recorded is None:
        st.warning(f"The store's actuals cannot be read now: {md(bundle.recorded_note)}")
        return
    note = (" A dry run records nothing, so the uploaded rows are not among them."
            if bundle.dry_run else "")
    if recorded.empty:
        st.caption(f"The store has no actuals for '{md(bundle.plan.campaign)}' yet.{note}")
        return
    st.caption(f"{len(recorded):,} actuals rows in the store for "
               f"'{md(bundle.plan.campaign)}'. Ratios are of sums, so a big day weighs more "
               f"than a small one.{note}")
    st.dataframe(kpi_frame(recorded, inputs.videos, cast(KpiBy, by or "video")),
                 hide_index=True, column_config=KPI_COLUMNS)


def show_result(inputs: Inputs, request: Request | None) -> None:
    result = st.session_state.get(RESULT)
    if not (isinstance(result, tuple) and result[0] == inputs.key):
        return
    campaign, made, bundle = (cast(Campaign, result[1]), cast(Request, result[2]),
                              cast(ReplanBundle, result[3]))
    plan = bundle.plan
    st.divider()
    st.header(f"{md(plan.campaign)} · re-planned from {plan.plan_date} to {campaign.end}")
    if request is None or not request.same_run(made):
        st.info("The file, date or store above changed since this re-plan; run it again to "
                "update.", icon=":material/info:")
    if bundle.dry_run:
        st.info(f"Dry run from **{md(made.actuals_name)}**: nothing was recorded in "
                f"**{md(bundle.store)}**.", icon=":material/preview:")
    else:
        st.success(f"Recorded **{md(made.actuals_name)}** and the new plan in "
                   f"**{md(bundle.store)}**.", icon=":material/check_circle:")
    st.markdown("**Actuals rows**" + (" (dry run: nothing kept)" if bundle.dry_run else ""))
    _metrics(ingest_metrics(bundle.ingested))
    for line in bundle.warnings:
        st.warning(md(line))
    st.markdown("**The new plan**")
    show_plan(bundle)
    show_plan_vs_actual(bundle)
    show_changes(bundle)
    show_kpis(bundle, inputs)
    with st.expander("Assumptions behind the expected figures"):
        st.markdown("\n".join(f"- {md(line)}" for line in plan.assumptions))


def render() -> None:
    st.title("Re-plan")
    inputs = inputs_or_hint()
    if inputs is None:
        return
    campaign, source = current_campaign(inputs)
    st.caption(
        f"Yesterday's numbers in, the rest of '{md(campaign.name)}' ({campaign.start} to "
        f"{campaign.end}) re-planned: {len(inputs.videos)} videos from "
        f"{md(inputs.videos_name)}, campaign from {md(source)} (the one last run on the Plan "
        "page, else the loaded one). The store keeps actuals and plans by campaign name."
    )
    request, clicked = request_form(campaign)
    if clicked and request is not None:
        run(inputs, campaign, source, request)
    show_result(inputs, request)


render()
