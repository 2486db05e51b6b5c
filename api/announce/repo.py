"""Announcement tables: subscriptions, announcements, deliveries (on the caller's :class:`api.store.Unit`).

The delivery rows are the truth about a broadcast, whichever runner sends it: a recipient is listed
once (unique per announcement and user), claimed under a lease (``sending``), marked ``inflight`` in
a committed transaction right before its request goes out, and marked with the outcome right after
it. A claim is one ``UPDATE … RETURNING`` over rows picked with ``FOR UPDATE SKIP LOCKED`` on
PostgreSQL (one writer at a time on SQLite), so two workers never hold the same row. When a lease
ends (its worker died), a ``sending`` row was never tried and is claimed again (at least once); an
``inflight`` row may have reached the platform, so it becomes ``unconfirmed`` and is never sent
again (at most once).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, func, insert, literal, or_, select, update
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.dialects import sqlite as sqlite_dialect

from api.store import Unit
from api.store.models import metadata

__all__ = [
    "ACTIVE",
    "DELIVERY_STATUSES",
    "FINAL",
    "OPEN",
    "AnnouncementView",
    "Claimed",
    "Outcome",
    "SubscriptionView",
    "claim",
    "create",
    "due_announcements",
    "finish_if_done",
    "get",
    "list_announcements",
    "list_recipients",
    "next_due",
    "pending_state",
    "progress",
    "record",
    "renew",
    "set_status",
    "start",
    "subscribers_count",
    "subscription",
    "update_announcement",
    "upsert_subscription",
    "web_messages",
]

_s = metadata.tables["announce_subscriptions"]
_a = metadata.tables["announcements"]
_d = metadata.tables["announce_deliveries"]

ACTIVE = "active"
#: Every status a delivery row can have, in the order the console shows them.
DELIVERY_STATUSES = ("pending", "sending", "inflight", "sent", "unconfirmed", "failed", "blocked", "left", "skipped")
#: Statuses a delivery row never leaves (an ``unconfirmed`` row becomes ``sent`` if its own sender
#: still hears the platform's ok; it is never sent again).
FINAL = ("sent", "unconfirmed", "failed", "blocked", "left", "skipped")
#: Rows not final yet: waiting, claimed (``sending``), or with a request under way (``inflight``).
OPEN = ("pending", "sending", "inflight")


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    if value is None:
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


# -- subscriptions ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SubscriptionView:
    """A citizen's answer to the offer."""

    user_id: int
    channel: str
    chat_id: str | None
    commune_code: int | None
    province_code: int | None
    status: str


def subscription(unit: Unit, user_id: int) -> SubscriptionView | None:
    """The citizen's subscription row (asked, declined, active, stopped, blocked, left), if any."""
    row = unit.connection.execute(select(_s).where(_s.c.user_id == user_id)).first()
    if row is None:
        return None
    return SubscriptionView(row.user_id, row.channel, row.chat_id, row.commune_code, row.province_code, row.status)


def upsert_subscription(unit: Unit, *, user_id: int, channel: str, chat_id: str | None,
                        context: Mapping[str, Any] | None, status: str, now: dt.datetime,
                        commune_code: int | None = None, province_code: int | None = None) -> None:
    """Create or update the citizen's row (a given commune replaces the stored one)."""
    values: dict[str, Any] = {"channel": channel, "chat_id": chat_id, "context": dict(context) if context else None,
                              "status": status, "updated_at": now}
    if commune_code is not None:
        values.update(commune_code=commune_code, province_code=province_code)
    changed = unit.connection.execute(update(_s).where(_s.c.user_id == user_id).values(**values)).rowcount
    if not changed:
        unit.connection.execute(insert(_s).values(user_id=user_id, asked_at=now, commune_code=commune_code,
                                                  province_code=province_code,
                                                  **{k: v for k, v in values.items()
                                                     if k not in ("commune_code", "province_code")}))


def subscribers_count(unit: Unit, communes: Sequence[int] = ()) -> int:
    """How many citizens an announcement to ``communes`` (empty: everyone) would reach now."""
    q = select(func.count()).select_from(_s).where(_s.c.status == ACTIVE)
    if communes:
        q = q.where(_s.c.commune_code.in_(list(communes)))
    return int(unit.connection.execute(q).scalar_one())


# -- announcements ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AnnouncementView:
    """One announcement as the console and the senders see it."""

    id: int
    title: str
    text: str
    image_url: str | None
    buttons: tuple[tuple[str, str], ...]
    communes: tuple[int, ...]
    status: str
    send_at: dt.datetime | None
    created_by: str
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None

    def as_dict(self) -> dict[str, Any]:
        """JSON shape of the admin API."""
        def iso(v: dt.datetime | None) -> str | None:
            return v.isoformat() if v is not None else None

        return {"id": self.id, "title": self.title, "text": self.text, "image_url": self.image_url,
                "buttons": [{"label": label, "payload": payload} for label, payload in self.buttons],
                "communes": list(self.communes), "status": self.status, "send_at": iso(self.send_at),
                "created_by": self.created_by, "created_at": iso(self.created_at),
                "started_at": iso(self.started_at), "finished_at": iso(self.finished_at)}


def _announcement(row: Any) -> AnnouncementView:
    created = _aware(row.created_at)
    assert created is not None
    return AnnouncementView(row.id, row.title, row.text, row.image_url,
                            tuple((str(b["label"]), str(b["payload"])) for b in row.buttons or ()),
                            tuple(int(c) for c in row.communes or ()), row.status, _aware(row.send_at),
                            row.created_by, created, _aware(row.started_at), _aware(row.finished_at))


def create(unit: Unit, *, title: str, text: str, image_url: str | None, buttons: Sequence[tuple[str, str]],
           communes: Sequence[int], by: str, now: dt.datetime) -> int:
    """A new draft; its id."""
    result = unit.connection.execute(insert(_a).values(
        title=title, text=text, image_url=image_url, buttons=[{"label": lb, "payload": p} for lb, p in buttons],
        communes=sorted(set(communes)), status="draft", created_by=by[:64], created_at=now,
        updated_at=now).returning(_a.c.id))
    return int(result.scalar_one())


def update_announcement(unit: Unit, announcement_id: int, *, title: str, text: str, image_url: str | None,
                        buttons: Sequence[tuple[str, str]], communes: Sequence[int], now: dt.datetime) -> bool:
    """Change a draft (False when it is no longer a draft)."""
    result = unit.connection.execute(update(_a).where(_a.c.id == announcement_id, _a.c.status == "draft").values(
        title=title, text=text, image_url=image_url, buttons=[{"label": lb, "payload": p} for lb, p in buttons],
        communes=sorted(set(communes)), updated_at=now))
    return bool(result.rowcount == 1)


def get(unit: Unit, announcement_id: int) -> AnnouncementView | None:
    """One announcement by id."""
    row = unit.connection.execute(select(_a).where(_a.c.id == announcement_id)).first()
    return _announcement(row) if row is not None else None


def list_announcements(unit: Unit, *, limit: int = 100) -> list[AnnouncementView]:
    """Newest first."""
    return [_announcement(r) for r in unit.connection.execute(select(_a).order_by(_a.c.id.desc()).limit(limit))]


def set_status(unit: Unit, announcement_id: int, *, allowed: Sequence[str], now: dt.datetime, status: str,
               send_at: dt.datetime | None = None) -> bool:
    """Move an announcement on (only from an ``allowed`` status); False when it was not there."""
    values: dict[str, Any] = {"status": status, "updated_at": now}
    if send_at is not None:
        values["send_at"] = send_at
    if status == "sending":
        values["started_at"] = now
    if status in ("done", "cancelled"):
        values["finished_at"] = now
    result = unit.connection.execute(
        update(_a).where(_a.c.id == announcement_id, _a.c.status.in_(list(allowed))).values(**values))
    return bool(result.rowcount == 1)


def due_announcements(unit: Unit, *, now: dt.datetime) -> list[int]:
    """Announcements to run now: scheduled and due, or sending (a restart resumes them)."""
    q = select(_a.c.id).where(or_(and_(_a.c.status == "scheduled", _a.c.send_at <= now),
                                  _a.c.status == "sending")).order_by(_a.c.send_at, _a.c.id)
    return [int(r) for r in unit.connection.execute(q).scalars()]


def next_due(unit: Unit) -> dt.datetime | None:
    """When the earliest scheduled announcement is due."""
    value = unit.connection.execute(select(func.min(_a.c.send_at)).where(_a.c.status == "scheduled")).scalar()
    return _aware(value)


# -- deliveries -------------------------------------------------------------------------------------


def list_recipients(unit: Unit, announcement: AnnouncementView, *, now: dt.datetime) -> int:
    """Add a delivery row for every active subscriber targeted (idempotent); how many were added."""
    source = select(literal(announcement.id), _s.c.user_id, _s.c.channel, _s.c.chat_id, _s.c.context,
                    literal("pending"), literal(0), literal(now, _d.c.next_attempt_at.type),
                    literal(now, _d.c.updated_at.type)).where(_s.c.status == ACTIVE)
    if announcement.communes:
        source = source.where(_s.c.commune_code.in_(list(announcement.communes)))
    columns = ["announcement_id", "user_id", "channel", "chat_id", "context", "status", "attempts",
               "next_attempt_at", "updated_at"]
    stmt: Any
    if unit.connection.dialect.name == "postgresql":
        stmt = pg.insert(_d).from_select(columns, source).on_conflict_do_nothing()
    else:
        stmt = sqlite_dialect.insert(_d).from_select(columns, source).on_conflict_do_nothing()
    return int(unit.connection.execute(stmt).rowcount or 0)


@dataclass(frozen=True, slots=True)
class Claimed:
    """A delivery row claimed for one send."""

    id: int
    user_id: int
    channel: str
    chat_id: str | None
    context: dict[str, Any] | None
    attempts: int


def claim(unit: Unit, announcement_id: int, *, limit: int, now: dt.datetime, lease_s: float) -> list[Claimed]:
    """Lease up to ``limit`` due rows (pending and due, or sending with an ended lease), oldest first.

    First, rows left ``inflight`` whose lease ended become ``unconfirmed`` (their request may have
    reached the platform: they are not sent again).

    Rows whose citizen stopped, blocked the bot or left since the listing are marked ``skipped``
    here and not returned.
    """
    unit.connection.execute(update(_d).where(
        _d.c.announcement_id == announcement_id, _d.c.status == "inflight", _d.c.lease_until <= now)
        .values(status="unconfirmed", lease_until=None, updated_at=now,
                last_error="no outcome recorded: the sender stopped while its request was under way"))
    due = or_(and_(_d.c.status == "pending", _d.c.next_attempt_at <= now),
              and_(_d.c.status == "sending", _d.c.lease_until <= now))
    pick = select(_d.c.id).where(_d.c.announcement_id == announcement_id, due).order_by(_d.c.id).limit(limit)
    if unit.connection.dialect.name == "postgresql":
        pick = pick.with_for_update(skip_locked=True)
    ids = [int(i) for i in unit.connection.execute(pick).scalars()]
    if not ids:
        return []
    gone = [int(i) for i in unit.connection.execute(
        select(_d.c.id).select_from(_d.outerjoin(_s, _s.c.user_id == _d.c.user_id))
        .where(_d.c.id.in_(ids), or_(_s.c.status.is_(None), _s.c.status != ACTIVE))).scalars()]
    if gone:
        unit.connection.execute(update(_d).where(_d.c.id.in_(gone)).values(status="skipped", updated_at=now,
                                                                           lease_until=None))
        ids = [i for i in ids if i not in set(gone)]
    if not ids:
        return []
    rows = unit.connection.execute(
        update(_d).where(_d.c.id.in_(ids)).values(
            status="sending", attempts=_d.c.attempts + 1, lease_until=now + dt.timedelta(seconds=lease_s),
            updated_at=now)
        .returning(_d.c.id, _d.c.user_id, _d.c.channel, _d.c.chat_id, _d.c.context, _d.c.attempts))
    return sorted((Claimed(r.id, r.user_id, r.channel, r.chat_id, r.context, r.attempts) for r in rows),
                  key=lambda c: c.id)


def start(unit: Unit, ids: Sequence[int], *, now: dt.datetime) -> set[int]:
    """Mark claimed rows ``inflight`` (their requests go out once this commits); the ids marked.

    A row already ``inflight`` counts as marked (a commit whose answer was lost, tried again).
    """
    if not ids:
        return set()
    rows = unit.connection.execute(update(_d).where(_d.c.id.in_(list(ids)), _d.c.status.in_(("sending", "inflight")))
                                   .values(status="inflight", updated_at=now).returning(_d.c.id))
    return {int(i) for i in rows.scalars()}


def renew(unit: Unit, ids: Sequence[int], *, until: dt.datetime) -> None:
    """Extend the lease of rows still being sent."""
    if ids:
        unit.connection.execute(update(_d).where(_d.c.id.in_(list(ids)), _d.c.status.in_(("sending", "inflight")))
                                .values(lease_until=until))


@dataclass(frozen=True, slots=True)
class Outcome:
    """What happened to one claimed row: a final status, or ``pending`` again at ``retry_at``."""

    id: int
    user_id: int
    status: str
    error: str = ""
    retry_at: dt.datetime | None = None
    #: True when the wait was imposed by the platform (429): it does not count as an attempt.
    refund: bool = False


def record(unit: Unit, outcomes: Sequence[Outcome], *, now: dt.datetime) -> None:
    """Write outcomes; a blocked or left citizen's subscription is marked too (skipped from then on).

    Only rows still claimed (``sending``, ``inflight``) change, except that a platform's ok also turns
    an ``unconfirmed`` row (its lease ended while the answer was on the way) into ``sent``.
    """
    sent = [o.id for o in outcomes if o.status == "sent"]
    if sent:
        unit.connection.execute(update(_d).where(
            _d.c.id.in_(sent), _d.c.status.in_(("sending", "inflight", "unconfirmed"))).values(
            status="sent", sent_at=now, lease_until=None, last_error=None, updated_at=now))
    for o in outcomes:
        if o.status == "sent":
            continue
        values: dict[str, Any] = {"status": o.status, "last_error": o.error[:500] or None, "updated_at": now,
                                  "lease_until": None}
        if o.status == "pending":
            values["next_attempt_at"] = o.retry_at or now
            if o.refund:
                values["attempts"] = _d.c.attempts - 1
        unit.connection.execute(update(_d).where(_d.c.id == o.id, _d.c.status.in_(("sending", "inflight")))
                                .values(**values))
        if o.status in ("blocked", "left"):
            unit.connection.execute(update(_s).where(_s.c.user_id == o.user_id).values(status=o.status,
                                                                                      updated_at=now))


def progress(unit: Unit, announcement_id: int) -> dict[str, int]:
    """Delivery rows per status (every status present, zero when none)."""
    counts = dict.fromkeys(DELIVERY_STATUSES, 0)
    rows = unit.connection.execute(select(_d.c.status, func.count()).where(_d.c.announcement_id == announcement_id)
                                   .group_by(_d.c.status))
    for status, count in rows:
        counts[str(status)] = int(count)
    counts["total"] = sum(counts[s] for s in DELIVERY_STATUSES)
    return counts


def pending_state(unit: Unit, announcement_id: int, *, now: dt.datetime) -> tuple[int, dt.datetime | None]:
    """How many rows are not final yet, and when the earliest of them may be claimed."""
    open_rows = unit.connection.execute(
        select(func.count(), func.min(func.coalesce(_d.c.lease_until, _d.c.next_attempt_at)))
        .where(_d.c.announcement_id == announcement_id, _d.c.status.in_(OPEN))).one()
    return int(open_rows[0]), _aware(open_rows[1])


def finish_if_done(unit: Unit, announcement_id: int, *, now: dt.datetime) -> bool:
    """Mark a sending announcement done when no row is left to send; True when it is done."""
    left, _ = pending_state(unit, announcement_id, now=now)
    if left:
        return False
    set_status(unit, announcement_id, allowed=("sending",), status="done", now=now)
    return True


def web_messages(unit: Unit, *, user_id: int, after: int, limit: int = 20) -> list[tuple[int, int, dt.datetime]]:
    """(delivery id, announcement id, sent at) of announcements sent to a web chat user after ``after``."""
    rows = unit.connection.execute(
        select(_d.c.id, _d.c.announcement_id, _d.c.sent_at)
        .where(_d.c.user_id == user_id, _d.c.status == "sent", _d.c.id > after).order_by(_d.c.id).limit(limit))
    return [(int(r.id), int(r.announcement_id), _aware(r.sent_at) or dt.datetime.now(dt.UTC)) for r in rows]
