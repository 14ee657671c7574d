# Long on purpose: manifest, pools (local, Dask), deadlines and summary share one lifecycle.
"""``planner batch``: plan or re-plan a whole portfolio, on this machine or a Dask cluster.

A manifest (TOML) lists the campaigns; each becomes one independent task that
reads its own files, opens its own store and writes its own output folder,
through the same jobs as ``planner plan --store`` and ``planner replan``
(``run_plan``, ``run_replan_watched``), so its files equal theirs. A task
never raises: a bad file, an infeasible campaign or a locked store becomes
that campaign's row in the summary, with the exit code the single command
would have given, and the other campaigns go on. Each campaign's plan is checked
against every rule by ``planner.checks`` (in the shared jobs, before anything is written
or recorded): one that breaks a rule is a failed campaign, UncheckedPlanError naming each
broken rule by code and sentence, with no files and nothing in its store.

Where the tasks run is the only difference between the two back-ends, and both
are driven by one loop over ``concurrent.futures``:
- a local process pool sized to the machine (nothing to start). A worker that
  dies breaks the whole pool, so the loop keeps at most one task per worker in
  flight, starts a new pool, and runs the tasks that were in flight again; a
  task lost ``MAX_LOSSES`` times is reported lost;
- a Dask cluster (``--scheduler tcp://host:8786``) through ``dask.distributed``,
  whose scheduler itself reruns a task whose worker died, up to
  ``distributed.scheduler.allowed-failures`` times, and then reports it lost.
A rerun is safe: a killed run's store transaction was never committed and its
files are written whole or not at all (temporary file, then rename).
"""

from __future__ import annotations

import contextlib
import difflib
import json
import multiprocessing
import os
import re
import time
import tomllib
from collections import Counter, deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Literal, Protocol

from planner.errors import InputError, PlannerError, PortfolioError, Problem
from planner.i18n import current_lang, money, status_name, t, use_lang

if TYPE_CHECKING:
    from planner.config import Campaign
    from planner.models import Plan

Status = Literal["planned", "replanned", "failed", "lost"]

FIELDS: Final = ("name", "campaign", "videos", "store", "actuals")
REQUIRED: Final = ("name", "campaign", "videos", "store")
PLACEHOLDERS: Final = ("date", "yesterday")
# Exit code of a campaign whose worker died every time it ran: like a planning process
# that ended without an answer under ``planner plan`` (SolverError).
LOST_EXIT_CODE: Final = 4
# A local-pool task is run again after its worker died, this many runs at most in all
# (Dask's scheduler has the same default: distributed.scheduler.allowed-failures = 3).
MAX_LOSSES: Final = 3
_PLACEHOLDER_RE: Final = re.compile(r"\{([^{}]*)\}")
# A name is also a folder: one path component that every file system accepts.
_BAD_NAME_RE: Final = re.compile(r'[/\\:*?"<>|\x00-\x1f]')
_SUMMARY_FILES: Final = ("portfolio.json", "portfolio.xlsx")  # beside the campaign folders
# Modules a pool worker needs, imported once in the fork server so workers start warm. The
# last line are those the commands import only when they use them (the actuals reader, the
# solver, the workbook writer, pandas' CSV writer): a re-plan runs in a child forked per
# campaign (``run_replan_watched``), which would otherwise import them again every time.
_PRELOAD: Final = ["planner.jobs.batch", "planner.jobs.plan", "planner.jobs.replan",
                   "planner.planning", "planner.sweep", "planner.links", "planner.io.plan_files",
                   "planner.io.actuals", "highspy", "xlsxwriter", "pandas.io.formats.csvs"]
SCHEDULER_TIMEOUT_S: Final = 10.0
WORKERS_TIMEOUT_S: Final = 60.0


@dataclass(frozen=True)
class CampaignTask:
    """One campaign of the portfolio, with every path resolved for the batch's date."""

    name: str
    campaign: Path
    videos: Path
    store: Path | str  # passed as given to the store: a path, or a URL left untouched
    actuals: Path | None  # None: the manifest gives none; else its first actuals file
    out: Path
    day: date
    lock_timeout: float = 30.0
    lang: str = "zh"  # the language of its files and message: the batch's, in every worker
    more_actuals: tuple[Path, ...] = ()  # the manifest's other actuals files, in order
    # Seconds its worker may take before the campaign is given up (and a local worker
    # stopped): set by ``read_manifest`` from the campaign's solver limit.
    deadline_s: float = 3600.0

    @property
    def actuals_files(self) -> list[Path]:
        """Every actuals file the manifest names for the campaign, in order."""
        return [] if self.actuals is None else [self.actuals, *self.more_actuals]


@dataclass(frozen=True)
class CampaignResult:
    """One row of ``portfolio.json``; money in yuan, None where the campaign failed."""

    name: str
    status: Status
    exit_code: int
    total_spend: float | None
    expected_gmv: float | None
    expected_roi: float | None
    changes: int | None
    seconds: float
    message: str

    @property
    def ok(self) -> bool:
        return self.exit_code == 0


@dataclass(frozen=True)
class Portfolio:
    day: date
    campaigns: list[CampaignResult]  # in manifest order

    @property
    def failures(self) -> list[CampaignResult]:
        return [c for c in self.campaigns if not c.ok]

    def to_json(self) -> dict[str, Any]:
        return {"date": self.day.isoformat(), "campaigns": [asdict(c) for c in self.campaigns]}


# ------------------------------------------------------------------ manifest


def read_manifest(path: Path, day: date, out: Path, *,
                  lock_timeout: float = 30.0) -> list[CampaignTask]:
    """The manifest's campaigns as tasks; InputError listing every problem in it.

    Paths are relative to the manifest's folder, and so are SQLite stores given as
    ``sqlite:///relative/path`` URLs; a database server's URL is left as written.
    ``actuals`` may hold ``{date}`` (the batch's date) or ``{yesterday}``.
    A broken manifest stops the run before any campaign starts: it is the batch's own
    input, and half of a portfolio read from it would be a guess.
    """
    name = path.name
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise InputError(Problem(t("error.batch.not_found"), file=str(path),
                                 fix=t("error.batch.check_path"))) from None
    except OSError as exc:
        raise InputError(Problem(t("error.campaign.unreadable", detail=exc.strerror),
                                 file=str(path), fix=t("error.batch.check_path"))) from None
    except UnicodeDecodeError:
        raise InputError(Problem(t("error.campaign.not_utf8"), file=name,
                                 fix=t("error.campaign.not_utf8_fix"))) from None
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(Problem(t("error.batch.toml", detail=exc), file=name,
                                 fix=t("error.batch.toml_fix"))) from None
    problems = [
        Problem(t("error.batch.unknown_top_key", key=key), file=name, column=key,
                fix=t("error.batch.unknown_top_key_fix"))
        for key in raw if key != "campaigns"
    ]
    entries = raw.get("campaigns")
    if not isinstance(entries, list) or not entries:
        problems.append(Problem(
            t("error.batch.no_campaigns"), file=name, fix=t("error.batch.no_campaigns_fix"),
        ))
        raise InputError(problems)
    base = path.resolve().parent
    tasks: list[CampaignTask] = []
    numbers: list[int] = []
    seen: set[str] = set()
    for number, entry in enumerate(entries, start=1):
        task = _task(entry, number, name, base, day, out, lock_timeout, problems)
        if task is None:
            continue
        numbers.append(number)
        if task.name.casefold() in seen:  # one output folder each, also on Windows and macOS
            problems.append(Problem(
                t("error.batch.name_twice", number=number, name=task.name), file=name,
                column="name", fix=t("error.batch.name_twice_fix"),
            ))
        seen.add(task.name.casefold())
        tasks.append(task)
    campaigns = [_campaign_of(task) for task in tasks]
    problems += _stores_among_outputs(tasks, numbers, name, out)
    problems += _shared_histories(tasks, campaigns, numbers, name)
    if problems:
        raise InputError(problems)
    return [_with_deadline(task, campaign) for task, campaign in zip(tasks, campaigns,
                                                                     strict=True)]


def _campaign_of(task: CampaignTask) -> Campaign | None:
    """The entry's campaign, read on the client; None when it cannot be read (its task
    reports that) or is no regular file (a FIFO would hang the client)."""
    from planner.io.campaign_file import read_campaign

    if not task.campaign.is_file():
        return None
    try:
        return read_campaign(task.campaign)
    except PlannerError:
        return None


def _with_deadline(task: CampaignTask, campaign: Campaign | None) -> CampaignTask:
    from planner.io.raw import MAX_ROWS
    from planner.jobs.watchdog import worker_deadline

    return replace(task, deadline_s=worker_deadline(campaign, task.lock_timeout, MAX_ROWS))


def _shared_histories(tasks: Sequence[CampaignTask], campaigns: Sequence[Campaign | None],
                      numbers: Sequence[int], file: str) -> list[Problem]:
    """Two entries writing the same campaign name into the same store: their actuals and
    plans would mix in one history (the store keys campaigns by name). A campaign file that
    cannot be read is left for its own task to report."""
    from planner.io.store_location import store_location

    problems: list[Problem] = []
    first: dict[tuple[str, str], tuple[int, CampaignTask]] = {}
    for number, task, read in zip(numbers, tasks, campaigns, strict=True):
        if read is None:
            continue
        try:
            location = store_location(task.store)
        except PlannerError:
            continue
        campaign = read.name
        key = (location.identity, campaign)
        if key not in first:
            first[key] = (number, task)
            continue
        earlier, other = first[key]
        problems.append(Problem(
            t("error.batch.one_history", first=earlier, a=other.name, second=number,
              b=task.name, campaign=campaign, store=location),
            file=file, column="store", fix=t("error.batch.one_history_fix")))
    return problems


def _stores_among_outputs(tasks: Sequence[CampaignTask], numbers: Sequence[int], file: str,
                          out: Path) -> list[Problem]:
    """A store that is one of the portfolio's outputs, or the folder they go in: the
    plan written there would replace that campaign's history."""
    from planner.io.atomic import store_clash
    from planner.io.plan_files import PLAN_FILES
    from planner.io.store_location import store_location

    problems: list[Problem] = []
    summary = [out / f for f in _SUMMARY_FILES]
    for number, task in zip(numbers, tasks, strict=True):
        try:
            path = store_location(task.store).path
        except InputError:
            continue  # an address that names no store: that campaign fails on its own
        where = t("error.batch.entry", number=number) + t("error.batch.entry_name", name=task.name)
        clashes = [store_clash(path, out, summary)] + [
            store_clash(path, other.out, [other.out / f for f in (*PLAN_FILES, "links.csv")])
            for other in tasks]
        reason = next((c for c in clashes if c is not None), None)
        if reason is not None:
            problems.append(Problem(t("error.batch.store_is_output", where=where, reason=reason),
                                    file=file, column="store",
                                    fix=t("error.store.is_output_fix")))
    return problems


def _task(entry: object, number: int, file: str, base: Path, day: date, out: Path,
          lock_timeout: float, problems: list[Problem]) -> CampaignTask | None:
    where = t("error.batch.entry", number=number)
    if not isinstance(entry, dict):
        problems.append(Problem(t("error.batch.not_table", where=where), file=file,
                                fix=t("error.batch.not_table_fix")))
        return None
    if isinstance(entry.get("name"), str) and entry["name"].strip():
        where += t("error.batch.entry_name", name=entry["name"])
    found = len(problems)
    for key in entry:
        if key not in FIELDS:
            close = difflib.get_close_matches(str(key), FIELDS, n=1)
            hint = (t("error.config.did_you_mean", name=close[0]).strip() if close
                    else t("error.batch.use_fields", fields=t("list.sep").join(FIELDS)))
            problems.append(Problem(t("error.batch.unknown_key", where=where, key=key),
                                    file=file, column=str(key), fix=hint))
    for key in FIELDS:
        value = entry.get(key)
        if value is None and key not in REQUIRED:
            continue
        # ``actuals`` may list several files, as ``planner replan --actuals`` takes them.
        values = value if key == "actuals" and isinstance(value, list) and value else [value]
        if value is None:
            problems.append(Problem(t("error.batch.missing", where=where, key=key), file=file,
                                    column=key, fix=t(_FIELD_FIX[key])))
        elif any(not isinstance(v, str) or not v.strip() for v in values):
            problems.append(Problem(t("error.batch.not_text", where=where, key=key), file=file,
                                    column=key, fix=t(_FIELD_FIX[key])))
    if len(problems) > found:
        return None
    name = str(entry["name"]).strip()
    if (_BAD_NAME_RE.search(name) or name.startswith(".") or name != name.rstrip(" .")
            or name.casefold() in _SUMMARY_FILES):
        problems.append(Problem(
            t("error.batch.bad_name", where=where, name=name), file=file, column="name",
            fix=t("error.batch.bad_name_fix"),
        ))
        return None
    given = entry.get("actuals")
    patterns: list[str] = [] if given is None else given if isinstance(given, list) else [given]
    actuals: list[str] = []
    for pattern in patterns:
        unknown = [p for p in _PLACEHOLDER_RE.findall(pattern) if p not in PLACEHOLDERS]
        if unknown or "{" in _PLACEHOLDER_RE.sub("", pattern):
            problems.append(Problem(
                t("error.batch.placeholder", where=where, actuals=pattern), file=file,
                column="actuals", fix=t("error.batch.placeholder_fix"),
            ))
            return None
        actuals.append(pattern.replace("{date}", day.isoformat())
                       .replace("{yesterday}", (day - timedelta(days=1)).isoformat()))
    files = [_resolve(base, a) for a in actuals]
    return CampaignTask(
        name=name,
        campaign=_resolve(base, entry["campaign"]),
        videos=_resolve(base, entry["videos"]),
        store=_store_here(base, str(entry["store"]).strip()),
        actuals=files[0] if files else None,
        out=out.resolve() / name,
        day=day,
        lock_timeout=lock_timeout,
        lang=current_lang(),
        more_actuals=tuple(files[1:]),
    )


# Catalogue keys of each field's fix.
_FIELD_FIX: Final = {
    "name": "error.batch.fix.name",
    "campaign": "error.batch.fix.campaign",
    "videos": "error.batch.fix.videos",
    "store": "error.batch.fix.store",
    "actuals": "error.batch.fix.actuals",
}


def _store_here(base: Path, store: str) -> Path | str:
    """The store as every worker must find it: a SQLite file, given as a path or as a
    ``sqlite:///`` URL, made absolute against the manifest's folder here, on the client
    (a worker's own folder would scatter the history); a database URL as written."""
    from planner.io.store_location import store_location

    try:
        path = store_location(store, base).path
    except InputError:
        return store  # an address that names no store: its campaign fails on its own
    return store if path is None else path.resolve()


def _resolve(base: Path, value: str) -> Path:
    # Absolute, so that every worker finds the file at the same path.
    return (base / Path(value.strip()).expanduser()).resolve()


# ------------------------------------------------------------------ one campaign


def run_campaign(task: CampaignTask) -> CampaignResult:
    """Re-plan the campaign from its actuals when the file exists, else plan it; never raises.

    Runs in a worker: everything it needs travels in ``task``, its language too. A Dask
    worker started on its own (``dask worker``) did not inherit the command's one BLAS
    thread: it gets it here.
    """
    from planner.jobs.cores import one_blas_thread

    one_blas_thread()
    with use_lang(task.lang):
        return _run_campaign(task)


def _run_campaign(task: CampaignTask) -> CampaignResult:
    from planner.io.inputs import ensure_regular
    from planner.jobs.plan import run_plan
    from planner.jobs.replan import run_replan_watched

    started = time.perf_counter()
    status: Status
    # Several files come on different mornings (spend one day, the shop's GMV the next):
    # the campaign re-plans from those that exist and names the others.
    present = [p for p in task.actuals_files if p.is_file()]
    absent = [t("batch.actuals_absent", file=p) for p in task.actuals_files
              if present and p not in present]
    try:
        ensure_regular(task.campaign, task.videos, *task.actuals_files)
        if present:
            outcome = run_replan_watched(task.campaign, task.videos, present, task.day,
                                         task.store, task.out, lock_timeout=task.lock_timeout,
                                         owner=task.name)
            plan, warnings, status = outcome.plan, [*absent, *outcome.warnings], "replanned"
        else:
            _refuse_a_fresh_plan_over_history(task)
            fresh = run_plan(task.campaign, task.videos, task.out, store=task.store,
                             lock_timeout=task.lock_timeout, plan_date=task.day,
                             owner=task.name, side_by_side=False)  # the workers fill the cores
            plan, warnings, status = fresh.plan, fresh.warnings, "planned"
    except PlannerError as exc:
        # The file's content (a header row, maybe a stranger's first line) stays out of
        # portfolio.json: names and reasons only.
        return _failed(task, exc.exit_code, f"{type(exc).__name__}: {exc.shared()}", started)
    except Exception as exc:  # a bug, not the buyer's fault: reported, the others go on
        return _failed(task, 1, f"InternalError: {type(exc).__name__}: {exc}. {t('cli.bug')}",
                       started)
    return CampaignResult(
        name=task.name, status=status, exit_code=0, total_spend=plan.total_spend,
        expected_gmv=plan.expected_gmv, expected_roi=plan.expected_roi,
        changes=len(plan.changes), seconds=time.perf_counter() - started,
        message="\n".join([_headline(plan, status),
                           *(t("cli.warning", line=w) for w in warnings)]),
    )


def _refuse_a_fresh_plan_over_history(task: CampaignTask) -> None:
    """A campaign already planned for an earlier day must re-plan from its actuals.

    Planning it afresh would forget the content-service orders booked since, so a
    missing actuals export stops this campaign (exit 2) instead of replacing its plan.
    """
    from planner.io.campaign_file import read_campaign
    from planner.io.store import check_owner, open_store
    from planner.io.store_location import store_location

    location = store_location(task.store)
    if location.path is not None and not location.path.exists():
        return  # no history yet (and opening it would create an empty store)
    campaign = read_campaign(task.campaign)
    with open_store(location, timeout=task.lock_timeout) as store:
        # Another entry's campaign is refused before the solve, not when it is recorded.
        check_owner(store.owner(campaign.name), campaign.name, task.name, location)
        previous = store.previous_plan(campaign.name, task.day)
    if previous is None:
        return
    if task.actuals is None:
        problem = Problem(
            t("error.batch.no_actuals_given", name=task.name, day=previous.plan_date,
              campaign=campaign.name),
            file=str(location),  # a URL's password masked
            fix=t("error.batch.no_actuals_given_fix"),
        )
    else:
        problem = Problem(
            t("error.batch.no_actuals_file", day=task.day, store=location,
              planned=previous.plan_date, campaign=campaign.name),
            file=", ".join(str(p) for p in task.actuals_files),
            fix=t("error.batch.no_actuals_file_fix"),
        )
    raise InputError(problem)


def _headline(plan: Plan, status: Status) -> str:
    key = "batch.replanned" if status == "replanned" else "batch.planned"
    return t(key, spend=money(plan.total_spend), budget=money(plan.budget),
             gmv=money(plan.expected_gmv), roi=f"{plan.expected_roi:.2f}",
             gap=f"{plan.gap:.3%}", changes=len(plan.changes)) + f" ({status_name(plan.status)})"


def _failed(task: CampaignTask, exit_code: int, message: str, started: float) -> CampaignResult:
    return CampaignResult(task.name, "failed", exit_code, None, None, None, None,
                          time.perf_counter() - started, message)


# ------------------------------------------------------------------ back-ends


_AFTER_A_LOSS: Final = "error.batch.after_loss"  # catalogue key


class _Backend(Protocol):
    """Where the tasks run; the loop in ``_run_tasks`` is the same for every back-end."""

    in_flight: int | None  # most tasks submitted at once (None: all)
    reruns_lost: bool  # True: the loop reruns a task whose worker died (the scheduler does not)

    def start(self) -> Executor: ...

    def stop(self, executor: Executor, *, cancel: bool) -> None: ...

    def is_lost(self, exc: BaseException) -> bool: ...

    def lost_message(self, exc: BaseException, losses: int) -> str: ...

    def abandon(self, executor: Executor) -> None: ...


class LocalPool:
    """A process pool on this machine. Workers are forked from a fork server that has
    imported the planner once, so they start warm and never inherit this process's
    threads."""

    reruns_lost = True

    def __init__(self, workers: int) -> None:
        self.in_flight: int | None = workers  # one task per worker: a break costs only those
        self.workers = workers

    def start(self) -> Executor:
        from planner.jobs.watchdog import keep_watched_child

        methods = multiprocessing.get_all_start_methods()
        context = multiprocessing.get_context("forkserver" if "forkserver" in methods
                                              else "spawn")
        if "forkserver" in methods:
            context.set_forkserver_preload(_PRELOAD)
        # Each worker runs its campaigns' watched plans in one child it keeps, not a fork
        # per campaign (whose copied pages were a tenth of a 200-video re-plan's CPU).
        return ProcessPoolExecutor(self.workers, mp_context=context,
                                   initializer=keep_watched_child)

    def stop(self, executor: Executor, *, cancel: bool) -> None:
        executor.shutdown(wait=not cancel, cancel_futures=cancel)

    def is_lost(self, exc: BaseException) -> bool:
        return isinstance(exc, BrokenProcessPool)

    def lost_message(self, exc: BaseException, losses: int) -> str:
        return t("error.batch.lost_process", losses=losses, after=t(_AFTER_A_LOSS))

    def abandon(self, executor: Executor) -> None:
        """Stop a worker that passed its campaign's deadline: the pool cannot stop one task,
        so every worker is killed; the pool breaks and the campaigns running beside it run
        again (``MAX_LOSSES``)."""
        processes = getattr(executor, "_processes", None) or {}
        for process in list(processes.values()):
            with contextlib.suppress(OSError, AttributeError):
                process.kill()


class DaskCluster:
    """An existing Dask cluster, through a connected ``distributed.Client``."""

    in_flight: int | None = None  # the scheduler queues and places them
    reruns_lost = False  # its scheduler reruns them (distributed.scheduler.allowed-failures)

    def __init__(self, client: Any) -> None:
        self.client = client

    def start(self) -> Executor:
        # pure=False: a re-run of the same date must run again, not return a cached result.
        executor: Executor = self.client.get_executor(pure=False)
        return executor

    def stop(self, executor: Executor, *, cancel: bool) -> None:
        executor.shutdown(wait=not cancel)

    def is_lost(self, exc: BaseException) -> bool:
        from distributed import KilledWorker

        return isinstance(exc, KilledWorker)

    def lost_message(self, exc: BaseException, losses: int) -> str:
        return t("error.batch.lost_dask", kind=type(exc).__name__, after=t(_AFTER_A_LOSS))

    def abandon(self, executor: Executor) -> None:
        """A task running in a Dask worker's thread cannot be stopped from here: the batch
        stops waiting for it, and the scheduler forgets it when the client closes."""


def pool_size(workers: int | None, tasks: int) -> int:
    """The local pool: ``workers``, else one per core this process may use (a container's
    share, where the system tells it); never more than there are tasks."""
    if workers is None:
        try:
            workers = len(os.sched_getaffinity(0))
        except AttributeError:  # not Linux
            workers = os.cpu_count() or 1
    return max(1, min(workers, tasks))


@contextmanager
def dask_cluster(address: str) -> Iterator[DaskCluster]:
    """Connect to the Dask scheduler at ``address``; InputError when none answers."""
    from distributed import Client

    fix = t("error.batch.dask_fix")
    try:
        client = Client(address, timeout=f"{SCHEDULER_TIMEOUT_S:g}s",  # type: ignore[no-untyped-call]
                        set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        raise InputError(Problem(t("error.batch.no_scheduler", address=address, detail=exc),
                                 fix=fix)) from None
    try:
        try:
            client.wait_for_workers(1, timeout=WORKERS_TIMEOUT_S)
        except TimeoutError:
            raise InputError(Problem(
                t("error.batch.no_workers", address=address,
                  seconds=f"{WORKERS_TIMEOUT_S:g}"), fix=fix)) from None
        yield DaskCluster(client)
    finally:
        client.close()  # type: ignore[no-untyped-call]


# ------------------------------------------------------------------ the portfolio


TaskFn = Callable[[CampaignTask], CampaignResult]


def run_portfolio(tasks: Sequence[CampaignTask], day: date, *, scheduler: str | None = None,
                  workers: int | None = None,
                  on_done: Callable[[CampaignResult], None] | None = None,
                  task_fn: TaskFn = run_campaign) -> Portfolio:
    """Run every task on a local pool (default: one worker per core) or on the Dask
    cluster at ``scheduler``; results in manifest order.

    ``task_fn`` is the task run in the workers (tests replace it to kill a worker).
    """
    if scheduler is not None:
        with dask_cluster(scheduler) as cluster:
            results = _run_tasks(tasks, cluster, task_fn, on_done)
    else:
        results = _run_tasks(tasks, LocalPool(pool_size(workers, len(tasks))), task_fn, on_done)
    return Portfolio(day, results)


def _run_tasks(tasks: Sequence[CampaignTask], backend: _Backend, task_fn: TaskFn,
               on_done: Callable[[CampaignResult], None] | None) -> list[CampaignResult]:
    results: dict[int, CampaignResult] = {}
    losses: Counter[int] = Counter()
    first_sent: dict[int, float] = {}
    sent: dict[Future[CampaignResult], float] = {}  # when each run was submitted
    abandoned = False  # a worker passed its deadline: never wait for the executor again
    queue = deque(range(len(tasks)))
    running: dict[Future[CampaignResult], int] = {}
    broken = False  # the pool lost a worker: drain what ran on it, then start a new one

    def finish(i: int, result: CampaignResult) -> None:
        results[i] = result
        if on_done is not None:
            on_done(result)

    executor = backend.start()
    try:
        while queue or running:
            if broken and not running:
                backend.stop(executor, cancel=True)
                executor, broken = backend.start(), False
            while queue and not broken and (backend.in_flight is None
                                            or len(running) < backend.in_flight):
                i = queue.popleft()
                try:
                    future = executor.submit(task_fn, tasks[i])
                except BrokenProcessPool:
                    queue.appendleft(i)
                    broken = True
                    break
                first_sent.setdefault(i, time.perf_counter())
                sent[future] = time.perf_counter()
                running[future] = i
            if not running:
                continue
            due = min(sent[f] + tasks[i].deadline_s for f, i in running.items())
            done, _ = wait(running, timeout=max(0.0, due - time.perf_counter()),
                           return_when=FIRST_COMPLETED)
            overdue = [f for f, i in running.items() if f not in done
                       and time.perf_counter() >= sent[f] + tasks[i].deadline_s]
            for future in overdue:
                i = running.pop(future)
                finish(i, _overdue(tasks[i], first_sent[i]))
            if overdue:
                abandoned = True
                backend.abandon(executor)
                broken = broken or backend.reruns_lost
            for future in done:
                i = running.pop(future)
                try:
                    result = future.result()
                except Exception as exc:
                    if not backend.is_lost(exc):
                        finish(i, _not_run(tasks[i], exc, first_sent[i]))
                        continue
                    losses[i] += 1
                    broken = broken or backend.reruns_lost
                    if backend.reruns_lost and losses[i] < MAX_LOSSES:
                        queue.appendleft(i)  # first in line once the new pool is up
                        continue
                    result = CampaignResult(
                        tasks[i].name, "lost", LOST_EXIT_CODE, None, None, None, None,
                        time.perf_counter() - first_sent[i],
                        backend.lost_message(exc, losses[i]),
                    )
                finish(i, result)
    except BaseException:
        backend.stop(executor, cancel=True)
        raise
    backend.stop(executor, cancel=abandoned)
    return [results[i] for i in range(len(tasks))]


def _overdue(task: CampaignTask, sent: float) -> CampaignResult:
    """The campaign's worker passed its deadline (a hang): given up, like a lost worker."""
    return CampaignResult(
        task.name, "failed", LOST_EXIT_CODE, None, None, None, None,
        time.perf_counter() - sent,
        "WorkerError: " + t("error.batch.overdue", seconds=f"{task.deadline_s:g}"),
    )


def _not_run(task: CampaignTask, exc: BaseException, sent: float) -> CampaignResult:
    """The worker could not run the task at all (it raised outside ``run_campaign``)."""
    return CampaignResult(
        task.name, "failed", 1, None, None, None, None, time.perf_counter() - sent,
        "WorkerError: " + t("error.batch.worker", detail=f"{type(exc).__name__}: {exc}"),
    )


# ------------------------------------------------------------------ outputs


def portfolio_frame(portfolio: Portfolio) -> Any:
    """The summary as a table, with a last row of portfolio totals."""
    import pandas as pd

    columns = [f for f in CampaignResult.__dataclass_fields__]
    frame = pd.DataFrame([asdict(c) for c in portfolio.campaigns], columns=columns)
    done = [c for c in portfolio.campaigns if c.ok]
    spend = sum(c.total_spend or 0.0 for c in done)
    gmv = sum(c.expected_gmv or 0.0 for c in done)
    totals = {
        "name": t("batch.total"),
        "status": t("batch.total_status", ok=len(done), total=len(portfolio.campaigns)),
        "exit_code": None,
        "total_spend": spend,
        "expected_gmv": gmv,
        "expected_roi": gmv / spend if spend else None,
        "changes": sum(c.changes or 0 for c in done),
        "seconds": sum(c.seconds for c in portfolio.campaigns),
        "message": t("batch.total_note"),
    }
    return pd.concat([frame, pd.DataFrame([totals], columns=columns)], ignore_index=True)


def write_portfolio(portfolio: Portfolio, out: Path,
                    inputs: Sequence[Path] = ()) -> dict[str, Path]:
    """Write ``portfolio.json`` and ``portfolio.xlsx`` into ``out``, each replaced whole,
    the JSON only after the workbook."""
    from planner.io.atomic import atomic_path, ensure_not_input
    from planner.io.plan_files import write_frames_xlsx

    paths = {"json": out / "portfolio.json", "xlsx": out / "portfolio.xlsx"}
    ensure_not_input(paths.values(), inputs)
    text = json.dumps(portfolio.to_json(), ensure_ascii=False, indent=2) + "\n"
    with atomic_path(paths["json"]) as tmp:
        tmp.write_text(text, encoding="utf-8", newline="")
        write_frames_xlsx(paths["xlsx"], {t("sheet.portfolio"): portfolio_frame(portfolio)},
                          created=portfolio.day)
    return paths


def check_portfolio(portfolio: Portfolio, summary: Path) -> None:
    """PortfolioError (exit 8) listing the campaigns that failed, if any did."""
    failures = portfolio.failures
    if not failures:
        return
    lines = [t("error.batch.failure_line", name=f.name, code=f.exit_code,
                message=f.message.splitlines()[0]) for f in failures]
    raise PortfolioError(
        t("error.batch.failed", failed=len(failures), count=len(portfolio.campaigns),
          summary=summary), lines,
    )
