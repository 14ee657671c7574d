"""Reading the videos, actuals and campaign files the way buyers export them."""

from __future__ import annotations

import math
import zipfile
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter

from planner.errors import ConfigError, InputError
from planner.io import headers, raw
from planner.io.actuals import read_actuals
from planner.io.campaign_file import read_campaign
from planner.io.cells import parse_rows
from planner.io.headers import (
    ACTUALS_COLUMNS,
    VIDEO_COLUMNS,
    ColumnSpec,
    normalise_columns,
    read_table,
)
from planner.io.roster import read_videos
from planner.table import Table

ZH_HEADER = "视频ID,达人昵称,粉丝数,播放量中位数,发布日期,自然播放量,自然成交额,点赞数,评论数"
EN_HEADER = (
    "video_id,kol_name,followers,median_plays,publish_date,natural_plays,natural_gmv,likes,comments"
)

# These tests check the English wording of messages (PLANNER_LANG=en);
# tests/test_error_language.py checks they come out in Chinese by default.
pytestmark = pytest.mark.usefixtures("english")
TW_HEADER = "視頻ID,達人暱稱,粉絲數,播放量中位數,發佈日期,自然播放量,自然成交額,點讚數,評論數"
ROW_A = '001,达人A,25.3w,"12,000",2026/5/1,30万,"￥20,000",1200,80'
ROW_B = "v2,达人B,3万,8000,2026-04-20,250000,20000,900,45"


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def videos_csv(tmp_path: Path, *rows: str, header: str = ZH_HEADER) -> Path:
    return write(tmp_path, "videos.csv", "\n".join([header, *rows]) + "\n")


def problems_of(exc: pytest.ExceptionInfo[InputError]) -> list[str]:
    return [str(p) for p in exc.value.problems]


# ---------------------------------------------------------------- encodings and delimiters


def check_two_videos(path: Path) -> None:
    videos, warnings = read_videos(path)
    assert warnings == []
    first, second = videos
    assert first.video_id == "001"
    assert first.kol_name == "达人A"
    assert first.followers == 253_000
    assert first.median_plays == 12_000
    assert first.publish_date == date(2026, 5, 1)
    assert first.natural_plays == 300_000
    assert first.natural_gmv == 20_000
    assert second.followers == 30_000
    assert second.publish_date == date(2026, 4, 20)


@pytest.mark.parametrize(
    "encoding", ["utf-8", "utf-8-sig", "gb18030", "gbk", "utf-16"],
    ids=["utf8", "utf8-bom", "gb18030", "gbk", "utf16-bom"],
)
def test_chinese_csv_in_every_encoding(tmp_path: Path, encoding: str) -> None:
    text = "\n".join([ZH_HEADER, ROW_A, ROW_B]) + "\n"
    check_two_videos(write(tmp_path, "videos.csv", text, encoding))


def test_bom_does_not_hide_the_first_header(tmp_path: Path) -> None:
    path = write(tmp_path, "videos.csv", "\n".join([ZH_HEADER, ROW_A]) + "\n", "utf-8-sig")
    assert read_table(path).columns[0] == "视频ID"


@pytest.mark.parametrize(
    ("delimiter", "suffix"),
    [(";", ".csv"), ("\t", ".tsv"), ("\t", ".txt"), ("|", ".csv")],
    ids=["semicolon", "tab-tsv", "tab-txt", "pipe"],
)
def test_delimiters(tmp_path: Path, delimiter: str, suffix: str) -> None:
    # Unquoted "12,000" and "￥20,000" must stay one cell when ',' is not the delimiter.
    rows = [
        ZH_HEADER.replace(",", delimiter),
        delimiter.join(["001", "达人A", "25.3w", "12,000", "2026/5/1", "30万", "￥20,000", "1200",
                        "80"]),
        ROW_B.replace(",", delimiter),
    ]
    check_two_videos(write(tmp_path, f"videos{suffix}", "\n".join(rows) + "\n"))


def test_utf16_tab_text_as_excel_exports_it(tmp_path: Path) -> None:
    rows = [ZH_HEADER, ROW_A.replace('"12,000"', "12000").replace('"￥20,000"', "20000"), ROW_B]
    text = "\r\n".join(r.replace(",", "\t") for r in rows) + "\r\n"
    check_two_videos(write(tmp_path, "videos.txt", text, "utf-16"))


def test_traditional_chinese_headers(tmp_path: Path) -> None:
    check_two_videos(videos_csv(tmp_path, ROW_A, ROW_B, header=TW_HEADER))


def test_english_headers_any_case_and_spacing(tmp_path: Path) -> None:
    header = (
        " Video ID ,KOL_Name,FOLLOWERS,median plays,Publish-Date,natural_plays,"
        "Natural GMV,likes,comments"
    )
    check_two_videos(videos_csv(tmp_path, ROW_A, ROW_B, header=header))


def test_optional_columns_and_booleans(tmp_path: Path) -> None:
    header = ZH_HEADER + ",达人授权,广审通过,近3月流量ROI,达人费用(元),落地页"
    path = videos_csv(
        tmp_path, ROW_A + ",是,否,1.8,2万,https://example.com/a", ROW_B + ",,,,,", header=header
    )
    first, second = read_videos(path)[0]
    assert (first.kol_authorized, first.ad_review_passed) == (True, False)
    assert first.roi_3m == 1.8
    assert first.kol_fee == 20_000
    assert first.landing_url == "https://example.com/a"
    assert (second.kol_authorized, second.roi_3m, second.kol_fee) == (False, None, None)


def test_video_ids_keep_leading_zeros_and_lose_excel_decimals(tmp_path: Path) -> None:
    path = videos_csv(tmp_path, ROW_A, ROW_B.replace("v2", "123.0", 1))
    assert [v.video_id for v in read_videos(path)[0]] == ["001", "123"]


# ---------------------------------------------------------------- xlsx


def test_xlsx_first_non_empty_sheet_with_dates_and_blank_rows(tmp_path: Path) -> None:
    path = tmp_path / "videos.xlsx"
    book = openpyxl.Workbook()
    book.active.title = "说明"  # an empty cover sheet comes first
    sheet = book.create_sheet("视频")
    sheet.append([])  # a blank row above the header, as buyers often leave
    sheet.append([*ZH_HEADER.split(","), None])
    sheet.append(["001", "达人A", 253000, 12000, datetime(2026, 5, 1), 300000, 20000, 1200, 80])
    sheet.append([])
    sheet.append([123, "达人B", "3万", 8000, "2026/4/20", 250000, 20000.0, 900, 45])
    book.save(path)

    table = read_table(path)
    assert table.numbers == (3, 5)  # spreadsheet row numbers survive dropped rows
    videos, _ = read_videos(path)
    assert [v.video_id for v in videos] == ["001", "123"]
    assert videos[0].publish_date == date(2026, 5, 1)
    assert videos[1].followers == 30_000


def test_xlsx_formulas_give_their_cached_values(tmp_path: Path) -> None:
    path = tmp_path / "videos.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, ZH_HEADER.split(","))
    sheet.write_row(1, 0, ["001", "达人A", 253000, 12000, "2026-05-01", 300000])
    sheet.write_formula(1, 6, "=F2*0.08", None, 24000)
    sheet.write_row(1, 7, [1200, 80])
    book.close()
    (video,), _ = read_videos(path)
    assert video.natural_gmv == 24_000


def test_xlsx_bad_cell_names_its_spreadsheet_row(tmp_path: Path) -> None:
    path = tmp_path / "videos.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(ZH_HEADER.split(","))
    sheet.append(["001", "达人A", "很多", 12000, "2026-05-01", 300000, 20000, 1200, 80])
    book.save(path)
    with pytest.raises(InputError) as exc:
        read_videos(path)
    assert problems_of(exc) == [
        "videos.xlsx, row 2, column '粉丝数': '很多' is not a number. "
        "Fix: Write a whole number, e.g. 25000 or 2.5w."
    ]


def test_csv_renamed_xlsx_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "videos.xlsx", ZH_HEADER + "\n" + ROW_A)
    with pytest.raises(InputError, match=r"videos\.xlsx.*cannot be opened as an Excel workbook"):
        read_table(path)


# ---------------------------------------------------------------- refusals


def test_missing_required_column_names_it_and_its_aliases(tmp_path: Path) -> None:
    """Named as the file's own (Chinese) headers would name it, then every accepted header."""
    header = ZH_HEADER.replace("粉丝数,", "")
    path = videos_csv(tmp_path, ROW_A.replace("25.3w,", ""), header=header)
    with pytest.raises(InputError) as exc:
        read_videos(path)
    (problem,) = exc.value.problems
    assert problem.file == "videos.csv"
    assert "Required column '粉丝数' is missing" in problem.message
    assert "followers" in problem.message
    assert "粉絲數" in problem.message


def test_header_typo_gets_a_rename_hint(tmp_path: Path) -> None:
    path = videos_csv(tmp_path, ROW_A, header=ZH_HEADER.replace("粉丝数", "粉丝"))
    with pytest.raises(InputError, match=r"Is '粉丝' this column\? Rename that header to '粉丝数'"):
        read_videos(path)


def test_all_missing_columns_are_named_at_once(tmp_path: Path) -> None:
    path = write(tmp_path, "videos.csv", "视频ID,达人昵称\n001,A\n")
    with pytest.raises(InputError) as exc:
        read_videos(path)
    missing = {p.message.split("'")[1] for p in exc.value.problems}
    # Each by its first Chinese header, as this file's headers are Chinese.
    assert missing == {next(h for h in s.headers if not h.isascii()) for s in VIDEO_COLUMNS
                       if s.required} - {"视频ID", "达人昵称"}


def test_bad_number_names_row_and_column(tmp_path: Path) -> None:
    path = videos_csv(tmp_path, ROW_A, ROW_B.replace(",900,", ",abc,"))
    with pytest.raises(InputError) as exc:
        read_videos(path)
    (problem,) = exc.value.problems
    assert (problem.file, problem.row, problem.column) == ("videos.csv", 3, "点赞数")
    assert "'abc' is not a number" in problem.message
    assert "row 3, column '点赞数'" in str(exc.value)


def test_empty_required_cell_is_a_problem(tmp_path: Path) -> None:
    path = videos_csv(tmp_path, ROW_B.replace("达人B", ""))
    with pytest.raises(InputError, match=r"row 2, column '达人昵称': is empty"):
        read_videos(path)


def test_every_problem_is_collected(tmp_path: Path) -> None:
    rows = [ROW_B.replace("v2", f"v{i}").replace(",900,", ",x,") for i in range(30)]
    with pytest.raises(InputError) as exc:
        read_videos(videos_csv(tmp_path, *rows))
    assert len(exc.value.problems) == 30
    assert "30 problems" in str(exc.value)
    assert "... and 10 more" in str(exc.value)


def test_duplicate_video_id_names_both_rows(tmp_path: Path) -> None:
    path = videos_csv(tmp_path, ROW_A, ROW_B, ROW_A.replace("达人A", "达人C"))
    with pytest.raises(InputError) as exc:
        read_videos(path)
    (problem,) = exc.value.problems
    assert problem.row == 4
    assert "'001' appears twice: rows 2 and 4" in problem.message


def test_negative_gmv_is_refused(tmp_path: Path) -> None:
    path = videos_csv(tmp_path, ROW_B.replace(",20000,", ",-20000,"))
    with pytest.raises(InputError, match=r"column '自然成交额': -20000 is negative"):
        read_videos(path)


def test_a_row_published_after_the_plan_date_is_read_as_a_scheduled_post(
    tmp_path: Path,
) -> None:
    path = videos_csv(tmp_path, ROW_A, ROW_B)
    videos, _ = read_videos(path, plan_date=date(2026, 4, 30))
    assert [v.publish_date > date(2026, 4, 30) for v in videos] == [True, False]


def test_a_scheduled_post_may_leave_its_natural_figures_empty_but_a_live_one_may_not(
    tmp_path: Path,
) -> None:
    fields = ["v9", "达人C", "30000", "8000", "2026-05-01", "", "", "", ""]
    path = videos_csv(tmp_path, ROW_B, ",".join(fields))
    scheduled, _ = read_videos(path, plan_date=date(2026, 4, 30))
    assert scheduled[1].natural_plays is None
    went_live = (r"row 3, column '自然播放量': is empty, but this column is required: the post "
                 r"went live on 2026-05-01, on or before the plan date 2026-05-01.*星图")
    with pytest.raises(InputError, match=went_live):
        read_videos(path, plan_date=date(2026, 5, 1))


def test_unknown_column_gives_one_warning(tmp_path: Path) -> None:
    path = videos_csv(tmp_path, ROW_A + ",x,y", header=ZH_HEADER + ",备注,负责人")
    videos, warnings = read_videos(path)
    assert len(videos) == 1
    assert warnings == [
        "videos.csv: ignored 2 column(s) the planner does not use: '备注', '负责人'."
    ]


def test_columns_meaning_the_same_thing_are_refused(tmp_path: Path) -> None:
    path = videos_csv(tmp_path, ROW_A + ",002", header=ZH_HEADER + ",video_id")
    with pytest.raises(InputError, match=r"Columns '视频ID' and 'video_id' both mean 'video_id'"):
        read_videos(path)


def test_unquoted_comma_shifting_cells_is_explained(tmp_path: Path) -> None:
    path = videos_csv(tmp_path, ROW_A.replace('"12,000"', "12,000"))
    with pytest.raises(InputError, match=r"row 2: has 10 cells but the header has 9"):
        read_videos(path)


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "is empty"),
        (b"\n\n  \n", "no header row"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4, "not a text"),
        (bytes(range(128, 256)) * 40, "not a text"),
        (b"PK\x03\x04" + b"\x00" * 100, "Excel workbook"),
    ],
    ids=["zero-bytes", "blank-lines", "png", "high-bytes", "xlsx-renamed"],
)
def test_unusable_files_are_refused(tmp_path: Path, content: bytes, reason: str) -> None:
    path = tmp_path / "videos.csv"
    path.write_bytes(content)
    with pytest.raises(InputError, match=reason) as exc:
        read_videos(path)
    assert "videos.csv" in str(exc.value)
    assert exc.value.problems[0].fix


def test_header_only_file_has_no_videos(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no videos"):
        read_videos(videos_csv(tmp_path))


@pytest.mark.parametrize(
    ("name", "reason"),
    [("videos.xls", r"\.xls"), ("videos.json", "extension '.json'"), ("videos", "(none)")],
    ids=["xls", "json", "no-extension"],
)
def test_unknown_extensions(tmp_path: Path, name: str, reason: str) -> None:
    path = write(tmp_path, name, ZH_HEADER)
    with pytest.raises(InputError, match=reason):
        read_table(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not found"):
        read_table(tmp_path / "nope.csv")


def test_size_and_row_limits(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = videos_csv(tmp_path, ROW_A, ROW_B, "v3" + ROW_B[2:])
    monkeypatch.setattr(raw, "MAX_ROWS", 2)
    with pytest.raises(InputError, match="more than 2 data rows"):
        read_table(path)
    monkeypatch.setattr(raw, "MAX_ROWS", 3)
    assert len(read_table(path)) == 3
    monkeypatch.setattr(raw, "MAX_INPUT_BYTES", 100)
    with pytest.raises(InputError, match="files up to"):
        read_table(path)


# ---------------------------------------------------------------- column specs


def test_alias_tables_are_unambiguous() -> None:
    for specs in (VIDEO_COLUMNS, ACTUALS_COLUMNS):
        headers.alias_map(specs)  # raises if two columns claim one header


def test_normalise_and_parse_rows_directly() -> None:
    specs = (
        ColumnSpec("name", ("名称",), "str", True),
        ColumnSpec("amount", ("金额",), "float", True),
        ColumnSpec("day", ("日期",), "date"),
    )
    frame = Table.from_rows(["\ufeff 名称 ", "AMOUNT", "x"], [["a", "1w", 1], ["b", "2%", 2]])
    normalised, warnings = normalise_columns(frame, specs, "t.csv")
    assert list(normalised.columns) == ["name", "amount"]
    assert warnings == ["t.csv: ignored 1 column(s) the planner does not use: 'x'."]
    assert parse_rows(normalised, specs, "t.csv") == [
        {"name": "a", "amount": 10_000.0},
        {"name": "b", "amount": 0.02},
    ]
    normalised = normalised.with_column("amount", ["1w", "??"])
    with pytest.raises(InputError, match=r"t\.csv, row 3, column 'AMOUNT'"):
        parse_rows(normalised, specs, "t.csv")


# ---------------------------------------------------------------- actuals

ACTUALS_HEADER = "日期,视频ID,工具,消耗,成交额,播放量,订单数"


def test_actuals_with_chinese_tool_names(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "actuals.csv",
        "\n".join([
            ACTUALS_HEADER,
            "2026/5/1,001,抖+,500,1200,2.5w,12",
            "2026/5/1,001,内容服务,50000,98000,200万,",
            "2026-05-02,001,達人競價,3000,4500,10万,30",
            "2026-05-02,v2,千川,800,1000,40000,5",
        ]) + "\n",
        "gb18030",
    )
    frame, warnings = read_actuals(path)
    assert warnings == []
    assert list(frame.columns) == [s.name for s in ACTUALS_COLUMNS]
    assert list(frame["tool"]) == ["dou_plus", "content_service", "kol_bidding", "qianchuan"]
    assert all(type(t) is str for t in frame["tool"])
    assert list(frame["date"]) == [date(2026, 5, 1)] * 2 + [date(2026, 5, 2)] * 2
    assert list(frame["video_id"]) == ["001", "001", "001", "v2"]
    assert frame["spend"].dtype == "float64"
    assert frame["plays"].tolist() == [25_000.0, 2_000_000.0, 100_000.0, 40_000.0]
    assert math.isnan(frame["orders"].iloc[1])
    assert frame["clicks"].isna().all()


def test_actuals_unknown_tool_lists_accepted_names(tmp_path: Path) -> None:
    path = write(tmp_path, "actuals.csv", ACTUALS_HEADER + "\n2026-05-01,001,微信,1,1,1,\n")
    with pytest.raises(InputError) as exc:
        read_actuals(path)
    (problem,) = exc.value.problems
    assert (problem.row, problem.column) == (2, "工具")
    assert "'微信' is not a tool" in problem.message
    assert problem.fix is not None
    assert "随心推" in problem.fix
    assert "dou_plus" in problem.fix


def test_actuals_duplicate_day_video_tool(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "actuals.csv",
        ACTUALS_HEADER + "\n2026-05-01,001,DOU+,1,1,1,\n2026/5/1,001,抖+,2,2,2,\n",
    )
    with pytest.raises(InputError, match=r"row 3: 2026-05-01 / 001 / dou_plus appears twice: "
                       r"rows 2 and 3"):
        read_actuals(path)


def test_actuals_negative_spend(tmp_path: Path) -> None:
    path = write(tmp_path, "actuals.csv", ACTUALS_HEADER + "\n2026-05-01,001,千川,-5,1,1,\n")
    with pytest.raises(InputError, match=r"column '消耗': -5 is negative"):
        read_actuals(path)


def test_actuals_header_only_is_an_empty_frame(tmp_path: Path) -> None:
    frame, _ = read_actuals(write(tmp_path, "actuals.csv", ACTUALS_HEADER + "\n"))
    assert frame.empty
    assert list(frame.columns) == [s.name for s in ACTUALS_COLUMNS]


# ---------------------------------------------------------------- campaign TOML

CAMPAIGN = """\
name = "618 预热"
chain = "tmall"
start = 2026-05-20
end = "2026/6/18"
budget = "50w"
"""


def test_campaign_reads_native_and_spreadsheet_style_values(tmp_path: Path) -> None:
    path = write(tmp_path, "campaign.toml", CAMPAIGN, "utf-8-sig")
    campaign = read_campaign(path)
    assert campaign.start == date(2026, 5, 20)
    assert campaign.end == date(2026, 6, 18)
    assert campaign.budget == 500_000


def test_campaign_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, "campaign.toml", CAMPAIGN + "daily_cap = = 3\n")
    with pytest.raises(ConfigError, match=r"campaign\.toml: TOML syntax error at line 6") as exc:
        read_campaign(path)
    assert "daily_cap = = 3" in str(exc.value)


def test_campaign_unknown_key_gets_did_you_mean(tmp_path: Path) -> None:
    path = write(tmp_path, "campaign.toml", CAMPAIGN.replace("budget =", "budgett ="))
    with pytest.raises(ConfigError, match=r"Unknown config key 'budgett'.*Did you mean 'budget'\?"):
        read_campaign(path)


def test_campaign_bad_date_is_reported_by_key(tmp_path: Path) -> None:
    path = write(tmp_path, "campaign.toml", CAMPAIGN.replace('"2026/6/18"', '"next month"'))
    with pytest.raises(ConfigError, match=r"campaign\.toml: 'end'"):
        read_campaign(path)


def test_campaign_not_utf8(tmp_path: Path) -> None:
    path = write(tmp_path, "campaign.toml", CAMPAIGN, "gb18030")
    with pytest.raises(ConfigError, match="UTF-8"):
        read_campaign(path)


def test_campaign_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        read_campaign(tmp_path / "campaign.toml")


# ---------------------------------------------------------------- counted parts (issue 29)


def _small_workbook(path: Path, sheets: int = 1) -> Path:
    book = openpyxl.Workbook()
    first = book.active
    assert first is not None
    first.append(["video_id", "kol_name"])
    first.append(["v1", "小蕊姐"])
    for i in range(1, sheets):
        book.create_sheet(f"S{i}").append(["x"])
    book.save(path)
    return path


def test_a_styles_part_with_more_entries_than_allowed_is_refused_before_openpyxl(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _small_workbook(tmp_path / "styled.xlsx")
    monkeypatch.setattr(raw, "_COUNTED_PARTS", tuple(
        (part, size, pattern, 5 if part == "xl/styles.xml" else most, items)
        for part, size, pattern, most, items in raw._COUNTED_PARTS))
    with pytest.raises(InputError) as caught:
        raw.read_sheet(path)
    assert "styled.xlsx: its part xl/styles.xml holds more than 5 style entries" in str(
        caught.value)


def test_a_workbook_with_more_sheets_than_allowed_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _small_workbook(tmp_path / "sheets.xlsx", sheets=4)
    monkeypatch.setattr(raw, "_COUNTED_PARTS", tuple(
        (part, size, pattern, 3 if items == "error.table.items_sheets" else most, items)
        for part, size, pattern, most, items in raw._COUNTED_PARTS))
    with pytest.raises(InputError) as caught:
        raw.read_sheet(path)
    assert "its part xl/workbook.xml holds more than 3 sheets" in str(caught.value)
    monkeypatch.undo()
    assert raw.read_sheet(path).records[0] == (1, ["video_id", "kol_name"])


def test_the_number_of_parts_is_read_from_the_zip_end_record(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _small_workbook(tmp_path / "parts.xlsx")
    with zipfile.ZipFile(path) as archive:
        count = len(archive.infolist())
    assert raw._zip_entry_count(path) == count
    monkeypatch.setattr(raw, "MAX_XLSX_PARTS", count - 1)
    with pytest.raises(InputError) as caught:
        raw.read_sheet(path)
    assert f"holds {count} parts in its zip (at most {count - 1})" in str(caught.value)


def test_a_row_wider_than_a_roster_is_refused_with_its_row(tmp_path: Path) -> None:
    path = tmp_path / "wide.csv"
    path.write_text("video_id,kol_name\nv1," + ",".join(["x"] * raw.MAX_COLUMNS) + "\n",
                    "utf-8")
    with pytest.raises(InputError) as caught:
        raw.read_sheet(path)
    assert f"wide.csv, row 2: has {raw.MAX_COLUMNS + 1:,} columns (at most 1,024)" in str(
        caught.value)


def test_trailing_empty_cells_of_a_csv_row_are_not_kept(tmp_path: Path) -> None:
    """A CSV saved from a sheet whose used range reaches XFD: 16,000 commas a row."""
    path = tmp_path / "commas.csv"
    path.write_text("video_id,kol_name" + "," * 16_000 + "\nv1,a" + "," * 16_000 + "\n",
                    "utf-8")
    assert raw.read_sheet(path).records == [(1, ["video_id", "kol_name"]), (2, ["v1", "a"])]
