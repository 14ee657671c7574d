"""The daily re-plan job: files and store around the pure ``planner.replan`` core.

Order of work, so that a kill at any moment loses nothing:
1. read and validate every input (exit 2 before anything is touched);
2. open the store and take the campaign's write lock (SQLite: ``BEGIN
   IMMEDIATE``; PostgreSQL: an advisory lock), ingest the actuals, load all
   actuals and the previous plan;
3. re-plan; build plan.xlsx and plan.json in temporary files;
4. record the plan and its orders, commit, and only then rename the files into place.
A kill before step 4 commits rolls the store back and leaves the previous
outputs; a kill after it leaves the recorded plan's files or the previous ones,
never files of a plan the store does not hold. Re-running the same day gives the
same plan, because the previous plan is the latest one made for an earlier day.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from planner.checks import ensure_plan_obeys
from planner.config import Campaign
from planner.errors import InputError, Problem
from planner.i18n import has, mode_name, reason_text, t, tool_name
from planner.io.atomic import ensure_store_apart
from planner.io.campaign_file import campaign_warnings, read_campaign
from planner.io.plan_files import PLAN_FILES, write_plan
from planner.io.roster import read_videos
from planner.io.store import Store, open_store, sha256_of
from planner.io.store_location import StoreLocation, store_location
from planner.kpi import kpi_tables
from planner.models import Plan, Video
from planner.replan import Unreported, check_actuals, replan, unreported_warning


@dataclass(frozen=True)
class ReplanOutcome:
    plan: Plan
    ingested: dict[str, int]
    written: dict[str, Path]
    warnings: list[str]


def replan_frames(plan: Plan, actuals: pd.DataFrame | None = None,
                  videos: Sequence[Video] = ()) -> dict[str, pd.DataFrame]:
    """Extra sheets of a re-plan: changes, top-ups, learned ROI and the KPIs of the actuals.

    Sheets are named from the catalogue (``sheet.changes``, ``sheet.kpi_by.tool``...)
    and their column ids become headers through ``col.*`` like the built-in sheets;
    tools, modes and change kinds are said in words.
    """
    changes = pd.DataFrame(
        [
            {"video_id": c.video_id, "tool": tool_name(c.tool), "change": _change_word(c.kind),
             "old_budget": c.old_budget, "new_budget": c.new_budget,
             "old_mode": mode_name(c.old_mode), "new_mode": mode_name(c.new_mode),
             "reason": f"{c.reason.code}: {reason_text(c.reason)}"}
            for c in plan.changes
        ],
        columns=["video_id", "tool", "change", "old_budget", "new_budget", "old_mode",
                 "new_mode", "reason"],
    )
    topups = pd.DataFrame(
        [{"video_id": u.video_id, "date": u.date, "hours": u.hours, "budget": u.budget,
          "reason": reason_text(u.reason)} for u in plan.topups],
        columns=["video_id", "date", "hours", "budget", "reason"],
    )
    learned = pd.DataFrame(
        [{**e.model_dump(mode="json"), "tool": tool_name(e.tool)} for e in plan.learned],
        columns=["video_id", "tool", "spend", "gmv", "prior_roi", "observed_roi", "learned_roi"],
    )
    frames = {t("sheet.changes"): changes, t("sheet.topups"): topups,
              t("sheet.learned"): learned}
    if actuals is not None and len(actuals):
        for by, table in kpi_tables(actuals, videos, ("video", "tool", "day")).items():
            if by == "tool":
                table["tool"] = table["tool"].map(tool_name)
            frames[t(f"sheet.kpi_by.{by}")] = table
    return frames


def _change_word(kind: str) -> str:
    return t(f"change.{kind}") if has(f"change.{kind}") else kind


@dataclass(frozen=True)
class Recorded:
    """A plan recorded in the history store, and the files written with it."""

    plan_id: int
    store: StoreLocation
    written: dict[str, Path]


# Writes a plan's files; the callable it is given records the plan, and runs once every
# file is built and before any replaces its target (``write_plan``'s ``before_replace``).
Writer = Callable[[Callable[[], None]], dict[str, Path]]


def record_plan(plan: Plan, campaign: Campaign, videos_sha256: str,
                store: StoreLocation | Path | str, *, lock_timeout: float = 30.0,
                write: Writer | None = None, owner: str | None = None) -> Recorded:
    """Record a fresh plan (``planner plan --store``) exactly as a re-plan records it.

    The plan, its campaign, the hash of the videos file and of the actuals the store
    holds go in as a new version, with every order and its status (``to_book`` /
    ``planned``), so the next morning's re-plan knows what was booked. ``write``
    builds the plan's files and replaces the old ones only after the store committed
    the plan: a locked or read-only store writes nothing, a file that cannot be built
    records nothing, and a run killed at any moment never leaves files of a plan the
    store does not hold. ``store`` is a SQLite path or a database URL
    (``planner.io.store_location``). ``owner`` is the ``planner batch`` manifest entry
    recording it: the store refuses (exit 2) a campaign another entry writes.
    """
    location = store_location(store)
    ids: list[int] = []
    with open_store(location, timeout=lock_timeout) as history:

        def record() -> None:
            with history.transaction(campaign.name):
                if owner is not None:
                    history.claim(campaign.name, owner)
                actuals = history.actuals(campaign.name)
                ids.append(history.save_plan(
                    plan,
                    campaign_json=campaign.model_dump_json(),
                    videos_sha256=videos_sha256,
                    actuals_sha256=sha256_of(actuals.to_csv(index=False).encode("utf-8")),
                ))

        if write is None:
            record()
            written: dict[str, Path] = {}
        else:
            written = write(record)
    return Recorded(ids[0], location, written)


def _paths(actuals: Path | Sequence[Path]) -> list[Path]:
    return [actuals] if isinstance(actuals, Path) else list(actuals)


def join_stored_gmv(history: Store, campaign: str,
                    pending: Sequence[tuple[str, dict[str, Any]]],
                    source: str) -> tuple[dict[str, int], list[str]]:
    """Join GMV rows no file of this morning took to the stored spend of their day whose
    GMV is unknown (a spend-only file of an earlier morning); ingest the filled rows.

    Returns the store's counts and what the join said (a GMV row with no spend row at
    all is named and not used).
    """
    from planner.io.actuals import join_gmv

    if not pending:
        return {}, []
    stored = history.gmv_unknown(campaign, {row["date"] for _, row in pending})
    joined = join_gmv(stored, pending)
    notes = list(joined.notes)
    for key, file in joined.filled.items():
        row = stored[key]
        notes.append(t("export.gmv_joined", file=file, day=row["date"], video=row["video_id"],
                       tool=tool_name(str(row["tool"])), gmv=f"{row['gmv']:,.2f}"))
    notes += [t("export.gmv_without_spend", file=name, day=row["date"], video=row["video_id"],
                gmv=f"{row.get('gmv') or 0:,.2f}") for name, row in joined.left]
    if not joined.filled:
        return {}, notes
    frame = pd.DataFrame([stored[key] for key in sorted(joined.filled, key=str)])
    return history.ingest_actuals(campaign, frame, source), notes


@contextlib.contextmanager
def _unless_dry_run_makes(location: StoreLocation, dry_run: bool) -> Iterator[StoreLocation]:
    """The store to open: ``location``, except for a dry run on a SQLite store not made
    yet, which re-plans on an empty history in a file of its own that goes away after,
    so a dry run never leaves a file where the store was named."""
    if not dry_run or location.path is None or location.path.exists():
        yield location
        return
    with tempfile.TemporaryDirectory(prefix="planner-dry-run-") as folder:
        yield store_location(Path(folder) / location.path.name)


def run_replan(campaign_path: Path, videos_path: Path, actuals_path: Path | Sequence[Path],
               plan_date: date,
               store: StoreLocation | Path | str, out_dir: Path | None, *,
               dry_run: bool = False, lock_timeout: float = 30.0,
               unreported: Unreported = "planned",
               owner: str | None = None) -> ReplanOutcome:
    """Ingest a day's actuals, re-plan the rest of the campaign, record and write it.

    ``store`` is a SQLite path or a database URL. ``dry_run`` computes everything
    and then rolls the store back and writes no file. ``actuals_path`` may be several
    files (the planner's own, or the platforms' exports): they merge by date, video and
    tool (``planner.io.actuals.read_actual_sources``); spend without GMV is stored with
    its GMV unknown, and a GMV file of a later morning joins the stored spend of its day.
    ``unreported`` says what a planned line of a past day no file reports is taken for
    (``planner.replan.replan``); such lines are named in one warning. ``owner``: the
    ``planner batch`` manifest entry, as for ``record_plan``.
    """
    from planner.io.actuals import read_actual_sources

    paths = _paths(actuals_path)
    location = store_location(store)
    if out_dir is not None:  # before anything is read: the plan is never written over it
        ensure_store_apart(location.path, out_dir, [out_dir / name for name in PLAN_FILES])
    campaign = read_campaign(campaign_path)
    if plan_date > campaign.end:
        raise InputError(Problem(
            t("error.job.replan_after_end", plan_date=plan_date, end=campaign.end),
            file=campaign_path.name,
            fix=t("error.job.replan_after_end_fix", start=campaign.start, end=campaign.end)))
    videos, warnings = read_videos(videos_path, plan_date=plan_date)
    merged = read_actual_sources(paths, campaign, videos)
    new_actuals, actual_warnings = merged.frame, merged.notes
    names = ", ".join(p.name for p in paths)
    # The planner's own single file keeps its name as the rows' source; exports and
    # several files say each file and the GMV family it counts.
    source = paths[0].name if set(merged.families.values()) == {"given"} and len(
        paths) == 1 else merged.source
    check_actuals(new_actuals, videos, campaign, plan_date, names, origins=merged.origins)
    written: dict[str, Path] = {}
    with _unless_dry_run_makes(location, dry_run) as used, \
            open_store(used, timeout=lock_timeout) as history, contextlib.ExitStack() as held:
        held.enter_context(history.transaction(campaign.name, commit=not dry_run))
        if owner is not None:
            history.claim(campaign.name, owner)
        ingested = history.ingest_actuals(campaign.name, new_actuals, source)
        filled, join_notes = join_stored_gmv(history, campaign.name, merged.pending_gmv,
                                             merged.source)
        for key, count in filled.items():
            ingested[key] += count
        actual_warnings = [*actual_warnings, *join_notes]
        actuals = history.actuals(campaign.name)
        previous = history.previous_plan(campaign.name, plan_date)
        plan = replan(videos, campaign, actuals, plan_date, previous,
                      planned=history.planned_daily(campaign.name, plan_date),
                      source=names, unreported=unreported)
        ensure_plan_obeys(plan, campaign, videos)  # never record or write a rule breach
        missing = unreported_warning(plan, unreported)
        if missing is not None:
            actual_warnings.append(missing)

        def record() -> None:
            """Record the plan and commit: before any file replaces the old one."""
            history.save_plan(
                plan,
                campaign_json=campaign.model_dump_json(),
                videos_sha256=sha256_of(videos_path.read_bytes()),
                actuals_sha256=sha256_of(actuals.to_csv(index=False).encode("utf-8")),
            )
            held.close()  # commits the transaction

        if not dry_run and out_dir is None:
            record()
        elif not dry_run and out_dir is not None:
            # The files are built, then the store commits, then they replace the old ones:
            # a kill never leaves files of a plan the store does not hold.
            written = write_plan(
                plan, out_dir,
                inputs=(campaign_path, videos_path, *paths,
                        *([location.path] if location.path else [])),
                extra_sheets=replan_frames(plan, actuals, videos),
                campaign=campaign, before_replace=record,
            )
    return ReplanOutcome(plan, ingested, written,
                         campaign_warnings(campaign) + warnings + actual_warnings)


def run_replan_watched(campaign_path: Path, videos_path: Path,
                       actuals_path: Path | Sequence[Path],
                       plan_date: date, store: StoreLocation | Path | str,
                       out_dir: Path | None, *, dry_run: bool = False,
                       lock_timeout: float = 30.0, unreported: Unreported = "planned",
                       owner: str | None = None) -> ReplanOutcome:
    """``run_replan`` in a watched child process, as ``planner replan`` and ``planner batch``
    run it: killed after the lock timeout plus the solver's deadline (exit 4, nothing kept).
    """
    from planner.jobs.watchdog import run_with_deadline, solve_deadline

    return run_with_deadline(
        run_replan, campaign_path, videos_path, actuals_path, plan_date, store, out_dir,
        dry_run=dry_run, lock_timeout=lock_timeout, unreported=unreported, owner=owner,
        deadline_s=lock_timeout + solve_deadline(read_campaign(campaign_path), plans=1),
    )
