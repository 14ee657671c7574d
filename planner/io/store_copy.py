"""``planner store migrate``: copy a whole history between back ends, exactly.

Every row of every table goes across with its ids (plan versions keep their
numbers), inside one transaction of the destination, which must be empty. The
copy is then read back and compared with the source table by table, row count
and SHA-256 of the rows in primary-key order; any difference rolls the copy back.
The source is only read, from one consistent snapshot, so runs may go on using it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Double, Integer, Table, func, insert, select

from planner.errors import InputError, Problem, StoreError
from planner.i18n import t
from planner.io.store import begin_writing, open_store, rollback_quietly
from planner.io.store_location import StoreLocation, store_location
from planner.io.store_schema import HISTORY_TABLES

_CHUNK = 1_000  # rows per INSERT round trip


@dataclass(frozen=True)
class TableSum:
    """A table's row count and the SHA-256 of its rows in primary-key order."""

    table: str
    rows: int
    sha256: str


def _value(column_type: Any, value: Any) -> Any:
    """A cell as both back ends mean it (SQLite's dynamic types aside)."""
    if value is None:
        return None
    if isinstance(column_type, Double):
        return float(value)
    if isinstance(column_type, Integer):
        return int(value)
    return str(value)


def _rows(connection: Connection, table: Table) -> list[tuple[Any, ...]]:
    """Every row of ``table``, cells normalised, in primary-key order (sorted here, the
    same on both back ends whatever PostgreSQL's collation)."""
    types = [c.type for c in table.columns]
    rows = [tuple(_value(t, v) for t, v in zip(types, row, strict=True))
            for row in connection.execute(select(table))]
    key = [i for i, c in enumerate(table.columns) if c.primary_key]
    return sorted(rows, key=lambda row: tuple(row[i] for i in key))


def table_sum(table: Table, rows: Sequence[tuple[Any, ...]]) -> TableSum:
    digest = hashlib.sha256()
    for row in rows:
        digest.update(json.dumps(row, ensure_ascii=False, separators=(",", ":")).encode())
        digest.update(b"\n")
    return TableSum(table.name, len(rows), digest.hexdigest())


def history_sums(connection: Connection) -> list[TableSum]:
    """Row count and checksum of every history table, as the connection sees them."""
    return [table_sum(t, _rows(connection, t)) for t in HISTORY_TABLES]


def _same_store(a: StoreLocation, b: StoreLocation) -> bool:
    if a.path is not None and b.path is not None:
        return a.path.resolve() == b.path.resolve()
    return a.path is None and b.path is None and str(a) == str(b)


def _chunks(rows: list[tuple[Any, ...]]) -> Iterator[list[tuple[Any, ...]]]:
    for start in range(0, len(rows), _CHUNK):
        yield rows[start:start + _CHUNK]


def _restart_id_sequences(connection: Connection) -> None:
    """After explicit ids, PostgreSQL's next plan id must follow the copied ones.

    SQLite's AUTOINCREMENT counter follows explicit ids by itself.
    """
    if connection.dialect.name != "postgresql":
        return
    for table in HISTORY_TABLES:
        column = table.autoincrement_column
        if column is None:
            continue
        following = select(func.coalesce(func.max(column), 0) + 1).scalar_subquery()
        connection.execute(select(func.setval(
            func.pg_get_serial_sequence(table.name, column.name), following, False)))


def migrate_store(source: StoreLocation | Path | str, target: StoreLocation | Path | str,
                  *, timeout: float = 30.0) -> list[TableSum]:
    """Copy the whole history at ``source`` into the empty store at ``target``.

    Returns each table's row count and checksum, the same in both stores.
    Raises InputError when the source holds no history, the two are one store, or
    the target already holds rows; StoreError when the copy does not match.
    """
    src, dst = store_location(source), store_location(target)
    if _same_store(src, dst):
        raise InputError(Problem(t("error.copy.same", store=src),
                                 fix=t("error.copy.same_fix")))
    with open_store(src, timeout, create=False) as origin:
        reader = origin.connection
        if reader.dialect.name == "postgresql":
            # One snapshot for every table, while other runs may write.
            reader = reader.execution_options(isolation_level="REPEATABLE READ")
        with reader.begin():
            tables = {t.name: _rows(reader, t) for t in HISTORY_TABLES}
    expected = [table_sum(t, tables[t.name]) for t in HISTORY_TABLES]
    with open_store(dst, timeout) as destination:
        writer = destination.connection
        transaction = begin_writing(writer, None, timeout)  # the whole store: no run meanwhile
        try:
            held = {t.name: int(writer.execute(select(func.count()).select_from(t)).scalar_one())
                    for t in HISTORY_TABLES}
            if any(held.values()):
                raise InputError(Problem(
                    t("error.copy.not_empty", store=dst, plans=held["plans"],
                      actuals=held["actuals"]),
                    fix=t("error.copy.not_empty_fix")))
            for table in HISTORY_TABLES:
                names = [c.name for c in table.columns]
                for chunk in _chunks(tables[table.name]):
                    writer.execute(insert(table), [dict(zip(names, row, strict=True))
                                                   for row in chunk])
            _restart_id_sequences(writer)
            copied = history_sums(writer)
            if copied != expected:
                differ = t("list.sep").join(t("error.copy.table_rows", table=a.table,
                                              rows=a.rows, copied=b.rows)
                                   for a, b in zip(expected, copied, strict=True) if a != b)
                raise StoreError(t("error.copy.mismatch", dst=dst, src=src, differ=differ))
        except BaseException:
            rollback_quietly(transaction)
            raise
        transaction.commit()
    return expected
