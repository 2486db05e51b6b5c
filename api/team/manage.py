"""Audited member changes, shared by the admin REST API and the console pages.

Each function runs in the caller's transaction (one :class:`api.store.Unit`): the change and its
audit line are saved together or not at all. A refusal is a :class:`api.team.repo.TeamError`
(naming the field at fault) or a ``LookupError`` (no such member), raised before anything is written.
"""

from __future__ import annotations

import datetime as dt

from api.console.security import Principal, audit
from api.store import Unit
from api.team import repo

__all__ = ["add_member", "change_member", "link_chat", "unlink_chat"]


def add_member(unit: Unit, *, display_name: str, unit_id: int, account_id: int | None, who: Principal, ip: str,
               now: dt.datetime) -> repo.MemberView:
    """Add a member to a team, optionally backed by a console account of role member."""
    if not " ".join(display_name.split()):
        raise repo.TeamError("a member's name has 1-128 characters", field="display_name")
    member = repo.create_member(unit, display_name=display_name, unit_id=unit_id, now=now, account_id=account_id)
    audit(unit, who=who, action="team.member_create", target=str(member.id),
          detail={"unit_id": unit_id, "account_id": account_id}, ip=ip, now=now)
    return member


def change_member(unit: Unit, *, member_id: int, who: Principal, ip: str, now: dt.datetime,
                  unit_id: int | None = None, display_name: str | None = None,
                  active: bool | None = None, lead: bool | None = None) -> repo.MemberView:
    """Move a member to another team, rename or remove them; make them their team's lead, or not.

    ``lead`` is applied after a move, so "move and make lead" leads the new team (a move alone ends
    a lead's role: they lead the team they are in).
    """
    before = repo.get_member(unit, member_id)
    if lead and active is False:
        raise repo.TeamError("a removed member cannot lead a team", field="lead")
    member = repo.update_member(unit, member_id=member_id, unit_id=unit_id, display_name=display_name,
                                active=active)
    detail: dict[str, object] = {}
    if lead is not None and repo.set_lead(unit, member_id=member_id, lead=lead, by=who.username, now=now):
        detail["lead"] = lead
        member = repo.get_member(unit, member_id) or member
    if before is not None and before.lead and not member.lead and lead is None:
        detail["lead"] = False
    if before is not None and unit_id is not None and before.unit_id != unit_id:
        detail["unit_id"] = {"from": before.unit_id, "to": unit_id}
    if display_name is not None:
        detail["renamed"] = True
    if active is not None:
        detail["active"] = active
    audit(unit, who=who, action="team.member_update", target=str(member_id), detail=detail, ip=ip, now=now)
    return member


def link_chat(unit: Unit, *, member_id: int, channel: str, external_id: str, who: Principal, ip: str,
              now: dt.datetime) -> bool:
    """Link a chat account to a member (False when it already was theirs: nothing audited)."""
    linked = repo.link_chat(unit, member_id=member_id, channel=channel, external_id=external_id, now=now)
    if linked:
        audit(unit, who=who, action="team.chat_link", target=str(member_id), detail={"channel": channel},
              ip=ip, now=now)
    return linked


def unlink_chat(unit: Unit, *, member_id: int, channel: str, external_id: str, who: Principal, ip: str,
                now: dt.datetime) -> bool:
    """Unlink a chat account from a member (False when it was not theirs: nothing audited)."""
    gone = repo.unlink_chat(unit, member_id=member_id, channel=channel, external_id=external_id)
    if gone:
        audit(unit, who=who, action="team.chat_unlink", target=str(member_id), detail={"channel": channel},
              ip=ip, now=now)
    return gone
