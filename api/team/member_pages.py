"""The console's members page (admin): members per team; add, rename, move, remove; link chat accounts.

Every action calls the same audited operations as the REST API (:mod:`api.team.manage`) in one
transaction. A form with bad input comes back with status 422, a Vietnamese message next to the
field, what was typed kept and nothing saved; a done action answers with a redirect (303).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Annotated, Any, Literal, TypeVar

import anyio.to_thread
from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from api.console.accounts import list_accounts
from api.console.forms import form_fields, validate
from api.console.security import ADMINS, Principal, Role, client_ip, require_page
from api.console.web import render
from api.store import Store, Unit
from api.team import manage, repo

__all__ = ["pages"]

pages = APIRouter(prefix="/admin/team", include_in_schema=False)

_T = TypeVar("_T")
_AdminPage = Annotated[Principal, Depends(require_page(*ADMINS))]
_MemberId = Annotated[int, Path(ge=1, le=2**31 - 1)]
_DbId = Annotated[int, Field(ge=1, le=2**31 - 1)]

_CHANNEL_LABELS = {"telegram": "Telegram", "zalo_oa": "Zalo OA", "zalo_bot": "Zalo Bot", "web": "Trang trò chuyện"}

#: The message next to a field that was refused, by field.
_MESSAGES = {
    "display_name": "Nhập tên thành viên (1-128 ký tự).",
    "unit_id": "Chọn một tổ công nghệ số (đơn vị cấp tổ).",
    "account_id": "Chọn một tài khoản vai trò «member», đang hoạt động và chưa gắn với thành viên nào.",
    "channel": "Chọn một kênh trò chuyện.",
    "external_id": "Nhập mã tài khoản trò chuyện (1-128 ký tự, không có dấu cách).",
}
#: A refusal of the team tables that needs its own words.
_TAKEN = "Tài khoản trò chuyện này đã thuộc về một thành viên khác (mỗi tài khoản chỉ thuộc một thành viên)."

_NOTICES = {
    "added": "Đã thêm thành viên.",
    "updated": "Đã lưu tên và tổ của thành viên.",
    "removed": "Đã xoá thành viên khỏi tổ: liên kết của họ thôi tính, các con số đã có vẫn giữ.",
    "linked": "Đã gắn tài khoản trò chuyện.",
    "unlinked": "Đã gỡ tài khoản trò chuyện.",
    "lead": "Đã đặt làm tổ trưởng: người này xem được số đếm của cả tổ.",
    "not_lead": "Đã bỏ vai trò tổ trưởng.",
}


class _MemberForm(BaseModel):
    model_config = ConfigDict(extra="forbid")
    display_name: str = Field(min_length=1, max_length=128, pattern=r"\S")
    unit_id: _DbId
    account_id: _DbId | None = None


class _EditForm(BaseModel):
    model_config = ConfigDict(extra="forbid")
    display_name: str = Field(min_length=1, max_length=128, pattern=r"\S")
    unit_id: _DbId


class _ChatForm(BaseModel):
    model_config = ConfigDict(extra="forbid")
    channel: Literal["telegram", "zalo_oa", "zalo_bot", "web"]
    external_id: str = Field(pattern=r"^\S{1,128}$")


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


async def _in_unit(request: Request, work: Callable[[Unit], _T]) -> _T:
    store: Store = request.app.state.store

    def run() -> _T:
        with store.unit() as unit:
            return work(unit)

    return await anyio.to_thread.run_sync(run)


def _teams(units: list[repo.UnitView]) -> list[tuple[repo.UnitView, str]]:
    """The teams with their commune's name, by commune then team name."""
    by_id = {u.id: u for u in units}
    teams = [(u, by_id[u.parent_id].name if u.parent_id in by_id else "") for u in units if u.level == "team"]
    return sorted(teams, key=lambda t: (t[1], t[0].name))


async def _page(request: Request, who: Principal, *, status_code: int = 200, form: str = "",
                values: dict[str, str] | None = None, errors: dict[str, str] | None = None,
                problem: str = "") -> HTMLResponse:
    def work(unit: Unit) -> dict[str, Any]:
        members = repo.list_members(unit)
        accounts = [a for a in list_accounts(unit) if a.role is Role.MEMBER]
        return {"units": repo.list_units(unit), "members": members, "accounts": accounts,
                "chats": repo.chats_of(unit, member_ids=[m.id for m in members])}

    data = await _in_unit(request, work)
    teams = _teams(data["units"])
    by_team: dict[int, list[repo.MemberView]] = {t.id: [] for t, _ in teams}
    for m in data["members"]:
        by_team.setdefault(m.unit_id, []).append(m)
    taken = {m.account_id for m in data["members"] if m.account_id is not None}
    usernames = {a.id: a.username for a in data["accounts"]}
    free = [a for a in data["accounts"] if a.id not in taken and not a.disabled]
    notice = _NOTICES.get(request.query_params.get("done", ""), "")
    return render(request, "team_members.html", who=who, status_code=status_code, teams=teams, by_team=by_team,
                  chats=data["chats"], free_accounts=free, usernames=usernames, channels=_CHANNEL_LABELS,
                  form=form, values=values or {}, errors=errors or {}, problem=problem, notice=notice)


def _done(code: str, member_id: int | None = None) -> RedirectResponse:
    anchor = f"#member-{member_id}" if member_id is not None else ""
    return RedirectResponse(f"/admin/team/members?done={code}{anchor}", status_code=303)


async def _refused(request: Request, who: Principal, exc: Exception, *, form: str,
                   values: dict[str, str]) -> HTMLResponse:
    """The page again with the refusal next to its field (422), or a missing member (404)."""
    if isinstance(exc, LookupError):
        return await _page(request, who, status_code=404, problem="Không tìm thấy thành viên này (có thể đã bị xoá).")
    field = exc.field if isinstance(exc, repo.TeamError) else ""
    if field:
        message = _TAKEN if field == "external_id" else _MESSAGES.get(field, "Giá trị không hợp lệ.")
        return await _page(request, who, status_code=422, form=form, values=values, errors={field: message})
    return await _page(request, who, status_code=422, form=form, values=values,
                       problem="Không lưu được thay đổi này.")


async def _act(request: Request, who: Principal, work: Callable[[Unit, str, dt.datetime], _T], *, form: str,
               values: dict[str, str]) -> _T | HTMLResponse:
    """Run one audited change; the refusal page when it is refused (nothing saved)."""
    ip = client_ip(request)
    try:
        return await _in_unit(request, lambda unit: work(unit, ip, _utcnow()))
    except (repo.TeamError, LookupError) as exc:
        return await _refused(request, who, exc, form=form, values=values)


@pages.get("/members", response_class=HTMLResponse)
async def members_page(request: Request, who: _AdminPage) -> HTMLResponse:
    """Members per team, each with forms to rename, move, remove and link chat accounts (admin)."""
    return await _page(request, who)


@pages.post("/members", response_class=HTMLResponse)
async def add_from_page(request: Request, who: _AdminPage) -> Response:
    """Add a member to a team, optionally backed by a console account of role member."""
    values, errors = await form_fields(request, ("display_name", "unit_id", "account_id"), _MESSAGES)
    data = validate(_MemberForm, {k: v for k, v in values.items() if v.strip() or k != "account_id"}, errors,
                    _MESSAGES)
    if data is None:
        return await _page(request, who, status_code=422, form="create", values=values, errors=errors)
    done = await _act(request, who, lambda unit, ip, now: manage.add_member(
        unit, display_name=data.display_name, unit_id=data.unit_id, account_id=data.account_id, who=who, ip=ip,
        now=now), form="create", values=values)
    return done if isinstance(done, HTMLResponse) else _done("added", done.id)


@pages.post("/members/{member_id}/edit", response_class=HTMLResponse)
async def edit_from_page(request: Request, who: _AdminPage, member_id: _MemberId) -> Response:
    """Rename a member and move them to another team."""
    values, errors = await form_fields(request, ("display_name", "unit_id"), _MESSAGES)
    data = validate(_EditForm, values, errors, _MESSAGES)
    form = f"{member_id}:edit"
    if data is None:
        return await _page(request, who, status_code=422, form=form, values=values, errors=errors)
    done = await _act(request, who, lambda unit, ip, now: manage.change_member(
        unit, member_id=member_id, unit_id=data.unit_id, display_name=data.display_name, who=who, ip=ip, now=now),
        form=form, values=values)
    return done if isinstance(done, HTMLResponse) else _done("updated", member_id)


@pages.post("/members/{member_id}/remove", response_class=HTMLResponse)
async def remove_from_page(request: Request, who: _AdminPage, member_id: _MemberId) -> Response:
    """Remove a member from their team (the record stays inactive, with its counts)."""
    done = await _act(request, who, lambda unit, ip, now: manage.change_member(
        unit, member_id=member_id, active=False, who=who, ip=ip, now=now), form=f"{member_id}:remove", values={})
    return done if isinstance(done, HTMLResponse) else _done("removed")


@pages.post("/members/{member_id}/lead", response_class=HTMLResponse)
async def lead_from_page(request: Request, who: _AdminPage, member_id: _MemberId) -> Response:
    """Make a member their team's lead (``lead=yes``: they see every member's counts), or not (``lead=no``)."""
    values, _errors = await form_fields(request, ("lead",), _MESSAGES)
    if values["lead"] not in ("yes", "no"):
        return await _page(request, who, status_code=422, problem="Không rõ đặt hay bỏ vai trò tổ trưởng.")
    lead = values["lead"] == "yes"
    done = await _act(request, who, lambda unit, ip, now: manage.change_member(
        unit, member_id=member_id, lead=lead, who=who, ip=ip, now=now), form=f"{member_id}:lead", values={})
    return done if isinstance(done, HTMLResponse) else _done("lead" if lead else "not_lead", member_id)


async def _chat_form(request: Request) -> tuple[_ChatForm | None, dict[str, str], dict[str, str]]:
    values, errors = await form_fields(request, ("channel", "external_id"), _MESSAGES)
    values["external_id"] = values["external_id"].strip()
    return validate(_ChatForm, values, errors, _MESSAGES), values, errors


@pages.post("/members/{member_id}/chats", response_class=HTMLResponse)
async def link_from_page(request: Request, who: _AdminPage, member_id: _MemberId) -> Response:
    """Link a chat account (channel and its id there) to a member, as ``/thamgia`` does."""
    data, values, errors = await _chat_form(request)
    form = f"{member_id}:chat"
    if data is None:
        return await _page(request, who, status_code=422, form=form, values=values, errors=errors)
    done = await _act(request, who, lambda unit, ip, now: manage.link_chat(
        unit, member_id=member_id, channel=data.channel, external_id=data.external_id, who=who, ip=ip, now=now),
        form=form, values=values)
    return done if isinstance(done, HTMLResponse) else _done("linked", member_id)


@pages.post("/members/{member_id}/chats/unlink", response_class=HTMLResponse)
async def unlink_from_page(request: Request, who: _AdminPage, member_id: _MemberId) -> Response:
    """Unlink a chat account from a member."""
    data, _values, _errors = await _chat_form(request)
    if data is None:
        return await _page(request, who, status_code=422, problem="Không có tài khoản trò chuyện này để gỡ.")

    def work(unit: Unit, ip: str, now: dt.datetime) -> bool:
        if not manage.unlink_chat(unit, member_id=member_id, channel=data.channel, external_id=data.external_id,
                                  who=who, ip=ip, now=now):
            raise LookupError("not linked")
        return True

    done = await _act(request, who, work, form=f"{member_id}:chat", values={})
    return done if isinstance(done, HTMLResponse) else _done("unlinked", member_id)
