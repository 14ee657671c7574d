"""Input paths refused before anything opens them.

Opening a named pipe (FIFO) for reading waits for a writer, for ever; a device
or a socket is no file a buyer meant. Every command checks its input paths
here first (``os.stat`` never blocks), so such a path is bad input (exit 2),
never "file not found" and never a hang. A path that does not exist, or a
folder, is left for the reader to report in its own words.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from planner.errors import InputError, Problem
from planner.i18n import t


def _kind(mode: int) -> str | None:
    """What a non-regular file is, in words; None for a file or a folder."""
    if stat.S_ISREG(mode) or stat.S_ISDIR(mode):
        return None
    if stat.S_ISFIFO(mode):
        return t("error.input.fifo")
    if stat.S_ISSOCK(mode):
        return t("error.input.socket")
    return t("error.input.device")


def ensure_regular(*paths: Path | None) -> None:
    """Raise ``InputError`` (exit 2) naming every input that is a FIFO, device or socket."""
    problems = []
    for path in paths:
        if path is None:
            continue
        try:
            mode = os.stat(path).st_mode
        except (OSError, ValueError):
            continue  # missing or unreadable: the reader says so
        kind = _kind(mode)
        if kind is not None:
            problems.append(Problem(t("error.input.not_regular", kind=kind), file=str(path),
                                    fix=t("error.input.not_regular_fix")))
    if problems:
        raise InputError(problems)
