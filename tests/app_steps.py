"""Steps shared by the Streamlit AppTest suites."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from planner.i18n import current_lang


def click(at: AppTest, key: str) -> AppTest:
    """Press the button with ``key``, rerun, and require a page without an exception."""
    at.button(key=key).click().run()
    assert not at.exception
    return at


def field(at: AppTest, name: str) -> str:
    """The widget key of a Plan-form field: it carries the inputs' fingerprint and language."""
    lang = at.session_state["app.lang"] if "app.lang" in at.session_state else current_lang()
    return f"plan_page.campaign.{at.session_state['plan_page.form_for']}.{lang}.{name}"
