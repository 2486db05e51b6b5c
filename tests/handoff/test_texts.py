"""Every sentence a citizen sees in a hand-off is an editable UI text: what an editor saves in the
console is what the citizen receives (opened, in or outside office hours, waiting, a person joined,
the staff label, escalated, closed and the bot resuming)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from api.handoff.hours import Hours
from api.handoff.routes import Escalator
from tests.console.conftest import Console

API = "/api/v1/admin"
EDITS = {
    "handoff_opened": "Đã chuyển cho cán bộ {unit} theo ý bạn. {when}",
    "handoff_when_open": "TRONG GIỜ, khoảng {minutes} phút.",
    "handoff_when_later": "NGOÀI GIỜ, cán bộ sẽ trả lời lúc {at}.",
    "handoff_waiting": "Vẫn đang chờ cán bộ, bạn đợi chút nhé.",
    "handoff_claimed": "Cán bộ {unit} đây, tôi đọc tin của bạn rồi.",
    "handoff_staff_label": "🧑‍💼 Cán bộ xã:",
    "handoff_escalated": "Đã chuyển từ {unit} lên {queue}. {when}",
    "handoff_closed": "Xong rồi nhé.",
    "handoff_resumed": "Trợ lý trả lời tiếp từ đây.",
}


async def _edit(console: Console, ident: str, text: str) -> None:
    current = (await console.client.get(f"{API}/texts/{ident}", headers=console.auth("editor"))).json()
    assert current["text"] == current["default"] and current["label"], current
    r = await console.client.put(f"{API}/texts/{ident}", json={**current, "text": text}, headers=console.auth("editor"))
    assert r.status_code == 200, r.text


async def _chat(console: Console, user: str, **body: str) -> dict[str, Any]:
    r = await console.client.post("/api/v1/chat", json={"user_id": user, **body})
    assert r.status_code == 200, r.text
    data: dict[str, Any] = r.json()
    return data


async def _fetch(console: Console, user: str) -> list[str]:
    r = await console.client.get("/api/v1/chat/messages", params={"user_id": user})
    return [m["text"] for m in r.json()["messages"]]


async def _waiting_id(console: Console) -> int:
    r = await console.client.get(f"{API}/handoffs", params={"status": "waiting"}, headers=console.auth("admin"))
    return int(max(h["id"] for h in r.json()["handoffs"]))


async def test_edited_handoff_sentences_are_what_the_citizen_receives(console: Console) -> None:
    for ident, text in EDITS.items():
        await _edit(console, ident, text)
    bad = await console.client.put(f"{API}/texts/handoff_claimed", headers=console.auth("editor"), json={
        **(await console.client.get(f"{API}/texts/handoff_claimed", headers=console.auth("editor"))).json(),
        "text": "Cán bộ {ten} đây"})
    assert bad.status_code == 422  # only the default's placeholders ({unit})

    user = "texts-web-1"
    now = dt.datetime.now(dt.UTC)
    opened = await _chat(console, user, payload="c-handoff")
    text = "\n".join(r["text"] for r in opened["replies"])
    assert "Đã chuyển cho cán bộ cấp tỉnh theo ý bạn." in text
    if Hours.default().is_open(now):
        assert "TRONG GIỜ, khoảng 30 phút." in text
    else:
        assert "NGOÀI GIỜ, cán bộ sẽ trả lời lúc " in text and "{at}" not in text
    again = await _chat(console, user, text="gặp người hỗ trợ")
    assert any(r["text"] == EDITS["handoff_waiting"] for r in again["replies"])

    hid = await _waiting_id(console)
    assert (await console.client.post(f"{API}/handoffs/{hid}/claim", headers=console.auth("admin"))).status_code == 200
    r = await console.client.post(f"{API}/handoffs/{hid}/messages", json={"text": "Bạn cần gì ạ?"},
                                  headers=console.auth("admin"))
    assert r.status_code == 201
    assert (await console.client.post(f"{API}/handoffs/{hid}/close", headers=console.auth("admin"))).status_code == 200
    assert await _fetch(console, user) == ["Cán bộ cấp tỉnh đây, tôi đọc tin của bạn rồi.",
                                           "🧑‍💼 Cán bộ xã: Bạn cần gì ạ?",
                                           "Xong rồi nhé. Trợ lý trả lời tiếp từ đây."]


async def test_an_edited_escalation_is_what_the_citizen_receives(console: Console) -> None:
    from api.team import repo as team_repo

    with console.store.unit() as unit:
        now = dt.datetime.now(dt.UTC)
        province = team_repo.create_unit(unit, level="province", name="Tỉnh Chữ", parent_id=None, now=now)
        commune = team_repo.create_unit(unit, level="commune", name="Xã Chữ", parent_id=province.id, now=now)
        user_id = unit.get_or_create_user(channel="web", external_id="texts-web-2", now=now)
        from api.handoff import repo

        repo.open_handoff(unit, user_id=user_id, channel="web", chat_id=None, context=None, unit_id=commune.id,
                          reason="asked", due_at=now - dt.timedelta(minutes=1), now=now)
    escalator = Escalator(console.store, content=console.app.state.content)
    assert escalator.run_once() == 1
    [told] = await _fetch(console, "texts-web-2")
    assert told.startswith("Đã chuyển từ Xã Chữ lên Tỉnh Chữ. ")
    assert "TRONG GIỜ" in told or "NGOÀI GIỜ" in told
