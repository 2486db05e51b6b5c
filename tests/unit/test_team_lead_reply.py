"""A team lead's /thongke: every member's counts, most helped first, at most LEAD_LINES_MAX lines."""

from __future__ import annotations

from bot.core import texts
from bot.core.team import LEAD_LINES_MAX, TARGET, MemberLine, StatsView, stats_reply


def _view(team: tuple[MemberLine, ...]) -> StatsView:
    return StatsView("Lan", "Tổ 3", reached=2, completed=1, completed_citizens=1, in_person=0, team=team)


def test_a_plain_member_gets_no_team_lines() -> None:
    text = stats_reply(_view(())).text
    assert "tổ trưởng" not in text and "•" in text  # their own bullet lines only
    assert text.count("\n• ") == 4


def test_a_lead_gets_each_member_best_first() -> None:
    team = (MemberLine("Lan", 2, 1, 0, 1), MemberLine("Minh", 0, 0, 12, 12), MemberLine("Hoa", 5, 0, 1, 1))
    text = stats_reply(_view(team)).text
    lead = text.split(texts.TEAM_STATS_LEAD_HEAD.format(team="Tổ 3", count=3), 1)[1].strip().splitlines()
    assert lead == [
        f"• Minh: tiếp cận 0 · hoàn thành 0 · trực tiếp 12 · đã giúp 12/{TARGET} ✅",
        f"• Hoa: tiếp cận 5 · hoàn thành 0 · trực tiếp 1 · đã giúp 1/{TARGET}",
        f"• Lan: tiếp cận 2 · hoàn thành 1 · trực tiếp 0 · đã giúp 1/{TARGET}",
    ]


def test_a_big_team_is_cut_with_a_pointer_to_the_console() -> None:
    team = tuple(MemberLine(f"Thành viên {i:02d}", i, 0, 0, i) for i in range(LEAD_LINES_MAX + 5))
    text = stats_reply(_view(team)).text
    assert text.count("\n• Thành viên") == LEAD_LINES_MAX
    assert "• Thành viên 24:" in text and "• Thành viên 00:" not in text  # the most helped are kept
    assert text.endswith(texts.TEAM_STATS_LEAD_MORE.format(count=5))
    assert len(text) < 4096  # one Telegram message
