"""The 排期表 on the Plan page and one colour per tool: the screen's matrix is the
workbook's, grouped by KOL and filterable; each tool has one colour in both languages,
in the app's chart and the workbook's chart; no tool looks like the sale shading."""

from __future__ import annotations

import math
import re
import zipfile
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from planner.i18n import use_lang
from planner.io.campaign_file import read_campaign
from planner.io.plan_files import schedule_rows, write_plan
from planner.io.roster import read_videos
from planner.models import Plan
from planner.planning import make_plan
from planner.tools import SALE_COLOUR, SALE_FILL, TOOL_COLOURS, Tool
from planner.views.labels import tool_colours, tool_label
from planner.views.plan import schedule_totals, schedule_view

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_data"
CAMPAIGN = read_campaign(SAMPLE / "campaign_tmall.toml")


@pytest.fixture(scope="module")
def plan() -> Plan:
    videos, _ = read_videos(SAMPLE / "videos.csv", plan_date=CAMPAIGN.effective_plan_date)
    return make_plan(videos, CAMPAIGN)


def test_the_screen_schedule_holds_the_workbooks_lines_and_yuan(plan: Plan) -> None:
    view = schedule_view(plan, CAMPAIGN)
    rows = schedule_rows(plan)
    assert len(view.frame) == len(rows)
    assert len(view.days) == (CAMPAIGN.end - CAMPAIGN.start).days + 1
    for row in rows:
        line = view.frame[(view.frame["video_id"] == row.video_id)
                          & (view.frame["tool"] == tool_label(row.tool))].iloc[0]
        assert line["row_total"] == pytest.approx(row.total, abs=0.01)
        for day, amount in row.spend.items():
            assert line[f"{day:%m-%d}"] == pytest.approx(amount)
    cells = view.frame[list(view.days)].to_numpy(dtype=float)
    assert (cells != 0).all() and any(math.isnan(c) for c in cells.flat)  # blank, not 0
    totals = schedule_totals(view)
    assert totals["row_total"].iloc[0] == pytest.approx(plan.total_spend, abs=1.0)


def test_the_screen_schedule_groups_by_kol_names_sale_days_and_filters(plan: Plan) -> None:
    view = schedule_view(plan, CAMPAIGN)
    kols = view.frame["kol_name"].tolist()
    assert kols == sorted(kols)  # each KOL's lines together
    sale = CAMPAIGN.big_sales[0]
    assert set(view.sales.values()) == {sale.name}
    assert view.days[min(view.sales)] == sale.start and view.days[max(view.sales)] == sale.end
    only = schedule_view(plan, CAMPAIGN, tools=["dou_plus"])
    assert set(only.tools) == {"dou_plus"} and set(only.frame["tool"]) == {"DOU+"}
    one = kols[0]
    assert set(schedule_view(plan, CAMPAIGN, kols=[one]).frame["kol_name"]) == {one}


def test_each_tool_has_one_colour_in_both_languages_and_none_is_the_sale_red() -> None:
    colours = {}
    for lang in ("zh", "en"):
        with use_lang(lang):
            names = [tool_label(tool) for tool in Tool]
            domain, scale = tool_colours(reversed(names))
        assert domain == names  # in the tools' order, whatever order the data has
        colours[lang] = scale
    assert colours["zh"] == colours["en"] == [TOOL_COLOURS[tool] for tool in Tool]
    assert len(set(TOOL_COLOURS.values())) == len(Tool)

    def rgb(colour: str) -> tuple[int, int, int]:
        return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)

    for colour in TOOL_COLOURS.values():
        r, g, b = rgb(colour)
        assert not (r > 180 and g < 120 and b < 140), f"{colour} looks like the sale's red"
    assert rgb(SALE_COLOUR)[0] > 200 and rgb(SALE_FILL)[0] > 240


def test_the_workbook_chart_paints_each_tool_in_its_colour(plan: Plan, tmp_path: Path) -> None:
    paths = write_plan(plan, tmp_path, campaign=CAMPAIGN)
    with zipfile.ZipFile(paths["xlsx"]) as book:
        charts = [book.read(n).decode() for n in book.namelist()
                  if n.startswith("xl/charts/chart")]
    fills = set(re.findall(r'<a:srgbClr val="([0-9A-F]{6})"', "".join(charts)))
    used = {Tool(d.tool) for d in plan.daily if d.spend}
    assert {TOOL_COLOURS[tool][1:] for tool in used} <= fills


def test_the_plan_page_shows_the_schedule_matrix() -> None:
    at = AppTest.from_file(str(ROOT / "app" / "streamlit_app.py"), default_timeout=120).run()
    at.button(key="plan_page.run_button").click().run()
    assert not at.exception
    matrices = [d for d in at.dataframe if "04-21" in d.value.columns]
    assert len(matrices) == 1
    shown = matrices[0].value
    assert {"kol_name", "video_id", "tool", "row_total"} <= set(shown.columns)
    assert shown["kol_name"].iloc[-1] == "每日合计"
    at.multiselect(key="plan_page.schedule_tools").set_value(["dou_plus"]).run()
    shown = next(d.value for d in at.dataframe if "04-21" in d.value.columns)
    assert set(shown["tool"].iloc[:-1]) == {"DOU+"}
