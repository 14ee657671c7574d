"""The rows of a streamed ``plan.xlsx`` sheet, written as XlsxWriter would write them.

A sheet in XlsxWriter's constant-memory mode keeps one row of cells and writes each row's
XML to a scratch file when the next row starts. Per cell, that is most of the time a large
plan's workbook takes (the videos sheet: 20,000 rows of eleven cells, long reasons among
them). ``SheetRows`` writes a table's rows into that scratch file itself, in the very bytes
XlsxWriter writes (the ``<row>`` tag from XlsxWriter's own method, each cell's reference,
style index, number and inline text escaped by XlsxWriter's own functions, plain text as it
is), each distinct text escaped once, and leaves the sheet as XlsxWriter would have: its
dimensions, the row heights and formats set with ``set_row``, the last row held for
XlsxWriter to write. That last row, and any row with a cell it does not write itself (a
boolean, a number that is not finite, a time with a zone, text near Excel's length limit),
go through XlsxWriter's own calls. It writes rows itself only with an XlsxWriter version in
``VERIFIED_XLSXWRITER``, whose bytes the tests compare with XlsxWriter's for every kind of
cell; with any other version every row goes through XlsxWriter.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import re
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:  # XlsxWriter loads when a workbook is written
    from xlsxwriter.format import Format
    from xlsxwriter.worksheet import Worksheet

# The XlsxWriter versions whose rows ``SheetRows`` writes byte for byte (tests/test_sheet_rows.py
# compares them for every kind of cell). A new version: run those tests with it and, if they
# pass, add it here.
VERIFIED_XLSXWRITER = frozenset({"3.3.4"})

# A cell: how XlsxWriter writes it ("s" write_string, "n" write_number, "d" write_datetime,
# "b" write_boolean), its value and its format; None for an empty cell.
CellKind = Literal["s", "n", "d", "b"]
Cell = tuple[CellKind, Any, "Format | None"] | None

# A character that XlsxWriter escapes in text, or that may start what it escapes (``_xHHHH_``).
_NOT_PLAIN = re.compile("[\x00-\x08\x0b-\x1f&<>_\ufffe\uffff]")

# Distinct texts whose escaped XML ``SheetRows`` keeps: a plan's reasons and tiers repeat over
# its rows; its ids and names do not, so the store is emptied when it is this full.
_TEXTS_KEPT = 50_000


def put(ws: Worksheet, row: int, col: int, cell: Cell) -> None:
    """Write one ``cell`` with XlsxWriter's own call."""
    if cell is None:
        return
    code, value, fmt = cell
    if code == "s":
        ws.write_string(row, col, value, fmt)
    elif code == "n":
        ws.write_number(row, col, value, fmt)
    elif code == "d":
        ws.write_datetime(row, col, value, fmt)
    else:
        ws.write_boolean(row, col, value, fmt)


def writes_rows_itself(ws: Worksheet) -> bool:
    """Whether ``SheetRows`` may write ``ws``'s rows itself: a streamed sheet with no cell
    comments, written by an XlsxWriter version whose bytes are verified."""
    import xlsxwriter

    return (xlsxwriter.__version__ in VERIFIED_XLSXWRITER and bool(ws.constant_memory)
            and not ws.comments)


class SheetRows:
    """Writes a streamed sheet's rows in order, each with ``row``, then ``close``. The last
    row is left to XlsxWriter (written with its calls), so the sheet ends as its own calls
    leave it. ``fast`` (default: ``writes_rows_itself``) False writes every row through
    XlsxWriter."""

    def __init__(self, ws: Worksheet, *, fast: bool | None = None) -> None:
        from xlsxwriter.utility import _preserve_whitespace, xl_col_to_name
        from xlsxwriter.xmlwriter import XMLwriter

        self.ws = ws
        self.fast = writes_rows_itself(ws) if fast is None else fast
        # The last row given, not yet written: the next row's first cell writes it.
        self.pending: tuple[int, Sequence[Cell]] | None = None
        self.strmax_safe = ws.xls_strmax // 2  # no text this long is cut to Excel's limit
        self.refs: list[str] = []  # each column's cells' start, before the row number
        self.texts: dict[str, str] = {}  # a text's XML after the cell's attributes
        self.tags: dict[tuple[object, ...], str] = {}  # a row's tag after its number
        self.serials: dict[dt.date, float] = {}  # a date's serial number
        self.styles: dict[int, str] = {}  # a format's style attribute, by id
        self.formats: list[Format] = []  # keeps the formats in ``styles`` alive
        self.escape_data: Callable[[str], str] = ws._escape_data
        self.escape_controls: Callable[[str], str] = XMLwriter._escape_control_characters
        self.preserve: Callable[[str], object] = _preserve_whitespace
        self.col_name: Callable[[int], str] = xl_col_to_name

    def row(self, row: int, cells: Sequence[Cell], height: float | None = None,
            row_format: Format | None = None) -> None:
        """Write ``row``, after the rows before it: its height and format first (``set_row``,
        when ``height`` is given), then its cells from the first column."""
        ws = self.ws
        if height is not None:
            ws.set_row(row, height, row_format)
        span = self._span(cells) if self.fast else None
        if span is None:  # a cell written by XlsxWriter's calls: the whole row then
            self._hand_over()
            for col, cell in enumerate(cells):
                if cell is not None:
                    put(ws, row, col, cell)
            return
        if span[0] < 0:
            return  # a streamed row with no cells is never written, its height or not
        if self.pending is None:
            # XlsxWriter writes the row it holds when a later row's first cell comes.
            ws._write_single_row(row)
        else:
            self._write(*self.pending)
        self._extend(row, *span)  # as XlsxWriter's calls for the cells would
        self.pending = (row, cells)

    def close(self) -> None:
        """The table's rows are written: the sheet goes on as after XlsxWriter's calls."""
        self._hand_over()

    def _hand_over(self) -> None:
        """The last row for this sheet to XlsxWriter, as if written with its calls: it holds
        that row (all before it are in the file) until a later row or its ``close``."""
        if self.pending is not None:
            row, cells = self.pending
            self.pending = None
            self.ws.previous_row = row
            for col, cell in enumerate(cells):
                if cell is not None:
                    put(self.ws, row, col, cell)

    def _span(self, cells: Sequence[Cell]) -> tuple[int, int] | None:
        """The first and last columns of the row's cells (-1, -1 for none), if it writes
        them all itself: not a boolean, a number that is not finite (XlsxWriter refuses it,
        or writes an error), a time with a zone or text that may reach Excel's limit."""
        first = last = -1
        for col, cell in enumerate(cells):
            if cell is not None:
                code = cell[0]
                if code == "s":
                    if len(cell[1]) > self.strmax_safe:
                        return None
                elif code == "n":
                    if not math.isfinite(cell[1]):
                        return None
                elif code != "d" or getattr(cell[1], "tzinfo", None) is not None:
                    return None  # XlsxWriter's options decide what a time zone does
                if first < 0:
                    first = col
                last = col
        return first, last

    def _style(self, fmt: Format) -> str:
        """A cell's ``s`` attribute for ``fmt``: its style index, asked of XlsxWriter the
        first time (which numbers the formats in the order they are first written) and
        kept."""
        style = self.styles.get(id(fmt))
        if style is None:
            style = self.styles[id(fmt)] = f'" s="{fmt._get_xf_index()}"'
            self.formats.append(fmt)
        return style

    def _row_tag(self, row: int) -> str:
        """The ``<row ...>`` start tag after ``r="N"``, as XlsxWriter's ``_write_row`` writes
        it for the row's height and format."""
        ws = self.ws
        info = ws.row_info.get(row)
        key: tuple[object, ...] = (() if info is None else
                                   (info.height, info.row_format, info.hidden, info.level,
                                    info.collapsed))
        tag = self.tags.get(key)
        if tag is None:
            scratch, ws.fh = ws.fh, io.StringIO()
            try:
                ws._write_row(0, None, info)
                written = ws.fh.getvalue()
            finally:
                ws.fh = scratch
            head = '<row r="1"'
            assert written.startswith(head)  # XlsxWriter's row tag starts with its number
            tag = self.tags[key] = written[len(head):]
        return tag

    def _text(self, text: str) -> str:
        """An inline text cell's XML after its attributes, as XlsxWriter's ``_write_cell``
        writes it in constant-memory mode."""
        xml = self.texts.get(text)
        if xml is None:
            if not _NOT_PLAIN.search(text) and not (text[:1].isspace() or text[-1:].isspace()):
                # Nothing to escape or keep: XlsxWriter writes it as it is (each step below
                # would leave it so).
                xml = f' t="inlineStr"><is><t>{text}</t></is></c>'
            else:
                string = self.escape_controls(text)
                if string.startswith("<r>") and string.endswith("</r>"):
                    # XlsxWriter takes such a text for rich text and writes it as it is.
                    xml = f' t="inlineStr"><is>{string}</is></c>'
                else:
                    space = ' xml:space="preserve"' if self.preserve(string) else ""
                    xml = (f' t="inlineStr"><is><t{space}>{self.escape_data(string)}'
                           "</t></is></c>")
            if len(self.texts) >= _TEXTS_KEPT:
                self.texts.clear()
            self.texts[text] = xml
        return xml

    def _write(self, row: int, cells: Sequence[Cell]) -> None:
        ws = self.ws
        number = str(row + 1)
        parts = ['<row r="', number, '"', self._row_tag(row)]
        info = ws.row_info.get(row)
        row_style = (self._style(info.row_format)
                     if info is not None and info.row_format else "")
        refs = self.refs
        while len(refs) < len(cells):
            refs.append(f'<c r="{self.col_name(len(refs))}')
        styles = self.styles
        for col, cell in enumerate(cells):
            if cell is None:
                continue
            code, value, fmt = cell
            if code == "d":  # a date is its serial number, by default in the date format
                value = self._serial(value)
                if fmt is None:
                    fmt = ws.default_date_format
            if fmt is not None:
                style = styles.get(id(fmt)) or self._style(fmt)
            else:
                style = row_style or self._column_style(col)
            if code == "s":
                parts += (refs[col], number, style, self._text(value))
            else:
                parts += (refs[col], number, style, f"><v>{value:.16G}</v></c>")
        parts.append("</row>")
        ws.fh.write("".join(parts))

    def _serial(self, when: dt.date) -> float:
        """XlsxWriter's serial number of a date or a time without a zone, each worked out
        once (a plan's daily rows repeat its few days)."""
        serial = self.serials.get(when)
        if serial is None:
            serial = self.serials[when] = self.ws._convert_date_time(when)
        return serial

    def _column_style(self, col: int) -> str:
        info = self.ws.col_info.get(col)
        if info is None or info.column_format is None:
            return '"'  # no style: the reference's closing quote only
        return self._style(info.column_format)

    def _extend(self, row: int, first: int, last: int) -> None:
        """The sheet's dimensions grown to the row's written cells, as XlsxWriter's
        ``_check_dimensions`` grows them for each cell."""
        ws = self.ws
        if ws.dim_rowmin is None or row < ws.dim_rowmin:
            ws.dim_rowmin = row
        if ws.dim_rowmax is None or row > ws.dim_rowmax:
            ws.dim_rowmax = row
        if ws.dim_colmin is None or first < ws.dim_colmin:
            ws.dim_colmin = first
        if ws.dim_colmax is None or last > ws.dim_colmax:
            ws.dim_colmax = last
