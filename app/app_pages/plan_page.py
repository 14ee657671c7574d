"""Plan page: edit the campaign, run the planner, read the plan and why it looks that way."""

from __future__ import annotations

from datetime import date
from typing import Any, Final, cast

import pandas as pd
import streamlit as st
from charts import daily_spend_chart, roi_floor_chart, video_spend_gmv_chart
from support import (
    EDITED_STATE,
    REPO,
    Inputs,
    PlanBundle,
    inputs_or_hint,
    md,
    plan_bundle,
    show_error,
)

from planner.config import Campaign, campaign_from_dict
from planner.errors import InputError, PlannerError
from planner.io.replan_job import record_plan
from planner.io.store import sha256_of
from planner.models import Plan
from planner.tools import Chain, Tool
from planner.views import (
    CampaignForm,
    FloorMode,
    campaign_dict_from_form,
    campaign_to_dict,
    canonical_json,
    daily_by_tool,
    form_defaults,
    headline,
    kol_names,
    orders_frame,
    per_video,
    per_video_long,
    reasons_frame,
    resolve_store,
    roi_against_floor,
    tool_label,
    why_not_eligible,
)

# Session-state names (never used as widget keys).
FORM_FOR: Final = "plan_page.form_for"
FORM_SEED: Final = "plan_page.form_seed"
RESULT: Final = "plan_page.result"
# Widget keys all start with this prefix.
W: Final = "plan_page.campaign."
RUN_BUTTON: Final = "plan_page.run_button"
STORE: Final = "plan_page.store_path"
RECORD_BUTTON: Final = "plan_page.record_button"
DEFAULT_STORE: Final = "out/history.sqlite"  # the Re-plan page's default too
LOCK_TIMEOUT_S: Final = 30.0
FORM_SOURCE: Final = "campaign form"

CHAINS: Final = {Chain.TMALL.value: "Douyin -> Tmall (抖音 -> 天猫)",
                 Chain.CLOSED_LOOP.value: "Douyin closed loop (抖音闭环)"}
FLOOR_MODES: Final[dict[str, str]] = {
    "roi_floor": "ROI floor",
    "break_even": "Break-even from gross margin and return rate",
}



def _day(label: str) -> Any:
    return st.column_config.DateColumn(label, format="YYYY-MM-DD")


def _seed_form(inputs: Inputs) -> CampaignForm:
    """The values the form starts from; reset when the inputs change."""
    if st.session_state.get(FORM_FOR) != inputs.key:
        for key in [k for k in st.session_state if str(k).startswith(W)]:
            del st.session_state[key]
        st.session_state[FORM_FOR] = inputs.key
        st.session_state.pop(FORM_SEED, None)
        st.session_state.pop(RESULT, None)
    # Widgets lose their state when the buyer visits another page; start again
    # from the campaign last run, so edits survive a look at the Videos page.
    if FORM_SEED not in st.session_state or f"{W}budget" not in st.session_state:
        edited = st.session_state.get(EDITED_STATE)
        campaign = (
            edited[1]
            if isinstance(edited, tuple) and edited[0] == inputs.key
            else inputs.campaign
        )
        st.session_state[FORM_SEED] = form_defaults(campaign)
    return cast(CampaignForm, st.session_state[FORM_SEED])


def _date(value: object) -> date | None:
    return value if isinstance(value, date) else None


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) else None


def campaign_form(inputs: Inputs, seed: CampaignForm) -> CampaignForm | None:
    """The campaign form; returns the submitted values, or None if not submitted."""
    video_ids = [v.video_id for v in inputs.videos]
    with st.form("plan_page.campaign_form", border=True):
        c1, c2, c3, c4 = st.columns([3, 2, 2, 2])
        name = c1.text_input("Name", value=seed.name, key=f"{W}name")
        chain = c2.selectbox(
            "Chain", list(CHAINS), index=list(CHAINS).index(seed.chain),
            format_func=CHAINS.__getitem__, key=f"{W}chain",
        )
        budget = c3.number_input(
            "Budget (yuan)", min_value=0.0, value=seed.budget, step=50_000.0, format="%.0f",
            key=f"{W}budget", help="Paid traffic only; KOL fees are not included.",
        )
        daily_cap = c4.number_input(
            "Daily cap (yuan)", min_value=0.0, value=seed.daily_cap, step=10_000.0,
            format="%.0f", placeholder="no cap", key=f"{W}daily_cap",
            help="Most the team can spend on one day. Leave empty for no cap.",
        )
        c1, c2, c3, c4 = st.columns(4)
        start = c1.date_input("Start", value=seed.start, key=f"{W}start",
                              format="YYYY-MM-DD")
        end = c2.date_input("End", value=seed.end, key=f"{W}end", format="YYYY-MM-DD")
        plan_date = c3.date_input(
            "Plan date", value=seed.plan_date, key=f"{W}plan_date", format="YYYY-MM-DD",
            help="The day you plan on; nothing new is bought before it. Empty = start.",
        )
        seeding = c4.slider(
            "Min seeding share", 0.0, 1.0, value=seed.min_seeding_share, step=0.05,
            key=f"{W}min_seeding_share",
            help="Least share of KOL fees + Influence tools (Dou+, content service, "
            "KOL bidding, Suixintui) in all spend.",
        )
        c1, c2, c3, c4 = st.columns(4)
        floor_mode = c1.radio(
            "ROI floor from", list(FLOOR_MODES),
            index=list(FLOOR_MODES).index(seed.floor_mode),
            format_func=FLOOR_MODES.__getitem__, key=f"{W}floor_mode",
        )
        roi_floor = c2.number_input(
            "ROI floor", min_value=0.0, value=seed.roi_floor, step=0.1, format="%.2f",
            key=f"{W}roi_floor", help="Least traffic ROI worth buying (typically 0.8 or 1.2).",
        )
        margin = c3.number_input(
            "Gross margin", min_value=0.0, max_value=1.0, value=seed.gross_margin, step=0.05,
            format="%.2f", placeholder="e.g. 0.60", key=f"{W}gross_margin",
            help="Break-even floor = 1 / (margin x (1 - return rate)).",
        )
        returns = c4.number_input(
            "Return rate", min_value=0.0, max_value=0.99, value=seed.return_rate, step=0.05,
            format="%.2f", placeholder="e.g. 0.15", key=f"{W}return_rate",
        )

        sales_tab, booked_tab, tools_tab = st.tabs(
            ["Big sales (大促)", "Orders already booked (已下单)", "Tools on/off and minimums"]
        )
        big_sales = sales_tab.data_editor(
            seed.big_sales, num_rows="dynamic", hide_index=True, key=f"{W}big_sales",
            column_config={
                "name": st.column_config.TextColumn("Sale", required=True),
                "start": _day("Start"), "end": _day("End"),
            },
        )
        sales_tab.caption("Conversion and auction prices rise on these days; content service "
                          "for a sale is locked in 30 days ahead.")
        commitments = booked_tab.data_editor(
            seed.commitments, num_rows="dynamic", hide_index=True, key=f"{W}commitments",
            column_config={
                "video_id": st.column_config.SelectboxColumn(
                    "Video", options=video_ids, required=True),
                "tool": st.column_config.SelectboxColumn(
                    "Tool", options=[t.value for t in Tool], required=True),
                "start": _day("Start"), "end": _day("End"),
                "budget": st.column_config.NumberColumn("Budget", min_value=0, format="yen"),
                "booking_date": _day("Booked on"),
            },
        )
        booked_tab.caption("Booked or spent orders are kept exactly as they are.")
        tools = tools_tab.data_editor(
            seed.tools, num_rows="fixed", hide_index=True, key=f"{W}tools",
            disabled=["tool", "label", "chains"],
            column_config={
                "tool": "Id", "label": "Tool", "chains": "Chain",
                "enabled": st.column_config.CheckboxColumn("On"),
                "min_order": st.column_config.NumberColumn(
                    "Minimum order (yuan)", min_value=0, format="yen"),
            },
        )
        tools_tab.caption("Only the tools of the chosen chain are used.")
        submitted = st.form_submit_button(
            "Run the plan", type="primary", icon=":material/play_arrow:", key=RUN_BUTTON
        )
    if not submitted:
        return None
    return CampaignForm(
        name=str(name or ""),
        chain=str(chain),
        start=_date(start),
        end=_date(end),
        plan_date=_date(plan_date),
        budget=_number(budget),
        daily_cap=_number(daily_cap),
        floor_mode=cast(FloorMode, floor_mode),
        roi_floor=_number(roi_floor),
        gross_margin=_number(margin),
        return_rate=_number(returns),
        min_seeding_share=float(seeding),
        big_sales=big_sales,
        commitments=commitments,
        tools=tools,
    )


def run_plan(inputs: Inputs, form: CampaignForm) -> None:
    """Validate the form, plan, and keep the result; errors show under the form."""
    raw, problems = campaign_dict_from_form(inputs.campaign, form)
    try:
        if problems:
            raise InputError(problems)
        campaign = campaign_from_dict(raw, source=FORM_SOURCE)
    except PlannerError as exc:
        show_error(exc)
        return
    st.session_state[EDITED_STATE] = (inputs.key, campaign)
    try:
        with st.spinner(f"Planning {len(inputs.videos)} videos over "
                        f"{len(campaign.days())} days...", show_time=True):
            bundle = plan_bundle(
                inputs.videos_data, inputs.videos_name,
                canonical_json(campaign_to_dict(campaign)), FORM_SOURCE,
            )
    except PlannerError as exc:
        st.session_state.pop(RESULT, None)
        show_error(exc)
        return
    st.session_state[RESULT] = (inputs.key, bundle, campaign)


def show_headline(plan: Plan) -> None:
    metrics = headline(plan)
    for row in (metrics[:3], metrics[3:]):
        for column, metric in zip(st.columns(len(row)), row, strict=True):
            column.metric(metric.label, metric.value, help=metric.help, border=True,
                          delta=metric.delta, delta_color="off", delta_arrow="off")
    if plan.binding:
        st.markdown("**What stops more spending**\n\n"
                    + "\n".join(f"- {md(line)}" for line in plan.binding))


def show_charts(plan: Plan, campaign: Campaign, names: dict[str, str]) -> None:
    st.subheader("Spend by day and tool")
    st.altair_chart(
        daily_spend_chart(daily_by_tool(plan), daily_cap=campaign.daily_cap,
                          big_sales=campaign.big_sales),
        width="stretch",
    )
    if campaign.big_sales:
        st.caption("Shaded: " + ", ".join(
            f"{md(s.name)} {s.start}..{s.end}" for s in campaign.big_sales)
            + (" · dashed line: daily cap" if campaign.daily_cap else ""))
    c1, c2 = st.columns(2)
    videos = per_video(plan, names)
    with c1:
        st.subheader("Spend and expected GMV per video")
        st.altair_chart(
            video_spend_gmv_chart(per_video_long(videos), videos["video_id"].tolist()),
            width="stretch",
        )
    with c2:
        st.subheader("Traffic ROI against the floor")
        st.altair_chart(roi_floor_chart(roi_against_floor(plan, names), plan.roi_floor),
                        width="stretch")
        st.caption(md(plan.roi_floor_source))


ORDER_COLUMNS: Final[dict[str, Any]] = {
    "video_id": "Video", "kol_name": "KOL", "tool": "Tool",
    "start_date": st.column_config.DateColumn("Start", format="YYYY-MM-DD"),
    "end_date": st.column_config.DateColumn("End", format="YYYY-MM-DD"),
    "booking_date": st.column_config.DateColumn("Book on", format="YYYY-MM-DD"),
    "budget": st.column_config.NumberColumn("Budget", format="yen"),
    "expected_gmv": st.column_config.NumberColumn("Expected GMV", format="yen"),
    "expected_roi": st.column_config.NumberColumn("ROI", format="%.2f"),
    "mode": "Mode", "targeting": "Targeting",
    "fixed": st.column_config.CheckboxColumn("Booked"),
    "reasons": st.column_config.TextColumn("Reasons", width="large"),
}


def show_orders(plan: Plan, names: dict[str, str]) -> None:
    st.subheader(f"Orders ({len(plan.orders)})")
    st.dataframe(orders_frame(plan.orders, names), hide_index=True,
                 column_config=ORDER_COLUMNS)


def explain_video(plan: Plan, campaign: Campaign, inputs: Inputs,
                  names: dict[str, str]) -> None:
    st.subheader("Why a video gets what it gets")
    gmv: dict[str, float] = {}
    for o in plan.orders:
        gmv[o.video_id] = gmv.get(o.video_id, 0.0) + o.expected_gmv
    summaries = {v.video_id: v for v in plan.videos}
    options = sorted(summaries, key=lambda vid: (-gmv.get(vid, -1.0), vid))
    counts = {vid: sum(1 for o in plan.orders if o.video_id == vid) for vid in options}
    chosen = st.selectbox(
        "Video", options, key="plan_page.explain_video",
        format_func=lambda vid: f"{vid} · {names.get(vid, '')} · {counts[vid]} order(s)",
    )
    if chosen is None:
        return
    summary = summaries[chosen]
    video = next(v for v in inputs.videos if v.video_id == chosen)
    c1, c2, c3, c4 = st.columns(4)
    c1.metric("Tier", summary.tier.replace("_", "-"))
    c2.metric("GPM", f"{summary.gpm:,.1f}")
    c3.metric("Traffic ROI", f"{summary.traffic_roi:.2f}",
              delta=f"{summary.traffic_roi - plan.roi_floor:+.2f} vs floor")
    c4.metric("Open tools", str(len(summary.eligible_tools)))
    st.markdown("**Verdicts**")
    st.dataframe(reasons_frame(summary.reasons), hide_index=True,
                 column_config={"code": "Code",
                                "reason": st.column_config.TextColumn("Reason", width="large")})
    mine = [o for o in plan.orders if o.video_id == chosen]
    st.markdown(f"**Orders for {md(chosen)}**")
    if mine:
        st.dataframe(orders_frame(mine, names), hide_index=True, column_config=ORDER_COLUMNS)
    else:
        st.caption("No orders: the plan found better uses for the budget, or no tool is open.")
    blocked = why_not_eligible(video, campaign)
    st.markdown("**Tools not open to this video**")
    if blocked:
        st.dataframe(
            pd.DataFrame([{"tool": tool_label(b.tool), "code": b.reason.code,
                           "why": b.reason.text} for b in blocked]),
            hide_index=True,
            column_config={"tool": "Tool", "code": "Code",
                           "why": st.column_config.TextColumn("Why not", width="large")},
        )
    else:
        st.caption("Every tool of the chain is open to this video.")


def show_downloads(bundle: PlanBundle) -> None:
    c1, c2, _ = st.columns([1, 1, 4])
    c1.download_button(
        "plan.xlsx", bundle.xlsx, file_name="plan.xlsx", icon=":material/download:",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        key="plan_page.download_xlsx", on_click="ignore",
    )
    c2.download_button(
        "plan.json", bundle.json_text, file_name="plan.json", mime="application/json",
        icon=":material/download:", key="plan_page.download_json", on_click="ignore",
    )


def record_in_store(inputs: Inputs, bundle: PlanBundle, campaign: Campaign) -> None:
    """Record the plan in the history store, as ``planner plan --store`` does."""
    st.subheader("Record in the history store")
    st.session_state.setdefault(STORE, DEFAULT_STORE)
    c1, c2 = st.columns([4, 1], vertical_alignment="bottom")
    text = c1.text_input(
        "History store (SQLite file or PostgreSQL URL)", key=STORE,
        help="The store the daily re-plan uses (Re-plan page or `planner replan --store`): "
        "a file (relative paths are under the project folder) or a team's database, "
        "postgresql://user@host:5432/db (password from PGPASSWORD or ~/.pgpass).",
    )
    try:
        store, problem = resolve_store(text, REPO), ""
    except InputError as exc:
        store, problem = None, str(exc)
    clicked = c2.button("Record this plan", icon=":material/save:", key=RECORD_BUTTON,
                        disabled=store is None)
    if problem:
        st.error(md(problem), icon=":material/error:")
    st.caption("Record the plan you book from: the next morning's re-plan then knows which "
               "orders were booked and keeps a running content-service order whole.")
    if not clicked or store is None:
        return
    try:
        recorded = record_plan(bundle.plan, campaign, sha256_of(inputs.videos_data), store,
                               lock_timeout=LOCK_TIMEOUT_S)
    except PlannerError as exc:
        show_error(exc)
        return
    except OSError as exc:
        st.error(f"**{type(exc).__name__}**: the history store {md(store)} cannot be used: "
                 f"{md(exc.strerror or exc)}. Check the path and its folder's permissions.",
                 icon=":material/error:")
        return
    st.success(f"Recorded the plan for {bundle.plan.plan_date} of '{md(campaign.name)}' in "
               f"**{md(store)}** (version {recorded.plan_id}).", icon=":material/check_circle:")


def render() -> None:
    st.title("Plan")
    inputs = inputs_or_hint()
    if inputs is None:
        return
    st.caption(f"{len(inputs.videos)} videos from {md(inputs.videos_name)}, campaign from "
               f"{md(inputs.campaign_source)}. Edit anything below, then run the plan.")
    form = campaign_form(inputs, _seed_form(inputs))
    if form is not None:
        run_plan(inputs, form)
    result = st.session_state.get(RESULT)
    if not (isinstance(result, tuple) and result[0] == inputs.key):
        return
    bundle, campaign = cast(PlanBundle, result[1]), cast(Campaign, result[2])
    plan = bundle.plan
    names = kol_names(inputs.videos)
    st.header(f"{md(plan.campaign)} · {plan.chain} · planned on {plan.plan_date}")
    show_headline(plan)
    show_downloads(bundle)
    record_in_store(inputs, bundle, campaign)
    show_charts(plan, campaign, names)
    show_orders(plan, names)
    explain_video(plan, campaign, inputs, names)
    with st.expander("Assumptions behind the expected figures"):
        st.markdown("\n".join(f"- {md(line)}" for line in plan.assumptions))


render()
