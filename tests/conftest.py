"""Shared fixtures.

Database fixtures (the ``store`` fixture runs a test once per backend, like litestar's):

- ``db_engine``: a fresh, empty, unmigrated engine, parametrized ``[sqlite]`` (a new file under
  ``tmp_path``) and ``[postgres]`` (a new random schema in ``TEST_DATABASE_URL``, dropped with
  CASCADE afterwards; marked ``postgres``).
- ``store``: a :class:`api.store.Store` on ``db_engine`` after ``migrate()``.
- ``sqlite_store``: a migrated SQLite-only store, for tests that just need a database.
- ``postgres_url``: ``TEST_DATABASE_URL`` once PostgreSQL answered.

``whole_bot`` (from :mod:`tests.whole_bot`): the whole bot on the shipped content, on a fixed day.

When PostgreSQL cannot be reached the ``[postgres]`` tests fail with a clear message; set
``SKIP_POSTGRES=1`` to skip them instead. Run one backend with ``-k sqlite`` or ``-m "not postgres"``.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from api.store.db import make_engine, migrate
from api.settings import Settings
from api.store import Store
from tests.whole_bot import whole_bot  # noqa: F401 - the fixture is offered to every test by name

_BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


def _postgres_problem(url: str) -> str | None:
    """Why PostgreSQL at ``url`` cannot be used, or None when it answers."""
    engine = make_engine(url, pool_size=1)
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
    except Exception as exc:  # noqa: BLE001 - any failure means "not reachable"; reported below
        return f"{type(exc).__name__}: {exc}".strip()
    finally:
        engine.dispose()
    return None


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """``TEST_DATABASE_URL`` (via Settings) after checking that PostgreSQL answers."""
    if os.environ.get("SKIP_POSTGRES") == "1":
        pytest.skip("SKIP_POSTGRES=1: PostgreSQL tests skipped")
    url = Settings().test_database_url
    problem = _postgres_problem(url)
    if problem is not None:
        shown = make_url(url).render_as_string(hide_password=True)
        pytest.fail(
            f"PostgreSQL is not reachable at {shown} ({problem}). Start it, point TEST_DATABASE_URL at "
            "a server, or set SKIP_POSTGRES=1 to skip the PostgreSQL tests.",
            pytrace=False,
        )
    return url


def _sqlite_engine(tmp_path: Path) -> Engine:
    return make_engine(f"sqlite:///{tmp_path / 'store.sqlite3'}")


@pytest.fixture(params=_BACKENDS)
def db_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A fresh empty database per test, on each backend (unmigrated)."""
    if request.param == "sqlite":
        engine = _sqlite_engine(tmp_path)
        try:
            yield engine
        finally:
            engine.dispose()
        return
    url: str = request.getfixturevalue("postgres_url")
    schema = f"test_{uuid.uuid4().hex[:12]}"
    admin = make_engine(url, pool_size=1)
    with admin.begin() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    engine = make_engine(url, schema=schema)
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        admin.dispose()


@pytest.fixture
def store(db_engine: Engine) -> Store:
    """A migrated store on each backend."""
    migrate(db_engine)
    return Store(db_engine)


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[Store]:
    """A migrated store on a fresh SQLite file (one backend only)."""
    engine = _sqlite_engine(tmp_path)
    migrate(engine)
    try:
        yield Store(engine)
    finally:
        engine.dispose()


# === Network guard: every test may reach loopback only ===


@pytest.fixture(autouse=True)
def _loopback_only() -> Iterator[None]:
    """Any connection or name lookup beyond loopback during a test fails it."""
    from tests.fakes.network import loopback_guard

    with loopback_guard() as refused:
        yield
    if refused:
        pytest.fail(f"the test tried to reach beyond loopback: {refused}", pytrace=False)
