"""Facets and situations survive the console: the service form, the JSON API and the YAML export."""

from __future__ import annotations

import io
import re
import zipfile
from typing import Any

import httpx
import yaml

from tests.console.conftest import Console

API = "/api/v1/admin"


async def _item(console: Console, service_id: str) -> dict[str, Any]:
    r = await console.client.get(f"{API}/services/{service_id}", headers=console.auth("viewer"))
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


async def _form_fields(browser: httpx.AsyncClient, path: str) -> tuple[str, dict[str, Any]]:
    import html as html_lib

    page = await browser.get(path)
    assert page.status_code == 200, page.text[:300]
    fields: dict[str, Any] = dict(re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', page.text))
    for name, body in re.findall(r'<textarea name="([^"]+)"[^>]*>(.*?)</textarea>', page.text, re.DOTALL):
        fields[name] = body
    fields = {k: html_lib.unescape(v) for k, v in fields.items()}
    fields["channels"] = re.findall(r'name="channels" value="([^"]+)" checked', page.text)
    return page.text, fields


async def test_the_service_form_keeps_facets_and_situations(console: Console, browser: httpx.AsyncClient) -> None:
    before = await _item(console, "death_reg")
    assert before["facets"]["documents"]["text"] and before["situations"]
    await console.login(browser, "editor")
    html, fields = await _form_fields(browser, "/admin/services/death_reg")
    assert "Giấy báo tử" in html  # the form lists the facets it keeps
    r = await browser.post("/admin/services/death_reg", data={**fields, "summary": fields["summary"] + " Đã rà soát."})
    assert r.status_code == 303, r.text[:500]
    after = await _item(console, "death_reg")
    assert after["version"] == before["version"] + 1
    assert after["summary"].endswith("Đã rà soát.")
    assert after["facets"] == before["facets"] and after["situations"] == before["situations"]
    chat = await console.client.post("/api/v1/chat", json={"user_id": "facet-form", "payload": "sf-death_reg-documents"})
    assert "Giấy báo tử" in chat.json()["replies"][0]["text"]


async def test_api_edit_of_a_facet_is_live_and_a_broken_one_is_refused(console: Console) -> None:
    item = await _item(console, "birth_reg")
    data = {k: v for k, v in item.items() if k not in {"version", "updated_by", "updated_at", "edited"}}
    data["facets"]["fee"] = {**data["facets"]["fee"], "text": "Miễn lệ phí khi đăng ký đúng hạn (đã rà soát)."}
    r = await console.client.put(f"{API}/services/birth_reg", json={**data, "version": item["version"]},
                                 headers=console.auth("editor"))
    assert r.status_code == 200, r.text
    chat = await console.client.post("/api/v1/chat", json={"user_id": "facet-api", "payload": "sf-birth_reg-fee"})
    assert chat.json()["replies"][0]["text"].startswith("Miễn lệ phí khi đăng ký đúng hạn (đã rà soát).")
    broken = {**data, "facets": {**data["facets"], "fee": {"text": "Không có nguồn", "reviewed": "2026-12-02"}}}
    r = await console.client.put(f"{API}/services/birth_reg", json={**broken, "version": item["version"] + 1},
                                 headers=console.auth("editor"))
    assert r.status_code == 422
    assert any(e["field"] == "facets.fee.source" for e in r.json()["errors"]), r.json()


async def test_yaml_export_keeps_facets(console: Console) -> None:
    r = await console.client.get(f"{API}/export?format=yaml", headers=console.auth("editor"))
    assert r.status_code == 200, r.text[:300]
    with zipfile.ZipFile(io.BytesIO(r.content)) as archive:
        body = yaml.safe_load(archive.read("catalogue/services_cap_xa.yaml"))
    death = next(s for s in body["services"] if s["id"] == "death_reg")
    assert "Giấy báo tử" in death["facets"]["documents"]["text"]
    assert {s["id"] for s in death["situations"]} >= {"lost_certificate", "late"}
