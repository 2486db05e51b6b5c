"""Bad input is a 4xx with a JSON error, never a 500 nor a traceback (issue 10, defects 4 and 7).

Each body below once answered 500 (or, for a string ``chat.id``, 200 with a reply that could never
be sent). They go to the real app with all three webhook channels configured on fakes, with valid
credentials where the check is past them, on SQLite and on PostgreSQL (where a NUL used to reach
the database). Nothing may be logged with a traceback, and nothing may be queued for sending.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from sqlmodel import select

from api.store.models import Outbox, User
from tests.e2e.all_channels import AllChannels, fresh_oa_fields, open_all_channels, postgres_schema_url
from tests.fakes.network import loopback_guard
from tests.fakes.telegram_api import FakeTelegramAPI, callback_update, message_update
from tests.fakes.zalo_api import bot_update, oa_event

DEEP = b"[" * 30_000 + b"]" * 30_000
DEEP_OBJECT = b'{"a":' * 9_000 + b"1" + b"}" * 9_000  # under the body size limit


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def edge(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, telegram_fake_server: FakeTelegramAPI
) -> AsyncIterator[AllChannels]:
    """The app with every channel, once per module and backend."""
    with loopback_guard() as refused:
        if request.param == "sqlite":
            url = f"sqlite:///{tmp_path_factory.mktemp('edge') / 'app.sqlite3'}"
            async with open_all_channels(url, telegram_fake_server) as app:
                yield app
        else:
            with postgres_schema_url(request.getfixturevalue("postgres_url")) as url:
                async with open_all_channels(url, telegram_fake_server) as app:
                    yield app
    assert not refused, f"the app tried to reach beyond loopback: {refused}"


@pytest.fixture
def no_traceback(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Fail the test if anything was logged at ERROR or with an exception attached."""
    caplog.set_level(logging.WARNING)
    yield
    bad = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert not bad, [f"{r.name}: {r.getMessage()}" for r in bad]


def assert_refused(r: httpx.Response, status: int) -> dict[str, Any]:
    """``r`` is ``status`` with a JSON ``{"error": str}`` body."""
    assert r.status_code == status, (r.status_code, r.text[:300])
    assert r.headers["content-type"].startswith("application/json")
    body: dict[str, Any] = r.json()
    assert isinstance(body.get("error"), str) and body["error"]
    return body


def outbox_size(edge: AllChannels) -> int:
    with edge.store.unit(readonly=True) as unit:
        return len(unit.session.exec(select(Outbox.id)).all())


def uid() -> str:
    return f"edge-{uuid.uuid4().hex[:10]}"


pytestmark = pytest.mark.usefixtures("no_traceback")


# --- POST /api/v1/chat ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(b'{"user_id": "a\\ud800", "text": "xin ch\\u00e0o"}', id="surrogate-user_id"),
        pytest.param(b'{"user_id": "u1", "text": "a\\ud800"}', id="surrogate-text"),
        pytest.param(b'{"user_id": "u1", "payload": "\\udfff"}', id="surrogate-payload"),
        pytest.param(b'{"user_id": "u1", "text": 1e999}', id="1e999"),
        pytest.param(b'{"user_id": "u1", "text": NaN}', id="NaN"),
        pytest.param(b'{"user_id": "u1", "text": -Infinity}', id="Infinity"),
        pytest.param(b'{"user_id": "u\\u0000", "text": "menu"}', id="NUL-user_id"),
        pytest.param(b'{"user_id": "u1", "payload": "f-l2\\u0000"}', id="NUL-payload"),
        pytest.param(b'{"user_id": "u1", "text": "\\u0000\\u0001\\u007f"}', id="NUL-text"),
        pytest.param(b'{"user_id": "u1", "text": "a", "\\ud800": 1}', id="surrogate-key"),
        pytest.param(b'{"user_id": "u1", "text": ' + b"9" * 4300 + b"}", id="4300-digits"),
        pytest.param(DEEP, id="deep-array"),
        pytest.param(b"\xed\xa0\x80", id="utf8-encoded-surrogate"),
    ],
)
async def test_chat_refuses_unencodable_or_unstorable_input_with_400(edge: AllChannels, raw: bytes) -> None:
    body = assert_refused(await edge.chat(raw), 400)
    assert "detail" not in body
    with edge.store.unit(readonly=True) as unit:
        assert unit.session.exec(select(User.id).where(User.channel == "web")).all() == []


@pytest.mark.parametrize(
    "payload",
    [
        {"user_id": 5, "text": "menu"},
        {"user_id": "u1", "text": "menu", "payload": "menu"},
        {"user_id": "u1"},
        {"user_id": "u1", "text": "menu", "ghi_chú": "é" * 10_000},
    ],
)
async def test_chat_422_keeps_locations_and_messages_but_never_echoes_the_input(
    edge: AllChannels, payload: dict[str, Any]
) -> None:
    body = assert_refused(await edge.chat(json.dumps(payload).encode()), 422)
    assert body["detail"] and all(set(d) == {"loc", "msg", "type"} for d in body["detail"])
    assert all(d["loc"][0] == "body" for d in body["detail"])
    assert "é" * 300 not in json.dumps(body, ensure_ascii=False)


async def test_chat_still_answers_an_emoji_and_escaped_vietnamese(edge: AllChannels) -> None:
    raw = json.dumps({"user_id": uid(), "text": "quên mật khẩu VNeID 😀"}, ensure_ascii=True).encode()
    r = await edge.chat(raw)
    assert r.status_code == 200 and r.json()["replies"]


# --- POST /webhooks/telegram -------------------------------------------------------------------


def _tg(update: dict[str, Any]) -> bytes:
    return json.dumps(update).encode()


def _with_chat_id(update: dict[str, Any], chat_id: Any, *, where: str = "message") -> bytes:
    message = update[where] if where == "message" else update["callback_query"]["message"]
    message["chat"]["id"] = chat_id
    return _tg(update)


@pytest.mark.parametrize("secret", [None, "wrong"], ids=["no-secret", "wrong-secret"])
async def test_telegram_checks_the_secret_before_reading_a_deep_body(edge: AllChannels, secret: str | None) -> None:
    assert_refused(await edge.telegram_hook(DEEP, secret=secret), 401)


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(DEEP, id="deep-array"),
        pytest.param(DEEP_OBJECT, id="deep-object"),
        pytest.param(b'{"update_id": ' + b"7" * 4300 + b', "message": {}}', id="4300-digit-update_id"),
        pytest.param(b'{"update_id": 1e999}', id="1e999-update_id"),
        pytest.param(_tg(message_update(5001, "menu", date=10**30)), id="date-10**30"),
        pytest.param(_tg(message_update(5002, "menu\u0000")), id="NUL-text"),
        pytest.param(_tg(callback_update(5003, "menu\u0000")), id="NUL-callback-data"),
        pytest.param(_tg(callback_update(5004, "a\ud800")), id="surrogate-callback-data"),
        pytest.param(
            _tg({**callback_update(5005, "menu"), "callback_query": {
                **callback_update(5005, "menu")["callback_query"], "id": "cq\udc00"}}),
            id="surrogate-callback-id",
        ),
        pytest.param(_with_chat_id(message_update(5006, "menu"), 2**63), id="chat-id-over-int64"),
        pytest.param(b'{"update_id": 12, "message": NaN}', id="NaN"),
    ],
)
async def test_telegram_refuses_unbounded_json_with_400(edge: AllChannels, raw: bytes) -> None:
    queued = outbox_size(edge)
    assert_refused(await edge.telegram_hook(raw), 400)
    assert outbox_size(edge) == queued


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(_with_chat_id(message_update(5101, "menu"), "5101"), id="string-chat-id"),
        pytest.param(_with_chat_id(message_update(5102, "menu", chat_type="group"), "abc"), id="string-group-chat-id"),
        pytest.param(_with_chat_id(message_update(5103, "menu"), 5103.5), id="float-chat-id"),
        pytest.param(_with_chat_id(message_update(5104, "menu"), True), id="bool-chat-id"),
        pytest.param(_with_chat_id(message_update(5105, "menu"), None), id="null-chat-id"),
        pytest.param(_with_chat_id(callback_update(5106, "menu"), "x", where="callback"), id="callback-string-chat-id"),
        pytest.param(_tg(message_update(5107, None, caption=42)), id="number-caption"),
        pytest.param(_tg(message_update(5108, "menu", date=10**15)), id="date-beyond-datetime"),
        pytest.param(_tg({**message_update(5109, "menu"), "update_id": "17"}), id="string-update_id"),
        pytest.param(b"[1, 2]", id="not-an-object"),
    ],
)
async def test_telegram_refuses_an_update_with_wrongly_typed_ids_with_422(edge: AllChannels, raw: bytes) -> None:
    queued = outbox_size(edge)
    assert_refused(await edge.telegram_hook(raw), 422)
    assert outbox_size(edge) == queued


# --- POST /webhooks/zalo (OA) ------------------------------------------------------------------


async def test_zalo_oa_without_signature_is_401_before_the_body_is_read(edge: AllChannels) -> None:
    assert_refused(await edge.zalo_oa_hook(DEEP, signature=None), 401)


@pytest.mark.parametrize("signature", ["x", "mac=" + "0" * 64], ids=["junk", "wrong"])
async def test_zalo_oa_deep_body_with_any_signature_is_400(edge: AllChannels, signature: str) -> None:
    assert_refused(await edge.zalo_oa_hook(DEEP, signature=signature), 400)
    assert_refused(await edge.zalo_oa_hook(DEEP_OBJECT, signature=signature), 400)


def _oa(**changes: Any) -> bytes:
    event = oa_event("user_send_text", f"u{uuid.uuid4().hex[:12]}", text="menu")
    event.update(changes)
    return json.dumps(event).encode()


@pytest.mark.parametrize(
    ("raw", "status"),
    [
        pytest.param(_oa(timestamp="1" * 400), 401, id="400-digit-string-timestamp"),
        pytest.param(_oa(timestamp="9" * 5000), 401, id="5000-digit-string-timestamp"),
        pytest.param(_oa().replace(b'"timestamp": "', b'"timestamp": ' + b"1" * 400 + b', "t": "'), 400,
                     id="400-digit-number-timestamp"),
        pytest.param(_oa(message={"msg_id": "m1", "text": "a\u0000b"}), 400, id="NUL-text"),
        pytest.param(_oa(sender={"id": "u\ud800"}), 400, id="surrogate-sender-id"),
        pytest.param(_oa(sender={"id": 10**30}), 400, id="huge-sender-id"),
        pytest.param(_oa(sender={"id": 1e999}), 400, id="1e999-sender-id"),
    ],
)
async def test_zalo_oa_signed_bad_events_are_4xx(edge: AllChannels, raw: bytes, status: int) -> None:
    queued = outbox_size(edge)
    assert_refused(await edge.zalo_oa_hook(raw), status)
    assert outbox_size(edge) == queued


async def test_zalo_oa_body_that_is_not_an_object_is_400(edge: AllChannels) -> None:
    assert_refused(await edge.zalo_oa_hook(b"[1, 2]", signature="mac=" + "0" * 64), 400)


async def test_zalo_oa_signed_fresh_event_is_still_answered(edge: AllChannels) -> None:
    raw = json.dumps(fresh_oa_fields(oa_event("user_send_text", f"u{uuid.uuid4().hex[:12]}", text="menu"))).encode()
    r = await edge.zalo_oa_hook(raw)
    assert r.status_code == 200 and r.json() == {"ok": True}


# --- POST /webhooks/zalo-bot -------------------------------------------------------------------


async def test_zalo_bot_checks_the_secret_before_reading_a_deep_body(edge: AllChannels) -> None:
    assert_refused(await edge.zalo_bot_hook(DEEP, secret=None), 401)


def _bot(**message_changes: Any) -> bytes:
    update = bot_update(chat_id=uuid.uuid4().hex[:20])
    update["message"].update(message_changes)
    return json.dumps(update).encode()


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(DEEP, id="deep-array"),
        pytest.param(b'{"ok": true, "result": ' * 2_000 + b"{}" + b"}" * 2_000, id="deep-wrapped"),
        pytest.param(_bot(text="a\u0000"), id="NUL-text"),
        pytest.param(_bot(chat={"id": "c\ud800"}), id="surrogate-chat-id"),
        pytest.param(_bot(message_id=10**40), id="huge-message-id"),
        pytest.param(_bot(date=float("nan")), id="NaN-date"),
        pytest.param(b"[]", id="not-an-object"),
    ],
)
async def test_zalo_bot_refuses_unbounded_json_with_400(edge: AllChannels, raw: bytes) -> None:
    queued = outbox_size(edge)
    assert_refused(await edge.zalo_bot_hook(raw), 400)
    assert outbox_size(edge) == queued

