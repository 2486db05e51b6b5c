"""Support point HTTP routes: the admin REST API (bearer token, every change audited) and the public search.

``GET /api/v1/support-points?commune=<code>`` lists a commune's points, soonest window first;
``?lat=…&lon=…[&limit=]`` lists the nearest points first with ``distance_m`` (haversine). Each point
carries ``next_window`` (ISO datetimes in Asia/Ho_Chi_Minh) and ``open_now``.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

import anyio.to_thread
from fastapi import APIRouter, Depends, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from api.console.security import ADMINS, READERS, Principal, audit, client_ip, require
from api.deps import StoreDep
from api.errors import ApiError, NotFound, error_responses
from api.inbound import BoundedJsonRoute
from api.store import Store, Unit
from api.support import repo, units
from bot.core.support import PointView, Ranked, Window, rank

__all__ = ["BadQuery", "NotFound", "PointIn", "Refused", "WindowIn", "admin", "point_out", "public"]

admin = APIRouter(prefix="/api/v1/admin", tags=["support points"], route_class=BoundedJsonRoute)
public = APIRouter(prefix="/api/v1", tags=["support points"])

Admin = Annotated[Principal, Depends(require(*ADMINS))]
Reader = Annotated[Principal, Depends(require(*READERS))]


class Refused(ApiError):
    """A support point the tables refuse (unknown commune, coordinates out of range, end before start)."""

    status = 422


class BadQuery(ApiError):
    """A search with neither a commune nor a location."""

    status = 400


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


async def _db(store: Store, fn: Any) -> Any:
    def work() -> Any:
        with store.unit() as unit:
            return fn(unit)

    try:
        return await anyio.to_thread.run_sync(work)
    except repo.SupportError as exc:
        raise Refused(str(exc)) from exc


class WindowIn(BaseModel):
    """A time window (local time): weekly with ``weekday`` (0 = Monday … 6 = Sunday) or on ``date``."""

    model_config = ConfigDict(extra="forbid")
    weekday: int | None = Field(default=None, ge=0, le=6)
    date: dt.date | None = None
    start: dt.time
    end: dt.time


class PointIn(BaseModel):
    """A support point as an admin writes it."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=200)
    kind: Literal["police", "one_stop", "mobile", "cultural_house", "other"]
    address: str = Field(min_length=1, max_length=500)
    commune_code: int = Field(ge=1, le=10**6)
    province_code: int | None = Field(default=None, ge=1, le=999)
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    services: list[Literal["install", "level2", "card", "services"]] = Field(default_factory=list, max_length=4)
    bring: str = Field(default="", max_length=1000)
    note: str = Field(default="", max_length=1000)
    windows: list[WindowIn] = Field(default_factory=list, max_length=repo.MAX_WINDOWS)

    def data(self) -> repo.PointData:
        """The repository's value."""
        return repo.PointData(
            name=self.name, kind=self.kind, address=self.address, commune_code=self.commune_code, lat=self.lat,
            lon=self.lon, services=tuple(self.services), bring=self.bring, note=self.note,
            windows=tuple(Window(w.weekday, w.date, w.start.replace(second=0, microsecond=0, tzinfo=None),
                                 w.end.replace(second=0, microsecond=0, tzinfo=None)) for w in self.windows),
            province_code=self.province_code)


def point_out(p: PointView, r: Ranked | None = None) -> dict[str, Any]:
    """A point's JSON (with distance, next window and ``open_now`` when ranked)."""
    ward, province = units.ward(p.commune_code), units.province(p.province_code)
    out: dict[str, Any] = {
        "id": p.id, "name": p.name, "kind": p.kind, "address": p.address,
        "province_code": p.province_code, "province": province.name if province else None,
        "commune_code": p.commune_code, "commune": ward.name if ward else None,
        "lat": p.lat, "lon": p.lon, "services": list(p.services), "bring": p.bring, "note": p.note,
        "windows": [{"weekday": w.weekday, "date": w.on_date.isoformat() if w.on_date else None,
                     "start": w.start.strftime("%H:%M"), "end": w.end.strftime("%H:%M")} for w in p.windows],
    }
    if r is not None:
        out["distance_m"] = round(r.distance_m) if r.distance_m is not None else None
        out["next_window"] = ({"start": r.next_window[0].isoformat(), "end": r.next_window[1].isoformat()}
                              if r.next_window is not None else None)
        out["open_now"] = r.open_now
    return out


# -- admin --------------------------------------------------------------------------------------------


@admin.post("/support-points", status_code=201, responses=error_responses(400, 401, 422))
async def create_point(body: PointIn, request: Request, store: StoreDep, who: Admin) -> dict[str, Any]:
    """Add a support point (admin)."""
    now = _now()

    def work(unit: Unit) -> PointView:
        made = repo.create_point(unit, body.data(), by=who.username, now=now)
        audit(unit, who=who, action="support.create", target=str(made.id),
              detail={"name": made.name, "commune": made.commune_code}, ip=client_ip(request), now=now)
        return made

    return point_out(await _db(store, work))


@admin.get("/support-points", responses=error_responses(401, 422))
async def list_points(store: StoreDep, who: Reader,
                      commune: Annotated[int | None, Query(ge=1, le=10**6)] = None,
                      province: Annotated[int | None, Query(ge=1, le=999)] = None) -> list[dict[str, Any]]:
    """Every support point, or a commune's or province's (console readers)."""
    found = await _db(store, lambda unit: repo.list_points(unit, commune_code=commune, province_code=province))
    return [point_out(p) for p in found]


@admin.get("/support-points/{point_id}", responses=error_responses(401, 404, 422))
async def get_point(point_id: int, store: StoreDep, who: Reader) -> dict[str, Any]:
    """One support point (console readers)."""
    found = await _db(store, lambda unit: repo.get_point(unit, point_id))
    if found is None:
        raise NotFound("no such support point")
    return point_out(found)


@admin.put("/support-points/{point_id}", responses=error_responses(400, 401, 404, 422))
async def update_point(point_id: int, body: PointIn, request: Request, store: StoreDep, who: Admin) -> dict[str, Any]:
    """Replace a support point's data and windows (admin)."""
    now = _now()

    def work(unit: Unit) -> PointView | None:
        done = repo.update_point(unit, point_id, body.data(), by=who.username, now=now)
        if done is not None:
            audit(unit, who=who, action="support.update", target=str(point_id),
                  detail={"name": done.name, "commune": done.commune_code}, ip=client_ip(request), now=now)
        return done

    found = await _db(store, work)
    if found is None:
        raise NotFound("no such support point")
    return point_out(found)


@admin.delete("/support-points/{point_id}", status_code=204, responses=error_responses(401, 404, 422))
async def delete_point(point_id: int, request: Request, store: StoreDep, who: Admin) -> Response:
    """Delete a support point (admin)."""
    now = _now()

    def work(unit: Unit) -> bool:
        gone = repo.delete_point(unit, point_id)
        if gone:
            audit(unit, who=who, action="support.delete", target=str(point_id), ip=client_ip(request), now=now)
        return gone

    if not await _db(store, work):
        raise NotFound("no such support point")
    return Response(status_code=204)


# -- public -------------------------------------------------------------------------------------------


@public.get("/support-points", responses=error_responses(400, 422))
async def search(store: StoreDep,
                 commune: Annotated[int | None, Query(ge=1, le=10**6, description="commune or ward code")] = None,
                 lat: Annotated[float | None, Query(ge=-90, le=90)] = None,
                 lon: Annotated[float | None, Query(ge=-180, le=180)] = None,
                 limit: Annotated[int, Query(ge=1, le=100)] = 20) -> dict[str, Any]:
    """Support points of a commune (soonest window first) or near a location (nearest first, ``distance_m``)."""
    if (lat is None) != (lon is None):
        raise BadQuery("lat and lon go together")
    if commune is None and lat is None:
        raise BadQuery("give commune=<code> or lat=…&lon=…")
    if commune is not None and units.ward(commune) is None:
        # A 422 shaped like FastAPI's own (with ``detail``), as documented for this route.
        raise RequestValidationError([{"type": "value_error", "loc": ("query", "commune"),
                                       "msg": "unknown commune or ward code", "input": commune}])
    near = (lat, lon) if lat is not None and lon is not None else None
    now = _now()
    found = await _db(store, lambda unit: repo.list_points(unit, commune_code=commune))
    ranked = rank(found, now, near=near)[:limit]
    return {"points": [point_out(r.point, r) for r in ranked]}
