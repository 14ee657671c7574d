"""Read a plan to check: plan.json, the planner's plan.xlsx, or a buyer's orders table.

An orders table is laid out like the planner's 订单 / Orders sheet: one row per
order with the columns video_id, tool, start_date, end_date and budget
(booking_date, mode and fixed optional), headed by the ids or by the sheet's
own words in Chinese or English. A workbook with a 每日明细 / Daily schedule
sheet gives each day's spend; without one each order's budget is spread evenly
over its days.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
from pydantic import ValidationError

from planner.checks import DaySpend, Evidence, PlannedOrder, evidence_from_plan, evidence_of
from planner.errors import InputError, Problem
from planner.i18n import LANGS, has, mode_name, t, tool_name, use_lang
from planner.models import Plan
from planner.tools import Tool, parse_tool

_REQUIRED = ("video_id", "tool", "start_date", "end_date", "budget")
_OPTIONAL = ("tool_id", "booking_date", "mode", "fixed", "reasons", "reason_codes", "date",
             "spend")


@dataclass
class PlanToCheck:
    """The orders of a plan, its daily rows when it has them, and what it learned."""

    orders: list[PlannedOrder]
    daily: list[DaySpend] | None = None
    plan_date: date | None = None
    evidence: Evidence = field(default_factory=Evidence)


def read_plan_to_check(path: Path) -> PlanToCheck:
    """The plan in ``path`` (.json, .xlsx or .csv); InputError says what cannot be read."""
    name = path.name
    if not path.is_file():
        raise InputError(Problem(t("error.check.unreadable", detail=str(path)), file=name,
                                 fix=t("error.check.orders_fix")))
    suffix = path.suffix.lower()
    if suffix == ".json":
        try:
            plan = Plan.model_validate_json(path.read_bytes())
        except (ValidationError, ValueError) as exc:
            detail = str(exc).splitlines()[0]
            raise InputError(Problem(t("error.check.unreadable", detail=detail), file=name,
                                     fix=t("error.check.orders_fix"))) from None
        return PlanToCheck(
            orders=[PlannedOrder.of(o) for o in plan.orders],
            daily=[DaySpend(d.date, d.video_id, d.tool, d.spend) for d in plan.daily],
            plan_date=plan.plan_date, evidence=evidence_from_plan(plan))
    try:
        if suffix in (".xlsx", ".xlsm", ".xls"):
            sheets = pd.read_excel(path, sheet_name=None)
        else:
            sheets = {"": pd.read_csv(path, encoding="utf-8-sig")}
    except (OSError, ValueError) as exc:
        raise InputError(Problem(t("error.check.unreadable", detail=str(exc)), file=name,
                                 fix=t("error.check.orders_fix"))) from None
    orders_sheet = _sheet(sheets, "sheet.orders")
    if orders_sheet is None:
        orders_sheet = next(iter(sheets.values()))
    orders = _orders(orders_sheet, name)
    daily_sheet = _sheet(sheets, "sheet.daily")
    daily = _daily(daily_sheet, name) if daily_sheet is not None else None
    return PlanToCheck(orders=orders, daily=daily, evidence=evidence_of(orders))


def _in_every_language(key: str) -> set[str]:
    words = set()
    for lang in LANGS:
        with use_lang(lang):
            if has(key):
                words.add(t(key))
    return words


def _sheet(sheets: dict[str, pd.DataFrame], key: str) -> pd.DataFrame | None:
    names = _in_every_language(key)
    return next((frame for title, frame in sheets.items() if title in names), None)


def _header_ids(frame: pd.DataFrame) -> dict[str, str]:
    """Column id -> the frame's header for it (ids, or the sheet's words in any language)."""
    known: dict[str, str] = {}
    for column in (*_REQUIRED, *_OPTIONAL):
        words = {column, *_in_every_language(f"col.{column}")}
        for header in frame.columns:
            if str(header).strip().lower() in {w.lower() for w in words}:
                known.setdefault(column, str(header))
    return known


def _bad(value: object, kind: str, name: str, row: int, column: str) -> InputError:
    return InputError(Problem(t("error.check.bad_cell", value=value,
                                kind=t(f"error.check.kind.{kind}")),
                              file=name, row=row, column=column,
                              fix=t("error.check.orders_fix")))


def _tool(value: object, name: str, row: int, column: str) -> Tool:
    text = str(value).strip()
    for tool in Tool:
        if text == tool.value or text in {tool_name(tool)} | _names("tool", tool.value):
            return tool
    parsed = parse_tool(text)
    if parsed is None:
        raise _bad(value, "tool", name, row, column)
    return parsed


def _names(group: str, code: str) -> set[str]:
    return _in_every_language(f"{group}.{code}")


def _date(value: object, name: str, row: int, column: str) -> date:
    try:
        stamp = pd.Timestamp(value)  # type: ignore[arg-type]
    except (ValueError, TypeError):
        raise _bad(value, "date", name, row, column) from None
    if pd.isna(stamp):
        raise _bad(value, "date", name, row, column)
    return stamp.date()


def _money(value: object, name: str, row: int, column: str) -> float:
    from planner.parsing import parse_number

    try:
        number = parse_number(value)
    except (ValueError, TypeError):
        number = None
    if number is None:
        raise _bad(value, "number", name, row, column)
    return float(number)


def _mode(value: object, name: str, row: int, column: str) -> str | None:
    if _blank(value):
        return None
    text = str(value).strip()
    for mode in ("smart", "targeted"):
        if text == mode or text in _names("mode", mode) | {mode_name(mode)}:
            return mode
    raise _bad(value, "mode", name, row, column)


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, float) and pd.isna(value)) or str(
        value).strip() == ""


def _fixed(value: object) -> bool:
    if _blank(value):
        return False
    text = str(value).strip().lower()
    return text in {"true", "1", "yes", "y"} | {w.lower() for w in _in_every_language("bool.yes")}


def _codes(codes: object, reasons: object) -> frozenset[str]:
    """An order's reason codes: the 原因代码 column (one a line), else the ``code:`` that
    began each reason line in workbooks written before that column existed."""
    if not _blank(codes):
        return frozenset(re.findall(r"[a-z0-9_]+", str(codes)))
    return frozenset(re.findall(r"^([a-z0-9_]+):", str(reasons or ""), re.M))


def _orders(frame: pd.DataFrame, name: str) -> list[PlannedOrder]:
    headers = _header_ids(frame)
    missing = [c for c in _REQUIRED if c not in headers and not (
        c == "tool" and "tool_id" in headers)]
    if missing:
        raise InputError(Problem(t("error.check.missing_columns", columns=", ".join(missing)),
                                 file=name, fix=t("error.check.orders_fix")))
    orders = []
    for index, record in enumerate(frame.to_dict("records"), start=2):
        def cell(column: str, record: dict[Any, Any] = record) -> object:
            return record.get(headers[column]) if column in headers else None

        if all(_blank(cell(c)) for c in _REQUIRED):
            continue  # an empty row
        tool_column = "tool_id" if "tool_id" in headers else "tool"
        start = _date(cell("start_date"), name, index, headers["start_date"])
        booking = cell("booking_date")
        orders.append(PlannedOrder(
            video_id=str(cell("video_id")).strip(),
            tool=_tool(cell(tool_column), name, index, headers[tool_column]),
            start_date=start,
            end_date=_date(cell("end_date"), name, index, headers["end_date"]),
            booking_date=start if _blank(booking)
            else _date(booking, name, index, headers["booking_date"]),
            budget=_money(cell("budget"), name, index, headers["budget"]),
            mode=_mode(cell("mode"), name, index, headers.get("mode", "mode")),
            fixed=_fixed(cell("fixed")),
            reason_codes=_codes(cell("reason_codes"), cell("reasons")),
        ))
    return orders


def _daily(frame: pd.DataFrame, name: str) -> list[DaySpend]:
    headers = _header_ids(frame)
    tool_column = "tool_id" if "tool_id" in headers else "tool"
    if not all(c in headers for c in ("date", "video_id", tool_column, "spend")):
        return []
    rows = []
    for index, record in enumerate(frame.to_dict("records"), start=2):
        rows.append(DaySpend(
            day=_date(record[headers["date"]], name, index, headers["date"]),
            video_id=str(record[headers["video_id"]]).strip(),
            tool=_tool(record[headers[tool_column]], name, index, headers[tool_column]),
            spend=_money(record[headers["spend"]], name, index, headers["spend"]),
        ))
    return rows
