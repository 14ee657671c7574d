"""The solver back ends: HiGHS from arrays, and PuLP (CBC, and the explanation).

Each solve sets the model's solution, duals and basis; a time limit never
passes for a proof: only the solver's own optimal verdict counts, and a
solution cut short is kept only when the solver calls it feasible (a dual
simplex stopped early holds a point that breaks rows). The caller decides how
long each call may take (``planner.optimiser.strategy`` hands out what is left
of the plan's one deadline); a backend only refuses a limit of zero.
"""

from __future__ import annotations

import contextvars
import functools
import math
import os
import sys
import time
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from planner.config import SolverConfig
from planner.errors import SolverError
from planner.optimiser.model import (
    BASIS_BASIC,
    BASIS_LOWER,
    NEVER_BINDING,
    AllocationModel,
    Bools,
    Floats,
    Ints,
    Rows,
)

if TYPE_CHECKING:
    import pulp

# The shortest limit a backend is given: both read zero as "no time at all" or refuse it.
MIN_CALL_SECONDS = 0.01

# Seconds spent inside the solver backends during the current solve(): the rest of a
# solve is model building, which the benchmarks report separately.
SOLVER_SECONDS: contextvars.ContextVar[float] = contextvars.ContextVar(
    "solver_seconds", default=0.0
)


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


def pulp_solver(backend: str, settings: SolverConfig | None, time_left: float,
                max_nodes: int | None = None) -> pulp.LpSolver:
    """PuLP's own HiGHS or CBC interface, with the settings' search gap and a time limit
    (and, for CBC, a limit on branch-and-bound nodes)."""
    import pulp  # only the CBC fallback and the explanation need PuLP

    limit = max(MIN_CALL_SECONDS, time_left)
    gap = _search_gap(settings) if settings is not None else None
    if backend == "highs":
        _silence_highs_banner()
        return pulp.HiGHS(msg=False, timeLimit=limit, gapRel=gap, threads=1)
    with warnings.catch_warnings():
        # PuLP 3.3 flags its bundled CBC as moving to the pulp[cbc] extra in 4.0; the
        # dependency is pinned below 4, and the bundled binary is what we measured.
        warnings.simplefilter("ignore", DeprecationWarning)
        return pulp.PULP_CBC_CMD(msg=False, timeLimit=limit, gapRel=gap, maxNodes=max_nodes)


def _search_gap(settings: SolverConfig) -> float:
    """The gap the backends search to: a tenth of the one the plan is judged by.

    The plan's status compares its GMV with the sifting bound, so the backend's
    own stopping gap only decides how good the answer is: one stopping at the
    very edge of the configured gap (after a warm start, say) would hand the
    buyer a plan measurably worse than the plain MILP finds, at no saving.
    """
    return settings.relative_gap / 10


class Infeasible(Exception):
    pass


class OutOfTime(SolverError):
    """The backend stopped at its time limit before it had any answer that keeps every row."""


def solve_once(model: AllocationModel, backend: str, settings: SolverConfig,
               time_left: float, max_nodes: int | None = None,
               good_enough: float | None = None) -> tuple[bool, float | None]:
    """Solve; set ``model.x`` and ``model.duals``; return (proven optimal, proven bound).

    ``max_nodes`` limits a branch and bound by its work, not the clock: the same model
    stops at the same node on an idle machine and a loaded one. ``good_enough`` is an
    objective the caller has proven to be within its gap (from a bound the solver does
    not know): HiGHS stops at the first answer that reaches it.
    """
    tick = time.perf_counter()
    try:
        if backend == "highs":
            return _run_highs(model, settings, time_left, max_nodes, good_enough)
        return _run_pulp(model, backend, settings, time_left, max_nodes)
    finally:
        SOLVER_SECONDS.set(SOLVER_SECONDS.get() + time.perf_counter() - tick)


# HiGHS simplex_scale_strategy (1.16): 0 off, 1 choose, 2 equilibration (default), 3 forced
# equilibration, 4 max value.
SIMPLEX_SCALE_MAX_VALUE = 4


def _run_highs(model: AllocationModel, settings: SolverConfig, time_left: float,
               max_nodes: int | None = None,
               good_enough: float | None = None) -> tuple[bool, float | None]:
    """Hand the arrays to HiGHS: coupling rows by column, then the discrete rows by row.

    HiGHS minimises the negated GMV, so its row duals are negated to read as
    GMV per unit of each row's right-hand side.
    """
    import highspy

    _silence_highs_banner()
    rows = model.coupling.rows
    highs = highspy.Highs()  # type: ignore[no-untyped-call]
    highs.setOptionValue("output_flag", False)
    highs.setOptionValue("threads", 1)
    highs.setOptionValue("time_limit", max(MIN_CALL_SECONDS, time_left))
    highs.setOptionValue("mip_rel_gap", _search_gap(settings))
    if max_nodes is not None:
        highs.setOptionValue("mip_max_nodes", max_nodes)
    if good_enough is not None:
        highs.setOptionValue("objective_target", -good_enough)  # HiGHS minimises -GMV
    # The audience-pool rows (impressions in millions against thousand-yuan columns, long
    # dense rows) made equilibration scaling slow: at 5,000 videos the solves took 3.4 s
    # against 0.5-1.1 s with max-value scaling, neutral at 20,000; the same plans within
    # the gap (benchmarks/results/side_by_side.md).
    highs.setOptionValue("simplex_scale_strategy", SIMPLEX_SCALE_MAX_VALUE)
    given = _Given.of(model)
    a_start, a_index, a_value = given.matrix(model)
    highs.passModel(
        given.num_cols, given.num_rows, len(a_index), int(highspy.MatrixFormat.kColwise),
        int(highspy.ObjSense.kMinimize), 0.0, -model.cost[given.col],
        model.col_lower[given.col], model.col_upper[given.col],
        finite(rows.lower)[given.row], finite(rows.upper)[given.row],
        a_start[:-1].astype(np.int32), a_index.astype(np.int32), a_value,
        model.integer[given.col].astype(np.int32),
    )
    extra = model.discrete
    if len(extra):
        # The discrete rows read no auxiliary column, so they keep their column numbers.
        highs.addRows(len(extra), finite(extra.lower), finite(extra.upper),
                      len(model.d_index), model.d_start[:-1].astype(np.int32),
                      model.d_index.astype(np.int32), model.d_value)
    is_mip = bool(model.integer.any())
    if not is_mip and model.start_basis is not None:
        start = highspy.HighsBasis()
        statuses = list(highspy.HighsBasisStatus.__members__.values())
        col_status, row_status = given.basis(model.start_basis)
        start.col_status = [statuses[i] for i in col_status.tolist()]
        start.row_status = [statuses[i] for i in row_status.tolist()]
        start.valid = True
        # Columns that left the model leave too few basic variables: HiGHS completes such
        # an "alien" basis itself.
        start.alien = int((col_status == BASIS_BASIC).sum()
                          + (row_status == BASIS_BASIC).sum()) != len(start.row_status)
        highs.setBasis(start)  # HiGHS checks it and starts cold from one that does not fit
    if is_mip and model.start is not None:
        # With a feasible start the answer is improved, not found: HiGHS's RINS and RENS
        # sub-MIPs at the root then cost most of the search and rarely beat its own
        # branching (measured 2026-12 on the sample's hard budgets: 26 s -> 6 s and
        # 22 s -> 9 s CPU, each with an answer at least as good).
        highs.setOptionValue("mip_heuristic_run_rins", False)
        highs.setOptionValue("mip_heuristic_run_rens", False)
        highs.setSolution(given.num_cols, np.arange(given.num_cols, dtype=np.int32),
                          model.start[given.col])
    highs.run()
    status = highs.getModelStatus()
    if status == highspy.HighsModelStatus.kInfeasible:
        raise Infeasible
    solution = highs.getSolution()
    info = highs.getInfo()
    feasible = info.primal_solution_status == highspy.SolutionStatus.kSolutionStatusFeasible
    if not solution.value_valid or not feasible:
        # Stopped (time limit, say) before any point that keeps every row: nothing to use.
        failed = OutOfTime if status == highspy.HighsModelStatus.kTimeLimit else SolverError
        raise failed.of("status", backend="highs", status=highs.modelStatusToString(status))
    model.x = given.values(model, np.array(solution.col_value, dtype=np.float64))
    if not is_mip:
        basis = highs.getBasis()
        if basis.valid:
            model.basis = given.full_basis(
                model, np.array([int(b) for b in basis.col_status], dtype=np.int64),
                np.array([int(b) for b in basis.row_status], dtype=np.int64))
    model.duals = (given.duals(model, -np.array(solution.row_dual[: given.num_rows],
                                                dtype=np.float64))
                   if solution.dual_valid else None)
    # A time limit still leaves a solution: trust only HiGHS's own verdict.
    proven = status == highspy.HighsModelStatus.kOptimal
    value = -float(info.objective_function_value)
    bound = value if proven else math.nan
    if is_mip:
        dual_bound = -float(info.mip_dual_bound)
        if math.isfinite(dual_bound):
            bound = dual_bound
    return proven, (bound if math.isfinite(bound) else None)


# Entries of idle GMV columns below which every one is given: leaving out fewer saves
# HiGHS nothing measurable (the samples' 40 videos make 4,000 at most), and a model given
# whole keeps the duals HiGHS chooses.
IDLE_NONZEROS = 20_000


@dataclass(frozen=True)
class _Given:
    """The part of a model HiGHS is given: all of it but each video's GMV column (with the
    row defining it) while none of the video's purchases is in the model.

    Such a column is 0, but it carries an entry in every scenario row: at 5,000 videos the
    scenario block of the 2,000 videos with purchases on offer was two thirds of the
    nonzeros of a sifting LP that bought from 76 of them. Its row's dual, which prices the
    video's purchases, is the one that makes the column's reduced cost 0 (the column in
    the basis at 0, the row at its bound), so the pricing reads the scenario rows' duals
    through it as if the column were there.
    """

    col: Bools  # per model column: given
    row: Bools  # per coupling row: given
    idle: Ints  # the videos left out (their place in the risk block)

    @property
    def num_cols(self) -> int:
        return int(self.col.sum())

    @property
    def num_rows(self) -> int:
        return int(self.row.sum())

    @classmethod
    def of(cls, model: AllocationModel) -> _Given:
        couple = model.coupling
        col = np.ones(model.num_cols, dtype=bool)
        row = np.ones(len(couple.rows), dtype=bool)
        risk = couple.risk
        if risk is None:
            return cls(col=col, row=row, idle=np.zeros(0, dtype=np.int64))
        first_aux = model.num_cols - len(couple.aux_names)
        # Rows some purchase or learning column of the model has an entry in.
        used = np.zeros(len(row), dtype=bool)
        used[model.a_index[: int(model.a_start[first_aux])]] = True
        idle = np.flatnonzero(~used[couple.aux_defines[risk.gmv]])
        if len(idle) * (len(risk.tail_rows) + 1) < IDLE_NONZEROS:
            idle = idle[:0]
        col[first_aux + risk.gmv[idle]] = False
        row[couple.aux_defines[risk.gmv[idle]]] = False
        return cls(col=col, row=row, idle=idle)

    def matrix(self, model: AllocationModel) -> tuple[Ints, Ints, Floats]:
        """The coupling matrix by given column, its rows renumbered among the given ones."""
        if not len(self.idle):
            return model.a_start, model.a_index, model.a_value
        counts = np.diff(model.a_start)
        entry_col = np.repeat(self.col, counts)
        start = np.zeros(self.num_cols + 1, dtype=np.int64)
        np.cumsum(counts[self.col], out=start[1:])
        number = np.cumsum(self.row) - 1
        return start, number[model.a_index[entry_col]], model.a_value[entry_col]

    def basis(self, full: tuple[Ints, Ints]) -> tuple[Ints, Ints]:
        n_rows = len(self.row)
        return full[0][self.col], np.concatenate([full[1][:n_rows][self.row],
                                                  full[1][n_rows:]])

    def full_basis(self, model: AllocationModel, cols: Ints,
                   rows: Ints) -> tuple[Ints, Ints]:
        """HiGHS's basis on the whole model: a column left out basic (at 0), its row at
        its bound."""
        full_cols = np.full(model.num_cols, BASIS_BASIC, dtype=np.int64)
        full_cols[self.col] = cols
        n_given = self.num_rows
        full_rows = np.full(len(self.row), BASIS_LOWER, dtype=np.int64)
        full_rows[self.row] = rows[:n_given]
        return full_cols, np.concatenate([full_rows, rows[n_given:]])

    def values(self, model: AllocationModel, given: Floats) -> Floats:
        x = np.zeros(model.num_cols)
        x[self.col] = given
        return x

    def duals(self, model: AllocationModel, given: Floats) -> Floats:
        duals = np.zeros(len(self.row))
        duals[self.row] = given
        risk = model.coupling.risk
        if risk is None or not len(self.idle):
            return duals
        # A GMV column's reduced cost, its cost less its entries priced (1 in its own row,
        # its multiplier in each scenario row), is 0 with this dual of its own row.
        first_aux = model.num_cols - len(model.coupling.aux_names)
        cost = model.cost[first_aux + risk.gmv[self.idle]]
        priced = risk.multipliers[:, self.idle].T @ duals[risk.tail_rows]
        duals[model.coupling.aux_defines[risk.gmv[self.idle]]] = cost - priced
        return duals


def finite(bounds: list[float]) -> Floats:
    # HiGHS reads anything beyond 1e20 as infinite; numpy's inf passes through as well.
    return np.array(bounds, dtype=np.float64)


@dataclass
class PulpForm:
    """The same model as a PuLP problem, for CBC and the infeasibility explanation."""

    problem: pulp.LpProblem
    variables: list[pulp.LpVariable]
    coupling: list[pulp.LpConstraint]
    slacks: dict[str, pulp.LpVariable]


def to_pulp(model: AllocationModel, *, elastic: bool = False) -> PulpForm:
    """The model as a PuLP problem with the same names; ``elastic`` adds a slack per
    coupling row and minimises their sum (what the commitments break, and by how much)."""
    import pulp

    problem = pulp.LpProblem("elastic" if elastic else "budget_plan",
                             pulp.LpMinimize if elastic else pulp.LpMaximize)
    names = [""] * model.num_cols
    for k, pos in enumerate(model.active.tolist()):
        first = int(model.col_start[k])
        for j in range(first, int(model.col_start[k + 1])):
            names[j] = f"x_{model.coupling.indices[pos]}_{j - first}"
    for pos, col in model.on_col.items():
        names[col] = f"on_{model.coupling.indices[pos]}"
    for pos, col in model.learn_col.items():
        names[col] = f"learning_{model.coupling.indices[pos]}"
    for name, col in zip(model.coupling.aux_names, model.aux_columns.tolist(), strict=True):
        names[col] = name
    variables = [
        problem.add_variable(name, lowBound=float(lo),
                             upBound=float(up) if math.isfinite(up) else None,
                             cat=pulp.LpBinary if is_int else pulp.LpContinuous)
        for name, lo, up, is_int in zip(names, model.col_lower, model.col_upper, model.integer,
                                        strict=True)
    ]
    if not elastic:
        problem.setObjective(pulp.LpAffineExpression(
            [(v, float(c)) for v, c in zip(variables, model.cost, strict=True) if c],
            name="objective"))
    rows = model.coupling.rows
    by_row: list[list[tuple[pulp.LpVariable, float]]] = [[] for _ in range(len(rows))]
    for col, var in enumerate(variables):
        for k in range(int(model.a_start[col]), int(model.a_start[col + 1])):
            by_row[int(model.a_index[k])].append((var, float(model.a_value[k])))
    coupling_rows: list[pulp.LpConstraint] = []
    slacks: dict[str, pulp.LpVariable] = {}
    for i, terms in enumerate(by_row):
        expr = pulp.LpAffineExpression(terms)
        if elastic and rows.families[i] not in NEVER_BINDING:
            slack = problem.add_variable(f"slack_{rows.names[i]}", lowBound=0)
            slacks[rows.names[i]] = slack
            expr.addterm(slack, -1.0 if math.isinf(rows.lower[i]) else 1.0)
        coupling_rows.append(_constrain(problem, rows, i, expr))
    extra = model.discrete
    for i in range(len(extra)):
        terms = [(variables[int(model.d_index[k])], float(model.d_value[k]))
                 for k in range(int(model.d_start[i]), int(model.d_start[i + 1]))]
        _constrain(problem, extra, i, pulp.LpAffineExpression(terms))
    if elastic:
        problem.setObjective(pulp.lpSum(slacks.values()))
    return PulpForm(problem, variables, coupling_rows, slacks)


def _constrain(problem: pulp.LpProblem, rows: Rows, i: int,
               expr: pulp.LpAffineExpression) -> pulp.LpConstraint:
    import pulp

    lower, upper = rows.lower[i], rows.upper[i]
    if math.isinf(lower):
        constraint = expr <= upper
    elif math.isinf(upper):
        constraint = expr >= lower
    else:
        constraint = pulp.LpConstraint(expr, sense=pulp.LpConstraintEQ, rhs=upper)
    problem.addConstraint(constraint, name=rows.names[i])
    return constraint


def _run_pulp(model: AllocationModel, backend: str, settings: SolverConfig, time_left: float,
              max_nodes: int | None = None) -> tuple[bool, float | None]:
    import pulp

    form = to_pulp(model)
    problem = form.problem
    problem.solve(pulp_solver(backend, settings, time_left, max_nodes))
    status = pulp.LpStatus[problem.status]
    if status == "Infeasible":
        raise Infeasible
    if status not in ("Optimal",) or problem.sol_status not in (
        pulp.LpSolutionOptimal, pulp.LpSolutionIntegerFeasible
    ):
        # CBC says "Not Solved" when its time limit came before any solution.
        failed = OutOfTime if status == "Not Solved" else SolverError
        raise failed.of("status", backend=backend, status=status)
    model.x = np.array([v.varValue or 0.0 for v in form.variables], dtype=np.float64)
    pis = [c.pi for c in form.coupling]
    # PuLP reports duals of the minimised (negated) objective: flip them back.
    model.duals = None if any(pi is None for pi in pis) else -np.array(pis, dtype=np.float64)
    objective = float(pulp.value(problem.objective) or 0.0)
    # PuLP says "Optimal" after a time limit: trust only the solver's own verdict.
    proven = problem.sol_status == pulp.LpSolutionOptimal
    return proven, (objective if proven else None)

