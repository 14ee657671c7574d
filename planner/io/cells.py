"""The one normaliser every table reader uses, for the planner's own files and the
platforms' exports alike (docs/exports.md).

Back ends write what a person reads on screen, not what a program wants:

- headers carry units and full-width forms: ``消耗(元)``, ``点击率(%)``, ``粉丝（万）``;
  the unit is taken off the header (so ``粉丝（万）`` is the followers column) and
  applied to the column's bare numbers (``33.5`` under ``粉丝（万）`` is 335,000;
  ``12`` under ``点击率(%)`` is 0.12; fen are divided by 100);
- cells of ``--``, ``-`` or nothing are missing; ``4.13%``, ``3万``, ``2.5w``,
  ``1.2亿`` and ``1,234.50`` are numbers (``planner.parsing``);
- a range such as ``7.5w~10w`` is its midpoint, and the reader says so;
- a totals row (``合计``, ``总计``) is skipped, and the reader says so.

``read_normalised`` is the whole path from a file to a frame of canonical
columns; ``planner.io.raw.read_videos`` / ``read_actuals`` and the export
recogniser (``planner.io.recognise``) all go through it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import pandas as pd

from planner.i18n import t
from planner.parsing import clean_text, is_missing, parse_number

if TYPE_CHECKING:
    from planner.io.raw import ColumnSpec

# Units a header may carry in brackets after its name, and what a bare number under it
# is multiplied by (None: a label only, the number is already in the planner's unit).
UNIT_SCALES: Final[dict[str, float | None]] = {
    "元": None, "yuan": None, "rmb": None, "¥": None, "次": None, "个": None, "人": None,
    "条": None, "单": None, "秒": None, "s": None,
    "万": 10_000.0, "w": 10_000.0, "万元": 10_000.0, "万次": 10_000.0, "万人": 10_000.0,
    "亿": 100_000_000.0, "千": 1_000.0, "k": 1_000.0,
    "%": 0.01,
    "分": 0.01,  # fen: DOU+ and 星图 API amounts (docs/exports.md)
}
_UNIT_RE: Final = re.compile(r"[(\[]([^()\[\]]{1,4})[)\]]$")
# A cell that carries its own scale is not scaled again by its header's unit.
_OWN_SCALE_RE: Final = re.compile(r"[%万萬wW亿億kK千]\s*$")
# "7.5w~10w", "5-10万", "1万至2万": two numbers around a range mark.
_RANGE_RE: Final = re.compile(
    r"^\s*([^~～至到]+?)\s*(?:~|～|至|到|-(?=[\d.]))\s*([^~～至到]+?)\s*$")
# A totals cell starts with one of these ("合计：", "总计(3条)"), or is "total" / "sum".
TOTAL_WORDS: Final = ("合计", "總計", "总计", "合計", "汇总", "匯總", "小计", "小計")
TOTAL_WORDS_EXACT: Final = frozenset({"total", "sum", "grandtotal", "subtotal"})
_TOTALS_LOOKED_AT: Final = 2  # the first cells of a row that may say "合计"
# Cheap first looks (every cell of every file passes through here): a cell without
# these characters is no totals word, and one without a range mark is no range.
_TOTAL_HINT: Final = re.compile(r"[合總总汇匯小]|total|sum", re.IGNORECASE)
_RANGE_MARK: Final = re.compile(r"[~～至到]|.-")


def _split_unit(text: str) -> tuple[str, str | None]:
    """(header without its unit, the unit) for ``消耗(元)`` and its full-width forms."""
    folded = clean_text(unicodedata.normalize("NFKC", text)).casefold()
    match = _UNIT_RE.search(folded)
    if match is not None:
        unit = re.sub(r"\s+", "", match.group(1))
        if unit in UNIT_SCALES:
            return folded[: match.start()], unit
    return folded, None


def header_key(text: str) -> str:
    """Compare headers ignoring case, spaces, '_'/'-', full-width forms and a unit."""
    name, _ = _split_unit(text)
    return re.sub(r"[\s_\-]+", "", name)


def header_scale(text: str) -> float | None:
    """What a bare number under this header is multiplied by (None: nothing)."""
    _, unit = _split_unit(text)
    return None if unit is None else UNIT_SCALES[unit]


def is_total_row(cells: Sequence[object]) -> bool:
    """A row whose first filled cells say 合计/总计 (a back end's totals line)."""
    seen = 0
    for cell in cells:
        if is_missing(cell):
            continue
        if not _TOTAL_HINT.search(str(cell)):
            seen += 1
            if seen >= _TOTALS_LOOKED_AT:
                break
            continue
        text = clean_text(str(cell)).replace(" ", "").casefold().rstrip(":：")
        if text.startswith(TOTAL_WORDS) or text in TOTAL_WORDS_EXACT:
            return True
        seen += 1
        if seen >= _TOTALS_LOOKED_AT:
            break
    return False


def drop_totals(raw: pd.DataFrame, file: str) -> tuple[pd.DataFrame, list[str]]:
    """``raw`` without its totals rows, and a note naming the rows skipped."""
    totals = [number for number, cells in zip(raw.index, raw.itertuples(index=False),
                                              strict=True)
              if is_total_row(list(cells))]
    if not totals:
        return raw, []
    kept = raw.drop(index=totals)
    kept.attrs = dict(raw.attrs)
    rows = t("list.sep").join(str(n) for n in totals)
    return kept, [t("export.totals_skipped", file=file, rows=rows)]


def _range_midpoint(text: str) -> float | None:
    """The midpoint of ``7.5w~10w`` / ``5-10万`` (the unit of the upper end applies to a
    lower end without one), or None when ``text`` is not such a range."""
    match = _RANGE_RE.match(text)
    if match is None:
        return None
    low_text, high_text = match.group(1), match.group(2)
    if not _OWN_SCALE_RE.search(low_text) and _OWN_SCALE_RE.search(high_text):
        low_text += high_text.strip()[-1]
    try:
        low, high = parse_number(low_text), parse_number(high_text)
    except ValueError:
        return None
    if low is None or high is None or low > high:
        return None
    return (low + high) / 2


def scale_cell(cell: object, scale: float | None) -> tuple[object, bool]:
    """(the cell as the planner reads it, whether it was a range read as its midpoint).

    A range becomes its midpoint; a bare number under a header with a unit is
    multiplied by it. Anything else is left for the column's parser, which
    reports what it cannot read.
    """
    if is_missing(cell) or isinstance(cell, bool):
        return cell, False
    if isinstance(cell, str):
        midpoint = _range_midpoint(clean_text(cell)) if _RANGE_MARK.search(cell) else None
        if midpoint is not None:
            own = bool(_OWN_SCALE_RE.search(cell))
            return (midpoint if own or scale is None else _scaled(midpoint, scale)), True
        if scale is None or _OWN_SCALE_RE.search(cell):
            return cell, False
        try:
            value = parse_number(cell)
        except ValueError:
            return cell, False
        return (cell if value is None else _scaled(value, scale)), False
    if scale is not None and isinstance(cell, int | float):
        return _scaled(float(cell), scale), False
    return cell, False


def _scaled(value: float, scale: float) -> float:
    # Fen to yuan divides, so 123450 fen is 1234.5 yuan exactly (x 0.01 would not be);
    # so does 1/1000 fen (scale 0.00001).
    if 0 < scale < 1:
        return value / round(1 / scale)
    return value * scale


def normalise_cells(
    table: pd.DataFrame, specs: Sequence[ColumnSpec], file: str,
) -> tuple[pd.DataFrame, list[str]]:
    """Numbers under a header with a unit scaled, ranges read as midpoints (with a note).

    ``table`` has canonical columns (``normalise_columns``); its source headers say the
    units.
    """
    from planner.io.raw import source_columns

    headers = source_columns(table)
    notes: list[str] = []
    out = table.copy()
    out.attrs = dict(table.attrs)
    for spec in specs:
        if spec.name not in out.columns or spec.kind not in ("int", "float"):
            continue
        header = headers.get(spec.name, spec.name)
        scale = spec.scale if spec.scale is not None else header_scale(header)
        values: list[object] = []
        ranges: list[str] = []
        for number, cell in zip(out.index, out[spec.name].tolist(), strict=True):
            value, was_range = scale_cell(cell, scale)
            values.append(value)
            if was_range:
                ranges.append(f"{number} ({str(cell).strip()} → {value:,.2f})")
        out[spec.name] = pd.Series(values, index=out.index, dtype=object)
        if ranges:
            notes.append(t("export.range_midpoint", file=file, column=header,
                           cells="; ".join(ranges[:5]),
                           more=f" (+{len(ranges) - 5})" if len(ranges) > 5 else ""))
    return out, notes


def read_normalised(
    path: Path, specs: Sequence[ColumnSpec], *, raw: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, list[str]]:
    """Read ``path`` (or its already read ``raw`` cells) into canonical columns.

    The one path of every reader: the file's cells, totals rows skipped, headers
    matched to ``specs`` (units and full-width forms ignored), numbers scaled by their
    header's unit and ranges read as midpoints. Returns the frame and the notes.
    """
    from planner.io.raw import normalise_columns, read_table

    name = path.name
    if raw is None:
        raw = read_table(path, specs)
    kept, total_notes = drop_totals(raw, name)
    table, notes = normalise_columns(kept, specs, name)
    table, cell_notes = normalise_cells(table, specs, name)
    return table, notes + total_notes + cell_notes


# ---------------------------------------------------------------- legacy .xls

def read_xls_rows(path: Path, specs: Sequence[ColumnSpec] | None) -> pd.DataFrame:
    """A legacy Excel 97-2003 (.xls) workbook, read with xlrd (the maintained .xls reader
    pandas also uses) into the same frame ``read_table`` builds from an .xlsx.

    The sheet with the most known headers is read, as in a workbook; dates become
    datetimes, a formula's error its Excel text (#N/A), which the cell parsers name.
    Without xlrd installed the file is refused with the fix, as before.
    """
    from planner.errors import InputError, Problem
    from planner.io import raw as tables

    name = path.name
    try:
        import xlrd
    except ImportError:
        raise InputError(Problem(
            t("export.xls_no_reader"), file=name, fix=t("export.xls_fix"))) from None
    limit = tables.MAX_ROWS + tables._HEADER_SEARCH_ROWS
    try:
        book = xlrd.open_workbook(str(path), on_demand=True)
        try:
            def rows_of(sheet: Any, count: int) -> list[tuple[int, list[object]]]:
                rows: list[tuple[int, list[object]]] = []
                for index in range(min(sheet.nrows, count + 10 * tables._HEADER_SEARCH_ROWS)):
                    values = [_xls_value(cell, book.datemode) for cell in sheet.row(index)]
                    while values and tables._is_blank(values[-1]):
                        values.pop()
                    if values:
                        rows.append((index + 1, values))
                    if len(rows) >= count:
                        break
                return rows

            sheets = [book.sheet_by_index(i) for i in range(book.nsheets)]
            scored = [(tables._best_header([c for _, c in head], specs)[1], i)
                      for i, sheet in enumerate(sheets)
                      if (head := rows_of(sheet, tables._HEADER_SEARCH_ROWS))]
            notes: list[str] = []
            raw: list[tuple[int, list[object]]] = []
            if scored:
                best = max(score for score, _ in scored)
                chosen = next(i for score, i in scored if score == best)
                if sheets[chosen].nrows > limit + 1:
                    tables._too_many_rows(name)
                raw = rows_of(sheets[chosen], limit + 1)
                if len(scored) > 1:
                    others = t("list.sep").join(repr(sheets[i].name) for _, i in scored
                                                if i != chosen)
                    notes.append(t("export.xls_other_sheets", file=name,
                                   sheet=sheets[chosen].name, others=others))
        finally:
            book.release_resources()
    except InputError:
        raise
    except Exception as exc:  # xlrd raises its own, struct and compound-document errors
        raise InputError(Problem(
            t("export.xls_unreadable", error=f"{type(exc).__name__}: {exc}"), file=name,
            fix=t("export.xls_fix"))) from None
    if len(raw) > limit:
        tables._too_many_rows(name)
    tables._check_cell_lengths(raw, name)
    frame = tables._build_frame(raw, name, ragged_delimiter=None, specs=specs)
    frame.attrs["reader_notes"] = notes + tables.reader_notes(frame)
    frame.attrs["from_excel"] = True
    return frame


def _xls_value(cell: Any, datemode: int) -> object:
    import xlrd

    if cell.ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
        return None
    if cell.ctype == xlrd.XL_CELL_DATE:
        try:
            return xlrd.xldate_as_datetime(cell.value, datemode)
        except (ValueError, OverflowError, xlrd.xldate.XLDateError):
            return cell.value
    if cell.ctype == xlrd.XL_CELL_BOOLEAN:
        return bool(cell.value)
    if cell.ctype == xlrd.XL_CELL_ERROR:
        return xlrd.error_text_from_code.get(cell.value, "#VALUE!")
    return cell.value
