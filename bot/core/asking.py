"""What a long question is about: the service asked, and "did you mean" options that help.

Pure helpers for :mod:`bot.core.respond`. A long message is read by :func:`faq.understand.read`
(question sentences, facets asked, situations told); here the ranked candidates of the matcher
are tied to the services of the catalogue, so that a story about a lost card with a question at
the end ("Tôi có thể xin cấp lại tại nhà hay không?") is answered as the card service rather than
offered three loosely related buttons, and the buttons that are offered are distinct.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Final

from bot.core.types import Button
from faq.matcher import Candidate
from faq.normalize import fold
from faq.understand import FacetKey, Reading
from flows.catalogue import Catalogue
from flows.schema import Service

__all__ = [
    "FACET_LABELS",
    "MAX_OPTIONS",
    "asked_service",
    "card_covers",
    "distinct_options",
    "services_for_key",
]

#: At most this many "did you mean" options.
MAX_OPTIONS: Final = 3

#: How each facet is named to the citizen ("Tôi chưa có thông tin về {label} …").
FACET_LABELS: Final[dict[FacetKey, str]] = {
    "who": "ai được làm và điều kiện",
    "online": "cách làm trực tuyến",
    "in_person": "nơi nộp hồ sơ trực tiếp",
    "documents": "giấy tờ cần chuẩn bị",
    "fee": "lệ phí",
    "time": "thời hạn giải quyết",
    "result": "kết quả nhận được",
}


def services_for_key(cat: Catalogue, key: str) -> tuple[str, ...]:
    """The services an index key belongs to: the service itself, or those listing its guide or FAQ entry."""
    kind, _, ident = key.partition(":")
    if kind == "service":
        return (ident,) if cat.get(ident) is not None else ()
    return tuple(
        svc.id for svc in cat.services
        if (kind == "faq" and ident in svc.faq) or (kind == "flow" and svc.flow == ident)
    )


def asked_service(cat: Catalogue, candidates: Sequence[Candidate], reading: Reading) -> str | None:
    """The service a long question is clearly about, or None.

    Clear means: among the top three candidates, at least two belong to that service (its card,
    its guide or one of its FAQ entries), or the only candidate does, and the best candidate is
    one of them. Only long messages are read this way; a short one is answered by its best match.
    """
    if not reading.long or not candidates or candidates[0].kind == "offtopic":
        return None
    top = candidates[:MAX_OPTIONS]
    votes = [services_for_key(cat, c.key) for c in top]
    counts: dict[str, int] = {}
    for found in votes:
        for sid in found:
            counts[sid] = counts.get(sid, 0) + 1
    need = 1 if len(top) == 1 else 2
    best = [sid for sid in votes[0] if counts[sid] >= need]
    if not best:
        return None
    return max(best, key=lambda sid: counts[sid])


def card_covers(svc: Service, facet: FacetKey) -> bool:
    """True when the service card itself says something about ``facet``."""
    if facet in ("online", "in_person"):
        return True  # «Làm ở đâu» lists the channels
    if facet == "documents":
        return bool(svc.prepare)
    if facet in ("fee", "time"):
        return bool(svc.fees)
    return False


def distinct_options(
    candidates: Sequence[Candidate],
    button_for: Callable[[Candidate], Button | None],
    *,
    first: Button | None = None,
    limit: int = MAX_OPTIONS,
) -> list[Button]:
    """Up to ``limit`` "did you mean" buttons, never two with the same label or the same target.

    ``first`` (the question's own service) leads; labels are compared folded ("Đổi thẻ" and
    "doi the" are one option), payloads exactly; off-topic candidates are never offered.
    """
    out: list[Button] = []
    labels: set[str] = set()
    targets: set[str] = set()

    def add(button: Button | None) -> None:
        if button is None or len(out) >= limit:
            return
        label = " ".join(fold(button.label).split())
        if label in labels or button.payload in targets:
            return
        labels.add(label)
        targets.add(button.payload)
        out.append(button)

    add(first)
    for c in candidates:
        if c.kind != "offtopic":
            add(button_for(c))
    return out
