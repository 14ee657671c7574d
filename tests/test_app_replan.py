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
pytestmark = pytest.mark.usefixtures("english")


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


def test_the_page_loads_safe_by_default_and_waits_for_an_actuals_file() -> None:
    at = open_page()
    assert at.title[0].value == "Re-plan"
    assert not at.error
    assert at.text_input(key=STORE).value == "out/history.sqlite"
    assert at.checkbox(key=DRY_RUN).value is True
    assert at.button(key=PREVIEW).disabled  # nothing to re-plan without a file
    # Without actuals the date starts at the campaign's plan date.
    assert at.date_input(key=DATE).value == CAMPAIGN.plan_date
    assert f"Store: {ROOT / 'out' / 'history.sqlite'}" in " ".join(
        shown(c.value) for c in at.main.caption)
    assert not at.main.metric


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
    assert [b.label for b in at.get("download_button")] == ["plan.xlsx", "plan.json"]
    assert table_with(at, "old_budget") is None  # no earlier plan to compare with
    assert stored(store) == (0, 0)


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


def test_recording_into_a_postgresql_store_works_as_into_a_file(pg_store: str) -> None:
    at = upload(open_page(), "actuals_0421.csv", DAY_ONE, pg_store)
    assert any(f"Store: {pg_store}, a PostgreSQL database" in shown(c.value)
               for c in at.main.caption)
    at = record(at)
    assert not at.error
    assert any(f"Recorded actuals_0421.csv and the new plan in {pg_store}" in shown(s.value)
               for s in at.success)
    assert stored(pg_store) == (2, 1)


def test_an_unreachable_database_says_so_under_the_button(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # nothing listens there once it is closed
    store = f"postgresql://planner:s3cret@127.0.0.1:{port}/portfolio"
    at = click(upload(open_page(), "actuals_0421.csv", DAY_ONE, store), PREVIEW)
    found = errors(at)
    assert len(found) == 1
    assert "StoreUnreachableError" in found[0] and "Connection refused" in found[0]
    raw = at.main.error[0].value
    assert "s3cret" not in raw and r"planner:\*\*\*@127.0.0.1" in raw  # masked
    assert not at.main.metric


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
        assert "StoreError" in found[0] and "is locked by another run" in found[0]
        assert not at.main.metric
    finally:
        holder.rollback()
        holder.close()
    assert stored(store) == (0, 0)


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
