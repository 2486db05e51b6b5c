"""The admin API and the console pages: write, preview, schedule, send, follow; roles; bad input is a 4xx."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx

from api.announce.queue import AnnounceRunner
from tests.announce.helpers import subscribe
from tests.console.conftest import Console, csrf_of

WARD = 4
GOOD: dict[str, Any] = {"title": "Hỗ trợ Chủ nhật", "text": "Tối Chủ nhật có tổ hỗ trợ cài VNeID tại nhà văn hóa.",
                        "buttons": [{"label": "Hướng dẫn mức 2", "payload": "f-l2"},
                                    {"label": "Điểm hỗ trợ", "payload": f"sp-w-{WARD}"}],
                        "communes": [WARD]}


async def _create(console: Console, body: dict[str, Any] | None = None, role: str = "admin") -> httpx.Response:
    return await console.client.post("/api/v1/admin/announcements", json=body or GOOD, headers=console.auth(role))


async def test_write_preview_send_and_follow(console: Console) -> None:
    subscribe(console.store, 12, commune=WARD, first=50_000)
    r = await _create(console)
    assert r.status_code == 201, r.text
    made = r.json()
    assert made["status"] == "draft" and made["reach"] >= 12
    preview = made["preview"]
    assert set(preview) == {"telegram", "zalo", "web"}
    assert preview["telegram"]["buttons"][:2] == ["Hướng dẫn mức 2", "Điểm hỗ trợ"]
    assert "1. Hướng dẫn mức 2" in preview["zalo"]["text"]
    assert preview["web"]["text"].startswith("📢 Thông báo (Phường Ba Đình)")
    sent = await console.client.post(f"/api/v1/admin/announcements/{made['id']}/send", headers=console.auth("editor"))
    assert sent.status_code == 202 and sent.json()["status"] == "scheduled"
    again = await console.client.post(f"/api/v1/admin/announcements/{made['id']}/send", headers=console.auth("admin"))
    assert again.status_code == 409
    runner: AnnounceRunner = console.app.state.announce_runner
    await runner.sweep()  # what the lifespan's loop does every two seconds (no Telegram here: skipped)
    got = await console.client.get(f"/api/v1/admin/announcements/{made['id']}", headers=console.auth("viewer"))
    assert got.status_code == 200
    progress = got.json()["progress"]
    assert got.json()["status"] == "done" and progress["total"] >= 12
    assert set(progress) >= {"sent", "failed", "blocked", "left", "pending", "inflight", "unconfirmed"}
    listed = await console.client.get("/api/v1/admin/announcements", headers=console.auth("viewer"))
    assert any(a["id"] == made["id"] for a in listed.json()["announcements"])


async def test_schedule_in_vietnam_time_and_cancel(console: Console) -> None:
    made = (await _create(console)).json()
    local = (dt.datetime.now(dt.UTC) + dt.timedelta(days=1)).astimezone(dt.timezone(dt.timedelta(hours=7)))
    naive = local.replace(tzinfo=None, microsecond=0).isoformat()
    r = await console.client.post(f"/api/v1/admin/announcements/{made['id']}/send", json={"send_at": naive},
                                  headers=console.auth("admin"))
    assert r.status_code == 202
    assert dt.datetime.fromisoformat(r.json()["send_at"]) == local.replace(microsecond=0)
    cancel = await console.client.post(f"/api/v1/admin/announcements/{made['id']}/cancel", headers=console.auth("admin"))
    assert cancel.status_code == 200 and cancel.json()["status"] == "cancelled"
    assert (await console.client.post(f"/api/v1/admin/announcements/{made['id']}/cancel",
                                      headers=console.auth("admin"))).status_code == 409


async def test_bad_input_and_roles(console: Console) -> None:
    for bad in ({**GOOD, "communes": [99999999]}, {**GOOD, "text": ""}, {**GOOD, "image_url": "javascript:alert(1)"},
                {**GOOD, "buttons": [{"label": "x", "payload": "c-delete_yes"}]},
                {**GOOD, "buttons": [{"label": "x", "payload": "f-l2"}] * 4}, {**GOOD, "extra": 1},
                {**GOOD, "communes": ["4"]}):
        r = await _create(console, bad)
        assert r.status_code == 422, (bad, r.text)
    assert (await _create(console, role="member")).status_code == 403
    assert (await _create(console, role="viewer")).status_code == 403
    assert (await console.client.post("/api/v1/admin/announcements", json=GOOD)).status_code == 401
    assert (await console.client.get("/api/v1/admin/announcements/999999", headers=console.auth("admin"))).status_code == 404
    made = (await _create(console)).json()
    past = {"send_at": "2020-01-01T08:00:00"}
    assert (await console.client.post(f"/api/v1/admin/announcements/{made['id']}/send", json=past,
                                      headers=console.auth("admin"))).status_code == 422
    assert (await console.client.post(f"/api/v1/admin/announcements/{made['id']}/send", json={"send_at": "soon"},
                                      headers=console.auth("admin"))).status_code == 422


async def test_console_pages(console: Console, browser: httpx.AsyncClient) -> None:
    await console.login(browser, "editor")
    page = await browser.get("/admin/announcements")
    assert page.status_code == 200 and "Viết thông báo" in page.text
    token = csrf_of(page.text)
    form = {"csrf_token": token, "title": "Lịch hỗ trợ", "text": "Sáng thứ Bảy có tổ hỗ trợ định danh mức 2.",
            "image_url": "", "buttons": "Hướng dẫn mức 2 | f-l2", "communes": str(WARD)}
    bad = await browser.post("/admin/announcements", data={**form, "buttons": "không có mã"})
    assert bad.status_code == 422 and "Nhãn | mã" in bad.text
    bad_button = await browser.post("/admin/announcements", data={**form, "buttons": "Xóa | c-delete_yes"})
    assert bad_button.status_code == 422 and "mã nút" in bad_button.text
    empty = await browser.post("/admin/announcements", data={**form, "text": "  "})
    assert empty.status_code == 422 and "nội dung" in empty.text
    bad_code = await browser.post("/admin/announcements", data={**form, "communes": "abc"})
    assert bad_code.status_code == 422 and "phải là số" in bad_code.text
    made = await browser.post("/admin/announcements", data=form)
    assert made.status_code == 303
    detail_url = made.headers["location"]
    detail = await browser.get(detail_url)
    assert detail.status_code == 200
    for label in ("Telegram", "Zalo", "Trang chat", "Tiến độ", "Sáng thứ Bảy", "Chưa xác nhận"):
        assert label in detail.text
    assert '<script src="/admin/static/announce.js"' in detail.text
    progress = await browser.get(detail_url + "/progress")
    assert progress.status_code == 200 and progress.json()["status"] == "draft"
    assert progress.json()["progress"]["unconfirmed"] == 0  # announce.js fills the «Chưa xác nhận» cell from it
    send = await browser.post(detail_url + "/send", data={"csrf_token": token, "send_at": ""})
    assert send.status_code == 303
    assert (await browser.get(detail_url + "/progress")).json()["status"] in ("scheduled", "sending", "done")
    no_csrf = await browser.post(detail_url + "/cancel", data={})
    assert no_csrf.status_code in (400, 403)
    assert (await browser.get("/admin/announcements/999999")).status_code == 404


async def test_console_pages_say_why_a_send_or_cancel_is_refused(console: Console, browser: httpx.AsyncClient) -> None:
    await console.login(browser, "editor")
    token = csrf_of((await browser.get("/admin/announcements")).text)
    form = {"csrf_token": token, "title": "Lịch hỗ trợ", "text": "Sáng thứ Bảy có tổ hỗ trợ định danh mức 2.",
            "image_url": "", "buttons": "", "communes": str(WARD)}
    unknown = await browser.post("/admin/announcements", data={**form, "communes": "99999999"})
    assert unknown.status_code == 422 and "unknown commune or ward codes" in unknown.text
    detail_url = (await browser.post("/admin/announcements", data=form)).headers["location"]
    past = await browser.post(detail_url + "/send", data={"csrf_token": token, "send_at": "2020-01-01T08:00"})
    assert past.status_code == 422 and "Thời gian hẹn đã qua hoặc quá xa" in past.text
    assert (await browser.post(detail_url + "/cancel", data={"csrf_token": token})).status_code == 303
    again = await browser.post(detail_url + "/cancel", data={"csrf_token": token})
    assert again.status_code == 409 and "Thông báo này không hủy được nữa." in again.text
    cancelled = await browser.post(detail_url + "/send", data={"csrf_token": token, "send_at": ""})
    assert cancelled.status_code == 409 and "Thông báo này đã được gửi hoặc đã hủy." in cancelled.text
    gone = await browser.post("/admin/announcements/999999/send", data={"csrf_token": token, "send_at": ""})
    assert gone.status_code == 404 and "Không có thông báo này." in gone.text
