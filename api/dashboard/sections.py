"""The dashboard's building blocks: filters, a section's table, chart specs, and the section registry.

A section is a **query function** (``(Context) -> Table``: SQL GROUP BY queries on the request's unit)
plus **chart specs** (functions of the table that say what to draw). The page, the JSON API and the
CSV/xlsx exports all walk :data:`SECTIONS` in order, so a new section is one :func:`register` call::

    def delivery(ctx: Context) -> Table:
        rows = ctx.unit.connection.execute(select(...).group_by(...)).all()
        return Table((Col("day", "Ngày"), Col("sent", "Đã gửi")), [tuple(r) for r in rows])

    register(Section("delivery", "Gửi thông báo", delivery, (bars(x="day", series=("sent",)),)))

Every number is a count or a share computed from recorded rows; no section names a citizen.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from api.store import Unit
from bot.core.content import ContentSnapshot

__all__ = [
    "CHANNELS",
    "SECTIONS",
    "VN",
    "Cell",
    "Chart",
    "ChartSpec",
    "Col",
    "Context",
    "Filters",
    "Memo",
    "Section",
    "Table",
    "bars",
    "ordered",
    "pivot",
    "register",
    "section",
    "unregister",
]

#: Days are counted in Vietnam time (UTC+7, no daylight saving).
VN = dt.timezone(dt.timedelta(hours=7))

#: The citizens' channels a dashboard filters on (``cli`` and ``eval`` traffic is never counted).
CHANNELS: tuple[str, ...] = ("telegram", "zalo_oa", "zalo_bot", "web")

Cell = str | int | float | None
ChartKind = Literal["bar", "stacked", "hbar", "line", "pie"]


@dataclass(frozen=True, slots=True)
class Filters:
    """Days ``since``..``until`` (inclusive, Vietnam time), a channel, a commune (``org_units`` id)."""

    since: dt.date | None = None
    until: dt.date | None = None
    channel: str | None = None
    commune: int | None = None

    def window(self) -> tuple[dt.datetime | None, dt.datetime | None]:
        """The days as a half-open UTC window (UTC, so SQLite's text timestamps compare right)."""
        start = dt.datetime.combine(self.since, dt.time(), VN).astimezone(dt.UTC) if self.since else None
        end = (dt.datetime.combine(self.until + dt.timedelta(days=1), dt.time(), VN).astimezone(dt.UTC)
               if self.until else None)
        return start, end

    def as_dict(self) -> dict[str, Any]:
        """The filters as the API echoes them."""
        return {"from": self.since.isoformat() if self.since else None,
                "to": self.until.isoformat() if self.until else None,
                "channel": self.channel, "commune": self.commune}


class Memo:
    """Values computed once per request, safe when sections run in several threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._locks: dict[str, threading.Lock] = {}
        self._values: dict[str, Any] = {}

    def once(self, key: str, compute: Callable[[], Any]) -> Any:
        """The value of ``key``, computing it the first time."""
        with self._lock:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            if key not in self._values:
                self._values[key] = compute()
            return self._values[key]


@dataclass(frozen=True, slots=True)
class Context:
    """What a query function gets: the unit (its connection), the filters, the live content."""

    unit: Unit
    filters: Filters
    content: ContentSnapshot
    dialect: str
    #: Results shared between the sections of one request (one scan serving two sections).
    memo: Memo = field(default_factory=lambda: Memo())

    def once(self, key: str, compute: Callable[[], Any]) -> Any:
        """``compute()`` run once per request for ``key`` (sections run in parallel wait for it)."""
        return self.memo.once(key, compute)


@dataclass(frozen=True, slots=True)
class Col:
    """A column: its JSON key, its Vietnamese label (the export header), and how the page shows it.

    ``show``: ``text`` as is; ``day`` an ISO day shown dd/mm/yyyy (charts: dd/mm); ``hidden`` kept in
    the JSON and the exports (a machine key such as ``answered``) but not shown on the page.
    """

    key: str
    label: str
    show: Literal["text", "day", "hidden"] = "text"

    def display(self, value: Cell) -> str:
        """The value as the page shows it: days dd/mm/yyyy, decimals with a comma, nothing as a dash."""
        if value is None:
            return "—"
        if self.show == "day" and isinstance(value, str) and len(value) == 10:
            return f"{value[8:10]}/{value[5:7]}/{value[0:4]}"
        if isinstance(value, float):
            return f"{value:.1f}".replace(".", ",")
        return str(value)

    def short(self, value: Cell) -> str:
        """The value as a chart label (days as dd/mm)."""
        text = self.display(value)
        return text[:5] if self.show == "day" else text


@dataclass(frozen=True, slots=True)
class Table:
    """A section's numbers: columns and rows (each row one value per column), and a note for readers."""

    columns: tuple[Col, ...]
    rows: Sequence[tuple[Cell, ...]]
    note: str = ""

    def col(self, key: str) -> Col:
        """The column ``key``."""
        return self.columns[self.index(key)]

    def index(self, key: str) -> int:
        """The position of column ``key`` (KeyError when there is none)."""
        for i, c in enumerate(self.columns):
            if c.key == key:
                return i
        raise KeyError(key)

    def column(self, key: str) -> list[Cell]:
        """One column's values."""
        i = self.index(key)
        return [r[i] for r in self.rows]

    def as_dicts(self) -> list[dict[str, Cell]]:
        """The rows as JSON objects keyed by column key."""
        keys = [c.key for c in self.columns]
        return [dict(zip(keys, r, strict=True)) for r in self.rows]


@dataclass(frozen=True, slots=True)
class Chart:
    """Something to draw: labels along one axis, one or more named series of numbers."""

    title: str
    kind: ChartKind
    labels: list[str]
    series: list[tuple[str, list[float]]]


#: A chart spec turns a section's table into zero or more charts.
ChartSpec = Callable[[Table], list[Chart]]


@dataclass(frozen=True, slots=True)
class Section:
    """One block of the dashboard: a query, the charts drawn from its table, and its order."""

    key: str
    title: str
    query: Callable[[Context], Table]
    charts: tuple[ChartSpec, ...] = ()
    #: Sections are shown by ascending ``order`` (ties keep registration order).
    order: int = 100
    description: str = field(default="")


SECTIONS: dict[str, Section] = {}


def register(sec: Section) -> Section:
    """Add (or replace) a section; its key names its exports (``/api/v1/admin/dashboard/<key>.csv``)."""
    if not re.fullmatch(r"[a-z0-9_]{1,32}", sec.key) or sec.key == "export":
        raise ValueError(f"a section key is 1-32 lower-case ASCII letters, digits or _ (not 'export'): {sec.key!r}")
    SECTIONS[sec.key] = sec
    return sec


def unregister(key: str) -> None:
    """Remove a section (tests register their own and take them away again)."""
    SECTIONS.pop(key, None)


def section(key: str) -> Section | None:
    """The registered section with this key."""
    return SECTIONS.get(key)


def ordered() -> list[Section]:
    """The sections in display order."""
    return sorted(SECTIONS.values(), key=lambda s: s.order)


def _num(v: Cell) -> float:
    return float(v) if isinstance(v, int | float) else 0.0


def bars(*, x: str, series: Sequence[str], title: str = "", kind: ChartKind = "bar",
         where: tuple[str, Cell] | None = None, limit: int | None = None) -> ChartSpec:
    """A chart with the ``x`` column as labels and one series per column of ``series``.

    ``where`` keeps only rows whose column has a value; ``limit`` keeps the first rows.
    """
    def spec(table: Table) -> list[Chart]:
        rows = table.rows
        if where is not None:
            i = table.index(where[0])
            rows = [r for r in rows if r[i] == where[1]]
        if limit is not None:
            rows = rows[:limit]
        xi, xc = table.index(x), table.col(x)
        labels = [xc.short(r[xi]) for r in rows]
        out = [(next(c.label for c in table.columns if c.key == s), [_num(r[table.index(s)]) for r in rows])
               for s in series]
        return [Chart(title, kind, labels, out)]

    return spec


def pivot(*, x: str, split: str, value: str, title: str = "", kind: ChartKind = "stacked") -> ChartSpec:
    """A chart with the ``x`` column as labels and one series per distinct value of ``split``."""
    def spec(table: Table) -> list[Chart]:
        xi, si, vi, xc = table.index(x), table.index(split), table.index(value), table.col(x)
        labels = list(dict.fromkeys(xc.short(r[xi]) for r in table.rows))
        names = sorted({str(r[si]) for r in table.rows})
        values = {(xc.short(r[xi]), str(r[si])): _num(r[vi]) for r in table.rows}
        series = [(n, [values.get((lab, n), 0.0) for lab in labels]) for n in names]
        return [Chart(title, kind, labels, series)]

    return spec
