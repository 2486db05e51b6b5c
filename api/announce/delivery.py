"""The broadcast sender: one announcement to every recipient row, paced, leased, resumable.

:meth:`Broadcaster.run` lists the recipients once (a delivery row per active subscriber targeted),
then loops: claim a small batch of due rows under a lease (``lease_s``), send each, and record each
outcome right after its send (outcomes completing together share one short transaction). Whatever
runs it (a procrastinate job on PostgreSQL, the in-process runner on SQLite, the benchmark), the
rows are the truth: a restart finds ``pending`` rows and rows whose lease ended, and goes on.

No duplicate after a crash, nothing lost that never left: a row is claimed (``sending``) before
its send, marked ``inflight`` right before its request goes out (that mark is committed first,
while the send is among the next :data:`LOOKAHEAD` in line at the pacer, so its latency hides in
the pacing wait and the pacer counts the moment the request really leaves), and marked ``sent`` the
moment the platform said ok, before its connection slot is given back. When the lease of a dead
worker's rows ends, a ``sending`` row (never tried) is claimed and sent again, while an ``inflight``
row (its request may have reached the platform) becomes ``unconfirmed``, a final status, and is
never sent again. So a ``kill -9`` repeats nothing; at most the sends in flight at that instant
and the few marked next in line (all bounded by ``concurrency``) end ``unconfirmed``, and only
those of them the platform never got are missing. A 429 or 5xx answer is an outcome (retried as below), not a crash. A clean stop lets
the requests under way finish and puts the rest back.

Pacing: one :class:`Pacer` per broadcaster keeps Telegram sends to ``rate_per_s`` × :data:`HEADROOM`
in any one-second window (Telegram counts about 30 messages per second per bot; the sends of one
announcement go to distinct chats, so the 1 message/s per chat rule holds by construction).
A 429 pauses every send for its ``retry_after`` and puts the row back without counting an attempt;
5xx and network errors back off exponentially up to :data:`MAX_ATTEMPTS`; «bot was blocked by the
user» marks the row and the subscription ``blocked``, a deleted account or a lost chat ``left``, and
such citizens are skipped from then on. Zalo rows are handed to the Zalo outbox (its own sender,
pacing and retries) in the same transaction that marks them sent; web chat rows are marked sent and
fetched by the page (``GET /api/v1/chat/announcements``).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import datetime as dt
import functools
import itertools
import logging
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Generic, Literal, Protocol, TypeVar

import anyio
import anyio.to_thread

from api import budget_keys
from api.announce import repo
from api.announce.repo import AnnouncementView, Claimed, Outcome
from api.store import Store, Unit
from api.store.batcher import WriteBatcher
from api.support import units
from bot.core import announce as core
from bot.core.types import Match, MatchKind, Reply

__all__ = [
    "HEADROOM",
    "LOOKAHEAD",
    "MAX_ATTEMPTS",
    "RECOVER_S",
    "REPLIES_POLL_S",
    "BroadcastSender",
    "Broadcaster",
    "Pacer",
    "SendResult",
    "render_reply",
    "start_now",
    "thread_run_db",
]

log = logging.getLogger(__name__)

T = TypeVar("T")
RunDb = Callable[[Callable[[], T]], Awaitable[T]]

#: Share of the platform's limit the pacer aims at (29 of 30): network jitter between our clock and
#: the platform's then never pushes one second over the limit (an observed 429 costs a whole
#: ``retry_after``).
HEADROOM = 0.97
#: Failed attempts (5xx, network) after which a row is given up as ``failed``.
MAX_ATTEMPTS = 6
#: Callers at the head of the pacer's line whose start marks are committed ahead of their slot (a
#: commit slower than one spacing then costs no slot). A crash may leave this many rows marked
#: ``inflight`` that never left, besides the requests under way (all within ``concurrency``).
LOOKAHEAD = 8
#: How often a Telegram broadcast reads how many replies the bot sent this second.
REPLIES_POLL_S = 0.1
#: Seconds without a 429 after which the pacer wins back one message per second.
RECOVER_S = 10.0
_BACKOFF_BASE_S = 0.5
_BACKOFF_CAP_S = 60.0
#: Channels whose rows the Zalo outbox sends.
ZALO_CHANNELS = frozenset({"zalo_oa", "zalo_bot"})
ANNOUNCE_MATCH = Match(MatchKind.MENU, "announce")


def thread_run_db(threads: int = 2) -> RunDb[Any]:
    """A runner for blocking database work on a small thread pool of its own."""
    limiter = anyio.CapacityLimiter(threads)

    async def run_db(fn: Callable[[], T]) -> T:
        return await anyio.to_thread.run_sync(fn, limiter=limiter)

    return run_db


@dataclass(frozen=True, slots=True)
class SendResult:
    """How one send went: ``sent``, ``retry`` (429, ``after_s``), ``transient`` (5xx, network),
    ``blocked``, ``left`` or ``failed`` (refused for good)."""

    status: Literal["sent", "retry", "transient", "blocked", "left", "failed"]
    after_s: float = 0.0
    error: str = ""


class BroadcastSender(Protocol):
    """Sends one announcement to one chat of a channel (Telegram); never raises for platform errors."""

    channel: str

    async def send(self, row: Claimed, reply: Reply) -> SendResult:
        """One send."""
        ...


class _Ticket(Generic[T]):
    """A caller in the pacer's line and its start mark (started at most once)."""

    __slots__ = ("_ready", "prepared")

    def __init__(self, ready: Callable[[], Awaitable[T]] | None) -> None:
        self._ready = ready
        self.prepared: asyncio.Future[T] | None = None

    def start(self) -> asyncio.Future[T] | None:
        if self.prepared is None and self._ready is not None:
            self.prepared = asyncio.ensure_future(self._ready())
        return self.prepared


class Pacer:
    """At most ``rate_per_s`` sends in any one-second window (Telegram's flood control counts so),
    never two closer than three quarters of the even spacing; :meth:`pause` holds every send (a 429's
    ``retry_after``) and lowers the pace by one message per second, won back after
    :data:`RECOVER_S` seconds without a 429.

    A sliding window, not a fixed interval: a sender that was descheduled for a moment (a busy
    machine, a slow database commit) makes up the lost slots within the window instead of losing
    them, and still never puts more than the limit in any second. Where the platform sees the
    messages bunched anyway (jitter on the way), its 429s make the pace back off a little until
    they stop.

    The limit is the bot's, not the broadcast's: the messages other senders of the same bot sent in
    the last second (the replies to citizens, noted with :meth:`note_others`) take their room first,
    plus a little to spare (:meth:`spare`), so a broadcast does not push the replies into a 429 and
    slows down while they go out.
    """

    def __init__(self, rate_per_s: float, *, clock: Callable[[], float] = time.monotonic,
                 window_s: float = 1.0, lookahead: int = LOOKAHEAD,
                 wall: Callable[[], float] = time.time) -> None:
        if rate_per_s <= 0:
            raise ValueError("rate_per_s must be positive")
        if lookahead < 1:
            raise ValueError("lookahead must be at least 1")
        self.lookahead = lookahead
        self._line: collections.deque[_Ticket[Any]] = collections.deque()
        self.wall = wall
        #: (wall-clock second, messages others sent in it so far, messages they sent the second
        #: before): the replies to citizens, which share the bot's limit; set from any thread (one
        #: tuple assignment).
        self._others: tuple[int, int, int] = (0, 0, 0)
        self.most = max(1, int(rate_per_s * window_s))
        self.per_window = self.most
        self.window_s = window_s
        self._clock = clock
        self._sent: collections.deque[float] = collections.deque()
        self._last = -1e9
        self._paused_until = 0.0
        self._lowered_at = 0.0
        self._lock = asyncio.Lock()

    @property
    def interval(self) -> float:
        """The even spacing at the current pace."""
        return self.window_s / self.per_window

    async def wait(self, ready: Callable[[], Awaitable[T]] | None = None) -> T | None:
        """Return at this caller's slot (callers are served one at a time, in order).

        ``ready`` (the send's start mark) is started once this caller is among the next
        :attr:`lookahead` in line and awaited before the slot is given: its latency hides in the wait
        (a slow commit now and then no longer delays the slot), and the time counted for the window
        is when the caller really leaves. Its result is returned.
        """
        ticket = _Ticket(ready)
        self._line.append(ticket)
        self._prepare_next()
        try:
            async with self._lock:
                while True:
                    now = self._clock()
                    if self.per_window < self.most and now - self._lowered_at >= RECOVER_S:
                        self.per_window += 1
                        self._lowered_at = now
                    at = max(now, self._paused_until, self._last + self.interval * 0.75)
                    others = self.others_now()
                    room = max(1, self.per_window - others - self.spare(others))
                    if len(self._sent) >= room:
                        at = max(at, self._sent[-room] + self.window_s)
                    if at <= now:
                        prepared = ticket.start()
                        if prepared is None or prepared.done():
                            break
                        await asyncio.shield(prepared)  # slot reached before the mark: leave once it is done
                        continue
                    # While others' sends take room, look again soon: their count changes each second.
                    await asyncio.sleep(min(at - now, 0.1) if room < self.per_window else at - now)
                self._sent.append(now)
                while len(self._sent) > self.most:
                    self._sent.popleft()
                self._last = now
                return prepared.result() if prepared is not None else None
        finally:
            self._line.remove(ticket)
            self._prepare_next()

    def note_others(self, second: int, count: int) -> None:
        """``count`` messages of the same bot went out in wall-clock ``second`` by other senders (the
        replies): they take that much room from the broadcast (never all of it)."""
        last, seen, _ = self._others
        if second == last:
            self._others = (second, max(seen, count), self._others[2])
        elif second > last:
            self._others = (second, max(0, count), seen if last == second - 1 else 0)

    @staticmethod
    def spare(others: int) -> int:
        """Room kept free besides the replies counted: they come unevenly, and those sent since the
        count was last read (up to two polls ago) are not in it yet."""
        return 1 + math.ceil(others * 2 * REPLIES_POLL_S) if others else 0

    def others_now(self) -> int:
        """Messages others sent in the last second (sliding): this second's so far, and the share of
        the second before that is still inside the window."""
        now = self.wall()
        current = int(now)
        second, seen, before = self._others
        if second == current:
            recent, earlier = seen, before
        elif second == current - 1:
            recent, earlier = 0, seen
        else:
            return 0
        return recent + math.ceil(earlier * (1.0 - (now - current)))

    def _prepare_next(self) -> None:
        for ticket in itertools.islice(self._line, self.lookahead):
            ticket.start()

    def pause(self, seconds: float) -> None:
        """Hold every send for ``seconds`` from now (a 429), and slow down a little."""
        now = self._clock()
        if now >= self._paused_until:  # the other sends refused in the same moment do not count again
            self.per_window = max((self.most + 1) // 2, self.per_window - 1)
            self._lowered_at = now
        self._paused_until = max(self._paused_until, now + max(0.0, seconds))


def _place(view: AnnouncementView) -> str:
    if len(view.communes) == 1:
        ward = units.ward(view.communes[0])
        if ward is not None:
            return ward.name
    return "Trợ lý 06"


def render_reply(view: AnnouncementView) -> Reply:
    """The announcement as every channel receives it (one reply; adapters render it)."""
    return core.message_reply(view.text, image_url=view.image_url, buttons=view.buttons, place=_place(view))


def _backoff(attempts: int) -> float:
    return float(min(_BACKOFF_CAP_S, _BACKOFF_BASE_S * 2.0 ** max(0, attempts - 1)))


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(slots=True)
class _Books:
    """Where one run writes: outcomes, start marks, and the rows whose start mark is on its way or
    committed (their sends are never cancelled)."""

    recorder: WriteBatcher[tuple[Outcome, Claimed], None]
    starter: WriteBatcher[Claimed, set[int]]
    started: set[int] = field(default_factory=set)


class Broadcaster:
    """Runs announcements to their end (or until stopped); safe to run in several processes at once."""

    def __init__(self, store: Store, senders: dict[str, BroadcastSender], *, rate_per_s: float = 30.0,
                 concurrency: int = 16, lease_s: float = 30.0, run_db: RunDb[Any] | None = None,
                 clock: Callable[[], dt.datetime] = _utcnow) -> None:
        self.store = store
        self.senders = senders
        self.rate_per_s = rate_per_s
        self.pacer = Pacer(rate_per_s * HEADROOM)
        self._concurrency = concurrency
        self._lease_s = lease_s
        self._run_db = run_db or thread_run_db()
        self._clock = clock
        #: Rows claimed per round: about two seconds of sending, so leases never end mid-round.
        self._batch = max(8, min(500, int(rate_per_s * 2)))
        self._in_flight: set[int] = set()

    # -- transactions ---------------------------------------------------------------------------------

    def _begin(self, announcement_id: int) -> AnnouncementView | None:
        """Move a due announcement to ``sending`` and list its recipients (once); None when nothing to do."""
        now = self._clock()
        with self.store.unit() as unit:
            view = repo.get(unit, announcement_id)
            if view is None or view.status in ("done", "cancelled", "draft"):
                return None
            if view.status == "scheduled":
                if view.send_at is not None and view.send_at > now:
                    return None
                repo.set_status(unit, announcement_id, allowed=("scheduled",), status="sending", now=now)
                repo.list_recipients(unit, view, now=now)
                log.info("announce %d: sending to %d recipients", announcement_id,
                         repo.progress(unit, announcement_id)["total"])
                view = repo.get(unit, announcement_id)
            return view

    def _claim(self, announcement_id: int) -> list[Claimed]:
        with self.store.unit() as unit:
            return repo.claim(unit, announcement_id, limit=self._batch, now=self._clock(), lease_s=self._lease_s)

    def _state(self, announcement_id: int) -> tuple[int, dt.datetime | None]:
        now = self._clock()
        with self.store.unit() as unit:
            left, due = repo.pending_state(unit, announcement_id, now=now)
            if not left:
                repo.finish_if_done(unit, announcement_id, now=now)
            return left, due

    def _write(self, body: dict[str, Any], pairs: list[tuple[Outcome, Claimed]]) -> None:
        now = self._clock()
        with self.store.unit() as unit:
            for outcome, row in pairs:
                if outcome.status == "sent" and row.channel in ZALO_CHANNELS and row.chat_id:
                    unit.enqueue_outbox(channel=row.channel, chat_id=row.chat_id, body=body,
                                        context=dict(row.context or {}), now=now)
            repo.record(unit, [o for o, _ in pairs], now=now)

    def _start(self, rows: list[Claimed]) -> set[int]:
        with self.store.unit() as unit:
            return repo.start(unit, [row.id for row in rows], now=self._clock())

    def _replies_count(self, second: int) -> int:
        with self.store.unit(readonly=True) as unit:
            return unit.rate_count(key=budget_keys.TELEGRAM_ALL, window_s=1, now_epoch=second)

    async def _watch_replies(self) -> None:
        """Keep the pacer told of the replies sent this second (every instance counts them in the
        shared budget), every :data:`REPLIES_POLL_S`."""
        while True:
            second = int(self.pacer.wall())
            try:
                self.pacer.note_others(second, await self._run_db(functools.partial(self._replies_count, second)))
            except Exception as exc:  # noqa: BLE001 - the database may be down: next time
                log.warning("announce: reading the replies' budget failed (%s)", type(exc).__name__)
            await asyncio.sleep(REPLIES_POLL_S)

    def _renew(self, ids: list[int]) -> None:
        with self.store.unit() as unit:
            repo.renew(unit, ids, until=self._clock() + dt.timedelta(seconds=self._lease_s))

    # -- running ----------------------------------------------------------------------------------------

    async def run(self, announcement_id: int, *, stop: asyncio.Event | None = None) -> dict[str, int]:
        """Send the announcement to every listed recipient still due; its progress at the end."""
        view = await self._run_db(functools.partial(self._begin, announcement_id))
        if view is not None and view.status == "sending":
            reply = render_reply(view)
            body = {"replies": [reply.to_dict()], "match": ANNOUNCE_MATCH.to_dict()}
            recorder: WriteBatcher[tuple[Outcome, Claimed], None] = WriteBatcher(
                lambda pairs: self._run_db(functools.partial(self._write, body, pairs)),
                label="announce", what="outcomes")
            starter: WriteBatcher[Claimed, set[int]] = WriteBatcher(
                lambda rows: self._run_db(functools.partial(self._start, rows)),
                label="announce", what="start marks")
            await self._send_all(announcement_id, reply, _Books(recorder, starter), stop)
        final: dict[str, int] = await self._run_db(functools.partial(self._progress, announcement_id))
        return final

    def _progress(self, announcement_id: int) -> dict[str, int]:
        with self.store.unit(readonly=True) as unit:
            return repo.progress(unit, announcement_id)

    async def _send_all(self, announcement_id: int, reply: Reply, books: _Books,
                        stop: asyncio.Event | None) -> None:
        """Claim and send until no row is left; the next batch is claimed while half of the current
        one is still queued at the pacer, so the pace never stalls between batches.

        Stopped (``stop``, a cancelled job, an error), it puts back the rows not started (they stay
        ``sending`` and are claimed again when their lease ends) and lets the requests under way end
        and their outcomes be recorded, so a clean stop leaves no ``inflight`` row behind.
        """
        semaphore = asyncio.Semaphore(self._concurrency)
        active: dict[asyncio.Task[None], int] = {}
        keeper = asyncio.create_task(self._keep_leases(), name="announce-lease")
        watcher = asyncio.create_task(self._watch_replies(), name="announce-replies") \
            if "telegram" in self.senders else None
        try:
            while stop is None or not stop.is_set():
                if len(active) <= self._batch // 2:
                    rows = await self._run_db(functools.partial(self._claim, announcement_id))
                    for row in rows:
                        self._in_flight.add(row.id)
                        active[asyncio.create_task(self._deliver(row, reply, books, semaphore))] = row.id
                    if rows:
                        continue
                    if not active:
                        left, due = await self._run_db(functools.partial(self._state, announcement_id))
                        if not left:
                            return
                        wait = 1.0 if due is None else (due - self._clock()).total_seconds()
                        await asyncio.sleep(min(1.0, max(0.05, wait)))
                        continue
                done, _ = await asyncio.wait(active, return_when=asyncio.FIRST_COMPLETED)
                for task in done:
                    del active[task]
                    task.result()
        finally:
            for task, row_id in active.items():
                if row_id not in books.started:
                    task.cancel()
            if active:
                await asyncio.shield(asyncio.gather(*active, return_exceptions=True))
            self._in_flight.difference_update(active.values())  # put back: their leases are not renewed
            for helper in (keeper, watcher):
                if helper is not None:
                    helper.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await helper

    async def _keep_leases(self) -> None:
        while True:
            await asyncio.sleep(self._lease_s / 3)
            ids = sorted(self._in_flight)
            if ids:
                try:
                    await self._run_db(functools.partial(self._renew, ids))
                except Exception as exc:  # noqa: BLE001 - the database may be down: next time
                    log.warning("announce: renewing leases failed (%s)", type(exc).__name__)

    async def _deliver(self, row: Claimed, reply: Reply, books: _Books, semaphore: asyncio.Semaphore) -> None:
        sender = self.senders.get(row.channel)
        if row.channel == "web" or row.channel in ZALO_CHANNELS:
            outcome = Outcome(row.id, row.user_id, "sent")
        elif sender is None or row.chat_id is None:
            outcome = Outcome(row.id, row.user_id, "skipped", f"no sender for channel {row.channel}")
        else:
            # The slot is taken only once a connection is free, so a slow request never makes the
            # sends behind it leave together; it is given back once the outcome is committed, so at
            # most ``concurrency`` rows are ever ``inflight`` (what a crash may leave unconfirmed).
            # The start mark is committed while this send is among the next LOOKAHEAD in line at the
            # pacer, and the request leaves only once it is: at most LOOKAHEAD rows are marked and
            # not yet on their way.
            async with semaphore:
                def mark() -> Awaitable[set[int]]:
                    books.started.add(row.id)  # from here on (near the head of the line) a stop lets it end
                    return books.starter.submit(row)

                try:
                    if row.id not in (await self.pacer.wait(mark) or ()):
                        log.warning("announce: row %d is no longer claimed by this sender, not sent", row.id)
                        return
                    try:
                        result = await sender.send(row, reply)
                    except asyncio.CancelledError:
                        raise
                    except Exception as exc:  # a bug in a sender must not lose the row: retried with back-off
                        log.exception("announce: sender raised on row %d", row.id)
                        result = SendResult("transient", error=type(exc).__name__)
                    await books.recorder.submit((self._outcome(row, result), row))
                finally:
                    books.started.discard(row.id)
                    self._in_flight.discard(row.id)
            return
        await books.recorder.submit((outcome, row))
        self._in_flight.discard(row.id)

    def _outcome(self, row: Claimed, result: SendResult) -> Outcome:
        now = self._clock()
        if result.status == "retry":
            self.pacer.pause(result.after_s)
            log.info("announce: 429, every send waits %.1f s", result.after_s)
            return Outcome(row.id, row.user_id, "pending", result.error,
                           now + dt.timedelta(seconds=result.after_s), refund=True)
        if result.status == "transient":
            if row.attempts >= MAX_ATTEMPTS:
                return Outcome(row.id, row.user_id, "failed", result.error)
            return Outcome(row.id, row.user_id, "pending", result.error,
                           now + dt.timedelta(seconds=_backoff(row.attempts)))
        return Outcome(row.id, row.user_id, result.status, result.error)


def start_now(unit: Unit, announcement_id: int, *, now: dt.datetime, send_at: dt.datetime | None) -> bool:
    """Schedule a draft (now or at ``send_at``); False when it is not a draft."""
    return repo.set_status(unit, announcement_id, allowed=("draft",), status="scheduled", now=now,
                           send_at=send_at or now)
