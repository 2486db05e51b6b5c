"""Fake Zalo servers over real HTTP on 127.0.0.1 (port 0), plus event factories and a guard.

- :class:`FakeZaloOa` speaks the OA Open API v3 CS endpoint and the OAuth v4 refresh endpoint:
  it checks the ``access_token`` header and the app secret, spends refresh tokens once, records
  every call, and can be scripted to expire tokens, return error codes and answer slowly.
- :class:`FakeZaloBot` speaks the Bot Platform API (``/bot<token>/<method>``).
- :func:`serve` runs either under uvicorn in a thread; :func:`loopback_only` makes any
  connection that leaves the machine fail the test.
- :func:`oa_event` / :func:`sign` / :func:`bot_update` build real-shaped webhook bodies.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import json
import threading
import time
import urllib.parse
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from tests.fakes.network import loopback_guard, serve_app

__all__ = [
    "APP_ID",
    "APP_SECRET",
    "OA_SECRET_KEY",
    "BotCall",
    "FakeZaloBot",
    "FakeZaloOa",
    "OaCall",
    "bot_update",
    "loopback_only",
    "oa_event",
    "serve",
    "sign",
]

APP_ID = "360846524940903967"
APP_SECRET = "app-secret-Zx81kQ"
OA_SECRET_KEY = "oa-secret-key-Pq72Lm"
OA_ID = "388613280878808645"


# --- Running a fake ---------------------------------------------------------------------------


#: Kept under the old name for the Zalo tests.
serve = serve_app


@contextmanager
def loopback_only() -> Iterator[None]:
    """Fail the test if anything in the block tried to reach beyond loopback."""
    with loopback_guard() as refused:
        yield
    if refused:
        pytest.fail(f"non-loopback connections attempted: {refused}")


# --- Webhook bodies ---------------------------------------------------------------------------

_ids = itertools.count(1)


def now_ms() -> int:
    """The current time in epoch milliseconds (Zalo's event timestamps)."""
    return int(time.time() * 1000)


def oa_event(
    event_name: str,
    user_id: str = "2468458835296197922",
    *,
    text: str | None = None,
    msg_id: str | None = None,
    timestamp_ms: int | None = None,
    attachments: list[dict[str, Any]] | None = None,
    app_id: str = APP_ID,
) -> dict[str, Any]:
    """A Zalo OA webhook event shaped like channels.md §4."""
    ts = str(timestamp_ms if timestamp_ms is not None else now_ms())
    base: dict[str, Any] = {
        "app_id": app_id,
        "user_id_by_app": "552177279717587730",
        "event_name": event_name,
        "timestamp": ts,
    }
    if event_name in ("follow", "unfollow"):
        base.update({"oa_id": OA_ID, "follower": {"id": user_id}, "source": "testing"})
        return base
    message: dict[str, Any] = {"msg_id": msg_id or f"{uuid.uuid4().hex[:19]}"}
    if text is not None:
        message["text"] = text
    if attachments is not None:
        message["attachments"] = attachments
    base.update({"sender": {"id": user_id}, "recipient": {"id": OA_ID}, "message": message})
    return base


def sign(body: bytes, *, secret_key: str = OA_SECRET_KEY, prefix: str = "mac=") -> str:
    """The ``X-ZEvent-Signature`` Zalo would send for ``body``."""
    data = json.loads(body)
    digest = hashlib.sha256(
        str(data["app_id"]).encode() + body + str(data["timestamp"]).encode() + secret_key.encode()
    ).hexdigest()
    return prefix + digest


def bot_update(
    event_name: str = "message.text.received",
    *,
    text: str | None = "menu",
    chat_id: str = "6ede9afa66b88fe6d6a9",
    message_id: str | None = None,
    wrapped: bool = False,
    is_bot: bool = False,
) -> dict[str, Any]:
    """A Zalo Bot Platform update shaped like channels.md §4, optionally wrapped in ok/result."""
    message: dict[str, Any] = {
        "message_id": message_id or uuid.uuid4().hex[:20],
        "date": now_ms(),
        "chat": {"id": chat_id, "chat_type": "PRIVATE"},
        "from": {"id": chat_id, "display_name": "Ted", "is_bot": is_bot},
    }
    if text is not None and event_name == "message.text.received":
        message["text"] = text
    if event_name == "message.image.received":
        message["photo_url"] = "https://example.invalid/p.jpg"
    if event_name == "message.sticker.received":
        message["sticker"] = "abc"
    update = {"event_name": event_name, "message": message}
    return {"ok": True, "result": update} if wrapped else update


# --- Fake Zalo OA (+ OAuth) -------------------------------------------------------------------


@dataclass
class OaCall:
    """One call the fake OA API received."""

    path: str
    access_token: str | None
    body: dict[str, Any]
    answer: dict[str, Any]

    @property
    def ok(self) -> bool:
        """True when the fake accepted the message."""
        return self.answer.get("error") == 0

    @property
    def text(self) -> str | None:
        """The text sent, if any."""
        message = self.body.get("message") or {}
        return message.get("text")

    @property
    def image_url(self) -> str | None:
        """The image URL sent in a media template, if any."""
        try:
            return str(self.body["message"]["attachment"]["payload"]["elements"][0]["url"])
        except (KeyError, IndexError, TypeError):
            return None


@dataclass
class FakeZaloOa:
    """State and script of the fake OA API and OAuth server."""

    app_id: str = APP_ID
    app_secret: str = APP_SECRET
    valid_access: set[str] = field(default_factory=set)
    unused_refresh: set[str] = field(default_factory=set)
    calls: list[OaCall] = field(default_factory=list)
    refresh_calls: list[dict[str, str]] = field(default_factory=list)
    #: What the next CS calls get, in order: None = normal, (code, message) = an error answer,
    #: (HTTP status, None) = a bare HTTP error without JSON.
    script: list[tuple[int, str | None] | None] = field(default_factory=list)
    send_delay: float = 0.0
    refresh_delay: float = 0.0
    expires_in: str = "90000"
    _n: itertools.count[int] = field(default_factory=lambda: itertools.count(2))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def issue(self, access: str, refresh: str) -> None:
        """Make ``access`` valid and ``refresh`` spendable once."""
        with self._lock:
            self.valid_access.add(access)
            self.unused_refresh.add(refresh)

    def expire(self, access: str) -> None:
        """Make ``access`` invalid (the API answers -216)."""
        with self._lock:
            self.valid_access.discard(access)

    def fail_next(
        self, code: int, message: str = "scripted error", *, times: int = 1, after: int = 0
    ) -> None:
        """Let ``after`` CS calls through, then answer ``times`` calls with error ``code``."""
        with self._lock:
            self.script.extend([None] * after + [(code, message)] * times)

    def http_error_next(self, status: int, *, after: int = 0) -> None:
        """Let ``after`` CS calls through, then answer one with a bare HTTP ``status``."""
        with self._lock:
            self.script.extend([None] * after + [(status, None)])

    @property
    def sent(self) -> list[OaCall]:
        """Accepted messages, in order."""
        with self._lock:
            return [c for c in self.calls if c.ok]

    def texts_to(self, user_id: str) -> list[str]:
        """Texts accepted for ``user_id``."""
        return [
            c.text for c in self.sent if c.text is not None and c.body["recipient"].get("user_id") == user_id
        ]

    async def _cs(self, request: Request) -> Response:
        if self.send_delay:
            await asyncio.sleep(self.send_delay)
        token = request.headers.get("access_token")
        body = await request.json()
        with self._lock:
            step = self.script.pop(0) if self.script and token in self.valid_access else None
            if step is not None and step[1] is None:
                self.calls.append(OaCall(request.url.path, token, body, {"http": step[0]}))
                return PlainTextResponse("upstream error", status_code=step[0])
            if token not in self.valid_access:
                answer: dict[str, Any] = {"error": -216, "message": "Access token is invalid"}
            elif step is not None:
                answer = {"error": step[0], "message": step[1]}
            elif not isinstance(body.get("recipient"), dict) or not body["recipient"].get("user_id"):
                answer = {"error": -201, "message": "Parameters are invalid"}
            else:
                answer = {
                    "error": 0,
                    "message": "Success",
                    "data": {"message_id": uuid.uuid4().hex, "user_id": body["recipient"]["user_id"]},
                }
            self.calls.append(OaCall(request.url.path, token, body, answer))
        return JSONResponse(answer)

    async def _refresh(self, request: Request) -> JSONResponse:
        # Parsed by hand: Starlette's form parser needs python-multipart, which we do not ship.
        form = urllib.parse.parse_qs((await request.body()).decode(), keep_blank_values=True)
        if self.refresh_delay:
            await asyncio.sleep(self.refresh_delay)
        fields = {k: v[-1] for k, v in form.items()}
        if request.headers.get("content-type", "").split(";")[0] != "application/x-www-form-urlencoded":
            fields = {}
        with self._lock:
            self.refresh_calls.append(fields)
            if request.headers.get("secret_key") != self.app_secret or fields.get("app_id") != self.app_id:
                return JSONResponse({"error": -14002, "error_name": "Invalid app_id or secret_key"})
            if fields.get("grant_type") != "refresh_token":
                return JSONResponse({"error": -14003, "error_name": "Invalid grant_type"})
            token = fields.get("refresh_token", "")
            if token not in self.unused_refresh:
                return JSONResponse(
                    {
                        "error": -14014,
                        "error_name": "Invalid refresh token",
                        "error_description": "refresh token is invalid or already used",
                    }
                )
            self.unused_refresh.discard(token)
            n = next(self._n)
            access, refresh = (
                f"oa-access-{n}-{uuid.uuid4().hex[:6]}",
                f"oa-refresh-{n}-{uuid.uuid4().hex[:6]}",
            )
            self.valid_access.add(access)
            self.unused_refresh.add(refresh)
        return JSONResponse({"access_token": access, "refresh_token": refresh, "expires_in": self.expires_in})

    @property
    def app(self) -> Starlette:
        """The ASGI app (OA API and OAuth on one server: both base URLs point at it)."""
        return Starlette(
            routes=[
                Route("/v3.0/oa/message/cs", self._cs, methods=["POST"]),
                Route("/v4/oa/access_token", self._refresh, methods=["POST"]),
            ]
        )


# --- Fake Zalo Bot Platform -------------------------------------------------------------------


@dataclass
class BotCall:
    """One Bot API call the fake received."""

    method: str
    params: dict[str, Any]
    answer: dict[str, Any]


@dataclass
class FakeZaloBot:
    """State and script of the fake Bot API."""

    token: str = "1234567890:bot-secret-token-AbCdEfGhIj"
    calls: list[BotCall] = field(default_factory=list)
    #: Error answers for the next send calls: (http status, error_code, description, retry_after).
    script: list[tuple[int, int, str, int | None]] = field(default_factory=list)
    delay: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def fail_next(
        self,
        code: int,
        description: str = "scripted error",
        *,
        status: int = 400,
        times: int = 1,
        retry_after: int | None = None,
    ) -> None:
        """Answer the next ``times`` send calls with ``ok: false`` (and ``parameters.retry_after``)."""
        with self._lock:
            self.script.extend([(status, code, description, retry_after)] * times)

    def sent(self, method: str = "sendMessage") -> list[dict[str, Any]]:
        """Parameters of accepted calls of ``method``, in order."""
        with self._lock:
            return [c.params for c in self.calls if c.method == method and c.answer.get("ok")]

    async def _call(self, request: Request) -> JSONResponse:
        if self.delay:
            await asyncio.sleep(self.delay)
        rest = request.path_params["rest"]
        token, _, method = rest.rpartition("/")
        if token != self.token:
            return JSONResponse(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status_code=401
            )
        try:
            params = await request.json()
        except ValueError:
            params = {}
        status = 200
        with self._lock:
            if method == "getMe":
                answer: dict[str, Any] = {
                    "ok": True,
                    "result": {
                        "id": "bot1",
                        "account_name": "troly06",
                        "account_type": "BASIC",
                        "can_join_groups": False,
                    },
                }
            elif method in ("sendMessage", "sendPhoto") and self.script:
                status, code, description, retry_after = self.script.pop(0)
                answer = {"ok": False, "error_code": code, "description": description}
                if retry_after is not None:
                    answer["parameters"] = {"retry_after": retry_after}
            elif method == "sendMessage" and (
                not params.get("chat_id") or not 1 <= len(params.get("text", "")) <= 2000
            ):
                status, answer = 400, {"ok": False, "error_code": 400, "description": "Bad Request: text"}
            elif method in ("sendMessage", "sendPhoto"):
                answer = {"ok": True, "result": {"message_id": uuid.uuid4().hex[:20], "date": now_ms()}}
            else:
                status, answer = 404, {"ok": False, "error_code": 404, "description": "Not Found"}
            self.calls.append(BotCall(method, params, answer))
        return JSONResponse(answer, status_code=status)

    @property
    def app(self) -> Starlette:
        """The ASGI app."""
        return Starlette(routes=[Route("/bot{rest:path}", self._call, methods=["POST"])])
