"""Telegram end to end: real Update JSON posted to ``POST /webhooks/telegram`` of the real app;
python-telegram-bot answers through the fake Bot API server (real HTTP on 127.0.0.1)."""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import os
import socket

import pytest
from sqlalchemy import text

from api.content import update_entry
from api.store.models import Outbox, ProcessedUpdate
from bot.core import texts
from bot.core.types import Reply
from flows.schema import Flow
from tests.e2e.telegram_harness import TelegramApp, loopback_guard, open_telegram_app, telegram_settings
from tests.fakes.telegram_api import (
    BOT_USERNAME,
    TOKEN,
    Call,
    FakeTelegramAPI,
    callback_update,
    edited_update,
    media_update,
    mention_entities,
    message_update,
    my_chat_member_update,
)

_chats = itertools.count(int.from_bytes(os.urandom(2), "big") * 1000 + 10_000_000)


def new_chat() -> int:
    return next(_chats)


async def sent(fake: FakeTelegramAPI, chat: int, n: int = 1, method: str = "sendMessage") -> list[Call]:
    return await fake.wait_for(lambda cs: len(cs) >= n, method=method, chat_id=chat)


async def fake_wait(fake: FakeTelegramAPI, chat: int, n: int, *, timeout: float) -> list[Call]:
    return await fake.wait_for(lambda cs: len(cs) >= n, method="sendMessage", chat_id=chat, timeout=timeout)


async def quiet(fake: FakeTelegramAPI, chat: int, seconds: float = 0.4) -> None:
    await asyncio.sleep(seconds)
    assert fake.calls(chat_id=chat, ok_only=False) == []


# --- answering ----------------------------------------------------------------------------------


async def test_text_question_is_answered_in_html(telegram: TelegramApp) -> None:
    chat = new_chat()
    r = await telegram.post(message_update(chat, "quên mật khẩu VNeID thì làm sao"))
    assert r.status_code == 200 and r.json() == {"ok": True, "status": "answered"}
    (call, *_) = await sent(telegram.fake, chat)
    assert call.params["parse_mode"] == "HTML" and call.params["text"]
    assert call.params["link_preview_options"] == {"is_disabled": True}


async def test_markup_typed_by_a_citizen_is_escaped(telegram: TelegramApp) -> None:
    chat = new_chat()
    await telegram.post(message_update(chat, "<b>quên mật khẩu</b> VNeID & <i>OTP</i>"))
    calls = await sent(telegram.fake, chat)
    with telegram.store.unit(readonly=True) as unit:
        logged = unit.session.exec(text("SELECT text FROM message_log WHERE direction = 'in'")).all()
    assert any("<b>quên mật khẩu</b>" in (row[0] or "") for row in logged)
    for call in calls:
        body = call.params["text"]
        # Only escaped markup can reach Telegram: no raw tag, every & starts an entity.
        assert "<" not in body and ">" not in body
        assert all(part.startswith(("amp;", "lt;", "gt;")) for part in body.split("&")[1:])


async def test_start_shows_the_main_menu_keyboard_and_the_privacy_line(telegram: TelegramApp) -> None:
    chat = new_chat()
    await telegram.post(message_update(chat, "/start"))
    welcome, privacy = await sent(telegram.fake, chat, 2)
    keyboard = welcome.params["reply_markup"]["keyboard"]
    assert [b["text"] for row in keyboard for b in row] == [b.label for b in texts.MAIN_MENU]
    assert welcome.params["reply_markup"]["resize_keyboard"] is True
    assert privacy.params["reply_markup"]["inline_keyboard"] == [
        [{"text": texts.PRIVACY_BUTTON.label, "callback_data": texts.PRIVACY_BUTTON.payload}]
    ]
    # Tapping a reply-keyboard label works like pressing the button.
    await telegram.post(message_update(chat, texts.MAIN_MENU[2].label))
    calls = await sent(telegram.fake, chat, 3)
    assert "inline_keyboard" in calls[2].params["reply_markup"]


async def test_start_deep_link_opens_the_flow_with_inline_buttons(telegram: TelegramApp) -> None:
    chat = new_chat()
    await telegram.post(message_update(chat, "/start f-l2"))
    step, _privacy = await sent(telegram.fake, chat, 2)
    buttons = [b for row in step.params["reply_markup"]["inline_keyboard"] for b in row]
    assert buttons and all(len(b["callback_data"].encode()) <= 64 for b in buttons)
    with telegram.store.unit(readonly=True) as unit:
        kinds = unit.session.exec(text("SELECT match_kind, match_id FROM message_log WHERE direction='out' "
                                       "ORDER BY id DESC LIMIT 1")).one()
    assert kinds[0] == "flow" and str(kinds[1]).startswith("l2/")


async def test_button_press_in_a_flow_edits_the_message_and_answers_the_callback(telegram: TelegramApp) -> None:
    chat = new_chat()
    await telegram.post(message_update(chat, "/start f-l2"))
    first, _privacy = await sent(telegram.fake, chat, 2)
    button = first.params["reply_markup"]["inline_keyboard"][0][0]
    press = callback_update(chat, button["callback_data"], message_id=4242)
    r = await telegram.post(press)
    assert r.json()["status"] == "answered"
    edit = (await sent(telegram.fake, chat, method="editMessageText"))[0]
    assert edit.params["message_id"] == 4242 and edit.params["parse_mode"] == "HTML"
    answers = telegram.fake.calls("answerCallbackQuery")
    assert [a.params["callback_query_id"] for a in answers] == [press["callback_query"]["id"]]
    assert answers[0].at <= edit.at


async def test_button_press_outside_a_flow_sends_a_new_message(telegram: TelegramApp) -> None:
    chat = new_chat()
    press = callback_update(chat, "c-privacy", message_id=5)
    await telegram.post(press)
    await sent(telegram.fake, chat)
    assert telegram.fake.calls("editMessageText", chat_id=chat) == []
    assert len(telegram.fake.calls("answerCallbackQuery")) == 1


async def test_button_press_on_a_photo_message_sends_a_new_message(telegram: TelegramApp) -> None:
    chat = new_chat()
    await telegram.post(callback_update(chat, "f-l2", message_text=None))
    await sent(telegram.fake, chat)
    assert telegram.fake.calls("editMessageText", chat_id=chat) == []


async def test_long_payload_callback_data_is_read_back_from_the_database(telegram: TelegramApp) -> None:
    chat = new_chat()
    with telegram.store.unit() as unit:
        unit.set_kv(key="tg:cb:~abcdef", value="c-privacy", now=dt.datetime.now(dt.UTC))
    await telegram.post(callback_update(chat, "~abcdef"))
    calls = await sent(telegram.fake, chat)
    assert texts.PRIVACY_BUTTON.label not in calls[0].params["text"]
    with telegram.store.unit(readonly=True) as unit:
        payload = unit.session.exec(text("SELECT payload FROM message_log WHERE direction='in' "
                                         "ORDER BY id DESC LIMIT 1")).one()[0]
    assert payload == "c-privacy"


@pytest.mark.parametrize("kind", ["sticker", "photo", "voice", "document", "video"])
async def test_unreadable_media_gets_a_polite_answer(telegram: TelegramApp, kind: str) -> None:
    chat = new_chat()
    r = await telegram.post(media_update(chat, kind))
    assert r.json()["status"] == "answered"
    (call,) = await sent(telegram.fake, chat)
    assert call.params["text"].startswith("Xin lỗi, tôi chưa xem được")


async def test_edited_messages_and_membership_updates_are_acknowledged_not_answered(telegram: TelegramApp) -> None:
    chat = new_chat()
    for update in (edited_update(chat, "sửa: quên mật khẩu"), my_chat_member_update(chat)):
        r = await telegram.post(update)
        assert r.status_code == 200 and r.json()["status"] == "ignored"
    await quiet(telegram.fake, chat)


async def test_redelivered_update_is_answered_once(telegram: TelegramApp) -> None:
    chat = new_chat()
    update = message_update(chat, "làm định danh mức 2 ở đâu")
    first = await telegram.post(update)
    second = await telegram.post(update)
    assert first.json()["status"] == "answered" and second.json()["status"] == "duplicate"
    # The support search answers with two messages (the commune picker, then the location keyboard).
    calls = await sent(telegram.fake, chat, n=2)
    await asyncio.sleep(0.3)
    assert len(telegram.fake.calls("sendMessage", chat_id=chat)) == len(calls)
    with telegram.store.unit(readonly=True) as unit:
        assert unit.count(ProcessedUpdate, channel="telegram", update_id=str(update["update_id"])) == 1
        assert unit.count(Outbox, chat_id=str(chat)) == 1


# --- groups -------------------------------------------------------------------------------------


async def test_group_messages_are_answered_only_when_addressed(telegram: TelegramApp) -> None:
    group = -new_chat()
    r = await telegram.post(message_update(group, "quên mật khẩu VNeID", chat_type="supergroup", user_id=11))
    assert r.json()["status"] == "ignored"
    r = await telegram.post(message_update(group, "/menu@other_bot", chat_type="supergroup", user_id=11))
    assert r.json()["status"] == "ignored"
    await quiet(telegram.fake, group)

    mention = f"@{BOT_USERNAME} quên mật khẩu VNeID"
    await telegram.post(message_update(group, mention, chat_type="supergroup", user_id=11,
                                       entities=mention_entities(mention)))
    calls = await sent(telegram.fake, group)
    await telegram.post(message_update(group, "còn mức 2?", chat_type="supergroup", user_id=12, reply_to_bot=True))
    calls = await sent(telegram.fake, group, len(calls) + 1)
    await telegram.post(message_update(group, f"/menu@{BOT_USERNAME}", chat_type="supergroup", user_id=12))
    calls = await sent(telegram.fake, group, len(calls) + 1)
    # Groups get inline keyboards (no reply keyboard over everyone's input field).
    assert "inline_keyboard" in calls[-1].params["reply_markup"]


# --- the route's answers ------------------------------------------------------------------------


async def test_wrong_or_missing_secret_is_401_and_nothing_is_answered(telegram: TelegramApp) -> None:
    chat = new_chat()
    assert (await telegram.post(message_update(chat, "xin chào"), secret=None)).status_code == 401
    assert (await telegram.post(message_update(chat, "xin chào"), secret="wrong")).status_code == 401
    assert (await telegram.post(message_update(chat, "xin chào"), secret="")).status_code == 401
    await quiet(telegram.fake, chat)


async def test_invalid_json_is_400_and_non_updates_are_422(telegram: TelegramApp) -> None:
    assert (await telegram.post(None, raw=b"{not json")).status_code == 400
    assert (await telegram.post(None, raw=b"\xff\xfe")).status_code == 400
    for body in ([], {"hello": 1}, {"update_id": "7"}, {"update_id": True},
                 {"update_id": 8, "message": {"text": "no chat"}}, {"update_id": 9, "message": "x"}):
        r = await telegram.post(body)
        assert r.status_code == 422, body


async def test_texts_over_4096_characters_are_split_at_paragraphs(telegram: TelegramApp) -> None:
    # Content keeps answers short (1,200 characters); a long text can still come from a
    # future reply kind, so the sender is tried directly with an outbox row.
    answer = "\n\n".join(f"Ý {i}. " + "Bạn mở ứng dụng VNeID và làm theo hướng dẫn. " * 20 for i in range(12))
    assert len(answer) > 2 * 4096
    chat = new_chat()
    reply = Reply(answer, (texts.MAIN_MENU_BUTTON,))
    with telegram.store.unit() as unit:
        unit.enqueue_outbox(channel="telegram", chat_id=str(chat), context={"chat_type": "private"},
                            body={"replies": [reply.to_dict()], "match": {"kind": "faq"}},
                            now=dt.datetime.now(dt.UTC))
    telegram.app.state.telegram.worker.wake()
    calls = await sent(telegram.fake, chat, 3)
    parts = [c.params["text"] for c in calls]
    assert all(len(p) <= 4096 for p in parts)
    assert all(p.startswith("Ý ") and p.endswith("dẫn.") for p in parts)
    assert "".join(parts).count("Ý ") == 12
    assert "reply_markup" not in calls[0].params and "reply_markup" in calls[-1].params


async def test_step_images_are_sent_as_photos_with_absolute_urls(telegram: TelegramApp) -> None:
    flow = Flow.model_validate({
        "id": "tgphoto", "title": "Ảnh thử", "summary": "Một hướng dẫn có ảnh để thử kênh Telegram.",
        "triggers": ["ảnh thử nghiệm telegram", "thử ảnh telegram", "xem ảnh thử", "ảnh mẫu telegram",
                     "hướng dẫn có ảnh"], "source": "Nguồn thử nghiệm", "reviewed": "2026-11-23",
        "steps": [{"id": "one", "text": "Mở ứng dụng VNeID.", "image": {"path": "install/open.png",
                                                                        "alt": "Màn hình VNeID"},
                   "end": True}],
    })
    update_entry(telegram.store, kind="flow", id=flow.id, data=flow.model_dump(mode="json"), by="test",
                 now=dt.datetime.now(dt.UTC))
    chat = new_chat()
    await telegram.post(message_update(chat, "/start f-tgphoto"))
    (photo,) = await sent(telegram.fake, chat, method="sendPhoto")
    assert photo.params["photo"].startswith("https://troly06.example.gov.vn/static/flows/")
    assert "Mở ứng dụng VNeID." in photo.params["caption"] and photo.params["parse_mode"] == "HTML"


# --- privacy: see test_privacy_all_channels.py (every channel, both databases) -----------------


# --- configuration and start-up -----------------------------------------------------------------


async def test_no_channel_settings_means_404(tmp_path: object, fake_telegram: FakeTelegramAPI) -> None:
    from pathlib import Path

    settings = telegram_settings(Path(str(tmp_path)), fake_telegram, telegram_bot_token=None,
                                 telegram_webhook_secret=None)
    chat = new_chat()
    async with open_telegram_app(settings, fake_telegram) as tg:
        r = await tg.post(message_update(chat, "xin chào"))
        assert r.status_code == 404
        assert (await tg.client.get("/healthz")).json()["channels"]["telegram"] == "disabled"
    await quiet(fake_telegram, chat, 0.1)


async def test_unreachable_api_at_start_is_retried_and_reported(tmp_path: object, fake_telegram: FakeTelegramAPI) -> None:
    from pathlib import Path

    fake_telegram.set_down(True)
    settings = telegram_settings(Path(str(tmp_path)), fake_telegram)
    async with open_telegram_app(settings, fake_telegram, wait_ready=False) as tg:
        await fake_telegram.wait_for(lambda cs: len(cs) >= 1, method="getMe", ok_only=False)
        await asyncio.sleep(0.1)
        health = (await tg.client.get("/healthz")).json()
        assert health["channels"]["telegram"] == "unreachable, retrying"
        r = await tg.post(message_update(new_chat(), "xin chào"))
        assert r.status_code == 503
        fake_telegram.set_down(False)
        await asyncio.wait_for(tg.app.state.telegram.ready.wait(), timeout=10)
        assert (await tg.client.get("/healthz")).json()["channels"]["telegram"] == "ok"
        commands = fake_telegram.commands
        assert [c["command"] for c in commands] == ["start", "menu", "help", "huy"]
        chat = new_chat()
        assert (await tg.post(message_update(chat, "/menu"))).status_code == 200
        await sent(fake_telegram, chat)


async def test_database_down_is_503_and_nothing_is_lost(tmp_path: object, fake_telegram: FakeTelegramAPI) -> None:
    from pathlib import Path

    db_dir = Path(str(tmp_path))
    settings = telegram_settings(db_dir, fake_telegram)
    db = db_dir / "telegram.sqlite3"
    async with open_telegram_app(settings, fake_telegram) as tg:
        update = message_update(new_chat(), "quên mật khẩu VNeID")
        tg.store.engine.dispose()
        moved = db.with_suffix(".away")
        db.rename(moved)
        db.mkdir()  # the database file cannot be opened any more
        try:
            r = await tg.post(update)
            assert r.status_code == 503
        finally:
            db.rmdir()
            moved.rename(db)
            tg.store.engine.dispose()
        r = await tg.post(update)  # Telegram redelivers it
        assert r.status_code == 200 and r.json()["status"] == "answered"
        await sent(fake_telegram, update["message"]["chat"]["id"])


# --- the test guard itself ----------------------------------------------------------------------


async def test_the_loopback_guard_stops_python_telegram_bot_reaching_out() -> None:
    from telegram import Bot
    from telegram.error import NetworkError

    with loopback_guard() as attempts:
        with pytest.raises(OSError):
            socket.create_connection(("192.0.2.10", 443), timeout=0.2)
        bot = Bot(TOKEN, base_url="http://192.0.2.10/bot")
        with pytest.raises(NetworkError):
            await bot.get_me()
        await bot.shutdown()
    assert attempts and set(attempts) == {"192.0.2.10"}
