"""Solver faults: time limits, a crashing or missing backend, and no backend at all.

A plan cut short by ``solver.time_limit_s`` must say ``feasible`` (never
``optimal``) and report a real gap against a valid bound. A backend that
crashes, answers nonsense or is not installed must not end the plan: the
other backend takes over and the plan's ``solver`` field names it. When both
fail, the buyer gets a ``SolverError`` and exit code 4, without a traceback.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import highspy
import pulp
import pytest
from typer.testing import CliRunner

from planner.cli import app
from planner.config import Campaign, SolverConfig
from planner.errors import SolverError
from planner.io.campaign_file import read_campaign
from planner.jobs.plan import overrun_warnings
from planner.models import Plan, Video
from planner.optimiser import backends, strategy
from planner.planning import make_plan
from planner.synthetic import generate_roster
from planner.tools import Tool

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_data"
PLAN_DATE = date(2027, 4, 20)


@pytest.fixture(scope="module")
def campaign() -> Campaign:
    # The sample 618 campaign without its commitment, so any generated roster fits, and
    # without KOL bidding: its volume from day one lets the first LP settle these small
    # rosters at once, and these tests need a search that takes more than one call.
    sample = read_campaign(SAMPLE / "campaign_tmall.toml")
    tools = {**sample.tools, Tool.KOL_BIDDING: sample.tools[Tool.KOL_BIDDING].model_copy(
        update={"enabled": False})}
    return sample.model_copy(update={"commitments": (), "tools": tools})


def _planned_for_expected_gmv(campaign: Campaign) -> Campaign:
    """Then bound_gmv bounds every plan's expected GMV; a risk attitude's bound is its own
    objective's, so only plans for expected GMV compare bounds with expected GMV."""
    return campaign.model_copy(update={
        "risk": campaign.risk.model_copy(update={"objective": "expected"})})


@pytest.fixture(scope="module")
def small_roster() -> list[Video]:
    return generate_roster(30, seed=5, plan_date=PLAN_DATE)


@pytest.fixture(scope="module")
def reference(small_roster: list[Video], campaign: Campaign) -> Plan:
    plan = make_plan(small_roster, campaign)
    assert plan.solver == "highs" and plan.status == "optimal"
    return plan


@pytest.fixture(scope="module")
def fallback_roster() -> list[Video]:
    """Ten videos for the tests where CBC plans instead of HiGHS: the fallback runs the
    same path on any roster, and CBC takes a tenth of its time on the 30 videos above."""
    return generate_roster(10, seed=5, plan_date=PLAN_DATE)


@pytest.fixture(scope="module")
def fallback_reference(fallback_roster: list[Video], campaign: Campaign) -> Plan:
    plan = make_plan(fallback_roster, campaign)
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
    expected = _planned_for_expected_gmv(campaign)
    full = make_plan(roster, expected)
    cut = make_plan(roster, _with_solver(expected, time_limit_s=0.01))
    return full, cut


@pytest.mark.slow
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


@pytest.mark.slow
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


class _Clock:
    """strategy's clock: real time, until ``jump`` sends it far past any time limit, so a
    test reaches "the limit came here" without timing anything."""

    def __init__(self) -> None:
        self.offset = 0.0

    def perf_counter(self) -> float:
        return time.perf_counter() + self.offset

    def jump(self) -> None:
        self.offset = 1e6


def _limit_after_first_call(monkeypatch: pytest.MonkeyPatch,
                            solve: Callable[..., Any] | None = None) -> list[str]:
    """solver.time_limit_s runs out as soon as the first solver call returns (or fails);
    returns the backends called, in order. ``solve`` stands in for the real backends."""
    clock = _Clock()
    calls: list[str] = []
    real = solve or strategy.solve_once

    def solve_once(model: Any, backend: str, settings: SolverConfig, time_left: float,
                   **options: Any) -> Any:
        calls.append(backend)
        try:
            return real(model, backend, settings, time_left, **options)
        finally:
            clock.jump()

    monkeypatch.setattr(strategy, "time", clock)
    monkeypatch.setattr(strategy, "solve_once", solve_once)
    return calls


def _limit_note(plan: Plan) -> bool:
    return any(line.code == "time_limit" for line in plan.assumption_lines)


def test_a_limit_hit_after_the_first_lp_returns_the_rounded_relaxation_as_feasible(
    small_roster: list[Video], campaign: Campaign, reference: Plan,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The deadline comes right after the first LP: its answer, rounded to whole orders, is
    the plan; no further solver call starts, and the plan says it was cut short."""
    calls = _limit_after_first_call(monkeypatch)
    plan = make_plan(small_roster, campaign)
    assert calls == ["highs"]
    assert plan.status == "feasible" and _limit_note(plan)
    assert plan.gap > 0 and plan.bound_gmv > plan.expected_gmv  # it admits what it lacks
    assert 0 < plan.expected_gmv
    _assert_orders_are_valid(plan, campaign)


def test_the_warning_of_a_cut_plan_gives_its_gap_and_the_fix(
    small_roster: list[Video], campaign: Campaign, english: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _limit_after_first_call(monkeypatch)
    plan = make_plan(small_roster, campaign)
    [stopped] = [w for w in overrun_warnings(plan, campaign) if "stopped" in w]
    assert "before it could prove a plan optimal" in stopped
    assert f"up to {plan.gap:.3%} below the best possible" in stopped
    assert "Fix: raise time_limit_s under [solver]" in stopped


def test_a_plan_over_its_limit_says_what_took_the_time(
    reference: Plan, campaign: Campaign, english: None,
) -> None:
    """Like 100,000 videos 'solved in 78 s' against 60 s: the stages no limit interrupts."""
    late = reference.model_copy(update={"solve_seconds": 78.0, "timings": {
        "rules": 4.0, "response": 20.0, "build": 30.0, "solve": 24.0, "layout": 5.0}})
    [overran] = overrun_warnings(late, campaign)  # optimal: no "stopped" warning
    assert "the plan took 78.00 s, more than solver.time_limit_s = 60 s" in overran
    assert "the rules and the model of returns took 24.00 s" in overran
    assert "building the models 30.00 s; the solver itself 24.00 s" in overran
    assert "Raise solver.time_limit_s" in overran
    assert overrun_warnings(reference, campaign) == []


def test_without_a_rounded_answer_the_first_discrete_answer_past_the_limit_is_the_plan(
    small_roster: list[Video], campaign: Campaign, reference: Plan,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """No answer yet when the limit comes: one more call may pass the limit to find one
    (FIRST_PLAN_SECONDS), and that answer stands, unproven."""
    calls = _limit_after_first_call(monkeypatch)
    monkeypatch.setattr(strategy, "_rounded", lambda relaxation: None)
    plan = make_plan(small_roster, campaign)
    # The sifting LP, the discrete model's relaxation (it may settle every choice) and,
    # when it does not, one branch and bound: no call after the first answer.
    assert calls == ["highs"] * len(calls) and 2 <= len(calls) <= 3
    assert plan.status == "feasible" and _limit_note(plan) and plan.gap > 0
    assert plan.bound_gmv > plan.expected_gmv
    _assert_orders_are_valid(plan, campaign)


def test_nothing_feasible_in_time_is_the_error_with_the_fix_and_no_slower_fallback(
    small_roster: list[Video], campaign: Campaign, monkeypatch: pytest.MonkeyPatch,
    english: None,
) -> None:
    def out_of_time(model: Any, backend: str, campaign: Campaign, time_left: float,
                    **options: Any) -> Any:
        raise backends.OutOfTime(f"{backend} returned status Time limit reached")

    calls = _limit_after_first_call(monkeypatch, out_of_time)
    with pytest.raises(SolverError) as caught:
        make_plan(small_roster, campaign)
    assert calls == ["highs"]  # CBC through PuLP would only take longer
    assert "No feasible plan was found within solver.time_limit_s = 60 s" in str(caught.value)
    assert "Fix: raise time_limit_s" in str(caught.value)
    assert caught.value.exit_code == 4


def test_a_highs_point_that_breaks_rows_is_never_used(
    fallback_roster: list[Video], campaign: Campaign, fallback_reference: Plan,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A dual simplex stopped by its time limit holds a point that breaks rows: HiGHS is
    then out of time, not answered, and (with time left) CBC plans instead."""
    monkeypatch.setattr(
        highspy.Highs, "getModelStatus", lambda self: highspy.HighsModelStatus.kTimeLimit
    )
    info = highspy.Highs.getInfo

    def infeasible_point(self: highspy.Highs) -> Any:
        found = info(self)
        found.primal_solution_status = highspy.SolutionStatus.kSolutionStatusInfeasible
        return found

    monkeypatch.setattr(highspy.Highs, "getInfo", infeasible_point)
    plan = make_plan(fallback_roster, campaign)
    assert plan.solver == "cbc"
    assert plan.expected_gmv == pytest.approx(fallback_reference.expected_gmv, rel=1e-3)
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
    fault: str, fallback_roster: list[Video], campaign: Campaign, fallback_reference: Plan,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _break_highs(monkeypatch, FAULTS[fault])
    plan = make_plan(fallback_roster, campaign)
    assert plan.solver == "cbc"
    assert plan.status == "optimal"
    assert plan.expected_gmv == pytest.approx(fallback_reference.expected_gmv, rel=1e-3)
    _assert_orders_are_valid(plan, campaign)


def test_a_failing_cbc_falls_back_to_highs(
    fallback_roster: list[Video], campaign: Campaign, fallback_reference: Plan,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(pulp.PULP_CBC_CMD, "actualSolve", _raising(
        pulp.PulpSolverError("Pulp: Error while executing cbc")
    ))
    plan = make_plan(fallback_roster, _with_solver(campaign, backend="cbc"))
    assert plan.solver == "highs"
    assert plan.expected_gmv == pytest.approx(fallback_reference.expected_gmv, rel=1e-3)


@pytest.mark.parametrize("exc", [IndexError("list index out of range"), ValueError("bad")],
                         ids=["index-error", "value-error"])
def test_any_highs_crash_falls_back_to_cbc(
    exc: Exception, fallback_roster: list[Video], campaign: Campaign,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _break_highs(monkeypatch, exc)
    assert make_plan(fallback_roster, campaign).solver == "cbc"


def test_missing_highspy_falls_back_to_cbc(
    fallback_roster: list[Video], campaign: Campaign, fresh_banner: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "highspy", None)  # "import highspy" now fails
    _break_highs(monkeypatch, pulp.PulpSolverError("HiGHS: Not Available"))
    assert make_plan(fallback_roster, campaign).solver == "cbc"


def test_the_fallback_is_announced_in_the_plan(
    fallback_roster: list[Video], campaign: Campaign, monkeypatch: pytest.MonkeyPatch,
) -> None:
    _break_highs(monkeypatch, RuntimeError("HiGHS crashed"))
    plan = make_plan(fallback_roster, campaign)
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
    fallback_roster: list[Video], campaign: Campaign, monkeypatch: pytest.MonkeyPatch,
    english: None,
) -> None:
    _break_both(monkeypatch)
    with pytest.raises(SolverError, match="no solver backend could solve the plan") as caught:
        make_plan(fallback_roster, campaign)
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
