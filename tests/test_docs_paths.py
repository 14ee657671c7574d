"""The repository stands alone: every path the README, the manual and docstrings name exists.

README.md is a front door of at most 200 lines; the manual is docs/*.md (and
benchmarks/README.md). A path counts as named when it sits in backticks (inline or
in a fenced block) or in a Markdown link, or, in a docstring of planner/ or app/,
anywhere, and starts at one of the repository's own folders (``planner/``,
``tests/`` ...) or is one of its top-level files. Output paths such as
``out/sample/plan.xlsx`` or ``plans/2027-04-20`` are not the repository's and are
not checked. ``{a,b}`` is expanded, ``<name>`` and ``*`` match any part of a name.
A link's ``#anchor`` must be a heading of the page it points to.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
MANUAL = [*sorted((ROOT / "docs").glob("*.md")), ROOT / "benchmarks" / "README.md"]
README_MAX_LINES = 200

# The repository's own top-level folders and files; anything else is an example path.
FOLDERS = ("planner", "app", "tests", "benchmarks", "sample_data", "schema", "docs",
           ".ci", ".streamlit")
FILES = ("README.md", "Makefile", "pyproject.toml")
_FOLDER = "|".join(re.escape(f) for f in FOLDERS)
_FILE = "|".join(re.escape(f) for f in FILES)
# A folder, then name characters or a {a,b} group; or a top-level file on its own.
_PATH = re.compile(r"(?<![\w./-])((?:" + _FOLDER + r")/(?:\{[^{}\s]*\}|[^\s`'\"()\[\],;{}])*"
                   r"|(?:" + _FILE + r")(?![\w.]))")
_INLINE = re.compile(r"`([^`\n]+)`")
_FENCE = re.compile(r"^```.*?^```", re.S | re.M)
_LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
_HEADING = re.compile(r"^#{1,6}\s+(.*?)\s*$", re.M)

# The README's map of the tree (planner/jobs/, planner/views/, planner/reasons.py,
# planner/io/plan_files.py ...): its paths are checked on their own, below.
TREE_MAP = re.compile(r"<!-- tree-map:start -->.*?<!-- tree-map:end -->", re.S)


def _expand(path: str) -> list[str]:
    """'a/{x,y}/b' -> ['a/x/b', 'a/y/b']; '<n>' -> '*' (a glob)."""
    path = re.sub(r"<[^>]*>", "*", path.rstrip(".:"))
    match = re.search(r"\{([^{}]*)\}", path)
    if match is None:
        return [path]
    head, tail = path[:match.start()], path[match.end():]
    return [p for part in match.group(1).split(",") for p in _expand(head + part + tail)]


def _exists(path: str) -> bool:
    if "*" in path or "?" in path:
        return any(ROOT.glob(path.rstrip("/")))
    return (ROOT / path).exists()


def named_paths(text: str) -> set[str]:
    """Repository paths named in backticks (inline or fenced) in a Markdown text."""
    code = [block for block in _FENCE.findall(text)]
    code += _INLINE.findall(_FENCE.sub("", text))
    return {path for chunk in code for path in _PATH.findall(chunk)}


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to '-'."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower().replace("`", ""))
    return text.replace(" ", "-")


def _anchors(page: Path) -> set[str]:
    return {_slug(h) for h in _HEADING.findall(_FENCE.sub("", page.read_text(encoding="utf-8")))}


def broken_links(page: Path, text: str) -> Iterator[str]:
    for target in _LINK.findall(_FENCE.sub("", text)):
        if re.match(r"^[a-z]+:", target):
            continue
        file, _, anchor = target.partition("#")
        linked = (page.parent / file).resolve() if file else page
        if not linked.exists() or not linked.is_relative_to(ROOT):
            yield target
        elif anchor and linked.suffix == ".md" and anchor not in _anchors(linked):
            yield target


def missing(paths: set[str]) -> list[str]:
    return sorted(p for p in paths if not all(_exists(x) for x in _expand(p)))


def _readme_outside_the_tree_map() -> str:
    return TREE_MAP.sub("", README.read_text(encoding="utf-8"))


def test_the_readme_is_a_front_door_of_at_most_200_lines():
    lines = README.read_text(encoding="utf-8").count("\n")
    assert lines <= README_MAX_LINES, f"README.md has {lines} lines; move the detail to docs/"


def test_every_path_the_readme_names_exists():
    assert missing(named_paths(_readme_outside_the_tree_map())) == []


@pytest.mark.parametrize("page", MANUAL, ids=[p.relative_to(ROOT).as_posix() for p in MANUAL])
def test_every_path_a_manual_page_names_exists(page: Path):
    assert missing(named_paths(page.read_text(encoding="utf-8"))) == []


@pytest.mark.parametrize("page", [README, *MANUAL],
                         ids=[p.relative_to(ROOT).as_posix() for p in [README, *MANUAL]])
def test_every_link_leads_to_a_file_and_heading_that_exist(page: Path):
    text = _readme_outside_the_tree_map() if page == README else page.read_text(encoding="utf-8")
    assert list(broken_links(page, text)) == []


def test_every_path_the_readme_tree_map_names_exists():
    found = TREE_MAP.search(README.read_text(encoding="utf-8"))
    assert found is not None
    assert missing(named_paths(found.group(0))) == []


def _docstrings() -> Iterator[tuple[str, str]]:
    for folder in ("planner", "app"):
        for source in sorted((ROOT / folder).rglob("*.py")):
            tree = ast.parse(source.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef
                              | ast.AsyncFunctionDef):
                    doc = ast.get_docstring(node)
                    if doc:
                        yield source.relative_to(ROOT).as_posix(), doc


def test_every_path_a_docstring_in_planner_or_app_names_exists():
    gone = [f"{where}: {path}" for where, doc in _docstrings()
            for path in missing(set(_PATH.findall(doc)))]
    assert gone == []


def test_no_file_points_outside_the_repository():
    # Built from parts, so that this file does not name them itself.
    outside = ("DOMAIN" + ".md", "MEASURED" + ".md", ".." + "/shared")
    texts = [ROOT / name for name in FILES if (ROOT / name).is_file()]
    for folder in FOLDERS:
        texts += [p for p in (ROOT / folder).rglob("*")
                  if p.is_file() and p.suffix in (".py", ".md", ".toml", ".txt", ".po", ".cfg",
                                                  ".json", ".csv", ".yml", ".yaml", "")]
    pointing = [f"{p.relative_to(ROOT)}: {name}" for p in texts
                for name in outside if name in p.read_text(encoding="utf-8", errors="replace")]
    assert pointing == []


def test_a_path_in_backticks_is_found_and_an_output_path_is_not():
    text = "Run `python sample_data/generate.py`; it writes `out/sample/plan.xlsx`.\n"
    assert named_paths(text) == {"sample_data/generate.py"}


def test_a_missing_path_and_a_broken_anchor_are_reported():
    assert missing({"planner/no_such_module.py", "planner/locale/{zh_CN,en}/LC_MESSAGES"}) == [
        "planner/no_such_module.py"]
    page = ROOT / "docs" / "method.md"
    assert list(broken_links(page, "[x](reference.md#no-such-heading)")) == [
        "reference.md#no-such-heading"]
