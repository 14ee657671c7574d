"""The 排期表 a buyer prints, from `planner plan`: days across, KOL videos down, exact yuan."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from datetime import date, datetime, timedelta
from pathlib import Path

import openpyxl
import pytest
from openpyxl.utils import get_column_letter
from typer.testing import CliRunner

from planner.cli import app
from planner.config import Campaign
from planner.io.campaign_file import read_campaign
from planner.models import Plan
from planner.tools import SALE_FILL

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_data"
ARTIFACTS = ROOT / "test-artifacts" / "export"
runner = CliRunner()
pytestmark = pytest.mark.slow  # each test reads a plan the command line wrote, or its print
# Two header rows (sale names, dates) above the rows; four label columns before the days.
HEAD_ROWS = 2
LABELS = 4


def _plan(out: Path, *extra: str, campaign: str = "campaign_tmall.toml") -> Plan:
    result = runner.invoke(app, [
        "plan", "--campaign", str(SAMPLE / campaign), "--videos", str(SAMPLE / "videos.csv"),
        "--out", str(out), *extra,
    ])
    assert result.exit_code == 0, result.output
    return Plan.model_validate(json.loads((out / "plan.json").read_text("utf-8")))


@pytest.fixture(scope="module")
def planned(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Plan, Campaign]:
    out = tmp_path_factory.mktemp("plan")
    return out, _plan(out), read_campaign(SAMPLE / "campaign_tmall.toml")


def _day(value: object) -> date | None:
    return value.date() if isinstance(value, datetime) else None


def test_plan_writes_chinese_sheet_names_with_the_schedule_second(planned) -> None:
    out, _, _ = planned
    book = openpyxl.load_workbook(out / "plan.xlsx")
    assert book.sheetnames[:6] == ["汇总", "排期表", "订单", "每日明细", "视频", "花费图"]
    assert "追踪链接" in book.sheetnames


def test_schedule_header_has_one_column_per_campaign_day(planned) -> None:
    out, _, campaign = planned
    ws = openpyxl.load_workbook(out / "plan.xlsx")["排期表"]
    header = [c.value for c in ws[HEAD_ROWS]]
    assert header[:LABELS] == ["达人", "视频ID", "工具", "投放方式"]
    days = [_day(v) for v in header[LABELS:-1]]
    assert days == campaign.days()
    assert header[-1] == "合计"


def test_schedule_rows_name_kols_and_add_up_to_the_plans_spend(planned) -> None:
    out, plan, _ = planned
    ws = openpyxl.load_workbook(out / "plan.xlsx")["排期表"]
    names = {v.video_id: v.kol_name for v in plan.videos}
    rows = [r for r in ws.iter_rows(min_row=HEAD_ROWS + 1, values_only=True) if r[1]]
    assert rows
    total = 0.0
    for row in rows:
        assert row[0] == names[row[1]]  # the KOL's name, not only the video id
        days = sum(v for v in row[LABELS:-1] if isinstance(v, int | float))
        assert days == pytest.approx(row[-1], abs=1)
        total += row[-1]
    assert total == pytest.approx(plan.total_spend, abs=1)
    day_total = next(r for r in ws.iter_rows(values_only=True) if r[0] == "每日合计")
    assert day_total[-1] == pytest.approx(plan.total_spend, abs=1)


def test_schedule_shades_and_names_the_big_sale_days(planned) -> None:
    out, _, campaign = planned
    ws = openpyxl.load_workbook(out / "plan.xlsx")["排期表"]
    sale = campaign.big_sales[0]
    col = LABELS + (sale.start - campaign.start).days + 1
    assert ws.cell(1, col).value == sale.name
    assert ws.cell(HEAD_ROWS, col).fill.fgColor.rgb.endswith(SALE_FILL[1:])
    assert not ws.cell(HEAD_ROWS, LABELS + 1).fill.fgColor.rgb.endswith(SALE_FILL[1:])


def test_schedule_prints_a_week_a_page_on_a3_with_repeated_labels(planned) -> None:
    out, _, campaign = planned
    ws = openpyxl.load_workbook(out / "plan.xlsx")["排期表"]
    assert ws.page_setup.orientation == "landscape"
    assert str(ws.page_setup.paperSize) == ws.PAPERSIZE_A3
    assert not ws.sheet_properties.pageSetUpPr.fitToPage  # fit would ignore the breaks
    # A page break before every Monday but the first day: one calendar week a page.
    starts = [campaign.start + timedelta(days=b.id - LABELS) for b in ws.col_breaks.brk]
    assert starts == [d for d in campaign.days()[1:] if d.weekday() == 0]
    assert ws.print_title_rows == "$1:$2"
    assert ws.print_title_cols == "$A:$D"
    assert "618 种草收割" in ws.oddHeader.center.text
    assert ws.freeze_panes == "E3"


def test_orders_and_daily_sheets_carry_kol_names(planned) -> None:
    out, plan, _ = planned
    book = openpyxl.load_workbook(out / "plan.xlsx")
    names = {v.video_id: v.kol_name for v in plan.videos}
    for sheet in ("订单", "每日明细"):
        rows = list(book[sheet].iter_rows(values_only=True))
        video, kol = rows[0].index("视频ID"), rows[0].index("达人")
        assert all(r[kol] == names[r[video]] for r in rows[1:]), sheet


def test_the_daily_sheet_keeps_every_row_and_prints_its_day_totals(planned) -> None:
    out, plan, _ = planned
    ws = openpyxl.load_workbook(out / "plan.xlsx")["每日明细"]
    rows = list(ws.iter_rows(values_only=True))
    detail = rows[0].index("预计成交额（元）") + 1
    # Every daily row stays, filterable, for scripts and `planner check`.
    assert len([r for r in rows[1:] if r[0] is not None]) == len(plan.daily)
    assert ws.auto_filter.ref == f"A1:F{len(plan.daily) + 1}"
    # Right of them, after an empty column, one row a day: what the sheet prints.
    first = detail + 1
    assert rows[0][detail] in (None, "") and rows[0][first] == "日期（当日合计）"
    totals = [r[first:] for r in rows[1:] if r[first] is not None]
    assert len(totals) == len({d.date for d in plan.daily}) <= len(plan.daily)
    spend = rows[0][first:].index("当日花费（元）")
    assert sum(r[spend] for r in totals) == pytest.approx(sum(d.spend for d in plan.daily))
    assert ws.print_area == f"'每日明细'!$H$1:$O${len(totals) + 1}"
    assert ws.print_title_rows == "$1:$1"
    assert str(ws.page_setup.paperSize) == ws.PAPERSIZE_A4
    assert ws.page_setup.orientation == "landscape"


def test_the_spend_chart_is_a_native_chart(planned) -> None:
    out, _, _ = planned
    book = openpyxl.load_workbook(out / "plan.xlsx")
    assert book["花费图"]._charts  # openpyxl keeps the charts it read


def test_english_on_request_writes_the_english_workbook_and_messages(tmp_path: Path) -> None:
    result = runner.invoke(app, [
        "plan", "--campaign", str(SAMPLE / "campaign_tmall.toml"),
        "--videos", str(SAMPLE / "videos.csv"), "--out", str(tmp_path), "--lang", "en",
    ])
    assert result.exit_code == 0, result.output
    assert "wrote" in result.output and "已写入" not in result.output
    book = openpyxl.load_workbook(tmp_path / "plan.xlsx")
    assert book.sheetnames[:6] == [
        "Summary", "Schedule", "Orders", "Daily schedule", "Videos", "Spend chart"]
    assert [c.value for c in book["Schedule"][HEAD_ROWS]][:LABELS] == [
        "KOL", "Video ID", "Tool", "Mode"]


def test_planner_lang_env_chooses_english(tmp_path: Path, english: None) -> None:
    _plan(tmp_path)
    assert openpyxl.load_workbook(tmp_path / "plan.xlsx").sheetnames[1] == "Schedule"


@pytest.fixture(scope="module")
def printed(planned, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    """The sample's plan.xlsx printed to PDF by LibreOffice, and each page's text."""
    soffice, pdftoppm, pdftotext = (shutil.which(n) for n in ("soffice", "pdftoppm", "pdftotext"))
    if not (soffice and pdftoppm and pdftotext and shutil.which("pdfinfo")):
        if os.environ.get("CI") == "true":
            pytest.fail("LibreOffice or poppler-utils missing under CI: `make test` installs them")
        pytest.skip("needs soffice and poppler-utils (make print-tools)")
    out, _, _ = planned
    tmp = tmp_path_factory.mktemp("print")
    profile = tmp / "lo-profile"
    subprocess.run(
        [soffice, "--headless", "--norestore", f"-env:UserInstallation={profile.as_uri()}",
         "--convert-to", "pdf", "--outdir", str(tmp), str(out / "plan.xlsx")],
        check=True, capture_output=True, timeout=180,
    )
    pdf = tmp / "plan.pdf"
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True,
                          capture_output=True, text=True, timeout=60).stdout
    return pdf, text.split("\f")[:-1]  # the text ends with a form feed


def _sheet_of(page: str) -> str:
    """The sheet a printed page belongs to, from its page header: '<campaign> <sheet>'."""
    found = re.search(r"618 种草收割 2027 (\S+)", page)
    assert found, page[:300]
    return found[1]


def _paper(pdf: Path, pages: int) -> list[tuple[float, float]]:
    """(width, height) in points of every page."""
    info = subprocess.run(["pdfinfo", "-f", "1", "-l", str(pages), str(pdf)], check=True,
                          capture_output=True, text=True, timeout=60).stdout
    return [(float(w), float(h)) for w, h in
            re.findall(r"Page +\d+ size: +([\d.]+) x ([\d.]+) pts", info)]


def _png(pdf: Path, page: int, name: str) -> Path:
    """A PNG of one page in test-artifacts/export/, for a person to look at."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    png = ARTIFACTS / name
    subprocess.run(["pdftoppm", "-f", str(page), "-l", str(page), "-png", "-r", "110",
                    "-singlefile", str(pdf), str(png)], check=True, timeout=60)
    return png.with_suffix(".png")


A4 = (841.89, 595.3)  # landscape, in points
A3 = (1190.55, 841.89)


def test_every_printed_page_is_landscape_a4_or_a3_with_a_header_and_page_number(
    printed,
) -> None:
    pdf, pages = printed
    sizes = _paper(pdf, len(pages))
    assert len(sizes) == len(pages)
    for number, (page, size) in enumerate(zip(pages, sizes, strict=True), start=1):
        sheet = _sheet_of(page)
        # The 排期表 on A3, every table on A4; all landscape.
        assert size == pytest.approx(A3 if sheet == "排期表" else A4, abs=1), (number, sheet)
        assert "排期日期 2027-04-20" in page, number
        assert f"{number} / {len(pages)}" in page, number


def _smallest_pt(pdf: Path) -> list[float]:
    """The smallest text printed on each page, in points. Poppler's word boxes are 1.3 em
    tall in the fonts LibreOffice prints with here (DejaVu Sans, WenQuanYi Micro Hei): the
    排期表's 9 pt cells measure 11.72 pt."""
    html = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], check=True,
                          capture_output=True, text=True, timeout=60).stdout
    return [min((float(y1) - float(y0)) / 1.302 for y0, y1 in re.findall(
                r'<word xMin="[\d.]+" yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)">', page))
            for page in html.split("<page ")[1:]]


def test_every_sheet_prints_its_text_at_8_pt_or_more(printed) -> None:
    """No sheet is shrunk to fit below 8 pt (订单 and 视频 were 4.7 pt, 追踪链接 3 pt): a table
    too wide for a page at 8 pt prints on pages across, each naming its rows (视频ID, 达人)."""
    pdf, pages = printed
    smallest: dict[str, float] = {}
    for page, size in zip(pages, _smallest_pt(pdf), strict=True):
        sheet = _sheet_of(page)
        smallest[sheet] = min(smallest.get(sheet, size), size)
    assert set(smallest) >= {"汇总", "排期表", "订单", "每日明细", "视频", "花费图", "追踪链接"}
    assert {sheet: size for sheet, size in smallest.items() if size < 8.0} == {}
    for sheet in ("订单", "视频", "追踪链接"):
        for page in (p for p in pages if _sheet_of(p) == sheet):
            assert "视频ID" in page and "达人" in page, sheet
    assert len(pages) <= 50  # 8 pt costs pages; not a page for every few rows


def test_the_summary_prints_on_one_page(printed, planned) -> None:
    pdf, pages = printed
    gmv = f"{planned[1].expected_gmv / 10_000:.1f}万"  # 1150.2万 for the sample
    summary = [i for i, page in enumerate(pages, start=1) if _sheet_of(page) == "汇总"]
    assert summary == [1]
    # Labels and values on the same page, the limits and assumptions beside them; money
    # in 万 as the app shows it; the solver in an appendix under the headline figures.
    page = pages[0]
    assert all(word in page for word in ("预算", "300.0万", gmv, "限制花费的条件", "假设"))
    assert "预算（元）" not in page
    lines = page.splitlines()
    solver = next(i for i, line in enumerate(lines) if "HiGHS" in line)
    appendix = next(i for i, line in enumerate(lines) if "附录" in line)
    figures = max(i for i, line in enumerate(lines) if "达人费用" in line or "种草占比" in line)
    assert figures < appendix < solver
    assert _png(pdf, 1, "summary_page1").stat().st_size > 20_000


def test_the_spend_chart_prints_whole_on_one_page_and_its_data_apart(printed) -> None:
    pdf, pages = printed
    chart = [i for i, page in enumerate(pages, start=1) if _sheet_of(page) == "花费图"]
    assert len(chart) == 1, chart
    page = pages[chart[0] - 1]
    # Title, axis and legend on the same page: the chart is not cut into strips.
    assert all(word in page for word in ("每日各工具花费", "日期", "DOU+", "内容服务"))
    data = [i for i, page in enumerate(pages, start=1) if _sheet_of(page) == "花费图数据"]
    assert data and data[0] == chart[0] + 1
    assert _png(pdf, chart[0], "spend_chart_page").stat().st_size > 20_000


def test_the_daily_sheet_prints_its_day_totals_on_two_pages(planned, printed) -> None:
    """每日明细 prints one row a day (each tool's spend, the day's spend and GMV) on A4
    landscape, its header on every page, not a page for every thirty daily rows."""
    _, plan, _ = planned
    pdf, pages = printed
    daily = [i for i, page in enumerate(pages, start=1) if _sheet_of(page) == "每日明细"]
    assert len(daily) == 2, daily
    days = sorted({d.date for d in plan.daily})
    for number in daily:
        assert "日期（当日合计）" in pages[number - 1] and "当日花费（元）" in pages[number - 1]
    assert days[0].isoformat() in pages[daily[0] - 1]
    assert days[-1].isoformat() in pages[daily[-1] - 1]
    assert "v0008" not in "".join(pages[n - 1] for n in daily)  # the rows are not printed
    assert _png(pdf, daily[0], "daily_page1").stat().st_size > 20_000


def test_the_schedule_prints_one_page_a_week_through_libreoffice(planned, printed) -> None:
    """The 排期表 takes one A3 page per calendar week, each with the labels, its days, the
    day totals and the sale's name over its sale days; PNGs of its first page and of a
    sale week land in test-artifacts/export/ for a person to look at."""
    _, _, campaign = planned
    pdf, pages = printed
    schedule = [i for i, page in enumerate(pages, start=1) if _sheet_of(page) == "排期表"]
    days = campaign.days()
    weeks = [days[0], *(d for d in days[1:] if d.weekday() == 0)]
    assert len(schedule) == len(weeks), schedule
    sale = campaign.big_sales[0]
    for number, first in zip(schedule, weeks, strict=True):
        page = pages[number - 1]
        assert f"{first.month}/{first.day}" in page, number  # the week's own first day
        assert all(word in page for word in ("达人", "视频ID", "每日合计")), number
        # The sale's name stands over its days, on the title's line (the title names the
        # campaign, which may contain the sale's name too).
        title = next(line for line in page.splitlines() if "排期表（元）" in line)
        named = sale.name in title.split("排期表（元）", 1)[1]
        last = first + timedelta(days=6 - first.weekday())
        assert named == (first <= sale.end and last >= sale.start), number
    assert _png(pdf, schedule[0], "schedule_page1").stat().st_size > 20_000
    in_sale = next(n for n, first in zip(schedule, weeks, strict=True)
                   if sale.start <= first <= sale.end)
    assert _png(pdf, in_sale, "schedule_sale_week").stat().st_size > 20_000


def test_a_replans_schedule_spans_the_campaign_and_names_the_sale(tmp_path: Path) -> None:
    """`planner replan` writes the same 排期表 as `planner plan`: every campaign day, the sale."""
    actuals = tmp_path / "actuals_0421.csv"
    actuals.write_text("date,video_id,tool,spend,gmv,plays\n"
                       "2027-04-21,v0012,dou_plus,1000,300,50000\n"
                       "2027-04-21,v0008,kol_bidding,2000,9000,50000\n", encoding="utf-8")
    out = tmp_path / "out"
    result = runner.invoke(app, [
        "replan", "--campaign", str(SAMPLE / "campaign_tmall.toml"),
        "--videos", str(SAMPLE / "videos.csv"), "--actuals", str(actuals),
        "--date", "2027-04-22", "--store", str(tmp_path / "history.sqlite"), "--out", str(out),
    ])
    assert result.exit_code == 0, result.output
    campaign = read_campaign(SAMPLE / "campaign_tmall.toml")
    ws = openpyxl.load_workbook(out / "plan.xlsx")["排期表"]
    header = [c.value for c in ws[HEAD_ROWS]]
    assert [_day(v) for v in header[LABELS:-1]] == campaign.days()
    sale = campaign.big_sales[0]
    col = LABELS + (sale.start - campaign.start).days + 1
    assert ws.cell(1, col).value == sale.name
    assert ws.cell(HEAD_ROWS, col).fill.fgColor.rgb.endswith(SALE_FILL[1:])


def test_the_printed_orders_and_videos_keep_their_reason_codes_hidden_and_lines_apart(
    planned, printed,
) -> None:
    """订单 and 视频 print the reasons in words, each row as tall as its wrapped lines (no
    sentence runs over the next row's), and the 原因代码 column stays in the file for
    scripts but hidden, on screen and on paper."""
    out, _, _ = planned
    pdf, pages = printed
    book = openpyxl.load_workbook(out / "plan.xlsx")
    for sheet in ("订单", "视频"):
        ws = book[sheet]
        header = [c.value for c in ws[1]]
        codes = header.index("原因代码") + 1
        assert ws.column_dimensions[get_column_letter(codes)].hidden, sheet
        reasons = header.index("原因") + 1
        for row in range(2, ws.max_row + 1):
            lines = str(ws.cell(row, reasons).value or "").count("\n") + 1
            if lines > 1:
                assert (ws.row_dimensions[row].height or 0) >= 15 * lines, (sheet, row)
        printed_text = "".join(p for p in pages if _sheet_of(p) == sheet)
        assert "原因代码" not in printed_text and "roi_above_floor" not in printed_text, sheet
    first = next(i for i, page in enumerate(pages, start=1) if _sheet_of(page) == "订单")
    assert _png(pdf, first, "orders_page1").stat().st_size > 20_000
