"""Housekeeping in the background: old rows pruned every few minutes; SQLite's WAL checkpointed.

:func:`prune` deletes, in small chunks (one short transaction each, so a webhook never waits long
for SQLite's single writer):

- de-duplication rows (``processed_updates``) older than 7 days: Telegram redelivers an update for
  at most 24 hours, so a week is ample;
- outbox rows ``sent`` or ``dead`` created more than 7 days ago (unsent rows are never touched);
- rate budgets whose window started more than a day ago (a stale row restarts at 1 on its next hit
  anyway, so only rows nobody hit for a day go);
- Telegram callback payloads (KeyValue ``tg:cb:*``, the payload behind a long button) written more
  than 30 days ago: the value is the bare payload, so ``updated_at`` is its age (the sender writes
  it again each time it sends the button, which keeps live ones fresh).

After a citizen's «xóa dữ liệu của tôi», :meth:`api.store.Store.erase_traces` scrubs the files:
a ``TRUNCATE`` checkpoint on SQLite (deleted rows are zeroed by ``secure_delete``, and the emptied
write-ahead log holds no earlier copy), ``VACUUM`` of the personal-data tables on PostgreSQL. The
turn does it at once where it can (SQLite, off the event loop); otherwise :class:`Maintenance`
does it within ``erase_s`` (5 s) of the deletion while any instance runs.

Several instances may prune at once: the deletes are idempotent, and on PostgreSQL each chunk
first tries an advisory lock per job, so an instance skips a job another one is running.

:class:`Maintenance` is the lifespan task: :func:`prune` every ``interval_s`` (jittered, so
instances started together drift apart), in a worker thread. On a SQLite file it also runs a
passive WAL checkpoint every ``checkpoint_s`` on its own connection: SQLite would otherwise
checkpoint inside a committing transaction every thousand pages (copy plus two fsyncs, tens of
milliseconds) and that webhook's 200 would wait for it. :func:`api.store.db.make_engine` raises the
automatic threshold so that it remains only a safety net.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from api.store import Store, Unit
from bot.channels.telegram import KV_CALLBACK_PREFIX

__all__ = ["Maintenance", "PruneReport", "Retention", "checkpoint_wal", "prune"]

log = logging.getLogger(__name__)

#: Advisory lock names (PostgreSQL) of the prune jobs, one per table.
_LOCK = "troly06:maintenance:"


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True, slots=True)
class Retention:
    """How long each kind of row is kept."""

    processed_updates: dt.timedelta = dt.timedelta(days=7)
    outbox: dt.timedelta = dt.timedelta(days=7)
    #: Longer than any rate-limit window in use (the longest is a minute).
    rate_budget: dt.timedelta = dt.timedelta(days=1)
    telegram_callbacks: dt.timedelta = dt.timedelta(days=30)


@dataclass(frozen=True, slots=True)
class PruneReport:
    """Rows deleted by one :func:`prune` (a job skipped because another instance held it counts 0)."""

    processed_updates: int = 0
    outbox: int = 0
    rate_budget: int = 0
    telegram_callbacks: int = 0

    @property
    def total(self) -> int:
        """All rows deleted."""
        return self.processed_updates + self.outbox + self.rate_budget + self.telegram_callbacks


def _chunked(store: Store, job: str, delete: Callable[[Unit, int], int], *, chunk: int, max_chunks: int) -> int:
    """Run ``delete(unit, chunk)`` in its own transaction until it deletes less than ``chunk``."""
    total = 0
    for _ in range(max_chunks):
        with store.unit() as unit:
            if not unit.try_advisory_lock(name=_LOCK + job):
                return total  # another instance is on it
            deleted = delete(unit, chunk)
        total += deleted
        if deleted < chunk:
            break
    return total


def prune(
    store: Store,
    *,
    now: dt.datetime,
    retention: Retention | None = None,
    chunk: int = 500,
    max_chunks: int = 1000,
) -> PruneReport:
    """Delete what :class:`Retention` says is old, ``chunk`` rows per transaction."""
    keep = retention or Retention()
    updates_before = now - keep.processed_updates
    outbox_before = now - keep.outbox
    budget_before = int((now - keep.rate_budget).timestamp())
    callbacks_before = now - keep.telegram_callbacks
    return PruneReport(
        processed_updates=_chunked(
            store, "processed_updates", lambda u, n: u.prune_updates(before=updates_before, limit=n),
            chunk=chunk, max_chunks=max_chunks,
        ),
        outbox=_chunked(
            store, "outbox", lambda u, n: u.prune_outbox(before=outbox_before, limit=n),
            chunk=chunk, max_chunks=max_chunks,
        ),
        rate_budget=_chunked(
            store, "rate_budget", lambda u, n: u.prune_rate_budget(before_epoch=budget_before, limit=n),
            chunk=chunk, max_chunks=max_chunks,
        ),
        telegram_callbacks=_chunked(
            store, "kv_tg_cb",
            lambda u, n: u.prune_kv(prefix=KV_CALLBACK_PREFIX, before=callbacks_before, limit=n),
            chunk=chunk, max_chunks=max_chunks,
        ),
    )


def checkpoint_wal(dbapi_connection: Any) -> tuple[int, int, int]:
    """``PRAGMA wal_checkpoint(PASSIVE)`` on a raw sqlite3 connection: (busy, log, checkpointed).

    Passive: it copies what it can without waiting for (or blocking) readers and writers.
    """
    row = dbapi_connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    return int(row[0]), int(row[1]), int(row[2])


class Maintenance:
    """The lifespan's housekeeping tasks (see the module docstring)."""

    def __init__(
        self,
        store: Store,
        *,
        interval_s: float = 300.0,
        jitter: float = 0.2,
        first_delay_s: tuple[float, float] = (30.0, 90.0),
        retention: Retention | None = None,
        chunk: int = 500,
        checkpoint_s: float | None = 0.25,
        erase_s: float | None = 5.0,
        clock: Callable[[], dt.datetime] = _utcnow,
    ) -> None:
        self.store = store
        self.interval_s = interval_s
        self.jitter = jitter
        self.first_delay_s = first_delay_s
        self.retention = retention or Retention()
        self.chunk = chunk
        self.checkpoint_s = checkpoint_s
        self.erase_s = erase_s
        self.clock = clock
        self.last_report: PruneReport | None = None
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        """Start the prune loop (and the WAL checkpointer on a SQLite file)."""
        if self._tasks:
            return
        self._stop.clear()
        self._tasks.append(asyncio.create_task(self._prune_loop(), name="maintenance-prune"))
        if self.checkpoint_s is not None and _is_sqlite_file(self.store):
            self._tasks.append(asyncio.create_task(self._checkpoint_loop(), name="maintenance-wal"))
        if self.erase_s is not None:
            self._tasks.append(asyncio.create_task(self._erase_loop(), name="maintenance-erase"))

    async def stop(self) -> None:
        """Stop the tasks (a prune in progress finishes its current chunk)."""
        self._stop.set()
        tasks, self._tasks = self._tasks, []
        for task in tasks:
            try:
                await asyncio.wait_for(task, timeout=30)
            except TimeoutError:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    async def run_once(self) -> PruneReport:
        """Prune now (in a worker thread); returns what was deleted."""
        now = self.clock()
        report = await asyncio.to_thread(
            prune, self.store, now=now, retention=self.retention, chunk=self.chunk
        )
        self.last_report = report
        if report.total:
            log.info("maintenance: pruned %s", report)
        return report

    async def _wait(self, seconds: float) -> bool:
        """Sleep ``seconds``; True when stopped meanwhile."""
        try:
            await asyncio.wait_for(self._stop.wait(), timeout=max(0.0, seconds))
            return True
        except TimeoutError:
            return False

    async def _prune_loop(self) -> None:
        delay = random.uniform(*self.first_delay_s)
        while not await self._wait(delay):
            try:
                await self.run_once()
            except Exception as exc:  # noqa: BLE001 - the database may be down: try again next time
                log.warning("maintenance: pruning failed (%s)", type(exc).__name__)
            delay = self.interval_s * random.uniform(1 - self.jitter, 1 + self.jitter)

    async def _checkpoint_loop(self) -> None:
        assert self.checkpoint_s is not None
        raw = await asyncio.to_thread(self.store.engine.raw_connection)
        try:
            while not await self._wait(self.checkpoint_s):
                try:
                    await asyncio.to_thread(checkpoint_wal, raw.driver_connection)
                except Exception as exc:  # noqa: BLE001 - SQLite checkpoints on commit meanwhile
                    log.warning("maintenance: WAL checkpoint failed (%s)", type(exc).__name__)
        finally:
            await asyncio.to_thread(raw.close)


    async def _erase_loop(self) -> None:
        """Scrub privacy deletions from the files soon after they happen (one cheap read when none)."""
        assert self.erase_s is not None
        while not await self._wait(self.erase_s):
            try:
                await asyncio.to_thread(self.store.erase_traces)
            except Exception as exc:  # noqa: BLE001 - tried again at the next pass
                log.warning("maintenance: scrubbing deleted rows failed (%s)", type(exc).__name__)


def _is_sqlite_file(store: Store) -> bool:
    if store.dialect != "sqlite":
        return False
    database = store.engine.url.database or ""
    return database not in ("", ":memory:") and not database.startswith("file::memory:")
