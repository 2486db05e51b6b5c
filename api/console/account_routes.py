"""Accounts, for admins only: ``/api/v1/admin/accounts`` (bearer token) and the ``/admin/accounts`` page.

Both call the same operations (:mod:`api.console.accounts`), which audit every change. The page
posts one small form per action and answers with a redirect (303, so a reload does not post
again); a form with bad input is shown again with a Vietnamese message next to each field, what
was typed kept (never a password) and nothing saved, with status 422.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

import anyio.to_thread
from fastapi import APIRouter, Body, Depends, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel

from api.console.accounts import (
    FIELD_MESSAGES,
    AccountCreate,
    AccountError,
    AccountNotFound,
    AccountOut,
    AccountUpdate,
    LastAdmin,
    PasswordIn,
    UsernameTaken,
    add_account,
    change_password,
    end_sessions,
    list_accounts,
    update_account,
)
from api.console.forms import form_fields, validate
from api.console.security import ADMINS, Admin, Principal, Role, client_ip, require_page
from api.console.web import render
from api.errors import ErrorOut, error_responses
from api.store import Store, Unit

__all__ = ["RevokedOut", "api", "pages"]

api = APIRouter(prefix="/api/v1/admin", tags=["admin"])
pages = APIRouter(prefix="/admin", include_in_schema=False)

_T = TypeVar("_T")
_AdminPage = Annotated[Principal, Depends(require_page(*ADMINS))]
#: Ids are bounded so a huge one is a 422, not an overflow in the database driver.
_AccountId = Annotated[int, Path(ge=1, le=2**31 - 1)]

_ERRORS: dict[int | str, dict[str, Any]] = {
    **error_responses(401, 422),
    403: {"model": ErrorOut, "description": "Signed in, but not as an admin"},
}
#: A JSON body that cannot be parsed is refused before the token is looked at.
_BODY = error_responses(400)
_NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"model": ErrorOut, "description": "No such account"}}
_CONFLICT: dict[int | str, dict[str, Any]] = {
    409: {"model": ErrorOut,
          "description": "The username is taken, or the change would leave no enabled admin"},
}

_ROLE_LABELS = {
    Role.ADMIN: "Quản trị (mọi việc, kể cả tài khoản)",
    Role.EDITOR: "Biên tập (nội dung, câu chưa trả lời)",
    Role.MEMBER: "Thành viên tổ công nghệ số",
    Role.VIEWER: "Chỉ xem",
}

#: What a finished page action says (the redirect names one of these, never free text).
_NOTICES = {
    "created": "Đã tạo tài khoản.",
    "updated": "Đã lưu thay đổi.",
    "disabled": "Đã khoá tài khoản và kết thúc mọi phiên đăng nhập của nó.",
    "enabled": "Đã mở khoá tài khoản.",
    "password": "Đã đặt mật khẩu mới; các phiên đăng nhập cũ của tài khoản đã kết thúc.",
    "revoked": "Đã kết thúc mọi phiên đăng nhập và token của tài khoản.",
}

#: The Vietnamese explanation of a refused change, shown on the page.
_REFUSALS: dict[type[AccountError], str] = {
    AccountNotFound: "Không tìm thấy tài khoản này (có thể đã bị xoá).",
    UsernameTaken: "Tên đăng nhập này đã được dùng.",
    LastAdmin: "Đây là tài khoản quản trị cuối cùng còn hoạt động: "
               "hãy tạo hoặc mở khoá một admin khác trước.",
}


class RevokedOut(BaseModel):
    """How many sessions and tokens were ended."""

    revoked: int


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


async def _in_unit(request: Request, work: Callable[[Unit, dt.datetime], _T]) -> _T:
    """Run ``work`` in one transaction on a worker thread (the store is synchronous)."""
    store: Store = request.app.state.store

    def run() -> _T:
        with store.unit() as unit:
            return work(unit, _utcnow())

    return await anyio.to_thread.run_sync(run)


async def _change(request: Request, who: Principal, operation: Callable[..., _T], *args: Any) -> _T:
    """Run one audited operation of :mod:`api.console.accounts` as ``who``, from the request's address."""
    ip = client_ip(request)
    return await _in_unit(request, lambda unit, now: operation(unit, *args, actor=who, ip=ip, now=now))


# -- the API ----------------------------------------------------------------------------------------


@api.get("/accounts", response_model=list[AccountOut], responses=_ERRORS)
async def get_accounts(request: Request, who: Admin) -> Any:
    """Every console account, by username."""
    return await _in_unit(request, lambda unit, now: list_accounts(unit))


@api.post("/accounts", response_model=AccountOut, status_code=201,
          responses={**_ERRORS, **_BODY, **_CONFLICT})
async def post_account(request: Request, who: Admin, data: Annotated[AccountCreate, Body()]) -> Any:
    """Create an account (the username is kept lower-case)."""
    return await _change(request, who, add_account, data)


@api.patch("/accounts/{account_id}", response_model=AccountOut,
           responses={**_ERRORS, **_BODY, **_NOT_FOUND, **_CONFLICT})
async def patch_account(request: Request, who: Admin, account_id: _AccountId,
                        data: Annotated[AccountUpdate, Body()]) -> Any:
    """Change the role, display name or disabled flag; disabling ends the account's sessions and tokens."""
    return await _change(request, who, update_account, account_id, data)


@api.post("/accounts/{account_id}/password", response_model=AccountOut,
          responses={**_ERRORS, **_BODY, **_NOT_FOUND})
async def post_password(request: Request, who: Admin, account_id: _AccountId,
                        data: Annotated[PasswordIn, Body()]) -> Any:
    """Set a new password; every session and token of the account ends."""
    return await _change(request, who, change_password, account_id, data)


@api.post("/accounts/{account_id}/revoke", response_model=RevokedOut, responses={**_ERRORS, **_NOT_FOUND})
async def post_revoke(request: Request, who: Admin, account_id: _AccountId) -> Any:
    """End every session and token of the account."""
    count = await _change(request, who, end_sessions, account_id)
    return RevokedOut(revoked=count)


# -- the page -----------------------------------------------------------------------------------------


async def _page(request: Request, who: Principal, *, status_code: int = 200, form: str = "",
                values: dict[str, str] | None = None, errors: dict[str, str] | None = None,
                problem: str = "") -> HTMLResponse:
    accounts = await _in_unit(request, lambda unit, now: list_accounts(unit))
    notice = _NOTICES.get(request.query_params.get("done", ""), "")
    return render(request, "accounts.html", who=who, status_code=status_code, accounts=accounts,
                  roles=_ROLE_LABELS, form=form, values=values or {}, errors=errors or {}, problem=problem,
                  notice=notice)


def _done(code: str, account_id: int | None = None) -> RedirectResponse:
    anchor = f"#account-{account_id}" if account_id is not None else ""
    return RedirectResponse(f"/admin/accounts?done={code}{anchor}", status_code=303)


async def _refused(request: Request, who: Principal, exc: AccountError, *, form: str,
                   values: dict[str, str]) -> HTMLResponse:
    message = _REFUSALS.get(type(exc), "Không lưu được thay đổi này.")
    errors = {exc.field: message} if exc.field else {}
    return await _page(request, who, status_code=exc.status, form=form, values=values, errors=errors,
                       problem="" if exc.field else message)


@pages.get("/accounts", response_class=HTMLResponse)
async def accounts_page(request: Request, who: _AdminPage) -> HTMLResponse:
    """The accounts: a list with a form per action, and a form to add one."""
    return await _page(request, who)


@pages.post("/accounts", response_class=HTMLResponse)
async def create_from_page(request: Request, who: _AdminPage) -> Response:
    """Create an account from the page's form."""
    names = ("username", "password", "role", "display_name")
    values, errors = await form_fields(request, names, FIELD_MESSAGES)
    data = validate(AccountCreate, values, errors, FIELD_MESSAGES)
    shown = {k: v for k, v in values.items() if k != "password"}
    if data is None:
        return await _page(request, who, status_code=422, form="create", values=shown, errors=errors)
    try:
        created = await _change(request, who, add_account, data)
    except AccountError as exc:
        return await _refused(request, who, exc, form="create", values=shown)
    return _done("created", created.id)


@pages.post("/accounts/{account_id}/edit", response_class=HTMLResponse)
async def edit_from_page(request: Request, who: _AdminPage, account_id: _AccountId) -> Response:
    """Change an account's role and display name."""
    values, errors = await form_fields(request, ("role", "display_name"), FIELD_MESSAGES)
    data = validate(AccountUpdate, values, errors, FIELD_MESSAGES)
    form = f"{account_id}:edit"
    if data is None:
        return await _page(request, who, status_code=422, form=form, values=values, errors=errors)
    try:
        await _change(request, who, update_account, account_id, data)
    except AccountError as exc:
        return await _refused(request, who, exc, form=form, values=values)
    return _done("updated", account_id)


async def _set_disabled(request: Request, who: Principal, account_id: int, disabled: bool) -> Response:
    data = AccountUpdate(disabled=disabled)
    try:
        await _change(request, who, update_account, account_id, data)
    except AccountError as exc:
        return await _refused(request, who, exc, form=f"{account_id}:status", values={})
    return _done("disabled" if disabled else "enabled", account_id)


@pages.post("/accounts/{account_id}/disable", response_class=HTMLResponse)
async def disable_from_page(request: Request, who: _AdminPage, account_id: _AccountId) -> Response:
    """Disable an account and end its sessions."""
    return await _set_disabled(request, who, account_id, True)


@pages.post("/accounts/{account_id}/enable", response_class=HTMLResponse)
async def enable_from_page(request: Request, who: _AdminPage, account_id: _AccountId) -> Response:
    """Enable a disabled account."""
    return await _set_disabled(request, who, account_id, False)


@pages.post("/accounts/{account_id}/password", response_class=HTMLResponse)
async def password_from_page(request: Request, who: _AdminPage, account_id: _AccountId) -> Response:
    """Set a new password (typed twice) for an account."""
    values, errors = await form_fields(request, ("password", "password_confirm"), FIELD_MESSAGES)
    data = validate(PasswordIn, {"password": values["password"]}, errors, FIELD_MESSAGES)
    if data is not None and values["password_confirm"] != values["password"]:
        errors["password_confirm"], data = FIELD_MESSAGES["password_confirm"], None
    form = f"{account_id}:password"
    if data is None:
        return await _page(request, who, status_code=422, form=form, errors=errors)
    try:
        await _change(request, who, change_password, account_id, data)
    except AccountError as exc:
        return await _refused(request, who, exc, form=form, values={})
    return _done("password", account_id)


@pages.post("/accounts/{account_id}/revoke", response_class=HTMLResponse)
async def revoke_from_page(request: Request, who: _AdminPage, account_id: _AccountId) -> Response:
    """End every session and token of an account."""
    try:
        await _change(request, who, end_sessions, account_id)
    except AccountError as exc:
        return await _refused(request, who, exc, form=f"{account_id}:status", values={})
    return _done("revoked", account_id)
