"""The allocation model: maximise expected GMV over purchases and their segments.

The model is built from named pieces, one function per constraint family, and
every constraint is named after its rule so that infeasibility and binding
limits can be told to the buyer:

    budget                          total new spend <= budget - commitments
    daily_cap_<day>                 spend per day <= campaign daily cap
    tool_budget_<tool>              a tool's total <= its cap
    seeding_share_min / _max        the balance effect (A+I share of A+I+M)
    amplification_<video>           paid impressions <= 100x natural plays
    min_order_<p> / link_<p>_<k>    zero or at least the tool's minimum order
    cs_excludes_dou_plus_<c>_<d>_<k> no Dou+ on a video while its content service runs

Why it is fast: the segments make the objective concave, so without the
discrete rules this is an LP whose basic optimum has at most as many
fractional purchases as there are coupling rows (budget, days, tools,
balance, videos). Content-service orders always get a binary (one-shot,
50,000 minimum, exclusive with Dou+). Minimum-order binaries are added lazily,
only for purchases the relaxation leaves between zero and the minimum, and the
model is re-solved until no purchase violates its minimum.

Most purchases never get money, so the model only carries an *active* set
(sifting, a form of column generation): the LP relaxation is solved on the
most promising purchases, every other segment is priced with the duals of the
named rows (budget, days, tools, balance, reach), and purchases with a
positive reduced cost join until none is left. That LP relaxation, over every
purchase, is the proven bound; the discrete model is then solved on the
active set, and ``gap`` compares the two. ``flat=True`` builds the plain MILP
with a binary on every purchase, for comparison.
"""

from __future__ import annotations

import contextvars
import functools
import math
import os
import sys
import time
import warnings
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

import pulp

from planner.config import Campaign
from planner.errors import InfeasibleError, SolverError
from planner.response import KYUAN, Purchase, ResponseModel
from planner.tools import Tool

_TOL = 1e-7
# Seconds spent inside the solver backends during the current solve(): the rest of a
# solve is model building, which the benchmarks report separately.
_SOLVER_SECONDS: contextvars.ContextVar[float] = contextvars.ContextVar(
    "solver_seconds", default=0.0
)
# Up to this many purchases, a loose sifting bound is replaced by a proof over all of them.
FULL_PROOF_PURCHASES = 6000
FULL_PROOF_SECONDS = 2.0  # an interactive plan should not wait longer for the proof


@dataclass
class AllocationModel:
    """A PuLP problem plus the handles needed to read and explain it."""

    problem: pulp.LpProblem
    seg_vars: dict[int, list[pulp.LpVariable]]
    purchases: list[Purchase] = field(default_factory=list)  # the active set
    shares: tuple[float, float] = (0.0, 1.0)  # balance bounds, for pricing
    order_on: dict[int, pulp.LpVariable] = field(default_factory=dict)
    constraints: dict[str, pulp.LpConstraint] = field(default_factory=dict)
    family_of: dict[str, str] = field(default_factory=dict)  # constraint name -> family
    describe: dict[str, str] = field(default_factory=dict)  # constraint name -> words


def _add(model: AllocationModel, family: str, name: str, constraint: pulp.LpConstraint,
         words: str) -> None:
    model.problem.addConstraint(constraint, name=name)
    model.constraints[name] = constraint
    model.family_of[name] = family
    model.describe[name] = words


def _spend(model: AllocationModel, p: Purchase, weight: float = 1.0) -> list[
    tuple[pulp.LpVariable, float]
]:
    return [(v, weight) for v in model.seg_vars[p.index]]


def add_variables(model: AllocationModel) -> None:
    for p in model.purchases:
        model.seg_vars[p.index] = [
            model.problem.add_variable(f"x_{p.index}_{k}", lowBound=0, upBound=w)
            for k, w in enumerate(p.seg_width)
        ]


def set_objective(model: AllocationModel) -> None:
    terms = [
        (var, roi)
        for p in model.purchases
        for var, roi in zip(model.seg_vars[p.index], p.seg_roi, strict=True)
    ]
    model.problem.setObjective(pulp.LpAffineExpression(terms, name="expected_gmv"))


def add_budget(model: AllocationModel, response: ResponseModel, campaign: Campaign) -> None:
    fixed = sum(sum(f.day_spend.values()) for f in response.fixed)
    expr = pulp.LpAffineExpression([t for p in model.purchases for t in _spend(model, p)])
    _add(model, "budget", "budget", expr <= campaign.budget / KYUAN - fixed,
         f"the budget of {campaign.budget:,.0f} yuan ({fixed * KYUAN:,.0f} already committed)")


def _day_terms(
    model: AllocationModel, purchases: list[Purchase]
) -> dict[date, list[tuple[pulp.LpVariable, float]]]:
    by_day: dict[date, list[tuple[pulp.LpVariable, float]]] = defaultdict(list)
    for p in purchases:
        for day, share in zip(p.days, p.day_shares, strict=True):
            by_day[day].extend(_spend(model, p, share))
    return by_day


def _fixed_by_day(response: ResponseModel, tool: Tool | None = None) -> dict[date, float]:
    out: dict[date, float] = defaultdict(float)
    for f in response.fixed:
        if tool is None or f.commitment.tool is tool:
            for day, spend in f.day_spend.items():
                out[day] += spend
    return out


def add_daily_cap(model: AllocationModel, response: ResponseModel, campaign: Campaign) -> None:
    if campaign.daily_cap is None:
        return
    cap = campaign.daily_cap / KYUAN
    fixed = _fixed_by_day(response)
    terms_by_day = _day_terms(model, model.purchases)
    # Every planned day gets its row, active purchases or not, so its dual prices the rest.
    for day in response.days:
        terms = terms_by_day.get(day, [])
        _add(model, "daily_cap", f"daily_cap_{day:%Y%m%d}",
             pulp.LpAffineExpression(terms) <= cap - fixed.get(day, 0.0),
             f"the daily cap of {campaign.daily_cap:,.0f} yuan on {day}")


def add_tool_caps(model: AllocationModel, response: ResponseModel, campaign: Campaign) -> None:
    for tool in campaign.chain_tools():
        cfg = campaign.tools[tool]
        if cfg.max_budget is None:
            continue
        purchases = [p for p in model.purchases if p.tool is tool]
        fixed = sum(_fixed_by_day(response, tool).values())
        expr = pulp.LpAffineExpression([t for p in purchases for t in _spend(model, p)])
        _add(model, "tool_budget", f"tool_budget_{tool}", expr <= cfg.max_budget / KYUAN - fixed,
             f"the {tool} cap of {cfg.max_budget:,.0f} yuan")


def add_balance(model: AllocationModel, response: ResponseModel, campaign: Campaign) -> None:
    """seeding >= s_min x total and seeding <= s_max x total, with KOL fees as seeding."""
    s_min, s_max = campaign.balance.min_seeding_share, campaign.balance.max_seeding_share
    fixed_seed = response.kol_fees + sum(
        sum(f.day_spend.values()) for f in response.fixed if f.seeding
    )
    fixed_harvest = sum(sum(f.day_spend.values()) for f in response.fixed if not f.seeding)
    if s_min > 0:
        # (1 - s_min) x seeding - s_min x harvesting >= -(fixed part)
        terms = [
            (v, (1 - s_min) if p.seeding else -s_min)
            for p in model.purchases for v in model.seg_vars[p.index]
        ]
        rhs = s_min * fixed_harvest - (1 - s_min) * fixed_seed
        _add(model, "balance", "seeding_share_min", pulp.LpAffineExpression(terms) >= rhs,
             f"the balance bound: seeding (KOL fees + Influence tools) at least {s_min:.0%}")
    if s_max < 1:
        terms = [
            (v, (1 - s_max) if p.seeding else -s_max)
            for p in model.purchases for v in model.seg_vars[p.index]
        ]
        rhs = s_max * fixed_harvest - (1 - s_max) * fixed_seed
        _add(model, "balance", "seeding_share_max", pulp.LpAffineExpression(terms) <= rhs,
             f"the balance bound: seeding at most {s_max:.0%}")


def add_amplification(model: AllocationModel, response: ResponseModel,
                      campaign: Campaign) -> None:
    offered: dict[str, float] = defaultdict(float)
    for p in response.purchases:
        offered[p.video_id] += p.capacity * p.impressions_per_kyuan
    terms_by_video: dict[str, list[tuple[pulp.LpVariable, float]]] = defaultdict(list)
    for p in model.purchases:
        terms_by_video[p.video_id].extend(_spend(model, p, p.impressions_per_kyuan / 1e6))
    for video_id, total in sorted(offered.items()):
        room = response.amplification_room.get(video_id, 0.0)
        # Skip rows that cannot bind: fewer impressions on offer than the room left.
        if total <= room:
            continue
        _add(model, "amplification", f"amplification_{_safe(video_id)}",
             pulp.LpAffineExpression(terms_by_video.get(video_id, [])) <= room / 1e6,
             f"{video_id}'s reach limit ({campaign.rules.max_amplification:g}x its natural "
             "plays)")


def add_min_order(model: AllocationModel, p: Purchase, relaxed: bool = False) -> None:
    """Zero or at least the minimum, linked per segment (MEASURED: much tighter)."""
    on = model.problem.add_variable(f"on_{p.index}", lowBound=0, upBound=1,
                         cat=pulp.LpContinuous if relaxed else pulp.LpBinary)
    model.order_on[p.index] = on
    segs = model.seg_vars[p.index]
    words = f"the {p.tool} minimum order of {p.min_order * KYUAN:,.0f} yuan"
    _add(model, "min_order", f"min_order_{p.index}",
         pulp.LpAffineExpression([(v, 1.0) for v in segs] + [(on, -p.min_order)]) >= 0, words)
    for k, (v, w) in enumerate(zip(segs, p.seg_width, strict=True)):
        _add(model, "min_order", f"link_{p.index}_{k}",
             pulp.LpAffineExpression([(v, 1.0), (on, -w)]) <= 0, words)


def add_content_service_exclusivity(model: AllocationModel, response: ResponseModel) -> None:
    dou_plus: dict[tuple[str, date], Purchase] = {
        (p.video_id, p.days[0]): p for p in model.purchases if p.tool is Tool.DOU_PLUS
    }
    for cs in model.purchases:
        if not cs.is_content_service:
            continue
        on = model.order_on[cs.index]
        for day in cs.days:
            dp = dou_plus.get((cs.video_id, day))
            if dp is None:
                continue
            for k, (v, w) in enumerate(zip(model.seg_vars[dp.index], dp.seg_width, strict=True)):
                name = f"cs_excludes_dou_plus_{cs.index}_{dp.index}_{k}"
                _add(model, "cs_excludes_dou_plus", name,
                     pulp.LpAffineExpression([(v, 1.0), (on, w)]) <= w,
                     f"content service and Dou+ never together on {cs.video_id}")


def _safe(text: str) -> str:
    return "".join(ch if ch.isalnum() else "_" for ch in text)


def build_model(response: ResponseModel, campaign: Campaign, *, flat: bool = False,
                lazy: set[int] | None = None, active: set[int] | None = None,
                relaxed: bool = False) -> AllocationModel:
    """Assemble the model over the ``active`` purchases (all when None).

    ``flat`` puts a minimum-order binary on every purchase; ``lazy`` names the
    daily purchases that get one; ``relaxed`` makes every binary continuous.
    """
    chosen = response.purchases if active is None else [
        p for p in response.purchases if p.index in active
    ]
    model = AllocationModel(problem=pulp.LpProblem("budget_plan", pulp.LpMaximize),
                            seg_vars={}, purchases=chosen,
                            shares=(campaign.balance.min_seeding_share,
                                    campaign.balance.max_seeding_share))
    add_variables(model)
    set_objective(model)
    add_budget(model, response, campaign)
    add_daily_cap(model, response, campaign)
    add_tool_caps(model, response, campaign)
    add_balance(model, response, campaign)
    add_amplification(model, response, campaign)
    for p in chosen:
        if p.is_content_service or flat or (lazy and p.index in lazy):
            add_min_order(model, p, relaxed)
    add_content_service_exclusivity(model, response)
    return model


@dataclass
class SolveResult:
    status: str  # optimal | feasible
    solver: str
    spend: dict[int, float]  # purchase -> thousand yuan (unrounded)
    objective: float  # thousand yuan of GMV from new purchases
    bound: float
    seconds: float
    iterations: int
    tight: list[str]  # names of constraints at their limit
    model: AllocationModel
    notes: list[str] = field(default_factory=list)  # e.g. a solver fallback
    solver_seconds: float = 0.0  # inside the backends; the rest is model building


@functools.cache
def _silence_highs_banner() -> None:
    """HiGHS prints a licence banner on its first instance, straight to fd 1."""
    import highspy

    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 1)
            highspy.Highs()  # type: ignore[no-untyped-call]
    finally:
        os.dup2(saved, 1)
        os.close(saved)


def _solver(backend: str, campaign: Campaign, time_left: float) -> pulp.LpSolver:
    # Each call gets at least a second: a limit so short that no plan exists helps nobody.
    limit = max(1.0, time_left)
    if backend == "highs":
        _silence_highs_banner()
        return pulp.HiGHS(msg=False, timeLimit=limit, gapRel=campaign.solver.relative_gap,
                          threads=1)
    with warnings.catch_warnings():
        # PuLP 3.3 flags its bundled CBC as moving to the pulp[cbc] extra in 4.0; the
        # dependency is pinned below 4, and the bundled binary is what we measured.
        warnings.simplefilter("ignore", DeprecationWarning)
        return pulp.PULP_CBC_CMD(msg=False, timeLimit=limit,
                                 gapRel=campaign.solver.relative_gap)


def _solve_once(model: AllocationModel, backend: str, campaign: Campaign,
                time_left: float) -> tuple[bool, float | None]:
    """Solve; return (proven optimal, proven bound or None)."""
    tick = time.perf_counter()
    try:
        if backend == "highs":
            return _run_highs(model, campaign, time_left)
        return _run_pulp(model, backend, campaign, time_left)
    finally:
        _SOLVER_SECONDS.set(_SOLVER_SECONDS.get() + time.perf_counter() - tick)


def _run_pulp(model: AllocationModel, backend: str, campaign: Campaign,
              time_left: float) -> tuple[bool, float | None]:
    problem = model.problem
    problem.solve(_solver(backend, campaign, time_left))
    status = pulp.LpStatus[problem.status]
    if status == "Infeasible":
        raise _Infeasible
    if status not in ("Optimal",) or problem.sol_status not in (
        pulp.LpSolutionOptimal, pulp.LpSolutionIntegerFeasible
    ):
        raise SolverError(f"{backend} returned status {status}")
    objective = float(pulp.value(problem.objective) or 0.0)
    # PuLP says "Optimal" after a time limit: trust only the solver's own verdict.
    proven = problem.sol_status == pulp.LpSolutionOptimal
    return proven, (objective if proven else None)


def _run_highs(model: AllocationModel, campaign: Campaign,
               time_left: float) -> tuple[bool, float | None]:
    """Hand the model to HiGHS as arrays, skipping PuLP's per-variable copy.

    Like PuLP, HiGHS minimises the negated objective, so the duals written back
    to ``constraint.pi`` follow PuLP's convention and the rest of the code reads
    values and duals the same way for every backend.
    """
    import highspy

    _silence_highs_banner()
    variables = [v for segs in model.seg_vars.values() for v in segs]
    variables += list(model.order_on.values())
    column = {id(v): i for i, v in enumerate(variables)}
    objective = model.problem.objective
    cost = [0.0] * len(variables)
    for var, coef in objective.items():
        cost[column[id(var)]] = -coef
    rows = list(model.constraints.values())
    starts, indices, values, lower, upper = [0], [], [], [], []
    for constraint in rows:
        for var, coef in constraint.expr.items():
            indices.append(column[id(var)])
            values.append(coef)
        starts.append(len(indices))
        rhs = constraint.expr.constant - constraint.constant
        lower.append(rhs if constraint.sense != pulp.LpConstraintLE else -highspy.kHighsInf)
        upper.append(rhs if constraint.sense != pulp.LpConstraintGE else highspy.kHighsInf)
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = len(variables), len(rows)
    lp.col_cost_ = cost
    lp.col_lower_ = [v.lowBound if v.lowBound is not None else -highspy.kHighsInf
                     for v in variables]
    lp.col_upper_ = [v.upBound if v.upBound is not None else highspy.kHighsInf
                     for v in variables]
    lp.row_lower_, lp.row_upper_ = lower, upper
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.num_col_, lp.a_matrix_.num_row_ = len(variables), len(rows)
    lp.a_matrix_.start_, lp.a_matrix_.index_, lp.a_matrix_.value_ = starts, indices, values
    is_mip = any(v.cat == pulp.LpInteger for v in variables)
    if is_mip:
        lp.integrality_ = [highspy.HighsVarType.kInteger if v.cat == pulp.LpInteger
                           else highspy.HighsVarType.kContinuous for v in variables]
    highs = highspy.Highs()  # type: ignore[no-untyped-call]
    highs.setOptionValue("output_flag", False)
    highs.setOptionValue("threads", 1)
    highs.setOptionValue("time_limit", max(1.0, time_left))
    highs.setOptionValue("mip_rel_gap", campaign.solver.relative_gap)
    highs.passModel(lp)
    highs.run()
    status = highs.getModelStatus()
    if status == highspy.HighsModelStatus.kInfeasible:
        raise _Infeasible
    solution = highs.getSolution()
    if not solution.value_valid:
        raise SolverError(f"highs returned status {highs.modelStatusToString(status)}")
    for var, value in zip(variables, solution.col_value, strict=True):
        var.varValue = value
    if solution.dual_valid:
        for constraint, dual in zip(rows, solution.row_dual, strict=True):
            constraint.pi = dual
        for var, reduced in zip(variables, solution.col_dual, strict=True):
            var.dj = reduced
    else:
        for constraint in rows:
            constraint.pi = None
    # A time limit still leaves a solution: trust only HiGHS's own verdict.
    proven = status == highspy.HighsModelStatus.kOptimal
    value = -float(highs.getInfo().objective_function_value)
    if is_mip:
        bound = -float(highs.getInfo().mip_dual_bound)
        if not math.isfinite(bound):
            bound = value if proven else float("nan")
    else:
        bound = value if proven else float("nan")
    return proven, (bound if math.isfinite(bound) else None)


class _Infeasible(Exception):
    pass


def _violations(model: AllocationModel) -> set[int]:
    """Purchases that buy something but less than their minimum order."""
    out: set[int] = set()
    for p in model.purchases:
        if p.index in model.order_on or p.min_order <= 0:
            continue
        spent = sum(v.value() or 0.0 for v in model.seg_vars[p.index])
        if _TOL < spent < p.min_order - 1e-6:
            out.add(p.index)
    return out


def _tight(model: AllocationModel) -> list[str]:
    names = []
    for name, constraint in model.constraints.items():
        if model.family_of.get(name) in (None, "min_order", "cs_excludes_dou_plus"):
            continue
        value = constraint.value()
        if value is not None and abs(value) <= 1e-6 * max(1.0, abs(constraint.constant)):
            names.append(name)
    return names


def solve(response: ResponseModel, campaign: Campaign, *, flat: bool = False,
          backend: str | None = None) -> SolveResult:
    """Solve the plan: sifting LP bound, then the discrete model on the active set.

    The configured backend is tried first and the other one after it, so a
    missing or crashing solver falls back and the plan names the one used.
    """
    started = time.perf_counter()
    _SOLVER_SECONDS.set(0.0)
    chosen = backend or campaign.solver.backend
    backends = [chosen] + [b for b in ("highs", "cbc") if b != chosen]
    failures: list[str] = []
    for name in backends:
        try:
            result = _solve_with(response, campaign, name, started, flat)
        except _Infeasible:
            raise explain_infeasibility(response, campaign) from None
        except Exception as exc:
            # A missing or crashing backend must not end the plan: try the other one, and
            # tell the buyer which one failed and why.
            failures.append(f"{name} failed ({type(exc).__name__}: {exc})")
            continue
        result.solver_seconds = _SOLVER_SECONDS.get()
        result.seconds = time.perf_counter() - started
        if failures:
            result.notes.append(
                f"Solver: {'; '.join(failures)}; the plan was solved with {name} instead."
            )
        return result
    raise SolverError(f"no solver backend could solve the plan: {'; '.join(failures)}")


def _solve_with(response: ResponseModel, campaign: Campaign, backend: str, started: float,
                flat: bool) -> SolveResult:
    if flat:
        return _solve_discrete(response, campaign, backend=backend, started=started,
                               active=None, flat=True, lp_bound=None)
    bound, active = _sifting_relaxation(response, campaign, backend, started)
    result = _solve_discrete(response, campaign, backend=backend, started=started,
                             active=active, flat=False, lp_bound=bound)
    out_of_time = time.perf_counter() - started > campaign.solver.time_limit_s
    if result.status == "optimal" or out_of_time or len(response.purchases) > FULL_PROOF_PURCHASES:
        return result
    # The relaxation is loose here (typically a budget near the content-service minimum):
    # a model over every purchase is small enough to prove the plan.
    full = _solve_discrete(response, campaign, backend=backend, started=started,
                           active=None, flat=False, lp_bound=None,
                           limit=min(campaign.solver.time_limit_s,
                                     time.perf_counter() - started + FULL_PROOF_SECONDS))
    best = full if full.objective >= result.objective else result
    # Both bounds are valid for the full model: keep the tighter one.
    best.bound = max(best.objective, min(full.bound, result.bound))
    if best.status != "optimal" and full.status == "optimal":
        best.status = "optimal"
    return best


def _reduced_costs(response: ResponseModel, model: AllocationModel) -> dict[int, float]:
    """Reduced cost of each purchase's best segment, priced with the named rows' duals.

    Rows the pricing leaves out (exclusivity, minimum orders) only subtract, so
    leaving them out can add a purchase that was not needed but never stops early.
    """
    def dual(name: str) -> float:
        # PuLP reports duals of the minimised (negated) objective: flip them back.
        constraint = model.constraints.get(name)
        return -float(constraint.pi or 0.0) if constraint is not None else 0.0

    budget = dual("budget")
    day = {d: dual(f"daily_cap_{d:%Y%m%d}") for d in response.days}
    tool = {t: dual(f"tool_budget_{t}") for t in Tool}
    s_min, s_max = model.shares
    bal_min, bal_max = dual("seeding_share_min"), dual("seeding_share_max")
    out: dict[int, float] = {}
    for p in response.purchases:
        cost = budget + tool[p.tool]
        cost += sum(share * day.get(d, 0.0) for d, share in zip(p.days, p.day_shares,
                                                                 strict=True))
        cost += ((1 - s_min) if p.seeding else -s_min) * bal_min
        cost += ((1 - s_max) if p.seeding else -s_max) * bal_max
        amp = model.constraints.get(f"amplification_{_safe(p.video_id)}")
        if amp is not None:
            cost += p.impressions_per_kyuan / 1e6 * -float(amp.pi or 0.0)
        out[p.index] = p.seg_roi[0] - cost
    return out


def _initial_active(response: ResponseModel, campaign: Campaign) -> set[int]:
    """Best purchases first until their capacity covers the budget twice over."""
    fixed = sum(sum(f.day_spend.values()) for f in response.fixed)
    target = 2.0 * max(campaign.budget / KYUAN - fixed, 0.0)
    active = {p.index for p in response.purchases if p.is_content_service}
    covered = 0.0
    for p in sorted(response.purchases, key=lambda p: -p.seg_roi[0]):
        if covered >= target:
            break
        active.add(p.index)
        covered += p.capacity
    return active


def _sifting_relaxation(response: ResponseModel, campaign: Campaign, backend: str,
                        started: float) -> tuple[float | None, set[int]]:
    """The LP relaxation over every purchase, solved on a growing active set."""
    active = _initial_active(response, campaign)
    if not response.purchases:
        return 0.0, active
    while True:
        model = build_model(response, campaign, active=active, relaxed=True)
        time_left = campaign.solver.time_limit_s - (time.perf_counter() - started)
        proven, bound = _solve_once(model, backend, campaign, time_left)
        entering = {
            index for index, cost in _reduced_costs(response, model).items()
            if cost > 1e-7 and index not in active
        }
        if not entering:
            return (bound if proven else None), active
        if time.perf_counter() - started > campaign.solver.time_limit_s:
            return None, active | entering  # out of time: no proven bound
        active |= entering


def budget_only_bound(response: ResponseModel, campaign: Campaign) -> float:
    """A bound that needs no solver: the best segments that fit in the budget.

    Dropping every rule but the budget can only raise the optimum, and with a
    single budget row the best segments first are that relaxation's optimum.
    """
    left = campaign.budget / KYUAN - sum(sum(f.day_spend.values()) for f in response.fixed)
    segments = sorted(
        ((roi, width) for p in response.purchases
         for roi, width in zip(p.seg_roi, p.seg_width, strict=True)),
        reverse=True,
    )
    bound = 0.0
    for roi, width in segments:
        if left <= 0:
            break
        take = min(width, left)
        bound += roi * take
        left -= take
    return bound


def _price_with_choices_fixed(model: AllocationModel, response: ResponseModel,
                              campaign: Campaign, backend: str, started: float) -> set[int]:
    """Purchases outside the active set that pay once the binaries are fixed as chosen."""
    for var in model.order_on.values():
        value = round(var.value() or 0.0)
        var.cat = pulp.LpContinuous
        var.lowBound = var.upBound = value
    time_left = campaign.solver.time_limit_s - (time.perf_counter() - started)
    _solve_once(model, backend, campaign, time_left)
    chosen = {p.index for p in model.purchases}
    return {
        index for index, cost in _reduced_costs(response, model).items()
        if cost > 1e-7 and index not in chosen
    }


def _solve_discrete(response: ResponseModel, campaign: Campaign, *, backend: str,
                    started: float, active: set[int] | None, flat: bool,
                    lp_bound: float | None, limit: float | None = None) -> SolveResult:
    """Minimum orders and one-shot content service on the active set (lazy binaries)."""
    deadline = campaign.solver.time_limit_s if limit is None else limit
    lazy: set[int] = set()
    iterations = 0
    proven = True
    solver_bound: float | None = None
    while True:
        iterations += 1
        model = build_model(response, campaign, flat=flat, lazy=lazy, active=active)
        if not model.purchases:
            return SolveResult("optimal", backend, {}, 0.0, 0.0, time.perf_counter() - started,
                               iterations, [], model)
        time_left = deadline - (time.perf_counter() - started)
        proven, solver_bound = _solve_once(model, backend, campaign, time_left)
        violations = _violations(model)
        if not violations:
            if active is None:
                break
            # With the discrete choices made, price every other purchase again: a small
            # budget can make the relaxation's favourites (content service) unaffordable.
            entering = _price_with_choices_fixed(model, response, campaign, backend, started)
            if not entering:
                break
            active = active | entering
            continue
        if time.perf_counter() - started > deadline:
            # Out of time with some purchases under their minimum: drop them (feasible,
            # not proven optimal) rather than hand out an order the tool would refuse.
            for index in violations:
                for v in model.seg_vars[index]:
                    v.varValue = 0.0
            proven = False
            break
        lazy |= violations
        if iterations >= 3:
            # Money left below most minimums makes the next-best purchase violate each
            # round: give binaries to a doubling batch of the best purchases as well.
            candidates = sorted(
                (p for p in model.purchases if p.index not in lazy and p.min_order > 0),
                key=lambda p: -p.seg_roi[0],
            )
            lazy |= {p.index for p in candidates[: 2 ** iterations]}
    spend = {p.index: sum(v.value() or 0.0 for v in model.seg_vars[p.index])
             for p in model.purchases}
    objective = sum(
        (v.value() or 0.0) * roi
        for p in model.purchases
        for v, roi in zip(model.seg_vars[p.index], p.seg_roi, strict=True)
    )
    # The sifting LP covers every purchase, so it bounds the full model; a model over
    # every purchase (flat or full) proves its own bound. Without either, nothing is proven.
    bound = lp_bound if active is not None else solver_bound
    if bound is None:
        proven = False
        bound = budget_only_bound(response, campaign)
    within_gap = bound - objective <= campaign.solver.relative_gap * max(bound, 1e-9) + 1e-6
    return SolveResult(
        status="optimal" if proven and within_gap else "feasible",
        solver=backend,
        spend=spend,
        objective=objective,
        bound=max(bound, objective),
        seconds=time.perf_counter() - started,
        iterations=iterations,
        tight=_tight(model),
        model=model,
    )


def explain_infeasibility(response: ResponseModel, campaign: Campaign) -> InfeasibleError:
    """Name the rules in conflict: commitments are fixed, so find the limits they break.

    Buying nothing new satisfies every rule except those the commitments (and KOL
    fees) already break, so an elastic version of the model, with a slack on each
    named limit, shows exactly which limits and by how much.
    """
    model = build_model(response, campaign)
    problem = pulp.LpProblem("elastic", pulp.LpMinimize)
    slacks: dict[str, pulp.LpVariable] = {}
    for name, constraint in model.constraints.items():
        expr = constraint.expr.copy()
        if model.family_of[name] not in ("min_order", "cs_excludes_dou_plus"):
            slack = problem.add_variable(f"slack_{name}", lowBound=0)
            slacks[name] = slack
            expr.addterm(slack, -1.0 if constraint.sense == pulp.LpConstraintLE else 1.0)
        rhs = constraint.expr.constant - constraint.constant
        problem.addConstraint(
            pulp.LpConstraint(expr, sense=constraint.sense, rhs=rhs), name=name
        )
    problem.setObjective(pulp.lpSum(slacks.values()))
    _silence_highs_banner()
    problem.solve(pulp.HiGHS(msg=False, threads=1))
    conflicts = []
    for name, slack in slacks.items():
        amount = (slack.value() or 0.0) * KYUAN
        if amount > 0.5:
            conflicts.append(f"{model.describe[name]}: short by {amount:,.0f} yuan")
    committed = sum(sum(f.day_spend.values()) for f in response.fixed) * KYUAN
    if committed:
        conflicts.append(f"fixed commitments total {committed:,.0f} yuan and cannot change")
    return InfeasibleError(
        f"Campaign '{campaign.name}' cannot satisfy all its rules at once.", conflicts
    )
