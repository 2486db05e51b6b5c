"""The admin inbox in headless Debian chromium on a 390 px phone: a citizen's unanswered question becomes
a phrasing, and the web chat then answers it.

Reuses the chat page tests' chromium launcher (``browser``) and page watcher (foreign requests,
script and CSP errors fail the test); the app runs under uvicorn on 127.0.0.1 with an editor account.
"""

from __future__ import annotations

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

QUESTION = "xin lịch tiêm phòng dại"
ENTRY = "newborn_bhyt"
SCREENSHOT = "/tmp/troly06-console-inbox.png"


def _ask_in_chat(page: Page, base: str, text: str) -> dict[str, object]:
    with page.expect_response("**/api/v1/chat"):
        page.goto(base + "/")
    page.get_by_label("Câu hỏi của bạn").fill(text)
    with page.expect_response("**/api/v1/chat") as answered:
        page.get_by_role("button", name="Gửi").click()
    match: dict[str, object] = answered.value.json()["match"]
    return match


def test_inbox_question_becomes_a_phrasing_and_the_chat_answers_it(phone: Page, console_site: str) -> None:
    page = phone
    first = _ask_in_chat(page, console_site, QUESTION)
    assert first["kind"] == "fallback", first

    sign_in(page, console_site, "/admin/inbox")
    card = page.locator("section.group", has_text=QUESTION)
    expect(card).to_be_visible()

    # The live search (console.js) fills this group's picker as the editor types.
    with page.expect_response("**/api/v1/admin/unanswered/entries*"):
        card.get_by_label("Tìm mục hỏi đáp").fill("bao hiem y te tre")
    picker = card.get_by_label("Thêm làm cách hỏi của mục")
    expect(picker.locator(f'option[value="{ENTRY}"]')).to_have_count(1)
    picker.select_option(ENTRY)
    no_sideways_scroll(page)
    page.screenshot(path=SCREENSHOT, full_page=False)
    card.get_by_role("button", name="Thêm cách hỏi").click()
    expect(page.get_by_role("status")).to_contain_text("Đã thêm cách hỏi")
    expect(page.locator("section.group", has_text=QUESTION)).to_have_count(0)

    again = _ask_in_chat(page, console_site, QUESTION)
    assert (again["kind"], again["id"]) == ("faq", ENTRY), again
