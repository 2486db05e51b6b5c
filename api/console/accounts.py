"""Managing console accounts and reading the audit log: what the API, the pages and the CLI share.

Every change goes through one function here, inside the caller's unit of work, and writes one
audit entry in the same transaction (a change is never saved without its entry, nor the reverse).
The input models validate everything a client may send, so the JSON API, the HTML forms and the
command line refuse the same things; the rules mirror :func:`api.console.security.create_account`,
which stays the last line of defence.

The console must always keep one enabled admin: a change that would disable or demote the last
one is refused (:class:`LastAdmin`), whoever asks.

    AccountError          base (an ApiError: the API's handler answers it with {"error": …})
    ├── AccountNotFound   404, no account with this id or username
    ├── UsernameTaken     409, the username is in use
    └── LastAdmin         409, the change would leave no enabled admin
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictBool
from sqlmodel import col, func, select

from api.console.security import Principal, Role, audit, create_account, revoke, set_password
from api.errors import ApiError
from api.store import Unit
from api.store.models import AdminAccount, AuditEntry

__all__ = [
    "AUDIT_PAGE_MAX",
    "FIELD_MESSAGES",
    "AccountCreate",
    "AccountError",
    "AccountNotFound",
    "AccountOut",
    "AccountUpdate",
    "AuditFilter",
    "AuditOut",
    "AuditPage",
    "LastAdmin",
    "PasswordIn",
    "UsernameTaken",
    "add_account",
    "change_password",
    "end_sessions",
    "find_account",
    "list_accounts",
    "read_audit",
    "update_account",
]

#: The most audit entries one request returns.
AUDIT_PAGE_MAX = 200

#: What each input field accepts, in Vietnamese: shown next to the field of a form that broke it.
FIELD_MESSAGES: dict[str, str] = {
    "username": "Tên đăng nhập gồm 1–64 chữ cái, chữ số hoặc . _ - @ (không khoảng trắng).",
    "password": "Mật khẩu cần từ 10 đến 256 ký tự.",
    "password_confirm": "Hai lần nhập mật khẩu không khớp.",
    "role": "Vai trò phải là một trong: admin, editor, member, viewer.",
    "display_name": "Tên hiển thị tối đa 128 ký tự, không chứa ký tự điều khiển.",
    "disabled": "Trạng thái khoá phải là true hoặc false.",
    "since": "Ngày bắt đầu phải có dạng YYYY-MM-DD.",
    "until": "Ngày kết thúc phải có dạng YYYY-MM-DD.",
    "action": "Hành động tối đa 48 ký tự.",
    "before_id": "Vị trí trang phải là số nguyên dương.",
    "limit": f"Số dòng mỗi trang từ 1 đến {AUDIT_PAGE_MAX}.",
}


class AccountError(ApiError):
    """A change to an account that cannot be made."""

    #: The input field the error is about, for a form to show it next to (``""``: the whole form).
    field = ""


class AccountNotFound(AccountError):
    """No account with this id or username."""

    status = 404


class UsernameTaken(AccountError):
    """The username is in use."""

    status = 409
    field = "username"


class LastAdmin(AccountError):
    """The change would leave the console without an enabled admin."""

    status = 409


# -- input --------------------------------------------------------------------------------------


def _no_surrogates(value: str) -> str:
    # A lone surrogate (valid in JSON text, not in UTF-8) would fail deep inside hashing or the driver.
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("the text is not valid Unicode") from None
    return value


def _username(value: str) -> str:
    name = _no_surrogates(value).strip().lower()
    if not name or len(name) > 64 or not all(c.isalnum() or c in "._-@" for c in name):
        raise ValueError("a username is 1-64 letters, digits or . _ - @")
    return name


def _display_name(value: str) -> str:
    text = _no_surrogates(value).strip()
    if any(ord(c) < 32 or 127 <= ord(c) < 160 for c in text):
        raise ValueError("a display name has no control characters")
    return text


_Username = Annotated[str, Field(min_length=1, max_length=64), AfterValidator(_username)]
_Password = Annotated[str, Field(min_length=10, max_length=256), AfterValidator(_no_surrogates)]
_DisplayName = Annotated[str, Field(max_length=128), AfterValidator(_display_name)]


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class AccountCreate(_Input):
    """A new account."""

    username: _Username
    password: _Password
    role: Annotated[Role, Field(strict=False)]
    display_name: _DisplayName = ""


class AccountUpdate(_Input):
    """Changes to an account; a field left out stays as it is."""

    role: Annotated[Role | None, Field(strict=False)] = None
    display_name: _DisplayName | None = None
    disabled: StrictBool | None = None


class PasswordIn(_Input):
    """A new password for an account."""

    password: _Password


class AuditFilter(_Input):
    """Which audit entries to read: dates are whole UTC days, both ends included."""

    username: Annotated[str, Field(max_length=64)] = ""
    action: Annotated[str, Field(max_length=48)] = ""
    since: Annotated[dt.date | None, Field(strict=False)] = None
    until: Annotated[dt.date | None, Field(strict=False)] = None
    before_id: Annotated[int | None, Field(ge=1, strict=False)] = None
    limit: Annotated[int, Field(ge=1, le=AUDIT_PAGE_MAX, strict=False)] = 50


# -- output -------------------------------------------------------------------------------------


class AccountOut(BaseModel):
    """An account as the API shows it (never its password hash)."""

    id: int
    username: str
    display_name: str
    role: Role
    disabled: bool
    created_at: dt.datetime
    updated_at: dt.datetime

    @classmethod
    def of(cls, row: AdminAccount) -> AccountOut:
        """The public view of a table row."""
        assert row.id is not None
        return cls(id=row.id, username=row.username, display_name=row.display_name, role=Role(row.role),
                   disabled=row.disabled, created_at=_aware(row.created_at),
                   updated_at=_aware(row.updated_at))


class AuditOut(BaseModel):
    """One audit entry: who did what, when, to what, from where."""

    id: int
    at: dt.datetime
    username: str
    action: str
    target: str
    detail: dict[str, Any] | None
    ip: str


class AuditPage(BaseModel):
    """Audit entries, newest first; pass ``next_before_id`` as ``before_id`` for the next page."""

    entries: list[AuditOut]
    next_before_id: int | None


def _aware(value: dt.datetime) -> dt.datetime:
    # SQLite hands datetimes back naive; every stored one is UTC.
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


# -- operations -------------------------------------------------------------------------------------


def _record(unit: Unit, *, actor: Principal | str, action: str, account: AdminAccount, detail: dict[str, Any],
            ip: str, now: dt.datetime) -> None:
    who = actor if isinstance(actor, Principal) else None
    audit(unit, who=who, username=actor if isinstance(actor, str) else None, action=action,
          target=f"account:{account.id}:{account.username}", detail=detail or None, ip=ip, now=now)


def list_accounts(unit: Unit) -> list[AccountOut]:
    """Every account, by username."""
    rows = unit.session.exec(select(AdminAccount).order_by(col(AdminAccount.username))).all()
    return [AccountOut.of(row) for row in rows]


def find_account(unit: Unit, *, account_id: int | None = None, username: str | None = None) -> AdminAccount:
    """The account with this id or username; :class:`AccountNotFound` otherwise."""
    row: AdminAccount | None = None
    if account_id is not None:
        row = unit.session.get(AdminAccount, account_id)
    elif username is not None:
        name = username.strip().lower()
        row = unit.session.exec(select(AdminAccount).where(col(AdminAccount.username) == name)).first()
    if row is None:
        raise AccountNotFound("no such account")
    return row


def add_account(unit: Unit, data: AccountCreate, *, actor: Principal | str, ip: str,
                now: dt.datetime) -> AccountOut:
    """Create an account; :class:`UsernameTaken` when the name is in use."""
    taken = unit.session.exec(select(AdminAccount).where(col(AdminAccount.username) == data.username)).first()
    if taken is not None:
        raise UsernameTaken(f"the username {data.username!r} is taken")
    try:
        account = create_account(unit, username=data.username, password=data.password, role=data.role,
                                 display_name=data.display_name, now=now)
    except ValueError as exc:  # the input models check the same rules first; this is the backstop
        raise AccountError(str(exc)) from exc
    _record(unit, actor=actor, action="account_created", account=account, ip=ip, now=now,
            detail={"role": account.role, "display_name": account.display_name})
    return AccountOut.of(account)


def _enabled_admins(unit: Unit) -> int:
    query = select(func.count()).select_from(AdminAccount).where(
        col(AdminAccount.role) == Role.ADMIN.value, col(AdminAccount.disabled).is_(False)
    )
    return int(unit.session.exec(query).one())


def update_account(unit: Unit, account_id: int, data: AccountUpdate, *, actor: Principal | str, ip: str,
                   now: dt.datetime) -> AccountOut:
    """Change role, display name or disabled; disabling ends the account's sessions and tokens."""
    account = find_account(unit, account_id=account_id)
    changes: dict[str, Any] = {}
    if data.role is not None and data.role.value != account.role:
        changes["role"] = {"from": account.role, "to": data.role.value}
    if data.display_name is not None and data.display_name != account.display_name:
        changes["display_name"] = {"from": account.display_name, "to": data.display_name}
    if data.disabled is not None and data.disabled != account.disabled:
        changes["disabled"] = {"from": account.disabled, "to": data.disabled}
    if not changes:
        return AccountOut.of(account)
    was_admin = account.role == Role.ADMIN.value and not account.disabled
    stays_admin = (data.role or Role(account.role)) is Role.ADMIN and not (
        account.disabled if data.disabled is None else data.disabled
    )
    if was_admin and not stays_admin and _enabled_admins(unit) <= 1:
        raise LastAdmin("this is the last enabled admin: make another admin first")
    if data.role is not None:
        account.role = data.role.value
    if data.display_name is not None:
        account.display_name = data.display_name
    if data.disabled is not None:
        account.disabled = data.disabled
    account.updated_at = now
    unit.session.add(account)
    if account.disabled and "disabled" in changes:
        changes["sessions_revoked"] = revoke(unit, account_id=account.id, now=now)
    _record(unit, actor=actor, action="account_updated", account=account, detail=changes, ip=ip, now=now)
    return AccountOut.of(account)


def change_password(unit: Unit, account_id: int, data: PasswordIn, *, actor: Principal | str, ip: str,
                    now: dt.datetime) -> AccountOut:
    """Set a new password; every session and token of the account ends."""
    account = find_account(unit, account_id=account_id)
    count = revoke(unit, account_id=account.id, now=now)  # set_password ends them too, but cannot count them
    try:
        set_password(unit, account=account, password=data.password, now=now)
    except ValueError as exc:  # the backstop, as in add_account; the unit rolls the revocation back
        raise AccountError(str(exc)) from exc
    _record(unit, actor=actor, action="password_changed", account=account, detail={"sessions_revoked": count},
            ip=ip, now=now)
    return AccountOut.of(account)


def end_sessions(unit: Unit, account_id: int, *, actor: Principal | str, ip: str, now: dt.datetime) -> int:
    """End every session and token of an account; returns how many were open."""
    account = find_account(unit, account_id=account_id)
    count = revoke(unit, account_id=account.id, now=now)
    _record(unit, actor=actor, action="sessions_revoked", account=account, detail={"count": count}, ip=ip,
            now=now)
    return count


def read_audit(unit: Unit, query: AuditFilter) -> AuditPage:
    """Audit entries matching ``query``, newest first, one page of at most ``query.limit``."""
    stmt = select(AuditEntry)
    if query.username.strip():
        stmt = stmt.where(col(AuditEntry.username) == query.username.strip().lower())
    if query.action.strip():
        stmt = stmt.where(col(AuditEntry.action) == query.action.strip())
    if query.since is not None:
        stmt = stmt.where(col(AuditEntry.at) >= dt.datetime.combine(query.since, dt.time(), dt.UTC))
    if query.until is not None:
        end = dt.datetime.combine(query.until, dt.time(), dt.UTC) + dt.timedelta(days=1)
        stmt = stmt.where(col(AuditEntry.at) < end)
    if query.before_id is not None:
        stmt = stmt.where(col(AuditEntry.id) < query.before_id)
    rows = unit.session.exec(stmt.order_by(col(AuditEntry.id).desc()).limit(query.limit + 1)).all()
    entries = [AuditOut(id=r.id or 0, at=_aware(r.at), username=r.username, action=r.action, target=r.target,
                        detail=r.detail, ip=r.ip) for r in rows[:query.limit]]
    more = len(rows) > query.limit
    return AuditPage(entries=entries, next_before_id=entries[-1].id if more and entries else None)
