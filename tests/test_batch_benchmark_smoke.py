"""Smoke test: the portfolio benchmark runs its three variants at a tiny size, so it
cannot rot. No timing assertions: only the shape of the output and that the variants
agree."""

from __future__ import annotations

import csv
import math
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # `benchmarks` is a top-level folder, not an installed package
    sys.path.insert(0, str(ROOT))

from benchmarks.batch import COLUMNS, VARIANTS, main, parse_args  # noqa: E402

# Worker processes must not re-run a Streamlit script left as __main__ by the app tests.
pytestmark = pytest.mark.usefixtures("plain_main")


NUMBER_COLUMNS = tuple(c for c in COLUMNS if c not in ("variant", "same_plans", "notes"))


def _is_number(text: str) -> bool:
    try:
        return math.isfinite(float(text))
    except ValueError:
        return False


@pytest.mark.slow
def test_the_three_variants_run_and_give_the_same_plans(tmp_path):
    assert main(["--campaigns", "2", "--videos", "12", "--workers", "2", "--time-limit", "30",
                 "--out", str(tmp_path)]) == 0
    with (tmp_path / "batch_results.csv").open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        rows = list(reader)
        assert tuple(reader.fieldnames or ()) == COLUMNS
    assert [r["variant"] for r in rows[:3]] == list(VARIANTS)
    for row in rows[:3]:
        assert row["failed"] == "0" and row["same_plans"] == "2/2", row
        # Every figure is written as a number (what the figures are is never asserted).
        assert all(_is_number(row[column]) for column in NUMBER_COLUMNS), row
    text = (tmp_path / "batch_results.md").read_text(encoding="utf-8")
    assert "| local pool" in text and "| LocalCluster" in text and "cores:" in text


def test_command_line_options():
    options = parse_args(["--campaigns", "5", "--videos", "30", "--workers", "3"])
    assert (options.campaigns, options.videos, options.workers) == (5, 30, 3)


def test_variants_are_chosen_by_their_short_names():
    assert parse_args(["--variants", "pool"]).variants == ("local pool",)
    assert parse_args([]).variants == VARIANTS
    with pytest.raises(SystemExit):
        parse_args(["--variants", "threads"])


@pytest.mark.slow
def test_the_pool_alone_reports_seconds_per_campaign_without_a_reference(tmp_path):
    assert main(["--campaigns", "2", "--videos", "12", "--workers", "2", "--time-limit", "30",
                 "--out", str(tmp_path), "--variants", "pool"]) == 0
    with (tmp_path / "batch_results.csv").open(encoding="utf-8", newline="") as handle:
        pool, first = list(csv.DictReader(handle))
    assert pool["variant"] == "local pool" and pool["failed"] == "0"
    assert _is_number(pool["per_campaign_s"]) and _is_number(first["per_campaign_s"])
    assert pool["speedup"] == "" and pool["same_plans"] == "-"
