"""The flow engine on small hand-written flows: rendering, moves, history, numbering, events."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from bot.core import texts
from bot.core.types import FlowPosition
from flows.engine import (
    BUTTONS_MAX,
    DONE_LABEL,
    FAIL_LABEL,
    IMAGE_URL_PREFIX,
    RETRY_LABEL,
    STILL_FAILING_LABEL,
    FlowSet,
    back,
    enter,
    flow_index_docs,
    goto,
    restart,
    show,
)
from flows.schema import Flow

NOW = "2026-11-23T08:00:00+00:00"


def make_flow(steps: list[dict[str, Any]], *, flow_id: str = "demo", title: str = "Hướng dẫn thử") -> Flow:
    """A flow with valid metadata around the given steps."""
    return Flow.model_validate(
        {
            "id": flow_id,
            "title": title,
            "summary": "Một hướng dẫn để kiểm thử bộ máy.",
            "triggers": ["thử một", "thử hai", "thử ba", "thử bốn", "thử năm"],
            "source": "kiểm thử",
            "reviewed": dt.date(2026, 11, 23),
            "steps": steps,
        }
    )


LINEAR = make_flow(
    [
        {"id": "a", "text": "Làm việc A.", "next": "b", "checklist": ["Thẻ căn cước", "Điện thoại"]},
        {"id": "b", "text": "Làm việc B.", "next": "c", "fail": "b_fix"},
        {"id": "b_fix", "text": "Sửa lỗi B.", "back_to": "b", "fail": "help"},
        {"id": "c", "text": "Xong rồi.", "end": True, "faq": ["faq_one", "faq_two", "faq_three"]},
        {"id": "help", "text": "Nhờ người giúp.", "end": True},
    ]
)

BRANCH = make_flow(
    [
        {
            "id": "start",
            "text": "Chọn loại máy.",
            "choices": [
                {"label": "iPhone", "goto": "ios1"},
                {"label": "Android", "goto": "and1"},
                {"label": "Hỏi đáp", "faq": "faq_one"},
                {"label": "Dịch vụ", "service": "passport"},
            ],
        },
        {"id": "ios1", "text": "Bước iPhone một.", "next": "ios2"},
        {"id": "ios2", "text": "Bước iPhone hai.", "next": "done"},
        {"id": "and1", "text": "Bước Android.", "next": "done", "image": {"path": "and.png", "alt": "Màn hình"}},
        {
            "id": "done",
            "text": "Hoàn tất.",
            "end": True,
            "choices": [{"label": "Hướng dẫn khác", "flow": "demo/ios1"}, {"label": "Về đầu", "goto": "start"}],
        },
    ],
    flow_id="branch",
    title="Rẽ nhánh",
)

FLOWS = FlowSet.build([LINEAR, BRANCH], faq_titles={"faq_one": "Câu một", "faq_two": "Câu hai"})


def labels(outcome: Any) -> list[str]:
    """Button labels of an outcome's reply."""
    return [b.label for b in outcome.reply.buttons]


def payloads(outcome: Any) -> list[str]:
    """Button payloads of an outcome's reply."""
    return [b.payload for b in outcome.reply.buttons]


def test_enter_renders_header_text_checklist_and_buttons() -> None:
    out = enter(FLOWS, "demo", None, now_iso=NOW)
    assert out is not None
    assert out.reply.text.splitlines() == [
        "Bước 1/3 · Hướng dẫn thử",
        "Làm việc A.",
        "Mang theo:",
        "• Thẻ căn cước",
        "• Điện thoại",
    ]
    assert labels(out) == [DONE_LABEL, texts.MAIN_MENU_BUTTON.label]  # no back without history
    assert payloads(out) == ["f-demo-b", "menu"]
    assert out.position == FlowPosition(flow="demo", step="a", history=(), at=NOW)
    assert out.ref == "demo/a"
    assert [(e.name, e.as_dict()) for e in out.events] == [("flow_started", {"flow": "demo", "step": "a"})]


def test_unknown_flow_or_step_gives_none() -> None:
    assert enter(FLOWS, "nope", None, now_iso=NOW) is None
    assert enter(FLOWS, "demo", "nope", now_iso=NOW) is None
    pos = FlowPosition("demo", "a")
    assert goto(FLOWS, pos, "nope", now_iso=NOW) is None
    assert goto(FLOWS, FlowPosition("nope", "a"), "b", now_iso=NOW) is None
    assert show(FLOWS, FlowPosition("demo", "gone"), now_iso=NOW) is None
    assert show(FLOWS, FlowPosition("nope", "a"), now_iso=NOW) is None


def test_goto_pushes_history_and_offers_back_fail() -> None:
    out = goto(FLOWS, FlowPosition("demo", "a"), "b", now_iso=NOW)
    assert out is not None and out.position is not None
    assert out.position.history == ("a",)
    assert out.reply.text.startswith("Bước 2/3 · Hướng dẫn thử\nLàm việc B.")
    assert labels(out) == [DONE_LABEL, FAIL_LABEL, texts.BACK.label, texts.MAIN_MENU_BUTTON.label]
    assert payloads(out) == ["f-demo-c", "f-demo-b_fix", "c-back", "menu"]
    assert out.events[0].name == "flow_step"


def test_troubleshooting_step_keeps_number_and_offers_retry() -> None:
    pos = FlowPosition("demo", "b", history=("a",))
    out = goto(FLOWS, pos, "b_fix", now_iso=NOW)
    assert out is not None and out.position is not None
    assert out.reply.text.startswith("Bước 2/3 · ")  # same number as the step that failed
    assert labels(out) == [RETRY_LABEL, STILL_FAILING_LABEL, texts.MAIN_MENU_BUTTON.label]
    assert payloads(out) == ["f-demo-b", "f-demo-help", "menu"]  # retry replaces a back to the same step
    deep = goto(FLOWS, FlowPosition("demo", "a"), "b_fix", now_iso=NOW)
    assert deep is not None and texts.BACK.label in labels(deep)  # back would lead elsewhere: keep it
    retry = goto(FLOWS, out.position, "b", now_iso=NOW)
    assert retry is not None and retry.position is not None
    assert retry.position.history == ("a",)  # going back to a step on the path cuts the loop


def test_end_step_finishes_with_menu_handoff_and_related() -> None:
    pos = FlowPosition("demo", "b", history=("a",))
    out = goto(FLOWS, pos, "c", now_iso=NOW)
    assert out is not None
    assert out.position is None
    assert out.reply.text.startswith("Bước 3/3 · ")
    # At most two related FAQ buttons, only those with a known title; no back on a finished flow.
    assert labels(out) == ["Câu một", "Câu hai", texts.MAIN_MENU_BUTTON.label, texts.HANDOFF_BUTTON.label]
    assert payloads(out) == ["q-faq_one", "q-faq_two", "menu", "c-handoff"]
    assert [e.name for e in out.events] == ["flow_step", "flow_finished"]


def test_enter_at_end_step_starts_and_finishes() -> None:
    out = enter(FLOWS, "demo", "help", now_iso=NOW)
    assert out is not None and out.position is None
    assert [e.name for e in out.events] == ["flow_started", "flow_finished"]


def test_choice_targets_become_payloads() -> None:
    out = enter(FLOWS, "branch", None, now_iso=NOW)
    assert out is not None
    assert payloads(out) == ["f-branch-ios1", "f-branch-and1", "q-faq_one", "s-passport", "menu"]
    done = enter(FLOWS, "branch", "done", now_iso=NOW)
    assert done is not None
    assert payloads(done)[:2] == ["f-demo-ios1", "f-branch-start"]


def test_branch_numbering_counts_the_path_taken() -> None:
    start = enter(FLOWS, "branch", None, now_iso=NOW)
    assert start is not None and start.reply.text.startswith("Bước 1/4 ")
    assert start.position is not None
    ios = goto(FLOWS, start.position, "ios1", now_iso=NOW)
    android = goto(FLOWS, start.position, "and1", now_iso=NOW)
    assert ios is not None and android is not None and android.position is not None
    assert ios.reply.text.startswith("Bước 2/4 ")
    assert android.reply.text.startswith("Bước 2/3 ")
    done = goto(FLOWS, android.position, "done", now_iso=NOW)
    assert done is not None and done.reply.text.startswith("Bước 3/3 ")
    assert FLOWS.position_of(FlowPosition("branch", "ios2", history=("start", "ios1"))) == (3, 4)
    assert FLOWS.position_of(FlowPosition("gone", "x")) == (0, 0)


def test_image_is_served_from_the_flow_images_path() -> None:
    out = enter(FLOWS, "branch", "and1", now_iso=NOW)
    assert out is not None
    assert [(i.url, i.alt) for i in out.reply.images] == [(IMAGE_URL_PREFIX + "and.png", "Màn hình")]


def test_back_pops_history_and_reshows_first_step() -> None:
    pos = FlowPosition("demo", "b_fix", history=("a", "b"))
    out = back(FLOWS, pos, now_iso=NOW)
    assert out.position == FlowPosition("demo", "b", history=("a",), at=NOW)
    first = back(FLOWS, FlowPosition("demo", "a"), now_iso=NOW)
    assert first.position == FlowPosition("demo", "a", history=(), at=NOW)
    assert first.ref == "demo/a"


def test_back_skips_steps_that_no_longer_exist_and_survives_a_removed_flow() -> None:
    out = back(FLOWS, FlowPosition("demo", "b", history=("a", "removed")), now_iso=NOW)
    assert out.position is not None and out.position.step == "a"
    gone = back(FLOWS, FlowPosition("removed_flow", "x"), now_iso=NOW)
    assert gone.position is None
    assert payloads(gone) == ["menu"]
    again = restart(FLOWS, FlowPosition("removed_flow", "x"), now_iso=NOW)
    assert again.position is None


def test_restart_goes_to_first_step_with_empty_history() -> None:
    out = restart(FLOWS, FlowPosition("demo", "b", history=("a",)), now_iso=NOW)
    assert out.position == FlowPosition("demo", "a", history=(), at=NOW)
    assert out.events[0].name == "flow_started"


def test_show_rerenders_and_drops_unknown_history() -> None:
    out = show(FLOWS, FlowPosition("demo", "b", history=("a", "removed"), at="old"), now_iso=NOW)
    assert out is not None and out.position is not None
    assert out.position.history == ("a",)
    assert out.position.at == NOW
    assert texts.BACK.label in labels(out)


def test_history_is_bounded() -> None:
    pos = FlowPosition("demo", "a", history=tuple(f"x{i}" for i in range(100)))
    out = goto(FLOWS, pos, "b", now_iso=NOW)
    assert out is not None and out.position is not None
    assert len(out.position.history) <= 30


def test_flow_index_docs() -> None:
    docs = flow_index_docs(FLOWS)
    assert [d.key for d in docs] == ["flow:demo", "flow:branch"]
    assert all(d.kind == "flow" for d in docs)
    assert docs[0].phrasings[-1] == "Hướng dẫn thử"
    assert docs[0].body == LINEAR.summary


def test_flowset_lookup() -> None:
    assert FLOWS.get("demo") is LINEAR
    assert FLOWS.get("nope") is None
    assert FLOWS.titles() == {"demo": "Hướng dẫn thử", "branch": "Rẽ nhánh"}
    assert len(FLOWS) == 2
    dup = FlowSet.build([LINEAR, make_flow([{"id": "z", "text": "Khác.", "end": True}])])
    assert dup.get("demo") is LINEAR  # the first of two flows with one id wins


@pytest.mark.parametrize("flow", [LINEAR, BRANCH])
def test_no_step_shows_more_than_the_button_limit(flow: Flow) -> None:
    for step in flow.steps:
        out = enter(FLOWS, flow.id, step.id, now_iso=NOW)
        assert out is not None
        assert len(out.reply.buttons) <= BUTTONS_MAX


# --- vague problem messages ---------------------------------------------------------------------


def _vague_set() -> FlowSet:
    fix = make_flow([{"id": "a", "text": "Bạn gặp lỗi gì?", "end": True}], flow_id="fix").model_copy(
        update={"vague_problems": ("lỗi", "bị lỗi", "không vào được"), "vague_context": ("VNeID", "ứng dụng")}
    )
    return FlowSet.build([LINEAR, fix])


@pytest.mark.parametrize("message", ["lỗi", "bi loi roi", "VNeID bị lỗi rồi", "app ko vao dc", "ung dung k vào đc a"])
def test_a_vague_problem_message_names_the_guide(message: str) -> None:
    assert _vague_set().vague_guide(message) == "fix"


@pytest.mark.parametrize(
    "message",
    [
        "máy giặt bị lỗi",  # says more than a vague problem
        "không",  # a bare "no" is not "không vào được"
        "vneid",  # no problem word
        "lỗi lỗi lỗi lỗi lỗi lỗi lỗi lỗi lỗi",  # too long to be a vague message
        "",
    ],
)
def test_anything_more_or_less_is_not_vague(message: str) -> None:
    assert _vague_set().vague_guide(message) is None


def test_flows_without_vague_words_never_match() -> None:
    assert FlowSet.build([LINEAR]).vague_guide("lỗi") is None


def test_vague_words_are_validated() -> None:
    base = LINEAR.model_dump()
    with pytest.raises(ValueError, match="vague_context without vague_problems"):
        Flow.model_validate({**base, "vague_context": ["VNeID"]})
    with pytest.raises(ValueError, match="empty vague word"):
        Flow.model_validate({**base, "vague_problems": ["lỗi", " "]})
