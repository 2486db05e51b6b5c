"""``POST /webhooks/zalo`` (Zalo OA events) and ``POST /webhooks/zalo-bot`` (Zalo Bot Platform).

Each webhook checks its platform's proof of origin (401 otherwise, nothing answered), runs the
turn inline in one transaction (de-duplication, turn, masked log, outbox row) and acknowledges
with 200; the channel's outbox sender delivers the answer. A platform with no settings answers
404. Raw bodies are never stored or logged.

Bodies are read by :func:`api.inbound.read_json` (400 when too deep, not JSON, or holding an
integer beyond int64, a non-finite number, a NUL or a lone surrogate). The Zalo Bot secret is a
header, checked before the body is read. The Zalo OA signature covers the body and needs its
``app_id`` and ``timestamp``: the header must be present before the body is read, the body's
depth is checked on the bytes (no parsing, no recursion) and it is parsed within bounds, then the
signature is checked before anything else reads the event.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from api import budget_keys
from api.conversation import Conversation, OutboxTarget, prepare_inbound
from api.deps import ConversationDep, SettingsDep, StoreDep
from api.errors import BadJson, ChannelNotConfigured, Unauthorized, error_responses
from api.inbound import read_json
from api.settings import Settings
from api.store import Store
from api.routes.webhook_schemas import ZALO_BOT_BODY, ZALO_OA_BODY, ZaloOk
from bot.channels.zalo import BotFacts, OaFacts
from bot.channels.zalo_bot import BadSecret, BadUpdate, check_secret, parse_update, unwrap
from bot.channels.zalo_oa import BadEvent, BadSignature, parse_event, verify_event
from bot.core.types import Inbound

__all__ = ["router"]

log = logging.getLogger(__name__)

router = APIRouter(tags=["webhooks"])

_RESPONSES = error_responses(400, 401, 404, 413, 503)


def _within_budget(store: Store, *, key: str, limit: int) -> bool:
    """One hit on a citizen's per-minute budget (shared by all instances)."""
    with store.unit() as unit:
        allowed, _ = unit.hit_rate_limit(key=key, limit=limit, window_s=60, now_epoch=int(time.time()))
    return allowed


async def _run(
    *,
    conv: Conversation,
    store: Store,
    settings: Settings,
    channel: str,
    user_id: str,
    chat_id: str,
    dedup_id: str,
    inbound: Inbound,
    context: dict[str, Any],
) -> bool:
    """Run one turn with its outbox row; False when it was a duplicate or over the budget."""
    if not await run_in_threadpool(
        _within_budget, store, key=budget_keys.user(channel, user_id), limit=settings.chat_rate_per_minute
    ):
        # Answering 429 would only make the platform resend; the flood is dropped and counted.
        log.warning("%s: a user is over the message budget; message dropped", channel)
        return False
    result = await run_in_threadpool(
        conv.run_turn,
        channel=channel,
        external_id=user_id,
        inbound=inbound,
        dedup_id=dedup_id,
        outbox=OutboxTarget(channel=channel, chat_id=chat_id, context=context),
    )
    return result is not None


def _wake(request: Request, channel: str) -> None:
    runtime = getattr(request.app.state, channel, None)
    wake = getattr(runtime, "wake", None)
    if callable(wake):
        wake()


@router.post(
    "/webhooks/zalo",
    response_model=ZaloOk,
    responses=_RESPONSES,
    openapi_extra={
        "parameters": [{
            "name": OaFacts.SIGNATURE_HEADER, "in": "header", "required": True, "schema": {"type": "string"},
            "description": "mac=<hex sha256(app_id + raw body + timestamp + ZALO_OA_SECRET_KEY)>",
        }],
        "requestBody": ZALO_OA_BODY,
    },
)
async def zalo_oa_webhook(
    request: Request, conv: ConversationDep, store: StoreDep, settings: SettingsDep
) -> dict[str, bool]:
    """A Zalo Official Account event, signed with ``X-ZEvent-Signature``."""
    runtime = getattr(request.app.state, "zalo_oa", None)
    if runtime is None:
        raise ChannelNotConfigured("Zalo OA is not configured")
    signature = request.headers.get(OaFacts.SIGNATURE_HEADER)
    if not signature:  # before the body is even read
        log.warning("zalo_oa: webhook refused: missing signature")
        raise Unauthorized("invalid or missing signature")
    raw = await request.body()
    parsed = read_json(raw)
    try:
        data = verify_event(
            raw,
            parsed,
            signature,
            app_id=runtime.app_id,
            secret_key=runtime.secret_key,
            now_s=time.time(),
            max_age_s=settings.zalo_oa_max_event_age_s,
        )
    except BadSignature as exc:
        log.warning("zalo_oa: webhook refused: %s", exc)
        raise Unauthorized("invalid or missing signature") from None
    except BadEvent as exc:
        raise BadJson(str(exc)) from None
    event = parse_event(data)
    if event.action == "ignore" or event.user_id is None or event.dedup_id is None:
        return {"ok": True}
    inbound = prepare_inbound(
        text=event.text, media=event.media, max_chars=settings.max_text_chars, numbered_options=True,
        location=event.location,
    )
    context = {"reply_to": event.message_id} if event.message_id else {}
    if await _run(
        conv=conv,
        store=store,
        settings=settings,
        channel="zalo_oa",
        user_id=event.user_id,
        chat_id=event.user_id,
        dedup_id=event.dedup_id,
        inbound=inbound,
        context=context,
    ):
        _wake(request, "zalo_oa")
    return {"ok": True}


@router.post(
    "/webhooks/zalo-bot",
    response_model=ZaloOk,
    responses=_RESPONSES,
    openapi_extra={
        "parameters": [{
            "name": BotFacts.SECRET_HEADER, "in": "header", "required": True, "schema": {"type": "string"},
            "description": "The secret given to setWebhook (ZALO_BOT_WEBHOOK_SECRET)",
        }],
        "requestBody": ZALO_BOT_BODY,
    },
)
async def zalo_bot_webhook(
    request: Request, conv: ConversationDep, store: StoreDep, settings: SettingsDep
) -> dict[str, bool]:
    """A Zalo Bot Platform update, authenticated by ``X-Bot-Api-Secret-Token``."""
    runtime = getattr(request.app.state, "zalo_bot", None)
    if runtime is None:
        raise ChannelNotConfigured("Zalo Bot is not configured")
    try:
        check_secret(request.headers.get(BotFacts.SECRET_HEADER), runtime.webhook_secret)
    except BadSecret:
        log.warning("zalo_bot: webhook refused: wrong or missing secret token")
        raise Unauthorized("invalid or missing secret token") from None
    try:
        data = unwrap(read_json(await request.body()))
    except BadUpdate as exc:
        raise BadJson(str(exc)) from None
    update = parse_update(data)
    if (
        update.action == "ignore"
        or update.user_id is None
        or update.chat_id is None
        or update.dedup_id is None
    ):
        return {"ok": True}
    inbound = prepare_inbound(
        text=update.text, media=update.media, max_chars=settings.max_text_chars, numbered_options=True
    )
    if await _run(
        conv=conv,
        store=store,
        settings=settings,
        channel="zalo_bot",
        user_id=update.user_id,
        chat_id=update.chat_id,
        dedup_id=update.dedup_id,
        inbound=inbound,
        context={},
    ):
        _wake(request, "zalo_bot")
    return {"ok": True}
