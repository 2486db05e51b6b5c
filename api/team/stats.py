"""Stats for the console and the API: per member, team and commune, in total and by day; exports; a chart.

Counts only: rows name members, teams and communes, never a citizen. Days are Vietnam days
(UTC+7, no daylight saving): an event at 23:30 UTC on 1 December counts on 2 December, and a
``since``/``until`` filter of whole days means [00:00, 24:00) Vietnam time. The progress chart is
drawn by pygal on the server (:mod:`api.console.charts`): an SVG with no script and no reference
outside itself.

Who sees what (:func:`view_for`): an admin every member (or a unit's subtree); a team lead the
rows of every member of their team; any other member their own row. Team and commune totals (the
leaderboards) cover the whole commune of the member: they are sums, and name no one.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from openpyxl import Workbook

from api.console.charts import Series, day_label, line_chart
from api.console.principal import Principal, Role
from api.store import Unit
from api.team import repo
from api.team.repo import VN, MemberStats, UnitView

__all__ = [
    "CHART_SIZE",
    "COLUMNS",
    "DAILY_COLUMNS",
    "DailyRow",
    "DayLevel",
    "GroupRow",
    "Scope",
    "View",
    "by_group",
    "daily",
    "daily_csv",
    "daily_json",
    "daily_xlsx",
    "day_bounds",
    "progress_chart",
    "rows_csv",
    "rows_xlsx",
    "scope_members",
    "stats_json",
    "view_for",
]

COLUMNS = ("member_id", "name", "team", "reached", "completed", "completed_citizens", "in_person", "helped")


@dataclass(frozen=True, slots=True)
class Scope:
    """Which members a view covers, and the time window."""

    members: list[repo.MemberView]
    since: dt.datetime | None
    until: dt.datetime | None


def day_bounds(since: dt.date | None, until: dt.date | None) -> tuple[dt.datetime | None, dt.datetime | None]:
    """[since, until] as days in Vietnam time → a half-open UTC window."""
    # In UTC: SQLite keeps timestamps as naive UTC text, so a bound in another zone would be compared
    # as if it were UTC (seven hours off).
    start = dt.datetime.combine(since, dt.time(), VN).astimezone(dt.UTC) if since else None
    end = dt.datetime.combine(until + dt.timedelta(days=1), dt.time(), VN).astimezone(dt.UTC) if until else None
    return start, end


def _below(units: Sequence[UnitView], root: int) -> set[int]:
    """``root`` and every unit under it."""
    children: dict[int | None, list[int]] = defaultdict(list)
    for u in units:
        children[u.parent_id].append(u.id)
    out, todo = set(), [root]
    while todo:
        uid = todo.pop()
        out.add(uid)
        todo += children.get(uid, [])
    return out


def scope_members(unit: Unit, *, unit_id: int | None) -> list[repo.MemberView]:
    """Active members, all or those in a unit's subtree."""
    if unit_id is None:
        return repo.list_members(unit)
    return repo.list_members(unit, unit_ids=_below(repo.list_units(unit), unit_id))


def stats_json(rows: Sequence[MemberStats]) -> list[dict[str, object]]:
    """``GET /api/v1/admin/stats/members`` rows."""
    return [{"member_id": r.member_id, "name": r.name, "unit_id": r.unit_id, "team": r.team_name,
             "reached": r.reached, "completed": r.completed, "completed_citizens": r.completed_citizens,
             "in_person": r.in_person, "helped": r.helped} for r in rows]


def _table(rows: Sequence[MemberStats]) -> list[list[object]]:
    return [[r.member_id, r.name, r.team_name, r.reached, r.completed, r.completed_citizens, r.in_person, r.helped]
            for r in rows]


def rows_csv(rows: Sequence[MemberStats]) -> str:
    """The member rows as CSV (UTF-8 with a BOM, so spreadsheet programs read the diacritics)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for row in _table(rows):
        writer.writerow([_cell(v) for v in row])
    return "\ufeff" + out.getvalue()


def _cell(value: object) -> object:
    # A name starting with = + - @ (or a tab or carriage return before one) would run as a formula
    # in a spreadsheet: a leading apostrophe keeps it text.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def rows_xlsx(rows: Sequence[MemberStats]) -> bytes:
    """The member rows as an Excel workbook."""
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Thành viên"
    ws.append(list(COLUMNS))
    for row in _table(rows):
        ws.append([_cell(v) for v in row])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


@dataclass(frozen=True, slots=True)
class GroupRow:
    """A team's or commune's totals."""

    id: int
    name: str
    members: int
    reached: int
    completed: int
    in_person: int
    helped: int


def by_group(unit: Unit, rows: Sequence[MemberStats], *, level: str) -> list[GroupRow]:
    """Totals per team (``level="team"``) or per commune, best first (the leaderboard)."""
    units = {u.id: u for u in repo.list_units(unit)}
    acc: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])
    for r in rows:
        key = r.unit_id if level == "team" else (units[r.unit_id].parent_id if r.unit_id in units else None)
        if key is None:
            continue
        a = acc[key]
        a[0] += 1
        a[1] += r.reached
        a[2] += r.completed
        a[3] += r.in_person
        a[4] += r.helped
    out = [GroupRow(k, units[k].name if k in units else str(k), *v) for k, v in acc.items()]
    return sorted(out, key=lambda g: (-g.helped, -g.reached, g.name))


#: The levels of the per-day table.
DayLevel = Literal["member", "team", "commune"]
DAILY_COLUMNS = ("day", "level", "id", "name", "parent", "reached", "completed", "in_person")
_LEVEL_NAMES = {"member": "Thành viên", "team": "Tổ", "commune": "Xã/phường"}


@dataclass(frozen=True, slots=True)
class View:
    """What an account may see: ``own`` members' rows, ``board`` members' sums (the leaderboards)."""

    own: list[repo.MemberView]
    board: list[repo.MemberView]
    me: repo.MemberView | None


def view_for(unit: Unit, who: Principal, *, unit_id: int | None = None) -> View:
    """The members an account sees: an admin all (``unit_id``: a subtree), a lead their team, a member themself."""
    if who.role is Role.ADMIN:
        members = scope_members(unit, unit_id=unit_id)
        return View(members, members, None)
    me = repo.member_by_account(unit, who.account_id)
    own = repo.visible_members(unit, me)
    units = {u.id: u for u in repo.list_units(unit)}
    commune = units[me.unit_id].parent_id if me is not None and me.unit_id in units else None
    board = scope_members(unit, unit_id=commune) if commune is not None else list(own)
    return View(own, board, me)


@dataclass(frozen=True, slots=True)
class DailyRow:
    """One member's, team's or commune's counts on one Vietnam day.

    ``parent``: the member's team, the team's commune, the commune's province.
    """

    day: dt.date
    level: str
    id: int
    name: str
    parent: str
    reached: int
    completed: int
    in_person: int


def daily(unit: Unit, members: Sequence[repo.MemberView], *, level: DayLevel, since: dt.datetime | None,
          until: dt.datetime | None) -> list[DailyRow]:
    """Counts by day of ``members``, or of their teams or communes; days with nothing are left out.

    Oldest day first, then by name. ``completed`` counts completions (a citizen finishing two guides
    counts twice), like the ``completed`` of :func:`api.team.repo.member_stats`.
    """
    units = {u.id: u for u in repo.list_units(unit)}
    by_id = {m.id: m for m in members}

    def unit_name(uid: int | None) -> str:
        return units[uid].name if uid is not None and uid in units else ""

    def group(m: repo.MemberView) -> tuple[int, str, str] | None:
        if level == "member":
            return m.id, m.display_name, m.team_name
        team = units.get(m.unit_id)
        if level == "team":
            return m.unit_id, m.team_name, unit_name(team.parent_id if team else None)
        if team is None or team.parent_id is None:
            return None
        commune = units.get(team.parent_id)
        return team.parent_id, unit_name(team.parent_id), unit_name(commune.parent_id if commune else None)

    acc: dict[tuple[dt.date, int], list[int]] = defaultdict(lambda: [0, 0, 0])
    names: dict[int, tuple[str, str]] = {}
    for d in repo.daily_rows(unit, member_ids=list(by_id), since=since, until=until):
        key = group(by_id[d.member_id])
        if key is None:
            continue
        names[key[0]] = (key[1], key[2])
        a = acc[(d.day, key[0])]
        a[0] += d.reached
        a[1] += d.completed
        a[2] += d.in_person
    rows = [DailyRow(day, level, gid, names[gid][0], names[gid][1], *counts) for (day, gid), counts in acc.items()]
    return sorted(rows, key=lambda r: (r.day, r.name, r.id))


def daily_json(rows: Sequence[DailyRow]) -> list[dict[str, object]]:
    """``GET /api/v1/admin/stats/daily`` rows (``day`` as YYYY-MM-DD)."""
    return [{"day": r.day.isoformat(), "level": r.level, "id": r.id, "name": r.name, "parent": r.parent,
             "reached": r.reached, "completed": r.completed, "in_person": r.in_person} for r in rows]


def _daily_table(rows: Sequence[DailyRow]) -> list[list[object]]:
    return [[r.day, r.level, r.id, r.name, r.parent, r.reached, r.completed, r.in_person] for r in rows]


def daily_csv(rows: Sequence[DailyRow]) -> str:
    """The per-day rows as CSV (UTF-8 with a BOM; days as YYYY-MM-DD; names kept as text)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(DAILY_COLUMNS)
    for row in _daily_table(rows):
        writer.writerow([v.isoformat() if isinstance(v, dt.date) else _cell(v) for v in row])
    return "\ufeff" + out.getvalue()


def daily_xlsx(rows: Sequence[DailyRow], *, level: DayLevel) -> bytes:
    """The per-day rows as an Excel workbook (days as real dates shown dd/mm/yyyy; names kept as text)."""
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = f"Theo ngày - {_LEVEL_NAMES[level]}"
    ws.append(list(DAILY_COLUMNS))
    for row in _daily_table(rows):
        ws.append([_cell(v) for v in row])
        ws.cell(ws.max_row, 1).number_format = "DD/MM/YYYY"
    ws.column_dimensions["A"].width = 12
    ws.column_dimensions["D"].width = 32
    ws.column_dimensions["E"].width = 32
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


#: The chart's own size: narrow enough that its labels stay readable when a phone shrinks it.
CHART_SIZE = (560, 340)
_SERIES = ("Người tiếp cận", "Lượt hoàn thành", "Lượt giúp trực tiếp")


def progress_chart(days: Sequence[repo.DayRow], *, title: str = "Tiến độ cộng dồn theo ngày") -> str:
    """Cumulative citizens reached, completions and in-person help, day by day (gaps filled), as SVG."""
    per_day: dict[dt.date, list[int]] = defaultdict(lambda: [0, 0, 0])
    for d in days:
        per_day[d.day][0] += d.reached
        per_day[d.day][1] += d.completed
        per_day[d.day][2] += d.in_person
    labels: list[str] = []
    series: list[list[int | float | None]] = [[], [], []]
    if per_day:
        first, last = min(per_day), max(per_day)
        totals = [0, 0, 0]
        day = first
        while day <= last:
            for i in range(3):
                totals[i] += per_day.get(day, [0, 0, 0])[i]
                series[i].append(totals[i])
            labels.append(day_label(day, year=first.year != last.year))
            day += dt.timedelta(days=1)
    return line_chart(title, labels, [Series(name, values) for name, values in zip(_SERIES, series, strict=True)],
                      x_title="Ngày (giờ Việt Nam)", y_title="Cộng dồn", width=CHART_SIZE[0], height=CHART_SIZE[1])
