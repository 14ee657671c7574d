"""Input values a buyer would not believe, flagged instead of silently trusted.

Three checks, each a reason on the video (code ``implausible_input``) and a line
in the plan's assumptions (``Plan.assumption_lines``), in both languages:

- a natural traffic ROI (a scheduled post's as expected) far outside its tier's
  range: above ``[risk] implausible_roi_multiple`` x the tier's prior ROI, or below
  the prior divided by it (a plays or GMV column off by a factor). Planned as given: it is
  the video's own evidence, and its range says how far it is trusted;
- a first-2h ROI far above the natural ROI (above ``[risk] first_2h_roi_multiple``
  x it): two hours of sales are a thin sample, so a burst day is valued at no
  more than that multiple of the natural ROI (``burst_roi_cap``);
- zeros in a scheduled post's expected figures (natural plays, natural GMV or
  median plays of 0): read as missing, so the post is estimated from the next
  source (the KOL's 3-month ROI, the KOL's other videos, the tier prior) instead
  of an expected ROI of 0 (``planner.scheduled``).
"""

from __future__ import annotations

from planner.config import Campaign
from planner.models import Line, Reason, Video
from planner.reasons import reason
from planner.scoring import gpm, kol_tier, traffic_roi

CODE = "implausible_input"


def first_2h_roi(video: Video, campaign: Campaign) -> float | None:
    if not video.first_2h_plays or video.first_2h_gmv is None:
        return None
    return traffic_roi(gpm(video.first_2h_gmv, video.first_2h_plays), campaign.reference_cpm)


def burst_roi_cap(natural: float, campaign: Campaign) -> float:
    """The most a burst day is valued at, as a traffic ROI: a multiple of the natural one."""
    return campaign.risk.first_2h_roi_multiple * natural


def implausible(video: Video, roi: float, campaign: Campaign, *,
                scheduled: bool) -> list[Reason]:
    """The reasons flagging ``video``'s implausible inputs (as the buyer gave them);
    ``roi`` is its natural traffic ROI as scored (a scheduled post's as expected)."""
    cfg = campaign.risk
    out: list[Reason] = []
    if scheduled:
        zeros = [name for name in ("natural_plays", "natural_gmv", "median_plays")
                 if getattr(video, name) == 0]
        if zeros:
            out.append(reason(
                CODE, f"{video.video_id}: scheduled post with {', '.join(zeros)} of 0: "
                "read as missing, so it is estimated from the KOL's record or the tier's "
                "prior, not at an expected ROI of 0",
                form="scheduled_zero", video=video.video_id, fields=", ".join(zeros)))
    tier = kol_tier(video.followers, campaign.tiers)
    prior = campaign.tiers.prior_traffic_roi.get(tier)
    multiple = cfg.implausible_roi_multiple
    if prior:
        if roi > multiple * prior or roi < prior / multiple:
            form = "roi_high" if roi > prior else "roi_low"
            side = f"over {multiple:g}x" if form == "roi_high" else f"under 1/{multiple:g} of"
            out.append(reason(
                CODE, f"{video.video_id}: natural traffic ROI {roi:.2f} is {side} the "
                f"{tier.replace('_', '-')} prior {prior:.2f}: check natural_plays and "
                "natural_gmv; planned as given, within the range its evidence allows",
                form=form, video=video.video_id, roi=round(roi, 2), tier=tier,
                prior=round(prior, 2), multiple=multiple))
    first = first_2h_roi(video, campaign)
    if first is not None and first > cfg.first_2h_roi_multiple * roi:
        cap = burst_roi_cap(roi, campaign)
        out.append(reason(
            CODE, f"{video.video_id}: first-2h ROI {first:.2f} is over "
            f"{cfg.first_2h_roi_multiple:g}x its natural ROI {roi:.2f}: a burst day is "
            f"valued at ROI {cap:.2f} at most",
            form="first_2h", video=video.video_id, first=round(first, 2), roi=round(roi, 2),
            multiple=cfg.first_2h_roi_multiple, cap=round(cap, 2)))
    return out


def warning_lines(reasons: list[Reason]) -> list[Line]:
    """The plan's warning lines for the flags among ``reasons`` (same code and figures)."""
    return [Line(code=CODE, params=r.params) for r in reasons if r.code == CODE]
