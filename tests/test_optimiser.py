"""Optimiser invariants, and the fast path against the plain MILP."""

import time
from collections import defaultdict
from dataclasses import replace
from datetime import date, timedelta

import numpy as np
import pytest

from factories import COLD_HARVEST_TOOLS, PLAN_DATE, make_campaign, make_video
from planner.errors import InfeasibleError
from planner.optimiser import backends, build_model, solve, strategy
from planner.optimiser import model as optimiser_model
from planner.planning import assess_roster, make_plan, rounded_spend
from planner.response import build_response_model
from planner.tools import CHAIN_TOOLS, HARVESTING_TOOLS, Tool


def roster(n: int = 12) -> list:
    videos = []
    for i in range(n):
        followers = [50_000, 300_000, 800_000, 5_000_000, 20_000_000][i % 5]
        videos.append(
            make_video(
                video_id=f"v{i}",
                followers=followers,
                median_plays=followers * 0.1,
                natural_plays=followers * 0.2,
                natural_gmv=followers * 0.2 / 1000 * 40 * (0.8 + 0.25 * i),
                publish_date=PLAN_DATE - timedelta(days=i * 2),
                kol_authorized=i % 3 != 0,
                comments=300 + 20 * i,
            )
        )
    return videos


def sale_campaign(**overrides):
    values = dict(
        end=date(2027, 6, 5), budget=400_000, daily_cap=30_000,
        big_sales=[{"name": "618", "start": date(2027, 5, 28), "end": date(2027, 6, 3)}],
        tools=COLD_HARVEST_TOOLS,
    )
    values.update(overrides)
    return make_campaign(**values)


def test_plan_never_exceeds_budget_and_respects_daily_cap():
    campaign = sale_campaign()
    plan = make_plan(roster(), campaign)
    assert plan.total_spend <= campaign.budget + 1e-6
    per_day = defaultdict(float)
    for row in plan.daily:
        per_day[row.date] += row.spend
    assert max(per_day.values()) <= campaign.daily_cap + 1.0  # rounding of shares


def test_every_order_respects_its_tool_minimum():
    campaign = sale_campaign()
    plan = make_plan(roster(), campaign)
    days_of = defaultdict(float)
    for row in plan.daily:
        days_of[(row.video_id, row.tool, row.date)] += row.spend
    for (video_id, tool, day), spend in days_of.items():
        if tool is not Tool.CONTENT_SERVICE:
            assert spend >= campaign.tools[tool].min_order - 1e-6, (video_id, tool, day)
    for order in plan.orders:
        if order.tool is Tool.CONTENT_SERVICE:
            assert order.budget >= 50_000


def test_suixintui_orders_are_multiples_of_ten():
    campaign = sale_campaign(chain="closed_loop", tools={"content_service": {"enabled": False}})
    plan = make_plan(roster(), campaign)
    spends = [r.spend for r in plan.daily if r.tool is Tool.SUIXINTUI]
    assert spends and all(round(s) % 10 == 0 for s in spends)


def test_rounding_to_order_steps_gives_the_yuan_back_without_passing_a_day_or_tool_total():
    campaign = sale_campaign(chain="closed_loop", tools={"content_service": {"enabled": False}})
    response = build_response_model(assess_roster(roster(), campaign), campaign)
    result = solve(response, campaign)
    spend = rounded_spend(response, result, campaign)
    raw: dict[tuple[date, Tool], float] = defaultdict(float)
    kept: dict[tuple[date, Tool], float] = defaultdict(float)
    for p in response.purchases:
        raw[(p.days[0], p.tool)] += result.spend.get(p.index, 0.0) * 1000
        kept[(p.days[0], p.tool)] += spend.get(p.index, 0.0)
        assert spend.get(p.index, 0.0) % campaign.tools[p.tool].order_step == 0
    assert all(kept[key] <= raw[key] + 1e-6 for key in raw)
    # What is left on a day and tool is less than one order step (not one per order),
    # except harvesting while the audience pool binds: it is only rounded down.
    pool_binds = any(name.startswith("audience_pool") for name in result.tight)
    assert all(raw[key] - kept[key] < campaign.tools[key[1]].order_step
               for key in raw if kept[key] > 0
               and not (pool_binds and key[1] in HARVESTING_TOOLS))


def test_content_service_never_on_the_same_video_and_day_as_dou_plus():
    plan = make_plan(roster(), sale_campaign(budget=2_000_000, daily_cap=None))
    cs_days = {(r.video_id, r.date) for r in plan.daily if r.tool is Tool.CONTENT_SERVICE}
    dp_days = {(r.video_id, r.date) for r in plan.daily if r.tool is Tool.DOU_PLUS}
    assert cs_days, "the instance should book some content service"
    assert not cs_days & dp_days


def test_sale_content_service_is_booked_thirty_days_ahead():
    campaign = sale_campaign(budget=2_000_000, daily_cap=None)
    plan = make_plan(roster(), campaign)
    sale_orders = [o for o in plan.orders if o.tool is Tool.CONTENT_SERVICE
                   and o.start_date <= date(2027, 6, 3) and o.end_date >= date(2027, 5, 28)]
    assert sale_orders
    for order in sale_orders:
        assert order.booking_date <= date(2027, 5, 28) - timedelta(days=30)
        assert order.booking_date >= campaign.effective_plan_date
        assert any(r.code == "sale_lock_in" for r in order.reasons)


def test_no_new_content_service_for_a_sale_less_than_thirty_days_away():
    campaign = sale_campaign(budget=2_000_000, daily_cap=None,
                             big_sales=[{"name": "双11", "start": date(2027, 5, 10),
                                         "end": date(2027, 5, 12)}])
    plan = make_plan(roster(), campaign)
    in_sale = [r for r in plan.daily if r.tool is Tool.CONTENT_SERVICE
               and date(2027, 5, 10) <= r.date <= date(2027, 5, 12)]
    assert not in_sale
    codes = {r.code for v in plan.videos for r in v.reasons}
    assert "lock_in_too_late" in codes


@pytest.mark.parametrize("chain", ["tmall", "closed_loop"])
def test_orders_only_use_the_chain_tools(chain):
    plan = make_plan(roster(), sale_campaign(chain=chain))
    assert {o.tool for o in plan.orders} <= set(CHAIN_TOOLS[chain])


def test_commitments_are_kept_exactly():
    commitment = {"video_id": "v3", "tool": "dou_plus", "start": date(2027, 4, 22),
                  "end": date(2027, 4, 24), "budget": 3_000}
    plan = make_plan(roster(), sale_campaign(commitments=[commitment]))
    fixed = [o for o in plan.orders if o.fixed]
    assert len(fixed) == 1
    assert (fixed[0].video_id, fixed[0].tool, fixed[0].budget) == ("v3", Tool.DOU_PLUS, 3_000)
    assert fixed[0].reasons[0].code == "commitment_fixed"


def test_commitments_above_budget_are_infeasible_and_named(english):
    commitment = {"video_id": "v3", "tool": "kol_bidding", "start": date(2027, 4, 22),
                  "end": date(2027, 4, 30), "budget": 150_000}
    campaign = make_campaign(budget=100_000, commitments=[commitment])
    with pytest.raises(InfeasibleError) as info:
        make_plan(roster(), campaign)
    assert info.value.exit_code == 3
    assert any("budget" in c and "50,000" in c for c in info.value.conflicts)


def test_daily_cap_below_a_commitment_is_infeasible(english):
    commitment = {"video_id": "v3", "tool": "kol_bidding", "start": date(2027, 4, 22),
                  "end": date(2027, 4, 22), "budget": 20_000}
    campaign = make_campaign(budget=100_000, daily_cap=10_000, commitments=[commitment])
    with pytest.raises(InfeasibleError) as info:
        make_plan(roster(), campaign)
    assert any("daily cap" in c for c in info.value.conflicts)


def test_small_budget_is_spent_when_capacity_exists():
    plan = make_plan(roster(), make_campaign(budget=50_000))
    assert plan.unspent < 50  # only rounding to whole yuan / order steps
    assert any(line.code == "budget_full" for line in plan.binding_lines)
    assert "预算 50,000 元已全部分配。" in plan.binding


def test_huge_budget_reports_what_is_left_and_why():
    plan = make_plan(roster(), make_campaign(budget=500_000_000))
    assert plan.unspent > 0
    assert any(line.startswith("剩余") and "再加预算也买不到高于底线的量" in line
               for line in plan.binding)


@pytest.mark.slow
def test_balance_bound_holds():
    campaign = sale_campaign(balance={"min_seeding_share": 0.9}, budget=3_000_000,
                             daily_cap=None)
    plan = make_plan(roster(), campaign)
    assert plan.seeding_share >= 0.9 - 1e-3


def test_status_and_gap_reported():
    plan = make_plan(roster(), sale_campaign())
    assert plan.status == "optimal"
    assert plan.bound_gmv >= plan.expected_gmv
    assert 0 <= plan.gap < 1e-3


@pytest.mark.slow
@pytest.mark.parametrize("budget", [30_000, 150_000, 600_000, 3_000_000])
@pytest.mark.parametrize("chain", ["tmall", "closed_loop"])
def test_fast_path_matches_the_plain_milp(chain, budget):
    # Both proven within 0.05% (not the default 0.5%), so equal objectives mean the same
    # optimum, not two answers anywhere within the default gap.
    campaign = sale_campaign(chain=chain, budget=budget, solver={"relative_gap": 5e-4})
    response = build_response_model(assess_roster(roster(8), campaign), campaign)
    fast = solve(response, campaign)
    flat = solve(response, campaign, flat=True)
    assert fast.status == flat.status == "optimal"
    assert fast.objective == pytest.approx(flat.objective, rel=2e-4)


def test_the_full_proof_is_limited_by_its_work_not_the_clock(monkeypatch):
    """A loose sifting bound (a budget near the content-service minimum) sends the plan to
    a proof over every purchase. Its branch and bound stops after FULL_PROOF_NODES nodes,
    the same on a loaded machine as on an idle one (a 2 s wall-clock budget used to cut
    it short under load and change the plan); the clock only guards against a slow root."""
    campaign = sale_campaign(chain="tmall", budget=30_000)
    response = build_response_model(assess_roster(roster(8), campaign), campaign)
    nodes = []
    real = strategy.solve_once

    def recording(model, backend, settings, time_left, **options):
        nodes.append(options.get("max_nodes"))
        return real(model, backend, settings, time_left, **options)

    monkeypatch.setattr(strategy, "solve_once", recording)
    result = solve(response, campaign)
    assert strategy.FULL_PROOF_NODES in nodes  # the proof ran, bounded by nodes
    assert result.status == "optimal"


def test_constraints_are_named_after_their_rules():
    campaign = sale_campaign()
    response = build_response_model(assess_roster(roster(6), campaign), campaign)
    model = build_model(response, campaign)
    families = set(model.family_of.values())
    assert {"budget", "daily_cap", "balance"} <= families
    assert "budget" in model.rows.names


def test_unreachable_balance_bound_is_infeasible_and_named(english):
    videos = [v.model_copy(update={"kol_fee": None}) for v in roster()]
    harvest = {"video_id": "v4", "tool": "ad_feed", "start": date(2027, 4, 22),
               "end": date(2027, 4, 23), "budget": 80_000}
    campaign = make_campaign(budget=100_000, commitments=[harvest],
                             balance={"min_seeding_share": 0.9})
    with pytest.raises(InfeasibleError) as info:
        make_plan(videos, campaign)
    assert any("balance bound" in c and "yuan" in c for c in info.value.conflicts)


@pytest.mark.slow
def test_money_left_below_every_minimum_order_is_explained():
    commitment = {"video_id": "v3", "tool": "kol_bidding", "start": date(2027, 4, 22),
                  "end": date(2027, 4, 22), "budget": 99_950}
    plan = make_plan(roster(), make_campaign(budget=100_000, commitments=[commitment]))
    assert plan.unspent == pytest.approx(50)
    assert any(line.startswith("剩余 50 元少于任何可投项目的最小订单") for line in plan.binding)


def test_a_sifting_round_carries_the_last_basis_over():
    """Columns and rows both models share keep their simplex status; new columns start
    at zero and new rows basic, so the next round goes on from the last optimum."""
    campaign = sale_campaign()
    response = build_response_model(assess_roster(roster(6), campaign), campaign)
    everything = {p.index for p in response.purchases}
    first = {p.index for p in response.purchases[: len(everything) // 2]}
    small = build_model(response, campaign, active=first, relaxed=True)
    backends._run_highs(small, campaign.solver, 10.0)
    assert small.basis is not None
    large = build_model(response, campaign, active=everything, relaxed=True)
    cols, rows = strategy._carry_basis(small, large)
    shared = {int(k): i for i, k in enumerate(small.col_key)}
    for j, key in enumerate(large.col_key.tolist()):
        expected = small.basis[0][shared[key]] if key in shared else 0  # kLower
        assert cols[j] == expected
    assert list(rows[: len(large.rows)]) == list(small.basis[1][: len(small.rows)])
    assert (cols == 1).sum() + (rows == 1).sum() == len(rows)  # a square basis


@pytest.mark.parametrize("budget", [60_000, 400_000])
def test_a_warm_start_changes_speed_not_the_plan(budget):
    campaign = sale_campaign(budget=budget)
    response = build_response_model(assess_roster(roster(), campaign), campaign)
    other = solve(response, campaign.model_copy(update={"budget": budget * 2}))
    cold = solve(response, campaign)
    warm = solve(response, campaign, warm=other)
    assert warm.status == cold.status == "optimal"
    assert warm.objective == pytest.approx(cold.objective, rel=2e-4)


def test_a_warm_start_needs_no_coefficients():
    """What a planner keeps for the next budget or attitude (``for_next_solve``) has let
    its rows' coefficients go, and starts the next solve exactly as the whole result."""
    campaign = sale_campaign(budget=400_000)
    response = build_response_model(assess_roster(roster(), campaign), campaign)
    first = solve(response, campaign)
    kept = first.for_next_solve()
    assert kept.model.released and len(kept.model.a_index) == len(kept.model.d_index) == 0
    assert kept.relaxation is not None and kept.relaxation.released
    assert len(first.model.a_index) > 0  # the result itself is left whole
    more = campaign.model_copy(update={"budget": 440_000})
    whole, slim = solve(response, more, warm=first), solve(response, more, warm=kept)
    assert slim.spend == whole.spend and slim.objective == whole.objective
    with pytest.raises(AssertionError):
        kept.model.row_activity()  # nothing to read it from: never a silent zero


def test_a_repair_drops_purchases_under_their_minimum_and_respends_the_money():
    """What a discrete round leaves under a minimum is dropped and its money re-spent by an
    LP with the choices fixed, instead of solving the whole discrete model again."""
    campaign = sale_campaign(budget=250_000)
    response = build_response_model(assess_roster(roster(), campaign), campaign)
    relaxed = build_model(response, campaign, relaxed=True)
    backends._run_highs(relaxed, campaign.solver, 10.0)
    under = strategy._violations(relaxed)
    assert under  # the relaxation buys some purchases below their minimum order
    repaired = strategy._repair(relaxed, under, campaign, "highs", time.perf_counter(), None)
    assert repaired is not None
    assert not strategy._violations(repaired)
    spent = dict(zip((p.index for p in repaired.purchases), repaired.spend(), strict=True))
    assert all(spent[i] == pytest.approx(0.0, abs=1e-9) for i in under)
    assert sum(spent.values()) <= campaign.budget / 1000 + 1e-6



def _relaxation_and_discrete(budget: float, *, lazy_under: bool, daily_cap: float = 30_000,
                             **overrides):
    campaign = sale_campaign(budget=budget, daily_cap=daily_cap, **overrides)
    response = build_response_model(assess_roster(roster(), campaign), campaign)
    relaxation = build_model(response, campaign, relaxed=True)
    backends._run_highs(relaxation, campaign.solver, 10.0)
    lazy = strategy._violations(relaxation) if lazy_under else set()
    return campaign, relaxation, lambda: build_model(response, campaign, lazy=lazy), lazy


def test_a_relaxation_that_settles_every_choice_is_the_discrete_optimum():
    """Bought at or above its minimum = on, not bought = off: when every discrete row still
    holds, the warm LP answers the discrete model without a branch and bound."""
    campaign, relaxation, discrete, _ = _relaxation_and_discrete(400_000, lazy_under=False)
    model = discrete()
    bound = strategy._settled_relaxation(model, relaxation, "highs", campaign, 10.0)
    assert bound is not None and model.x is not None
    assert set(model.x[list(model.on_col.values())].tolist()) <= {0.0, 1.0}
    assert not len(strategy._broken_discrete_rows(model, model.x))
    assert float(model.cost @ model.x) == pytest.approx(bound, rel=1e-9)
    branch_and_bound = discrete()
    backends._run_highs(branch_and_bound, campaign.solver, 10.0)
    assert branch_and_bound.x is not None
    assert float(branch_and_bound.cost @ branch_and_bound.x) == pytest.approx(bound, rel=1e-6)


def test_an_unsettled_relaxation_leaves_the_choices_to_branch_and_bound_with_a_start():
    """Purchases the LP buys under their minimum are open choices: the MIP decides them,
    starting from the settled part with the open purchases dropped."""
    campaign, relaxation, discrete, lazy = _relaxation_and_discrete(120_000, lazy_under=True,
                                                                daily_cap=5_000)
    model = discrete()
    assert lazy
    assert strategy._settled_relaxation(model, relaxation, "highs", campaign, 10.0) is None
    assert model.x is None and model.start is not None
    assert not len(strategy._broken_discrete_rows(model, model.start))
    spent = replace(model, x=model.start).spend()
    for p, s in zip(model.purchases, spent.tolist(), strict=True):
        assert s == pytest.approx(0.0, abs=1e-9) or s >= p.min_order - 1e-6


def test_a_dive_settles_the_budgets_marginal_purchase_within_the_gap_without_branching():
    """The LP buys its marginal purchases under their minimum; raised to the minimum (or
    switched off) and re-solved from the basis, the plan is the branch and bound's answer
    within the search gap of the LP bound, and is kept as proven."""
    # Without the learning premium: raising a marginal purchase to its minimum costs its
    # line a premium on the raise, and this roster's dive then lands 0.3% off the bound
    # (the branch and bound settles it); the dive itself is what is tested here.
    steady = {tool: {**COLD_HARVEST_TOOLS.get(tool, {}), "relaunch_premium": 0.0}
              for tool in ("dou_plus", "ad_feed", "uni_desk", "qianchuan")}
    campaign, relaxation, discrete, lazy = _relaxation_and_discrete(
        500_000, lazy_under=True, daily_cap=10_000, tools=steady)
    assert lazy  # the relaxation leaves purchases under their minimum
    model = discrete()
    lp_bound = float(relaxation.cost @ relaxation.x)
    value = strategy._settled_relaxation(model, relaxation, "highs", campaign, 10.0, lp_bound)
    assert value is not None and model.x is not None
    assert not len(strategy._broken_discrete_rows(model, model.x))
    # Every choice the model has is settled (those without one are the caller's to repair).
    spent = model.spend()
    for position, purchase in enumerate(model.active.tolist()):
        if purchase in model.on_col:
            s, p = spent[position], model.coupling.purchases[purchase]
            assert s == pytest.approx(0.0, abs=1e-6) or s >= p.min_order - 1e-6
    assert lp_bound - value <= campaign.solver.relative_gap * lp_bound
    branch_and_bound = discrete()
    backends._run_highs(branch_and_bound, campaign.solver, 10.0)
    assert branch_and_bound.x is not None
    assert value == pytest.approx(float(branch_and_bound.cost @ branch_and_bound.x), rel=1e-6)


def test_without_the_lp_bound_a_relaxation_left_unsettled_is_not_dived():
    """Only the sifting LP's bound over every purchase can prove a dived plan: without it
    (a model over every purchase proves its own bound) the choices go to branch and bound."""
    campaign, relaxation, discrete, _ = _relaxation_and_discrete(500_000, lazy_under=True,
                                                                 daily_cap=10_000)
    model = discrete()
    assert strategy._settled_relaxation(model, relaxation, "highs", campaign, 10.0) is None
    assert model.x is None and model.start is not None


def test_another_budget_reuses_the_coupling_rows_with_only_the_budget_row_rewritten():
    campaign = sale_campaign(budget=200_000)
    response = build_response_model(assess_roster(roster(), campaign), campaign)
    first = solve(response, campaign)
    more = campaign.model_copy(update={"budget": 210_000})
    lent = strategy._coupling_for(response, more, first)
    fresh = optimiser_model.coupling(response, more)
    assert lent.pattern_value is first.model.coupling.pattern_value  # shared, not rebuilt
    assert lent.rows.upper == fresh.rows.upper and lent.rows.limits == fresh.rows.limits
    assert first.model.coupling.rows.upper != fresh.rows.upper  # the first solve's rows kept
    other_cap = campaign.model_copy(update={"budget": 210_000, "daily_cap": 20_000})
    rebuilt = strategy._coupling_for(response, other_cap, first)
    assert rebuilt.pattern_value is not first.model.coupling.pattern_value
    assert rebuilt.rows.upper == optimiser_model.coupling(response, other_cap).rows.upper


@pytest.mark.parametrize("budget", [60_000, 400_000])
def test_the_sifting_lp_generates_the_learning_rows_it_needs_and_keeps_the_bound(budget):
    """The sifting LP carries the learning rows of the lines it buys only: its bound is
    the LP over every purchase with every learning row, and every purchase it buys with a
    learning phase has its rows."""
    campaign = sale_campaign(budget=budget)
    response = build_response_model(assess_roster(roster(), campaign), campaign)
    full = build_model(response, campaign, relaxed=True)
    proven, everything = backends._run_highs(full, campaign.solver, 10.0)
    assert proven and len(full.learn_col) > 0
    bound, _, _, relaxation = strategy._sifting_relaxation(
        response, campaign, optimiser_model.coupling(response, campaign), "highs",
        time.perf_counter(), None)
    assert relaxation is not None and bound == pytest.approx(everything, rel=1e-7)
    assert len(relaxation.learn_col) < len(full.learn_col)
    assert not strategy._unpriced_learners(relaxation)


def test_a_sifting_round_lets_in_at_most_its_batch_of_the_best_paying_and_keeps_the_bound(
        monkeypatch):
    """Early duals are rough: a round adds at most as many purchases as it carried (or
    SIFTING_BATCH), the best paying first, and the LP over every purchase is still proven."""
    campaign = sale_campaign()
    response = build_response_model(assess_roster(roster(), campaign), campaign)
    full = build_model(response, campaign, relaxed=True)
    _, everything = backends._run_highs(full, campaign.solver, 10.0)
    monkeypatch.setattr(strategy, "SIFTING_BATCH", 1)
    entered: list[tuple[int, int]] = []
    unlimited = strategy._entering

    def watched(model, chosen, most=None):
        chosen = set(chosen)
        picked = unlimited(model, chosen, most)
        if most is not None:
            every = unlimited(model, chosen)
            reduced = strategy._reduced_costs(model)
            position = {int(i): k for k, i in enumerate(model.coupling.indices.tolist())}
            left_out = [reduced[position[i]] for i in every - picked]
            assert all(reduced[position[i]] >= max(left_out, default=-1e300) for i in picked)
            entered.append((len(picked), len(chosen)))
        return picked

    monkeypatch.setattr(strategy, "_entering", watched)
    bound, _, _, _ = strategy._sifting_relaxation(
        response, campaign, optimiser_model.coupling(response, campaign), "highs",
        time.perf_counter(), None)
    assert bound == pytest.approx(everything, rel=1e-7)
    assert entered and all(added <= max(carried, 1) for added, carried in entered)
    assert any(added == carried for added, carried in entered)  # the limit did bind


def test_the_expected_attitude_drops_the_scenario_rows_and_keeps_everything_else():
    """The expected attitude has no risk rows: its coupling is the plan's without them,
    equal in every row and array to one written for it from scratch, and what each
    purchase is (segments, tie-break, learning phase, test basis) is lent, not rebuilt."""
    campaign = sale_campaign(risk={"objective": "balanced"})
    response = build_response_model(assess_roster(roster(), campaign), campaign)
    balanced = solve(response, campaign)
    assert balanced.model.coupling.risk is not None
    expected = campaign.model_copy(update={
        "risk": campaign.risk.model_copy(update={"objective": "expected"})})
    lent = strategy._coupling_for(response, expected, balanced)
    fresh = optimiser_model.coupling(response, expected)
    assert lent.seg_roi is balanced.model.coupling.seg_roi
    assert lent.learning is balanced.model.coupling.learning
    assert lent.risk is None and "risk_gmv" not in lent.rows.families
    for name in ("names", "families", "limits", "lower", "upper"):
        assert getattr(lent.rows, name) == getattr(fresh.rows, name), name
    for name in ("pattern_start", "pattern_row", "pattern_value", "pattern_scaled",
                 "scaled_rows", "aux_defines", "aux_start", "aux_row", "aux_value",
                 "aux_cost", "aux_lower", "aux_upper", "gmv_row", "preference"):
        got, want = getattr(lent, name), getattr(fresh, name)
        assert got.dtype == want.dtype and np.array_equal(got, want), name
    assert lent.aux_names == fresh.aux_names
    assert lent.shares_of_budget == fresh.shares_of_budget
    assert lent.share_floors == fresh.share_floors
    assert lent.expected_weight == fresh.expected_weight == 1.0
    assert lent.tests == fresh.tests and lent.campaign == fresh.campaign
    assert balanced.model.coupling.risk is not None  # the plan's own coupling kept its rows


def _half_the_videos(response):
    videos = sorted({p.video_id for p in response.purchases})[::2]
    return {p.index for p in response.purchases if p.video_id in videos}


def test_a_video_with_no_purchase_in_the_model_leaves_its_gmv_column_out_of_highs(
        monkeypatch):
    """Its GMV column is 0 and its scenario entries cost HiGHS time: left out, the LP has
    the same optimum, the column reads 0, and its row's dual makes the column's reduced
    cost 0, so its video's purchases are priced through the scenario rows as before."""
    campaign = sale_campaign(risk={"objective": "balanced"})
    response = build_response_model(assess_roster(roster(), campaign), campaign)
    active = _half_the_videos(response)
    whole = build_model(response, campaign, active=active, relaxed=True)
    monkeypatch.setattr(backends, "IDLE_NONZEROS", 10**9)
    _, given_whole = backends._run_highs(whole, campaign.solver, 10.0)
    reduced = build_model(response, campaign, active=active, relaxed=True)
    monkeypatch.setattr(backends, "IDLE_NONZEROS", 0)
    given = backends._Given.of(reduced)
    couple = reduced.coupling
    assert couple.risk is not None and len(given.idle) > 0
    idle_cols = reduced.num_cols - len(couple.aux_names) + couple.risk.gmv[given.idle]
    idle_rows = couple.aux_defines[couple.risk.gmv[given.idle]]
    assert {couple.rows.families[r] for r in idle_rows.tolist()} == {"risk_gmv"}
    assert not given.col[idle_cols].any() and not given.row[idle_rows].any()
    _, given_part = backends._run_highs(reduced, campaign.solver, 10.0)
    assert given_part == pytest.approx(given_whole, rel=1e-9)
    assert (reduced.x[idle_cols] == 0).all()
    assert reduced.duals is not None and reduced.basis is not None
    for column in idle_cols.tolist():
        entries = slice(int(reduced.a_start[column]), int(reduced.a_start[column + 1]))
        priced = reduced.a_value[entries] @ reduced.duals[reduced.a_index[entries]]
        assert reduced.cost[column] - priced == pytest.approx(0.0, abs=1e-9)
    cols, rows = reduced.basis
    assert (cols[idle_cols] == optimiser_model.BASIS_BASIC).all()
    assert (cols == 1).sum() + (rows == 1).sum() == len(rows)  # a square basis


def test_sifting_without_idle_gmv_columns_proves_the_same_bound(monkeypatch):
    campaign = sale_campaign(risk={"objective": "balanced"})
    response = build_response_model(assess_roster(roster(), campaign), campaign)
    full = build_model(response, campaign, relaxed=True)
    _, everything = backends._run_highs(full, campaign.solver, 10.0)
    monkeypatch.setattr(backends, "IDLE_NONZEROS", 0)
    left_out: list[int] = []
    given_of = backends._Given.of

    def watched(model):
        given = given_of(model)
        left_out.append(len(given.idle))
        return given

    monkeypatch.setattr(backends._Given, "of", staticmethod(watched))
    bound, _, _, _ = strategy._sifting_relaxation(
        response, campaign, optimiser_model.coupling(response, campaign), "highs",
        time.perf_counter(), None)
    assert bound == pytest.approx(everything, rel=1e-7)
    assert max(left_out) > 0


def test_a_small_scenario_block_is_given_to_highs_whole():
    campaign = sale_campaign(risk={"objective": "balanced"})
    response = build_response_model(assess_roster(roster(), campaign), campaign)
    model = build_model(response, campaign, active=_half_the_videos(response), relaxed=True)
    assert model.coupling.risk is not None
    given = backends._Given.of(model)
    assert given.col.all() and given.row.all() and not len(given.idle)


def test_pricing_sums_each_purchases_entries_even_around_purchases_without_any():
    starts = [0, 0, 2, 2, 5, 6, 6]  # purchases 0, 2 and 5 have no entries
    entries = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
    summed = strategy._per_purchase(np.array(entries), np.array(starts, dtype=np.int64))
    assert summed.tolist() == [0.0, 3.0, 0.0, 12.0, 6.0, 0.0]
    assert strategy._per_purchase(np.zeros(0), np.zeros(3, dtype=np.int64)).tolist() == [0, 0]


def test_a_binary_purchase_has_its_minimum_order_row_then_a_link_per_segment():
    """min_order_<i>: its segments - minimum x on >= 0; link_<i>_<k>: segment k - its width
    x on <= 0: a purchase's rows together, in that order, with its figures."""
    campaign = sale_campaign(budget=400_000)
    response = build_response_model(assess_roster(roster(), campaign), campaign)
    model = build_model(response, campaign, flat=True)
    rows = model.discrete
    for pos, on in list(model.on_col.items())[:25]:
        purchase = response.purchases[pos]
        first = rows.names.index(f"min_order_{purchase.index}")
        widths = purchase.seg_width
        at = int(np.searchsorted(model.active, pos))
        cols = list(range(int(model.col_start[at]), int(model.col_start[at + 1])))
        assert rows.names[first:first + len(widths) + 1] == [
            f"min_order_{purchase.index}",
            *(f"link_{purchase.index}_{k}" for k in range(len(widths)))]
        assert rows.limits[first] == ("min_order", {"tool": purchase.tool.value,
                                                    "amount": purchase.min_order * 1000})
        assert (rows.lower[first], rows.upper[first]) == (0.0, float("inf"))
        entries = slice(model.d_start[first], model.d_start[first + 1])
        assert model.d_index[entries].tolist() == [*cols, on]
        assert model.d_value[entries].tolist() == [*(1.0,) * len(cols), -purchase.min_order]
        for k, (col, width) in enumerate(zip(cols, widths, strict=True), start=1):
            link = slice(model.d_start[first + k], model.d_start[first + k + 1])
            assert model.d_index[link].tolist() == [col, on]
            assert model.d_value[link].tolist() == [1.0, -width]
            assert (rows.lower[first + k], rows.upper[first + k]) == (float("-inf"), 0.0)
