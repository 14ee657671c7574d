"""Runs planner commands side by side, each in a process of its own (``store_runs.run_all``).

Every run is forked from this one process, which imported the planner once: a fresh
interpreter per run spent most of a small run's time importing. Each forked run is the
``planner`` console command itself (``planner.cli.main``), with its own connections to
the store, its own exit code and its own stderr, as a run started by cron would be.

Reads a JSON list of argument lists on stdin; writes a JSON list of [exit code, stdout,
stderr], in the same order, on stdout.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

import planner.cli

# What the commands import on their way (the command line imports them when a command
# runs): here once, before the runs are forked.
import planner.io.plan_files
import planner.jobs.plan
import planner.jobs.replan


def _run(args: list[str], output: Path) -> None:
    """In the forked process: the command, its stdout and stderr to files; never returns."""
    for fd, suffix in ((1, ".out"), (2, ".err")):
        os.dup2(os.open(output.with_suffix(suffix), os.O_WRONLY | os.O_CREAT | os.O_TRUNC), fd)
    sys.argv = ["planner", *args]
    try:
        planner.cli.main()  # leaves through os._exit with the command's exit code
    finally:
        os._exit(70)


def main() -> None:
    commands: list[list[str]] = json.load(sys.stdin)
    with tempfile.TemporaryDirectory(prefix="forked_cli_") as folder:
        runs = []
        for number, args in enumerate(commands):
            output = Path(folder) / str(number)
            pid = os.fork()
            if pid == 0:
                _run(args, output)
            runs.append((pid, output))
        results = []
        for pid, output in runs:
            _, status = os.waitpid(pid, 0)
            results.append([os.waitstatus_to_exitcode(status),
                            *(output.with_suffix(suffix).read_text(encoding="utf-8",
                                                                   errors="replace")
                              for suffix in (".out", ".err"))])
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    main()
