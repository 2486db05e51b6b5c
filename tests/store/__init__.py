"""Store, migration and content-sync tests, run on SQLite and PostgreSQL."""
