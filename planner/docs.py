"""Reference tables for docs/reference.md, generated from the code they describe.

The campaign keys and their defaults (the validated config models), the reason
codes, the CLI's commands and options (the typer app, in English), the exit
codes (the error tree) and the fields of ``plan.json`` (its pydantic models)
sit between ``<!-- NAME:start -->`` and ``<!-- NAME:end -->`` markers in
``docs/reference.md``. ``python -m planner.docs`` prints them;
``python -m planner.docs --update docs/reference.md`` rewrites the blocks in
place; tests/test_docs.py checks the page holds the current text, so
documentation and code cannot drift apart.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Iterator
from enum import Enum
from typing import Any

from pydantic import BaseModel

from planner.config import (
    BalanceConfig,
    BiddingConfig,
    Campaign,
    ClosedLoopConfig,
    HarvestConfig,
    LearningConfig,
    LiveRoomConfig,
    ResponseConfig,
    RiskConfig,
    RuleConfig,
    SaleConfig,
    SolverConfig,
    TierConfig,
    ToolConfig,
    default_tools,
)
from planner.errors import PlannerError
from planner.reasons import REASON_CODES

REFERENCE_PAGE = "docs/reference.md"

_SECTIONS: list[tuple[str, type[BaseModel]]] = [
    ("rules", RuleConfig),
    ("tiers", TierConfig),
    ("response", ResponseConfig),
    ("sale", SaleConfig),
    ("balance", BalanceConfig),
    ("harvest", HarvestConfig),
    ("bidding", BiddingConfig),
    ("closed_loop", ClosedLoopConfig),
    ("live_room_traffic", LiveRoomConfig),
    ("learning", LearningConfig),
    ("risk", RiskConfig),
    ("solver", SolverConfig),
]


def _cell(value: object) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def config_reference_markdown() -> str:
    lines = ["| key | default | meaning |", "|---|---|---|"]
    top = Campaign.model_fields
    for name in ("budget", "daily_cap", "roi_floor", "gross_margin", "return_rate",
                 "reference_cpm", "plan_date", "default_landing_url", "gmv_family",
                 "ad_groups", "live_room"):
        field = top[name]
        default = "required" if field.is_required() else field.get_default(
            call_default_factory=True)
        lines.append(f"| `{name}` | {_cell(default)} | {_cell(field.description or '')} |")
    for section, model in _SECTIONS:
        instance = model()
        for name, field in model.model_fields.items():
            value = getattr(instance, name)
            lines.append(
                f"| `{section}.{name}` | {_cell(value)} | {_cell(field.description or '')} |"
            )
    lines.append("")
    lines.append("Per tool, `[tools.<id>]` (defaults below; any field can be overridden):")
    lines.append("")
    tool_fields = list(ToolConfig.model_fields)
    lines.append("| tool | " + " | ".join(tool_fields) + " |")
    lines.append("|---" * (len(tool_fields) + 1) + "|")
    for tool, cfg in default_tools().items():
        values = [_cell(getattr(cfg, f)) for f in tool_fields]
        lines.append(f"| `{tool}` | " + " | ".join(values) + " |")
    lines.append("")
    described = [
        f"`{name}`: {(field.description or '').rstrip('.')}"
        for name, field in ToolConfig.model_fields.items()
        if field.description
    ]
    lines.append("Tool fields: " + "; ".join(described) + ".")
    return "\n".join(lines)


def reason_codes_markdown() -> str:
    lines = ["| code | meaning |", "|---|---|"]
    lines += [f"| `{code}` | {text} |" for code, text in REASON_CODES.items()]
    return "\n".join(lines)


# --------------------------------------------------------------------------- CLI


def _english_cli() -> Any:
    """The ``planner`` command as click sees it, with every help text in English.

    The CLI's help texts are catalogue messages looked up when ``planner.cli`` is
    imported (and when typer reads its annotations), so a fresh copy of the module
    is executed in English instead of reusing whichever language imported it first.
    """
    import typer.main

    from planner.i18n import use_lang

    spec = importlib.util.find_spec("planner.cli")
    if spec is None or spec.loader is None:  # pragma: no cover - the package ships it
        raise ImportError("planner.cli")
    module = importlib.util.module_from_spec(spec)
    with use_lang("en"):
        spec.loader.exec_module(module)
        return typer.main.get_command(module.app)


def _commands(group: Any, prefix: str) -> Iterator[tuple[str, Any]]:
    for name, command in group.commands.items():
        if getattr(command, "commands", None):
            yield from _commands(command, f"{prefix} {name}")
        else:
            yield f"{prefix} {name}", command


def _help(text: str | None) -> str:
    return _cell((text or "").replace("\\[", "["))


def _param_default(param: Any) -> str:
    if param.param_type_name == "argument":
        return "required"
    if param.required:
        return "required, repeatable" if param.multiple else "required"
    if getattr(param, "is_flag", False):
        return "off"
    default = param.default
    if isinstance(default, Enum):
        default = default.value
    return "-" if default is None else f"`{default}`"


def cli_reference_markdown() -> str:
    root = _english_cli()
    lines = ["Before or after any command:", "", "| option | default | meaning |",
             "|---|---|---|"]
    lines += [f"| `{param.opts[0]}` | {_param_default(param)} | {_help(param.help)} |"
              for param in root.params]
    for name, command in _commands(root, "planner"):
        lines += ["", f"`{name}`: {_help(command.help)}", "",
                  "| option | default | meaning |", "|---|---|---|"]
        for param in command.params:
            if param.opts[0] == "--lang":
                continue
            shown = param.metavar or param.opts[0]
            lines.append(f"| `{shown}` | {_param_default(param)} | {_help(param.help)} |")
    return "\n".join(lines)


# --------------------------------------------------------------------------- exit codes


def _error_classes(base: type[PlannerError]) -> Iterator[type[PlannerError]]:
    """The error tree of planner/errors.py, whatever else the process has imported.

    A back end's private subclass (caught before it reaches a front end) is not part
    of the contract, and listing it would make the table depend on import order.
    """
    for cls in base.__subclasses__():
        if cls.__module__ == PlannerError.__module__:
            yield cls
            yield from _error_classes(cls)


def exit_codes_markdown() -> str:
    """One row per exit code with the errors that end in it (planner/errors.py)."""
    by_code: dict[int, list[str]] = {}
    for cls in _error_classes(PlannerError):
        summary = (cls.__doc__ or "").strip().splitlines()[0]
        by_code.setdefault(cls.exit_code, []).append(f"`{cls.__name__}`: {_cell(summary)}")
    by_code.setdefault(1, []).insert(0, "`InternalError`: an unexpected failure, a bug "
                                        "(printed without a traceback: please report it)")
    by_code.setdefault(2, []).append("an unknown option or a missing required one")
    lines = ["| code | errors |", "|---|---|",
             "| `0` | the run succeeded (warnings print as `warning: ...` and do not stop it) |"]
    lines += [f"| `{code}` | " + "<br>".join(by_code[code]) + " |" for code in sorted(by_code)]
    return "\n".join(lines)


# --------------------------------------------------------------------------- plan.json


def _type_name(schema: dict[str, Any]) -> str:
    if "$ref" in schema:
        return str(schema["$ref"]).rsplit("/", 1)[-1]
    if "anyOf" in schema:
        return " or ".join(_type_name(part) for part in schema["anyOf"])
    if "enum" in schema:
        return " / ".join(f"`{value}`" for value in schema["enum"])
    kind = schema.get("type", "any")
    if kind == "array":
        return f"list of {_type_name(schema.get('items', {}))}"
    if kind == "object" and "additionalProperties" in schema:
        inner = schema["additionalProperties"]
        return f"map to {_type_name(inner)}" if isinstance(inner, dict) else "object"
    if kind == "string" and schema.get("format") == "date":
        return "date"
    return str(kind)


def _fields_table(schema: dict[str, Any]) -> list[str]:
    required = set(schema.get("required", []))
    lines = ["| field | type | meaning |", "|---|---|---|"]
    for name, prop in schema.get("properties", {}).items():
        kind = _type_name(prop)
        if name not in required:
            kind += " (optional)"
        lines.append(f"| `{name}` | {kind} | {_cell(prop.get('description', ''))} |")
    return lines


def plan_json_markdown() -> str:
    """Every field of ``plan.json`` and of the objects inside it (schema/plan.schema.json)."""
    from planner.models import Plan

    schema = Plan.model_json_schema()
    lines = ["The plan (top level):", "", *_fields_table(schema)]
    for name, sub in schema.get("$defs", {}).items():
        summary = (sub.get("description") or "").strip().split("\n\n")[0]
        lines += ["", f"`{name}`" + (f": {_cell(summary)}" if summary else "")]
        if "properties" in sub:
            lines += ["", *_fields_table(sub)]
        elif "enum" in sub:
            lines[-1] += " one of " + ", ".join(f"`{value}`" for value in sub["enum"])
    return "\n".join(lines)


# --------------------------------------------------------------------------- the page


BLOCKS: dict[str, Callable[[], str]] = {
    "config-reference": config_reference_markdown,
    "reason-codes": reason_codes_markdown,
    "cli-reference": cli_reference_markdown,
    "exit-codes": exit_codes_markdown,
    "plan-json": plan_json_markdown,
}


def refresh_reference(text: str) -> str:
    """Replace every generated block between its markers in the page's text."""
    for marker, build in BLOCKS.items():
        start, end = f"<!-- {marker}:start -->", f"<!-- {marker}:end -->"
        if start not in text or end not in text:
            raise ValueError(f"no block {start} ... {end} in the page: the generated "
                             f"tables live in {REFERENCE_PAGE}")
        head, rest = text.split(start, 1)
        _, tail = rest.split(end, 1)
        text = f"{head}{start}\n{build().strip()}\n{end}{tail}"
    return text


if __name__ == "__main__":
    import sys
    from pathlib import Path

    if sys.argv[1:2] == ["--update"]:
        path = Path(sys.argv[2] if len(sys.argv) > 2 else REFERENCE_PAGE)
        path.write_text(refresh_reference(path.read_text(encoding="utf-8")), encoding="utf-8")
    else:
        for build in BLOCKS.values():
            print(build())
            print()
