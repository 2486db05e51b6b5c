"""Telegram adapter: an Update becomes an :class:`Incoming`, the core's replies become Bot API calls.

Both directions are pure (no network, no database, no clock): the shell (``api/telegram_runtime``)
feeds :func:`translate` with a parsed ``telegram.Update`` and sends the :class:`Plan` made by
:func:`render` for an outbox row.

Inbound:
- text, captions, ``/commands`` (``/start <payload>`` deep links are handled by the core), button
  presses (``callback_query.data`` is a payload, or ``~key`` for a long payload kept in the
  database), reply-keyboard labels of the main menu (mapped back to their payloads);
- media the bot cannot read (sticker, photo, voice…) become ``media=<kind>`` so the core answers
  politely; edited messages, service messages, messages from bots and unknown update types are
  ignored;
- in groups the bot answers only when addressed: ``@username`` mention, a reply to one of its
  messages, or ``/command@username``.

Outbound: HTML parse mode with every text escaped (``<b>`` typed by a citizen stays text), texts
over 4,096 characters split at paragraph or line boundaries, captions over 1,024 characters sent
as photo then text, inline keyboards (one button per row, ``callback_data`` ≤ 64 bytes), the main
menu as a persistent reply keyboard in private chats, ``answerCallbackQuery`` for every press, and
a press inside a flow edits the message that carried the button.
"""

from __future__ import annotations

import base64
import hashlib
import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Final, TypeGuard
from urllib.parse import urljoin

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    Message,
    MessageEntity,
    ReplyKeyboardMarkup,
    Update,
)

from bot.core import texts
from bot.core.support import LOCATION_PAYLOAD
from bot.core.types import Button, Image, MatchKind, Reply, ReplyRole, is_valid_payload

__all__ = [
    "ALLOWED_UPDATES",
    "CALLBACK_DATA_MAX",
    "CALLBACK_KEY_PREFIX",
    "CAPTION_MAX",
    "COMMANDS",
    "KV_CALLBACK_PREFIX",
    "TEXT_MAX",
    "AnswerCallback",
    "BadUpdate",
    "EditText",
    "Ignored",
    "Incoming",
    "Op",
    "Plan",
    "SendDocument",
    "SendPhoto",
    "SendText",
    "absolute_url",
    "callback_data",
    "check_update",
    "render",
    "split_text",
    "translate",
    "translate_json",
    "utf16_len",
]

#: Bot API limits (python-telegram-bot ``constants``: MessageLimit, InlineKeyboardButtonLimit).
TEXT_MAX: Final = 4096
CAPTION_MAX: Final = 1024
CALLBACK_DATA_MAX: Final = 64
INLINE_BUTTONS_MAX: Final = 100
#: ``callback_data`` of a payload too long (or not in the payload alphabet) to travel as is.
CALLBACK_KEY_PREFIX: Final = "~"
#: KeyValue key prefix under which such a payload is stored (``tg:cb:~…``).
KV_CALLBACK_PREFIX: Final = "tg:cb:"
#: Update types the webhook (and polling) asks Telegram for.
ALLOWED_UPDATES: Final = ("message", "callback_query", "edited_message", "my_chat_member")
#: Bot commands registered with setMyCommands (shown in Telegram's menu).
COMMANDS: Final = texts.BOT_COMMANDS

_GROUP_TYPES: Final = frozenset({"group", "supergroup"})
#: Message attributes the bot cannot read, in the order they are checked (an animation also
#: carries a document).
_MEDIA: Final = (
    "sticker", "photo", "voice", "audio", "video_note", "video", "animation", "document",
    "location", "venue", "contact", "poll", "dice",
)
_MAIN_MENU_LABELS: Final = {b.label: b.payload for b in texts.MAIN_MENU}
_MAIN_MENU_PAYLOADS: Final = tuple(b.payload for b in texts.MAIN_MENU)


# --- inbound ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Incoming:
    """One update the bot answers: who, what, and how to answer (edit, callback)."""

    update_id: int
    chat_id: int
    chat_type: str
    text: str | None = None
    payload: str | None = None
    media: str | None = None
    #: Set for a button press: answered with answerCallbackQuery.
    callback_query_id: str | None = None
    #: The text message that carried the pressed button (edited when a flow goes on).
    message_id: int | None = None
    #: A shared location (a ``location`` message); the shell rounds it and never stores it.
    location: tuple[float, float] | None = None

    @property
    def dedup_id(self) -> str:
        """The de-duplication id of this update (``update_id``)."""
        return str(self.update_id)

    @property
    def external_id(self) -> str:
        """The user key: the chat (a group shares one conversation)."""
        return str(self.chat_id)

    def context(self) -> dict[str, Any]:
        """What the sender needs besides the replies (stored with the outbox row)."""
        ctx: dict[str, Any] = {"chat_type": self.chat_type}
        if self.callback_query_id is not None:
            ctx["cq"] = self.callback_query_id
            if self.message_id is not None:
                ctx["edit"] = self.message_id
        return ctx


@dataclass(frozen=True, slots=True)
class Ignored:
    """An update the bot does not answer (acknowledged with 200)."""

    reason: str
    #: A button press that is not answered still gets its spinner stopped.
    callback_query_id: str | None = None


class BadUpdate(ValueError):
    """An Update with a field the bot reads of the wrong type (python-telegram-bot checks none)."""


def _is_int(value: object) -> bool:
    return type(value) is int  # not bool, not float


def _is_opt_str(value: object) -> bool:
    return value is None or isinstance(value, str)  # python-telegram-bot's enums are str


def _check_message(message: Any) -> None:
    """The fields of a message (or a button's carrier) that :func:`translate` reads."""
    chat = message.chat
    if not (_is_int(chat.id) and isinstance(chat.type, str) and _is_int(message.message_id)):
        raise BadUpdate("chat.id and message_id must be integers, chat.type a string")
    if not (_is_opt_str(getattr(message, "text", None)) and _is_opt_str(getattr(message, "caption", None))):
        raise BadUpdate("text and caption must be strings")
    for user in (getattr(message, "from_user", None),
                 getattr(getattr(message, "reply_to_message", None), "from_user", None)):
        if user is not None and not (_is_int(user.id) and type(user.is_bot) is bool):
            raise BadUpdate("from.id must be an integer, from.is_bot a boolean")


def check_update(update: Update) -> None:
    """Raise :class:`BadUpdate` unless the fields :func:`translate` reads have their Bot API types.

    An Update parsed from a webhook body holds whatever the JSON held (a string ``chat.id`` would
    make a reply that can never be sent); Telegram itself never sends such updates.
    """
    if not _is_int(update.update_id):
        raise BadUpdate("update_id must be an integer")
    query = update.callback_query
    if query is not None:
        if not isinstance(query.id, str) or not _is_opt_str(query.data):
            raise BadUpdate("callback_query.id and data must be strings")
        if query.message is not None:
            _check_message(query.message)
    for message in (update.message, update.edited_message):
        if message is not None:
            _check_message(message)


def translate(update: Update, *, bot_id: int, bot_username: str) -> Incoming | Ignored:
    """Turn an Update into what the core should see, or say why it is ignored.

    Raises :class:`BadUpdate` when a field it reads has the wrong type (see :func:`check_update`).
    """
    check_update(update)
    if update.callback_query is not None:
        return _from_callback(update, bot_username=bot_username)
    if update.edited_message is not None:
        return Ignored("edited")
    message = update.message
    if message is None:
        return Ignored("unsupported_update")
    return _from_message(update.update_id, message, bot_id=bot_id, bot_username=bot_username)


def translate_json(data: Mapping[str, Any], *, bot_username: str) -> Incoming | Ignored | None:
    """:func:`translate` for the two shapes most updates have, straight from the webhook's JSON.

    A text message in a private chat and a button press on a text or photo message need a handful
    of fields; building python-telegram-bot's ``Update`` for them costs more than the rest of the
    request's parsing. The fields read, and those python-telegram-bot requires of the objects
    they belong to, are checked for type; optional fields the bot does not read are not.
    Anything else (groups, media, captions, edits, missing or oddly typed fields) returns None:
    the caller builds the ``Update`` and calls :func:`translate`, which also rejects what is not
    an Update. The result is the same as :func:`translate`'s (tested on every inbound case).
    """
    update_id = data.get("update_id")
    if type(update_id) is not int or len(data) != 2:
        return None
    message = data.get("message")
    if message is not None:
        return _json_private_text(update_id, message, bot_username=bot_username)
    query = data.get("callback_query")
    if not isinstance(query, Mapping):
        return None
    query_id, payload, carrier = query.get("id"), query.get("data"), query.get("message")
    if not (type(query_id) is str and type(payload) is str and type(query.get("chat_instance")) is str
            and _json_user(query.get("from")) and isinstance(carrier, Mapping)
            and ("from" not in carrier or _json_user(carrier["from"]))):
        return None
    chat = _json_chat(carrier)
    message_id = carrier.get("message_id")
    if chat is None or type(message_id) is not int or not _json_date(carrier.get("date")) or carrier["date"] == 0:
        return None  # date 0: an inaccessible message (python-telegram-bot's shape for it)
    editable = type(carrier.get("text")) is str
    return Incoming(update_id=update_id, chat_id=chat[0], chat_type=chat[1], payload=payload,
                    callback_query_id=query_id, message_id=message_id if editable else None)


#: Last second of year 9999: python-telegram-bot turns ``date`` into a datetime, which ends there.
_DATE_MAX: Final = 253_402_300_799


def _json_date(date: Any) -> bool:
    """A Unix time python-telegram-bot can turn into a datetime (else the slow path refuses it)."""
    return type(date) is int and 0 <= date <= _DATE_MAX


def _json_user(user: Any) -> TypeGuard[Mapping[str, Any]]:
    """The fields python-telegram-bot requires of a ``User``."""
    return (isinstance(user, Mapping) and type(user.get("id")) is int and type(user.get("is_bot")) is bool
            and type(user.get("first_name")) is str)


def _json_chat(message: Mapping[str, Any]) -> tuple[int, str] | None:
    chat = message.get("chat")
    if not isinstance(chat, Mapping):
        return None
    chat_id, chat_type = chat.get("id"), chat.get("type")
    if type(chat_id) is not int or type(chat_type) is not str:
        return None
    return chat_id, chat_type


def _json_private_text(update_id: int, message: Any, *, bot_username: str) -> Incoming | Ignored | None:
    if not isinstance(message, Mapping):
        return None
    chat = _json_chat(message)
    sender = message.get("from")
    text = message.get("text")
    if (
        chat is None
        or chat[1] != "private"
        or type(text) is not str
        or type(message.get("message_id")) is not int
        or not _json_date(message.get("date"))
        or not _json_user(sender)
        or sender["is_bot"]
        or "caption" in message
        or any(kind in message for kind in _MEDIA)
    ):
        return None
    if _command_for_other_bot(text, bot_username):
        return Ignored("other_bot_command")
    payload = _MAIN_MENU_LABELS.get(text.strip())
    return Incoming(update_id=update_id, chat_id=chat[0], chat_type="private",
                    text=None if payload is not None else text, payload=payload)


def _from_callback(update: Update, *, bot_username: str) -> Incoming | Ignored:
    query = update.callback_query
    assert query is not None
    message = query.message
    if message is None or query.data is None:
        return Ignored("callback_without_message", callback_query_id=query.id)
    chat = message.chat
    # Only a plain text message can be edited with editMessageText (a photo has a caption).
    editable = isinstance(message, Message) and message.text is not None
    return Incoming(
        update_id=update.update_id,
        chat_id=chat.id,
        chat_type=chat.type,
        payload=query.data,
        callback_query_id=query.id,
        message_id=message.message_id if editable else None,
    )


def _from_message(update_id: int, message: Message, *, bot_id: int, bot_username: str) -> Incoming | Ignored:
    chat = message.chat
    if chat.type == "channel":
        return Ignored("channel_post")
    sender = message.from_user
    if sender is not None and sender.is_bot:
        return Ignored("from_bot")
    text = message.text if message.text is not None else message.caption
    media = next((kind for kind in _MEDIA if getattr(message, kind, None)), None)
    if text is None and media is None:
        return Ignored("service_message")
    if chat.type in _GROUP_TYPES:
        if not _addressed(message, bot_id=bot_id, bot_username=bot_username):
            return Ignored("not_addressed")
        if text is not None:
            text = _strip_mentions(message, text, bot_username=bot_username)
    elif text is not None and _command_for_other_bot(text, bot_username):
        return Ignored("other_bot_command")
    payload = _MAIN_MENU_LABELS.get(text.strip()) if text is not None and media is None else None
    if payload is not None:  # a tap on the main-menu reply keyboard
        text = None
    location = ((message.location.latitude, message.location.longitude)
                if media == "location" and message.location is not None else None)
    return Incoming(update_id=update_id, chat_id=chat.id, chat_type=chat.type, text=text, payload=payload,
                    media=media, location=location)


def _addressed(message: Message, *, bot_id: int, bot_username: str) -> bool:
    """True when a group message is meant for this bot."""
    reply_to = message.reply_to_message
    if reply_to is not None and reply_to.from_user is not None and reply_to.from_user.id == bot_id:
        return True
    mention = "@" + bot_username.lower()
    text = message.text if message.text is not None else message.caption
    if text is None:
        return False
    head = text.strip().split(maxsplit=1)[0] if text.strip() else ""
    if head.startswith("/") and "@" in head:
        return head.split("@", 1)[1].lower() == bot_username.lower()
    entities = message.parse_entities() if message.text is not None else message.parse_caption_entities()
    for entity, value in entities.items():
        if entity.type == MessageEntity.MENTION and value.lower() == mention:
            return True
        if entity.type == MessageEntity.TEXT_MENTION and entity.user is not None and entity.user.id == bot_id:
            return True
    # Without entities (some clients, tests), a literal mention still counts.
    return not entities and mention in text.lower()


def _strip_mentions(message: Message, text: str, *, bot_username: str) -> str:
    """Remove ``@botname`` from a group message, keeping ``/command@botname`` for the core."""
    mention = "@" + bot_username
    out: list[str] = []
    for word in text.split(" "):
        if word.lower() == mention.lower() or word.lower() in (mention.lower() + ",", mention.lower() + ":"):
            continue
        out.append(word)
    stripped = " ".join(out).strip()
    return stripped


def _command_for_other_bot(text: str, bot_username: str) -> bool:
    head = text.strip().split(maxsplit=1)[0] if text.strip() else ""
    if not head.startswith("/") or "@" not in head:
        return False
    return head.split("@", 1)[1].lower() != bot_username.lower()


# --- outbound ---------------------------------------------------------------------------------

Markup = InlineKeyboardMarkup | ReplyKeyboardMarkup


@dataclass(frozen=True, slots=True)
class SendText:
    """sendMessage with HTML text."""

    text: str
    markup: Markup | None = None
    #: ``HTML`` (the text is escaped) or None for plain text.
    parse_mode: str | None = "HTML"


@dataclass(frozen=True, slots=True)
class SendPhoto:
    """sendPhoto by URL, with an optional HTML caption."""

    photo: str
    caption: str | None = None
    markup: Markup | None = None
    #: Sent instead (as text) when Telegram cannot fetch the photo.
    fallback: SendText | None = None


@dataclass(frozen=True, slots=True)
class EditText:
    """editMessageText of the message that carried the pressed button."""

    message_id: int
    text: str
    markup: InlineKeyboardMarkup | None = None
    #: Sent instead when the message can no longer be edited.
    fallback: SendText | None = None


@dataclass(frozen=True, slots=True)
class SendDocument:
    """sendDocument of a file the sender makes (a leaflet: ``spec`` says which), with a caption."""

    spec: Mapping[str, str]
    filename: str
    caption: str | None = None
    #: Sent instead (as text) when the file cannot be made or Telegram refuses it.
    fallback: SendText | None = None


@dataclass(frozen=True, slots=True)
class AnswerCallback:
    """answerCallbackQuery (stops the button's progress indicator)."""

    callback_query_id: str


Op = SendText | SendPhoto | EditText | SendDocument | AnswerCallback


@dataclass(frozen=True, slots=True)
class Plan:
    """The Bot API calls for one outbox row, in order, and the long payloads they need stored."""

    ops: tuple[Op, ...]
    #: ``callback_data`` → payload, to store (KeyValue ``tg:cb:<data>``) before sending.
    callback_payloads: dict[str, str] = field(default_factory=dict)


def render(body: Mapping[str, Any], context: Mapping[str, Any] | None, *, public_base_url: str) -> Plan:
    """The calls that show one turn's replies (an outbox body) in a Telegram chat."""
    ctx = context or {}
    replies = [Reply.from_dict(r) for r in body.get("replies", ())]
    kind = str((body.get("match") or {}).get("kind", ""))
    private = ctx.get("chat_type", "private") == "private"
    ops: list[Op] = []
    long_payloads: dict[str, str] = {}
    cq = ctx.get("cq")
    if isinstance(cq, str) and cq:
        ops.append(AnswerCallback(cq))
    edit_target = ctx.get("edit") if cq and kind == MatchKind.FLOW.value else None
    for reply in replies:
        ask_location: Markup | None = None
        if private and len(reply.buttons) > 1 and any(b.payload == LOCATION_PAYLOAD for b in reply.buttons):
            # The location button needs a reply keyboard of its own: one more message carries it.
            ask_location = _markup(tuple(b for b in reply.buttons if b.payload == LOCATION_PAYLOAD)[:1],
                                   private=True, long_payloads=long_payloads)
            reply = replace(reply, buttons=tuple(b for b in reply.buttons if b.payload != LOCATION_PAYLOAD))
        markup = _markup(reply.buttons, private=private, long_payloads=long_payloads)
        if reply.images:
            ops += _photo_ops(reply, markup, public_base_url)
        else:
            chunks = split_text(reply.text) or ([_EMPTY] if markup is not None else [])
            if (chunks and isinstance(edit_target, int) and reply.role is ReplyRole.MAIN
                    and not isinstance(markup, ReplyKeyboardMarkup)):
                last = len(chunks) == 1
                first = _escape(chunks[0])
                inline = markup if last and isinstance(markup, InlineKeyboardMarkup) else None
                ops.append(EditText(edit_target, first, inline, SendText(first, inline)))
                edit_target = None
                chunks = chunks[1:]
            for i, chunk in enumerate(chunks):
                ops.append(SendText(_escape(chunk), markup if i == len(chunks) - 1 else None))
        if ask_location is not None:
            ops.append(SendText(_EMPTY, ask_location))
    for doc in body.get("documents", ()):
        if isinstance(doc, Mapping) and doc.get("filename"):
            caption = _escape(str(doc.get("caption", "")))[:CAPTION_MAX] or None
            ops.append(SendDocument({str(k): str(v) for k, v in doc.items()}, str(doc["filename"]), caption))
    return Plan(tuple(ops), long_payloads)


#: Text of a message that only carries buttons (the Bot API refuses empty texts).
_EMPTY = "⬇️"


def _escape(text: str) -> str:
    return html.escape(text, quote=False)


def _photo_ops(reply: Reply, markup: Markup | None, public_base_url: str) -> list[Op]:
    ops: list[Op] = []
    images: Sequence[Image] = reply.images
    text = reply.text.strip()
    fits = bool(text) and utf16_len(text) <= CAPTION_MAX
    for i, image in enumerate(images):
        url = absolute_url(image.url, public_base_url)
        last = i == len(images) - 1
        if last and fits:
            caption = _escape(text)
            ops.append(SendPhoto(url, caption, markup, SendText(caption, markup)))
            return ops
        ops.append(SendPhoto(url))
    chunks = split_text(text)
    for i, chunk in enumerate(chunks):
        ops.append(SendText(_escape(chunk), markup if i == len(chunks) - 1 else None))
    return ops


def _markup(buttons: Sequence[Button], *, private: bool, long_payloads: dict[str, str]) -> Markup | None:
    if not buttons:
        return None
    if private and tuple(b.payload for b in buttons) == _MAIN_MENU_PAYLOADS:
        # The main menu stays at hand as a reply keyboard; a tap sends the label, which
        # translate() maps back to the payload.
        rows = [[KeyboardButton(b.label) for b in buttons[i:i + 2]] for i in range(0, len(buttons), 2)]
        return ReplyKeyboardMarkup(rows, resize_keyboard=True, is_persistent=True)
    if private and tuple(b.payload for b in buttons) == (LOCATION_PAYLOAD,):
        # Only a reply keyboard can ask for the device's location (private chats only).
        ask = KeyboardButton(buttons[0].label, request_location=True)
        return ReplyKeyboardMarkup([[ask]], resize_keyboard=True, one_time_keyboard=True)
    keyboard = []
    for b in buttons[:INLINE_BUTTONS_MAX]:
        data, stored = callback_data(b.payload)
        if stored:
            long_payloads[data] = b.payload
        keyboard.append([InlineKeyboardButton(b.label, callback_data=data)])
    return InlineKeyboardMarkup(keyboard)


def callback_data(payload: str) -> tuple[str, bool]:
    """The ``callback_data`` for a payload, and whether it must be stored to be read back."""
    if is_valid_payload(payload) and len(payload.encode()) <= CALLBACK_DATA_MAX:
        return payload, False
    digest = base64.urlsafe_b64encode(hashlib.sha256(payload.encode()).digest()).decode()[:22]
    return CALLBACK_KEY_PREFIX + digest, True


def absolute_url(url: str, public_base_url: str) -> str:
    """An image URL Telegram can fetch: paths are made absolute from ``PUBLIC_BASE_URL``."""
    if url.startswith(("http://", "https://")):
        return url
    return urljoin(public_base_url.rstrip("/") + "/", url.lstrip("/"))


def utf16_len(text: str) -> int:
    """Length as Telegram counts it (UTF-16 code units)."""
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def split_text(text: str, limit: int = TEXT_MAX) -> list[str]:
    """Cut ``text`` into messages of at most ``limit`` UTF-16 units, at paragraph, line,
    sentence or word boundaries when possible; blank pieces are dropped."""
    text = text.strip()
    pieces: list[str] = []
    while text:
        if utf16_len(text) <= limit:
            pieces.append(text)
            break
        window = _prefix(text, limit)
        cut = _best_cut(window)
        piece, text = text[:cut].rstrip(), text[cut:].lstrip()
        if piece:
            pieces.append(piece)
    return pieces


def _prefix(text: str, limit: int) -> str:
    """The longest prefix of ``text`` within ``limit`` UTF-16 units."""
    units = 0
    for i, ch in enumerate(text):
        units += 2 if ord(ch) > 0xFFFF else 1
        if units > limit:
            return text[:i]
    return text


def _best_cut(window: str) -> int:
    floor = len(window) // 4  # a much earlier break would make a tiny message
    for sep in ("\n\n", "\n", ". ", " "):
        at = window.rfind(sep)
        if at > floor:
            return at + len(sep)
    return len(window)
