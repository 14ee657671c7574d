"""Cell parsers: the spellings buyers paste from Douyin, Excel and WPS."""

from __future__ import annotations

import contextlib
import math
from datetime import date, datetime
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from planner.parsing import (
    parse_bool,
    parse_date,
    parse_int,
    parse_number,
    parse_text,
)

# These tests check the English wording of messages (PLANNER_LANG=en);
# tests/test_error_language.py checks they come out in Chinese by default.
pytestmark = pytest.mark.usefixtures("english")

NUMBERS = [
    ("plain-int", "1234", 1234.0),
    ("int", 42, 42.0),
    ("float", 2.5, 2.5),
    ("numpy-float", np.float32(1.5), 1.5),
    ("decimal", Decimal("3.25"), 3.25),
    ("thousands", "1,234", 1234.0),
    ("thousands-millions", "1,234,567", 1234567.0),
    ("full-width-comma", "1，234", 1234.0),
    ("full-width-digits", "１２３４", 1234.0),
    ("spaces", "  88 ", 88.0),
    ("yuan-suffix", "500元", 500.0),
    ("yen-prefix", "¥1,200", 1200.0),
    ("full-width-yen", "￥300", 300.0),
    ("percent", "12.5%", 0.125),
    ("w-lower", "25.3w", 253000.0),
    ("w-upper", "25.3W", 253000.0),
    ("wan", "3万", 30000.0),
    ("wan-yuan", "3万元", 30000.0),
    ("yi", "1.2亿", 120_000_000.0),
    ("negative", "-15", -15.0),
    ("unicode-minus", "−15", -15.0),
    ("scientific", "1.5e3", 1500.0),
    ("leading-dot", ".5", 0.5),
]


@pytest.mark.parametrize(
    ("cell", "expected"), [c[1:] for c in NUMBERS], ids=[c[0] for c in NUMBERS]
)
def test_parse_number(cell: object, expected: float) -> None:
    assert parse_number(cell) == pytest.approx(expected)


EMPTY = [
    ("none", None),
    ("nan", float("nan")),
    ("numpy-nan", np.nan),
    ("pd-na", pd.NA),
    ("pd-nat", pd.NaT),
    ("empty", ""),
    ("whitespace", "  \t "),
    ("full-width-space", "\u3000"),
    ("dash", "-"),
]


@pytest.mark.parametrize("cell", [c[1] for c in EMPTY], ids=[c[0] for c in EMPTY])
def test_empty_cells_are_none(cell: object) -> None:
    assert parse_number(cell) is None
    assert parse_bool(cell) is None
    assert parse_date(cell) is None
    assert parse_text(cell) is None


BAD_NUMBERS = [
    ("word", "abc", "not a number"),
    ("inf-float", float("inf"), "infinite"),
    ("inf-text", "inf", "not a number"),
    ("decimal-comma", "1,5", "comma"),
    ("bad-grouping", "12,34", "comma"),
    ("two-dots", "1.2.3", "not a number"),
    ("bool", True, "yes/no"),
    ("excel-error", "#DIV/0!", "not a number"),
    ("too-large", "1e400", "too large"),
    ("underscore", "1_000", "not a number"),
    ("arabic-digits", "١٢", "not a number"),
    ("only-suffix", "w", "not a number"),
]


@pytest.mark.parametrize(
    ("cell", "reason"), [c[1:] for c in BAD_NUMBERS], ids=[c[0] for c in BAD_NUMBERS]
)
def test_parse_number_rejects(cell: object, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        parse_number(cell)


@pytest.mark.parametrize(
    ("cell", "expected"),
    [("2.5w", 25000), ("1.23w", 12300), ("7", 7), (7.0, 7), ("1,000", 1000)],
    ids=["w", "float-noise", "text", "float", "thousands"],
)
def test_parse_int(cell: object, expected: int) -> None:
    value = parse_int(cell)
    assert value == expected
    assert isinstance(value, int)


def test_parse_int_rejects_fractions() -> None:
    with pytest.raises(ValueError, match="whole number"):
        parse_int("12.5")


BOOLS = [
    ("true", "true", True), ("TRUE", "TRUE", True), ("yes", "Yes", True), ("y", "y", True),
    ("one", "1", True), ("int-one", 1, True), ("shi", "是", True), ("you", "有", True),
    ("check", "√", True), ("T", "T", True), ("bool", True, True),
    ("tongguo", "已通过", True),
    ("false", "false", False), ("no", "NO", False), ("n", "n", False), ("zero", "0", False),
    ("float-zero", 0.0, False), ("fou", "否", False), ("wu", "无", False),
    ("wu-trad", "無", False), ("cross", "×", False), ("F", "f", False),
    ("padded", " 否 ", False), ("weitongguo", "未通过", False),
]


@pytest.mark.parametrize(("cell", "expected"), [b[1:] for b in BOOLS], ids=[b[0] for b in BOOLS])
def test_parse_bool(cell: object, expected: bool) -> None:
    assert parse_bool(cell) is expected


@pytest.mark.parametrize("cell", ["maybe", "2", 2, "是否"], ids=["word", "two", "int-two", "both"])
def test_parse_bool_rejects(cell: object) -> None:
    with pytest.raises(ValueError, match="yes/no"):
        parse_bool(cell)


MAY_1 = date(2026, 5, 1)
DATES = [
    ("date", date(2026, 5, 1)),
    ("datetime", datetime(2026, 5, 1, 13, 45)),
    ("timestamp", pd.Timestamp("2026-05-01 08:00")),
    ("datetime64", np.datetime64("2026-05-01")),
    ("iso", "2026-05-01"),
    ("slashes", "2026/5/1"),
    ("dots", "2026.5.1"),
    ("compact", "20260501"),
    ("compact-number", 20260501),
    ("chinese", "2026年5月1日"),
    ("chinese-no-day-char", "2026年5月1"),
    ("full-width", "２０２６－０５－０１"),
    ("with-time", "2026-05-01 10:30:00"),
    ("with-short-time", "2026/5/1 9:05"),
    ("iso-t", "2026-05-01T10:30"),
    ("excel-serial", 46143),
    ("excel-serial-float", 46143.75),
    ("excel-serial-text", "46143"),
]


@pytest.mark.parametrize("cell", [d[1] for d in DATES], ids=[d[0] for d in DATES])
def test_parse_date(cell: object) -> None:
    assert parse_date(cell) == MAY_1


BAD_DATES = [
    ("us-order", "5/1/2026", "2026-05-01"),
    ("feb-30", "2026-02-30", "real calendar day"),
    ("word", "tomorrow", "not a date"),
    ("small-number", 12, "Excel day number"),
    ("large-number", 90000, "Excel day number"),
    ("bool", False, "yes/no"),
    ("month-13", "2026-13-01", "real calendar day"),
]


@pytest.mark.parametrize(
    ("cell", "reason"), [d[1:] for d in BAD_DATES], ids=[d[0] for d in BAD_DATES]
)
def test_parse_date_rejects(cell: object, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        parse_date(cell)


TEXTS = [
    ("leading-zeros", "007", "007"),
    ("excel-float-text", "123.0", "123"),
    ("excel-float", 123.0, "123"),
    ("int", 123, "123"),
    ("numpy-int", np.int64(7234567890123456789), "7234567890123456789"),
    ("full-width-id", "１２３", "123"),
    ("trimmed", "  达人A ", "达人A"),
    ("bom", "\ufeffabc", "abc"),
    ("full-width-name-kept", "Ａｎｎａ（官方）", "Ａｎｎａ（官方）"),
]


@pytest.mark.parametrize(("cell", "expected"), [t[1:] for t in TEXTS], ids=[t[0] for t in TEXTS])
def test_parse_text(cell: object, expected: str) -> None:
    assert parse_text(cell) == expected


@pytest.mark.parametrize(
    "cell", ["7.23457E+18", 7.234567890123457e18], ids=["scientific-text", "rounded-float"]
)
def test_parse_text_refuses_ids_excel_rounded(cell: object) -> None:
    with pytest.raises(ValueError, match="format the column as text"):
        parse_text(cell)


# ---------------------------------------------------------------- properties

PARSERS = [parse_number, parse_int, parse_bool, parse_date, parse_text]


@pytest.mark.slow
@pytest.mark.parametrize("parser", PARSERS, ids=[p.__name__ for p in PARSERS])
@given(text=st.text(max_size=30))
def test_arbitrary_text_only_raises_value_error(parser: object, text: str) -> None:
    assert callable(parser)
    try:
        parser(text)
    except ValueError as exc:
        assert str(exc)  # a reason, never a bare ValueError


# Characters buyers plausibly type into a number cell, so the search hits the
# suffix, separator and full-width branches far more often than random text.
NUMBERISH = st.text(alphabet="0123456789,.，。%wW万亿元¥￥+-eE ０１２３４５６７８９", max_size=16)


@pytest.mark.parametrize("parser", PARSERS, ids=[p.__name__ for p in PARSERS])
@given(text=NUMBERISH)
def test_numberish_text_only_raises_value_error(parser: object, text: str) -> None:
    assert callable(parser)
    # Anything but ValueError (the parsers' one way to refuse a cell) fails the test.
    with contextlib.suppress(ValueError):
        parser(text)


@given(value=st.floats(allow_nan=False, allow_infinity=False))
def test_float_cells_round_trip(value: float) -> None:
    assert parse_number(value) == value
    assert parse_number(repr(value)) == value


@given(value=st.integers(min_value=0, max_value=10**12))
def test_thousands_separators_round_trip(value: int) -> None:
    assert parse_number(f"{value:,}") == value
    assert parse_int(f"{value:,}") == value


@given(day=st.dates(min_value=date(1960, 1, 1), max_value=date(2100, 12, 31)))
def test_dates_round_trip_through_every_spelling(day: date) -> None:
    spellings = [
        day.isoformat(),
        f"{day.year}/{day.month}/{day.day}",
        f"{day.year}年{day.month}月{day.day}日",
        day.strftime("%Y%m%d"),
        (day - date(1899, 12, 30)).days,
    ]
    assert all(parse_date(s) == day for s in spellings)


@given(value=st.floats(min_value=0, max_value=1e6, allow_nan=False))
def test_percent_is_a_hundredth(value: float) -> None:
    parsed = parse_number(f"{value}%")
    assert parsed is not None
    assert math.isclose(parsed, value / 100, rel_tol=1e-12, abs_tol=1e-300)
