"""Batch tasks that kill their own worker inside the victim's store transaction, or make
the victim's planner hand out a plan that breaks a rule.

Workers import this module by name (the pool's fork server and Dask's spawned
workers get the tests' sys.path), so it lives beside the tests, not in one.

A pool worker keeps one watched child for its campaigns (``keep_watched_child``), forked
before any patch here: the victim's run gets a child of its own, forked after the patch,
and no later campaign runs in it (``_a_child_of_its_own``).
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import planner.jobs.plan
import planner.jobs.replan
from planner.io.store import Store
from planner.jobs.batch import CampaignResult, CampaignTask, run_campaign
from planner.jobs.watchdog import keep_watched_child
from planner.models import Plan

VICTIM = "brand-001"


@contextmanager
def _a_child_of_its_own() -> Iterator[None]:
    """Inside, the worker's watched run forks a child that has the patches made here and
    that is gone after it; the worker keeps a child for its next campaigns again after."""
    keep_watched_child(False)
    try:
        yield
    finally:
        keep_watched_child()


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
        with _a_child_of_its_own():
            return run_campaign(task)
    return run_campaign(task)


def die_always(task: CampaignTask) -> CampaignResult:
    """Every run of the victim kills its worker mid-transaction."""
    if task.name == VICTIM:
        _kill_worker_inside_the_transaction()
        with _a_child_of_its_own():
            return run_campaign(task)
    return run_campaign(task)


def hang_victim(task: CampaignTask) -> CampaignResult:
    """The victim's worker hangs (as on a FIFO before inputs were checked); the others run."""
    if task.name == VICTIM:
        time.sleep(3600)
    return run_campaign(task)


def booked_the_day_before(plan: Plan) -> Plan:
    """The plan with a copy of its first new order run and booked the day before the plan
    date: it breaks ``before_plan_date``."""
    first = next(o for o in plan.orders if not o.fixed)
    day = plan.plan_date - timedelta(days=1)
    early = first.model_copy(update={"start_date": day, "end_date": day, "booking_date": day})
    return plan.model_copy(update={"orders": [*plan.orders, early]})


def break_a_rule(task: CampaignTask) -> CampaignResult:
    """The victim's planner (a fresh plan or a re-plan) books an order before the plan date;
    the others plan as usual. Patched in the worker (so the watched child it forks has it)
    for the victim's run only: the worker may run another campaign next, in another child."""
    if task.name != VICTIM:
        return run_campaign(task)
    plan_with_margin = planner.jobs.plan.plan_with_margin
    replan = planner.jobs.replan.replan

    def plan_then_break(*args: Any, **kwargs: Any) -> Plan:
        return booked_the_day_before(plan_with_margin(*args, **kwargs))

    def replan_then_break(*args: Any, **kwargs: Any) -> Plan:
        return booked_the_day_before(replan(*args, **kwargs))

    planner.jobs.plan.plan_with_margin = plan_then_break  # type: ignore[assignment]
    planner.jobs.replan.replan = replan_then_break  # type: ignore[assignment]
    try:
        with _a_child_of_its_own():
            return run_campaign(task)
    finally:
        planner.jobs.plan.plan_with_margin = plan_with_margin  # type: ignore[assignment]
        planner.jobs.replan.replan = replan  # type: ignore[assignment]
