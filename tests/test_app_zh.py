"""The web app as a Chinese buyer meets it: Chinese by default, the right campaign, kept edits."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from app_steps import click, field
from planner.io.campaign_file import read_campaign
from planner.io.roster import read_videos
from planner.planning import make_plan
from planner.tools import CHAIN_TOOLS, Chain

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "app" / "streamlit_app.py"
SAMPLE = ROOT / "sample_data"
RUN = "plan_page.run_button"
REPLAN = "app_pages/replan_page.py"
WHATIF = "app_pages/whatif_page.py"
# One day of actuals for the sample campaign, as tests/test_app_replan.py uploads it.
ACTUALS = (b"date,video_id,tool,spend,gmv,plays\n"
           b"2027-04-21,v0012,dou_plus,1000,300,50000\n"
           b"2027-04-21,v0008,kol_bidding,2000,9000,50000\n")
CJK = re.compile(r"[\u4e00-\u9fff]")


def start() -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    assert not at.exception
    return at


def labels(at: AppTest) -> list[str]:
    """Headings, buttons, metric and input labels: the words a buyer reads first."""
    found = [e.value for e in (*at.title, *at.header, *at.subheader)]
    found += [b.label for b in at.button]
    found += [m.label for m in at.metric]
    for kind in ("number_input", "text_input", "selectbox", "date_input", "radio", "slider",
                 "multiselect", "checkbox"):
        found += [w.label for w in at.get(kind)]
    return [text for text in found if text]


def chinese_share(texts: list[str]) -> float:
    return sum(bool(CJK.search(text)) for text in texts) / len(texts)


@pytest.mark.slow
def test_the_app_speaks_chinese_by_default_before_and_after_planning() -> None:
    at = start()
    before = labels(at)
    assert len(before) > 15 and chinese_share(before) >= 0.9, before
    after = labels(click(at, RUN))
    assert len(after) > len(before) and chinese_share(after) >= 0.9, after
    assert at.title[0].value == "排期"


def test_headline_money_reads_in_wan() -> None:
    at = click(start(), RUN)
    figures = {m.label: m.value for m in at.main.metric}
    assert figures["花费"] == "300.0万"
    assert figures["预计成交额"].endswith("万")


def test_the_language_switch_turns_the_app_english_and_keeps_the_choice() -> None:
    at = start()
    at.radio(key="app.lang_choice").set_value("en").run()
    assert not at.exception
    assert at.title[0].value == "Plan"
    at.switch_page("app_pages/videos_page.py").run()
    assert at.title[0].value == "Videos"


@pytest.mark.slow
def test_switching_the_sample_campaign_resets_the_form_and_plans_that_campaign() -> None:
    at = click(start(), RUN)  # a 618 plan first, as a buyer would have
    assert at.text_input(key=field(at, "name")).value == "618 种草收割 2027"
    at.selectbox(key="inputs.sample_campaign").set_value("campaign_closed_loop.toml").run()
    closed = read_campaign(SAMPLE / "campaign_closed_loop.toml")
    assert at.text_input(key=field(at, "name")).value == closed.name
    assert at.text_input(key=field(at, "budget")).value == f"{closed.budget:,.0f}"
    assert at.date_input(key=field(at, "start")).value == closed.start
    assert at.selectbox(key=field(at, "chain")).value == Chain.CLOSED_LOOP.value
    assert not at.main.metric  # the 618 plan is gone with its campaign

    plan = click(at, RUN).session_state["plan_page.result"][1].plan
    videos, _ = read_videos(SAMPLE / "videos.csv", plan_date=closed.effective_plan_date)
    expected = make_plan(videos, closed)
    assert (plan.campaign, plan.chain, plan.budget) == (closed.name, "closed_loop", closed.budget)
    assert {o.tool for o in plan.orders} <= set(CHAIN_TOOLS[Chain.CLOSED_LOOP])
    assert plan.expected_gmv == expected.expected_gmv
    assert [(o.video_id, o.tool, o.start_date, o.budget) for o in plan.orders] == [
        (o.video_id, o.tool, o.start_date, o.budget) for o in expected.orders]


def test_form_edits_survive_a_visit_to_another_page_without_running() -> None:
    at = start()
    at.text_input(key=field(at, "budget")).set_value("123.4万").run()
    at.text_input(key=field(at, "name")).set_value("618 改版").run()
    at.switch_page("app_pages/videos_page.py").run()
    at.switch_page("app_pages/plan_page.py").run()
    assert not at.exception
    # The amount survives, shown again as the box shows amounts: with separators.
    assert at.text_input(key=field(at, "budget")).value == "1,234,000"
    assert at.text_input(key=field(at, "name")).value == "618 改版"


def test_money_boxes_show_separators_and_read_back_in_wan() -> None:
    at = start()
    box = at.text_input(key=field(at, "budget"))
    assert box.value == "3,000,000" and box.label.endswith("· 300.0万")
    at.switch_page("app_pages/whatif_page.py").run()
    assert at.text_input(key="whatif_page.curve_from").value == "750,000"
    assert at.text_input(key="whatif_page.curve_from").label.endswith("· 75.0万")


def test_a_mistyped_amount_is_said_naming_its_box() -> None:
    at = start()
    at.text_input(key=field(at, "budget")).set_value("三百万").run()
    click(at, RUN)
    errors = [e.value for e in at.main.error]
    assert len(errors) == 1 and "预算（元）" in errors[0] and "300万" in errors[0]
    assert "Error" not in errors[0]


@pytest.mark.slow
def test_per_video_charts_are_labelled_by_kol_name() -> None:
    at = click(start(), RUN)
    # Spend by day, the cumulative-GMV fan, then spend and GMV per video.
    spec = at.get("vega_lite_chart")[2].proto.spec
    assert '"field": "label"' in spec or '"field":"label"' in spec
    assert "labelOverlap" in spec  # every bar keeps its label


@pytest.mark.slow
def test_the_618_band_shows_under_the_spend_charts_bars_and_above_them() -> None:
    """The sale band is drawn first (under the bars, which keep their tool colours), strong
    enough to see, named, and the axis runs above the tallest day (the sale's bars reach
    the daily cap), so the band shows over the sale's bars instead of hiding behind them."""
    import json

    import pyarrow as pa

    at = click(start(), RUN)
    chart = at.get("vega_lite_chart")[0]
    spec = json.loads(chart.proto.spec)
    band, label, bars, cap = spec["layer"]
    assert band["mark"]["type"] == "rect" and band["mark"]["opacity"] >= 0.2
    assert band["encoding"]["x"]["field"] == "start" and band["encoding"]["x2"]["field"] == "end"
    assert label["mark"]["type"] == "text" and label["encoding"]["text"]["field"] == "sale"
    assert bars["mark"]["type"] == "bar" and "opacity" not in bars["mark"]
    top = bars["encoding"]["y"]["scale"]["domain"][1]
    frames = {data.name: pa.ipc.open_stream(data.data.data).read_pandas()
              for data in chart.proto.datasets}
    daily = frames[bars["data"]["name"]]
    tallest = daily.groupby("date")["spend_axis"].sum().max()
    assert top >= tallest * 1.15, (top, tallest)
    assert cap["mark"]["type"] == "rule"


def test_the_app_shows_no_deploy_button() -> None:
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text("utf-8"))
    assert config["client"]["toolbarMode"] == "minimal"


def test_the_page_icon_is_drawn_locally() -> None:
    """Material icons as favicons come from an external font host; an emoji does not."""
    source = APP.read_text("utf-8")
    assert 'page_icon=":material' not in source and "page_icon=" in source


def test_the_chosen_sample_campaign_survives_a_language_switch() -> None:
    at = start()
    at.selectbox(key="inputs.sample_campaign").set_value("campaign_closed_loop.toml").run()
    at.text_input(key=field(at, "budget")).set_value("777,000").run()
    at.radio(key="app.lang_choice").set_value("en").run()
    assert not at.exception
    assert at.selectbox(key="inputs.sample_campaign").value == "campaign_closed_loop.toml"
    assert at.text_input(key=field(at, "budget")).value == "777,000"


def replan_run(at: AppTest, store: Path) -> AppTest:
    """Upload the day of actuals, point the store into tmp_path and press the dry run."""
    at.switch_page(REPLAN).run()
    assert not at.exception
    at.file_uploader(key="replan_page.actuals_file").set_value(
        ("actuals_0421.csv", ACTUALS, "text/csv")).run()
    at.text_input(key="replan_page.store_path").set_value(str(store)).run()
    assert not at.exception
    return at


@pytest.mark.slow
@pytest.mark.usefixtures("app_stores")
def test_the_replan_page_speaks_chinese_before_and_after_a_dry_run(tmp_path: Path) -> None:
    at = replan_run(start(), tmp_path / "history.sqlite")
    assert at.title[0].value == "重新排期"
    before = labels(at)
    assert len(before) > 8 and chinese_share(before) >= 0.9, before
    assert "2027-04-21 共 2 行：花费 ¥3,000，成交额 ¥9,300" in " ".join(
        c.value for c in at.main.caption)
    at = click(at, "replan_page.preview_button")
    assert not at.main.error
    after = labels(at)
    assert len(after) > len(before) + 10 and chinese_share(after) >= 0.9, after
    figures = {m.label: m.value for m in at.main.metric}
    assert (figures["新增"], figures["更正"], figures["未变"]) == ("2", "0", "0")
    assert figures["花费"].endswith("万")
    assert any("没有记录任何数据" in i.value for i in at.info)
    learned = next(d.value for d in at.dataframe if "learned_roi" in d.value.columns)
    assert set(learned["tool"]) <= {"DOU+", "达人竞价"}  # tools by the buyer's name


@pytest.mark.slow
def test_the_whatif_page_speaks_chinese_before_and_after_its_answers() -> None:
    at = start()
    at.switch_page(WHATIF).run()
    assert not at.exception and at.title[0].value == "预算推演"
    before = labels(at)
    assert len(before) > 8 and chinese_share(before) >= 0.9, before
    at.text_input(key="whatif_page.curve_from").set_value("300万")
    at.text_input(key="whatif_page.curve_to").set_value("600万")
    at.number_input(key="whatif_page.curve_points").set_value(2)
    click(at, "whatif_page.curve_button")
    assert at.dataframe[0].value["status"].isin(["最优", "可行"]).all()  # shown in words
    at.text_input(key="whatif_page.target_gmv").set_value("1,450万")
    at.selectbox(key="whatif_page.target_precision").set_value(100_000.0)
    click(at, "whatif_page.target_button")
    click(at, "whatif_page.step_button")
    assert not at.main.error
    after = labels(at)
    assert len(after) > len(before) and chinese_share(after) >= 0.9, after
    assert {"预算", "预计成交额", "花费", "预计ROI"} <= {m.label for m in at.main.metric}
    assert any("可达到成交额 14,500,000" in s.value for s in at.success)
    texts = [m.value for m in at.markdown]
    assert any(text.startswith("**在 ¥3,000,000 之上再加 ¥10,000**") for text in texts), texts
    # What binds is Chinese too, said once: in the list under the next step's lines (the
    # curve lists each of its budgets' limits under its table, on a line per budget).
    assert any("- 预算 3,000,000 元已全部分配。" in text for text in texts), texts
    curve = [text for text in texts if text.startswith("**限制继续花费的条件**")]
    assert len(curve) == 1 and curve[0].count("\n- ") == 2, curve  # 300万 and 600万
    assert "。." not in curve[0] and "。 ." not in curve[0]
    assert sum(text.count("预算 3,000,000 元已全部分配") for text in texts
               if text not in curve) == 1, texts
    assert not any("fully allocated" in text or "daily cap" in text for text in texts), texts


@pytest.mark.slow
def test_the_plan_page_says_what_binds_and_its_assumptions_in_chinese() -> None:
    at = click(start(), RUN)
    texts = [m.value for m in at.markdown]
    assert any("- 预算 3,000,000 元已全部分配。" in text for text in texts), texts
    assert any("- 流量ROI = GPM / CPM，参考CPM 40 元" in text for text in texts), texts
    assert not any("fully allocated" in text or "Traffic ROI" in text for text in texts)
    assert any("ROI底线" in c.value and "由活动设定" in c.value for c in at.caption)
    at.number_input(key=field(at, "roi_floor")).set_value(2.0)
    click(at, RUN)
    at.switch_page("app_pages/videos_page.py").run()
    assert "活动表单" in at.caption[0].value and "campaign form" not in at.caption[0].value


@pytest.mark.slow
@pytest.mark.usefixtures("app_stores")
def test_the_language_switch_turns_replan_and_whatif_english(tmp_path: Path) -> None:
    at = start()
    at.radio(key="app.lang_choice").set_value("en").run()
    at = click(replan_run(at, tmp_path / "history.sqlite"), "replan_page.preview_button")
    assert at.title[0].value == "Re-plan"
    shown = labels(at)
    assert chinese_share(shown) <= 0.1, shown
    assert {"Added", "Restated", "Unchanged", "Spend"} <= {m.label for m in at.main.metric}
    at.switch_page(WHATIF).run()
    assert not at.exception and at.title[0].value == "What-if"
    shown = labels(at)
    assert chinese_share(shown) <= 0.1, shown


def test_a_bad_videos_upload_is_explained_in_chinese() -> None:
    """The app shows a reader's problem in the catalogue's words, as planner plan prints it."""
    lines = (ROOT / "sample_data" / "videos.csv").read_text("utf-8").splitlines()
    cells = lines[2].split(",")
    cells[2] = "lots"  # followers of the second video, spreadsheet row 3
    lines[2] = ",".join(cells)
    at = start()
    at.radio(key="inputs.source").set_value("upload").run()
    at.file_uploader(key="inputs.videos_file").set_value(
        ("my_roster.csv", "\n".join(lines).encode("utf-8"), "text/csv")).run()
    assert not at.exception
    assert [re.sub(r"\\(.)", r"\1", e.value) for e in at.sidebar.error] == [
        "my_roster.csv：1 个问题，详见右侧页面。"]
    errors = [re.sub(r"\\(.)", r"\1", e.value) for e in at.main.error]
    assert len(errors) == 1
    assert "第 3 行，「followers」列：'lots' 不是数字。" in errors[0]
    assert "修改：请填整数，例如 25000 或 2.5w。" in errors[0]


@pytest.mark.slow
def test_each_campaign_keeps_its_own_edits_and_result_across_a_switch() -> None:
    at = start()
    at.text_input(key=field(at, "budget")).set_value("2,500,000").run()
    at = click(at, RUN)
    planned = at.session_state["plan_page.result"][1].plan
    assert planned.budget == 2_500_000
    at.selectbox(key="inputs.sample_campaign").set_value("campaign_closed_loop.toml").run()
    assert not at.main.metric
    at.selectbox(key="inputs.sample_campaign").set_value("campaign_tmall.toml").run()
    assert not at.exception
    assert at.text_input(key=field(at, "budget")).value == "2,500,000"
    assert at.session_state["plan_page.result"][1].plan == planned
    assert at.main.metric  # the 618 plan is shown again, not planned again


def test_files_uploaded_for_one_campaign_are_cleared_when_the_campaign_changes() -> None:
    at = start()
    at.switch_page(REPLAN).run()
    at.file_uploader(key="replan_page.actuals_file").set_value(
        ("actuals_0421.csv", ACTUALS, "text/csv")).run()
    assert at.file_uploader(key="replan_page.actuals_file").value
    at.selectbox(key="inputs.sample_campaign").set_value("campaign_closed_loop.toml").run()
    assert not at.exception
    assert not at.file_uploader(key="replan_page.actuals_file").value
