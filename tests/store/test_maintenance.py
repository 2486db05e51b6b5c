"""Background housekeeping (api.store.maintenance): pruning on both backends, the SQLite WAL checkpointer."""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
from pathlib import Path
from typing import Any

import pytest

import api.store.maintenance as maintenance_module
from api.store.db import SQLITE_AUTOCHECKPOINT_PAGES, make_engine, migrate
from api.store.maintenance import Maintenance, PruneReport, Retention, checkpoint_wal, prune
from api.store.models import KeyValue, Outbox, ProcessedUpdate, RateBudget
from api.store import Store

NOW = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)


def _seed(store: Store) -> None:
    """Old and recent rows of every kind that is pruned, and rows that must stay whatever their age."""
    with store.unit() as u:
        for i in range(5):
            u.claim_update(channel="telegram", update_id=f"old-{i}", now=NOW - 8 * DAY)
        u.claim_update(channel="telegram", update_id="yesterday", now=NOW - DAY)
        ids = [
            u.enqueue_outbox(channel="telegram", chat_id=str(i), body={"n": i}, context=None, now=NOW - 10 * DAY)
            for i in range(4)
        ]
        recent = u.enqueue_outbox(channel="telegram", chat_id="9", body={}, context=None, now=NOW - DAY)
        u.claim_outbox(channel="telegram", limit=10, now=NOW - 9 * DAY)
        u.mark_sent(id=ids[0], now=NOW - 9 * DAY)
        u.mark_failed(id=ids[1], error="403", retry_at=NOW - 9 * DAY, dead=True)
        u.mark_failed(id=ids[2], error="timeout", retry_at=NOW, dead=False)  # still to retry: kept
        # ids[3] stays 'sending' (an old lease): kept, the sender picks it up again.
        u.mark_sent(id=recent, now=NOW - DAY)
        epoch = int(NOW.timestamp())
        u.hit_rate_limit(key="tg:chat:1", limit=3, window_s=3, now_epoch=epoch - 2 * 86400)
        u.hit_rate_limit(key="tg:global", limit=30, window_s=1, now_epoch=epoch - 10)
        u.set_kv(key="tg:cb:~old", value="faq_x", now=NOW - 31 * DAY)
        u.set_kv(key="tg:cb:~new", value="faq_y", now=NOW - 29 * DAY)
        u.set_kv(key="zalo_oa:token", value="{}", now=NOW - 90 * DAY)


def test_prune_deletes_only_what_is_old(store: Store) -> None:
    _seed(store)
    report = prune(store, now=NOW, chunk=2)  # several chunks for the updates
    assert report == PruneReport(processed_updates=5, outbox=2, rate_budget=1, telegram_callbacks=1)
    assert report.total == 9
    with store.unit(readonly=True) as u:
        assert u.count(ProcessedUpdate) == 1
        assert u.count(Outbox) == 3 and u.count(Outbox, status="sent") == 1
        assert u.count(RateBudget) == 1
        assert u.get_kv(key="tg:cb:~old") is None and u.get_kv(key="tg:cb:~new") == "faq_y"
        assert u.count(KeyValue) == 2
    assert prune(store, now=NOW) == PruneReport()  # idempotent


def test_prune_retention_is_configurable(store: Store) -> None:
    _seed(store)
    report = prune(store, now=NOW, retention=Retention(processed_updates=dt.timedelta(hours=12)))
    assert report.processed_updates == 6


def test_instances_pruning_together_delete_each_row_once(store: Store) -> None:
    _seed(store)
    barrier = threading.Barrier(3)
    reports: list[PruneReport] = []

    def run() -> None:
        barrier.wait(timeout=10)
        reports.append(prune(Store(store.engine), now=NOW, chunk=1))

    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(r.total for r in reports) == 9


def test_a_job_held_by_another_instance_is_skipped(store: Store) -> None:
    _seed(store)
    if store.dialect != "postgresql":
        return  # SQLite: one writer at a time, nothing to skip
    with store.unit() as holder:
        assert holder.try_advisory_lock(name="troly06:maintenance:processed_updates")
        report = prune(Store(store.engine), now=NOW)
    assert report.processed_updates == 0 and report.outbox == 2


async def test_maintenance_task_prunes_and_stops(store: Store) -> None:
    _seed(store)
    maintenance = Maintenance(store, interval_s=0.05, first_delay_s=(0.0, 0.01), clock=lambda: NOW)
    maintenance.start()
    try:
        for _ in range(200):
            if maintenance.last_report is not None:
                break
            await asyncio.sleep(0.02)
    finally:
        await maintenance.stop()
    assert maintenance.last_report is not None
    with store.unit(readonly=True) as u:
        assert u.count(ProcessedUpdate) == 1


async def test_maintenance_survives_a_failing_database(store: Store) -> None:
    broken = Store(store.engine)
    calls: list[int] = []

    def fail(*args: object, **kwargs: object) -> None:
        calls.append(1)
        raise RuntimeError("database down")

    broken.unit = fail  # type: ignore[assignment, method-assign]
    maintenance = Maintenance(broken, interval_s=0.01, jitter=0.0, first_delay_s=(0.0, 0.0), checkpoint_s=None)
    maintenance.start()
    for _ in range(100):
        if len(calls) >= 3:
            break
        await asyncio.sleep(0.01)
    await maintenance.stop()
    assert len(calls) >= 3


async def test_wal_checkpointer_runs_on_a_sqlite_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'wal.sqlite3'}")
    migrate(engine)
    store = Store(engine)
    results: list[tuple[int, int, int]] = []

    def recording_checkpoint(dbapi_connection: Any) -> tuple[int, int, int]:
        result = checkpoint_wal(dbapi_connection)
        results.append(result)
        return result

    monkeypatch.setattr(maintenance_module, "checkpoint_wal", recording_checkpoint)
    try:
        with engine.connect() as conn:
            # The commit-time checkpoint is only a safety net, far above SQLite's default.
            assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar_one() == SQLITE_AUTOCHECKPOINT_PAGES
        with store.unit() as u:
            for i in range(200):
                u.claim_update(channel="telegram", update_id=str(i), now=NOW)
        maintenance = Maintenance(store, first_delay_s=(60.0, 60.0), checkpoint_s=0.01)
        maintenance.start()
        for _ in range(200):
            if results and results[-1][1] > 0 and results[-1][1] == results[-1][2]:
                break
            await asyncio.sleep(0.01)
        await maintenance.stop()
    finally:
        engine.dispose()
    # A passive checkpoint copied every frame of the WAL into the database file.
    assert results and results[-1][0] == 0 and results[-1][1] == results[-1][2] > 0


async def test_no_wal_checkpointer_on_postgresql_or_memory(store: Store) -> None:
    maintenance = Maintenance(store, first_delay_s=(60.0, 60.0), checkpoint_s=0.01)
    maintenance.start()
    names = {t.get_name() for t in maintenance._tasks}
    await maintenance.stop()
    assert ("maintenance-wal" in names) is (store.dialect == "sqlite")
