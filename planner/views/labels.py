"""Shared labels for the app's pages: tools, tiers, money, KOL names, a metric."""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Final, Literal

from planner.errors import Problem
from planner.i18n import (
    reason_text,
    t,
    tool_name,
    yuan_exact,
)
from planner.models import Plan, Reason, Video
from planner.parsing import parse_number
from planner.tools import CHAIN_TOOLS, LIVE_ROOM_ID, TOOL_COLOURS, Chain, Tool

if TYPE_CHECKING:
    pass


TIERS: Final[tuple[str, ...]] = ("koc", "tail", "mid", "head", "super_head")


FloorMode = Literal["roi_floor", "break_even"]


def tool_label(tool: Tool | str) -> str:
    """The tool as buyers name it, one name per language: 内容服务 / Content service."""
    return tool_name(Tool(tool))


def tool_colours(labels: Iterable[str]) -> tuple[list[str], list[str]]:
    """The tools among ``labels`` (names as ``tool_label`` gives them), in the tools' order,
    and their colours: the domain and range of a chart's colour scale, so every tool has
    its one colour (``planner.tools.TOOL_COLOURS``) in either language."""
    present = set(labels)
    pairs = [(tool_label(tool), TOOL_COLOURS[tool]) for tool in Tool
             if tool_label(tool) in present]
    return [name for name, _ in pairs], [colour for _, colour in pairs]


def chains_of(tool: Tool) -> str:
    """Which chains carry the tool: 'tmall', 'closed_loop' or 'both'."""
    chains = [c.value for c in Chain if tool in CHAIN_TOOLS[c]]
    return "both" if len(chains) == len(Chain) else chains[0]


@dataclass(frozen=True)
class Metric:
    """One headline figure as a front end shows it."""

    label: str
    value: str
    help: str
    delta: str | None = None


def yuan(amount: float) -> str:
    """Exact yuan: '¥2,999,633' (orders, the grid, downloads)."""
    return yuan_exact(amount)


def money_text(amount: float | None) -> str:
    """An amount as a money box shows it: '3,000,000' (separators, whole yuan unless it has
    fen); '' for none."""
    if amount is None:
        return ""
    whole = f"{amount:,.0f}"
    return whole if float(amount).is_integer() else f"{amount:,.2f}"


def read_money(typed: object, box: str) -> tuple[float | None, Problem | None]:
    """What a buyer typed in the money box ``box``, as yuan: '3,000,000', '3000000', '300万',
    '300w', '¥3,000,000元' (as files' cells are read); None when empty. A typing mistake or a
    negative amount is a problem naming the box, with the fix."""
    fix = t("form.money_fix")
    try:
        amount = parse_number(typed)
    except ValueError as exc:
        return None, Problem(t("error.sentence", text=exc), file=box, fix=fix)
    if amount is not None and amount < 0:
        return None, Problem(t("error.negative", value=money_text(amount)), file=box,
                             fix=t("error.fix.positive"))
    return amount, None


def reasons_text(reasons: Iterable[Reason], sep: str = "; ") -> str:
    """Each reason in the buyer's words (its stable code stays in plan.json)."""
    return sep.join(reason_text(r) for r in reasons)


# =HYPERLINK("link","text") as a spreadsheet shows it: the text.
_HYPERLINK: Final = re.compile(
    r'^\s*=\s*HYPERLINK\(\s*"[^"]*"\s*[,;]\s*"(?P<text>[^"]*)"\s*\)\s*$', re.IGNORECASE)


def display_name(name: str) -> str:
    """A KOL's name as a buyer reads it on a chart or in a table: a name a spreadsheet
    would run as a formula shows what the spreadsheet would (``=HYPERLINK("…","点我领券")``
    as 点我领券, another ``=…`` without its ``=``). Files keep the name as it was given."""
    link = _HYPERLINK.match(name)
    if link is not None and link.group("text").strip():
        return link.group("text").strip()
    stripped = name.lstrip()
    return stripped[1:].lstrip() or name if stripped.startswith("=") else name


def kol_names(videos: Iterable[Video]) -> dict[str, str]:
    """Video id -> its KOL's display name (``display_name``)."""
    return {v.video_id: display_name(v.kol_name) for v in videos}


def video_labels(video_ids: Iterable[str], names: Mapping[str, str]) -> dict[str, str]:
    """The label a video's bar carries: its KOL's name, plus the video id when that KOL
    has several videos (or no name), so every label is unique."""
    ids = list(dict.fromkeys(video_ids))
    counts: dict[str, int] = {}
    for vid in ids:
        name = names.get(vid, "")
        counts[name] = counts.get(name, 0) + 1
    return {
        vid: names[vid] if names.get(vid) and counts[names[vid]] == 1
        else f"{names.get(vid, '')} · {vid}".strip(" ·")
        for vid in ids
    }


def plan_kol_names(plan: Plan) -> dict[str, str]:
    """Video id -> KOL display name (``display_name``), from the plan's video summaries;
    direct live-room buying by the room's name."""
    names = {v.video_id: display_name(v.kol_name) for v in plan.videos}
    if plan.live_room is not None:
        names[LIVE_ROOM_ID] = t("live_room.name")
    return names


# A table cell as the app's grid draws it at 1280x800: 14 px text, a Chinese character 14 px
# wide and a Latin letter or digit at most 7.5, 8 px in from the left edge and kept 4 px off
# the right one; a header is bold 13 px (13.5 a character) with room for its sort arrow.
# Measured on the Chromium screenshots of the walk.
CELL_WIDE_PX: Final = 14.0
CELL_NARROW_PX: Final = 7.5
CELL_PAD_PX: Final = 12.0
HEADER_WIDE_PX: Final = 13.5
HEADER_NARROW_PX: Final = 8.0
HEADER_PAD_PX: Final = 10.0


def text_px(text: str, wide: float = CELL_WIDE_PX, narrow: float = CELL_NARROW_PX) -> float:
    """How wide ``text`` draws: wide (CJK, full-width) characters and the rest."""
    count = sum(unicodedata.east_asian_width(ch) in ("W", "F") for ch in text)
    return count * wide + (len(text) - count) * narrow


def column_px(values: Iterable[object], header: str = "", least: int = 0) -> int:
    """The pixels a grid column needs to show its header and every value whole."""
    cells = [text_px(str(v)) + CELL_PAD_PX for v in values]
    head = text_px(header, HEADER_WIDE_PX, HEADER_NARROW_PX) + HEADER_PAD_PX if header else 0.0
    return max(least, math.ceil(max([head, *cells])))


def heading_date(day: date) -> str:
    """A date for a heading that never wraps inside itself ("…至 2027-" / "06-20"): its
    hyphens non-breaking (U+2011), so a narrow page breaks the line before the date."""
    return day.isoformat().replace("-", "\u2011")
