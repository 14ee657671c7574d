# Long on purpose: one function per constraint family, and the array model they build.
"""The model's constraint families and the allocation model built from them.

One function per coupling family (budget, daily cap, tool caps, balance,
reach, audience pool, phase budgets, concentration, risk, live room), each writing named
rows so that infeasibility and binding limits can be told to the buyer;
``build_model`` gathers an active
set's columns and adds the discrete rows (minimum orders, exclusivity).
"""

from __future__ import annotations

import math
import re
import typing
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date

import numpy as np
import numpy.typing as npt

from planner.config import Campaign
from planner.pressure_tests import PressureTests, TestBasis, pressure_tests
from planner.response import (
    KYUAN,
    TOOLS,
    Purchase,
    PurchaseBook,
    ResponseModel,
    gather_ranges,
    pool_periods,
    tool_codes,
)
from planner.tools import HARVESTING_TOOLS, LIVE_ROOM_TOOLS, Tool

Floats = npt.NDArray[np.float64]
# What a row stands for, as a code and its figures (``error.limit.<code>`` says it in words).
Limit = tuple[str, dict[str, float | int | str] | None]
Ints = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]

TOL = 1e-7
# Row families that define an auxiliary column: equalities that hold by construction, so
# they never bind, never take an elastic slack, and never explain anything to the buyer.
DEFINITIONS = frozenset({"audience_build", "risk_gmv"})
# Rows that are no limit of the buyer's: the definitions, and the scenario rows of the
# risk objective (each only says how far a scenario falls short of the tail's level).
NEVER_BINDING = DEFINITIONS | {"risk_tail", "learning"}
# The risk objective's families (``add_risk``): rows an attitude without it leaves out.
RISK_FAMILIES = frozenset({"risk_gmv", "risk_tail"})
# Rows whose entries are GMV, not spend: a purchase's coefficient there is multiplied by
# each segment's own ROI.
ROI_SCALED = frozenset({"risk_gmv"})
BASIS_LOWER, BASIS_BASIC = 0, 1  # HiGHS basis statuses (HighsBasisStatus.kLower, .kBasic)
INF = math.inf


# ---------------------------------------------------------------- named rows


@dataclass
class Rows:
    """Named constraint rows ``lower <= a·x <= upper``, with their family and the limit each
    stands for as a code and figures (said in words at the edge: ``i18n.limit_text``)."""

    names: list[str] = field(default_factory=list)
    families: list[str] = field(default_factory=list)
    limits: list[Limit] = field(default_factory=list)
    lower: list[float] = field(default_factory=list)
    upper: list[float] = field(default_factory=list)

    def add(self, family: str, name: str, limit: Limit, *, lower: float = -INF,
            upper: float = INF) -> int:
        self.names.append(name)
        self.families.append(family)
        self.limits.append(limit)
        self.lower.append(lower)
        self.upper.append(upper)
        return len(self.names) - 1

    def extend(self, family: str, names: list[str], limits: list[Limit], *,
               lower: list[float], upper: list[float]) -> None:
        """Rows of one family, one per name."""
        self.names.extend(names)
        self.families.extend([family] * len(names))
        self.limits.extend(limits)
        self.lower.extend(lower)
        self.upper.extend(upper)

    def __len__(self) -> int:
        return len(self.names)


@dataclass
class _Entries:
    """Coefficients of coupling rows per unit of a purchase's spend (COO triplets)."""

    purchase: list[Ints] = field(default_factory=list)
    row: list[Ints] = field(default_factory=list)
    value: list[Floats] = field(default_factory=list)
    aux: _Auxiliary = field(default_factory=lambda: _Auxiliary())
    arrays: _PurchaseArrays | None = None  # set by ``coupling`` before the families run
    risk: RiskBlock | None = None  # set by ``add_risk``
    gmv_row: Ints | None = None  # per purchase, its video's risk_gmv row (set by ``add_risk``)
    # Rows whose limit is a share of the budget: (row, share, booked), upper = share x
    # budget - booked (never below 0).
    shares_of_budget: list[tuple[int, float, float]] = field(default_factory=list)
    # Rows whose lower bound is a share of the budget (a phase's min_share): lower =
    # share x budget - booked.
    share_floors: list[tuple[int, float, float]] = field(default_factory=list)

    @property
    def of_purchases(self) -> _PurchaseArrays:
        assert self.arrays is not None
        return self.arrays

    def add(self, purchases: Iterable[int], row: int | Iterable[int],
            values: float | Iterable[float]) -> None:
        p = _as_array(purchases, np.int64)
        r = np.full(len(p), row, dtype=np.int64) if isinstance(row, int) else _as_array(
            row, np.int64, len(p))
        v = np.full(len(p), float(values)) if isinstance(values, float | int) else _as_array(
            values, np.float64, len(p))
        self.purchase.append(p)
        self.row.append(r)
        self.value.append(v)


def _as_array(values: Iterable[float] | Iterable[int], dtype: type[np.generic],
              count: int = -1) -> npt.NDArray[typing.Any]:
    if isinstance(values, np.ndarray):
        return values.astype(dtype, copy=False)
    return np.fromiter(values, dtype=dtype, count=count)


@dataclass
class _Auxiliary:
    """Columns that belong to no purchase: the audience built by each pool period.

    Each is defined by an equality row of its own (``defines``) and read by
    later rows; writing the cumulative audience once per period keeps each
    seeding purchase in one row instead of every later period's pool row.
    """

    names: list[str] = field(default_factory=list)
    # The row that defines each column (-1: none, the risk objective's own columns).
    defines: list[int] = field(default_factory=list)
    terms: list[list[tuple[int, float]]] = field(default_factory=list)  # (row, coefficient)
    cost: list[float] = field(default_factory=list)
    lower: list[float] = field(default_factory=list)
    upper: list[float] = field(default_factory=list)
    # Terms added as arrays (column, row, coefficient): the risk rows' dense block.
    blocks: list[tuple[Ints, Ints, Floats]] = field(default_factory=list)

    def arrays(self) -> tuple[Ints, Ints, Floats]:
        """(start of each column's terms, their rows, their coefficients), by column."""
        column = np.array([c for c, terms in enumerate(self.terms) for _ in terms],
                          dtype=np.int64)
        row = np.array([r for terms in self.terms for r, _ in terms], dtype=np.int64)
        value = np.array([v for terms in self.terms for _, v in terms], dtype=np.float64)
        for c, r, v in self.blocks:
            column, row, value = (np.concatenate([column, c]), np.concatenate([row, r]),
                                  np.concatenate([value, v]))
        order = np.argsort(column, kind="stable")
        start = np.zeros(len(self.names) + 1, dtype=np.int64)
        np.cumsum(np.bincount(column, minlength=len(self.names)), out=start[1:])
        return start, row[order], value[order]

    def add(self, name: str, defines: int, *, cost: float = 0.0, lower: float = 0.0,
            upper: float = INF) -> int:
        self.names.append(name)
        self.defines.append(defines)
        self.terms.append([(defines, 1.0)] if defines >= 0 else [])
        self.cost.append(cost)
        self.lower.append(lower)
        self.upper.append(upper)
        return len(self.names) - 1


@dataclass
class Coupling:
    """Everything the model needs per purchase, built once per solve.

    ``pattern_*`` is a compressed-column matrix with one column per purchase:
    its coefficient in every coupling row per thousand yuan of spend (every
    segment of a purchase shares its purchase's column).
    """

    purchases: PurchaseBook
    rows: Rows
    pattern_start: Ints
    pattern_row: Ints
    pattern_value: Floats
    seg_start: Ints
    seg_roi: Floats
    seg_width: Floats
    # Per purchase, the objective's weight on its GMV: 1 up to a tie-break far below the
    # gap (``steady_preference``), so lines of equal value run steadily, not on and off.
    preference: Floats
    best_roi: Floats  # each purchase's first-segment ROI (-inf without segments)
    worst_roi: Floats  # each purchase's last-segment ROI (-inf without segments)
    min_order: Floats
    shares: tuple[float, float]
    campaign: Campaign  # the one its rows were written for
    # Auxiliary columns (the audience built by each pool period), compressed by column.
    aux_names: list[str] = field(default_factory=list)
    aux_defines: Ints = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    aux_start: Ints = field(default_factory=lambda: np.zeros(1, dtype=np.int64))
    aux_row: Ints = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    aux_value: Floats = field(default_factory=lambda: np.zeros(0))
    aux_cost: Floats = field(default_factory=lambda: np.zeros(0))
    aux_lower: Floats = field(default_factory=lambda: np.zeros(0))
    aux_upper: Floats = field(default_factory=lambda: np.zeros(0))
    # Rows of the ROI_SCALED families, and the weight of expected GMV in the objective.
    scaled_rows: Bools = field(default_factory=lambda: np.zeros(0, dtype=bool))
    pattern_scaled: Bools = field(default_factory=lambda: np.zeros(0, dtype=bool))  # per entry
    # The same as positions in the pattern, and each one's purchase: the pricing of every
    # round reads these few entries (one a purchase) instead of sweeping all of them.
    scaled_at: Ints = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    scaled_of: Ints = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    expected_weight: float = 1.0
    risk: RiskBlock | None = None
    shares_of_budget: list[tuple[int, float, float]] = field(default_factory=list)
    share_floors: list[tuple[int, float, float]] = field(default_factory=list)
    # Per purchase, GMV its spend loses in a learning phase (per thousand yuan; 0: none),
    # its line (-1: none) and day offset; and the risk_gmv row of its video (-1: none).
    learning: Learning | None = None
    gmv_row: Ints = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    # The pressure tests the plan buys first ([risk] test_share): a lower bound on those
    # purchases' spend (planner.uncertainty.pressure_tests).
    tests: PressureTests = field(default_factory=PressureTests)
    test_basis: TestBasis | None = None  # what choosing them reads, whatever the budget
    # Read by every round of every solve, so worked out once per coupling: each purchase's
    # ``index``, the positions best first (first-segment ROI, ties in list order), and
    # which purchases are content-service orders.
    indices: Ints = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    best_first: Ints = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    content_service: Bools = field(default_factory=lambda: np.zeros(0, dtype=bool))
    arrays: _PurchaseArrays | None = None  # what the row families read of each purchase

    def test_floor(self) -> Floats:
        """Per purchase, the thousand yuan its pressure test makes it spend (0: none)."""
        floor = np.zeros(len(self.purchases))
        for index, amount in self.tests.spend.items():
            floor[index] = amount
        return floor

    def segments(self, positions: Ints) -> tuple[Ints, Ints]:
        """(start of each purchase's columns, source segment of each column) for ``positions``."""
        counts = self.seg_start[positions + 1] - self.seg_start[positions]
        return gather_ranges(self.seg_start[positions], counts)


@dataclass
class RiskBlock:
    """The risk objective's columns: per video its GMV, the tail's level and each
    scenario's shortfall below it (Rockafellar-Uryasev), with the scenarios' figures."""

    # Positions among the auxiliary columns (0 = the first auxiliary column):
    gmv: Ints  # each video's GMV (thousand yuan)
    level_col: int  # the tail's level (value at risk)
    shortfall: Ints  # each scenario's shortfall below the level
    multipliers: Floats  # (scenarios, len(gmv)): each video's ROI multiplier per scenario
    tail_rows: Ints  # each scenario's row (the multipliers are the GMV columns' entries)
    fixed: Floats  # per scenario, the GMV of the booked orders (thousand yuan)
    level: float

    def settle(self, x: Floats, first_aux: int) -> None:
        """The level and shortfalls that best fit the videos' GMV in ``x`` (in place)."""
        gmv = self.fixed + self.multipliers @ x[first_aux + self.gmv]
        ordered = np.sort(gmv)
        level = float(ordered[max(0, math.ceil(self.level * len(ordered)) - 1)])
        x[first_aux + self.level_col] = level
        x[first_aux + self.shortfall] = np.maximum(level - gmv, 0.0)


@dataclass
class _PurchaseArrays:
    """What the coupling families read of every purchase, as arrays, from the response's
    ``PurchaseBook`` (its columns: no purchase is made as an object).

    ``entry_*`` has one entry per day a purchase spends on (one for daily
    orders, the window of a content-service order): its purchase, its day
    (offset from the first planned day) and the share of its spend.
    """

    video: Ints  # code of the purchase's video in ``videos``
    videos: list[str]  # sorted
    tool_code: Ints  # each purchase's tool's place in ``list(Tool)``
    seeding: Bools
    impressions: Floats  # per thousand yuan
    capacity: Floats  # thousand yuan
    first_day: Ints
    entry_owner: Ints
    entry_day: Ints
    entry_share: Floats
    # Each purchase's segments (``seg_start[i]`` .. ``seg_start[i + 1]``), its minimum
    # order, its ``index`` and whether it is a content-service order.
    seg_start: Ints
    seg_roi: Floats
    seg_width: Floats
    min_order: Floats
    index: Ints
    content_service: Bools

    @classmethod
    def of(cls, response: ResponseModel) -> _PurchaseArrays:
        book = response.purchases
        n = len(book)
        first = response.days[0] if response.days else date.min
        # The book's video codes run in order of first purchase: renumbered in sorted order.
        videos = book.video_ids()
        code = {v: k for k, v in enumerate(videos)}
        sorted_code = np.array([code[v] for v in book.videos], dtype=np.int64)
        offset = np.array([(day - first).days for day in book.dates], dtype=np.int64)
        entry_owner, entry_day, entry_share = book.entries()
        segments = book.segments()
        tool_code = book.tool.astype(np.int64)
        return cls(
            video=sorted_code[book.video],
            videos=videos,
            tool_code=tool_code,
            seeding=book.seeding,
            impressions=book.impressions,
            capacity=segments.capacity,
            first_day=offset[book.day],
            entry_owner=entry_owner,
            entry_day=offset[entry_day],
            entry_share=entry_share,
            seg_start=segments.start,
            seg_roi=segments.roi,
            seg_width=segments.width,
            min_order=book.min_order,
            index=np.arange(n, dtype=np.int64),
            content_service=tool_code == TOOLS.index(Tool.CONTENT_SERVICE),
        )


def fixed_total(response: ResponseModel, *, tool: Tool | None = None,
                 seeding: bool | None = None) -> float:
    return sum(
        sum(f.day_spend.values()) for f in response.fixed
        if (tool is None or f.commitment.tool is tool)
        and (seeding is None or f.seeding is seeding)
    )


def budget_row(response: ResponseModel, campaign: Campaign) -> tuple[Limit, float]:
    """The budget row's limit and upper bound: the only coupling row the budget moves."""
    fixed = fixed_total(response)
    limit: Limit = ("budget", {"budget": campaign.budget, "committed": fixed * KYUAN})
    return limit, campaign.budget / KYUAN - fixed


def add_budget(rows: Rows, entries: _Entries, response: ResponseModel,
               campaign: Campaign) -> None:
    limit, upper = budget_row(response, campaign)
    row = rows.add("budget", "budget", limit, upper=upper)
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
        day: rows.add("daily_cap", daily_cap_name(day),
                      ("daily_cap", {"cap": campaign.daily_cap, "day": day.isoformat()}),
                      upper=campaign.daily_cap / KYUAN - fixed.get(day, 0.0))
        for day in response.days
    }
    arrays = entries.of_purchases
    row_of_day = np.array(list(row_of.values()), dtype=np.int64)
    planned = (arrays.entry_day >= 0) & (arrays.entry_day < len(row_of_day))
    entries.add(arrays.entry_owner[planned], row_of_day[arrays.entry_day[planned]],
                arrays.entry_share[planned])


def add_tool_caps(rows: Rows, entries: _Entries, response: ResponseModel,
                  campaign: Campaign) -> None:
    for tool in campaign.chain_tools():
        cap = campaign.tools[tool].max_budget
        if cap is None:
            continue
        row = rows.add("tool_budget", f"tool_budget_{tool}",
                       ("tool_cap", {"tool": tool.value, "cap": cap}),
                       upper=cap / KYUAN - fixed_total(response, tool=tool))
        entries.add(np.flatnonzero(entries.of_purchases.tool_code == TOOLS.index(tool)), row,
                    1.0)


def add_balance(rows: Rows, entries: _Entries, response: ResponseModel,
                campaign: Campaign) -> None:
    """seeding >= s_min x total and seeding <= s_max x total, with KOL fees as seeding.

    Written as (1 - s) x seeding - s x harvesting against the fixed part.
    """
    s_min, s_max = campaign.balance.min_seeding_share, campaign.balance.max_seeding_share
    fixed_seed = response.kol_fees + fixed_total(response, seeding=True)
    fixed_harvest = fixed_total(response, seeding=False)
    seeding = entries.of_purchases.seeding
    everyone = np.arange(len(seeding), dtype=np.int64)
    if s_min > 0:
        row = rows.add(
            "balance", "seeding_share_min",
            ("seeding_min", {"share": s_min}),
            lower=s_min * fixed_harvest - (1 - s_min) * fixed_seed)
        entries.add(everyone, row, np.where(seeding, 1 - s_min, -s_min))
    if s_max < 1:
        row = rows.add("balance", "seeding_share_max",
                       ("seeding_max", {"share": s_max}),
                       upper=s_max * fixed_harvest - (1 - s_max) * fixed_seed)
        entries.add(everyone, row, np.where(seeding, 1 - s_max, -s_max))


def add_amplification(rows: Rows, entries: _Entries, response: ResponseModel,
                      campaign: Campaign) -> None:
    arrays = entries.of_purchases
    offered = np.bincount(arrays.video, weights=arrays.capacity * arrays.impressions,
                          minlength=len(arrays.videos))
    row_of_video = np.full(len(arrays.videos), -1, dtype=np.int64)
    for code, (video_id, total) in enumerate(zip(arrays.videos, offered.tolist(), strict=True)):
        room = response.amplification_room.get(video_id, 0.0)
        # Skip rows that cannot bind: fewer impressions on offer than the room left.
        if total <= room:
            continue
        row_of_video[code] = rows.add(
            "amplification", amplification_name(video_id),
            ("reach", {"video": video_id, "multiple": campaign.rules.max_amplification}),
            upper=room / 1e6)
    row = row_of_video[arrays.video]
    chosen = np.flatnonzero(row >= 0)
    entries.add(chosen, row[chosen], arrays.impressions[chosen] / 1e6)


def add_audience_pool(rows: Rows, entries: _Entries, response: ResponseModel,
                      campaign: Campaign) -> None:
    """Harvest volume per period <= reach x days x the audience seeding built before it.

    Seeding builds what harvesting converts [seed]: the pool at a period's start
    is the brand's existing audience, the roster's natural plays published by
    then, and every seeding impression bought (or committed) before it. A
    second row caps harvesting at the same share of the audience ceiling
    (saturation). Rows that cannot bind are left out.

    The seeding bought so far is an auxiliary column per pool period, defined
    by an ``audience_build`` row (the previous period's column plus the
    seeding that landed in between): each seeding purchase then sits in one
    row, not in every later period's, which kept HiGHS's matrix dense.
    """
    cfg = campaign.harvest
    if not response.days:
        return
    first = response.days[0]
    arrays = entries.of_purchases
    harvesting = np.flatnonzero(np.isin(arrays.tool_code, tool_codes(HARVESTING_TOOLS)))
    by_period: dict[int, list[int]] = {}
    for i, period in zip(harvesting.tolist(),
                         (arrays.first_day[harvesting] // cfg.period_days).tolist(), strict=True):
        by_period.setdefault(period, []).append(i)
    if not by_period:
        return
    # Seeding impressions per thousand yuan, and the day offset each share of them lands on.
    seeded = arrays.seeding[arrays.entry_owner]
    seed_owner = arrays.entry_owner[seeded]
    seed_day = arrays.entry_day[seeded]
    seed_value = arrays.impressions[seed_owner] * arrays.entry_share[seeded]
    built_before: int | None = None  # the auxiliary column of the last period with a pool row
    counted_from = np.iinfo(np.int64).min  # seeding before this day offset is in that column
    for k, period in enumerate(pool_periods(response, campaign)):
        mine = by_period.get(k)
        if not mine:
            continue
        start, reach = period.start, period.reach
        harvest_value = (arrays.impressions[mine] / 1e6).tolist()
        offered = float(arrays.capacity[mine] @ arrays.impressions[mine])
        label = f"{start:%m-%d}"
        if offered > reach * cfg.audience_ceiling:
            row = rows.add("audience_pool", f"audience_ceiling_{start:%Y%m%d}",
                           ("audience_ceiling", {"people": cfg.audience_ceiling,
                                                 "start": label}),
                           upper=reach * cfg.audience_ceiling / 1e6)
            entries.add(mine, row, harvest_value)
        if offered <= reach * period.base:
            continue
        offset = (start - first).days
        landed = (seed_day >= counted_from) & (seed_day < offset)
        owners, inverse = np.unique(seed_owner[landed], return_inverse=True)
        built = np.bincount(inverse, weights=seed_value[landed], minlength=len(owners))
        define = rows.add("audience_build", f"audience_built_{start:%Y%m%d}",
                          ("audience_build", {"start": label}), lower=0.0,
                          upper=0.0)
        entries.add(owners.tolist(), define, (-built / 1e6).tolist())
        column = entries.aux.add(f"audience_{start:%Y%m%d}", define)
        if built_before is not None:
            entries.aux.terms[built_before].append((define, -1.0))
        row = rows.add("audience_pool", f"audience_pool_{start:%Y%m%d}",
                       ("audience_pool", {"start": label, "reach": cfg.daily_pool_reach}),
                       upper=reach * period.base / 1e6)
        entries.add(mine, row, harvest_value)
        entries.aux.terms[column].append((row, -reach))
        built_before, counted_from = column, offset


def add_phase_budgets(rows: Rows, entries: _Entries, response: ResponseModel,
                      campaign: Campaign) -> None:
    """The buyer's budget per sale phase and for the days before a sale (``PhaseBudget``).

    Buyers plan a 618 by phase (蓄水/预热, 预售, 爆发, 返场): ``min_share`` /
    ``max_share`` hold the spend on the stretch's days (booked orders counted)
    within that share of the budget, ``min_daily`` / ``max_daily`` each planned
    day's spend. A content-service order counts by its days' shares of it. A
    stretch with no day left to plan gets no row: its past cannot change.
    """
    if not response.days:
        return
    first, last = response.days[0], response.days[-1]
    arrays = entries.of_purchases
    # The plan rounds each order down to whole yuan and the tool's step, losing less than
    # a step per day and tool: a floor asks that much more, so the plan still meets it.
    allowance = sum(campaign.tools[t].order_step for t in campaign.chain_tools()) / KYUAN
    fixed_by_day: dict[date, float] = {}
    for f in response.fixed:
        for day, spend in f.day_spend.items():
            fixed_by_day[day] = fixed_by_day.get(day, 0.0) + spend
    for sale in campaign.big_sales:
        for label, budget, start, end in sale.budgets():
            start = start or campaign.start
            lo, hi = max(start, first), min(end, last)
            if lo > hi:
                continue
            offsets = ((lo - first).days, (hi - first).days)
            booked = sum(v for d, v in fixed_by_day.items() if start <= d <= end)
            rounding = allowance * ((hi - lo).days + 1)
            figures: dict[str, float | int | str] = {
                "sale": sale.name, "phase": label, "first": start.isoformat(),
                "last": end.isoformat()}
            inside = (arrays.entry_day >= offsets[0]) & (arrays.entry_day <= offsets[1])
            owners, inverse = np.unique(arrays.entry_owner[inside], return_inverse=True)
            share_of = np.bincount(inverse, weights=arrays.entry_share[inside],
                                   minlength=len(owners))
            if budget.min_share is not None and budget.min_share > 0:
                row = rows.add("phase_budget", phase_budget_name(sale.name, label, "min_share"),
                               ("phase_min_share", {**figures, "share": budget.min_share}),
                               lower=share_floor(budget.min_share, booked - rounding,
                                                 campaign))
                entries.add(owners, row, share_of)
                entries.share_floors.append((row, budget.min_share, booked - rounding))
            if budget.max_share is not None:
                row = rows.add("phase_budget", phase_budget_name(sale.name, label, "max_share"),
                               ("phase_max_share", {**figures, "share": budget.max_share}),
                               upper=share_limit(budget.max_share, booked, campaign))
                entries.add(owners, row, share_of)
                entries.shares_of_budget.append((row, budget.max_share, booked))
            for bound, amount in (("min_daily", budget.min_daily),
                                  ("max_daily", budget.max_daily)):
                if amount is None or (bound == "min_daily" and amount <= 0):
                    continue
                for offset in range(offsets[0], offsets[1] + 1):
                    day = response.days[offset]
                    held = amount / KYUAN - fixed_by_day.get(day, 0.0) + (
                        allowance if bound == "min_daily" else 0.0)
                    row = rows.add(
                        "phase_budget", phase_budget_name(sale.name, label, bound, day),
                        (f"phase_{bound}", {**figures, "amount": amount,
                                            "day": day.isoformat()}),
                        **({"lower": held} if bound == "min_daily" else {"upper": held}))
                    on_day = arrays.entry_day == offset
                    entries.add(arrays.entry_owner[on_day], row, arrays.entry_share[on_day])


def add_live_room(rows: Rows, entries: _Entries, response: ResponseModel,
                  campaign: Campaign) -> None:
    """Direct live-room buying a day <= ``direct_cap`` x the short-video spend that day.

    Short videos bring 80%+ of a brand live room's traffic and direct live-room
    buying is capped at about 10% of the short-video pool [seed]: one named row per
    day with a live-room purchase, over that day's direct buying and every purchase
    on a video (a content-service order by its day's share), booked orders counted.
    No short-video spend on a day: no direct buying on it.
    """
    arrays = entries.of_purchases
    live = np.flatnonzero(np.isin(arrays.tool_code, tool_codes(LIVE_ROOM_TOOLS))).tolist()
    if not live or not response.days:
        return
    cap = campaign.live_room_traffic.direct_cap
    first = response.days[0]
    booked: dict[int, float] = {}  # day offset -> booked short-video spend x cap - direct
    for f in response.fixed:
        weight = -1.0 if f.commitment.tool in LIVE_ROOM_TOOLS else cap
        for day, spend in f.day_spend.items():
            offset = (day - first).days
            booked[offset] = booked.get(offset, 0.0) + weight * spend
    row_of_day: dict[int, int] = {}
    for i in live:
        offset = int(arrays.first_day[i])
        day = response.days[offset]
        row_of_day[offset] = rows.add(
            "live_room", live_room_name(day),
            ("live_room_direct", {"share": cap, "day": day.isoformat()}),
            upper=booked.get(offset, 0.0))
    entries.add(live, [row_of_day[int(arrays.first_day[i])] for i in live], 1.0)
    short_video = ~np.isin(arrays.entry_owner, live)
    days = np.array(sorted(row_of_day), dtype=np.int64)
    on_row_day = short_video & np.isin(arrays.entry_day, days)
    owners = arrays.entry_owner[on_row_day]
    entries.add(owners, [row_of_day[int(d)] for d in arrays.entry_day[on_row_day]],
                -cap * arrays.entry_share[on_row_day])


def share_floor(share: float, booked: float, campaign: Campaign) -> float:
    """New orders' least spend for a share of the budget, booked orders counted."""
    return share * campaign.budget / KYUAN - booked


def add_concentration(rows: Rows, entries: _Entries, response: ResponseModel,
                      campaign: Campaign) -> None:
    """New orders on one video, or on one KOL's videos, stay within their share of the
    budget ([risk] max_video_share, max_kol_share): a plan never rests on one guess.

    A share is never tighter than an equal split (a roster of three KOLs may put
    a third on each): caps spread a plan, they never strand a budget that has
    nowhere else to go. Booked orders count towards the share but never make it
    infeasible: a video already over its share gets no new money.
    """
    cfg = campaign.risk
    arrays = entries.of_purchases
    if not len(arrays.video):
        return
    kol_of = response.kol_of
    kols = np.array([kol_of.get(v, v) for v in arrays.videos], dtype=object)
    video_share = max(cfg.max_video_share, 1.0 / len(arrays.videos))
    kol_share = max(cfg.max_kol_share, 1.0 / len(set(kols.tolist())))
    booked: dict[str, float] = {}
    for f in response.fixed:
        video_id = f.commitment.video_id
        booked[video_id] = booked.get(video_id, 0.0) + sum(f.day_spend.values())
    # Every row is written, binding or not at this budget: another budget (the next 10,000
    # yuan, a budget curve) only rewrites their limits (``share_limit``).
    if video_share < 1.0:
        row_of_video = np.empty(len(arrays.videos), dtype=np.int64)
        for code, video_id in enumerate(arrays.videos):
            held = booked.get(video_id, 0.0)
            row_of_video[code] = rows.add(
                "concentration", video_share_name(video_id),
                ("video_share", {"video": video_id, "share": video_share}),
                upper=share_limit(video_share, held, campaign))
            entries.shares_of_budget.append((int(row_of_video[code]), video_share, held))
        entries.add(np.arange(len(arrays.video), dtype=np.int64), row_of_video[arrays.video],
                    1.0)
    if kol_share >= 1.0:
        return
    names, kol_code = np.unique(kols, return_inverse=True)
    videos_of_kol = np.bincount(kol_code, minlength=len(names))
    held_by_kol = np.bincount(kol_code, weights=[booked.get(v, 0.0) for v in arrays.videos],
                              minlength=len(names))
    row_of_kol = np.full(len(names), -1, dtype=np.int64)
    for k, kol in enumerate(names.tolist()):
        if kol_share >= video_share * videos_of_kol[k]:
            continue  # the videos' own rows already hold the KOL within its share
        held = float(held_by_kol[k])
        row_of_kol[k] = rows.add("concentration", kol_share_name(kol),
                                 ("kol_share", {"kol": kol, "share": kol_share}),
                                 upper=share_limit(kol_share, held, campaign))
        entries.shares_of_budget.append((int(row_of_kol[k]), kol_share, held))
    row = row_of_kol[kol_code[arrays.video]]
    chosen = np.flatnonzero(row >= 0)
    entries.add(chosen, row[chosen], 1.0)


def share_limit(share: float, booked: float, campaign: Campaign) -> float:
    """New orders' room under a share of the budget, booked orders counted (thousand yuan)."""
    return max(0.0, share * campaign.budget / KYUAN - booked)


def add_risk(rows: Rows, entries: _Entries, response: ResponseModel,
             campaign: Campaign) -> None:
    """The worst ``level`` share of scenarios' mean GMV, as rows (Rockafellar-Uryasev):

        maximise  level_col - 1 / (level x S) x sum of shortfall_s
        shortfall_s >= level_col - GMV_s,  GMV_s = booked_s + sum_v multiplier_sv x GMV_v

    with each video's GMV an auxiliary column defined by a ``risk_gmv`` row over
    its purchases (their segments' ROI as coefficients). The scenario rows read
    only those columns, so they cost one entry per video, not per purchase. The
    objective weighs this tail mean by the attitude's weight and expected GMV by
    the rest (``Coupling.expected_weight``).
    """
    cfg = campaign.risk
    weight = risk_weight(campaign)
    scenarios = response.scenarios
    arrays = entries.of_purchases
    if weight <= 0 or scenarios is None or not len(arrays.video):
        return
    column = scenarios.column()
    aux = entries.aux
    gmv_cols: list[int] = []
    define_of_video = np.empty(len(arrays.videos), dtype=np.int64)
    for code, video_id in enumerate(arrays.videos):
        define_of_video[code] = rows.add("risk_gmv", f"risk_gmv_{_safe(video_id)}",
                                         ("risk_gmv", {"video": video_id}), lower=0.0,
                                         upper=0.0)
        gmv_cols.append(aux.add(f"gmv_{_safe(video_id)}", int(define_of_video[code])))
    entries.add(np.arange(len(arrays.video), dtype=np.int64), define_of_video[arrays.video],
                -1.0)
    entries.gmv_row = define_of_video[arrays.video]
    count = len(scenarios.optimised)
    level_col = aux.add("tail_level", -1, cost=weight)
    shortfall = [aux.add(f"shortfall_{s}", -1, cost=-weight / (cfg.level * count))
                 for s in range(count)]
    multipliers = scenarios.optimised[:, [column[v] for v in arrays.videos]]
    fixed = np.zeros(count)
    for f in response.fixed:
        if f.commitment.realised_gmv is None and f.commitment.video_id in column:
            fixed += f.expected_gmv * scenarios.optimised[:, column[f.commitment.video_id]]
        else:
            fixed += f.expected_gmv
    tail_rows = np.array([rows.add("risk_tail", f"risk_tail_{s}", ("risk_tail", {"scenario": s}),
                                   lower=-float(fixed[s])) for s in range(count)],
                         dtype=np.int64)
    # Scenario s: shortfall_s - level + sum_v multiplier_sv x GMV_v >= -booked_s.
    aux.blocks.append((np.repeat(np.array(gmv_cols, dtype=np.int64), count),
                       np.tile(tail_rows, len(gmv_cols)), multipliers.T.ravel()))
    aux.blocks.append((np.full(count, level_col, dtype=np.int64), tail_rows,
                       np.full(count, -1.0)))
    aux.blocks.append((np.array(shortfall, dtype=np.int64), tail_rows, np.ones(count)))
    entries.risk = RiskBlock(gmv=np.array(gmv_cols, dtype=np.int64), level_col=level_col,
                             shortfall=np.array(shortfall, dtype=np.int64),
                             multipliers=multipliers, tail_rows=tail_rows, fixed=fixed,
                             level=cfg.level)


def reweighed_risk(couple: Coupling, campaign: Campaign) -> Coupling | None:
    """``couple`` for ``campaign``'s risk attitude, where only the attitude differs: the
    scenario rows stay as they are, the tail's columns and expected GMV get the attitude's
    weights (what ``add_risk`` and ``coupling`` would give them). None where the rows
    themselves would change: an attitude without risk rows (``expected``), or a coupling
    written without them."""
    weight = risk_weight(campaign)
    block = couple.risk
    if block is None or weight <= 0:
        return None
    cost = couple.aux_cost.copy()
    cost[block.level_col] = weight
    cost[block.shortfall] = -weight / (campaign.risk.level * len(block.shortfall))
    return replace(couple, aux_cost=cost, expected_weight=1.0 - weight)


def without_risk(couple: Coupling) -> Coupling:
    """``couple`` without its scenario rows and the tail's columns: what ``coupling``
    writes for an attitude without them (expected), every other row and column as it was
    and in the same order (the risk family adds its rows and columns in one block)."""
    block = couple.risk
    assert block is not None
    rows = couple.rows
    keep = np.array([f not in RISK_FAMILIES for f in rows.families], dtype=bool)
    number = np.cumsum(keep) - 1
    kept = keep[couple.pattern_row]
    before = np.zeros(len(kept) + 1, dtype=np.int64)
    np.cumsum(kept, out=before[1:])
    pattern_row = number[couple.pattern_row[kept]]
    n_aux = len(couple.aux_names)
    keep_aux = np.ones(n_aux, dtype=bool)
    keep_aux[np.concatenate([block.gmv, [block.level_col], block.shortfall])] = False
    entry_aux = np.repeat(np.arange(n_aux), np.diff(couple.aux_start))
    aux_kept = keep_aux[entry_aux]
    aux_before = np.zeros(len(aux_kept) + 1, dtype=np.int64)
    np.cumsum(aux_kept, out=aux_before[1:])
    defines = couple.aux_defines[keep_aux]
    scaled_rows = np.zeros(int(keep.sum()), dtype=bool)  # the GMV rows were the risk rows
    return replace(
        couple,
        rows=Rows(names=[n for n, k in zip(rows.names, keep, strict=True) if k],
                  families=[f for f, k in zip(rows.families, keep, strict=True) if k],
                  limits=[li for li, k in zip(rows.limits, keep, strict=True) if k],
                  lower=[lo for lo, k in zip(rows.lower, keep, strict=True) if k],
                  upper=[up for up, k in zip(rows.upper, keep, strict=True) if k]),
        pattern_start=before[couple.pattern_start],
        pattern_row=pattern_row,
        pattern_value=couple.pattern_value[kept],
        pattern_scaled=scaled_rows[pattern_row],
        scaled_at=np.zeros(0, dtype=np.int64),
        scaled_of=np.zeros(0, dtype=np.int64),
        scaled_rows=scaled_rows,
        aux_names=[n for n, k in zip(couple.aux_names, keep_aux, strict=True) if k],
        aux_defines=np.where(defines >= 0, number[defines], -1),
        aux_start=aux_before[couple.aux_start[np.r_[keep_aux, True]]],
        aux_row=number[couple.aux_row[aux_kept]],
        aux_value=couple.aux_value[aux_kept],
        aux_cost=couple.aux_cost[keep_aux],
        aux_lower=couple.aux_lower[keep_aux],
        aux_upper=couple.aux_upper[keep_aux],
        expected_weight=1.0,
        risk=None,
        shares_of_budget=[(int(number[r]), share, booked)
                          for r, share, booked in couple.shares_of_budget],
        share_floors=[(int(number[r]), share, booked) for r, share, booked in couple.share_floors],
        gmv_row=np.full(len(couple.purchases), -1, dtype=np.int64),
    )


def risk_weight(campaign: Campaign) -> float:
    """Weight of the worst scenarios' mean GMV in the objective (the rest: expected GMV)."""
    cfg = campaign.risk
    return {"expected": 0.0, "balanced": cfg.balanced_weight, "cautious": 1.0}[cfg.objective]


COUPLING_FAMILIES = (add_budget, add_daily_cap, add_tool_caps, add_balance, add_amplification,
                     add_audience_pool, add_phase_budgets, add_concentration, add_risk,
                     add_live_room)


def coupling(response: ResponseModel, campaign: Campaign,
             like: Coupling | None = None) -> Coupling:
    """The coupling rows and every purchase's segments, as arrays.

    ``like``: a coupling of the same response for a campaign that differs only in its
    budget and risk attitude (``reweighed_risk`` could not serve: the rows differ). Its
    rows are written again; what it read of each purchase alone is the same, and lent.
    """
    purchases = response.purchases
    if like is not None and like.arrays is not None:
        assert like.purchases is purchases
        per_purchase = like
        arrays = like.arrays
    else:
        per_purchase = None
        arrays = _PurchaseArrays.of(response)
    rows, entries = Rows(), _Entries(arrays=arrays)
    for family in COUPLING_FAMILIES:
        family(rows, entries, response, campaign)
    aux = entries.aux
    aux_start, aux_row, aux_value = aux.arrays()
    # The entries (millions at 20,000 videos) by purchase; each family's own arrays are let
    # go as soon as they are gathered, so that no more than two copies live at once.
    owner = np.concatenate(entries.purchase) if entries.purchase else np.zeros(0, np.int64)
    entries.purchase.clear()
    order = np.argsort(owner, kind="stable")
    pattern_start = np.zeros(len(purchases) + 1, dtype=np.int64)
    np.cumsum(np.bincount(owner, minlength=len(purchases)), out=pattern_start[1:])
    del owner
    pattern_row = (np.concatenate(entries.row)[order] if entries.row
                   else np.zeros(0, np.int64))
    entries.row.clear()
    pattern_value = np.concatenate(entries.value)[order] if entries.value else np.zeros(0)
    entries.value.clear()
    del order
    if per_purchase is None:
        per_purchase = _purchase_columns(response, campaign, arrays)
    scaled_rows = np.array([f in ROI_SCALED for f in rows.families], dtype=bool)
    pattern_scaled = scaled_rows[pattern_row]
    scaled_at = np.flatnonzero(pattern_scaled)
    return replace(
        per_purchase,
        rows=rows,
        pattern_start=pattern_start,
        pattern_row=pattern_row,
        pattern_value=pattern_value,
        shares=(campaign.balance.min_seeding_share, campaign.balance.max_seeding_share),
        campaign=campaign,
        aux_names=list(aux.names),
        aux_defines=np.array(aux.defines, dtype=np.int64),
        aux_start=aux_start,
        aux_row=aux_row,
        aux_value=aux_value,
        aux_cost=np.array(aux.cost, dtype=np.float64),
        aux_lower=np.array(aux.lower, dtype=np.float64),
        aux_upper=np.array(aux.upper, dtype=np.float64),
        scaled_rows=scaled_rows,
        pattern_scaled=pattern_scaled,
        scaled_at=scaled_at,
        scaled_of=np.searchsorted(pattern_start, scaled_at, side="right") - 1,
        expected_weight=1.0 - risk_weight(campaign) if entries.risk is not None else 1.0,
        risk=entries.risk,
        shares_of_budget=entries.shares_of_budget,
        share_floors=entries.share_floors,
        tests=pressure_tests(response, campaign, campaign.budget / KYUAN - fixed_total(response),
                             per_purchase.test_basis) if per_purchase.test_basis is not None
        else PressureTests(),
        gmv_row=entries.gmv_row if entries.gmv_row is not None
        else np.full(len(purchases), -1, dtype=np.int64),
    )


def _purchase_columns(response: ResponseModel, campaign: Campaign,
                      arrays: _PurchaseArrays) -> Coupling:
    """A coupling without rows yet: what it reads of each purchase alone (its segments,
    tie-break, learning phase, pressure-test basis), the same for any budget and risk
    attitude."""
    purchases = response.purchases
    seg_start, seg_roi, seg_width = arrays.seg_start, arrays.seg_roi, arrays.seg_width
    # Each purchase's first and last segment's ROI (-inf without segments).
    has = seg_start[1:] > seg_start[:-1]
    best_roi = np.full(len(purchases), -INF)
    best_roi[has] = seg_roi[seg_start[:-1][has]]
    worst_roi = np.full(len(purchases), -INF)
    worst_roi[has] = seg_roi[seg_start[1:][has] - 1]
    empty = np.zeros(0, dtype=np.int64)
    return Coupling(
        purchases=purchases,
        rows=Rows(),
        pattern_start=np.zeros(len(purchases) + 1, dtype=np.int64),
        pattern_row=empty,
        pattern_value=np.zeros(0),
        seg_start=seg_start,
        seg_roi=seg_roi,
        seg_width=seg_width,
        preference=steady_preference(arrays, len(response.days)),
        best_roi=best_roi,
        worst_roi=worst_roi,
        min_order=arrays.min_order,
        shares=(campaign.balance.min_seeding_share, campaign.balance.max_seeding_share),
        campaign=campaign,
        learning=Learning.of(response, campaign, arrays),
        test_basis=TestBasis.of(response, campaign, seg_roi, seg_width, seg_start,
                                arrays.video, arrays.videos, arrays.first_day),
        indices=arrays.index,
        best_first=np.argsort(-best_roi, kind="stable"),
        content_service=arrays.content_service,
        arrays=arrays,
    )


# How far the tie-break may move a purchase's value: far below the solver's gap, so it
# only chooses between plans of (nearly) equal GMV.
STEADY_TIE_BREAK = 1e-5


def steady_preference(arrays: _PurchaseArrays, days: int) -> Floats:
    """Each purchase's tie-break weight: earlier days first, and one fixed order of lines.

    Days of equal ROI tie, and so do lines: left alone the LP picks any vertex, and a
    line runs 70k, 0, 62k, 0, 0, 51k, each relaunch re-entering the learning phase.
    Preferring earlier days keeps a line's days together, and a fixed order of lines
    (a hash of video and tool) gives a contested daily cap to the same line every day.
    """
    # Hashed once per line (video and tool), not once per day's purchase; lines found as
    # codes, since hashing a Tool is a Python call.
    tools = TOOLS
    code = arrays.video * len(tools) + arrays.tool_code
    lines, inverse = np.unique(code, return_inverse=True)
    hashed = np.array([
        zlib.crc32(f"{arrays.videos[c // len(tools)]}|{tools[c % len(tools)].value}".encode())
        / 2**32 for c in lines.tolist()], dtype=np.float64)
    line = hashed[inverse.reshape(-1)]
    day = arrays.first_day / max(days, 1)
    preference: Floats = 1.0 + STEADY_TIE_BREAK * (0.2 * line - day)
    return preference


@dataclass
class Learning:
    """The learning-phase premium of daily plans (Dou+, AD, UD, Qianchuan), per purchase.

    A new or relaunched daily plan pays ``relaunch_premium`` more CPM for its first
    ``learning_days`` days (a tool's setting), so a yuan of it buys ``1 / (1 + premium)``
    of the impressions and loses ``premium / (1 + premium)`` of its GMV. Day d of a line
    is new delivery, in its learning phase, as far as its spend exceeds the line's spend
    on any of the L learning days before it (a day before the line's first, or one it
    did not run, counts as 0; a line that ran the day before the plan goes on):

        learning_d >= GMV_d - ROI_d x spend_(d-j),  j = 1 .. L;   learning_d >= 0

    (GMV_d the day's GMV over its segments, ROI_d its first segment's ROI) and the
    objective loses ``cost x learning_d``, ``cost`` being that share. So a line that
    starts, or pauses a day and relaunches, pays the premium on each of its first L
    days, and one that goes on at or below its recent level pays nothing; a raise above
    that level pays on the raise (an OCPM plan whose budget jumps re-learns too). The
    rows are convex, so the model stays a linear program: one column and at most L rows
    per daily purchase in the model. (Relieving a whole day by an earlier day at its
    minimum order, closer to the platforms' rule, left the relaxation full of keep-alive
    slivers below the minimum that took the branch and bound 30x longer at 5,000
    videos.) The plan's GMV counts the same loss (``learning_loss``).
    """

    cost: Floats  # share of a learning day's GMV lost (0: no learning phase)
    line: Ints  # per purchase, its line (video and tool; -1: no learning phase)
    day: Ints  # day offset from the first planned day
    days: Ints  # learning days of its tool
    running: Bools  # its line ran on the day before the plan (re-planning)

    @classmethod
    def of(cls, response: ResponseModel, campaign: Campaign,
           arrays: _PurchaseArrays) -> Learning:
        n = len(response.purchases)
        tools = TOOLS
        code = arrays.tool_code
        premium = np.zeros(len(tools))
        learning_days = np.ones(len(tools), dtype=np.int64)
        for k, tool in enumerate(tools):
            cfg = campaign.tools.get(tool)
            if cfg is not None and tool is not Tool.CONTENT_SERVICE:
                premium[k], learning_days[k] = cfg.relaunch_premium, cfg.learning_days
        learns = (premium[code] > 0) & (arrays.capacity > 0)
        cost = np.where(learns, premium[code] / (1.0 + premium[code]), 0.0)
        days = np.where(learns, learning_days[code], 1)
        # Lines numbered in the order of their first purchase.
        keys, first, inverse = np.unique(np.where(learns, arrays.video * len(tools) + code, -1),
                                         return_index=True, return_inverse=True)
        number = np.full(len(keys), -1, dtype=np.int64)
        real = np.flatnonzero(keys >= 0)
        number[real[np.argsort(first[real], kind="stable")]] = np.arange(len(real))
        line = number[inverse.reshape(-1)]
        running = np.zeros(n, dtype=bool)
        if response.running:
            # The running lines as codes (video, tool), the way ``line`` numbers them.
            video_code = {v: k for k, v in enumerate(arrays.videos)}
            ran = [video_code[video_id] * len(tools) + tools.index(tool)
                   for video_id, tool in response.running if video_id in video_code]
            running = learns & np.isin(arrays.video * len(tools) + code, ran)
        return cls(cost=cost, line=line, day=arrays.first_day.copy(),
                   days=days.astype(np.int64), running=running)

    def rows(self, positions: Ints, owners: Ints | None = None) -> LearningRows:
        """The learning rows over the purchases at ``positions`` (see ``LearningRows``),
        of the ``owners`` among them only when given.

        A purchase d of a line gets one row per earlier day d-j (j = 1 .. L) of its
        line, or, when one of those days has no purchase among ``positions`` (or lies
        before the first planned day of a line that did not run), the single row
        ``learning >= GMV`` (the others are weaker). A line that ran before the plan
        counts its days before the first as run. In the order of ``positions``, then j.
        """
        pos = positions[self.line[positions] >= 0]
        if not len(pos):
            return LearningRows.empty()
        span = int(self.day.max()) + 1
        key = self.line[pos] * span + self.day[pos]
        order = np.argsort(key, kind="stable")
        groups, group_start = np.unique(key[order], return_index=True)
        group_end = np.append(group_start[1:], len(order))
        day, days, running = self.day[pos], self.days[pos], self.running[pos]
        owner: list[Ints] = []
        lag: list[Ints] = []
        group: list[Ints] = []
        gap = np.zeros(len(pos), dtype=bool)
        mine = np.ones(len(pos), dtype=bool) if owners is None else np.isin(pos, owners)
        for j in range(1, int(days.max()) + 1):
            valid = (j <= days) & ~(running & (day - j < 0))
            at = np.searchsorted(groups, key - j).clip(0, len(groups) - 1)
            found = (day - j >= 0) & (groups[at] == key - j)
            gap |= valid & ~found
            take = np.flatnonzero(valid & found & mine)
            owner.append(take)
            lag.append(np.full(len(take), j, dtype=np.int64))
            group.append(at[take])
        own, lags, grp = (np.concatenate(owner), np.concatenate(lag), np.concatenate(group))
        keep = ~gap[own]
        new = np.flatnonzero(gap & mine)
        own = np.concatenate([own[keep], new])
        lags = np.concatenate([lags[keep], np.zeros(len(new), dtype=np.int64)])
        grp = np.concatenate([grp[keep], np.full(len(new), -1, dtype=np.int64)])
        # Rows grouped by (line, day) in the order of each group's first purchase (as a
        # dict of groups would iterate), then by purchase, then by j.
        rank = np.minimum.reduceat(order, group_start)
        own_group = np.searchsorted(groups, key[own])
        sequence = np.lexsort((lags, own, rank[own_group]))
        own, grp = own[sequence], grp[sequence]
        counts = np.where(grp >= 0, group_end[grp] - group_start[grp], 0)
        earlier_start = np.zeros(len(own) + 1, dtype=np.int64)
        np.cumsum(counts, out=earlier_start[1:])
        within = np.arange(int(earlier_start[-1])) - np.repeat(earlier_start[:-1], counts)
        # Each group's purchases in the order of ``positions``.
        members = pos[order[np.repeat(group_start[grp.clip(0)], counts) + within]]
        return LearningRows(owner=pos[own], earlier_start=earlier_start, earlier=members)


@dataclass
class LearningRows:
    """Learning rows as arrays: row r prices ``owner[r]`` against the purchases
    ``earlier[earlier_start[r]:earlier_start[r + 1]]`` (one earlier day of its line); a
    row with none is ``learning >= GMV``, a day without an earlier one to relieve it."""

    owner: Ints
    earlier_start: Ints
    earlier: Ints

    @classmethod
    def empty(cls) -> LearningRows:
        none = np.zeros(0, dtype=np.int64)
        return cls(owner=none, earlier_start=np.zeros(1, dtype=np.int64), earlier=none)

    def __len__(self) -> int:
        return len(self.owner)


def learning_loss(coupling: Coupling, spend: dict[int, float]) -> dict[int, float]:
    """GMV each purchase loses to its learning phase at ``spend`` (purchase index ->
    thousand yuan), in thousand yuan: the model's learning columns at their optimum."""
    learning = coupling.learning
    if learning is None or not spend:
        return {}
    positions = np.array(sorted(i for i, v in spend.items() if v > TOL), dtype=np.int64)
    x = np.zeros(len(coupling.purchases))
    for i, v in spend.items():
        x[i] = v
    rows = learning.rows(positions)
    cumulative = np.zeros(len(rows.earlier) + 1)
    np.cumsum(x[rows.earlier], out=cumulative[1:])
    before = cumulative[rows.earlier_start[1:]] - cumulative[rows.earlier_start[:-1]]
    need = np.zeros(len(coupling.purchases))
    for r, pos in enumerate(rows.owner.tolist()):
        p = coupling.purchases[pos]
        need[pos] = max(need[pos], _segment_gmv(p.seg_roi, p.seg_width, float(x[pos]))
                        - p.seg_roi[0] * float(before[r]))
    return {int(i): float(learning.cost[i] * need[i]) for i in np.flatnonzero(need > 0)}


def _segment_gmv(roi: list[float], width: list[float], spend: float) -> float:
    """The GMV ``spend`` buys filling segments best first (thousand yuan)."""
    gmv = 0.0
    for r, w in zip(roi, width, strict=True):
        take = min(spend, w)
        gmv += take * r
        spend -= take
        if spend <= 0:
            break
    return gmv


# What ``str.isalnum`` refuses (``\w`` is the same set and the underscore, already "_").
_UNSAFE = re.compile(r"\W")


def _safe(text: str) -> str:
    """``text`` with every character that is not a letter or digit made "_"."""
    return text if text.isalnum() else _UNSAFE.sub("_", text)


def daily_cap_name(day: date) -> str:
    """The daily-cap row of ``day`` (a name the solver and the explanations share)."""
    return f"daily_cap_{day:%Y%m%d}"


def amplification_name(video_id: str) -> str:
    """The reach-limit row of a video."""
    return f"amplification_{_safe(video_id)}"


def video_share_name(video_id: str) -> str:
    """The row holding a video's new orders within its share of the budget."""
    return f"video_share_{_safe(video_id)}"


def phase_budget_name(sale: str, phase: str, bound: str, day: date | None = None) -> str:
    """The row of a phase budget's bound (``min_share``, ``max_daily`` ...) in a sale."""
    name = f"phase_{bound}_{_safe(sale)}_{phase}"
    return f"{name}_{day:%Y%m%d}" if day is not None else name


def live_room_name(day: date) -> str:
    """The row holding ``day``'s direct live-room buying within its share of short video."""
    return f"live_room_direct_{day:%Y%m%d}"


def kol_share_name(kol: str) -> str:
    """The row holding a KOL's videos' new orders within their share of the budget."""
    return f"kol_share_{_safe(kol)}"


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
    learn_col: dict[int, int] = field(default_factory=dict)  # position -> learning column
    x: Floats | None = None  # column values after a solve
    start: Floats | None = None  # a known (near-)feasible point the MIP search may start from
    col_key: Ints = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    basis: tuple[Ints, Ints] | None = None  # HiGHS column and row statuses after an LP solve
    start_basis: tuple[Ints, Ints] | None = None  # an LP basis to start the simplex from
    duals: Floats | None = None  # coupling rows: GMV per unit of relaxing the row
    # The coefficients were let go (``released``): only a later solve's warm start reads it.
    released: bool = False

    def without_coefficients(self) -> AllocationModel:
        """This model as a later solve reads it (``warm``: its coupling, columns' keys,
        basis, answer and rows' names), without the coefficients of its rows.

        They are as many as the coupling's entries of every purchase it carries (about
        150 MB at 100,000 videos for the plan's two models), and the next budget or the
        next risk attitude would otherwise carry them through its own solve for nothing.
        """
        no_ints, no_floats = np.zeros(0, dtype=np.int64), np.zeros(0)
        return replace(self, a_index=no_ints, a_value=no_floats, d_start=np.zeros(1, np.int64),
                       d_index=no_ints, d_value=no_floats, released=True)

    @property
    def purchases(self) -> list[Purchase]:
        """The active purchases, made as objects (``indices`` when only they are read)."""
        return self.coupling.purchases.at(self.active.tolist())

    @property
    def indices(self) -> list[int]:
        """The active purchases' ``Purchase.index``, in model order."""
        indices: list[int] = self.coupling.indices[self.active].tolist()
        return indices

    def under_minimum(self) -> Bools:
        """Per active purchase: buys something, but less than its minimum order."""
        spent = self.spend()
        return (spent > TOL) & (spent < self.coupling.min_order[self.active] - 1e-6)

    def segment_columns(self, purchases: Ints) -> Ints:
        """The segment columns of the active purchases at ``purchases`` (model positions)."""
        starts = self.col_start[purchases]
        return gather_ranges(starts, self.col_start[purchases + 1] - starts)[1]

    @property
    def rows(self) -> Rows:
        return self.coupling.rows

    @property
    def family_of(self) -> dict[str, str]:
        rows, extra = self.coupling.rows, self.discrete
        return dict(zip(rows.names + extra.names, rows.families + extra.families, strict=True))

    @property
    def num_cols(self) -> int:
        return len(self.cost)

    def spend(self) -> Floats:
        """Thousand yuan per active purchase in the current solution."""
        assert self.x is not None
        totals = np.zeros(len(self.x) + 1)
        np.cumsum(self.x, out=totals[1:])
        return totals[self.col_start[1:]] - totals[self.col_start[:-1]]

    def row_activity(self, x: Floats | None = None) -> Floats:
        """Each coupling row's value ``a·x`` in the current solution (or in ``x``)."""
        x = self.x if x is None else x
        assert x is not None and not self.released
        counts = np.diff(self.a_start)
        columns = np.repeat(np.arange(self.num_cols), counts)
        activity: Floats = np.bincount(self.a_index, weights=self.a_value * x[columns],
                                       minlength=len(self.coupling.rows)).astype(np.float64)
        return activity

    @property
    def aux_columns(self) -> Ints:
        """The auxiliary columns (the audience built by each pool period), in order."""
        n_aux = len(self.coupling.aux_names)
        return np.arange(self.num_cols - n_aux, self.num_cols, dtype=np.int64)

    def settle_learning(self, x: Floats) -> Floats:
        """``x`` with each learning column at the least its rows allow (``Learning``)."""
        if not self.learn_col:
            return x
        assert not self.released
        rows, columns = _learning_rows(self)
        x = x.copy()
        x[columns] = 0.0
        entry_row = np.repeat(np.arange(len(self.discrete)), np.diff(self.d_start))
        activity = np.bincount(entry_row, weights=self.d_value * x[self.d_index],
                               minlength=len(self.discrete))
        need = np.zeros(self.num_cols)
        np.maximum.at(need, columns, -activity[rows])
        x[columns] = need[columns]
        return x

    def settle_aux(self, x: Floats) -> Floats:
        """``x`` with its auxiliary columns recomputed from the purchases' columns.

        A start or an answer whose spending was changed by hand (purchases
        dropped) must keep the auxiliary columns' defining rows, or HiGHS
        ignores the start and the rows read a stale audience. Each column's
        defining row reads only earlier auxiliary columns, so one pass in
        order settles them.
        """
        x = self.settle_learning(x)
        columns = self.aux_columns
        if not len(columns):
            return x
        x = x.copy()
        x[columns] = 0.0
        couple = self.coupling
        activity = self.row_activity(x)
        for k, column in enumerate(columns.tolist()):
            row = int(couple.aux_defines[k])
            if row < 0:
                continue  # the risk objective's own columns: settled below, from the GMV
            entries = slice(int(couple.aux_start[k]), int(couple.aux_start[k + 1]))
            own = float(couple.aux_value[entries][couple.aux_row[entries] == row][0])
            x[column] = -activity[row] / own
            # Later defining rows read this column: add it to their activity.
            activity[couple.aux_row[entries]] += couple.aux_value[entries] * x[column]
        if couple.risk is not None:
            couple.risk.settle(x, int(columns[0]))
        return x


def _tested(couple: Coupling, positions: Ints, col_start: Ints, source: Ints) -> Floats:
    """Lower bounds of the segment columns: a pressure test's spend, best segments first."""
    lower = np.zeros(len(source))
    if not couple.tests.spend:
        return lower
    floor = couple.test_floor()[positions]
    width = couple.seg_width[source]
    owner = np.repeat(np.arange(len(positions)), np.diff(col_start))
    filled = np.concatenate([[0.0], np.cumsum(width)])
    before = filled[:-1] - np.repeat(filled[col_start[:-1]], np.diff(col_start))
    tested: Floats = np.clip(floor[owner] - before, 0.0, width)
    return tested


def _whole_lines(couple: Coupling, touching: Ints, positions: Ints) -> Ints:
    """``positions`` with every purchase of each learning line ``touching`` touches, up to
    the latest day it touches.

    A purchase relieves the learning rows of its line's later days, which the pricing
    of purchases outside the model does not see: with each line carried from its first
    day to the latest day that has learning rows in the model, a purchase outside it
    comes after every row of its line, so it is in no learning row of the model and
    the pricing (which leaves the premium out, and can only overrate) never stops the
    sifting early. A model with the learning rows of some purchases only (``priced``)
    carries their lines so; the other lines are in no learning row.
    """
    learning = couple.learning
    if learning is None or not len(touching):
        return positions
    members = line_prefix(learning, touching)
    if not len(members):
        return positions
    return np.union1d(positions, members).astype(np.int64)


def line_prefix(learning: Learning, touching: Ints, beyond: int = 0) -> Ints:
    """Every purchase of each learning line among ``touching``, from the line's first day
    to ``beyond`` days after the latest day ``touching`` has on it."""
    touched = touching[learning.line[touching] >= 0]
    if not len(touched):
        return np.zeros(0, dtype=np.int64)
    latest = np.full(int(learning.line.max()) + 1, -1, dtype=np.int64)
    np.maximum.at(latest, learning.line[touched], learning.day[touched])
    last = latest[learning.line.clip(0)]
    inside = (learning.line >= 0) & (last >= 0) & (learning.day <= last + beyond)
    return np.flatnonzero(inside).astype(np.int64)


def _learning_rows(model: AllocationModel) -> tuple[Ints, Ints]:
    """The learning rows among the discrete rows, and each one's learning column."""
    rows = np.flatnonzero(np.array(model.discrete.families, dtype=object) == "learning")
    return rows, model.d_index[model.d_start[rows]]


def build_model(response: ResponseModel, campaign: Campaign, *, flat: bool = False,
                lazy: set[int] | None = None, active: set[int] | None = None,
                relaxed: bool = False, shared: Coupling | None = None,
                priced: set[int] | None = None) -> AllocationModel:
    """Assemble the model over the ``active`` purchases (all when None).

    ``flat`` puts a minimum-order binary on every purchase; ``lazy`` names the
    daily purchases that get one; ``relaxed`` makes every binary continuous.
    ``shared`` reuses the coupling rows of an earlier model of the same response.
    ``priced`` (purchase indices; None: every one) limits the learning columns and
    rows to those purchases: leaving a purchase's rows out can only overrate it, so
    the model stays a relaxation (the sifting LP adds the rows of what it buys).
    """
    couple = shared or coupling(response, campaign)
    purchases = couple.purchases
    positions = np.arange(len(purchases), dtype=np.int64) if active is None else np.flatnonzero(
        np.isin(couple.indices, np.fromiter(active, dtype=np.int64, count=len(active))))
    if couple.tests.spend:  # every model carries the pressure tests
        positions = np.union1d(positions, np.fromiter(couple.tests.spend, dtype=np.int64))
    positions = _whole_lines(couple, positions if priced is None else np.fromiter(
        priced, dtype=np.int64, count=len(priced)), positions)
    col_start, source = couple.segments(positions)
    n_seg = len(source)
    owner = np.repeat(positions, np.diff(col_start))
    a_start, pattern = gather_ranges(couple.pattern_start[owner],
                               couple.pattern_start[owner + 1] - couple.pattern_start[owner])
    lazy_indices = np.fromiter(lazy or (), dtype=np.int64)
    binaries: list[int] = positions[
        couple.content_service[positions] | flat
        | np.isin(couple.indices[positions], lazy_indices)].tolist()
    on_col = {i: n_seg + k for k, i in enumerate(binaries)}
    learning = couple.learning
    learners = (positions[learning.cost[positions] > 0] if learning is not None
                else np.zeros(0, dtype=np.int64))
    if priced is not None:
        learners = learners[np.isin(learners, np.fromiter(priced, np.int64, len(priced)))]
    learn_col = {int(i): n_seg + len(binaries) + k for k, i in enumerate(learners.tolist())}
    learn_cost = learning.cost[learners] if learning is not None else np.zeros(0)
    # A learning column's GMV loss also comes off its video's GMV in the risk rows.
    learn_row = couple.gmv_row[learners] if len(couple.gmv_row) else np.full(
        len(learners), -1, dtype=np.int64)
    in_risk = learn_row >= 0
    learn_start = np.zeros(len(learners) + 1, dtype=np.int64)
    np.cumsum(in_risk, out=learn_start[1:])
    n_aux = len(couple.aux_names)
    a_value = couple.pattern_value[pattern]
    if couple.scaled_rows.any():
        # GMV rows: each segment's entry is its own ROI per thousand yuan.
        entry_source = np.repeat(source, np.diff(a_start))
        scaled = couple.pattern_scaled[pattern]
        a_value = np.where(scaled, a_value * couple.seg_roi[entry_source], a_value)
    model = AllocationModel(
        coupling=couple,
        active=positions,
        col_start=col_start,
        cost=np.concatenate([couple.seg_roi[source] * couple.preference[owner]
                             * couple.expected_weight,
                             np.zeros(len(binaries)), -learn_cost * couple.expected_weight,
                             couple.aux_cost]),
        # A pressure test's spend fills its purchase's first segments.
        col_lower=np.concatenate([_tested(couple, positions, col_start, source),
                                  np.zeros(len(binaries) + len(learners)), couple.aux_lower]),
        col_upper=np.concatenate([couple.seg_width[source], np.ones(len(binaries)),
                                  np.full(len(learners), INF), couple.aux_upper]),
        integer=np.concatenate([np.zeros(n_seg, dtype=bool),
                                np.full(len(binaries), not relaxed),
                                np.zeros(len(learners) + n_aux, bool)]),
        # The on/off columns take no part in the coupling rows, the learning columns only
        # in their video's risk_gmv row; the auxiliary ones come last.
        a_start=np.concatenate([a_start, np.full(len(binaries), a_start[-1]),
                                a_start[-1] + learn_start[1:],
                                a_start[-1] + learn_start[-1] + couple.aux_start[1:]]),
        a_index=np.concatenate([couple.pattern_row[pattern], learn_row[in_risk],
                                couple.aux_row]),
        a_value=np.concatenate([a_value, learn_cost[in_risk], couple.aux_value]),
        discrete=Rows(),
        d_start=np.zeros(1, dtype=np.int64),
        d_index=np.zeros(0, dtype=np.int64),
        d_value=np.zeros(0),
        on_col=on_col,
        learn_col=learn_col,
        # Segment columns by their global segment, on/off columns by -(position + 1),
        # auxiliary columns after those, learning columns after all: what a later model
        # needs to carry this one's basis over.
        col_key=np.concatenate([source, -1 - np.array(binaries, dtype=np.int64),
                                -1 - len(purchases) - n_aux - learners,
                                -1 - len(purchases) - np.arange(n_aux, dtype=np.int64)]),
    )
    _add_discrete_rows(model)
    return model


def _add_discrete_rows(model: AllocationModel) -> None:
    """Minimum orders (per-segment links: a much tighter relaxation) and CS-Dou+ exclusivity."""
    purchases = model.coupling.purchases
    rows = model.discrete
    starts, index, value = _min_order_rows(model)
    index_list: list[int] = []
    value_list: list[float] = []
    starts_list: list[int] = []
    offset = len(index)

    def row(family: str, name: str, limit: Limit, terms: list[tuple[int, float]], *,
            lower: float = -INF, upper: float = INF) -> None:
        rows.add(family, name, limit, lower=lower, upper=upper)
        index_list.extend(c for c, _ in terms)
        value_list.extend(v for _, v in terms)
        starts_list.append(offset + len(index_list))

    content_service = [(pos, on) for pos, on in model.on_col.items()
                       if purchases[pos].is_content_service]
    if content_service:
        first_col = {int(p): int(model.col_start[k])
                     for k, p in enumerate(model.active.tolist())}
        # Read from the book's codes: every active purchase made as an object only to ask
        # its tool cost more than the rows.
        active = model.active[purchases.tool_is(Tool.DOU_PLUS)[model.active]]
        dates, ids = purchases.dates, purchases.videos
        dou_plus = {
            (ids[video], dates[day]): pos for pos, video, day in zip(
                active.tolist(), purchases.video[active].tolist(),
                purchases.day[active].tolist(), strict=True)
        }
    for pos, on in content_service:
        cs = purchases[pos]
        for day in cs.days:
            dp_pos = dou_plus.get((cs.video_id, day))
            if dp_pos is None:
                continue
            dp = purchases[dp_pos]
            for k, w in enumerate(dp.seg_width):
                row("cs_excludes_dou_plus", f"cs_excludes_dou_plus_{cs.index}_{dp.index}_{k}",
                    ("cs_excludes_dou_plus", {"video": cs.video_id}),
                    [(first_col[dp_pos] + k, 1.0), (on, w)], upper=w)
    model.d_start = np.concatenate([starts, np.array(starts_list, dtype=np.int64)])
    model.d_index = np.concatenate([index, np.array(index_list, dtype=np.int64)])
    model.d_value = np.concatenate([value, np.array(value_list, dtype=np.float64)])
    _add_learning_rows(model)


def _min_order_rows(model: AllocationModel) -> tuple[Ints, Ints, Floats]:
    """Each binary purchase's minimum order, then a link per segment, added to
    ``model.discrete`` as arrays: (the rows' starts from 0, their columns, coefficients).

    ``min_order_<i>``: its segments - minimum x on >= 0; ``link_<i>_<k>``: segment k - its
    width x on <= 0. The rows and entries in the order they were always written in.
    """
    couple = model.coupling
    on_pos = np.fromiter(model.on_col, dtype=np.int64, count=len(model.on_col))
    on = np.fromiter(model.on_col.values(), dtype=np.int64, count=len(model.on_col))
    at = np.searchsorted(model.active, on_pos)
    first = model.col_start[at]
    segments = model.col_start[at + 1] - first
    minimum = couple.min_order[on_pos]
    # Per binary: its minimum-order row (its segments, then its on column), then one link
    # row per segment (the segment, then the on column).
    rows_of = 1 + segments
    row_first = np.zeros(len(on_pos) + 1, dtype=np.int64)
    np.cumsum(rows_of, out=row_first[1:])
    length = np.full(int(row_first[-1]), 2, dtype=np.int64)
    length[row_first[:-1]] = segments + 1
    starts = np.zeros(len(length) + 1, dtype=np.int64)
    np.cumsum(length, out=starts[1:])
    index = np.empty(int(starts[-1]), dtype=np.int64)
    value = np.empty(int(starts[-1]))
    # The minimum-order rows: each segment at 1, then the on column at -minimum.
    begin, cols = gather_ranges(first, segments)
    place = np.repeat(starts[row_first[:-1]], segments) + (
        np.arange(len(cols), dtype=np.int64) - np.repeat(begin[:-1], segments))
    index[place], value[place] = cols, 1.0
    ends = starts[row_first[:-1]] + segments
    index[ends], value[ends] = on, -minimum
    # The link rows: a segment at 1, its on column at minus the segment's width.
    links = starts[np.repeat(row_first[:-1] + 1, segments)
                   + np.arange(len(cols), dtype=np.int64) - np.repeat(begin[:-1], segments)]
    index[links], value[links] = cols, 1.0
    index[links + 1] = np.repeat(on, segments)
    value[links + 1] = -couple.seg_width[model.col_key[cols]]
    rows = model.discrete
    purchases = couple.purchases
    limit_of = [("min_order", {"tool": purchases[pos].tool.value, "amount": m * KYUAN})
                for pos, m in zip(on_pos.tolist(), minimum.tolist(), strict=True)]
    for i, count, limit in zip(couple.indices[on_pos].tolist(), segments.tolist(), limit_of,
                               strict=True):
        rows.extend("min_order", [f"min_order_{i}", *(f"link_{i}_{k}" for k in range(count))],
                    [limit] * (count + 1), lower=[0.0, *(-INF,) * count],
                    upper=[INF, *(0.0,) * count])
    return starts, index, value


def _add_learning_rows(model: AllocationModel) -> None:
    """learning_d - GMV_d + ROI_d x spend_(d-j) >= 0 (``Learning``), built as arrays: the
    rows only price a relaunch and never bind (NEVER_BINDING), so their limit is never
    said. Each row: its learning column, its purchase's segments at minus their ROI, the
    earlier day's segments at its purchase's first ROI."""
    learning = model.coupling.learning
    if learning is None or not model.learn_col:
        return
    purchases = model.coupling.purchases
    rows = learning.rows(model.active, np.fromiter(model.learn_col, dtype=np.int64,
                                                   count=len(model.learn_col)))
    if not len(rows):
        return
    seg_roi = model.coupling.seg_roi[model.col_key[: int(model.col_start[-1])]]
    owner_at = np.searchsorted(model.active, rows.owner)
    first = model.col_start[owner_at]

    def columns_of(at: Ints) -> tuple[Ints, Ints]:
        """Every segment column of the model positions ``at``, and the entry it is of."""
        lengths = model.col_start[at + 1] - model.col_start[at]
        entry = np.repeat(np.arange(len(at), dtype=np.int64), lengths)
        offsets = np.arange(int(lengths.sum())) - np.repeat(np.cumsum(lengths) - lengths,
                                                             lengths)
        return model.col_start[at][entry] + offsets, entry

    own_cols, own_row = columns_of(owner_at)
    earlier_at = np.searchsorted(model.active, rows.earlier)
    earlier_cols, earlier_entry = columns_of(earlier_at)
    earlier_row = np.repeat(np.arange(len(rows), dtype=np.int64),
                            np.diff(rows.earlier_start))[earlier_entry]
    learn = np.array([model.learn_col[int(o)] for o in rows.owner.tolist()], dtype=np.int64)
    row_of = np.concatenate([np.arange(len(rows), dtype=np.int64), own_row, earlier_row])
    cols = np.concatenate([learn, own_cols, earlier_cols])
    vals = np.concatenate([np.ones(len(rows)), -seg_roi[own_cols], seg_roi[first][earlier_row]])
    # Entries of a row together: its learning column, its own segments, the earlier ones.
    sequence = np.argsort(row_of, kind="stable")
    counts = np.bincount(row_of, minlength=len(rows))
    starts = model.d_start[-1] + np.cumsum(counts)
    model.d_start = np.concatenate([model.d_start, starts])
    model.d_index = np.concatenate([model.d_index, cols[sequence]])
    model.d_value = np.concatenate([model.d_value, vals[sequence]])
    # Named after its purchase and the first earlier one ("new": none).
    first_earlier = np.full(len(rows), -1, dtype=np.int64)
    some = np.diff(rows.earlier_start) > 0
    first_earlier[some] = rows.earlier[rows.earlier_start[:-1][some]]
    discrete = model.discrete
    # A purchase's index is its place in the book, and its video is read from the codes:
    # making each purchase as an object cost more than the rows themselves.
    ids = purchases.videos
    videos = [ids[code] for code in purchases.video[rows.owner].tolist()]
    for o, e, video in zip(rows.owner.tolist(), first_earlier.tolist(), videos, strict=True):
        suffix = e if e >= 0 else "new"
        discrete.add("learning", f"learning_{o}_{suffix}", ("learning", {"video": video}),
                     lower=0.0)

