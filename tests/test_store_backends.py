"""The history store on PostgreSQL keeps SQLite's promises: same plans, queued runs,
exact migration both ways, and a clear exit code when the server cannot be used."""

from __future__ import annotations

import socket
import sqlite3
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from store_runs import (
    NAME,
    START,
    actuals_file,
    campaign_files,
    cli,
    replan_args,
    run_all,
    state,
)
from typer.testing import CliRunner

from planner.cli import app
from planner.errors import StoreError, StoreUnreachableError
from planner.io.store import open_store
from planner.io.store_schema import APPLICATION_ID, SCHEMA_VERSION
from planner.jobs.replan import run_replan
from planner.models import Plan

DAY = START + timedelta(days=1)


def _run(*args: str) -> Any:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result


def _plan_and_replan_twice(root: Path, store: str) -> list[Plan]:
    """Day 0 plan recorded, then the same day's actuals re-planned twice."""
    campaign, videos, ids = campaign_files(root, 25)
    actuals = actuals_file(root / "a.csv", [(START, ids[0], "dou_plus", 500.0, 900.0),
                                            (START, ids[1], "dou_plus", 800.0, 2400.0)])
    _run("plan", "--campaign", str(campaign), "--videos", str(videos), "--out",
         str(root / "day0"), "--store", store)
    for run in ("r1", "r2"):
        _run("replan", "--campaign", str(campaign), "--videos", str(videos), "--actuals",
             str(actuals), "--date", str(DAY), "--store", store, "--out", str(root / run))
    return [Plan.model_validate_json((root / run / "plan.json").read_text("utf-8"))
            for run in ("day0", "r1", "r2")]


def _to_the_yuan(plan: Plan) -> dict[str, object]:
    return {
        "orders": [(o.video_id, o.tool, o.start_date, o.end_date, round(o.budget), o.fixed)
                   for o in plan.orders],
        "daily": [(d.date, d.video_id, d.tool, round(d.spend)) for d in plan.daily],
        "totals": (round(plan.total_spend), round(plan.expected_gmv)),
        "changes": [(c.video_id, c.tool, c.kind, round(c.new_budget)) for c in plan.changes],
        "topups": [(t.video_id, t.date, t.hours, round(t.budget)) for t in plan.topups],
    }


@pytest.mark.slow
def test_plans_on_postgresql_equal_the_sqlite_plans_to_the_yuan(tmp_path, pg_store):
    (tmp_path / "sqlite").mkdir()
    (tmp_path / "pg").mkdir()
    on_sqlite = _plan_and_replan_twice(tmp_path / "sqlite", str(tmp_path / "h.sqlite"))
    on_postgres = _plan_and_replan_twice(tmp_path / "pg", pg_store)
    assert [_to_the_yuan(p) for p in on_postgres] == [_to_the_yuan(p) for p in on_sqlite]
    assert _to_the_yuan(on_postgres[1]) == _to_the_yuan(on_postgres[2])
    with open_store(pg_store) as s:
        stored = s.actuals(NAME)
        assert len(stored) == 2  # the second re-plan's rows were already there
        assert s.audit_rows(NAME) == 0 and s.plan_count(NAME) == 3


@pytest.mark.slow
def test_ten_concurrent_replans_exit_0_or_5_and_lose_or_duplicate_no_row(
        tmp_path, any_store, english):
    campaign, videos, ids = campaign_files(tmp_path, 25)
    runs = []
    for i in range(10):
        rows = [(START, ids[i], "dou_plus", 200.0 + i, 500.0 + i),
                (START, ids[24], "dou_plus", 1000.0, 2500.0)]  # every run brings this one
        runs.append(replan_args(campaign, videos, actuals_file(tmp_path / f"a{i}.csv", rows),
                                DAY, any_store, "--lock-timeout", "1"))
    outcomes = [(run.code, run.stderr) for run in run_all(*runs)]
    assert {code for code, _ in outcomes} <= {0, 5}, outcomes
    assert all("locked by another run" in err for code, err in outcomes if code == 5)
    recorded = {ids[i] for i, (code, _) in enumerate(outcomes) if code == 0}
    with open_store(any_store) as s:
        stored = s.actuals(NAME)
        assert not stored.duplicated(["date", "video_id", "tool"]).any()
        # Exactly the rows of the runs that finished, and the shared row once.
        assert set(stored["video_id"]) == recorded | ({ids[24]} if recorded else set())
        assert s.plan_count(NAME) == len(recorded)
        assert s.audit_rows(NAME) == 0


def _sqlite_rows(path: Path) -> dict[str, list[tuple[object, ...]]]:
    db = sqlite3.connect(path)
    try:
        return {table: db.execute(f"SELECT * FROM {table} ORDER BY 1, 2, 3, 4").fetchall()
                for table in ("plans", "orders", "actuals", "actuals_audit")}
    finally:
        db.close()


@pytest.mark.slow
def test_migrating_sqlite_to_postgresql_and_back_gives_identical_rows(tmp_path, pg_store):
    campaign, videos, ids = campaign_files(tmp_path, 25)
    history = tmp_path / "history.sqlite"
    _run("plan", "--campaign", str(campaign), "--videos", str(videos), "--out",
         str(tmp_path / "day0"), "--store", str(history))
    first = actuals_file(tmp_path / "a.csv", [(START, ids[0], "dou_plus", 500.5, 900.25),
                                              (START, ids[1], "dou_plus", 800.0, 2400.0)])
    restated = actuals_file(tmp_path / "b.csv", [(START, ids[0], "dou_plus", 500.5, 1000.0)])
    for actuals in (first, restated):
        assert run_replan(campaign, videos, actuals, DAY, str(history), None).plan
    original = _sqlite_rows(history)
    assert [len(original[t]) for t in ("plans", "actuals", "actuals_audit")] == [3, 2, 1]

    there = _run("store", "migrate", str(history), pg_store)
    back = tmp_path / "back.sqlite"
    again = _run("store", "migrate", pg_store, str(back))
    assert _sqlite_rows(back) == original
    # Row counts and checksums are printed, the same both ways.
    assert there.output.splitlines()[1:] == again.output.splitlines()[1:]
    assert "actuals_audit" in there.output and "1 行" in there.output  # Chinese by default
    # New plan versions go on from the copied ones on both sides.
    with open_store(pg_store) as pg, open_store(back) as lite:
        numbers = {pg.plan_count(NAME), lite.plan_count(NAME)}
    assert numbers == {3}
    for store in (pg_store, str(back)):
        run_replan(campaign, videos, first, DAY, store, None)
        with open_store(store) as s:
            assert s.plan_count(NAME) == 4
    assert _sqlite_rows(back)["plans"][-1][0] == 4


def test_migrating_into_a_store_that_holds_a_history_is_refused(tmp_path, pg_store, english):
    campaign, videos, ids = campaign_files(tmp_path, 10)
    actuals = actuals_file(tmp_path / "a.csv", [(START, ids[0], "dou_plus", 500, 900)])
    run_replan(campaign, videos, actuals, DAY, pg_store, None)
    run_replan(campaign, videos, actuals, DAY, str(tmp_path / "h.sqlite"), None)
    result = CliRunner().invoke(app, ["store", "migrate", str(tmp_path / "h.sqlite"), pg_store])
    assert result.exit_code == 2
    assert "already holds a history (1 plans, 1 actuals rows)" in result.output
    assert state(pg_store) == (1, 1)


@pytest.mark.slow
def test_migration_copies_a_batch_at_a_time_and_the_copy_is_equal(
    tmp_path: Path, any_store: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rows go across ``_BATCH`` at a time (2 here): the copy never holds the history."""
    from planner.io import store_copy

    campaign, videos, ids = campaign_files(tmp_path, 10)
    history = tmp_path / "history.sqlite"
    actuals = actuals_file(tmp_path / "a.csv", [(START, ids[0], "dou_plus", 500.5, 900.25),
                                                (START, ids[1], "dou_plus", 800.0, 2400.0),
                                                (START, ids[2], "dou_plus", 300.0, 0.0)])
    run_replan(campaign, videos, actuals, DAY, str(history), None)
    run_replan(campaign, videos, actuals, DAY, str(history), None)
    monkeypatch.setattr(store_copy, "_BATCH", 2)
    batches: list[int] = []
    read = store_copy._batches

    def counted(connection: Any, table: Any) -> Any:
        for batch in read(connection, table):
            batches.append(len(batch))
            yield batch

    monkeypatch.setattr(store_copy, "_batches", counted)
    target = any_store if any_store.startswith("postgresql") else str(tmp_path / "copy.sqlite")
    sums = store_copy.migrate_store(history, target)
    assert max(batches) == 2 and len(batches) > 2 * len(sums)
    with open_store(history) as source, open_store(target) as copy:
        assert store_copy.history_sums(copy.connection) == sums
        assert store_copy.history_sums(source.connection) == sums
    assert sum(s.rows for s in sums) >= 9


def test_a_batch_of_long_rows_is_cut_by_its_text(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """A plan's row carries its whole plan.json: a batch stops at ``_BATCH_TEXT``
    characters, however few rows it holds."""
    from planner.io import store_copy

    campaign, videos, ids = campaign_files(tmp_path, 10)
    history = tmp_path / "history.sqlite"
    actuals = actuals_file(tmp_path / "a.csv", [(START, ids[0], "dou_plus", 500.0, 900.0)])
    for _ in range(3):
        run_replan(campaign, videos, actuals, DAY, str(history), None)
    monkeypatch.setattr(store_copy, "_BATCH_TEXT", 1)
    with open_store(history) as source:
        plans = next(t for t in store_copy.HISTORY_TABLES if t.name == "plans")
        sizes = [len(b) for b in store_copy._batches(source.connection, plans)]
    assert sizes == [1, 1, 1]
    assert store_copy.migrate_store(history, tmp_path / "copy.sqlite")[0].rows >= 1


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])  # nothing listens there once it is closed


@pytest.mark.slow
def test_an_unreachable_server_exits_7_with_one_line_and_writes_nothing(tmp_path, english):
    campaign, videos, ids = campaign_files(tmp_path, 10)
    store = f"postgresql://planner@127.0.0.1:{_closed_port()}/planner"
    actuals = actuals_file(tmp_path / "a.csv", [(START, ids[0], "dou_plus", 500, 900)])
    for code, _, stderr in run_all(
        replan_args(campaign, videos, actuals, DAY, store, "--out", str(tmp_path / "r")),
        cli("plan", "--campaign", str(campaign), "--videos", str(videos), "--out",
            str(tmp_path / "p"), "--store", store),
    ):
        assert code == 7, stderr
        lines = stderr.strip().splitlines()
        assert len(lines) == 1, lines
        assert lines[0].startswith(f"StoreUnreachableError: Cannot connect to the history "
                                   f"store {store}: ")
        assert "Connection refused" in lines[0] and "PGPASSWORD or ~/.pgpass" in lines[0]
    assert not (tmp_path / "r").exists() and not (tmp_path / "p").exists()


@pytest.mark.slow
def test_bad_credentials_exit_7_and_the_password_is_never_shown(tmp_path, postgres_cluster,
                                                                 monkeypatch):
    campaign, videos, ids = campaign_files(tmp_path, 10)
    actuals = actuals_file(tmp_path / "a.csv", [(START, ids[0], "dou_plus", 500, 900)])
    monkeypatch.setenv("PGPASSWORD", "not-the-password")  # libpq takes it before PGPASSFILE
    in_url = postgres_cluster.url().replace("planner@", "planner:wrong-secret@")
    stores = ((postgres_cluster.url(), "not-the-password"), (in_url, "wrong-secret"))
    results = run_all(*(replan_args(campaign, videos, actuals, DAY, store)
                        for store, _ in stores))
    for (_, secret), (code, stdout, stderr) in zip(stores, results, strict=True):
        assert code == 7, stderr
        assert "password authentication failed" in stderr
        assert secret not in stderr + stdout
        assert "Traceback" not in stderr
    assert "planner:***@127.0.0.1" in stderr  # masked, and warned about


def test_campaigns_in_one_postgresql_store_do_not_wait_for_each_other(pg_store, english):
    with open_store(pg_store) as one, one.transaction("campaign A"), \
            open_store(pg_store, timeout=0.2) as other:
        with other.transaction("campaign B"):  # another campaign goes ahead at once
            assert other.plan_count("campaign B") == 0
        with pytest.raises(StoreError, match="locked by another run"), \
                other.transaction("campaign A"):
            pytest.fail("campaign A's lock was taken twice")
        # The whole store waits for every campaign.
        with pytest.raises(StoreError, match="locked by another run"), other.transaction():
            pytest.fail("the whole store was locked while campaign A ran")


def test_a_connection_lost_mid_run_exits_7_and_records_nothing(pg_store, postgres_cluster, english):
    row = pd.DataFrame([{"date": START, "video_id": "v1", "tool": "dou_plus", "spend": 500.0,
                         "gmv": 900.0, "plays": 20_000.0}])
    with pytest.raises(StoreUnreachableError, match="Lost the connection") as lost, \
            open_store(pg_store) as s, s.transaction(NAME):
        s.ingest_actuals(NAME, row, "a.csv")
        backend = s.connection.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()
        with postgres_cluster.admin() as admin:  # the server restarts, a DBA ends it...
            admin.execute("SELECT pg_terminate_backend(%s)", (backend,))
        s.plan_count(NAME)
    assert lost.value.exit_code == 7
    assert state(pg_store) == (0, 0)


def test_a_database_of_another_application_is_refused(postgres_cluster, pg_store, english):
    with postgres_cluster.admin(pg_store.rsplit("/", 1)[1]) as db:
        db.execute("CREATE TABLE orders (id integer)")  # e.g. the shop's own orders
    with pytest.raises(StoreError, match="not a planner history store") as refused, \
            open_store(pg_store):
        pytest.fail("another application's database was opened as a store")
    assert refused.value.exit_code == 6  # damaged or foreign: not "locked"


def test_a_store_from_a_newer_planner_is_refused(any_store, english):
    with open_store(any_store) as s, s.connection.begin():
        s.connection.exec_driver_sql("PRAGMA user_version = 99" if s.path is not None
                                     else "UPDATE planner_schema SET version = 99")
    with pytest.raises(StoreError, match=r"newer planner \(schema 99\)"), open_store(any_store):
        pytest.fail("a store written by a newer planner was opened")


# The schema as the SQLite-only planner created it, byte for byte.
_SQLITE_V1 = """
CREATE TABLE actuals (campaign TEXT NOT NULL, date TEXT NOT NULL, video_id TEXT NOT NULL,
    tool TEXT NOT NULL, spend REAL NOT NULL, gmv REAL NOT NULL, plays REAL NOT NULL,
    orders REAL, clicks REAL, likes REAL, comments REAL, source TEXT NOT NULL,
    ingested_at TEXT NOT NULL, PRIMARY KEY (campaign, date, video_id, tool));
CREATE TABLE actuals_audit (id INTEGER PRIMARY KEY AUTOINCREMENT, campaign TEXT NOT NULL,
    date TEXT NOT NULL, video_id TEXT NOT NULL, tool TEXT NOT NULL, old_row TEXT NOT NULL,
    new_row TEXT NOT NULL, source TEXT NOT NULL, replaced_at TEXT NOT NULL);
CREATE TABLE plans (id INTEGER PRIMARY KEY AUTOINCREMENT, campaign TEXT NOT NULL,
    plan_date TEXT NOT NULL, created_at TEXT NOT NULL, campaign_json TEXT NOT NULL,
    videos_sha256 TEXT NOT NULL, actuals_sha256 TEXT NOT NULL, plan_json TEXT NOT NULL);
CREATE INDEX plans_by_date ON plans (campaign, plan_date, id);
CREATE TABLE orders (plan_id INTEGER NOT NULL REFERENCES plans(id), position INTEGER NOT NULL,
    video_id TEXT NOT NULL, tool TEXT NOT NULL, start_date TEXT NOT NULL,
    end_date TEXT NOT NULL, booking_date TEXT NOT NULL, budget REAL NOT NULL,
    status TEXT NOT NULL, PRIMARY KEY (plan_id, position));
INSERT INTO actuals VALUES ('stress', '2027-04-21', 'v1', 'dou_plus', 500.0, 900.0, 20000.0,
    NULL, NULL, NULL, NULL, 'old.csv', '2027-04-22T07:30:00+00:00');
PRAGMA user_version = 1;
"""


def test_a_sqlite_store_made_before_postgresql_support_opens_with_its_history(tmp_path):
    path = tmp_path / "old.sqlite"
    db = sqlite3.connect(path)
    db.executescript(_SQLITE_V1)
    db.close()
    with open_store(path) as s:
        stored = s.actuals(NAME)
        assert stored[["video_id", "spend", "gmv"]].values.tolist() == [["v1", 500.0, 900.0]]
        with s.transaction(NAME):
            counts = s.ingest_actuals(NAME, stored.assign(gmv=950.0), "new.csv")
        assert counts == {"added": 0, "replaced": 1, "unchanged": 0}
        assert s.audit_rows(NAME) == 1
    # Migrated in place to the current schema (2: GMV may be unknown; 3: the manifest
    # entries' table and the planner's application id), its rows as they were.
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)
    assert db.execute("PRAGMA application_id").fetchone() == (APPLICATION_ID,)
    assert db.execute("SELECT count(*) FROM actuals").fetchone() == (1,)
    db.close()


def test_a_version_1_store_migrates_to_take_spend_with_gmv_unknown(any_store):
    """Migration 2 lets a row's GMV be unknown (NULL), keeping every stored row (a new
    PostgreSQL store runs migrations 1 and 2 in turn)."""
    if "://" not in any_store:
        db = sqlite3.connect(any_store)
        db.executescript(_SQLITE_V1.replace("'stress'", f"'{NAME}'"))
        db.close()
    spend_only = pd.DataFrame([{"date": date(2027, 4, 22), "video_id": "v1",
                                "tool": "dou_plus", "spend": 300.0, "gmv": float("nan"),
                                "plays": 9000.0}])
    with open_store(any_store) as s:
        with s.transaction(NAME):
            s.ingest_actuals(NAME, spend_only, "ad_daily.csv")
        stored = s.actuals(NAME)
    rows = stored[stored["date"] == date(2027, 4, 22)]
    assert rows["spend"].tolist() == [300.0] and rows["gmv"].isna().all()


def _shape(path: Path) -> dict[str, list[tuple[str, int, int]]]:
    """Every table's columns: (name, not null, primary key position). A primary key is
    never null, whether its script said NOT NULL or not."""
    db = sqlite3.connect(path)
    try:
        tables = [r[0] for r in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        return {t: [(c[1], int(bool(c[3] or c[5])), c[5])
                    for c in db.execute(f"PRAGMA table_info({t})")]
                for t in tables}
    finally:
        db.close()


def test_a_new_store_has_the_shape_the_migrations_make_of_an_old_one(tmp_path: Path) -> None:
    """A new store is created in its current shape at once; an old one is migrated step by
    step: both end with the same tables and columns."""
    new, old = tmp_path / "new.sqlite", tmp_path / "old.sqlite"
    with open_store(new) as fresh:
        assert fresh.plan_count(NAME) == 0
    db = sqlite3.connect(old)
    db.executescript(_SQLITE_V1.replace("'stress'", f"'{NAME}'"))
    db.close()
    with open_store(old) as migrated:
        assert len(migrated.actuals(NAME)) == 1  # its history kept
    assert _shape(new) == _shape(old)
    for path in (new, old):
        db = sqlite3.connect(path)
        assert db.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)
        assert db.execute("PRAGMA application_id").fetchone() == (APPLICATION_ID,)
        db.close()


def test_a_new_store_another_run_creates_while_it_is_checked_is_not_taken_for_a_foreign_one(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Ten runs opening one new SQLite store: the check that it is a planner store reads
    its marker, version and tables from one snapshot. Another run committing the new
    store between those reads made the check see half of it (a version without its
    marker, or tables without their version) and refuse the planner's own store as
    another program's (exit 6)."""
    from planner.io import store as store_module

    path = tmp_path / "h.sqlite"
    first = sqlite3.connect(path)  # the first run has made the file and set WAL ...
    first.execute("PRAGMA journal_mode=WAL")
    connect = sqlite3.connect
    created: list[bool] = []

    class Checking:
        """The check's connection: the first run commits the store after its first read."""

        def __init__(self, db: sqlite3.Connection) -> None:
            self._db = db

        def execute(self, sql: str) -> sqlite3.Cursor:
            cursor = self._db.execute(sql)
            if sql.startswith("PRAGMA") and not created:
                created.append(True)
                with open_store(path):  # ... and creates the store now
                    pass
            return cursor

        def close(self) -> None:
            self._db.close()

    def checking(*args: Any, **kwargs: Any) -> Any:
        db = connect(*args, **kwargs)
        return Checking(db) if "mode=ro" in str(args[0]) and not created else db

    monkeypatch.setattr(store_module.sqlite3, "connect", checking)
    with open_store(path) as s:
        assert s.plan_count(NAME) == 0
    first.close()
    assert created == [True]
