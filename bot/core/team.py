"""Team members' chat commands, parsed and answered without I/O (the shell looks up the database).

Commands, typed on any channel (a leading ``/`` or not, with or without diacritics)::

    /thamgia CODE [tên]     join a team with an invite code ("thamgia CODE", "tham gia CODE")
    /chiase [SỐ|id|hoidap|dichvu]   the member's share links ("chia sẻ", "chiase")
    /thongke                the member's counts against the target ("thống kê")
    /dagiup [việc] [số]     record in-person help ("đã giúp muc2 3")

Buttons send ``t-<command>[-<arg>]`` payloads. A word form without a slash ("chia sẻ", "thống kê")
is only a command for a member: for anyone else it is an ordinary question for the core.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from bot.core import payloads, texts
from bot.core.content import ContentSnapshot
from bot.core.types import Button, Reply
from faq.normalize import fold
from flows.schema import Flow

__all__ = [
    "HELP_KINDS",
    "HELP_MAX",
    "LEAD_LINES_MAX",
    "TARGET",
    "CommandName",
    "MemberLine",
    "ShareItem",
    "ShareLinks",
    "StatsView",
    "TeamCommand",
    "guide_items",
    "helped_ask_reply",
    "parse_command",
    "redacted",
    "resolve_guide",
    "share_items",
    "share_reply",
    "stats_reply",
]

CommandName = Literal["join", "share", "stats", "helped"]
#: Every member must help at least this many citizens (the campaign's target).
TARGET = 10
#: At most this many people in one ``/dagiup`` record.
HELP_MAX = 50
HELP_KINDS = ("install", "level1", "level2", "service")

#: Folded command words → command; the slash forms and one-word forms are always commands.
_STRONG = {
    "/thamgia": "join", "thamgia": "join",
    "/chiase": "share", "chiase": "share",
    "/thongke": "stats", "thongke": "stats",
    "/dagiup": "helped", "dagiup": "helped",
}
#: Two-word forms ("chia sẻ"): commands for members only.
_WEAK = {("tham", "gia"): "join", ("chia", "se"): "share", ("thong", "ke"): "stats", ("da", "giup"): "helped"}
_CODE = re.compile(r"^[A-Za-z0-9-]{6,24}$")
#: Folded phrases naming a kind of in-person help, longest first.
_HELP_WORDS: tuple[tuple[str, str], ...] = (
    ("cai dat", "install"), ("cai app", "install"), ("cai vneid", "install"), ("cai", "install"),
    ("install", "install"), ("vneid", "install"),
    ("muc 1", "level1"), ("muc1", "level1"), ("level1", "level1"), ("l1", "level1"), ("dang ky", "level1"),
    ("muc 2", "level2"), ("muc2", "level2"), ("level2", "level2"), ("l2", "level2"), ("dinh danh", "level2"),
    ("dich vu cong", "service"), ("dich vu", "service"), ("dichvu", "service"), ("dvc", "service"),
    ("service", "service"),
)


@dataclass(frozen=True, slots=True)
class TeamCommand:
    """A parsed team command.

    ``arg``: the invite code (join), the topic (share), the kind of help (helped). ``name_text``: the
    display name typed after the code. ``strong``: typed in a form that is always a command.
    """

    name: CommandName
    arg: str = ""
    count: int | None = 1
    name_text: str = ""
    strong: bool = True


def _head(text: str) -> tuple[str, str, bool] | None:
    """(command, the rest as typed, strong) when ``text`` starts with a command word."""
    parts = text.strip().split(None, 2)
    if not parts:
        return None
    first = fold(parts[0].split("@", 1)[0]) if not parts[0].startswith("/") else "/" + fold(parts[0][1:].split("@", 1)[0])
    first = first.replace(" ", "")
    if first in _STRONG:
        return _STRONG[first], text.strip().split(None, 1)[1] if len(parts) > 1 else "", True
    if len(parts) >= 2:
        pair = (fold(parts[0]), fold(parts[1]))
        if pair in _WEAK:
            return _WEAK[pair], parts[2] if len(parts) > 2 else "", False
    return None


def _help(rest: str) -> tuple[str, int | None]:
    """(kind or "", count or None when the count is not a number in range)."""
    folded = fold(rest)
    kind = ""
    for phrase, k in _HELP_WORDS:
        if folded == phrase or folded.startswith(phrase + " "):
            kind, folded = k, folded[len(phrase):].strip()
            break
    if not kind:
        return "", 1
    if not folded:
        return kind, 1
    if folded.isdigit() and 1 <= int(folded) <= HELP_MAX:
        return kind, int(folded)
    return kind, None


def parse_command(*, text: str | None, payload: str | None) -> TeamCommand | None:
    """The team command in a message, or None when it is not one."""
    if payload is not None:
        parsed = payloads.parse(payload)
        if parsed is None or parsed.kind != "t":
            return None
        name = {"thamgia": "join", "chiase": "share", "thongke": "stats", "dagiup": "helped"}.get(parsed.args[0])
        if name is None:
            return None
        arg = parsed.args[1] if len(parsed.args) > 1 else ""
        if name == "helped":
            return TeamCommand("helped", arg if arg in HELP_KINDS else "", 1)
        return TeamCommand(name, arg)  # type: ignore[arg-type]
    if not text:
        return None
    head = _head(text)
    if head is None:
        return None
    name, rest, strong = head
    if name == "join":
        code, _, display = rest.strip().partition(" ")
        if not strong and not (_CODE.match(code) and any(c.isdigit() for c in code)):
            return None  # "tham gia lớp học…" is an ordinary sentence
        return TeamCommand("join", code.upper()[:40], name_text=" ".join(display.split())[:80], strong=strong)
    if name == "helped":
        kind, count = _help(rest)
        return TeamCommand("helped", kind, count, strong=strong)
    return TeamCommand(name, " ".join(rest.split())[:60], strong=strong)  # type: ignore[arg-type]


def redacted(command: TeamCommand) -> str:
    """What the message log keeps of a command: never the invite code."""
    if command.name == "join":
        return "/thamgia ***"
    if command.name == "helped":
        return f"/dagiup {command.arg} {command.count or ''}".strip()
    return {"share": "/chiase", "stats": "/thongke"}[command.name] + (f" {command.arg}" if command.arg else "")


# --- share links ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ShareItem:
    """Something a member can link to: its kind (menu, flow, step, faq, service), id, title, payload."""

    kind: str
    id: str
    title: str
    payload: str


@dataclass(frozen=True, slots=True)
class ShareLinks:
    """Where links point: the web chat, and the Telegram bot when it runs."""

    public_base_url: str
    telegram_username: str | None = None

    def web(self, payload: str, code: str) -> str:
        """``<PUBLIC_BASE_URL>/?start=<payload>-r<code>``."""
        return f"{self.public_base_url.rstrip('/')}/?start={payloads.with_referral(payload, code)}"

    def telegram(self, payload: str, code: str) -> str | None:
        """``https://t.me/<bot>?start=<payload>-r<code>``, or None without Telegram.

        Zalo: neither platform documents a deep link that carries a payload into the chat
        (../shared/reference/channels.md §3.2, §3.4: unconfirmed), so there is no Zalo link; members
        share the web link there.
        """
        if not self.telegram_username:
            return None
        return f"https://t.me/{self.telegram_username}?start={payloads.with_referral(payload, code)}"


def _guides(content: ContentSnapshot) -> list[Flow]:
    """The guides in main-menu order, then the others in load order."""
    menu = [b.payload[2:] for b in texts.MAIN_MENU if b.payload.startswith("f-")]
    flows = list(content.flows.all())
    return sorted(flows, key=lambda f: (menu.index(f.id) if f.id in menu else len(menu), flows.index(f)))


def guide_items(content: ContentSnapshot) -> list[ShareItem]:
    """The guides, in menu order."""
    return [ShareItem("flow", f.id, f.title, payloads.make("f", f.id)) for f in _guides(content)]


def share_items(content: ContentSnapshot) -> list[ShareItem]:
    """Everything linkable: the menu, every guide and its steps, every FAQ entry and service card."""
    items = [ShareItem("menu", "menu", "Menu chính", "menu")]
    for flow in _guides(content):
        items.append(ShareItem("flow", flow.id, flow.title, payloads.make("f", flow.id)))
        for step in flow.steps[1:]:
            items.append(ShareItem("step", f"{flow.id}/{step.id}", _first_words(step.text),
                                   payloads.make("f", flow.id, step.id)))
    for entry in content.faq.values():
        if entry.kind == "faq":
            items.append(ShareItem("faq", entry.id, entry.title, payloads.make("q", entry.id)))
    for svc in content.catalogue.list():
        items.append(ShareItem("service", svc.id, svc.title, payloads.make("s", svc.id)))
    return items


def _first_words(text: str, n: int = 8) -> str:
    words = text.split()
    return " ".join(words[:n]) + ("…" if len(words) > n else "")


def resolve_guide(content: ContentSnapshot, topic: str) -> str | None:
    """A guide id from ``/chiase`` 's argument: its number in the list, its id or its title."""
    guides = _guides(content)
    t = topic.strip()
    if t.isdigit() and 1 <= int(t) <= len(guides):
        return guides[int(t) - 1].id
    if content.flows.get(t.lower()) is not None:
        return t.lower()
    folded = fold(t)
    for f in guides:
        if folded and (fold(f.title) == folded or folded in fold(f.title)):
            return f.id
    return None


def _link_lines(items: Sequence[ShareItem], links: ShareLinks, code: str, *, numbered: bool) -> list[str]:
    lines: list[str] = []
    for i, item in enumerate(items, start=1):
        lines.append(f"{i}. {item.title}" if numbered else f"• {item.title}")
        lines.append("   " + texts.TEAM_SHARE_WEB.format(url=links.web(item.payload, code)))
        tg = links.telegram(item.payload, code)
        if tg is not None:
            lines.append("   " + texts.TEAM_SHARE_TELEGRAM.format(url=tg))
    return lines


def share_reply(content: ContentSnapshot, *, topic: str, member_name: str, code: str, links: ShareLinks,
                leaflet_url: str) -> tuple[Reply, str | None]:
    """The ``/chiase`` answer and the guide it is about (None for a list). ``leaflet_url`` has ``{flow}``
    and ``{size}`` placeholders."""
    head = texts.TEAM_SHARE_HEAD.format(name=member_name)
    folded = fold(topic)
    guide_buttons = tuple(Button(f.title[:30], f"t-chiase-{f.id}") for f in _guides(content)[:5])
    if not topic:
        menu = [ShareItem("menu", "menu", "Menu chính", "menu")]
        lines = [head, "", texts.TEAM_SHARE_MENU, *_link_lines(menu, links, code, numbered=False), "",
                 texts.TEAM_SHARE_GUIDES, *_link_lines(guide_items(content), links, code, numbered=True), "",
                 texts.TEAM_SHARE_MORE]
        return Reply("\n".join(lines), guide_buttons), None
    if folded.replace(" ", "") in ("hoidap", "cauhoi", "faq"):
        items = [i for i in share_items(content) if i.kind == "faq"]
        return Reply("\n".join([head, "", texts.TEAM_SHARE_FAQ, *_link_lines(items, links, code, numbered=False)])), None
    if folded.replace(" ", "") in ("dichvu", "dichvucong", "dvc"):
        items = [i for i in share_items(content) if i.kind == "service"]
        return Reply("\n".join([head, "", texts.TEAM_SHARE_SERVICES,
                                *_link_lines(items, links, code, numbered=False)])), None
    guide = resolve_guide(content, topic)
    flow = content.flows.get(guide) if guide else None
    if flow is None:
        return Reply(texts.TEAM_SHARE_UNKNOWN.format(topic=topic), guide_buttons), None
    steps = [i for i in share_items(content) if i.kind == "step" and i.id.startswith(flow.id + "/")]
    whole = ShareItem("flow", flow.id, flow.title, payloads.make("f", flow.id))
    lines = [head, "", *_link_lines([whole], links, code, numbered=False), "",
             texts.TEAM_SHARE_LEAFLET.format(title=flow.title, a4=leaflet_url.format(flow=flow.id, size="a4"),
                                             a5=leaflet_url.format(flow=flow.id, size="a5")),
             "", texts.TEAM_SHARE_STEPS.format(title=flow.title), *_link_lines(steps, links, code, numbered=False)]
    return Reply("\n".join(lines)), flow.id


# --- stats --------------------------------------------------------------------------------------


#: A team lead's ``/thongke`` lists at most this many members (the console shows them all).
LEAD_LINES_MAX = 20


@dataclass(frozen=True, slots=True)
class MemberLine:
    """One member's counts, as a team lead sees them (a member's name and numbers, never a citizen)."""

    name: str
    reached: int
    completed: int
    in_person: int
    helped: int


@dataclass(frozen=True, slots=True)
class StatsView:
    """A member's counts and their team's place in the commune (counts only, never who).

    ``team``: for a team lead, every member of the team (the lead included); empty for anyone else.
    """

    member_name: str
    team_name: str
    reached: int
    completed: int
    completed_citizens: int
    in_person: int
    rank: int | None = None
    teams: int | None = None
    commune_name: str | None = None
    team: tuple[MemberLine, ...] = ()

    @property
    def helped(self) -> int:
        """Citizens helped: those who finished a guide through the member's link, plus in-person help."""
        return self.completed_citizens + self.in_person


def stats_reply(view: StatsView) -> Reply:
    """The ``/thongke`` answer."""
    text = texts.TEAM_STATS.format(
        name=view.member_name, team=view.team_name, reached=view.reached, completed=view.completed,
        in_person=view.in_person, helped=view.helped, target=TARGET,
        done=texts.TEAM_STATS_DONE if view.helped >= TARGET else "",
    )
    if view.rank is not None and view.teams and view.commune_name:
        text += "\n" + texts.TEAM_STATS_RANK.format(rank=view.rank, teams=view.teams, commune=view.commune_name)
    if view.team:
        ranked = sorted(view.team, key=lambda m: (-m.helped, -m.reached, m.name))
        lines = [texts.TEAM_STATS_LEAD_HEAD.format(team=view.team_name, count=len(ranked))]
        lines += [texts.TEAM_STATS_LEAD_LINE.format(
            name=m.name, reached=m.reached, completed=m.completed, in_person=m.in_person, helped=m.helped,
            target=TARGET, done=" ✅" if m.helped >= TARGET else "") for m in ranked[:LEAD_LINES_MAX]]
        if len(ranked) > LEAD_LINES_MAX:
            lines.append(texts.TEAM_STATS_LEAD_MORE.format(count=len(ranked) - LEAD_LINES_MAX))
        text += "\n\n" + "\n".join(lines)
    return Reply(text, (Button("Lấy liên kết chia sẻ", "t-chiase"), Button("Ghi lượt giúp trực tiếp", "t-dagiup")))


def helped_ask_reply() -> Reply:
    """``/dagiup`` without a kind: which kind of help?"""
    buttons = tuple(Button(label, f"t-dagiup-{kind}") for kind, label in texts.TEAM_HELP_KINDS.items())
    return Reply(texts.TEAM_HELPED_ASK, buttons)
