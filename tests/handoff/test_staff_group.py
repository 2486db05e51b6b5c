"""The staff Telegram group end to end (fake Bot API): a web-chat citizen asks for a person → a forum
topic is made in the group with the masked conversation → a linked staff member replies in the topic
→ the citizen receives it in the web chat → the bot is silent → ``/dong`` → the bot answers again.
Also: a group without topics (root message and replies), staff not linked or of another unit, codes."""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlmodel import select

from api.handoff import repo, staff
from api.store.models import AuditEntry
from api.team import repo as team_repo
from tests.console.conftest import PASSWORD, add_accounts, csrf_of
from tests.e2e.telegram_harness import TelegramApp, open_telegram_app, telegram_settings
from tests.fakes.telegram_api import FakeTelegramAPI, message_update

FORUM = -100_777_001
PLAIN = -100_777_002
_staff_users = itertools.count(880_001)


@pytest.fixture(params=[FORUM, PLAIN], ids=["forum", "reply-thread"])
async def tg(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
             telegram_fake_server: FakeTelegramAPI, loopback_only: Any) -> AsyncIterator[TelegramApp]:
    fake = telegram_fake_server
    fake.reset()
    fake.make_forum(FORUM)
    settings = telegram_settings(tmp_path_factory.mktemp("staff-group"), fake, handoff_telegram_chat_id=request.param)
    async with open_telegram_app(settings, fake) as app:
        add_accounts(app.store)
        yield app


def _group_texts(fake: FakeTelegramAPI, group: int) -> list[str]:
    return [str(c.params.get("text", "")) for c in fake.calls("sendMessage", chat_id=group)]


async def _link(tg: TelegramApp, role: str, tg_user: int, group: int) -> None:
    """Sign in to the console as ``role``, get a link code, send ``/lienket CODE`` in the group."""
    transport = httpx.ASGITransport(app=tg.app, client=("203.0.113.9", 50001))
    async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as browser:
        page = await browser.get("/admin/login")
        token = re.search(r'name="login_csrf" value="([^"]+)"', page.text)
        assert token is not None
        await browser.post("/admin/login", data={"username": f"test-{role}", "password": PASSWORD,
                                                 "login_csrf": token.group(1), "next": "/admin/"})
        page = await browser.get("/admin/handoffs")
        assert "Chưa liên kết Telegram." in page.text
        r = await browser.post("/admin/handoffs/telegram-link", data={"csrf_token": csrf_of(page.text)})
        assert r.status_code == 200
        code = re.search(r'id="link-code">([A-Z0-9]+)<', r.text)
        assert code is not None
    assert (await tg.post(message_update(group, f"/lienket {code.group(1)}", chat_type="supergroup",
                                         user_id=tg_user))).status_code == 200
    await tg.fake.wait_for(lambda calls: any(f"test-{role}" in str(c.params.get("text")) for c in calls),
                           method="sendMessage", chat_id=group)


def _in_place(group: int, place: dict[str, int], text: str, tg_user: int) -> dict[str, Any]:
    """A staff message in the citizen's topic (forum) or replying to the bot's root message."""
    if "thread" in place:
        return message_update(group, text, chat_type="supergroup", user_id=tg_user,
                              message_thread_id=place["thread"], is_topic_message=True)
    return message_update(group, text, chat_type="supergroup", user_id=tg_user,
                          reply_to_message={"message_id": place["root"], "date": 0,
                                            "chat": {"id": group, "type": "supergroup", "title": "Cán bộ"}})


async def _place(tg: TelegramApp, group: int) -> dict[str, int]:
    fake = tg.fake
    if group == FORUM:
        await fake.wait_for(lambda calls: len(calls) == 1, method="createForumTopic", chat_id=group)
        [thread] = fake.topics()
        # The bot records the topic after Telegram made it: a staff reply posted before that would be
        # ordinary talk in the group (this raced under a loaded CI run).
        for _ in range(200):
            with tg.store.unit(readonly=True) as unit:
                recorded = unit.connection.execute(
                    text("SELECT 1 FROM handoff_threads WHERE thread_id = :thread"), {"thread": thread}).scalar()
            if recorded:
                break
            await asyncio.sleep(0.05)
        assert recorded, "the bot never recorded the citizen's topic"
        return {"thread": thread}
    await fake.wait_for(lambda calls: any(str(c.params.get("text", "")).startswith("🧵") for c in calls),
                        method="sendMessage", chat_id=group)
    [call] = [c for c in fake.calls("createForumTopic", chat_id=group, ok_only=False)]
    assert call.status == 400  # not a forum: the bot fell back to a root message
    await fake.wait_for(lambda calls: any("🆘" in str(c.params.get("text", "")) for c in calls),
                        method="sendMessage", chat_id=group)
    with tg.store.unit(readonly=True) as unit:
        found = unit.connection.exec_driver_sql("SELECT root_message_id FROM handoff_threads").scalar()
    intro = next(c for c in fake.calls("sendMessage", chat_id=group) if "🆘" in str(c.params.get("text")))
    assert found is not None and intro.params["reply_parameters"]["message_id"] == found
    assert "message_thread_id" not in intro.params
    return {"root": int(found)}


async def test_staff_group_round_trip_with_a_web_chat_citizen(tg: TelegramApp) -> None:
    fake, client = tg.fake, tg.client
    group = tg.app.state.settings.handoff_telegram_chat_id
    staff_user = next(_staff_users)
    await _link(tg, "editor", staff_user, group)

    user = f"web-group-{group}"
    r = await client.post("/api/v1/chat", json={"user_id": user, "text": "số căn cước 012345678901 bị khóa"})
    assert r.status_code == 200
    r = await client.post("/api/v1/chat", json={"user_id": user, "payload": "c-handoff"})
    assert r.json()["match"]["kind"] == "handoff"
    place = await _place(tg, group)
    await fake.wait_for(lambda calls: any("🆘 Yêu cầu #" in str(c.params.get("text")) for c in calls),
                        method="sendMessage", chat_id=group)
    intro = next(t for t in _group_texts(fake, group) if "🆘 Yêu cầu #" in t)
    assert "012345678901" not in intro and "bị khóa" in intro  # the conversation so far, masked
    if "thread" in place:
        assert all(c.params.get("message_thread_id") == place["thread"]
                   for c in fake.calls("sendMessage", chat_id=group) if "🆘" in str(c.params.get("text")))

    # The staff member replies in the topic: claimed, and the web-chat citizen receives it.
    assert (await tg.post(_in_place(group, place, "Chào bạn, tôi là cán bộ phường", staff_user))).status_code == 200
    for _ in range(50):
        got = (await client.get("/api/v1/chat/messages", params={"user_id": user})).json()
        if len(got["messages"]) >= 2:
            break
        await asyncio.sleep(0.1)
    assert [m["author"] for m in got["messages"]] == ["system", "staff"]
    assert got["messages"][1]["text"].endswith("Chào bạn, tôi là cán bộ phường") and got["active"]
    with tg.store.unit(readonly=True) as unit:
        [held] = [h for h in repo.list_handoffs(unit, statuses=("claimed",))]
        assert held.claimed_by == "test-editor"
        audited = {a.action for a in unit.session.exec(select(AuditEntry)).all()}
    assert {"handoff.claim", "handoff.reply", "handoff.telegram_link"} <= audited

    # The bot is silent while the person holds it; the citizen's message goes to the group.
    r = await client.post("/api/v1/chat", json={"user_id": user, "text": "làm định danh mức 2 ở đâu"})
    assert r.status_code == 200 and r.json()["replies"] == []
    await fake.wait_for(lambda calls: any("Người dân: làm định danh mức 2 ở đâu" in str(c.params.get("text"))
                                          for c in calls), method="sendMessage", chat_id=group)

    # /dong closes it; the citizen is told and the bot answers again.
    assert (await tg.post(_in_place(group, place, "/dong", staff_user))).status_code == 200
    got = (await client.get("/api/v1/chat/messages", params={"user_id": user})).json()
    assert got["messages"][-1]["author"] == "system" and not got["active"]
    r = await client.post("/api/v1/chat", json={"user_id": user, "text": "làm định danh mức 2 ở đâu"})
    assert r.json()["replies"] and r.json()["match"]["kind"] != "handoff"

    # The staff group's updates never became a citizen conversation.
    with tg.store.unit(readonly=True) as unit:
        assert unit.find_user(channel="telegram", external_id=str(group)) is None


async def test_unlinked_or_out_of_unit_staff_cannot_answer(tg: TelegramApp) -> None:
    fake, client = tg.fake, tg.client
    group = tg.app.state.settings.handoff_telegram_chat_id
    user = f"web-group-refused-{group}"
    await client.post("/api/v1/chat", json={"user_id": user, "payload": "c-handoff"})
    place = await _place(tg, group)
    stranger = next(_staff_users)
    assert (await tg.post(_in_place(group, place, "để tôi trả lời", stranger))).status_code == 200
    await fake.wait_for(lambda calls: any("chưa liên kết Telegram" in str(c.params.get("text")) for c in calls),
                        method="sendMessage", chat_id=group)
    # A commune's member: linked, but the hand-off is in the province queue.
    with tg.store.unit() as unit:
        now = dt.datetime.now(dt.UTC)
        province = team_repo.create_unit(unit, level="province", name="Tỉnh Nhóm", parent_id=None, now=now)
        commune = team_repo.create_unit(unit, level="commune", name="Xã Nhóm", parent_id=province.id, now=now)
        staff.set_staff(unit, username="test-member", unit_id=commune.id, now=now)
    member_user = next(_staff_users)
    await _link(tg, "member", member_user, group)
    assert (await tg.post(_in_place(group, place, "để tôi trả lời", member_user))).status_code == 200
    await fake.wait_for(lambda calls: any("thuộc đơn vị khác" in str(c.params.get("text")) for c in calls),
                        method="sendMessage", chat_id=group)
    got = (await client.get("/api/v1/chat/messages", params={"user_id": user})).json()
    assert got["messages"] == [] and got["active"]
    # A wrong code is refused; a code works once.
    assert (await tg.post(message_update(group, "/lienket SAIMA123", chat_type="supergroup",
                                         user_id=stranger))).status_code == 200
    await fake.wait_for(lambda calls: any("không đúng, đã dùng" in str(c.params.get("text")) for c in calls),
                        method="sendMessage", chat_id=group)
    with tg.store.unit() as unit:
        code = staff.make_link_code(unit, account_id=1, now=dt.datetime.now(dt.UTC))
    with tg.store.unit() as unit:
        assert staff.redeem_link_code(unit, code=code, telegram_user_id=stranger, now=dt.datetime.now(dt.UTC))
        assert staff.redeem_link_code(unit, code=code, telegram_user_id=stranger, now=dt.datetime.now(dt.UTC)) is None
        late = staff.make_link_code(unit, account_id=1, now=dt.datetime.now(dt.UTC) - dt.timedelta(hours=1))
        assert staff.redeem_link_code(unit, code=late, telegram_user_id=stranger, now=dt.datetime.now(dt.UTC)) is None
