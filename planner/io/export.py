"""Write a ``Plan`` as ``plan.json`` and ``plan.xlsx``, and tables as safe CSV.

Spreadsheet safety: KOL names, products, targeting notes and reasons come from
files buyers fill in by hand, so any of them may start with ``=``, ``+``, ``-``
or ``@``. In ``plan.xlsx`` every text value is written with ``write_string``,
which stores it as a string cell that Excel never evaluates, and the text is
kept exactly. A CSV has no cell types, so ``write_csv`` prefixes such text
with ``'`` instead (OWASP's advice against CSV injection).
"""

from __future__ import annotations

import datetime as dt
import math
import numbers
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

from planner.io.atomic import atomic_path, atomic_write_bytes, ensure_not_input
from planner.models import Plan, Reason
from planner.tools import TOOL_LABEL_ZH, Tool

__all__ = [
    "BUILTIN_SHEETS",
    "PLAN_VS_ACTUAL_SHEET",
    "LineChart",
    "inert_text",
    "plan_json_schema",
    "plan_to_json",
    "plan_vs_actual_frame",
    "write_csv",
    "write_frames_xlsx",
    "write_plan",
    "write_plan_xlsx",
]

BUILTIN_SHEETS: tuple[str, ...] = ("Summary", "Orders", "Daily schedule", "Videos")

NumKind = Literal["money", "ratio", "share"]

_NUM_FORMATS: dict[NumKind, str] = {"money": "#,##0", "ratio": "0.00", "share": "0.0%"}
_DATE_FORMAT = "yyyy-mm-dd"
_DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
_MIN_WIDTH = 8
_MAX_WIDTH = 60
# Room for the autofilter's drop-down arrow next to the header text.
_HEADER_PAD = 3

# Column names are matched by word so that extra sheets written by other
# modules (KPI, Changes, ...) get the same formats without declaring them.
_SHARE_WORDS = frozenset({"share", "gap"})
_RATIO_WORDS = frozenset({"roi", "gpm", "cpm"})
_MONEY_WORDS = frozenset({"budget", "spend", "gmv", "bound", "fee", "fees", "unspent", "cost"})

_DANGEROUS_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


# --------------------------------------------------------------------------- JSON


def plan_to_json(plan: Plan) -> str:
    """The exact text of ``plan.json``."""
    return plan.model_dump_json(indent=2) + "\n"


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


def csv_bytes(df: pd.DataFrame) -> bytes:
    """``df`` (without its index) as UTF-8 CSV bytes with a BOM and CRLF line ends.

    The BOM makes Excel read Chinese text as UTF-8 instead of the system code
    page; every text cell and header is passed through ``inert_text``.
    """
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
    # East Asian wide/full-width characters take two columns in Excel's grid.
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
    if value is None or value is pd.NaT or value is pd.NA:
        return True
    return (
        isinstance(value, numbers.Real)
        and not isinstance(value, (bool, np.bool_))
        and (not math.isfinite(float(value)))
    )


@dataclass
class _Styles:
    header: Format
    section: Format
    wrap: Format
    date: Format
    datetime: Format
    numbers: dict[NumKind, Format]

    @classmethod
    def build(cls, book: xlsxwriter.Workbook) -> _Styles:
        return cls(
            header=book.add_format({"bold": True, "bg_color": "#DDEBF7", "bottom": 1}),
            section=book.add_format({"bold": True}),
            wrap=book.add_format({"text_wrap": True, "valign": "top"}),
            date=book.add_format({"num_format": _DATE_FORMAT}),
            datetime=book.add_format({"num_format": _DATETIME_FORMAT}),
            numbers={k: book.add_format({"num_format": f}) for k, f in _NUM_FORMATS.items()},
        )


def _write_cell(
    ws: Worksheet, row: int, col: int, value: object, kind: NumKind | None, styles: _Styles
) -> None:
    """Write one value by its Python type; text never becomes a formula."""
    if _is_missing(value):
        return
    if isinstance(value, str):
        # write_string, never write(): write() turns "=..." into a formula.
        ws.write_string(row, col, value, styles.wrap if "\n" in value else None)
    elif isinstance(value, (bool, np.bool_)):
        ws.write_boolean(row, col, bool(value))
    elif isinstance(value, dt.datetime):
        if isinstance(value, pd.Timestamp):
            value = value.to_pydatetime()
        # Excel has no time zones; keep the wall-clock time the buyer saw.
        naive = value.replace(tzinfo=None)
        midnight = naive.time() == dt.time()
        if midnight:
            ws.write_datetime(row, col, naive.date(), styles.date)
        else:
            ws.write_datetime(row, col, naive, styles.datetime)
    elif isinstance(value, dt.date):
        ws.write_datetime(row, col, value, styles.date)
    elif isinstance(value, numbers.Real):
        ws.write_number(row, col, float(value), styles.numbers[kind] if kind else None)
    elif isinstance(value, (list, tuple)):
        _write_cell(ws, row, col, "\n".join(str(v) for v in value), kind, styles)
    else:
        _write_cell(ws, row, col, str(value), kind, styles)


def _write_table(
    ws: Worksheet, headers: Sequence[str], rows: Sequence[Sequence[object]], styles: _Styles
) -> None:
    """A table with a bold frozen header, an autofilter and fitted widths."""
    kinds = [_num_kind(h) for h in headers]
    widths = [_text_width(h) + _HEADER_PAD for h in headers]
    for col, header in enumerate(headers):
        ws.write_string(0, col, header, styles.header)
    for r, values in enumerate(rows, start=1):
        for col, value in enumerate(values):
            _write_cell(ws, r, col, value, kinds[col], styles)
            if widths[col] < _MAX_WIDTH:  # a column at the cap cannot grow: stop measuring
                widths[col] = max(widths[col], _text_width(_display(value, kinds[col])) + 2)
    for col, width in enumerate(widths):
        ws.set_column(col, col, min(max(width, _MIN_WIDTH), _MAX_WIDTH))
    ws.freeze_panes(1, 0)
    if headers:
        ws.autofilter(0, 0, len(rows), len(headers) - 1)


def _reasons_text(reasons: Iterable[Reason]) -> str:
    return "\n".join(f"{r.code}: {r.text}" for r in reasons)


def _tool_label(tool: Tool) -> str:
    return TOOL_LABEL_ZH.get(tool, str(tool))


def _summary_sheet(ws: Worksheet, plan: Plan, styles: _Styles) -> None:
    items: list[tuple[str, object, NumKind | None]] = [
        ("Campaign", plan.campaign, None),
        ("Chain", plan.chain, None),
        ("Plan date", plan.plan_date, None),
        ("Status", plan.status, None),
        ("Solver", plan.solver, None),
        ("Budget (yuan)", plan.budget, "money"),
        ("Total spend (yuan)", plan.total_spend, "money"),
        ("Unspent (yuan)", plan.unspent, "money"),
        ("Expected GMV (yuan)", plan.expected_gmv, "money"),
        ("Expected ROI", plan.expected_roi, "ratio"),
        ("Bound GMV (yuan)", plan.bound_gmv, "money"),
        ("Gap to bound", plan.gap, "share"),
        ("Seeding share", plan.seeding_share, "share"),
        ("ROI floor", plan.roi_floor, "ratio"),
        ("ROI floor source", plan.roi_floor_source, None),
        ("KOL fees (yuan)", plan.kol_fees, "money"),
        ("Solve seconds", plan.solve_seconds, "ratio"),
    ]
    headers = ("Item", "Value")
    widths = [_text_width(h) + _HEADER_PAD for h in headers]
    for col, header in enumerate(headers):
        ws.write_string(0, col, header, styles.header)
    row = 0
    for row, (key, value, kind) in enumerate(items, start=1):
        ws.write_string(row, 0, key)
        # Rows mix money, ratios and shares, so the format is chosen per row.
        _write_cell(ws, row, 1, value, kind, styles)
        widths[0] = max(widths[0], _text_width(key) + 2)
        widths[1] = max(widths[1], _text_width(_display(value, kind)) + 2)
    ws.autofilter(0, 0, row, 1)

    blocks: tuple[tuple[str, list[str]], ...] = (
        ("Binding limits", plan.binding),
        # Only plans made by `planner plan` carry the what-if; others skip the block.
        *((("Next 10,000 yuan", plan.marginal),) if plan.marginal else ()),
        ("Assumptions", plan.assumptions),
    )
    for title, lines in blocks:
        row += 2
        ws.write_string(row, 0, title, styles.section)
        for line in lines or ["(none)"]:
            row += 1
            ws.write_string(row, 1, line, styles.wrap if "\n" in line else None)
            widths[1] = max(widths[1], _text_width(_display(line, None)) + 2)
    for col, width in enumerate(widths):
        ws.set_column(col, col, min(max(width, _MIN_WIDTH), _MAX_WIDTH))
    ws.freeze_panes(1, 0)


def _orders_sheet(ws: Worksheet, plan: Plan, styles: _Styles) -> None:
    headers = (
        "video_id",
        "tool",
        "tool_zh",
        "start_date",
        "end_date",
        "booking_date",
        "budget",
        "mode",
        "targeting",
        "expected_gmv",
        "expected_roi",
        "fixed",
        "reasons",
    )
    rows = [
        (
            o.video_id,
            str(o.tool),
            _tool_label(o.tool),
            o.start_date,
            o.end_date,
            o.booking_date,
            o.budget,
            o.mode,
            o.targeting,
            o.expected_gmv,
            # A zero-budget order has no ROI; a blank cell says so better than 0.
            o.expected_gmv / o.budget if o.budget else None,
            o.fixed,
            _reasons_text(o.reasons),
        )
        for o in plan.orders
    ]
    _write_table(ws, headers, rows, styles)


def _daily_sheet(ws: Worksheet, plan: Plan, styles: _Styles) -> None:
    headers = ("date", "video_id", "tool", "spend", "expected_gmv")
    days = sorted(plan.daily, key=lambda d: (d.date, d.video_id, str(d.tool)))
    rows = [(d.date, d.video_id, str(d.tool), d.spend, d.expected_gmv) for d in days]
    _write_table(ws, headers, rows, styles)


def _videos_sheet(ws: Worksheet, plan: Plan, styles: _Styles) -> None:
    headers = ("video_id", "tier", "gpm", "traffic_roi", "eligible_tools", "reasons")
    rows = [
        (
            v.video_id,
            v.tier,
            v.gpm,
            v.traffic_roi,
            ", ".join(str(t) for t in v.eligible_tools),
            _reasons_text(v.reasons),
        )
        for v in plan.videos
    ]
    _write_table(ws, headers, rows, styles)


def _frame_table(df: pd.DataFrame) -> tuple[list[str], list[list[object]]]:
    if not isinstance(df.index, pd.RangeIndex) or any(n is not None for n in df.index.names):
        # A meaningful index (video_id, date, ...) would otherwise be lost.
        df = df.reset_index()
    headers = [
        " / ".join(str(p) for p in c) if isinstance(c, tuple) else str(c) for c in df.columns
    ]
    columns = [df.iloc[:, i].astype(object).tolist() for i in range(df.shape[1])]
    rows = [list(r) for r in zip(*columns, strict=True)] if columns else []
    return headers, rows


# --------------------------------------------------------------------------- plan vs actual

PLAN_VS_ACTUAL_SHEET = "Plan vs actual"
PLAN_VS_ACTUAL_COLUMNS: tuple[str, ...] = (
    "date", "video_id", "kol_name", "tool", "planned_spend", "actual_spend", "spend_diff",
    "planned_gmv", "actual_gmv", "gmv_diff", "planned_roi", "actual_roi", "planned_on",
)


def plan_vs_actual_frame(plan: Plan) -> pd.DataFrame:
    """The buyer's daily report: per day so far, video and tool, plan against actuals.

    ``*_diff`` = actual - planned; a ROI is blank where its spend is zero.
    """
    names = {v.video_id: v.kol_name for v in plan.videos}
    return pd.DataFrame(
        [
            {"date": r.date, "video_id": r.video_id, "kol_name": names.get(r.video_id, ""),
             "tool": r.tool.value, "planned_spend": r.planned_spend,
             "actual_spend": r.actual_spend,
             "spend_diff": round(r.actual_spend - r.planned_spend, 2),
             "planned_gmv": r.planned_gmv, "actual_gmv": r.actual_gmv,
             "gmv_diff": round(r.actual_gmv - r.planned_gmv, 2),
             "planned_roi": r.planned_roi, "actual_roi": r.actual_roi,
             "planned_on": r.planned_on}
            for r in plan.plan_vs_actual
        ],
        columns=list(PLAN_VS_ACTUAL_COLUMNS),
    )


def _plan_vs_actual_sheet(ws: Worksheet, plan: Plan, styles: _Styles) -> None:
    headers, rows = _frame_table(plan_vs_actual_frame(plan))
    _write_table(ws, headers, rows, styles)


_SheetWriter = Callable[[Worksheet, Plan, _Styles], None]
_BUILTIN_WRITERS: tuple[_SheetWriter, ...] = (
    _summary_sheet,
    _orders_sheet,
    _daily_sheet,
    _videos_sheet,
)


def _render_xlsx(plan: Plan, path: Path, extra_sheets: Mapping[str, pd.DataFrame] | None) -> None:
    """Write the workbook straight to ``path`` (callers make that atomic)."""
    book = xlsxwriter.Workbook(
        str(path),
        {
            "constant_memory": False,
            # Belt and braces: only write_string is used for text, but these
            # keep any future write() from turning text into formulas or links.
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
        },
    )
    # The creation time is pinned to the plan date so the same plan gives the
    # same bytes, which keeps re-exports diffable and cacheable.
    book.set_properties(
        {
            "title": f"{plan.campaign} {plan.plan_date.isoformat()}",
            "created": dt.datetime.combine(plan.plan_date, dt.time()),
        }
    )
    styles = _Styles.build(book)
    for name, writer in zip(BUILTIN_SHEETS, _BUILTIN_WRITERS, strict=True):
        writer(book.add_worksheet(name), plan, styles)
    if plan.plan_vs_actual:  # re-plans only: the days so far, planned against actual
        _plan_vs_actual_sheet(book.add_worksheet(PLAN_VS_ACTUAL_SHEET), plan, styles)
    for name, frame in (extra_sheets or {}).items():
        headers, rows = _frame_table(frame)
        _write_table(book.add_worksheet(name), headers, rows, styles)
    # Only close() writes the file, so an error above leaves nothing behind.
    book.close()


@dataclass(frozen=True)
class LineChart:
    """A native Excel chart of ``y`` columns against the numeric ``x`` column of a sheet."""

    sheet: str
    x: str
    y: tuple[str, ...]
    title: str


def write_frames_xlsx(
    path: Path | str,
    sheets: Mapping[str, pd.DataFrame],
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
    plan: Plan, path: Path | str, *, extra_sheets: Mapping[str, pd.DataFrame] | None = None
) -> None:
    """Write only ``plan.xlsx`` (atomically); ``write_plan`` writes both files."""
    with atomic_path(path) as tmp:
        _render_xlsx(plan, tmp, extra_sheets)


def write_plan(
    plan: Plan,
    out_dir: Path,
    *,
    inputs: Sequence[Path] = (),
    extra_sheets: Mapping[str, pd.DataFrame] | None = None,
) -> dict[str, Path]:
    """Write ``plan.json`` and ``plan.xlsx`` into ``out_dir``.

    Both files are fully built in temporary files first and replace the old
    ones only when both succeeded, so a failure leaves the previous pair as it
    was. Raises ``InputError`` if either file would overwrite one of
    ``inputs``. Returns ``{"json": ..., "xlsx": ...}``.
    """
    out_dir = Path(out_dir)
    paths = {"json": out_dir / "plan.json", "xlsx": out_dir / "plan.xlsx"}
    ensure_not_input(paths.values(), inputs)
    out_dir.mkdir(parents=True, exist_ok=True)
    text = plan_to_json(plan)
    # Nested so that plan.json is replaced only after plan.xlsx was built and
    # replaced: a failure while building either leaves both old files intact.
    with atomic_path(paths["json"]) as json_tmp:
        json_tmp.write_text(text, encoding="utf-8", newline="")
        with atomic_path(paths["xlsx"]) as xlsx_tmp:
            _render_xlsx(plan, xlsx_tmp, extra_sheets)
    return paths
