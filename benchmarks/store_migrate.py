"""``planner store migrate`` of a large history: its peak memory does not grow with the store.

    python -m benchmarks.store_migrate [--mb 400] [--out benchmarks/results]

Builds a SQLite history of about ``--mb`` MB in a temporary folder (plans with their
plan.json, their orders, a campaign's daily actuals and their audit rows, in the
proportions a long-running agency store has), then runs ``planner store migrate`` into a
new SQLite file in a fresh interpreter that reports its own peak resident memory
(VmHWM, which belongs to the new address space exec made, not to this process).
Also measures ``planner --help`` the same way, the interpreter's own floor. Writes
``store_migrate.md`` atomically.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from datetime import date, timedelta
from pathlib import Path

from benchmarks.peak_memory import MEASURED
from planner.io.atomic import atomic_write_text
from planner.io.store import open_store

ROOT = Path(__file__).resolve().parent.parent
PLAN_JSON_BYTES = 40_000  # a 200-video plan.json
ORDERS_PER_PLAN = 200
ACTUALS_PER_DAY = 600


def _plan_json(number: int) -> str:
    orders = [{"video_id": f"v{number:05d}{i:03d}", "tool": "dou_plus", "budget": 1000 + i}
              for i in range(PLAN_JSON_BYTES // 70)]
    return json.dumps({"plan": number, "orders": orders})


def _rows(plan: int) -> Iterator[tuple[object, ...]]:
    day = (date(2027, 1, 1) + timedelta(days=plan % 365)).isoformat()
    for position in range(ORDERS_PER_PLAN):
        yield (plan, position, f"v{position:05d}", "dou_plus", day, day, day,
               500.0 + position, "planned")


def build_store(path: Path, megabytes: int) -> dict[str, int]:
    """A SQLite history of about ``megabytes`` MB; the row count of each table."""
    with open_store(path):  # the planner's own schema
        pass
    counts = {"plans": 0, "orders": 0, "actuals": 0, "actuals_audit": 0}
    db = sqlite3.connect(path)
    try:
        plan = 0
        while path.stat().st_size < megabytes * 1024 * 1024:
            with db:
                for _ in range(200):
                    plan += 1
                    campaign = f"campaign {plan % 40:02d}"
                    day = (date(2027, 1, 1) + timedelta(days=plan // 40)).isoformat()
                    db.execute("INSERT INTO plans VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                               (plan, campaign, day, day + "T08:00:00", "{}", "0" * 64,
                                "0" * 64, _plan_json(plan)))
                    db.executemany("INSERT INTO orders VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                                   _rows(plan))
                    db.executemany(
                        "INSERT INTO actuals VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        [(campaign, day, f"v{plan:06d}{i:03d}", "dou_plus", 100.0 + i,
                          300.0, 5000.0, 3.0, 80.0, 40.0, 2.0, "actuals.csv", day)
                         for i in range(ACTUALS_PER_DAY)])
                    db.execute("INSERT INTO actuals_audit (campaign, date, video_id, tool, "
                               "old_row, new_row, source, replaced_at) VALUES "
                               "(?, ?, ?, ?, ?, ?, ?, ?)",
                               (campaign, day, "v0", "dou_plus", "{}", "{}", "a.csv", day))
                    counts["plans"] += 1
                    counts["orders"] += ORDERS_PER_PLAN
                    counts["actuals"] += ACTUALS_PER_DAY
                    counts["actuals_audit"] += 1
    finally:
        db.close()
    return counts


def measure(args: Sequence[str], folder: Path) -> tuple[int, float, float, str]:
    """Exit code, peak RSS in MB, wall seconds and output of ``planner ARGS``."""
    peak = folder / "peak_kb.txt"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PLANNER_LANG": "en"}
    started = time.perf_counter()
    child = subprocess.run([sys.executable, "-c", MEASURED, str(peak), *args],
                           capture_output=True, text=True, env=env, cwd=folder, check=False)
    seconds = time.perf_counter() - started
    return (child.returncode, int(peak.read_text()) / 1024, seconds,
            child.stdout + child.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=400, help="size of the history to copy")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    options = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="migrate-") as tmp:
        folder = Path(tmp)
        source, target = folder / "history.sqlite", folder / "copy.sqlite"
        started = time.perf_counter()
        counts = build_store(source, options.mb)
        built = time.perf_counter() - started
        size = source.stat().st_size / 2**20
        _, floor, _, _ = measure(["--help"], folder)
        code, peak, seconds, output = measure(
            ["store", "migrate", str(source), str(target)], folder)
        if code != 0:
            print(output, file=sys.stderr)
            return 1
    rows = ", ".join(f"{table} {count:,}" for table, count in counts.items())
    text = (
        "# `planner store migrate` of a large SQLite history\n\n"
        f"Generated by `python -m benchmarks.store_migrate --mb {options.mb}` on "
        f"{platform.python_implementation()} {platform.python_version()}, "
        f"{os.cpu_count()} cores (shared).\n\n"
        "| store | rows | peak RSS | `planner --help` peak | wall |\n"
        "|---|---|---|---|---|\n"
        f"| {size:,.0f} MB SQLite -> new SQLite | {rows} | {peak:,.0f} MB | "
        f"{floor:,.0f} MB | {seconds:,.0f} s |\n\n"
        f"The store took {built:,.0f} s to build. Rows are read, hashed and inserted "
        "1,000 at a time (fewer when their text passes 4 million characters: a plan's row "
        "carries its plan.json), then the copy is read back and compared the same way, so "
        "the peak is the interpreter, SQLAlchemy and one batch, whatever the history's "
        "size.\n"
    )
    options.out.mkdir(parents=True, exist_ok=True)
    atomic_write_text(options.out / "store_migrate.md", text)
    print(text, end="")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
