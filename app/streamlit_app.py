"""Douyin budget planner, web front end: ``streamlit run app/streamlit_app.py``.

The sidebar resolves the inputs every page works on (the bundled sample or
uploaded files) and keeps them in session state; the pages in ``app_pages/``
edit the campaign, call the core and show results. No planning logic lives
here: see ``planner/``.
"""

from __future__ import annotations

import streamlit as st
from streamlit.runtime.uploaded_file_manager import UploadedFile
from support import (
    INPUTS_STATE,
    SAMPLE_CAMPAIGNS,
    SAMPLE_VIDEOS,
    SLOW_ROSTER,
    VIDEO_TYPES,
    Inputs,
    load_campaign,
    load_videos,
    md,
    roster_caption,
    sample_bytes,
    show_error,
)

from planner.config import Campaign
from planner.errors import PlannerError

SOURCES = {"sample": "Bundled sample data", "upload": "My own files"}


def _campaign_input(sample: str, upload: UploadedFile | None) -> tuple[Campaign, str] | None:
    name, data = (upload.name, upload.getvalue()) if upload else (sample, sample_bytes(sample))
    try:
        return load_campaign(data, name), name
    except PlannerError as exc:
        show_error(exc)
        return None


def _videos_input(upload: UploadedFile | None) -> tuple[str, bytes] | None:
    if upload is None:
        return SAMPLE_VIDEOS, sample_bytes(SAMPLE_VIDEOS)
    return upload.name, upload.getvalue()


def inputs_panel() -> Inputs | None:
    """Sidebar: choose the sample or upload files; errors show under the file they concern."""
    st.header("Inputs")
    source = st.radio(
        "Start from", list(SOURCES), format_func=SOURCES.__getitem__, key="inputs.source"
    )
    uploading = source == "upload"
    sample = st.selectbox(
        "Sample campaign" + (" (used when no campaign file is uploaded)" if uploading else ""),
        list(SAMPLE_CAMPAIGNS),
        format_func=SAMPLE_CAMPAIGNS.__getitem__,
        key="inputs.sample_campaign",
    )
    videos_upload: UploadedFile | None = None
    campaign_upload: UploadedFile | None = None
    if uploading:
        videos_upload = st.file_uploader(
            "Videos file (CSV or XLSX), one row per KOL video",
            type=VIDEO_TYPES,
            key="inputs.videos_file",
        )
        st.caption(roster_caption())
    videos_file = _videos_input(videos_upload) if (videos_upload or not uploading) else None
    roster = None
    if videos_file is not None:
        try:
            roster = load_videos(videos_file[1], videos_file[0])
        except PlannerError as exc:
            show_error(exc)
    if uploading:
        campaign_upload = st.file_uploader(
            "Campaign file (TOML), optional", type=["toml"], key="inputs.campaign_file"
        )
        if campaign_upload is None:
            st.caption("Without a campaign file the sample campaign above is the starting "
                       "point; edit it on the Plan page.")
    campaign = _campaign_input(sample, campaign_upload)

    if uploading and videos_upload is None:
        st.info("Upload a videos file to plan with your own roster.")
        return None
    if videos_file is None or roster is None or campaign is None:
        return None
    videos, warnings = roster
    for line in warnings:
        st.warning(md(line))
    if len(videos) > SLOW_ROSTER:
        st.warning(f"{len(videos):,} videos: a plan may take a minute or more to solve.")
    st.caption(f"{len(videos)} videos from **{md(videos_file[0])}** · campaign "
               f"'{md(campaign[0].name)}' from **{md(campaign[1])}**")
    return Inputs(
        videos_name=videos_file[0],
        videos_data=videos_file[1],
        campaign=campaign[0],
        campaign_source=campaign[1],
        videos=tuple(videos),
        warnings=tuple(warnings),
    )


st.set_page_config(
    page_title="Douyin budget planner", page_icon=":material/campaign:", layout="wide"
)
navigation = st.navigation(
    [
        st.Page("app_pages/plan_page.py", title="Plan", icon=":material/event_note:",
                url_path="plan", default=True),
        st.Page("app_pages/videos_page.py", title="Videos", icon=":material/movie:",
                url_path="videos"),
        st.Page("app_pages/replan_page.py", title="Re-plan", icon=":material/update:",
                url_path="replan"),
        st.Page("app_pages/whatif_page.py", title="What-if", icon=":material/query_stats:",
                url_path="whatif"),
    ]
)
with st.sidebar:
    st.session_state[INPUTS_STATE] = inputs_panel()
navigation.run()
