"""The bad-input corpus (tests/data/bad/cases.toml): clear errors, exit codes, nothing written.

Every case runs ``planner plan`` the way a buyer does. A bad file must exit
with 2, name the file, the row and column where it can, say what is wrong
and how to fix it, never show a traceback, and leave no output folder behind.
A good export (other encodings, delimiters, workbooks with titles, several
sheets or formulas) must plan with exit code 0. Actuals files are checked
through ``read_actuals``, which re-planning uses.

Cases with ``build`` are made at test time (history stores, folders in the way,
zip bombs: small on disk, huge unpacked); ``store``, ``replan`` and ``out`` cases
run a whole command line (a damaged or foreign store exits 6). Cases with
``max_rss_mb`` run the planner in a child process and check its peak memory.
The number of cases is asserted (``EXPECTED_CASES``).
"""

from __future__ import annotations

import csv
import importlib.util
import json
import os
import subprocess
import sys
import tomllib
import tracemalloc
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import openpyxl
import pytest
from typer.testing import CliRunner

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # `benchmarks` is a top-level folder, not an installed package
    sys.path.insert(0, str(ROOT))

from benchmarks.peak_memory import MEASURED  # noqa: E402
from planner.cli import app  # noqa: E402
from planner.errors import InputError  # noqa: E402
from planner.io.actuals import read_actuals  # noqa: E402
from planner.io.raw import MAX_ROWS  # noqa: E402

BAD = ROOT / "tests" / "data" / "bad"
MANIFEST = tomllib.loads((BAD / "cases.toml").read_text("utf-8"))
runner = CliRunner()
# The corpus expects the CLI's English words ("warning:", sheet "Orders"): PLANNER_LANG=en.
pytestmark = pytest.mark.usefixtures("english")


@dataclass(frozen=True)
class Case:
    name: str
    file: str
    input: str
    exit: int
    expect: list[str]
    once: list[str] = field(default_factory=list)
    videos: str = ""
    campaign: str = ""
    xfail: str = ""
    build: str = ""  # built at test time by make_fixtures.BUILDERS[build] (not committed)
    command: str = "plan"
    args: list[str] = field(default_factory=list)
    max_rss_mb: int = 0  # run in a subprocess and check its peak memory
    slow: bool = False  # a second or more: marked `slow`, left out of `make check`
    written_has: list[str] = field(default_factory=list)  # in links.csv (a good plan)
    written_lacks: list[str] = field(default_factory=list)

    @property
    def bad(self) -> bool:
        return self.exit != 0


def _case(raw: dict[str, Any]) -> Case:
    defaults = MANIFEST["defaults"]
    return Case(
        name=raw["name"],
        file=raw["file"],
        input=raw["input"],
        exit=raw.get("exit", 2),
        expect=list(raw.get("expect", [])),
        once=list(raw.get("once", [])),
        videos=raw.get("videos", defaults["videos"]),
        campaign=raw.get("campaign", defaults["campaign"]),
        xfail=raw.get("xfail", ""),
        build=raw.get("build", ""),
        command=raw.get("command", "plan"),
        args=list(raw.get("args", [])),
        max_rss_mb=raw.get("max_rss_mb", 0),
        written_has=list(raw.get("written_has", [])),
        written_lacks=list(raw.get("written_lacks", [])),
        slow=raw.get("slow", False),
    )


CASES = [_case(raw) for raw in MANIFEST["case"]]
# Every case, counted: a case that goes missing (or one added without care) shows here.
EXPECTED_CASES = 128
COMMANDS = ("store", "replan", "out", "inspect")  # inputs whose cases run a whole command line


def _params(kinds: tuple[str, ...]) -> list[Any]:
    return [
        pytest.param(
            c,
            id=c.name,
            marks=([pytest.mark.xfail(strict=True, reason=c.xfail)] if c.xfail else [])
            + ([pytest.mark.slow] if c.slow else []),
        )
        for c in CASES
        if c.input in kinds
    ]


def _load_fixture_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_fixtures", BAD / "make_fixtures.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# ---------------------------------------------------------------- the corpus itself


def test_the_corpus_is_complete_and_small() -> None:
    script = _load_fixture_script()
    files = {p.name for p in script.fixture_files(BAD)}
    names = [c.name for c in CASES]
    assert len(names) == len(set(names)), "each case has its own name"
    named = [c.file for c in CASES if not c.build]
    assert len(named) == len(set(named)), "each file is one case"
    assert set(named) == files, "every file has a case and every case a file"
    built = [c.build for c in CASES if c.build]
    assert set(built) == set(script.BUILDERS), "every builder has a case and every case one"
    assert len(CASES) == EXPECTED_CASES, f"{len(CASES)} cases; update EXPECTED_CASES"
    assert sum(c.bad for c in CASES) >= 40
    assert {c.input for c in CASES} == {"videos", "campaign", "actuals", *COMMANDS}
    assert sum((BAD / f).stat().st_size for f in files) < 2 * 1024 * 1024
    for case in CASES:
        assert case.expect or not case.bad, f"{case.name} expects no message"


def test_the_fixture_script_reproduces_the_committed_files(tmp_path: Path) -> None:
    written = _load_fixture_script().main(tmp_path)
    assert {p.name for p in written} == {c.file for c in CASES if not c.build}
    changed = [p.name for p in written if p.read_bytes() != (BAD / p.name).read_bytes()]
    assert changed == [], "run tests/data/bad/make_fixtures.py and commit the files"


# ---------------------------------------------------------------- videos and campaign files


# The bombs (cases with max_rss_mb) are only read, and take seconds each to build: built
# once per test run into this folder, then shared by the cases and by the score and
# inspect measurement.
_SHARED: dict[str, Path] = {}


@pytest.fixture(scope="module", autouse=True)
def _shared_builds(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    _SHARED["folder"] = tmp_path_factory.mktemp("bombs")
    yield
    _SHARED.clear()


def _input_path(case: Case, tmp: Path) -> Path:
    """The case's file: committed in this folder, or built into ``tmp`` now (a bomb:
    into the shared folder, once)."""
    if not case.build:
        return BAD / case.file
    if case.max_rss_mb and case.input == "videos":
        shared = _SHARED["folder"] / case.file
        if not shared.exists():
            _load_fixture_script().BUILDERS[case.build](_SHARED["folder"])
        return shared
    built: Path = _load_fixture_script().BUILDERS[case.build](tmp)
    assert built.name == case.file, f"{case.build} wrote {built.name}, not {case.file}"
    return built


def _run_plan(case: Case, out: Path) -> tuple[int, str]:
    if case.build:
        return _run_command(case, out.parent, out)
    if case.input == "videos":
        videos, campaign = BAD / case.file, ROOT / case.campaign
    else:
        videos, campaign = ROOT / case.videos, BAD / case.file
    result = runner.invoke(
        app, ["plan", "--campaign", str(campaign), "--videos", str(videos), "--out", str(out)]
    )
    return result.exit_code, result.output


def _argv(case: Case, tmp: Path, out: Path, file: Path | None = None) -> list[str]:
    file = file or _input_path(case, tmp)
    values = {"file": str(file), "out": str(out), "tmp": str(tmp), "root": str(ROOT),
              "bad": str(BAD)}
    videos = file if case.input == "videos" else ROOT / case.videos
    campaign = file if case.input == "campaign" else ROOT / case.campaign
    if case.command in ("plan", "sweep"):
        argv = [case.command, "--campaign", str(campaign), "--videos", str(videos)]
        if case.command == "plan" and "--out" not in case.args:
            argv += ["--out", str(out)]
    else:
        argv = [case.command]
    return argv + [a.format(**values) for a in case.args]


def _run_command(case: Case, tmp: Path, out: Path,
                 file: Path | None = None) -> tuple[int, str]:
    """The case's command line; in a subprocess when its peak memory is checked."""
    argv = _argv(case, tmp, out, file)
    if not case.max_rss_mb:
        result = runner.invoke(app, argv)
        return result.exit_code, result.output
    code, output, peak_mb = _run_measured(argv, tmp)
    assert peak_mb < case.max_rss_mb, f"peak {peak_mb:.0f} MB > {case.max_rss_mb} MB\n{output}"
    return code, output


# The planner in a fresh process that reports its own peak memory (benchmarks.peak_memory).
_MEASURED = MEASURED


def _run_measured(argv: list[str], tmp: Path, script: str = _MEASURED
                  ) -> tuple[int, str, float]:
    """Run ``planner`` in a child process; its exit code, output and peak RSS in MB."""
    log, peak = tmp / "output.txt", tmp / "peak_kb.txt"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PLANNER_LANG": "en"}
    with log.open("wb") as sink:
        child = subprocess.run([sys.executable, "-c", script, str(peak), *argv],
                               stdout=sink, stderr=subprocess.STDOUT, env=env, cwd=tmp,
                               check=False)
    return child.returncode, log.read_text("utf-8", "replace"), int(peak.read_text()) / 1024


# Several command lines in one child process, separated by "--next": the peak covers
# them all, and each one's exit code is printed after it.
_MEASURED_MANY = """
import sys
from planner.cli import app
runs = [[]]
for arg in sys.argv[2:]:
    runs.append([]) if arg == "--next" else runs[-1].append(arg)
for args in runs:
    try:
        app(prog_name="planner", args=args)
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    print(f"exit {code}", flush=True)
with open("/proc/self/status", encoding="ascii") as status:
    peak = next(line.split()[1] for line in status if line.startswith("VmHWM:"))
with open(sys.argv[1], "w", encoding="ascii") as report:
    report.write(peak)
"""


@pytest.mark.slow
@pytest.mark.parametrize("command", ["score", "inspect"])
def test_bombs_stay_small_in_score_and_inspect(command: str, tmp_path: Path) -> None:
    """Every bomb the plan cases measure, read by ``score`` and ``inspect`` one after the
    other in one process: refused as in plan, and the peak of them all under 300 MB."""
    bombs = [c for c in CASES if c.max_rss_mb and c.input == "videos" and c.bad]
    assert len(bombs) >= 9
    argv: list[str] = []
    for case in bombs:
        file = str(_input_path(case, tmp_path))
        if command == "score":
            argv += ["score", "--campaign", str(ROOT / case.campaign), "--videos", file]
        else:
            argv += ["inspect", file]
        argv.append("--next")
    _, output, peak_mb = _run_measured(argv[:-1], tmp_path, _MEASURED_MANY)
    assert "Traceback" not in output, output
    assert output.count(f"exit {InputError.exit_code}") == len(bombs), output
    for case in bombs:
        assert case.file in output, output
        assert all(text in output for text in case.expect if text.startswith("Fix:")), output
    assert peak_mb < 300, f"peak {peak_mb:.0f} MB\n{output}"


@pytest.mark.parametrize("case", _params(COMMANDS))
def test_command_on_corpus_case(case: Case, tmp_path: Path) -> None:
    """Stores, output paths and re-plans: a clear message and its exit code, no traceback."""
    out = tmp_path / "out"
    file = _input_path(case, tmp_path)
    before = sorted(p.name for p in tmp_path.rglob("*"))
    code, output = _run_command(case, tmp_path, out, file)
    if case.input == "out" and case.bad:  # the run's outputs appear together, or none do
        assert sorted(p.name for p in tmp_path.rglob("*")) == before, "nothing is written"
    _assert_said(case, code, output, out)
    if case.bad:
        assert output.lstrip().splitlines()[0].split(":")[0].endswith("Error"), output


@pytest.mark.slow
@pytest.mark.parametrize("case", _params(("videos", "campaign")))
def test_plan_on_corpus_file(case: Case, tmp_path: Path) -> None:
    out = tmp_path / "out"
    code, output = _run_plan(case, out)
    _assert_said(case, code, output, out)
    if case.bad:
        first = output.lstrip().splitlines()[0]
        assert first.startswith(("InputError: ", "ConfigError: ")), output


def _assert_said(case: Case, code: int, output: str, out: Path) -> None:
    """The case's exit code and words, no traceback; a bad case names its file and the fix
    and writes nothing."""
    assert "Traceback" not in output, output
    assert code == case.exit, output
    for text in case.expect:
        assert text in output, f"{text!r} missing from:\n{output}"
    for text in case.once:
        assert output.count(text) == 1, f"{text!r} should appear once in:\n{output}"
    if case.bad:
        assert case.file in output, "the message names the file"
        assert "Fix:" in output, "the message says how to fix it"
        assert not out.exists() or not any(out.iterdir()), "nothing is written"
    else:
        plan = json.loads((out / "plan.json").read_text("utf-8"))
        assert plan["budget"] > 0 and plan["total_spend"] <= plan["budget"]
        links = (out / "links.csv").read_text("utf-8-sig")
        for text in case.written_has:
            assert text in links, f"{text!r} missing from links.csv:\n{links}"
        for text in case.written_lacks:
            assert text not in links, f"{text!r} in links.csv:\n{links}"
        book = openpyxl.load_workbook(out / "plan.xlsx", read_only=True)
        try:
            assert "Orders" in book.sheetnames
        finally:
            book.close()


@pytest.mark.slow
def test_good_exports_plan_like_the_plain_csv(tmp_path: Path) -> None:
    """Encodings, delimiters, title rows and workbooks change nothing in the plan."""
    plans = {}
    for name in ("videos_semicolon.csv", "videos_gb18030.csv", "videos_utf16le_no_bom.csv",
                 "videos_two_header_rows.xlsx", "videos_several_sheets.xlsx",
                 "videos_formulas.xlsx"):
        case = next(c for c in CASES if c.file == name)
        code, output = _run_plan(case, tmp_path / name)
        assert code == 0, output
        plan = json.loads((tmp_path / name / "plan.json").read_text("utf-8"))
        plans[name] = (plan["expected_gmv"], plan["total_spend"], len(plan["videos"]))
    assert len(set(plans.values())) == 1, plans
    assert next(iter(plans.values()))[2] == 5


# ---------------------------------------------------------------- actuals files


@pytest.mark.parametrize("case", _params(("actuals",)))
def test_read_actuals_on_corpus_file(case: Case) -> None:
    path = BAD / case.file
    if not case.bad:
        frame, notes = read_actuals(path)
        assert len(frame) > 0 and notes == []
        assert set(frame["tool"]) <= {"dou_plus", "kol_bidding"}
        return
    with pytest.raises(InputError) as caught:
        read_actuals(path)
    message = str(caught.value)
    assert message.startswith(case.file) or case.file in message
    assert "Fix:" in message
    for text in case.expect:
        assert text in message, f"{text!r} missing from:\n{message}"


# ---------------------------------------------------------------- size


@pytest.mark.slow
def test_a_200k_row_file_is_refused_within_memory(tmp_path: Path) -> None:
    """Generated here, not committed: 200,000 rows (~25 MB) of a real-looking roster."""
    with (ROOT / "sample_data" / "videos.csv").open(encoding="utf-8", newline="") as handle:
        source = list(csv.reader(handle))
    videos = tmp_path / "videos.csv"
    with videos.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(source[0])
        for i in range(200_000):
            row = source[1 + i % (len(source) - 1)]
            writer.writerow([f"v{i:06d}", *row[1:]])
    size = videos.stat().st_size
    assert size > 10 * 1024 * 1024
    out = tmp_path / "out"

    tracemalloc.start()
    try:
        result = runner.invoke(app, [
            "plan", "--campaign", str(ROOT / "sample_data" / "campaign_tmall.toml"),
            "--videos", str(videos), "--out", str(out),
        ])
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert result.exit_code == 2, result.output
    assert f"videos.csv: has more than {MAX_ROWS:,} data rows" in result.output
    assert "Fix: Split the file" in result.output
    assert "Traceback" not in result.output
    assert not out.exists()
    # The file's bytes and its decoded text (two bytes a character once there is
    # Chinese in it), and not much more: rows are counted before any is kept.
    # Keeping 100,000 rows of cells first took about nine times the file.
    assert peak < 6 * size, f"peak {peak / 1e6:.0f} MB for a {size / 1e6:.0f} MB file"


# ---------------------------------------------------------------- time limits (issue 15)


def test_no_plan_within_the_time_limit_says_how_to_fix_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Like 20,000 videos at time_limit_s = 1: neither backend finds a plan in time.

    The solvers are made to run out of time here (a real 20,000-video roster takes
    minutes on a loaded machine); the message must say so and how to fix it.
    """
    from planner.errors import SolverError
    from planner.optimiser import strategy
    from planner.optimiser.backends import OutOfTime

    def out_of_time(model: Any, backend: str, settings: Any, time_left: float) -> Any:
        status = "Time limit reached" if backend == "highs" else "Not Solved"
        raise OutOfTime(f"{backend} returned status {status}")

    monkeypatch.setattr(strategy, "solve_once", out_of_time)
    out = tmp_path / "out"
    result = runner.invoke(app, [
        "plan", "--campaign", str(ROOT / "sample_data" / "campaign_tmall.toml"),
        "--videos", str(BAD / "videos_tab.tsv"), "--out", str(out),
    ])
    assert result.exit_code == SolverError.exit_code == 4, result.output
    assert "Traceback" not in result.output
    assert "No feasible plan was found within solver.time_limit_s = 60 s (4 videos to buy for" in (
        result.output)
    assert "highs returned status Time limit reached" in result.output
    assert "Fix: raise time_limit_s under [solver] in the campaign file" in result.output
    assert not out.exists()
