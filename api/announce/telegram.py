"""Announcements through the Telegram Bot API: one call per recipient, the answer classified.

A plain ``httpx`` client (keep-alive pool of ``concurrency`` connections) posts to
``TELEGRAM_API_BASE_URL`` + token + method, like python-telegram-bot's ``base_url``; the broadcast
needs nothing else of PTB, and its own per-process rate limiter would fight the
:class:`~api.announce.delivery.Pacer`. Text is sent without parse mode (nothing to escape), buttons
as an inline keyboard (``callback_data`` = payload, which the webhook already understands), an image
as a photo with the text as caption when it fits (1,024 characters), otherwise as the text's large
link preview. A photo Telegram cannot fetch falls back to the text alone.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import httpx

from api.announce.delivery import SendResult
from api.announce.repo import Claimed
from bot.core.types import Reply

__all__ = ["CAPTION_MAX", "TelegramBroadcastSender", "classify", "telegram_calls"]

log = logging.getLogger(__name__)

CAPTION_MAX = 1024
TEXT_MAX = 4096
#: Telegram's words for a chat that is gone for good (account deleted, bot removed, chat lost).
_LEFT = ("user is deactivated", "bot was kicked", "chat not found", "not a member", "group chat was deleted",
         "have no rights to send")


def telegram_calls(reply: Reply, chat_id: int) -> list[tuple[str, dict[str, Any]]]:
    """The Bot API calls for one announcement: the main call, then the text-only fallback."""
    markup = {"inline_keyboard": [[{"text": b.label[:64], "callback_data": b.payload}] for b in reply.buttons]}
    text = reply.text[:TEXT_MAX]
    plain: dict[str, Any] = {"chat_id": chat_id, "text": text, "reply_markup": markup,
                             "link_preview_options": {"is_disabled": True}}
    if not reply.images:
        return [("sendMessage", plain)]
    url = reply.images[0].url
    if len(text) <= CAPTION_MAX:
        return [("sendPhoto", {"chat_id": chat_id, "photo": url, "caption": text, "reply_markup": markup}),
                ("sendMessage", plain)]
    preview = {**plain, "link_preview_options": {"url": url, "prefer_large_media": True, "show_above_text": True}}
    return [("sendMessage", preview), ("sendMessage", plain)]


def classify(status: int, data: Any) -> SendResult:
    """A Bot API answer as a :class:`SendResult`."""
    if status == 200 and isinstance(data, dict) and data.get("ok"):
        return SendResult("sent")
    description = str(data.get("description", "")) if isinstance(data, dict) else ""
    low = description.lower()
    if status == 429:
        params = data.get("parameters") if isinstance(data, dict) else None
        after = params.get("retry_after") if isinstance(params, dict) else None
        seconds = float(after) if isinstance(after, int | float) and after >= 0 else 1.0
        return SendResult("retry", min(seconds, 3600.0), f"429 retry_after {seconds:g}")
    if status >= 500:
        return SendResult("transient", error=f"{status} {description[:200]}")
    if status == 403 and "blocked" in low:
        return SendResult("blocked", error=f"403 {description[:200]}")
    if status in (400, 403) and any(word in low for word in _LEFT):
        return SendResult("left", error=f"{status} {description[:200]}")
    return SendResult("failed", error=f"{status} {description[:200]}")


class TelegramBroadcastSender:
    """Sends announcements to Telegram chats."""

    channel = "telegram"

    def __init__(self, *, base_url: str, token: str, concurrency: int = 16, timeout_s: float = 10.0) -> None:
        self._prefix = f"{base_url}{token}/"
        self._client = httpx.AsyncClient(
            timeout=httpx.Timeout(timeout_s, connect=5.0),
            limits=httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency))

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._client.aclose()

    async def send(self, row: Claimed, reply: Reply) -> SendResult:
        """Send one announcement; a refused photo is sent again as text."""
        try:
            chat_id = int(row.chat_id or "")
        except ValueError:
            return SendResult("failed", error="not a Telegram chat id")
        calls = telegram_calls(reply, chat_id)
        result = await self._call(*calls[0])
        if result.status == "failed" and len(calls) > 1:
            log.info("announce: Telegram refused the image (%s), sending the text alone", result.error)
            result = await self._call(*calls[1])
        return result

    async def _call(self, method: str, params: dict[str, Any]) -> SendResult:
        try:
            # Form-encoded, objects as JSON strings: how python-telegram-bot posts (the Bot API takes both).
            form = {k: v if isinstance(v, str) else json.dumps(v, ensure_ascii=False) for k, v in params.items()}
            response = await self._client.post(self._prefix + method, data=form)
        except httpx.HTTPError as exc:
            return SendResult("transient", error=type(exc).__name__)
        try:
            data = response.json()
        except ValueError:
            data = None
        return classify(response.status_code, data)
