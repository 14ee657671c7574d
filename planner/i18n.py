"""The one message catalogue: every word a buyer reads, in Chinese (default) and English.

Messages are gettext catalogues managed with Babel::

    planner/locale/zh_CN/LC_MESSAGES/planner.po   Chinese (the default)
    planner/locale/en/LC_MESSAGES/planner.po      English

The ``.po`` files are the sources; the compiled ``.mo`` files beside them are
committed so a fresh clone works without a build step, and
``tests/test_i18n.py`` fails when a ``.mo`` no longer matches its ``.po``
(``make messages`` recompiles them) or when a message lacks either language.

Message ids are stable keys (``sheet.schedule``, ``reason.roi_above_floor``),
never English sentences: the English text can change without touching code.
Texts are ``str.format`` templates with named fields::

    t("cli.wrote", path=path)                  # "已写入 {path}" / "wrote {path}"
    t("reason.roi_above_floor", roi=2.1, floor=1.2)

The planner's own sentences (what binds, the assumptions, the ROI floor's
source) are ``planner.models.Line`` codes with figures, said by ``line_text``
from ``line.<code>`` templates whose fields format the figures themselves::

    line_text(("budget_full", {"budget": 3_000_000}))  # "预算 3,000,000 元已全部分配。"

Which language: ``use_lang`` / ``set_lang`` (the CLI's ``--lang``, the web
app's switch) for the current context, else the ``PLANNER_LANG`` environment
variable, else Chinese. The language is a context variable, so two browser
sessions of the web app never see each other's choice.

Machine contracts never go through here: ``plan.json`` keys, reason codes,
exit codes, CSV column ids and CLI option names stay as they are.
"""

from __future__ import annotations

import gettext
import math
import os
import string
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar, Token
from functools import cache
from pathlib import Path
from typing import Final, Literal, Protocol

__all__ = [
    "DEFAULT_LANG",
    "DOMAIN",
    "LANGS",
    "LOCALE_DIR",
    "Lang",
    "chain_name",
    "current_lang",
    "has",
    "line_text",
    "mode_name",
    "money",
    "money_axis_divisor",
    "parse_lang",
    "reason_text",
    "set_lang",
    "status_name",
    "t",
    "tier_name",
    "tool_name",
    "use_lang",
    "yuan_exact",
]

Lang = Literal["zh", "en"]
LANGS: Final[tuple[Lang, ...]] = ("zh", "en")
DEFAULT_LANG: Final[Lang] = "zh"
DOMAIN: Final = "planner"
LOCALE_DIR: Final = Path(__file__).resolve().parent / "locale"
# gettext's folder name for each language.
LOCALE_OF: Final[dict[Lang, str]] = {"zh": "zh_CN", "en": "en"}
ENV_VAR: Final = "PLANNER_LANG"
# Set (to anything) to make a missing message an error instead of showing its key.
STRICT_ENV_VAR: Final = "PLANNER_I18N_STRICT"

# 1 万 = 10,000 yuan; amounts from this size up read better in 万.
WAN: Final = 10_000.0
_WAN_FROM: Final = 100_000.0

_LANG: ContextVar[Lang | None] = ContextVar("planner_lang", default=None)


def parse_lang(text: str | None) -> Lang | None:
    """'en', 'en_US.UTF-8', 'zh', 'zh-CN', '中文' -> a language; None if not one of ours."""
    if not text:
        return None
    key = text.strip().lower().replace("-", "_")
    if key.startswith("en") or key == "english":
        return "en"
    if key.startswith("zh") or key in ("cn", "中文", "chinese"):
        return "zh"
    return None


def current_lang() -> Lang:
    """The language chosen for this context, else ``PLANNER_LANG``, else Chinese."""
    chosen = _LANG.get()
    if chosen is not None:
        return chosen
    return parse_lang(os.environ.get(ENV_VAR)) or DEFAULT_LANG


def set_lang(lang: Lang | str | None) -> Token[Lang | None]:
    """Choose the language for the rest of this context (None: back to the environment)."""
    parsed = parse_lang(lang) if lang is not None else None
    if lang is not None and parsed is None:
        raise ValueError(f"unknown language {lang!r}: use one of {', '.join(LANGS)}")
    return _LANG.set(parsed)


@contextmanager
def use_lang(lang: Lang | str | None) -> Iterator[None]:
    """Within the block, messages are in ``lang`` (None: the environment's)."""
    token = set_lang(lang)
    try:
        yield
    finally:
        _LANG.reset(token)


@cache
def _catalogue(lang: Lang) -> gettext.GNUTranslations:
    path = LOCALE_DIR / LOCALE_OF[lang] / "LC_MESSAGES" / f"{DOMAIN}.mo"
    with path.open("rb") as handle:
        return gettext.GNUTranslations(handle)


def _lookup(key: str, lang: Lang) -> str | None:
    text = _catalogue(lang).gettext(key)
    return None if text == key else text


def has(key: str, lang: Lang | None = None) -> bool:
    """Whether the catalogue has ``key`` in ``lang`` (default: the current language)."""
    return _lookup(key, lang or current_lang()) is not None


def t(key: str, /, **params: object) -> str:
    """The message ``key`` in the current language, its ``{fields}`` filled from ``params``.

    A missing key shows as the key itself (and raises under ``PLANNER_I18N_STRICT``,
    which the tests set), so a gap is visible rather than an empty label.
    """
    lang = current_lang()
    text = _lookup(key, lang)
    if text is None:
        if os.environ.get(STRICT_ENV_VAR):
            raise KeyError(f"message {key!r} is missing in {lang}")
        return key
    return text.format(**params) if params else text


# ------------------------------------------------------------------ money for people


def _finite(amount: float) -> bool:
    return isinstance(amount, int | float) and math.isfinite(amount)


def yuan_exact(amount: float) -> str:
    """Exact whole yuan for orders, the grid and downloads: '¥2,999,633'."""
    if not _finite(amount):
        return "-"
    return f"¥{amount:,.0f}"


def money(amount: float, lang: Lang | None = None) -> str:
    """An amount as a buyer reads it at a glance.

    Chinese: '300.0万' from 100,000 yuan up (one decimal), whole yuan below
    ('¥8,500'). English: '¥3.00M', '¥250.0k' and whole yuan below 10,000.
    """
    if not _finite(amount):
        return "-"
    lang = lang or current_lang()
    size = abs(amount)
    if lang == "zh":
        if size >= _WAN_FROM:
            return f"{amount / WAN:,.1f}万"
        return f"¥{amount:,.0f}"
    if size >= 1_000_000:
        return f"¥{amount / 1_000_000:,.2f}M"
    if size >= 10_000:
        return f"¥{amount / 1_000:,.1f}k"
    return f"¥{amount:,.0f}"


def money_axis_divisor(lang: Lang | None = None) -> tuple[float, str]:
    """(divisor, unit key) for chart axes: yuan in 万 for Chinese, in thousands for English."""
    return (WAN, "unit.wan") if (lang or current_lang()) == "zh" else (1_000.0, "unit.k_yuan")


# ------------------------------------------------------------------ names of codes


def _named(group: str, code: object) -> str:
    """The buyer's word for a code ('tool', 'dou_plus' -> 'DOU+'); unknown codes as they are."""
    text = str(getattr(code, "value", code) or "")
    if not text:
        return ""
    key = f"{group}.{text}"
    return t(key) if has(key) else text


def tool_name(tool: object) -> str:
    """DOU+, 内容服务, 达人竞价, 随心推, 千川, 信息流, UD (or the English names)."""
    return _named("tool", tool)


def chain_name(chain: object) -> str:
    """天猫 / 抖音闭环 (or the English names)."""
    return _named("chain", chain)


def tier_name(tier: object) -> str:
    """超头, 头部, 腰部, 尾部, KOC (or the English names)."""
    return _named("tier", tier)


def mode_name(mode: object) -> str:
    """智能投放 / 定向投放 (smart / targeted); empty for no mode."""
    return _named("mode", mode)


def targeting_name(targeting: object) -> str:
    """The targeting package or strategy as buyers name it: 基础+达人相似, 智能投放, 云图人群;
    empty for none."""
    return _named("targeting", targeting)


def solver_name(solver: object) -> str:
    """The solver backend by its own name: HiGHS, CBC."""
    return _named("solver", solver)


def status_name(status: object) -> str:
    """The solver status as words: 最优, 可行, 无投放."""
    return _named("status", status)


class _ReasonLike(Protocol):
    code: str
    text: str


def _roi_source(source: object) -> str:
    return _named("roi_source", source)


def _roi_basis(basis: object) -> str:
    return _named("roi_basis", basis)


def _change_kind(kind: object) -> str:
    return _named("change", kind)


def phase_name(phase: object) -> str:
    """A sale phase as buyers say it: 蓄水/预热期, 预售期, 爆发期, 返场, 大促前."""
    return _named("phase", phase)


def _id_list(ids: object) -> str:
    """Ids stored joined with ", " (a plan's figures), joined as the language lists them (、)."""
    return t("list.sep").join(str(ids).split(", "))


# Parameters that hold a code, said in words: the tool, the tier, ...; lists of ids.
_PARAM_WORDS: Final[dict[str, Callable[[object], str]]] = {
    "tool": tool_name,
    "tier": tier_name,
    "source": _roi_source,
    "basis": _roi_basis,
    "kind": _change_kind,
    "phase": phase_name,
    "videos": _id_list,
    "kols": _id_list,
}


def reason_text(reason: _ReasonLike, params: Mapping[str, object] | None = None) -> str:
    """A decision's sentence in the current language, from its code and figures.

    ``reason.<code>`` in the catalogue is a template with named fields, filled
    from ``params`` (or the reason's own ``params``), e.g. ``{"days": 19,
    "limit": 15}`` for ``targeted_over_15_days`` gives "定向投放：视频发布已19天
    （超过15天）"; ``params["form"]`` picks the variant ``reason.<code>.<form>``.
    Codes (``tool``, ``tier``, ``source``, ``kind``) are said in words.

    English fills the same template, so tools read by name ("Dou+", not the id
    ``dou_plus`` that the rule's own sentence, ``reason.text``, keeps for scripts).
    Without figures, or with figures the template cannot use (a plan written before
    they were recorded), English keeps the rule's own sentence and Chinese says what
    the code means (``reason_meaning.<code>``, else a ``reason.<code>`` without fields).
    """
    found = params if params is not None else getattr(reason, "params", None)
    code = reason.code
    if found:
        form = found.get("form")
        key = f"reason.{code}.{form}" if form else f"reason.{code}"
        if has(key):
            fields = {name: _PARAM_WORDS[name](value) if name in _PARAM_WORDS else value
                      for name, value in found.items() if name != "form"}
            try:
                return t(key, **fields)
            except (KeyError, IndexError, ValueError, TypeError):
                pass  # figures of another shape: fall back to the code's meaning
    if current_lang() == "en":
        return reason.text
    if has(f"reason_meaning.{code}"):
        return t(f"reason_meaning.{code}")
    if has(f"reason.{code}") and not _has_fields(t(f"reason.{code}")):
        return t(f"reason.{code}")
    return reason.text


class _LineLike(Protocol):
    @property
    def code(self) -> str: ...
    @property
    def params(self) -> Mapping[str, object] | None: ...


def _segments(params: Mapping[str, object]) -> str:
    """'w1', 'r1', 'w2', 'r2', ...: the segments of diminishing returns, in words."""
    parts: list[str] = []
    i = 1
    while f"w{i}" in params and f"r{i}" in params:
        parts.append(t("line.segment", width=params[f"w{i}"], roi=params[f"r{i}"]))
        i += 1
    return t("line.list_sep").join(parts)


# A sentence as its code and figures: a ``planner.models.Line``, or (code, params).
LimitLike = _LineLike | tuple[str, Mapping[str, object] | None]


def line_text(line: LimitLike) -> str:
    """One of the planner's own sentences (``planner.models.Line``) in the current language.

    ``line.<code>`` (``line.<code>.<form>`` when ``params["form"]`` is given) is a
    template whose fields format the stored figures themselves (``{budget:,}``,
    ``{share:.0%}``); a ``tool`` is said in words, numbered segments ``w1``/``r1``...
    become ``{segments}``. A code the catalogue lacks shows as its key.
    """
    return _templated("line", line)


def limit_text(limit: LimitLike) -> str:
    """A limit of the optimiser's (a named row: the budget, a cap, a share) in words, from
    its code and figures (``error.limit.<code>`` in the catalogue)."""
    return _templated("error.limit", limit)


def _templated(prefix: str, line: LimitLike) -> str:
    code, found = line if isinstance(line, tuple) else (line.code, line.params)
    params = dict(found or {})
    form = params.pop("form", None)
    key = f"{prefix}.{code}.{form}" if form else f"{prefix}.{code}"
    fields: dict[str, object] = {name: _PARAM_WORDS[name](value) if name in _PARAM_WORDS
                                 else value for name, value in params.items()}
    if "w1" in params:
        fields["segments"] = _segments(params)
    return t(key, **fields)


@cache
def _has_fields(text: str) -> bool:
    return any(name is not None for _, name, _, _ in string.Formatter().parse(text))
