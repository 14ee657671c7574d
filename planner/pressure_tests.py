"""Test, then scale: the pressure tests a plan buys first, chosen by value of information.

A small share of the budget ([risk] test_share) buys small DOU+ (Tmall chain) or
Suixintui (closed loop) orders on the videos whose value is most uncertain and could
matter most; re-plans scale the winners once their actuals clear the floor. It reads
the response model's purchases and each video's belief (``planner.uncertainty``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from statistics import NormalDist

import numpy as np

from planner.config import Campaign
from planner.response import ResponseModel
from planner.tools import Tool
from planner.uncertainty import Floats, Ints


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
    best first with their cumulative width, and per video that could be tested the
    purchases (first days) a test would buy and the mean ROI and capacity of what it could
    buy once the test has spoken."""

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
        filled = np.concatenate([[0.0], np.cumsum(seg_width)])
        capacity = filled[seg_start[1:]] - filled[seg_start[:-1]]
        # A test buys one tool's one-day purchases (read from the book's columns: there are
        # hundreds of thousands of them).
        entry_owner, entry_day, _ = purchases.entries()
        one_day = np.bincount(entry_owner, minlength=len(purchases)) == 1
        buys = np.flatnonzero((capacity >= amount - 1e-9) & purchases.tool_is(tool) & one_day)
        if tool is Tool.DOU_PLUS:
            # Content service never runs with Dou+ on the same video and day: a test there
            # would shut out the content service the plan may book. Cells as codes: video
            # x day.
            days = len(purchases.dates)
            cell = purchases.video.astype(np.int64)[entry_owner] * days + entry_day
            booked = cell[purchases.tool_is(Tool.CONTENT_SERVICE)[entry_owner]]
            if len(booked):
                first = purchases.video.astype(np.int64) * days + purchases.day
                buys = buys[~np.isin(first[buys], booked)]
        # Per video, its first test_days days (the earliest first, then the first listed).
        buys = buys[np.lexsort((buys, first_day[buys], video[buys]))]
        group_start = np.flatnonzero(np.r_[True, video[buys][1:] != video[buys][:-1]])
        rank = np.arange(len(buys)) - np.repeat(group_start, np.diff(np.r_[group_start,
                                                                            len(buys)]))
        buys = buys[rank < cfg.test_days]
        chosen: dict[int, list[tuple[int, int]]] = {}
        for i in buys.tolist():
            chosen.setdefault(int(video[i]), []).append((int(first_day[i]), i))
        # What a test teaches is worth only the money spent after it: the re-plan reads a
        # day's actuals the morning after, so the video's purchases from two days past its
        # last test day (a test on the campaign's last days, or on the days a locked-in
        # content service leaves, informs nothing).
        learned_by = np.full(len(videos), np.iinfo(np.int64).max, dtype=np.int64)
        for code, found in chosen.items():
            learned_by[code] = found[-1][0] + 2
        after = np.repeat(first_day, np.diff(seg_start)) >= learned_by[owner]
        gmv = np.bincount(owner, weights=seg_roi * seg_width * after, minlength=len(videos))
        width = np.bincount(owner, weights=seg_width * after, minlength=len(videos))
        candidates = [(videos[code], float(gmv[code] / width[code]), float(width[code]),
                       [i for _, i in found])
                      for code, found in sorted(chosen.items()) if width[code] > 0]
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
