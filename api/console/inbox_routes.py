"""The unanswered inbox over HTTP: ``/api/v1/admin/unanswered…`` and the ``/admin/inbox`` page.

Readers (admin, editor, viewer) see the groups and search entries; editors and admins act. The
page works without JavaScript: each group's entry picker is a plain ``<select>`` filled with the
matcher's suggestions, the entries given for «Chưa đúng», and the results of a GET search form;
``console.js`` turns the search box into a live search of ``/api/v1/admin/unanswered/entries``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Annotated, Any, Literal, TypeVar
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from api.console import inbox
from api.console.inbox import EntryPick, GroupNotFound, InboxRefused, NewEntry
from api.console.security import EDITORS, READERS, Editor, Principal, Reader, client_ip, require_page
from api.console.web import render
from api.deps import SnapshotDep, StoreDep
from api.errors import error_responses
from api.inbound import BoundedJsonRoute
from api.store import Store, Unit
from bot.core.content import ContentSnapshot

__all__ = ["AddPhrasingIn", "CreateEntryIn", "OfftopicIn", "api", "pages"]

# JSON bodies are read by api.inbound (bounded, no NUL or lone surrogate): 400 otherwise.
api = APIRouter(prefix="/api/v1/admin/unanswered", tags=["admin"], route_class=BoundedJsonRoute)
pages = APIRouter(prefix="/admin/inbox", include_in_schema=False)

T = TypeVar("T")

Text = Annotated[str, Field(max_length=2000)]
Questions = Annotated[list[Annotated[str, Field(max_length=2000)]], Field(max_length=50)]


class AddPhrasingIn(BaseModel):
    """Add the group's question (or the chosen ``questions`` of the group) to an FAQ entry."""

    model_config = ConfigDict(strict=True, extra="forbid")

    entry_id: Annotated[str, Field(min_length=1, max_length=64)]
    questions: Questions | None = None


class CreateEntryIn(BaseModel):
    """A new FAQ entry made from the group (``id`` is made from the title when not given)."""

    model_config = ConfigDict(strict=True, extra="forbid")

    id: Annotated[str, Field(max_length=64)] = ""
    title: Text
    answer: Text
    source: Text
    reviewed: Annotated[str, Field(max_length=32)]
    questions: Questions | None = None


class OfftopicIn(BaseModel):
    """An off-topic entry to add the group to (``entry_id``), or the fields of a new one."""

    model_config = ConfigDict(strict=True, extra="forbid")

    entry_id: Annotated[str, Field(max_length=64)] | None = None
    id: Annotated[str, Field(max_length=64)] = ""
    title: Text | None = None
    answer: Text | None = None
    source: Text | None = None
    reviewed: Annotated[str, Field(max_length=32)] | None = None
    questions: Questions | None = None


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _refused(exc: InboxRefused) -> JSONResponse:
    return JSONResponse({"error": exc.message,
                         "detail": [{"loc": ["body", f], "msg": m, "type": "invalid"} for f, m in exc.errors]},
                        status_code=422)


async def _write(store: Store, work: Callable[[Unit], T]) -> T:
    def run() -> T:
        with store.unit() as unit:
            return work(unit)

    return await run_in_threadpool(run)


def _titles(snapshot: ContentSnapshot) -> dict[str, str]:
    return {e.id: e.title for e in snapshot.faq.values()}


# -- API -------------------------------------------------------------------------------------------


@api.get("", responses=error_responses(401))
async def list_groups(store: StoreDep, snapshot: SnapshotDep, who: Reader) -> Any:
    """Open unanswered questions, grouped by similarity, most asked first."""
    def read() -> list[inbox.Group]:
        with store.unit(readonly=True) as unit:
            return inbox.open_groups(unit)

    groups = await run_in_threadpool(read)
    titles = _titles(snapshot)
    return {"groups": [g.as_dict(titles) for g in groups]}


@api.get("/entries", responses=error_responses(401, 422))
async def entries(snapshot: SnapshotDep, who: Reader,
                  q: Annotated[str, Query(max_length=200)] = "",
                  kind: Literal["faq", "offtopic"] = "faq") -> Any:
    """Entries whose id, title, questions or tags contain every word of ``q`` (diacritics optional)."""
    return {"entries": [p.as_dict() for p in inbox.search_entries(snapshot, q, kind=kind)]}


@api.post("/{group_id}/add-phrasing", responses=error_responses(400, 401, 404, 422))
async def add_phrasing_api(group_id: int, body: AddPhrasingIn, request: Request, store: StoreDep,
                           who: Editor) -> Any:
    """Add the group's question as a phrasing of an FAQ entry (a new version); close the group."""
    ip = client_ip(request)
    try:
        return await _write(store, lambda u: inbox.add_phrasing(
            u, group_id=group_id, entry_id=body.entry_id, questions=body.questions, who=who, ip=ip, now=_utcnow()))
    except InboxRefused as exc:
        return _refused(exc)


@api.post("/{group_id}/create-entry", status_code=201, responses=error_responses(400, 401, 404, 422))
async def create_entry_api(group_id: int, body: CreateEntryIn, request: Request, store: StoreDep,
                           who: Editor) -> Any:
    """A new FAQ entry with the group's question as its first phrasing; close the group."""
    ip = client_ip(request)
    entry = NewEntry(title=body.title, answer=body.answer, source=body.source, reviewed=body.reviewed, id=body.id)
    try:
        return await _write(store, lambda u: inbox.create_entry(
            u, group_id=group_id, entry=entry, questions=body.questions, who=who, ip=ip, now=_utcnow()))
    except InboxRefused as exc:
        return _refused(exc)


def _new_offtopic(body: OfftopicIn) -> NewEntry | None:
    if body.title is None and body.answer is None:
        return None
    return NewEntry(title=body.title or "", answer=body.answer or "", source=body.source or "",
                    reviewed=body.reviewed or "", id=body.id)


@api.post("/{group_id}/offtopic", responses=error_responses(400, 401, 404, 422))
async def offtopic_api(group_id: int, body: OfftopicIn, request: Request, store: StoreDep, who: Editor) -> Any:
    """Add the group's question to an off-topic decline (by id, or a new one); close the group."""
    ip = client_ip(request)
    try:
        return await _write(store, lambda u: inbox.to_offtopic(
            u, group_id=group_id, entry_id=body.entry_id, entry=_new_offtopic(body), questions=body.questions,
            who=who, ip=ip, now=_utcnow()))
    except InboxRefused as exc:
        return _refused(exc)


@api.post("/{group_id}/dismiss", responses=error_responses(400, 401, 404))
async def dismiss_api(group_id: int, request: Request, store: StoreDep, who: Editor) -> Any:
    """Close the group without changing the content."""
    ip = client_ip(request)
    return await _write(store, lambda u: inbox.dismiss(u, group_id=group_id, who=who, ip=ip, now=_utcnow()))


# -- pages -----------------------------------------------------------------------------------------

PageReader = Annotated[Principal, Depends(require_page(*READERS))]
PageEditor = Annotated[Principal, Depends(require_page(*EDITORS))]


def _page(request: Request, store: Store, snapshot: ContentSnapshot, who: Principal, *, group: int | None,
          q: str, done: str = "", entry: str = "", error: str = "", error_group: int | None = None,
          status_code: int = 200) -> HTMLResponse:
    with store.unit(readonly=True) as unit:
        groups = inbox.open_groups(unit)
    today = _utcnow().date()
    titles = _titles(snapshot)
    if error_group is not None and all(g.id != error_group for g in groups):
        error_group = None  # the group is gone: say so at the top
    cards = []
    for g in groups:
        picks: dict[str, EntryPick] = {}
        if group == g.id and q.strip():
            picks.update((p.id, p) for p in inbox.search_entries(snapshot, q))
        for e in g.entries:
            entry_obj = snapshot.faq.get(e)
            if entry_obj is not None and entry_obj.kind == "faq":
                picks.setdefault(e, EntryPick(e, "faq", entry_obj.title))
        picks.update((p.id, p) for p in inbox.suggestions(snapshot, g.representative, today=today) if p.id not in picks)
        cards.append({"group": g.as_dict(titles), "questions": g.questions[:20], "picks": list(picks.values()),
                      "searched": group == g.id and bool(q.strip())})
    offtopic = sorted((EntryPick(e.id, e.kind, e.title) for e in snapshot.faq.values() if e.kind == "offtopic"),
                      key=lambda p: p.title)
    return render(request, "inbox.html", who=who, cards=cards, offtopic=offtopic, q=q, group=group, done=done,
                  entry=entry, error=error, error_group=error_group, today=today.isoformat(),
                  can_act=who.role.value in {r.value for r in EDITORS}, status_code=status_code)


@pages.get("", response_class=HTMLResponse)
async def inbox_page(request: Request, store: StoreDep, snapshot: SnapshotDep, who: PageReader,
                     group: Annotated[int | None, Query()] = None,
                     q: Annotated[str, Query(max_length=200)] = "",
                     done: Annotated[str, Query(max_length=32)] = "",
                     entry: Annotated[str, Query(max_length=64)] = "") -> HTMLResponse:
    """The inbox page (``group`` and ``q``: search entries for that group's picker)."""
    return await run_in_threadpool(_page, request, store, snapshot, who, group=group, q=q, done=done, entry=entry)


async def _page_action(request: Request, store: StoreDep, snapshot: ContentSnapshot, who: Principal, group_id: int,
                       done: str, work: Callable[[Unit], dict[str, Any]]) -> Response:
    try:
        result = await _write(store, work)
    except (InboxRefused, GroupNotFound) as exc:
        message = "; ".join(f"{f}: {m}" for f, m in exc.errors) if isinstance(exc, InboxRefused) else exc.message
        return await run_in_threadpool(_page, request, store, snapshot, who, group=None, q="", error=message,
                                       error_group=group_id, status_code=exc.status)
    query = urlencode({"done": done, "entry": str(result.get("entry_id", ""))})
    return RedirectResponse(f"/admin/inbox?{query}", status_code=303)


FormText = Annotated[str, Form()]


@pages.post("/{group_id}/add-phrasing")
async def add_phrasing_page(group_id: int, request: Request, store: StoreDep, snapshot: SnapshotDep,
                            who: PageEditor, entry_id: FormText = "",
                            questions: Annotated[list[str], Form()] = []) -> Response:  # noqa: B006 - FastAPI copies it
    """Form post of «Thêm vào câu hỏi có sẵn»."""
    ip = client_ip(request)
    return await _page_action(request, store, snapshot, who, group_id, "phrasing", lambda u: inbox.add_phrasing(
        u, group_id=group_id, entry_id=entry_id.strip(), questions=questions, who=who, ip=ip, now=_utcnow()))


@pages.post("/{group_id}/create-entry")
async def create_entry_page(group_id: int, request: Request, store: StoreDep, snapshot: SnapshotDep,
                            who: PageEditor, title: FormText = "", answer: FormText = "", source: FormText = "",
                            reviewed: FormText = "", id: FormText = "",
                            questions: Annotated[list[str], Form()] = []) -> Response:  # noqa: B006
    """Form post of «Tạo câu hỏi mới»."""
    ip = client_ip(request)
    entry = NewEntry(title=title, answer=answer, source=source, reviewed=reviewed, id=id)
    return await _page_action(request, store, snapshot, who, group_id, "created", lambda u: inbox.create_entry(
        u, group_id=group_id, entry=entry, questions=questions, who=who, ip=ip, now=_utcnow()))


@pages.post("/{group_id}/offtopic")
async def offtopic_page(group_id: int, request: Request, store: StoreDep, snapshot: SnapshotDep, who: PageEditor,
                        entry_id: FormText = "", title: FormText = "", answer: FormText = "",
                        source: FormText = "", reviewed: FormText = "") -> Response:
    """Form post of «Ngoài phạm vi»: an existing decline, or a new one when no entry is chosen."""
    ip = client_ip(request)
    new = None if entry_id.strip() else NewEntry(title=title, answer=answer, source=source, reviewed=reviewed)
    return await _page_action(request, store, snapshot, who, group_id, "offtopic", lambda u: inbox.to_offtopic(
        u, group_id=group_id, entry_id=entry_id.strip() or None, entry=new, questions=None, who=who, ip=ip,
        now=_utcnow()))


@pages.post("/{group_id}/dismiss")
async def dismiss_page(group_id: int, request: Request, store: StoreDep, snapshot: SnapshotDep,
                       who: PageEditor) -> Response:
    """Form post of «Bỏ qua»."""
    ip = client_ip(request)
    return await _page_action(request, store, snapshot, who, group_id, "dismissed", lambda u: inbox.dismiss(
        u, group_id=group_id, who=who, ip=ip, now=_utcnow()))
