# Long on purpose: plan.json, every sheet of the workbook and the CSVs are written from one layout.
"""Write a ``Plan`` as ``plan.json`` and ``plan.xlsx``, and tables as safe CSV.

Spreadsheet safety: KOL names, products, targeting notes and reasons come from
files buyers fill in by hand, so any of them may start with ``=``, ``+``, ``-``
or ``@``. In ``plan.xlsx`` every text value is written with ``write_string``,
which stores it as a string cell that Excel never evaluates, and the text is
kept exactly. A CSV has no cell types, so ``write_csv`` prefixes such text
with ``'`` instead (OWASP's advice against CSV injection).
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import functools
import io
import math
import numbers
import os
import re
import sys
import tempfile
import unicodedata
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from planner.collector import collector_paused
from planner.i18n import (
    chain_name,
    current_lang,
    has,
    mode_name,
    money,
    money_axis_divisor,
    reason_text,
    solver_name,
    status_name,
    t,
    targeting_name,
    tier_name,
    tool_name,
    use_lang,
)
from planner.io.atomic import atomic_path, atomic_write_bytes, check_outputs, ensure_not_input
from planner.io.sheet_rows import Cell, SheetRows
from planner.io.sheet_rows import put as put_cell
from planner.models import Plan, Reason
from planner.parsing import is_pandas_blank
from planner.stopwatch import Stopwatch
from planner.table import Table
from planner.tools import LIVE_ROOM_ID, SALE_FILL, TOOL_COLOURS, Tool

if TYPE_CHECKING:  # the workbook writer loads when a workbook is written
    import pandas as pd
    import xlsxwriter
    from xlsxwriter.format import Format
    from xlsxwriter.worksheet import Worksheet

    from planner.config import Campaign

__all__ = [
    "DAILY_CSV",
    "DAILY_SHEET_MAX_ROWS",
    "LineChart",
    "ScheduleCalendar",
    "builtin_sheets",
    "column_header",
    "inert_text",
    "live_room_frame",
    "plan_json_bytes",
    "plan_json_schema",
    "plan_to_json",
    "plan_vs_actual_frame",
    "schedule_rows",
    "write_csv",
    "write_frames_xlsx",
    "write_plan",
    "write_plan_xlsx",
]

NumKind = Literal["money", "ratio", "share"]

_NUM_FORMATS: dict[NumKind, str] = {"money": "#,##0", "ratio": "0.00", "share": "0.0%"}
_DATE_FORMAT = "yyyy-mm-dd"
_DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
_MIN_WIDTH = 8
_MAX_WIDTH = 60
# Room for the autofilter's drop-down arrow next to the header text.
_HEADER_PAD = 3
# The height of one line of text in a row, in points (Excel's default row).
_LINE_HEIGHT = 15

# Column names are matched by word so that extra sheets written by other
# modules (KPI, Changes, ...) get the same formats without declaring them.
_SHARE_WORDS = frozenset({"share", "gap"})
_RATIO_WORDS = frozenset({"roi", "gpm", "cpm"})
_MONEY_WORDS = frozenset({"budget", "spend", "gmv", "bound", "fee", "fees", "unspent", "cost"})

_DANGEROUS_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


# --------------------------------------------------------------------------- JSON


def plan_to_json(plan: Plan) -> str:
    """The exact text of ``plan.json``."""
    return plan_json_bytes(plan).decode("utf-8")


def plan_json_bytes(plan: Plan) -> bytes:
    """``plan.json`` as its UTF-8 bytes: ``plan.model_dump_json(indent=2)`` and a newline,
    serialised straight to bytes (a plan of 20,000 videos is some 30 MB of text, which
    would otherwise be decoded to a string and encoded back to write it)."""
    return plan.__pydantic_serializer__.to_json(plan, indent=2) + b"\n"


def plan_json_schema() -> dict[str, Any]:
    """JSON Schema of ``plan.json``; ``schema/plan.schema.json`` must equal it."""
    return Plan.model_json_schema()


# --------------------------------------------------------------------------- CSV


def inert_text(value: str) -> str:
    """Prefix text a spreadsheet would run as a formula with ``'``."""
    if value.startswith(_DANGEROUS_PREFIXES):
        return "'" + value
    return value


def _inert_cell(value: object) -> object:
    return inert_text(value) if isinstance(value, str) else value


def csv_bytes(df: pd.DataFrame | Table) -> bytes:
    """``df`` (without its index) as UTF-8 CSV bytes with a BOM and CRLF line ends.

    The BOM makes Excel read Chinese text as UTF-8 instead of the system code
    page; every text cell and header is passed through ``inert_text``. A ``Table``
    (``planner plan``'s links) is written without pandas, cell for cell as pandas
    writes the same values.
    """
    if isinstance(df, Table):
        return _table_csv_bytes(df)
    import pandas as pd

    safe = df.copy()
    # Positional labels, so duplicate column names are handled one by one.
    safe.columns = pd.RangeIndex(df.shape[1])
    for col in safe.columns:
        series = safe[col]
        if not (
            pd.api.types.is_object_dtype(series.dtype)
            or pd.api.types.is_string_dtype(series.dtype)
            or isinstance(series.dtype, pd.CategoricalDtype)
        ):
            continue
        safe[col] = series.astype(object).map(_inert_cell)
    safe.columns = pd.Index([_inert_cell(c) for c in df.columns])
    return safe.to_csv(index=False, lineterminator="\r\n").encode("utf-8-sig")


def _csv_text(value: object) -> str:
    """A cell as pandas' ``to_csv`` writes it: blank for a missing value, a float by its
    shortest repr, a date in ISO form, text made inert."""
    if value is None or is_pandas_blank(value):
        return ""
    if isinstance(value, float):
        return "" if math.isnan(value) else repr(value)
    if isinstance(value, str):
        return inert_text(value)
    return str(value)


def _table_csv_bytes(table: Table) -> bytes:
    handle = io.StringIO()
    writer = csv.writer(handle, lineterminator="\r\n")
    writer.writerow([_csv_text(c) for c in table.columns])
    writer.writerows([_csv_text(c) for c in row] for row in table.rows())
    return handle.getvalue().encode("utf-8-sig")


def write_csv(df: pd.DataFrame, path: Path | str) -> None:
    """Write ``csv_bytes(df)`` atomically."""
    atomic_write_bytes(path, csv_bytes(df))


# --------------------------------------------------------------------------- XLSX


def _num_kind(column: str) -> NumKind | None:
    words = set(re.split(r"[^0-9a-z]+", column.lower()))
    if words & _SHARE_WORDS:
        return "share"
    if words & _RATIO_WORDS:
        return "ratio"
    if words & _MONEY_WORDS:
        return "money"
    return None


def _text_width(text: str) -> int:
    if text.isascii():  # most cells: one column per character, no per-character lookup
        return len(text)
    return _wide_text_width(text)


@functools.lru_cache(maxsize=8192)
def _wide_text_width(text: str) -> int:
    """Columns of a text with non-ASCII characters: East Asian wide/full-width ones take two
    in Excel's grid. Cached: a plan's reasons, tiers and tool lists repeat over its rows, and
    each is measured to size its column and again to count its lines."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def _display(value: object, kind: NumKind | None) -> str:
    """Roughly what Excel shows, only to size the column."""
    if isinstance(value, str):
        return max(value.split("\n"), key=_text_width, default="")
    if isinstance(value, dt.datetime):
        return "yyyy-mm-dd hh:mm"
    if isinstance(value, dt.date):
        return "yyyy-mm-dd"
    if isinstance(value, (bool, np.bool_)):
        return "FALSE"
    if isinstance(value, numbers.Real):
        number = float(value)
        if not math.isfinite(number):
            return ""
        if kind == "money":
            return f"{number:,.0f}"
        if kind == "ratio":
            return f"{number:.2f}"
        if kind == "share":
            return f"{number * 100:.1f}%"
        return f"{number:.6g}"
    return str(value)


def _is_missing(value: object) -> bool:
    if value is None or is_pandas_blank(value):
        return True
    return (
        isinstance(value, numbers.Real)
        and not isinstance(value, (bool, np.bool_))
        and (not math.isfinite(float(value)))
    )


@dataclass
class _Styles:
    book: xlsxwriter.Workbook
    header: Format
    section: Format
    wrap: Format
    top: Format
    date: Format
    datetime: Format
    numbers: dict[NumKind, Format]
    # The reasons' sentences said so far (``_reasons_text``): a plan's reasons repeat over
    # its rows, so each distinct one is put in words once per workbook.
    said: _Said = field(default_factory=lambda: _Said())

    @classmethod
    def build(cls, book: xlsxwriter.Workbook) -> _Styles:
        return cls(
            book=book,
            header=book.add_format({"bold": True, "bg_color": "#DDEBF7", "bottom": 1}),
            section=book.add_format({"bold": True}),
            wrap=book.add_format({"text_wrap": True, "valign": "top"}),
            # Every cell at the top of its row: a row grown for wrapped text reads as one line.
            top=book.add_format({"valign": "top"}),
            date=book.add_format({"num_format": _DATE_FORMAT, "valign": "top"}),
            datetime=book.add_format({"num_format": _DATETIME_FORMAT, "valign": "top"}),
            numbers={k: book.add_format({"num_format": f, "valign": "top"})
                     for k, f in _NUM_FORMATS.items()},
        )


def _cell_of(value: object, kind: NumKind | None, styles: _Styles) -> Cell:
    """How a value is written, by its Python type (a ``sheet_rows`` cell, None for an
    empty one); text never becomes a formula."""
    if _is_missing(value):
        return None
    if isinstance(value, str):
        # write_string, never write(): write() turns "=..." into a formula.
        return ("s", value, styles.wrap if "\n" in value else None)
    if isinstance(value, (bool, np.bool_)):
        return ("b", bool(value), None)
    if isinstance(value, dt.datetime):
        stamp = value
        pd = sys.modules.get("pandas")  # a Timestamp exists only once pandas is loaded
        if pd is not None and isinstance(value, pd.Timestamp):
            stamp = value.to_pydatetime()
        # Excel has no time zones; keep the wall-clock time the buyer saw.
        naive = stamp.replace(tzinfo=None)
        if naive.time() == dt.time():
            return ("d", naive.date(), styles.date)
        return ("d", naive, styles.datetime)
    if isinstance(value, dt.date):
        return ("d", value, styles.date)
    if isinstance(value, numbers.Real):
        return ("n", float(value), styles.numbers[kind] if kind else None)
    if isinstance(value, (list, tuple)):
        return _cell_of("\n".join(str(v) for v in value), kind, styles)
    return _cell_of(str(value), kind, styles)


def _write_cell(
    ws: Worksheet, row: int, col: int, value: object, kind: NumKind | None, styles: _Styles
) -> None:
    """Write one value by its Python type (``_cell_of``)."""
    put_cell(ws, row, col, _cell_of(value, kind, styles))


def _write_table(
    ws: Worksheet,
    headers: Sequence[str],
    rows: Sequence[Sequence[object]],
    styles: _Styles,
    *,
    kinds: Sequence[NumKind | None] | None = None,
    hidden: Collection[str] = (),
    printed: range | None = None,
) -> None:
    """A table with a bold frozen header, an autofilter and fitted widths.

    ``kinds`` gives each column's number format; by default it is read from the
    header (an English column id such as ``budget`` or ``traffic_roi``). Columns headed
    by a name in ``hidden`` are kept for scripts but hidden (on screen and on paper).
    Text wider than its column wraps inside it, its row as tall as its lines, so printed
    lines never run over each other. Printed (``printed``: the columns that print, all by
    default): A4 landscape, the header on every page, text at 8 pt or more
    (``_print_layout``).
    """
    kinds = list(kinds) if kinds is not None else [_num_kind(h) for h in headers]
    count = len(headers)
    measured = [_measure_column((row[col] for row in rows if len(row) > col), kinds[col],
                                _text_width(header) + _HEADER_PAD)
                for col, header in enumerate(headers)]
    widths = [width for width, _ in measured]
    texts = [text for _, text in measured]
    widths = [min(max(width, _MIN_WIDTH), _MAX_WIDTH) for width in widths]
    shown = [col for col in (printed if printed is not None else range(count))
             if headers[col] not in hidden]
    widths, scale, keys = _print_layout(headers, widths, shown, texts)
    rooms = [width - 2 for width in widths]
    for col, header in enumerate(headers):
        ws.write_string(0, col, header, styles.header)
    sheet = SheetRows(ws)
    counted: list[dict[str, int]] = [{} for _ in headers]  # each column's texts' lines
    # Column by column, a block of rows at a time (a block's cells, not the sheet's, are
    # held at once): each cell's kind, value and format, and each row's lines; then the rows.
    for start in range(0, len(rows), _ROWS_AT_ONCE):
        block = rows[start:start + _ROWS_AT_ONCE]
        if any(len(row) != count for row in block):
            block = [(*row[:count], *(None,) * (count - len(row))) for row in block]
        lines = [1] * len(block)
        cells = [_column_cells(values, kinds[col], rooms[col], styles, lines, counted[col])
                 for col, values in enumerate(zip(*block, strict=True))]
        for r, row_cells in enumerate(zip(*cells, strict=True), start=start + 1):
            # The row's height with it: a streamed sheet cannot go back to a row it has left.
            if lines[r - start - 1] > 1:
                sheet.row(r, row_cells, _LINE_HEIGHT * lines[r - start - 1], styles.top)
            else:
                sheet.row(r, row_cells)
    sheet.close()
    for col, width in enumerate(widths):
        if headers[col] in hidden:
            ws.set_column(col, col, width, None, {"hidden": True})
        else:
            ws.set_column(col, col, width)
    ws.freeze_panes(1, 0)
    if headers:
        ws.autofilter(0, 0, len(rows), len(headers) - 1)
    _print_on(ws, _A4)
    ws.repeat_rows(0)
    if scale is None:
        ws.fit_to_pages(1, 0)
    else:  # several pages across, left to right first, each with the rows' key columns
        ws.set_print_scale(scale)
        ws.print_across()
        ws.repeat_columns(0, keys - 1)


# Rows whose cells ``_write_table`` prepares at once.
_ROWS_AT_ONCE = 4096

def _measure_column(values: Iterable[object], kind: NumKind | None,
                    width: int) -> tuple[int, bool]:
    """``width`` grown to fit the widest of ``values`` as shown (``_display``), stopping at
    the cap, each distinct text measured once; and whether any value is text."""
    texts: set[str] = set()
    floats: list[float] = []
    for value in values:
        if type(value) is float:
            floats.append(value)
        elif isinstance(value, str):
            texts.add(value)
        elif value is not None:  # None shows as 6 columns at most, under the least width
            width = max(width, _text_width(_display(value, kind)) + 2)
    if kind is None:
        shown: Iterable[float] = set(floats)  # equal numbers show alike (0 and -0: narrow)
    else:
        # Money, ratios and shares round to a fixed number of places, so a number shows no
        # wider than the largest or the most negative: only those two are measured.
        finite = [number for number in floats if math.isfinite(number)]
        shown = (min(finite), max(finite)) if finite else ()
    for number in shown:
        width = max(width, _text_width(_display(number, kind)) + 2)
    for text in texts:
        if width >= _MAX_WIDTH:  # a column at the cap cannot grow: stop measuring
            break
        if len(text) * 2 + 2 > width:  # no character is wider than two columns
            width = max(width, _text_width(_display(text, kind)) + 2)
    return width, bool(texts)


def _column_cells(values: Sequence[object], kind: NumKind | None, room: int, styles: _Styles,
                  lines: list[int], counted: dict[str, int]) -> list[Cell]:
    """Each of a column's ``values`` (rows of a block) as a cell (``_cell_of``), text wider
    than ``room`` wrapping. Raises ``lines`` (per row) to the lines of the column's text;
    ``counted`` keeps the lines of the column's texts from block to block."""
    number = styles.numbers[kind] if kind else None
    short = room // 2  # text this long fits on one line: no character is wider than two
    cells: list[Cell] = []
    for i, value in enumerate(values):
        if type(value) is float:
            cells.append(("n", value, number) if math.isfinite(value) else None)
        elif isinstance(value, str):
            found = 1 if len(value) <= short and "\n" not in value else counted.get(value)
            if found is None:
                found = counted[value] = _line_count(value, room)
            if found > 1:  # a line break, or wider than the column: it wraps
                lines[i] = max(lines[i], found)
                cells.append(("s", value, styles.wrap))
            else:
                cells.append(("s", value, None))
        elif value is None:
            cells.append(None)
        else:
            cells.append(_cell_of(value, kind, styles))
    return cells


# Printing a table: A4 landscape's printable width (less Excel's 0.7-inch side margins)
# in points; the least print scale, in percent, that keeps 11 pt text at 8 pt or more; how
# narrow a column of long text may get to print one page wide (it wraps on more lines).
_A4_PRINT_WIDTH_PT = 741.0
_LEAST_PRINT_SCALE = 75
_LEAST_TEXT_WIDTH = 24


def _column_pt(width: float) -> float:
    """A column ``width`` characters wide in points, as wide as it prints anywhere: a
    character is 7 px in Excel's Calibri and 9.33 px in LibreOffice without it (DejaVu Sans's
    digit), 5 px of padding, at 96 px an inch."""
    return (width * 9.33 + 5) * 0.75


def _print_layout(headers: Sequence[str], widths: Sequence[int], shown: Sequence[int],
                  texts: Sequence[bool]) -> tuple[list[int], int | None, int]:
    """How a table prints legibly: its column widths, a print scale (None: fit to one page
    wide, which keeps the text at 8 pt or more) and how many key columns every page repeats.

    One page wide when the printed columns fit at 75 % (8.25 pt), narrowing the widest
    columns of text (down to ``_LEAST_TEXT_WIDTH``; they wrap) if that makes them fit;
    else at 75 % on several pages across, each starting with the key columns (up to the
    KOL's: 视频ID, 达人), the text columns as wide as their text.
    """
    room = _A4_PRINT_WIDTH_PT * 100 / _LEAST_PRINT_SCALE
    narrowed = list(widths)
    while sum(_column_pt(narrowed[c]) for c in shown) > room:
        wide = [c for c in shown if texts[c] and narrowed[c] > _LEAST_TEXT_WIDTH]
        if not wide:
            kol = column_header("kol_name")
            keys = list(headers).index(kol) + 1 if kol in headers[:3] else 1
            return list(widths), _LEAST_PRINT_SCALE, keys
        narrowed[max(wide, key=lambda c: narrowed[c])] -= 1
    return narrowed, None, 0


def _line_count(text: str, room: int) -> int:
    """How many lines ``text`` takes in a column ``room`` characters wide."""
    return sum(max(1, math.ceil(_text_width(part) / room)) for part in text.split("\n"))


# xlsxwriter's paper codes.
_A4 = 9
_A3 = 8


def _print_on(ws: Worksheet, paper: int) -> None:
    """Landscape on ``paper`` with page numbers in the footer (the page header is set by
    ``_page_header`` for plan.xlsx's sheets, which know their plan)."""
    ws.set_landscape()
    ws.set_paper(paper)
    ws.set_footer("&C&P / &N")


def _page_header(ws: Worksheet, plan: Plan, sheet: str) -> None:
    """The campaign and the sheet in the middle, the plan date on the right, on every page."""
    ws.set_header(
        f"&C&\"-,Bold\"{_xl_header_text(plan.campaign)} {_xl_header_text(sheet)}"
        f"&R{_xl_header_text(t('summary.plan_date'))} {plan.plan_date.isoformat()}"
    )


@dataclass
class _Said:
    """The reasons' sentences said so far, to put each distinct reason in words once.

    ``by_key``: by its code, rule sentence and figures, each figure with its type (2 and
    2.0 read differently). ``by_id``: by the reason object itself, found without reading
    its figures: a plan's videos share their reason objects (about 2,300 behind 112,000
    reasons at 20,000 videos). Each entry keeps its reason alive, so an id is never
    another reason's.
    """

    by_key: dict[object, str] = field(default_factory=dict)
    by_id: dict[int, tuple[Reason, str]] = field(default_factory=dict)

    def line(self, r: Reason) -> str:
        known = self.by_id.get(id(r))
        if known is not None:
            return known[1]
        params = r.params
        key = (r.code, r.text,
               None if params is None else tuple((k, type(v), v) for k, v in params.items()))
        line = self.by_key.get(key)
        if line is None:
            line = self.by_key[key] = reason_text(r)
        self.by_id[id(r)] = (r, line)
        return line


def _reasons_text(reasons: Iterable[Reason], said: _Said | None = None) -> str:
    """The reasons in the buyer's words, one a line; their codes go to ``_reason_codes``.
    ``said`` puts each distinct reason in words once."""
    if said is None:
        return "\n".join(reason_text(r) for r in reasons)
    return "\n".join(map(said.line, reasons))


def _reason_codes(reasons: Iterable[Reason]) -> str:
    """The reasons' stable codes, one a line, in the same order (for scripts and
    ``planner check``)."""
    return "\n".join(r.code for r in reasons)


def _tool_label(tool: Tool | str) -> str:
    return tool_name(tool)


def column_header(column: str) -> str:
    """A column id as people read it ('video_id' -> '视频ID'); unknown ids stay as they are."""
    key = f"col.{column}"
    return t(key) if has(key) else column


def _sheet_headers(columns: Sequence[str]) -> list[str]:
    """A sheet's column ids as words when the catalogue knows every one, else the ids.

    All or nothing, so a sheet never mixes '花费（元）' with 'gmv'.
    """
    if all(has(f"col.{c}") for c in columns):
        return [column_header(c) for c in columns]
    return list(columns)


def _summary_sheet(ws: Worksheet, plan: Plan, styles: _Styles, _: ScheduleCalendar, *,
                   daily_file: str | None = None) -> None:
    """The plan in figures (left), what limits it, the next 10,000 yuan and the
    assumptions beside them (right), how it was solved in an appendix under the figures:
    one A4 landscape page at full size. Money in the unit the app shows
    (``summary.money_format``: 万 in Chinese), the exact yuan kept in the cells."""
    items: list[tuple[str, object, NumKind | None]] = [
        (t("summary.campaign"), plan.campaign, None),
        (t("summary.chain"), chain_name(plan.chain), None),
        (t("summary.plan_date"), plan.plan_date, None),
        (t("summary.status"), status_name(plan.status), None),
        (t("summary.budget"), plan.budget, "money"),
        (t("summary.total_spend"), plan.total_spend, "money"),
        (t("summary.unspent"), plan.unspent, "money"),
        (t("summary.expected_gmv"), plan.expected_gmv, "money"),
        *_range_items(plan),
        (t("summary.expected_roi"), plan.expected_roi, "ratio"),
        (t("summary.bound_gmv"), plan.bound_gmv, "money"),
        (t("summary.gap"), plan.gap, "share"),
        (t("summary.seeding_share"), plan.seeding_share, "share"),
        (t("summary.roi_floor"), plan.roi_floor, "ratio"),
        (t("summary.roi_floor_source"), plan.roi_floor_text(), None),
        (t("summary.kol_fees"), plan.kol_fees, "money"),
        # Too many daily rows for a sheet: where they are instead.
        *(((t("summary.daily_file"), t("summary.daily_file_value", file=daily_file,
                                       rows=f"{len(plan.daily):,}",
                                       sheet=t("sheet.daily")), None),)
          if daily_file is not None else ()),
    ]
    # The appendix: how the plan was solved, not a headline figure.
    appendix: list[tuple[str, object, NumKind | None]] = [
        (t("summary.solver"), solver_name(plan.solver), None),
        (t("summary.solve_seconds"), plan.solve_seconds, "ratio"),
    ]
    money_format = styles.book.add_format({"num_format": t("summary.money_format"),
                                           "valign": "top"})
    headers = (t("summary.item"), t("summary.value"))
    widths = [_text_width(h) + _HEADER_PAD for h in headers]
    for col, header in enumerate(headers):
        ws.write_string(0, col, header, styles.header)

    dropped = t("summary.money_unit")  # the unit a money label drops: its format shows it

    def figure(row: int, key: str, value: object, kind: NumKind | None) -> None:
        if kind == "money" and isinstance(value, numbers.Real):
            key = key.replace(dropped, "") if dropped else key
            ws.write_number(row, 1, float(value), money_format)
            shown = money(float(value))
        else:  # rows mix ratios, shares and text, so the format is chosen per row
            _write_cell(ws, row, 1, value, kind, styles)
            shown = _display(value, kind)
        ws.write_string(row, 0, key)
        widths[0] = max(widths[0], _text_width(key) + 2)
        widths[1] = max(widths[1], _text_width(shown) + 2)

    row = 0
    for row, (key, value, kind) in enumerate(items, start=1):
        figure(row, key, value, kind)
    ws.autofilter(0, 0, row, 1)
    row += 2
    ws.write_string(row, 0, t("summary.appendix"), styles.section)
    for key, value, kind in appendix:
        row += 1
        figure(row, key, value, kind)
    last = row

    # Beside the figures, in column D: each block's title, then its sentences, wrapped.
    blocks: tuple[tuple[str, list[str]], ...] = (
        (t("summary.binding"), plan.binding_text()),
        # Only plans made by `planner plan` carry the what-if; others skip the block.
        *(((t("summary.marginal"), plan.marginal),) if plan.marginal else ()),
        (t("summary.assumptions"), plan.assumptions_text()),
    )
    text_col, room = 3, _MAX_WIDTH - 2
    heights: dict[int, int] = {}
    at = -1
    for title, lines in blocks:
        at += 2
        ws.write_string(at, text_col, title, styles.section)
        for line in lines or [t("summary.none")]:
            at += 1
            ws.write_string(at, text_col, line, styles.wrap)
            heights[at] = _line_count(line, room)
    # Rows as tall as their wrapped lines: not every program grows them when it opens the file.
    for at_row, count in heights.items():
        if count > 1:
            ws.set_row(at_row, _LINE_HEIGHT * count, styles.top)
    for col, width in enumerate(widths):
        ws.set_column(col, col, min(max(width, _MIN_WIDTH), _MAX_WIDTH), styles.top)
    ws.set_column(2, 2, 3)
    ws.set_column(text_col, text_col, _MAX_WIDTH, styles.top)
    ws.freeze_panes(1, 0)
    # Printed: the whole summary on one A4 landscape page, at full size.
    _print_on(ws, _A4)
    ws.fit_to_pages(1, 1)
    ws.print_area(0, 0, max(last, at), text_col)


def _range_items(plan: Plan) -> list[tuple[str, object, NumKind | None]]:
    """The plan's GMV range, its risk attitude and what the other attitudes give (plans
    written before ranges existed have none)."""
    items: list[tuple[str, object, NumKind | None]] = [
        (t(f"summary.gmv_{q}"), plan.gmv_range[q], "money")
        for q in ("p10", "p50", "p90") if q in plan.gmv_range]
    risk = plan.risk
    if risk is None:
        return items
    items.append((t("summary.risk_objective"), t(f"risk.{risk.objective}"), None))
    items.append((t("summary.tail_gmv", share=risk.level), risk.tail_gmv, "money"))
    items += [(t("summary.attitude", objective=t(f"risk.{a.objective}")),
               f"{money(a.expected_gmv)} / {money(a.gmv_p10)}", None) for a in risk.attitudes]
    return items


def _kol_names(plan: Plan) -> dict[str, str]:
    names = {v.video_id: v.kol_name for v in plan.videos if v.kol_name}
    for o in plan.orders:
        if o.kol_name:
            names.setdefault(o.video_id, o.kol_name)
    if plan.live_room is not None:  # direct live-room buying names the room, not a KOL
        names[LIVE_ROOM_ID] = t("live_room.name")
    return names


def _orders_sheet(ws: Worksheet, plan: Plan, styles: _Styles, _: ScheduleCalendar) -> None:
    ids = (
        "video_id", "kol_name", "tool", "start_date", "end_date", "booking_date",
        "budget", "mode", "targeting", "expected_gmv", "gmv_p10", "gmv_p90", "expected_roi",
        "fixed", "reasons", "reason_codes",
    )
    names = _kol_names(plan)
    rows = [
        (
            o.video_id,
            names.get(o.video_id, ""),
            _tool_label(o.tool),
            o.start_date,
            o.end_date,
            o.booking_date,
            o.budget,
            mode_name(o.mode) or None,
            targeting_name(o.targeting) or None,
            o.expected_gmv,
            o.gmv_p10,
            o.gmv_p90,
            # A zero-budget order has no ROI; a blank cell says so better than 0.
            o.expected_gmv / o.budget if o.budget else None,
            t("bool.yes") if o.fixed else t("bool.no"),
            _reasons_text(o.reasons, styles.said),
            _reason_codes(o.reasons),
        )
        for o in plan.orders
    ]
    _write_table(ws, [column_header(c) for c in ids], rows, styles,
                 kinds=[_num_kind(c) for c in ids], hidden=[column_header("reason_codes")])


_DAILY_COLUMNS = ("date", "video_id", "kol_name", "tool", "spend", "expected_gmv")
# The 每日明细 sheet's rows at most: Excel's 1,048,576 rows less the header. A plan with more
# daily rows has them in DAILY_CSV beside the workbook (``write_plan``).
DAILY_SHEET_MAX_ROWS = 1_048_575
DAILY_CSV = "daily.csv"


def _daily_rows(plan: Plan) -> Iterator[tuple[dt.date, str, str, str, float, float]]:
    """The 每日明细 rows, day by day, for the sheet and for DAILY_CSV alike."""
    names = _kol_names(plan)
    for d in sorted(plan.daily, key=lambda d: (d.date, d.video_id, str(d.tool))):
        yield (d.date, d.video_id, names.get(d.video_id, ""), _tool_label(d.tool), d.spend,
               d.expected_gmv)


def _day_totals(plan: Plan) -> tuple[list[str], list[tuple[object, ...]]]:
    """The 每日明细's printed view: one row a day with spend, each tool's spend in its own
    column (the tools' order), the day's spend and its expected GMV."""
    tools = [tool for tool in Tool if any(Tool(d.tool) is tool for d in plan.daily)]
    by_day: dict[dt.date, dict[str, float]] = {}
    for d in plan.daily:
        day = by_day.setdefault(d.date, {})
        day[Tool(d.tool).value] = day.get(Tool(d.tool).value, 0.0) + d.spend
        day["spend"] = day.get("spend", 0.0) + d.spend
        day["expected_gmv"] = day.get("expected_gmv", 0.0) + d.expected_gmv
    headers = [t("daily.day_totals"), *(t("daily.tool_spend", tool=_tool_label(tool))
                                        for tool in tools),
               t("daily.spend_total"), column_header("expected_gmv")]
    rows: list[tuple[object, ...]] = [
        (day, *(figures.get(tool.value) for tool in tools), figures["spend"],
         figures["expected_gmv"]) for day, figures in sorted(by_day.items())]
    return headers, rows


def _daily_sheet(ws: Worksheet, plan: Plan, styles: _Styles, _: ScheduleCalendar) -> None:
    """Every daily row (for filters, scripts and ``planner check``) and, right of them after
    an empty column, one row a day with each tool's spend: what the sheet prints (A4
    landscape, a page or two) instead of a page for every thirty rows, which the 排期表
    prints day by day already. A day has a row only if it has spend, so the totals never
    reach below the daily rows (a reader of the sheet sees no empty rows)."""
    detail = list(_daily_rows(plan))
    headers, totals = _day_totals(plan)
    gap = len(_DAILY_COLUMNS)
    first = gap + 1
    kinds: list[NumKind | None] = [_num_kind(c) for c in _DAILY_COLUMNS]
    money: list[NumKind | None] = ["money"] * (len(headers) - 1)
    kinds += [None, None, *money]
    empty = (None,) * (len(headers) + 1)
    # One pass, row by row: the sheet is streamed, and a streamed row cannot be revisited.
    rows = [(*row, *((None, *totals[i]) if i < len(totals) else empty))
            for i, row in enumerate(detail)]
    _write_table(ws, [*(column_header(c) for c in _DAILY_COLUMNS), "", *headers], rows,
                 styles, kinds=kinds, printed=range(first, first + len(headers)))
    ws.set_column(gap, gap, 2)
    ws.autofilter(0, 0, len(detail), gap - 1)  # the filter is the daily rows'
    ws.print_area(0, first, max(len(totals), 1), first + len(headers) - 1)


def _write_daily_csv(plan: Plan, path: Path) -> None:
    """The 每日明细 rows as CSV (UTF-8 with a BOM, CRLF, text made inert, as ``csv_bytes``),
    streamed row by row: the plans that need it have millions of rows."""
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow([_inert_cell(column_header(c)) for c in _DAILY_COLUMNS])
        writer.writerows(
            (day.isoformat(), _inert_cell(video), _inert_cell(kol), _inert_cell(tool),
             spend, gmv)
            for day, video, kol, tool, spend, gmv in _daily_rows(plan)
        )


def _videos_sheet(ws: Worksheet, plan: Plan, styles: _Styles, _: ScheduleCalendar) -> None:
    ids = ("video_id", "kol_name", "tier", "gpm", "traffic_roi", "roi_p10", "roi_p90",
           "roi_source", "eligible_tools", "reasons", "reason_codes")
    # Tiers, ROI bases and tool lists repeat over the rows: each is put in words once.
    tier_words = functools.cache(tier_name)
    basis_words = functools.cache(
        lambda source: t(f"roi_basis.{source}") if source else None)
    tool_words = functools.cache(
        lambda tools: "、".join(_tool_label(tool) for tool in tools))
    rows = [
        (
            v.video_id,
            v.kol_name,
            tier_words(v.tier),
            v.gpm,
            v.traffic_roi,
            v.roi_p10,
            v.roi_p90,
            basis_words(v.roi_source),
            tool_words(tuple(v.eligible_tools)),
            _reasons_text(v.reasons, styles.said),
            _reason_codes(v.reasons),
        )
        for v in plan.videos
    ]
    _write_table(ws, [column_header(c) for c in ids], rows, styles,
                 kinds=[_num_kind(c) for c in ids], hidden=[column_header("reason_codes")])


def _frame_table(df: pd.DataFrame | Table) -> tuple[list[str], list[list[object]]]:
    if isinstance(df, Table):
        return list(df.columns), [list(row) for row in df.rows()]
    import pandas as pd

    if not isinstance(df.index, pd.RangeIndex) or any(n is not None for n in df.index.names):
        # A meaningful index (video_id, date, ...) would otherwise be lost.
        df = df.reset_index()
    headers = [
        " / ".join(str(p) for p in c) if isinstance(c, tuple) else str(c) for c in df.columns
    ]
    columns = [df.iloc[:, i].astype(object).tolist() for i in range(df.shape[1])]
    rows = [list(r) for r in zip(*columns, strict=True)] if columns else []
    return headers, rows


@dataclass(frozen=True)
class SaleDays:
    """A big sale's name and days, to shade and name in the schedule."""

    name: str
    start: dt.date
    end: dt.date


@dataclass(frozen=True)
class ScheduleCalendar:
    """The campaign's days (one schedule column each) and its big sales."""

    days: tuple[dt.date, ...]
    sales: tuple[SaleDays, ...] = ()

    @classmethod
    def of(cls, campaign: Campaign | None, plan: Plan) -> ScheduleCalendar:
        """Every day of the campaign with its sales; without one, the plan's own days."""
        if campaign is not None:
            first, last = campaign.start, campaign.end
            sales = tuple(SaleDays(s.name, s.start, s.end) for s in campaign.big_sales)
        elif plan.daily:
            first = min(d.date for d in plan.daily)
            last = max(d.date for d in plan.daily)
            sales = ()
        else:
            return cls(days=())
        # Spend recorded outside the campaign's dates (should not happen) still gets a column.
        if plan.daily:
            first = min(first, *(d.date for d in plan.daily))
            last = max(last, *(d.date for d in plan.daily))
        count = (last - first).days + 1
        return cls(days=tuple(first + dt.timedelta(days=i) for i in range(count)), sales=sales)

    def sale_on(self, day: dt.date) -> SaleDays | None:
        return next((s for s in self.sales if s.start <= day <= s.end), None)


@dataclass(frozen=True)
class ScheduleRow:
    """One row of the 排期表: a KOL video and a tool, with its yuan per day."""

    video_id: str
    kol_name: str
    tool: Tool
    modes: tuple[str, ...]
    spend: dict[dt.date, float]

    @property
    def total(self) -> float:
        return sum(self.spend.values())

    @property
    def shown_id(self) -> str:
        """The 视频ID cell: a dash for direct live-room buying, which is on the room (named
        in the KOL cell), not a video; files a script reads keep the id ``live_room``."""
        return "—" if self.video_id == LIVE_ROOM_ID else self.video_id


def schedule_rows(plan: Plan) -> list[ScheduleRow]:
    """The 排期表's rows: by tool (in the tools' order), then the biggest spender first."""
    names = _kol_names(plan)
    spend: dict[tuple[str, Tool], dict[dt.date, float]] = {}
    for d in plan.daily:
        if d.spend == 0:
            continue
        cell = spend.setdefault((d.video_id, Tool(d.tool)), {})
        cell[d.date] = cell.get(d.date, 0.0) + d.spend
    modes: dict[tuple[str, Tool], list[str]] = {}
    for o in plan.orders:
        if o.mode:
            found = modes.setdefault((o.video_id, Tool(o.tool)), [])
            if o.mode not in found:
                found.append(o.mode)
    rows = [
        ScheduleRow(video_id=vid, kol_name=names.get(vid, ""), tool=tool,
                    modes=tuple(sorted(modes.get((vid, tool), []))), spend=days)
        for (vid, tool), days in spend.items()
    ]
    order = {tool: i for i, tool in enumerate(Tool)}
    return sorted(rows, key=lambda r: (order[r.tool], -r.total, r.video_id))


# The 排期表's layout: two header rows (sale names, dates), four label columns.
_SCHEDULE_HEAD_ROWS = 2
_SCHEDULE_LABELS = ("kol_name", "video_id", "tool", "mode")
_SALE_FILL = SALE_FILL
_TOTAL_FILL = "#F2F2F2"
_DAY_WIDTH = 7.5


def _week_starts(days: Sequence[dt.date]) -> set[dt.date]:
    """The days that begin a printed week of the 排期表: every Monday after the first day."""
    return {day for day in days[1:] if day.weekday() == 0}


def _xl_header_text(text: str) -> str:
    """Text for Excel's page header: '&' is a control character there."""
    return text.replace("&", "&&")


def _schedule_sheet(ws: Worksheet, plan: Plan, styles: _Styles, cal: ScheduleCalendar) -> None:
    """排期表: KOL videos down the side, campaign days across, exact yuan in each cell."""
    book = styles.book
    money = "#,##0;-#,##0;\"\""  # zeros show as empty cells
    head = {"bold": True, "bg_color": "#DDEBF7", "border": 1, "align": "center",
            "valign": "vcenter", "text_wrap": True}
    f_head = book.add_format(head)
    f_head_sale = book.add_format({**head, "bg_color": _SALE_FILL})
    f_date = book.add_format({**head, "num_format": "m/d"})
    f_date_sale = book.add_format({**head, "num_format": "m/d", "bg_color": _SALE_FILL})
    f_label = book.add_format({"border": 1, "valign": "top"})
    f_cell = book.add_format({"num_format": money, "border": 1, "font_size": 9})
    f_cell_sale = book.add_format({"num_format": money, "border": 1, "font_size": 9,
                                   "bg_color": _SALE_FILL})
    f_total = book.add_format({"num_format": money, "border": 1, "bold": True, "font_size": 9,
                               "bg_color": _TOTAL_FILL})
    f_total_label = book.add_format({"border": 1, "bold": True, "bg_color": _TOTAL_FILL})

    days = cal.days
    first_day_col = len(_SCHEDULE_LABELS)
    total_col = first_day_col + len(days)
    day_col = {day: first_day_col + i for i, day in enumerate(days)}

    # Row 0: the campaign, then each big sale's name over its days; row 1: the headers.
    ws.write_string(0, 0, t("schedule.title", campaign=plan.campaign), styles.section)
    ws.set_row(0, 18)
    ws.set_row(1, 30)
    for col, label in enumerate(_SCHEDULE_LABELS):
        ws.write_string(1, col, column_header(label), f_head)
    for day, col in day_col.items():
        sale = cal.sale_on(day)
        ws.write_datetime(1, col, day, f_date_sale if sale else f_date)
    weeks = _week_starts(days)
    for sale in cal.sales:
        # Named over each printed week it spans, so every page says which sale it shows.
        runs: list[list[int]] = []
        for day in (d for d in days if sale.start <= d <= sale.end):
            if not runs or day in weeks:
                runs.append([])
            runs[-1].append(day_col[day])
        for cols in runs:
            if len(cols) == 1:
                ws.write_string(0, cols[0], sale.name, f_head_sale)
            else:
                ws.merge_range(0, cols[0], 0, cols[-1], sale.name, f_head_sale)
    ws.write_string(1, total_col, column_header("row_total"), f_head)

    rows = schedule_rows(plan)
    r = _SCHEDULE_HEAD_ROWS
    by_day: dict[dt.date, float] = {}
    by_tool: dict[Tool, dict[dt.date, float]] = {}
    for row in rows:
        labels = (row.kol_name, row.shown_id, _tool_label(row.tool),
                  "/".join(mode_name(m) for m in row.modes))
        for col, text in enumerate(labels):
            ws.write_string(r, col, text, f_label)
        for day, col in day_col.items():
            amount = row.spend.get(day, 0.0)
            fmt = f_cell_sale if cal.sale_on(day) else f_cell
            if amount:
                ws.write_number(r, col, round(amount, 2), fmt)
                by_day[day] = by_day.get(day, 0.0) + amount
                tool_days = by_tool.setdefault(row.tool, {})
                tool_days[day] = tool_days.get(day, 0.0) + amount
            else:
                ws.write_blank(r, col, None, fmt)
        ws.write_number(r, total_col, round(row.total, 2), f_total)
        r += 1
    data_end = r - 1

    # Totals: per day over every row, then per tool (the chart's series).
    totals: list[tuple[str, dict[dt.date, float]]] = [(t("schedule.day_total"), by_day)]
    totals += [(t("schedule.tool_total", tool=_tool_label(tool)), by_tool[tool])
               for tool in Tool if tool in by_tool]
    for label, amounts in totals:
        ws.write_string(r, 0, label, f_total_label)
        for col in range(1, first_day_col):
            ws.write_blank(r, col, None, f_total_label)
        for day, col in day_col.items():
            ws.write_number(r, col, round(amounts.get(day, 0.0), 2), f_total)
        ws.write_number(r, total_col, round(sum(amounts.values()), 2), f_total)
        r += 1

    names = [row.kol_name for row in rows] + [label for label, _ in totals]
    width = max([_text_width(column_header("kol_name")), *map(_text_width, names)]) + 2
    ws.set_column(0, 0, min(max(width, 10), 24))
    ws.set_column(1, 1, max(_text_width(column_header("video_id")) + 2, 9))
    tools = [_tool_label(row.tool) for row in rows] or [""]
    ws.set_column(2, 2, max(_text_width(column_header("tool")), *map(_text_width, tools)) + 2)
    modes = ["/".join(mode_name(m) for m in row.modes) for row in rows] or [""]
    ws.set_column(3, 3, max(_text_width(column_header("mode")), *map(_text_width, modes)) + 2)
    if days:
        ws.set_column(first_day_col, total_col - 1, _DAY_WIDTH)
    ws.set_column(total_col, total_col, 12)
    ws.freeze_panes(_SCHEDULE_HEAD_ROWS, first_day_col)
    if rows:
        ws.autofilter(1, 0, data_end, total_col)

    # Print: landscape, one page wide, the header rows and labels on every page.
    # Printed on A3 one calendar week (Monday to Sunday) a page, at full size (cells in 9 pt),
    # the labels and header rows repeated on every page. Not "fit to page": spreadsheet
    # programs ignore page breaks under fit.
    _print_on(ws, _A3)
    ws.set_v_pagebreaks(sorted(day_col[day] for day in weeks))
    ws.repeat_rows(0, _SCHEDULE_HEAD_ROWS - 1)
    ws.repeat_columns(0, first_day_col - 1)
    ws.set_margins(left=0.3, right=0.3, top=0.6, bottom=0.5)
    ws.print_area(0, 0, max(r - 1, 1), total_col)


# The spend chart's size in pixels; printed, it is scaled to fill one A4 landscape page.
_CHART_WIDTH = 1000
_CHART_HEIGHT = 620


def _chart_sheet(ws: Worksheet, plan: Plan, styles: _Styles, cal: ScheduleCalendar) -> None:
    """A native stacked-column chart of spend by day and tool, big-sale days marked.

    The chart is alone on its sheet, so it prints whole on one page; its data sit on
    the next sheet (花费图数据) in 万 (Chinese) or thousands of yuan (English), so the
    axis reads '300' rather than '3,000,000'.
    """
    divisor, unit_key = money_axis_divisor()
    unit = t(unit_key)
    tools = [tool for tool in Tool if any(Tool(d.tool) is tool for d in plan.daily)]
    by_day: dict[tuple[dt.date, Tool], float] = {}
    for d in plan.daily:
        key = (d.date, Tool(d.tool))
        by_day[key] = by_day.get(key, 0.0) + d.spend
    days = cal.days
    peak = max((sum(by_day.get((day, tool), 0.0) for tool in tools) for day in days), default=0)
    sheet = t("sheet.chart_data")
    data = styles.book.add_worksheet(sheet)
    first = 0
    headers = [column_header("date"), *(_tool_label(tool) for tool in tools),
               t("schedule.sale_band")]
    for col, header in enumerate(headers):
        data.write_string(first, col, header, styles.header)
    scaled = styles.book.add_format({"num_format": "#,##0.0"})
    for i, day in enumerate(days, start=first + 1):
        data.write_datetime(i, 0, day, styles.date)
        for col, tool in enumerate(tools, start=1):
            data.write_number(i, col, round(by_day.get((day, tool), 0.0) / divisor, 3), scaled)
        sale = cal.sale_on(day)
        # The sale band: an area as high as the tallest day, on sale days only.
        data.write_number(i, len(tools) + 1, round(peak * 1.05 / divisor, 3) if sale else 0.0,
                          scaled)
    data.set_column(0, 0, 12)
    data.set_column(1, len(headers) - 1, 11)
    data.freeze_panes(1, 0)
    _print_on(data, _A4)
    data.fit_to_pages(1, 0)
    data.repeat_rows(0)
    # Printed: the chart whole on one A4 landscape page.
    _print_on(ws, _A4)
    ws.fit_to_pages(1, 1)
    if not days or not tools:
        return
    last = first + len(days)
    columns = styles.book.add_chart({"type": "column", "subtype": "stacked"})
    for col in range(1, len(tools) + 1):
        columns.add_series({
            "name": [sheet, first, col],
            "categories": [sheet, first + 1, 0, last, 0],
            "values": [sheet, first + 1, col, last, col],
            "gap": 30,
            "fill": {"color": TOOL_COLOURS[tools[col - 1]]},
        })
    chart = columns
    if cal.sales:
        band = styles.book.add_chart({"type": "area"})
        band.add_series({
            "name": ", ".join(s.name for s in cal.sales),
            "categories": [sheet, first + 1, 0, last, 0],
            "values": [sheet, first + 1, len(tools) + 1, last, len(tools) + 1],
            "fill": {"color": _SALE_FILL, "transparency": 30},
            "border": {"none": True},
        })
        band.combine(columns)
        chart = band
    chart.set_title({"name": f"{plan.campaign} · {t('chart.spend_by_day_tool')}"})
    # 11 pt labels: printed at the page's fit they stay at 8 pt or more.
    font = {"size": 11}
    chart.set_x_axis({"name": t("chart.axis_day"), "date_axis": True, "num_format": "m/d",
                      "major_unit": 7, "major_unit_type": "days", "num_font": font,
                      "name_font": font})
    chart.set_y_axis({"name": t("chart.axis_spend", unit=unit), "num_format": "#,##0",
                      "major_gridlines": {"visible": True, "line": {"color": "#DDDDDD"}},
                      "num_font": font, "name_font": font})
    chart.set_legend({"position": "bottom", "font": font})
    chart.set_size({"width": _CHART_WIDTH, "height": _CHART_HEIGHT})
    ws.insert_chart(0, 0, chart)


# --------------------------------------------------------------------------- plan vs actual

PLAN_VS_ACTUAL_COLUMNS: tuple[str, ...] = (
    "date", "video_id", "kol_name", "tool", "planned_spend", "actual_spend", "spend_diff",
    "planned_gmv", "actual_gmv", "gmv_diff", "planned_roi", "actual_roi", "planned_on",
    "pva_status", "counted_spend",
)


# What a screen or sheet says of a line no recorded plan covers (not a plan.json status).
NO_PLAN_STATUS = "no_plan"
PLANNED_COLUMNS: tuple[str, ...] = (
    "planned_spend", "planned_gmv", "planned_roi", "spend_diff", "gmv_diff")


def _diff(actual: float | None, planned: float) -> float | None:
    return None if actual is None else round(actual - planned, 2)


def plan_vs_actual_frame(plan: Plan) -> pd.DataFrame:
    """The buyer's daily report: per day so far, video and tool, plan against actuals.

    ``*_diff`` = actual - planned; a ROI is blank where its spend is zero. An actual
    nobody reported is blank, never 0: ``pva_status`` says why (``gmv_unknown``: spend
    without GMV yet; ``unreported``: no actuals file names the planned line), and
    ``counted_spend`` is what the budget counts for the line.
    """
    import pandas as pd

    names = {v.video_id: v.kol_name for v in plan.videos}
    return pd.DataFrame(
        [
            {"date": r.date, "video_id": r.video_id, "kol_name": names.get(r.video_id, ""),
             "tool": r.tool.value, "planned_spend": r.planned_spend,
             "actual_spend": r.actual_spend,
             "spend_diff": _diff(r.actual_spend, r.planned_spend),
             "planned_gmv": r.planned_gmv, "actual_gmv": r.actual_gmv,
             "gmv_diff": _diff(r.actual_gmv, r.planned_gmv),
             "planned_roi": r.planned_roi, "actual_roi": r.actual_roi,
             "planned_on": r.planned_on, "pva_status": r.status,
             "counted_spend": (r.actual_spend if r.counted_spend is None
                               else r.counted_spend)}
            for r in plan.plan_vs_actual
        ],
        columns=list(PLAN_VS_ACTUAL_COLUMNS),
    )


LIVE_ROOM_COLUMNS: tuple[str, ...] = (
    "date", "short_video_spend", "short_video_gmv", "direct_spend", "direct_gmv", "own_gmv",
    "live_room_gmv", "direct_share", "short_video_share",
)


def _live_room_rows(plan: Plan) -> list[list[object]]:
    """The brand live room per day (closed loop, ``live_room = true``): its traffic
    sources (short videos, direct live-room buying, its own) and its GMV, by
    ``LIVE_ROOM_COLUMNS``; no rows without a live room."""
    days = plan.live_room.days if plan.live_room is not None else []
    return [[d.date, d.short_video_spend, d.short_video_gmv, d.direct_spend, d.direct_gmv,
             d.own_gmv, d.gmv, d.direct_share, d.short_video_share] for d in days]


def live_room_frame(plan: Plan) -> pd.DataFrame:
    """The live room per day (``_live_room_rows``) as the app's Plan page shows it; the
    直播间 sheet writes the same rows."""
    import pandas as pd

    return pd.DataFrame(_live_room_rows(plan), columns=list(LIVE_ROOM_COLUMNS))


def _live_room_sheet(ws: Worksheet, plan: Plan, styles: _Styles) -> None:
    rows = _live_room_rows(plan)
    _write_table(ws, _sheet_headers(LIVE_ROOM_COLUMNS), rows, styles,
                 kinds=[_num_kind(c) for c in LIVE_ROOM_COLUMNS])


def pva_status_name(status: object) -> str:
    """A plan-vs-actual line's status in words ("成交额未知" for spend without GMV)."""
    return t(f"pva.status.{status}")


def _plan_vs_actual_sheet(ws: Worksheet, plan: Plan, styles: _Styles) -> None:
    frame = plan_vs_actual_frame(plan)
    frame["tool"] = [_tool_label(tool) for tool in frame["tool"]]
    # An unknown actual is said in words where its figure would be, never shown as 0.
    for column, status in (("actual_gmv", "gmv_unknown"), ("actual_spend", "unreported"),
                           ("actual_gmv", "unreported")):
        frame[column] = [pva_status_name(state) if state == status else value
                         for value, state in zip(frame[column], frame["pva_status"],
                                                 strict=True)]
    # A line no recorded plan covers says so where its planned figures would be, never ¥0.
    unplanned = frame["planned_on"].isna()
    for column in PLANNED_COLUMNS:
        frame[column] = [pva_status_name(NO_PLAN_STATUS) if missing else value
                         for value, missing in zip(frame[column], unplanned, strict=True)]
    frame["pva_status"] = [pva_status_name(state) for state in frame["pva_status"]]
    _, rows = _frame_table(frame)
    _write_table(ws, _sheet_headers(PLAN_VS_ACTUAL_COLUMNS), rows, styles,
                 kinds=[_num_kind(c) for c in PLAN_VS_ACTUAL_COLUMNS])


_SheetWriter = Callable[["Worksheet", Plan, _Styles, ScheduleCalendar], None]
# Sheet keys in the catalogue and their writers, in the workbook's order.
_BUILTIN_WRITERS: tuple[tuple[str, _SheetWriter], ...] = (
    ("sheet.summary", _summary_sheet),
    ("sheet.schedule", _schedule_sheet),
    ("sheet.orders", _orders_sheet),
    ("sheet.daily", _daily_sheet),
    ("sheet.videos", _videos_sheet),
    ("sheet.chart", _chart_sheet),
)


def builtin_sheets() -> tuple[str, ...]:
    """The names of plan.xlsx's own sheets in the current language, in order."""
    # The spend chart's data sheet follows the chart's.
    return (*(t(key) for key, _ in _BUILTIN_WRITERS), t("sheet.chart_data"))


# Sheets written row after row by ``_write_table``: XlsxWriter's constant-memory mode keeps
# one row of them in memory (the rest in a temporary file) instead of every cell.
_STREAMED_SHEETS = frozenset({"sheet.orders", "sheet.daily", "sheet.videos"})


def _add_sheet(book: xlsxwriter.Workbook, name: str, *, streamed: bool = False) -> Worksheet:
    """A new sheet; ``streamed`` in XlsxWriter's constant-memory mode, which the workbook
    gives each sheet as it is added: rows must then be written in order (``_write_table``
    does), so the schedule, summary and chart sheets, which are not, keep the normal mode.
    Each streamed sheet gets a header row at least, so ``close()`` reads its temporary file
    back into the workbook and removes it."""
    book.constant_memory = streamed
    try:
        return book.add_worksheet(name)
    finally:
        book.constant_memory = False


def _render_xlsx(
    plan: Plan,
    path: Path,
    extra_sheets: Mapping[str, pd.DataFrame | Table] | None,
    campaign: Campaign | None = None,
    daily_file: str | None = None,
) -> None:
    """Write the workbook straight to ``path`` (callers make that atomic). ``daily_file``:
    the 每日明细 rows are in that file beside the workbook, which 汇总 names, not in a sheet."""
    # Fix the language for the whole workbook: hundreds of thousands of words are looked
    # up, and the context's choice is read far faster than the environment's.
    with use_lang(current_lang()):
        _render_book(plan, path, extra_sheets, campaign, daily_file)


def _render_book(
    plan: Plan,
    path: Path,
    extra_sheets: Mapping[str, pd.DataFrame | Table] | None,
    campaign: Campaign | None,
    daily_file: str | None,
) -> None:
    table_rows = (len(plan.daily) + len(plan.videos) + len(plan.orders)
                  + len(plan.plan_vs_actual)
                  + sum(len(frame) for frame in (extra_sheets or {}).values()))
    with _workbook(path, in_memory=table_rows <= IN_MEMORY_ROWS) as book:
        # The creation time is pinned to the plan date so the same plan gives the
        # same bytes, which keeps re-exports diffable and cacheable.
        book.set_properties(
            {
                "title": f"{plan.campaign} {plan.plan_date.isoformat()}",
                "created": dt.datetime.combine(plan.plan_date, dt.time()),
            }
        )
        styles = _Styles.build(book)
        calendar = ScheduleCalendar.of(campaign, plan)
        for key, writer in _BUILTIN_WRITERS:
            if key == "sheet.daily" and daily_file is not None:
                continue  # its rows are in daily_file, and 汇总 says so
            ws = _add_sheet(book, t(key), streamed=key in _STREAMED_SHEETS)
            if key == "sheet.summary":
                _summary_sheet(ws, plan, styles, calendar, daily_file=daily_file)
            else:
                writer(ws, plan, styles, calendar)
        if plan.plan_vs_actual:  # re-plans only: the days so far, planned against actual
            _plan_vs_actual_sheet(_add_sheet(book, t("sheet.plan_vs_actual"), streamed=True),
                                  plan, styles)
        if plan.live_room is not None:  # closed loop with a live room: its traffic and GMV
            _live_room_sheet(_add_sheet(book, t("sheet.live_room"), streamed=True), plan, styles)
        for name, frame in (extra_sheets or {}).items():
            headers, rows = _frame_table(frame)
            _write_table(_add_sheet(book, name, streamed=True), _sheet_headers(headers), rows,
                         styles, kinds=[_num_kind(h) for h in headers])
        # Every printed page says which campaign, plan date and sheet it belongs to.
        for ws in book.worksheets():
            _page_header(ws, plan, ws.get_name())
        # The schedule is what a buyer opens and prints first.
        book.worksheets()[1].activate()
        # Only close() writes the file, so an error above leaves nothing behind.
        book.close()


# A plan.xlsx whose tables hold at most this many rows is put together in memory. On disk,
# XlsxWriter writes each of the workbook's ~35 parts to a temporary file, zips them and
# removes them: for a 200-video plan that cost a quarter of the workbook's CPU time and,
# on a busy disk, more wall time than the rest of it (a portfolio morning writes 200 such
# workbooks). Larger books keep their parts on disk: in memory, a 100,000-video plan's
# sheets would add their whole text to the command's peak memory.
IN_MEMORY_ROWS = 20_000
# Such a book's streamed sheets still keep their rows in a scratch file each until the
# book is closed: in a memory-backed folder when the machine has one with this much room
# (Linux's /dev/shm; Docker gives it 64 MB), their creation and removal cost no disk
# work (a 200-video plan's workbook: 0.050 -> 0.033 s of wall time on this machine).
MEMORY_FOLDER = Path("/dev/shm")  # noqa: S108 (a private folder is made in it, mkdtemp)
MEMORY_FOLDER_ROOM = 32 * 2**20


@contextlib.contextmanager
def _workbook(path: Path, *, in_memory: bool) -> Iterator[xlsxwriter.Workbook]:
    """A workbook for plan.xlsx whose streamed sheets keep their rows in a scratch folder,
    removed afterwards with their files closed, whether the workbook was written or not;
    ``in_memory``: its other parts are assembled in memory, not in temporary files."""
    import xlsxwriter

    with _scratch_folder(in_memory) as scratch:
        book = xlsxwriter.Workbook(
            str(path),
            {
                "tmpdir": scratch,
                "in_memory": in_memory,
                # Belt and braces: only write_string is used for text, but these
                # keep any future write() from turning text into formulas or links.
                "strings_to_formulas": False,
                "strings_to_urls": False,
                "strings_to_numbers": False,
            },
        )
        try:
            yield book
        finally:
            for ws in book.worksheets():
                if ws.constant_memory:
                    ws._opt_close()  # a no-op once close() has read the rows back


def _scratch_folder(in_memory: bool) -> tempfile.TemporaryDirectory[str]:
    """A new scratch folder: in ``MEMORY_FOLDER`` for a book put together in memory when
    it can be made there, else in the system's temporary folder."""
    folder = _memory_folder() if in_memory else None
    if folder is not None:
        try:
            return tempfile.TemporaryDirectory(prefix="planner-xlsx-", dir=folder)
        except OSError:
            pass  # writable by its permissions, yet refused (read-only, full): not needed
    return tempfile.TemporaryDirectory(prefix="planner-xlsx-")


def _memory_folder() -> Path | None:
    """``MEMORY_FOLDER`` when it is there, writable and has room; else None (the system's
    temporary folder)."""
    try:
        room = os.statvfs(MEMORY_FOLDER)
    except (OSError, AttributeError):  # no such folder, or no statvfs (Windows)
        return None
    if room.f_bavail * room.f_frsize < MEMORY_FOLDER_ROOM or not os.access(MEMORY_FOLDER,
                                                                           os.W_OK):
        return None
    return MEMORY_FOLDER


@dataclass(frozen=True)
class LineChart:
    """A native Excel chart of ``y`` columns against the numeric ``x`` column of a sheet."""

    sheet: str
    x: str
    y: tuple[str, ...]
    title: str


def write_frames_xlsx(
    path: Path | str,
    sheets: Mapping[str, pd.DataFrame | Table],
    *,
    chart: LineChart | None = None,
    created: dt.date | None = None,
) -> None:
    """Write tables (one sheet per frame, same formats as plan.xlsx) atomically.

    ``chart`` adds a scatter chart with straight lines, so unevenly spaced x
    values (budgets) sit at their true distances, which a category line chart
    would not do. ``created`` pins the workbook's creation time for
    reproducible bytes.
    """
    import xlsxwriter

    with atomic_path(path) as tmp:
        book = xlsxwriter.Workbook(
            str(tmp),
            {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False},
        )
        if created is not None:
            book.set_properties({"created": dt.datetime.combine(created, dt.time())})
        styles = _Styles.build(book)
        for name, frame in sheets.items():
            headers, rows = _frame_table(frame)
            ws = book.add_worksheet(name)
            _write_table(ws, headers, rows, styles)
            if chart is None or chart.sheet != name or not rows:
                continue
            plot = book.add_chart({"type": "scatter", "subtype": "straight_with_markers"})
            x = headers.index(chart.x)
            for column in chart.y:
                y = headers.index(column)
                plot.add_series({
                    "name": [name, 0, y],
                    "categories": [name, 1, x, len(rows), x],
                    "values": [name, 1, y, len(rows), y],
                })
            plot.set_title({"name": chart.title})
            plot.set_x_axis({"name": chart.x, "num_format": "#,##0"})
            plot.set_y_axis({"name": ", ".join(chart.y), "num_format": "#,##0"})
            plot.show_blanks_as("gap")
            ws.insert_chart(len(rows) + 2, 0, plot, {"x_scale": 1.5, "y_scale": 1.2})
        book.close()


def write_plan_xlsx(
    plan: Plan,
    path: Path | str,
    *,
    extra_sheets: Mapping[str, pd.DataFrame | Table] | None = None,
    campaign: Campaign | None = None,
) -> None:
    """Write only ``plan.xlsx`` (atomically); ``write_plan`` writes both files. A plan with
    more daily rows than a sheet holds has them in DAILY_CSV beside it."""
    path = Path(path)
    with contextlib.ExitStack() as stack:
        daily_file = None
        if len(plan.daily) > DAILY_SHEET_MAX_ROWS:
            daily_file = DAILY_CSV
            _write_daily_csv(plan, stack.enter_context(atomic_path(path.parent / DAILY_CSV)))
        _render_xlsx(plan, stack.enter_context(atomic_path(path)), extra_sheets, campaign,
                     daily_file)


PLAN_FILES = ("plan.json", "plan.xlsx")

# Runs the first task here and the others at the same time elsewhere, each to its end
# (``planner.jobs.watchdog.run_side_by_side``).
SideBySide = Callable[[Sequence[Callable[[], None]]], object]


@collector_paused()
def write_plan(
    plan: Plan,
    out_dir: Path,
    *,
    inputs: Sequence[Path] = (),
    extra_sheets: Mapping[str, pd.DataFrame | Table] | None = None,
    campaign: Campaign | None = None,
    also: Mapping[str, tuple[Path, bytes]] | None = None,
    before_replace: Callable[[], None] | None = None,
    clock: Stopwatch | None = None,
    side_by_side: SideBySide | None = None,
) -> dict[str, Path]:
    """Write ``plan.json`` and ``plan.xlsx`` into ``out_dir``.

    ``campaign`` gives the 排期表 one column per campaign day and its big
    sales; without it the schedule spans the plan's own days.

    Both files are fully built in temporary files first and replace the old
    ones only when both succeeded, so a failure leaves the previous pair as it
    was. Raises ``InputError`` if either file would overwrite one of
    ``inputs``. ``also`` names more files of the run (key -> path and bytes,
    such as links.csv), written the same way. Every path is checked before
    anything is written (``check_outputs``): a folder where a file should go
    writes nothing. ``before_replace`` runs once every file is built and before any
    replaces its target (the history store records the plan there): if it raises,
    nothing is written. Returns ``{"json": ..., "xlsx": ..., **also}``, with ``"daily"``
    when the plan has more daily rows than a sheet holds (DAILY_SHEET_MAX_ROWS): those are
    written to DAILY_CSV beside the workbook, whose 汇总 says where, and the other sheets
    (the 排期表 whole) stay in the workbook.

    ``clock`` is lapped as each file is built ("write_json", "write_<key>" for each of
    ``also``, "write_daily", "write_xlsx"), in ``before_replace`` ("record") and once the
    files are in place ("replace").

    ``side_by_side`` runs its first task here and the others in forked children at the
    same time (``planner.jobs.watchdog.run_side_by_side``): plan.xlsx is then built in a
    child while this process writes the other files, and its lap is the wait for it.
    """
    watch = Stopwatch() if clock is None else clock
    out_dir = Path(out_dir)
    paths = {"json": out_dir / PLAN_FILES[0], "xlsx": out_dir / PLAN_FILES[1]}
    # More daily rows than a sheet holds: they go to DAILY_CSV beside the workbook.
    daily_file = DAILY_CSV if len(plan.daily) > DAILY_SHEET_MAX_ROWS else None
    if daily_file is not None:
        paths["daily"] = out_dir / daily_file
    extra = dict(also or {})
    ensure_not_input([*paths.values(), *(p for p, _ in extra.values())], inputs)
    check_outputs(out_dir, [*paths.values(), *(p for p, _ in extra.values())])
    # Nested so that plan.json is replaced only after plan.xlsx (and the other
    # files) were built and replaced: a failure while building any of them
    # leaves every old file intact.
    with contextlib.ExitStack() as stack:
        json_tmp = stack.enter_context(atomic_path(paths["json"]))
        also_tmp = {key: stack.enter_context(atomic_path(path)) for key, (path, _) in
                    extra.items()}
        daily_tmp = (stack.enter_context(atomic_path(paths["daily"]))
                     if daily_file is not None else None)
        xlsx_tmp = stack.enter_context(atomic_path(paths["xlsx"]))

        def other_files() -> None:
            json_tmp.write_bytes(plan_json_bytes(plan))
            watch.lap("write_json")
            for key, (_, data) in extra.items():
                also_tmp[key].write_bytes(data)
                watch.lap(f"write_{key}")
            if daily_tmp is not None:
                _write_daily_csv(plan, daily_tmp)
                watch.lap("write_daily")

        def workbook() -> None:
            _render_xlsx(plan, xlsx_tmp, extra_sheets, campaign, daily_file)

        if side_by_side is None:
            other_files()
            workbook()
        else:
            side_by_side([other_files, workbook])
        watch.lap("write_xlsx")
        if before_replace is not None:
            before_replace()
            watch.lap("record")
    watch.lap("replace")
    return {**paths, **{key: path for key, (path, _) in extra.items()}}
