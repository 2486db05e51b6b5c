"""The member's pages in headless Debian chromium on a 390 px phone: links (copyable), QR codes, leaflets;
the stats page's pygal chart under the console's Content-Security-Policy."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from api.app import create_app
from api.console.security import Role, create_account
from api.settings import Settings
from api.store import Store
from api.team import repo
from tests.e2e.test_browser import PHONE, browser  # noqa: F401 - the module's Playwright browser fixture
from tests.fakes.network import serve_app
from tests.team.factories import add_member, make_tree

pytestmark = pytest.mark.browser
PASSWORD = "mat-khau-thanh-vien-2026"


@pytest.fixture(scope="module")
def member_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """The app under uvicorn with a member account tied to a member record; (base URL, referral code)."""
    db = tmp_path_factory.mktemp("share") / "app.sqlite3"
    settings = Settings(_env_file=None, database_url=f"sqlite:///{db}",  # type: ignore[call-arg]
                        public_base_url="http://127.0.0.1", log_level="WARNING")
    app = create_app(settings)
    with serve_app(app, name="share", lifespan="on") as url:
        store: Store = app.state.store
        with store.unit() as unit:
            account = create_account(unit, username="lan", password=PASSWORD, role=Role.MEMBER,
                                     display_name="Lan", now=dt.datetime.now(dt.UTC))
            account_id = account.id
        tree = make_tree(store)
        member = add_member(store, tree.team, "Nguyễn Thị Lan", account_id=account_id)
        with store.unit() as unit:
            repo.record_help(unit, member_id=member.id, kind="level2", count=3, now=dt.datetime.now(dt.UTC))
        yield url, member.referral_code


def _sign_in(page: Page, url: str, target: str) -> None:
    page.goto(f"{url}/admin/login?next={target}")
    page.fill("input[name=username]", "lan")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")


def test_the_share_page_on_a_phone(member_site: tuple[str, str], browser: Browser) -> None:  # noqa: F811
    url, code = member_site
    context = browser.new_context(viewport=PHONE)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=url)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: errors.append("foreign " + r.url) if not r.url.startswith(url) else None)
    _sign_in(page, url, "/admin/team/share")
    expect(page.locator("h1")).to_have_text("Liên kết của Nguyễn Thị Lan")
    install = page.locator("#share-install")
    expect(install.locator("a.link").first).to_have_text(f"http://127.0.0.1/?start=f-install-r{code}")
    qr = install.locator("img.qr")
    expect(qr).to_be_visible()
    assert page.evaluate("(img) => img.naturalWidth > 0", qr.element_handle())
    # Nothing runs off the side of a 390 px screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    box = install.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    # «Sao chép» puts the exact link on the clipboard, and fits on the screen.
    copy = install.locator("button.copy").first
    expect(copy).to_be_visible()
    copy_box = copy.bounding_box()
    assert copy_box is not None and copy_box["x"] + copy_box["width"] <= PHONE["width"]
    copy.click()
    expect(copy).to_have_text("Đã sao chép")
    assert page.evaluate("navigator.clipboard.readText()") == f"http://127.0.0.1/?start=f-install-r{code}"
    with page.expect_download() as download:
        install.get_by_text("QR (PNG)").click()
    assert download.value.suggested_filename.endswith(".png")
    leaflet = install.get_by_text("Tờ rơi A4")
    href = leaflet.get_attribute("href")
    assert href is not None and "leaflet.pdf?flow=install&size=a4" in href
    response = page.request.get(url + href)
    assert response.status == 200 and response.body()[:4] == b"%PDF"
    assert errors == [], errors
    context.close()


def test_the_stats_chart_loads_under_the_console_policy(member_site: tuple[str, str],
                                                        browser: Browser) -> None:  # noqa: F811
    url, _code = member_site
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: errors.append("foreign " + r.url) if not r.url.startswith(url) else None)
    _sign_in(page, url, "/admin/team/stats")
    expect(page.locator("h1")).to_have_text("Thống kê")
    chart = page.locator("#progress-chart")
    expect(chart).to_be_visible()
    expect(chart).to_have_js_property("complete", True)  # (wait_for_function would need eval: CSP says no)
    assert page.evaluate("(img) => img.naturalWidth", chart.element_handle()) > 0
    assert "3 lượt giúp trực tiếp" in (chart.get_attribute("alt") or "")
    box = chart.bounding_box()
    assert box is not None and box["width"] <= PHONE["width"]
    expect(page.locator("#daily-stats")).to_contain_text("Nguyễn Thị Lan")
    # Opened as a document, the SVG's own policy lets its inline style apply (pygal's title size)
    # and nothing else: no script runs, nothing is fetched.
    src = chart.get_attribute("src")
    assert src is not None
    page.goto(url + src)
    assert page.evaluate("getComputedStyle(document.querySelector('text.title')).fontSize") == "18px"
    assert page.evaluate("document.scripts.length") == 0
    assert errors == [], errors
    context.close()
