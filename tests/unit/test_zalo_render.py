"""Rendering replies for Zalo: numbered options across a turn, images, splitting at the limit."""

from __future__ import annotations

import pytest

from bot.channels.zalo import (
    NUMBER_HINT,
    OaFacts,
    OutImage,
    OutText,
    absolute_url,
    classify_oa_error,
    number_options,
    render,
    split_text,
    text_units,
)
from bot.core.types import Button, Image, Reply, ReplyRole

BASE = "https://troly06.example.vn/"


def test_buttons_are_numbered_continuously_across_replies() -> None:
    replies = [
        Reply("⚠️ Cảnh báo", role=ReplyRole.WARNING),
        Reply("Chọn bước", (Button("Cài ứng dụng VNeID", "f-install"), Button("Đăng ký mức 1", "f-l1"))),
        Reply("Lần trước bạn làm dở", (Button("Tiếp tục hướng dẫn", "c-resume"),), role=ReplyRole.RESUME),
    ]
    texts = number_options(replies)
    assert texts[0] == "⚠️ Cảnh báo"
    assert texts[1] == "Chọn bước\n\n1. Cài ứng dụng VNeID\n2. Đăng ký mức 1"
    assert texts[2] == f"Lần trước bạn làm dở\n\n3. Tiếp tục hướng dẫn\n{NUMBER_HINT}"


def test_render_joins_a_turn_into_one_message_with_images_first() -> None:
    replies = [
        Reply(
            "Bước 1: mở CH Play.",
            (Button("Đã cài xong", "f-install-2"),),
            images=(Image("/static/img/chplay.png", "CH Play"),),
        ),
        Reply("Ghi chú", images=(Image("https://cdn.example.vn/a.png", "A"),), role=ReplyRole.NOTE),
    ]
    out = render(replies, public_base_url=BASE, limit=2000)
    assert out[0] == OutImage("https://troly06.example.vn/static/img/chplay.png", "CH Play")
    assert out[1] == OutImage("https://cdn.example.vn/a.png", "A")
    assert out[2] == OutText(f"Bước 1: mở CH Play.\n\n1. Đã cài xong\n{NUMBER_HINT}\n\nGhi chú")
    assert len(out) == 3


def test_absolute_url() -> None:
    assert absolute_url("img/x.png", "http://h:8000") == "http://h:8000/img/x.png"
    assert absolute_url("/img/x.png", "http://h:8000/") == "http://h:8000/img/x.png"
    assert absolute_url("HTTPS://a.b/c", "http://h") == "HTTPS://a.b/c"


def test_long_text_is_split_at_paragraphs_within_the_limit() -> None:
    paragraphs = [
        f"Đoạn {i}: " + " ".join(["Công dân mang thẻ căn cước đến Công an cấp xã."] * 8) for i in range(12)
    ]
    text = "\n\n".join(paragraphs)
    parts = split_text(text, 2000)
    assert len(parts) > 1
    assert all(text_units(p) <= 2000 for p in parts)
    assert all(p.startswith("Đoạn ") for p in parts)  # every part starts at a paragraph
    assert "\n\n".join(parts) == text


def test_split_prefers_lines_then_sentences_then_spaces_then_hard_cut() -> None:
    lines = "\n".join(f"{i}. mục số {i}" for i in range(1, 40))
    parts = split_text(lines, 100)
    assert all(len(p) <= 100 for p in parts) and all(p[0].isdigit() for p in parts)
    sentences = "Câu một dài dòng. Câu hai cũng dài! Câu ba thì sao? " * 5
    parts = split_text(sentences, 60)
    assert all(len(p) <= 60 for p in parts)
    assert all(p.endswith((".", "!", "?")) for p in parts[:-1])
    word = "x" * 250
    assert split_text(word, 100) == ["x" * 100, "x" * 100, "x" * 50]


def test_astral_emoji_count_double() -> None:
    text = "😀" * 1500  # 3,000 UTF-16 units
    parts = split_text(text, 2000)
    assert [text_units(p) for p in parts] == [2000, 1000]


def test_empty_and_short_text() -> None:
    assert split_text("", 10) == []
    assert split_text("  xin chào  ", 10) == ["xin chào"]
    with pytest.raises(ValueError):
        split_text("a", 0)


def test_render_of_many_buttons_keeps_each_option_on_one_line() -> None:
    buttons = tuple(Button(f"Lựa chọn thứ {i} khá dài để thử", f"p{i}") for i in range(1, 61))
    out = render([Reply("Chọn:", buttons)], public_base_url=BASE, limit=500)
    texts = [m.text for m in out if isinstance(m, OutText)]
    lines = [line for t in texts for line in t.splitlines()]
    assert [line for line in lines if line[:1].isdigit()] == [
        f"{i}. Lựa chọn thứ {i} khá dài để thử" for i in range(1, 61)
    ]
    assert texts[-1].endswith(NUMBER_HINT)


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        (-216, "token"),
        (-220, "token"),
        (-230, "window"),
        (-232, "window"),
        (-32, "rate_limit"),
        (-211, "quota"),
        (-213, "unreachable"),
        (-234, "quiet_hours"),
        (-999, "other"),
    ],
)
def test_oa_error_classes(code: int, kind: str) -> None:
    assert classify_oa_error(code) == kind


def test_text_limit_is_one_constant() -> None:
    assert OaFacts.TEXT_LIMIT == 2000
