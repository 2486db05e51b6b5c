"""Support points inside a chat turn (called by :meth:`api.conversation.Conversation.run_turn`).

:mod:`bot.core.support` recognises the request and words the answers; this shell looks the units and
points up in the turn's transaction and keeps where the citizen is in the search in the session's
``extra`` (``sp`` = ``p`` while choosing a province, ``w:<code>`` while choosing a commune or ward).
A location is used for this one search and never stored: the adapter rounded it, the log keeps
``<vị trí>`` and the events only say that a location was used.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from api.store import Unit
from api.support import repo, units
from api.team.chat import TeamAnswer
from bot.core import payloads
from bot.core import support as core
from bot.core.types import Button, Event, Inbound, Match, MatchKind, Reply, Session

__all__ = ["SupportShell", "with_extra"]

_MATCH = Match(MatchKind.FAQ, core.ENTRY_ID, 1.0)
#: A typed text longer than this that names no place is an ordinary question for the core.
_TYPED_MAX_WORDS = 4


def with_extra(session: Session, key: str, value: str | None) -> Session:
    """The session with ``extra[key]`` set (or removed when ``value`` is None)."""
    extra = tuple((k, v) for k, v in session.extra if k != key)
    if value is not None:
        extra = (*extra, (key, value))
    return replace(session, extra=extra)


def _provinces() -> list[tuple[int, str]]:
    return [(p.code, p.name) for p in units.provinces()]


class SupportShell:
    """Answers the support-point search in any channel."""

    @staticmethod
    def parse(inbound: Inbound, session: Session) -> core.SupportRequest | None:
        """The search request in a message, if any (pure)."""
        return core.parse_request(inbound, session, location=inbound.location)

    def handle(self, unit: Unit, *, inbound: Inbound, request: core.SupportRequest, session: Session,
               now: dt.datetime) -> tuple[TeamAnswer, Session] | None:
        """Answer a request and the session to keep; None hands the message to the core."""
        logged = (core.LOGGED_LOCATION if request.kind == "location"
                  else inbound.text if inbound.text is not None else inbound.payload or "")
        state = dict(session.extra).get(core.SESSION_KEY, "")
        if request.kind == "start":
            return self._answer(core.start_reply(_provinces()), logged), with_extra(session, core.SESSION_KEY, "p")
        if request.kind == "page":
            reply = core.province_page_reply(_provinces(), request.code)
            return self._answer(reply, logged), with_extra(session, core.SESSION_KEY, "p")
        if request.kind == "ask_location":
            return self._answer(core.ask_location_reply(), logged), session
        if request.kind == "province":
            return self._province(unit, request.code, logged, session)
        if request.kind == "ward":
            return self._ward(unit, request.code, logged, session, now)
        if request.kind == "location":
            return self._near(unit, (request.lat, request.lon), logged, session, now)
        # typed while choosing
        if state == "p":
            found = units.search_province(request.text)
            if len(found) == 1:
                return self._province(unit, found[0].code, logged, session)
            if len(request.text.split()) > _TYPED_MAX_WORDS:
                return None
            buttons = [Button(p.name, payloads.make("sp", "p", str(p.code))) for p in found[:core.PAGE_SIZE]]
            reply = core.unknown_place_reply(request.text, what="tỉnh/thành phố", example="Hà Nội",
                                             buttons=buttons or core.province_page_reply(_provinces(), 0).buttons[:-2])
            return self._answer(reply, logged), session
        if state.startswith("w:") and state[2:].isdigit():
            province_code = int(state[2:])
            found = units.search_ward(province_code, request.text)
            if len(found) == 1:
                return self._ward(unit, found[0].code, logged, session, now)
            if len(request.text.split()) > _TYPED_MAX_WORDS:
                return None
            listed = found or [u for c in repo.communes_with_points(unit, province_code)
                               if (u := units.ward(c)) is not None]
            buttons = [Button(w.name, payloads.make("sp", "w", str(w.code))) for w in listed[:core.PAGE_SIZE]]
            reply = core.unknown_place_reply(request.text, what="xã/phường", example="Phường Bến Thành",
                                             buttons=buttons)
            return self._answer(reply, logged), session
        return None

    @staticmethod
    def _answer(reply: Reply, logged: str, events: tuple[Event, ...] = ()) -> TeamAnswer:
        return TeamAnswer((reply,), _MATCH, logged, events)

    def _province(self, unit: Unit, code: int, logged: str, session: Session) -> tuple[TeamAnswer, Session] | None:
        province = units.province(code)
        if province is None:
            return self._answer(core.province_page_reply(_provinces(), 0), logged), session
        listed = [(w.code, w.name) for c in repo.communes_with_points(unit, code) if (w := units.ward(c)) is not None]
        return (self._answer(core.wards_reply(province.name, listed), logged),
                with_extra(session, core.SESSION_KEY, f"w:{code}"))

    def _ward(self, unit: Unit, code: int, logged: str, session: Session,
              now: dt.datetime) -> tuple[TeamAnswer, Session] | None:
        ward = units.ward(code)
        if ward is None:
            return self._answer(core.province_page_reply(_provinces(), 0), logged), session
        points = repo.list_points(unit, commune_code=code)
        ranked = core.rank(points, now, soon_first=True)
        event = Event("support_search", (("by", "commune"), ("commune", str(code)), ("found", str(len(points)))))
        reply = core.results_reply(ranked, now, where=f"ở {ward.name}") if ranked else core.none_reply(ward.name)
        return self._answer(reply, logged, (event,)), with_extra(session, core.SESSION_KEY, None)

    def _near(self, unit: Unit, where: tuple[float, float], logged: str, session: Session,
              now: dt.datetime) -> tuple[TeamAnswer, Session]:
        lat, lon = core.round_location(*where)
        ranked = [r for r in core.rank(repo.list_points(unit), now, near=(lat, lon), soon_first=True)
                  if r.distance_m is not None and r.distance_m <= core.NEAR_MAX_M]
        event = Event("support_search", (("by", "location"), ("found", str(len(ranked)))))
        reply = (core.results_reply(ranked, now, where="gần bạn nhất") if ranked
                 else core.none_reply(core.NEAR_PLACE))
        return self._answer(reply, logged, (event,)), with_extra(session, core.SESSION_KEY, None)

    @staticmethod
    def offer(replies: tuple[Reply, ...], session: Session) -> tuple[tuple[Reply, ...], Session]:
        """After the core's general «where to get help» answer: add the province and location buttons."""
        extra = core.province_page_reply(_provinces(), 0)
        options = (*session.options, *extra.buttons)
        return (*replies, extra), with_extra(replace(session, options=options), core.SESSION_KEY, "p")
