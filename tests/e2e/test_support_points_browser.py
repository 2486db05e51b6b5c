"""The support points page in headless Debian chromium on a 390 px phone: an admin adds a point,
picking the commune by typing (support.js, CSP-safe), types a bad latitude and is told, fixes it,
saves, sees it listed; no sideways scroll. Foreign requests, script and CSP errors fail the test."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from api.app import create_app
from api.console.security import Role, create_account
from api.settings import Settings
from tests.e2e.console_harness import (  # noqa: F401 - the fixture is used by name
    no_sideways_scroll,
    phone,
    sign_in,
)
from tests.e2e.test_browser import browser  # noqa: F401 - the fixture is used by name
from tests.fakes.network import serve_app

pytestmark = pytest.mark.browser

ADMIN, PASSWORD = "quantri", "mat-khau-quan-tri-2026"
SCREENSHOT = "/tmp/troly06-support-points.png"


@pytest.fixture(scope="module")
def console_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The harness's site, but with an admin account and no content sync (the harness's ``phone`` uses it)."""
    db = tmp_path_factory.mktemp("support-browser") / "troly06.sqlite3"
    app = create_app(Settings(database_url=f"sqlite:///{db}", public_base_url="http://127.0.0.1",
                              content_sync_on_start=False))
    with serve_app(app, name="support-e2e", lifespan="on") as url:
        with app.state.store.unit() as unit:
            create_account(unit, username=ADMIN, password=PASSWORD, role=Role.ADMIN, now=dt.datetime.now(dt.UTC))
        yield url


def test_add_a_support_point_on_a_phone(phone: Page, console_site: str) -> None:  # noqa: F811 - fixtures
    page, site = phone, console_site
    sign_in(page, site, "/admin/support-points", username=ADMIN, password=PASSWORD)
    page.get_by_role("link", name="Thêm điểm hỗ trợ").click()

    page.get_by_label("Tên điểm").fill("Buổi hỗ trợ tối chủ nhật")
    page.get_by_label("Loại điểm").select_option("cultural_house")
    page.get_by_label("Địa chỉ").fill("Nhà văn hóa tổ dân phố 5")
    with page.expect_response("**/admin/support-points/communes*"):
        page.get_by_label("Tìm xã/phường").fill("ba dinh ha noi")
    picker = page.locator("#commune-pick")
    expect(picker.locator("option", has_text="Ba Đình, Thành phố Hà Nội")).to_have_count(1)
    picker.select_option(label=picker.locator("option", has_text="Ba Đình, Thành phố Hà Nội").inner_text())
    page.get_by_label("Vĩ độ").fill("105.8372")  # swapped with the longitude
    page.get_by_label("Kinh độ").fill("21.0341")
    page.get_by_label("Định danh mức 2").check()
    page.get_by_label("Hằng tuần vào").first.select_option(label="Chủ nhật")
    page.get_by_label("Từ").first.fill("18:00")
    page.get_by_label("Đến").first.fill("21:00")
    no_sideways_scroll(page)
    page.get_by_role("button", name="Lưu điểm hỗ trợ").click()

    expect(page.get_by_role("alert")).to_contain_text("nằm ngoài Việt Nam")
    expect(page.get_by_label("Tên điểm")).to_have_value("Buổi hỗ trợ tối chủ nhật")  # nothing lost
    expect(page.get_by_label("Từ").first).to_have_value("18:00")
    page.get_by_label("Vĩ độ").fill("21.0341")
    page.get_by_label("Kinh độ").fill("105.8372")
    no_sideways_scroll(page)
    page.screenshot(path=SCREENSHOT, full_page=False)
    page.get_by_role("button", name="Lưu điểm hỗ trợ").click()

    expect(page).to_have_url(re.compile(r"/admin/support-points\?saved=1$"))
    expect(page.get_by_role("status")).to_contain_text("Đã lưu điểm hỗ trợ")
    item = page.locator(".handoff-list li", has_text="Buổi hỗ trợ tối chủ nhật")
    expect(item).to_contain_text("Chủ nhật 18:00-21:00")
    expect(item).to_contain_text("Ba Đình")
    no_sideways_scroll(page)
    found = page.request.get(f"{site}/api/v1/support-points", params={"lat": "21.034", "lon": "105.837"}).json()
    assert [p["name"] for p in found["points"]] == ["Buổi hỗ trợ tối chủ nhật"]
