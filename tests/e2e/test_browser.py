"""The web chat page in headless Debian chromium on a 390 px phone screen, against the real app.

The app runs under uvicorn in a thread on 127.0.0.1 (port 0) on a temporary SQLite database;
Playwright drives Debian's /usr/bin/chromium (no browser download).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, Request, Route, expect, sync_playwright

from api.app import create_app
from api.settings import Settings
from tests.fakes.network import serve_app

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
# The flags this machine needs: no sandbox as root, and no background calls to Google's hosts.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL of the real app on SQLite, served by uvicorn on 127.0.0.1 and a free port."""
    db = tmp_path_factory.mktemp("browser") / "troly06.sqlite3"
    settings = Settings(
        database_url=f"sqlite:///{db}",
        public_base_url="http://127.0.0.1",
        chat_rate_per_minute=1000,
        chat_ip_rate_per_minute=1000,
    )
    with serve_app(create_app(settings), name="e2e", lifespan="on") as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Headless Debian chromium driven by Playwright (no browser download)."""
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing: apt-get install chromium (.ci/run does)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


class PageWatch:
    """What a page did that a test may not have looked at: foreign requests, script errors."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.foreign: list[str] = []
        self.errors: list[str] = []

    def attach(self, page: Page) -> None:
        """Record every request that leaves the app and every script or CSP error."""
        page.on("request", self._request)
        page.on("pageerror", lambda error: self.errors.append(f"pageerror: {error}"))
        page.on("console", self._console)

    def _request(self, request: Request) -> None:
        if not request.url.startswith((self.base_url + "/", "data:")):
            self.foreign.append(request.url)

    def _console(self, message: ConsoleMessage) -> None:
        # Failed loads are the HTTP errors a test provokes on purpose (429, offline).
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            self.errors.append(f"console: {message.text}")


@contextlib.contextmanager
def phone_page(browser: Browser, base_url: str) -> Iterator[Page]:
    """A fresh 390 px phone page (new storage, so a new user) that must stay on ``base_url``: a foreign
    request, a script error or a CSP violation fails the test once the block ends."""
    context = browser.new_context(
        viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True, locale="vi-VN"
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    watch = PageWatch(base_url)
    watch.attach(page)
    try:
        yield page
    finally:
        context.close()
    assert not watch.foreign, f"the page loaded something from another origin: {watch.foreign}"
    assert not watch.errors, f"script errors on the page: {watch.errors}"


@pytest.fixture
def page(browser: Browser, live_server: str) -> Iterator[Page]:
    """A fresh phone-sized page (new storage, so a new user) that must stay on the app's origin."""
    with phone_page(browser, live_server) as fresh:
        yield fresh


# --- the tests ---------------------------------------------------------------------------------

CHAT = "**/api/v1/chat"
SCREENSHOT = "/tmp/troly06-chat.png"
BOT = ".msg.bot:not(.typing)"
USER = ".msg.user"


def _body(request: Any) -> dict[str, Any]:
    data = request.post_data_json
    assert isinstance(data, dict)
    return data


def _open(page: Page, url: str) -> dict[str, Any]:
    """Open the page and wait for the bot; return the JSON body of the request it sent by itself."""
    with page.expect_response(CHAT) as response:
        page.goto(url)
    replies = response.value.json()["replies"]
    assert replies
    expect(page.locator(BOT)).to_have_count(len(replies))
    return _body(response.value.request)


def _assert_fits_phone(page: Page) -> None:
    sizes = page.evaluate(
        """() => ({
            page: document.scrollingElement.scrollWidth,
            log: document.getElementById("log").scrollWidth,
            logBox: document.getElementById("log").clientWidth,
        })"""
    )
    assert page.viewport_size is not None
    assert sizes["page"] <= page.viewport_size["width"] == 390, sizes
    assert sizes["log"] <= sizes["logBox"], sizes


def test_welcome_question_and_button(page: Page, live_server: str) -> None:
    first = _open(page, live_server + "/")
    assert first["text"] == "/start" and "payload" not in first
    assert re.fullmatch(r"web-[A-Za-z0-9_-]{8,64}", first["user_id"])
    expect(page.locator(BOT).locator(".chip").first).to_be_visible()
    page.screenshot(path="/tmp/troly06-welcome.png")
    welcome = page.locator(BOT).count()

    # A question typed in chat language, without diacritics, is understood and answered.
    question = "quen mat khau vneid"
    page.get_by_label("Câu hỏi của bạn").fill(question)
    with page.expect_response(CHAT) as answered:
        page.get_by_role("button", name="Gửi").click()
    reply = answered.value.json()
    assert reply["match"]["kind"] not in {"fallback", "offtopic"}, reply
    expect(page.locator(USER).last).to_have_text(question)
    expect(page.locator(BOT)).to_have_count(welcome + len(reply["replies"]))
    expect(page.locator(BOT).last.locator(".text")).not_to_be_empty()
    expect(page.locator("#text")).to_have_value("")

    # A button sends its payload, shows its label as the citizen's message, and gets a new reply.
    before = page.locator(BOT).count()
    chip = page.locator(f"{BOT}:has(.chip)").last.locator(".chip").first
    label, payload = chip.inner_text(), chip.get_attribute("data-payload")
    with page.expect_request(CHAT) as pressed:
        chip.click()
    assert _body(pressed.value) == {"user_id": first["user_id"], "payload": payload}
    expect(page.locator(USER).last).to_have_text(label)
    expect(page.locator(BOT)).not_to_have_count(before)
    expect(page.locator(".typing")).to_have_count(0)
    expect(page.get_by_role("button", name="Gửi")).to_be_enabled()

    _assert_fits_phone(page)
    page.screenshot(path=SCREENSHOT)


def test_start_parameter_opens_that_content_once(browser: Browser, page: Page, live_server: str) -> None:
    _open(page, live_server + "/")
    chip = page.locator(BOT).locator(".chip").first
    payload = chip.get_attribute("data-payload")
    assert payload
    with page.expect_response(CHAT) as pressed:
        chip.click()
    expected = pressed.value.json()["match"]

    other = browser.new_context(viewport=page.viewport_size, is_mobile=True, has_touch=True)
    try:
        deep = other.new_page()
        chat_requests: list[dict[str, Any]] = []
        deep.on(
            "request", lambda r: chat_requests.append(_body(r)) if r.url.endswith("/api/v1/chat") else None
        )
        with deep.expect_response(CHAT) as opened:
            deep.goto(f"{live_server}/?start={payload}")
        assert opened.value.json()["match"] == expected
        assert chat_requests == [{"user_id": chat_requests[0]["user_id"], "payload": payload}]
        expect(deep.locator(BOT)).not_to_have_count(0)
        expect(deep.locator(USER)).to_have_count(0)
        assert "start=" not in deep.url  # a reload does not send it again
        _assert_fits_phone(deep)
    finally:
        other.close()


@pytest.mark.parametrize("start", ["bad%20payload", "x" * 65, "menu%3Cscript%3E", ""])
def test_invalid_start_parameter_shows_the_welcome(page: Page, live_server: str, start: str) -> None:
    sent = _open(page, f"{live_server}/?start={start}")
    assert sent == {"user_id": sent["user_id"], "text": "/start"}


def test_user_id_is_kept_across_visits(page: Page, live_server: str) -> None:
    first = _open(page, live_server + "/")
    again = _open(page, live_server + "/")
    assert again["user_id"] == first["user_id"]


def test_text_is_shown_as_text_never_as_html(page: Page, live_server: str) -> None:
    _open(page, live_server + "/")
    typed = '<img src=x onerror="document.title=1"> <b>đậm</b>'
    page.locator("#text").fill(typed)
    with page.expect_response(CHAT):
        page.locator("#text").press("Enter")
    expect(page.locator(USER).last).to_have_text(typed)
    expect(page.locator(".msg.user img, .msg.user b")).to_have_count(0)


def test_rate_limit_keeps_the_typed_text(page: Page, live_server: str) -> None:
    _open(page, live_server + "/")
    page.route(
        CHAT, lambda route: route.fulfill(status=429, headers={"Retry-After": "2"}, json={"detail": "x"})
    )
    page.locator("#text").fill("cai vneid")
    page.get_by_role("button", name="Gửi").click()
    status = page.get_by_role("alert")
    expect(status).to_have_text(re.compile(r"Bạn gửi nhanh quá, vui lòng chờ 2 giây"))
    expect(page.locator("#text")).to_have_value("cai vneid")
    expect(page.locator(USER)).to_have_count(0)
    expect(page.get_by_role("button", name="Gửi")).to_be_disabled()

    # After Retry-After the message goes and the same text can be sent.
    page.unroute(CHAT)
    expect(status).to_be_hidden(timeout=5_000)
    with page.expect_response(CHAT):
        page.get_by_role("button", name="Gửi").click()
    expect(page.locator(USER).last).to_have_text("cai vneid")
    expect(page.locator("#text")).to_have_value("")


def test_network_error_keeps_the_typed_text(page: Page, live_server: str) -> None:
    _open(page, live_server + "/")
    page.route(CHAT, lambda route: route.abort("internetdisconnected"))
    page.locator("#text").fill("quen mat khau")
    page.get_by_role("button", name="Gửi").click()
    expect(page.get_by_role("alert")).to_contain_text("Không kết nối được")
    expect(page.locator("#text")).to_have_value("quen mat khau")
    expect(page.locator(USER)).to_have_count(0)
    expect(page.get_by_role("button", name="Gửi")).to_be_enabled()


def test_send_is_disabled_while_waiting(page: Page, live_server: str) -> None:
    _open(page, live_server + "/")
    held: list[Route] = []
    page.route(CHAT, lambda route: held.append(route))
    page.locator("#text").fill("xin chao")
    page.get_by_role("button", name="Gửi").click()
    expect(page.get_by_role("button", name="Gửi")).to_be_disabled()
    expect(page.locator(".typing")).to_be_visible()
    expect(page.locator(BOT).locator(".chip").first).to_be_disabled()
    page.locator("#text").press("Enter")  # a second send while waiting does nothing
    assert len(held) == 1
    held[0].fulfill(json={"replies": [{"text": "Chào bạn", "buttons": [], "images": []}], "match": {}})
    expect(page.locator(BOT).last).to_have_text("Chào bạn")
    expect(page.get_by_role("button", name="Gửi")).to_be_enabled()
    assert json.loads(held[0].request.post_data or "{}")["text"] == "xin chao"


def test_images_show_with_their_alt_text(page: Page, live_server: str) -> None:
    _open(page, live_server + "/")
    reply = {
        "replies": [
            {
                "text": "Màn hình «Đăng nhập»",
                "buttons": [],
                "images": [
                    {"url": "/static/favicon.svg", "alt": "Nút Đăng nhập"},
                    {"url": "javascript:alert(1)", "alt": "bị bỏ"},
                ],
            }
        ],
        "match": {},
    }
    page.route(CHAT, lambda route: route.fulfill(json=reply))
    page.locator("#text").fill("dang nhap")
    page.locator("#text").press("Enter")
    image = page.get_by_role("img", name="Nút Đăng nhập")
    expect(image).to_be_visible()
    expect(page.locator(".msg.bot img")).to_have_count(1)
    _assert_fits_phone(page)
