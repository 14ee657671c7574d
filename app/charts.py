"""Altair charts of a plan, built from the tables in ``planner.views``.

Each function takes a DataFrame (and the few figures it marks) and returns a
chart; nothing here reads widgets or session state.
"""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import pandas as pd

from planner.config import BigSale

_YUAN_AXIS = alt.Axis(format=",.0f")


def daily_spend_chart(
    daily: pd.DataFrame, *, daily_cap: float | None = None, big_sales: Sequence[BigSale] = ()
) -> alt.LayerChart:
    """Spend per day stacked by tool; big sales shaded; the daily cap as a dashed rule."""
    bars = (
        alt.Chart(daily)
        .mark_bar()
        .encode(
            x=alt.X("yearmonthdate(date):T", title="Day", axis=alt.Axis(format="%m-%d")),
            y=alt.Y("sum(spend):Q", title="Spend (yuan)", axis=_YUAN_AXIS),
            color=alt.Color("tool:N", title="Tool", legend=alt.Legend(orient="bottom")),
            tooltip=[
                alt.Tooltip("yearmonthdate(date):T", title="Day"),
                alt.Tooltip("tool:N", title="Tool"),
                alt.Tooltip("sum(spend):Q", title="Spend", format=",.0f"),
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
        layers.append(
            alt.Chart(sales)
            .mark_rect(opacity=0.12, color="#d62728")
            .encode(x="start:T", x2="end:T", tooltip=[alt.Tooltip("sale:N", title="Big sale")])
        )
    layers.append(bars)
    if daily_cap is not None:
        cap = pd.DataFrame([{"cap": daily_cap, "label": f"daily cap {daily_cap:,.0f}"}])
        layers.append(
            alt.Chart(cap)
            .mark_rule(strokeDash=[6, 4], color="#444")
            .encode(y="cap:Q", tooltip=[alt.Tooltip("label:N", title="Limit")])
        )
    return alt.LayerChart(layer=layers, height=320)


def video_spend_gmv_chart(long: pd.DataFrame, order: Sequence[str]) -> alt.Chart:
    """Spend and expected GMV side by side for each video, in the given order."""
    chart: alt.Chart = (
        alt.Chart(long, height=320)
        .mark_bar()
        .encode(
            x=alt.X("video_id:N", title="Video", sort=list(order)),
            xOffset=alt.XOffset("measure:N", sort=["Spend", "Expected GMV"]),
            y=alt.Y("yuan:Q", title="Yuan", axis=_YUAN_AXIS),
            color=alt.Color(
                "measure:N",
                title=None,
                sort=["Spend", "Expected GMV"],
                scale=alt.Scale(range=["#4c78a8", "#54a24b"]),
                legend=alt.Legend(orient="bottom"),
            ),
            tooltip=[
                alt.Tooltip("video_id:N", title="Video"),
                alt.Tooltip("kol_name:N", title="KOL"),
                alt.Tooltip("measure:N", title="Figure"),
                alt.Tooltip("yuan:Q", title="Yuan", format=",.0f"),
            ],
        )
    )
    return chart


def roi_floor_chart(roi: pd.DataFrame, floor: float) -> alt.LayerChart:
    """Each video's traffic ROI as a bar, coloured by the verdict; the floor as a rule."""
    order = roi["video_id"].tolist()
    bars = (
        alt.Chart(roi)
        .mark_bar()
        .encode(
            x=alt.X("video_id:N", title="Video", sort=order),
            y=alt.Y("traffic_roi:Q", title="Traffic ROI (GPM / CPM)"),
            color=alt.Color(
                "verdict:N",
                title=None,
                scale=alt.Scale(
                    domain=["at or above floor", "below floor"], range=["#54a24b", "#bab0ac"]
                ),
                legend=alt.Legend(orient="bottom"),
            ),
            tooltip=[
                alt.Tooltip("video_id:N", title="Video"),
                alt.Tooltip("kol_name:N", title="KOL"),
                alt.Tooltip("traffic_roi:Q", title="Traffic ROI", format=".2f"),
                alt.Tooltip("verdict:N", title="Verdict"),
            ],
        )
    )
    line = pd.DataFrame([{"floor": floor, "label": f"ROI floor {floor:.2f}"}])
    rule = alt.Chart(line).mark_rule(color="#d62728", strokeWidth=2).encode(
        y="floor:Q", tooltip=[alt.Tooltip("label:N", title="Limit")]
    )
    # Bars are sorted best first, so the right end is where the label has room.
    text = alt.Chart(line).mark_text(align="right", dx=-4, dy=-8, color="#d62728").encode(
        x=alt.value(alt.expr("width")), y="floor:Q", text="label:N"
    )
    return alt.LayerChart(layer=[bars, rule, text], height=320)

