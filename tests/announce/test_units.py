"""Small pure parts: how a Bot API answer is classified, the pacer's back-off, the Telegram calls, the stats."""

from __future__ import annotations

import asyncio
import datetime as dt
import math

import pytest

from api.announce.delivery import Pacer
from api.announce.stats import VN, delivery_stats
from api.announce.telegram import CAPTION_MAX, classify, telegram_calls
from api.store import Store
from bot.core import announce as core
from bot.loadrig import fake_bot_api
from tests.announce.helpers import announce, broadcaster, subscribe


@pytest.mark.parametrize(("status", "body", "expected"), [
    (200, {"ok": True, "result": {}}, "sent"),
    (429, {"ok": False, "description": "Too Many Requests: retry after 7", "parameters": {"retry_after": 7}}, "retry"),
    (403, {"ok": False, "description": "Forbidden: bot was blocked by the user"}, "blocked"),
    (403, {"ok": False, "description": "Forbidden: user is deactivated"}, "left"),
    (400, {"ok": False, "description": "Bad Request: chat not found"}, "left"),
    (400, {"ok": False, "description": "Bad Request: message text is empty"}, "failed"),
    (502, None, "transient"),
])
def test_classify(status: int, body: object, expected: str) -> None:
    result = classify(status, body)
    assert result.status == expected
    if expected == "retry":
        assert result.after_s == 7


def test_pacer_backs_off_once_per_429_and_recovers() -> None:
    now = [100.0]
    pacer = Pacer(30, clock=lambda: now[0])
    assert pacer.per_window == 30
    pacer.pause(1.0)
    pacer.pause(1.0)  # refused in the same moment: counted once
    assert pacer.per_window == 29
    now[0] += 2.0
    pacer.pause(1.0)
    assert pacer.per_window == 28
    now[0] += 11.0
    asyncio.run(pacer.wait())
    assert pacer.per_window == 29


def test_pacer_never_puts_more_than_the_limit_in_a_second() -> None:
    async def go() -> list[float]:
        pacer = Pacer(40)
        times = []
        loop = asyncio.get_running_loop()
        for _ in range(90):
            await pacer.wait()
            times.append(loop.time())
        return times

    times = asyncio.run(go())
    assert max(sum(1 for t in times if s <= t < s + 1.0) for s in times) <= 40
    assert times[-1] - times[0] >= 2.0


def test_telegram_calls_photo_caption_or_preview() -> None:
    short = core.message_reply("Ngắn.", image_url="https://example.org/a.png", buttons=[("Mức 2", "f-l2")],
                               place="Phường Ba Đình")
    calls = telegram_calls(short, 42)
    assert calls[0][0] == "sendPhoto" and calls[0][1]["caption"] == short.text
    assert calls[0][1]["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "f-l2"
    long = core.message_reply("x" * CAPTION_MAX, image_url="https://example.org/a.png", buttons=[], place="P")
    first = telegram_calls(long, 42)[0]
    assert first[0] == "sendMessage" and first[1]["link_preview_options"]["url"] == "https://example.org/a.png"


def test_delivery_stats_per_announcement_and_day(sqlite_store: Store) -> None:
    chats = subscribe(sqlite_store, 8)
    with fake_bot_api(blocked=frozenset(chats[:2])) as (url, _):
        announcement_id = announce(sqlite_store)

        async def go() -> None:
            b, sender = broadcaster(sqlite_store, url)
            try:
                await b.run(announcement_id)
            finally:
                await sender.aclose()

        asyncio.run(go())
    stats = delivery_stats(sqlite_store)
    assert stats.by_announcement[announcement_id]["sent"] == 6
    assert stats.by_announcement[announcement_id]["blocked"] == 2
    today = dt.datetime.now(VN).date()
    assert stats.by_day[today]["sent"] == 6 and stats.titles[announcement_id] == "thử"
    assert delivery_stats(sqlite_store, start=today + dt.timedelta(days=1)).by_day == {}


def test_pacer_runs_the_start_mark_in_line_and_counts_when_the_send_really_leaves() -> None:
    async def go() -> tuple[str | None, float, float]:
        pacer = Pacer(10)  # even spacing 0.1 s, never closer than 0.075 s
        loop = asyncio.get_running_loop()

        async def slow_mark() -> str:
            await asyncio.sleep(0.3)
            return "marked"

        t0 = loop.time()
        got = await pacer.wait(slow_mark)
        t1 = loop.time()
        await pacer.wait()
        return got, t1 - t0, loop.time() - t1

    got, first, gap = asyncio.run(go())
    assert got == "marked" and first >= 0.3  # the slot is given only once the mark is done
    assert gap >= 0.07  # spaced from the moment the first one left, not from its slot


def test_pacer_starts_the_marks_of_the_next_few_in_line_so_a_slow_commit_costs_no_slot() -> None:
    async def go() -> tuple[list[float], list[float]]:
        pacer = Pacer(10, lookahead=3)  # even spacing 0.1 s
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        began: list[float] = []
        left: list[float] = []

        async def caller() -> None:
            async def slow_mark() -> None:
                began.append(loop.time() - t0)
                await asyncio.sleep(0.25)

            await pacer.wait(slow_mark)
            left.append(loop.time() - t0)

        await asyncio.gather(*(caller() for _ in range(5)))
        return began, left

    began, left = asyncio.run(go())
    assert all(t < 0.05 for t in began[:3])  # the first three in line start at once
    assert min(began[3:]) >= left[0] - 0.01  # the fourth only once the first has left
    # marked one after the other (as with one in line) the five would need 5 x 0.25 s
    assert left[-1] < 0.9, left


def test_pacer_refuses_a_lookahead_below_one() -> None:
    with pytest.raises(ValueError, match="lookahead"):
        Pacer(10, lookahead=0)


def test_the_replies_sent_this_second_take_their_room_first() -> None:
    async def go(others_second: int) -> float:
        pacer = Pacer(50, window_s=0.2, wall=lambda: 1000.5)  # ten a window, at the most
        pacer.note_others(others_second, 8)  # the replies took eight of this second's ten
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        for _ in range(7):
            await pacer.wait()
        return loop.time() - t0

    assert asyncio.run(go(1000)) >= 0.55  # two a window: seven sends span three more windows
    assert asyncio.run(go(998)) < 0.3  # replies of a second gone by take nothing


def test_the_room_kept_spare_grows_with_the_replies_not_yet_counted() -> None:
    """The replies' count is read every REPLIES_POLL_S: those sent since are kept room for."""
    from api.announce.delivery import REPLIES_POLL_S

    assert Pacer.spare(0) == 0  # no replies going out: the broadcast has the whole limit
    assert Pacer.spare(1) == 2
    assert Pacer.spare(15) == 1 + math.ceil(15 * 2 * REPLIES_POLL_S) == 4  # 15/s: up to two polls unseen
    assert Pacer.spare(15) > Pacer.spare(5) > Pacer.spare(0)


def test_the_replies_of_the_second_before_count_while_inside_the_window() -> None:
    now = [1000.25]
    pacer = Pacer(30, wall=lambda: now[0])
    pacer.note_others(999, 12)
    pacer.note_others(1000, 4)
    assert pacer.others_now() == 4 + 9  # three quarters of the second before are still in the window
    now[0] = 1000.75
    assert pacer.others_now() == 4 + 3
    pacer.note_others(1000, 2)  # an older reading of the same second never lowers the count
    assert pacer.others_now() == 7
    now[0] = 1001.5
    assert pacer.others_now() == 2  # half of second 1000's four
    now[0] = 1002.0
    assert pacer.others_now() == 0


def test_a_telegram_broadcast_keeps_reading_the_replies_budget(sqlite_store: Store) -> None:
    from api import budget_keys

    b, _ = broadcaster(sqlite_store, "http://127.0.0.1:9/bot")
    b.pacer.wall = lambda: 1_000_000.25
    with sqlite_store.unit() as unit:
        for _ in range(21):  # the replies' sender counts each reply in the shared budget
            unit.hit_rate_limit(key=budget_keys.TELEGRAM_ALL, limit=30, window_s=1, now_epoch=1_000_000)

    async def go() -> int:
        watcher = asyncio.create_task(b._watch_replies())
        await asyncio.sleep(0.25)
        watcher.cancel()
        return b.pacer.others_now()

    assert asyncio.run(go()) == 21
    b.pacer.wall = lambda: 1_000_001.5
    assert b.pacer.others_now() == 11  # half of the second before is still in the window
    b.pacer.wall = lambda: 1_000_002.0
    assert b.pacer.others_now() == 0
