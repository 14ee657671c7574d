"""Learn from daily actuals: ROI estimates, declines, bursts and top-ups.

Buyers re-plan every morning from yesterday's numbers (standard Dou+ buying:
watch the daily ROI, optimise the next day's order). Each video's ROI is
re-estimated by comparing what it sold, over all tools, with what the response
model expected for the same spend on the same days, shrunk towards the prior
by how much money stands behind the observation:

    multiplier = (prior_spend x 1 + spend x observed/expected) / (prior_spend + spend)

so 100 yuan on one day moves the estimate by 0.5% at most (prior_spend 20,000),
2,000 yuan of a lucky first day by about a tenth of the surprise, and a week of
10,000 yuan a day most of the way.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from itertools import pairwise

import pandas as pd

from planner.config import Campaign
from planner.frames import records
from planner.models import Reason
from planner.response import KYUAN, Signals, tool_economics
from planner.rules import Assessment, reason
from planner.tools import Tool


@dataclass(frozen=True)
class Estimate:
    """A video-tool's ROI before and after the evidence."""

    video_id: str
    tool: Tool
    spend: float
    gmv: float
    expected_gmv: float
    prior_roi: float
    observed_roi: float
    learned_roi: float
    multiplier: float


@dataclass(frozen=True)
class Learning:
    signals: Signals
    estimates: list[Estimate]


def expected_gmv_for(assessment: Assessment, tool: Tool, day: date, spend: float,
                  campaign: Campaign) -> float:
    """GMV the model expected from ``spend`` yuan, filling that day's segments best first."""
    roi, capacity, _ = tool_economics(
        assessment.video, assessment.scores, tool, day, campaign
    )
    left = spend / KYUAN
    gmv = 0.0
    widths = campaign.response.segment_widths
    factors = campaign.response.segment_roi
    for share, factor in zip(widths, factors, strict=True):
        take = min(left, capacity * share)
        gmv += take * roi * factor
        left -= take
    # Spend beyond the modelled capacity still earns at the last segment's rate.
    gmv += max(left, 0.0) * roi * factors[-1]
    return gmv * KYUAN


def learn(actuals: pd.DataFrame, assessments: list[Assessment], campaign: Campaign,
          plan_date: date) -> Learning:
    """Estimates and signals from every actual before ``plan_date``."""
    by_id = {a.video.video_id: a for a in assessments}
    cfg = campaign.learning
    floor = campaign.effective_roi_floor
    past = actuals[actuals["date"] < plan_date] if len(actuals) else actuals
    totals: dict[tuple[str, Tool], list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0])
    daily: dict[tuple[str, Tool], list[tuple[date, float, float, float]]] = defaultdict(list)
    for row in records(past):
        video_id, tool = str(row["video_id"]), Tool(str(row["tool"]))
        assessment = by_id.get(video_id)
        if assessment is None:
            continue
        spend, gmv = float(row["spend"]), float(row["gmv"])
        expected = expected_gmv_for(assessment, tool, row["date"], spend, campaign)
        acc = totals[(video_id, tool)]
        acc[0] += spend
        acc[1] += gmv
        acc[2] += expected
        daily[(video_id, tool)].append((row["date"], spend, gmv, expected))

    # A video's content model drives every tool on it [seed: "no ROI, no point"], so the
    # evidence is pooled per video: a weak Dou+ test also lowers content service.
    per_video: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0])
    for (video_id, _tool), (spend, gmv, expected) in totals.items():
        acc = per_video[video_id]
        acc[0] += spend
        acc[1] += gmv
        acc[2] += expected
    video_multiplier: dict[str, float] = {}
    multipliers: dict[tuple[str, Tool], float] = {}
    reasons: dict[tuple[str, Tool], list[Reason]] = defaultdict(list)
    for video_id, (spend, gmv, expected) in sorted(per_video.items()):
        if spend <= 0 or expected <= 0:
            continue
        ratio = gmv / expected
        multiplier = (cfg.prior_spend + spend * ratio) / (cfg.prior_spend + spend)
        video_multiplier[video_id] = multiplier
        for tool in campaign.chain_tools():
            multipliers[(video_id, tool)] = multiplier
            if abs(multiplier - 1.0) >= 0.02:
                reasons[(video_id, tool)].append(reason(
                    "learned_roi",
                    f"actuals: sold {gmv:,.0f} on {spend:,.0f} yuan, {ratio:.0%} of what the "
                    f"model expected; ROI estimates x{multiplier:.2f}",
                ))
    estimates: list[Estimate] = []
    for key, (spend, gmv, expected) in sorted(totals.items()):
        if spend <= 0 or expected <= 0 or key[0] not in video_multiplier:
            continue
        multiplier = video_multiplier[key[0]]
        prior_roi = expected / spend
        learned_roi = prior_roi * multiplier
        estimates.append(Estimate(
            video_id=key[0], tool=key[1], spend=spend, gmv=gmv, expected_gmv=expected,
            prior_roi=prior_roi, observed_roi=gmv / spend, learned_roi=learned_roi,
            multiplier=multiplier,
        ))
        if learned_roi < floor:
            reasons[key].append(reason(
                "learned_roi_below_floor",
                f"stop buying: learned ROI {learned_roi:.2f} (model {prior_roi:.2f}, observed "
                f"{gmv / spend:.2f} on {spend:,.0f} yuan) is below the floor {floor:.2f}",
            ))

    declining = set()
    for (video_id, tool), days in daily.items():
        if tool is not Tool.DOU_PLUS:
            continue
        fall = roi_decline(days, cfg.decline_days, cfg.decline_min_daily_spend,
                           campaign.rules.roi_decline_ratio)
        if fall is not None:
            declining.add(video_id)
            reasons[(video_id, tool)].append(reason(
                "targeted_roi_declining",
                f"ROI fell from {fall[0]:.1f} to {fall[1]:.1f} over {cfg.decline_days} days: "
                "Dou+ switched to targeted",
            ))

    bursts = set()
    for video_id, a in by_id.items():
        video = a.video
        age = (plan_date - video.publish_date).days
        if video.followers <= campaign.rules.large_kol_followers:
            continue
        if age >= campaign.rules.burst_window_days:
            continue
        first_day = [
            (spend, gmv) for (vid, _tool), days in daily.items() if vid == video_id
            for d, spend, gmv, _ in days if d == video.publish_date
        ]
        spent = sum(s for s, _ in first_day)
        sold = sum(g for _, g in first_day)
        if spent > 0 and sold / spent >= floor * cfg.burst_min_roi_multiple:
            bursts.add(video_id)
            reasons[(video_id, Tool.DOU_PLUS)].append(reason(
                "burst_first_2h",
                f"burst: day-one ROI {sold / spent:.2f} for a KOL with {video.followers:,} "
                "followers; keep adding Dou+ while it lasts",
            ))
    return Learning(
        signals=Signals(
            roi_multiplier=multipliers,
            declining=frozenset(declining),
            burst=frozenset(bursts),
            reasons=dict(reasons),
        ),
        estimates=estimates,
    )


def roi_decline(days: list[tuple[date, float, float, float]], window: int, min_spend: float,
                ratio: float) -> tuple[float, float] | None:
    """(from, to) ROI when the last ``window`` days each fell and ended below ratio x start."""
    solid = sorted((d, gmv / spend) for d, spend, gmv, _ in days if spend >= max(min_spend, 1e-9))
    if len(solid) < window + 1:
        return None
    tail = [roi for _, roi in solid[-(window + 1):]]
    falling = all(b < a for a, b in pairwise(tail))
    if falling and tail[-1] <= ratio * tail[0]:
        return tail[0], tail[-1]
    return None
