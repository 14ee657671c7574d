"""Reason sentences carry their figures in Chinese: code + params -> the catalogue's template.

Every rule records the figures of its English sentence as ``Reason.params``;
``reason_text`` fills ``reason.<code>`` (or ``reason.<code>.<form>``) with them.
The English template must give back the rule's own sentence, which proves the
params are complete and named as the templates expect.
"""

from __future__ import annotations

import json
import re
import string
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest

from factories import make_campaign, make_video
from planner.config import BigSale
from planner.i18n import has, reason_text, t, use_lang
from planner.io.campaign_file import read_campaign
from planner.io.plan_files import plan_to_json
from planner.io.roster import read_videos
from planner.jobs.replan import run_replan
from planner.models import Plan, Reason
from planner.planning import make_plan, score_roster
from planner.reasons import REASON_CODES
from planner.rules import content_service_rule, dou_plus_mode, lock_in_rule
from planner.scoring import score_video
from planner.simulate import make_world, simulate_day
from planner.synthetic import generate_roster

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_data"
CJK = re.compile(r"[\u4e00-\u9fff]")
# Params that hold a code, which the Chinese sentence says in words (the English one
# in its own spelling: "super-head", "KOC"), so the English round trip skips them.
WORDED = {"tool", "tier", "source", "basis", "kind"}
# Codes whose sentence has no figure to carry (what they mean is the whole sentence).
NO_FIGURES = {
    "cs_ad_review", "cs_excludes_dou_plus", "dou_plus_sale_no_capacity", "kol_bidding_ok",
    "kol_bidding_not_authorized", "kol_bidding_ad_review", "kol_bidding_low_weight",
    "tool_not_in_chain",  # documented; no rule emits it now (the chain's tools are planned)
}
# Codes whose figures come only in forms (reason.<code>.<form>); the plain reason.<code>
# stays the meaning for the shape without figures.
FORMS_ONLY = {"cs_cancelled", "targeted_roi_declining"}


def _key(r: Reason) -> str:
    form = (r.params or {}).get("form")
    return f"reason.{r.code}.{form}" if form else f"reason.{r.code}"


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def reasons_of(plan: Plan) -> Iterator[Reason]:
    for order in plan.orders:
        yield from order.reasons
    for video in plan.videos:
        yield from video.reasons
    for change in plan.changes:
        yield change.reason
    for topup in plan.topups:
        yield topup.reason


@pytest.fixture(scope="module")
def sample_plan() -> Plan:
    campaign = read_campaign(SAMPLE / "campaign_tmall.toml")
    videos, _ = read_videos(SAMPLE / "videos.csv", plan_date=campaign.effective_plan_date)
    return make_plan(videos, campaign)


@pytest.fixture(scope="module")
def sample_reasons(sample_plan: Plan, tmp_path_factory: pytest.TempPathFactory) -> list[Reason]:
    """Reasons of the sample plan and roster, and of a five-day simulated re-plan replay."""
    campaign = read_campaign(SAMPLE / "campaign_tmall.toml")
    videos, _ = read_videos(SAMPLE / "videos.csv", plan_date=campaign.effective_plan_date)
    found = list(reasons_of(sample_plan))
    found += [r for score in score_roster(videos, campaign) for r in score.reasons]

    root = tmp_path_factory.mktemp("figures")
    start = date(2027, 4, 21)
    (root / "campaign.toml").write_text(
        f'name = "figures"\nchain = "tmall"\nstart = {start}\n'
        f"end = {start + timedelta(days=9)}\nplan_date = {start}\nbudget = 150000\n"
        "roi_floor = 1.2\n", encoding="utf-8")
    roster = generate_roster(30, seed=11, plan_date=start)
    pd.DataFrame([v.model_dump() for v in roster]).to_csv(root / "videos.csv", index=False)
    world = make_world(roster, seed=5)
    replay = read_campaign(root / "campaign.toml")
    yesterday = pd.DataFrame(columns=["date", "video_id", "tool", "spend", "gmv", "plays"])
    for i in range(5):
        day = start + timedelta(days=i)
        actuals = root / f"actuals_{day}.csv"
        yesterday.to_csv(actuals, index=False)
        outcome = run_replan(root / "campaign.toml", root / "videos.csv", actuals, day,
                             root / "history.sqlite", root / f"out_{day}")
        found += list(reasons_of(outcome.plan))
        yesterday = simulate_day(outcome.plan.daily, day, roster, replay, world)
    return found


def test_a_video_published_19_days_ago_says_19_and_15_in_chinese() -> None:
    campaign = make_campaign()
    video = make_video(publish_date=date(2027, 4, 1))
    _, why = dou_plus_mode(video, score_video(video, campaign), date(2027, 4, 20), campaign)
    assert why.params == {"days": 19, "limit": 15}
    assert reason_text(why) == "定向投放：视频发布已19天（超过15天）"
    with use_lang("en"):
        assert reason_text(why) == "targeted: published 19 days ago (>15)"


def test_worked_examples_of_the_content_service_and_lock_in_gates() -> None:
    campaign = make_campaign()
    quiet = make_video(followers=5_000_000, likes=10_000, comments=50)  # a head KOL, 0.5%
    verdict = content_service_rule(quiet, score_video(quiet, campaign), campaign)
    assert verdict.reason.code == "cs_comment_like_low"
    assert reason_text(verdict.reason) == "不投内容服务：评赞率 0.5% 低于 2.0%"

    sale = BigSale(name="618", start=date(2027, 5, 10), end=date(2027, 5, 12))
    video = make_video()
    booking, why = lock_in_rule(video, score_video(video, campaign), sale, campaign)
    assert booking is None and why.code == "lock_in_too_late"
    assert reason_text(why) == ("不为618锁量：大促 2027-05-10 开始，须提前30天即 2027-04-10 "
                                "前下单，而排期日期是 2027-04-20")


def test_the_sample_plan_tells_its_figures_in_chinese(sample_plan: Plan) -> None:
    said: dict[str, str] = {}
    for r in reasons_of(sample_plan):
        said.setdefault(_key(r), reason_text(r))
    assert re.fullmatch(r"流量ROI \d+\.\d\d，不低于底线 1\.20：可以加热",
                        said["reason.roi_above_floor"])
    assert re.fullmatch(r"\d+ 个日订单，每个至少 [\d,]+ 元；每天的金额见「每日明细」",
                        said["reason.min_order"])
    # The verdict on the video, then the order it books.
    assert re.fullmatch(r"为618锁量：2027-05-01 前下单（2027-05-31 前30天）；"
                        r"近期流量ROI \d\.\d\d（近3个月流量ROI）", said["reason.sale_lock_in"])
    assert said["reason.sale_lock_in.booked"] == "618锁量：2027-05-01 下单，大促期间放量"
    assert said["reason.harvest_audience_pool"].startswith(("千川", "信息流", "UD"))
    assert re.fullmatch(r"已排期未发布（\d{4}-\d\d-\d\d）：预计播放 [\d,]+（播放中位数），"
                        r"按达人近3个月流量ROI \d\.\d\d", said["reason.scheduled_from_3m_roi"])


def test_every_reason_with_figures_reads_from_its_template(sample_reasons: list[Reason]) -> None:
    with_figures = [r for r in sample_reasons if r.params]
    assert len({_key(r) for r in with_figures}) >= 25
    for r in with_figures:
        text = reason_text(r)
        assert has(_key(r)), r
        assert CJK.search(text) and "{" not in text, (r, text)
        assert text != t(f"reason_meaning.{r.code}") if has(f"reason_meaning.{r.code}") else True


def test_the_english_template_gives_back_the_rules_sentence(
    sample_reasons: list[Reason],
) -> None:
    checked = 0
    for r in sample_reasons:
        if not r.params or WORDED & set(r.params):
            continue
        with use_lang("en"):
            fields = {k: v for k, v in r.params.items() if k != "form"}
            assert t(_key(r), **fields) == r.text
        checked += 1
    assert checked > 100


def test_the_replay_covers_learning_top_ups_and_re_optimising(
    sample_reasons: list[Reason],
) -> None:
    codes = {r.code for r in sample_reasons if r.params}
    assert {"learned_roi", "reoptimised", "scheduled_from_3m_roi", "sale_lock_in",
            "harvest_audience_pool", "min_order", "cs_one_shot"} <= codes, codes
    reopt = next(r for r in sample_reasons if r.code == "reoptimised")
    assert re.fullmatch(r"(新增|取消|加量|减量|切换投放方式)：[\d,]+ → [\d,]+ 元，.+",
                        reason_text(reopt))


def test_plan_json_carries_the_figures(sample_plan: Plan) -> None:
    again = Plan.model_validate(json.loads(plan_to_json(sample_plan)))
    assert [r.params for r in reasons_of(again)] == [r.params for r in reasons_of(sample_plan)]
    raw = json.loads(plan_to_json(sample_plan))
    first = raw["orders"][0]["reasons"][0]
    assert set(first) == {"code", "text", "params"}


def test_a_reason_without_figures_says_what_its_code_means() -> None:
    """Plans recorded before reasons had figures still read in Chinese."""
    old = Reason(code="roi_above_floor", text="traffic ROI 2.10 is at or above the floor 1.20")
    assert reason_text(old) == "流量ROI高于底线，可以加热"
    assert reason_text(Reason(code="kol_bidding_ok", text="x")) == t("reason.kol_bidding_ok")
    # Figures of another shape (a missing field) fall back the same way.
    odd = Reason(code="targeted_over_15_days", text="t", params={"days": 19})
    assert reason_text(odd) == "定向投放：视频发布已超过15天"
    with use_lang("en"):
        assert reason_text(old) == old.text


def test_which_codes_carry_figures() -> None:
    """Every code has a template with figures, or is listed as having none."""
    plain = {code for code in REASON_CODES if not _fields(t(f"reason.{code}"))}
    assert plain == NO_FIGURES | FORMS_ONLY
    for code in FORMS_ONLY:
        assert any(has(f"reason.{code}.{form}") for form in ("fall", "collapse"))
    for code in REASON_CODES.keys() - plain:  # what a reason without figures falls back to
        assert has(f"reason_meaning.{code}"), code
