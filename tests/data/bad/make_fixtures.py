"""Write the bad-input corpus next to this script (run it again after changing it).

    .venv/bin/python tests/data/bad/make_fixtures.py

Every file is derived from one small, hand-written roster (``BASE``) that
plans cleanly with ``sample_data/campaign_tmall.toml`` (plan date
2027-04-20, a commitment on v0012), from that campaign file, or from a
small actuals table, each with one thing broken. ``cases.toml`` pairs every
file with the message it must produce; ``tests/test_bad_inputs.py`` checks
them. Output is byte-for-byte reproducible: random bytes come from a seeded
generator and workbooks get fixed timestamps.
"""

from __future__ import annotations

import csv
import io
import os
import random
import re
import zipfile
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from pathlib import Path

import openpyxl
import xlsxwriter
from openpyxl.worksheet.worksheet import Worksheet

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
OUT = HERE  # where the files go; main(out) changes it (the tests regenerate into a tmp dir)
CAMPAIGN = (ROOT / "sample_data" / "campaign_tmall.toml").read_text("utf-8")
SEED = 20270420
FIXED_TIME = (2027, 4, 20, 0, 0, 0)

Row = list[str]

HEADER: Row = [
    "video_id", "kol_name", "followers", "median_plays", "publish_date", "natural_plays",
    "natural_gmv", "likes", "comments", "shares", "kol_authorized", "ad_review_passed",
    "roi_3m", "first_2h_plays", "first_2h_gmv", "kol_fee", "product", "landing_url",
]
ZH_HEADER: Row = [
    "视频ID", "达人昵称", "粉丝数", "播放量中位数", "发布日期", "自然播放量", "自然成交额",
    "点赞数", "评论数", "分享数", "达人授权", "广审通过", "近3月流量ROI", "首2小时播放量",
    "首2小时成交额", "达人费用", "商品", "落地页",
]
_URL = "https://detail.tmall.com/item.htm?id="
# Spreadsheet rows: header = row 1, v0001 = row 2, ..., v0020 = row 6.
BASE: list[Row] = [
    ["v0001", "超甜的糖爱美妆", "9628266", "821618", "2027-04-10", "821351", "27636.34",
     "39217", "1872", "14117", "true", "true", "0.78", "", "", "440600", "小金瓶精华液",
     _URL + "652201937745"],
    ["v0002", "小蕊姐", "213512", "60000", "2027-04-17", "252000", "20160", "2300", "101",
     "600", "true", "false", "1.64", "", "", "5200", "氨基酸洁面乳", _URL + "701238845610"],
    ["v0003", "萌呀", "86590", "9470", "2027-04-15", "53600", "2738", "1700", "40", "300",
     "false", "false", "", "", "", "2000", "玻尿酸补水面膜", ""],
    ["v0012", "橙不熬夜", "1681146", "130932", "2027-04-05", "417980", "47067", "6140", "270",
     "1440", "true", "true", "1.3", "", "", "75100", "清透防晒喷雾", _URL + "719930254418"],
    ["v0020", "阿鹿说护肤", "3500000", "400000", "2027-03-30", "1200000", "96000", "52000",
     "2100", "8000", "true", "true", "2.1", "", "", "150000", "胶原蛋白饮",
     _URL + "664178320937"],
]

ACTUALS_HEADER: Row = ["date", "video_id", "tool", "spend", "gmv", "plays", "orders"]
ACTUALS: list[Row] = [
    ["2027-04-21", "v0012", "dou_plus", "1000", "1850", "50000", "12"],
    ["2027-04-21", "v0020", "kol_bidding", "3000", "7200", "75000", "40"],
    ["2027-04-22", "v0012", "dou_plus", "1000", "1600", "48000", "10"],
]


# ---------------------------------------------------------------- helpers


def csv_text(rows: Sequence[Sequence[str]], delimiter: str = ",") -> str:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue()


def roster(*edits: tuple[int, str, str], header: Row = HEADER) -> list[Row]:
    """The base roster with cells replaced: (spreadsheet row, column name, new text)."""
    rows = [list(header)] + [list(r) for r in BASE]
    for row, column, value in edits:
        rows[row - 1][HEADER.index(column)] = value
    return rows


def without(rows: list[Row], *columns: str) -> list[Row]:
    drop = {rows[0].index(c) for c in columns}
    return [[c for j, c in enumerate(r) if j not in drop] for r in rows]


def write_bytes(name: str, data: bytes) -> None:
    (OUT / name).write_bytes(data)


def write_text(name: str, text: str, encoding: str = "utf-8") -> None:
    write_bytes(name, text.encode(encoding))


def campaign(replace: Callable[[str], str]) -> str:
    text = replace(CAMPAIGN)
    if text == CAMPAIGN:
        raise ValueError("the edit did not change the campaign file")
    return text


def sub(old: str, new: str, count: int = 1) -> Callable[[str], str]:
    def edit(text: str) -> str:
        if old not in text:
            raise ValueError(f"{old!r} is not in the campaign file")
        return text.replace(old, new, count)

    return edit


def typed(row: Row) -> list[object]:
    """Cells as Excel holds them: numbers as numbers, dates as dates."""
    out: list[object] = []
    for column, text in zip(HEADER, row, strict=True):
        if text == "":
            out.append(None)
        elif column == "publish_date":
            out.append(datetime.fromisoformat(text))
        elif column in ("video_id", "kol_name", "product", "landing_url", "kol_authorized",
                        "ad_review_passed"):
            out.append(text)
        else:
            out.append(float(text) if "." in text else int(text))
    return out


def save_book(book: openpyxl.Workbook, name: str) -> None:
    book.properties.creator = "make_fixtures.py"
    book.properties.created = datetime(*FIXED_TIME)
    path = OUT / name
    book.save(path)
    normalise_zip(path)


def normalise_zip(path: Path) -> None:
    """Fixed entry times and document dates, so the workbook's bytes are reproducible."""
    with zipfile.ZipFile(path) as source:
        entries = [(info.filename, source.read(info)) for info in source.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for filename, data in entries:
            if filename == "docProps/core.xml":
                data = re.sub(
                    rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)",
                    rb"\g<1>2027-04-20T00:00:00Z\g<2>",
                    data,
                )
            target.writestr(zipfile.ZipInfo(filename, date_time=FIXED_TIME), data)


def append_rows(sheet: Worksheet, rows: Sequence[Sequence[object]]) -> None:
    for row in rows:
        sheet.append(list(row))


# ---------------------------------------------------------------- videos, CSV


def videos_csv() -> None:
    rows = roster()
    write_text("videos_missing_followers.csv", csv_text(without(rows, "followers")))
    write_text("videos_missing_two_columns.csv", csv_text(without(rows, "natural_gmv", "likes")))
    typo = roster()
    typo[0][HEADER.index("followers")] = "folowers"
    write_text("videos_header_typo.csv", csv_text(typo))
    twice = [[*r, r[HEADER.index("followers")]] for r in roster()]
    twice[0][-1] = "粉丝数"
    write_text("videos_same_column_twice.csv", csv_text(twice))
    extra = [[*r, "", "李四"] for r in roster()]
    extra[0][-2:] = ["备注", "负责人"]
    write_text("videos_unknown_columns.csv", csv_text(extra))
    write_text("videos_text_in_count.csv", csv_text(roster((3, "followers", "很多"))))
    write_text("videos_fractional_count.csv", csv_text(roster((4, "likes", "12.5"))))
    write_text("videos_bad_bool.csv", csv_text(roster((2, "kol_authorized", "maybe"))))
    write_text("videos_negative_gmv.csv", csv_text(roster((4, "natural_gmv", "-200"))))
    write_text("videos_negative_fee_wan.csv", csv_text(roster((6, "kol_fee", "-3万"))))
    write_text("videos_nan_gmv.csv", csv_text(roster((3, "natural_gmv", "NaN"))))
    write_text("videos_inf_plays.csv", csv_text(roster((5, "natural_plays", "inf"))))
    write_text("videos_absurd_gmv.csv", csv_text(roster((2, "natural_gmv", "1e300"))))
    write_text("videos_phone_in_followers.csv", csv_text(roster((4, "followers", "13812345678"))))
    write_text("videos_duplicate_id.csv", csv_text(roster((5, "video_id", "v0002"))))
    write_text(
        "videos_published_after_campaign_end.csv",
        csv_text(roster((2, "publish_date", "2027-07-01"))),
    )
    write_text("videos_unparsable_date.csv", csv_text(roster((3, "publish_date", "下周一"))))
    write_text("videos_impossible_date.csv", csv_text(roster((4, "publish_date", "2027-02-30"))))
    write_text("videos_scientific_id.csv", csv_text(roster((2, "video_id", "7.23457E+18"))))
    write_text("videos_excel_na.csv", csv_text(roster((6, "kol_name", "#N/A"))))
    write_text("videos_empty_required_cell.csv", csv_text(roster((3, "comments", ""))))
    write_text(
        "videos_comma_decimal.csv",
        csv_text(roster((2, "natural_gmv", "27636,34")), delimiter=";"),
    )
    ragged = csv_text(roster()).replace(",2300,101,", ",2,300,101,")
    write_text("videos_unquoted_comma.csv", ragged)
    write_text("videos_header_only.csv", csv_text(roster()[:1]))
    write_text("videos_empty.csv", "")
    write_text("videos_blank_lines.csv", "\r\n   \r\n,,,\r\n")
    rng = random.Random(SEED)
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(rng.randrange(256) for _ in range(2000))
    write_bytes("videos_binary.csv", png)
    write_bytes("videos_old_excel.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504))
    write_text("videos_wrong_extension.json", '{"video_id": "v0001"}')
    markup = '"><script>alert(1)</script>'
    write_text("videos_landing_markup_in_query.csv",
               csv_text(roster((6, "landing_url", _URL + "664178320937" + markup))))
    write_text("videos_landing_markup_in_host.csv",
               csv_text(roster((3, "landing_url", "https://detail.tmall.com" + markup))))
    zero = roster(*((n, "natural_plays", "0") for n in range(2, 7)))
    write_text("videos_zero_natural_plays.csv", csv_text(zero))

    # Good inputs: encodings, delimiters and a title line that exports add.
    zh = roster(header=ZH_HEADER)
    write_text("videos_gb18030.csv", csv_text(zh), "gb18030")
    write_text("videos_utf8_bom.csv", csv_text(zh), "utf-8-sig")
    write_text("videos_utf16_tab.txt", csv_text(zh, delimiter="\t"), "utf-16")
    write_text("videos_utf16le_no_bom.csv", csv_text(zh, delimiter="\t"), "utf-16-le")
    write_text("videos_semicolon.csv", csv_text(roster(), delimiter=";"))
    write_text("videos_tab.tsv", csv_text(roster(), delimiter="\t"))
    title = "导出时间: 2027-04-20 09:00\r\n"
    write_text("videos_title_line.csv", title + csv_text(zh), "utf-8-sig")


# ---------------------------------------------------------------- videos, XLSX


def videos_xlsx() -> None:
    data = [typed(r) for r in BASE]

    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "达人清单"
    sheet.append(["618 达人投放清单 (2027-04-20)"])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(HEADER))
    append_rows(sheet, [ZH_HEADER, *data])
    save_book(book, "videos_merged_title.xlsx")

    # Two header rows: merged group labels above, and headers merged down over both.
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    groups: list[object] = [None] * len(HEADER)
    groups[0], groups[1], groups[2] = "视频ID", "达人昵称", "账号"
    groups[5], groups[9], groups[12] = "内容数据", None, "投放"
    sheet.append(groups)
    second: list[object] = [None, None, *ZH_HEADER[2:]]
    sheet.append(second)
    sheet.merge_cells("A1:A2")
    sheet.merge_cells("B1:B2")
    sheet.merge_cells("C1:E1")
    sheet.merge_cells("F1:L1")
    sheet.merge_cells("M1:R1")
    append_rows(sheet, data)
    save_book(book, "videos_two_header_rows.xlsx")

    book = openpyxl.Workbook()
    notes = book.active
    assert notes is not None
    notes.title = "说明"
    append_rows(notes, [["本表为 618 达人清单"], ["金额单位: 元"], ["负责人", "张三"]])
    roster_sheet = book.create_sheet("达人清单")
    append_rows(roster_sheet, [HEADER, *data])
    pivot = book.create_sheet("汇总")
    append_rows(pivot, [["达人数", 5], ["总费用", "=SUM(达人清单!P2:P6)"]])
    save_book(book, "videos_several_sheets.xlsx")

    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(HEADER)
    for row in data:
        sheet.append(row)
        sheet.append([])  # an empty row after every video
    sheet.insert_rows(1, amount=2)  # and two above the header
    save_book(book, "videos_empty_rows.xlsx")

    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    append_rows(sheet, [ZH_HEADER, *data])
    # Same KOL on two rows, the name merged over both: the second cell is empty.
    sheet.cell(row=3, column=2, value="超甜的糖爱美妆")
    sheet.merge_cells("B2:B3")
    save_book(book, "videos_merged_data_cells.xlsx")

    book = openpyxl.Workbook()
    book.remove(book.active)
    book.create_sheet("Sheet1")
    save_book(book, "videos_empty_workbook.xlsx")

    # The used range reaches XFD1048576 (a stray format in the last cell): 5 real rows.
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    append_rows(sheet, [HEADER, *data])
    sheet.cell(row=1_048_576, column=16_384).number_format = "0.00"
    save_book(book, "videos_used_range_xfd.xlsx")

    # Formulas with the values Excel cached when it saved them (xlsxwriter writes both).
    for name, broken in (("videos_formulas.xlsx", False), ("videos_formula_error.xlsx", True)):
        path = OUT / name
        workbook = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False})
        workbook.set_properties({"created": datetime(*FIXED_TIME)})
        ws = workbook.add_worksheet("视频")
        ws.write_row(0, 0, ZH_HEADER)
        date_format = workbook.add_format({"num_format": "yyyy-mm-dd"})
        gmv = HEADER.index("natural_gmv")
        for r, row in enumerate(data, start=1):
            for c, value in enumerate(row):
                if value is None:
                    continue
                if isinstance(value, datetime):
                    ws.write_datetime(r, c, value, date_format)
                elif isinstance(value, str):
                    ws.write_string(r, c, value)
                else:
                    ws.write_number(r, c, float(value))  # type: ignore[arg-type]
            natural = float(row[gmv])  # type: ignore[arg-type]
            cached: float | str = natural
            formula = f"=ROUND(F{r + 1}*{natural}/F{r + 1},2)"
            if broken and r == 2:
                formula, cached = f"=G{r + 1}/0", "#DIV/0!"
            ws.write_formula(r, gmv, formula, None, cached)
        workbook.close()
        normalise_zip(path)

    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    append_rows(sheet, [HEADER, *data])
    save_book(book, "videos_truncated.xlsx")
    whole = (OUT / "videos_truncated.xlsx").read_bytes()
    write_bytes("videos_truncated.xlsx", whole[: len(whole) // 2])
    write_bytes("videos_xlsx_named_csv.csv", whole)


# ---------------------------------------------------------------- campaign


def campaigns() -> None:
    files: dict[str, Callable[[str], str]] = {
        "campaign_end_before_start.toml": sub("end = 2027-06-20", "end = 2027-04-01"),
        "campaign_sale_outside.toml": lambda t: sub("end = 2027-06-18", "end = 2027-07-02")(
            sub("start = 2027-05-31", "start = 2027-06-30")(_without_phases(t))
        ),
        "campaign_sale_end_before_start.toml": sub("end = 2027-06-18", "end = 2027-05-01"),
        "campaign_commitment_unknown_video.toml": sub('video_id = "v0012"', 'video_id = "v9999"'),
        "campaign_commitment_unknown_tool.toml": sub('tool = "dou_plus"', 'tool = "dou_plu"'),
        "campaign_tool_not_in_chain.toml": sub('tool = "dou_plus"', 'tool = "qianchuan"'),
        "campaign_tool_alias.toml": sub('tool = "dou_plus"', 'tool = "DOU+"'),
        "campaign_syntax_error.toml": sub("budget = 3_000_000", "budget = 3_000_000 yuan"),
        "campaign_big_sales_overlap.toml": sub(
            "# Orders already booked",
            '[[big_sales]]\nname = "520"\nstart = 2027-05-18\nend = 2027-06-01\n\n'
            "# Orders already booked"),
        "campaign_unknown_key.toml": sub("budget = 3_000_000", "budjet = 3_000_000"),
        "campaign_unknown_nested_key.toml": sub(
            "min_seeding_share = 0.5", "min_seeding_shares = 0.5"
        ),
        "campaign_unknown_tool_section.toml": lambda t: t + "\n[tools.douyin_ads]\ncpm = 30\n",
        "campaign_zero_cpm.toml": lambda t: t + "\n[tools.dou_plus]\ncpm = 0\n",
        "campaign_negative_budget.toml": sub("budget = 3_000_000", "budget = -3_000_000"),
        "campaign_inf_budget.toml": sub("budget = 3_000_000", "budget = inf"),
        "campaign_nan_roi_floor.toml": sub("roi_floor = 1.2", "roi_floor = nan"),
        "campaign_text_budget.toml": sub("budget = 3_000_000", 'budget = "三百万"'),
        "campaign_bad_date.toml": sub("start = 2027-04-21", 'start = "next monday"'),
        "campaign_unknown_chain.toml": sub('chain = "tmall"', 'chain = "taobao"'),
        "campaign_plan_date_after_end.toml": sub(
            "plan_date = 2027-04-20", "plan_date = 2027-07-01"
        ),
        # Issue 15: yes/no and absurd amounts, commitments that cannot be, and what is
        # accepted with a warning (a sale partly outside, roi_floor beside the margin).
        "campaign_bool_budget.toml": sub("budget = 3_000_000", "budget = true"),
        "campaign_bool_daily_cap.toml": sub("daily_cap = 100_000", "daily_cap = true"),
        "campaign_bool_roi_floor.toml": sub("roi_floor = 1.2", "roi_floor = true"),
        "campaign_huge_budget.toml": sub("budget = 3_000_000", "budget = 1e30"),
        "campaign_sale_partly_outside.toml": sub("end = 2027-06-18", "end = 2027-06-25"),
        "campaign_commitment_outside.toml": sub("end = 2027-04-23", "end = 2027-06-25"),
        "campaign_commitment_booked_after_start.toml": sub(
            "booking_date = 2027-04-20", "booking_date = 2027-04-22"
        ),
        "campaign_roi_floor_and_margin.toml": sub(
            "# gross_margin = 0.6       # 毛利率\n# return_rate = 0.15",
            "gross_margin = 0.6\nreturn_rate = 0.15",
        ),
        # No seeding cap: a 1,000-video roster's KOL fees alone would ask for more
        # harvesting than the budget, and these cases are about time, not rules.
        "campaign_time_limit_short.toml": lambda t: sub(
            "max_seeding_share = 0.95", "max_seeding_share = 1.0")(t)
        + "\n[solver]\ntime_limit_s = 0.001\n",
        "campaign_zero_half_life.toml": lambda t: t
        + "\n[tiers.freshness_half_life_days]\nkoc = 0\ntail = 7\nmid = 12\nhead = 18\n"
        "super_head = 25\n",
    }
    for name, edit in files.items():
        write_text(name, campaign(edit))
    write_text("campaign_gb18030.toml", CAMPAIGN, "gb18030")
    write_text("campaign_utf8_bom.toml", CAMPAIGN, "utf-8-sig")
    write_text("campaign_empty.toml", "")
    rng = random.Random(SEED + 1)
    write_bytes("campaign_binary.toml", bytes(rng.randrange(256) for _ in range(512)))


# ---------------------------------------------------------------- actuals


def actuals() -> None:
    def table(*edits: tuple[int, int, str], extra: Sequence[Row] = ()) -> str:
        rows = [list(ACTUALS_HEADER)] + [list(r) for r in ACTUALS] + [list(r) for r in extra]
        for row, column, value in edits:
            rows[row - 1][column] = value
        return csv_text(rows)

    write_text("actuals_unknown_tool.csv", table((3, 2, "抖音推广")))
    write_text("actuals_duplicate_rows.csv", table(extra=[ACTUALS[0]]))
    write_text("actuals_negative_spend.csv", table((4, 3, "-50")))
    write_text("actuals_missing_tool_column.csv", csv_text(
        without([list(ACTUALS_HEADER)] + [list(r) for r in ACTUALS], "tool")
    ))
    write_text("actuals_bad_date.csv", table((2, 0, "4月31日")))
    write_text("actuals_absurd_spend.csv", table((3, 3, "5e12")))
    zh = ["日期", "视频ID", "投放工具", "消耗", "成交额", "播放量", "订单数"]
    good = [zh, *[[r[0], r[1], {"dou_plus": "DOU+", "kol_bidding": "达人竞价"}.get(r[2], r[2]),
                   *r[3:]] for r in ACTUALS]]
    write_text("actuals_good_gb18030.csv", csv_text(good), "gb18030")


# ---------------------------------------------------------------- built at test time
#
# Files that cannot be committed (a SQLite store, a folder, /dev/null, outputs in the
# way) or that must not be (a zip bomb is small on disk but its parts are not): each
# builder writes its file into the test's temporary folder and returns its path.


def _roster_workbook(path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    append_rows(sheet, [HEADER, *(typed(r) for r in BASE)])
    book.save(path)


def _with_parts(path: Path, parts: dict[str, Callable[[bytes], Iterator[bytes]]]) -> None:
    """Rewrite the workbook at ``path`` with each of ``parts`` streamed from ``chunks(old
    part)``: a bomb's parts are never held in memory whole, here or in the planner."""
    source = path.with_suffix(".source.xlsx")
    path.rename(source)
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as new:
        names = [info.filename for info in old.infolist()]
        for name in [*names, *(p for p in parts if p not in names)]:
            info = zipfile.ZipInfo(name, date_time=FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            if name not in parts:
                new.writestr(info, old.read(name))
                continue
            with new.open(info, "w", force_zip64=True) as sink:
                for chunk in parts[name](old.read(name) if name in names else b""):
                    sink.write(chunk)
    source.unlink()


def _repeat(byte: bytes, total: int, step: int = 4 * 1024 * 1024) -> Iterator[bytes]:
    block = byte * step
    for start in range(0, total, step):
        yield block[: min(step, total - start)]


def _bomb(folder: Path, name: str, part: str,
          chunks: Callable[[bytes], Iterator[bytes]]) -> Path:
    path = folder / name
    _roster_workbook(path)
    _with_parts(path, {part: chunks})
    return path


def _shared_string(size: int) -> Callable[[bytes], Iterator[bytes]]:
    """A shared-strings part whose one string has ``size`` characters."""
    def chunks(_: bytes) -> Iterator[bytes]:
        yield (b'<?xml version="1.0" encoding="UTF-8"?>\n<sst xmlns="http://schemas.'
               b'openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1"><si><t>')
        yield from _repeat(b"A", size)
        yield b"</t></si></sst>"
    return chunks


def _insert(before: bytes, text: bytes) -> Callable[[bytes], Iterator[bytes]]:
    def chunks(old: bytes) -> Iterator[bytes]:
        yield old.replace(before, text + before, 1)
    return chunks


def build_bomb_shared_string(folder: Path) -> Path:
    """Like the 614 KB workbook whose one shared string inflates to 600 MB (300 MB here):
    listed in the workbook, so a reader without the check would load it whole."""
    path = folder / "videos_bomb_shared_string.xlsx"
    _roster_workbook(path)
    _with_parts(path, {
        "xl/sharedStrings.xml": _shared_string(300 * 2**20),
        "[Content_Types].xml": _insert(b"</Types>", (
            b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.'
            b'openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>')),
        "xl/_rels/workbook.xml.rels": _insert(b"</Relationships>", (
            b'<Relationship Id="rIdBomb" Type="http://schemas.openxmlformats.org/'
            b'officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>')),
    })
    return path


def build_bomb_many_parts(folder: Path) -> Path:
    """Like the 4.3 MB workbook inflating to 2 GB: 40 parts of 8 MB, each under every
    per-part limit, 320 MB together."""
    path = folder / "videos_bomb_many_parts.xlsx"
    _roster_workbook(path)
    _with_parts(path, {f"xl/media/padding{i:02d}.xml": lambda _: _repeat(b" ", 8 * 2**20)
                       for i in range(40)})
    return path


def build_bomb_one_cell(folder: Path) -> Path:
    """Like the 1.5 MB workbook holding a single 1.5 GB cell (100 MB here, inline)."""
    def chunks(old: bytes) -> Iterator[bytes]:
        head, rest = old.split(b"</sheetData>", 1)
        yield head
        yield b'<row r="7"><c r="A7" t="inlineStr"><is><t>'
        yield from _repeat(b"B", 100 * 2**20)
        yield b"</t></is></c></row></sheetData>" + rest
    return _bomb(folder, "videos_bomb_one_cell.xlsx", "xl/worksheets/sheet1.xml", chunks)


def build_long_cell(folder: Path) -> Path:
    """Small on every count, but one cell (B3, the second video's KOL) longer than Excel allows."""
    def chunks(old: bytes) -> Iterator[bytes]:
        yield old.replace("小蕊姐".encode(), "小蕊姐".encode() * 40_000, 1)
    return _bomb(folder, "videos_long_cell.xlsx", "xl/worksheets/sheet1.xml", chunks)


def build_wide_header(folder: Path) -> Path:
    """The roster with 300,000 more header columns, all empty below."""
    path = folder / "videos_300k_columns.csv"
    extra = 300_000
    rows = roster()
    lines = [",".join([*rows[0], *(f"c{i}" for i in range(extra))])]
    lines += [",".join([csv_text([r]).rstrip("\r\n"), "," * (extra - 1)]) for r in rows[1:]]
    path.write_text("\r\n".join(lines) + "\r\n", "utf-8")
    return path


def _store_with_schema(folder: Path, name: str) -> Path:
    from planner.io.store import open_store

    path = folder / name
    with open_store(path) as store:  # opening a new store creates its schema
        assert store.plan_count("any campaign") == 0
    return path


def build_store_text(folder: Path) -> Path:
    path = folder / "store_text.sqlite"
    path.write_text("plan notes, not a database\n", "utf-8")
    return path


def build_store_truncated(folder: Path) -> Path:
    path = _store_with_schema(folder, "store_truncated.sqlite")
    for extra in (path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        extra.unlink(missing_ok=True)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 3])
    return path


def build_store_malformed(folder: Path) -> Path:
    """A store whose schema page was overwritten: "database disk image is malformed"."""
    path = _store_with_schema(folder, "store_malformed.sqlite")
    data = bytearray(path.read_bytes())
    page = int.from_bytes(data[16:18], "big") or 65536
    data[100:page] = bytes([0xAB]) * (page - 100)  # the first page's b-tree (the schema)
    path.write_bytes(bytes(data))
    return path


def build_store_folder(folder: Path) -> Path:
    path = folder / "store_folder.sqlite"
    path.mkdir()
    return path


def build_store_dev_null(folder: Path) -> Path:
    return Path("/dev/null")


def build_store_under_a_file(folder: Path) -> Path:
    (folder / "notes.txt").write_text("a file, not a folder\n", "utf-8")
    return folder / "notes.txt" / "history.sqlite"


def build_campaign_for_replan(folder: Path) -> Path:
    path = folder / "campaign_replan.toml"
    path.write_text(CAMPAIGN, "utf-8")
    return path


def build_out_is_a_file(folder: Path) -> Path:
    path = folder / "out_is_a_file.txt"
    path.write_text("an earlier note\n", "utf-8")
    return path


def build_out_under_a_file(folder: Path) -> Path:
    (folder / "out_notes.txt").write_text("an earlier note\n", "utf-8")
    return folder / "out_notes.txt" / "plan_out"


def build_out_unwritable(folder: Path) -> Path:
    return Path("/proc/planner_out")  # no one can make a folder there, not even root


def build_out_links_is_a_folder(folder: Path) -> Path:
    path = folder / "out_links_folder"
    (path / "links.csv").mkdir(parents=True)
    return path


def build_out_plan_json_is_a_folder(folder: Path) -> Path:
    path = folder / "out_json_folder"
    (path / "plan.json").mkdir(parents=True)
    return path


def build_out_sweep_csv_is_a_folder(folder: Path) -> Path:
    path = folder / "out_sweep_folder"
    (path / "budget_curve.csv").mkdir(parents=True)
    return path


def build_store_at_plan_json(folder: Path) -> Path:
    return folder / "out" / "plan.json"  # the plan's own output (--out is {tmp}/out)


def build_store_at_links_csv(folder: Path) -> Path:
    return folder / "out" / "links.csv"


def build_store_at_out(folder: Path) -> Path:
    return folder / "out"


def build_store_at_plan_xlsx(folder: Path) -> Path:
    return folder / "out" / "plan.xlsx"


def _sqlite_of_another_program(path: Path, user_version: int = 0,
                                application_id: int = 0) -> Path:
    import sqlite3

    db = sqlite3.connect(path)
    db.executescript(
        "CREATE TABLE moz_places (id INTEGER PRIMARY KEY, url TEXT);"
        "INSERT INTO moz_places (url) VALUES ('https://www.douyin.com/');"
        f"PRAGMA user_version = {user_version}; PRAGMA application_id = {application_id};")
    db.close()
    return path


def build_store_of_another_program(folder: Path) -> Path:
    """A browser's history database (one moz_places table, user_version 0)."""
    return _sqlite_of_another_program(folder / "places.sqlite")


def build_store_of_another_program_v1(folder: Path) -> Path:
    return _sqlite_of_another_program(folder / "places_v1.sqlite", user_version=1)


def build_store_other_application_id(folder: Path) -> Path:
    return _sqlite_of_another_program(folder / "other_app.sqlite", application_id=1234)


def _fifo(path: Path) -> Path:
    os.mkfifo(path)  # a named pipe: opening it for reading waits for a writer
    return path


def build_videos_fifo(folder: Path) -> Path:
    return _fifo(folder / "videos_fifo.csv")


def build_campaign_fifo(folder: Path) -> Path:
    return _fifo(folder / "campaign_fifo.toml")


def build_actuals_fifo(folder: Path) -> Path:
    return _fifo(folder / "actuals_fifo.csv")


def build_inspect_fifo(folder: Path) -> Path:
    return _fifo(folder / "export_fifo.xlsx")


def build_out_name_too_long(folder: Path) -> Path:
    return folder / ("计划" * 45)  # 270 bytes in UTF-8: longer than any file system allows


def build_roster_1000(folder: Path) -> Path:
    """1,000 synthetic videos (the sample campaign's plan date): enough that no solve
    finishes within a 0.001 s limit, small enough to plan in a few seconds."""
    import importlib.util
    from datetime import date

    from planner.synthetic import generate_roster

    script = Path(__file__).resolve().parents[3] / "sample_data" / "generate.py"
    spec = importlib.util.spec_from_file_location("sample_data_generate", script)
    assert spec is not None and spec.loader is not None
    generate = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generate)
    path = folder / "videos_1000_synthetic.csv"
    roster = generate_roster(1000, seed=15, plan_date=date(2027, 4, 20))
    path.write_text(generate.videos_csv_text(roster), "utf-8")
    return path


# ---- bombs within the documented limits (issue 29): each part under its size limit and
# ratio, but far more of something than a roster has. Built as streams, never whole.


def _styles_with(section: bytes, element: Callable[[int], bytes], total: int
                 ) -> Callable[[bytes], Iterator[bytes]]:
    """A styles part whose ``section`` holds ``total`` bytes of ``element(i)``, varied so
    the part compresses like a real one (ratio about 17, under the zip-bomb ratio)."""
    def chunks(old: bytes) -> Iterator[bytes]:
        head, rest = old.split(b"<" + section, 1)
        yield head + b"<" + section + b">"
        written, i, block = 0, 0, bytearray()
        while written < total:
            block += element(i)
            i += 1
            if len(block) >= 1024 * 1024:
                written += len(block)
                yield bytes(block)
                block.clear()
        yield bytes(block) + b"</" + section + b">"
        # the section as openpyxl wrote it is dropped: its end tag and all before it
        yield rest.split(b"</" + section + b">", 1)[1] if b"</" + section in rest else rest
    return chunks


def build_bomb_cell_formats(folder: Path) -> Path:
    """120 MB of cell formats (<xf>) in xl/styles.xml, about 7 MB on disk."""
    def xf(i: int) -> bytes:
        return (b'<xf numFmtId="%d" fontId="%d" fillId="%d" borderId="%d" xfId="0" '
                b'applyNumberFormat="1"/>' % (i * 7919 % 164, i * 31 % 997, i % 2,
                                               i * 131 % 9973))
    return _bomb(folder, "videos_bomb_cell_formats.xlsx", "xl/styles.xml",
                 _styles_with(b"cellXfs", xf, 120 * 2**20))


def build_bomb_number_formats(folder: Path) -> Path:
    """100 MB of number formats (<numFmt>) in xl/styles.xml."""
    def fmt(i: int) -> bytes:
        return b'<numFmt numFmtId="%d" formatCode="0.%d_ ;[Red]-0.%d "/>' % (
            164 + i, i * 7919 % 99991, i * 104729 % 999983)
    return _bomb(folder, "videos_bomb_number_formats.xlsx", "xl/styles.xml",
                 _styles_with(b"numFmts", fmt, 100 * 2**20))


def build_bomb_many_sheets(folder: Path) -> Path:
    """3,000 sheets listed in the workbook, all pointing at the roster's one part: a tiny
    file that would make a reader open the sheet 3,000 times."""
    def chunks(old: bytes) -> Iterator[bytes]:
        head, rest = old.split(b"<sheets>", 1)
        sheet = re.search(rb"<sheet [^>]*/>", rest)
        assert sheet is not None
        yield head + b"<sheets>"
        yield b"".join(sheet.group().replace(b'name="Sheet"', b'name="S%d"' % i)
                       .replace(b'sheetId="1"', b'sheetId="%d"' % (i + 1)) for i in range(3000))
        yield rest[sheet.end():]
    return _bomb(folder, "videos_bomb_many_sheets.xlsx", "xl/workbook.xml", chunks)


def build_bomb_shared_strings_count(folder: Path) -> Path:
    """2.7 million short shared strings (44 MB, under the 48 MB part limit)."""
    count = 2_700_000
    letters = random.Random(SEED).choices(b"abcdefghijklmnopqrstuvwxyz0123456789", k=count)

    def chunks(_: bytes) -> Iterator[bytes]:
        yield (b'<?xml version="1.0" encoding="UTF-8"?>\n<sst xmlns="http://schemas.'
               b'openxmlformats.org/spreadsheetml/2006/main" count="%d" uniqueCount="%d">'
               % (count, count))
        for start in range(0, count, 100_000):
            yield b"".join(b"<si><t>%c</t></si>" % letters[i]
                           for i in range(start, min(count, start + 100_000)))
        yield b"</sst>"
    path = folder / "videos_bomb_shared_strings.xlsx"
    _roster_workbook(path)
    _with_parts(path, {
        "xl/sharedStrings.xml": chunks,
        "[Content_Types].xml": _insert(b"</Types>", (
            b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.'
            b'openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>')),
        "xl/_rels/workbook.xml.rels": _insert(b"</Relationships>", (
            b'<Relationship Id="rIdBomb" Type="http://schemas.openxmlformats.org/'
            b'officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>')),
    })
    return path


def build_bomb_columns(folder: Path) -> Path:
    """The roster's header, then 100 rows filled out to column XFD (16,384 columns)."""
    width = 16_384
    numbers = random.Random(SEED).choices(range(1000), k=width)

    def chunks(old: bytes) -> Iterator[bytes]:
        head, rest = old.split(b"<sheetData>", 1)
        yield head.replace(b'<dimension ref="A1:R6"/>', b"") + b"<sheetData>"
        first = rest.split(b"</row>", 1)[0] + b"</row>"  # the header, row 1
        yield first
        for r in range(2, 102):
            yield (b'<row r="%d">' % r + b"".join(b"<c><v>%d</v></c>" % numbers[(r + i) % width]
                                                 for i in range(width)) + b"</row>")
        yield b"</sheetData>" + rest.split(b"</sheetData>", 1)[1]
    return _bomb(folder, "videos_bomb_16384_columns.xlsx", "xl/worksheets/sheet1.xml", chunks)


BUILDERS: dict[str, Callable[[Path], Path]] = {
    "bomb_shared_string": build_bomb_shared_string,
    "bomb_many_parts": build_bomb_many_parts,
    "bomb_one_cell": build_bomb_one_cell,
    "long_cell": build_long_cell,
    "wide_header": build_wide_header,
    "out_is_a_file": build_out_is_a_file,
    "out_under_a_file": build_out_under_a_file,
    "out_unwritable": build_out_unwritable,
    "out_links_is_a_folder": build_out_links_is_a_folder,
    "out_plan_json_is_a_folder": build_out_plan_json_is_a_folder,
    "out_sweep_csv_is_a_folder": build_out_sweep_csv_is_a_folder,
    "store_text": build_store_text,
    "store_truncated": build_store_truncated,
    "store_malformed": build_store_malformed,
    "store_folder": build_store_folder,
    "store_dev_null": build_store_dev_null,
    "store_under_a_file": build_store_under_a_file,
    "campaign_for_replan": build_campaign_for_replan,
    "roster_1000": build_roster_1000,
    "store_at_plan_json": build_store_at_plan_json,
    "store_at_links_csv": build_store_at_links_csv,
    "store_at_out": build_store_at_out,
    "store_at_plan_xlsx": build_store_at_plan_xlsx,
    "store_of_another_program": build_store_of_another_program,
    "store_of_another_program_v1": build_store_of_another_program_v1,
    "store_other_application_id": build_store_other_application_id,
    "videos_fifo": build_videos_fifo,
    "campaign_fifo": build_campaign_fifo,
    "actuals_fifo": build_actuals_fifo,
    "inspect_fifo": build_inspect_fifo,
    "out_name_too_long": build_out_name_too_long,
    "bomb_cell_formats": build_bomb_cell_formats,
    "bomb_number_formats": build_bomb_number_formats,
    "bomb_many_sheets": build_bomb_many_sheets,
    "bomb_shared_strings_count": build_bomb_shared_strings_count,
    "bomb_columns": build_bomb_columns,
}


FIXTURE_SUFFIXES = (".csv", ".tsv", ".txt", ".xlsx", ".xls", ".json", ".toml")


def fixture_files(folder: Path) -> list[Path]:
    """The corpus files in ``folder`` (not this script, not the manifest)."""
    return sorted(
        p for p in folder.iterdir() if p.suffix in FIXTURE_SUFFIXES and p.name != "cases.toml"
    )


def _without_phases(text: str) -> str:
    """The sample campaign with its sale phases left out (the sale then moves whole)."""
    return re.sub(r"# Phases \(optional\).*?end = 2027-06-18\n", "", text, flags=re.S)


def main(out: Path = HERE) -> list[Path]:
    """Write every fixture into ``out`` (stale ones there are removed first)."""
    global OUT
    OUT = out
    for path in fixture_files(out):
        path.unlink()
    videos_csv()
    videos_xlsx()
    campaigns()
    actuals()
    return fixture_files(out)


if __name__ == "__main__":
    written = main()
    total = sum(p.stat().st_size for p in written)
    print(f"wrote {len(written)} files, {total / 1024:.0f} KiB in {HERE}")
