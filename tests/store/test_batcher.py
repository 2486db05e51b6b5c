"""The write batcher shared by the outbox and the announcement sender: items submitted together share
one write, every caller gets that write's result, a failing write is retried with the same items
plus what came meanwhile, and closing cancels the callers still waiting."""

from __future__ import annotations

import asyncio

import pytest

from api.store.batcher import WriteBatcher


async def test_items_submitted_together_share_one_write_and_its_result() -> None:
    writes: list[list[int]] = []

    async def write(items: list[int]) -> int:
        writes.append(list(items))
        return len(writes)

    batcher: WriteBatcher[int, int] = WriteBatcher(write, label="test", what="items")
    first = await asyncio.gather(*(batcher.submit(i) for i in range(5)))
    assert writes == [[0, 1, 2, 3, 4]] and first == [1] * 5
    assert await batcher.submit(9) == 2 and writes[-1] == [9]


async def test_items_arriving_during_a_write_go_in_the_next_one() -> None:
    writes: list[list[str]] = []
    release = asyncio.Event()

    async def write(items: list[str]) -> None:
        writes.append(list(items))
        if len(writes) == 1:
            await release.wait()

    batcher: WriteBatcher[str, None] = WriteBatcher(write, label="test", what="items")
    early = asyncio.ensure_future(batcher.submit("a"))
    await asyncio.sleep(0.01)
    late = [asyncio.ensure_future(batcher.submit(x)) for x in ("b", "c")]
    await asyncio.sleep(0.01)
    assert writes == [["a"]] and not early.done()
    release.set()
    await asyncio.gather(early, *late)
    assert writes == [["a"], ["b", "c"]]


async def test_a_failing_write_is_retried_with_what_came_meanwhile(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr("api.store.batcher._RETRY_BASE_S", 0.01)
    writes: list[list[int]] = []

    async def write(items: list[int]) -> str:
        writes.append(list(items))
        if len(writes) < 3:
            raise ConnectionError("database down")
        return "ok"

    batcher: WriteBatcher[int, str] = WriteBatcher(write, label="test", what="items")
    first = asyncio.ensure_future(batcher.submit(1))
    await asyncio.sleep(0.005)  # the first write failed; the second item waits for the retry
    second = asyncio.ensure_future(batcher.submit(2))
    assert await asyncio.gather(first, second) == ["ok", "ok"]
    assert writes[0] == [1] and writes[-1] == [1, 2] and len(writes) == 3
    assert "test: writing 1 items failed (ConnectionError), retrying in" in caplog.text


async def test_close_stops_retrying_and_cancels_the_waiting_callers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("api.store.batcher._RETRY_BASE_S", 0.01)
    attempts = 0

    async def write(items: list[int]) -> None:
        nonlocal attempts
        attempts += 1
        raise ConnectionError("database down")

    batcher: WriteBatcher[int, None] = WriteBatcher(write, label="test", what="items")
    waiting = asyncio.ensure_future(batcher.submit(1))
    await asyncio.sleep(0.05)
    assert attempts >= 2 and not waiting.done()
    await batcher.close()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    tried = attempts
    await asyncio.sleep(0.05)
    assert attempts == tried
