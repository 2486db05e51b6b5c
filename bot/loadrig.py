"""The rig the webhook benchmark and the fault scenarios share: a fake Bot API, a database, the app.

- :class:`FakeBotApi`: a minimal Telegram Bot API (uvicorn in a thread on 127.0.0.1) that records
  every message it is sent, per chat and with its arrival time, and can be told to fail
  (``set_failing``: every send answered 500 or 429 in turn) as a platform outage would.
- :func:`database`: a fresh SQLite file or a fresh PostgreSQL schema (``TEST_DATABASE_URL``).
- :class:`AppProcess`: the real app under uvicorn in a child process, with the Telegram channel on
  the fake; it can be killed with SIGKILL and started again on the same database.
- :func:`update_body`: a Telegram ``message`` update as the platform sends it.

Everything listens on loopback only. Nothing here is a test; the benchmark and ``chaos`` use it.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = [
    "SECRET",
    "TOKEN",
    "AppProcess",
    "FakeBotApi",
    "Sent",
    "app_factory",
    "database",
    "fake_bot_api",
    "fake_bot_api_process",
    "free_port",
    "update_body",
]

TOKEN = "7000000001:BenchTokenBenchTokenBenchToken_xyz"
SECRET = "bench-secret_0123456789"
_ROOT = Path(__file__).resolve().parent.parent


def app_factory() -> Any:
    """The app factory uvicorn runs (``--factory``): the real app, settings from the environment."""
    from api.app import create_app

    return create_app()


@dataclass(frozen=True, slots=True)
class Sent:
    """One message the fake accepted: where, what, when (``time.monotonic()``)."""

    chat_id: int
    text: str
    at: float


class FakeBotApi:
    """Answers the methods the bot calls; records the messages it is sent; fails when told to."""

    def __init__(self, *, limit_per_s: int | None = None, blocked: frozenset[int] = frozenset()) -> None:
        self.sent = 0
        self.refused = 0
        #: Sends answered 429 because more than ``limit_per_s`` came within one second.
        self.rate_limited = 0
        self._ids = 0
        self._failing = False
        self._records: list[Sent] = []
        self._lock = threading.Lock()
        self._limit = limit_per_s
        self._window: list[float] = []
        #: Chats that blocked the bot: every send to them is refused with 403.
        self.blocked = blocked

    def per_chat(self) -> dict[int, int]:
        """How many messages each chat received."""
        counts: dict[int, int] = {}
        for record in self.records():
            counts[record.chat_id] = counts.get(record.chat_id, 0) + 1
        return counts

    def set_failing(self, failing: bool) -> None:
        """While failing, every send is refused: 500 and 429 (``retry_after`` 1) in turn."""
        self._failing = failing

    def records(self) -> list[Sent]:
        """Every message accepted so far, in arrival order."""
        with self._lock:
            return list(self._records)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        """ASGI entry point."""
        if scope["type"] != "http":
            return
        chunks: list[bytes] = []
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return  # the sender went away before its request was complete: nothing was sent
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        method = scope["path"].rsplit("/", 1)[-1]
        status, body = self._answer(method, b"".join(chunks))
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": json.dumps(body).encode()})

    def _answer(self, method: str, raw: bytes) -> tuple[int, dict[str, Any]]:
        result: Any = True
        if method == "_stats":  # the fake's own: what a separate process recorded (fake_bot_api_process)
            records = self.records()
            return 200, {"ok": True, "result": {
                "sent": self.sent, "rate_limited": self.rate_limited, "refused": self.refused,
                "per_chat": {str(k): v for k, v in self.per_chat().items()},
                "first_at": records[0].at if records else None, "last_at": records[-1].at if records else None,
                "times": [r.at for r in records]}}
        if method == "getMe":
            result = {"id": 7000000001, "is_bot": True, "first_name": "Bench", "username": "bench_bot"}
        elif method in ("sendMessage", "sendPhoto", "editMessageText"):
            with self._lock:
                if self._failing:
                    self.refused += 1
                    if self.refused % 2:
                        return 500, {"ok": False, "error_code": 500, "description": "Internal Server Error"}
                    return 429, {"ok": False, "error_code": 429, "description": "Too Many Requests: retry after 1",
                                 "parameters": {"retry_after": 1}}
                params = _params(raw)
                chat_id = int(params.get("chat_id") or 0)
                if not chat_id:
                    return 400, {"ok": False, "error_code": 400, "description": "Bad Request: chat not found"}
                if chat_id in self.blocked:
                    return 403, {"ok": False, "error_code": 403, "description": "Forbidden: bot was blocked by the user"}
                if self._limit is not None:
                    # Telegram's flood control as observed: more than `limit` messages within any one
                    # second are refused with 429 and a retry_after.
                    now = time.monotonic()
                    while self._window and self._window[0] <= now - 1.0:
                        self._window.pop(0)
                    if len(self._window) >= self._limit:
                        self.rate_limited += 1
                        return 429, {"ok": False, "error_code": 429, "description": "Too Many Requests: retry after 1",
                                     "parameters": {"retry_after": 1}}
                    self._window.append(now)
                self.sent += 1
                self._ids += 1
                self._records.append(Sent(chat_id, str(params.get("text") or params.get("caption") or ""),
                                          time.monotonic()))
                mid = self._ids
            result = {"message_id": mid, "date": int(time.time()), "chat": {"id": chat_id, "type": "private"},
                      "text": "ok"}
        return 200, {"ok": True, "result": result}


def _params(raw: bytes) -> dict[str, Any]:
    """The call's parameters (python-telegram-bot posts JSON, or a form for files)."""
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError):
        from urllib.parse import parse_qsl

        return dict(parse_qsl(raw.decode("utf-8", "replace")))
    return data if isinstance(data, dict) else {}


@contextmanager
def fake_bot_api(*, limit_per_s: int | None = None,
                 blocked: frozenset[int] = frozenset()) -> Iterator[tuple[str, FakeBotApi]]:
    """Run a :class:`FakeBotApi` on a free loopback port; yields its base URL (``…/bot``) and itself."""
    import uvicorn

    api = FakeBotApi(limit_per_s=limit_per_s, blocked=blocked)
    config = uvicorn.Config(api, host="127.0.0.1", port=0, log_level="warning", lifespan="off", ws="none",
                            access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}/bot", api
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def _die_with_parent() -> None:
    """In the child: receive SIGTERM when the parent dies (a killed benchmark leaves no fake behind)."""
    import ctypes

    pr_set_pdeathsig = 1
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


@contextmanager
def fake_bot_api_process(*, limit_per_s: int | None = None) -> Iterator[tuple[str, Callable[[], dict[str, Any]]]]:
    """A :class:`FakeBotApi` in a child process (its clock and the sender's do not share a GIL);
    yields its base URL and a function returning its records (``_stats``)."""
    import httpx

    port = free_port()
    cmd = [sys.executable, "-m", "bot.loadrig", "--port", str(port)]
    if limit_per_s is not None:
        cmd += ["--limit", str(limit_per_s)]
    proc = subprocess.Popen(cmd, cwd=_ROOT, preexec_fn=_die_with_parent)
    base = f"http://127.0.0.1:{port}/bot"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.post(f"{base}{TOKEN}/getMe", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or proc.poll() is not None:
                raise SystemExit("the fake Bot API did not start")
            time.sleep(0.1)

        def stats() -> dict[str, Any]:
            data: dict[str, Any] = httpx.post(f"{base}{TOKEN}/_stats", timeout=30).json()["result"]
            return data

        yield base, stats
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _serve_fake(argv: list[str] | None = None) -> None:
    """``python -m bot.loadrig --port P [--limit L]``: a fake Bot API on 127.0.0.1 until terminated."""
    import argparse

    import uvicorn

    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--limit", type=int)
    args = p.parse_args(argv)
    uvicorn.run(FakeBotApi(limit_per_s=args.limit), host="127.0.0.1", port=args.port, log_level="warning",
                lifespan="off", ws="none", access_log=False)


@contextmanager
def database(kind: str) -> Iterator[str]:
    """A fresh database URL: a SQLite file in a temporary folder, or a new PostgreSQL schema."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory(prefix="troly06-rig-") as tmp:
            yield f"sqlite:///{Path(tmp) / 'rig.sqlite3'}"
        return
    from sqlalchemy.engine import make_url

    from api.store.db import make_engine
    from api.settings import Settings

    base = Settings(_env_file=None).test_database_url
    schema = f"rig_{uuid.uuid4().hex[:10]}"
    admin = make_engine(base, pool_size=1)
    with admin.begin() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    try:
        url = make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        admin.dispose()


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class AppProcess:
    """The app under uvicorn in a child process, with Telegram on the fake; killable and restartable."""

    def __init__(self, database_url: str, api_url: str, *, workers: int = 1, log_level: str = "WARNING") -> None:
        self.database_url = database_url
        self.api_url = api_url
        self.workers = workers
        self.log_level = log_level
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        """The app's base URL."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        """The uvicorn parent process id."""
        assert self.proc is not None
        return self.proc.pid

    def start(self, *, timeout_s: float = 120.0) -> None:
        """Start the app (on the same port and database as before) and wait until it is healthy."""
        env = dict(os.environ)
        env.update({
            "DATABASE_URL": self.database_url,
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_WEBHOOK_SECRET": SECRET,
            "TELEGRAM_API_BASE_URL": self.api_url,
            "TELEGRAM_MODE": "webhook",
            "PUBLIC_BASE_URL": self.base,
            "LOG_LEVEL": self.log_level,
        })
        cmd = [sys.executable, "-m", "uvicorn", "bot.loadrig:app_factory", "--factory", "--host", "127.0.0.1",
               "--port", str(self.port), "--workers", str(self.workers), "--log-level", "warning",
               "--no-access-log"]
        self.proc = subprocess.Popen(cmd, env=env, cwd=_ROOT, start_new_session=True)
        self._wait_healthy(timeout_s)

    def kill(self) -> None:
        """SIGKILL the app and its workers at once: no shutdown, no outcome written."""
        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait(timeout=30)
        self.proc = None

    def stop(self) -> None:
        """Stop the app gracefully (SIGTERM), or kill it after 30 s."""
        if self.proc is None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.kill()
        self.proc = None

    def _wait_healthy(self, timeout_s: float) -> None:
        import httpx

        assert self.proc is not None
        deadline = time.monotonic() + timeout_s
        ok_in_a_row = 0
        while ok_in_a_row < 4 * self.workers:
            if self.proc.poll() is not None:
                raise SystemExit(f"the app exited with status {self.proc.returncode}")
            if time.monotonic() > deadline:
                raise SystemExit(f"the app did not become healthy in {timeout_s:.0f} s")
            try:
                r = httpx.get(self.base + "/healthz", timeout=2)
                ok = r.status_code == 200 and r.json()["channels"].get("telegram") == "ok"
            except httpx.HTTPError:
                ok = False
            ok_in_a_row = ok_in_a_row + 1 if ok else 0
            time.sleep(0.05 if ok else 0.2)

    def __enter__(self) -> AppProcess:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def update_body(update_id: int, chat_id: int, text: str) -> bytes:
    """A private-chat text ``message`` update as Telegram posts it."""
    return json.dumps({
        "update_id": update_id,
        "message": {
            "message_id": update_id % 100000 + 1,
            "from": {"id": chat_id, "is_bot": False, "first_name": "Dân", "language_code": "vi"},
            "chat": {"id": chat_id, "type": "private", "first_name": "Dân"},
            "date": int(time.time()),
            "text": text,
        },
    }, ensure_ascii=False).encode()


if __name__ == "__main__":
    _serve_fake()
