"""Console pages ``/admin/support-points`` (admin): list, add, edit and delete support points with
their time windows (weekly or on one date), a commune picker over the post-2025 units
(``/admin/support-points/communes?q=`` answers the search-as-you-type of ``support.js``; without
script, the commune code can be typed), and the map location as latitude/longitude.

The form is read field by field; the repository (:func:`api.support.repo.validate`) refuses the same
things as the REST API. A form with a mistake comes back with every field as typed (422), the
mistake named next to its field, nothing saved.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from api.console.security import ADMINS, Principal, audit, client_ip, require_page
from api.console.web import render
from api.store import Store, Unit
from api.store.offload import in_unit
from api.support import repo, units
from bot.core.support import SERVICE_LABELS, PointView, Window
from faq.normalize import fold

__all__ = ["KIND_LABELS", "WEEKDAYS", "PointForm", "pages", "read_form"]

pages = APIRouter(prefix="/admin/support-points", include_in_schema=False)
AdminPage = Annotated[Principal, Depends(require_page(*ADMINS))]
_ID_MAX = 2**31 - 1

KIND_LABELS: Mapping[str, str] = {"police": "Công an xã/phường", "one_stop": "Bộ phận một cửa",
                                  "mobile": "Tổ hỗ trợ lưu động", "cultural_house": "Nhà văn hóa",
                                  "other": "Nơi khác"}
WEEKDAYS = ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ nhật")
#: Blank window rows offered under the filled ones.
SPARE_ROWS = 3
#: Mainland Vietnam and its islands, generously: a point outside is almost surely a typo (swapped
#: latitude and longitude, a missing minus sign) rather than a real place.
LAT_RANGE, LON_RANGE = (8.0, 24.0), (102.0, 118.0)
_TIME = re.compile(r"^([01]?\d|2[0-3])[:hH.]([0-5]\d)$")
_FIELD_NAMES = {"name": "Tên điểm", "kind": "Loại điểm", "address": "Địa chỉ", "commune_code": "Xã/phường",
                "province_code": "Xã/phường", "lat": "Vĩ độ", "lon": "Kinh độ", "services": "Việc làm tại điểm",
                "bring": "Cần mang theo", "note": "Ghi chú", "windows": "Khung giờ"}


@dataclass
class PointForm:
    """The form as typed (strings), so a refused form comes back exactly as it was."""

    name: str = ""
    kind: str = "police"
    address: str = ""
    commune_code: str = ""
    lat: str = ""
    lon: str = ""
    services: list[str] = field(default_factory=list)
    bring: str = ""
    note: str = ""
    #: Rows of (weekday "0"-"6" or "", date "YYYY-MM-DD" or "", start, end).
    windows: list[tuple[str, str, str, str]] = field(default_factory=list)

    @classmethod
    def of(cls, p: PointView) -> PointForm:
        """The form of a stored point."""
        return cls(p.name, p.kind, p.address, str(p.commune_code), f"{p.lat:.6f}", f"{p.lon:.6f}",
                   list(p.services), p.bring, p.note,
                   [("" if w.weekday is None else str(w.weekday), w.on_date.isoformat() if w.on_date else "",
                     w.start.strftime("%H:%M"), w.end.strftime("%H:%M")) for w in p.windows])

    def commune_label(self) -> str:
        """«Phường Ba Đình, Thành phố Hà Nội» for the chosen code, or ""."""
        code = self.commune_code.strip()
        ward = units.ward(int(code)) if code.isdigit() and len(code) <= 7 else None
        province = units.province(ward.province_code) if ward is not None else None
        return f"{ward.name}, {province.name}" if ward is not None and province is not None else ""


class FormError(ValueError):
    """A field that cannot be read; ``field`` names it (``windows.N`` for a window row)."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(message)
        self.field = field_name


def _coordinate(raw: str, name: str, bounds: tuple[float, float], label: str) -> float:
    text = raw.strip().replace(",", ".")
    try:
        value = float(text)
    except ValueError:
        raise FormError(name, f"{label} phải là một số thập phân, ví dụ 21.028511.") from None
    if math.isnan(value) or not bounds[0] <= value <= bounds[1]:
        raise FormError(name, f"{label} {text} nằm ngoài Việt Nam (từ {bounds[0]:g} đến {bounds[1]:g}). "
                              "Kiểm tra xem có nhập đảo vĩ độ và kinh độ không.")
    return value


def _time(raw: str, row: int, what: str) -> dt.time:
    m = _TIME.match(raw.strip())
    if m is None:
        raise FormError(f"windows.{row}", f"Khung giờ {row + 1}: giờ {what} «{raw.strip()}» phải có dạng GIỜ:PHÚT, "
                                          "ví dụ 07:30.")
    return dt.time(int(m[1]), int(m[2]))


def read_form(form: Mapping[str, Any]) -> tuple[PointForm, repo.PointData]:
    """The typed form and the point it describes; FormError naming the first field that cannot be read."""
    typed = PointForm(**_raw(form))
    rows = typed.windows
    code = typed.commune_code.strip()
    if not code.isdigit() or len(code) > 7 or units.ward(int(code)) is None:
        raise FormError("commune_code", "Chọn xã/phường trong danh sách (gõ vài chữ của tên để tìm).")
    lat = _coordinate(typed.lat, "lat", LAT_RANGE, "Vĩ độ")
    lon = _coordinate(typed.lon, "lon", LON_RANGE, "Kinh độ")
    windows: list[Window] = []
    for i, (weekday, on_date, start, end) in enumerate(rows):
        if bool(weekday.strip()) == bool(on_date.strip()):
            raise FormError(f"windows.{i}", f"Khung giờ {i + 1}: chọn một thứ trong tuần hoặc một ngày (không cả hai).")
        day: dt.date | None = None
        if on_date.strip():
            try:
                day = dt.date.fromisoformat(on_date.strip())
            except ValueError:
                raise FormError(f"windows.{i}", f"Khung giờ {i + 1}: ngày «{on_date}» không đúng.") from None
        if weekday.strip() and weekday.strip() not in {str(d) for d in range(7)}:
            raise FormError(f"windows.{i}", f"Khung giờ {i + 1}: thứ trong tuần không đúng.")
        begins, ends = _time(start, i, "bắt đầu"), _time(end, i, "kết thúc")
        if ends <= begins:
            raise FormError(f"windows.{i}", f"Khung giờ {i + 1}: giờ kết thúc phải sau giờ bắt đầu.")
        windows.append(Window(int(weekday) if weekday.strip() else None, day, begins, ends))
    data = repo.PointData(name=typed.name, kind=typed.kind, address=typed.address, commune_code=int(code), lat=lat,
                          lon=lon, services=tuple(typed.services), bring=typed.bring, note=typed.note,
                          windows=tuple(windows))
    return typed, data


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _summary(p: PointView) -> str:
    parts = [f"{WEEKDAYS[w.weekday]} {w.start:%H:%M}-{w.end:%H:%M}" if w.weekday is not None
             else f"{w.on_date:%d/%m/%Y} {w.start:%H:%M}-{w.end:%H:%M}" for w in p.windows]
    return "; ".join(parts) or "chưa có khung giờ"


def _list(request: Request, who: Principal, points: list[PointView], *, message: str = "",
          status_code: int = 200) -> HTMLResponse:
    rows = [{"id": p.id, "name": p.name, "kind": KIND_LABELS.get(p.kind, p.kind), "address": p.address,
             "commune": PointForm(commune_code=str(p.commune_code)).commune_label(), "windows": _summary(p)}
            for p in points]
    return render(request, "support_points.html", who=who, rows=rows, message=message, status_code=status_code)


def _form(request: Request, who: Principal, typed: PointForm, *, point_id: int | None, error: str = "",
          error_field: str = "", status_code: int = 200) -> HTMLResponse:
    spare = [("", "", "", "")] * SPARE_ROWS
    return render(request, "support_point_edit.html", who=who, f=typed, point_id=point_id, error=error,
                  error_field=error_field, kinds=KIND_LABELS, services=SERVICE_LABELS, weekdays=WEEKDAYS,
                  rows=list(enumerate([*typed.windows, *spare])), commune_label=typed.commune_label(),
                  field_names=_FIELD_NAMES, status_code=status_code)


@pages.get("", response_class=HTMLResponse)
async def list_page(request: Request, who: AdminPage, saved: bool = False, deleted: bool = False) -> HTMLResponse:
    """Every support point with its commune and windows."""
    store: Store = request.app.state.store
    points = await in_unit(store, lambda u: repo.list_points(u), readonly=True)
    message = "Đã lưu điểm hỗ trợ." if saved else "Đã xóa điểm hỗ trợ." if deleted else ""
    return _list(request, who, sorted(points, key=lambda p: (p.commune_code, p.name)), message=message)


@pages.get("/communes")
async def communes(request: Request, who: AdminPage, q: Annotated[str, Query(max_length=80)] = "") -> JSONResponse:
    """Communes and wards whose folded name contains every typed word (at most 20), for the picker."""
    words = fold(q).split()
    found: list[dict[str, Any]] = []
    if words:
        for province in units.provinces():
            for ward in units.wards_of(province.code):
                name = fold(f"{ward.name} {province.name}")
                if all(w in name for w in words):
                    found.append({"code": ward.code, "label": f"{ward.name}, {province.name}"})
                    if len(found) == 20:
                        return JSONResponse({"communes": found})
    return JSONResponse({"communes": found})


@pages.get("/new", response_class=HTMLResponse)
async def new_page(request: Request, who: AdminPage) -> HTMLResponse:
    """An empty form."""
    return _form(request, who, PointForm(), point_id=None)


@pages.get("/{point_id}", response_class=HTMLResponse)
async def edit_page(request: Request, who: AdminPage, point_id: int) -> HTMLResponse:
    """A point's form."""
    store: Store = request.app.state.store
    found = await in_unit(store, lambda u: repo.get_point(u, point_id) if 1 <= point_id <= _ID_MAX else None,
                      readonly=True)
    if found is None:
        return await _missing(request, who)
    return _form(request, who, PointForm.of(found), point_id=point_id)


async def _missing(request: Request, who: Principal) -> HTMLResponse:
    store: Store = request.app.state.store
    points = await in_unit(store, lambda u: repo.list_points(u), readonly=True)
    return _list(request, who, points, message="Không có điểm hỗ trợ này (có thể đã bị xóa).", status_code=404)


async def _save(request: Request, who: Principal, point_id: int | None) -> Response:
    store: Store = request.app.state.store
    form = await request.form()
    try:
        typed, data = read_form(form)
    except FormError as exc:
        return _form(request, who, PointForm(**_raw(form)), point_id=point_id, error=str(exc), error_field=exc.field, status_code=422)
    ip, now = client_ip(request), _now()

    def work(unit: Unit) -> PointView | None:
        if point_id is None:
            done: PointView | None = repo.create_point(unit, data, by=who.username, now=now)
        else:
            done = repo.update_point(unit, point_id, data, by=who.username, now=now)
        if done is not None:
            audit(unit, who=who, action="support.create" if point_id is None else "support.update",
                  target=str(done.id), detail={"name": done.name, "commune": done.commune_code}, ip=ip, now=now)
        return done

    try:
        done = await in_unit(store, work)
    except repo.SupportError as exc:
        label = _FIELD_NAMES.get(exc.field, exc.field)
        return _form(request, who, typed, point_id=point_id, error=f"{label}: {exc.message}.", error_field=exc.field,
                     status_code=422)
    if done is None:
        return await _missing(request, who)
    return RedirectResponse("/admin/support-points?saved=1", status_code=303)


def _raw(form: Mapping[str, Any]) -> dict[str, Any]:
    """The form as typed, even when a field could not be read (for showing it again)."""
    def text(key: str, limit: int) -> str:
        value = form.get(key, "")
        return value[:limit] if isinstance(value, str) else ""

    rows = [(text(f"w{i}_weekday", 2), text(f"w{i}_date", 10), text(f"w{i}_start", 8), text(f"w{i}_end", 8))
            for i in range(repo.MAX_WINDOWS + SPARE_ROWS)]
    services = form.getlist("services") if hasattr(form, "getlist") else []
    return {"name": text("name", 300), "kind": text("kind", 20), "address": text("address", 600),
            "commune_code": text("commune_code", 12), "lat": text("lat", 40), "lon": text("lon", 40),
            "services": [s for s in services if isinstance(s, str)][:8], "bring": text("bring", 1200),
            "note": text("note", 1200), "windows": [r for r in rows if any(p.strip() for p in r)]}


@pages.post("/new", response_class=HTMLResponse)
async def create_page(request: Request, who: AdminPage) -> Response:
    """Add a support point."""
    return await _save(request, who, None)


@pages.post("/{point_id}", response_class=HTMLResponse)
async def update_page(request: Request, who: AdminPage, point_id: int) -> Response:
    """Change a support point (its windows are replaced by those of the form)."""
    if not 1 <= point_id <= _ID_MAX:
        return await _missing(request, who)
    return await _save(request, who, point_id)


@pages.post("/{point_id}/delete", response_class=HTMLResponse)
async def delete_page(request: Request, who: AdminPage, point_id: int) -> Response:
    """Delete a support point."""
    store: Store = request.app.state.store
    ip, now = client_ip(request), _now()

    def work(unit: Unit) -> bool:
        gone = 1 <= point_id <= _ID_MAX and repo.delete_point(unit, point_id)
        if gone:
            audit(unit, who=who, action="support.delete", target=str(point_id), ip=ip, now=now)
        return gone

    if not await in_unit(store, work):
        return await _missing(request, who)
    return RedirectResponse("/admin/support-points?deleted=1", status_code=303)
