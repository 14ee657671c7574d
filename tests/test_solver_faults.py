"""Solver faults: time limits, a crashing or missing backend, and no backend at all.

A plan cut short by ``solver.time_limit_s`` must say ``feasible`` (never
``optimal``) and report a real gap against a valid bound. A backend that
crashes, answers nonsense or is not installed must not end the plan: the
other backend takes over and the plan's ``solver`` field names it. When both
fail, the buyer gets a ``SolverError`` and exit code 4, without a traceback.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import highspy
import pulp
import pytest
from typer.testing import CliRunner

from planner.cli import app
from planner.config import Campaign
from planner.errors import SolverError
from planner.io.campaign_file import read_campaign
from planner.models import Plan, Video
from planner.optimiser import backends
from planner.planning import make_plan
from planner.synthetic import generate_roster

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_data"
PLAN_DATE = date(2027, 4, 20)


@pytest.fixture(scope="module")
def campaign() -> Campaign:
    # The sample 618 campaign without its commitment, so any generated roster fits.
    return read_campaign(SAMPLE / "campaign_tmall.toml").model_copy(update={"commitments": ()})


@pytest.fixture(scope="module")
def small_roster() -> list[Video]:
    return generate_roster(30, seed=5, plan_date=PLAN_DATE)


@pytest.fixture(scope="module")
def reference(small_roster: list[Video], campaign: Campaign) -> Plan:
    plan = make_plan(small_roster, campaign)
    assert plan.solver == "highs" and plan.status == "optimal"
    return plan


def _with_solver(campaign: Campaign, **changes: Any) -> Campaign:
    return campaign.model_copy(update={"solver": campaign.solver.model_copy(update=changes)})


def _raising(exc: BaseException) -> Callable[..., int]:
    def actual_solve(self: pulp.LpSolver, lp: pulp.LpProblem, callback: Any = None) -> int:
        raise exc

    return actual_solve


def _break_highs(monkeypatch: pytest.MonkeyPatch, exc: BaseException | None) -> None:
    """Make the HiGHS library fail when it runs: raise ``exc``, or (None) return having
    solved nothing, as after a licence or memory failure."""

    def run(self: Any) -> Any:
        if exc is not None:
            raise exc
        return highspy.HighsStatus.kError

    monkeypatch.setattr(highspy.Highs, "run", run)


@pytest.fixture
def fresh_banner() -> Iterator[None]:
    """The HiGHS banner silencer runs once per process; let a test see it run again."""
    backends._silence_highs_banner.cache_clear()
    yield
    backends._silence_highs_banner.cache_clear()


def _assert_orders_are_valid(plan: Plan, campaign: Campaign) -> None:
    assert plan.total_spend <= plan.budget + 1e-6
    for order in plan.orders:
        if not order.fixed:
            assert order.budget >= campaign.tools[order.tool].min_order - 1e-6, order


# ---------------------------------------------------------------- (a) time limit


@pytest.fixture(scope="module")
def full_and_cut(campaign: Campaign) -> tuple[Plan, Plan]:
    """One 200-video roster planned without and with a 0.01 s time limit."""
    roster = generate_roster(200, seed=3, plan_date=PLAN_DATE)
    full = make_plan(roster, campaign)
    cut = make_plan(roster, _with_solver(campaign, time_limit_s=0.01))
    return full, cut


def test_a_tiny_time_limit_gives_a_feasible_plan_with_a_gap(
    full_and_cut: tuple[Plan, Plan], campaign: Campaign,
) -> None:
    full, cut = full_and_cut
    assert full.status == "optimal"
    assert cut.status == "feasible"  # not proven: it must not say optimal
    assert cut.gap > 0
    assert cut.bound_gmv > cut.expected_gmv
    assert cut.expected_gmv <= full.bound_gmv  # the cut plan is no better than possible
    _assert_orders_are_valid(cut, campaign)


def test_the_bound_of_a_time_limited_plan_is_a_real_bound(
    full_and_cut: tuple[Plan, Plan],
) -> None:
    full, cut = full_and_cut
    assert cut.bound_gmv >= full.expected_gmv  # no plan may beat a bound
    assert cut.gap >= (full.expected_gmv - cut.expected_gmv) / full.expected_gmv


def test_highs_stopping_on_its_time_limit_without_a_bound_is_never_called_optimal(
    small_roster: list[Video], campaign: Campaign, reference: Plan,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """PuLP reports 'Optimal' after a time limit; only HiGHS's own verdict, or a bound that
    closes the gap, may count. Here every solve stops early with no dual bound."""
    monkeypatch.setattr(
        highspy.Highs, "getModelStatus", lambda self: highspy.HighsModelStatus.kTimeLimit
    )
    info = highspy.Highs.getInfo

    def without_bound(self: highspy.Highs) -> Any:
        found = info(self)
        found.mip_dual_bound = -float("inf")  # stopped before branch and bound proved any
        return found

    monkeypatch.setattr(highspy.Highs, "getInfo", without_bound)
    plan = make_plan(small_roster, campaign)
    assert plan.solver == "highs"
    assert plan.status == "feasible"
    assert plan.bound_gmv >= plan.expected_gmv
    assert plan.expected_gmv == pytest.approx(reference.expected_gmv, rel=1e-3)
    _assert_orders_are_valid(plan, campaign)


# ---------------------------------------------------------------- (b) a failing backend


FAULTS = {
    "pulp-solver-error": pulp.PulpSolverError("HiGHS: Not Available"),
    "runtime-error": RuntimeError("HiGHS crashed"),
    "os-error": OSError(12, "Cannot allocate memory"),
    "not-solved": None,
}


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_a_failing_highs_falls_back_to_cbc(
    fault: str, small_roster: list[Video], campaign: Campaign, reference: Plan,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _break_highs(monkeypatch, FAULTS[fault])
    plan = make_plan(small_roster, campaign)
    assert plan.solver == "cbc"
    assert plan.status == "optimal"
    assert plan.expected_gmv == pytest.approx(reference.expected_gmv, rel=1e-3)
    _assert_orders_are_valid(plan, campaign)


def test_a_failing_cbc_falls_back_to_highs(
    small_roster: list[Video], campaign: Campaign, reference: Plan,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(pulp.PULP_CBC_CMD, "actualSolve", _raising(
        pulp.PulpSolverError("Pulp: Error while executing cbc")
    ))
    plan = make_plan(small_roster, _with_solver(campaign, backend="cbc"))
    assert plan.solver == "highs"
    assert plan.expected_gmv == pytest.approx(reference.expected_gmv, rel=1e-3)


@pytest.mark.parametrize("exc", [IndexError("list index out of range"), ValueError("bad")],
                         ids=["index-error", "value-error"])
def test_any_highs_crash_falls_back_to_cbc(
    exc: Exception, small_roster: list[Video], campaign: Campaign,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _break_highs(monkeypatch, exc)
    assert make_plan(small_roster, campaign).solver == "cbc"


def test_missing_highspy_falls_back_to_cbc(
    small_roster: list[Video], campaign: Campaign, fresh_banner: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "highspy", None)  # "import highspy" now fails
    _break_highs(monkeypatch, pulp.PulpSolverError("HiGHS: Not Available"))
    assert make_plan(small_roster, campaign).solver == "cbc"


def test_the_fallback_is_announced_in_the_plan(
    small_roster: list[Video], campaign: Campaign, monkeypatch: pytest.MonkeyPatch,
) -> None:
    _break_highs(monkeypatch, RuntimeError("HiGHS crashed"))
    plan = make_plan(small_roster, campaign)
    notes = " ".join(plan.assumptions + plan.binding).lower()
    assert "highs" in notes and "cbc" in notes
    assert plan.assumptions[0].startswith("求解器：")
    assert plan.assumptions[0].endswith("本计划改用 cbc 求解。")
    assert plan.assumption_lines[0].code == "solver_fallback"


# ---------------------------------------------------------------- no backend at all


def _break_both(monkeypatch: pytest.MonkeyPatch) -> None:
    _break_highs(monkeypatch, RuntimeError("HiGHS crashed"))
    monkeypatch.setattr(pulp.PULP_CBC_CMD, "actualSolve", _raising(
        pulp.PulpSolverError("Pulp: cannot execute cbc")
    ))


def test_no_working_backend_is_a_solver_error(
    small_roster: list[Video], campaign: Campaign, monkeypatch: pytest.MonkeyPatch, english: None,
) -> None:
    _break_both(monkeypatch)
    with pytest.raises(SolverError, match="no solver backend could solve the plan") as caught:
        make_plan(small_roster, campaign)
    assert "cbc" in str(caught.value)
    assert caught.value.exit_code == 4


def test_cli_exits_4_with_a_clear_message_when_no_solver_works(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, english: None,
) -> None:
    _break_both(monkeypatch)
    out = tmp_path / "out"
    result = CliRunner().invoke(app, [
        "plan", "--campaign", str(SAMPLE / "campaign_tmall.toml"),
        "--videos", str(SAMPLE / "videos.csv"), "--out", str(out),
    ])
    assert result.exit_code == 4, result.output
    assert result.output.lstrip().startswith("SolverError: no solver backend could solve")
    assert "Traceback" not in result.output
    assert not out.exists()
