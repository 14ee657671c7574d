"""Nothing lost, nothing shared by accident (issue 29): the history store is never an
output of its own run, never another application's database, and a portfolio never
mixes two campaigns in one history."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from planner.batch import CampaignTask, read_manifest, run_campaign
from planner.cli import app
from planner.errors import InputError
from planner.io.store import open_store

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_data"
DAY = date(2027, 4, 20)
runner = CliRunner()

pytestmark = pytest.mark.usefixtures("english")


def _entry(name: str, store: str, campaign: str = "c.toml") -> str:
    return (f'[[campaigns]]\nname = "{name}"\ncampaign = "{campaign}"\nvideos = "v.csv"\n'
            f'store = "{store}"\n\n')


# ---------------------------------------------------------------- the store is never an output


def test_a_store_among_the_portfolios_outputs_is_refused_before_any_campaign_runs(tmp_path):
    manifest = tmp_path / "portfolio.toml"
    manifest.write_text(_entry("a", "a.sqlite") + _entry("b", "out/a/plan.json")
                        + _entry("c", "out/portfolio.json") + _entry("d", "out"),
                        encoding="utf-8")
    with pytest.raises(InputError) as refused:
        read_manifest(manifest, DAY, tmp_path / "out")
    text = str(refused.value)
    assert "[[campaigns]] #2 ('b'): the history store is plan.json" in text
    assert "[[campaigns]] #3 ('c'): the history store is portfolio.json" in text
    assert "[[campaigns]] #4 ('d'): the history store is the --out folder" in text
    assert "#1" not in text
    result = runner.invoke(app, ["batch", "--manifest", str(manifest), "--date", str(DAY),
                                 "--out", str(tmp_path / "out")])
    assert result.exit_code == 2, result.output
    assert not (tmp_path / "out").exists()


def test_a_plan_never_replaces_its_own_store_and_the_history_survives(tmp_path):
    """The issue's run: --store OUT/plan.json --out OUT once held a store; now it is refused
    and the store made by an earlier run is left byte for byte."""
    out = tmp_path / "out"
    store = tmp_path / "history.sqlite"
    ok = runner.invoke(app, ["plan", "--campaign", str(SAMPLE / "campaign_tmall.toml"),
                             "--videos", str(ROOT / "tests/data/bad/videos_tab.tsv"),
                             "--store", str(store), "--out", str(out)])
    assert ok.exit_code == 0, ok.output
    moved = out / "plan.json"
    moved.unlink()
    store.rename(moved)
    before = moved.read_bytes()
    again = runner.invoke(app, ["plan", "--campaign", str(SAMPLE / "campaign_tmall.toml"),
                                "--videos", str(ROOT / "tests/data/bad/videos_tab.tsv"),
                                "--store", str(moved), "--out", str(out)])
    assert again.exit_code == 2, again.output
    assert "the history store is plan.json" in again.output
    assert moved.read_bytes() == before


# ---------------------------------------------------------------- one campaign, one history


def test_two_entries_writing_one_campaign_into_one_store_are_refused_naming_both(tmp_path):
    (tmp_path / "c.toml").write_bytes((SAMPLE / "campaign_tmall.toml").read_bytes())
    (tmp_path / "copy.toml").write_bytes((SAMPLE / "campaign_tmall.toml").read_bytes())
    manifest = tmp_path / "portfolio.toml"
    manifest.write_text(_entry("brand-a", "h.sqlite")
                        + _entry("brand-b", "./h.sqlite", "copy.toml")
                        + _entry("brand-c", "other.sqlite"), encoding="utf-8")
    with pytest.raises(InputError) as refused:
        read_manifest(manifest, DAY, tmp_path / "out")
    text = str(refused.value)
    assert ("[[campaigns]] #1 ('brand-a') and #2 ('brand-b') both write the campaign "
            "'618 种草收割 2027' into the history store") in text, text
    assert "brand-c" not in text
    assert "Fix: give each campaign its own name" in text


def _task(tmp_path: Path, name: str, store: Path) -> CampaignTask:
    return CampaignTask(name=name, campaign=SAMPLE / "campaign_tmall.toml",
                        videos=ROOT / "tests/data/bad/videos_tab.tsv", store=store,
                        actuals=None, out=tmp_path / "out" / name, day=DAY, lang="en")


def test_the_store_refuses_a_campaign_another_manifest_entry_writes(tmp_path):
    """Two manifests, one store, one campaign name: the entry that wrote it first owns it."""
    store = tmp_path / "h.sqlite"
    first = run_campaign(_task(tmp_path, "brand-a", store))
    assert first.exit_code == 0, first.message
    with open_store(store) as history:
        assert history.owner("618 种草收割 2027") == "brand-a"
        plans = history.plan_count("618 种草收割 2027")
    second = run_campaign(_task(tmp_path, "brand-b", store))
    assert second.exit_code == 2, second.message
    assert ("the campaign '618 种草收割 2027' in the history store" in second.message
            and "is written by the manifest entry 'brand-a', not 'brand-b'" in second.message)
    assert not (tmp_path / "out" / "brand-b").exists()
    with open_store(store) as history:
        assert history.plan_count("618 种草收割 2027") == plans
    with open_store(store) as history, history.transaction("618 种草收割 2027"), \
            pytest.raises(InputError, match="is written by the manifest entry 'brand-a'"):
        history.claim("618 种草收割 2027", "brand-b")
