"""The seeded roster / campaign generators and the committed sample data."""

from __future__ import annotations

import importlib.util
import random
import tomllib
from collections import Counter
from datetime import date, timedelta
from pathlib import Path
from types import ModuleType

import openpyxl
import pytest

from planner.config import Campaign, TierConfig, campaign_from_dict
from planner.models import Tier, Video
from planner.scoring import gpm, kol_tier, traffic_roi
from planner.synthetic import (
    HOSTILE_NAMES,
    MAX_AGE_DAYS,
    generate_campaign_dict,
    generate_roster,
)

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_data"
PLAN_DATE = date(2027, 4, 20)
TIERS = ("koc", "tail", "mid", "head", "super_head")


def _load_generate() -> ModuleType:
    spec = importlib.util.spec_from_file_location("sample_data_generate", SAMPLE / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def generate() -> ModuleType:
    return _load_generate()


def _roi(video: Video) -> float:
    return traffic_roi(gpm(video.natural_gmv, video.natural_plays), 40.0)


def _load_campaign(name: str) -> Campaign:
    with (SAMPLE / name).open("rb") as fh:
        return campaign_from_dict(tomllib.load(fh), name)


def test_same_seed_same_roster() -> None:
    a = generate_roster(60, seed=7, plan_date=PLAN_DATE)
    b = generate_roster(60, seed=7, plan_date=PLAN_DATE)
    assert [v.model_dump() for v in a] == [v.model_dump() for v in b]


def test_different_seed_different_roster() -> None:
    a = generate_roster(60, seed=7, plan_date=PLAN_DATE)
    b = generate_roster(60, seed=8, plan_date=PLAN_DATE)
    assert [v.model_dump() for v in a] != [v.model_dump() for v in b]


def test_global_random_state_neither_used_nor_changed() -> None:
    random.seed(1)
    state = random.getstate()
    a = generate_roster(30, seed=3, plan_date=PLAN_DATE)
    assert random.getstate() == state
    random.seed(2)
    b = generate_roster(30, seed=3, plan_date=PLAN_DATE)
    assert a == b


@pytest.mark.parametrize("n", [10, 11, 13, 40, 200])
@pytest.mark.parametrize("seed", [0, 1, 2027])
def test_all_tiers_present(n: int, seed: int) -> None:
    tiers = Counter(
        kol_tier(v.followers, TierConfig())
        for v in generate_roster(n, seed=seed, plan_date=PLAN_DATE)
    )
    assert set(tiers) == set(TIERS)
    assert sum(tiers.values()) == n


def test_tier_mix_roughly_as_specified() -> None:
    n = 1000
    tiers = Counter(
        kol_tier(v.followers, TierConfig()) for v in generate_roster(n, seed=5, plan_date=PLAN_DATE)
    )
    expected: dict[Tier, float] = {
        "koc": 0.15,
        "tail": 0.30,
        "mid": 0.35,
        "head": 0.15,
        "super_head": 0.05,
    }
    for tier, share in expected.items():
        assert tiers[tier] / n == pytest.approx(share, abs=0.02)


@pytest.mark.parametrize("n", [0, 1, 3, 9])
def test_small_rosters(n: int) -> None:
    roster = generate_roster(n, seed=1, plan_date=PLAN_DATE)
    assert [v.video_id for v in roster] == [f"v{i:04d}" for i in range(1, n + 1)]


def test_negative_n_rejected() -> None:
    with pytest.raises(ValueError):
        generate_roster(-1, seed=1, plan_date=PLAN_DATE)


@pytest.mark.parametrize("seed", range(5))
def test_every_video_valid_and_plausible(seed: int) -> None:
    roster = generate_roster(120, seed=seed, plan_date=PLAN_DATE)
    ids = [v.video_id for v in roster]
    assert ids == [f"v{i:04d}" for i in range(1, 121)]
    names = [v.kol_name for v in roster]
    assert len(set(names)) == len(names)
    for video in roster:
        again = Video.model_validate(video.model_dump())
        assert again == video
        assert PLAN_DATE - timedelta(days=MAX_AGE_DAYS) <= video.publish_date <= PLAN_DATE
        assert video.natural_plays > 0
        assert video.comments <= video.likes <= video.natural_plays
        if video.ad_review_passed:
            assert video.kol_authorized
        assert (video.first_2h_plays is None) == (video.first_2h_gmv is None)
        if video.first_2h_plays is not None:
            assert video.first_2h_plays <= video.natural_plays
        if video.landing_url is not None:
            assert video.landing_url.startswith("https://detail.tmall.com/item.htm?id=")
        assert 0.29 <= _roi(video) <= 4.01


def test_publish_dates_never_after_plan_date() -> None:
    for seed in range(10):
        for video in generate_roster(50, seed=seed, plan_date=PLAN_DATE):
            assert video.publish_date <= PLAN_DATE


def test_traffic_roi_spreads_around_the_floor() -> None:
    rois = [_roi(v) for v in generate_roster(40, seed=2027, plan_date=PLAN_DATE)]
    assert min(rois) < 1.0
    assert max(rois) > 1.2
    assert any(r < 1.2 for r in rois) and any(r > 1.2 for r in rois)
    big = [_roi(v) for v in generate_roster(1000, seed=9, plan_date=PLAN_DATE)]
    assert 0.2 <= sum(r < 1.0 for r in big) / len(big) <= 0.5
    assert min(big) < 0.5 and max(big) > 3.0


def test_optional_fields_shares() -> None:
    roster = generate_roster(1000, seed=11, plan_date=PLAN_DATE)
    n = len(roster)
    assert sum(v.kol_authorized for v in roster) / n == pytest.approx(0.6, abs=0.05)
    assert sum(v.roi_3m is not None for v in roster) / n == pytest.approx(0.7, abs=0.05)
    with_2h = [v for v in roster if v.first_2h_plays is not None]
    assert len(with_2h) / n == pytest.approx(0.25, abs=0.06)
    fresh_large = [
        v for v in roster if (PLAN_DATE - v.publish_date).days <= 1 and v.followers > 500_000
    ]
    assert sum(v.first_2h_plays is not None for v in fresh_large) / len(fresh_large) > 0.8
    rates = [v.comments / v.likes for v in roster if v.likes >= 1000]
    assert 0.005 < min(rates) and max(rates) < 0.07


def test_kol_fee_rises_with_tier() -> None:
    roster = generate_roster(400, seed=4, plan_date=PLAN_DATE)
    koc = [v.kol_fee for v in roster if v.followers < 100_000 and v.kol_fee is not None]
    mid = [
        v.kol_fee for v in roster if 500_000 <= v.followers < 1_000_000 and v.kol_fee is not None
    ]
    assert max(koc) < 5_000
    assert all(8_000 <= fee <= 60_000 for fee in mid)


def test_hostile_names_present() -> None:
    names = {v.kol_name for v in generate_roster(40, seed=2027, plan_date=PLAN_DATE)}
    assert set(HOSTILE_NAMES) <= names
    assert any(n.startswith("=") for n in names) and any(n.startswith("@") for n in names)


@pytest.mark.parametrize("chain", ["tmall", "closed_loop"])
@pytest.mark.parametrize("n_days", [1, 2, 7, 30, 61])
def test_generated_campaign_validates(chain: str, n_days: int) -> None:
    raw = generate_campaign_dict(chain, plan_date=PLAN_DATE, n_days=n_days, budget=500_000)
    campaign = campaign_from_dict(raw)
    assert campaign.chain == chain
    assert campaign.effective_plan_date == PLAN_DATE
    assert len(campaign.days()) == n_days
    assert campaign.start > PLAN_DATE
    (sale,) = campaign.big_sales
    assert campaign.start <= sale.start <= sale.end <= campaign.end


def test_generated_campaign_without_sale() -> None:
    raw = generate_campaign_dict("tmall", plan_date=PLAN_DATE, budget=1e6, with_sale=False)
    assert campaign_from_dict(raw).big_sales == ()


def test_generated_campaign_rejects_unknown_chain() -> None:
    with pytest.raises(ValueError, match="unknown chain"):
        generate_campaign_dict("taobao", plan_date=PLAN_DATE, budget=1e6)


def test_committed_csv_matches_generator(generate: ModuleType, tmp_path: Path) -> None:
    generate.write_all(tmp_path)
    for name in ("videos.csv", "campaign_tmall.toml", "campaign_closed_loop.toml"):
        committed = (SAMPLE / name).read_text(encoding="utf-8")
        assert (tmp_path / name).read_text(encoding="utf-8") == committed, (
            f"sample_data/{name} is stale: run python sample_data/generate.py"
        )


def test_committed_csv_round_trips_to_the_roster(generate: ModuleType) -> None:
    import pandas as pd

    frame = pd.read_csv(SAMPLE / "videos.csv", dtype={"video_id": str, "kol_name": str})
    assert len(frame) == 44  # 40 live videos and 4 scheduled posts
    rows = [
        {k: (None if pd.isna(v) else v) for k, v in rec.items()} for rec in frame.to_dict("records")
    ]
    videos = [Video.model_validate(r) for r in rows]
    assert videos == generate.roster()


def test_committed_xlsx_has_chinese_headers_and_same_roster(generate: ModuleType) -> None:
    book = openpyxl.load_workbook(SAMPLE / "videos_zh.xlsx", read_only=True)
    sheet = book.worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    book.close()
    header, body = rows[0], rows[1:]
    assert list(header) == [generate.ZH_COLUMNS[c] for c in generate.COLUMNS]
    roster = generate.roster()
    assert len(body) == len(roster)
    by_id = {r[0]: dict(zip(generate.COLUMNS, r, strict=True)) for r in body}
    for video in roster:
        row = by_id[video.video_id]
        assert row["kol_name"] == video.kol_name  # hostile names stay text, not formulas
        assert row["kol_authorized"] == ("是" if video.kol_authorized else "否")
        assert row["followers"] == video.followers
        assert row["publish_date"].date() == video.publish_date


def test_sample_campaigns_validate() -> None:
    roster_ids = {v.video_id for v in _load_generate().roster()}

    tmall = _load_campaign("campaign_tmall.toml")
    assert tmall.chain == "tmall"
    assert tmall.budget == 3_000_000
    assert tmall.effective_roi_floor == 1.2
    assert tmall.balance.min_seeding_share == 0.5
    (sale,) = tmall.big_sales
    assert (sale.start - tmall.effective_plan_date).days >= tmall.rules.lock_in_days
    (commitment,) = tmall.commitments
    assert commitment.video_id in roster_ids
    assert commitment.tool == "dou_plus" and commitment.budget == 3_000

    closed = _load_campaign("campaign_closed_loop.toml")
    assert closed.chain == "closed_loop"
    assert closed.budget == 800_000
    assert len(closed.days()) == 30
    (sale,) = closed.big_sales
    assert 0 < (sale.start - closed.effective_plan_date).days < closed.rules.lock_in_days
    assert closed.effective_roi_floor == pytest.approx(1 / (0.8 * 0.9))
