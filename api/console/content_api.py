"""The content REST API: ``/api/v1/admin/{faq,flows,services,texts}`` — list, read, save, versions, restore.

Readers (admin, editor, viewer) may read; editors (admin, editor) may write. A write carries the
``version`` it started from: a stale one is answered 409 with the current item and who changed
it, nothing is overwritten. An item that does not validate (a flow also against the other
flows) is answered 422 with ``errors: [{"field", "message"}]``. Every write is a new version,
is audited, and moves the content version, so every instance answers from it at its next turn.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Annotated, Any, Literal

import anyio.to_thread
from fastapi import APIRouter, Body, Depends, Path, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, create_model

from api.console.editing import KINDS, KindSpec, ReviewState, diff_text, matches, summary
from api.console.security import EDITORS, READERS, Principal, audit, client_ip, require
from api.content import InvalidContent, VersionConflict, restore_version, save_entry
from api.errors import ErrorOut, FieldError, NotFound, error_responses
from api.inbound import BoundedJsonRoute
from api.store import ContentRowView, Store
from bot.core.ui_texts import DEFAULTS, TEXT_LABELS

__all__ = [
    "META_FIELDS",
    "ConflictOut",
    "FieldProblem",
    "InvalidOut",
    "ItemList",
    "ItemSummary",
    "NotFound",
    "VersionOut",
    "entry_out",
    "read_item",
    "router",
    "save_item",
    "versions_of",
]

# Bodies are read by api.inbound (bounded depth and numbers, no NUL or lone surrogate): 400 otherwise.
router = APIRouter(prefix="/api/v1/admin", tags=["admin content"], route_class=BoundedJsonRoute)

#: Keys of an item as the API shows it that are not part of the content itself.
META_FIELDS = frozenset({"version", "updated_by", "updated_at", "edited", "label", "default"})

_ID = Annotated[str, Path(min_length=1, max_length=64)]


class FieldProblem(BaseModel):
    """One problem of a submitted item: the field (dotted path) and what is wrong."""

    field: str
    message: str


class InvalidOut(BaseModel):
    """422: the item does not validate (``errors``), or the request is not even an object (``detail``,
    as every route answers a malformed request); nothing was saved."""

    error: str
    errors: list[FieldProblem] = []
    detail: list[FieldError] | None = None


class ConflictOut(BaseModel):
    """409: someone saved the item since this version was read; nothing was saved."""

    error: str
    current: dict[str, Any] | None
    changed_by: str | None
    changed_at: dt.datetime | None


class ItemSummary(BaseModel):
    """One line of a list."""

    id: str
    title: str
    status: str
    tags: list[str]
    sector: str | None
    reviewed: str | None
    valid_until: str | None
    review: ReviewState
    version: int
    updated_by: str
    updated_at: dt.datetime | None
    edited: bool


class ItemList(BaseModel):
    """The items that match the filters, in file order."""

    items: list[ItemSummary]
    total: int


class VersionOut(BaseModel):
    """One saved version and what it changed against the one before."""

    version: int
    action: str
    by: str
    at: dt.datetime
    diff: str


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def entry_out(spec: KindSpec, row: ContentRowView | None, ident: str) -> dict[str, Any]:
    """The whole item as GET shows it: its content plus ``version``, ``updated_by/at``, ``edited``."""
    data: dict[str, Any] = dict(row.data) if row is not None else {"id": ident, "text": DEFAULTS[ident]}
    if spec.kind == "faq":
        data.setdefault("status", "published")
    out = {**data, "version": row.version if row else 0, "updated_by": row.updated_by if row else "",
           "updated_at": row.updated_at if row else None, "edited": row.edited if row else False}
    if spec.kind == "text":
        out |= {"label": TEXT_LABELS[ident], "default": DEFAULTS[ident]}
    return out


def read_item(store: Store, spec: KindSpec, ident: str) -> ContentRowView | None:
    """The live row (None for a text still at its default); :class:`NotFound` when there is no such item."""
    with store.unit(readonly=True) as unit:
        row = unit.content_row(kind=spec.kind, id=ident)
    if row is None and not (spec.kind == "text" and ident in DEFAULTS):
        raise NotFound(f"no {spec.kind} with id {ident!r}")
    return row


def save_item(store: Store, *, spec: KindSpec, ident: str, data: Mapping[str, Any], base_version: int | None,
              who: Principal, ip: str, action: str = "edit", restore_from: int | None = None) -> ContentRowView:
    """Save (or restore) one item as a new version and audit it, in one transaction.

    Raises :class:`NotFound`, :class:`~api.content.InvalidContent` or :class:`~api.content.VersionConflict`.
    """
    now = _utcnow()
    with store.unit() as unit:
        current = unit.content_row(kind=spec.kind, id=ident)
        if current is None and action != "create" and not (spec.kind == "text" and ident in DEFAULTS):
            raise NotFound(f"no {spec.kind} with id {ident!r}")
        if spec.kind == "text" and current is None and base_version == 0:
            base_version = None  # the first edit of a text still at its default
        if restore_from is not None:
            if unit.content_version_of(kind=spec.kind, id=ident, version=restore_from) is None:
                raise NotFound(f"{spec.kind}/{ident} has no version {restore_from}")
            saved = restore_version(unit, kind=spec.kind, id=ident, version=restore_from,
                                    base_version=base_version, by=who.username, now=now)
        else:
            saved = save_entry(unit, kind=spec.kind, id=ident, data=data, base_version=base_version,
                               by=who.username, now=now, action=action)
        detail: dict[str, Any] = {"version": saved.version}
        if restore_from is not None:
            detail["restored"] = restore_from
        audit(unit, who=who, action=f"content_{action}", target=f"{spec.kind}/{ident}", detail=detail, ip=ip, now=now)
        return saved


def versions_of(store: Store, spec: KindSpec, ident: str) -> list[dict[str, Any]]:
    """Every version of an item, newest first, each with its diff against the one before."""
    with store.unit(readonly=True) as unit:
        versions = unit.content_versions(kind=spec.kind, id=ident)
    oldest_first = list(reversed(versions))
    out = []
    for i, v in enumerate(oldest_first):
        before = oldest_first[i - 1].data if i else None
        out.append({"version": v.version, "action": v.action, "by": v.by, "at": v.at,
                    "diff": diff_text(before, v.data), "data": v.data})
    return list(reversed(out))


def _invalid(errors: list[tuple[str, str]]) -> JSONResponse:
    body = InvalidOut(error="the item is not valid; nothing was saved",
                      errors=[FieldProblem(field=f, message=m) for f, m in errors])
    return JSONResponse(body.model_dump(exclude_none=True), status_code=422)


def _conflict(spec: KindSpec, exc: VersionConflict, ident: str) -> JSONResponse:
    row = exc.current
    message = (f"{spec.kind}/{ident} was changed by {row.updated_by} (now version {row.version}); reload it"
               if row else f"{spec.kind}/{ident} already exists or was deleted")
    body = ConflictOut(error=message, current=entry_out(spec, row, ident) if row else None,
                       changed_by=row.updated_by if row else None, changed_at=row.updated_at if row else None)
    return JSONResponse(body.model_dump(mode="json"), status_code=409)


def _base_version(body: Mapping[str, Any], *, required: bool) -> int | None:
    version = body.get("version")
    if version is None and not required:
        return None
    if type(version) is not int or version < 0:
        raise InvalidContent([("version", "the version you started from (an integer, as GET returned it) is required")])
    return version


def _content(body: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k not in META_FIELDS}


async def _write(request: Request, spec: KindSpec, ident: str, who: Principal, *, data: Mapping[str, Any],
                 base_version: int | None, action: str, restore_from: int | None = None) -> Any:
    store: Store = request.app.state.store
    ip = client_ip(request)

    def work() -> ContentRowView:
        return save_item(store, spec=spec, ident=ident, data=data, base_version=base_version, who=who, ip=ip,
                         action=action, restore_from=restore_from)

    try:
        saved = await anyio.to_thread.run_sync(work)
    except InvalidContent as exc:
        return _invalid(exc.errors)
    except VersionConflict as exc:
        return _conflict(spec, exc, ident)
    return entry_out(spec, saved, ident)


_OUT_MODELS: dict[str, type[BaseModel]] = {}


def _out_model(spec: KindSpec) -> type[BaseModel]:
    """The schema of the kind plus the version fields (OpenAPI and response validation)."""
    extra: dict[str, Any] = {
        "version": (int, ...),
        "updated_by": (str, ""),
        "updated_at": (dt.datetime | None, None),
        "edited": (bool, False),
    }
    if spec.kind == "text":
        extra |= {"label": (str, ""), "default": (str, "")}
    return create_model(f"{spec.schema.__name__}Out", __base__=spec.schema, **extra)


_READ = require(*READERS)
_WRITE = require(*EDITORS)
_Reader = Annotated[Principal, Depends(_READ)]
_Editor = Annotated[Principal, Depends(_WRITE)]
_Body = Annotated[dict[str, Any], Body(description="The whole item as GET returns it, including `version`.")]
_WRITE_ERRORS: dict[int | str, dict[str, Any]] = {
    **error_responses(400, 401, 413),
    403: {"model": ErrorOut, "description": "The role may not write, or the CSRF token is missing"},
    404: {"model": ErrorOut, "description": "No such item"},
    409: {"model": ConflictOut, "description": "Changed by someone else since `version`; nothing was saved"},
    422: {"model": InvalidOut, "description": "The item does not validate; nothing was saved"},
}


def _register(spec: KindSpec) -> None:
    out_model = _out_model(spec)
    _OUT_MODELS[spec.slug] = out_model
    base = f"/{spec.slug}"

    async def list_items(request: Request, who: _Reader,
                         q: Annotated[str, Query(max_length=200, description="Words to find, with or without diacritics")] = "",
                         tag: Annotated[str | None, Query(max_length=64)] = None,
                         review: Annotated[ReviewState | None, Query()] = None,
                         status: Annotated[Literal["published", "draft"] | None, Query()] = None,
                         sector: Annotated[str | None, Query(max_length=64)] = None) -> Any:
        store: Store = request.app.state.store
        today = _utcnow().date()

        def work() -> list[dict[str, Any]]:
            with store.unit(readonly=True) as unit:
                rows = unit.content_rows(kind=spec.kind)
            out: list[dict[str, Any]] = []
            if spec.kind == "text":
                by_id = {r.id: r for r in rows}
                candidates: list[tuple[ContentRowView | None, dict[str, Any]]] = [
                    (by_id.get(i), by_id[i].data if i in by_id else {"id": i, "text": DEFAULTS[i]}) for i in DEFAULTS
                ]
            else:
                candidates = [(r, r.data) for r in rows]
            for row, data in candidates:
                if not matches(spec, data, q):
                    continue
                if tag and tag not in data.get("tags", ()):
                    continue
                if sector and data.get("sector") != sector:
                    continue
                line = summary(spec, row, ident=str(data["id"]), today=today)
                if (review and line["review"] != review) or (status and line["status"] != status):
                    continue
                out.append(line)
            return out

        items = await anyio.to_thread.run_sync(work)
        return {"items": items, "total": len(items)}

    list_items.__doc__ = f"List {spec.slug} ({spec.label}): search without diacritics, filter."
    router.add_api_route(base, list_items, methods=["GET"], response_model=ItemList, name=f"list_{spec.slug}",
                         responses=error_responses(401, 422), summary=f"List {spec.slug}")

    async def get_item(request: Request, who: _Reader, id: _ID) -> Any:
        store: Store = request.app.state.store
        row = await anyio.to_thread.run_sync(read_item, store, spec, id)
        return entry_out(spec, row, id)

    router.add_api_route(f"{base}/{{id}}", get_item, methods=["GET"], response_model=out_model,
                         name=f"get_{spec.slug}", summary=f"Read one of {spec.slug} with its version",
                         responses={**error_responses(401), 404: {"model": ErrorOut, "description": "No such item"}})

    async def put_item(request: Request, who: _Editor, id: _ID, body: _Body) -> Any:
        try:
            base_version = _base_version(body, required=True)
        except InvalidContent as exc:
            return _invalid(exc.errors)
        return await _write(request, spec, id, who, data=_content(body), base_version=base_version, action="edit")

    router.add_api_route(f"{base}/{{id}}", put_item, methods=["PUT"], response_model=out_model,
                         name=f"put_{spec.slug}", summary=f"Save one of {spec.slug} (optimistic: send `version`)",
                         responses=_WRITE_ERRORS)

    if spec.creatable:
        async def create_item(request: Request, who: _Editor, body: _Body) -> Any:
            ident = body.get("id")
            if not isinstance(ident, str) or not ident.strip() or len(ident) > 64:
                return _invalid([("id", "an id is required (a short text of a-z, 0-9 and _)")])
            return await _write(request, spec, ident.strip(), who, data=_content(body), base_version=None,
                                action="create")

        router.add_api_route(base, create_item, methods=["POST"], response_model=out_model, status_code=201,
                             name=f"create_{spec.slug}", summary=f"Create one of {spec.slug}",
                             responses=_WRITE_ERRORS)

    async def list_versions(request: Request, who: _Reader, id: _ID) -> Any:
        store: Store = request.app.state.store
        await anyio.to_thread.run_sync(read_item, store, spec, id)
        versions = await anyio.to_thread.run_sync(versions_of, store, spec, id)
        return [{k: v for k, v in item.items() if k != "data"} for item in versions]

    router.add_api_route(f"{base}/{{id}}/versions", list_versions, methods=["GET"], response_model=list[VersionOut],
                         name=f"versions_{spec.slug}", summary=f"Versions of one of {spec.slug}, with diffs",
                         responses={**error_responses(401), 404: {"model": ErrorOut, "description": "No such item"}})

    async def restore(request: Request, who: _Editor, id: _ID,
                      version: Annotated[int, Path(ge=1, le=2**31)], body: _Body) -> Any:
        try:
            base_version = _base_version(body, required=True)
        except InvalidContent as exc:
            return _invalid(exc.errors)
        return await _write(request, spec, id, who, data={}, base_version=base_version, action="restore",
                            restore_from=version)

    router.add_api_route(f"{base}/{{id}}/versions/{{version}}/restore", restore, methods=["POST"],
                         response_model=out_model, name=f"restore_{spec.slug}",
                         summary=f"Save an earlier version of one of {spec.slug} again (send the current `version`)",
                         responses=_WRITE_ERRORS)


for _spec in KINDS.values():
    _register(_spec)
