"""A worker killed with SIGKILL in the middle of a broadcast, on PostgreSQL with procrastinate for real.

The worker is ``python -m bot announce-worker`` (a procrastinate worker on queue ``announce``) sending
to the fake Bot API. While it sends, the platform starts failing (500 and 429 in turn: the sends in
flight at that instant are refused, so none of them reached anyone), and once every message the
platform accepted is recorded the worker is killed with SIGKILL, with rows claimed, rows waiting for
a retry and rows never tried; the platform recovers and a new worker starts on the same database. Its sweep hands the
dead worker's job back to the queue (no heartbeat), and the delivery rows say what is left:
no subscriber gets the announcement twice, and every subscriber without it has an ``unconfirmed``
row (a request under way at the kill: the platform may or may not have it; never sent again).
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from api.announce import repo
from api.store import Store
from api.store.db import make_engine, migrate
from api.store.models import metadata
from bot.loadrig import SECRET, TOKEN, FakeBotApi, fake_bot_api
from tests.announce.helpers import announce, progress, subscribe
from tests.databases import postgres_schema_url

pytestmark = pytest.mark.postgres

ROOT = Path(__file__).resolve().parents[2]
N = 1500


@pytest.fixture
def pg_url(postgres_url: str) -> Iterator[str]:
    with postgres_schema_url(postgres_url, prefix="announce") as url:
        yield url


def _worker(db_url: str, api_url: str) -> subprocess.Popen[bytes]:
    env = dict(os.environ, DATABASE_URL=db_url, TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_WEBHOOK_SECRET=SECRET,
               TELEGRAM_API_BASE_URL=api_url, TELEGRAM_MODE="webhook", ANNOUNCE_RATE_PER_S="400",
               ANNOUNCE_LEASE_S="3", ANNOUNCE_STALLED_S="5", LOG_LEVEL="WARNING", CONTENT_SYNC_ON_START="false")
    return subprocess.Popen([sys.executable, "-m", "bot", "announce-worker"], env=env, cwd=ROOT,
                            stdout=subprocess.DEVNULL, start_new_session=True)


def _wait(predicate: object, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def _status(store: Store, announcement_id: int) -> str:
    with store.unit(readonly=True) as unit:
        view = repo.get(unit, announcement_id)
        assert view is not None
        return view.status


def _unconfirmed_chats(store: Store, announcement_id: int) -> set[int]:
    deliveries = metadata.tables["announce_deliveries"]
    with store.unit(readonly=True) as unit:
        return {int(c) for c in unit.connection.execute(select(deliveries.c.chat_id).where(
            deliveries.c.announcement_id == announcement_id, deliveries.c.status == "unconfirmed")).scalars()}


def _check_at_most_once(store: Store, announcement_id: int, chats: list[int], per_chat: dict[int, int]) -> int:
    """No chat got it twice; every chat without it has an ``unconfirmed`` row; how many rows are unconfirmed."""
    duplicates = {c: n for c, n in per_chat.items() if n > 1}
    assert not duplicates, f"{len(duplicates)} chats got it twice"
    unconfirmed = _unconfirmed_chats(store, announcement_id)
    missing = set(chats) - set(per_chat)
    assert missing <= unconfirmed, f"lost without an unconfirmed row: {len(missing - unconfirmed)}"
    assert len(unconfirmed) <= 16  # at most the sends in flight at the kill (ANNOUNCE_CONCURRENCY's default)
    final = progress(store, announcement_id)
    assert final["total"] == len(chats)
    assert final["sent"] + final["unconfirmed"] == len(chats), final
    assert final["sent"] == len(set(per_chat)) - len(set(per_chat) & unconfirmed)
    print(f"unconfirmed rows: {len(unconfirmed)} (of which the platform got {len(unconfirmed & set(per_chat))})")
    return len(unconfirmed)


def test_kill_9_mid_run_then_restart_sends_each_at_most_once_and_loses_only_unconfirmed_rows(pg_url: str) -> None:
    engine = make_engine(pg_url)
    migrate(engine)
    store = Store(engine)
    chats = subscribe(store, N)
    first: subprocess.Popen[bytes] | None = None
    second: subprocess.Popen[bytes] | None = None
    fake: FakeBotApi
    try:
        with fake_bot_api() as (api_url, fake):
            first = _worker(pg_url, api_url)
            announcement_id = announce(store)
            _wait(lambda: fake.sent >= N // 3, 90, "a third of the messages")
            fake.set_failing(True)
            _wait(lambda: fake.refused >= 4, 30, "refused sends")
            # Every message the platform accepted is recorded; the rows in flight were refused.
            _wait(lambda: progress(store, announcement_id)["sent"] == fake.sent, 30, "the outcomes to be written")
            os.killpg(first.pid, signal.SIGKILL)
            first.wait(timeout=30)
            assert 0 < fake.sent < N
            killed_at = progress(store, announcement_id)
            assert killed_at["sent"] < N and _status(store, announcement_id) == "sending"
            fake.set_failing(False)
            second = _worker(pg_url, api_url)
            _wait(lambda: _status(store, announcement_id) == "done", 120, "the announcement to finish")
            per_chat = fake.per_chat()
        _check_at_most_once(store, announcement_id, chats, per_chat)
        # the work really went through procrastinate
        with store.unit(readonly=True) as unit:
            jobs = unit.connection.exec_driver_sql(
                "SELECT status, attempts FROM procrastinate_jobs WHERE task_name = 'announce.deliver'").all()
        # (successful jobs are deleted; the dead worker's job was ended as failed, nothing is left queued)
        assert jobs == [("failed", 1)], jobs
        deliveries = metadata.tables["announce_deliveries"]
        with store.unit(readonly=True) as unit:
            assert unit.connection.execute(select(deliveries.c.id).where(
                deliveries.c.status.notin_(("sent", "unconfirmed")))).first() is None
    finally:
        for proc in (first, second):
            if proc is not None and proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait()
        engine.dispose()


@pytest.mark.parametrize("kill_after", [37, 411])
def test_kill_9_at_a_random_instant_repeats_nothing_and_loses_only_unconfirmed_rows(
        pg_url: str, kill_after: int) -> None:
    """Killed while messages are in flight, a worker cannot know which of them the platform took: those
    rows (at most the sender's concurrency) end ``unconfirmed`` and are not sent again; the rows it had
    claimed but not started are sent by the next worker; nobody gets it twice."""
    engine = make_engine(pg_url)
    migrate(engine)
    store = Store(engine)
    chats = subscribe(store, 600)
    procs: list[subprocess.Popen[bytes]] = []
    try:
        with fake_bot_api() as (api_url, fake):
            procs.append(_worker(pg_url, api_url))
            announcement_id = announce(store)
            _wait(lambda: fake.sent >= kill_after, 90, f"{kill_after} messages")
            time.sleep(random.uniform(0.0, 0.05))  # a random instant: sends are leaving every few ms
            os.killpg(procs[0].pid, signal.SIGKILL)
            procs[0].wait(timeout=30)
            with store.unit(readonly=True) as unit:
                deliveries = metadata.tables["announce_deliveries"]
                at_kill = {str(status): int(n) for status, n in unit.connection.execute(
                    select(deliveries.c.status, func.count()).group_by(deliveries.c.status))}
            assert at_kill.get("sending", 0) > 0, at_kill  # rows claimed, never tried: the next worker sends them
            procs.append(_worker(pg_url, api_url))
            _wait(lambda: _status(store, announcement_id) == "done", 120, "the announcement to finish")
            per_chat = fake.per_chat()
        print(f"at the kill: {at_kill}")
        _check_at_most_once(store, announcement_id, chats, per_chat)
    finally:
        for proc in procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        engine.dispose()
