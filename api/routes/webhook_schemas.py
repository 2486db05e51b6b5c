"""OpenAPI descriptions of the webhook bodies (documentation only: nothing here parses a request).

The webhooks read their bodies with :func:`api.inbound.read_json` and hand plain dicts to the
adapters (the Telegram hot path reads the JSON directly, see ``bot.channels.telegram``), so the
request bodies are described here as JSON Schema, for ``openapi_extra``. Each schema lists the
fields the bot reads and those the platform always sends with them; other fields are allowed
(the platforms add fields over time) and ignored. Integers are int64, the bound
:mod:`api.inbound` enforces.
"""

from __future__ import annotations

from typing import Any, Final, Literal

from pydantic import BaseModel

__all__ = ["TELEGRAM_BODY", "ZALO_BOT_BODY", "ZALO_OA_BODY", "TelegramOk", "ZaloOk"]

_INT64: Final[dict[str, Any]] = {"type": "integer", "format": "int64"}
_STR: Final[dict[str, Any]] = {"type": "string"}


def _object(properties: dict[str, Any], *required: str, description: str = "") -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": properties, "required": list(required)}
    if description:
        schema["description"] = description
    return schema


def _json_body(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"required": True, "description": description, "content": {"application/json": {"schema": schema}}}


# --- Telegram Bot API (https://core.telegram.org/bots/api#update) ------------------------------

_TG_USER = _object(
    {"id": _INT64, "is_bot": {"type": "boolean"}, "first_name": _STR, "username": _STR},
    "id", "is_bot", "first_name",
    description="User: the sender (a bot's own messages are ignored)",
)
_TG_CHAT = _object(
    {"id": _INT64, "type": {"type": "string", "enum": ["private", "group", "supergroup", "channel"]}},
    "id", "type",
    description="Chat: where to answer (a group shares one conversation)",
)
_TG_ENTITY = _object(
    {"type": _STR, "offset": _INT64, "length": _INT64, "user": _TG_USER},
    "type", "offset", "length",
    description="MessageEntity: mentions of the bot in groups",
)
_TG_MEDIA = {"type": "object", "description": "Media the bot cannot read (answered politely)"}
_TG_MESSAGE_FIELDS: Final[dict[str, Any]] = {
    "message_id": _INT64,
    "date": {**_INT64, "description": "Unix time"},
    "chat": _TG_CHAT,
    "from": _TG_USER,
    "text": _STR,
    "caption": _STR,
    "entities": {"type": "array", "items": _TG_ENTITY},
    "caption_entities": {"type": "array", "items": _TG_ENTITY},
    "sticker": _TG_MEDIA,
    "voice": _TG_MEDIA,
    "document": _TG_MEDIA,
    "photo": {"type": "array", "items": _TG_MEDIA},
}
#: A replied-to message: the bot reads only who wrote it (is it a reply to the bot?).
_TG_REPLIED = _object(dict(_TG_MESSAGE_FIELDS), "message_id", "date", "chat")
_TG_MESSAGE = _object(
    {**_TG_MESSAGE_FIELDS, "reply_to_message": _TG_REPLIED},
    "message_id", "date", "chat",
    description="Message: text, caption or media; commands and main-menu labels included",
)
_TG_CALLBACK = _object(
    {"id": _STR, "from": _TG_USER, "chat_instance": _STR, "data": _STR, "message": _TG_MESSAGE},
    "id", "from", "chat_instance",
    description="CallbackQuery: a button press; data is the button's payload",
)

TELEGRAM_BODY: Final = _json_body(
    _object(
        {
            "update_id": _INT64,
            "message": _TG_MESSAGE,
            "edited_message": _TG_MESSAGE,
            "callback_query": _TG_CALLBACK,
            "my_chat_member": {"type": "object", "description": "Ignored (answered 200)"},
        },
        "update_id",
        description="A Telegram Update: the fields the bot reads; other update types are answered "
                    "200 and ignored",
    ),
    "A Telegram Update (https://core.telegram.org/bots/api#update)",
)


# --- Zalo Official Account (channels.md §4) ----------------------------------------------------

_ZALO_ID = {"type": "string", "description": "A Zalo id (sent as a string or a number)"}
_ZALO_PARTY = _object({"id": _ZALO_ID}, "id")

ZALO_OA_BODY: Final = _json_body(
    _object(
        {
            "app_id": {**_ZALO_ID, "description": "Our app id: part of the signature"},
            "timestamp": {"type": "string", "pattern": "^[0-9]{1,19}$",
                          "description": "Epoch milliseconds: part of the signature; stale events are refused"},
            "event_name": {"type": "string",
                           "description": "user_send_text, user_send_<media>, follow, unfollow… (others ignored)"},
            "sender": _ZALO_PARTY,
            "follower": _ZALO_PARTY,
            "recipient": _ZALO_PARTY,
            "user_id_by_app": _ZALO_ID,
            "message": _object({"msg_id": _ZALO_ID, "text": _STR,
                                "attachments": {"type": "array", "items": {"type": "object"}}}),
        },
        "app_id", "timestamp", "event_name",
        description="A Zalo OA event, signed: X-ZEvent-Signature = mac=sha256(app_id + body + timestamp "
                    "+ OA secret key)",
    ),
    "A Zalo Official Account webhook event",
)


# --- Zalo Bot Platform (channels.md §4) --------------------------------------------------------

_ZALO_BOT_UPDATE = _object(
    {
        "event_name": {"type": "string",
                       "description": "message.text.received, message.image.received, "
                                      "message.sticker.received… (others ignored)"},
        "message": _object(
            {
                "message_id": _ZALO_ID,
                "date": _INT64,
                "chat": _object({"id": _ZALO_ID, "chat_type": _STR}, "id"),
                "from": _object({"id": _ZALO_ID, "display_name": _STR, "is_bot": {"type": "boolean"}}, "id"),
                "text": _STR,
                "photo_url": _STR,
                "sticker": _STR,
            },
            "message_id", "chat",
        ),
    },
    "event_name", "message",
    description="A Zalo Bot Platform update",
)

ZALO_BOT_BODY: Final = _json_body(
    {
        "anyOf": [
            _ZALO_BOT_UPDATE,
            _object({"ok": {"type": "boolean"}, "result": _ZALO_BOT_UPDATE}, "result",
                    description="The same update wrapped as documented ({ok, result})"),
        ]
    },
    "A Zalo Bot Platform update, bare (as observed) or wrapped in {ok, result} (as documented)",
)


# --- Answers -----------------------------------------------------------------------------------


class TelegramOk(BaseModel):
    """The webhook's answer to Telegram: what became of the update."""

    ok: bool
    status: Literal["answered", "duplicate", "ignored"]


class ZaloOk(BaseModel):
    """The webhook's acknowledgement to Zalo (the answer goes out through the outbox)."""

    ok: bool
