"""Console page ``/admin/handoffs/hours`` (admin): each unit's office hours and its staff on duty.

A unit's hours are weekly windows in Vietnam time, typed per weekday as ``07:30-11:30, 13:30-17:00``
(an empty day is closed). A unit without its own hours uses its parent's, then the usual office
hours (:data:`api.handoff.hours.DEFAULT_SCHEDULE`); «Dùng giờ của cấp trên» drops a unit's own.
A form with a mistake is shown again with every field as typed and the mistake named, nothing saved.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Callable, Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from api.console.security import ADMINS, Principal, audit, client_ip, require_page
from api.console.web import render
from api.handoff import repo, staff
from api.handoff.hours import DAYS, DEFAULT_PICKUP_MINUTES, DEFAULT_SCHEDULE, HoursError, parse_schedule
from api.store import Store, Unit
from api.store.models import metadata
from api.store.offload import in_unit

__all__ = ["DAY_NAMES", "FormError", "pages", "read_schedule"]

pages = APIRouter(prefix="/admin/handoffs", include_in_schema=False)
AdminPage = Annotated[Principal, Depends(require_page(*ADMINS))]
_ID_MAX = 2**31 - 1
_units = metadata.tables["org_units"]

DAY_NAMES: Mapping[str, str] = {"mon": "Thứ Hai", "tue": "Thứ Ba", "wed": "Thứ Tư", "thu": "Thứ Năm",
                                "fri": "Thứ Sáu", "sat": "Thứ Bảy", "sun": "Chủ nhật"}
_SPLIT = re.compile(r"[,;\s]+")
_LOOSE = re.compile(r"^(\d{1,2})[:hH.](\d{2})-(\d{1,2})[:hH.](\d{2})$")
PICKUP_MAX = 24 * 60


class FormError(ValueError):
    """A field of the hours form that cannot be read; ``field`` names it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def _window(day: str, raw: str) -> str:
    """``7:30-11:30`` / ``7h30-11h30`` → ``07:30-11:30``; FormError when it is not a time window."""
    m = _LOOSE.match(raw.replace("–", "-"))
    name = DAY_NAMES[day]
    if m is None:
        raise FormError(day, f"{name}: «{raw}» không đúng dạng GIỜ:PHÚT-GIỜ:PHÚT, ví dụ 07:30-11:30.")
    text = f"{int(m[1]):02d}:{m[2]}-{int(m[3]):02d}:{m[4]}"
    try:
        parse_schedule({day: [text]})
    except HoursError:
        raise FormError(day, f"{name}: «{raw}» không phải khung giờ hợp lệ (giờ 00-24, phút 00-59, "
                             "giờ kết thúc sau giờ bắt đầu).") from None
    return text


def read_schedule(fields: Mapping[str, str], pickup: str) -> tuple[dict[str, list[str]], int]:
    """The schedule and pick-up minutes typed in the form; FormError naming the first mistake."""
    schedule: dict[str, list[str]] = {}
    for day in DAYS:
        raw = fields.get(day, "").strip()
        if not raw:
            continue
        windows = sorted(_window(day, part) for part in _SPLIT.split(raw) if part)
        for before, after in itertools.pairwise(windows):
            if after[:5] < before[6:]:
                raise FormError(day, f"{DAY_NAMES[day]}: khung {before} và {after} chồng lên nhau.")
        schedule[day] = windows
    pickup = pickup.strip()
    if not pickup.isdigit() or not 1 <= int(pickup) <= PICKUP_MAX:
        raise FormError("pickup_minutes", f"Thời gian chờ nhận phải là số phút từ 1 đến {PICKUP_MAX}.")
    if not schedule:
        raise FormError("mon", "Chưa có khung giờ nào. Nhập ít nhất một khung, hoặc bấm «Dùng giờ của cấp trên».")
    return schedule, int(pickup)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _summary(schedule: Mapping[str, list[str]]) -> str:
    parts = [f"{DAY_NAMES[d]} {', '.join(schedule[d])}" for d in DAYS if schedule.get(d)]
    return "; ".join(parts) or "không có khung giờ nào"


def _rows(unit: Unit) -> list[dict[str, Any]]:
    """Provinces and communes in tree order, each with its own or inherited hours and its staff."""
    units = [r for r in unit.connection.execute(_units.select()) if r.level in ("province", "commune")]
    by_id = {int(r.id): r for r in units}
    on_duty: dict[int, list[staff.StaffView]] = {}
    for s in staff.list_staff(unit):
        on_duty.setdefault(s.unit_id, []).append(s)
    out: list[dict[str, Any]] = []
    children: dict[int | None, list[Any]] = {}
    for r in units:
        children.setdefault(r.parent_id if r.parent_id in by_id else None, []).append(r)

    def walk(parent: int | None, depth: int) -> None:
        for r in sorted(children.get(parent, []), key=lambda v: v.name):
            own = repo.own_hours(unit, int(r.id))
            if own is not None:
                shown = f"{_summary(own[0])} · nhận trong {own[1]} phút"
                source = "riêng"
            else:
                hours_from = next((p for p in _ancestors(r) if repo.own_hours(unit, p) is not None), None)
                inherited = repo.own_hours(unit, hours_from) if hours_from is not None else None
                if inherited is not None and hours_from is not None:
                    shown = f"{_summary(inherited[0])} · nhận trong {inherited[1]} phút"
                    source = f"theo {by_id[hours_from].name}"
                else:
                    shown = f"{_summary(DEFAULT_SCHEDULE)} · nhận trong {DEFAULT_PICKUP_MINUTES} phút"
                    source = "giờ hành chính mặc định"
            out.append({"id": int(r.id), "name": r.name, "level": r.level, "depth": depth, "hours": shown,
                        "source": source, "staff": on_duty.get(int(r.id), [])})
            walk(int(r.id), depth + 1)

    def _ancestors(row: Any) -> list[int]:
        found: list[int] = []
        current = row.parent_id
        while current is not None and current in by_id and len(found) < 4:
            found.append(current)
            current = by_id[current].parent_id
        return found

    walk(None, 0)
    return out


def _page(request: Request, store: Store, who: Principal, *, selected: int | None, fields: Mapping[str, str] | None = None,
          pickup: str | None = None, error: str = "", error_field: str = "", message: str = "",
          status_code: int = 200) -> HTMLResponse:
    with store.unit(readonly=True) as unit:
        rows = _rows(unit)
        chosen = next((r for r in rows if r["id"] == selected), None)
        if chosen is not None and fields is None:
            own = repo.own_hours(unit, chosen["id"])
            effective = own or (None, None)
            hours = repo.hours_for(unit, chosen["id"])
            schedule = effective[0] if effective[0] is not None else {
                d: [f"{s:%H:%M}-{'24:00' if e.second == 59 else f'{e:%H:%M}'}" for s, e in ws]
                for d, ws in hours.windows.items()}
            fields = {d: ", ".join(schedule.get(d, [])) for d in DAYS}
            pickup = str(effective[1] if effective[1] is not None else hours.pickup_minutes)
        accounts = [r.username for r in unit.connection.execute(
            metadata.tables["admin_accounts"].select().where(metadata.tables["admin_accounts"].c.role != "admin")
            .order_by(metadata.tables["admin_accounts"].c.username))]
    if selected is not None and chosen is None and not error:
        error, status_code = "Không có đơn vị này (chỉ tỉnh và xã/phường có giờ làm việc).", 404
    return render(request, "handoff_hours.html", who=who, rows=rows, chosen=chosen, fields=fields or {},
                  pickup=pickup or "", days=[(d, DAY_NAMES[d]) for d in DAYS], error=error, error_field=error_field,
                  message=message, accounts=accounts, status_code=status_code)


@pages.get("/hours", response_class=HTMLResponse)
async def hours_page(request: Request, who: AdminPage,
                     unit: Annotated[int | None, Query(ge=1, le=_ID_MAX)] = None, saved: bool = False) -> HTMLResponse:
    """Every province and commune with its hours (own or inherited) and staff; ``unit`` opens the form."""
    return await run_in_threadpool(_page, request, request.app.state.store, who, selected=unit,
                                   message="Đã lưu giờ làm việc." if saved else "")


@pages.post("/hours/{unit_id}", response_class=HTMLResponse)
async def save_hours(request: Request, unit_id: int, who: AdminPage) -> Response:
    """Save a unit's own hours (every field kept as typed when one is wrong)."""
    store: Store = request.app.state.store
    form = await request.form()
    fields = {d: str(form.get(d, ""))[:200] for d in DAYS}
    pickup = str(form.get("pickup_minutes", ""))[:10]
    if not 1 <= unit_id <= _ID_MAX:
        return await run_in_threadpool(_page, request, store, who, selected=None, error="Không có đơn vị này.",
                                       status_code=404)
    try:
        schedule, minutes = read_schedule(fields, pickup)
    except FormError as exc:
        return await run_in_threadpool(_page, request, store, who, selected=unit_id, fields=fields, pickup=pickup,
                                       error=str(exc), error_field=exc.field, status_code=422)
    ip, now = client_ip(request), _now()

    def work(unit: Unit) -> bool:
        row = unit.connection.execute(_units.select().where(_units.c.id == unit_id)).first()
        if row is None or row.level not in ("province", "commune"):
            return False
        repo.set_hours(unit, unit_id=unit_id, schedule=schedule, pickup_minutes=minutes, now=now)
        audit(unit, who=who, action="handoff.hours_set", target=str(unit_id),
              detail={"schedule": schedule, "pickup_minutes": minutes}, ip=ip, now=now)
        return True

    if not await in_unit(store, work):
        return await run_in_threadpool(_page, request, store, who, selected=None, error="Không có đơn vị này.",
                                       status_code=404)
    return RedirectResponse(f"/admin/handoffs/hours?unit={unit_id}&saved=1", status_code=303)


async def _drop(request: Request, who: Principal, thing_id: int, *, drop: Callable[[Unit, int], bool],
                action: str, then: str, refused: str, refused_status: int, refused_unit: int | None) -> Response:
    """A form post that drops one thing by its id (a unit's own hours, a staff duty), audited as ``action``;
    then ``then``, or the page with ``refused`` when there was nothing to drop."""
    store: Store = request.app.state.store
    ip, now = client_ip(request), _now()

    def work(unit: Unit) -> bool:
        if not 1 <= thing_id <= _ID_MAX or not drop(unit, thing_id):
            return False
        audit(unit, who=who, action=action, target=str(thing_id), ip=ip, now=now)
        return True

    if not await in_unit(store, work):
        return await run_in_threadpool(_page, request, store, who, selected=refused_unit, error=refused,
                                       status_code=refused_status)
    return RedirectResponse(then, status_code=303)


@pages.post("/hours/{unit_id}/inherit", response_class=HTMLResponse)
async def inherit_hours(request: Request, unit_id: int, who: AdminPage) -> Response:
    """Drop a unit's own hours: it uses its parent's again."""
    return await _drop(request, who, unit_id, drop=lambda unit, i: repo.clear_hours(unit, unit_id=i),
                       action="handoff.hours_clear", then=f"/admin/handoffs/hours?unit={unit_id}",
                       refused="Đơn vị này không có giờ riêng (đang dùng giờ của cấp trên).", refused_status=409,
                       refused_unit=unit_id if 1 <= unit_id <= _ID_MAX else None)


@pages.post("/staff", response_class=HTMLResponse)
async def add_staff(request: Request, who: AdminPage, username: Annotated[str, Form(max_length=64)] = "",
                    unit_id: Annotated[str, Form(max_length=12)] = "") -> Response:
    """Put a console account on duty for a unit (it then sees that unit's hand-offs and those below)."""
    store: Store = request.app.state.store
    target = int(unit_id) if unit_id.strip().isdigit() and 1 <= int(unit_id) <= _ID_MAX else 0
    ip, now = client_ip(request), _now()

    def work(unit: Unit) -> staff.StaffView:
        made = staff.set_staff(unit, username=username, unit_id=target, now=now)
        audit(unit, who=who, action="handoff.staff_set", target=made.username, detail={"unit_id": target},
              ip=ip, now=now)
        return made

    try:
        made = await in_unit(store, work)
    except staff.StaffError as exc:
        return await run_in_threadpool(_page, request, store, who, selected=target or None,
                                       error=f"Không thêm được cán bộ trực: {exc}", status_code=422)
    return await run_in_threadpool(_page, request, store, who, selected=target,
                                   message=f"{made.username} trực cho {made.unit_name}.")


@pages.post("/staff/{account_id}/remove", response_class=HTMLResponse)
async def remove_staff(request: Request, account_id: int, who: AdminPage) -> Response:
    """Take an account off duty."""
    return await _drop(request, who, account_id, drop=lambda unit, i: staff.remove_staff(unit, account_id=i),
                       action="handoff.staff_remove", then="/admin/handoffs/hours",
                       refused="Tài khoản này không trực đơn vị nào.", refused_status=404, refused_unit=None)
