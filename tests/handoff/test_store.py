"""Hand-off store on both databases: exactly one claim wins a race; escalation; office hours."""

from __future__ import annotations

import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor

from api.handoff import repo
from api.handoff.hours import VN_TZ, Hours, parse_schedule
from api.handoff.shell import HandoffShell
from api.store import Store
from api.store.models import Outbox
from api.team import repo as team_repo
from bot.core.ui_texts import UiTexts

NOW = dt.datetime(2026, 12, 7, 2, 0, tzinfo=dt.UTC)  # Monday 09:00 in Vietnam


def _open(store: Store, *, unit_id: int | None = None, due: dt.datetime = NOW + dt.timedelta(minutes=30)) -> int:
    with store.unit() as unit:
        user = unit.get_or_create_user(channel="telegram", external_id="42", now=NOW)
        return repo.open_handoff(unit, user_id=user, channel="telegram", chat_id="42", context={"chat_type": "private"},
                                 unit_id=unit_id, reason="asked", due_at=due, now=NOW)


def test_exactly_one_of_many_parallel_claims_wins(store: Store) -> None:
    handoff_id = _open(store)
    barrier = threading.Barrier(8)

    def claim(i: int) -> bool:
        barrier.wait()
        with store.unit() as unit:
            return repo.claim(unit, handoff_id=handoff_id, staff=f"staff-{i}", now=NOW)

    with ThreadPoolExecutor(8) as pool:
        wins = list(pool.map(claim, range(8)))
    assert wins.count(True) == 1
    with store.unit(readonly=True) as unit:
        view = repo.get(unit, handoff_id)
    assert view is not None and view.status == "claimed"
    assert view.claimed_by == f"staff-{wins.index(True)}"


def test_closed_and_claimed_handoffs_cannot_be_claimed_again(store: Store) -> None:
    handoff_id = _open(store)
    with store.unit() as unit:
        assert repo.claim(unit, handoff_id=handoff_id, staff="a", now=NOW)
        assert not repo.claim(unit, handoff_id=handoff_id, staff="b", now=NOW)
        assert repo.close(unit, handoff_id=handoff_id, staff="a", now=NOW)
        assert not repo.close(unit, handoff_id=handoff_id, staff="a", now=NOW)
        assert not repo.claim(unit, handoff_id=handoff_id, staff="b", now=NOW)
        assert repo.active_for_user(unit, repo.get(unit, handoff_id).user_id) is None  # type: ignore[union-attr]


def test_overdue_handoff_is_escalated_to_the_province_and_the_citizen_told(store: Store) -> None:
    with store.unit() as unit:
        province = team_repo.create_unit(unit, level="province", name="Tỉnh Thử", parent_id=None, now=NOW)
        commune = team_repo.create_unit(unit, level="commune", name="Xã An", parent_id=province.id, now=NOW)
    handoff_id = _open(store, unit_id=commune.id, due=NOW + dt.timedelta(minutes=30))
    shell = HandoffShell()
    with store.unit() as unit:
        assert shell.escalate_due(unit, texts=UiTexts(), now=NOW + dt.timedelta(minutes=29)) == 0
    with store.unit() as unit:
        assert shell.escalate_due(unit, texts=UiTexts(), now=NOW + dt.timedelta(minutes=31)) == 1
        view = repo.get(unit, handoff_id)
        assert view is not None and view.status == "escalated" and view.unit_id == province.id
        told = [line.text for line in repo.lines(unit, handoff_id) if line.author == "system"]
        assert len(told) == 1 and "Xã An" in told[0] and "Tỉnh Thử" in told[0]
        assert unit.count(Outbox, chat_id="42") == 1  # the notice is queued for the citizen's chat
    with store.unit() as unit:  # an escalated hand-off is claimable, and not escalated twice
        assert shell.escalate_due(unit, texts=UiTexts(), now=NOW + dt.timedelta(hours=5)) == 0
        assert repo.claim(unit, handoff_id=handoff_id, staff="tinh", now=NOW)


def test_unit_hours_are_inherited_and_validated(store: Store) -> None:
    with store.unit() as unit:
        province = team_repo.create_unit(unit, level="province", name="Tỉnh", parent_id=None, now=NOW)
        commune = team_repo.create_unit(unit, level="commune", name="Phường", parent_id=province.id, now=NOW)
        repo.set_hours(unit, unit_id=province.id, schedule={"sun": ["18:00-21:00"]}, pickup_minutes=10, now=NOW)
        hours = repo.hours_for(unit, commune.id)
    assert hours.pickup_minutes == 10 and not hours.is_open(NOW)
    opens = hours.next_open(NOW)
    assert opens is not None and opens.astimezone(VN_TZ).weekday() == 6 and opens.astimezone(VN_TZ).hour == 18


def test_office_hours_due_time_counts_office_time_only() -> None:
    hours = Hours(parse_schedule({"mon": ["07:30-11:30", "13:30-17:00"]}), pickup_minutes=30)
    friday_night = dt.datetime(2026, 12, 4, 22, 0, tzinfo=VN_TZ)
    assert not hours.is_open(friday_night)
    assert hours.due(friday_night) == dt.datetime(2026, 12, 7, 8, 0, tzinfo=VN_TZ)
    before_lunch = dt.datetime(2026, 12, 7, 11, 20, tzinfo=VN_TZ)
    assert hours.due(before_lunch) == dt.datetime(2026, 12, 7, 13, 50, tzinfo=VN_TZ)
