"""The single turn sequence shared by every channel.

Adapters build an :class:`Inbound` with :func:`prepare_inbound` (cutting and
masking what the citizen typed), then call :meth:`Conversation.run_turn`, which
does everything in one database transaction: de-duplication, the user and
session, the pure core, the masked log, events, the unanswered inbox and the
outbox for channels that send asynchronously.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from api import budget_keys
from api.announce.chat import AnnounceShell
from api.handoff.shell import HandoffShell
from api.live_content import ContentRuntime
from api.store import OUTBOX_ERASE_KEY, LogLine, Store, Unit
from api.store.db import SQLITE_NOWAIT
from api.store.models import UnansweredReason
from api.support.chat import SupportShell, with_extra
from api.team.chat import TeamAnswer, TeamShell
from bot.core import announce as core_announce
from bot.core import payloads
from bot.core import support as core_support
from bot.core.pii import mask_pii
from bot.core.respond import respond
from bot.core.types import Event, Inbound, Match, MatchKind, Reply, Session, Source, Turn

__all__ = ["Conversation", "OutboxTarget", "TurnResult", "eval_asker", "prepare_inbound", "utcnow"]

log = logging.getLogger(__name__)


#: Session ``extra`` key: the citizen asked for announcements before their commune was known.
ANNOUNCE_WANTED = "an"


def utcnow() -> dt.datetime:
    """The current time in UTC (the shell's clock)."""
    return dt.datetime.now(dt.UTC)


# A Telegram deep link as typed text: "/start <payload>".
_START = re.compile(r"(?P<head>\s*/start(?:@\w+)?\s+)(?P<arg>\S+)\s*", re.IGNORECASE)


def _clean_payload(raw: str) -> tuple[str, bool]:
    """A well-formed payload of ours whose ids carry no personal number is kept as is (its
    referral suffix too: a campaign code the bot issued); anything else is masked like typed
    text. The core answers an unknown payload with "content not found", so masking never breaks
    a payload that could have worked."""
    parsed = payloads.parse(raw)
    if parsed is not None and not any(mask_pii(a).changed for a in parsed.args):
        return raw, False
    m = mask_pii(raw)
    return m.text, m.changed


def _clean_text(text: str) -> tuple[str, bool]:
    start = _START.fullmatch(text)
    if start is not None and payloads.parse(start.group("arg")) is not None:
        arg, masked = _clean_payload(start.group("arg"))
        return start.group("head") + arg, masked
    m = mask_pii(text)
    return m.text, m.changed


def prepare_inbound(
    *,
    text: str | None = None,
    payload: str | None = None,
    media: str | None = None,
    source: Source = "user",
    max_chars: int = 2000,
    numbered_options: bool = False,
    location: tuple[float, float] | None = None,
) -> Inbound:
    """Cut over-long text, drop control characters and mask personal numbers (in the text and
    in a payload: both are stored in the message log and may reach events and the inbox).

    A location (a channel's location message, or the web page's ``sp-g-…`` payload) is rounded to
    about 110 m here and travels only in ``Inbound.location``: it is never logged or stored.
    """
    truncated = False
    masked = False
    if payload is not None and payload.strip().startswith("sp-g-"):
        location, payload = core_support.parse_geo(payload.strip()), None
        if location is None:
            media = "location"  # a malformed one: answered as unreadable media, never stored
    if location is not None:
        location = core_support.round_location(*location)
        media = "location"
    if text is not None:
        text = "".join(ch if ch.isprintable() or ch in "\n\t" else " " for ch in text)
        # Mask before cutting, so a number split by the cut is never stored half-visible.
        text, masked = _clean_text(text)
        if len(text) > max_chars:
            text, truncated = text[:max_chars], True
    if payload is not None:
        payload = "".join(ch if ch.isprintable() else " " for ch in payload.strip())
        payload, payload_masked = _clean_payload(payload)
        payload, masked = payload[:128], masked or payload_masked
    return Inbound(
        text=text,
        payload=payload,
        media=media,
        masked=masked,
        truncated=truncated,
        source=source,
        numbered_options=numbered_options,
        location=location,
    )


@dataclass(frozen=True, slots=True)
class OutboxTarget:
    """Where a channel wants the replies queued for its sender."""

    channel: str
    chat_id: str
    context: dict[str, Any]


@dataclass(frozen=True, slots=True)
class TurnResult:
    """What a turn produced, for the adapter to return or send."""

    replies: tuple[Reply, ...]
    match: Match
    user_id: int
    outbox_id: int | None = None
    #: Files to send along (a team member's leaflet); channels without files show the links in the text.
    documents: tuple[dict[str, str], ...] = ()
    #: The citizen's hand-off after the turn ("open", "escalated", "claimed"), None when there is none.
    handoff: str | None = None

    def to_cli(self) -> dict[str, Any]:
        """The ``ask`` JSON line of the CLI contract."""
        return {
            "text": "\n\n".join(r.text for r in self.replies),
            "buttons": [{"label": b.label, "payload": b.payload} for r in self.replies for b in r.buttons],
            "images": [{"url": i.url, "alt": i.alt} for r in self.replies for i in r.images],
            "match": self.match.to_dict(),
        }

    def to_api(self) -> dict[str, Any]:
        """The ``POST /api/v1/chat`` response body."""
        return {
            "replies": [
                {
                    "text": r.text,
                    "buttons": [{"label": b.label, "payload": b.payload} for b in r.buttons],
                    "images": [{"url": i.url, "alt": i.alt} for i in r.images],
                }
                for r in self.replies
            ],
            "match": self.match.to_dict(),
        }


class Conversation:
    """Runs turns against the store and the live content."""

    def __init__(self, store: Store, content: ContentRuntime, *, clock: Callable[[], dt.datetime] = utcnow,
                 team: TeamShell | None = None, handoff: HandoffShell | None = None) -> None:
        self.store = store
        self.content = content
        self.clock = clock
        #: Team members' commands and counting; None leaves them to the core (which knows none).
        self.team = team
        #: The support-point search (province → commune, or a location).
        self.support = SupportShell()
        #: Hand-offs to a person; None leaves the bot answering everything (CLI tools, benchmarks).
        self.handoff = handoff
        #: Announcements by commune: opt-in after a support search, «dừng» to opt out.
        self.announce = AnnounceShell()

    def run_turn(
        self,
        *,
        channel: str,
        external_id: str,
        inbound: Inbound,
        dedup_id: str | None = None,
        outbox: OutboxTarget | None = None,
    ) -> TurnResult | None:
        """One turn in one transaction; None when ``dedup_id`` was already handled."""
        now = self.clock()
        command = self.team.parse(inbound) if self.team is not None else None
        with self.store.unit() as unit:
            if dedup_id is not None and not unit.claim_update(channel=channel, update_id=dedup_id, now=now):
                return None
            user_id = unit.get_or_create_user(channel=channel, external_id=external_id, now=now)
            session = Session.from_dict(unit.load_session(user_id=user_id, lock=True))
            snapshot = self.content.snapshot(unit)
            if command is not None and self.team is not None:
                answer = self.team.handle(unit, channel=channel, external_id=external_id, command=command,
                                          content=snapshot, now=now)
                if answer is not None:
                    outbox_id = self._shell_turn(unit, user_id=user_id, channel=channel, inbound=inbound,
                                                session=session, answer=answer, outbox=outbox, now=now)
                    return TurnResult(answer.replies, answer.match, user_id, outbox_id, answer.documents)
            active = self.handoff.active(unit, user_id=user_id) if self.handoff is not None else None
            if self.handoff is not None and self.handoff.holds(unit, active, inbound=inbound, now=now):
                return self._quiet_turn(unit, user_id=user_id, channel=channel, inbound=inbound, outbox=outbox,
                                        now=now)
            reach = (channel, outbox.chat_id if outbox is not None else None,
                     outbox.context if outbox is not None else {})
            wanted = self.announce.parse(unit, inbound, session, user_id=user_id)
            request = self.support.parse(inbound, session)
            lead: tuple[Reply, ...] = ()
            if wanted is not None:
                said = self.announce.handle(unit, wanted, user_id=user_id, target=reach, inbound=inbound,
                                            session=session, now=now)
                if said is not None:
                    outbox_id = self._shell_turn(unit, user_id=user_id, channel=channel, inbound=inbound,
                                                session=session, answer=said, outbox=outbox, now=now)
                    return TurnResult(said.replies, said.match, user_id, outbox_id)
                if wanted.kind == "start":  # no commune known yet: the support search asks it
                    request = core_support.SupportRequest("start")
                    session = with_extra(session, ANNOUNCE_WANTED, "1")
                    lead = (core_announce.choose_commune_reply(),)
            if request is not None:
                handled = self.support.handle(unit, inbound=inbound, request=request, session=session, now=now)
                if handled is not None:
                    answer, kept = handled
                    wants = dict(session.extra).get(ANNOUNCE_WANTED) == "1"
                    answer, kept = self.announce.offer(unit, answer, kept, user_id=user_id, target=reach, now=now,
                                                       force=wants)
                    if any(e.name == "announce_offered" for e in answer.events) or request.kind == "location":
                        kept = with_extra(kept, ANNOUNCE_WANTED, None)
                    answer = replace(answer, replies=(*lead, *answer.replies))
                    outbox_id = self._shell_turn(unit, user_id=user_id, channel=channel, inbound=inbound,
                                                session=kept, answer=answer, outbox=outbox, now=now)
                    return TurnResult(answer.replies, answer.match, user_id, outbox_id)
            turn = respond(inbound, session, snapshot, now)
            turn = replace(turn, session=with_extra(turn.session, core_support.SESSION_KEY, None))
            if turn.match.kind is MatchKind.FAQ and turn.match.id == core_support.ENTRY_ID:
                replies, offered = self.support.offer(turn.replies, turn.session)
                turn = replace(turn, replies=replies, session=offered)
            handoff_state: str | None = None
            if self.handoff is not None and not turn.delete_user_data:
                target = None if outbox is None else (outbox.channel, outbox.chat_id, outbox.context)
                notes, handoff_state = self.handoff.after_turn(
                    unit, active, user_id=user_id, channel=channel, inbound=inbound, replies=turn.replies,
                    events=turn.events, target=target, texts=snapshot.texts, now=now)
                turn = replace(turn, replies=(*turn.replies, *notes))
            if turn.delete_user_data:
                unit.delete_user_data(
                    user_id=user_id,
                    now=now,
                    budget_keys=budget_keys.keyed_to_user(channel, external_id),
                    outbox_chat=(outbox.channel, outbox.chat_id) if outbox is not None else None,
                )
                unit.add_events(user_id=None, events=[(e.name, e.as_dict()) for e in turn.events],
                                source=inbound.source, now=now)
            else:
                self._record(unit, user_id=user_id, channel=channel, inbound=inbound, turn=turn, now=now)
                if self.team is not None and inbound.source == "user":
                    self.team.after_turn(unit, user_id=user_id, channel=channel, external_id=external_id,
                                         events=turn.events, now=now)
            outbox_id = None
            if outbox is not None:
                context = outbox.context
                if turn.delete_user_data:  # the confirmation, too, goes once it is sent
                    context = {**context, OUTBOX_ERASE_KEY: True}
                outbox_id = unit.enqueue_outbox(
                    channel=outbox.channel,
                    chat_id=outbox.chat_id,
                    body={"replies": [r.to_dict() for r in turn.replies], "match": turn.match.to_dict()},
                    context=context,
                    now=now,
                )
        if turn.delete_user_data:
            self._erase_traces()
        return TurnResult(turn.replies, turn.match, user_id, outbox_id, handoff=handoff_state)

    @staticmethod
    def _quiet_turn(unit: Unit, *, user_id: int, channel: str, inbound: Inbound, outbox: OutboxTarget | None,
                    now: dt.datetime) -> TurnResult:
        """A person holds the conversation: log the message, say nothing (a pressed button is still answered)."""
        match = Match(MatchKind.HANDOFF, "held")
        text = inbound.text if inbound.text is not None else (f"<{inbound.media}>" if inbound.media else None)
        unit.log_messages(user_id=user_id, lines=(LogLine(direction="in", text=text, payload=inbound.payload),),
                          source=inbound.source, now=now)
        unit.add_events(user_id=user_id, events=[("turn", {"kind": match.kind.value, "channel": channel})],
                        source=inbound.source, now=now)
        outbox_id = None
        if outbox is not None and outbox.context.get("cq"):
            outbox_id = unit.enqueue_outbox(channel=outbox.channel, chat_id=outbox.chat_id,
                                            body={"replies": [], "match": match.to_dict()}, context=outbox.context,
                                            now=now)
        return TurnResult((), match, user_id, outbox_id, handoff="claimed")

    @staticmethod
    def _shell_turn(unit: Unit, *, user_id: int, channel: str, inbound: Inbound, session: Session,
                    answer: TeamAnswer, outbox: OutboxTarget | None, now: dt.datetime) -> int | None:
        """Store a turn the shell answered itself (team command, support search): log, events, outbox."""
        options = tuple(b for r in answer.replies for b in r.buttons)
        unit.save_session(user_id=user_id, data=replace(session, options=options).to_dict(), now=now)
        m = answer.match
        unit.log_messages(
            user_id=user_id,
            lines=(
                LogLine(direction="in", text=answer.logged_text, payload=None),
                LogLine(direction="out", text="\n\n".join(r.text for r in answer.replies), match_kind=m.kind.value,
                        match_id=m.id, score=m.score),
            ),
            source=inbound.source,
            now=now,
        )
        unit.add_events(user_id=user_id,
                        events=[(e.name, e.as_dict()) for e in answer.events] + [("turn", {"kind": m.kind.value,
                                                                                           "channel": channel})],
                        source=inbound.source, now=now)
        if outbox is None:
            return None
        body: dict[str, Any] = {"replies": [r.to_dict() for r in answer.replies], "match": m.to_dict()}
        if answer.documents:
            body["documents"] = [dict(d) for d in answer.documents]
        return unit.enqueue_outbox(channel=outbox.channel, chat_id=outbox.chat_id, body=body,
                                   context=outbox.context, now=now)

    def _erase_traces(self) -> None:
        """Scrub the files now where that is cheap; otherwise the maintenance task does it shortly."""
        if self.store.dialect != "sqlite" or SQLITE_NOWAIT.get():
            return  # VACUUM, or the event loop: left to api.store.maintenance (seconds later)
        try:
            self.store.erase_traces(busy_ms=200)
        except Exception as exc:  # noqa: BLE001 - the deletion itself is committed; retried later
            log.warning("privacy: scrubbing after a deletion failed (%s); the maintenance task retries",
                        type(exc).__name__)

    def _record(self, unit: Unit, *, user_id: int, channel: str, inbound: Inbound, turn: Turn, now: dt.datetime) -> None:
        source = inbound.source
        unit.save_session(user_id=user_id, data=turn.session.to_dict(), now=now)
        m = turn.match
        # Both lines in one statement (ids in order: the question, then the answer).
        unit.log_messages(
            user_id=user_id,
            lines=(
                LogLine(
                    direction="in",
                    text=inbound.text if inbound.text is not None else (f"<{inbound.media}>" if inbound.media else None),
                    payload=inbound.payload,
                ),
                LogLine(
                    direction="out",
                    text="\n\n".join(r.text for r in turn.replies),
                    match_kind=m.kind.value,
                    match_id=m.id,
                    score=m.score,
                ),
            ),
            source=source,
            now=now,
        )
        unit.add_events(
            user_id=user_id,
            events=[(e.name, _event_data(e, m)) for e in turn.events] + [("turn", {"kind": m.kind.value, "channel": channel})],
            source=source,
            now=now,
        )
        if source != "user":
            return  # eval/CLI traffic stays out of the inbox
        # One inbox row per question: a tentative answer whose asked facet is missing records why
        # (facet_missing) and is also a "did you mean" (clarify); the first reason is kept.
        listed = False
        for e in turn.events:
            listed = self._inbox(unit, user_id=user_id, channel=channel, event=e, match=m, now=now,
                                 unanswered=not listed) or listed

    @staticmethod
    def _inbox(unit: Unit, *, user_id: int, channel: str, event: Event, match: Match, now: dt.datetime,
               unanswered: bool = True) -> bool:
        """Record what ``event`` asks of the staff: a hand-off request, or (when ``unanswered``) the
        question in the unanswered inbox. True when it put the question in the inbox."""
        data = event.as_dict()
        if event.name == "handoff_requested":
            unit.record_handoff(user_id=user_id, channel=channel, question=data.get("question") or None, now=now)
            return False
        row = _unanswered_row(event.name, data, match) if unanswered else None
        if row is None:
            return False
        reason, entry_id, score = row
        unit.record_unanswered(user_id=user_id, question=data.get("question", ""), reason=reason,
                               entry_id=entry_id, score=score, source="user", now=now)
        return True


def _unanswered_row(name: str, data: Mapping[str, str], match: Match) -> tuple[UnansweredReason, str | None, float | None] | None:
    """(reason, entry id, score) of the inbox row for an event named ``name``, or None for an
    event that puts nothing in the inbox."""
    if name == "fallback":
        return "fallback", None, float(data["score"]) if data.get("score") else None
    if name == "feedback_no":
        return "feedback_no", data.get("entry"), None
    if name == "facet_missing":
        return "facet_missing", f"service:{data.get('service', '')}", match.score
    if name == "offtopic" and data.get("entry") == "out_of_scope":
        # The generic decline of a long question naming nothing of ours (never a specific
        # off-topic entry such as the weather): a guess the admins should see.
        return "out_of_scope", None, match.score
    if name == "clarify_offered" and match.kind is MatchKind.CLARIFY:
        return "clarify", None, match.score
    return None


def eval_asker(
    conversation: Conversation, *, max_chars: int
) -> Callable[[str], tuple[list[str], list[str], str, str | None]]:
    """How ``python -m bot eval`` asks (a :data:`bot.evaluation.Asker`): each question typed by a CLI
    user never seen before, answered as reply texts, button labels, match kind and match id."""

    def ask(question: str) -> tuple[list[str], list[str], str, str | None]:
        inbound = prepare_inbound(text=question, source="eval", max_chars=max_chars)
        result = conversation.run_turn(
            channel="cli", external_id=f"eval-{uuid.uuid4().hex[:12]}", inbound=inbound)
        assert result is not None  # no dedup id: every turn runs
        return ([r.text for r in result.replies], [b.label for r in result.replies for b in r.buttons],
                result.match.kind.value, result.match.id)

    return ask


def _event_data(e: Event, m: Match) -> dict[str, str]:
    data = e.as_dict()
    data.pop("question", None)  # question texts live in the inbox tables, not in analytics
    return data


def flatten_texts(replies: Sequence[Reply]) -> list[str]:
    """All reply texts (used by evaluation)."""
    return [r.text for r in replies]
