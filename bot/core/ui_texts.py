"""The bot's own sentences as editable content (kind ``text``): ids, defaults, schema, live set.

The defaults are the constants of :mod:`bot.core.texts`; the YAML baseline
(``faq/content/ui_texts.yaml``) and console edits override them by id. The core reads the live
set from the content snapshot (:class:`UiTexts`), never from a database. A sentence with
placeholders (``{title}``) may use only the placeholders its default uses, so a saved text can
always be filled in.
"""

from __future__ import annotations

import string
from collections.abc import Iterator, Mapping
from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from bot.core import texts

__all__ = [
    "DEFAULTS",
    "TEXT_LABELS",
    "TextId",
    "UiText",
    "UiTextFile",
    "UiTexts",
    "placeholders",
]

TextId = Literal[
    "welcome",
    "privacy_line",
    "menu",
    "fallback",
    "fallback_long",
    "handoff",
    "handoff_source",
    "privacy",
    "delete_done",
    "empty",
    "offtopic_default",
    "clarify",
    "unsure_preview",
    "media",
    "truncated",
    "pii_warning",
    "feedback_yes_thanks",
    "feedback_no_thanks",
    "thanks",
    "resume_offer",
    "exit_done",
    "unknown_content",
    "handoff_opened",
    "handoff_opened_auto",
    "handoff_when_open",
    "handoff_when_later",
    "handoff_when_unknown",
    "handoff_waiting",
    "handoff_held",
    "handoff_claimed",
    "handoff_escalated",
    "handoff_closed",
    "handoff_resumed",
    "handoff_staff_label",
    "out_of_scope",
    "facet_missing",
    "also_asked",
]

#: Every editable sentence and its shipped default (the strings of :mod:`bot.core.texts`).
DEFAULTS: Mapping[str, str] = {
    "welcome": texts.WELCOME,
    "privacy_line": texts.PRIVACY_LINE,
    "menu": texts.MENU_TEXT,
    "fallback": texts.FALLBACK,
    "fallback_long": texts.FALLBACK_LONG,
    "handoff": texts.HANDOFF,
    "handoff_source": texts.HANDOFF_SOURCE,
    "privacy": texts.PRIVACY,
    "delete_done": texts.DELETE_DONE,
    "empty": texts.EMPTY,
    "offtopic_default": texts.OFFTOPIC_DEFAULT,
    "clarify": texts.CLARIFY,
    "unsure_preview": texts.UNSURE_PREVIEW,
    "media": texts.MEDIA,
    "truncated": texts.TRUNCATED,
    "pii_warning": texts.PII_WARNING,
    "feedback_yes_thanks": texts.FEEDBACK_YES_THANKS,
    "feedback_no_thanks": texts.FEEDBACK_NO_THANKS,
    "thanks": texts.THANKS,
    "resume_offer": texts.RESUME_OFFER,
    "exit_done": texts.EXIT_DONE,
    "unknown_content": texts.UNKNOWN_CONTENT,
    "handoff_opened": texts.HANDOFF_OPENED,
    "handoff_opened_auto": texts.HANDOFF_OPENED_AUTO,
    "handoff_when_open": texts.HANDOFF_WHEN_OPEN,
    "handoff_when_later": texts.HANDOFF_WHEN_LATER,
    "handoff_when_unknown": texts.HANDOFF_WHEN_UNKNOWN,
    "handoff_waiting": texts.HANDOFF_WAITING,
    "handoff_held": texts.HANDOFF_HELD,
    "handoff_claimed": texts.HANDOFF_CLAIMED,
    "handoff_escalated": texts.HANDOFF_ESCALATED,
    "handoff_closed": texts.HANDOFF_CLOSED,
    "handoff_resumed": texts.HANDOFF_RESUMED,
    "handoff_staff_label": texts.HANDOFF_STAFF_LABEL,
    "out_of_scope": texts.OUT_OF_SCOPE,
    "facet_missing": texts.FACET_MISSING,
    "also_asked": texts.ALSO_ASKED,
}

#: What each sentence is for, as the console shows it.
TEXT_LABELS: Mapping[str, str] = {
    "welcome": "Lời chào (/start, «xin chào»)",
    "privacy_line": "Dòng quyền riêng tư dưới lời chào",
    "menu": "Lời dẫn menu chính",
    "fallback": "Khi không hiểu câu hỏi",
    "fallback_long": "Khi không tìm được câu trả lời cho câu hỏi dài",
    "handoff": "Gặp người hỗ trợ",
    "handoff_source": "Nguồn của thông tin gặp người hỗ trợ",
    "privacy": "Quyền riêng tư (nút «Quyền riêng tư»)",
    "delete_done": "Sau khi xóa dữ liệu",
    "empty": "Khi tin nhắn trống",
    "offtopic_default": "Từ chối câu ngoài phạm vi",
    "clarify": "Hỏi lại «Bạn muốn hỏi về…»",
    "unsure_preview": "Trả lời khi chưa chắc hiểu đúng câu hỏi dài",
    "media": "Khi nhận ảnh, âm thanh, tệp",
    "truncated": "Khi tin nhắn quá dài",
    "pii_warning": "Cảnh báo sau khi che số giấy tờ",
    "feedback_yes_thanks": "Cảm ơn khi bấm «Đúng ý tôi»",
    "feedback_no_thanks": "Cảm ơn khi bấm «Chưa đúng»",
    "thanks": "Trả lời lời cảm ơn",
    "resume_offer": "Mời làm tiếp hướng dẫn dở ({title}, {n}, {total})",
    "exit_done": "Khi thoát hướng dẫn (trước lời dẫn menu)",
    "unknown_content": "Khi nút hoặc đường dẫn không còn (trước lời dẫn menu)",
    "handoff_opened": "Khi chuyển cho cán bộ theo yêu cầu ({unit}, {when})",
    "handoff_opened_auto": "Khi tự chuyển cho cán bộ sau 2 lần chưa giúp được ({unit}, {when})",
    "handoff_when_open": "Trong giờ làm việc: khi nào cán bộ trả lời ({minutes})",
    "handoff_when_later": "Ngoài giờ làm việc: cán bộ trả lời lúc nào ({at})",
    "handoff_when_unknown": "Ngoài giờ, chưa có giờ làm việc tiếp theo",
    "handoff_waiting": "Hỏi lại khi yêu cầu đang chờ cán bộ",
    "handoff_held": "Hỏi lại khi cán bộ đang hỗ trợ",
    "handoff_claimed": "Khi cán bộ nhận cuộc trò chuyện ({unit})",
    "handoff_escalated": "Khi chuyển lên cấp tỉnh vì chưa ai nhận ({unit}, {queue}, {when})",
    "handoff_closed": "Khi cán bộ kết thúc cuộc trò chuyện",
    "handoff_resumed": "Sau khi kết thúc: trợ lý tự động trả lời lại",
    "handoff_staff_label": "Nhãn trước câu trả lời của cán bộ",
    "out_of_scope": "Câu hỏi dài rõ ràng ngoài phạm vi (tranh chấp, sức khỏe…)",
    "facet_missing": "Thiếu chi tiết được hỏi của một thủ tục ({facet}, {service})",
    "also_asked": "Câu trả lời thêm cho ý thứ hai của câu hỏi dài ({title}, {answer}, {source})",
}

assert set(DEFAULTS) == set(get_args(TextId)) == set(TEXT_LABELS)

TEXT_MAX = 1200


def placeholders(text: str) -> set[str]:
    """The ``{name}`` placeholders of ``text``; ValueError for broken braces or anything but a name."""
    names: set[str] = set()
    for _literal, name, spec, conversion in string.Formatter().parse(text):
        if name is None:
            continue
        if not name.isidentifier() or spec or conversion:
            raise ValueError(f"«{{{name}}}» is not a placeholder; write {{{{ and }}}} for literal braces")
        names.add(name)
    return names


class UiText(BaseModel):
    """One editable sentence: ``id`` is one of :data:`DEFAULTS`."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    id: str
    text: str = Field(min_length=2, max_length=TEXT_MAX)

    @field_validator("id")
    @classmethod
    def _known(cls, v: str) -> str:
        if v not in DEFAULTS:
            raise ValueError(f"unknown text id {v!r}; the texts are {', '.join(sorted(DEFAULTS))}")
        return v

    @field_validator("text")
    @classmethod
    def _same_placeholders(cls, v: str, info: ValidationInfo) -> str:
        used = placeholders(v)
        ident = info.data.get("id")
        if not isinstance(ident, str) or ident not in DEFAULTS:
            return v  # the id's own error says what is wrong
        allowed = placeholders(DEFAULTS[ident])
        extra = sorted(used - allowed)
        if extra:
            allowed_text = ", ".join(f"{{{a}}}" for a in sorted(allowed)) or "none"
            raise ValueError(f"unknown placeholder {{{extra[0]}}}; this text may use {allowed_text}")
        return v


class UiTextFile(BaseModel):
    """The top level of ``ui_texts.yaml``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    texts: tuple[UiText, ...] = Field(min_length=1)


class UiTexts(Mapping[str, str]):
    """The live sentences: the overrides given, the defaults for the rest (immutable)."""

    __slots__ = ("_texts",)

    def __init__(self, overrides: Mapping[str, str] | None = None) -> None:
        """Keep the known ids of ``overrides`` over the defaults."""
        merged = dict(DEFAULTS)
        merged.update({k: v for k, v in (overrides or {}).items() if k in DEFAULTS})
        self._texts = merged

    def __getitem__(self, key: str) -> str:
        """The live text of ``key``."""
        return self._texts[key]

    def __iter__(self) -> Iterator[str]:
        """The ids."""
        return iter(self._texts)

    def __len__(self) -> int:
        """How many ids."""
        return len(self._texts)

    def get_text(self, key: TextId) -> str:
        """The live text of ``key`` (typed)."""
        return self._texts[key]
