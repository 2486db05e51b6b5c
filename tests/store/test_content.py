"""Content sync (YAML baseline → live database content), export and review checks, on both backends."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from api.content import (
    ContentSource,
    InvalidContent,
    SyncReport,
    VersionConflict,
    canonical,
    content_check,
    content_hash,
    export_content,
    restore_version,
    save_entry,
    sync_content,
    update_entry,
    write_export,
)
from api.store import ContentRowView, Store
from faq.loader import load_faq_dir
from faq.schema import FaqEntry
from tests.store.content_factories import faq_entry, write_faq

NOW = dt.datetime(2025, 6, 1, 8, 0, tzinfo=dt.UTC)


def _sync(store: Store, directory: Path, *, force: bool = False) -> SyncReport:
    source = ContentSource("faq", lambda: load_faq_dir(directory))
    return sync_content(store, sources=[source], force=force, now=NOW)


def _counts(report: SyncReport) -> tuple[int, int, int, int]:
    return report.inserted, report.updated, report.unchanged, report.removed


def _answers(store: Store) -> dict[str, Any]:
    with store.unit() as u:
        return {row.id: row.data["answer"] for row in u.content_rows(kind="faq")}


def test_sync_lifecycle(store: Store, tmp_path: Path) -> None:
    content = tmp_path / "faq"
    write_faq(content, "a.yaml", [faq_entry("a1"), faq_entry("a2")])
    write_faq(content, "b.yaml", [faq_entry("b1")])

    first = _sync(store, content)
    assert _counts(first) == (3, 0, 0, 0) and first.version == 1
    assert first.conflicts == [] and first.errors == []

    again = _sync(store, content)
    assert _counts(again) == (0, 0, 3, 0) and again.version == 1  # nothing written, no bump

    # The YAML changes; the row was never edited, so it follows.
    write_faq(content, "a.yaml", [faq_entry("a1", answer="Câu trả lời mới cho a1 từ YAML."), faq_entry("a2")])
    changed = _sync(store, content)
    assert _counts(changed) == (0, 1, 2, 0) and changed.version == 2
    assert _answers(store)["a1"] == "Câu trả lời mới cho a1 từ YAML."

    # An admin edits a1; a sync with unchanged YAML keeps the edit.
    edited = FaqEntry.model_validate(
        faq_entry("a1", answer="Bản sửa của cán bộ, không được ghi đè.")
    ).model_dump(mode="json")
    assert update_entry(store, kind="faq", id="a1", data=edited, by="admin:lan", now=NOW) == 3
    kept = _sync(store, content)
    assert _counts(kept) == (0, 0, 3, 0) and kept.conflicts == [] and kept.version == 3
    assert _answers(store)["a1"] == "Bản sửa của cán bộ, không được ghi đè."

    # Now the YAML changes too: conflict, reported and not overwritten.
    write_faq(
        content, "a.yaml", [faq_entry("a1", answer="Lại một câu trả lời khác từ YAML."), faq_entry("a2")]
    )
    conflict = _sync(store, content)
    assert _counts(conflict) == (0, 0, 2, 0) and conflict.version == 3
    assert len(conflict.conflicts) == 1 and conflict.conflicts[0].startswith("faq/a1: edited in the database")
    assert _answers(store)["a1"] == "Bản sửa của cán bộ, không được ghi đè."

    # --force overwrites, and the row counts as seeded again.
    forced = _sync(store, content, force=True)
    assert _counts(forced) == (0, 1, 2, 0) and forced.conflicts == [] and forced.version == 4
    assert _answers(store)["a1"] == "Lại một câu trả lời khác từ YAML."
    with store.unit() as u:
        row = u.content_row(kind="faq", id="a1")
    assert row is not None and not row.edited and row.updated_by == "seed"
    assert row.current_hash == content_hash(row.data)


def test_edit_matching_new_yaml_converges(store: Store, tmp_path: Path) -> None:
    write_faq(tmp_path, "a.yaml", [faq_entry("a1")])
    _sync(store, tmp_path)
    new = faq_entry("a1", answer="Cả cán bộ và YAML cùng sửa thành câu này.")
    update_entry(
        store,
        kind="faq",
        id="a1",
        data=FaqEntry.model_validate(new).model_dump(mode="json"),
        by="admin",
        now=NOW,
    )
    write_faq(tmp_path, "a.yaml", [new])
    report = _sync(store, tmp_path)
    assert report.conflicts == [] and _counts(report) == (0, 0, 1, 0)
    with store.unit() as u:
        row = u.content_row(kind="faq", id="a1")
    assert row is not None and not row.edited


def test_broken_file_keeps_previous_rows(store: Store, tmp_path: Path) -> None:
    write_faq(tmp_path, "a.yaml", [faq_entry("a1")])
    write_faq(tmp_path, "b.yaml", [faq_entry("b1"), faq_entry("b2")])
    _sync(store, tmp_path)
    before = _answers(store)

    # b.yaml changes b1 but breaks b2: the whole file is skipped, the old rows stay.
    write_faq(
        tmp_path,
        "b.yaml",
        [faq_entry("b1", answer="Một thay đổi không được áp dụng."), faq_entry("b2", answer="ngắn")],
    )
    report = _sync(store, tmp_path)
    assert _counts(report) == (0, 0, 1, 0) and report.version == 1
    (error,) = report.errors
    assert error.file.endswith("b.yaml") and error.entry_id == "b2"
    assert str(error).startswith(f"{error.file}: entry 'b2': ")
    assert _answers(store) == before

    (tmp_path / "b.yaml").write_text("entries: [\n", encoding="utf-8")
    syntax = _sync(store, tmp_path)
    assert [e.file.endswith("b.yaml") for e in syntax.errors] == [True]
    assert _answers(store) == before


def test_removed_entries(store: Store, tmp_path: Path) -> None:
    write_faq(tmp_path, "a.yaml", [faq_entry("a1"), faq_entry("a2"), faq_entry("a3")])
    _sync(store, tmp_path)
    update_entry(
        store,
        kind="faq",
        id="a3",
        data={**_answers_row(store, "a3"), "answer": "Cán bộ đã sửa a3 này."},
        by="admin",
        now=NOW,
    )
    write_faq(tmp_path, "a.yaml", [faq_entry("a1")])
    report = _sync(store, tmp_path)
    assert report.removed == 1  # a2; the edited a3 stays and is reported
    assert [c.split(":")[0] for c in report.conflicts] == ["faq/a3"]
    assert sorted(_answers(store)) == ["a1", "a3"]
    assert _sync(store, tmp_path, force=True).removed == 1
    assert sorted(_answers(store)) == ["a1"]

    # A directory with nothing loadable never wipes the content.
    (tmp_path / "a.yaml").write_text("entries: [\n", encoding="utf-8")
    assert _sync(store, tmp_path).removed == 0
    assert sorted(_answers(store)) == ["a1"]


def _answers_row(store: Store, entry_id: str) -> dict[str, Any]:
    with store.unit() as u:
        row = u.content_row(kind="faq", id=entry_id)
    assert row is not None
    return row.data


def test_rows_keep_file_order_and_moves_are_updates(store: Store, tmp_path: Path) -> None:
    write_faq(tmp_path, "b.yaml", [faq_entry("zeta"), faq_entry("alpha")])
    write_faq(tmp_path, "a.yaml", [faq_entry("mid")])
    _sync(store, tmp_path)
    with store.unit() as u:
        assert [r.id for r in u.content_rows(kind="faq")] == ["mid", "zeta", "alpha"]
    write_faq(tmp_path, "b.yaml", [faq_entry("alpha"), faq_entry("zeta")])
    report = _sync(store, tmp_path)
    assert _counts(report) == (0, 2, 1, 0)
    assert export_content(store, kind="faq") == [
        canonical(FaqEntry.model_validate(faq_entry(i))) for i in ("mid", "alpha", "zeta")
    ]


def test_export_round_trip(store: Store, tmp_path: Path) -> None:
    source = tmp_path / "src"
    write_faq(
        source,
        "a.yaml",
        [
            faq_entry(
                "a1", related=["b1"], tags=["vneid", "mật khẩu"], valid_until="2026-01-01", uncertain=True
            ),
            faq_entry("a2", kind="offtopic", questions=["thời tiết hôm nay"]),
        ],
    )
    write_faq(source, "b.yaml", [faq_entry("b1", flow="cap_cccd", valid_from="2025-01-01")])
    _sync(store, source)
    added = FaqEntry.model_validate(
        faq_entry("new_one", answer="Mục mới do cán bộ thêm trong trang quản trị.")
    )
    update_entry(store, kind="faq", id="new_one", data=added.model_dump(mode="json"), by="admin", now=NOW)

    out = tmp_path / "export"
    written = write_export(store, out)
    assert sorted(p.relative_to(out).as_posix() for p in written) == [
        "faq/a.yaml",
        "faq/added.yaml",
        "faq/b.yaml",
    ]
    reloaded = load_faq_dir(out / "faq")
    assert reloaded.errors == ()
    original = load_faq_dir(source)
    assert {e.id: e for e in reloaded.items} == {**{e.id: e for e in original.items}, "new_one": added}


def test_content_check() -> None:
    today = dt.date(2025, 8, 31)

    def row(entry_id: str, **data: Any) -> ContentRowView:
        return ContentRowView(
            kind="faq",
            id=entry_id,
            data={"id": entry_id, **data},
            updated_at=NOW,
            updated_by="seed",
            source_file=None,
            position=0,
            seed_hash=None,
            current_hash="",
        )

    rows = [
        row("fresh", reviewed="2025-08-01"),
        row("edge", reviewed="2025-02-28"),  # exactly 6 months before the 31st of August (clamped)
        row("stale", reviewed="2025-02-27"),
        row("expired", reviewed="2025-08-01", valid_until="2025-08-30"),
        row("soon", reviewed="2025-08-01", valid_until="2025-09-30"),
        row("later", reviewed="2025-08-01", valid_until="2025-10-01"),
        row("no_dates"),
    ]
    assert content_check(rows, today=today) == [
        "faq/stale: last reviewed 2025-02-27, over 6 months ago",
        "faq/expired: expired on 2025-08-30",
        "faq/soon: expires on 2025-09-30, within 30 days",
    ]


def test_several_kinds_and_report_dict(store: Store, tmp_path: Path) -> None:
    write_faq(tmp_path / "faq", "a.yaml", [faq_entry("a1")])
    write_faq(tmp_path / "other", "x.yaml", [faq_entry("a1"), faq_entry("x2", answer="no")])
    sources = [
        ContentSource("faq", lambda: load_faq_dir(tmp_path / "faq")),
        ContentSource("offtopic_test", lambda: load_faq_dir(tmp_path / "other")),
    ]
    report = sync_content(store, sources=sources, now=NOW)
    assert _counts(report) == (1, 0, 0, 0)
    summary = report.as_dict()
    assert summary["version"] == 1 and summary["inserted"] == 1
    assert summary["errors"] == [str(e) for e in report.errors] and len(summary["errors"]) == 1
    with store.unit() as u:
        assert u.content_kinds() == ["faq"]


def test_export_of_the_real_content_loads_back_with_every_loader(sqlite_store: Store, tmp_path: Path) -> None:
    from api.live_content import sync_from_files
    from api.settings import Settings
    from flows.loader import load_catalogue_dir, load_flows_dir, load_life_events, load_sectors

    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    report = sync_from_files(sqlite_store, settings, now=NOW)
    assert not report.errors
    out = tmp_path / "export"
    write_export(sqlite_store, out)
    loaded = {
        "faq": load_faq_dir(out / "faq"),
        "flow": load_flows_dir(out / "flows"),
        "service": load_catalogue_dir(out / "catalogue"),
        "life_event": load_life_events(out / "catalogue"),
        "sector": load_sectors(out / "catalogue"),
    }
    originals = {
        "faq": load_faq_dir(settings.faq_dir),
        "flow": load_flows_dir(settings.flows_dir),
        "service": load_catalogue_dir(settings.catalogue_dir),
        "life_event": load_life_events(settings.catalogue_dir),
        "sector": load_sectors(settings.catalogue_dir),
    }
    for kind, result in loaded.items():
        assert not result.errors, (kind, result.errors[:3])
        assert list(result.items) == list(originals[kind].items), kind


# -- saving from the console: validation, versions, concurrent edits (issue 11) -------------------


def test_save_is_validated_versioned_and_refuses_a_stale_version(store: Store, tmp_path: Path) -> None:
    write_faq(tmp_path, "a.yaml", [faq_entry("a1")])
    _sync(store, tmp_path)
    with store.unit() as u:
        seeded = u.content_row(kind="faq", id="a1")
        assert seeded is not None and seeded.version == 1
        with pytest.raises(InvalidContent) as bad:
            save_entry(u, kind="faq", id="a1", data={**seeded.data, "answer": "ngắn"}, base_version=1, by="lan", now=NOW)
        assert [path for path, _ in bad.value.errors] == ["answer"]
        first = save_entry(u, kind="faq", id="a1", data={**seeded.data, "answer": "Bản sửa thứ nhất của chị Lan."},
                           base_version=1, by="lan", now=NOW)
        assert first.version == 2 and first.updated_by == "lan" and first.edited
    with store.unit() as u:
        # Another editor started from version 1 too: refused, with what is there now.
        with pytest.raises(VersionConflict) as stale:
            save_entry(u, kind="faq", id="a1", data={**seeded.data, "answer": "Bản sửa của anh Minh cũng từ bản 1."},
                       base_version=1, by="minh", now=NOW)
        assert stale.value.current is not None and stale.value.current.updated_by == "lan"
        restored = restore_version(u, kind="faq", id="a1", version=1, base_version=2, by="minh", now=NOW)
        assert restored.version == 3 and restored.data["answer"] == seeded.data["answer"]
        assert [(v.version, v.action, v.by) for v in u.content_versions(kind="faq", id="a1")] == [
            (3, "restore", "minh"), (2, "edit", "lan"), (1, "seed", "seed"),
        ]


def test_a_save_that_would_break_a_guide_is_refused_with_the_reason(store: Store) -> None:
    from api.live_content import content_sources
    from api.settings import Settings

    sync_content(store, sources=content_sources(Settings(_env_file=None)), now=NOW)  # type: ignore[call-arg]
    with store.unit() as u:
        flow = u.content_row(kind="flow", id="l2")
        assert flow is not None
        data = dict(flow.data)
        first = dict(data["steps"][0])
        first["buttons" if "buttons" in first else "next"] = [{"label": "Đi đâu?", "goto": "khong_co_buoc_nay"}] \
            if "buttons" in first else "khong_co_buoc_nay"
        data["steps"] = [first, *data["steps"][1:]]
        with pytest.raises(InvalidContent) as bad:
            save_entry(u, kind="flow", id="l2", data=data, base_version=flow.version, by="lan", now=NOW)
        assert any("khong_co_buoc_nay" in message for _, message in bad.value.errors), bad.value.errors
        assert u.content_row(kind="flow", id="l2") == flow  # nothing saved
