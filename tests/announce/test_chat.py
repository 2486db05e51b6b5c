"""Opt-in and opt-out in every channel: the web chat (HTTP), Telegram (webhook, fake Bot API), Zalo (a turn
with its outbox target); asked once; «dừng» at any time; «xóa dữ liệu của tôi» deletes it all."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from api.announce import repo
from api.announce.delivery import Broadcaster
from api.conversation import OutboxTarget, prepare_inbound
from api.app import create_app
from api.store import Store
from api.store.models import metadata
from tests.announce.helpers import announce
from tests.e2e.telegram_harness import TelegramApp
from tests.fakes.telegram_api import callback_update, message_update
from tests.http.conftest import make_settings, open_client

_subs = metadata.tables["announce_subscriptions"]
_deliveries = metadata.tables["announce_deliveries"]
WARD = 4  # Phường Ba Đình (Hà Nội, province 1)


@pytest.fixture(scope="module")
async def web(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    app = create_app(make_settings(tmp_path_factory.mktemp("announce-chat"), chat_rate_per_minute=1000))
    async for client in open_client(app):
        yield app, client


async def _say(client: httpx.AsyncClient, user: str, *, text: str | None = None, payload: str | None = None
               ) -> dict[str, Any]:
    body: dict[str, str] = {"user_id": user, **({"text": text} if text is not None else {}),
                            **({"payload": payload} if payload is not None else {})}
    r = await client.post("/api/v1/chat", json=body)
    assert r.status_code == 200, r.text
    data: dict[str, Any] = r.json()
    return data


def _payloads(data: dict[str, Any]) -> list[str]:
    return [b["payload"] for r in data["replies"] for b in r["buttons"]]


def _text(data: dict[str, Any]) -> str:
    return "\n".join(r["text"] for r in data["replies"])


def _sub(store: Store, channel: str, external: str) -> Any:
    with store.unit(readonly=True) as unit:
        uid = unit.find_user(channel=channel, external_id=external)
        return None if uid is None else unit.connection.execute(select(_subs).where(_subs.c.user_id == uid)).first()


async def test_web_offer_once_then_opt_in_stop_and_again(web: tuple[FastAPI, httpx.AsyncClient]) -> None:
    app, client = web
    store: Store = app.state.store
    user = f"w-{uuid.uuid4().hex[:8]}"
    await _say(client, user, text="mức 2 làm ở đâu")
    await _say(client, user, payload="sp-p-1")
    found = await _say(client, user, payload=f"sp-w-{WARD}")
    assert f"an-y-{WARD}" in _payloads(found) and "Phường Ba Đình" in _text(found)
    assert _sub(store, "web", user).status == "asked"
    # asked once: the next search does not ask again
    await _say(client, user, payload="sp-p-1")
    again = await _say(client, user, payload=f"sp-w-{WARD}")
    assert not any(p.startswith("an-") for p in _payloads(again))
    yes = await _say(client, user, payload=f"an-y-{WARD}")
    assert "đã đăng ký nhận thông báo của Phường Ba Đình" in _text(yes)
    row = _sub(store, "web", user)
    assert row.status == "active" and row.commune_code == WARD and row.chat_id is None
    stop = await _say(client, user, text="dừng")
    assert "thôi nhận thông báo" in _text(stop) and "«nhận thông báo»" in _text(stop)
    assert _sub(store, "web", user).status == "stopped"
    back = await _say(client, user, text="nhan thong bao")
    assert "nhận lại thông báo" in _text(back) and _sub(store, "web", user).status == "active"
    assert "thôi nhận" in _text(await _say(client, user, text="dung"))  # a subscriber's «dung» is «dừng»


async def test_web_no_thanks_is_remembered(web: tuple[FastAPI, httpx.AsyncClient]) -> None:
    app, client = web
    user = f"w-{uuid.uuid4().hex[:8]}"
    await _say(client, user, payload="sp-p-1")
    await _say(client, user, payload=f"sp-w-{WARD}")
    no = await _say(client, user, text="2")  # «Không, cảm ơn» is the offer's second button after two others
    if "không gửi thông báo" not in _text(no):
        no = await _say(client, user, payload="an-n")
    assert "không gửi thông báo" in _text(no)
    assert _sub(app.state.store, "web", user).status == "declined"
    # «dung» from someone who receives nothing is an ordinary message
    assert "thôi nhận" not in _text(await _say(client, user, text="dung"))


async def test_opt_in_without_a_commune_asks_where(web: tuple[FastAPI, httpx.AsyncClient]) -> None:
    app, client = web
    user = f"w-{uuid.uuid4().hex[:8]}"
    first = await _say(client, user, text="nhận thông báo")
    assert "xã/phường" in _text(first) and any(p.startswith("sp-p-") for p in _payloads(first))
    await _say(client, user, payload="sp-p-1")
    found = await _say(client, user, payload=f"sp-w-{WARD}")
    assert f"an-y-{WARD}" in _payloads(found)


async def test_web_user_receives_the_announcement_in_the_page_and_deletion_removes_everything(
        web: tuple[FastAPI, httpx.AsyncClient]) -> None:
    app, client = web
    store: Store = app.state.store
    user = f"w-{uuid.uuid4().hex[:8]}"
    await _say(client, user, payload="sp-p-1")
    await _say(client, user, payload=f"sp-w-{WARD}")
    await _say(client, user, payload=f"an-y-{WARD}")
    announcement_id = announce(store, communes=[WARD], text="Tổ hỗ trợ lưu động ở nhà văn hóa tối Chủ nhật.")
    await Broadcaster(store, {}, rate_per_s=500).run(announcement_id)
    r = await client.get("/api/v1/chat/announcements", params={"user_id": user})
    assert r.status_code == 200
    messages = r.json()["messages"]
    assert len(messages) == 1 and "Tổ hỗ trợ lưu động" in messages[0]["text"]
    later = await client.get("/api/v1/chat/announcements", params={"user_id": user, "after": messages[0]["id"]})
    assert later.json()["messages"] == []
    assert (await client.get("/api/v1/chat/announcements", params={"user_id": ""})).status_code == 422
    with store.unit(readonly=True) as unit:
        uid = unit.find_user(channel="web", external_id=user)
    await _say(client, user, text="xóa dữ liệu của tôi")
    await _say(client, user, payload="c-delete_yes")
    with store.unit(readonly=True) as unit:
        for table in (_subs, _deliveries):
            left = unit.connection.execute(select(func.count()).select_from(table).where(table.c.user_id == uid))
            assert left.scalar_one() == 0


async def test_telegram_opt_in_by_button_then_stop_command(telegram: TelegramApp) -> None:
    chat = 424242001
    await telegram.post(message_update(chat, "mức 2 làm ở đâu"))
    await telegram.post(callback_update(chat, "sp-p-1"))
    await telegram.post(callback_update(chat, f"sp-w-{WARD}"))
    await telegram.fake.wait_for(lambda calls: any(
        "an-y-4" in str(c.params.get("reply_markup")) for c in calls if c.chat_id == chat))
    await telegram.post(callback_update(chat, f"an-y-{WARD}"))
    await telegram.fake.wait_for(lambda calls: any("đã đăng ký nhận thông báo" in str(c.params.get("text"))
                                                   for c in calls if c.chat_id == chat))
    row = _sub(telegram.store, "telegram", str(chat))
    assert row.status == "active" and row.chat_id == str(chat) and row.channel == "telegram"
    # an announcement reaches the chat through the Bot API, with its button
    from api.announce.telegram import TelegramBroadcastSender

    sender = TelegramBroadcastSender(base_url=telegram.fake.base_url, token=telegram.fake.token)
    try:
        announcement_id = announce(telegram.store, communes=[WARD])
        final = await Broadcaster(telegram.store, {"telegram": sender}, rate_per_s=500).run(announcement_id)
    finally:
        await sender.aclose()
    assert final["sent"] >= 1
    sent = [c for c in telegram.fake.calls("sendMessage", chat_id=chat) if "📢 Thông báo" in str(c.params.get("text"))]
    assert len(sent) == 1 and "f-l2" in str(sent[0].params.get("reply_markup"))
    await telegram.post(message_update(chat, "/stop"))
    await telegram.fake.wait_for(lambda calls: any("thôi nhận thông báo" in str(c.params.get("text"))
                                                   for c in calls if c.chat_id == chat))
    assert _sub(telegram.store, "telegram", str(chat)).status == "stopped"


async def test_zalo_opt_in_and_stop_keep_the_zalo_chat_and_delivery_goes_through_its_outbox(
        web: tuple[FastAPI, httpx.AsyncClient]) -> None:
    app, _ = web
    store: Store = app.state.store
    conversation = app.state.conversation
    chat = f"zl{uuid.uuid4().hex[:10]}"
    target = OutboxTarget("zalo_bot", chat, {})

    def turn(*, text: str | None = None, payload: str | None = None) -> Any:
        return conversation.run_turn(channel="zalo_bot", external_id=chat,
                                     inbound=prepare_inbound(text=text, payload=payload), outbox=target)

    await asyncio.to_thread(turn, payload="sp-p-1")
    offered = await asyncio.to_thread(turn, payload=f"sp-w-{WARD}")
    assert any(b.payload == f"an-y-{WARD}" for r in offered.replies for b in r.buttons)
    await asyncio.to_thread(turn, payload=f"an-y-{WARD}")
    row = _sub(store, "zalo_bot", chat)
    assert row.status == "active" and row.chat_id == chat
    announcement_id = announce(store, communes=[WARD])
    await Broadcaster(store, {}, rate_per_s=500).run(announcement_id)
    outbox = metadata.tables["outbox"]
    with store.unit(readonly=True) as unit:
        bodies = [r.body for r in unit.connection.execute(select(outbox.c.body).where(
            outbox.c.channel == "zalo_bot", outbox.c.chat_id == chat))]
    assert sum("📢 Thông báo" in str(b) for b in bodies) == 1
    stopped = await asyncio.to_thread(turn, text="dừng")
    assert "thôi nhận thông báo" in stopped.replies[0].text
    assert _sub(store, "zalo_bot", chat).status == "stopped"
    with store.unit(readonly=True) as unit:
        assert repo.subscription(unit, row.user_id) is not None
