"""ROI as a range: beliefs that follow their evidence, scenarios, risk attitudes, share caps."""

from __future__ import annotations

import hashlib
from datetime import date
from itertools import pairwise
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from planner.config import Commitment, RiskConfig
from planner.io.campaign_file import read_campaign
from planner.io.roster import read_videos
from planner.jobs import cores, watchdog
from planner.jobs.plan import plan_with_margin
from planner.models import DailySpend, Plan, Video
from planner.optimiser import coupling, learning_loss, solve
from planner.optimiser.model import reweighed_risk
from planner.planning import (
    Planner,
    assess_roster,
    figures_of,
    gmv_fan,
    lay_out,
    make_plan,
)
from planner.response import NO_SIGNALS, Signals, build_response_model
from planner.tools import Tool
from planner.uncertainty import (
    Belief,
    draw_scenarios,
    learned_sigma,
    natural_sigma,
)
from tests.factories import make_campaign, make_video

SAMPLE = Path(__file__).parent.parent / "sample_data"


@pytest.fixture(scope="module")
def sample_plan() -> Plan:
    campaign = read_campaign(SAMPLE / "campaign_tmall.toml")
    videos, _ = read_videos(SAMPLE / "videos.csv", plan_date=campaign.effective_plan_date)
    return make_plan(videos, campaign)


def _spread(low: float, high: float) -> float:
    return high / low


# ---------------------------------------------------------------- beliefs


@given(st.floats(0, 1e7), st.floats(0, 1e7))
def test_more_natural_sales_never_widen_the_interval(gmv: float, more: float) -> None:
    cfg = RiskConfig()
    assert natural_sigma(gmv + more, cfg) <= natural_sigma(gmv, cfg) + 1e-12


@given(st.floats(0.01, 3), st.floats(0, 1e5), st.floats(0, 1e5))
def test_more_observed_orders_never_widen_a_learned_interval(before: float, orders: float,
                                                               more: float) -> None:
    assert learned_sigma(before, orders) <= before + 1e-12
    assert learned_sigma(before, orders + more) <= learned_sigma(before, orders) + 1e-12


def test_the_interval_narrows_with_the_orders_behind_a_live_video() -> None:
    cfg = RiskConfig()
    # 150 yuan an order: 20,000 yuan is about 133 orders, 300 yuan two.
    assert natural_sigma(20_000, cfg) < natural_sigma(300, cfg)
    assert natural_sigma(1e9, cfg) == pytest.approx(cfg.natural_transfer_sigma, abs=1e-3)


@pytest.mark.slow
def test_every_sample_video_names_what_its_roi_rests_on(sample_plan: Plan) -> None:
    assert all(v.roi_source is not None for v in sample_plan.videos)
    assert all(v.roi_p10 is not None and v.roi_p90 is not None for v in sample_plan.videos)
    live = {v.roi_source for v in sample_plan.videos if v.status == "live"}
    assert live == {"natural"}


def test_a_tier_prior_post_has_a_wider_interval_than_the_median_live_video(
        sample_plan: Plan) -> None:
    def spread(v: Any) -> float:
        return _spread(v.roi_p10, v.roi_p90)

    prior = [v for v in sample_plan.videos if v.roi_source == "tier_prior"]
    live = sorted(spread(v) for v in sample_plan.videos if v.roi_source == "natural")
    assert prior, "the sample has a scheduled post planned on its tier's prior (v0044)"
    assert all(spread(v) > live[len(live) // 2] for v in prior)


def test_the_sample_plan_range_brackets_its_expected_gmv(sample_plan: Plan) -> None:
    r = sample_plan.gmv_range
    assert r["p10"] < sample_plan.expected_gmv < r["p90"]
    assert r["p10"] < r["p50"] < r["p90"]
    assert sample_plan.risk is not None and sample_plan.risk.objective == "balanced"
    assert sample_plan.risk.tail_gmv < r["p10"]


def test_every_new_order_carries_its_gmv_range_and_its_estimate(sample_plan: Plan) -> None:
    for o in sample_plan.orders:
        assert o.gmv_p10 is not None and o.gmv_p90 is not None
        assert o.gmv_p10 <= o.expected_gmv <= o.gmv_p90
        if not o.fixed:
            estimate = [r for r in o.reasons if r.code == "roi_estimate"]
            assert estimate and estimate[0].params is not None
            assert estimate[0].params["basis"] in {"natural", "kol_history", "tier_prior",
                                                   "learned"}


# ---------------------------------------------------------------- scenarios


def _beliefs() -> list[Belief]:
    return [Belief("a", "k1", "natural", 0.3), Belief("b", "k1", "tier_prior", 0.9),
            Belief("c", "k2", "kol_history", 0.6)]


def test_scenarios_average_to_the_point_estimate() -> None:
    scenarios = draw_scenarios(_beliefs(), RiskConfig())
    assert scenarios.multipliers.mean(axis=0) == pytest.approx([1.0, 1.0, 1.0])
    assert (scenarios.multipliers > 0).all()


def test_scenarios_are_reproducible_and_stable_when_the_roster_grows() -> None:
    cfg = RiskConfig()
    first = draw_scenarios(_beliefs(), cfg)
    again = draw_scenarios(_beliefs(), cfg)
    grown = draw_scenarios([*_beliefs(), Belief("d", "k3", "natural", 0.4)], cfg)
    assert np.array_equal(first.multipliers, again.multipliers)
    assert np.allclose(grown.multipliers[:, :3], first.multipliers)


def test_the_scenario_draw_keeps_its_figures_to_the_last_bit() -> None:
    # 300 videos over three of the draw's chunks of keys: the figures every plan's ranges
    # and risk rows were made with, bit for bit (a faster draw must draw the same).
    beliefs = [Belief(f"v{i:03d}", f"k{i % 7}", "natural", 0.2 + (i % 10) / 10)
               for i in range(300)]
    scenarios = draw_scenarios(beliefs, RiskConfig())
    assert scenarios.multipliers.shape == (500, 300)
    assert scenarios.multipliers[0, 0] == 1.2819612957159847
    assert scenarios.multipliers[123, 200] == 0.7887002825894035
    assert scenarios.multipliers[499, 299] == 0.13157640353376654
    assert scenarios.optimised[99, 130] == 0.9003257865636161
    assert hashlib.sha256(scenarios.multipliers.tobytes()).hexdigest()[:16] == "3ad785f42d595d5a"
    assert hashlib.sha256(scenarios.optimised.tobytes()).hexdigest()[:16] == "65fcc83d106bd191"


@pytest.mark.parametrize(("videos", "multipliers", "optimised"), [
    (1, "b94c244da4a37373", "abc7e9f86d85629c"),
    (2, "017316a29472e0af", "9b193b67fcd337b1"),
    (129, "599c06c0f1e42b4b", "957ed4c1695e7d0a"),
])
def test_a_roster_of_any_width_keeps_its_scenario_figures_to_the_last_bit(
        videos: int, multipliers: str, optimised: str) -> None:
    # Each column's mean is summed down the column whatever the roster's width (one video,
    # two, one past a block of keys): the figures pinned before the draw went by blocks.
    beliefs = [Belief(f"v{i:03d}", f"k{i % 7}", "natural", 0.2 + (i % 10) / 10)
               for i in range(videos)]
    scenarios = draw_scenarios(beliefs, RiskConfig())
    assert hashlib.sha256(scenarios.multipliers.tobytes()).hexdigest()[:16] == multipliers
    assert hashlib.sha256(scenarios.optimised.tobytes()).hexdigest()[:16] == optimised


def test_the_report_scenarios_are_drawn_only_for_the_videos_read() -> None:
    # A plan buys a few hundred of 100,000 videos: the report's 500 scenarios are drawn for
    # those, each column the figures a draw of every video gives it, to the last bit.
    beliefs = [Belief(f"v{i:03d}", f"k{i % 7}", "natural", 0.2 + (i % 10) / 10)
               for i in range(300)]
    whole = draw_scenarios(beliefs, RiskConfig()).multipliers
    scenarios = draw_scenarios(beliefs, RiskConfig())
    assert scenarios.drawn == {}
    picked = [299, 0, 130, 127, 128]
    assert np.array_equal(scenarios.report(picked), whole[:, picked])
    assert set(scenarios.drawn) == set(picked)
    assert np.array_equal(draw_scenarios(beliefs, RiskConfig()).report([200])[:, 0],
                          whole[:, 200])


def test_the_gmv_fan_leaves_gmv_without_a_belief_unmoved() -> None:
    # A daily line of a video no scenario moves (no belief) adds the same GMV to every
    # scenario's path; a believed video's GMV moves with its multipliers.
    scenarios = draw_scenarios(_beliefs(), RiskConfig())
    day = date(2027, 6, 1)
    steady = [DailySpend(date=day, video_id="x", tool=Tool.DOU_PLUS, spend=100.0,
                         expected_gmv=1000.0)]
    moved = [DailySpend(date=day, video_id="b", tool=Tool.DOU_PLUS, spend=100.0,
                        expected_gmv=1000.0)]
    response = SimpleNamespace(scenarios=scenarios)
    flat = gmv_fan(steady, response)  # type: ignore[arg-type]
    assert (flat[0].p10, flat[0].p50, flat[0].p90) == (1000.0, 1000.0, 1000.0)
    band = gmv_fan(moved, response)  # type: ignore[arg-type]
    p10, p90 = np.percentile(1000.0 * scenarios.report([1])[:, 0], [10, 90])
    assert (band[0].p10, band[0].p90) == (round(float(p10), 2), round(float(p90), 2))
    assert band[0].expected == 1000.0


def test_a_kols_videos_share_their_kols_shock() -> None:
    cfg = RiskConfig(scenarios=2000, campaign_sigma=0.0)
    beliefs = [Belief("a", "k1", "natural", 0.5), Belief("b", "k1", "natural", 0.5),
               Belief("c", "k2", "natural", 0.5)]
    logs = np.log(draw_scenarios(beliefs, cfg).multipliers)
    same_kol = np.corrcoef(logs[:, 0], logs[:, 1])[0, 1]
    other_kol = np.corrcoef(logs[:, 0], logs[:, 2])[0, 1]
    assert same_kol == pytest.approx(cfg.kol_share, abs=0.08)
    assert abs(other_kol) < 0.1


# ---------------------------------------------------------------- risk attitudes


def _scheduled(video_id: str, kol: str, roi_3m: float | None = None) -> Video:
    return make_video(video_id=video_id, kol_name=kol, followers=5_000_000,
                      median_plays=400_000, publish_date=date(2027, 4, 24),
                      natural_plays=None, natural_gmv=None, likes=None, comments=None,
                      roi_3m=roi_3m)


def _bets_roster() -> list[Video]:
    """Live videos with evidence, a post on its KOL's record and two on a tier prior."""
    live = [make_video(video_id=f"live{i}", kol_name=f"达人{i}", natural_plays=300_000,
                       natural_gmv=24_000 + 2_000 * i) for i in range(4)]
    return [*live, _scheduled("history", "有历史", roi_3m=2.4),
            _scheduled("prior1", "新达人1"), _scheduled("prior2", "新达人2")]


def _bets_campaign(objective: str, **risk: Any) -> Any:
    return make_campaign(end=date(2027, 5, 10), budget=600_000,
                         tiers={"prior_traffic_roi": {"head": 2.6, "super_head": 2.6}},
                         risk={"objective": objective, **risk})


def _prior_money(plan: Plan) -> float:
    return sum(o.budget for o in plan.orders if o.video_id.startswith("prior"))


@pytest.fixture(scope="module")
def attitudes() -> dict[str, Plan]:
    return {o: make_plan(_bets_roster(), _bets_campaign(o))
            for o in ("expected", "balanced", "cautious")}


@pytest.mark.slow
def test_the_cautious_plans_p10_is_never_below_the_expected_plans(
        attitudes: dict[str, Plan]) -> None:
    assert attitudes["cautious"].gmv_range["p10"] >= attitudes["expected"].gmv_range["p10"]
    assert attitudes["balanced"].gmv_range["p10"] >= attitudes["expected"].gmv_range["p10"]


@pytest.mark.slow
def test_the_cautious_plan_puts_less_money_on_prior_only_posts(
        attitudes: dict[str, Plan]) -> None:
    assert _prior_money(attitudes["expected"]) > 0, "the expected plan bets on the priors"
    assert _prior_money(attitudes["cautious"]) < _prior_money(attitudes["expected"])


@pytest.mark.slow
def test_the_expected_plan_has_the_most_expected_gmv(attitudes: dict[str, Plan]) -> None:
    best = attitudes["expected"].expected_gmv
    assert attitudes["balanced"].expected_gmv <= best * (1 + 1e-3)
    assert attitudes["cautious"].expected_gmv <= best * (1 + 1e-3)


@pytest.mark.slow
def test_each_plan_is_proven_within_the_gap_of_its_own_objective(
        attitudes: dict[str, Plan]) -> None:
    for plan in attitudes.values():
        assert plan.status == "optimal"
        assert plan.gap <= 1e-3


@pytest.mark.parametrize("objective", ["expected", "balanced", "cautious"])
def test_an_attitudes_figures_are_the_ones_its_laid_out_plan_shows(objective: str) -> None:
    # The other attitudes' figures are worked out without laying their plans out: to the
    # cent what the plan would show, a booked order whose GMV is known and one whose GMV
    # moves with its video included.
    campaign = _bets_campaign(objective, max_video_share=1.0).model_copy(update={
        "commitments": [
            Commitment(video_id="live0", tool=Tool.DOU_PLUS, start=date(2027, 4, 21),
                       end=date(2027, 4, 22), budget=2_000, realised_gmv=5_000),
            Commitment(video_id="history", tool=Tool.DOU_PLUS, start=date(2027, 4, 27),
                       end=date(2027, 4, 28), budget=3_000)]})
    planner = Planner(_bets_roster(), campaign)
    result = solve(planner.response, campaign)
    plan = lay_out(planner.assessments, planner.response, result, campaign, 0.0)
    figures = figures_of(planner.assessments, planner.response, result, campaign)
    assert plan.risk is not None
    assert figures.objective == objective
    assert figures.expected_gmv == plan.expected_gmv
    assert figures.gmv_p10 == plan.gmv_range["p10"]
    assert figures.tail_gmv == plan.risk.tail_gmv
    assert [o.fixed for o in plan.orders].count(True) == 2


@pytest.mark.slow
def test_the_plan_says_what_the_other_attitudes_would_give() -> None:
    planner = Planner(_bets_roster(), _bets_campaign("balanced"))
    plan = planner.with_attitudes(planner.plan())
    assert plan.risk is not None
    figures = {a.objective: a for a in plan.risk.attitudes}
    assert set(figures) == {"expected", "balanced", "cautious"}
    assert figures["balanced"].expected_gmv == plan.expected_gmv
    assert figures["expected"].expected_gmv >= figures["cautious"].expected_gmv


@pytest.mark.slow
def test_the_other_attitudes_planned_on_their_own_equal_their_own_plans_within_the_gap(
        attitudes: dict[str, Plan]) -> None:
    """The other attitudes are planned without the plan (the first from scratch, the next
    from the first's purchases), before or after any other budget: a start only changes
    how fast each answer is found."""
    planner = Planner(_bets_roster(), _bets_campaign("balanced"))
    before = planner.other_attitude_figures()
    plan = planner.plan()
    planner.plan(plan.budget + 10_000)  # the probe: the last solve is at another budget
    with_them = planner.with_attitudes(plan)
    assert with_them.risk is not None
    assert [f.objective for f in before] == ["expected", "cautious"]
    assert [f for f in with_them.risk.attitudes if f.objective != "balanced"] == before
    gap = planner.campaign.solver.relative_gap  # the search stops within it, either start
    for figures in with_them.risk.attitudes:
        own = attitudes[figures.objective]
        assert figures.expected_gmv == pytest.approx(own.expected_gmv, rel=gap)
        assert figures.gmv_p10 == pytest.approx(own.gmv_range["p10"], rel=gap)


@pytest.mark.slow
def test_the_margin_planned_side_by_side_equals_the_margin_planned_in_turn(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The other attitudes only read the scores and the model of returns: planned in a
    forked child while the plan and its next 10,000 yuan are made, they give the same
    figures as one after the other (run in a watched child, as ``planner plan`` does: one
    thread, so it may fork).
    """
    used = tmp_path / "side_by_side"
    side_by_side = watchdog.run_side_by_side

    def recording(tasks: Any) -> Any:
        used.write_text(str(len(tasks)))
        return side_by_side(tasks)

    monkeypatch.setattr(watchdog, "run_side_by_side", recording)
    monkeypatch.setattr(cores, "spare_cores", lambda **_: 1)
    roster, campaign = _bets_roster(), _bets_campaign("balanced")
    apart = watchdog.run_with_deadline(plan_with_margin, roster, campaign, "bets",
                                       side_by_side=True, deadline_s=300)
    assert used.read_text() == "2"  # the plan and its probe here, the attitudes in a child
    in_turn = plan_with_margin(roster, campaign, "bets")
    assert apart.marginal == in_turn.marginal
    assert apart.risk == in_turn.risk
    clocks = {"timings", "solve_seconds"}
    assert apart.model_dump(exclude=clocks) == in_turn.model_dump(exclude=clocks)


def test_another_attitude_weighs_the_same_risk_rows_as_its_own_coupling_would() -> None:
    """The cautious attitude planned beside a balanced plan re-weighs the plan's risk rows
    instead of writing them again: the same columns' costs and expected GMV's weight as
    its own coupling; the expected attitude (no risk rows) gets none to re-weigh."""
    planner = Planner(_bets_roster(), _bets_campaign("balanced"))
    balanced = coupling(planner.response, planner.campaign)
    for objective in ("cautious", "balanced"):
        campaign = _bets_campaign(objective)
        own = coupling(planner.response, campaign)
        reweighed = reweighed_risk(balanced, campaign)
        assert reweighed is not None
        assert reweighed.expected_weight == own.expected_weight
        assert np.array_equal(reweighed.aux_cost, own.aux_cost)
        assert reweighed.rows.names == own.rows.names
        assert not np.array_equal(own.aux_cost, balanced.aux_cost) or objective == "balanced"
    assert reweighed_risk(balanced, _bets_campaign("expected")) is None
    assert reweighed_risk(coupling(planner.response, _bets_campaign("expected")),
                          _bets_campaign("cautious")) is None


@pytest.mark.slow
def test_risk_rows_never_show_as_a_limit_of_the_buyers(attitudes: dict[str, Plan]) -> None:
    for plan in attitudes.values():
        assert not any("risk" in line.code for line in plan.binding_lines)


# ---------------------------------------------------------------- share caps


def _others(count: int) -> list[Video]:
    return [make_video(video_id=f"other{i}", kol_name=f"别人{i}", natural_plays=300_000,
                       natural_gmv=24_000) for i in range(count)]


def test_no_video_takes_more_than_its_share_of_the_budget() -> None:
    roster = [make_video(video_id="star", natural_plays=2_000_000, natural_gmv=400_000),
              *_others(3)]
    campaign = make_campaign(budget=200_000, risk={"objective": "expected",
                                                   "max_video_share": 0.3})
    plan = make_plan(roster, campaign)
    star = sum(o.budget for o in plan.orders if o.video_id == "star" and not o.fixed)
    assert star <= 0.3 * 200_000 + 1
    capped = [o for o in plan.orders if o.video_id == "star"]
    assert capped and all(any(r.code == "risk_video_share" for r in o.reasons) for o in capped)


def test_one_kols_videos_share_the_kol_cap() -> None:
    roster = [*(make_video(video_id=f"s{i}", natural_plays=2_000_000, natural_gmv=400_000)
                for i in range(3)), *_others(2)]
    campaign = make_campaign(budget=200_000, risk={"objective": "expected",
                                                   "max_video_share": 0.3,
                                                   "max_kol_share": 0.5})
    plan = make_plan(roster, campaign)
    star = sum(o.budget for o in plan.orders if o.video_id.startswith("s") and not o.fixed)
    assert star <= 0.5 * 200_000 + 1
    assert any(line.code == "kol_share" for line in plan.binding_lines)


def test_a_cap_never_strands_a_budget_with_nowhere_else_to_go() -> None:
    """A roster of one KOL (a brand's own account) may spend on that KOL: a share is never
    tighter than an equal split."""
    roster = [make_video(video_id=f"s{i}", natural_plays=2_000_000, natural_gmv=400_000)
              for i in range(3)]
    campaign = make_campaign(budget=200_000, risk={"objective": "expected",
                                                   "max_video_share": 0.3,
                                                   "max_kol_share": 0.4})
    plan = make_plan(roster, campaign)
    assert plan.unspent < 0.02 * plan.budget


def test_the_sample_plan_is_within_the_default_shares(sample_plan: Plan) -> None:
    cfg = RiskConfig()
    by_video: dict[str, float] = {}
    for o in sample_plan.orders:
        if not o.fixed:
            by_video[o.video_id] = by_video.get(o.video_id, 0.0) + o.budget
    assert max(by_video.values()) <= cfg.max_video_share * sample_plan.budget + 1


# ---------------------------------------------------------------- truthful reasons


def test_a_lock_in_on_a_tier_prior_never_calls_it_the_videos_own_roi(
        sample_plan: Plan) -> None:
    v0044 = next(v for v in sample_plan.videos if v.video_id == "v0044")
    assert v0044.roi_source == "tier_prior"
    lock_ins = [r for r in v0044.reasons if r.code == "sale_lock_in"]
    assert lock_ins and lock_ins[0].params is not None
    assert lock_ins[0].params["source"] == "tier_prior"
    assert "own" not in lock_ins[0].text



# ---------------------------------------------------------------- steady lines


def test_the_sample_plans_lines_run_steadily(sample_plan: Plan) -> None:
    """Days and lines of equal value tie; the tie-break keeps a line's days together, so
    no line is relaunched (and re-enters its learning phase) again and again."""
    days: dict[tuple[str, str], list[date]] = {}
    for d in sample_plan.daily:
        if d.spend > 0:
            days.setdefault((d.video_id, str(d.tool)), []).append(d.date)
    runs = []
    for dates in days.values():
        ordered = sorted(set(dates))
        runs.append(1 + sum((b - a).days > 1 for a, b in pairwise(ordered)))
    # Without the tie-break one UD line ran in 7 pieces, with it alone in 4 (a harvest
    # line skipped the last day of an audience-pool period the pool filled); priced
    # relaunches take the worst line to 2 (measured), the rule is 3.
    assert max(runs) <= 3
    assert sum(runs) / len(runs) <= 1.5


def _one_line(signals: Signals = NO_SIGNALS, **campaign: Any) -> tuple[Any, list[int]]:
    """A one-video response and its Dou+ line's purchases, day by day."""
    config = make_campaign(**campaign)
    response = build_response_model(assess_roster([make_video()], config), config, signals)
    line = sorted((p for p in response.purchases if p.tool is Tool.DOU_PLUS),
                  key=lambda p: p.days[0])
    return coupling(response, config), [p.index for p in line]


def test_a_relaunch_pays_the_learning_premium() -> None:
    """A new or relaunched Dou+ line pays 25% more CPM on its first 3 days: those days lose
    premium / (1 + premium) of their GMV; a day that goes on at its level pays nothing."""
    couple, line = _one_line()
    assert len(line) >= 9
    # Runs days 0-4, pauses on day 5, relaunches on days 6-8 (one thousand yuan a day).
    spend = {i: 1.0 for k, i in enumerate(line[:9]) if k != 5}
    loss = learning_loss(couple, spend)
    assert sorted(line.index(i) for i in loss) == [0, 1, 2, 6, 7, 8]
    p = couple.purchases[line[6]]
    assert loss[line[6]] == pytest.approx(0.25 / 1.25 * _gmv(p, 1.0))
    # Without the pause the line pays only its start.
    steady = learning_loss(couple, {i: 1.0 for i in line[:9]})
    assert sorted(line.index(i) for i in steady) == [0, 1, 2]
    # A raise above the recent level is new delivery: it pays on the raise only.
    raised = learning_loss(couple, {**{i: 1.0 for i in line[:4]}, line[4]: 1.5})
    p = couple.purchases[line[4]]
    assert raised[line[4]] == pytest.approx(0.2 * (_gmv(p, 1.5) - p.seg_roi[0] * 1.0))
    assert raised[line[4]] < 0.2 * _gmv(p, 1.5) / 2


def _gmv(p: Any, spend: float) -> float:
    gmv = 0.0
    for roi, width in zip(p.seg_roi, p.seg_width, strict=True):
        take = min(spend, width)
        gmv, spend = gmv + take * roi, spend - take
    return gmv


def test_a_line_that_ran_the_day_before_a_replan_goes_on_without_a_premium() -> None:
    couple, line = _one_line(Signals(running=frozenset({("v1", Tool.DOU_PLUS)})))
    assert not learning_loss(couple, {i: 1.0 for i in line[:9]})
    # Paused on its third day, it relaunches and pays again.
    paused = learning_loss(couple, {i: 1.0 for k, i in enumerate(line[:9]) if k != 2})
    assert sorted(line.index(i) for i in paused) == [3, 4, 5]


def test_a_line_without_a_premium_pays_nothing() -> None:
    couple, line = _one_line(tools={"dou_plus": {"relaunch_premium": 0.0}})
    assert not learning_loss(couple, {i: 1.0 for k, i in enumerate(line[:9]) if k != 5})


def test_the_plan_counts_the_premium_in_its_gmv_and_keeps_lines_whole() -> None:
    """The plan's GMV is its orders' GMV less the premium, the same sum the optimiser
    maximised: planned with and without the premium, the steady plan gives up no more
    than its premium, and no daily line pauses and relaunches."""
    videos = [make_video(video_id=f"v{k}", kol_name=f"k{k}", natural_gmv=15_000 + 2_000 * k)
              for k in range(4)]
    free = {tool: {"relaunch_premium": 0.0}
            for tool in ("dou_plus", "ad_feed", "uni_desk", "qianchuan")}
    config = make_campaign(budget=60_000, daily_cap=6_000)
    steady, loose = make_plan(videos, config), make_plan(videos, make_campaign(
        budget=60_000, daily_cap=6_000, tools=free))
    assert steady.expected_gmv <= loose.expected_gmv + 1e-6
    assert steady.status == "optimal"
    days: dict[tuple[str, str], list[date]] = {}
    for d in steady.daily:
        if d.spend > 0 and not d.tool == Tool.CONTENT_SERVICE:
            days.setdefault((d.video_id, str(d.tool)), []).append(d.date)
    for dates in days.values():
        ordered = sorted(set(dates))
        assert all((b - a).days == 1 for a, b in pairwise(ordered))


def test_the_sample_plan_flags_no_input_as_implausible(sample_plan: Plan) -> None:
    assert not [line for line in sample_plan.assumption_lines
                if line.code == "implausible_input"]


@pytest.mark.slow
def test_with_no_core_free_the_margin_is_planned_in_turn(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Forks on a machine whose cores are all busy would only add their own cost: the
    next 10,000 yuan and the attitudes are then planned one after the other."""
    forked = tmp_path / "forked"

    def recording(tasks: Any) -> Any:
        forked.write_text("yes")
        return [task() for task in tasks]

    monkeypatch.setattr(watchdog, "run_side_by_side", recording)
    monkeypatch.setattr(cores, "spare_cores", lambda **_: 0)
    roster, campaign = _bets_roster(), _bets_campaign("balanced")
    plan = watchdog.run_with_deadline(plan_with_margin, roster, campaign, "bets",
                                      side_by_side=True, deadline_s=300)
    assert not forked.exists()
    assert plan.risk is not None and len(plan.risk.attitudes) == 3
