"""The bundled sample planned at a row of budgets, by two or more checkouts, interleaved.

    python -m benchmarks.budget_sweep --from 500000 --to 5000000 --step 250000 \
        old=/path/to/old/checkout new=.

How hard the plan's branch and bound is depends on the budget (which choices
sit at the edge of the budget decides how loose the relaxation is), so a change
to the economics or the solver settings is judged over a row of budgets, not at
the sample's one. Each budget is planned in a fresh interpreter by each version
in turn (same campaign file, same roster); reported per version: CPU and wall
seconds of ``make_plan`` alone, its status, gap and expected GMV, and the
totals. ``--set risk.test_share=0.03`` overrides a campaign setting in every
version. Writes ``budget_sweep.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

_PLAN_AT = """
import json, sys, time
from pathlib import Path
from planner.io.campaign_file import read_campaign
from planner.io.roster import read_videos
from planner.planning import make_plan
campaign = read_campaign(Path(sys.argv[1]))
data = campaign.model_dump()
data["budget"] = float(sys.argv[3])
for setting in json.loads(sys.argv[4]):
    path, value = setting
    *sections, key = path.split(".")
    place = data
    for section in sections:
        place = place.setdefault(section, {})
    place[key] = value
campaign = type(campaign).model_validate(data)
videos, _ = read_videos(Path(sys.argv[2]), plan_date=campaign.effective_plan_date)
wall, cpu = time.perf_counter(), time.process_time()
plan = make_plan(videos, campaign)
print(json.dumps({"wall": time.perf_counter() - wall, "cpu": time.process_time() - cpu,
                  "status": plan.status, "gmv": plan.expected_gmv, "gap": plan.gap}))
"""


def _plan(checkout: Path, campaign: Path, videos: Path, budget: float,
          settings: list[tuple[str, object]]) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", _PLAN_AT, str(campaign), str(videos), str(budget),
         json.dumps(settings)],
        cwd=checkout, capture_output=True, text=True, check=True,
        env={"PYTHONPATH": str(checkout), "PATH": "/usr/bin:/bin"})
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _commit(checkout: Path) -> str:
    done = subprocess.run(["git", "-C", str(checkout), "rev-parse", "--short", "HEAD"],
                          capture_output=True, text=True, check=False)
    dirty = subprocess.run(["git", "-C", str(checkout), "status", "--porcelain", "planner"],
                           capture_output=True, text=True, check=False).stdout.strip()
    return (done.stdout.strip() or "?") + (" + edits" if dirty else "")


def _setting(text: str) -> tuple[str, object]:
    path, value = text.split("=", 1)
    parsed: object = json.loads(value) if value[:1] in "0123456789-[{tfn\"" else value
    return path, parsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("versions", nargs="+", help="name=checkout folder")
    parser.add_argument("--from", dest="low", type=float, default=500_000)
    parser.add_argument("--to", dest="high", type=float, default=5_000_000)
    parser.add_argument("--step", type=float, default=250_000)
    parser.add_argument("--campaign", type=Path, default=Path("sample_data/campaign_tmall.toml"))
    parser.add_argument("--videos", type=Path, default=Path("sample_data/videos.csv"))
    parser.add_argument("--set", dest="settings", action="append", default=[],
                        help="section.key=value, e.g. risk.test_share=0.03")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/budget_sweep.md"))
    options = parser.parse_args()
    versions = [(v.split("=", 1)[0], Path(v.split("=", 1)[1]).resolve())
                for v in options.versions]
    settings = [_setting(s) for s in options.settings]
    campaign, videos = options.campaign.resolve(), options.videos.resolve()
    budgets: list[float] = []
    budget = options.low
    while budget <= options.high + 1e-6:
        budgets.append(budget)
        budget += options.step
    seen: dict[str, list[dict[str, object]]] = {name: [] for name, _ in versions}
    for budget in budgets:
        for name, checkout in versions:
            result = _plan(checkout, campaign, videos, budget, settings)
            seen[name].append(result)
            print(f"{budget:>12,.0f} {name}: cpu {float(str(result['cpu'])):.2f} s, wall "
                  f"{float(str(result['wall'])):.2f} s, {result['status']}, gap "
                  f"{float(str(result['gap'])):.3%}", flush=True)
    names = [name for name, _ in versions]
    header = "| budget | " + " | ".join(
        f"{n} CPU s | {n} status | {n} gap | {n} expected GMV" for n in names) + " |"
    rows = [header, "|---|" + "---|---|---|---|" * len(names)]
    for i, budget in enumerate(budgets):
        cells = []
        for name in names:
            r = seen[name][i]
            cells.append(f"{float(str(r['cpu'])):.2f} | {r['status']} | "
                         f"{float(str(r['gap'])):.3%} | {float(str(r['gmv'])):,.0f}")
        rows.append(f"| {budget:,.0f} | " + " | ".join(cells) + " |")
    totals = []
    for name in names:
        cpu = sum(float(str(r["cpu"])) for r in seen[name])
        worst = max(float(str(r["cpu"])) for r in seen[name])
        not_optimal = sum(r["status"] != "optimal" for r in seen[name])
        totals.append(f"- {name} ({_commit(dict(versions)[name])}): {cpu:.1f} s CPU in all, "
                      f"the slowest budget {worst:.1f} s, {not_optimal} of {len(budgets)} "
                      f"budgets not proven optimal")
    text = "\n".join([
        f"The sample ({options.campaign.name}) planned at {len(budgets)} budgets, "
        f"{options.low:,.0f} to {options.high:,.0f} yuan"
        + (f", with {', '.join(options.settings)}" if options.settings else "")
        + f"; {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, 1-minute load "
        f"{os.getloadavg()[0]:.1f} at the end.", "", *totals, "", *rows, ""])
    options.out.parent.mkdir(parents=True, exist_ok=True)
    options.out.write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
