import functools
import os
import sys
import types
from collections.abc import Iterator
from pathlib import Path

import pytest

from planner import i18n
from planner.jobs.cores import one_blas_thread

# The factories module sits beside the tests; make it importable without a package.
sys.path.insert(0, str(Path(__file__).parent))

from postgres_cluster import Cluster, find_bindir, start_cluster, write_password_file

# The modules that take longest (processes, stores, Chromium), longest first. `make test`
# (`--dist loadscope --no-loadscope-reorder`) hands them out before the many quick ones,
# which then fill the gaps: a worker left alone with one of them at the end would keep
# the other waiting. A module missing here only runs later; the order of its tests is kept.
LONGEST_FIRST = (
    "test_browser.py", "test_bad_inputs.py", "test_batch.py", "test_store_faults.py",
    "test_store_backends.py", "test_export_layouts.py", "test_batch_benchmark_smoke.py",
    "test_app.py", "test_store_safety.py", "test_benchmarks_smoke.py", "test_app_zh.py",
    "test_app_replan.py", "test_replan_booked.py", "test_solver_faults.py",
    "test_schedule_sheet.py", "test_replan_accounting.py", "test_checks.py",
    "test_atomic_kill.py",
)


def pytest_configure(config: pytest.Config) -> None:
    one_blas_thread()  # as the planner command and the app run (pytest-xdist fills the cores)
    _streamlit_prepares_the_app_once()


def _streamlit_prepares_the_app_once() -> None:
    """Each AppTest run has Streamlit compile the app's page scripts again (read, parse,
    rewrite for its "magic", compile: about a seventh of the app tests' CPU), and each new
    AppTest look through every installed package's metadata for components. Neither the
    scripts nor the installed packages change while the tests run, so both are done once
    per process: one script cache shared by every run, one look-up of the packages.
    """
    from streamlit.components.v2 import manifest_scanner
    from streamlit.runtime.scriptrunner.script_cache import ScriptCache
    from streamlit.testing.v1 import app_test

    manifest_scanner.scan_component_manifests = functools.cache(  # type: ignore[assignment]
        manifest_scanner.scan_component_manifests)
    shared = ScriptCache()
    app_test.ScriptCache = lambda: shared  # type: ignore[assignment,misc]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    rank = {name: place for place, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))  # stable: order kept


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


@pytest.fixture
def app_stores(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The app keeps its history stores in the test's folder (``PLANNER_APP_STORES``)."""
    monkeypatch.setenv("PLANNER_APP_STORES", str(tmp_path))
    monkeypatch.delenv("PLANNER_APP_STORE_URLS", raising=False)
    return tmp_path


@pytest.fixture(scope="session")
def postgres_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """A throw-away PostgreSQL cluster, started on first use and removed at the end.

    The planner finds the password as a buyer's cron job would: in a password file
    (``PGPASSFILE``); no URL the tests use carries it.
    """
    bindir = find_bindir()
    if bindir is None:
        message = ("PostgreSQL server binaries not found: `make test` installs Debian's "
                   "postgresql package (apt-get install postgresql)")
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    cluster = start_cluster(bindir)
    try:
        with pytest.MonkeyPatch.context() as env:
            env.setenv("PGPASSFILE",
                       str(write_password_file(cluster, tmp_path_factory.mktemp("pgpass"))))
            env.delenv("PGPASSWORD", raising=False)
            yield cluster
    finally:
        cluster.stop()


@pytest.fixture
def pg_store(postgres_cluster: Cluster) -> str:
    """The URL of a new, empty PostgreSQL database for this test alone."""
    return postgres_cluster.new_database()


@pytest.fixture(params=["sqlite", "postgresql"])
def any_store(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A new history store on each back end: a SQLite file path, or a PostgreSQL URL."""
    if request.param == "sqlite":
        return str(tmp_path / "h.sqlite")
    return str(request.getfixturevalue("pg_store"))


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
