"""Small builders for videos and campaigns used across the tests."""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd

from planner.config import Campaign, campaign_from_dict
from planner.models import Video

PLAN_DATE = date(2027, 4, 20)


def actuals_frame(rows: list[tuple[Any, str, str, float, float]]) -> pd.DataFrame:
    """Actuals of (date, video, tool, spend, gmv) rows, 50 plays a yuan."""
    return pd.DataFrame(
        [{"date": d, "video_id": v, "tool": t, "spend": s, "gmv": g, "plays": s * 50}
         for d, v, t, s, g in rows],
        columns=["date", "video_id", "tool", "spend", "gmv", "plays"])


def make_video(**overrides: Any) -> Video:
    """A mid-size, authorised, weighty video with traffic ROI 2.0 at CPM 40."""
    values: dict[str, Any] = {
        "video_id": "v1",
        "kol_name": "测试达人",
        "followers": 800_000,
        "median_plays": 120_000,
        "publish_date": date(2027, 4, 15),
        "natural_plays": 250_000,
        "natural_gmv": 20_000,
        "likes": 10_000,
        "comments": 400,
        "kol_authorized": True,
        "ad_review_passed": True,
        "roi_3m": 1.8,
        "kol_fee": 20_000,
    }
    values.update(overrides)
    return Video.model_validate(values)


# Tool economics before harvesting drew on the audience pool: for tests whose scenario
# (a relaxation under a minimum, a budget where the plan tops out) was built on them.
COLD_HARVEST_TOOLS: dict[str, dict[str, Any]] = {
    "ad_feed": {"efficiency": 0.5},
    "uni_desk": {"efficiency": 0.55},
    "qianchuan": {"efficiency": 0.8},
}


# The rule and optimiser tests were built on point estimates: they plan for expected GMV
# with no share caps unless they say otherwise. Risk attitudes and caps have their own
# tests (test_uncertainty.py), and the sample campaigns keep the product's defaults.
# The rules' tests plan point estimates: no risk attitude, no concentration limits and no
# pressure tests (tests/test_pressure_tests.py and the sample campaigns have those).
POINT_ESTIMATES: dict[str, Any] = {"objective": "expected", "max_video_share": 1.0,
                                   "max_kol_share": 1.0, "test_share": 0.0}


def make_campaign(**overrides: Any) -> Campaign:
    values: dict[str, Any] = {
        "name": "test",
        "chain": "tmall",
        "start": date(2027, 4, 21),
        "end": date(2027, 4, 30),
        "plan_date": PLAN_DATE,
        "budget": 100_000,
        "roi_floor": 1.2,
        "risk": POINT_ESTIMATES,
    }
    values.update(overrides)
    return campaign_from_dict(values)
