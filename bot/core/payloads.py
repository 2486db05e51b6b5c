"""The one payload format for buttons, Telegram callback_data, ``/start`` and ``?start=``.

Alphabet ``A-Z a-z 0-9 _ -``, at most 64 characters. Parts are separated by
``-``; ids never contain ``-``. A base payload is at most 54 characters so a
referral suffix ``-r`` + 8 characters always fits.

=====================  ==============================================
``menu``               main menu
``m-<topic>``          a sub-menu (see ``texts.MENUS``)
``q-<faq id>``         one FAQ entry
``f-<flow>[-<step>]``  start a guided flow (optionally at a step)
``s-<service id>``     one service card
``sf-<service>-<key>``  one facet of a service (``who``, ``fee``…) or one of its situations
``cat``                the services catalogue
``ev-<life event>``    services for a life event
``sec-<sector>``       services of a sector
``c-<command>``        back, restart, exit, handoff, privacy, delete, delete_yes, resume
``fy-<faq id>``        feedback: the answer was right
``fn-<faq id>``        feedback: the answer was not what I asked
``dy-<flow>``          "Bạn đã làm xong chưa?": yes (a self-reported completion)
``dn-<flow>``          "Bạn đã làm xong chưa?": not yet
``t-<command>[-<arg>]``  a team member's command (handled by the shell, see ``bot.core.team``)
``sp-<step>[-<arg>…]``  finding a support point (handled by the shell, see ``bot.core.support``)
``an-<answer>[-<arg>]``  announcements by commune: y-<commune>, n, stop, start (see ``bot.core.announce``)
=====================  ==============================================
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.core.types import PAYLOAD_MAX, REFERRAL_LEN, is_valid_payload

__all__ = ["BASE_MAX", "Payload", "make", "parse", "with_referral"]

BASE_MAX = PAYLOAD_MAX - 2 - REFERRAL_LEN
_REF_RE = re.compile(r"^(?P<base>.+)-r(?P<ref>[A-Za-z0-9_]{%d})$" % REFERRAL_LEN)
_ID_RE = re.compile(r"^[A-Za-z0-9_]+$")
_KINDS = frozenset({"menu", "m", "q", "f", "s", "sf", "cat", "ev", "sec", "c", "fy", "fn", "dy", "dn", "t", "sp", "an"})


@dataclass(frozen=True, slots=True)
class Payload:
    """A parsed payload: its kind, its id parts and an optional referral code."""

    kind: str
    args: tuple[str, ...] = ()
    referral: str | None = None

    @property
    def arg(self) -> str | None:
        """The first id part, if any."""
        return self.args[0] if self.args else None


def make(kind: str, *args: str) -> str:
    """Build a payload; raises ValueError when it would not fit the format."""
    if kind not in _KINDS:
        raise ValueError(f"unknown payload kind {kind!r}")
    for a in args:
        if not _ID_RE.match(a):
            raise ValueError(f"payload part {a!r} must be A-Z a-z 0-9 _")
    out = "-".join((kind, *args))
    if len(out) > BASE_MAX:
        raise ValueError(f"payload {out!r} is longer than {BASE_MAX} characters")
    return out


def with_referral(payload: str, referral: str) -> str:
    """Append a referral code (exactly 8 characters of A-Z a-z 0-9 _)."""
    if len(referral) != REFERRAL_LEN or not _ID_RE.match(referral):
        raise ValueError("referral code must be 8 characters of A-Z a-z 0-9 _")
    return f"{payload}-r{referral}"


def parse(raw: str) -> Payload | None:
    """Parse a payload string; None when it is not one of ours."""
    raw = raw.strip()
    if not is_valid_payload(raw):
        return None
    referral = None
    m = _REF_RE.match(raw)
    if m and m.group("base").split("-", 1)[0] in _KINDS:
        raw, referral = m.group("base"), m.group("ref")
    parts = raw.split("-")
    kind, args = parts[0], tuple(parts[1:])
    if kind not in _KINDS or any(not a for a in args):
        return None
    if kind in {"menu", "cat"} and args:
        return None
    if kind in {"m", "q", "f", "s", "ev", "sec", "c", "fy", "fn", "dy", "dn", "t", "sp", "an"} and not args:
        return None
    if kind == "sf" and len(args) != 2:
        return None
    return Payload(kind=kind, args=args, referral=referral)
