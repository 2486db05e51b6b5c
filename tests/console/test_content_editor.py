"""Editing content over HTTP: the REST API and the pages, every route × role, bad input, 409, versions, live."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import httpx
import pytest

from api.store.models import Unanswered
from tests.console.conftest import Console, csrf_of

API = "/api/v1/admin"
FAQ_ID = "hotline_c06"

READ_ROUTES = [
    f"{API}/faq", f"{API}/faq/{FAQ_ID}", f"{API}/faq/{FAQ_ID}/versions",
    f"{API}/flows", f"{API}/flows/l2", f"{API}/flows/l2/versions",
    f"{API}/services", f"{API}/services/birth_reg", f"{API}/services/birth_reg/versions",
    f"{API}/texts", f"{API}/texts/welcome", f"{API}/texts/welcome/versions",
]
WRITE_ROUTES = [
    ("PUT", f"{API}/faq/{FAQ_ID}"), ("POST", f"{API}/faq"), ("POST", f"{API}/faq/{FAQ_ID}/versions/1/restore"),
    ("PUT", f"{API}/flows/l2"), ("POST", f"{API}/flows"), ("POST", f"{API}/flows/l2/versions/1/restore"),
    ("PUT", f"{API}/services/birth_reg"), ("POST", f"{API}/services"),
    ("POST", f"{API}/services/birth_reg/versions/1/restore"),
    ("PUT", f"{API}/texts/welcome"), ("POST", f"{API}/texts/welcome/versions/1/restore"),
]
PAGES = ["/admin/faq", f"/admin/faq/{FAQ_ID}", f"/admin/faq/{FAQ_ID}/versions", "/admin/faq/new",
         "/admin/flows", "/admin/flows/l2", "/admin/flows/l2/versions",
         "/admin/services", "/admin/services/birth_reg", "/admin/services/birth_reg/versions",
         "/admin/texts", "/admin/texts/welcome", "/admin/texts/welcome/versions", "/admin/review"]


async def _get(console: Console, path: str, role: str = "viewer") -> dict[str, Any]:
    r = await console.client.get(path, headers=console.auth(role))
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


async def _chat(console: Console, user: str, **message: str) -> dict[str, Any]:
    r = await console.client.post("/api/v1/chat", json={"user_id": user, **message})
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


# -- roles ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", READ_ROUTES)
async def test_readers_read_members_and_strangers_do_not(console: Console, path: str) -> None:
    for role in ("admin", "editor", "viewer"):
        assert (await console.client.get(path, headers=console.auth(role))).status_code == 200, role
    assert (await console.client.get(path, headers=console.auth("member"))).status_code == 403
    anonymous = await console.client.get(path)
    assert anonymous.status_code == 401 and anonymous.json()["error"]


@pytest.mark.parametrize(("method", "path"), WRITE_ROUTES)
async def test_only_editors_write(console: Console, method: str, path: str) -> None:
    for role in ("viewer", "member"):
        r = await console.client.request(method, path, json={"version": 1}, headers=console.auth(role))
        assert r.status_code == 403, (role, r.text)
    assert (await console.client.request(method, path, json={"version": 1})).status_code == 401


@pytest.mark.parametrize("path", PAGES)
async def test_pages_by_role(console: Console, browser: httpx.AsyncClient, path: str) -> None:
    anonymous = await browser.get(path)
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/admin/login?next=")
    await console.login(browser, "member")
    assert (await browser.get(path)).status_code == 403
    await console.login(browser, "viewer")
    page = await browser.get(path)
    expected = 403 if path.endswith("/new") else 200
    assert page.status_code == expected, page.text[:300]
    if expected == 200:
        assert 'type="submit" class="primary">Lưu' not in page.text  # a viewer gets no save button
    await console.login(browser, "editor")
    assert (await browser.get(path)).status_code == 200


# -- REST: read, search, save, 409, 422, versions, restore, live ---------------------------------------


async def test_search_without_diacritics_and_filters(console: Console) -> None:
    found = await _get(console, f"{API}/faq?q=tong dai")
    assert FAQ_ID in [i["id"] for i in found["items"]] and found["total"] == len(found["items"])
    assert (await _get(console, f"{API}/faq?q=tổng+đài"))["total"] == found["total"]
    tagged = await _get(console, f"{API}/faq?tag=tong_dai")
    assert tagged["items"] and all("tong_dai" in i["tags"] for i in tagged["items"])
    assert (await _get(console, f"{API}/faq?q=khongcotunaynhe"))["items"] == []
    sectors = {i["sector"] for i in (await _get(console, f"{API}/services"))["items"]}
    one = sorted(s for s in sectors if s)[0]
    assert {i["sector"] for i in (await _get(console, f"{API}/services?sector={one}"))["items"]} == {one}
    texts = await _get(console, f"{API}/texts?q=xin chao")
    assert "welcome" in [i["id"] for i in texts["items"]]
    bad = await console.client.get(f"{API}/faq?review=soon", headers=console.auth("viewer"))
    assert bad.status_code == 422


async def test_get_shows_the_whole_entry_with_its_version(console: Console) -> None:
    entry = await _get(console, f"{API}/faq/{FAQ_ID}")
    assert entry["id"] == FAQ_ID and entry["status"] == "published"
    assert {"version", "updated_by", "updated_at", "edited", "answer", "questions", "reviewed"} <= set(entry)
    r = await console.client.get(f"{API}/faq/no_such_entry", headers=console.auth("viewer"))
    assert r.status_code == 404 and "no_such_entry" in r.json()["error"]


async def test_a_save_is_live_at_once_and_a_stale_version_is_refused(console: Console) -> None:
    entry = await _get(console, f"{API}/faq/{FAQ_ID}")
    entry["answer"] = "Tổng đài hỗ trợ định danh điện tử của Bộ Công an là 1900 0368 (bản đã sửa)."
    saved = await console.client.put(f"{API}/faq/{FAQ_ID}", json=entry, headers=console.auth("editor"))
    assert saved.status_code == 200, saved.text
    assert saved.json()["version"] == entry["version"] + 1 and saved.json()["edited"] is True
    assert saved.json()["updated_by"] == "test-editor"

    answer = await _chat(console, "live-1", payload=f"q-{FAQ_ID}")
    assert answer["replies"][0]["text"].startswith("Tổng đài hỗ trợ định danh điện tử của Bộ Công an là 1900 0368 (bản đã sửa).")

    # Another editor still holds the old version: 409 with the current entry and who changed it.
    entry["answer"] = "Một câu trả lời khác, viết từ phiên bản cũ."
    stale = await console.client.put(f"{API}/faq/{FAQ_ID}", json=entry, headers=console.auth("admin"))
    assert stale.status_code == 409
    body = stale.json()
    assert body["changed_by"] == "test-editor" and body["current"]["version"] == saved.json()["version"]
    assert "(bản đã sửa)" in body["current"]["answer"] and body["error"]
    assert (await _get(console, f"{API}/faq/{FAQ_ID}"))["answer"] == saved.json()["answer"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"answer": ""}, "answer"),
        ({"answer": 12345}, "answer"),
        ({"answer": "x" * 5000}, "answer"),
        ({"questions": "not a list"}, "questions"),
        ({"questions": []}, "questions"),
        ({"reviewed": "2026-13-45"}, "reviewed"),
        ({"valid_from": "2027-01-01", "valid_until": "2026-01-01"}, "entry"),
        ({"status": "secret"}, "status"),
        ({"surprise": 1}, "surprise"),
        ({"version": "one"}, "version"),
        ({"version": None}, "version"),
        ({"id": "another_id"}, "id"),
    ],
)
async def test_invalid_entries_are_refused_with_the_field(console: Console, change: dict[str, Any], field: str) -> None:
    entry = await _get(console, f"{API}/faq/help_where")
    r = await console.client.put(f"{API}/faq/help_where", json={**entry, **change}, headers=console.auth("editor"))
    assert r.status_code == 422, r.text
    assert field in [e["field"].split(".")[0] for e in r.json()["errors"]], r.json()
    assert all(e["message"] for e in r.json()["errors"])
    assert (await _get(console, f"{API}/faq/help_where"))["version"] == entry["version"]


async def test_bodies_that_are_not_an_entry(console: Console) -> None:
    url = f"{API}/faq/help_where"
    auth = console.auth("editor")
    assert (await console.client.put(url, json=[1, 2], headers=auth)).status_code == 422
    assert (await console.client.put(url, content=b"{not json", headers={**auth, "content-type": "application/json"})).status_code in (400, 422)
    assert (await console.client.put(url, headers=auth)).status_code == 422
    big = await console.client.put(url, json={"answer": "x" * 100_000, "version": 1}, headers=auth)
    assert big.status_code == 413 and big.json()["error"]
    unknown = await console.client.put(f"{API}/faq/no_such_entry", json={"version": 1}, headers=auth)
    assert unknown.status_code == 404


async def test_create_then_duplicate(console: Console) -> None:
    new = {"id": "test_new_entry", "title": "Câu mới", "questions": ["câu hỏi mới về thẻ căn cước gắn chip"],
           "answer": "Một câu trả lời mới đủ dài để hợp lệ.", "source": "Nguồn thử", "reviewed": "2026-11-30",
           "status": "draft"}
    r = await console.client.post(f"{API}/faq", json=new, headers=console.auth("editor"))
    assert r.status_code == 201, r.text
    assert r.json()["version"] == 1 and r.json()["status"] == "draft"
    again = await console.client.post(f"{API}/faq", json=new, headers=console.auth("editor"))
    assert again.status_code == 409 and again.json()["current"]["id"] == "test_new_entry"
    # A draft is kept but never served.
    reply = await _chat(console, "draft-1", payload="q-test_new_entry")
    assert reply["match"]["kind"] == "fallback"
    published = {**r.json(), "status": "published"}
    assert (await console.client.put(f"{API}/faq/test_new_entry", json=published,
                                     headers=console.auth("editor"))).status_code == 200
    reply = await _chat(console, "draft-2", payload="q-test_new_entry")
    assert reply["match"] == {"kind": "faq", "id": "test_new_entry", "score": None}
    missing = await console.client.post(f"{API}/faq", json={"title": "x"}, headers=console.auth("editor"))
    assert missing.status_code == 422 and missing.json()["errors"][0]["field"] == "id"


async def test_versions_diff_and_restore(console: Console) -> None:
    url = f"{API}/faq/fee_residence"
    first = await _get(console, url)
    changed = {**first, "answer": first["answer"] + "\nDòng thêm để thử khôi phục."}
    saved = (await console.client.put(url, json=changed, headers=console.auth("editor"))).json()
    versions = await console.client.get(f"{url}/versions", headers=console.auth("viewer"))
    listed = versions.json()
    assert [v["version"] for v in listed] == [saved["version"], first["version"]]
    assert listed[0]["action"] == "edit" and listed[0]["by"] == "test-editor"
    assert re.search(r"^\+\s+Dòng thêm để thử khôi phục\.$", listed[0]["diff"], re.M), listed[0]["diff"]

    stale = await console.client.post(f"{url}/versions/{first['version']}/restore", json={"version": first["version"]},
                                      headers=console.auth("editor"))
    assert stale.status_code == 409
    restored = await console.client.post(f"{url}/versions/{first['version']}/restore",
                                         json={"version": saved["version"]}, headers=console.auth("editor"))
    assert restored.status_code == 200, restored.text
    assert restored.json()["answer"] == first["answer"] and restored.json()["version"] == saved["version"] + 1
    assert (await console.client.get(f"{url}/versions", headers=console.auth("viewer"))).json()[0]["action"] == "restore"
    missing = await console.client.post(f"{url}/versions/999/restore", json={"version": restored.json()["version"]},
                                        headers=console.auth("editor"))
    assert missing.status_code == 404
    no_version = await console.client.post(f"{url}/versions/1/restore", json={}, headers=console.auth("editor"))
    assert no_version.status_code == 422 and no_version.json()["errors"][0]["field"] == "version"


async def test_a_flow_that_would_break_is_refused(console: Console) -> None:
    flow = await _get(console, f"{API}/flows/l2")
    step = next(s for s in flow["steps"] if s.get("next"))
    step["next"] = "nowhere"
    r = await console.client.put(f"{API}/flows/l2", json=flow, headers=console.auth("editor"))
    assert r.status_code == 422
    assert any(e["field"] == f"steps.{step['id']}" and "nowhere" in e["message"] for e in r.json()["errors"])
    assert (await _get(console, f"{API}/flows/l2"))["version"] == flow["version"]


async def test_an_edited_greeting_is_what_start_answers(console: Console) -> None:
    text = await _get(console, f"{API}/texts/welcome")
    assert text["text"] == text["default"] and text["label"]
    r = await console.client.put(f"{API}/texts/welcome", json={**text, "text": "Chào bà con! Tôi là Trợ lý 06 của xã."},
                                 headers=console.auth("editor"))
    assert r.status_code == 200, r.text
    reply = await _chat(console, "greet-1", text="/start")
    assert reply["replies"][0]["text"] == "Chào bà con! Tôi là Trợ lý 06 của xã."
    bad = await console.client.put(f"{API}/texts/resume_offer",
                                   json={**(await _get(console, f"{API}/texts/resume_offer")), "text": "Tiếp {oops}"},
                                   headers=console.auth("editor"))
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "text"
    assert (await console.client.get(f"{API}/texts/nope", headers=console.auth("viewer"))).status_code == 404
    restored = await console.client.post(f"{API}/texts/welcome/versions/1/restore", json={"version": r.json()["version"]},
                                         headers=console.auth("editor"))
    assert restored.json()["text"] == text["default"]


async def test_writes_are_audited(console: Console) -> None:
    from sqlmodel import col, select

    from api.store.models import AuditEntry

    with console.store.unit(readonly=True) as unit:
        rows = unit.session.exec(select(AuditEntry).where(col(AuditEntry.action).startswith("content_"))).all()
    assert {"content_edit", "content_create", "content_restore"} <= {r.action for r in rows}
    assert all(r.target and r.username for r in rows)


# -- pages ------------------------------------------------------------------------------------------


async def _form(browser: httpx.AsyncClient, path: str) -> tuple[str, dict[str, str]]:
    page = await browser.get(path)
    assert page.status_code == 200, page.text[:300]
    fields = dict(re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', page.text))
    for name, body in re.findall(r'<textarea name="([^"]+)"[^>]*>(.*?)</textarea>', page.text, re.S):
        fields[name] = _unescape(body)
    for name, options in re.findall(r'<select name="([^"]+)">(.*?)</select>', page.text, re.S):
        chosen = re.search(r'value="([^"]*)" selected', options)
        fields[name] = chosen.group(1) if chosen else ""
    fields = {k: _unescape(v) for k, v in fields.items()}
    return page.text, fields


def _unescape(text: str) -> str:
    import html

    return html.unescape(text)


async def test_edit_form_saves_and_shows_errors_next_to_fields(console: Console, browser: httpx.AsyncClient) -> None:
    await console.login(browser, "editor")
    path = "/admin/faq/help_where"
    html, fields = await _form(browser, path)
    assert "data-preview" in html
    before = (await _get(console, f"{API}/faq/help_where"))["version"]
    for change, field, message in [
        ({"answer": ""}, "answer", "at least"),
        ({"answer": "y" * 60_000}, "answer", "at most"),
        ({"reviewed": "31/02/2026"}, "reviewed", "date"),
        ({"valid_from": "2027-05-01", "valid_until": "2026-05-01"}, "valid_until", "valid_from"),
        ({"questions": "   \n  "}, "questions", "at least"),
        ({"version": "abc"}, "form", "phiên bản"),
    ]:
        r = await browser.post(path, data={**fields, **change})
        assert r.status_code == 422, (change, r.status_code)
        pattern = rf'name="{field}".*?<span class="field-error"[^>]*>[^<]*{message}' if field != "form" else message
        assert re.search(pattern, r.text, re.S | re.I), (change, r.text[:2000])
        if "answer" in change and change["answer"]:
            assert "y" * 100 in r.text  # what was typed stays in the form
    too_big = await browser.post(path, data={**fields, "answer": "z" * 100_000})
    assert too_big.status_code == 422
    assert re.search(r'name="answer".*?<span class="field-error"[^>]*>[^<]*at most', too_big.text, re.S | re.I)
    assert (await _get(console, f"{API}/faq/help_where"))["version"] == before

    fields["answer"] = "Bạn đến Công an cấp xã nơi bạn ở để được hướng dẫn trực tiếp (đã sửa trên trang)."
    saved = await browser.post(path, data=fields)
    assert saved.status_code == 303 and saved.headers["location"] == f"{path}?saved=1"
    page = await browser.get(saved.headers["location"])
    assert "Đã lưu" in page.text and "(đã sửa trên trang)" in page.text
    assert (await _get(console, f"{API}/faq/help_where"))["version"] == before + 1


async def test_a_form_post_without_csrf_is_refused(console: Console, browser: httpx.AsyncClient) -> None:
    await console.login(browser, "editor")
    _, fields = await _form(browser, "/admin/texts/thanks")
    fields.pop("csrf_token")
    r = await browser.post("/admin/texts/thanks", data={**fields, "text": "Cảm ơn bạn nhé."})
    assert r.status_code == 403
    assert (await _get(console, f"{API}/texts/thanks"))["text"] != "Cảm ơn bạn nhé."


async def test_a_stale_form_shows_both_versions_and_keeps_the_typed_text(console: Console,
                                                                           browser: httpx.AsyncClient) -> None:
    await console.login(browser, "editor")
    path = "/admin/faq/portal_hotline"
    _, fields = await _form(browser, path)
    entry = await _get(console, f"{API}/faq/portal_hotline")
    other = await console.client.put(f"{API}/faq/portal_hotline", json={**entry, "answer": entry["answer"] + " (bản của admin)"},
                                     headers=console.auth("admin"))
    assert other.status_code == 200
    fields["answer"] = "Câu trả lời tôi đang gõ dở, rất quan trọng."
    r = await browser.post(path, data=fields)
    assert r.status_code == 409
    assert "Có người vừa sửa" in r.text and "test-admin" in r.text and "(bản của admin)" in r.text
    assert "Câu trả lời tôi đang gõ dở, rất quan trọng." in r.text
    assert f'name="version" value="{other.json()["version"]}"' in r.text
    assert "(bản của admin)" in (await _get(console, f"{API}/faq/portal_hotline"))["answer"]


async def test_flow_form_refuses_a_broken_flow_next_to_the_step(console: Console, browser: httpx.AsyncClient) -> None:
    await console.login(browser, "editor")
    html, fields = await _form(browser, "/admin/flows/l2")
    key = next(k for k in fields if k.endswith(".next"))
    step = key.split(".")[1]
    r = await browser.post("/admin/flows/l2", data={**fields, key: "nowhere"})
    assert r.status_code == 422
    assert re.search(rf'id="step-{step}".*?field-error[^>]*>[^<]*nowhere', r.text, re.S)
    text_key = next(k for k in fields if k.endswith(".text"))
    ok = await browser.post("/admin/flows/l2", data={**fields, text_key: fields[text_key] + " Thêm một câu."})
    assert ok.status_code == 303


async def test_service_and_text_forms(console: Console, browser: httpx.AsyncClient) -> None:
    await console.login(browser, "editor")
    html, fields = await _form(browser, "/admin/services/birth_reg")
    channels = re.findall(r'name="channels" value="([^"]+)" checked', html)
    data: dict[str, Any] = {**fields, "channels": channels}
    r = await browser.post("/admin/services/birth_reg", data={**data, "title": ""})
    assert r.status_code == 422 and "field-error" in r.text
    r = await browser.post("/admin/services/birth_reg", data={**data, "channels": []})
    assert r.status_code == 422
    r = await browser.post("/admin/services/birth_reg", data={**data, "summary": fields["summary"] + " Đã rà soát."})
    assert r.status_code == 303
    _, text_fields = await _form(browser, "/admin/texts/menu")
    r = await browser.post("/admin/texts/menu", data={**text_fields, "text": "{bad"})
    assert r.status_code == 422 and "field-error" in r.text
    r = await browser.post("/admin/texts/menu", data={**text_fields, "text": "Bạn cần gì? Chọn bên dưới nhé."})
    assert r.status_code == 303
    assert (await _chat(console, "menu-1", text="menu"))["replies"][0]["text"] == "Bạn cần gì? Chọn bên dưới nhé."


async def test_new_entry_form(console: Console, browser: httpx.AsyncClient) -> None:
    await console.login(browser, "editor")
    _, fields = await _form(browser, "/admin/faq/new")
    fields.update({"id": "form_new_entry", "title": "Câu qua form", "questions": "hỏi qua form\nmột cách hỏi khác",
                   "answer": "Câu trả lời tạo từ form quản trị.", "source": "Nguồn thử"})
    r = await browser.post("/admin/faq/new", data={**fields, "id": "Bad Id!"})
    assert r.status_code == 422 and re.search(r'name="id".*?field-error', r.text, re.S)
    r = await browser.post("/admin/faq/new", data=fields)
    assert r.status_code == 303 and r.headers["location"] == "/admin/faq/form_new_entry?saved=1"
    assert (await _get(console, f"{API}/faq/form_new_entry"))["status"] == "draft"
    again = await browser.post("/admin/faq/new", data=fields)
    assert again.status_code == 409 and "đã có" in again.text


async def test_preview_is_what_the_chat_shows(console: Console, browser: httpx.AsyncClient) -> None:
    await console.login(browser, "viewer")
    _, fields = await _form(browser, "/admin/faq/hotline_c06")
    fields["answer"] = "Câu xem trước " + "rất dài " * 100
    csrf = fields.pop("csrf_token")
    r = await browser.post("/admin/faq/preview", data=fields, headers={"X-CSRF-Token": csrf})
    assert r.status_code == 200
    assert "Câu xem trước" in r.text and "Nguồn:" in r.text
    assert "Đúng ý tôi" in r.text and "Về menu chính" in r.text
    assert re.search(r"\d+ / ~700 ký tự", r.text) and "dài hơn một màn hình" in r.text
    broken = await browser.post("/admin/faq/preview", data={**fields, "reviewed": "x"}, headers={"X-CSRF-Token": csrf})
    assert broken.status_code == 200 and "Chưa xem trước được" in broken.text
    assert (await browser.post("/admin/faq/preview", data=fields)).status_code == 403  # no CSRF token
    _, service = await _form(browser, "/admin/services/birth_reg")
    card = await browser.post("/admin/services/birth_reg/preview", data={**service, "channels": ["commune"]},
                              headers={"X-CSRF-Token": csrf})
    assert card.status_code == 200 and "bubble" in card.text


async def test_review_page_lists_due_entries_and_most_marked_wrong(console: Console, browser: httpx.AsyncClient) -> None:
    now = dt.datetime.now(dt.UTC)
    with console.store.unit() as unit:
        for entry_id, n in (("help_where", 3), ("fee_residence", 1)):
            for _ in range(n):
                unit.session.add(Unanswered(reason="feedback_no", entry_id=entry_id, question="?", created_at=now))
        unit.session.add(Unanswered(reason="fallback", entry_id="fee_residence", question="?", created_at=now))
    entry = await _get(console, f"{API}/faq/fee_id_card")
    old = {**entry, "reviewed": "2024-01-01"}
    assert (await console.client.put(f"{API}/faq/fee_id_card", json=old, headers=console.auth("editor"))).status_code == 200
    await console.login(browser, "viewer")
    page = await browser.get("/admin/review")
    assert page.status_code == 200
    wrong = page.text.split("Bị báo «Chưa đúng»")[1].split("</section>")[0]
    assert wrong.index("help_where") < wrong.index("fee_residence")
    assert "<strong>3</strong> lần" in wrong and "<strong>1</strong> lần" in wrong
    assert "/admin/faq/fee_id_card" in page.text
    overdue = await _get(console, f"{API}/faq?review=overdue")
    assert "fee_id_card" in [i["id"] for i in overdue["items"]]


async def test_list_page_filters(console: Console, browser: httpx.AsyncClient) -> None:
    await console.login(browser, "viewer")
    page = await browser.get("/admin/faq", params={"q": "tong dai"})
    assert page.status_code == 200 and f"/admin/faq/{FAQ_ID}" in page.text
    tagged = await browser.get("/admin/faq", params={"tag": "tong_dai", "review": "ok"})
    assert f"/admin/faq/{FAQ_ID}\"" in tagged.text and "/admin/faq/fee_residence\"" not in tagged.text
    texts = await browser.get("/admin/texts")
    assert "/admin/texts/welcome" in texts.text and "/admin/texts/fallback" in texts.text
    assert csrf_of(texts.text)
