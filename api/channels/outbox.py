"""The outbox sender: drains queued replies to a chat platform, in order per chat, with retries.

A webhook commits its turn and its outbox row in one transaction and answers 200; this worker
sends the row afterwards. It is channel-neutral: a :class:`ChannelSender` (Telegram, Zalo…)
delivers one :class:`~api.store.OutboxItem` and says how it went with a :class:`Delivery`:

    ok         sent; the row is marked sent
    retry      the platform said "retry after N s" (HTTP 429) or our own budget is spent: the row
               waits exactly that long, and the wait does not count as an attempt
    transient  network error, 5xx, timeout: retried with exponential back-off
    permanent  the platform refused for good (blocked by the user, bad request): dead at once

A row is dead only after :attr:`RetryPolicy.max_attempts` failed attempts or once it is older than
:attr:`RetryPolicy.max_age_s`, so nothing is lost while a platform is down for a while, and a
backlog that waits on rate limits (a flood of questions, Telegram's 30 messages/s) loses nothing
either. A sender
that sent part of an item (one of several messages) reports ``progress`` and resumes from there.

Claims go through :meth:`api.store.Unit.claim_outbox` (``FOR UPDATE SKIP LOCKED`` on PostgreSQL,
one writer at a time on SQLite), so several app instances can run a worker each. Rows of one chat
are delivered oldest first: a claimed row with an older undelivered row of the same chat (being
retried, or claimed by another instance) is put back without counting an attempt
(:meth:`~api.store.Unit.older_unsent`, :meth:`~api.store.Unit.put_back_outbox`).

Exactly once, as far as a crash allows: each row is marked the moment its delivery completes
(outcomes completing together share one short transaction), and the next row of the same chat is
sent only after that. Claimed rows hold a short lease (``lease_s``, 10 s) that the live worker
renews while their delivery runs; the rows of a process killed mid-batch are claimed again by any
instance once that lease ends, so a crash repeats only the sends that were literally in flight
(at most ``concurrency``) and delays the rest by seconds, not minutes.

The worker is cheap on the database: a batch of up to ``batch`` rows is claimed in one
transaction, and wakes that come within ``coalesce_s`` of a round are merged into the next one. On
SQLite, where webhooks queue for the same single writer, the sender thus takes a few short
transactions per second (platforms allow about 30 messages/s, so marking each send costs at most
that many more).

:class:`DbBudget` spends shared rate budgets (:meth:`~api.store.Unit.take_rate_budget`) so N
instances together stay under a platform's limits. A take is all or nothing (a refused one charges
none of its budgets) and concurrent takes share one transaction.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import functools
import logging
import random
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol, TypeVar

from starlette.concurrency import run_in_threadpool

from api import budget_keys
from api.store import OUTBOX_ERASE_KEY, OutboxItem, RateHit, Store, Unit
from api.store.batcher import WriteBatcher

__all__ = [
    "ChannelSender",
    "DbBudget",
    "Delivery",
    "DeliveryStatus",
    "Limit",
    "OutboxWorker",
    "RetryPolicy",
    "RunDb",
]

log = logging.getLogger(__name__)

T = TypeVar("T")

#: Runs a blocking database function off the event loop (a thread pool, or one thread on SQLite).
RunDb = Callable[[Callable[[], T]], Awaitable[T]]

#: Key in an outbox row's ``context`` where the worker keeps a sender's ``progress``.
PROGRESS_KEY = "progress"
_UNSENT = ("pending", "failed", "sending")


async def _default_run_db(fn: Callable[[], T]) -> T:
    return await run_in_threadpool(fn)


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class DeliveryStatus(StrEnum):
    """How one delivery attempt went."""

    OK = "ok"
    RETRY = "retry"
    TRANSIENT = "transient"
    PERMANENT = "permanent"


@dataclass(frozen=True, slots=True)
class Delivery:
    """The result of :meth:`ChannelSender.deliver`.

    ``progress`` is how many steps of the item were done before a non-ok result (the sender's
    own unit, e.g. messages sent); the next attempt sees it in ``item.context["progress"]``.
    """

    status: DeliveryStatus
    after_s: float | None = None
    error: str = ""
    progress: int | None = None

    @classmethod
    def ok(cls) -> Delivery:
        """Delivered."""
        return cls(DeliveryStatus.OK)

    @classmethod
    def retry(cls, after_s: float, error: str, *, progress: int | None = None) -> Delivery:
        """Try again after exactly ``after_s`` seconds (a 429's ``retry_after``, a spent budget)."""
        return cls(DeliveryStatus.RETRY, max(0.0, after_s), error, progress)

    @classmethod
    def transient(cls, error: str, *, progress: int | None = None) -> Delivery:
        """A failure that may pass (network, 5xx, timeout): retry with back-off."""
        return cls(DeliveryStatus.TRANSIENT, None, error, progress)

    @classmethod
    def permanent(cls, error: str) -> Delivery:
        """The platform refused for good: give up on this item."""
        return cls(DeliveryStatus.PERMANENT, None, error)


class ChannelSender(Protocol):
    """Delivers outbox rows of one channel."""

    channel: str

    async def deliver(self, item: OutboxItem) -> Delivery:
        """Send one item; never raises for platform errors (return a :class:`Delivery`)."""
        ...


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Back-off and give-up rules: exponential from ``base_s`` up to ``cap_s``, with jitter."""

    base_s: float = 0.5
    factor: float = 2.0
    cap_s: float = 600.0
    jitter: float = 0.1
    max_attempts: int = 60
    max_age_s: float = 24 * 3600.0

    def backoff(self, attempts: int) -> float:
        """Seconds to wait after the ``attempts``-th failed attempt (1-based)."""
        delay = min(self.cap_s, self.base_s * self.factor ** max(0, attempts - 1))
        return delay * (1 + random.uniform(-self.jitter, self.jitter))

    def is_dead(self, *, attempts: int, age_s: float) -> bool:
        """True when an item failed too often or is too old to be worth sending."""
        return attempts >= self.max_attempts or age_s >= self.max_age_s


@dataclass(frozen=True, slots=True)
class Limit:
    """One shared rate budget: at most ``limit`` hits per ``window_s`` seconds on ``key``."""

    key: str
    limit: int
    window_s: int


class DbBudget:
    """Rate budgets shared by all instances, kept in the database (fixed windows).

    A take is all or nothing: when one of its limits is spent, none of them is charged. Takes made
    at the same time (the concurrent deliveries of one batch) share one short transaction.
    """

    def __init__(self, store: Store, *, run_db: RunDb[Any] = _default_run_db,
                 clock: Callable[[], float] = time.time) -> None:
        self._store = store
        self._run_db = run_db
        self._clock = clock
        self._queue: list[tuple[tuple[RateHit, ...], asyncio.Future[float]]] = []
        self._flusher: asyncio.Task[None] | None = None

    async def take(self, limits: Sequence[Limit]) -> float:
        """Spend one hit on every limit; 0 when allowed, else the seconds until it may be."""
        hits = tuple(RateHit(lim.key, lim.limit, lim.window_s) for lim in limits)
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self._queue.append((hits, future))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush(), name="db-budget")
        return await future

    async def _flush(self) -> None:
        await asyncio.sleep(0)  # let the other deliveries of this round queue their takes
        while self._queue:
            batch, self._queue = self._queue, []
            try:
                waits: list[int] = await self._run_db(
                    functools.partial(self._take_all, [hits for hits, _ in batch], int(self._clock()))
                )
            except Exception as exc:  # noqa: BLE001 - handed to every waiting take()
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            for (_, future), wait in zip(batch, waits, strict=True):
                if not future.done():
                    future.set_result(float(wait))

    def _take_all(self, takes: list[tuple[RateHit, ...]], now: int) -> list[int]:
        with self._store.unit() as unit:
            return [unit.take_rate_budget(hits=hits, now_epoch=now) for hits in takes]


@dataclass(slots=True)
class _Outcome:
    item: OutboxItem
    delivery: Delivery


class OutboxWorker:
    """Claims due rows of one channel and hands them to its sender, as a background task.

    Each round claims a batch in one short transaction, delivers it (the rows of a chat in order,
    the chats concurrently) and marks every row the moment its delivery completes (outcomes completing
    together share a transaction, see :class:`~api.store.batcher.WriteBatcher`). Rows stay claimed under a
    short lease (``lease_s``) that the worker renews while their delivery runs, so the rows of a
    process that died (kill -9, a lost machine) are taken back by any instance within ``lease_s``
    seconds, while a slow but live delivery keeps its rows. A round that found less than a full
    batch is followed by a pause of ``coalesce_s`` (wakes within it are merged): under load the
    rows of many webhooks go out together and the sender takes few turns at SQLite's single writer.
    """

    def __init__(
        self,
        store: Store,
        sender: ChannelSender,
        *,
        policy: RetryPolicy | None = None,
        run_db: RunDb[Any] = _default_run_db,
        batch: int = 32,
        concurrency: int = 16,
        idle_s: float = 1.0,
        lease_s: int = 10,
        coalesce_s: float = 0.05,
        clock: Callable[[], dt.datetime] = _utcnow,
    ) -> None:
        if lease_s < 2:
            raise ValueError("lease_s must be at least 2 seconds")
        self.store = store
        self.sender = sender
        self.policy = policy or RetryPolicy()
        self._run_db = run_db
        self._batch = batch
        self._concurrency = asyncio.Semaphore(concurrency)
        self._idle_s = idle_s
        self._lease_s = lease_s
        self._coalesce_s = coalesce_s
        self._clock = clock
        self._wake = asyncio.Event()
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        #: Writes outcomes as they complete (those completing together share one transaction): a row is
        #: marked sent before the next row of its chat is sent, and a crash can only repeat sends that
        #: were in flight; while the database is down the outcomes are kept and written again with back-off.
        self._recorder: WriteBatcher[list[_Outcome], None] = WriteBatcher(
            self._write_outcomes, label=f"outbox {self.channel}", what="outcomes")
        #: Rows claimed by this worker whose outcome is not written yet (their lease is renewed).
        self._in_flight: set[int] = set()
        #: When the earliest row this worker put back is due (to sleep no longer than that).
        self._next_due: dt.datetime | None = None

    @property
    def channel(self) -> str:
        """The channel this worker drains."""
        return self.sender.channel

    def wake(self) -> None:
        """Look for work now (called right after a webhook enqueued something)."""
        self._wake.set()

    def start(self) -> asyncio.Task[None]:
        """Run :meth:`run` as a background task."""
        if self._task is None:
            self._stopping = False
            self._stop.clear()
            self._task = asyncio.create_task(self.run(), name=f"outbox-{self.channel}")
        return self._task

    async def stop(self) -> None:
        """Stop after the current batch (its outcomes are recorded; rows cut off keep their lease)."""
        self._stopping = True
        self._stop.set()
        self._wake.set()
        task, self._task = self._task, None
        if task is not None:
            try:
                await asyncio.wait_for(task, timeout=10)
            except TimeoutError:
                task.cancel()
                try:
                    await task
                except asyncio.CancelledError:
                    pass
        await self._recorder.close()

    async def run(self) -> None:
        """Loop until stopped: claim, deliver (recording each outcome), pause or sleep."""
        failures = 0
        while not self._stopping:
            started = time.monotonic()
            self._wake.clear()
            try:
                items = await self._run_db(functools.partial(self._claim_round, None))
                failures = 0
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - the database may be down: keep the worker alive
                failures += 1
                delay = min(30.0, 0.5 * 2 ** min(failures, 6))
                log.warning("outbox %s: claiming failed (%s), retrying in %.1f s", self.channel,
                            type(exc).__name__, delay)
                await self._sleep(delay)
                continue
            if not items:
                if not self._stopping:
                    await self._sleep(self._idle_delay())
                continue
            await self._deliver(items)
            if len(items) < self._batch:
                await self._pause(self._coalesce_s - (time.monotonic() - started))

    def _idle_delay(self) -> float:
        if self._next_due is None:
            return self._idle_s
        wait = (self._next_due - self._clock()).total_seconds()
        return max(0.01, min(self._idle_s, wait))

    async def _sleep(self, seconds: float) -> None:
        """Sleep until woken, stopped, or ``seconds`` passed."""
        try:
            await asyncio.wait_for(self._wake.wait(), timeout=seconds)
        except TimeoutError:
            pass
        self._wake.clear()

    async def _pause(self, seconds: float) -> None:
        """Sleep ``seconds`` unless stopped (wakes meanwhile are kept for the next round)."""
        if seconds <= 0 or self._stopping:
            return
        try:
            await asyncio.wait_for(self._stop.wait(), timeout=seconds)
        except TimeoutError:
            pass

    async def drain_once(self) -> int:
        """Claim one batch, deliver it and record the outcomes; returns how many rows were claimed."""
        self._wake.clear()
        now = self._clock()
        items = await self._run_db(functools.partial(self._claim_round, now))
        if items:
            await self._deliver(items)
        return len(items)

    # -- transactions ----------------------------------------------------------------------------

    def _claim_round(self, now: dt.datetime | None) -> list[OutboxItem]:
        now = now or self._clock()
        with self.store.unit() as unit:
            return self._claim(unit, now)

    async def _write_outcomes(self, lists: list[list[_Outcome]]) -> None:
        outcomes = [outcome for one_list in lists for outcome in one_list]
        await self._run_db(functools.partial(self._record_outcomes, outcomes))
        self._in_flight.difference_update(o.item.id for o in outcomes)

    def _record_outcomes(self, outcomes: list[_Outcome]) -> None:
        now = self._clock()
        with self.store.unit() as unit:
            self._record(unit, outcomes, now)

    def _renew_leases(self, ids: list[int]) -> None:
        with self.store.unit() as unit:
            unit.renew_outbox_lease(ids=ids, until=self._clock() + dt.timedelta(seconds=self._lease_s))

    async def _keep_leases(self) -> None:
        """While a round delivers, renew its rows' lease every third of it (a slow send keeps them)."""
        while True:
            await asyncio.sleep(self._lease_s / 3)
            ids = sorted(self._in_flight)
            if not ids:
                continue
            try:
                await self._run_db(functools.partial(self._renew_leases, ids))
            except Exception as exc:  # noqa: BLE001 - the database may be down: try again next time
                log.warning("outbox %s: renewing leases failed (%s)", self.channel, type(exc).__name__)

    def _claim(self, unit: Unit, now: dt.datetime) -> list[OutboxItem]:
        items = unit.claim_outbox(limit=self._batch, now=now, channel=self.channel, lease_s=self._lease_s)
        if not items:
            return []
        blocked = _older_unsent(unit, self.channel, items, now)
        if not blocked:
            return items
        ready: list[OutboxItem] = []
        for item in items:
            older = blocked.get(item.chat_id)
            if older is not None and older[0] < item.id:
                # An older row of this chat is still unsent: wait for it, without counting
                # this as an attempt; it is due with (and sorts after) the older row.
                due = max(older[1], now + dt.timedelta(milliseconds=200))
                unit.put_back_outbox(id=item.id, due=due)
                self._note_due(due)
            else:
                ready.append(item)
        return ready

    def _note_due(self, due: dt.datetime) -> None:
        if self._next_due is None or due < self._next_due or self._next_due <= self._clock():
            self._next_due = due

    # -- delivering ------------------------------------------------------------------------------

    async def _deliver(self, items: list[OutboxItem]) -> None:
        by_chat: dict[str, list[OutboxItem]] = {}
        for item in items:
            by_chat.setdefault(item.chat_id, []).append(item)
        groups = [sorted(group, key=lambda i: i.id) for group in by_chat.values()]
        self._in_flight.update(item.id for item in items)
        keeper = asyncio.create_task(self._keep_leases(), name=f"outbox-lease-{self.channel}")
        try:
            await asyncio.gather(*(self._deliver_chat(group) for group in groups))
        finally:
            keeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await keeper
            self._in_flight.difference_update(item.id for item in items)

    async def _deliver_chat(self, items: list[OutboxItem]) -> None:
        """Deliver one chat's rows in order, each marked before the next is sent.

        After a failure the rest of the chat's rows go back untouched (the ordering check holds
        them until the failed row is through).
        """
        async with self._concurrency:
            for index, item in enumerate(items):
                delivery = await self._deliver_one(item)
                outcomes = [_Outcome(item, delivery)]
                if delivery.status is not DeliveryStatus.OK:
                    outcomes += [_Outcome(rest, _DEFERRED) for rest in items[index + 1:]]
                await self._recorder.submit(outcomes)
                if delivery.status is not DeliveryStatus.OK:
                    return

    async def _deliver_one(self, item: OutboxItem) -> Delivery:
        try:
            return await self.sender.deliver(item)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a bug in a sender must not lose the row: retry with back-off
            if item.attempts <= 1:
                log.exception("outbox %s: sender raised on row %s", self.channel, item.id)
            else:  # the traceback was logged at the first attempt
                log.warning("outbox %s: sender raised on row %s again (%s, attempt %d)", self.channel, item.id,
                            type(exc).__name__, item.attempts)
            return Delivery.transient(f"{type(exc).__name__}")

    def _record(self, unit: Unit, outcomes: list[_Outcome], now: dt.datetime) -> None:
        chat_due: dict[str, dt.datetime] = {}
        sent = [o.item for o in outcomes if o.delivery.status is DeliveryStatus.OK]
        unit.mark_sent_many(ids=[i.id for i in sent if not _erase(i)], now=now)
        erased = [i for i in sent if _erase(i)]
        for outcome in outcomes:
            item, d = outcome.item, outcome.delivery
            if d is _DEFERRED:
                # Due together with the failed row before it, which sorts first (lower id).
                unit.put_back_outbox(id=item.id, due=chat_due.get(item.chat_id, now))
                continue
            if d.status is DeliveryStatus.OK:
                continue
            if d.progress is not None:
                context = dict(item.context or {})
                context[PROGRESS_KEY] = d.progress
                unit.set_outbox_context(id=item.id, context=context)
            age = (now - _aware(item.created_at)).total_seconds()
            told_to_wait = d.status is DeliveryStatus.RETRY
            if d.status is DeliveryStatus.PERMANENT:
                dead = True
            else:
                # A wait we were told to make is not a failed attempt; only age ends it.
                attempts = item.attempts - 1 if told_to_wait else item.attempts
                dead = self.policy.is_dead(attempts=attempts, age_s=age)
            if d.status is DeliveryStatus.RETRY and d.after_s is not None:
                delay = d.after_s
            else:
                delay = self.policy.backoff(item.attempts)
            retry_at = now + dt.timedelta(seconds=delay)
            chat_due[item.chat_id] = retry_at
            unit.mark_failed(id=item.id, error=d.error or d.status.value, retry_at=retry_at, dead=dead,
                             count_attempt=not told_to_wait)
            if dead:
                log.warning("outbox %s: row %s dead after %d attempts: %s", self.channel, item.id,
                            item.attempts, d.error or d.status.value)
                if _erase(item):
                    erased.append(item)
            else:
                self._note_due(retry_at)
                log.info("outbox %s: row %s %s, retry in %.1f s: %s", self.channel, item.id,
                         d.status.value, delay, d.error)
        if erased:
            # Rows of a user who asked for their data to be deleted: gone once done with, and so
            # are the budgets sending them spent (named after the chat).
            unit.delete_outbox(ids=[i.id for i in erased])
            unit.delete_budgets(keys=[k for i in erased for k in budget_keys.keyed_to_user(i.channel, i.chat_id)])
            unit.flag_erase(now=now)


#: Marker for rows skipped because an earlier row of the same chat failed in this batch.
_DEFERRED = Delivery(DeliveryStatus.RETRY, 0.0, "deferred")


def _erase(item: OutboxItem) -> bool:
    return bool((item.context or {}).get(OUTBOX_ERASE_KEY))


def _aware(value: dt.datetime) -> dt.datetime:
    # SQLite hands back naive datetimes (stored as UTC).
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def _older_unsent(
    unit: Unit, channel: str, items: Sequence[OutboxItem], now: dt.datetime
) -> dict[str, tuple[int, dt.datetime]]:
    """For each chat of ``items``: the oldest unsent row not in ``items`` and when it is due."""
    ids = [i.id for i in items]
    rows = unit.older_unsent(channel=channel, chat_ids=sorted({i.chat_id for i in items}), exclude_ids=ids,
                             below_id=max(ids))
    oldest: dict[str, tuple[int, dt.datetime]] = {}
    for row in rows:
        if row.chat_id in oldest:
            continue
        # A row another instance is sending is due when its lease ends: look again sooner.
        due = now + dt.timedelta(seconds=1) if row.status == "sending" else _aware(row.next_attempt_at)
        oldest[row.chat_id] = (row.id, due)
    return oldest
