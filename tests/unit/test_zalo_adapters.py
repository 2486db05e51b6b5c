"""Zalo adapters: OA signature and event translation, Bot Platform secret and update translation."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from api.errors import BadJson
from api.inbound import read_json
from bot.channels.zalo_bot import BadSecret, BadUpdate, check_secret, parse_update, unwrap
from bot.channels.zalo_oa import BadEvent, BadSignature, expected_signature, parse_event, verify_event
from tests.fakes.zalo_api import APP_ID, OA_SECRET_KEY, bot_update, oa_event, sign

NOW = time.time()


def _raw(event: dict[str, Any]) -> bytes:
    return json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode()


def _verify(raw: bytes, signature: str | None, *, now_s: float = NOW, max_age_s: int = 300) -> dict[str, Any]:
    return verify_event(
        raw, read_json(raw), signature, app_id=APP_ID, secret_key=OA_SECRET_KEY, now_s=now_s, max_age_s=max_age_s
    )


def test_signature_is_plain_sha256_of_app_id_body_timestamp_key() -> None:
    raw = b'{"app_id":"1","timestamp":"2"}'
    import hashlib

    assert (
        expected_signature(app_id="1", raw_body=raw, timestamp="2", secret_key="k")
        == hashlib.sha256(b"1" + raw + b"2" + b"k").hexdigest()
    )


@pytest.mark.parametrize("prefix", ["mac=", "", "MAC="])
def test_valid_signature_with_or_without_prefix(prefix: str) -> None:
    raw = _raw(oa_event("user_send_text", text="cách cài VNeID", timestamp_ms=int(NOW * 1000)))
    assert _verify(raw, sign(raw, prefix=prefix))["event_name"] == "user_send_text"
    assert _verify(raw, sign(raw).upper().replace("MAC=", "mac="))["event_name"] == "user_send_text"


def test_signature_covers_the_raw_bytes() -> None:
    event = oa_event("user_send_text", text="a", timestamp_ms=int(NOW * 1000))
    raw = _raw(event)
    sig = sign(raw)
    spaced = json.dumps(event).encode()  # same JSON, other bytes
    with pytest.raises(BadSignature):
        _verify(spaced, sig)


@pytest.mark.parametrize(
    "signature",
    [None, "", "mac=", "mac=" + "0" * 64, "not-hex"],
)
def test_missing_or_wrong_signature(signature: str | None) -> None:
    raw = _raw(oa_event("user_send_text", text="a", timestamp_ms=int(NOW * 1000)))
    with pytest.raises(BadSignature):
        _verify(raw, signature)


def test_signature_with_another_key_or_hmac_is_refused() -> None:
    raw = _raw(oa_event("user_send_text", text="a", timestamp_ms=int(NOW * 1000)))
    with pytest.raises(BadSignature):
        _verify(raw, sign(raw, secret_key="app-secret-instead"))
    import hashlib
    import hmac

    mac = hmac.new(OA_SECRET_KEY.encode(), raw, hashlib.sha256).hexdigest()
    with pytest.raises(BadSignature):
        _verify(raw, "mac=" + mac)


def test_event_of_another_app_is_refused_even_if_signed() -> None:
    raw = _raw(oa_event("user_send_text", text="a", timestamp_ms=int(NOW * 1000), app_id="999"))
    with pytest.raises(BadSignature):
        _verify(raw, sign(raw))


@pytest.mark.parametrize(("offset_s", "ok"), [(-299, True), (-301, False), (59, True), (61, False)])
def test_timestamp_window(offset_s: int, ok: bool) -> None:
    raw = _raw(oa_event("user_send_text", text="a", timestamp_ms=int((NOW + offset_s) * 1000)))
    if ok:
        _verify(raw, sign(raw))
    else:
        with pytest.raises(BadSignature):
            _verify(raw, sign(raw))


def test_numeric_app_id_and_timestamp_are_accepted() -> None:
    event = oa_event("user_send_text", text="a", timestamp_ms=int(NOW * 1000))
    event["app_id"], event["timestamp"] = int(event["app_id"]), int(event["timestamp"])
    raw = _raw(event)
    assert _verify(raw, sign(raw))["app_id"] == int(APP_ID)


@pytest.mark.parametrize("raw", [b"not json", b"\xff\xfe"])
def test_body_that_is_not_json_is_refused_by_the_reader(raw: bytes) -> None:
    with pytest.raises(BadJson):
        _verify(raw, "mac=" + "0" * 64)


def test_body_that_is_not_an_object() -> None:
    with pytest.raises(BadEvent):
        _verify(b"[1,2]", "mac=" + "0" * 64)


@pytest.mark.parametrize("digits", [20, 400, 5000])
def test_signed_event_with_a_huge_timestamp_is_refused(digits: int) -> None:
    event = oa_event("user_send_text", text="a")
    event["timestamp"] = "1" * digits
    raw = _raw(event)
    with pytest.raises(BadSignature, match="not a number"):
        _verify(raw, sign(raw))


def test_missing_timestamp_is_refused() -> None:
    raw = b'{"app_id":"%s","event_name":"user_send_text"}' % APP_ID.encode()
    with pytest.raises(BadSignature):
        _verify(raw, "mac=" + "0" * 64)


def test_text_event() -> None:
    ev = parse_event(oa_event("user_send_text", "u1", text="cách cài VNeID", msg_id="96d3cdf3af150460909"))
    assert (ev.action, ev.user_id, ev.text, ev.media, ev.message_id) == (
        "turn",
        "u1",
        "cách cài VNeID",
        None,
        "96d3cdf3af150460909",
    )
    assert ev.dedup_id == "m:96d3cdf3af150460909"


def test_follow_is_a_start_and_dedups_on_user_and_time() -> None:
    ev = parse_event(oa_event("follow", "u2", timestamp_ms=1767225600456))
    assert (ev.action, ev.user_id, ev.text) == ("turn", "u2", "/start")
    assert ev.dedup_id == parse_event(oa_event("follow", "u2", timestamp_ms=1767225600456)).dedup_id
    assert ev.dedup_id != parse_event(oa_event("follow", "u2", timestamp_ms=1767225600457)).dedup_id
    assert ev.dedup_id is not None and "u2" not in ev.dedup_id  # the dedup row does not name the user


@pytest.mark.parametrize("kind", ["image", "sticker", "audio", "video", "file", "location", "link", "gif"])
def test_media_events(kind: str) -> None:
    attachments = [
        {"type": "location", "payload": {"coordinates": {"latitude": "10.7769", "longitude": "106.7009"}}}
    ]
    ev = parse_event(
        oa_event(f"user_send_{kind}", "u3", attachments=attachments if kind == "location" else [])
    )
    assert (ev.action, ev.media, ev.text) == ("turn", kind, None)


def test_event_without_msg_id_dedups_on_name_user_time() -> None:
    event = oa_event("user_send_sticker", "u4", timestamp_ms=1767225600999)
    del event["message"]["msg_id"]
    dedup = parse_event(event).dedup_id
    assert dedup is not None and dedup.startswith("e:") and "u4" not in dedup
    other = oa_event("user_send_sticker", "u5", timestamp_ms=1767225600999)
    del other["message"]["msg_id"]
    assert parse_event(other).dedup_id != dedup


@pytest.mark.parametrize(
    "name",
    [
        "unfollow",
        "user_seen_message",
        "user_received_message",
        "oa_send_text",
        "anonymous_send_text",
        "something_new",
        "",
    ],
)
def test_events_without_an_answer_are_ignored(name: str) -> None:
    assert parse_event(oa_event(name, "u5", text="x")).action == "ignore"


def test_malformed_known_event_is_ignored_not_an_error() -> None:
    assert (
        parse_event({"event_name": "user_send_text", "timestamp": "1", "sender": "oops"}).action == "ignore"
    )
    assert parse_event({"event_name": "follow", "timestamp": "1"}).action == "ignore"


def test_large_ids_stay_exact() -> None:
    event = oa_event("user_send_text", text="a")
    event["sender"]["id"] = 2468458835296197922123  # beyond 2**53
    raw = json.dumps(event).encode()
    assert parse_event(json.loads(raw)).user_id == "2468458835296197922123"


# --- Zalo Bot ---------------------------------------------------------------------------------


def test_bot_secret_check() -> None:
    check_secret("s3cret-value", "s3cret-value")
    for wrong in (None, "", "s3cret-valuE", "s3cret-value "):
        with pytest.raises(BadSecret):
            check_secret(wrong, "s3cret-value")


@pytest.mark.parametrize("wrapped", [True, False])
def test_bot_text_update_wrapped_or_not(wrapped: bool) -> None:
    body = json.dumps(bot_update(text="menu", chat_id="c1", message_id="m1", wrapped=wrapped)).encode()
    upd = parse_update(unwrap(read_json(body)))
    assert (upd.action, upd.user_id, upd.chat_id, upd.dedup_id, upd.text) == (
        "turn",
        "c1",
        "c1",
        "m1",
        "menu",
    )


@pytest.mark.parametrize(
    ("event", "media"),
    [
        ("message.image.received", "image"),
        ("message.sticker.received", "sticker"),
        ("message.unsupported.received", "unsupported"),
    ],
)
def test_bot_media_updates(event: str, media: str) -> None:
    upd = parse_update(bot_update(event))
    assert (upd.action, upd.media, upd.text) == ("turn", media, None)


def test_bot_ignores_bots_unknown_and_malformed() -> None:
    assert parse_update(bot_update(is_bot=True)).action == "ignore"
    assert parse_update(bot_update("message.reaction.received")).action == "ignore"
    assert parse_update({"event_name": "message.text.received"}).action == "ignore"


@pytest.mark.parametrize("data", [[], "nope", 1, None])
def test_bot_body_that_is_not_an_object(data: Any) -> None:
    with pytest.raises(BadUpdate):
        unwrap(data)


def test_the_loopback_guard_refuses_and_reports_other_hosts() -> None:
    import socket

    from tests.fakes.zalo_api import loopback_only

    with pytest.raises(pytest.fail.Exception, match="192.0.2.1"), loopback_only(), pytest.raises(OSError):
        socket.create_connection(("192.0.2.1", 443), timeout=1)
