"""Budget curves, the target mode against brute force, marginal value, and ``planner sweep``."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from typer.testing import CliRunner

from factories import COLD_HARVEST_TOOLS, make_campaign, make_video
from planner.cli import app
from planner.config import Campaign
from planner.errors import InputError
from planner.models import Plan, Video
from planner.planning import Planner, make_plan
from planner.sweep import CURVE_COLUMNS, budget_curve, marginal_value, min_budget_for

# The daily cap of 8,000 over ten days saturates this pair at about 80,000 yuan.
SATURATION = 80_000
GRID_STEP = 2_000
GRID = [GRID_STEP * i for i in range(1, 51)]  # 2,000 .. 100,000


def _videos() -> list[Video]:
    return [
        make_video(video_id="v1"),
        make_video(video_id="v2", kol_name="B", followers=300_000, natural_gmv=12_000,
                   kol_fee=5_000),
    ]


def _campaign(**overrides: object) -> Campaign:
    return make_campaign(**{"budget": 50_000, "daily_cap": 8_000, "tools": COLD_HARVEST_TOOLS,
                            **overrides})


@pytest.fixture(scope="module")
def grid() -> pd.DataFrame:
    return budget_curve(_videos(), _campaign(), GRID)


@pytest.mark.slow
def test_curve_is_monotone_and_consistent(grid: pd.DataFrame) -> None:
    assert list(grid.columns) == list(CURVE_COLUMNS)
    assert list(grid["budget"]) == GRID
    assert grid["expected_gmv"].is_monotonic_increasing
    assert grid["total_spend"].is_monotonic_increasing
    assert (grid["total_spend"] <= grid["budget"]).all()
    assert (grid["status"] == "optimal").all()
    assert grid["roi"].to_numpy() == pytest.approx(
        (grid["expected_gmv"] / grid["total_spend"]).to_numpy(), abs=1e-4
    )
    # The marginal ROI is the slope between neighbours, and never below the floor.
    spent = grid[grid["marginal_roi"].notna()]
    assert (spent["marginal_roi"] >= 1.2 - 1e-6).all()
    row, previous = grid.iloc[10], grid.iloc[9]
    assert row["marginal_roi"] == pytest.approx(
        (row["expected_gmv"] - previous["expected_gmv"])
        / (row["total_spend"] - previous["total_spend"])
    )


def test_past_saturation_the_curve_is_flat_and_marginal_blank(grid: pd.DataFrame) -> None:
    flat = grid[grid["budget"] > SATURATION]
    assert not flat.empty
    assert flat["expected_gmv"].nunique() == 1
    assert flat["marginal_roi"].isna().all()
    assert (flat["unspent"] > 1_000).all()
    assert grid["marginal_roi"].isna().iloc[0]


def test_budgets_are_sorted_deduplicated_and_validated(english: None) -> None:
    curve = budget_curve(_videos(), _campaign(), [30_000, 10_000, 30_000])
    assert list(curve["budget"]) == [10_000, 30_000]
    with pytest.raises(InputError, match="positive"):
        budget_curve(_videos(), _campaign(), [10_000, -5])
    with pytest.raises(InputError):
        budget_curve(_videos(), _campaign(), [])


def test_a_budget_below_the_commitments_is_an_infeasible_row(english: None) -> None:
    campaign = _campaign(commitments=[{
        "video_id": "v1", "tool": "dou_plus", "start": "2027-04-21", "end": "2027-04-22",
        "budget": 3_000,
    }])
    curve = budget_curve(_videos(), campaign, [2_000, 20_000]).set_index("budget")
    assert curve.loc[2_000, "status"] == "infeasible"
    assert "fixed commitments total 3,000 yuan" in curve.loc[2_000, "binding"]
    assert math.isnan(curve.loc[2_000, "expected_gmv"])
    assert curve.loc[20_000, "status"] == "optimal"


def _brute_gmv(grid: pd.DataFrame, target: float) -> float:
    return float(grid.loc[grid["expected_gmv"] >= target, "budget"].min())


def _brute_roi(grid: pd.DataFrame, min_roi: float) -> float:
    return float(grid.loc[grid["roi"] >= min_roi, "budget"].max())


@pytest.mark.parametrize("target", [30_000, 100_000, 140_000])
def test_target_gmv_matches_brute_force(grid: pd.DataFrame, target: float) -> None:
    tolerance = 200.0
    answer = min_budget_for(_videos(), _campaign(), gmv_target=target, tolerance=tolerance)
    assert answer.reached and answer.budget is not None and answer.plan is not None
    brute = _brute_gmv(grid, target)
    # The true threshold lies in (brute - step, brute]; bisection lands within tolerance above it.
    assert brute - GRID_STEP < answer.budget <= brute + tolerance
    assert answer.plan.expected_gmv >= target
    just_below = make_plan(_videos(), _campaign(budget=answer.budget - tolerance))
    assert just_below.expected_gmv < target


@pytest.mark.parametrize("min_roi", [2.2, 2.0, 1.9])
def test_min_roi_matches_brute_force(grid: pd.DataFrame, min_roi: float) -> None:
    # What makes bisection valid here: ROI falls as the budget grows, up to the solver's
    # proven gap (each plan is within solver.relative_gap of the best, so two budgets
    # 2,000 yuan apart may differ by that much the other way).
    gap = _campaign().solver.relative_gap
    assert (grid["roi"].diff().dropna() <= gap * grid["roi"].max()).all()
    tolerance = 200.0
    answer = min_budget_for(_videos(), _campaign(), min_roi=min_roi, tolerance=tolerance)
    assert answer.reached and answer.budget is not None and answer.plan is not None
    brute = _brute_roi(grid, min_roi)
    assert brute - tolerance <= answer.budget < brute + GRID_STEP
    assert answer.plan.expected_roi >= min_roi
    assert make_plan(_videos(), _campaign(budget=answer.budget + tolerance)).expected_roi < min_roi


def test_target_mode_says_when_a_target_is_out_of_reach_or_always_met(
    grid: pd.DataFrame, english: None,
) -> None:
    too_much = min_budget_for(_videos(), _campaign(), gmv_target=1_000_000)
    assert not too_much.reached and too_much.budget is None
    assert "out of reach" in too_much.message
    assert f"tops out at {grid['expected_gmv'].max():,.0f} yuan of GMV" in too_much.message
    too_high = min_budget_for(_videos(), _campaign(), min_roi=5.0)
    assert not too_high.reached and "out of reach" in too_high.message
    always = min_budget_for(_videos(), _campaign(), min_roi=1.0)
    assert always.reached and always.budget == pytest.approx(SATURATION, abs=100)
    assert "buys nothing more" in always.message


def test_target_mode_needs_exactly_one_target(english: None) -> None:
    with pytest.raises(InputError, match="exactly one"):
        min_budget_for(_videos(), _campaign())
    with pytest.raises(InputError, match="exactly one"):
        min_budget_for(_videos(), _campaign(), gmv_target=1.0, min_roi=1.0)


def test_marginal_value_when_the_budget_binds(grid: pd.DataFrame, english: None) -> None:
    lines = marginal_value(Planner(_videos(), _campaign()), 10_000)
    by_budget = grid.set_index("budget")
    extra = by_budget.loc[60_000, "expected_gmv"] - by_budget.loc[50_000, "expected_gmv"]
    spend = by_budget.loc[60_000, "total_spend"] - by_budget.loc[50_000, "total_spend"]
    assert lines[0].startswith("The next 10,000 yuan would buy about ")
    said = re.search(r"about ([\d,]+) yuan of extra GMV \(marginal ROI ([\d.]+)", lines[0])
    assert said is not None, lines[0]
    # The probe re-plans from the plan's own solve, the curve from its neighbour's: equally
    # good plans, whose orders may round to whole yuan differently, within the plan's gap.
    tolerance = _campaign().solver.relative_gap * by_budget.loc[60_000, "expected_gmv"]
    assert abs(float(said[1].replace(",", "")) - extra) <= tolerance
    assert float(said[2]) == pytest.approx(extra / spend, abs=0.01)
    # The plan's own limits are shown with the plan, not repeated here.
    assert not any("fully allocated" in line for line in lines)


def test_the_answers_are_told_in_chinese_by_default(grid: pd.DataFrame) -> None:
    lines = marginal_value(Planner(_videos(), _campaign()), 10_000)
    assert lines[0].startswith("再加 10,000 元约可多带来 "), lines[0]
    assert "边际ROI" in lines[0]
    answer = min_budget_for(_videos(), _campaign(), gmv_target=100_000, tolerance=200.0)
    assert answer.reached and "可达到成交额 100,000" in answer.message
    too_much = min_budget_for(_videos(), _campaign(), gmv_target=1_000_000)
    assert f"{grid['expected_gmv'].max():,.0f} 元成交额" in too_much.message


def test_marginal_value_when_the_budget_does_not_bind(english: None) -> None:
    lines = marginal_value(Planner(_videos(), _campaign(budget=100_000)), 10_000)
    assert "would buy nothing" in lines[0] and "does not bind" in lines[0]
    assert not any("daily cap" in line for line in lines)  # the plan's own limit, shown with it


def test_marginal_value_when_only_part_of_the_step_can_be_spent(english: None) -> None:
    lines = marginal_value(Planner(_videos(), _campaign(budget=75_000)), 10_000)
    assert "marginal ROI" in lines[0]
    assert lines[1].startswith("Only 5,000 of them would be spent")


def test_plan_carries_marginal_lines_through_json() -> None:
    plan = make_plan(_videos(), _campaign())
    assert plan.marginal == []
    with_lines = plan.model_copy(update={"marginal": marginal_value(
        Planner(_videos(), _campaign()), base=plan)})
    again = Plan.model_validate(json.loads(with_lines.model_dump_json()))
    assert again.marginal == with_lines.marginal and again.marginal


# ---------------------------------------------------------------- the command


def _inputs(tmp_path: Path) -> tuple[Path, Path]:
    videos = tmp_path / "videos.csv"
    pd.DataFrame([v.model_dump() for v in _videos()]).to_csv(videos, index=False)
    campaign = tmp_path / "campaign.toml"
    campaign.write_text(
        'name = "sweep test"\nchain = "tmall"\nstart = 2027-04-21\nend = 2027-04-30\n'
        "plan_date = 2027-04-20\nbudget = 50_000\ndaily_cap = 8_000\nroi_floor = 1.2\n"
        # the tool economics the expected answers were worked out on, on point estimates
        "[tools.ad_feed]\nefficiency = 0.5\n[tools.uni_desk]\nefficiency = 0.55\n"
        '[risk]\nobjective = "expected"\nmax_video_share = 1.0\nmax_kol_share = 1.0\n',
        encoding="utf-8",
    )
    return campaign, videos


def _sweep(tmp_path: Path, *args: str):
    campaign, videos = _inputs(tmp_path)
    return CliRunner().invoke(
        app, ["sweep", "--campaign", str(campaign), "--videos", str(videos), *args]
    )


def test_sweep_command_prints_and_writes_the_curve(tmp_path: Path, english: None) -> None:
    out = tmp_path / "out"
    result = _sweep(tmp_path, "--budgets", "20000,5w,100000", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "marginal ROI" in result.output.splitlines()[0]
    assert "50,000" in result.output
    csv = pd.read_csv(out / "budget_curve.csv", encoding="utf-8-sig")
    assert list(csv["budget"]) == [20_000, 50_000, 100_000]
    assert csv["expected_gmv"].is_monotonic_increasing
    book = openpyxl.load_workbook(out / "budget_curve.xlsx")
    sheet = book["Budget curve"]
    assert [c.value for c in sheet[1]] == list(CURVE_COLUMNS)
    assert sheet.max_row == 4
    assert len(sheet._charts) == 1
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no temp files left


def test_sweep_command_target_modes(tmp_path: Path, english: None) -> None:
    gmv = _sweep(tmp_path, "--target-gmv", "10w")
    assert gmv.exit_code == 0, gmv.output
    assert "reaches GMV 100,000" in gmv.output
    roi = _sweep(tmp_path, "--min-roi", "2")
    assert roi.exit_code == 0, roi.output
    assert "keeps ROI at or above 2" in roi.output


@pytest.mark.parametrize(
    "args",
    [
        ["--budgets", "5x"],
        ["--budgets", "0"],
        ["--target-gmv", "10w", "--min-roi", "2"],
        ["--min-roi", "-1"],
    ],
)
def test_sweep_command_bad_input_exits_2_and_writes_nothing(tmp_path: Path,
                                                            args: list[str]) -> None:
    out = tmp_path / "out"
    result = _sweep(tmp_path, *args, "--out", str(out))
    assert result.exit_code == 2, result.output
    assert "InputError" in result.output
    assert not out.exists()
