"""Test databases: a fresh PostgreSQL schema per use (SQLite files come from ``tmp_path``)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.engine import make_url

from api.store.db import make_engine

__all__ = ["postgres_schema_url"]


@contextmanager
def postgres_schema_url(postgres_url: str, prefix: str = "edge") -> Iterator[str]:
    """``postgres_url`` with a fresh schema first on the search_path (dropped with CASCADE afterwards)."""
    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = make_engine(postgres_url, pool_size=1)
    with admin.begin() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    url = make_url(postgres_url).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        admin.dispose()
