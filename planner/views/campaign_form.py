"""The campaign form: a campaign as form values and editable tables, and back."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Final

import pandas as pd
from pydantic import BaseModel, ValidationError

from planner.config import BigSale, Campaign, Commitment
from planner.errors import Problem, value_message
from planner.i18n import (
    chain_name,
    t,
)
from planner.tools import Tool
from planner.views.labels import FloorMode, chains_of, tool_label

if TYPE_CHECKING:
    pass


def campaign_to_dict(campaign: Campaign) -> dict[str, Any]:
    """The campaign as JSON-safe data that ``campaign_from_dict`` reads back unchanged."""
    return campaign.model_dump(mode="json")


def canonical_json(raw: Mapping[str, Any]) -> str:
    """A stable text of a campaign dict: the same campaign always gives the same string."""
    return json.dumps(raw, sort_keys=True, ensure_ascii=False, default=str)


def fingerprint(*parts: bytes | str) -> str:
    """A short digest of inputs, to tell whether a result still belongs to them."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode() if isinstance(part, str) else part)
        digest.update(b"\x00")
    return digest.hexdigest()[:16]


BIG_SALE_COLUMNS: Final[tuple[str, ...]] = ("name", "start", "end")


COMMITMENT_COLUMNS: Final[tuple[str, ...]] = (
    "video_id", "tool", "start", "end", "budget", "booking_date",
)


TOOL_COLUMNS: Final[tuple[str, ...]] = ("tool", "label", "chains", "enabled", "min_order")


@dataclass(frozen=True)
class CampaignForm:
    """What a buyer edits in the campaign form; everything else keeps the loaded values."""

    name: str
    chain: str
    start: date | None
    end: date | None
    plan_date: date | None
    budget: float | None
    daily_cap: float | None
    floor_mode: FloorMode
    roi_floor: float | None
    gross_margin: float | None
    return_rate: float | None
    min_seeding_share: float
    big_sales: pd.DataFrame
    commitments: pd.DataFrame
    tools: pd.DataFrame
    max_seeding_share: float = 1.0
    # What could not be read from the money boxes (``labels.read_money``), said first.
    typed: tuple[Problem, ...] = ()


def form_defaults(campaign: Campaign) -> CampaignForm:
    """The form as it first appears for a loaded campaign."""
    floor_mode: FloorMode = (
        "break_even"
        if campaign.roi_floor is None and campaign.gross_margin is not None
        else "roi_floor"
    )
    return CampaignForm(
        name=campaign.name,
        chain=campaign.chain.value,
        start=campaign.start,
        end=campaign.end,
        plan_date=campaign.plan_date,
        budget=campaign.budget,
        daily_cap=campaign.daily_cap,
        floor_mode=floor_mode,
        roi_floor=campaign.roi_floor if campaign.roi_floor is not None
        else round(campaign.effective_roi_floor, 4),
        gross_margin=campaign.gross_margin,
        return_rate=campaign.return_rate,
        min_seeding_share=campaign.balance.min_seeding_share,
        max_seeding_share=campaign.balance.max_seeding_share,
        big_sales=big_sales_frame(campaign),
        commitments=commitments_frame(campaign),
        tools=tools_frame(campaign),
    )


def big_sales_frame(campaign: Campaign) -> pd.DataFrame:
    rows = [{"name": s.name, "start": s.start, "end": s.end} for s in campaign.big_sales]
    return pd.DataFrame(rows, columns=list(BIG_SALE_COLUMNS)).astype(object)


def commitments_frame(campaign: Campaign) -> pd.DataFrame:
    rows = [
        {
            "video_id": c.video_id,
            "tool": c.tool.value,
            "start": c.start,
            "end": c.end,
            "budget": c.budget,
            "booking_date": c.booking_date,
        }
        for c in campaign.commitments
    ]
    return pd.DataFrame(rows, columns=list(COMMITMENT_COLUMNS)).astype(object)


def tools_frame(campaign: Campaign) -> pd.DataFrame:
    rows = [
        {
            "tool": tool.value,
            "label": tool_label(tool),
            "chains": t("chain.both") if chains_of(tool) == "both" else chain_name(chains_of(tool)),
            "enabled": campaign.tools[tool].enabled,
            "min_order": campaign.tools[tool].min_order,
        }
        for tool in Tool
    ]
    return pd.DataFrame(rows, columns=list(TOOL_COLUMNS))


def _blank(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    try:
        return bool(pd.isna(value))  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return False


def _cell(value: object) -> object:
    """An editor cell as plain Python: None for blanks, dates as date, numpy scalars unwrapped."""
    if _blank(value):
        return None
    if isinstance(value, pd.Timestamp | datetime):
        return value.date()
    if isinstance(value, str):
        return value.strip()
    item = getattr(value, "item", None)
    if callable(item):  # numpy scalar
        return item()
    return value


def editor_rows(frame: pd.DataFrame, columns: Sequence[str]) -> list[tuple[int, dict[str, Any]]]:
    """Non-blank rows of an edited table as (1-based row number, {column: value})."""
    rows: list[tuple[int, dict[str, Any]]] = []
    for number, record in enumerate(frame.to_dict("records"), start=1):
        values = {c: _cell(record.get(c)) for c in columns}
        if any(v is not None for v in values.values()):
            rows.append((number, values))
    return rows


def _table_rows(
    frame: pd.DataFrame,
    columns: Sequence[str],
    model: type[BaseModel],
    table: str,
) -> tuple[list[dict[str, Any]], list[Problem]]:
    """Validate each row of an edited table with the core's model; problems name row and column."""
    kept: list[dict[str, Any]] = []
    problems: list[Problem] = []
    for number, values in editor_rows(frame, columns):
        data = {k: v for k, v in values.items() if v is not None}
        try:
            model.model_validate(data)
        except ValidationError as exc:
            for item in exc.errors():
                loc = [str(p) for p in item["loc"]]
                column = loc[0] if loc else None
                # The campaign file's words for pydantic's failures, in the buyer's language.
                msg, _ = value_message(item)
                fix = t("error.fix.correct_cell") if column else t("error.views.correct_row")
                if item["type"] == "missing":
                    msg, fix = t("error.views.empty_cell"), t("error.views.empty_cell_fix")
                problems.append(Problem(t("error.sentence", text=msg), file=table, row=number,
                                        column=column, fix=fix))
            continue
        kept.append(data)
    return kept, problems


def campaign_dict_from_form(
    base: Campaign, form: CampaignForm
) -> tuple[dict[str, Any], list[Problem]]:
    """The campaign dict the form describes, and the problems found in its tables.

    Keys the form does not show (tool prices, rules, tiers, ...) keep the
    values of ``base``. The dict still has to pass ``campaign_from_dict``,
    which checks everything that spans fields (dates in order, sales inside
    the campaign, commitments on the chain's tools).
    """
    raw = campaign_to_dict(base)
    raw["name"] = form.name.strip()
    raw["chain"] = form.chain
    raw["start"] = form.start
    raw["end"] = form.end
    raw["plan_date"] = form.plan_date
    raw["budget"] = form.budget
    raw["daily_cap"] = form.daily_cap
    if form.floor_mode == "roi_floor":
        raw["roi_floor"] = form.roi_floor
        raw["gross_margin"] = None
        raw["return_rate"] = None
    else:
        raw["roi_floor"] = None
        raw["gross_margin"] = form.gross_margin
        raw["return_rate"] = form.return_rate
    raw["balance"] = {**raw["balance"], "min_seeding_share": form.min_seeding_share,
                      "max_seeding_share": form.max_seeding_share}
    # Drop keys the buyer left empty, so the campaign's own rule reports them
    # (a missing budget is "Field required", not "not a number").
    for key in ("start", "end", "budget"):
        if raw[key] is None:
            del raw[key]

    problems: list[Problem] = list(form.typed)
    sales, found = _table_rows(form.big_sales, BIG_SALE_COLUMNS, BigSale,
                               t("error.views.big_sales_table"))
    problems += found
    commitments, found = _table_rows(
        form.commitments, COMMITMENT_COLUMNS, Commitment, t("error.views.commitments_table")
    )
    problems += found
    # The table shows name and dates; a sale's phases and its budget before the sale stay
    # as the file gave them while its dates still hold them.
    phases = {sale.name: sale for sale in base.big_sales}
    for sale in sales:
        known = phases.get(str(sale.get("name")))
        if known is None or (sale.get("start"), sale.get("end")) != (known.start, known.end):
            continue
        if known.phases:
            sale["phases"] = [p.model_dump() for p in known.phases]
        if known.before is not None:
            sale["before"] = known.before.model_dump()
    raw["big_sales"] = sales
    raw["commitments"] = commitments

    tools = dict(raw["tools"])
    for number, values in editor_rows(form.tools, ("tool", "enabled", "min_order")):
        tool = values["tool"]
        if tool not in tools:
            continue
        min_order = values["min_order"]
        if min_order is None or not isinstance(min_order, int | float) or min_order < 0:
            problems.append(Problem(
                t("error.views.min_order"), file=t("error.views.tools_table"), row=number,
                column="min_order", fix=t("error.views.min_order_fix"),
            ))
            continue
        tools[tool] = {
            **tools[tool],
            "enabled": bool(values["enabled"]),
            "min_order": float(min_order),
        }
    raw["tools"] = tools
    return raw, problems
