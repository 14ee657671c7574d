"""How the planner's processes share the machine's cores: how many this process may use,
and numpy's BLAS kept to one thread in each, since the planner's parallelism is processes
(the margin side by side, the portfolio's workers)."""

from __future__ import annotations

import os
import sys


def usable_cores() -> int:
    """The CPUs this process may run on (its affinity, where the system tells it)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def spare_cores() -> int:
    """Cores no other process wants right now: those this process may use, less the
    processes running or ready to run, this one among them (Linux counts them at this
    instant in /proc/loadavg; elsewhere the last minute's load average stands in)."""
    return max(0, usable_cores() - _running_now())


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
