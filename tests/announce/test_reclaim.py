"""At most once for sends under way, at least once for rows never tried.

A row is marked ``inflight`` (committed) before its request goes out. When a lease ends, an
``inflight`` row becomes ``unconfirmed`` and is never sent again; a row only claimed (``sending``)
is claimed and sent again. A clean stop lets the sends under way finish.
"""

from __future__ import annotations

import asyncio
import datetime as dt

from sqlalchemy import select, update

from api.announce import repo
from api.announce.delivery import Broadcaster, SendResult
from api.announce.repo import Claimed, Outcome
from api.announce.telegram import TelegramBroadcastSender
from api.store import Store
from api.store.models import metadata
from bot.core.types import Reply
from bot.loadrig import TOKEN, fake_bot_api
from tests.announce.helpers import announce, broadcaster, progress, subscribe

_d = metadata.tables["announce_deliveries"]


def _listed(store: Store, announcement_id: int) -> dt.datetime:
    with store.unit() as unit:
        view = repo.get(unit, announcement_id)
        assert view is not None
        assert repo.set_status(unit, announcement_id, allowed=("scheduled",), status="sending", now=view.created_at)
        repo.list_recipients(unit, view, now=view.created_at)
        return view.created_at


def _statuses(store: Store, announcement_id: int) -> dict[str, str]:
    with store.unit(readonly=True) as unit:
        return {str(chat): str(status) for chat, status in unit.connection.execute(
            select(_d.c.chat_id, _d.c.status).where(_d.c.announcement_id == announcement_id))}


def test_lease_end_started_row_is_unconfirmed_unstarted_row_is_claimed_again(store: Store) -> None:
    chats = subscribe(store, 4)
    announcement_id = announce(store)
    t0 = _listed(store, announcement_id)
    with store.unit() as unit:
        first = repo.claim(unit, announcement_id, limit=3, now=t0, lease_s=5)
    a, b, c = first
    with store.unit() as unit:
        assert repo.start(unit, [a.id], now=t0) == {a.id}
    with store.unit() as unit:  # leases still running: only the fourth row is due
        again = repo.claim(unit, announcement_id, limit=10, now=t0 + dt.timedelta(seconds=1), lease_s=5)
    assert [r.chat_id for r in again] == [str(chats[3])]
    counts = progress(store, announcement_id)
    assert (counts["inflight"], counts["sending"], counts["unconfirmed"]) == (1, 3, 0)
    with store.unit() as unit:
        left, _ = repo.pending_state(unit, announcement_id, now=t0)
        assert left == 4 and not repo.finish_if_done(unit, announcement_id, now=t0)

    later = t0 + dt.timedelta(seconds=10)
    with store.unit() as unit:
        reclaimed = repo.claim(unit, announcement_id, limit=10, now=later, lease_s=5)
    assert [r.id for r in reclaimed] == [b.id, c.id, again[0].id]
    assert [r.attempts for r in reclaimed] == [2, 2, 2]
    status = _statuses(store, announcement_id)
    assert status[str(chats[0])] == "unconfirmed"
    assert {status[str(ch)] for ch in chats[1:]} == {"sending"}
    with store.unit(readonly=True) as unit:
        error = unit.connection.execute(select(_d.c.last_error).where(_d.c.id == a.id)).scalar()
        assert error and "under way" in error
    with store.unit() as unit:  # unconfirmed is final: never claimed again, and a retry does not reopen it
        assert repo.claim(unit, announcement_id, limit=10, now=later + dt.timedelta(seconds=1), lease_s=5) == []
        repo.record(unit, [Outcome(a.id, a.user_id, "pending", "502", later)], now=later)
    assert _statuses(store, announcement_id)[str(chats[0])] == "unconfirmed"
    with store.unit() as unit:  # the platform's ok heard late still counts
        repo.record(unit, [Outcome(a.id, a.user_id, "sent")], now=later)
        repo.record(unit, [Outcome(r.id, r.user_id, "sent") for r in reclaimed], now=later)
        assert repo.finish_if_done(unit, announcement_id, now=later)
    counts = progress(store, announcement_id)
    assert (counts["sent"], counts["unconfirmed"], counts["total"]) == (4, 0, 4)


def test_a_run_after_a_crash_sends_unstarted_rows_and_never_the_started_one(store: Store) -> None:
    chats = subscribe(store, 30)
    announcement_id = announce(store)
    t0 = _listed(store, announcement_id)
    with store.unit() as unit:  # a worker claimed ten rows, started two, and died
        claimed = repo.claim(unit, announcement_id, limit=10, now=t0, lease_s=5)
        repo.start(unit, [claimed[0].id, claimed[1].id], now=t0)
        unit.connection.execute(update(_d).where(_d.c.announcement_id == announcement_id,
                                                 _d.c.lease_until.is_not(None))
                                .values(lease_until=t0 - dt.timedelta(seconds=1)))
    with fake_bot_api() as (url, fake):
        async def go() -> dict[str, int]:
            b, sender = broadcaster(store, url)
            try:
                return await b.run(announcement_id)
            finally:
                await sender.aclose()

        final = asyncio.run(go())
        per_chat = fake.per_chat()
    assert set(per_chat) == set(chats[2:]) and set(per_chat.values()) == {1}
    assert final["unconfirmed"] == 2 and final["sent"] == 28 and final["inflight"] == 0
    with store.unit(readonly=True) as unit:
        view = repo.get(unit, announcement_id)
        assert view is not None and view.status == "done"


class _Checking:
    """The real Telegram sender, asserting from another connection that the row's start is committed."""

    channel = "telegram"

    def __init__(self, store: Store, inner: TelegramBroadcastSender, gate: asyncio.Event | None = None) -> None:
        self.store, self.inner, self.gate = store, inner, gate
        self.seen: list[str] = []

    async def send(self, row: Claimed, reply: Reply) -> SendResult:
        with self.store.unit(readonly=True) as unit:
            self.seen.append(str(unit.connection.execute(select(_d.c.status).where(_d.c.id == row.id)).scalar()))
        if self.gate is not None:
            await self.gate.wait()
        return await self.inner.send(row, reply)


def test_every_request_leaves_after_its_start_mark_is_committed_at_the_full_rate(store: Store) -> None:
    chats = subscribe(store, 60)
    announcement_id = announce(store)
    with fake_bot_api() as (url, fake):
        async def go() -> tuple[dict[str, int], list[str]]:
            inner = TelegramBroadcastSender(base_url=url, token=TOKEN, concurrency=8)
            checking = _Checking(store, inner)
            b = Broadcaster(store, {"telegram": checking}, rate_per_s=400.0, lease_s=5.0)
            try:
                return await b.run(announcement_id), checking.seen
            finally:
                await inner.aclose()

        final, seen = asyncio.run(go())
        assert set(fake.per_chat()) == set(chats)
    assert seen == ["inflight"] * 60
    assert final["sent"] == 60


def test_a_clean_stop_lets_the_sends_under_way_finish_and_puts_the_rest_back(store: Store) -> None:
    chats = subscribe(store, 40)
    announcement_id = announce(store)
    with fake_bot_api() as (url, fake):
        async def go() -> None:
            inner = TelegramBroadcastSender(base_url=url, token=TOKEN, concurrency=8)
            gate = asyncio.Event()
            checking = _Checking(store, inner, gate)
            b = Broadcaster(store, {"telegram": checking}, rate_per_s=400.0, concurrency=4, lease_s=5.0)
            run = asyncio.create_task(b.run(announcement_id))
            try:
                while len(checking.seen) < 4:  # four requests under way, held at the gate
                    await asyncio.sleep(0.01)
                run.cancel()
                await asyncio.sleep(0.05)
                gate.set()  # they reach the platform after the stop was asked
                try:
                    await run
                except asyncio.CancelledError:
                    pass
            finally:
                await inner.aclose()

        asyncio.run(go())
        status = _statuses(store, announcement_id)
        assert fake.sent == 4
        assert sorted(status.values()).count("sent") == 4
        assert "inflight" not in status.values() and "unconfirmed" not in status.values()
        with store.unit() as unit:  # the rest comes back when the lease ends, and is sent once
            unit.connection.execute(update(_d).where(_d.c.status == "sending")
                                    .values(lease_until=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)))

        async def resume() -> dict[str, int]:
            b, sender = broadcaster(store, url)
            try:
                return await b.run(announcement_id)
            finally:
                await sender.aclose()

        final = asyncio.run(resume())
        per_chat = fake.per_chat()
    assert set(per_chat) == set(chats) and set(per_chat.values()) == {1}
    assert final["sent"] == 40 and final["unconfirmed"] == 0
