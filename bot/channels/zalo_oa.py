"""Zalo Official Account webhooks: signature check and event → what the citizen sent.

Exceptions::

    ZaloOaError          base
    ├── BadEvent         the body is not a JSON object (400)
    └── BadSignature     missing or wrong ``X-ZEvent-Signature``, another app, or a stale or
                         future timestamp (401)

The adapter only translates: :func:`parse_event` says what the citizen sent (text, a follow,
a kind of media) and how to de-duplicate it; the shell masks the text and runs the turn. It never
parses JSON: the shell reads the body within bounds (depth, int64 numbers, no NUL or lone
surrogate; ``api.inbound``) and passes both the raw bytes (signed) and the parsed value.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from bot.channels.zalo import OaFacts

__all__ = [
    "BadEvent",
    "BadSignature",
    "OaEvent",
    "ZaloOaError",
    "expected_signature",
    "parse_event",
    "verify_event",
]


class ZaloOaError(Exception):
    """Base of the Zalo OA adapter's errors."""


class BadEvent(ZaloOaError):
    """The webhook body is not a JSON object."""


class BadSignature(ZaloOaError):
    """The event is not provably from Zalo for our OA, or not fresh."""


def expected_signature(*, app_id: str, raw_body: bytes, timestamp: str, secret_key: str) -> str:
    """Hex SHA-256 (a plain hash, not HMAC) of app id + raw body + timestamp + OA secret key."""
    digest = hashlib.sha256()
    digest.update(app_id.encode())
    digest.update(raw_body)
    digest.update(timestamp.encode())
    digest.update(secret_key.encode())
    return digest.hexdigest()


def _scalar(value: Any) -> str | None:
    """A JSON string or integer as text (ids and timestamps come as either); else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str | int):
        return str(value)
    return None


#: Digits of the longest timestamp accepted (int64 milliseconds).
_TIMESTAMP_DIGITS = 19


def verify_event(
    raw_body: bytes,
    data: Any,
    signature: str | None,
    *,
    app_id: str,
    secret_key: str,
    now_s: float,
    max_age_s: int,
) -> dict[str, Any]:
    """``data`` (the parsed ``raw_body``) when the signature, app id and timestamp are right.

    Raises :class:`BadSignature` or :class:`BadEvent` otherwise. The signature is checked before
    anything else is read of the event (it needs the body's app id and timestamp).
    """
    if not signature:
        raise BadSignature("missing signature")
    if not isinstance(data, dict):
        raise BadEvent("body is not a JSON object")
    body_app_id = _scalar(data.get("app_id"))
    timestamp = _scalar(data.get("timestamp"))
    if body_app_id is None or timestamp is None:
        raise BadSignature("app_id or timestamp missing")
    given = signature.strip()
    if given[: len(OaFacts.SIGNATURE_PREFIX)].lower() == OaFacts.SIGNATURE_PREFIX:
        given = given[len(OaFacts.SIGNATURE_PREFIX) :]
    wanted = expected_signature(
        app_id=body_app_id, raw_body=raw_body, timestamp=timestamp, secret_key=secret_key
    )
    if not hmac.compare_digest(given.lower().encode(), wanted.encode()):
        raise BadSignature("signature mismatch")
    if not hmac.compare_digest(body_app_id.encode(), app_id.encode()):
        raise BadSignature("event for another app")
    # A bounded decimal: a 400-digit one would overflow the conversion to seconds below.
    if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= _TIMESTAMP_DIGITS):
        raise BadSignature("timestamp is not a number")
    sent_s = int(timestamp) * OaFacts.TIMESTAMP_UNIT_S
    if now_s - sent_s > max_age_s:
        raise BadSignature("stale event")
    if sent_s - now_s > OaFacts.MAX_FUTURE_S:
        raise BadSignature("event from the future")
    return data


class _Party(BaseModel):
    model_config = ConfigDict(extra="ignore", coerce_numbers_to_str=True)

    id: str


class _Message(BaseModel):
    model_config = ConfigDict(extra="ignore", coerce_numbers_to_str=True)

    msg_id: str | None = None
    text: str | None = None
    attachments: list[dict[str, Any]] | None = None


def _location(msg: _Message | None) -> tuple[float, float] | None:
    """``attachments[0] = {"type": "location", "payload": {"coordinates": {"latitude", "longitude"}}}``."""
    for att in (msg.attachments or []) if msg is not None else []:
        payload = att.get("payload") if isinstance(att, dict) and att.get("type") == "location" else None
        coords = payload.get("coordinates") if isinstance(payload, dict) else None
        if isinstance(coords, dict):
            try:
                lat, lon = float(coords["latitude"]), float(coords["longitude"])
            except (KeyError, TypeError, ValueError):
                return None
            return (lat, lon) if -90 <= lat <= 90 and -180 <= lon <= 180 else None
    return None


class _Event(BaseModel):
    model_config = ConfigDict(extra="ignore", coerce_numbers_to_str=True)

    event_name: str
    timestamp: str
    sender: _Party | None = None
    follower: _Party | None = None
    message: _Message | None = None


@dataclass(frozen=True, slots=True)
class OaEvent:
    """What one OA event asks of the bot.

    ``action`` is ``turn`` (run a turn for ``user_id`` with ``text`` or ``media``) or ``ignore``
    (nothing to answer: unfollow, delivery and seen receipts, anonymous chats, unknown events).
    """

    name: str
    action: Literal["turn", "ignore"]
    user_id: str | None = None
    dedup_id: str | None = None
    text: str | None = None
    media: str | None = None
    message_id: str | None = None
    #: A shared location (``user_send_location``); the shell rounds it and never stores it.
    location: tuple[float, float] | None = None


def _event_dedup(name: str, user: str, timestamp: Any) -> str:
    """De-duplication id of an event without a message id: a digest, so it does not name the user."""
    digest = hashlib.sha256(f"{name}\x00{user}\x00{timestamp}".encode()).hexdigest()[:32]
    return f"e:{digest}"


def parse_event(data: dict[str, Any]) -> OaEvent:
    """Translate a verified event; shapes we do not know are ignored, never an error."""
    name = str(data.get("event_name") or "")
    try:
        event = _Event.model_validate(data)
    except ValidationError:
        return OaEvent(name=name, action="ignore")
    msg = event.message
    msg_id = msg.msg_id if msg is not None and msg.msg_id else None
    if name == OaFacts.FOLLOW_EVENT:
        if event.follower is None:
            return OaEvent(name=name, action="ignore")
        user = event.follower.id
        # A follow is answered with the welcome, like /start on Telegram.
        return OaEvent(name, "turn", user, _event_dedup(name, user, event.timestamp), text="/start")
    if not name.startswith(OaFacts.SEND_EVENT_PREFIX) or event.sender is None:
        return OaEvent(name=name, action="ignore")
    user = event.sender.id
    dedup = f"m:{msg_id}" if msg_id else _event_dedup(name, user, event.timestamp)
    if name == OaFacts.TEXT_EVENT:
        text = msg.text if msg is not None and msg.text is not None else ""
        return OaEvent(name, "turn", user, dedup, text=text, message_id=msg_id)
    media = name[len(OaFacts.SEND_EVENT_PREFIX) :] or "unknown"
    return OaEvent(name, "turn", user, dedup, media=media, message_id=msg_id,
                   location=_location(msg) if media == "location" else None)
