"""The unanswered inbox: open questions grouped, and what an editor does with a group.

Rows of ``unanswered`` (already masked; eval and CLI traffic never reach it) whose status is
``open`` are grouped by :func:`faq.grouping.group_questions`, oldest first, so a group's id is
the id of its oldest row and stays the same while new questions join it. A group is recomputed
when it is acted on: the action covers the rows open in it at that moment.

Actions (each in one transaction with its content save and an audit line; the rows become
``resolved`` or ``dismissed`` with who, when and how in ``resolution``):

- add the group's question (or chosen examples) as a phrasing of an FAQ entry (a new version);
- create a new FAQ entry with the question as its first phrasing;
- add it to an off-topic decline (``kind: offtopic``), existing or new;
- dismiss.

Exceptions::

    ApiError
    ├── GroupNotFound  404, no open group has this id (already handled, or a wrong id)
    └── InboxRefused   422, the action's input is wrong; ``errors`` are (field, message) pairs
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Literal

from sqlmodel import col, select, update

from api.console.security import Principal, audit
from api.content import InvalidContent, VersionConflict, save_entry
from api.errors import ApiError
from api.store import Unit
from api.store.models import Unanswered
from bot.core.content import ContentSnapshot
from faq.grouping import group_questions
from faq.normalize import fold
from faq.schema import ENTRY_ID_RE

__all__ = [
    "EXAMPLES",
    "MAX_OPEN",
    "MAX_PHRASING",
    "EntryPick",
    "Group",
    "GroupNotFound",
    "InboxRefused",
    "NewEntry",
    "add_phrasing",
    "create_entry",
    "dismiss",
    "find_group",
    "open_groups",
    "search_entries",
    "suggestions",
    "to_offtopic",
]

#: Examples shown per group.
EXAMPLES: Final = 5
#: The newest open rows grouped (grouping is quadratic in distinct questions: ~2 s at 2,000).
MAX_OPEN: Final = 2000
#: A phrasing longer than this is not a phrasing (a pasted message): refused.
MAX_PHRASING: Final = 300
#: ``content_versions.action`` of the saves made from the inbox.
_ACTION: Final = "inbox"


class GroupNotFound(ApiError):
    """No open group has this id."""

    status = 404


class InboxRefused(ApiError):
    """The action's input is wrong; nothing was saved."""

    status = 422

    def __init__(self, errors: Sequence[tuple[str, str]]) -> None:
        super().__init__("; ".join(f"{f}: {m}" for f, m in errors))
        self.errors = list(errors)


@dataclass(slots=True)
class Group:
    """Similar open questions."""

    id: int
    row_ids: list[int]
    #: Every distinct question text, most asked first.
    questions: list[str]
    first_seen: dt.datetime
    last_seen: dt.datetime
    reasons: dict[str, int]
    #: For «Chưa đúng»: the entries that were given, with how often.
    entries: dict[str, int] = field(default_factory=dict)

    @property
    def count(self) -> int:
        """How many times it was asked."""
        return len(self.row_ids)

    @property
    def representative(self) -> str:
        """The question added by default: the most asked wording (with diacritics when tied)."""
        return self.questions[0]

    @property
    def examples(self) -> list[str]:
        """Up to :data:`EXAMPLES` distinct wordings."""
        return self.questions[:EXAMPLES]

    def as_dict(self, titles: Mapping[str, str] | None = None) -> dict[str, Any]:
        """The JSON shape of ``GET /api/v1/admin/unanswered``."""
        titles = titles or {}
        return {
            "id": self.id,
            "count": self.count,
            "question": self.representative,
            "examples": self.examples,
            "first_seen": self.first_seen.isoformat(),
            "last_seen": self.last_seen.isoformat(),
            "reasons": dict(self.reasons),
            "given_entries": [{"id": e, "title": titles.get(e), "count": n} for e, n in self.entries.items()],
        }


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def _has_marks(text: str) -> bool:
    return fold(text) != " ".join(text.lower().split())


def open_groups(unit: Unit) -> list[Group]:
    """The open questions grouped, most asked first (then most recent)."""
    rows = unit.session.exec(
        select(Unanswered)
        .where(col(Unanswered.status) == "open", col(Unanswered.question).is_not(None))
        .order_by(col(Unanswered.created_at).desc(), col(Unanswered.id).desc())
        .limit(MAX_OPEN)
    ).all()
    rows = sorted(rows, key=lambda r: (_aware(r.created_at), r.id or 0))
    texts = [(r.question or "").strip() for r in rows]
    groups: list[Group] = []
    for members in group_questions(texts):
        picked = [rows[i] for i in members]
        wording = Counter(texts[i] for i in members)
        order = {t: n for n, t in enumerate(dict.fromkeys(texts[i] for i in members))}
        questions = sorted(wording, key=lambda t: (-wording[t], not _has_marks(t), order[t]))
        groups.append(Group(
            id=min(r.id or 0 for r in picked),
            row_ids=[r.id for r in picked if r.id is not None],
            questions=[q for q in questions if q],
            first_seen=min(_aware(r.created_at) for r in picked),
            last_seen=max(_aware(r.created_at) for r in picked),
            reasons=dict(Counter(r.reason for r in picked)),
            entries=dict(Counter(r.entry_id for r in picked if r.reason == "feedback_no" and r.entry_id)),
        ))
    groups = [g for g in groups if g.questions]
    groups.sort(key=lambda g: (-g.count, -g.last_seen.timestamp(), g.id))
    return groups


def find_group(unit: Unit, group_id: int) -> Group:
    """The open group with this id; :class:`GroupNotFound` otherwise."""
    for group in open_groups(unit):
        if group.id == group_id:
            return group
    raise GroupNotFound(f"no open question group {group_id}: it was handled already or does not exist")


def _close(unit: Unit, group: Group, *, status: Literal["resolved", "dismissed"], resolution: str,
           who: Principal, now: dt.datetime) -> None:
    unit.session.exec(
        update(Unanswered)
        .where(col(Unanswered.id).in_(group.row_ids), col(Unanswered.status) == "open")
        .values(status=status, resolved_at=now, resolved_by=who.username[:64], resolution=resolution)
    )


def _chosen(group: Group, questions: Sequence[str] | None) -> list[str]:
    """The wordings to add: the representative, or the chosen ones (which must be in the group)."""
    picked = [q.strip() for q in questions or () if q.strip()] or [group.representative]
    known = set(group.questions)
    strangers = [q for q in picked if q not in known]
    if strangers:
        raise InboxRefused([("questions", "choose among the group's questions")])
    too_long = [q for q in picked if len(q) > MAX_PHRASING]
    if too_long:
        message = f"a phrasing has at most {MAX_PHRASING} characters; write a shorter one in the FAQ editor"
        raise InboxRefused([("questions", message)])
    return list(dict.fromkeys(picked))


def _append(unit: Unit, *, entry_id: str, kind: Literal["faq", "offtopic"], new: Sequence[str],
            who: Principal, now: dt.datetime) -> list[str]:
    """Add ``new`` phrasings to an entry (those it does not have yet, folded); returns the added ones."""
    row = unit.content_row(kind="faq", id=entry_id)
    if row is None or row.data.get("kind", "faq") != kind:
        what = "FAQ entry" if kind == "faq" else "off-topic entry"
        raise InboxRefused([("entry_id", f"no {what} with the id {entry_id!r}")])
    have = {fold(q) for q in row.data.get("questions", ())}
    added = [q for q in new if fold(q) not in have]
    if added:
        data = {**row.data, "questions": [*row.data.get("questions", ()), *added]}
        _save(unit, entry_id=entry_id, data=data, base_version=row.version, who=who, now=now)
    return added


def _save(unit: Unit, *, entry_id: str, data: Mapping[str, Any], base_version: int | None, who: Principal,
          now: dt.datetime) -> None:
    try:
        save_entry(unit, kind="faq", id=entry_id, data=data, base_version=base_version, by=who.username,
                   now=now, action=_ACTION)
    except InvalidContent as exc:
        raise InboxRefused(exc.errors) from None
    except VersionConflict:
        raise InboxRefused([("entry_id", "the entry was just changed by someone else: try again")]) from None


def add_phrasing(unit: Unit, *, group_id: int, entry_id: str, questions: Sequence[str] | None, who: Principal,
                 ip: str, now: dt.datetime) -> dict[str, Any]:
    """Add the group's question (or the chosen wordings) to an FAQ entry; close the group."""
    group = find_group(unit, group_id)
    added = _append(unit, entry_id=entry_id, kind="faq", new=_chosen(group, questions), who=who, now=now)
    _close(unit, group, status="resolved", resolution=f"phrasing:faq/{entry_id}", who=who, now=now)
    audit(unit, who=who, action="inbox_add_phrasing", target=f"faq/{entry_id}", ip=ip, now=now,
          detail={"group": group.id, "rows": len(group.row_ids), "added": added})
    return {"group": group.id, "entry_id": entry_id, "added": added, "resolved": group.count}


@dataclass(frozen=True, slots=True)
class NewEntry:
    """The fields an editor gives for a new entry made from a question."""

    title: str
    answer: str
    source: str
    reviewed: str
    id: str = ""


def _slug(title: str) -> str:
    base = re.sub(r"[^a-z0-9]+", "_", fold(title)).strip("_")[:32].strip("_")
    return base if len(base) >= 2 else "cau_hoi"


def _new_id(unit: Unit, wanted: str, title: str) -> str:
    if wanted:
        if not ENTRY_ID_RE.match(wanted):
            raise InboxRefused([("id", "2-40 characters of a-z, 0-9 and _")])
        if unit.content_row(kind="faq", id=wanted) is not None:
            raise InboxRefused([("id", f"the id {wanted!r} is taken")])
        return wanted
    base = _slug(title)
    candidate, n = base, 1
    while unit.content_row(kind="faq", id=candidate) is not None:
        n += 1
        candidate = f"{base}_{n}"
    return candidate


def _create(unit: Unit, *, group: Group, entry: NewEntry, kind: Literal["faq", "offtopic"],
            questions: Sequence[str] | None, who: Principal, now: dt.datetime) -> str:
    entry_id = _new_id(unit, entry.id.strip(), entry.title)
    data = {"id": entry_id, "kind": kind, "title": entry.title, "questions": _chosen(group, questions),
            "answer": entry.answer, "source": entry.source, "reviewed": entry.reviewed}
    _save(unit, entry_id=entry_id, data=data, base_version=None, who=who, now=now)
    return entry_id


def create_entry(unit: Unit, *, group_id: int, entry: NewEntry, questions: Sequence[str] | None, who: Principal,
                 ip: str, now: dt.datetime) -> dict[str, Any]:
    """A new FAQ entry with the group's question as its first phrasing; close the group."""
    group = find_group(unit, group_id)
    entry_id = _create(unit, group=group, entry=entry, kind="faq", questions=questions, who=who, now=now)
    _close(unit, group, status="resolved", resolution=f"created:faq/{entry_id}", who=who, now=now)
    audit(unit, who=who, action="inbox_create_entry", target=f"faq/{entry_id}", ip=ip, now=now,
          detail={"group": group.id, "rows": len(group.row_ids)})
    return {"group": group.id, "entry_id": entry_id, "resolved": group.count}


def to_offtopic(unit: Unit, *, group_id: int, entry_id: str | None, entry: NewEntry | None,
                questions: Sequence[str] | None, who: Principal, ip: str, now: dt.datetime) -> dict[str, Any]:
    """Add the question to an off-topic decline (``entry_id``) or a new one (``entry``); close the group."""
    group = find_group(unit, group_id)
    if entry_id:
        added = _append(unit, entry_id=entry_id, kind="offtopic", new=_chosen(group, questions), who=who, now=now)
    elif entry is not None:
        entry_id = _create(unit, group=group, entry=entry, kind="offtopic", questions=questions, who=who, now=now)
        added = _chosen(group, questions)
    else:
        raise InboxRefused([("entry_id", "choose an off-topic entry or describe a new one")])
    _close(unit, group, status="resolved", resolution=f"offtopic:faq/{entry_id}", who=who, now=now)
    audit(unit, who=who, action="inbox_offtopic", target=f"faq/{entry_id}", ip=ip, now=now,
          detail={"group": group.id, "rows": len(group.row_ids), "added": added})
    return {"group": group.id, "entry_id": entry_id, "added": added, "resolved": group.count}


def dismiss(unit: Unit, *, group_id: int, who: Principal, ip: str, now: dt.datetime) -> dict[str, Any]:
    """Close the group without teaching the bot anything."""
    group = find_group(unit, group_id)
    _close(unit, group, status="dismissed", resolution="dismissed", who=who, now=now)
    audit(unit, who=who, action="inbox_dismiss", target=f"unanswered/{group.id}", ip=ip, now=now,
          detail={"rows": len(group.row_ids)})
    return {"group": group.id, "resolved": group.count}


# -- picking an entry ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EntryPick:
    """An entry offered in the inbox's pickers."""

    id: str
    kind: str
    title: str

    def as_dict(self) -> dict[str, str]:
        """JSON shape."""
        return {"id": self.id, "kind": self.kind, "title": self.title}


def search_entries(snapshot: ContentSnapshot, query: str, *, kind: Literal["faq", "offtopic"] = "faq",
                   limit: int = 20) -> list[EntryPick]:
    """Entries of ``kind`` whose id, title, questions or tags contain every word of ``query`` (folded);
    title hits first."""
    needles = fold(query[:200]).split()
    if not needles:
        return []
    scored: list[tuple[int, str, EntryPick]] = []
    for entry in snapshot.faq.values():
        if entry.kind != kind:
            continue
        head = fold(f"{entry.id.replace('_', ' ')} {entry.title}")
        body = fold(" ".join((*entry.questions, *entry.tags)))
        if all(n in head or n in body for n in needles):
            rank = sum(n in head for n in needles)
            scored.append((-rank, entry.id, EntryPick(entry.id, entry.kind, entry.title)))
    scored.sort(key=lambda t: (t[0], t[1]))
    return [pick for _, _, pick in scored[:limit]]


def suggestions(snapshot: ContentSnapshot, question: str, *, today: dt.date, k: int = 5) -> list[EntryPick]:
    """The FAQ entries the matcher ranks highest for ``question``: likely homes for it."""
    out: list[EntryPick] = []
    for c in snapshot.matcher.explain(question, today=today, k=k * 2):
        kind, _, ident = c.key.partition(":")
        entry = snapshot.faq.get(ident)
        if kind == "faq" and entry is not None:
            out.append(EntryPick(entry.id, entry.kind, entry.title))
    return out[:k]
