"""Hot statements on the driver's cursor (:mod:`api.store.rawsql`) behave exactly as through SQLAlchemy."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import insert, select
from sqlalchemy.exc import MultipleResultsFound, NoResultFound

from api.store.models import EventRow, KeyValue, SessionState
from api.store.rawsql import NotPreparable, Prepared, RawResult
from api.store import LogLine, RateHit, Store

NOW = dt.datetime(2025, 6, 1, 8, 0, tzinfo=dt.UTC)


def _turn_writes(store: Store, external_id: str) -> int:
    """Every hot statement a webhook turn and a send run, once each (two of them with many rows)."""
    with store.unit() as u:
        assert u.claim_update(channel="telegram", update_id=external_id, now=NOW) is True
        assert u.claim_update(channel="telegram", update_id=external_id, now=NOW) is False
        uid = u.get_or_create_user(channel="telegram", external_id=external_id, now=NOW)
        assert u.load_session(user_id=uid, lock=True) is None
        assert u.load_session(user_id=uid, lock=False) is None
        u.save_session(user_id=uid, data={"flow": "l2", "options": ["q-a", "q-b"], "note": "Đề án 06"}, now=NOW)
        u.log_messages(user_id=uid, lines=[LogLine(direction="in", text="mức 2")], source="user", now=NOW)
        u.log_messages(user_id=uid, lines=[LogLine(direction="in", text="a"), LogLine(direction="out", text="b")],
                       source="user", now=NOW)
        u.add_events(user_id=uid, events=[("turn", {"kind": "faq"})], source="user", now=NOW)
        u.add_events(user_id=uid, events=[("a", {"x": "1"}), ("b", {})], source="user", now=NOW)
        u.enqueue_outbox(channel="telegram", chat_id=external_id, body={"replies": []}, context=None, now=NOW)
        u.content_version()
        u.set_kv(key="k:" + external_id, value="v", now=NOW)
        assert u.get_kv(key="k:" + external_id) == "v"
        assert u.take_rate_budget(hits=[RateHit("raw:a", 1, 60), RateHit("raw:b", 5, 60)], now_epoch=120) == 0
        assert u.take_rate_budget(hits=[RateHit("raw:a", 1, 60), RateHit("raw:b", 5, 60)], now_epoch=121) > 0
        return uid


def test_every_hot_statement_runs_on_the_cursor(store: Store) -> None:
    uid = _turn_writes(store, "1001")
    with store.unit() as u:
        prepared = u.prepared_statements()
        # The values come back through the raw path as they went in.
        assert u.load_session(user_id=uid) == {"flow": "l2", "options": ["q-a", "q-b"], "note": "Đề án 06"}
    assert len(prepared) >= 12
    assert all(prepared.values()), [key for key, ok in prepared.items() if not ok]


def test_raw_rows_equal_sqlalchemy_rows(store: Store) -> None:
    uid = _turn_writes(store, "1002")
    with store.unit() as u:
        dialect = u.connection.dialect
        raw = u.connection.connection.driver_connection
        for stmt, params in [
            (select(SessionState.data, SessionState.updated_at).where(SessionState.user_id == uid), {}),
            (select(EventRow.name, EventRow.data, EventRow.created_at).order_by(EventRow.id), {}),
            (select(KeyValue.key, KeyValue.value, KeyValue.updated_at), {}),
        ]:
            expected = [tuple(row) for row in u.connection.execute(stmt, params)]
            got = Prepared(stmt, dialect, list(params)).run(raw, params).rows
            assert got == expected
            assert all(isinstance(v, dt.datetime) and v.tzinfo is not None for row in got for v in row
                       if isinstance(v, dt.datetime))


def test_naive_timestamps_are_refused_on_the_raw_path_too(store: Store) -> None:
    with store.unit() as u, pytest.raises((ValueError, TypeError)):
        u.set_kv(key="k", value="v", now=dt.datetime(2025, 6, 1, 8, 0))  # noqa: DTZ001 - the point


def test_what_the_raw_path_cannot_reproduce_stays_on_sqlalchemy(store: Store) -> None:
    with store.unit() as u:
        dialect = u.connection.dialect
        # An IN list is expanded at execution time.
        with pytest.raises(NotPreparable):
            Prepared(u._q.lease_outbox, dialect, ["p_ids", "p_until"])  # noqa: SLF001 - the statement under test
        # A Python-side default (EventRow.data defaults to {}) is computed at execution time.
        with pytest.raises(NotPreparable):
            Prepared(insert(EventRow), dialect, ["user_id", "name", "source", "created_at"])


def test_a_missing_value_is_an_error_not_a_null(store: Store) -> None:
    with store.unit() as u:
        prepared = Prepared(select(KeyValue.value).where(KeyValue.key == u._q.get_kv.whereclause.right),  # type: ignore[attr-defined]  # noqa: SLF001
                            u.connection.dialect, [])
        with pytest.raises(KeyError, match="p_key"):
            prepared.run(u.connection.connection.driver_connection, {})


def test_raw_result_mirrors_sqlalchemy_result() -> None:
    assert RawResult([], 0).first() is None
    assert RawResult([], 0).scalar() is None
    with pytest.raises(NoResultFound):
        RawResult([], 0).one()
    with pytest.raises(MultipleResultsFound):
        RawResult([(1,), (2,)], 2).scalar_one()
    result = RawResult([(1, "a"), (2, "b")], 2)
    assert result.scalars() == [1, 2]
    assert list(result) == [(1, "a"), (2, "b")]
    assert RawResult([(7,)], 1).scalar_one() == 7
