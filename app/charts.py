"""Altair charts of a plan, built from the tables in ``planner.views``.

Each function takes a DataFrame (and the few figures it marks) and returns a
chart; nothing here reads widgets or session state.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import altair as alt
import pandas as pd

from planner.config import BigSale
from planner.i18n import money, money_axis_divisor, status_name, t
from planner.tools import SALE_COLOUR
from planner.views.labels import tool_colours

# Every bar of a per-video chart carries its KOL's name, none skipped.
_VIDEO_AXIS = alt.Axis(labelOverlap=False, labelAngle=-50, labelLimit=140, labelFontSize=11)


def _in_units(frame: pd.DataFrame, column: str) -> tuple[pd.DataFrame, str]:
    """``column`` divided into 万 (Chinese) or thousands of yuan (English) for an axis."""
    divisor, unit = money_axis_divisor()
    scaled = frame.copy()
    scaled[f"{column}_axis"] = scaled[column] / divisor
    return scaled, t(unit)


# The sale band on the spend chart: how much room the axis leaves over the tallest day for
# the band to show above the bars, and how strong it is (a tint no tool colour resembles).
SALE_HEADROOM: Final = 1.18
SALE_OPACITY: Final = 0.22


def daily_spend_chart(
    daily: pd.DataFrame, *, daily_cap: float | None = None, big_sales: Sequence[BigSale] = ()
) -> alt.LayerChart:
    """Spend per day stacked by tool (axis in 万); the daily cap dashed; big sales shaded
    under the bars, the axis running a sixth above the tallest day so the band shows over
    the sale's bars (which reach the cap), its name on top."""
    scaled, unit = _in_units(daily, "spend")
    divisor, _ = money_axis_divisor()
    domain, colours = tool_colours(daily["tool"])
    tallest = max(float(scaled.groupby("date")["spend_axis"].sum().max()) if len(scaled) else 0.0,
                  (daily_cap or 0.0) / divisor)
    top = tallest * SALE_HEADROOM if tallest > 0 else 1.0
    bars = (
        alt.Chart(scaled)
        .mark_bar()
        .encode(
            x=alt.X("yearmonthdate(date):T", title=t("chart.axis_day"),
                    axis=alt.Axis(format="%m-%d")),
            y=alt.Y("sum(spend_axis):Q", title=t("chart.axis_spend", unit=unit),
                    axis=alt.Axis(format=",.1~f"),
                    scale=alt.Scale(domain=[0, top], nice=False)),
            color=alt.Color("tool:N", title=t("col.tool"), legend=alt.Legend(orient="bottom"),
                            scale=alt.Scale(domain=domain, range=colours), sort=domain),
            tooltip=[
                alt.Tooltip("yearmonthdate(date):T", title=t("chart.axis_day")),
                alt.Tooltip("tool:N", title=t("col.tool")),
                alt.Tooltip("sum(spend):Q", title=t("col.spend"), format=",.0f"),
            ],
        )
    )
    layers: list[alt.Chart] = []
    if big_sales:
        sales = pd.DataFrame(
            [
                {"sale": s.name, "start": pd.Timestamp(s.start),
                 "end": pd.Timestamp(s.end) + pd.Timedelta(days=1)}
                for s in big_sales
            ]
        )
        sales["top"] = top
        band = alt.Chart(sales).encode(
            x="start:T", x2="end:T",
            tooltip=[alt.Tooltip("sale:N", title=t("schedule.sale_band"))])
        layers.append(band.mark_rect(opacity=SALE_OPACITY, color=SALE_COLOUR))
        layers.append(band.mark_text(align="left", baseline="top", dx=4, dy=4,
                                     color=SALE_COLOUR, fontWeight="bold")
                      .encode(y=alt.Y("top:Q", scale=alt.Scale(domain=[0, top], nice=False)),
                              text="sale:N"))
    layers.append(bars)
    if daily_cap is not None:
        cap = pd.DataFrame([{"cap": daily_cap / divisor,
                             "label": t("chart.daily_cap", cap=money(daily_cap))}])
        layers.append(
            alt.Chart(cap)
            .mark_rule(strokeDash=[6, 4], color="#444")
            .encode(y="cap:Q", tooltip=[alt.Tooltip("label:N", title=t("chart.limit"))])
        )
    return alt.LayerChart(layer=layers, height=320)


def video_spend_gmv_chart(long: pd.DataFrame, order: Sequence[str]) -> alt.Chart:
    """Spend and expected GMV side by side for each video (labelled by KOL), in ``order``."""
    scaled, unit = _in_units(long, "yuan")
    measures = [t("chart.spend"), t("chart.expected_gmv")]
    chart: alt.Chart = (
        alt.Chart(scaled, height=340)
        .mark_bar()
        .encode(
            x=alt.X("label:N", title=None, sort=list(order), axis=_VIDEO_AXIS),
            xOffset=alt.XOffset("measure:N", sort=measures),
            y=alt.Y("yuan_axis:Q", title=unit, axis=alt.Axis(format=",.1~f")),
            color=alt.Color(
                "measure:N",
                title=None,
                sort=measures,
                scale=alt.Scale(range=["#4c78a8", "#54a24b"]),
                legend=alt.Legend(orient="bottom"),
            ),
            tooltip=[
                alt.Tooltip("kol_name:N", title=t("col.kol_name")),
                alt.Tooltip("video_id:N", title=t("col.video_id")),
                alt.Tooltip("measure:N", title=t("chart.figure")),
                alt.Tooltip("yuan:Q", title=t("chart.yuan"), format=",.0f"),
            ],
        )
    )
    return chart


def roi_floor_chart(roi: pd.DataFrame, floor: float) -> alt.LayerChart:
    """Each video's traffic ROI as a bar (labelled by KOL), coloured by the verdict."""
    order = roi["label"].tolist()
    verdicts = [t("chart.above_floor"), t("chart.below_floor")]
    bars = (
        alt.Chart(roi)
        .mark_bar()
        .encode(
            x=alt.X("label:N", title=None, sort=order, axis=_VIDEO_AXIS),
            y=alt.Y("traffic_roi:Q", title=t("chart.traffic_roi_axis")),
            color=alt.Color(
                "verdict:N",
                title=None,
                scale=alt.Scale(domain=verdicts, range=["#54a24b", "#bab0ac"]),
                legend=alt.Legend(orient="bottom"),
            ),
            tooltip=[
                alt.Tooltip("kol_name:N", title=t("col.kol_name")),
                alt.Tooltip("video_id:N", title=t("col.video_id")),
                alt.Tooltip("traffic_roi:Q", title=t("col.traffic_roi"), format=".2f"),
                alt.Tooltip("verdict:N", title=t("chart.verdict")),
            ],
        )
    )
    line = pd.DataFrame([{"floor": floor, "label": t("chart.roi_floor", floor=f"{floor:.2f}")}])
    rule = alt.Chart(line).mark_rule(color="#d62728", strokeWidth=2).encode(
        y="floor:Q", tooltip=[alt.Tooltip("label:N", title=t("chart.limit"))]
    )
    # Bars are sorted best first, so the right end is where the label has room.
    text = alt.Chart(line).mark_text(align="right", dx=-4, dy=-8, color="#d62728").encode(
        x=alt.value(alt.expr("width")), y="floor:Q", text="label:N"
    )
    return alt.LayerChart(layer=[bars, rule, text], height=340)



def _curve_points(curve: pd.DataFrame) -> pd.DataFrame:
    """The rows of a budget curve that have a plan (infeasible budgets have no figures)."""
    return curve.loc[curve["expected_gmv"].notna()].reset_index(drop=True)


def _budget_axis() -> alt.X:
    """Budget on the x axis, in 万 (Chinese) or thousands of yuan (English)."""
    return alt.X("budget_axis:Q", title=t("chart.axis_budget", unit=t(money_axis_divisor()[1])),
                 axis=alt.Axis(format=",.1~f"))


def _budget_rule(budget: float) -> alt.Chart:
    divisor, _ = money_axis_divisor()
    mark = pd.DataFrame([{"budget_axis": budget / divisor,
                          "label": t("chart.current_budget", budget=money(budget))}])
    rule: alt.Chart = (
        alt.Chart(mark)
        .mark_rule(strokeDash=[6, 4], color="#d62728", strokeWidth=2)
        .encode(x="budget_axis:Q",
                tooltip=[alt.Tooltip("label:N", title=t("chart.campaign"))])
    )
    return rule


def budget_curve_chart(curve: pd.DataFrame, current_budget: float) -> alt.LayerChart:
    """Expected GMV and spend against the budget; the campaign's budget as a dashed rule.

    ``curve`` is ``planner.views.curve_table`` of a budget curve; the tooltip of
    each point carries its ROI and marginal ROI. Both axes in 万 (Chinese) or
    thousands of yuan (English); tooltips in exact yuan.
    """
    points = _curve_points(curve)
    long = points.melt(
        id_vars=["budget", "roi", "marginal_roi", "status"],
        value_vars=["expected_gmv", "total_spend"],
        var_name="measure",
        value_name="yuan",
    )
    measures = [t("chart.expected_gmv"), t("chart.spend")]
    long["measure"] = long["measure"].map(
        {"expected_gmv": measures[0], "total_spend": measures[1]})
    long["status"] = long["status"].map(status_name)
    long, unit = _in_units(long, "yuan")
    long["budget_axis"] = long["budget"] / money_axis_divisor()[0]
    lines = (
        alt.Chart(long)
        .mark_line(point=True)
        .encode(
            x=_budget_axis(),
            y=alt.Y("yuan_axis:Q", title=t("chart.axis_amount", unit=unit),
                    axis=alt.Axis(format=",.1~f")),
            color=alt.Color(
                "measure:N",
                title=None,
                sort=measures,
                scale=alt.Scale(range=["#54a24b", "#4c78a8"]),
                legend=alt.Legend(orient="bottom"),
            ),
            tooltip=[
                alt.Tooltip("budget:Q", title=t("chart.budget"), format=",.0f"),
                alt.Tooltip("measure:N", title=t("chart.figure")),
                alt.Tooltip("yuan:Q", title=t("chart.yuan"), format=",.0f"),
                alt.Tooltip("roi:Q", title=t("chart.roi"), format=".2f"),
                alt.Tooltip("marginal_roi:Q", title=t("chart.marginal_roi"), format=".2f"),
                alt.Tooltip("status:N", title=t("metric.status")),
            ],
        )
    )
    return alt.LayerChart(layer=[lines, _budget_rule(current_budget)], height=320)


def marginal_roi_chart(
    curve: pd.DataFrame, current_budget: float, floor: float
) -> alt.LayerChart:
    """Marginal ROI (extra GMV / extra spend since the budget before) against the ROI floor."""
    points = _curve_points(curve)
    points = points.loc[points["marginal_roi"].notna()].copy()
    points["budget_axis"] = points["budget"] / money_axis_divisor()[0]
    marks = (
        alt.Chart(points)
        .mark_line(point=True, color="#f58518")
        .encode(
            x=_budget_axis(),
            y=alt.Y("marginal_roi:Q", title=t("chart.marginal_roi"), scale=alt.Scale(zero=True)),
            tooltip=[
                alt.Tooltip("budget:Q", title=t("chart.budget"), format=",.0f"),
                alt.Tooltip("marginal_roi:Q", title=t("chart.marginal_roi"), format=".2f"),
                alt.Tooltip("roi:Q", title=t("chart.overall_roi"), format=".2f"),
            ],
        )
    )
    line = pd.DataFrame([{"floor": floor, "label": t("chart.roi_floor", floor=f"{floor:.2f}")}])
    rule = alt.Chart(line).mark_rule(color="#444", strokeWidth=1).encode(
        y="floor:Q", tooltip=[alt.Tooltip("label:N", title=t("chart.limit"))]
    )
    return alt.LayerChart(layer=[marks, rule, _budget_rule(current_budget)], height=320)


def gmv_fan_chart(fan: pd.DataFrame) -> alt.LayerChart:
    """Cumulative GMV day by day: the expected line inside its P10-P90 band."""
    divisor, unit_key = money_axis_divisor()
    unit = t(unit_key)
    scaled = fan.assign(**{c: fan[c] / divisor for c in ("expected", "p10", "p50", "p90")})
    x = alt.X("yearmonthdate(date):T", title=t("chart.axis_day"), axis=alt.Axis(format="%m-%d"))
    band = alt.Chart(scaled).mark_area(opacity=0.25, color="#4c78a8").encode(
        x=x,
        y=alt.Y("p10:Q", title=t("chart.axis_cumulative_gmv", unit=unit),
                axis=alt.Axis(format=",.1~f")),
        y2="p90:Q",
        tooltip=[alt.Tooltip("yearmonthdate(date):T", title=t("chart.axis_day")),
                 alt.Tooltip("p10:Q", title="P10", format=",.1f"),
                 alt.Tooltip("p90:Q", title="P90", format=",.1f")],
    )
    line = alt.Chart(scaled).mark_line(color="#4c78a8").encode(
        x=x, y="expected:Q",
        tooltip=[alt.Tooltip("yearmonthdate(date):T", title=t("chart.axis_day")),
                 alt.Tooltip("expected:Q", title=t("chart.expected"), format=",.1f")],
    )
    return alt.LayerChart(layer=[band, line], height=300)



def pva_trend_chart(trend: pd.DataFrame) -> alt.VConcatChart:
    """Planned (dashed) against actual (solid) per day: spend and GMV in 万 above, ROI
    below (its own axis), one colour per figure; the legends draw the lines themselves
    (a dashed and a solid stroke, each figure's colour as a stroke).

    ``trend`` has the columns of ``planner.views.replan.pva_trend``; a day without a
    recorded plan has no planned point, so its line breaks instead of dropping to 0.
    """
    names = {f: t(f"replan.trend.{f}") for f in ("spend", "gmv", "roi")}
    figures = list(names.values())
    kinds = [t(f"replan.trend.{k}") for k in ("planned", "actual")]
    long = trend.assign(
        label=trend["figure"].map(names),
        kind=trend["kind"].map(lambda k: t(f"replan.trend.{k}")),
        date=pd.to_datetime(trend["date"]),
    )
    long, unit = _in_units(long, "value")

    def stroke() -> alt.Legend:
        return alt.Legend(symbolType="stroke", symbolStrokeWidth=3, symbolSize=300,
                          orient="bottom")

    def panel(frame: pd.DataFrame, y: alt.Y, height: int, fmt: str, what: str) -> alt.Chart:
        drawn: alt.Chart = (
            alt.Chart(frame, height=height)
            .mark_line(point=alt.OverlayMarkDef(size=30))
            .encode(
                x=alt.X("yearmonthdate(date):T", title=t("chart.axis_day"),
                        axis=alt.Axis(format="%m-%d")),
                y=y,
                color=alt.Color("label:N", title=None, sort=figures,
                                scale=alt.Scale(domain=figures,
                                                range=["#4c78a8", "#54a24b", "#e45756"]),
                                legend=stroke()),
                strokeDash=alt.StrokeDash("kind:N", title=None, sort=kinds,
                                          scale=alt.Scale(domain=kinds,
                                                          range=DASHES),
                                          legend=None),  # drawn by ``dash_key``
                detail="kind:N",
                tooltip=[
                    alt.Tooltip("yearmonthdate(date):T", title=t("chart.axis_day")),
                    alt.Tooltip("label:N", title=t("chart.figure")),
                    alt.Tooltip("kind:N", title=t("replan.trend.kind")),
                    alt.Tooltip("value:Q", title=what, format=fmt),
                ],
            )
        )
        return drawn

    money_rows = long[long["figure"] != "roi"]
    roi_rows = long[long["figure"] == "roi"]
    money_panel = panel(money_rows, alt.Y("value_axis:Q",
                                          title=t("chart.axis_amount", unit=unit),
                                          axis=alt.Axis(format=",.1~f")), 240, ",.0f",
                        t("chart.yuan"))
    roi_panel = panel(roi_rows, alt.Y("value:Q", title=t("replan.trend.roi"),
                                      axis=alt.Axis(format=".1f")), 160, ".2f",
                      t("replan.trend.roi"))
    chart: alt.VConcatChart = alt.vconcat(money_panel, roi_panel, dash_key(kinds))
    chart = chart.resolve_scale(color="shared").configure_view(strokeWidth=0)
    return chart


# Planned dashed, actual solid.
DASHES: Final = [[6, 4], [1, 0]]


def dash_key(kinds: Sequence[str]) -> alt.Chart:
    """A legend of the line styles, drawn as lines: a dashed and a solid stroke, each named
    on its left (Vega-Lite's own legend for dashes drew no strokes in Chromium). One view,
    not a layer, so the charts above it still fit the page's width."""
    key = pd.DataFrame({"kind": list(kinds), "x": [0.0, 0.0], "x2": [40.0, 40.0]})
    chart: alt.Chart = (
        alt.Chart(key, height=44)
        .mark_rule(strokeWidth=2.5, color="#555555")
        .encode(
            x=alt.X("x:Q", scale=alt.Scale(domain=[0, 400]), axis=None),
            x2="x2:Q",
            y=alt.Y("kind:N", sort=list(kinds), title=None,
                    axis=alt.Axis(ticks=False, domain=False, labelFontSize=13)),
            strokeDash=alt.StrokeDash("kind:N", sort=list(kinds), legend=None,
                                      scale=alt.Scale(domain=list(kinds), range=DASHES)),
        )
    )
    return chart
