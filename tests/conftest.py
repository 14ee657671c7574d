import sys
import types
from collections.abc import Iterator
from pathlib import Path

import pytest

from planner import i18n

# The factories module sits beside the tests; make it importable without a package.
sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture(autouse=True)
def _messages(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every test starts in the default language (Chinese), and a missing message fails it."""
    monkeypatch.delenv(i18n.ENV_VAR, raising=False)
    monkeypatch.setenv(i18n.STRICT_ENV_VAR, "1")
    token = i18n.set_lang(None)
    yield
    i18n._LANG.reset(token)


@pytest.fixture
def english(monkeypatch: pytest.MonkeyPatch) -> None:
    """Run a test in English (``PLANNER_LANG=en``), as tests written before Chinese did."""
    monkeypatch.setenv(i18n.ENV_VAR, "en")


@pytest.fixture(scope="module")
def plain_main() -> Iterator[None]:
    """A ``__main__`` with no script behind it, for tests that start worker processes.

    Streamlit's AppTest (the app tests) leaves the app script as ``__main__``, and a
    process pool's or Dask's new worker process runs the parent's ``__main__`` script
    again (multiprocessing's spawn and forkserver), which fails outside Streamlit.
    """
    main = sys.modules["__main__"]
    sys.modules["__main__"] = types.ModuleType("__main__")
    yield
    sys.modules["__main__"] = main
