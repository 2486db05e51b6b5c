"""The live content: seeding the database from the YAML files and the in-memory snapshot.

Each process keeps one :class:`ContentSnapshot` (with its matcher index) and
rebuilds it when the content version in the database moves, so every instance
answers from the same content soon after an admin edit or a sync.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from api.content import ContentSource, SyncReport, sync_content
from api.settings import Settings
from api.store import Store, Unit
from bot.core.content import ContentSnapshot
from bot.core.ui_texts import UiText
from faq.loader import LoadResult, load_faq_dir, load_ui_texts
from faq.schema import FaqEntry
from flows.catalogue import Catalogue
from flows.engine import FlowSet
from flows.loader import load_catalogue_dir, load_flows_dir, load_life_events, load_sectors
from flows.schema import Flow, LifeEvent, Sector, Service

__all__ = ["ContentRuntime", "content_sources", "sync_from_files"]

log = logging.getLogger(__name__)

M = TypeVar("M", bound=BaseModel)


def content_sources(settings: Settings) -> list[ContentSource]:
    """The YAML baseline of every content kind."""

    def erase(load: Callable[[], LoadResult[Any]]) -> Callable[[], LoadResult[BaseModel]]:
        return load

    return [
        ContentSource("faq", erase(lambda: load_faq_dir(settings.faq_dir))),
        ContentSource("flow", erase(lambda: load_flows_dir(settings.flows_dir))),
        ContentSource("service", erase(lambda: load_catalogue_dir(settings.catalogue_dir))),
        ContentSource("life_event", erase(lambda: load_life_events(settings.catalogue_dir))),
        ContentSource("sector", erase(lambda: load_sectors(settings.catalogue_dir))),
        ContentSource("text", erase(lambda: load_ui_texts(settings.faq_dir))),
    ]


def sync_from_files(store: Store, settings: Settings, *, now: dt.datetime, force: bool = False) -> SyncReport:
    """Seed/refresh the database from the YAML files; errors and conflicts are logged, never raised."""
    report = sync_content(store, sources=content_sources(settings), force=force, now=now)
    for err in report.errors:
        log.error("content error: %s", err)
    for conflict in report.conflicts:
        log.warning("content conflict: %s", conflict)
    log.info(
        "content sync: %d inserted, %d updated, %d removed, %d unchanged, version %d",
        report.inserted, report.updated, report.removed, report.unchanged, report.version,
    )
    return report


def _parse_rows(unit: Unit, kind: str, model: type[M]) -> list[M]:
    out: list[M] = []
    for row in unit.content_rows(kind=kind):
        try:
            out.append(model.model_validate(row.data))
        except ValidationError as exc:  # an invalid stored row is skipped, the rest keeps serving
            log.error("content row %s/%s is invalid and skipped: %s", kind, row.id, exc.errors()[:3])
    return out


class ContentRuntime:
    """Holds the current snapshot; rebuilds it when the database's content version changes."""

    def __init__(self) -> None:
        self._snapshot: ContentSnapshot | None = None
        self._lock = threading.Lock()

    def snapshot(self, unit: Unit) -> ContentSnapshot:
        """The snapshot for the content version seen in ``unit``'s transaction."""
        version = unit.content_version()
        snap = self._snapshot
        if snap is not None and snap.version == version:
            return snap
        with self._lock:
            snap = self._snapshot
            if snap is not None and snap.version == version:
                return snap
            snap = self._build(unit, version)
            self._snapshot = snap
            return snap

    def current(self, store: Store) -> ContentSnapshot:
        """The snapshot for the latest content version (opens its own read transaction)."""
        with store.unit(readonly=True) as unit:
            return self.snapshot(unit)

    @staticmethod
    def _build(unit: Unit, version: int) -> ContentSnapshot:
        # Drafts are never served: not indexed, not linked from flows or services.
        faq = [e for e in _parse_rows(unit, "faq", FaqEntry) if e.status == "published"]
        titles = {e.id: e.title for e in faq if e.kind == "faq"}
        flows = FlowSet.build(_parse_rows(unit, "flow", Flow), faq_titles=titles)
        catalogue = Catalogue.build(
            _parse_rows(unit, "service", Service),
            _parse_rows(unit, "life_event", LifeEvent),
            _parse_rows(unit, "sector", Sector),
            faq_titles=titles,
        )
        texts = {t.id: t.text for t in _parse_rows(unit, "text", UiText)}
        snap = ContentSnapshot.build(version=version, faq=faq, flows=flows, catalogue=catalogue, texts=texts)
        log.info("content index built: version %d, %d FAQ entries, %d flows, %d services",
                 version, len(faq), len(flows), len(catalogue))
        return snap


