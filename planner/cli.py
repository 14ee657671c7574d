"""The ``planner`` command: a thin shell over the core.

Exit codes: 0 ok, 2 invalid input (nothing written), 3 infeasible campaign
(the conflicting rules are named), 4 solver failure, 5 history store locked,
6 ``planner batch``: some campaigns failed (the others are written).

Each command imports the parts it uses when it runs: start-up is most of a
small plan's wall time, and ``planner score`` needs no solver or spreadsheet
writer.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

from planner.errors import InputError, PlannerError, Problem

if TYPE_CHECKING:
    from planner.config import Campaign
    from planner.models import Video

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Plan a Douyin paid-traffic budget across KOL videos, tools and days.",
)

T = TypeVar("T")

CampaignOpt = Annotated[Path, typer.Option("--campaign", help="Campaign TOML file.")]
VideosOpt = Annotated[Path, typer.Option("--videos", help="Videos file (CSV or XLSX).")]


def _guard(action: Callable[[], T]) -> T:
    """Run a command; a planner error becomes 'TypeName: message' and its exit code."""
    try:
        return action()
    except PlannerError as exc:
        typer.echo(f"{type(exc).__name__}: {exc}", err=True)
        raise typer.Exit(exc.exit_code) from None
    except BrokenPipeError:
        # The reader went away (``planner plan ... | head``): the files are written; stop
        # quietly, and keep Python from complaining when it flushes stdout at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise typer.Exit(1) from None
    except Exception as exc:  # a bug, not the buyer's fault: still no traceback
        typer.echo(
            f"InternalError: {type(exc).__name__}: {exc}. This is a bug in the planner; "
            "please report it with the command and the input files.",
            err=True,
        )
        raise typer.Exit(1) from None


def _warn(lines: list[str]) -> None:
    for line in lines:
        typer.echo(f"warning: {line}", err=True)


def _load(campaign: Path, videos: Path) -> tuple[Campaign, list[Video]]:
    """Read the campaign, then the videos as of its plan date; print reader warnings."""
    from planner.io.plan_job import load_inputs

    camp, roster, warnings = load_inputs(campaign, videos)
    _warn(warnings)
    return camp, roster


@app.command()
def plan(
    campaign: CampaignOpt,
    videos: VideosOpt,
    out: Annotated[Path, typer.Option("--out", help="Folder for plan.xlsx and plan.json.")],
    slugs: Annotated[
        Path | None,
        typer.Option("--slugs", help="CSV/XLSX with columns name, slug: readable link tags "
                     "for Chinese campaign and KOL names."),
    ] = None,
    store: Annotated[
        Path | None,
        typer.Option("--store", help="History store (SQLite file): record the plan, so the "
                     "next morning's `planner replan` knows which orders were booked."),
    ] = None,
    lock_timeout: Annotated[
        float, typer.Option("--lock-timeout", help="Seconds to wait for another run "
                            "writing the store.")
    ] = 30.0,
) -> None:
    """Score the videos, apply the AIMT rules, optimise, write plan.xlsx, plan.json, links.csv."""

    def run() -> None:
        from planner.io.plan_job import run_plan

        outcome = run_plan(campaign, videos, out, slugs=slugs, store=store,
                           lock_timeout=lock_timeout, warn=_warn)
        result, written, version = outcome.plan, outcome.written, outcome.version
        typer.echo(
            f"{result.status}: spend {result.total_spend:,.0f} of {result.budget:,.0f} yuan, "
            f"expected GMV {result.expected_gmv:,.0f} (ROI {result.expected_roi:.2f}), "
            f"gap {result.gap:.3%}, seeding share {result.seeding_share:.0%}, "
            f"{len(result.orders)} orders, solved in {result.solve_seconds:.2f} s"
        )
        for line in result.binding:
            typer.echo(f"  - {line}")
        for line in result.marginal:
            typer.echo(f"  > {line}")
        for path in written.values():
            typer.echo(f"wrote {path}")
        if store is not None:
            typer.echo(f"recorded the plan for {result.plan_date} in {store} (version {version})")

    _guard(run)


def _amount(text: str, what: str) -> float:
    """A number of yuan as buyers write it (50w, 3万, 1,000,000)."""
    from planner.parsing import parse_number

    fix = "Write a number, e.g. 1000000, 100w or 100万."
    try:
        value = parse_number(text)
    except ValueError as exc:
        raise InputError(Problem(f"{what}: {exc}.", fix=fix)) from None
    if value is None:
        raise InputError(Problem(f"{what}: '{text}' is empty.", fix=fix))
    return value


@app.command()
def sweep(
    campaign: CampaignOpt,
    videos: VideosOpt,
    budgets: Annotated[
        str | None,
        typer.Option("--budgets", help="Comma-separated budgets in yuan, e.g. 500000,100w,2000000 "
                     "(default: 50%, 100%, 150% and 200% of the campaign budget)."),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Folder for budget_curve.xlsx and .csv (when a curve runs)."),
    ] = None,
    target_gmv: Annotated[
        str | None, typer.Option("--target-gmv", help="Find the least budget reaching this GMV.")
    ] = None,
    min_roi: Annotated[
        float | None,
        typer.Option("--min-roi", help="Find the largest budget keeping overall ROI >= this."),
    ] = None,
) -> None:
    """Plan the campaign at several budgets: GMV, ROI and marginal ROI by budget."""

    def run() -> None:
        from planner.io.atomic import ensure_not_input
        from planner.io.export import LineChart, write_csv, write_frames_xlsx
        from planner.sweep import budget_curve, curve_lines, min_budget_for

        camp, roster = _load(campaign, videos)
        paths = {} if out is None else {
            "xlsx": out / "budget_curve.xlsx", "csv": out / "budget_curve.csv"
        }
        ensure_not_input(paths.values(), (campaign, videos))
        if target_gmv is not None and min_roi is not None:
            raise InputError(Problem("--target-gmv and --min-roi ask two questions.",
                                     fix="Give one of them per run."))
        target = None if target_gmv is None else _amount(target_gmv, "--target-gmv")
        if budgets is not None or (target is None and min_roi is None):
            amounts = (
                [_amount(b, "--budgets") for b in budgets.split(",") if b.strip()]
                if budgets is not None
                else [camp.budget * f for f in (0.5, 1.0, 1.5, 2.0)]
            )
            curve = budget_curve(roster, camp, amounts)
            for line in curve_lines(curve):
                typer.echo(line)
            if paths:
                write_frames_xlsx(
                    paths["xlsx"], {"Budget curve": curve},
                    chart=LineChart("Budget curve", "budget", ("expected_gmv",),
                                    "Expected GMV by budget"),
                    created=camp.effective_plan_date,
                )
                write_csv(curve, paths["csv"])
                for path in paths.values():
                    typer.echo(f"wrote {path}")
        if target is not None or min_roi is not None:
            answer = min_budget_for(roster, camp, gmv_target=target, min_roi=min_roi)
            typer.echo(answer.message)

    _guard(run)


@app.command()
def score(campaign: CampaignOpt, videos: VideosOpt) -> None:
    """Print each video's traffic-ROI scores and rule verdicts."""

    def run() -> None:
        from planner.planning import score_roster

        camp, roster = _load(campaign, videos)
        for s in score_roster(roster, camp):
            tools = ", ".join(s.eligible_tools) or "none"
            typer.echo(
                f"{s.video_id}  {s.kol_name}  {s.tier}  GPM {s.gpm:.1f}  "
                f"ROI {s.traffic_roi:.2f}  comment-like {s.comment_like_rate:.1%}  "
                f"tools: {tools}"
            )
            for r in s.reasons:
                typer.echo(f"    [{r.code}] {r.text}")

    _guard(run)


@app.command()
def replan(
    campaign: CampaignOpt,
    videos: VideosOpt,
    actuals: Annotated[Path, typer.Option("--actuals", help="Daily actuals (CSV or XLSX).")],
    day: Annotated[
        datetime, typer.Option("--date", formats=["%Y-%m-%d"], help="Day to re-plan from.")
    ],
    store: Annotated[Path, typer.Option("--store", help="History store (SQLite file).")],
    out: Annotated[
        Path | None, typer.Option("--out", help="Folder for plan.xlsx and plan.json.")
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show the new plan; change and write nothing.")
    ] = False,
    lock_timeout: Annotated[
        float, typer.Option("--lock-timeout", help="Seconds to wait for another run.")
    ] = 30.0,
) -> None:
    """Ingest a day's actuals into the store, learn, and re-plan the rest of the campaign."""

    def run() -> None:
        from planner.io.replan_job import run_replan_watched

        outcome = run_replan_watched(campaign, videos, actuals, day.date(), store, out,
                                     dry_run=dry_run, lock_timeout=lock_timeout)
        _warn(outcome.warnings)
        result = outcome.plan
        counts = outcome.ingested
        typer.echo(
            f"actuals: {counts['added']} added, {counts['replaced']} restated, "
            f"{counts['unchanged']} unchanged" + (" (dry run: nothing kept)" if dry_run else "")
        )
        typer.echo(
            f"{result.status}: spend {result.total_spend:,.0f} of {result.budget:,.0f} yuan "
            f"(incl. spent and booked), expected GMV {result.expected_gmv:,.0f}, "
            f"gap {result.gap:.3%}, {len(result.changes)} change(s)"
        )
        for change in result.changes:
            typer.echo(
                f"  - {change.video_id} {change.tool}: {change.kind} "
                f"{change.old_budget:,.0f} -> {change.new_budget:,.0f}: {change.reason.text}"
            )
        for topup in result.topups:
            typer.echo(f"  + top-up {topup.video_id}: {topup.hours}h {topup.budget:,.0f} yuan")
        if result.plan_vs_actual:
            last = max(r.date for r in result.plan_vs_actual)
            rows = [r for r in result.plan_vs_actual if r.date == last]
            spent, planned = (sum(r.actual_spend for r in rows),
                              sum(r.planned_spend for r in rows))
            sold, expected = sum(r.actual_gmv for r in rows), sum(r.planned_gmv for r in rows)
            typer.echo(
                f"plan vs actual {last}: spend {spent:,.0f} (planned {planned:,.0f}), GMV "
                f"{sold:,.0f} (planned {expected:,.0f}); per video and tool in plan.json "
                "plan_vs_actual and the sheet 'Plan vs actual'"
            )
        for path in outcome.written.values():
            typer.echo(f"wrote {path}")

    _guard(run)


@app.command()
def batch(
    manifest: Annotated[Path, typer.Option("--manifest", help="Portfolio TOML: one "
                                           "[[campaigns]] entry per campaign.")],
    day: Annotated[
        datetime, typer.Option("--date", formats=["%Y-%m-%d"], help="Day to plan from.")
    ],
    out: Annotated[Path, typer.Option("--out", help="Folder for portfolio.json, "
                                      "portfolio.xlsx and one folder per campaign.")],
    scheduler: Annotated[
        str | None, typer.Option("--scheduler", help="Dask scheduler, e.g. tcp://host:8786 "
                                 "(default: a process pool on this machine).")
    ] = None,
    workers: Annotated[
        int | None, typer.Option("--workers", min=1, help="Local pool size (default: one "
                                 "per core).")
    ] = None,
    lock_timeout: Annotated[
        float, typer.Option("--lock-timeout", help="Seconds each campaign waits for another "
                            "run writing its store.")
    ] = 30.0,
) -> None:
    """Plan or re-plan every campaign of a portfolio in parallel; exit 6 if any failed."""

    def run() -> None:
        from planner.batch import (
            check_portfolio,
            pool_size,
            read_manifest,
            run_portfolio,
            write_portfolio,
        )

        tasks = read_manifest(manifest, day.date(), out, lock_timeout=lock_timeout)
        where = scheduler or f"{pool_size(workers, len(tasks))} local worker(s)"
        label = f"{len(tasks)} campaign(s) on {where}"
        if not sys.stderr.isatty():  # a cron log gets one line, not a bar
            typer.echo(label, err=True)
        with typer.progressbar(length=len(tasks), label=label, file=sys.stderr, show_pos=True,
                               hidden=not sys.stderr.isatty()) as bar:
            portfolio = run_portfolio(tasks, day.date(), scheduler=scheduler, workers=workers,
                                      on_done=lambda _: bar.update(1))
        for result in portfolio.campaigns:
            typer.echo(f"{result.name}: {result.message.splitlines()[0]}")
        written = write_portfolio(portfolio, out, inputs=(manifest,))
        for path in written.values():
            typer.echo(f"wrote {path}")
        check_portfolio(portfolio, written["json"])

    _guard(run)


def main() -> None:
    """The ``planner`` console command.

    It leaves through ``os._exit`` once the command has finished and its output
    is flushed: tearing pandas, pyarrow and pydantic down at interpreter exit
    costs about 0.25 s, an eighth of a small plan's wall time, and by then every
    file the command wrote has been closed and renamed into place. Under a
    profiler or tracer (``python -m cProfile``, coverage) it exits normally, so
    they can write their results.
    """
    try:
        app(prog_name="planner")
        status = 0
    except SystemExit as exc:
        status = _exit_status(exc.code)
    if sys.getprofile() is not None or sys.gettrace() is not None:
        raise SystemExit(status)
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a reader that went away
            stream.flush()
    os._exit(status)


def _exit_status(code: object) -> int:
    """What ``sys.exit(code)`` would give the shell."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1


if __name__ == "__main__":
    main()
