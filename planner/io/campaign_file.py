"""Read a campaign file (TOML) into a validated ``Campaign``.

Buyers edit this file by hand, so the reader forgives what hand-editing
produces (a BOM from Notepad, "2026/5/1" instead of a TOML date, "50w" as a
budget) and turns everything else into a ConfigError that names the file, the
line or the key, and the fix.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any, Final

from planner.config import Campaign, campaign_from_dict
from planner.errors import ConfigError, Problem
from planner.parsing import parse_date, parse_number

# Keys whose values are days or yuan wherever they appear (top level, big
# sales, commitments, tool overrides); strings there are read like spreadsheet cells.
_DATE_KEYS: Final = frozenset({"start", "end", "plan_date", "booking_date"})
_MONEY_KEYS: Final = frozenset(
    {"budget", "daily_cap", "max_budget", "max_daily", "min_order", "order_step", "cpm",
     "reference_cpm"}
)
_LINE_RE: Final = re.compile(r"\(at line (\d+), column (\d+)\)")


def read_campaign(path: Path) -> Campaign:
    """Parse and validate a campaign TOML file; raises ConfigError listing every problem."""
    name = path.name
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(Problem(
            "campaign file not found.", file=str(path), fix="Check the path and the file name."
        )) from None
    except OSError as exc:
        raise ConfigError(Problem(
            f"cannot be read ({exc.strerror}).", file=str(path), fix="Check the path."
        )) from None
    try:
        # utf-8-sig: Windows Notepad puts a BOM in front, which TOML does not allow.
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ConfigError(Problem(
            "is not UTF-8 text (TOML files must be UTF-8).",
            file=name, fix="Save it again with the encoding set to UTF-8.",
        )) from None
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(_syntax_problem(exc, name, text)) from None
    return campaign_from_dict(_convert(raw), source=name)


def _syntax_problem(exc: tomllib.TOMLDecodeError, name: str, text: str) -> Problem:
    message = str(exc)
    match = _LINE_RE.search(message)
    if match is None:
        return Problem(f"TOML syntax error: {message}.", file=name, fix=_SYNTAX_FIX)
    line = int(match.group(1))
    reason = message[: match.start()].strip()
    lines = text.splitlines()
    shown = lines[line - 1].strip() if 0 < line <= len(lines) else ""
    where = f" in `{shown}`" if shown else ""
    return Problem(
        f"TOML syntax error at line {line}, column {match.group(2)}: {reason}{where}.",
        file=name, fix=_SYNTAX_FIX,
    )


_SYNTAX_FIX: Final = (
    'Write one `key = value` per line: text in quotes ("618 预热"), dates bare '
    '(2026-05-01) or quoted ("2026/5/1"), numbers bare (500000) or quoted ("50w").'
)


def _convert(value: Any, key: str | None = None) -> Any:
    """Read spreadsheet-style strings for date and money keys; leave the rest to pydantic."""
    if isinstance(value, dict):
        return {k: _convert(v, str(k)) for k, v in value.items()}
    if isinstance(value, list):
        return [_convert(v, key) for v in value]
    if key in _DATE_KEYS and isinstance(value, str | datetime):
        return _or_original(parse_date, value)
    if key in _MONEY_KEYS and isinstance(value, str):
        return _or_original(parse_number, value)
    return value


def _or_original(parser: Callable[[object], date | float | None], value: object) -> object:
    # On a bad value keep the original, so pydantic reports it with its key path.
    try:
        parsed = parser(value)
    except ValueError:
        return value
    return value if parsed is None else parsed
