"""What the console's browser tests share: the app served with an editor account, a phone-sized page
watched for foreign requests and script/CSP errors, and signing in through the login form."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from api.app import create_app
from api.console.security import Role, create_account
from api.settings import Settings
from tests.e2e.test_browser import phone_page
from tests.fakes.network import serve_app

__all__ = ["EDITOR", "PASSWORD", "console_site", "no_sideways_scroll", "phone", "sign_in"]

EDITOR = "bientap"
PASSWORD = "mat-khau-bien-tap-2026"


@pytest.fixture(scope="module")
def console_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The real app on its own SQLite file with an editor account, on 127.0.0.1 and a free port."""
    db = tmp_path_factory.mktemp("console-browser") / "troly06.sqlite3"
    settings = Settings(database_url=f"sqlite:///{db}", public_base_url="http://127.0.0.1",
                        chat_rate_per_minute=1000, chat_ip_rate_per_minute=1000)
    app = create_app(settings)
    with serve_app(app, name="console-e2e", lifespan="on") as url:
        with app.state.store.unit() as unit:
            create_account(unit, username=EDITOR, password=PASSWORD, role=Role.EDITOR,
                           display_name="Biên tập xã", now=dt.datetime.now(dt.UTC))
        yield url


@pytest.fixture
def phone(browser: Browser, console_site: str) -> Iterator[Page]:
    """A 390 px phone page; any foreign request, script error or CSP violation fails the test.

    It serves whichever ``console_site`` the test module sees: a module may define its own."""
    with phone_page(browser, console_site) as page:
        yield page


def sign_in(page: Page, base: str, next_path: str, *, username: str = EDITOR,
            password: str = PASSWORD) -> None:
    """Open ``next_path``, get sent to the login form, sign in (the editor unless told), land back on it."""
    page.goto(f"{base}{next_path}")
    expect(page).to_have_url(re.compile(r"/admin/login"))
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(password)
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page).to_have_url(f"{base}{next_path}")


def no_sideways_scroll(page: Page) -> None:
    """The page fits the 390 px phone's width: nothing scrolls sideways."""
    widths = page.evaluate("() => [document.scrollingElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1] == 390, widths
