"""When a conversation goes to a person, and what the citizen is told about it (pure).

The core counts misses in the session: two fallbacks in a row, or «Chưa đúng» twice, raise the
same ``handoff_requested`` event as the «Gặp người hỗ trợ» button (with a ``reason``). The shell
(:mod:`api.handoff`) opens the hand-off, picks the unit and its office hours, and words the notes
with the functions below.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from bot.core.types import Event, Session

__all__ = [
    "CLAIMED",
    "CLOSED",
    "ESCALATED",
    "FEEDBACK_LIMIT",
    "MISS_LIMIT",
    "STAFF_PREFIX",
    "already_open_note",
    "count_misses",
    "opened_note",
    "when_text",
]

#: Fallbacks in a row, and «Chưa đúng» answers, that open a hand-off.
MISS_LIMIT = 2
FEEDBACK_LIMIT = 2
_MISSES = "handoff_misses"
_NOES = "handoff_noes"

STAFF_PREFIX = "👤 Cán bộ hỗ trợ: "
CLAIMED = ("Cán bộ {unit} đã nhận cuộc trò chuyện và sẽ trả lời bạn ngay tại đây. "
           "Trong lúc này trợ lý tự động tạm dừng.")
CLOSED = ("Cán bộ đã kết thúc cuộc trò chuyện. Trợ lý tự động tiếp tục trả lời bạn; "
          "bấm «Gặp người hỗ trợ» nếu bạn cần người hỗ trợ lần nữa.")
ESCALATED = ("Chưa có cán bộ {unit} nhận kịp yêu cầu của bạn, nên mình đã chuyển lên {queue}. "
             "Cán bộ sẽ trả lời bạn tại đây{when}.")
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


def opened_note(*, unit: str, open_now: bool, pickup_minutes: int, opens_at: dt.datetime | None,
                automatic: bool) -> str:
    """What the citizen is told when their conversation goes to a person (honest about when)."""
    lead = ("Có vẻ trợ lý chưa giúp được bạn, nên mình đã chuyển cuộc trò chuyện cho cán bộ "
            if automatic else "Mình đã chuyển cuộc trò chuyện cho cán bộ ")
    if open_now:
        when = f"Cán bộ sẽ trả lời bạn ngay tại đây, thường trong khoảng {pickup_minutes} phút."
    elif opens_at is not None:
        when = (f"Bây giờ là ngoài giờ làm việc; cán bộ sẽ trả lời bạn tại đây từ {when_text(opens_at)}.")
    else:
        when = "Bây giờ là ngoài giờ làm việc; cán bộ sẽ trả lời bạn tại đây khi làm việc trở lại."
    return f"{lead}{unit}. {when} Trong lúc chờ, bạn vẫn có thể hỏi trợ lý."


def already_open_note(*, claimed: bool) -> str:
    """A second request while one is waiting or held."""
    if claimed:
        return "Cán bộ đang hỗ trợ bạn tại đây; bạn cứ nhắn, cán bộ sẽ đọc."
    return "Yêu cầu gặp cán bộ của bạn đã được ghi nhận; cán bộ sẽ trả lời bạn tại đây."
