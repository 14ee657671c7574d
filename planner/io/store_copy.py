"""``planner store migrate``: copy a whole history between back ends, exactly.

Every row of every table goes across with its ids (plan versions keep their
numbers), inside one transaction of the destination, which must be empty. The
copy is then read back and compared with the source table by table, row count
and SHA-256 of the rows in primary-key order; any difference rolls the copy back.
The source is only read, from one consistent snapshot, so runs may go on using it.

Rows travel in batches of ``_BATCH``, read in primary-key order by the database and
hashed as they pass: the copy holds one batch at a time, so its memory does not grow
with the history (a 400 MB store: see benchmarks/store_migrate.py).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Double, Integer, Table, Text, func, insert, select

from planner.errors import InputError, Problem, StoreError
from planner.i18n import t
from planner.io.store import begin_writing, open_store, rollback_quietly
from planner.io.store_location import StoreLocation, store_location
from planner.io.store_schema import HISTORY_TABLES

_BATCH = 1_000  # rows read, hashed and inserted at a time, at most
_BATCH_TEXT = 4 * 1024 * 1024  # characters of text in one batch, at most
_FETCH = 50  # rows the driver fetches at a time
_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


@dataclass(frozen=True)
class TableSum:
    """A table's row count and the SHA-256 of its rows in primary-key order."""

    table: str
    rows: int
    sha256: str


def _normaliser(column_type: Any) -> Any:
    """A column's cells as both back ends mean them (SQLite's dynamic types aside), the
    type decided once for the column: millions of cells pass here."""
    kind = (float if isinstance(column_type, Double)
            else int if isinstance(column_type, Integer) else str)
    return lambda value: None if value is None else kind(value)


def _batches(connection: Connection, table: Table) -> Iterator[list[tuple[Any, ...]]]:
    """Every row of ``table``, cells normalised, in primary-key order: ``_BATCH`` rows at a
    time, fewer when their text passes ``_BATCH_TEXT`` characters (a plan's row carries
    its whole plan.json).

    Text keys are ordered by code point on both back ends (SQLite's BINARY collation,
    PostgreSQL's "C"), whatever the server's collation, as Python compares strings.
    """
    cells = [_normaliser(c.type) for c in table.columns]
    postgres = connection.dialect.name == "postgresql"
    order = [c.collate("C") if postgres and isinstance(c.type, Text) else c
             for c in table.columns if c.primary_key]
    fetch = min(_FETCH, _BATCH)
    result = connection.execute(
        select(table).order_by(*order).execution_options(yield_per=fetch))
    batch: list[tuple[Any, ...]] = []
    text = 0
    for part in result.partitions(fetch):
        for row in part:
            values = tuple([cell(v) for cell, v in zip(cells, row, strict=True)])
            batch.append(values)
            text += sum(len(v) for v in values if isinstance(v, str))
            if len(batch) >= _BATCH or text >= _BATCH_TEXT:
                yield batch
                batch, text = [], 0
    if batch:
        yield batch


class _Sum:
    """A table's row count and SHA-256, taken as its rows pass."""

    def __init__(self, table: Table) -> None:
        self.table, self.rows, self.digest = table.name, 0, hashlib.sha256()

    def add(self, rows: Sequence[tuple[Any, ...]]) -> None:
        """Each row as compact JSON and a newline, into the hash."""
        if rows:
            encode = _JSON.encode
            self.digest.update(("\n".join([encode(row) for row in rows]) + "\n").encode())
            self.rows += len(rows)

    def total(self) -> TableSum:
        return TableSum(self.table, self.rows, self.digest.hexdigest())


def table_sum(connection: Connection, table: Table) -> TableSum:
    """Row count and checksum of one table, read a batch at a time."""
    total = _Sum(table)
    for batch in _batches(connection, table):
        total.add(batch)
    return total.total()


def history_sums(connection: Connection) -> list[TableSum]:
    """Row count and checksum of every history table, as the connection sees them."""
    return [table_sum(connection, t) for t in HISTORY_TABLES]


def _same_store(a: StoreLocation, b: StoreLocation) -> bool:
    if a.path is not None and b.path is not None:
        return a.path.resolve() == b.path.resolve()
    return a.path is None and b.path is None and str(a) == str(b)


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


def _copy(reader: Connection, writer: Connection, dst: StoreLocation) -> list[TableSum]:
    """Every history table from ``reader`` into the empty store at ``writer``, a batch at
    a time; the source's sums, taken on the way."""
    held = {t.name: int(writer.execute(select(func.count()).select_from(t)).scalar_one())
            for t in HISTORY_TABLES}
    if any(held.values()):
        raise InputError(Problem(
            t("error.copy.not_empty", store=dst, plans=held["plans"], actuals=held["actuals"]),
            fix=t("error.copy.not_empty_fix")))
    sums = []
    for table in HISTORY_TABLES:
        names = [c.name for c in table.columns]
        total = _Sum(table)
        for batch in _batches(reader, table):
            total.add(batch)
            writer.execute(insert(table), [dict(zip(names, row, strict=True)) for row in batch])
        sums.append(total.total())
    return sums


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
    with open_store(src, timeout, create=False) as origin, open_store(dst, timeout) as destination:
        reader = origin.connection
        if reader.dialect.name == "postgresql":
            # One snapshot for every table, while other runs may write.
            reader = reader.execution_options(isolation_level="REPEATABLE READ")
        writer = destination.connection
        with reader.begin():
            transaction = begin_writing(writer, None, timeout)  # the whole store: no run meanwhile
            try:
                expected = _copy(reader, writer, dst)
                _restart_id_sequences(writer)
                copied = history_sums(writer)
                if copied != expected:
                    differ = t("list.sep").join(
                        t("error.copy.table_rows", table=a.table, rows=a.rows, copied=b.rows)
                        for a, b in zip(expected, copied, strict=True) if a != b)
                    raise StoreError(t("error.copy.mismatch", dst=dst, src=src, differ=differ))
            except BaseException:
                rollback_quietly(transaction)
                raise
            transaction.commit()
    return expected
