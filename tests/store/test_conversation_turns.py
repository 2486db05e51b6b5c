"""Whole turns through api/conversation on both databases, with the real content."""

from __future__ import annotations

import datetime as dt
import threading

from api.conversation import Conversation, OutboxTarget, prepare_inbound
from api.live_content import ContentRuntime, sync_from_files
from api.store.models import MessageLog, Unanswered
from api.settings import Settings
from api.store import Store
from bot.core.types import MatchKind

NOW = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)


def _conversation(store: Store) -> Conversation:
    report = sync_from_files(store, Settings(_env_file=None), now=NOW)  # type: ignore[call-arg]
    assert not report.errors, report.errors
    return Conversation(store, ContentRuntime(), clock=lambda: NOW)


def test_flow_state_survives_between_turns(store: Store) -> None:
    conv = _conversation(store)
    first = conv.run_turn(channel="web", external_id="u1", inbound=prepare_inbound(payload="f-l2"))
    assert first is not None and first.match.kind is MatchKind.FLOW
    # A new Conversation object (another instance) continues from the stored session.
    other = Conversation(store, ContentRuntime(), clock=lambda: NOW)
    second = other.run_turn(channel="web", external_id="u1", inbound=prepare_inbound(text="1"))
    assert second is not None and second.match.kind is MatchKind.FLOW
    assert second.match.id != first.match.id


def test_duplicate_update_is_answered_once(store: Store) -> None:
    conv = _conversation(store)
    target = OutboxTarget(channel="telegram", chat_id="42", context={})
    inbound = prepare_inbound(text="quen mat khau vneid")
    a = conv.run_turn(channel="telegram", external_id="42", inbound=inbound, dedup_id="1001", outbox=target)
    b = conv.run_turn(channel="telegram", external_id="42", inbound=inbound, dedup_id="1001", outbox=target)
    assert a is not None and a.outbox_id is not None and b is None
    with store.unit() as unit:
        assert unit.count(MessageLog, direction="in") == 1


def test_concurrent_turns_of_one_user_do_not_lose_state(store: Store) -> None:
    conv = _conversation(store)
    errors: list[BaseException] = []

    def worker(i: int) -> None:
        try:
            conv.run_turn(channel="web", external_id="same", inbound=prepare_inbound(text=f"cai vneid {i}"))
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    with store.unit() as unit:
        assert unit.count(MessageLog, direction="in") == 6


def test_cli_and_eval_traffic_stays_out_of_the_inbox(store: Store) -> None:
    conv = _conversation(store)
    q = "con meo nha toi bi om phai lam the nao bay gio"
    for source in ("cli", "eval", "user"):
        conv.run_turn(channel="cli", external_id=f"x-{source}", inbound=prepare_inbound(text=q, source=source))
    with store.unit() as unit:
        assert unit.count(Unanswered, source="user") <= 1
        assert unit.count(Unanswered, source="cli") == 0 and unit.count(Unanswered, source="eval") == 0


def test_a_missing_facet_lands_in_the_inbox_with_its_service(store: Store) -> None:
    from bot.core.types import Event, Match

    event = Event("facet_missing", (("service", "unemployment"), ("facet", "documents"),
                                    ("question", "hồ sơ hưởng trợ cấp thất nghiệp gồm những gì")))
    with store.unit() as unit:
        uid = unit.get_or_create_user(channel="web", external_id="u-facet", now=NOW)
        Conversation._inbox(unit, user_id=uid, channel="web", event=event,  # noqa: SLF001 - the inbox mapping
                            match=Match(MatchKind.SERVICE, "unemployment", 0.4), now=NOW)
    with store.unit(readonly=True) as unit:
        assert unit.count(Unanswered, reason="facet_missing", entry_id="service:unemployment") == 1


def test_one_question_makes_one_inbox_row_whatever_the_reasons(store: Store) -> None:
    from bot.core.types import Event, Inbound, Match, Reply, Session, Turn

    conv = _conversation(store)
    q = "nộp hồ sơ thất nghiệp có mất phí không"
    # a tentative service answer whose asked facet is missing: it says why, and it is a "did you mean"
    turn = Turn(
        replies=(Reply("…"),), match=Match(MatchKind.CLARIFY, None, 0.2), session=Session(),
        events=(Event("service_viewed", (("service", "unemployment"),)),
                Event("facet_missing", (("service", "unemployment"), ("facet", "fee"), ("question", q))),
                Event("clarify_offered", (("question", q), ("candidates", "service:unemployment")))),
    )
    with store.unit() as unit:
        uid = unit.get_or_create_user(channel="web", external_id="u-one-row", now=NOW)
        conv._record(unit, user_id=uid, channel="web", inbound=Inbound(text=q, source="user"),  # noqa: SLF001
                     turn=turn, now=NOW)
    with store.unit(readonly=True) as unit:
        assert unit.count(Unanswered, source="user") == 1
        assert unit.count(Unanswered, reason="facet_missing", entry_id="service:unemployment") == 1
