"""Where a history store lives: one SQLite file, or a PostgreSQL database.

Everywhere a store is named (``planner plan --store``, ``planner replan --store``,
``planner store migrate``, a batch manifest's ``store``, the app's store field)
the same text is accepted:

- a plain path, or ``sqlite:///relative/path`` / ``sqlite:////absolute/path``
  (SQLAlchemy's spelling): the embedded default, one SQLite file;
- ``postgresql://user@host:port/database`` (``postgres://`` and
  ``postgresql+psycopg://`` too; libpq options such as ``?sslmode=require`` pass
  through): a PostgreSQL database that holds every campaign of a portfolio.

The password of a PostgreSQL store belongs in ``PGPASSWORD`` or ``~/.pgpass``
(libpq reads them); one written into the URL still works, but every display of
the location masks it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from planner.errors import InputError, Problem
from planner.i18n import t

_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*://")
_POSTGRES_SCHEMES = {"postgresql", "postgres", "postgresql+psycopg"}
_SQLITE_SCHEMES = {"sqlite", "sqlite+pysqlite"}
_FIX = "error.location.fix"  # catalogue key


@dataclass(frozen=True)
class StoreLocation:
    """A parsed store address: ``url`` as SQLAlchemy opens it, ``path`` for a SQLite file."""

    url: URL
    path: Path | None  # the SQLite file; None for a database server

    @property
    def is_sqlite(self) -> bool:
        return self.path is not None

    @property
    def has_password(self) -> bool:
        """The URL itself carries a password (it works, but shows in ``ps`` and shell history)."""
        return self.url.password is not None

    @property
    def identity(self) -> str:
        """The same text for two addresses of one store: the file's absolute path, or the
        server, port, database and user (never the password)."""
        if self.path is not None:
            return str(self.path.resolve())
        url = self.url
        return f"{url.username or ''}@{url.host or ''}:{url.port or 5432}/{url.database or ''}"

    def __str__(self) -> str:
        """How messages name the store: the file's path, or the URL with its password masked."""
        if self.path is not None:
            return str(self.path)
        return self.url.set(drivername="postgresql").render_as_string(hide_password=True)


def store_location(store: StoreLocation | Path | str, base: Path | None = None) -> StoreLocation:
    """Parse what the buyer gave as the store; a relative file path is taken under ``base``.

    Raises InputError (exit 2) for an address that names no store the planner can use.
    """
    if isinstance(store, StoreLocation):
        return store
    if isinstance(store, Path):
        return _sqlite(store, base)
    text = store.strip().strip('"').strip("'").strip()
    if not text:
        raise InputError(Problem(t("error.location.empty"), fix=t(_FIX)))
    if not _SCHEME.match(text):
        return _sqlite(Path(text).expanduser(), base)
    try:
        url = make_url(text)
    except ArgumentError:
        raise InputError(Problem(t("error.location.unreadable", store=_masked(text)),
                                 fix=t(_FIX))) from None
    scheme = url.drivername.lower()
    if scheme in _SQLITE_SCHEMES:
        if not url.database or url.database == ":memory:" or url.query:
            raise InputError(Problem(
                t("error.location.no_file", store=_masked(text)), fix=t(_FIX)))
        return _sqlite(Path(url.database).expanduser(), base)
    if scheme in _POSTGRES_SCHEMES:
        return StoreLocation(url.set(drivername="postgresql+psycopg"), None)
    raise InputError(Problem(
        t("error.location.driver", store=_masked(text), driver=url.drivername), fix=t(_FIX)))


def _sqlite(path: Path, base: Path | None) -> StoreLocation:
    if base is not None and not path.is_absolute():
        path = base / path
    return StoreLocation(URL.create("sqlite+pysqlite", database=str(path)), path)


def _masked(text: str) -> str:
    """The address as typed, with any password replaced by ***."""
    return re.sub(r"(://[^:/@?#]*:)[^@/?#]*@", r"\1***@", text)
