"""Tracking links: naming convention, platform tags, uniqueness, and the plan's outputs."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import openpyxl
import pandas as pd
import pytest
from typer.testing import CliRunner

from factories import make_campaign, make_video
from planner.cli import app
from planner.i18n import tool_name
from planner.io.plan_files import column_header
from planner.links import (
    LINK_COLUMNS,
    PLATFORM_PARAMS,
    links_table,
    normalise_tag,
    strip_platform_params,
)
from planner.models import Plan, Video
from planner.planning import make_plan
from planner.tools import Tool

SAMPLE = Path(__file__).parent.parent / "sample_data"
UTM_KEYS = ("utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term")


@pytest.mark.parametrize(
    ("text", "tag"),
    [
        ("Anna Li", "anna_li"),
        ("  MIXED   Case  ", "mixed_case"),
        ("Ｆｕｌｌ Ｗｉｄｔｈ 618", "full_width_618"),  # typed with a Chinese input method
        ("basic+interest", "basic_interest"),
        ("a&b=c?d/e#f", "a_b_c_d_e_f"),
        ("Dr. Wang's Lab", "dr_wang_s_lab"),
        ("already_ok-1", "already_ok-1"),
        ("小美", ""),
        ("618 种草收割 2027", "618_2027"),
    ],
)
def test_normalise_tag(text: str, tag: str) -> None:
    assert normalise_tag(text) == tag


def test_strip_platform_params_keeps_the_rest_verbatim_and_once() -> None:
    kept, removed = strip_platform_params(
        "id=42&ali_refid=a3_1:2&UTM_Source=ig&utm%5Fmedium=x&spm=a.b&id=42&sku=1&&fbclid=z"
    )
    assert kept == ["id=42", "sku=1"]
    assert removed == ["ali_refid", "UTM_Source", "utm_medium", "spm", "fbclid"]


def _roster() -> list[Video]:
    return [
        make_video(
            video_id="v1", kol_name="Anna Li",
            landing_url="https://shop.example.com/item?id=42&sku=7&UTM_Source=ig&utm_medium=social"
            "&ig_web_copy_link=1&spm=a.b.c&igshid=q#reviews",
        ),
        make_video(video_id="v2", kol_name="ANNA  LI",
                   landing_url="detail.tmall.com/item.htm?id=7&fbclid=abc"),
        make_video(video_id="v3", kol_name="小美"),
        make_video(video_id="v4", kol_name="Bob", landing_url="javascript:alert(1)"),
    ]


# One tool, so that each video gets exactly one order (and one link).
DOU_PLUS_ONLY = {t: {"enabled": False} for t in ("content_service", "kol_bidding", "ad_feed",
                                                   "uni_desk")}


@pytest.fixture(scope="module")
def planned() -> tuple[Plan, list[Video]]:
    videos = _roster()
    campaign = make_campaign(
        default_landing_url="https://brand.example.com/618?from=douyin&utm_campaign=old",
        tools=DOU_PLUS_ONLY,
    )
    plan = make_plan(videos, campaign)
    assert {o.video_id for o in plan.orders} == {"v1", "v2", "v3", "v4"}
    return plan, videos


def _frame(planned: tuple[Plan, list[Video]], **campaign: object) -> pd.DataFrame:
    plan, videos = planned
    slugs = campaign.pop("slugs", None)
    camp = make_campaign(
        default_landing_url="https://brand.example.com/618?from=douyin&utm_campaign=old",
        tools=DOU_PLUS_ONLY,
        **campaign,
    )
    return links_table(plan, videos, camp, slugs=slugs).to_frame().set_index("video_id")


def test_every_link_parses_back_with_each_parameter_once(planned: tuple[Plan, list[Video]]) -> None:
    frame = _frame(planned)
    assert set(frame.reset_index().columns) == set(LINK_COLUMNS)
    for video_id in ("v1", "v2", "v3"):
        row = frame.loc[video_id]
        query = parse_qs(urlsplit(row["url"]).query, keep_blank_values=True)
        for key in UTM_KEYS:
            assert query[key] == [row[key]], key
        lowered = [k.lower() for k in query]
        assert len(lowered) == len(set(lowered))
        assert not set(lowered) & PLATFORM_PARAMS
        assert row["utm_source"] == "douyin"
        assert row["utm_medium"] == "dou_plus"
        assert row["created"] == planned[0].plan_date


def test_existing_query_and_fragment_kept_stale_tags_replaced(
    planned: tuple[Plan, list[Video]], english: None,
) -> None:
    row = _frame(planned).loc["v1"]
    parts = urlsplit(row["url"])
    query = parse_qs(parts.query)
    assert query["id"] == ["42"] and query["sku"] == ["7"]
    assert parts.fragment == "reviews"
    assert query["utm_source"] == ["douyin"]  # not the stale "ig"
    assert "social" not in row["url"] and "ig_web_copy_link" not in row["url"]
    assert parts.query.startswith("id=42&sku=7&utm_source=")
    assert "removed platform tags" in row["notes"] and "ig_web_copy_link" in row["notes"]


def test_landing_page_fallbacks(planned: tuple[Plan, list[Video]], english: None) -> None:
    frame = _frame(planned)
    # A link pasted without a scheme gets https://.
    assert frame.loc["v2", "url"].startswith("https://detail.tmall.com/item.htm?id=7&utm_source=")
    assert "added https://" in frame.loc["v2", "notes"]
    # No landing_url: the campaign's default page, its stale utm_campaign replaced.
    v3 = urlsplit(frame.loc["v3", "url"])
    assert v3.netloc == "brand.example.com"
    assert parse_qs(v3.query)["from"] == ["douyin"]
    assert parse_qs(v3.query)["utm_campaign"] == ["test"]
    # Not a web address: no link, and the note says why.
    assert pd.isna(frame.loc["v4", "url"])
    assert "not a web address" in frame.loc["v4", "notes"]


def test_two_kols_normalising_alike_get_distinct_tags(planned: tuple[Plan, list[Video]]) -> None:
    frame = _frame(planned)
    assert frame.loc["v1", "utm_content"] == "anna_li_v1"
    assert frame.loc["v2", "utm_content"] == "anna_li_v2"
    assert frame.loc["v4", "utm_content"] == "bob"
    assert frame["utm_content"].is_unique


def test_chinese_names_use_slugs_or_fall_back(planned: tuple[Plan, list[Video]],
                                              english: None) -> None:
    without = _frame(planned, name="618 种草收割")
    assert without.loc["v3", "utm_content"] == "v3"
    assert "no slug for KOL '小美'" in without.loc["v3", "notes"]
    # Without a slug the campaign keeps its ASCII part, the same on every link.
    assert set(without["utm_campaign"]) == {"618"}
    with_slugs = _frame(
        planned, name="618 种草收割", slugs={"小美": "Xiao Mei", "618 种草收割": "618 Seeding"}
    )
    assert with_slugs.loc["v3", "utm_content"] == "xiao_mei"
    assert set(with_slugs["utm_campaign"]) == {"618_seeding"}
    assert "no slug" not in " ".join(with_slugs["notes"])
    only_chinese = _frame(planned, name="种草收割")
    assert set(only_chinese["utm_campaign"]) == {"campaign_20270421"}


def test_a_kol_with_two_videos_gets_one_link_per_video() -> None:
    videos = [
        make_video(video_id="a", kol_name="Mia", landing_url="https://x.example/p"),
        make_video(video_id="b", kol_name="Mia", landing_url="https://x.example/p"),
    ]
    # Enough budget for both videos: KOL bidding's volume lets one video take 100,000.
    campaign = make_campaign(budget=2_000_000)
    frame = links_table(make_plan(videos, campaign), videos, campaign).to_frame()
    by_video = frame.drop_duplicates("video_id").set_index("video_id")
    assert by_video.loc["a", "utm_content"] == "mia_a"
    assert by_video.loc["b", "utm_content"] == "mia_b"
    assert frame["short_name"].is_unique


@pytest.mark.slow
def test_plan_command_writes_links_csv_and_links_sheet(tmp_path: Path) -> None:
    slugs = tmp_path / "slugs.csv"
    slugs.write_text("name,slug\n618 种草收割 2027,618 Seeding 2027\n超甜的糖爱美妆,tianmei\n",
                     encoding="utf-8")
    out = tmp_path / "out"
    # The sample with a bought video's KOL named as a formula (a hostile export's name).
    videos = tmp_path / "videos.csv"
    videos.write_text((SAMPLE / "videos.csv").read_text("utf-8").replace(
        "v0008,是鹿姐,", 'v0008,"=HYPERLINK(""http://example.com"",""点我领券"")",'),
        encoding="utf-8")
    result = CliRunner().invoke(app, [
        "plan", "--campaign", str(SAMPLE / "campaign_tmall.toml"),
        "--videos", str(videos), "--out", str(out), "--slugs", str(slugs),
    ])
    assert result.exit_code == 0, result.output
    assert "links.csv" in result.output
    links = pd.read_csv(out / "links.csv", encoding="utf-8-sig", dtype=str)
    plan = Plan.model_validate_json((out / "plan.json").read_text("utf-8"))
    assert len(links) == len(plan.orders)
    assert set(links["utm_campaign"]) == {"618_seeding_2027"}
    assert links["short_name"].is_unique
    # v0008's KOL is named "=HYPERLINK(...": the CSV keeps it inert.
    hostile = links.loc[links["video_id"] == "v0008", "kol_name"]
    assert len(hostile) and hostile.str.startswith("'=").all()
    book = openpyxl.load_workbook(out / "plan.xlsx", read_only=True)
    assert "追踪链接" in book.sheetnames
    rows = list(book["追踪链接"].iter_rows(values_only=True))
    # The sheet's headers read as words; links.csv keeps the column ids.
    assert list(rows[0]) == [column_header(c) for c in LINK_COLUMNS]
    assert list(links.columns) == list(LINK_COLUMNS)
    assert [r[0] for r in rows[1:]] == list(links["short_name"])
    # The sheet names the tool as buyers do; links.csv keeps its id for scripts.
    tool = LINK_COLUMNS.index("tool")
    assert [r[tool] for r in rows[1:]] == [tool_name(v) for v in links["tool"]]
    assert set(links["tool"]) <= {t.value for t in Tool}
    summary = [c for r in book["汇总"].iter_rows(values_only=True) for c in r]
    assert "再加1万元" in summary
    assert plan.marginal and plan.marginal[0].startswith("再加 10,000 元")  # in the plan's language
    book.close()


def test_link_notes_are_in_the_buyers_language(planned: tuple[Plan, list[Video]]) -> None:
    """The notes column speaks Chinese by default (the column ids stay as they are)."""
    notes = " ".join(str(n) for n in _frame(planned)["notes"].tolist())
    assert "落地页" in notes or "标识" in notes
    assert "landing page" not in notes and "no slug" not in notes
