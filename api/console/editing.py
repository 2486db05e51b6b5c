"""What the content editor needs besides the store: kinds, search, review states, diffs, previews.

The console edits four kinds of content through one shape of routes (``faq``, ``flows``,
``services``, ``texts``): :data:`KINDS` maps each URL name to its content kind, schema and how to
summarise and search an item. Nothing here does I/O; the routes open the units of work.
"""

from __future__ import annotations

import calendar
import dataclasses
import datetime as dt
import difflib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import yaml
from pydantic import BaseModel

from api.store import ContentRowView
from bot.core.content import ContentSnapshot
from bot.core.respond import respond
from bot.core.types import Inbound, Reply, Session
from bot.core.ui_texts import DEFAULTS, TEXT_LABELS, UiText
from faq.normalize import fold
from faq.schema import FaqEntry
from flows.catalogue import service_card
from flows.schema import Flow, Service

__all__ = [
    "ANSWER_SOFT_MAX",
    "EXPIRY_DAYS",
    "KINDS",
    "REVIEW_MONTHS",
    "KindSpec",
    "ReviewState",
    "diff_text",
    "matches",
    "preview_faq",
    "preview_service",
    "review_state",
    "summary",
]

#: The answer length a phone shows without scrolling (content-style.md).
ANSWER_SOFT_MAX = 700
#: «Cần xem lại»: not reviewed for this many months…
REVIEW_MONTHS = 12
#: …or expiring (``valid_until``) within this many days.
EXPIRY_DAYS = 30

ReviewState = Literal["ok", "overdue", "expiring", "expired"]


@dataclass(frozen=True, slots=True)
class KindSpec:
    """One editable kind of content as the console shows it."""

    slug: str
    kind: str
    schema: type[BaseModel]
    #: Vietnamese name of the kind, for page titles.
    label: str
    #: The text a search looks in.
    haystack: Callable[[Mapping[str, Any]], Iterable[str]]
    #: True when new items may be created (texts have fixed ids).
    creatable: bool = True


def _faq_text(d: Mapping[str, Any]) -> Iterable[str]:
    return [d.get("id", ""), d.get("title", ""), *d.get("questions", ()), d.get("answer", ""), *d.get("tags", ())]


def _flow_text(d: Mapping[str, Any]) -> Iterable[str]:
    steps = d.get("steps", ())
    return [d.get("id", ""), d.get("title", ""), d.get("summary", ""), *d.get("triggers", ()),
            *(s.get("text", "") for s in steps), *(c.get("label", "") for s in steps for c in s.get("choices", ()))]


def _service_text(d: Mapping[str, Any]) -> Iterable[str]:
    return [d.get("id", ""), d.get("title", ""), d.get("name", ""), d.get("summary", ""), *d.get("keywords", ())]


def _text_text(d: Mapping[str, Any]) -> Iterable[str]:
    ident = str(d.get("id", ""))
    return [ident, d.get("text", ""), TEXT_LABELS.get(ident, "")]


KINDS: Mapping[str, KindSpec] = {
    "faq": KindSpec("faq", "faq", FaqEntry, "Hỏi đáp", _faq_text),
    "flows": KindSpec("flows", "flow", Flow, "Hướng dẫn", _flow_text),
    "services": KindSpec("services", "service", Service, "Dịch vụ", _service_text),
    "texts": KindSpec("texts", "text", UiText, "Câu giao diện", _text_text, creatable=False),
}


def matches(spec: KindSpec, data: Mapping[str, Any], query: str) -> bool:
    """True when every word of ``query`` (folded: no diacritics, lower case) is in the item's text."""
    words = fold(query).split()
    if not words:
        return True
    text = fold(" ".join(str(part) for part in spec.haystack(data)))
    return all(word in text for word in words)


def _months_before(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    return dt.date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def _date(value: Any) -> dt.date | None:
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return None
    return value if isinstance(value, dt.date) else None


def review_state(data: Mapping[str, Any], *, today: dt.date) -> ReviewState:
    """Expired or expiring (``valid_until``) first, then overdue (reviewed over 12 months ago)."""
    until = _date(data.get("valid_until"))
    if until is not None and until < today:
        return "expired"
    if until is not None and until <= today + dt.timedelta(days=EXPIRY_DAYS):
        return "expiring"
    reviewed = _date(data.get("reviewed"))
    if reviewed is not None and reviewed < _months_before(today, REVIEW_MONTHS):
        return "overdue"
    return "ok"


def summary(spec: KindSpec, row: ContentRowView | None, *, ident: str | None = None,
            today: dt.date) -> dict[str, Any]:
    """One line of a list: id, title, state, who saved it last."""
    data: Mapping[str, Any] = row.data if row is not None else {"id": ident, "text": DEFAULTS.get(ident or "", "")}
    if spec.kind == "text":
        title = TEXT_LABELS.get(str(data["id"]), str(data["id"]))
    else:
        title = str(data.get("title", data["id"]))
    return {
        "id": str(data["id"]),
        "title": title,
        "status": str(data.get("status", "published")),
        "tags": list(data.get("tags", ())),
        "sector": data.get("sector"),
        "reviewed": data.get("reviewed"),
        "valid_until": data.get("valid_until"),
        "review": review_state(data, today=today),
        "version": row.version if row is not None else 0,
        "updated_by": row.updated_by if row is not None else "",
        "updated_at": row.updated_at if row is not None else None,
        "edited": row.edited if row is not None else False,
    }


class _Dumper(yaml.SafeDumper):
    """YAML as people write it: multi-line texts as ``|`` blocks, so a diff shows changed lines."""


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|" if "\n" in value else None)


_Dumper.add_representer(str, _str)


def _yaml_lines(data: Mapping[str, Any] | None) -> list[str]:
    if data is None:
        return []
    text = yaml.dump(dict(data), Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=100)
    return text.splitlines()


def diff_text(before: Mapping[str, Any] | None, after: Mapping[str, Any] | None) -> str:
    """A unified diff of two versions as YAML (what a reviewer reads), empty when equal."""
    lines = difflib.unified_diff(_yaml_lines(before), _yaml_lines(after), "trước", "sau", lineterm="", n=2)
    return "\n".join(lines)


def _reply_view(replies: Sequence[Reply]) -> list[dict[str, Any]]:
    return [{"text": r.text, "buttons": [b.label for b in r.buttons]} for r in replies]


def _day_for(entry: FaqEntry, today: dt.date) -> dt.date:
    """A day the entry is served on: today when it can be, else the start or end of its window."""
    if entry.is_valid_on(today):
        return today
    if entry.valid_from is not None and today < entry.valid_from:
        return entry.valid_from
    return entry.valid_until or today


def preview_faq(content: ContentSnapshot, entry: FaqEntry, *, now: dt.datetime) -> list[dict[str, Any]]:
    """The replies the chat sends for ``entry`` (as if published), computed by the core's ``respond``."""
    published = entry.model_copy(update={"status": "published"})
    snap = dataclasses.replace(content, faq={**content.faq, entry.id: published})
    day = _day_for(entry, now.date())
    at = now if day == now.date() else dt.datetime.combine(day, dt.time(12), tzinfo=now.tzinfo)
    turn = respond(Inbound(payload=f"q-{entry.id}"), Session(), snap, at)
    return _reply_view(turn.replies)


def preview_service(content: ContentSnapshot, service: Service, *, today: dt.date) -> list[dict[str, Any]]:
    """The service card the chat sends for ``service`` (built by the catalogue's own code)."""
    services = [s for s in content.catalogue.services if s.id != service.id]
    catalogue = type(content.catalogue).build(
        [*services, service], content.catalogue.life_events, content.catalogue.sectors,
        faq_titles={e.id: e.title for e in content.faq.values() if e.kind == "faq"},
    )
    card = service_card(catalogue, service.id, today=today)
    return _reply_view([card] if card is not None else [])
