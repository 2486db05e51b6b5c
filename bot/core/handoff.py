"""When a conversation goes to a person, and what the citizen is told about it (pure).

The core counts misses in the session: two fallbacks in a row, or «Chưa đúng» twice, raise the
same ``handoff_requested`` event as the «Gặp người hỗ trợ» button (with a ``reason``). The shell
(:mod:`api.handoff`) opens the hand-off, picks the unit and its office hours, and words the notes
with the functions below, from the live UI texts (content kind ``text``, ids ``handoff_*``), so an
admin edits them in the console like the bot's other sentences.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import replace

from bot.core.types import Event, Session

__all__ = [
    "FEEDBACK_LIMIT",
    "MISS_LIMIT",
    "already_open_note",
    "claimed_note",
    "closed_note",
    "count_misses",
    "escalated_note",
    "opened_note",
    "staff_line",
    "when_text",
]

#: Fallbacks in a row, and «Chưa đúng» answers, that open a hand-off.
MISS_LIMIT = 2
FEEDBACK_LIMIT = 2
_MISSES = "handoff_misses"
_NOES = "handoff_noes"

_WEEKDAYS = ("thứ Hai", "thứ Ba", "thứ Tư", "thứ Năm", "thứ Sáu", "thứ Bảy", "Chủ nhật")


def _get(session: Session, key: str) -> int:
    value = dict(session.extra).get(key, "0")
    return int(value) if value.isdigit() else 0


def _set(session: Session, key: str, value: int) -> Session:
    extra = tuple((k, v) for k, v in session.extra if k != key)
    return replace(session, extra=(*extra, (key, str(value))) if value else extra)


def count_misses(session: Session, events: tuple[Event, ...]) -> tuple[Session, tuple[Event, ...]]:
    """Update the counters after a turn; a ``handoff_requested`` event when one reaches its limit.

    A turn that is not a fallback ends the run of misses; «Chưa đúng» answers add up until a
    hand-off opens (any reason resets both counters).
    """
    names = {e.name for e in events}
    if "handoff_requested" in names:
        return _set(_set(session, _MISSES, 0), _NOES, 0), events
    misses = _get(session, _MISSES) + 1 if "fallback" in names else 0
    noes = _get(session, _NOES) + (1 if "feedback_no" in names else 0)
    reason = "fallbacks" if misses >= MISS_LIMIT else "feedback" if noes >= FEEDBACK_LIMIT else None
    if reason is None:
        return _set(_set(session, _MISSES, misses), _NOES, noes), events
    question = next((e.as_dict().get("question", "") for e in events if e.name in ("fallback", "feedback_no")), "")
    opened = Event("handoff_requested", (("question", question), ("reason", reason)))
    return _set(_set(session, _MISSES, 0), _NOES, 0), (*events, opened)


def when_text(at: dt.datetime) -> str:
    """«7:30 thứ Hai 08/12» for a time already in local time."""
    return f"{at.hour}:{at.minute:02d} {_WEEKDAYS[at.weekday()]} {at.day:02d}/{at.month:02d}"


def _when(texts: Mapping[str, str], *, open_now: bool, pickup_minutes: int, opens_at: dt.datetime | None) -> str:
    if open_now:
        return texts["handoff_when_open"].format(minutes=pickup_minutes)
    if opens_at is not None:
        return texts["handoff_when_later"].format(at=when_text(opens_at))
    return texts["handoff_when_unknown"]


def opened_note(texts: Mapping[str, str], *, unit: str, open_now: bool, pickup_minutes: int,
                opens_at: dt.datetime | None, automatic: bool) -> str:
    """What the citizen is told when their conversation goes to a person (honest about when)."""
    when = _when(texts, open_now=open_now, pickup_minutes=pickup_minutes, opens_at=opens_at)
    return texts["handoff_opened_auto" if automatic else "handoff_opened"].format(unit=unit, when=when)


def already_open_note(texts: Mapping[str, str], *, claimed: bool) -> str:
    """A second request while one is waiting or held."""
    return texts["handoff_held" if claimed else "handoff_waiting"]


def claimed_note(texts: Mapping[str, str], *, unit: str) -> str:
    """A person took the conversation."""
    return texts["handoff_claimed"].format(unit=unit)


def closed_note(texts: Mapping[str, str]) -> str:
    """The person closed the conversation; the bot answers again."""
    return f"{texts['handoff_closed']} {texts['handoff_resumed']}"


def escalated_note(texts: Mapping[str, str], *, unit: str, queue: str, open_now: bool, pickup_minutes: int,
                   opens_at: dt.datetime | None) -> str:
    """Nobody took it in time: it went up to the province queue (and when they will answer)."""
    when = _when(texts, open_now=open_now, pickup_minutes=pickup_minutes, opens_at=opens_at)
    return texts["handoff_escalated"].format(unit=unit, queue=queue, when=when)


def staff_line(texts: Mapping[str, str], text: str) -> str:
    """A staff member's reply as the citizen sees it (the label first)."""
    return f"{texts['handoff_staff_label']} {text}"
