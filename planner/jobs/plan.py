"""The plan job behind ``planner plan`` and ``planner batch``: read, plan, write, record.

One function for both, so that a campaign planned inside a portfolio writes the
same files and records the same plan as ``planner plan --store`` on its own.
Order of work: read and validate every input (exit 2 before anything is
touched); plan in a watched child process (``run_with_deadline``); then write
plan.xlsx, plan.json and links.csv; with a store, the files replace the old ones
only after the store recorded the plan (a locked store writes nothing, a failed
write records nothing).

The job laps a stopwatch at each stage (``STAGES``; ``PlanOutcome.stages``): the
command starts it at the process's start, so that its stages split the command's
wall time, and ``benchmarks.run`` reads them.
"""

from __future__ import annotations

import importlib
import json
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, cast

from planner.collector import collector_paused
from planner.config import Campaign
from planner.errors import ConfigError, Problem
from planner.i18n import t
from planner.models import AttitudeFigures, Plan, Video
from planner.stopwatch import Stopwatch

if TYPE_CHECKING:  # SQLAlchemy loads only for a run with a store
    from planner.io.plan_files import SideBySide
    from planner.io.store_location import StoreLocation


# The stages of a run, in order, each the wall seconds since the one before: start-up
# (the interpreter and the imports, until the job has what it needs), reading the
# inputs (and checking the store), planning (make_plan, in the watched child), the next
# 10,000 yuan, the other risk attitudes, checking the plan against every rule and the
# warnings, building and writing each file, recording in the store (only with one),
# putting the files in place. The command adds its report (printing) at the end.
STAGES = ("startup", "read", "plan", "probe", "attitudes", "check", "write_links",
          "write_json", "write_xlsx", "replace")
# Names a file where ``planner plan`` writes the seconds of each stage of its run.
STAGE_TIMES_ENV = "PLANNER_STAGE_TIMES"
# Only some runs have these: a store to record in; daily rows beyond a sheet's rows.
OPTIONAL_STAGES = ("record", "write_daily")
# The plan's own stages measured in the watched child (``plan.timings``), split out of
# "plan".
CHILD_STAGES = ("probe", "attitudes")


@dataclass(frozen=True)
class PlanOutcome:
    plan: Plan
    written: dict[str, Path]
    version: int | None  # the plan's version in the store; None without a store
    warnings: list[str]
    # Wall seconds per stage (STAGES), in the order they ran.
    stages: dict[str, float]


def load_inputs(campaign_path: Path, videos_path: Path,
                plan_date: date | None = None) -> tuple[Campaign, list[Video], list[str]]:
    """The campaign, then the videos as of its plan date, and the readers' warnings.

    ``plan_date`` plans as of that day instead of the campaign file's ``plan_date``,
    as a re-plan does (``planner batch`` plans every campaign on the batch's date).
    """
    from planner.io.campaign_file import read_campaign
    from planner.io.roster import read_videos

    campaign = read_campaign(campaign_path)
    if plan_date is not None and plan_date != campaign.effective_plan_date:
        if plan_date > campaign.end:
            raise ConfigError(Problem(
                t("error.job.campaign_over", end=campaign.end, plan_date=plan_date),
                file=campaign_path.name, fix=t("error.job.campaign_over_fix"),
            ))
        campaign = Campaign.model_validate({**campaign.model_dump(), "plan_date": plan_date})
    roster, warnings = read_videos(videos_path, plan_date=campaign.effective_plan_date,
                                   last_day=campaign.end)
    return campaign, roster, warnings


def read_slugs(path: Path | None) -> tuple[dict[str, str], list[str]]:
    """Name -> slug for tracking links (later rows win), and the reader's notes."""
    if path is None:
        return {}, []
    from planner.io.cells import parse_rows
    from planner.io.headers import ColumnSpec, normalise_columns, read_table

    columns = (
        ColumnSpec("name", ("名称", "名稱", "kol_name", "达人昵称", "達人暱稱", "campaign"),
                   "str", True),
        ColumnSpec("slug", ("标识", "標識", "tag"), "str", True),
    )
    table, notes = normalise_columns(read_table(path), columns, path.name)
    return {str(r["name"]): str(r["slug"]) for r in parse_rows(table, columns, path.name)}, notes


def overrun_warnings(plan: Plan, campaign: Campaign) -> list[str]:
    """Warnings about solver.time_limit_s: the search stopped at it (the plan is not proven
    optimal: its gap, and the fix), and the plan took longer than it (what took the time).

    The limit is one deadline over the whole solve (planner.optimiser.strategy), but the
    rules, the model of returns and building the models cannot be interrupted, and the
    solver may pass it while the plan has no feasible answer yet.
    """
    from planner.i18n import status_name, t

    limit = campaign.solver.time_limit_s
    warnings = []
    if plan.search_stopped:
        warnings.append(t("solve.time_limit", limit=f"{limit:g}", gap=f"{plan.gap:.3%}",
                          status=status_name(plan.status)))
    if plan.solve_seconds > limit:
        took = plan.timings

        def seconds(*stages: str) -> str:
            return f"{sum(took.get(stage, 0.0) for stage in stages):.2f}"

        warnings.append(t("solve.overrun", seconds=f"{plan.solve_seconds:.2f}",
                          limit=f"{limit:g}", prepare=seconds("rules", "response"),
                          build=seconds("build"), solver=seconds("solve")))
    return warnings


def input_warnings(plan: Plan) -> list[str]:
    """The plan's flags on implausible input values (planner.plausibility), as warnings."""
    from planner.i18n import line_text
    from planner.plausibility import CODE

    return [line_text(line) for line in plan.assumption_lines if line.code == CODE]


def plan_with_margin(roster: list[Video], campaign: Campaign, source: str, *,
                     side_by_side: bool = False) -> Plan:
    """The plan, what its next 10,000 yuan would buy, and what the other risk attitudes
    would give; ``plan.timings`` also says how long the next 10,000 yuan took ("probe")
    and how long the other attitudes were waited for after it ("attitudes").

    ``side_by_side``: the other attitudes are planned in a forked child while this process
    makes the plan and its next 10,000 yuan, when a core is free at that moment; only
    from a process with one thread (the watched child). They are planned on their own
    (``Planner.other_attitude_figures``), reading only the scores and the model of
    returns, so they start as soon as those are built and the figures are the same
    either way. On a busy machine the fork would only add its own cost, so the plans
    are made in turn.
    """
    from planner.jobs.cores import spare_cores
    from planner.jobs.watchdog import run_side_by_side
    from planner.planning import Planner
    from planner.sweep import marginal_value

    planner = Planner(roster, campaign, source=source)
    watch = Stopwatch()

    def plan_and_probe() -> tuple[Plan, list[str]]:
        plan = planner.plan()
        watch.lap("plan")
        lines = marginal_value(planner, 10_000, base=plan)
        watch.lap("probe")
        return plan, lines

    tasks: list[Callable[[], object]] = [plan_and_probe, planner.other_attitude_figures]
    if side_by_side and threading.active_count() == 1 and spare_cores(parent_waits=True) > 0:
        done = run_side_by_side(tasks)
    else:
        done = [task() for task in tasks]
    result, marginal = cast(tuple[Plan, list[str]], done[0])
    result = planner.with_attitude_figures(result, cast(list[AttitudeFigures], done[1]))
    watch.lap("attitudes")
    stages = {k: round(v, 4) for k, v in watch.seconds.items() if k != "plan"}
    return result.model_copy(update={"marginal": marginal,
                                     "timings": {**result.timings, **stages}})


@collector_paused()
def run_plan(campaign_path: Path, videos_path: Path, out: Path, *, slugs: Path | None = None,
             store: StoreLocation | Path | str | None = None, lock_timeout: float = 30.0,
             plan_date: date | None = None,
             warn: Callable[[list[str]], None] | None = None,
             owner: str | None = None, clock: Stopwatch | None = None,
             side_by_side: bool = True) -> PlanOutcome:
    """Plan the campaign, write plan.xlsx, plan.json and links.csv, and record it in ``store``.

    ``store`` is a SQLite path or a database URL (``planner.io.store_location``).
    ``warn`` hears the readers' warnings as soon as they
    are known, so a run that fails later still shows them; the outcome lists them too.
    ``owner`` is the ``planner batch`` manifest entry (``record_plan``).
    ``clock`` is laped at each stage (``STAGES``; a new one started here if None): the
    outcome's ``stages``. ``side_by_side``: the other risk attitudes are planned on a
    spare core beside the plan and its next 10,000 yuan (``plan_with_margin``), and a
    large plan's workbook is built beside its other files (``_workbook_aside``); a
    portfolio whose workers already fill the cores does each in turn.
    """
    watch = Stopwatch() if clock is None else clock
    from planner.io.atomic import check_outputs, ensure_not_input, ensure_store_apart
    from planner.io.campaign_file import campaign_warnings
    from planner.io.plan_files import PLAN_FILES, csv_bytes, write_plan
    from planner.jobs.memory import LARGE_PLAN_VIDEOS, give_back_freed_memory
    from planner.jobs.watchdog import run_with_deadline, solve_deadline

    # The planner's own modules are imported here, before the watched child forks from
    # this process: their import is start-up, not planning (and a pool worker's, once).
    for module in ("planner.planning", "planner.sweep"):
        importlib.import_module(module)

    watch.lap("startup")

    links_csv = out / "links.csv"
    outputs = [*(out / name for name in PLAN_FILES), links_csv]
    location = None
    if store is not None:
        from planner.io.store_location import store_location

        location = store_location(store)
    # Every output path is checked before anything is read or solved; the store is
    # never one of them (a plan.json written over it would replace the history).
    ensure_store_apart(None if location is None else location.path, out, outputs)
    check_outputs(out, outputs)
    campaign, roster, warnings = load_inputs(campaign_path, videos_path, plan_date)
    if len(roster) >= LARGE_PLAN_VIDEOS:
        give_back_freed_memory()  # before the watched child forks: it and its forks too
    slug_map, notes = read_slugs(slugs)
    warnings = campaign_warnings(campaign) + warnings + notes
    if warn is not None:
        warn(warnings)
    inputs = tuple(p for p in (campaign_path, videos_path, slugs) if p is not None)
    ensure_not_input([links_csv, *([location.path] if location and location.path else [])],
                     inputs)
    if location is not None:
        from planner.io.store import check_store

        # A damaged or unreachable store is found before the solve, not after it.
        check_store(location, timeout=lock_timeout)
    watch.lap("read")
    # Four plans (the plan, its next 10,000 yuan, the two other risk attitudes), each under
    # the solver limit.
    result = run_with_deadline(plan_with_margin, roster, campaign, campaign_path.name,
                               side_by_side=side_by_side, meanwhile=_load_checks_and_writers,
                               deadline_s=solve_deadline(campaign, plans=4,
                                                         videos=len(roster)))
    watch.lap("plan")
    watch.split("plan", {stage: result.timings.get(stage, 0.0) for stage in CHILD_STAGES})
    from planner.checks import ensure_plan_obeys
    from planner.links import links_sheets, links_table

    ensure_plan_obeys(result, campaign, roster)  # a plan that breaks a rule is never written
    late = input_warnings(result) + overrun_warnings(result, campaign)
    if warn is not None:
        warn(late)
    warnings = warnings + late
    watch.lap("check")
    links = links_table(result, roster, campaign, slugs=slug_map)
    watch.lap("write_links")

    def write(before_replace: Callable[[], None] | None = None) -> dict[str, Path]:
        if location is not None:
            watch.lap("record")  # the store's work before the files are built
        # links.csv is replaced with plan.json and plan.xlsx, or not at all.
        sheets, data = links_sheets(links), csv_bytes(links)
        watch.lap("write_links")
        return write_plan(result, out, inputs=inputs, campaign=campaign,
                          extra_sheets=sheets, also={"links": (links_csv, data)},
                          before_replace=before_replace, clock=watch,
                          side_by_side=_workbook_aside(result, side_by_side))

    if location is None:
        written = write()
        return PlanOutcome(result, written, None, warnings, dict(watch.seconds))
    from planner.io.store import sha256_of
    from planner.jobs.replan import record_plan

    # The files are built, the store records the plan, and only then do the files
    # replace the old ones: a locked store (exit 5) writes nothing, a file that cannot
    # be built records nothing.
    recorded = record_plan(result, campaign, sha256_of(videos_path.read_bytes()), location,
                           lock_timeout=lock_timeout, write=write, owner=owner)
    watch.lap("record")
    return PlanOutcome(result, recorded.written, recorded.plan_id, warnings,
                       dict(watch.seconds))


def _load_checks_and_writers() -> None:
    """What checks and writes the plan, imported while the watched child plans (on the
    core it leaves free) instead of before it forks or after it answers: XlsxWriter alone
    is about 0.02 s."""
    for module in ("planner.checks", "planner.links", "xlsxwriter"):
        importlib.import_module(module)


# A plan of this many videos or more builds plan.xlsx in a forked child while this process
# writes plan.json and links.csv, when a core is free. At 20,000 videos the workbook takes
# 1.2 s and the other files 0.4 s; at 100,000, 6.6 s and 2.4 s. A small plan's files take
# a few hundredths of a second, about what the fork costs.
WORKBOOK_ASIDE_VIDEOS = 2_000


def _workbook_aside(plan: Plan, side_by_side: bool) -> SideBySide | None:
    """``run_side_by_side`` for ``write_plan`` when the workbook pays to build aside: a
    large plan, side by side allowed (not a portfolio's worker, whose siblings fill the
    cores), this process with one thread (a fork copies no other) and a core free."""
    from planner.jobs.cores import spare_cores
    from planner.jobs.watchdog import run_side_by_side

    if not side_by_side or len(plan.videos) < WORKBOOK_ASIDE_VIDEOS:
        return None
    if threading.active_count() != 1 or spare_cores() == 0:
        return None
    return run_side_by_side


def process_age() -> float | None:
    """Seconds since this process started, never more (Linux: ``/proc/self/stat`` counts
    in clock ticks, so up to one tick, 10 ms, less); None where that is not known."""
    try:
        stat = Path("/proc/self/stat").read_text(encoding="ascii")
        ticks = int(stat.rsplit(")", 1)[1].split()[19])  # field 22, starttime
        per_second = os.sysconf("SC_CLK_TCK")
        now = time.clock_gettime(time.CLOCK_BOOTTIME)
    except (OSError, ValueError, IndexError, AttributeError):
        return None
    # The start is known to the tick; taking its end keeps the age a lower bound.
    return max(now - (ticks + 1) / per_second, 0.0)


def process_stopwatch() -> Stopwatch:
    """A stopwatch started when this process started (else now): its first lap is the
    start-up, the interpreter and the imports."""
    age = process_age()
    return Stopwatch(None if age is None else time.perf_counter() - age)


def write_stage_times(seconds: dict[str, float]) -> None:
    """The stages' seconds as JSON (stage -> seconds, in the order they ran) to the file
    ``PLANNER_STAGE_TIMES`` names, if it names one: ``benchmarks.run`` splits the
    command's wall time with them."""
    target = os.environ.get(STAGE_TIMES_ENV, "").strip()
    if not target:
        return
    from planner.io.atomic import atomic_write_text

    atomic_write_text(Path(target), json.dumps({k: round(v, 6) for k, v in seconds.items()},
                                               indent=2) + "\n")
