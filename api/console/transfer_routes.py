"""Import and export over HTTP: ``/api/v1/admin/export|import`` and the ``/admin/transfer`` page.

Readers may download; only editors and admins import. The page's dry run keeps the uploaded file
in the database (``kv``, key ``console:import:<random>``) for :data:`PENDING_TTL` so that the
confirm button applies exactly the file that was checked, on whichever instance; the entry is
deleted when applied, and stale ones are removed at every visit of the page or upload (nothing is
written to disk).
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import secrets
from collections.abc import Callable, Coroutine
from typing import Annotated, Any, Final

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from api.console.security import EDITORS, READERS, Editor, Principal, Reader, audit, client_ip, require_page
from api.console.transfer import (
    FORMATS,
    IMPORT_MAX_BYTES,
    BrokenFile,
    Format,
    ImportRefused,
    ImportReport,
    export_bytes,
    export_filename,
    import_content,
    parse_upload,
)
from api.console.web import render
from api.deps import StoreDep
from api.errors import error_responses
from api.store import Store

__all__ = ["PENDING_TTL", "api", "pages"]



class _UploadRoute(APIRoute):
    """A route whose unreadable multipart body is a :class:`BrokenFile` (400 ``{"error"}``), not
    FastAPI's bare ``{"detail"}``."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        """FastAPI's handler, with body-parsing failures mapped."""
        handler = super().get_route_handler()

        async def guarded(request: Request) -> Response:
            try:
                return await handler(request)
            except HTTPException as exc:
                if exc.status_code != 400:
                    raise
                raise BrokenFile(f"the upload cannot be read ({exc.detail})") from None

        return guarded


api = APIRouter(prefix="/api/v1/admin", tags=["admin"], route_class=_UploadRoute)
pages = APIRouter(prefix="/admin/transfer", include_in_schema=False)

#: How long a checked upload waits for its confirmation.
PENDING_TTL: Final = dt.timedelta(minutes=30)
_PENDING: Final = "console:import:"

_MEDIA = {"yaml": "application/zip", "csv": "application/zip",
          "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _download(store: Store, fmt: Format) -> Response:
    data = export_bytes(store, fmt)
    name = export_filename(fmt, _utcnow().date())
    return Response(data, media_type=_MEDIA[fmt], headers={"Content-Disposition": f'attachment; filename="{name}"'})


async def _read_upload(file: UploadFile) -> bytes:
    data = await file.read(IMPORT_MAX_BYTES + 1)
    if len(data) > IMPORT_MAX_BYTES:
        raise BrokenFile(f"the file is larger than {IMPORT_MAX_BYTES // (1024 * 1024)} MB")
    return data


def _run_import(store: Store, data: bytes, fmt: Format, *, filename: str, dry_run: bool, who: Principal,
                ip: str) -> ImportReport:
    parsed = parse_upload(data, fmt, filename=filename)
    now = _utcnow()
    report = import_content(store, parsed, fmt=fmt, dry_run=dry_run, by=who.username, now=now)
    if report.applied:
        with store.unit() as unit:
            audit(unit, who=who, action="content_import", target=fmt, ip=ip, now=now,
                  detail={k: v for k, v in report.counts.items()})
    return report


@api.get("/export", responses={**error_responses(401, 422), 200: {"content": {_MEDIA["xlsx"]: {}, "application/zip": {}},
                                                                    "description": "The content file"}})
async def export_api(store: StoreDep, who: Reader, format: Format = "yaml") -> Response:
    """Download the live content: ``yaml`` (zip in the repository's layout), ``csv`` (zip), ``xlsx``."""
    return await run_in_threadpool(_download, store, format)


@api.post("/import", responses=error_responses(400, 401, 413, 422))
async def import_api(request: Request, store: StoreDep, who: Editor,
                     file: Annotated[UploadFile, File(description="the file to import")],
                     format: Format = "yaml", dry_run: bool = True) -> Any:
    """Check (``dry_run=true``, the default) or apply, all or nothing, a content file."""
    data = await _read_upload(file)
    ip = client_ip(request)
    try:
        report = await run_in_threadpool(_run_import, store, data, format, filename=file.filename or "",
                                         dry_run=dry_run, who=who, ip=ip)
    except ImportRefused as exc:
        return JSONResponse({"error": exc.message, "report": exc.report.as_dict()}, status_code=422)
    return report.as_dict()


# -- the page --------------------------------------------------------------------------------------

PageReader = Annotated[Principal, Depends(require_page(*READERS))]
PageEditor = Annotated[Principal, Depends(require_page(*EDITORS))]


def _prune(store: Store) -> None:
    with store.unit() as unit:
        unit.prune_kv(prefix=_PENDING, before=_utcnow() - PENDING_TTL)


def _page(request: Request, who: Principal, *, status_code: int = 200, **context: Any) -> HTMLResponse:
    base: dict[str, Any] = {"report": None, "error": "", "pending": "", "fmt": "yaml", "filename": "", "applied": False}
    return render(request, "transfer.html", who=who, formats=FORMATS, status_code=status_code,
                  can_import=who.role.value in {r.value for r in EDITORS}, **{**base, **context})


@pages.get("", response_class=HTMLResponse)
async def transfer_page(request: Request, store: StoreDep, who: PageReader) -> HTMLResponse:
    """Download buttons and the upload form."""
    await run_in_threadpool(_prune, store)
    return _page(request, who)


@pages.get("/export")
async def export_page(store: StoreDep, who: PageReader,
                      format: Annotated[Format, Query()] = "yaml") -> Response:
    """A download button's target (the same file as the API)."""
    return await run_in_threadpool(_download, store, format)


@pages.post("/check", response_class=HTMLResponse)
async def check_page(request: Request, store: StoreDep, who: PageEditor,
                     file: Annotated[UploadFile | None, File()] = None,
                     format: Annotated[str, Form()] = "yaml") -> HTMLResponse:
    """Dry run of an upload; the file waits (in the database) for the confirm button."""
    if format not in FORMATS:
        return _page(request, who, status_code=422, error="Định dạng không hợp lệ.")
    fmt: Format = format
    if file is None or not file.filename:
        return _page(request, who, status_code=422, fmt=fmt, error="Hãy chọn một tệp để nhập.")
    ip = client_ip(request)
    try:
        data = await _read_upload(file)
        report = await run_in_threadpool(_run_import, store, data, fmt, filename=file.filename, dry_run=True,
                                         who=who, ip=ip)
    except BrokenFile as exc:
        return _page(request, who, status_code=400, fmt=fmt, error=f"Không đọc được tệp: {exc.message}")
    pending = ""
    if report.counts["invalid"] == 0 and (report.counts["new"] or report.counts["changed"]):
        pending = secrets.token_urlsafe(18)
        value = json.dumps({"format": fmt, "filename": file.filename, "by": who.account_id,
                            "data": base64.b64encode(data).decode()})

        def stash() -> None:
            with store.unit() as unit:
                unit.prune_kv(prefix=_PENDING, before=_utcnow() - PENDING_TTL)
                unit.set_kv(key=_PENDING + pending, value=value, now=_utcnow())

        await run_in_threadpool(stash)
    return _page(request, who, report=report.as_dict(), pending=pending, fmt=fmt, filename=file.filename)


@pages.post("/apply", response_class=HTMLResponse)
async def apply_page(request: Request, store: StoreDep, who: PageEditor,
                     pending: Annotated[str, Form(max_length=64)] = "") -> HTMLResponse:
    """Apply the file checked by the dry run (all or nothing)."""
    def take() -> dict[str, Any] | None:
        with store.unit() as unit:
            unit.prune_kv(prefix=_PENDING, before=_utcnow() - PENDING_TTL)
            raw = unit.get_kv(key=_PENDING + pending) if pending else None
            if raw is None:
                return None
            held: dict[str, Any] = json.loads(raw)
            if held.get("by") != who.account_id:
                return None
            unit.delete_kv_if(key=_PENDING + pending, value=raw)
            return held

    held = await run_in_threadpool(take)
    if held is None:
        return _page(request, who, status_code=410,
                     error="Tệp đã kiểm tra không còn (quá 30 phút hoặc đã áp dụng). Hãy tải lên lại.")
    fmt: Format = held["format"]
    ip = client_ip(request)
    try:
        report = await run_in_threadpool(_run_import, store, base64.b64decode(held["data"]), fmt,
                                         filename=held["filename"], dry_run=False, who=who, ip=ip)
    except ImportRefused as exc:
        return _page(request, who, status_code=422, report=exc.report.as_dict(), fmt=fmt,
                     error="Có mục không hợp lệ: không lưu gì cả.")
    except BrokenFile as exc:
        return _page(request, who, status_code=400, error=f"Không đọc được tệp: {exc.message}")
    return _page(request, who, report=report.as_dict(), fmt=fmt, filename=held["filename"], applied=True)
