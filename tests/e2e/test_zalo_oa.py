"""Zalo OA end to end: signed events into ``POST /webhooks/zalo``, answers out to a fake OA API.

The app runs with its lifespan on a fresh SQLite file; the fake OA API and OAuth server listen on
127.0.0.1 over real HTTP. Every test writes as its own Zalo user, so one app serves the module.
"""

from __future__ import annotations

import asyncio
import json
import logging
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
from api.store.models import EventRow, MessageLog, Outbox, ProcessedUpdate, User
from api.settings import Settings
from api.store import Store
from api.channels.zalo_client import LAST_ERROR_KEY, TOKEN_KEY
from bot.channels.zalo import NUMBER_HINT, OaFacts
from bot.core import texts
from tests.fakes.zalo_api import (
    APP_ID,
    APP_SECRET,
    OA_SECRET_KEY,
    FakeZaloOa,
    loopback_only,
    now_ms,
    oa_event,
    serve,
    sign,
)

PUBLIC = "https://troly06.congan.example.vn"


@pytest.fixture(scope="module", autouse=True)
def _loopback_only() -> Iterator[None]:
    with loopback_only():
        yield


def oa_settings(db: Path, fake_url: str, **overrides: Any) -> Settings:
    """Settings of an app with Zalo OA pointed at the fake (environment ignored)."""
    values: dict[str, Any] = {
        "database_url": f"sqlite:///{db}",
        "log_level": "WARNING",
        "public_base_url": PUBLIC,
        "zalo_oa_app_id": APP_ID,
        "zalo_oa_app_secret": APP_SECRET,
        "zalo_oa_secret_key": OA_SECRET_KEY,
        "zalo_oa_access_token": "oa-access-1",
        "zalo_oa_refresh_token": "oa-refresh-1",
        "zalo_oa_api_base_url": fake_url,
        "zalo_oauth_base_url": fake_url,
        "chat_rate_per_minute": 1000,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)


def make_app(settings: Settings) -> FastAPI:
    """The real app; the Zalo routes are added if the app factory does not include them yet."""
    app = create_app(settings)
    if not any(getattr(r, "path", None) == "/webhooks/zalo" for r in app.routes):
        from api.routes import zalo

        app.include_router(zalo.router)
    return app


@dataclass
class Env:
    """One running app, its client and the fake it talks to."""

    app: FastAPI
    client: httpx.AsyncClient
    fake: FakeZaloOa

    @property
    def store(self) -> Store:
        store: Store = self.app.state.store
        return store

    async def post(self, event: dict[str, Any], *, signature: str | None | bool = True) -> httpx.Response:
        """POST an event, signed correctly unless ``signature`` says otherwise."""
        raw = json.dumps(event, ensure_ascii=False).encode()
        headers = {"Content-Type": "application/json"}
        if signature is True:
            headers[OaFacts.SIGNATURE_HEADER] = sign(raw)
        elif isinstance(signature, str):
            headers[OaFacts.SIGNATURE_HEADER] = signature
        return await self.client.post("/webhooks/zalo", content=raw, headers=headers)

    async def say(self, user: str, text: str) -> str:
        """Send ``text`` as ``user`` and return the whole answer (all messages of the turn)."""
        before = len(self.fake.texts_to(user))
        r = await self.post(oa_event("user_send_text", user, text=text))
        assert r.status_code == 200
        await wait_for(lambda: len(self.fake.texts_to(user)) > before)
        await self.idle()
        return "\n".join(self.fake.texts_to(user)[before:])

    async def idle(self) -> None:
        """Wait until the outbox has nothing left to send now."""

        def pending() -> int:
            with self.store.unit(readonly=True) as unit:
                return len(
                    unit.session.exec(
                        select(Outbox.id).where(col(Outbox.status).in_(("pending", "sending")))
                    ).all()
                )

        await wait_for(lambda: pending() == 0)


async def wait_for(predicate: Callable[[], bool], timeout: float = 10.0) -> None:
    """Poll ``predicate`` until true (the outbox worker runs in the background)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError("timed out waiting for the condition")
        await asyncio.sleep(0.02)


async def open_env(settings: Settings, fake: FakeZaloOa) -> AsyncIterator[Env]:
    app = make_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield Env(app, client, fake)


@pytest.fixture(scope="module")
def fake_oa() -> Iterator[tuple[FakeZaloOa, str]]:
    fake = FakeZaloOa()
    fake.issue("oa-access-1", "oa-refresh-1")
    with serve(fake.app, "zalo-oa") as url:
        yield fake, url


@pytest.fixture(scope="module")
async def env(
    tmp_path_factory: pytest.TempPathFactory, fake_oa: tuple[FakeZaloOa, str]
) -> AsyncIterator[Env]:
    fake, url = fake_oa
    settings = oa_settings(tmp_path_factory.mktemp("zalo-oa") / "app.sqlite3", url)
    async for e in open_env(settings, fake):
        yield e


def user() -> str:
    return str(10**18 + uuid.uuid4().int % 10**18)


def options(text: str) -> dict[str, int]:
    """Numbered options of an answer: label → number."""
    return {m.group(2): int(m.group(1)) for m in re.finditer(r"^(\d+)\. (.+)$", text, re.MULTILINE)}


def rows(store: Store, model: Any, *where: Any) -> list[Any]:
    with store.unit(readonly=True) as unit:
        return list(unit.session.exec(select(model).where(*where)).all())


# --- Answers --------------------------------------------------------------------------------


async def test_text_is_answered_as_a_reply_with_numbered_options(env: Env) -> None:
    u = user()
    event = oa_event("user_send_text", u, text="menu", msg_id="96d3cdf3af150460909")
    r = await env.post(event)
    assert r.status_code == 200 and r.json() == {"ok": True}
    await wait_for(lambda: bool(env.fake.texts_to(u)))
    call = next(c for c in env.fake.sent if c.body["recipient"]["user_id"] == u)
    assert call.access_token == "oa-access-1"
    assert call.body["recipient"] == {"user_id": u, "message_id": "96d3cdf3af150460909"}
    text = call.text or ""
    assert options(text)["Cài ứng dụng VNeID"] == 1
    assert text.rstrip().endswith(NUMBER_HINT)
    assert len(text) <= OaFacts.TEXT_LIMIT


async def test_follow_gets_the_welcome(env: Env) -> None:
    u = user()
    r = await env.post(oa_event("follow", u))
    assert r.status_code == 200
    await wait_for(lambda: bool(env.fake.texts_to(u)))
    welcome = "\n".join(env.fake.texts_to(u))
    assert texts.WELCOME.split("\n")[0] in welcome
    assert "1. Cài ứng dụng VNeID" in welcome
    assert "message_id" not in env.fake.sent[-1].body["recipient"]  # nothing to reply to


@pytest.mark.parametrize("kind", ["sticker", "image", "audio", "file", "location"])
async def test_media_gets_a_polite_text_reply(env: Env, kind: str) -> None:
    u = user()
    attachments = [{"type": kind, "payload": {"url": "https://example.invalid/x"}}]
    r = await env.post(oa_event(f"user_send_{kind}", u, attachments=attachments))
    assert r.status_code == 200
    await wait_for(lambda: bool(env.fake.texts_to(u)))
    assert texts.MEDIA in env.fake.texts_to(u)[0]
    [log_in] = rows(
        env.store,
        MessageLog,
        col(MessageLog.direction) == "in",
        col(MessageLog.user_id).in_(select(User.id).where(col(User.external_id) == u)),
    )
    assert log_in.text == f"<{kind}>"


async def test_unfollow_and_receipts_are_acknowledged_silently(env: Env) -> None:
    u = user()
    for name in ("unfollow", "user_seen_message", "user_received_message"):
        assert (await env.post(oa_event(name, u))).status_code == 200
    await env.idle()
    assert env.fake.texts_to(u) == []
    assert rows(env.store, User, col(User.external_id) == u) == []


async def test_walk_the_install_guide_by_typing_numbers_only(env: Env) -> None:
    u = user()
    assert (await env.post(oa_event("follow", u))).status_code == 200  # the welcome lists the guides
    await wait_for(lambda: bool(env.fake.texts_to(u)))
    await env.idle()
    answer = await env.say(u, str(options("\n".join(env.fake.texts_to(u)))["Cài ứng dụng VNeID"]))
    assert "Cài ứng dụng VNeID" in answer
    seen = []
    for _ in range(12):
        opts = options(answer)
        if "Bạn đã cài xong VNeID" in answer:
            break
        label = "Android" if "Android" in opts else "✅ Xong, bước tiếp"
        seen.append(label)
        answer = await env.say(u, str(opts[label]))
    else:
        raise AssertionError("the guide did not finish")
    assert seen[0] == "Android" and len(seen) >= 4
    [user_row] = rows(env.store, User, col(User.channel) == "zalo_oa", col(User.external_id) == u)
    match_ids = [
        m.match_id
        for m in rows(
            env.store, MessageLog, col(MessageLog.user_id) == user_row.id, col(MessageLog.direction) == "out"
        )
    ]
    assert "install/and_store" in match_ids and match_ids[-1] == "install/done"


async def test_typed_label_without_diacritics_picks_an_option(env: Env) -> None:
    u = user()
    await env.say(u, "menu")
    answer = await env.say(u, "cai ung dung vneid")
    assert "Bước 1/" in answer and "Cài ứng dụng VNeID" in answer


async def test_typed_id_number_is_masked_before_storage(env: Env) -> None:
    u = user()
    answer = await env.say(u, "số căn cước của tôi là 001099012345 bị khóa")
    assert texts.PII_WARNING in answer
    logged = [m.text or "" for m in rows(env.store, MessageLog)]
    assert not any("001099012345" in t for t in logged)


# --- Verification -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "signature",
    [None, "", "mac=" + "0" * 64, "wrong"],
    ids=["missing", "empty", "zeros", "garbage"],
)
async def test_bad_or_missing_signature_is_401_and_nothing_is_answered(
    env: Env, signature: str | None
) -> None:
    u = user()
    r = await env.post(oa_event("user_send_text", u, text="menu"), signature=signature)
    assert r.status_code == 401
    await env.idle()
    assert env.fake.texts_to(u) == []
    assert rows(env.store, User, col(User.external_id) == u) == []


async def test_signature_made_with_the_app_secret_is_refused(env: Env) -> None:
    u = user()
    event = oa_event("user_send_text", u, text="menu")
    raw = json.dumps(event).encode()
    r = await env.client.post(
        "/webhooks/zalo", content=raw, headers={OaFacts.SIGNATURE_HEADER: sign(raw, secret_key=APP_SECRET)}
    )
    assert r.status_code == 401


@pytest.mark.parametrize("offset_ms", [-301_000, -3_600_000, 61_000, 86_400_000])
async def test_stale_or_future_timestamp_is_401(env: Env, offset_ms: int) -> None:
    u = user()
    r = await env.post(oa_event("user_send_text", u, text="menu", timestamp_ms=now_ms() + offset_ms))
    assert r.status_code == 401
    await env.idle()
    assert env.fake.texts_to(u) == []


async def test_body_that_is_not_json_is_400(env: Env) -> None:
    r = await env.client.post(
        "/webhooks/zalo", content=b"{oops", headers={OaFacts.SIGNATURE_HEADER: "mac=00"}
    )
    assert r.status_code == 400


async def test_replayed_event_is_answered_once(env: Env) -> None:
    u = user()
    event = oa_event("user_send_text", u, text="menu")
    first, second = await asyncio.gather(env.post(event), env.post(event))
    third = await env.post(event)
    assert {first.status_code, second.status_code, third.status_code} == {200}
    await wait_for(lambda: bool(env.fake.texts_to(u)))
    await env.idle()
    await asyncio.sleep(0.2)
    assert len(env.fake.texts_to(u)) == 1
    assert len(rows(env.store, Outbox, col(Outbox.chat_id) == u)) == 1
    assert rows(
        env.store,
        ProcessedUpdate,
        col(ProcessedUpdate.channel) == "zalo_oa",
        col(ProcessedUpdate.update_id) == f"m:{event['message']['msg_id']}",
    )


async def test_replayed_follow_without_msg_id_is_answered_once(env: Env) -> None:
    u = user()
    event = oa_event("follow", u)
    for _ in range(3):
        assert (await env.post(event)).status_code == 200
    await wait_for(lambda: bool(env.fake.texts_to(u)))
    await env.idle()
    assert len(rows(env.store, Outbox, col(Outbox.chat_id) == u)) == 1


# --- Sending: splitting, tokens, errors -------------------------------------------------------


async def enqueue(
    env: Env, chat_id: str, replies: list[dict[str, Any]], context: dict[str, Any] | None = None
) -> int:
    """Queue replies for the OA sender directly (as a turn would) and wake it."""
    import datetime as dt

    with env.store.unit() as unit:
        row_id = unit.enqueue_outbox(
            channel="zalo_oa",
            chat_id=chat_id,
            body={"replies": replies, "match": {}},
            context=context or {},
            now=dt.datetime.now(dt.UTC),
        )
    env.app.state.zalo_oa.wake()
    return row_id


def outbox_row(env: Env, row_id: int) -> Outbox:
    with env.store.unit(readonly=True) as unit:
        row = unit.session.get(Outbox, row_id)
    assert row is not None
    return row


def reply(text: str, buttons: list[tuple[str, str]] = (), images: list[str] = ()) -> dict[str, Any]:  # type: ignore[assignment]
    return {
        "text": text,
        "buttons": [{"label": label, "payload": p} for label, p in buttons],
        "images": [{"url": url, "alt": "ảnh"} for url in images],
        "role": "main",
    }


async def test_long_answer_is_split_cleanly_within_the_limit(env: Env) -> None:
    u = user()
    paragraphs = [
        f"Mục {i}. " + " ".join(["Công dân mang thẻ căn cước gắn chip đến Công an cấp xã."] * 6)
        for i in range(1, 16)
    ]
    long_text = "\n\n".join(paragraphs)
    assert len(long_text) > 2 * OaFacts.TEXT_LIMIT
    row_id = await enqueue(
        env, u, [reply(long_text, [("Về menu chính", "menu"), ("Gặp người hỗ trợ", "c-handoff")])]
    )
    await wait_for(lambda: outbox_row(env, row_id).status == "sent")
    parts = env.fake.texts_to(u)
    assert len(parts) >= 3 and all(len(p) <= OaFacts.TEXT_LIMIT for p in parts)
    assert all(p.startswith("Mục ") for p in parts)  # each part starts at a paragraph
    assert "\n\n".join(parts).startswith(long_text)
    assert parts[-1].endswith("1. Về menu chính\n2. Gặp người hỗ trợ\n" + NUMBER_HINT)


async def test_images_are_sent_as_media_with_absolute_urls(env: Env) -> None:
    u = user()
    row_id = await enqueue(
        env,
        u,
        [
            reply(
                "Bước 1: mở CH Play.",
                [("✅ Xong, bước tiếp", "f-install-and_pick")],
                ["/static/guides/chplay.png"],
            )
        ],
        {"reply_to": "abc123"},
    )
    await wait_for(lambda: outbox_row(env, row_id).status == "sent")
    calls = [c for c in env.fake.sent if c.body["recipient"]["user_id"] == u]
    assert [c.image_url for c in calls] == [f"{PUBLIC}/static/guides/chplay.png", None]
    assert calls[0].body["message"]["attachment"]["payload"]["template_type"] == "media"
    assert all(c.body["recipient"]["message_id"] == "abc123" for c in calls)


async def test_a_failure_midway_resumes_without_resending(env: Env) -> None:
    u = user()
    parts_in = [f"Đoạn {i}: " + "x" * 1900 for i in range(3)]
    env.fake.http_error_next(502, after=1)  # the second message meets a bad gateway
    row_id = await enqueue(env, u, [reply("\n\n".join(parts_in))])
    await wait_for(lambda: outbox_row(env, row_id).status == "sent")
    assert env.fake.texts_to(u) == parts_in
    assert outbox_row(env, row_id).attempts == 2


async def test_invalid_token_is_refreshed_once_and_the_message_delivered(env: Env) -> None:
    u = user()
    current = json.loads(_kv(env, TOKEN_KEY))["access_token"]
    env.fake.expire(current)
    refreshes = len(env.fake.refresh_calls)
    answer = await env.say(u, "menu")
    assert "Cài ứng dụng VNeID" in answer
    assert len(env.fake.refresh_calls) == refreshes + 1
    new = json.loads(_kv(env, TOKEN_KEY))["access_token"]
    assert new != current and env.fake.sent[-1].access_token == new
    assert env.app.state.channel_states["zalo_oa"] == "ok"


def _kv(env: Env, key: str) -> str:
    with env.store.unit(readonly=True) as unit:
        value = unit.get_kv(key=key)
    assert value is not None
    return value


async def test_outside_the_7_day_window_is_visible_and_not_retried(env: Env) -> None:
    u = user()
    env.fake.fail_next(-230, "User has not interacted with the OA in the past 7 days")
    calls_before = len(env.fake.calls)
    r = await env.post(oa_event("user_send_text", u, text="menu"))
    assert r.status_code == 200
    [row] = rows(env.store, Outbox, col(Outbox.chat_id) == u)
    await wait_for(lambda: outbox_row(env, row.id or 0).status == "dead")
    dead = outbox_row(env, row.id or 0)
    assert dead.last_error is not None and "-230" in dead.last_error and dead.attempts == 1
    await asyncio.sleep(0.3)
    assert len(env.fake.calls) == calls_before + 1  # tried once, never again
    last = json.loads(_kv(env, LAST_ERROR_KEY))
    assert last["code"] == "-230"
    health = (await env.client.get("/healthz")).json()
    assert "-230" in health["channels"]["zalo_oa"]
    events = rows(env.store, EventRow, col(EventRow.name) == "delivery_failed")
    assert any(e.data.get("code") == "-230" and e.data.get("channel") == "zalo_oa" for e in events)


async def test_rate_limit_and_unknown_errors_are_classified(env: Env) -> None:
    import datetime as dt

    from api.store import OutboxItem

    sender = env.app.state.zalo_oa.worker.sender
    item = OutboxItem(
        id=0,
        channel="zalo_oa",
        chat_id=user(),
        body={"replies": [reply("xin chào")], "match": {}},
        context={},
        attempts=1,
        created_at=dt.datetime.now(dt.UTC),
    )
    env.fake.fail_next(-32, "Your OA reached limit call api")
    d = await sender.deliver(item)
    assert d.status.value == "retry" and d.after_s == OaFacts.RATE_LIMIT_WAIT_S and "-32" in d.error
    env.fake.fail_next(-211, "Out of quota")
    d = await sender.deliver(item)
    assert d.status.value == "permanent" and "-211" in d.error
    assert env.app.state.channel_states["zalo_oa"].startswith("degraded: -211")
    d = await sender.deliver(item)
    assert d.status.value == "ok" and env.app.state.channel_states["zalo_oa"] == "ok"


async def test_healthz_and_no_tokens_in_logs(env: Env, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    u = user()
    env.fake.fail_next(-216, "Access token is invalid")  # forces a refresh path with logging
    await env.say(u, "menu")
    health = (await env.client.get("/healthz")).json()
    assert health["channels"]["zalo_oa"] == "ok"
    tokens = {t for t in env.fake.valid_access | env.fake.unused_refresh} | {APP_SECRET, OA_SECRET_KEY}
    for record in caplog.records:
        message = record.getMessage()
        assert not any(t in message for t in tokens), message


# --- Configuration and restarts ---------------------------------------------------------------


async def test_webhooks_of_unconfigured_platforms_are_404(tmp_path: Path) -> None:
    settings = Settings(
        _env_file=None,
        database_url=f"sqlite:///{tmp_path / 'a.sqlite3'}",
        log_level="WARNING",
        content_sync_on_start=False,
    )
    fake = FakeZaloOa()
    async for e in open_env(settings, fake):
        assert (await e.post(oa_event("user_send_text", text="menu"))).status_code == 404
        assert (await e.client.post("/webhooks/zalo-bot", json={})).status_code == 404
        health = (await e.client.get("/healthz")).json()
        assert health["channels"]["zalo_oa"] == "disabled" and health["channels"]["zalo_bot"] == "disabled"


def test_oa_without_secret_key_refuses_to_start(tmp_path: Path) -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="ZALO_OA_SECRET_KEY"):
        oa_settings(
            tmp_path / "a.sqlite3", "http://127.0.0.1:9", zalo_oa_secret_key=None, content_sync_on_start=False
        )


async def test_stored_token_pair_wins_after_restart(tmp_path: Path) -> None:
    fake = FakeZaloOa()
    fake.issue("oa-access-1", "oa-refresh-1")
    with serve(fake.app, "zalo-oa-restart") as url:
        settings = oa_settings(tmp_path / "app.sqlite3", url, content_sync_on_start=False)
        u = user()
        async for e in open_env(settings, fake):
            fake.expire("oa-access-1")
            await e.say(u, "menu")
            assert len(fake.refresh_calls) == 1
            refreshed = fake.sent[-1].access_token
        assert refreshed is not None and refreshed != "oa-access-1"
        async for e in open_env(settings, fake):  # same settings, same database
            await e.say(u, "menu")
            assert fake.sent[-1].access_token == refreshed
            assert len(fake.refresh_calls) == 1  # the spent refresh token was not used again


async def test_without_an_access_token_one_is_fetched_at_start(tmp_path: Path) -> None:
    fake = FakeZaloOa()
    fake.issue("oa-access-1", "oa-refresh-1")
    with serve(fake.app, "zalo-oa-keeper") as url:
        settings = oa_settings(
            tmp_path / "app.sqlite3", url, zalo_oa_access_token=None, content_sync_on_start=False
        )
        app = make_app(settings)
        async with app.router.lifespan_context(app):
            await wait_for(lambda: len(fake.refresh_calls) == 1)
            assert app.state.channel_states["zalo_oa"] == "ok"
