"""The web app as a Chinese buyer meets it: Chinese by default, the right campaign, kept edits."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from streamlit.testing.v1 import AppTest

from app_steps import click, field
from planner.io.campaign_file import read_campaign
from planner.io.tables import read_videos
from planner.planning import make_plan
from planner.tools import CHAIN_TOOLS, Chain

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "app" / "streamlit_app.py"
SAMPLE = ROOT / "sample_data"
RUN = "plan_page.run_button"
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
                 "multiselect"):
        found += [w.label for w in at.get(kind)]
    return [text for text in found if text]


def chinese_share(texts: list[str]) -> float:
    return sum(bool(CJK.search(text)) for text in texts) / len(texts)


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


def test_switching_the_sample_campaign_resets_the_form_and_plans_that_campaign() -> None:
    at = click(start(), RUN)  # a 618 plan first, as a buyer would have
    assert at.text_input(key=field(at, "name")).value == "618 种草收割 2027"
    at.selectbox(key="inputs.sample_campaign").set_value("campaign_closed_loop.toml").run()
    closed = read_campaign(SAMPLE / "campaign_closed_loop.toml")
    assert at.text_input(key=field(at, "name")).value == closed.name
    assert at.number_input(key=field(at, "budget")).value == closed.budget
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
    at.number_input(key=field(at, "budget")).set_value(1_234_000.0).run()
    at.text_input(key=field(at, "name")).set_value("618 改版").run()
    at.switch_page("app_pages/videos_page.py").run()
    at.switch_page("app_pages/plan_page.py").run()
    assert not at.exception
    assert at.number_input(key=field(at, "budget")).value == 1_234_000
    assert at.text_input(key=field(at, "name")).value == "618 改版"


def test_per_video_charts_are_labelled_by_kol_name() -> None:
    at = click(start(), RUN)
    spec = at.get("vega_lite_chart")[1].proto.spec
    assert '"field": "label"' in spec or '"field":"label"' in spec
    assert "labelOverlap" in spec  # every bar keeps its label


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
    at.number_input(key=field(at, "budget")).set_value(777_000.0).run()
    at.radio(key="app.lang_choice").set_value("en").run()
    assert not at.exception
    assert at.selectbox(key="inputs.sample_campaign").value == "campaign_closed_loop.toml"
    assert at.number_input(key=field(at, "budget")).value == 777_000
