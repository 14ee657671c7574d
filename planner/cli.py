"""The ``planner`` command: a thin shell over the core.

Exit codes: 0 ok, 2 invalid input (nothing written), 3 infeasible campaign
(the conflicting rules are named), 4 solver failure, 5 history store locked.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Annotated, TypeVar

import typer

from planner.errors import PlannerError
from planner.io.campaign_file import read_campaign
from planner.io.export import write_plan
from planner.io.replan_job import run_replan
from planner.io.tables import read_videos
from planner.planning import make_plan, score_roster

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


def _warn(lines: list[str]) -> None:
    for line in lines:
        typer.echo(f"warning: {line}", err=True)


@app.command()
def plan(
    campaign: CampaignOpt,
    videos: VideosOpt,
    out: Annotated[Path, typer.Option("--out", help="Folder for plan.xlsx and plan.json.")],
) -> None:
    """Score the videos, apply the AIMT rules, optimise, write plan.xlsx and plan.json."""

    def run() -> None:
        camp = read_campaign(campaign)
        roster, warnings = read_videos(videos, plan_date=camp.effective_plan_date)
        _warn(warnings)
        result = make_plan(roster, camp, source=campaign.name)
        written = write_plan(result, out, inputs=(campaign, videos))
        typer.echo(
            f"{result.status}: spend {result.total_spend:,.0f} of {result.budget:,.0f} yuan, "
            f"expected GMV {result.expected_gmv:,.0f} (ROI {result.expected_roi:.2f}), "
            f"gap {result.gap:.3%}, seeding share {result.seeding_share:.0%}, "
            f"{len(result.orders)} orders, solved in {result.solve_seconds:.2f} s"
        )
        for line in result.binding:
            typer.echo(f"  - {line}")
        for path in written.values():
            typer.echo(f"wrote {path}")

    _guard(run)


@app.command()
def score(campaign: CampaignOpt, videos: VideosOpt) -> None:
    """Print each video's traffic-ROI scores and rule verdicts."""

    def run() -> None:
        camp = read_campaign(campaign)
        roster, warnings = read_videos(videos, plan_date=camp.effective_plan_date)
        _warn(warnings)
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
        outcome = run_replan(campaign, videos, actuals, day.date(), store, out,
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
        for path in outcome.written.values():
            typer.echo(f"wrote {path}")

    _guard(run)


def main() -> None:
    app(prog_name="planner")


if __name__ == "__main__":
    main()
