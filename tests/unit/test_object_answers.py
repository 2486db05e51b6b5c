"""Long questions on the shipped content: answered by what they are about, or honestly not (issue 12).

Each question below is written for this test (none is from a question set): a story, then the
question, with a generic word that used to pull it elsewhere («phạt», «quá hạn», «cấp giấy»).
"""

from __future__ import annotations

import pytest

from api.bootstrap import Services
from api.conversation import TurnResult
from bot.core.types import MatchKind
from tests.whole_bot import ask_as_new_user


def ask(bot: Services, question: str) -> TurnResult:
    return ask_as_new_user(bot, question, prefix="obj")


def test_a_lost_passport_is_never_answered_with_the_traffic_fine(whole_bot: Services) -> None:
    turn = ask(whole_bot, (
        "Đợt nghỉ lễ vừa rồi tôi về quê, lúc quay lại thành phố thì không tìm thấy hộ chiếu đâu nữa. "
        "Tôi nghe nói làm mất mà không báo thì bị phạt, vậy có bị xử phạt không và mức phạt bao nhiêu?"
    ))
    assert turn.match.id not in ("svc_traffic_fine", "traffic_fine"), turn.match
    if turn.match.kind is MatchKind.CLARIFY:
        assert all("hộ chiếu" in b.label.lower() or b.payload == "menu" for r in turn.replies for b in r.buttons)


def test_an_expiring_temporary_residence_gets_the_extension(whole_bot: Services) -> None:
    turn = ask(whole_bot, (
        "Tôi đi làm xa nhà nên đăng ký ở tạm tại khu trọ gần khu công nghiệp được gần hai năm. "
        "Nay sắp hết thời hạn tạm trú mà tôi chưa đi gia hạn, quá hạn thì có bị phạt không?"
    ))
    assert (turn.match.kind, turn.match.id) == (MatchKind.SERVICE, "temp_residence"), turn.match
    assert "gia hạn tạm trú" in turn.replies[0].text.lower()


def test_a_lost_card_leads_to_its_reissue(whole_bot: Services) -> None:
    turn = ask(whole_bot, (
        "Sáng nay đi chợ tôi bị mất ví, trong ví có thẻ căn cước và ít tiền. Tôi đã tìm mấy hôm không thấy. "
        "Cho tôi hỏi giờ muốn làm lại thẻ thì phải làm thế nào?"
    ))
    assert (turn.match.kind, turn.match.id) == (MatchKind.SERVICE, "id_card"), turn.match
    assert "cấp lại" in turn.replies[0].text.lower()


def test_a_death_never_registered_gets_late_registration(whole_bot: Services) -> None:
    turn = ask(whole_bot, (
        "Ông nội tôi mất từ năm 1998 ở quê, hồi đó gia đình không đi báo tử nên chưa đăng ký khai tử. "
        "Bây giờ con cháu muốn đăng ký khai tử cho ông thì thủ tục thế nào, làm ở đâu?"
    ))
    assert (turn.match.kind, turn.match.id) == (MatchKind.SERVICE, "death_reg"), turn.match
    assert "quá hạn" in turn.replies[0].text.lower()


def test_a_first_land_title_is_said_to_be_outside_what_the_bot_does(whole_bot: Services) -> None:
    turn = ask(whole_bot, (
        "Bố mẹ tôi ở trên mảnh đất này từ những năm 1990 nhưng chưa bao giờ có sổ đỏ. "
        "Nay gia đình muốn xin cấp sổ đỏ lần đầu thì có được không, cần điều kiện gì?"
    ))
    assert turn.match.kind is MatchKind.OFFTOPIC, turn.match
    assert turn.match.id != "land_change"


def test_the_land_change_service_is_still_found(whole_bot: Services) -> None:
    turn = ask(whole_bot, "đổi số căn cước trên sổ đỏ")
    assert turn.match.kind in (MatchKind.SERVICE, MatchKind.FAQ), turn.match
    assert turn.match.id in ("land_change", "svc_land", "svc_cmnd_confirm", "cmnd_confirm"), turn.match


def test_splitting_a_household_is_a_residence_procedure(whole_bot: Services) -> None:
    turn = ask(whole_bot, "Tôi đã lập gia đình, muốn tách hộ ra khỏi hộ của bố mẹ nhưng vẫn ở cùng nhà, cần điều kiện gì?")
    assert (turn.match.kind, turn.match.id) == (MatchKind.SERVICE, "perm_residence"), turn.match
    reply = turn.replies[0].text
    assert "Tách hộ" in reply and "chủ hộ" in reply and "Điều 25" in reply


def test_who_must_register_temporary_residence(whole_bot: Services) -> None:
    turn = ask(whole_bot, (
        "Em trai tôi từ quê lên ở cùng phòng trọ với tôi để đi làm, chắc ở khoảng nửa năm. "
        "Xin hỏi trường hợp nào phải đăng ký tạm trú, ai phải đăng ký tạm trú?"
    ))
    assert (turn.match.kind, turn.match.id) == (MatchKind.SERVICE, "temp_residence"), turn.match
    assert "30 ngày" in turn.replies[0].text


def test_settling_abroad_and_permanent_residence(whole_bot: Services) -> None:
    turn = ask(whole_bot, (
        "Con gái tôi lấy chồng người Úc và sắp ra nước ngoài định cư cùng chồng. "
        "Xin hỏi hộ khẩu thường trú của cháu ở nhà tôi sẽ thế nào, có phải làm thủ tục gì không?"
    ))
    assert (turn.match.kind, turn.match.id) == (MatchKind.SERVICE, "perm_residence"), turn.match
    assert "Điều 24" in turn.replies[0].text


def test_a_child_registered_at_the_grandparents_needs_their_consent(whole_bot: Services) -> None:
    turn = ask(whole_bot, "Tôi muốn nhập khẩu cho con vào nhà ông bà ngoại để cháu đi học gần, có được không?")
    assert (turn.match.kind, turn.match.id) == (MatchKind.SERVICE, "perm_residence"), turn.match
    reply = turn.replies[0].text
    assert "ông bà" in reply and "đồng ý" in reply and "Điều 20" in reply


def test_an_expired_driving_licence_says_which_tests_again(whole_bot: Services) -> None:
    turn = ask(whole_bot, (
        "Mấy năm nay tôi đi làm bằng xe buýt nên không để ý, nay mới biết bằng lái ô tô đã quá hạn hơn một năm. "
        "Giờ tôi muốn xin cấp lại thì có phải thi lại không?"
    ))
    assert (turn.match.kind, turn.match.id) == (MatchKind.SERVICE, "driving_lic"), turn.match
    reply = turn.replies[0].text
    assert "lý thuyết" in reply and "thực hành" in reply and "12/2025" in reply


@pytest.mark.parametrize("question", [
    "thủ tục đăng ký giám hộ cho cháu ở xã",
    "làm giấy nhận cha con ở xã cần gì",
    "thủ tục nhận nuôi con nuôi ở xã",
])
def test_a_procedure_no_entry_covers_is_not_answered_with_another(whole_bot: Services, question: str) -> None:
    # Short questions written for this test: each shares «đăng ký», «ở xã», «hộ» or «con» with an entry
    # about something else (the household health insurance, the community digital team, family law).
    turn = ask(whole_bot, question)
    assert turn.match.kind is MatchKind.FALLBACK, turn.match


def test_a_covered_object_beside_an_uncovered_one_is_still_answered(whole_bot: Services) -> None:
    turn = ask(whole_bot, "con nuôi có làm căn cước được không")
    assert turn.match.kind is MatchKind.FAQ and turn.match.id is not None and "card" in turn.match.id, turn.match


@pytest.mark.parametrize("question", [
    "xin cấp hộ chiếu cho bé 3 tuổi mất bao nhiêu tiền",
    "làm hộ chiếu cho con 5 tuổi hết bao nhiêu tiền",
])
def test_a_short_question_about_the_passport_is_not_answered_with_the_card_fee(whole_bot: Services,
                                                                               question: str) -> None:
    turn = ask(whole_bot, question)
    assert turn.match.id != "fee_id_card_2026", turn.match
    assert turn.match.kind in (MatchKind.SERVICE, MatchKind.FAQ, MatchKind.CLARIFY), turn.match
    assert "hộ chiếu" in turn.replies[0].text.lower() or any(
        "hộ chiếu" in b.label.lower() for r in turn.replies for b in r.buttons), turn.replies[0].text
