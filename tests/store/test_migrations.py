"""Migrations create exactly the tables the models describe, on both backends."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect

from api.store.db import alembic_config, migrate
from api.store.models import metadata


def test_migrated_schema_matches_models(db_engine: Engine) -> None:
    migrate(db_engine)
    with db_engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "compare_server_default": True}
        )
        diff = compare_metadata(context, metadata)
    assert diff == []


def test_migrate_is_idempotent_and_at_head(db_engine: Engine) -> None:
    migrate(db_engine)
    migrate(db_engine)
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    with db_engine.connect() as conn:
        assert MigrationContext.configure(conn).get_current_revision() == head
    tables = set(inspect(db_engine).get_table_names())
    assert set(metadata.tables) <= tables


def test_one_linear_history() -> None:
    script = ScriptDirectory.from_config(alembic_config())
    assert len(script.get_heads()) == 1
    for rev in script.walk_revisions():
        assert rev.path is not None
        # Revision files are importable module names (mypy checks them).
        assert rev.path.rsplit("/", 1)[-1].startswith("rev_")


def test_downgrade_to_base_and_back(db_engine: Engine) -> None:
    migrate(db_engine)
    cfg = alembic_config()
    with db_engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "base")
    assert set(inspect(db_engine).get_table_names()) <= {"alembic_version"}
    migrate(db_engine)
    assert set(metadata.tables) <= set(inspect(db_engine).get_table_names())


def test_instances_migrating_together(db_engine: Engine) -> None:
    barrier = threading.Barrier(3)

    def start_instance(_: int) -> None:
        barrier.wait(timeout=10)
        migrate(db_engine)

    with ThreadPoolExecutor(max_workers=3) as pool:
        list(pool.map(start_instance, range(3)))
    with db_engine.connect() as conn:
        assert not compare_metadata(MigrationContext.configure(conn), metadata)
