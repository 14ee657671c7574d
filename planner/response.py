# Long on purpose: each tool's economics and its purchases are built in one roster pass.
"""The response model: what each yuan on a video, tool and day is expected to sell.

A *purchase* is one buying decision: a daily order (Dou+, Suixintui) or daily
plan budget (KOL bidding, Qianchuan, AD, UD) on one video and day, or a whole
content-service order over a window. Each purchase's capacity is cut into
segments of falling ROI (diminishing returns), so the optimiser fills the
best segments first and a linear program stays exact.

    impressions a day = natural plays x tool reach multiple x account weight
                        x freshness (halves every tier half-life)
                        x sale capacity multiplier (Dou+ near zero in big sales)
    capacity (yuan)   = impressions / 1000 x normal CPM (a sale's higher price buys
                        fewer impressions with it)
    ROI               = GPM x tool efficiency x sale conversion multiplier
                        / (CPM x sale price multiplier)

Money is held in thousands of yuan (``KYUAN``) inside the model: with raw
yuan HiGHS reports excessively large bounds (trial runs).
"""

from __future__ import annotations

import math
import operator
import typing
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from itertools import pairwise

import numpy as np
import numpy.typing as npt

from planner.config import BigSale, Campaign, Commitment, PhaseToolEffects
from planner.errors import InputError, Problem
from planner.i18n import t
from planner.models import Mode, Reason, Video
from planner.plausibility import burst_roi_cap
from planner.reasons import reason
from planner.rules import (
    Assessment,
    dou_plus_first_day,
    dou_plus_modes,
    dou_plus_targeting,
    kol_bidding_strategy,
    suixintui_targeting,
    tool_reasons,
)
from planner.scoring import VideoScores, freshness
from planner.tools import (
    CHAIN_TOOLS,
    HARVESTING_TOOLS,
    LIVE_ROOM_ID,
    LIVE_ROOM_TOOLS,
    SEEDING_TOOLS,
    Tool,
)
from planner.uncertainty import Belief, Scenarios, beliefs_of, draw_scenarios, live_room_belief

KYUAN = 1000.0


@dataclass(frozen=True)
class SegmentShape:
    """How a purchase's capacity is cut into segments of diminishing returns: each
    segment's share of the capacity and its ROI relative to the purchase's.

    Every purchase with the same kept segments shares one shape (``Economics``), so a
    purchase holds two numbers, not two lists (two million purchases at 100,000 videos).
    """

    shares: tuple[float, ...]
    factors: tuple[float, ...]

    def width(self, capacity: float) -> float:
        """What the segments of ``capacity`` hold together (thousand yuan)."""
        return sum([capacity * share for share in self.shares])


@dataclass(slots=True)
class Purchase:
    """One buying decision and its capacity segments (money in thousand yuan).

    Segment ``k`` sells ``roi x shape.factors[k]`` per yuan on ``full_capacity x
    shape.shares[k]`` (``seg_roi``, ``seg_width``): only the segments above the ROI floor
    are in its shape.
    """

    index: int  # its place in ``ResponseModel.purchases``
    video_id: str
    tool: Tool
    days: tuple[date, ...]
    day_shares: tuple[float, ...]  # how the purchase's spend spreads over ``days``
    booking_date: date
    min_order: float
    roi: float  # GMV per yuan before diminishing returns: segment k sells roi x factors[k]
    full_capacity: float  # thousand yuan it can take, before the shape's shares
    shape: SegmentShape
    impressions_per_kyuan: float
    seeding: bool
    mode: Mode | None = None
    targeting: str | None = None
    sale: str | None = None
    reasons: list[Reason] = field(default_factory=list)
    # How the purchase's GMV spreads over ``days`` (None: as its spend): a lock-in's days
    # convert by their phase, so its peak days sell more per yuan than its pre-sale days.
    gmv_shares: tuple[float, ...] | None = None
    # Whether it is a whole content-service order: read millions of times a plan at 20,000
    # videos, a field is read several times faster than a property works it out.
    is_content_service: bool = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.is_content_service = self.tool is Tool.CONTENT_SERVICE

    @property
    def seg_roi(self) -> list[float]:
        roi = self.roi
        return [roi * factor for factor in self.shape.factors]

    @property
    def seg_width(self) -> list[float]:
        capacity = self.full_capacity
        return [capacity * share for share in self.shape.shares]

    @property
    def gmv_day_shares(self) -> tuple[float, ...]:
        return self.gmv_shares if self.gmv_shares is not None else self.day_shares

    @property
    def capacity(self) -> float:
        return self.shape.width(self.full_capacity)


# Every tool in a fixed order: a purchase's tool as a number (``PurchaseBook.tool``).
TOOLS = list(Tool)
Ints = npt.NDArray[np.int64]
Codes = npt.NDArray[np.int32]
Floats = npt.NDArray[np.float64]
Bools = npt.NDArray[np.bool_]


def tool_codes(tools: Iterable[Tool]) -> list[int]:
    """The codes of ``tools`` (their places in ``TOOLS``)."""
    return [TOOLS.index(tool) for tool in tools]


@dataclass(frozen=True, eq=False)
class PurchaseBook(Sequence[Purchase]):
    """Every purchase on offer, in its order, as columns: one entry per purchase.

    A roster offers a purchase per video, daily tool and day (two million at 100,000
    videos), and the optimiser prices them all as arrays but touches only a few thousand
    as objects (the active set, the bought ones, the layout). So the daily cells are held
    as numbers: codes into small shared tables (videos, days, segment shapes, modes,
    targetings, sales, lists of reasons) and their figures. ``book[i]`` makes the same
    ``Purchase`` on demand, equal by value, a new object each time (never compare two
    reads with ``is``). Purchases that are not one-day cells (content-service orders, the
    live room's buys) are kept whole in ``held``, by index, with their columns filled too.
    """

    # Tables the codes point into.
    videos: list[str]  # in order of first purchase
    dates: list[date]  # the planned days first, then any other day a held purchase starts
    shapes: list[SegmentShape]
    modes: list[Mode | None]
    targetings: list[str | None]
    sales: list[str | None]
    reasons: list[list[Reason]]  # shared by the days of a line: never change one
    # Columns: one entry per purchase (its index).
    video: Codes
    tool: Codes  # its place in ``TOOLS``
    day: Codes  # its first day in ``dates``
    roi: Floats  # GMV per yuan before diminishing returns
    full_capacity: Floats  # thousand yuan, before the shape's shares
    shape: Codes
    impressions: Floats  # per thousand yuan
    min_order: Floats  # thousand yuan
    seeding: Bools
    mode: Codes
    targeting: Codes
    sale: Codes
    why: Codes  # its list of reasons in ``reasons``
    held: dict[int, Purchase]  # purchases kept whole (several days, or made as objects)
    one_day: list[tuple[date]] = field(init=False, repr=False)  # (dates[k],): shared tuples

    def __post_init__(self) -> None:
        object.__setattr__(self, "one_day", [(d,) for d in self.dates])

    def __len__(self) -> int:
        return len(self.roi)

    @typing.overload
    def __getitem__(self, index: int) -> Purchase: ...

    @typing.overload
    def __getitem__(self, index: slice) -> list[Purchase]: ...

    def __getitem__(self, index: int | slice) -> Purchase | list[Purchase]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        i = operator.index(index)
        if i < 0:
            i += len(self)
        held = self.held.get(i)
        if held is not None:
            return held
        if not 0 <= i < len(self):
            raise IndexError(index)
        day = int(self.day[i])
        date_ = self.dates[day]
        # By position, in the order of Purchase's fields (index, video, tool, days, day
        # shares, booking date, minimum order, ROI, capacity, shape, impressions, seeding,
        # mode, targeting, sale, reasons).
        return Purchase(
            i, self.videos[self.video[i]], TOOLS[self.tool[i]], self.one_day[day], (1.0,),
            date_, float(self.min_order[i]), float(self.roi[i]), float(self.full_capacity[i]),
            self.shapes[self.shape[i]], float(self.impressions[i]), bool(self.seeding[i]),
            self.modes[self.mode[i]], self.targetings[self.targeting[i]],
            self.sales[self.sale[i]], self.reasons[self.why[i]])

    def __iter__(self) -> Iterator[Purchase]:
        """Every purchase as an object: for tests and one-off error paths only (a plan at
        20,000 videos has 400,000 of them); the plan's path reads the columns."""
        return (self[i] for i in range(len(self)))

    def at(self, positions: Iterable[int]) -> list[Purchase]:
        """The purchases at ``positions``, as objects."""
        return [self[i] for i in positions]

    def video_ids(self) -> list[str]:
        """The videos with a purchase on offer, sorted."""
        return sorted(self.videos)

    def codes_of(self, video_ids: Iterable[str]) -> Ints:
        """The codes of those of ``video_ids`` with a purchase on offer."""
        code = {v: k for k, v in enumerate(self.videos)}
        return np.array(sorted(code[v] for v in set(video_ids) if v in code), dtype=np.int64)

    def tool_is(self, tool: Tool) -> Bools:
        """Per purchase, whether it buys ``tool``."""
        is_tool: Bools = self.tool == TOOLS.index(tool)
        return is_tool

    def capacity(self) -> Floats:
        """Thousand yuan each purchase's segments hold together (``Purchase.capacity``)."""
        shares, _, _ = self._shape_table()
        return _summed_widths(self.full_capacity, shares, self.shape)

    def segments(self) -> Segments:
        """Every purchase's segments end to end, as ``Purchase.seg_roi`` and ``seg_width``
        make them, and its capacity."""
        shares, factors, count = self._shape_table()
        row = self.shape.astype(np.int64)
        n = len(row)
        start = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(count[row], out=start[1:])
        owner = np.repeat(np.arange(n, dtype=np.int64), count[row])
        place = np.arange(int(start[-1]), dtype=np.int64) - start[:-1][owner]
        return Segments(start=start, roi=self.roi[owner] * factors[row[owner], place],
                        width=self.full_capacity[owner] * shares[row[owner], place],
                        capacity=_summed_widths(self.full_capacity, shares, self.shape))

    def _shape_table(self) -> tuple[Floats, Floats, Ints]:
        """The shapes' shares and factors, a row each (padded with zeros), and how many
        segments each has."""
        widest = max((len(s.shares) for s in self.shapes), default=0)
        shares = np.zeros((len(self.shapes), widest))
        factors = np.zeros((len(self.shapes), widest))
        for k, shape in enumerate(self.shapes):
            shares[k, :len(shape.shares)] = shape.shares
            factors[k, :len(shape.factors)] = shape.factors
        return shares, factors, np.array([len(s.shares) for s in self.shapes], dtype=np.int64)

    def entries(self) -> tuple[Ints, Codes, Floats]:
        """One entry per day a purchase spends on, in the purchases' order and each one's
        days in order: (its purchase, its day in ``dates``, the share of its spend)."""
        n = len(self)
        several = {i: p for i, p in self.held.items() if len(p.days) != 1}
        if not several:
            return np.arange(n, dtype=np.int64), self.day, np.ones(n)
        lengths = np.ones(n, dtype=np.int64)
        for i, p in several.items():
            lengths[i] = len(p.days)
        start = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(lengths, out=start[1:])
        owner = np.repeat(np.arange(n, dtype=np.int64), lengths)
        day = self.day[owner]
        share = np.ones(len(owner))
        code = {d: k for k, d in enumerate(self.dates)}
        for i, p in several.items():
            span = slice(int(start[i]), int(start[i + 1]))
            day[span] = [code[d] for d in p.days]
            share[span] = p.day_shares
        return owner, day, share

    @classmethod
    def of_purchases(cls, purchases: Sequence[Purchase]) -> PurchaseBook:
        """A book of purchases made as objects (each kept whole, at its index)."""
        if isinstance(purchases, PurchaseBook):
            return purchases
        builder = _BookBuilder([], [])
        builder.add_held(purchases)
        return builder.book()


@dataclass(frozen=True)
class Segments:
    """Every purchase's segments end to end (``start[i]`` .. ``start[i + 1]``): their ROI
    and width (thousand yuan), and each purchase's capacity (what its segments hold)."""

    start: Ints
    roi: Floats
    width: Floats
    capacity: Floats


def _summed_widths(full_capacity: Floats, shares: Floats, shape: Codes) -> Floats:
    """Each purchase's segments' widths added up segment by segment, as
    ``SegmentShape.width`` does: the same last bits."""
    capacity = np.zeros(len(full_capacity))
    for k in range(shares.shape[1]):
        capacity += full_capacity * shares[shape, k]
    return capacity


class _BookBuilder:
    """Gathers a ``PurchaseBook`` in the purchases' order: runs of a daily grid's cells
    (one video and tool each, read from the grid's arrays at the end), and purchases made
    as objects."""

    def __init__(self, days: list[date], shapes: Sequence[SegmentShape]) -> None:
        self.videos: list[str] = []
        self.dates = list(days)
        self.shapes = list(shapes)
        self.modes: list[Mode | None] = [None]
        self.targetings: list[str | None] = [None]
        self.sales: list[str | None] = [None]
        self.reasons: list[list[Reason]] = []
        self._video_code: dict[str, int] = {}
        self._date_code = {d: k for k, d in enumerate(self.dates)}
        self._shape_code = {id(s): k for k, s in enumerate(self.shapes)}
        self._mode_code: dict[Mode | None, int] = {None: 0}
        self._targeting_code: dict[str | None, int] = {None: 0}
        self._sale_code: dict[str | None, int] = {None: 0}
        self.grids: list[_DailyGrid] = []
        # Runs in order: (grid number, first cell, cells, video code); grid -1 is ``held``
        # (first cell: its place there).
        self.runs: list[tuple[int, int, int, int]] = []
        self.held: list[Purchase] = []
        self.count = 0

    def video(self, video_id: str) -> int:
        code = self._video_code.get(video_id)
        if code is None:
            code = self._video_code[video_id] = len(self.videos)
            self.videos.append(video_id)
        return code

    def mode(self, mode: Mode | None) -> int:
        return _intern(self._mode_code, self.modes, mode)

    def targeting(self, targeting: str | None) -> int:
        return _intern(self._targeting_code, self.targetings, targeting)

    def sale(self, sale: str | None) -> int:
        return _intern(self._sale_code, self.sales, sale)

    def why(self, reasons: list[Reason]) -> int:
        """A new list of reasons' code (each list once: its days share it)."""
        self.reasons.append(reasons)
        return len(self.reasons) - 1

    def grid(self, grid: _DailyGrid) -> int:
        self.grids.append(grid)
        return len(self.grids) - 1

    def add_cells(self, grid: int, first: int, end: int, video_id: str) -> None:
        """The cells ``first .. end`` of grid number ``grid``: one video's, in day order."""
        if end > first:
            self.runs.append((grid, first, end - first, self.video(video_id)))
            self.count += end - first

    def add_held(self, purchases: Iterable[Purchase]) -> None:
        for p in purchases:
            self.runs.append((-1, len(self.held), 1, self.video(p.video_id)))
            self.held.append(p)
            self.count += 1

    def book(self) -> PurchaseBook:
        n = self.count
        columns = _Columns.empty(n)
        runs = np.array(self.runs, dtype=np.int64).reshape(-1, 4)
        source, first, length, video = runs.T
        start = np.zeros(len(runs) + 1, dtype=np.int64)
        np.cumsum(length, out=start[1:])
        columns.video[:] = np.repeat(video, length)
        for number, grid in enumerate(self.grids):
            mine = source == number
            _, at = gather_ranges(start[:-1][mine], length[mine])
            _, cells = gather_ranges(first[mine], length[mine])
            grid.fill(columns, at, cells, self)
        held: dict[int, Purchase] = {}
        for run in np.flatnonzero(source < 0).tolist():
            i = int(start[run])
            p = held[i] = self.held[int(first[run])]
            self._fill_held(columns, i, p)
        return PurchaseBook(
            videos=self.videos, dates=self.dates, shapes=self.shapes, modes=self.modes,
            targetings=self.targetings, sales=self.sales, reasons=self.reasons,
            video=columns.video, tool=columns.tool, day=columns.day, roi=columns.roi,
            full_capacity=columns.full_capacity, shape=columns.shape,
            impressions=columns.impressions, min_order=columns.min_order,
            seeding=columns.seeding, mode=columns.mode, targeting=columns.targeting,
            sale=columns.sale, why=columns.why, held=held)

    def _fill_held(self, columns: _Columns, i: int, p: Purchase) -> None:
        """A held purchase's columns: what is read of every purchase (its list of reasons
        is read from the purchase itself)."""
        columns.tool[i] = TOOLS.index(p.tool)
        # Every day of it has its code (``entries`` reads them), the first is its day.
        codes = [_intern(self._date_code, self.dates, d) for d in p.days]
        columns.day[i] = codes[0]
        columns.roi[i] = p.roi
        columns.full_capacity[i] = p.full_capacity
        shape = self._shape_code.get(id(p.shape))
        if shape is None:
            shape = self._shape_code[id(p.shape)] = len(self.shapes)
            self.shapes.append(p.shape)
        columns.shape[i] = shape
        columns.impressions[i] = p.impressions_per_kyuan
        columns.min_order[i] = p.min_order
        columns.seeding[i] = p.seeding
        columns.mode[i] = self.mode(p.mode)
        columns.targeting[i] = self.targeting(p.targeting)
        columns.sale[i] = self.sale(p.sale)
        columns.why[i] = -1


@dataclass
class _Columns:
    """A book's columns while it is gathered (see ``PurchaseBook``)."""

    video: Codes
    tool: Codes
    day: Codes
    roi: Floats
    full_capacity: Floats
    shape: Codes
    impressions: Floats
    min_order: Floats
    seeding: Bools
    mode: Codes
    targeting: Codes
    sale: Codes
    why: Codes

    @classmethod
    def empty(cls, n: int) -> _Columns:
        def codes() -> Codes:
            return np.zeros(n, dtype=np.int32)

        return cls(video=codes(), tool=codes(), day=codes(), roi=np.zeros(n),
                   full_capacity=np.zeros(n), shape=codes(), impressions=np.zeros(n),
                   min_order=np.zeros(n), seeding=np.zeros(n, dtype=bool), mode=codes(),
                   targeting=codes(), sale=codes(), why=codes())


_Key = typing.TypeVar("_Key", bound=typing.Hashable)


def _intern(codes: dict[_Key, int], table: list[_Key], value: _Key) -> int:
    """``value``'s place in ``table``, appended the first time it is seen."""
    code = codes.get(value)
    if code is None:
        code = codes[value] = len(table)
        table.append(value)
    return code


def gather_ranges(starts: Ints, counts: Ints) -> tuple[Ints, Ints]:
    """The ranges ``starts[i] .. starts[i] + counts[i]`` end to end, and where each begins
    among them (with the end)."""
    begin = np.zeros(len(counts) + 1, dtype=np.int64)
    np.cumsum(counts, out=begin[1:])
    offsets = np.arange(int(begin[-1]), dtype=np.int64) - np.repeat(begin[:-1], counts)
    return begin, np.repeat(starts, counts) + offsets


@dataclass
class FixedSpend:
    """A commitment spread over its days, with the GMV the model expects from it."""

    commitment: Commitment
    day_spend: dict[date, float]  # thousand yuan per day
    expected_gmv: float  # thousand yuan
    impressions: float
    seeding: bool
    # What the model valued it at before re-planning's actuals (thousand yuan): a booked
    # order on a video that sold below expectations is revalued, never left at its guess.
    model_gmv: float = 0.0


@dataclass(frozen=True)
class Signals:
    """What daily actuals taught us, as the response model consumes it.

    ``roi_multiplier`` scales a video-tool's ROI (observed / expected, shrunk
    towards 1 by the evidence behind it); ``declining`` videos get targeted
    Dou+; ``burst`` videos may buy Dou+ from publishing day; ``reasons`` are
    added to the purchases of that video and tool.
    """

    roi_multiplier: dict[tuple[str, Tool], float] = field(default_factory=dict)
    declining: frozenset[str] = frozenset()
    burst: frozenset[str] = frozenset()
    reasons: dict[tuple[str, Tool], list[Reason]] = field(default_factory=dict)
    # Learned Dou+ ROI per video: a passed pressure test and recent performance [seed].
    learned_dou_plus: dict[str, float] = field(default_factory=dict)
    # What the actuals taught of each video's content model, whatever the tool: booked
    # orders (one-shot content service) are revalued with it.
    video_multiplier: dict[str, float] = field(default_factory=dict)
    # Daily lines (video, tool) that spent on the day before the plan: past their
    # learning phase, they go on without a new one.
    running: frozenset[tuple[str, Tool]] = frozenset()
    # Yuan of actuals with their GMV behind each video's learned ROI: its evidence.
    observed_spend: dict[str, float] = field(default_factory=dict)
    # Winners ([learning] winner_ratio): video -> (actual GMV / expected, days of actuals).
    winners: dict[str, tuple[float, int]] = field(default_factory=dict)


NO_SIGNALS = Signals()


@dataclass
class ResponseModel:
    """Every purchase the rules allow, plus the fixed commitments."""

    purchases: PurchaseBook  # every purchase on offer, in order, as columns
    fixed: list[FixedSpend]
    days: list[date]
    kol_fees: float  # thousand yuan, stage A spend that counts as seeding
    amplification_room: dict[str, float]  # video -> paid impressions still allowed
    notes: list[str]
    # (publish date, natural plays) of every roster video: stage A's share of the
    # audience pool harvesting converts (expected plays for scheduled posts).
    natural_reach: list[tuple[date, float]] = field(default_factory=list)
    kol_of: dict[str, str] = field(default_factory=dict)  # video -> its KOL
    # What the plan knows of each video's ROI, and the scenarios drawn from it
    # (planner.uncertainty): the risk objective's rows and the plan's GMV range.
    beliefs: dict[str, Belief] = field(default_factory=dict)
    scenarios: Scenarios | None = None
    # Daily lines (video, tool) that ran on the day before the plan (re-planning): they go
    # on without a new learning phase.
    running: frozenset[tuple[str, Tool]] = frozenset()
    # Videos the actuals show selling far above the model (Signals.winners).
    winners: dict[str, tuple[float, int]] = field(default_factory=dict)


@dataclass(frozen=True)
class _DayTerms:
    """What a tool costs and converts on one day, the same for every video."""

    efficiency: float
    conversion: float
    cpm: float
    base_cpm: float  # the normal day's price: a sale's volume in yuan, not in impressions
    daily_reach: float
    capacity_mult: float
    sale: BigSale | None


def sale_effect(multiplier: float, intensity: float) -> float:
    """A peak multiplier scaled to a phase: ``1 + intensity x (multiplier - 1)``."""
    return 1.0 + intensity * (multiplier - 1.0)


def day_terms(campaign: Campaign, tool: Tool, day: date) -> _DayTerms:
    """What ``tool`` costs, converts and can buy on ``day``, sale phase included.

    Per tool [seed]: auction tools pay and convert 2-3x at the peak; Dou+ keeps
    its price but gets near-zero capacity and converts worse; content service
    locked a month ahead keeps its booked price (its ``sale_price_multiplier``,
    1.0 by default) and receives the sale's conversion.
    """
    terms = _tool_day_terms(campaign, tool, day)
    if tool is Tool.KOL_BIDDING and bids_against_feed(campaign):
        # Higher ROI than pure feed ads on the same video and day [seed]: at least
        # [bidding] feed_premium x AD feed's ROI per yuan, sale phase included.
        feed = _tool_day_terms(campaign, Tool.AD_FEED, day)
        least = (campaign.bidding.feed_premium * feed.efficiency * feed.conversion / feed.cpm
                 * terms.cpm / terms.conversion)
        if terms.efficiency < least:
            terms = replace(terms, efficiency=least)
    return terms


def bids_against_feed(campaign: Campaign) -> bool:
    """KOL bidding on AD (the Tmall chain), beside AD feed: [bidding] applies [seed].

    In the closed loop KOL bidding runs on Qianchuan, whose own plans are the scale
    tool there ("the closed-loop version of KOL bidding ... larger scale") [seed].
    """
    return Tool.AD_FEED in CHAIN_TOOLS[campaign.chain]


def _tool_day_terms(campaign: Campaign, tool: Tool, day: date) -> _DayTerms:
    """``day_terms`` from the tool's own figures alone.

    Each effect comes from the most specific setting: the phase's own figure for
    the tool (``[big_sales.phases.tools.<tool>]``), else the tool's peak multiplier
    scaled to the phase (price and capacity by ``phase_intensity``, conversion by
    ``phase_conversion``: the peak converts best), else the phase's or the sale's
    conversion.
    """
    cfg = campaign.tools[tool]
    sale = campaign.sale_on(day)
    if sale is None:
        return _DayTerms(efficiency=cfg.efficiency, conversion=1.0, cpm=cfg.cpm,
                         base_cpm=cfg.cpm, daily_reach=cfg.daily_reach_multiple,
                         capacity_mult=1.0, sale=None)
    phase = sale.phase_on(day, campaign.sale)
    own = phase.tools.get(tool, _NO_EFFECTS)
    intensity = (phase.intensity if phase.intensity is not None
                 else campaign.sale.phase_intensity.get(phase.kind, 1.0))
    converts = (phase.intensity if phase.intensity is not None
                else campaign.sale.phase_conversion.get(phase.kind, intensity))
    if own.conversion_multiplier is not None:
        conversion = own.conversion_multiplier
    elif cfg.sale_conversion_multiplier is not None:
        conversion = sale_effect(cfg.sale_conversion_multiplier, converts)
    elif phase.conversion_multiplier is not None:
        conversion = phase.conversion_multiplier
    else:
        conversion = sale_effect(campaign.sale.conversion_multiplier, converts)
    price = (own.price_multiplier if own.price_multiplier is not None
             else sale_effect(cfg.sale_price_multiplier, intensity))
    capacity = (own.capacity_multiplier if own.capacity_multiplier is not None
                else sale_effect(cfg.sale_capacity_multiplier, intensity))
    return _DayTerms(
        efficiency=cfg.efficiency,
        conversion=conversion,
        cpm=cfg.cpm * price,
        base_cpm=cfg.cpm,
        daily_reach=cfg.daily_reach_multiple,
        capacity_mult=capacity,
        sale=sale,
    )


_NO_EFFECTS = PhaseToolEffects()


class Economics:
    """ROI, capacity and reach of a video's purchase on a day.

    The per-day terms depend only on the tool and the day, and a roster asks for
    them once per video: they are worked out once and remembered.
    """

    def __init__(self, campaign: Campaign) -> None:
        self.campaign = campaign
        self._terms: dict[tuple[Tool, date], _DayTerms] = {}
        self._windows: dict[date, list[tuple[tuple[date, ...], BigSale | None]]] = {}
        response = campaign.response
        # (share of capacity, share of ROI) per segment of diminishing returns; a segment
        # of zero width buys nothing and is left out.
        self.segment_shape = tuple((share, factor) for share, factor in zip(
            response.segment_widths, response.segment_roi, strict=True) if share > 0)
        self.total_share = sum(response.segment_widths)
        self.floor = campaign.effective_roi_floor
        # The shapes of the segments a purchase keeps, by which of ``segment_shape`` it
        # keeps: most keep the first few (ROIs only fall), the one shape for them all;
        # ``first_segments[k]`` keeps the first k.
        self._shapes: dict[tuple[int, ...], SegmentShape] = {}
        self.first_segments = [self._shape(tuple(range(k)))
                               for k in range(len(self.segment_shape) + 1)]

    def _shape(self, kept: tuple[int, ...]) -> SegmentShape:
        shape = self._shapes.get(kept)
        if shape is None:
            shape = self._shapes[kept] = SegmentShape(
                tuple(self.segment_shape[k][0] for k in kept),
                tuple(self.segment_shape[k][1] for k in kept))
        return shape

    def terms(self, tool: Tool, day: date) -> _DayTerms:
        key = (tool, day)
        cached = self._terms.get(key)
        if cached is None:
            cached = self._terms[key] = day_terms(self.campaign, tool, day)
        return cached

    def windows(self, first_day: date) -> list[tuple[tuple[date, ...], BigSale | None]]:
        """Content service's order windows from ``first_day`` (the same for every video
        that can be booked from that day): worked out once and remembered."""
        cached = self._windows.get(first_day)
        if cached is None:
            cached = self._windows[first_day] = _content_service_windows(self.campaign,
                                                                         first_day)
        return cached

    def of(self, video: Video, scores: VideoScores, tool: Tool,
           day: date) -> tuple[float, float, float]:
        """(ROI, capacity in thousand yuan, impressions per thousand yuan) on one day."""
        t = self.terms(tool, day)
        impressions = (
            (video.natural_plays or 0.0)
            * t.daily_reach
            * scores.weight_factor
            * freshness((day - video.publish_date).days, scores.half_life_days)
            * t.capacity_mult
        )
        # What a day can take in yuan is the normal day's: a higher sale price buys fewer
        # impressions with it, never more money into the same tool.
        capacity = impressions / 1000.0 * t.base_cpm / KYUAN
        return (self.roi_of_gpm(scores.gpm, tool, day), capacity,
                self.impressions_per_kyuan(tool, day))

    def impressions_per_kyuan(self, tool: Tool, day: date) -> float:
        """Paid impressions a thousand yuan buys on ``day`` (at that day's price)."""
        return KYUAN * 1000.0 / self.terms(tool, day).cpm

    def roi_of_gpm(self, gpm: float, tool: Tool, day: date) -> float:
        """ROI of a tool on a day for content that sells ``gpm`` per 1,000 natural plays."""
        t = self.terms(tool, day)
        return gpm * t.efficiency * t.conversion / t.cpm

    def segments(self, roi: float, capacity: float) -> SegmentShape:
        """The segments a capacity is cut into, without those below the ROI floor."""
        kept = tuple(k for k, (share, factor) in enumerate(self.segment_shape)
                     if roi * factor >= self.floor and capacity * share > 1e-9)
        return self._shape(kept)


def tool_economics(
    video: Video, scores: VideoScores, tool: Tool, day: date, campaign: Campaign
) -> tuple[float, float, float]:
    """(ROI, capacity in thousand yuan, impressions per thousand yuan) on one day."""
    return Economics(campaign).of(video, scores, tool, day)


@dataclass(frozen=True)
class PoolPeriod:
    """One harvest period: its first day, length, and the pool it starts with (people)."""

    start: date
    length: int
    # Existing audience + the share of natural plays published and the committed seeding
    # before it that joins the pool.
    base: float
    reach: float  # share of the pool harvesting may reach over the period


def pool_periods(response: ResponseModel, campaign: Campaign) -> list[PoolPeriod]:
    """The harvest periods of the planned days, with the audience each starts from.

    Seeding builds what harvesting converts [seed]: the optimiser's
    ``audience_pool`` rows and the rule-of-thumb baseline both read these.
    """
    cfg = campaign.harvest
    if not response.days:
        return []
    first, last = response.days[0], response.days[-1]
    fixed_seeded: dict[date, float] = {}
    for f in response.fixed:
        if f.seeding and f.day_spend:
            for day in f.day_spend:
                fixed_seeded[day] = fixed_seeded.get(day, 0.0) + f.impressions / len(f.day_spend)
    periods = []
    for k in range((last - first).days // cfg.period_days + 1):
        start = first + timedelta(days=k * cfg.period_days)
        length = min(cfg.period_days, (last - start).days + 1)
        base = (cfg.existing_audience
                + cfg.natural_play_share * sum(plays for published, plays
                                               in response.natural_reach if published < start)
                + sum(v for day, v in fixed_seeded.items() if day < start))
        periods.append(PoolPeriod(start, length, base, cfg.daily_pool_reach * length))
    return periods


class AudiencePool:
    """Harvest room left as a plan fills day by day (the baseline's view of the pool rows)."""

    def __init__(self, response: ResponseModel, campaign: Campaign) -> None:
        self.periods = pool_periods(response, campaign)
        self.ceiling = campaign.harvest.audience_ceiling
        self.period_days = campaign.harvest.period_days
        self.first = response.days[0] if response.days else None
        self.seeded: dict[date, float] = {}
        self.harvested = [0.0] * len(self.periods)

    def _period(self, day: date) -> int:
        assert self.first is not None
        return (day - self.first).days // self.period_days

    def room(self, day: date) -> float:
        """Harvest impressions the period of ``day`` can still take."""
        k = self._period(day)
        p = self.periods[k]
        pool = p.base + sum(v for d, v in self.seeded.items() if d < p.start)
        return max(0.0, p.reach * min(pool, self.ceiling) - self.harvested[k])

    def take(self, purchase: Purchase, amount: float) -> None:
        impressions = amount * purchase.impressions_per_kyuan
        if purchase.tool in HARVESTING_TOOLS:
            self.harvested[self._period(purchase.days[0])] += impressions
        elif purchase.seeding:
            for day, share in zip(purchase.days, purchase.day_shares, strict=True):
                self.seeded[day] = self.seeded.get(day, 0.0) + impressions * share


def _content_service_windows(
    campaign: Campaign, first_day: date
) -> list[tuple[tuple[date, ...], BigSale | None]]:
    """Normal weekly windows on non-sale days, plus one window per big sale."""
    rules = campaign.rules
    days = [d for d in campaign.days() if d >= first_day]
    windows: list[tuple[tuple[date, ...], BigSale | None]] = []
    block: list[date] = []
    for day in days:
        if campaign.sale_on(day) is not None:
            if block:
                windows.append((tuple(block), None))
                block = []
            continue
        if block and (day - block[-1]).days > 1:
            windows.append((tuple(block), None))
            block = []
        block.append(day)
        if len(block) == rules.cs_order_days:
            windows.append((tuple(block), None))
            block = []
    if block:
        windows.append((tuple(block), None))
    for sale in campaign.big_sales:
        sale_days = [d for d in campaign.days() if sale.covers(d) and d >= first_day]
        if sale_days:
            # One schedule over the sale, booked whole at one price; each of its days
            # converts by its phase (``gmv_shares``): the peak sells most per yuan [seed].
            windows.append((tuple(sale_days), sale))
    return windows


def _fixed_spend(
    commitment: Commitment,
    assessments: dict[str, Assessment],
    economics: Economics,
    multiplier: float = 1.0,
) -> FixedSpend:
    campaign = economics.campaign
    assessment = assessments[commitment.video_id]
    days = [d for d in commitment.days() if campaign.start <= d <= campaign.end] or [
        commitment.start
    ]
    per_day = commitment.budget / KYUAN / len(days)
    gmv = 0.0
    realised = commitment.realised_gmv
    impressions = 0.0
    for day in days:
        roi, _, imp_per_k = economics.of(assessment.video, assessment.scores, commitment.tool,
                                         day)
        gmv += roi * per_day
        impressions += imp_per_k * per_day
    return FixedSpend(
        commitment=commitment,
        day_spend=dict.fromkeys(days, per_day),
        # A booked order runs whole: what its video's actuals taught values it now.
        expected_gmv=gmv * multiplier if realised is None else realised / KYUAN,
        impressions=impressions,
        seeding=commitment.tool in SEEDING_TOOLS,
        model_gmv=gmv if realised is None else realised / KYUAN,
    )


def check_commitments(campaign: Campaign, videos: dict[str, Video], source: str) -> None:
    problems = [
        Problem(
            t("error.commitment.unknown_video", number=i, video=c.video_id),
            file=source, column="commitments.video_id",
            fix=t("error.commitment.unknown_video_fix"),
        )
        for i, c in enumerate(campaign.commitments, start=1)
        if c.video_id not in videos
    ]
    if problems:
        raise InputError(problems)


def build_response_model(
    assessments: list[Assessment],
    campaign: Campaign,
    signals: Signals = NO_SIGNALS,
) -> ResponseModel:
    """Turn rule verdicts into purchases with segments; apply commitments."""
    by_id = {a.video.video_id: a for a in assessments}
    plan_date = campaign.effective_plan_date
    economics = Economics(campaign)
    fixed = [_fixed_spend(c, by_id, economics, signals.video_multiplier.get(c.video_id, 1.0))
             for c in campaign.commitments]

    # Dou+ and content service never share a video and day: a booked one blocks the other.
    blocked_dou_plus: set[tuple[str, date]] = set()
    blocked_cs: set[tuple[str, date]] = set()
    for f in fixed:
        for day in f.day_spend:
            if f.commitment.tool is Tool.CONTENT_SERVICE:
                # One schedule at a time: more volume is a new order once this one ends.
                blocked_dou_plus.add((f.commitment.video_id, day))
                blocked_cs.add((f.commitment.video_id, day))
            elif f.commitment.tool is Tool.DOU_PLUS:
                blocked_cs.add((f.commitment.video_id, day))
    fixed_by_cell: dict[tuple[str, Tool, date], float] = {}
    for f in fixed:
        for day, spend in f.day_spend.items():
            key = (f.commitment.video_id, f.commitment.tool, day)
            fixed_by_cell[key] = fixed_by_cell.get(key, 0.0) + spend

    days = [d for d in campaign.days() if d >= plan_date]
    book = _BookBuilder(days, economics.first_segments)
    grids = {
        tool: _DailyGrid.of(tool, [a for a in assessments if tool in a.eligible], days,
                            economics, signals, fixed_by_cell, blocked_dou_plus)
        for tool in campaign.chain_tools()
        if tool is not Tool.CONTENT_SERVICE and tool not in LIVE_ROOM_TOOLS
    }
    number = {tool: book.grid(grid) for tool, grid in grids.items()}
    for assessment in assessments:
        video = assessment.video
        for tool in sorted(assessment.eligible):
            multiplier = signals.roi_multiplier.get((video.video_id, tool), 1.0)
            learned = tool_reasons(assessment.reasons, tool) + signals.reasons.get(
                (video.video_id, tool), []
            )
            if tool is Tool.CONTENT_SERVICE:
                book.add_held(
                    _content_service_purchases(
                        assessment, economics, blocked_cs, book.count, multiplier, learned
                    )
                )
                continue
            grids[tool].describe(assessment, signals, learned, book, number[tool])
    purchases = book.book()
    kol_fees = sum((a.video.kol_fee or 0.0) for a in assessments) / KYUAN
    beliefs = beliefs_of(assessments, campaign, signals.observed_spend)
    room: dict[str, float] = {}
    if Tool.QIANCHUAN_LIVE in campaign.chain_tools():
        book.add_held(live_room_purchases(purchases, fixed, days, economics, signals,
                                          book.count))
        purchases = book.book()
        beliefs[LIVE_ROOM_ID] = live_room_belief(campaign)
        room[LIVE_ROOM_ID] = math.inf  # it promotes the room: no video's reach limit
    for a in assessments:
        used = sum(f.impressions for f in fixed if f.commitment.video_id == a.video.video_id)
        room[a.video.video_id] = max(
            0.0, campaign.rules.max_amplification * (a.video.natural_plays or 0.0) - used
        )
    return ResponseModel(
        purchases=purchases,
        fixed=fixed,
        days=days,
        kol_fees=kol_fees,
        amplification_room=room,
        notes=[],
        natural_reach=[(a.video.publish_date, a.video.natural_plays or 0.0)
                       for a in assessments],
        kol_of={a.video.video_id: a.video.kol_name for a in assessments}
        | ({LIVE_ROOM_ID: LIVE_ROOM_ID} if LIVE_ROOM_ID in room else {}),
        beliefs=beliefs,
        scenarios=draw_scenarios(list(beliefs.values()), campaign.risk),
        running=signals.running,
        winners=signals.winners,
    )


@dataclass
class _DailyGrid:
    """One daily tool's candidates: every eligible video x planned day, worked out at once.

    ROI, capacity and the order checks are arrays over (video, day); only the cells
    that survive every check (published, not booked, above the floor, room for a
    minimum order) are kept, and they stay arrays: the ``PurchaseBook`` reads its columns
    from them. Same figures as judging one cell at a time.
    """

    campaign: Campaign
    tool: Tool
    days: list[date]
    # The cells kept, row-major (video, then day): each one's day index, ROI, capacity,
    # how many of the segments it keeps (its shape: ``Economics.first_segments``), and
    # whether it is a burst day.
    day: Ints
    roi: Floats
    capacity: Floats
    segments: Ints
    burst_day: Bools
    span: dict[str, tuple[int, int]]  # per video, its cells (first, end)
    # Per cell, its codes in the book's tables (``describe`` fills a video's at a time).
    mode: Codes
    targeting: Codes
    why: Codes
    impressions_per_kyuan: Floats  # per day
    sales: list[BigSale | None]
    sale_names: list[str | None]

    @classmethod
    def of(cls, tool: Tool, assessments: list[Assessment], days: list[date],
           economics: Economics, signals: Signals,
           fixed_by_cell: dict[tuple[str, Tool, date], float],
           blocked_dou_plus: set[tuple[str, date]]) -> _DailyGrid:
        campaign = economics.campaign
        rules, cfg = campaign.rules, campaign.tools[tool]
        terms = [economics.terms(tool, d) for d in days]
        roi_factor = np.array([t.efficiency * t.conversion / t.cpm for t in terms])
        # Natural plays -> thousand yuan a day can take: a sale's volume in yuan is the
        # normal day's (a higher sale price buys fewer impressions with it).
        capacity_factor = np.array(
            [t.daily_reach * t.capacity_mult * t.base_cpm / 1000.0 / KYUAN for t in terms])
        ordinal = np.array([d.toordinal() for d in days], dtype=np.int64)

        videos = [a.video for a in assessments]
        scores = [a.scores for a in assessments]
        published = np.array([v.publish_date.toordinal() for v in videos], dtype=np.int64)
        age = ordinal[None, :] - published[:, None]
        half_life = np.array([s.half_life_days for s in scores])
        fresh = 0.5 ** (np.maximum(age, 0) / half_life[:, None])
        plays = np.array([(v.natural_plays or 0.0) * s.weight_factor
                          for v, s in zip(videos, scores, strict=True)])
        capacity = plays[:, None] * fresh * capacity_factor[None, :]
        roi = np.array([s.gpm for s in scores])[:, None] * roi_factor[None, :]

        # Nothing is bought on a video before it is published [seed]; standard Dou+
        # waits for its first day unless a burst is running: a burst video buys in its
        # burst window, then waits for the standard start like any other.
        dou_plus = tool is Tool.DOU_PLUS  # once: an enum member is slow to look up
        burst = np.array([dou_plus and (a.burst or a.video.video_id in signals.burst)
                          for a in assessments], dtype=bool)
        first = np.array([
            dou_plus_first_day(a.video, False, campaign)[0]
            if dou_plus and a.dou_plus_first_day is not None
            else a.video.publish_date
            for a in assessments
        ], dtype=object)
        first_ordinal = np.array([d.toordinal() for d in first], dtype=np.int64)
        burst_day = burst[:, None] & (age >= 0) & (age < rules.burst_window_days)
        # A burst day buys on its first hours' sales (the Dou+ model of the burst) [seed].
        # Two hours are a thin sample: at most [risk] first_2h_roi_multiple x the natural ROI
        # (planner.plausibility flags a first-2h ROI above it).
        first_2h = np.array([min(s.first_2h_roi, burst_roi_cap(s.traffic_roi, campaign))
                             * campaign.reference_cpm if s.first_2h_roi is not None
                             else np.nan for s in scores])
        burst_roi = first_2h[:, None] * roi_factor[None, :]
        lifted = burst_day & ~np.isnan(burst_roi)
        roi = np.where(lifted, np.fmax(roi, burst_roi), roi)
        multiplier = np.array([signals.roi_multiplier.get((v.video_id, tool), 1.0)
                               for v in videos])
        roi = roi * multiplier[:, None]
        capacity = np.where(burst_day, np.maximum(capacity, rules.burst_day_target / KYUAN),
                            capacity)
        if tool is Tool.KOL_BIDDING and bids_against_feed(campaign):
            # Strong volume from the first day (near-zero cold start) [seed]: millions over
            # 5-7 days on a video with weight, whatever its natural plays' freshness.
            weight = np.array([s.weight_factor for s in scores])
            volume = campaign.bidding.daily_volume / KYUAN * np.array(
                [t.capacity_mult for t in terms])
            capacity = np.maximum(capacity, weight[:, None] * volume[None, :])
        elif tool is Tool.SUIXINTUI:
            # Many small test orders; a video whose Suixintui sold scales [seed].
            test = np.array([not suixintui_winner(v.video_id, signals, campaign)
                             for v in videos], dtype=bool)
            capacity = np.where(test[:, None], np.minimum(
                capacity, campaign.closed_loop.suixintui_test_daily / KYUAN), capacity)
        if cfg.max_daily is not None:
            capacity = np.minimum(capacity, cfg.max_daily / KYUAN)

        # Segment ROIs only fall (validated), so the segments above the floor are the first
        # ``count``; segments of zero width are left out of the shape (Economics).
        floor = economics.floor
        count = np.zeros(roi.shape, dtype=np.int64)
        for _, factor in economics.segment_shape:
            count += roi * factor >= floor
        cumulative = np.concatenate(([0.0], np.cumsum([s for s, _ in economics.segment_shape])))
        kept_width = capacity * cumulative[count]
        smallest = min(s for s, _ in economics.segment_shape)

        keep = (age >= 0) & ((ordinal[None, :] >= first_ordinal[:, None]) | burst_day)
        keep &= (count > 0) & (capacity * smallest > 1e-9)
        keep &= ~(capacity * economics.total_share * KYUAN < cfg.min_order)
        keep &= kept_width * KYUAN >= cfg.min_order
        row_of = {v.video_id: i for i, v in enumerate(videos)}
        day_of = {d: j for j, d in enumerate(days)}
        for video_id, booked_tool, day in fixed_by_cell:
            if booked_tool is tool and video_id in row_of and day in day_of:
                keep[row_of[video_id], day_of[day]] = False  # a booked order runs it
        if dou_plus:
            for video_id, day in blocked_dou_plus:
                if video_id in row_of and day in day_of:
                    keep[row_of[video_id], day_of[day]] = False
        # The kept cells (row-major: video, then day); each video's cells are one run.
        rows, cols = np.nonzero(keep)
        cuts = [0, *(np.flatnonzero(rows[1:] != rows[:-1]) + 1).tolist(), len(rows)]
        span = {videos[rows[first_cell]].video_id: (first_cell, end)
                for first_cell, end in pairwise(cuts) if end > first_cell}

        def codes() -> Codes:
            return np.zeros(len(rows), dtype=np.int32)

        return cls(campaign=campaign, tool=tool, days=days, day=cols,
                   roi=roi[rows, cols], capacity=capacity[rows, cols],
                   segments=count[rows, cols], burst_day=burst_day[rows, cols], span=span,
                   mode=codes(), targeting=codes(), why=codes(),
                   impressions_per_kyuan=np.array([KYUAN * 1000.0 / t.cpm for t in terms]),
                   sales=[t.sale for t in terms],
                   sale_names=[t.sale.name if t.sale else None for t in terms])

    def describe(self, assessment: Assessment, signals: Signals, learned: list[Reason],
                 book: _BookBuilder, number: int) -> None:
        """The video's kept cells into ``book`` (this grid is its number ``number``), with
        their mode, targeting and reasons. What is the same on every day is worked out
        once."""
        video, scores = assessment.video, assessment.scores
        first, end = self.span.get(video.video_id, (0, 0))
        if end <= first:
            return
        tool, campaign = self.tool, self.campaign
        targeting: str | None = None
        if tool is Tool.SUIXINTUI:
            targeting, _ = suixintui_targeting(scores)
        elif tool is Tool.KOL_BIDDING:
            targeting = kol_bidding_strategy(video, campaign)
        if tool is not Tool.DOU_PLUS:
            steady = list(learned)
            if tool in HARVESTING_TOOLS:
                steady.append(reason(
                    "harvest_audience_pool",
                    f"{tool} retargets the audience seeding has built (A1-A3 -> A4): its "
                    "volume grows with that pool",
                    tool=tool.value,
                ))
            # Days of one video and tool share their list of reasons: never change one.
            self.targeting[first:end] = book.targeting(targeting)
            self.why[first:end] = book.why(steady)
        else:
            self._describe_dou_plus(assessment, signals, learned, book, first, end)
        book.add_cells(number, first, end, video.video_id)

    def _describe_dou_plus(self, assessment: Assessment, signals: Signals,
                           learned: list[Reason], book: _BookBuilder, first: int,
                           end: int) -> None:
        """A Dou+ day's mode, targeting and reasons: the video's verdicts but its standard
        start, then the rule that allowed the day (a burst day the burst, any other day the
        standard start, publish + 3 days [seed]); the targeting follows the mode."""
        video, scores, campaign = assessment.video, assessment.scores, self.campaign
        shared = [r for r in learned if r.code != "dou_plus_standard_start"]
        standard = dou_plus_first_day(video, False, campaign)[1]
        burst = _burst_reason(campaign)
        day_index = self.day[first:end].tolist()
        modes = dou_plus_modes(video, scores, [self.days[d] for d in day_index], campaign,
                               video.video_id in signals.declining)
        on_sale = [self.sales[d] is not None for d in day_index]
        targeting_of: dict[Mode, int] = {}
        # Days with the same mode verdict, rule (burst or not) and sale share their codes
        # and their list of reasons: worked out once per kind of day.
        codes_of: dict[tuple[int, bool, bool], tuple[int, int, int]] = {}
        picked = []
        for (mode, mode_reason), burst_day, sale in zip(
                modes, self.burst_day[first:end].tolist(), on_sale, strict=True):
            key = (id(mode_reason), burst_day, sale)
            codes = codes_of.get(key)
            if codes is None:
                targeting = targeting_of.get(mode)
                if targeting is None:
                    targeting = targeting_of[mode] = book.targeting(
                        dou_plus_targeting(video, scores, mode, campaign))
                reasons = [*shared, burst if burst_day else standard, mode_reason]
                if sale:
                    reasons.append(_DOU_PLUS_SALE)
                codes = codes_of[key] = (book.mode(mode), targeting, book.why(reasons))
            picked.append(codes)
        self.mode[first:end], self.targeting[first:end], self.why[first:end] = np.array(
            picked, dtype=np.int32).T

    def fill(self, columns: _Columns, at: Ints, cells: Ints, book: _BookBuilder) -> None:
        """The book's columns at ``at`` from this grid's ``cells`` (the book's dates begin
        with this grid's days, its shapes with ``Economics.first_segments``)."""
        day = self.day[cells]
        cfg = self.campaign.tools[self.tool]
        columns.tool[at] = TOOLS.index(self.tool)
        columns.day[at] = day
        columns.roi[at] = self.roi[cells]
        columns.full_capacity[at] = self.capacity[cells]
        columns.shape[at] = self.segments[cells]
        columns.impressions[at] = self.impressions_per_kyuan[day]
        columns.min_order[at] = cfg.min_order / KYUAN
        columns.seeding[at] = self.tool in SEEDING_TOOLS
        columns.mode[at] = self.mode[cells]
        columns.targeting[at] = self.targeting[cells]
        columns.why[at] = self.why[cells]
        columns.sale[at] = np.array([book.sale(s) for s in self.sale_names],
                                    dtype=np.int32)[day]


def short_video_pool(purchases: Sequence[Purchase], fixed: list[FixedSpend],
                     days: list[date]) -> dict[date, float]:
    """Short-video spend each day can take (thousand yuan): every purchase on a video
    (its capacity by its days' shares) and the booked orders' spend."""
    book = PurchaseBook.of_purchases(purchases)
    owner, day, share = book.entries()
    on_video = ~np.isin(book.tool, tool_codes(LIVE_ROOM_TOOLS))[owner]
    # Summed in the purchases' order, one at a time, as a loop over them would.
    summed = np.bincount(day[on_video], weights=book.capacity()[owner[on_video]]
                         * share[on_video], minlength=len(book.dates)).tolist()
    code = {d: k for k, d in enumerate(book.dates)}
    pool = {d: summed[code[d]] if d in code else 0.0 for d in days}
    for f in fixed:
        if f.commitment.tool not in LIVE_ROOM_TOOLS:
            for d, spend in f.day_spend.items():
                if d in pool:
                    pool[d] += spend
    return pool


def live_room_purchases(purchases: Sequence[Purchase], fixed: list[FixedSpend],
                        days: list[date], economics: Economics, signals: Signals,
                        start_index: int) -> list[Purchase]:
    """One direct live-room buy a day (Qianchuan live-room promotion) [seed].

    Short videos bring 80%+ of a live room's traffic and direct buying is capped at
    about 10% of the short-video pool: a day's direct buying can take at most
    ``direct_cap`` x the short-video spend on offer that day (the optimiser's
    ``live_room_direct`` rows hold it to that share of what is bought), and sells at
    the room's GMV per 1,000 impressions ([live_room_traffic] gpm) at the day's price
    and conversion (sale phases included).
    """
    campaign = economics.campaign
    cfg, tool_cfg = campaign.live_room_traffic, campaign.tools[Tool.QIANCHUAN_LIVE]
    pool = short_video_pool(purchases, fixed, days)
    multiplier = signals.roi_multiplier.get((LIVE_ROOM_ID, Tool.QIANCHUAN_LIVE), 1.0)
    booked = {day for f in fixed if f.commitment.tool is Tool.QIANCHUAN_LIVE
              for day in f.day_spend}
    why = [reason("live_room_direct",
                  f"direct live-room buying: at most {cfg.direct_cap:.0%} of the short-video "
                  "spend bought the same day (short videos bring the room's traffic)",
                  share=cfg.direct_cap)]
    out: list[Purchase] = []
    for day in days:
        capacity = cfg.direct_cap * pool[day]
        if tool_cfg.max_daily is not None:
            capacity = min(capacity, tool_cfg.max_daily / KYUAN)
        if day in booked or capacity * KYUAN < tool_cfg.min_order:
            continue
        roi = economics.roi_of_gpm(cfg.gpm, Tool.QIANCHUAN_LIVE, day) * multiplier
        shape = economics.segments(roi, capacity)
        if shape.width(capacity) * KYUAN < tool_cfg.min_order:
            continue
        sale = campaign.sale_on(day)
        out.append(Purchase(
            index=start_index + len(out), video_id=LIVE_ROOM_ID, tool=Tool.QIANCHUAN_LIVE,
            days=(day,), day_shares=(1.0,), booking_date=day,
            min_order=tool_cfg.min_order / KYUAN, roi=roi, full_capacity=capacity, shape=shape,
            impressions_per_kyuan=economics.impressions_per_kyuan(Tool.QIANCHUAN_LIVE, day),
            seeding=False, sale=sale.name if sale else None, reasons=why))
    return out


def suixintui_winner(video_id: str, signals: Signals, campaign: Campaign) -> bool:
    """A video whose Suixintui actuals sold at least ``suixintui_winner_ratio`` x expected."""
    learned = signals.roi_multiplier.get((video_id, Tool.SUIXINTUI))
    return learned is not None and learned >= campaign.closed_loop.suixintui_winner_ratio


_DOU_PLUS_SALE = reason(
    "dou_plus_sale_no_capacity",
    "big-sale day: OCPM bids at 2-3x leave Dou+ little traffic",
)


def _burst_reason(campaign: Campaign) -> Reason:
    return reason(
        "burst_first_2h",
        f"burst day: up to {campaign.rules.burst_day_target:,.0f} "
        "yuan of Dou+ while the first-hours ROI holds",
        form="day", target=round(campaign.rules.burst_day_target),
    )


def _content_service_purchases(
    assessment: Assessment,
    economics: Economics,
    blocked: set[tuple[str, date]],
    start_index: int,
    multiplier: float = 1.0,
    learned: list[Reason] | None = None,
) -> list[Purchase]:
    """One candidate one-shot order per window: weekly on normal days, whole sale for lock-ins.

    A normal schedule reaches what the video can still carry (its freshness); a
    sale lock-in is sold as a media schedule: its volume is the tier's weekly
    scale over the sale and its value the video's (or KOL's) recent traffic ROI,
    not the original video's decay [seed].
    """
    video, scores, campaign = assessment.video, assessment.scores, economics.campaign
    rules = campaign.rules
    plan_date = campaign.effective_plan_date
    first_day = max(plan_date + timedelta(days=rules.cs_booking_lead_days), video.publish_date)
    weekly_cap = rules.cs_weekly_cap.get(scores.tier, 0.0) / KYUAN
    cfg = campaign.tools[Tool.CONTENT_SERVICE]
    out: list[Purchase] = []
    for window_days, sale in economics.windows(first_day):
        if sale is not None:
            if sale.name not in assessment.lock_ins or assessment.recent_roi is None:
                continue
            booking = assessment.lock_ins[sale.name]
            why = [
                reason(
                    "sale_lock_in",
                    f"lock-in for {sale.name}: booked {booking}, released during the sale",
                    form="booked", sale=sale.name, booking=booking.isoformat(),
                )
            ]
        else:
            # Book as late as the platform allows: a booked order is fixed for good, so
            # waiting keeps the next re-plans free to move that money.
            booking = max(plan_date, window_days[0] - timedelta(days=rules.cs_booking_lead_days))
            why = []
        if any((video.video_id, d) in blocked for d in window_days):
            continue
        if sale is not None and assessment.recent_roi is not None:
            gpm = assessment.recent_roi * campaign.reference_cpm
            per_day = [
                (economics.roi_of_gpm(gpm, Tool.CONTENT_SERVICE, d),
                 weekly_cap / 7.0 * economics.terms(Tool.CONTENT_SERVICE, d).capacity_mult,
                 economics.impressions_per_kyuan(Tool.CONTENT_SERVICE, d))
                for d in window_days
            ]
        else:
            per_day = [
                economics.of(video, scores, Tool.CONTENT_SERVICE, d) for d in window_days
            ]
        capacity = sum(c for _, c, _ in per_day)
        if capacity <= 0:
            continue
        roi = multiplier * sum(r * c for r, c, _ in per_day) / capacity
        imp = sum(i * c for _, c, i in per_day) / capacity
        capacity = min(capacity, weekly_cap * len(window_days) / 7.0)
        if cfg.max_daily is not None:
            capacity = min(capacity, cfg.max_daily / KYUAN * len(window_days))
        shape = economics.segments(roi, capacity)
        if shape.width(capacity) * KYUAN < cfg.min_order:
            continue
        total = sum(c2 for _, c2, _ in per_day)
        shares = tuple(c / total for _, c, _ in per_day)
        value = sum(r * c for r, c, _ in per_day)
        gmv_shares = tuple(r * c / value for r, c, _ in per_day) if value > 0 else None
        why.extend(learned or [])
        why.append(
            reason(
                "cs_one_shot",
                f"one-shot content service {window_days[0]}..{window_days[-1]}, "
                "booked whole; Dou+ pauses on this video meanwhile",
                first=window_days[0].isoformat(), last=window_days[-1].isoformat(),
            )
        )
        out.append(
            Purchase(
                index=start_index + len(out),
                video_id=video.video_id,
                tool=Tool.CONTENT_SERVICE,
                days=window_days,
                day_shares=shares,
                booking_date=booking,
                min_order=cfg.min_order / KYUAN,
                roi=roi,
                full_capacity=capacity,
                shape=shape,
                impressions_per_kyuan=imp,
                seeding=True,
                sale=sale.name if sale else None,
                reasons=why,
                gmv_shares=gmv_shares,
            )
        )
    return out
