"""Privacy end to end: personal numbers typed on every channel never reach a table or a log.

One app runs the web chat API, Telegram, Zalo OA and Zalo Bot (fake platform APIs on 127.0.0.1),
and the command line asks through the same database, on SQLite and on PostgreSQL. Afterwards
every text/JSON cell of every table, the captured log records and the CLI's stderr are scanned.
(This grew out of the Telegram test "the token and a typed ID number never reach logs or tables".)
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import os
import re
import subprocess
import sys
import unicodedata
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import JSON, String, Text, inspect, text
from sqlmodel import col, select

from api.routes import zalo as zalo_routes
from api.settings import PROJECT_ROOT
from api.store.db import make_engine
from api.store.models import Outbox
from bot.channels.zalo import BotFacts, OaFacts
from tests.databases import postgres_schema_url
from tests.e2e.telegram_harness import open_telegram_app, telegram_settings
from tests.fakes.telegram_api import TOKEN, Failure, FakeTelegramAPI, callback_update, message_update
from tests.fakes.zalo_api import (
    APP_ID,
    APP_SECRET,
    OA_SECRET_KEY,
    FakeZaloBot,
    FakeZaloOa,
    bot_update,
    oa_event,
    serve,
    sign,
)

ZALO_BOT_SECRET = "zalo-bot-webhook-secret-77"

# What citizens typed (the shapes of issue 10) and what must never be readable afterwards.
TYPED: list[tuple[str, list[str]]] = [
    ("số căn cước của tôi là 001203004567 quên mật khẩu", ["001203004567"]),
    ("cccd001099011346 quên mật khẩu", ["001099011346"]),
    ("otp482913", ["482913"]),
    ("mã otp 7 1 9 3 5 2 không nhận được", ["719352"]),
    ("mã 264-817 hết hạn rồi", ["264817"]),
    ("mã xác nhận 39571846", ["39571846"]),
    ("ma otp la 4729", ["la 4729"]),  # 4 digits: checked in context (bare, they could be anything)
    ("sdt ０９１１３４５６７１ nhé", ["0911345671"]),
    ("gọi (0987) 654 321 giúp tôi", ["0987654321"]),
    ("sdt 0936  482  715", ["0936482715"]),
    ("cmnd 071.123.456 cấp lại", ["071123456"]),
    ("mật khẩu của tôi là Hanoi2024xyz! sao không vào được", ["Hanoi2024xyz"]),
    ("mk la qwe789rty", ["qwe789rty"]),
]
# Button payloads carrying a number (a forged callback, a hand-made API call, a deep link).
PAYLOADS: list[tuple[str, list[str]]] = [
    ("cccd001099011347", ["001099011347"]),
    ("q-0912876543", ["0912876543"]),
]
DEEP_LINK = ("/start q-001099011349", ["001099011349"])
ALL_NEEDLES = [n for _, needles in [*TYPED, *PAYLOADS, DEEP_LINK] for n in needles] + [TOKEN.split(":")[1]]

_SEP_BETWEEN_DIGITS = re.compile(r"(?<=\d)[ .\-()\u00a0]+(?=\d)")
_chats = itertools.count(int.from_bytes(os.urandom(2), "big") * 1000 + 30_000_000)


def readable(raw: str) -> list[str]:
    """``raw`` as a person would read it: full-width digits as ASCII, and with separators between
    digits dropped ("071.123.456" → "071123456")."""
    flat = unicodedata.normalize("NFKC", raw)
    return [flat, _SEP_BETWEEN_DIGITS.sub("", flat)]


def leaked(raw: str) -> list[str]:
    """The needles readable in ``raw``."""
    views = readable(raw)
    return [n for n in ALL_NEEDLES if any(n in v for v in views)]


def cell_text(value: Any) -> str:
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    out = str(value)
    if out[:1] in "{[":  # JSON kept as text (SQLite): read it with its \\u escapes undone
        try:
            out += "\n" + json.dumps(json.loads(out), ensure_ascii=False)
        except ValueError:
            pass
    return out


def scan_tables(engine: Any) -> dict[str, list[str]]:
    """Every text/JSON cell of every table, with the needles found in it."""
    found: dict[str, list[str]] = {}
    with engine.connect() as conn:
        insp = inspect(conn)  # on this connection: a second one would wait for its write lock (SQLite)
        for table in insp.get_table_names():
            columns = [c["name"] for c in insp.get_columns(table) if isinstance(c["type"], String | Text | JSON)
                       or type(c["type"]).__name__.upper() in ("JSONB", "JSON", "TEXT", "VARCHAR")]
            if not columns:
                continue
            cols = ", ".join(f'"{c}"' for c in columns)
            for row in conn.execute(text(f'SELECT {cols} FROM "{table}"')):
                for name, value in zip(columns, row, strict=True):
                    if value is None:
                        continue
                    hits = leaked(cell_text(value))
                    if hits:
                        found.setdefault(f"{table}.{name}", []).extend(hits)
    return found


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh database: a SQLite file, or a new PostgreSQL schema (dropped afterwards)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'privacy.sqlite3'}"
        return
    postgres_url: str = request.getfixturevalue("postgres_url")
    with postgres_schema_url(postgres_url, prefix="pii") as url:
        yield url


@pytest.fixture(scope="module")
def zalo_fakes() -> Iterator[tuple[FakeZaloBot, str, FakeZaloOa, str]]:
    bot, oa = FakeZaloBot(), FakeZaloOa()
    oa.issue("oa-access-1", "oa-refresh-1")
    with serve(bot.app, "zalo-bot") as bot_url, serve(oa.app, "zalo-oa") as oa_url:
        yield bot, bot_url, oa, oa_url


def run_cli(database_url: str, lines: list[str]) -> subprocess.CompletedProcess[str]:
    """``python -m bot ask --user …`` reading one question a line, on the test's database."""
    env = {**os.environ, "DATABASE_URL": database_url, "PYTHONIOENCODING": "utf-8", "LOG_LEVEL": "DEBUG"}
    for key in ("TELEGRAM_BOT_TOKEN", "ZALO_OA_APP_ID", "ZALO_BOT_TOKEN"):
        env.pop(key, None)
    return subprocess.run(
        [sys.executable, "-m", "bot", "ask", "--user", f"cli-{uuid.uuid4().hex[:8]}"], cwd=PROJECT_ROOT, env=env,
        input="\n".join(lines) + "\n", capture_output=True, text=True, timeout=180, check=False,
    )


async def wait_for(predicate: Callable[[], bool], timeout: float = 20.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError("timed out waiting for the condition")
        await asyncio.sleep(0.05)


async def test_token_and_typed_id_numbers_never_reach_logs_or_tables(
    database_url: str, tmp_path: Path, fake_telegram: FakeTelegramAPI,
    zalo_fakes: tuple[FakeZaloBot, str, FakeZaloOa, str], caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    bot, bot_url, _oa, oa_url = zalo_fakes
    settings = telegram_settings(
        tmp_path, fake_telegram,
        database_url=database_url,
        chat_rate_per_minute=1000,
        chat_ip_rate_per_minute=1000,
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
    typed = [t for t, _ in TYPED] + [DEEP_LINK[0]]
    async with open_telegram_app(settings, fake_telegram) as tg:
        if not any(getattr(r, "path", None) == "/webhooks/zalo-bot" for r in tg.app.routes):
            tg.app.include_router(zalo_routes.router)
        client: httpx.AsyncClient = tg.client
        # A 429 and a 502 make the sender (and python-telegram-bot) log.
        tg.fake.fail_next("sendMessage", Failure(429, retry_after=1), Failure(502))

        web_user = f"web-{uuid.uuid4().hex[:8]}"
        oa_user, bot_chat = str(next(_chats)), uuid.uuid4().hex[:20]
        for message in typed:
            tg_chat = next(_chats)  # one Telegram chat a message: its per-chat send limit is 1/s
            r = await client.post("/api/v1/chat", json={"user_id": web_user, "text": message})
            assert r.status_code == 200, r.text
            assert (await tg.post(message_update(tg_chat, message))).status_code == 200
            body = json.dumps(oa_event("user_send_text", oa_user, text=message)).encode()
            r = await client.post("/webhooks/zalo", content=body, headers={
                "Content-Type": "application/json", OaFacts.SIGNATURE_HEADER: sign(body)})
            assert r.status_code == 200, r.text
            r = await client.post("/webhooks/zalo-bot", json=bot_update(text=message, chat_id=bot_chat),
                                  headers={BotFacts.SECRET_HEADER: ZALO_BOT_SECRET})
            assert r.status_code == 200, r.text
        for payload in [p for p, _ in PAYLOADS] + ["menu"]:
            r = await client.post("/api/v1/chat", json={"user_id": web_user, "payload": payload})
            assert r.status_code == 200, r.text
            assert (await tg.post(callback_update(next(_chats), payload))).status_code == 200

        def pending() -> int:
            with tg.store.unit(readonly=True) as unit:
                return len(unit.session.exec(
                    select(Outbox.id).where(col(Outbox.status).in_(("pending", "sending")))).all())

        await wait_for(lambda: pending() == 0, timeout=40)
        assert tg.store.dialect == ("sqlite" if database_url.startswith("sqlite") else "postgresql")

        cli = run_cli(database_url, typed)
        assert cli.returncode == 0, cli.stderr
        assert len(cli.stdout.splitlines()) == len(typed)

    # Scanned once the app has stopped (its workers write no more), on an engine of our own.
    engine = make_engine(database_url)
    try:
        found = scan_tables(engine)
        with engine.connect() as conn:
            logged = conn.execute(text("SELECT COUNT(*) FROM message_log WHERE direction = 'in'")).scalar_one()
            channels = {row[0] for row in conn.execute(text("SELECT DISTINCT channel FROM users"))}
    finally:
        engine.dispose()
    # Every path really stored its turns (so the scan above looked at something).
    assert channels >= {"web", "telegram", "zalo_oa", "zalo_bot", "cli"}
    assert logged >= 5 * len(typed)
    assert found == {}, found

    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    assert caplog.records
    for record in caplog.records:
        rendered = formatter.format(record)
        assert TOKEN not in rendered and TOKEN.split(":")[1] not in rendered
        assert leaked(rendered) == [], rendered
    assert leaked(cli.stderr) == [], cli.stderr
