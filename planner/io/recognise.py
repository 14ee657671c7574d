"""Recognise a file by its headers as one of the exports buyers download, and read it.

The layouts are data (``LAYOUTS``): the headers that identify each export, and for
every planner column the export's headers that fill it, in order of preference
(docs/exports.md). A file is read as:

- the planner's own actuals or videos file, when it has every required column
  (today's format, unchanged);
- else the export whose identifying headers are all present (the most specific
  one when several are);
- else it is refused, saying what each layout expected.

Headers the layout does not use are listed, never guessed at. Every cell then goes
through the one normaliser (``planner.io.cells.read_normalised``) and the
column parsers of ``planner.io.raw``.

Actuals from several files merge by date, video and tool (``read_actual_sources``):
a DOU+ or AD report's spend has no GMV; a shop's GMV file keyed by video or
tracking link fills it (``join_gmv``). Spend still without GMV is kept with its GMV
unknown (never 0, never guessed) and reported; a GMV file of a later morning joins it
in the store.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Final, Literal
from urllib.parse import parse_qs, urlsplit

import pandas as pd

from planner.config import DEFAULT_GMV_FAMILY, Campaign, GmvFamily
from planner.errors import InputError, Problem
from planner.i18n import has, t, tool_name
from planner.io.cells import header_key, read_normalised
from planner.io.raw import (
    ACTUALS_COLUMNS,
    MAX_COUNT,
    VIDEO_COLUMNS,
    ColumnSpec,
    _actuals_frame,
    _parse_cells,
    read_actuals,
    read_table,
    source_columns,
)
from planner.models import Video
from planner.tools import Tool, parse_tool

Kind = Literal["actuals", "gmv", "roster"]
# Where a file's GMV comes from: a 千川 family, the shop's own figures, the planner's
# file as the buyer filled it, or none at all (DOU+ and AD reports).
Family = Literal["direct", "overall", "net", "shop", "given", "none"]

PLANNER_ACTUALS: Final = "planner_actuals"
PLANNER_ROSTER: Final = "planner_roster"


@dataclass(frozen=True)
class Fill:
    """A planner column and the export's headers that fill it, in order of preference.

    ``fallback`` headers fill it only when none of ``headers`` is there (plays read
    from impressions when the report has no play count, and the reader says so).
    """

    column: str
    headers: tuple[str, ...]
    required: bool = False
    link: bool = False  # the cell is a Douyin video link: its video id is read out of it
    fallback: tuple[str, ...] = ()


@dataclass(frozen=True)
class Layout:
    """One export: how to know it (every ``signature`` group present, no ``excludes``
    header) and how its columns become the planner's."""

    id: str
    kind: Kind
    signature: tuple[tuple[str, ...], ...]
    fills: tuple[Fill, ...]
    tool: Tool | None = None  # the tool every row is, unless ``tool_headers`` say otherwise
    tool_headers: tuple[str, ...] = ()  # a column whose cell names the tool (随心推)
    group_headers: tuple[str, ...] = ()  # ad group id / name, looked up in [ad_groups]
    link_headers: tuple[str, ...] = ()  # a tracking link, matched to a roster video
    gmv_by_family: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    orders_by_family: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    excludes: tuple[str, ...] = ()
    # The one GMV family a report that has a single GMV column counts (its ``gmv`` fill).
    family: Family | None = None
    order_headers: tuple[str, ...] = ()  # an order id: a row repeated under it counts once
    # What a bare money figure (spend, GMV) is multiplied by to be yuan: an API's fen
    # (0.01) or 1/1000 fen (0.00001); None: yuan, or the header's own unit.
    money_scale: float | None = None
    # Rows whose content id is empty are the shop's GMV no video can be given (抖店).
    unattributed_rows: bool = False

    @property
    def label(self) -> str:
        return t(f"export.layout.{self.id}")

    @property
    def headers(self) -> tuple[str, ...]:
        """Every header the layout knows (identifies it or reads it)."""
        found = [h for group in self.signature for h in group]
        found += [h for f in self.fills for h in (*f.headers, *f.fallback)]
        found += [*self.tool_headers, *self.group_headers, *self.link_headers,
                  *self.order_headers, *self.excludes]
        found += [h for hs in self.gmv_by_family.values() for h in hs]
        found += [h for hs in self.orders_by_family.values() for h in hs]
        return tuple(dict.fromkeys(found))


_SPEND_HEADERS: Final = ("消耗", "整体消耗", "实际消耗", "总花费", "花费", "spend", "stat_cost")
# Plays are plays: a play count wins over impressions (展示/展现), which are kept as
# impressions and fill plays only when the report has no play count.
_PLAYS: Final = ("视频播放数", "播放数", "播放次数", "播放量")
_DATES: Final = ("日期", "时间")
# API fields (巨量引擎 / 千川 / DOU+ report endpoints, saved as JSON or CSV).
_API_DATES: Final = ("stat_time_day", "stat_datetime", "stat_time", "date")
_API_VIDEOS: Final = ("item_id", "aweme_item_id", "material_id", "video_id")
_API_GROUPS: Final = ("cdp_promotion_id", "promotion_id", "ad_id", "cdp_project_id",
                      "project_id", "campaign_id")
# 巨量广告 ad groups, finest first: v3 广告 (promotion) under 项目 (project); before v3
# 广告计划 (plan) under 广告组 (group). [ad_groups] may name any level.
_AD_GROUPS: Final = ("广告ID", "广告名称", "广告计划id", "广告计划", "广告计划名称", "项目ID",
                     "项目名称", "广告组id", "广告组", "广告", "项目")
FEN: Final = 0.01
THOUSANDTH_FEN: Final = 0.00001

LAYOUTS: Final[tuple[Layout, ...]] = (
    Layout(
        # 千川 全域推广 / 标准推广 素材 or 计划 report with 整体 / 直接 / 净成交 columns.
        "qianchuan_report", "actuals",
        signature=(("展示次数", "整体展现次数", "视频播放数", "播放数"), ("整体消耗", "消耗"),
                   ("直接成交金额", "整体成交金额", "净成交金额", "直接支付ROI", "整体支付ROI",
                    "净成交ROI")),
        fills=(
            Fill("date", _DATES, required=True),
            Fill("video_id", ("素材ID", "视频ID")),
            Fill("spend", ("整体消耗", "消耗"), required=True),
            Fill("plays", _PLAYS, required=True, fallback=("整体展现次数", "展示次数")),
            Fill("impressions", ("整体展现次数", "展示次数")),
            Fill("clicks", ("整体点击次数", "点击次数", "点击数")),
        ),
        tool=Tool.QIANCHUAN, tool_headers=("推广方式", "投放工具", "营销场景", "工具"),
        group_headers=("计划ID", "计划名称"),
        gmv_by_family={"direct": ("直接成交金额",), "overall": ("整体成交金额",),
                       "net": ("净成交金额",)},
        orders_by_family={"direct": ("直接成交订单数", "直接成交笔数"),
                          "overall": ("整体成交订单数",), "net": ("净成交订单数",)},
    ),
    Layout(
        # 千川 标准推广 计划 report: keyed by 广告计划ID / 广告计划名称 ([ad_groups]), often
        # without a date (the range was chosen on screen: FILE@YYYY-MM-DD gives it).
        "qianchuan_standard_plan", "actuals",
        signature=(("广告计划ID", "广告计划名称"), ("消耗",), ("直接成交金额", "直接支付ROI"),
                   ("展示次数",)),
        fills=(
            Fill("date", _DATES, required=True),
            Fill("spend", ("消耗",), required=True),
            Fill("plays", _PLAYS, required=True, fallback=("展示次数",)),
            Fill("impressions", ("展示次数",)),
            Fill("clicks", ("点击数", "点击次数")),
            Fill("gmv", ("直接成交金额",)),
            Fill("orders", ("直接成交笔数", "直接成交订单数")),
        ),
        tool=Tool.QIANCHUAN, group_headers=("广告计划ID", "广告计划名称"), family="direct",
    ),
    Layout(
        "dou_plus_orders", "actuals",
        signature=(("订单ID",), ("视频ID", "item_id", "作品ID"), ("实际消耗", "消耗")),
        fills=(
            Fill("date", ("日期", "时间", "下单时间"), required=True),
            Fill("video_id", ("视频ID", "item_id", "作品ID"), required=True),
            Fill("spend", ("实际消耗", "消耗"), required=True),
            Fill("plays", ("播放次数", "播放量", "播放数"), required=True),
            Fill("likes", ("点赞数",)),
            Fill("comments", ("评论数",)),
        ),
        tool=Tool.DOU_PLUS, order_headers=("订单ID",),
    ),
    Layout(
        # 随心推 order list: the order's own GMV (成交订单金额) is its direct GMV.
        "suixintui_orders", "actuals",
        signature=(("消耗",), ("播放次数",), ("支付ROI", "成交订单金额")),
        fills=(
            Fill("date", ("日期", "时间", "下单时间", "创建时间"), required=True),
            Fill("video_id", ("视频ID", "作品ID", "item_id", "视频链接", "作品链接"),
                 required=True, link=True),
            Fill("spend", ("消耗",), required=True),
            Fill("plays", ("播放次数", "播放量"), required=True),
            Fill("gmv", ("成交订单金额", "成交金额")),
            Fill("orders", ("成交订单数", "成交订单量")),
            Fill("likes", ("点赞数", "点赞次数")),
            Fill("comments", ("评论数", "评论次数")),
        ),
        tool=Tool.SUIXINTUI, family="direct", order_headers=("订单ID", "订单号"),
    ),
    Layout(
        # 巨量广告 daily report, before v3 (广告组 / 广告计划) and in v3 (项目 / 广告).
        "ad_daily", "actuals",
        signature=(_AD_GROUPS, ("展示数", "展示次数"), ("总花费", "消耗")),
        fills=(
            Fill("date", ("时间", "日期"), required=True),
            Fill("video_id", ("视频ID", "素材ID")),
            Fill("spend", ("总花费", "消耗"), required=True),
            Fill("plays", _PLAYS, required=True, fallback=("展示数", "展示次数")),
            Fill("impressions", ("展示数", "展示次数")),
            Fill("clicks", ("点击数",)),
        ),
        group_headers=_AD_GROUPS,
    ),
    Layout(
        # 千川 全域推广 report API (*_for_roi2 fields): money in 1/1000 fen.
        "qianchuan_uni_api", "actuals",
        signature=(("stat_cost_for_roi2", "stat_cost"),
                   ("total_pay_order_gmv_include_coupon_for_roi2", "total_pay_order_gmv_for_roi2",
                    "total_order_settle_amount_for_roi2_1h", "total_prepay_and_pay_order_roi2")),
        fills=(
            Fill("date", _API_DATES, required=True),
            Fill("video_id", _API_VIDEOS),
            Fill("spend", ("stat_cost_for_roi2", "stat_cost"), required=True),
            Fill("plays", ("total_play",), required=True, fallback=("show_cnt",)),
            Fill("impressions", ("show_cnt",)),
            Fill("clicks", ("click_cnt",)),
        ),
        tool=Tool.QIANCHUAN, group_headers=("ad_id", "campaign_id"),
        gmv_by_family={"overall": ("total_pay_order_gmv_include_coupon_for_roi2",
                                   "total_pay_order_gmv_for_roi2"),
                       "net": ("total_order_settle_amount_for_roi2_1h",)},
        orders_by_family={"overall": ("total_pay_order_count_for_roi2",),
                          "net": ("total_order_settle_count_for_roi2_1h",)},
        money_scale=THOUSANDTH_FEN,
    ),
    Layout(
        # 千川 标准推广 report API (advertiser / ad / material): money in yuan.
        "qianchuan_api", "actuals",
        signature=(("stat_cost",), ("show_cnt",),
                   ("pay_order_amount", "pay_order_count", "prepay_and_pay_order_roi")),
        fills=(
            Fill("date", _API_DATES, required=True),
            Fill("video_id", _API_VIDEOS),
            Fill("spend", ("stat_cost",), required=True),
            Fill("plays", ("total_play",), required=True, fallback=("show_cnt",)),
            Fill("impressions", ("show_cnt",)),
            Fill("clicks", ("click_cnt",)),
            Fill("gmv", ("pay_order_amount",)),
            Fill("orders", ("pay_order_count",)),
        ),
        tool=Tool.QIANCHUAN, group_headers=("ad_id", "campaign_id"), family="direct",
    ),
    Layout(
        # 巨量引擎 report API (project / promotion, or the older ad / campaign): yuan.
        "ad_api", "actuals",
        signature=(_API_GROUPS, ("stat_cost",), ("show_cnt",)),
        fills=(
            Fill("date", _API_DATES, required=True),
            Fill("video_id", ("item_id", "material_id", "video_id")),
            Fill("spend", ("stat_cost",), required=True),
            Fill("plays", ("total_play",), required=True, fallback=("show_cnt",)),
            Fill("impressions", ("show_cnt",)),
            Fill("clicks", ("click_cnt",)),
        ),
        group_headers=_API_GROUPS,
    ),
    Layout(
        # DOU+ order report API (/douplus/order/report): money in fen, no GMV.
        "dou_plus_api", "actuals",
        signature=(("order_id",), ("item_id",), ("stat_cost",)),
        fills=(
            Fill("date", _API_DATES, required=True),
            Fill("video_id", ("item_id",), required=True),
            Fill("spend", ("stat_cost",), required=True),
            Fill("plays", ("total_play",), required=True, fallback=("show_cnt",)),
            Fill("impressions", ("show_cnt",)),
            Fill("clicks", ("click_cnt",)),
            Fill("likes", ("dy_like",)),
            Fill("comments", ("dy_comment",)),
        ),
        tool=Tool.DOU_PLUS, order_headers=("order_id",), money_scale=FEN,
    ),
    Layout(
        "shop_gmv", "gmv",
        signature=(("成交金额", "成交额", "支付金额", "GMV", "支付GMV"),
                   ("视频ID", "video_id", "utm_content", "追踪链接", "推广链接", "链接")),
        fills=(
            Fill("date", ("日期", "支付日期", "date"), required=True),
            Fill("video_id", ("视频ID", "video_id")),
            Fill("gmv", ("成交金额", "成交额", "支付金额", "GMV", "支付GMV"), required=True),
            Fill("orders", ("订单数", "成交订单数", "支付订单数")),
        ),
        tool_headers=("工具", "投放工具", "utm_medium"),
        link_headers=("utm_content", "追踪链接", "推广链接", "链接"),
        excludes=_SPEND_HEADERS,
    ),
    Layout(
        # 抖店 order export: one row per (sub-)order, ids prefixed with a tab. GMV goes to a
        # video only where the row names its content; the rest is the shop's, per day.
        "doudian_orders", "gmv",
        signature=(("流量来源", "流量体裁", "流量渠道", "流量类型"),
                   ("主订单编号", "子订单编号", "订单编号", "订单号"),
                   ("订单应付金额", "实付金额", "支付金额", "商品金额")),
        fills=(
            Fill("date", ("支付完成时间", "支付时间", "订单提交时间", "下单时间"), required=True),
            Fill("video_id", ("内容ID", "视频ID", "作品ID", "素材ID")),
            Fill("gmv", ("订单应付金额", "实付金额", "支付金额", "商品金额"), required=True),
        ),
        order_headers=("子订单编号", "主订单编号", "订单编号", "订单号"),
        unattributed_rows=True,
    ),
    Layout(
        # 星图 creator list (达人广场 export): one row per creator, with the columns a buyer
        # adds for a booked post (视频ID or the 星图ID itself, 发布时间).
        "xingtu_creators", "roster",
        signature=(("星图ID",), ("达人昵称", "抖音昵称"),
                   ("1-20s报价", "21-60s报价", "1-20s视频报价", "21-60s视频报价", "60s+视频报价")),
        fills=(
            Fill("video_id", ("视频ID", "星图ID"), required=True),
            Fill("kol_name", ("达人昵称", "抖音昵称"), required=True),
            Fill("followers", ("粉丝", "粉丝数"), required=True),
            Fill("median_plays", ("播放中位数", "30天个人视频播放量中位数"), required=True),
            Fill("publish_date", ("发布时间",), required=True),
            Fill("kol_fee", ("21-60s报价", "21-60s视频报价", "1-20s报价", "1-20s视频报价",
                             "60s+视频报价")),
        ),
    ),
    Layout(
        # 星图 creator data panel (数据概览): 30-day median plays per creator.
        "xingtu_panel", "roster",
        signature=(("星图ID", "达人ID"), ("30天个人视频播放量中位数",)),
        fills=(
            Fill("video_id", ("视频ID", "星图ID", "达人ID"), required=True),
            Fill("kol_name", ("达人昵称", "抖音昵称", "达人名称"), required=True),
            Fill("followers", ("粉丝", "粉丝数"), required=True),
            Fill("median_plays", ("30天个人视频播放量中位数",), required=True),
            Fill("publish_date", ("发布时间",), required=True),
            Fill("kol_fee", ("21-60s视频报价", "1-20s视频报价", "60s+视频报价")),
        ),
    ),
    Layout(
        "xingtu_task", "roster",
        signature=(("达人名称",), ("执行金额",), ("总互动量", "组件点击量")),
        fills=(
            Fill("video_id", ("视频ID", "任务ID", "视频链接"), required=True, link=True),
            Fill("kol_name", ("达人名称",), required=True),
            Fill("followers", ("粉丝数", "粉丝"), required=True),
            Fill("median_plays", ("播放中位数",), required=True),
            Fill("publish_date", ("发布时间",), required=True),
            Fill("natural_plays", ("播放量",)),
            Fill("natural_gmv", ("成交金额", "自然成交额", "GMV")),
            Fill("likes", ("点赞量",)),
            Fill("comments", ("评论量",)),
            Fill("shares", ("分享量",)),
            Fill("kol_fee", ("执行金额",)),
        ),
    ),
    Layout(
        "chanmama_videos", "roster",
        signature=(("视频标题", "视频名称"), ("达人", "达人名称", "达人昵称", "达主"),
                   ("预估销售额", "销售额")),
        fills=(
            Fill("video_id", ("视频ID", "视频链接"), required=True, link=True),
            Fill("kol_name", ("达人昵称", "达人名称", "达人", "达主"), required=True),
            Fill("followers", ("粉丝数", "粉丝"), required=True),
            Fill("median_plays", ("播放中位数",), required=True),
            Fill("publish_date", ("发布时间",), required=True),
            Fill("natural_plays", ("预估播放量", "播放量")),
            Fill("natural_gmv", ("预估销售额", "销售额")),
            Fill("likes", ("点赞数",)),
            Fill("comments", ("评论数",)),
            Fill("shares", ("分享数", "转发数")),
            Fill("product", ("商品", "商品名称")),
        ),
    ),
)

_SPECS: Final[dict[str, ColumnSpec]] = {
    **{s.name: s for s in (*ACTUALS_COLUMNS, *VIDEO_COLUMNS)},
    # Read and shown (planner inspect), not stored: plays are what the planner learns from.
    "impressions": ColumnSpec("impressions", (), "int", False, MAX_COUNT),
}
_VIDEO_SPECS: Final[dict[str, ColumnSpec]] = {s.name: s for s in VIDEO_COLUMNS}
_VIDEO_LINK_RE: Final = re.compile(r"/video/([0-9]{6,})|([0-9]{15,})")
# Columns a report adds up when it holds several rows for one date, video and tool
# (a DOU+ export has one row per order).
_SUMMED: Final = ("spend", "gmv", "plays", "orders", "clicks", "likes", "comments",
                  "impressions")
_MONEY: Final = frozenset({"spend", "gmv"})
# A date cell that stands for the whole period: the row is a per-material total.
_PERIOD_WORDS: Final = frozenset({"全部", "全部日期", "汇总", "合计", "总计", "小计"})
# "report.csv@2027-04-22": the date of a report that has no date column.
_DATED_RE: Final = re.compile(r"^(?P<file>.+)@(?P<day>[0-9]{4}-[0-9]{2}-[0-9]{2})$")


def _planner_keys() -> frozenset[str]:
    return frozenset(header_key(h) for spec in (*ACTUALS_COLUMNS, *VIDEO_COLUMNS)
                     for h in spec.headers)


def _header_specs() -> tuple[ColumnSpec, ...]:
    """One spec per header any layout or planner file knows: finds the header row."""
    keys: dict[str, str] = {}
    for spec in (*ACTUALS_COLUMNS, *VIDEO_COLUMNS):
        for header in spec.headers:
            keys.setdefault(header_key(header), header)
    for layout in LAYOUTS:
        for header in layout.headers:
            keys.setdefault(header_key(header), header)
    return tuple(ColumnSpec(f"header:{key}", (header,)) for key, header in keys.items())


PLANNER_KEYS: Final = _planner_keys()
# Headers only the platforms write: a file with several of them is an export, never the
# planner's own file with columns missing.
PLATFORM_KEYS: Final = frozenset(
    header_key(h) for layout in LAYOUTS for h in layout.headers) - PLANNER_KEYS
HEADER_SPECS: Final = _header_specs()


# ---------------------------------------------------------------- recognising


@dataclass(frozen=True)
class Recognised:
    """What a file is: its layout (None for the planner's own file), and its headers."""

    file: str
    kind: Kind
    layout: Layout | None
    headers: tuple[str, ...]  # as written in the file
    others: tuple[Layout, ...] = ()  # other layouts the headers fit (not chosen)

    @property
    def layout_id(self) -> str:
        if self.layout is not None:
            return self.layout.id
        return PLANNER_ACTUALS if self.kind == "actuals" else PLANNER_ROSTER

    @property
    def label(self) -> str:
        return t(f"export.layout.{self.layout_id}")

    def find(self, candidates: Sequence[str]) -> str | None:
        """The file's header for the first of ``candidates`` it has."""
        by_key = {header_key(h): h for h in reversed(self.headers)}
        for candidate in candidates:
            found = by_key.get(header_key(candidate))
            if found is not None:
                return found
        return None


def _planner_share(keys: set[str], specs: Sequence[ColumnSpec]) -> float:
    """Share of the planner format's required columns the file has."""
    required = [s for s in specs if s.required]
    return _planner_count(keys, specs) / len(required)


def _planner_count(keys: set[str], specs: Sequence[ColumnSpec]) -> int:
    return sum(any(header_key(h) in keys for h in s.headers) for s in specs if s.required)


def _layout_count(layout: Layout, keys: set[str]) -> int:
    return sum(any(header_key(h) in keys for h in group) for group in layout.signature)


def _layout_reads(layout: Layout, keys: set[str]) -> int:
    """How many of the file's headers the layout knows."""
    return len({header_key(h) for h in layout.headers} & keys)


def _has_required(layout: Layout, keys: set[str], family: GmvFamily) -> bool:
    """Every column the layout needs is there (the date may be given as FILE@date, the
    video by an ad group or a link), the GMV of the campaign's family too."""
    if layout.gmv_by_family and not any(
            header_key(h) in keys for h in layout.gmv_by_family.get(family, ())):
        return False
    for fill in layout.fills:
        if not fill.required or fill.column == "date":
            continue
        if any(header_key(h) in keys for h in (*fill.headers, *fill.fallback)):
            continue
        if fill.column == "video_id" and any(
                header_key(h) in keys for h in (*layout.group_headers, *layout.link_headers)):
            continue
        return False
    return True


def _matches(layout: Layout, keys: set[str]) -> bool:
    return (all(any(header_key(h) in keys for h in group) for group in layout.signature)
            and not any(header_key(h) in keys for h in layout.excludes))


def _own_specs(kind: Kind) -> Sequence[ColumnSpec]:
    return ACTUALS_COLUMNS if kind == "actuals" else VIDEO_COLUMNS


def _rank(layout: Layout, keys: set[str], family: GmvFamily) -> tuple[bool, int]:
    """The rule that chooses among layouts a file's headers fit: first one whose every
    needed column is there, then the one that knows more of the file's headers, then the
    first in the catalogue (LAYOUTS)."""
    return _has_required(layout, keys, family), _layout_reads(layout, keys)


def recognise(raw: pd.DataFrame, file: str, kinds: Sequence[Kind],
              gmv_family: GmvFamily = DEFAULT_GMV_FAMILY) -> Recognised:
    """The layout of a file whose cells ``raw`` holds (``read_table``), among ``kinds``.

    The planner's own format wins when the file has all its required columns; an
    export when all its identifying headers are there (when the headers fit several,
    ``_rank`` chooses and the note says which and why). A file that is neither but has
    more of the planner's required columns than of any export's identifying headers,
    and at most one header only the platforms write, is read as the planner's own (its
    reader names what is missing, as it always has). Otherwise raises InputError naming
    the closest layouts, the headers each lacks and the headers no layout knows.
    """
    headers = tuple(str(c) for c in raw.columns)
    keys = {header_key(h) for h in headers}
    own: list[Kind] = [k for k in ("actuals", "roster") if k in kinds]
    for kind in own:
        if _planner_share(keys, _own_specs(kind)) == 1:
            return Recognised(file, kind, None, headers)
    found = [layout for layout in LAYOUTS if layout.kind in kinds and _matches(layout, keys)]
    if found:
        best = found[0]
        for layout in found[1:]:
            if _rank(layout, keys, gmv_family) > _rank(best, keys, gmv_family):
                best = layout
        others = tuple(layout for layout in found if layout is not best)
        return Recognised(file, best.kind, best, headers, others)
    closest = max((_layout_count(layout, keys) for layout in LAYOUTS if layout.kind in kinds),
                  default=0)
    platform = len(keys & PLATFORM_KEYS)
    for kind in own:
        if _planner_count(keys, _own_specs(kind)) > closest and platform < 2:
            return Recognised(file, kind, None, headers)
    raise InputError(_unrecognised(headers, file, kinds, keys))


_CLOSEST: Final = 3  # layouts named for a file that fits none


def _unrecognised(headers: Sequence[str], file: str, kinds: Sequence[Kind],
                  keys: set[str]) -> list[Problem]:
    shown = t("list.sep").join(headers[:15]) + (" …" if len(headers) > 15 else "")
    problems = [Problem(t("export.unrecognised", headers=shown), file=file,
                        fix=t("export.unrecognised_fix"))]
    known = PLANNER_KEYS | PLATFORM_KEYS
    unknown = [h for h in headers if header_key(h) not in known]
    if unknown:
        problems.append(Problem(
            t("export.headers_unknown", headers=t("list.sep").join(unknown[:15])
              + (" …" if len(unknown) > 15 else "")),
            file=file, fix=t("export.headers_unknown_fix")))
    own: list[tuple[str, Sequence[ColumnSpec]]] = []
    if "actuals" in kinds:
        own.append((PLANNER_ACTUALS, ACTUALS_COLUMNS))
    if "roster" in kinds:
        own.append((PLANNER_ROSTER, VIDEO_COLUMNS))
    if len(keys & PLATFORM_KEYS) < 2:
        for layout_id, specs in own:
            missing = [s.name for s in specs
                       if s.required and not any(header_key(h) in keys for h in s.headers)]
            problems.append(Problem(
                t("export.layout_expected", layout=t(f"export.layout.{layout_id}"),
                  expected=t("list.sep").join(s.name for s in specs if s.required),
                  missing=t("list.sep").join(missing)),
                file=file, column=missing[0] if missing else None,
                fix=t("export.layout_expected_fix")))
    candidates = [layout for layout in LAYOUTS if layout.kind in kinds]
    # The closest layouts: most identifying headers present, then most headers known.
    # A file that fits none at all is told every layout.
    candidates.sort(key=lambda layout: (-_layout_count(layout, keys),
                                        -_layout_reads(layout, keys)))
    if candidates and _layout_reads(candidates[0], keys) > 0:
        candidates = candidates[:_CLOSEST]
    for layout in candidates:
        groups = [" / ".join(group) for group in layout.signature]
        missing = [" / ".join(group) for group in layout.signature
                   if not any(header_key(h) in keys for h in group)]
        extra = [h for h in layout.excludes if header_key(h) in keys]
        excluded = t("export.layout_excluded", headers=t("list.sep").join(extra))
        problems.append(Problem(
            t("export.layout_expected", layout=layout.label, expected="; ".join(groups),
              missing="; ".join(missing) or excluded),
            file=file, column=missing[0] if missing else None,
            fix=t("export.layout_expected_fix")))
    return problems


def several_note(recognised: Recognised) -> str | None:
    """What the reader says when a file's headers fit several layouts: both, and the rule."""
    if not recognised.others or recognised.layout is None:
        return None
    return t("export.several_layouts", file=recognised.file, chosen=recognised.layout.label,
             others=t("list.sep").join(layout.label for layout in recognised.others))


# ---------------------------------------------------------------- mapping


@dataclass(frozen=True)
class Mapped:
    """A recognised file read into planner columns (raw cells, normalised)."""

    recognised: Recognised
    table: pd.DataFrame  # canonical columns, index = the buyer's row numbers
    mapping: tuple[tuple[str, str], ...]  # (header in the file, what the planner reads it as)
    unused: tuple[str, ...]  # headers the planner does not read
    notes: tuple[str, ...]
    specs: tuple[ColumnSpec, ...]
    family: Family
    tool_header: str | None = None
    group_headers: tuple[str, ...] = ()  # every ad-group id / name column the file has
    link_header: str | None = None
    order_header: str | None = None

    @property
    def group_header(self) -> str | None:
        return self.group_headers[0] if self.group_headers else None


def _spec(column: str, header: str, required: bool, scale: float | None = None) -> ColumnSpec:
    base = _SPECS[column]
    return ColumnSpec(column, (header,), base.kind, required, base.max_value, base.live_only,
                      scale)


def _extra_spec(name: str, header: str) -> ColumnSpec:
    return ColumnSpec(name, (header,), "str")


def split_dated(path: Path) -> tuple[Path, date | None]:
    """``report.csv@2027-04-22`` as (report.csv, its date); any other path as it is.

    A report downloaded without a date column (千川 标准推广, the range chosen on
    screen) is given its date this way; a file whose own name ends so is read as named.
    """
    match = _DATED_RE.match(str(path))
    if match is None or path.exists():
        return path, None
    try:
        return Path(match["file"]), date.fromisoformat(match["day"])
    except ValueError:
        raise InputError(Problem(
            t("export.dated_bad", day=match["day"]), file=Path(match["file"]).name,
            fix=t("export.dated_fix", file=Path(match["file"]).name))) from None


def _read_raw(path: Path, kinds: Sequence[Kind]) -> pd.DataFrame:
    # The planner's own file is read exactly as it always was (its header found by its
    # own columns); an export is read again with every header a layout knows.
    own: list[Kind] = [k for k in ("actuals", "roster") if k in kinds]
    api = "actuals" in kinds  # report APIs' saved JSON responses are actuals
    raw = read_table(path, _own_specs(own[0]) if len(own) == 1 else HEADER_SPECS,
                     allow_json=api)
    keys = {header_key(str(c)) for c in raw.columns}
    if not (len(own) == 1 and _planner_share(keys, _own_specs(own[0])) == 1):
        raw = read_table(path, HEADER_SPECS, allow_json=api)
    return raw


def map_file(path: Path, kinds: Sequence[Kind], campaign: Campaign | None = None,
             raw: pd.DataFrame | None = None, *, day: date | None = None) -> Mapped:
    """Recognise ``path`` among ``kinds`` and read it into planner columns. ``day`` is the
    date given with the file (``FILE@YYYY-MM-DD``), for a report without a date column."""
    name = path.name
    if raw is None:
        raw = _read_raw(path, kinds)
    recognised = recognise(raw, name, kinds,
                           DEFAULT_GMV_FAMILY if campaign is None else campaign.gmv_family)
    layout = recognised.layout
    if layout is None:
        own_specs = _own_specs(recognised.kind)
        table, notes = read_normalised(path, own_specs, raw=raw)
        headers = source_columns(table)
        mapping = tuple((headers[c], c) for c in table.columns)
        used = {h for h, _ in mapping}
        unused = tuple(h for h in recognised.headers if h not in used)
        family: Family = "given" if recognised.kind == "actuals" else "none"
        return Mapped(recognised, table, mapping, unused, tuple(notes), tuple(own_specs),
                      family)
    specs: list[ColumnSpec] = []
    problems: list[Problem] = []
    early_notes: list[str] = []
    several = several_note(recognised)
    if several is not None:
        early_notes.append(several)
    taken: set[str] = set()
    family = "none"
    for fill in layout.fills:
        header = recognised.find(fill.headers)
        if header is None and fill.fallback:
            header = recognised.find(fill.fallback)
            if header is not None:
                early_notes.append(t("export.plays_from_impressions", file=name, header=header))
        if header is not None and header in taken:
            continue  # impressions already read as plays
        scale = layout.money_scale if fill.column in _MONEY else None
        if header is not None:
            specs.append(_spec(fill.column, header, fill.required, scale))
            taken.add(header)
            if fill.column == "gmv" and layout.family is not None:
                family = layout.family
        elif fill.column == "date" and fill.required:
            if day is None:
                problems.append(Problem(
                    t("export.date_missing", layout=layout.label,
                      headers=" / ".join(fill.headers)),
                    file=name, column=fill.headers[0],
                    fix=t("export.dated_fix", file=name)))
        elif fill.required and not (fill.column == "video_id" and (
                recognised.find(layout.group_headers) or recognised.find(layout.link_headers))):
            problems.append(Problem(
                t("export.column_missing", layout=layout.label, column=fill.column,
                  headers=" / ".join(fill.headers)),
                file=name, column=fill.headers[0],
                fix=t("export.column_missing_fix", headers=" / ".join(fill.headers))))
    if layout.gmv_by_family:
        chosen: GmvFamily = campaign.gmv_family if campaign is not None else "overall"
        header = recognised.find(layout.gmv_by_family.get(chosen, ()))
        if header is None:
            present = [f for f, hs in layout.gmv_by_family.items() if recognised.find(hs)]
            wanted = layout.gmv_by_family.get(chosen, ()) or tuple(
                h for hs in layout.gmv_by_family.values() for h in hs)
            problems.append(Problem(
                t("export.family_missing", family=t(f"export.family.{chosen}"),
                  headers=" / ".join(wanted)),
                file=name, column=wanted[0],
                fix=t("export.family_missing_fix",
                      families=", ".join(f'gmv_family = "{f}"' for f in present) or "-")))
        else:
            specs.append(_spec("gmv", header, False, layout.money_scale))
            family = chosen
        orders = recognised.find(layout.orders_by_family.get(chosen, ()))
        if orders is not None:
            specs.append(_spec("orders", orders, False))
    elif layout.kind == "gmv":
        family = "shop"
    if problems:
        raise InputError(problems)
    groups = tuple(h for h in (recognised.find((g,)) for g in layout.group_headers) if h)
    extras: dict[str, str | None] = {
        "tool_header": recognised.find(layout.tool_headers),
        "link_header": recognised.find(layout.link_headers),
        "order_header": recognised.find(layout.order_headers),
        **{f"group_header_{i}": header for i, header in enumerate(groups)},
    }
    for key, header in extras.items():
        if header is not None:
            specs.append(_extra_spec(key, header))
    table, notes = read_normalised(path, specs, raw=raw)
    headers = source_columns(table)
    mapping = tuple((headers[s.name], s.name) for s in specs if s.name in headers)
    used = {h for h, _ in mapping}
    unused = tuple(h for h in recognised.headers if h not in used)
    # normalise_columns says "ignored N columns" in English; the mapping says it better.
    notes = early_notes + [n for n in notes if not n.startswith(f"{name}: ignored ")]
    if unused:
        notes.append(unused_note(name, unused))
    return Mapped(recognised, table, mapping, unused, tuple(notes), tuple(specs), family,
                  tool_header=extras["tool_header"], group_headers=groups,
                  link_header=extras["link_header"], order_header=extras["order_header"])


def unused_note(file: str, unused: Sequence[str]) -> str:
    """The warning that lists the columns the planner does not read."""
    return t("export.unused_columns", file=file, count=len(unused),
             headers=t("list.sep").join(unused[:10]) + (" …" if len(unused) > 10 else ""))


def video_id_from_link(text: str) -> str | None:
    """The video id in a Douyin video link (https://www.douyin.com/video/7234...)."""
    match = _VIDEO_LINK_RE.search(text)
    if match is None:
        return None
    return match.group(1) or match.group(2)


# ---------------------------------------------------------------- roster


def read_roster_table(path: Path) -> tuple[pd.DataFrame, list[str]]:
    """The videos file, or a 星图 / 蝉妈妈 export, as canonical roster columns (raw cells).

    A live-only column (natural plays, GMV, likes, comments) the export lacks is added
    empty: scheduled posts need none, and a live post's row then says what is missing.
    """
    mapped = map_file(path, ("roster",))
    if mapped.recognised.layout is None:
        return mapped.table, list(mapped.notes)
    table = mapped.table.copy()
    table.attrs = dict(mapped.table.attrs)
    links = [f.column for f in mapped.recognised.layout.fills if f.link]
    headers = source_columns(table)
    for column in links:
        if column in table.columns:
            table[column] = [
                (video_id_from_link(cell) or cell) if isinstance(cell, str) else cell
                for cell in table[column]
            ]
    for spec in VIDEO_COLUMNS:
        if spec.live_only and spec.name not in table.columns:
            table[spec.name] = pd.Series([None] * len(table), index=table.index, dtype=object)
            headers[spec.name] = spec.name
    table.attrs["source_columns"] = headers
    notes = [t("export.recognised", file=path.name, layout=mapped.recognised.label),
             *mapped.notes]
    return table, notes


# ---------------------------------------------------------------- actuals


@dataclass(frozen=True)
class ActualRows:
    """One file's actuals: rows keyed by date, video and tool, with their source."""

    mapped: Mapped
    rows: list[dict[str, Any]]  # date, video_id, tool (None: any), spend, gmv, plays, ...
    notes: list[str] = field(default_factory=list)  # what reading the rows said
    unattributed: dict[date, float] = field(default_factory=dict)  # shop GMV of no video


def _ad_group(campaign: Campaign | None, *cells: object) -> tuple[str, Tool] | None:
    if campaign is None:
        return None
    for cell in cells:
        if cell is None:
            continue
        group = campaign.ad_groups.get(str(cell).strip())
        if group is not None:
            return group.video_id, group.tool
    return None


def _link_video(text: str, by_tag: Mapping[str, str]) -> tuple[str | None, Tool | None]:
    """(video, tool) a tracking link (or its utm_content alone) stands for.

    Without a roster to match against (``planner inspect``), the utm_content is shown
    as it is; the re-plan, which has the roster, matches it.
    """
    parts = urlsplit(text.strip())
    query = parse_qs(parts.query)
    content = query.get("utm_content", [text.strip()])[0]
    medium = query.get("utm_medium", [""])[0]
    video = by_tag.get(content) if by_tag else content
    return video, parse_tool(medium) if medium else None


def _link_tags(videos: Sequence[Video]) -> dict[str, str]:
    """utm_content -> video id, as ``planner plan`` writes the links (without --slugs),
    and each video id itself."""
    from planner.links import _content_tags

    ids = [v.video_id for v in videos]
    tags, _ = _content_tags(ids, {v.video_id: v for v in videos}, {})
    return {**{vid: vid for vid in ids}, **{tag: vid for vid, tag in tags.items()}}


def _period_rows(mapped: Mapped) -> tuple[pd.DataFrame, list[str]]:
    """The table without rows whose date says 全部 (a material's total for the period, as
    the 千川 全域推广 素材 report writes between its daily rows), and the note."""
    table = mapped.table
    if "date" not in table.columns:
        return table, []
    skipped = [number for number, cell in zip(table.index, table["date"], strict=True)
               if isinstance(cell, str) and cell.strip() in _PERIOD_WORDS]
    if not skipped:
        return table, []
    kept = table.drop(index=skipped)
    kept.attrs = dict(table.attrs)
    return kept, [t("export.period_rows_skipped", file=mapped.recognised.file,
                    rows=t("list.sep").join(str(n) for n in skipped[:20])
                    + (" …" if len(skipped) > 20 else ""))]


def _with_links_read(mapped: Mapped, table: pd.DataFrame) -> pd.DataFrame:
    """Video ids read out of the Douyin links in a link column (视频链接)."""
    layout = mapped.recognised.layout
    if layout is None:
        return table
    links = [f.column for f in layout.fills if f.link and f.column in table.columns]
    if not links:
        return table
    out = table.copy()
    out.attrs = dict(table.attrs)
    for column in links:
        out[column] = [(video_id_from_link(cell) or cell) if isinstance(cell, str) else cell
                       for cell in out[column]]
    return out


def _figures(values: Mapping[str, Any]) -> tuple[object, ...]:
    return tuple(values.get(column) for column in _SUMMED)


def read_actual_rows(path: Path, campaign: Campaign | None = None,
                     videos: Sequence[Video] = ()) -> ActualRows:
    """One actuals file (the planner's own, or an export) as rows; InputError lists
    every problem, with the file, row and column.

    ``path`` may end in ``@YYYY-MM-DD``: the date of a report without a date column.
    In an export, rows dated 全部 (period totals) and totals rows are skipped, a row
    repeated exactly under one order id and date counts once, and different figures
    under one order id and date are refused; each says so.
    """
    path, day = split_dated(path)
    name = path.name
    mapped = map_file(path, ("actuals", "gmv"), campaign, day=day)
    if mapped.recognised.layout is None:
        frame, _ = read_actuals(path, (mapped.table, list(mapped.notes)))
        rows = [{**{str(k): (None if isinstance(v, float) and math.isnan(v) else v)
                    for k, v in row.items()}, "_rows": [number]}
                for number, row in enumerate(frame.to_dict("records"), start=2)]
        return ActualRows(mapped, rows)
    layout = mapped.recognised.layout
    table, notes = _period_rows(mapped)
    table = _with_links_read(mapped, table)
    parsed, problems = _parse_cells(table, mapped.specs, name)
    headers = source_columns(mapped.table)
    by_tag = _link_tags(videos) if mapped.link_header else {}
    out: dict[tuple[object, object, object], dict[str, Any]] = {}
    failed = {p.row for p in problems}
    orders_seen: dict[tuple[object, object], tuple[int, tuple[object, ...]]] = {}
    repeated: list[str] = []
    unattributed: dict[date, float] = {}
    closed_loop_gmv = mapped.family in ("direct", "overall", "net")
    for number, values in parsed:
        if number in failed:
            continue
        if day is not None:
            own_day = values.get("date")
            if own_day is not None and own_day != day:
                problems.append(Problem(
                    t("export.dated_conflict", day=day, found=own_day), file=name, row=number,
                    column=headers.get("date"), fix=t("export.dated_conflict_fix", file=name)))
                continue
            values["date"] = day
        order = values.get("order_header")
        if order is not None:
            key_order = (str(order).strip(), values.get("date"))
            figures = _figures(values)
            first = orders_seen.get(key_order)
            if first is not None:
                if first[1] == figures:
                    repeated.append(f"{number} (= {first[0]})")
                    continue
                problems.append(Problem(
                    t("export.order_twice", order=key_order[0], day=key_order[1],
                      first=first[0]),
                    file=name, row=number, column=mapped.order_header,
                    fix=t("export.order_twice_fix")))
                continue
            orders_seen[key_order] = (number, figures)
        if closed_loop_gmv and values.get("gmv") is None and values.get("spend") == 0:
            values["gmv"] = 0.0  # 千川 writes "-" for no sales on a row that spent nothing
        tool: Tool | None = layout.tool
        if mapped.tool_header is not None and values.get("tool_header"):
            named = parse_tool(str(values["tool_header"]))
            tool = named or tool
        video = values.get("video_id")
        if layout.unattributed_rows and video is None:
            when = values.get("date")
            if isinstance(when, date):
                unattributed[when] = unattributed.get(when, 0.0) + float(values.get("gmv") or 0)
            continue
        if mapped.group_header is not None and (video is None or layout.tool is None):
            cells = [values.get(f"group_header_{i}") for i in range(len(mapped.group_headers))]
            found = _ad_group(campaign, *cells)
            if found is None:
                shown = next((c for c in cells if c is not None), "")
                problems.append(Problem(
                    t("export.group_unknown", group=shown),
                    file=name, row=number, column=mapped.group_header,
                    fix=t("export.group_unknown_fix", group=shown)))
                continue
            video, tool = video or found[0], found[1]
        if mapped.link_header is not None and video is None and values.get("link_header"):
            linked, linked_tool = _link_video(str(values["link_header"]), by_tag)
            if linked is None:
                problems.append(Problem(
                    t("export.link_unknown", link=values["link_header"]),
                    file=name, row=number, column=mapped.link_header,
                    fix=t("export.link_unknown_fix")))
                continue
            video, tool = linked, tool or linked_tool
        if video is None:
            problems.append(Problem(
                t("export.no_video"), file=name, row=number,
                column=headers.get("video_id") or mapped.group_header,
                fix=t("export.no_video_fix")))
            continue
        for column in _SUMMED:
            amount = values.get(column)
            if isinstance(amount, int | float) and amount < 0:
                problems.append(Problem(
                    t("export.negative", value=f"{amount:g}"), file=name, row=number,
                    column=headers.get(column, column), fix=t("export.negative_fix")))
        row = {"date": values.get("date"), "video_id": str(video),
               "tool": None if tool is None else tool.value}
        key = (row["date"], row["video_id"], row["tool"])
        merged = out.setdefault(key, {**row, "_rows": []})
        merged["_rows"].append(number)
        for column in _SUMMED:
            amount = values.get(column)
            if amount is not None:
                merged[column] = (merged.get(column) or 0) + amount
    if problems:
        problems.sort(key=lambda p: p.row or 0)
        raise InputError(problems)
    if repeated:
        notes.append(t("export.rows_repeated", file=name, column=mapped.order_header or "",
                       rows=t("list.sep").join(repeated[:20])
                       + (" …" if len(repeated) > 20 else "")))
    for when, amount in sorted(unattributed.items()):
        notes.append(t("export.gmv_unattributed", file=name, day=when, gmv=f"{amount:,.2f}"))
    rows = list(out.values())
    return ActualRows(mapped, rows, notes, unattributed)


@dataclass(frozen=True)
class MergedActuals:
    """The actuals of every file given for a day, merged, with what the planner says."""

    frame: pd.DataFrame  # ACTUALS_COLUMNS, ready to ingest (GMV NaN: unknown)
    notes: list[str]
    families: dict[str, Family]  # file -> where its GMV comes from
    unmatched_spend: list[dict[str, Any]]  # spend rows without GMV (ingested, GMV unknown)
    join_notes: list[str] = field(default_factory=list)  # what merging the files said
    origins: list[tuple[str, int | None]] = field(default_factory=list)  # file, row per row
    # GMV rows no spend row of these files takes: the re-plan joins them to the stored
    # spend of their day that has no GMV yet (a spend-only file of an earlier morning).
    pending_gmv: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    @property
    def source(self) -> str:
        """The store's ``source`` of these rows: each file and the GMV it counts."""
        return "; ".join(f"{file} (gmv={family})" for file, family in self.families.items())


ActualKey = tuple[object, object, object]  # date, video id, tool id


@dataclass(frozen=True)
class GmvJoin:
    """What joining GMV rows to spend rows did: the keys filled, what it said, the rest."""

    filled: dict[ActualKey, str]  # spend key -> the GMV file that filled it
    notes: list[str]
    left: list[tuple[str, dict[str, Any]]]  # GMV rows no open spend row takes


def join_gmv(spend: Mapping[ActualKey, dict[str, Any]],
             gmv_rows: Sequence[tuple[str, dict[str, Any]]]) -> GmvJoin:
    """Fill the unknown GMV of spend rows from GMV rows (file, row), by date and video,
    and tool when the GMV row names one; one spend row open for it or none is taken.

    The spend rows are changed in place. Serves both the files of one morning and a GMV
    file that comes a morning after its spend (joined to the stored rows).
    """
    filled: dict[ActualKey, str] = {}
    notes: list[str] = []
    left: list[tuple[str, dict[str, Any]]] = []
    for name, row in gmv_rows:
        open_targets = [key for key, target in spend.items()
                        if key[0] == row["date"] and key[1] == row["video_id"]
                        and (row["tool"] is None or key[2] == row["tool"])
                        and target.get("gmv") is None]
        if len(open_targets) == 1:
            target = spend[open_targets[0]]
            target["gmv"] = row.get("gmv")
            if row.get("orders") is not None and target.get("orders") is None:
                target["orders"] = row["orders"]
            filled[open_targets[0]] = name
        elif not open_targets:
            left.append((name, row))
        else:
            notes.append(t("export.gmv_ambiguous", file=name, day=row["date"],
                           video=row["video_id"],
                           tools=t("list.sep").join(tool_name(str(k[2])) for k in open_targets)))
    return GmvJoin(filled, notes, left)


def read_actual_sources(paths: Sequence[Path], campaign: Campaign | None = None,
                        videos: Sequence[Video] = ()) -> MergedActuals:
    """Every actuals file of a day, merged by date, video and tool.

    Spend rows from different files for the same key are refused (the same money
    twice); a GMV file's rows fill the GMV of the spend rows of their date and video
    (and tool, when it names one). Spend left without GMV is kept with its GMV
    unknown (NaN, never 0, never guessed): it counts against the budget, and its GMV
    joins it when the shop's file comes (``pending_gmv``).
    """
    read: list[ActualRows] = []
    problems: list[Problem] = []
    for path in paths:
        try:
            read.append(read_actual_rows(path, campaign, videos))
        except InputError as exc:
            problems.extend(exc.problems)
    if problems:
        raise InputError(problems)
    notes: list[str] = []
    families: dict[str, Family] = {}
    spend: dict[ActualKey, dict[str, Any]] = {}
    owner: dict[ActualKey, str] = {}
    gmv_rows: list[tuple[str, dict[str, Any]]] = []
    for source in read:
        name = source.mapped.recognised.file
        families[name] = source.mapped.family
        if source.mapped.recognised.layout is not None:
            notes.append(t("export.recognised", file=name, layout=source.mapped.recognised.label))
            if source.mapped.family in ("direct", "overall", "net", "shop"):
                notes.append(t("export.family_used", file=name,
                               family=t(f"export.family.{source.mapped.family}")))
        notes.extend(source.mapped.notes)
        notes.extend(source.notes)
        for row in source.rows:
            if row.get("spend") is None:
                gmv_rows.append((name, row))
                continue
            key = (row["date"], row["video_id"], row["tool"])
            if key in spend:
                problems.append(Problem(
                    t("export.spend_twice", day=row["date"], video=row["video_id"],
                      tool=tool_name(str(row["tool"])), first=owner[key]),
                    file=name, row=row["_rows"][0], fix=t("export.spend_twice_fix")))
                continue
            spend[key] = dict(row)
            owner[key] = name
    if problems:
        raise InputError(problems)
    file_notes = len(notes)
    joined = join_gmv(spend, gmv_rows)
    for key in joined.filled:
        families[owner[key]] = "shop"
    notes.extend(joined.notes)
    for name, row in joined.left:
        notes.append(t("export.gmv_pending", file=name, day=row["date"],
                       video=row["video_id"], gmv=f"{row.get('gmv') or 0:,.2f}"))
    unmatched = [r for r in spend.values() if r.get("gmv") is None]
    for row in unmatched:
        notes.append(t("export.spend_without_gmv", file=owner[(row["date"], row["video_id"],
                                                              row["tool"])],
                       day=row["date"], video=row["video_id"], tool=tool_name(str(row["tool"])),
                       spend=f"{row['spend']:,.2f}"))
    complete = list(spend.values())  # GMV unknown included: every yuan shown is spent
    # The planner's own single file keeps its order (row numbers are its rows).
    if len(read) > 1 or read[0].mapped.recognised.layout is not None:
        complete.sort(key=lambda r: (str(r["date"]), str(r["video_id"]), str(r["tool"])))
    origins = [(owner[(r["date"], r["video_id"], r["tool"])], (r.get("_rows") or [None])[0])
               for r in complete]
    clean = [{k: v for k, v in r.items() if not k.startswith("_")} for r in complete]
    return MergedActuals(_actuals_frame(clean), notes, families, unmatched,
                         join_notes=notes[file_notes:], origins=origins,
                         pending_gmv=joined.left)


# ---------------------------------------------------------------- inspecting


@dataclass(frozen=True)
class Inspection:
    """What ``planner inspect`` and the app show for one file."""

    file: str
    layout_id: str
    label: str
    kind: Kind
    family: Family
    mapping: tuple[tuple[str, str], ...]
    unused: tuple[str, ...]
    notes: tuple[str, ...]
    preview: pd.DataFrame  # the first rows as the planner reads them


def inspect_file(path: Path, campaign: Campaign | None = None, *, rows: int = 5,
                 plan_date: date | None = None, videos: Sequence[Video] = ()) -> Inspection:
    """Recognise a file and read its first rows as the planner would (InputError if it
    cannot be read)."""
    real, _ = split_dated(path)
    raw = read_table(real, HEADER_SPECS, allow_json=True)
    recognised = recognise(raw, real.name, ("actuals", "gmv", "roster"),
                           DEFAULT_GMV_FAMILY if campaign is None else campaign.gmv_family)
    if recognised.kind == "roster":
        from planner.io.raw import read_videos

        mapped = map_file(real, ("roster",), campaign, raw=raw)
        videos, notes = read_videos(real, plan_date=plan_date)
        preview = pd.DataFrame([
            {"status": t("inspect.scheduled") if plan_date is not None
             and v.publish_date > plan_date else t("inspect.live"),
             **v.model_dump(exclude_defaults=True)}
            for v in videos[:rows]])
    else:
        source = read_actual_rows(path, campaign, videos)
        mapped = source.mapped
        notes = [*mapped.notes, *source.notes]
        preview = pd.DataFrame([{k: v for k, v in r.items() if not k.startswith("_")}
                                for r in source.rows[:rows]])
    # What the inspection says in its own lines is not repeated among the notes.
    said = {t("export.recognised", file=real.name, layout=recognised.label),
            unused_note(real.name, mapped.unused)}
    kept = tuple(n for n in notes if n not in said and not n.startswith(f"{real.name}: ignored "))
    return Inspection(real.name, recognised.layout_id, recognised.label, recognised.kind,
                      mapped.family, mapped.mapping, mapped.unused, kept, preview)


def column_label(column: str) -> str:
    """A planner column as the buyer reads it: its id and its name in the catalogue."""
    if column.startswith("group_header_"):
        return t("inspect.col.group")
    if column in ("tool_header", "link_header", "order_header"):
        return t(f"inspect.col.{column.removesuffix('_header')}")
    return f"{column} ({t(f'col.{column}')})" if has(f"col.{column}") else column


def inspection_lines(found: Inspection) -> list[str]:
    """``planner inspect`` as lines of text, in the current language."""
    lines = [t("inspect.recognised", file=found.file, layout=found.label,
               kind=t(f"inspect.kind.{found.kind}"))]
    if found.kind != "roster":
        lines.append(t("inspect.family", family=t(f"export.family.{found.family}")))
    lines.append(t("inspect.mapping"))
    width = max((len(header) for header, _ in found.mapping), default=0)
    lines += [f"  {header:<{width}}  →  {column_label(column)}"
              for header, column in found.mapping]
    if found.unused:
        lines.append(t("inspect.unused", headers=t("list.sep").join(found.unused)))
    if found.notes:
        lines.append(t("inspect.notes"))
        lines += [f"  - {note}" for note in found.notes]
    if found.preview.empty:
        lines.append(t("inspect.no_rows"))
    else:
        lines.append(t("inspect.preview", rows=len(found.preview)))
        lines += ["  " + line for line in found.preview.to_string(index=False).splitlines()]
    return lines
