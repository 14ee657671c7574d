"""Platform exports as buyers download them, built from the published column lists
(docs/exports.md), with their quirks: units in headers,
full-width brackets, ``--`` cells, thousands separators, 万/w suffixes, ranges, a
title line above the header, a 合计 row; CSV in GBK or UTF-8 with BOM, and XLSX.

Each builder returns the rows as the back end shows them; ``write`` saves them as CSV
(``encoding``) or XLSX. The figures each fixture must ingest as are in ``EXPECTED``.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import openpyxl

Row = Sequence[object]

DAY = "2027-04-21"

# 千川 material report (全域推广), closed-loop campaign: two materials, a 合计 row.
QIANCHUAN_HEADER = (
    "日期", "素材ID", "素材名称", "整体消耗(元)", "展示次数", "点击次数", "点击率(%)",
    "转化数", "转化成本(元)", "直接成交订单数", "直接成交金额(元)", "直接支付ROI",
    "整体成交金额(元)", "整体支付ROI", "净成交金额(元)", "净成交ROI", "7日总支付ROI",
    "播放数", "3s播放数", "播放完成数",
)
QIANCHUAN_ROWS: list[Row] = [
    (DAY, "v0001", "精华液种草 01", "1,234.50", "12.5w", "3,100", "2.48", "41", "30.11",
     "38", "3,980.00", "3.22", "4,420.60", "3.58", "--", "--", "3.9", "98,000", "41,000",
     "9,800"),
    (DAY, "v0003", "洁面乳 02", "800", "60,000", "1,000", "1.67", "12", "66.67", "10",
     "1,500.00", "1.88", "1,720.40", "2.15", "--", "--", "2.3", "51,000", "20,000", "4,100"),
    ("合计", "", "", "2,034.50", "185,000", "4,100", "2.22", "53", "38.39", "48", "5,480.00",
     "2.69", "6,141.00", "3.02", "--", "--", "3.3", "149,000", "61,000", "13,900"),
]

# DOU+ order export, Tmall chain: two orders on one video the same day (summed).
DOU_PLUS_HEADER = (
    "订单ID", "视频ID", "状态", "预算(元)", "视频标题", "账号名称", "下单时间",
    "实际消耗(元)", "播放量", "点赞数", "评论数", "转发数", "关注数", "转化数", "转化成本",
    "5秒完播率",
)
DOU_PLUS_ROWS: list[Row] = [
    ("DP1001", "v0012", "投放完成", "500", "小蕊姐推荐", "小蕊姐", f"{DAY} 09:30:00", "498.20",
     "2.1w", "530", "41", "12", "8", "--", "--", "18.2%"),
    ("DP1002", "v0012", "投放完成", "300", "小蕊姐推荐", "小蕊姐", f"{DAY} 20:05:00", "300",
     "1.2w", "260", "20", "5", "3", "--", "--", "17.9%"),
    ("合计", "", "", "800", "", "", "", "798.20", "3.3w", "790", "61", "17", "11", "", "",
     ""),
]

# 巨量广告 daily report: ad groups mapped in the campaign file's [ad_groups].
AD_HEADER = (
    "时间", "广告组id", "广告组", "展示数", "点击数", "点击率(%)", "平均点击单价(元)",
    "平均千次展现费用(元)", "总花费(元)", "转化数", "转化成本", "转化率",
)
AD_ROWS: list[Row] = [
    (DAY, "1790000000000001", "达人竞价-v0008", "52,000", "800", "1.54", "2.50", "38.46",
     "2,000.00", "20", "100", "2.5%"),
    (DAY, "1790000000000002", "信息流-v0008", "30,000", "300", "1.00", "3.33", "33.33",
     "1,000.00", "5", "200", "1.67%"),
    ("总计", "", "", "82,000", "1,100", "1.34", "2.73", "36.59", "3,000.00", "25", "120",
     ""),
]
AD_GROUPS_TOML = """
[ad_groups]
"1790000000000001" = {tool = "达人竞价", video_id = "v0008"}
"信息流-v0008" = {tool = "ad_feed", video_id = "v0008"}
"""

# The shop's GMV (天猫 side) by video or by tracking link, for DOU+ and AD spend.
SHOP_HEADER = ("日期", "视频ID", "成交金额(元)", "成交订单数")
SHOP_ROWS: list[Row] = [
    (DAY, "v0012", "1,520.00", "12"),
    ("合计", "", "1,520.00", "12"),
]
SHOP_BY_LINK_HEADER = ("日期", "utm_content", "utm_medium", "成交金额(元)")
SHOP_BY_LINK_ROWS: list[Row] = [
    (DAY, "v0008", "kol_bidding", "9,600"),
    (DAY, "v0008", "ad_feed", "2,200.5"),
]

# 星图 creator list: booked posts; one goes live after the plan date (scheduled).
XINGTU_HEADER = (
    "达人昵称", "星图ID", "粉丝（万）", "1-20s报价", "21-60s报价", "预期播放量", "播放中位数",
    "互动率", "完播率", "GPM", "发布时间",
)
XINGTU_ROWS: list[Row] = [
    ("新晋美妆姐", "xt7001", "85.3", "30,000", "45,000", "50w~80w", "42w", "5.1%", "32%",
     "18.5", "2027-05-06 19:00"),
]

# 星图 T+7 review, with the columns a buyer adds for the roster (视频ID, 粉丝数,
# 播放中位数, 成交金额) beside the published ones.
XINGTU_TASK_HEADER = (
    "达人名称", "视频ID", "粉丝数", "播放中位数", "执行金额", "发布时间", "播放量", "总互动量",
    "点赞量", "评论量", "分享量", "互动率", "CPM", "CPE", "组件点击量", "组件点击率",
    "成交金额",
)
XINGTU_TASK_ROWS: list[Row] = [
    ("小蕊姐", "v9001", "21.3w", "9,960", "5,200", "2027-04-10", "55.2w", "4,120", "3,600",
     "320", "200", "0.75%", "9.42", "1.26", "2,100", "0.38%", "18,400"),
]

# 蝉妈妈-style video export: a video link instead of an id, ranges for estimates.
CHANMAMA_HEADER = (
    "视频标题", "视频链接", "达人", "粉丝数", "播放中位数", "发布时间", "预估播放量",
    "预估销售额", "点赞数", "评论数", "分享数", "商品",
)
CHANMAMA_ROWS: list[Row] = [
    ("夏天必备防晒", "https://www.douyin.com/video/7351234567890123456", "防晒小课堂",
     "120.5w", "35w", "2027-04-12", "7.5w~10w", "1w~2.5w", "3,200", "410", "150",
     "清透防晒霜"),
]

# What each fixture must ingest as: (tool, video, date, spend, gmv).
EXPECTED: dict[str, list[tuple[str, str, str, float, float]]] = {
    "qianchuan": [("qianchuan", "v0001", DAY, 1234.50, 4420.60),
                  ("qianchuan", "v0003", DAY, 800.0, 1720.40)],
    "dou_plus+shop": [("dou_plus", "v0012", DAY, 798.20, 1520.00)],
    "ad+shop_by_link": [("ad_feed", "v0008", DAY, 1000.0, 2200.5),
                        ("kol_bidding", "v0008", DAY, 2000.0, 9600.0)],
}


def with_cell(rows: Sequence[Row], row: int, column: int, value: object) -> list[list[object]]:
    """A copy of ``rows`` with one cell changed: an export with one bad or unusual cell."""
    copy = [list(r) for r in rows]
    copy[row][column] = value
    return copy


def write(path: Path, header: Row, rows: Sequence[Row], *, encoding: str = "utf-8-sig",
          title: str | None = None) -> Path:
    """The export as CSV (in ``encoding``: gbk or utf-8-sig), XLSX or a report API's JSON
    response (``{"code": 0, "data": {"list": [...]}}``), by ``path``'s suffix; ``title``
    is a line above the header, as some back ends write."""
    if path.suffix == ".json":
        response = {"code": 0, "message": "OK",
                    "data": {"list": [dict(zip(header, row, strict=True)) for row in rows],
                             "page_info": {"page": 1, "total_number": len(rows)}}}
        path.write_text(json.dumps(response, ensure_ascii=False), encoding="utf-8")
        return path
    lines: list[Row] = ([(title,)] if title else []) + [header, *rows]
    if path.suffix == ".xlsx":
        book = openpyxl.Workbook()
        sheet = book.active
        assert sheet is not None
        for line in lines:
            sheet.append(list(line))
        book.save(path)
        return path
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(lines)
    text = buffer.getvalue()
    data = (codecs.BOM_UTF8 + text.encode("utf-8")) if encoding == "utf-8-sig" \
        else text.encode(encoding)
    path.write_bytes(data)
    return path


# ---------------------------------------------------------------- layouts as downloaded
#
# Each case is one layout as the back end or its report API delivers it, with the
# figures it must be stored as (to the fen). Spend-only layouts (DOU+, 巨量广告) come
# with the shop's GMV file, as buyers on the Tmall chain give them.

ENCODINGS = {"utf8-bom": ("csv", "utf-8-sig"), "gbk": ("csv", "gbk"), "xlsx": ("xlsx", "")}


@dataclass(frozen=True)
class Export:
    """One file of a case: its name (no suffix), header and rows; ``dated`` gives the
    day after the file name (FILE@YYYY-MM-DD), for a report without a date column."""

    name: str
    header: Row
    rows: Sequence[Row]
    dated: str | None = None


@dataclass(frozen=True)
class Case:
    """A layout through ``planner replan``: its files, campaign and what is stored."""

    layout: str
    files: Sequence[Export]
    campaign: str  # a sample campaign file
    expected: list[tuple[str, str, str, float, float]]  # tool, video, date, spend, gmv
    extra_toml: str = ""
    plays: dict[str, float] = field(default_factory=dict)  # video -> plays stored


SHOP_FOR = Export("shop", ("日期", "视频ID", "成交金额(元)", "成交订单数"), [
    (DAY, "v0012", "1,520.00", "12"), (DAY, "v0008", "3,330.33", "20"),
])

# 千川 全域推广 素材 daily report: 整体 columns, 视频播放数 beside 整体展现次数, a row dated
# 全部 (the material's total for the period), and a material that spent nothing with
# "-" for its GMV.
QC_UNI_HEADER = (
    "日期", "素材ID", "素材名称", "整体消耗(元)", "整体成交金额(元)", "整体支付ROI",
    "整体展现次数", "整体点击次数", "整体成交订单数", "净成交金额(元)", "视频播放数",
)
QC_UNI_ROWS: list[Row] = [
    (DAY, "v0001", "精华液种草 01", "1,234.56", "4,420.61", "3.58", "125,000", "3,100", "38",
     "3,900.10", "98,000"),
    (DAY, "v0003", "洁面乳 02", "0", "-", "-", "1,000", "0", "0", "-", "800"),
    ("全部", "v0001", "精华液种草 01", "5,678.90", "18,000.00", "3.17", "500,000", "12,000",
     "150", "16,000.00", "400,000"),
]

# 千川 标准推广 计划 report: keyed by 广告计划ID, no date column, 展示次数 and no plays.
QC_STANDARD_HEADER = (
    "广告计划ID", "直播间ID", "广告计划名称", "广告主ID", "点击数", "转化数", "转化成本",
    "转化率", "平台千次展示费用", "点击率", "新增粉丝数", "直接成交金额", "直接成交笔数",
    "直接支付roi", "展示次数", "消耗", "出价", "ROI目标",
)
QC_STANDARD_ROWS: list[Row] = [
    ("1790000000000101", "-", "小蕊姐-洁面-标准", "1700000000000001", "1,200", "30", "40.96",
     "2.5%", "30.12", "2.94%", "15", "2,345.67", "21", "1.91", "40,800", "1,228.91", "0.5",
     "1.8"),
]
QC_STANDARD_TOML = """
[ad_groups]
"1790000000000101" = {tool = "qianchuan", video_id = "v0002"}
"""

# 巨量广告 daily report in the v3 hierarchy (项目 / 广告).
AD_V3_HEADER = (
    "日期", "项目ID", "项目名称", "广告ID", "广告名称", "展示数", "点击数", "消耗(元)",
    "转化数", "播放数",
)
AD_V3_ROWS: list[Row] = [
    (DAY, "7300000000000000001", "信息流-洁面", "7300000000000000101", "v0008-信息流",
     "52,000", "800", "2,000.01", "20", "31,000"),
]
AD_V3_TOML = """
[ad_groups]
"7300000000000000101" = {tool = "ad_feed", video_id = "v0008"}
"""

# DOU+ order report with the report's own labels (消耗, 播放次数), one order on a day.
DOU_PLUS_REPORT_HEADER = ("日期", "订单ID", "item_id", "消耗(元)", "播放次数", "点赞数", "评论数")
DOU_PLUS_REPORT_ROWS: list[Row] = [
    (DAY, "DP2001", "v0012", "498.21", "21,000", "530", "41"),
    (DAY, "DP2002", "v0012", "300", "12,000", "260", "20"),
]

# 随心推 order list.
SUIXINTUI_HEADER = ("订单ID", "视频ID", "下单时间", "消耗(元)", "播放次数", "支付ROI",
                    "成交订单金额(元)", "成交订单数")
SUIXINTUI_ROWS: list[Row] = [
    ("SX3001", "v0004", f"{DAY} 10:00:00", "200.02", "8,000", "2.5", "500.05", "4"),
    ("SX3002", "v0004", f"{DAY} 15:00:00", "100", "4,100", "1.2", "120", "1"),
]

# 抖店 order export: ids prefixed with a tab; one order without a content id (the shop's).
DOUDIAN_HEADER = ("主订单编号", "子订单编号", "选购商品", "商品数量", "订单应付金额",
                  "订单提交时间", "支付完成时间", "订单状态", "内容ID", "流量来源", "流量体裁",
                  "流量渠道", "流量类型")
DOUDIAN_ROWS: list[Row] = [
    ("\t6931234567890123451", "\t6931234567890123451", "氨基酸洁面乳", "1", "99.90",
     f"{DAY} 10:00:00", f"{DAY} 10:01:00", "已发货", "v0012", "短视频", "短视频", "自然流量",
     "内容"),
    ("\t6931234567890123452", "\t6931234567890123452", "氨基酸洁面乳", "2", "199.80",
     f"{DAY} 11:00:00", f"{DAY} 11:02:00", "已完成", "v0012", "短视频", "短视频", "付费流量",
     "内容"),
    ("\t6931234567890123453", "\t6931234567890123453", "氨基酸洁面乳", "1", "88.00",
     f"{DAY} 12:00:00", f"{DAY} 12:01:00", "已完成", "", "商品卡", "商品卡", "搜索", "其他"),
]

# Report APIs' own output, money in each endpoint's unit.
QC_UNI_API_HEADER = ("stat_time_day", "material_id", "stat_cost_for_roi2",
                     "total_pay_order_gmv_for_roi2", "total_pay_order_count_for_roi2",
                     "show_cnt", "total_play")
QC_UNI_API_ROWS: list[Row] = [  # 1/1000 fen: 123,456,000 is 1,234.56 yuan
    (DAY, "v0001", 123_456_000, 442_061_000, 38, 125_000, 98_000),
]
QC_API_HEADER = ("stat_time_day", "aweme_item_id", "stat_cost", "show_cnt", "click_cnt",
                 "pay_order_count", "pay_order_amount", "prepay_and_pay_order_roi")
QC_API_ROWS: list[Row] = [  # yuan
    (DAY, "v0002", 1228.91, 40_800, 1_200, 21, 2345.67, 1.91),
]
AD_API_HEADER = ("stat_time_day", "cdp_project_id", "cdp_promotion_id", "stat_cost",
                 "show_cnt", "click_cnt", "total_play")
AD_API_ROWS: list[Row] = [  # yuan
    (DAY, "7300000000000000001", "7300000000000000101", 2000.01, 52_000, 800, 31_000),
]
DOU_PLUS_API_HEADER = ("stat_time_day", "order_id", "item_id", "stat_cost", "total_play",
                       "dy_like", "dy_comment")
DOU_PLUS_API_ROWS: list[Row] = [  # fen: 49,821 is 498.21 yuan
    (DAY, "DP2001", "v0012", 49_821, 21_000, 530, 41),
    (DAY, "DP2002", "v0012", 30_000, 12_000, 260, 20),
]

# 千川 全域推广 计划 report: a plan per row, its video and tool through [ad_groups].
QC_UNI_PLAN_HEADER = ("日期", "计划ID", "计划名称", "整体消耗(元)", "整体成交金额(元)",
                      "整体支付ROI", "整体展现次数", "整体点击次数", "净成交金额(元)")
QC_UNI_PLAN_ROWS: list[Row] = [
    (DAY, "1800000000000000201", "萌呀-全域", "2,500.05", "7,600.15", "3.04", "210,000", "5,200",
     "7,000.00"),
]
QC_UNI_PLAN_TOML = """
[ad_groups]
"1800000000000000201" = {tool = "qianchuan", video_id = "v0003"}
"""

CASES: dict[str, Case] = {
    "qianchuan-uni-plan": Case(
        "qianchuan_report", [Export("千川全域计划日报", QC_UNI_PLAN_HEADER, QC_UNI_PLAN_ROWS)],
        "campaign_closed_loop.toml", [("qianchuan", "v0003", DAY, 2500.05, 7600.15)],
        extra_toml=QC_UNI_PLAN_TOML, plays={"v0003": 210_000.0}),
    "ad-before-v3": Case(
        "ad_daily", [Export("巨量广告日报", AD_HEADER, AD_ROWS),
                     Export("shop_links", SHOP_BY_LINK_HEADER, SHOP_BY_LINK_ROWS)],
        "campaign_tmall.toml", sorted(EXPECTED["ad+shop_by_link"]), extra_toml=AD_GROUPS_TOML),
    "qianchuan-uni-material": Case(
        "qianchuan_report", [Export("千川全域素材日报", QC_UNI_HEADER, QC_UNI_ROWS)],
        "campaign_closed_loop.toml",
        [("qianchuan", "v0001", DAY, 1234.56, 4420.61), ("qianchuan", "v0003", DAY, 0.0, 0.0)],
        plays={"v0001": 98_000.0, "v0003": 800.0}),
    "qianchuan-standard-plan": Case(
        "qianchuan_standard_plan",
        [Export("千川标准推广计划", QC_STANDARD_HEADER, QC_STANDARD_ROWS, dated=DAY)],
        "campaign_closed_loop.toml", [("qianchuan", "v0002", DAY, 1228.91, 2345.67)],
        extra_toml=QC_STANDARD_TOML, plays={"v0002": 40_800.0}),
    "ad-v3": Case(
        "ad_daily", [Export("巨量广告项目广告日报", AD_V3_HEADER, AD_V3_ROWS), SHOP_FOR],
        "campaign_tmall.toml", [("ad_feed", "v0008", DAY, 2000.01, 3330.33)],
        extra_toml=AD_V3_TOML, plays={"v0008": 31_000.0}),
    "dou-plus-report": Case(
        "dou_plus_orders", [Export("DOU+订单报表", DOU_PLUS_REPORT_HEADER, DOU_PLUS_REPORT_ROWS),
                            SHOP_FOR],
        "campaign_tmall.toml", [("dou_plus", "v0012", DAY, 798.21, 1520.0)],
        plays={"v0012": 33_000.0}),
    "suixintui-orders": Case(
        "suixintui_orders", [Export("随心推订单", SUIXINTUI_HEADER, SUIXINTUI_ROWS)],
        "campaign_closed_loop.toml", [("suixintui", "v0004", DAY, 300.02, 620.05)]),
    "doudian-orders": Case(
        "doudian_orders", [Export("DOU+订单报表", DOU_PLUS_REPORT_HEADER, DOU_PLUS_REPORT_ROWS),
                           Export("抖店订单", DOUDIAN_HEADER, DOUDIAN_ROWS)],
        "campaign_tmall.toml", [("dou_plus", "v0012", DAY, 798.21, 299.7)]),
    "qianchuan-uni-api": Case(
        "qianchuan_uni_api", [Export("qianchuan_uni_promotion", QC_UNI_API_HEADER,
                                     QC_UNI_API_ROWS)],
        "campaign_closed_loop.toml", [("qianchuan", "v0001", DAY, 1234.56, 4420.61)],
        plays={"v0001": 98_000.0}),
    "qianchuan-api": Case(
        "qianchuan_api", [Export("qianchuan_report_material", QC_API_HEADER, QC_API_ROWS)],
        "campaign_closed_loop.toml", [("qianchuan", "v0002", DAY, 1228.91, 2345.67)],
        plays={"v0002": 40_800.0}),
    "ad-api": Case(
        "ad_api", [Export("oceanengine_report", AD_API_HEADER, AD_API_ROWS), SHOP_FOR],
        "campaign_tmall.toml", [("ad_feed", "v0008", DAY, 2000.01, 3330.33)],
        extra_toml=AD_V3_TOML,
        plays={"v0008": 31_000.0}),
    "dou-plus-api": Case(
        "dou_plus_api", [Export("douplus_order_report", DOU_PLUS_API_HEADER, DOU_PLUS_API_ROWS),
                         SHOP_FOR],
        "campaign_tmall.toml", [("dou_plus", "v0012", DAY, 798.21, 1520.0)],
        plays={"v0012": 33_000.0}),
}
API_CASES: Final = ("qianchuan-uni-api", "qianchuan-api", "ad-api", "dou-plus-api")


# Roster sources: the columns as the back ends write them, plus what a buyer adds for a
# booked post where the export has none (发布时间, a 30-day median from the data panel).
@dataclass(frozen=True)
class RosterCase:
    """A roster export through ``planner score``: the video it holds and its figures."""

    layout: str
    header: Row
    rows: Sequence[Row]
    video: str
    followers: int
    median_plays: float
    kol_fee: float | None = None


ROSTER_CASES: dict[str, RosterCase] = {
    "xingtu-creators": RosterCase(
        "xingtu_creators",
        ("抖音昵称", "达人类型", "内容主题", "星图ID", "粉丝（万）", "1-20s视频报价",
         "21-60s视频报价", "60s+视频报价", "30天个人视频播放量中位数", "发布时间"),
        [("新晋美妆姐", "美妆", "护肤", "6912345678901234567", "85.3", "30,000", "45,000",
          "60,000", "42w", "2027-05-06 19:00")],
        "6912345678901234567", 853_000, 420_000.0, 45_000.0),
    "xingtu-panel": RosterCase(
        "xingtu_panel",
        ("达人昵称", "星图ID", "粉丝数", "30天个人视频播放量中位数", "30天个人视频完播率",
         "30天个人视频互动率", "发布时间"),
        [("小蕊姐", "xt7002", "21.3w", "9,960", "32%", "5.1%", "2027-04-30")],
        "xt7002", 213_000, 9_960.0),
    "xingtu-t7": RosterCase(
        "xingtu_task", XINGTU_TASK_HEADER, XINGTU_TASK_ROWS, "v9001", 213_000, 9_960.0,
        5_200.0),
    "chanmama-videos": RosterCase(
        "chanmama_videos",
        ("视频名称", "达主", "视频链接", "粉丝数", "播放中位数", "发布时间", "播放量", "点赞数",
         "转发数", "评论数", "预估销量", "预估销售额"),
        [("夏天必备防晒", "防晒小课堂", "https://www.douyin.com/video/7351234567890123456",
          "120.5w", "35w", "2027-04-12", "8.8w", "3,200", "150", "410", "500~750",
          "1w~2.5w")],
        "7351234567890123456", 1_205_000, 350_000.0),
}
