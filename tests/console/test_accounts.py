"""Accounts (API and page) and the audit log: every route for every role, bad input, the last-admin rule."""

from __future__ import annotations

import datetime as dt
import itertools
import json
from typing import Any

import httpx
import pytest
from sqlmodel import col, func, select

from api.console.security import Role, create_account
from api.store.models import AdminAccount, AdminSession, AuditEntry
from tests.console.conftest import PASSWORD, ROLES, Console, csrf_of

NEW_PASSWORD = "mot-mat-khau-moi-2027"
BIG = "x" * 100_000
_names = itertools.count(1)


def make_account(console: Console, role: str = "viewer", display_name: str = "") -> tuple[int, str]:
    """A fresh account straight in the store; returns its id and username."""
    username = f"acc-{next(_names)}"
    with console.store.unit() as unit:
        account = create_account(unit, username=username, password=PASSWORD, role=Role(role),
                                 display_name=display_name, now=dt.datetime.now(dt.UTC))
        assert account.id is not None
        return account.id, username


def counts(console: Console) -> tuple[int, int, str]:
    """Accounts, audit entries and a fingerprint of every account row: equal before and after = nothing saved."""
    with console.store.unit(readonly=True) as unit:
        accounts = unit.session.exec(select(AdminAccount).order_by(col(AdminAccount.id))).all()
        audited = unit.session.exec(select(func.count()).select_from(AuditEntry)).one()
        rows = "|".join(f"{a.username},{a.role},{a.display_name},{a.disabled},{a.password_hash}" for a in accounts)
        return len(accounts), int(audited), rows


def audit_rows(console: Console, action: str) -> list[AuditEntry]:
    with console.store.unit(readonly=True) as unit:
        return list(unit.session.exec(select(AuditEntry).where(col(AuditEntry.action) == action)
                                      .order_by(col(AuditEntry.id).desc())).all())


async def token_of(console: Console, username: str, password: str = PASSWORD) -> dict[str, str]:
    r = await console.client.post("/api/v1/admin/token", data={"username": username, "password": password})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


# -- every route x every role ---------------------------------------------------------------------

# (method, path, how the body is sent, body, status for an admin)
ROUTES: list[tuple[str, str, str, dict[str, Any] | None, int]] = [
    ("GET", "/api/v1/admin/accounts", "", None, 200),
    ("POST", "/api/v1/admin/accounts", "json", {"username": "{new}", "password": NEW_PASSWORD, "role": "viewer"}, 201),
    ("PATCH", "/api/v1/admin/accounts/{id}", "json", {"display_name": "Đổi tên"}, 200),
    ("POST", "/api/v1/admin/accounts/{id}/password", "json", {"password": NEW_PASSWORD}, 200),
    ("POST", "/api/v1/admin/accounts/{id}/revoke", "", None, 200),
    ("GET", "/api/v1/admin/audit", "", None, 200),
    ("GET", "/admin/accounts", "", None, 200),
    ("POST", "/admin/accounts", "form", {"username": "{new}", "password": NEW_PASSWORD, "role": "viewer"}, 303),
    ("POST", "/admin/accounts/{id}/edit", "form", {"role": "editor", "display_name": "Biên tập"}, 303),
    ("POST", "/admin/accounts/{id}/disable", "form", {}, 303),
    ("POST", "/admin/accounts/{id}/enable", "form", {}, 303),
    ("POST", "/admin/accounts/{id}/password", "form", {"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD},
     303),
    ("POST", "/admin/accounts/{id}/revoke", "form", {}, 303),
    ("GET", "/admin/audit", "", None, 200),
]


async def _call(console: Console, route: tuple[str, str, str, dict[str, Any] | None, int],
                headers: dict[str, str]) -> httpx.Response:
    method, path, kind, body, _ = route
    target, _name = make_account(console)
    fresh = f"new-{next(_names)}"
    path = path.replace("{id}", str(target))
    filled = {k: (fresh if v == "{new}" else v) for k, v in (body or {}).items()}
    if kind == "json":
        return await console.client.request(method, path, json=filled, headers=headers)
    if kind == "form":
        return await console.client.request(method, path, data=filled, headers=headers)
    return await console.client.request(method, path, headers=headers)


@pytest.mark.parametrize("route", ROUTES, ids=[f"{r[0]} {r[1]}" for r in ROUTES])
@pytest.mark.parametrize("role", ["anonymous", *ROLES])
async def test_every_route_lets_only_admins_in(console: Console, route: tuple[str, str, str, Any, int],
                                               role: str) -> None:
    headers = {} if role == "anonymous" else console.auth(role)
    before = counts(console)
    r = await _call(console, route, headers)
    page = route[1].startswith("/admin/")
    if role == "anonymous":
        assert r.status_code == (303 if page else 401)
        if page:
            assert r.headers["location"].startswith("/admin/login?next=")
    elif role != "admin":
        assert r.status_code == 403 and "error" in r.json()
    else:
        assert r.status_code == route[4], r.text
    if role != "admin" and route[0] != "GET":
        after = counts(console)
        assert after[0] == before[0] + 1 and after[1] == before[1]  # only the fixture's own account


async def test_routes_are_in_the_openapi_schema_with_bearer_auth(console: Console) -> None:
    paths = (await console.client.get("/openapi.json")).json()["paths"]
    assert {"get", "post"} <= set(paths["/api/v1/admin/accounts"])
    assert "patch" in paths["/api/v1/admin/accounts/{account_id}"]
    assert "post" in paths["/api/v1/admin/accounts/{account_id}/password"]
    assert "post" in paths["/api/v1/admin/accounts/{account_id}/revoke"]
    assert "get" in paths["/api/v1/admin/audit"]
    assert not any(p.startswith("/admin/") for p in paths)
    assert "password_hash" not in json.dumps(paths)


# -- the API ------------------------------------------------------------------------------------------


async def test_create_list_update_and_the_audit_trail(console: Console) -> None:
    admin = console.auth("admin")
    r = await console.client.post("/api/v1/admin/accounts", headers=admin, json={
        "username": "  Chi.Lan@xa ", "password": NEW_PASSWORD, "role": "editor", "display_name": " Chị Lan "})
    assert r.status_code == 201, r.text
    created = r.json()
    assert created["username"] == "chi.lan@xa" and created["display_name"] == "Chị Lan"
    assert created["role"] == "editor" and created["disabled"] is False and "password_hash" not in created
    listed = (await console.client.get("/api/v1/admin/accounts", headers=admin)).json()
    assert "chi.lan@xa" in [a["username"] for a in listed] and all("password_hash" not in a for a in listed)
    again = await console.client.post("/api/v1/admin/accounts", headers=admin, json={
        "username": "CHI.LAN@XA", "password": NEW_PASSWORD, "role": "viewer"})
    assert again.status_code == 409 and "taken" in again.json()["error"]
    r = await console.client.patch(f"/api/v1/admin/accounts/{created['id']}", headers=admin,
                                   json={"role": "viewer", "display_name": "Lan"})
    assert r.status_code == 200 and r.json()["role"] == "viewer"
    page = (await console.client.get("/api/v1/admin/audit", headers=admin,
                                     params={"action": "account_updated", "limit": 1})).json()
    [entry] = page["entries"]
    assert entry["username"] == "test-admin" and entry["target"] == f"account:{created['id']}:chi.lan@xa"
    assert entry["detail"]["role"] == {"from": "editor", "to": "viewer"} and entry["ip"] == "203.0.113.7"
    made = (await console.client.get("/api/v1/admin/audit", headers=admin,
                                     params={"action": "account_created", "username": "TEST-ADMIN"})).json()
    assert any(e["target"].endswith(":chi.lan@xa") and e["detail"]["role"] == "editor" for e in made["entries"])
    everything = json.dumps((await console.client.get("/api/v1/admin/audit", headers=admin,
                                                      params={"limit": 200})).json())
    assert NEW_PASSWORD not in everything and PASSWORD not in everything


async def test_a_disabled_accounts_token_stops_at_once(console: Console) -> None:
    _, name = make_account(console, role="admin")
    theirs = await token_of(console, name)
    assert (await console.client.get("/api/v1/admin/accounts", headers=theirs)).status_code == 200
    account_id = next(a["id"] for a in (await console.client.get("/api/v1/admin/accounts",
                                                                 headers=console.auth("admin"))).json()
                      if a["username"] == name)
    r = await console.client.patch(f"/api/v1/admin/accounts/{account_id}", headers=console.auth("admin"),
                                   json={"disabled": True})
    assert r.status_code == 200 and r.json()["disabled"] is True
    assert (await console.client.get("/api/v1/admin/accounts", headers=theirs)).status_code == 401
    [entry] = audit_rows(console, "account_updated")[:1]
    assert entry.detail is not None and entry.detail["sessions_revoked"] == 1
    # Enabling does not bring the old token back: the sessions were revoked, not just hidden.
    await console.client.patch(f"/api/v1/admin/accounts/{account_id}", headers=console.auth("admin"),
                               json={"disabled": False})
    assert (await console.client.get("/api/v1/admin/accounts", headers=theirs)).status_code == 401
    assert (await console.client.post("/api/v1/admin/token",
                                      data={"username": name, "password": PASSWORD})).status_code == 200


async def test_a_new_password_and_revoke_end_every_session(console: Console) -> None:
    account_id, name = make_account(console, role="admin")
    first, second = await token_of(console, name), await token_of(console, name)
    r = await console.client.post(f"/api/v1/admin/accounts/{account_id}/revoke", headers=console.auth("admin"))
    assert r.status_code == 200 and r.json() == {"revoked": 2}
    for headers in (first, second):
        assert (await console.client.get("/api/v1/admin/accounts", headers=headers)).status_code == 401
    third = await token_of(console, name)
    r = await console.client.post(f"/api/v1/admin/accounts/{account_id}/password", headers=console.auth("admin"),
                                  json={"password": NEW_PASSWORD})
    assert r.status_code == 200
    assert (await console.client.get("/api/v1/admin/accounts", headers=third)).status_code == 401
    await token_of(console, name, NEW_PASSWORD)
    [entry] = audit_rows(console, "password_changed")[:1]
    assert entry.detail == {"sessions_revoked": 1} and entry.target == f"account:{account_id}:{name}"
    assert NEW_PASSWORD not in json.dumps(entry.detail)


async def test_the_last_enabled_admin_cannot_disable_or_demote_itself(console: Console) -> None:
    admin = console.auth("admin")
    with console.store.unit() as unit:  # other tests may have made admins: leave test-admin the only one
        others = unit.session.exec(select(AdminAccount).where(col(AdminAccount.role) == "admin",
                                                              col(AdminAccount.username) != "test-admin")).all()
        for other in others:
            other.disabled = True
            unit.session.add(other)
        me = unit.session.exec(select(AdminAccount).where(col(AdminAccount.username) == "test-admin")).one()
    before = counts(console)
    for change in ({"disabled": True}, {"role": "editor"}, {"role": "viewer", "disabled": True}):
        r = await console.client.patch(f"/api/v1/admin/accounts/{me.id}", headers=admin, json=change)
        assert r.status_code == 409 and "last enabled admin" in r.json()["error"]
    assert counts(console) == before
    # With a second admin, the first may step down.
    second_id, second = make_account(console, role="admin")
    theirs = await token_of(console, second)
    r = await console.client.patch(f"/api/v1/admin/accounts/{second_id}", headers=theirs, json={"role": "editor"})
    assert r.status_code == 200 and r.json()["role"] == "editor"
    assert (await console.client.get("/api/v1/admin/accounts", headers=theirs)).status_code == 403


BAD_CREATE: list[tuple[str, Any]] = [
    ("empty object", {}),
    ("empty username", {"username": "", "password": NEW_PASSWORD, "role": "viewer"}),
    ("blank username", {"username": "   ", "password": NEW_PASSWORD, "role": "viewer"}),
    ("space in username", {"username": "a b", "password": NEW_PASSWORD, "role": "viewer"}),
    ("long username", {"username": "u" * 65, "password": NEW_PASSWORD, "role": "viewer"}),
    ("number username", {"username": 123, "password": NEW_PASSWORD, "role": "viewer"}),
    ("list username", {"username": ["a"], "password": NEW_PASSWORD, "role": "viewer"}),
    ("short password", {"username": "okname", "password": "short", "role": "viewer"}),
    ("long password", {"username": "okname", "password": "p" * 257, "role": "viewer"}),
    ("null password", {"username": "okname", "password": None, "role": "viewer"}),
    ("unknown role", {"username": "okname", "password": NEW_PASSWORD, "role": "root"}),
    ("number role", {"username": "okname", "password": NEW_PASSWORD, "role": 1}),
    ("long display name", {"username": "okname", "password": NEW_PASSWORD, "role": "viewer", "display_name": "d" * 129}),
    ("control character", {"username": "okname", "password": NEW_PASSWORD, "role": "viewer", "display_name": "a\x00b"}),
    ("extra field", {"username": "okname", "password": NEW_PASSWORD, "role": "viewer", "is_admin": True}),
    ("a list", ["okname"]),
    ("a string", "okname"),
]


@pytest.mark.parametrize("body", [b for _, b in BAD_CREATE], ids=[n for n, _ in BAD_CREATE])
async def test_bad_json_for_a_new_account_is_refused_and_nothing_saved(console: Console, body: Any) -> None:
    before = counts(console)
    r = await console.client.post("/api/v1/admin/accounts", headers=console.auth("admin"), json=body)
    assert r.status_code == 422 and r.json()["error"]
    assert counts(console) == before


@pytest.mark.parametrize("raw", [
    b'{"username": "okname", "password": "\\ud800\\ud800\\ud800\\ud800\\ud800\\ud800", "role": "viewer"}',
    b'{"username": "okname", "password": ',
    b"\xff\xfe not json",
    b"",
    b'{"username": "' + BIG.encode() + b'", "password": "mot-mat-khau-moi", "role": "viewer"}',
], ids=["lone surrogates", "cut off", "not utf-8", "empty", "100 KB"])
async def test_broken_bodies_are_4xx_not_500(console: Console, raw: bytes) -> None:
    before = counts(console)
    r = await console.client.post("/api/v1/admin/accounts", content=raw,
                                  headers={**console.auth("admin"), "content-type": "application/json"})
    assert 400 <= r.status_code < 500 and r.json()["error"]
    assert counts(console) == before


BAD_PATCH: list[tuple[str, Any]] = [
    ("unknown role", {"role": "root"}),
    ("string disabled", {"disabled": "yes"}),
    ("number disabled", {"disabled": 1}),
    ("number name", {"display_name": 5}),
    ("long name", {"display_name": "n" * 129}),
    ("newline name", {"display_name": "a\nb"}),
    ("password here", {"password": NEW_PASSWORD}),
    ("a list", [{"role": "admin"}]),
]


@pytest.mark.parametrize("body", [b for _, b in BAD_PATCH], ids=[n for n, _ in BAD_PATCH])
async def test_bad_changes_are_refused_and_nothing_saved(console: Console, body: Any) -> None:
    account_id, _ = make_account(console)
    before = counts(console)
    r = await console.client.patch(f"/api/v1/admin/accounts/{account_id}", headers=console.auth("admin"), json=body)
    assert r.status_code == 422 and r.json()["error"]
    assert counts(console) == before


@pytest.mark.parametrize("body", [{}, {"password": ""}, {"password": "short"}, {"password": 1234567890123},
                                  {"password": "p" * 257}, {"password": BIG}])
async def test_bad_new_passwords_are_refused_and_sessions_kept(console: Console, body: Any) -> None:
    account_id, name = make_account(console, role="admin")
    theirs = await token_of(console, name)
    before = counts(console)
    r = await console.client.post(f"/api/v1/admin/accounts/{account_id}/password", headers=console.auth("admin"),
                                  json=body)
    assert r.status_code in (413, 422) and r.json()["error"]
    assert counts(console) == before
    assert (await console.client.get("/api/v1/admin/accounts", headers=theirs)).status_code == 200


@pytest.mark.parametrize("path", ["0", "-1", "abc", str(2**40), "99999"])
async def test_unknown_or_impossible_ids_are_4xx(console: Console, path: str) -> None:
    admin = console.auth("admin")
    r = await console.client.patch(f"/api/v1/admin/accounts/{path}", headers=admin, json={"disabled": True})
    assert r.status_code == (404 if path == "99999" else 422)
    r = await console.client.post(f"/api/v1/admin/accounts/{path}/revoke", headers=admin)
    assert r.status_code == (404 if path == "99999" else 422)


# -- the audit API ----------------------------------------------------------------------------------


async def test_audit_is_newest_first_filtered_and_paged(console: Console) -> None:
    admin = console.auth("admin")
    for _ in range(3):
        account_id, _name = make_account(console)
        await console.client.post(f"/api/v1/admin/accounts/{account_id}/revoke", headers=admin)
    first = (await console.client.get("/api/v1/admin/audit", headers=admin,
                                      params={"action": "sessions_revoked", "limit": 2})).json()
    assert len(first["entries"]) == 2 and first["next_before_id"] == first["entries"][-1]["id"]
    ids = [e["id"] for e in first["entries"]]
    assert ids == sorted(ids, reverse=True)
    second = (await console.client.get("/api/v1/admin/audit", headers=admin, params={
        "action": "sessions_revoked", "limit": 2, "before_id": first["next_before_id"]})).json()
    assert second["entries"] and all(e["id"] < ids[-1] for e in second["entries"])
    today = dt.datetime.now(dt.UTC).date()
    dated = (await console.client.get("/api/v1/admin/audit", headers=admin,
                                      params={"since": today.isoformat(), "until": today.isoformat()})).json()
    assert dated["entries"]
    later = (await console.client.get("/api/v1/admin/audit", headers=admin,
                                      params={"since": (today + dt.timedelta(days=1)).isoformat()})).json()
    assert later == {"entries": [], "next_before_id": None}
    nobody = (await console.client.get("/api/v1/admin/audit", headers=admin, params={"username": "nobody"})).json()
    assert nobody["entries"] == []


@pytest.mark.parametrize("params", [{"since": "yesterday"}, {"until": "2026-13-40"}, {"limit": 0}, {"limit": 201},
                                    {"limit": "many"}, {"before_id": -1}, {"username": "u" * 65},
                                    {"action": BIG[:5000]}])
async def test_bad_audit_filters_are_422(console: Console, params: dict[str, Any]) -> None:
    r = await console.client.get("/api/v1/admin/audit", headers=console.auth("admin"), params=params)
    assert r.status_code == 422 and r.json()["error"]


# -- the pages ------------------------------------------------------------------------------------


async def test_the_accounts_page_lists_and_creates(console: Console, browser: httpx.AsyncClient) -> None:
    await console.login(browser, "admin")
    page = await browser.get("/admin/accounts")
    assert page.status_code == 200 and "test-editor" in page.text and "Thêm tài khoản" in page.text
    assert "password_hash" not in page.text and "argon2" not in page.text
    r = await browser.post("/admin/accounts", data={"csrf_token": csrf_of(page.text), "username": "Co.Ba",
                                                    "password": NEW_PASSWORD, "role": "member",
                                                    "display_name": "Cô Ba"})
    assert r.status_code == 303 and r.headers["location"].startswith("/admin/accounts?done=created#account-")
    shown = await browser.get(r.headers["location"])
    assert "Đã tạo tài khoản." in shown.text and "co.ba" in shown.text and "Cô Ba" in shown.text
    [entry] = [e for e in audit_rows(console, "account_created") if e.target.endswith(":co.ba")]
    assert entry.username == "test-admin" and entry.ip == "203.0.113.9"


async def test_a_form_post_without_csrf_is_refused(console: Console, browser: httpx.AsyncClient) -> None:
    await console.login(browser, "admin")
    account_id, _ = make_account(console)
    before = counts(console)
    for path, data in [("/admin/accounts", {"username": "no-csrf", "password": NEW_PASSWORD, "role": "admin"}),
                       (f"/admin/accounts/{account_id}/disable", {}),
                       (f"/admin/accounts/{account_id}/password",
                        {"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD}),
                       (f"/admin/accounts/{account_id}/edit", {"role": "admin", "csrf_token": "forged"})]:
        r = await browser.post(path, data=data)
        assert r.status_code == 403, path
    assert counts(console) == before


async def test_page_actions_disable_enable_edit_password_revoke(console: Console, browser: httpx.AsyncClient) -> None:
    await console.login(browser, "admin")
    csrf = csrf_of((await browser.get("/admin/accounts")).text)
    account_id, name = make_account(console, role="admin")
    theirs = await token_of(console, name)
    r = await browser.post(f"/admin/accounts/{account_id}/disable", data={"csrf_token": csrf})
    assert r.status_code == 303 and "done=disabled" in r.headers["location"]
    assert (await console.client.get("/api/v1/admin/accounts", headers=theirs)).status_code == 401
    page = await browser.get(r.headers["location"])
    assert "Đã khoá" in page.text and f'action="/admin/accounts/{account_id}/enable"' in page.text
    r = await browser.post(f"/admin/accounts/{account_id}/enable", data={"csrf_token": csrf})
    assert r.status_code == 303
    r = await browser.post(f"/admin/accounts/{account_id}/edit",
                           data={"csrf_token": csrf, "role": "viewer", "display_name": "Anh Tư"})
    assert r.status_code == 303
    r = await browser.post(f"/admin/accounts/{account_id}/password",
                           data={"csrf_token": csrf, "password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD})
    assert r.status_code == 303
    theirs = await token_of(console, name, NEW_PASSWORD)
    r = await browser.post(f"/admin/accounts/{account_id}/revoke", data={"csrf_token": csrf})
    assert r.status_code == 303
    assert (await console.client.get("/admin/", headers=theirs)).status_code == 303
    with console.store.unit(readonly=True) as unit:
        account = unit.session.get(AdminAccount, account_id)
        assert account is not None and account.role == "viewer" and account.display_name == "Anh Tư"
        open_sessions = unit.session.exec(select(AdminSession).where(col(AdminSession.account_id) == account_id,
                                                                     col(AdminSession.revoked_at).is_(None))).all()
        assert open_sessions == []


BAD_FORMS: list[tuple[str, dict[str, str], str, str]] = [
    ("all empty", {"username": "", "password": "", "role": "", "display_name": ""}, "username",
     "Tên đăng nhập gồm"),
    ("bad username", {"username": "có dấu cách", "password": NEW_PASSWORD, "role": "viewer"}, "username",
     "Tên đăng nhập gồm"),
    ("short password", {"username": "giu-lai-ten", "password": "ngan", "role": "viewer"}, "password",
     "Mật khẩu cần từ 10 đến 256 ký tự."),
    ("unknown role", {"username": "giu-lai-ten", "password": NEW_PASSWORD, "role": "superuser"}, "role",
     "Vai trò phải là một trong"),
    ("long name", {"username": "giu-lai-ten", "password": NEW_PASSWORD, "role": "viewer", "display_name": "n" * 5000},
     "display_name", "Tên hiển thị tối đa 128 ký tự"),
]


@pytest.mark.parametrize(("data", "field", "message"), [b[1:] for b in BAD_FORMS], ids=[b[0] for b in BAD_FORMS])
async def test_bad_create_form_shows_the_message_keeps_input_saves_nothing(
    console: Console, browser: httpx.AsyncClient, data: dict[str, str], field: str, message: str
) -> None:
    await console.login(browser, "admin")
    csrf = csrf_of((await browser.get("/admin/accounts")).text)
    before = counts(console)
    r = await browser.post("/admin/accounts", data={"csrf_token": csrf, **data})
    assert r.status_code == 422 and message in r.text
    assert f'id="create-{field}-error"' in r.text and 'aria-invalid="true"' in r.text
    if data["username"]:
        assert f'value="{data["username"]}"' in r.text  # what was typed stays
    if data["password"]:
        assert data["password"] not in r.text  # but never the password
    assert counts(console) == before


async def test_form_edge_cases_are_4xx_and_save_nothing(console: Console, browser: httpx.AsyncClient) -> None:
    await console.login(browser, "admin")
    csrf = csrf_of((await browser.get("/admin/accounts")).text)
    account_id, name = make_account(console)
    before = counts(console)
    # 100 KB in a field: the message next to the field, what was typed is not echoed back whole.
    r = await browser.post("/admin/accounts", data={"csrf_token": csrf, "username": BIG, "password": NEW_PASSWORD,
                                                    "role": "viewer"})
    assert r.status_code == 422 and "Tên đăng nhập gồm" in r.text
    # A file where text belongs (multipart), a repeated field.
    r = await browser.post("/admin/accounts", data={"csrf_token": csrf, "password": NEW_PASSWORD, "role": "viewer"},
                           files={"username": ("name.txt", b"tep", "text/plain")})
    assert r.status_code == 422 and "Tên đăng nhập gồm" in r.text
    r = await browser.post("/admin/accounts", content=f"csrf_token={csrf}&username=a&username=b&password="
                           f"{NEW_PASSWORD}&role=viewer".encode(),
                           headers={"content-type": "application/x-www-form-urlencoded"})
    assert r.status_code == 422 and "Tên đăng nhập gồm" in r.text
    # Taken name: next to the field, the rest kept.
    r = await browser.post("/admin/accounts", data={"csrf_token": csrf, "username": name, "password": NEW_PASSWORD,
                                                    "role": "editor", "display_name": "Giữ lại"})
    assert r.status_code == 409 and "Tên đăng nhập này đã được dùng." in r.text and 'value="Giữ lại"' in r.text
    # Edit, password and unknown accounts.
    r = await browser.post(f"/admin/accounts/{account_id}/edit",
                           data={"csrf_token": csrf, "role": "god", "display_name": "Tên mới"})
    assert r.status_code == 422 and "Vai trò phải là một trong" in r.text and 'value="Tên mới"' in r.text
    r = await browser.post(f"/admin/accounts/{account_id}/password",
                           data={"csrf_token": csrf, "password": NEW_PASSWORD, "password_confirm": "khac-hoan-toan"})
    assert r.status_code == 422 and "Hai lần nhập mật khẩu không khớp." in r.text and NEW_PASSWORD not in r.text
    r = await browser.post(f"/admin/accounts/{account_id}/password",
                           data={"csrf_token": csrf, "password": "", "password_confirm": ""})
    assert r.status_code == 422 and "Mật khẩu cần từ 10 đến 256 ký tự." in r.text
    r = await browser.post("/admin/accounts/99999/disable", data={"csrf_token": csrf})
    assert r.status_code == 404 and "Không tìm thấy tài khoản" in r.text
    r = await browser.post("/admin/accounts/abc/disable", data={"csrf_token": csrf})
    assert r.status_code == 422
    assert counts(console) == before


async def test_last_admin_on_the_page(console: Console, browser: httpx.AsyncClient) -> None:
    with console.store.unit() as unit:
        for other in unit.session.exec(select(AdminAccount).where(col(AdminAccount.role) == "admin",
                                                                  col(AdminAccount.username) != "test-admin")):
            other.disabled = True
            unit.session.add(other)
        me = unit.session.exec(select(AdminAccount).where(col(AdminAccount.username) == "test-admin")).one()
    await console.login(browser, "admin")
    csrf = csrf_of((await browser.get("/admin/accounts")).text)
    before = counts(console)
    r = await browser.post(f"/admin/accounts/{me.id}/disable", data={"csrf_token": csrf})
    assert r.status_code == 409 and "tài khoản quản trị cuối cùng" in r.text
    r = await browser.post(f"/admin/accounts/{me.id}/edit", data={"csrf_token": csrf, "role": "viewer",
                                                                 "display_name": ""})
    assert r.status_code == 409 and "tài khoản quản trị cuối cùng" in r.text
    assert counts(console) == before


async def test_what_was_typed_is_escaped_on_both_pages(console: Console, browser: httpx.AsyncClient) -> None:
    evil = '<script>alert(1)</script>"'
    make_account(console, display_name=evil)
    await console.login(browser, "admin")
    page = await browser.get("/admin/accounts")
    assert "<script>alert(1)" not in page.text and "&lt;script&gt;alert(1)&lt;/script&gt;&#34;" in page.text
    account_id, _ = make_account(console)
    await console.client.patch(f"/api/v1/admin/accounts/{account_id}", headers=console.auth("admin"),
                               json={"display_name": evil})
    audit = await browser.get("/admin/audit", params={"action": "account_updated", "username": evil})
    assert audit.status_code == 200 and "<script>alert(1)" not in audit.text
    audit = await browser.get("/admin/audit", params={"action": "account_updated"})
    assert "<script>alert(1)" not in audit.text and "&lt;script&gt;" in audit.text
    for text in (page.text, audit.text):
        assert " style=" not in text and "<style" not in text and "<script>" not in text


async def test_the_audit_page_filters_pages_and_explains_bad_dates(console: Console,
                                                                  browser: httpx.AsyncClient) -> None:
    await console.login(browser, "admin")
    page = await browser.get("/admin/audit")
    assert page.status_code == 200 and "<table" in page.text and "login" in page.text
    first = await browser.get("/admin/audit", params={"action": "login"})
    assert first.status_code == 200 and 'data-label="Hành động"' in first.text
    for i in range(60):  # more than a page of sign-ins
        with console.store.unit() as unit:
            unit.session.add(AuditEntry(at=dt.datetime.now(dt.UTC), username="test-admin", action="login",
                                        ip=f"198.51.100.{i}"))
    first = await browser.get("/admin/audit", params={"action": "login"})
    assert "Trang sau" in first.text and "before_id=" in first.text
    bad = await browser.get("/admin/audit", params={"since": "hôm qua", "username": "giu-lai"})
    assert bad.status_code == 422 and "Ngày bắt đầu phải có dạng YYYY-MM-DD." in bad.text
    assert 'value="giu-lai"' in bad.text
    big = await browser.get("/admin/audit", params={"username": BIG[:8000]})
    assert big.status_code == 422
    odd = await browser.get("/admin/audit", params={"before_id": "x"})
    assert odd.status_code == 422 and "Vị trí trang" in odd.text
