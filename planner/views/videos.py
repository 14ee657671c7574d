"""The Videos page's data: the roster as a table, its filters, and why a tool is off."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

import pandas as pd

from planner.config import Campaign
from planner.i18n import (
    reason_text,
    tier_name,
    tool_name,
)
from planner.models import Reason, Video, VideoScore
from planner.tools import LIVE_ROOM_TOOLS, Tool
from planner.views.labels import display_name, reasons_text

if TYPE_CHECKING:
    pass


ROSTER_COLUMNS: Final[tuple[str, ...]] = (
    "video_id", "kol_name", "tier", "age_days", "gpm", "traffic_roi", "comment_like_rate",
    "engagement_rate", "has_weight", "burst", "eligible_tools", "verdicts",
)


def roster_frame(scores: Sequence[VideoScore]) -> pd.DataFrame:
    """The scored roster: one row per video, eligible tools as a list of tool ids."""
    rows = [
        {
            "video_id": s.video_id,
            "kol_name": display_name(s.kol_name),
            "tier": s.tier,
            "age_days": s.age_days,
            "gpm": s.gpm,
            "traffic_roi": s.traffic_roi,
            "comment_like_rate": s.comment_like_rate,
            "engagement_rate": s.engagement_rate,
            "has_weight": s.has_weight,
            "burst": s.burst,
            "eligible_tools": [tool.value for tool in s.eligible_tools],
            "verdicts": reasons_text(s.reasons),
        }
        for s in scores
    ]
    return pd.DataFrame(rows, columns=list(ROSTER_COLUMNS))


def roster_display(frame: pd.DataFrame) -> pd.DataFrame:
    """The roster as a buyer reads it: tiers and eligible tools by name (ids stay for filters)."""
    shown = frame.copy()
    shown["tier"] = shown["tier"].map(tier_name)
    shown["eligible_tools"] = shown["eligible_tools"].map(lambda ids: [tool_name(i) for i in ids])
    return shown


def filter_roster(
    frame: pd.DataFrame,
    *,
    tiers: Iterable[str] = (),
    min_roi: float | None = None,
    tool: Tool | str | None = None,
) -> pd.DataFrame:
    """Rows in the given tiers (all if none), with traffic ROI >= min_roi, eligible for tool."""
    mask = pd.Series(True, index=frame.index)
    chosen = list(tiers)
    if chosen:
        mask &= frame["tier"].isin(chosen)
    if min_roi is not None:
        mask &= frame["traffic_roi"] >= min_roi
    if tool:
        wanted = Tool(tool).value
        mask &= frame["eligible_tools"].map(lambda tools: wanted in tools).astype(bool)
    return frame.loc[mask].reset_index(drop=True)


@dataclass(frozen=True)
class ToolVerdict:
    """Why one tool of the campaign's chain is not open to a video."""

    tool: Tool
    reason: Reason


# Per tool, the reason codes that close it (planner.rules); AD-tool verdicts name their tool.
_BLOCKING_CODES: Final[dict[Tool, frozenset[str]]] = {
    Tool.DOU_PLUS: frozenset({"roi_below_floor"}),
    Tool.SUIXINTUI: frozenset({"roi_below_floor"}),
    Tool.CONTENT_SERVICE: frozenset(
        {"cs_ad_review", "cs_tier_too_small", "cs_roi_below_floor", "cs_comment_like_low"}),
    Tool.KOL_BIDDING: frozenset(
        {"kol_bidding_not_authorized", "kol_bidding_ad_review", "kol_bidding_low_weight"}),
    Tool.QIANCHUAN: frozenset({"ad_tool_blocked"}),
    Tool.AD_FEED: frozenset({"ad_tool_blocked"}),
    Tool.UNI_DESK: frozenset({"ad_tool_blocked"}),
}


def why_not_eligible(video: Video, campaign: Campaign,
                     roster: Sequence[Video] | None = None) -> list[ToolVerdict]:
    """For each tool of the chain the video may not use, the rule that blocks it.

    Reads the planner's own assessment (``planner.planning.assess_roster``), so
    the reason shown is the reason the planner used; ``roster`` lets a scheduled
    post be expected from its KOL's other videos, as in the plan.
    """
    from planner.planning import assess_roster

    videos = list(roster) if roster is not None else [video]
    if all(v.video_id != video.video_id for v in videos):
        videos.append(video)
    assessment = next(a for a in assess_roster(videos, campaign)
                      if a.video.video_id == video.video_id)
    blocked: list[ToolVerdict] = []
    # The campaign's tools (switched off or not); the live room's direct buying is on the
    # room, never on a video.
    for tool in campaign.chain_tools(every=True):
        if tool in assessment.eligible or tool in LIVE_ROOM_TOOLS:
            continue
        codes = _BLOCKING_CODES[tool]
        # A switched-off tool is closed by the switch first, whatever the rules say.
        why = next((r for r in assessment.reasons
                    if r.code == "tool_disabled" and r.text.startswith(f"{tool} ")), None)
        why = why or next(
            (r for r in assessment.reasons
             if r.code in codes and (r.code != "ad_tool_blocked"
                                     or r.text.startswith(f"no {tool}:"))),
            None,
        )
        if why is not None:
            blocked.append(ToolVerdict(tool, why))
    return blocked


def reasons_frame(reasons: Iterable[Reason]) -> pd.DataFrame:
    return pd.DataFrame(
        [{"code": r.code, "reason": reason_text(r)} for r in reasons], columns=["code", "reason"]
    )
