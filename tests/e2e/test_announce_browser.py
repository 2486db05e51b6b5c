"""The announcement page in headless Debian chromium on a 390 px phone: write, preview per channel, send,
and watch the progress update live (announce.js polling, CSP-safe, nothing from outside)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.console_harness import (  # noqa: F401 - fixtures used by name
    console_site,
    no_sideways_scroll,
    phone,
    sign_in,
)
from tests.e2e.test_browser import browser  # noqa: F401 - the fixture is used by name

pytestmark = pytest.mark.browser

SCREENSHOT = "/tmp/troly06-console-announce.png"
USER_KEY = "troly06.user_id"


def test_write_preview_send_and_watch_progress(phone: Page, console_site: str) -> None:
    page = phone
    # a web chat citizen of Phường Ba Đình (this browser's chat id) opts in
    with page.expect_response("**/api/v1/chat"):
        page.goto(console_site + "/")
    citizen = page.evaluate(f"() => localStorage.getItem({USER_KEY!r})")
    for payload in ("sp-p-1", "sp-w-4", "an-y-4"):
        r = page.request.post(f"{console_site}/api/v1/chat", data={"user_id": citizen, "payload": payload})
        assert r.ok, r.text()
    sign_in(page, console_site, "/admin/announcements")
    page.get_by_label("Tiêu đề (chỉ cán bộ thấy)").fill("Hỗ trợ tối Chủ nhật")
    page.get_by_label("Nội dung").fill("Tối Chủ nhật 19h có tổ hỗ trợ cài VNeID tại nhà văn hóa phường.")
    page.get_by_label(re.compile("^Nút bấm")).fill("Hướng dẫn mức 2 | f-l2")
    page.get_by_label(re.compile("^Mã xã/phường nhận")).fill("4")
    page.get_by_role("button", name="Lưu bản nháp và xem trước").click()
    expect(page).to_have_url(re.compile(r"/admin/announcements/\d+$"))
    for channel in ("Telegram", "Zalo", "Trang chat"):
        expect(page.get_by_role("region", name=channel)).to_contain_text("Tối Chủ nhật 19h")
    expect(page.get_by_role("region", name="Telegram")).to_contain_text("Hướng dẫn mức 2")
    no_sideways_scroll(page)
    page.screenshot(path=SCREENSHOT, full_page=True)
    page.get_by_role("button", name="Gửi").click()
    # the runner sends within its sweep; the page's script shows it without a reload
    expect(page.locator("#an-status")).to_have_text("đã gửi xong", timeout=20_000)
    expect(page.locator('dd[data-key="sent"]')).to_have_text("1")
    # the citizen's chat page shows it, with its button
    page.goto(console_site + "/")
    bubble = page.locator(".msg.bot", has_text="Tối Chủ nhật 19h")
    expect(bubble).to_be_visible(timeout=10_000)
    expect(bubble.get_by_role("button", name="Hướng dẫn mức 2")).to_be_visible()
