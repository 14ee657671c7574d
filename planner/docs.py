"""Reference tables for the README, generated from the config models and reason codes.

``python -m planner.docs`` prints them; a test checks the README holds the
current text, so documentation and defaults cannot drift apart.
"""

from __future__ import annotations

from pydantic import BaseModel

from planner.config import (
    BalanceConfig,
    BiddingConfig,
    Campaign,
    ClosedLoopConfig,
    HarvestConfig,
    LearningConfig,
    ResponseConfig,
    RiskConfig,
    RuleConfig,
    SaleConfig,
    SolverConfig,
    TierConfig,
    ToolConfig,
    default_tools,
)
from planner.reasons import REASON_CODES

_SECTIONS: list[tuple[str, type[BaseModel]]] = [
    ("rules", RuleConfig),
    ("tiers", TierConfig),
    ("response", ResponseConfig),
    ("sale", SaleConfig),
    ("balance", BalanceConfig),
    ("harvest", HarvestConfig),
    ("bidding", BiddingConfig),
    ("closed_loop", ClosedLoopConfig),
    ("learning", LearningConfig),
    ("risk", RiskConfig),
    ("solver", SolverConfig),
]


def _cell(value: object) -> str:
    text = str(value).replace("|", "\\|")
    return text


def config_reference_markdown() -> str:
    lines = ["| key | default | meaning |", "|---|---|---|"]
    top = Campaign.model_fields
    for name in ("budget", "daily_cap", "roi_floor", "gross_margin", "return_rate",
                 "reference_cpm", "plan_date", "default_landing_url", "gmv_family",
                 "ad_groups"):
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


def refresh_readme(text: str) -> str:
    """Replace the generated blocks between their markers in the README text."""
    for marker, body in (("config-reference", config_reference_markdown()),
                         ("reason-codes", reason_codes_markdown())):
        start, end = f"<!-- {marker}:start -->", f"<!-- {marker}:end -->"
        head, rest = text.split(start, 1)
        _, tail = rest.split(end, 1)
        text = f"{head}{start}\n{body.strip()}\n{end}{tail}"
    return text


if __name__ == "__main__":
    import sys
    from pathlib import Path

    if sys.argv[1:2] == ["--update"]:
        path = Path(sys.argv[2] if len(sys.argv) > 2 else "README.md")
        path.write_text(refresh_readme(path.read_text(encoding="utf-8")), encoding="utf-8")
    else:
        print(config_reference_markdown())
        print()
        print(reason_codes_markdown())
