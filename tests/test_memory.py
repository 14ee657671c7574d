"""A very large plan gives freed memory back to the system at once (planner.jobs.memory)."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from pathlib import Path

import pytest

from planner.jobs import memory
from planner.jobs.plan import run_plan

SAMPLE = Path(__file__).resolve().parent.parent / "sample_data"

# In a fresh interpreter: one large array freed raises glibc's mmap threshold to its size,
# so forty 1 MB arrays then come from the heap, below a small one that stays; freed, they
# stay resident unless the threshold was fixed first (the small one keeps them from the
# heap's top, which glibc trims by itself). Prints the resident MB the forty left behind.
_LEFT_BEHIND = """
import sys
import numpy as np
from planner.jobs.memory import give_back_freed_memory
if sys.argv[1] == "fixed":
    assert give_back_freed_memory()
def resident():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096 / 2**20
big = np.ones(24 * 2**20 // 8); del big
before = resident()
arrays = [np.ones(2**20 // 8) for _ in range(40)]
stays = np.ones(2**18)  # 2 MB: larger than any hole the imports left
del arrays
print(resident() - before)
"""


def _left_behind(mode: str) -> float:
    # glibc's own settings only: none of the caller's malloc tuning.
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("MALLOC_", "GLIBC_TUNABLES", "LD_PRELOAD", "PYTHONMALLOC"))}
    done = subprocess.run([sys.executable, "-c", _LEFT_BEHIND, mode], capture_output=True,
                          text=True, check=True, env=env)
    return float(done.stdout)


@pytest.mark.skipif(platform.system() != "Linux" or platform.libc_ver()[0] != "glibc",
                    reason="glibc's malloc only")
def test_a_fixed_mmap_threshold_gives_freed_arrays_back():
    assert _left_behind("default") > 30  # the allocator kept the forty megabytes
    assert _left_behind("fixed") < 5


@pytest.mark.parametrize(("large", "fixed"), [(44, True), (45, False)])
def test_only_a_plan_of_large_plan_videos_or_more_fixes_the_threshold(
        monkeypatch, tmp_path, large, fixed):
    """The bundled sample has 44 videos: at the line it pays, one over it does not."""
    calls: list[bool] = []
    monkeypatch.setattr(memory, "LARGE_PLAN_VIDEOS", large)
    monkeypatch.setattr(memory, "give_back_freed_memory", lambda: calls.append(True) or True)
    run_plan(SAMPLE / "campaign_tmall.toml", SAMPLE / "videos.csv", tmp_path / "out",
             side_by_side=False)
    assert calls == ([True] if fixed else [])
