"""The one normaliser behind every reader: units in headers, placeholders, ranges, totals."""

from __future__ import annotations

import codecs
from pathlib import Path

import pandas as pd
import pytest
from export_fixtures import QIANCHUAN_HEADER, QIANCHUAN_ROWS, write

from planner.config import AdGroup
from planner.errors import InputError
from planner.io.actuals import read_actual_sources, read_actuals
from planner.io.campaign_file import read_campaign
from planner.io.cells import drop_totals, is_total_row, normalise_cells, parse_cells, scale_cell
from planner.io.headers import ColumnSpec, header_key, header_scale
from planner.io.roster import read_videos
from planner.table import Table
from planner.tools import Tool

ACTUALS_HEADER = "日期,视频ID,工具,消耗(元),成交额（元）,播放量（万）,点击数"


@pytest.mark.parametrize(("header", "key", "scale"), [
    ("消耗(元)", "消耗", None),
    ("消耗（元）", "消耗", None),
    ("粉丝（万）", "粉丝", 10_000.0),
    ("点击率(%)", "点击率", 0.01),
    ("实际消耗 (分)", "实际消耗", 0.01),
    ("视频　ID", "视频id", None),  # an ideographic space
    ("视频ID(抖音)", "视频id(抖音)", None),  # not a unit: the bracket stays
], ids=["yuan", "full-width", "wan", "percent", "fen", "ideographic-space", "not-a-unit"])
def test_a_header_is_compared_without_its_unit_and_the_unit_scales(
    header: str, key: str, scale: float | None
) -> None:
    assert header_key(header) == key
    assert header_scale(header) == scale


@pytest.mark.parametrize(("cell", "scale", "expected", "was_range"), [
    ("7.5w~10w", None, 87_500.0, True),
    ("5-10万", None, 75_000.0, True),
    ("7.5~10", 10_000.0, 87_500.0, True),
    ("33.5", 10_000.0, 335_000.0, False),
    (33.5, 10_000.0, 335_000.0, False),
    ("33.5万", 10_000.0, "33.5万", False),  # carries its own unit: the parser reads it
    ("4.13", 0.01, 0.0413, False),
    ("123450", 0.01, 1234.5, False),
    ("--", 10_000.0, "--", False),
    ("-5", None, "-5", False),
], ids=["w-range", "wan-range", "range-under-unit", "bare-under-wan", "number-under-wan",
        "own-unit", "percent-points", "fen", "placeholder", "negative-is-no-range"])
def test_cells_are_scaled_by_their_header_and_ranges_read_as_midpoints(
    cell: object, scale: float | None, expected: object, was_range: bool
) -> None:
    value, ranged = scale_cell(cell, scale)
    assert ranged is was_range
    if isinstance(expected, float):
        assert value == pytest.approx(expected)
    else:
        assert value == expected


def _one_column(name: str, cells: list[object]) -> Table:
    return Table.from_rows([name], [[cell] for cell in cells])


def test_a_totals_row_is_recognised_by_its_first_cells() -> None:
    assert is_total_row(["合计", None, 1234.5])
    assert is_total_row([None, "总计：", 3])
    assert not is_total_row(["2027-04-21", "v1", "合计"])


def test_a_totals_row_anywhere_in_a_table_is_dropped_and_named() -> None:
    raw = Table.from_rows(["video_id", "kol_name", "plays"],
                          [["v1", "小美", 3.0], ["合计", None, 3.0], ["v2", None, 1.0]])
    kept, notes = drop_totals(raw, "videos.csv")
    assert kept.numbers == (2, 4)
    assert kept.column("video_id") == ["v1", "v2"]
    assert len(notes) == 1 and "3" in notes[0]


def test_without_a_unit_only_a_range_changes_and_every_other_cell_is_kept() -> None:
    table = _one_column("plays", ["7.5w~10w", "1,234", 5.0, None, "-5", "--"])
    out, notes = normalise_cells(table, [ColumnSpec("plays", kind="float")], "videos.csv")
    assert out.column("plays") == [87_500.0, "1,234", 5.0, None, "-5", "--"]
    assert len(notes) == 1


def test_a_column_without_a_unit_or_a_range_keeps_every_cell_as_read() -> None:
    table = _one_column("plays", ["1,234", 5.0, None, "-5", "--", "3万"])
    out, notes = normalise_cells(table, [ColumnSpec("plays", kind="float")], "videos.csv")
    assert out.column("plays") == ["1,234", 5.0, None, "-5", "--", "3万"]
    assert notes == []


def test_a_text_read_once_per_column_still_names_every_row_it_cannot_read() -> None:
    df = _one_column("followers", ["abc", "12", "abc", "12"])
    rows, problems = parse_cells(df, [ColumnSpec("followers", kind="int", required=True)],
                                 "videos.csv")
    assert [p.row for p in problems] == [2, 4]
    assert [values for _, values in rows] == [{}, {"followers": 12}, {}, {"followers": 12}]


def test_actuals_with_units_placeholders_separators_and_a_totals_row(
        tmp_path: Path, english: None) -> None:
    path = tmp_path / "actuals.csv"
    path.write_bytes(codecs.BOM_UTF8 + "\n".join([
        ACTUALS_HEADER,
        '2027-04-21,v1,DOU+,"1,234.50",--,5.2,-',
        "2027-04-21,v2,千川,100,300,1w~2w,12",
        '合计,,,"1,334.50",300,,12',
    ]).encode("utf-8"))
    # GMV is required: the "--" cell is missing, so the file is refused for that row only.
    with pytest.raises(Exception, match="row 2"):
        read_actuals(path)
    path.write_bytes(codecs.BOM_UTF8 + "\n".join([
        ACTUALS_HEADER,
        '2027-04-21,v1,DOU+,"1,234.50",0,5.2,-',
        "2027-04-21,v2,千川,100,300,1w~2w,12",
        '合计,,,"1,334.50",300,,12',
    ]).encode("utf-8"))
    frame, notes = read_actuals(path)
    assert list(frame["spend"]) == [1234.5, 100.0]
    assert list(frame["plays"]) == [52_000.0, 15_000.0]
    assert frame["clicks"].isna().tolist() == [True, False]
    assert any("合计" in n and "4" in n for n in notes)
    assert any("1w~2w" in n for n in notes)


def test_a_gbk_csv_and_an_xlsx_roster_read_the_same(tmp_path: Path) -> None:
    rows = [["v1", "小蕊姐", "21.35", "996", "2027-04-17", "552", "38.86", "23", "1"]]
    header = ["视频ID", "达人昵称", "粉丝数（万）", "播放中位数", "发布时间", "自然播放量",
              "自然成交额(元)", "点赞数", "评论数"]
    gbk = tmp_path / "roster.csv"
    gbk.write_bytes("\n".join(",".join(r) for r in [header, *rows]).encode("gbk"))
    xlsx = tmp_path / "roster.xlsx"
    pd.DataFrame(rows, columns=header).to_excel(xlsx, index=False)
    (from_csv, _), (from_xlsx, _) = read_videos(gbk), read_videos(xlsx)
    assert from_csv == from_xlsx
    assert from_csv[0].followers == 213_500


# ---------------------------------------------------------------- recognising exports

def _closed_loop(**changes: object):

    campaign = read_campaign(Path(__file__).resolve().parent.parent / "sample_data"
                             / "campaign_closed_loop.toml")
    return campaign.model_copy(update=changes)


def test_a_qianchuan_row_that_says_suixintui_is_suixintui(tmp_path: Path) -> None:

    header = (*QIANCHUAN_HEADER, "推广方式")
    rows = [(*QIANCHUAN_ROWS[0], "随心推"), (*QIANCHUAN_ROWS[1], "全域推广")]
    merged = read_actual_sources([write(tmp_path / "qc.csv", header, rows)], _closed_loop())
    assert list(zip(merged.frame["video_id"], merged.frame["tool"], strict=True)) == [
        ("v0001", "suixintui"), ("v0003", "qianchuan")]


def test_a_qianchuan_plan_report_finds_its_video_through_ad_groups(tmp_path: Path) -> None:

    header = ("计划ID", *QIANCHUAN_HEADER[:1], *QIANCHUAN_HEADER[3:])
    rows = [("plan-7", row[0], *row[3:]) for row in QIANCHUAN_ROWS[:1]]
    campaign = _closed_loop(ad_groups={"plan-7": AdGroup(tool=Tool.QIANCHUAN,
                                                          video_id="v0002")})
    merged = read_actual_sources([write(tmp_path / "plan.xlsx", header, rows)], campaign)
    assert merged.frame[["video_id", "tool", "spend"]].values.tolist() == [
        ["v0002", "qianchuan", 1234.5]]


def test_the_same_spend_in_two_files_is_refused(tmp_path: Path) -> None:

    one = write(tmp_path / "a.csv", QIANCHUAN_HEADER, QIANCHUAN_ROWS)
    two = write(tmp_path / "b.xlsx", QIANCHUAN_HEADER, QIANCHUAN_ROWS)
    with pytest.raises(InputError, match=r"a\.csv") as exc:
        read_actual_sources([one, two], _closed_loop())
    assert {p.file for p in exc.value.problems} == {"b.xlsx"}


def test_gmv_that_could_belong_to_two_tools_is_not_guessed(tmp_path: Path) -> None:

    spend = tmp_path / "spend.csv"
    spend.write_text("date,video_id,tool,spend,gmv,plays\n"
                     "2027-04-21,v1,dou_plus,100,,1000\n2027-04-21,v1,ad_feed,200,,2000\n",
                     encoding="utf-8")
    shop = tmp_path / "shop.csv"
    shop.write_text("日期,视频ID,成交金额\n2027-04-21,v1,900\n", encoding="utf-8")
    # The planner's own file needs its GMV: an empty cell there is refused as always.
    with pytest.raises(Exception, match="gmv"):
        read_actual_sources([spend, shop])
    spend.write_text("订单ID,视频ID,实际消耗(元),下单时间,播放量\n"
                     "1,v1,100,2027-04-21 10:00,1000\n", encoding="utf-8")
    ad = tmp_path / "ad.csv"
    ad.write_text("时间,广告组,展示数,总花费(元)\n2027-04-21,g1,2000,200\n", encoding="utf-8")

    campaign = _closed_loop().model_copy(
        update={"ad_groups": {"g1": AdGroup(tool=Tool.AD_FEED, video_id="v1")}})
    merged = read_actual_sources([spend, ad, shop], campaign)
    # Both spends are kept, their GMV unknown (never 0, never guessed onto one of them).
    assert sorted(merged.frame["spend"]) == [100.0, 200.0]
    assert merged.frame["gmv"].isna().all()
    assert any("could belong to several tools" in n or "多个工具" in n
               for n in merged.join_notes)
    assert len(merged.unmatched_spend) == 2


@pytest.mark.slow
def test_a_legacy_xls_export_reads_like_its_xlsx(tmp_path: Path) -> None:
    """LibreOffice saves the DOU+ export as Excel 97-2003; xlrd reads it back, dates too."""
    import os
    import shutil
    import subprocess
    from datetime import datetime

    from export_fixtures import (
        DOU_PLUS_HEADER,
        DOU_PLUS_ROWS,
        SHOP_HEADER,
        SHOP_ROWS,
        with_cell,
    )

    soffice = shutil.which("soffice")
    if soffice is None:
        if os.environ.get("CI") == "true":
            pytest.fail("LibreOffice missing under CI: `make test` installs it")
        pytest.skip("needs soffice (make print-tools)")
    pytest.importorskip("xlrd")
    # A real date cell, not text.
    rows = with_cell(DOU_PLUS_ROWS, 0, 6, datetime(2027, 4, 21, 9, 30))
    source = write(tmp_path / "dou_plus.xlsx", DOU_PLUS_HEADER, rows,
                   title="DOU+ 订单 2027-04-21")
    subprocess.run(
        [soffice, "--headless", "--norestore",
         f"-env:UserInstallation={(tmp_path / 'lo-profile').as_uri()}",
         "--convert-to", "xls", "--outdir", str(tmp_path / "xls"), str(source)],
        check=True, capture_output=True, timeout=180,
    )
    legacy = tmp_path / "xls" / "dou_plus.xls"
    shop = write(tmp_path / "shop.csv", SHOP_HEADER, SHOP_ROWS)
    from_xls = read_actual_sources([legacy, shop])
    from_xlsx = read_actual_sources([source, shop])
    assert from_xls.frame.equals(from_xlsx.frame)
    assert from_xls.frame[["video_id", "tool", "spend", "gmv"]].values.tolist() == [
        ["v0012", "dou_plus", 798.2, 1520.0]]
    assert any("合计" in note for note in from_xls.notes)
