"""Read a campaign file (TOML) into a validated ``Campaign``, and write one.

Buyers edit this file by hand, so the reader forgives what hand-editing
produces (a BOM from Notepad, "2026/5/1" instead of a TOML date, "50w" as a
budget) and turns everything else into a ConfigError that names the file, the
line or the key, and the fix. ``toml_text`` is the tree's one TOML writer (the
app's campaign download, the benchmark and sample generators use it): the
standard library only reads TOML.
"""

from __future__ import annotations

import difflib
import json
import math
import re
import tomllib
from collections.abc import Callable, Mapping
from datetime import date, datetime
from enum import Enum
from pathlib import Path
from typing import Any, Final

from planner.config import Campaign, campaign_from_dict
from planner.errors import ConfigError, Problem
from planner.i18n import t
from planner.parsing import parse_date, parse_number
from planner.tools import TOOL_ALIASES, Tool, parse_tool

# Keys whose values are days or yuan wherever they appear (top level, big
# sales, commitments, tool overrides); strings there are read like spreadsheet cells.
_DATE_KEYS: Final = frozenset({"start", "end", "plan_date", "booking_date"})
_MONEY_KEYS: Final = frozenset(
    {"budget", "daily_cap", "max_budget", "max_daily", "min_order", "order_step", "cpm",
     "reference_cpm"}
)
# More yuan than any real campaign spends on paid traffic: a typo or a unit mix-up.
MAX_YUAN: Final = 1e11
_LINE_RE: Final = re.compile(r"\(at line (\d+), column (\d+)\)")


def read_campaign(path: Path) -> Campaign:
    """Parse and validate a campaign TOML file; raises ConfigError listing every problem."""
    name = path.name
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(Problem(
            t("error.campaign.not_found"), file=str(path), fix=t("error.table.not_found_fix")
        )) from None
    except OSError as exc:
        raise ConfigError(Problem(
            t("error.campaign.unreadable", detail=exc.strerror), file=str(path),
            fix=t("error.campaign.check_path")
        )) from None
    try:
        # utf-8-sig: Windows Notepad puts a BOM in front, which TOML does not allow.
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ConfigError(Problem(
            t("error.campaign.not_utf8"), file=name, fix=t("error.campaign.not_utf8_fix"),
        )) from None
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(_syntax_problem(exc, name, text)) from None
    problems: list[Problem] = []
    converted = _convert(raw, (), problems, name)
    try:
        campaign = campaign_from_dict(converted, source=name)
    except ConfigError as exc:
        # A value the reader already explained is not explained twice.
        seen = tuple(re.split(r"(?<=[:：])", p.message, maxsplit=1)[0] for p in problems)
        problems.extend(p for p in exc.problems if not p.message.startswith(seen))
    if not problems:
        problems = _date_problems(campaign, name)
    if problems:
        raise ConfigError(_with_lines(problems, _key_lines(text))) from None
    return campaign


def _date_problems(campaign: Campaign, name: str) -> list[Problem]:
    """Commitments that cannot be: outside the campaign, or booked after they start."""
    problems = []
    for i, c in enumerate(campaign.commitments):
        where = f"commitments.{i}"
        if c.start < campaign.start or c.end > campaign.end:
            problems.append(Problem(
                t("error.config.at_key", key=where, message=t(
                    "error.campaign.order_outside", video=c.video_id, start=c.start, end=c.end,
                    first=campaign.start, last=campaign.end)), file=name,
                fix=t("error.campaign.order_outside_fix")))
        if c.booking_date is not None and c.booking_date > c.start:
            problems.append(Problem(
                t("error.config.at_key", key=where, message=t(
                    "error.campaign.booked_late", video=c.video_id, booked=c.booking_date,
                    start=c.start)), file=name,
                fix=t("error.campaign.booked_late_fix")))
    return problems


def campaign_warnings(campaign: Campaign) -> list[str]:
    """What the planner does with a campaign a buyer may have meant differently."""
    notes = []
    for sale in campaign.big_sales:
        if sale.start < campaign.start or sale.end > campaign.end:
            notes.append(t("warn.sale_outside", sale=sale.name, start=sale.start, end=sale.end,
                           first=campaign.start, last=campaign.end))
    if campaign.roi_floor is not None and (
            campaign.gross_margin is not None or campaign.return_rate is not None):
        notes.append(t("warn.floor_and_margin", floor=f"{campaign.roi_floor:g}"))
    return notes


def _syntax_problem(exc: tomllib.TOMLDecodeError, name: str, text: str) -> Problem:
    message = str(exc)
    match = _LINE_RE.search(message)
    if match is None:
        return Problem(t("error.campaign.syntax", detail=message), file=name,
                       fix=t(_SYNTAX_FIX))
    line = int(match.group(1))
    reason = message[: match.start()].strip()
    lines = text.splitlines()
    shown = lines[line - 1].strip() if 0 < line <= len(lines) else ""
    where = t("error.campaign.syntax_in", shown=shown) if shown else ""
    return Problem(
        t("error.campaign.syntax_at", line=line, column=match.group(2), detail=reason,
          where=where),
        file=name, fix=t(_SYNTAX_FIX),
    )


_SYNTAX_FIX: Final = "error.campaign.syntax_fix"  # catalogue key


def _convert(value: Any, path: tuple[str, ...], problems: list[Problem], name: str) -> Any:
    """Read spreadsheet-style strings for date and money keys and buyer names of tools;
    refuse nan/inf; leave the rest to pydantic.

    A value that cannot be read keeps its original form and gets a problem here
    (pydantic's own message for it is dropped as a duplicate).
    """
    key = path[-1] if path else None
    where = ".".join(path)
    if isinstance(value, dict):
        if path == ("tools",):
            value = _tool_sections(value, problems, name)
        return {k: _convert(v, (*path, str(k)), problems, name) for k, v in value.items()}
    if isinstance(value, list):
        return [_convert(v, (*path, str(i)), problems, name) for i, v in enumerate(value)]
    if isinstance(value, float) and not math.isfinite(value):
        problems.append(Problem(
            t("error.config.at_key", key=where, message=t("error.campaign.not_finite",
                                                          value=value)), file=name,
            fix=t("error.campaign.not_finite_fix"),
        ))
        return value
    if key in _DATE_KEYS and isinstance(value, str | datetime):
        return _read_or_explain(parse_date, value, where, problems, name,
                                t("error.campaign.date_fix"))
    if key in _MONEY_KEYS and isinstance(value, str):
        value = _read_or_explain(parse_number, value, where, problems, name,
                                 t("error.campaign.amount_fix"))
    if (key in _MONEY_KEYS and isinstance(value, int | float) and not isinstance(value, bool)
            and math.isfinite(value) and abs(value) > MAX_YUAN):
        problems.append(Problem(
            t("error.config.at_key", key=where, message=t(
                "error.campaign.too_much", value=f"{value:.3g}", limit=f"{MAX_YUAN:,.0f}")),
            file=name, fix=t("error.campaign.too_much_fix"),
        ))
        return value
    if key in _MONEY_KEYS:
        return value
    if key == "tool" and isinstance(value, str):
        tool = parse_tool(value)
        if tool is None:
            problems.append(Problem(
                t("error.config.at_key", key=where, message=t("error.actuals.unknown_tool",
                                                              tool=value)), file=name,
                fix=_tool_fix(value),
            ))
            return value
        return tool.value
    return value


def _read_or_explain(
    parser: Callable[[object], date | float | None],
    value: object,
    where: str,
    problems: list[Problem],
    name: str,
    fix: str,
) -> object:
    try:
        parsed = parser(value)
    except ValueError as exc:
        problems.append(Problem(t("error.sentence", text=t("error.config.at_key", key=where,
                                                           message=exc)), file=name, fix=fix))
        return value
    return value if parsed is None else parsed


def _tool_fix(text: str) -> str:
    ids = [tool.value for tool in Tool]
    close = difflib.get_close_matches(
        "".join(text.split()).lower(), [*ids, *TOOL_ALIASES], n=1, cutoff=0.6
    )
    hint = (t("error.config.did_you_mean", name=TOOL_ALIASES.get(close[0], close[0]))
            if close else "")
    return hint + t("error.campaign.tool_ids", ids=t("list.sep").join(ids))


def _tool_sections(
    tools: dict[str, Any], problems: list[Problem], name: str
) -> dict[str, Any]:
    """``[tools.<id>]`` under a buyer's tool name maps to its id; unknown tools are refused."""
    out: dict[str, Any] = {}
    for key, section in tools.items():
        tool = parse_tool(key)
        if tool is None:
            problems.append(Problem(
                t("error.config.at_key", key=f"tools.{key}", message=t(
                    "error.campaign.unknown_tool_section", section=f"[tools.{key}]")),
                file=name, fix=_tool_fix(key),
            ))
            continue
        if tool.value in out and isinstance(section, dict):
            out[tool.value] = {**out[tool.value], **section}
        else:
            out[tool.value] = section
    return out


# ---------------------------------------------------------------- lines of keys

_TABLE_RE: Final = re.compile(r"\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(?:#.*)?$")
_KEY_RE: Final = re.compile(r"\s*([A-Za-z0-9_\-\.\"' ]+?)\s*=")


def _key_lines(text: str) -> dict[str, int]:
    """Dotted key path (array items numbered from 0, as pydantic does) -> line number.

    A plain line scan, good for the files buyers write (tables, arrays of
    tables, one key per line); used only to point problems at a line.
    """
    lines: dict[str, int] = {}
    prefix: tuple[str, ...] = ()
    counts: dict[str, int] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        table = _TABLE_RE.match(line)
        if table:
            parts = tuple(_unquote(p) for p in table.group(2).split("."))
            if table.group(1) == "[[":
                dotted = ".".join(parts)
                index = counts.get(dotted, -1) + 1
                counts[dotted] = index
                prefix = (*parts, str(index))
            else:
                prefix = parts
            lines.setdefault(".".join(prefix), number)
            continue
        key = _KEY_RE.match(line)
        if key and not line.lstrip().startswith("#"):
            parts = tuple(_unquote(p) for p in key.group(1).split("."))
            lines.setdefault(".".join((*prefix, *parts)), number)
    return lines


def _unquote(part: str) -> str:
    return part.strip().strip("\"'")


def _with_lines(problems: list[Problem], lines: dict[str, int]) -> list[Problem]:
    """Add '(line N)' after the key path each problem starts with."""
    out = []
    for problem in problems:
        # The key path each message starts with, as error.config.at_key and
        # error.config.unknown_key quote it in either language.
        match = re.match(r"(Unknown config key |未知的配置项)?['「]([^'」]+)['」]", problem.message)
        line = None
        if match:
            parts = match.group(2).split(".")
            candidates = [parts]
            tool = parse_tool(parts[1]) if parts[0] == "tools" and len(parts) > 1 else None
            if tool is not None:  # [tools."dou+"] was read as tools.dou_plus
                candidates.append([parts[0], tool.value, *parts[2:]])
            for candidate in candidates:
                for end in range(len(candidate), 0, -1):
                    line = lines.get(".".join(candidate[:end]))
                    if line is not None:
                        break
                if line is not None:
                    break
        if line is None or match is None:
            out.append(problem)
            continue
        at = match.end()
        message = problem.message[:at] + t("error.campaign.line", line=line) + problem.message[at:]
        out.append(Problem(message, file=problem.file, row=problem.row,
                           column=problem.column, fix=problem.fix))
    return out


# ------------------------------------------------------------------ writing

_BARE_KEY: Final = re.compile(r"[A-Za-z0-9_-]+")


def _toml_string(text: str) -> str:
    # JSON's escapes are valid TOML escapes; DEL is the one control JSON leaves raw.
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


def _toml_key(key: object) -> str:
    text = key.value if isinstance(key, Enum) else str(key)
    return text if _BARE_KEY.fullmatch(text) else _toml_string(text)


def _toml_value(value: object) -> str:
    if isinstance(value, Enum):
        value = value.value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)  # repr gives TOML's forms, including inf and nan
    if isinstance(value, str):
        return _toml_string(value)
    if isinstance(value, date):  # a datetime is a date: both have TOML forms
        return value.isoformat()
    if isinstance(value, Mapping):
        items = [f"{_toml_key(k)} = {_toml_value(v)}" for k, v in value.items() if v is not None]
        return "{" + ", ".join(items) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {type(value).__name__} as TOML")


def _is_table_array(value: object) -> bool:
    return isinstance(value, list | tuple) and bool(value) and all(
        isinstance(v, Mapping) for v in value)


def _write_table(data: Mapping[Any, Any], prefix: str, lines: list[str]) -> None:
    # Values first, then tables: a key after a table header would belong to that table.
    for key, value in data.items():
        if value is None or isinstance(value, Mapping) or _is_table_array(value):
            continue
        lines.append(f"{_toml_key(key)} = {_toml_value(value)}")
    for key, value in data.items():
        name = f"{prefix}.{_toml_key(key)}" if prefix else _toml_key(key)
        if isinstance(value, Mapping):
            lines += ["", f"[{name}]"]
            _write_table(value, name, lines)
        elif _is_table_array(value):
            for item in value:
                lines += ["", f"[[{name}]]"]
                _write_table(item, name, lines)


def toml_text(data: Mapping[Any, Any], comment: str = "") -> str:
    """``data`` as TOML that ``tomllib`` reads back equal to it, tables as sections;
    empty values are left out (TOML has no null)."""
    lines = [f"# {comment}", ""] if comment else []
    _write_table(data, "", lines)
    return "\n".join(lines).strip("\n") + "\n"


def campaign_toml(campaign: Campaign) -> str:
    """The campaign as a TOML file that ``read_campaign`` reads back equal to it.

    Every key is written (defaults too); empty values are left out.
    """
    return toml_text(campaign.model_dump(),
                     "The campaign as the planner's web app used it; every key is written out.")
