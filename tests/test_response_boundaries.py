"""The response model at its boundaries: what a purchase at a limit is offered, and what a
purchase with nothing to offer is not."""

from __future__ import annotations

from datetime import date

import pytest

from factories import make_campaign, make_video
from planner.errors import InputError
from planner.i18n import t
from planner.planning import assess_roster
from planner.response import (
    NO_SIGNALS,
    Signals,
    build_response_model,
    check_commitments,
    day_terms,
)
from planner.rules import assess_video
from planner.tools import Tool

SALE = {"name": "618", "start": date(2027, 5, 31), "end": date(2027, 6, 18)}
PRESALE_DAY, PEAK_DAY = date(2027, 6, 10), date(2027, 6, 17)
ONE_SEGMENT = {"segment_widths": [1.0], "segment_roi": [1.0]}


def _purchases(videos, campaign, tool):
    response = build_response_model(assess_roster(videos, campaign), campaign)
    return [p for p in response.purchases if p.tool is tool]


def _head_video(**overrides):
    # A head KOL (5M followers) with 3M natural plays and 3-month traffic ROI 2.0: content
    # service directly, and a lock-in for a sale a month ahead.
    values = {"video_id": "h1", "followers": 5_000_000, "natural_plays": 3_000_000,
              "natural_gmv": 240_000, "roi_3m": 2.0, "publish_date": date(2027, 3, 1)}
    values.update(overrides)
    return make_video(**values)


def test_a_tier_without_weekly_content_service_scale_is_offered_no_sale_lock_in():
    # A lock-in is the tier's weekly scale over the sale: a head KOL given 0 yuan a week
    # has nothing to book (and its ROI is never worked out of 0 yuan).
    campaign = make_campaign(end=date(2027, 6, 20), budget=2_000_000, big_sales=[SALE],
                             rules={"cs_weekly_cap": {"super_head": 1_000_000, "head": 0,
                                                      "mid": 150_000}})
    content_service = _purchases([_head_video()], campaign, Tool.CONTENT_SERVICE)
    assert not [p for p in content_service if p.sale == "618"]


def test_a_content_service_window_that_holds_exactly_the_minimum_order_is_offered():
    # 5-day orders capped at 10,000 yuan a day: each full window holds 50,000 yuan, the
    # content-service minimum, and is offered; the shorter last window is not.
    campaign = make_campaign(rules={"cs_order_days": 5}, response=ONE_SEGMENT,
                             tools={"content_service": {"max_daily": 10_000}})
    content_service = _purchases([_head_video()], campaign, Tool.CONTENT_SERVICE)
    assert content_service
    assert {len(p.days) for p in content_service} == {5}
    assert {sum(p.seg_width) * 1000 for p in content_service} == {50_000.0}


def test_a_sale_phase_the_campaign_gives_no_intensity_takes_the_peaks_whole_effect():
    # Only the peak's intensity given: the pre-sale pays the peak's 2x price for KOL bidding.
    campaign = make_campaign(end=date(2027, 6, 20), big_sales=[SALE],
                             sale={"phase_intensity": {"peak": 1.0}})
    cpm = campaign.tools[Tool.KOL_BIDDING].cpm
    assert day_terms(campaign, Tool.KOL_BIDDING, PRESALE_DAY).cpm == 2 * cpm
    assert day_terms(campaign, Tool.KOL_BIDDING, PEAK_DAY).cpm == 2 * cpm


def test_kol_biddings_daily_volume_on_a_sale_day_follows_its_sale_capacity():
    # 2,000,000 yuan over 6 days on a video with full weight, at half capacity in the sale.
    campaign = make_campaign(end=date(2027, 6, 20), budget=2_000_000, big_sales=[SALE],
                             response=ONE_SEGMENT,
                             tools={"kol_bidding": {"sale_capacity_multiplier": 0.5}})
    video = make_video()
    (assessment,) = assess_roster([video], campaign)
    assert assessment.scores.weight_factor == 1.0
    bidding = _purchases([video], campaign, Tool.KOL_BIDDING)
    (peak,) = (p for p in bidding if p.days == (PEAK_DAY,))
    (normal,) = (p for p in bidding if p.days == (date(2027, 5, 20),))
    assert sum(peak.seg_width) * 1000 == pytest.approx(2_000_000 / 6 * 0.5)
    assert sum(normal.seg_width) * 1000 == pytest.approx(2_000_000 / 6)


def test_a_purchase_whose_roi_is_exactly_the_floor_is_offered():
    # AD feed at 32 yuan per 1,000 impressions, efficiency 1.0, on a video that sells 40
    # yuan per 1,000 natural plays: ROI 40 / 32 = 1.25, the floor (exact in binary).
    campaign = make_campaign(roi_floor=1.25, response=ONE_SEGMENT,
                             tools={"ad_feed": {"cpm": 32, "efficiency": 1.0}})
    video = make_video(natural_plays=250_000, natural_gmv=10_000)
    ad_feed = _purchases([video], campaign, Tool.AD_FEED)
    assert ad_feed
    assert {p.seg_roi[0] for p in ad_feed} == {1.25}


def test_a_tool_without_a_minimum_order_offers_nothing_below_the_floor():
    # A video selling 20 yuan per 1,000 plays: AD feed's ROI 20 x 1.4 / 50 = 0.56, below
    # the 1.2 floor; no minimum order lets nothing through.
    campaign = make_campaign(tools={"ad_feed": {"min_order": 0}})
    video = make_video(natural_plays=250_000, natural_gmv=5_000)
    assert _purchases([video], campaign, Tool.AD_FEED) == []


def test_a_tier_without_weekly_content_service_scale_is_offered_no_content_service_volume():
    # A tail KOL (300k followers) opens content service by a passed Dou+ pressure test,
    # but the default weekly scales name no tail tier: 0 yuan a week, even with no
    # minimum order to hold small windows back.
    campaign = make_campaign(tools={"content_service": {"min_order": 0}})
    tail = make_video(followers=300_000)
    assessment = assess_video(tail, campaign, learned_dou_plus_roi=2.0)
    assert Tool.CONTENT_SERVICE in assessment.eligible
    assert assessment.scores.tier not in campaign.rules.cs_weekly_cap
    response = build_response_model([assessment], campaign)
    assert sum(p.capacity for p in response.purchases if p.is_content_service) == 0


@pytest.mark.parametrize(("max_daily", "offered"), [(1_000, False), (2_000, True)])
def test_a_day_whose_thinnest_segment_holds_a_millionth_of_a_yuan_is_not_offered(
        max_daily, offered):
    # Segments of 1 - 1e-9 and 1e-9 of a day's capacity: at 1,000 yuan a day the thin one
    # holds exactly a millionth of a yuan (1e-9 thousand), the width below which a
    # segment counts as none; at 2,000 yuan it holds more.
    campaign = make_campaign(response={"segment_widths": [1 - 1e-9, 1e-9],
                                       "segment_roi": [1.0, 1.0]},
                             tools={"ad_feed": {"max_daily": max_daily, "min_order": 0}})
    ad_feed = _purchases([make_video()], campaign, Tool.AD_FEED)
    assert bool(ad_feed) is offered


def test_a_content_service_window_smaller_than_a_thousand_yuan_is_offered_at_its_minimum():
    # A head KOL's video with 1,000 natural plays carries about 100 yuan a day of content
    # service: each window holds less than 1,000 yuan, and a 100-yuan minimum lets it book.
    campaign = make_campaign(tools={"content_service": {"min_order": 100}})
    video = _head_video(natural_plays=1_000, natural_gmv=80, publish_date=date(2027, 4, 15))
    content_service = _purchases([video], campaign, Tool.CONTENT_SERVICE)
    assert content_service
    assert all(100 <= p.capacity * 1000 < 1_000 for p in content_service)


def test_a_video_whose_natural_plays_sold_nothing_is_offered_no_content_service_volume():
    # A mid-tier KOL opens content service by a passed Dou+ pressure test, but its video's
    # natural plays sold nothing: each window's ROI is 0, below the floor, so even with no
    # minimum order nothing is offered (and no day's share of 0 yuan of GMV is worked out).
    campaign = make_campaign(tools={"content_service": {"min_order": 0}})
    assessment = assess_video(make_video(natural_gmv=0), campaign, learned_dou_plus_roi=2.0)
    assert Tool.CONTENT_SERVICE in assessment.eligible
    response = build_response_model([assessment], campaign)
    assert sum(p.capacity for p in response.purchases if p.is_content_service) == 0


def test_an_account_without_weight_gets_its_weights_share_of_content_service():
    # Weight is judged by median plays, full from 50,000: an account with 25,000 can use
    # half of what its video could carry (here a first week of about 175,000 yuan).
    def first_week(median_plays):
        video = _head_video(median_plays=median_plays, natural_plays=2_000_000,
                            natural_gmv=160_000)
        campaign = make_campaign(response=ONE_SEGMENT)
        (week,) = (p for p in _purchases([video], campaign, Tool.CONTENT_SERVICE)
                   if len(p.days) == 7)
        return week.capacity

    assert first_week(25_000) == pytest.approx(0.5 * first_week(120_000))


def _level_content_service(**overrides):
    # Content service at 64 yuan per 1,000 impressions with efficiency 1.0, on a head
    # video that sells 80 yuan per 1,000 natural plays and keeps its reach (a half-life
    # too long to age it): ROI 80 / 64 = 1.25 and 1,000 yuan a day, both exact in binary.
    values = {"roi_floor": 1.25, "response": ONE_SEGMENT,
              "tools": {"content_service": {"cpm": 64, "efficiency": 1.0, "min_order": 1_000}},
              "tiers": {"freshness_half_life_days": {"head": 1e20}}}
    values.update(overrides)
    video = _head_video(natural_plays=3_906.25, natural_gmv=312.5,
                        publish_date=date(2027, 4, 15))
    return _purchases([video], make_campaign(**values), Tool.CONTENT_SERVICE)


def test_a_content_service_order_whose_roi_is_exactly_the_floor_is_offered():
    content_service = _level_content_service()
    assert content_service
    assert {p.seg_roi[0] for p in content_service} == {1.25}


def test_a_content_service_segment_holding_a_millionth_of_a_yuan_is_left_out():
    # One-day orders of 1,000 yuan in segments of 1 - 1e-9 and 1e-9: the thin one holds
    # exactly 1e-9 thousand yuan, the width below which a segment counts as none.
    content_service = _level_content_service(
        response={"segment_widths": [1 - 1e-9, 1e-9], "segment_roi": [1.0, 1.0]},
        rules={"cs_order_days": 1},
        tools={"content_service": {"cpm": 64, "efficiency": 1.0, "min_order": 500}})
    assert content_service
    assert {len(p.seg_width) for p in content_service} == {1}


def test_a_booked_order_over_the_whole_campaign_spends_on_its_first_and_last_day():
    # 10,000 yuan of Dou+ booked for 04-21 to 04-30, the campaign's own days: 1,000 a day.
    campaign = make_campaign(commitments=[{
        "video_id": "v1", "tool": "dou_plus", "start": date(2027, 4, 21),
        "end": date(2027, 4, 30), "budget": 10_000}])
    response = build_response_model(assess_roster([make_video()], campaign), campaign)
    (booked,) = response.fixed
    assert booked.day_spend == dict.fromkeys(campaign.days(), 1.0)


def _booked_dou_plus(signals=NO_SIGNALS, **commitment):
    # 4,000 yuan of Dou+ booked on v1 for 04-24 and 04-25.
    values = {"video_id": "v1", "tool": "dou_plus", "start": date(2027, 4, 24),
              "end": date(2027, 4, 25), "budget": 4_000}
    values.update(commitment)
    campaign = make_campaign(commitments=[values])
    response = build_response_model(assess_roster([make_video()], campaign), campaign, signals)
    (booked,) = response.fixed
    return booked


def test_a_booked_order_is_revalued_by_what_its_videos_actuals_taught():
    # The actuals sold 1.5x what the model expected of v1: its booked order is worth 1.5x.
    plain = _booked_dou_plus()
    taught = _booked_dou_plus(Signals(video_multiplier={"v1": 1.5}))
    assert taught.model_gmv == plain.model_gmv > 0
    assert taught.expected_gmv == pytest.approx(1.5 * plain.expected_gmv)


def test_a_booked_order_whose_gmv_is_realised_is_worth_that_gmv():
    # 6,000 yuan of GMV already realised: 6 thousand yuan, whatever the model expected.
    booked = _booked_dou_plus(Signals(video_multiplier={"v1": 1.5}), realised_gmv=6_000)
    assert booked.expected_gmv == booked.model_gmv == 6.0


@pytest.mark.parametrize(("tool", "blocks"), [("dou_plus", True), ("ad_feed", False)])
def test_a_booked_dou_plus_order_blocks_content_service_on_its_days_and_no_other_tool(
        tool, blocks):
    # Dou+ and content service never share a video and day: a head KOL's video with Dou+
    # booked on 04-24 gets no content-service week over that day; AD feed booked there
    # leaves the week open.
    campaign = make_campaign(commitments=[{
        "video_id": "h1", "tool": tool, "start": date(2027, 4, 24), "end": date(2027, 4, 24),
        "budget": 1_000}])
    content_service = _purchases([_head_video()], campaign, Tool.CONTENT_SERVICE)
    covering = [p for p in content_service if date(2027, 4, 24) in p.days]
    assert content_service
    assert (covering == []) is blocks


def test_a_dou_plus_day_in_a_big_sale_says_the_sale_leaves_it_little_traffic():
    campaign = make_campaign(end=date(2027, 6, 20), budget=2_000_000, big_sales=[SALE])
    dou_plus = _purchases([make_video(publish_date=date(2027, 5, 25))], campaign,
                          Tool.DOU_PLUS)
    said = {p.days[0]: "dou_plus_sale_no_capacity" in {r.code for r in p.reasons}
            for p in dou_plus}
    assert said[date(2027, 5, 30)] is False
    assert said[date(2027, 5, 31)] is True


def test_a_segment_of_zero_width_buys_nothing_and_leaves_the_others_offered():
    # Returns in two segments, the second of no width: every day is offered in one.
    campaign = make_campaign(response={"segment_widths": [1.0, 0.0], "segment_roi": [1.0, 0.5]})
    ad_feed = _purchases([make_video()], campaign, Tool.AD_FEED)
    assert ad_feed
    assert {len(p.seg_width) for p in ad_feed} == {1}


def test_a_sale_lock_ins_gmv_leans_to_its_peak_days_however_small_the_order():
    # Each day of 618 sells by its phase (the peak converts best): a head KOL given 70
    # yuan a week books a lock-in of under 200 yuan, and its GMV still leans that way.
    campaign = make_campaign(end=date(2027, 6, 20), budget=2_000_000, big_sales=[SALE],
                             rules={"cs_weekly_cap": {"super_head": 1_000_000, "head": 70,
                                                      "mid": 150_000}},
                             tools={"content_service": {"min_order": 0}})
    content_service = _purchases([_head_video()], campaign, Tool.CONTENT_SERVICE)
    (lock_in,) = (p for p in content_service if p.sale == "618")
    assert lock_in.capacity * 1000 < 200
    peak = lock_in.days.index(PEAK_DAY)
    assert sum(lock_in.gmv_day_shares) == pytest.approx(1.0)
    assert lock_in.gmv_day_shares[peak] > lock_in.day_shares[peak]


def test_a_video_without_a_kol_fee_or_natural_plays_adds_no_fee_no_reach_and_no_room():
    # A roster row with no KOL fee and 0 natural plays: no KOL fee counts as seeding, and
    # it brings no natural plays to the audience pool and no room to amplify.
    campaign = make_campaign()
    video = make_video(kol_fee=None, natural_plays=0, natural_gmv=0)
    response = build_response_model(assess_roster([video], campaign), campaign)
    assert response.kol_fees == 0
    assert response.natural_reach == [(video.publish_date, 0.0)]
    assert response.amplification_room == {"v1": 0.0}


def test_a_content_service_order_buys_impressions_at_content_services_price():
    # 25 yuan per 1,000 impressions on a normal day: 40,000 impressions a thousand yuan.
    content_service = _purchases([_head_video()], make_campaign(), Tool.CONTENT_SERVICE)
    assert content_service
    assert {round(p.impressions_per_kyuan, 6) for p in content_service} == {40_000}


def test_a_sale_that_starts_on_the_first_day_content_service_can_run_is_locked_in_whole():
    # Booked 30 days ahead on the plan date (04-20), the 618 order can run from 05-20: a
    # sale starting that day is locked in over every one of its days.
    sale = {"name": "618", "start": date(2027, 5, 20), "end": date(2027, 5, 25)}
    campaign = make_campaign(end=date(2027, 5, 31), budget=2_000_000, big_sales=[sale],
                             rules={"cs_booking_lead_days": 30})
    content_service = _purchases([_head_video()], campaign, Tool.CONTENT_SERVICE)
    (lock_in,) = (p for p in content_service if p.sale == "618")
    assert lock_in.booking_date == date(2027, 4, 20)
    assert lock_in.days[0] == date(2027, 5, 20) and len(lock_in.days) == 6


def test_a_commitment_on_an_unknown_video_is_named_by_its_place_in_the_campaign_from_1():
    booked = {"tool": "dou_plus", "start": date(2027, 4, 24), "end": date(2027, 4, 24),
              "budget": 1_000}
    campaign = make_campaign(commitments=[{**booked, "video_id": "v1"},
                                          {**booked, "video_id": "v9"}])
    with pytest.raises(InputError) as caught:
        check_commitments(campaign, {"v1": make_video()}, "campaign.toml")
    (problem,) = caught.value.problems
    assert problem.message == t("error.commitment.unknown_video", number=2, video="v9")


def test_a_day_that_holds_the_minimum_order_is_offered_when_the_segments_add_up_past_1():
    # Segment widths may add up to 1 within a millionth: 0.5 + 0.5000005. AD feed capped
    # at its 300-yuan minimum a day then holds 300.00015 yuan, and every day is offered.
    campaign = make_campaign(tools={"ad_feed": {"max_daily": 300}},
                             response={"segment_widths": [0.5, 0.5000005],
                                       "segment_roi": [1.0, 1.0]})
    response = build_response_model(assess_roster([make_video()], campaign), campaign)
    ad_feed = [p for p in response.purchases if p.tool is Tool.AD_FEED]
    assert len(ad_feed) == len(response.days)


def test_a_daily_purchase_buys_impressions_at_its_tools_price_that_day():
    # AD feed at 50 yuan per 1,000 impressions: 20,000 a thousand yuan on a normal day,
    # half as many at the peak of a sale, where its price doubles.
    campaign = make_campaign(end=date(2027, 6, 20), budget=2_000_000, big_sales=[SALE])
    ad_feed = _purchases([make_video()], campaign, Tool.AD_FEED)
    bought = {p.days[0]: p.impressions_per_kyuan for p in ad_feed}
    assert bought[date(2027, 4, 21)] == pytest.approx(20_000)
    assert bought[PEAK_DAY] == pytest.approx(10_000)


def test_a_sale_lock_in_holds_the_tiers_weekly_scale_at_each_days_sale_capacity():
    # A head KOL's 400,000 yuan a week over the 19 days of 618, each day at content
    # service's capacity in its phase (half the normal day's at the peak).
    campaign = make_campaign(end=date(2027, 6, 20), budget=2_000_000, big_sales=[SALE],
                             response=ONE_SEGMENT,
                             tools={"content_service": {"sale_capacity_multiplier": 0.5}})
    content_service = _purchases([_head_video()], campaign, Tool.CONTENT_SERVICE)
    (lock_in,) = (p for p in content_service if p.sale == "618")
    assert len(lock_in.days) == 19
    capacity = [day_terms(campaign, Tool.CONTENT_SERVICE, d).capacity_mult for d in lock_in.days]
    assert min(capacity) == 0.5 and max(capacity) < 1
    assert lock_in.capacity * 1000 == pytest.approx(sum(400_000 / 7 * c for c in capacity))


def test_a_video_nobody_watched_is_offered_no_content_service_even_without_a_minimum():
    # 0 natural plays: nothing to amplify, so no content-service window is offered at all
    # (not even an empty one when content service has no minimum order).
    campaign = make_campaign(tools={"content_service": {"min_order": 0}})
    video = make_video(natural_plays=0, natural_gmv=0)
    assessment = assess_video(video, campaign, learned_dou_plus_roi=2.0)
    assert Tool.CONTENT_SERVICE in assessment.eligible
    response = build_response_model([assessment], campaign)
    assert not [p for p in response.purchases if p.is_content_service]


def test_a_dou_plus_day_keeps_its_videos_verdicts_and_says_its_start_rule_once():
    # Each Dou+ day carries the rule that let it start (here the standard start, 3 days
    # after publishing) once, beside the video's own verdicts (its ROI above the floor).
    dou_plus = _purchases([make_video()], make_campaign(), Tool.DOU_PLUS)
    assert dou_plus
    for p in dou_plus:
        codes = [r.code for r in p.reasons]
        assert codes.count("dou_plus_standard_start") == 1
        assert "roi_above_floor" in codes


def test_a_content_service_order_carries_its_videos_verdict_and_the_one_shot_rule():
    content_service = _purchases([_head_video()], make_campaign(), Tool.CONTENT_SERVICE)
    assert content_service
    assert {tuple(r.code for r in p.reasons) for p in content_service} == {
        ("cs_eligible", "cs_one_shot")}


def test_a_daily_purchase_holds_each_figure_in_its_own_field():
    # Daily purchases are made by position, in the order of Purchase's fields: each figure
    # lands where its name says (a reordered field would mislabel every one of them).
    campaign = make_campaign(end=date(2027, 6, 20), budget=2_000_000, big_sales=[SALE])
    response = build_response_model(assess_roster([make_video()], campaign), campaign)
    dou_plus = [p for p in response.purchases if p.tool is Tool.DOU_PLUS]
    assert dou_plus
    for p in dou_plus:
        assert response.purchases[p.index] == p
        assert p.video_id == "v1"
        assert p.days == (p.booking_date,) and p.day_shares == (1.0,)
        assert p.min_order == pytest.approx(campaign.tools[Tool.DOU_PLUS].min_order / 1000)
        assert p.seg_roi and len(p.seg_roi) == len(p.seg_width)
        assert p.impressions_per_kyuan > 0
        assert p.seeding is True
        assert p.mode in {"smart", "targeted"} and p.targeting is not None
        assert p.sale == ("618" if SALE["start"] <= p.days[0] <= SALE["end"] else None)
        assert p.gmv_shares is None and p.reasons


def test_a_purchase_says_whether_it_is_a_content_service_order():
    # Worked out once when the purchase is made (the optimiser asks it millions of times).
    campaign = make_campaign()
    response = build_response_model(assess_roster([_head_video(), make_video()], campaign),
                                    campaign)
    assert {(p.tool is Tool.CONTENT_SERVICE, p.is_content_service)
            for p in response.purchases} == {(True, True), (False, False)}
