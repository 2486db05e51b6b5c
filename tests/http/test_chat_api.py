"""``POST /api/v1/chat`` and ``GET /healthz`` over real HTTP through the ASGI app."""

from __future__ import annotations

import json
import logging
import uuid

import httpx
import pytest
from fastapi import FastAPI
from sqlmodel import select

from api.app import create_app
from api.store.models import EventRow, MessageLog, SessionState, Unanswered, User
from api.store import Store
from tests.http.conftest import make_settings, open_client


def uid() -> str:
    return f"t-{uuid.uuid4().hex[:10]}"


def store_of(app: FastAPI) -> Store:
    store: Store = app.state.store
    return store


async def test_healthz_reports_database_and_channels(client: httpx.AsyncClient) -> None:
    r = await client.get("/healthz")
    assert r.status_code == 200
    body = r.json()
    assert body["database"] == "ok" and body["content_version"] >= 1
    assert body["channels"]["web"] == "ok"
    assert body["channels"]["telegram"] == "disabled"


async def test_text_question_gets_faq_answer(client: httpx.AsyncClient) -> None:
    r = await client.post("/api/v1/chat", json={"user_id": uid(), "text": "quen mat khau vneid thi lam sao"})
    assert r.status_code == 200
    body = r.json()
    assert body["match"]["kind"] == "faq" and body["match"]["id"]
    assert 0 < body["match"]["score"] <= 1
    assert body["replies"][0]["text"] and isinstance(body["replies"][0]["buttons"], list)


async def test_payload_starts_a_flow_and_buttons_continue_it(client: httpx.AsyncClient) -> None:
    user = uid()
    r = await client.post("/api/v1/chat", json={"user_id": user, "payload": "f-l2"})
    body = r.json()
    assert body["match"]["kind"] == "flow" and body["match"]["id"].startswith("l2/")
    first = body["replies"][0]["buttons"][0]
    r2 = await client.post("/api/v1/chat", json={"user_id": user, "payload": first["payload"]})
    assert r2.json()["match"]["kind"] in {"flow", "faq", "service"}


async def test_typed_number_picks_an_option(client: httpx.AsyncClient) -> None:
    user = uid()
    menu = (await client.post("/api/v1/chat", json={"user_id": user, "text": "menu"})).json()
    payloads = [b["payload"] for r in menu["replies"] for b in r["buttons"]]
    n = payloads.index("cat") + 1
    r = await client.post("/api/v1/chat", json={"user_id": user, "text": str(n)})
    assert r.json()["match"]["id"] == "cat"


@pytest.mark.parametrize(
    "body",
    [
        {"user_id": 123, "text": "hi"},
        {"user_id": "u", "text": 5},
        {"user_id": "u"},
        {"user_id": "u", "text": "a", "payload": "menu"},
        {"user_id": "", "text": "a"},
        {"text": "a"},
        {"user_id": "u", "text": ["a"]},
        {"user_id": "u", "text": "a", "extra": 1},
        [1, 2, 3],
        "just a string",
    ],
)
async def test_wrong_json_types_are_422(client: httpx.AsyncClient, body: object) -> None:
    r = await client.post("/api/v1/chat", json=body)
    assert r.status_code == 422


async def test_binary_junk_body_is_a_clear_4xx(client: httpx.AsyncClient) -> None:
    r = await client.post("/api/v1/chat", content=bytes(range(256)) * 4,
                          headers={"content-type": "application/json"})
    assert r.status_code == 400 and r.json() == {"error": "body is not UTF-8"}


async def test_body_over_64_kb_is_413(client: httpx.AsyncClient) -> None:
    r = await client.post("/api/v1/chat", json={"user_id": uid(), "text": "a" * 100_000})
    assert r.status_code == 413
    assert r.json()["error"]


async def test_chunked_body_over_limit_is_413(client: httpx.AsyncClient) -> None:
    async def gen():  # type: ignore[no-untyped-def]
        for _ in range(20):
            yield b"x" * 8192

    r = await client.post("/api/v1/chat", content=gen(), headers={"content-type": "application/json"})
    assert r.status_code == 413


async def test_long_text_under_limit_is_cut_with_a_note(client: httpx.AsyncClient) -> None:
    r = await client.post("/api/v1/chat", json={"user_id": uid(), "text": "quên mật khẩu " * 3000})
    assert r.status_code == 200
    assert "dài quá" in r.json()["replies"][0]["text"]


# A NUL is refused (400) by api.inbound, like everywhere: tests/e2e/test_bad_input.py.
@pytest.mark.parametrize("text", ["", "   ", "😀🙏😀", "\x01\x7f\x1b", "?!", "ạ"])
async def test_odd_text_gets_a_polite_reply(client: httpx.AsyncClient, text: str) -> None:
    r = await client.post("/api/v1/chat", json={"user_id": uid(), "text": text})
    assert r.status_code == 200
    assert r.json()["replies"][0]["text"]


async def test_id_numbers_and_codes_are_masked_before_storage(
    app_and_client: tuple[FastAPI, httpx.AsyncClient], caplog: pytest.LogCaptureFixture
) -> None:
    app, client = app_and_client
    caplog.set_level(logging.DEBUG)
    user = uid()
    r = await client.post(
        "/api/v1/chat",
        json={"user_id": user, "text": "so cccd cua toi la 001203004567, sdt 0912345678, ma otp 493817"},
    )
    body = r.json()
    assert any("OTP" in rep["text"] and "⚠️" in rep["text"] for rep in body["replies"])
    with store_of(app).unit() as unit:
        texts = [m.text or "" for m in unit.session.exec(select(MessageLog)).all()]
        texts += [q.question or "" for q in unit.session.exec(select(Unanswered)).all()]
        texts += [json.dumps(s.data, ensure_ascii=False) for s in unit.session.exec(select(SessionState)).all()]
        texts += [json.dumps(e.data, ensure_ascii=False) for e in unit.session.exec(select(EventRow)).all()]
    joined = "\n".join(texts) + "\n".join(r.getMessage() for r in caplog.records)
    for secret in ("001203004567", "0912345678", "493817"):
        assert secret not in joined
    assert "[ID]" in joined


async def test_fallback_questions_land_in_the_unanswered_inbox(
    app_and_client: tuple[FastAPI, httpx.AsyncClient],
) -> None:
    app, client = app_and_client
    q = "con meo nha toi bi om phai lam the nao bay gio"
    r = await client.post("/api/v1/chat", json={"user_id": uid(), "text": q})
    assert r.json()["match"]["kind"] in {"fallback", "offtopic"}
    if r.json()["match"]["kind"] == "fallback":
        with store_of(app).unit() as unit:
            rows = unit.session.exec(select(Unanswered).where(Unanswered.question == q)).all()
        assert len(rows) == 1 and rows[0].reason == "fallback" and rows[0].source == "user"


async def test_a_question_declined_as_out_of_scope_lands_in_the_inbox(
    app_and_client: tuple[FastAPI, httpx.AsyncClient],
) -> None:
    # The generic decline of a long question naming nothing of ours is a guess: the admins see it.
    app, client = app_and_client
    q = ("Bố tôi mất để lại một căn nhà, anh em trong nhà chưa thống nhất được việc chia. Xin hỏi muốn chia "
         "thừa kế thì phải làm những thủ tục gì và nộp ở đâu?")
    r = await client.post("/api/v1/chat", json={"user_id": uid(), "text": q})
    match = r.json()["match"]
    assert (match["kind"], match["id"]) == ("offtopic", "out_of_scope")
    with store_of(app).unit() as unit:
        rows = unit.session.exec(select(Unanswered).where(Unanswered.question == q)).all()
    assert [(row.reason, row.source) for row in rows] == [("out_of_scope", "user")]
    # ... while a specific off-topic entry (another app's password) is not a guess and stays out
    await client.post("/api/v1/chat", json={"user_id": uid(), "text": "quen mat khau zalo"})
    with store_of(app).unit() as unit:
        assert not unit.session.exec(select(Unanswered).where(Unanswered.question == "quen mat khau zalo")).all()


async def test_feedback_no_is_recorded_with_the_entry(app_and_client: tuple[FastAPI, httpx.AsyncClient]) -> None:
    app, client = app_and_client
    user = uid()
    a = (await client.post("/api/v1/chat", json={"user_id": user, "text": "quen passcode vneid"})).json()
    entry = a["match"]["id"]
    no = next(b["payload"] for rep in a["replies"] for b in rep["buttons"] if b["payload"].startswith("fn-"))
    await client.post("/api/v1/chat", json={"user_id": user, "payload": no})
    with store_of(app).unit() as unit:
        rows = unit.session.exec(select(Unanswered).where(Unanswered.reason == "feedback_no")).all()
    assert any(r.entry_id == entry and r.question == "quen passcode vneid" for r in rows)


async def test_delete_my_data_keeps_only_anonymous_counts(
    app_and_client: tuple[FastAPI, httpx.AsyncClient],
) -> None:
    app, client = app_and_client
    user = uid()
    await client.post("/api/v1/chat", json={"user_id": user, "text": "dang ky muc 2 o dau"})
    r = await client.post("/api/v1/chat", json={"user_id": user, "text": "xoa du lieu cua toi"})
    assert "xóa" in r.json()["replies"][0]["text"]
    with store_of(app).unit() as unit:
        assert unit.find_user(channel="web", external_id=user) is None
        assert unit.session.exec(select(EventRow).where(EventRow.name == "privacy_delete")).first() is not None


async def test_rate_limit_answers_429_with_retry_after(tmp_path_factory: pytest.TempPathFactory) -> None:
    app = create_app(make_settings(tmp_path_factory.mktemp("rl"), chat_rate_per_minute=3))
    async for client in open_client(app):
        user = uid()
        codes = [
            (await client.post("/api/v1/chat", json={"user_id": user, "text": "xin chao"})).status_code
            for _ in range(4)
        ]
        assert codes == [200, 200, 200, 429]
        r = await client.post("/api/v1/chat", json={"user_id": user, "text": "xin chao"})
        assert r.status_code == 429 and 1 <= int(r.headers["Retry-After"]) <= 60
        # Another user is not affected.
        assert (await client.post("/api/v1/chat", json={"user_id": uid(), "text": "hi"})).status_code == 200
        with store_of(app).unit() as unit:
            assert unit.count(User) >= 2


async def test_a_flooding_user_does_not_lock_out_others_behind_the_same_address(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """Refused messages spend no budget (issue 10, defect 2): B on A's address is still served."""
    app = create_app(make_settings(tmp_path_factory.mktemp("nat"), chat_rate_per_minute=5, chat_ip_rate_per_minute=20))
    async for client in open_client(app):
        flooder = uid()
        codes = [
            (await client.post("/api/v1/chat", json={"user_id": flooder, "text": "xin chao"})).status_code
            for _ in range(60)
        ]
        assert codes.count(200) == 5 and codes.count(429) == 55
        # The address budget holds only A's five accepted messages; B gets the remaining fifteen.
        others = [
            (await client.post("/api/v1/chat", json={"user_id": uid(), "text": "xin chao"})).status_code
            for _ in range(15)
        ]
        assert others == [200] * 15
        # Then the address budget itself is spent, for everyone behind it.
        assert (await client.post("/api/v1/chat", json={"user_id": uid(), "text": "hi"})).status_code == 429


async def test_broken_content_file_keeps_serving_last_good_content(tmp_path_factory: pytest.TempPathFactory) -> None:
    import shutil

    from api.settings import PROJECT_ROOT

    root = tmp_path_factory.mktemp("broken")
    faq_dir = root / "faq"
    shutil.copytree(PROJECT_ROOT / "faq" / "content", faq_dir)
    settings = make_settings(root, faq_dir=faq_dir)
    app = create_app(settings)
    async for client in open_client(app):
        ok = (await client.post("/api/v1/chat", json={"user_id": uid(), "text": "quen mat khau vneid"})).json()
        assert ok["match"]["kind"] == "faq"
    # Break every file: bad YAML in one, schema errors in the others. The last good rows stay.
    files = sorted(faq_dir.glob("*.yaml"))
    files[0].write_text("entries: [unclosed", encoding="utf-8")
    for f in files[1:]:
        f.write_text("entries:\n  - id: Bad-Id\n    answer: x\n", encoding="utf-8")
    app2 = create_app(settings)
    async for client in open_client(app2):
        again = (await client.post("/api/v1/chat", json={"user_id": uid(), "text": "quen mat khau vneid"})).json()
        assert again["match"] == ok["match"]
