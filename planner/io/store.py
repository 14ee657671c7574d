"""The history store: every actual, every plan and every order, in one SQLite file.

Guarantees a buyer can rely on when the planner runs unattended:
- ingesting the same actuals twice adds nothing; a restated row (same date,
  video and tool, new numbers) replaces the old value and the old one goes to
  ``actuals_audit``; nothing is ever deleted;
- every write happens in one transaction: a file that fails validation, a
  crash or a kill leaves the store as it was (SQLite's journal);
- concurrent runs queue on SQLite's write lock (``BEGIN IMMEDIATE``); a run
  that waits longer than the timeout stops with a clear StoreError.

The schema is created and migrated by the tool (``PRAGMA user_version``).
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd

from planner.errors import StoreError
from planner.models import DailySpend, Plan

_MIGRATIONS: list[str] = [
    # 1: initial schema
    """
    CREATE TABLE actuals (
        campaign TEXT NOT NULL,
        date TEXT NOT NULL,
        video_id TEXT NOT NULL,
        tool TEXT NOT NULL,
        spend REAL NOT NULL,
        gmv REAL NOT NULL,
        plays REAL NOT NULL,
        orders REAL,
        clicks REAL,
        likes REAL,
        comments REAL,
        source TEXT NOT NULL,
        ingested_at TEXT NOT NULL,
        PRIMARY KEY (campaign, date, video_id, tool)
    );
    CREATE TABLE actuals_audit (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        campaign TEXT NOT NULL,
        date TEXT NOT NULL,
        video_id TEXT NOT NULL,
        tool TEXT NOT NULL,
        old_row TEXT NOT NULL,
        new_row TEXT NOT NULL,
        source TEXT NOT NULL,
        replaced_at TEXT NOT NULL
    );
    CREATE TABLE plans (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        campaign TEXT NOT NULL,
        plan_date TEXT NOT NULL,
        created_at TEXT NOT NULL,
        campaign_json TEXT NOT NULL,
        videos_sha256 TEXT NOT NULL,
        actuals_sha256 TEXT NOT NULL,
        plan_json TEXT NOT NULL
    );
    CREATE INDEX plans_by_date ON plans (campaign, plan_date, id);
    CREATE TABLE orders (
        plan_id INTEGER NOT NULL REFERENCES plans(id),
        position INTEGER NOT NULL,
        video_id TEXT NOT NULL,
        tool TEXT NOT NULL,
        start_date TEXT NOT NULL,
        end_date TEXT NOT NULL,
        booking_date TEXT NOT NULL,
        budget REAL NOT NULL,
        status TEXT NOT NULL,
        PRIMARY KEY (plan_id, position)
    );
    """,
]

_VALUE_COLUMNS = ("spend", "gmv", "plays", "orders", "clicks", "likes", "comments")


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _clean(value: object) -> float | None:
    if value is None:
        return None
    number = float(value)  # type: ignore[arg-type]
    return None if number != number else number  # NaN -> NULL


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class Store:
    """A connection to the history store; use ``open_store`` to get one."""

    def __init__(self, connection: sqlite3.Connection, path: Path, timeout: float) -> None:
        self._db = connection
        self.path = path
        self.timeout = timeout

    @contextmanager
    def transaction(self, commit: bool = True) -> Iterator[None]:
        """One write transaction: all or nothing, waiting for other runs up to the timeout.

        ``commit=False`` rolls back at the end (a dry run leaves no trace).
        """
        try:
            self._db.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc) or "busy" in str(exc):
                raise StoreError(
                    f"The history store {self.path} is locked by another run; waited "
                    f"{self.timeout:g} s. Try again when that run has finished."
                ) from None
            raise StoreError(f"The history store {self.path} cannot be written: {exc}") from None
        try:
            yield
        except BaseException:
            self._db.rollback()
            raise
        if commit:
            self._db.commit()
        else:
            self._db.rollback()

    def ingest_actuals(self, campaign: str, actuals: pd.DataFrame, source: str) -> dict[str, int]:
        """Add new rows, replace restated ones (old kept in the audit), skip identical ones."""
        counts = {"added": 0, "replaced": 0, "unchanged": 0}
        stamp = _now()
        for row in actuals.itertuples(index=False):
            values = {c: _clean(getattr(row, c, None)) for c in _VALUE_COLUMNS}
            key = (campaign, str(row.date), str(row.video_id), str(row.tool))
            old = self._db.execute(
                "SELECT spend, gmv, plays, orders, clicks, likes, comments FROM actuals "
                "WHERE campaign=? AND date=? AND video_id=? AND tool=?", key,
            ).fetchone()
            if old is None:
                self._db.execute(
                    "INSERT INTO actuals VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    (*key, *values.values(), source, stamp),
                )
                counts["added"] += 1
                continue
            old_values = dict(zip(_VALUE_COLUMNS, old, strict=True))
            if old_values == values:
                counts["unchanged"] += 1
                continue
            self._db.execute(
                "INSERT INTO actuals_audit (campaign, date, video_id, tool, old_row, new_row, "
                "source, replaced_at) VALUES (?,?,?,?,?,?,?,?)",
                (*key, json.dumps(old_values), json.dumps(values), source, stamp),
            )
            self._db.execute(
                "UPDATE actuals SET spend=?, gmv=?, plays=?, orders=?, clicks=?, likes=?, "
                "comments=?, source=?, ingested_at=? "
                "WHERE campaign=? AND date=? AND video_id=? AND tool=?",
                (*values.values(), source, stamp, *key),
            )
            counts["replaced"] += 1
        return counts

    def actuals(self, campaign: str) -> pd.DataFrame:
        rows = self._db.execute(
            "SELECT date, video_id, tool, spend, gmv, plays, orders, clicks, likes, comments "
            "FROM actuals WHERE campaign=? ORDER BY date, video_id, tool", (campaign,),
        ).fetchall()
        frame = pd.DataFrame(
            rows, columns=["date", "video_id", "tool", *_VALUE_COLUMNS]
        )
        frame["date"] = pd.Series([date.fromisoformat(d) for d in frame["date"]], dtype=object)
        for column in _VALUE_COLUMNS:
            frame[column] = pd.to_numeric(frame[column], errors="coerce").astype("float64")
        return frame

    def audit_rows(self, campaign: str) -> int:
        row = self._db.execute(
            "SELECT COUNT(*) FROM actuals_audit WHERE campaign=?", (campaign,)
        ).fetchone()
        return int(row[0])

    def previous_plan(self, campaign: str, before: date) -> Plan | None:
        """The latest plan made for a day before ``before`` (re-running a day is repeatable)."""
        row = self._db.execute(
            "SELECT plan_json FROM plans WHERE campaign=? AND plan_date<? "
            "ORDER BY plan_date DESC, id DESC LIMIT 1", (campaign, before.isoformat()),
        ).fetchone()
        return None if row is None else Plan.model_validate_json(row[0])

    def planned_daily(self, campaign: str, before: date) -> dict[date, list[DailySpend]]:
        """What each recorded plan scheduled for the days it was in force, before ``before``.

        Keyed by plan date; the latest version of each day's plan counts, and holds the
        days from its own date up to the next plan's date (or ``before``).
        """
        rows = self._db.execute(
            "SELECT plan_date, plan_json FROM plans AS p WHERE campaign=? AND plan_date<? "
            "AND id = (SELECT MAX(id) FROM plans AS q WHERE q.campaign = p.campaign "
            "AND q.plan_date = p.plan_date) ORDER BY plan_date", (campaign, before.isoformat()),
        ).fetchall()
        dates = [date.fromisoformat(r[0]) for r in rows]
        out: dict[date, list[DailySpend]] = {}
        for i, (made, (_, text)) in enumerate(zip(dates, rows, strict=True)):
            until = dates[i + 1] if i + 1 < len(dates) else before
            # Only the schedule is needed: skip validating the rest of a large plan.
            daily = json.loads(text).get("daily", [])
            out[made] = [
                DailySpend.model_validate(d) for d in daily
                if made.isoformat() <= d["date"] < until.isoformat()
            ]
        return out

    def save_plan(self, plan: Plan, campaign_json: str, videos_sha256: str,
                  actuals_sha256: str) -> int:
        cursor = self._db.execute(
            "INSERT INTO plans (campaign, plan_date, created_at, campaign_json, videos_sha256, "
            "actuals_sha256, plan_json) VALUES (?,?,?,?,?,?,?)",
            (plan.campaign, plan.plan_date.isoformat(), _now(), campaign_json, videos_sha256,
             actuals_sha256, plan.model_dump_json()),
        )
        plan_id = int(cursor.lastrowid or 0)
        for position, order in enumerate(plan.orders):
            if order.fixed:
                status = "fixed"
            elif order.booking_date <= plan.plan_date:
                status = "to_book"
            else:
                status = "planned"
            self._db.execute(
                "INSERT INTO orders VALUES (?,?,?,?,?,?,?,?,?)",
                (plan_id, position, order.video_id, order.tool.value,
                 order.start_date.isoformat(), order.end_date.isoformat(),
                 order.booking_date.isoformat(), order.budget, status),
            )
        return plan_id

    def plan_count(self, campaign: str) -> int:
        row = self._db.execute("SELECT COUNT(*) FROM plans WHERE campaign=?", (campaign,))
        return int(row.fetchone()[0])

    def close(self) -> None:
        self._db.close()


def _migrate(db: sqlite3.Connection, path: Path) -> None:
    """Bring the schema up to date inside one write transaction (safe when runs race)."""
    db.execute("BEGIN IMMEDIATE")
    try:
        version = int(db.execute("PRAGMA user_version").fetchone()[0])
        if version > len(_MIGRATIONS):
            raise StoreError(
                f"The history store {path} was written by a newer planner (schema {version}); "
                "upgrade the planner."
            )
        for number, script in enumerate(_MIGRATIONS[version:], start=version + 1):
            for statement in script.split(";"):
                if statement.strip():
                    db.execute(statement)
            db.execute(f"PRAGMA user_version = {number}")
    except BaseException:
        db.rollback()
        raise
    db.commit()


@contextmanager
def open_store(path: Path | str, timeout: float = 30.0) -> Iterator[Store]:
    """Open (creating or migrating) the store at ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        db = sqlite3.connect(path, timeout=timeout, isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")
        db.execute("PRAGMA foreign_keys=ON")
        _migrate(db, path)
    except sqlite3.DatabaseError as exc:
        if "locked" in str(exc) or "busy" in str(exc):
            raise StoreError(
                f"The history store {path} is locked by another run; waited {timeout:g} s."
            ) from None
        raise StoreError(f"{path} is not a planner history store: {exc}") from None
    store = Store(db, path, timeout)
    try:
        yield store
    finally:
        store.close()
