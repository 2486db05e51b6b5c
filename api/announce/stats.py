"""Announcement delivery counts for the dashboard: per announcement and per day (Vietnam time), by status.

A delivery row counts on the day of its last change (``sent_at`` for sent rows), so "sent on 01/12"
means the platform accepted it that day. Rows of citizens who asked for their data to be deleted are
gone with them (and so are their counts).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import select

from api.announce.repo import DELIVERY_STATUSES
from api.store import Store
from api.store.models import metadata

__all__ = [
    "VN",
    "DeliveryStats",
    "delivery_stats",
]

VN = dt.timezone(dt.timedelta(hours=7), "ICT")
_d = metadata.tables["announce_deliveries"]
_a = metadata.tables["announcements"]


@dataclass(frozen=True, slots=True)
class DeliveryStats:
    """Counts by status: ``by_announcement[id][status]``, ``by_day[date][status]``, and the titles."""

    by_announcement: dict[int, dict[str, int]] = field(default_factory=dict)
    by_day: dict[dt.date, dict[str, int]] = field(default_factory=dict)
    titles: dict[int, str] = field(default_factory=dict)


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def delivery_stats(store: Store, *, start: dt.date | None = None, end: dt.date | None = None) -> DeliveryStats:
    """Delivery counts per announcement and per day (Vietnam dates, ``start``..``end`` inclusive)."""
    q = select(_d.c.announcement_id, _d.c.status, _d.c.sent_at, _d.c.updated_at)
    if start is not None:
        q = q.where(_d.c.updated_at >= dt.datetime.combine(start, dt.time(), VN).astimezone(dt.UTC))
    if end is not None:
        q = q.where(_d.c.updated_at < dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), VN)
                    .astimezone(dt.UTC))
    stats = DeliveryStats()
    with store.unit(readonly=True) as unit:
        for announcement_id, status, sent_at, updated_at in unit.connection.execute(q):
            when = _aware(sent_at if sent_at is not None else updated_at).astimezone(VN).date()
            per = stats.by_announcement.setdefault(int(announcement_id), dict.fromkeys(DELIVERY_STATUSES, 0))
            per[status] = per.get(status, 0) + 1
            day = stats.by_day.setdefault(when, dict.fromkeys(DELIVERY_STATUSES, 0))
            day[status] = day.get(status, 0) + 1
        ids = list(stats.by_announcement)
        if ids:
            for row in unit.connection.execute(select(_a.c.id, _a.c.title).where(_a.c.id.in_(ids))):
                stats.titles[int(row.id)] = str(row.title)
    return stats
