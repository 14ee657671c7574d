"""Two or more checkouts of the planner timed on the same files, interleaved.

    python -m benchmarks.side_by_side --sizes 5000,20000 --rounds 3 \
        old=/path/to/old/checkout new=.

Timings on a shared 2-core machine swing 2-3x with load, so a change is judged
by the ratio of versions measured in the same rounds, not against numbers taken
on another day. Every version gets the same videos.csv and campaign.toml (written
by this checkout's generator) and, per round and size, runs one after the other:

- ``make_plan`` in a fresh interpreter on those files (wall and CPU seconds of the
  plan alone, its status, expected GMV and gap);
- the ``planner plan`` CLI end to end: wall seconds, CPU seconds (user and system of
  the command and every process it forked, from ``os.wait4``) and the wall seconds of
  its next 10,000 yuan and other risk attitudes (``PLANNER_STAGE_TIMES``).

Writes ``side_by_side.md`` (medians and ratios against the first version).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.run import fresh_bytecode, instance, write_inputs

_PLAN_ONLY = """
import json, sys, time
from pathlib import Path
from planner.io.campaign_file import read_campaign
from planner.io.roster import read_videos
from planner.planning import make_plan
campaign = read_campaign(Path(sys.argv[1]))
videos, _ = read_videos(Path(sys.argv[2]), plan_date=campaign.effective_plan_date)
wall, cpu = time.perf_counter(), time.process_time()
plan = make_plan(videos, campaign)
print(json.dumps({"wall": time.perf_counter() - wall, "cpu": time.process_time() - cpu,
                  "status": plan.status, "gmv": plan.expected_gmv, "gap": plan.gap}))
"""


def _run(checkout: Path, args: list[str]) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, *args], cwd=checkout, capture_output=True,
                          text=True, check=True, env={"PYTHONPATH": str(checkout),
                                                      "PATH": "/usr/bin:/bin"})
    return time.perf_counter() - started, done.stdout


def _run_cli(checkout: Path, args: list[str], stages: Path) -> tuple[float, float, float]:
    """Wall and CPU seconds of the command (its forked children included), and the wall
    seconds of its probe and attitudes stages."""
    env = {"PYTHONPATH": str(checkout), "PATH": "/usr/bin:/bin",
           "PLANNER_STAGE_TIMES": str(stages)}
    started = time.perf_counter()
    child = subprocess.Popen([sys.executable, *args], cwd=checkout, env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise SystemExit(f"{checkout}: planner plan exited {child.returncode}")
    split = json.loads(stages.read_text(encoding="utf-8"))
    return wall, usage.ru_utime + usage.ru_stime, split.get("probe", 0.0) + split.get(
        "attitudes", 0.0)


def _commit(checkout: Path) -> str:
    done = subprocess.run(["git", "-C", str(checkout), "rev-parse", "--short", "HEAD"],
                          capture_output=True, text=True, check=False)
    return done.stdout.strip() or "?"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("versions", nargs="+", help="name=checkout folder")
    parser.add_argument("--sizes", default="5000,20000")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results"))
    options = parser.parse_args()
    versions = [(v.split("=", 1)[0], Path(v.split("=", 1)[1]).resolve())
                for v in options.versions]
    sizes = [int(s) for s in options.sizes.split(",")]
    for _, checkout in versions:
        fresh_bytecode(checkout)
    rows: list[str] = []
    with tempfile.TemporaryDirectory() as folder:
        for n in sizes:
            videos, _, raw = instance(n, 1, 120.0)
            videos_path, campaign_path = write_inputs(Path(folder), videos, raw)
            seen: dict[str, dict[str, list[float]]] = {
                name: {"plan_wall": [], "plan_cpu": [], "cli": [], "cli_cpu": [], "margin": []}
                for name, _ in versions}
            last: dict[str, dict[str, object]] = {}
            for _ in range(options.rounds):
                for name, checkout in versions:
                    _, out = _run(checkout, ["-c", _PLAN_ONLY, str(campaign_path),
                                             str(videos_path)])
                    result = json.loads(out.strip().splitlines()[-1])
                    seen[name]["plan_wall"].append(result["wall"])
                    seen[name]["plan_cpu"].append(result["cpu"])
                    last[name] = result
                    wall, cpu, margin = _run_cli(
                        checkout, ["-m", "planner.cli", "plan", "--campaign",
                                   str(campaign_path), "--videos", str(videos_path),
                                   "--out", str(Path(folder) / f"out_{name}")],
                        Path(folder) / f"stages_{name}.json")
                    seen[name]["cli"].append(wall)
                    seen[name]["cli_cpu"].append(cpu)
                    seen[name]["margin"].append(margin)
                    print(f"{n} {name}: plan {result['wall']:.2f} s (cpu "
                          f"{result['cpu']:.2f}), CLI {wall:.2f} s (cpu {cpu:.2f}, probe and "
                          f"attitudes {margin:.2f} s)", flush=True)
            base = versions[0][0]
            for name, _ in versions:
                med = {k: statistics.median(v) for k, v in seen[name].items()}
                ref = {k: statistics.median(v) for k, v in seen[base].items()}
                rows.append(
                    f"| {n:,} | {name} | {med['plan_wall']:.2f} | {med['plan_cpu']:.2f} "
                    f"({med['plan_cpu'] / ref['plan_cpu']:.2f}x) | {med['cli']:.2f} "
                    f"({med['cli'] / ref['cli']:.2f}x) | {med['cli_cpu']:.2f} "
                    f"({med['cli_cpu'] / ref['cli_cpu']:.2f}x) | {med['margin']:.2f} "
                    f"({med['margin'] / ref['margin']:.2f}x) | {last[name]['status']} | "
                    f"{float(str(last[name]['gmv'])):,.0f} | "
                    f"{float(str(last[name]['gap'])):.3%} |")
    table = "\n".join([
        f"Side by side, {options.rounds} interleaved rounds, medians "
        f"({', '.join(f'{n} = {_commit(p)}' for n, p in versions)}; "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, 1-minute load "
        f"{os.getloadavg()[0]:.1f} at the end):",
        "",
        "| videos | version | make_plan wall s | make_plan CPU s (vs first) | CLI s (vs first) "
        "| CLI CPU s (vs first) | probe and attitudes s (vs first) | status | expected GMV "
        "| gap |",
        "|---|---|---|---|---|---|---|---|---|---|",
        *rows, ""])
    options.out.mkdir(parents=True, exist_ok=True)
    (options.out / "side_by_side.md").write_text(table, encoding="utf-8")
    print(table)


if __name__ == "__main__":
    main()
