"""The audit log, for admins only: ``GET /api/v1/admin/audit`` and the ``/admin/audit`` page.

Newest first, filtered by username, action and a range of UTC days, one page at a time: the next
page starts below the last id shown (``before_id``), so entries written meanwhile never shift it.
"""

from __future__ import annotations

import json
from typing import Annotated, Any
from urllib.parse import urlencode

import anyio.to_thread
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from api.console.accounts import FIELD_MESSAGES, AuditFilter, AuditPage, read_audit
from api.console.forms import validate
from api.console.security import ADMINS, Admin, Principal, require_page
from api.console.web import render
from api.errors import ErrorOut, error_responses
from api.store import Store

__all__ = ["api", "pages"]

api = APIRouter(prefix="/api/v1/admin", tags=["admin"])
pages = APIRouter(prefix="/admin", include_in_schema=False)

_FILTERS = ("username", "action", "since", "until", "before_id")
#: The actions the console writes, offered as suggestions in the filter (any text may be typed).
_ACTIONS = ("login", "login_failed", "logout", "token", "token_failed", "token_revoked", "account_created",
            "account_updated", "password_changed", "sessions_revoked")


async def _read(request: Request, query: AuditFilter) -> AuditPage:
    store: Store = request.app.state.store

    def work() -> AuditPage:
        with store.unit(readonly=True) as unit:
            return read_audit(unit, query)

    return await anyio.to_thread.run_sync(work)


@api.get("/audit", response_model=AuditPage, responses={
    **error_responses(401, 422), 403: {"model": ErrorOut, "description": "Signed in, but not as an admin"},
})
async def get_audit(request: Request, who: Admin, query: Annotated[AuditFilter, Query()]) -> Any:
    """Audit entries, newest first: filter by ``username``, ``action``, ``since``/``until`` (UTC days)."""
    return await _read(request, query)


@pages.get("/audit", response_class=HTMLResponse)
async def audit_page(request: Request,
                     who: Annotated[Principal, Depends(require_page(*ADMINS))]) -> HTMLResponse:
    """The audit log as a filterable table."""
    given = {name: request.query_params.get(name, "")[:1000] for name in _FILTERS}
    errors: dict[str, str] = {}
    query = validate(AuditFilter, {k: v for k, v in given.items() if v.strip()}, errors, FIELD_MESSAGES)
    if query is None:
        return render(request, "audit.html", who=who, status_code=422, values=given, errors=errors,
                      entries=[], actions=_ACTIONS, next_url="", problem=errors.get("before_id", ""))
    page = await _read(request, query)
    next_url = ""
    if page.next_before_id is not None:
        kept = {k: v for k, v in given.items() if v.strip() and k != "before_id"}
        next_url = "/admin/audit?" + urlencode({**kept, "before_id": page.next_before_id})
    rows = [(entry, json.dumps(entry.detail, ensure_ascii=False, sort_keys=True) if entry.detail else "")
            for entry in page.entries]
    return render(request, "audit.html", who=who, values=given, errors={}, entries=rows, actions=_ACTIONS,
                  next_url=next_url, problem="")
