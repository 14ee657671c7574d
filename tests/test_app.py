"""The Streamlit app driven headless with AppTest: every page, the sample plan, errors.

Markdown shown with st.error / st.caption is escaped by the app (file names
and cell text are data, not formatting); ``shown`` undoes that so the tests
read the text a buyer sees.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from app_steps import field
from planner.i18n import t
from planner.io.raw import MAX_ROWS

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "app" / "streamlit_app.py"
SAMPLE_CSV = (ROOT / "sample_data" / "videos.csv").read_bytes()
RUN = "plan_page.run_button"
# Written against the English app: these run with PLANNER_LANG=en (tests/test_app_zh.py
# covers the Chinese default).
pytestmark = pytest.mark.usefixtures("english")


def shown(markdown: str) -> str:
    return re.sub(r"\\(.)", r"\1", markdown)


def start() -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    assert not at.exception
    return at


def run_plan(at: AppTest) -> AppTest:
    at.button(key=RUN).click().run()
    assert not at.exception
    return at


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.main.metric}


def orders_table(at: AppTest) -> pd.DataFrame:
    tables = [d.value for d in at.dataframe if "reasons" in d.value.columns]
    assert tables, "no orders table on the page"
    return tables[0]


def upload(at: AppTest, key: str, name: str, data: bytes, mime: str = "text/csv") -> AppTest:
    at.radio(key="inputs.source").set_value("upload").run()
    at.file_uploader(key=key).set_value((name, data, mime)).run()
    assert not at.exception
    return at


# ------------------------------------------------------------------ pages load


def test_plan_page_loads_with_the_sample_and_waits_for_a_run() -> None:
    at = start()
    assert at.title[0].value == "Plan"
    assert not at.error
    assert "44 videos from" in shown(at.sidebar.caption[0].value)
    assert at.button(key=RUN).label == "Run the plan"
    assert at.text_input(key=field(at, "budget")).value == "3,000,000"
    assert not at.main.metric  # nothing is planned before the buyer asks


def test_videos_page_loads_the_scored_roster() -> None:
    at = start()
    at.switch_page("app_pages/videos_page.py").run()
    assert not at.exception
    assert at.title[0].value == "Videos"
    roster = at.dataframe[0].value
    assert len(roster) == 44
    assert {"gpm", "traffic_roi", "comment_like_rate", "engagement_rate", "tier",
            "eligible_tools", "verdicts"} <= set(roster.columns)
    assert "ROI floor 1.20" in shown(at.caption[0].value)


@pytest.mark.slow
def test_videos_page_filters_by_tier_roi_and_tool() -> None:
    at = start()
    at.switch_page("app_pages/videos_page.py").run()
    at.multiselect(key="videos_page.tiers").set_value(["head", "super_head"]).run()
    big = at.dataframe[0].value
    assert 0 < len(big) < 44 and set(big["tier"]) <= {"head", "super-head"}  # shown by name

    at.multiselect(key="videos_page.tiers").set_value([]).run()
    at.number_input(key="videos_page.min_roi").set_value(2.0).run()
    strong = at.dataframe[0].value
    assert 0 < len(strong) < 44 and (strong["traffic_roi"] >= 2.0).all()

    at.number_input(key="videos_page.min_roi").set_value(None).run()
    at.selectbox(key="videos_page.tool").set_value("content_service").run()
    cs = at.dataframe[0].value
    assert 0 < len(cs) < 44
    assert all("Content service" in tools for tools in cs["eligible_tools"])
    assert f"{len(cs)} of 44 videos" in at.caption[1].value


# ------------------------------------------------------------------ planning


def test_the_sample_plan_shows_its_figures_charts_orders_and_downloads() -> None:
    at = run_plan(start())
    figures = metrics(at)
    for label in ("Spend", "Expected GMV", "Expected ROI", "Seeding share", "Solver status",
                  "Unspent"):
        assert figures[label], label
    assert figures["Spend"] == "¥3.00M"  # budget 3,000,000, rounded orders
    assert figures["Solver status"] in {"optimal", "feasible"}
    assert any("fully allocated" in m.value for m in at.markdown)  # the binding lines
    orders = orders_table(at)
    assert len(orders) > 10
    assert orders["reasons"].str.len().gt(0).all()
    assert orders.loc[orders["fixed"], "video_id"].tolist() == ["v0012"]
    # Spend by day, cumulative GMV with its P10-P90 fan, spend and GMV per video, ROI.
    assert len(at.get("vega_lite_chart")) == 4
    assert any("P10-P90" in c.value for c in at.caption)  # the fan's range, said in words
    assert [b.label for b in at.get("download_button")] == [
        "Download the plan workbook (Excel)", "Download the plan data (JSON, for scripts)",
        "Download the schedule shown (CSV)"]


def test_the_video_explanation_shows_verdicts_orders_and_closed_tools() -> None:
    at = run_plan(start())
    at.selectbox(key="plan_page.explain_video.en").set_value("v0008").run()
    texts = [d.value for d in at.dataframe]
    # Verdicts and closed tools are lists of sentences (they wrap); codes stay in plan.json.
    lines = shown("\n".join(m.value for m in at.markdown))
    video = next(v for v in at.session_state["plan_page.result"][1].plan.videos
                 if v.video_id == "v0008")
    verdicts = {r.code: r.text for r in video.reasons}
    assert verdicts["roi_above_floor"] in lines
    assert verdicts["kol_bidding_ad_review"] in lines  # the closed tool says why
    assert "roi_above_floor" not in lines and "kol_bidding_ad_review" not in lines
    own = [t for t in texts if "reasons" in t.columns and set(t["video_id"]) == {"v0008"}]
    assert own and len(own[0]) > 0


@pytest.mark.slow
def test_changing_the_budget_changes_the_plan() -> None:
    at = run_plan(start())
    before = metrics(at)
    at.text_input(key=field(at, "budget")).set_value("500,000")
    after = metrics(run_plan(at))
    assert after["Expected GMV"] != before["Expected GMV"]
    spend = orders_table(at)["budget"].sum()
    assert 499_500 < spend <= 500_000
    assert after["Spend"] == f"¥{spend / 1000:,.1f}k"  # English money: thousands of yuan


@pytest.mark.slow
def test_the_closed_loop_sample_plans_with_closed_loop_tools() -> None:
    at = start()
    at.selectbox(key="inputs.sample_campaign").set_value("campaign_closed_loop.toml").run()
    assert at.radio(key=field(at, "floor_mode")).value == "break_even"
    at = run_plan(at)
    assert "Douyin closed loop" in at.main.header[0].value
    tools = set(orders_table(at)["tool"])
    assert tools and not tools & {"Dou+", "AD feed 信息流", "UD"}


@pytest.mark.slow
def test_the_videos_page_scores_with_the_campaign_last_planned() -> None:
    at = start()
    at.number_input(key=field(at, "roi_floor")).set_value(2.0)
    run_plan(at)
    at.switch_page("app_pages/videos_page.py").run()
    assert "ROI floor 2.00" in shown(at.caption[0].value)
    assert "campaign form" in shown(at.caption[0].value)
    at.switch_page("app_pages/plan_page.py").run()
    # Back on the Plan page the form shows the floor the plan was made with.
    assert at.number_input(key=field(at, "roi_floor")).value == 2.0


# ------------------------------------------------------------------ errors


def test_a_bad_videos_upload_is_one_line_in_the_sidebar_and_listed_in_full_on_the_page(
) -> None:
    lines = SAMPLE_CSV.decode("utf-8").splitlines()
    cells = lines[2].split(",")
    cells[2] = "lots"  # followers of the second video, spreadsheet row 3
    lines[2] = ",".join(cells)
    at = upload(at=start(), key="inputs.videos_file", name="my_roster.csv",
                data="\n".join(lines).encode("utf-8"))
    beside = [shown(e.value) for e in at.sidebar.error]
    assert beside == ["my_roster.csv: 1 problem(s), listed on the page."]
    errors = [shown(e.value) for e in at.main.error]
    assert len(errors) == 1
    assert "my_roster.csv** cannot be used" in errors[0]
    assert "InputError" not in errors[0]
    assert "row 3, column 'followers'" in errors[0]
    assert "Fix: Write a whole number" in errors[0]
    assert "Traceback" not in errors[0]
    assert not at.main.metric  # nothing to plan until the file is fixed


@pytest.mark.slow
def test_a_good_videos_upload_plans_with_the_sample_campaign() -> None:
    at = upload(at=start(), key="inputs.videos_file", name="roster.csv", data=SAMPLE_CSV)
    assert not at.error
    assert "roster.csv" in shown(at.sidebar.caption[-1].value)
    assert len(orders_table(run_plan(at))) > 10


@pytest.mark.slow
def test_a_roster_over_the_row_limit_gets_a_friendly_message() -> None:
    header = SAMPLE_CSV.decode("utf-8").splitlines()[0]
    row = "v{0},k,1000,10,2027-04-01,100,10,1,1" + "," * (header.count(",") - 8)
    body = "\n".join(row.format(i) for i in range(MAX_ROWS + 1))
    at = upload(at=start(), key="inputs.videos_file", name="huge.csv",
                data=f"{header}\n{body}\n".encode())
    errors = [shown(e.value) for e in at.main.error]
    assert len(errors) == 1
    assert f"huge.csv: has more than {MAX_ROWS:,} data rows" in errors[0].replace("**", "")
    assert "Fix: Split the file" in errors[0]


def test_a_broken_campaign_file_names_the_file_and_line() -> None:
    at = start()
    at.radio(key="inputs.source").set_value("upload").run()
    at.file_uploader(key="inputs.videos_file").set_value(
        ("videos.csv", SAMPLE_CSV, "text/csv"))
    at.file_uploader(key="inputs.campaign_file").set_value(
        ("spring.toml", b'name = "spring"\nbudget = = 5\n', "application/toml"))
    at.run()
    assert not at.exception
    assert len(at.sidebar.error) == 1
    errors = [shown(e.value) for e in at.main.error]
    assert len(errors) == 1
    assert "spring.toml" in errors[0] and "line 2" in errors[0]


def test_an_invalid_campaign_in_the_form_is_shown_under_the_form() -> None:
    at = start()
    at.date_input(key=field(at, "end")).set_value(pd.Timestamp("2027-04-01").date())
    run_plan(at)
    errors = [shown(e.value) for e in at.main.error]
    assert len(errors) == 1
    assert "campaign form" in errors[0]
    assert "end 2027-04-01 is before start 2027-04-21" in errors[0]
    assert not at.main.metric


def test_a_bad_row_in_the_big_sales_table_names_table_row_and_column() -> None:
    at = start()
    # AppTest cannot type into a data editor; its edit state is set as the browser would.
    at.session_state[field(at, "big_sales")] = {
        "edited_rows": {}, "added_rows": [{"name": "双11", "end": "2027-06-01"}],
        "deleted_rows": [],
    }
    run_plan(at)
    errors = [shown(e.value) for e in at.main.error]
    assert len(errors) == 1
    assert "Big sales table, row 2, column 'start': this cell is empty." in errors[0].replace(
        "**", "")


def test_a_commitment_on_a_missing_video_is_an_error_not_a_traceback() -> None:
    at = start()
    # The sample campaign books v0012; a roster without it cannot keep that order.
    lines = [ln for ln in SAMPLE_CSV.decode("utf-8").splitlines() if not ln.startswith("v0012,")]
    upload(at, key="inputs.videos_file", name="no_v0012.csv",
           data="\n".join(lines).encode("utf-8"))
    run_plan(at)
    errors = [shown(e.value) for e in at.main.error]
    assert len(errors) == 1
    assert "'v0012', which is not in the videos file" in errors[0]
    assert "Traceback" not in errors[0]


# ------------------------------------------------------------------ recording the plan


@pytest.mark.slow
@pytest.mark.usefixtures("app_stores")
def test_the_plan_page_records_the_plan_in_the_history_store(tmp_path: Path) -> None:
    import sqlite3

    store = tmp_path / "history.sqlite"
    at = run_plan(start())
    at.text_input(key="plan_page.store_path").set_value(str(store)).run()
    at.button(key="plan_page.record_button").click().run()
    assert not at.exception and not at.main.error
    assert any("Recorded the plan for 2027-04-20" in shown(s.value) for s in at.success)
    db = sqlite3.connect(store)
    try:
        plans = db.execute("SELECT plan_date FROM plans").fetchall()
        booked = db.execute("SELECT COUNT(*) FROM orders WHERE tool = 'content_service'")
        assert plans == [("2027-04-20",)] and booked.fetchone()[0] > 0
    finally:
        db.close()


def test_a_plan_that_breaks_a_rule_is_an_error_naming_it_and_not_offered_for_download(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import streamlit as st

    from planner.planning import Planner
    from planner.tools import Tool

    plan = Planner.plan

    def standard_dou_plus_too_early(self: Planner, *args: object, **kwargs: object) -> object:
        made = plan(self, *args, **kwargs)  # type: ignore[arg-type]
        day = date(2027, 4, 21)  # v0035 published 04-19, no burst: Dou+ waits until 04-22
        early = made.orders[0].model_copy(update={
            "video_id": "v0035", "tool": Tool.DOU_PLUS, "start_date": day, "end_date": day,
            "booking_date": date(2027, 4, 20), "budget": 1_000.0, "mode": None,
            "fixed": False})
        return made.model_copy(update={"orders": [*made.orders, early]})

    st.cache_data.clear()  # the sample's plan made by another test is not this one
    monkeypatch.setattr(Planner, "plan", standard_dou_plus_too_early)
    at = run_plan(start())
    st.cache_data.clear()
    errors = [shown(e.value) for e in at.main.error]
    assert len(errors) == 1
    assert errors[0].startswith("**the planner made a plan that breaks")  # no class name on screen
    assert "- dou_plus_before_standard_start: v0035 Dou+ 2027-04-21..2027-04-21" in errors[0]
    assert "nothing was written" in errors[0]
    assert not at.get("download_button")
    assert not at.main.metric


@pytest.mark.slow
def test_a_campaign_warning_shows_on_the_plan_page_as_the_cli_prints_it() -> None:
    campaign = (ROOT / "sample_data" / "campaign_tmall.toml").read_text("utf-8").replace(
        'end = 2027-06-18           # the 618 peak', 'end = 2027-06-25           # past the end')
    at = start()
    at.radio(key="inputs.source").set_value("upload").run()
    at.file_uploader(key="inputs.videos_file").set_value(("videos.csv", SAMPLE_CSV, "text/csv"))
    at.file_uploader(key="inputs.campaign_file").set_value(
        ("late_sale.toml", campaign.encode("utf-8"), "application/toml"))
    run_plan(at.run())
    warnings = [shown(w.value) for w in at.main.warning]
    assert any("big sale '618' (2027-05-31..2027-06-25) runs partly outside the campaign "
               "(2027-04-21..2027-06-20)" in w for w in warnings), warnings
    assert metrics(at)  # the plan itself is made


@pytest.mark.slow
def test_the_apps_workbook_has_the_tracking_links_sheet_as_the_clis_does(tmp_path: Path) -> None:
    import io

    import openpyxl
    from typer.testing import CliRunner

    from planner.cli import app

    at = run_plan(start())
    bundle = at.session_state["plan_page.result"][1]
    book = openpyxl.load_workbook(io.BytesIO(bundle.xlsx), read_only=True)
    assert "Links" in book.sheetnames
    shown = list(book["Links"].values)
    sample = Path(__file__).resolve().parent.parent / "sample_data"
    result = CliRunner().invoke(app, [
        "plan", "--campaign", str(sample / "campaign_tmall.toml"),
        "--videos", str(sample / "videos.csv"), "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    links = pd.read_csv(tmp_path / "links.csv", dtype=str)
    assert len(shown) - 1 == len(links) > 0  # a header, then one row per link
    cli = openpyxl.load_workbook(tmp_path / "plan.xlsx", read_only=True)
    assert list(cli["Links"].values) == shown  # the same links, the same UTM tags


def test_the_apps_plan_and_workbook_equal_the_clis_on_the_sample(tmp_path: Path) -> None:
    import io
    import json

    import openpyxl
    from typer.testing import CliRunner

    from planner.cli import app

    at = run_plan(start())
    bundle = at.session_state["plan_page.result"][1]
    sample = Path(__file__).resolve().parent.parent / "sample_data"
    result = CliRunner().invoke(app, [
        "plan", "--campaign", str(sample / "campaign_tmall.toml"),
        "--videos", str(sample / "videos.csv"), "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    # The same job plans both: the next 10,000 yuan and the other risk attitudes included.
    assert bundle.plan.marginal and bundle.plan.risk is not None and bundle.plan.risk.attitudes
    app_book = openpyxl.load_workbook(io.BytesIO(bundle.xlsx), read_only=True)
    cli_book = openpyxl.load_workbook(tmp_path / "plan.xlsx", read_only=True)
    assert app_book.sheetnames == cli_book.sheetnames

    def values(book: openpyxl.Workbook, name: str) -> list[tuple[object, ...]]:
        # How long the solver took differs from run to run; every other cell must not.
        return [row for row in book[name].values if row[:1] != (t("summary.solve_seconds"),)]

    for name in cli_book.sheetnames:
        assert values(app_book, name) == values(cli_book, name), name
    app_json = json.loads(bundle.json_text)
    cli_json = json.loads((tmp_path / "plan.json").read_text("utf-8"))
    assert set(app_json) == set(cli_json)
    assert app_json["orders"] == cli_json["orders"] and app_json["daily"] == cli_json["daily"]
