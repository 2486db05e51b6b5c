"""Announcements over HTTP: the admin API (``/api/v1/admin/announcements…``), the console pages
(``/admin/announcements``) and the web chat's fetch (``GET /api/v1/chat/announcements``).

Admins and editors write, preview, schedule and send; viewers may read. Every create, send and
cancel is audited. Times typed without a zone are Vietnam time (UTC+7).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator
from starlette.concurrency import run_in_threadpool

from api.announce import repo
from api.announce.delivery import render_reply, start_now
from api.console.security import EDITORS, Principal, Role, audit, client_ip, require, require_page
from api.console.web import render
from api.deps import StoreDep
from api.errors import Conflict, InvalidBody, NotFound, error_responses
from api.inbound import BoundedJsonRoute
from api.store import Store, Unit
from api.store.offload import in_unit
from api.support import units
from bot.core import payloads
from bot.core.types import Reply

__all__ = ["ButtonIn", "DraftIn", "SendIn", "admin", "pages", "public"]

VN = dt.timezone(dt.timedelta(hours=7), "ICT")
READERS = (*EDITORS, Role.VIEWER)
#: Payload kinds a button may open: a guide, a support-point search, an answer, a service, the menu.
BUTTON_KINDS = frozenset({"f", "sp", "q", "s", "menu"})
MAX_BUTTONS = 3
TEXT_MAX = 3000

admin = APIRouter(prefix="/api/v1/admin/announcements", tags=["admin"], route_class=BoundedJsonRoute)
public = APIRouter(prefix="/api/v1/chat", tags=["chat"])
pages = APIRouter(prefix="/admin/announcements", include_in_schema=False)

Writer = Annotated[Principal, Depends(require(*EDITORS))]
Reader = Annotated[Principal, Depends(require(*READERS))]
PageWriter = Annotated[Principal, Depends(require_page(*EDITORS))]
PageReader = Annotated[Principal, Depends(require_page(*READERS))]


class ButtonIn(BaseModel):
    """A button under the announcement: a guide (``f-<flow>``) or a support point (``sp-w-<commune>``)…"""

    model_config = ConfigDict(strict=True, extra="forbid")

    label: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]
    payload: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=54)]

    @field_validator("payload")
    @classmethod
    def _known(cls, value: str) -> str:
        parsed = payloads.parse(value)
        if parsed is None or parsed.kind not in BUTTON_KINDS or parsed.referral is not None:
            raise ValueError("payload must open a guide (f-…), a support point (sp-w-…), an answer (q-…), "
                             "a service (s-…) or the menu")
        return value


class DraftIn(BaseModel):
    """A new announcement (a draft until sent)."""

    model_config = ConfigDict(strict=True, extra="forbid")

    title: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
    text: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=TEXT_MAX)]
    image_url: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500,
                                                pattern=r"^https?://[^\s<>\"']+$")] | None = None
    buttons: list[ButtonIn] = Field(default_factory=list, max_length=MAX_BUTTONS)
    #: Commune or ward codes (post-2025 units); empty sends to every subscriber.
    communes: list[Annotated[int, Field(ge=1, le=10**8)]] = Field(default_factory=list, max_length=500)


class SendIn(BaseModel):
    """When to send: now (no ``send_at``) or at a time (ISO 8601; without a zone, Vietnam time)."""

    model_config = ConfigDict(extra="forbid")

    send_at: dt.datetime | None = None


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _check_communes(codes: list[int]) -> None:
    unknown = [c for c in codes if units.ward(c) is None]
    if unknown:
        raise InvalidBody(f"unknown commune or ward codes: {unknown[:10]}")


def _when(value: dt.datetime | None, now: dt.datetime) -> dt.datetime:
    if value is None:
        return now
    when = value if value.tzinfo is not None else value.replace(tzinfo=VN)
    when = when.astimezone(dt.UTC)
    if when < now - dt.timedelta(minutes=5):
        raise InvalidBody("send_at is in the past")
    if when > now + dt.timedelta(days=366):
        raise InvalidBody("send_at is more than a year away")
    return when


def _get(unit: Unit, announcement_id: int) -> repo.AnnouncementView:
    view = repo.get(unit, announcement_id)
    if view is None:
        raise NotFound(f"no announcement {announcement_id}")
    return view


def previews(reply: Reply) -> dict[str, Any]:
    """How each channel shows the announcement (Telegram, Zalo, web chat)."""
    buttons = [b.label for b in reply.buttons]
    image = reply.images[0].url if reply.images else None
    numbered = "\n".join(f"{i}. {label}" for i, label in enumerate(buttons, 1))
    return {
        "telegram": {"text": reply.text, "image": image, "buttons": buttons,
                     "note": "Ảnh kèm chú thích khi nội dung dưới 1.024 ký tự; nút bấm dưới tin nhắn."},
        "zalo": {"text": reply.text + ("\n\n" + numbered if numbered else ""), "image": image, "buttons": [],
                 "note": "Gửi qua hàng đợi Zalo; nút bấm hiện thành danh sách đánh số, gõ số để chọn."},
        "web": {"text": reply.text, "image": image, "buttons": buttons,
                "note": "Hiện trong khung chat khi người dân mở trang."},
    }


def _detail(unit: Unit, view: repo.AnnouncementView) -> dict[str, Any]:
    send_at_vn = view.send_at.astimezone(VN).strftime("%H:%M %d/%m/%Y") if view.send_at else None
    return {**view.as_dict(), "progress": repo.progress(unit, view.id), "send_at_vn": send_at_vn,
            "reach": repo.subscribers_count(unit, view.communes),
            "communes_named": [w.name for c in view.communes if (w := units.ward(c)) is not None],
            "preview": previews(render_reply(view))}


def _create(unit: Unit, body: DraftIn, who: Principal, ip: str, now: dt.datetime) -> dict[str, Any]:
    _check_communes(body.communes)
    new_id = repo.create(unit, title=body.title, text=body.text, image_url=body.image_url,
                         buttons=[(b.label, b.payload) for b in body.buttons], communes=body.communes,
                         by=who.username, now=now)
    audit(unit, who=who, action="announce.create", target=str(new_id), ip=ip, now=now)
    return _detail(unit, _get(unit, new_id))


def _send(unit: Unit, announcement_id: int, when: dt.datetime, who: Principal, ip: str,
          now: dt.datetime) -> dict[str, Any]:
    view = _get(unit, announcement_id)
    if not start_now(unit, announcement_id, now=now, send_at=when):
        raise Conflict(f"announcement {announcement_id} is {view.status}, not a draft")
    audit(unit, who=who, action="announce.send", target=str(announcement_id),
          detail={"send_at": when.isoformat()}, ip=ip, now=now)
    return _detail(unit, _get(unit, announcement_id))


def _cancel(unit: Unit, announcement_id: int, who: Principal, ip: str, now: dt.datetime) -> dict[str, Any]:
    view = _get(unit, announcement_id)
    if not repo.set_status(unit, announcement_id, allowed=("draft", "scheduled"), status="cancelled", now=now):
        raise Conflict(f"announcement {announcement_id} is {view.status}: it can no longer be cancelled")
    audit(unit, who=who, action="announce.cancel", target=str(announcement_id), ip=ip, now=now)
    return _detail(unit, _get(unit, announcement_id))


def _wake(request: Request) -> None:
    runner = getattr(request.app.state, "announce_runner", None)
    if runner is not None:
        runner.wake()


# -- API -------------------------------------------------------------------------------------------


@admin.post("", status_code=201, responses=error_responses(400, 401, 403, 413, 422))
async def create_api(body: DraftIn, request: Request, store: StoreDep, who: Writer) -> Any:
    """Write an announcement (a draft): text, optional image URL and buttons, target communes."""
    ip = client_ip(request)
    return await in_unit(store, lambda u: _create(u, body, who, ip, _utcnow()))


@admin.get("", responses=error_responses(401, 403))
async def list_api(store: StoreDep, who: Reader) -> Any:
    """Announcements, newest first."""
    views = await in_unit(store, repo.list_announcements, readonly=True)
    return {"announcements": [v.as_dict() for v in views]}


@admin.get("/{announcement_id}", responses=error_responses(401, 403, 404, 422))
async def get_api(announcement_id: int, store: StoreDep, who: Reader) -> Any:
    """One announcement with its delivery progress (sent, unconfirmed, failed, blocked, left…) and previews."""
    return await in_unit(store, lambda u: _detail(u, _get(u, announcement_id)), readonly=True)


@admin.post("/{announcement_id}/send", status_code=202, responses=error_responses(400, 401, 403, 404, 409, 422))
async def send_api(announcement_id: int, request: Request, store: StoreDep, who: Writer,
                   body: SendIn | None = None) -> Any:
    """Send a draft now, or schedule it (``send_at``); progress at ``GET …/{id}``."""
    ip = client_ip(request)
    now = _utcnow()
    when = _when(body.send_at if body is not None else None, now)
    result = await in_unit(store, lambda u: _send(u, announcement_id, when, who, ip, now))
    _wake(request)
    return result


@admin.post("/{announcement_id}/cancel", responses=error_responses(401, 403, 404, 409, 422))
async def cancel_api(announcement_id: int, request: Request, store: StoreDep, who: Writer) -> Any:
    """Cancel a draft or a scheduled announcement (one being sent goes on)."""
    ip = client_ip(request)
    return await in_unit(store, lambda u: _cancel(u, announcement_id, who, ip, _utcnow()))


UserId = Annotated[str, StringConstraints(min_length=1, max_length=128, strip_whitespace=True)]


@public.get("/announcements", responses=error_responses(422))
async def chat_announcements(store: StoreDep, user_id: UserId,
                             after: Annotated[int, Query(ge=0, le=2**62)] = 0) -> Any:
    """Announcements sent to a web chat user after delivery id ``after`` (the page polls this)."""
    def read(unit: Unit) -> dict[str, Any]:
        uid = unit.find_user(channel="web", external_id=user_id)
        if uid is None:
            return {"messages": []}
        out = []
        for delivery_id, announcement_id, at in repo.web_messages(unit, user_id=uid, after=after):
            view = repo.get(unit, announcement_id)
            if view is not None:
                out.append({"id": delivery_id, "at": at.isoformat(), **render_reply(view).to_dict()})
        return {"messages": out}

    return await in_unit(store, read, readonly=True)


# -- pages -----------------------------------------------------------------------------------------


def _list_page(request: Request, store: Store, who: Principal, *, error: str = "", form: dict[str, str] | None = None,
               status_code: int = 200) -> HTMLResponse:
    with store.unit(readonly=True) as unit:
        views = [{**v.as_dict(), "progress": repo.progress(unit, v.id)} for v in repo.list_announcements(unit)]
    return render(request, "announcements.html", who=who, announcements=views, error=error, form=form or {},
                  can_write=who.can(EDITORS), status_code=status_code)


def _detail_page(request: Request, store: Store, who: Principal, announcement_id: int, *, error: str = "",
                 status_code: int = 200) -> HTMLResponse:
    with store.unit(readonly=True) as unit:
        view = repo.get(unit, announcement_id)
        if view is None:
            return render(request, "announcement.html", who=who, a=None, error="Không có thông báo này.",
                          can_write=False, status_code=404)
        detail = _detail(unit, view)
    return render(request, "announcement.html", who=who, a=detail, error=error, can_write=who.can(EDITORS),
                  status_code=status_code)


@pages.get("", response_class=HTMLResponse)
async def list_page(request: Request, store: StoreDep, who: PageReader) -> HTMLResponse:
    """Announcements and the form to write one."""
    return await run_in_threadpool(_list_page, request, store, who)


_FIELD_NAMES = {
    "title": "tiêu đề (1–120 ký tự)",
    "text": f"nội dung (1–{TEXT_MAX} ký tự)",
    "image_url": "địa chỉ ảnh (bắt đầu bằng http:// hoặc https://)",
    "buttons": f"nút bấm (tối đa {MAX_BUTTONS}; mã f-…, sp-…, q-…, s-… hoặc menu; nhãn tối đa 40 ký tự)",
    "label": "nhãn nút (1–40 ký tự)",
    "payload": "mã nút (f-…, sp-…, q-…, s-… hoặc menu)",
    "communes": "mã xã/phường",
}


def _parse_buttons(raw: str) -> list[ButtonIn]:
    """Form lines «Nhãn | payload»."""
    out: list[ButtonIn] = []
    for line in raw.splitlines():
        if not line.strip():
            continue
        label, sep, payload = line.partition("|")
        if not sep:
            raise ValueError(f"Dòng nút «{line.strip()[:40]}» cần dạng «Nhãn | mã», ví dụ «Xem hướng dẫn | f-l2».")
        out.append(ButtonIn(label=label.strip(), payload=payload.strip()))
    return out


@pages.post("")
async def create_page(request: Request, store: StoreDep, who: PageWriter,
                      title: Annotated[str, Form(max_length=200)] = "",
                      text: Annotated[str, Form(max_length=TEXT_MAX + 500)] = "",
                      image_url: Annotated[str, Form(max_length=600)] = "",
                      buttons: Annotated[str, Form(max_length=2000)] = "",
                      communes: Annotated[str, Form(max_length=6000)] = "") -> Response:
    """Form post of «Lưu bản nháp»."""
    form = {"title": title, "text": text, "image_url": image_url, "buttons": buttons, "communes": communes}
    try:
        codes = [int(c) for c in communes.replace(",", " ").split()]
        body = DraftIn(title=title, text=text, image_url=image_url.strip() or None, buttons=_parse_buttons(buttons),
                       communes=codes)
    except ValueError as exc:
        if hasattr(exc, "errors"):
            fields = sorted({str(e["loc"][0]) for e in exc.errors() if e["loc"]})
            message = "Cần sửa: " + ", ".join(_FIELD_NAMES.get(f, f) for f in fields) + "."
        elif "invalid literal" in str(exc):
            message = "Mã xã/phường phải là số, cách nhau bởi dấu phẩy."
        else:
            message = str(exc)
        return await run_in_threadpool(_list_page, request, store, who, error=message, form=form, status_code=422)
    ip = client_ip(request)
    try:
        made = await in_unit(store, lambda u: _create(u, body, who, ip, _utcnow()))
    except InvalidBody as exc:
        return await run_in_threadpool(_list_page, request, store, who, error=exc.message, form=form,
                                       status_code=422)
    return RedirectResponse(f"/admin/announcements/{made['id']}", status_code=303)


@pages.get("/{announcement_id}", response_class=HTMLResponse)
async def detail_page(announcement_id: int, request: Request, store: StoreDep, who: PageReader) -> HTMLResponse:
    """Previews per channel, scheduling and live progress."""
    return await run_in_threadpool(_detail_page, request, store, who, announcement_id)


@pages.get("/{announcement_id}/progress")
async def progress_page(announcement_id: int, store: StoreDep, who: PageReader) -> Response:
    """Progress as JSON for the page's polling script."""
    def read(unit: Unit) -> dict[str, Any] | None:
        view = repo.get(unit, announcement_id)
        if view is None:
            return None
        return {"status": view.status, "progress": repo.progress(unit, announcement_id)}

    data = await in_unit(store, read, readonly=True)
    if data is None:
        return JSONResponse({"detail": "not found"}, status_code=404)
    return JSONResponse(data, headers={"Cache-Control": "no-store"})


@pages.post("/{announcement_id}/send")
async def send_page(announcement_id: int, request: Request, store: StoreDep, who: PageWriter,
                    send_at: Annotated[str, Form(max_length=40)] = "") -> Response:
    """Form post of «Gửi ngay» / «Hẹn giờ gửi» (a local time, Vietnam)."""
    now = _utcnow()
    ip = client_ip(request)
    try:
        when = _when(dt.datetime.fromisoformat(send_at) if send_at.strip() else None, now)
        await in_unit(store, lambda u: _send(u, announcement_id, when, who, ip, now))
    except ValueError:
        return await run_in_threadpool(_detail_page, request, store, who, announcement_id,
                                       error="Thời gian không hợp lệ.", status_code=422)
    except (InvalidBody, Conflict, NotFound) as exc:
        message = {InvalidBody.status: "Thời gian hẹn đã qua hoặc quá xa (tối đa 1 năm).",
                   Conflict.status: "Thông báo này đã được gửi hoặc đã hủy.",
                   }.get(exc.status, "Không có thông báo này.")
        return await run_in_threadpool(_detail_page, request, store, who, announcement_id, error=message,
                                       status_code=exc.status)
    _wake(request)
    return RedirectResponse(f"/admin/announcements/{announcement_id}", status_code=303)


@pages.post("/{announcement_id}/cancel")
async def cancel_page(announcement_id: int, request: Request, store: StoreDep, who: PageWriter) -> Response:
    """Form post of «Hủy»."""
    ip = client_ip(request)
    try:
        await in_unit(store, lambda u: _cancel(u, announcement_id, who, ip, _utcnow()))
    except (Conflict, NotFound) as exc:
        return await run_in_threadpool(_detail_page, request, store, who, announcement_id,
                                       error="Thông báo này không hủy được nữa.", status_code=exc.status)
    return RedirectResponse(f"/admin/announcements/{announcement_id}", status_code=303)
