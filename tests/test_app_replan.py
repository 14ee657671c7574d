"""The Re-plan page driven headless with AppTest: dry run, recording, the diff, errors.

Every test points the history store into pytest's tmp_path, so nothing lands
in the project's out/ folder. Markdown the app escapes is read through ``shown``.
"""

from __future__ import annotations

import io
import re
import socket
import sqlite3
from datetime import date
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest
from streamlit.testing.v1 import AppTest

from app_steps import click
from planner.io.campaign_file import read_campaign
from planner.io.store import open_store
from planner.tools import Tool

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "app" / "streamlit_app.py"
PAGE = "app_pages/replan_page.py"
CAMPAIGN = read_campaign(ROOT / "sample_data" / "campaign_tmall.toml")
START = CAMPAIGN.start  # 2027-04-21

FILE = "replan_page.actuals_file"
DATE = "replan_page.date"
STORE = "replan_page.store_path"
LOCK = "replan_page.lock_timeout"
DRY_RUN = "replan_page.dry_run"
PREVIEW = "replan_page.preview_button"
RECORD = "replan_page.record_button"

# Written against the English app: PLANNER_LANG=en (the Chinese default: tests/test_app_zh.py).
pytestmark = pytest.mark.usefixtures("english", "app_stores")


def shown(markdown: str) -> str:
    return re.sub(r"\\(.)", r"\1", markdown).replace("**", "")


def actuals_csv(rows: list[tuple[str, str, str, float, float, float]]) -> bytes:
    lines = ["date,video_id,tool,spend,gmv,plays"]
    lines += [",".join(str(cell) for cell in row) for row in rows]
    return ("\n".join(lines) + "\n").encode("utf-8")


DAY_ONE = actuals_csv([
    ("2027-04-21", "v0012", "dou_plus", 1000, 300, 50_000),
    ("2027-04-21", "v0008", "kol_bidding", 2000, 9000, 50_000),
])


def day_two_xlsx() -> bytes:
    """Day two as a Chinese export: tools as the back ends name them, v0008 restated."""
    frame = pd.DataFrame(
        [
            ("2027-04-21", "v0008", "达人竞价", 2000, 9600, 52_000),  # restated
            ("2027-04-22", "v0012", "DOU+", 1000, 200, 48_000),
            ("2027-04-22", "v0008", "达人竞价", 2000, 12_000, 55_000),
        ],
        columns=["日期", "视频ID", "工具", "消耗", "成交额", "播放量"],
    )
    buffer = io.BytesIO()
    frame.to_excel(buffer, index=False)
    return buffer.getvalue()


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def open_page() -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    at.switch_page(PAGE).run()
    assert not at.exception
    return at


def upload(at: AppTest, name: str, data: bytes, store: Path | str,
           mime: str = "text/csv") -> AppTest:
    at.file_uploader(key=FILE).set_value((name, data, mime)).run()
    at.text_input(key=STORE).set_value(str(store)).run()
    assert not at.exception
    return at


def record(at: AppTest) -> AppTest:
    at.checkbox(key=DRY_RUN).uncheck().run()
    return click(at, RECORD)


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.main.metric}


def table_with(at: AppTest, column: str) -> pd.DataFrame | None:
    found = [d.value for d in at.dataframe if column in d.value.columns]
    return found[0] if found else None


def errors(at: AppTest) -> list[str]:
    return [shown(e.value) for e in at.main.error]


def stored(path: Path | str) -> tuple[int, int]:
    """(actuals rows, plans) the store holds for the sample campaign."""
    with open_store(path) as store:
        return len(store.actuals(CAMPAIGN.name)), store.plan_count(CAMPAIGN.name)


@pytest.mark.slow
def test_the_page_loads_safe_by_default_and_waits_for_an_actuals_file(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("PLANNER_APP_STORES")  # the default: out/stores in the repository
    at = open_page()
    assert at.title[0].value == "Re-plan"
    assert not at.error
    assert at.text_input(key=STORE).value == "history.sqlite"
    assert at.checkbox(key=DRY_RUN).value is True
    assert at.button(key=PREVIEW).disabled  # nothing to re-plan without a file
    # Without actuals the date starts at the campaign's plan date.
    assert at.date_input(key=DATE).value == CAMPAIGN.plan_date
    assert f"Store: {ROOT / 'out' / 'stores' / 'history.sqlite'}" in " ".join(
        shown(c.value) for c in at.main.caption)
    assert not at.main.metric


@pytest.mark.slow
def test_the_store_path_survives_a_visit_to_another_page(tmp_path: Path) -> None:
    at = open_page()
    at.text_input(key=STORE).set_value(str(tmp_path / "team.sqlite")).run()
    at.number_input(key=LOCK).set_value(5.0).run()
    at.switch_page("app_pages/plan_page.py").run()
    at.switch_page(PAGE).run()
    assert not at.exception
    # Falling back to the default would silently record into another store.
    assert at.text_input(key=STORE).value == str(tmp_path / "team.sqlite")
    assert at.number_input(key=LOCK).value == 5.0
    assert at.checkbox(key=DRY_RUN).value is True  # back to safe


# ---------------------------------------------------------------- a served app (issue 29)


@pytest.mark.slow
@pytest.mark.parametrize("typed", ["../elsewhere.sqlite", "{outside}", "sub/../../x.sqlite",
                                   "~/history.sqlite", "{link}/history.sqlite"])
def test_a_store_outside_the_servers_folder_is_refused_and_nothing_is_written(
    typed: str, tmp_path: Path, app_stores: Path
) -> None:
    """A buyer of a served app cannot make it write anywhere but its store folder."""
    folder = app_stores / "stores"
    folder.mkdir()
    outside = tmp_path.parent / f"{tmp_path.name}-elsewhere"
    outside.mkdir()
    (folder / "link").symlink_to(outside)
    with pytest.MonkeyPatch.context() as env:
        env.setenv("PLANNER_APP_STORES", str(folder))
        text = typed.format(outside=outside / "history.sqlite", link="link")
        at = upload(open_page(), "actuals_0421.csv", DAY_ONE, text)
        found = errors(at)
        assert len(found) == 1, found
        assert f"is outside the folder this app keeps its stores in ({folder})" in found[0]
        assert "Fix: Type a store's name such as history.sqlite" in found[0]
        assert "PLANNER_APP_STORES" in found[0]
        assert at.button(key=PREVIEW).disabled
    assert sorted(p.name for p in outside.iterdir()) == []
    assert sorted(p.name for p in folder.iterdir()) == ["link"]


def test_a_database_the_server_does_not_list_is_refused_with_its_password_masked(
    app_stores: Path,
) -> None:
    at = upload(open_page(), "actuals_0421.csv", DAY_ONE,
                "postgresql://planner:s3cret@db.example.com/portfolio")
    found = errors(at)
    assert len(found) == 1
    assert "records only into the databases its server lists (PLANNER_APP_STORE_URLS)" in (
        found[0])
    raw = at.main.error[0].value
    assert r"planner:\*\*\*@db.example.com" in raw and "s3cret" not in raw
    assert at.button(key=PREVIEW).disabled


@pytest.mark.slow
def test_a_dry_run_on_a_new_store_creates_no_file(app_stores: Path) -> None:
    at = upload(open_page(), "actuals_0421.csv", DAY_ONE, "team/history.sqlite")
    assert any("is new: the first recording creates it (a dry run creates nothing)"
               in shown(c.value) for c in at.main.caption)
    at = click(at, PREVIEW)
    assert not at.error and metrics(at)["Added"] == "2"
    assert sorted(p.name for p in app_stores.iterdir()) == []
    at = record(at)  # recording makes the folder and the store, in the server's folder
    assert not at.error
    assert stored(app_stores / "team" / "history.sqlite") == (2, 1)


@pytest.mark.slow
def test_a_dry_run_shows_the_counts_and_the_new_plan_and_records_nothing(
    tmp_path: Path,
) -> None:
    store = tmp_path / "history.sqlite"
    at = upload(open_page(), "actuals_0421.csv", DAY_ONE, store)
    assert at.date_input(key=DATE).value == date(2027, 4, 22)  # the day after the file
    assert "2 rows on 2027-04-21: spend ¥3,000, GMV ¥9,300" in " ".join(
        shown(c.value) for c in at.main.caption)
    at = click(at, PREVIEW)
    assert not at.error
    figures = metrics(at)
    assert (figures["Added"], figures["Restated"], figures["Unchanged"]) == ("2", "0", "0")
    assert figures["Spend"].startswith("¥3.0")  # 300万, in millions in English
    assert figures["Solver status"] in {"optimal", "feasible"}
    assert any("nothing was recorded" in shown(i.value) for i in at.info)
    learned = table_with(at, "learned_roi")
    assert learned is not None and {"v0012", "v0008"} <= set(learned["video_id"])
    assert [b.label for b in at.get("download_button")] == [
        "Download the plan workbook (Excel)", "Download the plan data (JSON, for scripts)"]
    assert table_with(at, "old_budget") is None  # no earlier plan to compare with
    assert stored(store) == (0, 0)


@pytest.mark.slow
def test_recording_two_days_shows_the_diff_restatements_and_kpis(tmp_path: Path) -> None:
    store = tmp_path / "history.sqlite"
    at = record(upload(open_page(), "actuals_0421.csv", DAY_ONE, store))
    assert any("Recorded actuals_0421.csv" in shown(s.value) for s in at.success)
    assert metrics(at)["Added"] == "2"
    assert stored(store) == (2, 1)
    kpis = table_with(at, "traffic_roi")
    assert kpis is not None and sorted(kpis["video_id"]) == ["v0008", "v0012"]

    at = upload(at, "actuals_0422.xlsx", day_two_xlsx(), store, mime=XLSX)
    assert at.date_input(key=DATE).value == date(2027, 4, 23)
    assert at.button(key=RECORD).label == "Record and re-plan"  # dry run stays off
    at = click(at, RECORD)
    assert not at.error
    figures = metrics(at)
    assert (figures["Added"], figures["Restated"], figures["Unchanged"]) == ("2", "1", "0")
    changes = table_with(at, "old_budget")
    assert changes is not None and len(changes) >= 1
    # Change kinds in words (plan.json keeps the codes: added, ..., mode_switched).
    assert set(changes["change"]) <= {"added", "removed", "increased", "decreased",
                                      "mode switched"}
    assert changes["kol_name"].str.len().gt(0).all()
    assert changes["reason"].str.len().gt(0).all()
    moved = changes["new_budget"] - changes["old_budget"]
    assert changes["delta"].tolist() == pytest.approx(moved.tolist(), abs=0.01)
    assert any("Against the plan recorded for 2027-04-22" in shown(c.value)
               for c in at.main.caption)
    assert stored(store) == (4, 2)

    at.radio(key="replan_page.kpi_by").set_value("day").run()
    by_day = table_with(at, "traffic_roi")
    assert by_day is not None
    assert by_day["date"].tolist() == [date(2027, 4, 21), date(2027, 4, 22)]
    assert by_day["gmv"].tolist() == [300 + 9600, 200 + 12_000]  # the restated value counts
    at.radio(key="replan_page.kpi_by").set_value("tool").run()
    by_tool = table_with(at, "traffic_roi")
    assert by_tool is not None and sorted(by_tool["tool"]) == ["Dou+", "KOL bidding"]


@pytest.mark.slow
def test_recording_into_a_postgresql_store_works_as_into_a_file(
    pg_store: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PLANNER_APP_STORE_URLS", f"postgresql://elsewhere/db {pg_store}")
    at = upload(open_page(), "actuals_0421.csv", DAY_ONE, pg_store)
    assert any(f"Store: {pg_store}, a PostgreSQL database" in shown(c.value)
               for c in at.main.caption)
    at = record(at)
    assert not at.error
    assert any(f"Recorded actuals_0421.csv and the new plan in {pg_store}" in shown(s.value)
               for s in at.success)
    assert stored(pg_store) == (2, 1)


@pytest.mark.slow
def test_an_unreachable_database_says_so_under_the_button(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # nothing listens there once it is closed
    store = f"postgresql://planner:s3cret@127.0.0.1:{port}/portfolio"
    monkeypatch.setenv("PLANNER_APP_STORE_URLS", store)
    at = click(upload(open_page(), "actuals_0421.csv", DAY_ONE, store), PREVIEW)
    found = errors(at)
    assert len(found) == 1
    assert "Cannot connect to the history store" in found[0]
    assert "Connection refused" in found[0]
    assert "Error" not in found[0].split(":", 1)[0]  # no exception class names
    raw = at.main.error[0].value
    assert "s3cret" not in raw and r"planner:\*\*\*@127.0.0.1" in raw  # masked
    assert not at.main.metric


@pytest.mark.slow
def test_an_unknown_tool_is_listed_with_file_row_and_column(tmp_path: Path) -> None:
    bad = actuals_csv([
        ("2027-04-21", "v0012", "dou_plus", 1000, 300, 50_000),
        ("2027-04-21", "v0008", "facebook", 2000, 9000, 50_000),
    ])
    at = upload(open_page(), "bad_actuals.csv", bad, tmp_path / "history.sqlite")
    found = errors(at)
    assert len(found) == 1
    assert "bad_actuals.csv, row 3, column 'tool': 'facebook' is not a tool" in found[0]
    assert "Fix: Use one of:" in found[0]
    assert "Traceback" not in found[0]
    assert at.button(key=PREVIEW).disabled
    assert not (tmp_path / "history.sqlite").exists()


@pytest.mark.slow
def test_actuals_on_the_replan_date_are_refused_without_touching_the_store(
    tmp_path: Path,
) -> None:
    store = tmp_path / "history.sqlite"
    at = upload(open_page(), "actuals_0421.csv", DAY_ONE, store)
    at.date_input(key=DATE).set_value(START).run()
    at = record(at)
    found = errors(at)
    assert len(found) == 1
    assert "actuals_0421.csv, row 2, column 'date': actuals dated 2027-04-21 cannot be known " \
           "when re-planning 2027-04-21" in found[0]
    assert not at.main.metric
    assert not store.exists()  # the files are checked before the store is opened


@pytest.mark.slow
def test_a_replan_that_breaks_a_rule_is_an_error_naming_it_and_records_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    import planner.jobs.replan as job

    replan = job.replan

    def ad_feed_without_authorisation(*args: object, **kwargs: object) -> object:
        made = replan(*args, **kwargs)  # type: ignore[arg-type]
        day = date(2027, 4, 23)  # v0035's KOL has not authorised ads
        blocked = made.orders[0].model_copy(update={
            "video_id": "v0035", "tool": Tool.AD_FEED, "start_date": day, "end_date": day,
            "booking_date": day, "budget": 1_000.0, "mode": None, "fixed": False})
        return made.model_copy(update={"orders": [*made.orders, blocked]})

    monkeypatch.setattr(job, "replan", ad_feed_without_authorisation)
    store = tmp_path / "history.sqlite"
    at = record(upload(open_page(), "actuals_0421.csv", DAY_ONE, store))
    found = errors(at)
    assert len(found) == 1
    assert found[0].startswith("the planner made a plan that breaks")  # no class name on screen
    assert "- ad_tool_blocked: v0035 AD feed 2027-04-23..2027-04-23" in found[0]
    assert not at.get("download_button")
    assert not at.main.metric
    assert stored(store) == (0, 0)  # neither the plan nor the day's actuals


@pytest.mark.slow
def test_a_locked_store_says_so_instead_of_hanging(tmp_path: Path) -> None:
    store = tmp_path / "history.sqlite"
    stored(store)  # create the store with its schema
    holder = sqlite3.connect(store, isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")  # another run is writing
        at = upload(open_page(), "actuals_0421.csv", DAY_ONE, store)
        at.number_input(key=LOCK).set_value(0.2).run()
        at = click(at, PREVIEW)
        found = errors(at)
        assert len(found) == 1
        assert "is locked by another run" in found[0] and "StoreError" not in found[0]
        assert not at.main.metric
    finally:
        holder.rollback()
        holder.close()
    assert stored(store) == (0, 0)


@pytest.mark.slow
def test_plan_vs_actual_shows_the_recorded_plan_against_the_day(tmp_path: Path) -> None:
    from planner.io.roster import read_videos
    from planner.jobs.replan import record_plan
    from planner.planning import make_plan

    store = tmp_path / "history.sqlite"
    videos_file = ROOT / "sample_data" / "videos.csv"
    videos, _ = read_videos(videos_file, plan_date=CAMPAIGN.effective_plan_date)
    plan = make_plan(videos, CAMPAIGN)
    record_plan(plan, CAMPAIGN, "sha", store)  # as `planner plan --store` does
    v0012 = next(r for r in plan.daily if r.date == START and r.video_id == "v0012"
                 and r.tool is Tool.DOU_PLUS)
    at = click(upload(open_page(), "actuals_0421.csv", DAY_ONE, store), PREVIEW)
    assert not at.error
    report = table_with(at, "planned_spend")
    assert report is not None
    # Tools by the buyer's name; the ids stay in plan.json and the workbook.
    row = report[(report["video_id"] == "v0012") & (report["tool"] == "Dou+")].iloc[0]
    assert (row["planned_spend"], row["actual_spend"]) == (v0012.spend, 1000)
    assert row["actual_roi"] == pytest.approx(0.3)
    assert any("day(s) so far: spent ¥3,000" in shown(c.value) for c in at.main.caption)
    assert len(at.get("vega_lite_chart")) == 1


@pytest.mark.slow
def test_without_a_recorded_plan_the_report_says_so_instead_of_planned_zero(
    tmp_path: Path,
) -> None:
    at = click(upload(open_page(), "actuals_0421.csv", DAY_ONE, tmp_path / "h.sqlite"), PREVIEW)
    assert not at.error
    notes = [shown(i.value) for i in at.main.info]
    assert any("holds no recorded plan for these 1 day(s), only actuals: spent ¥3,000" in n
               for n in notes)
    report = table_with(at, "planned_spend")
    assert report is not None
    assert report["planned_spend"].isna().all()  # blank (shown as –), never ¥0
    assert set(report["pva_status"]) == {"no recorded plan"}
    assert not any("day(s) so far" in shown(c.value) for c in at.main.caption)


@pytest.mark.slow
def test_routine_notes_are_one_info_block_and_long_reasons_are_read_in_full(
    tmp_path: Path,
) -> None:
    store = tmp_path / "history.sqlite"
    _record_sample_plan(store)
    at = record(upload(open_page(), "actuals_0421.csv", DAY_ONE, store))
    assert not at.main.warning or all("record" in shown(w.value).lower()
                                      for w in at.main.warning)  # only the record caution
    blocks = [shown(i.value) for i in at.main.info if shown(i.value).startswith("- ")]
    assert len(blocks) <= 1
    if blocks:
        lines = blocks[0].splitlines()
        assert len(lines) == len(set(lines))  # each note said once
    changes = table_with(at, "old_budget")
    assert changes is not None and not changes.empty
    full = [tb.value for tb in at.table if "Why" in tb.value.columns]
    assert full and full[0]["Why"].str.len().gt(20).all()  # whole sentences, wrapped


def trend_points(at: AppTest) -> set[tuple[str, str, str]]:
    """The (day, figure, kind) points the page's trend chart draws, from its spec."""
    (chart,) = at.get("vega_lite_chart")
    frames = [frame for data in chart.proto.datasets
              if "date" in (frame := pa.ipc.open_stream(data.data.data).read_pandas())]
    # The page is in English here: the kinds read "Planned" and "Actual".
    return {(f"{day:%Y-%m-%d}", figure, kind.lower()) for frame in frames
            for day, figure, kind in zip(frame["date"], frame["figure"], frame["kind"],
                                         strict=True)}


def test_the_trend_chart_draws_spend_and_gmv_over_roi_with_line_legends() -> None:
    """Two panels (money in 万 above, ROI on its own axis below), each legend drawing
    strokes: the figure's colour as a line, planned dashed and actual solid."""
    import sys

    sys.path.insert(0, str(ROOT / "app"))
    from charts import pva_trend_chart

    trend = pd.DataFrame({"date": [date(2027, 4, 21)] * 4,
                          "figure": ["spend", "gmv", "roi", "roi"],
                          "kind": ["planned", "planned", "planned", "actual"],
                          "value": [1_000.0, 3_000.0, 3.0, 2.5]})
    spec = pva_trend_chart(trend).to_dict()
    money, roi, key = spec["vconcat"]
    assert roi["encoding"]["y"]["field"] == "value" and money["encoding"]["y"]["field"] == (
        "value_axis")
    for panel in (money, roi):
        legend = panel["encoding"]["color"]["legend"]
        assert legend["symbolType"] == "stroke" and legend["symbolStrokeWidth"] >= 2
    # The line styles' legend draws its strokes: a rule per kind, dashed and solid, named
    # by the axis; one view (a layer in a vconcat would overflow the page's width).
    assert key["mark"]["type"] == "rule" and key["encoding"]["y"]["field"] == "kind"
    assert key["encoding"]["strokeDash"]["scale"] == money["encoding"]["strokeDash"]["scale"]
    dashes = money["encoding"]["strokeDash"]["scale"]["range"]
    assert dashes[0] != dashes[1]  # planned and actual drawn apart


def _record_sample_plan(store: Path) -> None:
    from planner.io.roster import read_videos
    from planner.jobs.replan import record_plan
    from planner.planning import make_plan

    videos, _ = read_videos(ROOT / "sample_data" / "videos.csv",
                            plan_date=CAMPAIGN.effective_plan_date)
    record_plan(make_plan(videos, CAMPAIGN), CAMPAIGN, "sha", store)


@pytest.mark.slow
def test_plan_against_actual_over_three_replans_draws_trend_lines_for_a_chosen_range(
    tmp_path: Path,
) -> None:
    """A store with a recorded plan and three recorded re-plans: the trend covers every
    day, and the range, tool and video pickers narrow it."""
    store = tmp_path / "history.sqlite"
    _record_sample_plan(store)
    at = open_page()
    days = [
        actuals_csv([("2027-04-21", "v0012", "dou_plus", 1000, 300, 50_000),
                     ("2027-04-21", "v0008", "dou_plus", 12_000, 30_000, 50_000)]),
        actuals_csv([("2027-04-22", "v0012", "dou_plus", 900, 500, 40_000),
                     ("2027-04-22", "v0008", "dou_plus", 11_000, 33_000, 40_000)]),
        actuals_csv([("2027-04-23", "v0012", "dou_plus", 950, 800, 45_000),
                     ("2027-04-23", "v0008", "dou_plus", 11_500, 31_000, 45_000)]),
    ]
    for number, data in enumerate(days):
        at = upload(at, f"actuals_042{number + 1}.csv", data, store)
        at = record(at) if number == 0 else click(at, RECORD)
        assert not at.error
    assert stored(store)[1] == 4  # the plan and three re-plans
    report = table_with(at, "planned_spend")
    assert report is not None
    assert sorted(set(report["date"])) == [date(2027, 4, d) for d in (21, 22, 23)]
    assert report["planned_spend"].notna().any()
    assert len(at.get("vega_lite_chart")) == 1
    picker = "replan_page.trend_range.2027-04-21.2027-04-23"
    assert at.date_input(key=picker).value == (date(2027, 4, 21), date(2027, 4, 23))
    drawn = trend_points(at)
    assert {d for d, _, _ in drawn} == {"2027-04-21", "2027-04-22", "2027-04-23"}
    # Spend, GMV and ROI, planned and actual, every day (the plan was recorded on day one).
    assert {(f, k) for _, f, k in drawn} == {(f, k) for f in ("spend", "gmv", "roi")
                                             for k in ("planned", "actual")}
    at.date_input(key=picker).set_value(
        (date(2027, 4, 22), date(2027, 4, 23))).run()
    assert {d for d, _, _ in trend_points(at)} == {"2027-04-22", "2027-04-23"}
    at.selectbox(key="replan_page.trend_video").set_value("v0012").run()
    assert not at.exception and len(at.get("vega_lite_chart")) == 1
    assert {d for d, _, _ in trend_points(at)} == {"2027-04-22", "2027-04-23"}
