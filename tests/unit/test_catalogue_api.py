"""``GET /api/v1/services`` and ``/api/v1/services/{id}`` through the real app (lifespan, SQLite, seeded content)."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

import httpx
import pytest

from api.app import create_app
from tests.http.conftest import make_settings, open_client


@pytest.fixture(scope="module")
async def client(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[httpx.AsyncClient]:
    """A client on a fresh app seeded from the shipped YAML."""
    app = create_app(make_settings(tmp_path_factory.mktemp("services_api")))
    async for c in open_client(app):
        yield c


async def test_list_has_all_25_in_order(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/v1/services")
    assert r.status_code == 200
    items = r.json()
    assert isinstance(items, list) and len(items) == 25
    assert [i["number"] for i in items] == list(range(1, 26))
    for item in items:
        assert {"id", "name", "sector", "source", "reviewed", "life_events", "fees", "body"} <= set(item)
        assert item["id"] and item["name"] and item["sector"] and item["source"]


async def test_filters(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/v1/services", params={"sector": "cu_tru"})
    assert [i["id"] for i in r.json()] == ["perm_residence", "temp_residence", "temp_absence", "stay_notice"]
    r = await client.get("/api/v1/services", params={"life_event": "nguoi_mat"})
    assert {i["id"] for i in r.json()} == {"death_reg", "death_bundle"}
    r = await client.get("/api/v1/services", params={"sector": "cu_tru", "life_event": "ket_hon"})
    assert [i["id"] for i in r.json()] == ["perm_residence"]
    r = await client.get("/api/v1/services", params={"sector": "no_such_sector"})
    assert r.status_code == 200 and r.json() == []


async def test_bad_filter_is_422(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/v1/services", params={"sector": "Bad-Id!"})
    assert r.status_code == 422


async def test_one_service(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/v1/services/passport")
    assert r.status_code == 200
    body = r.json()
    assert body["id"] == "passport" and body["number"] == 12
    assert body["name"] == "Cấp, cấp lại, sửa đổi, bổ sung hộ chiếu phổ thông"
    assert body["sector"] == "can_cuoc" and body["sector_title"]


async def test_unknown_service_is_404_json(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/v1/services/nope")
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("application/json")
    assert "nope" in r.json()["error"]


async def test_fees_carry_their_window(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/v1/services/id_card")
    fees = r.json()["fees"]
    assert fees and all({"text", "source", "valid_from", "valid_until"} <= set(f) for f in fees)
    today = dt.datetime.now(dt.UTC).date().isoformat()
    for f in fees:  # never an expired or not-yet-valid fee
        assert f["valid_from"] is None or f["valid_from"] <= today
        assert f["valid_until"] is None or f["valid_until"] >= today
