"""The message catalogue: both languages for every message, compiled files in step, 万."""

from __future__ import annotations

import io
import re
import string
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from planner import i18n
from planner.i18n import money, reason_text, t, tool_name, use_lang, yuan_exact
from planner.models import Reason
from planner.reasons import REASON_CODES
from planner.tools import Chain, Tool

ROOT = Path(__file__).resolve().parent.parent
PO = {lang: i18n.LOCALE_DIR / loc / "LC_MESSAGES" / "planner.po"
      for lang, loc in i18n.LOCALE_OF.items()}
# t("key") and t('key') with a literal key, anywhere in the code the buyer's words come from.
LITERAL_KEY = re.compile(r"""\bt\(\s*["']([a-z0-9_]+(?:\.[a-z0-9_]+)+)["']""")
# Traditional forms that have crept in before (評贊率) and their usual neighbours.
TRADITIONAL = set("評贊內達競價隨熱務與為們這個會說請對從時點費戶號預設選擇")


def _catalogue(lang: str) -> Catalog:
    with PO[lang].open("rb") as handle:
        return read_po(handle)


def _messages(lang: str) -> dict[str, str]:
    return {str(m.id): str(m.string) for m in _catalogue(lang) if m.id}


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_message_has_chinese_and_english() -> None:
    zh, en = _messages("zh"), _messages("en")
    assert set(zh) == set(en), set(zh) ^ set(en)
    assert not [k for k, v in zh.items() if not v.strip()], "empty Chinese messages"
    assert not [k for k, v in en.items() if not v.strip()], "empty English messages"


def test_both_languages_fill_the_same_named_fields() -> None:
    zh, en = _messages("zh"), _messages("en")
    assert {k: _fields(v) for k, v in zh.items()} == {k: _fields(v) for k, v in en.items()}


def test_compiled_catalogues_match_their_po_sources() -> None:
    """The committed .mo files are what `make messages` compiles from the .po files."""
    for lang in PO:
        compiled = io.BytesIO()
        write_mo(compiled, _catalogue(lang))
        assert PO[lang].with_suffix(".mo").read_bytes() == compiled.getvalue(), (
            f"{PO[lang].with_suffix('.mo')} is stale: run `make messages`")


def test_every_key_the_code_asks_for_is_in_the_catalogue() -> None:
    used: set[str] = set()
    for folder in ("planner", "app"):
        for path in (ROOT / folder).rglob("*.py"):
            used |= set(LITERAL_KEY.findall(path.read_text(encoding="utf-8")))
    assert len(used) > 50
    assert used - set(_messages("zh")) == set()


@pytest.mark.parametrize(("group", "codes"), [
    ("tool", [t.value for t in Tool]),
    ("chain", [c.value for c in Chain]),
    ("tier", ["koc", "tail", "mid", "head", "super_head"]),
    ("mode", ["smart", "targeted"]),
    ("targeting", ["smart", "basic+kol", "basic+interest", "kol", "yuntu"]),
    ("solver", ["highs", "cbc"]),
    ("status", ["optimal", "feasible", "no_spend"]),
    ("change", ["added", "removed", "increased", "decreased", "mode_switched"]),
    ("reason", sorted(REASON_CODES)),
], ids=lambda v: v if isinstance(v, str) else "")
def test_every_code_shown_to_a_buyer_has_a_name(group: str, codes: list[str]) -> None:
    messages = _messages("zh")
    assert [c for c in codes if f"{group}.{c}" not in messages] == []


def test_chinese_messages_use_simplified_characters() -> None:
    found = {k: v for k, v in _messages("zh").items() if set(v) & TRADITIONAL}
    assert found == {}


def test_buyers_terms_for_tools_chains_and_tiers() -> None:
    assert [tool_name(tool) for tool in Tool] == [
        "DOU+", "内容服务", "达人竞价", "随心推", "千川", "信息流", "UD", "千川直播间"]
    assert [t(f"chain.{c.value}") for c in Chain] == ["天猫", "抖音闭环"]
    assert [t(f"tier.{k}") for k in ("super_head", "head", "mid", "tail", "koc")] == [
        "超头", "头部", "腰部", "尾部", "KOC"]


def test_chinese_by_default_english_by_env_or_choice(monkeypatch: pytest.MonkeyPatch) -> None:
    assert t("sheet.schedule") == "排期表"
    monkeypatch.setenv("PLANNER_LANG", "en_US.UTF-8")
    assert t("sheet.schedule") == "Schedule"
    with use_lang("zh"):
        assert t("sheet.schedule") == "排期表"
    assert t("sheet.schedule") == "Schedule"


def test_an_unknown_language_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown language"):
        i18n.set_lang("fr")


def test_a_missing_message_fails_under_strict_and_shows_its_key_otherwise(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with pytest.raises(KeyError, match=r"no\.such\.key"):
        t("no.such.key")
    monkeypatch.delenv(i18n.STRICT_ENV_VAR)
    assert t("no.such.key") == "no.such.key"


def test_messages_fill_named_fields() -> None:
    assert t("cli.wrote", path="out/plan.xlsx") == "已写入 out/plan.xlsx"
    with use_lang("en"):
        assert t("cli.wrote", path="out/plan.xlsx") == "wrote out/plan.xlsx"


@pytest.mark.parametrize(("amount", "zh", "en"), [
    (3_000_000, "300.0万", "¥3.00M"),
    (2_999_633, "300.0万", "¥3.00M"),
    (150_000, "15.0万", "¥150.0k"),
    (8_500, "¥8,500", "¥8,500"),
    (-250_000, "-25.0万", "¥-250.0k"),
])
def test_large_amounts_read_in_wan(amount: float, zh: str, en: str) -> None:
    assert money(amount, "zh") == zh
    assert money(amount, "en") == en


def test_exact_yuan_keeps_every_yuan() -> None:
    assert yuan_exact(2_999_633) == "¥2,999,633"


def test_a_reason_renders_from_its_code_and_named_parameters() -> None:
    rule = Reason(code="targeted_over_15_days", text="targeted: published 19 days ago (>15)")
    assert reason_text(rule) == "定向投放：视频发布已超过15天"
    with use_lang("en"):
        assert reason_text(rule) == rule.text  # the rule's own sentence, with its figures
    assert reason_text(Reason(code="not_in_catalogue", text="as written")) == "as written"
