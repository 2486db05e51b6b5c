"""A fake Telegram Bot API: a real HTTP server (uvicorn in a thread) on 127.0.0.1 and a free port.

It speaks the wire format python-telegram-bot uses (``POST /bot<token>/<method>`` with form-encoded
parameters whose non-string values are JSON strings; answers ``{"ok": true, "result": …}``) and
records every call with its parameters decoded. Tests script it to answer 429 with
``retry_after``, 5xx, any error, slowly, or to be down (502) for a while. Factories at the end
build realistic Update JSON for the webhook.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import threading
import time
from collections import deque
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode

from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.fakes.network import serve_app

__all__ = [
    "BOT_ID",
    "BOT_USERNAME",
    "TOKEN",
    "Call",
    "Failure",
    "FakeTelegramAPI",
    "callback_update",
    "edited_update",
    "media_update",
    "mention_entities",
    "message_update",
    "my_chat_member_update",
]

TOKEN = "7012345678:AAFakeTokenForTests_abcdefghijklmnopq"
BOT_ID = 7012345678
BOT_USERNAME = "troly06_test_bot"

#: Parameters sent as plain strings (everything else is JSON-decoded).
_STRING_PARAMS = frozenset(
    {"text", "caption", "photo", "parse_mode", "callback_query_id", "url", "secret_token", "inline_message_id",
     "name"}
)


class _Refused(Exception):
    """A Bot API method refusing its parameters (a 400 with this description)."""


@dataclass(frozen=True, slots=True)
class Call:
    """One request the fake received (also the failed ones: see ``status``)."""

    method: str
    params: dict[str, Any]
    at: float
    status: int

    @property
    def chat_id(self) -> int | None:
        """The ``chat_id`` parameter as an int, if any."""
        value = self.params.get("chat_id")
        return int(value) if value is not None else None


@dataclass(frozen=True, slots=True)
class Failure:
    """A scripted answer to the next call of a method."""

    status: int
    description: str = ""
    retry_after: int | None = None
    delay_s: float = 0.0


@dataclass(slots=True)
class _State:
    calls: list[Call] = field(default_factory=list)
    scripts: dict[str, deque[Failure | None]] = field(default_factory=dict)
    down: bool = False
    delay_s: float = 0.0
    updates: list[dict[str, Any]] = field(default_factory=list)
    webhook: dict[str, Any] = field(default_factory=dict)
    commands: list[Any] = field(default_factory=list)
    #: Supergroups with topics enabled (createForumTopic works there, and only there).
    forums: set[int] = field(default_factory=set)
    topics: dict[int, str] = field(default_factory=dict)


def _decode(raw: bytes) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for key, value in parse_qsl(raw.decode(), keep_blank_values=True):
        if key in _STRING_PARAMS:
            params[key] = value
            continue
        try:
            params[key] = json.loads(value)
        except json.JSONDecodeError:
            params[key] = value
    return params


async def _decode_multipart(request: Request) -> dict[str, Any]:
    """Form fields as :func:`_decode` reads them; an uploaded file as ``{"filename", "data"}``."""
    params: dict[str, Any] = {}
    async with request.form() as form:
        for key, value in form.multi_items():
            if isinstance(value, str):
                params.update(_decode(urlencode({key: value}).encode()))
            else:
                params[key] = {"filename": value.filename, "data": await value.read()}
    return params


def _error(status: int, description: str, retry_after: int | None = None) -> JSONResponse:
    body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if retry_after is not None:
        body["parameters"] = {"retry_after": retry_after}
    return JSONResponse(body, status_code=status)


class FakeTelegramAPI:
    """The fake server; ``base_url`` is what ``TELEGRAM_API_BASE_URL`` should be."""

    def __init__(self, token: str = TOKEN) -> None:
        self.token = token
        self._lock = threading.Lock()
        self._state = _State()
        self._message_ids = itertools.count(1000)
        self._stack = ExitStack()
        self.port = 0

    # -- lifecycle -------------------------------------------------------------------------------

    def start(self) -> FakeTelegramAPI:
        """Serve on 127.0.0.1 and a free port, in a daemon thread."""
        app = Starlette(routes=[Route("/bot{token}/{method}", self._endpoint, methods=["POST", "GET"])])
        self._stack = ExitStack()
        url = self._stack.enter_context(serve_app(app, name="fake-telegram"))
        self.port = int(url.rsplit(":", 1)[1])
        return self

    def stop(self) -> None:
        """Stop the server thread."""
        self._stack.close()

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>/bot`` (python-telegram-bot appends ``<token>/<method>``)."""
        return f"http://127.0.0.1:{self.port}/bot"

    # -- scripting -------------------------------------------------------------------------------

    def reset(self) -> None:
        """Forget calls, scripts, updates and the down/slow modes."""
        with self._lock:
            self._state = _State()

    def fail_next(self, method: str, *failures: Failure | None) -> None:
        """Answer the next calls of ``method`` with these failures, in order (None: answer normally)."""
        with self._lock:
            self._state.scripts.setdefault(method, deque()).extend(failures)

    def set_down(self, down: bool) -> None:
        """While down, every method answers 502 Bad Gateway."""
        with self._lock:
            self._state.down = down

    def set_delay(self, seconds: float) -> None:
        """Answer every call after ``seconds``."""
        with self._lock:
            self._state.delay_s = seconds

    def push_update(self, update: dict[str, Any]) -> None:
        """Queue an update for getUpdates."""
        with self._lock:
            self._state.updates.append(update)

    @property
    def webhook(self) -> dict[str, Any]:
        """The webhook as last set with setWebhook (empty when deleted)."""
        with self._lock:
            return dict(self._state.webhook)

    @property
    def commands(self) -> list[Any]:
        """The commands registered with setMyCommands."""
        with self._lock:
            return list(self._state.commands)

    # -- inspection ------------------------------------------------------------------------------

    def calls(self, method: str | None = None, *, chat_id: int | None = None, ok_only: bool = True) -> list[Call]:
        """Recorded calls, optionally of one method and/or one chat; answered ones only by default."""
        with self._lock:
            calls = list(self._state.calls)
        return [
            c for c in calls
            if (method is None or c.method == method)
            and (chat_id is None or c.chat_id == chat_id)
            and (not ok_only or c.status == 200)
        ]

    async def wait_for(self, predicate: Callable[[list[Call]], bool], *, timeout: float = 10.0,
                       **filters: Any) -> list[Call]:
        """Wait until ``predicate(calls(**filters))`` holds; returns those calls."""
        deadline = time.monotonic() + timeout
        while True:
            calls = self.calls(**filters)
            if predicate(calls):
                return calls
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for Bot API calls; got {[(c.method, c.status) for c in calls]}")
            await asyncio.sleep(0.02)

    # -- the endpoint ----------------------------------------------------------------------------

    async def _endpoint(self, request: Request) -> JSONResponse:
        method = request.path_params["method"]
        try:
            if request.headers.get("content-type", "").startswith("multipart/form-data"):
                params = await _decode_multipart(request)  # a file upload (sendDocument)
            else:
                params = _decode(await request.body())
        except ClientDisconnect:  # a poller cancelled at shutdown
            return JSONResponse({"ok": False, "error_code": 499, "description": "client gone"}, status_code=499)
        with self._lock:
            state = self._state
            script = state.scripts.get(method)
            failure = script.popleft() if script else None
            down, delay = state.down, state.delay_s
        if failure is not None and failure.delay_s:
            delay = max(delay, failure.delay_s)
        if delay:
            await asyncio.sleep(delay)
        status, response = self._answer(request.path_params["token"], method, params, failure, down)
        if method != "getUpdates" or status != 200:
            self._record(method, params, status)
        if method == "getUpdates" and status == 200:
            return await self._get_updates(params)
        return response

    def _record(self, method: str, params: dict[str, Any], status: int) -> None:
        with self._lock:
            self._state.calls.append(Call(method, params, time.monotonic(), status))

    def _answer(self, token: str, method: str, params: dict[str, Any], failure: Failure | None,
                down: bool) -> tuple[int, JSONResponse]:
        if token != self.token:
            return 401, _error(401, "Unauthorized")
        if down:
            return 502, _error(502, "Bad Gateway")
        if failure is not None:
            description = failure.description or {
                429: f"Too Many Requests: retry after {failure.retry_after}",
                400: "Bad Request: something is wrong",
                403: "Forbidden: bot was blocked by the user",
            }.get(failure.status, "Internal Server Error")
            return failure.status, _error(failure.status, description, failure.retry_after)
        handler = getattr(self, f"_m_{method}", None)
        if handler is None:
            return 404, _error(404, "Not Found")
        try:
            result = handler(params)
        except _Refused as exc:
            return 400, _error(400, f"Bad Request: {exc}")
        return 200, JSONResponse({"ok": True, "result": result})

    def _message(self, params: dict[str, Any], **extra: Any) -> dict[str, Any]:
        chat_id = int(params["chat_id"])
        chat: dict[str, Any] = {"id": chat_id, "type": "private" if chat_id > 0 else "supergroup"}
        if chat_id > 0:
            chat["first_name"] = "Dân"
        else:
            chat["title"] = "Nhóm"
        message: dict[str, Any] = {
            "message_id": int(params.get("message_id") or next(self._message_ids)),
            "date": int(time.time()),
            "chat": chat,
            "from": {"id": BOT_ID, "is_bot": True, "first_name": "Trợ lý 06", "username": BOT_USERNAME},
        }
        thread = params.get("message_thread_id")
        if thread is not None:
            message["message_thread_id"] = int(thread)
            message["is_topic_message"] = True
        reply = params.get("reply_parameters")
        reply_to = reply.get("message_id") if isinstance(reply, dict) else params.get("reply_to_message_id")
        if reply_to is not None:
            message["reply_to_message"] = {"message_id": int(reply_to), "date": int(time.time()), "chat": chat}
        message.update(extra)
        return message

    def make_forum(self, chat_id: int) -> None:
        """Turn topics on in a supergroup (createForumTopic is refused elsewhere, as Telegram does)."""
        with self._lock:
            self._state.forums.add(chat_id)

    def topics(self) -> dict[int, str]:
        """The topics created so far: message_thread_id → name."""
        with self._lock:
            return dict(self._state.topics)

    # Bot API methods (only what the bot uses).

    def _m_createForumTopic(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id, name = int(params["chat_id"]), str(params.get("name", ""))
        if not 1 <= len(name) <= 128:
            raise _Refused("TOPIC_NAME_INVALID")
        with self._lock:
            if chat_id not in self._state.forums:
                raise _Refused("the chat is not a forum")
            thread_id = next(self._message_ids)
            self._state.topics[thread_id] = name
        return {"message_thread_id": thread_id, "name": name, "icon_color": 7322096}

    def _m_getMe(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"id": BOT_ID, "is_bot": True, "first_name": "Trợ lý 06", "username": BOT_USERNAME,
                "can_join_groups": True, "can_read_all_group_messages": False, "supports_inline_queries": False}

    def _m_sendMessage(self, params: dict[str, Any]) -> dict[str, Any]:
        return self._message(params, text=params.get("text", ""))

    def _m_sendPhoto(self, params: dict[str, Any]) -> dict[str, Any]:
        photo = [{"file_id": "AgACfake", "file_unique_id": "AQADfake", "width": 800, "height": 600}]
        extra: dict[str, Any] = {"photo": photo}
        if params.get("caption"):
            extra["caption"] = params["caption"]
        return self._message(params, **extra)

    def _m_sendDocument(self, params: dict[str, Any]) -> dict[str, Any]:
        doc = params.get("document")
        name = doc.get("filename") if isinstance(doc, dict) else None
        extra: dict[str, Any] = {"document": {"file_id": "BQACfake", "file_unique_id": "AgADfake", "file_name": name}}
        if params.get("caption"):
            extra["caption"] = params["caption"]
        return self._message(params, **extra)

    def _m_editMessageText(self, params: dict[str, Any]) -> dict[str, Any]:
        return self._message(params, text=params.get("text", ""), edit_date=int(time.time()))

    def _m_answerCallbackQuery(self, params: dict[str, Any]) -> bool:
        return True

    def _m_setMyCommands(self, params: dict[str, Any]) -> bool:
        with self._lock:
            self._state.commands = list(params.get("commands", []))
        return True

    def _m_setWebhook(self, params: dict[str, Any]) -> bool:
        with self._lock:
            self._state.webhook = {k: v for k, v in params.items()}
            if params.get("drop_pending_updates"):
                self._state.updates.clear()
        return True

    def _m_deleteWebhook(self, params: dict[str, Any]) -> bool:
        with self._lock:
            self._state.webhook = {}
            if params.get("drop_pending_updates"):
                self._state.updates.clear()
        return True

    def _m_getWebhookInfo(self, params: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            hook = dict(self._state.webhook)
            pending = len(self._state.updates)
        info: dict[str, Any] = {"url": hook.get("url", ""), "has_custom_certificate": False,
                                "pending_update_count": pending}
        if hook:
            info["max_connections"] = hook.get("max_connections", 40)
            info["allowed_updates"] = hook.get("allowed_updates", [])
        return info

    def _m_getUpdates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        return []  # answered by _get_updates (long polling)

    async def _get_updates(self, params: dict[str, Any]) -> JSONResponse:
        offset = params.get("offset")
        timeout = float(params.get("timeout") or 0)
        deadline = time.monotonic() + min(timeout, 5.0)
        while True:
            with self._lock:
                if isinstance(offset, int):
                    self._state.updates = [u for u in self._state.updates if u["update_id"] >= offset]
                ready = list(self._state.updates)
                if ready:
                    self._state.calls.append(Call("getUpdates", params, time.monotonic(), 200))
            if ready or time.monotonic() >= deadline:
                return JSONResponse({"ok": True, "result": ready})
            await asyncio.sleep(0.02)


# --- Update factories ----------------------------------------------------------------------------

_update_ids = itertools.count(500_000)
_message_ids = itertools.count(1)


def _user(user_id: int) -> dict[str, Any]:
    return {"id": user_id, "is_bot": False, "first_name": "Lan", "language_code": "vi"}


def _chat(chat_id: int, chat_type: str) -> dict[str, Any]:
    if chat_type == "private":
        return {"id": chat_id, "type": "private", "first_name": "Lan"}
    return {"id": chat_id, "type": chat_type, "title": "Tổ dân phố 5"}


def message_update(
    chat_id: int,
    text: str | None,
    *,
    chat_type: str = "private",
    user_id: int | None = None,
    update_id: int | None = None,
    entities: list[dict[str, Any]] | None = None,
    reply_to_bot: bool = False,
    **extra: Any,
) -> dict[str, Any]:
    """A ``message`` update as Telegram sends it (commands get their bot_command entity)."""
    message: dict[str, Any] = {
        "message_id": next(_message_ids),
        "from": _user(user_id if user_id is not None else abs(chat_id)),
        "chat": _chat(chat_id, chat_type),
        "date": int(time.time()),
    }
    if text is not None:
        message["text"] = text
        if entities is None and text.startswith("/"):
            entities = [{"type": "bot_command", "offset": 0, "length": len(text.split(" ", 1)[0])}]
        if entities:
            message["entities"] = entities
    if reply_to_bot:
        message["reply_to_message"] = {
            "message_id": next(_message_ids),
            "from": {"id": BOT_ID, "is_bot": True, "first_name": "Trợ lý 06", "username": BOT_USERNAME},
            "chat": _chat(chat_id, chat_type),
            "date": int(time.time()) - 60,
            "text": "Bạn cần giúp việc gì?",
        }
    message.update(extra)
    return {"update_id": update_id if update_id is not None else next(_update_ids), "message": message}


def mention_entities(text: str, username: str = BOT_USERNAME) -> list[dict[str, Any]]:
    """The ``mention`` entity of ``@username`` inside ``text`` (UTF-16 offsets)."""
    at = text.index("@" + username)
    offset = len(text[:at].encode("utf-16-le")) // 2
    return [{"type": "mention", "offset": offset, "length": len(username) + 1}]


def media_update(chat_id: int, kind: str, **extra: Any) -> dict[str, Any]:
    """A message carrying a sticker, photo, voice, document or video (no text)."""
    media: dict[str, Any] = {
        "sticker": {"file_id": "CAAC1", "file_unique_id": "AgAD1", "type": "regular", "width": 512,
                    "height": 512, "is_animated": False, "is_video": False, "emoji": "👍"},
        "photo": [{"file_id": "AgAC1", "file_unique_id": "AQAD1", "width": 90, "height": 90}],
        "voice": {"file_id": "AwAC1", "file_unique_id": "AgAD2", "duration": 3, "mime_type": "audio/ogg"},
        "document": {"file_id": "BQAC1", "file_unique_id": "AgAD3", "file_name": "cccd.pdf"},
        "video": {"file_id": "BAAC1", "file_unique_id": "AgAD4", "width": 640, "height": 360, "duration": 5},
    }
    return message_update(chat_id, None, **{kind: media[kind]}, **extra)


def callback_update(chat_id: int, data: str, *, message_id: int = 77, message_text: str | None = "Chọn một mục",
                    chat_type: str = "private", update_id: int | None = None) -> dict[str, Any]:
    """A ``callback_query`` update: a press on an inline button of one of the bot's messages."""
    message: dict[str, Any] = {
        "message_id": message_id,
        "from": {"id": BOT_ID, "is_bot": True, "first_name": "Trợ lý 06", "username": BOT_USERNAME},
        "chat": _chat(chat_id, chat_type),
        "date": int(time.time()) - 5,
    }
    if message_text is not None:
        message["text"] = message_text
    else:
        message["photo"] = [{"file_id": "AgAC9", "file_unique_id": "AQAD9", "width": 90, "height": 90}]
    return {
        "update_id": update_id if update_id is not None else next(_update_ids),
        "callback_query": {
            "id": f"cq{next(_message_ids)}",
            "from": _user(abs(chat_id)),
            "chat_instance": "-123456789",
            "message": message,
            "data": data,
        },
    }


def edited_update(chat_id: int, text: str) -> dict[str, Any]:
    """An ``edited_message`` update."""
    update = message_update(chat_id, text)
    message = update.pop("message")
    message["edit_date"] = int(time.time())
    update["edited_message"] = message
    return update


def my_chat_member_update(chat_id: int, *, status: str = "kicked") -> dict[str, Any]:
    """A ``my_chat_member`` update (the citizen blocked the bot, or it was added to a group)."""
    bot = {"id": BOT_ID, "is_bot": True, "first_name": "Trợ lý 06", "username": BOT_USERNAME}
    return {
        "update_id": next(_update_ids),
        "my_chat_member": {
            "chat": _chat(chat_id, "private" if chat_id > 0 else "group"),
            "from": _user(abs(chat_id)),
            "date": int(time.time()),
            "old_chat_member": {"user": bot, "status": "member"},
            "new_chat_member": {"user": bot, "status": status, "until_date": 0} if status == "kicked"
            else {"user": bot, "status": status},
        },
    }

