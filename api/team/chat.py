"""Team commands and counting inside a chat turn (called by :meth:`api.conversation.Conversation.run_turn`).

The core parses nothing here: :func:`bot.core.team.parse_command` recognises a command, this module
looks things up and writes (in the turn's transaction), and :mod:`bot.core.team` words the answer.
After an ordinary turn, :meth:`TeamShell.after_turn` turns the core's ``referral`` and
``guide_done`` events into an attribution and a completion.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from api import budget_keys
from api.store import RateHit, Unit
from api.team import repo
from bot.core import payloads, texts
from bot.core import team as core_team
from bot.core.content import ContentSnapshot
from bot.core.team import MemberLine, ShareLinks, StatsView, TeamCommand
from bot.core.types import Event, Inbound, Match, MatchKind, Reply

__all__ = ["JOIN_ALL_PER_HOUR", "JOIN_TRIES", "JOIN_WINDOW_S", "TeamAnswer", "TeamShell"]

#: ``/thamgia`` attempts per chat account per window, and for the whole bot per hour.
JOIN_TRIES = 5
JOIN_WINDOW_S = 15 * 60
JOIN_ALL_PER_HOUR = 600


@dataclass(frozen=True, slots=True)
class TeamAnswer:
    """The shell's answer to a team command; ``documents`` are leaflets Telegram sends as files."""

    replies: tuple[Reply, ...]
    match: Match
    logged_text: str
    events: tuple[Event, ...] = ()
    documents: tuple[dict[str, str], ...] = field(default=())


class TeamShell:
    """Answers team commands and records attributions and completions."""

    def __init__(self, *, public_base_url: str) -> None:
        self.public_base_url = public_base_url.rstrip("/")
        #: Set by the Telegram runtime once ``getMe`` told it the bot's username.
        self.telegram_username: str | None = None

    def links(self) -> ShareLinks:
        """Where share links point right now."""
        return ShareLinks(self.public_base_url, self.telegram_username)

    def leaflet_url(self, code: str) -> str:
        """The public leaflet URL of a referral code, with ``{flow}`` and ``{size}`` to fill in."""
        return f"{self.public_base_url}/l/{code}/{{flow}}-{{size}}.pdf"

    def document(self, unit: Unit, content: ContentSnapshot, spec: Mapping[str, str]) -> bytes | None:
        """A file named by an outbox ``documents`` entry: a member's leaflet PDF (None when gone)."""
        member = repo.member_by_code(unit, spec.get("code", ""))
        flow = content.flows.get(spec.get("flow", ""))
        if spec.get("kind") != "leaflet" or member is None or flow is None:
            return None
        from api.team.leaflet import leaflet_for, leaflet_pdf  # the PDF and QR libraries load only here

        url = self.links().web(payloads.make("f", flow.id), member.referral_code)
        leaflet = leaflet_for(flow, url=url, member_name=member.display_name, team_name=member.team_name)
        return leaflet_pdf(leaflet, size="a5" if spec.get("size") == "a5" else "a4")

    @staticmethod
    def parse(inbound: Inbound) -> TeamCommand | None:
        """The team command in a message, if any (pure)."""
        return core_team.parse_command(text=inbound.text, payload=inbound.payload)

    def handle(self, unit: Unit, *, channel: str, external_id: str, command: TeamCommand,
               content: ContentSnapshot, now: dt.datetime) -> TeamAnswer | None:
        """Answer a command; None when it is not one for this account (a citizen's "chia sẻ")."""
        member = repo.member_for_chat(unit, channel=channel, external_id=external_id)
        logged = core_team.redacted(command)
        if command.name == "join":
            return self._join(unit, channel=channel, external_id=external_id, command=command, logged=logged, now=now)
        if member is None:
            if not command.strong:
                return None
            return self._answer(texts.TEAM_NOT_MEMBER, command, logged, "not_member")
        if command.name == "share":
            reply, flow = core_team.share_reply(
                content, topic=command.arg, member_name=member.display_name, code=member.referral_code,
                links=self.links(), leaflet_url=self.leaflet_url(member.referral_code))
            docs: tuple[dict[str, str], ...] = ()
            if flow is not None:
                title = content.flows.titles().get(flow, flow)
                docs = ({"kind": "leaflet", "code": member.referral_code, "flow": flow, "size": "a4",
                         "filename": f"to-roi-{flow}-a4.pdf",
                         "caption": texts.TEAM_LEAFLET_CAPTION.format(title=title)},)
            return TeamAnswer((reply,), Match(MatchKind.MENU, "team:share"), logged,
                              (Event("team_command", (("command", "share"),)),), docs)
        if command.name == "stats":
            return TeamAnswer((core_team.stats_reply(self.stats_view(unit, member)),),
                              Match(MatchKind.MENU, "team:stats"), logged, (Event("team_command", (("command", "stats"),)),))
        # helped
        if not command.arg:
            return TeamAnswer((core_team.helped_ask_reply(),), Match(MatchKind.MENU, "team:helped"), logged)
        if command.count is None:
            return self._answer(texts.TEAM_HELPED_BAD_COUNT.format(max=core_team.HELP_MAX), command, logged, "helped")
        total = repo.record_help(unit, member_id=member.id, kind=command.arg, count=command.count, now=now)
        text = texts.TEAM_HELPED.format(count=command.count, kind=texts.TEAM_HELP_KINDS[command.arg], total=total)
        return TeamAnswer((Reply(text, (texts.MAIN_MENU_BUTTON,)),), Match(MatchKind.MENU, "team:helped"), logged,
                          (Event("team_help", (("kind", command.arg), ("count", str(command.count)))),))

    @staticmethod
    def _answer(text: str, command: TeamCommand, logged: str, what: str) -> TeamAnswer:
        return TeamAnswer((Reply(text, (texts.MAIN_MENU_BUTTON,)),), Match(MatchKind.MENU, f"team:{what}"), logged)

    def _join(self, unit: Unit, *, channel: str, external_id: str, command: TeamCommand, logged: str,
              now: dt.datetime) -> TeamAnswer:
        if not command.arg:
            return self._answer(texts.TEAM_JOIN_USAGE, command, logged, "join")
        hits = (RateHit(budget_keys.team_join(channel, external_id), JOIN_TRIES, JOIN_WINDOW_S),
                RateHit(budget_keys.TEAM_JOIN_ALL, JOIN_ALL_PER_HOUR, 3600))
        wait = unit.take_rate_budget(hits=hits, now_epoch=int(now.timestamp()))
        if wait > 0:
            return self._answer(texts.TEAM_TOO_MANY_TRIES.format(minutes=max(1, -(-wait // 60))), command, logged,
                                "join_limited")
        result = repo.join(unit, channel=channel, external_id=external_id, code=command.arg,
                           display_name=command.name_text, now=now)
        if result.outcome == "bad_code" or result.member is None:
            return TeamAnswer((Reply(texts.TEAM_BAD_CODE, (texts.MAIN_MENU_BUTTON,)),),
                              Match(MatchKind.MENU, "team:join_refused"), logged,
                              (Event("team_join_refused"),))
        m = result.member
        if result.outcome == "already":
            return self._answer(texts.TEAM_ALREADY_MEMBER.format(team=m.team_name, name=m.display_name), command,
                                logged, "join")
        text = texts.TEAM_JOINED.format(name=m.display_name, team=m.team_name, target=core_team.TARGET)
        return TeamAnswer((Reply(text),), Match(MatchKind.MENU, "team:joined"), logged,
                          (Event("team_joined", (("member", str(m.id)),)),))

    @staticmethod
    def stats_view(unit: Unit, member: repo.MemberView) -> StatsView:
        """A member's counts and their team's rank in the commune; a team lead also gets each member's."""
        (stats,) = repo.member_stats(unit, members=[member])
        rank = repo.team_rank(unit, team_id=member.unit_id)
        team: tuple[MemberLine, ...] = ()
        if member.lead:
            team = tuple(MemberLine(s.name, s.reached, s.completed, s.in_person, s.helped) for s in
                         repo.member_stats(unit, members=repo.visible_members(unit, member)))
        return StatsView(member.display_name, member.team_name, stats.reached, stats.completed,
                         stats.completed_citizens, stats.in_person,
                         rank[0] if rank else None, rank[1] if rank else None, rank[2] if rank else None, team)

    @staticmethod
    def after_turn(unit: Unit, *, user_id: int, channel: str, external_id: str, events: Sequence[Event],
                   now: dt.datetime) -> None:
        """Record the attribution of a referral link and a self-reported completion."""
        for event in events:
            data: dict[str, Any] = event.as_dict()
            if event.name == "referral" and data.get("code"):
                repo.attribute(unit, user_id=user_id, channel=channel, external_id=external_id,
                               code=str(data["code"]), now=now)
            elif event.name == "guide_done" and data.get("flow"):
                repo.complete(unit, user_id=user_id, flow=str(data["flow"]), now=now)
