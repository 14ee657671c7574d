"""Header search and column specs: which row of a raw sheet is the header, and which
of its columns the planner reads, under the names the buyer wrote.

The second layer of the readers (``raw`` → ``headers`` → ``cells`` → ...). Headers may
be English column names or simplified/traditional Chinese, carry a unit in brackets
(``消耗(元)``, ``粉丝（万）``) and full-width forms: ``header_key`` compares them
without those, one rule for every reader. A title, an export note or a row of merged
group labels above the header is skipped (the header is the row among the first few
non-empty ones that names the most known columns), and a header cell merged down from
a group label keeps its text. Every problem names the file, the row the buyer sees in
a spreadsheet and the column header as written; all are listed at once. What was
skipped is told as warnings (``reader_notes``).
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal

from planner.errors import InputError, Problem
from planner.i18n import t
from planner.io.raw import (
    HEADER_SEARCH_ROWS,
    RawSheet,
    SheetScore,
    check_rows,
    column_letter,
    is_blank,
    read_sheet,
)
from planner.parsing import clean_text
from planner.table import Table

# Plausibility limits: no Douyin account, video or campaign comes near them.
MAX_COUNT: Final = 10_000_000_000  # followers, plays, likes, ...: ten billion
MAX_YUAN: Final = 100_000_000_000  # GMV, fees, spend: one hundred billion yuan
MAX_RATIO: Final = 10_000.0  # a traffic ROI

_LISTED_COLUMNS: Final = 10  # unknown columns named in the warning; the rest are counted
_DELIMITER_NAMES: Final = {",": "error.delimiter.comma", ";": "error.delimiter.semicolon",
                            "\t": "error.delimiter.tab", "|": "error.delimiter.pipe"}

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


# ---------------------------------------------------------------- header texts

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


# ---------------------------------------------------------------- finding the header


def read_table(path: Path, specs: Sequence[ColumnSpec] | None = None, *,
               allow_json: bool = False) -> Table:
    """Read a CSV or XLSX file into a table of raw cells (str / number / date / None).

    The header is the first non-empty row; with ``specs``, it is the row among
    the first few non-empty ones that holds the most known headers (so a title,
    an export note or a row of merged group labels above it is skipped), and in
    a workbook the sheet with the most known headers is read. Fully empty rows
    and columns are dropped; ``numbers`` holds each data row's spreadsheet row
    number, so problems can point at the row the buyer sees. Column labels are
    the header texts as written (duplicates kept, so they can be reported).
    What was skipped is told by ``reader_notes``. ``allow_json``: a report API's saved
    response is read too, as the actuals readers do.
    """
    sheet = read_sheet(path, None if specs is None else header_search(specs),
                       allow_json=allow_json)
    return _build_table(sheet, specs)


def header_search(specs: Sequence[ColumnSpec]) -> SheetScore:
    """How header-like a sheet's first rows are for ``specs``: chooses a workbook's sheet."""
    return lambda rows: _best_header(rows, specs)[1]


def _header_score(cells: Sequence[object], aliases: dict[str, ColumnSpec]) -> int:
    """How many known columns a row names (required columns count double)."""
    found = {
        spec.name: spec.required
        for cell in cells
        if isinstance(cell, str) and (spec := aliases.get(header_key(cell))) is not None
    }
    return sum(2 if required else 1 for required in found.values())


def _best_header(
    rows: Sequence[Sequence[object]], specs: Sequence[ColumnSpec] | None
) -> tuple[int, int]:
    """(position among the non-empty ``rows``, score) of the most header-like row."""
    filled = [r for r in rows if not all(is_blank(c) for c in r)][:HEADER_SEARCH_ROWS]
    if not specs or not filled:
        return 0, 0
    aliases = alias_map(specs)
    scores = [_header_score(r, aliases) for r in filled]
    best = max(scores)
    return scores.index(best), best


def _build_table(sheet: RawSheet, specs: Sequence[ColumnSpec] | None) -> Table:
    """The sheet as a table: the header found, empty rows and columns dropped, the index
    the buyer's row numbers, the labels the header texts as written (duplicates kept)."""
    name, ragged_delimiter = sheet.name, sheet.ragged_delimiter
    lead: list[tuple[int, list[object]]] = []  # the first non-empty rows, header among them
    rows: list[list[object]] = []
    numbers: list[int] = []
    for number, cells in sheet.records:
        if all(is_blank(c) for c in cells):
            continue
        if len(lead) < HEADER_SEARCH_ROWS:
            lead.append((number, list(cells)))
            continue
        rows.append(list(cells))
        numbers.append(number)
        check_rows(len(rows), name, above=HEADER_SEARCH_ROWS)
    if not lead:
        raise InputError(Problem(
            t("error.table.no_header"), file=name, fix=t("error.table.no_header_fix"),
        ))
    position, _ = _best_header([cells for _, cells in lead], specs)
    above = lead[:position]
    header_number, header = lead[position]
    rows[:0] = [cells for _, cells in lead[position + 1:]]
    numbers[:0] = [number for number, _ in lead[position + 1:]]
    check_rows(len(rows), name)
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
        if not is_blank(header[j]) or any(not is_blank(r[j]) for r in rows)
    ]
    labels = [
        t("error.table.unnamed_column", letter=column_letter(j)) if is_blank(header[j])
        else unicodedata.normalize("NFC", str(header[j])).replace("\ufeff", "").strip()
        for j in keep
    ]
    data = rows if keep == list(range(width)) else [[row[j] for j in keep] for row in rows]
    notes = list(sheet.notes)
    if above:
        first, last = above[0][0], above[-1][0]
        where = (t("error.row", row=first) if first == last
                 else t("error.rows", first=first, last=last))
        notes.append(
            t("warn.table.rows_above_header", file=name, header=header_number, where=where))
    return Table.from_rows(labels, data, numbers).replace(notes=tuple(notes),
                                                          from_excel=sheet.from_excel)


def _fill_header_from_above(header: list[object], above: Sequence[Sequence[object]]) -> None:
    """A header cell merged down from a group-label row keeps its text in the row above."""
    groups = [r for r in above if _filled_width(r) > 0 and sum(not is_blank(c) for c in r) > 1]
    for j, cell in enumerate(header):
        if not is_blank(cell):
            continue
        for row in reversed(groups):
            if j < len(row) and not is_blank(row[j]):
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
        if any(not is_blank(c) for c in row[named:])
    ]
    if problems:
        raise InputError(problems)


def _filled_width(row: Sequence[object]) -> int:
    return max((j + 1 for j, c in enumerate(row) if not is_blank(c)), default=0)


# ---------------------------------------------------------------- columns


def alias_map(specs: Sequence[ColumnSpec]) -> dict[str, ColumnSpec]:
    mapping: dict[str, ColumnSpec] = {}
    for spec in specs:
        for header in spec.headers:
            key = header_key(header)
            other = mapping.setdefault(key, spec)
            if other is not spec:
                raise ValueError(
                    f"header '{header}' is claimed by '{other.name}' and '{spec.name}'"
                )
    return mapping


def _has_chinese(text: object) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in str(text))


def _header_in_files_language(spec: ColumnSpec, headers: Iterable[object]) -> str:
    """A missing column as the file would head it: 「发布日期」 in a file with Chinese
    headers, ``publish_date`` in one with English headers."""
    if any(_has_chinese(h) for h in headers):
        return next((h for h in spec.headers if _has_chinese(h)), spec.name)
    return spec.name


def _closest_header(spec: ColumnSpec, headers: Sequence[str]) -> tuple[str, str] | None:
    """(header in the file, accepted header) when the first is probably a typo of the second."""
    keys = {header_key(h): h for h in headers}
    for accepted in spec.headers:
        close = difflib.get_close_matches(header_key(accepted), list(keys), n=1, cutoff=0.75)
        if close:
            return keys[close[0]], accepted
    return None


def normalise_columns(
    table: Table, specs: Sequence[ColumnSpec], file: str, *, keep_missing: bool = False,
) -> tuple[Table, list[str]]:
    """Rename headers to canonical names; drop unknown columns with one warning.

    Raises InputError naming every missing required column with the headers it
    accepts, and every canonical column given twice. With ``keep_missing`` the missing
    columns are not raised but kept on the table (``Table.missing``), so a reader can
    list them with the problems of the cells the file does have.
    """
    aliases = alias_map(specs)
    found: dict[str, list[str]] = {}
    positions: dict[str, int] = {}
    unknown: list[str] = []
    for position, label in enumerate(table.columns):
        header = str(label).replace("\ufeff", "").strip()
        spec = aliases.get(header_key(header))
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
    present = t("list.sep").join(repr(str(c)) for c in table.columns[:15]) or t("error.none")
    for number, spec in enumerate(missing):
        close = _closest_header(spec, unknown)
        if close is not None:
            fix = t("error.table.typo_fix", found=close[0], accepted=close[1])
        elif number == 0:
            fix = t("error.table.missing_fix_present", present=present)
        else:
            fix = t("error.table.missing_fix")
        problems.append(Problem(
            t("error.table.missing", column=_header_in_files_language(spec, table.columns),
              accepted=t("list.sep").join(spec.headers)),
            file=file, fix=fix,
        ))
    missing_problems = problems[len(problems) - len(missing):]
    if problems and not (keep_missing and len(missing_problems) == len(problems)):
        raise InputError(problems)
    order = sorted(found, key=positions.__getitem__)
    result = table.select([positions[c] for c in order], order).replace(
        sources={c: found[c][0] for c in order}, missing=tuple(missing_problems), notes=())
    notes = list(table.notes)
    if unknown:
        # A line a buyer can read: the first few names, shortened, and how many more.
        shown = [repr(u if len(u) <= 40 else u[:39] + "…") for u in unknown[:_LISTED_COLUMNS]]
        more = len(unknown) - len(shown)
        notes.append(t("warn.table.unknown_columns", file=file, count=f"{len(unknown):,}",
                       columns=t("list.sep").join(shown)
                       + (t("warn.table.more_columns", count=f"{more:,}") if more else "")))
    return result, notes
