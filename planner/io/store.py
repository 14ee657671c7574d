# Long on purpose: the history store's one API (open, record, read, lock) on both databases.
"""The history store: every actual, every plan and every order, in SQLite or PostgreSQL.

One SQLite file per campaign (or per buyer) is the embedded default; a
PostgreSQL database holds a whole portfolio for a team of buyers or a batch run
spread over several hosts (``planner.io.store_location`` parses the address).
The same schema, migrations and SQL (SQLAlchemy Core) serve both.

Guarantees a buyer can rely on when the planner runs unattended, on both back ends:
- ingesting the same actuals twice adds nothing; a restated row (same date,
  video and tool, new numbers) replaces the old value and the old one goes to
  ``actuals_audit``; nothing is ever deleted;
- a row's GMV may be unknown (NULL: spend from a report without GMV); a GMV that
  comes later fills it (``gmv_unknown`` finds the rows, the fill is a restatement),
  and an unknown GMV never replaces a known one;
- every write happens in one transaction: a file that fails validation, a
  crash or a kill leaves the store as it was (SQLite's journal; PostgreSQL
  rolls back the transaction of a connection that dies);
- concurrent runs on one campaign queue on a lock, and a run that waits longer
  than the timeout stops with a clear StoreError (exit 5). SQLite locks the
  whole file (``BEGIN IMMEDIATE``). PostgreSQL takes a transaction-level
  advisory lock per campaign, so the campaigns of a portfolio re-plan side by
  side, plus a shared lock on the whole store that schema migrations and
  ``planner store migrate`` take exclusively;
- a database server that cannot be reached, refuses the login or drops the
  connection stops the run with StoreUnreachableError (exit 7), one line that
  never shows the password.

The schema is created and migrated by the tool (``planner.io.store_schema``).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict
from sqlalchemy import (
    BigInteger,
    Connection,
    Engine,
    RootTransaction,
    bindparam,
    create_engine,
    event,
    func,
    insert,
    inspect,
    literal,
    select,
    update,
)
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.pool import NullPool

from planner.errors import (
    InputError,
    Problem,
    StoreDamagedError,
    StoreError,
    StoreReadOnlyError,
    StoreUnreachableError,
)
from planner.i18n import t
from planner.io.store_location import StoreLocation, store_location
from planner.io.store_schema import (
    APPLICATION_ID,
    SCHEMA_VERSION,
    V1_TABLES,
    actuals,
    actuals_audit,
    campaign_owners,
    migrate,
    orders,
    plans,
    schema_version,
)
from planner.models import DailySpend, Plan

Phase = Literal["connect", "open", "run"]  # when a database error happened

_VALUE_COLUMNS = ("spend", "gmv", "plays", "orders", "clicks", "likes", "comments")
_KEY_COLUMNS = ("date", "video_id", "tool")

# Seconds to wait for a PostgreSQL server to answer before calling it unreachable
# (libpq waits for the operating system's TCP timeout, minutes, by default).
CONNECT_TIMEOUT_S = 10
_SQLITE_BEGIN = "planner.sqlite_begin"  # connection info: how the next BEGIN starts
# Catalogue keys of the fixes the store's messages end with.
_DAMAGED_FIX = "error.store.damaged_fix"
_FOREIGN_FIX = "error.store.foreign_fix"
_READ_ONLY_FIX = "error.store.read_only_fix"
# What SQLite says of a file it cannot read as a database, or one whose pages are broken.
_DAMAGE_WORDS = ("malformed", "not a database", "disk i/o error", "unable to open",
                 "file is encrypted", "corrupt")
_PG_FIX = "error.store.pg_fix"


class _Schedule(BaseModel):
    """What ``planned_daily`` reads of a stored plan's JSON: its daily schedule, parsed
    and validated in one pass that skips the rest of the plan."""

    model_config = ConfigDict(extra="ignore")

    daily: list[DailySpend] = []


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _clean(value: object) -> float | None:
    if value is None:
        return None
    number = float(value)  # type: ignore[arg-type]
    return None if number != number else number  # NaN -> NULL


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _lock_key(name: str) -> int:
    """A PostgreSQL advisory-lock key: the same in every process, on every host."""
    digest = hashlib.sha256(f"douyin-budget-planner/{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


_WHOLE_STORE_KEY = _lock_key("store")


def _lock_timeout_setting(timeout: float) -> str:
    # 0 would mean "wait forever" to PostgreSQL; the planner's 0 means "do not wait".
    return f"{min(max(1, round(timeout * 1000)), 2_147_483_647)}ms"


def begin_writing(connection: Connection, campaign: str | None,
                  timeout: float) -> RootTransaction:
    """Begin a write transaction holding the lock: the campaign's, or the whole store's.

    Waits up to ``timeout`` seconds for other runs, then raises the driver's
    lock error (``Store.transaction`` and ``open_store`` turn it into a StoreError,
    exit 5).
    """
    if connection.dialect.name == "sqlite":
        connection.info[_SQLITE_BEGIN] = "IMMEDIATE"  # one file, one writer
        return connection.begin()
    transaction = connection.begin()
    try:
        # READ COMMITTED (the default) on purpose: each statement after the lock sees
        # everything the run before us committed.
        connection.execute(
            select(func.set_config("lock_timeout", _lock_timeout_setting(timeout), True)))
        whole = literal(_WHOLE_STORE_KEY, BigInteger)
        if campaign is None:
            connection.execute(select(func.pg_advisory_xact_lock(whole)))
        else:
            connection.execute(select(func.pg_advisory_xact_lock_shared(whole)))
            key = literal(_lock_key(f"campaign/{campaign}"), BigInteger)
            connection.execute(select(func.pg_advisory_xact_lock(key)))
    except BaseException:
        rollback_quietly(transaction)
        raise
    return transaction


def rollback_quietly(transaction: RootTransaction) -> None:
    # A connection that died has nothing left to roll back; keep the first error.
    with contextlib.suppress(SQLAlchemyError):
        transaction.rollback()


class Store:
    """A connection to the history store; use ``open_store`` to get one."""

    def __init__(self, connection: Connection, location: StoreLocation, timeout: float) -> None:
        self._db = connection
        self.location = location
        self.timeout = timeout

    @property
    def path(self) -> Path | None:
        """The SQLite file; None for a PostgreSQL store."""
        return self.location.path

    @contextmanager
    def transaction(self, campaign: str | None = None, commit: bool = True) -> Iterator[None]:
        """One write transaction: all or nothing, waiting for other runs up to the timeout.

        On PostgreSQL, naming the ``campaign`` makes only runs of the same campaign
        wait for each other; without it the whole store is locked. SQLite always
        locks the whole file. ``commit=False`` rolls back at the end (a dry run
        leaves no trace).
        """
        with self._translated():
            transaction = begin_writing(self._db, campaign, self.timeout)
        try:
            yield
        except BaseException:
            rollback_quietly(transaction)
            raise
        with self._translated():
            if commit:
                transaction.commit()
            else:
                transaction.rollback()

    def _translated(self) -> contextlib.AbstractContextManager[None]:
        return _translated(self.location, self.timeout, "run")

    @contextmanager
    def _session(self) -> Iterator[Connection]:
        """The open write transaction, or a short read transaction of its own."""
        with self._translated():
            if self._db.in_transaction():
                yield self._db
                return
            with self._db.begin():
                yield self._db

    def ingest_actuals(self, campaign: str, frame: pd.DataFrame, source: str) -> dict[str, int]:
        """Add new rows, replace restated ones (old kept in the audit), skip identical ones."""
        counts = {"added": 0, "replaced": 0, "unchanged": 0}
        stamp = _now()
        incoming = [
            ((str(row.date), str(row.video_id), str(row.tool)),
             {c: _clean(getattr(row, c, None)) for c in _VALUE_COLUMNS})
            for row in frame.itertuples(index=False)
        ]
        with self._session() as db:
            known = self._stored_values(db, campaign, {key[0] for key, _ in incoming})
            added: dict[tuple[str, str, str], dict[str, float | None]] = {}
            restated: dict[tuple[str, str, str], dict[str, float | None]] = {}
            audit: list[dict[str, str]] = []
            # Row by row, as if each were ingested alone: a key given twice is a restatement.
            for key, values in incoming:
                old = known.get(key)
                if old is not None and values["gmv"] is None and old["gmv"] is not None:
                    # A spend-only file given again after its GMV was joined: an unknown
                    # GMV never replaces a known one.
                    values = {**values, "gmv": old["gmv"]}
                if old is None:
                    added[key] = values
                    counts["added"] += 1
                elif old == values:
                    counts["unchanged"] += 1
                    continue
                else:
                    audit.append({
                        "campaign": campaign, **dict(zip(_KEY_COLUMNS, key, strict=True)),
                        "old_row": json.dumps(old), "new_row": json.dumps(values),
                        "source": source, "replaced_at": stamp,
                    })
                    (added if key in added else restated)[key] = values
                    counts["replaced"] += 1
                known[key] = values
            if added:
                db.execute(insert(actuals), [
                    {"campaign": campaign, **dict(zip(_KEY_COLUMNS, key, strict=True)), **values,
                     "source": source, "ingested_at": stamp}
                    for key, values in added.items()
                ])
            if audit:
                db.execute(insert(actuals_audit), audit)
            if restated:
                db.execute(
                    update(actuals)
                    .where(actuals.c.campaign == bindparam("k_campaign"),
                           actuals.c.date == bindparam("k_date"),
                           actuals.c.video_id == bindparam("k_video_id"),
                           actuals.c.tool == bindparam("k_tool"))
                    .values(source=source, ingested_at=stamp,
                            **{c: bindparam(f"v_{c}") for c in _VALUE_COLUMNS}),
                    [{"k_campaign": campaign,
                      **{f"k_{k}": v for k, v in zip(_KEY_COLUMNS, key, strict=True)},
                      **{f"v_{c}": v for c, v in values.items()}}
                     for key, values in restated.items()],
                )
        return counts

    @staticmethod
    def _stored_values(db: Connection, campaign: str, dates: set[str]
                       ) -> dict[tuple[str, str, str], dict[str, float | None]]:
        """The stored values of the campaign's rows on these dates, by (date, video, tool)."""
        if not dates:
            return {}
        rows = db.execute(
            select(*(actuals.c[c] for c in (*_KEY_COLUMNS, *_VALUE_COLUMNS)))
            .where(actuals.c.campaign == campaign, actuals.c.date.in_(sorted(dates)))
        ).all()
        return {(row[0], row[1], row[2]): dict(zip(_VALUE_COLUMNS, row[3:], strict=True))
                for row in rows}

    def actuals(self, campaign: str) -> pd.DataFrame:
        with self._session() as db:
            rows = db.execute(
                select(*(actuals.c[c] for c in (*_KEY_COLUMNS, *_VALUE_COLUMNS)))
                .where(actuals.c.campaign == campaign)
            ).all()
        frame = pd.DataFrame([tuple(r) for r in rows], columns=[*_KEY_COLUMNS, *_VALUE_COLUMNS])
        # Sorted here, not by the database: a PostgreSQL collation may order text
        # differently from SQLite, and the plan and the actuals' hash must not depend
        # on the back end. Python orders by code point, as SQLite does.
        frame = frame.sort_values(list(_KEY_COLUMNS), kind="stable", ignore_index=True)
        frame["date"] = pd.Series([date.fromisoformat(d) for d in frame["date"]], dtype=object)
        for column in _VALUE_COLUMNS:
            frame[column] = pd.to_numeric(frame[column], errors="coerce").astype("float64")
        return frame

    def gmv_unknown(self, campaign: str, dates: set[date]
                    ) -> dict[tuple[object, object, object], dict[str, Any]]:
        """The campaign's stored rows on these dates whose GMV is unknown, by (date, video,
        tool), each with its values: what a GMV file of a later morning joins to."""
        if not dates:
            return {}
        with self._session() as db:
            known = self._stored_values(db, campaign, {d.isoformat() for d in dates})
        return {(date.fromisoformat(day), video, tool): {
                    "date": date.fromisoformat(day), "video_id": video, "tool": tool, **values}
                for (day, video, tool), values in known.items() if values["gmv"] is None}

    def audit_rows(self, campaign: str) -> int:
        with self._session() as db:
            return int(db.execute(
                select(func.count()).select_from(actuals_audit)
                .where(actuals_audit.c.campaign == campaign)
            ).scalar_one())

    def previous_plan(self, campaign: str, before: date) -> Plan | None:
        """The latest plan made for a day before ``before`` (re-running a day is repeatable)."""
        with self._session() as db:
            text = db.execute(
                select(plans.c.plan_json)
                .where(plans.c.campaign == campaign, plans.c.plan_date < before.isoformat())
                .order_by(plans.c.plan_date.desc(), plans.c.id.desc())
                .limit(1)
            ).scalar_one_or_none()
        return None if text is None else Plan.model_validate_json(text)

    def planned_daily(self, campaign: str, before: date) -> dict[date, list[DailySpend]]:
        """What each recorded plan scheduled for the days it was in force, before ``before``.

        Keyed by plan date; the latest version of each day's plan counts, and holds the
        days from its own date up to the next plan's date (or ``before``).
        """
        later = plans.alias("later")
        latest_version = (
            select(func.max(later.c.id))
            .where(later.c.campaign == plans.c.campaign, later.c.plan_date == plans.c.plan_date)
            .scalar_subquery()
        )
        with self._session() as db:
            rows = db.execute(
                select(plans.c.plan_date, plans.c.plan_json)
                .where(plans.c.campaign == campaign, plans.c.plan_date < before.isoformat(),
                       plans.c.id == latest_version)
                .order_by(plans.c.plan_date)
            ).all()
        dates = [date.fromisoformat(r[0]) for r in rows]
        out: dict[date, list[DailySpend]] = {}
        for i, (made, (_, text)) in enumerate(zip(dates, rows, strict=True)):
            until = dates[i + 1] if i + 1 < len(dates) else before
            # Only the schedule is needed: the rest of a large plan is skipped, not read.
            daily = _Schedule.model_validate_json(text).daily
            out[made] = [d for d in daily if made <= d.date < until]
        return out

    def save_plan(self, plan: Plan, campaign_json: str, videos_sha256: str,
                  actuals_sha256: str) -> int:
        with self._session() as db:
            plan_id = int(db.execute(insert(plans).values(
                campaign=plan.campaign, plan_date=plan.plan_date.isoformat(), created_at=_now(),
                campaign_json=campaign_json, videos_sha256=videos_sha256,
                actuals_sha256=actuals_sha256, plan_json=plan.model_dump_json(),
            ).returning(plans.c.id)).scalar_one())
            rows: list[dict[str, Any]] = []
            for position, order in enumerate(plan.orders):
                if order.fixed:
                    status = "fixed"
                elif order.booking_date <= plan.plan_date:
                    status = "to_book"
                else:
                    status = "planned"
                rows.append({
                    "plan_id": plan_id, "position": position, "video_id": order.video_id,
                    "tool": order.tool.value, "start_date": order.start_date.isoformat(),
                    "end_date": order.end_date.isoformat(),
                    "booking_date": order.booking_date.isoformat(), "budget": order.budget,
                    "status": status,
                })
            if rows:
                db.execute(insert(orders), rows)
        return plan_id

    def owner(self, campaign: str) -> str | None:
        """The ``planner batch`` manifest entry that writes ``campaign``, if one claimed it."""
        with self._session() as db:
            return db.execute(
                select(campaign_owners.c.owner).where(campaign_owners.c.campaign == campaign)
            ).scalar_one_or_none()

    def claim(self, campaign: str, owner: str) -> None:
        """Record that manifest entry ``owner`` writes ``campaign`` (inside the run's write
        transaction); InputError (exit 2) when another entry already does."""
        held = self.owner(campaign)
        if held is None:
            with self._session() as db:
                db.execute(insert(campaign_owners).values(
                    campaign=campaign, owner=owner, claimed_at=_now()))
            return
        check_owner(held, campaign, owner, self.location)

    def plan_count(self, campaign: str) -> int:
        with self._session() as db:
            return int(db.execute(
                select(func.count()).select_from(plans).where(plans.c.campaign == campaign)
            ).scalar_one())

    @property
    def connection(self) -> Connection:
        """The store's connection, for tools that read every table (``store migrate``)."""
        return self._db


def check_owner(held: str | None, campaign: str, owner: str, store: StoreLocation) -> None:
    """InputError (exit 2) when the campaign in ``store`` belongs to another manifest entry."""
    if held is None or held == owner:
        return
    raise InputError(Problem(
        t("error.store.owned", campaign=campaign, store=store, owner=held, entry=owner),
        fix=t("error.store.owned_fix", owner=held)))


def _sqlite_connected(timeout: float) -> Callable[[Any, Any], None]:
    """The connect hook of a SQLite store whose runs wait up to ``timeout`` for each other.

    Switching a new file to WAL needs it alone for a moment, and SQLite answers
    "locked" at once, without waiting, when twenty runs open the same new file: the
    switch is retried until the lock timeout, as every other wait is.
    """

    def connected(dbapi_connection: Any, _record: Any) -> None:
        # The store says BEGIN itself (``_sqlite_begin``): pysqlite's own BEGIN comes only
        # at the first write, and a re-plan must hold the write lock before it reads.
        dbapi_connection.isolation_level = None
        deadline = time.monotonic() + timeout
        cursor = dbapi_connection.cursor()
        try:
            for pragma in ("journal_mode=WAL", "synchronous=FULL", "foreign_keys=ON"):
                while True:
                    try:
                        cursor.execute(f"PRAGMA {pragma}")
                        break
                    except sqlite3.OperationalError as exc:
                        if "locked" not in str(exc) or time.monotonic() >= deadline:
                            raise
                        time.sleep(0.05)
        finally:
            cursor.close()

    return connected


def _sqlite_begin(connection: Connection) -> None:
    connection.exec_driver_sql(f"BEGIN {connection.info.pop(_SQLITE_BEGIN, 'DEFERRED')}")


def _engine(location: StoreLocation, timeout: float) -> Engine:
    # One connection per opened store, closed with it (NullPool): every run is a short
    # process of its own, and no connection may be shared across the watchdog's fork.
    if location.path is not None:
        try:
            location.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise InputError(Problem(
                t("error.store.cannot_create", store=location, detail=exc.strerror or exc),
                fix=t("error.store.cannot_create_fix"))) from None
        engine = create_engine(location.url, poolclass=NullPool, hide_parameters=True,
                               connect_args={"timeout": timeout})
        event.listen(engine, "connect", _sqlite_connected(timeout))
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    defaults: dict[str, Any] = {"connect_timeout": CONNECT_TIMEOUT_S,
                                "application_name": "douyin-budget-planner"}
    return create_engine(
        location.url, poolclass=NullPool, hide_parameters=True,
        connect_args={k: v for k, v in defaults.items() if k not in location.url.query},
    )


def _reason(error: DBAPIError) -> str:
    """The driver's message as one sentence on one line (libpq's spans several, with tabs)."""
    text = " ".join(str(error.orig).split()).removeprefix("connection failed: ")
    return text if text.endswith((".", "?", "!")) else f"{text}."


def _is_lock_timeout(error: DBAPIError, location: StoreLocation) -> bool:
    if location.path is None:
        return getattr(error.orig, "sqlstate", None) == "55P03"  # lock_not_available
    text = str(error.orig)
    return "locked" in text or "busy" in text


def store_error(error: DBAPIError, location: StoreLocation, timeout: float,
                phase: Phase) -> StoreError:
    """The buyer's message for a database error while connecting, opening or running."""
    reason = _reason(error)
    if _is_lock_timeout(error, location):
        return StoreError(t("error.store.locked", store=location, timeout=f"{timeout:g}"))
    if location.path is not None:
        if "readonly" in reason.lower():  # "attempt to write a readonly database"
            return StoreReadOnlyError(t("error.store.read_only_file", store=location,
                                        fix=t(_READ_ONLY_FIX)))
        damaged = any(word in reason.lower() for word in _DAMAGE_WORDS)
        if phase == "run" and not damaged:
            return StoreError(t("error.store.cannot_write", store=location, reason=reason))
        if phase == "run" or "malformed" in reason:
            return StoreDamagedError(t("error.store.damaged", store=location, reason=reason,
                                       fix=t(_DAMAGED_FIX)))
        return StoreDamagedError(t("error.store.foreign", store=location, reason=reason,
                                   fix=t(_FOREIGN_FIX)))
    sqlstate = str(getattr(error.orig, "sqlstate", None) or "")
    if phase == "connect":
        return StoreUnreachableError(t("error.store.cannot_connect", store=location,
                                       reason=reason, fix=t(_PG_FIX)))
    if error.connection_invalidated or sqlstate[:2] in {"08", "57"}:
        return StoreUnreachableError(t("error.store.connection_lost", store=location,
                                       reason=reason))
    if sqlstate == "42P07":  # duplicate_table
        return StoreDamagedError(t("error.store.other_tables", store=location,
                                   reason=reason.rstrip(".")))
    if sqlstate == "42501":  # insufficient_privilege
        return StoreError(t("error.store.no_privilege", store=location, reason=reason))
    return StoreError(t("error.store.cannot_use", store=location, reason=reason))


@contextmanager
def _translated(location: StoreLocation, timeout: float, phase: Phase) -> Iterator[None]:
    try:
        yield
    except DBAPIError as exc:
        raise store_error(exc, location, timeout, phase) from None


def _check_version(version: int, location: StoreLocation) -> None:
    if version > SCHEMA_VERSION:
        raise StoreError(t("error.store.newer", store=location, version=version))


def _prepare_schema(connection: Connection, location: StoreLocation, timeout: float,
                    create: bool) -> None:
    """Create or migrate the schema; only a store that needs it waits for the lock."""
    with connection.begin():
        version = schema_version(connection)
        _check_database(connection, location, version)
    _check_version(version, location)
    if version == SCHEMA_VERSION:
        return
    if version == 0 and not create:
        raise InputError(Problem(t("error.store.no_history", store=location),
                                 fix=t("error.store.check_address")))
    transaction = begin_writing(connection, None, timeout)  # waits for running transactions
    try:
        _check_version(migrate(connection), location)
    except BaseException:
        rollback_quietly(transaction)
        raise
    transaction.commit()


def _check_database(connection: Connection, location: StoreLocation, version: int) -> None:
    """A PostgreSQL database with no planner schema but tables of its own is another
    application's: it is never written into (exit 6). ``planner_schema`` among them is a
    planner store another run has just created (it creates every table at once)."""
    if location.path is not None or version != 0:
        return
    tables = sorted(inspect(connection).get_table_names())
    if tables and "planner_schema" not in tables:
        raise StoreDamagedError(t("error.store.other_tables", store=location,
                                  reason=", ".join(tables[:5])))


def _check_store_file(location: StoreLocation) -> None:
    """A SQLite store must be a planner store the run can write, or a new one in a folder
    that can hold it; nothing is written into the file to find out."""
    path = location.path
    assert path is not None
    if path.exists() and not path.is_file():
        kind = t("error.store.a_folder") if path.is_dir() else t("error.store.not_regular")
        raise StoreDamagedError(t("error.store.not_a_file", store=location, kind=kind,
                                  fix=t(_FOREIGN_FIX)))
    folder = next((p for p in path.parents if p.exists()), None)
    if not path.exists() and folder is not None and not folder.is_dir():
        raise InputError(Problem(
            t("error.store.parent_is_file", store=location, parent=folder),
            fix=t("error.store.parent_is_file_fix")))
    if path.exists() and not os.access(path, os.R_OK | os.W_OK):
        raise StoreReadOnlyError(t("error.store.read_only_file", store=location,
                                   fix=t(_READ_ONLY_FIX)))
    if folder is not None and not os.access(folder, os.W_OK | os.X_OK):
        # SQLite keeps its journal (-wal, -shm) beside the file, and a new store is made there.
        raise StoreReadOnlyError(t("error.store.read_only_folder", store=location,
                                   folder=folder, fix=t(_READ_ONLY_FIX)))
    if path.exists():
        reason = _not_a_planner_store(path)
        if reason is not None:
            raise StoreDamagedError(t("error.store.foreign", store=location, reason=reason,
                                      fix=t(_FOREIGN_FIX)))


# The migration that stamps the planner's application id (and adds campaign owners).
OWNERS_VERSION = 3


def _not_a_planner_store(path: Path) -> str | None:
    """Why an existing SQLite file is another program's database, read without writing.

    A planner store is marked with the planner's application id (since migration 3),
    or made before that (user_version 1, application id 0) with the planner's tables; an
    empty file or database is a new store. A file SQLite cannot read at all is left for
    the opening to report (damaged, or not a database).
    """
    try:
        db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True,
                             isolation_level=None)
    except sqlite3.Error:
        return None
    try:
        # One read transaction, one snapshot: another run creating this new store commits
        # its tables and its version at once, and is seen with both or with neither.
        db.execute("BEGIN")
        application_id = int(db.execute("PRAGMA application_id").fetchone()[0])
        version = int(db.execute("PRAGMA user_version").fetchone()[0])
        tables = {row[0] for row in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")}
    except sqlite3.Error:
        return None
    finally:
        db.close()
    if application_id not in (0, APPLICATION_ID):
        return t("error.store.foreign_id", application_id=application_id)
    if version == 0 and tables:
        return t("error.store.foreign_tables", tables=", ".join(sorted(tables)[:5]))
    if version > 0 and not V1_TABLES <= tables:
        return t("error.store.foreign_version", version=version)
    if version >= OWNERS_VERSION and application_id != APPLICATION_ID:
        return t("error.store.foreign_marker", version=version)
    return None


@contextmanager
def open_store(store: StoreLocation | Path | str, timeout: float = 30.0, *,
               create: bool = True) -> Iterator[Store]:
    """Open (creating or migrating) the store: a SQLite path, or a database URL as text.

    ``create=False`` refuses a store that does not exist yet (InputError) instead
    of creating an empty one.
    """
    location = store_location(store)
    if not create and location.path is not None and not location.path.exists():
        raise InputError(Problem(t("error.store.none_at", store=location),
                                 fix=t("error.campaign.check_path")))
    if location.path is not None:
        _check_store_file(location)
    with _connected(location, timeout) as connection:
        with _translated(location, timeout, "open"):
            _prepare_schema(connection, location, timeout, create)
        with _translated(location, timeout, "run"):
            yield Store(connection, location, timeout)


def check_store(store: StoreLocation | Path | str, timeout: float = 30.0) -> None:
    """Fail fast, before a long solve, on a store the run could not record in.

    A damaged file or one that is not a store (exit 6), a server that cannot be
    reached or refuses the login (exit 7), a store of a newer planner: found
    before the plan is solved, not after. A SQLite store that does not exist yet
    is left for the run to create; nothing is created or migrated here.
    """
    location = store_location(store)
    if location.path is not None:
        _check_store_file(location)
        if not location.path.exists():
            return
    with _connected(location, timeout) as connection, \
            _translated(location, timeout, "open"), connection.begin():
        version = schema_version(connection)
        _check_database(connection, location, version)
        _check_version(version, location)


@contextmanager
def _connected(location: StoreLocation, timeout: float) -> Iterator[Connection]:
    """A connection to the store, its errors said for the buyer; closed and disposed after."""
    engine = _engine(location, timeout)
    try:
        with _translated(location, timeout, "connect"):
            connection = engine.connect()
        try:
            yield connection
        finally:
            with contextlib.suppress(SQLAlchemyError):
                connection.close()
    finally:
        engine.dispose()
