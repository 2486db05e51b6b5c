"""Stats for the console and the API: per member, team and commune; CSV and xlsx; a progress chart.

Counts only: rows name members, teams and communes, never a citizen. The chart is a small SVG
drawn here (no chart library, no script), so it passes the console's CSP and prints well.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from openpyxl import Workbook

from api.store import Unit
from api.team import repo
from api.team.repo import VN, MemberStats, UnitView

__all__ = [
    "COLUMNS",
    "GroupRow",
    "Scope",
    "by_group",
    "day_bounds",
    "progress_svg",
    "rows_csv",
    "rows_xlsx",
    "scope_members",
    "stats_json",
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
    start = dt.datetime.combine(since, dt.time(), VN) if since else None
    end = dt.datetime.combine(until + dt.timedelta(days=1), dt.time(), VN) if until else None
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
    # A name starting with = + - @ would run as a formula in a spreadsheet: keep it text.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
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


def progress_svg(days: Sequence[repo.DayRow], *, width: int = 640, height: int = 240) -> str:
    """Cumulative citizens reached, completions and in-person help by day, as an SVG line chart."""
    per_day: dict[dt.date, list[int]] = defaultdict(lambda: [0, 0, 0])
    for d in days:
        per_day[d.day][0] += d.reached
        per_day[d.day][1] += d.completed
        per_day[d.day][2] += d.in_person
    if not per_day:
        return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
                f'aria-label="Chưa có số liệu"><text x="20" y="40">Chưa có số liệu</text></svg>')
    first, last = min(per_day), max(per_day)
    span = max(1, (last - first).days)
    totals = [0, 0, 0]
    series: list[list[tuple[dt.date, int]]] = [[], [], []]
    day = first
    while day <= last:
        for i in range(3):
            totals[i] += per_day.get(day, [0, 0, 0])[i]
            series[i].append((day, totals[i]))
        day += dt.timedelta(days=1)
    top = max(1, *totals)
    left, right, upper, lower = 40, 10, 20, 40
    pw, ph = width - left - right, height - upper - lower

    def xy(d: dt.date, v: int) -> str:
        return f"{left + pw * (d - first).days / span:.1f},{upper + ph * (1 - v / top):.1f}"

    names = ("Người tiếp cận", "Hoàn thành", "Giúp trực tiếp")
    colours = ("#1f5fbf", "#2e8b57", "#c0572b")
    parts = [
        (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
         f'aria-label="Tiến độ cộng dồn theo ngày" font-family="sans-serif" font-size="12">'),
        f'<line x1="{left}" y1="{upper + ph}" x2="{left + pw}" y2="{upper + ph}" stroke="#888"/>',
        f'<line x1="{left}" y1="{upper}" x2="{left}" y2="{upper + ph}" stroke="#888"/>',
        f'<text x="{left - 6}" y="{upper + 4}" text-anchor="end">{top}</text>',
        f'<text x="{left - 6}" y="{upper + ph}" text-anchor="end">0</text>',
        f'<text x="{left}" y="{height - 22}">{first.strftime("%d/%m")}</text>',
        f'<text x="{left + pw}" y="{height - 22}" text-anchor="end">{last.strftime("%d/%m")}</text>',
    ]
    for i in range(3):
        points = " ".join(xy(d, v) for d, v in series[i])
        parts.append(f'<polyline fill="none" stroke="{colours[i]}" stroke-width="2" points="{points}">'
                     f'<title>{escape(names[i])}: {totals[i]}</title></polyline>')
        parts.append(f'<rect x="{left + i * 190}" y="{height - 14}" width="10" height="10" fill="{colours[i]}"/>'
                     f'<text x="{left + 14 + i * 190}" y="{height - 5}">{escape(names[i])}: {totals[i]}</text>')
    parts.append("</svg>")
    return "".join(parts)
