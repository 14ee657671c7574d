"""Steps shared by the Streamlit AppTest suites."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest


def click(at: AppTest, key: str) -> AppTest:
    """Press the button with ``key``, rerun, and require a page without an exception."""
    at.button(key=key).click().run()
    assert not at.exception
    return at
