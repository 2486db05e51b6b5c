"""Fixtures for the console tests: one app per module on a fresh SQLite file, with an account per role.

``console.token(role)`` is a bearer token of that role's account (``admin``, ``editor``, ``member``,
``viewer``; the password of each is :data:`PASSWORD`). ``console.browser(role)`` is a second
client signed in through the login form, holding the session cookie and its CSRF token.
"""

from __future__ import annotations

import datetime as dt
import html as html_module
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import httpx
import pytest
from fastapi import FastAPI

from api.app import create_app
from api.console.security import Role, create_account
from api.store import Store
from tests.http.conftest import make_settings, open_client

PASSWORD = "mat-khau-that-dai-2026"
ROLES = ("admin", "editor", "member", "viewer")


@dataclass
class Console:
    """The app, an anonymous client, and a way to act as each role."""

    app: FastAPI
    client: httpx.AsyncClient
    tokens: dict[str, str] = field(default_factory=dict)

    @property
    def store(self) -> Store:
        store: Store = self.app.state.store
        return store

    def auth(self, role: str) -> dict[str, str]:
        """The Authorization header of ``role``'s token."""
        return {"Authorization": f"Bearer {self.tokens[role]}"}

    async def login(self, client: httpx.AsyncClient, role: str, password: str = PASSWORD) -> httpx.Response:
        """Sign ``client`` in through the form (as a browser does); returns the answer to the POST."""
        page = await client.get("/admin/login")
        token = re.search(r'name="login_csrf" value="([^"]+)"', page.text)
        assert token is not None
        return await client.post("/admin/login", data={
            "username": f"test-{role}", "password": password, "login_csrf": token.group(1), "next": "/admin/",
        })


def add_accounts(store: Store) -> None:
    now = dt.datetime.now(dt.UTC)
    with store.unit() as unit:
        for role in ROLES:
            create_account(unit, username=f"test-{role}", password=PASSWORD, role=Role(role),
                           display_name=f"Thử {role}", now=now)


@pytest.fixture(scope="module")
async def console(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Console]:
    app = create_app(make_settings(tmp_path_factory.mktemp("console")))
    async for client in open_client(app):
        add_accounts(app.state.store)
        c = Console(app, client)
        for role in ROLES:
            r = await client.post("/api/v1/admin/token", data={"username": f"test-{role}", "password": PASSWORD})
            assert r.status_code == 200, r.text
            c.tokens[role] = r.json()["access_token"]
        yield c


@pytest.fixture
async def browser(console: Console) -> AsyncIterator[httpx.AsyncClient]:
    """A fresh client (its own cookie jar) on the module's app; sign it in with ``console.login``."""
    transport = httpx.ASGITransport(app=console.app, client=("203.0.113.9", 50001))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


def csrf_of(html: str) -> str:
    """The CSRF token a console page carries."""
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found is not None, html[:500]
    return found.group(1)


def field_value(page: str, name: str) -> str:
    """The value a console form shows in its input ``name`` (HTML entities decoded)."""
    found = re.search(rf'name="{name}" value="([^"]*)"', page)
    assert found is not None, name
    return html_module.unescape(found.group(1))
