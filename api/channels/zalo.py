"""Starting the Zalo channels in the lifespan: clients, OA tokens, outbox senders and workers.

``start(app, services)`` starts whichever platform is configured (``ZALO_OA_APP_ID`` → Zalo OA,
``ZALO_BOT_TOKEN`` → Zalo Bot), puts its runtime on ``app.state.zalo_oa`` / ``app.state.zalo_bot``
(the webhooks answer 404 while it is missing) and reports its state in
``app.state.channel_states``. Settings that would make a webhook unverifiable (an OA without
``ZALO_OA_SECRET_KEY``, a bot without ``ZALO_BOT_WEBHOOK_SECRET``) refuse to start; a platform
that cannot be reached only degrades the channel's state while its background task retries.

Delivery problems are never dropped silently: the outbox row is retried or marked dead with the
error, the error is kept in ``KeyValue`` (``zalo_oa:last_error`` / ``zalo_bot:last_error``),
recorded as a ``delivery_failed`` event and shown in the channel's state.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from fastapi import FastAPI

from api.bootstrap import Services
from api.channels import Closer
from api.channels.outbox import Delivery, OutboxWorker, RetryPolicy
from api.sealed import Sealer
from api.store import OutboxItem, Store
from api.channels.zalo_client import (
    LAST_ERROR_KEY,
    TOKEN_KEY,
    OaTokenManager,
    ZaloBotApiError,
    ZaloBotClient,
    ZaloClientError,
    ZaloOaApiError,
    ZaloOaClient,
    ZaloOAuthClient,
    ZaloOAuthError,
    ZaloTransportError,
    record_error,
)
from bot.channels.zalo import BotFacts, OaFacts, OutImage, OutMessage, classify_oa_error, render
from bot.core.types import Reply

__all__ = [
    "BOT_LAST_ERROR_KEY",
    "ZaloBotRuntime",
    "ZaloBotSender",
    "ZaloConfigError",
    "ZaloOaRuntime",
    "ZaloOaSender",
    "start",
]

log = logging.getLogger(__name__)

StateSink = Callable[[str], None]

BOT_LAST_ERROR_KEY = "zalo_bot:last_error"
#: Key of the outbox row's context where the worker keeps a sender's progress (api.channels.outbox).
_PROGRESS = "progress"
#: Timeouts of calls to Zalo: short enough for the sender, and under the token lease.
_TIMEOUT = httpx.Timeout(15.0, connect=5.0)
#: How long a token refresh may hold the cross-instance lease (well over one OAuth call).
_LEASE_S = 60.0


class ZaloConfigError(RuntimeError):
    """The Zalo settings are unsafe or incomplete (the app refuses to start)."""


def _utc(epoch: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(epoch, dt.UTC)


def _messages(item: OutboxItem, *, public_base_url: str, limit: int) -> list[OutMessage]:
    body = item.body if isinstance(item.body, dict) else {}
    replies = [Reply.from_dict(r) for r in body.get("replies", ()) if isinstance(r, dict)]
    return render(replies, public_base_url=public_base_url, limit=limit)


def _progress(item: OutboxItem) -> int:
    value = (item.context or {}).get(_PROGRESS, 0)
    return value if isinstance(value, int) and value >= 0 else 0


class _ErrorLog:
    """Records a channel's delivery errors where admins look: KeyValue, events, channel state."""

    def __init__(
        self,
        *,
        store: Store,
        channel: str,
        key: str,
        state: StateSink,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._store = store
        self._channel = channel
        self._key = key
        self._state = state
        self._clock = clock

    def ok(self) -> None:
        """The channel works (a message went out, or the platform answered)."""
        self._state("ok")

    def degraded(self, reason: str) -> None:
        """Every send is likely to fail for now: show why."""
        self._state(f"degraded: {reason}")

    async def record(self, *, chat_id: str, code: str, kind: str, message: str, channel_wide: bool) -> None:
        """Keep the error (no tokens, no message texts) and show it in the channel state."""
        now = self._clock()
        summary = f"{code} ({kind}) at {_utc(now).isoformat(timespec='seconds')}"
        if channel_wide:
            self.degraded(f"{summary}: {message[:120]}")
        else:
            self._state(f"ok; last error {summary}")
        log.warning("%s: delivery error %s (%s): %s", self._channel, code, kind, message[:200])

        def _write() -> None:
            with self._store.unit() as unit:
                record_error(unit, key=self._key, code=code, message=message, now=now)
                user_id = unit.find_user(channel=self._channel, external_id=chat_id)
                unit.add_events(
                    user_id=user_id,
                    events=[("delivery_failed", {"channel": self._channel, "code": code, "kind": kind})],
                    source="user",
                    now=_utc(now),
                )

        try:
            await asyncio.to_thread(_write)
        except Exception as exc:  # noqa: BLE001 - the state above still shows it; the row keeps its error
            log.error("%s: could not record a delivery error: %s", self._channel, type(exc).__name__)


# --- Zalo OA ----------------------------------------------------------------------------------


class ZaloOaSender:
    """Delivers ``zalo_oa`` outbox rows as CS messages (``ChannelSender`` of api.channels.outbox)."""

    channel = "zalo_oa"

    def __init__(
        self, *, client: ZaloOaClient, tokens: OaTokenManager, errors: _ErrorLog, public_base_url: str
    ) -> None:
        self._client = client
        self._tokens = tokens
        self._errors = errors
        self._base = public_base_url

    async def _send(self, token: str, user_id: str, message: OutMessage, reply_to: str | None) -> None:
        if isinstance(message, OutImage):
            await self._client.send_image(
                access_token=token, user_id=user_id, url=message.url, reply_to=reply_to
            )
        else:
            await self._client.send_text(
                access_token=token, user_id=user_id, text=message.text, reply_to=reply_to
            )

    async def _token_problem(self, item: OutboxItem, exc: ZaloClientError, done: int) -> Delivery:
        if isinstance(exc, ZaloOAuthError):
            await self._errors.record(
                chat_id=item.chat_id,
                code=f"oauth:{exc.code}",
                kind="token",
                message=f"token refresh refused: {exc.message}",
                channel_wide=True,
            )
            # Nothing works until an admin grants access again; keep the row for a while.
            return Delivery.retry(300, f"token refresh refused ({exc.code})", progress=done)
        self._errors.degraded(f"token refresh failed: {exc}")
        return Delivery.transient(f"token refresh failed: {exc}", progress=done)

    async def deliver(self, item: OutboxItem) -> Delivery:
        """Send every message of one turn, resuming after the ones already sent."""
        messages = _messages(item, public_base_url=self._base, limit=OaFacts.TEXT_LIMIT)
        done = _progress(item)
        reply_to = (item.context or {}).get("reply_to")
        reply_to = reply_to if isinstance(reply_to, str) else None
        try:
            token = await self._tokens.access_token()
        except ZaloClientError as exc:
            return await self._token_problem(item, exc, done)
        refreshed = False
        while done < len(messages):
            try:
                await self._send(token, item.chat_id, messages[done], reply_to)
            except ZaloOaApiError as exc:
                kind = classify_oa_error(exc.code)
                if kind == "token" and not refreshed:
                    refreshed = True  # refresh once and send the same message again
                    try:
                        token = await self._tokens.refresh(stale=token)
                    except ZaloClientError as refresh_exc:
                        return await self._token_problem(item, refresh_exc, done)
                    continue
                return await self._api_error(item, exc, kind, done)
            except ZaloTransportError as exc:
                self._errors.degraded(f"Zalo OA unreachable: {exc}")
                if exc.transient:
                    return Delivery.transient(str(exc), progress=done)
                return Delivery.permanent(str(exc))
            done += 1
        self._errors.ok()
        return Delivery.ok()

    async def _api_error(self, item: OutboxItem, exc: ZaloOaApiError, kind: str, done: int) -> Delivery:
        code = str(exc.code)
        error = f"Zalo OA error {exc.code} ({kind}): {exc.message}"
        channel_wide = kind in ("token", "quota", "rate_limit", "other")
        await self._errors.record(
            chat_id=item.chat_id, code=code, kind=kind, message=exc.message, channel_wide=channel_wide
        )
        if kind == "rate_limit":
            return Delivery.retry(OaFacts.RATE_LIMIT_WAIT_S, error, progress=done)
        if kind == "quiet_hours":
            return Delivery.retry(OaFacts.QUIET_HOURS_WAIT_S, error, progress=done)
        if kind == "token":
            return Delivery.transient(error + " (after a refresh)", progress=done)
        # Outside the 7-day window, unreachable user, quota spent, unknown: sending again
        # will not help; the row is dead with the error.
        return Delivery.permanent(error)


@dataclass
class ZaloOaRuntime:
    """What the OA webhook and admins need at run time."""

    app_id: str
    secret_key: str
    tokens: OaTokenManager
    client: ZaloOaClient
    worker: OutboxWorker
    tasks: list[asyncio.Task[None]] = field(default_factory=list)

    def wake(self) -> None:
        """Deliver what a webhook just queued."""
        self.worker.wake()


async def _keep_oa_token_fresh(tokens: OaTokenManager, errors: _ErrorLog, *, every_s: float) -> None:
    """Refresh the access token before it expires, even when nobody writes for a while
    (the refresh token itself only lives about three months)."""
    failures = 0
    while True:
        delay = every_s
        try:
            token = await tokens.reload()
            if token is None or not (token.access_token or token.refresh_token):
                errors.degraded("no access or refresh token (set ZALO_OA_REFRESH_TOKEN)")
            elif tokens.needs_refresh(token):
                await tokens.refresh(stale=token.access_token)
                errors.ok()
            failures = 0
        except asyncio.CancelledError:
            raise
        except ZaloOAuthError as exc:
            errors.degraded(f"token refresh refused ({exc.code}): grant access again")
            delay = every_s
        except Exception as exc:  # noqa: BLE001 - the OAuth server or the database is down: retry sooner
            failures += 1
            errors.degraded(f"token refresh failed: {type(exc).__name__}: {exc}")
            delay = min(every_s, 5.0 * 2 ** min(failures, 6))
        await asyncio.sleep(delay)


async def _start_oa(
    app: FastAPI,
    services: Services,
    set_state: StateSink,
    *,
    policy: RetryPolicy | None,
    token_check_s: float,
) -> list[Closer]:
    settings = services.settings
    assert settings.zalo_oa_app_id is not None
    if settings.zalo_oa_secret_key is None:
        raise ZaloConfigError(
            "ZALO_OA_APP_ID is set without ZALO_OA_SECRET_KEY: webhook signatures cannot be checked"
        )
    http = httpx.AsyncClient(timeout=_TIMEOUT)
    oauth = ZaloOAuthClient(http, oauth_base_url=settings.zalo_oauth_base_url)
    secret = settings.zalo_oa_app_secret.get_secret_value() if settings.zalo_oa_app_secret else None
    key = settings.secret_key.get_secret_value() if settings.secret_key else None
    if key is None:
        log.warning("zalo_oa: SECRET_KEY is not set, so the OA tokens are stored in the database unsealed")
    tokens = OaTokenManager(
        store=services.store, oauth=oauth, app_id=settings.zalo_oa_app_id, app_secret=secret, lease_s=_LEASE_S,
        sealer=Sealer(key, purpose=TOKEN_KEY),
    )
    access = settings.zalo_oa_access_token.get_secret_value() if settings.zalo_oa_access_token else None
    refresh = settings.zalo_oa_refresh_token.get_secret_value() if settings.zalo_oa_refresh_token else None
    await asyncio.to_thread(tokens.bootstrap, access_token=access, refresh_token=refresh)
    errors = _ErrorLog(store=services.store, channel="zalo_oa", key=LAST_ERROR_KEY, state=set_state)
    client = ZaloOaClient(http, api_base_url=settings.zalo_oa_api_base_url)
    sender = ZaloOaSender(
        client=client, tokens=tokens, errors=errors, public_base_url=settings.public_base_url
    )
    worker = OutboxWorker(services.store, sender, policy=policy)
    runtime = ZaloOaRuntime(
        settings.zalo_oa_app_id, settings.zalo_oa_secret_key.get_secret_value(), tokens, client, worker
    )
    set_state("ok" if secret else "degraded: ZALO_OA_APP_SECRET missing, the token cannot be renewed")
    worker.start()
    runtime.tasks.append(
        asyncio.create_task(_keep_oa_token_fresh(tokens, errors, every_s=token_check_s), name="zalo_oa-token")
    )
    app.state.zalo_oa = runtime

    return [_closer(app, "zalo_oa", runtime.tasks, worker, http)]


# --- Zalo Bot Platform ------------------------------------------------------------------------


class ZaloBotSender:
    """Delivers ``zalo_bot`` outbox rows with sendMessage / sendPhoto (``ChannelSender``)."""

    channel = "zalo_bot"

    def __init__(self, *, client: ZaloBotClient, errors: _ErrorLog, public_base_url: str) -> None:
        self._client = client
        self._errors = errors
        self._base = public_base_url

    async def deliver(self, item: OutboxItem) -> Delivery:
        """Send every message of one turn, resuming after the ones already sent."""
        messages = _messages(item, public_base_url=self._base, limit=BotFacts.TEXT_LIMIT)
        done = _progress(item)
        while done < len(messages):
            message = messages[done]
            try:
                if isinstance(message, OutImage):
                    await self._client.send_photo(chat_id=item.chat_id, photo=message.url)
                else:
                    await self._client.send_message(chat_id=item.chat_id, text=message.text)
            except ZaloBotApiError as exc:
                return await self._api_error(item, exc, done)
            except ZaloTransportError as exc:
                self._errors.degraded(f"Zalo Bot API unreachable: {exc}")
                if exc.status == 429:
                    return Delivery.retry(BotFacts.RATE_LIMIT_WAIT_S, str(exc), progress=done)
                if exc.transient:
                    return Delivery.transient(str(exc), progress=done)
                return Delivery.permanent(str(exc))
            done += 1
        self._errors.ok()
        return Delivery.ok()

    async def _api_error(self, item: OutboxItem, exc: ZaloBotApiError, done: int) -> Delivery:
        error = f"Zalo Bot error {exc.code}: {exc.description}"
        if exc.retry_after is not None or exc.code == 429:
            wait = exc.retry_after if exc.retry_after is not None else BotFacts.RATE_LIMIT_WAIT_S
            self._errors.degraded(f"rate limited ({exc.code})")
            return Delivery.retry(wait, error, progress=done)
        if exc.code >= 500:
            self._errors.degraded(f"Zalo Bot API error {exc.code}")
            return Delivery.transient(error, progress=done)
        channel_wide = exc.code in (401, 403, 404)  # the token is refused: every send fails
        kind = "token" if channel_wide else "refused"
        await self._errors.record(
            chat_id=item.chat_id,
            code=str(exc.code),
            kind=kind,
            message=exc.description,
            channel_wide=channel_wide,
        )
        return Delivery.permanent(error)


@dataclass
class ZaloBotRuntime:
    """What the Bot webhook needs at run time."""

    webhook_secret: str
    client: ZaloBotClient
    worker: OutboxWorker
    tasks: list[asyncio.Task[None]] = field(default_factory=list)

    def wake(self) -> None:
        """Deliver what a webhook just queued."""
        self.worker.wake()


async def _check_bot(client: ZaloBotClient, errors: _ErrorLog) -> None:
    """Call getMe until it answers, with back-off, so /healthz shows whether the token works."""
    failures = 0
    while True:
        try:
            await client.get_me()
            errors.ok()
            return
        except asyncio.CancelledError:
            raise
        except ZaloClientError as exc:
            failures += 1
            errors.degraded(f"getMe failed: {exc}")
            await asyncio.sleep(min(300.0, 2.0 * 2 ** min(failures, 8)))


async def _start_bot(
    app: FastAPI, services: Services, set_state: StateSink, *, policy: RetryPolicy | None
) -> list[Closer]:
    settings = services.settings
    assert settings.zalo_bot_token is not None
    if settings.zalo_bot_webhook_secret is None:
        raise ZaloConfigError(
            "ZALO_BOT_TOKEN is set without ZALO_BOT_WEBHOOK_SECRET: webhooks cannot be checked"
        )
    http = httpx.AsyncClient(timeout=_TIMEOUT)
    client = ZaloBotClient(
        http, base_url=settings.zalo_bot_api_base_url, token=settings.zalo_bot_token.get_secret_value()
    )
    errors = _ErrorLog(store=services.store, channel="zalo_bot", key=BOT_LAST_ERROR_KEY, state=set_state)
    sender = ZaloBotSender(client=client, errors=errors, public_base_url=settings.public_base_url)
    worker = OutboxWorker(services.store, sender, policy=policy)
    runtime = ZaloBotRuntime(settings.zalo_bot_webhook_secret.get_secret_value(), client, worker)
    set_state("starting")
    worker.start()
    runtime.tasks.append(asyncio.create_task(_check_bot(client, errors), name="zalo_bot-check"))
    app.state.zalo_bot = runtime

    return [_closer(app, "zalo_bot", runtime.tasks, worker, http)]


def _closer(
    app: FastAPI, name: str, tasks: list[asyncio.Task[None]], worker: OutboxWorker, http: httpx.AsyncClient
) -> Closer:
    """Stop one platform: forget its runtime, cancel its tasks, drain its sender, close its client."""

    async def close() -> None:
        setattr(app.state, name, None)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await worker.stop()
        await http.aclose()

    return close


# --- Entry point ------------------------------------------------------------------------------


def _state_sink(app: FastAPI, channel: str) -> StateSink:
    def set_state(state: str) -> None:
        states: dict[str, Any] = app.state.channel_states
        states[channel] = state

    return set_state


async def start(
    app: FastAPI,
    services: Services,
    *,
    policy: RetryPolicy | None = None,
    token_check_s: float = 600.0,
) -> list[Closer]:
    """Start the configured Zalo platforms; returns their closers (await in reverse order)."""
    settings = services.settings
    if not hasattr(app.state, "channel_states"):
        app.state.channel_states = {}
    app.state.zalo_oa = None
    app.state.zalo_bot = None
    closers: list[Closer] = []
    try:
        if settings.zalo_oa_app_id is not None:
            closers += await _start_oa(
                app, services, _state_sink(app, "zalo_oa"), policy=policy, token_check_s=token_check_s
            )
        if settings.zalo_bot_token is not None:
            closers += await _start_bot(app, services, _state_sink(app, "zalo_bot"), policy=policy)
    except BaseException:
        for close in reversed(closers):
            await close()
        raise
    return closers
