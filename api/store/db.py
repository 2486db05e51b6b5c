"""Database engines (SQLite for one commune, PostgreSQL for a province) and migrations.

SQLite runs in WAL mode with a busy timeout, and SQLAlchemy (not the ``sqlite3`` driver) emits
``BEGIN``: write units start with ``BEGIN IMMEDIATE`` so two writers queue on the busy timeout
instead of failing on a lock upgrade. Code on the event loop must never wait on that timeout: under
:data:`SQLITE_NOWAIT` the ``BEGIN`` fails at once with :class:`DatabaseBusy` when another
connection (or process) holds the write lock, and the caller hands the job to a thread. The server checkpoints the WAL in the background
(:mod:`api.store.maintenance`); the automatic checkpoint, which runs inside a committing transaction,
only starts at :data:`SQLITE_AUTOCHECKPOINT_PAGES` as a safety net (the CLI, tests). PostgreSQL
uses psycopg 3 with a pre-pinged pool; an optional schema is put first on the ``search_path`` of
every connection (tests run in a fresh schema).
"""

from __future__ import annotations

import functools
import json
import re
import sqlite3
import zlib
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy import exc as exc_module
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.pool import ConnectionPoolEntry, StaticPool

__all__ = [
    "MIGRATIONS_DIR",
    "SQLITE_AUTOCHECKPOINT_PAGES",
    "SQLITE_BEGIN_OPTION",
    "SQLITE_BUSY_TIMEOUT_MS",
    "SQLITE_NOWAIT",
    "DatabaseBusy",
    "alembic_config",
    "lock_key",
    "make_engine",
    "migrate",
    "normalise_url",
]

#: Alembic's script directory (``env.py`` and ``versions/``).
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"

#: WAL size (pages) at which a commit checkpoints by itself (SQLite's default is 1000, about one
#: checkpoint per hundred turns, each tens of milliseconds added to that turn's response).
SQLITE_AUTOCHECKPOINT_PAGES = 10_000

#: Connection execution option choosing the SQLite ``BEGIN`` mode ("IMMEDIATE" or "DEFERRED").
SQLITE_BEGIN_OPTION = "troly06_sqlite_begin"

#: How long a SQLite write waits for another writer (the driver's busy handler), in milliseconds.
SQLITE_BUSY_TIMEOUT_MS = 5000

#: Set (in a context) to make SQLite units fail at once with :class:`DatabaseBusy` instead of
#: waiting for another writer: the event loop sets it while it runs a short database job itself.
SQLITE_NOWAIT: ContextVar[bool] = ContextVar("troly06_sqlite_nowait", default=False)


class DatabaseBusy(Exception):
    """A SQLite unit under :data:`SQLITE_NOWAIT` found another connection holding the write lock."""


_SCHEMA_RE = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
_BEGIN_MODES = frozenset({"DEFERRED", "IMMEDIATE", "EXCLUSIVE"})
#: Key of the PostgreSQL advisory lock held while migrating (instances may start together).
def lock_key(name: str) -> int:
    """The signed 32-bit key of the advisory lock ``name`` (PostgreSQL pairs it with the schema's)."""
    key = zlib.crc32(name.encode())
    return key - (1 << 32) if key >= 1 << 31 else key


_MIGRATE_LOCK = lock_key("troly06:migrate")


def normalise_url(url: str) -> URL:
    """Parse ``url``; plain ``postgres://`` / ``postgresql://`` URLs get the psycopg 3 driver."""
    parsed = make_url(url)
    if parsed.drivername in ("postgres", "postgresql"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def make_engine(url: str, *, schema: str | None = None, echo: bool = False, pool_size: int = 5) -> Engine:
    """Build the engine for ``url`` (SQLite file or PostgreSQL), configured for this app."""
    parsed = normalise_url(url)
    serializer = functools.partial(json.dumps, ensure_ascii=False)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        if schema is not None:
            raise ValueError("schema= is only supported on PostgreSQL")
        return _sqlite_engine(parsed, echo=echo, serializer=serializer)
    if backend == "postgresql":
        connect_args: dict[str, Any] = {"connect_timeout": 10}
        if schema is not None:
            if not _SCHEMA_RE.match(schema):
                raise ValueError(f"invalid schema name: {schema!r}")
            connect_args["options"] = f"-csearch_path={schema}"
        return create_engine(
            parsed,
            echo=echo,
            json_serializer=serializer,
            pool_pre_ping=True,
            pool_size=pool_size,
            max_overflow=2 * pool_size,
            pool_recycle=1800,
            connect_args=connect_args,
        )
    raise ValueError(f"unsupported database backend: {backend!r} (use sqlite or postgresql)")


def _sqlite_engine(url: URL, *, echo: bool, serializer: Any) -> Engine:
    database = url.database or ""
    in_memory = database in ("", ":memory:") or database.startswith("file::memory:")
    if in_memory:
        # One shared connection, or every checkout would see a different empty database.
        engine = create_engine(
            url,
            echo=echo,
            json_serializer=serializer,
            poolclass=StaticPool,
            connect_args={"check_same_thread": False},
        )
    else:
        Path(database).expanduser().resolve().parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            echo=echo,
            json_serializer=serializer,
            connect_args={"check_same_thread": False, "timeout": 5.0},
            # The most recently used connection first: SQLite throws a connection's page cache away
            # when another connection wrote since its last transaction, and with the default FIFO
            # every unit would run on a different (cold) connection than the one before.
            pool_use_lifo=True,
        )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
        # Take BEGIN away from the driver (its legacy mode skips it before SELECTs).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            if not in_memory:
                cursor.execute("PRAGMA journal_mode=WAL")
                cursor.execute(f"PRAGMA wal_autocheckpoint={SQLITE_AUTOCHECKPOINT_PAGES}")
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            # Deleted rows are zeroed in the file, not only unlinked (a privacy deletion means gone).
            cursor.execute("PRAGMA secure_delete=ON")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        mode = str(conn.get_execution_options().get(SQLITE_BEGIN_OPTION, "IMMEDIATE")).upper()
        if mode not in _BEGIN_MODES:
            raise ValueError(f"invalid SQLite BEGIN mode: {mode!r}")
        # Straight on the driver: this runs once per unit, and SQLAlchemy's execution path costs
        # more than the statement itself.
        driver: Any = conn.connection.driver_connection
        statement = f"BEGIN {mode}"
        nowait = SQLITE_NOWAIT.get()
        if nowait:
            driver.execute("PRAGMA busy_timeout=0")
        try:
            driver.execute(statement)
        except sqlite3.OperationalError as exc:
            if nowait and ("locked" in str(exc) or "busy" in str(exc)):
                raise DatabaseBusy(str(exc)) from None
            # SQLAlchemy wraps driver errors only on its own execution path: wrap this one too, so
            # a busy timeout here is an OperationalError like any other (503, retried).
            raise exc_module.OperationalError(statement, None, exc) from exc
        finally:
            if nowait:
                driver.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")

    return engine


def alembic_config() -> Config:
    """Alembic configuration built in code (works from any working directory)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("path_separator", "os")
    # Revision files must be importable names (mypy checks them as modules).
    cfg.set_main_option("file_template", "rev_%%(rev)s_%%(slug)s")
    return cfg


def migrate(engine: Engine) -> None:
    """Upgrade the database to the newest migration (``alembic upgrade head``) in one transaction."""
    cfg = alembic_config()
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            # Instances starting together: the second waits, then finds nothing to do.
            # Per schema: deployments (and test runs) in other schemas of the database go on.
            conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock(hashtext(current_schema()), {_MIGRATE_LOCK})")
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
