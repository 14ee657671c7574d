"""Mutation testing of the rules, the scoring, the learning, the plan checker, the response
model and the optimiser's model (``make mutate``).

Each mutant is one small change to the decision logic of ``planner/rules.py``,
``planner/scoring.py``, ``planner/learning.py``, ``planner/checks.py``,
``planner/response.py`` (what each yuan on a video, tool and day is expected to sell) or
``planner/optimiser/model.py`` (the rows and columns of the MIP the solver is given); the
test suite must fail on it (the mutant is *killed*), or it *survives* and either a test is
missing or the change cannot alter any verdict or figure (an *equivalent* mutant, listed in
``EQUIVALENT`` with why).

Why a runner of its own and not mutmut: mutmut mutates every string and number too
(most of these modules' mutants would only reword a reason, which the catalogue and the
reason-figure tests judge, not the rules), and runs each survivor against every test that
touches the function: hundreds of survivors at tens of seconds each, on a two-core machine.
This runner keeps to decision logic and runs each mutant against only the tests that
execute its line, fastest first, stopping at the first failure.

Operators, inside function bodies only (never in a reason's or a violation's wording, its
figures or an f-string): comparisons (``<`` and ``<=``, ``>`` and ``>=``, ``==`` and
``!=``, ``in`` and ``not in``, ``is`` and ``is not``), ``and`` and ``or``, ``not`` dropped,
arithmetic (``+`` and ``-``, ``*`` and ``/``), ``+=`` made ``=``, ``True`` and ``False``,
and a number ``n`` made ``n + 1``.

The judge is the whole test suite. This process imports the planner and runs every test
file in ``tests/`` once, unmutated, recording with coverage.py (one dynamic context per
test) which test executes which line of the mutated modules; a test that fails unmutated
judges nothing. Left out: tests marked ``browser`` (Streamlit and Chromium run in other
processes, which a mutant swapped into this one never reaches), and tests marked ``slow``
in files that do not name a mutated module (processes, stores under stress, big inputs;
``--with-slow`` takes them too). Tests that run the planner in a subprocess judge nothing
either, for the same reason; the watched child of ``planner plan`` (a fork) is run in this
process while recording, so its lines are seen. What is recorded is kept in
``.mutation-lines.json`` per test file, and recorded again only for test files that changed
(all of them when the planner, the app or the tests' helpers changed).

Each mutant then runs in a forked child that swaps the mutated code into the live functions
(``__code__``, so every module that imported a function by name runs the mutant) and runs
``pytest -x -q -p no:cacheprovider`` on every test that executes its line, fastest first.
The checker's mutants share the plans the unmutated planner made (``PLANS_SHARED``: making a
plan never runs the checker), so their tests do not solve the same plans again. A child
that passes its ``--timeout`` is stopped and its mutant left undecided (on a starved machine
a survivor's tests can take that long; a hang is not a kill either); ``--resume`` tests it
again.

The response model's and the optimiser model's mutants change the MIP a plan is solved
from, and every test that makes a plan judges them. A mutant that makes the model
infeasible, or a plan that breaks a rule (``planner plan`` runs the checker on its own
output), fails its first test quickly. One that makes a solve slow meets the solver's own
deadline first (``solver.time_limit_s``: the best plan found is returned, flagged), so a
test still ends; but a survivor runs every plan-making test of its line, hundreds for
``build_model``, and a child gets ``TIMEOUTS[module]`` seconds (``--timeout`` sets one for
every module) before its mutant is left undecided.

    nice -n 19 .venv/bin/python -m benchmarks.mutation [--only planner/scoring.py]
        [--timeout SECONDS] [--resume] [--survivors-again] [--with-slow]
        [--out benchmarks/results/mutation.md]
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import copy
import datetime
import gc
import hashlib
import importlib
import json
import os
import platform
import re
import signal
import sys
import time
import types
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
TESTS = ROOT / "tests"

# The modules mutated. Every test of the suite that runs a mutated line judges the mutant.
TARGETS: tuple[str, ...] = ("planner/rules.py", "planner/scoring.py", "planner/learning.py",
                            "planner/checks.py", "planner/response.py",
                            "planner/optimiser/model.py")

# Which test runs which line, kept between runs (see ``record_coverage``).
# How many of the fastest tests of a module's first mutated line check that the unmutated
# code, swapped in, passes (all of them can be half the suite).
SELF_CHECK = 30

# Seconds a mutant's tests may take before its child is stopped and the mutant left
# undecided; more for the modules whose every test solves plans (a survivor of theirs runs
# every plan-making test of its line).
TIMEOUT = 120.0
TIMEOUTS: dict[str, float] = {"planner/response.py": 300.0, "planner/optimiser/model.py": 300.0}

CACHE = ROOT / ".mutation-lines.json"

# Modules that making a plan never runs (the checker judges plans once made): their mutants
# share the plans the unmutated planner made while lines were recorded, so a mutant's tests
# do not solve the same plans again (Planner.plan, memoised on its videos and campaign).
PLANS_SHARED = frozenset({"planner/checks.py"})

# Calls whose arguments are wording (a reason's or a violation's sentence and figures):
# mutating them changes what is said, never what is decided.
WORDING_CALLS = frozenset({"reason", "t", "tool_name", "chain_name", "tier_name", "_yuan"})
WORDING_KEYWORDS_OF = frozenset({"add"})  # self.add(code, order, **figures)
WORDING_FUNCTIONS = frozenset({"_yuan", "Violation.text"})

# Survivors judged equivalent: no verdict can change. Keyed by the mutant's description
# (``function: before -> after``); the value says why.
EQUIVALENT: dict[str, str] = {
    # planner/learning.py
    "learn: plan_date - timedelta(days=1) -> plan_date + timedelta(days=1)":
        "`latest` only anchors the recency weights (lines 162 and 183): two days later, "
        "every day's weight and the prior's are multiplied by the same 0.5 ** (2 / "
        "half-life) (no day of the past reaches the max(..., 0)), and the multiplier "
        "(prior + S x G/E) / (prior + S) is a ratio of sums that all carry that factor, "
        "so no estimate, reason or figure moves (beyond a float's last bit)",
    "expected_gmv_for: strict=True -> strict=False":
        "segment_widths and segment_roi always have the same length: ResponseConfig "
        "rejects a response model whose lengths differ (planner/config.py, _segments), "
        "so strict never raises",
    "learn: strict=True -> strict=False":
        "`weights` is built one per day from `days` (line 162, then line 168), so the two "
        "lists always have the same length and strict never raises",
    "learn: strict=True -> strict=False  #2":
        "`weights` has one entry per day of `days` (line 168): strict never raises",
    "learn: strict=True -> strict=False  #3":
        "`weights` has one entry per day of `days` (line 168): strict never raises",
    "learn: strict=True -> strict=False  #4":
        "`weights` has one entry per day of `days` (line 168): strict never raises",
    "learn: spend <= 0 -> spend < 0":
        "a video's weighted spend is 0 only when every one of its days spent 0 (every "
        "weight is positive; the actuals readers reject negative spend), and the model "
        "expects exactly 0 yuan from 0 yuan (expected_gmv_for), so `expected <= 0` beside "
        "it skips the video just the same",
    "learn: spend <= 0 -> spend < 0  #2":
        "a tool's total spend is 0 only when each of its days spent 0 (the actuals readers "
        "reject negative spend), and the model expects exactly 0 yuan from 0 yuan "
        "(expected_gmv_for), so `expected <= 0` beside it skips the tool just the same",
    "learn: abs(multiplier - 1.0) >= 0.02 -> abs(multiplier - 1.0) > 0.02":
        "the two differ only when abs(multiplier - 1.0) equals the float 0.02 exactly, "
        "which no float can reach: for a multiplier between 0.5 and 2, multiplier - 1.0 "
        "is exact and a multiple of 2 ** -53, and the float 0.02 is not (0.02 x 2 ** 53 "
        "is not a whole number); outside that range the difference is at least 0.5",
    # planner/response.py
    "day_terms: terms.efficiency < least -> terms.efficiency <= least":
        "when the efficiency equals the least one exactly, replace(terms, efficiency=least) "
        "makes terms equal to the ones it replaces: every figure is the same",
    "build_response_model: fixed_by_cell.get(key, 0.0) + spend -> "
    "fixed_by_cell.get(key, 0.0) - spend":
        "only the keys of fixed_by_cell are read (_DailyGrid.of: a booked video, tool and "
        "day is not offered again); the yuan summed into its values never are",
    "build_response_model: fixed_by_cell.get(key, 0.0) -> fixed_by_cell.get(key, 1.0)":
        "only the keys of fixed_by_cell are read (_DailyGrid.of: a booked video, tool and "
        "day is not offered again); the yuan summed into its values never are",
    "build_response_model: tool is not Tool.CONTENT_SERVICE and tool not in "
    "LIVE_ROOM_TOOLS -> tool is not Tool.CONTENT_SERVICE or tool not in LIVE_ROOM_TOOLS":
        "the mutant also builds a daily grid for content service and the live-room tool, "
        "and no grid is read but grids[tool] for a tool in a video's eligible set that is "
        "not content service (its purchases come from _content_service_purchases, the "
        "`continue` before grids[tool]); Qianchuan live-room is never in an eligible set "
        "(assess_video adds only Dou+, Suixintui, content service, KOL bidding and "
        "AD_TOOLS, which leave it out: live_room_purchases makes its buys). The extra "
        "grids change nothing shared (Economics.terms only caches day_terms, a pure "
        "function) and cannot raise where the kept ones do not: the same arrays over the "
        "same videos, with the tool's own day terms (CPM > 0, capacity multipliers >= 0, "
        "half-lives > 0, all validated)",
    "_content_service_windows: (day - block[-1]).days > 1 -> (day - block[-1]).days > 2":
        "the gap test is never true either way: `days` is campaign.days() (every calendar "
        "day from start to end) from first_day on, so consecutive entries are one day "
        "apart, and the only days the loop skips are sale days, which empty `block` "
        "first; so whenever `block` is not empty its last day is the day before `day`, "
        "a gap of exactly 1",
    "Economics.__init__: strict=True -> strict=False":
        "segment_widths and segment_roi always have the same length: ResponseConfig "
        "rejects a response model whose lengths differ (planner/config.py, _segments), "
        "so strict never raises",
    "_DailyGrid.of: strict=True -> strict=False":
        "`videos` and `scores` are built one per assessment from the same list, so they "
        "always have the same length and strict never raises",
    "AudiencePool.take: strict=True -> strict=False":
        "every Purchase is made in planner/response.py with one day share per day (a "
        "daily cell and a live-room buy: days=(day,), day_shares=(1.0,); a "
        "content-service window: one share per window day), so purchase.days and "
        "purchase.day_shares always have the same length",
    "_DailyGrid.of: [0.0] -> [1.0]":
        "cumulative[0] is read only for cells whose count of segments above the floor is "
        "0 (kept_width = capacity x cumulative[count], read once, line 666), and those "
        "cells are dropped by `count > 0` on line 664 whatever their kept width; "
        "cumulative[k] for k >= 1 is the same running sum of the segment shares",
    "_DailyGrid.of: v.natural_plays or 0.0 -> v.natural_plays or 1.0":
        "it changes only the capacity of a video with no natural plays (None or 0), and "
        "every cell of such a video is dropped: its GPM is 0 (scoring.gpm of 0 plays), "
        "so its ROI is 0 on every day, a burst day's too (burst_roi_cap caps the "
        "first-2h ROI at a multiple of the natural traffic ROI, 0), whatever the learned "
        "multiplier; the floor is above 0 (roi_floor > 0, validated; else 1.0 or the "
        "break-even ROI), so no segment counts and `count > 0` drops the cell",
}

_SWAP_COMPARE: dict[type[ast.cmpop], type[ast.cmpop]] = {
    ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt,
    ast.Eq: ast.NotEq, ast.NotEq: ast.Eq, ast.In: ast.NotIn, ast.NotIn: ast.In,
    ast.Is: ast.IsNot, ast.IsNot: ast.Is,
}
_SWAP_BINOP: dict[type[ast.operator], type[ast.operator]] = {
    ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Div, ast.Div: ast.Mult,
}


@dataclass(frozen=True)
class Mutant:
    module: str  # "planner/rules.py"
    function: str  # qualified name of the function it is in
    line: int
    before: str
    after: str
    # Makes the whole module, mutated: only a mutant that runs needs it, and making one
    # per mutant up front took most of the time it takes to list them.
    make_tree: Callable[[], ast.Module] = field(repr=False, compare=False)

    @property
    def key(self) -> str:
        return f"{self.function}: {self.before} -> {self.after}"

    @property
    def tree(self) -> ast.Module:
        """The whole module, mutated (a new tree each time)."""
        return self.make_tree()


@dataclass
class Outcome:
    mutant: Mutant
    status: str  # killed | survived | timeout | uncovered
    tests: int
    seconds: float
    killer: str = ""


# ------------------------------------------------------------------ making mutants


def _parents(tree: ast.AST) -> dict[ast.AST, ast.AST]:
    return {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}


def _is_wording(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> bool:
    """Inside an f-string, a docstring, or the sentence and figures of a reason or violation."""
    child, parent = node, parents.get(node)
    while parent is not None:
        if isinstance(parent, ast.JoinedStr):
            return True
        if isinstance(parent, ast.Call):
            name = (parent.func.id if isinstance(parent.func, ast.Name)
                    else parent.func.attr if isinstance(parent.func, ast.Attribute) else "")
            if name in WORDING_CALLS and child is not parent.func:
                # reason(code, sentence, **figures): only the code decides anything.
                if name != "reason" or child is not (parent.args[0] if parent.args else None):
                    return True
            if name in WORDING_KEYWORDS_OF and isinstance(child, ast.keyword):
                return True
        child, parent = parent, parents.get(parent)
    return False


def _function_of(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> str | None:
    """The qualified name of the outermost function or method the node is in (whose code
    object is swapped), or None at module or class level, or in a default or decorator."""
    names: list[str] = []
    outer: ast.AST | None = None
    child, parent = node, parents.get(node)
    while parent is not None:
        if isinstance(parent, ast.FunctionDef | ast.AsyncFunctionDef):
            if child in parent.decorator_list or child is parent.args or child is parent.returns:
                return None
            names.append(parent.name)
            outer = parent
        elif isinstance(parent, ast.ClassDef):
            names.append(parent.name)
        child, parent = parent, parents.get(parent)
    if outer is None:
        return None
    # Keep the names from the outermost function up (classes above it, nested defs dropped).
    chain = list(reversed(names))
    depth = chain.index(outer.name) + 1  # type: ignore[attr-defined]
    return ".".join(chain[:depth])


def _changes(node: ast.AST) -> Iterator[tuple[str, Callable[[ast.AST], None]]]:
    """Each mutation of one node: its label and a function that applies it to a copy."""
    if isinstance(node, ast.Compare):
        for i, op in enumerate(node.ops):
            swap = _SWAP_COMPARE.get(type(op))
            if swap is not None:
                def apply(n: ast.AST, i: int = i, swap: type[ast.cmpop] = swap) -> None:
                    n.ops[i] = swap()  # type: ignore[attr-defined]
                yield "compare", apply
    elif isinstance(node, ast.BoolOp):
        # One operator at a time, as if the i-th ``and`` were written ``or``: for
        # ``a and b and c`` the first is ``a or b and c``, the second ``a and b or c``.
        mine, other = type(node.op), ast.Or if isinstance(node.op, ast.And) else ast.And
        for i in range(len(node.values) - 1):
            def flip(n: ast.AST, i: int = i, mine: type[ast.boolop] = mine,
                     other: type[ast.boolop] = other) -> None:
                values = n.values  # type: ignore[attr-defined]
                left, right = values[: i + 1], values[i + 1:]
                sides = [s[0] if len(s) == 1 else ast.BoolOp(op=mine(), values=s)
                         for s in (left, right)]
                n.op, n.values = other(), sides  # type: ignore[attr-defined]
                ast.fix_missing_locations(n)
            yield "boolop", flip
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        yield "not", lambda n: None  # replaced by its operand in ``_mutated``
    elif isinstance(node, ast.BinOp) and type(node.op) in _SWAP_BINOP:
        swap_op = _SWAP_BINOP[type(node.op)]

        def arith(n: ast.AST, swap_op: type[ast.operator] = swap_op) -> None:
            n.op = swap_op()  # type: ignore[attr-defined]
        yield "arith", arith
    elif isinstance(node, ast.AugAssign) and isinstance(node.op, ast.Add):
        yield "augassign", lambda n: None  # made a plain assignment in ``_mutated``
    elif isinstance(node, ast.Constant) and isinstance(node.value, bool):
        def negate(n: ast.AST) -> None:
            n.value = not n.value  # type: ignore[attr-defined]
        yield "bool", negate
    elif (isinstance(node, ast.Constant) and isinstance(node.value, int | float)
          and not isinstance(node.value, bool)):
        def bump(n: ast.AST) -> None:
            n.value = n.value + 1  # type: ignore[attr-defined]
        yield "number", bump


def _mutated(copied: ast.AST, index: int, label: str,
             apply: Callable[[ast.AST], None]) -> ast.AST:
    """Mutates node number ``index`` (in ``ast.walk`` order) of ``copied`` (a copy of the
    module, or of the statement the node is in) in place; the node that replaced it."""
    nodes = list(ast.walk(copied))
    target = nodes[index]
    if label in ("not", "augassign"):
        new: ast.AST
        if label == "not":
            new = target.operand  # type: ignore[attr-defined]
        else:
            new = ast.Assign(targets=[target.target], value=target.value,  # type: ignore[attr-defined]
                             lineno=target.lineno, col_offset=target.col_offset)
        for parent in ast.walk(copied):
            for name, value in ast.iter_fields(parent):
                if value is target:
                    setattr(parent, name, new)
                elif isinstance(value, list):
                    for i, item in enumerate(value):
                        if item is target:
                            value[i] = new
        ast.fix_missing_locations(copied)
        return new
    apply(target)
    return target


def _module_maker(source: str, index: int, label: str,
                  apply: Callable[[ast.AST], None]) -> Callable[[], ast.Module]:
    """Makes the module of ``source`` with node number ``index`` mutated."""

    def make() -> ast.Module:
        tree = ast.parse(source)
        _mutated(tree, index, label, apply)
        return tree

    return make


def _statement_of(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> ast.AST:
    """The statement a node is in (the node itself if it is one): its description never
    reaches further out."""
    while not isinstance(node, ast.stmt):
        node = parents[node]
    return node


def _context(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> ast.AST:
    """The smallest expression or statement around a node that reads well on its own."""
    while isinstance(node, ast.Constant | ast.operator | ast.cmpop | ast.boolop):
        node = parents[node]
    return node


def _shown(node: ast.AST) -> str:
    """The node as source, a reason's or violation's sentence and figures left out."""
    node = copy.deepcopy(node)
    for call in ast.walk(node):
        if (isinstance(call, ast.Call) and isinstance(call.func, ast.Name | ast.Attribute)
                and (call.func.id if isinstance(call.func, ast.Name) else call.func.attr)
                in WORDING_CALLS | WORDING_KEYWORDS_OF):
            call.args = [*call.args[:1], ast.Name(id="...")]
            call.keywords = []
    return ast.unparse(node)


def make_mutants(module: str) -> list[Mutant]:
    """Every mutant of a module of the project, e.g. ``planner/rules.py``."""
    return mutants_of((ROOT / module).read_text(encoding="utf-8"), module)


def mutants_of(source: str, module: str) -> list[Mutant]:
    """Every mutant of ``source``, in the order its nodes are walked."""
    tree = ast.parse(source)
    parents = _parents(tree)
    docstrings = {id(n.body[0].value) for n in ast.walk(tree)  # type: ignore[attr-defined]
                  if isinstance(n, ast.Module | ast.ClassDef | ast.FunctionDef)
                  and n.body and isinstance(n.body[0], ast.Expr)
                  and isinstance(n.body[0].value, ast.Constant)}
    mutants: list[Mutant] = []
    seen: dict[str, int] = defaultdict(int)
    for index, node in enumerate(ast.walk(tree)):
        if id(node) in docstrings or not hasattr(node, "lineno"):
            continue
        function = _function_of(node, parents)
        if function is None or function in WORDING_FUNCTIONS or _is_wording(node, parents):
            continue
        statement = _statement_of(node, parents)
        inside = [id(n) for n in ast.walk(statement)].index(id(node))
        for label, apply in _changes(node):
            # Described on a copy of its statement; the whole module is made when it runs.
            copied = copy.deepcopy(statement)
            after = _mutated(copied, inside, label, apply)
            shown_before = _shown(_context(node, parents))
            after_parents = _parents(copied)
            shown_after = _shown(_context(after, after_parents)
                                 if after in after_parents else after)
            description = f"{function}: {shown_before} -> {shown_after}"
            seen[description] += 1
            if seen[description] > 1:
                shown_after += f"  #{seen[description]}"
            mutants.append(Mutant(module, function, node.lineno,  # type: ignore[attr-defined]
                                  shown_before, shown_after,
                                  _module_maker(source, index, label, apply)))
    return mutants


# ------------------------------------------------------------------ swapping code in


def _code_objects(code: types.CodeType) -> Iterator[types.CodeType]:
    yield code
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            yield from _code_objects(const)


def _live_functions(module: types.ModuleType) -> dict[str, types.FunctionType]:
    """Qualified name -> the module's own functions and methods (what ``__code__`` swaps)."""
    found: dict[str, types.FunctionType] = {}

    def visit(obj: Any) -> None:
        if isinstance(obj, staticmethod | classmethod):
            obj = obj.__func__
        if isinstance(obj, property):
            for f in (obj.fget, obj.fset):
                if f is not None:
                    visit(f)
            return
        if isinstance(obj, types.FunctionType) and obj.__module__ == module.__name__:
            found.setdefault(obj.__qualname__, obj)
        elif isinstance(obj, type) and obj.__module__ == module.__name__:
            for value in vars(obj).values():
                visit(value)

    for value in vars(module).values():
        visit(value)
    return found


def swap_in(mutant: Mutant) -> None:
    """Run the mutant from now on, in this process: the function's code is replaced."""
    name = mutant.module.removesuffix(".py").replace("/", ".")
    module = importlib.import_module(name)
    compiled = compile(mutant.tree, str(ROOT / mutant.module), "exec")
    codes = {c.co_qualname: c for c in _code_objects(compiled)}
    live = _live_functions(module)[mutant.function]
    live.__code__ = codes[mutant.function]


# ------------------------------------------------------------------ which test runs which line


class _Recorder:
    """A pytest plugin that records, per test, the lines of the target files it runs
    (coverage.py's C tracer, one dynamic context per test), and which tests it judges with.

    A module- or session-scoped fixture runs once, in the setup of the first test that asks
    for it; the lines it runs are credited to every test that uses it. Tests marked
    ``browser`` (a Streamlit server and Chromium in other processes: a mutant swapped into
    this process never reaches them) are left out, and so are tests marked ``slow`` unless
    ``with_slow`` or their file names a mutated module (its own unit and boundary tests).
    """

    def __init__(self, files: set[str], with_slow: bool) -> None:
        import coverage

        self.files = files
        self.with_slow = with_slow
        self.lines: dict[tuple[str, int], set[str]] = defaultdict(set)
        self.seconds: dict[str, float] = defaultdict(float)
        self.failed: list[str] = []
        self.uses: dict[str, list[tuple[str, str]]] = {}
        self.cov = coverage.Coverage(data_file=None, include=sorted(files), config_file=False)
        self.context = ""

    def _switch(self, context: str) -> None:
        self.context = context
        self.cov.switch_context(context)

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, config: Any, items: list[Any]) -> None:
        names = naming_files()
        kept, dropped = [], []
        for item in items:
            slow = item.get_closest_marker("slow") is not None
            if item.get_closest_marker("browser") is not None or (
                    slow and not self.with_slow and item.nodeid.split("::")[0] not in names):
                dropped.append(item)
            else:
                kept.append(item)
        if dropped:
            config.hook.pytest_deselected(items=dropped)
            items[:] = kept

    def pytest_collection_finish(self, session: Any) -> None:
        # The watched child of ``planner plan`` runs in this process from now on, so its
        # lines are seen (a forked child's would be lost); test modules imported the real
        # one by name before this, so the watchdog's own tests still fork.
        from planner.jobs import watchdog

        watchdog.run_with_deadline = _in_process  # type: ignore[assignment]
        self.cov.start()

    @pytest.hookimpl(hookwrapper=True)
    def pytest_fixture_setup(self, fixturedef: Any, request: Any) -> Iterator[None]:
        outer = self.context
        if fixturedef.scope != "function":
            self._switch(f"fixture\x00{fixturedef.argname}\x00{fixturedef.baseid}")
        try:
            yield
        finally:
            self._switch(outer)

    def pytest_runtest_protocol(self, item: Any, nextitem: Any) -> None:
        defs = getattr(item, "_fixtureinfo", None)
        self.uses[item.nodeid] = [
            (d[-1].argname, d[-1].baseid)
            for d in (defs.name2fixturedefs.values() if defs is not None else ()) if d]
        self._switch(item.nodeid)

    def pytest_runtest_logreport(self, report: Any) -> None:
        self.seconds[report.nodeid] += report.duration
        if report.when == "teardown":
            self._switch("")
        if report.failed:
            self.failed.append(report.nodeid)

    def finish(self) -> None:
        """Stop tracing; read who ran which line; give each test the lines of the
        wider-scoped fixtures it uses."""
        self.cov.stop()
        data = self.cov.get_data()
        fixture_lines: dict[tuple[str, str], set[tuple[str, int]]] = defaultdict(set)
        for path in data.measured_files():
            for line, contexts in (data.contexts_by_lineno(path) or {}).items():
                for context in contexts:
                    if context.startswith("fixture\x00"):
                        _, argname, baseid = context.split("\x00")
                        fixture_lines[(argname, baseid)].add((path, line))
                    elif context:
                        self.lines[(path, line)].add(context)
        for test, fixtures in self.uses.items():
            for fixture in fixtures:
                for where in fixture_lines.get(fixture, ()):
                    self.lines[where].add(test)
        for test in set(self.failed):  # a test failing unmutated judges nothing
            for tests in self.lines.values():
                tests.discard(test)


class _SharedPlans:
    """``Planner.plan`` memoised on the planner's videos, campaign and signals and the
    call's arguments: each caller gets its own deep copy. ``on`` is switched off in the
    child of a mutant whose module making a plan runs."""

    def __init__(self) -> None:
        self.on = True
        self.plans: dict[tuple[str, ...], Any] = {}
        self.planners: dict[tuple[str, ...], Any] = {}

    def install(self) -> None:
        from planner.planning import Planner

        init, plan, shared = Planner.__init__, Planner.plan, self

        def keyed_init(planner: Any, videos: Any, campaign: Any, *args: Any,
                       **kwargs: Any) -> None:
            key = (campaign.model_dump_json(), *(v.model_dump_json() for v in videos),
                   repr(args), repr(sorted(kwargs.items())))
            made = shared.planners.get(key) if shared.on else None
            if made is not None:  # its rules and model of returns, as made the first time
                planner.__dict__.update(made.__dict__)
                return
            init(planner, videos, campaign, *args, **kwargs)
            planner._shared_key = key
            if shared.on:
                shared.planners[key] = copy.copy(planner)

        def shared_plan(planner: Any, *args: Any, **kwargs: Any) -> Any:
            if not shared.on:
                return plan(planner, *args, **kwargs)
            key = (*planner._shared_key, repr(args), repr(sorted(kwargs.items())))
            if key not in shared.plans:
                shared.plans[key] = plan(planner, *args, **kwargs)
            return shared.plans[key].model_copy(deep=True)

        Planner.__init__ = keyed_init  # type: ignore[method-assign]
        Planner.plan = shared_plan  # type: ignore[method-assign]


SHARED = _SharedPlans()


def _in_process(fn: Callable[..., Any], *args: Any, deadline_s: float, **kwargs: Any) -> Any:
    return fn(*args, **kwargs)


@dataclass
class Coverage:
    """Which test runs which line of the mutated modules (``"planner/rules.py:120"`` ->
    node ids), how long each test took, and the tests that fail unmutated (never judges)."""

    lines: dict[str, set[str]]
    seconds: dict[str, float]
    failed: list[str]

    def tests_of(self, module: str, line: int) -> list[str]:
        """The tests that run a line, fastest first."""
        return sorted(self.lines.get(f"{module}:{line}", ()),
                      key=lambda t: (self.seconds.get(t, 0.0), t))


def naming_files() -> set[str]:
    """The test files that name a mutated module (its unit and boundary tests):
    ``planner.optimiser.model`` or ``from planner.optimiser import model``."""
    named = []
    for module in TARGETS:
        package, _, stem = module.removesuffix(".py").replace("/", ".").rpartition(".")
        dotted = re.escape(package)
        named.append(rf"\b{dotted}\.{stem}\b|from {dotted} import [^\n]*\b{stem}\b")
    pattern = re.compile("|".join(named))
    return {f"tests/{p.name}" for p in TESTS.glob("test_*.py")
            if pattern.search(p.read_text(encoding="utf-8"))}


def _digest(paths: list[Path]) -> str:
    sha = hashlib.sha256()
    for path in sorted(paths):
        sha.update(str(path.relative_to(ROOT)).encode())
        sha.update(path.read_bytes())
    return sha.hexdigest()


def _record(files: list[str], with_slow: bool) -> dict[str, Any]:
    """Run the tests of ``files`` unmutated, tracing; per file: its digest, which of its
    tests runs which line, each test's seconds and the tests that fail."""
    from planner.jobs import watchdog

    original = watchdog.run_with_deadline
    recorder = _Recorder({str(ROOT / m) for m in TARGETS}, with_slow)
    try:
        pytest.main([*files, "-q", "-p", "no:cacheprovider"], plugins=[recorder])
    finally:
        watchdog.run_with_deadline = original
    recorder.finish()
    found: dict[str, Any] = {
        f: {"digest": _digest([ROOT / f]), "lines": defaultdict(list),
            "seconds": {t: round(s, 3) for t, s in recorder.seconds.items()
                        if t.startswith(f"{f}::")},
            "failed": sorted({t for t in recorder.failed if t.startswith(f"{f}::")})}
        for f in files}
    for (path, line), tests in recorder.lines.items():
        where = f"{Path(path).relative_to(ROOT)}:{line}"
        for test in sorted(tests):
            found[test.split("::")[0]]["lines"][where].append(test)
    return found


def record_coverage(with_slow: bool, jobs: int) -> Coverage:
    """Run the whole test suite once, unmutated, tracing the mutated modules' lines.

    What it finds is kept in ``.mutation-lines.json`` (not committed), per test file: a
    later run records again only the test files that changed, or every file when the
    planner, the app or the tests' helpers changed. The recording runs in ``jobs`` forked
    children, each on its share of the files; then every test module is imported in this
    process, so a forked mutant's pytest does not import them again.
    """
    base = _digest([*ROOT.glob("planner/**/*.py"), *ROOT.glob("app/**/*.py"),
                    *(p for p in TESTS.glob("*.py") if not p.name.startswith("test_"))])
    base += f" slow={with_slow} targets={','.join(TARGETS)}"
    files = sorted(f"tests/{p.name}" for p in TESTS.glob("test_*.py"))
    kept: dict[str, Any] = (json.loads(CACHE.read_text(encoding="utf-8"))
                            if CACHE.exists() else {})
    if kept.get("base") != base:
        kept = {"base": base, "files": {}}
    known = kept["files"]
    for gone in set(known) - set(files):
        del known[gone]
    stale = [f for f in files if known.get(f, {}).get("digest") != _digest([ROOT / f])]
    if stale:
        print(f"recording which of the tests of {len(stale)} test files runs which line, "
              f"in {jobs} processes ...", flush=True)
        # Heaviest files first, each to the process with the fewest bytes of tests so far.
        groups: list[list[str]] = [[] for _ in range(max(jobs, 1))]
        for f in sorted(stale, key=lambda f: -(ROOT / f).stat().st_size):
            min(groups, key=lambda g: sum((ROOT / x).stat().st_size for x in g)).append(f)
        children: dict[int, Path] = {}
        for n, group in enumerate(g for g in groups if g):
            out = CACHE.with_name(f"{CACHE.name}.{n}")
            pid = os.fork()
            if pid == 0:  # the child: record its files, write what it found, exit
                code = 1
                try:
                    out.write_text(json.dumps(_record(group, with_slow), ensure_ascii=False),
                                   encoding="utf-8")
                    code = 0
                finally:
                    os._exit(code)
            children[pid] = out
        for pid, out in children.items():
            _, status = os.waitpid(pid, 0)
            if os.waitstatus_to_exitcode(status) != 0:
                raise SystemExit(f"recording failed in process {pid}")
            known.update(json.loads(out.read_text(encoding="utf-8")))
            out.unlink()
        CACHE.write_text(json.dumps(kept, ensure_ascii=False) + "\n", encoding="utf-8")
    # Import every test module here once (the recording ran in children), for every
    # mutant's child to share.
    with open(os.devnull, "w") as quiet, contextlib.redirect_stdout(quiet):
        pytest.main([*files, "--collect-only", "-q", "-p", "no:cacheprovider"])
    coverage = Coverage(defaultdict(set), {}, [])
    for entry in known.values():
        for where, tests in entry["lines"].items():
            coverage.lines[where].update(tests)
        coverage.seconds.update(entry["seconds"])
        coverage.failed += entry["failed"]
    return coverage


def warm_shared_plans(module: str, coverage: Coverage) -> set[str]:
    """Run, once and unmutated, the tests of a module whose mutants share plans, with
    ``Planner.plan`` memoised: the plans they make are then in every child. Returns the
    tests that fail so (a test that needs a fresh solve, such as a solver made to fail):
    they judge none of this module's mutants."""
    SHARED.install()
    tests = sorted({t for where, ts in coverage.lines.items()
                    if where.startswith(f"{module}:") for t in ts})
    failed: list[str] = []

    class Failures:
        def pytest_runtest_logreport(self, report: Any) -> None:
            if report.failed:
                failed.append(report.nodeid)

    with open(os.devnull, "w") as quiet, contextlib.redirect_stdout(quiet):
        pytest.main([*tests, "-q", "-p", "no:cacheprovider"], plugins=[Failures()])
    return set(failed)


# ------------------------------------------------------------------ running a mutant


@dataclass
class _Running:
    pid: int
    pipe: int  # read end: the first failing test
    started: float


def start_mutant(mutant: Mutant, tests: list[str]) -> _Running:
    """Fork a child that swaps the mutant in and runs ``tests``; it exits with pytest's code."""
    started = time.perf_counter()
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: mutate, test, exit with pytest's code
        os.close(read_end)
        os.setpgid(0, 0)
        code = 99
        try:
            SHARED.on = mutant.module in PLANS_SHARED
            swap_in(mutant)
            failed: list[str] = []

            class First:
                def pytest_runtest_logreport(self, report: Any) -> None:
                    if report.failed and not failed:
                        failed.append(report.nodeid)

            quiet = os.open(os.devnull, os.O_WRONLY)
            os.dup2(quiet, 1)
            os.dup2(quiet, 2)
            code = int(pytest.main([*tests, "-x", "-q", "-p", "no:cacheprovider"],
                                   plugins=[First()]))
            os.write(write_end, (failed[0] if failed else "").encode())
        finally:
            os.close(write_end)
            os._exit(code)
    os.close(write_end)
    return _Running(pid, read_end, started)


def poll_mutant(run: _Running, timeout: float) -> tuple[str, float, str] | None:
    """None while the child runs; else (killed | survived | timeout, seconds, killer)."""
    done, code = os.waitpid(run.pid, os.WNOHANG)
    if done:
        status = "survived" if os.waitstatus_to_exitcode(code) == 0 else "killed"
    elif time.perf_counter() > run.started + timeout:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(run.pid, signal.SIGKILL)
        os.waitpid(run.pid, 0)
        status = "timeout"
    else:
        return None
    killer = os.read(run.pipe, 4096).decode(errors="replace") if status == "killed" else ""
    os.close(run.pipe)
    return status, time.perf_counter() - run.started, killer


def run_mutant(mutant: Mutant, tests: list[str], timeout: float) -> tuple[str, float, str]:
    """(killed | survived | timeout, seconds, first failing test) of one mutant."""
    run = start_mutant(mutant, tests)
    while (result := poll_mutant(run, timeout)) is None:
        time.sleep(0.05)
    return result


# ------------------------------------------------------------------ the report


def report(stored: dict[str, Any]) -> str:
    """The Markdown report of every module's last run (``stored``: the kept JSON)."""
    runs = "; ".join(f"`{m}` on {r['date']} in {r['minutes']:g} minutes"
                     + (f" ({r['note']})" if r.get("note") else "")
                     for m, r in stored.items())
    lines = [
        "# Mutation testing of the rules, the scoring, the learning, the plan checker, "
        "the response model and the optimiser's model",
        "",
        f"Made by `make mutate` (`benchmarks/mutation.py`, under `nice -n 19`, on "
        f"{platform.machine()} with Python {platform.python_version()}): {runs}. The outcome "
        "of every mutant is in `mutation.json` beside this file.",
        "",
        "Each mutant is one change to the decision logic (comparison, `and`/`or`, `not` "
        "dropped, `+`/`-`, `*`/`/`, `+=` made `=`, `True`/`False`, a number `n` made "
        "`n + 1`), never to wording. The whole test suite judges it: every test that runs "
        "its line (browser tests and, unless `--with-slow`, slow tests of files that do not "
        "name the module left out), fastest first (`pytest -x -q -p no:cacheprovider`); "
        "the first failing test kills it. "
        "**Score** = killed / (mutants tested - survivors judged equivalent - undecided).",
        "",
        "| module | tests that judge it | mutants tested | killed | survived "
        "| no test runs it | equivalent | undecided | score | date | minutes | load |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    left: list[tuple[str, dict[str, Any]]] = []
    timeouts: list[tuple[str, dict[str, Any]]] = []
    for module in TARGETS:
        if module not in stored:
            continue
        mine = stored[module]["outcomes"]
        killed = sum(o["status"] == "killed" for o in mine)
        # A mutant judged equivalent whose tests passed the time limit is equivalent all
        # the same: the judgement decides it, and every test of its line (hundreds, for the
        # modules that make plans) is expected to pass.
        survivors = [o for o in mine if o["status"] in ("survived", "uncovered")
                     or (o["status"] == "timeout" and _key(o) in EQUIVALENT)]
        equivalent = [o for o in survivors if _key(o) in EQUIVALENT]
        undecided = sum(o["status"] == "timeout" and _key(o) not in EQUIVALENT for o in mine)
        judged = len(mine) - len(equivalent) - undecided
        score = killed / judged if judged else 1.0
        lines.append(
            f"| `{module}` | {stored[module].get('judges', '')} | "
            f"{_tested(stored[module])} | {killed} | "
            f"{sum(o['status'] == 'survived' for o in mine)} | "
            f"{sum(o['status'] == 'uncovered' for o in mine)} | {len(equivalent)} | "
            f"{undecided} | {score:.1%} | {stored[module]['date']} | "
            f"{stored[module]['minutes']:g} | {stored[module].get('load', '')} |")
        left += [(module, o) for o in survivors]
        timeouts += [(module, o) for o in mine
                     if o["status"] == "timeout" and _key(o) not in EQUIVALENT]
    lines += ["", "## Survivors judged equivalent", ""]
    judged_equivalent = [(m, o) for m, o in left if _key(o) in EQUIVALENT]
    lines += [f"- `{m}:{o['line']}` `{_key(o)}`: {EQUIVALENT[_key(o)]}"
              + (" (stopped at the time limit, no test failed by then)"
                 if o["status"] == "timeout" else "")
              for m, o in judged_equivalent] or ["None."]
    lines += ["", "## Survivors not judged equivalent (missing tests)", ""]
    lines += [f"- `{m}:{o['line']}` `{_key(o)}` ("
              + ("no test runs this line" if o["status"] == "uncovered"
                 else "survived") + ")"
              for m, o in left if _key(o) not in EQUIVALENT] or ["None."]
    if timeouts:
        lines += ["", "## Undecided: their tests passed the time limit (left out of the "
                  "score; `make mutate ARGS=--resume` tests them again)", ""]
        lines += [f"- `{m}:{o['line']}` `{_key(o)}`" for m, o in timeouts]
    return "\n".join(lines) + "\n"


def _tested(entry: dict[str, Any]) -> str:
    """How many mutants were tested: all of them, or (a run stopped half-way) how many of
    how many, the first in the module's order."""
    tested, total = len(entry["outcomes"]), entry.get("mutants", len(entry["outcomes"]))
    return f"{tested}" if tested >= total else f"{tested} of {total} (stopped)"


def _key(outcome: dict[str, Any]) -> str:
    return f"{outcome['function']}: {outcome['before']} -> {outcome['after']}"


def _say(n: int, total: int, outcome: Outcome) -> None:
    mutant = outcome.mutant
    print(f"  [{n}/{total}] {outcome.status:9} {outcome.seconds:5.1f}s "
          f"{mutant.module}:{mutant.line} {mutant.key}"
          + (f"  <- {outcome.killer}" if outcome.killer else ""), flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else "")
    parser.add_argument("--only", action="append", choices=sorted(TARGETS),
                        help="mutate only this module (repeatable; default: all)")
    parser.add_argument("--timeout", type=float, default=None,
                        help="seconds a mutant's tests may take before it is left undecided "
                             f"(default: {TIMEOUT:g}, or the module's own in TIMEOUTS)")
    parser.add_argument("--jobs", type=int, default=2,
                        help="mutants tested at once (default 2: this machine's cores)")
    parser.add_argument("--resume", action="store_true",
                        help="keep the outcomes the last run stored, test only the others")
    parser.add_argument("--survivors-again", action="store_true",
                        help="with --resume: test the stored survivors again (after new tests)")
    parser.add_argument("--with-slow", action="store_true",
                        help="every slow test judges too (default: only those of the files "
                             "that name the module)")
    parser.add_argument("--limit", type=int, default=None,
                        help="run only the first N mutants of each module (a quick look)")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks/results/mutation.md")
    parser.add_argument("--report-only", action="store_true",
                        help="write the report from the stored outcomes; test nothing")
    args = parser.parse_args(argv)
    os.chdir(ROOT)
    if args.report_only:
        kept = args.out.with_suffix(".json")
        args.out.write_text(report(json.loads(kept.read_text(encoding="utf-8"))),
                            encoding="utf-8")
        return 0
    sys.path.insert(0, str(TESTS))
    modules = args.only or list(TARGETS)
    started = time.perf_counter()
    coverage = record_coverage(args.with_slow, args.jobs)
    print(f"  {len(coverage.seconds)} tests in {time.perf_counter() - started:.0f} s"
          + (f"; failing unmutated, so judging nothing: {coverage.failed}"
             if coverage.failed else ""), flush=True)
    shared_failed = {m: warm_shared_plans(m, coverage) for m in modules if m in PLANS_SHARED}
    # What this process holds now never changes: frozen, a child's garbage collections
    # (pytest runs two at its end) neither walk it nor copy its pages.
    gc.collect()
    gc.freeze()
    # Each module's outcomes are kept beside the report, written after every mutant: a run
    # stopped half-way keeps what it found, ``--resume`` goes on from there, and a module
    # run again alone (``--only``) leaves the others' outcomes in the report.
    kept = args.out.with_suffix(".json")
    stored: dict[str, Any] = (json.loads(kept.read_text(encoding="utf-8"))
                              if kept.exists() else {})
    kept.parent.mkdir(parents=True, exist_ok=True)
    for module in modules:
        every = make_mutants(module)
        mutants = every[: args.limit]
        # Stored outcomes, kept (and reported) until their mutant is tested again: a run
        # stopped before it reached an undecided mutant or a survivor to test again
        # still reports what the last run found of it.
        kept_outcomes = {_key(o): o for o in stored.get(module, {}).get("outcomes", [])
                         if args.resume}
        earlier = {k: o for k, o in kept_outcomes.items()
                   if o["status"] != "timeout"
                   and not (args.survivors_again and o["status"] in ("survived", "uncovered"))}
        skip = shared_failed.get(module, set())
        judges = {t for where, ts in coverage.lines.items()
                  if where.startswith(f"{module}:") for t in ts} - skip
        entry = stored[module] = {"date": datetime.date.today().isoformat(),
                                  "minutes": stored.get(module, {}).get("minutes", 0.0)
                                  if args.resume else 0.0,
                                  "load": f"{os.getloadavg()[0]:.1f}",
                                  "judges": len(judges),
                                  "mutants": len(every), "outcomes": []}
        module_started = time.perf_counter()
        # The runner checks itself: the module's own code swapped in must pass its tests,
        # or every "kill" below could be the swap's doing.
        first = mutants[0]
        source = (ROOT / module).read_text(encoding="utf-8")
        unchanged = Mutant(module, first.function, first.line, "", "",
                           lambda source=source: ast.parse(source))
        covering = [t for t in coverage.tests_of(module, first.line) if t not in skip][:SELF_CHECK]
        timeout = args.timeout or TIMEOUTS.get(module, TIMEOUT)
        status, _, killer = run_mutant(unchanged, covering, timeout)
        if status != "survived":
            raise SystemExit(f"{module}: the unmutated code swapped in fails ({killer})")
        print(f"{module}: {len(mutants)} mutants", flush=True)
        # Those judged equivalent last: a survivor runs every test of its line, and these
        # are expected to survive.
        queue = sorted(((n, m) for n, m in enumerate(mutants, start=1)
                        if m.key not in earlier), key=lambda nm: nm[1].key in EQUIVALENT)
        done: dict[int, dict[str, Any]] = {n: kept_outcomes[m.key] for n, m in
                                           enumerate(mutants, start=1)
                                           if m.key in kept_outcomes}
        running: dict[int, tuple[int, Mutant, int, _Running]] = {}

        def record(n: int, outcome: Outcome, total: int = len(mutants),
                   done: dict[int, dict[str, Any]] = done,
                   entry: dict[str, Any] = entry, base: float = entry["minutes"],
                   since: float = module_started) -> None:
            _say(n, total, outcome)
            m = outcome.mutant
            done[n] = {"line": m.line, "function": m.function, "before": m.before,
                       "after": m.after, "status": outcome.status, "tests": outcome.tests,
                       "seconds": round(outcome.seconds, 1), "killer": outcome.killer}
            entry["outcomes"] = [done[i] for i in sorted(done)]
            entry["minutes"] = round(base + (time.perf_counter() - since) / 60, 1)
            kept.write_text(json.dumps(stored, indent=2, ensure_ascii=False) + "\n",
                            encoding="utf-8")

        while queue or running:
            while queue and len(running) < args.jobs:
                n, mutant = queue.pop(0)
                tests = [t for t in coverage.tests_of(module, mutant.line) if t not in skip]
                if not tests:
                    record(n, Outcome(mutant, "uncovered", 0, 0.0))
                    continue
                run = start_mutant(mutant, tests)
                running[run.pid] = (n, mutant, len(tests), run)
            for pid, (n, mutant, count, run) in list(running.items()):
                result = poll_mutant(run, timeout)
                if result is not None:
                    del running[pid]
                    record(n, Outcome(mutant, result[0], count, result[1], result[2]))
            time.sleep(0.05)
    text = report(stored)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
