"""The member's share page in headless Debian chromium on a 390 px phone: links, QR codes, leaflets."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, expect

from api.app import create_app
from api.console.security import Role, create_account
from api.settings import Settings
from api.store import Store
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
        yield url, member.referral_code


def test_the_share_page_on_a_phone(member_site: tuple[str, str], browser: Browser) -> None:  # noqa: F811
    url, code = member_site
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: errors.append("foreign " + r.url) if not r.url.startswith(url) else None)
    page.goto(f"{url}/admin/login?next=/admin/team/share")
    page.fill("input[name=username]", "lan")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
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
