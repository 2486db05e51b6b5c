"""«Thử hỏi»: the chat's answer and the ranked candidates, and nothing stored."""

from __future__ import annotations

import httpx
import pytest

from api.store.models import EventRow, MessageLog, SessionState, Unanswered, User
from tests.console.conftest import Console, csrf_of

TRY = "/api/v1/admin/try"


def stored(console: Console) -> tuple[int, ...]:
    with console.store.unit(readonly=True) as unit:
        return tuple(unit.count(m) for m in (User, SessionState, MessageLog, EventRow, Unanswered))


async def test_try_returns_the_chat_body_and_candidates_and_stores_nothing(console: Console) -> None:
    before = stored(console)
    r = await console.client.post(TRY, json={"text": "quen mat khau vneid"}, headers=console.auth("viewer"))
    assert r.status_code == 200, r.text
    body = r.json()
    chat = await console.client.post("/api/v1/chat", json={"user_id": "web-try-compare", "text": "quen mat khau vneid"})
    assert body["reply"] == chat.json()  # exactly the chat API's body for a new user
    assert body["reply"]["match"]["kind"] == "faq"
    candidates = body["candidates"]
    assert 1 <= len(candidates) <= 5
    assert candidates[0]["id"] == body["reply"]["match"]["id"]
    assert "mat khau" in candidates[0]["terms"] and candidates[0]["title"]
    assert [c["score"] for c in candidates] == sorted((c["score"] for c in candidates), reverse=True)
    assert {c["kind"] for c in candidates} <= {"faq", "offtopic", "flow", "service"}
    after = stored(console)
    # Only the chat call above stored anything (one user, session, two log lines, its events).
    assert after[0] == before[0] + 1 and after[4] == before[4]


async def test_a_fallback_is_not_put_in_the_inbox(console: Console) -> None:
    before = stored(console)
    r = await console.client.post(TRY, json={"text": "xin lịch tiêm phòng dại"}, headers=console.auth("editor"))
    assert r.status_code == 200 and r.json()["reply"]["match"]["kind"] == "fallback"
    assert stored(console) == before


async def test_personal_numbers_are_masked_as_in_the_chat(console: Console) -> None:
    r = await console.client.post(TRY, json={"text": "số cccd 001203004567 của tôi"}, headers=console.auth("editor"))
    assert r.status_code == 200
    assert "001203004567" not in r.text


@pytest.mark.parametrize("body", [{}, {"text": ""}, {"text": 5}, {"text": None}, {"text": ["a"]},
                                  {"text": "a", "user_id": "x"}, {"text": "a" * 2001}])
async def test_bad_bodies(console: Console, body: object) -> None:
    r = await console.client.post(TRY, json=body, headers=console.auth("editor"))
    assert r.status_code == 422 and "error" in r.json()


async def test_a_100_kb_body_is_refused(console: Console) -> None:
    r = await console.client.post(TRY, json={"text": "a" * 100_000}, headers=console.auth("editor"))
    assert r.status_code == 413


@pytest.mark.parametrize("role", ["admin", "editor", "viewer", "member", None])
async def test_roles(console: Console, role: str | None) -> None:
    r = await console.client.post(TRY, json={"text": "otp"}, headers=console.auth(role) if role else {})
    assert r.status_code == {"member": 403, None: 401}.get(role, 200)


async def test_page(console: Console, browser: httpx.AsyncClient) -> None:
    assert (await browser.get("/admin/try")).status_code == 303
    await console.login(browser, "member")
    assert (await browser.get("/admin/try")).status_code == 403
    await console.login(browser, "viewer")
    page = await browser.get("/admin/try", params={"q": "quên mật khẩu vneid"})
    assert page.status_code == 200
    assert "forgot_password" in page.text and "Các mục gần nhất" in page.text and "mat khau" in page.text
    assert "<script>" not in page.text and 'style="' not in page.text
    csrf_of(page.text)
    long = await browser.get("/admin/try", params={"q": "a" * 3000})
    assert long.status_code == 422 and 'role="alert"' in long.text
    xss = await browser.get("/admin/try", params={"q": "<script>alert(1)</script>"})
    assert xss.status_code == 200 and "<script>alert" not in xss.text
