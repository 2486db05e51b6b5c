"""Content sync: the YAML baseline seeds the database, which holds the live (editable) content.

Per item, with ``h`` the hash of the YAML version and the row's ``seed_hash`` / ``current_hash``:

- no row → insert (seed = current = h);
- current == h → unchanged (seed_hash follows if an edit already matches the YAML; a moved item
  only gets its file and position updated);
- current == seed (not edited since seeding) → update to the YAML;
- edited and seed == h (the YAML did not change) → unchanged, the edit stays;
- edited and the YAML changed → conflict, reported and not overwritten (``force`` overwrites).

Seeded rows that disappeared from a file that loaded cleanly are removed (unless edited: conflict).
Rows of files that failed validation stay untouched. Any write bumps the content version once.
"""

from __future__ import annotations

import calendar
import datetime as dt
import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel

from api.store import ContentRowView, Store
from faq.loader import ContentError, LoadResult

__all__ = [
    "EXPIRY_WARNING_DAYS",
    "EXPORT_LAYOUT",
    "REVIEW_MONTHS",
    "ContentSource",
    "SyncReport",
    "content_check",
    "content_hash",
    "export_content",
    "sync_content",
    "update_entry",
    "write_export",
]

#: ``content check`` flags entries not reviewed for this many months…
REVIEW_MONTHS = 6
#: …and entries whose ``valid_until`` is past or within this many days.
EXPIRY_WARNING_DAYS = 30

_SYNC_LOCK = "content_sync"
_ADDED_FILE = "added.yaml"


@dataclass(frozen=True, slots=True)
class ContentSource:
    """One kind of content and how to load its YAML baseline (items are pydantic models with ``id``)."""

    kind: str
    load: Callable[[], LoadResult[BaseModel]]


@dataclass(frozen=True, slots=True)
class SyncReport:
    """What a sync did."""

    inserted: int
    updated: int
    unchanged: int
    conflicts: list[str]
    errors: list[ContentError]
    version: int
    removed: int = 0

    @property
    def changed(self) -> bool:
        """True when the sync wrote content (and bumped the version)."""
        return bool(self.inserted or self.updated or self.removed)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready summary (for the CLI and logs)."""
        return {
            "inserted": self.inserted,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "removed": self.removed,
            "conflicts": list(self.conflicts),
            "errors": [str(e) for e in self.errors],
            "version": self.version,
        }


def content_hash(data: Mapping[str, Any]) -> str:
    """SHA-256 of the canonical JSON of ``data`` (sorted keys, no spaces)."""
    text = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(slots=True)
class _Item:
    data: dict[str, Any]
    hash: str
    file: str
    position: int


@dataclass(slots=True)
class _Counts:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    conflicts: list[str] = field(default_factory=list)


def _collect(
    kind: str, results: Sequence[LoadResult[BaseModel]]
) -> tuple[dict[str, _Item], set[str], set[str]]:
    """Items by id, the files that loaded, and the files that failed, for one kind."""
    items: dict[str, _Item] = {}
    loaded: set[str] = set()
    failed: set[str] = set()
    for result in results:
        failed |= result.failed_files
        for f in result.files:
            loaded.add(f.file)
            for position, model in enumerate(f.items):
                data = model.model_dump(mode="json")
                entry_id = str(data["id"])
                if entry_id not in items:
                    items[entry_id] = _Item(data, content_hash(data), f.file, position)
    return items, loaded, failed


def sync_content(
    store: Store, *, sources: Sequence[ContentSource], force: bool = False, now: dt.datetime
) -> SyncReport:
    """Upsert the YAML baseline of every source into the database (see the module docstring)."""
    by_kind: dict[str, list[LoadResult[BaseModel]]] = {}
    errors: list[ContentError] = []
    for source in sources:  # Read files before taking the write lock.
        result = source.load()
        by_kind.setdefault(source.kind, []).append(result)
        errors.extend(result.errors)

    counts = _Counts()
    with store.unit() as u:
        u.advisory_lock(name=_SYNC_LOCK)  # Instances starting together sync one after the other.
        for kind, results in by_kind.items():
            items, loaded_files, failed_files = _collect(kind, results)
            rows = {r.id: r for r in u.content_rows(kind=kind)}
            for entry_id, item in items.items():
                row = rows.get(entry_id)
                if row is None:
                    counts.inserted += 1
                elif row.current_hash == item.hash:
                    if row.source_file == item.file and row.position == item.position:
                        counts.unchanged += 1
                        if row.seed_hash != item.hash:
                            u.set_seed_hash(kind=kind, id=entry_id, seed_hash=item.hash)
                        continue
                    counts.updated += 1  # Same data, moved to another file or place: order matters.
                elif row.edited and row.seed_hash == item.hash:
                    counts.unchanged += 1
                    continue
                elif row.edited and not force:
                    counts.conflicts.append(
                        f"{kind}/{entry_id}: edited in the database (by {row.updated_by}) and changed in "
                        f"{item.file}; kept the database version (use --force to overwrite)"
                    )
                    continue
                else:
                    counts.updated += 1
                u.put_content(
                    kind=kind,
                    id=entry_id,
                    data=item.data,
                    current_hash=item.hash,
                    seed_hash=item.hash,
                    source_file=item.file,
                    position=item.position,
                    by="seed",
                    now=now,
                )
            if not loaded_files:
                continue  # Nothing loaded (missing or broken directory): never read that as "all removed".
            for entry_id, row in rows.items():
                if entry_id in items or row.source_file is None or row.source_file in failed_files:
                    continue
                if row.edited and not force:
                    counts.conflicts.append(
                        f"{kind}/{entry_id}: removed from {row.source_file} but edited in the database; kept"
                    )
                    continue
                u.delete_content(kind=kind, id=entry_id)
                counts.removed += 1
        wrote = bool(counts.inserted or counts.updated or counts.removed)
        version = u.bump_content_version() if wrote else u.content_version()
    return SyncReport(
        inserted=counts.inserted,
        updated=counts.updated,
        unchanged=counts.unchanged,
        conflicts=counts.conflicts,
        errors=errors,
        version=version,
        removed=counts.removed,
    )


def update_entry(
    store: Store, *, kind: str, id: str, data: Mapping[str, Any], by: str, now: dt.datetime
) -> int:
    """Admin edit (or creation) of one item; the caller validated ``data``. Returns the new version."""
    with store.unit() as u:
        row = u.content_row(kind=kind, id=id)
        u.put_content(
            kind=kind,
            id=id,
            data=data,
            current_hash=content_hash(data),
            seed_hash=row.seed_hash if row else None,
            source_file=row.source_file if row else None,
            position=row.position if row else 0,
            by=by,
            now=now,
        )
        return u.bump_content_version()


def export_content(store: Store, *, kind: str) -> list[dict[str, Any]]:
    """The live items of ``kind`` as plain dicts, in file order."""
    with store.unit(readonly=True) as u:
        return [row.data for row in u.content_rows(kind=kind)]


#: Where each kind is written by :func:`write_export`, and under which top-level key, so that
#: the export has the repository's layout and loads back with each kind's loader.
EXPORT_LAYOUT: dict[str, tuple[str, str]] = {
    "faq": ("faq", "entries"),
    "flow": ("flows", "flows"),
    "service": ("catalogue", "services"),
    "life_event": ("catalogue", "life_events"),
    "sector": ("catalogue", "sectors"),
}


def write_export(store: Store, out_dir: Path) -> list[Path]:
    """Write the live content as YAML in the repository's layout: ``faq/``, ``flows/``, ``catalogue/``.

    Each item goes back to its source file name under its kind's top-level key (taxonomy files
    hold both life events and sectors); items created in the admin go to ``added.yaml``. Every
    directory loads back with its kind's loader. Returns the files written.
    """
    with store.unit(readonly=True) as u:
        grouped = {kind: u.content_rows(kind=kind) for kind in u.content_kinds()}
    files: dict[Path, dict[str, list[dict[str, Any]]]] = {}
    for kind, rows in grouped.items():
        folder, key = EXPORT_LAYOUT.get(kind, (kind, "entries"))
        for row in rows:
            name = Path(row.source_file).name if row.source_file else _ADDED_FILE
            files.setdefault(out_dir / folder / name, {}).setdefault(key, []).append(row.data)
    written: list[Path] = []
    for path, body in sorted(files.items()):
        path.parent.mkdir(parents=True, exist_ok=True)
        text = yaml.safe_dump(body, allow_unicode=True, sort_keys=False, width=100)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def _months_before(day: dt.date, months: int) -> dt.date:
    month_index = day.year * 12 + day.month - 1 - months
    year, month = divmod(month_index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return dt.date(year, month + 1, min(day.day, last))


def _date(value: Any) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return None
    return None


def content_check(rows: Sequence[ContentRowView], *, today: dt.date) -> list[str]:
    """Items not reviewed for 6 months, and items expired or expiring within 30 days."""
    review_cutoff = _months_before(today, REVIEW_MONTHS)
    expiry_cutoff = today + dt.timedelta(days=EXPIRY_WARNING_DAYS)
    problems: list[str] = []
    for row in rows:
        name = f"{row.kind}/{row.id}"
        reviewed = _date(row.data.get("reviewed"))
        if reviewed is not None and reviewed < review_cutoff:
            problems.append(f"{name}: last reviewed {reviewed.isoformat()}, over {REVIEW_MONTHS} months ago")
        until = _date(row.data.get("valid_until"))
        if until is not None and until < today:
            problems.append(f"{name}: expired on {until.isoformat()}")
        elif until is not None and until <= expiry_cutoff:
            problems.append(f"{name}: expires on {until.isoformat()}, within {EXPIRY_WARNING_DAYS} days")
    return problems
