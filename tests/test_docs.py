"""The README's reference tables are generated: they must match the code."""

from pathlib import Path

from planner.docs import config_reference_markdown, reason_codes_markdown

README = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")


def test_readme_lists_every_config_key_with_its_current_default():
    assert config_reference_markdown().strip() in README


def test_readme_lists_every_reason_code():
    assert reason_codes_markdown().strip() in README
