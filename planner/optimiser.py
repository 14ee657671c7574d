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

The families are written as sparse arrays, not PuLP expressions: PuLP's
per-term objects cost more than the solve at a few thousand videos
(MEASURED.md). The coupling rows (budget, days, tools, balance, reach) are
computed once per solve as a per-purchase column pattern, so an active set's
matrix is a gather and pricing every purchase is one dot product with the
duals. HiGHS receives the arrays directly; the CBC fallback and the
infeasibility explanation get the same rows as a PuLP problem (``to_pulp``).
"""

from __future__ import annotations

import contextvars
import functools
import math
import os
import sys
import time
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from planner.config import Campaign
from planner.errors import InfeasibleError, SolverError
from planner.response import KYUAN, Purchase, ResponseModel
from planner.tools import Tool

if TYPE_CHECKING:
    import pulp

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]

_TOL = 1e-7
_LOWER, _BASIC = 0, 1  # HiGHS basis statuses (HighsBasisStatus.kLower, .kBasic)
_INF = math.inf
# Seconds spent inside the solver backends during the current solve(): the rest of a
# solve is model building, which the benchmarks report separately.
_SOLVER_SECONDS: contextvars.ContextVar[float] = contextvars.ContextVar(
    "solver_seconds", default=0.0
)
# Up to this many purchases, a loose sifting bound is replaced by a proof over all of them.
FULL_PROOF_PURCHASES = 6000
FULL_PROOF_SECONDS = 2.0  # an interactive plan should not wait longer for the proof
# Purchases the relaxation leaves unbought join the discrete model when their reduced cost
# is within this share of their ROI (the rest wait for the pricing after the solve).
SHORTLIST_SHARE = 0.05
# LP rounds a repair of a few under-minimum purchases may take before a full discrete round.
REPAIR_ROUNDS = 5


# ---------------------------------------------------------------- named rows


@dataclass
class Rows:
    """Named constraint rows ``lower <= a·x <= upper``, with their family and words."""

    names: list[str] = field(default_factory=list)
    families: list[str] = field(default_factory=list)
    words: list[str] = field(default_factory=list)
    lower: list[float] = field(default_factory=list)
    upper: list[float] = field(default_factory=list)

    def add(self, family: str, name: str, words: str, *, lower: float = -_INF,
            upper: float = _INF) -> int:
        self.names.append(name)
        self.families.append(family)
        self.words.append(words)
        self.lower.append(lower)
        self.upper.append(upper)
        return len(self.names) - 1

    def __len__(self) -> int:
        return len(self.names)


@dataclass
class _Entries:
    """Coefficients of coupling rows per unit of a purchase's spend (COO triplets)."""

    purchase: list[Ints] = field(default_factory=list)
    row: list[Ints] = field(default_factory=list)
    value: list[Floats] = field(default_factory=list)

    def add(self, purchases: Iterable[int], row: int | Iterable[int],
            values: float | Iterable[float]) -> None:
        p = np.fromiter(purchases, dtype=np.int64)
        r = np.full(len(p), row, dtype=np.int64) if isinstance(row, int) else np.fromiter(
            row, dtype=np.int64, count=len(p))
        v = np.full(len(p), float(values)) if isinstance(values, float | int) else np.fromiter(
            values, dtype=np.float64, count=len(p))
        self.purchase.append(p)
        self.row.append(r)
        self.value.append(v)


@dataclass
class Coupling:
    """Everything the model needs per purchase, built once per solve.

    ``pattern_*`` is a compressed-column matrix with one column per purchase:
    its coefficient in every coupling row per thousand yuan of spend (every
    segment of a purchase shares its purchase's column).
    """

    purchases: list[Purchase]
    rows: Rows
    pattern_start: Ints
    pattern_row: Ints
    pattern_value: Floats
    seg_start: Ints
    seg_roi: Floats
    seg_width: Floats
    best_roi: Floats  # each purchase's first-segment ROI (-inf without segments)
    min_order: Floats
    shares: tuple[float, float]
    campaign: Campaign  # the one its rows were written for

    def segments(self, positions: Ints) -> tuple[Ints, Ints]:
        """(start of each purchase's columns, source segment of each column) for ``positions``."""
        counts = self.seg_start[positions + 1] - self.seg_start[positions]
        return _gather(self.seg_start[positions], counts)


def _gather(starts: Ints, counts: Ints) -> tuple[Ints, Ints]:
    """Concatenated ranges ``starts[i] .. starts[i] + counts[i]``, and where each begins."""
    begin = np.zeros(len(counts) + 1, dtype=np.int64)
    np.cumsum(counts, out=begin[1:])
    total = int(begin[-1])
    offsets = np.arange(total, dtype=np.int64) - np.repeat(begin[:-1], counts)
    return begin, np.repeat(starts, counts) + offsets


def _fixed_total(response: ResponseModel, *, tool: Tool | None = None,
                 seeding: bool | None = None) -> float:
    return sum(
        sum(f.day_spend.values()) for f in response.fixed
        if (tool is None or f.commitment.tool is tool)
        and (seeding is None or f.seeding is seeding)
    )


def _budget_row(response: ResponseModel, campaign: Campaign) -> tuple[str, float]:
    """The budget row's words and upper bound: the only coupling row the budget moves."""
    fixed = _fixed_total(response)
    words = (f"the budget of {campaign.budget:,.0f} yuan ({fixed * KYUAN:,.0f} already "
             "committed)")
    return words, campaign.budget / KYUAN - fixed


def add_budget(rows: Rows, entries: _Entries, response: ResponseModel,
               campaign: Campaign) -> None:
    words, upper = _budget_row(response, campaign)
    row = rows.add("budget", "budget", words, upper=upper)
    entries.add(range(len(response.purchases)), row, 1.0)


def add_daily_cap(rows: Rows, entries: _Entries, response: ResponseModel,
                  campaign: Campaign) -> None:
    if campaign.daily_cap is None:
        return
    fixed: dict[date, float] = {}
    for f in response.fixed:
        for day, spend in f.day_spend.items():
            fixed[day] = fixed.get(day, 0.0) + spend
    # Every planned day gets its row, active purchases or not, so its dual prices the rest.
    row_of = {
        day: rows.add("daily_cap", f"daily_cap_{day:%Y%m%d}",
                      f"the daily cap of {campaign.daily_cap:,.0f} yuan on {day}",
                      upper=campaign.daily_cap / KYUAN - fixed.get(day, 0.0))
        for day in response.days
    }
    triples = [
        (p_pos, row_of[day], share)
        for p_pos, p in enumerate(response.purchases)
        for day, share in zip(p.days, p.day_shares, strict=True) if day in row_of
    ]
    entries.add((t[0] for t in triples), [t[1] for t in triples], [t[2] for t in triples])


def add_tool_caps(rows: Rows, entries: _Entries, response: ResponseModel,
                  campaign: Campaign) -> None:
    for tool in campaign.chain_tools():
        cap = campaign.tools[tool].max_budget
        if cap is None:
            continue
        row = rows.add("tool_budget", f"tool_budget_{tool}", f"the {tool} cap of {cap:,.0f} yuan",
                       upper=cap / KYUAN - _fixed_total(response, tool=tool))
        entries.add((i for i, p in enumerate(response.purchases) if p.tool is tool), row, 1.0)


def add_balance(rows: Rows, entries: _Entries, response: ResponseModel,
                campaign: Campaign) -> None:
    """seeding >= s_min x total and seeding <= s_max x total, with KOL fees as seeding.

    Written as (1 - s) x seeding - s x harvesting against the fixed part.
    """
    s_min, s_max = campaign.balance.min_seeding_share, campaign.balance.max_seeding_share
    fixed_seed = response.kol_fees + _fixed_total(response, seeding=True)
    fixed_harvest = _fixed_total(response, seeding=False)
    seeding = [p.seeding for p in response.purchases]
    if s_min > 0:
        row = rows.add(
            "balance", "seeding_share_min",
            f"the balance bound: seeding (KOL fees + Influence tools) at least {s_min:.0%}",
            lower=s_min * fixed_harvest - (1 - s_min) * fixed_seed)
        entries.add(range(len(seeding)), row, ((1 - s_min) if s else -s_min for s in seeding))
    if s_max < 1:
        row = rows.add("balance", "seeding_share_max",
                       f"the balance bound: seeding at most {s_max:.0%}",
                       upper=s_max * fixed_harvest - (1 - s_max) * fixed_seed)
        entries.add(range(len(seeding)), row, ((1 - s_max) if s else -s_max for s in seeding))


def add_amplification(rows: Rows, entries: _Entries, response: ResponseModel,
                      campaign: Campaign) -> None:
    offered: dict[str, float] = {}
    for p in response.purchases:
        offered[p.video_id] = offered.get(p.video_id, 0.0) + p.capacity * p.impressions_per_kyuan
    row_of: dict[str, int] = {}
    for video_id, total in sorted(offered.items()):
        room = response.amplification_room.get(video_id, 0.0)
        # Skip rows that cannot bind: fewer impressions on offer than the room left.
        if total <= room:
            continue
        row_of[video_id] = rows.add(
            "amplification", f"amplification_{_safe(video_id)}",
            f"{video_id}'s reach limit ({campaign.rules.max_amplification:g}x its natural plays)",
            upper=room / 1e6)
    chosen = [(i, p) for i, p in enumerate(response.purchases) if p.video_id in row_of]
    entries.add((i for i, _ in chosen), [row_of[p.video_id] for _, p in chosen],
                [p.impressions_per_kyuan / 1e6 for _, p in chosen])


COUPLING_FAMILIES = (add_budget, add_daily_cap, add_tool_caps, add_balance, add_amplification)


def coupling(response: ResponseModel, campaign: Campaign) -> Coupling:
    """The coupling rows and every purchase's segments, as arrays."""
    purchases = response.purchases
    rows, entries = Rows(), _Entries()
    for family in COUPLING_FAMILIES:
        family(rows, entries, response, campaign)
    owner = np.concatenate(entries.purchase) if entries.purchase else np.zeros(0, np.int64)
    order = np.argsort(owner, kind="stable")
    pattern_start = np.zeros(len(purchases) + 1, dtype=np.int64)
    np.cumsum(np.bincount(owner, minlength=len(purchases)), out=pattern_start[1:])
    seg_start = np.zeros(len(purchases) + 1, dtype=np.int64)
    np.cumsum([len(p.seg_width) for p in purchases], out=seg_start[1:])
    return Coupling(
        purchases=purchases,
        rows=rows,
        pattern_start=pattern_start,
        pattern_row=np.concatenate(entries.row)[order] if entries.row else owner,
        pattern_value=np.concatenate(entries.value)[order] if entries.value
        else np.zeros(0),
        seg_start=seg_start,
        seg_roi=np.fromiter((r for p in purchases for r in p.seg_roi), dtype=np.float64,
                            count=int(seg_start[-1])),
        seg_width=np.fromiter((w for p in purchases for w in p.seg_width), dtype=np.float64,
                              count=int(seg_start[-1])),
        best_roi=np.array([p.seg_roi[0] if p.seg_roi else -_INF for p in purchases],
                          dtype=np.float64),
        min_order=np.array([p.min_order for p in purchases], dtype=np.float64),
        shares=(campaign.balance.min_seeding_share, campaign.balance.max_seeding_share),
        campaign=campaign,
    )


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
    rows.words[row], rows.upper[row] = _budget_row(response, campaign)
    return replace(known, rows=rows, campaign=campaign)


def _safe(text: str) -> str:
    return "".join(ch if ch.isalnum() else "_" for ch in text)


# ---------------------------------------------------------------- the model


@dataclass
class AllocationModel:
    """One model over the ``active`` purchases: columns, named rows, and its solution.

    Columns are the active purchases' segments (in order), then one on/off
    column per purchase with a binary. The coupling rows' matrix is held by
    column; the discrete rows (minimum orders, exclusivity) by row.
    """

    coupling: Coupling
    active: Ints  # purchase positions in the model, ascending
    col_start: Ints  # purchase i's segments are columns col_start[i] .. col_start[i + 1]
    cost: Floats  # GMV per thousand yuan (maximised)
    col_lower: Floats
    col_upper: Floats
    integer: Bools
    a_start: Ints
    a_index: Ints
    a_value: Floats
    discrete: Rows
    d_start: Ints
    d_index: Ints
    d_value: Floats
    on_col: dict[int, int]  # purchase position -> its on/off column
    x: Floats | None = None  # column values after a solve
    start: Floats | None = None  # a known (near-)feasible point the MIP search may start from
    col_key: Ints = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    basis: tuple[Ints, Ints] | None = None  # HiGHS column and row statuses after an LP solve
    start_basis: tuple[Ints, Ints] | None = None  # an LP basis to start the simplex from
    duals: Floats | None = None  # coupling rows: GMV per unit of relaxing the row

    @property
    def purchases(self) -> list[Purchase]:
        return [self.coupling.purchases[i] for i in self.active.tolist()]

    def under_minimum(self) -> Bools:
        """Per active purchase: buys something, but less than its minimum order."""
        spent = self.spend()
        return (spent > _TOL) & (spent < self.coupling.min_order[self.active] - 1e-6)

    def segment_columns(self, purchases: Ints) -> Ints:
        """The segment columns of the active purchases at ``purchases`` (model positions)."""
        starts = self.col_start[purchases]
        return _gather(starts, self.col_start[purchases + 1] - starts)[1]

    @property
    def rows(self) -> Rows:
        return self.coupling.rows

    @property
    def family_of(self) -> dict[str, str]:
        rows, extra = self.coupling.rows, self.discrete
        return dict(zip(rows.names + extra.names, rows.families + extra.families, strict=True))

    @property
    def describe(self) -> dict[str, str]:
        rows, extra = self.coupling.rows, self.discrete
        return dict(zip(rows.names + extra.names, rows.words + extra.words, strict=True))

    @property
    def num_cols(self) -> int:
        return len(self.cost)

    def spend(self) -> Floats:
        """Thousand yuan per active purchase in the current solution."""
        assert self.x is not None
        totals = np.zeros(len(self.x) + 1)
        np.cumsum(self.x, out=totals[1:])
        return totals[self.col_start[1:]] - totals[self.col_start[:-1]]

    def row_activity(self) -> Floats:
        """Each coupling row's value ``a·x`` in the current solution."""
        assert self.x is not None
        counts = np.diff(self.a_start)
        columns = np.repeat(np.arange(self.num_cols), counts)
        activity: Floats = np.bincount(self.a_index, weights=self.a_value * self.x[columns],
                                       minlength=len(self.coupling.rows)).astype(np.float64)
        return activity


def build_model(response: ResponseModel, campaign: Campaign, *, flat: bool = False,
                lazy: set[int] | None = None, active: set[int] | None = None,
                relaxed: bool = False, shared: Coupling | None = None) -> AllocationModel:
    """Assemble the model over the ``active`` purchases (all when None).

    ``flat`` puts a minimum-order binary on every purchase; ``lazy`` names the
    daily purchases that get one; ``relaxed`` makes every binary continuous.
    ``shared`` reuses the coupling rows of an earlier model of the same response.
    """
    couple = shared or coupling(response, campaign)
    purchases = couple.purchases
    positions = np.arange(len(purchases), dtype=np.int64) if active is None else np.array(
        sorted(i for i, p in enumerate(purchases) if p.index in active), dtype=np.int64)
    col_start, source = couple.segments(positions)
    n_seg = len(source)
    owner = np.repeat(positions, np.diff(col_start))
    a_start, pattern = _gather(couple.pattern_start[owner],
                               couple.pattern_start[owner + 1] - couple.pattern_start[owner])
    lazy = lazy or set()
    binaries = [
        int(i) for i in positions.tolist()
        if purchases[i].is_content_service or flat or purchases[i].index in lazy
    ]
    on_col = {i: n_seg + k for k, i in enumerate(binaries)}
    n_cols = n_seg + len(binaries)
    model = AllocationModel(
        coupling=couple,
        active=positions,
        col_start=col_start,
        cost=np.concatenate([couple.seg_roi[source], np.zeros(len(binaries))]),
        col_lower=np.zeros(n_cols),
        col_upper=np.concatenate([couple.seg_width[source], np.ones(len(binaries))]),
        integer=np.concatenate([np.zeros(n_seg, dtype=bool),
                                np.full(len(binaries), not relaxed)]),
        # The on/off columns take no part in the coupling rows.
        a_start=np.concatenate([a_start, np.full(len(binaries), a_start[-1])]),
        a_index=couple.pattern_row[pattern],
        a_value=couple.pattern_value[pattern],
        discrete=Rows(),
        d_start=np.zeros(1, dtype=np.int64),
        d_index=np.zeros(0, dtype=np.int64),
        d_value=np.zeros(0),
        on_col=on_col,
        # Segment columns by their global segment, on/off columns by -(position + 1):
        # what a later model needs to carry this one's basis over.
        col_key=np.concatenate([source, -1 - np.array(binaries, dtype=np.int64)]),
    )
    _add_discrete_rows(model)
    return model


def _add_discrete_rows(model: AllocationModel) -> None:
    """Minimum orders (per segment links, MEASURED: much tighter) and CS-Dou+ exclusivity."""
    purchases = model.coupling.purchases
    rows = model.discrete
    starts: list[int] = [0]
    index: list[int] = []
    value: list[float] = []

    def row(family: str, name: str, words: str, terms: list[tuple[int, float]], *,
            lower: float = -_INF, upper: float = _INF) -> None:
        rows.add(family, name, words, lower=lower, upper=upper)
        index.extend(c for c, _ in terms)
        value.extend(v for _, v in terms)
        starts.append(len(index))

    first_col = {int(p): int(model.col_start[k]) for k, p in enumerate(model.active.tolist())}
    for pos, on in model.on_col.items():
        p = purchases[pos]
        cols = range(first_col[pos], first_col[pos] + len(p.seg_width))
        words = f"the {p.tool} minimum order of {p.min_order * KYUAN:,.0f} yuan"
        row("min_order", f"min_order_{p.index}", words,
            [(c, 1.0) for c in cols] + [(on, -p.min_order)], lower=0.0)
        for k, (c, w) in enumerate(zip(cols, p.seg_width, strict=True)):
            row("min_order", f"link_{p.index}_{k}", words, [(c, 1.0), (on, -w)], upper=0.0)
    dou_plus = {
        (purchases[pos].video_id, purchases[pos].days[0]): pos for pos in first_col
        if purchases[pos].tool is Tool.DOU_PLUS
    }
    for pos, on in model.on_col.items():
        cs = purchases[pos]
        if not cs.is_content_service:
            continue
        for day in cs.days:
            dp_pos = dou_plus.get((cs.video_id, day))
            if dp_pos is None:
                continue
            dp = purchases[dp_pos]
            for k, w in enumerate(dp.seg_width):
                row("cs_excludes_dou_plus", f"cs_excludes_dou_plus_{cs.index}_{dp.index}_{k}",
                    f"content service and Dou+ never together on {cs.video_id}",
                    [(first_col[dp_pos] + k, 1.0), (on, w)], upper=w)
    model.d_start = np.array(starts, dtype=np.int64)
    model.d_index = np.array(index, dtype=np.int64)
    model.d_value = np.array(value, dtype=np.float64)


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
    notes: list[str] = field(default_factory=list)  # e.g. a solver fallback
    solver_seconds: float = 0.0  # inside the backends; the rest is model building
    active: set[int] = field(default_factory=set)  # purchases the final model carried
    relaxation: AllocationModel | None = None  # the sifting LP's final model, with its basis


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


def pulp_solver(backend: str, campaign: Campaign | None, time_left: float) -> pulp.LpSolver:
    """PuLP's own HiGHS or CBC interface, with the campaign's search gap and a time limit."""
    import pulp  # only the CBC fallback and the explanation need PuLP

    # Each call gets at least a second: a limit so short that no plan exists helps nobody.
    limit = max(1.0, time_left)
    gap = _search_gap(campaign) if campaign is not None else None
    if backend == "highs":
        _silence_highs_banner()
        return pulp.HiGHS(msg=False, timeLimit=limit, gapRel=gap, threads=1)
    with warnings.catch_warnings():
        # PuLP 3.3 flags its bundled CBC as moving to the pulp[cbc] extra in 4.0; the
        # dependency is pinned below 4, and the bundled binary is what we measured.
        warnings.simplefilter("ignore", DeprecationWarning)
        return pulp.PULP_CBC_CMD(msg=False, timeLimit=limit, gapRel=gap)


def _search_gap(campaign: Campaign) -> float:
    """The gap the backends search to: a tenth of the one the plan is judged by.

    The plan's status compares its GMV with the sifting bound, so the backend's
    own stopping gap only decides how good the answer is: one stopping at the
    very edge of the configured gap (after a warm start, say) would hand the
    buyer a plan measurably worse than the plain MILP finds, at no saving.
    """
    return campaign.solver.relative_gap / 10


class _Infeasible(Exception):
    pass


def _solve_once(model: AllocationModel, backend: str, campaign: Campaign,
                time_left: float) -> tuple[bool, float | None]:
    """Solve; set ``model.x`` and ``model.duals``; return (proven optimal, proven bound)."""
    tick = time.perf_counter()
    try:
        if backend == "highs":
            return _run_highs(model, campaign, time_left)
        return _run_pulp(model, backend, campaign, time_left)
    finally:
        _SOLVER_SECONDS.set(_SOLVER_SECONDS.get() + time.perf_counter() - tick)


def _run_highs(model: AllocationModel, campaign: Campaign,
               time_left: float) -> tuple[bool, float | None]:
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
    highs.setOptionValue("time_limit", max(1.0, time_left))
    highs.setOptionValue("mip_rel_gap", _search_gap(campaign))
    highs.passModel(
        model.num_cols, len(rows), len(model.a_index), int(highspy.MatrixFormat.kColwise),
        int(highspy.ObjSense.kMinimize), 0.0, -model.cost, model.col_lower, model.col_upper,
        _finite(rows.lower), _finite(rows.upper), model.a_start[:-1].astype(np.int32),
        model.a_index.astype(np.int32), model.a_value, model.integer.astype(np.int32),
    )
    extra = model.discrete
    if len(extra):
        highs.addRows(len(extra), _finite(extra.lower), _finite(extra.upper),
                      len(model.d_index), model.d_start[:-1].astype(np.int32),
                      model.d_index.astype(np.int32), model.d_value)
    is_mip = bool(model.integer.any())
    if not is_mip and model.start_basis is not None:
        start = highspy.HighsBasis()
        statuses = list(highspy.HighsBasisStatus.__members__.values())
        start.col_status = [statuses[i] for i in model.start_basis[0].tolist()]
        start.row_status = [statuses[i] for i in model.start_basis[1].tolist()]
        start.valid = True
        # Columns that left the model leave too few basic variables: HiGHS completes such
        # an "alien" basis itself.
        start.alien = int((model.start_basis[0] == _BASIC).sum()
                          + (model.start_basis[1] == _BASIC).sum()) != len(start.row_status)
        highs.setBasis(start)  # HiGHS checks it and starts cold from one that does not fit
    if is_mip and model.start is not None:
        highs.setSolution(model.num_cols, np.arange(model.num_cols, dtype=np.int32), model.start)
    highs.run()
    status = highs.getModelStatus()
    if status == highspy.HighsModelStatus.kInfeasible:
        raise _Infeasible
    solution = highs.getSolution()
    if not solution.value_valid:
        raise SolverError(f"highs returned status {highs.modelStatusToString(status)}")
    model.x = np.array(solution.col_value, dtype=np.float64)
    if not is_mip:
        basis = highs.getBasis()
        if basis.valid:
            model.basis = (np.array([int(b) for b in basis.col_status], dtype=np.int64),
                           np.array([int(b) for b in basis.row_status], dtype=np.int64))
    model.duals = (-np.array(solution.row_dual[: len(rows)], dtype=np.float64)
                   if solution.dual_valid else None)
    # A time limit still leaves a solution: trust only HiGHS's own verdict.
    proven = status == highspy.HighsModelStatus.kOptimal
    value = -float(highs.getInfo().objective_function_value)
    bound = value if proven else math.nan
    if is_mip:
        dual_bound = -float(highs.getInfo().mip_dual_bound)
        if math.isfinite(dual_bound):
            bound = dual_bound
    return proven, (bound if math.isfinite(bound) else None)


def _finite(bounds: list[float]) -> Floats:
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
            names[j] = f"x_{model.coupling.purchases[pos].index}_{j - first}"
    for pos, col in model.on_col.items():
        names[col] = f"on_{model.coupling.purchases[pos].index}"
    variables = [
        problem.add_variable(name, lowBound=float(lo), upBound=float(up),
                             cat=pulp.LpBinary if is_int else pulp.LpContinuous)
        for name, lo, up, is_int in zip(names, model.col_lower, model.col_upper, model.integer,
                                        strict=True)
    ]
    if not elastic:
        problem.setObjective(pulp.LpAffineExpression(
            [(v, float(c)) for v, c in zip(variables, model.cost, strict=True) if c],
            name="expected_gmv"))
    rows = model.coupling.rows
    by_row: list[list[tuple[pulp.LpVariable, float]]] = [[] for _ in range(len(rows))]
    for col, var in enumerate(variables):
        for k in range(int(model.a_start[col]), int(model.a_start[col + 1])):
            by_row[int(model.a_index[k])].append((var, float(model.a_value[k])))
    coupling_rows: list[pulp.LpConstraint] = []
    slacks: dict[str, pulp.LpVariable] = {}
    for i, terms in enumerate(by_row):
        expr = pulp.LpAffineExpression(terms)
        if elastic:
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


def _run_pulp(model: AllocationModel, backend: str, campaign: Campaign,
              time_left: float) -> tuple[bool, float | None]:
    import pulp

    form = to_pulp(model)
    problem = form.problem
    problem.solve(pulp_solver(backend, campaign, time_left))
    status = pulp.LpStatus[problem.status]
    if status == "Infeasible":
        raise _Infeasible
    if status not in ("Optimal",) or problem.sol_status not in (
        pulp.LpSolutionOptimal, pulp.LpSolutionIntegerFeasible
    ):
        raise SolverError(f"{backend} returned status {status}")
    model.x = np.array([v.varValue or 0.0 for v in form.variables], dtype=np.float64)
    pis = [c.pi for c in form.coupling]
    # PuLP reports duals of the minimised (negated) objective: flip them back.
    model.duals = None if any(pi is None for pi in pis) else -np.array(pis, dtype=np.float64)
    objective = float(pulp.value(problem.objective) or 0.0)
    # PuLP says "Optimal" after a time limit: trust only the solver's own verdict.
    proven = problem.sol_status == pulp.LpSolutionOptimal
    return proven, (objective if proven else None)


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
    _SOLVER_SECONDS.set(0.0)
    chosen = backend or campaign.solver.backend
    backends = [chosen] + [b for b in ("highs", "cbc") if b != chosen]
    failures: list[str] = []
    shared = _coupling_for(response, campaign, warm)
    for name in backends:
        try:
            result = _solve_with(response, campaign, name, started, flat, shared, warm)
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
    # Both bounds are valid for the full model: keep the tighter one.
    best.bound = max(best.objective, min(full.bound, result.bound))
    if best.status != "optimal" and full.status == "optimal":
        best.status = "optimal"
    return best


def _initial_active(response: ResponseModel, campaign: Campaign,
                    warm: set[int] | None) -> set[int]:
    """Best purchases first until their capacity covers the budget twice over."""
    target = 2.0 * max(campaign.budget / KYUAN - _fixed_total(response), 0.0)
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
        proven, bound = _solve_once(model, backend, campaign, time_left)
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
    left = campaign.budget / KYUAN - _fixed_total(response)
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
    _solve_once(fixed, backend, campaign, time_left)
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
        _solve_once(fixed, backend, campaign, time_left)
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
            proven, solver_bound = _solve_once(model, backend, campaign, time_left)
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
        solved, _ = _solve_once(relaxed, backend, campaign, time_left)
    except (_Infeasible, SolverError):
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
    broken = (activity < _finite(rows.lower) - 1e-6) | (activity > _finite(rows.upper) + 1e-6)
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
    objective = float(model.cost @ model.x)
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
            conflicts.append(f"{describe[name]}: short by {amount:,.0f} yuan")
    committed = _fixed_total(response) * KYUAN
    if committed:
        conflicts.append(f"fixed commitments total {committed:,.0f} yuan and cannot change")
    return InfeasibleError(
        f"Campaign '{campaign.name}' cannot satisfy all its rules at once.", conflicts
    )
