"""Load content YAML directories with precise errors (file and entry id); pure except reading files.

A file that fails — YAML syntax, a duplicate key, a schema error, a duplicate id — is skipped whole;
its errors say which file and which entry. Other files still load. Nothing here raises for bad
content: callers get a :class:`LoadResult` with the good files and the errors.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Hashable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

import yaml
from pydantic import ValidationError
from yaml.constructor import ConstructorError
from yaml.nodes import MappingNode

from bot.core.ui_texts import UiText, UiTextFile
from faq.schema import FaqEntry, FaqFile

__all__ = [
    "UI_TEXTS_FILE",
    "ContentError",
    "ContentInvalid",
    "LoadResult",
    "LoadedFile",
    "display_path",
    "load_dir",
    "load_faq_dir",
    "load_ui_texts",
    "parse_faq_file",
    "read_yaml",
]

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)

#: The bot's own sentences live next to the FAQ files, in this file (not an FAQ file).
UI_TEXTS_FILE = "ui_texts.yaml"

#: The project root: file names in errors are shown relative to it when possible.
_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True, slots=True)
class ContentError:
    """One problem in a content file."""

    file: str
    entry_id: str | None
    message: str

    def __str__(self) -> str:
        """``faq/content/x.yaml: entry 'abc': <message>`` (without the entry part when unknown)."""
        if self.entry_id is None:
            return f"{self.file}: {self.message}"
        return f"{self.file}: entry '{self.entry_id}': {self.message}"


class ContentInvalid(ValueError):
    """Raised by a parse function for a problem the schema cannot see (e.g. a duplicate id)."""

    def __init__(self, message: str, *, entry_id: str | None = None) -> None:
        """Describe the problem, naming the entry when known."""
        super().__init__(message)
        self.message = message
        self.entry_id = entry_id


@dataclass(frozen=True, slots=True)
class LoadedFile(Generic[T_co]):
    """The items of one file that loaded without errors."""

    file: str
    items: tuple[T_co, ...]


@dataclass(frozen=True, slots=True)
class LoadResult(Generic[T_co]):
    """Files that loaded, in name order, and errors of the files that did not."""

    files: tuple[LoadedFile[T_co], ...]
    errors: tuple[ContentError, ...]

    @property
    def items(self) -> tuple[T_co, ...]:
        """Every item of every loaded file, in order."""
        return tuple(item for f in self.files for item in f.items)

    @property
    def failed_files(self) -> frozenset[str]:
        """Files skipped because of errors."""
        return frozenset(e.file for e in self.errors)


#: libyaml's C parser when PyYAML was built with it (about 10x faster), else the pure-Python one.
_SafeBase: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _StrictLoader(_SafeBase):  # type: ignore[valid-type,misc]
    """Safe YAML loader that refuses duplicate keys (PyYAML silently keeps the last one)."""

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Hashable, Any]:
        """Build a mapping, failing on a key given twice."""
        seen: set[Any] = set()
        for key_node, _value in node.value:
            key = self.construct_object(key_node, deep=deep)
            if isinstance(key, Hashable) and key in seen:
                raise ConstructorError(
                    "while constructing a mapping",
                    node.start_mark,
                    f"duplicate key {key!r}",
                    key_node.start_mark,
                )
            seen.add(key)
        mapping: dict[Hashable, Any] = super().construct_mapping(node, deep=deep)
        return mapping


def display_path(path: Path) -> str:
    """``path`` relative to the project root when inside it (as errors show it), else absolute."""
    resolved = path.resolve()
    try:
        return resolved.relative_to(_ROOT).as_posix()
    except ValueError:
        return resolved.as_posix()


def read_yaml(text: str) -> Any:
    """Parse one YAML document strictly (safe loader, duplicate keys refused)."""
    return yaml.load(text, Loader=_StrictLoader)


def _yaml_message(exc: yaml.YAMLError) -> str:
    if isinstance(exc, yaml.MarkedYAMLError) and exc.problem_mark is not None:
        mark = exc.problem_mark
        problem = exc.problem or exc.context or "invalid YAML"
        return f"YAML syntax error at line {mark.line + 1}, column {mark.column + 1}: {problem}"
    return f"YAML syntax error: {exc}"


def _loc_text(loc: Sequence[int | str]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


_MISSING = object()


def _child(node: Any, part: int | str) -> Any:
    """``node[part]`` for a mapping key or list index present in the raw document, else ``_MISSING``."""
    if isinstance(node, dict):
        return node.get(part, _MISSING)
    if isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
        return node[part]
    return _MISSING


def _own_id(node: Any) -> str | None:
    value = node.get("id") if isinstance(node, dict) else None
    return str(value) if isinstance(value, str | int) and not isinstance(value, bool) else None


def _entry_id_at(raw: Any, loc: Sequence[int | str]) -> str | None:
    """The ``id`` of the outermost mapping that has one along ``loc`` in the raw document."""
    node = raw
    for part in (None, *loc):
        if part is not None:
            node = _child(node, part)
            if node is _MISSING:
                return None
        found = _own_id(node)
        if found is not None:
            return found
    return None


def _validation_errors(file: str, raw: Any, exc: ValidationError) -> list[ContentError]:
    details = exc.errors(include_url=False)
    locs = [tuple(err["loc"]) for err in details]
    errors = []
    for err in details:
        loc = tuple(err["loc"])
        # A list whose only items failed also reports "too short": noise next to the real error.
        if err["type"] == "too_short" and any(len(o) > len(loc) and o[: len(loc)] == loc for o in locs):
            continue
        where = _loc_text(loc)
        message = f"{where}: {err['msg']}" if where else str(err["msg"])
        errors.append(ContentError(file, _entry_id_at(raw, loc), message))
    return errors


def load_dir(
    directory: Path, parse: Callable[[Any, str], Sequence[T]], *, only: Collection[str] | None = None,
    skip: Collection[str] = (),
) -> LoadResult[T]:
    """Load every ``*.yaml`` file of ``directory`` (sorted by name) with ``parse(document, file)``.

    ``only`` limits it to those file names, ``skip`` leaves those out.

    ``parse`` validates one document and returns its items; it may raise pydantic's
    ``ValidationError`` or :class:`ContentInvalid`. A failing file is skipped whole.
    """
    shown_dir = display_path(directory)
    if not directory.is_dir():
        return LoadResult((), (ContentError(shown_dir, None, "content directory not found"),))
    files: list[LoadedFile[T]] = []
    errors: list[ContentError] = []
    paths = sorted(p for p in directory.glob("*.yaml") if p.is_file() and not p.name.startswith("."))
    for path in (p for p in paths if p.name not in skip and (only is None or p.name in only)):
        file = display_path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            errors.append(ContentError(file, None, f"cannot read file: {exc}"))
            continue
        try:
            raw = read_yaml(text)
        except yaml.YAMLError as exc:
            errors.append(ContentError(file, None, _yaml_message(exc)))
            continue
        try:
            items = tuple(parse(raw, file))
        except ValidationError as exc:
            errors.extend(_validation_errors(file, raw, exc))
            continue
        except ContentInvalid as exc:
            errors.append(ContentError(file, exc.entry_id, exc.message))
            continue
        files.append(LoadedFile(file, items))
    return LoadResult(tuple(files), tuple(errors))


def parse_faq_file(raw: Any, file: str) -> tuple[FaqEntry, ...]:
    """Validate one FAQ document (``entries:`` list); ids must be unique inside the file."""
    entries = FaqFile.model_validate(raw).entries
    seen: set[str] = set()
    for entry in entries:
        if entry.id in seen:
            raise ContentInvalid("duplicate id in this file", entry_id=entry.id)
        seen.add(entry.id)
    return entries


def _raw_ids(path_text: str, directory: Path) -> set[str]:
    """Ids written in a file that failed validation (its previous rows stay live)."""
    path = directory / Path(path_text).name
    try:
        raw = read_yaml(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return set()
    entries = raw.get("entries") if isinstance(raw, dict) else None
    if not isinstance(entries, list):
        return set()
    return {str(e["id"]) for e in entries if isinstance(e, dict) and isinstance(e.get("id"), str)}


def load_faq_dir(directory: Path, *, known_ids: Collection[str] = ()) -> LoadResult[FaqEntry]:
    """Load the FAQ files of ``directory``.

    Beyond each file's schema: an id already defined in an earlier file rejects the later file, and
    an entry whose ``related`` names an id that is neither an entry nor in ``known_ids`` (ids that
    live elsewhere, e.g. services) rejects its file.
    """
    first = load_dir(directory, parse_faq_file, skip=(UI_TEXTS_FILE,))
    errors = list(first.errors)
    kept: list[LoadedFile[FaqEntry]] = []
    owner: dict[str, str] = {}
    for loaded in first.files:
        clashes = [e for e in loaded.items if e.id in owner]
        if clashes:
            errors.extend(
                ContentError(loaded.file, e.id, f"duplicate id: already defined in {owner[e.id]}")
                for e in clashes
            )
            continue
        owner.update((e.id, loaded.file) for e in loaded.items)
        kept.append(loaded)

    # Ids of rejected files still exist in the database (their rows stay), so they may be referenced.
    known = set(owner) | set(known_ids)
    for failed in sorted({e.file for e in first.errors}):
        known |= _raw_ids(failed, directory)
    final: list[LoadedFile[FaqEntry]] = []
    for loaded in kept:
        dangling = [
            ContentError(loaded.file, e.id, f"related id '{r}' does not exist")
            for e in loaded.items
            for r in e.related
            if r not in known
        ]
        if dangling:
            errors.extend(dangling)
            continue
        final.append(loaded)
    return LoadResult(tuple(final), tuple(errors))


def _parse_ui_texts(raw: Any, file: str) -> tuple[UiText, ...]:
    items = UiTextFile.model_validate(raw).texts
    seen: set[str] = set()
    for item in items:
        if item.id in seen:
            raise ContentInvalid("duplicate id in this file", entry_id=item.id)
        seen.add(item.id)
    return items


def load_ui_texts(directory: Path) -> LoadResult[UiText]:
    """Load ``ui_texts.yaml`` of ``directory`` (the bot's own sentences); none at all when it is absent."""
    if not (directory / UI_TEXTS_FILE).is_file():
        return LoadResult((), ())
    return load_dir(directory, _parse_ui_texts, only=(UI_TEXTS_FILE,))
