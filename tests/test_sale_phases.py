"""Sale phases (蓄水/预热, 预售, 爆发, 返场): their own conversion and price per tool, and
the buyer's budget per phase."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path

import pytest

from factories import make_campaign, make_video
from planner.io.campaign_file import read_campaign
from planner.io.tables import read_videos
from planner.planning import make_plan
from planner.response import day_terms
from planner.tools import Tool

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
