"""The mutation runner of ``make mutate`` (benchmarks/mutation.py): what it mutates, and
that a mutant it swaps in is what the planner then runs."""

from __future__ import annotations

import pytest

from benchmarks.mutation import (
    EQUIVALENT,
    TARGETS,
    Coverage,
    make_mutants,
    mutants_of,
    naming_files,
    report,
    swap_in,
)
from factories import make_campaign, make_video
from planner.rules import roi_floor_rule
from planner.scoring import score_video

SOURCE = '''
LIMIT = 3  # module level: never mutated


def rule(x, y, flag=True):
    """A docstring."""
    if x < y and y > 0 and not flag:
        return reason("code", f"x {x + 1} is below", figure=x * 2)
    total = 0
    total += x
    return total


def words(x):
    return t("key", amount=x - 1)
'''


def _keys(source: str) -> list[str]:
    return [m.key for m in mutants_of(source, "planner/example.py")]


def test_only_decision_logic_is_mutated_never_wording_defaults_or_module_constants() -> None:
    assert sorted(_keys(SOURCE)) == sorted([
        "rule: x < y and y > 0 and (not flag) -> x < y or (y > 0 and (not flag))",
        "rule: x < y and y > 0 and (not flag) -> x < y and y > 0 or not flag",
        "rule: total += x -> total = x",
        "rule: x < y -> x <= y",
        "rule: y > 0 -> y >= 0",
        "rule: not flag -> flag",
        "rule: total = 0 -> total = 1",
        "rule: y > 0 -> y > 1",
    ])


@pytest.mark.slow
def test_a_mutant_swapped_in_is_what_every_importer_runs_until_swapped_back() -> None:
    scores = score_video(make_video(), make_campaign())  # traffic ROI 2.00
    mutant = next(m for m in make_mutants("planner/rules.py")
                  if m.key == "roi_floor_rule: scores.traffic_roi >= floor -> "
                             "scores.traffic_roi > floor")
    original = roi_floor_rule.__code__
    assert roi_floor_rule(scores, 2.0).allowed  # at the floor: allowed
    try:
        swap_in(mutant)
        assert not roi_floor_rule(scores, 2.0).allowed  # the name imported here runs it
    finally:
        roi_floor_rule.__code__ = original
    assert roi_floor_rule(scores, 2.0).allowed


def test_every_test_that_runs_a_line_judges_its_mutants_fastest_first() -> None:
    coverage = Coverage(
        lines={"planner/rules.py:53": {"tests/test_b.py::slow", "tests/test_a.py::quick",
                                       "tests/test_c.py::middle"}},
        seconds={"tests/test_b.py::slow": 9.0, "tests/test_a.py::quick": 0.1,
                 "tests/test_c.py::middle": 1.0},
        failed=[])
    assert coverage.tests_of("planner/rules.py", 53) == [
        "tests/test_a.py::quick", "tests/test_c.py::middle", "tests/test_b.py::slow"]
    assert coverage.tests_of("planner/rules.py", 54) == []


def test_the_scoring_learning_response_and_optimiser_model_are_mutated_too() -> None:
    assert {"planner/rules.py", "planner/scoring.py", "planner/learning.py",
            "planner/checks.py", "planner/response.py",
            "planner/optimiser/model.py"} <= set(TARGETS)
    assert any(m.key == "kol_tier: followers < tiers.koc_max -> followers <= tiers.koc_max"
               for m in make_mutants("planner/scoring.py"))


def test_a_test_file_importing_a_module_of_a_subpackage_names_it() -> None:
    # tests/test_optimiser.py: ``from planner.optimiser import model as optimiser_model``;
    # its slow tests judge the optimiser model's mutants
    assert "tests/test_optimiser.py" in naming_files()


@pytest.mark.slow
def test_every_mutant_judged_equivalent_is_still_one_the_runner_makes() -> None:
    # a key that no longer matches (the code moved on) would leave its reason standing
    # for a mutant that no longer exists
    keys = {m.key for module in TARGETS for m in make_mutants(module)}
    assert sorted(set(EQUIVALENT) - keys) == []


def test_a_mutant_judged_equivalent_that_passed_the_time_limit_is_equivalent_not_undecided():
    # learn: spend <= 0 -> spend < 0 is judged equivalent; its tests were stopped unfinished
    outcome = {"line": 173, "function": "learn", "before": "spend <= 0", "after": "spend < 0",
               "status": "timeout", "tests": 91, "seconds": 300.0, "killer": ""}
    text = report({"planner/learning.py": {"date": "2026-12-07", "minutes": 5.0, "mutants": 1,
                                           "outcomes": [outcome]}})
    # tested 1, killed 0, survived 0, no test runs it 0, equivalent 1, undecided 0
    assert "| 1 | 0 | 0 | 0 | 1 | 0 | 100.0% |" in text
    assert "Undecided" not in text
