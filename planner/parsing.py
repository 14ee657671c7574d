"""Cell parsers for buyer spreadsheets: numbers, yes/no, dates and text.

Each parser returns ``None`` for an empty cell and raises ``ValueError`` with a
short reason a media buyer understands; the table reader adds file, row and
column and wraps the reason into an ``InputError``.

Buyers paste numbers the way Douyin and Excel show them ("25.3w", "1,234",
"¥3万", "12.5%", full-width digits from a Chinese input method), so the
parsers accept those spellings rather than asking people to clean them up.
"""

from __future__ import annotations

import math
import re
import sys
from datetime import date, datetime, timedelta
from decimal import Decimal
from numbers import Integral, Real
from typing import Final

import numpy as np

from planner.i18n import t

# Full-width ASCII (U+FF01..U+FF5E) and the ideographic space come from Chinese
# input methods; map them to ASCII so "１２，３４５" reads like "12,345".
_FULL_WIDTH: Final[dict[int, int | None]] = {
    **{code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)},
    0x3000: 0x20,
    0xFFE5: 0xA5,  # full-width yen/yuan sign
    0x2212: 0x2D,  # the typographic minus sign that word processors insert
    0xFEFF: None,  # a BOM glued to the first cell
    0x200B: None,  # zero-width space, left behind by copy-paste from web pages
}

# Cells that spreadsheets and exports use for "no value".
_BLANKS: Final = frozenset({"", "-", "--", "—", "——", "/", "n/a", "nan", "null"})
_LONGEST_BLANK: Final = max(len(b) for b in _BLANKS) + 1  # +1: a BOM or zero-width space

_MULTIPLIERS: Final = {
    "万": 10_000.0,
    "萬": 10_000.0,
    "w": 10_000.0,
    "亿": 100_000_000.0,
    "億": 100_000_000.0,
    "k": 1_000.0,
    "千": 1_000.0,
}

# ASCII digits only: ``float`` would also accept Arabic-Indic digits and "1_000".
_NUMBER_RE: Final = re.compile(
    r"[+-]?(?:(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?",
    re.ASCII,
)
# Most cells are plain "12345" or "12.5"; skip the clean-up for those.
_PLAIN_NUMBER_RE: Final = re.compile(r"-?[0-9]{1,15}(?:\.[0-9]{1,15})?", re.ASCII)
_LOOSE_NUMBER_RE: Final = re.compile(r"[+-]?[0-9][0-9,]*(?:\.[0-9]*)?", re.ASCII)

_TRUE: Final = frozenset(
    {"true", "yes", "y", "1", "t", "是", "有", "√", "✓", "✔", "对", "對", "通过", "通過",
     "已通过", "已通過", "已授权", "已授權"}
)
_FALSE: Final = frozenset(
    {"false", "no", "n", "0", "f", "否", "无", "無", "×", "✗", "✘", "错", "錯", "未通过",
     "未通過", "不通过", "不通過", "未授权", "未授權"}
)

# Excel's 1900 date system counts days from 1899-12-30 (it wrongly believes 1900
# was a leap year, which this epoch absorbs for every date after March 1900).
_EXCEL_EPOCH: Final = date(1899, 12, 30)
EXCEL_SERIAL_MIN: Final = 20_000  # 1954-10-03
EXCEL_SERIAL_MAX: Final = 80_000  # 2119-01-11

_TIME: Final = r"(?:[ T]+[0-9]{1,2}[:：][0-9]{2}(?:[:：][0-9]{2}(?:\.[0-9]+)?)?)?"
_DATE_PATTERNS: Final = (
    re.compile(r"([0-9]{4})[-/.]([0-9]{1,2})[-/.]([0-9]{1,2})" + _TIME, re.ASCII),
    re.compile(r"([0-9]{4})年\s*([0-9]{1,2})月\s*([0-9]{1,2})[日号號]?" + _TIME, re.ASCII),
    re.compile(r"([0-9]{4})([0-9]{2})([0-9]{2})" + _TIME, re.ASCII),
)
_SERIAL_RE: Final = re.compile(r"[0-9]{5}(?:\.[0-9]+)?", re.ASCII)

# An integer ID, possibly written back by pandas as a float ("123.0").
_DIGITS_RE: Final = re.compile(r"[0-9]+(?:\.0+)?", re.ASCII)
_SCIENTIFIC_RE: Final = re.compile(r"[0-9](?:\.[0-9]+)?[eE]\+?[0-9]{2}", re.ASCII)
_INVISIBLE: Final[dict[int, int | None]] = {0xFEFF: None, 0x200B: None}

_SHORT: Final = 40

# What Excel shows in a cell whose formula failed; a VLOOKUP that found nothing
# gives "#N/A". Such a cell holds no value, so it is refused with that reason.
_EXCEL_ERRORS: Final = frozenset({
    "#DIV/0!", "#N/A", "#NAME?", "#NULL!", "#NUM!", "#REF!", "#VALUE!", "#SPILL!", "#CALC!",
    "#GETTING_DATA", "#FIELD!", "#BLOCKED!", "#CONNECT!", "#BUSY!", "#UNKNOWN!",
})
_LONGEST_ERROR: Final = max(len(e) for e in _EXCEL_ERRORS)


def _check_excel_error(text: str, what: str) -> None:
    """Raise ValueError if ``text`` is an Excel error value such as #N/A or #DIV/0!."""
    stripped = text.strip()
    if stripped.startswith("#") and len(stripped) <= _LONGEST_ERROR:
        if stripped.upper() in _EXCEL_ERRORS:
            raise ValueError(t("error.cell.excel_error", value=stripped, what=t(what)))


def _show(text: str) -> str:
    """Quote a cell for an error message without flooding it."""
    return repr(text if len(text) <= _SHORT else text[: _SHORT - 1] + "…")


def is_missing(cell: object) -> bool:
    """True for None, NaN, pandas NA/NaT and blank or placeholder text."""
    if isinstance(cell, str):  # by far the most common cell, so checked first
        return _blank_text(cell)
    if cell is None or is_pandas_blank(cell):
        return True
    if isinstance(cell, float):
        return math.isnan(cell)
    if isinstance(cell, Decimal):
        return cell.is_nan()  # also the signalling NaN, which float() refuses
    if isinstance(cell, Real) and not isinstance(cell, int):
        # numpy float32 and friends are Real but not float; a Fraction may not fit a float.
        try:
            return math.isnan(float(cell))
        except OverflowError:
            return False
    if isinstance(cell, np.datetime64 | np.timedelta64):
        return bool(np.isnat(cell))
    return False


def is_pandas_blank(cell: object) -> bool:
    """True for pandas' NA and NaT. Only a program that imported pandas can hold them, so
    a command that never does (``planner plan``) does not import it to ask."""
    pd = sys.modules.get("pandas")
    return pd is not None and (cell is pd.NA or cell is pd.NaT)


def _blank_text(text: str) -> bool:
    stripped = text.strip()
    if not stripped:
        return True
    if len(stripped) > _LONGEST_BLANK:
        return False
    return clean_text(stripped).lower() in _BLANKS


def clean_text(text: str) -> str:
    """Half-width, trimmed text: full-width letters/digits/punctuation become ASCII."""
    if text.isascii():
        return text.strip()
    return text.translate(_FULL_WIDTH).strip()


def parse_number(cell: object) -> float | None:
    """A number as buyers write it: "1,234", "25.3w", "3万", "1.2亿", "¥500元", "12.5%"."""
    if isinstance(cell, str):
        if _PLAIN_NUMBER_RE.fullmatch(cell):
            return float(cell)
        if _blank_text(cell):
            return None
        return _parse_number_text(cell)
    if is_missing(cell):
        return None
    if isinstance(cell, bool):
        raise ValueError(t("error.cell.bool_not_number", value=cell))
    if isinstance(cell, Real | Decimal):
        value = _to_float(cell)
        if math.isinf(value):
            raise ValueError(t("error.cell.infinite"))
        return value
    raise ValueError(t("error.cell.not_number", value=_show(str(cell))))


def _to_float(cell: Real | Decimal) -> float:
    """float(cell), with integers and fractions too large for a float refused as such."""
    try:
        return float(cell)
    except OverflowError:
        raise ValueError(t("error.cell.too_large", value=_show(str(cell)))) from None


def _parse_number_text(raw: str) -> float:
    _check_excel_error(raw, "error.cell.what_number")
    text = clean_text(raw).replace(" ", "")
    original = text
    if text.startswith("¥"):
        text = text[1:]
    elif text.lower().startswith("rmb"):
        text = text[3:]
    text = text.removesuffix("元")
    scale = 1.0
    if text.endswith("%"):
        text, scale = text[:-1], 0.01
    elif text and text[-1].lower() in _MULTIPLIERS:
        text, scale = text[:-1], _MULTIPLIERS[text[-1].lower()]
    if not _NUMBER_RE.fullmatch(text):
        if "," in text and _LOOSE_NUMBER_RE.fullmatch(text):
            raise ValueError(t("error.cell.comma", value=_show(original)))
        raise ValueError(t("error.cell.not_number", value=_show(original)))
    value = float(text.replace(",", "")) * scale
    if math.isinf(value):
        raise ValueError(t("error.cell.too_large", value=_show(original)))
    return value


def parse_int(cell: object) -> int | None:
    """A whole count (plays, likes, followers); "2.5w" is fine, "12.5" is not."""
    value = parse_number(cell)
    if value is None:
        return None
    nearest = round(value)
    # "1.23w" is 12300.000000000002 in binary floating point: that is still whole.
    if abs(value - nearest) > 1e-6 * max(1.0, abs(value)):
        raise ValueError(t("error.cell.not_whole", value=f"{value:g}"))
    return int(nearest)


def parse_bool(cell: object) -> bool | None:
    """Yes/no as buyers write it: 是/否, 有/无, √/×, yes/no, y/n, true/false, t/f, 1/0."""
    if is_missing(cell):
        return None
    if isinstance(cell, bool):
        return cell
    if isinstance(cell, Real | Decimal):
        if cell == 1:
            return True
        if cell == 0:
            return False
        raise ValueError(t("error.cell.not_bool_number", value=_show(str(cell))))
    text = clean_text(str(cell)).replace(" ", "").lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    _check_excel_error(str(cell), "error.cell.what_bool")
    raise ValueError(t("error.cell.not_bool", value=_show(str(cell).strip())))


def parse_date(cell: object) -> date | None:
    """A calendar day: date objects, "2026-05-01", "2026/5/1", "2026年5月1日", "20260501",
    or an Excel serial day number (1900 date system)."""
    if is_missing(cell):
        return None
    if isinstance(cell, datetime):  # includes pandas Timestamp
        return cell.date()
    if isinstance(cell, date):
        return cell
    if isinstance(cell, np.datetime64):
        import pandas as pd  # a numpy date comes from a pandas frame: pandas is loaded

        return pd.Timestamp(cell).date()
    if isinstance(cell, bool):
        raise ValueError(t("error.cell.bool_not_date", value=cell))
    if isinstance(cell, Real | Decimal):
        return _from_number(_to_float(cell), str(cell))
    if not isinstance(cell, str):
        raise ValueError(t("error.cell.not_date", value=_show(str(cell))))
    _check_excel_error(cell, "error.cell.what_date")
    text = clean_text(cell)
    for pattern in _DATE_PATTERNS:
        match = pattern.fullmatch(text)
        if match:
            year, month, day = (int(g) for g in match.groups())
            return _make_date(year, month, day, text)
    if _SERIAL_RE.fullmatch(text):
        return _from_number(float(text), text)
    raise ValueError(t("error.cell.not_date_write", value=_show(text)))


def _from_number(value: float, shown: str) -> date:
    if math.isfinite(value) and EXCEL_SERIAL_MIN <= value <= EXCEL_SERIAL_MAX:
        # The fraction is the time of day; a planner day is the calendar day.
        return _EXCEL_EPOCH + timedelta(days=math.floor(value))
    if math.isfinite(value) and value == int(value) and 19_000_101 <= value <= 29_991_231:
        # 20260501 typed into a number-formatted Excel cell.
        number = int(value)
        return _make_date(number // 10_000, number // 100 % 100, number % 100, shown)
    raise ValueError(t("error.cell.serial", value=_show(shown), low=EXCEL_SERIAL_MIN,
                       high=EXCEL_SERIAL_MAX))


def _make_date(year: int, month: int, day: int, shown: str) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise ValueError(t("error.cell.no_such_day", value=_show(shown))) from None


def parse_text(cell: object) -> str | None:
    """Text as typed (trimmed); numbers Excel stored in an ID column become their digits.

    Excel turns an ID such as 123 into the number 123.0 and pandas writes it
    back as "123.0"; both read as "123". Long IDs that Excel already rounded
    (7.23457E+18) cannot be recovered, so they are refused with a reason.
    """
    if is_missing(cell):
        return None
    if isinstance(cell, bool):
        return str(cell)
    if isinstance(cell, Integral):
        return str(int(cell))
    if isinstance(cell, Real | Decimal):
        try:
            value = float(cell)
        except OverflowError:  # a huge Fraction: no ID looks like that, keep its digits
            return str(cell)
        if math.isfinite(value) and value == int(value):
            if abs(value) >= 2**53:
                raise ValueError(t("error.cell.rounded_id", value=f"{value:.6g}"))
            return str(int(value))
        return str(cell)
    if isinstance(cell, datetime | date):
        return cell.isoformat()
    text = str(cell).translate(_INVISIBLE).strip()
    _check_excel_error(text, "error.cell.what_value")
    ascii_text = clean_text(text)
    if _DIGITS_RE.fullmatch(ascii_text):
        return ascii_text.split(".", 1)[0]
    if _SCIENTIFIC_RE.fullmatch(ascii_text):
        raise ValueError(t("error.cell.scientific", value=_show(text)))
    return text


# RFC 3986: what a URL may hold as it is; everything else in a path, query or fragment
# is percent-encoded, and a host may hold only these (and brackets for IPv6).
_URL_ALLOWED: Final = frozenset(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~!$&'()*+,;=:@/?%"
)
_HOST_RE: Final = re.compile(r"^[A-Za-z0-9\-._~!$&'()*+,;=%:@\[\]]*$")
_LONE_PERCENT: Final = re.compile(r"%(?![0-9A-Fa-f]{2})")
_CONTROL_RE: Final = re.compile("[\x00-\x1f\x7f]")  # what no address may hold


def usable_url(value: str | None) -> str | None:
    """``value`` unchanged when it can be a landing page's address; ValueError with why not.

    The one check behind every model field that holds a landing page.
    """
    problem = None if value is None else url_problem(value)
    if problem:
        raise ValueError(problem)
    return value


def url_problem(text: str) -> str | None:
    """Why ``text`` cannot be a landing page's address even once percent-encoded, or None.

    Control characters and markup in the host (``"><script>``) are refused; what
    a path, query or fragment may hold after percent-encoding is left to
    ``encode_url``.
    """
    if _CONTROL_RE.search(text):
        return t("error.url.control")
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(text.strip())
    except ValueError as exc:
        return t("error.url.not_address", detail=exc)
    host = parts.netloc
    # Letters of other scripts (an IDN host) are the browser's to convert; ASCII must fit.
    ascii_host = host if host.isascii() else "".join(ch for ch in host if ch.isascii())
    if not _HOST_RE.match(ascii_host):
        bad = "".join(sorted({ch for ch in host if ch in '"<>`{}|\\^ '}))
        shown = t("error.url.shown", chars=" ".join(bad)) if bad else ""
        return t("error.url.bad_host", host=host[:60], shown=shown)
    return None


def encode_url(text: str) -> str:
    """``text`` with every character RFC 3986 does not allow percent-encoded (UTF-8),
    and a ``%`` that starts no escape written as ``%25``; valid escapes are kept."""
    from urllib.parse import quote

    if all(ch in _URL_ALLOWED for ch in text) and not _LONE_PERCENT.search(text):
        return text
    return quote(_LONE_PERCENT.sub("%25", text), safe="".join(_URL_ALLOWED))
