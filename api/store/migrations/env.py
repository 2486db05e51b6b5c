"""Alembic environment: uses the connection given by :func:`api.store.db.migrate`, else ``DATABASE_URL``."""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from api.store.models import metadata


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        compare_type=True,
        # SQLite cannot ALTER most things: later migrations rebuild tables in batch mode.
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


def _run_offline() -> None:
    from api.store.db import normalise_url
    from api.settings import Settings

    url = normalise_url(Settings().database_url)
    context.configure(url=url, target_metadata=metadata, literal_binds=True, compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


def _run_online() -> None:
    given = context.config.attributes.get("connection")
    if isinstance(given, Connection):
        _configure(given)
        return
    # Command-line use (``alembic -c api/store/alembic.ini …``): connect with the app settings.
    from api.store.db import make_engine
    from api.settings import Settings

    engine = make_engine(Settings().database_url)
    try:
        with engine.begin() as conn:
            _configure(conn)
    finally:
        engine.dispose()


if context.is_offline_mode():
    _run_offline()
else:
    _run_online()
