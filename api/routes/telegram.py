"""``POST /webhooks/telegram``: Telegram's webhook, handled inline in one transaction.

Checks in order: the channel is configured (else 404), the ``X-Telegram-Bot-Api-Secret-Token``
header matches in constant time (else 401), the bot is up (else 503, Telegram retries), the body is
JSON within :mod:`api.inbound`'s bounds (else 400: too deep, an integer beyond int64, a non-finite
number, a NUL or a lone surrogate) and an Update whose fields the bot reads have their Bot API
types (else 422: a string ``chat.id`` would queue a reply that can never be sent; Telegram never
sends such updates, so refusing them only shows the sender its mistake). Then the update is de-duplicated, answered by the core and
its replies queued in the outbox, all in one transaction, before the 200. A redelivered update
and an update type the bot ignores are answered 200 without replies; a database outage is a 503.
The body is never logged or stored.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from telegram import Update

from api.errors import (
    ChannelNotConfigured,
    ErrorOut,
    InvalidBody,
    ServiceUnavailable,
    Unauthorized,
    error_responses,
)
from api.inbound import read_json
from api.routes.webhook_schemas import TELEGRAM_BODY, TelegramOk
from bot.channels.telegram import BadUpdate, translate, translate_json

if TYPE_CHECKING:
    from api.channels.telegram import TelegramRuntime

__all__ = ["SECRET_HEADER", "router"]

router = APIRouter(tags=["telegram"])

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


#: What python-telegram-bot raises on a body that is JSON but not an Update (a date out of the
#: datetime range is an OverflowError or a ValueError; a wrongly typed field we read, BadUpdate).
# OSError: datetime.fromtimestamp refuses an out-of-range date with EOVERFLOW on Linux (a fuzzed "date").
_NOT_AN_UPDATE = (TypeError, KeyError, ValueError, AttributeError, OverflowError, OSError)


@router.post(
    "/webhooks/telegram",
    response_model=TelegramOk,
    responses={
        **error_responses(400, 401, 404, 413, 503),
        422: {"model": ErrorOut, "description": "JSON, but not a Telegram Update: no integer update_id, or a "
                                                "field the bot reads (chat.id, message_id, text…) of the wrong type"},
    },
    summary="Telegram webhook (set with `python -m bot telegram set-webhook`)",
    # The header and the body are read from the request directly (a Header() parameter costs a
    # dependency resolution, a pydantic body model a validation, on every update) and documented
    # here instead.
    openapi_extra={
        "parameters": [{
            "name": SECRET_HEADER, "in": "header", "required": True, "schema": {"type": "string"},
            "description": "The secret given to setWebhook (TELEGRAM_WEBHOOK_SECRET)",
        }],
        "requestBody": TELEGRAM_BODY,
    },
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
    data = read_json(await request.body())
    update_id = data.get("update_id") if isinstance(data, dict) else None
    if type(update_id) is not int:
        raise InvalidBody("not a Telegram Update: an object with an integer update_id is expected")
    if runtime.is_staff_group(data):  # the staff group's updates never reach a citizen conversation
        return JSONResponse({"ok": True, "status": await runtime.handle_staff(data)})
    incoming = translate_json(data, bot_username=runtime.bot_username)
    if incoming is None:  # not one of the two common shapes: python-telegram-bot parses it
        try:
            update = Update.de_json(data, runtime.bot)
            incoming = translate(update, bot_id=runtime.bot_id, bot_username=runtime.bot_username)
        except _NOT_AN_UPDATE as exc:
            detail = f": {exc}" if isinstance(exc, BadUpdate) else ""
            raise InvalidBody(f"not a Telegram Update{detail}") from None
    status = await runtime.handle(incoming)
    return JSONResponse({"ok": True, "status": status})
