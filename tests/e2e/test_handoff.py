"""End to end: citizen asks for a person → staff claim and reply in the console → the citizen gets it in
their own chat → the bot is silent → closed → the bot answers again. Web chat and Telegram (fake Bot API)."""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from api.handoff import staff
from api.handoff.routes import Escalator
from api.store.models import MessageLog
from api.team import repo as team_repo
from tests.console.conftest import PASSWORD, ROLES, add_accounts, csrf_of
from tests.e2e.telegram_harness import TelegramApp, open_telegram_app, telegram_settings
from tests.fakes.telegram_api import FakeTelegramAPI, message_update
from tests.http.conftest import make_settings, open_client

_chats = itertools.count(7_700_000)


async def _tokens(client: httpx.AsyncClient) -> dict[str, dict[str, str]]:
    out = {}
    for role in ROLES:
        r = await client.post("/api/v1/admin/token", data={"username": f"test-{role}", "password": PASSWORD})
        assert r.status_code == 200, r.text
        out[role] = {"Authorization": f"Bearer {r.json()['access_token']}"}
    return out


@pytest.fixture(scope="module")
async def web(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[tuple[Any, httpx.AsyncClient]]:
    from api.app import create_app

    app = create_app(make_settings(tmp_path_factory.mktemp("handoff")))
    async for client in open_client(app):
        add_accounts(app.state.store)
        yield app, client


async def _waiting(client: httpx.AsyncClient, auth: dict[str, str]) -> list[dict[str, Any]]:
    r = await client.get("/api/v1/admin/handoffs?status=open", headers=auth)
    assert r.status_code == 200, r.text
    return list(r.json()["handoffs"])


async def test_web_chat_handoff_round_trip(web: tuple[Any, httpx.AsyncClient]) -> None:
    app, client = web
    auth = await _tokens(client)
    user = "web-handoff-round-trip-1"
    r = await client.post("/api/v1/chat", json={"user_id": user, "payload": "c-handoff"})
    assert r.status_code == 200 and r.headers["X-Handoff"] == "open"
    body = r.json()
    assert set(body) == {"replies", "match"} and body["match"]["kind"] == "handoff"
    assert "chuyển cuộc trò chuyện cho cán bộ" in body["replies"][-1]["text"]
    mine = [h for h in await _waiting(client, auth["editor"]) if h["channel"] == "web"]
    assert len(mine) == 1
    hid = mine[0]["id"]
    # While waiting the bot still answers; the question reaches the hand-off, masked.
    r = await client.post("/api/v1/chat", json={"user_id": user, "text": "CCCD của tôi là 001203004567 sao không vào được"})
    assert r.json()["replies"] and r.headers["X-Handoff"] == "open"
    # Two staff race for it: exactly one wins.
    a, b = await asyncio.gather(client.post(f"/api/v1/admin/handoffs/{hid}/claim", headers=auth["editor"]),
                                client.post(f"/api/v1/admin/handoffs/{hid}/claim", headers=auth["admin"]))
    assert sorted((a.status_code, b.status_code)) == [200, 409]
    winner = auth["editor"] if a.status_code == 200 else auth["admin"]
    loser = auth["admin"] if a.status_code == 200 else auth["editor"]
    detail = (await client.get(f"/api/v1/admin/handoffs/{hid}", headers=winner)).json()
    shown = str(detail)
    assert "001203004567" not in shown and "sao không vào được" in shown
    assert (await client.post(f"/api/v1/admin/handoffs/{hid}/messages", json={"text": "x"}, headers=loser)).status_code == 409
    assert (await client.post(f"/api/v1/admin/handoffs/{hid}/messages", json={"text": ""}, headers=winner)).status_code == 422
    r = await client.post(f"/api/v1/admin/handoffs/{hid}/messages", json={"text": "Bạn thử đăng nhập lại nhé"},
                          headers=winner)
    assert r.status_code == 201
    # The page fetches the staff reply (and the claim notice).
    got = (await client.get("/api/v1/chat/messages", params={"user_id": user, "after": 0})).json()
    assert got["active"] is True
    assert any("Bạn thử đăng nhập lại nhé" in m["text"] for m in got["messages"])
    last = got["messages"][-1]["id"]
    # The bot is silent while a person holds the conversation; the message is still logged.
    r = await client.post("/api/v1/chat", json={"user_id": user, "text": "cảm ơn, cho hỏi thêm mức 2"})
    assert r.status_code == 200 and r.json()["replies"] == [] and r.headers["X-Handoff"] == "claimed"
    with app.state.store.unit(readonly=True) as unit:
        assert unit.count(MessageLog, text="cảm ơn, cho hỏi thêm mức 2") == 1
    # Closed: the citizen is told, and the bot answers again.
    assert (await client.post(f"/api/v1/admin/handoffs/{hid}/close", headers=winner)).status_code == 200
    assert (await client.post(f"/api/v1/admin/handoffs/{hid}/close", headers=winner)).status_code == 409
    got = (await client.get("/api/v1/chat/messages", params={"user_id": user, "after": last})).json()
    assert got["active"] is False and "kết thúc" in got["messages"][-1]["text"]
    r = await client.post("/api/v1/chat", json={"user_id": user, "text": "làm định danh mức 2 ở đâu"})
    assert r.json()["replies"] and "X-Handoff" not in r.headers


async def test_two_misses_in_a_row_open_a_handoff(web: tuple[Any, httpx.AsyncClient]) -> None:
    _, client = web
    user = "web-handoff-misses-2"
    r1 = await client.post("/api/v1/chat", json={"user_id": user, "text": "xyzzy qwerty plugh"})
    assert r1.json()["match"]["kind"] == "fallback" and "X-Handoff" not in r1.headers
    r2 = await client.post("/api/v1/chat", json={"user_id": user, "text": "blorp frobnicate zork"})
    assert r2.json()["match"]["kind"] == "fallback" and r2.headers["X-Handoff"] == "open"
    assert "trợ lý chưa giúp được bạn" in r2.json()["replies"][-1]["text"]


async def test_roles_and_bad_input(web: tuple[Any, httpx.AsyncClient]) -> None:
    _, client = web
    auth = await _tokens(client)
    assert (await client.get("/api/v1/admin/handoffs?status=open")).status_code == 401
    assert (await client.get("/api/v1/admin/handoffs?status=bogus", headers=auth["admin"])).status_code == 422
    assert (await client.post("/api/v1/admin/handoffs/999999/claim", headers=auth["admin"])).status_code == 404
    assert (await client.post("/api/v1/admin/handoffs/1/claim", headers=auth["viewer"])).status_code == 403
    assert (await client.get("/api/v1/chat/messages", params={"user_id": "nobody"})).json() == {
        "messages": [], "active": False}
    assert (await client.get("/api/v1/chat/messages", params={"user_id": "x", "after": -1})).status_code == 422


async def test_console_page_claim_reply_close(web: tuple[Any, httpx.AsyncClient]) -> None:
    app, client = web
    user = "web-handoff-console-3"
    await client.post("/api/v1/chat", json={"user_id": user, "text": "gặp người hỗ trợ"})
    with app.state.store.unit() as unit:  # a member account answers for the unit it is on duty for
        province = team_repo.create_unit(unit, level="province", name="Tỉnh Thử", parent_id=None,
                                         now=dt.datetime.now(dt.UTC))
        staff.set_staff(unit, username="test-member", unit_id=province.id, now=dt.datetime.now(dt.UTC))
    transport = httpx.ASGITransport(app=app, client=("203.0.113.9", 50001))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as browser:
        page = await browser.get("/admin/login")
        import re
        token = re.search(r'name="login_csrf" value="([^"]+)"', page.text)
        assert token is not None
        await browser.post("/admin/login", data={"username": "test-member", "password": PASSWORD,
                                                 "login_csrf": token.group(1), "next": "/admin/"})
        page = await browser.get("/admin/handoffs")
        assert page.status_code == 200 and 'http-equiv="refresh"' in page.text
        ids = [int(x) for x in re.findall(r'href="/admin/handoffs\?id=(\d+)"', page.text)]
        hid = max(ids)
        csrf = csrf_of(page.text)
        r = await browser.post(f"/admin/handoffs/{hid}/claim", data={"csrf_token": csrf})
        assert r.status_code == 303
        page = await browser.get(f"/admin/handoffs?id={hid}")
        assert "gặp người hỗ trợ" in page.text and 'http-equiv="refresh"' not in page.text
        r = await browser.post(f"/admin/handoffs/{hid}/messages", data={"csrf_token": csrf, "text": "Chào bạn"})
        assert r.status_code == 303
        r = await browser.post(f"/admin/handoffs/{hid}/close", data={"csrf_token": csrf})
        assert r.status_code == 303
    got = (await client.get("/api/v1/chat/messages", params={"user_id": user})).json()
    assert [m["author"] for m in got["messages"]] == ["system", "staff", "system"]


async def test_escalator_runs_in_the_app(web: tuple[Any, httpx.AsyncClient]) -> None:
    app, _ = web
    assert Escalator(app.state.store).run_once() >= 0


async def test_telegram_handoff_round_trip(tmp_path_factory: pytest.TempPathFactory,
                                           telegram_fake_server: FakeTelegramAPI) -> None:
    fake = telegram_fake_server
    fake.reset()
    settings = telegram_settings(tmp_path_factory.mktemp("tg-handoff"), fake)
    async with open_telegram_app(settings, fake) as tg:
        await _telegram_round_trip(tg, fake)


async def _telegram_round_trip(tg: TelegramApp, fake: FakeTelegramAPI) -> None:
    add_accounts(tg.store)
    auth = await _tokens(tg.client)
    chat = next(_chats)

    def texts() -> list[str]:
        return [str(c.params.get("text", "")) for c in fake.calls("sendMessage", chat_id=chat)]

    assert (await tg.post(message_update(chat, "Gặp người hỗ trợ"))).status_code == 200
    await fake.wait_for(lambda calls: any("cho cán bộ" in str(c.params.get("text")) for c in calls),
                        method="sendMessage", chat_id=chat)
    hid = [h for h in await _waiting(tg.client, auth["editor"]) if h["channel"] == "telegram"][0]["id"]
    assert (await tg.client.post(f"/api/v1/admin/handoffs/{hid}/claim", headers=auth["editor"])).status_code == 200
    r = await tg.client.post(f"/api/v1/admin/handoffs/{hid}/messages", json={"text": "Chào bạn, tôi là cán bộ xã"},
                             headers=auth["editor"])
    assert r.status_code == 201
    await fake.wait_for(lambda calls: any("Chào bạn, tôi là cán bộ xã" in str(c.params.get("text")) for c in calls),
                        method="sendMessage", chat_id=chat)
    before = len(texts())
    assert (await tg.post(message_update(chat, "làm định danh mức 2 ở đâu"))).status_code == 200
    await asyncio.sleep(1.5)
    assert len(texts()) == before  # silent while a person holds the conversation
    assert (await tg.client.post(f"/api/v1/admin/handoffs/{hid}/close", headers=auth["editor"])).status_code == 200
    await fake.wait_for(lambda calls: any("kết thúc" in str(c.params.get("text")) for c in calls),
                        method="sendMessage", chat_id=chat)
    after = len(texts())
    assert (await tg.post(message_update(chat, "làm định danh mức 2 ở đâu"))).status_code == 200
    await fake.wait_for(lambda calls: len(calls) > after, method="sendMessage", chat_id=chat)
