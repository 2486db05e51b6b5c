"""The store: the database engine, tables, migrations, the repositories and housekeeping.

    repository   Store (one transaction per Unit) and the repository methods every turn uses
    models       the SQLModel tables
    db           engines (SQLite for one commune, PostgreSQL for a province) and migrations
    rawsql       the hot statements run on the driver's cursor
    maintenance  pruning, WAL checkpoints, scrubbing after privacy deletions
    batcher      WriteBatcher: writes arriving together share one transaction, retried on failure
    offload      in_unit: blocking work in one transaction on a worker thread, from async code
    migrations/  Alembic revisions

The names most code needs are re-exported here (``from api.store import Store``).
"""

from __future__ import annotations

from api.store.repository import (
    ERASE_DUE_KEY,
    OUTBOX_ERASE_KEY,
    ContentRowView,
    ContentVersionView,
    LogLine,
    OutboxItem,
    RateHit,
    Store,
    Unit,
    UnsentRow,
)

__all__ = [
    "ERASE_DUE_KEY",
    "OUTBOX_ERASE_KEY",
    "ContentRowView",
    "ContentVersionView",
    "LogLine",
    "OutboxItem",
    "RateHit",
    "Store",
    "Unit",
    "UnsentRow",
]
