"""The words a buyer reads on an app page or in a workbook, and the codes that must not be there.

``app_texts`` walks a Streamlit AppTest tree and returns every visible text: headings,
Markdown, captions, alerts, widget labels and options, metric labels, values and help, tab
and expander labels, and the cells and headers of the table columns a page shows (columns a
page hides are left out). ``book_texts`` does the same for every cell and page header of a
workbook. ``leaks`` finds internal codes in such texts: reason codes, tool ids, mode and
targeting codes, and any identifier-shaped token (``dou_plus``, ``roi_above_floor``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import openpyxl
from streamlit.testing.v1 import AppTest

from planner.tools import Tool

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = ROOT / "planner" / "locale" / "zh_CN" / "LC_MESSAGES" / "planner.po"

# An identifier: lower-case words joined by underscores, not part of a longer ASCII word.
IDENTIFIER = re.compile(r"(?<![A-Za-z0-9_./\\-])[a-z]+_[a-z_]+(?![A-Za-z0-9_])")
# Codes without an underscore, matched as whole ASCII words.
_WORD_CODES = ("suixintui", "qianchuan", "smart", "targeted", "untargeted", "basic+kol",
               "basic+interest", "yuntu", "laika", "highs", "balanced", "cautious")
# Texts that may stay, and why: file names a buyer chose or the app offers by name (the
# sample files, the store file), which are what the buyer's own folder shows.
ALLOWED = re.compile(
    r"[\w./\\:-]*[A-Za-z0-9_]+\.(?:csv|xlsx|toml|sqlite|json|db)\b"  # file names and paths
)


def reason_codes() -> frozenset[str]:
    """Every reason code the Chinese catalogue words (``reason.<code>``, ``reason_meaning.*``)."""
    keys = re.findall(r'^msgid "reason(?:_meaning)?\.([a-z0-9_]+)', CATALOGUE.read_text("utf-8"),
                      re.MULTILINE)
    return frozenset(keys)


def leaks(texts: Iterable[str]) -> list[tuple[str, str]]:
    """(token, text) for every internal code or identifier-shaped token found in ``texts``."""
    codes = reason_codes() | {tool.value for tool in Tool}
    words = re.compile(r"(?<![A-Za-z0-9_])(" + "|".join(re.escape(w) for w in _WORD_CODES)
                       + r")(?![A-Za-z0-9_])")
    found: list[tuple[str, str]] = []
    for text in texts:
        plain = ALLOWED.sub(" ", text)
        tokens = set(IDENTIFIER.findall(plain)) | {m.lower() for m in words.findall(plain)}
        tokens |= {code for code in codes if re.search(
            rf"(?<![A-Za-z0-9_]){re.escape(code)}(?![A-Za-z0-9_])", plain)}
        found += [(token, text) for token in sorted(tokens)]
    return found


def _walk(node: Any) -> Iterator[Any]:
    yield node
    children = getattr(node, "children", None)
    if isinstance(children, dict):
        for child in children.values():
            yield from _walk(child)


def _cell(value: object) -> list[str]:
    if isinstance(value, list | tuple):
        return [str(v) for v in value]
    return [] if value is None else [str(value)]


def _frame_texts(node: Any) -> list[str]:
    """The headers and cells of the columns a dataframe or data editor shows."""
    frame = node.value
    config = json.loads(node.proto.columns or "{}")
    order = list(node.proto.column_order) or [str(c) for c in frame.columns]
    texts: list[str] = []
    for column in order:
        conf = config.get(column, {})
        if column not in frame.columns or conf.get("hidden"):
            continue
        texts.append(str(conf.get("label") or column))
        options = conf.get("type_config", {}).get("options") or []
        # A picker shows each option's label; a cell shows its value's label.
        named = {str(o.get("value")): str(o.get("label")) for o in options
                 if isinstance(o, dict)}
        texts += [named.get(str(o), str(o)) if not isinstance(o, dict) else str(o.get("label"))
                  for o in options]
        for value in frame[column].tolist():
            texts += [named.get(v, v) for v in _cell(value)]
    return texts


def app_texts(at: AppTest) -> list[str]:
    """Every text the page shows: see the module's docstring."""
    texts: list[str] = []
    for node in _walk(at._tree):
        kind = type(node).__name__
        proto = getattr(node, "proto", None)
        if kind in ("Dataframe",):
            texts += _frame_texts(node)
        elif kind == "Table":
            frame = node.value
            texts += [str(c) for c in frame.columns]
            texts += [str(v) for row in frame.itertuples(index=False) for v in row]
        elif kind == "Metric":
            texts += [node.label, node.value, proto.help, proto.body]
        elif kind in ("Tab", "Expander") and proto is not None:
            texts.append(proto.label)
        elif kind == "UnknownElement" or proto is None:
            continue
        else:
            for attr in ("value", "label", "help", "placeholder"):
                value = getattr(proto, attr, None) if attr != "value" else getattr(
                    node, "value", None) if kind in ("Markdown", "Caption", "Title", "Header",
                                                     "Subheader", "Warning", "Info",
                                                     "Success", "Error", "Text") else None
                if isinstance(value, str):
                    texts.append(value)
            options = getattr(node, "options", None)
            if isinstance(options, list):
                texts += [str(o) for o in options]
    return [text for text in texts if text]


def book_texts(path: Path) -> dict[str, list[str]]:
    """Sheet name -> every text cell, header row and page header/footer of the sheet."""
    book = openpyxl.load_workbook(path)
    found: dict[str, list[str]] = {}
    for ws in book.worksheets:
        texts = [ws.title]
        for part in (ws.oddHeader, ws.oddFooter):
            texts += [str(p.text) for p in (part.left, part.center, part.right) if p.text]
        texts += [str(v) for row in ws.iter_rows(values_only=True) for v in row
                  if isinstance(v, str)]
        found[ws.title] = texts
    return found
