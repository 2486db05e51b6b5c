"""Alembic migrations (``env.py`` and ``versions/``); run them with :func:`api.db.migrate`."""
