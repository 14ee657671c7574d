"""The figures the golden test pins, and the one command that writes them again.

The bundled sample plans are the campaigns of ``sample_data/portfolio.toml``, each with
the roster file it names (the same inputs as ``make run`` and ``planner batch``), planned
on their files' plan date. For each one, ``tests/golden/<name>.json`` holds: the number
of orders, the total spend and expected GMV, the spend per tool and the spend per day
phase (``normal``, or a big sale's name and phase kind), in whole yuan.

Regenerate (only when the economics change on purpose; see tests/test_golden.py)::

    make golden        # or: .venv/bin/python tests/golden_plans.py
"""

from __future__ import annotations

import json
import sys
import tomllib
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT))

from planner.config import Campaign  # noqa: E402
from planner.jobs.plan import load_inputs  # noqa: E402
from planner.models import Plan  # noqa: E402
from planner.optimiser import strategy  # noqa: E402
from planner.planning import make_plan  # noqa: E402

SAMPLE = ROOT / "sample_data"
GOLDEN = Path(__file__).resolve().parent / "golden"


def sample_plans() -> dict[str, tuple[Path, Path]]:
    """Name -> (campaign file, roster file) of every campaign in the sample portfolio."""
    manifest = tomllib.loads((SAMPLE / "portfolio.toml").read_text(encoding="utf-8"))
    return {entry["name"]: (SAMPLE / entry["campaign"], SAMPLE / entry["videos"])
            for entry in manifest["campaigns"]}


def phase_of(campaign: Campaign, day: date) -> str:
    """``normal`` outside the big sales, else the sale's name and the phase's kind."""
    sale = campaign.sale_on(day)
    if sale is None:
        return "normal"
    return f"{sale.name} {sale.phase_on(day, campaign.sale).kind}"


def _yuan(by_key: dict[str, float]) -> dict[str, int]:
    return {key: round(value) for key, value in sorted(by_key.items())}


def figures(plan: Plan, campaign: Campaign, campaign_file: Path,
            videos_file: Path) -> dict[str, Any]:
    """The plan's pinned figures, money in whole yuan."""
    by_tool: dict[str, float] = defaultdict(float)
    by_phase: dict[str, float] = defaultdict(float)
    for day in plan.daily:
        by_tool[day.tool.value] += day.spend
        by_phase[phase_of(campaign, day.date)] += day.spend
    return {
        "campaign": campaign_file.relative_to(ROOT).as_posix(),
        "videos": videos_file.relative_to(ROOT).as_posix(),
        "plan_date": plan.plan_date.isoformat(),
        "budget": round(plan.budget),
        "total_spend": round(plan.total_spend),
        "expected_gmv": round(plan.expected_gmv),
        "orders": len(plan.orders),
        "spend_by_tool": _yuan(by_tool),
        "spend_by_phase": _yuan(by_phase),
    }


# Wall-clock limits far beyond any sample plan's solve: only the solver's work limits (nodes
# per round), the same on every machine, decide the plan, however loaded the machine is.
NO_DEADLINE_S = 3600.0


@contextmanager
def work_limits_only() -> Iterator[None]:
    """Lift the proof's wall-clock safety net (its node limit stays) while planning."""
    saved = strategy.FULL_PROOF_SECONDS
    strategy.FULL_PROOF_SECONDS = NO_DEADLINE_S
    try:
        yield
    finally:
        strategy.FULL_PROOF_SECONDS = saved


def plan_figures(campaign_file: Path, videos_file: Path) -> dict[str, Any]:
    """Plan one sample campaign as ``planner plan`` does and return its pinned figures.

    The sample plans finish far inside their time limits on an idle machine; the limits
    are lifted here so that a machine under heavy load finds the same plan, not a plan
    cut short by the clock (which the status would call "feasible").
    """
    campaign, roster, _warnings = load_inputs(campaign_file, videos_file)
    campaign = campaign.model_copy(update={
        "solver": campaign.solver.model_copy(update={"time_limit_s": NO_DEADLINE_S})})
    with work_limits_only():
        plan = make_plan(roster, campaign, source=campaign_file.name)
    return figures(plan, campaign, campaign_file, videos_file)


def golden_path(name: str) -> Path:
    return GOLDEN / f"{name}.json"


def read_golden(name: str) -> dict[str, Any]:
    result: dict[str, Any] = json.loads(golden_path(name).read_text(encoding="utf-8"))
    return result


def write_golden() -> list[Path]:
    """Plan every sample campaign and write its figures; remove files of gone campaigns."""
    GOLDEN.mkdir(exist_ok=True)
    plans = sample_plans()
    for stale in GOLDEN.glob("*.json"):
        if stale.stem not in plans:
            stale.unlink()
    written = []
    for name, (campaign_file, videos_file) in plans.items():
        path = golden_path(name)
        text = json.dumps(plan_figures(campaign_file, videos_file), indent=2,
                          ensure_ascii=False)
        path.write_text(text + "\n", encoding="utf-8")
        written.append(path)
    return written


if __name__ == "__main__":
    for path in write_golden():
        print(path.relative_to(ROOT))
