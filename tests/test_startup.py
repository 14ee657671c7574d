"""Each command imports only what it uses: start-up is most of a small plan's wall time.

The commands run in a fresh interpreter through a tiny wrapper that reports which of
the heavy packages ended up in ``sys.modules``; nothing here is timed (the seconds are
in benchmarks/results/startup.md).
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

SAMPLE = Path(__file__).parent.parent / "sample_data"
HEAVY = ("planner.optimiser", "planner.planning", "highspy", "sqlalchemy", "xlsxwriter",
         "pydantic", "pandas", "pyarrow", "dask", "distributed")

# Runs the command in this interpreter, then prints the heavy packages it imported.
_WRAPPER = """
import json, sys
from planner.cli import app
heavy = json.loads(sys.argv[1])
try:
    app(args=sys.argv[2:], prog_name="planner")
except SystemExit as exc:
    code = exc.code
print(json.dumps({"exit": code, "loaded": [h for h in heavy if h in sys.modules]}))
"""


def _imports(*args: str, exits: tuple[int | None, ...] = (0, None)) -> set[str]:
    run = subprocess.run([sys.executable, "-c", _WRAPPER, json.dumps(HEAVY), *args],
                         capture_output=True, text=True, timeout=300)
    report = json.loads(run.stdout.strip().splitlines()[-1])
    assert report["exit"] in exits, run.stderr
    return set(report["loaded"])


def test_help_imports_no_solver_store_models_or_tables():
    assert _imports("--help") == set()


@pytest.mark.slow
def test_inspect_imports_no_solver_store_or_workbook_writer():
    loaded = _imports("inspect", str(SAMPLE / "videos.csv"),
                      "--campaign", str(SAMPLE / "campaign_tmall.toml"))
    assert loaded.isdisjoint({"planner.optimiser", "planner.planning", "highspy",
                              "sqlalchemy", "xlsxwriter", "dask"})


@pytest.mark.slow
def test_check_imports_no_solver_store_or_workbook_writer(tmp_path):
    orders = tmp_path / "orders.csv"  # no orders: the sample's booked line is missing (exit 9)
    orders.write_text("video_id,tool,start_date,end_date,budget\n", encoding="utf-8")
    loaded = _imports("check", "--campaign", str(SAMPLE / "campaign_tmall.toml"),
                      "--videos", str(SAMPLE / "videos.csv"), "--plan", str(orders), exits=(9,))
    assert loaded.isdisjoint({"planner.optimiser", "planner.planning", "highspy",
                              "sqlalchemy", "xlsxwriter", "dask"})


@pytest.mark.slow
def test_plan_without_a_store_imports_no_store_back_end_or_dask(tmp_path):
    loaded = _imports("plan", "--campaign", str(SAMPLE / "campaign_tmall.toml"),
                      "--videos", str(SAMPLE / "videos.csv"), "--out", str(tmp_path / "out"))
    assert (tmp_path / "out" / "plan.xlsx").exists()
    assert loaded.isdisjoint({"sqlalchemy", "dask", "distributed"})


@pytest.mark.slow
@pytest.mark.parametrize("roster", ["videos.csv", "videos.xlsx"])
def test_plan_without_a_store_or_actuals_imports_no_pandas(tmp_path, roster):
    """The readers, the probe and the writers hold tables of their own: pandas (and pyarrow
    under it) is a third of a second of start-up that ``planner plan`` does not need."""
    videos = _roster_as(tmp_path, roster)
    loaded = _imports("plan", "--campaign", str(SAMPLE / "campaign_closed_loop.toml"),
                      "--videos", str(videos), "--out", str(tmp_path / "out"))
    assert (tmp_path / "out" / "links.csv").exists()
    assert loaded.isdisjoint({"pandas", "pyarrow"})


def _roster_as(tmp_path, name):
    """The sample roster as a CSV or a workbook."""
    import csv

    source = SAMPLE / "videos.csv"
    if name.endswith(".csv"):
        return source
    with source.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    path = tmp_path / name
    import openpyxl

    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    book.save(path)
    return path


# Runs the console command (``main``), printing whether the cycle collector ran when the
# command line was read (the --lang check) and when the command began its work.
_COLLECTOR = """
import gc, sys
import planner.cli as cli
def spy(name, real):
    def record(*args):
        print(name, gc.isenabled(), flush=True)
        return real(*args)
    return record
cli._check_lang = spy("start-up", cli._check_lang)
cli._regular = spy("work", cli._regular)
sys.argv = ["planner", "--lang", "zh", *sys.argv[1:]]
cli.main()
"""


@pytest.mark.slow
def test_the_collector_is_paused_for_start_up_and_runs_for_the_work():
    run = subprocess.run([sys.executable, "-c", _COLLECTOR, "inspect",
                          str(SAMPLE / "videos.csv")], capture_output=True, text=True,
                         timeout=300)
    assert run.returncode == 0, run.stderr
    seen = [line for line in run.stdout.splitlines() if line.startswith(("start-up", "work"))]
    assert seen == ["start-up False", "work True"]


def test_start_up_done_starts_only_the_collector_start_up_paused():
    import gc

    from planner.collector import collector_paused, pause_for_start_up, start_up_done

    assert gc.isenabled()
    try:
        with collector_paused():
            pause_for_start_up()  # already paused by someone else: not start-up's to start
            start_up_done()
            assert not gc.isenabled()
        pause_for_start_up()
        assert not gc.isenabled()
        start_up_done()
        assert gc.isenabled()
        gc.disable()
        start_up_done()  # a second call starts nothing
        assert not gc.isenabled()
    finally:
        gc.enable()
