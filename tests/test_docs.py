"""docs/reference.md's tables are generated: they must match the code they describe."""

import importlib
from pathlib import Path

import pytest

from planner.docs import (
    BLOCKS,
    cli_reference_markdown,
    config_reference_markdown,
    exit_codes_markdown,
    plan_json_markdown,
    reason_codes_markdown,
    refresh_reference,
)
from planner.errors import PlannerError, PlanRuleError, PortfolioError, StoreUnreachableError
from planner.i18n import use_lang

REFERENCE = (Path(__file__).parent.parent / "docs" / "reference.md").read_text(encoding="utf-8")


def test_reference_lists_every_config_key_with_its_current_default():
    assert config_reference_markdown().strip() in REFERENCE


def test_reference_lists_every_reason_code():
    assert reason_codes_markdown().strip() in REFERENCE


def test_reference_lists_every_command_and_option_of_the_cli():
    assert cli_reference_markdown().strip() in REFERENCE


def test_reference_lists_every_exit_code():
    assert exit_codes_markdown().strip() in REFERENCE


def test_reference_lists_every_field_of_plan_json():
    assert plan_json_markdown().strip() in REFERENCE


def test_regenerating_the_reference_changes_nothing():
    assert refresh_reference(REFERENCE) == REFERENCE


def test_the_cli_reference_is_in_english_whatever_language_imported_the_cli():
    with use_lang("zh"):
        importlib.import_module("planner.cli")
    text = cli_reference_markdown()
    assert "`planner store migrate`" in text
    assert "| `--dry-run` | off |" in text
    assert "输出文件夹" not in text


@pytest.mark.parametrize("error", [StoreUnreachableError, PortfolioError, PlanRuleError],
                         ids=["store-unreachable-7", "portfolio-8", "check-9"])
def test_each_error_is_listed_under_its_own_exit_code(error: type[PlannerError]):
    assert f"| `{error.exit_code}` |" in exit_codes_markdown()
    assert f"`{error.__name__}`" in exit_codes_markdown()


def test_a_page_without_the_generated_blocks_is_refused_naming_where_they_live():
    with pytest.raises(ValueError, match=r"docs/reference\.md"):
        refresh_reference("# README\n")


def test_every_generated_block_has_its_markers_in_the_reference():
    for marker in BLOCKS:
        assert f"<!-- {marker}:start -->" in REFERENCE
        assert f"<!-- {marker}:end -->" in REFERENCE


def test_the_exit_codes_table_lists_only_the_error_tree_whatever_else_is_imported():
    importlib.import_module("planner.optimiser.backends")  # defines a private SolverError
    assert "OutOfTime" not in exit_codes_markdown()
