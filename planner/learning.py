"""Learn from daily actuals: ROI estimates, declines, bursts and top-ups.

Buyers re-plan every morning from yesterday's numbers (standard Dou+ buying:
watch the daily ROI, optimise the next day's order). Each video's ROI is
re-estimated by comparing what it sold, over all tools, with what the response
model expected for the same spend on the same days, shrunk towards the prior
by how much money stands behind the observation, recent days weighing more:

    w(day)     = 0.5 ** (days before yesterday / recency_half_life_days)
    S, G, E    = sums of w x spend, w x GMV, w x expected GMV over the video's days
    prior      = prior_spend x w(first day of actuals)
    multiplier = (prior x 1 + S x G/E) / (prior + S)

The prior weighs like ``prior_spend`` yuan (20,000) spent on the first day of
actuals, so it ages with that day: on the first day 100 yuan moves the
estimate by 0.5% at most and 2,000 yuan of a lucky day by about a tenth of the
surprise, as without recency; every later day counts more against it (the
third of three equal days by 1 / 0.5 ** (2 / 3) = 1.59 times). A clear
Dou+ decline (ROI falling ``decline_days`` days in a row to
``roi_decline_ratio`` of where it started, or ``decline_days`` + 1 days each
at most ``roi_decline_ratio`` of what the model expected) is no longer one
lucky or unlucky day: the estimate then follows the weighted actuals alone,
Dou+ turns targeted and the video gets no new content service.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import pairwise

import pandas as pd

from planner.config import Campaign
from planner.frames import gmv_known, records
from planner.models import Reason, ReasonParam
from planner.reasons import reason
from planner.response import KYUAN, Signals, tool_economics
from planner.rules import Assessment
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


# The ROI multiplier that cancels a tool on a video: nothing clears the floor at ROI 0.
CANCELLED = 0.0


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


def day_evidence(spend: float, cap: float) -> float:
    """The yuan of evidence a day's ``spend`` is worth: all of it, up to ``cap``."""
    return min(spend, cap)


def recency_weight(day: date, latest: date, half_life_days: float) -> float:
    """Weight of a day's actuals: 1 for ``latest`` (yesterday), halving every half-life."""
    return float(0.5 ** (max((latest - day).days, 0) / half_life_days))


def learn(actuals: pd.DataFrame, assessments: list[Assessment], campaign: Campaign,
          plan_date: date) -> Learning:
    """Estimates and signals from every actual before ``plan_date``."""
    by_id = {a.video.video_id: a for a in assessments}
    cfg = campaign.learning
    floor = campaign.effective_roi_floor
    latest = plan_date - timedelta(days=1)
    past = actuals[actuals["date"] < plan_date] if len(actuals) else actuals
    totals: dict[tuple[str, Tool], list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0])
    daily: dict[tuple[str, Tool], list[tuple[date, float, float, float]]] = defaultdict(list)
    for row in records(past):
        video_id, tool = str(row["video_id"]), Tool(str(row["tool"]))
        assessment = by_id.get(video_id)
        if assessment is None or not gmv_known(row["gmv"]):
            continue  # GMV unknown (spend-only report): learnt once its GMV file arrives
        spend, gmv = float(row["spend"]), float(row["gmv"])
        expected = expected_gmv_for(assessment, tool, row["date"], spend, campaign)
        acc = totals[(video_id, tool)]
        acc[0] += spend
        acc[1] += gmv
        acc[2] += expected
        daily[(video_id, tool)].append((row["date"], spend, gmv, expected))

    reasons: dict[tuple[str, Tool], list[Reason]] = defaultdict(list)
    # A clear Dou+ decline: falling day after day, or stuck far below what the model
    # expected (the method: follower circle exhausted -> targeted).
    declines: dict[str, str] = {}
    decline_figures: dict[str, dict[str, ReasonParam]] = {}
    for (video_id, tool), days in sorted(daily.items()):
        if tool is not Tool.DOU_PLUS:
            continue
        ratio = campaign.rules.roi_decline_ratio
        fall = roi_decline(days, cfg.decline_days, cfg.decline_min_daily_spend, ratio)
        collapse = roi_collapse(days, cfg.decline_days, cfg.decline_min_daily_spend, ratio)
        figures: dict[str, ReasonParam]
        if fall is not None:
            words = f"ROI fell from {fall[0]:.1f} to {fall[1]:.1f} over {cfg.decline_days} days"
            figures = {"form": "fall", "roi_from": round(fall[0], 1), "roi_to": round(fall[1], 1),
                       "days": cfg.decline_days}
        elif collapse is not None:
            model, seen = collapse
            words = (f"ROI {', '.join(f'{r:.1f}' for r in seen)} on the last {len(seen)} days, "
                     f"below {ratio:.0%} of the {model:.1f} the model expected")
            figures = {"form": "collapse", "seen": ", ".join(f"{r:.1f}" for r in seen),
                       "days": len(seen), "share": ratio, "model": round(model, 1)}
        else:
            continue
        declines[video_id] = words
        decline_figures[video_id] = figures
        reasons[(video_id, tool)].append(reason(
            "targeted_roi_declining", f"{words}: Dou+ switched to targeted", **figures))

    # A video's content model drives every tool on it [seed: "no ROI, no point"], so the
    # evidence is pooled per video: a weak Dou+ test also lowers content service. Recent
    # days weigh more (half-life ``recency_half_life_days``); the prior weighs like
    # ``prior_spend`` yuan spent on the video's first day of actuals, so one lucky day
    # moves the estimate as little as ever, while days of collapse take over from it.
    per_video: dict[str, list[tuple[date, float, float, float]]] = defaultdict(list)
    for (video_id, _tool), days in daily.items():
        per_video[video_id].extend(days)
    video_multiplier: dict[str, float] = {}
    multipliers: dict[tuple[str, Tool], float] = {}
    half_life = cfg.recency_half_life_days
    for video_id, days in sorted(per_video.items()):
        weights = [recency_weight(d, latest, half_life) for d, *_ in days]
        # However much a day spends, it weighs at most like ``day_evidence_cap`` yuan: one
        # day's ROI is noisy, so it narrows the estimate but never erases it; days do.
        spent_on: dict[date, float] = defaultdict(float)
        for d, s, _, _ in days:
            spent_on[d] += s
        weights = [w * day_evidence(spent_on[d], cfg.day_evidence_cap) / spent_on[d]
                   if spent_on[d] > 0 else w for w, (d, *_) in zip(weights, days, strict=True)]
        spend = sum(w * s for w, (_, s, _, _) in zip(weights, days, strict=True))
        gmv = sum(w * g for w, (_, _, g, _) in zip(weights, days, strict=True))
        expected = sum(w * e for w, (_, _, _, e) in zip(weights, days, strict=True))
        if spend <= 0 or expected <= 0:
            continue
        ratio = gmv / expected
        if video_id in declines:
            # A clear decline is not one lucky (or unlucky) day: the video is no longer the
            # one the prior describes, so the recent actuals alone set the estimate.
            multiplier = ratio
            how = "ROI clearly declining, so the recent actuals alone set the estimate"
            form: dict[str, ReasonParam] = {"form": "declining"}
        else:
            prior = cfg.prior_spend * recency_weight(min(d for d, *_ in days), latest,
                                                     half_life)
            multiplier = (prior + spend * ratio) / (prior + spend)
            how = f"recent days weigh more: half-life {half_life:g} days"
            form = {"half_life": half_life}
        video_multiplier[video_id] = multiplier
        sold = sum(g for _, _, g, _ in days)
        paid = sum(s for _, s, _, _ in days)
        for tool in campaign.chain_tools():
            multipliers[(video_id, tool)] = multiplier
            if abs(multiplier - 1.0) >= 0.02:
                reasons[(video_id, tool)].append(reason(
                    "learned_roi",
                    f"actuals: sold {sold:,.0f} on {paid:,.0f} yuan, {ratio:.0%} of what the "
                    f"model expected ({how}); ROI estimates x{multiplier:.2f}",
                    sold=round(sold), paid=round(paid), ratio=ratio,
                    multiplier=round(multiplier, 2), **form,
                ))
    estimates: list[Estimate] = []
    below_floor: dict[str, str] = {}
    below_figures: dict[str, dict[str, ReasonParam]] = {}
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
            below_floor.setdefault(
                key[0], f"learned {key[1]} ROI {learned_roi:.2f} is below the floor {floor:.2f}")
            below_figures.setdefault(key[0], {"form": "below_floor", "tool": key[1].value,
                                              "roi": round(learned_roi, 2),
                                              "floor": round(floor, 2)})
            reasons[key].append(reason(
                "learned_roi_below_floor",
                f"stop buying: learned ROI {learned_roi:.2f} (model {prior_roi:.2f}, observed "
                f"{gmv / spend:.2f} on {spend:,.0f} yuan) is below the floor {floor:.2f}",
                roi=round(learned_roi, 2), model=round(prior_roi, 2),
                observed=round(gmv / spend, 2), spend=round(spend), floor=round(floor, 2),
            ))

    # Content service is one-shot: once booked it runs whole [seed]. A video that is
    # clearly declining, or whose learned ROI is below the floor, gets no new order:
    # those not yet booked (big-sale lock-ins included) are cancelled. Booked ones are
    # commitments and stay.
    for video_id in sorted(set(declines) | set(below_floor)):
        why = declines.get(video_id) or below_floor[video_id]
        figures = decline_figures.get(video_id) or below_figures[video_id]
        multipliers[(video_id, Tool.CONTENT_SERVICE)] = CANCELLED
        reasons[(video_id, Tool.CONTENT_SERVICE)].append(reason(
            "cs_cancelled",
            f"no new content service: {why}; a booked order cannot be stopped, so the "
            "orders not yet booked (lock-ins included) are cancelled",
            **figures,
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
                form="learned", roi=round(sold / spent, 2), followers=video.followers,
            ))
    # The evidence behind each video's learned ROI: the yuan observed with their GMV.
    observed_spend: dict[str, float] = defaultdict(float)
    for (video_id, _), (spent, _, _) in totals.items():
        observed_spend[video_id] += spent
    # Daily lines that spent on the day before the plan go on: no new learning phase.
    running = frozenset(
        line for line, days in daily.items()
        if any(d >= plan_date - timedelta(days=1) and spend > 0 for d, spend, _, _ in days))
    return Learning(
        signals=Signals(
            running=running,
            roi_multiplier=multipliers,
            declining=frozenset(declines),
            burst=frozenset(bursts),
            reasons=dict(reasons),
            observed_spend=observed_spend,
            video_multiplier=video_multiplier,
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


def roi_collapse(days: list[tuple[date, float, float, float]], window: int, min_spend: float,
                 ratio: float) -> tuple[float, list[float]] | None:
    """(model ROI, observed ROIs) when each of the last ``window`` + 1 solid days sold at
    most ``ratio`` x what the model expected for its spend: a collapse, not a bad day."""
    solid = sorted((d, spend, gmv, expected) for d, spend, gmv, expected in days
                   if spend >= max(min_spend, 1e-9) and expected > 0)
    if len(solid) < window + 1:
        return None
    tail = solid[-(window + 1):]
    if all(gmv <= ratio * expected for _, _, gmv, expected in tail):
        model = sum(e for *_, e in tail) / sum(s for _, s, _, _ in tail)
        return model, [gmv / spend for _, spend, gmv, _ in tail]
    return None
