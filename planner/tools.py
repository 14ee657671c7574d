"""The paid-traffic tools, their AIMT stage and the chains they belong to."""

from __future__ import annotations

from enum import StrEnum


class Tool(StrEnum):
    DOU_PLUS = "dou_plus"
    CONTENT_SERVICE = "content_service"
    KOL_BIDDING = "kol_bidding"
    SUIXINTUI = "suixintui"
    QIANCHUAN = "qianchuan"
    AD_FEED = "ad_feed"
    UNI_DESK = "uni_desk"
    # Qianchuan live-room promotion (千川直播间推广): buys traffic straight into the brand's
    # live room, not onto a video (closed loop, campaigns with ``live_room = true``).
    QIANCHUAN_LIVE = "qianchuan_live"


class Chain(StrEnum):
    TMALL = "tmall"
    CLOSED_LOOP = "closed_loop"


CHAIN_TOOLS: dict[Chain, tuple[Tool, ...]] = {
    Chain.TMALL: (
        Tool.DOU_PLUS,
        Tool.CONTENT_SERVICE,
        Tool.KOL_BIDDING,
        Tool.AD_FEED,
        Tool.UNI_DESK,
    ),
    Chain.CLOSED_LOOP: (
        Tool.SUIXINTUI,
        Tool.CONTENT_SERVICE,
        Tool.KOL_BIDDING,
        Tool.QIANCHUAN,
        Tool.QIANCHUAN_LIVE,
    ),
}

# The closed loop's trade stage (T) is the brand live room [seed]: its direct buying
# promotes the room itself, so its purchases and orders name the room, not a video.
LIVE_ROOM_TOOLS: frozenset[Tool] = frozenset({Tool.QIANCHUAN_LIVE})
LIVE_ROOM_ID = "live_room"

# Stage I (Influence, "saving money") versus stage M (Magnify, "withdrawing").
SEEDING_TOOLS: frozenset[Tool] = frozenset(
    {Tool.DOU_PLUS, Tool.CONTENT_SERVICE, Tool.KOL_BIDDING, Tool.SUIXINTUI}
)
HARVESTING_TOOLS: frozenset[Tool] = frozenset({Tool.QIANCHUAN, Tool.AD_FEED, Tool.UNI_DESK})

# Tools that buy on OCPM auctions: their price rises in big sales.
AUCTION_TOOLS: frozenset[Tool] = frozenset(
    {Tool.KOL_BIDDING, Tool.SUIXINTUI, Tool.QIANCHUAN, Tool.AD_FEED, Tool.UNI_DESK,
     Tool.QIANCHUAN_LIVE}
)

# Tools that promote the KOL's video as an ad and therefore need the KOL's
# authorisation and a passed ad review.
AD_TOOLS: frozenset[Tool] = frozenset(
    {Tool.KOL_BIDDING, Tool.QIANCHUAN, Tool.AD_FEED, Tool.UNI_DESK}
)

STAGE: dict[Tool, str] = {
    t: ("I" if t in SEEDING_TOOLS else "T" if t in LIVE_ROOM_TOOLS else "M") for t in Tool}

# Names buyers see in the back-ends and exports, mapped to tool ids.
TOOL_ALIASES: dict[str, Tool] = {
    "dou+": Tool.DOU_PLUS,
    "dou_plus": Tool.DOU_PLUS,
    "douplus": Tool.DOU_PLUS,
    "抖+": Tool.DOU_PLUS,
    "内容服务": Tool.CONTENT_SERVICE,
    "內容服務": Tool.CONTENT_SERVICE,
    "内容热推": Tool.CONTENT_SERVICE,
    "content_service": Tool.CONTENT_SERVICE,
    "达人竞价": Tool.KOL_BIDDING,
    "達人競價": Tool.KOL_BIDDING,
    "kol_bidding": Tool.KOL_BIDDING,
    "随心推": Tool.SUIXINTUI,
    "隨心推": Tool.SUIXINTUI,
    "suixintui": Tool.SUIXINTUI,
    "千川": Tool.QIANCHUAN,
    "qianchuan": Tool.QIANCHUAN,
    "信息流": Tool.AD_FEED,
    "ad": Tool.AD_FEED,
    "ad_feed": Tool.AD_FEED,
    "ud": Tool.UNI_DESK,
    "uni_desk": Tool.UNI_DESK,
    "unidesk": Tool.UNI_DESK,
    "阿里ud": Tool.UNI_DESK,
    "qianchuan_live": Tool.QIANCHUAN_LIVE,
    "千川直播间": Tool.QIANCHUAN_LIVE,
    "千川直播间推广": Tool.QIANCHUAN_LIVE,
    "直播间推广": Tool.QIANCHUAN_LIVE,
    "直播间直投": Tool.QIANCHUAN_LIVE,
}

TOOL_LABEL_ZH: dict[Tool, str] = {
    Tool.DOU_PLUS: "DOU+",
    Tool.CONTENT_SERVICE: "内容服务",
    Tool.KOL_BIDDING: "达人竞价",
    Tool.SUIXINTUI: "随心推",
    Tool.QIANCHUAN: "千川",
    Tool.AD_FEED: "信息流",
    Tool.UNI_DESK: "UD",
    Tool.QIANCHUAN_LIVE: "千川直播间",
}


def parse_tool(text: str) -> Tool | None:
    """Map a tool id or a buyer-facing name (any case, spaces ignored) to a Tool."""
    key = "".join(str(text).split()).lower()
    return TOOL_ALIASES.get(key)


# One colour per tool wherever a buyer sees tools side by side: the app's charts and
# 排期表 (in either language) and the workbook's chart. No tool is red or pink, so the
# big-sale shading (SALE_COLOUR, SALE_FILL) resembles none of them.
TOOL_COLOURS: dict[Tool, str] = {
    Tool.DOU_PLUS: "#4C78A8",        # blue
    Tool.CONTENT_SERVICE: "#F58518",  # orange
    Tool.KOL_BIDDING: "#54A24B",      # green
    Tool.SUIXINTUI: "#EECA3B",        # yellow
    Tool.QIANCHUAN: "#9D755D",        # brown
    Tool.AD_FEED: "#B279A2",          # purple
    Tool.UNI_DESK: "#72B7B2",         # teal
    Tool.QIANCHUAN_LIVE: "#5D4E8C",   # indigo: the live room, not a video
}
SALE_COLOUR = "#D62728"  # red, drawn faint over the sale's days in charts
SALE_FILL = "#FADBD8"  # the same red, light: sale days in tables and sheets
