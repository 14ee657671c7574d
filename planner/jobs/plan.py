"""The plan job behind ``planner plan`` and ``planner batch``: read, plan, write, record.

One function for both, so that a campaign planned inside a portfolio writes the
same files and records the same plan as ``planner plan --store`` on its own.
Order of work: read and validate every input (exit 2 before anything is
touched); plan in a watched child process (``run_with_deadline``); then write
plan.xlsx, plan.json and links.csv; with a store, the files replace the old ones
only after the store recorded the plan (a locked store writes nothing, a failed
write records nothing).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from planner.collector import collector_paused
from planner.config import Campaign
from planner.errors import ConfigError, Problem
from planner.i18n import t
from planner.io.store_location import StoreLocation
from planner.models import Plan, Video


@dataclass(frozen=True)
class PlanOutcome:
    plan: Plan
    written: dict[str, Path]
    version: int | None  # the plan's version in the store; None without a store
    warnings: list[str]


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


def plan_with_margin(roster: list[Video], campaign: Campaign, source: str) -> Plan:
    """The plan, what its next 10,000 yuan would buy, and what the other risk attitudes
    would give."""
    from planner.planning import Planner
    from planner.sweep import marginal_value

    planner = Planner(roster, campaign, source=source)
    result = planner.plan()
    marginal = marginal_value(planner, 10_000, base=result)
    return planner.with_attitudes(result).model_copy(update={"marginal": marginal})


@collector_paused()
def run_plan(campaign_path: Path, videos_path: Path, out: Path, *, slugs: Path | None = None,
             store: StoreLocation | Path | str | None = None, lock_timeout: float = 30.0,
             plan_date: date | None = None,
             warn: Callable[[list[str]], None] | None = None,
             owner: str | None = None) -> PlanOutcome:
    """Plan the campaign, write plan.xlsx, plan.json and links.csv, and record it in ``store``.

    ``store`` is a SQLite path or a database URL (``planner.io.store_location``).
    ``warn`` hears the readers' warnings as soon as they
    are known, so a run that fails later still shows them; the outcome lists them too.
    ``owner`` is the ``planner batch`` manifest entry (``record_plan``).
    """
    from planner.checks import ensure_plan_obeys
    from planner.io.atomic import check_outputs, ensure_not_input, ensure_store_apart
    from planner.io.campaign_file import campaign_warnings
    from planner.io.plan_files import PLAN_FILES, csv_bytes, write_plan
    from planner.io.store_location import store_location
    from planner.jobs.watchdog import run_with_deadline, solve_deadline
    from planner.links import links_frame, links_sheet

    links_csv = out / "links.csv"
    outputs = [*(out / name for name in PLAN_FILES), links_csv]
    location = None if store is None else store_location(store)
    # Every output path is checked before anything is read or solved; the store is
    # never one of them (a plan.json written over it would replace the history).
    ensure_store_apart(None if location is None else location.path, out, outputs)
    check_outputs(out, outputs)
    campaign, roster, warnings = load_inputs(campaign_path, videos_path, plan_date)
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
    # Four plans (the plan, its next 10,000 yuan, the two other risk attitudes), each under
    # the solver limit.
    result = run_with_deadline(plan_with_margin, roster, campaign, campaign_path.name,
                               deadline_s=solve_deadline(campaign, plans=4,
                                                         videos=len(roster)))
    ensure_plan_obeys(result, campaign, roster)  # a plan that breaks a rule is never written
    links = links_frame(result, roster, campaign, slugs=slug_map)
    late = overrun_warnings(result, campaign)
    if warn is not None:
        warn(late)
    warnings = warnings + late

    def write(before_replace: Callable[[], None] | None = None) -> dict[str, Path]:
        # links.csv is replaced with plan.json and plan.xlsx, or not at all.
        return write_plan(result, out, inputs=inputs, campaign=campaign,
                          extra_sheets={t("sheet.links"): links_sheet(links)},
                          also={"links": (links_csv, csv_bytes(links))},
                          before_replace=before_replace)

    if location is None:
        return PlanOutcome(result, write(), None, warnings)
    from planner.io.store import sha256_of
    from planner.jobs.replan import record_plan

    # The files are built, the store records the plan, and only then do the files
    # replace the old ones: a locked store (exit 5) writes nothing, a file that cannot
    # be built records nothing.
    recorded = record_plan(result, campaign, sha256_of(videos_path.read_bytes()), location,
                           lock_timeout=lock_timeout, write=write, owner=owner)
    return PlanOutcome(result, recorded.written, recorded.plan_id, warnings)
