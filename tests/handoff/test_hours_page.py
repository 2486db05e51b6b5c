"""The office-hours page: inherited hours shown, a bad form keeps every field and names the mistake,
nothing saved; a good form is saved (normalised) and the citizen's hours follow; staff on duty."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest
from sqlalchemy import text

from api.console.security import Role
from api.handoff import repo
from api.handoff.hours_pages import FormError, read_schedule
from api.handoff.scope import scope_for_account
from api.store import Unit
from api.team import repo as team_repo
from tests.console.conftest import Console, csrf_of, field_value

NOW = dt.datetime.now(dt.UTC)
EMPTY = {d: "" for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


@pytest.fixture(scope="module")
def units(console: Console) -> dict[str, int]:
    with console.store.unit() as unit:
        p = team_repo.create_unit(unit, level="province", name="Tỉnh Giờ", parent_id=None, now=NOW)
        a = team_repo.create_unit(unit, level="commune", name="Xã Giờ", parent_id=p.id, now=NOW)
    return {"p": p.id, "a": a.id}


async def _admin(console: Console, browser: httpx.AsyncClient) -> str:
    await console.login(browser, "admin")
    page = await browser.get("/admin/handoffs/hours")
    assert page.status_code == 200
    return csrf_of(page.text)


def _audited(unit: Unit, action: str) -> list[str]:
    """The targets of the audit entries of ``action``, oldest first."""
    rows = unit.connection.execute(text("SELECT target FROM audit_log WHERE action = :action ORDER BY id"),
                                   {"action": action})
    return [row[0] for row in rows]


def test_read_schedule_normalises_and_refuses() -> None:
    schedule, minutes = read_schedule({**EMPTY, "mon": "7h30-11h30; 13:30-17:00", "sun": "18.00-21.00"}, "20")
    assert schedule == {"mon": ["07:30-11:30", "13:30-17:00"], "sun": ["18:00-21:00"]} and minutes == 20
    for fields, pickup, field in [({**EMPTY, "tue": "25:00-26:00"}, "30", "tue"),
                                  ({**EMPTY, "wed": "11:00-09:00"}, "30", "wed"),
                                  ({**EMPTY, "thu": "08:00-10:00, 09:30-11:00"}, "30", "thu"),
                                  ({**EMPTY, "fri": "sáng"}, "30", "fri"),
                                  ({**EMPTY, "mon": "08:00-10:00"}, "0", "pickup_minutes"),
                                  (EMPTY, "30", "mon")]:
        with pytest.raises(FormError) as err:
            read_schedule(fields, pickup)
        assert err.value.field == field


async def test_bad_times_are_named_and_nothing_is_lost(console: Console, browser: httpx.AsyncClient,
                                                       units: dict[str, int]) -> None:
    csrf = await _admin(console, browser)
    a = units["a"]
    page = await browser.get(f"/admin/handoffs/hours?unit={a}")
    assert "giờ hành chính mặc định" in page.text and field_value(page.text, "mon") == "07:30-11:30, 13:30-17:00"
    typed = {"csrf_token": csrf, **EMPTY, "mon": "7:30-11", "tue": "13:30-17:00", "sat": "08:00-11:00",
             "pickup_minutes": "45"}
    r = await browser.post(f"/admin/handoffs/hours/{a}", data=typed)
    assert r.status_code == 422
    assert "Thứ Hai" in r.text and "«7:30-11»" in r.text and 'aria-invalid="true"' in r.text
    assert field_value(r.text, "mon") == "7:30-11" and field_value(r.text, "tue") == "13:30-17:00"
    assert field_value(r.text, "sat") == "08:00-11:00" and field_value(r.text, "pickup_minutes") == "45"
    with console.store.unit(readonly=True) as unit:
        assert repo.own_hours(unit, a) is None
    r = await browser.post(f"/admin/handoffs/hours/{a}", data={**typed, "mon": "", "pickup_minutes": "không"})
    assert r.status_code == 422 and "Thời gian chờ nhận" in r.text


async def test_saved_hours_are_used_and_inherited(console: Console, browser: httpx.AsyncClient,
                                                  units: dict[str, int]) -> None:
    csrf = await _admin(console, browser)
    p, a = units["p"], units["a"]
    r = await browser.post(f"/admin/handoffs/hours/{p}", data={"csrf_token": csrf, **EMPTY, "sun": "18h-21h",
                                                               "pickup_minutes": "15"})
    assert r.status_code == 422  # «18h» has no minutes
    r = await browser.post(f"/admin/handoffs/hours/{p}", data={"csrf_token": csrf, **EMPTY, "sun": "18:00-21:00",
                                                               "pickup_minutes": "15"})
    assert r.status_code == 303
    page = await browser.get(r.headers["location"])
    assert "Đã lưu giờ làm việc." in page.text
    page = await browser.get(f"/admin/handoffs/hours?unit={a}")
    assert "theo Tỉnh Giờ" in page.text and field_value(page.text, "sun") == "18:00-21:00"
    with console.store.unit(readonly=True) as unit:
        hours = repo.hours_for(unit, a)
    assert hours.pickup_minutes == 15 and set(hours.windows) == {"sun"}
    r = await browser.post(f"/admin/handoffs/hours/{a}", data={"csrf_token": csrf, **EMPTY, "mon": "07:00-09:00",
                                                               "pickup_minutes": "10"})
    assert r.status_code == 303
    with console.store.unit(readonly=True) as unit:
        assert repo.own_hours(unit, a) == ({"mon": ["07:00-09:00"]}, 10)
    r = await browser.post(f"/admin/handoffs/hours/{a}/inherit", data={"csrf_token": csrf})
    assert r.status_code == 303 and r.headers["location"] == f"/admin/handoffs/hours?unit={a}"
    with console.store.unit(readonly=True) as unit:
        assert repo.own_hours(unit, a) is None and repo.hours_for(unit, a).pickup_minutes == 15
        assert _audited(unit, "handoff.hours_clear") == [str(a)]
    r = await browser.post(f"/admin/handoffs/hours/{a}/inherit", data={"csrf_token": csrf})
    assert r.status_code == 409 and "Đơn vị này không có giờ riêng" in r.text
    assert field_value(r.text, "sun") == "18:00-21:00"  # the unit's form stays open, with the inherited hours
    assert (await browser.post("/admin/handoffs/hours/999999", data={"csrf_token": csrf, **EMPTY, "mon": "08:00-09:00",
                                                                     "pickup_minutes": "5"})).status_code == 404


async def test_staff_on_duty_and_who_may_open_the_page(console: Console, browser: httpx.AsyncClient,
                                                       units: dict[str, int]) -> None:
    csrf = await _admin(console, browser)
    a = units["a"]
    r = await browser.post("/admin/handoffs/staff", data={"csrf_token": csrf, "username": "test-viewer", "unit_id": str(a)})
    assert r.status_code == 200 and "test-viewer trực cho Xã Giờ" in r.text
    with console.store.unit(readonly=True) as unit:
        account = unit.connection.exec_driver_sql("SELECT id FROM admin_accounts WHERE username='test-viewer'").scalar()
        scope = scope_for_account(unit, account_id=int(account), role=Role.VIEWER)
    assert not scope.everything and scope.allows(a) and not scope.allows(None)
    for bad in ({"username": "test-admin", "unit_id": str(a)}, {"username": "khong-co", "unit_id": str(a)},
                {"username": "test-viewer", "unit_id": "x"}):
        r = await browser.post("/admin/handoffs/staff", data={"csrf_token": csrf, **bad})
        assert r.status_code == 422 and "Không thêm được cán bộ trực" in r.text
    r = await browser.post(f"/admin/handoffs/staff/{account}/remove", data={"csrf_token": csrf})
    assert r.status_code == 303 and r.headers["location"] == "/admin/handoffs/hours"
    with console.store.unit(readonly=True) as unit:
        assert _audited(unit, "handoff.staff_remove") == [str(account)]
    r = await browser.post(f"/admin/handoffs/staff/{account}/remove", data={"csrf_token": csrf})
    assert r.status_code == 404 and "Tài khoản này không trực đơn vị nào." in r.text
    assert (await browser.post(f"/admin/handoffs/hours/{a}", data={**EMPTY, "mon": "08:00-09:00"})).status_code == 403
    for role in ("editor", "member"):
        assert (await console.client.get("/admin/handoffs/hours", headers=console.auth(role))).status_code == 403
