"""Sale phases (蓄水/预热, 预售, 爆发, 返场): their own conversion and price per tool, and
the buyer's budget per phase."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path

import pytest

from factories import make_campaign, make_video
from planner.config import campaign_from_dict
from planner.errors import ConfigError, InfeasibleError
from planner.i18n import limit_text
from planner.io.campaign_file import read_campaign
from planner.io.roster import read_videos
from planner.optimiser import coupling
from planner.planning import Planner, assess_roster, make_plan
from planner.response import build_response_model, day_terms
from planner.tools import Tool
from planner.views.campaign_form import campaign_dict_from_form, form_defaults

SAMPLE = Path(__file__).resolve().parent.parent / "sample_data"
PREHEAT = {"kind": "preheat", "start": date(2027, 5, 20), "end": date(2027, 5, 30)}
PRESALE = {"kind": "presale", "start": date(2027, 5, 31), "end": date(2027, 6, 15)}
PEAK = {"kind": "peak", "start": date(2027, 6, 16), "end": date(2027, 6, 18)}
RETURN = {"kind": "return", "start": date(2027, 6, 19), "end": date(2027, 6, 20)}
DAY_OF = {"preheat": date(2027, 5, 25), "presale": date(2027, 6, 1),
          "peak": date(2027, 6, 17), "return": date(2027, 6, 19)}
AUCTION_TOOLS = (Tool.KOL_BIDDING, Tool.AD_FEED, Tool.UNI_DESK)


def _sale(*phases, **extra):
    return {"name": "618", "start": phases[0]["start"], "end": phases[-1]["end"],
            "phases": list(phases), **extra}


def _phased_campaign(**overrides):
    values = {"end": date(2027, 6, 20), "budget": 2_000_000,
              "big_sales": [_sale(PREHEAT, PRESALE, PEAK, RETURN)]}
    values.update(overrides)
    return make_campaign(**values)


def _roi(campaign, tool, day):
    terms = day_terms(campaign, tool, day)
    return terms.efficiency * terms.conversion / terms.cpm


@pytest.mark.parametrize("tool", AUCTION_TOOLS, ids=lambda t: t.value)
def test_the_peak_converts_best_and_gives_each_auction_tool_its_best_roi_of_the_sale(tool):
    campaign = _phased_campaign()
    conversion = {k: day_terms(campaign, tool, d).conversion for k, d in DAY_OF.items()}
    assert conversion["peak"] == max(conversion.values()) == 2.5
    assert conversion["preheat"] < conversion["presale"] < conversion["peak"]
    roi = {k: _roi(campaign, tool, d) for k, d in DAY_OF.items()}
    assert roi["peak"] == max(roi.values())
    assert roi["presale"] > _roi(campaign, tool, date(2027, 5, 10))  # better than a normal day


def test_a_presale_pays_most_of_the_peaks_price_for_half_its_conversion():
    campaign = _phased_campaign()
    presale = day_terms(campaign, Tool.AD_FEED, DAY_OF["presale"])
    cpm = campaign.tools[Tool.AD_FEED].cpm
    assert presale.cpm == pytest.approx(cpm * 1.6)  # 0.6 of the peak's 2x
    assert presale.conversion == pytest.approx(1.75)  # 0.5 of the peak's 2.5x


@pytest.mark.parametrize(("setting", "value", "field", "expected"), [
    ("conversion_multiplier", 3.0, "conversion", 3.0),
    ("price_multiplier", 3.0, "cpm", 150.0),
    ("capacity_multiplier", 0.5, "capacity_mult", 0.5),
], ids=["conversion", "price", "capacity"])
def test_a_phase_sets_one_tools_own_effects(setting, value, field, expected):
    peak = {**PEAK, "tools": {"ad_feed": {setting: value}}}
    campaign = _phased_campaign(big_sales=[_sale(PREHEAT, PRESALE, peak, RETURN)])
    assert getattr(day_terms(campaign, Tool.AD_FEED, DAY_OF["peak"]), field) == expected
    other = day_terms(campaign, Tool.UNI_DESK, DAY_OF["peak"])
    plain = day_terms(_phased_campaign(), Tool.UNI_DESK, DAY_OF["peak"])
    assert (other.conversion, other.cpm, other.capacity_mult) == (
        plain.conversion, plain.cpm, plain.capacity_mult)


def test_a_phases_own_intensity_sets_price_and_conversion_alike():
    presale = {**PRESALE, "intensity": 1.0}
    campaign = _phased_campaign(big_sales=[_sale(PREHEAT, presale, PEAK, RETURN)])
    presale, peak = (day_terms(campaign, Tool.AD_FEED, DAY_OF[k]) for k in ("presale", "peak"))
    assert (presale.conversion, presale.cpm) == (peak.conversion, peak.cpm)


def test_dou_plus_stays_worse_in_every_phase_of_the_sale():
    campaign = _phased_campaign()
    normal = _roi(campaign, Tool.DOU_PLUS, date(2027, 5, 10))
    assert all(_roi(campaign, Tool.DOU_PLUS, d) < normal for d in DAY_OF.values())


def test_a_lock_in_keeps_its_booked_price_and_its_peak_days_sell_more_per_yuan():
    campaign = _phased_campaign(start=date(2027, 4, 21), budget=3_000_000)
    head = make_video(video_id="head", followers=5_000_000, median_plays=800_000,
                      natural_plays=2_000_000, natural_gmv=160_000)
    plan = make_plan([head], campaign)
    locked = [d for d in plan.daily if d.tool is Tool.CONTENT_SERVICE
              and campaign.sale_on(d.date) is not None and d.spend > 0]
    assert locked
    roi = {d.date: d.expected_gmv / d.spend for d in locked}
    presale = [r for day, r in roi.items() if PRESALE["start"] <= day <= PRESALE["end"]]
    peak = [r for day, r in roi.items() if PEAK["start"] <= day <= PEAK["end"]]
    assert presale and peak
    assert min(peak) > max(presale)
    terms = day_terms(campaign, Tool.CONTENT_SERVICE, DAY_OF["peak"])
    assert terms.cpm == campaign.tools[Tool.CONTENT_SERVICE].cpm  # the booked price


def _spend_by_day(plan):
    by_day: dict[date, float] = defaultdict(float)
    for d in plan.daily:
        by_day[d.date] += d.spend
    return by_day


def _per_day(by_day, phase):
    days = (phase["end"] - phase["start"]).days + 1
    return sum(by_day[phase["start"] + timedelta(days=i)] for i in range(days)) / days


def test_peak_days_spend_at_least_as_much_per_day_as_presale_days_without_a_daily_cap():
    campaign = read_campaign(SAMPLE / "campaign_tmall.toml")
    campaign = campaign.model_copy(update={"daily_cap": None})
    videos, _ = read_videos(SAMPLE / "videos.csv", plan_date=campaign.effective_plan_date)
    by_day = _spend_by_day(make_plan(videos, campaign))
    sale = campaign.big_sales[0]
    presale, peak = ({"start": p.start, "end": p.end} for p in sale.phases)
    assert _per_day(by_day, peak) >= _per_day(by_day, presale) > 0


def _sample_with(sale_changes, **campaign_changes):
    """The bundled 618 with its sale changed (a pre-heat phase added, say)."""
    campaign = read_campaign(SAMPLE / "campaign_tmall.toml")
    raw = campaign.model_dump()
    raw["big_sales"] = [{**raw["big_sales"][0], **sale_changes}]
    raw.update(campaign_changes)
    return campaign_from_dict(raw)


def _sample_videos(campaign):
    return read_videos(SAMPLE / "videos.csv", plan_date=campaign.effective_plan_date)[0]


def _with_preheat(**budget):
    sample = read_campaign(SAMPLE / "campaign_tmall.toml").big_sales[0]
    phases = [{**PREHEAT, **budget}, *(p.model_dump() for p in sample.phases)]
    return {"start": PREHEAT["start"], "phases": phases}


def test_a_preheat_min_share_puts_that_share_of_the_budget_before_the_presale():
    campaign = _sample_with(_with_preheat(min_share=0.2))
    plan = make_plan(_sample_videos(campaign), campaign)
    presale = campaign.big_sales[0].phases[1]
    assert presale.kind == "presale"
    by_day = _spend_by_day(plan)
    preheat = sum(v for d, v in by_day.items() if PREHEAT["start"] <= d <= PREHEAT["end"])
    assert preheat >= 0.2 * campaign.budget
    assert sum(v for d, v in by_day.items() if d < presale.start) >= 0.2 * campaign.budget
    line, = (line for line in plan.binding_lines if line.code == "phase_min_share")
    assert (line.params["phase"], line.params["share"]) == ("preheat", 0.2)
    assert any("蓄水/预热期" in text and "20%" in text for text in plan.binding)


def test_a_phase_max_share_holds_and_says_so_when_it_binds():
    campaign = _sample_with({}, daily_cap=None)
    free = make_plan(_sample_videos(campaign), campaign)
    peak = campaign.big_sales[0].phases[1]
    assert sum(v for d, v in _spend_by_day(free).items() if peak.start <= d <= peak.end) > (
        0.3 * campaign.budget)
    phases = [p.model_dump() for p in campaign.big_sales[0].phases]
    phases[1]["max_share"] = 0.3
    capped = _sample_with({"phases": phases}, daily_cap=None)
    plan = make_plan(_sample_videos(capped), capped)
    spent = sum(v for d, v in _spend_by_day(plan).items() if peak.start <= d <= peak.end)
    assert spent <= 0.3 * capped.budget + 1e-6
    assert "phase_max_share" in [line.code for line in plan.binding_lines]


def test_a_phase_min_daily_and_max_daily_hold_on_each_of_its_days():
    phases = [{**PRESALE, "min_daily": 40_000, "max_daily": 60_000}, PEAK]
    campaign = make_campaign(start=date(2027, 5, 25), end=date(2027, 6, 18),
                             plan_date=date(2027, 5, 24), budget=3_000_000,
                             big_sales=[_sale(*phases)])
    videos = [make_video(video_id=f"v{i}", publish_date=date(2027, 5, 20),
                         natural_plays=3_000_000, natural_gmv=240_000) for i in range(4)]
    plan = make_plan(videos, campaign)
    by_day = _spend_by_day(plan)
    presale_days = [PRESALE["start"] + timedelta(days=i) for i in range(16)]
    assert all(40_000 <= by_day[d] <= 60_000 + 1e-6 for d in presale_days)
    codes = [line.code for line in plan.binding_lines]
    assert "phase_max_daily" in codes or "phase_min_daily" in codes


def test_a_budget_for_the_days_before_the_sale_holds_them_within_it():
    campaign = _sample_with({"before": {"max_share": 0.1}})
    plan = make_plan(_sample_videos(campaign), campaign)
    sale = campaign.big_sales[0]
    before = sum(v for d, v in _spend_by_day(plan).items() if d < sale.start)
    assert before <= 0.1 * campaign.budget + 1e-6
    line, = (line for line in plan.binding_lines if line.code == "phase_max_share")
    assert line.params["phase"] == "before"
    assert line.params["first"] == campaign.start.isoformat()


def test_phase_budgets_the_daily_cap_cannot_meet_name_themselves_in_the_infeasibility():
    # The peak's 3 days at 100,000 a day hold 300,000 at most: half of 3,000,000 is out of reach.
    phases = [p.model_dump() for p in read_campaign(
        SAMPLE / "campaign_tmall.toml").big_sales[0].phases]
    phases[1]["min_share"] = 0.5
    campaign = _sample_with({"phases": phases})
    with pytest.raises(InfeasibleError) as caught:
        make_plan(_sample_videos(campaign), campaign)
    assert any("爆发期" in c and "50%" in c for c in caught.value.conflicts)


def test_a_phase_floor_holds_at_every_budget_of_a_curve():
    campaign = _sample_with(_with_preheat(min_share=0.2))
    planner = Planner(_sample_videos(campaign), campaign)
    for budget in (3_000_000, 1_500_000):
        plan = planner.plan(budget)
        preheat = sum(d.spend for d in plan.daily
                      if PREHEAT["start"] <= d.date <= PREHEAT["end"])
        assert preheat >= 0.2 * budget


@pytest.mark.parametrize("budget", [
    {"min_share": 0.5, "max_share": 0.2},
    {"min_daily": 9_000, "max_daily": 1_000},
], ids=["shares", "daily"])
def test_a_phase_budgets_floor_above_its_cap_is_refused(budget):
    with pytest.raises(ConfigError):
        _phased_campaign(big_sales=[_sale({**PREHEAT, **budget}, PRESALE, PEAK, RETURN)])


def test_phase_floors_adding_up_to_more_than_the_budget_are_refused():
    with pytest.raises(ConfigError, match="120%"):
        _phased_campaign(big_sales=[_sale({**PREHEAT, "min_share": 0.6},
                                          {**PRESALE, "min_share": 0.6}, PEAK, RETURN)])


def test_phase_budget_rows_carry_a_code_and_figures_not_words():
    campaign = _sample_with(_with_preheat(min_share=0.2, max_daily=90_000))
    videos = _sample_videos(campaign)
    response = build_response_model(assess_roster(videos, campaign), campaign)
    rows = coupling(response, campaign).rows
    phase = [(name, limit) for name, family, limit in zip(
        rows.names, rows.families, rows.limits, strict=True) if family == "phase_budget"]
    assert ("phase_min_share_618_preheat", ("phase_min_share", {
        "sale": "618", "phase": "preheat", "first": "2027-05-20", "last": "2027-05-30",
        "share": 0.2})) in phase
    assert sum(name.startswith("phase_max_daily_618_preheat_") for name, _ in phase) == 11
    assert limit_text(phase[0][1]).startswith("618")


def test_the_campaign_form_keeps_a_sales_phase_budgets():
    campaign = _sample_with({**_with_preheat(min_share=0.2), "before": {"max_share": 0.3}})
    raw, problems = campaign_dict_from_form(campaign, form_defaults(campaign))
    assert problems == []
    kept = campaign_from_dict(raw).big_sales[0]
    assert kept.phases[0].min_share == 0.2
    assert kept.before is not None and kept.before.max_share == 0.3
