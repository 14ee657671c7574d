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
from planner.i18n import t
from planner.models import Line
from planner.optimiser.backends import (
    SOLVER_SECONDS,
    Infeasible,
    finite,
    pulp_solver,
    solve_once,
    to_pulp,
)
from planner.optimiser.model import (
    _BASIC,
    _INF,
    _LOWER,
    _TOL,
    AllocationModel,
    Coupling,
    Floats,
    Ints,
    budget_row,
    build_model,
    coupling,
    fixed_total,
)
from planner.response import KYUAN, ResponseModel

# Up to this many purchases, a loose sifting bound is replaced by a proof over all of them.
FULL_PROOF_PURCHASES = 6000
FULL_PROOF_SECONDS = 2.0  # an interactive plan should not wait longer for the proof
# Purchases the relaxation leaves unbought join the discrete model when their reduced cost
# is within this share of their ROI (the rest wait for the pricing after the solve).
SHORTLIST_SHARE = 0.05
# LP rounds a repair of a few under-minimum purchases may take before a full discrete round.
REPAIR_ROUNDS = 5


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



def _coupling_for(response: ResponseModel, campaign: Campaign,
                  warm: SolveResult | None) -> Coupling:
    """The coupling rows and arrays, lent by ``warm`` when only the budget differs.

    Of all the coupling families only ``add_budget`` reads the budget, so
    another budget for the same response (the next 10,000 yuan, a budget
    curve) re-writes that one row and shares the rest (1.5 s at 20,000 videos).
    """
    if warm is None:
        return coupling(response, campaign)
    known = warm.model.coupling
    same_but_budget = known.campaign.model_copy(update={"budget": campaign.budget}) == campaign
    if known.purchases is not response.purchases or not same_but_budget:
        return coupling(response, campaign)
    # Names and families never change after coupling(): only the two rewritten lists are
    # copied, so the earlier solve keeps its own rows.
    rows = replace(known.rows, words=list(known.rows.words), upper=list(known.rows.upper))
    row = rows.names.index("budget")
    rows.words[row], rows.upper[row] = budget_row(response, campaign)
    return replace(known, rows=rows, campaign=campaign)



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
        return np.where(np.isfinite(couple.best_roi), _INF, -_INF).astype(np.float64)
    weighted = np.zeros(len(couple.pattern_row) + 1)
    np.cumsum(couple.pattern_value * model.duals[couple.pattern_row], out=weighted[1:])
    price = weighted[couple.pattern_start[1:]] - weighted[couple.pattern_start[:-1]]
    return couple.best_roi - price


def _entering(model: AllocationModel, chosen: Iterable[int]) -> set[int]:
    """Purchase indices outside ``chosen`` whose best segment pays at the current duals."""
    reduced = _reduced_costs(model)
    candidates = np.flatnonzero(reduced > 1e-7)
    taken = set(chosen)
    purchases = model.coupling.purchases
    return {purchases[i].index for i in candidates.tolist()} - taken


# ---------------------------------------------------------------- the solve


def solve(response: ResponseModel, campaign: Campaign, *, flat: bool = False,
          backend: str | None = None, warm: SolveResult | None = None) -> SolveResult:
    """Solve the plan: sifting LP bound, then the discrete model on the active set.

    The configured backend is tried first and the other one after it, so a
    missing or crashing solver falls back and the plan names the one used.
    ``warm`` is an earlier solve of the same response (another budget, say):
    its purchases seed the active set and its relaxation's basis starts the
    simplex, which only changes how fast the optimum is found.
    """
    started = time.perf_counter()
    SOLVER_SECONDS.set(0.0)
    chosen = backend or campaign.solver.backend
    backends = [chosen] + [b for b in ("highs", "cbc") if b != chosen]
    failures: list[str] = []
    shared = _coupling_for(response, campaign, warm)
    for name in backends:
        try:
            result = _solve_with(response, campaign, name, started, flat, shared, warm)
        except Infeasible:
            raise explain_infeasibility(response, campaign) from None
        except Exception as exc:
            # A missing or crashing backend must not end the plan: try the other one, and
            # tell the buyer which one failed and why.
            failures.append(t("error.solver.backend_failed", name=name,
                              detail=f"{type(exc).__name__}: {exc}"))
            continue
        result.solver_seconds = SOLVER_SECONDS.get()
        result.seconds = time.perf_counter() - started
        if failures:
            result.notes.append(Line(code="solver_fallback",
                                     params={"failures": "; ".join(failures), "solver": name}))
        return result
    limit = campaign.solver.time_limit_s
    out_of_time = time.perf_counter() - started >= limit or any(
        "time limit" in f.lower() or "not solved" in f.lower() for f in failures)
    if out_of_time:
        videos = len({p.video_id for p in response.purchases})
        raise SolverError(t("error.solver.out_of_time", limit=f"{limit:g}",
                            videos=f"{videos:,}", failures="; ".join(failures)))
    raise SolverError(t("error.solver.no_backend", failures="; ".join(failures)))


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
    out_of_time = time.perf_counter() - started > campaign.solver.time_limit_s
    if result.status == "optimal" or out_of_time or len(response.purchases) > FULL_PROOF_PURCHASES:
        return result
    # The relaxation is loose here (typically a budget near the content-service minimum):
    # a model over every purchase is small enough to prove the plan.
    full = _solve_discrete(response, campaign, shared, backend=backend, started=started,
                           active=None, flat=False, lp_bound=None,
                           limit=min(campaign.solver.time_limit_s,
                                     time.perf_counter() - started + FULL_PROOF_SECONDS))
    best = full if full.objective >= result.objective else result
    # Both bounds are valid for the full model: keep the tighter one. The proof over every
    # purchase often closes the gap even when it runs out of time (its root bound is
    # tighter than the sifting LP's), and a plan within the gap of a valid bound is optimal.
    best.bound = max(best.objective, min(full.bound, result.bound))
    if full.status == "optimal" or _gap_closed(best.objective, best.bound, campaign):
        best.status = "optimal"
    return best


def _initial_active(response: ResponseModel, campaign: Campaign,
                    warm: set[int] | None) -> set[int]:
    """Best purchases first until their capacity covers the budget twice over."""
    target = 2.0 * max(campaign.budget / KYUAN - fixed_total(response), 0.0)
    active = {p.index for p in response.purchases if p.is_content_service}
    active |= warm or set()
    covered = 0.0
    for p in sorted(response.purchases, key=lambda p: -p.seg_roi[0] if p.seg_roi else _INF):
        if covered >= target:
            break
        active.add(p.index)
        covered += p.capacity
    return active


def _sifting_relaxation(
    response: ResponseModel, campaign: Campaign, shared: Coupling, backend: str,
    started: float, warm: SolveResult | None,
) -> tuple[float | None, set[int], set[int], AllocationModel | None]:
    """The LP relaxation over every purchase, solved on a growing active set.

    Returns the bound (None if not proven), the shortlist the discrete model
    starts from, and the purchases the relaxation leaves partly bought (their
    minimum-order binaries start on).
    """
    previous = warm.relaxation if warm is not None else None
    seed = (warm.active if warm is not None else set()) | (
        {p.index for p in previous.purchases} if previous is not None else set())
    active = _initial_active(response, campaign, seed)
    if not response.purchases:
        return 0.0, active, set(), None
    while True:
        model = build_model(response, campaign, active=active, relaxed=True, shared=shared)
        if previous is not None:
            model.start_basis = _carry_basis(previous, model)
        previous = model
        time_left = campaign.solver.time_limit_s - (time.perf_counter() - started)
        try:
            proven, bound = solve_once(model, backend, campaign, time_left)
        except Infeasible:
            # Too few purchases to meet a lower bound (a seeding-share cap needs harvesting,
            # say): the restricted model proves nothing. Only every purchase can.
            everything = {p.index for p in response.purchases}
            if active >= everything:
                raise
            active, previous = everything, None
            continue
        entering = _entering(model, active)
        if not entering:
            return (bound if proven else None), _shortlist(model), _in_play(model), model
        if time.perf_counter() - started > campaign.solver.time_limit_s:
            # Out of time: no proven bound.
            return None, _shortlist(model) | entering, _in_play(model), model
        active |= entering


def _shortlist(model: AllocationModel) -> set[int]:
    """The purchases the relaxation buys or nearly buys: the discrete model's start.

    Purchases the relaxation leaves at zero with a clearly negative reduced
    cost would only slow the discrete solve; if fixing the discrete choices
    makes one of them pay after all, the pricing after the solve brings it back.
    """
    couple = model.coupling
    positions = model.active
    reduced = _reduced_costs(model)[positions]
    bought = model.spend() > _TOL
    near = reduced >= -SHORTLIST_SHARE * np.abs(couple.best_roi[positions])
    return {couple.purchases[i].index for i in positions[bought | near].tolist()}


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
    inside = (segs > _TOL) & (segs < model.col_upper[:n_seg] - 1e-6)
    marginal = np.zeros(n_seg + 1, dtype=np.int64)
    np.cumsum(inside, out=marginal[1:])
    has_inside = marginal[model.col_start[1:]] > marginal[model.col_start[:-1]]
    spent = model.spend()
    minimum = couple.min_order[model.active]
    chosen = (minimum > 0) & (spent > _TOL) & (has_inside | (spent < minimum - 1e-6))
    return {couple.purchases[i].index for i in model.active[chosen].tolist()}


def budget_only_bound(response: ResponseModel, campaign: Campaign) -> float:
    """A bound that needs no solver: the best segments that fit in the budget.

    Dropping every rule but the budget can only raise the optimum, and with a
    single budget row the best segments first are that relaxation's optimum.
    """
    left = campaign.budget / KYUAN - fixed_total(response)
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
    solve_once(fixed, backend, campaign, time_left)
    return _entering(fixed, (p.index for p in model.purchases))


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
        solve_once(fixed, backend, campaign, time_left)
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
                    relaxation: AllocationModel | None = None) -> SolveResult:
    """Minimum orders and one-shot content service on the active set (lazy binaries,
    starting with ``lazy``)."""
    deadline = campaign.solver.time_limit_s if limit is None else limit
    lazy = set(lazy or ())
    iterations = 0
    proven = True
    solver_bound: float | None = None
    previous: AllocationModel | None = None
    while True:
        iterations += 1
        model = build_model(response, campaign, flat=flat, lazy=lazy, active=active,
                            shared=shared)
        if previous is not None:
            model.start = _start_from(previous, model)
        if not len(model.active):
            model.x = np.zeros(model.num_cols)
            return SolveResult("optimal", backend, {}, 0.0, 0.0, time.perf_counter() - started,
                               iterations, [], model)
        time_left = deadline - (time.perf_counter() - started)
        solver_bound = _settled_relaxation(model, relaxation, backend, campaign, time_left)
        proven = solver_bound is not None
        if solver_bound is None:
            time_left = deadline - (time.perf_counter() - started)
            proven, solver_bound = solve_once(model, backend, campaign, time_left)
        violations = _violations(model)
        if violations and active is not None and lp_bound is not None:
            repaired = _repair(model, violations, campaign, backend, started, relaxation)
            if repaired is not None and _within_gap(repaired, lp_bound, campaign):
                # Its LP already has the choices fixed: price the rest with its duals.
                entering = _entering(repaired, (p.index for p in model.purchases))
                if not entering:
                    model = repaired
                    break
                active = active | entering
                continue
        if not violations:
            if active is None:
                break
            # With the discrete choices made, price every other purchase again: a small
            # budget can make the relaxation's favourites (content service) unaffordable.
            entering = _price_with_choices_fixed(model, campaign, backend, started, relaxation)
            if not entering:
                break
            active = active | entering
            continue
        if time.perf_counter() - started > deadline:
            # Out of time with some purchases under their minimum: drop them (feasible,
            # not proven optimal) rather than hand out an order the tool would refuse.
            assert model.x is not None
            model.x[model.segment_columns(_model_positions(model, violations))] = 0.0
            proven = False
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
    spend = {p.index: float(s) for p, s in zip(model.purchases, spent, strict=True)}
    objective = float(model.cost @ model.x)
    # The sifting LP covers every purchase, so it bounds the full model; a model over
    # every purchase (flat or full) proves its own bound. Without either, nothing is proven.
    bound = lp_bound if active is not None else solver_bound
    if bound is None:
        proven = False
        bound = budget_only_bound(response, campaign)
    within_gap = _within_gap(model, bound, campaign)
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
        active={p.index for p in model.purchases},
    )


def _settled_relaxation(model: AllocationModel, relaxation: AllocationModel | None,
                        backend: str, campaign: Campaign, time_left: float) -> float | None:
    """Answer the discrete model from its LP relaxation when that settles every choice.

    HiGHS's branch and bound starts by presolving and solving this model's LP
    relaxation cold (16 s of a 20,000-video plan); from the sifting LP's basis the
    same LP takes about a second. Its spending usually settles every on/off choice:
    a purchase it leaves at zero is off, one it buys at or above the minimum is on
    (the on/off columns cost nothing, so this rounding keeps its GMV). When the
    discrete rows still hold after it, the relaxation's optimum is the discrete
    optimum: it is kept in ``model.x`` and its value, the proven bound, returned.
    Otherwise (a purchase bought under its minimum, a broken exclusivity row) the
    settled part becomes the branch and bound's starting point and None is returned.
    """
    if backend != "highs" or relaxation is None or relaxation.basis is None:
        return None
    if not model.on_col:
        return None
    relaxed = _continuous_copy(model, relaxation)
    try:
        solved, _ = solve_once(relaxed, backend, campaign, time_left)
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
    x[columns] = (relaxed.spend()[owners] > _TOL).astype(np.float64)
    unsettled = relaxed.under_minimum()[owners]
    unsettled |= np.isin(columns, _columns_of(model, _broken_discrete_rows(model, x)))
    if not unsettled.any():
        model.x = x
        return float(relaxed.cost @ relaxed.x)
    if model.start is None:
        # HiGHS checks a start and ignores one that breaks a row.
        x[model.segment_columns(owners[unsettled])] = 0.0
        x[columns[unsettled]] = 0.0
        model.start = x
    return None


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
    return np.array([k for k, p in enumerate(model.purchases) if p.index in purchases],
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
    cols = np.where(found, old_cols[order][where], _LOWER)
    n_coupling = len(model.coupling.rows)
    old_discrete = dict(zip(previous.discrete.names, old_rows[n_coupling:].tolist(),
                            strict=True))
    rows = np.concatenate([old_rows[:n_coupling], np.array(
        [old_discrete.get(name, _BASIC) for name in model.discrete.names], dtype=np.int64)])
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
    return start


def _within_gap(model: AllocationModel, bound: float, campaign: Campaign) -> bool:
    assert model.x is not None
    return _gap_closed(float(model.cost @ model.x), bound, campaign)


def _gap_closed(objective: float, bound: float, campaign: Campaign) -> bool:
    """``objective`` is proven within the campaign's relative gap of the valid ``bound``."""
    return bound - objective <= campaign.solver.relative_gap * max(bound, 1e-9) + 1e-6


def explain_infeasibility(response: ResponseModel, campaign: Campaign) -> InfeasibleError:
    """Name the rules in conflict: commitments are fixed, so find the limits they break.

    Buying nothing new satisfies every rule except those the commitments (and KOL
    fees) already break, so an elastic version of the model, with a slack on each
    named limit, shows exactly which limits and by how much.
    """
    model = build_model(response, campaign)
    form = to_pulp(model, elastic=True)
    for backend in ("highs", "cbc"):
        try:
            form.problem.solve(pulp_solver(backend, None, 60.0))
            break
        except Exception:  # noqa: S112 - the explanation tries the other backend
            continue
    conflicts = []
    describe = dict(zip(model.rows.names, model.rows.words, strict=True))
    for name, slack in form.slacks.items():
        amount = (slack.value() or 0.0) * KYUAN
        if amount > 0.5:
            conflicts.append(t("error.infeasible.short", limit=describe[name],
                               amount=f"{amount:,.0f}"))
    committed = fixed_total(response) * KYUAN
    if committed:
        conflicts.append(t("error.infeasible.committed", amount=f"{committed:,.0f}"))
    return InfeasibleError(t("error.infeasible", campaign=campaign.name), conflicts)
