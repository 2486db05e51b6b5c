"""Team HTTP routes: the admin REST API (bearer token), the public leaflet and QR files.

Admins manage units, invites and members and see every member's counts; a member (role
``member``) sees only their own record, links, leaflets and counts. The public files
``/l/<referral code>/…`` carry nothing but what a member hands out anyway: the guide, the QR code
of their link and their display name.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

import anyio.to_thread
from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from api.console.charts import svg_response
from api.console.security import ADMINS, MEMBERS, Principal, Role, audit, client_ip, require
from api.deps import StoreDep
from api.errors import ApiError, NotFound, error_responses
from api.inbound import BoundedJsonRoute
from api.live_content import ContentRuntime
from api.store import Store, Unit
from api.team import manage, repo, stats
from api.team.chat import TeamShell
from api.team.leaflet import leaflet_for, leaflet_pdf, qr_png, qr_svg
from bot.core import payloads
from bot.core.team import ShareItem, share_items

__all__ = ["NotFound", "Refused", "admin", "public", "shell_of"]

# Bodies are read by api.inbound (bounded, clean JSON), so a broken body is our 400, not FastAPI's.
admin = APIRouter(prefix="/api/v1/admin", tags=["team"], route_class=BoundedJsonRoute)
public = APIRouter(include_in_schema=False)

Admin = Annotated[Principal, Depends(require(*ADMINS))]
Member = Annotated[Principal, Depends(require(*MEMBERS))]
#: Ids are bounded so a huge one is a 422, not an overflow in the database driver.
MemberId = Annotated[int, Path(ge=1, le=2**31 - 1)]
DbId = Annotated[int, Field(ge=1, le=2**31 - 1)]
UnitQuery = Annotated[int | None, Query(ge=1, le=2**31 - 1)]


class Refused(ApiError):
    """The team tables refuse the request (a team under a province, an invite to a commune…)."""

    status = 422


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def shell_of(request: Request) -> TeamShell:
    """The app's team shell (its Telegram username, once known, goes into the links)."""
    team: TeamShell | None = request.app.state.conversation.team
    if team is None:
        team = TeamShell(public_base_url=request.app.state.settings.public_base_url)
    return team


async def _db(store: Store, fn: Any) -> Any:
    def work() -> Any:
        with store.unit() as unit:
            return fn(unit)

    try:
        return await anyio.to_thread.run_sync(work)
    except repo.TeamError as exc:
        raise Refused(str(exc)) from exc
    except LookupError as exc:
        raise NotFound(str(exc)) from exc


def _own(unit: Unit, who: Principal, member_id: int) -> repo.MemberView:
    """The member, when this account may see it (an admin any, a member only their own)."""
    member = repo.get_member(unit, member_id)
    if member is None or (who.role is not Role.ADMIN and member.account_id != who.account_id):
        raise LookupError("no such member")
    return member


# -- units, invites, members (admin) ---------------------------------------------------------------


class UnitIn(BaseModel):
    """A new unit: a province (no parent), a commune or ward (under a province), a team (under a commune)."""

    model_config = ConfigDict(extra="forbid")
    level: Literal["province", "commune", "team"]
    name: str = Field(min_length=1, max_length=200)
    parent_id: DbId | None = None


class UnitOut(BaseModel):
    """A unit of the tree."""

    id: int
    parent_id: int | None
    level: str
    name: str


@admin.post("/units", status_code=201, response_model=UnitOut, responses=error_responses(400, 401, 422))
async def create_unit(body: UnitIn, request: Request, store: StoreDep, who: Admin) -> Any:
    """Add a unit (admin)."""
    def work(unit: Unit) -> repo.UnitView:
        made = repo.create_unit(unit, level=body.level, name=body.name, parent_id=body.parent_id, now=_now())
        audit(unit, who=who, action="team.unit_create", target=str(made.id), detail={"level": made.level},
              ip=client_ip(request), now=_now())
        return made

    made = await _db(store, work)
    return UnitOut(id=made.id, parent_id=made.parent_id, level=made.level, name=made.name)


@admin.get("/units", response_model=list[UnitOut], responses=error_responses(401))
async def list_units(store: StoreDep, who: Admin) -> Any:
    """Every unit (admin)."""
    units = await _db(store, repo.list_units)
    return [UnitOut(id=u.id, parent_id=u.parent_id, level=u.level, name=u.name) for u in units]


class InviteIn(BaseModel):
    """A new invite code to a team."""

    model_config = ConfigDict(extra="forbid")
    unit_id: DbId
    max_uses: int = Field(default=20, ge=1, le=1000)
    expires_in_days: int = Field(default=14, ge=1, le=365)


class InviteOut(BaseModel):
    """The invite code (shown this once: only its hash is stored)."""

    code: str
    unit_id: int
    max_uses: int
    expires_at: dt.datetime


@admin.post("/invites", status_code=201, response_model=InviteOut, responses=error_responses(400, 401, 422))
async def create_invite(body: InviteIn, request: Request, store: StoreDep, who: Admin) -> Any:
    """Make an invite code (admin); members join with ``/thamgia CODE`` in any chat."""
    now = _now()
    expires = now + dt.timedelta(days=body.expires_in_days)

    def work(unit: Unit) -> str:
        code = repo.create_invite(unit, unit_id=body.unit_id, expires_at=expires, max_uses=body.max_uses,
                                  by=who.username, now=now)
        audit(unit, who=who, action="team.invite_create", target=str(body.unit_id),
              detail={"max_uses": body.max_uses, "expires_at": expires.isoformat()}, ip=client_ip(request), now=now)
        return code

    code = await _db(store, work)
    return InviteOut(code=code, unit_id=body.unit_id, max_uses=body.max_uses, expires_at=expires)


class MemberIn(BaseModel):
    """A member added from the console (optionally tied to a console account of role member)."""

    model_config = ConfigDict(extra="forbid")
    display_name: str = Field(min_length=1, max_length=128)
    unit_id: DbId
    account_id: DbId | None = None


class MemberPatch(BaseModel):
    """Move (``unit_id``), rename or remove (``active: false``) a member; make them their team's lead.

    ``team_lead: true`` lets the member see the counts of every member of their team (counts only).
    A move ends a lead's role unless the same request sets ``team_lead: true`` again.
    """

    model_config = ConfigDict(extra="forbid")
    unit_id: DbId | None = None
    display_name: str | None = Field(default=None, min_length=1, max_length=128)
    active: bool | None = None
    team_lead: bool | None = None


class MemberOut(BaseModel):
    """A member (the referral code is what their links carry)."""

    id: int
    display_name: str
    unit_id: int
    team: str
    referral_code: str
    account_id: int | None
    active: bool
    team_lead: bool


def _member_out(m: repo.MemberView) -> MemberOut:
    return MemberOut(id=m.id, display_name=m.display_name, unit_id=m.unit_id, team=m.team_name,
                     referral_code=m.referral_code, account_id=m.account_id, active=m.active, team_lead=m.lead)


@admin.post("/members", status_code=201, response_model=MemberOut, responses=error_responses(400, 401, 422))
async def create_member(body: MemberIn, request: Request, store: StoreDep, who: Admin) -> Any:
    """Add a member to a team (admin); ``account_id`` is an enabled console account of role member."""
    member = await _db(store, lambda unit: manage.add_member(
        unit, display_name=body.display_name, unit_id=body.unit_id, account_id=body.account_id, who=who,
        ip=client_ip(request), now=_now()))
    return _member_out(member)


@admin.patch("/members/{member_id}", response_model=MemberOut, responses=error_responses(400, 401, 404, 422))
async def update_member(member_id: MemberId, body: MemberPatch, request: Request, store: StoreDep,
                        who: Admin) -> Any:
    """Move, rename or remove a member, or make them their team's lead (admin)."""
    member = await _db(store, lambda unit: manage.change_member(
        unit, member_id=member_id, unit_id=body.unit_id, display_name=body.display_name, active=body.active,
        lead=body.team_lead, who=who, ip=client_ip(request), now=_now()))
    return _member_out(member)


class ChatIn(BaseModel):
    """A member's chat account: its channel and its id there (a Telegram chat id, a Zalo user id…)."""

    model_config = ConfigDict(extra="forbid")
    channel: Literal["telegram", "zalo_oa", "zalo_bot", "web"]
    external_id: str = Field(min_length=1, max_length=128)


class ChatOut(BaseModel):
    """A chat account linked to a member."""

    channel: str
    external_id: str


@admin.get("/members/{member_id}/chats", response_model=list[ChatOut], responses=error_responses(401, 404))
async def member_chats(member_id: MemberId, store: StoreDep, who: Admin) -> Any:
    """The chat accounts linked to a member (admin)."""
    def work(unit: Unit) -> list[tuple[str, str]]:
        if repo.get_member(unit, member_id) is None:
            raise LookupError("no such member")
        return repo.chats_of(unit, member_ids=[member_id])[member_id]

    return [ChatOut(channel=c, external_id=e) for c, e in await _db(store, work)]


@admin.post("/members/{member_id}/chats", status_code=201, response_model=list[ChatOut],
            responses=error_responses(400, 401, 404, 422))
async def link_chat(member_id: MemberId, body: ChatIn, request: Request, store: StoreDep, who: Admin) -> Any:
    """Link a chat account to a member (admin), as ``/thamgia`` does; one held by another member is a 422."""
    def work(unit: Unit) -> list[tuple[str, str]]:
        manage.link_chat(unit, member_id=member_id, channel=body.channel, external_id=body.external_id, who=who,
                         ip=client_ip(request), now=_now())
        return repo.chats_of(unit, member_ids=[member_id])[member_id]

    return [ChatOut(channel=c, external_id=e) for c, e in await _db(store, work)]


@admin.delete("/members/{member_id}/chats/{channel}/{external_id}", status_code=204,
              responses=error_responses(401, 404))
async def unlink_chat(member_id: MemberId, channel: str, external_id: str, request: Request, store: StoreDep,
                      who: Admin) -> Response:
    """Unlink a chat account from a member (admin)."""
    def work(unit: Unit) -> None:
        if not manage.unlink_chat(unit, member_id=member_id, channel=channel, external_id=external_id, who=who,
                                  ip=client_ip(request), now=_now()):
            raise LookupError("no such chat account on this member")

    await _db(store, work)
    return Response(status_code=204)


# -- stats ------------------------------------------------------------------------------------------


def _scoped_rows(unit: Unit, who: Principal, unit_id: int | None, since: dt.date | None,
                 until: dt.date | None) -> list[repo.MemberStats]:
    members = stats.view_for(unit, who, unit_id=unit_id).own
    start, end = stats.day_bounds(since, until)
    return repo.member_stats(unit, members=members, since=start, until=end)


def _daily_rows(unit: Unit, who: Principal, level: stats.DayLevel, unit_id: int | None, since: dt.date | None,
                until: dt.date | None) -> list[stats.DailyRow]:
    view = stats.view_for(unit, who, unit_id=unit_id)
    start, end = stats.day_bounds(since, until)
    return stats.daily(unit, view.own if level == "member" else view.board, level=level, since=start, until=end)


def _progress(unit: Unit, who: Principal, unit_id: int | None, since: dt.date | None,
              until: dt.date | None) -> str:
    view = stats.view_for(unit, who, unit_id=unit_id)
    start, end = stats.day_bounds(since, until)
    return stats.progress_chart(repo.daily_rows(unit, member_ids=[m.id for m in view.own], since=start, until=end))


Since = Annotated[dt.date | None, Query(description="first day (Vietnam time), YYYY-MM-DD")]
Until = Annotated[dt.date | None, Query(description="last day (Vietnam time), YYYY-MM-DD")]


Level = Annotated[Literal["member", "team", "commune"],
                  Query(description="one row per member, team or commune and day")]
_STATS_SCOPE = (" An admin sees every member (``unit_id`` limits to a unit's subtree); a team lead the members "
                "of their team; any other member themself.")


def _check_days(since: dt.date | None, until: dt.date | None) -> None:
    if since is not None and until is not None and since > until:
        raise Refused("since is after until")


class StatsRow(BaseModel):
    """A member's counts (never which citizens)."""

    member_id: int
    name: str
    unit_id: int
    team: str
    reached: int
    completed: int
    completed_citizens: int
    in_person: int
    helped: int


@admin.get("/stats/members", response_model=list[StatsRow], responses=error_responses(401, 422))
async def member_stats(store: StoreDep, who: Member, unit_id: UnitQuery = None, since: Since = None,
                       until: Until = None) -> Any:
    """Counts per member: an admin sees everyone (``unit_id`` limits to a subtree), a team lead their team,
    any other member themself."""
    rows = await _db(store, lambda unit: _scoped_rows(unit, who, unit_id, since, until))
    return stats.stats_json(rows)


@admin.get("/stats/members.csv", responses=error_responses(401, 422))
async def member_stats_csv(store: StoreDep, who: Member, unit_id: UnitQuery = None, since: Since = None,
                           until: Until = None) -> Response:
    """The same rows as CSV."""
    rows = await _db(store, lambda unit: _scoped_rows(unit, who, unit_id, since, until))
    return Response(stats.rows_csv(rows), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="thong-ke-thanh-vien.csv"'})


@admin.get("/stats/members.xlsx", responses=error_responses(401, 422))
async def member_stats_xlsx(store: StoreDep, who: Member, unit_id: UnitQuery = None, since: Since = None,
                            until: Until = None) -> Response:
    """The same rows as an Excel workbook."""
    rows = await _db(store, lambda unit: _scoped_rows(unit, who, unit_id, since, until))
    return Response(stats.rows_xlsx(rows),
                    media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": 'attachment; filename="thong-ke-thanh-vien.xlsx"'})


class DailyOut(BaseModel):
    """One member's, team's or commune's counts on one day (Vietnam time, UTC+7); counts only.

    ``parent`` is the member's team, the team's commune or the commune's province. Days with
    nothing recorded have no row.
    """

    day: dt.date
    level: Literal["member", "team", "commune"]
    id: int
    name: str
    parent: str
    reached: int
    completed: int
    in_person: int


@admin.get("/stats/daily", response_model=list[DailyOut], responses=error_responses(401, 403, 422),
           description="Counts by day (Vietnam time: an event at 23:30 UTC counts on the next day), per member, "
                       "team or commune, oldest day first. ``level=member`` rows cover the members the account "
                       "may see;" + _STATS_SCOPE + " ``level=team`` and ``level=commune`` rows of a member or "
                       "lead are the sums of their commune's teams (the leaderboards), naming no citizen.")
async def daily_stats(store: StoreDep, who: Member, level: Level = "member", unit_id: UnitQuery = None,
                      since: Since = None, until: Until = None) -> Any:
    """Counts per member, team or commune by day."""
    _check_days(since, until)
    rows = await _db(store, lambda unit: _daily_rows(unit, who, level, unit_id, since, until))
    return stats.daily_json(rows)


@admin.get("/stats/daily.csv", responses=error_responses(401, 403, 422))
async def daily_stats_csv(store: StoreDep, who: Member, level: Level = "member", unit_id: UnitQuery = None,
                          since: Since = None, until: Until = None) -> Response:
    """The per-day rows as CSV (a name starting with = + - @ is written with a leading apostrophe)."""
    _check_days(since, until)
    rows = await _db(store, lambda unit: _daily_rows(unit, who, level, unit_id, since, until))
    return Response(stats.daily_csv(rows), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="thong-ke-theo-ngay-{level}.csv"'})


@admin.get("/stats/daily.xlsx", responses=error_responses(401, 403, 422))
async def daily_stats_xlsx(store: StoreDep, who: Member, level: Level = "member", unit_id: UnitQuery = None,
                           since: Since = None, until: Until = None) -> Response:
    """The per-day rows as an Excel workbook (names kept as text, never run as formulas)."""
    _check_days(since, until)
    rows = await _db(store, lambda unit: _daily_rows(unit, who, level, unit_id, since, until))
    return Response(stats.daily_xlsx(rows, level=level),
                    media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f'attachment; filename="thong-ke-theo-ngay-{level}.xlsx"'})


@admin.get("/stats/progress.svg", responses={**error_responses(401, 403, 422), 200: {
    "content": {"image/svg+xml": {}}, "description": "The chart: an SVG document with no script"}},
    response_class=Response)
async def progress_chart(store: StoreDep, who: Member, unit_id: UnitQuery = None, since: Since = None,
                         until: Until = None) -> Response:
    """Cumulative reached, completions and in-person help by day as an SVG chart (pygal, no script)."""
    _check_days(since, until)
    svg = await _db(store, lambda unit: _progress(unit, who, unit_id, since, until))
    return svg_response(svg)


# -- links and leaflets -----------------------------------------------------------------------------


def _content(request: Request, unit: Unit) -> Any:
    runtime: ContentRuntime = request.app.state.content
    return runtime.snapshot(unit)


class LinkOut(BaseModel):
    """One thing to share and the member's links to it."""

    kind: str
    id: str
    title: str
    payload: str
    web: str
    telegram: str | None


def _links(shell: TeamShell, code: str, items: list[ShareItem]) -> list[LinkOut]:
    links = shell.links()
    return [LinkOut(kind=i.kind, id=i.id, title=i.title, payload=i.payload, web=links.web(i.payload, code),
                    telegram=links.telegram(i.payload, code)) for i in items]


@admin.get("/members/{member_id}/links", response_model=list[LinkOut], responses=error_responses(401, 404))
async def member_links(member_id: MemberId, request: Request, store: StoreDep, who: Member) -> Any:
    """The member's links to every guide, guide step, FAQ entry and service card."""
    def work(unit: Unit) -> tuple[repo.MemberView, list[ShareItem]]:
        return _own(unit, who, member_id), share_items(_content(request, unit))

    member, items = await _db(store, work)
    return _links(shell_of(request), member.referral_code, items)


def _leaflet(request: Request, unit: Unit, member: repo.MemberView, flow_id: str, size: str) -> bytes:
    flow = _content(request, unit).flows.get(flow_id)
    if flow is None:
        raise LookupError("no such guide")
    url = shell_of(request).links().web(payloads.make("f", flow.id), member.referral_code)
    leaflet = leaflet_for(flow, url=url, member_name=member.display_name, team_name=member.team_name)
    return leaflet_pdf(leaflet, size="a5" if size == "a5" else "a4")


def _pdf(data: bytes, name: str) -> Response:
    return Response(data, media_type="application/pdf", headers={"Content-Disposition": f'inline; filename="{name}"'})


@admin.get("/members/{member_id}/leaflet.pdf", responses=error_responses(401, 404, 422))
async def member_leaflet(member_id: MemberId, request: Request, store: StoreDep, who: Member,
                         flow: Annotated[str, Query(pattern=r"^[a-z0-9_]{1,10}$")],
                         size: Literal["a4", "a5"] = "a4") -> Response:
    """The printable leaflet of a guide with the member's QR code (A4, or two A5 on an A4 sheet)."""
    data = await _db(store, lambda unit: _leaflet(request, unit, _own(unit, who, member_id), flow, size))
    return _pdf(data, f"to-roi-{flow}-{size}.pdf")


def _by_code(unit: Unit, code: str) -> repo.MemberView:
    member = repo.member_by_code(unit, code)
    if member is None:
        raise LookupError("no such code")
    return member


@public.get("/l/{code}/{flow}-{size}.pdf")
async def public_leaflet(code: str, flow: str, size: str, request: Request, store: StoreDep) -> Response:
    """A member's leaflet by referral code (the link ``/chiase`` gives; Telegram gets the file itself)."""
    if size not in ("a4", "a5") or len(code) != 8:
        raise NotFound("no such leaflet")
    data = await _db(store, lambda unit: _leaflet(request, unit, _by_code(unit, code), flow, size))
    return _pdf(data, f"to-roi-{flow}-{size}.pdf")


@public.get("/l/{code}/qr.{ext}")
async def public_qr(code: str, ext: str, request: Request, store: StoreDep,
                    p: Annotated[str, Query(max_length=64)] = "menu",
                    to: Literal["web", "telegram"] = "web") -> Response:
    """The QR code (PNG or SVG) of a member's link to payload ``p``."""
    parsed = payloads.parse(p)
    if ext not in ("png", "svg") or parsed is None or parsed.referral is not None or len(p) > payloads.BASE_MAX:
        raise NotFound("no such QR code")
    await _db(store, lambda unit: _by_code(unit, code))
    links = shell_of(request).links()
    url = links.web(p, code) if to == "web" else links.telegram(p, code)
    if url is None:
        raise NotFound("Telegram is not running")
    if ext == "png":
        return Response(qr_png(url), media_type="image/png", headers={"Cache-Control": "public, max-age=3600"})
    return Response(qr_svg(url), media_type="image/svg+xml", headers={"Cache-Control": "public, max-age=3600"})
