"""The prebuilt-statement Unit methods the webhook and the sender use, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import inspect, text
from sqlmodel import col, select

from api.store.models import KeyValue, MessageLog, Outbox, ProcessedUpdate, RateBudget, User
from api.store import LogLine, RateHit, Store

NOW = dt.datetime(2025, 6, 1, 8, 0, tzinfo=dt.UTC)


def _enqueue(store: Store, chats: list[str], *, channel: str = "telegram") -> list[int]:
    with store.unit() as u:
        return [
            u.enqueue_outbox(channel=channel, chat_id=chat, body={"n": i}, context={"c": i},
                             now=NOW + dt.timedelta(seconds=i))
            for i, chat in enumerate(chats)
        ]


# -- turn writes ----------------------------------------------------------------------------------


def test_log_messages_keeps_order_and_fields(store: Store) -> None:
    with store.unit() as u:
        uid = u.get_or_create_user(channel="telegram", external_id="1", now=NOW)
        u.log_messages(
            user_id=uid,
            lines=[
                LogLine(direction="in", text="quên mật khẩu", payload="p1"),
                LogLine(direction="out", text="Trả lời", match_kind="faq", match_id="quen_mk", score=0.75),
            ],
            source="user",
            now=NOW,
        )
        u.log_messages(user_id=uid, lines=[LogLine(direction="in", text="một")], source="cli", now=NOW)
        u.log_messages(user_id=uid, lines=[], source="cli", now=NOW)
    with store.unit(readonly=True) as u:
        rows = u.session.exec(select(MessageLog).order_by(col(MessageLog.id))).all()
    assert [(r.direction, r.text, r.payload, r.match_kind, r.match_id, r.score, r.source) for r in rows] == [
        ("in", "quên mật khẩu", "p1", None, None, None, "user"),
        ("out", "Trả lời", None, "faq", "quen_mk", 0.75, "user"),
        ("in", "một", None, None, None, None, "cli"),
    ]
    assert all(r.created_at == NOW and r.created_at.tzinfo is not None for r in rows)


def test_timestamps_come_back_aware_in_utc(store: Store) -> None:
    hanoi = dt.timezone(dt.timedelta(hours=7))
    local = NOW.astimezone(hanoi)
    (oid,) = _enqueue(store, ["9"])
    with store.unit() as u:
        u.get_or_create_user(channel="web", external_id="tz", now=local)
        (item,) = u.claim_outbox(channel="telegram", limit=1, now=NOW + dt.timedelta(minutes=1))
        u.put_content(kind="faq", id="x", data={"a": 1}, current_hash="h", seed_hash=None, source_file=None,
                      position=0, by="admin", now=local)
    assert item.id == oid and item.created_at == NOW and item.created_at.utcoffset() == dt.timedelta(0)
    with store.unit(readonly=True) as u:
        row = u.content_row(kind="faq", id="x")
        user = u.session.exec(select(User).where(col(User.external_id) == "tz")).one()
    assert row is not None and row.updated_at == NOW and row.updated_at.utcoffset() == dt.timedelta(0)
    assert user.created_at == NOW


def test_naive_timestamps_are_refused(store: Store) -> None:
    with pytest.raises(Exception, match="timezone"), store.unit() as u:
        u.claim_update(channel="telegram", update_id="1", now=NOW.replace(tzinfo=None))


def test_orm_objects_added_to_the_session_are_committed_with_the_unit(store: Store) -> None:
    with store.unit() as u:
        u.set_kv(key="a", value="1", now=NOW)
        u.session.add(KeyValue(key="b", value="2", updated_at=NOW))
        # The session runs on the unit's transaction: it sees what the unit wrote.
        assert u.session.get(KeyValue, "a") is not None
    with store.unit(readonly=True) as u:
        assert u.get_kv(key="b") == "2"
    with pytest.raises(RuntimeError), store.unit() as u:
        u.session.add(KeyValue(key="c", value="3", updated_at=NOW))
        u.set_kv(key="d", value="4", now=NOW)
        raise RuntimeError("boom")
    with store.unit(readonly=True) as u:
        assert u.get_kv(key="c") is None and u.get_kv(key="d") is None


def test_content_rows_in_file_order(store: Store) -> None:
    with store.unit() as u:
        for kind, ident, source, position in [
            ("faq", "b", "a.yaml", 1), ("faq", "a", "a.yaml", 0), ("faq", "z", None, 0), ("flow", "f", "f.yaml", 0),
        ]:
            u.put_content(kind=kind, id=ident, data={"id": ident}, current_hash="h", seed_hash="h",
                          source_file=source, position=position, by="seed", now=NOW)
        u.set_seed_hash(kind="faq", id="z", seed_hash="old")
    with store.unit(readonly=True) as u:
        assert [r.id for r in u.content_rows(kind="faq")] == ["a", "b", "z"]
        assert u.content_kinds() == ["faq", "flow"]
        z = u.content_row(kind="faq", id="z")
        assert z is not None and z.edited and z.data == {"id": "z"}
    with store.unit() as u:
        u.delete_content(kind="faq", id="z", by="test", now=NOW)
        assert [v.action for v in u.content_versions(kind="faq", id="z")] == ["delete", "edit"]
        assert u.content_row(kind="faq", id="z") is None


# -- outbox methods of the sender ------------------------------------------------------------------


def test_older_unsent_put_back_and_context(store: Store) -> None:
    ids = _enqueue(store, ["1", "2", "1", "1", "3"])
    later = NOW + dt.timedelta(minutes=1)
    with store.unit() as u:
        claimed = u.claim_outbox(channel="telegram", limit=2, now=later)  # rows 0 and 1
        assert [c.id for c in claimed] == ids[:2]
        u.mark_sent_many(ids=[ids[0]], now=later)
        older = u.older_unsent(channel="telegram", chat_ids=["1", "3"], exclude_ids=[ids[3]], below_id=ids[3])
        assert [(r.id, r.chat_id, r.status) for r in older] == [(ids[2], "1", "pending")]
        assert older[0].next_attempt_at == NOW + dt.timedelta(seconds=2)
        assert u.older_unsent(channel="zalo", chat_ids=["1"], exclude_ids=[], below_id=ids[-1] + 1) == []
        assert u.older_unsent(channel="telegram", chat_ids=[], exclude_ids=[], below_id=ids[-1] + 1) == []
        # Row 1 goes back without counting its attempt; row 1's context is replaced.
        u.put_back_outbox(id=ids[1], due=later + dt.timedelta(seconds=5))
        u.set_outbox_context(id=ids[1], context={"c": 1, "progress": 2})
    with store.unit(readonly=True) as u:
        rows = {r.id: r for r in u.session.exec(select(Outbox)).all()}
    assert rows[ids[0]].status == "sent" and rows[ids[0]].sent_at == later
    assert (rows[ids[1]].status, rows[ids[1]].attempts) == ("pending", 0)
    assert rows[ids[1]].next_attempt_at == later + dt.timedelta(seconds=5)
    assert rows[ids[1]].context == {"c": 1, "progress": 2}


def test_mark_sent_many(store: Store) -> None:
    ids = _enqueue(store, ["1", "2", "3"])
    with store.unit() as u:
        u.claim_outbox(channel="telegram", limit=3, now=NOW + dt.timedelta(minutes=1))
        u.mark_sent_many(ids=ids[:2], now=NOW)
        u.mark_sent_many(ids=[], now=NOW)
        assert u.count(Outbox, status="sent") == 2 and u.count(Outbox, status="sending") == 1


def test_claim_takes_due_rows_of_every_claimable_status_in_order(store: Store) -> None:
    ids = _enqueue(store, [str(i) for i in range(6)])
    t = NOW + dt.timedelta(minutes=1)
    with store.unit() as u:
        assert [c.id for c in u.claim_outbox(channel="telegram", limit=3, now=t, lease_s=30)] == ids[:3]
        u.mark_failed(id=ids[0], error="429", retry_at=NOW + dt.timedelta(seconds=2, milliseconds=500), dead=False)
        u.mark_sent(id=ids[2], now=t)
    # Due now: 0 (failed, 2.5 s), 3, 4, 5 (pending, 3-5 s); 1 is leased until t + 30 s.
    with store.unit() as u:
        assert [c.id for c in u.claim_outbox(channel="telegram", limit=10, now=t)] == [ids[0], ids[3], ids[4], ids[5]]
    # The lease of 1 ran out: a 'sending' row is claimed again (its attempts count on).
    with store.unit() as u:
        again = u.claim_outbox(channel="telegram", limit=10, now=t + dt.timedelta(seconds=30))
    assert [(c.id, c.attempts) for c in again] == [(ids[1], 2)]


def test_outbox_claim_and_chat_indexes_exist(store: Store) -> None:
    indexes = {i["name"]: i["column_names"] for i in inspect(store.engine).get_indexes("outbox")}
    assert indexes["ix_outbox_channel_chat_id_status"] == ["channel", "chat_id", "status"]
    # Claims read one channel's rows only (migration 0003 replaced the status-first index).
    assert indexes["ix_outbox_channel_status_next_attempt_at"] == ["channel", "status", "next_attempt_at"]
    assert "ix_outbox_status_next_attempt_at" not in indexes


# -- rate budgets ---------------------------------------------------------------------------------


def _count(store: Store, key: str) -> int | None:
    with store.unit(readonly=True) as u:
        row = u.session.get(RateBudget, key)
        return row.count if row is not None else None


def test_take_rate_budget_is_all_or_nothing(store: Store) -> None:
    now = 1_700_000_000
    hits = [RateHit("g", 5, 1), RateHit("chat:1", 2, 3)]
    with store.unit() as u:
        assert u.take_rate_budget(hits=hits, now_epoch=now) == 0
        assert u.take_rate_budget(hits=hits, now_epoch=now) == 0
        # The chat's budget is spent: refused, and neither budget is charged.
        wait = u.take_rate_budget(hits=hits, now_epoch=now)
        assert 1 <= wait <= 3
    assert _count(store, "g") == 2 and _count(store, "chat:1") == 2
    with store.unit() as u:
        # Another chat still gets the global budget that the refused take did not use.
        for chat in ("2", "3", "4"):
            assert u.take_rate_budget(hits=[RateHit("g", 5, 1), RateHit(f"chat:{chat}", 2, 3)], now_epoch=now) == 0
    assert _count(store, "g") == 5
    with store.unit() as u:
        assert u.take_rate_budget(hits=[RateHit("g", 5, 1)], now_epoch=now) == 1
        assert u.take_rate_budget(hits=[RateHit("g", 5, 1)], now_epoch=now + 1) == 0  # next window
    assert _count(store, "g") == 1


def test_hit_rate_limit_still_counts_refused_hits(store: Store) -> None:
    with store.unit() as u:
        results = [u.hit_rate_limit(key="ip", limit=1, window_s=60, now_epoch=120)[0] for _ in range(3)]
    assert results == [True, False, False]
    assert _count(store, "ip") == 3


# -- pruning --------------------------------------------------------------------------------------


def test_prune_in_chunks(store: Store) -> None:
    with store.unit() as u:
        for i in range(7):
            u.claim_update(channel="telegram", update_id=f"old{i}", now=NOW - dt.timedelta(days=8))
        u.claim_update(channel="telegram", update_id="new", now=NOW)
    with store.unit() as u:
        assert u.prune_updates(before=NOW - dt.timedelta(days=7), limit=3) == 3
        assert u.prune_updates(before=NOW - dt.timedelta(days=7), limit=3) == 3
        assert u.prune_updates(before=NOW - dt.timedelta(days=7), limit=3) == 1
        assert u.count(ProcessedUpdate) == 1


def test_prune_kv_by_prefix_and_age(store: Store) -> None:
    old, new = NOW - dt.timedelta(days=31), NOW
    with store.unit() as u:
        u.set_kv(key="tg:cb:~a", value="p", now=old)
        u.set_kv(key="tg:cb:~b", value="p", now=new)
        u.set_kv(key="TG:CB:~c", value="p", now=old)  # another key (case matters)
        u.set_kv(key="tg:cbx", value="p", now=old)  # not under the prefix
        u.set_kv(key="zalo_oa:token", value="t", now=old)
    with store.unit() as u:
        assert u.prune_kv(prefix="tg:cb:", before=NOW - dt.timedelta(days=30), limit=10) == 1
        assert u.prune_kv(prefix="tg:cb:", before=NOW - dt.timedelta(days=30)) == 0
        assert u.get_kv(key="tg:cb:~a") is None and u.get_kv(key="tg:cb:~b") == "p"
        assert u.count(KeyValue) == 4
        with pytest.raises(ValueError):
            u.prune_kv(prefix="", before=NOW)


def test_prune_rate_budget(store: Store) -> None:
    now = 1_700_000_000
    with store.unit() as u:
        u.hit_rate_limit(key="old", limit=5, window_s=60, now_epoch=now - 2 * 86400)
        u.hit_rate_limit(key="new", limit=5, window_s=60, now_epoch=now)
    with store.unit() as u:
        assert u.prune_rate_budget(before_epoch=now - 86400, limit=10) == 1
        assert u.prune_rate_budget(before_epoch=now - 86400) == 0
        assert u.count(RateBudget) == 1


def test_try_advisory_lock(store: Store) -> None:
    with store.unit() as first:
        assert first.try_advisory_lock(name="job")
        if store.dialect == "postgresql":
            with Store(store.engine).unit() as second:
                assert not second.try_advisory_lock(name="job")
                assert second.try_advisory_lock(name="other job")
    with store.unit() as again:
        assert again.try_advisory_lock(name="job")  # released with the transaction


@pytest.mark.postgres
def test_advisory_locks_are_per_schema(postgres_url: str) -> None:
    """A job's lock in one schema is not taken in another schema of the same database."""
    from api.store.db import make_engine, migrate
    from tests.databases import postgres_schema_url

    with postgres_schema_url(postgres_url, "lock_a") as url_a, postgres_schema_url(postgres_url, "lock_b") as url_b:
        stores = []
        for url in (url_a, url_b):
            engine = make_engine(url)
            migrate(engine)
            stores.append(Store(engine))
        try:
            with stores[0].unit() as a, stores[1].unit() as b, Store(stores[0].engine).unit() as a2:
                assert a.try_advisory_lock(name="troly06:maintenance:job")
                assert b.try_advisory_lock(name="troly06:maintenance:job")  # another schema: free
                assert not a2.try_advisory_lock(name="troly06:maintenance:job")  # the same schema: taken
        finally:
            for store in stores:
                store.engine.dispose()


def test_advisory_lock_runs(store: Store) -> None:
    with store.unit() as u:
        u.advisory_lock(name="troly06:test")
        assert u.connection.execute(text("SELECT 1")).scalar_one() == 1


def test_sqlite_claims_search_the_channel_index(sqlite_store: Store) -> None:
    """Each status arm of a claim is an index range of its own channel, not a scan."""
    from api.store.repository import _SQL

    compiled = _SQL["sqlite"].claimable.compile(dialect=sqlite_store.engine.dialect)
    given = {"p_now": "2026-01-01 00:00:00", "p_channel": "telegram", "p_limit": 32}
    values = tuple(given.get(name, compiled.binds[name].value) for name in compiled.positiontup or ())
    with sqlite_store.engine.connect() as conn:
        plan = [row[3] for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + compiled.string, values)]
    searches = [step for step in plan if step.startswith("SEARCH outbox")]
    assert len(searches) == 3, plan
    assert all("ix_outbox_channel_status_next_attempt_at (channel=? AND status=?" in s for s in searches), plan
    assert not any(step.startswith("SCAN outbox") for step in plan), plan


def test_rate_count_reads_the_current_window_only(store: Store) -> None:
    with store.unit() as u:
        for _ in range(3):
            u.hit_rate_limit(key="tg:global", limit=30, window_s=1, now_epoch=5_000)
    with store.unit() as u:
        assert u.rate_count(key="tg:global", window_s=1, now_epoch=5_000) == 3
        assert u.rate_count(key="tg:global", window_s=1, now_epoch=5_001) == 0  # a second gone by
        assert u.rate_count(key="other", window_s=1, now_epoch=5_000) == 0
