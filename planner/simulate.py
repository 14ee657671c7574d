"""A seeded simulator of daily actuals from a known "true" ROI per video.

Used by the re-planning replay test and the benchmarks: each video's true
ROI is the model's prior times a hidden multiplier, so a planner that learns
from actuals should find the good videos and drop the bad ones.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import pandas as pd

from planner.config import Campaign
from planner.learning import expected_gmv_for
from planner.models import DailySpend, Video
from planner.planning import assess_roster
from planner.rules import Assessment
from planner.tools import Tool


@dataclass(frozen=True)
class World:
    """The hidden truth: how far each video's real ROI sits from the model's prior."""

    multiplier: dict[str, float]
    noise: float
    seed: int


def make_world(videos: Sequence[Video], *, seed: int, low: float = 0.3, high: float = 1.8,
               noise: float = 0.15) -> World:
    rng = random.Random(seed)
    return World(
        multiplier={v.video_id: math.exp(rng.uniform(math.log(low), math.log(high)))
                    for v in videos},
        noise=noise,
        seed=seed,
    )


def simulate_day(rows: Sequence[DailySpend], day: date, videos: Sequence[Video],
                 campaign: Campaign, world: World,
                 assessments: list[Assessment] | None = None) -> pd.DataFrame:
    """Actuals for ``day``: what the spend in ``rows`` really sold in this world."""
    assessed = {a.video.video_id: a for a in (assessments or assess_roster(videos, campaign))}
    rng = random.Random(f"{world.seed}:{day.isoformat()}")
    spend: dict[tuple[str, Tool], float] = defaultdict(float)
    for row in rows:
        if row.date == day and row.spend > 0:
            spend[(row.video_id, row.tool)] += row.spend
    out = []
    for (video_id, tool), amount in sorted(spend.items()):
        prior = expected_gmv_for(assessed[video_id], tool, day, amount, campaign)
        gmv = prior * world.multiplier[video_id] * math.exp(rng.gauss(0.0, world.noise))
        out.append({
            "date": day, "video_id": video_id, "tool": tool.value,
            "spend": round(amount, 2), "gmv": round(gmv, 2),
            "plays": round(amount / campaign.tools[tool].cpm * 1000.0),
        })
    return pd.DataFrame(out, columns=["date", "video_id", "tool", "spend", "gmv", "plays"])


def realised_gmv(actuals: pd.DataFrame) -> float:
    return float(actuals["gmv"].sum()) if len(actuals) else 0.0
