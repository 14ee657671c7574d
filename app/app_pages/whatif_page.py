"""What-if page: the same campaign at other budgets, the budget for a target, the next 10,000.

The page gathers a budget range, a target or a step, calls ``planner.sweep``
(through the cached functions in ``support``) and shows what it returned.
The campaign is the one last planned on the Plan page, else the loaded one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final, Literal, cast

import streamlit as st
from charts import budget_curve_chart, marginal_roi_chart
from support import (
    BLANK,
    CurveBundle,
    Inputs,
    NextStep,
    attitudes_plan,
    current_campaign,
    curve_bundle,
    inputs_or_hint,
    md,
    next_step,
    show_error,
    target_budget,
)

from planner.config import Campaign
from planner.errors import InputError, PlannerError, Problem
from planner.i18n import chain_name, current_lang, money, status_name, t
from planner.models import Plan
from planner.sweep import TargetResult
from planner.views.campaign_form import campaign_to_dict, canonical_json, fingerprint
from planner.views.labels import Metric, money_text, read_money, yuan
from planner.views.plan import attitudes_frame
from planner.views.whatif import (
    MAX_CURVE_POINTS,
    budget_range,
    curve_table,
    default_budget_range,
    target_metrics,
)

# Session-state names (never used as widget keys).
CURVE_RESULT: Final = "whatif_page.result.curve"
TARGET_RESULT: Final = "whatif_page.result.target"
STEP_RESULT: Final = "whatif_page.result.step"
KEPT: Final = "whatif_page.kept"  # (request key, {widget key: value}) across page visits
# Widget keys: "whatif_page.<widget>".
FROM: Final = "whatif_page.curve_from"
TO: Final = "whatif_page.curve_to"
POINTS: Final = "whatif_page.curve_points"
CURVE_BUTTON: Final = "whatif_page.curve_button"
MODE: Final = "whatif_page.target_mode"
TARGET_GMV: Final = "whatif_page.target_gmv"
TARGET_ROI: Final = "whatif_page.target_roi"
PRECISION: Final = "whatif_page.target_precision"
TARGET_BUTTON: Final = "whatif_page.target_button"
STEP: Final = "whatif_page.step"
STEP_BUTTON: Final = "whatif_page.step_button"
RISK_RESULT: Final = "whatif_page.result.risk"
RISK_BUTTON: Final = "whatif_page.risk_button"

Mode = Literal["gmv", "roi"]
MODES: Final[tuple[Mode, ...]] = ("gmv", "roi")
PRECISIONS: Final[tuple[float, ...]] = (1_000.0, 10_000.0, 100_000.0)
DEFAULT_STEP: Final = 10_000.0


def curve_columns() -> dict[str, Any]:
    """The budget curve's columns, in pixels that fit the page at 1280x800 (the limits'
    sentences are listed under the table, where they wrap)."""
    return {
        "budget": st.column_config.NumberColumn(t("col.budget"), format="yen", width=96),
        "total_spend": st.column_config.NumberColumn(t("col.spend"), format="yen", width=96),
        "expected_gmv": st.column_config.NumberColumn(t("col.expected_gmv"), format="yen",
                                                      width=124),
        "roi": st.column_config.NumberColumn("ROI", format="%.2f", width=50,
                                             help=t("whatif.col.roi_help")),
        "marginal_roi": st.column_config.NumberColumn(
            t("chart.marginal_roi"), format="%.2f", width=72,
            help=t("whatif.col.marginal_roi_help")),
        "status": st.column_config.TextColumn(t("metric.status"), width=72),
        "gap": st.column_config.NumberColumn(t("whatif.col.gap"), format="percent", width=56,
                                             help=t("whatif.col.gap_help")),
        "unspent": st.column_config.NumberColumn(t("summary.unspent"), format="yen",
                                                 width=96),
        # The limits are sentences: read in full in a list under the table, where they wrap.
        "binding": None,
    }


@dataclass(frozen=True)
class Context:
    """The inputs and the campaign every answer on the page is made from."""

    inputs: Inputs
    campaign: Campaign
    source: str
    campaign_json: str

    @property
    def key(self) -> str:
        """Results are shown only for the inputs and campaign that made them."""
        return fingerprint(self.inputs.key, self.source, self.campaign_json)

    @property
    def args(self) -> tuple[bytes, str, str, str]:
        return (self.inputs.videos_data, self.inputs.videos_name, self.campaign_json,
                self.source)


# ------------------------------------------------------------------ widget values


def _seed_widgets(ctx: Context) -> None:
    """Start the widgets from their defaults, or from the values before a visit elsewhere.

    Defaults follow the campaign's budget, so other inputs or another campaign
    start the widgets afresh.
    """
    low, high, points = default_budget_range(ctx.campaign.budget)
    # Money boxes hold text as the buyer reads and types it: 3,000,000 or 300万.
    defaults: dict[str, object] = {
        FROM: money_text(low), TO: money_text(high), POINTS: points, MODE: "gmv",
        TARGET_GMV: "", TARGET_ROI: None, PRECISION: 10_000.0, STEP: money_text(DEFAULT_STEP),
    }
    kept = st.session_state.get(KEPT)
    values: dict[str, object] = {}
    if isinstance(kept, tuple) and kept[0] == ctx.key:
        values = cast(dict[str, object], kept[1])
    else:
        for key in defaults:
            st.session_state.pop(key, None)
    for key, default in defaults.items():
        if key not in st.session_state:
            # A box kept while its widget was not drawn (a run cut short) kept nothing:
            # it starts from its default, not empty.
            kept_value = values.get(key)
            st.session_state[key] = default if kept_value is None else kept_value


def _keep_widgets(ctx: Context) -> None:
    keys = (FROM, TO, POINTS, MODE, TARGET_GMV, TARGET_ROI, PRECISION, STEP)
    st.session_state[KEPT] = (ctx.key, {k: st.session_state.get(k) for k in keys})


def _read_back(label: str, key: str) -> str:
    """A money box's label with what it holds read back in 万: '预算从 · 75.0万'."""
    amount, problem = read_money(st.session_state.get(key), label)
    return f"{label} · {money(amount)}" if amount and problem is None else label


def _result(name: str, ctx: Context) -> Any:
    """The stored result under ``name`` if it belongs to the current inputs, else None."""
    stored = st.session_state.get(name)
    if isinstance(stored, tuple) and len(stored) == 2 and stored[0] == ctx.key:
        return stored[1]
    return None


def _metrics(metrics: list[Metric]) -> None:
    for column, metric in zip(st.columns(len(metrics)), metrics, strict=True):
        column.metric(metric.label, metric.value, help=metric.help, border=True)


# ------------------------------------------------------------------ budget curve


def curve_section(ctx: Context) -> None:
    st.subheader(t("whatif.curve_header"))
    st.caption(t("whatif.curve_caption"))
    c1, c2, c3, c4 = st.columns([2, 2, 1, 2], vertical_alignment="bottom")
    low = c1.text_input(_read_back(t("whatif.from"), FROM), key=FROM)
    high = c2.text_input(_read_back(t("whatif.to"), TO), key=TO)
    points = c3.number_input(t("whatif.points"), min_value=1, max_value=MAX_CURVE_POINTS,
                             step=1, key=POINTS)
    if c4.button(t("whatif.curve_button"), type="primary", icon=":material/show_chart:",
                 key=CURVE_BUTTON):
        (start, wrong_start), (stop, wrong_stop) = (read_money(low, t("whatif.from")),
                                                    read_money(high, t("whatif.to")))
        typed = [p for p in (wrong_start, wrong_stop) if p is not None]
        if typed:
            st.session_state.pop(CURVE_RESULT, None)
            show_error(InputError(typed))
        else:
            run_curve(ctx, start, stop, None if points is None else int(points))
    bundle = _result(CURVE_RESULT, ctx)
    if isinstance(bundle, CurveBundle):
        show_curve(ctx, bundle)


def run_curve(ctx: Context, low: float | None, high: float | None, points: int | None) -> None:
    budgets, problems = budget_range(low, high, points)
    st.session_state.pop(CURVE_RESULT, None)
    try:
        if problems:
            raise InputError(problems)
        with st.spinner(t("whatif.curve_planning", videos=len(ctx.inputs.videos),
                          budgets=len(budgets)), show_time=True):
            bundle = curve_bundle(*ctx.args, tuple(budgets), current_lang())
    except PlannerError as exc:
        show_error(exc)
        return
    st.session_state[CURVE_RESULT] = (ctx.key, bundle)


def show_curve(ctx: Context, bundle: CurveBundle) -> None:
    table = curve_table(bundle.curve)
    budgets = table["budget"]
    st.caption(t("whatif.curve_summary", count=len(table), low=money(budgets.min()),
                 high=money(budgets.max()), budget=money(ctx.campaign.budget)))
    shown = table.assign(status=table["status"].map(status_name))
    st.dataframe(shown, hide_index=True, placeholder=BLANK, column_config=curve_columns())
    limits = ["- " + t("whatif.limit_line", budget=money(budget), limits=md(text))
              for budget, text in zip(table["budget"], table["binding"], strict=True) if text]
    if limits:
        st.markdown(f"**{t('plan.binding')}**\n\n" + "\n".join(limits))
    infeasible = table.loc[table["status"] == "infeasible", "budget"].tolist()
    if infeasible:
        st.warning(t("whatif.curve_infeasible",
                     budgets=t("list.sep").join(money(b) for b in infeasible)))
    c1, c2 = st.columns(2)
    with c1:
        st.markdown(f"**{t('whatif.chart_gmv')}**")
        st.altair_chart(budget_curve_chart(table, ctx.campaign.budget), width="stretch")
    with c2:
        st.markdown(f"**{t('whatif.chart_marginal')}**")
        st.altair_chart(
            marginal_roi_chart(table, ctx.campaign.budget, ctx.campaign.effective_roi_floor),
            width="stretch",
        )
    st.caption(t("whatif.curve_note"))
    d1, d2, _ = st.columns([2, 2, 3])  # wide enough for the whole labels
    d1.download_button(
        t("whatif.download_xlsx"), bundle.xlsx, file_name="budget_curve.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        icon=":material/download:", key="whatif_page.download_xlsx", on_click="ignore",
    )
    d2.download_button(
        t("whatif.download_csv"), bundle.csv, file_name="budget_curve.csv", mime="text/csv",
        icon=":material/download:", key="whatif_page.download_csv", on_click="ignore",
    )


# ------------------------------------------------------------------ target mode


def target_section(ctx: Context) -> None:
    st.subheader(t("whatif.target_header"))
    modes = {m: t(f"whatif.mode.{m}") for m in MODES}
    mode = st.radio(t("whatif.find"), MODES, format_func=modes.__getitem__, key=MODE,
                    horizontal=True)
    c1, c2, c3 = st.columns([2, 2, 2], vertical_alignment="bottom")
    value: float | None
    typed: Problem | None = None
    if mode == "gmv":
        value, typed = read_money(c1.text_input(
            _read_back(t("whatif.target_gmv"), TARGET_GMV),
            placeholder=t("whatif.target_gmv_placeholder"), key=TARGET_GMV,
        ), t("whatif.target_gmv"))
    else:
        value = c1.number_input(
            t("whatif.min_roi"), min_value=0.0, step=0.1, format="%.2f",
            placeholder=t("whatif.min_roi_placeholder"), key=TARGET_ROI,
            help=t("whatif.min_roi_help"),
        )
    precisions = {p: t(f"whatif.precision.{p:.0f}") for p in PRECISIONS}
    tolerance = c2.selectbox(t("whatif.precision"), PRECISIONS,
                             format_func=precisions.__getitem__, key=PRECISION)
    if c3.button(t("whatif.target_button"), type="primary", icon=":material/target:",
                 key=TARGET_BUTTON):
        if typed is not None:
            st.session_state.pop(TARGET_RESULT, None)
            show_error(InputError(typed))
        else:
            run_target(ctx, mode, value, float(tolerance))
    answer = _result(TARGET_RESULT, ctx)
    if isinstance(answer, tuple):
        show_target(*cast(tuple[str, TargetResult, float], answer))


def run_target(ctx: Context, mode: Mode, value: float | None, tolerance: float) -> None:
    st.session_state.pop(TARGET_RESULT, None)
    if value is None:
        st.warning(t("whatif.need_gmv") if mode == "gmv" else t("whatif.need_roi"))
        return
    question = (t("whatif.question_gmv", gmv=yuan(value)) if mode == "gmv"
                else t("whatif.question_roi", roi=f"{value:.2f}"))
    try:
        with st.spinner(t("whatif.target_planning", question=question), show_time=True):
            result = target_budget(
                *ctx.args,
                gmv_target=value if mode == "gmv" else None,
                min_roi=value if mode == "roi" else None,
                tolerance=tolerance, lang=current_lang(),
            )
    except PlannerError as exc:
        show_error(exc)
        return
    st.session_state[TARGET_RESULT] = (ctx.key, (question, result, tolerance))


def show_target(question: str, result: TargetResult, tolerance: float) -> None:
    st.markdown(t("whatif.asked", question=md(question)))
    if result.reached:
        st.success(md(result.message), icon=":material/check_circle:")
    else:
        st.warning(md(result.message), icon=":material/block:")
    metrics = target_metrics(result)
    if metrics:
        _metrics(metrics)
    st.caption(t("whatif.solves", solves=result.solves, tolerance=f"{tolerance:,.0f}"))


# ------------------------------------------------------------------ the next step


def step_section(ctx: Context) -> None:
    st.subheader(t("whatif.step_header"))
    c1, c2, _ = st.columns([2, 2, 2], vertical_alignment="bottom")
    # The default shows in an empty box, and an empty box asks for it: a box emptied by
    # a run cut short (a click while the page ran) still prices the next 10,000 yuan.
    typed = c1.text_input(_read_back(t("whatif.step"), STEP), key=STEP,
                          placeholder=money_text(DEFAULT_STEP), help=t("whatif.step_help"))
    if c2.button(t("whatif.step_button"), type="primary", icon=":material/add_card:",
                 key=STEP_BUTTON):
        step, wrong = read_money(typed or money_text(DEFAULT_STEP), t("whatif.step"))
        if wrong is not None:
            st.session_state.pop(STEP_RESULT, None)
            show_error(InputError(wrong))
        else:
            run_step(ctx, step or None)
    answer = _result(STEP_RESULT, ctx)
    if isinstance(answer, NextStep):
        show_step(answer)


def run_step(ctx: Context, step: float | None) -> None:
    st.session_state.pop(STEP_RESULT, None)
    try:
        if step is None:
            raise InputError(t("whatif.step_positive"))
        with st.spinner(t("whatif.step_planning", base=yuan(ctx.campaign.budget),
                          more=yuan(ctx.campaign.budget + step)), show_time=True):
            answer = next_step(*ctx.args, float(step), current_lang())
    except PlannerError as exc:
        show_error(exc)
        return
    st.session_state[STEP_RESULT] = (ctx.key, answer)


def show_step(answer: NextStep) -> None:
    plan = answer.plan
    st.markdown(t("whatif.step_title", step=yuan(answer.step), budget=yuan(plan.budget))
                + "\n\n" + "\n".join(f"- {md(line)}" for line in answer.lines))
    if plan.binding:
        st.markdown(t("whatif.step_binding", budget=yuan(plan.budget)) + "\n\n"
                    + "\n".join(f"- {md(line)}" for line in plan.binding_text()))
    st.caption(t("whatif.step_caption", budget=yuan(plan.budget), spend=yuan(plan.total_spend),
                 gmv=yuan(plan.expected_gmv), roi=f"{plan.expected_roi:.2f}",
                 status=status_name(plan.status)))


def risk_section(ctx: Context) -> None:
    st.subheader(t("whatif.risk_header"))
    st.caption(t("whatif.risk_caption", objective=t(f"risk.{ctx.campaign.risk.objective}"),
                 share=f"{ctx.campaign.risk.level:.0%}"))
    if st.button(t("whatif.risk_button"), type="primary", icon=":material/balance:",
                 key=RISK_BUTTON):
        st.session_state.pop(RISK_RESULT, None)
        try:
            with st.spinner(t("whatif.risk_planning"), show_time=True):
                plan = attitudes_plan(*ctx.args, current_lang())
        except PlannerError as exc:
            show_error(exc)
            return
        st.session_state[RISK_RESULT] = (ctx.key, plan)
    plan = _result(RISK_RESULT, ctx)
    if isinstance(plan, Plan):
        show_attitudes(plan)


def show_attitudes(plan: Plan) -> None:
    table = attitudes_frame(plan)
    st.dataframe(
        table.drop(columns=["chosen"]), hide_index=True, placeholder=BLANK, width="stretch",
        column_config={
            "objective": st.column_config.TextColumn(t("whatif.risk_objective")),
            "expected_gmv": st.column_config.NumberColumn(t("summary.expected_gmv"),
                                                          format="%,.0f"),
            "gmv_p10": st.column_config.NumberColumn(t("summary.gmv_p10"), format="%,.0f"),
            "tail_gmv": st.column_config.NumberColumn(
                t("summary.tail_gmv", share=plan.risk.level if plan.risk else 0.1),
                format="%,.0f"),
        },
    )
    if plan.risk is not None:
        st.caption(md(plan.risk.attitudes_text()))


# ------------------------------------------------------------------ page


def render() -> None:
    st.title(t("page.whatif"))
    inputs = inputs_or_hint()
    if inputs is None:
        return
    campaign, source = current_campaign(inputs)
    ctx = Context(inputs, campaign, source, canonical_json(campaign_to_dict(campaign)))
    st.caption(t("whatif.caption", campaign=md(campaign.name), source=md(source),
                 budget=yuan(campaign.budget), chain=chain_name(campaign.chain),
                 floor=f"{campaign.effective_roi_floor:.2f}", count=len(inputs.videos)))
    _seed_widgets(ctx)
    curve_section(ctx)
    st.divider()
    target_section(ctx)
    st.divider()
    step_section(ctx)
    st.divider()
    risk_section(ctx)
    _keep_widgets(ctx)


render()
