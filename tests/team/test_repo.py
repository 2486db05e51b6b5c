"""The team tables on SQLite and PostgreSQL: the tree, invites, first touch, completions, deletion."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from api.store import Store
from api.store.db import make_engine, migrate
from api.store.models import Attribution, Completion, Member, MemberChat
from api.team import repo
from bot.core.team import parse_command
from tests.team.factories import add_member, make_tree

NOW = dt.datetime(2026, 12, 3, 8, 0, tzinfo=dt.UTC)


def _count(store: Store, model: type[Any], **filters: Any) -> int:
    with store.unit(readonly=True) as unit:
        return unit.count(model, **filters)


def _user(store: Store, ext: str, channel: str = "web") -> int:
    with store.unit() as unit:
        return unit.get_or_create_user(channel=channel, external_id=ext, now=NOW)


def test_the_tree_refuses_a_team_under_a_province(store: Store) -> None:
    tree = make_tree(store, now=NOW)
    with store.unit() as unit, pytest.raises(repo.TeamError):
        repo.create_unit(unit, level="team", name="Tổ lạc", parent_id=tree.province, now=NOW)
    with store.unit() as unit, pytest.raises(repo.TeamError):
        repo.create_invite(unit, unit_id=tree.commune, expires_at=NOW + dt.timedelta(days=1), max_uses=1, by="t",
                           now=NOW)


def test_an_invite_is_stored_as_a_hash_and_runs_out(store: Store) -> None:
    tree = make_tree(store, now=NOW, max_uses=2)
    assert len(tree.code) == 10 and sum(c.isdigit() for c in tree.code) <= 4
    with store.unit() as unit:
        rows = unit.connection.exec_driver_sql("SELECT code_hash FROM invites").all()
    assert all(tree.code not in r[0] for r in rows)
    outcomes = []
    for i in range(3):
        with store.unit() as unit:
            outcomes.append(repo.join(unit, channel="web", external_id=f"m{i}", code=tree.code.lower(),
                                      display_name="", now=NOW).outcome)
    assert outcomes == ["joined", "joined", "bad_code"]
    with store.unit() as unit:  # expired
        code = repo.create_invite(unit, unit_id=tree.team, expires_at=NOW + dt.timedelta(hours=1), max_uses=5,
                                  by="t", now=NOW)
    with store.unit() as unit:
        late = repo.join(unit, channel="web", external_id="late", code=code, display_name="",
                         now=NOW + dt.timedelta(hours=2))
    assert late.outcome == "bad_code"


def test_first_touch_is_kept_and_a_member_never_counts(store: Store) -> None:
    tree = make_tree(store, now=NOW)
    a, b = add_member(store, tree.team, "A"), add_member(store, tree.other_team, "B")
    with store.unit() as unit:
        joined = repo.join(unit, channel="telegram", external_id="42", code=tree.code, display_name="C", now=NOW)
    assert joined.member is not None
    citizen, member_user = _user(store, "c1"), _user(store, "42", "telegram")
    with store.unit() as unit:
        assert repo.attribute(unit, user_id=citizen, channel="web", external_id="c1", code=a.referral_code, now=NOW)
        assert not repo.attribute(unit, user_id=citizen, channel="web", external_id="c1", code=b.referral_code,
                                  now=NOW)
        assert not repo.attribute(unit, user_id=citizen, channel="web", external_id="c1", code="Zz_00000", now=NOW)
        assert not repo.attribute(unit, user_id=member_user, channel="telegram", external_id="42",
                                  code=a.referral_code, now=NOW)
        assert repo.complete(unit, user_id=citizen, flow="install", now=NOW)
        assert not repo.complete(unit, user_id=citizen, flow="install", now=NOW)
        assert repo.complete(unit, user_id=citizen, flow="l2", now=NOW)
        stats = {s.member_id: s for s in repo.member_stats(unit, members=[a, b, joined.member])}
    assert (stats[a.id].reached, stats[a.id].completed, stats[a.id].completed_citizens) == (1, 2, 1)
    assert stats[b.id].reached == 0 and stats[joined.member.id].reached == 0


def test_a_deletion_keeps_the_counts_and_forgets_the_citizen(store: Store) -> None:
    tree = make_tree(store, now=NOW)
    a = add_member(store, tree.team)
    citizen = _user(store, "c1")
    with store.unit() as unit:
        repo.attribute(unit, user_id=citizen, channel="web", external_id="c1", code=a.referral_code, now=NOW)
        repo.complete(unit, user_id=citizen, flow="install", now=NOW)
    with store.unit() as unit:
        unit.delete_user_data(user_id=citizen, now=NOW)
    assert _count(store, Attribution, user_id=citizen) == 0 and _count(store, Completion, user_id=citizen) == 0
    assert _count(store, Attribution, user_id=None) == 1 and _count(store, Completion, user_id=None) == 1
    with store.unit() as unit:
        (s,) = repo.member_stats(unit, members=[a])
    assert (s.reached, s.completed, s.completed_citizens) == (1, 1, 1)


def test_moving_and_removing_a_member(store: Store) -> None:
    tree = make_tree(store, now=NOW)
    with store.unit() as unit:
        m = repo.join(unit, channel="zalo_bot", external_id="z1", code=tree.code, display_name="Lan", now=NOW).member
    assert m is not None
    with store.unit() as unit:
        moved = repo.update_member(unit, member_id=m.id, unit_id=tree.other_team)
        assert moved.team_name == "Tổ công nghệ số khu phố 5"
        repo.update_member(unit, member_id=m.id, active=False)
        assert repo.member_for_chat(unit, channel="zalo_bot", external_id="z1") is None
    assert _count(store, MemberChat, member_id=m.id) == 0 and _count(store, Member, active=False) == 1


def test_every_invite_code_works_in_every_typed_form(store: Store) -> None:
    """«/thamgia CODE», «thamgia code», «tham gia CODE» (this one needs a digit in the code)."""
    tree = make_tree(store, now=NOW)
    with store.unit() as unit:
        codes = [repo.create_invite(unit, unit_id=tree.team, expires_at=NOW + dt.timedelta(days=1), max_uses=1,
                                    by="test", now=NOW) for _ in range(60)]
    for code in codes:
        assert 1 <= sum(c.isdigit() for c in code) <= 4
        for typed in (f"/thamgia {code}", f"thamgia {code.lower()}", f"Tham gia {code}", f"tham gia {code.lower()}"):
            command = parse_command(text=typed, payload=None)
            assert command is not None and (command.name, command.arg) == ("join", code), typed


@pytest.fixture
def pg_store(postgres_url: str) -> Iterator[Store]:
    """A migrated store in a fresh PostgreSQL schema (row-level concurrency is what is tested)."""
    schema = f"team_{uuid.uuid4().hex[:12]}"
    admin = make_engine(postgres_url, pool_size=1)
    with admin.begin() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    engine = make_engine(postgres_url, schema=schema)
    try:
        migrate(engine)
        yield Store(engine)
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        admin.dispose()


@pytest.mark.postgres
def test_parallel_joins_arrivals_and_completions_count_exactly(pg_store: Store) -> None:
    """On PostgreSQL, 24 threads on their own connections race: the totals are exact."""
    store = pg_store
    tree = make_tree(store, now=NOW, max_uses=10)
    a = add_member(store, tree.team)
    users = [_user(store, f"c{i}") for i in range(40)]

    def join(i: int) -> str:
        with store.unit() as unit:
            return repo.join(unit, channel="web", external_id=f"j{i % 15}", code=tree.code, display_name="",
                             now=NOW).outcome

    def arrive(i: int) -> bool:
        uid = users[i % 40]
        with store.unit() as unit:
            repo.attribute(unit, user_id=uid, channel="web", external_id=f"c{i % 40}", code=a.referral_code, now=NOW)
            return repo.complete(unit, user_id=uid, flow="install", now=NOW)

    with ThreadPoolExecutor(24) as pool:
        joins = list(pool.map(join, range(30)))
        done = list(pool.map(arrive, range(160)))
    assert joins.count("joined") == 10  # max_uses, though 15 accounts tried twice
    assert _count(store, MemberChat) == 10
    assert sum(done) == 40
    with store.unit() as unit:
        (s,) = repo.member_stats(unit, members=[a])
        invite_uses = unit.connection.exec_driver_sql("SELECT uses FROM invites").scalar_one()
    assert (s.reached, s.completed, s.completed_citizens) == (40, 40, 40)
    assert invite_uses == 10
