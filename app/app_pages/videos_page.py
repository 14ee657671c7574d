"""Videos page: the scored roster, sortable and filterable."""

from __future__ import annotations

from typing import Any, Final

import pandas as pd
import streamlit as st
from support import (
    BLANK,
    current_campaign,
    grid_height,
    inputs_or_hint,
    md,
    score_videos,
    show_error,
)

from planner.errors import PlannerError
from planner.i18n import chain_name, t, tier_name
from planner.tools import CHAIN_TOOLS, LIVE_ROOM_TOOLS
from planner.views.campaign_form import campaign_to_dict, canonical_json
from planner.views.labels import TIERS, column_px, tool_label
from planner.views.videos import filter_roster, roster_display, roster_frame

ANY_TOOL: Final = ""


def roster_columns(table: pd.DataFrame) -> dict[str, Any]:
    """The roster's columns, each as wide as its header and longest value (``column_px``)
    and together narrower than the page at 1280x800: short headers with the full name on
    hover; the rules' verdicts are long sentences, read in full below the table."""
    def fit(name: str, header: str, values: Any = None) -> int:
        return column_px(table[name] if values is None else values, header)

    return {
        "video_id": st.column_config.TextColumn(t("col.video_id"),
                                                width=fit("video_id", t("col.video_id"))),
        "kol_name": st.column_config.TextColumn(t("col.kol_name"),
                                                width=fit("kol_name", t("col.kol_name"))),
        "tier": st.column_config.TextColumn(t("videos.tier_short"), help=t("col.tier"),
                                            width=fit("tier", t("videos.tier_short"))),
        "age_days": st.column_config.NumberColumn(
            t("videos.age_short"), format="%d", help=t("videos.age_days"),
            width=fit("age_days", t("videos.age_short"))),
        "gpm": st.column_config.NumberColumn(
            "GPM", format="%.1f", help=t("videos.gpm_help"),
            width=fit("gpm", "GPM", [f"{v:.1f}" for v in table["gpm"]])),
        "traffic_roi": st.column_config.NumberColumn(
            t("col.traffic_roi"), format="%.2f", help=t("videos.roi_help"),
            width=column_px([], t("col.traffic_roi"))),
        "comment_like_rate": st.column_config.NumberColumn(
            t("videos.comment_like_rate"), format="percent", help=t("videos.clr_help"),
            width=fit("comment_like_rate", t("videos.comment_like_rate"),
                      [f"{v:.2%}" for v in table["comment_like_rate"]])),
        "engagement_rate": st.column_config.NumberColumn(
            t("videos.engagement_short"), format="%.2f", help=t("videos.engagement_help"),
            width=fit("engagement_rate", t("videos.engagement_short"),
                      [f"{v:.2f}" for v in table["engagement_rate"]])),
        "has_weight": st.column_config.CheckboxColumn(
            t("videos.weight"), help=t("videos.weight_help"),
            width=column_px([], t("videos.weight"))),
        "burst": st.column_config.CheckboxColumn(t("videos.burst"),
                                                 width=column_px([], t("videos.burst"))),
        # Names in a line (no pills): the most tools a video can have fit the column.
        "eligible_tools": st.column_config.TextColumn(
            t("col.eligible_tools"), width=fit("eligible_tools", t("col.eligible_tools"))),
        "verdicts": None,
    }


def render() -> None:
    st.title(t("page.videos"))
    inputs = inputs_or_hint()
    if inputs is None:
        return
    campaign, source = current_campaign(inputs)
    st.caption(t(
        "videos.caption", campaign=md(campaign.name), source=md(source),
        chain=chain_name(campaign.chain), floor=f"{campaign.effective_roi_floor:.2f}",
        cpm=f"{campaign.reference_cpm:g}", date=campaign.effective_plan_date,
    ))
    try:
        scores = score_videos(
            inputs.videos_data, inputs.videos_name,
            canonical_json(campaign_to_dict(campaign)), source,
        )
    except PlannerError as exc:
        show_error(exc)
        return
    roster = roster_frame(scores)

    c1, c2, c3 = st.columns([3, 1, 2])
    tiers = c1.multiselect(
        t("col.tier"), list(TIERS), format_func={k: tier_name(k) for k in TIERS}.__getitem__,
        key="videos_page.tiers",
        placeholder=t("videos.all_tiers"),
    )
    min_roi = c2.number_input(
        t("videos.min_roi"), min_value=0.0, value=None, step=0.1, format="%.2f",
        placeholder=t("videos.any"), key="videos_page.min_roi",
    )
    # Videos are eligible for the chain's video tools (the live room's is on the room).
    tools = [ANY_TOOL, *(tool.value for tool in CHAIN_TOOLS[campaign.chain]
                         if tool not in LIVE_ROOM_TOOLS)]
    tool_names = {v: t("videos.any_tool") if v == ANY_TOOL else tool_label(v) for v in tools}
    tool = c3.selectbox(
        t("videos.eligible_for"), tools, key="videos_page.tool",
        format_func=tool_names.__getitem__,
    )
    shown = filter_roster(roster, tiers=tiers, min_roi=min_roi, tool=tool or None)
    st.caption(t("videos.count", shown=len(shown), total=len(roster)))
    table = roster_display(shown)
    table["eligible_tools"] = table["eligible_tools"].map(lambda names: " ".join(names) or None)
    # Every shown video at once (a header and 35 px a row): the count above is what shows.
    st.dataframe(table, hide_index=True, placeholder=BLANK, column_config=roster_columns(table),
                 height=grid_height(len(table)))
    with st.expander(t("videos.verdicts")):
        st.table(table[["video_id", "kol_name", "verdicts"]].rename(columns={
            "video_id": t("col.video_id"), "kol_name": t("col.kol_name"),
            "verdicts": t("videos.verdicts")}))


render()
