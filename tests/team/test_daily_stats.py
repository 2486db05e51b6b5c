"""Per-day stats on SQLite and PostgreSQL: Vietnam days, members, teams, communes, leads.

Every count is checked against the attributions, completions and help records written here, at
times chosen around the Vietnam midnight (17:00 UTC): an event at 23:30 UTC counts on the next
Vietnamese day, one at 16:59 UTC on the same day.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest

from api.store import Store
from api.team import repo, stats
from tests.team.factories import add_member, make_tree


def utc(day: int, hour: int, minute: int = 0) -> dt.datetime:
    """A December 2026 instant in UTC."""
    return dt.datetime(2026, 12, day, hour, minute, tzinfo=dt.UTC)


D1, D2, D3 = dt.date(2026, 12, 1), dt.date(2026, 12, 2), dt.date(2026, 12, 3)


@dataclass(frozen=True)
class World:
    """Two communes; three teams; four members, one of whom leads team 1."""

    commune: int
    commune2: int
    team: int
    team2: int
    team3: int
    lan: repo.MemberView
    minh: repo.MemberView
    hoa: repo.MemberView
    an: repo.MemberView


def _citizen(store: Store, ext: str, at: dt.datetime) -> int:
    with store.unit() as unit:
        return unit.get_or_create_user(channel="web", external_id=ext, now=at)


def _arrive(store: Store, member: repo.MemberView, ext: str, at: dt.datetime) -> int:
    user = _citizen(store, ext, at)
    with store.unit() as unit:
        assert repo.attribute(unit, user_id=user, channel="web", external_id=ext, code=member.referral_code, now=at)
    return user


def _world(store: Store) -> World:
    tree = make_tree(store, now=utc(1, 0))
    with store.unit() as unit:
        c2 = repo.create_unit(unit, level="commune", name="Xã Tiên Du", parent_id=tree.province, now=utc(1, 0))
        t3 = repo.create_unit(unit, level="team", name="Tổ công nghệ số thôn Đông", parent_id=c2.id, now=utc(1, 0))
    lan = add_member(store, tree.team, "Nguyễn Thị Lan")
    minh = add_member(store, tree.team, "Trần Văn Minh")
    hoa = add_member(store, tree.other_team, "Lê Thị Hoa")
    an = add_member(store, t3.id, "Phạm Văn An")
    # Lan: arrivals at 23:59 on 01/12 (16:59 UTC), at midnight 02/12 (17:00 UTC) and at 06:30 on 02/12
    # (23:30 UTC on 01/12); one of them finishes two guides, at 06:30 on 03/12 (23:30 UTC on 02/12).
    _arrive(store, lan, "c1", utc(1, 16, 59))
    c2_user = _arrive(store, lan, "c2", utc(1, 17, 0))
    _arrive(store, lan, "c3", utc(1, 23, 30))
    with store.unit() as unit:
        assert repo.complete(unit, user_id=c2_user, flow="l2", now=utc(2, 23, 30))
        assert repo.complete(unit, user_id=c2_user, flow="install", now=utc(2, 23, 30))
        assert not repo.complete(unit, user_id=c2_user, flow="l2", now=utc(3, 1))  # once per guide
        repo.record_help(unit, member_id=lan.id, kind="level2", count=3, now=utc(2, 1))
        repo.record_help(unit, member_id=minh.id, kind="install", count=2, now=utc(1, 10))
        repo.record_help(unit, member_id=an.id, kind="install", count=5, now=utc(2, 20))
    _arrive(store, hoa, "c4", utc(2, 5))
    with store.unit() as unit:
        assert repo.set_lead(unit, member_id=lan.id, lead=True, by="test", now=utc(1, 0))
        lan = repo.get_member(unit, lan.id) or lan
    return World(tree.commune, c2.id, tree.team, tree.other_team, t3.id, lan, minh, hoa, an)


def _table(rows: list[stats.DailyRow]) -> list[tuple[dt.date, str, int, int, int]]:
    return [(r.day, r.name, r.reached, r.completed, r.in_person) for r in rows]


def test_days_are_vietnam_days_per_member_team_and_commune(store: Store) -> None:
    w = _world(store)
    with store.unit(readonly=True) as unit:
        members = repo.list_members(unit)
        by_member = stats.daily(unit, members, level="member", since=None, until=None)
        by_team = stats.daily(unit, members, level="team", since=None, until=None)
        by_commune = stats.daily(unit, members, level="commune", since=None, until=None)
        totals = repo.member_stats(unit, members=members)
    assert _table(by_member) == [
        (D1, "Nguyễn Thị Lan", 1, 0, 0),     # 16:59 UTC is still 01/12 in Vietnam
        (D1, "Trần Văn Minh", 0, 0, 2),
        (D2, "Lê Thị Hoa", 1, 0, 0),
        (D2, "Nguyễn Thị Lan", 2, 0, 3),     # 17:00 and 23:30 UTC on 01/12 are 02/12 in Vietnam
        (D3, "Nguyễn Thị Lan", 0, 2, 0),     # two guides finished at 23:30 UTC on 02/12
        (D3, "Phạm Văn An", 0, 0, 5),        # 20:00 UTC on 02/12 is 03:00 on 03/12
    ]
    assert {r.parent for r in by_member if r.name == "Phạm Văn An"} == {"Tổ công nghệ số thôn Đông"}
    assert _table(by_team) == [
        (D1, "Tổ công nghệ số khu phố 3", 1, 0, 2),
        (D2, "Tổ công nghệ số khu phố 3", 2, 0, 3),
        (D2, "Tổ công nghệ số khu phố 5", 1, 0, 0),
        (D3, "Tổ công nghệ số khu phố 3", 0, 2, 0),
        (D3, "Tổ công nghệ số thôn Đông", 0, 0, 5),
    ]
    assert {(r.name, r.parent) for r in by_team} >= {("Tổ công nghệ số thôn Đông", "Xã Tiên Du")}
    assert _table(by_commune) == [
        (D1, "Phường Kinh Bắc", 1, 0, 2),
        (D2, "Phường Kinh Bắc", 3, 0, 3),
        (D3, "Phường Kinh Bắc", 0, 2, 0),
        (D3, "Xã Tiên Du", 0, 0, 5),
    ]
    assert {r.parent for r in by_commune} == {"Tỉnh Bắc Ninh"}
    # Every level adds up to the members' totals.
    for level_rows in (by_member, by_team, by_commune):
        assert sum(r.reached for r in level_rows) == sum(t.reached for t in totals) == 4
        assert sum(r.completed for r in level_rows) == sum(t.completed for t in totals) == 2
        assert sum(r.in_person for r in level_rows) == sum(t.in_person for t in totals) == 10
    assert {r.id for r in by_team} == {w.team, w.team2, w.team3}
    assert {r.id for r in by_commune} == {w.commune, w.commune2}


def test_a_date_filter_takes_whole_vietnam_days(store: Store) -> None:
    _world(store)
    start, end = stats.day_bounds(D2, D2)
    assert start == utc(1, 17) and end == utc(2, 17)
    with store.unit(readonly=True) as unit:
        members = repo.list_members(unit)
        rows = stats.daily(unit, members, level="member", since=start, until=end)
        totals = {s.name: s for s in repo.member_stats(unit, members=members, since=start, until=end)}
    assert _table(rows) == [(D2, "Lê Thị Hoa", 1, 0, 0), (D2, "Nguyễn Thị Lan", 2, 0, 3)]
    assert (totals["Nguyễn Thị Lan"].reached, totals["Nguyễn Thị Lan"].in_person) == (2, 3)
    assert totals["Phạm Văn An"].in_person == 0  # 03:00 on 03/12 is outside 02/12


def test_a_lead_sees_their_team_and_a_member_themself(store: Store) -> None:
    w = _world(store)
    with store.unit() as unit:
        lead = repo.get_member(unit, w.lan.id)
        plain = repo.get_member(unit, w.minh.id)
        assert lead is not None and lead.lead and plain is not None and not plain.lead
        assert {m.id for m in repo.visible_members(unit, lead)} == {w.lan.id, w.minh.id}
        assert [m.id for m in repo.visible_members(unit, plain)] == [w.minh.id]
        assert repo.visible_members(unit, None) == []
        # Setting it twice changes nothing; moving the lead to another team ends the role.
        assert not repo.set_lead(unit, member_id=w.lan.id, lead=True, by="test", now=utc(3, 0))
        moved = repo.update_member(unit, member_id=w.lan.id, unit_id=w.team2)
        assert not moved.lead
        assert [m.id for m in repo.visible_members(unit, moved)] == [w.lan.id]
        # A removed member cannot be made lead; a removed lead stops being one.
        assert repo.set_lead(unit, member_id=w.minh.id, lead=True, by="test", now=utc(3, 0))
        gone = repo.update_member(unit, member_id=w.minh.id, active=False)
        assert not gone.lead and repo.visible_members(unit, gone) == []
        with pytest.raises(LookupError):
            repo.set_lead(unit, member_id=w.minh.id, lead=True, by="test", now=utc(3, 0))


def test_the_progress_chart_adds_up_day_by_day(store: Store) -> None:
    _world(store)
    with store.unit(readonly=True) as unit:
        days = repo.daily_rows(unit, member_ids=[m.id for m in repo.list_members(unit)])
    svg = stats.progress_chart(days)
    # Cumulative, one point per day from 01/12 to 03/12 (the desc lists every value).
    assert "Người tiếp cận: 01/12 1, 02/12 4, 03/12 4" in svg
    assert "Lượt hoàn thành: 01/12 0, 02/12 0, 03/12 2" in svg
    assert "Lượt giúp trực tiếp: 01/12 2, 02/12 5, 03/12 10" in svg
    assert "<title>Tiến độ cộng dồn theo ngày</title>" in svg and "<script" not in svg
