"""Repository behaviour of :class:`api.store.Unit`, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import pytest

from api.store.models import EventRow, HandoffRequest, MessageLog, Outbox, SessionState, Unanswered, User
from api.store import Store
from bot.core.types import Button, FlowPosition
from bot.core.types import Session as ChatSession

NOW = dt.datetime(2025, 6, 1, 8, 0, tzinfo=dt.UTC)
T = TypeVar("T")


def _in_threads(n: int, fn: Callable[[int], T]) -> list[T]:
    """Run ``fn(i)`` in ``n`` threads released together; returns the results in order."""
    barrier = threading.Barrier(n)

    def run(i: int) -> T:
        barrier.wait(timeout=10)
        return fn(i)

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(run, range(n)))


# -- users ----------------------------------------------------------------------------------------


def test_get_or_create_user_is_stable_per_channel(store: Store) -> None:
    with store.unit() as u:
        a = u.get_or_create_user(channel="telegram", external_id="123456789", now=NOW)
        again = u.get_or_create_user(
            channel="telegram", external_id="123456789", now=NOW + dt.timedelta(hours=1)
        )
        other = u.get_or_create_user(channel="web", external_id="123456789", now=NOW)
    assert a == again
    assert other != a
    with store.unit() as u:
        assert u.find_user(channel="telegram", external_id="123456789") == a
        assert u.find_user(channel="zalo", external_id="123456789") is None
        user = u.session.get(User, a)
        assert user is not None
        assert user.created_at == NOW
        assert user.last_seen_at == NOW + dt.timedelta(hours=1)
        assert user.created_at.tzinfo is not None


def test_get_or_create_user_race(store: Store) -> None:
    def create(_: int) -> int:
        with store.unit() as u:
            return u.get_or_create_user(channel="zalo", external_id="race-user", now=NOW)

    ids = _in_threads(8, create)
    assert len(set(ids)) == 1
    with store.unit() as u:
        assert u.count(User, channel="zalo", external_id="race-user") == 1


# -- sessions -------------------------------------------------------------------------------------


def test_session_roundtrip(store: Store) -> None:
    session = ChatSession(
        flow=FlowPosition(flow="cap_cccd", step="giay_to", history=("bat_dau",), at="2025-06-01T08:00:00Z"),
        options=(Button("Quên mật khẩu", "faq_quen_passcode"), Button("Quay lại", "back")),
        last_answer="quen_passcode",
        last_question="quên mật khẩu vneid thì làm sao",
        extra=(("lang", "vi"),),
    )
    with store.unit() as u:
        uid = u.get_or_create_user(channel="cli", external_id="u1", now=NOW)
        assert u.load_session(user_id=uid) is None
        u.save_session(user_id=uid, data=session.to_dict(), now=NOW)
    with store.unit() as u:
        assert ChatSession.from_dict(u.load_session(user_id=uid)) == session
        u.save_session(user_id=uid, data=ChatSession().to_dict(), now=NOW)
    with store.unit(readonly=True) as u:
        assert ChatSession.from_dict(u.load_session(user_id=uid, lock=False)) == ChatSession()
        assert u.count(SessionState) == 1


def test_session_read_modify_write_is_serialised(store: Store) -> None:
    with store.unit() as u:
        uid = u.get_or_create_user(channel="web", external_id="busy", now=NOW)
        u.save_session(user_id=uid, data={"n": 0}, now=NOW)

    def bump(_: int) -> None:
        for _ in range(5):
            with store.unit() as u:
                data = u.load_session(user_id=uid)
                assert data is not None
                u.save_session(user_id=uid, data={"n": data["n"] + 1}, now=NOW)

    _in_threads(4, bump)
    with store.unit() as u:
        assert u.load_session(user_id=uid) == {"n": 20}


def test_unit_rolls_back_on_error(store: Store) -> None:
    with pytest.raises(RuntimeError), store.unit() as u:
        u.get_or_create_user(channel="web", external_id="ghost", now=NOW)
        raise RuntimeError("boom")
    with store.unit() as u:
        assert u.count(User) == 0


# -- de-duplication -------------------------------------------------------------------------------


def test_claim_update_once(store: Store) -> None:
    with store.unit() as u:
        assert u.claim_update(channel="telegram", update_id="1001", now=NOW) is True
        assert u.claim_update(channel="telegram", update_id="1001", now=NOW) is False
        assert u.claim_update(channel="zalo", update_id="1001", now=NOW) is True
    with store.unit() as u:
        assert u.claim_update(channel="telegram", update_id="1001", now=NOW) is False


def test_claim_update_concurrent_exactly_one_wins(store: Store) -> None:
    def claim_elsewhere() -> bool:
        with store.unit() as other:
            return other.claim_update(channel="telegram", update_id="42", now=NOW)

    with ThreadPoolExecutor(max_workers=1) as pool:
        with store.unit() as first:
            assert first.claim_update(channel="telegram", update_id="42", now=NOW) is True
            contender = pool.submit(claim_elsewhere)
            time.sleep(0.3)
            # The other transaction waits for ours (row lock on PostgreSQL, write lock on SQLite).
            assert not contender.done()
        assert contender.result(timeout=10) is False


def test_claim_update_after_rollback_is_free_again(store: Store) -> None:
    with pytest.raises(RuntimeError), store.unit() as u:
        assert u.claim_update(channel="telegram", update_id="7", now=NOW)
        raise RuntimeError("handler crashed")
    with store.unit() as u:
        assert u.claim_update(channel="telegram", update_id="7", now=NOW) is True


def test_claim_update_many_threads(store: Store) -> None:
    def claim(_: int) -> bool:
        with store.unit() as u:
            return u.claim_update(channel="zalo", update_id="evt-1", now=NOW)

    assert sorted(_in_threads(6, claim)) == [False] * 5 + [True]


def test_prune_updates(store: Store) -> None:
    with store.unit() as u:
        u.claim_update(channel="telegram", update_id="old", now=NOW - dt.timedelta(days=3))
        u.claim_update(channel="telegram", update_id="new", now=NOW)
    with store.unit() as u:
        assert u.prune_updates(before=NOW - dt.timedelta(days=1)) == 1
        assert u.claim_update(channel="telegram", update_id="new", now=NOW) is False


# -- outbox ---------------------------------------------------------------------------------------


def _enqueue(store: Store, n: int, *, channel: str = "telegram", at: dt.datetime = NOW) -> list[int]:
    with store.unit() as u:
        return [
            u.enqueue_outbox(
                channel=channel,
                chat_id=f"chat-{i}",
                body=[{"text": f"Xin chào {i}", "buttons": [], "images": [], "role": "main"}],
                context={"reply_to": i},
                now=at + dt.timedelta(seconds=i),
            )
            for i in range(n)
        ]


def test_outbox_lifecycle(store: Store) -> None:
    ids = _enqueue(store, 3)
    later = NOW + dt.timedelta(minutes=1)
    with store.unit() as u:
        claimed = u.claim_outbox(channel="telegram", limit=2, now=later)
    assert [c.id for c in claimed] == ids[:2]
    assert claimed[0].body[0]["text"] == "Xin chào 0"
    assert claimed[0].context == {"reply_to": 0}
    assert claimed[0].attempts == 1
    with store.unit() as u:
        assert [c.id for c in u.claim_outbox(channel="telegram", limit=10, now=later)] == [ids[2]]  # the others are leased
        assert u.claim_outbox(channel="telegram", limit=10, now=later) == []
        u.mark_sent(id=ids[0], now=later)
        u.mark_failed(
            id=ids[1], error="429 Too Many Requests", retry_at=later + dt.timedelta(seconds=30), dead=False
        )
        u.mark_failed(id=ids[2], error="403 Forbidden: bot was blocked", retry_at=later, dead=True)
    with store.unit() as u:
        assert u.claim_outbox(channel="telegram", limit=10, now=later + dt.timedelta(seconds=29)) == []
        retry = u.claim_outbox(channel="telegram", limit=10, now=later + dt.timedelta(seconds=30))
        assert [(c.id, c.attempts) for c in retry] == [(ids[1], 2)]
        assert u.count(Outbox, status="sent") == 1
        assert u.count(Outbox, status="dead") == 1
        row = u.session.get(Outbox, ids[0])
        assert row is not None and row.sent_at == later


def test_prune_outbox_keeps_unsent(store: Store) -> None:
    ids = _enqueue(store, 3)
    with store.unit() as u:
        u.claim_outbox(channel="telegram", limit=3, now=NOW + dt.timedelta(minutes=1))
        u.mark_sent(id=ids[0], now=NOW)
        u.mark_failed(id=ids[1], error="blocked", retry_at=NOW, dead=True)
        u.mark_failed(id=ids[2], error="timeout", retry_at=NOW, dead=False)
    with store.unit() as u:
        assert u.prune_outbox(before=NOW + dt.timedelta(days=1)) == 2
        assert u.count(Outbox) == 1 and u.count(Outbox, status="failed") == 1


def test_outbox_not_due_and_channel_filter(store: Store) -> None:
    telegram = _enqueue(store, 2, channel="telegram")
    zalo = _enqueue(store, 1, channel="zalo")
    with store.unit() as u:
        assert u.claim_outbox(channel="telegram", limit=10, now=NOW - dt.timedelta(seconds=1)) == []
        assert [c.id for c in u.claim_outbox(channel="zalo", limit=10, now=NOW)] == zalo
        assert [c.id for c in u.claim_outbox(channel="telegram", limit=10, now=NOW + dt.timedelta(days=1))] == telegram


def test_outbox_lease_expiry_reclaims(store: Store) -> None:
    (oid,) = _enqueue(store, 1)
    with store.unit() as u:
        assert [c.id for c in u.claim_outbox(channel="telegram", limit=1, now=NOW, lease_s=60)] == [oid]
    with store.unit() as u:  # The sender died without marking it.
        assert u.claim_outbox(channel="telegram", limit=1, now=NOW + dt.timedelta(seconds=59)) == []
        again = u.claim_outbox(channel="telegram", limit=1, now=NOW + dt.timedelta(seconds=60))
    assert [(c.id, c.attempts) for c in again] == [(oid, 2)]


def test_outbox_concurrent_claims_are_disjoint(store: Store) -> None:
    if store.dialect != "postgresql":
        pytest.skip("SKIP LOCKED is PostgreSQL's; SQLite units never overlap (BEGIN IMMEDIATE)")
    ids = _enqueue(store, 6)
    with store.unit() as first:
        mine = first.claim_outbox(channel="telegram", limit=3, now=NOW + dt.timedelta(minutes=1))
        with store.unit() as second:  # Runs while the first still holds its row locks.
            theirs = second.claim_outbox(channel="telegram", limit=10, now=NOW + dt.timedelta(minutes=1))
    assert [c.id for c in mine] == ids[:3]
    assert [c.id for c in theirs] == ids[3:]


def test_outbox_claims_in_threads_never_overlap(store: Store) -> None:
    ids = _enqueue(store, 20)

    def drain(_: int) -> list[int]:
        got: list[int] = []
        while True:
            with store.unit() as u:
                batch = u.claim_outbox(channel="telegram", limit=3, now=NOW + dt.timedelta(minutes=1))
            if not batch:
                return got
            got.extend(c.id for c in batch)

    results = _in_threads(4, drain)
    flat = [i for r in results for i in r]
    assert sorted(flat) == ids


# -- rate limits ----------------------------------------------------------------------------------


def test_rate_limit_window_and_retry_after(store: Store) -> None:
    start = 1_700_000_040
    window_start = start - start % 60
    with store.unit() as u:
        results = [
            u.hit_rate_limit(key="chat:u1", limit=3, window_s=60, now_epoch=start + i) for i in range(4)
        ]
    assert results[:3] == [(True, 0)] * 3
    allowed, retry_after = results[3]
    assert allowed is False
    assert retry_after == window_start + 60 - (start + 3)
    with store.unit() as u:
        assert u.hit_rate_limit(key="chat:u2", limit=3, window_s=60, now_epoch=start + 3) == (True, 0)
        # Next window: counting starts again.
        assert u.hit_rate_limit(key="chat:u1", limit=3, window_s=60, now_epoch=window_start + 60) == (True, 0)
        # An instance whose clock lags a little still counts into the newer window.
        for _ in range(2):
            u.hit_rate_limit(key="chat:u1", limit=3, window_s=60, now_epoch=window_start + 59)
        allowed, retry_after = u.hit_rate_limit(
            key="chat:u1", limit=3, window_s=60, now_epoch=window_start + 61
        )
    assert allowed is False
    assert retry_after == 59


def test_rate_limit_counts_every_concurrent_hit(store: Store) -> None:
    def hit(_: int) -> int:
        allowed = 0
        for _ in range(10):
            with store.unit() as u:
                ok, _retry = u.hit_rate_limit(key="ip:127.0.0.1", limit=25, window_s=3600, now_epoch=7200)
            allowed += ok
        return allowed

    assert sum(_in_threads(4, hit)) == 25


# -- personal data --------------------------------------------------------------------------------


def test_delete_user_data_keeps_only_anonymous_counts(store: Store) -> None:
    secret = "số CCCD của tôi là ************"
    with store.unit() as u:
        uid = u.get_or_create_user(channel="telegram", external_id="555", now=NOW)
        keep = u.get_or_create_user(channel="telegram", external_id="666", now=NOW)
        for who in (uid, keep):
            u.save_session(user_id=who, data={"last_question": secret}, now=NOW)
            u.log_message(
                user_id=who,
                direction="in",
                text=secret,
                payload=None,
                match_kind=None,
                match_id=None,
                score=None,
                source="user",
                now=NOW,
            )
            u.log_message(
                user_id=who,
                direction="out",
                text="Trả lời",
                payload=None,
                match_kind="faq",
                match_id="cap_cccd",
                score=0.91,
                source="user",
                now=NOW,
            )
            u.add_events(
                user_id=who,
                events=[("faq_answered", {"entry": "cap_cccd"}), ("pii_masked", {})],
                source="user",
                now=NOW,
            )
            u.record_unanswered(
                user_id=who,
                question=secret,
                reason="fallback",
                entry_id=None,
                score=0.2,
                source="user",
                now=NOW,
            )
            u.record_handoff(user_id=who, channel="telegram", question=secret, now=NOW)
    with store.unit() as u:
        u.delete_user_data(user_id=uid, now=NOW)
    with store.unit() as u:
        assert u.find_user(channel="telegram", external_id="555") is None
        assert u.load_session(user_id=uid) is None
        assert u.count(MessageLog, user_id=uid) == 0
        assert u.count(MessageLog) == 2  # the other user's
        assert u.count(EventRow) == 4 and u.count(EventRow, user_id=None) == 2
        assert u.count(EventRow, name="faq_answered") == 2
        assert u.count(Unanswered) == 2 and u.count(Unanswered, user_id=None, question=None) == 1
        assert u.count(HandoffRequest) == 2 and u.count(HandoffRequest, user_id=None, question=None) == 1
        assert u.count(MessageLog, text=secret) == 1
        assert u.count(SessionState) == 1
        assert u.find_user(channel="telegram", external_id="666") == keep


# -- content version and key-value ----------------------------------------------------------------


def test_content_version_bumps(store: Store) -> None:
    with store.unit() as u:
        assert u.content_version() == 0
        assert u.bump_content_version() == 1
        assert u.bump_content_version() == 2
    with store.unit(readonly=True) as u:
        assert u.content_version() == 2


def test_kv(store: Store) -> None:
    with store.unit() as u:
        assert u.get_kv(key="zalo:access_token") is None
        u.set_kv(key="zalo:access_token", value="a1", now=NOW)
        u.set_kv(key="zalo:access_token", value="a2", now=NOW)
    with store.unit() as u:
        assert u.get_kv(key="zalo:access_token") == "a2"


def test_messages_and_inbox_rows(store: Store) -> None:
    with store.unit() as u:
        uid = u.get_or_create_user(channel="cli", external_id="eval-1", now=NOW)
        mid = u.log_message(
            user_id=uid,
            direction="in",
            text=None,
            payload="menu_main",
            match_kind="menu",
            match_id=None,
            score=None,
            source="eval",
            now=NOW,
        )
        hid = u.record_handoff(user_id=None, channel="web", question=None, now=NOW)
        u.add_events(user_id=None, events=[], source="cli", now=NOW)
    with store.unit() as u:
        row = u.session.get(MessageLog, mid)
        assert row is not None and row.payload == "menu_main" and row.source == "eval"
        assert row.created_at == NOW
        handoff = u.session.get(HandoffRequest, hid)
        assert handoff is not None and handoff.status == "open"
        assert u.count(EventRow) == 0
