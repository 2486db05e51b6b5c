"""The real app with all three webhook channels configured on fakes (loopback), for edge tests.

- :func:`postgres_schema_url`: a fresh PostgreSQL schema (first on the search_path), dropped after.
- :func:`open_all_channels`: the app (lifespan entered, Telegram bot up) on a database URL, with
  Telegram on the session's fake Bot API and Zalo OA and Zalo Bot on fakes of their own, and an
  httpx client on the ASGI app. :class:`AllChannels` posts raw bytes to each webhook with valid
  credentials (the Telegram secret, the Zalo Bot secret, a Zalo OA signature) unless told not to.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from fastapi import FastAPI

from api.app import create_app
from api.settings import Settings
from api.store import Store
from bot.channels.zalo import BotFacts, OaFacts
from tests.databases import postgres_schema_url
from tests.e2e.telegram_harness import SECRET as TELEGRAM_SECRET
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.fakes.zalo_api import (
    APP_ID,
    APP_SECRET,
    OA_SECRET_KEY,
    FakeZaloBot,
    FakeZaloOa,
    now_ms,
    serve,
    sign,
)

__all__ = [
    "TELEGRAM_SECRET",
    "ZALO_BOT_SECRET",
    "AllChannels",
    "open_all_channels",
    "postgres_schema_url",
    "signed_oa",
]

ZALO_BOT_SECRET = "zalo-bot-webhook-secret-edge"
_KEEP: Any = object()


def signed_oa(event: dict[str, Any] | None = None, *, raw: bytes | None = None) -> tuple[bytes, str]:
    """A Zalo OA body (``event`` serialised, or ``raw`` as is) and the signature Zalo would send."""
    body = raw if raw is not None else json.dumps(event, separators=(",", ":")).encode()
    return body, sign(body)


def fresh_oa_fields(body: dict[str, Any]) -> dict[str, Any]:
    """``body`` with our app id and the current timestamp, so that its signature can be valid."""
    return {**body, "app_id": APP_ID, "timestamp": str(now_ms())}


@dataclass
class AllChannels:
    """A running app with Telegram, Zalo OA and Zalo Bot, and the fakes they talk to."""

    app: FastAPI
    client: httpx.AsyncClient
    telegram: FakeTelegramAPI
    zalo_bot: FakeZaloBot
    zalo_oa: FakeZaloOa

    @property
    def store(self) -> Store:
        """The app's store."""
        store: Store = self.app.state.store
        return store

    async def post(self, path: str, raw: bytes, headers: dict[str, str] | None = None) -> httpx.Response:
        """POST raw bytes as JSON."""
        return await self.client.post(path, content=raw, headers={"Content-Type": "application/json", **(headers or {})})

    async def chat(self, raw: bytes) -> httpx.Response:
        """``POST /api/v1/chat``."""
        return await self.post("/api/v1/chat", raw)

    async def telegram_hook(self, raw: bytes, *, secret: str | None = TELEGRAM_SECRET) -> httpx.Response:
        """``POST /webhooks/telegram`` with the secret header (unless None)."""
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret is not None else {}
        return await self.post("/webhooks/telegram", raw, headers)

    async def zalo_bot_hook(self, raw: bytes, *, secret: str | None = ZALO_BOT_SECRET) -> httpx.Response:
        """``POST /webhooks/zalo-bot`` with the secret header (unless None)."""
        headers = {BotFacts.SECRET_HEADER: secret} if secret is not None else {}
        return await self.post("/webhooks/zalo-bot", raw, headers)

    async def zalo_oa_hook(self, raw: bytes, *, signature: str | None = _KEEP) -> httpx.Response:
        """``POST /webhooks/zalo`` signed like Zalo would (or with ``signature``; None: no header)."""
        if signature is _KEEP:
            signature = sign(raw)
        headers = {OaFacts.SIGNATURE_HEADER: signature} if signature is not None else {}
        return await self.post("/webhooks/zalo", raw, headers)


def all_channels_settings(database_url: str, telegram: FakeTelegramAPI, *, bot: FakeZaloBot, bot_url: str,
                          oa_url: str) -> Settings:
    """Settings of an app with the three webhook channels on the fakes (environment ignored)."""
    return Settings(
        _env_file=None,
        database_url=database_url,
        log_level="WARNING",
        public_base_url="https://troly06.example.gov.vn",
        chat_rate_per_minute=100_000,
        chat_ip_rate_per_minute=100_000,
        telegram_bot_token=telegram.token,
        telegram_webhook_secret=TELEGRAM_SECRET,
        telegram_api_base_url=telegram.base_url,
        zalo_bot_token=bot.token,
        zalo_bot_webhook_secret=ZALO_BOT_SECRET,
        zalo_bot_api_base_url=f"{bot_url}/bot",
        zalo_oa_app_id=APP_ID,
        zalo_oa_app_secret=APP_SECRET,
        zalo_oa_secret_key=OA_SECRET_KEY,
        zalo_oa_access_token="oa-access-1",
        zalo_oa_refresh_token="oa-refresh-1",
        zalo_oa_api_base_url=oa_url,
        zalo_oauth_base_url=oa_url,
    )


@asynccontextmanager
async def open_all_channels(database_url: str, telegram: FakeTelegramAPI) -> AsyncIterator[AllChannels]:
    """The app on ``database_url`` with every webhook channel up, and a client on it."""
    bot, oa = FakeZaloBot(), FakeZaloOa()
    oa.issue("oa-access-1", "oa-refresh-1")
    with serve(bot.app, "zalo-bot") as bot_url, serve(oa.app, "zalo-oa") as oa_url:
        app = create_app(all_channels_settings(database_url, telegram, bot=bot, bot_url=bot_url, oa_url=oa_url))
        async with app.router.lifespan_context(app):
            await asyncio.wait_for(app.state.telegram.ready.wait(), timeout=20)
            transport = httpx.ASGITransport(app=app, client=("203.0.113.9", 50000))
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
                yield AllChannels(app, client, telegram, bot, oa)
