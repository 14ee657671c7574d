"""The outer watchdog around solver runs (solver time limits are not always kept)."""

import gc
import multiprocessing
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import pytest

from planner.collector import collector_paused
from planner.errors import InputError, SolverError
from planner.i18n import current_lang, use_lang
from planner.jobs.watchdog import keep_watched_child, run_side_by_side, run_with_deadline

# These tests check the English wording of messages (PLANNER_LANG=en);
# tests/test_error_language.py checks they come out in Chinese by default.
pytestmark = pytest.mark.usefixtures("english")


def _slow(seconds: float) -> str:
    time.sleep(seconds)
    return "done"


def _bad_input() -> None:
    raise InputError("videos.csv, row 3, column 'followers': not a number.")


def _crash() -> None:
    raise ValueError("boom")


def test_an_answer_inside_the_deadline_comes_back():
    assert run_with_deadline(_slow, 0.0, deadline_s=30) == "done"


def test_a_run_past_its_deadline_is_stopped_with_a_solver_error():
    with pytest.raises(SolverError, match=r"did not finish within 0\.5 s"):
        run_with_deadline(_slow, 60.0, deadline_s=0.5)


def test_planner_errors_in_the_run_reach_the_caller_unchanged():
    with pytest.raises(InputError, match="row 3, column 'followers'"):
        run_with_deadline(_bad_input, deadline_s=30)


def test_a_crash_in_the_run_becomes_a_solver_error_with_its_cause():
    with pytest.raises(SolverError, match="ValueError: boom"):
        run_with_deadline(_crash, deadline_s=30)


def _wait_for(path: Path) -> str:
    """In the child: wait (at most 20 s) for ``path``, which only the parent makes."""
    for _ in range(2000):
        if path.exists():
            return path.read_text()
        time.sleep(0.01)
    return "never came"


def test_meanwhile_runs_here_while_the_child_works(tmp_path):
    """The child waits for a file only ``meanwhile`` writes: an answer at all proves
    ``meanwhile`` ran while the child worked, not after it answered."""
    signal_file = tmp_path / "ready"
    answer = run_with_deadline(_wait_for, signal_file, deadline_s=30,
                               meanwhile=lambda: signal_file.write_text("ready"))
    assert answer == "ready"


def _inherited_and_frozen(marker: object) -> bool:
    """In the child: is ``marker``, made by the parent, out of the collector's walks?"""
    return gc.get_freeze_count() > 0 and not any(o is marker for o in gc.get_objects())


def test_a_watched_child_keeps_what_it_inherits_out_of_its_collectors_walks() -> None:
    """Its collector never writes to the pages it shares with the parent; the parent's own
    objects are collected as before, once the child is started."""
    marker = [object()]
    assert run_with_deadline(_inherited_and_frozen, marker, deadline_s=30)
    assert run_side_by_side([partial(_pid_and, 0), partial(_inherited_and_frozen, marker)])[1]
    assert gc.get_freeze_count() == 0
    assert any(o is marker for o in gc.get_objects())


def _solver_subprocess_that_hangs(pid_file: str) -> None:
    """Like CBC past its time limit: a solver process the run started and waits for."""
    solver = subprocess.Popen(["sleep", "120"])
    Path(pid_file).write_text(str(solver.pid))
    solver.wait()


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1][0]
    except (FileNotFoundError, IndexError):
        return False
    return state != "Z"  # a zombie has stopped; only its exit status is left


@pytest.mark.slow
def test_a_stopped_run_takes_its_solver_process_with_it(tmp_path):
    pid_file = tmp_path / "solver.pid"
    with pytest.raises(SolverError, match="did not finish"):
        run_with_deadline(_solver_subprocess_that_hangs, str(pid_file), deadline_s=2)
    solver = int(pid_file.read_text())
    deadline = time.monotonic() + 10
    while _running(solver) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _running(solver)


def _pid_of_the_run(answers) -> None:
    answers.put((os.getpid(), run_with_deadline(os.getpid, deadline_s=30)))


@pytest.mark.slow
def test_a_daemonic_process_runs_the_call_itself_as_it_may_not_start_children():
    """A Dask worker under its nanny is daemonic: the run stays in it instead of failing."""
    context = multiprocessing.get_context("fork")
    answers = context.Queue()
    daemon = context.Process(target=_pid_of_the_run, args=(answers,), daemon=True)
    daemon.start()
    own, run = answers.get(timeout=60)
    daemon.join(timeout=60)
    assert own == run
    assert run_with_deadline(os.getpid, deadline_s=30) != os.getpid()  # elsewhere: a child


@pytest.mark.slow
def test_the_deadline_leaves_room_for_the_preparation_a_big_roster_needs() -> None:
    """20,000 videos at solver.time_limit_s = 1: scoring, the model of returns and building
    the models took about 16 s a plan on a loaded two-core machine, which no solver limit
    interrupts. Two plans must not be killed for that (the old deadline was 36 s)."""
    from planner.config import Campaign
    from planner.io.campaign_file import read_campaign
    from planner.jobs.watchdog import solve_deadline

    sample = Path(__file__).resolve().parent.parent / "sample_data" / "campaign_tmall.toml"
    campaign = read_campaign(sample)
    one_second = Campaign.model_validate({**campaign.model_dump(),
                                          "solver": {"time_limit_s": 1.0}})
    assert solve_deadline(one_second, plans=2, videos=20_000) >= 2 * 2 * 16 + 30
    assert solve_deadline(one_second, plans=2) == 2 * 3 * 1.0 + 30  # small rosters as before


def _pid_and(value: int) -> tuple[int, int]:
    return os.getpid(), value


def test_side_by_side_tasks_answer_in_order_each_in_its_own_process() -> None:
    answers = run_side_by_side([partial(_pid_and, k) for k in range(3)])
    assert [value for _, value in answers] == [0, 1, 2]
    pids = [pid for pid, _ in answers]
    assert pids[0] == os.getpid()  # the first runs here, the others in forked children
    assert len(set(pids)) == 3


def test_a_planner_error_in_a_side_task_reaches_the_caller_unchanged() -> None:
    with pytest.raises(InputError, match="row 3, column 'followers'"):
        run_side_by_side([partial(_pid_and, 0), _bad_input])


def test_a_crash_in_a_side_task_becomes_a_solver_error_with_its_cause() -> None:
    with pytest.raises(SolverError, match="ValueError: boom"):
        run_side_by_side([partial(_pid_and, 0), _crash])


def _write_pid_then_sleep(path: Path) -> None:
    path.write_text(str(os.getpid()))
    time.sleep(60.0)


def _crash_once_written(path: Path) -> None:
    while not path.exists() or not path.read_text():
        time.sleep(0.01)
    raise ValueError("boom")


def test_a_failure_here_stops_the_side_tasks_and_leaves_no_child_behind(tmp_path) -> None:
    pid_file = tmp_path / "side.pid"
    with pytest.raises(ValueError, match="boom"):
        run_side_by_side([partial(_crash_once_written, pid_file),
                          partial(_write_pid_then_sleep, pid_file)])
    with pytest.raises(ProcessLookupError):  # killed and reaped, not left running
        os.kill(int(pid_file.read_text()), 0)


@pytest.fixture
def kept() -> Iterator[None]:
    """This process keeps one watched child for its calls, as a ``planner batch`` worker."""
    keep_watched_child()
    try:
        yield
    finally:
        keep_watched_child(False)


def _gone(pid: int) -> bool:
    deadline = time.monotonic() + 10
    while _running(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    return not _running(pid)


def test_a_kept_child_runs_one_watched_call_after_another(kept) -> None:
    child = run_with_deadline(os.getpid, deadline_s=30)
    assert child != os.getpid()
    assert run_with_deadline(os.getpid, deadline_s=30) == child


def test_a_kept_child_past_its_deadline_is_stopped_and_the_next_call_gets_a_new_one(
        kept) -> None:
    child = run_with_deadline(os.getpid, deadline_s=30)
    with pytest.raises(SolverError, match=r"did not finish within 0\.5 s"):
        run_with_deadline(_slow, 60.0, deadline_s=0.5)
    assert _gone(child)
    assert run_with_deadline(os.getpid, deadline_s=30) not in (child, os.getpid())


def test_a_kept_child_that_refused_an_input_is_kept_and_one_that_crashed_is_replaced(
        kept) -> None:
    child = run_with_deadline(os.getpid, deadline_s=30)
    with pytest.raises(InputError, match="row 3, column 'followers'"):
        run_with_deadline(_bad_input, deadline_s=30)
    assert run_with_deadline(os.getpid, deadline_s=30) == child
    with pytest.raises(SolverError, match="ValueError: boom"):
        run_with_deadline(_crash, deadline_s=30)
    assert _gone(child)
    assert run_with_deadline(os.getpid, deadline_s=30) not in (child, os.getpid())


def test_a_kept_child_that_died_between_calls_is_replaced(kept) -> None:
    child = run_with_deadline(os.getpid, deadline_s=30)
    os.kill(child, signal.SIGKILL)
    assert _gone(child)
    assert run_with_deadline(os.getpid, deadline_s=30) not in (child, os.getpid())


def _language_and_collector() -> tuple[str, bool]:
    return current_lang(), gc.isenabled()


def test_each_call_in_a_kept_child_has_the_callers_language_and_collector(kept) -> None:
    """As a child forked for the call would: a batch worker's campaigns each carry their
    language, and a fresh plan is made with the collector paused."""
    with use_lang("zh"):
        assert run_with_deadline(_language_and_collector, deadline_s=30) == ("zh", True)
    with use_lang("en"), collector_paused():
        assert run_with_deadline(_language_and_collector, deadline_s=30) == ("en", False)
    with use_lang("zh"):
        assert run_with_deadline(_language_and_collector, deadline_s=30) == ("zh", True)


def test_without_keeping_each_watched_call_gets_a_child_of_its_own() -> None:
    children = {run_with_deadline(os.getpid, deadline_s=30) for _ in range(2)}
    assert len(children) == 2
    assert os.getpid() not in children
