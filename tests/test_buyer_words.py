"""Words, not codes, wherever a buyer reads: every app page and plan.xlsx, in Chinese.

Each page is driven as a buyer would (a plan run, a budget curve, a re-plan from a
day of actuals) and every visible text is searched for reason codes, tool ids, mode
and targeting codes and identifier-shaped tokens (``tests/visible_text.py``). The
codes stay in plan.json, in the CSV downloads and in the workbook's one 原因代码
column at the far right of 订单 and 视频, which ``planner check`` reads.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest
from typer.testing import CliRunner
from visible_text import app_texts, book_texts, leaks

from app_steps import click
from planner.cli import app
from planner.i18n import t
from planner.views.labels import (
    CELL_PAD_PX,
    HEADER_NARROW_PX,
    HEADER_PAD_PX,
    HEADER_WIDE_PX,
    text_px,
)

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "app" / "streamlit_app.py"
SAMPLE = ROOT / "sample_data"
# A day of actuals as a buyer's export heads it: Chinese headers, tools as the back ends say.
ACTUALS = ("日期,视频ID,工具,消耗,成交额,播放量\n"
           "2027-04-21,v0012,DOU+,1000,300,50000\n"
           "2027-04-21,v0008,达人竞价,2000,9000,50000\n").encode()
# The one column of codes a workbook keeps, for scripts and `planner check`.
CODES_COLUMN = "原因代码"
# The 追踪链接 sheet's links, short names and UTM tags (utm_medium dou_plus, utm_term
# basic_kol) are what link shorteners and analytics read: they must equal the links and
# links.csv byte for byte. UTM parameters keep their standard names wherever they are named.
MACHINE_COLUMNS = ("短链名称", "完整链接", "落地页")
UTM = re.compile(r"\butm_[a-z]+\b")


def start() -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=120).run()
    assert not at.exception
    return at


def planned() -> AppTest:
    return click(start(), "plan_page.run_button")


def test_the_upload_captions_name_columns_and_limits_in_buyer_words() -> None:
    captions = [t("app.roster_caption", rows="10,000"), t("replan.actuals_caption")]
    assert leaks(captions) == []
    for caption in captions:
        # No headers' ids (video_id, spend), no server setting (server.maxUploadSize).
        assert not re.search(r"\b(?:date|spend|gmv|plays|tool|maxUploadSize)\b", caption), caption
    assert "视频ID" in captions[1] and "消耗" in captions[1]


def test_risk_attitudes_are_named_in_chinese_only() -> None:
    from planner.planning import RISK_OBJECTIVES

    names = [t(f"risk.{objective}") for objective in RISK_OBJECTIVES]
    assert names == ["期望", "平衡", "稳健"]
    assert not any(re.search("[A-Za-z]", name) for name in names)


@pytest.mark.slow
def test_the_plan_page_says_reasons_tools_and_targeting_in_words() -> None:
    at = planned()
    texts = app_texts(at)
    assert any("基础+达人相似" in text for text in texts)  # the targeting, named
    assert leaks(texts) == []
    assert_dates_stay_whole([h.value for h in at.main.header], "2027\u201104\u201120")


# A date whose hyphens a browser may break at ("…至 2027-" / "06-20").
BREAKABLE_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def assert_dates_stay_whole(headings: list[str], expected: str) -> None:
    """Every date in the page's headings has non-breaking hyphens, the one expected too."""
    assert headings and not [h for h in headings if BREAKABLE_DATE.search(h)], headings
    assert any(expected in h for h in headings), headings


# The app's main column at 1280x800 is 820 px wide (the grids' cell and header fonts are
# measured by ``text_px``, on the Chromium screenshots of the walk).
MAIN_PX = 820


def _header_px(label: str) -> float:
    return text_px(label, HEADER_WIDE_PX, HEADER_NARROW_PX) + HEADER_PAD_PX


def _cell_texts(values: pd.Series, config: dict[str, Any]) -> list[str]:
    """A column's values as the grid writes them, by the column's type and format."""
    kind = (config.get("type_config") or {}).get("type")
    fmt = (config.get("type_config") or {}).get("format")
    texts = []
    for value in values:
        if kind == "checkbox" or value is None or (isinstance(value, float) and math.isnan(value)):
            continue
        if kind == "date":
            texts.append(str(fmt or "YYYY-MM-DD").replace("YYYY", "2027").replace("MM", "12")
                         .replace("DD", "31"))
        elif kind == "number" and fmt == "percent":
            texts.append(f"{value * 100:.2f}%")
        elif kind == "number" and fmt == "yen":
            texts.append(f"¥{value:,.0f}")  # yen has no fractions
        elif kind == "number" and fmt and fmt.startswith("%"):
            texts.append(fmt.replace(",", "") % value)
        elif kind == "number":
            texts.append(f"{value:,.0f}" if float(value).is_integer() or fmt is None
                         else f"{value:,.2f}")
        elif kind == "list":
            texts.append(" ".join(map(str, value)))
        else:
            texts.append(str(value))
    return texts


def clipped(grid: Any) -> dict[str, tuple[object, float]]:
    """The shown columns of a grid that cut their header or a value: label -> (width, need)."""
    columns = json.loads(grid.proto.columns)
    frame = grid.value.data if hasattr(grid.value, "data") else grid.value
    cut: dict[str, tuple[object, float]] = {}
    for name, config in columns.items():
        if config.get("hidden") or name == "_index":
            continue
        label = str(config.get("label") or name)
        cells = [text_px(text) + CELL_PAD_PX for text in _cell_texts(frame[name], config)]
        need = max([_header_px(label), *cells])
        if config.get("width") is None or config["width"] < need:
            cut[label] = (config.get("width"), need)
    return cut


def shown_px(grid: Any) -> int:
    return sum(c["width"] for name, c in json.loads(grid.proto.columns).items()
               if not c.get("hidden") and name != "_index")


@pytest.mark.slow
def test_the_orders_table_headers_fit_their_columns_at_1280x800() -> None:
    """No header of the orders table is cut ("开始日其", "预计RO"): each shown column is
    wide enough for its header, and the columns fit the page without scrolling sideways."""
    at = planned()
    grids = [json.loads(df.proto.columns) for df in at.dataframe]
    orders = [g for g in grids if "expected_roi" in g and "booking_date" in g]
    assert orders, "no orders table on the plan page"
    for grid in orders:
        shown = {k: c for k, c in grid.items() if not c.get("hidden")}
        cut = {c["label"]: (c["width"], _header_px(c["label"])) for c in shown.values()
               if c["width"] < _header_px(c["label"])}
        assert cut == {}, cut
        assert sum(c["width"] for c in shown.values()) <= MAIN_PX - 10


@pytest.mark.slow
def test_no_cell_of_the_plan_pages_tables_is_cut_at_1280x800() -> None:
    """The 排期表 matrix (投放方式 "智能投放/定向投放", the bold 合计 figures) and the orders
    (a KOL of eight characters, 智能投放, 达人竞价) show every value whole; the orders fit
    the page, the matrix scrolls its days under the lines' pinned names."""
    at = planned()
    schedule = next(df for df in at.dataframe if "row_total" in json.loads(df.proto.columns))
    orders = [df for df in at.dataframe if "expected_roi" in json.loads(df.proto.columns)]
    assert orders
    for grid in [schedule, *orders]:
        assert clipped(grid) == {}
    assert all(shown_px(grid) <= MAIN_PX - 10 for grid in orders)
    pinned = [c["label"] for c in json.loads(schedule.proto.columns).values() if c.get("pinned")]
    assert pinned == ["达人", "视频ID", "工具", "投放方式"]


@pytest.mark.slow
def test_the_videos_table_shows_every_tool_of_a_video_whole_at_1280x800() -> None:
    """可用工具 of a video open to five tools ("信息流 内容服务 DOU+ 达人竞价 UD") and every
    other cell show whole, in columns that fit the page without scrolling sideways."""
    at = start()
    at.switch_page("app_pages/videos_page.py").run()
    (roster,) = at.dataframe
    assert clipped(roster) == {}
    assert shown_px(roster) <= MAIN_PX - 10
    assert max(len(str(tools or "").split()) for tools in roster.value["eligible_tools"]) == 5


def _two_point_curve() -> AppTest:
    """The What-if page with the sample's budget curve at 3,000,000 and 4,000,000 yuan."""
    at = start()
    at.switch_page("app_pages/whatif_page.py").run()
    at.text_input(key="whatif_page.curve_from").set_value("3,000,000")
    at.text_input(key="whatif_page.curve_to").set_value("4,000,000")
    at.number_input(key="whatif_page.curve_points").set_value(2)
    return click(at, "whatif_page.curve_button")


@pytest.mark.slow
def test_the_budget_curve_shows_its_limits_whole_and_says_what_it_downloads() -> None:
    """限制继续花费的条件 are sentences: listed under the curve's table where they wrap, not
    cut in a cell; the download buttons say what they download, in Chinese."""
    at = _two_point_curve()
    (curve,) = at.dataframe
    assert clipped(curve) == {}
    assert shown_px(curve) <= MAIN_PX - 10
    limits = [m.value for m in at.markdown if t("plan.binding") in m.value]
    assert limits and "300.0万" in limits[0], [m.value for m in at.markdown]
    labels = [b.label for b in at.get("download_button")]
    assert labels == ["下载预算曲线（Excel）", "下载预算曲线（CSV）"], labels


@pytest.mark.slow
def test_the_videos_page_says_verdicts_and_tools_in_words() -> None:
    at = start()
    at.switch_page("app_pages/videos_page.py").run()
    assert not at.exception
    texts = app_texts(at)
    assert any("可以加热" in text for text in texts)  # a verdict's sentence
    assert leaks(texts) == []


@pytest.mark.slow
def test_the_whatif_page_says_its_answers_in_words() -> None:
    at = _two_point_curve()
    click(at, "whatif_page.step_button")
    click(at, "whatif_page.risk_button")
    assert len(at.dataframe) == 2 and not at.error  # the curve and the attitudes
    assert leaks(app_texts(at)) == []


@pytest.mark.slow
@pytest.mark.usefixtures("app_stores")
def test_the_replan_page_says_its_changes_in_words(tmp_path: Path) -> None:
    store = tmp_path / "history.sqlite"
    at = planned()
    at.text_input(key="plan_page.store_path").set_value(str(store)).run()
    click(at, "plan_page.record_button")
    at.switch_page("app_pages/replan_page.py").run()
    at.file_uploader(key="replan_page.actuals_file").set_value(
        ("actuals_0421.csv", ACTUALS, "text/csv")).run()
    at.text_input(key="replan_page.store_path").set_value(str(store)).run()
    click(at, "replan_page.preview_button")
    assert at.main.metric  # the re-plan ran
    assert leaks(app_texts(at)) == []
    # "618 种草收割 2027 · 从 2027-04-22 重新排期至 2027-06-20": each date kept whole.
    assert_dates_stay_whole([h.value for h in at.main.header], "至 2027\u201106\u201120")


@pytest.fixture(scope="module")
def workbook(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("plan")
    result = CliRunner().invoke(app, [
        "plan", "--campaign", str(SAMPLE / "campaign_tmall.toml"),
        "--videos", str(SAMPLE / "videos.csv"), "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out / "plan.xlsx"


def _buyers_texts(path: Path) -> dict[str, list[str]]:
    """Every sheet's texts, less the cells that are codes by design: the 原因代码 column, the
    tracking links' machine columns, and UTM parameter names."""
    texts = book_texts(path)
    book = openpyxl.load_workbook(path)
    for ws in book.worksheets:
        header = [str(c.value) for c in ws[1]]
        machine = [i for i, h in enumerate(header)
                   if h in (CODES_COLUMN, *MACHINE_COLUMNS) or h.startswith("utm_")]
        kept = {str(r[i]) for r in ws.iter_rows(min_row=2, values_only=True)
                for i in machine if r[i] is not None}
        texts[ws.title] = [UTM.sub(" ", text) for text in texts[ws.title] if text not in kept]
    return texts


@pytest.mark.slow
def test_the_workbook_says_reasons_tools_and_targeting_in_words(workbook: Path) -> None:
    found = {sheet: leaks(texts) for sheet, texts in _buyers_texts(workbook).items()}
    assert {sheet: hits for sheet, hits in found.items() if hits} == {}


@pytest.mark.slow
def test_the_workbook_keeps_the_reason_codes_in_one_column_at_the_far_right(
    workbook: Path,
) -> None:
    book = openpyxl.load_workbook(workbook)
    for sheet in ("订单", "视频"):
        rows = list(book[sheet].iter_rows(values_only=True))
        assert rows[0][-1] == CODES_COLUMN, sheet
        assert "工具代码" not in rows[0]
        reasons = rows[0].index("原因")
        for row in rows[1:]:
            # One code a line for each reason's sentence, and no code before a sentence.
            assert len(str(row[-1]).splitlines()) == len(str(row[reasons]).splitlines())
            assert not any(line.split("：")[0].split(":")[0] in str(row[-1]).splitlines()
                           for line in str(row[reasons]).splitlines())
    assert "工具代码" not in [c.value for c in book["每日明细"][1]]
