"""Platform exports as buyers download them, built from the published column lists
(DOMAIN.md, "Platform exports buyers download"), with their quirks: units in headers,
full-width brackets, ``--`` cells, thousands separators, 万/w suffixes, ranges, a
title line above the header, a 合计 row; CSV in GBK or UTF-8 with BOM, and XLSX.

Each builder returns the rows as the back end shows them; ``write`` saves them as CSV
(``encoding``) or XLSX. The figures each fixture must ingest as are in ``EXPECTED``.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Sequence
from pathlib import Path

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
    """The export as CSV (in ``encoding``: gbk or utf-8-sig) or XLSX, by ``path``'s suffix;
    ``title`` is a line above the header, as some back ends write."""
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
