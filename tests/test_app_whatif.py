"""The What-if page driven headless with AppTest: budget curve, target budget, next step.

Budgets are kept at or above the sample campaign's 3,000,000 yuan, where a
sample plan solves in about a second (small budgets are slower to prove
optimal). Markdown the app escapes is read through ``shown``.
"""

from __future__ import annotations

import io
import itertools
import re
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from app_steps import click, field

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "app" / "streamlit_app.py"
PAGE = "app_pages/whatif_page.py"

FROM = "whatif_page.curve_from"
TO = "whatif_page.curve_to"
POINTS = "whatif_page.curve_points"
CURVE = "whatif_page.curve_button"
MODE = "whatif_page.target_mode"
TARGET_GMV = "whatif_page.target_gmv"
PRECISION = "whatif_page.target_precision"
TARGET = "whatif_page.target_button"
STEP = "whatif_page.step_button"
CURVE_RESULT = "whatif_page.result.curve"
YUAN = re.compile(r"\d{1,3}(?:,\d{3})+ yuan")

# Written against the English app: PLANNER_LANG=en (the Chinese default: tests/test_app_zh.py).
pytestmark = pytest.mark.usefixtures("english")


def shown(markdown: str) -> str:
    return re.sub(r"\\(.)", r"\1", markdown).replace("**", "")


def open_page() -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=120).run()
    at.switch_page(PAGE).run()
    assert not at.exception
    return at


def curve_of_three(at: AppTest) -> AppTest:
    at.text_input(key=FROM).set_value("3,000,000")
    at.text_input(key=TO).set_value("6,000,000")
    at.number_input(key=POINTS).set_value(3)
    return click(at, CURVE)


def test_the_page_loads_with_a_range_around_the_campaign_budget() -> None:
    at = open_page()
    assert at.title[0].value == "What-if"
    assert not at.error
    assert "budget ¥3,000,000" in shown(at.caption[0].value)
    # 25% .. 200% of the sample's 3,000,000 in 6 points; nothing planned before a click.
    assert at.text_input(key=FROM).value == "750,000"
    assert at.text_input(key=TO).value == "6,000,000"
    assert at.number_input(key=POINTS).value == 6
    assert not at.dataframe
    assert not at.get("vega_lite_chart")


@pytest.mark.slow
def test_a_three_point_curve_shows_the_table_charts_and_downloads() -> None:
    at = curve_of_three(open_page())
    assert not at.error
    table = at.dataframe[0].value
    assert len(table) == 3
    assert table["budget"].tolist() == [3_000_000, 4_500_000, 6_000_000]
    assert {"total_spend", "expected_gmv", "roi", "marginal_roi", "status", "gap",
            "binding"} <= set(table.columns)
    gmv, gaps = table["expected_gmv"].tolist(), table["gap"].tolist()
    # Expected GMV never falls as the budget grows, up to the larger budget's proven gap
    # (its optimum is at least the smaller budget's plan) and whole-yuan rounding.
    assert all(later >= earlier * (1 - gap) - 1
               for (earlier, later), gap in zip(itertools.pairwise(gmv), gaps[1:]))
    assert (table["total_spend"] <= table["budget"]).all()
    assert set(table["status"]) <= {"optimal", "feasible"}
    assert table["binding"].str.len().gt(0).all()
    assert len(at.get("vega_lite_chart")) == 2
    assert [b.label for b in at.get("download_button")] == [
        "Download the budget curve (Excel)", "Download the budget curve (CSV)"]

    # The downloads hold the same curve: the CSV as planner sweep writes it, the
    # workbook with its native chart.
    bundle = at.session_state[CURVE_RESULT][1]
    assert bundle.csv.startswith("\ufeff".encode())
    csv = pd.read_csv(io.BytesIO(bundle.csv), encoding="utf-8-sig")
    assert csv["budget"].tolist() == table["budget"].tolist()
    assert csv["expected_gmv"].tolist() == gmv
    book = openpyxl.load_workbook(io.BytesIO(bundle.xlsx))
    assert len(book["Budget curve"]._charts) == 1


def test_a_reversed_budget_range_is_a_readable_error() -> None:
    at = open_page()
    at.text_input(key=FROM).set_value("2,000,000")
    at.text_input(key=TO).set_value("1,000,000")
    click(at, CURVE)
    errors = [shown(e.value) for e in at.main.error]
    assert len(errors) == 1
    assert "Budget range, column 'To': 'To' (1,000,000) is below 'From' (2,000,000)" in errors[0]
    assert "Traceback" not in errors[0]
    assert not at.dataframe


@pytest.mark.slow
def test_the_target_mode_answers_a_gmv_target_in_yuan() -> None:
    at = open_page()
    assert at.radio(key=MODE).value == "gmv"
    at.text_input(key=TARGET_GMV).set_value("14,500,000")
    at.selectbox(key=PRECISION).set_value(100_000.0)
    click(at, TARGET)
    answers = [shown(s.value) for s in at.success]
    assert len(answers) == 1
    assert "reaches GMV 14,500,000" in answers[0]
    assert YUAN.search(answers[0])
    figures = {m.label: m.value for m in at.main.metric}
    assert figures["Budget"].startswith("¥")
    budget = float(figures["Budget"].removeprefix("¥").replace(",", ""))
    gmv = float(figures["Expected GMV"].removeprefix("¥").replace(",", ""))
    # The sample plan at 3,000,000 expects about 11.5M, so more budget is needed.
    assert budget > 3_000_000 and gmv >= 14_500_000


def test_the_target_mode_asks_for_a_value_before_planning() -> None:
    at = open_page()
    click(at, TARGET)
    assert [w.value for w in at.warning] == ["Enter a GMV target first."]
    assert not at.success and not at.main.metric


@pytest.mark.slow
def test_the_next_step_is_told_in_words_with_the_binding_limits() -> None:
    at = click(open_page(), STEP)
    texts = [shown(m.value) for m in at.markdown]
    step = next(t for t in texts if t.startswith("The next ¥10,000 on top of ¥3,000,000"))
    assert "The next 10,000 yuan would buy about" in step
    assert "marginal ROI" in step
    binding = next(t for t in texts if t.startswith("What stops more spending at ¥3,000,000"))
    assert "fully allocated" in binding


@pytest.mark.slow
def test_an_empty_step_box_prices_the_default_next_10000_yuan() -> None:
    at = open_page()
    at.text_input(key="whatif_page.step").set_value("")
    click(at, STEP)
    assert not at.error
    texts = [shown(m.value) for m in at.markdown]
    assert any(t.startswith("The next ¥10,000 on top of ¥3,000,000") for t in texts)


@pytest.mark.slow
def test_a_money_box_kept_empty_while_undrawn_comes_back_with_its_default() -> None:
    # A run cut short (a click while the page ran) can keep a box whose widget was not
    # drawn: it must come back with its default, not empty (the next step then said
    # "the amount must be positive" to a buyer who typed nothing).
    at = open_page()
    request, kept = at.session_state["whatif_page.kept"]
    at.session_state["whatif_page.kept"] = (request, {**kept, "whatif_page.step": None})
    at.switch_page("app_pages/videos_page.py").run()
    at.switch_page(PAGE).run()
    assert at.text_input(key="whatif_page.step").value == "10,000"


def test_results_and_inputs_survive_a_visit_to_another_page() -> None:
    at = curve_of_three(open_page())
    at.switch_page("app_pages/videos_page.py").run()
    at.switch_page(PAGE).run()
    assert not at.exception
    assert at.number_input(key=POINTS).value == 3
    assert len(at.dataframe[0].value) == 3


@pytest.mark.slow
def test_the_page_works_on_the_campaign_last_planned() -> None:
    at = AppTest.from_file(str(APP), default_timeout=120).run()
    at.text_input(key=field(at, "budget")).set_value("4,000,000")
    at.button(key="plan_page.run_button").click().run()
    assert not at.exception
    at.switch_page(PAGE).run()
    assert not at.exception
    assert "budget ¥4,000,000" in shown(at.caption[0].value)
    assert "campaign form" in shown(at.caption[0].value)
    assert at.text_input(key=FROM).value == "1,000,000"
    assert at.text_input(key=TO).value == "8,000,000"
