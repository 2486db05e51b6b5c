"""An immutable snapshot of the live content: FAQ entries, flows, catalogue and the index.

Built by the shell from database rows whenever the content version changes;
the core only reads it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from bot.core.ui_texts import UiTexts
from faq.matcher import IndexDoc, Matcher, entry_doc
from faq.schema import FaqEntry
from flows.catalogue import Catalogue, service_index_docs
from flows.engine import FlowSet, flow_index_docs

__all__ = ["ContentSnapshot", "faq_index_docs"]


def faq_index_docs(entries: Sequence[FaqEntry]) -> list[IndexDoc]:
    """One index document per FAQ/off-topic entry (title, phrasings and tags; the answer as body)."""
    return [entry_doc(e) for e in entries]


@dataclass(frozen=True, slots=True)
class ContentSnapshot:
    """Everything the core needs to answer, at one content version."""

    version: int
    faq: Mapping[str, FaqEntry]
    flows: FlowSet
    catalogue: Catalogue
    matcher: Matcher
    #: The bot's own sentences (greeting, menu, fallback…) as edited, defaults for the rest.
    texts: UiTexts = field(default_factory=UiTexts)

    @classmethod
    def build(
        cls,
        *,
        version: int,
        faq: Sequence[FaqEntry],
        flows: FlowSet,
        catalogue: Catalogue,
        texts: Mapping[str, str] | None = None,
    ) -> ContentSnapshot:
        """Index FAQ entries, flows and services together in one matcher (drafts are left out)."""
        faq = [e for e in faq if e.status == "published"]
        docs = [*faq_index_docs(faq), *flow_index_docs(flows), *service_index_docs(catalogue)]
        return cls(
            version=version,
            faq={e.id: e for e in faq},
            flows=flows,
            catalogue=catalogue,
            matcher=Matcher(docs),
            texts=UiTexts(texts),
        )

    def title_of(self, key: str) -> str | None:
        """A short button label for an index key such as ``faq:install_where``."""
        kind, _, ident = key.partition(":")
        if kind in ("faq", "offtopic"):
            entry = self.faq.get(ident)
            return entry.title if entry else None
        if kind == "flow":
            return self.flows.titles().get(ident)
        if kind == "service":
            svc = self.catalogue.get(ident)
            return svc.title if svc else None
        return None
