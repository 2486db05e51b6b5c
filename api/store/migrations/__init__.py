"""Alembic migrations (``env.py`` and ``versions/``); run them with :func:`api.store.db.migrate`."""
