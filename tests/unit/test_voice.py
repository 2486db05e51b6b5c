"""The bot speaks of itself one way: «tôi» (content-style.md, one form of address set in one place)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
#: «Mình» as the bot's own "I" (a citizen's «của mình», «tên mình» is not the bot speaking of itself).
SELF_MINH = re.compile(r"\b[Mm]ình (?:giúp|chỉ|là|chuyên|sẽ|chưa|hướng dẫn|không (?:có|xem|hỗ trợ))")


def _texts() -> list[Path]:
    content = [*ROOT.glob("faq/content/*.yaml"), *ROOT.glob("flows/**/*.yaml")]
    code = [*ROOT.glob("bot/core/*.py"), *ROOT.glob("api/**/*.py")]
    return [p for p in content + code if p.is_file()]


def test_the_bot_never_calls_itself_minh() -> None:
    found = [f"{p.relative_to(ROOT)}:{n}: {line.strip()[:90]}"
             for p in _texts() for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
             if SELF_MINH.search(line)]
    assert not found, found


def test_the_pattern_tells_the_bot_from_a_citizen() -> None:
    assert SELF_MINH.search("Xin lỗi. Mình giúp được về VNeID.")
    assert SELF_MINH.search("Vâng, mình sẽ không gửi thông báo.")
    assert not SELF_MINH.search("số điện thoại đúng tên mình (chính chủ)")
    assert not SELF_MINH.search("xóa dữ liệu trò chuyện của mình")
