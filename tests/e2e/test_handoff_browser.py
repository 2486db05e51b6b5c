"""The hand-off inbox in headless Debian chromium on a 390 px phone: a citizen asks the web chat for a
person; staff open, claim, reply and close in the console; the citizen's page shows the reply; the
console page never scrolls sideways.

Reuses the console's browser harness (the app under uvicorn with an editor account; foreign requests,
script and CSP errors fail the test).
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

SCREENSHOT = "/tmp/troly06-handoff-inbox.png"
REPLY = "Chào bạn, tôi là cán bộ xã. Bạn mang căn cước đến Công an xã nhé."


def test_open_claim_reply_close_on_a_phone(phone: Page, console_site: str) -> None:  # noqa: F811 - fixtures
    page = phone
    with page.expect_response("**/api/v1/chat"):
        page.goto(console_site + "/")
    page.get_by_label("Câu hỏi của bạn").fill("gặp người hỗ trợ")
    with page.expect_response("**/api/v1/chat") as answered:
        page.get_by_role("button", name="Gửi").click()
    assert answered.value.json()["match"]["kind"] == "handoff"
    user_id = page.evaluate("() => localStorage.getItem('troly06.user_id') || ''")

    sign_in(page, console_site, "/admin/handoffs")
    no_sideways_scroll(page)
    item = page.locator(".handoff-list li").last
    expect(item).to_contain_text("đang chờ")
    item.get_by_role("link").click()
    expect(page.get_by_role("heading", level=2)).to_contain_text("đang chờ")
    expect(page.locator("ol.lines")).to_contain_text("gặp người hỗ trợ")
    no_sideways_scroll(page)

    page.get_by_role("button", name="Nhận hỗ trợ").click()
    expect(page.get_by_role("heading", level=2)).to_contain_text("đang hỗ trợ")
    page.get_by_label("Trả lời").fill(REPLY)
    no_sideways_scroll(page)
    page.screenshot(path=SCREENSHOT, full_page=False)
    page.get_by_role("button", name="Gửi").click()
    expect(page.locator("ol.lines li.staff")).to_contain_text(REPLY)
    no_sideways_scroll(page)

    page.get_by_role("button", name="Kết thúc").click()
    expect(page.get_by_role("heading", level=2)).to_contain_text("đã xong")
    expect(page.get_by_role("button", name="Nhận hỗ trợ")).to_have_count(0)
    no_sideways_scroll(page)

    assert user_id  # what the citizen's page fetches: the notices and the reply, in order
    got = page.request.get(f"{console_site}/api/v1/chat/messages", params={"user_id": user_id}).json()
    assert [m["author"] for m in got["messages"]] == ["system", "staff", "system"] and not got["active"]
