"""Wall seconds per stage of one run: where ``planner plan``'s time goes.

A stopwatch takes laps: each lap closes a stage at the moment it is called, with
the time since the previous lap (or since the watch started), so the stages add
up to the time the run took, with no gaps and no overlaps. A stage lapped twice
adds up. The plan job fills one as it reads, plans and writes each file; the
command starts it at the process's start, so the first stage is the start-up.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping

__all__ = ["Stopwatch"]


class Stopwatch:
    """Laps per stage; ``seconds`` holds them in the order the stages first ended."""

    def __init__(self, started: float | None = None, *,
                 clock: Callable[[], float] = time.perf_counter) -> None:
        """``started`` is a reading of ``clock`` (default: now)."""
        self._clock = clock
        self._last = clock() if started is None else started
        self.seconds: dict[str, float] = {}

    def lap(self, stage: str) -> float:
        """Close ``stage`` now: the time since the last lap is added to it; returns it."""
        now = self._clock()
        took = max(now - self._last, 0.0)
        self.seconds[stage] = self.seconds.get(stage, 0.0) + took
        self._last = max(now, self._last)
        return took

    def split(self, stage: str, parts: Mapping[str, float]) -> None:
        """Move ``parts`` (seconds measured inside ``stage``, such as the probe inside the
        watched child's run) out of ``stage`` into stages of their own. Never more than
        ``stage`` holds: the total stays the same."""
        left = self.seconds.get(stage, 0.0)
        for name, seconds in parts.items():
            moved = min(max(seconds, 0.0), left)
            left -= moved
            self.seconds[name] = self.seconds.get(name, 0.0) + moved
        self.seconds[stage] = left

    def total(self) -> float:
        return sum(self.seconds.values())
