"""Hand-off tables: open, append, claim, close, escalate, list (on the caller's :class:`api.store.Unit`).

Races are settled by the database: a claim is one conditional ``UPDATE … WHERE status IN ('open',
'escalated')`` and only the statement that changed the row wins (on SQLite one writer at a time, on
PostgreSQL the second ``UPDATE`` waits for the first and then finds the row no longer claimable).
Closing and escalating are conditional the same way. At most one hand-off per citizen is active: it
is opened inside the chat turn, which holds the citizen's session row locked.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, bindparam, delete, false, insert, or_, select, update

from api.handoff.hours import DEFAULT_PICKUP_MINUTES, Hours, parse_schedule
from api.handoff.scope import Scope
from api.store import Unit
from api.store.models import metadata

__all__ = [
    "ACTIVE",
    "HandoffView",
    "LineView",
    "active_for_user",
    "add_line",
    "citizen_unit",
    "claim",
    "clear_hours",
    "close",
    "escalate",
    "get",
    "history",
    "hours_for",
    "lines",
    "list_handoffs",
    "open_handoff",
    "overdue",
    "own_hours",
    "province_of",
    "set_hours",
    "unit_name",
    "web_lines",
]

ACTIVE = ("open", "escalated", "claimed")
_h = metadata.tables["handoffs"]
_m = metadata.tables["handoff_messages"]
_hours = metadata.tables["handoff_hours"]
_units = metadata.tables["org_units"]
_log = metadata.tables["message_log"]
_attr = metadata.tables["attributions"]
_members = metadata.tables["members"]


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    if value is None:
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


@dataclass(frozen=True, slots=True)
class HandoffView:
    """One hand-off as staff see it (no personal numbers: the texts were masked on the way in)."""

    id: int
    user_id: int
    channel: str
    chat_id: str | None
    context: Mapping[str, Any] | None
    unit_id: int | None
    unit_name: str
    reason: str
    status: str
    claimed_by: str | None
    claimed_at: dt.datetime | None
    due_at: dt.datetime
    escalated_at: dt.datetime | None
    closed_at: dt.datetime | None
    created_at: dt.datetime

    def as_dict(self) -> dict[str, Any]:
        """The JSON of the admin API (no chat ids: staff reply through the hand-off, not to a number)."""
        return {"id": self.id, "channel": self.channel, "unit_id": self.unit_id, "unit": self.unit_name,
                "reason": self.reason, "status": self.status, "claimed_by": self.claimed_by,
                "claimed_at": _iso(self.claimed_at), "due_at": _iso(self.due_at),
                "escalated_at": _iso(self.escalated_at), "closed_at": _iso(self.closed_at),
                "created_at": _iso(self.created_at)}


@dataclass(frozen=True, slots=True)
class LineView:
    """One line of the conversation: ``citizen``, ``bot``, ``staff`` or ``system`` (told to the citizen)."""

    id: int
    author: str
    text: str
    staff: str | None
    at: dt.datetime

    def as_dict(self) -> dict[str, Any]:
        """JSON shape."""
        return {"id": self.id, "author": self.author, "text": self.text, "staff": self.staff, "at": _iso(self.at)}


def _query() -> Any:
    return select(_h, _units.c.name.label("unit_name")).select_from(
        _h.outerjoin(_units, _units.c.id == _h.c.unit_id))


def _view(row: Any) -> HandoffView:
    due = _aware(row.due_at)
    created = _aware(row.created_at)
    assert due is not None and created is not None
    return HandoffView(row.id, row.user_id, row.channel, row.chat_id, row.context, row.unit_id,
                       row.unit_name or "cấp tỉnh", row.reason, row.status, row.claimed_by, _aware(row.claimed_at),
                       due, _aware(row.escalated_at), _aware(row.closed_at), created)


def get(unit: Unit, handoff_id: int) -> HandoffView | None:
    """One hand-off by id."""
    row = unit.connection.execute(_query().where(_h.c.id == handoff_id)).first()
    return _view(row) if row is not None else None


@functools.cache
def _active_for_user() -> Any:
    # Asked on every turn: built once (building a statement costs more than running it on SQLite).
    return (_query().where(_h.c.user_id == bindparam("p_user"), _h.c.status.in_(ACTIVE))
            .order_by(_h.c.id.desc()).limit(1))


def active_for_user(unit: Unit, user_id: int) -> HandoffView | None:
    """The citizen's waiting or held hand-off, if any."""
    row = unit.connection.execute(_active_for_user(), {"p_user": user_id}).first()
    return _view(row) if row is not None else None


def list_handoffs(unit: Unit, *, statuses: Sequence[str] = (), unit_id: int | None = None,
                  scope: Scope | None = None, limit: int = 200) -> list[HandoffView]:
    """Hand-offs, oldest waiting first; filtered by status, unit and what the account may see."""
    q = _query()
    if statuses:
        q = q.where(_h.c.status.in_(list(statuses)))
    if unit_id is not None:
        q = q.where(_h.c.unit_id == unit_id)
    if scope is not None and not scope.everything:
        allowed = [_h.c.unit_id.in_(sorted(scope.unit_ids))] if scope.unit_ids else []
        if scope.province_queue:
            allowed.append(_h.c.unit_id.is_(None))
        q = q.where(or_(*allowed) if allowed else false())
    return [_view(r) for r in unit.connection.execute(q.order_by(_h.c.created_at, _h.c.id).limit(limit))]


def open_handoff(unit: Unit, *, user_id: int, channel: str, chat_id: str | None, context: Mapping[str, Any] | None,
                 unit_id: int | None, reason: str, due_at: dt.datetime, now: dt.datetime) -> int:
    """A new waiting hand-off; its id."""
    result = unit.connection.execute(insert(_h).values(
        user_id=user_id, channel=channel, chat_id=chat_id, context=dict(context) if context else None,
        unit_id=unit_id, reason=reason[:32], status="open", due_at=due_at, created_at=now).returning(_h.c.id))
    return int(result.scalar_one())


def add_line(unit: Unit, *, handoff_id: int, author: str, text: str, now: dt.datetime, staff: str | None = None) -> int:
    """Append a line; its id."""
    result = unit.connection.execute(insert(_m).values(
        handoff_id=handoff_id, author=author, staff=staff, text=text, created_at=now).returning(_m.c.id))
    return int(result.scalar_one())


def lines(unit: Unit, handoff_id: int) -> list[LineView]:
    """The hand-off's lines in order."""
    rows = unit.connection.execute(select(_m).where(_m.c.handoff_id == handoff_id).order_by(_m.c.id))
    return [LineView(r.id, r.author, r.text, r.staff, _aware(r.created_at) or r.created_at) for r in rows]


def web_lines(unit: Unit, *, user_id: int, after: int) -> list[LineView]:
    """Lines for the citizen (staff replies and notices) after ``after``, across their hand-offs."""
    q = (select(_m).select_from(_m.join(_h, _h.c.id == _m.c.handoff_id))
         .where(_h.c.user_id == user_id, _m.c.id > after, _m.c.author.in_(("staff", "system")))
         .order_by(_m.c.id).limit(50))
    return [LineView(r.id, r.author, r.text, r.staff, _aware(r.created_at) or r.created_at)
            for r in unit.connection.execute(q)]


def history(unit: Unit, *, user_id: int, until: dt.datetime, limit: int = 20) -> list[LineView]:
    """The conversation before the hand-off, from the (masked) message log, oldest first."""
    q = (select(_log.c.id, _log.c.direction, _log.c.text, _log.c.created_at)
         .where(_log.c.user_id == user_id, _log.c.created_at <= until, _log.c.text.is_not(None))
         .order_by(_log.c.id.desc()).limit(limit))
    rows = list(unit.connection.execute(q))[::-1]
    return [LineView(r.id, "citizen" if r.direction == "in" else "bot", r.text, None,
                     _aware(r.created_at) or r.created_at) for r in rows]


def _set_status(unit: Unit, handoff_id: int, allowed: Sequence[str], **values: Any) -> bool:
    result = unit.connection.execute(
        update(_h).where(and_(_h.c.id == handoff_id, _h.c.status.in_(list(allowed)))).values(**values))
    return bool(result.rowcount == 1)


def claim(unit: Unit, *, handoff_id: int, staff: str, now: dt.datetime) -> bool:
    """Take a waiting hand-off; False when someone else already holds it (or it is closed)."""
    return _set_status(unit, handoff_id, ("open", "escalated"), status="claimed", claimed_by=staff[:64],
                       claimed_at=now)


def close(unit: Unit, *, handoff_id: int, staff: str, now: dt.datetime) -> bool:
    """Close a hand-off (any active state); False when it was already closed."""
    return _set_status(unit, handoff_id, ACTIVE, status="closed", closed_by=staff[:64], closed_at=now)


def escalate(unit: Unit, *, handoff_id: int, unit_id: int | None, due_at: dt.datetime, now: dt.datetime) -> bool:
    """Move an unclaimed hand-off to the province queue; False when it was claimed meanwhile."""
    return _set_status(unit, handoff_id, ("open",), status="escalated", unit_id=unit_id, escalated_at=now,
                       due_at=due_at)


def overdue(unit: Unit, *, now: dt.datetime, limit: int = 100) -> list[HandoffView]:
    """Open hand-offs past their pick-up time."""
    q = _query().where(_h.c.status == "open", _h.c.due_at <= now).order_by(_h.c.due_at).limit(limit)
    return [_view(r) for r in unit.connection.execute(q)]


def _unit_row(unit: Unit, unit_id: int | None) -> Any:
    if unit_id is None:
        return None
    return unit.connection.execute(select(_units).where(_units.c.id == unit_id)).first()


def unit_name(unit: Unit, unit_id: int | None) -> str:
    """A unit's name, or «cấp tỉnh» for the province queue."""
    row = _unit_row(unit, unit_id)
    return str(row.name) if row is not None else "cấp tỉnh"


def province_of(unit: Unit, unit_id: int | None) -> int | None:
    """The province above a unit (itself when it is one); None when there is no such unit."""
    row = _unit_row(unit, unit_id)
    for _ in range(4):
        if row is None or row.level == "province":
            break
        row = _unit_row(unit, row.parent_id)
    return int(row.id) if row is not None else None


def citizen_unit(unit: Unit, user_id: int) -> int | None:
    """The commune of the team member whose link brought the citizen (their first touch), else None.

    A citizen's own address is never asked for: attribution is the only link the bot has. A team
    unit answers through its commune; a member placed at the province level leaves it to the province.
    """
    row = unit.connection.execute(
        select(_members.c.unit_id).select_from(_attr.join(_members, _members.c.id == _attr.c.member_id))
        .where(_attr.c.user_id == user_id)).first()
    current = _unit_row(unit, row.unit_id if row is not None else None)
    if current is not None and current.level == "team":
        current = _unit_row(unit, current.parent_id)
    return int(current.id) if current is not None and current.level == "commune" else None


def hours_for(unit: Unit, unit_id: int | None) -> Hours:
    """The unit's office hours, else its parent's, else the default (Monday–Friday office hours)."""
    current = unit_id
    for _ in range(4):
        if current is None:
            break
        row = unit.connection.execute(select(_hours).where(_hours.c.unit_id == current)).first()
        if row is not None:
            return Hours(parse_schedule(row.schedule), int(row.pickup_minutes))
        parent = _unit_row(unit, current)
        current = parent.parent_id if parent is not None else None
    return Hours.default()


def set_hours(unit: Unit, *, unit_id: int, schedule: Mapping[str, list[str]],
              pickup_minutes: int = DEFAULT_PICKUP_MINUTES, now: dt.datetime) -> None:
    """Set a unit's office hours (validated; raises :class:`api.handoff.hours.HoursError`)."""
    parse_schedule(schedule)
    conn = unit.connection
    values = {"schedule": {k: list(v) for k, v in schedule.items()}, "pickup_minutes": pickup_minutes,
              "updated_at": now}
    if conn.execute(update(_hours).where(_hours.c.unit_id == unit_id).values(**values)).rowcount == 0:
        conn.execute(insert(_hours).values(unit_id=unit_id, **values))


def own_hours(unit: Unit, unit_id: int) -> tuple[dict[str, list[str]], int] | None:
    """The unit's own schedule and pick-up minutes as stored, or None when it inherits."""
    row = unit.connection.execute(select(_hours).where(_hours.c.unit_id == unit_id)).first()
    if row is None:
        return None
    return {k: list(v) for k, v in dict(row.schedule).items()}, int(row.pickup_minutes)


def clear_hours(unit: Unit, *, unit_id: int) -> bool:
    """Drop the unit's own hours (it inherits its parent's again); False when it had none."""
    return bool(unit.connection.execute(delete(_hours).where(_hours.c.unit_id == unit_id)).rowcount == 1)
