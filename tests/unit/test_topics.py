"""The object a long question is about (faq.topics) and how the matcher uses it (issue 12).

A long question is never answered with confidence by an item about another object than the one it
asks about; a lost paper leads to the service that issues it again; "did you mean" options are
about the object asked. Short questions are left to BM25 alone.
"""

from __future__ import annotations

from datetime import date

import pytest

from faq.matcher import IndexDoc, Matcher
from faq.normalize import words
from faq.topics import acted_on, names_loss, topics_in

TODAY = date(2026, 12, 2)

DOCS = (
    IndexDoc(
        "faq:traffic_fine",
        "faq",
        ("Nộp phạt nguội", "Nộp phạt vi phạm giao thông trực tuyến", "Bị phạt thì nộp phạt ở đâu",
         "Có bị xử phạt không, mức phạt nộp thế nào"),
        "Bạn nộp phạt vi phạm giao thông trên Cổng Dịch vụ công.",
    ),
    IndexDoc(
        "faq:passport",
        "faq",
        ("Làm hộ chiếu", "Cấp hộ chiếu phổ thông trực tuyến", "Hộ chiếu làm ở đâu"),
        "Bạn nộp hồ sơ cấp hộ chiếu trên Cổng Dịch vụ công hoặc VNeID mức 2.",
    ),
    IndexDoc(
        "service:passport",
        "service",
        ("Cấp, cấp lại hộ chiếu", "Làm hộ chiếu", "hộ chiếu phổ thông"),
        "Cấp lần đầu hoặc cấp lại hộ chiếu phổ thông.",
    ),
    IndexDoc(
        "faq:late_birth",
        "faq",
        ("Khai sinh quá hạn", "Quá hạn chưa khai sinh có bị phạt không", "Đăng ký khai sinh muộn"),
        "Quá hạn vẫn đăng ký khai sinh được ở Ủy ban nhân dân cấp xã.",
    ),
    IndexDoc(
        "faq:temp_residence",
        "faq",
        ("Đăng ký tạm trú", "Gia hạn tạm trú", "Đăng ký tạm trú online"),
        "Bạn đăng ký hoặc gia hạn tạm trú trên Cổng Dịch vụ công hoặc VNeID.",
    ),
)


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return Matcher(DOCS)


@pytest.mark.parametrize(
    ("text", "topics"),
    [
        ("Tôi bị mất hộ chiếu thì có bị phạt không?", {"passport"}),
        ("mat the bhyt lam lai o dau", {"health_insurance"}),
        ("gia hạn tạm trú", {"temporary_residence", "residence"}),
        ("Luật Cư trú nói gì", {"residence"}),
        ("sổ đỏ mua bằng giấy viết tay", {"land"}),
        ("quên mật khẩu vneid", set()),  # the app is no object: every question names it
        ("có bị phạt không", set()),  # nor is a generic word
        ("nhận quyết định phạt rồi thì hạn nộp phạt bao nhiêu ngày", {"traffic_fine"}),  # paying a fine is
        ("đăng ký người phụ thuộc để giảm trừ gia cảnh cho mẹ", {"tax"}),  # the tax office's words name tax,
        ("ra chi cục thuế hỏi", {"tax"}),
        ("thuê nhà có phải nộp giấy gì", set()),  # while folded «thue» alone is also «thuê» (to rent)
        ("mất giấy chứng minh rồi làm lại ở đâu", {"id_card"}),  # the old card's everyday name
    ],
)
def test_the_objects_a_text_names(text: str, topics: set[str]) -> None:
    assert topics_in(text) == topics


def test_a_loss_is_told_in_a_phrase_never_by_the_folded_word_alone() -> None:
    assert names_loss(words("Cấp lại thẻ căn cước khi bị mất"))
    assert names_loss(words("tôi làm mất giấy đăng ký xe"))
    assert not names_loss(words("quên mật khẩu")), "«mật» folds to «mat» too"
    assert not names_loss(words("đổi mật khẩu VNeID"))


LONG_LOST_PASSPORT = (
    "Hôm trước đi công tác về tôi mới thấy hộ chiếu của mình không còn trong cặp nữa, tìm mãi không ra. "
    "Nếu tôi không đi trình báo thì có bị xử phạt không, và mức phạt ra sao?"
)


def test_a_generic_word_never_carries_a_long_question_to_another_object(matcher: Matcher) -> None:
    ranked = matcher.search(LONG_LOST_PASSPORT, today=TODAY, k=3)
    assert ranked[0].key == "faq:traffic_fine", "premise: «phạt» ranks the fine entry first"
    decision = matcher.decide(LONG_LOST_PASSPORT, today=TODAY)
    assert decision.outcome != "answer"
    if decision.outcome == "clarify":
        assert all("passport" in c.key for c in decision.candidates), decision


def test_the_same_words_short_are_left_to_the_ranking(matcher: Matcher) -> None:
    assert matcher.asked_topics("mất hộ chiếu có bị phạt không") == frozenset()
    assert matcher.asked_topics(LONG_LOST_PASSPORT) == frozenset({"passport"})


def test_a_lost_paper_leads_to_the_service_that_issues_it_again(matcher: Matcher) -> None:
    text = (
        "Tuần trước đi chợ tôi bị mất ví, trong đó có cả hộ chiếu lẫn tiền mặt, chắc bị móc túi. "
        "Giờ tôi phải làm những thủ tục gì, có bị phạt không?"
    )
    decision = matcher.decide(text, today=TODAY)
    assert decision.outcome == "clarify"
    assert decision.candidates[0].key == "service:passport", decision


def test_a_late_extension_is_no_late_birth_registration(matcher: Matcher) -> None:
    text = (
        "Tôi thuê phòng gần công ty và đã đăng ký ở đó từ năm ngoái. Tháng này sắp hết thời hạn tạm trú "
        "mà tôi chưa kịp gia hạn, quá hạn thì có bị phạt không?"
    )
    decision = matcher.decide(text, today=TODAY)
    assert decision.candidates[0].key == "faq:temp_residence", decision
    assert all(c.key != "faq:late_birth" for c in decision.candidates)


def test_an_item_about_the_asked_object_stays_answerable(matcher: Matcher) -> None:
    text = (
        "Con tôi năm nay vào đại học, cháu muốn đi du học nên cần giấy tờ đi nước ngoài. "
        "Xin hỏi làm hộ chiếu phổ thông cho cháu ở đâu, làm trực tuyến được không?"
    )
    decision = matcher.decide(text, today=TODAY)
    assert decision.candidates[0].key in ("faq:passport", "service:passport")
    assert decision.outcome in ("answer", "clarify")


def test_asked_share_and_about(matcher: Matcher) -> None:
    asked = frozenset({"passport"})
    assert matcher.about("faq:passport", asked)
    assert not matcher.about("faq:traffic_fine", asked)
    assert not matcher.about("faq:nothing_here", asked)
    assert matcher.about("faq:traffic_fine", frozenset())
    assert matcher.asked_share("service:passport", asked) == 1.0
    assert matcher.asked_share("faq:late_birth", asked) == 0.0
    assert matcher.asked_share("faq:late_birth", frozenset()) == 1.0


def test_a_decline_about_another_object_never_declines_one_of_ours() -> None:
    matcher = Matcher((
        IndexDoc("offtopic:land", "offtopic", ("Tách thửa đất", "Tách thửa đất cần điều kiện gì", "Chia đất"),
                 "Trợ lý 06 không hướng dẫn tách thửa đất."),
        IndexDoc("faq:residence", "faq", ("Đăng ký thường trú", "Nhập hộ khẩu", "Chuyển hộ khẩu"),
                 "Bạn đăng ký thường trú ở Công an cấp xã hoặc trực tuyến."),
    ))
    text = ("Vợ chồng tôi ở cùng nhà với bố mẹ từ khi cưới đến nay. Giờ muốn tách hộ khẩu ra riêng "
            "thì cần điều kiện gì, tách thế nào?")
    assert matcher.search(text, today=TODAY, k=1)[0].key == "offtopic:land", "premise"
    decision = matcher.decide(text, today=TODAY)
    assert all(c.kind != "offtopic" for c in decision.candidates), decision


def test_residence_at_large_only_when_no_kind_of_it_is_named() -> None:
    from faq.topics import narrowed

    assert narrowed(topics_in("đăng ký thường trú")) == {"permanent_residence"}
    assert narrowed(topics_in("đăng ký cư trú cho cả nhà")) == {"residence"}
    assert narrowed(topics_in("hộ chiếu")) == {"passport"}


def test_a_motorbike_named_in_full_is_the_vehicle() -> None:
    assert "vehicle" in topics_in("giấy chứng nhận đăng ký (GCNĐK) xe gắn máy của tôi bị rách")
    assert "vehicle" in topics_in("đăng ký xe mô tô phân khối lớn")


def test_a_vehicle_bought_second_hand_is_the_vehicle_but_buying_one_is_not() -> None:
    assert "vehicle" in topics_in("Em mua 1 xe đã qua mấy đời chủ, không có hồ sơ gốc")
    assert "vehicle" in topics_in("tôi mua lại xe của bạn nhưng chưa sang tên")
    # a purchase on instalment or a used car's fine names no registration of ours by itself
    assert "vehicle" not in topics_in("mua xe máy trả góp cần những gì")
    assert topics_in("mua xe cũ bị dính phạt nguội của chủ trước") == {"traffic_fine"}
    # «đổi chủ hộ» (the household head) and «thay đổi chủ thể hợp đồng điện» fold like «đời chủ»
    assert "vehicle" not in topics_in("thủ tục thay đổi chủ hộ")
    assert "vehicle" not in topics_in("thay đổi chủ thể hợp đồng điện")
    assert "vehicle" in topics_in("xe đã qua nhiều đời chủ")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # the paper one has is background; the one to be made is asked
        ("cháu có hộ chiếu còn hạn nhưng không còn hộ khẩu, giờ muốn làm căn cước được không", {"id_card"}),
        ("mất hộ chiếu thì có phải làm lại thẻ căn cước không", {"id_card"}),
        ("tôi muốn đăng ký thường trú cho con", {"residence", "permanent_residence"}),
        ("xin cấp lại giấy phép lái xe", {"driving_licence"}),
        # «đang» folds like «đăng»: only «đăng ký» is a verb of doing
        ("đang tạm trú ở đây muốn hỏi", set()),
        # «khai báo» follows what is declared: not a verb that picks the object after it
        ("lưu trú thì có phải khai báo tạm vắng không", set()),
        # «thủ tục» names the procedure asked, as a verb of doing does
        ("cần giấy chứng tử để làm giấy tờ nhà đất, thủ tục khai tử thế nào", {"land", "death"}),
        # an object joined by «và» / «hoặc» to one acted on is acted on too …
        ("yên tâm làm cccd gắn chip và tài khoản định danh", {"id_card", "account"}),
        ("làm hộ chiếu hoặc căn cước cho con", {"passport", "id_card"}),
        # … but not one joined to a paper the asker only has or lacks
        ("muốn làm căn cước nhưng chưa có hộ khẩu và giấy khai sinh", {"id_card"}),
    ],
)
def test_the_objects_a_sentence_asks_to_have_done(text: str, expected: set[str]) -> None:
    assert acted_on(words(text)) == expected


def test_a_bare_card_is_never_answered_by_an_item_about_a_paper_that_is_no_card() -> None:
    docs = (
        IndexDoc("faq:passport_time", "faq",
                 ("Làm lại hộ chiếu mất bao lâu", "Hộ chiếu làm bao lâu thì có", "làm hộ chiếu có cần căn cước"),
                 "Không quá 08 ngày làm việc."),
        IndexDoc("faq:card_again", "faq", ("Cấp lại thẻ căn cước", "Đổi thẻ căn cước ở đâu"),
                 "Bạn làm thủ tục cấp lại thẻ căn cước ở Công an cấp xã."),
        IndexDoc("faq:fine", "faq", ("Nộp phạt giao thông",), "Nộp phạt trên Cổng Dịch vụ công."),
    )
    m = Matcher(docs)
    assert m.search("làm lại thẻ mất bao lâu", today=TODAY, k=1)[0].key == "faq:passport_time", "premise"
    for typed in ("làm lại thẻ mất bao lâu", "lam lai the mat bao lau"):
        decision = m.decide(typed, today=TODAY)
        assert decision.outcome != "answer", decision
        assert all(c.key != "faq:passport_time" for c in decision.candidates), decision
    # «có thể» (can) is no card; the passport named is the passport
    assert m.decide("co the lam lai ho chieu mat bao lau", today=TODAY).candidates[0].key == "faq:passport_time"
    assert m.decide("làm lại hộ chiếu mất bao lâu", today=TODAY).outcome == "answer"



def test_the_couple_having_a_wedding_names_marriage_but_a_guest_does_not() -> None:
    assert "marriage" in topics_in("tháng 1 tới tụi em định làm đám cưới, nên đăng ký ở đâu")
    assert "marriage" in topics_in("hai đứa cưới nhau được một năm")
    assert "marriage" not in topics_in("đi đám cưới mừng bao nhiêu tiền là đủ")


def test_a_phone_is_no_power_supply() -> None:
    assert "electricity" not in topics_in("Mua điện thoại mới thì đăng nhập VNeID thế nào?")
    assert "electricity" not in topics_in("tiền điện thoại tháng này")
    assert "electricity" in topics_in("mua điện cho nhà mới xây")
    # the meter, by its everyday name
    assert "electricity" in topics_in("muốn xin lắp đồng hồ điện riêng")


def test_registering_for_the_exam_names_the_exam() -> None:
    assert "exam" in topics_in("cháu chưa có tài khoản VNeID mức 2 thì đăng ký dự thi thế nào")


def test_everyday_names_of_our_papers() -> None:
    assert topics_in("giấy tờ xe bị mất") == {"vehicle"}
    assert "seal" in topics_in("khắc dấu mới cho công ty") and "seal" in topics_in("dấu nổi cho trường")
    assert "driving_licence" in topics_in("bằng xe máy hết hạn")
    assert "birth" in topics_in("giấy chứng sinh của bé bị mất")
    assert "exam" in topics_in("thi đại học năm nay đăng ký thế nào")
    assert "electricity" in topics_in("điện lực bắt nộp giấy gì")
    # a vehicle's «biển số định danh» is no electronic-ID account
    assert topics_in("biển số định danh là gì") == {"vehicle"}
