"""Loading broken flow files: each error names the file, the flow and the step; bad files are skipped."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from pydantic import ValidationError

from faq.loader import ContentError
from flows.engine import validate_flows
from flows.loader import load_flows_dir
from flows.schema import Choice, Flow

HEADER = """\
flows:
  - id: {flow_id}
    title: Hướng dẫn thử
    summary: Một hướng dẫn để kiểm thử bộ nạp.
    triggers: [thử một, thử hai, thử ba, thử bốn, thử năm]
    source: kiểm thử
    reviewed: 2026-11-23
    steps:
"""


def write_flow(directory: Path, name: str, steps: str, *, flow_id: str = "demo") -> Path:
    """Write a flow file with the standard header and the given (YAML) steps."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(HEADER.format(flow_id=flow_id) + textwrap.indent(textwrap.dedent(steps), " " * 6), "utf-8")
    return path


GOOD = """\
- id: a
  text: Làm việc A.
  next: b
- id: b
  text: Xong.
  end: true
"""


def only_error(errors: tuple[ContentError, ...], fragment: str) -> ContentError:
    """The single error whose message contains ``fragment``."""
    found = [e for e in errors if fragment in e.message]
    assert len(found) == 1, [str(e) for e in errors]
    return found[0]


def assert_names(err: ContentError, file: str, flow: str, step: str | None) -> None:
    """The error names the file, the flow and (when given) the step."""
    assert err.file.endswith(file)
    assert f"flow '{flow}'" in err.message
    if step is None:
        assert err.entry_id == flow
    else:
        assert f"step '{step}'" in err.message
        assert err.entry_id == f"{flow}/{step}"


def test_good_file_loads(tmp_path: Path) -> None:
    write_flow(tmp_path / "content", "good.yaml", GOOD)
    result = load_flows_dir(tmp_path / "content")
    assert result.errors == ()
    assert [f.id for f in result.items] == ["demo"]


def test_unknown_target(tmp_path: Path) -> None:
    d = tmp_path / "content"
    write_flow(d, "bad.yaml", "- id: a\n  text: Làm A.\n  next: nowhere\n- id: b\n  text: Xong.\n  end: true\n")
    write_flow(d, "good.yaml", GOOD, flow_id="ok")
    result = load_flows_dir(d)
    assert_names(only_error(result.errors, "unknown step 'nowhere'"), "bad.yaml", "demo", "a")
    assert [f.id for f in result.items] == ["ok"]  # the broken file is skipped, the other loads


def test_unknown_choice_target_and_unknown_flow(tmp_path: Path) -> None:
    d = tmp_path / "content"
    steps = """\
    - id: a
      text: Chọn.
      choices:
        - {label: Một, goto: ghost}
        - {label: Hai, flow: nosuch}
    - id: b
      text: Xong.
      end: true
    """
    write_flow(d, "bad.yaml", steps)
    result = load_flows_dir(d)
    assert_names(only_error(result.errors, "unknown step 'ghost'"), "bad.yaml", "demo", "a")
    assert_names(only_error(result.errors, "unknown flow 'nosuch'"), "bad.yaml", "demo", "a")
    assert result.items == ()


def test_unreachable_step(tmp_path: Path) -> None:
    d = tmp_path / "content"
    write_flow(d, "bad.yaml", GOOD + "- id: island\n  text: Không ai tới.\n  end: true\n")
    result = load_flows_dir(d)
    assert_names(only_error(result.errors, "unreachable"), "bad.yaml", "demo", "island")


def test_dead_end(tmp_path: Path) -> None:
    d = tmp_path / "content"
    write_flow(d, "bad.yaml", "- id: a\n  text: Làm A.\n  next: b\n- id: b\n  text: Rồi sao nữa?\n- id: c\n  text: x\n  end: true\n")
    result = load_flows_dir(d)
    assert_names(only_error(result.errors, "dead end"), "bad.yaml", "demo", "b")


def test_loop_without_an_end(tmp_path: Path) -> None:
    d = tmp_path / "content"
    steps = "- id: a\n  text: A.\n  next: b\n  fail: z\n- id: b\n  text: B.\n  next: a\n- id: z\n  text: Z.\n  end: true\n"
    write_flow(d, "loop.yaml", steps)
    assert load_flows_dir(d).errors == ()  # a loop with an exit is fine
    steps = "- id: a\n  text: A.\n  next: b\n- id: b\n  text: B.\n  next: a\n- id: z\n  text: Z.\n  end: true\n"
    write_flow(d, "loop.yaml", steps)
    result = load_flows_dir(d)
    err = [e for e in result.errors if "no way from this step to an end step" in e.message]
    assert {e.entry_id for e in err} == {"demo/a", "demo/b"}


def test_no_end_step_at_all(tmp_path: Path) -> None:
    d = tmp_path / "content"
    write_flow(d, "bad.yaml", "- id: a\n  text: A.\n  next: b\n- id: b\n  text: B.\n  next: a\n")
    result = load_flows_dir(d)
    assert_names(only_error(result.errors, "no end step"), "bad.yaml", "demo", None)


def test_duplicate_step_id(tmp_path: Path) -> None:
    d = tmp_path / "content"
    write_flow(d, "bad.yaml", GOOD + "- id: a\n  text: Lại A.\n  end: true\n")
    result = load_flows_dir(d)
    assert_names(only_error(result.errors, "duplicate step id"), "bad.yaml", "demo", "a")


def test_duplicate_flow_id_across_files_rejects_the_later_file(tmp_path: Path) -> None:
    d = tmp_path / "content"
    write_flow(d, "a_first.yaml", GOOD)
    write_flow(d, "b_second.yaml", GOOD)
    result = load_flows_dir(d)
    err = only_error(result.errors, "duplicate id")
    assert err.file.endswith("b_second.yaml") and err.entry_id == "demo"
    assert "a_first.yaml" in err.message
    assert [lf.file.rsplit("/", 1)[-1] for lf in result.files] == ["a_first.yaml"]


def test_missing_text_names_the_step(tmp_path: Path) -> None:
    d = tmp_path / "content"
    write_flow(d, "bad.yaml", "- id: a\n  next: b\n- id: b\n  text: Xong.\n  end: true\n")
    write_flow(d, "good.yaml", GOOD, flow_id="ok")
    result = load_flows_dir(d)
    err = only_error(result.errors, "text")
    assert_names(err, "bad.yaml", "demo", "a")
    assert "Field required" in err.message
    assert [f.id for f in result.items] == ["ok"]


def test_empty_text_and_too_long_text(tmp_path: Path) -> None:
    d = tmp_path / "content"
    long_text = "chữ " * 200
    write_flow(d, "bad.yaml", f"- id: a\n  text: ''\n  next: b\n- id: b\n  text: {long_text}\n  end: true\n")
    result = load_flows_dir(d)
    assert {e.entry_id for e in result.errors} == {"demo/a", "demo/b"}


def test_reference_to_a_flow_in_a_skipped_file_cascades(tmp_path: Path) -> None:
    d = tmp_path / "content"
    write_flow(d, "a_broken.yaml", "- id: a\n  text: A.\n  next: nowhere\n- id: b\n  text: B.\n  end: true\n", flow_id="target")
    steps = "- id: a\n  text: Xem hướng dẫn khác.\n  end: true\n  choices:\n    - {label: Sang, flow: target}\n"
    write_flow(d, "b_linker.yaml", steps, flow_id="linker")
    write_flow(d, "c_fine.yaml", GOOD, flow_id="fine")
    result = load_flows_dir(d)
    assert_names(only_error(result.errors, "unknown flow 'target'"), "b_linker.yaml", "linker", "a")
    assert [f.id for f in result.items] == ["fine"]


def test_unknown_step_of_another_flow(tmp_path: Path) -> None:
    d = tmp_path / "content"
    write_flow(d, "a.yaml", GOOD, flow_id="other")
    steps = "- id: a\n  text: Sang.\n  end: true\n  choices:\n    - {label: Sang, flow: other/zzz}\n"
    write_flow(d, "b.yaml", steps)
    result = load_flows_dir(d)
    assert_names(only_error(result.errors, "unknown step 'zzz' of flow 'other'"), "b.yaml", "demo", "a")


def test_yaml_syntax_error_and_wrong_top_level(tmp_path: Path) -> None:
    d = tmp_path / "content"
    d.mkdir()
    (d / "broken.yaml").write_text("flows: [\n", "utf-8")
    (d / "list.yaml").write_text("- a\n- b\n", "utf-8")
    write_flow(d, "good.yaml", GOOD)
    result = load_flows_dir(d)
    assert any(e.file.endswith("broken.yaml") and "YAML syntax error" in e.message for e in result.errors)
    assert any(e.file.endswith("list.yaml") and "flows:" in e.message for e in result.errors)
    assert [f.id for f in result.items] == ["demo"]


def test_missing_directory_is_an_error_not_a_crash(tmp_path: Path) -> None:
    result = load_flows_dir(tmp_path / "nope")
    assert result.items == () and len(result.errors) == 1


def test_known_faq_and_services_are_checked(tmp_path: Path) -> None:
    d = tmp_path / "content"
    steps = """\
    - id: a
      text: Xem thêm.
      end: true
      faq: [ghost_faq]
      choices:
        - {label: Hỏi, faq: other_faq}
        - {label: Thủ tục, service: ghost_service}
    """
    write_flow(d, "links.yaml", steps)
    assert load_flows_dir(d).errors == ()
    result = load_flows_dir(d, known_faq={"other_faq"}, known_services={"passport"})
    assert_names(only_error(result.errors, "'ghost_faq'"), "links.yaml", "demo", "a")
    assert_names(only_error(result.errors, "'ghost_service'"), "links.yaml", "demo", "a")


def test_too_many_buttons(tmp_path: Path) -> None:
    d = tmp_path / "content"
    choices = "\n".join(f"    - {{label: Lựa chọn {i}, goto: b}}" for i in range(5))
    write_flow(d, "wide.yaml", f"- id: a\n  text: Chọn.\n  choices:\n{choices}\n- id: b\n  text: Xong.\n  end: true\n")
    result = load_flows_dir(d)
    assert_names(only_error(result.errors, "too many buttons"), "wide.yaml", "demo", "a")


def test_missing_image_file(tmp_path: Path) -> None:
    d = tmp_path / "content"
    steps = "- id: a\n  text: Xem hình.\n  image: {path: shot.png, alt: Màn hình}\n  next: b\n- id: b\n  text: Xong.\n  end: true\n"
    write_flow(d, "img.yaml", steps)
    assert_names(only_error(load_flows_dir(d).errors, "image"), "img.yaml", "demo", "a")
    (tmp_path / "images").mkdir()
    (tmp_path / "images" / "shot.png").write_bytes(b"\x89PNG")
    assert load_flows_dir(d).errors == ()


@pytest.mark.parametrize(
    "choice",
    [
        {"label": "Hai đích", "goto": "a", "faq": "x_y"},
        {"label": "Không đích"},
        {"label": "Nhãn quá dài " * 4, "goto": "a"},
        {"label": "Gạch ngang", "goto": "a-b"},
        {"label": "Hoa", "service": "Passport"},
    ],
)
def test_bad_choices_are_rejected(choice: dict[str, str]) -> None:
    with pytest.raises(ValidationError):
        Choice.model_validate(choice)


@pytest.mark.parametrize("flow_id", ["has-dash", "toolongflowid", "Upper", ""])
def test_bad_flow_ids_are_rejected(flow_id: str) -> None:
    with pytest.raises(ValidationError):
        Flow.model_validate(
            {
                "id": flow_id,
                "title": "Thử",
                "summary": "Một hướng dẫn thử.",
                "triggers": ["a", "b", "c", "d", "e"],
                "source": "thử",
                "reviewed": "2026-11-23",
                "steps": [{"id": "a", "text": "x", "end": True}],
            }
        )


def test_image_must_be_local() -> None:
    with pytest.raises(ValidationError):
        Flow.model_validate(
            {
                "id": "img",
                "title": "Thử",
                "summary": "Một hướng dẫn thử.",
                "triggers": ["a", "b", "c", "d", "e"],
                "source": "thử",
                "reviewed": "2026-11-23",
                "steps": [{"id": "a", "text": "x", "end": True, "image": {"path": "https://x.example/a.png", "alt": "Ảnh"}}],
            }
        )


def test_validate_flows_reports_duplicate_flow_ids_directly() -> None:
    flow = Flow.model_validate(
        {
            "id": "same",
            "title": "Thử",
            "summary": "Một hướng dẫn thử.",
            "triggers": ["a", "b", "c", "d", "e"],
            "source": "thử",
            "reviewed": "2026-11-23",
            "steps": [{"id": "a", "text": "x", "end": True}],
        }
    )
    errors = validate_flows([flow, flow], file_of={"same": "x.yaml"})
    assert [(e.file, e.entry_id) for e in errors] == [("x.yaml", "same")]
    assert "duplicate flow id" in errors[0].message
