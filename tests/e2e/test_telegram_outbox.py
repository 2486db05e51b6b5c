"""The generic outbox worker (used by Telegram, reusable by Zalo) on SQLite and PostgreSQL.

A recording sender stands in for a platform: it is scripted per row with the
:class:`~api.channels.outbox.Delivery` to return, so ordering, retries, progress, dead rows and two
concurrent workers can be checked against the real store.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections import deque
from typing import Any

import pytest
from sqlmodel import col, select

from api.store.models import Outbox, RateBudget
from api.channels.outbox import DbBudget, Delivery, Limit, OutboxWorker, RetryPolicy
from api.store import OutboxItem, Store

FAST = RetryPolicy(base_s=0.05, factor=2.0, cap_s=0.2, jitter=0.0, max_attempts=4)


class RecordingSender:
    """Delivers nothing; records each attempt and answers from its script (default: ok)."""

    channel = "test"

    def __init__(self, script: dict[str, list[Delivery]] | None = None, *, delay_s: float = 0.0) -> None:
        self.script = {k: deque(v) for k, v in (script or {}).items()}
        self.attempts: list[tuple[str, str, Any]] = []
        self.delivered: list[str] = []
        self.delay_s = delay_s

    async def deliver(self, item: OutboxItem) -> Delivery:
        name = item.body["n"]
        self.attempts.append((name, item.chat_id, (item.context or {}).get("progress")))
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        queue = self.script.get(name)
        if queue:
            result = queue.popleft()
            if isinstance(result, Exception):
                raise result
            return result
        self.delivered.append(name)
        return Delivery.ok()


def enqueue(store: Store, chat: str, *names: str, channel: str = "test") -> None:
    now = dt.datetime.now(dt.UTC)
    with store.unit() as unit:
        for name in names:
            unit.enqueue_outbox(channel=channel, chat_id=chat, body={"n": name}, context={"c": 1}, now=now)


def statuses(store: Store) -> dict[str, tuple[str, int]]:
    with store.unit(readonly=True) as unit:
        rows = unit.session.exec(select(Outbox).order_by(col(Outbox.id))).all()
        return {r.body["n"]: (r.status, r.attempts) for r in rows}


async def run_until(worker: OutboxWorker, done: Any, *, timeout: float = 10.0) -> None:
    worker.start()
    deadline = time.monotonic() + timeout
    try:
        while not done():
            assert time.monotonic() < deadline, "the worker did not finish in time"
            await asyncio.sleep(0.02)
    finally:
        await worker.stop()


async def test_rows_are_delivered_in_order_per_chat_and_marked_sent(store: Store) -> None:
    enqueue(store, "1", "a1", "a2")
    enqueue(store, "2", "b1")
    enqueue(store, "1", "a3")
    enqueue(store, "x", "other", channel="zalo")
    sender = RecordingSender()
    worker = OutboxWorker(store, sender, policy=FAST)
    await run_until(worker, lambda: len(sender.delivered) == 4)
    assert [n for n in sender.delivered if n.startswith("a")] == ["a1", "a2", "a3"]
    st = statuses(store)
    assert {k: v for k, v in st.items() if k != "other"} == {n: ("sent", 1) for n in ("a1", "a2", "a3", "b1")}
    assert st["other"] == ("pending", 0)  # another channel's row is left alone


async def test_retry_after_is_honoured_and_progress_is_handed_back(store: Store) -> None:
    enqueue(store, "1", "a1", "a2")
    sender = RecordingSender({"a1": [Delivery.retry(0.5, "429", progress=2)]})
    worker = OutboxWorker(store, sender, policy=FAST, idle_s=0.05)
    started = time.monotonic()
    await run_until(worker, lambda: sender.delivered == ["a1", "a2"])
    assert time.monotonic() - started >= 0.5
    # The later row of the chat waited for the earlier one; the retry saw its progress.
    assert sender.attempts == [("a1", "1", None), ("a1", "1", 2), ("a2", "1", None)]
    # Being told to wait is not a failed attempt.
    assert statuses(store) == {"a1": ("sent", 1), "a2": ("sent", 1)}


async def test_waiting_on_rate_limits_never_kills_a_row(store: Store) -> None:
    """A backlog behind a spent budget or 429s waits as long as it must (only age ends it)."""
    enqueue(store, "1", "a1")
    enqueue(store, "2", "b1")
    waits = [Delivery.retry(0.01, "rate budget spent")] * (FAST.max_attempts + 3)
    sender = RecordingSender({"a1": list(waits), "b1": [*waits[:2], *[Delivery.transient("502")] * 10]})
    worker = OutboxWorker(store, sender, policy=FAST, idle_s=0.02)
    await run_until(worker, lambda: "a1" in sender.delivered and statuses(store)["b1"][0] == "dead")
    assert len([a for a in sender.attempts if a[0] == "a1"]) == FAST.max_attempts + 4
    st = statuses(store)
    assert st["a1"] == ("sent", 1)
    # Real failures still count: b1 died after max_attempts transient ones, its waits aside.
    assert st["b1"] == ("dead", FAST.max_attempts)


async def test_transient_failures_back_off_then_the_row_is_dead(store: Store) -> None:
    enqueue(store, "1", "a1", "a2")
    enqueue(store, "2", "b1")
    failures = [Delivery.transient("502")] * 10
    sender = RecordingSender({"a1": list(failures)})
    worker = OutboxWorker(store, sender, policy=FAST, idle_s=0.05)
    await run_until(worker, lambda: statuses(store)["a1"][0] == "dead" and "a2" in sender.delivered)
    st = statuses(store)
    assert st["a1"] == ("dead", FAST.max_attempts) and st["a2"] == ("sent", 1) and st["b1"] == ("sent", 1)
    # b1 (another chat) was not held up; a2 came only after a1 gave up.
    assert sender.delivered.index("b1") < sender.delivered.index("a2")


async def test_permanent_failure_is_dead_at_once_and_a_raising_sender_is_retried(store: Store) -> None:
    enqueue(store, "1", "a1")
    enqueue(store, "2", "b1")
    sender = RecordingSender({"a1": [Delivery.permanent("403 blocked")], "b1": [RuntimeError("bug")]})  # type: ignore[list-item]
    worker = OutboxWorker(store, sender, policy=FAST, idle_s=0.05)
    await run_until(worker, lambda: "b1" in sender.delivered)
    assert statuses(store) == {"a1": ("dead", 1), "b1": ("sent", 2)}


async def test_wake_delivers_at_once_without_polling(store: Store) -> None:
    sender = RecordingSender()
    worker = OutboxWorker(store, sender, policy=FAST, idle_s=60)
    worker.start()
    try:
        await asyncio.sleep(0.1)  # the worker is now asleep for a minute
        enqueue(store, "1", "a1")
        started = time.monotonic()
        worker.wake()
        while not sender.delivered:
            assert time.monotonic() - started < 2
            await asyncio.sleep(0.01)
    finally:
        await worker.stop()


async def test_two_workers_deliver_every_row_once_in_order(store: Store) -> None:
    chats = [str(c) for c in range(6)]
    for i in range(5):
        for chat in chats:
            enqueue(store, chat, f"{chat}-{i}")
    sender = RecordingSender(delay_s=0.005)
    first = OutboxWorker(store, sender, policy=FAST, batch=4, idle_s=0.05)
    second = OutboxWorker(Store(store.engine), sender, policy=FAST, batch=4, idle_s=0.05)
    second.start()
    await run_until(first, lambda: len(sender.delivered) >= 30)
    await second.stop()
    assert sorted(sender.delivered) == sorted(f"{c}-{i}" for c in chats for i in range(5))
    for chat in chats:
        assert [n for n in sender.delivered if n.startswith(f"{chat}-")] == [f"{chat}-{i}" for i in range(5)]


async def test_db_budget_is_shared_and_tells_how_long_to_wait(store: Store) -> None:
    now = [1_000_000.0]
    budget = DbBudget(store, clock=lambda: now[0])
    other_instance = DbBudget(Store(store.engine), clock=lambda: now[0])
    limits = [Limit("t:global", 3, 1), Limit("t:chat:1", 2, 5)]
    assert await budget.take(limits) == 0
    assert await other_instance.take(limits) == 0
    wait = await budget.take(limits)
    assert 0 < wait <= 5  # the chat's budget (2 per 5 s) is spent
    now[0] += 5
    assert await budget.take([Limit("t:global", 3, 1)]) == 0


@pytest.mark.parametrize("attempts,age,dead", [(3, 10.0, False), (4, 10.0, True), (1, 90_000.0, True)])
def test_retry_policy(attempts: int, age: float, dead: bool) -> None:
    assert FAST.is_dead(attempts=attempts, age_s=age) is dead
    assert RetryPolicy(jitter=0).backoff(1) == 0.5 and RetryPolicy(jitter=0).backoff(30) == 600


class CountingStore(Store):
    """A store that counts the transactions it opens."""

    def __init__(self, store: Store) -> None:
        super().__init__(store.engine)
        self.units = 0

    def unit(self, *, readonly: bool = False) -> Any:
        self.units += 1
        return super().unit(readonly=readonly)


async def test_concurrent_budget_takes_share_a_transaction_and_refusals_cost_nothing(store: Store) -> None:
    counting = CountingStore(store)
    now = [2_000_000.0]
    budget = DbBudget(counting, clock=lambda: now[0])
    limits = [[Limit("t:global", 3, 1), Limit(f"t:chat:{i}", 5, 5)] for i in range(5)]
    waits = await asyncio.gather(*(budget.take(lim) for lim in limits))
    assert sorted(waits) == [0, 0, 0, 1, 1]  # 3 per second; the other two wait for the next second
    assert counting.units == 1
    with store.unit(readonly=True) as unit:
        rows = {r.key: r.count for r in unit.session.exec(select(RateBudget)).all()}
    # The refused takes charged neither the global budget nor their chat's.
    assert rows["t:global"] == 3
    assert sorted(rows[f"t:chat:{i}"] for i in range(5)) == [0, 0, 1, 1, 1]


async def test_budget_errors_reach_every_waiting_take(store: Store) -> None:
    broken = Store(store.engine)

    def fail(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("database down")

    broken.unit = fail  # type: ignore[method-assign]
    budget = DbBudget(broken)
    results = await asyncio.gather(*(budget.take([Limit("x", 1, 1)]) for _ in range(3)), return_exceptions=True)
    assert all(isinstance(r, RuntimeError) for r in results)


async def test_many_wakes_are_coalesced_into_few_transactions(store: Store) -> None:
    counting = CountingStore(store)
    sender = RecordingSender()
    worker = OutboxWorker(counting, sender, policy=FAST, idle_s=5, coalesce_s=0.1)
    worker.start()
    try:
        for i in range(40):  # a webhook every 5 ms, each waking the sender
            enqueue(store, str(i), f"m{i}")
            worker.wake()
            await asyncio.sleep(0.005)
        deadline = time.monotonic() + 5
        while len(sender.delivered) < 40:
            assert time.monotonic() < deadline
            await asyncio.sleep(0.01)
    finally:
        await worker.stop()
    assert sorted(sender.delivered) == sorted(f"m{i}" for i in range(40))
    # Rounds at most every 0.1 s, each a claim and the outcomes that completed together.
    assert counting.units <= 12, counting.units
    assert all(v == ("sent", 1) for v in statuses(store).values())


async def test_outcomes_are_recorded_when_the_database_comes_back(store: Store) -> None:
    flaky = CountingStore(store)
    real_unit = flaky.unit
    failing = {"on": False}

    def unit(*, readonly: bool = False) -> Any:
        if failing["on"]:
            failing["on"] = False
            raise RuntimeError("database blip")
        return real_unit(readonly=readonly)

    flaky.unit = unit  # type: ignore[method-assign]

    class FailOnceAfterSending(RecordingSender):
        async def deliver(self, item: OutboxItem) -> Delivery:
            result = await super().deliver(item)
            failing["on"] = True  # the transaction recording this outcome fails once
            return result

    enqueue(store, "1", "a1")
    sender = FailOnceAfterSending()
    worker = OutboxWorker(flaky, sender, policy=FAST, idle_s=0.05)
    await run_until(worker, lambda: statuses(store)["a1"] == ("sent", 1), timeout=10)
    assert sender.delivered == ["a1"]  # recorded on the retry, not sent twice


# -- crash safety (issue 10, defect 1) -------------------------------------------------------------


class GatedSender(RecordingSender):
    """Delivers ``slow`` rows only once ``gate`` opens; every other row at once."""

    def __init__(self, slow: set[str]) -> None:
        super().__init__()
        self.slow = slow
        self.gate = asyncio.Event()
        self.waiting = asyncio.Event()

    async def deliver(self, item: OutboxItem) -> Delivery:
        if item.body["n"] in self.slow:
            self.waiting.set()
            await self.gate.wait()
        return await super().deliver(item)


async def test_each_row_is_marked_sent_as_soon_as_its_delivery_completes(store: Store) -> None:
    """A crash must not resend what was delivered: a row is marked before the batch ends."""
    enqueue(store, "1", "fast")
    enqueue(store, "2", "slow")
    sender = GatedSender({"slow"})
    worker = OutboxWorker(store, sender, policy=FAST, idle_s=0.05)
    worker.start()
    try:
        await asyncio.wait_for(sender.waiting.wait(), 5)
        deadline = time.monotonic() + 5
        while statuses(store)["fast"] != ("sent", 1):
            assert time.monotonic() < deadline, f"'fast' not marked while 'slow' is in flight: {statuses(store)}"
            await asyncio.sleep(0.02)
        assert statuses(store)["slow"] == ("sending", 1)
        sender.gate.set()
        while statuses(store)["slow"] != ("sent", 1):
            assert time.monotonic() < deadline
            await asyncio.sleep(0.02)
    finally:
        sender.gate.set()
        await worker.stop()


async def test_rows_of_a_killed_worker_are_taken_back_within_seconds(store: Store) -> None:
    """A worker that dies mid-batch (its task is gone, nothing recorded) holds its rows only for the lease."""
    enqueue(store, "1", "a1", "a2")
    enqueue(store, "2", "b1")
    stuck = GatedSender({"a1", "b1"})
    dead = OutboxWorker(store, stuck, policy=FAST, idle_s=0.05)
    task = dead.start()
    await asyncio.wait_for(stuck.waiting.wait(), 5)
    task.cancel()  # like kill -9: no outcome written, no lease given back
    with pytest.raises(asyncio.CancelledError):
        await task
    assert statuses(store)["a1"][0] == "sending"
    # A new process 11 s later (the default lease is 10 s, so its rows are free again).
    later = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=11)
    sender = RecordingSender()
    restarted = OutboxWorker(Store(store.engine), sender, policy=FAST, idle_s=0.05, clock=lambda: later)
    await run_until(restarted, lambda: len(sender.delivered) == 3)
    assert sender.delivered.index("a1") < sender.delivered.index("a2")
    assert {k: v[0] for k, v in statuses(store).items()} == {"a1": "sent", "a2": "sent", "b1": "sent"}


async def test_a_slow_live_delivery_keeps_its_rows(store: Store) -> None:
    """The lease is renewed while a delivery runs: another instance never takes a row still in flight."""
    enqueue(store, "1", "slow")
    first = GatedSender({"slow"})
    owner = OutboxWorker(store, first, policy=FAST, idle_s=0.05, lease_s=2)
    other_sender = RecordingSender()
    other = OutboxWorker(Store(store.engine), other_sender, policy=FAST, idle_s=0.05, lease_s=2)
    owner.start()
    try:
        await asyncio.wait_for(first.waiting.wait(), 5)
        other.start()
        await asyncio.sleep(3.5)  # well past the 2 s lease: renewed twice meanwhile
        assert other_sender.attempts == []
        first.gate.set()
        deadline = time.monotonic() + 5
        while statuses(store)["slow"] != ("sent", 1):
            assert time.monotonic() < deadline
            await asyncio.sleep(0.02)
    finally:
        first.gate.set()
        await owner.stop()
        await other.stop()
    assert first.delivered == ["slow"] and other_sender.delivered == []
