"""Zalo Bot Platform end to end (and both Zalo platforms in one app).

Updates go into ``POST /webhooks/zalo-bot`` with the secret header; answers go out to a fake Bot
API on 127.0.0.1 over real HTTP. The module's app also runs Zalo OA, as a province would.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import re
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlmodel import col, select

from api.app import create_app
from api.store.models import EventRow, Outbox, User
from api.settings import Settings
from api.store import Store
from api.channels.zalo import BOT_LAST_ERROR_KEY
from bot.channels.zalo import NUMBER_HINT, BotFacts, OaFacts
from bot.core import texts
from tests.fakes.zalo_api import (
    APP_ID,
    APP_SECRET,
    OA_SECRET_KEY,
    FakeZaloBot,
    FakeZaloOa,
    bot_update,
    loopback_only,
    oa_event,
    serve,
    sign,
)

SECRET = "zalo-bot-webhook-secret-42"
PUBLIC = "https://troly06.example.vn"


@pytest.fixture(scope="module", autouse=True)
def _loopback_only() -> Iterator[None]:
    with loopback_only():
        yield


def make_app(settings: Settings) -> FastAPI:
    """The real app; the Zalo routes are added if the app factory does not include them yet."""
    app = create_app(settings)
    if not any(getattr(r, "path", None) == "/webhooks/zalo-bot" for r in app.routes):
        from api.routes import zalo

        app.include_router(zalo.router)
    return app


async def wait_for(predicate: Callable[[], bool], timeout: float = 10.0) -> None:
    """Poll ``predicate`` until true (the outbox worker runs in the background)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError("timed out waiting for the condition")
        await asyncio.sleep(0.02)


@dataclass
class Env:
    """The running app with both Zalo platforms, and the fakes."""

    app: FastAPI
    client: httpx.AsyncClient
    bot: FakeZaloBot
    oa: FakeZaloOa

    @property
    def store(self) -> Store:
        store: Store = self.app.state.store
        return store

    async def post(self, update: dict[str, Any], *, secret: str | None = SECRET) -> httpx.Response:
        headers = {BotFacts.SECRET_HEADER: secret} if secret is not None else {}
        return await self.client.post("/webhooks/zalo-bot", json=update, headers=headers)

    def texts_to(self, chat_id: str) -> list[str]:
        return [p["text"] for p in self.bot.sent("sendMessage") if p["chat_id"] == chat_id]

    async def say(self, chat_id: str, text: str, *, wrapped: bool = False) -> str:
        before = len(self.texts_to(chat_id))
        r = await self.post(bot_update(text=text, chat_id=chat_id, wrapped=wrapped))
        assert r.status_code == 200
        await wait_for(lambda: len(self.texts_to(chat_id)) > before)
        await self.idle()
        return "\n".join(self.texts_to(chat_id)[before:])

    async def idle(self) -> None:
        def pending() -> int:
            with self.store.unit(readonly=True) as unit:
                return len(
                    unit.session.exec(
                        select(Outbox.id).where(col(Outbox.status).in_(("pending", "sending")))
                    ).all()
                )

        await wait_for(lambda: pending() == 0)


@pytest.fixture(scope="module")
def fakes() -> Iterator[tuple[FakeZaloBot, str, FakeZaloOa, str]]:
    bot, oa = FakeZaloBot(), FakeZaloOa()
    oa.issue("oa-access-1", "oa-refresh-1")
    with serve(bot.app, "zalo-bot") as bot_url, serve(oa.app, "zalo-oa") as oa_url:
        yield bot, bot_url, oa, oa_url


@pytest.fixture(scope="module")
async def env(
    tmp_path_factory: pytest.TempPathFactory, fakes: tuple[FakeZaloBot, str, FakeZaloOa, str]
) -> AsyncIterator[Env]:
    bot, bot_url, oa, oa_url = fakes
    settings = Settings(
        _env_file=None,
        database_url=f"sqlite:///{tmp_path_factory.mktemp('zalo-bot') / 'app.sqlite3'}",
        log_level="WARNING",
        public_base_url=PUBLIC,
        chat_rate_per_minute=1000,
        zalo_bot_token=bot.token,
        zalo_bot_webhook_secret=SECRET,
        zalo_bot_api_base_url=f"{bot_url}/bot",
        zalo_oa_app_id=APP_ID,
        zalo_oa_app_secret=APP_SECRET,
        zalo_oa_secret_key=OA_SECRET_KEY,
        zalo_oa_access_token="oa-access-1",
        zalo_oa_refresh_token="oa-refresh-1",
        zalo_oa_api_base_url=oa_url,
        zalo_oauth_base_url=oa_url,
    )
    app = make_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield Env(app, client, bot, oa)


def chat() -> str:
    return uuid.uuid4().hex[:20]


def options(text: str) -> dict[str, int]:
    return {m.group(2): int(m.group(1)) for m in re.finditer(r"^(\d+)\. (.+)$", text, re.MULTILINE)}


def rows(store: Store, model: Any, *where: Any) -> list[Any]:
    with store.unit(readonly=True) as unit:
        return list(unit.session.exec(select(model).where(*where)).all())


@pytest.mark.parametrize("wrapped", [True, False], ids=["wrapped", "unwrapped"])
async def test_text_update_is_answered_with_numbered_options(env: Env, wrapped: bool) -> None:
    c = chat()
    answer = await env.say(c, "menu", wrapped=wrapped)
    assert options(answer)["Cài ứng dụng VNeID"] == 1
    assert answer.rstrip().endswith(NUMBER_HINT)
    assert all(1 <= len(t) <= BotFacts.TEXT_LIMIT for t in env.texts_to(c))


@pytest.mark.parametrize(
    "secret", [None, "", "wrong-secret", SECRET + "x"], ids=["missing", "empty", "wrong", "longer"]
)
async def test_wrong_or_missing_secret_is_401_and_nothing_is_answered(env: Env, secret: str | None) -> None:
    c = chat()
    r = await env.post(bot_update(text="menu", chat_id=c), secret=secret)
    assert r.status_code == 401
    await env.idle()
    assert env.texts_to(c) == []
    assert rows(env.store, User, col(User.external_id) == c) == []


async def test_sticker_gets_a_polite_reply(env: Env) -> None:
    c = chat()
    r = await env.post(bot_update("message.sticker.received", chat_id=c))
    assert r.status_code == 200
    await wait_for(lambda: bool(env.texts_to(c)))
    assert texts.MEDIA in env.texts_to(c)[0]


async def test_replayed_message_id_is_answered_once(env: Env) -> None:
    c = chat()
    update = bot_update(text="menu", chat_id=c, message_id="2d758cb5e222177a4e35" + c[:4])
    results = await asyncio.gather(*(env.post(update) for _ in range(3)))
    assert {r.status_code for r in results} == {200}
    await wait_for(lambda: bool(env.texts_to(c)))
    await env.idle()
    await asyncio.sleep(0.2)
    assert len(env.texts_to(c)) == 1


async def test_numbers_walk_a_guide(env: Env) -> None:
    c = chat()
    answer = await env.say(c, "menu")
    answer = await env.say(c, str(options(answer)["Cài ứng dụng VNeID"]))
    answer = await env.say(c, str(options(answer)["iPhone"]))
    assert "App Store" in answer and "Bước" in answer


async def test_images_go_out_with_send_photo(env: Env) -> None:
    c = chat()
    with env.store.unit() as unit:
        row_id = unit.enqueue_outbox(
            channel="zalo_bot",
            chat_id=c,
            context={},
            now=dt.datetime.now(dt.UTC),
            body={
                "replies": [
                    {
                        "text": "Mở CH Play.",
                        "buttons": [],
                        "role": "main",
                        "images": [{"url": "static/guides/chplay.png", "alt": "CH Play"}],
                    }
                ],
                "match": {},
            },
        )
    env.app.state.zalo_bot.wake()
    await wait_for(lambda: rows(env.store, Outbox, col(Outbox.id) == row_id)[0].status == "sent")
    photos = [p for p in env.bot.sent("sendPhoto") if p["chat_id"] == c]
    assert photos == [{"chat_id": c, "photo": f"{PUBLIC}/static/guides/chplay.png"}]
    assert env.texts_to(c) == ["Mở CH Play."]


async def test_rate_limit_is_retried_after_the_given_wait(env: Env) -> None:
    c = chat()
    env.bot.fail_next(429, "Too Many Requests", status=429, retry_after=1)
    answer = await env.say(c, "menu")
    assert "Cài ứng dụng VNeID" in answer
    [row] = rows(env.store, Outbox, col(Outbox.chat_id) == c)
    assert row.status == "sent" and row.attempts == 1  # a wait it was told to make is no failed attempt


async def test_refused_send_is_dead_and_visible(env: Env) -> None:
    c = chat()
    env.bot.fail_next(403, "Forbidden: the user blocked the bot", status=403)
    r = await env.post(bot_update(text="menu", chat_id=c))
    assert r.status_code == 200
    [row] = rows(env.store, Outbox, col(Outbox.chat_id) == c)
    await wait_for(lambda: rows(env.store, Outbox, col(Outbox.id) == row.id)[0].status == "dead")
    dead = rows(env.store, Outbox, col(Outbox.id) == row.id)[0]
    assert dead.last_error and "403" in dead.last_error
    with env.store.unit(readonly=True) as unit:
        last = json.loads(unit.get_kv(key=BOT_LAST_ERROR_KEY) or "{}")
    assert last["code"] == "403"
    assert "403" in (await env.client.get("/healthz")).json()["channels"]["zalo_bot"]
    assert any(
        e.data.get("channel") == "zalo_bot"
        for e in rows(env.store, EventRow, col(EventRow.name) == "delivery_failed")
    )
    await env.say(chat(), "menu")  # the next success clears the state
    assert env.app.state.channel_states["zalo_bot"] == "ok"


async def test_both_zalo_platforms_run_together_with_separate_users(env: Env) -> None:
    same_id = chat()
    await env.say(same_id, "menu")
    r = await env.client.post(
        "/webhooks/zalo",
        content=(raw := json.dumps(oa_event("user_send_text", same_id, text="menu")).encode()),
        headers={OaFacts.SIGNATURE_HEADER: sign(raw)},
    )
    assert r.status_code == 200
    await wait_for(lambda: bool(env.oa.texts_to(same_id)))
    users = rows(env.store, User, col(User.external_id) == same_id)
    assert sorted(u.channel for u in users) == ["zalo_bot", "zalo_oa"]
    health = (await env.client.get("/healthz")).json()["channels"]
    assert health["zalo_bot"] == "ok" and health["zalo_oa"] == "ok"


def test_bot_without_webhook_secret_refuses_to_start(tmp_path: Path) -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="ZALO_BOT_WEBHOOK_SECRET"):
        Settings(
            _env_file=None,
            database_url=f"sqlite:///{tmp_path / 'a.sqlite3'}",
            log_level="WARNING",
            content_sync_on_start=False,
            zalo_bot_token="1:abc",
        )


async def test_unreachable_bot_api_degrades_the_state_but_the_app_starts(tmp_path: Path) -> None:
    settings = Settings(
        _env_file=None,
        database_url=f"sqlite:///{tmp_path / 'a.sqlite3'}",
        log_level="WARNING",
        content_sync_on_start=False,
        zalo_bot_token="1:abc",
        zalo_bot_webhook_secret=SECRET,
        zalo_bot_api_base_url="http://127.0.0.1:9/bot",
    )
    app = make_app(settings)
    async with app.router.lifespan_context(app):
        await wait_for(lambda: app.state.channel_states["zalo_bot"].startswith("degraded"))
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            assert (await client.get("/healthz")).status_code == 200
            assert "getMe failed" in (await client.get("/healthz")).json()["channels"]["zalo_bot"]
