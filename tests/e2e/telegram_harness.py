"""Fixtures and helpers of the Telegram end-to-end tests (registered in ``tests/e2e/conftest.py``).

- ``fake_telegram``: the fake Bot API server for the whole session, reset before each test.
- ``telegram``: the real app (lifespan entered, bot up) on a module's SQLite file, talking to the
  fake through ``TELEGRAM_API_BASE_URL``, with an httpx client on the ASGI app.
- ``loopback_only``: any connection to a non-loopback address fails the test.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from api.app import create_app
from api.routes import telegram as telegram_routes
from api.settings import Settings
from api.store import Store
from tests.databases import postgres_schema_url
from tests.fakes.network import loopback_guard
from tests.fakes.telegram_api import FakeTelegramAPI

__all__ = [
    "SECRET",
    "TelegramApp",
    "fake_telegram",
    "loopback_guard",
    "loopback_only",
    "open_telegram_app",
    "pg_schema_url",
    "telegram",
    "telegram_settings",
]

SECRET = "test-webhook_Secret-42"
@pytest.fixture
def loopback_only() -> Iterator[list[Any]]:
    """Any connection to a non-loopback address during the test fails it."""
    with loopback_guard() as attempts:
        yield attempts
    assert not attempts, f"the test tried to reach non-loopback addresses: {attempts}"


@pytest.fixture(scope="session")
def telegram_fake_server() -> Iterator[FakeTelegramAPI]:
    fake = FakeTelegramAPI().start()
    try:
        yield fake
    finally:
        fake.stop()


@pytest.fixture
def fake_telegram(telegram_fake_server: FakeTelegramAPI, loopback_only: list[Any]) -> FakeTelegramAPI:
    """The fake Bot API, reset (no calls, no scripts, up) for this test."""
    telegram_fake_server.reset()
    return telegram_fake_server


def telegram_settings(db_dir: Path, fake: FakeTelegramAPI, **overrides: Any) -> Settings:
    """Settings of a test app on its own SQLite file, with the Telegram channel on the fake."""
    values: dict[str, Any] = {
        "database_url": f"sqlite:///{db_dir / 'telegram.sqlite3'}",
        "log_level": "WARNING",
        "public_base_url": "https://troly06.example.gov.vn",
        "telegram_bot_token": fake.token,
        "telegram_webhook_secret": SECRET,
        "telegram_api_base_url": fake.base_url,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@dataclass
class TelegramApp:
    """A running app with the Telegram channel, its client and the fake it talks to."""

    app: FastAPI
    client: httpx.AsyncClient
    fake: FakeTelegramAPI

    @property
    def store(self) -> Store:
        """The app's store."""
        store: Store = self.app.state.store
        return store

    async def post(self, update: Any, *, secret: str | None = SECRET, raw: bytes | None = None) -> httpx.Response:
        """POST an update (JSON) or raw bytes to the webhook with the secret header (unless None)."""
        headers = {"Content-Type": "application/json"}
        if secret is not None:
            headers["X-Telegram-Bot-Api-Secret-Token"] = secret
        if raw is not None:
            return await self.client.post("/webhooks/telegram", content=raw, headers=headers)
        return await self.client.post("/webhooks/telegram", json=update, headers=headers)


def _ensure_route(app: FastAPI) -> None:
    # Until create_app includes the Telegram router itself.
    if not any(getattr(r, "path", None) == "/webhooks/telegram" for r in app.routes):
        app.include_router(telegram_routes.router)


@asynccontextmanager
async def open_telegram_app(settings: Settings, fake: FakeTelegramAPI, *,
                            wait_ready: bool = True) -> AsyncIterator[TelegramApp]:
    """Create the app, enter its lifespan (ASGITransport skips it), wait for the bot to be up."""
    app = create_app(settings)
    _ensure_route(app)
    async with app.router.lifespan_context(app):
        if wait_ready and settings.telegram_bot_token is not None:
            runtime = app.state.telegram
            await asyncio.wait_for(runtime.ready.wait(), timeout=20)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield TelegramApp(app, client, fake)


@pytest.fixture(scope="module")
async def telegram_module_app(
    tmp_path_factory: pytest.TempPathFactory, telegram_fake_server: FakeTelegramAPI
) -> AsyncIterator[TelegramApp]:
    settings = telegram_settings(tmp_path_factory.mktemp("telegram"), telegram_fake_server)
    with loopback_guard() as attempts:
        async with open_telegram_app(settings, telegram_fake_server) as harness:
            yield harness
    assert not attempts, f"the app tried to reach non-loopback addresses: {attempts}"


@pytest.fixture
async def telegram(telegram_module_app: TelegramApp, fake_telegram: FakeTelegramAPI) -> TelegramApp:
    """The module's app (one per test module: content sync once), with a freshly reset fake."""
    return telegram_module_app


def elapsed_since(start: float) -> float:
    """Seconds since ``start`` (``time.monotonic()``)."""
    return time.monotonic() - start


@pytest.fixture
def pg_schema_url(postgres_url: str) -> Iterator[str]:
    """``TEST_DATABASE_URL`` with a fresh schema first on the search_path (dropped afterwards)."""
    with postgres_schema_url(postgres_url, prefix="tg") as url:
        yield url
