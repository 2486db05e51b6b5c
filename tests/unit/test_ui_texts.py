"""The bot's own sentences as content: defaults, the YAML baseline, validation, live overrides; drafts."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

from api.content import canonical
from bot.core import texts
from bot.core.content import ContentSnapshot
from bot.core.respond import respond
from bot.core.types import MatchKind, Session
from bot.core.ui_texts import DEFAULTS, UiText, UiTexts
from faq.loader import load_faq_dir, load_ui_texts
from faq.schema import FaqEntry
from tests.factories import NOW, faq_entry, press, small_catalogue, small_faq, small_flows, text

CONTENT = Path(__file__).resolve().parents[2] / "faq" / "content"


def _snapshot(texts_: dict[str, str] | None = None, faq: list[FaqEntry] | None = None) -> ContentSnapshot:
    return ContentSnapshot.build(version=1, faq=faq if faq is not None else small_faq(), flows=small_flows(),
                                 catalogue=small_catalogue(), texts=texts_)


def test_the_yaml_baseline_holds_exactly_the_defaults() -> None:
    result = load_ui_texts(CONTENT)
    assert result.errors == ()
    assert {t.id: t.text for t in result.items} == dict(DEFAULTS)
    assert DEFAULTS["welcome"] == texts.WELCOME and DEFAULTS["fallback"] == texts.FALLBACK


def test_the_faq_loader_leaves_the_texts_file_alone() -> None:
    result = load_faq_dir(CONTENT)
    assert result.errors == ()
    assert not any(f.file.endswith("ui_texts.yaml") for f in result.files)


def test_a_missing_texts_file_is_no_error(tmp_path: Path) -> None:
    assert load_ui_texts(tmp_path).items == () and load_ui_texts(tmp_path).errors == ()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"id": "nope", "text": "Xin chào bạn"}, "unknown text id"),
        ({"id": "welcome", "text": ""}, "at least 2"),
        ({"id": "welcome", "text": "Chào {name}"}, "unknown placeholder {name}"),
        ({"id": "resume_offer", "text": "Làm tiếp «{title}» {oops}"}, "unknown placeholder {oops}"),
        ({"id": "resume_offer", "text": "Làm tiếp «{title"}, "text"),
        ({"id": "resume_offer", "text": "Làm tiếp {title.__class__}"}, "not a placeholder"),
        ({"id": "welcome", "text": "x" * 1201}, "at most 1200"),
    ],
)
def test_invalid_texts_are_refused(data: dict[str, str], message: str) -> None:
    with pytest.raises(ValidationError, match=message.replace("{", r"\{").replace("}", r"\}")):
        UiText.model_validate(data)


def test_a_template_may_use_fewer_placeholders() -> None:
    assert UiText.model_validate({"id": "resume_offer", "text": "Làm tiếp «{title}» nhé."}).text


def test_an_edited_greeting_is_what_start_answers() -> None:
    content = _snapshot({"welcome": "Chào bà con! Tôi là Trợ lý 06.", "privacy_line": "Quyền riêng tư: ngắn gọn."})
    turn = respond(text("/start"), Session(), content, NOW)
    assert turn.match.kind is MatchKind.GREETING
    assert turn.replies[0].text == "Chào bà con! Tôi là Trợ lý 06."
    assert any(r.text == "Quyền riêng tư: ngắn gọn." for r in turn.replies)
    # The rest keep their defaults.
    menu = respond(text("menu"), Session(), content, NOW)
    assert menu.replies[0].text == texts.MENU_TEXT


def test_edited_fallback_and_composed_texts() -> None:
    content = _snapshot({"fallback": "Tôi chưa rõ, bạn hỏi lại nhé.", "menu": "Chọn một mục:",
                         "unknown_content": "Nội dung đã hết."})
    assert respond(text("zzzz qqqq xxxx"), Session(), content, NOW).replies[0].text == "Tôi chưa rõ, bạn hỏi lại nhé."
    assert respond(press("q-gone"), Session(), content, NOW).replies[0].text == "Nội dung đã hết. Chọn một mục:"


def test_unknown_ids_are_ignored_by_the_live_set() -> None:
    live = UiTexts({"welcome": "Chào", "bogus": "x"})
    assert live["welcome"] == "Chào" and "bogus" not in live and len(live) == len(DEFAULTS)


def test_drafts_are_never_served() -> None:
    draft = faq_entry("draft_only", ["câu hỏi nháp về hộ chiếu gắn chip"], "Câu trả lời nháp, chưa xuất bản.",
                      status="draft")
    content = _snapshot(faq=[*small_faq(), draft])
    assert "draft_only" not in content.faq
    assert respond(press("q-draft_only"), Session(), content, NOW).match.kind is MatchKind.FALLBACK


def test_status_is_stored_only_for_drafts() -> None:
    published = faq_entry("a_entry", ["một câu hỏi"], "Một câu trả lời đủ dài.")
    draft = published.model_copy(update={"status": "draft"})
    assert "status" not in canonical(published)
    assert canonical(draft)["status"] == "draft"
    again = FaqEntry.model_validate(yaml.safe_load(yaml.safe_dump(canonical(draft))))
    assert again.status == "draft"
