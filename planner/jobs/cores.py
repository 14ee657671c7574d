"""How the planner's processes share the machine's cores: how many this process may use,
and numpy's BLAS kept to one thread in each, since the planner's parallelism is processes
(the margin side by side, the portfolio's workers)."""

from __future__ import annotations

import os
import sys
import time


def usable_cores() -> int:
    """The CPUs this process may run on (its affinity, where the system tells it)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


# A watched child deciding whether to plan beside itself looks at the run queue this many
# times, LOOK_APART_S apart, until it sees a spare core: its parent finishing what it
# prepares meanwhile, and the kernel's own short tasks, come and go within milliseconds
# (at 200 videos one look in three saw three tasks running, the next one).
SPARE_CORE_LOOKS = 3
LOOK_APART_S = 0.002


def spare_cores(*, parent_waits: bool = False) -> int:
    """Cores no other process wants right now: those this process may use, less the
    processes running or ready to run, this one among them (Linux counts them at this
    instant in /proc/loadavg; elsewhere the last minute's load average stands in).

    ``parent_waits``: this process's parent only waits for its answer (the watched
    child's parent): when it runs, it is finishing what it prepares while it waits
    (``run_with_deadline``'s ``meanwhile``), so it is not counted, and the queue is
    looked at up to SPARE_CORE_LOOKS times.
    """
    spare = 0
    for look in range(SPARE_CORE_LOOKS if parent_waits else 1):
        if look:
            time.sleep(LOOK_APART_S)
        running = _running_now()
        if parent_waits and _is_running(os.getppid()):
            running -= 1
        spare = max(spare, usable_cores() - running)
        if spare > 0:
            break
    return spare


def _is_running(pid: int) -> bool:
    """Linux: is ``pid`` running or ready to run at this instant (state R)?"""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            # The command's name, in parentheses, may hold spaces: the state follows it.
            return stat.read().rsplit(")", 1)[1].split()[0] == "R"
    except (OSError, IndexError):
        return False


def _running_now() -> int:
    try:
        with open("/proc/loadavg", encoding="ascii") as counts:
            return int(counts.read().split()[3].split("/")[0])
    except (OSError, ValueError, IndexError):
        return max(1, round(os.getloadavg()[0]))


def one_blas_thread() -> None:
    """Numpy's BLAS does this process's matrix products on one thread, and the processes
    it starts theirs (unless the buyer set ``OPENBLAS_NUM_THREADS`` themselves).

    The planner's products are small (days by videos by scenarios) and it already fills
    the cores with processes (the margin side by side, the portfolio's workers, the
    tests' workers): a BLAS thread pool in each then fights the others for the same
    cores and spins while it waits. On the sample on a busy two-core machine a plan with
    its margin took 0.83 s of CPU with OpenBLAS's two threads and 0.59 s with one (the
    GMV fan alone: 10-16 ms against 1.2 ms). The variable reaches a process that loads
    numpy later (a worker started afresh); ``threadpool_limits`` one that already has.
    """
    if "OPENBLAS_NUM_THREADS" in os.environ:
        return
    os.environ["OPENBLAS_NUM_THREADS"] = "1"
    if "numpy" in sys.modules:
        from threadpoolctl import threadpool_limits

        threadpool_limits(1, user_api="blas")
