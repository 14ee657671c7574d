"""The plan writer at agency scale: plan.json, plan.xlsx (and daily.csv) of a huge plan.

    python -m benchmarks.writer [--videos 100000] [--days 30] [--out benchmarks/results] \
        old=/path/to/old/checkout now=.

The solver's answer at 100,000 videos takes long to make; what the writer must survive is
its size. So the plan is the sample campaign's own plan (``planner plan`` on the bundled
files) grown to ``--videos`` videos, each bought every day of ``--days`` (one daily row per
video and day, one order per video: the most a plan of that roster can hold), and each
checkout, in a fresh interpreter, writes it with ``write_plan`` as ``planner plan`` does.
Reported per checkout: seconds (wall and CPU) and the peak memory of that process, which
includes the plan itself, and the files written with their sizes. Writes ``writer.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from benchmarks.run import ROOT

# Builds the grown plan from argv[1] (plan.json), writes it into argv[2], prints figures.
_WRITE = """
import json, resource, sys, time
from datetime import date, timedelta
from pathlib import Path
from planner.io.plan_files import write_plan
from planner.models import Plan
base = Plan.model_validate_json(Path(sys.argv[1]).read_text(encoding="utf-8"))
videos, days = int(sys.argv[3]), int(sys.argv[4])
order, video, day = base.orders[0], base.videos[0], base.daily[0]
start = day.date
grown = base.model_copy(update={
    "videos": [video.model_copy(update={"video_id": f"v{i:06d}", "kol_name": f"KOL {i}"})
               for i in range(videos)],
    "orders": [order.model_copy(update={"video_id": f"v{i:06d}", "kol_name": f"KOL {i}"})
               for i in range(videos)],
    "daily": [day.model_copy(update={"video_id": f"v{i:06d}", "date": start + timedelta(d)})
              for i in range(videos) for d in range(days)],
})
del base
built = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
wall, cpu = time.perf_counter(), time.process_time()
written = write_plan(grown, Path(sys.argv[2]))
print(json.dumps({"wall": time.perf_counter() - wall, "cpu": time.process_time() - cpu,
                  "plan_mb": built,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "files": {k: [p.name, p.stat().st_size] for k, p in written.items()}}))
"""


def sample_plan(folder: Path) -> Path:
    """plan.json of the bundled sample campaign, made by this checkout's ``planner plan``."""
    subprocess.run([sys.executable, "-m", "planner.cli", "plan", "--campaign",
                    str(ROOT / "sample_data" / "campaign_tmall.toml"), "--videos",
                    str(ROOT / "sample_data" / "videos.csv"), "--out", str(folder)],
                   cwd=ROOT, check=True, capture_output=True)
    return folder / "plan.json"


def measure(checkout: Path, plan_json: Path, out: Path, videos: int,
            days: int) -> dict[str, object]:
    done = subprocess.run([sys.executable, "-c", _WRITE, str(plan_json), str(out), str(videos),
                           str(days)], cwd=checkout, capture_output=True, text=True,
                          check=False, env={**os.environ, "PYTHONPATH": str(checkout)})
    if done.returncode != 0:
        return {"error": done.stderr.strip().splitlines()[-1] if done.stderr else "?"}
    figures: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("versions", nargs="+", help="label=path of a checkout")
    parser.add_argument("--videos", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    args = parser.parse_args(argv)
    lines = [
        "# The plan writer at scale",
        "",
        f"`python -m benchmarks.writer --videos {args.videos} --days {args.days}`: the "
        f"sample plan grown to {args.videos:,} videos, one order each and a daily row per "
        f"video and day ({args.videos * args.days:,} daily rows), written by `write_plan` in "
        f"a fresh interpreter per checkout; {os.cpu_count()} cores. Peak memory includes the "
        "plan itself (its size before writing in the next column).",
        "",
        "| version | load | wall s | CPU s | plan MB | peak MB | files |",
        "|---|---|---|---|---|---|---|",
    ]
    with tempfile.TemporaryDirectory() as tmp:
        plan_json = sample_plan(Path(tmp) / "sample")
        for item in args.versions:
            label, _, path = item.partition("=")
            load = os.getloadavg()[0]
            got = measure(Path(path).resolve(), plan_json, Path(tmp) / label, args.videos,
                          args.days)
            if "error" in got:
                lines.append(f"| {label} | {load:.1f} | - | - | - | - | failed: {got['error']} |")
                continue
            files = ", ".join(f"{name} {size / 1e6:,.0f} MB"
                              for name, size in got["files"].values())  # type: ignore[attr-defined]
            lines.append(f"| {label} | {load:.1f} | {got['wall']:.1f} | {got['cpu']:.1f} | "
                         f"{got['plan_mb']:,.0f} | {got['peak_mb']:,.0f} | {files} |")
            print(lines[-1], file=sys.stderr)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "writer.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
