"""What --store accepts: a file path or a database URL, never showing a password."""

from __future__ import annotations

from pathlib import Path

import pytest

from planner.errors import InputError
from planner.io.store_location import store_location

# These tests check the English wording of messages (PLANNER_LANG=en);
# tests/test_error_language.py checks they come out in Chinese by default.
pytestmark = pytest.mark.usefixtures("english")


@pytest.mark.parametrize("text, path", [
    ("history.sqlite", Path("history.sqlite")),
    (" 'out/history.sqlite' ", Path("out/history.sqlite")),
    ("sqlite:///out/history.sqlite", Path("out/history.sqlite")),
    ("sqlite:////srv/history.sqlite", Path("/srv/history.sqlite")),
    ("~/history.sqlite", Path.home() / "history.sqlite"),
])
def test_a_path_or_a_sqlite_url_is_the_embedded_store(text, path):
    location = store_location(text)
    assert location.is_sqlite and location.path == path
    assert str(location) == str(path)


def test_a_relative_path_is_taken_under_the_base_folder(tmp_path):
    assert store_location("out/h.sqlite", tmp_path).path == tmp_path / "out" / "h.sqlite"
    assert store_location("/srv/h.sqlite", tmp_path).path == Path("/srv/h.sqlite")


@pytest.mark.parametrize("text", [
    "postgresql://planner@db.example:5432/portfolio",
    "postgres://planner@db.example:5432/portfolio",
    "postgresql+psycopg://planner@db.example:5432/portfolio",
])
def test_a_postgresql_url_opens_with_psycopg(text):
    location = store_location(text)
    assert location.path is None and not location.has_password
    assert location.url.drivername == "postgresql+psycopg"
    assert (location.url.host, location.url.port, location.url.database) == (
        "db.example", 5432, "portfolio")
    assert str(location) == "postgresql://planner@db.example:5432/portfolio"


def test_a_password_in_the_url_works_but_is_masked_wherever_it_is_shown():
    location = store_location("postgresql://planner:s3cret@db:5432/portfolio?sslmode=require")
    assert location.has_password and location.url.password == "s3cret"
    assert str(location) == "postgresql://planner:***@db:5432/portfolio?sslmode=require"


@pytest.mark.parametrize("text, says", [
    ("mysql://planner:s3cret@db/portfolio", "not 'mysql'"),
    ("sqlite://", "names no SQLite file"),
    ("sqlite:///:memory:", "names no SQLite file"),
    ("   ", "is empty"),
])
def test_an_address_naming_no_usable_store_is_bad_input(text, says):
    with pytest.raises(InputError, match=says) as refused:
        store_location(text)
    assert refused.value.exit_code == 2
    assert "s3cret" not in str(refused.value)
