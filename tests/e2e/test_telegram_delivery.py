"""Telegram sending through the outbox: 429 with retry_after, 5xx, an API that is down or slow,
permanent refusals and fallbacks — against the fake Bot API over real HTTP."""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import logging
import os
import time

import pytest

from sqlmodel import col, select

from api.store.models import Outbox
from tests.e2e.telegram_harness import TelegramApp
from tests.fakes.telegram_api import Call, Failure, FakeTelegramAPI, callback_update, message_update

_chats = itertools.count(int.from_bytes(os.urandom(2), "big") * 1000 + 20_000_000)


def new_chat() -> int:
    return next(_chats)


async def sent(fake: FakeTelegramAPI, chat: int, n: int = 1, *, method: str = "sendMessage",
               timeout: float = 10.0) -> list[Call]:
    return await fake.wait_for(lambda cs: len(cs) >= n, method=method, chat_id=chat, timeout=timeout)


def rows(tg: TelegramApp, chat: int) -> list[Outbox]:
    with tg.store.unit(readonly=True) as unit:
        return list(unit.session.exec(select(Outbox).where(col(Outbox.chat_id) == str(chat)).order_by(col(Outbox.id))))


async def settled(tg: TelegramApp, chat: int, *, timeout: float = 10.0) -> list[Outbox]:
    deadline = time.monotonic() + timeout
    while True:
        found = rows(tg, chat)
        if found and all(r.status in ("sent", "dead") for r in found):
            return found
        assert time.monotonic() < deadline, [(r.id, r.status, r.last_error) for r in found]
        await asyncio.sleep(0.05)


async def test_429_is_retried_after_the_retry_after_it_gave(telegram: TelegramApp) -> None:
    fake, chat = telegram.fake, new_chat()
    fake.fail_next("sendMessage", Failure(429, retry_after=2))
    await telegram.post(message_update(chat, "quên mật khẩu VNeID"))
    (ok,) = await sent(fake, chat, timeout=15)
    refused = [c for c in fake.calls("sendMessage", chat_id=chat, ok_only=False) if c.status == 429]
    assert len(refused) == 1
    waited = ok.at - refused[0].at
    assert 1.9 <= waited < 6, waited
    (row,) = await settled(telegram, chat)
    assert row.status == "sent" and row.attempts == 1  # a wait it was told to make is no failed attempt


async def test_5xx_is_retried_with_backoff_and_delivered(telegram: TelegramApp) -> None:
    fake, chat = telegram.fake, new_chat()
    fake.fail_next("sendMessage", Failure(500), Failure(502), Failure(503))
    await telegram.post(message_update(chat, "làm định danh mức 2 ở đâu"))
    await sent(fake, chat, timeout=20)
    statuses = [c.status for c in fake.calls("sendMessage", chat_id=chat, ok_only=False)]
    assert statuses[:4] == [500, 502, 503, 200]
    (row,) = await settled(telegram, chat)
    assert row.status == "sent" and row.attempts == 4


async def test_nothing_is_lost_while_telegram_is_down_and_order_is_kept(telegram: TelegramApp) -> None:
    fake, chat = telegram.fake, new_chat()
    fake.set_down(True)
    # One message per reply each («… ở đâu» would add the support-point search's location keyboard message).
    questions = ["quên mật khẩu VNeID", "đăng ký định danh mức độ 2 cần những gì", "cài VNeID trên iPhone"]
    for q in questions:
        r = await telegram.post(message_update(chat, q))
        assert r.status_code == 200  # the webhook does not wait for Telegram
    await fake.wait_for(lambda cs: len(cs) >= 2, method="sendMessage", chat_id=chat, ok_only=False)
    await asyncio.sleep(1.0)
    assert fake.calls("sendMessage", chat_id=chat) == []
    assert all(r.status in ("pending", "failed", "sending") for r in rows(telegram, chat))
    fake.set_down(False)
    done = await settled(telegram, chat, timeout=20)
    assert [r.status for r in done] == ["sent"] * 3
    calls = fake.calls("sendMessage", chat_id=chat)
    with telegram.store.unit(readonly=True) as unit:
        out = unit.session.exec(select(Outbox.body).where(col(Outbox.chat_id) == str(chat)).order_by(col(Outbox.id)))
        expected = [r["text"] for body in out for r in body["replies"]]
    assert len(calls) == len(expected)
    # Same order as the questions; each text escaped for HTML.
    assert [c.params["text"] for c in calls] == [
        t.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") for t in expected
    ]


async def test_the_webhook_answers_before_a_slow_telegram(telegram: TelegramApp) -> None:
    fake, chat = telegram.fake, new_chat()
    fake.set_delay(1.5)
    started = time.monotonic()
    r = await telegram.post(message_update(chat, "quên mật khẩu VNeID"))
    assert r.status_code == 200 and time.monotonic() - started < 1.0
    fake.set_delay(0)
    await sent(fake, chat)


async def test_a_blocked_bot_is_not_retried(telegram: TelegramApp) -> None:
    fake, chat = telegram.fake, new_chat()
    fake.fail_next("sendMessage", Failure(403, "Forbidden: bot was blocked by the user"))
    await telegram.post(message_update(chat, "quên mật khẩu VNeID"))
    (row,) = await settled(telegram, chat)
    assert row.status == "dead" and row.attempts == 1 and "blocked" in (row.last_error or "")
    await asyncio.sleep(0.3)
    assert len(fake.calls("sendMessage", chat_id=chat, ok_only=False)) == 1


async def test_a_message_that_cannot_be_edited_is_sent_anew(telegram: TelegramApp) -> None:
    fake, chat = telegram.fake, new_chat()
    fake.fail_next("editMessageText", Failure(400, "Bad Request: message can't be edited"))
    await telegram.post(callback_update(chat, "f-l2-card", message_id=31))
    (new,) = await sent(fake, chat)
    refused = fake.calls("editMessageText", chat_id=chat, ok_only=False)
    assert [c.status for c in refused] == [400] and refused[0].params["text"] == new.params["text"]
    assert "inline_keyboard" in new.params["reply_markup"]


async def test_a_too_old_callback_does_not_stop_the_answer(telegram: TelegramApp) -> None:
    fake, chat = telegram.fake, new_chat()
    fake.fail_next("answerCallbackQuery", Failure(400, "Bad Request: query is too old"))
    await telegram.post(callback_update(chat, "menu"))
    await sent(fake, chat)
    (row,) = await settled(telegram, chat)
    assert row.status == "sent"


async def test_a_part_already_sent_is_not_sent_twice(telegram: TelegramApp) -> None:
    fake, chat = telegram.fake, new_chat()
    # /start sends the welcome and then the privacy line; the second one fails once.
    fake.fail_next("sendMessage", None, Failure(502))
    await telegram.post(message_update(chat, "/start"))
    (row,) = await settled(telegram, chat, timeout=15)
    calls = fake.calls("sendMessage", chat_id=chat, ok_only=False)
    assert [c.status for c in calls] == [200, 502, 200] and row.attempts == 2
    assert calls[1].params["text"] == calls[2].params["text"] != calls[0].params["text"]


async def test_a_row_with_an_impossible_chat_id_is_dead_at_once_with_one_log_line(
    telegram: TelegramApp, caplog: pytest.LogCaptureFixture
) -> None:
    """A poison row (issue 10, defect 7) ends at once instead of raising on each of 60 attempts."""
    now = dt.datetime.now(dt.UTC)
    with telegram.store.unit() as unit:
        unit.enqueue_outbox(channel="telegram", chat_id="not-a-chat", now=now, context={},
                            body={"replies": [{"text": "x", "buttons": [], "images": []}], "match": {}})
    with caplog.at_level(logging.INFO, logger="api"):
        telegram.app.state.telegram.worker.wake()
        deadline = time.monotonic() + 10
        while True:
            with telegram.store.unit(readonly=True) as unit:
                row = unit.session.exec(select(Outbox).where(col(Outbox.chat_id) == "not-a-chat")).one()
            if row.status == "dead":
                break
            assert time.monotonic() < deadline, (row.status, row.attempts, row.last_error)
            await asyncio.sleep(0.05)
    assert row.attempts == 1 and "not a Telegram chat id" in (row.last_error or "")
    lines = [r for r in caplog.records if "not-a-chat" in r.getMessage() or r.exc_info]
    assert len(lines) == 1 and lines[0].exc_info is None, [r.getMessage() for r in lines]
