"""The content editor's pages: lists, edit forms with a live preview, versions, «Cần xem lại».

Forms post back to the page they came from; a problem is shown next to its field and nothing is
saved; a stale version (someone saved meanwhile) shows both versions side by side and keeps
what was typed. Saving goes through the same code as the REST API (:func:`save_item`).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Annotated, Any

import anyio.to_thread
from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlmodel import col, func, select
from starlette.datastructures import FormData

from api.console.content_api import entry_out, read_item, save_item, versions_of
from api.console.editing import (
    ANSWER_SOFT_MAX,
    EXPIRY_DAYS,
    KINDS,
    REVIEW_MONTHS,
    KindSpec,
    diff_text,
    matches,
    preview_faq,
    preview_service,
    review_state,
    summary,
)
from api.console.security import EDITORS, READERS, Principal, client_ip, require_page
from api.console.web import render
from api.content import InvalidContent, VersionConflict
from api.live_content import ContentRuntime
from api.store import ContentRowView, Store
from api.store.models import Unanswered
from bot.core.ui_texts import DEFAULTS, TEXT_LABELS
from faq.schema import FaqEntry
from flows.facets import facet_labels
from flows.schema import Service

__all__ = ["router"]

router = APIRouter(prefix="/admin", include_in_schema=False)

Reader = Annotated[Principal, Depends(require_page(*READERS))]
Writer = Annotated[Principal, Depends(require_page(*EDITORS))]
ItemId = Annotated[str, Path(min_length=1, max_length=64)]

_SPLIT = re.compile(r"[,\s]+")
_CHANNELS = (("portal", "Cổng Dịch vụ công"), ("vneid", "Ứng dụng VNeID"), ("commune", "Tại xã, phường"))


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


# -- form values <-> items ------------------------------------------------------------------------


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _words(text: str) -> list[str]:
    return [w for w in _SPLIT.split(text) if w]


def _field(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


def _optional(text: str) -> str | None:
    return text.strip() or None


def _faq_values(data: Mapping[str, Any]) -> dict[str, str]:
    """An FAQ entry as the form's fields (phrasings one per line, tags and related as a list)."""
    return {
        "id": str(data.get("id", "")),
        "kind": str(data.get("kind", "faq")),
        "title": str(data.get("title", "")),
        "questions": "\n".join(data.get("questions", ())),
        "answer": str(data.get("answer", "")),
        "tags": ", ".join(data.get("tags", ())),
        "related": ", ".join(data.get("related", ())),
        "flow": str(data.get("flow") or ""),
        "source": str(data.get("source", "")),
        "reviewed": str(data.get("reviewed") or ""),
        "valid_from": str(data.get("valid_from") or ""),
        "valid_until": str(data.get("valid_until") or ""),
        "uncertain": "on" if data.get("uncertain") else "",
        "status": str(data.get("status", "published")),
    }


_FAQ_FIELDS = tuple(_faq_values({}))


def _faq_data(values: Mapping[str, str]) -> dict[str, Any]:
    """The form's fields as an FAQ entry for the schema to check."""
    return {
        "id": values["id"].strip(),
        "kind": values["kind"] or "faq",
        "title": values["title"],
        "questions": _lines(values["questions"]),
        "answer": values["answer"],
        "tags": _words(values["tags"]),
        "related": _words(values["related"]),
        "flow": _optional(values["flow"]),
        "source": values["source"],
        "reviewed": values["reviewed"].strip() or None,
        "valid_from": _optional(values["valid_from"]),
        "valid_until": _optional(values["valid_until"]),
        "uncertain": values["uncertain"] == "on",
        "status": values["status"] or "published",
    }


def _service_values(data: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "id": str(data.get("id", "")),
        "title": str(data.get("title", "")),
        "name": str(data.get("name", "")),
        "summary": str(data.get("summary", "")),
        "body": str(data.get("body", "")),
        "sector": str(data.get("sector", "")),
        "channels": list(data.get("channels", ())),
        "where_note": str(data.get("where_note") or ""),
        "prepare": "\n".join(data.get("prepare", ())),
        "keywords": "\n".join(data.get("keywords", ())),
        "source": str(data.get("source", "")),
        "reviewed": str(data.get("reviewed") or ""),
        "uncertain": "on" if data.get("uncertain") else "",
    }


def _service_form(form: FormData) -> dict[str, Any]:
    values: dict[str, Any] = {k: _field(form, k) for k in _service_values({}) if k != "channels"}
    values["channels"] = [c for c in form.getlist("channels") if isinstance(c, str)]
    return values


def _service_data(values: Mapping[str, Any], current: Mapping[str, Any]) -> dict[str, Any]:
    return {
        **current,
        "title": values["title"],
        "name": values["name"],
        "summary": values["summary"],
        "body": values["body"],
        "sector": values["sector"].strip(),
        "channels": values["channels"],
        "where_note": _optional(values["where_note"]),
        "prepare": _lines(values["prepare"]),
        "keywords": _lines(values["keywords"]),
        "source": values["source"],
        "reviewed": values["reviewed"].strip() or None,
        "uncertain": values["uncertain"] == "on",
    }


def _flow_values(data: Mapping[str, Any]) -> dict[str, Any]:
    """A flow as the form shows it: its texts, each step's text, ``next`` and buttons."""
    return {
        "id": str(data.get("id", "")),
        "title": str(data.get("title", "")),
        "summary": str(data.get("summary", "")),
        "triggers": "\n".join(data.get("triggers", ())),
        "source": str(data.get("source", "")),
        "reviewed": str(data.get("reviewed") or ""),
        "steps": [
            {
                "id": s["id"],
                "text": s.get("text", ""),
                "next": s.get("next") or "",
                "has_next": s.get("next") is not None,
                "choices": [{"label": c.get("label", ""), "goto": c.get("goto") or "",
                             "target": _choice_target(c)} for c in s.get("choices", ())],
            }
            for s in data.get("steps", ())
        ],
    }


def _choice_target(choice: Mapping[str, Any]) -> str:
    for key, label in (("faq", "hỏi đáp"), ("flow", "hướng dẫn"), ("service", "dịch vụ")):
        if choice.get(key):
            return f"{label} {choice[key]}"
    return ""


def _flow_form(form: FormData, current: Mapping[str, Any]) -> dict[str, Any]:
    values = _flow_values(current)
    for key in ("title", "summary", "triggers", "source", "reviewed"):
        values[key] = _field(form, key)
    for step in values["steps"]:
        step["text"] = _field(form, f"step.{step['id']}.text")
        if step["has_next"]:
            step["next"] = _field(form, f"step.{step['id']}.next")
        for j, choice in enumerate(step["choices"]):
            choice["label"] = _field(form, f"step.{step['id']}.choice.{j}.label")
            if choice["goto"]:
                choice["goto"] = _field(form, f"step.{step['id']}.choice.{j}.goto")
    return values


def _flow_data(values: Mapping[str, Any], current: Mapping[str, Any]) -> dict[str, Any]:
    steps = []
    for old, new in zip(current.get("steps", ()), values["steps"], strict=True):
        step = {**old, "text": new["text"]}
        if new["has_next"]:
            step["next"] = new["next"].strip() or None
        step["choices"] = [
            {**c, "label": n["label"], **({"goto": n["goto"].strip()} if c.get("goto") else {})}
            for c, n in zip(old.get("choices", ()), new["choices"], strict=True)
        ]
        steps.append(step)
    return {**current, "title": values["title"], "summary": values["summary"],
            "triggers": _lines(values["triggers"]), "source": values["source"],
            "reviewed": values["reviewed"].strip() or None, "steps": steps}


# -- errors next to the fields -------------------------------------------------------------------


def _field_errors(spec: KindSpec, errors: list[tuple[str, str]], data: Mapping[str, Any]) -> dict[str, list[str]]:
    """Problems keyed by form field (``answer``, ``questions``, ``step.<id>``)."""
    out: dict[str, list[str]] = {}
    steps = [s.get("id") for s in data.get("steps", ())] if spec.kind == "flow" else []
    for path, message in errors:
        parts = path.split(".")
        key = parts[0]
        if spec.kind == "flow" and key == "steps" and len(parts) > 1:
            step = parts[1]
            if step.isdigit() and int(step) < len(steps):
                step = str(steps[int(step)])
            key = f"step.{step}"
        elif key == "entry" and "valid_from" in message:
            key = "valid_until"
        elif key == "entry":
            key = "form"
        out.setdefault(key, []).append(message)
    return out


# -- lists -----------------------------------------------------------------------------------------


def _list_page(spec: KindSpec) -> None:
    async def page(request: Request, who: Reader, q: str = "", tag: str = "", review: str = "",
                   status: str = "", sector: str = "") -> HTMLResponse:
        store = _store(request)
        q, tag, sector = q[:200], tag[:64], sector[:64]
        today = _utcnow().date()

        def work() -> tuple[list[dict[str, Any]], list[str], list[str]]:
            with store.unit(readonly=True) as unit:
                rows = unit.content_rows(kind=spec.kind)
            if spec.kind == "text":
                by_id = {r.id: r for r in rows}
                pairs: list[tuple[ContentRowView | None, Mapping[str, Any]]] = [
                    (by_id.get(i), by_id[i].data if i in by_id else {"id": i, "text": DEFAULTS[i]}) for i in DEFAULTS
                ]
            else:
                pairs = [(r, r.data) for r in rows]
            tags = sorted({t for _, d in pairs for t in d.get("tags", ())})
            sectors = sorted({str(d["sector"]) for _, d in pairs if d.get("sector")})
            items = []
            for row, data in pairs:
                if not matches(spec, data, q) or (tag and tag not in data.get("tags", ())):
                    continue
                if sector and data.get("sector") != sector:
                    continue
                line = summary(spec, row, ident=str(data["id"]), today=today)
                if (review and line["review"] != review) or (status and line["status"] != status):
                    continue
                if spec.kind == "text":
                    line["text"] = data.get("text", "")
                items.append(line)
            return items, tags, sectors

        items, tags, sectors = await anyio.to_thread.run_sync(work)
        return render(request, "content_list.html", who=who, spec=spec, items=items, tags=tags, sectors=sectors,
                      q=q, tag=tag, review=review, status=status, sector=sector)

    router.add_api_route(f"/{spec.slug}", page, methods=["GET"], response_class=HTMLResponse)


# -- edit pages ------------------------------------------------------------------------------------


def _values_of(spec: KindSpec, data: Mapping[str, Any]) -> dict[str, Any]:
    if spec.kind == "faq":
        return dict(_faq_values(data))
    if spec.kind == "service":
        return _service_values(data)
    if spec.kind == "flow":
        return _flow_values(data)
    return {"id": data.get("id", ""), "text": data.get("text", "")}


def _edit_response(request: Request, who: Principal, spec: KindSpec, ident: str, *, values: Mapping[str, Any],
                   version: int, row: ContentRowView | None, errors: Mapping[str, list[str]] | None = None,
                   conflict: Mapping[str, Any] | None = None, saved: bool = False, new: bool = False,
                   status_code: int = 200) -> HTMLResponse:
    template = {"faq": "faq_edit.html", "service": "service_edit.html", "flow": "flow_edit.html",
                "text": "text_edit.html"}[spec.kind]
    return render(request, template, who=who, spec=spec, ident=ident, values=values, version=version, row=row,
                  errors=errors or {}, conflict=conflict, saved=saved, new=new, channels=_CHANNELS,
                  can_edit=who.role.value in ("admin", "editor"), soft_max=ANSWER_SOFT_MAX,
                  label=TEXT_LABELS.get(ident, ""), default=DEFAULTS.get(ident, ""), facet_labels=facet_labels,
                  status_code=status_code)


def _edit_pages(spec: KindSpec) -> None:
    async def edit_form(request: Request, who: Reader, id: ItemId, saved: int = 0) -> HTMLResponse:
        row = await anyio.to_thread.run_sync(read_item, _store(request), spec, id)
        data = entry_out(spec, row, id)
        return _edit_response(request, who, spec, id, values=_values_of(spec, data), version=data["version"],
                              row=row, saved=bool(saved))

    router.add_api_route(f"/{spec.slug}/{{id}}", edit_form, methods=["GET"], response_class=HTMLResponse)

    async def save(request: Request, who: Writer, id: ItemId) -> Response:
        store = _store(request)
        form = await request.form()
        current_row = await anyio.to_thread.run_sync(read_item, store, spec, id)
        current = current_row.data if current_row else {"id": id}
        values: dict[str, Any]
        if spec.kind == "faq":
            values = {k: _field(form, k) for k in _FAQ_FIELDS} | {"id": id}
            data = _faq_data(values)
        elif spec.kind == "service":
            values = _service_form(form) | {"id": id}
            data = _service_data(values, current)
        elif spec.kind == "flow":
            values = _flow_form(form, current)
            data = _flow_data(values, current)
        else:
            values = {"id": id, "text": _field(form, "text")}
            data = {"id": id, "text": values["text"]}
        version_text = _field(form, "version")
        if not version_text.isdigit():
            return _edit_response(request, who, spec, id, values=values, version=0, row=current_row,
                                  errors={"form": ["Thiếu phiên bản: tải lại trang rồi sửa lại."]}, status_code=422)
        ip = client_ip(request)

        def work() -> ContentRowView:
            return save_item(store, spec=spec, ident=id, data=data, base_version=int(version_text), who=who, ip=ip)

        try:
            await anyio.to_thread.run_sync(work)
        except InvalidContent as exc:
            return _edit_response(request, who, spec, id, values=values, version=int(version_text), row=current_row,
                                  errors=_field_errors(spec, exc.errors, data), status_code=422)
        except VersionConflict as exc:
            theirs = exc.current
            conflict = {
                "by": theirs.updated_by if theirs else "",
                "at": theirs.updated_at if theirs else None,
                "version": theirs.version if theirs else 0,
                "theirs": diff_text(None, theirs.data if theirs else None),
                "diff": diff_text(theirs.data if theirs else None, {**current, **data}),
            }
            return _edit_response(request, who, spec, id, values=values, version=theirs.version if theirs else 0,
                                  row=theirs, conflict=conflict, status_code=409)
        return RedirectResponse(f"/admin/{spec.slug}/{id}?saved=1", status_code=303)

    router.add_api_route(f"/{spec.slug}/{{id}}", save, methods=["POST"])

    async def versions_page(request: Request, who: Reader, id: ItemId) -> HTMLResponse:
        store = _store(request)
        row = await anyio.to_thread.run_sync(read_item, store, spec, id)
        versions = await anyio.to_thread.run_sync(versions_of, store, spec, id)
        return render(request, "versions.html", who=who, spec=spec, ident=id, versions=versions,
                      current=row.version if row else 0, can_edit=who.role.value in ("admin", "editor"))

    router.add_api_route(f"/{spec.slug}/{{id}}/versions", versions_page, methods=["GET"],
                         response_class=HTMLResponse)

    async def restore(request: Request, who: Writer, id: ItemId,
                      version: Annotated[int, Path(ge=1, le=2**31)]) -> Response:
        store = _store(request)
        form = await request.form()
        base = _field(form, "version")
        ip = client_ip(request)

        def work() -> ContentRowView:
            return save_item(store, spec=spec, ident=id, data={}, base_version=int(base) if base.isdigit() else -1,
                             who=who, ip=ip, action="restore", restore_from=version)

        try:
            await anyio.to_thread.run_sync(work)
        except (InvalidContent, VersionConflict) as exc:
            versions = await anyio.to_thread.run_sync(versions_of, store, spec, id)
            message = ("; ".join(m for _, m in exc.errors) if isinstance(exc, InvalidContent)
                       else "Có người vừa lưu nội dung này; xem lại danh sách phiên bản rồi khôi phục lại.")
            row = await anyio.to_thread.run_sync(read_item, store, spec, id)
            return render(request, "versions.html", who=who, spec=spec, ident=id, versions=versions,
                          current=row.version if row else 0, can_edit=True, error=message,
                          status_code=409 if isinstance(exc, VersionConflict) else 422)
        return RedirectResponse(f"/admin/{spec.slug}/{id}?saved=1", status_code=303)

    router.add_api_route(f"/{spec.slug}/{{id}}/versions/{{version}}/restore", restore, methods=["POST"])


# -- new FAQ entry, previews ---------------------------------------------------------------------


@router.get("/faq/new", response_class=HTMLResponse)
async def new_faq(request: Request, who: Writer) -> HTMLResponse:
    """An empty FAQ form (saved as a draft unless published)."""
    values = _faq_values({"status": "draft", "reviewed": _utcnow().date().isoformat()})
    return _edit_response(request, who, KINDS["faq"], "", values=values, version=0, row=None, new=True)


@router.post("/faq/new")
async def create_faq(request: Request, who: Writer) -> Response:
    """Create an FAQ entry from the form."""
    form = await request.form()
    values = {k: _field(form, k) for k in _FAQ_FIELDS}
    data = _faq_data(values)
    spec, store, ip = KINDS["faq"], _store(request), client_ip(request)
    ident = data["id"]
    if not ident:
        return _edit_response(request, who, spec, "", values=values, version=0, row=None, new=True,
                              errors={"id": ["Cần một mã (a-z, 0-9, _), ví dụ: quen_passcode."]}, status_code=422)

    def work() -> ContentRowView:
        return save_item(store, spec=spec, ident=ident, data=data, base_version=None, who=who, ip=ip, action="create")

    try:
        await anyio.to_thread.run_sync(work)
    except InvalidContent as exc:
        return _edit_response(request, who, spec, "", values=values, version=0, row=None, new=True,
                              errors=_field_errors(spec, exc.errors, data), status_code=422)
    except VersionConflict:
        return _edit_response(request, who, spec, "", values=values, version=0, row=None, new=True,
                              errors={"id": [f"Mã {ident!r} đã có; chọn mã khác."]}, status_code=409)
    return RedirectResponse(f"/admin/faq/{ident}?saved=1", status_code=303)


def _snapshot(request: Request) -> Any:
    runtime: ContentRuntime = request.app.state.content
    return runtime.current(_store(request))


@router.post("/faq/preview", response_class=HTMLResponse)
async def faq_preview(request: Request, who: Reader) -> HTMLResponse:
    """The chat's replies for the entry being edited (a fragment for the live preview)."""
    form = await request.form()
    values = {k: _field(form, k) for k in _FAQ_FIELDS}
    data = _faq_data(values) | {"id": values["id"].strip() or "preview"}
    try:
        entry = FaqEntry.model_validate(data)
    except ValidationError as exc:
        problems = [f"{'.'.join(str(p) for p in e['loc']) or 'entry'}: {e['msg']}" for e in exc.errors()]
        return render(request, "preview.html", who=who, replies=[], problems=problems,
                      length=len(values["answer"]), soft_max=ANSWER_SOFT_MAX)
    snap = await anyio.to_thread.run_sync(_snapshot, request)
    replies = preview_faq(snap, entry, now=_utcnow())
    return render(request, "preview.html", who=who, replies=replies, problems=[], length=len(entry.answer),
                  total=sum(len(r["text"]) for r in replies[:1]), soft_max=ANSWER_SOFT_MAX, draft=entry.status == "draft")


@router.post("/services/{id}/preview", response_class=HTMLResponse)
async def service_preview(request: Request, who: Reader, id: ItemId) -> HTMLResponse:
    """The chat's service card for the service being edited."""
    store = _store(request)
    form = await request.form()
    row = await anyio.to_thread.run_sync(read_item, store, KINDS["services"], id)
    data = _service_data(_service_form(form), row.data if row else {"id": id})
    try:
        service = Service.model_validate(data)
    except ValidationError as exc:
        problems = [f"{'.'.join(str(p) for p in e['loc']) or 'entry'}: {e['msg']}" for e in exc.errors()]
        return render(request, "preview.html", who=who, replies=[], problems=problems, length=0, soft_max=0)
    snap = await anyio.to_thread.run_sync(_snapshot, request)
    replies = preview_service(snap, service, today=_utcnow().date())
    length = len(replies[0]["text"]) if replies else 0
    return render(request, "preview.html", who=who, replies=replies, problems=[], length=length,
                  soft_max=ANSWER_SOFT_MAX)


# -- «Cần xem lại» --------------------------------------------------------------------------------


@router.get("/review", response_class=HTMLResponse)
async def review(request: Request, who: Reader) -> HTMLResponse:
    """Entries past their review date, expiring or expired, and those most often marked «Chưa đúng»."""
    store = _store(request)
    today = _utcnow().date()

    def work() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        with store.unit(readonly=True) as unit:
            rows = {kind: unit.content_rows(kind=kind) for kind in ("faq", "flow", "service")}
            counted = unit.session.exec(
                select(Unanswered.entry_id, func.count())
                .where(col(Unanswered.reason) == "feedback_no", col(Unanswered.entry_id).is_not(None))
                .group_by(col(Unanswered.entry_id))
                .order_by(func.count().desc(), col(Unanswered.entry_id))
                .limit(20)
            ).all()
        due = []
        slug_of = {s.kind: s.slug for s in KINDS.values()}
        for kind, kind_rows in rows.items():
            for row in kind_rows:
                state = review_state(row.data, today=today)
                if state != "ok":
                    due.append({"slug": slug_of[kind], "kind": KINDS[slug_of[kind]].label, "id": row.id,
                                "title": row.data.get("title", row.id), "state": state,
                                "reviewed": row.data.get("reviewed"), "valid_until": row.data.get("valid_until")})
        order = {"expired": 0, "expiring": 1, "overdue": 2}
        due.sort(key=lambda d: (order[d["state"]], str(d["valid_until"] or d["reviewed"] or "")))
        titles = {r.id: r.data.get("title", r.id) for r in rows["faq"]}
        wrong = [{"id": entry_id, "title": titles.get(str(entry_id), entry_id), "count": count,
                  "exists": entry_id in titles} for entry_id, count in counted]
        return due, wrong

    due, wrong = await anyio.to_thread.run_sync(work)
    return render(request, "review.html", who=who, due=due, wrong=wrong, review_months=REVIEW_MONTHS,
                  expiry_days=EXPIRY_DAYS)


for _spec in KINDS.values():
    _list_page(_spec)
for _spec in KINDS.values():
    _edit_pages(_spec)
