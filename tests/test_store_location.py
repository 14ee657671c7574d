"""What --store accepts: a file path or a database URL, never showing a password."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from planner.cli import app
from planner.errors import InputError
from planner.io.store_location import masked, store_location

ROOT = Path(__file__).resolve().parent.parent

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


# Every way a password can sit in a store address (issue 29): the user part, encoded or
# not, an unencoded @ inside it, and query parameters, their keys and values encoded or not.
_PASSWORD_FORMS = [
    "postgresql://planner:s3cr3t@127.0.0.1:1/portfolio",
    "postgresql://planner:s3cr3t%21@127.0.0.1:1/portfolio",
    "postgresql://planner:s3c%40r3t@127.0.0.1:1/portfolio",
    "postgresql://planner:s3c@r3t@127.0.0.1:1/portfolio",
    "postgresql://planner:s3c@r3t@127.0.0.1:1/portfolio?password=s3cr3t",
    "postgresql://planner@127.0.0.1:1/portfolio?password=s3cr3t",
    "postgresql://planner@127.0.0.1:1/portfolio?sslmode=disable&password=s3cr3t%26",
    "postgresql://planner@127.0.0.1:1/portfolio?PASSWORD=s3cr3t",
    "postgresql://planner@127.0.0.1:1/portfolio?pass%77ord=s3cr3t",
    "postgresql://planner@127.0.0.1:1/portfolio?sslpassword=s3cr3t&connect_timeout=3",
]


def _no_secret(text: str) -> None:
    for piece in ("s3cr3t", "s3c", "r3t@", "%40r3t"):
        assert piece not in text, text


@pytest.mark.slow
@pytest.mark.parametrize("text", _PASSWORD_FORMS)
def test_every_form_of_a_password_in_a_store_address_is_masked_where_it_is_shown(
        text, tmp_path, english):
    location = store_location(text)
    assert location.has_password
    assert location.url.host == "127.0.0.1" and location.url.database == "portfolio"
    _no_secret(str(location))
    _no_secret(masked(text))
    assert "***" in str(location) and "***" in masked(text)
    # The warning, and the error of a server that does not answer (port 1).
    result = CliRunner().invoke(app, [
        "replan", "--campaign", str(ROOT / "sample_data" / "campaign_tmall.toml"), "--videos",
        str(ROOT / "tests/data/bad/videos_tab.tsv"), "--actuals",
        str(ROOT / "tests/data/bad/actuals_good_gb18030.csv"), "--date", "2027-04-23",
        "--store", text, "--out", str(tmp_path / "out")])
    assert result.exit_code == 7, result.output
    assert "password" in result.output.lower()  # warned about
    _no_secret(result.output)


def test_a_password_in_an_address_the_planner_cannot_read_is_masked(english):
    for text in ("postgresql://planner:s3c@r3t@db:notaport/x",
                 "mysql://planner@db/x?password=s3cr3t"):
        with pytest.raises(InputError) as refused:
            store_location(text)
        _no_secret(str(refused.value))


@pytest.mark.slow
def test_a_recorded_plan_names_its_store_without_the_password(postgres_cluster, pg_store,
                                                                 tmp_path, english):
    text = f"{pg_store}?password={postgres_cluster.password}"
    result = CliRunner().invoke(app, [
        "plan", "--campaign", str(ROOT / "sample_data" / "campaign_tmall.toml"), "--videos",
        str(ROOT / "tests/data/bad/videos_tab.tsv"), "--store", text,
        "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert "recorded the plan" in result.output.lower() or "version 1" in result.output
    assert postgres_cluster.password not in result.output
    assert "password=***" in result.output
