"""KPI formulas on worked numbers, aggregation as ratios of sums, and zero denominators."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from factories import make_video
from planner.io.actuals import read_actuals
from planner.io.plan_files import write_csv
from planner.kpi import KPI_COLUMNS, kpi_table, kpi_tables

D1, D2 = date(2027, 4, 21), date(2027, 4, 22)
RATIOS = ("gpm", "cpm", "traffic_roi", "ctr_pct", "conversion_rate_pct", "engagement_rate_pct",
          "comment_like_rate")


def _actuals(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """A frame shaped like read_actuals' (optional counts NaN when not given)."""
    columns = ("date", "video_id", "tool", "spend", "gmv", "plays", "orders", "clicks", "likes",
               "comments")
    frame = pd.DataFrame([{c: r.get(c, np.nan) for c in columns} for r in rows],
                         columns=list(columns))
    for c in columns[3:]:
        frame[c] = frame[c].astype("float64")
    return frame


WORKED = {
    "date": D1, "video_id": "v1", "tool": "dou_plus", "spend": 10_000, "gmv": 20_000,
    "plays": 250_000, "orders": 100, "clicks": 5_000, "likes": 800, "comments": 40,
}


def test_worked_example_per_video() -> None:
    # 250,000 plays = 250 units of 1,000: GPM 20,000 / 250 = 80, CPM 10,000 / 250 = 40,
    # ROI 80 / 40 = 2.0; CTR 5,000 / 250,000 = 2 %; conversion 100 / 5,000 = 2 %;
    # engagement (800 + 40) / 800,000 followers = 0.105 %; comment-like 40 / 800 = 0.05.
    table = kpi_table(_actuals([WORKED]), [make_video(video_id="v1", followers=800_000)], "video")
    row = table.iloc[0]
    assert row["video_id"] == "v1" and row["kol_name"] == "测试达人"
    assert row["gpm"] == pytest.approx(80.0)
    assert row["cpm"] == pytest.approx(40.0)
    assert row["traffic_roi"] == pytest.approx(2.0)
    assert row["traffic_roi"] == pytest.approx(row["gpm"] / row["cpm"])
    assert row["ctr_pct"] == pytest.approx(2.0)
    assert row["conversion_rate_pct"] == pytest.approx(2.0)
    assert row["engagement_rate_pct"] == pytest.approx(0.105)
    assert row["comment_like_rate"] == pytest.approx(0.05)
    assert set(KPI_COLUMNS) <= set(table.columns)


def test_groups_are_ratios_of_sums_not_averages_of_ratios() -> None:
    actuals = _actuals([
        {**WORKED, "plays": 100_000, "gmv": 10_000, "spend": 2_000},
        {**WORKED, "date": D2, "plays": 300_000, "gmv": 6_000, "spend": 6_000},
        {**WORKED, "video_id": "v2", "tool": "kol_bidding", "plays": 100_000, "gmv": 1_000,
         "spend": 4_000},
    ])
    videos = [make_video(video_id="v1", followers=800_000),
              make_video(video_id="v2", followers=200_000)]
    by_tool = kpi_table(actuals, videos, "tool").set_index("tool")
    # Dou+: 16,000 yuan over 400,000 plays, not the mean of 100 and 20.
    assert by_tool.loc["dou_plus", "gpm"] == pytest.approx(40.0)
    assert by_tool.loc["dou_plus", "traffic_roi"] == pytest.approx(16_000 / 8_000)
    # v1 ran on two days: its followers count once.
    assert by_tool.loc["dou_plus", "followers"] == 800_000
    assert by_tool.loc["dou_plus", "engagement_rate_pct"] == pytest.approx(2 * 840 / 8_000)
    by_day = kpi_table(actuals, videos, "day").set_index("date")
    assert list(by_day.index) == [D1, D2]
    assert by_day.loc[D1, "spend"] == 6_000
    assert by_day.loc[D1, "followers"] == 1_000_000
    assert by_day.loc[D1, "cpm"] == pytest.approx(6_000 / 200)


def test_the_tables_of_one_reading_equal_each_table_read_alone() -> None:
    actuals = _actuals([
        WORKED,
        {**WORKED, "date": D2, "plays": 0, "clicks": np.nan, "likes": np.nan},
        {**WORKED, "video_id": "v2", "tool": "kol_bidding", "gmv": np.nan, "orders": np.nan},
    ])
    videos = [make_video(video_id="v1", followers=800_000), make_video(video_id="v2")]
    tables = kpi_tables(actuals, videos, ("day", "video"))
    assert list(tables) == ["day", "video"]
    for by, table in tables.items():
        pd.testing.assert_frame_equal(table, kpi_table(actuals, videos, by), check_exact=True)


def test_zero_denominators_give_blanks_never_infinity() -> None:
    actuals = _actuals([
        {"date": D1, "video_id": "v1", "tool": "dou_plus", "spend": 500, "gmv": 0, "plays": 0,
         "orders": 3, "clicks": 0, "likes": 0, "comments": 4},
        {"date": D1, "video_id": "v2", "tool": "ad_feed", "spend": 0, "gmv": 0, "plays": 0},
    ])
    videos = [make_video(video_id="v1", followers=0), make_video(video_id="v2")]
    for by in ("video", "tool", "day"):
        table = kpi_table(actuals, videos, by)
        values = table[list(RATIOS)].to_numpy(dtype="float64")
        assert not np.isinf(values).any()
    table = kpi_table(actuals, videos, "video").set_index("video_id")
    for column in ("gpm", "cpm", "ctr_pct", "conversion_rate_pct", "engagement_rate_pct",
                   "comment_like_rate"):
        assert pd.isna(table.loc["v1", column]), column
    # 500 yuan spent, nothing back: a real ROI of 0 even before plays are reported.
    assert table.loc["v1", "traffic_roi"] == 0.0
    assert pd.isna(table.loc["v2", "traffic_roi"])
    # Counts nobody reported stay blank rather than 0.
    assert pd.isna(table.loc["v2", "clicks"])


def test_rows_without_a_count_do_not_dilute_its_kpi() -> None:
    actuals = _actuals([
        WORKED,
        {**WORKED, "date": D2, "clicks": np.nan, "orders": np.nan},
    ])
    row = kpi_table(actuals, [make_video(video_id="v1")], "video").iloc[0]
    assert row["plays"] == 500_000
    assert row["ctr_pct"] == pytest.approx(2.0)  # 5,000 clicks over the 250,000 plays of D1
    assert row["conversion_rate_pct"] == pytest.approx(2.0)


def test_video_missing_from_the_roster_has_no_engagement_rate() -> None:
    table = kpi_table(_actuals([{**WORKED, "video_id": "ghost"}]), [make_video()], "video")
    assert table.loc[0, "kol_name"] == ""
    assert pd.isna(table.loc[0, "engagement_rate_pct"])
    assert table.loc[0, "traffic_roi"] == pytest.approx(2.0)


def test_empty_actuals_and_bad_arguments() -> None:
    empty = kpi_table(_actuals([]), [make_video()], "day")
    assert empty.empty and "gpm" in empty.columns
    with pytest.raises(ValueError, match="by must be one of"):
        kpi_table(_actuals([WORKED]), [], "week")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="plays"):
        kpi_table(_actuals([WORKED]).drop(columns="plays"), [], "video")


def test_from_a_read_actuals_file_to_a_csv_with_blanks(tmp_path: Path) -> None:
    source = tmp_path / "actuals.csv"
    source.write_text(
        "日期,视频ID,工具,消耗,成交额,播放量,点击数\n"
        "2027-04-21,v1,DOU+,1万,2万,25w,5000\n"
        "2027-04-21,v2,信息流,300,0,0,\n",
        encoding="utf-8",
    )
    actuals, _ = read_actuals(source)
    table = kpi_table(actuals, [make_video(video_id="v1"), make_video(video_id="v2")], "video")
    assert table.set_index("video_id").loc["v1", "traffic_roi"] == pytest.approx(2.0)
    write_csv(table, tmp_path / "kpi.csv")
    lines = (tmp_path / "kpi.csv").read_text("utf-8-sig").splitlines()
    v2 = lines[2].split(",")
    assert v2[0] == "v2"
    assert v2[table.columns.get_loc("gpm")] == ""  # blank, not nan or inf
