"""Support point tables: create, change, delete, list (each call joins the caller's transaction).

Validation lives here, so the admin REST API and the console page refuse the same things with the
same messages: a known commune or ward code (the province follows from it), coordinates in range,
each window's end after its start, a weekday 0-6 or a date.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import delete, insert, select, update

from api.store import Unit
from api.store.models import metadata
from api.support import units
from bot.core.support import PointView, Window

__all__ = [
    "KINDS",
    "MAX_WINDOWS",
    "SERVICES",
    "PointData",
    "SupportError",
    "communes_with_points",
    "create_point",
    "delete_point",
    "get_point",
    "list_points",
    "update_point",
    "validate",
]

KINDS = ("police", "one_stop", "mobile", "cultural_house", "other")
SERVICES = ("install", "level2", "card", "services")
MAX_WINDOWS = 50

_points = metadata.tables["support_points"]
_windows = metadata.tables["support_windows"]


class SupportError(ValueError):
    """A support point the tables refuse; ``field`` names the input at fault (a 422 for the API)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True, slots=True)
class PointData:
    """A support point as an admin writes it."""

    name: str
    kind: str
    address: str
    commune_code: int
    lat: float
    lon: float
    services: tuple[str, ...] = ()
    bring: str = ""
    note: str = ""
    windows: tuple[Window, ...] = ()
    province_code: int | None = None


def validate(data: PointData) -> tuple[PointData, int]:
    """The data cleaned (spaces collapsed) and its province code; :class:`SupportError` when refused."""
    name = " ".join(data.name.split())
    address = " ".join(data.address.split())
    if not 1 <= len(name) <= 200:
        raise SupportError("name", "cần tên điểm (1–200 ký tự)")
    if not 1 <= len(address) <= 500:
        raise SupportError("address", "cần địa chỉ (1–500 ký tự)")
    if data.kind not in KINDS:
        raise SupportError("kind", f"loại điểm phải là một trong: {', '.join(KINDS)}")
    ward = units.ward(data.commune_code)
    if ward is None:
        raise SupportError("commune_code", "mã xã/phường không có trong danh mục đơn vị hành chính mới")
    if data.province_code is not None and data.province_code != ward.province_code:
        raise SupportError("province_code", "xã/phường này không thuộc tỉnh đã chọn")
    if not (-90 <= data.lat <= 90):
        raise SupportError("lat", "vĩ độ phải trong khoảng -90 đến 90")
    if not (-180 <= data.lon <= 180):
        raise SupportError("lon", "kinh độ phải trong khoảng -180 đến 180")
    bad = [s for s in data.services if s not in SERVICES]
    if bad:
        raise SupportError("services", f"việc làm tại điểm phải thuộc: {', '.join(SERVICES)}")
    if len(data.bring) > 1000 or len(data.note) > 1000:
        raise SupportError("bring" if len(data.bring) > 1000 else "note", "tối đa 1000 ký tự")
    if len(data.windows) > MAX_WINDOWS:
        raise SupportError("windows", f"tối đa {MAX_WINDOWS} khung giờ")
    for w in data.windows:
        if (w.weekday is None) == (w.on_date is None):
            raise SupportError("windows", "mỗi khung giờ có một thứ trong tuần hoặc một ngày")
        if w.weekday is not None and not 0 <= w.weekday <= 6:
            raise SupportError("windows", "thứ trong tuần là 0 (Thứ Hai) đến 6 (Chủ nhật)")
        if w.end <= w.start:
            raise SupportError("windows", "giờ kết thúc phải sau giờ bắt đầu")
    services = tuple(dict.fromkeys(data.services))
    clean = PointData(name, data.kind, address, data.commune_code, data.lat, data.lon, services,
                      data.bring.strip(), data.note.strip(), data.windows, ward.province_code)
    return clean, ward.province_code


def _values(data: PointData, province_code: int) -> dict[str, object]:
    return {"name": data.name, "kind": data.kind, "address": data.address, "province_code": province_code,
            "commune_code": data.commune_code, "lat": data.lat, "lon": data.lon, "services": list(data.services),
            "bring": data.bring, "note": data.note}


def _write_windows(unit: Unit, point_id: int, windows: Sequence[Window]) -> None:
    unit.connection.execute(delete(_windows).where(_windows.c.point_id == point_id))
    if windows:
        unit.connection.execute(insert(_windows), [
            {"point_id": point_id, "weekday": w.weekday, "on_date": w.on_date,
             "start": w.start.strftime("%H:%M"), "end": w.end.strftime("%H:%M")} for w in windows])


def create_point(unit: Unit, data: PointData, *, by: str, now: dt.datetime) -> PointView:
    """Add a point with its windows."""
    clean, province_code = validate(data)
    new_id = unit.connection.execute(
        insert(_points).values(**_values(clean, province_code), created_at=now, updated_at=now, updated_by=by[:64])
        .returning(_points.c.id)).scalar_one()
    _write_windows(unit, int(new_id), clean.windows)
    view = get_point(unit, int(new_id))
    assert view is not None
    return view


def update_point(unit: Unit, point_id: int, data: PointData, *, by: str, now: dt.datetime) -> PointView | None:
    """Replace a point's data and windows; None when there is no such point."""
    clean, province_code = validate(data)
    done = unit.connection.execute(update(_points).where(_points.c.id == point_id)
                                   .values(**_values(clean, province_code), updated_at=now, updated_by=by[:64]))
    if done.rowcount == 0:
        return None
    _write_windows(unit, point_id, clean.windows)
    return get_point(unit, point_id)


def delete_point(unit: Unit, point_id: int) -> bool:
    """Delete a point (its windows go with it); False when there was none."""
    unit.connection.execute(delete(_windows).where(_windows.c.point_id == point_id))
    return bool(unit.connection.execute(delete(_points).where(_points.c.id == point_id)).rowcount)


def _hhmm(value: str) -> dt.time:
    return dt.time.fromisoformat(value)


def list_points(unit: Unit, *, commune_code: int | None = None, province_code: int | None = None,
                point_id: int | None = None) -> list[PointView]:
    """Points (optionally of one commune or province), by name, each with its windows."""
    query = select(_points).order_by(_points.c.name, _points.c.id)
    if commune_code is not None:
        query = query.where(_points.c.commune_code == commune_code)
    if province_code is not None:
        query = query.where(_points.c.province_code == province_code)
    if point_id is not None:
        query = query.where(_points.c.id == point_id)
    rows = unit.connection.execute(query).mappings().all()
    if not rows:
        return []
    ids = [r["id"] for r in rows]
    windows: dict[int, list[Window]] = {i: [] for i in ids}
    for w in unit.connection.execute(select(_windows).where(_windows.c.point_id.in_(ids))
                                     .order_by(_windows.c.id)).mappings():
        windows[w["point_id"]].append(Window(w["weekday"], w["on_date"], _hhmm(w["start"]), _hhmm(w["end"])))
    return [PointView(int(r["id"]), r["name"], r["kind"], r["address"], int(r["province_code"]),
                      int(r["commune_code"]), float(r["lat"]), float(r["lon"]), tuple(r["services"] or ()),
                      r["bring"], r["note"], tuple(windows[r["id"]])) for r in rows]


def get_point(unit: Unit, point_id: int) -> PointView | None:
    """One point, or None."""
    found = list_points(unit, point_id=point_id)
    return found[0] if found else None


def communes_with_points(unit: Unit, province_code: int) -> list[int]:
    """The codes of a province's communes and wards that have at least one point."""
    rows = unit.connection.execute(select(_points.c.commune_code).distinct()
                                   .where(_points.c.province_code == province_code))
    return sorted(int(r[0]) for r in rows)
