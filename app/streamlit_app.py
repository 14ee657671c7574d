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
    INPUT_FAULTS,
    INPUTS_STATE,
    LANG_STATE,
    SAMPLE_CAMPAIGNS,
    SAMPLE_VIDEOS,
    SLOW_ROSTER,
    VIDEO_TYPES,
    Inputs,
    input_fault,
    load_campaign,
    load_videos,
    md,
    roster_caption,
    sample_bytes,
)

from planner.config import Campaign
from planner.errors import PlannerError
from planner.i18n import LANGS, Lang, current_lang, parse_lang, set_lang, t
from planner.jobs.cores import one_blas_thread

SOURCES = ("sample", "upload")
LANG_CHOICE = "app.lang_choice"  # widget key; the language itself is kept in LANG_STATE
LANG_NAMES: dict[str, str] = {"zh": "中文", "en": "English"}


def _campaign_input(sample: str, upload: UploadedFile | None) -> tuple[Campaign, str] | None:
    name, data = (upload.name, upload.getvalue()) if upload else (sample, sample_bytes(sample))
    try:
        return load_campaign(data, name), name
    except PlannerError as exc:
        input_fault(name, exc)
        return None


def _videos_input(upload: UploadedFile | None) -> tuple[str, bytes] | None:
    if upload is None:
        return SAMPLE_VIDEOS, sample_bytes(SAMPLE_VIDEOS)
    return upload.name, upload.getvalue()


def inputs_panel() -> Inputs | None:
    """Sidebar: choose the sample or upload files; errors show under the file they concern."""
    st.header(t("app.inputs"))
    sources = {s: t(f"app.source.{s}") for s in SOURCES}
    source = st.radio(
        t("app.start_from"), SOURCES, format_func=sources.__getitem__, key="inputs.source",
    )
    uploading = source == "upload"
    sample = st.selectbox(
        t("app.sample_campaign_upload") if uploading else t("app.sample_campaign"),
        list(SAMPLE_CAMPAIGNS),
        format_func={name: t(key) for name, key in SAMPLE_CAMPAIGNS.items()}.__getitem__,
        key="inputs.sample_campaign",
    )
    videos_upload: UploadedFile | None = None
    campaign_upload: UploadedFile | None = None
    if uploading:
        videos_upload = st.file_uploader(
            t("app.videos_file"),
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
            input_fault(videos_file[0], exc)
    if uploading:
        campaign_upload = st.file_uploader(
            t("app.campaign_file"), type=["toml"], key="inputs.campaign_file"
        )
        if campaign_upload is None:
            st.caption(t("app.campaign_file_hint"))
    campaign = _campaign_input(sample, campaign_upload)

    if uploading and videos_upload is None:
        st.info(t("app.upload_hint"))
        return None
    if videos_file is None or roster is None or campaign is None:
        return None
    videos, warnings = roster
    for line in warnings:
        st.warning(md(line))
    if len(videos) > SLOW_ROSTER:
        st.warning(t("app.slow_roster", count=f"{len(videos):,}"))
    st.caption(t("app.inputs_caption", count=len(videos), videos=md(videos_file[0]),
                 campaign=md(campaign[0].name), source=md(campaign[1])))
    return Inputs(
        videos_name=videos_file[0],
        videos_data=videos_file[1],
        campaign=campaign[0],
        campaign_source=campaign[1],
        videos=tuple(videos),
        warnings=tuple(warnings),
    )


def language_switch() -> None:
    """中文 / English; the choice lives in LANG_STATE, so it survives page changes."""
    st.radio(
        t("app.language"), LANGS, format_func=LANG_NAMES.__getitem__, key=LANG_CHOICE,
        horizontal=True, index=LANGS.index(_chosen_lang()), on_change=_keep_lang,
    )


def _chosen_lang() -> Lang:
    return parse_lang(st.session_state.get(LANG_STATE)) or current_lang()


# Choices shown through words of the catalogue: the browser keeps them by their words, so
# they are set again by value when the language changes.
WORDED_CHOICES = ("inputs.source", "inputs.sample_campaign", "videos_page.tiers",
                  "videos_page.tool", "replan_page.kpi_by", "whatif_page.target_mode",
                  "whatif_page.target_precision")


def _keep_lang() -> None:
    st.session_state[LANG_STATE] = st.session_state[LANG_CHOICE]
    for key in WORDED_CHOICES:
        if key in st.session_state:
            st.session_state[key] = st.session_state[key]


# The pages plan in this server's process, beside other sessions' runs (once per process).
one_blas_thread()
# Every run answers in the session's language (PLANNER_LANG, else Chinese, until switched).
set_lang(_chosen_lang())
# The tab's icon is an emoji, drawn by the browser itself: a Material icon there would be
# fetched from an external font host. The pages' Material icons come with Streamlit.
st.set_page_config(page_title=t("app.page_title"), page_icon="📅", layout="wide")
navigation = st.navigation(
    [
        st.Page("app_pages/plan_page.py", title=t("page.plan"), icon=":material/event_note:",
                url_path="plan", default=True),
        st.Page("app_pages/videos_page.py", title=t("page.videos"), icon=":material/movie:",
                url_path="videos"),
        st.Page("app_pages/replan_page.py", title=t("page.replan"), icon=":material/update:",
                url_path="replan"),
        st.Page("app_pages/whatif_page.py", title=t("page.whatif"), icon=":material/query_stats:",
                url_path="whatif"),
    ]
)
with st.sidebar:
    language_switch()
    st.session_state[INPUT_FAULTS] = []
    st.session_state[INPUTS_STATE] = inputs_panel()
navigation.run()
