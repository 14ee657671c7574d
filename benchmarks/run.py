"""Plan speed and quality at brand and agency scale, against two baselines.

    python -m benchmarks.run [--sizes 50,200,1000,5000,20000] [--repeats 3]
                             [--time-limit 120] [--out benchmarks/results]
                             [--naive-max 5000] [--naive-repeats 1]
                             [--replan-max 1000] [--no-profile]

For each roster size: a seeded synthetic roster (``generate_roster``) and a
30-day Tmall campaign with one big sale and 2,500 yuan of budget per video.
Measured on the same instance, medians over the repeats:

- the planner in-process (``make_plan``) and its stages (``plan.timings``: rules,
  response model, build = optimiser time outside the solver, solve = inside
  it, layout; if make_plan reports none, the benchmark times rules, response
  and the whole ``planner.optimiser.solve`` itself);
- the real ``planner plan`` CLI as a subprocess on CSV/TOML files: wall time
  and peak memory (max RSS of that child, from ``os.wait4``), and that wall time
  split into the command's own stages (``PLANNER_STAGE_TIMES``: start-up,
  reading, planning, the next 10,000 yuan, the other risk attitudes, writing
  plan.json, plan.xlsx and links.csv; the rest is checking, putting the files in
  place, printing and leaving);
- the naive flat MILP (``benchmarks.naive``: every purchase with its segments and a
  minimum-order binary as PuLP variables, solved through PuLP's HiGHS and CBC
  interfaces with the same time limit; the faster one is reported, and its gap
  is measured against the planner's proven bound);
- the buyers' rule of thumb (``planner.baselines``): the planner's uplift over it;
- the re-plan path: ``run_replan`` for day 10 from a store holding days 1-9
  (simulated with ``planner.simulate``; only the day-10 call is timed).

Writes ``results.csv`` and ``results.md`` (table + machine info) atomically and,
for the largest size, ``profile_<n>.txt`` (cProfile, top functions).
"""

from __future__ import annotations

import argparse
import compileall
import contextlib
import cProfile
import csv
import io
import json
import os
import platform
import pstats
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from importlib import metadata
from pathlib import Path
from typing import Any, TypeVar

import pandas as pd

from benchmarks.naive import BACKENDS, NaiveRun, naive_milp
from planner.baselines import allocate_rule_of_thumb
from planner.config import Campaign, campaign_from_dict
from planner.io.atomic import atomic_write_text
from planner.io.campaign_file import toml_text
from planner.jobs.cores import one_blas_thread
from planner.jobs.plan import STAGE_TIMES_ENV
from planner.jobs.replan import run_replan
from planner.models import Plan, Video
from planner.optimiser import solve
from planner.planning import assess_roster, make_plan
from planner.response import build_response_model
from planner.simulate import make_world, simulate_day
from planner.synthetic import generate_campaign_dict, generate_roster

PLAN_DATE = date(2027, 4, 20)
SEED = 2027
BUDGET_PER_VIDEO = 2_500.0  # yuan: a brand with 50 videos spends 125k, an agency with 5,000 12.5M
N_DAYS = 30
REPLAN_DAY = 10  # re-plan this campaign day from a store holding the days before it
ROOT = Path(__file__).resolve().parent.parent
ACTUAL_COLUMNS = ["date", "video_id", "tool", "spend", "gmv", "plays"]
TIMING_KEYS = ("rules", "response", "build", "solve", "layout")
SKIPPED = "skipped (too large)"
T = TypeVar("T")

COLUMNS: tuple[str, ...] = (
    "videos",           # roster size
    "purchases",        # buying decisions the rules allow (columns before segments)
    "repeats",
    "plan_s",           # make_plan in-process, wall seconds
    "rules_s",          # plan.timings["rules"]: scoring and rules
    "response_s",       # plan.timings["response"]: response model (purchases, segments)
    "build_s",          # plan.timings["build"]: optimiser time outside the solver (PuLP models)
    "solve_s",          # plan.timings["solve"]: time inside the solver
    "layout_s",         # plan.timings["layout"]: orders and daily schedule
    "timings_from",     # plan.timings, or "benchmark stages" when make_plan reports none
    "cli_s",            # `planner plan` subprocess, wall seconds (start-up, read, plan, write)
    "cli_peak_mb",      # max RSS of that subprocess, MB
    # cli_s split by the command's own stopwatch (planner.jobs.plan.STAGES):
    "cli_startup_s",    # interpreter and imports, from the process's start
    "cli_read_s",       # reading and validating the campaign and the videos
    "cli_plan_s",       # the plan (make_plan, in the watched child)
    "cli_probe_s",      # what the next 10,000 yuan would buy (a warm re-solve)
    "cli_attitudes_s",  # the other two risk attitudes (warm re-solves)
    "cli_write_json_s",   # building and writing plan.json
    "cli_write_xlsx_s",   # building and writing plan.xlsx
    "cli_write_links_s",  # building and writing links.csv (and its sheets' frame)
    "cli_other_s",      # the rest of cli_s: checks, files put in place, printing, exit
    "status",           # optimal | feasible | no_spend
    "expected_gmv",     # planner's expected GMV, yuan
    "bound_gmv",        # proven upper bound, yuan
    "gap",              # (bound - expected) / bound
    "naive_s",          # flat MILP, wall seconds (blank: skipped, see notes)
    "naive_solver",     # the faster of PuLP's HiGHS and CBC on it
    "naive_status",
    "naive_gmv",        # flat MILP expected GMV, yuan
    "naive_gap",        # (planner's bound - naive GMV) / planner's bound
    "time_ratio",       # naive_s / plan_s: how many times slower the naive MILP is
    "objective_ratio",  # expected_gmv / naive_gmv
    "thumb_s",          # rule of thumb, seconds (incl. rules and response model)
    "thumb_gmv",        # rule-of-thumb expected GMV, yuan
    "uplift_pct",       # (expected_gmv - thumb_gmv) / thumb_gmv x 100
    "replan_s",         # run_replan for day 10 (store with days 1-9), wall seconds
    "notes",
)


@dataclass(frozen=True)
class Options:
    sizes: tuple[int, ...] = (50, 200, 1000)
    repeats: int = 3
    time_limit: float = 120.0
    out: Path = ROOT / "benchmarks" / "results"
    naive_max: int = 5000
    naive_repeats: int = 1
    replan_max: int = 1000
    profile: bool = True
    seed: int = SEED


@dataclass
class _Samples:
    """Per-repeat measurements of one size; medians go into the row."""

    values: dict[str, list[float]] = field(default_factory=dict)

    def add(self, key: str, value: float | None) -> None:
        if value is not None:
            self.values.setdefault(key, []).append(value)

    def median(self, key: str) -> float | None:
        got = self.values.get(key)
        return statistics.median(got) if got else None


_LOAD: list[float] = []  # 1-minute load average, sampled at every log line


def log(message: str) -> None:
    with contextlib.suppress(OSError):
        _LOAD.append(os.getloadavg()[0])
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------- instances


def campaign_dict(n: int, time_limit: float) -> dict[str, Any]:
    raw = generate_campaign_dict("tmall", plan_date=PLAN_DATE, n_days=N_DAYS,
                                 budget=BUDGET_PER_VIDEO * n, with_sale=True)
    raw["solver"] = {"time_limit_s": float(time_limit)}
    return raw


def instance(n: int, seed: int, time_limit: float) -> tuple[list[Video], Campaign, dict[str, Any]]:
    videos = generate_roster(n, seed=seed, plan_date=PLAN_DATE)
    raw = campaign_dict(n, time_limit)
    return videos, campaign_from_dict(raw, source="benchmark"), raw


def write_inputs(folder: Path, videos: Sequence[Video], raw: dict[str, Any]) -> tuple[Path, Path]:
    """The files a buyer would hand the CLI: videos.csv and campaign.toml."""
    videos_path, campaign_path = folder / "videos.csv", folder / "campaign.toml"
    pd.DataFrame([v.model_dump() for v in videos]).to_csv(videos_path, index=False)
    campaign_path.write_text(toml_text(raw), encoding="utf-8")
    return videos_path, campaign_path


# ---------------------------------------------------------------- measuring


def timed(action: Callable[[], T]) -> tuple[T, float]:
    started = time.perf_counter()
    value = action()
    return value, time.perf_counter() - started


# Runs the command and writes "<wall seconds> <max RSS KiB>" to argv[1]. The benchmark
# process is large; a child forked from it records that size as its own peak when it execs
# (Linux keeps the old memory map's high-water mark), so the CLI is started from this small
# interpreter instead and only its own peak is reported.
_MEASURE = """
import os, subprocess, sys, time
started = time.perf_counter()
proc = subprocess.Popen(sys.argv[2:], stdin=subprocess.DEVNULL)
_, status, usage = os.wait4(proc.pid, 0)
seconds = time.perf_counter() - started
with open(sys.argv[1], "w") as out:
    out.write(f"{seconds} {usage.ru_maxrss}")
sys.exit(os.waitstatus_to_exitcode(status))
"""


def run_child(cmd: Sequence[str], folder: Path, timeout: float,
              env: dict[str, str] | None = None) -> tuple[float, float]:
    """Run ``cmd`` (with ``env`` added to the environment); return (wall seconds, peak
    RSS in MB) of that one process.

    ``os.wait4`` gives the rusage of exactly that child (and its waited-for
    descendants); a small launcher runs it, so the benchmark's own memory does
    not count (see ``_MEASURE``).
    """
    stdout, stderr, figures = folder / "child.out", folder / "child.err", folder / "child.rss"
    with stdout.open("wb") as out, stderr.open("wb") as err:
        proc = subprocess.Popen([sys.executable, "-c", _MEASURE, str(figures), *cmd],
                                stdout=out, stderr=err, stdin=subprocess.DEVNULL, cwd=ROOT,
                                start_new_session=True, env={**os.environ, **(env or {})})
        # Solver time limits are not reliable: kill the launcher and the command with it.
        watchdog = threading.Timer(timeout, lambda: os.killpg(proc.pid, signal.SIGKILL))
        watchdog.start()
        try:
            returncode = proc.wait()
        finally:
            watchdog.cancel()
    if returncode != 0:
        tail = stderr.read_text(encoding="utf-8", errors="replace")[-2000:]
        raise RuntimeError(f"{' '.join(cmd[:4])} ... exited {returncode}: {tail}")
    seconds, peak_kib = figures.read_text(encoding="utf-8").split()
    return float(seconds), float(peak_kib) / 1024.0  # Linux reports KiB


def cli_command(campaign_path: Path, videos_path: Path, out: Path,
                profile_to: Path | None = None) -> list[str]:
    prefix = [sys.executable]
    if profile_to is not None:
        prefix += ["-m", "cProfile", "-o", str(profile_to)]
    return [*prefix, "-m", "planner.cli", "plan", "--campaign", str(campaign_path),
            "--videos", str(videos_path), "--out", str(out)]


# cli_s's parts from the command's stages (the file PLANNER_STAGE_TIMES names); what
# they leave of cli_s is cli_other_s.
CLI_STAGES = ("startup", "read", "plan", "probe", "attitudes", "write_json", "write_xlsx",
              "write_links")
CLI_SPLIT = (*(f"cli_{stage}_s" for stage in CLI_STAGES), "cli_other_s")


def run_cli(campaign_path: Path, videos_path: Path, out: Path, folder: Path,
            timeout: float) -> tuple[float, float, dict[str, float]]:
    """``planner plan`` as a subprocess: (wall seconds, peak MB, its stages' seconds)."""
    stages_file = folder / "stages.json"
    stages_file.unlink(missing_ok=True)
    seconds, peak = run_child(cli_command(campaign_path, videos_path, out), folder, timeout,
                              env={STAGE_TIMES_ENV: str(stages_file)})
    stages: dict[str, float] = json.loads(stages_file.read_text(encoding="utf-8"))
    split = {f"cli_{stage}_s": float(stages.get(stage, 0.0)) for stage in CLI_STAGES}
    split["cli_other_s"] = max(seconds - sum(split.values()), 0.0)
    return seconds, peak, split


def cli_timeout(time_limit: float) -> float:
    # The CLI solves twice (the plan and the marginal-value probe) plus reading and writing.
    return 4 * time_limit + 300


def fresh_bytecode(checkout: Path = ROOT) -> None:
    """Compile the checkout's planner package to current bytecode before it is timed.

    With ``PYTHONDONTWRITEBYTECODE`` set, as on the development machine, a module edited
    since its ``.pyc`` was written is compiled again by every command that imports it: in
    a checkout whose optimiser had just changed, about 0.04 s of CPU in each ``planner
    plan``'s start-up that an installed copy never pays.
    """
    compileall.compile_dir(checkout / "planner", quiet=1)


# What `planner plan` imports before its first result (its commands import lazily).
PLAN_IMPORTS = ("planner.cli", "planner.io.campaign_file", "planner.io.roster",
                "planner.planning", "planner.sweep", "planner.io.plan_files", "planner.links",
                "highspy")


def startup_seconds() -> float:
    """Seconds a fresh interpreter needs for what `planner plan` imports: the floor under
    every cli_s."""
    with tempfile.TemporaryDirectory() as tmp:
        seconds, _ = run_child([sys.executable, "-c", "import " + ", ".join(PLAN_IMPORTS)],
                               Path(tmp), 120)
    return seconds


@dataclass(frozen=True)
class Stages:
    """make_plan's pipeline run stage by stage, plus the rule of thumb on its response model."""

    seconds: dict[str, float]
    purchases: int
    thumb_gmv: float
    thumb_s: float  # rules + response model + the rule-of-thumb allocation


def staged(videos: Sequence[Video], campaign: Campaign, *, solve_too: bool) -> Stages:
    """rules = scoring and rules; response = response model (purchases and segments);
    solve = all of ``planner.optimiser.solve`` (PuLP models, solver calls, sifting)."""
    assessments, rules_s = timed(lambda: assess_roster(videos, campaign))
    response, response_s = timed(lambda: build_response_model(assessments, campaign))
    thumb, allocate_s = timed(lambda: allocate_rule_of_thumb(assessments, response, campaign))
    seconds = {"rules": rules_s, "response": response_s}
    if solve_too:
        _, seconds["solve"] = timed(lambda: solve(response, campaign))
    return Stages(seconds, len(response.purchases), thumb.expected_gmv,
                  rules_s + response_s + allocate_s)


def _has_timings(plan: Plan) -> bool:
    return any(key in plan.timings for key in TIMING_KEYS)


def _rounded(seconds: dict[str, float]) -> str:
    return ", ".join(f"{k} {v:.2f} s" for k, v in seconds.items())


def _timing(plan: Plan, key: str) -> float | None:
    value = plan.timings.get(key)
    return float(value) if value is not None else None


def replan_seconds(videos: Sequence[Video], campaign: Campaign, folder: Path,
                   campaign_path: Path, videos_path: Path, repeats: int,
                   seed: int) -> list[float]:
    """Simulate days 1..9 through the store, then time day 10's ``run_replan``."""
    world = make_world(videos, seed=seed)
    assessments = assess_roster(videos, campaign)
    store = folder / "history.sqlite"
    yesterday = pd.DataFrame(columns=ACTUAL_COLUMNS)
    for i in range(REPLAN_DAY - 1):
        day = campaign.start + timedelta(days=i)
        actuals = folder / f"actuals_{day}.csv"
        yesterday.reindex(columns=ACTUAL_COLUMNS).to_csv(actuals, index=False)
        outcome = run_replan(campaign_path, videos_path, actuals, day, store, None)
        yesterday = simulate_day(outcome.plan.daily, day, videos, campaign, world, assessments)
    day = campaign.start + timedelta(days=REPLAN_DAY - 1)
    actuals = folder / f"actuals_{day}.csv"
    yesterday.reindex(columns=ACTUAL_COLUMNS).to_csv(actuals, index=False)
    times = []
    for r in range(repeats):
        # The cron path: ingest, learn, re-solve, write plan.xlsx/plan.json, record.
        started = time.perf_counter()
        run_replan(campaign_path, videos_path, actuals, day, store, folder / f"replan_out_{r}")
        times.append(time.perf_counter() - started)
    return times


# ---------------------------------------------------------------- one size


def naive_runs(videos: Sequence[Video], campaign: Campaign, n: int, repeats: int,
               samples: _Samples, notes: list[str]) -> NaiveRun | None:
    """The flat MILP through each PuLP backend; the faster one that planned counts."""
    runs: dict[str, list[NaiveRun]] = {}
    for backend in BACKENDS:
        for r in range(repeats):
            result = naive_milp(videos, campaign, backend)
            runs.setdefault(backend, []).append(result)
            log(f"n={n} repeat {r + 1}: naive flat MILP via PuLP {backend} "
                f"{result.seconds:.2f} s, "
                + ("no plan: " + result.note if result.plan is None else
                   ("optimal" if result.proven else "feasible (time limit)")))
    planned = {b: rs for b, rs in runs.items() if all(r.plan is not None for r in rs)}
    median = {b: statistics.median(r.seconds for r in rs) for b, rs in runs.items()}
    notes.append("naive MILP via PuLP " + ", ".join(
        f"{b} {median[b]:.2f} s" + ("" if b in planned else " (no plan)") for b in runs))
    if not planned:
        return None
    fastest = min(planned, key=lambda b: median[b])
    for result in planned[fastest]:
        samples.add("naive_s", result.seconds)
    return planned[fastest][-1]


def bench_size(n: int, options: Options) -> dict[str, Any]:
    videos, campaign, raw = instance(n, options.seed, options.time_limit)
    samples = _Samples()
    notes: list[str] = []
    row: dict[str, Any] = {"videos": n, "repeats": options.repeats}
    with tempfile.TemporaryDirectory(prefix=f"bench_{n}_") as tmp:
        folder = Path(tmp)
        videos_path, campaign_path = write_inputs(folder, videos, raw)

        plan: Plan | None = None
        for r in range(options.repeats):
            current, seconds = timed(lambda: make_plan(videos, campaign))
            plan = current
            samples.add("plan_s", seconds)
            log(f"n={n} repeat {r + 1}: make_plan {seconds:.2f} s, {current.status}, "
                f"gap {current.gap:.4%}, timings {current.timings or '-'}")
            # The same pipeline in stages: rule of thumb on the same response model and,
            # where make_plan reports no plan.timings, the stage times.
            stages = staged(videos, campaign, solve_too=not _has_timings(current))
            for key in TIMING_KEYS:
                samples.add(f"{key}_s", _timing(current, key) if _has_timings(current)
                            else stages.seconds.get(key))
            samples.add("thumb_s", stages.thumb_s)
            cli_s, peak, split = run_cli(campaign_path, videos_path, folder / f"out_{r}",
                                         folder, cli_timeout(options.time_limit))
            samples.add("cli_s", cli_s)
            samples.add("cli_peak_mb", peak)
            for key, value in split.items():
                samples.add(key, value)
            log(f"n={n} repeat {r + 1}: planner plan CLI {cli_s:.2f} s, peak {peak:.0f} MB "
                f"({_rounded(split)}); make_plan stages {_rounded(stages.seconds)}")
        assert plan is not None
        purchases, thumb_gmv = stages.purchases, stages.thumb_gmv
        row["timings_from"] = "plan.timings" if _has_timings(plan) else "benchmark stages"
        row.update(purchases=purchases, status=plan.status, expected_gmv=plan.expected_gmv,
                   bound_gmv=plan.bound_gmv, gap=plan.gap, thumb_gmv=thumb_gmv)
        if thumb_gmv > 0:
            row["uplift_pct"] = (plan.expected_gmv - thumb_gmv) / thumb_gmv * 100.0

        if n <= options.naive_max:
            naive = naive_runs(videos, campaign, n, options.naive_repeats, samples, notes)
            if naive is not None and naive.plan is not None:
                row.update(naive_solver=naive.backend,
                           naive_status="optimal" if naive.proven else "feasible",
                           naive_gmv=naive.plan.expected_gmv,
                           naive_gap=(plan.bound_gmv - naive.plan.expected_gmv) / plan.bound_gmv
                           if plan.bound_gmv else None)
                if naive.plan.expected_gmv > 0:
                    row["objective_ratio"] = plan.expected_gmv / naive.plan.expected_gmv
        else:
            notes.append(f"naive MILP {SKIPPED}: n > --naive-max {options.naive_max}")

        if n <= options.replan_max:
            log(f"n={n}: building the re-plan history (days 1-{REPLAN_DAY - 1})")
            for seconds in replan_seconds(videos, campaign, folder, campaign_path, videos_path,
                                          options.repeats, options.seed):
                samples.add("replan_s", seconds)
            log(f"n={n}: re-plan day {REPLAN_DAY} {samples.median('replan_s'):.2f} s")
        else:
            notes.append(f"re-plan {SKIPPED}: n > --replan-max {options.replan_max}")

    for key in ("plan_s", *(f"{k}_s" for k in TIMING_KEYS), "cli_s", "cli_peak_mb",
                *CLI_SPLIT, "naive_s", "thumb_s", "replan_s"):
        row[key] = samples.median(key)
    if row["naive_s"] is not None and row["plan_s"]:
        row["time_ratio"] = row["naive_s"] / row["plan_s"]
    if plan is not None and plan.status != "optimal":
        notes.append(f"planner stopped at gap {plan.gap:.4%} (time limit {options.time_limit:g} s "
                     "or relative gap not proven)")
    row["notes"] = "; ".join(notes)
    return row


def profile_size(n: int, options: Options) -> Path:
    """cProfile of make_plan and of the whole CLI process at size ``n``; top functions."""
    videos, campaign, raw = instance(n, options.seed, options.time_limit)
    profiler = cProfile.Profile()
    profiler.enable()
    make_plan(videos, campaign)
    profiler.disable()
    text = io.StringIO()
    text.write(f"# cProfile, {n} videos, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC\n\n")
    text.write("## make_plan, top 40 by cumulative time\n")
    pstats.Stats(profiler, stream=text).sort_stats("cumulative").print_stats(40)
    text.write("\n## make_plan, top 25 by own time\n")
    pstats.Stats(profiler, stream=text).sort_stats("tottime").print_stats(25)
    with tempfile.TemporaryDirectory(prefix=f"profile_{n}_") as tmp:
        folder = Path(tmp)
        videos_path, campaign_path = write_inputs(folder, videos, raw)
        prof = folder / "cli.prof"
        run_child(cli_command(campaign_path, videos_path, folder / "out", profile_to=prof),
                  folder, cli_timeout(options.time_limit))
        cli_text = io.StringIO()
        pstats.Stats(str(prof), stream=cli_text).sort_stats("cumulative").print_stats(40)
        text.write("\n## planner plan (whole CLI process), top 40 by cumulative time\n")
        text.write(cli_text.getvalue().replace(str(prof), prof.name))
    path = options.out / f"profile_{n}.txt"
    atomic_write_text(path, _strip_paths(text.getvalue()))
    return path


def _strip_paths(text: str) -> str:
    """Shorter, machine-independent file names in the profile."""
    for prefix in sorted({str(ROOT) + os.sep, *(p + os.sep for p in sys.path if p)}, key=len,
                         reverse=True):
        text = text.replace(prefix, "")
    return text


# ---------------------------------------------------------------- output


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def _cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def machine_info(startup: float | None) -> list[str]:
    lines = [
        f"date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        f"cores: {os.cpu_count()} ({_cpu_model()})",
        f"python: {platform.python_version()} ({platform.platform()})",
        f"highspy: {_version('highspy')}, pulp: {_version('pulp')}, "
        f"pandas: {_version('pandas')}",
    ]
    if startup is not None:
        lines.append("CLI start-up (fresh interpreter importing what `planner plan` uses): "
                     f"{startup:.2f} s")
    if _LOAD:
        cores = os.cpu_count() or 1
        shared = (f"; above {cores} means other work shared the cores and times are inflated"
                  if max(_LOAD) > cores else "")
        lines.append(f"1-minute load average during the run: {min(_LOAD):.1f} to "
                     f"{max(_LOAD):.1f}{shared}")
    return lines


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.6g}" if abs(value) < 1e6 else f"{value:.2f}"
    return str(value)


def to_csv(rows: Sequence[dict[str, Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow([_csv_cell(row.get(c)) for c in COLUMNS])
    return buffer.getvalue()


def _s(value: Any) -> str:
    return "-" if value is None else f"{value:.2f}"


def _yuan(value: Any) -> str:
    return "-" if value is None else f"{value:,.0f}"


def markdown_table(rows: Sequence[dict[str, Any]]) -> str:
    head = ("| videos | purchases | plan s | rules s | response s | build s | solve s | layout s "
            "| CLI s | CLI peak MB "
            "| status | expected GMV | gap | naive MILP s | naive x slower | GMV vs naive "
            "| rule-of-thumb GMV | uplift | re-plan day 10 s |")
    lines = [head, "|" + "---|" * head.count(" | ") + "---|"]
    for r in rows:
        if r.get("naive_s") is None:
            naive = ("skipped (too large)" if "naive MILP skipped" in r.get("notes", "")
                     else "no plan", "-", "-")
        else:
            ratio = r.get("objective_ratio")
            naive = (f"{_s(r['naive_s'])} ({r.get('naive_solver')}, "
                     f"{r.get('naive_status')})", "-" if r.get("time_ratio") is None
                     else f"{r['time_ratio']:.1f}x",
                     "-" if ratio is None else f"{ratio:.4f}")
        uplift = r.get("uplift_pct")
        replan = SKIPPED if r.get("replan_s") is None else _s(r["replan_s"])
        cells = [
            f"{r['videos']:,}", f"{r.get('purchases') or 0:,}", _s(r.get("plan_s")),
            _s(r.get("rules_s")), _s(r.get("response_s")), _s(r.get("build_s")),
            _s(r.get("solve_s")), _s(r.get("layout_s")),
            _s(r.get("cli_s")), "-" if r.get("cli_peak_mb") is None
            else f"{r['cli_peak_mb']:,.0f}",
            str(r.get("status", "-")), _yuan(r.get("expected_gmv")),
            "-" if r.get("gap") is None else f"{r['gap']:.3%}",
            *naive, _yuan(r.get("thumb_gmv")),
            "-" if uplift is None else f"+{uplift:.1f}%" if uplift >= 0 else f"{uplift:.1f}%",
            replan,
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def cli_split_table(rows: Sequence[dict[str, Any]]) -> str:
    """Where `planner plan`'s wall time goes, per size (the command's own stages)."""
    head = ("| videos | start-up s | reading s | plan s | next 10,000 yuan s "
            "| other risk attitudes s | plan.json s | plan.xlsx s | links.csv s | rest s "
            "| CLI s | CLI peak MB |")
    lines = [head, "|" + "---|" * head.count(" | ") + "---|"]
    for r in rows:
        peak = r.get("cli_peak_mb")
        cells = [f"{r['videos']:,}", *(_s(r.get(key)) for key in CLI_SPLIT),
                 _s(r.get("cli_s")), "-" if peak is None else f"{peak:,.0f}"]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def to_markdown(rows: Sequence[dict[str, Any]], options: Options,
                startup: float | None) -> str:
    notes = [f"- {r['videos']:,} videos: {r['notes']}" for r in rows if r.get("notes")]
    if any(r.get("timings_from") == "benchmark stages" for r in rows):
        notes.append("- stage times: make_plan reported no `plan.timings`, so the benchmark "
                     "timed rules, response and the whole optimiser call (in solve s) itself.")
    parts = [
        "# Benchmark results\n",
        f"`python -m benchmarks.run --sizes {','.join(str(n) for n in options.sizes)} "
        f"--repeats {options.repeats} --time-limit {options.time_limit:g}` "
        f"(medians over {options.repeats} repeat(s); 30-day Tmall campaign with one big sale, "
        f"{BUDGET_PER_VIDEO:,.0f} yuan of budget per video).\n",
        markdown_table(rows),
        "Where `planner plan`'s wall time goes (the command's own stages, "
        "`PLANNER_STAGE_TIMES`; start-up is the interpreter and the imports from the "
        "process's start; rest is checking the plan, putting the files in place, printing "
        "and leaving; medians of each column, so a row need not add up exactly):\n",
        cli_split_table(rows),
        *(["Notes:\n", "\n".join(notes) + "\n"] if notes else []),
        "Machine:\n",
        "\n".join(f"- {line}" for line in machine_info(startup)) + "\n",
    ]
    return "\n".join(parts)


# ---------------------------------------------------------------- entry


def run(options: Options) -> list[dict[str, Any]]:
    """Run every size, write results.csv / results.md (and a profile), return the rows."""
    options.out.mkdir(parents=True, exist_ok=True)
    fresh_bytecode()
    startup = startup_seconds()
    rows = []
    for n in options.sizes:
        log(f"n={n}: start")
        rows.append(bench_size(n, options))
        # Written after each size, so a long run that is stopped keeps what it measured.
        atomic_write_text(options.out / "results.csv", to_csv(rows))
        atomic_write_text(options.out / "results.md", to_markdown(rows, options, startup))
    if options.profile and options.sizes:
        largest = max(options.sizes)
        log(f"n={largest}: profiling")
        log(f"wrote {profile_size(largest, options)}")
    return rows


def parse_args(argv: Sequence[str] | None = None) -> Options:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="50,200,1000,5000,20000",
                        help="roster sizes, comma-separated (default: %(default)s)")
    parser.add_argument("--repeats", type=int, default=3, help="default: %(default)s")
    parser.add_argument("--time-limit", type=float, default=120.0,
                        help="solver time limit per plan, seconds (default: %(default)s)")
    parser.add_argument("--out", type=Path, default=Options.out,
                        help="folder for results.csv, results.md, profile_<n>.txt")
    parser.add_argument("--naive-max", type=int, default=Options.naive_max,
                        help="largest roster the naive flat MILP runs on (default: %(default)s)")
    parser.add_argument("--naive-repeats", type=int, default=Options.naive_repeats,
                        help="runs of the naive MILP per backend; it is the slow part of the "
                        "benchmark (default: %(default)s)")
    parser.add_argument("--replan-max", type=int, default=1000,
                        help="largest roster the re-plan path runs on (default: %(default)s)")
    parser.add_argument("--no-profile", dest="profile", action="store_false",
                        help="skip the cProfile run at the largest size")
    parser.add_argument("--seed", type=int, default=SEED, help="default: %(default)s")
    args = parser.parse_args(argv)
    try:
        sizes = tuple(int(s) for s in args.sizes.split(",") if s.strip())
    except ValueError:
        parser.error(f"--sizes must be whole numbers separated by commas, got {args.sizes!r}")
    if not sizes or min(sizes) < 1:
        parser.error("--sizes needs at least one size, each at least 1")
    if args.repeats < 1 or args.naive_repeats < 1:
        parser.error("--repeats and --naive-repeats must be at least 1")
    return Options(sizes=sizes, repeats=args.repeats, time_limit=args.time_limit,
                   out=args.out, naive_max=args.naive_max, naive_repeats=args.naive_repeats,
                   replan_max=args.replan_max,
                   profile=args.profile, seed=args.seed)


def main(argv: Sequence[str] | None = None) -> int:
    options = parse_args(argv)
    one_blas_thread()  # make_plan here as in the ``planner`` command
    rows = run(options)
    print(markdown_table(rows), end="")
    print(f"\nwrote {options.out / 'results.csv'} and {options.out / 'results.md'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
