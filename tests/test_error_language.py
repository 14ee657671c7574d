"""Errors and warnings in the buyer's language: Chinese by default, English on request.

Every problem a buyer can meet is a catalogue message (``error.*`` / ``warn.*``):
the roster reader, the campaign file, the optimiser's infeasibility explanation
and the history store speak Chinese by default and English under ``--lang en``
or ``PLANNER_LANG=en``; no raise in ``planner/`` or ``app/`` carries an English
sentence of its own.
"""

from __future__ import annotations

import ast
import re
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from factories import make_campaign, make_video
from planner.cli import app
from planner.errors import ConfigError, InfeasibleError, InputError, Problem, StoreError
from planner.i18n import line_text, use_lang
from planner.io.campaign_file import read_campaign
from planner.io.roster import read_videos
from planner.io.store import open_store
from planner.planning import make_plan

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_data"
runner = CliRunner()
CJK = re.compile(r"[\u4e00-\u9fff]")

# A roster whose third row says "很多" followers: the buyer's most common slip.
BAD_ROSTER = (
    "视频ID,达人昵称,粉丝数,播放量中位数,发布日期,自然播放量,自然成交额,点赞数,评论数\n"
    "v1,达人A,120000,12000,2026-05-01,300000,20000,1200,80\n"
    "v2,达人B,很多,12000,2026-05-01,300000,20000,1200,80\n"
)


def _bad_roster(tmp_path: Path) -> Path:
    path = tmp_path / "videos.csv"
    path.write_text(BAD_ROSTER, encoding="utf-8")
    return path


def _roster_error(tmp_path: Path) -> str:
    with pytest.raises(InputError) as info:
        read_videos(_bad_roster(tmp_path))
    return str(info.value)


def test_a_roster_problem_is_said_in_chinese_by_default(tmp_path: Path) -> None:
    assert _roster_error(tmp_path) == (
        "videos.csv，第 3 行，「粉丝数」列：'很多' 不是数字。修改：请填整数，例如 25000 或 2.5w。")


def test_a_roster_problem_is_said_in_english_on_request(tmp_path: Path, english: None) -> None:
    assert _roster_error(tmp_path) == (
        "videos.csv, row 3, column '粉丝数': '很多' is not a number. "
        "Fix: Write a whole number, e.g. 25000 or 2.5w.")


def test_many_problems_are_counted_and_cut_in_the_buyer_s_language() -> None:
    problems = [Problem("坏了。", file="videos.csv", row=n) for n in range(2, 30)]
    text = str(InputError(problems))
    assert text.startswith("28 个问题：\n  - videos.csv，第 2 行：坏了。")
    assert text.endswith("……还有 8 个同类问题。")
    with use_lang("en"):
        text = str(InputError(problems))
    assert text.startswith("28 problems:\n  - videos.csv, row 2: 坏了。")
    assert text.endswith("... and 8 more problem(s) of the same kind.")


def _campaign_error(tmp_path: Path) -> str:
    text = (SAMPLE / "campaign_tmall.toml").read_text("utf-8").replace("budget =", "budjet =")
    path = tmp_path / "c.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        read_campaign(path)
    return str(info.value)


def test_a_campaign_file_problem_is_said_in_chinese_by_default(tmp_path: Path) -> None:
    text = _campaign_error(tmp_path)
    assert "c.toml：未知的配置项「budjet」（第 12 行）。修改：是不是「budget」？" in text
    assert "c.toml：「budget」：缺少必填项（这个键没有默认值）。修改：加上这个键和它的值。" in text


def test_a_campaign_file_problem_is_said_in_english_on_request(
        tmp_path: Path, english: None) -> None:
    text = _campaign_error(tmp_path)
    assert "c.toml: Unknown config key 'budjet' (line 12). Fix: Did you mean 'budget'?" in text
    assert "c.toml: 'budget': Field required (this key has no default)." in text


def test_a_bound_from_pydantic_is_said_in_chinese(tmp_path: Path) -> None:
    text = (SAMPLE / "campaign_tmall.toml").read_text("utf-8").replace(
        "budget = 3_000_000", "budget = -5")
    path = tmp_path / "c.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        read_campaign(path)
    assert ("「budget」（第 12 行）：不允许 -5：必须大于 0。修改：请填大于 0 的值。"
            in str(info.value))


def _infeasible() -> InfeasibleError:
    videos = [make_video(video_id=f"v{i}") for i in range(4)]
    commitment = {"video_id": "v1", "tool": "kol_bidding", "start": date(2027, 4, 22),
                  "end": date(2027, 4, 30), "budget": 150_000}
    with pytest.raises(InfeasibleError) as info:
        make_plan(videos, make_campaign(name="春季", budget=100_000, commitments=[commitment]))
    return info.value


def test_an_infeasible_campaign_is_explained_in_chinese_by_default() -> None:
    error = _infeasible()
    assert str(error).startswith("活动「春季」的规则无法同时满足。")
    assert any(c.startswith("预算 100,000 元（已承诺 150,000 元）：差 50,000 元")
               for c in error.conflicts), error.conflicts
    assert "已定订单共 150,000 元，不能改动" in error.conflicts


def test_an_infeasible_campaign_is_explained_in_english_on_request(english: None) -> None:
    error = _infeasible()
    assert str(error).startswith("Campaign '春季' cannot satisfy all its rules at once.")
    assert any(c.startswith("the budget of 100,000 yuan (150,000 already committed): short by "
                            "50,000 yuan") for c in error.conflicts), error.conflicts


def _newer_store_error(tmp_path: Path) -> str:
    store = tmp_path / "h.sqlite"
    with open_store(store) as s, s.connection.begin():
        s.connection.exec_driver_sql("PRAGMA user_version = 99")
    with pytest.raises(StoreError) as info, open_store(store):
        pytest.fail("a store written by a newer planner was opened")
    return str(info.value)


def test_a_store_error_is_said_in_chinese_by_default(tmp_path: Path) -> None:
    assert "是更新版本的规划器写的（schema 99）；请升级规划器。" in _newer_store_error(tmp_path)


def test_a_store_error_is_said_in_english_on_request(tmp_path: Path, english: None) -> None:
    assert "was written by a newer planner (schema 99); upgrade the planner." in (
        _newer_store_error(tmp_path))


def _plan(tmp_path: Path, videos: Path, *lang: str) -> str:
    result = runner.invoke(app, [*lang, "plan", "--campaign", str(SAMPLE / "campaign_tmall.toml"),
                                 "--videos", str(videos), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2, result.output
    assert not (tmp_path / "out").exists()
    return result.output


def test_planner_plan_says_a_bad_cell_in_chinese_and_with_lang_en_in_english(
        tmp_path: Path) -> None:
    videos = _bad_roster(tmp_path)
    chinese = _plan(tmp_path, videos)
    assert "InputError: videos.csv，第 3 行，「粉丝数」列：'很多' 不是数字。修改：" in chinese
    english = _plan(tmp_path, videos, "--lang", "en")
    assert "InputError: videos.csv, row 3, column '粉丝数': '很多' is not a number. Fix:" in english
    assert not CJK.search(english.replace("粉丝数", "").replace("很多", ""))


def test_a_reader_warning_is_said_in_the_buyer_s_language(tmp_path: Path) -> None:
    path = tmp_path / "videos.csv"
    path.write_text(BAD_ROSTER.splitlines()[0] + ",备注\n"
                    + BAD_ROSTER.splitlines()[1] + ",好\n", encoding="utf-8")
    _, notes = read_videos(path)
    assert notes == ["videos.csv：忽略了 1 个规划器用不到的列：'备注'。"]


def test_a_reach_limit_lists_its_videos_with_the_chinese_list_mark() -> None:
    line = ("reach_limit", {"count": 3, "multiple": 100.0, "videos": "v1, v2, v3"})
    assert line_text(line).endswith("v1、v2、v3。")
    with use_lang("en"):
        assert line_text(line).endswith(": v1, v2, v3")


# ------------------------------------------------------------------ no English left in code

# The calls whose text a buyer reads: the error types, Problem, and ValueError where the
# cell parsers and config validators raise it (its text becomes the buyer's message).
_MESSAGE_CALLS = {"Problem", "PlannerError", "InputError", "ConfigError", "InfeasibleError",
                  "SolverError", "StoreError", "StoreDamagedError", "StoreUnreachableError",
                  "PortfolioError"}
_VALUE_ERROR_FILES = {"planner/parsing.py", "planner/config.py"}
_WORD = re.compile(r"[(\[\"']?[A-Za-z][a-z]+[.,;:)\]\"'?!]*")


def _english_sentence(text: str) -> bool:
    """Three or more English words: a sentence, not a code, key or column id."""
    return sum(1 for token in text.split() if _WORD.fullmatch(token)) >= 3


def _call_name(call: ast.Call) -> str | None:
    func = call.func
    if isinstance(func, ast.Name):
        return func.id
    return func.attr if isinstance(func, ast.Attribute) else None


def _literal_sentences(source: str, relative: str) -> list[str]:
    """'file:line: text' of each English literal given to an error or a Problem."""
    calls = _MESSAGE_CALLS | ({"ValueError"} if relative in _VALUE_ERROR_FILES else set())
    found: dict[int, str] = {}
    for call in ast.walk(ast.parse(source)):
        if not isinstance(call, ast.Call):
            continue
        name = _call_name(call)
        if name in calls:
            arguments = [*call.args, *(k.value for k in call.keywords)]
        else:  # message=/fix= handed to a helper that builds a Problem
            arguments = [k.value for k in call.keywords if k.arg in ("message", "fix")]
        for argument in arguments:
            # Text inside t("key", ...) is a catalogue key and its fields.
            inside_t = {id(node) for sub in ast.walk(argument)
                        if isinstance(sub, ast.Call) and _call_name(sub) == "t"
                        for node in ast.walk(sub)}
            found.update({id(node): f"{relative}:{node.lineno}: {node.value!r}"
                          for node in ast.walk(argument)
                          if isinstance(node, ast.Constant) and isinstance(node.value, str)
                          and id(node) not in inside_t and _english_sentence(node.value)})
    return list(found.values())  # a Problem inside an InputError is seen once


def test_the_english_sentence_check_finds_a_literal_message() -> None:
    source = ('raise InputError(Problem(f"the budget is {x} too small", fix="t"))\n'
              'raise InputError(Problem(t("error.x", n=1), fix="Give a larger budget."))\n'
              'raise StoreError(t("error.store.locked", store="the history store here"))\n'
              'raise ValueError(f"{v} is not a number")\n'
              'problems.append(Problem(t("error.y"), column="commitments.video_id"))\n')
    found = _literal_sentences(source, "planner/parsing.py")
    assert [f.split(": ", 1)[0] for f in found] == [
        "planner/parsing.py:1", "planner/parsing.py:2", "planner/parsing.py:4"]
    assert _literal_sentences(source, "planner/kpi.py")[-1].startswith("planner/kpi.py:2")


def test_no_error_in_planner_or_the_app_carries_an_english_sentence_of_its_own() -> None:
    paths = sorted([*(ROOT / "planner").rglob("*.py"), *(ROOT / "app").rglob("*.py")])
    assert len(paths) > 40
    found = [hit for path in paths
             for hit in _literal_sentences(path.read_text("utf-8"),
                                           path.relative_to(ROOT).as_posix())]
    assert found == []
