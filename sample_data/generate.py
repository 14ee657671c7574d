"""Write the sample data reproducibly: ``python sample_data/generate.py [--out DIR]``.

Files (all derived from ``SEED`` and ``PLAN_DATE``, so re-running gives the same bytes):

- ``videos.csv``          40 live KOL videos and 4 scheduled head-KOL posts (排期), UTF-8
- ``videos_zh.xlsx``      the same roster with the simplified-Chinese headers, 是/否 booleans
- ``campaign_tmall.toml`` a 618 Douyin -> Tmall campaign (lock-in possible)
- ``campaign_closed_loop.toml`` a 30-day Douyin closed-loop campaign with a short sale
  (too close for a content-service lock-in)
- ``portfolio.toml``      a manifest for ``planner batch`` with both campaigns (stores and
  outputs under ``out/``)

``--portfolio N`` writes a synthetic agency portfolio instead (``write_portfolio``): N
campaigns of ``--videos`` videos each, with the manifest ``portfolio.toml``.
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script from anywhere, without installing
    sys.path.insert(0, str(ROOT))

import xlsxwriter  # noqa: E402

from planner.io.campaign_file import toml_text  # noqa: E402
from planner.models import Plan, Video  # noqa: E402
from planner.synthetic import (  # noqa: E402
    REFERENCE_CPM,
    generate_campaign_dict,
    generate_roster,
)

SEED = 2027
N_VIDEOS = 40
PLAN_DATE = date(2027, 4, 20)
TMALL_ROI_FLOOR = 1.2
HERE = Path(__file__).resolve().parent

COLUMNS: tuple[str, ...] = tuple(Video.model_fields)

ZH_COLUMNS: dict[str, str] = {
    "video_id": "视频ID",
    "kol_name": "达人昵称",
    "followers": "粉丝数",
    "median_plays": "播放量中位数",
    "publish_date": "发布日期",
    "natural_plays": "自然播放量",
    "natural_gmv": "自然成交额",
    "likes": "点赞数",
    "comments": "评论数",
    "shares": "分享数",
    "kol_authorized": "达人授权",
    "ad_review_passed": "广审通过",
    "roi_3m": "近3月流量ROI",
    "first_2h_plays": "首2小时播放量",
    "first_2h_gmv": "首2小时成交额",
    "kol_fee": "达人费用",
    "product": "商品",
    "landing_url": "落地页",
}


def roster() -> list[Video]:
    # A buyer's sample holds no hostile names (formula prefixes, quotes): those are the
    # tests' own rosters (tests/test_injection.py).
    videos = generate_roster(N_VIDEOS, seed=SEED, plan_date=PLAN_DATE, hostile=False)
    return videos + scheduled_posts(videos)


def scheduled_posts(videos: Sequence[Video]) -> list[Video]:
    """Head-KOL posts booked on 星图 for the 618 pre-heat, live after the plan date.

    Their natural plays and sales are empty: the planner expects them from the
    KOL's history (3-month ROI, the KOL's other videos, else the tier prior).
    Head KOLs pass ad review at the script stage, so they carry ad review and
    authorisation already. They all go live by 2027-05-20, inside both sample
    campaigns.
    """
    by_id = {v.video_id: v for v in videos}
    again = by_id["v0025"]  # a head KOL already in the roster: "the KOL's other videos"
    booked = [
        ("v0041", "林小鹿的护肤日记", 6_200_000, 820_000.0, date(2027, 5, 12), 2.1, 168_000.0),
        ("v0042", "大橙子评测", 12_400_000, 1_450_000.0, date(2027, 5, 15), 1.8, 420_000.0),
        ("v0043", again.kol_name, again.followers, again.median_plays, date(2027, 5, 18),
         None, 260_000.0),
        ("v0044", "安安的成分课", 4_100_000, 390_000.0, date(2027, 5, 20), None, 98_000.0),
    ]
    return [
        Video(
            video_id=video_id, kol_name=name, followers=followers, median_plays=median,
            publish_date=published, kol_authorized=True, ad_review_passed=True,
            roi_3m=roi_3m, kol_fee=fee, product="小金瓶精华液",
            landing_url="https://detail.tmall.com/item.htm?id=652201937745",
        )
        for video_id, name, followers, median, published, roi_3m, fee in booked
    ]


def _cell_text(value: object) -> str:
    """Stable CSV text: blank for missing, true/false, whole floats without '.0'."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def videos_csv_text(videos: Sequence[Video]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    for video in videos:
        row = video.model_dump()
        writer.writerow([_cell_text(row[c]) for c in COLUMNS])
    return buffer.getvalue()


def write_videos_xlsx(videos: Sequence[Video], path: Path) -> None:
    """The roster as a buyer's spreadsheet: Chinese headers, real dates, 是/否."""
    workbook = xlsxwriter.Workbook(str(path))
    workbook.set_properties(
        {"title": "达人视频清单 (sample)", "created": datetime(2027, 4, 20, 9, 0, 0)}
    )
    header = workbook.add_format({"bold": True})
    date_format = workbook.add_format({"num_format": "yyyy-mm-dd"})
    sheet = workbook.add_worksheet("视频")
    for col, name in enumerate(COLUMNS):
        sheet.write_string(0, col, ZH_COLUMNS[name], header)
    for r, video in enumerate(videos, start=1):
        row = video.model_dump()
        for col, name in enumerate(COLUMNS):
            value = row[name]
            if value is None:
                continue  # a blank cell
            if isinstance(value, bool):
                sheet.write_string(r, col, "是" if value else "否")
            elif isinstance(value, int | float):
                sheet.write_number(r, col, value)
            elif isinstance(value, date):
                sheet.write_datetime(
                    r, col, datetime(value.year, value.month, value.day), date_format
                )
            else:
                # write_string: hostile names such as '=HYPERLINK(...)' stay text.
                sheet.write_string(r, col, str(value))
    sheet.freeze_panes(1, 0)
    sheet.set_column(0, len(COLUMNS) - 1, 14)
    workbook.close()


def _traffic_roi(video: Video) -> float:
    if not video.natural_plays or video.natural_gmv is None:
        return 0.0
    return video.natural_gmv / (video.natural_plays / 1000.0) / REFERENCE_CPM


def committed_dou_plus_video(videos: Sequence[Video]) -> Video:
    """A video a buyer would already have Dou+ running on: mid-tier, fresh, above the floor."""
    for video in videos:
        age = (PLAN_DATE - video.publish_date).days
        if (
            500_000 <= video.followers < 3_000_000
            and 3 <= age <= 15
            and _traffic_roi(video) >= TMALL_ROI_FLOOR
        ):
            return video
    return max(videos, key=_traffic_roi)


def campaign_tmall_toml(videos: Sequence[Video]) -> str:
    committed = committed_dou_plus_video(videos)
    return f'''# 618 campaign on the Douyin -> Tmall chain (抖音种草, 天猫旗舰店成交).
# Dates are TOML dates (YYYY-MM-DD); money is in yuan (元).
# Regenerate with: python sample_data/generate.py

name = "618 种草收割 2027"
chain = "tmall"            # "tmall" (抖音 -> 天猫) or "closed_loop" (抖音闭环, 直播间)

plan_date = 2027-04-20     # the day you plan on (今天); orders start the day after
start = 2027-04-21         # first day of paid traffic (投放开始)
end = 2027-06-20           # last day (投放结束)

budget = 3_000_000         # total paid-traffic budget (投流总预算), KOL fees not included
daily_cap = 100_000        # most the team can spend on one day (日消耗上限)

# ROI floor (保本/目标ROI): every video whose traffic ROI (流量ROI = GPM / CPM) is at or
# above it may get Dou+. Set it directly ...
roi_floor = {TMALL_ROI_FLOOR}
# ... or delete roi_floor and let the planner derive the break-even floor from margin and
# returns: floor = 1 / (gross_margin x (1 - return_rate)) = 1 / (0.6 x 0.85) = 1.96.
# gross_margin = 0.6       # 毛利率
# return_rate = 0.15       # 退货率

reference_cpm = 40         # CPM (千次曝光价格) used to score traffic ROI

# Big sales (大促): OCPM prices and conversion run 2-3x, Dou+ can barely spend.
# Content service (内容服务) for the sale must be booked 30 days ahead (锁量): with the
# plan dated 2027-04-20 the planner can still book it by 2027-05-01.
[[big_sales]]
name = "618"
start = 2027-05-31         # pre-sale starts (预售)
end = 2027-06-18           # the 618 peak (大促当天)
# Phases (optional): without them the last 3 days are the peak (爆发) and the rest the
# pre-sale (预售); each phase gets a share of the peak's effects (intensity 0..1).
[[big_sales.phases]]
kind = "presale"           # preheat / presale / peak / return
start = 2027-05-31
end = 2027-06-15
[[big_sales.phases]]
kind = "peak"
start = 2027-06-16
end = 2027-06-18

# Orders already booked or spent (已下单): fixed, re-planning never changes them.
[[commitments]]
video_id = "{committed.video_id}"      # {committed.kol_name}: Dou+ test order (DOU+ 测试单)
tool = "dou_plus"          # dou_plus / content_service / kol_bidding / ad_feed / uni_desk
start = 2027-04-21
end = 2027-04-23
budget = 3_000
booking_date = 2027-04-20

# Balance effect (天平效应): share of KOL fees + seeding tools (A+I, 存钱) in total spend.
[balance]
min_seeding_share = 0.5
max_seeding_share = 0.95  # harvest (AD feed, UD) at least 5% of all spend, KOL fees included

# Override one tool's assumptions; the other fields keep their defaults.
# [tools.dou_plus]
# cpm = 25                 # yuan per 1,000 plays this account actually pays
# max_daily = 20_000       # cap Dou+ per day
'''


def campaign_closed_loop_toml() -> str:
    return """# 30-day campaign on the Douyin closed loop (抖音闭环: 随心推, 千川, 品牌直播间).
# Dates are TOML dates (YYYY-MM-DD); money is in yuan (元).
# Regenerate with: python sample_data/generate.py

name = "520 闭环冲刺 2027"
chain = "closed_loop"
live_room = true           # the brand live room sells (品牌直播间): short videos bring its
                           # traffic; direct live-room buying (千川直播间) at most 10% of the
                           # day's short-video spend ([live_room_traffic])

plan_date = 2027-04-20
start = 2027-04-21
end = 2027-05-20

budget = 800_000           # paid-traffic budget (投流预算)
daily_cap = 60_000         # 日消耗上限

# No roi_floor here: the planner derives the break-even floor (保本ROI) from margin and
# returns: 1 / (0.8 x (1 - 0.1)) = 1.39.
gross_margin = 0.8         # 毛利率
return_rate = 0.1          # 退货率

# A short 双11-style peak (大促). It starts 23 days after the plan date, so it is too late
# to lock in content service 30 days ahead (锁量来不及): the planner says so per video.
[[big_sales]]
name = "520 心动大促"
start = 2027-05-13
end = 2027-05-20

# Orders already booked go here, e.g.:
# [[commitments]]
# video_id = "v0001"
# tool = "suixintui"       # suixintui / content_service / kol_bidding / qianchuan
# start = 2027-04-21
# end = 2027-04-21
# budget = 500

# [tools.qianchuan]
# cpm = 35
"""


PORTFOLIO_TOML = """# A portfolio for `planner batch`: one [[campaigns]] entry per campaign, paths
# relative to this file. Regenerate with: python sample_data/generate.py
#
#   planner batch --manifest sample_data/portfolio.toml --date 2027-04-20 --out out/portfolio
#
# The first morning plans both campaigns and records them in their stores; from then on
# each re-plans from the day's actuals export named by `actuals` ({date} is the batch's
# date, {yesterday} the day before), e.g. --date 2027-04-22 reads
# out/exports/618_2027-04-21.csv.

[[campaigns]]
name = "618-tmall"                      # unique; also its folder under --out
campaign = "campaign_tmall.toml"
videos = "videos.csv"
store = "../out/stores/618-tmall.sqlite"
actuals = "../out/exports/618_{yesterday}.csv"

[[campaigns]]
name = "520-closed-loop"
campaign = "campaign_closed_loop.toml"
videos = "videos_zh.xlsx"
store = "../out/stores/520-closed-loop.sqlite"
actuals = "../out/exports/520_{yesterday}.csv"
"""


def portfolio_names(campaigns: int) -> list[str]:
    return [f"brand-{i:03d}" for i in range(1, campaigns + 1)]


def write_portfolio(out_dir: Path, campaigns: int, videos: int, *, seed: int = SEED,
                    plan_date: date = PLAN_DATE, n_days: int = 30,
                    budget_per_video: float = 2_500.0,
                    time_limit_s: float | None = None) -> Path:
    """A synthetic agency portfolio for ``planner batch``; returns the manifest's path.

    Campaign ``brand-001`` ... each get a folder with ``videos.csv`` (its own seeded
    roster) and ``campaign.toml`` (a Tmall campaign with a big sale, planned on
    ``plan_date``); the manifest puts their stores under ``stores/`` and reads their
    actuals from ``actuals/<name>_{yesterday}.csv`` (``write_portfolio_actuals``).
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    entries = []
    for i, name in enumerate(portfolio_names(campaigns), start=1):
        folder = out_dir / name
        folder.mkdir(exist_ok=True)
        roster = generate_roster(videos, seed=seed + i, plan_date=plan_date)
        raw = generate_campaign_dict("tmall", plan_date=plan_date, n_days=n_days,
                                     budget=budget_per_video * videos)
        raw["name"] = f"品牌{i:03d} 618 (synthetic)"
        if time_limit_s is not None:
            raw["solver"] = {"time_limit_s": float(time_limit_s)}
        (folder / "videos.csv").write_text(videos_csv_text(roster), encoding="utf-8",
                                           newline="")
        (folder / "campaign.toml").write_text(toml_text(raw), encoding="utf-8",
                                              newline="")
        entries.append(
            f'[[campaigns]]\nname = "{name}"\ncampaign = "{name}/campaign.toml"\n'
            f'videos = "{name}/videos.csv"\nstore = "stores/{name}.sqlite"\n'
            f'actuals = "actuals/{name}_{{yesterday}}.csv"\n'
        )
    manifest = out_dir / "portfolio.toml"
    manifest.write_text("\n".join(entries), encoding="utf-8", newline="")
    return manifest


def write_portfolio_actuals(manifest: Path, plans_dir: Path, day: date, *,
                            seed: int = SEED) -> list[Path]:
    """Each campaign's back-end export for ``day``: what its plan in
    ``plans_dir/<name>/plan.json`` spent that day really sold, in a seeded world
    (``planner.simulate``); written where ``write_portfolio``'s manifest reads it the
    morning after."""
    import pandas as pd

    from planner.io.campaign_file import read_campaign
    from planner.io.roster import read_videos
    from planner.simulate import make_world, simulate_day

    folder = manifest.parent
    (folder / "actuals").mkdir(exist_ok=True)
    written = []
    for name in sorted(p.name for p in plans_dir.iterdir() if (p / "plan.json").is_file()):
        if not (folder / name / "campaign.toml").is_file():
            continue
        campaign = read_campaign(folder / name / "campaign.toml")
        roster, _ = read_videos(folder / name / "videos.csv")
        plan = Plan.model_validate_json((plans_dir / name / "plan.json").read_text("utf-8"))
        world = make_world(roster, seed=seed + int(name.rsplit("-", 1)[-1]))
        frame = simulate_day(plan.daily, day, roster, campaign, world)
        path = folder / "actuals" / f"{name}_{day.isoformat()}.csv"
        pd.DataFrame(frame).to_csv(path, index=False)
        written.append(path)
    return written


def write_all(out_dir: Path) -> list[Path]:
    """Write every sample file into ``out_dir``; returns the paths written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    videos = roster()
    paths = {
        "csv": out_dir / "videos.csv",
        "xlsx": out_dir / "videos_zh.xlsx",
        "tmall": out_dir / "campaign_tmall.toml",
        "closed_loop": out_dir / "campaign_closed_loop.toml",
        "portfolio": out_dir / "portfolio.toml",
    }
    paths["csv"].write_text(videos_csv_text(videos), encoding="utf-8", newline="")
    write_videos_xlsx(videos, paths["xlsx"])
    paths["tmall"].write_text(campaign_tmall_toml(videos), encoding="utf-8", newline="")
    paths["closed_loop"].write_text(campaign_closed_loop_toml(), encoding="utf-8", newline="")
    paths["portfolio"].write_text(PORTFOLIO_TOML, encoding="utf-8", newline="")
    return list(paths.values())


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, default=HERE, help="output folder")
    parser.add_argument("--portfolio", type=int, metavar="N",
                        help="write a synthetic portfolio of N campaigns instead")
    parser.add_argument("--videos", type=int, default=200,
                        help="videos per campaign with --portfolio (default: %(default)s)")
    args = parser.parse_args(argv)
    if args.portfolio is not None:
        if args.out == HERE:
            parser.error("--portfolio needs --out (the sample folder holds the samples)")
        print(write_portfolio(args.out, args.portfolio, args.videos))
        return 0
    for path in write_all(args.out):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
