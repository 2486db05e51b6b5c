"""Signing in and out: the ``/admin/login`` page, ``/admin/logout``, and bearer tokens for the API.

The sign-in form is protected by a double-submit token (a random cookie repeated in the form), so
another site cannot sign a browser in to an account of its choosing. A successful sign-in always
starts a new session; the next page must be on this site (``next`` is a local path only).
"""

from __future__ import annotations

import datetime as dt
import hmac
import secrets
from typing import Annotated, Any

import anyio.to_thread
from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel

from api.console.security import (
    ABSOLUTE,
    ANY_ROLE,
    COOKIE,
    TOKEN_TTL,
    Principal,
    Throttled,
    audit,
    authenticate,
    client_ip,
    cookie_serializer,
    issue_session,
    require,
    require_page,
    revoke,
)
from api.console.web import render
from api.deps import SettingsDep, StoreDep
from api.errors import Unauthorized, error_responses

__all__ = ["api", "pages"]

pages = APIRouter(prefix="/admin", include_in_schema=False)
api = APIRouter(prefix="/api/v1/admin", tags=["admin"])

_LOGIN_COOKIE = "troly06_login"


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _local(next_path: str | None) -> str:
    """Only a path on this site (never ``//host`` or a scheme) may follow a sign-in."""
    if next_path and next_path.startswith("/") and not next_path.startswith("//") and "\\" not in next_path:
        return next_path
    return "/admin/"


def _login_page(request: Request, *, next_path: str, error: str = "", status_code: int = 200) -> HTMLResponse:
    token = secrets.token_urlsafe(24)
    response = render(request, "login.html", who=None, next=next_path, login_csrf=token, error=error,
                      status_code=status_code)
    response.set_cookie(_LOGIN_COOKIE, token, httponly=True, samesite="strict", path="/admin",
                        secure=request.app.state.settings.public_base_url.startswith("https://"))
    return response


@pages.get("/login", response_class=HTMLResponse)
async def login_form(request: Request, next: str = "/admin/") -> HTMLResponse:
    """The sign-in page."""
    return _login_page(request, next_path=_local(next))


@pages.post("/login", response_class=HTMLResponse)
async def login(
    request: Request,
    store: StoreDep,
    settings: SettingsDep,
    username: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
    login_csrf: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/admin/",
) -> Response:
    """Check the credentials; on success set the session cookie and go on to ``next``."""
    target = _local(next)
    expected = request.cookies.get(_LOGIN_COOKIE, "")
    if not expected or not hmac.compare_digest(expected, login_csrf):
        return _login_page(request, next_path=target, status_code=403,
                           error="Phiên đăng nhập đã hết hạn. Vui lòng nhập lại.")
    if not username.strip() or not password:
        return _login_page(request, next_path=target, status_code=422,
                           error="Vui lòng nhập tên đăng nhập và mật khẩu.")
    ip = client_ip(request)

    def work() -> str | None:
        now = _utcnow()
        with store.unit() as unit:
            account = authenticate(unit, username=username, password=password, ip=ip, now=now)
        with store.unit() as unit:
            if account is None:
                audit(unit, who=None, username=username.strip().lower()[:64], action="login_failed", ip=ip, now=now)
                return None
            secret = issue_session(unit, account=account, kind="browser", ip=ip, now=now)
            audit(unit, who=None, username=account.username, action="login", ip=ip, now=now)
            return secret

    try:
        secret = await anyio.to_thread.run_sync(work)
    except Throttled:
        return _login_page(request, next_path=target, status_code=429,
                           error="Đăng nhập sai quá nhiều lần. Vui lòng thử lại sau 15 phút.")
    if secret is None:
        return _login_page(request, next_path=target, status_code=401,
                           error="Tên đăng nhập hoặc mật khẩu không đúng.")
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(COOKIE, cookie_serializer(request.app.state.console_key).dumps(secret),
                        max_age=int(ABSOLUTE.total_seconds()), httponly=True, samesite="lax", path="/",
                        secure=settings.public_base_url.startswith("https://"))
    response.delete_cookie(_LOGIN_COOKIE, path="/admin")
    return response


@pages.post("/logout")
async def logout(request: Request, store: StoreDep,
                 who: Annotated[Principal, Depends(require_page(*ANY_ROLE))]) -> Response:
    """End this browser session."""
    ip = client_ip(request)

    def work() -> None:
        now = _utcnow()
        with store.unit() as unit:
            revoke(unit, session_id=who.session_id, now=now)
            audit(unit, who=who, action="logout", ip=ip, now=now)

    await anyio.to_thread.run_sync(work)
    response = RedirectResponse("/admin/login", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response


class TokenOut(BaseModel):
    """A bearer token for the admin API (OAuth2 password flow)."""

    access_token: str
    token_type: str = "bearer"
    expires_in: int


@api.post("/token", response_model=TokenOut, responses=error_responses(400, 401, 422, 429))
async def token(request: Request, store: StoreDep,
                form: Annotated[OAuth2PasswordRequestForm, Depends()]) -> Any:
    """Exchange a username and password (form fields) for a bearer token."""
    ip = client_ip(request)

    def work() -> str | None:
        now = _utcnow()
        with store.unit() as unit:
            account = authenticate(unit, username=form.username, password=form.password, ip=ip, now=now)
        with store.unit() as unit:
            if account is None:
                audit(unit, who=None, username=form.username.strip().lower()[:64], action="token_failed",
                      ip=ip, now=now)
                return None
            secret = issue_session(unit, account=account, kind="token", ip=ip, now=now)
            audit(unit, who=None, username=account.username, action="token", ip=ip, now=now)
            return secret

    secret = await anyio.to_thread.run_sync(work)
    if secret is None:
        raise Unauthorized("wrong username or password", headers={"WWW-Authenticate": "Bearer"})
    return TokenOut(access_token=secret, expires_in=int(TOKEN_TTL.total_seconds()))


@api.post("/token/revoke", status_code=204, responses=error_responses(401))
async def revoke_token(request: Request, store: StoreDep,
                       who: Annotated[Principal, Depends(require(*ANY_ROLE))]) -> Response:
    """Revoke the token (or session) this request was made with."""
    ip = client_ip(request)

    def work() -> None:
        now = _utcnow()
        with store.unit() as unit:
            revoke(unit, session_id=who.session_id, now=now)
            audit(unit, who=who, action="token_revoked", ip=ip, now=now)

    await anyio.to_thread.run_sync(work)
    return Response(status_code=204)


@pages.get("/", response_class=HTMLResponse)
async def home(request: Request, who: Annotated[Principal, Depends(require_page(*ANY_ROLE))]) -> HTMLResponse:
    """The console's start page: what this account may open."""
    return render(request, "home.html", who=who)
