"""Property tests: no cell and no small table makes the readers fail other than on purpose.

The cell parsers may only raise ``ValueError`` (the table reader turns that
into a located ``InputError``); ``read_videos`` may only succeed or raise
``InputError``. Anything else (``TypeError``, ``OverflowError``,
``IndexError``, a ``csv.Error`` or ``UnicodeError`` leaking out) would reach
the buyer as a traceback.

Example counts are fixed so the file runs in a few seconds; every test
reports how many examples it ran through ``EXAMPLES`` (printed at the end of
the module's run by ``test_example_counts_are_reported``).
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections import Counter
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner.errors import InputError
from planner.io.headers import VIDEO_COLUMNS
from planner.io.roster import read_videos
from planner.parsing import parse_bool, parse_date, parse_int, parse_number, parse_text

CELL_EXAMPLES = 400
TABLE_EXAMPLES = 150
EXAMPLES: Counter[str] = Counter()

PARSERS: dict[str, Callable[[object], object]] = {
    "parse_number": parse_number,
    "parse_int": parse_int,
    "parse_bool": parse_bool,
    "parse_date": parse_date,
    "parse_text": parse_text,
}

# Text that looks like what buyers paste: digits, separators, units, Chinese,
# full-width forms, Excel errors, invisible characters; plus arbitrary unicode.
_PIECES = st.sampled_from([
    "0", "1", "9", "12", "2027", "-", "+", ".", ",", "，", "e", "E", "w", "W", "万", "亿", "k",
    "%", "¥", "￥", "元", "rmb", "年", "月", "日", "/", ":", " ", "\u3000", "\ufeff", "\u200b",
    "１", "２", "是", "否", "true", "nan", "inf", "#N/A", "#DIV/0!", "=", "@", "\t", "\r", "\n",
    "T", "：", "-03-", "e+18", "7.23457E+18", "00000",
])
BUYER_TEXT = st.lists(_PIECES, max_size=8).map("".join)
ANY_TEXT = st.one_of(BUYER_TEXT, st.text(max_size=40))

CELLS = st.one_of(
    ANY_TEXT,
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=2**1023, max_value=10**400).map(lambda n: n * (-1) ** (n % 2)),
    st.fractions(min_value=Fraction(10**300), max_value=Fraction(10**400)),
    st.sampled_from([Decimal("sNaN"), Decimal("-Infinity"), Decimal("1E+400"), 2**53 + 1]),
    st.floats(),  # NaN and both infinities
    st.floats(width=32).map(np.float32),
    st.integers(min_value=-(2**63), max_value=2**63 - 1).map(np.int64),
    st.decimals(),  # includes NaN, sNaN and infinities
    st.fractions(),
    st.dates(),
    st.datetimes(),
    st.times(),
    st.complex_numbers(),
    st.datetimes(min_value=datetime(1700, 1, 1), max_value=datetime(2200, 1, 1)).map(
        pd.Timestamp
    ),
    st.dates().map(lambda d: np.datetime64(d.isoformat())),
    st.just(pd.NaT),
    st.just(pd.NA),
    st.just(np.datetime64("NaT")),
    st.just(b"\xff\xfe"),
    st.lists(st.integers(), max_size=2),
)


def _expect(value: object, parser_name: str) -> None:
    kinds = {
        "parse_number": (float,),
        "parse_int": (int,),
        "parse_bool": (bool,),
        "parse_date": (date,),
        "parse_text": (str,),
    }[parser_name]
    assert value is None or isinstance(value, kinds), (parser_name, value)
    if isinstance(value, str):
        assert value == value.strip() and value  # trimmed, never empty (empty is None)


@pytest.mark.slow
@pytest.mark.parametrize("parser_name", sorted(PARSERS))
@settings(max_examples=CELL_EXAMPLES, deadline=None, derandomize=True, database=None)
@given(cell=CELLS)
def test_parsers_return_their_type_or_raise_value_error(parser_name: str, cell: object) -> None:
    EXAMPLES[parser_name] += 1
    try:
        value = PARSERS[parser_name](cell)
    except ValueError as exc:
        # The reason is shown to the buyer after "row 5, column 'x':".
        assert str(exc), (parser_name, cell)
        return
    _expect(value, parser_name)


@pytest.mark.slow
@settings(max_examples=CELL_EXAMPLES, deadline=None, derandomize=True, database=None)
@given(cell=ANY_TEXT)
def test_a_number_read_back_from_its_own_text_is_stable(cell: str) -> None:
    """What parse_number accepts it reads the same way after a round trip through repr."""
    EXAMPLES["parse_number round trip"] += 1
    try:
        value = parse_number(cell)
    except ValueError:
        return
    if value is not None:
        assert parse_number(repr(value)) == value


# ---------------------------------------------------------------- whole tables

HEADERS = [spec.name for spec in VIDEO_COLUMNS] + [
    alias for spec in VIDEO_COLUMNS for alias in spec.aliases[:1]
]
HEADER_CELLS = st.one_of(st.sampled_from(HEADERS), ANY_TEXT)
TABLE_CELLS = st.one_of(
    ANY_TEXT,
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.floats().map(repr),
    st.dates().map(date.isoformat),
)


@st.composite
def tables(draw: st.DrawFn) -> list[list[str]]:
    width = draw(st.integers(min_value=0, max_value=12))
    if draw(st.booleans()):
        # Mostly real headers, so the parser gets past the column check.
        header = draw(st.permutations([spec.name for spec in VIDEO_COLUMNS]))[:width or 9]
    else:
        header = draw(st.lists(HEADER_CELLS, min_size=width, max_size=width))
    rows = draw(st.lists(
        st.lists(TABLE_CELLS, min_size=0, max_size=len(header) + 2), max_size=6
    ))
    preamble = draw(st.lists(st.lists(ANY_TEXT, max_size=2), max_size=2))
    return [*preamble, header, *rows]


ENCODINGS = ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "gb18030"]
DELIMITERS = [",", ";", "\t", "|"]


def _csv_bytes(rows: list[list[str]], delimiter: str, encoding: str) -> bytes | None:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    try:
        return buffer.getvalue().encode(encoding)
    except UnicodeEncodeError:  # surrogates, or text GB18030 cannot hold
        return None


@pytest.mark.slow
@settings(
    max_examples=TABLE_EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    rows=tables(),
    delimiter=st.sampled_from(DELIMITERS),
    encoding=st.sampled_from(ENCODINGS),
    suffix=st.sampled_from([".csv", ".tsv", ".txt"]),
    plan_date=st.one_of(st.none(), st.dates(min_value=date(2020, 1, 1))),
)
def test_read_videos_succeeds_or_raises_input_error(
    rows: list[list[str]], delimiter: str, encoding: str, suffix: str, plan_date: date | None
) -> None:
    EXAMPLES["read_videos csv"] += 1
    data = _csv_bytes(rows, delimiter, encoding)
    if data is None:
        data = _csv_bytes(rows, delimiter, "utf-8") or b""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"videos{suffix}"
        path.write_bytes(data)
        try:
            videos, notes = read_videos(path, plan_date=plan_date)
        except InputError as exc:
            text = str(exc)
            assert text and "Traceback" not in text
            # Every problem names the file it is about.
            assert all(p.file for p in exc.problems), text
            return
    assert videos, "success means at least one video"
    assert len({v.video_id for v in videos}) == len(videos)
    assert all(isinstance(n, str) for n in notes)
    if plan_date is not None:
        assert all(v.publish_date <= plan_date for v in videos)


@settings(max_examples=60, deadline=None, derandomize=True, database=None)
@given(data=st.binary(max_size=600), suffix=st.sampled_from([".csv", ".xlsx", ".tsv"]))
def test_arbitrary_bytes_never_crash_the_reader(data: bytes, suffix: str) -> None:
    EXAMPLES["read_videos bytes"] += 1
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"videos{suffix}"
        path.write_bytes(data)
        try:
            read_videos(path)
        except InputError as exc:
            assert all(p.file for p in exc.problems)


def test_example_counts_are_reported(capsys: pytest.CaptureFixture[str]) -> None:
    """Runs last in this module: prints how many examples each property saw."""
    ran = {name: count for name, count in sorted(EXAMPLES.items())}
    with capsys.disabled():
        print("\nhypothesis examples run:", ", ".join(f"{k}={v}" for k, v in ran.items()))
    if not ran:
        pytest.skip("selected on its own: run the whole module to see the counts")
    assert all(count > 0 for count in ran.values())

