"""Content import and export: YAML (the repository's layout), CSV and Excel.

Formats (one item per row or entry; every kind of :data:`api.content.SCHEMAS`):

    yaml  a zip of ``faq/``, ``flows/``, ``catalogue/`` exactly as :func:`api.content.write_export`
          writes them (the layout the repository seeds from). Import also takes one ``.yaml`` file;
          the top-level key says the kind (``entries`` FAQ, ``flows``, ``services``,
          ``life_events``, ``sectors``).
    csv   a zip with one ``<kind>.csv`` per kind (UTF-8 with a byte-order mark so Excel reads the
          accents; import also takes one ``<kind>.csv``). One column per field of the kind's
          schema, in schema order.
    xlsx  one workbook, one sheet per kind named like the CSV files, the same columns.

In CSV and Excel cells: a list of texts (questions, tags, keywords…) is one text per line; a nested
value (a flow's ``steps``, a service's ``fees``) is JSON; ``true``/``false`` for yes/no; dates are
ISO (``2026-12-03``); an empty cell is "not given" (the schema's default applies). Excel cells are
written as text, never as formulas.

Import compares each item, normalised by its schema, with the live one: ``new``, ``changed``,
``unchanged`` or ``invalid`` (with where: file or sheet, row, field). Applying is all or nothing:
one transaction, and any invalid item means nothing is saved. Each new or changed item is saved
through :func:`api.content.save_entry` (a new version, action ``import``). Items missing from the
file are left as they are (import never deletes).

Exceptions::

    ApiError
    ├── BrokenFile      400, the file cannot be read in the format asked for
    └── ImportRefused   422, the file was read but some item is invalid (carries the report)
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import tempfile
import zipfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, Final, Literal

import yaml
from openpyxl import Workbook, load_workbook

from api.content import (
    EXPORT_LAYOUT,
    SCHEMAS,
    InvalidContent,
    content_hash,
    save_entry,
    validate_item,
    write_export,
)
from api.errors import ApiError
from api.store import Store, Unit
from faq.loader import read_yaml

__all__ = [
    "FORMATS",
    "IMPORT_MAX_BYTES",
    "BrokenFile",
    "Format",
    "ImportItem",
    "ImportRefused",
    "ImportReport",
    "ParsedUpload",
    "export_bytes",
    "export_filename",
    "import_content",
    "parse_upload",
]

Format = Literal["yaml", "csv", "xlsx"]
FORMATS: Final[tuple[Format, ...]] = ("yaml", "csv", "xlsx")

#: The largest file accepted for import (the whole content is a few hundred KB).
IMPORT_MAX_BYTES: Final = 5 * 1024 * 1024
#: Limits on what a zip (or an xlsx, which is one) may unpack to: no zip bombs.
_MAX_UNPACKED: Final = 50 * 1024 * 1024
_MAX_MEMBERS: Final = 500
_MAX_ITEMS: Final = 20_000

#: Kinds in the order they are exported and imported (flows may name FAQ entries and services).
_KINDS: Final = tuple(SCHEMAS)
_KEY_TO_KIND: Final = {key: kind for kind, (_, key) in EXPORT_LAYOUT.items()}


class BrokenFile(ApiError):
    """The upload cannot be read as the format asked for."""

    status = 400


class ImportRefused(ApiError):
    """Some item of the upload is invalid: nothing was saved; ``report`` says which and why."""

    status = 422

    def __init__(self, report: ImportReport) -> None:
        super().__init__(f"{report.counts['invalid']} invalid item(s): nothing was saved")
        self.report = report


# -- export ----------------------------------------------------------------------------------------


def export_filename(fmt: Format, today: dt.date) -> str:
    """The download's file name."""
    return f"troly06-noi-dung-{today.isoformat()}.{'xlsx' if fmt == 'xlsx' else 'zip'}"


def export_bytes(store: Store, fmt: Format) -> bytes:
    """The live content in ``fmt`` (see the module docstring)."""
    if fmt == "yaml":
        return _export_yaml(store)
    rows = _live_rows(store)
    if fmt == "csv":
        return _export_csv(rows)
    return _export_xlsx(rows)


def _live_rows(store: Store) -> dict[str, list[dict[str, Any]]]:
    with store.unit(readonly=True) as unit:
        return {kind: [r.data for r in unit.content_rows(kind=kind)] for kind in _KINDS}


def _export_yaml(store: Store) -> bytes:
    with tempfile.TemporaryDirectory(prefix="troly06-export-") as tmp:
        root = Path(tmp)
        written = write_export(store, root)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in written:
                archive.write(path, path.relative_to(root).as_posix())
    return buffer.getvalue()


@dataclass(frozen=True, slots=True)
class _Column:
    name: str
    shape: Literal["scalar", "lines", "json"]
    #: The JSON type of a scalar ("string", "integer", "boolean"…).
    type: str = "string"


def _columns(kind: str) -> list[_Column]:
    """One column per schema field, with how its value is written in a cell."""
    schema = SCHEMAS[kind].model_json_schema()
    out = []
    for name, prop in schema["properties"].items():
        options = [p for p in prop.get("anyOf", [prop]) if p.get("type") != "null"]
        first = options[0] if options else {}
        if first.get("type") == "array":
            items = first.get("items", {})
            shape: Literal["scalar", "lines", "json"] = "lines" if items.get("type") == "string" else "json"
        elif first.get("type") == "object" or "$ref" in first:
            shape = "json"
        else:
            shape = "scalar"
        out.append(_Column(name, shape, str(first.get("type", "string"))))
    return out


def _cell(value: Any, column: _Column) -> str | int | float:
    """The cell text (or number) of one value."""
    if value is None:
        return ""
    if column.shape == "lines":
        return "\n".join(str(v) for v in value)
    if column.shape == "json":
        return json.dumps(value, ensure_ascii=False) if value else ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return value
    return str(value)


def _table(kind: str, items: Sequence[Mapping[str, Any]]) -> tuple[list[str], list[list[str | int | float]]]:
    columns = _columns(kind)
    return [c.name for c in columns], [[_cell(item.get(c.name), c) for c in columns] for item in items]


def _export_csv(rows: Mapping[str, Sequence[Mapping[str, Any]]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for kind, items in rows.items():
            header, body = _table(kind, items)
            text = io.StringIO(newline="")
            writer = csv.writer(text, lineterminator="\r\n")
            writer.writerow(header)
            writer.writerows(body)
            archive.writestr(f"{kind}.csv", text.getvalue().encode("utf-8-sig"))
    return buffer.getvalue()


def _export_xlsx(rows: Mapping[str, Sequence[Mapping[str, Any]]]) -> bytes:
    book = Workbook()
    first = True
    for kind, items in rows.items():
        sheet = book.active if first else book.create_sheet()
        assert sheet is not None
        first = False
        sheet.title = kind
        header, body = _table(kind, items)
        sheet.append(header)
        for values in body:
            sheet.append(values)
        for row in sheet.iter_rows(min_row=2):
            for cell in row:
                if isinstance(cell.value, str) and cell.value.startswith("="):
                    cell.data_type = "s"  # text that looks like a formula stays text
        sheet.freeze_panes = "B2"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# -- reading an upload -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ImportItem:
    """One item read from an upload, and where it was (for the report)."""

    kind: str
    id: str
    data: dict[str, Any]
    where: str


@dataclass(slots=True)
class ParsedUpload:
    """The items read from an upload, the rows that could not be read, and notes (files skipped)."""

    items: list[ImportItem] = field(default_factory=list)
    #: Rows that could not even be read as an item: (kind, where, field, message).
    bad: list[tuple[str, str, str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def parse_upload(data: bytes, fmt: Format, *, filename: str = "") -> ParsedUpload:
    """Read an uploaded file; :class:`BrokenFile` when it is not that format at all."""
    if not data:
        raise BrokenFile("the file is empty")
    if len(data) > IMPORT_MAX_BYTES:
        raise BrokenFile(f"the file is larger than {IMPORT_MAX_BYTES // (1024 * 1024)} MB")
    if fmt == "xlsx":
        return _parse_xlsx(data)
    if zipfile.is_zipfile(io.BytesIO(data)):
        members = list(_unzip(data))
    else:
        members = [(filename or ("upload.yaml" if fmt == "yaml" else "upload.csv"), data)]
    parsed = ParsedUpload()
    suffixes = (".yaml", ".yml") if fmt == "yaml" else (".csv",)
    for name, content in members:
        if not name.lower().endswith(suffixes):
            parsed.notes.append(f"{name}: ignored (not a {fmt} file)")
            continue
        if fmt == "yaml":
            _parse_yaml(name, content, parsed)
        else:
            _parse_csv(name, content, parsed)
    if not parsed.items and not parsed.bad:
        raise BrokenFile(f"no {fmt} content found in the file" + (f" ({'; '.join(parsed.notes)})" if parsed.notes else ""))
    return parsed


def _unzip(data: bytes) -> Iterator[tuple[str, bytes]]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = [i for i in archive.infolist() if not i.is_dir()]
        if len(infos) > _MAX_MEMBERS or sum(i.file_size for i in infos) > _MAX_UNPACKED:
            raise BrokenFile("the zip unpacks to too many or too large files")
        for info in infos:
            if PurePosixPath(info.filename).name.startswith(".") or "__MACOSX" in info.filename:
                continue
            yield info.filename, archive.read(info)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError, ValueError) as exc:
        raise BrokenFile(f"the zip file cannot be read ({type(exc).__name__})") from None


def _text(name: str, content: bytes) -> str:
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BrokenFile(f"{name}: not UTF-8 text") from None


def _parse_yaml(name: str, content: bytes, parsed: ParsedUpload) -> None:
    text = _text(name, content)
    try:
        document = read_yaml(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
        raise BrokenFile(f"{name}: not valid YAML{where}: {getattr(exc, 'problem', None) or exc}") from None
    if not isinstance(document, dict):
        raise BrokenFile(f"{name}: expected a mapping with one of {sorted(_KEY_TO_KIND)} at the top")
    for key, entries in document.items():
        kind = _KEY_TO_KIND.get(str(key))
        if kind is None:
            raise BrokenFile(f"{name}: unknown top-level key {key!r} (expected one of {sorted(_KEY_TO_KIND)})")
        if not isinstance(entries, list):
            raise BrokenFile(f"{name}: {key} must be a list")
        for position, entry in enumerate(entries):
            where = f"{name}: {key}[{position}]"
            _add(parsed, kind, where, entry)


def _plain(value: Any) -> Any:
    """YAML dates and datetimes as ISO text (what the schemas read)."""
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _add(parsed: ParsedUpload, kind: str, where: str, entry: Any) -> None:
    if len(parsed.items) >= _MAX_ITEMS:
        raise BrokenFile(f"more than {_MAX_ITEMS} items in one file")
    if not isinstance(entry, dict):
        parsed.bad.append((kind, where, "entry", "expected a mapping of fields"))
        return
    ident = entry.get("id")
    if not isinstance(ident, str) or not ident.strip():
        parsed.bad.append((kind, where, "id", "missing id"))
        return
    parsed.items.append(ImportItem(kind, ident.strip(), _plain(entry), where))


def _kind_of(name: str) -> str:
    kind = PurePosixPath(name).stem
    if kind not in SCHEMAS:
        raise BrokenFile(f"{name}: unknown kind {kind!r} (name the file or sheet one of {list(SCHEMAS)})")
    return kind


def _parse_csv(name: str, content: bytes, parsed: ParsedUpload) -> None:
    kind = _kind_of(name)
    text = _text(name, content)
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), strict=True))
    except csv.Error as exc:
        raise BrokenFile(f"{name}: not valid CSV ({exc})") from None
    _parse_table(f"{name}", kind, rows, parsed)


def _parse_table(label: str, kind: str, rows: Sequence[Sequence[Any]], parsed: ParsedUpload) -> None:
    if not rows:
        return
    header = [str(h).strip() if h is not None else "" for h in rows[0]]
    columns = {c.name: c for c in _columns(kind)}
    unknown = [h for h in header if h and h not in columns]
    if unknown:
        raise BrokenFile(f"{label}: unknown column(s) {unknown} (the columns are {list(columns)})")
    if "id" not in header:
        raise BrokenFile(f"{label}: no 'id' column")
    for number, row in enumerate(rows[1:], start=2):
        if all(v is None or str(v).strip() == "" for v in row):
            continue
        where = f"{label} row {number}"
        if len(row) > len(header):
            parsed.bad.append((kind, where, "row", f"{len(row)} cells but {len(header)} columns"))
            continue
        entry: dict[str, Any] = {}
        problem = None
        for name, value in zip(header, row, strict=False):
            if not name or value is None or (isinstance(value, str) and value.strip() == ""):
                continue
            try:
                entry[name] = _from_cell(value, columns[name])
            except ValueError as exc:
                problem = (kind, where, name, str(exc))
                break
        if problem is not None:
            parsed.bad.append(problem)
            continue
        _add(parsed, kind, where, entry)


def _from_cell(value: Any, column: _Column) -> Any:
    if isinstance(value, dt.datetime):
        value = value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    elif isinstance(value, dt.date):
        value = value.isoformat()
    if column.shape == "lines":
        return [line.strip() for line in str(value).splitlines() if line.strip()]
    if column.shape == "json":
        try:
            return json.loads(str(value))
        except json.JSONDecodeError as exc:
            raise ValueError(f"not valid JSON ({exc.msg} at character {exc.pos})") from None
    if column.type == "string":
        return str(value)  # a number typed into a text cell is text
    if isinstance(value, float) and value.is_integer() and column.type == "integer":
        return int(value)
    return value  # "true", "3": the schema reads them


def _parse_xlsx(data: bytes) -> ParsedUpload:
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise BrokenFile("not an Excel .xlsx workbook")
    list(_unzip(data))  # the size and member limits, before openpyxl unpacks anything
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many types for a damaged file
        raise BrokenFile(f"not an Excel .xlsx workbook ({type(exc).__name__})") from None
    parsed = ParsedUpload()
    try:
        for sheet in book.worksheets:
            kind = _kind_of(sheet.title)
            rows = [list(r) for r in _limited(sheet.iter_rows(values_only=True))]
            _parse_table(f"sheet {sheet.title}", kind, rows, parsed)
    finally:
        book.close()
    if not parsed.items and not parsed.bad:
        raise BrokenFile("the workbook holds no content")
    return parsed


def _limited(rows: Iterable[tuple[Any, ...]]) -> Iterator[tuple[Any, ...]]:
    for number, row in enumerate(rows):
        if number > _MAX_ITEMS:
            raise BrokenFile(f"more than {_MAX_ITEMS} rows in one sheet")
        yield row


# -- comparing and applying -----------------------------------------------------------------------

Status = Literal["new", "changed", "unchanged", "invalid"]


@dataclass(slots=True)
class ImportReport:
    """What an import found (and did): one line per item."""

    format: str
    dry_run: bool
    applied: bool = False
    lines: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        """How many items of each status."""
        out = dict.fromkeys(("new", "changed", "unchanged", "invalid"), 0)
        for line in self.lines:
            out[line["status"]] += 1
        return out

    def as_dict(self) -> dict[str, Any]:
        """The JSON answer."""
        return {"format": self.format, "dry_run": self.dry_run, "applied": self.applied, "counts": self.counts,
                "items": self.lines, "notes": self.notes}


def _line(item_kind: str, item_id: str, where: str, status: Status,
          errors: Sequence[tuple[str, str]] = ()) -> dict[str, Any]:
    return {"kind": item_kind, "id": item_id, "where": where, "status": status,
            "errors": [{"field": f, "message": m} for f, m in errors]}


def _classify(unit: Unit, parsed: ParsedUpload, report: ImportReport) -> list[tuple[ImportItem, int | None]]:
    """Fill the report; returns the items to save with the version each replaces (None: new)."""
    for kind, where, fld, message in parsed.bad:
        report.lines.append(_line(kind, "", where, "invalid", [(fld, message)]))
    todo: list[tuple[ImportItem, int | None]] = []
    seen: dict[tuple[str, str], str] = {}
    order = {kind: i for i, kind in enumerate(_KINDS)}
    for item in sorted(parsed.items, key=lambda i: order.get(i.kind, len(order))):
        key = (item.kind, item.id)
        if key in seen:
            report.lines.append(_line(item.kind, item.id, item.where, "invalid",
                                      [("id", f"the id {item.id!r} is also at {seen[key]}")]))
            continue
        seen[key] = item.where
        try:
            clean = validate_item(unit, kind=item.kind, id=item.id, data=item.data)
        except InvalidContent as exc:
            report.lines.append(_line(item.kind, item.id, item.where, "invalid", exc.errors))
            continue
        row = unit.content_row(kind=item.kind, id=item.id)
        if row is None:
            report.lines.append(_line(item.kind, item.id, item.where, "new"))
            todo.append((item, None))
        elif content_hash(clean) == row.current_hash:
            report.lines.append(_line(item.kind, item.id, item.where, "unchanged"))
        else:
            report.lines.append(_line(item.kind, item.id, item.where, "changed"))
            todo.append((item, row.version))
    return todo


class _Rollback(Exception):
    """Raised inside the transaction to undo it."""


def import_content(store: Store, parsed: ParsedUpload, *, fmt: str, dry_run: bool, by: str,
                   now: dt.datetime) -> ImportReport:
    """Compare (and unless ``dry_run`` apply, all or nothing) an upload; :class:`ImportRefused` when
    an item is invalid and it was to be applied."""
    report = ImportReport(format=fmt, dry_run=dry_run, notes=list(parsed.notes))
    if dry_run:
        with store.unit(readonly=True) as unit:
            _classify(unit, parsed, report)
        return report
    try:
        with store.unit() as unit:
            todo = _classify(unit, parsed, report)
            if report.counts["invalid"]:
                raise _Rollback
            for item, version in todo:
                try:
                    save_entry(unit, kind=item.kind, id=item.id, data=item.data, base_version=version, by=by,
                               now=now, action="import")
                except InvalidContent as exc:  # e.g. a flow naming a step another imported flow lost
                    for line in report.lines:
                        if line["kind"] == item.kind and line["id"] == item.id:
                            line["status"] = "invalid"
                            line["errors"] = [{"field": f, "message": m} for f, m in exc.errors]
                    raise _Rollback from None
    except _Rollback:
        raise ImportRefused(report) from None
    report.applied = True
    return report

