"""A plan cut by solver.time_limit_s (issue 29, finding 5): its unspent budget and the
next 10,000 yuan say the search stopped, never that more budget buys nothing."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from planner import planning
from planner.io.campaign_file import read_campaign
from planner.io.roster import read_videos
from planner.models import Line
from planner.planning import Planner
from planner.sweep import marginal_value

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.usefixtures("english")


def _cut_by_the_time_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every solve ends as if solver.time_limit_s stopped it (its plan feasible, not proven)."""
    solve = planning.solve

    def stopped(*args: Any, **kwargs: Any) -> Any:
        result = solve(*args, **kwargs)
        return dataclasses.replace(
            result, status="feasible", stopped=True,
            notes=[*result.notes, Line(code="time_limit", params={"limit": "0.01"})])

    monkeypatch.setattr(planning, "solve", stopped)


def test_unspent_budget_of_a_stopped_search_is_not_said_to_buy_nothing(monkeypatch):
    _cut_by_the_time_limit(monkeypatch)
    campaign = read_campaign(ROOT / "sample_data" / "campaign_tmall.toml")
    campaign = campaign.model_copy(update={"budget": campaign.budget * 50})  # money left over
    roster, _ = read_videos(ROOT / "sample_data" / "videos.csv",
                            plan_date=campaign.effective_plan_date)
    planner = Planner(roster, campaign, source="videos.csv")
    plan = planner.plan()
    assert plan.search_stopped and plan.unspent >= 1
    text = " ".join(plan.binding_text())
    assert "because the search stopped at solver.time_limit_s" in text, text
    assert "buys nothing" not in text
    lines = " ".join(marginal_value(planner, 10_000, base=plan))
    assert "What the next 10,000 yuan would buy is not known: the search stopped" in lines, lines
    assert "would buy nothing" not in lines and "does not bind" not in lines
