"""The YAML content loader: good files load, bad files are skipped whole with precise errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from api.settings import Settings
from faq.loader import ContentError, ContentInvalid, load_dir, load_faq_dir
from tests.store.content_factories import faq_entry, write_faq


def test_content_error_text() -> None:
    assert str(ContentError("faq/content/x.yaml", "abc", "answer: too short")) == (
        "faq/content/x.yaml: entry 'abc': answer: too short"
    )
    assert str(ContentError("faq/content/x.yaml", None, "YAML syntax error")) == (
        "faq/content/x.yaml: YAML syntax error"
    )


def test_loads_files_in_name_order(tmp_path: Path) -> None:
    write_faq(tmp_path, "b.yaml", [faq_entry("b1")])
    write_faq(tmp_path, "a.yaml", [faq_entry("a1"), faq_entry("a2", related=["b1"])])
    (tmp_path / "notes.txt").write_text("not content", encoding="utf-8")
    result = load_faq_dir(tmp_path)
    assert result.errors == ()
    assert [Path(f.file).name for f in result.files] == ["a.yaml", "b.yaml"]
    assert [e.id for e in result.items] == ["a1", "a2", "b1"]
    assert result.items[1].related == ("b1",)


def test_schema_error_names_file_and_entry(tmp_path: Path) -> None:
    write_faq(tmp_path, "a.yaml", [faq_entry("a1")])
    bad = write_faq(tmp_path, "b.yaml", [faq_entry("b1"), faq_entry("b2", answer="ngắn")])
    result = load_faq_dir(tmp_path)
    assert [e.id for e in result.items] == ["a1"]  # b.yaml skipped whole, b1 included
    (error,) = result.errors
    assert error.file.endswith("b.yaml") and error.file == bad.resolve().as_posix()
    assert error.entry_id == "b2"
    assert "entries[1].answer" in error.message
    assert str(error).startswith(f"{error.file}: entry 'b2': entries[1].answer:")


def test_model_level_error_names_entry(tmp_path: Path) -> None:
    write_faq(tmp_path, "a.yaml", [faq_entry("a1", valid_from="2025-02-01", valid_until="2025-01-01")])
    (error,) = load_faq_dir(tmp_path).errors
    assert error.entry_id == "a1"
    assert "valid_from is after valid_until" in error.message


def test_unknown_field_and_missing_entries(tmp_path: Path) -> None:
    write_faq(tmp_path, "a.yaml", [faq_entry("a1", anwser="typo")])
    (tmp_path / "b.yaml").write_text("title: no entries here\n", encoding="utf-8")
    (tmp_path / "c.yaml").write_text("", encoding="utf-8")
    errors = {Path(e.file).name: e for e in load_faq_dir(tmp_path).errors}
    assert errors["a.yaml"].entry_id == "a1" and "anwser" in errors["a.yaml"].message
    assert errors["b.yaml"].entry_id is None
    assert errors["c.yaml"].entry_id is None


def test_yaml_syntax_error_gives_line(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("entries:\n  - id: a1\n    title: [unclosed\n", encoding="utf-8")
    (error,) = load_faq_dir(tmp_path).errors
    assert error.entry_id is None
    assert error.message.startswith("YAML syntax error at line")


def test_duplicate_yaml_key_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(
        "entries:\n  - id: a1\n    title: Một\n    title: Hai\n", encoding="utf-8"
    )
    (error,) = load_faq_dir(tmp_path).errors
    assert "duplicate key 'title'" in error.message


def test_duplicate_ids(tmp_path: Path) -> None:
    write_faq(tmp_path, "a.yaml", [faq_entry("same"), faq_entry("a2")])
    write_faq(tmp_path, "b.yaml", [faq_entry("b1"), faq_entry("same")])
    write_faq(tmp_path, "c.yaml", [faq_entry("c1"), faq_entry("c1")])
    result = load_faq_dir(tmp_path)
    assert [e.id for e in result.items] == ["same", "a2"]
    by_file = {Path(e.file).name: e for e in result.errors}
    assert by_file["b.yaml"].entry_id == "same" and "a.yaml" in by_file["b.yaml"].message
    assert by_file["c.yaml"].entry_id == "c1" and "duplicate id" in by_file["c.yaml"].message


def test_dangling_related_rejects_its_file(tmp_path: Path) -> None:
    write_faq(tmp_path, "a.yaml", [faq_entry("a1", related=["nowhere"])])
    write_faq(tmp_path, "b.yaml", [faq_entry("b1", related=["c1"])])
    # c.yaml is broken, but its ids still exist in the database: b1 may point at them.
    write_faq(tmp_path, "c.yaml", [faq_entry("c1", answer="x")])
    result = load_faq_dir(tmp_path)
    assert [e.id for e in result.items] == ["b1"]
    related = [e for e in result.errors if e.file.endswith("a.yaml")]
    assert [(e.entry_id, e.message) for e in related] == [("a1", "related id 'nowhere' does not exist")]


def test_related_may_name_known_ids_from_elsewhere(tmp_path: Path) -> None:
    write_faq(tmp_path, "a.yaml", [faq_entry("a1", related=["svc_id_card"])])
    assert load_faq_dir(tmp_path).items == ()
    assert [e.id for e in load_faq_dir(tmp_path, known_ids={"svc_id_card"}).items] == ["a1"]


def test_missing_directory(tmp_path: Path) -> None:
    result = load_faq_dir(tmp_path / "absent")
    assert result.files == ()
    assert [e.message for e in result.errors] == ["content directory not found"]


class _Flow(BaseModel):
    id: str
    steps: tuple[str, ...]


def _parse_flow(raw: Any, file: str) -> list[_Flow]:
    flow = _Flow.model_validate(raw)
    if not flow.steps:
        raise ContentInvalid("a flow needs steps", entry_id=flow.id)
    return [flow]


def test_generic_load_dir(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("id: cap_cccd\nsteps: [bat_dau, giay_to]\n", encoding="utf-8")
    (tmp_path / "b.yaml").write_text("id: doi_cccd\nsteps: 5\n", encoding="utf-8")
    (tmp_path / "c.yaml").write_text("id: rong\nsteps: []\n", encoding="utf-8")
    result = load_dir(tmp_path, _parse_flow)
    assert [f.id for f in result.items] == ["cap_cccd"]
    assert sorted((Path(e.file).name, e.entry_id) for e in result.errors) == [
        ("b.yaml", "doi_cccd"),
        ("c.yaml", "rong"),
    ]


def test_real_faq_content_loads_cleanly() -> None:
    directory = Settings().faq_dir
    if not directory.is_dir() or not any(directory.glob("*.yaml")):
        pytest.skip(f"no FAQ content in {directory} yet")
    result = load_faq_dir(directory)
    assert [str(e) for e in result.errors] == []
    assert result.items
