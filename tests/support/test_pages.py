"""The support points console page over HTTP: add, edit, delete with windows; every bad form is a 422
that names the field and keeps what was typed, nothing saved; only admins; the commune search."""

from __future__ import annotations

import html
import re
from typing import Any

import httpx

from api.support import repo, units
from tests.console.conftest import Console, csrf_of, field_value

BA_DINH = next(w for w in units.wards_of(1) if w.name.endswith("Ba Đình"))


def _good(csrf: str, **changes: str) -> dict[str, Any]:
    form = {"csrf_token": csrf, "name": "Công an phường Ba Đình", "kind": "police", "address": "Số 1 phố Thử",
            "commune_code": str(BA_DINH.code), "lat": "21,0341", "lon": "105.8372", "services": ["level2", "card"],
            "bring": "Thẻ căn cước", "note": "",
            "w0_weekday": "6", "w0_date": "", "w0_start": "18:00", "w0_end": "21:00",
            "w1_weekday": "", "w1_date": "2026-12-20", "w1_start": "7h30", "w1_end": "11:30"}
    form.update(changes)
    return form


async def _admin(console: Console, browser: httpx.AsyncClient) -> str:
    await console.login(browser, "admin")
    page = await browser.get("/admin/support-points/new")
    assert page.status_code == 200
    return csrf_of(page.text)


def _count(console: Console) -> int:
    with console.store.unit(readonly=True) as unit:
        return len(repo.list_points(unit))


async def test_add_edit_delete_a_point_with_windows(console: Console, browser: httpx.AsyncClient) -> None:
    csrf = await _admin(console, browser)
    before = _count(console)
    r = await browser.post("/admin/support-points/new", data=_good(csrf))
    assert r.status_code == 303, r.text[:400]
    with console.store.unit(readonly=True) as unit:
        [point] = [p for p in repo.list_points(unit) if p.name == "Công an phường Ba Đình"]
    assert (point.commune_code, point.province_code, point.lat) == (BA_DINH.code, 1, 21.0341)
    assert set(point.services) == {"level2", "card"}
    assert {(w.weekday, str(w.on_date), f"{w.start:%H:%M}") for w in point.windows} == {
        (6, "None", "18:00"), (None, "2026-12-20", "07:30")}
    page = await browser.get("/admin/support-points")
    assert "Công an phường Ba Đình" in page.text and "Chủ nhật 18:00-21:00" in page.text
    page = await browser.get(f"/admin/support-points/{point.id}")
    assert field_value(page.text, "w0_start") == "18:00" and "Ba Đình, Thành phố Hà Nội" in page.text
    r = await browser.post(f"/admin/support-points/{point.id}", data=_good(csrf, name="Điểm mới", w1_date="",
                                                                           w1_start="", w1_end=""))
    assert r.status_code == 303
    with console.store.unit(readonly=True) as unit:
        changed = repo.get_point(unit, point.id)
    assert changed is not None and changed.name == "Điểm mới" and len(changed.windows) == 1
    r = await browser.post(f"/admin/support-points/{point.id}/delete", data={"csrf_token": csrf})
    assert r.status_code == 303 and _count(console) == before
    assert (await browser.post(f"/admin/support-points/{point.id}/delete", data={"csrf_token": csrf})).status_code == 404
    assert (await browser.get(f"/admin/support-points/{point.id}")).status_code == 404


async def test_bad_forms_are_named_and_keep_what_was_typed(console: Console, browser: httpx.AsyncClient) -> None:
    csrf = await _admin(console, browser)
    before = _count(console)
    cases = [
        ({"commune_code": ""}, "commune_code", "Chọn xã/phường"),
        ({"commune_code": "99999999"}, "commune_code", "Chọn xã/phường"),
        ({"lat": "abc"}, "lat", "Vĩ độ phải là một số"),
        ({"lat": "105.8", "lon": "21.0"}, "lat", "nằm ngoài Việt Nam"),
        ({"lon": "nan"}, "lon", "nằm ngoài Việt Nam"),
        ({"w0_start": "25:00"}, "w0_weekday", "Khung giờ 1: giờ bắt đầu «25:00»"),
        ({"w0_end": "17:00"}, "w0_weekday", "giờ kết thúc phải sau giờ bắt đầu"),
        ({"w1_weekday": "2"}, "w1_weekday", "Khung giờ 2: chọn một thứ trong tuần hoặc một ngày"),
        ({"w1_date": "2026-02-30"}, "w1_weekday", "ngày «2026-02-30» không đúng"),
        ({"name": "   "}, "name", "Tên điểm: cần tên điểm"),
        ({"kind": "bar"}, "kind", "Loại điểm"),
        ({"services": ["install", "massage"]}, "services", "Việc làm tại điểm"),
    ]
    for changes, bad_field, message in cases:
        r = await browser.post("/admin/support-points/new", data=_good(csrf, **changes))
        assert r.status_code == 422, (changes, r.status_code)
        assert message in html.unescape(r.text), (changes, r.text[r.text.find("form-error") - 20:][:300])
        if bad_field != "services":  # check boxes: the message names the field
            assert re.search(rf'name="{bad_field}"[^>]*aria-invalid="true"', r.text), (changes, bad_field)
        assert field_value(r.text, "address") == "Số 1 phố Thử" and ">Thẻ căn cước</textarea>" in r.text
        assert field_value(r.text, "w0_end") == changes.get("w0_end", "21:00")
        assert field_value(r.text, "lat") == changes.get("lat", "21,0341")
    assert _count(console) == before
    r = await browser.post("/admin/support-points/new", data=_good("wrong-token"))
    assert r.status_code == 403 and _count(console) == before


async def test_commune_search_and_roles(console: Console, browser: httpx.AsyncClient) -> None:
    await _admin(console, browser)
    found = (await browser.get("/admin/support-points/communes", params={"q": "ba dinh ha noi"})).json()["communes"]
    assert {"code": BA_DINH.code, "label": f"{BA_DINH.name}, Thành phố Hà Nội"} in found
    assert (await browser.get("/admin/support-points/communes", params={"q": ""})).json() == {"communes": []}
    assert len((await browser.get("/admin/support-points/communes", params={"q": "xa"})).json()["communes"]) == 20
    assert (await browser.get("/admin/support-points/communes", params={"q": "x" * 81})).status_code == 422
    for role in ("editor", "member", "viewer"):
        r = await console.client.get("/admin/support-points", headers=console.auth(role))
        assert r.status_code == 403
