"""Baselines to measure the planner against: the buyers' rule of thumb.

This is **the baseline, not the planner**. It answers "how much better is the
optimiser than what a media buyer does by hand?" and is used by the benchmarks
and by a test that checks the optimiser does at least as well.

The rule of thumb, as buyers run it:

1. rank the videos by traffic ROI (GPM / CPM), best first;
2. give each video, in that order, the most its tools allow: every purchase
   of the video (each tool and day, each content-service window) in day order,
   and within a day in the chain's AIMT order (Dou+ / Suixintui and content
   service before the harvesting tools), as much as it takes (all its
   segments), while budget remains;
3. respect the same minimums and rules as the planner: the tool's minimum
   order (a purchase is skipped when less than its minimum is left, so
   content service needs its full 50,000 yuan), the daily cap, each tool's
   budget cap, content service and Dou+ never on the same video and day
   (whichever is taken first blocks the other), the paid-reach limit (100x
   natural plays), the seeding share (harvesting only while KOL fees and
   seeding tools keep their minimum share; seeding only up to the maximum),
   and the audience pool (harvesting only as far as the seeding bought so far
   has built it).

It runs on the planner's own response model (``planner.response``), so both
are judged by the same expected-GMV yardstick: GMV = segment ROI x amount,
filling segments best first. Amounts are rounded down to the tool's order
step, as real orders are. Fixed commitments count against the budget and the
caps and their expected GMV is included, as in the planner's ``expected_gmv``.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

import numpy as np

from planner.config import Campaign
from planner.models import Video
from planner.planning import assess_roster
from planner.response import (
    KYUAN,
    AudiencePool,
    Purchase,
    ResponseModel,
    build_response_model,
)
from planner.rules import Assessment
from planner.tools import CHAIN_TOOLS, HARVESTING_TOOLS, Tool

_EPS = 1e-9


@dataclass(frozen=True)
class BaselineResult:
    """What the rule of thumb buys, in yuan."""

    expected_gmv: float  # new purchases plus fixed commitments, as the planner reports it
    spend: float  # new spend only
    committed: float  # fixed commitments (already booked or spent)
    spend_by_purchase: dict[int, float] = field(default_factory=dict)  # Purchase.index -> yuan

    @property
    def total_spend(self) -> float:
        return self.spend + self.committed

    @property
    def roi(self) -> float:
        return self.expected_gmv / self.total_spend if self.total_spend > 0 else 0.0


def segment_gmv(p: Purchase, amount: float) -> float:
    """GMV (thousand yuan) that ``amount`` thousand yuan buys in ``p``, best segment first."""
    gmv, left = 0.0, amount
    for roi, width in sorted(zip(p.seg_roi, p.seg_width, strict=True), reverse=True):
        take = min(left, width)
        if take <= 0:
            break
        gmv += take * roi
        left -= take
    return gmv


def rule_of_thumb(videos: Sequence[Video], campaign: Campaign) -> BaselineResult:
    """Score and apply the rules as the planner does, then allocate by the rule of thumb."""
    assessments = assess_roster(videos, campaign)
    response = build_response_model(assessments, campaign)
    return allocate_rule_of_thumb(assessments, response, campaign)


def allocate_rule_of_thumb(
    assessments: Sequence[Assessment], response: ResponseModel, campaign: Campaign
) -> BaselineResult:
    """Fill videos by traffic ROI, best first, each as far as its limits allow."""
    fixed_spend = sum(sum(f.day_spend.values()) for f in response.fixed)
    budget_left = campaign.budget / KYUAN - fixed_spend

    cap = campaign.daily_cap / KYUAN if campaign.daily_cap is not None else None
    day_used: dict[date, float] = defaultdict(float)
    for f in response.fixed:
        for day, spend in f.day_spend.items():
            day_used[day] += spend

    tool_left: dict[Tool, float] = {}
    for tool, cfg in campaign.tools.items():
        if cfg.max_budget is not None:
            tool_left[tool] = cfg.max_budget / KYUAN - sum(
                sum(f.day_spend.values()) for f in response.fixed if f.commitment.tool is tool
            )

    reach_left = dict(response.amplification_room)  # impressions
    pool = AudiencePool(response, campaign)
    s_min = campaign.balance.min_seeding_share
    s_max = campaign.balance.max_seeding_share
    seeding = response.kol_fees + sum(sum(f.day_spend.values()) for f in response.fixed
                                      if f.seeding)
    harvesting = sum(sum(f.day_spend.values()) for f in response.fixed if not f.seeding)

    no_dou_plus: set[tuple[str, date]] = set()  # content service taken on these days
    no_content_service: set[tuple[str, date]] = set()  # Dou+ taken on these days

    # Each video's purchases (their indices, in order), made as objects one video at a time.
    book = response.purchases
    order = np.argsort(book.video, kind="stable")
    bounds = np.searchsorted(book.video[order], np.arange(len(book.videos) + 1)).tolist()
    by_video = {video_id: order[bounds[k]:bounds[k + 1]].tolist()
                for k, video_id in enumerate(book.videos)}
    ranked = sorted(assessments, key=lambda a: (-a.scores.traffic_roi, a.video.video_id))
    rank = {tool: i for i, tool in enumerate(CHAIN_TOOLS[campaign.chain])}

    taken: dict[int, float] = {}  # thousand yuan
    gmv = 0.0
    for assessment in ranked:
        video_id = assessment.video.video_id
        in_day_order = sorted(book.at(by_video.get(video_id, [])),
                              key=lambda q: (q.days[0], rank.get(q.tool, len(rank)), q.index))
        for p in in_day_order:
            if budget_left < p.min_order - _EPS:
                continue
            if p.is_content_service:
                if any((video_id, d) in no_content_service for d in p.days):
                    continue
            elif p.tool is Tool.DOU_PLUS and (video_id, p.days[0]) in no_dou_plus:
                continue

            limits = [p.capacity, budget_left]
            if p.tool in tool_left:
                limits.append(tool_left[p.tool])
            if cap is not None:
                limits.extend((cap - day_used[d]) / share
                              for d, share in zip(p.days, p.day_shares, strict=True)
                              if share > 0)
            if p.impressions_per_kyuan > 0:
                limits.append(reach_left.get(video_id, 0.0) / p.impressions_per_kyuan)
            if p.tool in HARVESTING_TOOLS and p.impressions_per_kyuan > 0:
                limits.append(pool.room(p.days[0]) / p.impressions_per_kyuan)
            if p.seeding and s_max < 1:
                # seeding <= s_max x (seeding + harvesting)
                limits.append(harvesting * s_max / (1 - s_max) - seeding)
            if not p.seeding and s_min > 0:
                # seeding >= s_min x (seeding + harvesting)
                limits.append(seeding * (1 - s_min) / s_min - harvesting)
            amount = _round_down(min(limits), campaign.tools[p.tool].order_step)
            if amount <= 0 or amount < p.min_order - _EPS:
                continue

            taken[p.index] = amount
            gmv += segment_gmv(p, amount)
            budget_left -= amount
            if p.tool in tool_left:
                tool_left[p.tool] -= amount
            for d, share in zip(p.days, p.day_shares, strict=True):
                day_used[d] += amount * share
            reach_left[video_id] = reach_left.get(video_id, 0.0) - amount * (
                p.impressions_per_kyuan
            )
            pool.take(p, amount)
            if p.seeding:
                seeding += amount
            else:
                harvesting += amount
            if p.is_content_service:
                no_dou_plus.update((video_id, d) for d in p.days)
            elif p.tool is Tool.DOU_PLUS:
                no_content_service.add((video_id, p.days[0]))

    fixed_gmv = sum(f.expected_gmv for f in response.fixed)
    return BaselineResult(
        expected_gmv=round((gmv + fixed_gmv) * KYUAN, 2),
        spend=round(sum(taken.values()) * KYUAN, 2),
        committed=round(fixed_spend * KYUAN, 2),
        spend_by_purchase={i: round(a * KYUAN, 2) for i, a in taken.items()},
    )


def _round_down(amount: float, step: float) -> float:
    """Thousand yuan rounded down to whole order steps (steps are in yuan)."""
    if amount <= 0:
        return 0.0
    yuan = math.floor(amount * KYUAN / step + 1e-9) * step
    return yuan / KYUAN
