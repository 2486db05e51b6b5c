"""Delivery through the fake Bot API: once each, paced, 429 obeyed, 5xx retried, blocked users skipped."""

from __future__ import annotations

import asyncio
import time

from api.announce import repo
from api.announce.delivery import HEADROOM
from api.store import Store
from bot.loadrig import fake_bot_api, fake_bot_api_process
from tests.announce.helpers import announce, broadcaster, progress, subscribe, subscription_status


def _run(store: Store, url: str, announcement_id: int, **kw: float) -> dict[str, int]:
    async def go() -> dict[str, int]:
        b, sender = broadcaster(store, url, **kw)
        try:
            return await b.run(announcement_id)
        finally:
            await sender.aclose()

    return asyncio.run(go())


def test_every_subscriber_of_the_commune_gets_it_once(store: Store) -> None:
    chats = subscribe(store, 120, commune=4)
    others = subscribe(store, 30, commune=7, first=1000)
    subscribe(store, 10, commune=4, first=2000, status="stopped")
    web = subscribe(store, 5, commune=4, first=3000, channel="web")
    with fake_bot_api() as (url, fake):
        announcement_id = announce(store, communes=[4])
        final = _run(store, url, announcement_id)
        per_chat = fake.per_chat()
    assert set(per_chat) == set(chats) and set(per_chat.values()) == {1}
    assert not set(others) & set(per_chat)
    assert final["sent"] == 125 and final["total"] == 125  # the web chat's 5 wait in their page
    assert len(web) == 5
    with store.unit(readonly=True) as unit:
        view = repo.get(unit, announcement_id)
        assert view is not None and view.status == "done"
    text = fake.records()[0].text
    assert text.startswith("📢 Thông báo (Phường Ba Đình)") and "«dừng»" in text


def test_a_second_run_sends_nothing_more(sqlite_store: Store) -> None:
    subscribe(sqlite_store, 40)
    with fake_bot_api() as (url, fake):
        announcement_id = announce(sqlite_store)
        _run(sqlite_store, url, announcement_id)
        _run(sqlite_store, url, announcement_id)
        assert fake.sent == 40


def test_429_is_obeyed_and_nothing_is_lost(sqlite_store: Store) -> None:
    # We pace at 500/s and the fake allows 10/s: the excess is refused even when a busy machine
    # slows the sender to a few dozen a second (at 50/s it sometimes never went over).
    chats = subscribe(sqlite_store, 40)
    with fake_bot_api(limit_per_s=10) as (url, fake):
        announcement_id = announce(sqlite_store)
        started = time.monotonic()
        final = _run(sqlite_store, url, announcement_id, rate=500.0)
        elapsed = time.monotonic() - started
        per_chat = fake.per_chat()
        records = fake.records()
    assert fake.rate_limited >= 1
    assert set(per_chat) == set(chats) and set(per_chat.values()) == {1}
    assert final["sent"] == 40
    # retry_after is 1 s: 40 messages at 10 per second window take at least three further seconds
    assert elapsed >= 3.0
    # after a refusal everyone waited: no second holds more than the limit
    times = [r.at for r in records]
    assert max(sum(1 for t in times if s <= t < s + 1.0) for s in times) <= 10


def test_pacing_stays_under_the_limit_and_close_to_it(sqlite_store: Store) -> None:
    """About two seconds at Telegram's 30/s, against a fake in its own process (its clock is not
    held up by ours): nothing refused, and the rate close to the limit."""
    subscribe(sqlite_store, 75)
    with fake_bot_api_process(limit_per_s=30) as (url, stats):
        announcement_id = announce(sqlite_store)
        _run(sqlite_store, url, announcement_id, rate=30.0)
        seen = stats()
    assert seen["sent"] == 75 and seen["rate_limited"] <= 1
    times: list[float] = seen["times"]
    busiest = max(sum(1 for t in times if s <= t < s + 1.0) for s in times)
    assert 25 <= busiest <= 30, busiest  # close to the limit, never over it
    # 75 messages at 29 per second need two full windows, and not much more (a busy machine
    # stretched it to 3.5 s once: the busiest second above is the check of closeness)
    assert 2.0 <= times[-1] - times[0] <= 4.5, times[-1] - times[0]
    assert HEADROOM < 1


def test_blocked_users_are_marked_and_skipped_afterwards(sqlite_store: Store) -> None:
    chats = subscribe(sqlite_store, 20)
    blocked = frozenset(chats[:3])
    with fake_bot_api(blocked=blocked) as (url, fake):
        first = announce(sqlite_store)
        final = _run(sqlite_store, url, first)
        assert final["blocked"] == 3 and final["sent"] == 17
        assert all(subscription_status(sqlite_store, c) == "blocked" for c in blocked)
        second = announce(sqlite_store)
        final2 = _run(sqlite_store, url, second)
    assert final2["total"] == 17 and final2["sent"] == 17  # the blocked three are not even listed


def test_5xx_is_retried_with_back_off(sqlite_store: Store) -> None:
    chats = subscribe(sqlite_store, 10)
    with fake_bot_api() as (url, fake):
        announcement_id = announce(sqlite_store)
        fake.set_failing(True)

        async def go() -> dict[str, int]:
            b, sender = broadcaster(sqlite_store, url)
            try:
                task = asyncio.create_task(b.run(announcement_id))
                await asyncio.sleep(0.6)
                fake.set_failing(False)
                return await task
            finally:
                await sender.aclose()

        final = asyncio.run(go())
        assert fake.refused >= 2
        assert set(fake.per_chat()) == set(chats) and set(fake.per_chat().values()) == {1}
    assert final["sent"] == 10 and final["failed"] == 0


def test_a_citizen_who_stops_meanwhile_is_skipped(sqlite_store: Store) -> None:
    chats = subscribe(sqlite_store, 5)
    with fake_bot_api() as (url, fake):
        announcement_id = announce(sqlite_store)
        with sqlite_store.unit() as unit:
            view = repo.get(unit, announcement_id)
            assert view is not None
            repo.set_status(unit, announcement_id, allowed=("scheduled",), status="sending", now=view.created_at)
            repo.list_recipients(unit, view, now=view.created_at)
            uid = unit.find_user(channel="telegram", external_id=str(chats[0]))
            assert uid is not None
            repo.upsert_subscription(unit, user_id=uid, channel="telegram", chat_id=str(chats[0]), context=None,
                                     status="stopped", now=view.created_at)
        final = _run(sqlite_store, url, announcement_id)
        assert chats[0] not in fake.per_chat()
    assert final["skipped"] == 1 and final["sent"] == 4
    assert progress(sqlite_store, announcement_id)["sent"] == 4


def test_replies_going_out_meanwhile_take_their_room_and_nothing_is_refused(sqlite_store: Store) -> None:
    """Replies to citizens (15/s, counted in the shared budget as the outbox does) during a broadcast
    at Telegram's 30/s, against a fake that refuses the 31st message of any second: the broadcast
    makes room for them, so together they stay within the limit."""
    import threading

    import httpx

    from api import budget_keys
    from bot.loadrig import TOKEN

    subscribe(sqlite_store, 90)
    stop = threading.Event()
    replies: list[int] = []

    def reply_loop(url: str) -> None:
        with httpx.Client(base_url=f"{url}{TOKEN}", timeout=5) as client:
            while not stop.is_set():
                with sqlite_store.unit() as unit:
                    unit.hit_rate_limit(key=budget_keys.TELEGRAM_ALL, limit=30, window_s=1, now_epoch=int(time.time()))
                client.post("/sendMessage", json={"chat_id": 9_000_000 + len(replies), "text": "trả lời"})
                replies.append(1)
                time.sleep(1 / 15)

    with fake_bot_api_process(limit_per_s=30) as (url, stats):
        announcement_id = announce(sqlite_store)
        worker = threading.Thread(target=reply_loop, args=(url,), daemon=True)
        worker.start()
        time.sleep(1.2)  # the replies are under way before the broadcast starts
        try:
            final = _run(sqlite_store, url, announcement_id, rate=30.0)
        finally:
            stop.set()
            worker.join(timeout=5)
        seen = stats()
    assert final["sent"] == 90
    assert len(replies) >= 60
    # Without the shared room the two streams meet the limit again and again (a 429 pauses the
    # broadcast for a second, then it crowds the replies once more): 5 to 9 refusals in three runs
    # with the replies left out of the budget. With it, 0 or 1 on an idle machine, 0 to 2 with both
    # cores busy, once 3 in a loaded CI run: a message counted in one second of the budget can reach
    # the fake in the next one.
    assert seen["rate_limited"] <= 3, seen["rate_limited"]
