"""Writes that arrive together share one transaction: :class:`WriteBatcher`.

Senders record each outcome right after its send (the outbox, announcements), many at once. One
writer task per batcher takes everything queued, writes it with one call (one short transaction)
and answers every caller with that call's result; what arrives meanwhile waits for the next call.
When the write fails (the database is down) the items stay queued and the write is tried again
with back-off, so nothing submitted is forgotten while the process lives.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

__all__ = ["WriteBatcher"]

log = logging.getLogger(__name__)

I = TypeVar("I")
R = TypeVar("R")

#: Back-off after the n-th failed write in a row: 0.4 s, doubling, at most 10 s.
_RETRY_BASE_S = 0.2
_RETRY_CAP_S = 10.0


class WriteBatcher(Generic[I, R]):
    """Commits items as they come; items arriving together share one write (its result is every
    caller's answer).

    ``write`` gets the queued items in the order they came; ``label`` and ``what`` name the batcher
    in its task's name and log lines (``"announce"``, ``"start marks"`` → "announce: writing 3 start
    marks failed …").
    """

    def __init__(self, write: Callable[[list[I]], Awaitable[R]], *, label: str, what: str) -> None:
        self._write = write
        self._label = label
        self._what = what
        self._queue: list[tuple[I, asyncio.Future[R]]] = []
        self._flusher: asyncio.Task[None] | None = None

    async def submit(self, item: I) -> R:
        """Returns once ``item`` is written, with whatever else was waiting (a failing write is retried
        with back-off)."""
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._queue.append((item, future))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush(), name=f"{self._label}-{self._what}")
        return await future

    async def close(self) -> None:
        """Stop writing and retrying; the callers still waiting are cancelled."""
        flusher, self._flusher = self._flusher, None
        if flusher is not None and not flusher.done():
            flusher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await flusher
        for _, future in self._queue:
            future.cancel()
        self._queue.clear()

    async def _flush(self) -> None:
        await asyncio.sleep(0)  # let the items submitted in this loop iteration join the batch
        failures = 0
        while self._queue:
            batch = list(self._queue)
            try:
                result = await self._write([item for item, _ in batch])
            except asyncio.CancelledError:
                for _, future in batch:
                    if not future.done():
                        future.cancel()
                del self._queue[: len(batch)]
                raise
            except Exception as exc:  # noqa: BLE001 - the database may be down: keep the items
                failures += 1
                delay = min(_RETRY_CAP_S, _RETRY_BASE_S * 2 ** min(failures, 6))
                log.warning("%s: writing %d %s failed (%s), retrying in %.1f s", self._label, len(batch),
                            self._what, type(exc).__name__, delay)
                await asyncio.sleep(delay)
                continue
            failures = 0
            del self._queue[: len(batch)]
            for _, future in batch:
                if not future.done():
                    future.set_result(result)
