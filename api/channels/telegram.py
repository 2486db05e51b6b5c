"""The Telegram channel at run time: python-telegram-bot as transport, the outbox sender, polling.

:func:`start` (called by :func:`api.channels.start_channels` when ``TELEGRAM_BOT_TOKEN`` is set)
builds a PTB ``Application`` with no updater (``TELEGRAM_API_BASE_URL`` as its ``base_url``, an
``AIORateLimiter`` per process) and brings it up in the background: ``getMe`` is retried with
back-off while Telegram cannot be reached (``/healthz`` shows ``channels.telegram``), then the bot
commands are registered (``setMyCommands``) and the outbox sender starts. In ``TELEGRAM_MODE=polling``
a ``getUpdates`` loop (after ``deleteWebhook``) feeds the same path as ``POST /webhooks/telegram``.

Updates are handled by :meth:`TelegramRuntime.handle_update`, not by PTB's handlers: the turn must
commit (dedup row, turn, masked log, outbox row, one transaction) before the webhook answers 200,
and a database error must become a 503, which ``Application.process_update`` would swallow.

Sending respects Telegram's limits twice: budgets shared by every instance in the database
(``tg:global`` 30/s, ``tg:chat:<id>`` 3 per 3 s, ``tg:group:<id>`` 20/min) and PTB's per-process
``AIORateLimiter`` (``max_retries=0``: a 429 goes back to the outbox with its ``retry_after``).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hmac
import html
import logging
import os
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import replace
from typing import Any, Literal, TypeVar

import anyio
import anyio.to_thread
from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool
from telegram import BotCommand, LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.ext import AIORateLimiter, Application, ExtBot

from api import budget_keys
from api.bootstrap import Services
from api.channels import Closer
from api.store.db import SQLITE_NOWAIT, DatabaseBusy
from api.conversation import OutboxTarget, prepare_inbound
from api.channels.outbox import DbBudget, Delivery, DeliveryStatus, Limit, OutboxWorker, RetryPolicy, RunDb
from api.settings import Settings
from api.handoff import group
from api.handoff.group_inbox import handle_message
from api.handoff.routes import Env
from api.handoff.shell import HandoffShell
from api.store import OutboxItem
from bot.channels.telegram import (
    ALLOWED_UPDATES,
    CALLBACK_KEY_PREFIX,
    COMMANDS,
    KV_CALLBACK_PREFIX,
    AnswerCallback,
    EditText,
    Ignored,
    Incoming,
    Op,
    SendDocument,
    SendPhoto,
    SendText,
    render,
    translate,
)

__all__ = ["CHANNEL", "HandleStatus", "TelegramRuntime", "TelegramSender", "build_application", "start"]

log = logging.getLogger(__name__)

T = TypeVar("T")

CHANNEL = "telegram"
HandleStatus = Literal["answered", "duplicate", "ignored"]
TgApplication = Application[Any, Any, Any, Any, Any, Any]

#: Shared budgets (Telegram FAQ: ~30 messages/s per bot, ~1/s per chat with short bursts,
#: 20/min per group).
GLOBAL_LIMIT = Limit(budget_keys.TELEGRAM_ALL, 30, 1)
CHAT_BURST, CHAT_WINDOW_S = 3, 3
GROUP_LIMIT_PER_MIN = 20
#: A budget wait up to this long is slept in place; a longer one reschedules the outbox row.
INLINE_WAIT_MAX_S = 1.0
#: Long-poll timeout of getUpdates in polling mode.
POLL_TIMEOUT_S = 25
_NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


def build_application(settings: Settings) -> TgApplication:
    """The PTB Application: no updater, our base URL, per-process flood control, no job queue."""
    if settings.telegram_bot_token is None:
        raise ValueError("TELEGRAM_BOT_TOKEN is not set")
    base_url = settings.telegram_api_base_url
    file_url = base_url[: -len("/bot")] + "/file/bot" if base_url.endswith("/bot") else base_url
    application: TgApplication = (
        Application.builder()
        .token(settings.telegram_bot_token.get_secret_value())
        .base_url(base_url)
        .base_file_url(file_url)
        .updater(None)
        .job_queue(None)
        .rate_limiter(AIORateLimiter(max_retries=0))
        .connection_pool_size(64)
        .connect_timeout(5.0)
        .read_timeout(10.0)
        .write_timeout(10.0)
        .pool_timeout(5.0)
        .get_updates_connect_timeout(5.0)
        .get_updates_read_timeout(10.0)
        .build()
    )
    return application


def sqlite_run_db(threads: int = 4) -> RunDb[Any]:
    """A runner for short database jobs on SQLite: on the event loop itself, in a thread when busy.

    Handing each job to a thread costs more than the job (~1.5 ms a turn): the two threads then
    fight over the GIL, and SQLite serialises writers anyway. But the loop must never wait on
    another writer's lock (every route would stall with it), so the job runs under
    :data:`~api.store.db.SQLITE_NOWAIT`: if a ``BEGIN`` finds the write lock taken, the job is run again
    from the start in a thread, where it waits on the busy timeout like any other. Jobs passed
    here therefore make no change before their first write unit begins (each is one write unit,
    at most preceded by reads). The threads are a pool of their own (``threads``), so jobs waiting
    on the lock never take the threads the other routes use.
    """
    limiter = anyio.CapacityLimiter(threads)

    async def run_db(fn: Callable[[], T]) -> T:
        token = SQLITE_NOWAIT.set(True)
        try:
            return fn()
        except DatabaseBusy:
            pass
        finally:
            SQLITE_NOWAIT.reset(token)
        return await anyio.to_thread.run_sync(fn, limiter=limiter)

    return run_db


async def _threadpool_run_db(fn: Callable[[], T]) -> T:
    return await run_in_threadpool(fn)


#: Telegram chat ids are signed 64-bit integers (groups and channels are negative).
_CHAT_ID_MAX = 2**63 - 1


def _chat_id(value: str) -> int | None:
    """The chat id of an outbox row as Telegram takes it, or None when it cannot be one."""
    try:
        chat_id = int(value)
    except ValueError:
        return None
    return chat_id if -_CHAT_ID_MAX <= chat_id <= _CHAT_ID_MAX and chat_id != 0 else None


def _retry_after_s(exc: RetryAfter) -> float:
    # ``exc.retry_after`` warns (int vs timedelta migration); the private field is a timedelta.
    value = getattr(exc, "_retry_after", None)
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    return 1.0


class TelegramSender:
    """Delivers outbox rows of channel ``telegram`` through the PTB bot."""

    channel = CHANNEL

    def __init__(self, bot: ExtBot[Any], settings: Settings, services: Services, *,
                 budget: DbBudget, run_db: RunDb[Any]) -> None:
        self.bot = bot
        self.settings = settings
        self.store = services.store
        self.services = services
        self.budget = budget
        self._run_db = run_db

    async def deliver(self, item: OutboxItem) -> Delivery:
        """Send the calls of one row from where the last attempt stopped."""
        context = item.context or {}
        chat_id = _chat_id(item.chat_id)
        if chat_id is None:
            # Never sendable (the webhook refuses such updates; this guards rows from elsewhere).
            return Delivery.permanent(f"not a Telegram chat id: {item.chat_id[:40]!r}")
        if context.get(group.STAFF_GROUP_KEY):
            return await self._deliver_staff(chat_id, item)
        plan = render(item.body, context, public_base_url=self.settings.public_base_url)
        start = int(context.get("progress", 0) or 0)
        if plan.callback_payloads and start == 0:
            await self._run_db(lambda: self._store_payloads(plan.callback_payloads))
        limits = self._limits(item.chat_id, str(context.get("chat_type", "private")))
        for index in range(start, len(plan.ops)):
            op = plan.ops[index]
            if not isinstance(op, AnswerCallback):
                wait = await self._take_budget(limits)
                if wait > 0:
                    return Delivery.retry(wait, "rate budget spent", progress=index)
            failed = await self._attempt(chat_id, op)
            if failed is not None:
                return failed if failed.status is DeliveryStatus.PERMANENT else replace(failed, progress=index)
        return Delivery.ok()

    async def _deliver_staff(self, chat_id: int, item: OutboxItem) -> Delivery:
        """A post for the staff group: into the citizen's forum topic (made on the first post) or as a
        reply to their root message when the group is not a forum; the message ids are recorded."""
        spec = item.body.get(group.STAFF_GROUP_KEY) if isinstance(item.body, Mapping) else None
        if not isinstance(spec, Mapping) or not isinstance(spec.get("text"), str):
            return Delivery.permanent("not a staff group post")
        limits = self._limits(item.chat_id, "supergroup")
        user_id = spec.get("user_id")
        thread_id, reply_to = spec.get("thread_id"), spec.get("reply_to")
        if type(user_id) is int:
            place = await self._run_db(lambda: self._read(lambda u: group.thread_for(
                u, group_chat_id=chat_id, user_id=user_id)))
            if place is None:
                wait = await self._take_budget(limits)
                if wait > 0:
                    return Delivery.retry(wait, "rate budget spent")
                made = await self._guard(self._open_place(chat_id, user_id, str(spec.get("title") or user_id)))
                if isinstance(made, Delivery):
                    return made
                place = made
            thread_id, reply_to = place.thread_id, place.root_message_id
        wait = await self._take_budget(limits)
        if wait > 0:
            return Delivery.retry(wait, "rate budget spent")
        sent = await self._guard(self.bot.send_message(
            chat_id=chat_id, text=spec["text"], message_thread_id=thread_id if type(thread_id) is int else None,
            reply_to_message_id=reply_to if type(reply_to) is int else None, allow_sending_without_reply=True,
            link_preview_options=_NO_PREVIEW))
        if isinstance(sent, Delivery):
            return sent
        if type(user_id) is int:
            message_id = sent.message_id
            await self._run_db(lambda: self._write(lambda u: group.save_post(
                u, group_chat_id=chat_id, message_id=message_id, user_id=user_id)))
        return Delivery.ok()

    async def _open_place(self, chat_id: int, user_id: int, title: str) -> group.Place:
        """The citizen's topic, or (in a group without topics) a root message; recorded."""
        try:
            topic = await self.bot.create_forum_topic(chat_id=chat_id, name=title[:128])
            place = group.Place(topic.message_thread_id, None)
        except BadRequest as exc:
            if "forum" not in exc.message.lower():
                raise
            root = await self.bot.send_message(chat_id=chat_id, text=f"🧵 {title}", link_preview_options=_NO_PREVIEW)
            place = group.Place(None, root.message_id)
            await self._run_db(lambda: self._write(lambda u: group.save_post(
                u, group_chat_id=chat_id, message_id=root.message_id, user_id=user_id)))
        now = dt.datetime.now(dt.UTC)
        await self._run_db(lambda: self._write(lambda u: group.save_thread(
            u, group_chat_id=chat_id, user_id=user_id, place=place, now=now)))
        found = await self._run_db(lambda: self._read(lambda u: group.thread_for(
            u, group_chat_id=chat_id, user_id=user_id)))
        return found or place  # another instance may have made one first: the stored one wins

    def _read(self, fn: Callable[[Any], T]) -> T:
        with self.store.unit(readonly=True) as unit:
            return fn(unit)

    def _write(self, fn: Callable[[Any], T]) -> T:
        with self.store.unit() as unit:
            return fn(unit)

    async def _guard(self, call: Coroutine[Any, Any, T]) -> T | Delivery:
        """The result of a Bot API call, or the outbox's verdict on its failure."""
        try:
            return await call
        except BadRequest as exc:
            return Delivery.permanent(f"BadRequest: {exc.message}")
        except RetryAfter as exc:
            return Delivery.retry(_retry_after_s(exc), "429 retry_after")
        except Forbidden as exc:
            return Delivery.permanent(f"Forbidden: {exc.message}")
        except ChatMigrated as exc:
            return Delivery.permanent(f"chat migrated to {exc.new_chat_id}")
        except TimedOut:
            return Delivery.transient("TimedOut")
        except TelegramError as exc:
            return Delivery.transient(f"{type(exc).__name__}: {exc.message}")

    async def _attempt(self, chat_id: int, op: Op) -> Delivery | None:
        """Make one call (and its fallback when Telegram refuses it); None when done."""
        try:
            await self._call(chat_id, op)
            return None
        except BadRequest as exc:
            fallback = self._fallback(op, exc)
            if fallback is None:
                return Delivery.permanent(f"BadRequest: {exc.message}")
            if fallback is _SKIP:
                return None
            log.info("telegram: %s refused (%s), sending text instead", type(op).__name__, exc.message)
            return await self._attempt(chat_id, fallback)
        except RetryAfter as exc:
            return Delivery.retry(_retry_after_s(exc), "429 retry_after")
        except Forbidden as exc:
            return Delivery.permanent(f"Forbidden: {exc.message}")
        except ChatMigrated as exc:
            return Delivery.permanent(f"chat migrated to {exc.new_chat_id}")
        except InvalidToken:
            log.error("telegram: the Bot API refused the token; keeping the messages queued")
            return Delivery.transient("InvalidToken")
        except TimedOut:
            return Delivery.transient("TimedOut")
        except NetworkError as exc:
            return Delivery.transient(f"NetworkError: {exc.message}")
        except TelegramError as exc:
            return Delivery.transient(f"{type(exc).__name__}: {exc.message}")

    @staticmethod
    def _limits(chat_id: str, chat_type: str) -> list[Limit]:
        limits = [GLOBAL_LIMIT, Limit(budget_keys.telegram_chat(chat_id), CHAT_BURST, CHAT_WINDOW_S)]
        if chat_type in ("group", "supergroup"):
            limits.append(Limit(budget_keys.telegram_group(chat_id), GROUP_LIMIT_PER_MIN, 60))
        return limits

    async def _take_budget(self, limits: list[Limit]) -> float:
        """0 once the budgets allow a message; otherwise the wait to reschedule by."""
        for _ in range(3):
            wait = await self.budget.take(limits)
            if wait <= 0:
                return 0.0
            if wait > INLINE_WAIT_MAX_S:
                return wait
            await asyncio.sleep(wait)
        return INLINE_WAIT_MAX_S

    def _document(self, spec: Mapping[str, str]) -> bytes | None:
        """The file of a SendDocument (a member's leaflet), made now; None when it no longer exists."""
        team = self.services.conversation.team
        if team is None:
            return None
        with self.store.unit(readonly=True) as unit:
            return team.document(unit, self.services.content.snapshot(unit), spec)

    def _store_payloads(self, payloads: dict[str, str]) -> None:
        now = dt.datetime.now(dt.UTC)
        with self.store.unit() as unit:
            for data, payload in payloads.items():
                unit.set_kv(key=KV_CALLBACK_PREFIX + data, value=payload, now=now)

    async def _call(self, chat_id: int, op: Op) -> None:
        bot = self.bot
        if isinstance(op, AnswerCallback):
            await bot.answer_callback_query(op.callback_query_id)
        elif isinstance(op, SendText):
            await bot.send_message(chat_id=chat_id, text=op.text, parse_mode=op.parse_mode,
                                   reply_markup=op.markup, link_preview_options=_NO_PREVIEW)
        elif isinstance(op, SendDocument):
            data = await self._run_db(lambda: self._document(op.spec))
            if data is None:
                raise BadRequest("document unavailable")
            await bot.send_document(chat_id=chat_id, document=data, filename=op.filename, caption=op.caption,
                                    parse_mode=ParseMode.HTML if op.caption else None)
        elif isinstance(op, SendPhoto):
            await bot.send_photo(chat_id=chat_id, photo=op.photo, caption=op.caption,
                                 parse_mode=ParseMode.HTML if op.caption else None, reply_markup=op.markup)
        else:
            await bot.edit_message_text(text=op.text, chat_id=chat_id, message_id=op.message_id,
                                        parse_mode=ParseMode.HTML, reply_markup=op.markup,
                                        link_preview_options=_NO_PREVIEW)

    @staticmethod
    def _fallback(op: Op, exc: BadRequest) -> Op | None:
        """What to send instead of a refused call, ``_SKIP`` to go on, None to give up."""
        message = exc.message.lower()
        if isinstance(op, AnswerCallback):
            return _SKIP  # too old to answer: the turn itself still goes out
        if isinstance(op, EditText) and "not modified" in message:
            return _SKIP
        if isinstance(op, EditText | SendPhoto | SendDocument):
            # The message can no longer be edited, or Telegram could not fetch the image.
            return op.fallback if op.fallback is not None else _SKIP
        if "parse" in message and "entit" in message and op.parse_mode is not None:
            # Should not happen (everything is escaped); never lose the answer over markup.
            return SendText(html.unescape(op.text), op.markup, parse_mode=None)
        return None


#: "Nothing more to send for this call" (a refused callback answer or photo without text).
_SKIP = AnswerCallback("")


class TelegramRuntime:
    """One process's Telegram channel: the bot, its state, the sender and the poller."""

    def __init__(self, app: FastAPI, services: Services, *, policy: RetryPolicy | None = None) -> None:
        self.app = app
        self.services = services
        self.settings = services.settings
        self.application = build_application(self.settings)
        self.bot: ExtBot[Any] = self.application.bot
        self.ready = asyncio.Event()
        self.bot_id = 0
        self.bot_username = ""
        self.run_db: RunDb[Any] = sqlite_run_db() if services.store.dialect == "sqlite" else _threadpool_run_db
        self.budget = DbBudget(services.store, run_db=self.run_db)
        self.sender = TelegramSender(self.bot, self.settings, services, budget=self.budget, run_db=self.run_db)
        self.worker = OutboxWorker(services.store, self.sender, policy=policy, run_db=self.run_db)
        self._tasks: set[asyncio.Task[Any]] = set()
        self._bring_up_task: asyncio.Task[None] | None = None
        self._poll_task: asyncio.Task[None] | None = None
        self._stopping = False

    # -- state -----------------------------------------------------------------------------------

    def _state(self, value: str) -> None:
        states: dict[str, str] = self.app.state.channel_states
        states[CHANNEL] = value

    @property
    def mode(self) -> str:
        """``webhook`` or ``polling``."""
        return self.settings.telegram_mode

    def secret_ok(self, given: str | None) -> bool:
        """Constant-time check of ``X-Telegram-Bot-Api-Secret-Token``."""
        secret = self.settings.telegram_webhook_secret
        if secret is None or given is None:
            return False
        return hmac.compare_digest(given.encode(), secret.get_secret_value().encode())

    # -- lifecycle -------------------------------------------------------------------------------

    def begin(self) -> None:
        """Bring the bot up in the background (the app starts even when Telegram is down)."""
        self._state("starting")
        self._bring_up_task = asyncio.create_task(self._bring_up(), name="telegram-bring-up")

    async def _bring_up(self) -> None:
        delay = 1.0
        while not self._stopping:
            try:
                await self.application.initialize()
                break
            except InvalidToken:
                self._state("error: token refused, retrying")
                log.error("telegram: getMe refused the token; retrying in %.0f s", delay)
            except TelegramError as exc:
                self._state("unreachable, retrying")
                log.warning("telegram: Bot API unreachable (%s); retrying in %.0f s", type(exc).__name__, delay)
            await asyncio.sleep(delay)
            delay = min(60.0, delay * 2)
        if self._stopping:
            return
        await self.application.start()
        self.bot_id = self.bot.id
        self.bot_username = self.bot.username
        if self.services.conversation.team is not None:
            self.services.conversation.team.telegram_username = self.bot_username  # share links
        await self._register_commands()
        self.worker.start()
        if self.mode == "polling":
            self._poll_task = asyncio.create_task(self._poll(), name="telegram-poll")
        self.ready.set()
        self._state("ok" if self.mode == "webhook" else "ok (polling)")
        log.info("telegram: @%s up (%s mode)", self.bot_username, self.mode)

    async def _register_commands(self) -> None:
        try:
            await self.bot.set_my_commands([BotCommand(name, description) for name, description in COMMANDS])
        except TelegramError as exc:  # cosmetic: the bot works without its command menu
            log.warning("telegram: setMyCommands failed (%s)", type(exc).__name__)

    async def close(self) -> None:
        """Stop polling, the sender and the bot (in that order)."""
        self._stopping = True
        for task in (self._bring_up_task, self._poll_task, *self._tasks):
            if task is not None and not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        await self.worker.stop()
        if self.application.running:
            await self.application.stop()
        await self.application.shutdown()
        self._state("stopped")

    # -- updates ---------------------------------------------------------------------------------

    async def handle_update(self, update: Update) -> HandleStatus:
        """Dedup, turn, masked log and outbox row in one transaction; then wake the sender."""
        data = update.to_dict()
        if self.is_staff_group(data):
            return await self.handle_staff(data)
        return await self.handle(translate(update, bot_id=self.bot_id, bot_username=self.bot_username))

    def is_staff_group(self, data: Mapping[str, Any]) -> bool:
        """True for a message of the staff group (HANDOFF_TELEGRAM_CHAT_ID): routed before any citizen turn."""
        group_id = self.settings.handoff_telegram_chat_id
        if group_id is None:
            return False
        for key in ("message", "edited_message", "callback_query", "my_chat_member", "chat_member"):
            part = data.get(key)
            if isinstance(part, Mapping):
                chat = part.get("chat") if key != "callback_query" else (part.get("message") or {}).get("chat")
                return isinstance(chat, Mapping) and chat.get("id") == group_id
        return False

    async def handle_staff(self, data: Mapping[str, Any]) -> HandleStatus:
        """A staff group update: a staff reply, ``/dong`` or ``/lienket`` (only new messages are read)."""
        message = data.get("message")
        update_id = data.get("update_id")
        group_id = self.settings.handoff_telegram_chat_id
        if not isinstance(message, Mapping) or type(update_id) is not int or group_id is None:
            return "ignored"
        store = self.services.store
        env = Env(self.services.conversation.handoff or HandoffShell(), self.services.content)

        def work() -> bool:
            with store.unit() as unit:
                if not unit.claim_update(channel=CHANNEL, update_id=str(update_id), now=dt.datetime.now(dt.UTC)):
                    return False
                handle_message(unit, message, group_chat_id=group_id, bot_username=self.bot_username, env=env,
                               now=dt.datetime.now(dt.UTC))
                return True

        if not await self.run_db(work):
            return "duplicate"
        self.worker.wake()
        return "answered"

    async def handle(self, incoming: Incoming | Ignored) -> HandleStatus:
        """:meth:`handle_update` for an update already translated (the webhook's fast path)."""
        if isinstance(incoming, Ignored):
            if incoming.callback_query_id is not None:
                self._spawn(self._answer_quietly(incoming.callback_query_id))
            return "ignored"
        settings = self.settings
        store = self.services.store
        conversation = self.services.conversation

        def work() -> bool:
            payload = incoming.payload
            if payload is not None and payload.startswith(CALLBACK_KEY_PREFIX):
                with store.unit(readonly=True) as unit:
                    payload = unit.get_kv(key=KV_CALLBACK_PREFIX + payload) or payload
            inbound = prepare_inbound(text=incoming.text, payload=payload, media=incoming.media,
                                      max_chars=settings.max_text_chars, location=incoming.location)
            result = conversation.run_turn(
                channel=CHANNEL,
                external_id=incoming.external_id,
                inbound=inbound,
                dedup_id=incoming.dedup_id,
                outbox=OutboxTarget(CHANNEL, str(incoming.chat_id), incoming.context()),
            )
            return result is not None

        answered: bool = await self.run_db(work)
        if not answered:
            return "duplicate"
        self.worker.wake()
        return "answered"

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _answer_quietly(self, callback_query_id: str) -> None:
        try:
            await self.bot.answer_callback_query(callback_query_id)
        except TelegramError as exc:
            log.info("telegram: answerCallbackQuery failed (%s)", type(exc).__name__)

    # -- polling ---------------------------------------------------------------------------------

    async def _poll(self) -> None:
        """getUpdates loop for local trials: the same handling path as the webhook."""
        delay = 1.0
        while not self._stopping:
            try:
                await self.bot.delete_webhook(drop_pending_updates=False)
                break
            except TelegramError as exc:
                log.warning("telegram: deleteWebhook failed (%s); retrying in %.0f s", type(exc).__name__, delay)
                await asyncio.sleep(delay)
                delay = min(60.0, delay * 2)
        offset: int | None = None
        delay = 1.0
        while not self._stopping:
            try:
                updates = await self.bot.get_updates(offset=offset, timeout=POLL_TIMEOUT_S,
                                                     allowed_updates=list(ALLOWED_UPDATES))
            except TimedOut:
                continue
            except Conflict:
                self._state("error: another poller or a webhook is active")
                log.warning("telegram: getUpdates conflict; retrying in %.0f s", delay)
                await asyncio.sleep(delay)
                delay = min(60.0, delay * 2)
                continue
            except TelegramError as exc:
                self._state("unreachable, retrying")
                log.warning("telegram: getUpdates failed (%s); retrying in %.0f s", type(exc).__name__, delay)
                await asyncio.sleep(delay)
                delay = min(60.0, delay * 2)
                continue
            delay = 1.0
            self._state("ok (polling)")
            for update in updates:
                try:
                    await self.handle_update(update)
                except Exception as exc:  # noqa: BLE001 - the database is down: keep the offset, retry
                    log.warning("telegram: update not handled (%s); retrying", type(exc).__name__)
                    await asyncio.sleep(2.0)
                    break
                offset = update.update_id + 1


async def start(app: FastAPI, services: Services) -> list[Closer]:
    """Start the Telegram channel; returns its closer. Sets ``app.state.telegram``."""
    # Opt in to PTB's timedelta time periods: the int ones warn on every 429 (RetryAfter).
    os.environ.setdefault("PTB_TIMEDELTA", "true")
    runtime = TelegramRuntime(app, services)
    app.state.telegram = runtime
    runtime.begin()

    async def close() -> None:
        try:
            await runtime.close()
        finally:
            app.state.telegram = None

    return [close]
