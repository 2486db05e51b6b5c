"""Announcements inside a chat turn (called by :meth:`api.conversation.Conversation.run_turn`).

:mod:`bot.core.announce` recognises «dừng», «nhận thông báo» and the offer's buttons and words the
answers; this shell keeps the citizen's subscription row (which also records that the offer was
made, so it is made once) in the turn's transaction, with where to send: the channel and chat of
the turn (none for the web chat, whose page fetches).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from api.announce import repo
from api.store import Unit
from api.support import units
from api.team.chat import TeamAnswer
from bot.core import announce as core
from bot.core.types import Event, Inbound, Match, MatchKind, Reply, Session

__all__ = ["AnnounceShell", "Target"]

#: Where announcements reach this citizen: (channel, chat id or None, outbox context).
Target = tuple[str, str | None, Mapping[str, Any]]

_MATCH_ID = "announce"
#: Outbox context keys tied to one incoming update (never reused for later messages).
_NO_CONTEXT_KEYS = frozenset({"cq", "edit"})


def _place(code: int | None) -> str | None:
    ward = units.ward(code) if code is not None else None
    return ward.name if ward is not None else None


class AnnounceShell:
    """Opt-in, opt-out and the one-time offer."""

    @staticmethod
    def parse(unit: Unit, inbound: Inbound, session: Session, *, user_id: int) -> core.AnnounceRequest | None:
        """The request in a message, if any (one indexed lookup for typed text that could be «dung»)."""
        if inbound.source != "user":
            return None
        if inbound.payload is None and not (inbound.text or "").strip():
            return None
        sub = None
        if inbound.payload is None and len((inbound.text or "").strip()) <= 20:
            sub = repo.subscription(unit, user_id)
        return core.parse_request(inbound, session, subscribed=sub is not None and sub.status == repo.ACTIVE)

    def handle(self, unit: Unit, request: core.AnnounceRequest, *, user_id: int, target: Target,
               inbound: Inbound, session: Session, now: dt.datetime) -> TeamAnswer | None:
        """Answer the request (None: hand the message to the support search, «nhận thông báo» with no commune)."""
        channel, chat_id, context = target
        context = {k: v for k, v in context.items() if k not in _NO_CONTEXT_KEYS}
        sub = repo.subscription(unit, user_id)
        logged = inbound.text if inbound.text is not None else inbound.payload or ""
        if request.kind == "yes" and request.commune is not None:
            ward = units.ward(request.commune)
            if ward is None:
                return None
            repo.upsert_subscription(unit, user_id=user_id, channel=channel, chat_id=chat_id, context=context,
                                     status=repo.ACTIVE, now=now, commune_code=ward.code,
                                     province_code=ward.province_code)
            return self._answer(core.subscribed_reply(ward.name), logged, "subscribed", ward.code)
        if request.kind == "no":
            repo.upsert_subscription(unit, user_id=user_id, channel=channel, chat_id=chat_id, context=context,
                                     status="declined", now=now)
            return self._answer(core.declined_reply(), logged, "declined", None)
        if request.kind == "stop":
            if sub is None or sub.status != repo.ACTIVE:
                return self._answer(core.not_subscribed_reply(), logged, "stop_none", None)
            repo.upsert_subscription(unit, user_id=user_id, channel=channel, chat_id=chat_id, context=context,
                                     status="stopped", now=now)
            return self._answer(core.stopped_reply(_place(sub.commune_code)), logged, "stopped",
                                sub.commune_code)
        # start
        place = _place(sub.commune_code if sub is not None else None)
        if sub is None or place is None:
            return None
        repo.upsert_subscription(unit, user_id=user_id, channel=channel, chat_id=chat_id, context=context,
                                 status=repo.ACTIVE, now=now)
        reply = core.resumed_reply(place) if sub.status != "asked" else core.subscribed_reply(place)
        return self._answer(reply, logged, "subscribed", sub.commune_code)

    @staticmethod
    def offer(unit: Unit, answer: TeamAnswer, session: Session, *, user_id: int, target: Target,
              now: dt.datetime, force: bool = False) -> tuple[TeamAnswer, Session]:
        """After a support search that named a commune or ward: the offer, once per citizen.

        ``force`` makes it again for a citizen who asked for announcements («nhận thông báo»).
        """
        commune = next((int(e.as_dict()["commune"]) for e in answer.events
                        if e.name == "support_search" and e.as_dict().get("by") == "commune"
                        and e.as_dict().get("commune", "").isdigit()), None)
        ward = units.ward(commune) if commune is not None else None
        if ward is None:
            return answer, session
        sub = repo.subscription(unit, user_id)
        if sub is not None and not (force and sub.status != repo.ACTIVE):
            return answer, session
        channel, chat_id, context = target
        if sub is None:
            repo.upsert_subscription(unit, user_id=user_id, channel=channel, chat_id=chat_id,
                                     context={k: v for k, v in context.items() if k not in _NO_CONTEXT_KEYS},
                                     status="asked", now=now, commune_code=ward.code,
                                     province_code=ward.province_code)
        reply = core.offer_reply(ward.name, ward.code)
        options = (*session.options, *reply.buttons)
        event = Event("announce_offered", (("commune", str(ward.code)),))
        return (replace(answer, replies=(*answer.replies, reply), events=(*answer.events, event)),
                replace(session, options=options))

    @staticmethod
    def _answer(reply: Reply, logged: str, what: str, commune: int | None) -> TeamAnswer:
        data: tuple[tuple[str, str], ...] = (("answer", what),)
        if commune is not None:
            data = (*data, ("commune", str(commune)))
        return TeamAnswer((reply,), Match(MatchKind.MENU, _MATCH_ID), logged, (Event("announce", data),))
