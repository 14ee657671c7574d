"""The house rules of the tree, checked: no import circle, the core never reaches the edges,
no long file without its reason, no words inside the optimiser.

The layering itself is written as import-linter contracts in pyproject.toml (`lint-imports`
runs in `make test`); these tests add what a contract cannot say: circles through imports
made inside functions, the app's own modules, and the shape of the files.
"""

from __future__ import annotations

import ast
import functools
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LONG_FILE_LINES = 600
LONG_FILE_REASON = "# Long on purpose: "
_APP_MODULES = {path.stem for path in (ROOT / "app").rglob("*.py")}


def _module_name(path: Path) -> str:
    relative = path.relative_to(ROOT).with_suffix("")
    parts = list(relative.parts)
    if parts[0] == "app":  # the app runs as scripts: its modules import each other by stem
        return f"app.{parts[-1]}"
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _sources() -> dict[str, Path]:
    files = [*(ROOT / "planner").rglob("*.py"), *(ROOT / "app").rglob("*.py")]
    return {_module_name(path): path for path in files}


@functools.cache
def _tree(path: Path) -> ast.Module:
    """A file's syntax tree, parsed once per run (the tests only read it)."""
    return ast.parse(path.read_text(encoding="utf-8"))


def _imports(path: Path, known: set[str]) -> set[str]:
    """Every module of the tree ``path`` imports, at the top or inside a function."""
    found: set[str] = set()
    for node in ast.walk(_tree(path)):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
        for name in names:
            if name.split(".")[0] in _APP_MODULES:
                name = f"app.{name.split('.')[0]}"
            # The deepest module of the tree the name is (a package's names count as it).
            while name and name not in known:
                name = name.rpartition(".")[0]
            if name:
                found.add(name)
    return found


def _graph() -> dict[str, set[str]]:
    sources = _sources()
    known = set(sources)
    return {name: _imports(path, known) - {name} for name, path in sources.items()}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                group.append(top)
                if top == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return groups


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    """The import map, parsed once for the tests that read it (none of them changes it)."""
    return _graph()


def _is_package_init(name: str) -> bool:
    return (ROOT / name.replace(".", "/") / "__init__.py").exists()


def test_no_import_circle_in_planner_or_app(graph: dict[str, set[str]]) -> None:
    # A package's __init__ re-exporting its modules is not a circle of the design.
    designed = {name: {m for m in deps if not (_is_package_init(m) and name.startswith(f"{m}."))}
                for name, deps in graph.items()}
    assert _cycles(designed) == []


def test_the_core_never_imports_the_edges(graph: dict[str, set[str]]) -> None:
    edges = ("planner.io", "planner.jobs", "planner.cli", "planner.views", "app.")
    core = {name: deps for name, deps in graph.items()
            if name.startswith("planner") and not name.startswith(edges)}
    reaching = {name: sorted(d for d in deps if d.startswith(edges))
                for name, deps in core.items()}
    assert {name: deps for name, deps in reaching.items() if deps} == {}


def test_planner_never_imports_the_app(graph: dict[str, set[str]]) -> None:
    reaching = {name: sorted(d for d in deps if d.startswith("app."))
                for name, deps in graph.items() if name.startswith("planner")}
    assert {name: deps for name, deps in reaching.items() if deps} == {}


def test_a_file_over_600_lines_says_why_at_its_top() -> None:
    unexplained = []
    for path in _sources().values():
        lines = path.read_text(encoding="utf-8").splitlines()
        if len(lines) > LONG_FILE_LINES and not lines[0].startswith(LONG_FILE_REASON):
            unexplained.append(f"{path.relative_to(ROOT)} ({len(lines)} lines)")
    assert unexplained == []


def test_the_optimiser_speaks_codes_not_words() -> None:
    said = [f"{path.relative_to(ROOT)}:{number}"
            for path in (ROOT / "planner" / "optimiser").rglob("*.py")
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
            if re.search(r"(?<![\w.])t\(", line)]
    assert said == []


def test_no_file_imports_another_files_private_names() -> None:
    """A leading underscore means "this file's own": another file needing it asks for a
    public name, so each file's surface is what it chooses to offer."""
    private = []
    for name, path in _sources().items():
        for node in ast.walk(_tree(path)):
            if isinstance(node, ast.ImportFrom) and node.module and (
                    node.module.startswith("planner") or node.module in _APP_MODULES):
                private += [f"{name}: {node.module}.{alias.name}" for alias in node.names
                            if alias.name.startswith("_") and not alias.name.startswith("__")]
    assert private == []
