"""The content editor in headless chromium: sign in, edit an answer, see it in the web chat, restore it.

Reuses the browser fixture and page watch of test_browser.py; the app runs under uvicorn in a
thread on 127.0.0.1 on its own SQLite file, with an editor account.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.console_harness import console_site, no_sideways_scroll, phone, sign_in
from tests.e2e.test_browser import browser

__all__ = ["browser", "console_site", "phone"]

pytestmark = pytest.mark.browser

ENTRY = "hotline_c06"
SCREENSHOT = "/tmp/troly06-admin-faq-edit.png"


def _chat_answer(page: Page, base: str) -> str:
    with page.expect_response("**/api/v1/chat"):
        page.goto(f"{base}/?start=q-{ENTRY}")
    bubble = page.locator(".msg.bot:not(.typing)").first.locator(".text")
    expect(bubble).not_to_be_empty()
    return bubble.inner_text()


def test_edit_see_in_chat_and_restore(phone: Page, console_site: str) -> None:
    base = console_site
    sign_in(phone, base, f"/admin/faq/{ENTRY}")
    original = phone.get_by_label("Câu trả lời").input_value()

    # The live preview shows the answer as the chat does, with its buttons and the length.
    new_answer = "Gọi tổng đài 1900 0368 của Bộ Công an (đã sửa trong trình duyệt)."
    phone.get_by_label("Câu trả lời").fill(new_answer)
    preview = phone.locator("#preview")
    expect(preview.locator(".bubble .text").first).to_contain_text("(đã sửa trong trình duyệt)")
    expect(preview.locator(".chip", has_text="Về menu chính")).to_be_visible()
    expect(preview).to_contain_text("/ ~700 ký tự")

    no_sideways_scroll(phone)
    phone.screenshot(path=SCREENSHOT, full_page=True)

    phone.get_by_role("button", name="Lưu").click()
    expect(phone.get_by_role("status")).to_contain_text("Đã lưu")

    chat = phone.context.new_page()
    assert _chat_answer(chat, base).startswith(new_answer)

    # Restore the version before the edit: the chat answers the old text again.
    phone.goto(f"{base}/admin/faq/{ENTRY}/versions")
    phone.screenshot(path="/tmp/troly06-admin-versions.png", full_page=True)
    phone.once("dialog", lambda dialog: dialog.accept())
    phone.get_by_role("button", name="Khôi phục phiên bản 1").click()
    expect(phone.get_by_role("status")).to_contain_text("Đã lưu")
    expect(phone.get_by_label("Câu trả lời")).to_have_value(original)
    assert _chat_answer(chat, base).startswith(original.strip().splitlines()[0])


def test_lists_fit_a_phone(phone: Page, console_site: str) -> None:
    sign_in(phone, console_site, "/admin/faq")
    phone.get_by_label("Tìm (có dấu hay không dấu)").fill("tong dai")
    phone.get_by_role("button", name="Lọc").click()
    expect(phone.locator(f'a[href="/admin/faq/{ENTRY}"]')).to_be_visible()
    for path in ("/admin/faq", "/admin/review", "/admin/flows/l2", "/admin/texts/welcome"):
        phone.goto(console_site + path)
        sizes = phone.evaluate("() => ({w: document.scrollingElement.scrollWidth, v: window.innerWidth})")
        assert sizes["w"] <= sizes["v"], (path, sizes)
    phone.goto(console_site + "/admin/faq")
    phone.screenshot(path="/tmp/troly06-admin-faq-list.png", full_page=True)
