"""The ``planner`` command: a thin shell over the core.

Exit codes (each error's ``exit_code`` in planner/errors.py; the table is
generated into docs/reference.md): 0 ok; 1 internal error (a bug, printed as
``InternalError``, or ``UncheckedPlanError``: the planner's own plan breaks a
rule; nothing written); 2 invalid input or usage (an unknown option or
language; nothing written); 3 infeasible campaign (the conflicting rules are
named); 4 no solver could solve, no feasible plan within the time limit, or the
watchdog stopped the run; 5 history store locked; 6 history store damaged, not a
planner store, or read-only; 7 history store's database server unreachable,
login refused or connection lost; 8 ``planner batch``: some campaigns failed
(the others are written); 9 ``planner check``: the plan breaks a rule (each is
listed).

Each command imports the parts it uses when it runs: start-up is most of a
small plan's wall time, and ``planner score`` needs no solver or spreadsheet
writer. Start-up runs with the cycle collector paused (``planner.collector``):
from ``main`` until a command starts (``_run``), and again while the command
imports its parts; the command's work runs with the collector as usual.

With ``PLANNER_STAGE_TIMES`` naming a file, ``planner plan`` writes there, as
JSON, the wall seconds of each stage of its run from the process's start
(``planner.jobs.plan.write_stage_times``).
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

from planner.collector import collector_paused, pause_for_start_up, start_up_done
from planner.errors import InputError, PlannerError, Problem
from planner.i18n import (
    LANGS,
    money,
    reason_text,
    set_lang,
    status_name,
    t,
    tier_name,
    tool_name,
    use_lang,
)

if TYPE_CHECKING:
    from planner.config import Campaign
    from planner.io.store_location import StoreLocation
    from planner.models import Video

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help=t("cli.help.app"),
)

T = TypeVar("T")


class UnreportedOpt(StrEnum):
    """``replan --unreported``: what a planned line no actuals file reports is taken for."""

    PLANNED = "planned"
    ZERO = "zero"

CampaignOpt = Annotated[Path, typer.Option("--campaign", help=t("cli.help.campaign"))]
VideosOpt = Annotated[Path, typer.Option("--videos", help=t("cli.help.videos"))]
# --lang before the command (planner --lang en plan ...) or after it (planner plan --lang en);
# PLANNER_LANG=en does the same for every run.
LangOpt = Annotated[
    str | None,
    typer.Option("--lang", help=t("cli.help.lang", langs=", ".join(LANGS)), show_default=False),
]
# How long a run waits for another run of the same campaign (plan, replan, batch).
LockTimeoutOpt = Annotated[
    float, typer.Option("--lock-timeout", help=t("cli.help.lock_timeout"))
]


@app.callback()
def _options(lang: LangOpt = None) -> None:
    if lang is not None:
        _check_lang(lang)
        set_lang(lang)


def _check_lang(lang: str) -> None:
    from planner.i18n import parse_lang

    if parse_lang(lang) is None:
        typer.echo(f"InputError: {t('cli.bad_lang', lang=lang, langs=', '.join(LANGS))}",
                   err=True)
        raise typer.Exit(2)


def _guard(action: Callable[[], T], lang: str | None = None) -> T:
    """Run a command in ``lang``; a planner error becomes 'TypeName: message' and its exit code."""
    if lang is None:
        return _run(action)
    _check_lang(lang)
    with use_lang(lang):
        return _run(action)


def _run(action: Callable[[], T]) -> T:
    start_up_done()  # the command's work runs with the cycle collector as usual
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
            f"InternalError: {type(exc).__name__}: {exc}. {t('cli.bug')}",
            err=True,
        )
        raise typer.Exit(1) from None


def _warn(lines: list[str]) -> None:
    for line in lines:
        typer.echo(t("cli.warning", line=line), err=True)


def _store(text: str) -> StoreLocation:
    """The store a --store option names (InputError if it names none)."""
    from planner.io.store_location import store_location

    location = store_location(text)
    if location.has_password:
        _warn([t("warn.store_password", store=location)])
    return location


def _regular(*paths: Path | None) -> None:
    """Every input path is a file (or missing, or a folder: the readers say so), never a
    FIFO, device or socket, which would hang a run or mean nothing."""
    from planner.io.inputs import ensure_regular

    ensure_regular(*paths)


def _load(campaign: Path, videos: Path) -> tuple[Campaign, list[Video]]:
    """Read the campaign, then the videos as of its plan date; print reader warnings."""
    from planner.jobs.plan import load_inputs

    camp, roster, warnings = load_inputs(campaign, videos)
    _warn(warnings)
    return camp, roster


@app.command(help=t("cli.help.plan"))
def plan(
    campaign: CampaignOpt,
    videos: VideosOpt,
    out: Annotated[Path, typer.Option("--out", help=t("cli.help.out_plan"))],
    slugs: Annotated[
        Path | None,
        typer.Option("--slugs", help=t("cli.help.slugs")),
    ] = None,
    store: Annotated[
        str | None,
        typer.Option("--store", help=t("cli.help.plan_store")),
    ] = None,
    lock_timeout: LockTimeoutOpt = 30.0,
    lang: LangOpt = None,
) -> None:
    """Score the videos, apply the AIMT rules, optimise, write plan.xlsx, plan.json, links.csv."""

    def run() -> None:
        with collector_paused():
            from planner.jobs.plan import process_stopwatch, run_plan, write_stage_times

        clock = process_stopwatch()
        _regular(campaign, videos, slugs)
        location = None if store is None else _store(store)
        outcome = run_plan(campaign, videos, out, slugs=slugs, store=location,
                           lock_timeout=lock_timeout, warn=_warn, clock=clock)
        result, written, version = outcome.plan, outcome.written, outcome.version
        typer.echo(t(
            "cli.plan_done", status=status_name(result.status),
            spend=money(result.total_spend), budget=money(result.budget),
            gmv=money(result.expected_gmv), roi=f"{result.expected_roi:.2f}",
            low=money(result.gmv_range.get("p10", result.expected_gmv)),
            high=money(result.gmv_range.get("p90", result.expected_gmv)),
            gap=f"{result.gap:.3%}", share=f"{result.seeding_share:.0%}",
            orders=len(result.orders), seconds=f"{result.solve_seconds:.2f}",
        ))
        # Each thing once: the headline, the limits, the next 10,000 yuan, the risk
        # attitudes, the files.
        if result.binding:
            typer.echo(t("cli.binding"))
        for line in result.binding_text():
            typer.echo(f"  - {line}")
        for line in result.marginal:
            typer.echo(f"  > {line}")
        if result.risk is not None and result.risk.attitudes:
            typer.echo("  > " + result.risk.attitudes_text())
        for path in written.values():
            typer.echo(t("cli.wrote", path=path))
        if location is not None:
            typer.echo(t("cli.recorded", day=result.plan_date, store=location, version=version))
        clock.lap("report")
        write_stage_times(clock.seconds)

    _guard(run, lang)


def _amount(text: str, what: str) -> float:
    """A number of yuan as buyers write it (50w, 3万, 1,000,000)."""
    from planner.parsing import parse_number

    fix = t("cli.amount_fix")
    try:
        value = parse_number(text)
    except ValueError as exc:
        raise InputError(Problem(t("error.sentence", text=t("error.cli.option", option=what,
                                                           message=exc)), fix=fix)) from None
    if value is None:
        raise InputError(Problem(t("cli.amount_empty", what=what, text=text), fix=fix))
    return value


@app.command(help=t("cli.help.sweep"))
def sweep(
    campaign: CampaignOpt,
    videos: VideosOpt,
    budgets: Annotated[
        str | None,
        typer.Option("--budgets", help=t("cli.help.budgets")),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", help=t("cli.help.out_sweep")),
    ] = None,
    target_gmv: Annotated[
        str | None, typer.Option("--target-gmv", help=t("cli.help.target_gmv"))
    ] = None,
    min_roi: Annotated[
        float | None,
        typer.Option("--min-roi", help=t("cli.help.min_roi")),
    ] = None,
    lang: LangOpt = None,
) -> None:
    """Plan the campaign at several budgets: GMV, ROI and marginal ROI by budget."""

    def run() -> None:
        with collector_paused():
            from planner.io.atomic import check_outputs, ensure_not_input
            from planner.jobs.sweep import curve_paths, write_curve
            from planner.sweep import budget_curve, curve_lines, min_budget_for

        paths = {} if out is None else curve_paths(out)
        if out is not None:
            check_outputs(out, paths.values())
        _regular(campaign, videos)
        camp, roster = _load(campaign, videos)
        ensure_not_input(paths.values(), (campaign, videos))
        if target_gmv is not None and min_roi is not None:
            raise InputError(Problem(t("cli.two_questions"), fix=t("cli.two_questions_fix")))
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
                write_curve(curve, paths, camp.effective_plan_date)
                for path in paths.values():
                    typer.echo(t("cli.wrote", path=path))
        if target is not None or min_roi is not None:
            answer = min_budget_for(roster, camp, gmv_target=target, min_roi=min_roi)
            typer.echo(answer.message)

    _guard(run, lang)


@app.command(help=t("cli.help.score"))
def score(campaign: CampaignOpt, videos: VideosOpt, lang: LangOpt = None) -> None:
    """Print each video's traffic-ROI scores and rule verdicts."""

    def run() -> None:
        with collector_paused():
            from planner.planning import score_roster

        _regular(campaign, videos)
        camp, roster = _load(campaign, videos)
        for s in score_roster(roster, camp):
            tools = t("list.sep").join(tool_name(tool) for tool in s.eligible_tools)
            typer.echo(t(
                "cli.score_line", video_id=s.video_id, kol=s.kol_name, tier=tier_name(s.tier),
                gpm=f"{s.gpm:.1f}", roi=f"{s.traffic_roi:.2f}",
                clr=f"{s.comment_like_rate:.1%}", tools=tools or t("cli.no_tools"),
            ))
            for r in s.reasons:
                typer.echo(f"    [{r.code}] {reason_text(r)}")

    _guard(run, lang)


@app.command(help=t("cli.help.replan"))
def replan(
    campaign: CampaignOpt,
    videos: VideosOpt,
    actuals: Annotated[list[Path], typer.Option("--actuals", help=t("cli.help.actuals"))],
    day: Annotated[
        datetime, typer.Option("--date", formats=["%Y-%m-%d"], help=t("cli.help.date"))
    ],
    store: Annotated[str, typer.Option("--store", help=t("cli.help.store"))],
    out: Annotated[
        Path | None, typer.Option("--out", help=t("cli.help.out_plan"))
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help=t("cli.help.dry_run"))
    ] = False,
    lock_timeout: LockTimeoutOpt = 30.0,
    unreported: Annotated[
        UnreportedOpt, typer.Option("--unreported", help=t("cli.help.unreported"))
    ] = UnreportedOpt.PLANNED,
    lang: LangOpt = None,
) -> None:
    """Ingest a day's actuals into the store, learn, and re-plan the rest of the campaign."""

    def run() -> None:
        with collector_paused():
            from planner.io.atomic import check_outputs
            from planner.io.campaign_file import read_campaign
            from planner.io.plan_files import PLAN_FILES
            from planner.jobs.plan import input_warnings, overrun_warnings
            from planner.jobs.replan import run_replan_watched

        _regular(campaign, videos, *actuals)
        if out is not None:
            check_outputs(out, [out / name for name in PLAN_FILES])
        outcome = run_replan_watched(campaign, videos, actuals, day.date(), _store(store), out,
                                     dry_run=dry_run, lock_timeout=lock_timeout,
                                     unreported=unreported.value)
        _warn(outcome.warnings)
        result = outcome.plan
        _warn(input_warnings(result) + overrun_warnings(result, read_campaign(campaign)))
        counts = outcome.ingested
        typer.echo(
            t("cli.replan_ingested", added=counts["added"], replaced=counts["replaced"],
              unchanged=counts["unchanged"])
            + (t("cli.replan_dry_run") if dry_run else "")
        )
        typer.echo(t(
            "cli.replan_done", status=status_name(result.status),
            spend=money(result.total_spend), budget=money(result.budget),
            gmv=money(result.expected_gmv), gap=f"{result.gap:.3%}",
            changes=len(result.changes),
        ))
        for change in result.changes:
            typer.echo(
                f"  - {change.video_id} {tool_name(change.tool)}: {t('change.' + change.kind)} "
                f"{change.old_budget:,.0f} -> {change.new_budget:,.0f}: "
                f"{reason_text(change.reason)}"
            )
        for topup in result.topups:
            typer.echo(t("cli.topup", video_id=topup.video_id, hours=topup.hours,
                         budget=f"{topup.budget:,.0f}"))
        if result.plan_vs_actual:
            last = max(r.date for r in result.plan_vs_actual)
            rows = [r for r in result.plan_vs_actual if r.date == last]
            unknown = sum(1 for r in rows if r.actual_gmv is None)
            typer.echo(t(
                "cli.plan_vs_actual", day=last,
                spent=money(sum(r.counted_spend or 0.0 for r in rows)),
                planned=money(sum(r.planned_spend for r in rows)),
                gmv=money(sum(r.actual_gmv or 0.0 for r in rows)),
                planned_gmv=money(sum(r.planned_gmv for r in rows)),
                sheet=t("sheet.plan_vs_actual"),
            ) + (t("cli.pva_gmv_unknown", count=unknown) if unknown else ""))
            typer.echo(t("cli.replan_spent_to_date", spent=money(result.spent_to_date),
                         left=money(result.budget_left or 0.0)))
        for path in outcome.written.values():
            typer.echo(t("cli.wrote", path=path))

    _guard(run, lang)


@app.command(help=t("cli.help.check"))
def check(
    campaign: CampaignOpt,
    videos: VideosOpt,
    plan_file: Annotated[Path, typer.Option("--plan", help=t("cli.help.plan_file"))],
    lang: LangOpt = None,
) -> None:
    """Check a plan against every rule: each broken rule on a line; exit 9 if any."""

    def run() -> None:
        with collector_paused():
            from planner.checks import check_orders
            from planner.errors import PlanRuleError
            from planner.io.campaign_file import read_campaign
            from planner.io.plan_reader import read_plan_to_check
            from planner.io.roster import read_videos

        camp = read_campaign(campaign)
        found_plan = read_plan_to_check(plan_file)
        day = found_plan.plan_date or camp.effective_plan_date
        roster, warnings = read_videos(videos, plan_date=day)
        _warn(warnings)
        found = check_orders(found_plan.orders, camp, roster, daily=found_plan.daily,
                             plan_date=day, evidence=found_plan.evidence)
        if not found:
            typer.echo(t("check.ok", orders=len(found_plan.orders)))
            return
        typer.echo(t("check.failed", count=len(found)))
        for violation in found:
            typer.echo(f"  - {violation.code}: {violation.text}")
        raise PlanRuleError(t("error.check.broken", count=len(found)), [])

    _guard(run, lang)


@app.command(help=t("inspect.help"))
def inspect(
    file: Annotated[Path, typer.Argument(metavar="FILE", help=t("inspect.help_file"))],
    campaign: Annotated[
        # Escaped: the help renderer reads "[ad_groups]" as markup and drops it.
        Path | None,
        typer.Option("--campaign", help=t("inspect.help_campaign").replace("[", "\\[")),
    ] = None,
    videos: Annotated[
        Path | None, typer.Option("--videos", help=t("inspect.help_videos"))
    ] = None,
    rows: Annotated[int, typer.Option("--rows", min=1, help=t("inspect.help_rows"))] = 5,
    lang: LangOpt = None,
) -> None:
    """Say what a file is recognised as, how its columns map, what was skipped, its first rows."""

    def run() -> None:
        with collector_paused():
            from planner.io.campaign_file import read_campaign
            from planner.io.inspection import inspect_file, inspection_lines
            from planner.io.roster import read_videos

        _regular(file, campaign, videos)
        camp = None if campaign is None else read_campaign(campaign)
        # Without a campaign, a post dated after today is scheduled, not live.
        plan_date = date.today() if camp is None else camp.effective_plan_date
        roster = [] if videos is None else read_videos(videos, plan_date=plan_date)[0]
        found = inspect_file(file, camp, rows=rows, plan_date=plan_date, videos=roster)
        for line in inspection_lines(found):
            typer.echo(line)

    _guard(run, lang)


@app.command(help=t("cli.help.batch"))
def batch(
    manifest: Annotated[Path, typer.Option("--manifest", help=t("cli.help.manifest"))],
    day: Annotated[
        datetime, typer.Option("--date", formats=["%Y-%m-%d"], help=t("cli.help.batch_date"))
    ],
    out: Annotated[Path, typer.Option("--out", help=t("cli.help.out_batch"))],
    scheduler: Annotated[
        str | None, typer.Option("--scheduler", help=t("cli.help.scheduler"))
    ] = None,
    workers: Annotated[
        int | None, typer.Option("--workers", min=1, help=t("cli.help.workers"))
    ] = None,
    lock_timeout: LockTimeoutOpt = 30.0,
    lang: LangOpt = None,
) -> None:
    """Plan or re-plan every campaign of a portfolio in parallel; exit 8 if any failed."""

    def run() -> None:
        with collector_paused():
            from planner.io.atomic import check_outputs
            from planner.jobs.batch import (
                check_portfolio,
                pool_size,
                read_manifest,
                run_portfolio,
                write_portfolio,
            )

        _regular(manifest)
        check_outputs(out, [out / "portfolio.json", out / "portfolio.xlsx"])
        tasks = read_manifest(manifest, day.date(), out, lock_timeout=lock_timeout)
        where = scheduler or t("cli.batch_local", workers=pool_size(workers, len(tasks)))
        label = t("cli.batch_progress", count=len(tasks), where=where)
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
            typer.echo(t("cli.wrote", path=path))
        check_portfolio(portfolio, written["json"])

    _guard(run, lang)


store_app = typer.Typer(no_args_is_help=True, help=t("cli.help.store_group"))
app.add_typer(store_app, name="store")


@store_app.command("migrate")
def store_migrate(
    source: Annotated[str, typer.Argument(metavar="FROM", help=t("cli.help.migrate_from"))],
    target: Annotated[str, typer.Argument(metavar="TO", help=t("cli.help.migrate_to"))],
    lock_timeout: Annotated[
        float, typer.Option("--lock-timeout", help=t("cli.help.migrate_lock_timeout"))
    ] = 30.0,
) -> None:
    """Copy a whole history exactly (SQLite to PostgreSQL and back); print rows and checksums."""

    def run() -> None:
        with collector_paused():
            from planner.io.store_copy import migrate_store

        origin, destination = _store(source), _store(target)
        sums = migrate_store(origin, destination, timeout=lock_timeout)
        typer.echo(t("cli.migrated", source=origin, target=destination))
        width = max(len(s.table) for s in sums)
        for s in sums:
            rows = t("cli.migrated_rows", rows=f"{s.rows:,}")
            typer.echo(f"  {s.table:<{width}}  {rows:>14}  sha256 {s.sha256}")
        typer.echo(t("cli.migrated_total", rows=f"{sum(s.rows for s in sums):,}"))

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
    from planner.jobs.cores import one_blas_thread

    pause_for_start_up()  # until the command starts its work (_run)
    one_blas_thread()
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
