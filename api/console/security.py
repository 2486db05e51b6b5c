"""Who is asking the console: accounts, password hashes, sessions and bearer tokens, roles, CSRF.

Roles (every console route names the roles it lets in; anonymous requests get 401, others 403):

    admin    everything, accounts included
    editor   content and the unanswered inbox
    member   a team member's own share links and stats
    viewer   read-only

Passwords are kept as argon2 hashes (pwdlib). A browser signs in at ``/admin/login`` and holds a
cookie with a random secret, signed (itsdangerous) with the signing key; an API client posts its
username and password to ``POST /api/v1/admin/token`` (OAuth2 password form) and sends the token
it gets as ``Authorization: Bearer …``. Both are rows of ``admin_sessions`` that keep only the
SHA-256 of the secret, so a copy of the database holds no usable session, and both can be revoked.
A browser session ends after :data:`IDLE` without use or :data:`ABSOLUTE` after sign-in; a token
after :data:`TOKEN_TTL`. Every sign-in gets a new session id.

State-changing requests made with the cookie must carry the session's CSRF token (a form field
``csrf_token`` or the ``X-CSRF-Token`` header): an HMAC of the session id under the signing key.
Bearer requests need none (a browser never sends the header by itself).

Sign-in attempts are recorded in the database, so throttling holds across instances: at most
:data:`FAILURES_PER_ACCOUNT` failures per username and :data:`FAILURES_PER_ADDRESS` per address in
:data:`FAILURE_WINDOW`.

The signing key is ``SECRET_KEY`` (derived for this purpose); without it, a random key is made
once and kept in the database (``kv``) so every instance shares it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

import anyio.to_thread
from fastapi import Depends, Request
from itsdangerous import BadSignature, URLSafeTimedSerializer
from pwdlib import PasswordHash
from sqlmodel import col, func, select

from api.console.principal import ADMINS, ANY_ROLE, EDITORS, MEMBERS, READERS, Principal, Role
from api.errors import ApiError, Unauthorized
from api.settings import Settings
from api.store import Store, Unit
from api.store.models import AdminAccount, AdminSession, AuditEntry, LoginAttempt

__all__ = [
    "ABSOLUTE",
    "ADMINS",
    "ANY_ROLE",
    "COOKIE",
    "EDITORS",
    "FAILURES_PER_ACCOUNT",
    "FAILURES_PER_ADDRESS",
    "FAILURE_WINDOW",
    "IDLE",
    "MEMBERS",
    "READERS",
    "TOKEN_TTL",
    "Admin",
    "Editor",
    "Forbidden",
    "LoginRequired",
    "Principal",
    "Reader",
    "Role",
    "Throttled",
    "audit",
    "authenticate",
    "check_csrf",
    "client_ip",
    "cookie_serializer",
    "create_account",
    "csrf_token",
    "hash_password",
    "issue_session",
    "require",
    "require_page",
    "resolve",
    "revoke",
    "set_password",
    "signing_key",
    "verify_password",
]



COOKIE = "troly06_admin"
IDLE = dt.timedelta(hours=2)
ABSOLUTE = dt.timedelta(hours=12)
TOKEN_TTL = dt.timedelta(hours=8)
FAILURE_WINDOW = dt.timedelta(minutes=15)
FAILURES_PER_ACCOUNT = 5
FAILURES_PER_ADDRESS = 30
#: ``last_seen_at`` is written at most this often (a page load is not a write each time).
_TOUCH_EVERY = dt.timedelta(minutes=1)
_KEY_KV = "console:signing_key"

_hasher = PasswordHash.recommended()


class Forbidden(ApiError):
    """Signed in, but the role does not allow this."""

    status = 403


class LoginRequired(ApiError):
    """A console page asked for without a session: the browser is sent to the sign-in page."""

    status = 303


class Throttled(ApiError):
    """Too many failed sign-ins for this account or address."""

    status = 429


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


# -- passwords and accounts -----------------------------------------------------------------------


def hash_password(password: str) -> str:
    """An argon2 hash of ``password``."""
    return _hasher.hash(password)


def verify_password(password: str, password_hash: str) -> bool:
    """True when ``password`` matches (False for a malformed hash, never an exception)."""
    try:
        return bool(_hasher.verify(password, password_hash))
    except Exception:  # noqa: BLE001 - a broken hash is a wrong password, not a crash
        return False


def _check_password(password: str) -> None:
    if len(password) < 10:
        raise ValueError("the password must have at least 10 characters")
    if len(password) > 256:
        raise ValueError("the password must have at most 256 characters")


def create_account(unit: Unit, *, username: str, password: str, role: Role, display_name: str = "",
                   now: dt.datetime) -> AdminAccount:
    """Add an account (the username is kept lower-case); ValueError for a taken name or weak password."""
    name = username.strip().lower()
    if not name or len(name) > 64 or not all(c.isalnum() or c in "._-@" for c in name):
        raise ValueError("a username is 1-64 letters, digits or . _ - @")
    _check_password(password)
    if unit.session.exec(select(AdminAccount).where(col(AdminAccount.username) == name)).first() is not None:
        raise ValueError(f"the username {name!r} is taken")
    account = AdminAccount(username=name, display_name=display_name.strip()[:128], role=role.value,
                           password_hash=hash_password(password), created_at=now, updated_at=now)
    unit.session.add(account)
    unit.session.flush()
    return account


def set_password(unit: Unit, *, account: AdminAccount, password: str, now: dt.datetime) -> None:
    """Change a password and end every session and token of the account."""
    _check_password(password)
    account.password_hash = hash_password(password)
    account.updated_at = now
    unit.session.add(account)
    revoke(unit, account_id=account.id, now=now)


def revoke(unit: Unit, *, account_id: int | None = None, session_id: str | None = None, now: dt.datetime) -> int:
    """Revoke one session (``session_id``) or all of an account's; returns how many."""
    query = select(AdminSession).where(col(AdminSession.revoked_at).is_(None))
    if session_id is not None:
        query = query.where(col(AdminSession.id) == session_id)
    if account_id is not None:
        query = query.where(col(AdminSession.account_id) == account_id)
    rows = unit.session.exec(query).all()
    for row in rows:
        row.revoked_at = now
        unit.session.add(row)
    unit.session.flush()
    return len(rows)


# -- sign-in, sessions, tokens -------------------------------------------------------------------


def authenticate(unit: Unit, *, username: str, password: str, ip: str, now: dt.datetime) -> AdminAccount | None:
    """Check a sign-in and record the attempt; :class:`Throttled` when too many failed recently."""
    name = username.strip().lower()[:64]
    since = now - FAILURE_WINDOW
    failures = select(func.count()).select_from(LoginAttempt).where(
        col(LoginAttempt.ok).is_(False), col(LoginAttempt.at) >= since
    )
    by_name = unit.session.exec(failures.where(col(LoginAttempt.username) == name)).one()
    by_ip = unit.session.exec(failures.where(col(LoginAttempt.ip) == ip[:64])).one()
    if by_name >= FAILURES_PER_ACCOUNT or by_ip >= FAILURES_PER_ADDRESS:
        raise Throttled("too many failed sign-ins; try again in 15 minutes", headers={"Retry-After": "900"})
    account = unit.session.exec(select(AdminAccount).where(col(AdminAccount.username) == name)).first()
    ok = account is not None and not account.disabled and verify_password(password, account.password_hash)
    if account is None:
        verify_password(password, _DUMMY_HASH)  # the same work whether or not the name exists
    unit.session.add(LoginAttempt(username=name, ip=ip[:64], ok=ok, at=now))
    unit.session.flush()
    return account if ok else None


#: What an unknown name is verified against: the recommended argon2 hash of a throwaway password,
#: written out (hashing it at import cost every process 0.2 s of CPU).
_DUMMY_HASH = "$argon2id$v=19$m=65536,t=3,p=4$HHveyQcsxBqcN6ZulUoguQ$EEMxGQTTKOjWXSsScOU13RC0AWWKBn7U1IShWb16oio"


def issue_session(unit: Unit, *, account: AdminAccount, kind: str, ip: str, now: dt.datetime) -> str:
    """Start a browser session (``kind="browser"``) or a bearer token (``"token"``); returns its secret."""
    assert account.id is not None
    secret = secrets.token_urlsafe(32)
    ttl = TOKEN_TTL if kind == "token" else ABSOLUTE
    unit.session.add(AdminSession(id=_digest(secret), kind=kind, account_id=account.id, created_at=now,
                                  last_seen_at=now, expires_at=now + ttl, ip=ip[:64]))
    unit.session.flush()
    return secret


def resolve(unit: Unit, *, secret: str, kind: str, now: dt.datetime, key: bytes) -> Principal | None:
    """The principal behind a session or token secret, or None (unknown, revoked, expired, disabled)."""
    session_id = _digest(secret)
    row = unit.session.get(AdminSession, session_id)
    if row is None or row.kind != kind or row.revoked_at is not None or _aware(row.expires_at) <= now:
        return None
    if kind == "browser" and now - _aware(row.last_seen_at) > IDLE:
        return None
    account = unit.session.get(AdminAccount, row.account_id)
    if account is None or account.disabled or account.id is None:
        return None
    if now - _aware(row.last_seen_at) > _TOUCH_EVERY:
        row.last_seen_at = now
        unit.session.add(row)
    return Principal(account_id=account.id, username=account.username, display_name=account.display_name,
                     role=Role(account.role), session_id=session_id, via="cookie" if kind == "browser" else "bearer",
                     csrf=csrf_token(key, session_id))


def audit(unit: Unit, *, who: Principal | None, action: str, target: str = "", detail: dict[str, Any] | None = None,
          ip: str = "", now: dt.datetime, username: str | None = None) -> None:
    """Record one change or sign-in in the audit log."""
    unit.session.add(AuditEntry(at=now, account_id=who.account_id if who else None,
                                username=(who.username if who else username or "")[:64], action=action[:48],
                                target=target, detail=detail, ip=ip[:64]))


# -- keys, cookies, CSRF -------------------------------------------------------------------------


def signing_key(store: Store, settings: Settings) -> bytes:
    """The key that signs cookies and CSRF tokens (see the module docstring)."""
    if settings.secret_key is not None:
        return hmac.new(settings.secret_key.get_secret_value().encode(), b"troly06 console", "sha256").digest()
    with store.unit() as unit:
        stored = unit.get_kv(key=_KEY_KV)
        if stored is None:
            stored = secrets.token_hex(32)
            unit.set_kv(key=_KEY_KV, value=stored, now=_utcnow())
    return bytes.fromhex(stored)


def csrf_token(key: bytes, session_id: str) -> str:
    """The CSRF token of a session."""
    return hmac.new(key, b"csrf:" + session_id.encode(), "sha256").hexdigest()


def cookie_serializer(key: bytes) -> URLSafeTimedSerializer:
    """Signs the session cookie's value."""
    return URLSafeTimedSerializer(key, salt="troly06-admin-session")


def client_ip(request: Request) -> str:
    """The client's address as the server sees it (uvicorn applies trusted proxy headers)."""
    return request.client.host if request.client else "unknown"


def _key(request: Request) -> bytes:
    key: bytes = request.app.state.console_key
    return key


async def _principal(request: Request) -> Principal | None:
    """Resolve the bearer token or the session cookie of a request (None when neither is valid)."""
    cached: Principal | None | bool = getattr(request.state, "principal", False)
    if cached is not False:
        return cached  # type: ignore[return-value]
    store: Store = request.app.state.store
    key = _key(request)
    header = request.headers.get("authorization", "")
    secret, kind = None, "browser"
    if header[:7].lower() == "bearer ":
        secret, kind = header[7:].strip(), "token"
    elif (cookie := request.cookies.get(COOKIE)) is not None:
        try:
            secret = str(cookie_serializer(key).loads(cookie, max_age=int(ABSOLUTE.total_seconds())))
        except BadSignature:
            secret = None
    principal = None
    if secret and len(secret) <= 256:
        def lookup() -> Principal | None:
            with store.unit() as unit:
                return resolve(unit, secret=secret, kind=kind, now=_utcnow(), key=key)

        principal = await anyio.to_thread.run_sync(lookup)
    request.state.principal = principal
    return principal


def require(*roles: Role) -> Callable[[Request], Awaitable[Principal]]:
    """A dependency for API routes: the principal, 401 when anonymous, 403 for another role."""

    async def dependency(request: Request) -> Principal:
        principal = await _principal(request)
        if principal is None:
            raise Unauthorized("sign in first (Authorization: Bearer <token>)", headers={"WWW-Authenticate": "Bearer"})
        if not principal.can(roles):
            raise Forbidden(f"the role {principal.role.value!r} may not do this")
        await check_csrf(request, principal)
        return principal

    return dependency


def require_page(*roles: Role) -> Callable[[Request], Awaitable[Principal]]:
    """A dependency for console pages: anonymous browsers are sent to the sign-in page."""

    async def dependency(request: Request) -> Principal:
        principal = await _principal(request)
        if principal is None:
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            raise LoginRequired("sign in first", headers={"Location": f"/admin/login?next={_quote(target)}"})
        if not principal.can(roles):
            raise Forbidden(f"the role {principal.role.value!r} may not see this page")
        await check_csrf(request, principal)
        return principal

    return dependency


def _quote(path: str) -> str:
    from urllib.parse import quote

    return quote(path, safe="/")


_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


async def check_csrf(request: Request, principal: Principal) -> None:
    """Refuse a state-changing cookie request without the session's CSRF token (403)."""
    if request.method in _SAFE_METHODS or principal.via != "cookie":
        return
    given = request.headers.get("x-csrf-token")
    if given is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()
        value = form.get("csrf_token")
        given = value if isinstance(value, str) else None
    if given is None or not hmac.compare_digest(given, principal.csrf):
        raise Forbidden("missing or wrong CSRF token: reload the page and try again")


Admin = Annotated[Principal, Depends(require(*ADMINS))]
Editor = Annotated[Principal, Depends(require(*EDITORS))]
Reader = Annotated[Principal, Depends(require(*READERS))]
