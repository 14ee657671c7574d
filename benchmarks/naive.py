"""The naive flat MILP, as a buyer's analyst would write it with PuLP.

Every video x tool x day purchase gets its segment variables *and* a
minimum-order binary, in one PuLP problem with the planner's own rules and
response segments (``build_model(..., flat=True)`` written out through
``to_pulp``), solved by PuLP's HiGHS or CBC interface with the same time
limit and search gap. No sifting, no lazy binaries, no arrays handed to the
solver: what the planner's design is measured against.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pulp

from planner.config import Campaign
from planner.errors import SolverError
from planner.jobs.watchdog import run_with_deadline
from planner.models import Plan, Video
from planner.optimiser import SolveResult, build_model, pulp_solver, to_pulp
from planner.planning import Planner, lay_out

BACKENDS = ("highs", "cbc")


@dataclass(frozen=True)
class NaiveRun:
    backend: str
    seconds: float  # rules, response model, PuLP model, solve and layout: like plan_s
    plan: Plan | None  # None when the solver found no plan in time
    proven: bool  # the solver proved its answer within the search gap
    note: str = ""


def naive_milp(videos: Sequence[Video], campaign: Campaign, backend: str) -> NaiveRun:
    """The flat MILP under an outer deadline: CBC has run minutes past its time limit
    (in trial runs, and at 5,000 videos here), so the run is stopped at 2 x the limit
    plus a minute for PuLP's model building and reported as no plan."""
    started = time.perf_counter()
    deadline = 2 * campaign.solver.time_limit_s + 60
    try:
        return run_with_deadline(_naive_milp, videos, campaign, backend, deadline_s=deadline)
    except SolverError as exc:
        return NaiveRun(backend, time.perf_counter() - started, None, False, f"{exc}")


def _naive_milp(videos: Sequence[Video], campaign: Campaign, backend: str) -> NaiveRun:
    started = time.perf_counter()
    planner = Planner(videos, campaign)
    model = build_model(planner.response, campaign, flat=True)
    form = to_pulp(model)
    try:
        form.problem.solve(pulp_solver(backend, campaign.solver, campaign.solver.time_limit_s))
    except pulp.PulpSolverError as exc:
        return NaiveRun(backend, time.perf_counter() - started, None, False, f"{exc}")
    if form.problem.sol_status not in (pulp.LpSolutionOptimal, pulp.LpSolutionIntegerFeasible):
        return NaiveRun(backend, time.perf_counter() - started, None, False,
                        f"no plan ({pulp.LpStatus[form.problem.status]})")
    model.x = np.array([v.varValue or 0.0 for v in form.variables], dtype=np.float64)
    spent = model.spend()
    objective = float(model.cost @ model.x)
    proven = form.problem.sol_status == pulp.LpSolutionOptimal
    result = SolveResult(
        status="optimal" if proven else "feasible",
        solver=backend,
        spend={p.index: float(s) for p, s in zip(model.purchases, spent, strict=True)},
        objective=objective,
        # PuLP does not pass the MIP bound on: the benchmark measures the naive plan's gap
        # against the planner's proven bound, valid for the same model.
        bound=objective,
        seconds=time.perf_counter() - started,
        iterations=1,
        tight=[],
        model=model,
    )
    plan = lay_out(planner.assessments, planner.response, result, campaign, result.seconds)
    return NaiveRun(backend, time.perf_counter() - started, plan, proven)
