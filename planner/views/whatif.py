"""The What-if page's data: the budget range of a curve, its table, a target's answer."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Final

import pandas as pd

from planner.errors import Problem
from planner.i18n import (
    t,
)
from planner.sweep import TargetResult
from planner.views.labels import Metric, yuan

if TYPE_CHECKING:
    pass


MAX_CURVE_POINTS: Final = 20


# The default curve: from a quarter to twice the campaign's budget.
DEFAULT_CURVE_SHARES: Final[tuple[float, float]] = (0.25, 2.0)


DEFAULT_CURVE_POINTS: Final = 6


def default_budget_range(budget: float) -> tuple[float, float, int]:
    """(from, to, points) the budget curve starts with: 25% .. 200% of ``budget``, 6 points."""
    low, high = DEFAULT_CURVE_SHARES
    return float(round(budget * low)), float(round(budget * high)), DEFAULT_CURVE_POINTS


def budget_range(
    start: float | None, stop: float | None, points: int | None
) -> tuple[list[float], list[Problem]]:
    """``points`` budgets evenly spaced from ``start`` to ``stop``, in whole yuan.

    Returns the budgets (ascending, no duplicates) and the problems with the
    three values; when there are problems the list of budgets is empty.
    """
    problems: list[Problem] = []
    where, low, high = t("range.name"), t("range.from"), t("range.to")
    for label, value in ((low, start), (high, stop)):
        if value is None or not math.isfinite(value) or value <= 0:
            problems.append(Problem(
                t("range.positive"), file=where, column=label, fix=t("range.positive_fix"),
            ))
    if points is None or not 1 <= points <= MAX_CURVE_POINTS:
        problems.append(Problem(
            t("range.points_count", max=MAX_CURVE_POINTS), file=where,
            column=t("range.points"), fix=t("range.points_fix"),
        ))
    if problems or start is None or stop is None or points is None:
        return [], problems
    if stop < start:
        return [], [Problem(
            t("range.reversed", to=high, from_=low, stop=f"{stop:,.0f}", start=f"{start:,.0f}"),
            file=where, column=high, fix=t("range.reversed_fix", to=high),
        )]
    if points == 1 or stop == start:
        return [float(round(start))], []
    step = (stop - start) / (points - 1)
    budgets = sorted({float(round(start + i * step)) for i in range(points)})
    return [b for b in budgets if b > 0], []


CURVE_TABLE_COLUMNS: Final[tuple[str, ...]] = (
    "budget", "total_spend", "expected_gmv", "roi", "marginal_roi", "status", "gap", "unspent",
    "binding",
)


def _one_line(text: object) -> str:
    """Lines of text as sentences on one line: 'A. B.' from 'A\nB' ('甲。乙。' from
    '甲。\n乙。': a sentence that ends in either full stop gets no second one)."""
    if not isinstance(text, str):
        return ""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return " ".join(line if line.endswith((".", "。")) else f"{line}." for line in lines)


def curve_table(curve: pd.DataFrame) -> pd.DataFrame:
    """``planner.sweep.budget_curve`` for a table: figures first, the limits as one sentence each.

    Columns: ``CURVE_TABLE_COLUMNS`` (budget, total_spend, expected_gmv, roi,
    marginal_roi, status, gap, unspent, binding).
    """
    table = curve.loc[:, list(CURVE_TABLE_COLUMNS)].copy()
    table["binding"] = [_one_line(text) for text in table["binding"]]
    return table.reset_index(drop=True)


def target_metrics(result: TargetResult) -> list[Metric]:
    """The target mode's answer as figures: the budget, and the plan made at it.

    When the target is out of reach the figures are those of the closest plan
    tried, and the budget says so; with no plan at all the list is empty.
    """
    plan = result.plan
    if plan is None:
        return []
    at = t("target.at" if result.reached else "target.closest", budget=yuan(plan.budget))
    return [
        Metric(
            t("target.budget"),
            yuan(result.budget) if result.budget is not None else t("target.out_of_reach"),
            t("target.answer_help") if result.reached else t("target.no_budget_help"),
        ),
        Metric(t("metric.expected_gmv"), yuan(plan.expected_gmv), at),
        Metric(t("metric.spend"), yuan(plan.total_spend), at),
        Metric(
            t("metric.expected_roi"),
            f"{plan.expected_roi:.2f}" if plan.total_spend else "-",
            t("target.roi_help", at=at, floor=f"{plan.roi_floor:.2f}"),
        ),
    ]
