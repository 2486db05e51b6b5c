"""The services catalogue: browse by life event or sector, open a service card, index services.

Pure: built from validated :mod:`flows.schema` models; dates are passed in.
Payloads: ``cat`` (root), ``ev-<life event>``, ``sec-<sector>`` (``sec-all`` lists the
sectors), ``s-<service>``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Final

from bot.core import texts
from bot.core.payloads import make
from bot.core.types import Button, Reply
from faq.matcher import IndexDoc
from faq.normalize import fold, words
from flows.facets import facet_labels, facet_payload
from flows.schema import Channel, FacetKey, LifeEvent, Sector, Service

__all__ = [
    "ALL_SECTORS",
    "CARD_FACETS",
    "CARD_FACET_BUTTONS_MAX",
    "CARD_MAX",
    "CATALOGUE_BUTTON",
    "COVERAGE",
    "GENERIC_FLOW",
    "Catalogue",
    "TriggerEntry",
    "browse_root",
    "by_life_event",
    "by_sector",
    "card_buttons",
    "says_where",
    "service_card",
    "service_index_docs",
    "where_line",
]

#: ``sec-all`` shows the list of sectors (no sector may use this id).
ALL_SECTORS = "all"
CARD_MAX = 700
#: The guide offered on every card whose service has no guide of its own.
GENERIC_FLOW = "portal"
CATALOGUE_BUTTON = Button("Danh mục dịch vụ công", "cat")
SECTORS_BUTTON = Button("Xem theo ngành", "sec-all")
COVERAGE = (
    "Danh mục này có đủ 25 dịch vụ công thiết yếu của Đề án 06 (trong 53 dịch vụ công thiết yếu). "
    "28 dịch vụ còn lại (theo Quyết định 422/QĐ-TTg) chưa có ở đây: bạn gõ tên thủ tục vào ô tìm kiếm "
    "trên dichvucong.gov.vn."
)
ROOT_TEXT = "Bạn đang cần làm việc gì? Chọn một việc bên dưới, hoặc gõ tên thủ tục (ví dụ «làm hộ chiếu»)."
SECTORS_TEXT = "Chọn ngành, lĩnh vực của thủ tục bạn cần:"
_CHANNEL_TEXT: Mapping[Channel, str] = MappingProxyType(
    {
        "portal": "Cổng Dịch vụ công quốc gia (dichvucong.gov.vn)",
        "vneid": "ứng dụng VNeID",
        "commune": "cấp xã nơi bạn ở",
    }
)


#: A situation trigger's normalised words, its service's and its situation's positions.
TriggerEntry = tuple[tuple[str, ...], int, int]


@dataclass(frozen=True, slots=True)
class Catalogue:
    """An immutable catalogue of services with its life events and sectors, in display order."""

    services: tuple[Service, ...] = ()
    life_events: tuple[LifeEvent, ...] = ()
    sectors: tuple[Sector, ...] = ()
    _by_id: Mapping[str, Service] = field(default_factory=lambda: MappingProxyType({}))
    _faq_titles: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    #: :meth:`triggers_by_first_word`, made on first use.
    _triggers: Mapping[str, tuple[TriggerEntry, ...]] | None = field(
        default=None, compare=False, repr=False
    )

    @classmethod
    def build(
        cls,
        services: Sequence[Service],
        life_events: Sequence[LifeEvent],
        sectors: Sequence[Sector],
        *,
        faq_titles: Mapping[str, str] | None = None,
    ) -> Catalogue:
        """Order services by number (then name); a later duplicate id is ignored."""
        by_id: dict[str, Service] = {}
        for s in services:
            by_id.setdefault(s.id, s)
        ordered = tuple(sorted(by_id.values(), key=lambda s: (s.number or 99, s.name)))
        return cls(
            services=ordered,
            life_events=tuple(life_events),
            sectors=tuple(s for s in sectors if s.id != ALL_SECTORS),
            _by_id=MappingProxyType(by_id),
            _faq_titles=MappingProxyType(dict(faq_titles or {})),
        )

    def __len__(self) -> int:
        return len(self.services)

    def get(self, service_id: str) -> Service | None:
        """The service with this id, or None."""
        return self._by_id.get(service_id)

    def list(self, sector: str | None = None, life_event: str | None = None) -> tuple[Service, ...]:
        """Services, optionally only those of a sector and/or a life event."""
        return tuple(
            s
            for s in self.services
            if (sector is None or s.sector == sector) and (life_event is None or life_event in s.life_events)
        )

    def life_event(self, ev_id: str) -> LifeEvent | None:
        """The life event with this id, or None."""
        return next((e for e in self.life_events if e.id == ev_id), None)

    def sector(self, sec_id: str) -> Sector | None:
        """The sector with this id, or None."""
        return next((s for s in self.sectors if s.id == sec_id), None)

    def faq_title(self, faq_id: str) -> str | None:
        """Button label of an FAQ entry, when known."""
        return self._faq_titles.get(faq_id)

    def triggers_by_first_word(self) -> Mapping[str, tuple[TriggerEntry, ...]]:
        """Every situation trigger as (its normalised words, service number, situation number), keyed
        by its first word, in catalogue order: a message is scanned once for all of them."""
        if self._triggers is None:
            index: dict[str, list[TriggerEntry]] = {}
            for svc_no, svc in enumerate(self.services):
                for sit_no, sit in enumerate(svc.situations):
                    for trigger in sit.triggers:
                        phrase = tuple(words(trigger))
                        if phrase:
                            index.setdefault(phrase[0], []).append((phrase, svc_no, sit_no))
            object.__setattr__(self, "_triggers", MappingProxyType({w: tuple(e) for w, e in index.items()}))
        assert self._triggers is not None
        return self._triggers


#: The step-by-step guide to the national portal, offered from the catalogue's front page.
PORTAL_GUIDE_BUTTON = Button("Cách nộp trên Cổng DVC", "f-portal")


def browse_root(cat: Catalogue) -> Reply:
    """The catalogue's front page: life events as buttons, sectors one tap away."""
    buttons = [Button(e.title, make("ev", e.id)) for e in cat.life_events if cat.list(life_event=e.id)]
    buttons += [SECTORS_BUTTON, PORTAL_GUIDE_BUTTON, texts.MAIN_MENU_BUTTON]
    return Reply(text=f"{ROOT_TEXT}\n{COVERAGE}", buttons=tuple(buttons))


def _service_list(cat: Catalogue, heading: str, services: Sequence[Service]) -> Reply:
    buttons = [Button(s.title, make("s", s.id)) for s in services]
    buttons += [CATALOGUE_BUTTON, texts.MAIN_MENU_BUTTON]
    return Reply(text=heading, buttons=tuple(buttons))


def by_life_event(cat: Catalogue, ev_id: str) -> Reply | None:
    """Services for one life event; None when the life event is unknown or empty."""
    event = cat.life_event(ev_id)
    services = cat.list(life_event=ev_id)
    if event is None or not services:
        return None
    return _service_list(cat, f"{event.title}: {event.intro}\nChọn thủ tục bạn cần:", services)


def by_sector(cat: Catalogue, sec_id: str) -> Reply | None:
    """Services of one sector (``all``: the list of sectors); None when unknown or empty."""
    if sec_id == ALL_SECTORS:
        buttons = [Button(s.title, make("sec", s.id)) for s in cat.sectors if cat.list(sector=s.id)]
        buttons += [CATALOGUE_BUTTON, texts.MAIN_MENU_BUTTON]
        return Reply(text=SECTORS_TEXT, buttons=tuple(buttons))
    sector = cat.sector(sec_id)
    services = cat.list(sector=sec_id)
    if sector is None or not services:
        return None
    return _service_list(cat, f"{sector.title}: {sector.intro}\nChọn thủ tục bạn cần:", services)


def _reviewed(day: dt.date) -> str:
    return f"{day.month:02d}/{day.year}"


#: Words by which a text says where a procedure is done: an office, the portal or the app.
_PLACE_CUES: Final = ("uy ban nhan dan", "ubnd", "cong an", "dich vu cong", "dichvucong", "vneid",
                      "bao hiem xa hoi", "co quan", "trung tam", "so tu phap", "dai su quan", "lanh su")


def says_where(text: str) -> bool:
    """True when ``text`` already names where to do it (an office, the portal or the app): a
    situation that does needs no «Làm ở đâu» line, which might name a route it does not have."""
    padded = f" {fold(text)} "
    return any(f" {cue} " in padded for cue in _PLACE_CUES)


def where_line(svc: Service) -> str:
    """«Làm ở đâu: …» of a service: its channels, and its sourced note on where."""
    where = " hoặc ".join(_CHANNEL_TEXT[c] for c in svc.channels)
    return f"Làm ở đâu: {where}." + (f" {svc.where_note}" if svc.where_note else "")


def _card_text(svc: Service, today: dt.date | None) -> str:
    head = svc.name
    if svc.group == "de_an_06" and svc.number is not None:
        head += f" (dịch vụ công thiết yếu số {svc.number}/25, Đề án 06)"
    lines = [head, svc.summary, f"Cơ quan: {svc.body}"]
    lines.append(where_line(svc))
    if svc.prepare:
        lines.append("Chuẩn bị:")
        lines += [f"• {p}" for p in svc.prepare]
    fees = [f for f in svc.fees if (f.is_valid_on(today) if today else not (f.valid_from or f.valid_until))]
    if fees:
        lines.append("Lệ phí, thời hạn:")
        lines += [f"• {f.text}" for f in fees]
    if svc.legal_basis:
        lines.append("Căn cứ: " + "; ".join(svc.legal_basis) + ".")
    if svc.uncertain:
        lines.append("⚠️ Thông tin có thể đã thay đổi: kiểm tra trên dichvucong.gov.vn.")
    lines.append(texts.SOURCE_LINE.format(source=svc.source, reviewed=_reviewed(svc.reviewed)))
    return "\n".join(lines)


#: The facets a card offers as buttons, in this order, when the service has them on the day:
#: what a citizen most often asks next after reading the card. «Làm online ở đâu» is left to the
#: card's «Cách nộp trực tuyến».
CARD_FACETS: Final[tuple[FacetKey, ...]] = ("fee", "documents", "in_person", "time", "who", "result")
#: At most this many facet buttons on a card.
CARD_FACET_BUTTONS_MAX: Final = 3


def card_buttons(cat: Catalogue, svc: Service, today: dt.date | None = None) -> tuple[Button, ...]:
    """Buttons of a service card: its guide, how to submit online, related FAQ, then (with
    ``today``) up to :data:`CARD_FACET_BUTTONS_MAX` of its facets valid that day («Lệ phí», «Cần
    chuẩn bị gì», «Làm trực tiếp ở đâu»), catalogue, menu. No two buttons share a label."""
    out: list[Button] = []
    if svc.flow is not None:
        out.append(Button("Xem các bước", make("f", svc.flow)))
    if svc.flow != GENERIC_FLOW:
        out.append(Button("Cách nộp trực tuyến", make("f", GENERIC_FLOW)))
    for faq_id in svc.faq:
        title = cat.faq_title(faq_id)
        if title and len(out) < 3:
            out.append(Button(title, make("q", faq_id)))
    if today is not None:
        facets = [k for k in CARD_FACETS if svc.facet_on(k, today) is not None][:CARD_FACET_BUTTONS_MAX]
        out += [Button(facet_labels[k], facet_payload(svc.id, k)) for k in facets]
    out += [CATALOGUE_BUTTON, texts.MAIN_MENU_BUTTON]
    seen: set[str] = set()
    unique: list[Button] = []
    for b in out:
        label = " ".join(fold(b.label).split())
        if label not in seen:
            seen.add(label)
            unique.append(b)
    return tuple(unique)


def service_card(cat: Catalogue, service_id: str, *, today: dt.date | None = None) -> Reply | None:
    """A service's card (≤ about 700 characters); fees with a validity window show only when ``today`` fits."""
    svc = cat.get(service_id)
    if svc is None:
        return None
    return Reply(text=_card_text(svc, today), buttons=card_buttons(cat, svc, today))


def service_index_docs(cat: Catalogue) -> list[IndexDoc]:
    """One matcher document per service: its name, title and keywords, then its summary."""
    return [
        IndexDoc(
            key=f"service:{s.id}",
            kind="service",
            phrasings=(s.name, s.title, *s.keywords),
            body=s.summary,
        )
        for s in cat.services
    ]
