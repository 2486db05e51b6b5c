"""The staff Telegram group (``HANDOFF_TELEGRAM_CHAT_ID``): one forum topic, or one root message and
its replies, per citizen.

Posting: :class:`GroupPoster` queues what staff should see (the masked conversation when a hand-off
opens, then each new line) as rows of the Telegram outbox addressed to the group (``context``
``staff_group``), so they share the outbox's retries and rate budgets (30/s per bot, 20/min per group).
The Telegram sender (:mod:`api.channels.telegram`) creates the citizen's topic on the first row
(``createForumTopic``) — or, when the group is not a forum, sends a root message — records it
(:func:`save_thread`), and sends each row into that topic (``message_thread_id``) or as a reply to the
root (``reply_to_message_id``), recording the message ids it posted (:func:`save_post`).

Reading: :func:`handle_message` takes a message of the group (routed by chat id before any citizen
conversation). ``/lienket CODE`` links the sender's Telegram user to the console account that made the
code. In a citizen's topic (or replying to one of the bot's posts about them) a linked staff member
allowed for the hand-off's unit claims it if nobody holds it and the text reaches the citizen on
their own channel through the outbox; ``/dong`` closes it. The same rules and audit as the console
apply (the console's claim, reply and close are called with the linked account).
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.dialects import sqlite as sqlite_dialect

from api.store import Unit
from api.store.models import metadata

__all__ = [
    "CHANNEL",
    "MAX_TEXT",
    "STAFF_GROUP_KEY",
    "GroupPoster",
    "Place",
    "save_post",
    "save_thread",
    "thread_for",
    "user_for_post",
    "user_for_thread",
]

log = logging.getLogger(__name__)

CHANNEL = "telegram"
#: Outbox context flag of a row addressed to the staff group.
STAFF_GROUP_KEY = "staff_group"
#: Telegram's text limit is 4096 characters; longer posts are cut (the console has the whole of it).
MAX_TEXT = 4000
_threads = metadata.tables["handoff_threads"]
_posts = metadata.tables["handoff_group_posts"]
_AUTHORS = {"citizen": "👤 Người dân", "bot": "🤖 Trợ lý", "system": "📣 Báo người dân"}


@dataclass(frozen=True, slots=True)
class Place:
    """Where a citizen's posts go in the group: a forum topic or replies to a root message."""

    thread_id: int | None
    root_message_id: int | None


def _ins(unit: Unit, table: Any) -> Any:
    return pg.insert(table) if unit.connection.dialect.name == "postgresql" else sqlite_dialect.insert(table)


def thread_for(unit: Unit, *, group_chat_id: int, user_id: int) -> Place | None:
    """The citizen's topic or root message in the group, if made already."""
    row = unit.connection.execute(select(_threads.c.thread_id, _threads.c.root_message_id).where(
        _threads.c.group_chat_id == group_chat_id, _threads.c.user_id == user_id)).first()
    return Place(row.thread_id, row.root_message_id) if row is not None else None


def save_thread(unit: Unit, *, group_chat_id: int, user_id: int, place: Place, now: dt.datetime) -> None:
    """Remember the citizen's topic or root message (the first one stays if two raced)."""
    unit.connection.execute(_ins(unit, _threads).values(
        group_chat_id=group_chat_id, user_id=user_id, thread_id=place.thread_id,
        root_message_id=place.root_message_id, created_at=now,
    ).on_conflict_do_nothing(index_elements=[_threads.c.group_chat_id, _threads.c.user_id]))


def save_post(unit: Unit, *, group_chat_id: int, message_id: int, user_id: int) -> None:
    """Remember a message the bot posted about a citizen (a reply to it reaches that citizen)."""
    unit.connection.execute(_ins(unit, _posts).values(
        group_chat_id=group_chat_id, message_id=message_id, user_id=user_id,
    ).on_conflict_do_nothing(index_elements=[_posts.c.group_chat_id, _posts.c.message_id]))


def user_for_thread(unit: Unit, *, group_chat_id: int, thread_id: int) -> int | None:
    """The citizen whose topic this is."""
    row = unit.connection.execute(select(_threads.c.user_id).where(
        _threads.c.group_chat_id == group_chat_id, _threads.c.thread_id == thread_id)).first()
    return int(row.user_id) if row is not None else None


def user_for_post(unit: Unit, *, group_chat_id: int, message_id: int) -> int | None:
    """The citizen a post of the bot was about."""
    row = unit.connection.execute(select(_posts.c.user_id).where(
        _posts.c.group_chat_id == group_chat_id, _posts.c.message_id == message_id)).first()
    return int(row.user_id) if row is not None else None


class GroupPoster:
    """Queues posts for the staff group (a no-op when no group is set)."""

    def __init__(self, group_chat_id: int | None, *, clock: Callable[[], dt.datetime] | None = None) -> None:
        self.group_chat_id = group_chat_id
        self._clock = clock

    @property
    def enabled(self) -> bool:
        """True when a staff group is set."""
        return self.group_chat_id is not None

    def post(self, unit: Unit, *, user_id: int | None, text: str, now: dt.datetime, title: str = "",
             reply_to: int | None = None, thread_id: int | None = None) -> None:
        """Queue one message for the group: about a citizen (``user_id``: into their topic or thread), or
        an answer to a staff member's message (``reply_to`` / ``thread_id``)."""
        if self.group_chat_id is None:
            return
        spec: dict[str, Any] = {"text": text[:MAX_TEXT] or "…"}
        if user_id is not None:
            spec["user_id"] = user_id
            spec["title"] = (title or f"Người dân {user_id}")[:128]
        if reply_to is not None:
            spec["reply_to"] = reply_to
        if thread_id is not None:
            spec["thread_id"] = thread_id
        unit.enqueue_outbox(channel=CHANNEL, chat_id=str(self.group_chat_id), body={STAFF_GROUP_KEY: spec},
                            context={"chat_type": "supergroup", STAFF_GROUP_KEY: True}, now=now)

    @staticmethod
    def line(author: str, text: str, staff: str | None = None) -> str:
        """One line of the conversation as the group shows it."""
        who = f"🧑‍💼 {staff}" if author == "staff" and staff else _AUTHORS.get(author, author)
        return f"{who}: {text}"


def command_of(text: str, bot_username: str) -> tuple[str, str] | None:
    """``("/dong", "")`` or ``("/lienket", "CODE")`` for a command (``/cmd@bot`` for this bot only)."""
    m = re.match(r"^/([a-z_]+)(?:@(\w+))?(?:\s+(.*))?$", text.strip(), re.IGNORECASE | re.DOTALL)
    if m is None:
        return None
    if m[2] and bot_username and m[2].lower() != bot_username.lower():
        return None
    return f"/{m[1].lower()}", (m[3] or "").strip()


def is_mapping(value: object) -> bool:
    """True for a JSON object."""
    return isinstance(value, Mapping)
