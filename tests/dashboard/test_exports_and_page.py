"""Exports (CSV, xlsx) hold the JSON's numbers and are formula-safe; the page draws every section with
pygal SVG that carries no script and no outside reference; the section registry extends all three."""

from __future__ import annotations

import base64
import csv
import io
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from openpyxl import load_workbook

from api.dashboard.sections import Col, Context, Section, Table, bars, register, unregister
from tests.console.conftest import PASSWORD
from tests.dashboard.conftest import FORMULA_QUESTION, World

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_SVG_NAMESPACES = ("http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink")


def _text(v: Any) -> str:
    return "" if v is None else str(v)


async def test_each_section_exports_its_numbers_as_csv_and_xlsx(world: World) -> None:
    c, auth = world.client, world.auth["viewer"]
    params = {"channel": "web"}
    sections = (await c.get("/api/v1/admin/dashboard", params=params, headers=auth)).json()["sections"]
    for sec in sections:
        labels = [col["label"] for col in sec["columns"]]
        keys = [col["key"] for col in sec["columns"]]
        r = await c.get(f"/api/v1/admin/dashboard/{sec['key']}.csv", params=params, headers=auth)
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
        assert r.text.startswith("\ufeff")
        rows = list(csv.reader(io.StringIO(r.text[1:])))
        assert rows[0] == labels
        expected = [[_text(row[k]) for k in keys] for row in sec["rows"]]
        assert [[cell.removeprefix("'") if cell.startswith("'=") else cell for cell in row] for row in rows[1:]] \
            == expected, sec["key"]

        r = await c.get(f"/api/v1/admin/dashboard/{sec['key']}.xlsx", params=params, headers=auth)
        assert r.status_code == 200 and r.headers["content-type"] == XLSX
        wb = load_workbook(io.BytesIO(r.content))
        assert wb.sheetnames[0] == "Bộ lọc" and wb["Bộ lọc"]["B3"].value == "web"
        sheet = wb[wb.sheetnames[1]]
        values = [list(row) for row in sheet.iter_rows(values_only=True)]
        assert values[0] == labels
        body = values[1:1 + len(sec["rows"])]
        assert body == [[row[k] for k in keys] for row in sec["rows"]], sec["key"]

    # The whole dashboard in one workbook: a sheet per section after the filters.
    r = await c.get("/api/v1/admin/dashboard/export.xlsx", params=params, headers=auth)
    assert r.status_code == 200
    wb = load_workbook(io.BytesIO(r.content))
    assert len(wb.sheetnames) == 1 + len(sections)


async def test_a_question_that_looks_like_a_formula_stays_text(world: World) -> None:
    c, auth = world.client, world.auth["admin"]
    groups = (await c.get("/api/v1/admin/dashboard", headers=auth)).json()["sections"][4]
    assert groups["key"] == "unanswered"
    assert any(g["question"].startswith("=") for g in groups["rows"]), groups
    r = await c.get("/api/v1/admin/dashboard/unanswered.csv", headers=auth)
    cells = [row[0] for row in csv.reader(io.StringIO(r.text[1:]))]
    formula_like = [q for q in cells if "HYPERLINK" in q]
    assert formula_like and all(q.startswith("'=") for q in formula_like), formula_like
    r = await c.get("/api/v1/admin/dashboard/unanswered.xlsx", headers=auth)
    sheet = load_workbook(io.BytesIO(r.content)).worksheets[1]
    found = [cell for row in sheet.iter_rows() for cell in row if isinstance(cell.value, str) and "HYPERLINK" in cell.value]
    assert found and all(cell.data_type == "s" and cell.value == FORMULA_QUESTION for cell in found)


@asynccontextmanager
async def _signed_in(world: World, role: str) -> AsyncIterator[httpx.AsyncClient]:
    """A browser-like client with its own cookie jar, signed in through the form as ``role``."""
    transport = httpx.ASGITransport(app=world.app, client=("203.0.113.20", 50020))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        page = await client.get("/admin/login")
        token = re.search(r'name="login_csrf" value="([^"]+)"', page.text)
        assert token is not None
        r = await client.post("/admin/login", data={"username": f"test-{role}", "password": PASSWORD,
                                                    "login_csrf": token.group(1), "next": "/admin/"})
        assert r.status_code == 303, r.text
        yield client


async def test_the_page_draws_every_section_without_script_or_cdn(world: World) -> None:
    anonymous = await world.client.get("/admin/dashboard")
    assert anonymous.status_code == 303 and "/admin/login" in anonymous.headers["location"]
    async with _signed_in(world, "member") as member:
        assert (await member.get("/admin/dashboard")).status_code == 403
    async with _signed_in(world, "viewer") as browser:
        r = await browser.get("/admin/dashboard", params={"from": "2026-11-01", "to": "2026-12-31"})
        assert r.status_code == 200
        html = r.text
        assert "script-src 'self'" in r.headers["content-security-policy"]
        # One script, the console's own; no stylesheet or script from elsewhere.
        assert re.findall(r"<script[^>]*>", html) == ['<script src="/admin/static/console.js" defer>']
        for url in re.findall(r'(?:src|href)="([^"]+)"', html):
            assert not url.startswith(("http:", "https:", "//")), url
        images = re.findall(r'<img src="([^"]+)"', html)
        assert len(images) >= 9
        for src in images:
            assert src.startswith("data:image/svg+xml;base64,")
            svg = base64.b64decode(src.split(",", 1)[1]).decode()
            assert svg.lstrip().startswith("<?xml") and "<svg" in svg
            assert "<script" not in svg and "javascript:" not in svg
            rest = svg
            for ns in _SVG_NAMESPACES:
                rest = rest.replace(ns, "")
            assert "http:" not in rest and "https:" not in rest and "//kozea" not in rest
        for key in ("channels", "traffic", "outcomes", "top_questions", "unanswered", "funnel", "completions",
                    "referrals", "handoffs"):
            assert f'id="{key}"' in html and f"/api/v1/admin/dashboard/{key}.csv?from=2026-11-01" in html
        # A period without traffic: every section says so, every chart too.
        r = await browser.get("/admin/dashboard", params={"from": "2021-01-01", "to": "2021-01-02"})
        assert r.status_code == 200
        assert r.text.count("Chưa có số liệu trong khoảng này.") >= 6
        # A bad filter is named on the page, never a 500.
        for odd in ("²", "１", "-1", "9" * 12):
            assert (await browser.get("/admin/dashboard", params={"commune": odd})).status_code == 422, odd
        r = await browser.get("/admin/dashboard", params={"from": "2026-02-30", "channel": "fax", "commune": "abc"})
        assert r.status_code == 422
        assert "«Từ ngày» không phải là một ngày." in r.text and "Kênh không hợp lệ." in r.text
        assert "Không có xã/phường này." in r.text


def _deliveries(ctx: Context) -> Table:
    return Table((Col("status", "Trạng thái"), Col("count", "Số tin")),
                 [("sent", 7 if ctx.filters.channel is None else 3), ("failed", 1)])


async def test_a_registered_section_reaches_the_json_the_page_and_the_exports(world: World) -> None:
    # order 99: after every built-in section (the announcements' «deliveries» is 95, and of two with the
    # same order the one registered last comes last, which depends on what the worker ran before)
    register(Section("test_delivery", "Gửi thông báo (thử)", _deliveries, (bars(x="status", series=("count",)),),
                     order=99))
    try:
        c, auth = world.client, world.auth["admin"]
        got = await world.dashboard()
        assert list(got)[-1] == "test_delivery"
        assert got["test_delivery"]["rows"] == [{"status": "sent", "count": 7}, {"status": "failed", "count": 1}]
        assert (await world.dashboard(channel="zalo_oa"))["test_delivery"]["rows"][0]["count"] == 3
        r = await c.get("/api/v1/admin/dashboard/test_delivery.csv", headers=auth)
        assert r.status_code == 200 and r.text == "\ufeffTrạng thái,Số tin\r\nsent,7\r\nfailed,1\r\n"
        async with _signed_in(world, "admin") as browser:
            html = (await browser.get("/admin/dashboard")).text
        assert 'id="test_delivery"' in html and "Gửi thông báo (thử)" in html
    finally:
        unregister("test_delivery")
    assert "test_delivery" not in await world.dashboard()
    assert (await world.client.get("/api/v1/admin/dashboard/test_delivery.csv",
                                   headers=world.auth["admin"])).status_code == 404
