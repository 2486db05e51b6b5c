"""Office hours: when a unit's staff answer, and when an unclaimed hand-off is due (time is a parameter).

A schedule maps a weekday (``mon`` … ``sun``) to ``"HH:MM-HH:MM"`` windows in Vietnam time (UTC+7,
no daylight saving). A unit without its own hours uses its parent's, then :data:`DEFAULT_SCHEDULE`
(the usual public-office hours). A hand-off is due ``pickup_minutes`` of office time after it opens:
one opened at night is due that long after the office opens.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["DAYS", "DEFAULT_PICKUP_MINUTES", "DEFAULT_SCHEDULE", "VN_TZ", "Hours", "HoursError", "parse_schedule"]

VN_TZ = dt.timezone(dt.timedelta(hours=7), "ICT")
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DEFAULT_SCHEDULE: dict[str, list[str]] = {d: ["07:30-11:30", "13:30-17:00"] for d in DAYS[:5]}
DEFAULT_PICKUP_MINUTES = 30
_WINDOW = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d)$")


class HoursError(ValueError):
    """A schedule that cannot be read (a 422 for the console)."""


def parse_schedule(raw: Mapping[str, Any]) -> dict[str, list[tuple[dt.time, dt.time]]]:
    """Windows per weekday; raises :class:`HoursError` on an unknown day or a malformed window."""
    out: dict[str, list[tuple[dt.time, dt.time]]] = {}
    for day, windows in raw.items():
        if day not in DAYS or not isinstance(windows, list):
            raise HoursError(f"unknown day {day!r} (use {', '.join(DAYS)}) or windows not a list")
        for w in windows:
            m = _WINDOW.match(w) if isinstance(w, str) else None
            if m is None:
                raise HoursError(f"{day}: window {w!r} is not HH:MM-HH:MM")
            start = dt.time(int(m[1]), int(m[2]))
            end = dt.time(23, 59, 59) if m[3] == "24" else dt.time(int(m[3]), int(m[4]))
            if end <= start:
                raise HoursError(f"{day}: window {w!r} ends before it starts")
            out.setdefault(day, []).append((start, end))
    return out


@dataclass(frozen=True, slots=True)
class Hours:
    """A unit's office hours and pick-up time."""

    windows: Mapping[str, list[tuple[dt.time, dt.time]]]
    pickup_minutes: int = DEFAULT_PICKUP_MINUTES

    @classmethod
    def default(cls) -> Hours:
        """The usual public-office hours, Monday to Friday."""
        return cls(parse_schedule(DEFAULT_SCHEDULE))

    def _spans(self, day: dt.date) -> list[tuple[dt.datetime, dt.datetime]]:
        windows = self.windows.get(DAYS[day.weekday()], [])
        return [(dt.datetime.combine(day, s, VN_TZ), dt.datetime.combine(day, e, VN_TZ)) for s, e in windows]

    def is_open(self, now: dt.datetime) -> bool:
        """True within a window."""
        local = now.astimezone(VN_TZ)
        return any(s <= local < e for s, e in self._spans(local.date()))

    def next_open(self, now: dt.datetime) -> dt.datetime | None:
        """``now`` when open, else the start of the next window (local time); None if the week is empty."""
        local = now.astimezone(VN_TZ)
        for offset in range(8):
            for s, e in sorted(self._spans(local.date() + dt.timedelta(days=offset))):
                if local < e:
                    return max(s, local)
        return None

    def due(self, now: dt.datetime) -> dt.datetime:
        """When a hand-off opened at ``now`` counts as not picked up (office time only, UTC)."""
        left = dt.timedelta(minutes=self.pickup_minutes)
        at: dt.datetime | None = now
        for _ in range(64):
            at = self.next_open(at) if at is not None else None
            if at is None:
                break
            end = next(e for s, e in self._spans(at.date()) if s <= at < e)
            if at + left <= end:
                return (at + left).astimezone(dt.UTC)
            left -= end - at
            at = end
        return (now + dt.timedelta(minutes=self.pickup_minutes)).astimezone(dt.UTC)
