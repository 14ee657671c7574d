"""Uploads fail early and in the buyer's words: a report of the other chain is refused as it
arrives (once, naming both chains and what to do), previews keep the file's own headers,
a missing column is named as the file would head it and said with the file's bad cells, no
exception class on screen."""

from __future__ import annotations

import io
import re
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from export_fixtures import QIANCHUAN_HEADER, QIANCHUAN_ROWS, write
from streamlit.testing.v1 import AppTest
from typer.testing import CliRunner

from planner.cli import app as cli
from planner.errors import InputError
from planner.io.actuals import read_actual_sources
from planner.io.campaign_file import read_campaign
from planner.io.roster import read_videos
from planner.replan import chain_problems, check_actuals

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_data"
TMALL = read_campaign(SAMPLE / "campaign_tmall.toml")
APP = ROOT / "app" / "streamlit_app.py"
PAGE = "app_pages/replan_page.py"
FILE = "replan_page.actuals_file"
PREVIEW = "replan_page.preview_button"


def _qianchuan(tmp_path: Path) -> Path:
    path = tmp_path / "qianchuan_0421.csv"
    write(path, QIANCHUAN_HEADER, QIANCHUAN_ROWS)
    return path


def test_a_qianchuan_export_for_a_tmall_campaign_is_one_problem_naming_both_chains(
    tmp_path: Path,
) -> None:
    merged = read_actual_sources([_qianchuan(tmp_path)], TMALL, [])
    problems = chain_problems(merged.frame, TMALL, merged.source, merged.origins)
    assert len(problems) == 1  # two rows of 千川 spend: one mistake, said once
    text = str(InputError(problems))
    assert "qianchuan_0421.csv" in text
    assert "2 行千川的花费，千川属于抖音闭环链路" in text
    assert "走天猫链路，不用千川" in text
    assert "修改：上传这个活动所用工具（DOU+、内容服务、达人竞价、信息流、UD）的数据" in text
    assert "qianchuan" not in text.replace("qianchuan_0421", "")


def test_the_replan_refuses_foreign_tools_once_per_file_and_tool() -> None:
    day = date(2027, 4, 21)
    actuals = pd.DataFrame({
        "date": [day] * 3, "video_id": ["v0001", "v0003", "v0003"],
        "tool": ["qianchuan", "qianchuan", "suixintui"],
        "spend": [100.0, 200.0, 300.0], "gmv": [1.0, 2.0, 3.0], "plays": [1, 2, 3],
    })
    videos, _ = read_videos(SAMPLE / "videos.csv")
    with pytest.raises(InputError) as caught:
        check_actuals(actuals, videos, TMALL, date(2027, 4, 22), "day.csv")
    assert len(caught.value.problems) == 2
    assert {p.file for p in caught.value.problems} == {"day.csv"}
    assert "随心推" in str(caught.value) and "千川" in str(caught.value)


def test_a_missing_column_is_named_as_the_files_headers_name_it(tmp_path: Path) -> None:
    chinese = pd.read_excel(SAMPLE / "videos_zh.xlsx").drop(columns=["发布日期"])
    chinese.to_csv(tmp_path / "达人.csv", index=False)
    with pytest.raises(InputError, match="缺少必填列「发布日期」"):
        read_videos(tmp_path / "达人.csv")
    english = pd.read_csv(SAMPLE / "videos.csv").drop(columns=["publish_date"])
    english.to_csv(tmp_path / "roster.csv", index=False)
    with pytest.raises(InputError, match="缺少必填列「publish_date」"):
        read_videos(tmp_path / "roster.csv")


def _roster_missing_a_column_with_bad_cells(folder: Path) -> Path:
    """The sample's Chinese roster without 发布日期, with two bad cells in other columns."""
    frame = pd.read_excel(SAMPLE / "videos_zh.xlsx").drop(columns=["发布日期"]).astype(object)
    frame.loc[2, "粉丝数"] = "很多"
    frame.loc[4, "播放量中位数"] = "-5x"
    path = folder / "达人.csv"
    frame.to_csv(path, index=False)
    return path


def test_a_file_missing_a_column_also_reports_its_bad_cells(tmp_path: Path) -> None:
    with pytest.raises(InputError) as caught:
        read_videos(_roster_missing_a_column_with_bad_cells(tmp_path), plan_date=date(2027, 4, 20))
    said = [(p.row, p.column) for p in caught.value.problems]
    # The column it lacks first, named as the file heads its columns, then each bad cell;
    # nothing about empty live figures, which only the missing publish date could tell.
    assert said == [(None, None), (4, "粉丝数"), (6, "播放量中位数")]
    assert "缺少必填列「发布日期」" in caught.value.problems[0].message


def test_an_actuals_file_missing_a_column_also_reports_its_bad_cells(tmp_path: Path) -> None:
    path = tmp_path / "实际.csv"
    path.write_text("日期,视频ID,消耗,成交额,播放量\n2027-04-21,v0008,abc,9600,52000\n",
                    encoding="utf-8")
    with pytest.raises(InputError) as caught:
        read_actual_sources([path], TMALL, [])
    problems = caught.value.problems
    assert len(problems) == 2
    assert "缺少必填列「工具」" in problems[0].message
    assert (problems[1].row, problems[1].column) == (2, "消耗")


def test_planner_inspect_lists_a_missing_column_with_the_bad_cells(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["inspect", str(_roster_missing_a_column_with_bad_cells(
        tmp_path))])
    assert result.exit_code == 2
    said = result.output
    assert "3 个问题" in said and "缺少必填列「发布日期」" in said
    assert "第 4 行，「粉丝数」列" in said and "第 6 行，「播放量中位数」列" in said


def test_the_app_lists_every_problem_of_an_uploaded_roster_in_the_main_area(
    tmp_path: Path,
) -> None:
    data = _roster_missing_a_column_with_bad_cells(tmp_path).read_bytes()
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    at.radio(key="inputs.source").set_value("upload").run()
    at.file_uploader(key="inputs.videos_file").set_value(("达人.csv", data, "text/csv")).run()
    assert not at.exception
    errors = [_shown(e.value) for e in at.main.error]
    assert len(errors) == 1
    assert "3 个问题" in errors[0] and "缺少必填列「发布日期」" in errors[0]
    assert "「粉丝数」列" in errors[0] and "「播放量中位数」列" in errors[0]
    assert "Error" not in errors[0]  # no exception class names


def _replan_page() -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    at.switch_page(PAGE).run()
    assert not at.exception
    return at


def _shown(markdown: str) -> str:
    return re.sub(r"\\(.)", r"\1", markdown).replace("**", "")


def test_a_qianchuan_export_is_refused_on_upload_for_the_tmall_campaign(
    tmp_path: Path,
) -> None:
    at = _replan_page()
    data = _qianchuan(tmp_path).read_bytes()
    at.file_uploader(key=FILE).set_value(("qianchuan_0421.csv", data, "text/csv")).run()
    assert not at.exception
    errors = [_shown(e.value) for e in at.main.error]
    assert len(errors) == 1
    assert "千川属于抖音闭环链路" in errors[0] and "请先在侧栏换成那个活动" in errors[0]
    assert "Error" not in errors[0]  # no exception class names
    assert at.button(key=PREVIEW).disabled


def test_an_actuals_upload_missing_a_column_lists_its_bad_cells_too() -> None:
    data = "日期,视频ID,消耗,成交额,播放量\n2027-04-21,v0008,abc,9600,52000\n".encode()
    at = _replan_page()
    at.file_uploader(key=FILE).set_value(("实际.csv", data, "text/csv")).run()
    assert not at.exception
    errors = [_shown(e.value) for e in at.main.error]
    assert len(errors) == 1
    assert "2 个问题" in errors[0] and "缺少必填列「工具」" in errors[0]
    assert "第 2 行" in errors[0] and "「消耗」列" in errors[0]
    assert "Error" not in errors[0]
    assert at.button(key=PREVIEW).disabled


def test_the_upload_preview_is_headed_by_the_files_own_headers() -> None:
    frame = pd.DataFrame(
        [("2027-04-21", "v0008", "达人竞价", 2000, 9600, 52_000)],
        columns=["日期", "视频ID", "工具", "消耗", "成交额", "播放量"],
    )
    buffer = io.BytesIO()
    frame.to_excel(buffer, index=False)
    at = _replan_page()
    at.file_uploader(key=FILE).set_value(
        ("day.xlsx", buffer.getvalue(),
         "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")).run()
    assert not at.exception and not at.main.error
    previews = [d.value for d in at.dataframe if "消耗" in d.value.columns]
    assert len(previews) == 1
    preview = previews[0]
    assert {"日期", "视频ID", "工具", "消耗", "成交额", "播放量"} <= set(preview.columns)
    assert preview["工具"].tolist() == ["达人竞价"]
