"""What the pages share: the inputs in session state, cached calls into the core, errors.

The cached functions take plain values (file bytes and names, a campaign as
canonical JSON), never widgets, so the same inputs give the same answer from
the cache and every call is easy to drive from a test. Uploaded files are
written under their own name into a temporary folder, because the readers
take paths and name the file in every message.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Final, TypeVar

import pandas as pd
import streamlit as st

from planner.checks import ensure_plan_obeys
from planner.config import Campaign, campaign_from_dict
from planner.errors import (
    InfeasibleError,
    InputError,
    PlannerError,
    Problem,
    UncheckedPlanError,
)
from planner.i18n import t
from planner.io.actuals import MergedActuals, read_actual_sources, read_actuals
from planner.io.campaign_file import campaign_toml, read_campaign
from planner.io.inspection import Inspection, inspect_file
from planner.io.plan_files import csv_bytes, write_plan
from planner.io.raw import MAX_ROWS
from planner.io.roster import read_videos
from planner.io.store import open_store
from planner.io.store_location import StoreLocation
from planner.jobs.plan import plan_with_margin
from planner.jobs.replan import replan_frames, run_replan
from planner.jobs.sweep import write_curve_xlsx
from planner.links import links_sheets, links_table
from planner.models import Plan, Video, VideoScore
from planner.planning import Planner, score_roster
from planner.replan import chain_problems
from planner.sweep import TargetResult, budget_curve, marginal_value, min_budget_for
from planner.views.campaign_form import campaign_to_dict, canonical_json, fingerprint
from planner.views.replan import store_folder, store_urls

REPO: Final = Path(__file__).resolve().parent.parent
SAMPLE_DIR: Final = REPO / "sample_data"


def app_stores() -> tuple[Path, tuple[str, ...]]:
    """Where this server lets the app record: its store folder (``PLANNER_APP_STORES``,
    else out/stores in the repository) and the database URLs it allows
    (``PLANNER_APP_STORE_URLS``). Read on every run, never typed by a buyer."""
    return store_folder(REPO, os.environ), store_urls(os.environ)
SAMPLE_VIDEOS: Final = "videos.csv"
# Sample campaign file -> its message key.
SAMPLE_CAMPAIGNS: Final[dict[str, str]] = {
    "campaign_tmall.toml": "app.sample.tmall",
    "campaign_closed_loop.toml": "app.sample.closed_loop",
}
VIDEO_TYPES: Final = ["csv", "tsv", "txt", "xlsx", "xlsm", "xls"]
# Above this many videos a plan takes tens of seconds (docs/solver.md, "Solver choice").
SLOW_ROSTER: Final = 500

# Session-state names. Widget keys elsewhere use "<page>.<widget>" and never
# equal one of these (a button keyed like a state name broke the app before).
INPUTS_STATE: Final = "app.inputs"
LANG_STATE: Final = "app.lang"
EDITED_STATE: Final = "plan_page.edited_campaign"
INPUT_FAULTS: Final = "app.input_faults"  # (file, error) of the sidebar's files, this run

# What a table shows in a cell with no value (Streamlit would write "None").
BLANK: Final = "–"

_CACHE_ENTRIES: Final = 16


def grid_height(rows: int) -> int:
    """The height of a grid that shows ``rows`` rows whole (a header and 35 px a row), so a
    table shows all its rows instead of some in a scroll box."""
    return 38 + 35 * max(rows, 1)
_T = TypeVar("_T")


@dataclass(frozen=True)
class Inputs:
    """The videos file and the campaign the pages work on, as the sidebar resolved them."""

    videos_name: str
    videos_data: bytes
    campaign: Campaign
    campaign_source: str
    videos: tuple[Video, ...]
    warnings: tuple[str, ...]

    @property
    def key(self) -> str:
        """Changes whenever the files or the loaded campaign change."""
        return fingerprint(
            self.videos_name, self.videos_data, self.campaign_source,
            canonical_json(campaign_to_dict(self.campaign)),
        )


@dataclass(frozen=True)
class PlanBundle:
    """A plan with the exact bytes of its two downloads."""

    plan: Plan
    json_text: str
    xlsx: bytes


@contextmanager
def _as_file(data: bytes, name: str) -> Iterator[Path]:
    """The bytes as a file called ``name`` (its base name only) in a temporary folder."""
    safe = Path(name.replace("\\", "/")).name or "upload"
    with tempfile.TemporaryDirectory(prefix="planner-upload-") as tmp:
        path = Path(tmp) / safe
        path.write_bytes(data)
        yield path


@st.cache_data(max_entries=_CACHE_ENTRIES, show_spinner=False)
def load_campaign(data: bytes, name: str) -> Campaign:
    """Read a campaign TOML given as bytes; raises ConfigError naming ``name``."""
    with _as_file(data, name) as path:
        return read_campaign(path)


@st.cache_data(max_entries=_CACHE_ENTRIES, show_spinner=False)
def load_videos(
    data: bytes, name: str, plan_date: date | None = None
) -> tuple[list[Video], list[str]]:
    """Read a videos CSV/XLSX given as bytes; raises InputError naming ``name``."""
    with _as_file(data, name) as path:
        return read_videos(path, plan_date=plan_date)


def parse_campaign(campaign_json: str, source: str) -> Campaign:
    return campaign_from_dict(json.loads(campaign_json), source=source)


@st.cache_data(max_entries=_CACHE_ENTRIES, show_spinner=False)
def plan_bundle(
    videos_data: bytes, videos_name: str, campaign_json: str, source: str, lang: str = ""
) -> PlanBundle:
    """Plan the videos for the campaign as ``planner plan`` does (``plan_with_margin``) and
    build plan.json and plan.xlsx: the same plan and workbook as the command's.

    A plan that breaks a rule of the independent checker is never offered for download:
    UncheckedPlanError names each broken rule, as ``planner plan`` refuses to write it.
    ``lang`` only keys the cache: plan.xlsx is written in the current language.
    """
    campaign = parse_campaign(campaign_json, source)
    videos, _ = load_videos(videos_data, videos_name, campaign.effective_plan_date)
    # The plan ``planner plan`` makes: with its next 10,000 yuan and the other attitudes.
    plan = plan_with_margin(videos, campaign, source)
    ensure_plan_obeys(plan, campaign, videos)
    links = links_table(plan, videos, campaign)
    with tempfile.TemporaryDirectory(prefix="planner-plan-") as tmp:
        # The workbook `planner plan` writes: the 追踪链接 sheet included.
        paths = write_plan(plan, Path(tmp), campaign=campaign, extra_sheets=links_sheets(links))
        return PlanBundle(
            plan=plan,
            json_text=paths["json"].read_text(encoding="utf-8"),
            xlsx=paths["xlsx"].read_bytes(),
        )


@st.cache_data(max_entries=_CACHE_ENTRIES, show_spinner=False)
def score_videos(
    videos_data: bytes, videos_name: str, campaign_json: str, source: str
) -> list[VideoScore]:
    """Scores and verdicts of every video under the campaign."""
    campaign = parse_campaign(campaign_json, source)
    videos, _ = load_videos(videos_data, videos_name, campaign.effective_plan_date)
    return score_roster(videos, campaign)


@st.cache_data(max_entries=_CACHE_ENTRIES, show_spinner=False)
def load_actuals(data: bytes, name: str) -> tuple[pd.DataFrame, list[str]]:
    """Read a daily actuals CSV/XLSX given as bytes; raises InputError naming ``name``."""
    with _as_file(data, name) as path:
        return read_actuals(path)


Upload = tuple[str, bytes]  # an uploaded file: its name and its bytes


@st.cache_data(max_entries=_CACHE_ENTRIES, show_spinner=False)
def inspect_upload(data: bytes, name: str, campaign_json: str, source: str,
                   videos: tuple[Video, ...] = (), lang: str = "") -> Inspection:
    """What ``planner inspect`` says of an uploaded file (InputError naming ``name``).

    ``lang`` only keys the cache: the inspection is in the current language.
    """
    campaign = parse_campaign(campaign_json, source)
    with _as_file(data, name) as path:
        return inspect_file(path, campaign, plan_date=campaign.effective_plan_date,
                            videos=videos)


@st.cache_data(max_entries=_CACHE_ENTRIES, show_spinner=False)
def load_actual_sources(uploads: tuple[Upload, ...], campaign_json: str, source: str,
                        videos: tuple[Video, ...], lang: str = "") -> MergedActuals:
    """Every uploaded actuals file merged as ``planner replan --actuals`` merges them.

    Checked as they arrive for what the re-plan would refuse later: spend of a tool the
    campaign's chain does not buy through (a 千川 export for a Tmall campaign) is one
    InputError per file and tool, in the words the re-plan would use.
    """
    campaign = parse_campaign(campaign_json, source)
    with ExitStack() as stack:
        paths = [stack.enter_context(_as_file(data, name)) for name, data in uploads]
        merged = read_actual_sources(paths, campaign, videos)
    problems = chain_problems(merged.frame, campaign, merged.source, merged.origins)
    if problems:
        raise InputError(problems)
    return merged


@dataclass(frozen=True)
class ReplanBundle:
    """A re-plan, what the store did with the actuals, its downloads and the stored actuals."""

    plan: Plan
    ingested: dict[str, int]
    warnings: tuple[str, ...]
    dry_run: bool
    store: StoreLocation
    json_text: str
    xlsx: bytes
    recorded: pd.DataFrame | None  # the store's actuals after the run; None if unreadable
    recorded_note: str  # why ``recorded`` is None, or ""
    previous_date: date | None  # date of the recorded plan the changes compare with


def replan_in_store(
    inputs: Inputs, campaign: Campaign, campaign_source: str,
    actuals: Sequence[Upload], plan_date: date, store: StoreLocation, *, dry_run: bool,
    lock_timeout: float,
) -> ReplanBundle:
    """``run_replan`` on the inputs as files; never cached: it writes the store.

    The campaign in use (possibly edited on the Plan page) goes in as TOML. The
    downloads are the files ``run_replan`` writes, or for a dry run the same
    files written from the plan it returns.
    """
    toml_name = campaign_source if campaign_source.endswith(".toml") else "campaign.toml"
    with ExitStack() as stack, tempfile.TemporaryDirectory(prefix="planner-replan-") as tmp:
        campaign_path, videos_path, *actuals_paths = (
            stack.enter_context(_as_file(data, name))
            for data, name in (
                (campaign_toml(campaign).encode("utf-8"), toml_name),
                (inputs.videos_data, inputs.videos_name),
                *((data, name) for name, data in actuals),
            )
        )
        out = Path(tmp)
        outcome = run_replan(campaign_path, videos_path, actuals_paths, plan_date, store,
                             None if dry_run else out, dry_run=dry_run,
                             lock_timeout=lock_timeout)
        paths = outcome.written or write_plan(
            outcome.plan, out, extra_sheets=replan_frames(outcome.plan), campaign=campaign)
        json_text = paths["json"].read_text(encoding="utf-8")
        xlsx = paths["xlsx"].read_bytes()
    recorded, note, previous = None, "", None
    # A dry run on a store not made yet has no history to show, and makes no file.
    if store.path is None or store.path.exists():
        try:
            with open_store(store, timeout=lock_timeout) as history:
                recorded = history.actuals(campaign.name)
                before = history.previous_plan(campaign.name, plan_date)
                previous = None if before is None else before.plan_date
        except PlannerError as exc:
            note = str(exc)
    return ReplanBundle(
        plan=outcome.plan, ingested=dict(outcome.ingested), warnings=tuple(outcome.warnings),
        dry_run=dry_run, store=store, json_text=json_text, xlsx=xlsx,
        recorded=recorded, recorded_note=note, previous_date=previous,
    )


def sample_bytes(name: str) -> bytes:
    return (SAMPLE_DIR / name).read_bytes()


def current_inputs() -> Inputs | None:
    value = st.session_state.get(INPUTS_STATE)
    return value if isinstance(value, Inputs) else None


def inputs_or_hint() -> Inputs | None:
    """The sidebar's inputs; else every problem of its files in full, or a hint on where
    to choose them when there are none yet."""
    inputs = current_inputs()
    faults = st.session_state.get(INPUT_FAULTS) or []
    for name, exc in faults:
        st.error(f"{t('app.file_faults', file=md(name))}\n\n{error_markdown(exc)}",
                 icon=":material/error:")
    if inputs is None and not faults:
        st.info(t("app.inputs_hint"))
    return inputs


def input_fault(name: str, exc: PlannerError) -> None:
    """A sidebar file cannot be used: one short line there, every problem on the page."""
    st.session_state.setdefault(INPUT_FAULTS, []).append((name, exc))
    count = len(exc.problems) if isinstance(exc, InputError) else 1
    st.error(t("app.file_faults_short", file=md(name), count=count), icon=":material/error:")


def current_campaign(inputs: Inputs) -> tuple[Campaign, str]:
    """The campaign last run on the Plan page for these inputs, else the loaded one."""
    edited = st.session_state.get(EDITED_STATE)
    if isinstance(edited, tuple) and len(edited) == 2 and edited[0] == inputs.key:
        campaign = edited[1]
        if isinstance(campaign, Campaign):
            return campaign, t("app.source.form")
    return inputs.campaign, inputs.campaign_source


# ------------------------------------------------------------------ showing errors

# Characters that format text wherever they stand; the text is never put at a
# line start, where "-", "+", "1." and "#" would also matter.
_MD_SPECIAL: Final = re.compile(r"([\\`*_\[\]<>|~$#])")


def md(text: object) -> str:
    """Text from files or the core, safe to put in Markdown (no formatting, no LaTeX)."""
    return _MD_SPECIAL.sub(r"\\\1", str(text))


def problem_markdown(problem: Problem) -> str:
    parts = []
    if problem.file:
        parts.append(f"**{md(problem.file)}**")
    if problem.row is not None:
        parts.append(t("error.row", row=problem.row))
    if problem.column:
        parts.append(t("error.column", column=md(problem.column)))
    where = t("error.where_sep").join(parts)  # as planner.errors.Problem says it
    text = t("error.where", where=where, message=md(problem.message)) if where else md(
        problem.message)
    if problem.fix:
        text += "  \n  " + t("error.fix", fix=md(problem.fix))
    return f"- {text}"


def error_markdown(exc: PlannerError, shown: int = InputError.max_listed) -> str:
    """The error in the buyer's words: a heading and one bullet per problem (file, row,
    column, fix); never the exception's class name."""
    if isinstance(exc, InputError):
        problems: Sequence[Problem] = exc.problems
        count = len(problems)
        lines = [f"**{t('error.problems', count=count)}**"]
        lines += [problem_markdown(p) for p in problems[:shown]]
        if count > shown:
            lines.append("- " + t("error.more", count=count - shown))
        return "\n".join(lines)
    if isinstance(exc, InfeasibleError | UncheckedPlanError):
        # The sentence, then one bullet per conflict or broken rule.
        head = str(exc).split("\n", 1)[0]
        items = exc.conflicts if isinstance(exc, InfeasibleError) else exc.violations
        lines = [f"**{md(head)}**"]
        lines += [f"- {md(c)}" for c in items]
        return "\n".join(lines)
    return md(exc)


def show_error(exc: PlannerError) -> None:
    st.error(error_markdown(exc), icon=":material/error:")


def show_store_unusable(exc: OSError, store: object) -> None:
    """The operating system refused the history store (a folder's permissions, say)."""
    st.error(t("plan.store_unusable", store=md(store),
               detail=md(exc.strerror or exc)), icon=":material/error:")


def on_store(action: Callable[[], _T], store: object) -> _T | None:
    """Run something that writes to the history store; on failure show the buyer why
    (a planner error in its words, the operating system refusing the store) and
    return None. Both pages that write to a store go through here."""
    try:
        return action()
    except PlannerError as exc:
        show_error(exc)
    except OSError as exc:
        show_store_unusable(exc, store)
    return None


def roster_caption() -> str:
    return t("app.roster_caption", rows=f"{MAX_ROWS:,}")


# ------------------------------------------------------------------ what-if on the budget


def _planning_inputs(
    videos_data: bytes, videos_name: str, campaign_json: str, source: str
) -> tuple[list[Video], Campaign]:
    campaign = parse_campaign(campaign_json, source)
    videos, _ = load_videos(videos_data, videos_name, campaign.effective_plan_date)
    return videos, campaign


@dataclass(frozen=True)
class CurveBundle:
    """A budget curve with the exact bytes of its two downloads."""

    curve: pd.DataFrame
    csv: bytes
    xlsx: bytes


def curve_xlsx(curve: pd.DataFrame, created: date) -> bytes:
    """``budget_curve.xlsx`` as ``planner sweep --out`` writes it: the table and a native chart."""
    with tempfile.TemporaryDirectory(prefix="planner-curve-") as tmp:
        path = Path(tmp) / "budget_curve.xlsx"
        write_curve_xlsx(curve, path, created)
        return path.read_bytes()


@st.cache_data(max_entries=_CACHE_ENTRIES, show_spinner=False)
def curve_bundle(
    videos_data: bytes, videos_name: str, campaign_json: str, source: str,
    budgets: tuple[float, ...], lang: str = "",
) -> CurveBundle:
    """Plan the campaign at each budget (``planner.sweep.budget_curve``) and build the files.

    ``lang`` only keys the cache: budget_curve.xlsx is written in the current language.
    """
    videos, campaign = _planning_inputs(videos_data, videos_name, campaign_json, source)
    curve = budget_curve(videos, campaign, budgets)
    return CurveBundle(curve=curve, csv=csv_bytes(curve),
                       xlsx=curve_xlsx(curve, campaign.effective_plan_date))


@st.cache_data(max_entries=_CACHE_ENTRIES, show_spinner=False)
def target_budget(
    videos_data: bytes, videos_name: str, campaign_json: str, source: str, *,
    gmv_target: float | None, min_roi: float | None, tolerance: float, lang: str = "",
) -> TargetResult:
    """``planner.sweep.min_budget_for`` for one target (give exactly one).

    ``lang`` only keys the cache: the answer's sentence is in the current language.
    """
    videos, campaign = _planning_inputs(videos_data, videos_name, campaign_json, source)
    return min_budget_for(videos, campaign, gmv_target=gmv_target, min_roi=min_roi,
                          tolerance=tolerance)


@st.cache_data(max_entries=_CACHE_ENTRIES, show_spinner=False)
def attitudes_plan(
    videos_data: bytes, videos_name: str, campaign_json: str, source: str, lang: str = "",
) -> Plan:
    """The campaign's plan with what each risk attitude would give (``with_attitudes``).

    ``lang`` only keys the cache.
    """
    videos, campaign = _planning_inputs(videos_data, videos_name, campaign_json, source)
    planner = Planner(videos, campaign, source=source)
    return planner.with_attitudes(planner.plan())


@dataclass(frozen=True)
class NextStep:
    """What the next ``step`` yuan would buy, and the plan at the current budget."""

    step: float
    lines: tuple[str, ...]
    plan: Plan


@st.cache_data(max_entries=_CACHE_ENTRIES, show_spinner=False)
def next_step(
    videos_data: bytes, videos_name: str, campaign_json: str, source: str, step: float,
    lang: str = "",
) -> NextStep:
    """Plan at the campaign's budget and price the next ``step`` yuan (``marginal_value``).

    ``lang`` only keys the cache: the lines are in the current language.
    """
    videos, campaign = _planning_inputs(videos_data, videos_name, campaign_json, source)
    planner = Planner(videos, campaign, source=source)
    base = planner.plan()
    lines = marginal_value(planner, step, base=base)
    return NextStep(step=step, lines=tuple(lines), plan=base)
