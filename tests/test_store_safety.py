"""Nothing lost, nothing shared by accident (issue 29): the history store is never an
output of its own run, never another application's database, and a portfolio never
mixes two campaigns in one history."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from planner.batch import read_manifest
from planner.cli import app
from planner.errors import InputError

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
