"""A service facet by facet: answer the one thing asked (the fee, where, which papers…), then offer the rest.

Pure: built from validated :mod:`flows.schema` services; the date is passed in. A facet or
situation outside its ``valid_from``..``valid_until`` window is never served. Payload:
``sf-<service>-<facet or situation id>`` (see :mod:`bot.core.payloads`).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from bot.core import texts
from bot.core.payloads import make
from bot.core.types import Button
from flows.schema import FACET_KEYS, Facet, FacetKey, Service, Situation

__all__ = [
    "CARD_BUTTON_LABEL",
    "FACET_BUTTONS_MAX",
    "GUIDE_BUTTON_LABEL",
    "HEDGE_LINE",
    "FacetAnswer",
    "available_facets",
    "available_situations",
    "facet_labels",
    "facet_payload",
    "render_facet",
    "short_source",
]

#: The button label of each facet, as a citizen would ask it.
facet_labels: Mapping[FacetKey, str] = MappingProxyType(
    {
        "who": "Ai được làm",
        "online": "Làm online ở đâu",
        "in_person": "Làm trực tiếp ở đâu",
        "documents": "Cần chuẩn bị gì",
        "fee": "Lệ phí",
        "time": "Bao lâu có kết quả",
        "result": "Nhận được gì",
    }
)
#: At most this many other facets are offered under an answer.
FACET_BUTTONS_MAX = 3
CARD_BUTTON_LABEL = "Xem cả thủ tục"
GUIDE_BUTTON_LABEL = "Xem các bước"
HEDGE_LINE = (
    "⚠️ Điểm này chưa chắc chắn hoặc có thể khác tùy nơi: bạn nên hỏi lại nơi tiếp nhận hồ sơ "
    "hoặc xem trang thủ tục trên dichvucong.gov.vn."
)
#: A page address in a source; the chat shows only its site (the full address stays in the content).
_URL_RE = re.compile(r"https?://(?:www\.)?([^/\s;)]+)[^\s;)]*")
#: After one facet, the ones a citizen most likely asks next (the rest follow in FACET_KEYS order).
_NEXT: Mapping[FacetKey, tuple[FacetKey, ...]] = MappingProxyType(
    {
        "who": ("documents", "online", "in_person"),
        "online": ("documents", "fee", "time"),
        "in_person": ("documents", "fee", "time"),
        "documents": ("online", "in_person", "fee"),
        "fee": ("documents", "time", "online"),
        "time": ("result", "documents", "fee"),
        "result": ("time", "documents", "fee"),
    }
)
#: After a situation, the facets most useful next.
_AFTER_SITUATION: tuple[FacetKey, ...] = ("documents", "online", "in_person", "fee", "time", "who", "result")


@dataclass(frozen=True, slots=True)
class FacetAnswer:
    """One facet (or situation) of a service, answered first, with buttons to the rest."""

    service_id: str
    #: The facet key or situation id answered.
    key: str
    text: str
    buttons: tuple[Button, ...]
    uncertain: bool = False


def facet_payload(service_id: str, key: str) -> str:
    """The payload of the button that opens one facet or situation of a service."""
    return make("sf", service_id, key)


def available_facets(service: Service, today: dt.date) -> list[FacetKey]:
    """The facets of ``service`` that may be shown on ``today``, in :data:`FACET_KEYS` order."""
    return [k for k in FACET_KEYS if service.facet_on(k, today) is not None]


def available_situations(service: Service, today: dt.date) -> list[Situation]:
    """The situations of ``service`` that may be shown on ``today``, in file order."""
    return [s for s in service.situations if s.is_valid_on(today)]


def _date(day: dt.date) -> str:
    return f"{day.day:02d}/{day.month:02d}/{day.year}"


def short_source(source: str) -> str:
    """A source as the chat shows it: each page address cut to its site («thanhnien.vn»)."""
    return _URL_RE.sub(lambda m: m.group(1), source)


def _text(item: Facet | Situation) -> str:
    lines = [item.text.strip()]
    if item.uncertain:
        lines.append(HEDGE_LINE)
    lines.append(f"Nguồn: {short_source(item.source)} (cập nhật {_date(item.reviewed)})")
    return "\n\n".join(lines)


def _buttons(service: Service, today: dt.date, shown: str, order: tuple[FacetKey, ...]) -> tuple[Button, ...]:
    have = available_facets(service, today)
    ranked = [k for k in order if k in have] + [k for k in have if k not in order]
    others = [k for k in ranked if k != shown][:FACET_BUTTONS_MAX]
    out = [Button(facet_labels[k], facet_payload(service.id, k)) for k in others]
    out.append(Button(CARD_BUTTON_LABEL, make("s", service.id)))
    if service.flow is not None:
        out.append(Button(GUIDE_BUTTON_LABEL, make("f", service.flow)))
    out.append(texts.MAIN_MENU_BUTTON)
    return tuple(out)


def render_facet(service: Service, key_or_situation_id: str, today: dt.date) -> FacetAnswer | None:
    """The facet (a :data:`FacetKey`) or situation (its id) of ``service`` answered first.

    The text ends with «Nguồn: … (cập nhật dd/mm/yyyy)», after a hedge line when the item is
    uncertain. A facet with dated versions (``facet_versions``) serves the one valid on ``today``.
    Buttons: up to three other facets of the service, «Xem cả thủ tục» (the card),
    the guide when the service has one, and the main menu. None when the service has no such
    facet or situation, or when it is outside its validity window on ``today``.
    """
    key = key_or_situation_id
    item: Facet | Situation | None
    if key in FACET_KEYS:
        facet_key: FacetKey = next(k for k in FACET_KEYS if k == key)
        item = service.facet_on(facet_key, today)
        order = _NEXT[facet_key]
    else:
        item = service.situation(key)
        order = _AFTER_SITUATION
    if item is None or not item.is_valid_on(today):
        return None
    return FacetAnswer(
        service_id=service.id,
        key=key,
        text=_text(item),
        buttons=_buttons(service, today, key, order),
        uncertain=item.uncertain,
    )
