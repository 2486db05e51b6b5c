"""Team data factories: a province → commune → team tree, invite codes, members."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from api.store import Store
from api.team import repo


@dataclass(frozen=True)
class Tree:
    """A small unit tree: one province, one commune, two teams; an invite code to the first team."""

    province: int
    commune: int
    team: int
    other_team: int
    code: str


def make_tree(store: Store, *, now: dt.datetime | None = None, max_uses: int = 50,
              name: str = "Tổ công nghệ số khu phố 3") -> Tree:
    """Create the tree and an invite to its first team."""
    now = now or dt.datetime.now(dt.UTC)
    with store.unit() as unit:
        p = repo.create_unit(unit, level="province", name="Tỉnh Bắc Ninh", parent_id=None, now=now)
        c = repo.create_unit(unit, level="commune", name="Phường Kinh Bắc", parent_id=p.id, now=now)
        t = repo.create_unit(unit, level="team", name=name, parent_id=c.id, now=now)
        t2 = repo.create_unit(unit, level="team", name="Tổ công nghệ số khu phố 5", parent_id=c.id, now=now)
        code = repo.create_invite(unit, unit_id=t.id, expires_at=now + dt.timedelta(days=7), max_uses=max_uses,
                                  by="test", now=now)
    return Tree(p.id, c.id, t.id, t2.id, code)


def add_member(store: Store, team_id: int, name: str = "Nguyễn Thị Lan", *,
               account_id: int | None = None) -> repo.MemberView:
    """A member added from the console."""
    with store.unit() as unit:
        return repo.create_member(unit, display_name=name, unit_id=team_id, now=dt.datetime.now(dt.UTC),
                                  account_id=account_id)
