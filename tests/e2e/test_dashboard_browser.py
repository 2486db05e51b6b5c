"""The dashboard in headless Debian chromium on a 390 px phone: no sideways scrolling of the page, the
charts load and are drawn in colour (their embedded style applies under the console's CSP), and the
filters work by touch.

Reuses the console harness (the app under uvicorn on 127.0.0.1 with an editor account; foreign
requests, script errors and CSP violations fail the test).
"""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image
from playwright.sync_api import Page, expect

from tests.e2e.console_harness import (  # noqa: F401 - fixtures used by name
    console_site,
    no_sideways_scroll,
    phone,
    sign_in,
)
from tests.e2e.test_browser import browser  # noqa: F401 - the fixture is used by name

pytestmark = pytest.mark.browser

SCREENSHOT = "/tmp/troly06-dashboard.png"


def _coloured_pixels(png: bytes) -> int:
    """Pixels clearly not grey (the series colours), in an element screenshot."""
    image = Image.open(io.BytesIO(png)).convert("RGB")
    pixels: list[tuple[int, int, int]] = list(image.get_flattened_data())  # type: ignore[arg-type]
    return sum(1 for r, g, b in pixels if max(r, g, b) - min(r, g, b) > 60)


def test_the_dashboard_on_a_phone(phone: Page, console_site: str) -> None:
    page = phone
    for user, text in (("dash-b1", "cài ứng dụng vneid"), ("dash-b2", "thời tiết hôm nay"),
                       ("dash-b2", "xyzzy qwerty"), ("dash-b3", "lệ phí cấp căn cước bao nhiêu")):
        r = page.request.post(f"{console_site}/api/v1/chat", data={"user_id": user, "text": text})
        assert r.ok, r.text()

    sign_in(page, console_site, "/admin/dashboard")
    expect(page.get_by_role("heading", name="Bảng điều khiển", level=1)).to_be_visible()
    no_sideways_scroll(page)

    # Every chart image decodes and fits the screen; the first ones are drawn in colour.
    charts = page.locator(".dash-chart img")
    assert charts.count() >= 9
    sizes = page.evaluate("""() => [...document.querySelectorAll('.dash-chart img')].map(
        i => [i.complete, i.naturalWidth, i.getBoundingClientRect().right])""")
    assert all(done and natural > 0 and right <= 390 for done, natural, right in sizes), sizes
    traffic = page.locator("#channels .dash-chart img").first
    traffic.scroll_into_view_if_needed()
    expect(traffic).to_be_visible()
    assert _coloured_pixels(traffic.screenshot()) > 500
    outcomes = page.locator("#outcomes .dash-chart img").first
    outcomes.scroll_into_view_if_needed()
    assert _coloured_pixels(outcomes.screenshot()) > 500
    page.screenshot(path=SCREENSHOT, full_page=True)

    # The filters: a channel and a day range, by touch; the page keeps them and still fits.
    page.get_by_label("Kênh").select_option("web")
    page.get_by_label("Từ ngày").fill("2026-01-01")
    page.get_by_role("button", name="Xem").tap()
    expect(page).to_have_url(re.compile(r"/admin/dashboard\?from=2026-01-01&.*channel=web"))
    expect(page.get_by_label("Kênh")).to_have_value("web")
    web_row = page.locator("#channels tbody tr").first
    expect(web_row).to_contain_text("web")
    expect(page.locator("#channels tbody")).not_to_contain_text("telegram")
    no_sideways_scroll(page)
    csv_link = page.locator("#traffic a", has_text="Tải CSV")
    assert "channel=web" in (csv_link.get_attribute("href") or "")
    with page.expect_download() as download:
        csv_link.click()
    assert download.value.suggested_filename == "bang-dieu-khien-traffic.csv"
