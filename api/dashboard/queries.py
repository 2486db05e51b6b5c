"""The built-in dashboard sections: SQL GROUP BY queries that run the same on SQLite and PostgreSQL.

What is counted (traffic from ``eval`` and ``cli`` is always left out):

- **traffic**: citizens' messages (``message_log`` rows ``in``) and distinct citizens per day (Vietnam
  time) and channel (the channel of the citizen's ``users`` row);
- **channels**: the same per channel over the whole period (a citizen counts once per channel);
- **outcomes**: the bot's replies (``message_log`` rows ``out``) by what they were: answered (an FAQ
  entry, a guide step or a service), clarified («Bạn muốn hỏi về…?»), fallback, declined (off-topic),
  other (menu, greeting, hand-off);
- **top_questions**: the FAQ entries and services answered most;
- **unanswered**: the period's unanswered questions (``unanswered``, any status) grouped like the
  console's inbox (:func:`faq.grouping.group_questions`), most asked first;
- **funnel**: per guide and step, the citizens who reached the step (``flow_started``/``flow_step``
  events) and, from each citizen's last step event of that guide, where they stopped or finished;
- **completions**: per guide, citizens who answered «Bạn đã làm xong chưa?» yes (``guide_done``) or no
  (``guide_not_done``), and completions credited to team members (``completions``);
- **referrals**: per team, citizens brought by its members' links (``attributions``) and their
  credited completions;
- **handoffs**: hand-offs opened, claimed, answered by a person (a staff line), escalated, and the
  wait until a person claimed them (median and 90th percentile).

A citizen's commune is known only through attribution: the commune of the team member whose link
brought them (the same rule hand-off routing uses, :func:`api.handoff.repo.citizen_unit`). Nothing
else records where a citizen lives, so the commune filter counts only attributed citizens.
Events of citizens who deleted their data keep no user id: they count in totals of rows, not in
distinct-citizen counts.
"""

from __future__ import annotations

import datetime as dt
import math
import statistics
from collections import Counter
from collections.abc import Sequence
from typing import Any, Final

from sqlalchemy import ColumnElement, Date, cast, func, literal_column, or_, select

from api.dashboard.sections import (
    Chart,
    Col,
    Context,
    Section,
    Table,
    bars,
    pivot,
    register,
)
from api.store.models import metadata
from faq.grouping import group_questions

__all__ = [
    "COMMUNE_NOTE",
    "EXCLUDED_SOURCES",
    "FUNNEL_CHARTS",
    "OUTCOMES",
    "TOP",
    "UNANSWERED_MAX",
    "install",
    "percentile",
    "vn_day",
]

_log = metadata.tables["message_log"]
_users = metadata.tables["users"]
_ev = metadata.tables["events"]
_un = metadata.tables["unanswered"]
_h = metadata.tables["handoffs"]
_hm = metadata.tables["handoff_messages"]
_attr = metadata.tables["attributions"]
_members = metadata.tables["members"]
_units = metadata.tables["org_units"]
_done = metadata.tables["completions"]
_ann = metadata.tables["announcements"]
_deliv = metadata.tables["announce_deliveries"]

#: Sources never counted: evaluation runs and one-off CLI questions.
EXCLUDED_SOURCES: Final = ("eval", "cli")
#: Rows in the "top" tables.
TOP: Final = 10
#: Guides drawn as a funnel chart (the most opened; every guide is in the table).
FUNNEL_CHARTS: Final = 4
#: The newest unanswered rows grouped (grouping is quadratic in distinct questions).
UNANSWERED_MAX: Final = 2000
#: Outcome → (label, the match kinds it covers).
OUTCOMES: Final[dict[str, tuple[str, tuple[str, ...]]]] = {
    "answered": ("Trả lời được", ("faq", "flow", "service")),
    "clarified": ("Hỏi lại cho rõ", ("clarify",)),
    "fallback": ("Chưa hiểu", ("fallback",)),
    "declined": ("Ngoài phạm vi", ("offtopic",)),
    "other": ("Khác (menu, chào, gặp người)", ()),
}
COMMUNE_NOTE: Final = ("Xã/phường của người dân chỉ biết được khi họ đến qua liên kết của một thành viên tổ "
                       "(xã/phường của tổ đó). Khi lọc theo xã/phường, chỉ những người này được tính.")
_FLOW_EVENTS: Final = ("flow_started", "flow_step", "flow_finished")
_REASONS: Final = {"fallback": "chưa hiểu", "clarify": "hỏi lại", "feedback_no": "«Chưa đúng»",
                   "facet_missing": "thiếu chi tiết", "out_of_scope": "ngoài phạm vi"}


def vn_day(column: Any, dialect: str) -> ColumnElement[Any]:
    """The Vietnam-time day of a UTC timestamp column, as SQL for ``dialect``.

    PostgreSQL keeps ``timestamptz``: shifted to UTC, plus 7 hours, cast to ``date``. SQLite keeps
    UTC text: ``date(col, '+7 hours')`` gives ``YYYY-MM-DD``. Callers read the result with :func:`_day`.
    """
    if dialect == "postgresql":
        return cast(func.timezone("UTC", column) + literal_column("interval '7 hours'"), Date)
    return func.date(column, "+7 hours")


def _day(value: Any) -> str:
    return value.isoformat() if isinstance(value, dt.date) else str(value)


def percentile(values: Sequence[float], q: float) -> float | None:
    """The nearest-rank ``q`` percentile (0 < q ≤ 100) of ``values``; None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def _window(column: Any, ctx: Context) -> list[ColumnElement[bool]]:
    start, end = ctx.filters.window()
    out: list[ColumnElement[bool]] = []
    if start is not None:
        out.append(column >= start)
    if end is not None:
        out.append(column < end)
    return out


def _commune_units(commune: int) -> Any:
    """The commune and the teams under it (members placed at either count for it)."""
    return select(_units.c.id).where(or_(_units.c.id == commune, _units.c.parent_id == commune))


def _citizens(user_col: Any, ctx: Context) -> list[ColumnElement[bool]]:
    """Conditions keeping rows of citizens of the filtered channel and commune."""
    out: list[ColumnElement[bool]] = []
    f = ctx.filters
    if f.channel is not None:
        out.append(user_col.in_(select(_users.c.id).where(_users.c.channel == f.channel)))
    if f.commune is not None:
        attributed = (select(_attr.c.user_id)
                      .select_from(_attr.join(_members, _members.c.id == _attr.c.member_id))
                      .where(_members.c.unit_id.in_(_commune_units(f.commune)), _attr.c.user_id.is_not(None)))
        out.append(user_col.in_(attributed))
    return out


def _note(ctx: Context, extra: str = "") -> str:
    parts = [extra] if extra else []
    if ctx.filters.commune is not None:
        parts.append(COMMUNE_NOTE)
    return " ".join(parts)


# -- traffic ----------------------------------------------------------------------------------------


def _traffic_where(ctx: Context) -> list[ColumnElement[bool]]:
    return [_log.c.direction == "in", _log.c.source.not_in(EXCLUDED_SOURCES), *_window(_log.c.created_at, ctx),
            *_citizens(_log.c.user_id, ctx)]


def _traffic_rows(ctx: Context) -> list[tuple[str, str, int, int]]:
    """(day, channel, messages, distinct citizens): one scan shared by ``traffic`` and ``channels``."""
    def scan() -> list[tuple[str, str, int, int]]:
        day = vn_day(_log.c.created_at, ctx.dialect).label("day")
        q = (select(day, _users.c.channel, func.count(), func.count(func.distinct(_log.c.user_id)))
             .select_from(_log.join(_users, _users.c.id == _log.c.user_id))
             .where(*_traffic_where(ctx))
             .group_by(day, _users.c.channel).order_by(day, _users.c.channel))
        return [(_day(r[0]), str(r[1]), int(r[2]), int(r[3])) for r in ctx.unit.connection.execute(q)]

    found: list[tuple[str, str, int, int]] = ctx.once("traffic", scan)
    return found


def traffic(ctx: Context) -> Table:
    """Messages and distinct citizens per day and channel."""
    return Table((Col("day", "Ngày", "day"), Col("channel", "Kênh"), Col("messages", "Tin nhắn"),
                  Col("citizens", "Người dân")), list(_traffic_rows(ctx)), _note(ctx))


def channels(ctx: Context) -> Table:
    """Messages and distinct citizens per channel over the period, and the total.

    Messages add up from the per-day rows. Citizens: the distinct writers of the period (read from
    the covering index) joined to their channel, so the join runs once per citizen rather than once
    per message. A citizen has one channel (users are keyed by channel), so the total is the sum.
    """
    messages: Counter[str] = Counter()
    for _, channel, n, _ in _traffic_rows(ctx):
        messages[channel] += n
    writers = select(_log.c.user_id).where(*_traffic_where(ctx)).distinct().subquery()
    q = (select(_users.c.channel, func.count())
         .select_from(writers.join(_users, _users.c.id == writers.c.user_id)).group_by(_users.c.channel))
    people = {str(c): int(n) for c, n in ctx.unit.connection.execute(q)}
    rows: list[tuple[Any, ...]] = [(c, messages[c], people.get(c, 0)) for c in sorted(set(messages) | set(people))]
    rows.append(("Tổng", sum(messages.values()), sum(people.values())))
    return Table((Col("channel", "Kênh"), Col("messages", "Tin nhắn"), Col("citizens", "Người dân")), rows,
                 _note(ctx))


# -- outcomes and questions -------------------------------------------------------------------------


def _replies_where(ctx: Context) -> list[ColumnElement[bool]]:
    return [_log.c.direction == "out", _log.c.source.not_in(EXCLUDED_SOURCES), _log.c.user_id.is_not(None),
            *_window(_log.c.created_at, ctx), *_citizens(_log.c.user_id, ctx)]


def outcome_of(kind: str | None) -> str:
    """The outcome a reply's match kind counts as."""
    for key, (_, kinds) in OUTCOMES.items():
        if kind in kinds:
            return key
    return "other"


def _replies(ctx: Context) -> list[tuple[str | None, str | None, int]]:
    """(match kind, match id, replies) of the period: one scan shared by outcomes and top questions."""
    def scan() -> list[tuple[str | None, str | None, int]]:
        q = (select(_log.c.match_kind, _log.c.match_id, func.count()).where(*_replies_where(ctx))
             .group_by(_log.c.match_kind, _log.c.match_id))
        return [(k, i, int(n)) for k, i, n in ctx.unit.connection.execute(q)]

    found: list[tuple[str | None, str | None, int]] = ctx.once("replies", scan)
    return found


def outcomes(ctx: Context) -> Table:
    """The bot's replies by outcome, with each outcome's share in percent (one decimal)."""
    counts: Counter[str] = Counter()
    for kind, _, n in _replies(ctx):
        counts[outcome_of(kind)] += n
    total = sum(counts.values())
    rows: list[tuple[Any, ...]] = [
        (key, label, counts[key], round(100 * counts[key] / total, 1) if total else 0.0)
        for key, (label, _) in OUTCOMES.items()
    ]
    return Table((Col("outcome", "Mã kết quả", "hidden"), Col("label", "Kết quả"), Col("replies", "Số câu trả lời"),
                  Col("share", "Tỉ lệ (%)")), rows, _note(ctx))


def top_questions(ctx: Context) -> Table:
    """The FAQ entries and services answered most."""
    answered = sorted(((k, i, n) for k, i, n in _replies(ctx) if k in ("faq", "service") and i),
                      key=lambda r: (-r[2], r[0], r[1]))[:TOP]
    rows = [(str(k), str(i), ctx.content.title_of(f"{k}:{i}") or str(i), n) for k, i, n in answered]
    return Table((Col("kind", "Loại"), Col("id", "Mã"), Col("title", "Câu hỏi"), Col("answered", "Số lần")),
                 rows, _note(ctx))


def unanswered(ctx: Context) -> Table:
    """The period's unanswered questions grouped by similarity, most asked first."""
    q = (select(_un.c.id, _un.c.question, _un.c.reason, _un.c.status)
         .where(_un.c.source.not_in(EXCLUDED_SOURCES), _un.c.question.is_not(None),
                *_window(_un.c.created_at, ctx), *_citizens(_un.c.user_id, ctx))
         .order_by(_un.c.created_at.desc(), _un.c.id.desc()).limit(UNANSWERED_MAX))
    found = list(reversed(ctx.unit.connection.execute(q).all()))
    texts = [(r.question or "").strip() for r in found]
    groups = []
    for members in group_questions(texts):
        picked = [found[i] for i in members if texts[i]]
        if not picked:
            continue
        wording = Counter(texts[i] for i in members if texts[i])
        reasons = Counter(r.reason for r in picked)
        groups.append((wording.most_common(1)[0][0], len(picked), sum(r.status == "open" for r in picked),
                       ", ".join(f"{_REASONS.get(k, k)} {v}" for k, v in sorted(reasons.items())),
                       min(r.id for r in picked)))
    groups.sort(key=lambda g: (-g[1], g[4]))
    rows = [g[:4] for g in groups[:TOP]]
    note = "Nhóm câu hỏi giống nhau như trong «Câu chưa trả lời»; tính cả câu đã xử lý trong khoảng ngày."
    return Table((Col("question", "Câu hỏi"), Col("asked", "Số lần hỏi"), Col("open", "Còn mở"),
                  Col("reasons", "Lý do")), rows, _note(ctx, note))


# -- guides -----------------------------------------------------------------------------------------


def _flow_order(ctx: Context, flow_id: str, seen: Sequence[str]) -> list[str]:
    flow = ctx.content.flows.get(flow_id)
    known = [s.id for s in flow.steps] if flow is not None else []
    return known + sorted(s for s in seen if s not in known)


def funnel(ctx: Context) -> Table:
    """Per guide and step: citizens who reached it, stopped there, or finished the guide there."""
    # One GROUP BY over the guides' step events (the JSON is read once): each citizen's visits of
    # each step, with the last event id; "reached" and "where they stopped" are folded from it.
    flow = _ev.c.data["flow"].as_string()
    step = _ev.c.data["step"].as_string()
    q = (select(_ev.c.user_id, flow, step, _ev.c.name, func.max(_ev.c.id))
         .where(_ev.c.name.in_(_FLOW_EVENTS), _ev.c.source.not_in(EXCLUDED_SOURCES), _ev.c.user_id.is_not(None),
                *_window(_ev.c.created_at, ctx), *_citizens(_ev.c.user_id, ctx))
         .group_by(_ev.c.user_id, flow, step, _ev.c.name))
    visitors: dict[tuple[str, str], set[int]] = {}
    last: dict[tuple[int, str], tuple[int, str, str]] = {}
    for user, f, s, name, top in ctx.unit.connection.execute(q):
        f, s = str(f), str(s)
        if name != "flow_finished":
            visitors.setdefault((f, s), set()).add(int(user))
        if (user, f) not in last or top > last[(user, f)][0]:
            last[(user, f)] = (int(top), s, str(name))
    reached = {k: len(v) for k, v in visitors.items()}
    ended: dict[tuple[str, str], list[int]] = {}
    for (_, f), (_, s, name) in last.items():
        ended.setdefault((f, s), [0, 0])[1 if name == "flow_finished" else 0] += 1
    flows = sorted({f for f, _ in reached} | {f for f, _ in ended},
                   key=lambda f: (-reached.get((f, _first_step(ctx, f)), 0), f))
    rows: list[tuple[Any, ...]] = []
    for f in flows:
        steps = _flow_order(ctx, f, [s for g, s in {*reached, *ended} if g == f])
        title = ctx.content.title_of(f"flow:{f}") or f
        for n, s in enumerate(steps, start=1):
            r, (left, done) = reached.get((f, s), 0), ended.get((f, s), [0, 0])
            if r or left or done or ctx.content.flows.get(f) is not None:
                rows.append((f, title, n, s, r, left, done))
    note = ("«Dừng ở đây»: bước cuối cùng người dân mở của hướng dẫn này mà chưa xong "
            f"(có thể họ đang làm dở). Biểu đồ cho {FUNNEL_CHARTS} hướng dẫn được mở nhiều nhất.")
    return Table((Col("flow", "Mã hướng dẫn", "hidden"), Col("guide", "Hướng dẫn"), Col("n", "Bước"), Col("step", "Mã bước"),
                  Col("reached", "Đến bước này"), Col("left", "Dừng ở đây"), Col("finished", "Xong ở đây")),
                 rows, _note(ctx, note))


def _first_step(ctx: Context, flow_id: str) -> str:
    flow = ctx.content.flows.get(flow_id)
    return flow.steps[0].id if flow is not None else ""


def funnel_charts(table: Table) -> list[Chart]:
    """A chart per guide (the :data:`FUNNEL_CHARTS` most opened): reached and stopped per step.

    Steps no citizen reached are left out of the chart (branches not taken); the table has them all.
    """
    fi, gi, ni, ri, li = (table.index(k) for k in ("flow", "guide", "n", "reached", "left"))
    out: list[Chart] = []
    for f in dict.fromkeys(r[fi] for r in table.rows):
        rows = [r for r in table.rows if r[fi] == f and (r[ri] or r[li])]
        if not rows or len(out) >= FUNNEL_CHARTS:
            continue
        out.append(Chart(str(rows[0][gi]), "hbar", [f"Bước {r[ni]}" for r in rows],
                         [("Đến bước này", [float(r[ri] or 0) for r in rows]),
                          ("Dừng ở đây", [float(r[li] or 0) for r in rows])]))
    return out


def completions(ctx: Context) -> Table:
    """Per guide: citizens who said they finished it or not, and completions credited to members."""
    flow = _ev.c.data["flow"].as_string()
    c = ctx.unit.connection
    said: dict[tuple[str, str], int] = {(str(f), str(name)): int(n) for f, name, n in c.execute(
        select(flow, _ev.c.name, func.count(func.distinct(_ev.c.user_id)))
        .where(_ev.c.name.in_(("guide_done", "guide_not_done")), _ev.c.source.not_in(EXCLUDED_SOURCES),
               _ev.c.user_id.is_not(None), *_window(_ev.c.created_at, ctx), *_citizens(_ev.c.user_id, ctx))
        .group_by(flow, _ev.c.name))}
    credited = {str(f): int(n) for f, n in c.execute(
        select(_done.c.flow, func.count()).where(*_window(_done.c.at, ctx), *_team_citizens(_done.c.user_id, ctx),
                                                 *_commune_members(_done.c.member_id, ctx))
        .group_by(_done.c.flow))}
    flows = sorted({f for f, _ in said} | set(credited))
    rows = [(f, ctx.content.title_of(f"flow:{f}") or f, said.get((f, "guide_done"), 0),
             said.get((f, "guide_not_done"), 0), credited.get(f, 0)) for f in flows]
    rows.sort(key=lambda r: (-int(r[2]), r[0]))
    note = "«Được ghi cho tổ»: người dân đến qua liên kết của thành viên tổ và trả lời đã làm xong."
    return Table((Col("flow", "Mã hướng dẫn"), Col("guide", "Hướng dẫn"), Col("done", "Đã làm xong"),
                  Col("not_done", "Chưa xong"), Col("credited", "Được ghi cho tổ")), rows, _note(ctx, note))


def _team_citizens(user_col: Any, ctx: Context) -> list[ColumnElement[bool]]:
    """The channel filter on a team table's citizen (the commune is the member's, see below)."""
    if ctx.filters.channel is None:
        return []
    return [user_col.in_(select(_users.c.id).where(_users.c.channel == ctx.filters.channel))]


def _commune_members(member_col: Any, ctx: Context) -> list[ColumnElement[bool]]:
    if ctx.filters.commune is None:
        return []
    return [member_col.in_(select(_members.c.id).where(_members.c.unit_id.in_(_commune_units(ctx.filters.commune))))]


def referrals(ctx: Context) -> Table:
    """Per team (the member's unit): citizens its members' links brought, and their credited completions."""
    c = ctx.unit.connection
    reached: dict[int, int] = dict(c.execute(
        select(_members.c.unit_id, func.count())
        .select_from(_attr.join(_members, _members.c.id == _attr.c.member_id))
        .where(*_window(_attr.c.at, ctx), *_team_citizens(_attr.c.user_id, ctx),
               *_commune_members(_attr.c.member_id, ctx))
        .group_by(_members.c.unit_id)).all())
    done: dict[int, int] = dict(c.execute(
        select(_members.c.unit_id, func.count())
        .select_from(_done.join(_members, _members.c.id == _done.c.member_id))
        .where(*_window(_done.c.at, ctx), *_team_citizens(_done.c.user_id, ctx),
               *_commune_members(_done.c.member_id, ctx))
        .group_by(_members.c.unit_id)).all())
    ids = set(reached) | set(done)
    units = {r.id: r for r in c.execute(select(_units).where(_units.c.id.in_(ids)))} if ids else {}
    parents = {u.parent_id for u in units.values() if u.parent_id is not None}
    names = {r.id: r.name for r in c.execute(select(_units.c.id, _units.c.name).where(_units.c.id.in_(parents)))}
    rows: list[tuple[Any, ...]] = []
    for uid in ids:
        u = units.get(uid)
        team = str(u.name) if u is not None else str(uid)
        commune = (str(u.name) if u is not None and u.level == "commune"
                   else str(names.get(u.parent_id, "")) if u is not None else "")
        rows.append((team, commune, int(reached.get(uid, 0)), int(done.get(uid, 0))))
    rows.sort(key=lambda r: (-r[2], -r[3], r[0]))
    return Table((Col("team", "Tổ"), Col("commune", "Xã/phường"), Col("reached", "Người đến qua liên kết"),
                  Col("completions", "Hoàn thành")), rows)


# -- hand-offs --------------------------------------------------------------------------------------


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def handoffs(ctx: Context) -> Table:
    """Hand-offs opened in the period: how many were claimed, answered, escalated, and the wait to claim."""
    first_reply = (select(_hm.c.handoff_id, func.min(_hm.c.created_at).label("at"))
                   .where(_hm.c.author == "staff").group_by(_hm.c.handoff_id).subquery())
    q = (select(_h.c.status, _h.c.created_at, _h.c.claimed_at, _h.c.escalated_at, first_reply.c.at)
         .select_from(_h.outerjoin(first_reply, first_reply.c.handoff_id == _h.c.id))
         .where(*_window(_h.c.created_at, ctx), *_citizens(_h.c.user_id, ctx)))
    found = ctx.unit.connection.execute(q).all()
    waits = [(_aware(r.claimed_at) - _aware(r.created_at)).total_seconds() / 60 for r in found
             if r.claimed_at is not None]
    opened = len(found)
    answered = sum(r.at is not None for r in found)
    median = round(statistics.median(waits), 1) if waits else None
    p90 = percentile(waits, 90)
    rows: list[tuple[Any, ...]] = [
        ("opened", "Yêu cầu gặp người", opened),
        ("waiting", "Đang chờ", sum(r.status in ("open", "escalated") for r in found)),
        ("claimed", "Đã có người nhận", len(waits)),
        ("answered", "Đã được trả lời", answered),
        ("escalated", "Chuyển lên tỉnh", sum(r.escalated_at is not None for r in found)),
        ("answered_share", "Tỉ lệ được trả lời (%)", round(100 * answered / opened, 1) if opened else None),
        ("wait_median_min", "Chờ đến khi có người nhận, trung vị (phút)", median),
        ("wait_p90_min", "Chờ đến khi có người nhận, 90% trong vòng (phút)",
         round(p90, 1) if p90 is not None else None),
    ]
    return Table((Col("metric", "Chỉ số", "hidden"), Col("label", "Chỉ số"), Col("value", "Giá trị")), rows, _note(ctx))


# -- announcement delivery --------------------------------------------------------------------------

#: Delivery statuses as the page names them (``pending``, ``sending`` and ``inflight`` are shown together as
#: «Đang chờ gửi»; ``unconfirmed``: the sender stopped while the request was under way, the platform may or
#: may not have it, and it is not sent again).
_DELIVERY_COLS: Final = (("sent", "Đã gửi"), ("unconfirmed", "Chưa xác nhận"), ("failed", "Lỗi"),
                         ("blocked", "Đã chặn bot"), ("left", "Đã rời"), ("skipped", "Đã dừng nhận"),
                         ("waiting", "Đang chờ gửi"))


def deliveries(ctx: Context) -> Table:
    """Each announcement's recipients by delivery status, counted on the day of the outcome."""
    when = func.coalesce(_deliv.c.sent_at, _deliv.c.updated_at)
    q = (select(_deliv.c.announcement_id, _ann.c.title, _deliv.c.status, func.count().label("n"))
         .select_from(_deliv.join(_ann, _ann.c.id == _deliv.c.announcement_id))
         .where(*_window(when, ctx), *_citizens(_deliv.c.user_id, ctx))
         .group_by(_deliv.c.announcement_id, _ann.c.title, _deliv.c.status))
    per: dict[int, dict[str, Any]] = {}
    for announcement_id, title, status, n in ctx.unit.connection.execute(q):
        row = per.setdefault(int(announcement_id), {"title": title, **{k: 0 for k, _ in _DELIVERY_COLS}})
        key = "waiting" if status in ("pending", "sending", "inflight") else status
        if key in row:
            row[key] += int(n)
    rows = [(aid, r["title"], *(r[k] for k, _ in _DELIVERY_COLS)) for aid, r in sorted(per.items())]
    cols = (Col("id", "Mã", "hidden"), Col("title", "Thông báo"), *(Col(k, label) for k, label in _DELIVERY_COLS))
    return Table(cols, rows, _note(ctx))


def install() -> None:
    """Register the built-in sections (idempotent)."""
    register(Section("channels", "Theo kênh", channels, (bars(x="channel", series=("messages", "citizens")),),
                     order=10))
    register(Section("traffic", "Tin nhắn và người dân theo ngày", traffic,
                     (pivot(x="day", split="channel", value="messages", title="Tin nhắn theo ngày"),
                      pivot(x="day", split="channel", value="citizens", title="Người dân theo ngày")), order=20))
    register(Section("outcomes", "Kết quả trả lời", outcomes, (bars(x="label", series=("replies",), kind="hbar"),),
                     order=30))
    register(Section("top_questions", "Câu hỏi được hỏi nhiều", top_questions,
                     (bars(x="title", series=("answered",), kind="hbar"),), order=40))
    register(Section("unanswered", "Nhóm câu chưa trả lời được", unanswered,
                     (bars(x="question", series=("asked",), kind="hbar"),), order=50))
    register(Section("funnel", "Hướng dẫn: người dân đi đến đâu", funnel, (funnel_charts,), order=60))
    register(Section("completions", "Hoàn thành hướng dẫn", completions,
                     (bars(x="guide", series=("done", "not_done", "credited")),), order=70))
    register(Section("referrals", "Người dân đến qua liên kết của tổ", referrals,
                     (bars(x="team", series=("reached", "completions")),), order=80))
    register(Section("handoffs", "Gặp người hỗ trợ", handoffs,
                     (bars(x="label", series=("value",), kind="hbar",
                           where=None, limit=5),), order=90))
    register(Section("deliveries", "Gửi thông báo", deliveries,
                     (bars(x="title", series=("sent", "unconfirmed", "failed", "blocked", "left"), kind="stacked"),),
                     order=95))
