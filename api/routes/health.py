"""``GET /healthz``: the database, the content version and each channel's state.

It answers within a fraction of a second even while another process holds SQLite's write lock:
the probe only reads (WAL readers never wait for the writer) and asks whether a write could start
now without waiting, in threads of its own so requests queued on the lock cannot starve it.
"""

from __future__ import annotations

from typing import Any

import anyio
import anyio.to_thread
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from api.store import Store

__all__ = ["router"]

router = APIRouter(tags=["health"])


def _probe(store: Store) -> tuple[int, bool]:
    with store.unit(readonly=True) as unit:  # a read: proves the connection, never waits for a writer
        version = unit.content_version()
    return version, store.writable_now()


class HealthOut(BaseModel):
    """The health report (OpenAPI only: the route builds the JSON itself)."""

    status: str
    channels: dict[str, str]
    database: str
    content_version: int | None = None


_HEALTH = {"model": HealthOut}


@router.get(
    "/healthz",
    responses={
        200: {**_HEALTH, "description": "The database answers (degraded while another writer holds the lock)"},
        503: {**_HEALTH, "description": "The database does not answer (status degraded)"},
    },
)
async def healthz(request: Request) -> JSONResponse:
    """200 when the database answers (``degraded`` while writes must wait); 503 when it does not."""
    state = request.app.state
    limiter: anyio.CapacityLimiter = state.health_limiter
    body: dict[str, Any] = {"status": "ok", "channels": dict(state.channel_states)}
    try:
        body["content_version"], writable = await anyio.to_thread.run_sync(_probe, state.store, limiter=limiter)
    except Exception as exc:  # report, don't crash: the load balancer needs an answer
        body["status"] = "degraded"
        body["database"] = f"error: {type(exc).__name__}"
        return JSONResponse(body, status_code=503)
    if writable:
        body["database"] = "ok"
    else:
        # Readable, but another connection holds the write lock: answers wait until it is let go.
        body["status"] = "degraded"
        body["database"] = "busy: another connection holds the write lock"
    return JSONResponse(body, status_code=200)
