"""The hand-off inside a chat turn, and what staff actions tell the citizen.

Called by :meth:`api.conversation.Conversation.run_turn` in the turn's transaction:
:meth:`HandoffShell.held` first — while a person holds the conversation the core is not called and
the bot says nothing (the message is logged and added to the hand-off); then, after the core,
:meth:`HandoffShell.after_turn` opens a hand-off on the core's ``handoff_requested`` event (adding an
honest note on when staff will answer) and copies the turn into a waiting hand-off. Staff replies and
notices (:meth:`HandoffShell.tell`) go through the outbox on Telegram and Zalo; the web page fetches
them (``GET /api/v1/chat/messages``).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping, Sequence
from typing import Any

from api.handoff import repo
from api.handoff.group import GroupPoster
from api.handoff.repo import HandoffView
from api.store import Unit
from bot.core import handoff as words
from bot.core.types import Event, Inbound, Match, MatchKind, Reply, ReplyRole

__all__ = ["NO_CONTEXT_KEYS", "HandoffShell", "OpenTarget"]

log = logging.getLogger(__name__)

#: Outbox context keys tied to one incoming update (a button press to answer, a message to edit).
NO_CONTEXT_KEYS = frozenset({"cq", "edit"})

#: Where a channel's later messages go: (channel, chat id, context) or None (the web chat fetches).
OpenTarget = tuple[str, str, Mapping[str, Any]] | None


def _inbound_text(inbound: Inbound) -> str:
    if inbound.text is not None:
        return inbound.text
    return f"<{inbound.media}>" if inbound.media else f"[{inbound.payload or ''}]"


_REASONS = {"asked": "bấm «Gặp người hỗ trợ»", "fallbacks": "bot không hiểu 2 lần", "feedback": "«Chưa đúng» 2 lần"}


class HandoffShell:
    """Opens hand-offs, keeps the bot quiet while a person holds one, and tells the citizen; with a
    staff Telegram group (:class:`api.handoff.group.GroupPoster`), mirrors each hand-off there."""

    def __init__(self, group: GroupPoster | None = None) -> None:
        self.group = group if group is not None else GroupPoster(None)

    @staticmethod
    def active(unit: Unit, *, user_id: int) -> HandoffView | None:
        """The citizen's waiting or held hand-off (one indexed lookup per turn)."""
        return repo.active_for_user(unit, user_id)

    def holds(self, unit: Unit, view: HandoffView | None, *, inbound: Inbound, now: dt.datetime) -> bool:
        """True when a person holds the conversation: the message is added to the hand-off, the bot is quiet."""
        if view is None or view.status != "claimed" or inbound.source != "user":
            return False
        text = _inbound_text(inbound)
        repo.add_line(unit, handoff_id=view.id, author="citizen", text=text, now=now)
        self.group.post(unit, user_id=view.user_id, text=GroupPoster.line("citizen", text), now=now)
        return True

    def after_turn(self, unit: Unit, view: HandoffView | None, *, user_id: int, channel: str, inbound: Inbound,
                   replies: Sequence[Reply], events: Sequence[Event], target: OpenTarget,
                   texts: Mapping[str, str], now: dt.datetime) -> tuple[tuple[Reply, ...], str | None]:
        """Notes to add to the turn's replies (opening a hand-off when the core asked for one), and the
        status of the citizen's hand-off after the turn."""
        if inbound.source != "user":
            return (), view.status if view is not None else None
        asked = next((e for e in events if e.name == "handoff_requested"), None)
        if view is not None:
            said, answered = _inbound_text(inbound), "\n\n".join(r.text for r in replies)
            repo.add_line(unit, handoff_id=view.id, author="citizen", text=said, now=now)
            repo.add_line(unit, handoff_id=view.id, author="bot", text=answered, now=now)
            self.group.post(unit, user_id=user_id, now=now, text="\n".join(
                (GroupPoster.line("citizen", said), GroupPoster.line("bot", answered))))
            if asked is None:
                return (), view.status
            note = words.already_open_note(texts, claimed=view.status == "claimed")
            return (Reply(note, role=ReplyRole.NOTE),), view.status
        if asked is None:
            return (), None
        reason = asked.as_dict().get("reason", "asked")
        unit_id = repo.citizen_unit(unit, user_id)
        queue = unit_id if unit_id is not None else repo.province_of(unit, None)
        hours = repo.hours_for(unit, queue)
        chat_id, context = (None, None) if target is None else (target[1], {
            k: v for k, v in target[2].items() if k not in NO_CONTEXT_KEYS})
        handoff_id = repo.open_handoff(unit, user_id=user_id, channel=channel, chat_id=chat_id, context=context,
                                       unit_id=queue, reason=reason, due_at=hours.due(now), now=now)
        opens_at = hours.next_open(now)
        note = words.opened_note(texts, unit=repo.unit_name(unit, queue), open_now=hours.is_open(now),
                                 pickup_minutes=hours.pickup_minutes, opens_at=opens_at,
                                 automatic=reason != "asked")
        repo.add_line(unit, handoff_id=handoff_id, author="bot", text=note, now=now)
        if self.group.enabled:
            self._post_opened(unit, handoff_id=handoff_id, user_id=user_id, channel=channel, queue=queue,
                              reason=reason, inbound=inbound, replies=replies, note=note, now=now)
        unit.add_events(user_id=user_id, events=[("handoff_opened", {"reason": reason, "channel": channel})],
                        source=inbound.source, now=now)
        return (Reply(note, role=ReplyRole.NOTE),), "open"

    def _post_opened(self, unit: Unit, *, handoff_id: int, user_id: int, channel: str, queue: int | None,
                     reason: str, inbound: Inbound, replies: Sequence[Reply], note: str, now: dt.datetime) -> None:
        """The masked conversation so far, into the citizen's topic or thread of the staff group."""
        head = (f"🆘 Yêu cầu #{handoff_id} · {channel} · {repo.unit_name(unit, queue)} · "
                f"{_REASONS.get(reason, reason)}\nTrả lời ngay tại đây để nhận và trả lời người dân; "
                "gõ /dong để kết thúc.")
        before = [GroupPoster.line(line.author, line.text) for line in repo.history(unit, user_id=user_id, until=now)]
        now_lines = [GroupPoster.line("citizen", _inbound_text(inbound)),
                     GroupPoster.line("bot", "\n\n".join(r.text for r in replies if r.text)),
                     GroupPoster.line("system", note)]
        text = "\n\n".join([head, *before[-12:], *now_lines])
        self.group.post(unit, user_id=user_id, text=text, now=now, title=f"Người dân {user_id} · {channel}")

    def tell(self, unit: Unit, view: HandoffView, *, author: str, text: str, texts: Mapping[str, str],
             now: dt.datetime, staff: str | None = None, mirror: bool = True) -> int:
        """Add a staff reply or a notice to the hand-off and send it to the citizen's chat (a staff
        reply under the live «Cán bộ hỗ trợ» label); also into the staff group unless ``mirror`` is
        False (the reply came from there)."""
        line_id = repo.add_line(unit, handoff_id=view.id, author=author, text=text, staff=staff, now=now)
        if mirror:
            self.group.post(unit, user_id=view.user_id, text=GroupPoster.line(author, text, staff), now=now)
        if view.chat_id is not None:
            shown = words.staff_line(texts, text) if author == "staff" else text
            body = {"replies": [Reply(shown).to_dict()], "match": Match(MatchKind.HANDOFF, author).to_dict()}
            unit.enqueue_outbox(channel=view.channel, chat_id=view.chat_id, body=body,
                                context=dict(view.context or {}), now=now)
        return line_id

    def escalate_due(self, unit: Unit, *, texts: Mapping[str, str], now: dt.datetime) -> int:
        """Move hand-offs not picked up in time to the province queue and tell the citizens; how many."""
        moved = 0
        for view in repo.overdue(unit, now=now):
            province = repo.province_of(unit, view.unit_id)
            target = province if province != view.unit_id else None
            hours = repo.hours_for(unit, target)
            if not repo.escalate(unit, handoff_id=view.id, unit_id=target, due_at=hours.due(now), now=now):
                continue
            text = words.escalated_note(texts, unit=view.unit_name, queue=repo.unit_name(unit, target),
                                        open_now=hours.is_open(now), pickup_minutes=hours.pickup_minutes,
                                        opens_at=hours.next_open(now))
            self.tell(unit, view, author="system", text=text, texts=texts, now=now)
            moved += 1
        if moved:
            log.info("handoff: %d escalated to the province queue", moved)
        return moved
