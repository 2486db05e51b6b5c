"""Staff on duty for a unit, and Telegram users linked to console accounts (one transaction each call).

A console account is put on duty for one unit by an admin (the office-hours page); it then sees and
answers that unit's hand-offs and those of the units below (:mod:`api.handoff.scope`). A Telegram
user is linked to a console account with a one-time code the account makes in the console
(``/lienket CODE`` in the staff group): only a SHA-256 of the code is kept, for
:data:`LINK_CODE_TTL`, and a code works once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import delete, insert, select, update

from api.console.principal import Role
from api.store import Unit
from api.store.models import metadata

__all__ = [
    "LINK_ALPHABET",
    "LINK_CODE_LEN",
    "LINK_CODE_TTL",
    "StaffError",
    "StaffView",
    "TelegramStaff",
    "account_for_telegram",
    "list_staff",
    "make_link_code",
    "redeem_link_code",
    "remove_staff",
    "set_staff",
    "telegram_of",
    "unlink_telegram",
]

_staff = metadata.tables["handoff_staff"]
_units = metadata.tables["org_units"]
_accounts = metadata.tables["admin_accounts"]
_tg = metadata.tables["staff_telegram"]

LINK_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
LINK_CODE_LEN = 8
LINK_CODE_TTL = dt.timedelta(minutes=15)
_KV = "handoff:link:"


class StaffError(ValueError):
    """A staff change the tables refuse (unknown account or unit, an admin…): a 4xx for the console."""


@dataclass(frozen=True, slots=True)
class StaffView:
    """An account on duty for a unit."""

    account_id: int
    username: str
    role: str
    unit_id: int
    unit_name: str


@dataclass(frozen=True, slots=True)
class TelegramStaff:
    """The console account behind a Telegram user in the staff group."""

    account_id: int
    username: str
    role: Role


def list_staff(unit: Unit) -> list[StaffView]:
    """Every account on duty, by unit then username."""
    q = (select(_staff.c.account_id, _accounts.c.username, _accounts.c.role, _staff.c.unit_id,
                _units.c.name.label("unit_name"))
         .select_from(_staff.join(_accounts, _accounts.c.id == _staff.c.account_id)
                      .join(_units, _units.c.id == _staff.c.unit_id))
         .order_by(_units.c.name, _accounts.c.username))
    return [StaffView(int(r.account_id), str(r.username), str(r.role), int(r.unit_id), str(r.unit_name))
            for r in unit.connection.execute(q)]


def set_staff(unit: Unit, *, username: str, unit_id: int, now: dt.datetime) -> StaffView:
    """Put an account on duty for a unit (moving it when it was on duty elsewhere)."""
    account = unit.connection.execute(select(_accounts.c.id, _accounts.c.role, _accounts.c.disabled)
                                      .where(_accounts.c.username == username.strip().lower()[:64])).first()
    if account is None:
        raise StaffError(f"no console account named {username.strip()[:64]!r}")
    if account.role == Role.ADMIN.value:
        raise StaffError("an admin sees every hand-off; put a member, editor or viewer account on duty")
    place = unit.connection.execute(select(_units.c.level, _units.c.name).where(_units.c.id == unit_id)).first()
    if place is None or place.level not in ("province", "commune"):
        raise StaffError("staff are on duty for a province or a commune/ward")
    conn = unit.connection
    values = {"unit_id": unit_id, "created_at": now}
    if conn.execute(update(_staff).where(_staff.c.account_id == account.id).values(**values)).rowcount == 0:
        conn.execute(insert(_staff).values(account_id=account.id, **values))
    return StaffView(int(account.id), username.strip().lower(), str(account.role), unit_id, str(place.name))


def remove_staff(unit: Unit, *, account_id: int) -> bool:
    """Take an account off duty; False when it was not on duty."""
    return bool(unit.connection.execute(delete(_staff).where(_staff.c.account_id == account_id)).rowcount == 1)


def _digest(code: str) -> str:
    return hashlib.sha256(code.strip().upper().replace("-", "").replace(" ", "").encode()).hexdigest()


def make_link_code(unit: Unit, *, account_id: int, now: dt.datetime) -> str:
    """A fresh one-time code for ``/lienket CODE`` (valid :data:`LINK_CODE_TTL`)."""
    code = "".join(secrets.choice(LINK_ALPHABET) for _ in range(LINK_CODE_LEN))
    unit.set_kv(key=_KV + _digest(code), value=f"{account_id}|{(now + LINK_CODE_TTL).isoformat()}", now=now)
    return code


def redeem_link_code(unit: Unit, *, code: str, telegram_user_id: int, now: dt.datetime) -> TelegramStaff | None:
    """Link the Telegram user to the code's account (replacing any earlier link of either); None for a
    wrong, used or expired code."""
    if not 4 <= len(code) <= 32:
        return None
    key = _KV + _digest(code)
    value = unit.get_kv(key=key)
    if value is None or not unit.delete_kv_if(key=key, value=value):  # a code works once, even in a race
        return None
    account_text, _, until = value.partition("|")
    try:
        expired = dt.datetime.fromisoformat(until) <= now
        account_id = int(account_text)
    except ValueError:
        return None
    if expired:
        return None
    conn = unit.connection
    conn.execute(delete(_tg).where((_tg.c.telegram_user_id == telegram_user_id) | (_tg.c.account_id == account_id)))
    conn.execute(insert(_tg).values(telegram_user_id=telegram_user_id, account_id=account_id, created_at=now))
    return account_for_telegram(unit, telegram_user_id)


def account_for_telegram(unit: Unit, telegram_user_id: int) -> TelegramStaff | None:
    """The enabled console account linked to a Telegram user, or None."""
    row = unit.connection.execute(
        select(_accounts.c.id, _accounts.c.username, _accounts.c.role)
        .select_from(_tg.join(_accounts, _accounts.c.id == _tg.c.account_id))
        .where(_tg.c.telegram_user_id == telegram_user_id, _accounts.c.disabled.is_(False))).first()
    if row is None:
        return None
    return TelegramStaff(int(row.id), str(row.username), Role(str(row.role)))


def telegram_of(unit: Unit, account_id: int) -> int | None:
    """The Telegram user linked to an account, or None."""
    row = unit.connection.execute(select(_tg.c.telegram_user_id).where(_tg.c.account_id == account_id)).first()
    return int(row.telegram_user_id) if row is not None else None


def unlink_telegram(unit: Unit, *, account_id: int) -> bool:
    """Forget the account's Telegram user; False when none was linked."""
    return bool(unit.connection.execute(delete(_tg).where(_tg.c.account_id == account_id)).rowcount == 1)
