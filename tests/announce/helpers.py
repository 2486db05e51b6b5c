"""Factories of the announcement tests: subscribers, an announcement sent now, the broadcaster."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import insert, select

from api.announce import repo
from api.announce.delivery import Broadcaster, start_now
from api.announce.telegram import TelegramBroadcastSender
from api.store import Store
from api.store.models import metadata
from bot.loadrig import TOKEN

CHAT_BASE = 7_100_000_000


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def subscribe(store: Store, n: int, *, channel: str = "telegram", commune: int = 4, first: int = 0,
              status: str = "active") -> list[int]:
    """``n`` citizens subscribed to ``commune``; their chat ids (``CHAT_BASE + i``)."""
    users, subs = metadata.tables["users"], metadata.tables["announce_subscriptions"]
    at = now()
    chats = [CHAT_BASE + first + i for i in range(n)]
    with store.unit() as unit:
        conn = unit.connection
        conn.execute(insert(users), [{"channel": channel, "external_id": str(c), "created_at": at,
                                      "last_seen_at": at} for c in chats])
        rows = conn.execute(select(users.c.id, users.c.external_id).where(
            users.c.channel == channel, users.c.external_id.in_([str(c) for c in chats]))).all()
        conn.execute(insert(subs), [{"user_id": uid, "channel": channel,
                                     "chat_id": None if channel == "web" else ext, "context": {"chat_type": "private"},
                                     "commune_code": commune, "province_code": 1, "status": status, "asked_at": at,
                                     "updated_at": at} for uid, ext in rows])
    return chats


def announce(store: Store, *, communes: Sequence[int] = (), text: str = "Chủ nhật có tổ hỗ trợ cài VNeID.") -> int:
    """An announcement sent now; its id."""
    at = now()
    with store.unit() as unit:
        new_id = repo.create(unit, title="thử", text=text, image_url=None, buttons=[("Hướng dẫn mức 2", "f-l2")],
                             communes=list(communes), by="test", now=at)
        assert start_now(unit, new_id, now=at, send_at=None)
    return new_id


def broadcaster(store: Store, api_url: str, *, rate: float = 500.0, lease_s: float = 5.0) -> tuple[Broadcaster, TelegramBroadcastSender]:
    sender = TelegramBroadcastSender(base_url=api_url, token=TOKEN, concurrency=8)
    return Broadcaster(store, {"telegram": sender}, rate_per_s=rate, lease_s=lease_s), sender


def progress(store: Store, announcement_id: int) -> dict[str, int]:
    with store.unit(readonly=True) as unit:
        return repo.progress(unit, announcement_id)


def subscription_status(store: Store, chat: int) -> str | None:
    subs = metadata.tables["announce_subscriptions"]
    with store.unit(readonly=True) as unit:
        value = unit.connection.execute(select(subs.c.status).where(subs.c.chat_id == str(chat))).scalar()
    return None if value is None else str(value)
