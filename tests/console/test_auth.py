"""Signing in and out, bearer tokens, roles, CSRF, throttling and the pages' security headers."""

from __future__ import annotations

import datetime as dt

import httpx
from sqlmodel import col, select

from api.console.security import COOKIE, FAILURES_PER_ACCOUNT
from api.store.models import AdminSession, AuditEntry
from tests.console.conftest import PASSWORD, Console, csrf_of


async def test_token_in_the_oauth2_password_shape(console: Console) -> None:
    r = await console.client.post("/api/v1/admin/token", data={"username": "TEST-editor", "password": PASSWORD})
    assert r.status_code == 200
    body = r.json()
    assert body["token_type"] == "bearer" and len(body["access_token"]) >= 40 and body["expires_in"] > 0
    wrong = await console.client.post("/api/v1/admin/token", data={"username": "test-editor", "password": "x" * 12})
    assert wrong.status_code == 401 and wrong.headers["www-authenticate"] == "Bearer"
    # Only a hash of the token is kept.
    with console.store.unit(readonly=True) as unit:
        ids = [s.id for s in unit.session.exec(select(AdminSession)).all()]
    assert body["access_token"] not in ids and all(len(i) == 64 for i in ids)


async def test_a_revoked_or_expired_token_is_refused(console: Console) -> None:
    r = await console.client.post("/api/v1/admin/token", data={"username": "test-viewer", "password": PASSWORD})
    headers = {"Authorization": f"Bearer {r.json()['access_token']}"}
    assert (await console.client.post("/api/v1/admin/token/revoke", headers=headers)).status_code == 204
    assert (await console.client.post("/api/v1/admin/token/revoke", headers=headers)).status_code == 401
    r = await console.client.post("/api/v1/admin/token", data={"username": "test-viewer", "password": PASSWORD})
    token = r.json()["access_token"]
    with console.store.unit() as unit:
        newest = unit.session.exec(select(AdminSession).order_by(col(AdminSession.created_at).desc())).first()
        assert newest is not None
        newest.expires_at = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
        unit.session.add(newest)
    assert (await console.client.post("/api/v1/admin/token/revoke",
                                      headers={"Authorization": f"Bearer {token}"})).status_code == 401


async def test_pages_send_anonymous_browsers_to_the_login_page(console: Console) -> None:
    r = await console.client.get("/admin/")
    assert r.status_code == 303 and r.headers["location"] == "/admin/login?next=/admin/"


async def test_login_sets_a_hardened_cookie_and_a_new_session_each_time(
    console: Console, browser: httpx.AsyncClient
) -> None:
    r = await console.login(browser, "editor")
    assert r.status_code == 303 and r.headers["location"] == "/admin/"
    cookie = r.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE}=") and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "Secure" not in cookie  # PUBLIC_BASE_URL is http in the tests
    first = browser.cookies[COOKIE]
    home = await browser.get("/admin/")
    assert home.status_code == 200 and "Thử editor" in home.text
    again = await console.login(browser, "editor")
    assert again.status_code == 303 and browser.cookies[COOKIE] != first


async def test_console_pages_carry_a_csp_without_inline_script(console: Console, browser: httpx.AsyncClient) -> None:
    await console.login(browser, "admin")
    r = await browser.get("/admin/")
    csp = r.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "default-src 'self'" in csp
    assert r.headers["x-frame-options"] == "DENY" and r.headers["cache-control"] == "no-store"
    assert "<script>" not in r.text and " on" + "click=" not in r.text


async def test_a_form_post_without_the_csrf_token_is_refused(console: Console, browser: httpx.AsyncClient) -> None:
    await console.login(browser, "viewer")
    page = await browser.get("/admin/")
    refused = await browser.post("/admin/logout", data={})
    assert refused.status_code == 403
    assert (await browser.get("/admin/")).status_code == 200  # still signed in
    done = await browser.post("/admin/logout", data={"csrf_token": csrf_of(page.text)})
    assert done.status_code == 303
    assert (await browser.get("/admin/")).status_code == 303  # the session is gone


async def test_a_login_form_from_another_site_is_refused(console: Console, browser: httpx.AsyncClient) -> None:
    r = await browser.post("/admin/login", data={"username": "test-admin", "password": PASSWORD,
                                                  "login_csrf": "forged", "next": "/admin/"})
    assert r.status_code == 403 and COOKIE not in browser.cookies


async def test_next_after_login_stays_on_this_site(console: Console, browser: httpx.AsyncClient) -> None:
    page = await browser.get("/admin/login?next=//evil.example/x")
    assert 'value="/admin/"' in page.text


async def test_failed_logins_are_throttled_per_account_and_audited(console: Console, browser: httpx.AsyncClient) -> None:
    for _ in range(FAILURES_PER_ACCOUNT):
        r = await console.login(browser, "member", password="sai-mat-khau-123")
        assert r.status_code == 401 and "không đúng" in r.text
    # Now even the right password waits (the limit is per account, kept in the database).
    r = await console.login(browser, "member")
    assert r.status_code == 429
    token = await console.client.post("/api/v1/admin/token", data={"username": "test-member", "password": PASSWORD})
    assert token.status_code == 429
    with console.store.unit(readonly=True) as unit:
        actions = [a.action for a in unit.session.exec(select(AuditEntry).where(
            col(AuditEntry.username) == "test-member")).all()]
    assert actions.count("login_failed") == FAILURES_PER_ACCOUNT


async def test_what_a_citizen_typed_is_escaped(console: Console) -> None:
    r = await console.client.get("/admin/login?next=/admin/%22%3E%3Cscript%3Ealert(1)%3C/script%3E")
    assert "<script>alert(1)" not in r.text


def test_an_unknown_name_costs_the_same_argon2_work_as_a_known_one() -> None:
    """The written-out hash an unknown name is checked against has today's parameters (not a cheaper one)."""
    from api.console import security

    fresh = security.hash_password("another throwaway")
    assert security._DUMMY_HASH.split("$")[1:4] == fresh.split("$")[1:4]  # argon2id, version, m/t/p
    assert not security._hasher.current_hasher.check_needs_rehash(security._DUMMY_HASH)
