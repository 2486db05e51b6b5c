"""A worker killed with SIGKILL in the middle of a broadcast, on PostgreSQL with procrastinate for real.

The worker is ``python -m bot announce-worker`` (a procrastinate worker on queue ``announce``) sending
to the fake Bot API. While it sends, the platform starts failing (500 and 429 in turn: the sends in
flight at that instant are refused, so none of them reached anyone), and once every message the
platform accepted is recorded the worker is killed with SIGKILL, with rows claimed, rows waiting for
a retry and rows never tried; the platform recovers and a new worker starts on the same database. Its sweep hands the
dead worker's job back to the queue (no heartbeat), and the delivery rows say what is left:
every subscriber gets the announcement exactly once.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

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
               ANNOUNCE_LEASE_S="3", LOG_LEVEL="WARNING", CONTENT_SYNC_ON_START="false")
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


def test_kill_9_mid_run_then_restart_sends_each_exactly_once(pg_url: str) -> None:
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
        assert set(per_chat) == set(chats), f"lost: {len(set(chats) - set(per_chat))}"
        duplicates = {c: n for c, n in per_chat.items() if n > 1}
        assert not duplicates, f"{len(duplicates)} chats got it twice"
        final = progress(store, announcement_id)
        assert final["sent"] == N and final["total"] == N
        # the work really went through procrastinate
        with store.unit(readonly=True) as unit:
            jobs = unit.connection.exec_driver_sql(
                "SELECT status, attempts FROM procrastinate_jobs WHERE task_name = 'announce.deliver'").all()
        # (successful jobs are deleted; the dead worker's job was ended as failed, nothing is left queued)
        assert jobs == [("failed", 1)], jobs
        deliveries = metadata.tables["announce_deliveries"]
        with store.unit(readonly=True) as unit:
            assert unit.connection.execute(select(deliveries.c.id).where(
                deliveries.c.status != "sent")).first() is None
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


def test_kill_9_at_a_random_instant_loses_nothing_and_repeats_at_most_the_sends_in_flight(pg_url: str) -> None:
    """Killed while messages are in flight, a worker cannot know which of them the platform took: those
    (at most the sender's concurrency) are sent again; nothing is lost."""
    engine = make_engine(pg_url)
    migrate(engine)
    store = Store(engine)
    chats = subscribe(store, 600)
    procs: list[subprocess.Popen[bytes]] = []
    try:
        with fake_bot_api() as (api_url, fake):
            procs.append(_worker(pg_url, api_url))
            announcement_id = announce(store)
            _wait(lambda: fake.sent >= 200, 90, "a third of the messages")
            os.killpg(procs[0].pid, signal.SIGKILL)
            procs[0].wait(timeout=30)
            procs.append(_worker(pg_url, api_url))
            _wait(lambda: _status(store, announcement_id) == "done", 120, "the announcement to finish")
            per_chat = fake.per_chat()
        assert set(per_chat) == set(chats)
        assert sum(n - 1 for n in per_chat.values()) <= 16  # ANNOUNCE_CONCURRENCY's default
    finally:
        for proc in procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        engine.dispose()
