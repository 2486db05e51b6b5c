"""«Thử hỏi»: ask the bot as a new citizen would, and see why it answered so.

The question runs through :func:`api.conversation.prepare_inbound` (masking) and the real core
(:func:`bot.core.respond.respond`) with a fresh session on the live content snapshot, in a
read-only transaction: nothing is stored (no user, session, message log, events or inbox row).
The candidates come from :meth:`faq.matcher.Matcher.explain`: the five best items by score with
the query terms each matched; the reply's ``match`` is what the decision rules made of them.

    POST /api/v1/admin/try   {"text"} → {"reply": <the chat API's body>, "candidates": [...]}
    GET  /admin/try?q=…      the page: the reply as the chat shows it and the candidates table
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from api.console.security import READERS, Principal, Reader, require_page
from api.console.web import render
from api.conversation import Conversation, TurnResult, prepare_inbound
from api.deps import ConversationDep, SettingsDep
from api.errors import error_responses
from api.inbound import BoundedJsonRoute
from api.routes.chat import ChatOut
from bot.core.respond import respond
from bot.core.types import Session

__all__ = ["CandidateOut", "TryIn", "TryOut", "api", "pages", "try_question"]

# JSON bodies are read by api.inbound (bounded, no NUL or lone surrogate): 400 otherwise.
api = APIRouter(prefix="/api/v1/admin", tags=["admin"], route_class=BoundedJsonRoute)
pages = APIRouter(prefix="/admin", include_in_schema=False)

#: Longest question accepted (the chat cuts at ``MAX_TEXT_CHARS``; an editor's test is short).
MAX_QUESTION = 2000


class TryIn(BaseModel):
    """A question to try."""

    model_config = ConfigDict(strict=True, extra="forbid")

    text: str = Field(min_length=1, max_length=MAX_QUESTION)


class CandidateOut(BaseModel):
    """An item the matcher ranked, with its confidence and the query terms it matched."""

    id: str
    kind: str
    score: float
    terms: list[str]
    title: str | None


class TryOut(BaseModel):
    """The bot's answer (exactly the chat API's body) and the matcher's top candidates."""

    reply: ChatOut
    candidates: list[CandidateOut]


def try_question(conv: Conversation, text: str, *, max_chars: int, now: dt.datetime) -> dict[str, Any]:
    """Answer ``text`` for a fresh user without storing anything; the ``TryOut`` shape."""
    inbound = prepare_inbound(text=text, max_chars=max_chars)
    with conv.store.unit(readonly=True) as unit:
        snapshot = conv.content.snapshot(unit)
    turn = respond(inbound, Session(), snapshot, now)
    reply = TurnResult(turn.replies, turn.match, user_id=0).to_api()
    candidates = []
    for c in snapshot.matcher.explain(inbound.text or "", today=now.date(), k=5):
        kind, _, ident = c.key.partition(":")
        candidates.append({"id": ident, "kind": kind, "score": c.score, "terms": list(c.terms),
                           "title": snapshot.title_of(c.key)})
    return {"reply": reply, "candidates": candidates}


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@api.post("/try", response_model=TryOut, responses=error_responses(400, 401, 413, 422))
async def try_api(body: TryIn, conv: ConversationDep, settings: SettingsDep, who: Reader) -> Any:
    """Ask the bot as a new citizen would; nothing is stored."""
    return await run_in_threadpool(try_question, conv, body.text, max_chars=settings.max_text_chars, now=_utcnow())


@pages.get("/try", response_class=HTMLResponse)
async def try_page(request: Request, conv: ConversationDep, settings: SettingsDep,
                   who: Annotated[Principal, Depends(require_page(*READERS))],
                   q: Annotated[str, Query(max_length=100_000)] = "") -> HTMLResponse:
    """The «Thử hỏi» page: a form, the reply as the chat shows it, the candidates."""
    if len(q) > MAX_QUESTION:
        return render(request, "try.html", who=who, q=q[:MAX_QUESTION], result=None, status_code=422,
                      error=f"Câu hỏi dài quá {MAX_QUESTION} ký tự.")
    result = None
    if q.strip():
        result = await run_in_threadpool(try_question, conv, q, max_chars=settings.max_text_chars, now=_utcnow())
    return render(request, "try.html", who=who, q=q, result=result, error="")
