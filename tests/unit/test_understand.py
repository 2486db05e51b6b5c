"""Reading a long message: question sentences, facets asked, situations told (faq/understand.py)."""

from __future__ import annotations

import time

import pytest

from faq.matcher import BACKGROUND_WEIGHT, Matcher
from faq.understand import LONG_CHARS, asks_proxy, facets_in, is_question, read, situations_in, split_sentences
from tests.unit.test_matcher import DOCS, TODAY

STORY = (
    "Chào anh chị, tôi năm nay 62 tuổi, sống cùng con trai ở Bình Dương. Tháng trước tôi đi chợ "
    "thì bị giật túi, mất hết giấy tờ trong đó có thẻ căn cước. Xin hỏi tôi phải đến cơ quan nào "
    "để làm lại, và lệ phí bao nhiêu?"
)


def test_sentences_are_cut_at_punctuation_and_line_breaks_not_inside_numbers() -> None:
    parts = split_sentences("Tôi ở TP.HCM, sốt 38.5 độ. Xin hỏi?\nCảm ơn!")
    assert parts == ["Tôi ở TP.HCM, sốt 38.5 độ.", "Xin hỏi?", "Cảm ơn!"]


@pytest.mark.parametrize("lead", ["tôi xin hỏi", "cho tôi hỏi", "xin hoi", "em muốn hỏi", "Cho hỏi"])
def test_a_story_and_its_question_typed_as_one_sentence_are_cut_at_the_ask(lead: str) -> None:
    story = "Hôm qua đi ăn cưới về tôi bị thổi nồng độ cồn"
    parts = split_sentences(f"{story}, {lead}, nộp phạt trên mạng như thế nào?")
    assert parts == [story, f"{lead}, nộp phạt trên mạng như thế nào?"]
    reading = read(f"{story} ở ngoài thành phố, mất cả buổi, {lead}, nộp phạt trên mạng như thế nào?")
    assert reading.split and reading.focus.startswith(lead)


def test_a_comma_without_the_ask_does_not_cut() -> None:
    assert split_sentences("Tôi hỏi cán bộ, cán bộ bảo chờ, vậy là sao?") == ["Tôi hỏi cán bộ, cán bộ bảo chờ, vậy là sao?"]


@pytest.mark.parametrize(
    "sentence",
    [
        "Làm lại căn cước ở đâu",
        "lam lai can cuoc o dau",
        "Cho tôi hỏi thủ tục đăng ký khai tử",
        "Con tôi có được cấp hộ chiếu riêng không ạ",
        "Có phải đổi thẻ khi đủ 40 tuổi không vậy",
        "Làm hộ chiếu mất bao lâu",
        "Lệ phí bao nhiêu tiền",
        "Đăng ký như thế nào?",
        "Mẹ tôi đã làm mức 2 chưa nhỉ",
    ],
)
def test_question_cues(sentence: str) -> None:
    assert is_question(sentence)


@pytest.mark.parametrize(
    "sentence",
    ["Tôi không còn giấy tờ gốc.", "Mẹ tôi mất tuần trước", "Chào anh chị", "Tôi đang ở Hà Nội"],
)
def test_statements_are_not_questions(sentence: str) -> None:
    assert not is_question(sentence)


def test_a_story_is_split_into_background_and_the_question() -> None:
    r = read(STORY)
    assert r.long and r.split and r.asks
    assert r.focus.startswith("Xin hỏi") and "lệ phí" in r.focus
    assert "giật túi" in r.background and "Xin hỏi" not in r.background


def test_facets_are_listed_in_the_order_asked() -> None:
    assert read(STORY).facets == ("in_person", "fee")
    assert facets_in("cần giấy tờ gì và mất bao lâu") == ("documents", "time")
    assert facets_in("mất phí không, làm online được không") == ("fee", "online")
    # what to bring is what to prepare; «mạng» (network) folds like «mang» and is not asked
    assert facets_in("đi làm mức 2 thì cần mang gì") == ("documents",)
    assert facets_in("đăng ký mức 1 có cần mạng không") == ()
    # which site to open is where to do it online; «ai khai báo» asks who
    assert facets_in("tôi có thể vào đâu để đăng ký cư trú, thời gian bao lâu") == ("online", "time")
    assert facets_in("chủ nhà đi vắng thì ai khai báo") == ("who",)
    assert facets_in("tôi có thể ủy quyền cho cha mẹ đăng ký thay không") == ("who",)
    # «phải tới đâu» is where to go; «làm hồ sơ» is no «làm hộ»
    assert facets_in("em phải tới đâu để làm hồ sơ hưởng thất nghiệp") == ("in_person",)
    assert facets_in("hồ sơ của tôi tới đâu rồi") == ()


def test_situations_come_from_the_whole_story() -> None:
    assert read(STORY).situations == ("child", "lost")  # "con trai" is told before the loss
    assert situations_in("thẻ bị trầy xước, cong vênh") == ("lost",)
    assert situations_in("giấy khai sinh của con bị sai tên") == ("wrong_info",)
    assert situations_in("xin bản sao trích lục khai tử") == ("copy",)
    assert situations_in("mẹ tôi già yếu, nằm một chỗ") == ("elderly",)
    assert situations_in("tôi đang định cư ở nước ngoài") == ("abroad",)


def test_someone_asked_to_do_it_is_a_proxy_not_the_one_the_paper_is_for() -> None:
    q = "tui nhờ con gái xin phiếu lý lịch tư pháp số 2 giùm được không rứa?"
    assert situations_in(q) == ("proxy",) and facets_in(q) == ("who",) and asks_proxy(q)
    assert situations_in("tôi có thể ủy quyền cho bố mẹ đăng ký kết hôn không") == ("proxy",)
    # the reader asked for help is no proxy
    assert not asks_proxy("Nhờ anh chị hướng dẫn thủ tục làm căn cước cho con")
    assert situations_in("nhờ chị tư vấn giúp em làm hộ chiếu") == ()
    assert asks_proxy("nhờ em gái làm căn cước hộ được không")
    # asked to come and look after the children, not to do a procedure
    assert "proxy" not in situations_in("tôi nhờ chị ruột từ dưới quê lên chăm cháu khoảng 2 tuần")
    assert asks_proxy("nhờ chị ruột đi nộp hồ sơ được không")
    # the child the paper is for is still a child
    assert situations_in("con gái tôi 10 tuổi làm hộ chiếu ở đâu") == ("child",)
    assert not asks_proxy("con gái tôi 10 tuổi làm hộ chiếu ở đâu")


def test_an_age_of_seventy_or_more_tells_someone_elderly() -> None:
    assert situations_in("Ông tôi 85 tuổi, làm hộ chiếu có phải tới trụ sở?") == ("elderly",)
    assert situations_in("ba noi 92t lam can cuoc o dau") == ("elderly",)
    assert situations_in("bà ngoại đi lại khó, nằm liệt giường") == ("elderly",)
    # an age under seventy, a year or an amount is no age of someone elderly
    assert "elderly" not in situations_in("cha tôi năm nay 60 tuổi đổi căn cước")
    assert "elderly" not in situations_in("con tôi 7 tuổi làm hộ chiếu")
    assert "elderly" not in situations_in("phí 70 nghìn, sinh năm 1985")


def test_losing_a_password_or_a_parent_is_no_lost_document() -> None:
    assert "lost" not in situations_in("quên mật khẩu VNeID")
    assert "lost" not in situations_in("mẹ tôi mất thì đăng ký khai tử ở đâu")
    assert facets_in("làm mức 2 mất bao lâu") == ("time",)


def test_a_bare_yes_no_question_is_no_eligibility_facet() -> None:
    assert facets_in("làm online được không") == ("online",)
    assert facets_in("ai được làm thủ tục này") == ("who",)
    assert facets_in("có bắt buộc đổi thẻ không") == ("who",)
    assert facets_in("ai sẽ là người bị phạt") == ("who",)


def test_a_short_message_is_one_question() -> None:
    r = read("cấp lại căn cước ở đâu")
    assert not r.long and not r.split and r.focus == "cấp lại căn cước ở đâu" and r.asks
    assert len("cấp lại căn cước ở đâu") < LONG_CHARS


def test_a_long_message_without_a_cue_is_kept_whole() -> None:
    r = read("a" * 5000)
    assert r.long and not r.split and not r.asks


def test_reading_is_linear_and_fast_on_a_pasted_page() -> None:
    page = STORY * 200  # ~45 KB
    start = time.perf_counter()
    r = read(page)
    assert time.perf_counter() - start < 0.2
    assert r.facets  # read up to its cap, not dropped


# -- the matcher on long messages ------------------------------------------------------------------

MOVED = ("Năm ngoái tôi chuyển vào Sài Gòn làm công nhân, ở trọ với mấy người bạn cùng quê. "
         "Hôm qua tôi đổi điện thoại mới. Quên mật khẩu vneid thì làm sao?")


def test_the_story_weighs_less_than_the_question() -> None:
    m = Matcher(DOCS)
    terms, weights = m.read_terms(MOVED)
    assert weights is not None and set(terms) == set(weights)
    assert weights["quen"] == 1.0 and weights["mat khau"] == 1.0
    assert weights["cong nhan"] == pytest.approx(BACKGROUND_WEIGHT)
    assert m.read_terms("Quên mật khẩu vneid thì làm sao?")[1] is None  # short: plain terms
    assert m.read_terms("a" * 300)[1] is None  # long, but no question to set apart


def test_a_story_needs_a_stronger_match_for_a_confident_answer() -> None:
    strict = Matcher(DOCS, answer_threshold=0.1, clarify_threshold=0.05, long_answer_threshold=0.5)
    story = strict.decide(MOVED, today=TODAY)
    assert story.outcome == "clarify" and story.top is not None and story.top.key == "faq:forgot_password"
    alone = strict.decide("Quên mật khẩu vneid thì làm sao?", today=TODAY)
    assert alone.outcome == "answer"
    lenient = Matcher(DOCS, answer_threshold=0.1, clarify_threshold=0.05, long_answer_threshold=0.1)
    assert lenient.decide(MOVED, today=TODAY).outcome == "answer"


def test_anchored_means_the_message_names_the_domain() -> None:
    m = Matcher(DOCS)
    assert m.is_anchored(MOVED) and not m.is_anchored("hàng xóm lấn đất nhà tôi thì làm sao")


# -- off-topic on the real content: one shared word never pulls an in-scope answer ----------------


@pytest.fixture(scope="module")
def real() -> Matcher:
    from bot.bench_matcher import content_docs

    docs, _ = content_docs()
    return Matcher(docs)


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("vượt đèn đỏ bị phạt bao nhiêu tiền", "offtopic:ot_fine_amounts"),
        ("bị tạm hoãn xuất cảnh do nợ thuế thì làm sao", "offtopic:ot_tax_debt"),
        ("công ty nợ lương 3 tháng không trả", "offtopic:ot_labour_disputes"),
        ("con bị sốt cao co giật phải làm sao", "offtopic:ot_health"),
        ("hàng xóm lấn chiếm đất nhà tôi", "offtopic:ot_legal_disputes"),
        ("thủ tục ly hôn đơn phương thế nào", "offtopic:ot_family_law"),
    ],
)
def test_off_topic_questions_are_declined_as_such(real: Matcher, text: str, key: str) -> None:
    decision = real.decide(text, today=TODAY)
    assert decision.outcome == "answer" and decision.top is not None and decision.top.key == key, decision


@pytest.mark.parametrize("text", ["nộp phạt giao thông online", "đăng ký thuế lần đầu ở đâu", "làm thủ tục trợ cấp thất nghiệp"])
def test_their_in_scope_neighbours_are_still_answered(real: Matcher, text: str) -> None:
    decision = real.decide(text, today=TODAY)
    assert decision.outcome == "answer" and decision.top is not None and decision.top.kind != "offtopic", decision


def test_how_a_procedure_is_done_is_asked_but_not_how_much_the_fine_is() -> None:
    story = "Nhà tôi vừa chuyển về phường mới được hai tháng, mọi giấy tờ còn ở quê. "
    assert read(story + "Giờ làm giấy tờ cư trú ở đây thì thủ tục thế nào?").asks_how
    assert read(story + "Tôi cần làm những gì để đăng ký ở đây?").asks_how
    assert not read(story + "Nếu chưa đăng ký thì mức phạt như thế nào?").asks_how
    assert not read(story + "Ở đây có phải đăng ký không?").asks_how


def test_not_yet_registered_and_a_trip_abroad_are_told() -> None:
    assert "late" in situations_in("ông tôi mất lâu rồi mà chưa được khai tử")
    assert "abroad" in situations_in("con gái tôi sắp sang Nhật làm việc ba năm")


def test_not_gone_to_register_yet_is_late_and_must_i_pay_is_the_fee() -> None:
    assert "late" in situations_in("cháu đã hơn ba tháng tuổi mà gia đình vẫn chưa đi khai sinh")
    assert "fee" in facets_in("Lần đổi này có phải đóng tiền không chị?")
    # contributions paid, or where to pay, ask no fee
    assert "fee" not in facets_in("tôi đã đóng tiền bảo hiểm đầy đủ, giờ muốn hưởng thất nghiệp thì làm gì")
    assert "fee" not in facets_in("nay muốn gia hạn thì ra bệnh viện đó đóng tiền được không?")


def test_done_near_home_is_living_away_from_where_it_happened() -> None:
    assert "where_live" in situations_in("Tôi có buộc phải ra tận đó không hay giải quyết ở gần nhà được?")


def test_dropping_a_paper_or_reporting_it_lost_is_a_loss_but_data_security_is_not() -> None:
    assert "lost" in situations_in("toi lam rot ho chieu luc di cho, gio phai bao mat o dau")
    assert "lost" in situations_in("đánh rớt cà vẹt xe ở chợ")
    assert "lost" in situations_in("làm đơn báo mất giấy tờ")
    # «bảo mật» (security) folds like «báo mất»; «rồi mất» (then died) is no lost paper
    assert "lost" not in situations_in("VNeID bảo mật thông tin thế nào")
    assert "lost" not in situations_in("ba ngoai len nha cau ut choi roi mat, khai tu o dau")


def test_the_amount_of_a_fine_is_no_fee_of_the_procedure() -> None:
    assert "fee" not in facets_in("không làm thủ tục sang tên xe thì bị phạt bao nhiêu tiền?")
    assert "fee" not in facets_in("trễ hạn bị phạt mấy triệu")
    assert "fee" in facets_in("đăng ký sang tên xe hết bao nhiêu tiền")


def test_having_nothing_at_all_is_told_not_asked() -> None:
    assert not is_question("Bố tôi cả đời làm nông, không có lương hưu hay trợ cấp gì.")
    assert not is_question("Mẹ tôi chẳng có thu nhập gì")
    assert is_question("Làm hộ chiếu cần mang theo gì")


def test_never_having_been_abroad_tells_no_one_abroad() -> None:
    assert "abroad" not in situations_in("Từ nhỏ tôi chỉ sống ở Huế, chưa từng ra nước ngoài, cần phiếu lý lịch")
    assert "abroad" not in situations_in("tôi chưa bao giờ đi nước ngoài, làm hộ chiếu ở đâu")
    assert "abroad" not in situations_in("ông không hề sống ở nước ngoài")
    assert "abroad" in situations_in("chồng tôi đang ở nước ngoài, chưa về")


def test_must_i_register_is_the_who_facet_but_has_a_card_is_not() -> None:
    assert "who" in facets_in("tôi có cần đăng ký lưu trú cho khách không")
    assert "who" not in facets_in("tôi có căn cước rồi thì làm mức 2 ở đâu")


def test_asking_for_a_paper_again_tells_a_loss() -> None:
    assert "lost" in situations_in("bị móc túi ngoài chợ, giờ muốn xin cấp lại giấy tờ xe")
    assert "lost" not in situations_in("đổi thẻ căn cước khi đủ 40 tuổi ở đâu")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("cấp lại căn cước hết bao nhiêu ngày, làm ở đâu", ("time", "in_person")),
        ("tốn bao nhiêu thời gian", ("time",)),
        ("làm hộ chiếu hết bao nhiêu tiền", ("fee",)),
        ("hết bao nhiêu", ("fee",)),
    ],
)
def test_how_many_days_is_a_time_not_a_fee(text: str, expected: tuple[str, ...]) -> None:
    assert facets_in(text) == expected


@pytest.mark.parametrize(("text", "kind"), [
    ("con gái tôi bên Nhật hộ chiếu sắp hết hạn", "abroad"),
    ("chú tôi mất bên campuchia", "abroad"),
    ("thẻ bảo hiểm y tế của con bị in nhầm tên đệm", "wrong_info"),
    ("giấy khai sinh bị mối ăn hết một góc", "lost"),
    ("sổ đỏ bị chuột cắn nát", "lost"),
])
def test_a_country_named_or_a_misprint_is_told(text: str, kind: str) -> None:
    assert kind in situations_in(text)
    assert "abroad" not in situations_in("nhất là khi làm căn cước ở nhà")


@pytest.mark.parametrize(("text", "facet"), [
    ("khách về lúc nửa đêm thì báo lưu trú lúc nào", "time"),
    ("nộp phạt hạn nộp là khi nào", "time"),
    ("làm liên thông khai sinh có mất đồng nào không", "fee"),
    ("muốn dk thường trú chung nhà thì cần những j", "documents"),
    ("lam ho chieu o dau dc k", "in_person"),
    ("doi cccd het bn tien", "fee"),
    ("nộp phạt qua Cổng dịch vụ công quốc gia như thế nào", "online"),
    ("mua xe mới đk ở công an phường được không hay phải lên tỉnh", "in_person"),
    ("làm lại hộ chiếu tốn bao nhiêu", "fee"),
    ("mất bằng lái thì phải chuẩn bị giấy gì", "documents"),
])
def test_chat_ways_of_asking_a_facet_and_short_forms_are_read(text: str, facet: str) -> None:
    assert facet in facets_in(text)


def test_a_question_in_short_forms_is_a_question() -> None:
    assert is_question("khai tu lam ntn")
    assert read("con toi 16t lam cccd dc k").asks


def test_an_unmarried_couple_is_not_late_with_a_registration() -> None:
    assert "late" not in situations_in("bố mẹ cháu chưa đăng ký kết hôn thì khai sinh thế nào")
    assert "late" not in situations_in("sống chung chưa đăng ký, khai sinh con có ghi tên bố được không")
    assert "late" in situations_in("con tôi 3 tháng rồi chưa đăng ký khai sinh")


def test_want_before_a_verb_is_no_late_registration() -> None:
    # «muốn» (want) folds like «muộn» (late)
    assert "late" not in situations_in("đã đổi tên trong khai sinh, muốn sửa tên trên sổ đỏ")
    assert "late" not in situations_in("da doi ten trong khai sinh, muon sua ten tren so do")
    assert "late" in situations_in("khai sinh muộn có bị phạt không")
    assert "late" in situations_in("dang ky muon duoc khong")


def test_a_residence_procedure_done_late_is_told_but_wanting_one_is_not() -> None:
    assert "late" in situations_in("làm tạm trú muộn có bị phạt không")
    assert "late" in situations_in("khai báo lưu trú muộn")
    assert "late" not in situations_in("đăng ký tạm trú muốn hỏi thủ tục")  # «muốn hỏi»: wants to ask


def test_the_sides_of_a_card_are_no_loss() -> None:
    # «mặt» (side) folds like «mất» (lost)
    assert situations_in("Em lỡ gửi ảnh hai mặt căn cước cho người lạ") == ()
    assert situations_in("chup 2 mat cccd gui qua zalo") == ()
    assert situations_in("ảnh mặt trước, mặt sau thẻ căn cước") == ()
    assert situations_in("tôi bị mất căn cước") == ("lost",)


def test_southern_qua_a_country_is_going_abroad_but_qua_han_is_overdue() -> None:
    assert situations_in("giấy khai sinh mang qua Nhật dùng được không") == ("abroad",)
    assert "abroad" not in situations_in("tạm trú qua hạn có bị phạt không")
    # typed with its mark, «qua Hàn» is Korea, never «quá hạn»
    assert situations_in("ổng qua Hàn làm 3 năm, có phải làm tạm vắng không") == ("abroad",)
    assert situations_in("tạm trú quá hạn rồi") == ("late",)


def test_too_late_is_asked_and_face_or_all_paid_in_is_no_lost_paper() -> None:
    assert situations_in("Bây giờ làm hồ sơ thất nghiệp còn kịp không?") == ("late",)
    # whether a procedure filed now is ready by a date asks its time, not whether it is too late
    assert situations_in("Nếu hôm nay tôi nộp thì bao lâu có phiếu, liệu có kịp không?") == ()
    assert "lost" not in situations_in("thời gian đã đóng có bị mất trắng không")
    assert "lost" not in situations_in("cả hai phải có mặt, bố mẹ thay mặt con được không")
    assert situations_in("tôi bị mất sổ bảo hiểm") == ("lost",)


def test_a_sentence_ending_in_the_land_certificate_asks_nothing() -> None:
    from faq.topics import topics_in
    assert not is_question("Tháng 9 vừa rồi vợ chồng tôi mua lại căn nhà, đã sang tên sổ hồng.")
    assert is_question("Làm được hông")
    assert "land" in topics_in("đất đã có sổ hồng")


def test_marked_words_folding_to_a_situation_cue_keep_their_meaning() -> None:
    assert situations_in("mẹ tôi mất vì bệnh, khai tử ở đâu") == ()  # died of, no lost wallet
    assert situations_in("tôi còn nhớ số căn cước cũ") == ()  # remember, no small child
    assert situations_in("chụp mặt thẻ căn cước gửi đi") == ()  # the card's face
    assert situations_in("mất ví, mất căn cước") == ("lost",)
    assert facets_in("cài vneid nhận quà 100 nghìn") == ()  # a gift, no result of a procedure
