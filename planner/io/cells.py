"""Normalising cells: the one path from a file to canonical columns of values, for the
planner's own files and the platforms' exports alike (docs/exports.md).

The third layer of the readers (``raw`` → ``headers`` → ``cells`` → ...). Back ends
write what a person reads on screen, not what a program wants:

- headers carry units and full-width forms: ``消耗(元)``, ``点击率(%)``, ``粉丝（万）``;
  the unit is taken off the header (``planner.io.headers.header_key``) and applied to
  the column's bare numbers (``33.5`` under ``粉丝（万）`` is 335,000; ``12`` under
  ``点击率(%)`` is 0.12; fen are divided by 100);
- cells of ``--``, ``-`` or nothing are missing; ``4.13%``, ``3万``, ``2.5w``,
  ``1.2亿`` and ``1,234.50`` are numbers (``planner.parsing``);
- a range such as ``7.5w~10w`` is its midpoint, and the reader says so;
- a totals row (``合计``, ``总计``) is skipped, and the reader says so.

``read_normalised`` is the whole path from a file to a table of canonical columns;
``parse_cells`` then reads every cell by its column's kind, naming each it cannot read
with its row and column. The roster and actuals readers and the export recogniser
(``planner.io.recognise``) all go through both.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import Any, Final

from planner.errors import InputError, Problem
from planner.i18n import t
from planner.io.headers import (
    ColumnSpec,
    Kind,
    header_scale,
    normalise_columns,
    read_table,
)
from planner.parsing import (
    clean_text,
    is_missing,
    parse_bool,
    parse_date,
    parse_int,
    parse_number,
    parse_text,
)
from planner.table import Table

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

_PARSERS: Final[dict[Kind, Callable[[object], object]]] = {
    "str": parse_text,
    "int": parse_int,
    "float": parse_number,
    "bool": parse_bool,
    "date": parse_date,
}

# Catalogue keys: the fix is said in the language current when the file is read.
_FIXES: Final[dict[Kind, str]] = {
    "str": "error.fix.correct_cell",
    "int": "error.fix.whole_number",
    "float": "error.fix.number",
    "bool": "error.fix.yes_no",
    "date": "error.fix.date",
}


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


def drop_totals(raw: Table, file: str) -> tuple[Table, list[str]]:
    """``raw`` without its totals rows, and a note naming the rows skipped."""
    totals = [number for number, cells in zip(raw.numbers, raw.rows(), strict=True)
              if is_total_row(cells)]
    if not totals:
        return raw, []
    kept = raw.without_rows(totals)
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


# ---------------------------------------------------------------- the path of every reader


def normalise_cells(
    table: Table, specs: Sequence[ColumnSpec], file: str,
) -> tuple[Table, list[str]]:
    """Numbers under a header with a unit scaled, ranges read as midpoints (with a note).

    ``table`` has canonical columns (``normalise_columns``); its source headers say the
    units.
    """
    headers = table.sources
    notes: list[str] = []
    out = table
    for spec in specs:
        if spec.name not in out.columns or spec.kind not in ("int", "float"):
            continue
        header = headers.get(spec.name, spec.name)
        scale = spec.scale if spec.scale is not None else header_scale(header)
        cells = out.column(spec.name)
        values: list[object] = cells
        ranges: list[str] = []
        # Without a unit only a range changes a cell (scale_cell): a column without a range
        # mark in any of its texts stays as it is.
        if scale is not None or _RANGE_MARK.search(
                "\n".join(cell for cell in cells if isinstance(cell, str))):
            values = []
            for number, cell in zip(out.numbers, cells, strict=True):
                value, was_range = scale_cell(cell, scale)
                values.append(value)
                if was_range:
                    ranges.append(f"{number} ({str(cell).strip()} → {value:,.2f})")
        if values is not cells:
            out = out.with_column(spec.name, values)
        if ranges:
            notes.append(t("export.range_midpoint", file=file, column=header,
                           cells="; ".join(ranges[:5]),
                           more=f" (+{len(ranges) - 5})" if len(ranges) > 5 else ""))
    return out, notes


def read_normalised(
    path: Path, specs: Sequence[ColumnSpec], *, raw: Table | None = None,
    keep_missing: bool = False,
) -> tuple[Table, list[str]]:
    """Read ``path`` (or its already read ``raw`` cells) into canonical columns.

    The one path of every reader: the file's cells, totals rows skipped, headers
    matched to ``specs`` (units and full-width forms ignored), numbers scaled by their
    header's unit and ranges read as midpoints. Returns the table and the notes.
    ``keep_missing`` keeps missing required columns on the table (``Table.missing``)
    instead of raising them, for a reader that lists them with the bad cells.
    """
    name = path.name
    if raw is None:
        raw = read_table(path, specs)
    kept, total_notes = drop_totals(raw, name)
    table, notes = normalise_columns(kept, specs, name, keep_missing=keep_missing)
    table, cell_notes = normalise_cells(table, specs, name)
    return table, notes + total_notes + cell_notes


# ---------------------------------------------------------------- parsing cells


def parse_cells(
    df: Table, specs: Sequence[ColumnSpec], file: str,
    scheduled_after: date | None = None,
) -> tuple[list[tuple[int, dict[str, Any]]], list[Problem]]:
    """Each row's parsed values (empty cells left out) and every problem found.

    Rows published after ``scheduled_after`` are scheduled posts: their
    ``live_only`` cells may be empty (any row's, when no date is given).
    """
    headers = df.sources
    rows: list[tuple[int, dict[str, Any]]] = [(n, {}) for n in df.numbers]
    problems: list[Problem] = []
    fill = t("error.fix.fill")
    dated = "publish_date" in df.columns
    if df.from_excel:
        fill = t("error.fix.fill_merged")
    for spec in specs:
        if spec.name not in df.columns:
            continue
        parser = _PARSERS[spec.kind]
        column = headers.get(spec.name, spec.name)
        # Each distinct text of a column is read once (dates, yes/no, products repeat);
        # a cell that cannot be read is not kept, so each such cell is named.
        read: dict[str, object] = {}
        name, limit = spec.name, spec.max_value
        for (number, values), cell in zip(rows, df.column(name), strict=True):
            value = read.get(cell, read) if type(cell) is str else read
            if value is read:
                try:
                    value = parser(cell)
                except ValueError as exc:
                    problems.append(
                        Problem(t("error.sentence", text=exc), file=file, row=number,
                                column=column, fix=t(_FIXES[spec.kind]))
                    )
                    continue
                if type(cell) is str:
                    read[cell] = value
            if value is None:
                published = values.get("publish_date")
                # Without a plan date the core tells scheduled posts apart (assess_roster);
                # without a publish date column nobody can, and that column is what is said.
                scheduled = spec.live_only and (scheduled_after is None or not dated or (
                    isinstance(published, date) and published > scheduled_after))
                if spec.required and not scheduled:
                    went_live = spec.live_only and isinstance(published, date)
                    problems.append(Problem(
                        t("error.table.empty_live", published=published,
                          plan_date=scheduled_after) if went_live
                        else t("error.table.empty_required"),
                        file=file, row=number, column=column,
                        fix=t("error.fix.fill_live", fill=fill) if went_live else fill,
                    ))
                continue
            if limit is not None and isinstance(value, (int, float)) and abs(value) > limit:
                shown = f"{value:,.0f}" if abs(value) < 1e15 else f"{value:.3g}"
                problems.append(Problem(
                    t("error.table.too_large", value=shown, limit=f"{limit:,.0f}"),
                    file=file, row=number, column=column, fix=t("error.table.too_large_fix"),
                ))
                continue
            values[name] = value
    # Buyers fix a file row by row, left to right.
    order = {headers.get(s.name, s.name): i for i, s in enumerate(specs)}
    problems.sort(key=lambda p: (p.row or 0, order.get(p.column or "", len(order))))
    return rows, problems


def parse_rows(df: Table, specs: Sequence[ColumnSpec], file: str) -> list[dict[str, Any]]:
    """Parse every cell by its column's kind: one dict per row of ``df``, in order.

    Empty optional cells are left out of the dicts (so model defaults apply).
    Raises InputError listing every bad or missing-but-required cell.
    """
    rows, problems = parse_cells(df, specs, file)
    if problems:
        raise InputError(problems)
    return [values for _, values in rows]
