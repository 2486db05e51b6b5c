"""``GET /healthz``: the database, the content version and each channel's state."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import text
from starlette.concurrency import run_in_threadpool

from api.store import Store

__all__ = ["router"]

router = APIRouter(tags=["health"])


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
        200: {**_HEALTH, "description": "The database answers"},
        503: {**_HEALTH, "description": "The database does not answer (status degraded)"},
    },
)
async def healthz(request: Request) -> JSONResponse:
    """200 when the database answers; each channel's state is reported either way."""
    store: Store = request.app.state.store

    def _probe() -> int:
        with store.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        with store.unit() as unit:
            return unit.content_version()

    body: dict[str, Any] = {"status": "ok", "channels": dict(request.app.state.channel_states)}
    try:
        body["content_version"] = await run_in_threadpool(_probe)
        body["database"] = "ok"
        status = 200
    except Exception as exc:  # report, don't crash: the load balancer needs an answer
        body["status"] = "degraded"
        body["database"] = f"error: {type(exc).__name__}"
        status = 503
    return JSONResponse(body, status_code=status)
