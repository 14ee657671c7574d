"""Read the buyer's spreadsheets: the videos file and the daily actuals file.

Buyers export these from Excel, WPS, Numbers or the Douyin back-ends, so the
reader accepts what those tools write: CSV in UTF-8 (with or without BOM),
UTF-16 or GB18030/GBK, separated by commas, semicolons, tabs or pipes; or an
XLSX workbook. Headers may be English column names or simplified/traditional
Chinese. Every problem is reported with the file, the row number the buyer
sees in a spreadsheet (header = row 1 when it is the first row) and the
column header as written in the file, and all problems are listed at once so
one round of fixes is enough. A title, an export note or a row of merged group
labels above the header is skipped, and in a workbook the sheet holding the
known headers is read; both are told as warnings.
"""

from __future__ import annotations

import codecs
import csv
import difflib
import io
import unicodedata
import warnings
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Final, Literal, NoReturn

import pandas as pd
from pydantic import ValidationError

from planner.config import _value_message
from planner.errors import InputError, Problem
from planner.i18n import t
from planner.io.exports import header_key, read_normalised, read_xls_rows
from planner.models import Video
from planner.parsing import (
    parse_bool,
    parse_date,
    parse_int,
    parse_number,
    parse_text,
)
from planner.tools import TOOL_ALIASES, Tool, parse_tool

MAX_INPUT_BYTES: Final = 50 * 1024 * 1024
MAX_ROWS: Final = 100_000

# A workbook is a zip of XML parts; these bound what it may unpack to before any part
# is parsed (a zip bomb: a 600 KB file whose one shared string inflates to 600 MB).
# A 100,000-row roster's sheet is about 70 MB of XML and its shared strings 10 MB, at
# ratios of 5 to 30; a bomb's ratio is in the hundreds or thousands.
MAX_XLSX_PART_BYTES: Final = 128 * 1024 * 1024  # one worksheet's XML
MAX_XLSX_STRINGS_BYTES: Final = 48 * 1024 * 1024  # xl/sharedStrings.xml
MAX_XLSX_TOTAL_BYTES: Final = 256 * 1024 * 1024  # every part together
MAX_XLSX_RATIO: Final = 200  # uncompressed / compressed, for parts over 8 MB
_RATIO_FROM_BYTES: Final = 8 * 1024 * 1024
MAX_CELL_CHARS: Final = 32_767  # Excel's own limit for the text in one cell

_LISTED_COLUMNS: Final = 10  # unknown columns named in the warning; the rest are counted

CSV_SUFFIXES: Final = frozenset({".csv", ".txt", ".tsv"})
JSON_SUFFIXES: Final = frozenset({".json"})
EXCEL_SUFFIXES: Final = frozenset({".xlsx", ".xlsm"})
DELIMITERS: Final = ",;\t|"

# Enough lines for csv.Sniffer to see a pattern; larger samples only slow it down.
_SNIFF_CHARS: Final = 16 * 1024
_DELIMITER_NAMES: Final = {",": "error.delimiter.comma", ";": "error.delimiter.semicolon",
                            "\t": "error.delimiter.tab", "|": "error.delimiter.pipe"}

# A header may sit below a title, an export note or a row of merged group
# labels; it is looked for in this many first non-empty rows.
_HEADER_SEARCH_ROWS: Final = 10

# Plausibility limits: no Douyin account, video or campaign comes near them.
MAX_COUNT: Final = 10_000_000_000  # followers, plays, likes, ...: ten billion
MAX_YUAN: Final = 100_000_000_000  # GMV, fees, spend: one hundred billion yuan
MAX_RATIO: Final = 10_000.0  # a traffic ROI

# What the reader learnt about the file (sheet read, rows skipped) for the warnings.
_NOTES_ATTR: Final = "reader_notes"
_EXCEL_ATTR: Final = "from_excel"

Kind = Literal["str", "int", "float", "bool", "date"]


@dataclass(frozen=True)
class ColumnSpec:
    """One column the planner reads: canonical name, accepted headers, type, required."""

    name: str
    aliases: tuple[str, ...] = ()
    kind: Kind = "str"
    required: bool = False
    # Larger values are typos (an ID or phone number in the wrong column, a unit
    # mix-up) and would only blow up the optimiser's numbers, so they are refused.
    max_value: float | None = None
    # Required on a live video, may be empty on a scheduled post (published after the
    # plan date): the planner expects it from the KOL's history.
    live_only: bool = False
    # What a bare number is multiplied by to be in the planner's unit, when the
    # header carries no unit (an API field in fen: 0.01); None: the header's unit.
    scale: float | None = None

    @property
    def headers(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)


VIDEO_COLUMNS: Final[tuple[ColumnSpec, ...]] = (
    ColumnSpec("video_id", ("视频ID", "視頻ID", "視頻id", "视频编号"), "str", True),
    ColumnSpec("kol_name", ("达人昵称", "達人暱稱", "達人昵稱", "达人名称", "達人名稱", "达人"),
               "str", True),
    ColumnSpec("followers", ("粉丝数", "粉絲數", "粉丝量", "粉絲量"), "int", True, MAX_COUNT),
    ColumnSpec("median_plays", ("播放量中位数", "播放量中位數", "播放中位数", "播放中位數"),
               "float", True, MAX_COUNT),
    ColumnSpec("publish_date", ("发布日期", "發佈日期", "發布日期", "发布时间", "發佈時間"),
               "date", True),
    ColumnSpec("natural_plays", ("自然播放量",), "float", True, MAX_COUNT, live_only=True),
    ColumnSpec("natural_gmv", ("自然成交额", "自然成交額", "自然GMV"), "float", True, MAX_YUAN,
               live_only=True),
    ColumnSpec("likes", ("点赞数", "點讚數", "點贊數", "点赞量", "點讚量"), "int", True,
               MAX_COUNT, live_only=True),
    ColumnSpec("comments", ("评论数", "評論數", "评论量", "評論量"), "int", True, MAX_COUNT,
               live_only=True),
    ColumnSpec("shares", ("分享数", "分享數", "转发数", "轉發數"), "int", False, MAX_COUNT),
    ColumnSpec("kol_authorized", ("达人授权", "達人授權"), "bool"),
    ColumnSpec("ad_review_passed", ("广审通过", "廣審通過"), "bool"),
    ColumnSpec("roi_3m", ("近3月流量ROI", "近三月流量ROI"), "float", False, MAX_RATIO),
    ColumnSpec("first_2h_plays", ("首2小时播放量", "首2小時播放量"), "float", False, MAX_COUNT),
    ColumnSpec("first_2h_gmv", ("首2小时成交额", "首2小時成交額"), "float", False, MAX_YUAN),
    ColumnSpec("kol_fee", ("达人费用", "達人費用", "达人报价", "達人報價"), "float", False,
               MAX_YUAN),
    ColumnSpec("product", ("商品", "商品名称", "商品名稱"), "str"),
    ColumnSpec("landing_url", ("落地页", "落地頁", "落地页链接", "落地頁鏈接"), "str"),
)

ACTUALS_COLUMNS: Final[tuple[ColumnSpec, ...]] = (
    ColumnSpec("date", ("日期",), "date", True),
    ColumnSpec("video_id", ("视频ID", "視頻ID", "視頻id", "视频编号"), "str", True),
    ColumnSpec("tool", ("工具", "投放工具"), "str", True),
    ColumnSpec("spend", ("消耗", "花费", "花費", "消耗金额", "消耗金額"), "float", True, MAX_YUAN),
    ColumnSpec("gmv", ("成交额", "成交額", "成交金额", "成交金額"), "float", True, MAX_YUAN),
    ColumnSpec("plays", ("播放量", "播放数", "播放數"), "int", True, MAX_COUNT),
    ColumnSpec("orders", ("订单数", "訂單數", "成交订单数", "成交訂單數"), "int", False, MAX_COUNT),
    ColumnSpec("clicks", ("点击数", "點擊數", "点击量", "點擊量"), "int", False, MAX_COUNT),
    ColumnSpec("likes", ("点赞数", "點讚數", "點贊數", "点赞量", "點讚量"), "int", False,
               MAX_COUNT),
    ColumnSpec("comments", ("评论数", "評論數", "评论量", "評論量"), "int", False, MAX_COUNT),
)

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

# pandas keeps the header text of every canonical column here, so problems can
# name the column the way the buyer wrote it.
_SOURCE_ATTR: Final = "source_columns"


# ---------------------------------------------------------------- reading files


def read_table(path: Path, specs: Sequence[ColumnSpec] | None = None, *,
               allow_json: bool = False) -> pd.DataFrame:
    """Read a CSV or XLSX file into a frame of raw cells (str / number / date / None).

    The header is the first non-empty row; with ``specs``, it is the row among
    the first few non-empty ones that holds the most known headers (so a title,
    an export note or a row of merged group labels above it is skipped), and in
    a workbook the sheet with the most known headers is read. Fully empty rows
    and columns are dropped; the index holds each data row's spreadsheet row
    number, so problems can point at the row the buyer sees. Column labels are
    the header texts as written (duplicates kept, so they can be reported).
    What was skipped is told by ``reader_notes``. ``allow_json``: a report API's saved
    response (``_read_json``) is read too, as the actuals readers do.
    """
    name = path.name
    suffix = path.suffix.lower()
    json_suffixes = JSON_SUFFIXES if allow_json else frozenset()
    if suffix not in CSV_SUFFIXES | EXCEL_SUFFIXES | json_suffixes | {".xls"}:
        accepted = t("list.sep").join(sorted(CSV_SUFFIXES | EXCEL_SUFFIXES | json_suffixes))
        raise InputError(Problem(
            t("error.table.extension", suffix=path.suffix or t("error.table.no_suffix")),
            file=name, fix=t("error.table.extension_fix", accepted=accepted),
        ))
    if not path.is_file():
        raise InputError(Problem(
            t("error.table.not_found"), file=str(path), fix=t("error.table.not_found_fix")
        ))
    size = path.stat().st_size
    if size == 0:
        raise InputError(Problem(
            t("error.table.empty"), file=name, fix=t("error.table.export_again")
        ))
    if size > MAX_INPUT_BYTES:
        raise InputError(Problem(
            t("error.table.too_big", size=f"{size / 1024 / 1024:.0f}",
              limit=MAX_INPUT_BYTES // 1024 // 1024),
            file=name, fix=t("error.table.too_big_fix"),
        ))
    if suffix in CSV_SUFFIXES:
        return _read_csv(path, suffix, specs)
    if suffix in json_suffixes:
        return _read_json(path, specs)
    if suffix == ".xls":  # legacy Excel 97-2003, through xlrd (planner.io.exports)
        return read_xls_rows(path, specs)
    return _read_excel(path, specs)


def reader_notes(df: pd.DataFrame) -> list[str]:
    """What ``read_table`` skipped (rows above the header, other sheets), as warnings."""
    return [str(n) for n in df.attrs.get(_NOTES_ATTR, [])]


def _read_csv(path: Path, suffix: str, specs: Sequence[ColumnSpec] | None) -> pd.DataFrame:
    name = path.name
    text = _decode(path.read_bytes(), name)
    delimiter = _sniff_delimiter(text, suffix)
    _check_record_count(text, delimiter, name)
    reader = csv.reader(_lines(text), delimiter=delimiter)
    records: list[tuple[int, list[str]]] = []
    filled = 0
    try:
        for record in reader:
            # A quoted cell may span lines; a spreadsheet shows a record as one row.
            records.append((len(records) + 1, record))
            filled += any(cell.strip() for cell in record)
            # The header, MAX_ROWS data rows and the title rows a header may sit under.
            if filled > MAX_ROWS + _HEADER_SEARCH_ROWS:
                _too_many_rows(name)
    except csv.Error as exc:
        raise InputError(Problem(
            t("error.table.csv_unreadable", line=reader.line_num, detail=exc),
            file=name, fix=t("error.table.csv_unreadable_fix"),
        )) from None
    return _build_frame(records, name, ragged_delimiter=delimiter, specs=specs)


def _read_json(path: Path, specs: Sequence[ColumnSpec] | None) -> pd.DataFrame:
    """A report API's response saved as a file: ``{"data": {"list": [...]}}``, ``{"list":
    [...]}``, ``{"data": [...]}`` or a list of rows, each row an object of fields.

    A field holding an object (``"metrics": {...}``) gives its own fields. The fields
    become the header (in the order first seen), each row a data row numbered as a
    spreadsheet would (the first row is row 2).
    """
    import json

    name = path.name
    try:
        document = json.loads(_decode(path.read_bytes(), name))
    except json.JSONDecodeError as exc:
        raise InputError(Problem(
            t("error.table.json_unreadable", line=exc.lineno, detail=exc.msg),
            file=name, fix=t("error.table.json_fix"))) from None
    items = _json_rows(document)
    if items is None:
        raise InputError(Problem(t("error.table.json_no_rows"), file=name,
                                 fix=t("error.table.json_fix")))
    if len(items) > MAX_ROWS:
        _too_many_rows(name)
    flat = [_json_fields(item) for item in items]
    header: dict[str, None] = {}
    for row in flat:
        header.update(dict.fromkeys(row))
    records: list[tuple[int, Sequence[object]]] = [(1, list(header))]
    records += [(number, [row.get(key) for key in header])
                for number, row in enumerate(flat, start=2)]
    _check_cell_lengths(records, name)
    return _build_frame(records, name, ragged_delimiter=None, specs=specs)


def _json_rows(document: object) -> list[object] | None:
    """The list of rows in a saved API response, or None when it holds none."""
    for _ in range(3):  # {"data": {"list": [...]}} at most
        if isinstance(document, list):
            return document if all(isinstance(item, dict) for item in document) else None
        if not isinstance(document, dict):
            return None
        inner = next((document[key] for key in ("data", "list", "rows", "items")
                      if isinstance(document.get(key), list | dict)), None)
        if inner is None:
            return None
        document = inner
    return None


def _json_fields(item: object) -> dict[str, object]:
    """One row's fields; an object field gives its own fields (first name wins)."""
    out: dict[str, object] = {}
    if not isinstance(item, dict):
        return out
    for key, value in item.items():
        if isinstance(value, dict):
            for inner, cell in value.items():
                if not isinstance(cell, dict | list):
                    out.setdefault(str(inner), cell)
        elif not isinstance(value, list):
            out.setdefault(str(key), value)
    return out


def _check_record_count(text: str, delimiter: str, name: str) -> None:
    """Refuse a far too long file before holding its cells in memory.

    Cheap for every file within the limit (fewer lines than records allowed);
    a longer one is counted record by record without keeping them.
    """
    limit = MAX_ROWS + _HEADER_SEARCH_ROWS
    if text.count("\n") <= limit:
        return
    reader = csv.reader(_lines(text), delimiter=delimiter)
    try:
        filled = sum(1 for record in reader if any(cell.strip() for cell in record))
    except csv.Error:
        return  # reported with its line by the real read
    if filled > limit:
        _too_many_rows(name)


def _lines(text: str) -> Iterator[str]:
    """The lines of ``text`` with their endings, without copying it whole (io.StringIO
    holds four bytes per character, four times a 50 MB file)."""
    if "\n" not in text:  # old Mac line ends, or one line
        yield from io.StringIO(text, newline="")
        return
    start, end = 0, len(text)
    while start < end:
        stop = text.find("\n", start)
        stop = end if stop < 0 else stop + 1
        yield text[start:stop]
        start = stop


def _decode(data: bytes, name: str) -> str:
    """Text of a CSV file: BOM first, then strict UTF-8, then GB18030 (a superset of GBK)."""
    if data.startswith(b"PK\x03\x04"):
        raise InputError(Problem(
            t("error.table.xlsx_as_csv"), file=name, fix=t("error.table.xlsx_as_csv_fix"),
        ))
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise InputError(Problem(
            t("error.table.xls_as_csv"), file=name, fix=t("error.table.save_as_csv"),
        ))
    text: str | None = None
    if data.startswith(codecs.BOM_UTF8):
        text = _try_decode(data[len(codecs.BOM_UTF8):], "utf-8")
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text = _try_decode(data, "utf-16")
    elif b"\x00" not in data[:_SNIFF_CHARS]:
        text = _try_decode(data, "utf-8")
        if text is None:
            text = _try_decode(data, "gb18030")
    else:
        encoding = _bomless_utf16(data[:_SNIFF_CHARS])
        if encoding is not None:
            text = _try_decode(data, encoding)
    if text is None or _looks_binary(text):
        raise InputError(Problem(
            t("error.table.binary"), file=name, fix=t("error.table.binary_fix"),
        ))
    return text


def _bomless_utf16(sample: bytes) -> str | None:
    """UTF-16 without a BOM (some BI exports): ASCII there has a zero byte on one side."""
    even = sample[0::2].count(0)
    odd = sample[1::2].count(0)
    pairs = len(sample) // 2
    if pairs == 0 or max(even, odd) < pairs // 4 or min(even, odd) > max(even, odd) // 20:
        return None
    return "utf-16-le" if odd > even else "utf-16-be"


def _try_decode(data: bytes, encoding: str) -> str | None:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        return None


def _looks_binary(text: str) -> bool:
    """GB18030 decodes many binary byte strings, so check what came out."""
    sample = text[:_SNIFF_CHARS]
    controls = sum(
        1 for ch in sample
        if ch not in "\t\r\n\f" and unicodedata.category(ch) in ("Cc", "Co", "Cs")
    )
    return controls > max(2, len(sample) // 200)


def _sniff_delimiter(text: str, suffix: str) -> str:
    """csv.Sniffer's guess, checked against the header row, which rarely holds a delimiter."""
    sample = text[:_SNIFF_CHARS]
    if len(text) > _SNIFF_CHARS and "\n" in sample:
        sample = sample[: sample.rfind("\n")]
    lines = [line for line in sample.splitlines() if line.strip()]
    if not lines:
        return ","
    # The widest of the first lines is the header (a title line above it has one cell).
    first = lines[:_HEADER_SEARCH_ROWS]
    header_widths = {
        d: max(len(next(csv.reader([line], delimiter=d), [])) for line in first)
        for d in DELIMITERS
    }
    try:
        sniffed: str | None = csv.Sniffer().sniff(sample, delimiters=DELIMITERS).delimiter
    except csv.Error:
        sniffed = None
    if sniffed in header_widths and header_widths[sniffed] > 1:
        return sniffed
    best = max(DELIMITERS, key=lambda d: header_widths[d])
    if header_widths[best] > 1:
        return best
    return "\t" if suffix == ".tsv" else ","


def _read_excel(path: Path, specs: Sequence[ColumnSpec] | None) -> pd.DataFrame:
    """Cell values as Excel cached them (formulas give their last result, and a failed
    formula its error text, such as "#DIV/0!", which the cell parsers name)."""
    name = path.name
    limit = MAX_ROWS + _HEADER_SEARCH_ROWS  # the header, title rows and the data rows
    notes: list[str] = []
    _check_workbook_parts(path)
    import openpyxl  # only xlsx readers pay for its import (about 0.2 s)

    try:
        with warnings.catch_warnings():
            # openpyxl warns about styles and extensions it skips; none of that
            # changes the cell values, and a buyer can do nothing about it.
            warnings.simplefilter("ignore", UserWarning)
            book = openpyxl.load_workbook(path, read_only=True, data_only=True)
            try:
                # The first rows of every sheet say which one holds the table.
                scored: list[tuple[int, str]] = []
                for sheet in book.worksheets:
                    head = [cells for _, cells in _sheet_rows(sheet, _HEADER_SEARCH_ROWS)]
                    if head:
                        scored.append((_best_header(head, specs)[1], sheet.title))
                raw: list[tuple[int, list[object]]] = []
                if scored:
                    best = max(score for score, _ in scored)
                    chosen = next(title for score, title in scored if score == best)
                    raw = _sheet_rows(book[chosen], limit + 1)
                    if len(scored) > 1:
                        others = t("list.sep").join(
                            repr(title) for _, title in scored if title != chosen)
                        notes.append(t("warn.table.other_sheets", file=name,
                                       sheet=repr(chosen), others=others))
            finally:
                book.close()
    except Exception as exc:  # openpyxl raises zipfile, XML and key errors alike
        raise InputError(Problem(
            t("error.table.xlsx_unreadable", detail=f"{type(exc).__name__}: {exc}"),
            file=name, fix=t("error.table.xlsx_unreadable_fix"),
        )) from None
    if len(raw) > limit:
        _too_many_rows(name)
    _check_cell_lengths(raw, name)
    frame = _build_frame(raw, name, ragged_delimiter=None, specs=specs)
    frame.attrs[_NOTES_ATTR] = notes + reader_notes(frame)
    frame.attrs[_EXCEL_ATTR] = True
    return frame


def _sheet_rows(sheet: Any, limit: int) -> list[tuple[int, list[object]]]:
    """The first ``limit`` non-blank rows of a worksheet: (row number, values from column A).

    Blank rows are skipped and trailing blank cells cut, so a sheet whose used range
    reaches XFD1048576 (a stray format in the last cell) counts its real rows only.
    """
    # Some exporters write a wrong sheet size, which read-only mode would trust.
    sheet.reset_dimensions()
    rows: list[tuple[int, list[object]]] = []
    for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
        last = len(values)
        while last and _is_blank(values[last - 1]):
            last -= 1
        if last:
            rows.append((number, list(values[:last])))
            if len(rows) >= limit:
                break
    return rows


def _check_workbook_parts(path: Path) -> None:
    """Refuse a workbook whose parts would unpack to more than a real roster's (a zip bomb).

    The sizes are the ones the zip declares; Python's zipfile never unpacks more
    than that, so they bound what openpyxl can read.
    """
    name = path.name
    try:
        with zipfile.ZipFile(path) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return  # not a zip: openpyxl's error explains it
    fix = t("error.table.bomb_fix")
    total = 0
    for part in parts:
        total += part.file_size
        ratio = part.file_size / max(part.compress_size, 1)
        strings = part.filename.lower().endswith("sharedstrings.xml")
        limit = MAX_XLSX_STRINGS_BYTES if strings else MAX_XLSX_PART_BYTES
        what = (t("error.table.part_strings") if strings
                else t("error.table.part", part=part.filename))
        if part.file_size > limit:
            raise InputError(Problem(
                t("error.table.part_too_big", what=what, size=f"{part.file_size / 2**20:,.0f}",
                  limit=f"{limit / 2**20:.0f}"), file=name, fix=fix))
        if part.file_size > _RATIO_FROM_BYTES and ratio > MAX_XLSX_RATIO:
            raise InputError(Problem(
                t("error.table.zip_bomb", what=what, ratio=f"{ratio:,.0f}",
                  size=f"{part.file_size / 2**20:,.0f}", limit=MAX_XLSX_RATIO),
                file=name, fix=fix))
    if total > MAX_XLSX_TOTAL_BYTES:
        raise InputError(Problem(
            t("error.table.unpack_too_big", size=f"{total / 2**20:,.0f}",
              limit=f"{MAX_XLSX_TOTAL_BYTES / 2**20:.0f}"), file=name, fix=fix))


def _check_cell_lengths(rows: Sequence[tuple[int, Sequence[object]]], name: str) -> None:
    """A cell longer than Excel allows was not written by Excel: refuse it with its place."""
    for number, values in rows:
        for position, value in enumerate(values):
            if isinstance(value, str) and len(value) > MAX_CELL_CHARS:
                raise InputError(Problem(
                    t("error.table.long_cell", cell=f"{_column_letter(position)}{number}",
                      size=f"{len(value):,}", limit=f"{MAX_CELL_CHARS:,}"),
                    file=name, row=number, fix=t("error.table.long_cell_fix")))


def _too_many_rows(name: str) -> NoReturn:
    raise InputError(Problem(
        t("error.table.too_many_rows", limit=f"{MAX_ROWS:,}"),
        file=name, fix=t("error.table.too_many_rows_fix"),
    ))


def _is_blank(cell: object) -> bool:
    if cell is None:
        return True
    if isinstance(cell, str):
        return not cell.strip()
    if isinstance(cell, float):
        return cell != cell  # NaN
    return bool(cell is pd.NaT or cell is pd.NA)


def _column_letter(position: int) -> str:
    letters = ""
    position += 1
    while position:
        position, rest = divmod(position - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def _header_score(cells: Sequence[object], aliases: dict[str, ColumnSpec]) -> int:
    """How many known columns a row names (required columns count double)."""
    found = {
        spec.name: spec.required
        for cell in cells
        if isinstance(cell, str) and (spec := aliases.get(_header_key(cell))) is not None
    }
    return sum(2 if required else 1 for required in found.values())


def _best_header(
    rows: Sequence[Sequence[object]], specs: Sequence[ColumnSpec] | None
) -> tuple[int, int]:
    """(position among the non-empty ``rows``, score) of the most header-like row."""
    filled = [r for r in rows if not all(_is_blank(c) for c in r)][:_HEADER_SEARCH_ROWS]
    if not specs or not filled:
        return 0, 0
    aliases = _alias_map(specs)
    scores = [_header_score(r, aliases) for r in filled]
    best = max(scores)
    return scores.index(best), best


def _build_frame(
    records: Iterable[tuple[int, Sequence[object]]],
    name: str,
    *,
    ragged_delimiter: str | None,
    specs: Sequence[ColumnSpec] | None = None,
) -> pd.DataFrame:
    lead: list[tuple[int, list[object]]] = []  # the first non-empty rows, header among them
    rows: list[list[object]] = []
    numbers: list[int] = []
    for number, cells in records:
        if all(_is_blank(c) for c in cells):
            continue
        if len(lead) < _HEADER_SEARCH_ROWS:
            lead.append((number, list(cells)))
            continue
        rows.append(list(cells))
        numbers.append(number)
        if len(rows) > MAX_ROWS + _HEADER_SEARCH_ROWS:
            _too_many_rows(name)
    if not lead:
        raise InputError(Problem(
            t("error.table.no_header"), file=name, fix=t("error.table.no_header_fix"),
        ))
    position, _ = _best_header([cells for _, cells in lead], specs)
    above = lead[:position]
    header_number, header = lead[position]
    rows[:0] = [cells for _, cells in lead[position + 1:]]
    numbers[:0] = [number for number, _ in lead[position + 1:]]
    if len(rows) > MAX_ROWS:
        _too_many_rows(name)
    named = _filled_width(header)
    width = max([len(header), *(len(r) for r in rows)])
    if ragged_delimiter is not None:
        _check_ragged(rows, numbers, named, name, ragged_delimiter)
    header += [None] * (width - len(header))
    _fill_header_from_above(header, [cells for _, cells in above])
    for row in rows:
        row += [None] * (width - len(row))
    keep = [
        j for j in range(width)
        if not _is_blank(header[j]) or any(not _is_blank(r[j]) for r in rows)
    ]
    labels = [
        t("error.table.unnamed_column", letter=_column_letter(j)) if _is_blank(header[j])
        else unicodedata.normalize("NFC", str(header[j])).replace("\ufeff", "").strip()
        for j in keep
    ]
    data = [[row[j] for j in keep] for row in rows]
    frame = pd.DataFrame(data, columns=labels, dtype=object)
    frame.index = pd.Index(numbers, dtype="int64", name="row")
    if above:
        first, last = above[0][0], above[-1][0]
        where = (t("error.row", row=first) if first == last
                 else t("error.rows", first=first, last=last))
        frame.attrs[_NOTES_ATTR] = [
            t("warn.table.rows_above_header", file=name, header=header_number, where=where)
        ]
    return frame


def _fill_header_from_above(header: list[object], above: Sequence[Sequence[object]]) -> None:
    """A header cell merged down from a group-label row keeps its text in the row above."""
    groups = [r for r in above if _filled_width(r) > 0 and sum(not _is_blank(c) for c in r) > 1]
    for j, cell in enumerate(header):
        if not _is_blank(cell):
            continue
        for row in reversed(groups):
            if j < len(row) and not _is_blank(row[j]):
                header[j] = row[j]
                break


def _check_ragged(
    rows: list[list[object]], numbers: list[int], named: int, name: str, delimiter: str
) -> None:
    """A CSV row with more cells than headers nearly always holds an unquoted delimiter."""
    problems = [
        Problem(
            t("error.table.ragged", cells=_filled_width(row), named=named,
              delimiter=t(_DELIMITER_NAMES[delimiter]), example=f"1{delimiter}234"),
            file=name, row=number,
            fix=t("error.table.ragged_fix", delimiter=t(_DELIMITER_NAMES[delimiter])),
        )
        for row, number in zip(rows, numbers, strict=True)
        if any(not _is_blank(c) for c in row[named:])
    ]
    if problems:
        raise InputError(problems)


def _filled_width(row: Sequence[object]) -> int:
    return max((j + 1 for j, c in enumerate(row) if not _is_blank(c)), default=0)


# ---------------------------------------------------------------- columns


def _header_key(text: str) -> str:
    """Compare headers ignoring case, spaces, '_'/'-', full-width forms and a unit
    (``消耗(元)``, ``粉丝（万）``): one rule for every reader (``planner.io.exports``)."""
    return header_key(text)


def _alias_map(specs: Sequence[ColumnSpec]) -> dict[str, ColumnSpec]:
    mapping: dict[str, ColumnSpec] = {}
    for spec in specs:
        for header in spec.headers:
            key = _header_key(header)
            other = mapping.setdefault(key, spec)
            if other is not spec:
                raise ValueError(
                    f"header '{header}' is claimed by '{other.name}' and '{spec.name}'"
                )
    return mapping


def _closest_header(spec: ColumnSpec, headers: Sequence[str]) -> tuple[str, str] | None:
    """(header in the file, accepted header) when the first is probably a typo of the second."""
    keys = {_header_key(h): h for h in headers}
    for accepted in spec.headers:
        close = difflib.get_close_matches(_header_key(accepted), list(keys), n=1, cutoff=0.75)
        if close:
            return keys[close[0]], accepted
    return None


def _has_chinese(text: object) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in str(text))


def _header_in_files_language(spec: ColumnSpec, headers: Iterable[object]) -> str:
    """A missing column as the file would head it: 「发布日期」 in a file with Chinese
    headers, ``publish_date`` in one with English headers."""
    if any(_has_chinese(h) for h in headers):
        return next((h for h in spec.headers if _has_chinese(h)), spec.name)
    return spec.name


def source_columns(df: pd.DataFrame) -> dict[str, str]:
    """Canonical column -> the header as written in the file (after normalise_columns)."""
    stored = df.attrs.get(_SOURCE_ATTR, {})
    return {str(k): str(v) for k, v in stored.items()}


def normalise_columns(
    df: pd.DataFrame, specs: Sequence[ColumnSpec], file: str
) -> tuple[pd.DataFrame, list[str]]:
    """Rename headers to canonical names; drop unknown columns with one warning.

    Raises InputError naming every missing required column with the headers it
    accepts, and every canonical column given twice.
    """
    aliases = _alias_map(specs)
    found: dict[str, list[str]] = {}
    positions: dict[str, int] = {}
    unknown: list[str] = []
    for position, label in enumerate(df.columns):
        header = str(label).replace("\ufeff", "").strip()
        spec = aliases.get(_header_key(header))
        if spec is None:
            unknown.append(header)
            continue
        found.setdefault(spec.name, []).append(header)
        positions.setdefault(spec.name, position)
    problems = [
        Problem(
            t("error.table.same_column", headers=t("error.and").join(repr(h) for h in headers),
              column=canonical),
            file=file, fix=t("error.table.same_column_fix"),
        )
        for canonical, headers in found.items()
        if len(headers) > 1
    ]
    missing = [s for s in specs if s.required and s.name not in found]
    present = t("list.sep").join(repr(str(c)) for c in df.columns[:15]) or t("error.none")
    for number, spec in enumerate(missing):
        close = _closest_header(spec, unknown)
        if close is not None:
            fix = t("error.table.typo_fix", found=close[0], accepted=close[1])
        elif number == 0:
            fix = t("error.table.missing_fix_present", present=present)
        else:
            fix = t("error.table.missing_fix")
        problems.append(Problem(
            t("error.table.missing", column=_header_in_files_language(spec, df.columns),
              accepted=t("list.sep").join(spec.headers)),
            file=file, fix=fix,
        ))
    if problems:
        raise InputError(problems)
    order = sorted(found, key=positions.__getitem__)
    result = df.iloc[:, [positions[c] for c in order]].copy()
    result.columns = pd.Index(order)
    result.attrs[_SOURCE_ATTR] = {c: found[c][0] for c in order}
    result.attrs[_EXCEL_ATTR] = bool(df.attrs.get(_EXCEL_ATTR, False))
    notes = reader_notes(df)
    if unknown:
        # A line a buyer can read: the first few names, shortened, and how many more.
        shown = [repr(u if len(u) <= 40 else u[:39] + "…") for u in unknown[:_LISTED_COLUMNS]]
        more = len(unknown) - len(shown)
        notes.append(t("warn.table.unknown_columns", file=file, count=f"{len(unknown):,}",
                       columns=t("list.sep").join(shown)
                       + (t("warn.table.more_columns", count=f"{more:,}") if more else "")))
    return result, notes


# ---------------------------------------------------------------- cells


def _row_numbers(df: pd.DataFrame) -> list[int]:
    index = list(df.index)
    if all(isinstance(i, int) for i in index):
        return [int(i) for i in index]
    return [position + 2 for position in range(len(index))]


def _parse_cells(
    df: pd.DataFrame, specs: Sequence[ColumnSpec], file: str,
    scheduled_after: date | None = None,
) -> tuple[list[tuple[int, dict[str, Any]]], list[Problem]]:
    """Each row's parsed values (empty cells left out) and every problem found.

    Rows published after ``scheduled_after`` are scheduled posts: their
    ``live_only`` cells may be empty (any row's, when no date is given).
    """
    headers = source_columns(df)
    numbers = _row_numbers(df)
    rows: list[tuple[int, dict[str, Any]]] = [(n, {}) for n in numbers]
    problems: list[Problem] = []
    fill = t("error.fix.fill")
    if df.attrs.get(_EXCEL_ATTR):
        fill = t("error.fix.fill_merged")
    for spec in specs:
        if spec.name not in df.columns:
            continue
        parser = _PARSERS[spec.kind]
        column = headers.get(spec.name, spec.name)
        for (number, values), cell in zip(rows, df[spec.name].tolist(), strict=True):
            try:
                value = parser(cell)
            except ValueError as exc:
                problems.append(
                    Problem(t("error.sentence", text=exc), file=file, row=number, column=column,
                            fix=t(_FIXES[spec.kind]))
                )
                continue
            if value is None:
                published = values.get("publish_date")
                # Without a plan date the core tells scheduled posts apart (assess_roster).
                scheduled = spec.live_only and (scheduled_after is None or (
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
            if (
                spec.max_value is not None
                and isinstance(value, int | float)
                and abs(value) > spec.max_value
            ):
                shown = f"{value:,.0f}" if abs(value) < 1e15 else f"{value:.3g}"
                problems.append(Problem(
                    t("error.table.too_large", value=shown, limit=f"{spec.max_value:,.0f}"),
                    file=file, row=number, column=column, fix=t("error.table.too_large_fix"),
                ))
                continue
            values[spec.name] = value
    # Buyers fix a file row by row, left to right.
    order = {headers.get(s.name, s.name): i for i, s in enumerate(specs)}
    problems.sort(key=lambda p: (p.row or 0, order.get(p.column or "", len(order))))
    return rows, problems


def parse_rows(df: pd.DataFrame, specs: Sequence[ColumnSpec], file: str) -> list[dict[str, Any]]:
    """Parse every cell by its column's kind: one dict per row of ``df``, in order.

    Empty optional cells are left out of the dicts (so model defaults apply).
    Raises InputError listing every bad or missing-but-required cell.
    """
    rows, problems = _parse_cells(df, specs, file)
    if problems:
        raise InputError(problems)
    return [values for _, values in rows]


# ---------------------------------------------------------------- videos


def _model_problems(
    exc: ValidationError, file: str, row: int, headers: dict[str, str]
) -> list[Problem]:
    problems = []
    for item in exc.errors():
        field = str(item["loc"][0]) if item["loc"] else ""
        value = item.get("input")
        if item["type"] in ("greater_than_equal", "greater_than"):
            message = t("error.negative", value=f"{value:g}") if isinstance(
                value, int | float
            ) else t("error.below_zero")
            fix = t("error.fix.positive")
        else:
            # A validator's own ValueError is already in the buyer's language;
            # pydantic's words for other failures are not, so they are named.
            cause = (item.get("ctx") or {}).get("error")
            detail = str(cause) if isinstance(cause, ValueError) else _value_message(item)[0]
            message = t("error.sentence", text=detail)
            fix = t("error.fix.correct_cell")
            if field == "landing_url":
                fix = t("error.fix.landing_url")
        problems.append(
            Problem(message, file=file, row=row, column=headers.get(field, field or None), fix=fix)
        )
    return problems


def read_videos(path: Path, plan_date: date | None = None,
                last_day: date | None = None) -> tuple[list[Video], list[str]]:
    """Read the videos file into Video models plus warnings (e.g. ignored columns).

    Raises InputError listing every problem: unreadable cells, empty required
    cells, negative values and a video_id given twice. A video published after
    ``plan_date`` is a scheduled post: its natural plays, GMV, likes and comments
    may be empty. One published after ``last_day`` (the campaign's end) can carry
    nothing and is refused.
    """
    from planner.io.recognise import read_roster_table  # it builds on this module

    name = path.name
    # The planner's own videos file, or a 星图 / 蝉妈妈 export recognised by its headers.
    table, notes = read_roster_table(path)
    headers = source_columns(table)
    rows, problems = _parse_cells(table, VIDEO_COLUMNS, name, scheduled_after=plan_date)
    if not rows:
        raise InputError(Problem(
            t("error.videos.none"), file=name, fix=t("error.videos.none_fix")
        ))
    id_column = headers.get("video_id", "video_id")
    first_row: dict[str, int] = {}
    videos: list[Video] = []
    failed = {p.row for p in problems}
    for number, values in rows:
        video_id = values.get("video_id")
        if isinstance(video_id, str):
            if video_id in first_row:
                problems.append(Problem(
                    t("error.videos.twice", video=video_id, first=first_row[video_id],
                      row=number),
                    file=name, row=number, column=id_column, fix=t("error.videos.twice_fix"),
                ))
            else:
                first_row[video_id] = number
        published = values.get("publish_date")
        if last_day is not None and isinstance(published, date) and published > last_day:
            problems.append(Problem(
                t("error.videos.after_end", published=published, last=last_day),
                file=name, row=number, column=headers.get("publish_date", "publish_date"),
                fix=t("error.videos.after_end_fix"),
            ))
        if number in failed:
            continue
        try:
            videos.append(Video.model_validate(values))
        except ValidationError as exc:
            problems.extend(_model_problems(exc, name, number, headers))
    if problems:
        problems.sort(key=lambda p: p.row or 0)
        raise InputError(problems)
    return videos, notes


# ---------------------------------------------------------------- actuals

ACCEPTED_TOOL_NAMES: Final = tuple(sorted(set(TOOL_ALIASES) | {tool.value for tool in Tool}))


def read_actuals(
    path: Path, normalised: tuple[pd.DataFrame, list[str]] | None = None,
) -> tuple[pd.DataFrame, list[str]]:
    """Read the daily actuals file: one row per date, video and tool.

    Returns a frame with every ACTUALS_COLUMNS column (date objects, str ids,
    tool ids as plain str, floats with NaN for empty optional counts) and
    warnings. Raises InputError listing every problem, including unknown tools,
    negative values and a (date, video_id, tool) given twice. ``normalised`` is the
    file already read by ``read_normalised`` (the export recogniser reads it once).
    """
    name = path.name
    table, notes = normalised or read_normalised(path, ACTUALS_COLUMNS)
    headers = source_columns(table)
    rows, problems = _parse_cells(table, ACTUALS_COLUMNS, name)
    tool_column = headers.get("tool", "tool")
    seen: dict[tuple[object, object, object], int] = {}
    for number, values in rows:
        raw_tool = values.get("tool")
        if raw_tool is not None:
            tool = parse_tool(str(raw_tool))
            if tool is None:
                problems.append(Problem(
                    t("error.actuals.unknown_tool", tool=raw_tool),
                    file=name, row=number, column=tool_column,
                    fix=t("error.fix.use_one_of", accepted=t("list.sep").join(ACCEPTED_TOOL_NAMES)),
                ))
                del values["tool"]
            else:
                values["tool"] = tool.value
        for spec in ACTUALS_COLUMNS:
            amount = values.get(spec.name)
            if spec.kind in ("int", "float") and isinstance(amount, int | float) and amount < 0:
                problems.append(Problem(
                    t("error.negative", value=f"{amount:g}"),
                    file=name, row=number, column=headers.get(spec.name, spec.name),
                    fix=t("error.fix.positive"),
                ))
        key = (values.get("date"), values.get("video_id"), values.get("tool"))
        if None not in key:
            if key in seen:
                problems.append(Problem(
                    t("error.actuals.twice", key=f"{key[0]} / {key[1]} / {key[2]}",
                      first=seen[key], row=number),
                    file=name, row=number, fix=t("error.actuals.twice_fix"),
                ))
            else:
                seen[key] = number
    if problems:
        problems.sort(key=lambda p: p.row or 0)
        raise InputError(problems)
    return _actuals_frame([values for _, values in rows]), notes


def _actuals_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    columns: dict[str, pd.Series[Any]] = {}
    for spec in ACTUALS_COLUMNS:
        values = [r.get(spec.name) for r in rows]
        if spec.kind == "date":
            columns[spec.name] = pd.Series(values, dtype=object)
        elif spec.kind == "str":
            columns[spec.name] = pd.Series(values, dtype="str")
        else:
            columns[spec.name] = pd.Series(
                [float("nan") if v is None else float(v) for v in values], dtype="float64"
            )
    return pd.DataFrame(columns)
