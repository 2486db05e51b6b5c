"""The unanswered inbox over HTTP: grouping, the four actions, the page, roles and bad input."""

from __future__ import annotations

import datetime as dt
import re
import uuid

import httpx
import pytest
from sqlmodel import col, select

from api.store.models import AuditEntry, ContentVersion, Unanswered
from tests.console.conftest import Console, csrf_of

API = "/api/v1/admin/unanswered"


async def ask(console: Console, text: str, user: str | None = None) -> dict[str, object]:
    """A citizen's question through the web chat API (so the inbox fills as in production)."""
    r = await console.client.post("/api/v1/chat", json={"user_id": user or f"web-{uuid.uuid4().hex}", "text": text})
    assert r.status_code == 200, r.text
    match: dict[str, object] = r.json()["match"]
    return match


async def groups(console: Console, role: str = "viewer") -> list[dict[str, object]]:
    r = await console.client.get(API, headers=console.auth(role))
    assert r.status_code == 200, r.text
    found: list[dict[str, object]] = r.json()["groups"]
    return found


def group_of(found: list[dict[str, object]], text: str) -> dict[str, object]:
    for g in found:
        if text in g["examples"]:  # type: ignore[operator]
            return g
    raise AssertionError(f"no group holds {text!r}: {found}")


def open_rows(console: Console) -> int:
    with console.store.unit(readonly=True) as unit:
        return unit.count(Unanswered, status="open")


def versions(console: Console) -> int:
    with console.store.unit(readonly=True) as unit:
        return unit.count(ContentVersion)


# Questions the shipped content does not answer (a deletion one became answered by the reinstall
# entry, a game one by the games decline, as the content grew).
DELETE = ["vneid có bản tiếng khmer không", "vneid co ban tieng khmer khong",
          "VNeID có bản tiếng Khmer không ạ"]


async def test_groups_similar_questions_with_and_without_diacritics(console: Console) -> None:
    for text in DELETE:
        assert (await ask(console, text))["kind"] in {"fallback", "clarify"}
    await ask(console, "chó nhà tôi bị ốm")
    await ask(console, "cho nha toi bi om")
    found = await groups(console)
    g = group_of(found, DELETE[0])
    assert g["count"] == 3 and set(g["examples"]) == set(DELETE)  # type: ignore[arg-type]
    assert g["question"] == DELETE[0]  # the first of the most-asked wordings, with diacritics
    assert sum(g["reasons"].values()) == 3  # type: ignore[attr-defined]
    dog = group_of(found, "chó nhà tôi bị ốm")
    assert dog["count"] == 2 and dog["id"] != g["id"]
    with console.store.unit(readonly=True) as unit:
        oldest = min(r.id for r in unit.session.exec(select(Unanswered)).all()
                     if r.question in DELETE and r.id is not None)
    assert g["id"] == oldest
    assert [x["count"] for x in found] == sorted((x["count"] for x in found), reverse=True)  # type: ignore[misc]
    for key in ("first_seen", "last_seen"):
        dt.datetime.fromisoformat(str(g[key]))


async def test_feedback_no_shows_the_entry_given(console: Console) -> None:
    user = f"web-{uuid.uuid4().hex}"
    match = await ask(console, "quên mật khẩu vneid", user)
    assert match["kind"] == "faq"
    r = await console.client.post("/api/v1/chat", json={"user_id": user, "payload": f"fn-{match['id']}"})
    assert r.status_code == 200
    given = [e for g in await groups(console) for e in g["given_entries"]]  # type: ignore[attr-defined]
    assert any(e["id"] == match["id"] and e["title"] for e in given)


async def test_add_phrasing_then_the_chat_answers_with_that_entry(console: Console) -> None:
    g = group_of(await groups(console), DELETE[0])
    before = versions(console)
    r = await console.client.post(f"{API}/{g['id']}/add-phrasing", json={"entry_id": "unlock_account"},
                                  headers=console.auth("editor"))
    assert r.status_code == 200, r.text
    assert r.json()["added"] == [DELETE[0]] and r.json()["resolved"] == 3
    assert versions(console) == before + 1
    with console.store.unit(readonly=True) as unit:
        row = unit.content_row(kind="faq", id="unlock_account")
        assert row is not None and row.data["questions"][-1] == DELETE[0] and row.updated_by == "test-editor"
        closed = unit.session.exec(select(Unanswered).where(col(Unanswered.id) == g["id"])).one()
        assert closed.status == "resolved" and closed.resolved_by == "test-editor"
        assert closed.resolution == "phrasing:faq/unlock_account" and closed.resolved_at is not None
        assert unit.session.exec(select(AuditEntry).where(col(AuditEntry.action) == "inbox_add_phrasing")).first()
    # The group is gone; asking again (any wording of it) now gets that entry.
    assert all(DELETE[0] not in x["examples"] for x in await groups(console))  # type: ignore[operator]
    for text in DELETE:
        match = await ask(console, text)
        assert (match["kind"], match["id"]) == ("faq", "unlock_account"), text
    # The same group again: 404, nothing saved.
    r = await console.client.post(f"{API}/{g['id']}/add-phrasing", json={"entry_id": "unlock_account"},
                                  headers=console.auth("editor"))
    assert r.status_code == 404 and "error" in r.json()


async def test_create_entry_validates_then_creates(console: Console) -> None:
    await ask(console, "vneid có trò chơi không")
    g = group_of(await groups(console), "vneid có trò chơi không")
    before = versions(console)
    bad = await console.client.post(f"{API}/{g['id']}/create-entry", headers=console.auth("editor"), json={
        "title": "x", "answer": "ngắn", "source": "", "reviewed": "hôm qua"})
    assert bad.status_code == 422
    fields = {d["loc"][-1] for d in bad.json()["detail"]}
    assert {"title", "answer", "source", "reviewed"} <= fields
    assert versions(console) == before
    ok = await console.client.post(f"{API}/{g['id']}/create-entry", headers=console.auth("admin"), json={
        "title": "VNeID không có trò chơi", "answer": "VNeID là ứng dụng định danh điện tử, không có trò chơi.",
        "source": "Bộ Công an", "reviewed": "2026-12-01"})
    assert ok.status_code == 201, ok.text
    entry_id = ok.json()["entry_id"]
    assert entry_id == "vneid_khong_co_tro_choi"
    match = await ask(console, "vneid có trò chơi không")
    assert (match["kind"], match["id"]) == ("faq", entry_id)


async def test_offtopic_existing_and_dismiss(console: Console) -> None:
    g = group_of(await groups(console), "chó nhà tôi bị ốm")
    r = await console.client.post(f"{API}/{g['id']}/offtopic", headers=console.auth("editor"),
                                  json={"entry_id": "unlock_account"})
    assert r.status_code == 422 and "off-topic" in r.json()["error"]
    entries = await console.client.get(f"{API}/entries", params={"q": "", "kind": "offtopic"},
                                       headers=console.auth("viewer"))
    assert entries.json() == {"entries": []}
    with console.store.unit(readonly=True) as unit:
        offtopic_id = next(r.id for r in unit.content_rows(kind="faq") if r.data.get("kind") == "offtopic")
    r = await console.client.post(f"{API}/{g['id']}/offtopic", headers=console.auth("editor"),
                                  json={"entry_id": offtopic_id})
    assert r.status_code == 200, r.text
    assert (await ask(console, "chó nhà tôi bị ốm"))["kind"] == "offtopic"
    await ask(console, "bà con xóm tôi muốn hỏi chuyện cái giếng chung")
    g = group_of(await groups(console), "bà con xóm tôi muốn hỏi chuyện cái giếng chung")
    r = await console.client.post(f"{API}/{g['id']}/dismiss", headers=console.auth("editor"))
    assert r.status_code == 200 and r.json()["resolved"] == 1
    with console.store.unit(readonly=True) as unit:
        row = unit.session.exec(select(Unanswered).where(col(Unanswered.id) == g["id"])).one()
        assert (row.status, row.resolution) == ("dismissed", "dismissed")


async def test_offtopic_new_entry(console: Console) -> None:
    await ask(console, "con mèo của tôi bỏ ăn")
    g = group_of(await groups(console), "con mèo của tôi bỏ ăn")
    r = await console.client.post(f"{API}/{g['id']}/offtopic", headers=console.auth("editor"), json={
        "title": "Thú cưng", "answer": "Mình chỉ hỗ trợ VNeID và dịch vụ công, chưa giúp được về thú cưng ạ.",
        "source": "Trợ lý 06", "reviewed": "2026-12-01"})
    assert r.status_code == 200, r.text
    with console.store.unit(readonly=True) as unit:
        row = unit.content_row(kind="faq", id=r.json()["entry_id"])
        assert row is not None and row.data["kind"] == "offtopic"


async def test_entry_search_folds_diacritics(console: Console) -> None:
    for q in ("mat khau", "mật khẩu", "MẬT KHẨU"):
        r = await console.client.get(f"{API}/entries", params={"q": q}, headers=console.auth("viewer"))
        assert r.status_code == 200
        ids = [e["id"] for e in r.json()["entries"]]
        assert "wrong_password_locked" in ids and all(e["kind"] == "faq" for e in r.json()["entries"])
    r = await console.client.get(f"{API}/entries", params={"q": "x" * 201}, headers=console.auth("viewer"))
    assert r.status_code == 422


@pytest.mark.parametrize("body", [
    {}, {"entry_id": ""}, {"entry_id": 5}, {"entry_id": ["a"]}, {"entry_id": "a", "extra": 1},
    {"entry_id": "a", "questions": "not a list"}, {"entry_id": "a" * 100_000},
])
async def test_bad_bodies_are_refused_and_save_nothing(console: Console, body: object) -> None:
    await ask(console, "xin giấy phép nuôi chim yến ở xã")
    g = group_of(await groups(console), "xin giấy phép nuôi chim yến ở xã")
    before = versions(console), open_rows(console)
    r = await console.client.post(f"{API}/{g['id']}/add-phrasing", json=body, headers=console.auth("editor"))
    assert r.status_code in (413, 422), r.text
    assert "error" in r.json()
    assert (versions(console), open_rows(console)) == before


async def test_bad_choices_are_refused(console: Console) -> None:
    g = group_of(await groups(console), "xin giấy phép nuôi chim yến ở xã")
    before = versions(console), open_rows(console)
    for body in ({"entry_id": "no_such_entry"}, {"entry_id": "unlock_account", "questions": ["something else"]}):
        r = await console.client.post(f"{API}/{g['id']}/add-phrasing", json=body, headers=console.auth("editor"))
        assert r.status_code == 422, r.text
    r = await console.client.post(f"{API}/abc/add-phrasing", json={"entry_id": "x"}, headers=console.auth("editor"))
    assert r.status_code == 422
    r = await console.client.post(f"{API}/999999/dismiss", headers=console.auth("editor"))
    assert r.status_code == 404
    r = await console.client.post(f"{API}/{g['id']}/add-phrasing", content=b"{not json",
                                  headers={**console.auth("editor"), "content-type": "application/json"})
    assert r.status_code == 400 and "error" in r.json()
    assert (versions(console), open_rows(console)) == before


@pytest.mark.parametrize(("method", "path"), [
    ("GET", API), ("GET", f"{API}/entries?q=otp"),
    ("POST", f"{API}/999999/add-phrasing"), ("POST", f"{API}/999999/create-entry"),
    ("POST", f"{API}/999999/offtopic"), ("POST", f"{API}/999999/dismiss"),
])
@pytest.mark.parametrize("role", ["admin", "editor", "viewer", "member", None])
async def test_roles(console: Console, method: str, path: str, role: str | None) -> None:
    headers = console.auth(role) if role else {}
    r = await console.client.request(method, path, headers=headers, json={} if method == "POST" else None)
    if role is None:
        assert r.status_code == 401
    elif role == "member" or (method == "POST" and role == "viewer"):
        assert r.status_code == 403
    elif method == "GET":
        assert r.status_code == 200
    else:
        assert r.status_code in (404, 422)  # allowed in; the group does not exist or the body is empty


# -- the page ------------------------------------------------------------------------------------


async def test_page_roles_and_no_js_flow(console: Console, browser: httpx.AsyncClient) -> None:
    assert (await browser.get("/admin/inbox")).status_code == 303
    await console.login(browser, "viewer")
    page = await browser.get("/admin/inbox")
    assert page.status_code == 200 and "Câu chưa trả lời" in page.text
    assert "add-phrasing" not in page.text  # a viewer sees no actions
    await browser.post("/admin/logout", data={"csrf_token": csrf_of(page.text)})

    await console.login(browser, "member")
    assert (await browser.get("/admin/inbox")).status_code == 403
    await console.login(browser, "editor")
    await ask(console, "xin lịch tiêm phòng dại")
    g = group_of(await groups(console), "xin lịch tiêm phòng dại")
    page = await browser.get("/admin/inbox")
    assert f'id="g{g["id"]}"' in page.text
    # The no-JS search: GET with group and q fills that group's picker.
    found = await browser.get("/admin/inbox", params={"group": g["id"], "q": "bao hiem y te tre"})
    picker = re.search(rf'id="pick-{g["id"]}".*?</select>', found.text, re.S)
    assert picker is not None and 'value="newborn_bhyt"' in picker.group(0)
    token = csrf_of(page.text)
    # Without the CSRF token: refused, nothing changes.
    r = await browser.post(f"/admin/inbox/{g['id']}/add-phrasing", data={"entry_id": "newborn_bhyt"})
    assert r.status_code == 403
    # Bad input: the page again with the message, nothing saved.
    before = versions(console)
    r = await browser.post(f"/admin/inbox/{g['id']}/create-entry", data={"csrf_token": token, "title": ""})
    assert r.status_code == 422 and 'role="alert"' in r.text and versions(console) == before
    r = await browser.post(f"/admin/inbox/{g['id']}/add-phrasing", data={"csrf_token": token, "entry_id": ""})
    assert r.status_code == 422 and versions(console) == before
    r = await browser.post(f"/admin/inbox/{g['id']}/offtopic", data={"csrf_token": token, "answer": "x" * 100_000})
    assert r.status_code in (413, 422) and versions(console) == before
    r = await browser.post(f"/admin/inbox/{g['id']}/offtopic", data={"csrf_token": token})
    assert r.status_code == 422 and 'role="alert"' in r.text and versions(console) == before
    r = await browser.post(f"/admin/inbox/{g['id']}/add-phrasing",
                           data={"csrf_token": token, "entry_id": "newborn_bhyt",
                                 "questions": [str(g["question"])]})
    assert r.status_code == 303 and r.headers["location"].startswith("/admin/inbox?done=phrasing")
    assert "Đã thêm cách hỏi" in (await browser.get(r.headers["location"])).text
    match = await ask(console, "xin lịch tiêm phòng dại")
    assert (match["kind"], match["id"]) == ("faq", "newborn_bhyt")
    r = await browser.post(f"/admin/inbox/{g['id']}/dismiss", data={"csrf_token": token})
    assert r.status_code == 404 and 'role="alert"' in r.text
