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
from pydantic import BaseModel, ValidationError

from api.store import ContentRowView, Store, Unit
from bot.core.ui_texts import UiText
from faq.loader import ContentError, LoadResult
from faq.schema import FaqEntry
from flows.engine import validate_flows
from flows.schema import Flow, LifeEvent, Sector, Service

__all__ = [
    "EXPIRY_WARNING_DAYS",
    "EXPORT_LAYOUT",
    "REVIEW_MONTHS",
    "SCHEMAS",
    "ContentSource",
    "InvalidContent",
    "SyncReport",
    "VersionConflict",
    "canonical",
    "content_check",
    "content_hash",
    "export_content",
    "restore_version",
    "save_entry",
    "sync_content",
    "update_entry",
    "validate_item",
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


def canonical(item: BaseModel) -> dict[str, Any]:
    """The stored (and exported) form of an item: its JSON dump, with an FAQ entry's default
    ``status: published`` left out, so entries saved before drafts existed keep their hash (no
    spurious sync conflicts) and the YAML says ``status`` only for drafts."""
    data: dict[str, Any] = item.model_dump(mode="json")
    if isinstance(item, FaqEntry) and data.get("status") == "published":
        del data["status"]
    return data


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
                data = canonical(model)
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
                    action="seed",
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
                u.delete_content(kind=kind, id=entry_id, by="seed", now=now)
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


class InvalidContent(ValueError):
    """An item that does not validate; ``errors`` are (field path, message) pairs for the form."""

    def __init__(self, errors: Sequence[tuple[str, str]]) -> None:
        super().__init__("; ".join(f"{path}: {message}" for path, message in errors))
        self.errors = list(errors)


class VersionConflict(Exception):
    """The item changed since the editor loaded it; ``current`` is what is there now."""

    def __init__(self, current: ContentRowView | None) -> None:
        super().__init__("the item was changed by someone else" if current else "the item was deleted")
        self.current = current


#: The schema of each kind of content item.
SCHEMAS: dict[str, type[BaseModel]] = {
    "faq": FaqEntry,
    "flow": Flow,
    "service": Service,
    "life_event": LifeEvent,
    "sector": Sector,
    "text": UiText,
}


def _field_errors(exc: ValidationError) -> list[tuple[str, str]]:
    return [(".".join(str(part) for part in err["loc"]) or "entry", err["msg"]) for err in exc.errors()]


def validate_item(unit: Unit, *, kind: str, id: str, data: Mapping[str, Any]) -> dict[str, Any]:
    """The item as its schema normalises it, or :class:`InvalidContent` with every problem found.

    A flow is also checked against the other live flows, FAQ entries and services (targets,
    reachability, dead ends), so a save that would break a guide is refused with the reason.
    """
    schema = SCHEMAS.get(kind)
    if schema is None:
        raise InvalidContent([("kind", f"unknown content kind {kind!r}")])
    if str(data.get("id", id)) != id:
        raise InvalidContent([("id", f"the id is {id!r} and cannot be changed here")])
    try:
        item = schema.model_validate({**data, "id": id})
    except ValidationError as exc:
        raise InvalidContent(_field_errors(exc)) from None
    if isinstance(item, Flow):
        others = [Flow.model_validate(r.data) for r in unit.content_rows(kind="flow") if r.id != id]
        problems = validate_flows(
            [*others, item],
            file_of={id: "console"},
            known_faq={r.id for r in unit.content_rows(kind="faq")},
            known_services={r.id for r in unit.content_rows(kind="service")},
        )
        mine = [(p.entry_id or id, p.message) for p in problems]
        mine = [(where, message) for where, message in mine if where == id or where.startswith(f"{id}/")]
        if mine:
            raise InvalidContent([(_flow_field(where, id), message) for where, message in mine])
    # The same canonical form as the YAML sync stores, so equal content has equal hashes.
    return canonical(item)


def _flow_field(entry_id: str, flow_id: str) -> str:
    return "steps." + entry_id.split("/", 1)[1] if "/" in entry_id else flow_id


def save_entry(
    unit: Unit,
    *,
    kind: str,
    id: str,
    data: Mapping[str, Any],
    base_version: int | None,
    by: str,
    now: dt.datetime,
    action: str = "edit",
) -> ContentRowView:
    """Validate and save one item as a new version; the content version moves, so every instance
    answers from it at its next turn.

    ``base_version`` is the version the editor started from (None: create a new item); a stale one
    raises :class:`VersionConflict` carrying the other editor's change, nothing is overwritten.
    """
    current = unit.content_row(kind=kind, id=id)
    if base_version is None and current is not None:
        raise VersionConflict(current)
    if base_version is not None and (current is None or current.version != base_version):
        raise VersionConflict(current)
    clean = validate_item(unit, kind=kind, id=id, data=data)
    unit.put_content(
        kind=kind,
        id=id,
        data=clean,
        current_hash=content_hash(clean),
        seed_hash=current.seed_hash if current else None,
        source_file=current.source_file if current else None,
        position=current.position if current else _next_position(unit, kind),
        by=by,
        now=now,
        action=action,
    )
    unit.bump_content_version()
    saved = unit.content_row(kind=kind, id=id)
    assert saved is not None
    return saved


def _next_position(unit: Unit, kind: str) -> int:
    return 1 + max((r.position for r in unit.content_rows(kind=kind) if r.source_file is None), default=-1)


def restore_version(unit: Unit, *, kind: str, id: str, version: int, base_version: int | None, by: str,
                    now: dt.datetime) -> ContentRowView:
    """Save an earlier version again as the newest one (validated like any save)."""
    old = unit.content_version_of(kind=kind, id=id, version=version)
    if old is None or old.data is None:
        raise InvalidContent([("version", f"version {version} of {kind}/{id} does not exist or holds no data")])
    return save_entry(unit, kind=kind, id=id, data=old.data, base_version=base_version, by=by, now=now,
                      action="restore")


def update_entry(
    store: Store, *, kind: str, id: str, data: Mapping[str, Any], by: str, now: dt.datetime
) -> int:
    """Save one item whatever its current version (scripts, tests); returns the new content version."""
    with store.unit() as u:
        current = u.content_row(kind=kind, id=id)
        save_entry(u, kind=kind, id=id, data=data, base_version=current.version if current else None, by=by, now=now)
        return u.content_version()


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
    "text": ("faq", "texts"),
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
        if row.kind == "service":
            problems += _facet_problems(name, row.data, today=today, review_cutoff=review_cutoff,
                                        expiry_cutoff=expiry_cutoff)
    return problems


def _valid_on(item: Mapping[str, Any], day: dt.date) -> bool:
    start, end = _date(item.get("valid_from")), _date(item.get("valid_until"))
    return (start is None or start <= day) and (end is None or day <= end)


def _facet_problems(name: str, data: Mapping[str, Any], *, today: dt.date, review_cutoff: dt.date,
                    expiry_cutoff: dt.date) -> list[str]:
    """A service's facets and situations: not reviewed for 6 months, or expiring with nothing after them.

    A facet whose later version (``facet_versions``) takes over the next day is not reported as
    expiring; an expired facet is reported only while no version of it is served today.
    """
    facets = data.get("facets") or {}
    items: list[tuple[str, str | None, Mapping[str, Any]]] = []
    if isinstance(facets, Mapping):
        items += [(f"facet {key}", str(key), item) for key, item in facets.items() if isinstance(item, Mapping)]
    for item in data.get("facet_versions") or ():
        if isinstance(item, Mapping):
            items.append((f"facet {item.get('key')} (version)", str(item.get("key")), item))
    for item in data.get("situations") or ():
        if isinstance(item, Mapping):
            items.append((f"situation {item.get('id')}", None, item))
    problems: list[str] = []
    for label, key, item in items:
        reviewed = _date(item.get("reviewed"))
        if reviewed is not None and reviewed < review_cutoff:
            problems.append(f"{name} {label}: last reviewed {reviewed.isoformat()}, over {REVIEW_MONTHS} months ago")
        until = _date(item.get("valid_until"))
        if until is None:
            continue
        versions = [v for _, k, v in items if key is not None and k == key]
        if until < today:
            if not any(_valid_on(v, today) for v in versions):
                problems.append(f"{name} {label}: expired on {until.isoformat()}")
        elif until <= expiry_cutoff and not any(_valid_on(v, until + dt.timedelta(days=1)) for v in versions):
            problems.append(f"{name} {label}: expires on {until.isoformat()}, within {EXPIRY_WARNING_DAYS} days")
    return problems
