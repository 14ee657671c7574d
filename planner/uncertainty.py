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
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from statistics import NormalDist
from typing import Literal

import numpy as np
import numpy.typing as npt

from planner.config import Campaign, RiskConfig
from planner.models import RoiSource
from planner.rules import Assessment
from planner.tools import LIVE_ROOM_ID

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


def live_room_belief(campaign: Campaign) -> Belief:
    """The belief behind direct live-room buying's ROI: a configured figure
    ([live_room_traffic] gpm), as uncertain as a tier prior until actuals teach it."""
    return Belief(video_id=LIVE_ROOM_ID, kol_name=LIVE_ROOM_ID, source="live_room",
                  sigma=campaign.risk.tier_prior_sigma)


def beliefs_of(assessments: Sequence[Assessment], campaign: Campaign,
               observed_spend: dict[str, float] | None = None) -> dict[str, Belief]:
    observed = observed_spend or {}
    return {a.video.video_id: belief_of(a, campaign, observed.get(a.video.video_id, 0.0))
            for a in assessments}


@dataclass(frozen=True)
class Scenarios:
    """ROI multipliers per scenario and video: ``multipliers[s, k]`` for ``videos[k]``.

    The optimiser's risk rows read the first ``optimised`` scenarios of every video (a
    tail needs fewer scenarios to steer a plan than to report a P10 well, and each one
    costs a row over every video). The plan's ranges read every scenario, but only of
    the videos it buys (a few hundred of 100,000): those columns are drawn when first
    asked for (``report``), each the same figures as a draw of every video.
    """

    videos: list[str]
    optimised: Floats  # the optimiser's scenarios, each column averaging exactly 1
    draw: _Draw = field(repr=False)
    # Each video's report column, by its place in ``videos``, once drawn.
    drawn: dict[int, Floats] = field(default_factory=dict, repr=False, compare=False)

    @property
    def count(self) -> int:
        """The report's scenarios."""
        return self.draw.count

    def column(self) -> dict[str, int]:
        return {v: k for k, v in enumerate(self.videos)}

    def report(self, columns: Sequence[int]) -> Floats:
        """(count, columns): every scenario of the videos at ``columns``, each averaging
        exactly 1."""
        missing = sorted({k for k in columns if k not in self.drawn})
        if missing:
            drawn = self.draw.columns(missing, self.count)
            self.drawn.update(zip(missing, drawn.T, strict=True))
        out = np.empty((self.count, len(columns)))
        for j, k in enumerate(columns):
            out[:, j] = self.drawn[k]
        return out

    @property
    def multipliers(self) -> Floats:
        """(count, videos): every scenario of every video."""
        return self.report(range(len(self.videos)))


@dataclass(frozen=True)
class _Draw:
    """What a video's scenarios are drawn from: the seed, its ROI's spread and its KOL,
    and the campaign's shock in each scenario."""

    cfg: RiskConfig
    keys: list[str]  # each video's id
    kols: list[str]  # each video's KOL
    sigma: Floats  # each video's log-spread
    count: int  # the report's scenarios

    def columns(self, positions: Sequence[int], count: int) -> Floats:
        """(count, positions), column-major: the first ``count`` scenarios of the videos at
        ``positions``, each column averaging exactly 1 over them. A column depends only on
        the seed, its video and KOL and ``count``, never on the other positions."""
        cfg = self.cfg
        campaign_shock = np.concatenate([
            _stratified(cfg.seed, min(count, cfg.scenarios)),
            _stratified(cfg.seed + 1, count - min(count, cfg.scenarios))])[:, None]
        kols = sorted({self.kols[k] for k in positions})
        kol_of = {k: i for i, k in enumerate(kols)}
        # Column-major: the KOL shocks a block of videos gathers are whole columns in memory.
        kol_shock = _normals(cfg.seed, ["\x00kol:" + k for k in kols], count, order="F")
        sigma = self.sigma[np.asarray(positions, dtype=np.int64)]
        kol_index = np.array([kol_of[self.kols[k]] for k in positions], dtype=np.int64)
        shared = cfg.campaign_sigma * campaign_shock
        kol_weight, own_weight = math.sqrt(cfg.kol_share), math.sqrt(1.0 - cfg.kol_share)
        out = np.empty((count, len(positions)), order="F")
        # log m = campaign_sigma x campaign shock + sigma x (sqrt(kol_share) x KOL shock
        #         + sqrt(1 - kol_share) x video shock), a block of videos at a time as their
        # shocks are drawn: the same figures, without a (scenarios, videos) array per step.
        for part, video_shock in _normal_blocks(cfg.seed, [self.keys[k] for k in positions],
                                                count):
            # Column-major (as the whole gather always was): each column's mean is summed
            # down the column, in the order it always was.
            m = np.asfortranarray(kol_shock[:, kol_index[part]])
            m *= kol_weight
            video_shock *= own_weight
            m += video_shock
            m *= sigma[None, part]
            m += shared
            np.exp(m, out=m)
            _mean_one(m, out=out[:, part])
        return out


_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


def _mix(z: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    """SplitMix64's finaliser: a counter becomes 64 well-mixed bits."""
    mixed = z + _GOLDEN
    _mix_in_place(mixed, np.empty_like(mixed))
    return mixed


def _mix_in_place(z: npt.NDArray[np.uint64], spare: npt.NDArray[np.uint64]) -> None:
    """``_mix`` after its ``+ _GOLDEN``, in ``z`` itself (``spare``: a buffer of its shape)."""
    for shift, factor in ((30, 0xBF58476D1CE4E5B9), (27, 0x94D049BB133111EB)):
        np.right_shift(z, np.uint64(shift), out=spare)
        z ^= spare
        z *= np.uint64(factor)
    np.right_shift(z, np.uint64(31), out=spare)
    z ^= spare


# Keys drawn at a time: the draw's two working arrays (bits, then uniforms) are each twice
# its output for those keys; small enough to stay in the processor's cache.
_NORMALS_CHUNK = 128


def _normals(seed: int, keys: Sequence[str], count: int,
             order: Literal["C", "F"] = "C") -> Floats:
    """``count`` standard normals per key, (count, keys): each key's column depends only
    on the seed and the key, so adding a video leaves the others' draws as they were
    (``order="F"``: each key's column whole in memory)."""
    normals: Floats = np.empty((count, len(keys)), order=order)
    for part, block in _normal_blocks(seed, keys, count):
        normals[:, part] = block
    return normals


def _normal_blocks(seed: int, keys: Sequence[str],
                   count: int) -> Iterator[tuple[slice, Floats]]:
    """``_normals`` a block of keys at a time: each block's slice of ``keys`` and its
    (count, block) normals, in an array the next block overwrites.

    A counter-based generator (SplitMix64 on seed, key and index, then Box-Muller)
    draws a block of keys at once instead of seeding a generator per video (the blocks
    leave every column as it is). Each step works in place: the same figures as one new
    array per step.
    """
    key = np.array([zlib.crc32(k.encode("utf-8")) for k in keys], dtype=np.uint64)
    base = _mix(key ^ _mix(np.array([seed], dtype=np.uint64)))
    start_of = base * _GOLDEN + _GOLDEN
    index = np.arange(2 * count, dtype=np.uint64)[:, None]
    width = min(_NORMALS_CHUNK, len(keys))
    bits_buffer = np.empty((2 * count, width), dtype=np.uint64)
    spare_buffer = np.empty_like(bits_buffer)
    uniform_buffer = np.empty((2 * count, width))
    normals_buffer = np.empty((count, width))
    for start in range(0, len(keys), _NORMALS_CHUNK):
        part = slice(start, start + _NORMALS_CHUNK)
        n = len(key[part])
        bits, spare, uniform = bits_buffer[:, :n], spare_buffer[:, :n], uniform_buffer[:, :n]
        # bits = mix(base x golden + index), _mix adding the golden ratio first (arithmetic
        # modulo 2^64: the key's part is worked out once per key).
        np.add(index, start_of[None, part], out=bits)
        _mix_in_place(bits, spare)
        # Uniforms on (0, 1) from the top 53 bits: ((bits >> 11) + 0.5) / 2^53 (below 2^53,
        # the bits convert to the same float from a signed integer, faster).
        bits >>= np.uint64(11)
        np.add(bits.view(np.int64), 0.5, out=uniform)
        uniform *= 2.0 ** -53
        # Box-Muller: sqrt(-2 log u1) x cos(2 pi u2).
        radius, angle = uniform[0::2], uniform[1::2]
        np.log(radius, out=radius)
        radius *= -2.0
        np.sqrt(radius, out=radius)
        angle *= 2.0 * math.pi
        np.cos(angle, out=angle)
        block = normals_buffer[:, :n]
        np.multiply(radius, angle, out=block)
        yield part, block


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


def _mean_one(m: Floats, out: Floats | None = None) -> Floats:
    """Moment matching: the scenarios' mean is the point estimate, so the expected plan
    and the scenarios' mean never disagree (in ``out`` when given)."""
    scaled: Floats = np.divide(m, m.mean(axis=0, keepdims=True), out=out)
    return scaled


def draw_scenarios(beliefs: Sequence[Belief], cfg: RiskConfig) -> Scenarios:
    """Scenarios of every video's ROI with the campaign's, KOLs' and videos' shocks: the
    optimiser's now, the report's of a video when a plan buys it."""
    ordered = sorted(beliefs, key=lambda b: b.video_id)
    draw = _Draw(cfg=cfg, keys=[b.video_id for b in ordered],
                 kols=[b.kol_name for b in ordered],
                 sigma=np.array([b.sigma for b in ordered]),
                 count=max(cfg.scenarios, cfg.report_scenarios))
    return Scenarios(videos=draw.keys, optimised=draw.columns(range(len(ordered)),
                                                              cfg.scenarios),
                     draw=draw)


def gmv_scenarios(gmv_by_video: dict[str, float], scenarios: Scenarios) -> Floats:
    """The plan's GMV in each scenario, from each video's expected GMV."""
    column = scenarios.column()
    keys = [v for v in gmv_by_video if v in column]
    if not keys:
        return np.zeros(scenarios.count)
    values = np.array([gmv_by_video[v] for v in keys])
    result: Floats = scenarios.report([column[v] for v in keys]) @ values
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
