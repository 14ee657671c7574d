"""Smoke test: the benchmark runs end to end at a tiny size, so it cannot rot.

No timing assertions: the figures depend on the machine. Only the shape of the
output is checked.
"""

from __future__ import annotations

import csv
import sys
import tomllib
from datetime import date
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # `benchmarks` is a top-level folder, not an installed package
    sys.path.insert(0, str(ROOT))

from benchmarks.run import CLI_SPLIT, COLUMNS, Options, campaign_dict, parse_args, run  # noqa: E402
from planner.io.campaign_file import toml_text  # noqa: E402

pytestmark = pytest.mark.slow  # the benchmark's run takes several seconds


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict[str, object]]]:
    out = tmp_path_factory.mktemp("bench")
    rows = run(Options(sizes=(20,), repeats=1, time_limit=30, out=out, profile=True))
    return out, rows


def test_csv_has_the_expected_columns_and_one_row(results):
    out, _ = results
    with (out / "results.csv").open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        rows = list(reader)
        assert tuple(reader.fieldnames or ()) == COLUMNS
    assert len(rows) == 1
    row = rows[0]
    assert row["videos"] == "20"
    # Every part ran at this size: planner, CLI, naive MILP, rule of thumb, re-plan.
    for column in ("plan_s", "cli_s", "cli_peak_mb", "expected_gmv", "bound_gmv", "gap",
                   "naive_s", "objective_ratio", "thumb_gmv", "uplift_pct", "replan_s"):
        assert row[column] != "", column
        float(row[column])
    assert row["status"] in ("optimal", "feasible")


def test_the_cli_time_is_split_into_its_stages_without_going_over_it(results):
    _, rows = results
    (row,) = rows
    split = [row[column] for column in CLI_SPLIT]
    assert all(isinstance(seconds, float) and seconds >= 0.0 for seconds in split), split
    # Only the rest is what the stages leave of the wall time, so they never exceed it.
    assert sum(split[:-1]) <= row["cli_s"]  # type: ignore[operator]


def test_planner_beats_or_matches_the_rule_of_thumb(results):
    _, rows = results
    (row,) = rows
    assert float(row["expected_gmv"]) >= float(row["thumb_gmv"]) - 10.0  # type: ignore[arg-type]


def test_markdown_and_profile_are_written(results):
    out, _ = results
    text = (out / "results.md").read_text(encoding="utf-8")
    assert "| videos |" in text and "| 20 |" in text
    assert "| start-up s |" in text
    assert "cores:" in text and "highspy:" in text and "pulp:" in text
    profile = (out / "profile_20.txt").read_text(encoding="utf-8")
    assert "cumulative" in profile and "make_plan" in profile


def test_campaign_toml_round_trips():
    raw = campaign_dict(50, 120.0)
    assert tomllib.loads(toml_text(raw)) == raw
    assert raw["start"] == date(2027, 4, 21) and raw["budget"] == 125_000


def test_command_line_options():
    options = parse_args(["--sizes", "50,200", "--repeats", "2", "--time-limit", "30",
                          "--naive-max", "100", "--no-profile"])
    assert options.sizes == (50, 200) and options.repeats == 2 and options.time_limit == 30
    assert options.naive_max == 100 and not options.profile
    with pytest.raises(SystemExit):
        parse_args(["--sizes", "fifty"])
