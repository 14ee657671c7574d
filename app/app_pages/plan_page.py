# Long on purpose: one page, from the campaign form to the plan, its schedule and orders.
"""Plan page: edit the campaign, run the planner, read the plan and why it looks that way."""

from __future__ import annotations

from collections.abc import Hashable
from datetime import date
from typing import Any, Final, cast

import pandas as pd
import streamlit as st
from charts import daily_spend_chart, gmv_fan_chart, roi_floor_chart, video_spend_gmv_chart
from support import (
    BLANK,
    EDITED_STATE,
    Inputs,
    PlanBundle,
    app_stores,
    grid_height,
    inputs_or_hint,
    md,
    on_store,
    plan_bundle,
    show_error,
)

from planner.config import Campaign, campaign_from_dict
from planner.errors import InputError, PlannerError
from planner.i18n import (
    chain_name,
    current_lang,
    money,
    reason_text,
    t,
    targeting_name,
    tier_name,
    tool_name,
)
from planner.io.campaign_file import campaign_warnings
from planner.io.plan_files import column_header, csv_bytes
from planner.io.store import sha256_of
from planner.jobs.replan import record_plan
from planner.models import Order, Plan, Reason
from planner.tools import SALE_FILL, TOOL_COLOURS, Chain, Tool
from planner.views.campaign_form import (
    CampaignForm,
    campaign_dict_from_form,
    campaign_to_dict,
    canonical_json,
    form_defaults,
)
from planner.views.labels import (
    FloorMode,
    heading_date,
    kol_names,
    money_text,
    plan_kol_names,
    read_money,
    tool_label,
)
from planner.views.plan import (
    ORDER_HEADERS,
    SCHEDULE_LABELS,
    daily_by_tool,
    gmv_fan_frame,
    headline,
    live_room_caption,
    live_room_table,
    order_widths,
    orders_frame,
    per_video,
    per_video_long,
    roi_against_floor,
    schedule_totals,
    schedule_view,
    schedule_widths,
)
from planner.views.replan import resolve_store
from planner.views.videos import why_not_eligible

# Session-state names (never used as widget keys).
FORM_FOR: Final = "plan_page.form_for"
FORM_SEED: Final = "plan_page.form_seed"
FORM_KEPT: Final = "plan_page.form_kept"  # (inputs key, the form as last shown)
RESULT: Final = "plan_page.result"
MEMORY: Final = "plan_page.by_campaign"  # inputs key -> its REMEMBERED states
REMEMBERED: Final = (FORM_KEPT, RESULT, EDITED_STATE)
# Widget keys: "plan_page.campaign.<inputs>.<lang>.<field>". The inputs' fingerprint is part of
# the key, so another campaign gets new widgets: the browser cannot send the old
# campaign's values back into the new form.
W: Final = "plan_page.campaign."
RUN_BUTTON: Final = "plan_page.run_button"
STORE: Final = "plan_page.store_path"
RECORD_BUTTON: Final = "plan_page.record_button"
DEFAULT_STORE: Final = "history.sqlite"  # in the server's store folder; the Re-plan page's too
LOCK_TIMEOUT_S: Final = 30.0


def form_source() -> str:
    """The campaign form's name as a campaign source, in the current language."""
    return t("app.source.form")


FLOOR_MODES: Final = ("roi_floor", "break_even")


def field(name: str) -> str:
    """The widget key of one form field for the inputs the form shows, in this language.

    A new language makes new widgets too (their option labels change); they start
    from the values the form was left with.
    """
    return f"{W}{st.session_state.get(FORM_FOR, '')}.{current_lang()}.{name}"


def _day(label: str) -> Any:
    return st.column_config.DateColumn(label, format="YYYY-MM-DD")


def _seed_form(inputs: Inputs) -> CampaignForm:
    """The values the form starts from: the loaded campaign, or what the buyer left in it."""
    if st.session_state.get(FORM_FOR) != inputs.key:
        for key in [k for k in st.session_state if str(k).startswith(W)]:
            del st.session_state[key]
        # Each campaign keeps its own edits and result: the one left is put aside, the
        # one chosen comes back as it was left (618 -> 520 -> 618 finds 618's plan).
        memory = st.session_state.setdefault(MEMORY, {})
        left = st.session_state.get(FORM_FOR)
        if left is not None:
            memory[left] = {name: st.session_state[name] for name in REMEMBERED
                            if name in st.session_state}
        st.session_state[FORM_FOR] = inputs.key
        st.session_state.pop(FORM_SEED, None)
        for name in REMEMBERED:
            if name in memory.get(inputs.key, {}):
                st.session_state[name] = memory[inputs.key][name]
            else:
                st.session_state.pop(name, None)
    # Widgets lose their state when the buyer visits another page; start again from the
    # form as it was left (run or not), so edits survive a look at the Videos page.
    if FORM_SEED not in st.session_state or field("budget") not in st.session_state:
        kept = st.session_state.get(FORM_KEPT)
        edited = st.session_state.get(EDITED_STATE)
        if isinstance(kept, tuple) and kept[0] == inputs.key:
            st.session_state[FORM_SEED] = kept[1]
        elif isinstance(edited, tuple) and edited[0] == inputs.key:
            st.session_state[FORM_SEED] = form_defaults(edited[1])
        else:
            st.session_state[FORM_SEED] = form_defaults(inputs.campaign)
    return cast(CampaignForm, st.session_state[FORM_SEED])


def _with_wan(label: str, typed: object) -> str:
    """'投流预算（元） · 300.0万': the typed yuan read back at a glance."""
    amount, problem = read_money(typed, label)
    return f"{label} · {money(amount)}" if amount is not None and problem is None else label


def _date(value: object) -> date | None:
    return value if isinstance(value, date) else None


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) else None


def campaign_form(inputs: Inputs, seed: CampaignForm) -> tuple[CampaignForm, bool]:
    """The campaign form: the values it shows, and whether the buyer pressed Run."""
    video_ids = [v.video_id for v in inputs.videos]
    # The picker names each video by its KOL (and its id, which tells a KOL's videos apart).
    video_names = {vid: f"{name} · {vid}" if name else vid
                   for vid, name in kol_names(inputs.videos).items()}
    chains = [c.value for c in Chain]
    with st.container(border=True):
        c1, c2, c3, c4 = st.columns([3, 2, 2, 2])
        name = c1.text_input(t("form.name"), value=seed.name, key=field("name"))
        chain = c2.selectbox(
            t("form.chain"), chains, index=chains.index(seed.chain),
            format_func={c: chain_name(c) for c in chains}.__getitem__, key=field("chain"),
        )
        # Money as buyers type and read it: 3,000,000 or 300万, read back in 万 in the label.
        budget_text = c3.text_input(
            _with_wan(t("form.budget"), st.session_state.get(field("budget"),
                                                             money_text(seed.budget))),
            value=money_text(seed.budget), key=field("budget"), help=t("form.budget_help"),
        )
        daily_cap_text = c4.text_input(
            _with_wan(t("form.daily_cap"), st.session_state.get(field("daily_cap"),
                                                                money_text(seed.daily_cap))),
            value=money_text(seed.daily_cap), placeholder=t("form.no_cap"),
            key=field("daily_cap"), help=t("form.daily_cap_help"),
        )
        budget, budget_problem = read_money(budget_text, t("form.budget"))
        daily_cap, cap_problem = read_money(daily_cap_text, t("form.daily_cap"))
        c1, c2, c3, c4 = st.columns(4)
        start = c1.date_input(t("form.start"), value=seed.start, key=field("start"),
                              format="YYYY-MM-DD")
        end = c2.date_input(t("form.end"), value=seed.end, key=field("end"),
                            format="YYYY-MM-DD")
        plan_date = c3.date_input(
            t("form.plan_date"), value=seed.plan_date, key=field("plan_date"),
            format="YYYY-MM-DD", help=t("form.plan_date_help"),
        )
        seeding = c4.slider(
            t("form.min_seeding_share"), 0.0, 1.0, value=seed.min_seeding_share, step=0.05,
            key=field("min_seeding_share"), help=t("form.min_seeding_share_help"), format="percent",
        )
        most_seeding = c4.slider(
            t("form.max_seeding_share"), 0.0, 1.0, value=seed.max_seeding_share, step=0.05,
            key=field("max_seeding_share"), help=t("form.max_seeding_share_help"), format="percent",
        )
        c1, c2, c3, c4 = st.columns(4)
        floor_mode = c1.radio(
            t("form.floor_from"), FLOOR_MODES, index=FLOOR_MODES.index(seed.floor_mode),
            format_func={m: t(f"form.floor_mode.{m}") for m in FLOOR_MODES}.__getitem__,
            key=field("floor_mode"),
        )
        roi_floor = c2.number_input(
            t("form.roi_floor"), min_value=0.0, value=seed.roi_floor, step=0.1, format="%.2f",
            key=field("roi_floor"), help=t("form.roi_floor_help"),
        )
        margin = c3.number_input(
            t("form.gross_margin"), min_value=0.0, max_value=1.0, value=seed.gross_margin,
            step=0.05, format="%.2f", placeholder=t("form.gross_margin_placeholder"),
            key=field("gross_margin"), help=t("form.gross_margin_help"),
        )
        returns = c4.number_input(
            t("form.return_rate"), min_value=0.0, max_value=0.99, value=seed.return_rate,
            step=0.05, format="%.2f", placeholder=t("form.return_rate_placeholder"),
            key=field("return_rate"),
        )

        sales_tab, booked_tab, tools_tab = st.tabs(
            [t("form.tab_sales"), t("form.tab_booked"), t("form.tab_tools")]
        )
        big_sales = sales_tab.data_editor(
            seed.big_sales, num_rows="dynamic", hide_index=True, key=field("big_sales"),
            column_config={
                "name": st.column_config.TextColumn(t("form.sale"), required=True),
                "start": _day(t("form.start")), "end": _day(t("form.end")),
            },
        )
        sales_tab.caption(t("form.sales_caption"))
        commitments = booked_tab.data_editor(
            seed.commitments, num_rows="dynamic", hide_index=True, key=field("commitments"),
            column_config={
                "video_id": st.column_config.SelectboxColumn(
                    t("col.video_id"), options=video_ids, required=True,
                    format_func=lambda vid: video_names.get(str(vid), str(vid))),
                "tool": st.column_config.SelectboxColumn(
                    t("col.tool"), options=[tool.value for tool in Tool], required=True,
                    format_func=lambda tool: tool_label(str(tool))),
                "start": _day(t("form.start")), "end": _day(t("form.end")),
                "budget": st.column_config.NumberColumn(
                    t("col.budget"), min_value=0, format="localized"),
                "booking_date": _day(t("col.booking_date")),
            },
        )
        booked_tab.caption(t("form.booked_caption"))
        tools = tools_tab.data_editor(
            seed.tools, num_rows="fixed", hide_index=True, key=field("tools"),
            disabled=["tool", "label", "chains"],
            column_config={
                # The tool's id stays in the data (the campaign needs it), out of sight.
                "tool": None, "label": t("col.tool"), "chains": t("form.chain"),
                "enabled": st.column_config.CheckboxColumn(t("form.enabled")),
                "min_order": st.column_config.NumberColumn(
                    t("form.min_order"), min_value=0, format="localized"),
            },
        )
        tools_tab.caption(t("form.tools_caption"))
        submitted = st.button(
            t("form.run"), type="primary", icon=":material/play_arrow:", key=RUN_BUTTON
        )
    form = CampaignForm(
        name=str(name or ""),
        chain=str(chain),
        start=_date(start),
        end=_date(end),
        plan_date=_date(plan_date),
        budget=budget,
        daily_cap=daily_cap,
        floor_mode=cast(FloorMode, floor_mode),
        roi_floor=_number(roi_floor),
        gross_margin=_number(margin),
        return_rate=_number(returns),
        min_seeding_share=float(seeding),
        max_seeding_share=float(most_seeding),
        big_sales=big_sales,
        commitments=commitments,
        tools=tools,
        typed=tuple(p for p in (budget_problem, cap_problem) if p is not None),
    )
    st.session_state[FORM_KEPT] = (inputs.key, form)
    return form, submitted


def run_plan(inputs: Inputs, form: CampaignForm) -> None:
    """Validate the form, plan, and keep the result; errors show under the form."""
    raw, problems = campaign_dict_from_form(inputs.campaign, form)
    try:
        if problems:
            raise InputError(problems)
        campaign = campaign_from_dict(raw, source=form_source())
    except PlannerError as exc:
        show_error(exc)
        return
    st.session_state[EDITED_STATE] = (inputs.key, campaign)
    try:
        with st.spinner(t("plan.planning", videos=len(inputs.videos),
                          days=len(campaign.days())), show_time=True):
            bundle = plan_bundle(
                inputs.videos_data, inputs.videos_name,
                canonical_json(campaign_to_dict(campaign)), form_source(), current_lang(),
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
        st.markdown(f"**{t('plan.binding')}**\n\n"
                    + "\n".join(f"- {md(line)}" for line in plan.binding_text()))


def show_charts(plan: Plan, campaign: Campaign, names: dict[str, str]) -> None:
    st.subheader(t("plan.spend_by_day"))
    st.altair_chart(
        daily_spend_chart(daily_by_tool(plan), daily_cap=campaign.daily_cap,
                          big_sales=campaign.big_sales),
        width="stretch",
    )
    if campaign.big_sales:
        sales = t("list.sep").join(f"{md(s.name)} {s.start}~{s.end}" for s in campaign.big_sales)
        st.caption(t("plan.sales_shaded", sales=sales)
                   + (t("plan.cap_dashed") if campaign.daily_cap else ""))
    if plan.gmv_fan:
        st.subheader(t("plan.gmv_fan"))
        st.altair_chart(gmv_fan_chart(gmv_fan_frame(plan)), width="stretch")
        if plan.risk is not None:
            st.caption(md(t("plan.gmv_fan_caption", objective=t(f"risk.{plan.risk.objective}"),
                            low=money(plan.gmv_range.get("p10", 0.0)),
                            high=money(plan.gmv_range.get("p90", 0.0)))))
    room = live_room_table(plan)
    if room is not None:
        st.subheader(t("plan.live_room"))
        st.dataframe(room, hide_index=True, width="stretch")
        st.caption(md(live_room_caption(plan)))
    videos = per_video(plan, names)
    st.subheader(t("plan.per_video"))
    st.altair_chart(
        video_spend_gmv_chart(per_video_long(videos), videos["label"].tolist()),
        width="stretch",
    )
    st.subheader(t("plan.roi_vs_floor"))
    st.altair_chart(roi_floor_chart(roi_against_floor(plan, names), plan.roi_floor),
                    width="stretch")
    st.caption(md(plan.roi_floor_text()))


def show_schedule(plan: Plan, campaign: Campaign) -> None:
    """The 排期表 on screen: KOL videos and tools down, days across (sale days shaded, each
    tool in its colour), filtered by tool and KOL, with the shown rows as a download."""
    st.subheader(t("plan.schedule"))
    whole = schedule_view(plan, campaign)
    if whole.frame.empty:
        st.caption(t("plan.no_orders"))
        return
    c1, c2 = st.columns(2)
    tools = c1.multiselect(t("col.tool"), list(dict.fromkeys(whole.tools)),
                           format_func=tool_name, placeholder=t("plan.schedule_all"),
                           key="plan_page.schedule_tools")
    kols = c2.multiselect(t("col.kol_name"), sorted(set(whole.frame["kol_name"])),
                          placeholder=t("plan.schedule_all"), key="plan_page.schedule_kols")
    view = schedule_view(plan, campaign, tools=tools, kols=kols)
    table = pd.concat([view.frame, schedule_totals(view)], ignore_index=True)
    money_columns: list[Hashable] = [*view.days, "row_total"]

    def shade(frame: pd.DataFrame) -> pd.DataFrame:
        css = pd.DataFrame("", index=frame.index, columns=frame.columns)
        for column in view.sales:
            css[column] = f"background-color: {SALE_FILL}"
        for row, tool in enumerate(view.tools):
            css.loc[row, "tool"] = f"background-color: {TOOL_COLOURS[Tool(tool)]}; color: white"
        css.loc[len(view.tools), :] = "font-weight: bold; background-color: #F2F2F2"
        return css

    styled = table.style.apply(shade, axis=None).format(
        "{:,.0f}", subset=money_columns, na_rep="")
    # Each column as wide as its header and longest value; the names pinned, days scroll.
    fit = schedule_widths(table, money_columns)
    columns: dict[str, Any] = {
        label: st.column_config.TextColumn(column_header(label), pinned=True, width=fit[label])
        for label in SCHEDULE_LABELS}
    columns.update({
        name: st.column_config.NumberColumn(
            name, width=fit[name], help=view.sales.get(name) or f"{day:%Y-%m-%d}")
        for name, day in view.days.items()})
    columns["row_total"] = st.column_config.NumberColumn(column_header("row_total"),
                                                         width=fit["row_total"])
    # Every line at once (a header and 35 px a row), not some in a scroll box.
    st.dataframe(styled, hide_index=True, placeholder="", column_config=columns,
                 height=grid_height(len(table)), key="plan_page.schedule_table")
    sales = t("list.sep").join(f"{md(s.name)} {s.start:%m-%d}~{s.end:%m-%d}"
                               for s in campaign.big_sales)
    st.caption(t("plan.schedule_caption") + (t("plan.schedule_sales", sales=sales)
                                             if sales else ""))
    st.download_button(
        t("plan.schedule_download"), csv_bytes(table.rename(columns={
            c: column_header(c) for c in (*SCHEDULE_LABELS, "row_total")})),
        file_name="schedule.csv", mime="text/csv", icon=":material/download:",
        key="plan_page.schedule_download", on_click="ignore")


def order_columns(frame: pd.DataFrame) -> dict[str, Any]:
    """The orders table's columns as wide as their headers and values (``order_widths``),
    less than the page at 1280x800 together (short date headers, full name on hover)."""
    px = order_widths(frame)

    def date(name: str) -> Any:
        return st.column_config.DateColumn(t(ORDER_HEADERS[name]), format="MM-DD",
                                           help=t(f"col.{name}"), width=px[name])

    def text(name: str) -> Any:
        return st.column_config.TextColumn(t(ORDER_HEADERS[name]), width=px[name])

    def number(name: str, fmt: str, **more: Any) -> Any:
        return st.column_config.NumberColumn(t(ORDER_HEADERS[name]), format=fmt,
                                             width=px[name], **more)

    return {
        **{name: text(name) for name in ("kol_name", "video_id", "tool", "mode")},
        **{name: date(name) for name in ("start_date", "end_date", "booking_date")},
        "budget": number("budget", "localized"),
        "expected_gmv": number("expected_gmv", "localized"),
        "expected_roi": number("expected_roi", "%.2f", help=t("col.expected_roi")),
        "fixed": st.column_config.CheckboxColumn(t("col.fixed"), width=px["fixed"]),
        # Long text is read in the details below the table, where it wraps.
        "targeting": None,
        "reasons": None,
    }


def orders_table(orders: list[Order], names: dict[str, str]) -> pd.DataFrame:
    """``orders_frame`` with whole yuan of expected GMV (the budget is whole yuan already)."""
    frame = orders_frame(orders, names)
    frame["expected_gmv"] = frame["expected_gmv"].round(0)
    return frame


ORDER_ORDER: Final = ("kol_name", "video_id", "tool", "mode", "start_date", "end_date",
                      "booking_date", "budget", "expected_gmv", "expected_roi", "fixed")


def show_orders(plan: Plan, names: dict[str, str]) -> None:
    st.subheader(t("plan.orders", count=len(plan.orders)))
    frame = orders_table(plan.orders, names)
    # Every order at once (a header and 35 px a row), not some in a scroll box.
    st.dataframe(frame, hide_index=True, placeholder=BLANK, column_config=order_columns(frame),
                 column_order=ORDER_ORDER, height=grid_height(len(frame)),
                 key="plan_page.orders_table")
    with st.expander(t("plan.order_details")):
        details = frame[["kol_name", "video_id", "tool", "targeting", "reasons"]].rename(
            columns={c: t(f"col.{c}") for c in ("kol_name", "video_id", "tool",
                                                "targeting", "reasons")})
        st.table(details)


def explain_video(plan: Plan, campaign: Campaign, inputs: Inputs,
                  names: dict[str, str]) -> None:
    st.subheader(t("plan.why"))
    gmv: dict[str, float] = {}
    for o in plan.orders:
        gmv[o.video_id] = gmv.get(o.video_id, 0.0) + o.expected_gmv
    summaries = {v.video_id: v for v in plan.videos}
    options = sorted(summaries, key=lambda vid: (-gmv.get(vid, -1.0), vid))
    counts = {vid: sum(1 for o in plan.orders if o.video_id == vid) for vid in options}
    shown = {vid: t("plan.video_option", kol=names.get(vid, ""), video_id=vid,
                    orders=counts[vid]) for vid in options}
    chosen = st.selectbox(
        t("plan.video"), options, key=f"plan_page.explain_video.{current_lang()}",
        format_func=shown.__getitem__,
    )
    if chosen is None:
        return
    summary = summaries[chosen]
    video = next(v for v in inputs.videos if v.video_id == chosen)
    c1, c2, c3, c4 = st.columns(4)
    c1.metric(t("col.tier"), tier_name(summary.tier))
    c2.metric("GPM", f"{summary.gpm:,.1f}")
    c3.metric(t("col.traffic_roi"), f"{summary.traffic_roi:.2f}",
              delta=t("plan.vs_floor", delta=f"{summary.traffic_roi - plan.roi_floor:+.2f}"))
    c4.metric(t("plan.open_tools"), str(len(summary.eligible_tools)))
    st.markdown(f"**{t('plan.verdicts')}**")
    # Lists, not tables: the sentences wrap instead of being cut off.
    st.markdown(reason_lines(summary.reasons))
    mine = [o for o in plan.orders if o.video_id == chosen]
    st.markdown(f"**{t('plan.orders_for', kol=md(names.get(chosen, '')), video_id=md(chosen))}**")
    if mine:
        table = orders_table(mine, names)
        st.dataframe(table, hide_index=True, placeholder=BLANK,
                     column_config=order_columns(table), column_order=ORDER_ORDER)
        st.markdown("\n".join(
            f"- **{md(tool_label(o.tool))} {o.start_date:%m-%d}~{o.end_date:%m-%d}**"
            + (f" · {md(targeting_name(o.targeting))}" if o.targeting else "")
            for o in mine))
    else:
        st.caption(t("plan.no_orders"))
    blocked = why_not_eligible(video, campaign, inputs.videos)  # as the plan saw it
    st.markdown(f"**{t('plan.closed_tools')}**")
    if blocked:
        st.markdown("\n".join(
            f"- **{md(tool_label(b.tool))}**: {md(reason_text(b.reason))}"
            for b in blocked))
    else:
        st.caption(t("plan.all_open"))


def reason_lines(reasons: list[Reason]) -> str:
    """Reasons as a Markdown list of sentences (their codes stay in plan.json)."""
    if not reasons:
        return t("summary.none")
    return "\n".join(f"- {md(reason_text(r))}" for r in reasons)


def show_downloads(bundle: PlanBundle) -> None:
    c1, c2, _ = st.columns([3, 3, 2])  # wide enough for the whole labels
    c1.download_button(
        t("plan.download_xlsx"), bundle.xlsx, file_name="plan.xlsx",
        icon=":material/download:",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        key="plan_page.download_xlsx", on_click="ignore",
    )
    c2.download_button(
        t("plan.download_json"), bundle.json_text, file_name="plan.json",
        mime="application/json",
        icon=":material/download:", key="plan_page.download_json", on_click="ignore",
    )


def record_in_store(inputs: Inputs, bundle: PlanBundle, campaign: Campaign) -> None:
    """Record the plan in the history store, as ``planner plan --store`` does."""
    st.subheader(t("plan.record_header"))
    st.session_state.setdefault(STORE, DEFAULT_STORE)
    c1, c2 = st.columns([4, 1], vertical_alignment="bottom")
    folder, urls = app_stores()
    text = c1.text_input(t("plan.store_label"), key=STORE,
                         help=t("plan.store_help", folder=folder))
    try:
        store, problem = resolve_store(text, folder, urls), ""
    except InputError as exc:
        store, problem = None, str(exc)
    clicked = c2.button(t("plan.record_button"), icon=":material/save:", key=RECORD_BUTTON,
                        disabled=store is None)
    if problem:
        st.error(md(problem), icon=":material/error:")
    st.caption(t("plan.record_caption"))
    if not clicked or store is None:
        return
    if store.path is not None:  # the server's folder, made on use
        store.path.parent.mkdir(parents=True, exist_ok=True)
    recorded = on_store(lambda: record_plan(bundle.plan, campaign, sha256_of(inputs.videos_data),
                                            store, lock_timeout=LOCK_TIMEOUT_S), store)
    if recorded is None:
        return
    st.success(t("plan.recorded", day=bundle.plan.plan_date, campaign=md(campaign.name),
                 store=md(store), version=recorded.plan_id), icon=":material/check_circle:")


def render() -> None:
    st.title(t("page.plan"))
    inputs = inputs_or_hint()
    if inputs is None:
        return
    st.caption(t("plan.caption", count=len(inputs.videos), videos=md(inputs.videos_name),
                 source=md(inputs.campaign_source)))
    form, submitted = campaign_form(inputs, _seed_form(inputs))
    if submitted:
        run_plan(inputs, form)
    result = st.session_state.get(RESULT)
    if not (isinstance(result, tuple) and result[0] == inputs.key):
        return
    bundle, campaign = cast(PlanBundle, result[1]), cast(Campaign, result[2])
    plan = bundle.plan
    names = {**kol_names(inputs.videos), **plan_kol_names(plan)}  # and the live room
    st.header(t("plan.header", campaign=md(plan.campaign), chain=chain_name(plan.chain),
                date=heading_date(plan.plan_date)))
    for note in campaign_warnings(campaign):  # as planner plan prints them
        st.warning(md(note), icon=":material/warning:")
    show_headline(plan)
    show_downloads(bundle)
    record_in_store(inputs, bundle, campaign)
    show_charts(plan, campaign, names)
    show_schedule(plan, campaign)
    show_orders(plan, names)
    explain_video(plan, campaign, inputs, names)
    with st.expander(t("plan.assumptions")):
        st.markdown("\n".join(f"- {md(line)}" for line in plan.assumptions_text()))


render()
