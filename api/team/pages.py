"""Console pages for teams: units and invites (admin), a member's share page, stats with a chart.

Members and team leads see counts, never a citizen's name, number or message: nothing on these
pages reads the message log, the sessions or the users table.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

import anyio.to_thread
from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse

from api.console.security import ADMINS, MEMBERS, Principal, Role, audit, client_ip, require_page
from api.console.web import render
from api.live_content import ContentRuntime
from api.store import Unit
from api.team import repo, stats
from api.team.routes import NotFound, shell_of
from bot.core.team import share_items

__all__ = ["pages"]

pages = APIRouter(prefix="/admin/team", include_in_schema=False)

AdminPage = Annotated[Principal, Depends(require_page(*ADMINS))]
MemberPage = Annotated[Principal, Depends(require_page(*MEMBERS))]
#: Ids are bounded so a huge one is a 422, not an overflow in the database driver.
IdQuery = Annotated[int | None, Query(ge=1, le=2**31 - 1)]
_ID_MAX = 2**31 - 1


def _id(text: str) -> int | None:
    """A form field's id, or None when it is not one."""
    text = text.strip()
    return int(text) if text.isdigit() and 1 <= int(text) <= _ID_MAX else None


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


async def _db(request: Request, fn: Any) -> Any:
    store = request.app.state.store

    def work() -> Any:
        with store.unit() as unit:
            return fn(unit)

    return await anyio.to_thread.run_sync(work)


def _tree(units: list[repo.UnitView]) -> list[tuple[int, repo.UnitView]]:
    """Units in tree order with their depth."""
    children: dict[int | None, list[repo.UnitView]] = {}
    for u in units:
        children.setdefault(u.parent_id, []).append(u)
    out: list[tuple[int, repo.UnitView]] = []

    def walk(parent: int | None, depth: int) -> None:
        for u in sorted(children.get(parent, []), key=lambda v: v.name):
            out.append((depth, u))
            walk(u.id, depth + 1)

    walk(None, 0)
    return out


async def _units_page(request: Request, who: Principal, *, message: str = "", error: str = "", code: str = "",
                      status_code: int = 200) -> HTMLResponse:
    units = await _db(request, repo.list_units)
    members = await _db(request, lambda unit: repo.list_members(unit))
    return render(request, "team_units.html", who=who, tree=_tree(units), members=members, message=message,
                  error=error, code=code, status_code=status_code)


@pages.get("/units", response_class=HTMLResponse)
async def units_page(request: Request, who: AdminPage) -> HTMLResponse:
    """The unit tree, and forms to add units and invite codes (admin)."""
    return await _units_page(request, who)


@pages.post("/units", response_class=HTMLResponse)
async def add_unit(request: Request, who: AdminPage, level: Annotated[str, Form(max_length=16)] = "",
                   name: Annotated[str, Form(max_length=300)] = "",
                   parent_id: Annotated[str, Form(max_length=20)] = "") -> HTMLResponse:
    """Add a unit (admin)."""
    parent = _id(parent_id)

    def work(unit: Unit) -> repo.UnitView:
        made = repo.create_unit(unit, level=level, name=name, parent_id=parent, now=_now())
        audit(unit, who=who, action="team.unit_create", target=str(made.id), ip=client_ip(request), now=_now())
        return made

    try:
        made = await _db(request, work)
    except repo.TeamError as exc:
        return await _units_page(request, who, error=f"Không thêm được: {exc}", status_code=422)
    return await _units_page(request, who, message=f"Đã thêm «{made.name}».")


@pages.post("/invites", response_class=HTMLResponse)
async def add_invite(request: Request, who: AdminPage, unit_id: Annotated[str, Form(max_length=20)] = "",
                     max_uses: Annotated[str, Form(max_length=6)] = "20",
                     days: Annotated[str, Form(max_length=4)] = "14") -> HTMLResponse:
    """Make an invite code and show it once (admin)."""
    if not (_id(unit_id) is not None and max_uses.isdigit() and days.isdigit() and 1 <= int(days) <= 365):
        return await _units_page(request, who, error="Chọn một tổ, số lượt (1-1000) và số ngày (1-365).",
                                 status_code=422)
    now = _now()

    def work(unit: Unit) -> str:
        code = repo.create_invite(unit, unit_id=int(unit_id), expires_at=now + dt.timedelta(days=int(days)),
                                  max_uses=int(max_uses), by=who.username, now=now)
        audit(unit, who=who, action="team.invite_create", target=unit_id, ip=client_ip(request), now=now)
        return code

    try:
        code = await _db(request, work)
    except repo.TeamError as exc:
        return await _units_page(request, who, error=f"Không tạo được mã: {exc}", status_code=422)
    return await _units_page(request, who, code=code)


@pages.get("/share", response_class=HTMLResponse)
async def share_page(request: Request, who: MemberPage, member: IdQuery = None) -> HTMLResponse:
    """A member's links, QR codes and leaflets (an admin may open any member's with ``?member=``)."""
    runtime: ContentRuntime = request.app.state.content

    def work(unit: Unit) -> tuple[repo.MemberView | None, Any]:
        if who.role is Role.ADMIN and member is not None:
            m = repo.get_member(unit, member)
        else:
            m = repo.member_by_account(unit, who.account_id)
        return m, runtime.snapshot(unit)

    found, content = await _db(request, work)
    if found is None and who.role is Role.ADMIN and member is not None:
        raise NotFound("no such member")
    if found is None:
        return render(request, "team_share.html", who=who, member=None, groups=[])
    links = shell_of(request).links()
    groups: dict[str, list[dict[str, Any]]] = {"flow": [], "step": [], "faq": [], "service": [], "menu": []}
    for item in share_items(content):
        groups[item.kind].append({"item": item, "web": links.web(item.payload, found.referral_code),
                                  "telegram": links.telegram(item.payload, found.referral_code)})
    return render(request, "team_share.html", who=who, member=found, groups=groups)


@pages.get("/stats", response_class=HTMLResponse)
async def stats_page(request: Request, who: MemberPage, unit_id: IdQuery = None,
                     since: dt.date | None = None, until: dt.date | None = None,
                     level: Literal["member", "team", "commune"] = "member") -> HTMLResponse:
    """Counts per member, team and commune; leaderboards; the per-day table and the progress chart.

    An admin sees everyone (or a unit's subtree); a team lead the rows of their team's members; any
    other member their own row. Leaderboards are sums over the member's commune (counts only).
    """
    start, end = stats.day_bounds(since, until)
    bad_range = since is not None and until is not None and since > until

    def work(unit: Unit) -> dict[str, Any]:
        view = stats.view_for(unit, who, unit_id=unit_id)
        board = repo.member_stats(unit, members=view.board, since=start, until=end)
        own_ids = {m.id for m in view.own}
        return {
            "me": view.me,
            "rows": [r for r in board if r.member_id in own_ids],
            "teams": stats.by_group(unit, board, level="team"),
            "communes": stats.by_group(unit, board, level="commune"),
            "daily": [] if bad_range else stats.daily(unit, view.own if level == "member" else view.board,
                                                      level=level, since=start, until=end),
            "units": repo.list_units(unit) if who.role is Role.ADMIN else [],
        }

    data = await _db(request, work)
    filters = [(k, str(v)) for k, v in (("unit_id", unit_id), ("since", since), ("until", until)) if v]
    totals = [sum(getattr(r, f) for r in data["rows"]) for f in ("reached", "completed", "in_person")]
    alt = (f"Biểu đồ tiến độ cộng dồn theo ngày: {totals[0]} người tiếp cận, {totals[1]} lượt hoàn thành, "
           f"{totals[2]} lượt giúp trực tiếp.")
    return render(request, "team_stats.html", who=who, query=urlencode(filters),
                  daily_query=urlencode([*filters, ("level", level)]), unit_id=unit_id, since=since or "",
                  until=until or "", level=level, chart_alt=alt, bad_range=bad_range,
                  status_code=422 if bad_range else 200, **data)
