"""Which hand-offs a console account sees and may act on (its unit and below).

* Admins see every hand-off.
* An account an admin put on duty for a unit (``handoff_staff``, the «Cán bộ trực» part of the
  office-hours page) is staff of that unit, whatever its role: a commune's staff see the hand-offs
  routed to that commune; a province's staff see the province queue (hand-offs with no unit), the
  escalations moved up to the province, and every commune below.
* Otherwise a ``member`` account is staff of the unit of its member record (the team page links the two):
  a team's member answers for the team's commune (hand-offs are routed to communes, never teams).
  A ``member`` account with neither, or whose member record was removed, sees nothing.
* ``editor`` and ``viewer`` accounts not put on duty for a unit are the central console staff and
  see every hand-off, as admins do.

Another unit's hand-off is answered as if it did not exist (404), so ids do not reveal anything.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from api.console.principal import Principal, Role
from api.store import Unit
from api.store.models import metadata

__all__ = ["Scope", "scope_for", "scope_for_account"]

_units = metadata.tables["org_units"]
_members = metadata.tables["members"]
_staff = metadata.tables["handoff_staff"]


@dataclass(frozen=True, slots=True)
class Scope:
    """The hand-offs an account may see: all, or those of ``unit_ids`` (and the province queue)."""

    everything: bool
    unit_ids: frozenset[int] = frozenset()
    province_queue: bool = False
    #: The unit the account answers for (None for admins, editors, viewers and unlinked members).
    home: int | None = None

    @property
    def nothing(self) -> bool:
        """True when the account sees no hand-off at all (a member account not tied to a unit)."""
        return not self.everything and not self.unit_ids and not self.province_queue

    def allows(self, unit_id: int | None) -> bool:
        """True when a hand-off routed to ``unit_id`` (None: the province queue) is in this scope."""
        if self.everything:
            return True
        return self.province_queue if unit_id is None else unit_id in self.unit_ids


_ALL = Scope(everything=True)
_NONE = Scope(everything=False)


def _subtree(unit: Unit, root: int) -> frozenset[int]:
    rows = list(unit.connection.execute(select(_units.c.id, _units.c.parent_id)))
    children: dict[int | None, list[int]] = {}
    for r in rows:
        children.setdefault(r.parent_id, []).append(int(r.id))
    found, todo = {root}, [root]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return frozenset(found)


def scope_for_account(unit: Unit, *, account_id: int, role: Role) -> Scope:
    """The scope of a console account (see the module docstring)."""
    if role is Role.ADMIN:
        return _ALL
    duty = unit.connection.execute(
        select(_units.c.id, _units.c.level, _units.c.parent_id)
        .select_from(_staff.join(_units, _units.c.id == _staff.c.unit_id))
        .where(_staff.c.account_id == account_id)).first()
    if duty is None and role is not Role.MEMBER:
        return _ALL
    row = duty if duty is not None else unit.connection.execute(
        select(_units.c.id, _units.c.level, _units.c.parent_id)
        .select_from(_members.join(_units, _units.c.id == _members.c.unit_id))
        .where(_members.c.account_id == account_id, _members.c.active.is_(True))).first()
    if row is None:
        return _NONE
    home, level = int(row.id), str(row.level)
    if level == "team" and row.parent_id is not None:
        home = int(row.parent_id)
        parent = unit.connection.execute(select(_units.c.level).where(_units.c.id == home)).first()
        level = str(parent.level) if parent is not None else "commune"
    return Scope(everything=False, unit_ids=_subtree(unit, home), province_queue=level == "province", home=home)


def scope_for(unit: Unit, who: Principal) -> Scope:
    """The scope of the account behind a request."""
    return scope_for_account(unit, account_id=who.account_id, role=who.role)
