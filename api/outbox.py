"""The outbox sender: drains queued replies to a chat platform, in order per chat, with retries.

A webhook commits its turn and its outbox row in one transaction and answers 200; this worker
sends the row afterwards. It is channel-neutral: a :class:`ChannelSender` (Telegram, Zalo…)
delivers one :class:`~api.store.OutboxItem` and says how it went with a :class:`Delivery`:

    ok         sent; the row is marked sent
    retry      the platform said "retry after N s" (HTTP 429) or our own budget is spent
    transient  network error, 5xx, timeout: retried with exponential back-off
    permanent  the platform refused for good (blocked by the user, bad request): dead at once

A row is dead only after :attr:`RetryPolicy.max_attempts` attempts or once it is older than
:attr:`RetryPolicy.max_age_s`, so nothing is lost while a platform is down for a while. A sender
that sent part of an item (one of several messages) reports ``progress`` and resumes from there.

Claims go through :meth:`api.store.Unit.claim_outbox` (``FOR UPDATE SKIP LOCKED`` on PostgreSQL,
one writer at a time on SQLite), so several app instances can run a worker each. Rows of one chat
are delivered oldest first: a claimed row with an older undelivered row of the same chat (being
retried, or claimed by another instance) is put back without counting an attempt.

:class:`DbBudget` spends shared rate budgets (``Unit.hit_rate_limit``) so N instances together
stay under a platform's limits.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import random
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol, TypeVar

from sqlalchemy import update
from sqlmodel import col, select
from starlette.concurrency import run_in_threadpool

from api.models import Outbox
from api.store import OutboxItem, Store, Unit

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
    """Rate budgets shared by all instances, kept in the database (fixed windows)."""

    def __init__(self, store: Store, *, run_db: RunDb[Any] = _default_run_db,
                 clock: Callable[[], float] = time.time) -> None:
        self._store = store
        self._run_db = run_db
        self._clock = clock

    async def take(self, limits: Sequence[Limit]) -> float:
        """Spend one hit on every limit; 0 when allowed, else the seconds until it may be."""
        now = int(self._clock())

        def _hit() -> float:
            wait = 0
            with self._store.unit() as unit:
                for lim in limits:
                    ok, reset = unit.hit_rate_limit(key=lim.key, limit=lim.limit, window_s=lim.window_s, now_epoch=now)
                    if not ok:
                        wait = max(wait, reset)
            return float(wait)

        result: float = await self._run_db(_hit)
        return result


@dataclass(slots=True)
class _Outcome:
    item: OutboxItem
    delivery: Delivery


class OutboxWorker:
    """Claims due rows of one channel and hands them to its sender, as a background task."""

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
        lease_s: int = 120,
        clock: Callable[[], dt.datetime] = _utcnow,
    ) -> None:
        self.store = store
        self.sender = sender
        self.policy = policy or RetryPolicy()
        self._run_db = run_db
        self._batch = batch
        self._concurrency = asyncio.Semaphore(concurrency)
        self._idle_s = idle_s
        self._lease_s = lease_s
        self._clock = clock
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
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
            self._task = asyncio.create_task(self.run(), name=f"outbox-{self.channel}")
        return self._task

    async def stop(self) -> None:
        """Stop after the current batch (rows in flight keep their lease and are retried)."""
        self._stopping = True
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

    async def run(self) -> None:
        """Loop until stopped: drain what is due, then sleep until woken or the next row is due."""
        failures = 0
        while not self._stopping:
            try:
                handled = await self.drain_once()
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
            if handled == 0 and not self._stopping:
                await self._sleep(self._idle_delay())

    def _idle_delay(self) -> float:
        if self._next_due is None:
            return self._idle_s
        wait = (self._next_due - self._clock()).total_seconds()
        return max(0.01, min(self._idle_s, wait))

    async def _sleep(self, seconds: float) -> None:
        try:
            await asyncio.wait_for(self._wake.wait(), timeout=seconds)
        except TimeoutError:
            pass
        self._wake.clear()

    async def drain_once(self) -> int:
        """Claim one batch and deliver it; returns how many rows were claimed."""
        self._wake.clear()
        now = self._clock()
        items = await self._run_db(lambda: self._claim(now))
        if not items:
            return 0
        by_chat: dict[str, list[OutboxItem]] = {}
        for item in items:
            by_chat.setdefault(item.chat_id, []).append(item)
        groups = [sorted(group, key=lambda i: i.id) for group in by_chat.values()]
        results = await asyncio.gather(*(self._deliver_chat(group) for group in groups))
        outcomes = [o for group_outcomes in results for o in group_outcomes]
        await self._run_db(lambda: self._record(outcomes))
        return len(items)

    # -- claiming --------------------------------------------------------------------------------

    def _claim(self, now: dt.datetime) -> list[OutboxItem]:
        with self.store.unit() as unit:
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
                    _put_back(unit, item.id, due)
                    self._note_due(due)
                else:
                    ready.append(item)
            return ready

    def _note_due(self, due: dt.datetime) -> None:
        if self._next_due is None or due < self._next_due or self._next_due <= self._clock():
            self._next_due = due

    # -- delivering ------------------------------------------------------------------------------

    async def _deliver_chat(self, items: list[OutboxItem]) -> list[_Outcome]:
        """Deliver one chat's rows in order; after a failure the rest wait for the next round."""
        outcomes: list[_Outcome] = []
        async with self._concurrency:
            for index, item in enumerate(items):
                delivery = await self._deliver_one(item)
                outcomes.append(_Outcome(item, delivery))
                if delivery.status is not DeliveryStatus.OK:
                    # Later rows of this chat go back untouched; the ordering check holds them.
                    outcomes += [_Outcome(rest, _DEFERRED) for rest in items[index + 1:]]
                    break
        return outcomes

    async def _deliver_one(self, item: OutboxItem) -> Delivery:
        try:
            return await self.sender.deliver(item)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a bug in a sender must not lose the row: retry with back-off
            log.exception("outbox %s: sender raised on row %s", self.channel, item.id)
            return Delivery.transient(f"{type(exc).__name__}")

    def _record(self, outcomes: list[_Outcome]) -> None:
        now = self._clock()
        chat_due: dict[str, dt.datetime] = {}
        with self.store.unit() as unit:
            for outcome in outcomes:
                item, d = outcome.item, outcome.delivery
                if d is _DEFERRED:
                    # Due together with the failed row before it, which sorts first (lower id).
                    _put_back(unit, item.id, chat_due.get(item.chat_id, now))
                    continue
                if d.status is DeliveryStatus.OK:
                    unit.mark_sent(id=item.id, now=now)
                    continue
                if d.progress is not None:
                    _save_progress(unit, item, d.progress)
                age = (now - _aware(item.created_at)).total_seconds()
                if d.status is DeliveryStatus.PERMANENT:
                    dead = True
                else:
                    dead = self.policy.is_dead(attempts=item.attempts, age_s=age)
                if d.status is DeliveryStatus.RETRY and d.after_s is not None:
                    delay = d.after_s
                else:
                    delay = self.policy.backoff(item.attempts)
                retry_at = now + dt.timedelta(seconds=delay)
                chat_due[item.chat_id] = retry_at
                unit.mark_failed(id=item.id, error=d.error or d.status.value, retry_at=retry_at, dead=dead)
                if dead:
                    log.warning("outbox %s: row %s dead after %d attempts: %s", self.channel, item.id,
                                item.attempts, d.error or d.status.value)
                else:
                    self._note_due(retry_at)
                    log.info("outbox %s: row %s %s, retry in %.1f s: %s", self.channel, item.id,
                             d.status.value, delay, d.error)


#: Marker for rows skipped because an earlier row of the same chat failed in this batch.
_DEFERRED = Delivery(DeliveryStatus.RETRY, 0.0, "deferred")


def _aware(value: dt.datetime) -> dt.datetime:
    # SQLite hands back naive datetimes (stored as UTC).
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


# The three helpers below use the session directly: api.store has no method for them (yet).


def _older_unsent(
    unit: Unit, channel: str, items: Sequence[OutboxItem], now: dt.datetime
) -> dict[str, tuple[int, dt.datetime]]:
    """For each chat of ``items``: the oldest unsent row not in ``items`` and when it is due."""
    ids = [i.id for i in items]
    chats = sorted({i.chat_id for i in items})
    query = (
        select(Outbox.chat_id, Outbox.id, Outbox.status, Outbox.next_attempt_at)
        .where(
            col(Outbox.channel) == channel,
            col(Outbox.chat_id).in_(chats),
            col(Outbox.status).in_(_UNSENT),
            col(Outbox.id).not_in(ids),
            col(Outbox.id) < max(ids),
        )
        .order_by(col(Outbox.id))
    )
    oldest: dict[str, tuple[int, dt.datetime]] = {}
    for chat, row_id, status, due in unit.session.exec(query).all():
        if chat in oldest or row_id is None:
            continue
        # A row another instance is sending is due when its lease ends: look again sooner.
        oldest[chat] = (row_id, now + dt.timedelta(seconds=1) if status == "sending" else _aware(due))
    return oldest


def _put_back(unit: Unit, id: int, due: dt.datetime) -> None:
    """Return a claimed row to the queue without counting the attempt."""
    unit.session.exec(
        update(Outbox)
        .where(col(Outbox.id) == id)
        .values(status="pending", attempts=col(Outbox.attempts) - 1, next_attempt_at=due)
        .execution_options(synchronize_session=False)
    )


def _save_progress(unit: Unit, item: OutboxItem, progress: int) -> None:
    context = dict(item.context or {})
    context[PROGRESS_KEY] = progress
    unit.session.exec(
        update(Outbox)
        .where(col(Outbox.id) == item.id)
        .values(context=context)
        .execution_options(synchronize_session=False)
    )
