"""Load flow files and the services catalogue from YAML, with errors naming file, flow/service and step.

A file with any error is skipped whole; the others still load. Checks across
files run after every file is parsed: a duplicate flow or service id rejects the
later file, and a flow that opens a flow of a rejected file is rejected in turn.
Nothing here raises for bad content; reading files is the only I/O.

Layout of a catalogue directory: ``taxonomy.yaml`` (``life_events:``, ``sectors:``)
and any number of other ``*.yaml`` files holding ``services:``.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from faq.loader import ContentError, LoadedFile, LoadResult, display_path, read_yaml
from flows.engine import validate_flows
from flows.schema import Flow, LifeEvent, Sector, Service, TaxonomyFile

__all__ = [
    "IMAGES_DIR_NAME",
    "TAXONOMY_FILE",
    "Taxonomy",
    "load_catalogue_dir",
    "load_flows_dir",
    "load_life_events",
    "load_sectors",
    "load_taxonomy",
]

TAXONOMY_FILE = "taxonomy.yaml"
#: Step images live in this folder next to the flow content folder (``flows/images/``).
IMAGES_DIR_NAME = "images"

M = TypeVar("M", bound=BaseModel)
_Parse = Callable[[Any, str], tuple[list[M], list[ContentError]]]


def _loc_text(loc: Sequence[int | str]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _raw_id(raw: Any) -> str | None:
    if isinstance(raw, dict) and isinstance(raw.get("id"), str | int) and not isinstance(raw.get("id"), bool):
        return str(raw["id"])
    return None


def _read(path: Path, file: str) -> tuple[Any, ContentError | None]:
    try:
        return read_yaml(path.read_text(encoding="utf-8")), None
    except (OSError, UnicodeDecodeError) as exc:
        return None, ContentError(file, None, f"cannot read file: {exc}")
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        return None, ContentError(file, None, f"YAML syntax error{where}: {problem}")


def _load_files(
    directory: Path, parse: _Parse[M], *, skip: Collection[str] = (), only: str | None = None
) -> LoadResult[M]:
    """Parse every ``*.yaml`` file of ``directory`` in name order; a file with errors is skipped."""
    if not directory.is_dir():
        return LoadResult((), (ContentError(display_path(directory), None, "content directory not found"),))
    files: list[LoadedFile[M]] = []
    errors: list[ContentError] = []
    paths = sorted(p for p in directory.glob("*.yaml") if p.is_file() and not p.name.startswith("."))
    for path in paths:
        if path.name in skip or (only is not None and path.name != only):
            continue
        file = display_path(path)
        raw, error = _read(path, file)
        if error is not None:
            errors.append(error)
            continue
        items, problems = parse(raw, file)
        if problems:
            errors.extend(problems)
        else:
            files.append(LoadedFile(file, tuple(items)))
    if only is not None and not (directory / only).is_file():
        errors.append(ContentError(display_path(directory / only), None, "file not found"))
    return LoadResult(tuple(files), tuple(errors))


def _items(raw: Any, file: str, key: str) -> tuple[list[Any], list[ContentError]]:
    if not isinstance(raw, dict) or not isinstance(raw.get(key), list) or not raw[key]:
        return [], [ContentError(file, None, f"the file must hold a non-empty '{key}:' list")]
    extra = sorted(str(k) for k in raw if k != key)
    if extra:
        return [], [ContentError(file, None, f"unknown top-level keys: {', '.join(extra)}")]
    return list(raw[key]), []


# --- Flows --------------------------------------------------------------------------------------


def _flow_errors(file: str, raw: Any, exc: ValidationError) -> list[ContentError]:
    """Schema errors of one flow, naming the flow and, inside ``steps``, the step."""
    flow_id = _raw_id(raw) or "?"
    out = []
    errors = exc.errors(include_url=False)
    step_failed = any(len(e["loc"]) >= 2 and e["loc"][0] == "steps" for e in errors)
    for err in errors:
        loc = tuple(err["loc"])
        if loc == ("steps",) and err["type"] == "too_short" and step_failed:
            continue  # pydantic also reports the list as empty when its items failed
        step_id: str | None = None
        if len(loc) >= 2 and loc[0] == "steps" and isinstance(loc[1], int):
            steps = raw.get("steps") if isinstance(raw, dict) else None
            step_raw = steps[loc[1]] if isinstance(steps, list) and loc[1] < len(steps) else None
            step_id = _raw_id(step_raw) or f"#{loc[1] + 1}"
        where = f"flow {flow_id!r}" + (f", step {step_id!r}" if step_id else "")
        field = _loc_text(loc[2:] if step_id else loc)
        message = f"{where}: {field}: {err['msg']}" if field else f"{where}: {err['msg']}"
        out.append(ContentError(file, f"{flow_id}/{step_id}" if step_id else flow_id, message))
    return out


def _parse_flow_file(raw: Any, file: str) -> tuple[list[Flow], list[ContentError]]:
    items, errors = _items(raw, file, "flows")
    flows: list[Flow] = []
    for item in items:
        try:
            flows.append(Flow.model_validate(item))
        except ValidationError as exc:
            errors.extend(_flow_errors(file, item, exc))
    return flows, errors


def _image_errors(flows: Sequence[Flow], file: str, images_dir: Path) -> list[ContentError]:
    return [
        ContentError(file, f"{f.id}/{s.id}", f"flow {f.id!r}, step {s.id!r}: image {s.image.path!r} not found")
        for f in flows
        for s in f.steps
        if s.image is not None and not (images_dir / s.image.path).is_file()
    ]


def load_flows_dir(
    directory: Path,
    *,
    known_faq: Collection[str] | None = None,
    known_services: Collection[str] | None = None,
) -> LoadResult[Flow]:
    """Load ``flows/content``-style files; every error names the file, the flow and the step."""
    first = _load_files(directory, _parse_flow_file)
    errors = list(first.errors)
    images_dir = directory.parent / IMAGES_DIR_NAME
    kept: list[LoadedFile[Flow]] = []
    owner: dict[str, str] = {}
    for loaded in first.files:
        problems = _image_errors(loaded.items, loaded.file, images_dir)
        seen: set[str] = set()
        for f in loaded.items:
            if f.id in owner:
                problems.append(ContentError(loaded.file, f.id, f"flow {f.id!r}: duplicate id, already in {owner[f.id]}"))
            elif f.id in seen:
                problems.append(ContentError(loaded.file, f.id, f"flow {f.id!r}: duplicate id in this file"))
            seen.add(f.id)
        if problems:
            errors.extend(problems)
            continue
        owner.update((f.id, loaded.file) for f in loaded.items)
        kept.append(loaded)
    # Graph checks; dropping a file can break flows that open it, so repeat until stable.
    while True:
        file_of = {f.id: lf.file for lf in kept for f in lf.items}
        found = validate_flows(
            [f for lf in kept for f in lf.items],
            file_of=file_of,
            known_faq=known_faq,
            known_services=known_services,
        )
        if not found:
            break
        errors.extend(found)
        bad = {e.file for e in found}
        kept = [lf for lf in kept if lf.file not in bad]
    return LoadResult(tuple(kept), tuple(errors))


# --- Catalogue ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Taxonomy:
    """Life events and sectors of a catalogue directory, with the errors of ``taxonomy.yaml``."""

    life_events: tuple[LifeEvent, ...]
    sectors: tuple[Sector, ...]
    file: str
    errors: tuple[ContentError, ...]


def _parse_taxonomy(raw: Any, file: str) -> tuple[list[TaxonomyFile], list[ContentError]]:
    try:
        tax = TaxonomyFile.model_validate(raw)
    except ValidationError as exc:
        errors = []
        for err in exc.errors(include_url=False):
            loc = tuple(err["loc"])
            entry: str | None = None
            if len(loc) >= 2 and isinstance(loc[1], int) and isinstance(raw, dict):
                group = raw.get(str(loc[0]))
                if isinstance(group, list) and loc[1] < len(group):
                    entry = _raw_id(group[loc[1]])
            errors.append(ContentError(file, entry, f"{_loc_text(loc)}: {err['msg']}"))
        return [], errors
    errors = []
    for group, values in (("life event", tax.life_events), ("sector", tax.sectors)):
        seen: set[str] = set()
        for v in values:
            if v.id in seen:
                errors.append(ContentError(file, v.id, f"duplicate {group} id"))
            seen.add(v.id)
    if any(s.id == "all" for s in tax.sectors):
        errors.append(ContentError(file, "all", "sector id 'all' is reserved (sec-all lists the sectors)"))
    return ([], errors) if errors else ([tax], [])


def load_taxonomy(directory: Path) -> Taxonomy:
    """Read ``taxonomy.yaml`` of a catalogue directory (empty with errors when it is broken)."""
    result = _load_files(directory, _parse_taxonomy, only=TAXONOMY_FILE)
    file = display_path(directory / TAXONOMY_FILE)
    if not result.files:
        return Taxonomy((), (), file, result.errors)
    tax = result.files[0].items[0]
    return Taxonomy(tax.life_events, tax.sectors, file, ())


def load_life_events(directory: Path) -> LoadResult[LifeEvent]:
    """The life events of ``taxonomy.yaml`` as a load result."""
    tax = load_taxonomy(directory)
    files = (LoadedFile(tax.file, tax.life_events),) if not tax.errors else ()
    return LoadResult(files, tax.errors)


def load_sectors(directory: Path) -> LoadResult[Sector]:
    """The sectors of ``taxonomy.yaml`` as a load result."""
    tax = load_taxonomy(directory)
    files = (LoadedFile(tax.file, tax.sectors),) if not tax.errors else ()
    return LoadResult(files, tax.errors)


def _parse_service_file(raw: Any, file: str) -> tuple[list[Service], list[ContentError]]:
    items, errors = _items(raw, file, "services")
    services: list[Service] = []
    for item in items:
        sid = _raw_id(item) or "?"
        try:
            services.append(Service.model_validate(item))
        except ValidationError as exc:
            errors.extend(
                ContentError(file, sid, f"service {sid!r}: {_loc_text(tuple(e['loc']))}: {e['msg']}")
                for e in exc.errors(include_url=False)
            )
    return services, errors


def load_catalogue_dir(
    directory: Path,
    *,
    known_flows: Collection[str] | None = None,
    known_faq: Collection[str] | None = None,
) -> LoadResult[Service]:
    """Load the service files of a catalogue directory (every ``*.yaml`` but ``taxonomy.yaml``).

    Beyond the schema: duplicate ids or numbers reject the later file; a service naming a life
    event or sector missing from a valid ``taxonomy.yaml`` (or an unknown flow/FAQ, when those
    are given) rejects its file.
    """
    first = _load_files(directory, _parse_service_file, skip=(TAXONOMY_FILE,))
    tax = load_taxonomy(directory)
    events = {e.id for e in tax.life_events} if not tax.errors else None
    sectors = {s.id for s in tax.sectors} if not tax.errors else None
    errors = list(first.errors)
    kept: list[LoadedFile[Service]] = []
    owner: dict[str, str] = {}
    numbers: dict[int, str] = {}
    for loaded in first.files:
        problems: list[ContentError] = []
        ids: set[str] = set()
        nums: set[int] = set()
        for s in loaded.items:
            messages: list[str] = []
            if s.id in owner or s.id in ids:
                messages.append(f"duplicate id (already in {owner.get(s.id, 'this file')})")
            if s.number is not None and (s.number in numbers or s.number in nums):
                messages.append(f"duplicate number {s.number} (already used by {numbers.get(s.number, 'this file')})")
            ids.add(s.id)
            if s.number is not None:
                nums.add(s.number)
            if sectors is not None and s.sector not in sectors:
                messages.append(f"unknown sector {s.sector!r}")
            if events is not None:
                messages += [f"unknown life event {ev!r}" for ev in s.life_events if ev not in events]
            if known_flows is not None and s.flow is not None and s.flow not in known_flows:
                messages.append(f"unknown flow {s.flow!r}")
            if known_faq is not None:
                messages += [f"unknown FAQ entry {q!r}" for q in s.faq if q not in known_faq]
            problems += [ContentError(loaded.file, s.id, f"service {s.id!r}: {m}") for m in messages]
        if problems:
            errors.extend(problems)
            continue
        owner.update((s.id, loaded.file) for s in loaded.items)
        numbers.update((s.number, s.id) for s in loaded.items if s.number is not None)
        kept.append(loaded)
    return LoadResult(tuple(kept), tuple(errors))
