"""Long questions in the core: the service asked, facet first, "did you mean" options, out of scope."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from bot.core import asking
from bot.core.content import ContentSnapshot
from bot.core.respond import _Ctx, _topic_guess, respond
from bot.core.types import Button, Inbound, MatchKind, Session, Turn
from faq.matcher import Candidate
from faq.normalize import words
from faq.schema import FaqEntry
from faq.understand import facets_in, read
from flows.catalogue import Catalogue
from flows.schema import LifeEvent, Sector, Service
from tests.factories import NOW, small_faq, small_flows

TODAY = NOW.date()


def _facet(text: str) -> dict[str, Any]:
    return {"text": text, "source": "Thông tư thử", "reviewed": "2026-12-01"}


def _service() -> Service:
    return Service.model_validate(
        {
            "id": "idcard",
            "number": 2,
            "name": "Cấp lại, đổi thẻ căn cước",
            "title": "Cấp lại thẻ căn cước",
            "summary": "Cấp đổi, cấp lại thẻ căn cước khi hỏng, mất hoặc đến tuổi đổi.",
            "sector": "cong_an",
            "body": "Bộ Công an",
            "channels": ["portal", "vneid"],
            "keywords": ["cấp lại thẻ căn cước", "đổi thẻ căn cước", "làm lại căn cước"],
            "faq": ["svc_idcard", "idcard_age"],
            "source": "Nguồn thử nghiệm",
            "reviewed": "2026-12-01",
            "facets": {
                "fee": _facet("Cấp lại thẻ căn cước: 70.000 đồng (thử)."),
                "in_person": _facet("Nộp ở Công an cấp xã bất kỳ (thử)."),
                "documents": _facet("Không cần giấy tờ khác ngoài tờ khai (thử)."),
            },
            "situations": [
                {
                    "id": "lost_card", "kind": "lost", "label": "Mất thẻ căn cước",
                    "triggers": ["mất thẻ căn cước", "thẻ căn cước bị hỏng nặng không dùng được"],
                    **_facet("Mất thẻ thì làm thủ tục cấp lại (thử)."),
                },
            ],
        }
    )


def _with_situations(*situations: tuple[str, str, str, str, str], **facets: str) -> Service:
    """The test service with only ``situations`` (id, kind, label, one trigger, text) and, besides
    its own, the ``facets`` given (key: text)."""
    raw = _service().model_dump(mode="json")
    raw["facets"].update({k: _facet(v) for k, v in facets.items()})
    raw["situations"] = [{"id": i, "kind": k, "label": label, "triggers": [t], **_facet(text)}
                         for i, k, label, t, text in situations]
    return Service.model_validate(raw)


def _entries() -> list[FaqEntry]:
    extra = [
        FaqEntry.model_validate({
            "id": "svc_idcard", "kind": "faq", "title": "Cấp lại thẻ căn cước",
            "questions": ["cấp lại thẻ căn cước", "làm lại căn cước ở đâu", "đổi thẻ căn cước thế nào"],
            "answer": "Bạn làm thủ tục cấp lại thẻ căn cước trên Cổng Dịch vụ công hoặc VNeID.",
            "source": "Nguồn thử", "reviewed": "2026-12-01",
        }),
        FaqEntry.model_validate({
            "id": "idcard_age", "kind": "faq", "title": "Đổi thẻ theo tuổi",
            "questions": ["đủ 40 tuổi có phải đổi thẻ căn cước không", "mốc tuổi đổi thẻ căn cước"],
            "answer": "Thẻ căn cước đổi khi đủ 14, 25, 40 và 60 tuổi; đổi theo mốc tuổi không mất lệ phí.",
            "source": "Nguồn thử", "reviewed": "2026-12-01",
        }),
    ]
    return [*small_faq(), *extra]


@pytest.fixture(scope="module")
def content() -> ContentSnapshot:
    ev = LifeEvent.model_validate({"id": "giay_to", "title": "Giấy tờ tùy thân", "intro": "Các thủ tục giấy tờ."})
    sec = Sector.model_validate({"id": "cong_an", "title": "Công an", "intro": "Các thủ tục của Công an."})
    catalogue = Catalogue.build([_service()], [ev], [sec])
    return ContentSnapshot.build(version=1, faq=_entries(), flows=small_flows(), catalogue=catalogue)


def ask(content: ContentSnapshot, text: str) -> Turn:
    return respond(Inbound(text=text), Session(), content, NOW)


# -- "did you mean" ---------------------------------------------------------------------------------


def _button(c: Candidate) -> Button | None:
    labels = {"faq:a": "Đổi thẻ căn cước", "faq:b": "doi the can cuoc", "faq:c": "Lệ phí",
              "flow:g": "Xem các bước", "faq:d": "Cấp lại thẻ", "faq:e": "Làm hộ chiếu"}
    label = labels.get(c.key)
    return Button(label, c.key.replace(":", "-")) if label else None


def test_did_you_mean_has_no_duplicate_label_or_target_and_at_most_three() -> None:
    cands = [Candidate("faq:a", "faq", 0.2), Candidate("faq:b", "faq", 0.19), Candidate("offtopic:x", "offtopic", 0.18),
             Candidate("faq:c", "faq", 0.17), Candidate("faq:a", "faq", 0.16), Candidate("faq:d", "faq", 0.15),
             Candidate("faq:e", "faq", 0.15)]
    out = asking.distinct_options(cands, _button)
    assert [b.label for b in out] == ["Đổi thẻ căn cước", "Lệ phí", "Cấp lại thẻ"]


def test_did_you_mean_puts_the_questions_own_service_first_once() -> None:
    own = Button("Cấp lại thẻ", "s-idcard")
    out = asking.distinct_options([Candidate("faq:d", "faq", 0.2), Candidate("faq:c", "faq", 0.18)], _button, first=own)
    assert out == [own, Button("Lệ phí", "faq-c")]  # "Cấp lại thẻ" of faq:d is the same label


def test_did_you_mean_skips_unknown_items() -> None:
    assert asking.distinct_options([Candidate("faq:zzz", "faq", 0.2)], _button) == []


# -- which service, which facet -----------------------------------------------------------------------


def test_the_service_of_an_entry_its_guide_or_its_card() -> None:
    cat = Catalogue.build([_service()], [], [])
    assert asking.services_for_key(cat, "service:idcard") == ("idcard",)
    assert asking.services_for_key(cat, "faq:idcard_age") == ("idcard",)
    assert asking.services_for_key(cat, "faq:other") == ()
    assert asking.services_for_key(cat, "service:gone") == ()
    svc = _service()
    assert asking.is_main_entry(svc, "faq:svc_idcard") and asking.is_main_entry(svc, "service:idcard")
    assert not asking.is_main_entry(svc, "faq:idcard_age")


def test_a_long_question_is_about_a_service_when_two_of_its_three_options_are() -> None:
    cat = Catalogue.build([_service()], [], [])
    story = "Tôi đi làm về thì phát hiện bị mất ví. " * 3 + "Xin hỏi làm lại ở đâu?"
    two = [Candidate("faq:svc_idcard", "faq", 0.2), Candidate("faq:other", "faq", 0.19),
           Candidate("service:idcard", "service", 0.18)]
    one = [Candidate("faq:svc_idcard", "faq", 0.2), Candidate("faq:x", "faq", 0.19), Candidate("faq:y", "faq", 0.18)]
    assert asking.asked_service(cat, two, read(story)) == "idcard"
    # the only service among the options counts when the question asks a facet or tells a loss
    assert asking.asked_service(cat, one, read(story)) == "idcard"
    chat = "Tôi đi làm về thì phát hiện trời mưa. " * 3 + "Xin hỏi có sao không?"
    assert asking.asked_service(cat, one, read(chat)) is None
    weak = [Candidate("faq:svc_idcard", "faq", 0.05), Candidate("faq:x", "faq", 0.04)]
    assert asking.asked_service(cat, weak, read(story)) is None
    assert asking.asked_service(cat, two, read("làm lại căn cước ở đâu")) is None  # short: the best match decides


@pytest.mark.parametrize(
    ("trigger", "message", "hit"),
    [
        ("mất thẻ căn cước", "hôm qua tôi bị mất thẻ căn cước rồi", True),
        ("mất cccd", "quên mật khẩu vneid, số cccd là gì", False),  # "mật" folds to "mat"
        ("thẻ căn cước bị hỏng nặng không dùng được", "thẻ căn cước của tôi bị hỏng nặng, không dùng được nữa", True),
        ("thẻ căn cước bị hỏng nặng không dùng được", "căn cước của tôi hỏng", False),
    ],
)
def test_trigger_phrases(trigger: str, message: str, hit: bool) -> None:
    assert asking.trigger_hit(trigger, words(message)) is hit


def test_pick_a_situation_before_the_facet_asked() -> None:
    svc = _service()
    pick = asking.pick_facet(svc, "mất thẻ căn cước làm lại mất phí không", read("mất thẻ căn cước làm lại mất phí không"),
                             TODAY)
    # The situation, then the facet asked that its answer lacks: the card's own name says it is the
    # re-issue, so its fee is the lost card's fee.
    assert pick == asking.Pick(("lost_card", "fee"), "trigger")
    q = "làm lại căn cước ở đâu, cần giấy tờ gì"
    assert asking.pick_facet(svc, q, read(q), TODAY) == asking.Pick(("in_person", "documents"), "facet")
    q = "thủ tục đổi căn cước mất bao lâu"  # no "time" facet in the content
    assert asking.pick_facet(svc, q, read(q), TODAY) is None


# -- through the core ----------------------------------------------------------------------------------


def test_the_facet_asked_is_answered_first_with_the_rest_as_buttons(content: ContentSnapshot) -> None:
    turn = ask(content, "làm lại căn cước mất phí bao nhiêu tiền")
    assert turn.match.kind is MatchKind.SERVICE and turn.match.id == "idcard"
    main = turn.replies[0]
    assert main.text.startswith("Cấp lại thẻ căn cước · Lệ phí\nCấp lại thẻ căn cước: 70.000 đồng")
    labels = [b.label for b in main.buttons]
    assert "Lệ phí" not in labels and "Làm trực tiếp ở đâu" in labels and "Xem cả thủ tục" in labels


def test_two_facets_asked_are_both_answered(content: ContentSnapshot) -> None:
    turn = ask(content, "cấp lại thẻ căn cước ở đâu và cần giấy tờ gì")
    text = turn.replies[0].text
    assert "Công an cấp xã bất kỳ" in text and "ngoài tờ khai" in text
    assert not any(b.payload in ("sf-idcard-in_person", "sf-idcard-documents") for b in turn.replies[0].buttons)


def test_a_specific_answer_is_not_replaced_by_a_facet(content: ContentSnapshot) -> None:
    turn = ask(content, "đủ 40 tuổi có phải đổi thẻ căn cước không, mất phí không")
    assert turn.match.kind is MatchKind.FAQ and turn.match.id == "idcard_age"


def test_a_story_naming_a_situation_gets_that_situation(content: ContentSnapshot) -> None:
    story = ("Chào bạn, tôi là công nhân ở khu công nghiệp, tuần trước đi làm về bị mất thẻ căn cước cùng "
             "cái ví. Bây giờ tôi cần làm lại thì thế nào?")
    turn = ask(content, story)
    assert turn.match.kind is MatchKind.SERVICE and turn.match.id == "idcard"
    assert "Mất thẻ thì làm thủ tục cấp lại" in turn.replies[0].text


def test_a_long_question_outside_the_domain_is_said_to_be_out_of_scope(content: ContentSnapshot) -> None:
    story = ("Nhà tôi và nhà hàng xóm có bức tường chung đã lâu năm. Tháng trước họ đập tường xây lại, "
             "lấn sang đất nhà tôi gần nửa mét. Tôi nên làm gì để họ trả lại phần đất?")
    turn = ask(content, story)
    assert turn.match.kind is MatchKind.OFFTOPIC and turn.match.id == "out_of_scope"
    assert "Trung tâm trợ giúp pháp lý" in turn.replies[0].text
    assert "Gặp người hỗ trợ" in [b.label for b in turn.replies[0].buttons]


def test_junk_and_short_unknown_questions_are_not_understood_rather_than_out_of_scope(
    content: ContentSnapshot,
) -> None:
    assert ask(content, "a" * 3000).match.kind is MatchKind.FALLBACK
    assert ask(content, "xyz abc qwe").match.kind is MatchKind.FALLBACK
    # a long story in the domain's words is never called out of scope
    story = ("Tôi có một câu hỏi về tài khoản định danh của bố tôi, ông năm nay 80 tuổi. "
             "Ông có cần tự đi làm hay tôi đi thay được không?")
    assert ask(content, story).match.id != "out_of_scope"


def test_fixed_day_keeps_the_tests_stable() -> None:
    assert TODAY == dt.date(2026, 11, 20) or TODAY.year >= 2026


def test_a_situation_answer_says_where_to_do_it(content: ContentSnapshot) -> None:
    turn = ask(content, "tôi bị mất thẻ căn cước thì sao")
    text = turn.replies[0].text
    assert "Mất thẻ thì làm thủ tục cấp lại" in text
    assert "Làm ở đâu: Cổng Dịch vụ công quốc gia (dichvucong.gov.vn) hoặc ứng dụng VNeID." in text
    assert text.index("Làm ở đâu") < text.index("Nguồn:")


def test_a_request_is_a_question_too() -> None:
    assert read("Bố tôi hơn 80 tuổi, đang nhận trợ cấp người cao tuổi, vừa qua đời tuần trước. "
                "Nhờ anh chị hướng dẫn giúp thủ tục nhận mai táng phí.").split


def test_a_loss_is_only_answered_by_a_service_that_handles_it() -> None:
    other = Service.model_validate({
        "id": "cmnd", "number": 1, "name": "Xác nhận số chứng minh nhân dân cũ", "title": "Xác nhận số CMND",
        "summary": "Giấy xác nhận số CMND cũ khi đã đổi sang thẻ căn cước.", "sector": "cong_an",
        "body": "Bộ Công an", "channels": ["portal"], "source": "Nguồn thử", "reviewed": "2026-12-01",
        "facets": {"who": _facet("Người đã đổi từ CMND sang thẻ căn cước (thử).")},
    })
    assert asking.covers_situation(_service(), "lost")  # it has a "lost" situation
    assert not asking.covers_situation(other, "lost")
    story = ("Trên đường đi làm tôi bị đánh rơi giấy tờ, trong đó có căn cước. Xin hỏi làm lại "
             "chứng minh nhân dân có khó không, có phải xin giấy xác nhận của địa phương không?")
    assert read(story).situations == ("lost",)
    assert asking.pick_facet(other, story, read(story), TODAY) is None  # not its "who" facet


def test_a_spread_trigger_needs_most_of_its_words_not_only_its_content_words() -> None:
    # «nhà mượn» folds to particles ("nha", "muon"): the service's bare name is not that case.
    assert not asking.trigger_hit("nhà mượn đăng ký thường trú", words("đăng ký thường trú"))
    assert asking.trigger_hit("nhà mượn đăng ký thường trú", words("nhà tôi mượn của họ, đăng ký thường trú được chứ"))


@pytest.mark.parametrize("message", ["dang ky xe may mat bao lau", "đăng ký xe máy mất mấy ngày",
                                     "dang ky xe may mat phi khong", "quên mật khẩu đăng ký xe máy"])
def test_mat_of_time_money_or_a_password_is_no_loss_in_a_spread_trigger(message: str) -> None:
    # «mất bao lâu» (how long) folds to the «mất» of «mất đăng ký xe máy» (lost)
    assert not asking.trigger_hit("mất đăng ký xe máy", words(message))
    assert asking.trigger_hit("mất đăng ký xe máy", words("đăng ký xe máy bị mất thì làm sao"))
    # «mất hết», «mất máy» (a lost phone) are losses; «mất mấy ngày», «mật khẩu» are not
    assert asking._lost_mat(words("bị mất máy rồi")) and asking._lost_mat(words("mất hết giấy tờ"))
    assert asking._lost_mat(words("mất")) and asking._lost_mat(words("làm mất mấy"))
    assert not asking._lost_mat(words("mất mấy ngày")) and not asking._lost_mat(words("quên mật khẩu"))


def test_a_facet_asked_besides_a_situation_comes_only_where_the_service_is_that_procedure() -> None:
    birth = _service().model_copy(update={
        "id": "birth", "name": "Đăng ký khai sinh", "title": "Đăng ký khai sinh", "keywords": ("khai sinh",),
        "situations": (_service().situations[0].model_copy(update={
            "id": "lost_birth_paper", "label": "Mất giấy khai sinh", "triggers": ("mất giấy khai sinh",)}),),
    })
    q = "mất giấy khai sinh xin lại lệ phí bao nhiêu"
    # A lost birth certificate is a copy of the extract: the registration's fee would answer another question.
    assert asking.pick_facet(birth, q, read(q), TODAY) == asking.Pick(("lost_birth_paper",), "trigger")
    # A situation that does not change the procedure keeps the facet asked.
    child = birth.model_copy(update={"situations": (birth.situations[0].model_copy(update={"kind": "child"}),)})
    assert asking.pick_facet(child, q, read(q), TODAY) == asking.Pick(("lost_birth_paper", "fee"), "trigger")
    svc = _service()
    assert asking.situation_keys(svc, "lost_card", read("mất thẻ căn cước bao lâu có thẻ mới"), TODAY) == ("lost_card",)
    assert asking.situation_keys(svc, "lost_card", read("mất thẻ căn cước cần giấy tờ gì"), TODAY) == (
        "lost_card", "documents")


def test_a_copy_named_as_the_paper_that_is_wrong_gets_the_correction() -> None:
    death = _with_situations(
        ("copy_extract", "copy", "Xin bản sao trích lục khai tử", "trích lục khai tử", "Xin bản sao (thử)."),
        ("wrong_info", "wrong_info", "Giấy chứng tử ghi sai", "giấy chứng tử ghi sai", "Cải chính hộ tịch (thử)."))
    q = "trích lục khai tử của má tui ghi trật tên lót, mần sao sửa"
    # the trigger names the copy, but the story tells that it is wrong: the correction
    assert asking.pick_facet(death, q, read(q), TODAY) == asking.Pick(("wrong_info",), "trigger")
    assert asking.situation_keys(death, "copy_extract", read(q), TODAY) == ("wrong_info",)
    # a copy asked for, with nothing wrong: the copy
    q = "xin trích lục khai tử ở đâu"
    assert asking.pick_facet(death, q, read(q), TODAY).keys[0] == "copy_extract"
    assert asking.situation_keys(death, "copy_extract", read(q), TODAY)[0] == "copy_extract"
    # told in a long story, wrong information comes before the copy whatever the order told
    story = ("Năm ngoái bà tôi mất, gia đình đã làm khai tử. Nay tôi xin bản sao trích lục thì thấy "
             "trong đó ghi sai năm sinh của bà. Xin hỏi tôi phải làm thủ tục gì?")
    no_trigger = _with_situations(
        ("copy_extract", "copy", "Xin bản sao", "bản sao hộ tịch điện tử", "Xin bản sao (thử)."),
        ("wrong_info", "wrong_info", "Ghi sai", "cải chính hộ tịch điện tử", "Cải chính (thử)."))
    assert read(story).situations[:2] == ("copy", "wrong_info")
    assert asking.pick_facet(no_trigger, story, read(story), TODAY) == asking.Pick(("wrong_info",), "told")


def test_situation_named_finds_the_one_service_whose_trigger_is_written_out() -> None:
    card = _service()
    lost, = card.situations
    damaged = lost.model_copy(update={"id": "damaged", "triggers": ("thẻ căn cước bị hỏng",)})
    card = card.model_copy(update={"situations": (damaged, lost.model_copy(update={
        "triggers": (*lost.triggers, "thẻ căn cước bị hỏng")}))})
    birth = card.model_copy(update={"id": "birth", "number": 3, "name": "Đăng ký khai sinh", "situations": (
        lost.model_copy(update={"id": "lost_birth", "triggers": ("mất giấy khai sinh",)}),)})
    cat = Catalogue.build([card, birth], [], [])
    assert asking.situation_named(cat, "hôm qua tôi mất thẻ căn cước rồi", TODAY) == ("idcard", "lost_card")
    # two situations of the card name it: the first in the file
    assert asking.situation_named(cat, "thẻ căn cước bị hỏng thì sao", TODAY) == ("idcard", "damaged")
    # the triggers of two services: none of them
    assert asking.situation_named(cat, "mất thẻ căn cước và mất giấy khai sinh", TODAY) is None
    # word for word only, and only what is shown on the day
    assert asking.situation_named(cat, "thẻ căn cước của tôi bị mất", TODAY) is None
    gone = birth.model_copy(update={"situations": (birth.situations[0].model_copy(
        update={"valid_until": TODAY - dt.timedelta(days=1)}),)})
    assert asking.situation_named(Catalogue.build([gone], [], []), "mất giấy khai sinh", TODAY) is None


def test_a_spread_trigger_asking_one_facet_does_not_fire_on_a_message_asking_another() -> None:
    # «ở đâu» is dropped by normalising, leaving «nhận lý lịch tư pháp»; asked how long it takes to
    # receive it, the where-to-receive situation is not what is asked.
    trigger = "nhận lý lịch tư pháp ở đâu"

    def hit(message: str) -> bool:
        return asking.trigger_hit(trigger, words(message), asked=facets_in(message))

    assert not hit("nop xin lltp bao nhieu ngay thi nhan dc")
    assert asking.trigger_hit(trigger, words("nop xin lltp bao nhieu ngay thi nhan dc"))  # facets not given
    # asked where (at an office, online, by post), or «must I» / no facet at all: it still fires spread out
    assert hit("xin lý lịch tư pháp xong thì nhận ở chỗ nào")
    assert hit("làm lý lịch tư pháp rồi, muốn nhận tại nhà được không")
    assert hit("lý lịch tư pháp làm xong có phải tự đi nhận không")
    assert hit("con tôi đi xuất khẩu lao động, nhờ tôi nhận lý lịch tư pháp giúp, tôi nhận thay được chứ")


def test_a_short_question_telling_a_copy_gets_the_one_copy_situation_before_a_closer_worded_one() -> None:
    electronic = ("electronic", "other", "Giấy khai sinh bản điện tử", "giấy khai sinh điện tử",
                  "Bản điện tử có mã QR (thử).")
    copy = ("copy_extract", "copy", "Xin thêm bản sao", "trích lục khai sinh", "Xin bản sao trích lục (thử).")
    text = "giấy khai sinh bản sao xin ở đâu"
    pick = asking.pick_facet(_with_situations(electronic, copy), text, read(text), TODAY)
    assert pick is not None and pick.keys[0] == "copy_extract" and pick.how == "told", pick
    # no copy situation: the facet asked, as before
    pick = asking.pick_facet(_with_situations(electronic), text, read(text), TODAY)
    assert pick is None or pick.keys[0] != "copy_extract"


def test_places_and_spans_of_time_single_out_no_situation() -> None:
    svc = _with_situations(
        ("host_away", "other", "Chủ nhà vắng vài hôm", "chủ nhà đi vắng vài hôm", "Khách tự báo khi chủ nhà vắng (thử)."),
        ("relatives", "other", "Người thân lên chơi", "người thân lên chơi", "Người thân ở lại cũng phải báo (thử)."),
    )
    # «vài hôm», «mỗi lần» are told around any situation: no «host away» for a mother-in-law's visits
    near = asking.closest_situation(svc, "mẹ chồng hay lên ở vài hôm, lần nào cũng phải báo hả", TODAY)
    assert near is None or near.id != "host_away", near
    assert asking._says_little("tinh") and asking._says_little("hom") and not asking._says_little("chong")


@pytest.mark.parametrize("text", ["ông nội vừa mất, mấy ngày thì phải đi khai tử",
                                  "hạn chót làm thủ tục là bao lâu", "phải đi đăng ký trong vòng bao lâu"])
def test_by_when_it_must_be_done_is_the_late_situation_not_the_offices_time(text: str) -> None:
    svc = _with_situations(("late", "late", "Quá 15 ngày chưa làm", "quá hạn chưa làm", "Phải làm trong 15 ngày (thử)."),
                           time="Giải quyết trong 03 ngày làm việc (thử).")
    pick = asking.pick_facet(svc, text, read(text), TODAY)
    assert pick is not None and pick.keys == ("late",), pick
    # how long the office takes is still the time facet
    asked = "làm mất mấy ngày thì có kết quả"
    assert asking.pick_facet(svc, asked, read(asked), TODAY) == asking.Pick(("time",), "facet")


def test_a_short_question_telling_someone_abroad_gets_the_abroad_situation() -> None:
    svc = _with_situations(
        ("elsewhere", "where_live", "Mất ở nơi khác nơi ở", "mất ở tỉnh khác", "Khai ở nơi cư trú cuối cùng (thử)."),
        ("died_abroad", "abroad", "Người thân mất ở nước ngoài", "mất ở nước ngoài", "Báo cơ quan đại diện Việt Nam (thử)."),
    )
    text = "chú tui mất bên campuchia thì làm sao"
    pick = asking.pick_facet(svc, text, read(text), TODAY)
    assert pick is not None and pick.keys[0] == "died_abroad", pick


def test_living_away_answers_must_i_go_back_but_not_may_someone_do_it_for_me() -> None:
    svc = _with_situations(
        ("different_places", "where_live", "Hai người ở hai nơi", "ở hai tỉnh khác nhau", "Đăng ký ở nơi một trong hai người cư trú (thử)."),
        who="Cả hai người phải có mặt (thử).")
    story = ("Chúng tôi chuẩn bị tổ chức đám cưới. Tuy nhiên do công việc, chúng tôi đều làm ăn rất xa, "
             "không thể xin nghỉ về quê đăng ký kết hôn.")
    must = f"{story} Chúng tôi có bắt buộc phải về quê không?"
    assert asking.pick_facet(svc, must, read(must), TODAY) == asking.Pick(("different_places",), "told")
    proxy = f"{story} Tôi có thể ủy quyền cho cha mẹ đăng ký kết hôn không?"
    assert read(proxy).facets == ("who",)
    assert asking.pick_facet(svc, proxy, read(proxy), TODAY) == asking.Pick(("who",), "facet")


def test_a_short_question_asking_someone_else_to_do_it_gets_the_proxy_situation() -> None:
    svc = _with_situations(
        ("for_minor", "child", "Phiếu cho con nhỏ", "lý lịch tư pháp cho con nhỏ", "Cha mẹ yêu cầu cho con (thử)."),
        ("proxy", "proxy", "Nhờ người khác xin thay", "xin phiếu thay người khác", "Phiếu số 2 không ủy quyền (thử)."),
    )
    q = "tui nhờ con gái xin phiếu giùm được không rứa?"
    pick = asking.pick_facet(svc, q, read(q), TODAY)
    assert pick is not None and pick.keys[0] == "proxy", pick
    q = "con gái tui 12 tuổi xin phiếu được không"
    pick = asking.pick_facet(svc, q, read(q), TODAY)
    assert pick is not None and pick.keys[0] == "for_minor", pick


def test_a_long_storys_spread_trigger_yields_to_what_its_question_sentence_tells() -> None:
    svc = _with_situations(
        ("copy_extract", "copy", "Xin bản sao trích lục kết hôn", "ra ủy ban xã ký giấy đăng ký kết hôn",
         "Xin bản sao (thử)."),
        ("proxy", "proxy", "Nhờ người khác đăng ký thay", "nhờ bố mẹ đăng ký kết hôn", "Cả hai phải có mặt (thử)."),
    )
    story = ("Con trai toi lam thuyen vien, quanh nam lenh denh ngoai bien. Vo chong toi muon ra uy ban xa "
             "thay con ky giay dang ky ket hon cho hai dua, de Tet chi viec to chuc. Bo me lam thay nhu vay co duoc khong?")
    # premise: told in its own words, the story holds the copy's trigger
    assert asking.trigger_hit("ra ủy ban xã ký giấy đăng ký kết hôn", words(story))
    assert asking.pick_facet(svc, story, read(story), TODAY) == asking.Pick(("proxy",), "trigger")
    # the trigger typed as written still counts wherever it is
    written = ("Con trai toi lam thuyen vien, quanh nam lenh denh ngoai bien. Vo chong toi muon ra uy ban xa "
               "ky giay dang ky ket hon cho hai dua. Bo me lam thay nhu vay co duoc khong?")
    assert asking.pick_facet(svc, written, read(written), TODAY) == asking.Pick(("copy_extract",), "trigger")


def test_a_trigger_denied_right_before_it_does_not_count() -> None:
    assert not asking.trigger_hit("gắn chip", words("làm hộ chiếu loại thường, không cần gắn chip"))
    assert not asking.trigger_hit("làm hộ chiếu gắn chip", words("mẹ cần làm hộ chiếu lần đầu, không cần gắn chip"))
    assert asking.trigger_hit("làm hộ chiếu gắn chip", words("mẹ cần làm hộ chiếu lần đầu, loại gắn chip"))
    # a trigger that is itself a denial, and a question ending in «không» before it, still count
    assert asking.trigger_hit("không có giấy báo tử", words("ông mất lâu rồi, không có giấy báo tử"))
    assert asking.trigger_hit("hộ chiếu gắn chip", words("làm được không, hộ chiếu gắn chip mất bao lâu"))


def test_a_trigger_telling_something_not_done_does_not_fire_on_a_story_telling_it_done() -> None:
    trigger = "chưa nhận được thông báo phạt nguội"
    done = words("Tôi đi du lịch về thì nhận được thông báo phạt nguội vì chạy quá tốc độ, mời đến công an "
                 "tỉnh đó giải quyết. Tôi có buộc phải ra tận đó không hay giải quyết ở gần nhà được?")
    assert not asking.trigger_hit(trigger, done)
    not_done = words("Xe tôi đi đăng kiểm mới biết bị phạt, từ trước tới giờ chưa hề nhận được thông báo "
                     "phạt nguội nào. Giờ tôi phải làm gì?")
    assert asking.trigger_hit(trigger, not_done)


def test_a_trigger_ending_in_late_is_not_want_before_a_verb() -> None:
    # «khai sinh muộn» (late) and «khai sinh, muốn sửa …» (want to fix) fold alike
    assert not asking.trigger_hit("khai sinh muộn", words("da doi ten trong khai sinh, muon sua ten tren so do"))
    assert asking.trigger_hit("khai sinh muộn", words("khai sinh muon co bi phat khong"))
    assert asking.trigger_hit("khai sinh muộn", words("con toi khai sinh muon"))


def test_of_several_situations_of_a_kind_the_short_questions_words_pick_one() -> None:
    svc = _with_situations(
        ("abroad_work", "abroad", "Đi làm, đi học ở nước ngoài", "đi xuất khẩu lao động", "Không bị xóa."),
        ("emigrate", "abroad", "Ra nước ngoài định cư", "sang nước ngoài định cư", "Bị xóa."),
    )
    sits = svc.situations
    # without the question's words, two of a kind are no one situation
    assert asking.one_of_kind(sits, ["abroad"]) is None
    picked = asking.one_of_kind(sits, ["abroad"], text="đi du học nước ngoài thì sao",
                                naming=asking.naming_words(svc))
    assert picked is not None and picked.id == "abroad_work"
    # words both share («nước ngoài») single out neither
    assert asking.one_of_kind(sits, ["abroad"], text="nước ngoài thì sao", naming=asking.naming_words(svc)) is None


def _phone_content() -> ContentSnapshot:
    """Two entries on the app's phone that share everyday words (phone, slow, update)."""
    from tests.factories import faq_entry
    faq = [
        faq_entry("app_slow", ["ứng dụng chạy chậm trên điện thoại", "điện thoại chậm khi mở ứng dụng"],
                  "Bạn tắt hẳn ứng dụng rồi mở lại."),
        faq_entry("app_update", ["cập nhật ứng dụng trên điện thoại", "điện thoại báo cập nhật ứng dụng"],
                  "Bạn cập nhật ứng dụng từ kho ứng dụng chính thức."),
    ]
    return ContentSnapshot.build(version=1, faq=faq, flows=small_flows(), catalogue=Catalogue.build([], [], []))


def test_an_unsure_long_question_naming_nothing_of_ours_is_said_to_be_out_of_scope() -> None:
    content = _phone_content()
    story = ("Điện thoại của tôi mua đã ba năm, dạo này mở ứng dụng chạy chậm và hay báo cập nhật. "
             "Xin hỏi có nên cập nhật không hay mua máy mới?")
    assert content.matcher.decide(story, today=TODAY).outcome == "clarify"  # the items share its words
    turn = ask(content, story)
    assert (turn.match.kind, turn.match.id) == (MatchKind.OFFTOPIC, "out_of_scope")
    # ... but never one with a word of the domain, or «giấy tờ»
    for told in ("VNeID", "giấy tờ"):
        turn = ask(content, story.replace("Điện thoại của tôi", f"Điện thoại để làm {told} của tôi"))
        assert turn.match.kind is not MatchKind.OFFTOPIC, (told, turn.match)


def test_an_unmatched_story_naming_one_of_our_papers_is_offered_its_procedure(content: ContentSnapshot) -> None:
    story = ("Chào anh chị, nhà tôi ở xa trung tâm, đường sá khó khăn, ông tôi năm nay đã 85 tuổi, mắt kém, "
             "đi lại phải có người dìu. Thôn có thông báo mọi người phải đi làm căn cước. Xin hỏi trường "
             "hợp của ông tôi thì phải làm sao ạ?")
    assert content.matcher.decide(story, today=TODAY).outcome == "none"  # no item is close enough
    turn = ask(content, story)
    # the card of the one procedure about the paper named, offered as a guess, never asserted
    assert turn.match.kind is MatchKind.CLARIFY
    first = turn.replies[0]
    assert first.text.startswith("Tôi chưa chắc đã hiểu đúng") and "Cấp lại, đổi thẻ căn cước" in first.text
    assert [b.payload for b in first.buttons][-2:] == ["c-handoff", "menu"]


def test_an_unmatched_short_question_naming_one_of_our_papers_is_offered_its_procedure(
    content: ContentSnapshot,
) -> None:
    short = "bà nội 90 tuổi chưa từng có giấy chứng minh thì sao ạ"
    assert content.matcher.decide(short, today=TODAY).outcome == "none"
    turn = ask(content, short)
    assert turn.match.kind is MatchKind.CLARIFY and "Cấp lại, đổi thẻ căn cước" in turn.replies[0].text
    # a message that asks nothing is not guessed at
    assert ask(content, "bà nội 90 tuổi chưa từng có giấy chứng minh").match.kind is not MatchKind.CLARIFY


def test_an_unmatched_story_naming_two_papers_or_a_dispute_is_not_guessed(content: ContentSnapshot) -> None:
    two = ("Chào anh chị, nhà tôi ở xa trung tâm, đường sá khó khăn, ông tôi năm nay đã 85 tuổi, mắt kém. "
           "Thôn có thông báo mọi người phải đi làm căn cước và hộ chiếu. Xin hỏi ông tôi thì phải làm sao ạ?")
    assert ask(content, two).match.kind is MatchKind.FALLBACK
    # land is not one of our procedures' papers: its disputes are asked far more than its registration
    land = ("Chào anh chị, nhà tôi ở xa trung tâm, ông tôi năm nay đã 85 tuổi, mắt kém. Ông muốn cho con "
            "cháu thửa đất đang có sổ đỏ. Xin hỏi trường hợp của ông tôi thì phải làm sao ạ?")
    assert ask(content, land).match.kind is not MatchKind.CLARIFY


def test_a_reader_asking_the_paper_to_advise_names_no_death_certificate() -> None:
    from faq.topics import topics_in
    assert "death" not in topics_in("Mong quý báo tư vấn giúp tôi có nên vay ngân hàng mua nhà?")
    assert "death" in topics_in("Bệnh viện chưa cấp giấy báo tử thì làm sao?")
    # «chứng từ» (a receipt, the vehicle's papers) folds like «chứng tử»: only «giấy chứng tử» is one
    assert topics_in("Sang tên xe cũ mà mất chứng từ lệ phí trước bạ thì được không?") == {"vehicle"}
    assert "death" in topics_in("mất giấy chứng tử của bố thì xin lại ở đâu")


def test_a_bank_cards_chip_is_not_the_chip_id_card() -> None:
    from faq.topics import topics_in
    for text in ("Ngân hàng bắt đổi thẻ ATM từ thẻ từ sang thẻ chip", "doi the atm gan chip o dau",
                 "thẻ ngân hàng gắn chip bị khóa"):
        assert "id_card" not in topics_in(text), text
    assert "id_card" in topics_in("đổi căn cước gắn chip ở đâu")


def test_a_facet_asked_but_not_shown_leads_the_buttons(content: ContentSnapshot) -> None:
    story = ("Chào bạn, tuần trước tôi đi chợ bị mất thẻ căn cước cùng cái ví. Giờ làm lại thì nộp trực "
             "tiếp ở đâu, lệ phí bao nhiêu?")
    turn = ask(content, story)
    assert (turn.match.kind, turn.match.id) == (MatchKind.SERVICE, "idcard")
    reply = turn.replies[0]
    assert "Mất thẻ thì làm thủ tục cấp lại" in reply.text and "70.000 đồng" in reply.text
    # the place asked is not in the reply: its button comes first
    payloads = [b.payload for b in reply.buttons]
    assert payloads[0] == "sf-idcard-in_person", payloads
    assert sum(p.startswith("sf-") for p in payloads) <= 3 and "sf-idcard-fee" not in payloads


def test_an_unmatched_story_about_a_marriage_paper_written_wrong_is_offered_its_procedure() -> None:
    marriage = _with_situations(
        ("wrong_info", "wrong_info", "Giấy kết hôn ghi sai", "giấy kết hôn ghi sai", "Làm thủ tục cải chính hộ tịch (thử)."),
    ).model_copy(update={"id": "marriage", "number": 15, "name": "Đăng ký kết hôn", "title": "Đăng ký kết hôn",
                         "summary": "Đăng ký kết hôn tại Ủy ban nhân dân cấp xã.", "keywords": ("đăng ký kết hôn",),
                         "faq": ()})
    ev = LifeEvent.model_validate({"id": "giay_to", "title": "Giấy tờ tùy thân", "intro": "Các thủ tục giấy tờ."})
    sec = Sector.model_validate({"id": "cong_an", "title": "Công an", "intro": "Các thủ tục của Công an."})
    content = ContentSnapshot.build(version=1, faq=_entries(), flows=small_flows(),
                                    catalogue=Catalogue.build([_service(), marriage], [ev], [sec]))
    wrong = ("Tôi có thắc mắc muốn được giải đáp như sau: tờ giấy chứng nhận của vợ chồng tôi về việc kết hôn "
             "ghi sai ngày sinh của chồng tôi thì có chỉnh sửa được hay không ạ?")
    ctx = _Ctx(inbound=Inbound(text=wrong), session=Session(), content=content, now=NOW)
    out = _topic_guess(ctx, wrong, read(wrong))
    assert out is not None and out.match.kind is MatchKind.CLARIFY, out
    assert "cải chính hộ tịch" in out.replies[0].text
    # the marriage itself (a dispute, a benefit), with no paper lost, copied or written wrong: no guess
    dispute = ("Tôi có thắc mắc muốn được giải đáp như sau: vợ chồng tôi đã kết hôn mười năm, nay chồng tôi "
               "muốn bán căn nhà chung mà không hỏi tôi thì có được hay không ạ?")
    assert _topic_guess(ctx, dispute, read(dispute)) is None
