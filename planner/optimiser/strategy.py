# Long on purpose: sifting, the discrete model, repair and proof share one solve's state.
"""The solving strategy: sifting LP bound, lazy discrete rounds, repair and proof.

See the package docstring for why it is fast; this module decides which
purchases each model carries, when a relaxation settles the discrete
choices, and how the plan's status and bound are reported.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

import numpy as np

from planner.config import Campaign
from planner.errors import InfeasibleError, SolverError
from planner.models import Line
from planner.optimiser.backends import (
    SOLVER_SECONDS,
    Infeasible,
    OutOfTime,
    finite,
    pulp_solver,
    solve_once,
    to_pulp,
)
from planner.optimiser.model import (
    BASIS_BASIC,
    BASIS_LOWER,
    INF,
    NEVER_BINDING,
    TOL,
    AllocationModel,
    Bools,
    Coupling,
    Floats,
    Ints,
    budget_row,
    build_model,
    coupling,
    fixed_total,
    line_prefix,
    reweighed_risk,
    risk_weight,
    share_floor,
    share_limit,
    without_risk,
)
from planner.pressure_tests import PressureTests, pressure_tests
from planner.response import KYUAN, ResponseModel

# Up to this many purchases, a loose sifting bound is replaced by a proof over all of them.
FULL_PROOF_PURCHASES = 6000
# The proof's work: branch-and-bound nodes per discrete round, not seconds, so that a
# machine under load proves (or gives up on) the same plans as an idle one. On this
# two-core machine the proofs the tests reach take 0.05-0.3 s (measured 2026-12).
FULL_PROOF_NODES = 1000
# Only a safety net, for a model whose root alone is slow: a proof cut by it is not
# reproducible across machines, and the plan stays "feasible", as the status says.
FULL_PROOF_SECONDS = 10.0
# Purchases the relaxation leaves unbought join the discrete model when their reduced cost
# is within this share of their ROI (the rest wait for the pricing after the solve).
SHORTLIST_SHARE = 0.05
# A sifting round adds at most as many purchases as it carried, or SIFTING_BATCH when that
# is more, the best paying first: early duals are rough, and at 20,000 videos they let
# 190,000 purchases in at once (a 4.8 s LP).
SIFTING_BATCH = 5_000
# LP rounds a repair of a few under-minimum purchases may take before a full discrete round.
REPAIR_ROUNDS = 5
# solver.time_limit_s is one deadline over the whole solve: once the plan has a feasible
# answer, each solver call gets only what is left and none starts after it. A call made
# while there is no answer yet gets at least this long, past the limit if need be (a limit
# so short that no plan exists helps nobody); the plan then says it overran, and by how much.
FIRST_PLAN_SECONDS = 1.0


# ---------------------------------------------------------------- backends


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
    notes: list[Line] = field(default_factory=list)  # e.g. a solver fallback
    solver_seconds: float = 0.0  # inside the backends; the rest is model building
    active: set[int] = field(default_factory=set)  # purchases the final model carried
    relaxation: AllocationModel | None = None  # the sifting LP's final model, with its basis
    stopped: bool = False  # solver.time_limit_s ended the search before it proved the plan

    def for_next_solve(self) -> SolveResult:
        """This result as a later solve's ``warm`` start, its models without their
        coefficients (``AllocationModel.without_coefficients``): what a planner keeps
        once the plan is laid out."""
        relaxation = self.relaxation
        return replace(self, model=self.model.without_coefficients(),
                       relaxation=None if relaxation is None
                       else relaxation.without_coefficients())



def _coupling_for(response: ResponseModel, campaign: Campaign,
                  warm: SolveResult | None) -> Coupling:
    """The coupling rows and arrays, lent by ``warm`` when only the budget or the risk
    attitude differs.

    Of all the coupling families only ``add_budget``, ``add_phase_budgets`` and
    ``add_concentration`` read the budget (the budget row, and the share-of-budget rows'
    limits), so
    another budget for the same response (the next 10,000 yuan, a budget
    curve) re-writes those rows and shares the rest (1.5 s at 20,000 videos). Another
    risk attitude with risk rows (balanced and cautious) only weighs the same rows
    otherwise (``reweighed_risk``).
    """
    if warm is None:
        return coupling(response, campaign)
    known = warm.model.coupling
    if known.purchases is not response.purchases or known.campaign.model_copy(
            update={"budget": campaign.budget, "risk": campaign.risk}) != campaign:
        return coupling(response, campaign)
    if known.campaign.risk != campaign.risk:
        same_scenarios = known.campaign.risk.model_copy(
            update={"objective": campaign.risk.objective}) == campaign.risk
        if not same_scenarios:
            return coupling(response, campaign)
        reweighed = reweighed_risk(known, campaign)
        if reweighed is not None:
            known = reweighed
        elif known.risk is not None and risk_weight(campaign) <= 0:
            known = without_risk(known)  # expected: the plan's rows but the scenarios'
        else:
            # Risk rows for a coupling written without them: the rows are written again,
            # but what the coupling read of each purchase is the same.
            return coupling(response, campaign, like=known)
    # Names and families never change after coupling(): only the two rewritten lists are
    # copied, so the earlier solve keeps its own rows.
    rows = replace(known.rows, limits=list(known.rows.limits), upper=list(known.rows.upper))
    row = rows.names.index("budget")
    rows.limits[row], rows.upper[row] = budget_row(response, campaign)
    for row, share, booked in known.shares_of_budget:
        rows.upper[row] = share_limit(share, booked, campaign)
    if known.share_floors:
        rows.lower = list(known.rows.lower)
        for row, share, booked in known.share_floors:
            rows.lower[row] = share_floor(share, booked, campaign)
    # The pressure tests are a share of the budget: chosen again for this one.
    tests = (pressure_tests(response, campaign, campaign.budget / KYUAN
                            - fixed_total(response), known.test_basis)
             if known.test_basis is not None else known.tests)
    return replace(known, rows=rows, campaign=campaign, tests=tests)



# ---------------------------------------------------------------- reading a solution


def _violations(model: AllocationModel) -> set[int]:
    """Purchases that buy something but less than their minimum order."""
    short = model.under_minimum()
    purchases = model.coupling.purchases
    return {
        purchases[pos].index for pos in model.active[short].tolist() if pos not in model.on_col
    }


def _tight(model: AllocationModel) -> list[str]:
    rows = model.coupling.rows
    activity = model.row_activity()
    names = []
    for i, name in enumerate(rows.names):
        if rows.families[i] in NEVER_BINDING:
            continue  # definitions hold by construction, scenario rows limit nobody
        limit = rows.upper[i] if math.isinf(rows.lower[i]) else rows.lower[i]
        if abs(activity[i] - limit) <= 1e-6 * max(1.0, abs(limit)):
            names.append(name)
    return names


def _reduced_costs(model: AllocationModel) -> Floats:
    """Reduced cost of each purchase's best segment, priced with the coupling rows' duals.

    Rows the pricing leaves out (exclusivity, minimum orders) only subtract, so
    leaving them out can add a purchase that was not needed but never stops early.
    """
    couple = model.coupling
    if model.duals is None:
        # No duals (a backend that gives none): every purchase may pay.
        return np.where(np.isfinite(couple.best_roi), INF, -INF).astype(np.float64)
    values = couple.pattern_value * model.duals[couple.pattern_row]
    # The GMV rows' entries (one a purchase, each its own row's) are summed apart: the same
    # sums as over every entry with the others 0, without sweeping them again.
    scaled = couple.scaled_at
    gmv = np.bincount(couple.scaled_of, weights=values[scaled],
                      minlength=len(couple.pattern_start) - 1)
    values[scaled] = 0.0
    price = _per_purchase(values, couple.pattern_start)
    # A GMV row prices each segment by its own ROI: the reduced cost is linear in the
    # segment's ROI, so the best segment is the first or the last one.
    slope = couple.expected_weight * couple.preference - gmv
    roi = np.where(slope >= 0, couple.best_roi, couple.worst_roi)
    return np.where(np.isfinite(roi), roi * slope - price, -INF)


def _per_purchase(entries: Floats, start: Ints) -> Floats:
    """The sum of each purchase's entries (``start``: where each begins, and the end)."""
    summed = np.zeros(len(start) - 1)
    # Over the purchases with entries only: reduceat reads an empty range as its first
    # entry, and between two of them each range ends where the next one starts.
    some = start[1:] > start[:-1]
    if some.any():
        summed[some] = np.add.reduceat(entries, start[:-1][some])
    return summed


def _entering(model: AllocationModel, chosen: Iterable[int],
              most: int | None = None) -> set[int]:
    """Purchase indices outside ``chosen`` whose best segment pays at the current duals
    (``most``: only that many, the best paying first)."""
    reduced = _reduced_costs(model)
    candidates = np.flatnonzero(reduced > 1e-7)
    # The model may carry more than was chosen (a learning line is carried whole).
    taken = set(chosen) | set(model.indices)
    couple = model.coupling
    outside = candidates[~np.isin(couple.indices[candidates],
                                  np.fromiter(taken, np.int64, len(taken)))]
    if most is not None and len(outside) > most:
        outside = outside[np.argsort(-reduced[outside], kind="stable")[:most]]
    return set(couple.indices[outside].tolist())


# ---------------------------------------------------------------- the solve


def solve(response: ResponseModel, campaign: Campaign, *, flat: bool = False,
          backend: str | None = None, warm: SolveResult | None = None) -> SolveResult:
    """Solve the plan: sifting LP bound, then the discrete model on the active set.

    The configured backend is tried first and the other one after it, so a
    missing or crashing solver falls back and the plan names the one used.
    ``warm`` is an earlier solve of the same response (another budget, say):
    its purchases seed the active set and its relaxation's basis starts the
    simplex, which only changes how fast the optimum is found.

    ``solver.time_limit_s`` is a deadline over the whole solve (see
    FIRST_PLAN_SECONDS): when it ends the search, the best feasible answer found
    is returned as ``feasible`` against a valid bound, with a ``time_limit``
    note; only when there is none does the buyer get the error with the fix.
    """
    started = time.perf_counter()
    SOLVER_SECONDS.set(0.0)
    chosen = backend or campaign.solver.backend
    backends = [chosen] + [b for b in ("highs", "cbc") if b != chosen]
    failures: list[str] = []
    timed_out = False  # a backend stopped at the limit (not broken: only slow)
    shared = _coupling_for(response, campaign, warm)
    notes: list[Line] = []
    for name in backends:
        try:
            try:
                result = _solve_with(response, campaign, name, started, flat, shared, warm)
            except Infeasible:
                if not shared.tests.spend:
                    raise
                # The pressure tests broke a rule (a tool's budget cap, a seeding share):
                # the plan goes without them, and says so.
                notes.append(Line(code="tests_dropped", params={
                    "tests": len(shared.tests.value),
                    "spend": round(sum(shared.tests.spend.values()) * KYUAN)}))
                shared = replace(shared, tests=PressureTests())
                result = _solve_with(response, campaign, name, started, flat, shared, warm)
        except Infeasible:
            raise explain_infeasibility(response, campaign, shared) from None
        except Exception as exc:
            # A missing or crashing backend must not end the plan: try the other one, and
            # tell the buyer which one failed and why.
            failures.append(f"{name} ({type(exc).__name__}: {exc})")
            timed_out = timed_out or isinstance(exc, OutOfTime)
            if isinstance(exc, OutOfTime) and _time_left(campaign, started) <= 0:
                break  # not broken, only slow: the other backend (CBC via PuLP) is slower
            continue
        result.solver_seconds = SOLVER_SECONDS.get()
        result.seconds = time.perf_counter() - started
        result.notes.extend(notes)
        if failures:
            result.notes.append(Line(code="solver_fallback",
                                     params={"failures": "; ".join(failures), "solver": name}))
        if result.status != "optimal" and _time_left(campaign, started) <= 0:
            # Not proven, and more time was what it lacked: say so (planner.jobs.plan
            # turns this note into the warning with the fix).
            result.stopped = True
            result.notes.append(Line(code="time_limit", params={
                "limit": f"{campaign.solver.time_limit_s:g}"}))
        return result
    limit = campaign.solver.time_limit_s
    out_of_time = time.perf_counter() - started >= limit or timed_out
    if out_of_time:
        videos = len(response.purchases.videos)
        raise SolverError.of("out_of_time", limit=f"{limit:g}", videos=f"{videos:,}",
                             failures="; ".join(failures))
    raise SolverError.of("no_backend", failures="; ".join(failures))


def _solve_with(response: ResponseModel, campaign: Campaign, backend: str, started: float,
                flat: bool, shared: Coupling, warm: SolveResult | None) -> SolveResult:
    if flat:
        return _solve_discrete(response, campaign, shared, backend=backend, started=started,
                               active=None, flat=True, lp_bound=None)
    bound, shortlist, in_play, relaxation = _sifting_relaxation(
        response, campaign, shared, backend, started, warm)
    result = _solve_discrete(response, campaign, shared, backend=backend, started=started,
                             active=shortlist, flat=False, lp_bound=bound, lazy=in_play,
                             relaxation=relaxation)
    result.relaxation = relaxation
    out_of_time = _time_left(campaign, started) <= 0
    if result.status == "optimal" or out_of_time or len(response.purchases) > FULL_PROOF_PURCHASES:
        return result
    # The relaxation is loose here (typically a budget near the content-service minimum):
    # a model over every purchase is small enough to prove the plan.
    try:
        full = _solve_discrete(response, campaign, shared, backend=backend, started=started,
                               active=None, flat=False, lp_bound=None, have_plan=True,
                               limit=min(campaign.solver.time_limit_s,
                                         time.perf_counter() - started + FULL_PROOF_SECONDS),
                               max_nodes=FULL_PROOF_NODES)
    except SolverError:
        return result  # the proof found nothing within its work: the plan stands, unproven
    best = full if full.objective >= result.objective else result
    # Both bounds are valid for the full model: keep the tighter one. The proof over every
    # purchase often closes the gap even when it runs out of time (its root bound is
    # tighter than the sifting LP's), and a plan within the gap of a valid bound is optimal.
    best.bound = max(best.objective, min(full.bound, result.bound))
    if full.status == "optimal" or _gap_closed(best.objective, best.bound, campaign):
        best.status = "optimal"
    return best


def _initial_active(response: ResponseModel, campaign: Campaign, shared: Coupling,
                    warm: set[int] | None, tests: Iterable[int] = ()) -> set[int]:
    """Best purchases first until their capacity covers the budget twice over, and the
    best of each side of the balance until it covers what the seeding share asks of it.

    A first round without enough harvesting to meet a seeding cap (or seeding for a
    seeding floor) is infeasible and falls back to every purchase at once, which a
    short time limit cannot solve: each side gets its share of the budget twice over.
    """
    budget = max(campaign.budget / KYUAN - fixed_total(response), 0.0)
    active = set(shared.indices[shared.content_service].tolist())
    active |= set(tests)  # the pressure tests: every model carries them
    active |= warm or set()
    purchases, best_first = shared.purchases, shared.best_first.tolist()
    s_min, s_max = campaign.balance.min_seeding_share, campaign.balance.max_seeding_share
    # KOL fees count as seeding: under a cap they alone may ask for this much harvesting.
    seeded = response.kol_fees + fixed_total(response, seeding=True)
    harvest_needed = max(0.0, ((1.0 - s_max) * seeded
                               - s_max * fixed_total(response, seeding=False)) / s_max
                         ) if 0.0 < s_max < 1.0 else 0.0
    for target, side in ((2.0 * budget, None), (2.0 * budget * s_min, True),
                         (2.0 * (budget * (1.0 - s_max) + harvest_needed), False)):
        covered = 0.0
        for position in best_first:
            if covered >= target:
                break
            p = purchases[position]
            if side is None or p.seeding is side:
                active.add(p.index)
                covered += p.capacity
    return active


def _doubled(shared: Coupling, active: set[int]) -> set[int]:
    """``active`` and as many more purchases again, the best first."""
    best_first = shared.indices[shared.best_first]
    outside = best_first[~np.isin(best_first, np.fromiter(active, np.int64, len(active)))]
    return active | set(outside[:max(len(active), 1)].tolist())


def _sifting_relaxation(
    response: ResponseModel, campaign: Campaign, shared: Coupling, backend: str,
    started: float, warm: SolveResult | None,
) -> tuple[float | None, set[int], set[int], AllocationModel | None]:
    """The LP relaxation over every purchase, solved on a growing active set.

    Returns the bound (None if not proven), the shortlist the discrete model
    starts from, and the purchases the relaxation leaves partly bought (their
    minimum-order binaries start on). Out of time, the last round solved stands
    (without a bound); only the first round may run past the limit.

    The learning rows (``Learning``) are generated as the LP needs them: only the
    purchases it buys have them, and when it buys one without, the same active set
    is solved again with the rows of its whole line (from the last basis). A purchase that buys
    nothing meets its rows at zero, so the final LP is the relaxation with every
    learning row, at the cost of the few hundred rows of what it buys instead of L
    rows per daily purchase of every line it carries (at 5,000 videos about 45,000
    rows, nearly all of them 0 >= 0).
    """
    previous = warm.relaxation if warm is not None else None
    seed = (warm.active if warm is not None else set()) | (
        set(previous.indices) if previous is not None else set())
    active = _initial_active(response, campaign, shared, seed, shared.tests.spend)
    if not response.purchases:
        return 0.0, active, set(), None
    solved: AllocationModel | None = None  # the last round with an answer
    priced: set[int] = set(previous.learn_col) if previous is not None else set()
    while True:
        model = build_model(response, campaign, active=active, relaxed=True, shared=shared,
                            priced=priced)
        if previous is not None:
            model.start_basis = _carry_basis(previous, model)
        previous = model
        try:
            proven, bound = solve_once(model, backend, campaign.solver,
                                       _allowed(campaign, started, solved is not None))
        except OutOfTime:
            if solved is None:
                raise
            return None, _shortlist(solved) | active, _in_play(solved), solved
        except Infeasible:
            # Too few purchases to meet a lower bound (a seeding-share cap needs harvesting,
            # and harvesting the seeding that builds its pool, say): the restricted model
            # proves nothing. Twice the purchases, best first, until every one is in: a
            # jump to every purchase at once is more than a short time limit can solve.
            if len(active) >= len(response.purchases):
                raise
            active, previous = _doubled(shared, active), None
            continue
        solved = model
        unpriced = _unpriced_learners(model)
        if unpriced and time.perf_counter() - started <= campaign.solver.time_limit_s:
            priced |= unpriced
            continue
        entering = _entering(model, active, most=max(len(active), SIFTING_BATCH))
        if not entering:
            return (bound if proven else None), _shortlist(model), _in_play(model), model
        if time.perf_counter() - started > campaign.solver.time_limit_s:
            # Out of time: no proven bound, and no time for the purchases that would enter
            # (each brings its whole line): the first plan comes from what this round bought.
            return None, _shortlist(model), _in_play(model), model
        active |= entering


def _unpriced_learners(model: AllocationModel) -> set[int]:
    """Purchases ``model`` buys that have a learning phase but no learning rows in it,
    with every other day of their lines (where their money moves next)."""
    learning = model.coupling.learning
    if learning is None:
        return set()
    bought = model.active[model.spend() > TOL]
    bought = bought[learning.cost[bought] > 0]
    if not len(bought) or set(bought.tolist()) <= set(model.learn_col):
        return set()
    # The whole line, not only a learning phase past the last day bought: priced a few
    # days at a time, the LP walked a line along one round per few days (a budget 10,000
    # yuan higher took 14 rounds at 200 videos, now 3; the relaxation is the same).
    whole = int(learning.day.max()) + 1
    return set(line_prefix(learning, bought, whole).tolist()) - set(model.learn_col)


def _shortlist(model: AllocationModel) -> set[int]:
    """The purchases the relaxation buys or nearly buys: the discrete model's start.

    Purchases the relaxation leaves at zero with a clearly negative reduced
    cost would only slow the discrete solve; if fixing the discrete choices
    makes one of them pay after all, the pricing after the solve brings it back.
    """
    couple = model.coupling
    positions = model.active
    reduced = _reduced_costs(model)[positions]
    bought = model.spend() > TOL
    near = reduced >= -SHORTLIST_SHARE * np.abs(couple.best_roi[positions])
    return set(couple.indices[positions[bought | near]].tolist())


def _in_play(model: AllocationModel) -> set[int]:
    """Purchases likely to end under their minimum order in the discrete model.

    Each lazy round re-solves the whole discrete model, so binaries up front
    for these save rounds: purchases the relaxation already buys below their
    minimum, and the marginal ones (a segment strictly between zero and its
    width), where the discrete model moves money first.
    """
    assert model.x is not None
    couple = model.coupling
    n_seg = int(model.col_start[-1])
    segs = model.x[:n_seg]
    inside = (segs > TOL) & (segs < model.col_upper[:n_seg] - 1e-6)
    marginal = np.zeros(n_seg + 1, dtype=np.int64)
    np.cumsum(inside, out=marginal[1:])
    has_inside = marginal[model.col_start[1:]] > marginal[model.col_start[:-1]]
    spent = model.spend()
    minimum = couple.min_order[model.active]
    chosen = (minimum > 0) & (spent > TOL) & (has_inside | (spent < minimum - 1e-6))
    return set(couple.indices[model.active[chosen]].tolist())


def budget_only_bound(response: ResponseModel, campaign: Campaign) -> float:
    """A bound that needs no solver: the best segments that fit in the budget.

    Dropping every rule but the budget can only raise the optimum, and with a
    single budget row the best segments first are that relaxation's optimum.
    """
    left = campaign.budget / KYUAN - fixed_total(response)
    segments = response.purchases.segments()
    # Best ROI first, the wider of two equal ones first.
    order = np.lexsort((-segments.width, -segments.roi))
    bound = 0.0
    for roi, width in zip(segments.roi[order].tolist(), segments.width[order].tolist(),
                          strict=True):
        if left <= 0:
            break
        take = min(width, left)
        bound += roi * take
        left -= take
    return bound


def _choices_fixed(model: AllocationModel,
                   relaxation: AllocationModel | None) -> AllocationModel:
    """A continuous copy of ``model`` with every binary fixed at its solution value."""
    assert model.x is not None
    on = np.array(sorted(model.on_col.values()), dtype=np.int64)
    fixed = _continuous_copy(model, relaxation)
    fixed.col_lower, fixed.col_upper = model.col_lower.copy(), model.col_upper.copy()
    fixed.col_lower[on] = fixed.col_upper[on] = np.round(model.x[on])
    return fixed


def _continuous_copy(model: AllocationModel,
                     relaxation: AllocationModel | None) -> AllocationModel:
    """``model`` with its binaries continuous and no solution, starting the simplex from
    ``relaxation``'s basis when there is one."""
    copy = replace(model, integer=np.zeros_like(model.integer), x=None, start=None,
                   basis=None, duals=None)
    if relaxation is not None:
        copy.start_basis = _carry_basis(relaxation, copy)
    return copy


def _price_with_choices_fixed(model: AllocationModel, campaign: Campaign, backend: str,
                              started: float, relaxation: AllocationModel | None) -> set[int]:
    """Purchases outside the active set that pay once the binaries are fixed as chosen."""
    fixed = _choices_fixed(model, relaxation)
    time_left = campaign.solver.time_limit_s - (time.perf_counter() - started)
    solve_once(fixed, backend, campaign.solver, time_left)
    return _entering(fixed, model.indices)


def _repair(model: AllocationModel, violations: set[int], campaign: Campaign, backend: str,
            started: float, relaxation: AllocationModel | None) -> AllocationModel | None:
    """The discrete answer with its few purchases under their minimum dropped.

    The choices made stay fixed, the dropped purchases' money is re-spent by an
    LP (from the last basis), and any purchase that re-spending leaves under its
    minimum is dropped in turn. Much cheaper than another round of the whole
    discrete model; the caller keeps it only if it is within the gap of the
    bound, so the plan's status stays honest. None if it does not settle.
    """
    fixed = _choices_fixed(model, relaxation)
    dropped = set(violations)
    for _ in range(REPAIR_ROUNDS):
        fixed.col_upper[fixed.segment_columns(_model_positions(fixed, dropped))] = 0.0
        time_left = campaign.solver.time_limit_s - (time.perf_counter() - started)
        solve_once(fixed, backend, campaign.solver, time_left)
        more = _violations(fixed)
        if not more:
            return fixed
        dropped |= more
        fixed.start_basis = fixed.basis
    return None


def _solve_discrete(response: ResponseModel, campaign: Campaign, shared: Coupling, *,
                    backend: str, started: float, active: set[int] | None, flat: bool,
                    lp_bound: float | None, limit: float | None = None,
                    lazy: set[int] | None = None,
                    relaxation: AllocationModel | None = None,
                    have_plan: bool = False, max_nodes: int | None = None) -> SolveResult:
    """Minimum orders and one-shot content service on the active set (lazy binaries,
    starting with ``lazy``).

    The best feasible answer so far is kept (the relaxation rounded, a solver's
    incumbent with its under-minimum purchases dropped, a repair): when the
    deadline comes, it is the answer, not proven. ``have_plan`` says the caller
    holds a plan already, so no call here may run past the deadline; ``max_nodes``
    limits each branch and bound's work.
    """
    deadline = campaign.solver.time_limit_s if limit is None else limit
    lazy = set(lazy or ())
    iterations = 0
    proven = True
    solver_bound: float | None = None
    previous: AllocationModel | None = None
    best = _rounded(relaxation) if relaxation is not None else None

    def allowed() -> float:
        left = deadline - (time.perf_counter() - started)
        return left if have_plan or best is not None else max(left, FIRST_PLAN_SECONDS)

    while True:
        if best is not None and deadline - (time.perf_counter() - started) <= 0:
            model, proven = best, False  # out of time: the best answer found stands
            break
        iterations += 1
        model = build_model(response, campaign, flat=flat, lazy=lazy, active=active,
                            shared=shared)
        if previous is not None:
            model.start = _start_from(previous, model)
        if not len(model.active):
            model.x = np.zeros(model.num_cols)
            return SolveResult("optimal", backend, {}, 0.0, 0.0, time.perf_counter() - started,
                               iterations, [], model)
        try:
            solver_bound = _settled_relaxation(model, relaxation, backend, campaign, allowed(),
                                               lp_bound)
            proven = solver_bound is not None
            if solver_bound is None:
                proven, solver_bound = solve_once(
                    model, backend, campaign.solver, allowed(), max_nodes=max_nodes,
                    good_enough=_good_enough(lp_bound, campaign) if active is not None else None)
            violations = _violations(model)
            best = _better(best, _dropped(model, violations) if violations else model)
            in_time = deadline - (time.perf_counter() - started) > 0
            if violations and active is not None and lp_bound is not None and in_time:
                repaired = _repair(model, violations, campaign, backend, started, relaxation)
                if repaired is not None:
                    best = _better(best, repaired)
                if repaired is not None and _within_gap(repaired, lp_bound, campaign):
                    # Its LP already has the choices fixed: price the rest with its duals.
                    entering = _entering(repaired, model.indices)
                    if not entering:
                        model = repaired
                        break
                    active = active | entering
                    continue
            if not violations:
                if active is None:
                    break
                if not in_time:
                    assert best is not None  # this answer at least
                    model, proven = best, False  # no time to price the purchases left out
                    break
                # With the discrete choices made, price every other purchase again: a small
                # budget can make the relaxation's favourites (content service) unaffordable.
                entering = _price_with_choices_fixed(
                    model, campaign, backend, started,
                    model if model.basis is not None else relaxation)
                if not entering:
                    break
                active = active | entering
                continue
        except OutOfTime:
            if best is None:
                raise
            model, proven = best, False
            break
        lazy |= violations
        previous = model
        if iterations >= 3:
            # Money left below most minimums makes the next-best purchase violate each
            # round: give binaries to a doubling batch of the best purchases as well.
            candidates = sorted(
                (p for p in model.purchases if p.index not in lazy and p.min_order > 0),
                key=lambda p: -p.seg_roi[0],
            )
            lazy |= {p.index for p in candidates[: 2 ** iterations]}
    assert model.x is not None
    spent = model.spend()
    spend = dict(zip(model.indices, spent.tolist(), strict=True))
    objective = float(model.cost @ model.x)
    # The sifting LP covers every purchase, so it bounds the full model; a model over
    # every purchase (flat or full) proves its own bound. Without either, nothing is proven.
    bound = lp_bound if active is not None else solver_bound
    if bound is None:
        proven = False
        bound = budget_only_bound(response, campaign)
    within_gap = _within_gap(model, bound, campaign)
    # Any answer within the gap of the sifting LP's proven bound is proven, cut short or not.
    proven = proven or (active is not None and lp_bound is not None)
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
        active=set(model.indices),
    )


def _time_left(campaign: Campaign, started: float) -> float:
    return campaign.solver.time_limit_s - (time.perf_counter() - started)


def _allowed(campaign: Campaign, started: float, have_plan: bool) -> float:
    """Seconds the next solver call may take: what is left of the deadline, and at least
    FIRST_PLAN_SECONDS while the plan has no answer yet."""
    left = _time_left(campaign, started)
    return left if have_plan else max(left, FIRST_PLAN_SECONDS)


def _better(best: AllocationModel | None,
            candidate: AllocationModel | None) -> AllocationModel | None:
    """The answer with more GMV of two feasible ones (either may be missing)."""
    if candidate is None or candidate.x is None:
        return best
    if best is None or best.x is None:
        return candidate
    return candidate if float(candidate.cost @ candidate.x) > float(best.cost @ best.x) else best


def _dropped(model: AllocationModel, violations: set[int]) -> AllocationModel | None:
    """``model``'s answer with the purchases bought under their minimum dropped, when that
    keeps every rule (dropping money can break a lower limit, a seeding share say)."""
    assert model.x is not None
    copy = replace(model, x=model.x.copy())
    assert copy.x is not None
    copy.x[copy.segment_columns(_model_positions(copy, violations))] = 0.0
    copy.x = copy.settle_aux(copy.x)
    return copy if _keeps_every_rule(copy) else None


def _rounded(relaxation: AllocationModel) -> AllocationModel | None:
    """The sifting LP's answer made discrete, when that keeps every rule: purchases bought
    under their minimum, or in an exclusivity row the rounding breaks, dropped; each on/off
    column set to whether its purchase buys. The first plan a solve has, before any MIP."""
    if relaxation.x is None:
        return None
    model = replace(relaxation, x=relaxation.x.copy())
    x = model.x
    assert x is not None
    owners = np.searchsorted(model.active, np.fromiter(model.on_col.keys(), dtype=np.int64,
                                                       count=len(model.on_col)))
    columns = np.fromiter(model.on_col.values(), dtype=np.int64, count=len(model.on_col))
    col_owner = np.repeat(np.arange(len(model.active)), np.diff(model.col_start))
    x[model.segment_columns(np.flatnonzero(model.under_minimum()))] = 0.0
    x[:] = model.settle_aux(x)
    _fit_upper_limits(model, col_owner)
    broken = _columns_of(model, _broken_discrete_rows(model, x))
    if len(broken):
        # Content service on where Dou+ runs: the Dou+ (whose segments are in the row) goes.
        x[model.segment_columns(np.unique(col_owner[broken[broken < len(col_owner)]]))] = 0.0
        x[:] = model.settle_aux(x)
    x[columns] = (model.spend()[owners] > TOL).astype(np.float64)
    return model if _keeps_every_rule(model) else None


def _fit_upper_limits(model: AllocationModel, col_owner: Ints) -> None:
    """Drop whole purchases, the lowest GMV per yuan first, from each coupling row that
    dropping others pushed over its upper limit (an audience pool that loses the seeding
    which built it, say). Dropping never adds spend, so a few passes settle; a row that
    still does not fit (or a lower limit now missed) fails the caller's check."""
    x = model.x
    assert x is not None
    upper = finite(model.coupling.rows.upper)
    entry_col = np.repeat(np.arange(model.num_cols), np.diff(model.a_start))
    segment = entry_col < len(col_owner)  # other columns are no purchase's to drop
    spent = model.spend()
    roi = model.coupling.seg_roi[model.col_key[: len(col_owner)]]
    gmv = np.bincount(col_owner, weights=roi * x[: len(col_owner)], minlength=len(spent))
    per_yuan = np.divide(gmv, spent, out=np.zeros_like(gmv), where=spent > TOL)
    for _ in range(REPAIR_ROUNDS):
        activity = model.row_activity()
        over = np.flatnonzero(activity > upper + 1e-6 * np.maximum(1.0, np.abs(upper)))
        if not len(over):
            return
        for row in over.tolist():
            mine = segment & (model.a_index == row) & (model.a_value > 0)
            load = np.bincount(col_owner[entry_col[mine]],
                               weights=model.a_value[mine] * x[entry_col[mine]],
                               minlength=len(spent))
            excess = float(model.row_activity()[row] - upper[row])  # after the rows before
            for k in sorted(np.flatnonzero(load > 0).tolist(), key=lambda k: per_yuan[k]):
                if excess <= 0:
                    break
                x[model.segment_columns(np.array([k], dtype=np.int64))] = 0.0
                excess -= load[k]
        # Dropped seeding shrinks the audience built: the pool rows read it next pass.
        x[:] = model.settle_aux(x)


def _keeps_every_rule(model: AllocationModel) -> bool:
    """``model.x`` is a plan the tools accept: every column, coupling row and discrete row
    within its limits (HiGHS's tolerance) and no purchase under its minimum order."""
    x = model.x
    assert x is not None
    if ((x < model.col_lower - 1e-6) | (x > model.col_upper + 1e-6)).any():
        return False
    rows = model.coupling.rows
    activity = model.row_activity()
    lower, upper = finite(rows.lower), finite(rows.upper)
    # Relative to the row's limit, loose enough for a solver's own answer after scaling.
    slack = 1e-5 * np.maximum(1.0, np.abs(np.where(np.isfinite(lower), lower, upper)))
    slack[~np.isfinite(slack)] = 1e-5
    if ((activity < lower - slack) | (activity > upper + slack)).any():
        return False
    return not len(_broken_discrete_rows(model, x)) and not model.under_minimum().any()


def _settled_relaxation(model: AllocationModel, relaxation: AllocationModel | None,
                        backend: str, campaign: Campaign, time_left: float,
                        lp_bound: float | None = None) -> float | None:
    """Answer the discrete model from its LP relaxation when that settles every choice.

    HiGHS's branch and bound starts by presolving and solving this model's LP
    relaxation cold (16 s of a 20,000-video plan); from the sifting LP's basis the
    same LP takes about a second. Its spending usually settles every on/off choice:
    a purchase it leaves at zero is off, one it buys at or above the minimum is on
    (the on/off columns cost nothing, so this rounding keeps its GMV). When the
    discrete rows still hold after it, the relaxation's optimum is the discrete
    optimum: it is kept in ``model.x`` and its value, the proven bound, returned.
    Otherwise (a purchase bought under its minimum, a broken exclusivity row) the
    unsettled purchases are switched off and the LP solved again from its basis
    (``_dive``); if that settles every choice within the gap of ``lp_bound`` (the
    sifting LP's bound over every purchase) it is the answer, proven within the
    gap. At 5,000 videos this replaced a 1 s branch and bound by two 0.05 s LPs
    per plan. Else the settled part becomes the branch and bound's starting
    point and None is returned.
    """
    if backend != "highs" or relaxation is None or relaxation.basis is None:
        return None
    if not model.on_col:
        return None
    relaxed = _continuous_copy(model, relaxation)
    try:
        solved, _ = solve_once(relaxed, backend, campaign.solver, time_left)
    except (Infeasible, SolverError):
        return None
    if not solved:
        return None  # cut short: its value bounds nothing
    assert relaxed.x is not None
    # The purchases with an on/off column, by model position, and that column.
    owners = np.searchsorted(model.active, np.fromiter(model.on_col.keys(), dtype=np.int64,
                                                       count=len(model.on_col)))
    columns = np.fromiter(model.on_col.values(), dtype=np.int64, count=len(model.on_col))
    x = relaxed.x.copy()
    x[columns] = (relaxed.spend()[owners] > TOL).astype(np.float64)
    unsettled = relaxed.under_minimum()[owners]
    unsettled |= np.isin(columns, _columns_of(model, _broken_discrete_rows(model, x)))
    if not unsettled.any():
        model.x = x
        model.basis = relaxed.basis  # where pricing with the choices fixed starts
        return float(relaxed.cost @ relaxed.x)
    if lp_bound is not None:
        dived = _dive(model, relaxed, owners, columns, unsettled, backend, campaign, time_left)
        if dived is not None and _gap_closed(float(model.cost @ dived), lp_bound, campaign):
            model.x = dived
            return float(model.cost @ dived)
    if model.start is None:
        # HiGHS checks a start and ignores one that breaks a row.
        x[model.segment_columns(owners[unsettled])] = 0.0
        x[columns[unsettled]] = 0.0
        model.start = model.settle_aux(x)
    return None


def _dive(model: AllocationModel, relaxed: AllocationModel, owners: Ints, columns: Ints,
          unsettled: Bools, backend: str, campaign: Campaign, time_left: float) -> Floats | None:
    """The relaxation with its unsettled choices made, solved again from its basis until
    every on/off choice settles: a point of the discrete model, or None.

    A purchase bought under its minimum is usually the budget's marginal one:
    switched off, its money only moves to the next marginal purchase. So one
    bought at half its minimum or more, and any after the first round, is
    raised to the minimum (the money comes from the least valuable segments
    elsewhere; content service raised shuts out Dou+ on its days); a smaller
    one is switched off.
    """
    # The model's own bounds stay as they are.
    relaxed.col_lower, relaxed.col_upper = relaxed.col_lower.copy(), relaxed.col_upper.copy()
    minimum = model.coupling.min_order[model.active[owners]]
    for round_ in range(REPAIR_ROUNDS):
        spent = relaxed.spend()[owners]
        # Past the first round the money of a purchase switched off went to another: raise it.
        raise_to_minimum = unsettled & ((spent >= 0.5 * minimum) | (round_ > 0))
        relaxed.col_upper[relaxed.segment_columns(owners[unsettled & ~raise_to_minimum])] = 0.0
        for k in np.flatnonzero(raise_to_minimum).tolist():
            first, last = int(relaxed.col_start[owners[k]]), int(relaxed.col_start[owners[k] + 1])
            widths = relaxed.col_upper[first:last]
            before = np.concatenate(([0.0], np.cumsum(widths)[:-1]))
            relaxed.col_lower[first:last] = np.clip(minimum[k] - before, 0.0, widths)
            # Content service on means no Dou+ on its video and days.
            excluded = _columns_of(model, _rows_with(model, int(columns[k]),
                                                     "cs_excludes_dou_plus"))
            relaxed.col_upper[excluded[excluded != columns[k]]] = 0.0
        relaxed.start_basis = relaxed.basis
        try:
            solved, _ = solve_once(relaxed, backend, campaign.solver, time_left)
        except (Infeasible, SolverError):
            return None
        if not solved:
            return None
        assert relaxed.x is not None
        x = relaxed.x.copy()
        x[columns] = (relaxed.spend()[owners] > TOL).astype(np.float64)
        unsettled = relaxed.under_minimum()[owners]
        unsettled |= np.isin(columns, _columns_of(model, _broken_discrete_rows(model, x)))
        if not unsettled.any():
            return x
    return None


def _rows_with(model: AllocationModel, column: int, family: str) -> Ints:
    """The discrete rows of ``family`` that ``column`` appears in."""
    rows = np.unique(_discrete_row_of_entry(model)[model.d_index == column])
    families = model.discrete.families
    return np.array([r for r in rows.tolist() if families[r] == family], dtype=np.int64)


def _broken_discrete_rows(model: AllocationModel, x: Floats) -> Ints:
    """The discrete rows ``x`` breaks (beyond HiGHS's feasibility tolerance)."""
    rows = model.discrete
    activity = np.bincount(_discrete_row_of_entry(model), weights=model.d_value * x[
        model.d_index], minlength=len(rows))
    broken = (activity < finite(rows.lower) - 1e-6) | (activity > finite(rows.upper) + 1e-6)
    return np.flatnonzero(broken)


def _columns_of(model: AllocationModel, rows: Ints) -> Ints:
    """Every column that appears in the given discrete rows."""
    return np.unique(model.d_index[np.isin(_discrete_row_of_entry(model), rows)])


def _discrete_row_of_entry(model: AllocationModel) -> Ints:
    return np.repeat(np.arange(len(model.discrete)), np.diff(model.d_start))


def _model_positions(model: AllocationModel, purchases: set[int]) -> Ints:
    """Model positions (0 .. active-1) of the purchases with these ``Purchase.index``."""
    return np.array([k for k, index in enumerate(model.indices) if index in purchases],
                    dtype=np.int64)


def _carry_basis(previous: AllocationModel, model: AllocationModel) -> tuple[Ints, Ints] | None:
    """The previous LP's basis on this model: the same columns and rows keep their status,
    new columns start at zero and new rows basic, so each sifting round goes on from the
    last optimum instead of starting the simplex over."""
    if previous.basis is None:
        return None
    old_cols, old_rows = previous.basis
    order = np.argsort(previous.col_key)
    keys = previous.col_key[order]
    where = np.searchsorted(keys, model.col_key).clip(0, max(len(keys) - 1, 0))
    found = keys[where] == model.col_key if len(keys) else np.zeros(model.num_cols, bool)
    cols = np.where(found, old_cols[order][where], BASIS_LOWER)
    n_coupling = len(model.coupling.rows)
    old_discrete = dict(zip(previous.discrete.names, old_rows[n_coupling:].tolist(),
                            strict=True))
    rows = np.concatenate([old_rows[:n_coupling], np.array(
        [old_discrete.get(name, BASIS_BASIC) for name in model.discrete.names], dtype=np.int64)])
    return cols, rows


def _start_from(previous: AllocationModel, model: AllocationModel) -> Floats | None:
    """The previous round's answer with its under-minimum purchases dropped.

    Only the binaries change between lazy rounds (same active set), so the
    segment columns line up; the new binaries start off. A start close to the
    optimum lets HiGHS stop as soon as its bound is within the gap.
    """
    if previous.x is None or not np.array_equal(previous.active, model.active):
        return None
    n_seg = int(model.col_start[-1])
    start = np.zeros(model.num_cols)
    start[:n_seg] = previous.x[:n_seg]
    start[model.segment_columns(np.flatnonzero(previous.under_minimum()))] = 0.0
    for pos, col in model.on_col.items():
        old = previous.on_col.get(pos)
        start[col] = 0.0 if old is None else round(float(previous.x[old]))
    return model.settle_aux(start)


def _good_enough(lp_bound: float | None, campaign: Campaign) -> float | None:
    """The GMV objective proven optimal by the sifting LP's bound over every purchase:
    within 90% of the campaign's gap below it (the rest leaves room for rounding).

    The shortlist's branch and bound knows only its own relaxation and its own, tighter
    search gap: on the sample at 500,000, 2,000,000 and 3,250,000 yuan it spent 5-40 s in
    root cuts proving answers that its start already had within the campaign's gap.
    """
    if lp_bound is None or lp_bound <= 0:
        return None
    return lp_bound * (1 - 0.9 * campaign.solver.relative_gap)


def _within_gap(model: AllocationModel, bound: float, campaign: Campaign) -> bool:
    assert model.x is not None
    return _gap_closed(float(model.cost @ model.x), bound, campaign)


def _gap_closed(objective: float, bound: float, campaign: Campaign) -> bool:
    """``objective`` is proven within the campaign's relative gap of the valid ``bound``."""
    return bound - objective <= campaign.solver.relative_gap * max(bound, 1e-9) + 1e-6


def explain_infeasibility(response: ResponseModel, campaign: Campaign,
                          shared: Coupling | None = None) -> InfeasibleError:
    """Name the rules in conflict: commitments are fixed, so find the limits they break.

    Buying nothing new satisfies every rule except those the commitments (and KOL
    fees) already break, so an elastic version of the model, with a slack on each
    named limit, shows exactly which limits and by how much.
    """
    model = build_model(response, campaign, shared=shared)
    form = to_pulp(model, elastic=True)
    for backend in ("highs", "cbc"):
        try:
            form.problem.solve(pulp_solver(backend, None, 60.0))
            break
        except Exception:  # noqa: S112 - the explanation tries the other backend
            continue
    limit_of = dict(zip(model.rows.names, model.rows.limits, strict=True))
    short = [(limit_of[name], amount) for name, slack in form.slacks.items()
             if (amount := (slack.value() or 0.0) * KYUAN) > 0.5]
    return InfeasibleError.of_limits(campaign.name, short, fixed_total(response) * KYUAN)
