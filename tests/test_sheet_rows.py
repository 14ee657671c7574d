"""A streamed sheet's rows written by ``SheetRows`` are XlsxWriter's own bytes."""

from __future__ import annotations

import datetime as dt
import math
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

from planner.io import sheet_rows
from planner.io.plan_files import write_plan_xlsx
from planner.io.sheet_rows import VERIFIED_XLSXWRITER, Cell, SheetRows
from planner.jobs.plan import load_inputs, plan_with_margin
from planner.links import links_sheets, links_table

_Table = Callable[[xlsxwriter.Workbook], list[tuple[Sequence[Cell], float | None, str | None]]]

_TEXTS = [
    "",
    "plain",
    "a & b < c > d \"quoted\" 'single'",
    "line one\nline two\n\nline four",
    " leading space",
    "trailing space ",
    "\ttab first",
    "ends with a line break\n",
    "\u3000全角空格开头",
    "control \x01 \x08 \x0b \x1f characters",
    "an escape-like _x0041_ kept",
    "snake_case_name and _x12_ and _X00AF_",
    "ends with a no-break space\u00a0",
    "\u2028starts with a line separator",
    "\x85next line first",
    "zero width\u200b",
    "\r\ncarriage return first",
    "non-characters \ufffe \uffff",
    "=1+1",
    "@SUM(A1)",
    "<r>looks like rich text</r>",
    "<r>half",
    "达人「小美」的视频：高意向人群，成交额 ¥1,234.50。",
    "emoji 🙂 and 𠀀",
    "long " * 2_000,
    "x" * 16_383,
    "y" * 16_384,  # past half of Excel's limit: written by XlsxWriter
    "z" * 40_000,  # past Excel's limit: XlsxWriter cuts it
]

_NUMBERS = [0.0, -0.0, 1.0, -1.5, 0.1 + 0.2, 1 / 3, 1e-7, 5e-324, 2.2250738585072014e-308,
            1e15, 1e16, 123456789012345678.0, 1.7976931348623157e308, -1e-300, 1234567.891,
            float(2**53 + 1), math.nan, math.inf, -math.inf]


def _every_kind(book: xlsxwriter.Workbook) -> list[tuple[Sequence[Cell], float | None, str | None]]:
    """Rows of every kind of cell, some with a height and a format, some empty."""
    fmt: dict[str | None, Format | None] = {
        None: None,
        "wrap": book.add_format({"text_wrap": True, "valign": "top"}),
        "top": book.add_format({"valign": "top"}),
        "money": book.add_format({"num_format": "#,##0", "valign": "top"}),
        "date": book.add_format({"num_format": "yyyy-mm-dd"}),
        "same_as_top": book.add_format({"valign": "top"}),  # a duplicate format
    }
    rows: list[tuple[Sequence[Cell], float | None, str | None]] = [
        ([("s", f"header {i}", fmt["top"]) for i in range(6)], None, None)]
    for i, text in enumerate(_TEXTS):
        rows.append(([("s", text, None), ("s", text, fmt["wrap"]), None,
                      ("n", float(i), fmt["money"]), ("s", text, fmt["same_as_top"]),
                      ("n", -float(i), None)],
                     30.0 if i % 3 == 0 else None, "top" if i % 2 == 0 else None))
    for i, number in enumerate(_NUMBERS):
        rows.append(([("n", number, None), ("n", number, fmt["money"]), None, None,
                      ("s", str(number), None)], 15.0 * (i % 4) or None, None))
    rows += [
        ([], 45.0, "top"),  # a row with a height and a format and no cells
        ([], None, None),  # an empty row: nothing written
        ([None, None, ("n", 7.0, None)], None, None),  # its first cell in the third column
        ([("d", dt.date(2025, 11, 11), fmt["date"]), ("d", dt.date(1900, 2, 28), None),
          ("d", dt.datetime(2025, 6, 18, 20, 30, 15), None), ("b", True, None),
          ("b", False, fmt["top"])], None, None),
        ([("d", dt.date(2025, 6, 18), None), ("d", dt.datetime(2025, 1, 1, 0, 0, 1),
                                              fmt["date"])], 21.75, "wrap"),
        ([("s", "中文" * 50, fmt["wrap"]), ("n", 0.5, fmt["money"])], 60.0, None),
        ([("s", "the last row", None), None, ("n", 3.0, None)], 30.0, "top"),
    ]
    return [(cells, height, row_format and fmt[row_format]) for cells, height, row_format
            in rows]


_Hook = Callable[[xlsxwriter.Workbook, Worksheet], None]


def _book(path: Path, table: _Table, *, fast: bool, before: _Hook | None = None,
          after: _Hook | None = None, **options: object) -> None:
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True, "tmpdir": str(path.parent),
                                           "nan_inf_to_errors": True, **options})
    book.set_properties({"created": dt.datetime(2025, 1, 1)})
    ws = book.add_worksheet("table")
    rows = table(book)
    if before:
        before(book, ws)
    sheet = SheetRows(ws, fast=fast)
    for r, (cells, height, row_format) in enumerate(rows):
        if height is None:
            sheet.row(r, cells)
        else:
            sheet.row(r, cells, height, row_format)
    sheet.close()
    if after:
        after(book, ws)
    book.close()


def _members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _same_book(tmp_path: Path, table: _Table, **hooks: object) -> None:
    (tmp_path / "ours").mkdir()
    (tmp_path / "theirs").mkdir()
    ours, theirs = tmp_path / "ours" / "t.xlsx", tmp_path / "theirs" / "t.xlsx"
    _book(ours, table, fast=True, **hooks)  # type: ignore[arg-type]
    _book(theirs, table, fast=False, **hooks)  # type: ignore[arg-type]
    mine, xlsxwriters = _members(ours), _members(theirs)
    assert mine.keys() == xlsxwriters.keys()
    for name in mine:
        assert mine[name] == xlsxwriters[name], (
            f"{name} differs from XlsxWriter {xlsxwriter.__version__}'s own: SheetRows no "
            "longer writes that version's bytes. Fix SheetRows to match (read XlsxWriter's "
            "Worksheet._write_single_row, _write_row and _write_cell), or leave the version "
            "out of VERIFIED_XLSXWRITER so every row goes through XlsxWriter.")


def test_rows_written_here_are_xlsxwriters_bytes_for_every_kind_of_cell(tmp_path: Path) -> None:
    _same_book(tmp_path, _every_kind)


def test_rows_written_here_take_a_columns_format_and_leave_the_sheet_as_xlsxwriter_does(
        tmp_path: Path) -> None:
    """Cells of a column given a format before the table take it; the sheet's dimensions,
    filter, widths and later rows after the table are XlsxWriter's."""
    def before(book: xlsxwriter.Workbook, ws: Worksheet) -> None:
        ws.set_column(4, 4, 20, book.add_format({"italic": True}))
        ws.set_column(5, 5, 12, book.add_format({"num_format": "0.00%"}))

    def after(book: xlsxwriter.Workbook, ws: Worksheet) -> None:
        ws.set_column(0, 1, 30)
        ws.autofilter(0, 0, 10, 5)
        ws.freeze_panes(1, 0)
        ws.write_string(80, 0, "after the table")
        ws.set_row(81, 40)

    _same_book(tmp_path, _every_kind, before=before, after=after)


def test_dates_without_a_format_take_the_workbooks_default_as_in_xlsxwriter(
        tmp_path: Path) -> None:
    _same_book(tmp_path, _every_kind, default_date_format="dd/mm/yy hh:mm")


def test_times_with_a_zone_are_xlsxwriters_when_it_removes_the_zone(tmp_path: Path) -> None:
    beijing = dt.timezone(dt.timedelta(hours=8))
    _same_book(tmp_path, lambda book: [
        ([("d", dt.datetime(2025, 11, 11, 20, 0, tzinfo=beijing), None)], None, None),
        ([("d", dt.datetime(2025, 11, 11, 12, 0, tzinfo=dt.UTC), None),
          ("d", dt.datetime(2025, 11, 11, 12, 0), None)], None, None),
        ([("d", dt.date(2025, 11, 11), None)], None, None),
        ([("s", "last", None)], None, None),
    ], remove_timezone=True)


def test_a_table_of_one_row_is_xlsxwriters(tmp_path: Path) -> None:
    _same_book(tmp_path, lambda book: [([("s", "only", None), ("n", 1.0, None)], None, None)])


def test_a_sheet_not_streamed_has_every_row_written_by_xlsxwriter(tmp_path: Path) -> None:
    book = xlsxwriter.Workbook(str(tmp_path / "t.xlsx"))
    ws = book.add_worksheet()
    assert not sheet_rows.writes_rows_itself(ws)
    book.close()


def test_rows_are_written_here_only_with_a_verified_xlsxwriter(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    book = xlsxwriter.Workbook(str(tmp_path / "t.xlsx"), {"constant_memory": True})
    ws = book.add_worksheet()
    assert sheet_rows.writes_rows_itself(ws)
    monkeypatch.setattr(sheet_rows, "VERIFIED_XLSXWRITER", frozenset({"0.0.1"}))
    assert not sheet_rows.writes_rows_itself(ws)
    book.close()


def test_the_installed_xlsxwriter_is_one_whose_rows_are_verified() -> None:
    assert xlsxwriter.__version__ in VERIFIED_XLSXWRITER, (
        f"XlsxWriter {xlsxwriter.__version__} is installed, but SheetRows writes plan.xlsx's "
        f"rows itself only for {sorted(VERIFIED_XLSXWRITER)} (with any other it leaves them "
        "to XlsxWriter, slower). Run tests/test_sheet_rows.py: if the byte comparisons pass, "
        "add the version to VERIFIED_XLSXWRITER in planner/io/sheet_rows.py; if not, fix "
        "SheetRows first.")


def test_plan_xlsx_is_the_same_whether_its_rows_are_written_here_or_by_xlsxwriter(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The bundled closed-loop sample (a live room, reasons on several lines) with its links
    sheets, and a hand-made plan of awkward texts."""
    from tests.test_plan_files import _plan

    root = Path(__file__).resolve().parent.parent / "sample_data"
    campaign_path = root / "campaign_closed_loop.toml"
    campaign, roster, _ = load_inputs(campaign_path, root / "videos.csv")
    sample = plan_with_margin(roster, campaign, campaign_path.name)
    links = links_sheets(links_table(sample, roster, campaign, slugs={}))

    def both(name: str) -> None:
        write_plan_xlsx(sample, tmp_path / f"sample_{name}.xlsx", extra_sheets=links,
                        campaign=campaign)
        write_plan_xlsx(_plan(), tmp_path / f"made_{name}.xlsx")

    both("ours")
    monkeypatch.setattr(sheet_rows, "VERIFIED_XLSXWRITER", frozenset())
    both("theirs")
    for plan in ("sample", "made"):
        ours, theirs = (_members(tmp_path / f"{plan}_{name}.xlsx") for name in ("ours", "theirs"))
        assert ours == theirs
