# Long on purpose: every guard a file passes before it is parsed (size, rows, columns, each
# workbook part by size and count) sits beside the CSV, workbook and JSON readers it guards.
"""Raw sheets: a buyer's file as numbered rows of cells, refused early when it cannot be one.

The bottom layer of the readers (``headers`` → ``cells`` → ``layouts`` → ``recognise`` →
``roster`` / ``actuals``). Buyers export from Excel, WPS, Numbers or the Douyin back ends,
so this accepts what those tools write: CSV in UTF-8 (with or without BOM), UTF-16 or
GB18030/GBK, separated by commas, semicolons, tabs or pipes; an XLSX workbook or a
legacy .xls one; a report API's saved JSON response. The guards come first: the
file's size, its row count, a workbook that would unpack to far more than a roster
(a zip bomb), a cell longer than Excel allows. What comes out is a ``RawSheet``: the
rows as the buyer numbers them (row 1 first), not yet knowing which is the header
(``planner.io.headers`` finds it; a workbook's sheet is chosen by the score it passes).
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import struct
import unicodedata
import warnings
import zipfile
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, NoReturn

from planner.errors import InputError, Problem
from planner.i18n import t
from planner.parsing import is_pandas_blank

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

# Within those sizes a part can still hold far more things than a roster has, and each
# costs openpyxl a Python object (about 1 KB a format, 170 bytes a shared string): 120 MB
# of cell formats took 1.9 GB. So each part openpyxl parses whole is bounded by count
# too, counted in a stream before it is opened, and the worst workbook within every
# limit peaks under 300 MB (tests/data/bad/cases.toml measures each bomb).
MAX_XLSX_PARTS: Final = 2_000  # entries in the zip's directory (a roster has about 10)
MAX_XLSX_STYLES_BYTES: Final = 8 * 1024 * 1024  # xl/styles.xml (a roster's: a few KB)
MAX_XLSX_STYLE_ELEMENTS: Final = 50_000  # cell and number formats, fonts, fills... together
MAX_XLSX_WORKBOOK_BYTES: Final = 4 * 1024 * 1024  # xl/workbook.xml
MAX_XLSX_WORKBOOK_ELEMENTS: Final = 20_000  # sheets, defined names... together
MAX_XLSX_SHEETS: Final = 200
MAX_XLSX_STRINGS: Final = 500_000  # distinct texts: five a row in a 100,000-row roster
# Columns up to the last filled cell of a row: a report has a few hundred at most. A CSV
# row may not have more cells, filled or not, than Excel's 16,384 columns.
MAX_COLUMNS: Final = 1_024
MAX_CSV_CELLS: Final = 16_384

CSV_SUFFIXES: Final = frozenset({".csv", ".txt", ".tsv"})
JSON_SUFFIXES: Final = frozenset({".json"})
EXCEL_SUFFIXES: Final = frozenset({".xlsx", ".xlsm"})
DELIMITERS: Final = ",;\t|"

# Enough lines for csv.Sniffer to see a pattern; larger samples only slow it down.
_SNIFF_CHARS: Final = 16 * 1024

# A header may sit below a title, an export note or a row of merged group
# labels; it is looked for in this many first non-empty rows.
HEADER_SEARCH_ROWS: Final = 10

Record = tuple[int, Sequence[object]]  # (row number as the buyer sees it, the row's cells)
# How header-like a sheet's first non-empty rows are (``planner.io.headers``): the
# workbook's sheet that scores highest is read.
SheetScore = Callable[[Sequence[Sequence[object]]], int]


@dataclass(frozen=True)
class RawSheet:
    """One sheet of a file, as rows of cells: nothing is known yet of its header."""

    name: str  # the file's name, as problems say it
    records: Sequence[Record]
    # A CSV's delimiter: a row with more cells than headers is then refused, as it nearly
    # always holds an unquoted delimiter; None for a workbook or JSON.
    ragged_delimiter: str | None = None
    notes: list[str] = field(default_factory=list)  # what was skipped (other sheets)
    from_excel: bool = False  # a workbook: an empty cell may be a merged one


def read_sheet(path: Path, score: SheetScore | None = None, *,
               allow_json: bool = False) -> RawSheet:
    """The rows of a CSV, XLSX, XLS (or, with ``allow_json``, a saved JSON report) file.

    Raises InputError for a file of the wrong kind, missing, empty, too large or
    unreadable. In a workbook the sheet whose first rows ``score`` highest is read
    (the first sheet without ``score``); the others are named in ``notes``.
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
        return _read_csv(path, suffix)
    if suffix in json_suffixes:
        return _read_json(path)
    if suffix == ".xls":  # legacy Excel 97-2003, through xlrd
        return _read_xls(path, score)
    return _read_excel(path, score)


def check_rows(count: int, name: str, *, above: int = 0) -> None:
    """Refuse a table of more than ``MAX_ROWS`` data rows (``above``: the rows a header
    may sit under, counted with them)."""
    if count > MAX_ROWS + above:
        too_many_rows(name)


def filled_width(cells: Sequence[object]) -> int:
    """The number of cells up to the last non-blank one."""
    last = len(cells)
    while last and is_blank(cells[last - 1]):
        last -= 1
    return last


def too_many_columns(name: str, row: int, count: int, limit: int = MAX_COLUMNS) -> NoReturn:
    raise InputError(Problem(
        t("error.table.too_many_columns", count=f"{count:,}", limit=f"{limit:,}"),
        file=name, row=row, fix=t("error.table.too_many_columns_fix")))


def too_many_rows(name: str) -> NoReturn:
    raise InputError(Problem(
        t("error.table.too_many_rows", limit=f"{MAX_ROWS:,}"),
        file=name, fix=t("error.table.too_many_rows_fix"),
    ))


# ---------------------------------------------------------------- CSV and JSON


def _read_csv(path: Path, suffix: str) -> RawSheet:
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
            number = len(records) + 1
            if len(record) > MAX_CSV_CELLS:
                too_many_columns(name, number, len(record), MAX_CSV_CELLS)
            del record[filled_width(record):]  # trailing empty cells cost memory, say nothing
            if len(record) > MAX_COLUMNS:
                too_many_columns(name, number, len(record))
            records.append((number, record))
            filled += any(cell.strip() for cell in record)
            # The header, MAX_ROWS data rows and the title rows a header may sit under.
            check_rows(filled, name, above=HEADER_SEARCH_ROWS)
    except csv.Error as exc:
        raise InputError(Problem(
            t("error.table.csv_unreadable", line=reader.line_num, detail=exc),
            file=name, fix=t("error.table.csv_unreadable_fix"),
        )) from None
    return RawSheet(name, records, ragged_delimiter=delimiter)


def _read_json(path: Path) -> RawSheet:
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
    check_rows(len(items), name)
    flat = [_json_fields(item) for item in items]
    header: dict[str, None] = {}
    for row in flat:
        header.update(dict.fromkeys(row))
    records: list[Record] = [(1, list(header))]
    records += [(number, [row.get(key) for key in header])
                for number, row in enumerate(flat, start=2)]
    _check_cell_lengths(records, name)
    return RawSheet(name, records)


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
    limit = MAX_ROWS + HEADER_SEARCH_ROWS
    if text.count("\n") <= limit:
        return
    reader = csv.reader(_lines(text), delimiter=delimiter)
    try:
        filled = sum(1 for record in reader if any(cell.strip() for cell in record))
    except csv.Error:
        return  # reported with its line by the real read
    if filled > limit:
        too_many_rows(name)


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
    first = lines[:HEADER_SEARCH_ROWS]
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


# ---------------------------------------------------------------- workbooks


def _read_excel(path: Path, score: SheetScore | None) -> RawSheet:
    """Cell values as Excel cached them (formulas give their last result, and a failed
    formula its error text, such as "#DIV/0!", which the cell parsers name)."""
    name = path.name
    limit = MAX_ROWS + HEADER_SEARCH_ROWS  # the header, title rows and the data rows
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
                    head = [cells for _, cells in _sheet_rows(sheet, HEADER_SEARCH_ROWS, name)]
                    if head:
                        scored.append((_score(head, score), sheet.title))
                raw: list[tuple[int, list[object]]] = []
                if scored:
                    best = max(score for score, _ in scored)
                    chosen = next(title for score, title in scored if score == best)
                    raw = _sheet_rows(book[chosen], limit + 1, name)
                    if len(scored) > 1:
                        others = t("list.sep").join(
                            repr(title) for _, title in scored if title != chosen)
                        notes.append(t("warn.table.other_sheets", file=name,
                                       sheet=repr(chosen), others=others))
            finally:
                book.close()
    except InputError:
        raise
    except Exception as exc:  # openpyxl raises zipfile, XML and key errors alike
        raise InputError(Problem(
            t("error.table.xlsx_unreadable", detail=f"{type(exc).__name__}: {exc}"),
            file=name, fix=t("error.table.xlsx_unreadable_fix"),
        )) from None
    check_rows(len(raw), name, above=HEADER_SEARCH_ROWS)
    _check_cell_lengths(raw, name)
    return RawSheet(name, raw, notes=notes, from_excel=True)

def _score(head: Sequence[Sequence[object]], score: SheetScore | None) -> int:
    return 0 if score is None else score(head)


def _sheet_rows(sheet: Any, limit: int, name: str) -> list[tuple[int, list[object]]]:
    """The first ``limit`` non-blank rows of a worksheet: (row number, values from column A).

    Blank rows are skipped and trailing blank cells cut, so a sheet whose used range
    reaches XFD1048576 (a stray format in the last cell) counts its real rows only; a row
    filled beyond ``MAX_COLUMNS`` is refused (``name``: the workbook's, for the message).
    """
    # Some exporters write a wrong sheet size, which read-only mode would trust.
    sheet.reset_dimensions()
    rows: list[tuple[int, list[object]]] = []
    for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
        last = filled_width(values)
        if last > MAX_COLUMNS:
            too_many_columns(name, number, last)
        if last:
            rows.append((number, list(values[:last])))
            if len(rows) >= limit:
                break
    return rows


def _check_workbook_parts(path: Path) -> None:
    """Refuse a workbook whose parts would unpack to more than a real roster's (a zip bomb),
    or hold far more formats, sheets or texts than one has.

    The sizes are the ones the zip declares; Python's zipfile never unpacks more
    than that, so they bound what openpyxl can read. The parts openpyxl parses whole
    (styles, the workbook, shared strings) are then counted in a stream, element by
    element, before openpyxl sees them; the number of parts is read from the zip's
    end record before its directory is loaded.
    """
    name = path.name
    fix = t("error.table.bomb_fix")
    entries = _zip_entry_count(path)
    if entries is not None and entries > MAX_XLSX_PARTS:
        raise InputError(Problem(
            t("error.table.too_many_parts", count=f"{entries:,}", limit=f"{MAX_XLSX_PARTS:,}"),
            file=name, fix=fix))
    try:
        with zipfile.ZipFile(path) as archive:
            parts = archive.infolist()
            total = 0
            for part in parts:
                total += part.file_size
                _check_part_size(part, name)
            if total > MAX_XLSX_TOTAL_BYTES:
                raise InputError(Problem(
                    t("error.table.unpack_too_big", size=f"{total / 2**20:,.0f}",
                      limit=f"{MAX_XLSX_TOTAL_BYTES / 2**20:.0f}"), file=name, fix=fix))
            for part in parts:
                _check_part_count(archive, part, name)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, zlib.error):
        return  # not a zip, or a damaged one: openpyxl's error explains it


# The parts openpyxl parses whole, and how much each may hold: (its name, lowercase; the
# most bytes; what is counted; the most of it; the catalogue's word for the things).
_COUNTED_PARTS: Final = (
    ("xl/styles.xml", MAX_XLSX_STYLES_BYTES, re.compile(rb"<[A-Za-z_]"),
     MAX_XLSX_STYLE_ELEMENTS, "error.table.items_styles"),
    ("xl/workbook.xml", MAX_XLSX_WORKBOOK_BYTES, re.compile(rb"<[A-Za-z_]"),
     MAX_XLSX_WORKBOOK_ELEMENTS, "error.table.items_workbook"),
    ("xl/workbook.xml", MAX_XLSX_WORKBOOK_BYTES, re.compile(rb"<(?:\w+:)?sheet[\s/>]"),
     MAX_XLSX_SHEETS, "error.table.items_sheets"),
    ("xl/sharedstrings.xml", MAX_XLSX_STRINGS_BYTES, re.compile(rb"<(?:\w+:)?si[\s/>]"),
     MAX_XLSX_STRINGS, "error.table.items_strings"),
)


def _check_part_size(part: zipfile.ZipInfo, name: str) -> None:
    """One part's declared size against its limit, and its packing ratio."""
    fix = t("error.table.bomb_fix")
    lower = part.filename.lower()
    strings = lower.endswith("sharedstrings.xml")
    limit = next((most for part_name, most, *_ in _COUNTED_PARTS if lower == part_name),
                 MAX_XLSX_STRINGS_BYTES if strings else MAX_XLSX_PART_BYTES)
    what = (t("error.table.part_strings") if strings
            else t("error.table.part", part=part.filename))
    if part.file_size > limit:
        raise InputError(Problem(
            t("error.table.part_too_big", what=what, size=f"{part.file_size / 2**20:,.0f}",
              limit=f"{limit / 2**20:.0f}"), file=name, fix=fix))
    ratio = part.file_size / max(part.compress_size, 1)
    if part.file_size > _RATIO_FROM_BYTES and ratio > MAX_XLSX_RATIO:
        raise InputError(Problem(
            t("error.table.zip_bomb", what=what, ratio=f"{ratio:,.0f}",
              size=f"{part.file_size / 2**20:,.0f}", limit=MAX_XLSX_RATIO),
            file=name, fix=fix))


def _check_part_count(archive: zipfile.ZipFile, part: zipfile.ZipInfo, name: str) -> None:
    """Count what a part openpyxl parses whole holds, in a stream, against its limit."""
    lower = part.filename.lower()
    rules = [rule for rule in _COUNTED_PARTS if rule[0] == lower]
    if not rules:
        return
    counts = [0] * len(rules)
    carry = b""
    with archive.open(part) as stream:
        while chunk := stream.read(1024 * 1024):
            data = carry + chunk
            # A tag split between reads is counted with the next read.
            cut = data.rfind(b"<")
            cut = cut if cut >= 0 and len(data) - cut < 64 else len(data)
            data, carry = data[:cut], data[cut:]
            for i, (_, _, pattern, most, items) in enumerate(rules):
                counts[i] += len(pattern.findall(data))
                if counts[i] > most:
                    _too_many(part.filename, items, most, name)
    for i, (_, _, pattern, most, items) in enumerate(rules):
        if counts[i] + len(pattern.findall(carry)) > most:
            _too_many(part.filename, items, most, name)


def _too_many(part: str, items: str, most: int, name: str) -> NoReturn:
    raise InputError(Problem(
        t("error.table.part_too_many", what=t("error.table.part", part=part),
          items=t(items), limit=f"{most:,}"),
        file=name, fix=t("error.table.bomb_fix")))


def _zip_entry_count(path: Path) -> int | None:
    """How many entries a zip's end record declares (None: no end record found)."""
    with path.open("rb") as handle:
        handle.seek(0, io.SEEK_END)
        size = handle.tell()
        handle.seek(max(0, size - 65_536 - 22))  # the end record and its longest comment
        tail = handle.read()
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) - at < 22:
        return None
    count: int = struct.unpack("<H", tail[at + 10: at + 12])[0]
    if count == 0xFFFF:  # a zip64 archive: its own end record says
        at64 = tail.rfind(b"PK\x06\x06", 0, at)
        if at64 >= 0 and at - at64 >= 40:
            count = struct.unpack("<Q", tail[at64 + 32: at64 + 40])[0]
    return count


def _check_cell_lengths(rows: Sequence[tuple[int, Sequence[object]]], name: str) -> None:
    """A cell longer than Excel allows was not written by Excel: refuse it with its place."""
    for number, values in rows:
        for position, value in enumerate(values):
            if isinstance(value, str) and len(value) > MAX_CELL_CHARS:
                raise InputError(Problem(
                    t("error.table.long_cell", cell=f"{column_letter(position)}{number}",
                      size=f"{len(value):,}", limit=f"{MAX_CELL_CHARS:,}"),
                    file=name, row=number, fix=t("error.table.long_cell_fix")))


def _read_xls(path: Path, score: SheetScore | None) -> RawSheet:
    """A legacy Excel 97-2003 (.xls) workbook, read with xlrd (the maintained .xls reader
    pandas also uses) into the same rows an .xlsx gives.

    The sheet with the most known headers is read, as in a workbook; dates become
    datetimes, a formula's error its Excel text (#N/A), which the cell parsers name.
    Without xlrd installed the file is refused with the fix, as before.
    """
    name = path.name
    try:
        import xlrd
    except ImportError:
        raise InputError(Problem(
            t("export.xls_no_reader"), file=name, fix=t("export.xls_fix"))) from None
    limit = MAX_ROWS + HEADER_SEARCH_ROWS
    try:
        book = xlrd.open_workbook(str(path), on_demand=True)
        try:
            def rows_of(sheet: Any, count: int) -> list[tuple[int, list[object]]]:
                rows: list[tuple[int, list[object]]] = []
                for index in range(min(sheet.nrows, count + 10 * HEADER_SEARCH_ROWS)):
                    values = [_xls_value(cell, book.datemode) for cell in sheet.row(index)]
                    while values and is_blank(values[-1]):
                        values.pop()
                    if values:
                        rows.append((index + 1, values))
                    if len(rows) >= count:
                        break
                return rows

            sheets = [book.sheet_by_index(i) for i in range(book.nsheets)]
            scored = [(_score([c for _, c in head], score), i)
                      for i, sheet in enumerate(sheets)
                      if (head := rows_of(sheet, HEADER_SEARCH_ROWS))]
            notes: list[str] = []
            raw: list[tuple[int, list[object]]] = []
            if scored:
                best = max(score for score, _ in scored)
                chosen = next(i for score, i in scored if score == best)
                if sheets[chosen].nrows > limit + 1:
                    too_many_rows(name)
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
    check_rows(len(raw), name, above=HEADER_SEARCH_ROWS)
    _check_cell_lengths(raw, name)
    return RawSheet(name, raw, notes=notes, from_excel=True)


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


# ---------------------------------------------------------------- cells


def is_blank(cell: object) -> bool:
    if cell is None:
        return True
    if isinstance(cell, str):
        return not cell.strip()
    if isinstance(cell, float):
        return cell != cell  # NaN
    return is_pandas_blank(cell)


def column_letter(position: int) -> str:
    letters = ""
    position += 1
    while position:
        position, rest = divmod(position - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters
