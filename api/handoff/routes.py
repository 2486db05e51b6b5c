"""Hand-offs over HTTP: the staff API (``/api/v1/admin/handoffs…``), the console's live inbox
(``/admin/handoffs``) and the web chat's fetch of staff replies (``GET /api/v1/chat/messages``).

Staff are console accounts with the admin, editor or member role; viewers may read. Every claim,
reply and close is audited. A claim that loses the race is a 409.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, StringConstraints
from starlette.concurrency import run_in_threadpool

from api.console.security import Forbidden, Principal, Role, audit, client_ip, require, require_page
from api.console.web import render
from api.deps import StoreDep
from api.errors import Conflict, NotFound, error_responses
from api.handoff import repo, staff
from api.handoff.repo import HandoffView
from api.handoff.scope import Scope, scope_for
from api.handoff.shell import HandoffShell
from api.inbound import BoundedJsonRoute
from api.live_content import ContentRuntime
from api.store import Store, Unit
from api.store.offload import in_unit
from bot.core import handoff as words
from bot.core.ui_texts import UiTexts

__all__ = [
    "HANDLERS",
    "WATCHERS",
    "Env",
    "Escalator",
    "ReplyIn",
    "admin",
    "pages",
    "public",
]

log = logging.getLogger(__name__)

#: Who answers citizens, and who may watch the inbox.
HANDLERS = (Role.ADMIN, Role.EDITOR, Role.MEMBER)
WATCHERS = (*HANDLERS, Role.VIEWER)

admin = APIRouter(prefix="/api/v1/admin/handoffs", tags=["admin"], route_class=BoundedJsonRoute)
public = APIRouter(prefix="/api/v1/chat", tags=["chat"])
pages = APIRouter(prefix="/admin/handoffs", include_in_schema=False)

Handler = Annotated[Principal, Depends(require(*HANDLERS))]
Watcher = Annotated[Principal, Depends(require(*WATCHERS))]
PageHandler = Annotated[Principal, Depends(require_page(*HANDLERS))]
PageWatcher = Annotated[Principal, Depends(require_page(*WATCHERS))]
Status = Literal["open", "escalated", "claimed", "closed", "waiting", "active", "all"]
_STATUSES: dict[str, tuple[str, ...]] = {"waiting": ("open", "escalated"), "active": repo.ACTIVE, "all": ()}
_SHELL = HandoffShell()


class ReplyIn(BaseModel):
    """A staff reply to the citizen."""

    model_config = ConfigDict(strict=True, extra="forbid")

    text: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def texts_of(content: ContentRuntime | None, unit: Unit) -> UiTexts:
    """The live UI texts in ``unit``'s transaction (the shipped defaults without a content runtime)."""
    return content.snapshot(unit).texts if content is not None else UiTexts()


@dataclass(frozen=True, slots=True)
class Env:
    """What staff actions need from the app: its hand-off shell (staff group included) and live content."""

    shell: HandoffShell
    content: ContentRuntime | None

    @classmethod
    def of(cls, app: Any) -> Env:
        """The app's (a bare shell and the default texts before start-up)."""
        conversation = getattr(app.state, "conversation", None)
        shell = getattr(conversation, "handoff", None)
        return cls(shell if isinstance(shell, HandoffShell) else _SHELL, getattr(app.state, "content", None))


def _get(unit: Unit, handoff_id: int, who: Principal | Scope) -> HandoffView:
    """The hand-off, if the account may see it (another unit's is a 404, as if it did not exist)."""
    view = repo.get(unit, handoff_id)
    scope = who if isinstance(who, Scope) else scope_for(unit, who)
    if view is None or not scope.allows(view.unit_id):
        raise NotFound(f"no hand-off {handoff_id}")
    return view


_UNLINKED = ("this member account is not tied to a unit, so it sees no hand-off; "
             "an admin links it to a member on the team page")


def _detail(unit: Unit, view: HandoffView) -> dict[str, Any]:
    before = repo.history(unit, user_id=view.user_id, until=view.created_at)
    return {**view.as_dict(), "history": [line.as_dict() for line in before],
            "messages": [line.as_dict() for line in repo.lines(unit, view.id)]}


def _claim(unit: Unit, handoff_id: int, who: Principal, ip: str, now: dt.datetime,
           env: Env) -> dict[str, Any]:
    view = _get(unit, handoff_id, who)
    if not repo.claim(unit, handoff_id=handoff_id, staff=who.username, now=now):
        raise Conflict(f"hand-off {handoff_id} is {view.status}"
                       + (f" by {view.claimed_by}" if view.claimed_by else ""))
    texts = texts_of(env.content, unit)
    env.shell.tell(unit, view, author="system", text=words.claimed_note(texts, unit=view.unit_name), texts=texts,
                   now=now)
    audit(unit, who=who, action="handoff.claim", target=str(handoff_id), ip=ip, now=now)
    return _get(unit, handoff_id, who).as_dict()


def _reply(unit: Unit, handoff_id: int, text: str, who: Principal, ip: str, now: dt.datetime,
           env: Env, *, mirror: bool = True) -> dict[str, Any]:
    view = _get(unit, handoff_id, who)
    if view.status != "claimed" or view.claimed_by != who.username:
        raise Conflict(f"claim hand-off {handoff_id} first (it is {view.status})")
    line_id = env.shell.tell(unit, view, author="staff", text=text, staff=who.username,
                             texts=texts_of(env.content, unit), now=now, mirror=mirror)
    audit(unit, who=who, action="handoff.reply", target=str(handoff_id), ip=ip, now=now)
    return {"id": line_id, "handoff_id": handoff_id}


def _close(unit: Unit, handoff_id: int, who: Principal, ip: str, now: dt.datetime,
           env: Env) -> dict[str, Any]:
    view = _get(unit, handoff_id, who)
    if view.status == "claimed" and view.claimed_by != who.username and who.role is not Role.ADMIN:
        raise Conflict(f"hand-off {handoff_id} is held by {view.claimed_by}")
    if not repo.close(unit, handoff_id=handoff_id, staff=who.username, now=now):
        raise Conflict(f"hand-off {handoff_id} is already closed")
    texts = texts_of(env.content, unit)
    env.shell.tell(unit, view, author="system", text=words.closed_note(texts), texts=texts, now=now)
    audit(unit, who=who, action="handoff.close", target=str(handoff_id), ip=ip, now=now)
    return _get(unit, handoff_id, who).as_dict()


# -- API -------------------------------------------------------------------------------------------


@admin.get("", responses=error_responses(401, 403, 422))
async def list_api(store: StoreDep, who: Watcher, status: Status = "active",
                   unit_id: Annotated[int | None, Query(ge=1)] = None) -> Any:
    """Hand-offs by ``status`` (open, escalated, claimed, closed; waiting = open or escalated; active;
    all) and unit, oldest first: those of the account's unit and below (admins, editors and viewers
    see all; a member account not tied to a unit gets 403)."""
    statuses = _STATUSES.get(status, (status,))

    def work(unit: Unit) -> list[HandoffView]:
        scope = scope_for(unit, who)
        if scope.nothing:
            raise Forbidden(_UNLINKED)
        return repo.list_handoffs(unit, statuses=statuses, unit_id=unit_id, scope=scope)

    views = await in_unit(store, work, readonly=True)
    return {"handoffs": [v.as_dict() for v in views]}


@admin.get("/{handoff_id}", responses=error_responses(401, 403, 404))
async def get_api(handoff_id: int, store: StoreDep, who: Watcher) -> Any:
    """One hand-off with the conversation before it (masked message log) and its lines (404 for
    another unit's)."""
    return await in_unit(store, lambda u: _detail(u, _get(u, handoff_id, who)), readonly=True)


@admin.post("/{handoff_id}/claim", responses=error_responses(401, 403, 404, 409))
async def claim_api(handoff_id: int, request: Request, store: StoreDep, who: Handler) -> Any:
    """Take the hand-off (exactly one claim wins); the citizen is told a person is there."""
    ip = client_ip(request)
    return await in_unit(store, lambda u: _claim(u, handoff_id, who, ip, _utcnow(), Env.of(request.app)))


@admin.post("/{handoff_id}/messages", status_code=201, responses=error_responses(400, 401, 403, 404, 409, 422))
async def message_api(handoff_id: int, body: ReplyIn, request: Request, store: StoreDep, who: Handler) -> Any:
    """Reply to the citizen in their own chat (only the staff member holding the hand-off)."""
    ip = client_ip(request)
    return await in_unit(store, lambda u: _reply(u, handoff_id, body.text, who, ip, _utcnow(), Env.of(request.app)))


@admin.post("/{handoff_id}/close", responses=error_responses(401, 403, 404, 409))
async def close_api(handoff_id: int, request: Request, store: StoreDep, who: Handler) -> Any:
    """Close the hand-off; the bot answers the citizen again."""
    ip = client_ip(request)
    return await in_unit(store, lambda u: _close(u, handoff_id, who, ip, _utcnow(), Env.of(request.app)))


def _content(request: Request) -> ContentRuntime | None:
    content: ContentRuntime | None = getattr(request.app.state, "content", None)
    return content


UserId = Annotated[str, StringConstraints(min_length=1, max_length=128, strip_whitespace=True)]


@public.get("/messages", responses=error_responses(422))
async def chat_messages(request: Request, store: StoreDep, user_id: UserId,
                        after: Annotated[int, Query(ge=0, le=2**62)] = 0) -> Any:
    """Staff replies and notices for a web chat user after message id ``after`` (the page polls this
    while ``active`` is true, and after the chat answer carried ``X-Handoff``)."""
    content = _content(request)

    def read(unit: Unit) -> dict[str, Any]:
        uid = unit.find_user(channel="web", external_id=user_id)
        if uid is None:
            return {"messages": [], "active": False}
        found = repo.web_lines(unit, user_id=uid, after=after)
        texts = texts_of(content, unit)
        shown = [{"id": m.id, "text": words.staff_line(texts, m.text) if m.author == "staff" else m.text,
                  "author": m.author, "at": m.at.isoformat()} for m in found]
        return {"messages": shown, "active": repo.active_for_user(unit, uid) is not None}

    return await in_unit(store, read, readonly=True)


# -- pages -----------------------------------------------------------------------------------------


def _page(request: Request, store: Store, who: Principal, *, selected: int | None, status: str,
          error: str = "", status_code: int = 200, link_code: str = "") -> HTMLResponse:
    with store.unit(readonly=True) as unit:
        scope = scope_for(unit, who)
        views = repo.list_handoffs(unit, statuses=_STATUSES.get(status, (status,)), scope=scope)
        detail = None
        if selected is not None:
            view = repo.get(unit, selected)
            detail = _detail(unit, view) if view is not None and scope.allows(view.unit_id) else None
            if detail is None and not error:
                error, status_code = "Không có cuộc trò chuyện này trong đơn vị của bạn.", 404
        home = repo.unit_name(unit, scope.home) if scope.home is not None else None
        linked = staff.telegram_of(unit, who.account_id) is not None
    return render(request, "handoffs.html", who=who, handoffs=[v.as_dict() for v in views], detail=detail,
                  status=status, error=error, can_act=who.can(HANDLERS), me=who.username,
                  unlinked=scope.nothing, home=home, status_code=status_code, link_code=link_code,
                  telegram_linked=linked, staff_group=request.app.state.settings.handoff_telegram_chat_id is not None,
                  link_minutes=int(staff.LINK_CODE_TTL.total_seconds() // 60))


@pages.get("", response_class=HTMLResponse)
async def inbox_page(request: Request, store: StoreDep, who: PageWatcher,
                     id: Annotated[int | None, Query(ge=1)] = None,
                     status: Status = "active") -> HTMLResponse:
    """The live inbox: waiting and held hand-offs; ``id`` opens one conversation."""
    return await run_in_threadpool(_page, request, store, who, selected=id, status=status)


async def _act(request: Request, store: Store, who: Principal, handoff_id: int,
               work: Callable[[Unit], Any]) -> Response:
    try:
        await in_unit(store, work)
    except (NotFound, Conflict) as exc:
        return await run_in_threadpool(_page, request, store, who, selected=handoff_id, status="active",
                                       error=exc.message, status_code=exc.status)
    return RedirectResponse(f"/admin/handoffs?id={handoff_id}", status_code=303)


@pages.post("/telegram-link", response_class=HTMLResponse)
async def telegram_link_page(request: Request, store: StoreDep, who: PageHandler) -> HTMLResponse:
    """A one-time code to link the account's Telegram user in the staff group (``/lienket CODE``)."""
    ip, now = client_ip(request), _utcnow()

    def work(unit: Unit) -> str:
        code = staff.make_link_code(unit, account_id=who.account_id, now=now)
        audit(unit, who=who, action="handoff.telegram_code", target=who.username, ip=ip, now=now)
        return code

    code = await in_unit(store, work)
    return await run_in_threadpool(_page, request, store, who, selected=None, status="active", link_code=code)


@pages.post("/{handoff_id}/claim")
async def claim_page(handoff_id: int, request: Request, store: StoreDep, who: PageHandler) -> Response:
    """Form post of «Nhận»."""
    ip = client_ip(request)
    env = Env.of(request.app)
    return await _act(request, store, who, handoff_id, lambda u: _claim(u, handoff_id, who, ip, _utcnow(), env))


@pages.post("/{handoff_id}/messages")
async def message_page(handoff_id: int, request: Request, store: StoreDep, who: PageHandler,
                       text: Annotated[str, Form(max_length=2000)] = "") -> Response:
    """Form post of «Gửi»."""
    ip = client_ip(request)
    if not text.strip():
        return await run_in_threadpool(_page, request, store, who, selected=handoff_id, status="active",
                                       error="Nội dung trả lời đang trống.", status_code=422)
    return await _act(request, store, who, handoff_id,
                      lambda u: _reply(u, handoff_id, text.strip(), who, ip, _utcnow(), Env.of(request.app)))


@pages.post("/{handoff_id}/close")
async def close_page(handoff_id: int, request: Request, store: StoreDep, who: PageHandler) -> Response:
    """Form post of «Kết thúc»."""
    ip = client_ip(request)
    env = Env.of(request.app)
    return await _act(request, store, who, handoff_id, lambda u: _close(u, handoff_id, who, ip, _utcnow(), env))


class Escalator:
    """The lifespan task that escalates hand-offs not picked up in time (every ``interval_s``)."""

    def __init__(self, store: Store, *, interval_s: float = 60.0,
                 clock: Callable[[], dt.datetime] = _utcnow, content: ContentRuntime | None = None,
                 shell: HandoffShell | None = None) -> None:
        self.store = store
        self.content = content
        self.shell = shell if shell is not None else _SHELL
        self.interval_s = interval_s
        self.clock = clock
        self._task: asyncio.Task[None] | None = None

    def run_once(self) -> int:
        """One check (blocking); how many were escalated."""
        with self.store.unit() as unit:
            return self.shell.escalate_due(unit, texts=texts_of(self.content, unit), now=self.clock())

    def start(self) -> None:
        """Start the loop."""
        self._task = asyncio.create_task(self._loop())

    async def stop(self) -> None:
        """Stop the loop."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self.interval_s * random.uniform(0.8, 1.2))
            try:
                await run_in_threadpool(self.run_once)
            except Exception:
                log.exception("handoff: the escalation check failed; retrying next round")
