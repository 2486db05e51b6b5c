"""Blocking database work from async code: :func:`in_unit` runs it in one transaction on a worker thread."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from starlette.concurrency import run_in_threadpool

from api.store.repository import Store, Unit

__all__ = ["in_unit"]

T = TypeVar("T")


async def in_unit(store: Store, work: Callable[[Unit], T], *, readonly: bool = False) -> T:
    """``work(unit)`` in one transaction of ``store`` (read-only when asked), off the event loop; its result."""
    def run() -> T:
        with store.unit(readonly=readonly) as unit:
            return work(unit)

    return await run_in_threadpool(run)
