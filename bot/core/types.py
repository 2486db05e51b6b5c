"""Channel-neutral values the conversation core takes and returns.

Everything here is a frozen dataclass: the core is pure, so a turn is
``respond(inbound, session, content, now) -> Turn`` and nothing else.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal

__all__ = [
    "PAYLOAD_MAX",
    "PAYLOAD_RE",
    "REFERRAL_LEN",
    "Button",
    "Event",
    "FlowPosition",
    "Image",
    "Inbound",
    "Match",
    "MatchKind",
    "Reply",
    "ReplyRole",
    "Session",
    "Source",
    "Turn",
    "is_valid_payload",
]

#: Payload alphabet shared by buttons, Telegram callback_data, /start and ?start=.
PAYLOAD_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
PAYLOAD_MAX = 64
#: A referral suffix is ``-r`` + 8 characters; base payloads stay within 54 characters.
REFERRAL_LEN = 8


def is_valid_payload(payload: str) -> bool:
    """True when ``payload`` uses only the shared payload alphabet and length."""
    return bool(PAYLOAD_RE.match(payload))


class MatchKind(StrEnum):
    """What kind of answer the main reply is (the CLI/API ``match.kind``)."""

    FAQ = "faq"
    FLOW = "flow"
    SERVICE = "service"
    CLARIFY = "clarify"
    MENU = "menu"
    GREETING = "greeting"
    OFFTOPIC = "offtopic"
    FALLBACK = "fallback"
    HANDOFF = "handoff"


Source = Literal["user", "cli", "eval"]


class ReplyRole(StrEnum):
    """Why a reply is there: the main answer, or something around it."""

    MAIN = "main"
    WARNING = "warning"
    NOTE = "note"
    RESUME = "resume"


@dataclass(frozen=True, slots=True)
class Button:
    """A choice offered to the citizen; ``payload`` comes back when it is pressed."""

    label: str
    payload: str


@dataclass(frozen=True, slots=True)
class Image:
    """An image to show with a reply (a URL path the app serves, or an absolute URL)."""

    url: str
    alt: str


@dataclass(frozen=True, slots=True)
class Reply:
    """One message to the citizen."""

    text: str
    buttons: tuple[Button, ...] = ()
    images: tuple[Image, ...] = ()
    role: ReplyRole = ReplyRole.MAIN

    def to_dict(self) -> dict[str, Any]:
        """JSON shape used by the chat API, the CLI and the outbox."""
        return {
            "text": self.text,
            "buttons": [{"label": b.label, "payload": b.payload} for b in self.buttons],
            "images": [{"url": i.url, "alt": i.alt} for i in self.images],
            "role": self.role.value,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Reply:
        """Inverse of :meth:`to_dict`."""
        return cls(
            text=str(data["text"]),
            buttons=tuple(Button(str(b["label"]), str(b["payload"])) for b in data.get("buttons", ())),
            images=tuple(Image(str(i["url"]), str(i["alt"])) for i in data.get("images", ())),
            role=ReplyRole(data.get("role", "main")),
        )


@dataclass(frozen=True, slots=True)
class Match:
    """What the main reply answered: kind, content id and confidence in [0, 1]."""

    kind: MatchKind
    id: str | None = None
    score: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON shape of the ``match`` object in the contracts."""
        return {"kind": self.kind.value, "id": self.id, "score": self.score}


@dataclass(frozen=True, slots=True)
class Inbound:
    """One message from a citizen, already masked by the adapter.

    Exactly one of ``text`` / ``payload`` / ``media`` is normally set. ``masked``
    says the adapter replaced an ID number, phone number or code in ``text``.
    ``truncated`` says the adapter cut an over-long text.
    """

    text: str | None = None
    payload: str | None = None
    media: str | None = None
    masked: bool = False
    truncated: bool = False
    source: Source = "user"
    #: True on channels whose adapters render buttons as a numbered list.
    numbered_options: bool = False
    #: A shared location (latitude, longitude), already rounded by the shell; never stored.
    location: tuple[float, float] | None = None


@dataclass(frozen=True, slots=True)
class FlowPosition:
    """Where a citizen is inside a guided flow."""

    flow: str
    step: str
    history: tuple[str, ...] = ()
    #: When the step was last shown (ISO 8601 UTC), to offer a resume days later.
    at: str = ""


@dataclass(frozen=True, slots=True)
class Session:
    """Conversation state stored between turns (JSON-serialisable)."""

    flow: FlowPosition | None = None
    #: The options offered last, so a bare number or a typed label picks one.
    options: tuple[Button, ...] = ()
    #: The last FAQ entry answered and the (masked) question that led to it.
    last_answer: str | None = None
    last_question: str | None = None
    #: A flow the citizen left by asking something else, offered for resuming.
    paused_flow: FlowPosition | None = None
    extra: tuple[tuple[str, str], ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        """JSON shape stored in the session table."""
        def pos(p: FlowPosition | None) -> dict[str, Any] | None:
            if p is None:
                return None
            return {"flow": p.flow, "step": p.step, "history": list(p.history), "at": p.at}

        return {
            "flow": pos(self.flow),
            "options": [{"label": b.label, "payload": b.payload} for b in self.options],
            "last_answer": self.last_answer,
            "last_question": self.last_question,
            "paused_flow": pos(self.paused_flow),
            "extra": [list(kv) for kv in self.extra],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> Session:
        """Inverse of :meth:`to_dict`; tolerant of missing keys (older rows)."""
        if not data:
            return cls()

        def pos(p: Any) -> FlowPosition | None:
            if not isinstance(p, dict) or "flow" not in p or "step" not in p:
                return None
            return FlowPosition(
                flow=str(p["flow"]),
                step=str(p["step"]),
                history=tuple(str(s) for s in p.get("history", ())),
                at=str(p.get("at", "")),
            )

        return cls(
            flow=pos(data.get("flow")),
            options=tuple(
                Button(str(b["label"]), str(b["payload"]))
                for b in data.get("options", ())
                if isinstance(b, dict) and "label" in b and "payload" in b
            ),
            last_answer=data.get("last_answer"),
            last_question=data.get("last_question"),
            paused_flow=pos(data.get("paused_flow")),
            extra=tuple((str(k), str(v)) for k, v in data.get("extra", ())),
        )


@dataclass(frozen=True, slots=True)
class Event:
    """Something that happened in a turn, for analytics and the admin inbox.

    Names in use: ``faq_answered``, ``clarify_offered``, ``fallback``
    (unanswered question), ``offtopic``, ``feedback_yes``, ``feedback_no``,
    ``handoff_requested``, ``flow_started``, ``flow_step``, ``flow_finished``,
    ``service_viewed``, ``facet_viewed``, ``facet_missing`` (a service's facet asked that the content
    lacks: the unanswered inbox), ``also_answered`` (an FAQ item shown under the answer for a second
    object the question asks about), ``privacy_delete``, ``pii_masked``, ``referral``.
    """

    name: str
    data: tuple[tuple[str, str], ...] = ()

    def as_dict(self) -> dict[str, str]:
        """Event data as a plain dict."""
        return dict(self.data)


@dataclass(frozen=True, slots=True)
class Turn:
    """The result of one turn: what to say, the new state, and what happened."""

    replies: tuple[Reply, ...]
    session: Session
    match: Match
    events: tuple[Event, ...] = ()
    #: Set when the citizen asked to delete their data: the shell deletes it.
    delete_user_data: bool = False
