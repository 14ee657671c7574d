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
from urllib.parse import unquote

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
        """The URL itself carries a password, in its user part or its query (it works, but
        shows in ``ps`` and shell history)."""
        return self.url.password is not None or any(_secret(key) for key in self.url.query)

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
        return masked(self.url.set(drivername="postgresql").render_as_string(hide_password=True))


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
        url = make_url(_userinfo_encoded(text))
    except (ArgumentError, ValueError):  # ValueError: a port that is not a number
        raise InputError(Problem(t("error.location.unreadable", store=masked(text)),
                                 fix=t(_FIX))) from None
    scheme = url.drivername.lower()
    if scheme in _SQLITE_SCHEMES:
        if not url.database or url.database == ":memory:" or url.query:
            raise InputError(Problem(
                t("error.location.no_file", store=masked(text)), fix=t(_FIX)))
        return _sqlite(Path(url.database).expanduser(), base)
    if scheme in _POSTGRES_SCHEMES:
        return StoreLocation(url.set(drivername="postgresql+psycopg"), None)
    raise InputError(Problem(
        t("error.location.driver", store=masked(text), driver=url.drivername), fix=t(_FIX)))


def _sqlite(path: Path, base: Path | None) -> StoreLocation:
    if base is not None and not path.is_absolute():
        path = base / path
    return StoreLocation(URL.create("sqlite+pysqlite", database=str(path)), path)


# Query parameters that hold a secret (libpq's password, sslpassword; tokens of proxies).
_SECRET_WORDS = ("password", "passwd", "pwd", "secret", "token")
_HOST_AFTER = re.compile(r"^[\w.\-\[\]:%]*(?:[/?#]|$)")


def _secret(key: str) -> bool:
    return any(word in unquote(key).lower() for word in _SECRET_WORDS)


def _userinfo_end(text: str) -> int | None:
    """Where the ``user:password`` part of an address ends (the ``@`` before the host).

    A password may hold an unencoded ``@``: the last ``@`` followed by a host is the
    one that ends it, looked for before the query (whose values may hold ``@`` too).
    """
    start = text.find("://")
    if start < 0 or text.lower().startswith("sqlite"):  # a file path may hold an @
        return None
    start += 3
    query = text.find("?", start)
    for stop in (query if query >= 0 else len(text), len(text)):
        ats = [i for i in range(start, stop) if text[i] == "@" and _HOST_AFTER.match(
            text[i + 1:])]
        if ats:
            return ats[-1]
    return None


def _userinfo_encoded(text: str) -> str:
    """The address with an ``@`` inside its user part percent-encoded, so that it parses
    as the buyer meant (``postgresql://u:p@ss@host/db`` is user u, password p@ss)."""
    end = _userinfo_end(text)
    if end is None:
        return text
    start = text.index("://") + 3
    return text[:start] + text[start:end].replace("@", "%40") + text[end:]


def masked(text: str) -> str:
    """An address as typed, with every password replaced by ***: the user part's, also
    with an unencoded ``@`` in it, and query parameters such as ``?password=``,
    percent-encoded or not."""
    end = _userinfo_end(text)
    if end is not None:
        start = text.index("://") + 3
        colon = text.find(":", start, end)
        if colon >= 0:
            text = text[:colon + 1] + "***" + text[end:]
    head, mark, query = text.partition("?")
    if not mark:
        return text
    fragment = ""
    if "#" in query:
        query, fragment = query.split("#", 1)
        fragment = "#" + fragment
    pairs = []
    for pair in query.split("&"):
        key, equals, _ = pair.partition("=")
        pairs.append(f"{key}=***" if equals and _secret(key) else pair)
    return head + mark + "&".join(pairs) + fragment
