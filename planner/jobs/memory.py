"""How much of the machine's memory a very large plan keeps: freed memory goes back to the
system at once, not into the allocator's reserve.

glibc's malloc serves a block of at least its mmap threshold from a mapping of its own,
which freeing gives back; smaller blocks come from the heap, which keeps what is freed
for later. The threshold starts at 128 KiB but rises to the size of each large block
freed (up to 32 MiB), so after the first few of the plan's per-purchase arrays (16 MB each
at 100,000 videos) are freed, every later array comes from the heap, and what the solve
no longer needs stays in its resident memory, and in each process forked from it.
Setting the threshold fixes it: at 100,000 videos the largest process peaks about 300 MB
lower with the solves' models released (``SolveResult.for_next_solve``), for the system
time of mapping fresh pages (about a tenth of the command's wall time), which is why
only a very large plan pays it.
"""

from __future__ import annotations

import ctypes
import sys

# A plan of at least this many videos keeps the threshold fixed (planner.jobs.plan).
# At 20,000 videos the peak (about 620 MB) falls by only 35 MB while the command takes
# a tenth longer; at 100,000 it falls from 2.7 GB to 2.4 GB.
LARGE_PLAN_VIDEOS = 50_000
# glibc's own starting value: blocks from 128 KiB up are mapped and given back when freed.
MMAP_THRESHOLD_BYTES = 128 * 1024
_M_MMAP_THRESHOLD = -3  # mallopt's parameter number in glibc's malloc.h


def give_back_freed_memory() -> bool:
    """Fix glibc's mmap threshold for the rest of this process (and the processes it
    forks). False where there is no glibc (macOS, Windows, musl): nothing changes there."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt  # the interpreter's own C library
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    return bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES))
