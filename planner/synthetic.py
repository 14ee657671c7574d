"""Seeded, pure generators of realistic KOL rosters and campaigns.

Used by the sample data (``sample_data/generate.py``), the tests and the
benchmarks. Everything draws from one ``random.Random(seed)``; the global
``random`` state is never read or touched, so equal arguments always give
equal output.

The numbers follow the method's defaults (planner.config): tiers by followers
(KOC <100k, tail <500k, mid <3M, head <10M, super-head from 10M), account weight
by median plays,
traffic ROI = GPM / CPM with a reference CPM of 40 yuan, KOL fees rising
with followers, comment-like rates of roughly 1-6 %.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from planner.models import Tier, Video
from planner.tools import Chain

REFERENCE_CPM = 40.0
"""CPM the generated traffic ROIs are expressed against (the campaign default)."""

MAX_AGE_DAYS = 40
"""Oldest video in a roster, days before the plan date."""

FRESH_MAX_AGE_DAYS = 1
"""A video this young (or younger) is still inside the burst window."""


@dataclass(frozen=True)
class _TierSpec:
    tier: Tier
    share: float
    min_followers: int
    max_followers: int  # exclusive
    fee_per_follower: tuple[float, float]  # yuan per follower, low..high


_TIERS: tuple[_TierSpec, ...] = (
    _TierSpec("koc", 0.15, 5_000, 100_000, (0.005, 0.02)),
    _TierSpec("tail", 0.30, 100_000, 500_000, (0.01, 0.035)),
    _TierSpec("mid", 0.35, 500_000, 3_000_000, (0.02, 0.05)),
    _TierSpec("head", 0.15, 3_000_000, 10_000_000, (0.025, 0.05)),
    _TierSpec("super_head", 0.05, 10_000_000, 40_000_000, (0.03, 0.06)),
)

_NAME_PREFIXES: tuple[str, ...] = ("小", "阿", "大", "", "", "", "", "", "是", "超甜的")
_NAME_CORES: tuple[str, ...] = (
    "鹿", "美", "甜", "糖", "桃", "柚", "橙", "米", "豆", "可",
    "蕊", "琪", "乐", "萌", "雪", "悠", "七", "安", "朵", "喵",
)
_NAME_SUFFIXES: tuple[str, ...] = (
    "酱", "子", "呀", "姐", "妹", "宝", "爱美妆", "的日常", "说护肤", "种草机",
    "Vlog", "好物分享", "不熬夜", "在成都", "是个吃货", "测评",
)

# Names that break naive CSV / spreadsheet handling: formula prefixes, a
# mention sign, an embedded comma and quotes.
HOSTILE_NAMES: tuple[str, ...] = (
    "=HYPERLINK(\"http://example.com\",\"点我领券\")",
    "@小助手官方",
    "+小美, \"正品\"好物",
)

_PRODUCTS: tuple[tuple[str, str], ...] = (
    ("玻尿酸补水面膜", "683920145521"),
    ("氨基酸洁面乳", "701238845610"),
    ("小金瓶精华液", "652201937745"),
    ("清透防晒喷雾", "719930254418"),
    ("胶原蛋白饮", "664178320937"),
    ("即食鲜炖燕窝", "690045712286"),
)

_EXTRA_QUERIES: tuple[str, ...] = (
    "spm=a1z10.1-b-s.w4004-1.1",
    "skuId=4980123765543",
    "ali_refid=a3_420434_1006:1103&ali_trackid=1_3b5d",
)

_STALE_UTM: tuple[str, ...] = (
    "utm_source=douyin&utm_medium=kol&utm_campaign=38_sale_2027",
    "utm_source=Douyin&utm_medium=DOU+&utm_campaign=old%20launch&utm_content=ig_web_copy_link",
)


def _log_uniform(rng: random.Random, low: float, high: float) -> float:
    return math.exp(rng.uniform(math.log(low), math.log(high)))


def _tier_plan(n: int, rng: random.Random) -> list[_TierSpec]:
    """Tiers for ``n`` videos in the target mix, at least one of each when n >= 10."""
    if n < len(_TIERS) * 2:
        return rng.choices(_TIERS, weights=[t.share for t in _TIERS], k=n)
    counts = [max(1, round(n * t.share)) for t in _TIERS]
    # Absorb the rounding difference in the largest tier (mid).
    counts[2] += n - sum(counts)
    plan = [spec for spec, count in zip(_TIERS, counts, strict=True) for _ in range(count)]
    rng.shuffle(plan)
    return plan


def _kol_names(n: int, rng: random.Random, hostile: bool = True) -> list[str]:
    names: list[str] = []
    seen: set[str] = set()
    while len(names) < n:
        name = rng.choice(_NAME_PREFIXES) + rng.choice(_NAME_CORES)
        if rng.random() < 0.35:
            name += rng.choice(_NAME_CORES)
        name += rng.choice(_NAME_SUFFIXES)
        if name in seen:
            # A numbered handle, as Douyin does for taken nicknames.
            name = f"{name}{rng.randint(1, 999)}"
            if name in seen:
                continue
        seen.add(name)
        names.append(name)
    if n >= 10:
        # Drawn either way, so a roster without them differs from one with them only there.
        places = rng.sample(range(n), len(HOSTILE_NAMES))
        for index, name in zip(places, HOSTILE_NAMES, strict=True):
            if hostile:
                names[index] = name
    return names


def _landing_url(rng: random.Random, item_id: str) -> str | None:
    draw = rng.random()
    base = f"https://detail.tmall.com/item.htm?id={item_id}"
    if draw < 0.05:
        return None
    if draw < 0.12:
        return f"{base}&{rng.choice(_STALE_UTM)}"
    if draw < 0.40:
        return f"{base}&{rng.choice(_EXTRA_QUERIES)}"
    return base


def _first_2h_probability(spec: _TierSpec, age_days: int) -> float:
    large = spec.tier in ("mid", "head", "super_head")
    if age_days <= FRESH_MAX_AGE_DAYS:
        return 0.95 if large else 0.5
    if age_days <= 7:
        return 0.35 if large else 0.1
    return 0.08


def _one_video(
    index: int, spec: _TierSpec, name: str, rng: random.Random, plan_date: date
) -> Video:
    followers = min(
        spec.max_followers - 1, int(_log_uniform(rng, spec.min_followers, spec.max_followers))
    )
    # Account weight: median plays 3-15 % of followers; some low-weight accounts far below.
    if rng.random() < 0.15:
        median_plays = float(round(followers * rng.uniform(0.002, 0.02)))
    else:
        median_plays = float(round(followers * rng.uniform(0.03, 0.15)))
    median_plays = max(median_plays, 200.0)

    age_days = (
        rng.randint(0, FRESH_MAX_AGE_DAYS)
        if rng.random() < 0.2
        else rng.randint(FRESH_MAX_AGE_DAYS + 1, MAX_AGE_DAYS)
    )
    publish_date = plan_date - timedelta(days=age_days)

    natural_plays = float(round(median_plays * _log_uniform(rng, 0.5, 3.0)))
    # Traffic ROI (GPM / CPM 40) log-normal around 1.3: about a third below 1.0.
    roi = min(4.0, max(0.3, math.exp(rng.gauss(math.log(1.3), 0.6))))
    natural_gmv = round(roi * REFERENCE_CPM * natural_plays / 1000.0, 2)

    likes = round(natural_plays * rng.uniform(0.01, 0.06))
    comments = round(likes * rng.uniform(0.01, 0.06))
    shares = None if rng.random() < 0.1 else round(likes * rng.uniform(0.05, 0.4))

    kol_authorized = rng.random() < 0.6
    ad_review_passed = kol_authorized and rng.random() < 0.7

    roi_3m = None
    if rng.random() < 0.7:
        roi_3m = round(roi * math.exp(rng.gauss(0.0, 0.2)), 2)

    first_2h_plays = first_2h_gmv = None
    if rng.random() < _first_2h_probability(spec, age_days):
        first_2h_plays = float(round(natural_plays * rng.uniform(0.08, 0.35)))
        first_2h_roi = roi * _log_uniform(rng, 0.6, 1.8)
        first_2h_gmv = round(first_2h_roi * REFERENCE_CPM * first_2h_plays / 1000.0, 2)

    low, high = spec.fee_per_follower
    kol_fee = None if rng.random() < 0.05 else float(
        max(200, round(followers * _log_uniform(rng, low, high), -2))
    )

    product, item_id = rng.choice(_PRODUCTS)
    return Video(
        video_id=f"v{index:04d}",
        kol_name=name,
        followers=followers,
        median_plays=median_plays,
        publish_date=publish_date,
        natural_plays=natural_plays,
        natural_gmv=natural_gmv,
        likes=likes,
        comments=comments,
        shares=shares,
        kol_authorized=kol_authorized,
        ad_review_passed=ad_review_passed,
        roi_3m=roi_3m,
        first_2h_plays=first_2h_plays,
        first_2h_gmv=first_2h_gmv,
        kol_fee=kol_fee,
        product=product,
        landing_url=_landing_url(rng, item_id),
    )


def generate_roster(n: int, *, seed: int, plan_date: date,
                    hostile: bool = True) -> list[Video]:
    """``n`` realistic KOL videos published up to 40 days before ``plan_date``.

    Tier mix about 15 % KOC, 30 % tail, 35 % mid, 15 % head, 5 % super-head
    (every tier present when n >= 10); traffic ROIs spread over 0.3-4.0 with a
    fair share below 1.0; three hostile KOL names (``HOSTILE_NAMES``) when n >= 10,
    unless ``hostile`` is off (a buyer's sample: the same roster with ordinary names
    there). Video ids are ``v0001`` ... in order.
    """
    if n < 0:
        raise ValueError(f"n must not be negative, got {n}")
    rng = random.Random(seed)
    tiers = _tier_plan(n, rng)
    names = _kol_names(n, rng, hostile)
    return [
        _one_video(i + 1, spec, name, rng, plan_date)
        for i, (spec, name) in enumerate(zip(tiers, names, strict=True))
    ]


def generate_campaign_dict(
    chain: str,
    *,
    plan_date: date,
    n_days: int = 30,
    budget: float,
    with_sale: bool = True,
) -> dict[str, Any]:
    """A campaign dict shaped like the parsed TOML file (dates as ``date`` objects).

    The campaign starts the day after ``plan_date`` and runs ``n_days`` days.
    With ``with_sale`` a 618-style big sale sits in the last part of the window
    (it starts less than 30 days after the plan date unless ``n_days`` is long,
    so short campaigns are too late for a content-service lock-in).
    """
    if chain not in {c.value for c in Chain}:
        raise ValueError(f"unknown chain '{chain}': use one of {', '.join(c.value for c in Chain)}")
    if n_days < 1:
        raise ValueError(f"n_days must be at least 1, got {n_days}")
    if budget <= 0:
        raise ValueError(f"budget must be positive, got {budget}")
    start = plan_date + timedelta(days=1)
    end = start + timedelta(days=n_days - 1)
    label = "种草收割" if chain == Chain.TMALL.value else "闭环收割"
    campaign: dict[str, Any] = {
        "name": f"618 {label} (synthetic, {n_days} days)",
        "chain": chain,
        "plan_date": plan_date,
        "start": start,
        "end": end,
        "budget": float(budget),
        "daily_cap": round(float(budget) / n_days * 2.5, 2),
        "roi_floor": 1.2,
    }
    if with_sale:
        length = max(1, min(10, n_days // 4))
        tail_days = min(n_days - length, max(1, n_days // 15))
        sale_end = end - timedelta(days=tail_days)
        sale_start = sale_end - timedelta(days=length - 1)
        campaign["big_sales"] = [{"name": "618", "start": sale_start, "end": sale_end}]
    return campaign
