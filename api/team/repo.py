"""Team tables: units, invites, members, their chat accounts, and the counts (one transaction each call).

Every function runs on the connection of a :class:`api.store.Unit`, so it joins the caller's
transaction (a chat turn, a console request). Races between instances are settled by the database:
an invite's uses go up in one conditional ``UPDATE … RETURNING`` (never past ``max_uses``), a chat
account is linked by an ``INSERT … ON CONFLICT DO NOTHING`` on its primary key, and attributions and
completions by ``ON CONFLICT DO NOTHING`` on their unique keys — so parallel requests count exactly.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import string
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import Connection, Date, and_, case, cast, delete, func, insert, literal_column, select, update
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.dialects import sqlite as sqlite_dialect

from api.store import Unit
from api.store.models import metadata

__all__ = [
    "INVITE_ALPHABET",
    "LEVELS",
    "LINKABLE_CHANNELS",
    "REFERRAL_ALPHABET",
    "VN",
    "DayRow",
    "JoinResult",
    "Level",
    "MemberStats",
    "MemberView",
    "TeamError",
    "UnitView",
    "attribute",
    "chats_of",
    "complete",
    "create_invite",
    "create_member",
    "create_unit",
    "daily_rows",
    "get_member",
    "join",
    "link_chat",
    "list_members",
    "list_units",
    "member_by_account",
    "member_by_code",
    "member_for_chat",
    "member_stats",
    "record_help",
    "set_lead",
    "team_rank",
    "unlink_chat",
    "update_member",
    "visible_members",
]

Level = Literal["province", "commune", "team"]
LEVELS: tuple[Level, ...] = ("province", "commune", "team")
_PARENT: dict[str, str | None] = {"province": None, "commune": "province", "team": "commune"}
#: Invite codes: no 0/O or 1/I/L to misread; at most 4 digits, so no masking rule ever takes one
#: for a phone number or a one-time code, and at least one, so the two-word «tham gia CODE» (which
#: needs a digit to tell a code from an ordinary word) always works.
INVITE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
INVITE_LEN = 10
REFERRAL_ALPHABET = string.ascii_letters + string.digits + "_"

_units = metadata.tables["org_units"]
_invites = metadata.tables["invites"]
_members = metadata.tables["members"]
_chats = metadata.tables["member_chats"]
_attr = metadata.tables["attributions"]
_done = metadata.tables["completions"]
_help = metadata.tables["help_records"]
_accounts = metadata.tables["admin_accounts"]
_leads = metadata.tables["team_leads"]

#: The chat channels an admin may link to a member by hand (those a member can write from).
LINKABLE_CHANNELS: tuple[str, ...] = ("telegram", "zalo_oa", "zalo_bot", "web")


class TeamError(ValueError):
    """A request the team tables refuse (unknown unit, wrong level…): a 4xx for the console.

    ``field`` names the form field at fault (``""`` when none), so a page can show it there.
    """

    def __init__(self, message: str, *, field: str = "") -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True, slots=True)
class UnitView:
    """One unit of the tree."""

    id: int
    parent_id: int | None
    level: str
    name: str


@dataclass(frozen=True, slots=True)
class MemberView:
    """A member with their team's name; ``lead``: they lead that team (see their team's counts)."""

    id: int
    display_name: str
    unit_id: int
    team_name: str
    referral_code: str
    account_id: int | None
    active: bool
    lead: bool = False


@dataclass(frozen=True, slots=True)
class JoinResult:
    """What ``/thamgia`` did: ``joined``, ``already`` (a member before) or ``bad_code``."""

    outcome: Literal["joined", "already", "bad_code"]
    member: MemberView | None = None


@dataclass(frozen=True, slots=True)
class MemberStats:
    """A member's counts (counts only: never which citizens)."""

    member_id: int
    name: str
    unit_id: int
    team_name: str
    reached: int = 0
    completed: int = 0
    completed_citizens: int = 0
    in_person: int = 0

    @property
    def helped(self) -> int:
        """Citizens who finished a guide through the member's links, plus in-person help."""
        return self.completed_citizens + self.in_person


@dataclass(frozen=True, slots=True)
class DayRow:
    """One member's counts on one day (Vietnam time)."""

    day: dt.date
    member_id: int
    reached: int = 0
    completed: int = 0
    in_person: int = 0


def _ins(conn: Connection, table: Any) -> Any:
    return pg.insert(table) if conn.dialect.name == "postgresql" else sqlite_dialect.insert(table)


def _hash(code: str) -> str:
    return hashlib.sha256(code.strip().upper().replace("-", "").encode()).hexdigest()


# -- units and invites ------------------------------------------------------------------------------


def create_unit(unit: Unit, *, level: str, name: str, parent_id: int | None, now: dt.datetime) -> UnitView:
    """Add a unit under its parent (province → commune or ward → team); TeamError when the tree says no."""
    if level not in _PARENT:
        raise TeamError(f"level must be one of {', '.join(LEVELS)}")
    name = " ".join(name.split())
    if not 1 <= len(name) <= 200:
        raise TeamError("a unit's name has 1-200 characters")
    want = _PARENT[level]
    if want is None and parent_id is not None:
        raise TeamError("a province has no parent")
    if want is not None:
        parent = _unit(unit, parent_id) if parent_id is not None else None
        if parent is None or parent.level != want:
            raise TeamError(f"a {level} needs a parent {want}")
    new_id = unit.connection.execute(
        insert(_units).values(parent_id=parent_id, level=level, name=name, created_at=now).returning(_units.c.id)
    ).scalar_one()
    return UnitView(int(new_id), parent_id, level, name)


def _unit(unit: Unit, unit_id: int | None) -> UnitView | None:
    if unit_id is None:
        return None
    row = unit.connection.execute(
        select(_units.c.id, _units.c.parent_id, _units.c.level, _units.c.name).where(_units.c.id == unit_id)
    ).first()
    return UnitView(*row) if row is not None else None


def list_units(unit: Unit) -> list[UnitView]:
    """Every unit, by level then name."""
    rows = unit.connection.execute(select(_units.c.id, _units.c.parent_id, _units.c.level, _units.c.name)
                                   .order_by(_units.c.id))
    return [UnitView(*r) for r in rows]


def create_invite(unit: Unit, *, unit_id: int, expires_at: dt.datetime, max_uses: int, by: str,
                  now: dt.datetime) -> str:
    """A new invite code to a team (returned once; only its hash is stored)."""
    team = _unit(unit, unit_id)
    if team is None or team.level != "team":
        raise TeamError("invites are to a team (a unit of level 'team')")
    if not 1 <= max_uses <= 1000:
        raise TeamError("max_uses is 1-1000")
    if expires_at <= now:
        raise TeamError("the expiry must be in the future")
    while True:
        code = "".join(secrets.choice(INVITE_ALPHABET) for _ in range(INVITE_LEN))
        if not 1 <= sum(c.isdigit() for c in code) <= 4:
            continue
        stmt = _ins(unit.connection, _invites).values(
            code_hash=_hash(code), unit_id=unit_id, expires_at=expires_at, max_uses=max_uses, uses=0,
            created_by=by[:64], created_at=now,
        ).on_conflict_do_nothing(index_elements=[_invites.c.code_hash]).returning(_invites.c.id)
        if unit.connection.execute(stmt).first() is not None:
            return code


def _redeem(unit: Unit, code: str, now: dt.datetime) -> int | None:
    """Spend one use of an invite; its team, or None (unknown, expired, used up)."""
    stmt = (
        update(_invites)
        .where(_invites.c.code_hash == _hash(code), _invites.c.uses < _invites.c.max_uses, _invites.c.expires_at > now)
        .values(uses=_invites.c.uses + 1)
        .returning(_invites.c.unit_id)
    )
    found = unit.connection.execute(stmt).scalar()
    return int(found) if found is not None else None


# -- members ------------------------------------------------------------------------------------------

_MEMBER_COLS = (_members.c.id, _members.c.display_name, _members.c.unit_id, _units.c.name,
                _members.c.referral_code, _members.c.account_id, _members.c.active,
                _leads.c.member_id.is_not(None))


def _member_query() -> Any:
    return select(*_MEMBER_COLS).select_from(
        _members.join(_units, _units.c.id == _members.c.unit_id)
        .outerjoin(_leads, _leads.c.member_id == _members.c.id))


def _view(row: Any) -> MemberView:
    return MemberView(int(row[0]), row[1], int(row[2]), row[3], row[4], row[5], bool(row[6]), bool(row[7]))


def get_member(unit: Unit, member_id: int) -> MemberView | None:
    """One member, or None."""
    row = unit.connection.execute(_member_query().where(_members.c.id == member_id)).first()
    return _view(row) if row is not None else None


def member_by_account(unit: Unit, account_id: int) -> MemberView | None:
    """The member record of a console account (role member), or None."""
    row = unit.connection.execute(_member_query().where(_members.c.account_id == account_id)).first()
    return _view(row) if row is not None else None


def member_by_code(unit: Unit, code: str) -> MemberView | None:
    """The active member with this referral code, or None."""
    row = unit.connection.execute(_member_query().where(_members.c.referral_code == code,
                                                        _members.c.active.is_(True))).first()
    return _view(row) if row is not None else None


def member_for_chat(unit: Unit, *, channel: str, external_id: str) -> MemberView | None:
    """The active member a chat account belongs to, or None."""
    q = _member_query().join(_chats, _chats.c.member_id == _members.c.id).where(
        _chats.c.channel == channel, _chats.c.external_id == external_id, _members.c.active.is_(True))
    row = unit.connection.execute(q).first()
    return _view(row) if row is not None else None


def list_members(unit: Unit, *, unit_ids: Iterable[int] | None = None) -> list[MemberView]:
    """Active members, optionally only those of some units."""
    q = _member_query().where(_members.c.active.is_(True)).order_by(_members.c.id)
    if unit_ids is not None:
        q = q.where(_members.c.unit_id.in_(list(unit_ids)))
    return [_view(r) for r in unit.connection.execute(q)]


def create_member(unit: Unit, *, display_name: str, unit_id: int, now: dt.datetime,
                  account_id: int | None = None) -> MemberView:
    """A new member of a team with a fresh referral code."""
    team = _unit(unit, unit_id)
    if team is None or team.level != "team":
        raise TeamError("a member belongs to a team (a unit of level 'team')", field="unit_id")
    if account_id is not None:
        _check_account(unit, account_id)
    name = " ".join(display_name.split())[:128]
    while True:
        code = "".join(secrets.choice(REFERRAL_ALPHABET) for _ in range(8))
        stmt = _ins(unit.connection, _members).values(
            display_name=name, unit_id=unit_id, account_id=account_id, referral_code=code, active=True,
            created_at=now,
        ).on_conflict_do_nothing(index_elements=[_members.c.referral_code]).returning(_members.c.id)
        new_id = unit.connection.execute(stmt).scalar()
        if new_id is not None:
            if not name:
                name = f"Thành viên {new_id}"
                unit.connection.execute(update(_members).where(_members.c.id == new_id).values(display_name=name))
            return MemberView(int(new_id), name, unit_id, team.name, code, account_id, True)


def _check_account(unit: Unit, account_id: int) -> None:
    """A console account may back one member record, and only an enabled account of role member."""
    row = unit.connection.execute(select(_accounts.c.role, _accounts.c.disabled)
                                  .where(_accounts.c.id == account_id)).first()
    if row is None or row[0] != "member" or row[1]:
        raise TeamError("the console account must be an enabled account of role 'member'", field="account_id")
    if member_by_account(unit, account_id) is not None:
        raise TeamError("this console account already has a member record", field="account_id")


def update_member(unit: Unit, *, member_id: int, unit_id: int | None = None, display_name: str | None = None,
                  active: bool | None = None) -> MemberView:
    """Move a member to another team, rename, or remove them.

    Removing keeps the counts but makes the record inactive: its links stop attributing, its chat
    accounts are unlinked and its console account is released (it may back a new record later).
    A lead leads the team they are in: moving them to another team, or removing them, ends it.
    """
    member = get_member(unit, member_id)
    if member is None:
        raise LookupError("no such member")
    values: dict[str, Any] = {}
    if unit_id is not None:
        team = _unit(unit, unit_id)
        if team is None or team.level != "team":
            raise TeamError("a member belongs to a team (a unit of level 'team')", field="unit_id")
        values["unit_id"] = unit_id
    if display_name is not None:
        name = " ".join(display_name.split())[:128]
        if not name:
            raise TeamError("a member's name has 1-128 characters", field="display_name")
        values["display_name"] = name
    if active is not None:
        values["active"] = active
        if not active:
            unit.connection.execute(delete(_chats).where(_chats.c.member_id == member_id))
            values["account_id"] = None
    if (active is False or (unit_id is not None and unit_id != member.unit_id)) and member.lead:
        unit.connection.execute(delete(_leads).where(_leads.c.member_id == member_id))
    if values:
        unit.connection.execute(update(_members).where(_members.c.id == member_id).values(**values))
    updated = get_member(unit, member_id)
    assert updated is not None
    return updated


def set_lead(unit: Unit, *, member_id: int, lead: bool, by: str, now: dt.datetime) -> bool:
    """Make an active member the lead of their team, or not; False when nothing changed.

    A team may have several leads (a lead and a deputy): each sees the team's counts.
    """
    member = get_member(unit, member_id)
    if member is None or not member.active:
        raise LookupError("no such member")
    if not lead:
        return bool(unit.connection.execute(delete(_leads).where(_leads.c.member_id == member_id)).rowcount)
    made = unit.connection.execute(
        _ins(unit.connection, _leads).values(member_id=member_id, appointed_by=by[:64], appointed_at=now)
        .on_conflict_do_nothing(index_elements=[_leads.c.member_id]).returning(_leads.c.member_id)
    ).first()
    return made is not None


def visible_members(unit: Unit, member: MemberView | None) -> list[MemberView]:
    """Whose counts a member may see: a team lead every active member of their team, anyone else themself.

    Counts only: the callers show member names and numbers, never a citizen.
    """
    if member is None or not member.active:
        return []
    if not member.lead:
        return [member]
    return list_members(unit, unit_ids=[member.unit_id])


def chats_of(unit: Unit, *, member_ids: Iterable[int]) -> dict[int, list[tuple[str, str]]]:
    """The chat accounts (channel, external id) linked to each member, by channel then id."""
    ids = list(member_ids)
    out: dict[int, list[tuple[str, str]]] = {i: [] for i in ids}
    if ids:
        rows = unit.connection.execute(select(_chats.c.member_id, _chats.c.channel, _chats.c.external_id)
                                       .where(_chats.c.member_id.in_(ids))
                                       .order_by(_chats.c.channel, _chats.c.external_id))
        for member_id, channel, external_id in rows:
            out[int(member_id)].append((channel, external_id))
    return out


def link_chat(unit: Unit, *, member_id: int, channel: str, external_id: str, now: dt.datetime) -> bool:
    """Link a chat account to an active member (as ``/thamgia`` does); False when it already was.

    A chat account belongs to at most one member: one linked to someone else is refused.
    """
    member = get_member(unit, member_id)
    if member is None or not member.active:
        raise LookupError("no such member")
    if channel not in LINKABLE_CHANNELS:
        raise TeamError(f"channel must be one of {', '.join(LINKABLE_CHANNELS)}", field="channel")
    external_id = external_id.strip()
    if not 1 <= len(external_id) <= 128 or any(c.isspace() for c in external_id):
        raise TeamError("a chat account id has 1-128 characters and no spaces", field="external_id")
    linked = unit.connection.execute(
        _ins(unit.connection, _chats)
        .values(channel=channel, external_id=external_id, member_id=member_id, created_at=now)
        .on_conflict_do_nothing(index_elements=[_chats.c.channel, _chats.c.external_id])
        .returning(_chats.c.member_id)
    ).first()
    if linked is not None:
        return True
    owner = unit.connection.execute(select(_chats.c.member_id).where(
        _chats.c.channel == channel, _chats.c.external_id == external_id)).scalar()
    if owner != member_id:
        raise TeamError("this chat account belongs to another member", field="external_id")
    return False


def unlink_chat(unit: Unit, *, member_id: int, channel: str, external_id: str) -> bool:
    """Unlink a chat account from a member; False when it was not linked to them."""
    gone = unit.connection.execute(delete(_chats).where(
        _chats.c.member_id == member_id, _chats.c.channel == channel, _chats.c.external_id == external_id))
    return bool(gone.rowcount)


def join(unit: Unit, *, channel: str, external_id: str, code: str, display_name: str, now: dt.datetime) -> JoinResult:
    """Link a chat account to a new member of the invite's team (``/thamgia``)."""
    existing = member_for_chat(unit, channel=channel, external_id=external_id)
    if existing is not None:
        return JoinResult("already", existing)
    team_id = _redeem(unit, code, now)
    if team_id is None:
        return JoinResult("bad_code")
    member = create_member(unit, display_name=display_name, unit_id=team_id, now=now)
    linked = unit.connection.execute(
        _ins(unit.connection, _chats)
        .values(channel=channel, external_id=external_id, member_id=member.id, created_at=now)
        .on_conflict_do_nothing(index_elements=[_chats.c.channel, _chats.c.external_id])
        .returning(_chats.c.member_id)
    ).first()
    if linked is None:
        # The same chat account joined in a parallel request (or an inactive member kept the link):
        # take this request's member back and give the invite its use back.
        unit.connection.execute(delete(_members).where(_members.c.id == member.id))
        unit.connection.execute(update(_invites).where(_invites.c.code_hash == _hash(code))
                                .values(uses=_invites.c.uses - 1))
        again = member_for_chat(unit, channel=channel, external_id=external_id)
        return JoinResult("already", again) if again is not None else JoinResult("bad_code")
    return JoinResult("joined", member)


# -- counting -------------------------------------------------------------------------------------------


def attribute(unit: Unit, *, user_id: int, channel: str, external_id: str, code: str, now: dt.datetime) -> bool:
    """First-touch attribution of a citizen to the member whose referral code brought them.

    An unknown or inactive code, a member's own chat account (any member's) and a citizen already
    attributed change nothing (False).
    """
    member_id = unit.connection.execute(
        select(_members.c.id).where(_members.c.referral_code == code, _members.c.active.is_(True))
    ).scalar()
    if member_id is None:
        return False
    is_member = unit.connection.execute(
        select(_chats.c.member_id).where(_chats.c.channel == channel, _chats.c.external_id == external_id)
    ).first()
    if is_member is not None:
        return False
    stmt = _ins(unit.connection, _attr).values(user_id=user_id, member_id=member_id, at=now)
    stmt = stmt.on_conflict_do_nothing(index_elements=[_attr.c.user_id]).returning(_attr.c.id)
    return unit.connection.execute(stmt).first() is not None


def complete(unit: Unit, *, user_id: int, flow: str, now: dt.datetime) -> bool:
    """A citizen finished a guide: credited once to the member they are attributed to (False if none)."""
    member_id = unit.connection.execute(select(_attr.c.member_id).where(_attr.c.user_id == user_id)).scalar()
    if member_id is None:
        return False
    stmt = _ins(unit.connection, _done).values(user_id=user_id, member_id=member_id, flow=flow[:32], at=now)
    stmt = stmt.on_conflict_do_nothing(
        index_elements=[_done.c.user_id, _done.c.member_id, _done.c.flow]).returning(_done.c.id)
    return unit.connection.execute(stmt).first() is not None


def record_help(unit: Unit, *, member_id: int, kind: str, count: int, now: dt.datetime) -> int:
    """Record in-person help; returns the member's in-person total."""
    unit.connection.execute(insert(_help).values(member_id=member_id, kind=kind, count=count, at=now))
    total = unit.connection.execute(
        select(func.coalesce(func.sum(_help.c.count), 0)).where(_help.c.member_id == member_id)).scalar_one()
    return int(total)


def _window(column: Any, since: dt.datetime | None, until: dt.datetime | None) -> list[Any]:
    out = []
    if since is not None:
        out.append(column >= since)
    if until is not None:
        out.append(column < until)
    return out


def member_stats(unit: Unit, *, members: Sequence[MemberView], since: dt.datetime | None = None,
                 until: dt.datetime | None = None) -> list[MemberStats]:
    """Counts per member (in ``members`` order), within [since, until) when given."""
    ids = [m.id for m in members]
    if not ids:
        return []
    c = unit.connection
    reached: dict[int, int] = dict(c.execute(select(_attr.c.member_id, func.count()).where(
        _attr.c.member_id.in_(ids), *_window(_attr.c.at, since, until)).group_by(_attr.c.member_id)).all())
    # An anonymised row (its citizen deleted their data) counts as a citizen of its own.
    citizen = case((_done.c.user_id.is_(None), -_done.c.id), else_=_done.c.user_id)
    done = {r[0]: (int(r[1]), int(r[2])) for r in c.execute(
        select(_done.c.member_id, func.count(), func.count(func.distinct(citizen))).where(
            _done.c.member_id.in_(ids), *_window(_done.c.at, since, until)).group_by(_done.c.member_id))}
    helped: dict[int, int | None] = dict(c.execute(select(_help.c.member_id, func.sum(_help.c.count)).where(
        _help.c.member_id.in_(ids), *_window(_help.c.at, since, until)).group_by(_help.c.member_id)).all())
    return [
        MemberStats(m.id, m.display_name, m.unit_id, m.team_name, int(reached.get(m.id, 0)),
                    done.get(m.id, (0, 0))[0], done.get(m.id, (0, 0))[1], int(helped.get(m.id) or 0))
        for m in members
    ]


#: Days are counted in Vietnam time (UTC+7, no daylight saving).
VN = dt.timezone(dt.timedelta(hours=7))


def _vn_day(conn: Connection, column: Any) -> Any:
    """SQL for the Vietnam day (UTC+7, no daylight saving) of a UTC timestamp column."""
    if conn.dialect.name == "postgresql":
        return cast(func.timezone("UTC", column) + literal_column("INTERVAL '7 hours'"), Date)
    return func.date(column, "+7 hours")  # SQLite keeps UTC timestamps as text


def daily_rows(unit: Unit, *, member_ids: Sequence[int], since: dt.datetime | None = None,
               until: dt.datetime | None = None) -> list[DayRow]:
    """Counts per member and day (Vietnam time), oldest first; grouped in the database."""
    if not member_ids:
        return []
    c = unit.connection
    acc: dict[tuple[dt.date, int], list[int]] = defaultdict(lambda: [0, 0, 0])
    sources = ((_attr, func.count(), 0), (_done, func.count(), 1), (_help, func.sum(_help.c.count), 2))
    for table, amount, slot in sources:
        day = _vn_day(c, table.c.at).label("day")
        q = (select(table.c.member_id, day, amount)
             .where(table.c.member_id.in_(list(member_ids)), *_window(table.c.at, since, until))
             .group_by(table.c.member_id, day))
        for member_id, when, total in c.execute(q):
            when = when if isinstance(when, dt.date) else dt.date.fromisoformat(str(when))
            acc[(when, int(member_id))][slot] += int(total or 0)
    return [DayRow(day, mid, *counts) for (day, mid), counts in sorted(acc.items())]


def team_rank(unit: Unit, *, team_id: int) -> tuple[int, int, str] | None:
    """(rank, teams, commune name) of a team among the teams of its commune, by citizens helped."""
    team = _unit(unit, team_id)
    commune = _unit(unit, team.parent_id) if team is not None else None
    if team is None or commune is None:
        return None
    teams = [r[0] for r in unit.connection.execute(select(_units.c.id).where(
        and_(_units.c.parent_id == commune.id, _units.c.level == "team")))]
    members = list_members(unit, unit_ids=teams)
    totals = dict.fromkeys(teams, 0)
    for s in member_stats(unit, members=members):
        totals[s.unit_id] += s.helped
    mine = totals.get(team_id, 0)
    return 1 + sum(1 for t in teams if totals[t] > mine), len(teams), commune.name
