"""Zalo Bot Platform webhooks: secret check and update → what the citizen sent.

Exceptions::

    ZaloBotError       base
    ├── BadUpdate      the body is not a JSON object (400)
    └── BadSecret      missing or wrong ``X-Bot-Api-Secret-Token`` (401)

Updates arrive wrapped in ``{"ok": true, "result": {…}}`` (as documented) or bare (as observed
in deployments); both are accepted. There is no update id: ``message_id`` de-duplicates. The
adapter never parses JSON: the shell reads the body within bounds (``api.inbound``) and passes
the parsed value to :func:`unwrap`.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bot.channels.zalo import BotFacts

__all__ = [
    "BadSecret",
    "BadUpdate",
    "BotUpdate",
    "ZaloBotError",
    "check_secret",
    "parse_update",
    "unwrap",
]


class ZaloBotError(Exception):
    """Base of the Zalo Bot adapter's errors."""


class BadUpdate(ZaloBotError):
    """The webhook body is not a JSON object."""


class BadSecret(ZaloBotError):
    """The secret header is missing or wrong."""


def check_secret(given: str | None, expected: str) -> None:
    """Raise :class:`BadSecret` unless ``given`` equals ``expected`` (constant time)."""
    if not given or not hmac.compare_digest(given.encode(), expected.encode()):
        raise BadSecret("wrong or missing secret token")


def unwrap(data: Any) -> dict[str, Any]:
    """The update object of a parsed webhook body, unwrapped from ``{"ok", "result"}`` if wrapped."""
    if not isinstance(data, dict):
        raise BadUpdate("body is not a JSON object")
    result = data.get("result")
    if "event_name" not in data and isinstance(result, dict):
        return result
    return data


class _Chat(BaseModel):
    model_config = ConfigDict(extra="ignore", coerce_numbers_to_str=True)

    id: str


class _From(BaseModel):
    model_config = ConfigDict(extra="ignore", coerce_numbers_to_str=True)

    id: str
    is_bot: bool = False


class _Message(BaseModel):
    model_config = ConfigDict(extra="ignore", coerce_numbers_to_str=True, populate_by_name=True)

    message_id: str
    chat: _Chat
    sender: _From | None = Field(default=None, alias="from")
    text: str | None = None


class _Update(BaseModel):
    model_config = ConfigDict(extra="ignore")

    event_name: str
    message: _Message


@dataclass(frozen=True, slots=True)
class BotUpdate:
    """What one Bot Platform update asks of the bot.

    ``user_id`` keys the citizen (the sender; the chat in private chats), ``chat_id`` is where to
    answer. ``action`` is ``ignore`` for unknown events and messages from bots.
    """

    name: str
    action: Literal["turn", "ignore"]
    user_id: str | None = None
    chat_id: str | None = None
    dedup_id: str | None = None
    text: str | None = None
    media: str | None = None


def parse_update(data: dict[str, Any]) -> BotUpdate:
    """Translate an update; shapes we do not know are ignored, never an error."""
    name = str(data.get("event_name") or "")
    try:
        update = _Update.model_validate(data)
    except ValidationError:
        return BotUpdate(name=name, action="ignore")
    msg = update.message
    if msg.sender is not None and msg.sender.is_bot:
        return BotUpdate(name=name, action="ignore")
    user = msg.sender.id if msg.sender is not None else msg.chat.id
    if name == BotFacts.TEXT_EVENT:
        return BotUpdate(name, "turn", user, msg.chat.id, msg.message_id, text=msg.text or "")
    media = BotFacts.MEDIA_EVENTS.get(name)
    if media is None:
        return BotUpdate(name=name, action="ignore")
    return BotUpdate(name, "turn", user, msg.chat.id, msg.message_id, media=media)
