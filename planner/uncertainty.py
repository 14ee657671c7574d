"""How sure the plan is of each video's traffic ROI: beliefs, shared shocks, scenarios.

Every point estimate the response model uses is the mean of a log-normal
belief whose spread follows the evidence behind it ([risk] in the campaign):

    live video (natural)     sigma^2 = transfer^2 + 1 / (orders behind its natural GMV + 1)
    scheduled, KOL's record  sigma   = kol_history_sigma   (3-month ROI, other videos)
    scheduled, tier prior    sigma   = tier_prior_sigma    (the widest)
    learned in re-plans      1 / sigma^2 = 1 / sigma_before^2 + orders the spend observed

so more evidence never widens a belief. Reality shares its shocks, and so do
the scenarios: one per campaign (``campaign_sigma``: the sale lands better or
worse for everyone), one per KOL (``kol_share`` of each video's own variance:
a KOL's videos rise and fall together) and one per video. Each scenario is a
multiplier on a video's ROI; every video's multipliers average exactly 1 over
the scenarios, so the expected plan is the point-estimate plan. Draws are
seeded per video and per KOL, so adding a video to the roster leaves the
others' scenarios as they were.

Closed forms only: arrays, no sampling chains.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from statistics import NormalDist
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from planner.config import Campaign, RiskConfig
from planner.models import RoiSource
from planner.rules import Assessment
from planner.tools import Tool

if TYPE_CHECKING:
    from planner.response import ResponseModel

# The standard normal's 90% quantile: P10 and P90 sit this many spreads from the median.
Z90 = 1.2815515655446004

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Belief:
    """What the plan knows of one video's traffic ROI, beyond its point estimate."""

    video_id: str
    kol_name: str
    source: RoiSource
    sigma: float  # log-spread of the video's own ROI (the campaign's shock not included)

    def total_sigma(self, cfg: RiskConfig) -> float:
        """Log-spread with the campaign's shared shock: what the video's range shows."""
        return math.hypot(self.sigma, cfg.campaign_sigma)


def quantile_factor(sigma: float, z: float) -> float:
    """A log-normal's quantile at ``z`` spreads, as a share of its mean."""
    return math.exp(-0.5 * sigma * sigma + z * sigma)


def natural_sigma(natural_gmv: float, cfg: RiskConfig) -> float:
    """Spread of a live video's own ROI: tight in proportion to the orders behind it."""
    orders = max(natural_gmv, 0.0) / cfg.order_value
    return math.sqrt(cfg.natural_transfer_sigma ** 2 + 1.0 / (orders + 1.0))


def learned_sigma(before: float, observed_orders: float) -> float:
    """A normal update on log ROI: the orders observed add their precision."""
    return 1.0 / math.sqrt(1.0 / max(before, 1e-9) ** 2 + max(observed_orders, 0.0))


def belief_of(assessment: Assessment, campaign: Campaign,
              observed_spend: float = 0.0) -> Belief:
    """The belief behind a video's ROI, from its evidence (``observed_spend``: yuan of
    re-planning actuals with GMV behind the video's learned ROI)."""
    cfg = campaign.risk
    video = assessment.video
    source: RoiSource
    if assessment.scheduled:
        if assessment.estimate == "tier_prior":
            source, sigma = "tier_prior", cfg.tier_prior_sigma
        else:
            source, sigma = "kol_history", cfg.kol_history_sigma
    else:
        source, sigma = "natural", natural_sigma(video.natural_gmv or 0.0, cfg)
    if observed_spend > 0:
        # The orders that money brings at the estimate: the evidence grows with the yuan
        # observed, whatever one day happened to sell.
        orders = observed_spend * assessment.scores.traffic_roi / cfg.order_value
        source, sigma = "learned", learned_sigma(sigma, orders)
    return Belief(video_id=video.video_id, kol_name=video.kol_name, source=source,
                  sigma=sigma)


def beliefs_of(assessments: Sequence[Assessment], campaign: Campaign,
               observed_spend: dict[str, float] | None = None) -> dict[str, Belief]:
    observed = observed_spend or {}
    return {a.video.video_id: belief_of(a, campaign, observed.get(a.video.video_id, 0.0))
            for a in assessments}


@dataclass(frozen=True)
class Scenarios:
    """ROI multipliers per scenario and video: ``multipliers[s, k]`` for ``videos[k]``.

    The plan's ranges read every scenario; the optimiser's risk rows read the
    first ``optimised`` of them (a tail needs fewer scenarios to steer a plan than
    to report a P10 well, and each one costs a row over every video).
    """

    videos: list[str]
    multipliers: Floats  # (scenarios, videos); each column averages exactly 1
    optimised: Floats  # the optimiser's scenarios, each column averaging exactly 1

    def column(self) -> dict[str, int]:
        return {v: k for k, v in enumerate(self.videos)}


_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


def _mix(z: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    """SplitMix64's finaliser: a counter becomes 64 well-mixed bits."""
    z = z + _GOLDEN
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    mixed: npt.NDArray[np.uint64] = z ^ (z >> np.uint64(31))
    return mixed


def _normals(seed: int, keys: Sequence[str], count: int) -> Floats:
    """``count`` standard normals per key, (count, keys): each key's column depends only
    on the seed and the key, so adding a video leaves the others' draws as they were.

    A counter-based generator (SplitMix64 on seed, key and index, then Box-Muller)
    draws every video at once instead of seeding a generator per video.
    """
    key = np.array([zlib.crc32(k.encode("utf-8")) for k in keys], dtype=np.uint64)
    base = _mix(key ^ _mix(np.array([seed], dtype=np.uint64)))
    index = np.arange(2 * count, dtype=np.uint64)[:, None]
    bits = _mix(base[None, :] * _GOLDEN + index)
    uniform = ((bits >> np.uint64(11)).astype(np.float64) + 0.5) / 2.0 ** 53
    radius = np.sqrt(-2.0 * np.log(uniform[0::2]))
    normals: Floats = radius * np.cos(2.0 * math.pi * uniform[1::2])
    return normals


def _stratified(seed: int, count: int) -> Floats:
    """``count`` normals, one from each of ``count`` equally likely strata, in a seeded
    order: the shock every video shares is the one a few scenarios would otherwise miss
    (a tail of 5 scenarios out of 50 that happened to draw no bad sale)."""
    if count <= 0:
        return np.zeros(0)
    normal = NormalDist()
    values = np.array([normal.inv_cdf((k + 0.5) / count) for k in range(count)])
    order = np.argsort(_normals(seed, ["\x00strata"], count)[:, 0])
    stratified: Floats = values[order]
    return stratified


def _mean_one(m: Floats) -> Floats:
    """Moment matching: the scenarios' mean is the point estimate, so the expected plan
    and the scenarios' mean never disagree."""
    scaled: Floats = m / m.mean(axis=0, keepdims=True)
    return scaled


def draw_scenarios(beliefs: Sequence[Belief], cfg: RiskConfig) -> Scenarios:
    """Scenarios of every video's ROI with the campaign's, KOLs' and videos' shocks."""
    count = max(cfg.scenarios, cfg.report_scenarios)
    ordered = sorted(beliefs, key=lambda b: b.video_id)
    kols = sorted({b.kol_name for b in ordered})
    kol_of = {k: i for i, k in enumerate(kols)}
    campaign_shock = np.concatenate([_stratified(cfg.seed, cfg.scenarios),
                                     _stratified(cfg.seed + 1, count - cfg.scenarios)])[:, None]
    kol_shock = _normals(cfg.seed, ["\x00kol:" + k for k in kols], count)
    video_shock = _normals(cfg.seed, [b.video_id for b in ordered], count)
    sigma = np.array([b.sigma for b in ordered])
    kol_index = np.array([kol_of[b.kol_name] for b in ordered], dtype=np.int64)
    log_m = (cfg.campaign_sigma * campaign_shock
             + sigma[None, :] * (math.sqrt(cfg.kol_share) * kol_shock[:, kol_index]
                                 + math.sqrt(1.0 - cfg.kol_share) * video_shock))
    m = np.exp(log_m)
    return Scenarios(videos=[b.video_id for b in ordered], multipliers=_mean_one(m),
                     optimised=_mean_one(m[: cfg.scenarios]))


def gmv_scenarios(gmv_by_video: dict[str, float], scenarios: Scenarios) -> Floats:
    """The plan's GMV in each scenario, from each video's expected GMV."""
    column = scenarios.column()
    keys = [v for v in gmv_by_video if v in column]
    if not keys:
        return np.zeros(len(scenarios.multipliers))
    idx = np.array([column[v] for v in keys], dtype=np.int64)
    values = np.array([gmv_by_video[v] for v in keys])
    result: Floats = scenarios.multipliers[:, idx] @ values
    return result


def percentiles(values: Floats) -> dict[str, float]:
    """P10, P50 and P90 of scenario values."""
    if not len(values):
        return {"p10": 0.0, "p50": 0.0, "p90": 0.0}
    p10, p50, p90 = np.percentile(values, [10, 50, 90])
    return {"p10": float(p10), "p50": float(p50), "p90": float(p90)}


def tail_mean(values: Floats, level: float) -> float:
    """Mean of the worst ``level`` share of scenario values (conditional value at risk)."""
    if not len(values):
        return 0.0
    ordered = np.sort(values)
    k = max(1, math.ceil(level * len(ordered)))
    return float(ordered[:k].mean())


# ---------------------------------------------------------------- test, then scale


@dataclass(frozen=True)
class PressureTests:
    """The pressure tests a plan buys first: per purchase index, the thousand yuan it must
    spend; per tested video, its value of information (thousand yuan of GMV); and the
    marginal ROI they were judged against."""

    spend: dict[int, float] = field(default_factory=dict)
    value: dict[str, float] = field(default_factory=dict)
    margin: float = 0.0


def option_value(mean: float, strike: float, sigma: float) -> float:
    """E[max(R - strike, 0)] for a log-normal R with this mean and log-spread."""
    if sigma <= 0 or strike <= 0:
        return max(mean - strike, 0.0)
    d1 = (math.log(mean / strike) + 0.5 * sigma * sigma) / sigma
    normal = NormalDist()
    return mean * normal.cdf(d1) - strike * normal.cdf(d1 - sigma)


def value_of_information(mean: float, margin: float, sigma: float, capacity: float) -> float:
    """What learning a video's true ROI is worth before deciding how much to buy of it.

    The plan buys a yuan of the video when it earns more than ``margin`` (the ROI of
    the budget's last yuan): deciding on the mean earns ``max(mean - margin, 0)`` a
    yuan over the margin, deciding on the truth ``E[max(R - margin, 0)]``. Their
    difference, over the ``capacity`` the video could take, is the expected value of
    perfect information of that decision: largest for a wide belief whose mean sits
    near the margin on a video that can take a lot, zero for a sure one.
    """
    return capacity * (option_value(mean, margin, sigma) - max(mean - margin, 0.0))


@dataclass(frozen=True)
class TestBasis:
    """What choosing pressure tests reads of a response, whatever the budget: segment ROIs
    best first with their cumulative width, and per video that could be tested its mean
    ROI, its capacity and the purchases (first days) a test would buy."""

    roi: Floats  # every segment's ROI, best first
    filled: Floats  # cumulative width of the segments in that order (thousand yuan)
    amount: float  # thousand yuan a test spends a day
    candidates: list[tuple[str, float, float, list[int]]]  # video, mean ROI, width, buys

    @classmethod
    def of(cls, response: ResponseModel, campaign: Campaign, seg_roi: Floats,
           seg_width: Floats, seg_start: Ints, video: Ints, videos: Sequence[str],
           first_day: Ints) -> TestBasis:
        """From a coupling's arrays (``video`` codes into ``videos``, per purchase)."""
        cfg = campaign.risk
        order = np.argsort(-seg_roi, kind="stable")
        tools = [t for t in (Tool.DOU_PLUS, Tool.SUIXINTUI) if t in campaign.chain_tools()]
        purchases = response.purchases
        if not tools or not purchases:
            return cls(roi=seg_roi[order], filled=np.cumsum(seg_width[order]), amount=0.0,
                       candidates=[])
        tool = tools[0]
        amount = max(cfg.test_order, campaign.tools[tool].min_order) / 1000.0
        owner = np.repeat(video, np.diff(seg_start))
        gmv = np.bincount(owner, weights=seg_roi * seg_width, minlength=len(videos))
        width = np.bincount(owner, weights=seg_width, minlength=len(videos))
        filled = np.concatenate([[0.0], np.cumsum(seg_width)])
        capacity = filled[seg_start[1:]] - filled[seg_start[:-1]]
        # Content service never runs with Dou+ on the same video and day: a test there
        # would shut out the content service the plan may book.
        booked = ({(p.video_id, d) for p in purchases if p.is_content_service for d in p.days}
                  if tool is Tool.DOU_PLUS else set())
        buys: dict[int, list[tuple[int, int]]] = {}
        for i in np.flatnonzero(capacity >= amount - 1e-9).tolist():
            p = purchases[i]
            if p.tool is tool and len(p.days) == 1 and (p.video_id, p.days[0]) not in booked:
                buys.setdefault(int(video[i]), []).append((int(first_day[i]), i))
        candidates = [(videos[code], float(gmv[code] / width[code]), float(width[code]),
                       [i for _, i in sorted(found)[: cfg.test_days]])
                      for code, found in sorted(buys.items()) if width[code] > 0]
        return cls(roi=seg_roi[order], filled=np.cumsum(seg_width[order]), amount=amount,
                   candidates=candidates)


def pressure_tests(response: ResponseModel, campaign: Campaign, budget_left: float,
                   basis: TestBasis) -> PressureTests:
    """The pressure tests worth buying with ``[risk] test_share`` of ``budget_left``
    (thousand yuan): one per video, best value of information first.

    A test is ``test_order`` yuan a day of Dou+ (Tmall chain) or Suixintui (closed
    loop) on the first ``test_days`` days the video can take it; at most ``max_tests``
    videos are tested (a buyer watches each test). The margin is the ROI at which
    the best segments, best first, would spend the budget (what a yuan earns at the
    edge of the plan); a video's mean is its segments' ROI weighted by their width,
    its capacity their width (at most ``max_video_share`` of the budget), its spread
    its own belief's (the campaign's shared shock is no test's to learn). A test is
    bought only when that value exceeds what it spends; videos with actuals behind
    them (learned) are tested already.
    """
    cfg = campaign.risk
    money = cfg.test_share * budget_left
    if money <= 0 or cfg.max_tests <= 0 or not basis.candidates:
        return PressureTests()
    at = int(np.searchsorted(basis.filled, budget_left))
    margin = float(basis.roi[at]) if at < len(basis.roi) else 0.0
    cap = cfg.max_video_share * budget_left
    amount = basis.amount
    ranked = []
    for video_id, mean, width, chosen in basis.candidates:
        belief = response.beliefs.get(video_id)
        if belief is None or belief.source == "learned":
            continue
        value = value_of_information(mean, margin, belief.sigma, min(width, cap))
        if value > amount * len(chosen):  # worth more than the test costs
            ranked.append((-value, video_id, chosen))
    spend: dict[int, float] = {}
    value_of: dict[str, float] = {}
    daily_room = (cfg.test_share * campaign.daily_cap / 1000.0
                  if campaign.daily_cap is not None else math.inf)
    on_day: dict[object, float] = {}
    for negative, video_id, chosen in sorted(ranked):
        if len(value_of) >= cfg.max_tests:
            break
        cost = amount * len(chosen)
        days = [response.purchases[i].days[0] for i in chosen]
        if cost > money + 1e-9 or any(on_day.get(day, 0.0) + amount > daily_room + 1e-9
                                      for day in days):
            continue
        for day, index in zip(days, chosen, strict=True):
            spend[index] = amount
            on_day[day] = on_day.get(day, 0.0) + amount
        value_of[video_id] = -negative
        money -= cost
    return PressureTests(spend=spend, value=value_of, margin=margin)
