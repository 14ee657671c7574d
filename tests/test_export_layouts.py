"""The platforms' exports as buyers download them, and the report APIs' own output, each
through ``planner replan --actuals`` in every encoding it comes in, stored to the fen."""

from __future__ import annotations

from pathlib import Path

import pytest
from export_fixtures import API_CASES, CASES, DAY, ENCODINGS, ROSTER_CASES, Case, write
from typer.testing import CliRunner

from planner.cli import app
from planner.io.campaign_file import read_campaign
from planner.io.store import open_store

SAMPLE = Path(__file__).resolve().parent.parent / "sample_data"
VIDEOS = SAMPLE / "videos.csv"
runner = CliRunner()


def _files(case: Case, tmp_path: Path, encoding: str) -> list[str]:
    """The case's files written in ``encoding`` (a key of ENCODINGS, or json), as the
    --actuals arguments (FILE@day where the report has no date column)."""
    suffix, text_encoding = ENCODINGS.get(encoding, ("json", ""))
    args = []
    for export in case.files:
        is_api = case.layout.endswith("_api") and export is case.files[0]
        chosen = suffix if is_api or suffix != "json" else "csv"
        path = write(tmp_path / f"{export.name}.{chosen}", export.header, export.rows,
                     encoding=text_encoding or "utf-8-sig")
        args.append(f"{path}@{export.dated}" if export.dated else str(path))
    return args


def _campaign(tmp_path: Path, case: Case) -> Path:
    path = tmp_path / "campaign.toml"
    path.write_text((SAMPLE / case.campaign).read_text(encoding="utf-8") + case.extra_toml,
                    encoding="utf-8")
    return path


def _replan(campaign: Path, actuals: list[str], store: Path, *extra: str):
    args = ["replan", "--campaign", str(campaign), "--videos", str(VIDEOS), "--date",
            "2027-04-22", "--store", str(store), *extra]
    for path in actuals:
        args += ["--actuals", path]
    return runner.invoke(app, args)


def _stored(store: Path, campaign: Path) -> list[tuple[str, str, str, float, float]]:
    with open_store(store) as history:
        frame = history.actuals(read_campaign(campaign).name)
    return sorted((str(r.tool), str(r.video_id), str(r.date), round(float(r.spend), 2),
                   round(float(r.gmv), 2)) for r in frame.itertuples())


def _plays(store: Path, campaign: Path) -> dict[str, float]:
    with open_store(store) as history:
        frame = history.actuals(read_campaign(campaign).name)
    return {str(r.video_id): float(r.plays) for r in frame.itertuples()}


def _layout_cases() -> list[tuple[str, str]]:
    out = [(name, encoding) for name in CASES for encoding in ENCODINGS]
    return out + [(name, "json") for name in API_CASES]


@pytest.mark.slow
@pytest.mark.parametrize(("name", "encoding"), _layout_cases())
def test_each_layout_as_downloaded_is_stored_to_the_fen(
        tmp_path: Path, name: str, encoding: str) -> None:
    case = CASES[name]
    campaign = _campaign(tmp_path, case)
    store = tmp_path / "history.sqlite"
    result = _replan(campaign, _files(case, tmp_path, encoding), store)
    assert result.exit_code == 0, result.output
    assert _stored(store, campaign) == sorted(case.expected)
    plays = _plays(store, campaign)
    assert {video: plays[video] for video in case.plays} == case.plays


# ---------------------------------------------------------------- the rules, file by file

def _read(tmp_path: Path, name: str, header, rows, campaign: str = "campaign_tmall.toml",
          extra: str = "", dated: str | None = None):
    from planner.io.actuals import read_actual_rows

    path = write(tmp_path / name, header, rows)
    camp = read_campaign(_campaign(tmp_path, Case("", [], campaign, [], extra_toml=extra)))
    return read_actual_rows(Path(f"{path}@{dated}") if dated else path, camp)


def _problems(exc: pytest.ExceptionInfo) -> str:
    return "\n".join(str(p) for p in exc.value.problems)


def test_rows_dated_all_are_period_totals_and_are_skipped_with_a_note(
        tmp_path: Path, english: None) -> None:
    from export_fixtures import QC_UNI_HEADER, QC_UNI_ROWS

    read = _read(tmp_path, "qc.csv", QC_UNI_HEADER, QC_UNI_ROWS, "campaign_closed_loop.toml")
    assert sorted(r["video_id"] for r in read.rows) == ["v0001", "v0003"]
    assert any("全部" in n and "row 4" in n for n in read.notes)


def test_a_qianchuan_row_that_spent_nothing_has_no_sales_not_an_unknown_gmv(
        tmp_path: Path) -> None:
    from export_fixtures import QC_UNI_HEADER, QC_UNI_ROWS

    read = _read(tmp_path, "qc.csv", QC_UNI_HEADER, QC_UNI_ROWS, "campaign_closed_loop.toml")
    idle = next(r for r in read.rows if r["video_id"] == "v0003")
    assert (idle["spend"], idle["gmv"]) == (0.0, 0.0)


def test_plays_are_plays_and_impressions_stay_impressions(tmp_path: Path) -> None:
    from export_fixtures import QC_UNI_HEADER, QC_UNI_ROWS

    read = _read(tmp_path, "qc.csv", QC_UNI_HEADER, QC_UNI_ROWS[:1], "campaign_closed_loop.toml")
    assert (read.rows[0]["plays"], read.rows[0]["impressions"]) == (98_000, 125_000)
    assert ("视频播放数", "plays") in read.mapped.mapping
    assert ("整体展现次数", "impressions") in read.mapped.mapping


def test_plays_come_from_impressions_only_when_the_report_has_no_play_count_and_it_says_so(
        tmp_path: Path, english: None) -> None:
    from export_fixtures import QC_STANDARD_HEADER, QC_STANDARD_ROWS, QC_STANDARD_TOML

    read = _read(tmp_path, "plan.csv", QC_STANDARD_HEADER, QC_STANDARD_ROWS,
                 "campaign_closed_loop.toml", QC_STANDARD_TOML, dated=DAY)
    assert read.rows[0]["plays"] == 40_800
    assert any("no play count" in n and "展示次数" in n for n in read.mapped.notes)


def test_standard_plan_orders_and_clicks_are_read(tmp_path: Path) -> None:
    from export_fixtures import QC_STANDARD_HEADER, QC_STANDARD_ROWS, QC_STANDARD_TOML

    read = _read(tmp_path, "plan.csv", QC_STANDARD_HEADER, QC_STANDARD_ROWS,
                 "campaign_closed_loop.toml", QC_STANDARD_TOML, dated=DAY)
    row = read.rows[0]
    assert (row["orders"], row["clicks"], row["gmv"], row["tool"]) == (21, 1200, 2345.67,
                                                                      "qianchuan")
    assert read.mapped.family == "direct"


def test_a_report_without_dates_asks_for_its_day_after_the_file_name(
        tmp_path: Path, english: None) -> None:
    from export_fixtures import QC_STANDARD_HEADER, QC_STANDARD_ROWS, QC_STANDARD_TOML

    from planner.errors import InputError

    with pytest.raises(InputError) as exc:
        _read(tmp_path, "plan.csv", QC_STANDARD_HEADER, QC_STANDARD_ROWS,
              "campaign_closed_loop.toml", QC_STANDARD_TOML)
    assert "no date column" in _problems(exc)
    assert "--actuals plan.csv@2027-04-22" in _problems(exc)


def test_a_day_after_the_file_name_that_its_rows_contradict_is_refused(
        tmp_path: Path, english: None) -> None:
    from export_fixtures import DOU_PLUS_REPORT_HEADER, DOU_PLUS_REPORT_ROWS

    from planner.errors import InputError

    with pytest.raises(InputError) as exc:
        _read(tmp_path, "dp.csv", DOU_PLUS_REPORT_HEADER, DOU_PLUS_REPORT_ROWS,
              dated="2027-04-25")
    assert "dated 2027-04-21" in _problems(exc) and "drop the @date" in _problems(exc)


def test_a_row_repeated_exactly_under_one_order_counts_once_with_a_note(
        tmp_path: Path, english: None) -> None:
    from export_fixtures import DOU_PLUS_REPORT_HEADER, DOU_PLUS_REPORT_ROWS

    rows = [*DOU_PLUS_REPORT_ROWS, DOU_PLUS_REPORT_ROWS[0]]
    read = _read(tmp_path, "dp.csv", DOU_PLUS_REPORT_HEADER, rows)
    assert [round(r["spend"], 2) for r in read.rows] == [798.21]
    assert any("repeat an earlier row exactly" in n and "4 (= 2)" in n for n in read.notes)


def test_different_figures_under_one_order_on_one_day_are_refused(
        tmp_path: Path, english: None) -> None:
    from export_fixtures import DOU_PLUS_REPORT_HEADER, DOU_PLUS_REPORT_ROWS, with_cell

    from planner.errors import InputError

    rows = [*DOU_PLUS_REPORT_ROWS, with_cell(DOU_PLUS_REPORT_ROWS, 0, 3, "500")[0]]
    with pytest.raises(InputError) as exc:
        _read(tmp_path, "dp.csv", DOU_PLUS_REPORT_HEADER, rows)
    assert exc.value.problems[0].row == 4
    assert "order DP2001 on 2027-04-21 is already on row 2" in _problems(exc)


def test_one_order_on_several_days_counts_each_day(tmp_path: Path) -> None:
    from export_fixtures import DOU_PLUS_REPORT_HEADER, DOU_PLUS_REPORT_ROWS, with_cell

    rows = [*DOU_PLUS_REPORT_ROWS, with_cell(DOU_PLUS_REPORT_ROWS, 0, 0, "2027-04-22")[0]]
    read = _read(tmp_path, "dp.csv", DOU_PLUS_REPORT_HEADER, rows)
    by_day = {str(r["date"]): round(r["spend"], 2) for r in read.rows}
    assert by_day == {"2027-04-21": 798.21, "2027-04-22": 498.21}


@pytest.mark.parametrize("word", ["小计", "合计", "总计", "Total"])
def test_subtotal_rows_anywhere_are_skipped_with_a_note(
        tmp_path: Path, word: str, english: None) -> None:
    from export_fixtures import DOU_PLUS_REPORT_HEADER, DOU_PLUS_REPORT_ROWS

    subtotal = (word, "", "v0012", "798.21", "33,000", "790", "61")
    rows = [DOU_PLUS_REPORT_ROWS[0], subtotal, DOU_PLUS_REPORT_ROWS[1], subtotal]
    read = _read(tmp_path, "dp.csv", DOU_PLUS_REPORT_HEADER, rows)
    assert [round(r["spend"], 2) for r in read.rows] == [798.21]
    assert any("totals row" in n and "3, 5" in n for n in read.mapped.notes)


def test_a_header_that_fits_two_layouts_names_both_and_the_rule(
        tmp_path: Path, english: None) -> None:
    header = ("日期", "订单ID", "视频ID", "消耗(元)", "播放次数", "展示次数", "直接成交金额(元)")
    rows = [(DAY, "DP1", "v0012", "100", "5,000", "9,000", "300")]
    read = _read(tmp_path, "both.csv", header, rows)
    note = next(n for n in read.mapped.notes if "also" in n)
    assert "DOU+" in note and "Qianchuan" in note
    assert "needed columns are all there" in note and "knows more of the file's headers" in note
    assert read.mapped.recognised.layout is not None
    assert read.mapped.recognised.layout.label in note.split("read as ")[1]


def test_a_file_with_several_platform_headers_is_never_called_the_planners_own(
        tmp_path: Path, english: None) -> None:
    from planner.errors import InputError

    header = ("日期", "视频ID", "消耗(元)", "播放次数", "整体展现次数", "直接成交笔数", "曝光人数")
    with pytest.raises(InputError) as exc:
        _read(tmp_path, "odd.csv", header, [(DAY, "v0001", "100", "10", "20", "1", "5")])
    text = _problems(exc)
    assert "the planner's own actuals file" not in text
    assert "belong to no known layout: 曝光人数" in text
    # The closest layout, and the headers it lacks.
    assert "Qianchuan" in text and "lacks: 直接成交金额" in text


def test_shop_orders_without_a_content_id_are_the_shops_never_a_videos(
        tmp_path: Path, english: None) -> None:
    from export_fixtures import DOUDIAN_HEADER, DOUDIAN_ROWS

    read = _read(tmp_path, "orders.csv", DOUDIAN_HEADER, DOUDIAN_ROWS)
    assert [(r["video_id"], round(r["gmv"], 2)) for r in read.rows] == [("v0012", 299.7)]
    assert read.unattributed == {read.rows[0]["date"]: 88.0}
    assert any("88.00 yuan of shop GMV" in n and "never guessed" in n for n in read.notes)


# ---------------------------------------------------------------- roster sources

@pytest.mark.slow
@pytest.mark.parametrize("encoding", list(ENCODINGS))
@pytest.mark.parametrize("name", list(ROSTER_CASES))
def test_each_roster_export_is_scored_with_its_figures_read(
        tmp_path: Path, name: str, encoding: str) -> None:
    from planner.io.recognise import map_file
    from planner.io.roster import read_videos

    case = ROSTER_CASES[name]
    suffix, text_encoding = ENCODINGS[encoding]
    roster = write(tmp_path / f"roster.{suffix}", case.header, case.rows,
                   encoding=text_encoding or "utf-8-sig")
    assert map_file(roster, ("roster",)).recognised.layout_id == case.layout
    (video,), _ = read_videos(roster, plan_date=read_campaign(
        SAMPLE / "campaign_tmall.toml").effective_plan_date)
    assert (video.video_id, video.followers, video.median_plays) == (
        case.video, case.followers, case.median_plays)
    assert video.kol_fee == case.kol_fee
    result = runner.invoke(app, ["score", "--campaign", str(SAMPLE / "campaign_tmall.toml"),
                                 "--videos", str(roster)])
    assert result.exit_code == 0, result.output
    assert case.video in result.output


def test_inspect_explains_a_file_that_matches_nothing(tmp_path: Path) -> None:
    header = ("日期", "视频ID", "消耗(元)", "播放次数", "整体展现次数", "直接成交笔数", "曝光人数")
    odd = write(tmp_path / "odd.csv", header, [(DAY, "v0001", "100", "10", "20", "1", "5")])
    result = runner.invoke(app, ["inspect", str(odd), "--lang", "en"])
    assert result.exit_code == 2
    assert "belong to no known layout: 曝光人数" in result.output
    assert "Qianchuan" in result.output and "this file lacks: 直接成交金额" in result.output
    assert "the planner's own actuals file" not in result.output


def test_inspect_shows_impressions_beside_plays_and_the_api_unit(tmp_path: Path) -> None:
    from export_fixtures import QC_UNI_API_HEADER, QC_UNI_API_ROWS

    saved = write(tmp_path / "uni.json", QC_UNI_API_HEADER, QC_UNI_API_ROWS)
    result = runner.invoke(app, ["inspect", str(saved), "--lang", "en"])
    assert result.exit_code == 0, result.output
    assert "1/1000 fen" in result.output
    assert any("show_cnt" in line and "impressions" in line for line in result.output.splitlines())
    assert "1234.56" in result.output and "4420.61" in result.output


def test_a_saved_api_response_without_rows_says_what_it_expected(
        tmp_path: Path, english: None) -> None:
    from planner.errors import InputError
    from planner.io.actuals import read_actual_rows

    saved = tmp_path / "report.json"
    saved.write_text('{"code": 40002, "message": "access token expired"}', encoding="utf-8")
    with pytest.raises(InputError, match=r'holds no rows \(expected \{"data": \{"list"'):
        read_actual_rows(saved)


def test_a_json_file_is_no_videos_file(tmp_path: Path, english: None) -> None:
    from export_fixtures import QC_UNI_API_HEADER, QC_UNI_API_ROWS

    from planner.errors import InputError
    from planner.io.roster import read_videos

    saved = write(tmp_path / "videos.json", QC_UNI_API_HEADER, QC_UNI_API_ROWS)
    with pytest.raises(InputError, match=r"extension '\.json'"):
        read_videos(saved)
