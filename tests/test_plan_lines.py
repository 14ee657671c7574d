"""The planner's own sentences (what binds, the assumptions, the ROI floor's source) in
the buyer's language: Chinese by default, English with --lang en, and the same plan
said again in either language from the codes and figures plan.json keeps."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from factories import make_campaign
from planner.cli import app
from planner.i18n import line_text, use_lang
from planner.models import Line, Plan

SAMPLE = Path(__file__).parent.parent / "sample_data"
runner = CliRunner()

# The bundled Tmall campaign: budget 3,000,000 yuan, daily cap 100,000, ROI floor 1.2,
# reference CPM 40, segments 30% / 30% / 40% at 100% / 80% / 55% ROI, paid reach at most
# 100x natural plays, seeding share 50%-100%, sale multipliers 2.5 / 2 / 0.05.
ZH_ASSUMPTIONS = [
    "ROI底线 1.2，由活动设定",
    "流量ROI = GPM / CPM，参考CPM 40 元；在有实际数据之前，假设付费曝光的转化与自然播放相同。",
    "收益递减：每天的可投量分段，30% 按 100% 的ROI，30% 按 80% 的ROI，40% 按 55% 的ROI。",
    "触达按层级每 4-25 天减半（KOC最快）。",
    "大促：转化 ×2.5，达人竞价CPM ×2，DOU+可投量 ×0.05；已锁定的内容服务保持原价。",
    "每条视频的付费触达不超过自然播放的 100 倍。",
    "种草占比（达人费用 + 种草工具）在 50% 到 95% 之间。",
]
EN_ASSUMPTIONS = [
    "ROI floor 1.2 set by the campaign",
    "Traffic ROI = GPM / CPM with reference CPM 40 yuan; paid impressions are assumed to "
    "convert like natural plays until actuals say otherwise.",
    "Diminishing returns: each day's capacity in segments 30% at 100% ROI, 30% at 80% ROI, "
    "40% at 55% ROI.",
    "Reach halves every 4-25 days by tier (KOC fastest).",
    "Big sales: conversion x2.5, auction CPM x2, Dou+ capacity x0.05; locked-in content "
    "service keeps its normal price.",
    "Paid reach per video capped at 100x natural plays.",
    "Seeding share (KOL fees + Influence tools) between 50% and 95%.",
]


def _run(out: Path, *extra: str) -> tuple[str, Plan]:
    result = runner.invoke(app, [
        "plan", "--campaign", str(SAMPLE / "campaign_tmall.toml"),
        "--videos", str(SAMPLE / "videos.csv"), "--out", str(out), *extra])
    assert result.exit_code == 0, result.output
    plan = Plan.model_validate(json.loads((out / "plan.json").read_text("utf-8")))
    return result.output, plan


@pytest.fixture(scope="module")
def zh_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Plan, Path]:
    out = tmp_path_factory.mktemp("zh")
    output, plan = _run(out)
    return output, plan, out


@pytest.fixture(scope="module")
def en_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Plan]:
    return _run(tmp_path_factory.mktemp("en"), "--lang", "en")


def _figures(plan: Plan, code: str) -> dict[str, object]:
    found = [line for line in plan.binding_lines if line.code == code]
    assert len(found) == 1, plan.binding_lines
    return dict(found[0].params or {})


@pytest.mark.slow
def test_the_sample_plan_says_what_binds_in_chinese_by_default(zh_run) -> None:
    output, plan, _ = zh_run
    assert plan.binding[0] == "预算 3,000,000 元已全部分配。"
    cap = _figures(plan, "daily_cap")
    assert cap["cap"] == 100_000 and isinstance(cap["days"], int) and cap["days"] >= 1
    assert (f"每日上限 100,000 元有 {cap['days']} 天用满，第一天是 {cap['first']}。"
            in plan.binding)
    if any(line.code == "rounding" for line in plan.binding_lines):
        left = _figures(plan, "rounding")["unspent"]
        assert left == round(plan.unspent)
        assert f"{left} 元未分配：订单金额按整元和各工具的下单步长向下取整。" in plan.binding
    assert len(plan.binding) == len(plan.binding_lines)
    assert not any("yuan" in line or "The " in line for line in plan.binding)
    # The terminal says the same, under one heading, and says each limit once (the next
    # 10,000 yuan's line does not repeat them).
    assert "当前的限制：\n  - 预算 3,000,000 元已全部分配。\n" in output
    assert all(output.count(line) == 1 for line in plan.binding), output
    assert "The budget" not in output and "daily cap" not in output


@pytest.mark.slow
def test_the_sample_plan_states_its_assumptions_in_chinese(zh_run) -> None:
    _, plan, _ = zh_run
    assert plan.assumptions == ZH_ASSUMPTIONS
    assert plan.roi_floor_source == "ROI底线 1.2，由活动设定"
    assert plan.roi_floor_line == Line(code="roi_floor_set", params={"floor": 1.2})
    assert [line.code for line in plan.assumption_lines] == [
        "roi_floor_set", "traffic_roi", "diminishing", "freshness", "big_sale", "reach_cap",
        "seeding_share"]


@pytest.mark.slow
def test_the_summary_sheet_is_in_chinese(zh_run) -> None:
    out = zh_run[2]
    book = load_workbook(out / "plan.xlsx", read_only=True)
    try:
        cells = {c for row in book["汇总"].iter_rows(values_only=True) for c in row if c}
    finally:
        book.close()
    assert "预算 3,000,000 元已全部分配。" in cells
    assert set(ZH_ASSUMPTIONS) <= cells
    assert not any(isinstance(c, str) and "fully allocated" in c for c in cells)


@pytest.mark.slow
def test_lang_en_says_the_same_plan_in_english(en_run, zh_run) -> None:
    output, plan = en_run
    assert plan.binding[0] == "The budget of 3,000,000 yuan is fully allocated."
    cap = _figures(plan, "daily_cap")
    assert (f"The daily cap of 100,000 yuan is reached on {cap['days']} day(s), first "
            f"{cap['first']}." in plan.binding)
    assert plan.assumptions == EN_ASSUMPTIONS
    assert plan.roi_floor_source == "ROI floor 1.2 set by the campaign"
    assert "What limits the plan:\n  - The budget of 3,000,000 yuan is fully allocated.\n" in output
    # Codes and figures do not depend on the language.
    assert plan.assumption_lines == zh_run[1].assumption_lines


@pytest.mark.slow
def test_a_stored_plan_is_said_again_in_the_current_language(zh_run, en_run) -> None:
    zh_plan, en_plan = zh_run[1], en_run[1]
    with use_lang("en"):
        assert zh_plan.binding_text() == [line_text(x) for x in zh_plan.binding_lines]
        assert zh_plan.assumptions_text() == EN_ASSUMPTIONS
        assert zh_plan.roi_floor_text() == "ROI floor 1.2 set by the campaign"
    with use_lang("zh"):
        assert en_plan.assumptions_text() == ZH_ASSUMPTIONS
        assert en_plan.binding_text()[0] == "预算 3,000,000 元已全部分配。"


@pytest.mark.slow
def test_a_plan_recorded_without_lines_keeps_its_words(zh_run) -> None:
    old = zh_run[1].model_copy(update={"binding_lines": [], "assumption_lines": [],
                                       "roi_floor_line": None})
    with use_lang("en"):
        assert old.binding_text() == old.binding
        assert old.assumptions_text() == old.assumptions
        assert old.roi_floor_text() == old.roi_floor_source


@pytest.mark.parametrize(("line", "zh", "en"), [
    (("budget_full", {"form": "topups", "budget": 3_000_000, "topups": 20_000}),
     "预算 3,000,000 元已全部分配（其中 20,000 元用于ROI高峰的DOU+追投）。",
     "The budget of 3,000,000 yuan is fully allocated (20,000 of it to Dou+ top-ups on ROI "
     "peaks)."),
    (("tool_cap", {"tool": "kol_bidding", "cap": 500_000}),
     "已到上限：达人竞价的预算上限 500,000 元。",
     "Limit reached: the KOL bidding cap of 500,000 yuan."),
    (("seeding_max", {"share": 0.8}), "已到上限：种草占比不高于 80%。",
     "Limit reached: the balance bound: seeding at most 80%."),
    (("below_min_order", {"unspent": 50, "tool": "dou_plus", "min": 100}),
     "剩余 50 元少于任何可投项目的最小订单（DOU+最低 100 元），不再投放。",
     "50 yuan left is less than the smallest order any allowed purchase takes (Dou+ minimum "
     "100 yuan): it stays unspent."),
    (("roi_floor_default", {}), "ROI底线 1.0（默认：未设底线、毛利率或退货率）",
     "ROI floor 1.0 (default: no floor, margin or return rate given)"),
    (("solver_fallback", {"failures": "highs (RuntimeError: x)", "solver": "cbc"}),
     "求解器：highs (RuntimeError: x) 出错；本计划改用 cbc 求解。",
     "Solver highs (RuntimeError: x) failed; the plan was solved with cbc instead."),
])
def test_worked_lines_in_both_languages(line, zh: str, en: str) -> None:
    with use_lang("zh"):
        assert line_text(line) == zh
    with use_lang("en"):
        assert line_text(line) == en


def test_the_break_even_floor_is_told_with_its_margin_and_returns() -> None:
    campaign = make_campaign(roi_floor=None, gross_margin=0.5, return_rate=0.2)
    with use_lang("en"):
        assert campaign.roi_floor_source == (
            "break-even ROI 2.50 = 1 / (margin 0.5 x (1 - returns 0.2))")
    assert campaign.roi_floor_source == "保本ROI 2.50 = 1 / (毛利率 0.5 × (1 - 退货率 0.2))"
