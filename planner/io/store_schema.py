"""The history store's schema and its migrations: one definition for SQLite and PostgreSQL.

The tables are SQLAlchemy Core tables; each migration is a function of one
connection, run inside the caller's write transaction (SQLite and PostgreSQL
both roll DDL back), numbered by its place in ``MIGRATIONS``. The number a
store has reached is kept where each back end keeps it best:

- SQLite: ``PRAGMA user_version``, as every store made before PostgreSQL
  support did, so those files open unchanged and an older planner still
  refuses a store a newer one has migrated;
- PostgreSQL: the one-row table ``planner_schema``.

Dates are ISO-8601 text (``YYYY-MM-DD``) on both back ends: they sort as dates,
compare as text the same way everywhere, and a store copied between back ends
keeps every value byte for byte.

Adding a migration: append a function to ``MIGRATIONS`` and change the tables
below to the new shape. Migration 1 builds its tables from ``_tables_v1`` so it
keeps creating the shape first released.

Migrations:
1. the tables as first released;
2. ``actuals.gmv`` may be NULL: spend a report shows without its GMV (a 巨量广告 or
   DOU+ report, whose GMV comes from the shop) is stored with GMV unknown, never 0.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import (
    Column,
    Connection,
    Double,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Table,
    Text,
    delete,
    insert,
    inspect,
    select,
)


def _tables_v1(metadata: MetaData) -> None:
    """The schema as first released (``CREATE TABLE`` of the SQLite-only planner)."""
    Table(
        "actuals", metadata,
        Column("campaign", Text, primary_key=True),
        Column("date", Text, primary_key=True),
        Column("video_id", Text, primary_key=True),
        Column("tool", Text, primary_key=True),
        Column("spend", Double, nullable=False),
        Column("gmv", Double, nullable=False),
        Column("plays", Double, nullable=False),
        Column("orders", Double),
        Column("clicks", Double),
        Column("likes", Double),
        Column("comments", Double),
        Column("source", Text, nullable=False),
        Column("ingested_at", Text, nullable=False),
    )
    Table(
        "actuals_audit", metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("campaign", Text, nullable=False),
        Column("date", Text, nullable=False),
        Column("video_id", Text, nullable=False),
        Column("tool", Text, nullable=False),
        Column("old_row", Text, nullable=False),
        Column("new_row", Text, nullable=False),
        Column("source", Text, nullable=False),
        Column("replaced_at", Text, nullable=False),
        sqlite_autoincrement=True,  # ids are never reused, as before
    )
    plans = Table(
        "plans", metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("campaign", Text, nullable=False),
        Column("plan_date", Text, nullable=False),
        Column("created_at", Text, nullable=False),
        Column("campaign_json", Text, nullable=False),
        Column("videos_sha256", Text, nullable=False),
        Column("actuals_sha256", Text, nullable=False),
        Column("plan_json", Text, nullable=False),
        sqlite_autoincrement=True,
    )
    Index("plans_by_date", plans.c.campaign, plans.c.plan_date, plans.c.id)
    Table(
        "orders", metadata,
        Column("plan_id", Integer, ForeignKey("plans.id"), primary_key=True,
               autoincrement=False),
        Column("position", Integer, primary_key=True, autoincrement=False),
        Column("video_id", Text, nullable=False),
        Column("tool", Text, nullable=False),
        Column("start_date", Text, nullable=False),
        Column("end_date", Text, nullable=False),
        Column("booking_date", Text, nullable=False),
        Column("budget", Double, nullable=False),
        Column("status", Text, nullable=False),
    )


def _tables_v2(metadata: MetaData) -> None:
    """Migration 2: which ``planner batch`` manifest entry writes each campaign."""
    Table(
        "campaign_owners", metadata,
        Column("campaign", Text, primary_key=True),
        Column("owner", Text, nullable=False),  # the manifest entry's name
        Column("claimed_at", Text, nullable=False),
    )


# SQLite's header field for "which application's file is this" (PRAGMA application_id):
# "PLNR". Set by migration 2; a file with another one is not a planner store.
APPLICATION_ID = 0x504C4E52


def _create_v1(connection: Connection) -> None:
    metadata = MetaData()
    _tables_v1(metadata)
    metadata.create_all(connection, checkfirst=False)  # a clash means a foreign database


def _actuals_v2(metadata: MetaData, name: str = "actuals") -> Table:
    """The actuals table with a nullable GMV (unknown until the shop's file arrives)."""
    first = MetaData()
    _tables_v1(first)
    columns = [Column(c.name, c.type, primary_key=c.primary_key,
                      nullable=True if c.name == "gmv" else c.nullable)
               for c in first.tables["actuals"].columns]
    return Table(name, metadata, *columns)


def _gmv_may_be_unknown(connection: Connection) -> None:
    """Migration 2: ``actuals.gmv`` may be NULL (GMV unknown, never 0)."""
    if connection.dialect.name != "sqlite":
        connection.exec_driver_sql("ALTER TABLE actuals ALTER COLUMN gmv DROP NOT NULL")
        return
    # SQLite cannot drop a NOT NULL: copy the rows into the new shape, then swap.
    metadata = MetaData()
    old = Table("actuals", metadata, autoload_with=connection)
    new = _actuals_v2(metadata, "actuals_v2")
    new.create(connection)
    columns = [c.name for c in new.columns]
    connection.execute(insert(new).from_select(columns, select(*(old.c[c] for c in columns))))
    connection.exec_driver_sql("DROP TABLE actuals")
    connection.exec_driver_sql("ALTER TABLE actuals_v2 RENAME TO actuals")


def _owners_v3(connection: Connection) -> None:
    """Migration 3: which manifest entry owns each campaign; the planner's application id."""
    metadata = MetaData()
    _tables_v2(metadata)
    metadata.create_all(connection, checkfirst=False)
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql(f"PRAGMA application_id = {APPLICATION_ID}")


MIGRATIONS: list[Callable[[Connection], None]] = [_create_v1, _gmv_may_be_unknown, _owners_v3]
SCHEMA_VERSION = len(MIGRATIONS)

# The current shape, for queries: migration 1's tables with migration 2's actuals, and
# migration 3's owners.
metadata = MetaData()
_tables_v1(metadata)
metadata.remove(metadata.tables["actuals"])
_actuals_v2(metadata)
_tables_v2(metadata)
actuals = metadata.tables["actuals"]
actuals_audit = metadata.tables["actuals_audit"]
plans = metadata.tables["plans"]
orders = metadata.tables["orders"]
campaign_owners = metadata.tables["campaign_owners"]
# Parents before children: the order to copy a history in.
HISTORY_TABLES: tuple[Table, ...] = (plans, orders, actuals, actuals_audit, campaign_owners)
# The tables every planner store has had since migration 1: a file that claims a version
# but lacks them is some other program's.
V1_TABLES = frozenset({"actuals", "actuals_audit", "plans", "orders"})

_version_table = Table("planner_schema", MetaData(), Column("version", Integer, nullable=False))


def schema_version(connection: Connection) -> int:
    """The number of migrations this store has run (0: a new, empty store)."""
    if connection.dialect.name == "sqlite":
        return int(connection.exec_driver_sql("PRAGMA user_version").scalar_one())
    if not inspect(connection).has_table(_version_table.name):
        return 0
    return int(connection.execute(select(_version_table.c.version)).scalar_one())


def set_schema_version(connection: Connection, version: int) -> None:
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql(f"PRAGMA user_version = {int(version)}")
        return
    _version_table.create(connection, checkfirst=True)
    connection.execute(delete(_version_table))
    connection.execute(insert(_version_table).values(version=version))


def migrate(connection: Connection) -> int:
    """Run the migrations this store lacks, in the caller's transaction; the version before.

    The caller holds the store's write lock, so two runs opening a new store at
    the same moment create it once.
    """
    version = schema_version(connection)
    if version == 0:
        # A new store is made in its current shape at once: replaying every migration
        # would copy and rename tables while twenty runs wait to open the same new file.
        _create_current(connection)
        set_schema_version(connection, SCHEMA_VERSION)
        return version
    for number, step in enumerate(MIGRATIONS[version:], start=version + 1):
        step(connection)
        set_schema_version(connection, number)
    return version


def _create_current(connection: Connection) -> None:
    """Every table in the current shape (what the migrations make of an empty store)."""
    metadata.create_all(connection, checkfirst=False)  # a clash means a foreign database
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql(f"PRAGMA application_id = {APPLICATION_ID}")
