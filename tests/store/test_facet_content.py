"""Facets through the content store: YAML → database → export keeps them, edits keep them, checks see them.

Runs on both backends (the ``store`` fixture).
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path
from typing import Any

from api.content import (
    ContentSource,
    content_check,
    save_entry,
    sync_content,
    write_export,
)
from api.store import ContentRowView, Store
from flows.loader import load_catalogue_dir
from tests.unit.test_flows_graph import CATALOGUE_DIR

NOW = dt.datetime(2026, 12, 2, 8, 0, tzinfo=dt.UTC)


def _copy_catalogue(tmp_path: Path) -> Path:
    out = tmp_path / "catalogue"
    shutil.copytree(CATALOGUE_DIR, out)
    return out


def _sync(store: Store, directory: Path, *, force: bool = False) -> None:
    source = ContentSource("service", lambda: load_catalogue_dir(directory))  # type: ignore[arg-type, return-value]
    report = sync_content(store, sources=[source], force=force, now=NOW)
    assert not report.errors, report.errors


def test_yaml_to_database_to_export_keeps_every_facet(store: Store, tmp_path: Path) -> None:
    directory = _copy_catalogue(tmp_path)
    _sync(store, directory)
    out = tmp_path / "export"
    write_export(store, out)
    exported = load_catalogue_dir(out / "catalogue")
    assert not exported.errors, exported.errors
    original = {s.id: s for s in load_catalogue_dir(directory).items}
    again = {s.id: s for s in exported.items}
    assert again == original
    assert sum(len(s.facets) + len(s.situations) + len(s.facet_versions) for s in again.values()) >= 100


def test_an_edited_service_keeps_its_facets_and_a_yaml_change_is_a_conflict(store: Store, tmp_path: Path) -> None:
    directory = _copy_catalogue(tmp_path)
    _sync(store, directory)
    with store.unit() as u:
        row = u.content_row(kind="service", id="death_reg")
        assert row is not None
        data: dict[str, Any] = {**row.data, "summary": row.data["summary"] + " Đã rà soát."}
        save_entry(u, kind="service", id="death_reg", data=data, base_version=row.version, by="editor", now=NOW)
    with store.unit() as u:
        saved = u.content_row(kind="service", id="death_reg")
        assert saved is not None
        assert saved.data["facets"] == row.data["facets"] and saved.data["situations"] == row.data["situations"]
    # The YAML changes a facet too: the database edit is kept and the clash is reported, not overwritten.
    path = directory / "services_cap_xa.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("Tờ khai đăng ký khai tử (điền ngay", "Tờ khai đăng ký khai tử (điền trực tiếp", 1),
                    encoding="utf-8")
    source = ContentSource("service", lambda: load_catalogue_dir(directory))  # type: ignore[arg-type, return-value]
    report = sync_content(store, sources=[source], force=False, now=NOW)
    assert any("death_reg" in c for c in report.conflicts), report.conflicts
    with store.unit() as u:
        kept = u.content_row(kind="service", id="death_reg")
        assert kept is not None and kept.data["summary"].endswith("Đã rà soát.")
        assert kept.data["facets"] == row.data["facets"]
    _sync(store, directory, force=True)
    with store.unit() as u:
        forced = u.content_row(kind="service", id="death_reg")
        assert forced is not None and "(điền trực tiếp" in forced.data["facets"]["documents"]["text"]


def _service_row(data: dict[str, Any]) -> ContentRowView:
    return ContentRowView(kind="service", id="demo", data={"id": "demo", **data}, updated_at=NOW, updated_by="seed",
                          source_file=None, position=0, seed_hash=None, current_hash="")


def test_content_check_reports_stale_and_expiring_facets() -> None:
    today = dt.date(2026, 12, 2)
    fresh = {"text": "t", "source": "s", "reviewed": "2026-12-01"}
    row = _service_row({
        "reviewed": "2026-12-01",
        "facets": {
            "who": {**fresh, "reviewed": "2026-01-01"},
            "fee": {**fresh, "valid_until": "2026-12-31"},  # a version follows: not reported
            "time": {**fresh, "valid_until": "2026-12-20"},  # nothing follows: reported
            "result": {**fresh, "valid_until": "2026-11-30"},  # expired, nothing served now: reported
        },
        "facet_versions": [{**fresh, "key": "fee", "valid_from": "2027-01-01"}],
        "situations": [{**fresh, "id": "late", "valid_until": "2026-12-10"}],
    })
    assert content_check([row], today=today) == [
        "service/demo facet who: last reviewed 2026-01-01, over 6 months ago",
        "service/demo facet time: expires on 2026-12-20, within 30 days",
        "service/demo facet result: expired on 2026-11-30",
        "service/demo situation late: expires on 2026-12-10, within 30 days",
    ]


def test_content_check_of_the_shipped_catalogue_today_is_clean(tmp_path: Path) -> None:
    """Fee facets that end on 31/12/2026 have their successors, so nothing is flagged as a gap."""
    services = load_catalogue_dir(CATALOGUE_DIR).items
    rows = [ContentRowView(kind="service", id=s.id, data=s.model_dump(mode="json"), updated_at=NOW,
                           updated_by="seed", source_file=None, position=0, seed_hash=None, current_hash="")
            for s in services]
    problems = content_check(rows, today=dt.date(2026, 12, 2))
    assert [p for p in problems if "facet" in p or "situation" in p] == []
