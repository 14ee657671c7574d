"""What-if on the budget: budget curves, target budgets and the value of the next yuan.

Every answer here re-plans the same campaign with another budget through one
``Planner`` (the rules and the response model do not depend on the budget, so
they are built once and each budget only re-solves). A larger budget
only relaxes the model (every plan feasible at budget b is feasible at b' > b),
so the optimal expected GMV never falls as the budget grows; that makes the
curve monotone and lets the target mode bisect it. What the planner reports is
the optimum after rounding every order down to whole yuan and its order step,
so two budgets that both leave the budget unspent can differ by a few yuan of
GMV either way; the target mode treats such differences as noise.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from planner.config import Campaign
from planner.errors import InfeasibleError, InputError, Problem, SolverError
from planner.i18n import current_lang, t
from planner.models import Plan, Video
from planner.planning import Planner

if TYPE_CHECKING:  # the curve is a frame; the plan's next 10,000 yuan needs no pandas
    import pandas as pd

__all__ = [
    "CURVE_COLUMNS",
    "TargetResult",
    "budget_curve",
    "curve_lines",
    "marginal_value",
    "min_budget_for",
]

CURVE_COLUMNS: Final[tuple[str, ...]] = (
    "budget", "total_spend", "unspent", "expected_gmv", "roi", "marginal_roi", "status", "gap",
    "binding",
)
# Doubling the budget this many times from the campaign's (x 2^30) is far past
# any saturation; the cap only stops a runaway search on a broken model.
_MAX_DOUBLINGS: Final = 30
# Below this share of the step, extra spend or GMV is rounding noise, not value.
_NOISE_SHARE: Final = 0.01



class _Plans:
    """Plans by budget, memoised; None where the campaign is infeasible at that budget."""

    def __init__(self, videos: Sequence[Video], campaign: Campaign) -> None:
        self._planner = Planner(videos, campaign)
        self._cache: dict[float, Plan | None] = {}
        self.infeasible: dict[float, str] = {}

    def __call__(self, budget: float) -> Plan | None:
        if budget not in self._cache:
            try:
                self._cache[budget] = self._planner.plan(budget)
            except InfeasibleError as exc:
                # Too small for the commitments or the balance rules: no plan at
                # this budget, but a larger one may work.
                self._cache[budget] = None
                self.infeasible[budget] = "\n".join(exc.conflicts) or str(exc)
        return self._cache[budget]

    @property
    def solves(self) -> int:
        return len(self._cache)


def _check_budgets(budgets: Sequence[float]) -> list[float]:
    bad = [b for b in budgets if not (isinstance(b, int | float) and math.isfinite(b) and b > 0)]
    if bad or not budgets:
        raise InputError(Problem(
            t("error.sweep.budgets", got=t("list.sep").join(map(str, bad)) or t("error.none")),
            column="budgets", fix=t("error.sweep.budgets_fix"),
        ))
    return sorted({float(b) for b in budgets})


def budget_curve(
    videos: Sequence[Video], campaign: Campaign, budgets: Sequence[float]
) -> pd.DataFrame:
    """Plan the campaign at each budget (sorted, duplicates dropped), one row each.

    Columns: budget, total_spend, unspent, expected_gmv, roi (expected GMV /
    spend), marginal_roi (extra GMV / extra spend against the previous row;
    blank for the first row and where the spend did not grow), status
    (``optimal``, ``feasible``, ``no_spend`` or ``infeasible``), gap and the
    binding limits. An infeasible budget leaves its figures blank.
    """
    plan_at = _Plans(videos, campaign)
    rows: list[dict[str, object]] = []
    previous: Plan | None = None
    for budget in _check_budgets(budgets):
        plan = plan_at(budget)
        if plan is None:
            rows.append({"budget": budget, "status": "infeasible",
                         "binding": plan_at.infeasible[budget]})
            continue
        marginal = math.nan
        if previous is not None:
            extra_spend = plan.total_spend - previous.total_spend
            # Past saturation the spend moves only by rounding; a ratio of two
            # rounding differences would read as a (possibly negative) real ROI.
            if extra_spend >= max(1.0, _NOISE_SHARE * (budget - previous.budget)):
                marginal = (plan.expected_gmv - previous.expected_gmv) / extra_spend
        rows.append({
            "budget": budget,
            "total_spend": plan.total_spend,
            "unspent": plan.unspent,
            "expected_gmv": plan.expected_gmv,
            "roi": plan.expected_roi if plan.total_spend else math.nan,
            "marginal_roi": marginal,
            "status": plan.status,
            "gap": plan.gap,
            "binding": "\n".join(plan.binding),
        })
        previous = plan
    import pandas as pd

    return pd.DataFrame(rows, columns=list(CURVE_COLUMNS))


@dataclass(frozen=True)
class TargetResult:
    """The target mode's answer.

    ``budget`` is the minimum budget reaching the GMV target, or the largest
    budget keeping the ROI at or above the minimum (None if unreachable);
    ``plan`` is the plan at that budget (or the closest one tried); ``message``
    says it in words; ``solves`` counts the plans made.
    """

    reached: bool
    budget: float | None
    plan: Plan | None
    message: str
    solves: int


def _saturated(plan: Plan, tolerance: float) -> bool:
    """More budget buys nothing: a real share of it stays unspent, and not because a
    share-of-budget cap holds it back (a larger budget raises those caps)."""
    capped = any(line.code in SHARE_CAPS for line in plan.binding_lines)
    return not capped and plan.unspent > max(tolerance, _NOISE_SHARE * plan.budget)


# Binding lines of the [risk] share caps: limits that grow with the budget.
SHARE_CAPS = frozenset({"video_share", "kol_share"})


def min_budget_for(
    videos: Sequence[Video],
    campaign: Campaign,
    *,
    gmv_target: float | None = None,
    min_roi: float | None = None,
    tolerance: float = 1_000.0,
) -> TargetResult:
    """Bisect the budget curve for one target (give exactly one).

    ``gmv_target``: the smallest budget whose plan expects at least this GMV.
    ``min_roi``: the largest budget whose plan keeps expected GMV / spend at
    or above it (overall ROI falls as the budget grows, because the best
    segments are bought first). The answer is within ``tolerance`` yuan; the
    search starts at the campaign's budget and doubles or halves to bracket
    the answer first, so it costs about log2(range / tolerance) plans.
    """
    if (gmv_target is None) == (min_roi is None):
        raise InputError(Problem(
            t("error.sweep.one_target"), fix=t("error.sweep.one_target_fix"),
        ))
    if not (math.isfinite(tolerance) and tolerance > 0):
        raise InputError(Problem(t("error.sweep.tolerance")))
    plan_at = _Plans(videos, campaign)
    if gmv_target is not None:
        if not (math.isfinite(gmv_target) and gmv_target > 0):
            raise InputError(Problem(t("error.sweep.gmv_target")))
        return _min_budget_for_gmv(plan_at, campaign, gmv_target, tolerance)
    assert min_roi is not None
    if not (math.isfinite(min_roi) and min_roi > 0):
        raise InputError(Problem(t("error.sweep.min_roi")))
    return _max_budget_for_roi(plan_at, campaign, min_roi, tolerance)


def _narrow(
    lo: float, hi: float, boundary_below: Callable[[float], bool], tolerance: float
) -> tuple[float, float]:
    """Bisect [lo, hi] to ``tolerance`` around the budget where the answer changes.

    ``boundary_below(mid)`` says whether that budget lies at or below ``mid``.
    """
    while hi - lo > tolerance:
        mid = (lo + hi) / 2
        if boundary_below(mid):
            hi = mid
        else:
            lo = mid
    return lo, hi


def _min_budget_for_gmv(
    plan_at: _Plans, campaign: Campaign, target: float, tolerance: float
) -> TargetResult:
    def reaches(plan: Plan | None) -> bool:
        return plan is not None and plan.expected_gmv >= target

    hi = campaign.budget
    plan = plan_at(hi)
    doublings = 0
    while not reaches(plan):
        if plan is not None and _saturated(plan, tolerance):
            return TargetResult(
                False, None, plan,
                t("sweep.gmv_out_of_reach", target=f"{target:,.0f}",
                  gmv=f"{plan.expected_gmv:,.0f}", spend=f"{plan.total_spend:,.0f}"),
                plan_at.solves,
            )
        if doublings == _MAX_DOUBLINGS:
            return TargetResult(False, None, plan, t("sweep.gmv_not_reached",
                                                     target=f"{target:,.0f}",
                                                     budget=f"{hi:,.0f}"), plan_at.solves)
        hi *= 2
        doublings += 1
        plan = plan_at(hi)
    # Halving first keeps the bisection short when the target lies far below the budget.
    while hi / 2 > tolerance and reaches(plan_at(hi / 2)):
        hi /= 2
    lo = hi / 2 if hi / 2 > tolerance else 0.0
    lo, hi = _narrow(lo, hi, lambda mid: reaches(plan_at(mid)), tolerance)
    best = plan_at(hi)
    assert best is not None
    below = t("sweep.gmv_below", budget=f"{lo:,.0f}") if lo > 0 else ""
    return TargetResult(
        True, hi, best,
        t("sweep.gmv_reached", budget=f"{hi:,.0f}", target=f"{target:,.0f}",
          gmv=f"{best.expected_gmv:,.0f}", spend=f"{best.total_spend:,.0f}",
          roi=f"{best.expected_roi:.2f}", below=below),
        plan_at.solves,
    )


def _max_budget_for_roi(
    plan_at: _Plans, campaign: Campaign, min_roi: float, tolerance: float
) -> TargetResult:
    def keeps(plan: Plan | None) -> bool:
        return plan is not None and plan.total_spend > 0 and plan.expected_roi >= min_roi

    lo = hi = campaign.budget
    plan = plan_at(lo)
    best_seen = plan
    if keeps(plan):
        # Double until the ROI falls below the minimum (or the budget stops binding).
        doublings = 0
        while keeps(plan):
            assert plan is not None
            if _saturated(plan, tolerance) or doublings == _MAX_DOUBLINGS:
                return TargetResult(
                    True, plan.total_spend, plan,
                    t("sweep.roi_always", roi=f"{plan.expected_roi:.2f}", min_roi=f"{min_roi:g}",
                      spend=f"{plan.total_spend:,.0f}"),
                    plan_at.solves,
                )
            lo, hi = hi, hi * 2
            doublings += 1
            plan = plan_at(hi)
    else:
        # Halve until the ROI reaches the minimum.
        while not keeps(plan):
            if lo <= tolerance:
                if best_seen is None:
                    words = t("sweep.roi_no_plan")
                else:
                    words = t("sweep.roi_best_seen", roi=f"{best_seen.expected_roi:.2f}",
                              budget=f"{best_seen.budget:,.0f}")
                return TargetResult(False, None, best_seen,
                                    t("sweep.roi_out_of_reach", min_roi=f"{min_roi:g}",
                                      words=words), plan_at.solves)
            hi, lo = lo, lo / 2
            plan = plan_at(lo)
            if plan is not None and (best_seen is None
                                     or plan.expected_roi > best_seen.expected_roi):
                best_seen = plan
    lo, hi = _narrow(lo, hi, lambda mid: not keeps(plan_at(mid)), tolerance)
    best = plan_at(lo)
    assert best is not None
    return TargetResult(
        True, lo, best,
        t("sweep.roi_reached", budget=f"{lo:,.0f}", min_roi=f"{min_roi:g}",
          roi=f"{best.expected_roi:.2f}", gmv=f"{best.expected_gmv:,.0f}",
          spend=f"{best.total_spend:,.0f}", above=f"{hi:,.0f}"),
        plan_at.solves,
    )


def _sentences(lines: Sequence[str]) -> str:
    """Sentences run together: each ends with its full stop (。 between Chinese ones)."""
    if current_lang() == "zh":
        return "".join(line if line.endswith(("。", "...")) else f"{line}。" for line in lines)
    return " ".join(line if line.endswith((".", "...")) else f"{line}." for line in lines)


def marginal_value(
    planner: Planner,
    step: float = 10_000,
    *,
    base: Plan | None = None,
) -> list[str]:
    """What the next ``step`` yuan of budget would buy, in words.

    Re-plans with ``budget + step`` and compares with ``base`` (``planner``'s
    plan at its campaign budget, made here if not given): extra GMV and
    marginal ROI, and the limits that stop part of the step (the base plan's own
    limits are shown with the plan); if the budget does not bind, it says that more
    budget buys nothing.
    """
    if not (math.isfinite(step) and step > 0):
        raise InputError(Problem(t("error.sweep.step")))
    if base is None:
        base = planner.plan()
    try:
        more = planner.plan(planner.campaign.budget + step)
    except SolverError as exc:
        # The what-if is advice next to the plan; the plan itself stands.
        return [t("sweep.step_failed", step=f"{step:,.0f}", error=exc)]
    extra_spend = more.total_spend - base.total_spend
    extra_gmv = more.expected_gmv - base.expected_gmv
    noise = _NOISE_SHARE * step
    # The base plan's own limits are not repeated here: every front end shows them with
    # the plan (the terminal, 汇总, the What-if page), so each is said once.
    lines: list[str] = []
    if (extra_spend < noise or extra_gmv < noise) and (base.search_stopped
                                                       or more.search_stopped):
        # A search cut by the time limit says nothing about what more budget would buy.
        lines.append(t("sweep.step_search_stopped", step=f"{step:,.0f}",
                       unspent=f"{base.unspent:,.0f}",
                       limit=f"{planner.campaign.solver.time_limit_s:g}"))
    elif extra_spend < noise or extra_gmv < noise:
        lines.append(t("sweep.step_nothing", step=f"{step:,.0f}",
                       unspent=f"{base.unspent:,.0f}"))
    else:
        lines.append(t(
            "sweep.step_buys", step=f"{step:,.0f}", gmv=f"{extra_gmv:,.0f}",
            marginal=f"{extra_gmv / extra_spend:.2f}", roi=f"{base.expected_roi:.2f}",
            floor=f"{base.roi_floor:.2f}",
        ))
        if extra_spend < step - noise:
            lines.append(t("sweep.step_partial", spend=f"{extra_spend:,.0f}",
                           limits=_sentences(more.binding)))
    if "feasible" in (base.status, more.status):
        lines.append(t("sweep.not_proven", gap=f"{base.gap:.2%}", more_gap=f"{more.gap:.2%}"))
    return lines


def curve_lines(curve: pd.DataFrame) -> list[str]:
    """The budget curve as aligned text lines for a terminal ("-" for blanks)."""

    def cell(value: object, spec: str) -> str:
        if not isinstance(value, int | float) or math.isnan(value):
            return "-"
        return format(value, spec)

    table = [("budget", "spend", "expected GMV", "ROI", "marginal ROI", "status", "gap")]
    for row in curve.to_dict("records"):
        table.append((
            cell(row["budget"], ",.0f"), cell(row["total_spend"], ",.0f"),
            cell(row["expected_gmv"], ",.0f"), cell(row["roi"], ".2f"),
            cell(row["marginal_roi"], ".2f"), str(row["status"]), cell(row["gap"], ".2%"),
        ))
    widths = [max(len(r[i]) for r in table) for i in range(len(table[0]))]
    status = 5  # the one text column: left-aligned
    return [
        "  ".join(c.ljust(w) if i == status else c.rjust(w)
                  for i, (c, w) in enumerate(zip(r, widths, strict=True))).rstrip()
        for r in table
    ]
