"""The platforms' exports the readers know, as data: ``LAYOUTS``.

The fourth layer of the readers (``raw`` → ``headers`` → ``cells`` → ``layouts`` →
``recognise`` → ``roster`` / ``actuals``). Each layout says how to know an export (the
headers that identify it) and, for every planner column, the export's headers that
fill it, in order of preference (docs/exports.md lists them). Adding an export is
adding a ``Layout`` here; ``planner.io.recognise`` chooses among them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final, Literal

from planner.i18n import t
from planner.io.headers import ACTUALS_COLUMNS, VIDEO_COLUMNS, ColumnSpec, header_key
from planner.tools import Tool

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
