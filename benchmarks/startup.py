"""What each ``planner`` command imports, and what that costs, in one or more checkouts.

    python -m benchmarks.startup [--rounds 5] [--out benchmarks/results] old=/path/to/old now=.

Every command runs in a fresh interpreter under ``python -X importtime``; the
checkouts take turns, round after round, so that a loaded machine slows each alike.
Per checkout and command: the import time Python reports (the sum of the top-level
imports' cumulative microseconds, the forked planning child's included: its imports
are part of the run), the largest packages in it, and the CPU seconds of the whole
process (``resource.getrusage``; wall time on a shared machine is mostly waiting).
Medians over the rounds; the 1-minute load is written beside them. Writes
``startup.md``.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from benchmarks.run import ROOT, fresh_bytecode

SAMPLE = ROOT / "sample_data"
# Packages whose import time is reported on their own.
WATCHED = ("pandas", "numpy", "pyarrow", "pydantic", "typer", "sqlalchemy", "xlsxwriter",
           "highspy", "dask", "distributed", "planner.optimiser")
_LINE = re.compile(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)")


def commands(out: Path) -> dict[str, list[str]]:
    campaign, videos = str(SAMPLE / "campaign_tmall.toml"), str(SAMPLE / "videos.csv")
    return {
        "--help": ["--help"],
        "inspect": ["inspect", videos, "--campaign", campaign],
        "plan": ["plan", "--campaign", campaign, "--videos", videos, "--out", str(out)],
        "plan --store": ["plan", "--campaign", campaign, "--videos", videos,
                         "--out", str(out / "stored"), "--store", str(out / "history.db")],
    }


def parse_importtime(text: str) -> tuple[float, dict[str, float]]:
    """Total import seconds (top-level entries) and each watched package's first import."""
    total = 0.0
    packages: dict[str, float] = {}
    for line in text.splitlines():
        found = _LINE.match(line)
        if found is None:
            continue
        _, cumulative, indent, name = found.groups()
        seconds = int(cumulative) / 1e6
        if len(indent) <= 1:  # a top-level import (nested ones are indented further)
            total += seconds
        if name in WATCHED and name not in packages:
            packages[name] = seconds
    return total, packages


def measure(checkout: Path, args: list[str]) -> tuple[float, float, dict[str, float]]:
    """(import seconds, process CPU seconds, watched packages' import seconds) of one run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "planner.cli", *args],
        cwd=checkout, capture_output=True, text=True, check=False,
        env={**os.environ, "PYTHONPATH": str(checkout)},
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise RuntimeError(f"{checkout}: planner {' '.join(args[:2])} exited "
                           f"{done.returncode}: {done.stderr[-1500:]}")
    total, packages = parse_importtime(done.stderr)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return total, cpu, packages


def _commit(checkout: Path) -> str:
    done = subprocess.run(["git", "-C", str(checkout), "rev-parse", "--short", "HEAD"],
                          capture_output=True, text=True, check=False)
    return done.stdout.strip() or "?"


def run(versions: list[tuple[str, Path]], rounds: int) -> list[str]:
    samples: dict[tuple[str, str], list[tuple[float, float, dict[str, float]]]] = {}
    loads: list[float] = []
    for _, checkout in versions:
        fresh_bytecode(checkout)
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(rounds):
            for label, checkout in versions:
                for name, args in commands(Path(tmp) / f"{label}_{r}").items():
                    samples.setdefault((label, name), []).append(measure(checkout, args))
                    loads.append(os.getloadavg()[0])
            print(f"round {r + 1}/{rounds} done, load {loads[-1]:.1f}", file=sys.stderr)
    first = versions[0][0]
    lines = [
        "# Start-up: what each command imports",
        "",
        f"`python -m benchmarks.startup --rounds {rounds}`, medians of {rounds} interleaved "
        f"rounds; 1-minute load {min(loads):.1f} to {max(loads):.1f} during the run; "
        f"{os.cpu_count()} cores. Versions: "
        + ", ".join(f"{label} = {_commit(path)}" for label, path in versions) + ".",
        "",
        "Import seconds as `python -X importtime` reports them (wall, so inflated by "
        "load alike for every version), and the CPU seconds of the whole command "
        "(`resource.getrusage`), with the ratio against the first version. The `plan` "
        "rows are the bundled sample (12 videos): the plan itself is a small part.",
        "",
        "| command | version | imports s | CPU s | CPU vs " + first + " | largest imports |",
        "|---|---|---|---|---|---|",
    ]
    for name in commands(Path(".")):
        base_cpu = statistics.median(s[1] for s in samples[(first, name)])
        for label, _ in versions:
            got = samples[(label, name)]
            imports = statistics.median(s[0] for s in got)
            cpu = statistics.median(s[1] for s in got)
            packages = {p: statistics.median(s[2].get(p, 0.0) for s in got) for p in WATCHED}
            largest = ", ".join(f"{p} {v:.2f}" for p, v in
                                sorted(packages.items(), key=lambda kv: -kv[1]) if v >= 0.005)
            lines.append(f"| `{name}` | {label} | {imports:.2f} | {cpu:.2f} | "
                         f"{cpu / base_cpu:.2f}x | {largest or '-'} |")
    return lines


def parse_args(argv: Sequence[str] | None) -> tuple[list[tuple[str, Path]], int, Path]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("versions", nargs="+", help="label=path of a checkout")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    args = parser.parse_args(argv)
    versions = []
    for item in args.versions:
        label, _, path = item.partition("=")
        versions.append((label, Path(path).resolve()))
    return versions, args.rounds, args.out


def main(argv: Sequence[str] | None = None) -> int:
    versions, rounds, out = parse_args(argv)
    lines = run(versions, rounds)
    out.mkdir(parents=True, exist_ok=True)
    (out / "startup.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
