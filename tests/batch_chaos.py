"""Batch tasks that kill their own worker inside the victim's store transaction.

Workers import this module by name (the pool's fork server and Dask's spawned
workers get the tests' sys.path), so it lives beside the tests, not in one.
"""

from __future__ import annotations

import os
import signal
import time
from typing import Any

from planner.io.store import Store
from planner.jobs.batch import CampaignResult, CampaignTask, run_campaign

VICTIM = "brand-001"


def _kill_worker_inside_the_transaction() -> None:
    worker = os.getpid()
    save_plan = Store.save_plan

    def save_then_die(self: Store, *args: Any, **kwargs: Any) -> int:
        save_plan(self, *args, **kwargs)  # the plan is in the transaction, not committed yet
        os.kill(worker, signal.SIGKILL)
        time.sleep(60)  # a watchdog child of the worker dies with it (PR_SET_PDEATHSIG)
        raise AssertionError("unreachable")

    Store.save_plan = save_then_die  # type: ignore[method-assign]


def die_once(task: CampaignTask) -> CampaignResult:
    """The victim's first run kills its worker mid-transaction; its rerun goes through."""
    marker = task.out.parent / f".killed-{task.name}"
    if task.name == VICTIM and not marker.exists():
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.touch()
        _kill_worker_inside_the_transaction()
    return run_campaign(task)


def die_always(task: CampaignTask) -> CampaignResult:
    """Every run of the victim kills its worker mid-transaction."""
    if task.name == VICTIM:
        _kill_worker_inside_the_transaction()
    return run_campaign(task)


def hang_victim(task: CampaignTask) -> CampaignResult:
    """The victim's worker hangs (as on a FIFO before inputs were checked); the others run."""
    if task.name == VICTIM:
        time.sleep(3600)
    return run_campaign(task)
