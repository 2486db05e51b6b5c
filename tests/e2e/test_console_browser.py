"""The admin inbox in headless Debian chromium on a 390 px phone: a citizen's unanswered question becomes
a phrasing, and the web chat then answers it.

Reuses the chat page tests' chromium launcher (``browser``) and page watcher (foreign requests,
script and CSP errors fail the test); the app runs under uvicorn on 127.0.0.1 with an editor account.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from api.app import create_app
from api.console.security import Role, create_account
from api.settings import Settings
from tests.e2e.test_browser import PHONE, PageWatch, browser  # noqa: F401 - the fixture is used by name
from tests.fakes.network import serve_app

pytestmark = pytest.mark.browser

PASSWORD = "mat-khau-bien-tap-2026"
QUESTION = "xin lịch tiêm phòng dại"
ENTRY = "newborn_bhyt"
SCREENSHOT = "/tmp/troly06-console-inbox.png"


@pytest.fixture(scope="module")
def console_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The real app on SQLite with an editor account, served on 127.0.0.1 and a free port."""
    db = tmp_path_factory.mktemp("console-browser") / "troly06.sqlite3"
    settings = Settings(database_url=f"sqlite:///{db}", public_base_url="http://127.0.0.1",
                        chat_rate_per_minute=1000, chat_ip_rate_per_minute=1000)
    app = create_app(settings)
    with serve_app(app, name="console-e2e", lifespan="on") as url:
        with app.state.store.unit() as unit:
            create_account(unit, username="bientap", password=PASSWORD, role=Role.EDITOR,
                           display_name="Biên tập xã", now=dt.datetime.now(dt.UTC))
        yield url


@pytest.fixture
def phone(browser: Browser, console_server: str) -> Iterator[Page]:  # noqa: F811 - the imported fixture
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True,
                                  locale="vi-VN")
    context.set_default_timeout(15_000)
    page = context.new_page()
    watch = PageWatch(console_server)
    watch.attach(page)
    try:
        yield page
    finally:
        context.close()
    assert not watch.foreign, watch.foreign
    assert not watch.errors, watch.errors


def _ask_in_chat(page: Page, base: str, text: str) -> dict[str, object]:
    with page.expect_response("**/api/v1/chat"):
        page.goto(base + "/")
    page.get_by_label("Câu hỏi của bạn").fill(text)
    with page.expect_response("**/api/v1/chat") as answered:
        page.get_by_role("button", name="Gửi").click()
    match: dict[str, object] = answered.value.json()["match"]
    return match


def test_inbox_question_becomes_a_phrasing_and_the_chat_answers_it(phone: Page, console_server: str) -> None:
    page = phone
    first = _ask_in_chat(page, console_server, QUESTION)
    assert first["kind"] == "fallback", first

    page.goto(console_server + "/admin/inbox")
    expect(page).to_have_url(re.compile(r"/admin/login"))
    page.get_by_label("Tên đăng nhập").fill("bientap")
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.goto(console_server + "/admin/inbox")
    card = page.locator("section.group", has_text=QUESTION)
    expect(card).to_be_visible()

    # The live search (console.js) fills this group's picker as the editor types.
    with page.expect_response("**/api/v1/admin/unanswered/entries*"):
        card.get_by_label("Tìm mục hỏi đáp").fill("bao hiem y te tre")
    picker = card.get_by_label("Thêm làm cách hỏi của mục")
    expect(picker.locator(f'option[value="{ENTRY}"]')).to_have_count(1)
    picker.select_option(ENTRY)
    widths = page.evaluate("() => [document.scrollingElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1] == 390, widths
    page.screenshot(path=SCREENSHOT, full_page=False)
    card.get_by_role("button", name="Thêm cách hỏi").click()
    expect(page.get_by_role("status")).to_contain_text("Đã thêm cách hỏi")
    expect(page.locator("section.group", has_text=QUESTION)).to_have_count(0)

    again = _ask_in_chat(page, console_server, QUESTION)
    assert (again["kind"], again["id"]) == ("faq", ENTRY), again
