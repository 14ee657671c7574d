"""An outer watchdog for runs that call a solver.

Solver time limits are not reliable (in trial runs CBC once ran ten minutes
past its limit, HiGHS overran inside presolve), and a cron job that hangs is
worse than one that fails. The command-line runs therefore execute in a
forked child process; if it has not answered within the deadline it is
killed and the buyer gets a SolverError. A killed re-plan loses nothing: its
store transaction was never committed and its outputs are written atomically.

A forked child starts with every object it inherits frozen (``gc.freeze``; the parent's
are thawed again at once): its collector never walks them, so the pages they sit on stay
shared with the parent instead of being copied. A process that makes many watched calls
(a ``planner batch`` pool worker, one a campaign) keeps one child for all of them
(``keep_watched_child``): a fork per call copied every page the child wrote to, about a
tenth of a 200-video re-plan's CPU. Each call keeps its own deadline.

A daemonic process may not start children (``multiprocessing`` refuses): a
Dask worker under its nanny is one by default, so there the run stays in the
worker's process, under the solver's own time limits, as where fork is missing.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import gc
import multiprocessing
import multiprocessing.connection
import os
import pickle
import signal
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

from planner.errors import PlannerError, SolverError
from planner.i18n import current_lang, t, use_lang

if TYPE_CHECKING:
    from planner.config import Campaign

T = TypeVar("T")


def _die_with_parent() -> None:
    """Linux: if the parent is killed (cron timeout, Ctrl-C), the child dies too."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGKILL)
    except (OSError, AttributeError):
        pass  # not Linux: the deadline still applies while the parent lives


@contextlib.contextmanager
def _inherited_objects_frozen() -> Iterator[None]:
    """Fork inside: each child keeps the objects that exist now out of its collector's
    walks, so their pages stay shared; here they are thawed again on the way out.

    Python's own recipe for fork without exec (``gc.freeze``'s documentation). It changes
    no result: a child only ever lives for one task, and what it frees by reference
    counting is freed as before; only cycles among the objects it inherited wait for its
    exit, which frees everything.
    """
    if gc.get_freeze_count():  # someone else froze objects here: leave that as it is
        yield
        return
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


# A call for the child: the function, its arguments, and what the child must run it under
# as the caller would have (the caller's language, its collector running or paused).
_Call = tuple[Callable[..., Any], tuple[Any, ...], dict[str, Any], str, bool]


def _call(fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> _Call:
    return fn, args, kwargs, current_lang(), gc.isenabled()


def _child(conn: multiprocessing.connection.Connection, first: _Call, parent: int,
           keep: bool) -> None:
    """Run ``first`` (inherited through the fork, never copied), send its answer; a kept
    child then runs each call the parent sends, until the parent closes its end."""
    _die_with_parent()
    if os.getppid() != parent:
        os._exit(1)  # the parent died before the guard was in place
    # Its own process group, so that stopping the run also stops the solver processes it
    # started (CBC runs as a separate program and has overrun its limit by minutes).
    os.setpgid(0, 0)
    _KEEPING.on, _KEEPING.child = False, None  # its own watched calls get a child each
    call: _Call | None = first
    try:
        while call is not None:
            fn, args, kwargs, lang, collect = call
            (gc.enable if collect else gc.disable)()
            try:
                with use_lang(lang):
                    conn.send(("ok", fn(*args, **kwargs)))
            except PlannerError as exc:
                conn.send(("planner_error", exc))
            except BaseException as exc:  # report anything else to the parent, then exit
                # The cause in one line; a buyer never sees a traceback.
                conn.send(("crash", f"{type(exc).__name__}: {_one_line(exc)}"))
                return
            call = _next_call(conn) if keep else None
    finally:
        conn.close()


def _next_call(conn: multiprocessing.connection.Connection) -> _Call | None:
    """The parent's next call; None once it closed its end (it is done with this child)."""
    try:
        call: _Call = conn.recv()
    except EOFError:
        return None
    return call


class _Child:
    """A forked child running watched calls in its own process group."""

    def __init__(self, first: _Call, *, keep: bool) -> None:
        context = multiprocessing.get_context("fork")
        self.conn, child_end = context.Pipe(duplex=keep)
        self.process = context.Process(target=_child,
                                       args=(child_end, first, os.getpid(), keep), daemon=True)
        with _inherited_objects_frozen():
            self.process.start()
        child_end.close()

    def answer(self, deadline_s: float) -> tuple[str, Any]:
        """The answer to the call it runs; SolverError past the deadline or without one."""
        if not self.conn.poll(deadline_s):
            raise SolverError(t("error.watchdog.stopped", seconds=f"{deadline_s:g}"))
        try:
            answer: tuple[str, Any] = self.conn.recv()
        except EOFError:
            raise SolverError(t("error.watchdog.no_answer",
                                code=self.process.exitcode)) from None
        return answer

    def stop(self) -> None:
        """Kill it with every process it started, and reap it."""
        pid = self.process.pid
        if pid is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signal.SIGKILL)  # the run and any solver it started
            if self.process.is_alive():
                os.kill(pid, signal.SIGKILL)  # killed before it had its own group
        self.process.join()
        self.conn.close()


@dataclass
class _Keeping:
    on: bool = False  # this process's watched calls share one child (keep_watched_child)
    child: _Child | None = None  # that child, once forked, while it answers


_KEEPING = _Keeping()


def keep_watched_child(keep: bool = True) -> None:
    """From now on this process runs its watched calls one after another in one child,
    forked at the first call and kept while it answers, instead of a child per call
    (``keep=False``: a child per call again, and the kept one is stopped).

    For a process that makes many (a ``planner batch`` pool worker, a campaign each: the
    local pool's initializer). Each call still has its deadline: a child that passes it is
    killed with what it started, one that crashes is stopped too, and the next call forks
    a new one. A call runs under the caller's language and collector setting, as a child
    forked for it would; only its arguments travel by pipe instead of by fork.
    """
    _KEEPING.on = keep
    if not keep and _KEEPING.child is not None:
        _KEEPING.child.stop()
        _KEEPING.child = None


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text if len(text) <= 300 else text[:297] + "..."


# Seconds per video and plan the work no solver limit covers may take: scoring, the model
# of returns and building the models (about 0.8 ms a video each plan at 20,000 videos on a
# loaded two-core machine; twice that here, so that a slow day is not killed).
SECONDS_PER_VIDEO = 0.002


def solve_deadline(campaign: Campaign, plans: int, videos: int = 0) -> float:
    """Watchdog deadline: far enough past what the run should take that only a hang meets it.

    solver.time_limit_s is one deadline over each plan's solve
    (planner.optimiser.strategy); a solver may still overrun it (it has in trial runs), and the
    first feasible answer may take it past (strategy.FIRST_PLAN_SECONDS). Each plan gets
    three times its limit, plus the uninterruptible preparation, which grows with the
    ``videos`` planned, plus a margin.
    """
    return _deadline(campaign.solver.time_limit_s, plans, videos)


def _deadline(limit: float, plans: int, videos: int) -> float:
    return plans * (3 * limit + SECONDS_PER_VIDEO * videos) + 30.0


def worker_deadline(campaign: Campaign | None, lock_timeout: float, videos: int) -> float:
    """How long a ``planner batch`` worker may take over one campaign before it is given up.

    Far past anything a run can take: three waits for the store's lock (a fresh plan
    opens the store to check its history, then records it) and three plans'
    ``solve_deadline`` at ``videos``, the largest roster a file may hold. ``campaign``
    None (its file cannot be read on the client): the default solver limit.
    """
    from planner.config import SolverConfig

    limit = (SolverConfig() if campaign is None else campaign.solver).time_limit_s
    return 3 * lock_timeout + _deadline(limit, plans=3, videos=videos)


def run_with_deadline(fn: Callable[..., T], *args: Any, deadline_s: float,
                      meanwhile: Callable[[], object] | None = None, **kwargs: Any) -> T:
    """Run ``fn(*args, **kwargs)`` in a forked child; kill it after ``deadline_s`` seconds.

    Planner errors raised in the child are raised again here; a child that
    crashes or overruns becomes a SolverError. Where fork is not available, or this
    process is daemonic, the call runs in this process, under the solver's own time
    limits only. ``meanwhile`` is called here while the child works (what this process
    will need for the answer, made ready on the core the child leaves free); after the
    call where there is no child.
    """
    if ("fork" not in multiprocessing.get_all_start_methods()
            or multiprocessing.current_process().daemon):
        value = fn(*args, **kwargs)
        if meanwhile is not None:
            meanwhile()
        return value
    call = _call(fn, args, kwargs)
    child = _KEEPING.child
    _KEEPING.child = None  # this call's child is kept again only once it answered
    if child is not None:
        try:
            child.conn.send(call)
        except OSError:  # it died while it waited for this call
            child.stop()
            child = None
    if child is None:
        child = _Child(call, keep=_KEEPING.on)
    kind = "crash"
    try:
        if meanwhile is not None:
            meanwhile()
        kind, payload = child.answer(deadline_s)
    finally:
        if _KEEPING.on and kind != "crash":
            _KEEPING.child = child
        else:
            child.stop()
    if kind == "ok":
        return payload  # type: ignore[no-any-return]
    if kind == "planner_error":
        raise payload
    raise SolverError(t("error.watchdog.crashed", detail=payload))


def run_side_by_side(tasks: Sequence[Callable[[], T]]) -> list[T]:
    """Each task's result, in order: the first runs in this process, each other one in a
    forked child at the same time (its result comes back pickled through a pipe).

    For work that only reads what this process already holds (a solved plan's other
    risk attitudes): the children see it without copying, and on a machine with spare
    cores the tasks take the wall time of the longest, not of all. Only call it from a
    process with one thread (a fork copies none of the others). Where fork is missing,
    the tasks run here, one after the other. A child that raises a PlannerError raises
    it here; a child that crashes is a SolverError, as in ``run_with_deadline``.
    """
    if not tasks:
        return []
    if not hasattr(os, "fork") or len(tasks) == 1:
        return [task() for task in tasks]
    children: list[tuple[int, int]] = []  # (pid, read end of its pipe)
    try:
        with _inherited_objects_frozen():
            for task in tasks[1:]:
                read_end, write_end = os.pipe()
                pid = os.fork()
                if pid == 0:  # the child: run the task, send its outcome, leave at once
                    os.close(read_end)
                    _side_child(task, write_end)
                os.close(write_end)
                children.append((pid, read_end))
        results = [tasks[0]()]
        while children:
            pid, read_end = children.pop(0)
            results.append(_side_result(pid, read_end))
        return results
    finally:
        for pid, read_end in children:  # this process failed first: stop the others
            with contextlib.suppress(ProcessLookupError, ChildProcessError):
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
            os.close(read_end)


def _side_child(task: Callable[[], Any], write_end: int) -> NoReturn:
    _die_with_parent()
    code = 0
    try:
        try:
            outcome: tuple[str, Any] = ("ok", task())
        except PlannerError as exc:
            outcome = ("planner_error", exc)
        except BaseException as exc:
            outcome = ("crash", f"{type(exc).__name__}: {_one_line(exc)}")
        with os.fdopen(write_end, "wb") as pipe:
            pickle.dump(outcome, pipe, protocol=pickle.HIGHEST_PROTOCOL)
    except BaseException:
        code = 1
    finally:
        os._exit(code)  # never the parent's clean-up (its atexit, its open files)


def _side_result(pid: int, read_end: int) -> Any:
    try:
        with os.fdopen(read_end, "rb") as pipe:
            data = pipe.read()
    finally:
        _, status = os.waitpid(pid, 0)
    if not data:
        raise SolverError(t("error.watchdog.no_answer", code=os.waitstatus_to_exitcode(status)))
    kind, payload = pickle.loads(data)  # noqa: S301 (our own fork wrote it)
    if kind == "ok":
        return payload
    if kind == "planner_error":
        raise payload
    raise SolverError(t("error.watchdog.crashed", detail=payload))
