"""``POST /webhooks/telegram``: Telegram's webhook, handled inline in one transaction.

Checks in order: the channel is configured (else 404), the ``X-Telegram-Bot-Api-Secret-Token``
header matches in constant time (else 401), the bot is up (else 503, Telegram retries), the body is
JSON (else 400) and an Update (else 422). Then the update is de-duplicated, answered by the core and
its replies queued in the outbox, all in one transaction, before the 200. A redelivered update
and an update type the bot ignores are answered 200 without replies; a database outage is a 503.
The body is never logged or stored.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from telegram import Update

from api.errors import ApiError, ChannelNotConfigured, ServiceUnavailable, Unauthorized
from bot.channels.telegram import translate, translate_json

if TYPE_CHECKING:
    from api.telegram_runtime import TelegramRuntime

__all__ = ["SECRET_HEADER", "router"]

router = APIRouter(tags=["telegram"])

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


class InvalidUpdate(ApiError):
    """The body is JSON but not a Telegram Update."""

    status = 422


class InvalidJson(ApiError):
    """The body is not JSON."""

    status = 400


def _parse(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        raise InvalidJson("invalid JSON") from None


@router.post(
    "/webhooks/telegram",
    responses={400: {}, 401: {}, 404: {}, 422: {}, 503: {}},
    summary="Telegram webhook (set with `python -m bot telegram set-webhook`)",
    # The header is read from the request directly (a Header() parameter costs a dependency
    # resolution on every update) and documented here instead.
    openapi_extra={"parameters": [{
        "name": SECRET_HEADER, "in": "header", "required": True, "schema": {"type": "string"},
        "description": "The secret given to setWebhook (TELEGRAM_WEBHOOK_SECRET)",
    }]},
)
async def telegram_webhook(request: Request) -> JSONResponse:
    """Answer one Telegram update (private chats, groups when addressed, button presses)."""
    runtime: TelegramRuntime | None = getattr(request.app.state, "telegram", None)
    if runtime is None or runtime.settings.telegram_webhook_secret is None:
        raise ChannelNotConfigured("the Telegram channel is not configured")
    if not runtime.secret_ok(request.headers.get(SECRET_HEADER)):
        raise Unauthorized("wrong or missing X-Telegram-Bot-Api-Secret-Token")
    if not runtime.ready.is_set():
        raise ServiceUnavailable("the Telegram bot is starting", headers={"Retry-After": "5"})
    data = _parse(await request.body())
    update_id = data.get("update_id") if isinstance(data, dict) else None
    if not isinstance(update_id, int) or isinstance(update_id, bool):
        raise InvalidUpdate("not a Telegram Update: an object with an integer update_id is expected")
    incoming = translate_json(data, bot_username=runtime.bot_username)
    if incoming is None:  # not one of the two common shapes: python-telegram-bot parses it
        try:
            update = Update.de_json(data, runtime.bot)
        except (TypeError, KeyError, ValueError, AttributeError):
            raise InvalidUpdate("not a Telegram Update") from None
        incoming = translate(update, bot_id=runtime.bot_id, bot_username=runtime.bot_username)
    status = await runtime.handle(incoming)
    return JSONResponse({"ok": True, "status": status})
