"""Videos page: the scored roster, sortable and filterable."""

from __future__ import annotations

from typing import Any, Final

import streamlit as st
from support import current_campaign, inputs_or_hint, md, score_videos, show_error

from planner.errors import PlannerError
from planner.tools import CHAIN_TOOLS
from planner.views import (
    TIERS,
    campaign_to_dict,
    canonical_json,
    filter_roster,
    roster_frame,
    tool_label,
)

ANY_TOOL: Final = ""

ROSTER_COLUMNS: Final[dict[str, Any]] = {
    "video_id": "Video",
    "kol_name": "KOL",
    "tier": "Tier",
    "age_days": st.column_config.NumberColumn("Age (days)", format="%d"),
    "gpm": st.column_config.NumberColumn(
        "GPM", format="%.1f", help="Natural GMV per 1,000 natural plays, yuan."),
    "traffic_roi": st.column_config.NumberColumn(
        "Traffic ROI", format="%.2f", help="GPM / reference CPM."),
    "comment_like_rate": st.column_config.NumberColumn(
        "評贊率", format="percent", help="Comment-like rate: comments / likes."),
    "engagement_rate": st.column_config.NumberColumn(
        "Engagement %", format="%.2f", help="(likes + comments + shares) / followers x 100."),
    "has_weight": st.column_config.CheckboxColumn("Weight", help="Median plays show weight."),
    "burst": st.column_config.CheckboxColumn("Burst"),
    "eligible_tools": st.column_config.ListColumn("Eligible tools"),
    "verdicts": st.column_config.TextColumn("Verdicts", width="large"),
}


def render() -> None:
    st.title("Videos")
    inputs = inputs_or_hint()
    if inputs is None:
        return
    campaign, source = current_campaign(inputs)
    st.caption(
        f"Scored against '{md(campaign.name)}' from {md(source)}: chain {campaign.chain}, "
        f"ROI floor {campaign.effective_roi_floor:.2f}, reference CPM "
        f"{campaign.reference_cpm:g}, plan date {campaign.effective_plan_date}. "
        "Changes made on the Plan page apply here once the plan has run."
    )
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
        "Tier", list(TIERS), format_func=lambda t: t.replace("_", "-"), key="videos_page.tiers",
        placeholder="all tiers",
    )
    min_roi = c2.number_input(
        "Min traffic ROI", min_value=0.0, value=None, step=0.1, format="%.2f",
        placeholder="any", key="videos_page.min_roi",
    )
    tools = [ANY_TOOL, *(t.value for t in CHAIN_TOOLS[campaign.chain])]
    tool = c3.selectbox(
        "Eligible for tool", tools, key="videos_page.tool",
        format_func=lambda t: "any tool" if t == ANY_TOOL else tool_label(t),
    )
    shown = filter_roster(roster, tiers=tiers, min_roi=min_roi, tool=tool or None)
    st.caption(f"{len(shown)} of {len(roster)} videos · click a column header to sort")
    st.dataframe(shown, hide_index=True, column_config=ROSTER_COLUMNS)


render()
