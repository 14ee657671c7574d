"""A portfolio's morning re-plan three ways: a sequential loop, the local pool, a LocalCluster.

    python -m benchmarks.batch [--campaigns 200] [--videos 200] [--workers 2]
                               [--time-limit 120] [--out benchmarks/results]
                               [--variants sequential,pool,cluster]

The portfolio (``sample_data/generate.py``'s ``write_portfolio``): N seeded campaigns
of V videos, each a 30-day Tmall campaign with a big sale and 2,500 yuan per video.
Its first morning (2027-04-20) is planned with ``planner batch`` on the local pool
and recorded in every campaign's store; the day's spend is simulated
(``write_portfolio_actuals``). The second morning (2027-04-22, re-plan from the
actuals of 04-21) then runs on three copies of that state, one after another in
the same benchmark run, so that the shared machine's load weighs on all three:

- sequential: ``planner replan`` once per campaign, one after another (a shell
  loop, as agencies run it today: a fresh interpreter each time);
- local pool: ``planner batch --workers W`` (one process, a pool of W workers);
- LocalCluster: ``planner batch --scheduler`` on a ``dask.distributed.LocalCluster``
  of W single-threaded worker processes started beforehand (its start is timed
  apart: a cluster is started once, not every morning).

Each variant is the whole command as a subprocess, wall seconds, and seconds per
campaign. The three must give every campaign the same plan to the yuan; the result
says whether they did. ``--variants`` runs some of them (``pool`` alone: the morning on
the local pool, without the sequential loop's reference, so no speed-up or comparison).
Writes ``batch_results.csv`` and ``batch_results.md`` atomically.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import io
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import dask
from distributed import LocalCluster

from planner.io.atomic import atomic_write_text
from sample_data.generate import write_portfolio, write_portfolio_actuals

ROOT = Path(__file__).resolve().parent.parent
DAY0 = date(2027, 4, 20)
SPENT = date(2027, 4, 21)
DAY2 = date(2027, 4, 22)
VARIANTS = ("sequential", "local pool", "LocalCluster")
# --variants names them short.
VARIANT_OPTIONS = {"sequential": "sequential", "pool": "local pool", "cluster": "LocalCluster"}
FIRST = "first morning (plan, local pool)"
COLUMNS = ("variant", "campaigns", "videos", "workers", "seconds", "per_campaign_s",
           "speedup", "failed", "same_plans", "max_gmv_diff_pct", "notes")


@dataclass(frozen=True)
class Options:
    campaigns: int = 200
    videos: int = 200
    workers: int = 2
    time_limit: float = 120.0
    out: Path = ROOT / "benchmarks" / "results"
    variants: tuple[str, ...] = VARIANTS


_LOAD: list[float] = []


def log(message: str) -> None:
    with contextlib.suppress(OSError):
        _LOAD.append(os.getloadavg()[0])
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def planner(*args: str) -> tuple[int, float]:
    """Run ``python -m planner.cli ARGS``; (exit code, wall seconds)."""
    started = time.perf_counter()
    code = subprocess.run([sys.executable, "-m", "planner.cli", *args], cwd=ROOT,
                          stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL, check=False).returncode
    return code, time.perf_counter() - started


def batch_args(folder: Path, day: date, *extra: str) -> list[str]:
    return ["batch", "--manifest", str(folder / "portfolio.toml"), "--date", day.isoformat(),
            "--out", str(folder / f"out_{day}"), *extra]


def names(folder: Path) -> list[str]:
    return sorted(p.parent.name for p in folder.glob("*/campaign.toml"))


def sequential(folder: Path) -> tuple[float, int]:
    """``planner replan`` for each campaign in turn; (wall seconds, campaigns failed)."""
    failed, started = 0, time.perf_counter()
    for name in names(folder):
        code, _ = planner(
            "replan", "--campaign", str(folder / name / "campaign.toml"),
            "--videos", str(folder / name / "videos.csv"),
            "--actuals", str(folder / "actuals" / f"{name}_{SPENT}.csv"),
            "--date", DAY2.isoformat(), "--store", str(folder / "stores" / f"{name}.sqlite"),
            "--out", str(folder / f"out_{DAY2}" / name),
        )
        failed += code != 0
    return time.perf_counter() - started, failed


def plans_by_campaign(folder: Path) -> dict[str, tuple[int, str]]:
    """Each campaign's expected GMV to the yuan and its status, from its plan.json."""
    out = {}
    for name in names(folder):
        path = folder / f"out_{DAY2}" / name / "plan.json"
        if path.exists():
            plan = json.loads(path.read_text("utf-8"))
            out[name] = (round(plan["expected_gmv"]), plan["status"])
    return out


def compare(got: dict[str, tuple[int, str]],
            reference: dict[str, tuple[int, str]]) -> tuple[str, float, str]:
    """(same / all, largest GMV difference in %, a note on the differing campaigns)."""
    differ = [n for n in reference if got.get(n, (None, ""))[0] != reference[n][0]]
    largest = max((abs((got[n][0] if n in got else 0) - reference[n][0])
                   / max(reference[n][0], 1) * 100.0 for n in differ), default=0.0)
    cut = sum("feasible" in (got.get(n, (0, ""))[1], reference[n][1]) for n in differ)
    note = "" if not differ else (
        f"; {len(differ)} differ, {cut} of them not proven optimal in one of the runs")
    return f"{len(reference) - len(differ)}/{len(reference)}", largest, note


def failed_in(folder: Path) -> int:
    data = json.loads((folder / f"out_{DAY2}" / "portfolio.json").read_text("utf-8"))
    return sum(c["exit_code"] != 0 for c in data["campaigns"])


def run(options: Options) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="bench_batch_") as tmp:
        base = Path(tmp) / "morning1"
        log(f"writing {options.campaigns} campaigns of {options.videos} videos")
        write_portfolio(base, options.campaigns, options.videos, time_limit_s=options.time_limit)
        log("first morning: planning every campaign (local pool)")
        code, first_s = planner(*batch_args(base, DAY0, "--workers", str(options.workers)))
        if code != 0:
            raise RuntimeError(f"the first morning's batch exited {code}")
        log(f"first morning {first_s:.1f} s; simulating the spend of {SPENT}")
        write_portfolio_actuals(base / "portfolio.toml", base / f"out_{DAY0}", SPENT)
        folders = {v: shutil.copytree(base, Path(tmp) / v.replace(" ", "_"))
                   for v in options.variants}

        seconds: dict[str, float] = {}
        failed: dict[str, int] = {}
        cluster_start = 0.0
        if "sequential" in folders:
            log("sequential: planner replan per campaign")
            seconds["sequential"], failed["sequential"] = sequential(folders["sequential"])
            log(f"sequential {seconds['sequential']:.1f} s")

        if "local pool" in folders:
            log(f"local pool: planner batch --workers {options.workers}")
            _, seconds["local pool"] = planner(*batch_args(folders["local pool"], DAY2,
                                                           "--workers", str(options.workers)))
            failed["local pool"] = failed_in(folders["local pool"])
            log(f"local pool {seconds['local pool']:.1f} s")

        if "LocalCluster" in folders:
            log(f"LocalCluster: {options.workers} worker processes, 1 thread each")
            started = time.perf_counter()
            with dask.config.set({"distributed.scheduler.worker-saturation": 1.0}), \
                    LocalCluster(n_workers=options.workers, threads_per_worker=1,
                                 processes=True, dashboard_address=":0") as cluster:
                cluster_start = time.perf_counter() - started
                _, seconds["LocalCluster"] = planner(*batch_args(
                    folders["LocalCluster"], DAY2, "--scheduler", cluster.scheduler_address))
            failed["LocalCluster"] = failed_in(folders["LocalCluster"])
            log(f"LocalCluster {seconds['LocalCluster']:.1f} s "
                f"(cluster start {cluster_start:.1f} s)")

        reference = (plans_by_campaign(folders["sequential"]) if "sequential" in folders
                     else None)
        for variant in options.variants:
            same, largest, differ = ("-", None, "") if reference is None else compare(
                plans_by_campaign(folders[variant]), reference)
            notes = {
                "sequential": "planner replan per campaign, one after another",
                "local pool": f"planner batch --workers {options.workers}",
                "LocalCluster": f"planner batch --scheduler; cluster start {cluster_start:.1f} s "
                "(not counted)",
            }[variant]
            rows.append({
                "variant": variant, "campaigns": options.campaigns, "videos": options.videos,
                "workers": 1 if variant == "sequential" else options.workers,
                "seconds": seconds[variant],
                "per_campaign_s": seconds[variant] / options.campaigns,
                "speedup": None if reference is None
                else seconds["sequential"] / seconds[variant],
                "failed": failed[variant], "same_plans": same, "max_gmv_diff_pct": largest,
                "notes": notes + differ,
            })
        rows.append({"variant": FIRST,
                     "campaigns": options.campaigns, "videos": options.videos,
                     "workers": options.workers, "seconds": first_s,
                     "per_campaign_s": first_s / options.campaigns,
                     "notes": "setup: plans and records every campaign"})
    return rows


def to_csv(rows: Sequence[dict[str, Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow([f"{row[c]:.3f}" if isinstance(row.get(c), float) else row.get(c, "")
                         for c in COLUMNS])
    return buffer.getvalue()


def to_markdown(rows: Sequence[dict[str, Any]], options: Options) -> str:
    lines = [
        "# Portfolio benchmark: `planner batch`\n",
        f"`python -m benchmarks.batch --campaigns {options.campaigns} --videos {options.videos} "
        f"--workers {options.workers} --time-limit {options.time_limit:g}`: the re-plan "
        f"morning of {DAY2} (actuals of {SPENT}) for {options.campaigns} campaigns of "
        f"{options.videos} videos, each variant once, in one run.\n",
        "| variant | wall s | s per campaign | speed-up vs sequential | failed "
        "| plans equal to sequential (to the yuan) | largest GMV difference |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        if r["variant"] == FIRST:
            continue
        speedup, largest = r["speedup"], r["max_gmv_diff_pct"]
        lines.append(f"| {r['variant']} ({r['notes']}) | {r['seconds']:.1f} | "
                     f"{r['per_campaign_s']:.2f} | "
                     f"{'-' if speedup is None else f'{speedup:.2f}x'} | {r['failed']} | "
                     f"{r['same_plans']} | {'-' if largest is None else f'{largest:.3f}%'} |")
    first = next(r for r in rows if r["variant"] == FIRST)
    lines += ["", f"First morning (every campaign planned and recorded, local pool of "
              f"{options.workers}): {first['seconds']:.1f} s ({first['per_campaign_s']:.2f} s "
              "per campaign).", "",
              "Plans can differ between runs on a loaded machine: the planner's proof steps "
              "stop on wall-clock budgets (the proof over every purchase gets "
              "`FULL_PROOF_SECONDS`, 2 s), so under load a run may keep another plan within "
              "the search gap, or one it could not prove optimal (`feasible`). The tests, on a "
              "small portfolio, check that the variants agree to the yuan.", "",
              "Machine:", ""]
    cores = os.cpu_count() or 1
    lines += [f"- date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
              f"- cores: {cores}; python {platform.python_version()}"]
    if _LOAD:
        lines.append(f"- 1-minute load average during the run: {min(_LOAD):.1f} to "
                     f"{max(_LOAD):.1f}" + (f" (above {cores}: the cores were shared, so the "
                                           "times are inflated)" if max(_LOAD) > cores else ""))
    return "\n".join(lines) + "\n"


def parse_args(argv: Sequence[str] | None = None) -> Options:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.batch", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--campaigns", type=int, default=Options.campaigns)
    parser.add_argument("--videos", type=int, default=Options.videos)
    parser.add_argument("--workers", type=int, default=Options.workers)
    parser.add_argument("--time-limit", type=float, default=Options.time_limit)
    parser.add_argument("--out", type=Path, default=Options.out)
    parser.add_argument("--variants", default=",".join(VARIANT_OPTIONS),
                        help="which of sequential, pool, cluster to run, comma-separated "
                        "(default: all three; the speed-up and the comparison need sequential)")
    args = parser.parse_args(argv)
    if min(args.campaigns, args.videos, args.workers) < 1:
        parser.error("--campaigns, --videos and --workers must be at least 1")
    chosen = {v.strip() for v in args.variants.split(",") if v.strip()}
    if not chosen or not chosen <= set(VARIANT_OPTIONS):
        parser.error(f"--variants takes some of {', '.join(VARIANT_OPTIONS)}, "
                     f"got {args.variants!r}")
    variants = tuple(VARIANT_OPTIONS[v] for v in VARIANT_OPTIONS if v in chosen)
    return Options(args.campaigns, args.videos, args.workers, args.time_limit, args.out,
                   variants)


def main(argv: Sequence[str] | None = None) -> int:
    options = parse_args(argv)
    rows = run(options)
    options.out.mkdir(parents=True, exist_ok=True)
    atomic_write_text(options.out / "batch_results.csv", to_csv(rows))
    text = to_markdown(rows, options)
    atomic_write_text(options.out / "batch_results.md", text)
    print(text, end="")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
