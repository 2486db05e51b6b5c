"""The dashboard over HTTP: ``GET /api/v1/admin/dashboard`` (JSON), exports, and the ``/admin/dashboard`` page.

Readers (admin, editor, viewer) see it: counts and shares only, never a citizen's name, number or
message (the unanswered questions were masked on the way in, as in the console's inbox). Filters
(all optional): ``from``/``to`` (days in Vietnam time, inclusive), ``channel``, ``commune`` (an
``org_units`` id of level commune). A bad filter is a 422 with the field named.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Annotated, Any, Final, Literal
from urllib.parse import urlencode

import anyio.to_thread
from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy import select

from api.console.security import READERS, Principal, Reader, require_page
from api.console.web import render
from api.dashboard import queries
from api.dashboard.charts import chart_svg, data_uri
from api.dashboard.export import table_csv, tables_xlsx
from api.dashboard.sections import CHANNELS, VN, Context, Filters, Memo, Section, Table, ordered, section
from api.deps import SnapshotDep, StoreDep
from api.errors import error_responses
from api.store import Store
from api.store.models import metadata
from bot.core.content import ContentSnapshot

__all__ = ["CommuneOut", "DashboardOut", "DashboardSectionOut", "api", "build", "pages"]

api = APIRouter(prefix="/api/v1/admin/dashboard", tags=["admin"])
pages = APIRouter(prefix="/admin/dashboard", include_in_schema=False)

ReaderPage = Annotated[Principal, Depends(require_page(*READERS))]

#: The days a filter may name (a date outside is a typo, and would overflow the time arithmetic).
FIRST_DAY: Final = dt.date(2020, 1, 1)
LAST_DAY: Final = dt.date(2100, 12, 31)
#: Read-only units a dashboard request runs its sections on at once (each holds a pooled connection).
WORKERS: Final = 2
#: The page's default period: the last 30 days.
DEFAULT_DAYS: Final = 30
_XLSX: Final = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_units = metadata.tables["org_units"]

From = Annotated[dt.date | None, Query(alias="from", description="first day (Vietnam time), YYYY-MM-DD")]
To = Annotated[dt.date | None, Query(alias="to", description="last day (Vietnam time), YYYY-MM-DD")]
ChannelQ = Annotated[Literal["telegram", "zalo_oa", "zalo_bot", "web"] | None,
                     Query(description="only citizens of this channel")]
CommuneQ = Annotated[int | None, Query(ge=1, le=2**31 - 1,
                                       description="only citizens attributed to this commune (org_units id)")]
SectionKey = Annotated[str, Path(pattern=r"^[a-z0-9_]{1,32}$", description="a section key")]


class DashboardSectionOut(BaseModel):
    """One section: its columns (key and label), rows keyed by column, and a note."""

    key: str
    title: str
    columns: list[dict[str, str]]
    rows: list[dict[str, str | int | float | None]]
    note: str


class CommuneOut(BaseModel):
    """A commune the filter may name."""

    id: int
    name: str


class DashboardOut(BaseModel):
    """The dashboard's numbers for the filters."""

    filters: dict[str, str | int | None]
    commune_note: str
    communes: list[CommuneOut]
    sections: list[DashboardSectionOut]
    elapsed_ms: float = Field(description="time spent on the queries")


def _refusal(field: str, message: str) -> JSONResponse:
    return JSONResponse({"error": message, "detail": [{"loc": ["query", field], "msg": message, "type": "invalid"}]},
                        status_code=422)


def _check(since: dt.date | None, until: dt.date | None) -> JSONResponse | None:
    for name, day in (("from", since), ("to", until)):
        if day is not None and not FIRST_DAY <= day <= LAST_DAY:
            return _refusal(name, f"a day between {FIRST_DAY.isoformat()} and {LAST_DAY.isoformat()}")
    if since is not None and until is not None and since > until:
        return _refusal("from", "'from' is after 'to'")
    return None


def communes(store: Store) -> list[CommuneOut]:
    """The communes of the unit tree (what the commune filter can name)."""
    with store.unit(readonly=True) as unit:
        rows = unit.connection.execute(select(_units.c.id, _units.c.name).where(_units.c.level == "commune")
                                       .order_by(_units.c.name, _units.c.id)).all()
    return [CommuneOut(id=int(r.id), name=str(r.name)) for r in rows]


def build(store: Store, content: ContentSnapshot, filters: Filters,
          keys: list[str] | None = None) -> list[tuple[Section, Table]]:
    """Run the sections' queries (all, or those in ``keys``), on :data:`WORKERS` read-only units at once.

    Each worker takes the next section and runs it in its own read-only transaction (SQLite's WAL
    and PostgreSQL both serve readers in parallel; the driver releases the GIL while a query runs).
    Sections may therefore see the data a few milliseconds apart, which a dashboard can bear.
    """
    queries.install()
    chosen = [s for s in ordered() if keys is None or s.key in keys]
    memo = Memo()
    todo = list(enumerate(chosen))
    results: dict[int, Table] = {}
    lock = threading.Lock()

    def worker() -> None:
        with store.unit(readonly=True) as unit:
            ctx = Context(unit=unit, filters=filters, content=content, dialect=store.dialect, memo=memo)
            while True:
                with lock:
                    if not todo:
                        return
                    i, sec = todo.pop(0)
                results[i] = sec.query(ctx)

    workers = min(WORKERS, len(chosen))
    if workers <= 1:
        worker()
    else:
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="dashboard") as pool:
            for done in [pool.submit(worker) for _ in range(workers)]:
                done.result()
    return [(s, results[i]) for i, s in enumerate(chosen)]


def _section_json(sec: Section, table: Table) -> DashboardSectionOut:
    return DashboardSectionOut(key=sec.key, title=sec.title, columns=[{"key": c.key, "label": c.label}
                                                                     for c in table.columns],
                               rows=table.as_dicts(), note=table.note)


async def _filters(store: Store, since: dt.date | None, until: dt.date | None, channel: str | None,
                   commune: int | None) -> Filters | JSONResponse:
    bad = _check(since, until)
    if bad is not None:
        return bad
    if commune is not None:
        known = await anyio.to_thread.run_sync(communes, store)
        if commune not in {c.id for c in known}:
            return _refusal("commune", "no commune has this id")
    return Filters(since=since, until=until, channel=channel, commune=commune)


@api.get("", response_model=DashboardOut, responses=error_responses(401, 403, 422))
async def dashboard(store: StoreDep, snapshot: SnapshotDep, who: Reader, since: From = None, until: To = None,
                    channel: ChannelQ = None, commune: CommuneQ = None) -> Any:
    """Every section's numbers for the filters (admin, editor, viewer)."""
    filters = await _filters(store, since, until, channel, commune)
    if isinstance(filters, JSONResponse):
        return filters
    started = time.perf_counter()
    done = await anyio.to_thread.run_sync(lambda: build(store, snapshot, filters))
    elapsed = (time.perf_counter() - started) * 1000
    known = await anyio.to_thread.run_sync(communes, store)
    return DashboardOut(filters=filters.as_dict(), commune_note=queries.COMMUNE_NOTE, communes=known,
                        sections=[_section_json(s, t) for s, t in done], elapsed_ms=round(elapsed, 1))


def _disposition(name: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{name}"'}


@api.get("/export.xlsx", responses={**error_responses(401, 403, 422),
                                    200: {"content": {_XLSX: {}}, "description": "the workbook"}})
async def export_all(store: StoreDep, snapshot: SnapshotDep, who: Reader, since: From = None, until: To = None,
                     channel: ChannelQ = None, commune: CommuneQ = None) -> Response:
    """Every section as a sheet of one Excel workbook (the filters on the first sheet)."""
    filters = await _filters(store, since, until, channel, commune)
    if isinstance(filters, JSONResponse):
        return filters
    done = await anyio.to_thread.run_sync(lambda: build(store, snapshot, filters))
    body = tables_xlsx([(s.title, t) for s, t in done], filters)
    return Response(body, media_type=_XLSX, headers=_disposition("bang-dieu-khien.xlsx"))


async def _one(store: Store, snapshot: ContentSnapshot, key: str, filters: Filters) -> tuple[Section, Table] | None:
    queries.install()
    if section(key) is None:
        return None
    done = await anyio.to_thread.run_sync(lambda: build(store, snapshot, filters, [key]))
    return done[0]


def _no_section(key: str) -> JSONResponse:
    return JSONResponse({"error": f"no dashboard section {key!r}"}, status_code=404)


@api.get("/{key}.csv", responses={**error_responses(401, 403, 404, 422),
                                  200: {"content": {"text/csv": {}}, "description": "the table as CSV"}})
async def export_csv(key: SectionKey, store: StoreDep, snapshot: SnapshotDep, who: Reader, since: From = None,
                     until: To = None, channel: ChannelQ = None, commune: CommuneQ = None) -> Response:
    """One section's numbers as CSV (UTF-8 with a BOM; formula-like texts are neutralised)."""
    filters = await _filters(store, since, until, channel, commune)
    if isinstance(filters, JSONResponse):
        return filters
    found = await _one(store, snapshot, key, filters)
    if found is None:
        return _no_section(key)
    return Response(table_csv(found[1]), media_type="text/csv; charset=utf-8",
                    headers=_disposition(f"bang-dieu-khien-{key}.csv"))


@api.get("/{key}.xlsx", responses={**error_responses(401, 403, 404, 422),
                                   200: {"content": {_XLSX: {}}, "description": "the table as a workbook"}})
async def export_xlsx(key: SectionKey, store: StoreDep, snapshot: SnapshotDep, who: Reader, since: From = None,
                      until: To = None, channel: ChannelQ = None, commune: CommuneQ = None) -> Response:
    """One section's numbers as an Excel workbook."""
    filters = await _filters(store, since, until, channel, commune)
    if isinstance(filters, JSONResponse):
        return filters
    found = await _one(store, snapshot, key, filters)
    if found is None:
        return _no_section(key)
    body = tables_xlsx([(found[0].title, found[1])], filters)
    return Response(body, media_type=_XLSX, headers=_disposition(f"bang-dieu-khien-{key}.xlsx"))


# -- the page ---------------------------------------------------------------------------------------


def _form_day(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text.strip()) if text.strip() else None
    except ValueError:
        return None


@pages.get("", response_class=HTMLResponse)
async def page(request: Request, who: ReaderPage, store: StoreDep, snapshot: SnapshotDep,
               since: Annotated[str, Query(alias="from", max_length=10)] = "",
               until: Annotated[str, Query(alias="to", max_length=10)] = "",
               channel: Annotated[str, Query(max_length=16)] = "",
               commune: Annotated[str, Query(max_length=12)] = "") -> HTMLResponse:
    """Charts and tables for the filters (the last 30 days by default); a bad filter is named, not a 500."""
    errors: list[str] = []
    today = dt.datetime.now(VN).date()
    first, last = _form_day(since), _form_day(until)
    if since and first is None:
        errors.append("«Từ ngày» không phải là một ngày.")
    if until and last is None:
        errors.append("«Đến ngày» không phải là một ngày.")
    if not since and not until:
        first, last = today - dt.timedelta(days=DEFAULT_DAYS - 1), today
    bad = _check(first, last)
    if bad is not None:
        errors.append("Khoảng ngày không hợp lệ: «Từ ngày» phải trước «Đến ngày», trong các năm 2020–2100.")
        first, last = today - dt.timedelta(days=DEFAULT_DAYS - 1), today
    ch = channel if channel in CHANNELS else None
    if channel and ch is None:
        errors.append("Kênh không hợp lệ.")
    known = await anyio.to_thread.run_sync(communes, store)
    cid = int(commune) if commune.isascii() and commune.isdigit() and int(commune) in {c.id for c in known} else None
    if commune and cid is None:
        errors.append("Không có xã/phường này.")
    filters = Filters(since=first, until=last, channel=ch, commune=cid)
    started = time.perf_counter()
    done = await anyio.to_thread.run_sync(lambda: build(store, snapshot, filters))
    blocks = []
    for sec, table in done:
        charts = [{"title": c.title or sec.title, "src": data_uri(chart_svg(c))} for spec in sec.charts
                  for c in spec(table)]
        blocks.append({"key": sec.key, "title": sec.title, "table": table, "charts": charts})
    elapsed = (time.perf_counter() - started) * 1000
    query = urlencode({k: v for k, v in (("from", first.isoformat() if first else ""),
                                         ("to", last.isoformat() if last else ""), ("channel", ch or ""),
                                         ("commune", str(cid) if cid else "")) if v})
    return render(request, "dashboard.html", who=who, blocks=blocks, filters=filters, channels=CHANNELS,
                  communes=known, errors=errors, query=query, commune_note=queries.COMMUNE_NOTE,
                  elapsed_ms=round(elapsed), status_code=422 if errors else 200)
