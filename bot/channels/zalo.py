"""Zalo platform facts and the shared rendering of replies for both Zalo platforms.

Zalo clients cannot show our buttons, so :func:`render` turns one turn's replies into plain
text with the buttons as a numbered list (numbered continuously across the turn, in the order
the core stores them in ``session.options``, so a typed number picks the same button), images
as separate media messages with absolute URLs, and texts cut to the platform limit.

Every platform fact lives in :class:`OaFacts` or :class:`BotFacts`, each with its source and
whether it is confirmed (see ``channels.md`` §3): when one turns out wrong, change it there.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, Literal

from bot.core import texts
from bot.core.types import Reply

__all__ = [
    "BotFacts",
    "OaErrorKind",
    "OaFacts",
    "OutImage",
    "OutMessage",
    "OutText",
    "absolute_url",
    "classify_oa_error",
    "number_options",
    "render",
    "split_text",
    "text_units",
]


class OaFacts:
    """Zalo Official Account Open API v3 facts (channels.md §3.1–3.3)."""

    #: Send endpoint of consultation (CS) messages. Confirmed by chatwoot and zalo-java-sdk.
    CS_PATH: Final = "/v3.0/oa/message/cs"
    #: Token refresh endpoint (OAuth v4). Confirmed by chatwoot and the hexasync guide.
    REFRESH_PATH: Final = "/v4/oa/access_token"
    #: Characters per text message. UNCONFIRMED (esms docs, elizaos plugin; no official figure).
    TEXT_LIMIT: Final = 2000
    #: Reply to the citizen's message by putting its id in ``recipient.message_id`` (next to
    #: ``user_id``) so the send counts as a reply, not a paid proactive message. UNCONFIRMED: the
    #: Zalo OA help centre says replies should reference the message; the field and the
    #: message_id > user_id priority come from the PyPI zalo-sdk 0.3.0, not from Zalo's docs.
    REPLY_WITH_MESSAGE_ID: Final = True
    #: The signature header and its optional prefix. Confirmed (chatwoot, hainh.me).
    SIGNATURE_HEADER: Final = "X-ZEvent-Signature"
    SIGNATURE_PREFIX: Final = "mac="
    #: Timestamps in events are epoch milliseconds (as strings). Confirmed by the sample events.
    TIMESTAMP_UNIT_S: Final = 0.001
    #: How far in the future an event timestamp may be (clock skew) before it is refused.
    MAX_FUTURE_S: Final = 60
    #: Access tokens live ~25 h: ``expires_in`` is "90000" (a string) in practice (chatwoot,
    #: hexasync); assumed for a token taken from the settings, whose age is unknown.
    ACCESS_TOKEN_LIFETIME_S: Final = 90000
    #: Refresh this long before expiry.
    REFRESH_MARGIN_S: Final = 3600
    #: Error codes (``error`` field). Only -216 (chatwoot refreshes on it) and -230 are seen in
    #: production code; the rest come from client error tables and are UNCONFIRMED.
    TOKEN_INVALID: Final = frozenset({-216, -220, -124})  # -216 invalid, -220 expired, -124 expired (v4)
    OUTSIDE_WINDOW: Final = frozenset({-230, -232})  # not interacted in 7 days / interaction expired
    USER_UNREACHABLE: Final = frozenset({-213, -227, -217})  # not following / banned or inactive / blocked
    QUOTA: Final = frozenset({-211, -218, -224})  # out of quota / OA send limit / package needed
    RATE_LIMITED: Final = frozenset({-32})  # "Your OA reached limit call api"
    QUIET_HOURS: Final = frozenset({-234})  # not sendable 22:00–06:00
    #: Seconds to wait after a rate-limit error (Zalo gives no retry-after). UNCONFIRMED.
    RATE_LIMIT_WAIT_S: Final = 60
    #: Seconds to wait after a quiet-hours error before trying again. UNCONFIRMED.
    QUIET_HOURS_WAIT_S: Final = 3600
    #: Events of a citizen writing to the OA; for any but text the suffix after ``user_send_``
    #: (image, sticker, audio, video, file, link, location…) is the media kind given to the core.
    #: Names from chatwoot's job; others (``gif``, ``business_card``) UNCONFIRMED but handled alike.
    SEND_EVENT_PREFIX: Final = "user_send_"
    TEXT_EVENT: Final = "user_send_text"
    FOLLOW_EVENT: Final = "follow"
    UNFOLLOW_EVENT: Final = "unfollow"


class BotFacts:
    """Zalo Bot Platform facts (channels.md §3.4)."""

    #: Webhook secret header. Confirmed by the docs copy and openclaw.
    SECRET_HEADER: Final = "X-Bot-Api-Secret-Token"
    #: ``sendMessage`` text and ``sendPhoto`` caption limit. Confirmed by the docs copy.
    TEXT_LIMIT: Final = 2000
    #: Event names. Confirmed by the docs copy and openclaw.
    TEXT_EVENT: Final = "message.text.received"
    MEDIA_EVENTS: Final = {
        "message.image.received": "image",
        "message.sticker.received": "sticker",
        "message.unsupported.received": "unsupported",
    }
    #: Rate limits and error codes are not documented (UNCONFIRMED); HTTP 429 and error_code 429
    #: are treated as "retry later" with this wait when no ``retry_after`` is given.
    RATE_LIMIT_WAIT_S: Final = 30


# --- Rendering --------------------------------------------------------------------------------

#: The line under a numbered list. Citizen-facing wording (belongs with ``bot.core.texts``).
NUMBER_HINT: Final = texts.NUMBER_HINT


@dataclass(frozen=True, slots=True)
class OutText:
    """A text message to send."""

    text: str
    kind: Literal["text"] = "text"


@dataclass(frozen=True, slots=True)
class OutImage:
    """An image to send as a media message (absolute URL)."""

    url: str
    alt: str
    kind: Literal["image"] = "image"


OutMessage = OutText | OutImage


def absolute_url(url: str, public_base_url: str) -> str:
    """``url`` made absolute against the public base URL (absolute URLs pass through)."""
    if re.match(r"^https?://", url, re.IGNORECASE):
        return url
    return public_base_url.rstrip("/") + "/" + url.lstrip("/")


def number_options(replies: Sequence[Reply]) -> list[str]:
    """Each reply's text with its buttons appended as a numbered list, numbered across the turn.

    The hint line follows the last list only, so a turn reads as one message with one question.
    """
    last_with_buttons = max((i for i, r in enumerate(replies) if r.buttons), default=-1)
    texts: list[str] = []
    n = 0
    for i, reply in enumerate(replies):
        body = reply.text.strip()
        if reply.buttons:
            lines = []
            for button in reply.buttons:
                n += 1
                lines.append(f"{n}. {button.label}")
            body = (body + "\n\n" if body else "") + "\n".join(lines)
            if i == last_with_buttons:
                body += "\n" + NUMBER_HINT
        if body:
            texts.append(body)
    return texts


def render(replies: Sequence[Reply], *, public_base_url: str, limit: int) -> list[OutMessage]:
    """One turn's replies as Zalo messages: images first, then the text cut to ``limit``.

    All texts of a turn go into as few messages as the limit allows (on Zalo OA each message
    counts against the free reply quota); the numbered options therefore end the last message.
    """
    out: list[OutMessage] = [
        OutImage(absolute_url(image.url, public_base_url), image.alt) for r in replies for image in r.images
    ]
    joined = "\n\n".join(number_options(replies))
    out.extend(OutText(chunk) for chunk in split_text(joined, limit))
    return out


def text_units(text: str) -> int:
    """Length as the platforms likely count it: UTF-16 code units (emoji outside the BMP count 2).

    Whether Zalo counts code points or UTF-16 units is unconfirmed; UTF-16 is never shorter, so
    a text within the limit by this measure is within it by either.
    """
    return len(text.encode("utf-16-le")) // 2


def _prefix_within(text: str, limit: int) -> int:
    """The largest index ``i`` with ``text_units(text[:i]) <= limit``."""
    units = 0
    for i, ch in enumerate(text):
        units += 2 if ord(ch) > 0xFFFF else 1
        if units > limit:
            return i
    return len(text)


_SENTENCE_END = re.compile(r"[.!?…:;](?=\s)")


def _cut_point(text: str, limit: int) -> int:
    """Where to cut ``text`` (longer than ``limit``): a paragraph, a line, a sentence, a space."""
    hard = _prefix_within(text, limit)
    window = text[: hard + 1]  # a break right after the limit still leaves a full first part
    floor = hard // 3  # never cut so early that the parts become tiny
    for sep in ("\n\n", "\n"):
        pos = window.rfind(sep)
        if pos > floor:
            return pos
    ends = [m.end() for m in _SENTENCE_END.finditer(window) if m.end() <= hard]
    if ends and ends[-1] > floor:
        return ends[-1]
    pos = window.rfind(" ")
    if pos > floor:
        return pos
    return max(hard, 1)


def split_text(text: str, limit: int) -> list[str]:
    """``text`` cut into parts of at most ``limit`` units, at the cleanest break available."""
    if limit < 1:
        raise ValueError("limit must be positive")
    parts: list[str] = []
    rest = text.strip()
    while rest:
        if text_units(rest) <= limit:
            parts.append(rest)
            break
        cut = _cut_point(rest, limit)
        head = rest[:cut].rstrip()
        if head:
            parts.append(head)
        rest = rest[cut:].strip()
    return parts


# --- Errors of the OA API ---------------------------------------------------------------------

OaErrorKind = Literal["token", "window", "unreachable", "quota", "rate_limit", "quiet_hours", "other"]


def classify_oa_error(code: int) -> OaErrorKind:
    """What an OA ``error`` code means for delivery (see :class:`OaFacts`)."""
    if code in OaFacts.TOKEN_INVALID:
        return "token"
    if code in OaFacts.OUTSIDE_WINDOW:
        return "window"
    if code in OaFacts.USER_UNREACHABLE:
        return "unreachable"
    if code in OaFacts.QUOTA:
        return "quota"
    if code in OaFacts.RATE_LIMITED:
        return "rate_limit"
    if code in OaFacts.QUIET_HOURS:
        return "quiet_hours"
    return "other"
