"""Every guide and every service is reachable from the main menu by pressing buttons (real content)."""

from __future__ import annotations

import datetime as dt
import functools
from collections import deque

from api.settings import PROJECT_ROOT
from bot.core.content import ContentSnapshot
from bot.core.respond import respond
from bot.core.types import Inbound, MatchKind, Session, Turn
from faq.loader import load_faq_dir
from faq.understand import facets_in
from flows.catalogue import Catalogue
from flows.engine import FlowSet
from flows.loader import load_catalogue_dir, load_flows_dir, load_life_events, load_sectors

NOW = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)


@functools.cache
def real_snapshot() -> ContentSnapshot:
    """The shipped content (loaded once: a snapshot is immutable)."""
    faq = list(load_faq_dir(PROJECT_ROOT / "faq" / "content").items)
    titles = {e.id: e.title for e in faq}
    cat_dir = PROJECT_ROOT / "flows" / "catalogue"
    flows = FlowSet.build(list(load_flows_dir(PROJECT_ROOT / "flows" / "content").items), faq_titles=titles)
    catalogue = Catalogue.build(
        list(load_catalogue_dir(cat_dir).items), list(load_life_events(cat_dir).items),
        list(load_sectors(cat_dir).items), faq_titles=titles,
    )
    return ContentSnapshot.build(version=1, faq=faq, flows=flows, catalogue=catalogue)


#: The hour the answering tests below ask at.
ASKED_AT = dt.datetime(2026, 11, 23, 8, 0, tzinfo=dt.UTC)


def _ask(text: str) -> Turn:
    return respond(Inbound(text=text), Session(), real_snapshot(), ASKED_AT)


def _warns(turn: Turn) -> bool:
    """True when ``turn`` is the scam guide or an FAQ entry tagged as a scam warning."""
    if turn.match.kind is MatchKind.FLOW:
        return (turn.match.id or "").startswith("scam")
    entry = real_snapshot().faq.get(turn.match.id or "") if turn.match.kind is MatchKind.FAQ else None
    return entry is not None and "lua_dao" in entry.tags


def test_all_guides_and_services_reachable_from_the_main_menu() -> None:
    snap = real_snapshot()
    flows_seen: set[str] = set()
    services_seen: set[str] = set()
    seen: set[str] = set()
    queue = deque(["menu"])
    while queue:
        payload = queue.popleft()
        if payload in seen or payload.startswith(("c-", "fy-", "fn-")):
            continue
        seen.add(payload)
        turn = respond(Inbound(payload=payload), Session(), snap, NOW)
        assert turn.match.kind is not MatchKind.FALLBACK, payload
        if turn.match.kind is MatchKind.FLOW and turn.match.id:
            flows_seen.add(turn.match.id.split("/")[0])
        if turn.match.kind is MatchKind.SERVICE and turn.match.id:
            services_seen.add(turn.match.id)
        queue.extend(b.payload for r in turn.replies for b in r.buttons)
    assert flows_seen == set(snap.flows.ids())
    assert services_seen == {s.id for s in snap.catalogue.services}
    assert len(services_seen) == 25 and len(flows_seen) == 9


def test_free_text_starts_guides() -> None:
    snap = real_snapshot()
    for text, flow in [("huong dan kich hoat muc 2", "l2"), ("huong dan cai vneid", "install")]:
        turn = respond(Inbound(text=text), Session(), snap, NOW)
        assert turn.match.kind is MatchKind.FLOW and (turn.match.id or "").startswith(flow + "/"), (text, turn.match)


def test_vague_problem_messages_start_the_troubleshooting_guide() -> None:
    """'báo lỗi', 'ko vào dc': the guide asks what is wrong instead of 'I did not understand'."""
    content = real_snapshot()
    now = dt.datetime(2026, 11, 23, 8, 0, tzinfo=dt.UTC)
    for message in ("báo lỗi", "ko vao dc", "loi", "bị hư rồi", "em bi loi"):
        turn = respond(Inbound(text=message), Session(), content, now)
        assert turn.match.kind is MatchKind.FLOW and turn.match.id == "fix/start", (message, turn.match)
    for message in ("không", "ko", "máy giặt bị lỗi"):
        turn = respond(Inbound(text=message), Session(), content, now)
        assert turn.match.kind is not MatchKind.FLOW, (message, turn.match)


def test_the_scam_guide_warns_before_its_first_question() -> None:
    """Someone on the phone right now must read the warning first, whatever they answer next."""
    content = real_snapshot()
    now = dt.datetime(2026, 11, 23, 8, 0, tzinfo=dt.UTC)
    turn = respond(Inbound(payload="f-scam"), Session(), content, now)
    first = turn.replies[0].text
    assert "OTP" in first and "Công an không bao giờ hỏi" in first
    assert first.index("OTP") < first.index("Câu 1")


def test_a_weak_decline_does_not_override_an_answer() -> None:
    """'tuần trước' is also asked of the weather decline; the death answer still wins."""
    content = real_snapshot()
    today = dt.date(2026, 11, 23)
    decision = content.matcher.decide("bố tôi mới mất tuần trước", today=today)
    assert decision.outcome == "answer" and decision.candidates[0].key == "faq:death_bundle", decision
    # A real off-topic question still gets its decline.
    declined = content.matcher.decide("quên mật khẩu zalo", today=today)
    assert declined.candidates and declined.candidates[0].kind == "offtopic", declined


def test_a_procedure_offered_by_someone_posing_as_the_police_gets_the_scam_warning() -> None:
    """The procedure named in such a message is the bait: the warning is the answer."""
    for message in ("Dạ có anh xưng công an hẹn làm mức 2 cho em qua video call ạ",
                    "người lạ nhắn zalo bảo làm thẻ căn cước online giúp, có được không",
                    # the sides of a card sent to a stranger are no lost card
                    "Em lỡ gửi ảnh hai mặt căn cước cho người lạ qua Zalo rồi ạ"):
        turn = _ask(message)
        assert _warns(turn), (message, turn.match)
    assert _ask("Em lỡ gửi ảnh hai mặt căn cước cho người lạ qua Zalo rồi ạ").match.kind is MatchKind.FAQ
    # the same procedure asked plainly is the procedure, and so is a stranger staying the night
    for plain in ("Dạ em muốn hẹn làm mức 2 thì làm sao ạ",
                  "có người lạ đến ở nhờ nhà tôi vài hôm thì có phải khai báo lưu trú không"):
        turn = _ask(plain)
        assert not _warns(turn), (plain, turn.match)

def test_the_item_about_the_facet_asked_keeps_its_place() -> None:
    """What to bring for level 2 names the driving licence in one phrasing, so the item about level 2
    alone (how it is done) was put first; the question asks what to bring."""
    content = real_snapshot()
    q = "bà già tui đi làm mức 2 có phải đem sổ hộ khẩu không hè?"
    decision = content.matcher.decide(q, today=dt.date(2026, 11, 23))
    assert decision.candidates[0].key == "faq:register_l2_bring", decision
    assert "documents" in facets_in(q)
    # asked how it is done, the item about how it is done still comes first
    decision = content.matcher.decide("làm mức 2 ở công an gồm những bước nào", today=dt.date(2026, 11, 23))
    assert decision.candidates[0].key != "faq:register_l2_bring", decision


def test_a_short_question_telling_someone_abroad_is_not_answered_by_an_item_never_asked_so() -> None:
    """The child's ID-number entry is about the birth certificate too, but is never asked for use abroad."""
    turn = _ask("giay khai sinh cua be mang qua nhat du hoc thi lam thu tuc gi")
    assert turn.match.kind is MatchKind.SERVICE and turn.match.id == "birth_reg", turn.match
    assert "nước ngoài" in turn.replies[0].text


def test_a_stranger_in_a_bank_story_is_no_scam_about_our_procedures() -> None:
    """Money sent by mistake to a stranger's bank account is another matter, declined as such; and a
    stranger only in a long story's background does not turn its question into a scam."""
    bank = ("Chieu qua toi chuyen 15 trieu qua app ngan hang nhung go nham so tai khoan, tien sang tai khoan "
            "cua mot nguoi la o ngan hang khac. Lam sao de lay lai tien?")
    turn = _ask(bank)
    assert not _warns(turn), turn.match


def test_an_unmatched_story_about_the_card_guesses_the_card_service_not_the_old_number() -> None:
    """Two services are about the card alone (the card and the old ID number's confirmation): the
    guess is the one an item of only one of them ranked first belongs to, or none; the app's account
    named in passing beside a paper does not count."""
    story = ("Chi oi cho em hoi, chong em sinh ngay 28/12/1986, cuoi thang nay la tron 40 tuoi, the can cuoc "
             "cap nam 2021 in han den dung ngay sinh nhat do. Anh ay dinh cuoi tuan ra cong an phuong lam the moi. "
             "Lan doi nay co phai dong tien khong chi, hay duoc lam khong?")
    turn = _ask(story)
    # no item ranks one of the two alone: no guess rather than the old number's confirmation
    assert "Xác nhận số" not in turn.replies[0].text, turn.replies[0].text[:200]
    story = ("Kính gửi Ban tư vấn. Tôi 34 tuổi, đang xin việc tại một ngân hàng, họ yêu cầu bổ sung phiếu lý lịch "
             "tư pháp trước ngày 20/12. Tôi đã có tài khoản VNeID mức 2. Nếu hôm nay tôi nộp yêu cầu trên VNeID thì "
             "khoảng bao lâu sẽ có phiếu, liệu có kịp không?")
    turn = _ask(story)
    assert turn.match.kind in (MatchKind.CLARIFY, MatchKind.SERVICE, MatchKind.FAQ), turn.match
    assert "lý lịch tư pháp" in turn.replies[0].text.lower(), turn.replies[0].text[:200]
    # «liệu có kịp không» asks whether it is ready in time: the time it takes, not a late registration
    assert "10 ngày làm việc" in turn.replies[0].text, turn.replies[0].text[:300]


def test_unsure_only_between_scam_warnings_the_best_one_is_given() -> None:
    content = real_snapshot()
    story = ("Sáng nay có một người gọi cho bố tôi, xưng là cán bộ công an phường, nói tài khoản định danh mức 2 "
             "của bố bị lỗi đồng bộ, bảo bố kết bạn Zalo rồi gửi ảnh thẻ căn cước cả mặt trước lẫn mặt sau để họ "
             "sửa giúp, nếu không sẽ bị khóa. Bố tôi đã kết bạn nhưng chưa gửi ảnh. Đó có phải công an thật không, "
             "giờ nhà tôi nên làm gì?")
    decision = content.matcher.decide(story, today=ASKED_AT.date())
    assert decision.outcome == "clarify" and all(
        "lua_dao" in content.faq[c.key.partition(":")[2]].tags for c in decision.candidates), decision
    turn = _ask(story)
    assert turn.match.kind is MatchKind.FAQ and _warns(turn), turn.match


def test_a_bill_complaint_is_declined_not_answered_with_the_contracts_wrong_details() -> None:
    bill = ("Nhà em chỉ có 3 người, tháng nào tiền điện cũng khoảng 600 nghìn, vậy mà hóa đơn tháng 11 vừa rồi lên "
            "hơn 1,5 triệu dù không dùng thêm thiết bị gì. Em nghi công tơ bị hỏng hoặc ghi sai chỉ số. Em muốn "
            "khiếu nại với điện lực để kiểm tra lại thì làm thế nào, có được trả lại tiền không ạ?")
    turn = _ask(bill)
    assert turn.match.kind not in (MatchKind.SERVICE, MatchKind.FAQ, MatchKind.FLOW), turn.match


def test_a_short_question_whose_best_item_is_in_no_service_gets_the_facet_of_the_one_named() -> None:
    """Filing residence online belongs to no service (it is for every kind of residence): asked how
    long permanent residence takes, the permanent residence service's time, not a menu; and a
    word pair shared with a situation («trú trên», of «thường trú trên tàu thuyền») does not put
    that situation before the facet asked."""
    turn = _ask("nop thuong tru tren vneid thi may ngay co ket qua")
    assert turn.match.kind is MatchKind.SERVICE and turn.match.id == "perm_residence", turn.match
    text = turn.replies[0].text
    assert text.startswith("Đăng ký thường trú · Bao lâu có kết quả"), text[:200]
    assert "tàu thuyền" not in text, text[:200]


def test_greetings_and_everyday_words_single_out_no_situation() -> None:
    """«Kính chào … xin phép», «giấy», «cả» are told around every procedure: shared with a
    situation's words, they do not make the reply lead with it (the passport photo, the household
    discount) before the facet asked."""
    from bot.core.asking import closest_situation
    catalogue = real_snapshot().catalogue
    day = ASKED_AT.date()
    assert closest_situation(catalogue.get("passport"), "Kính chào quý cơ quan, tôi xin phép hỏi thủ tục cấp hộ "
                             "chiếu phổ thông qua mạng", day) is None
    assert closest_situation(catalogue.get("health_ins"), "gia han bhyt ca nha online o dau", day) is None
    # «sang» (over to) names no country: moving one's registration to another province is not «abroad»
    near = closest_situation(catalogue.get("perm_residence"), "chuyển khẩu từ tỉnh này sang tỉnh khác", day)
    assert near is None or near.kind != "abroad", near
    # a situation told in the question's own words is still found
    near = closest_situation(catalogue.get("unemployment"), "dang huong that nghiep ma co viec moi thi sao", day)
    assert near is not None and "việc làm mới" in near.label, near


def test_residence_at_large_is_no_object_shared_with_another_kind_of_it() -> None:
    """«nhập khẩu» names permanent residence; the stay notice, also «cư trú», is about another kind:
    the item about permanent residence comes first."""
    decision = real_snapshot().matcher.decide("bố mẹ ở quê lên ở chung, nhập khẩu vô nhà tui dc ko",
                                              today=ASKED_AT.date())
    assert decision.candidates and "stay_notice" not in decision.candidates[0].key, decision
    assert "permanent" in decision.candidates[0].key, decision


def test_a_situation_told_in_its_own_words_beats_a_broader_entry_about_more_papers() -> None:
    """Losing the vehicle paper is a situation of vehicle registration, told by its trigger; the
    entry on losing several papers at once (card, licence, vehicle paper) is broader."""
    turn = _ask("danh roi giay dang ky xe, xin cap lai thuong cho lau ko")
    assert turn.match.kind is MatchKind.SERVICE and turn.match.id == "vehicle_reg", turn.match
    assert "Mất giấy đăng ký xe" in turn.replies[0].text, turn.replies[0].text[:200]
    # two services are about the card alone: the one whose situation's trigger the message holds
    turn = _ask("đi chợ bị móc túi mất cả ví lẫn cccd")
    assert turn.match.kind is MatchKind.SERVICE and turn.match.id == "id_card", turn.match
    assert "Mất thẻ căn cước" in turn.replies[0].text.split("\n")[0], turn.replies[0].text[:200]


def test_a_bare_trigger_naming_the_matter_yields_to_whom_it_is_for() -> None:
    """«đăng ký người phụ thuộc» only names the matter; «mẹ em 70 tuổi» tells it is for an elderly
    parent: the tax service's case of parents as dependants, with its income condition."""
    turn = _ask("Dạ mẹ em 70 tuổi có lương hưu, đăng ký người phụ thuộc được không ạ?")
    assert turn.match.kind is MatchKind.SERVICE and turn.match.id == "tax_reg", turn.match
    assert "Cha mẹ già là người phụ thuộc" in turn.replies[0].text, turn.replies[0].text[:200]
    # ... also when the case is named word for word and the service answers it directly
    turn = _ask("me toi 70 tuoi dang ky nguoi phu thuoc dc ko")
    assert "Cha mẹ già là người phụ thuộc" in turn.replies[0].text.split("\n")[0], turn.replies[0].text[:200]
    # without someone told, the matter's own case
    turn = _ask("đăng ký người phụ thuộc ở đâu")
    assert "Cha mẹ già" not in turn.replies[0].text, turn.replies[0].text[:200]


def test_of_several_situations_told_a_short_question_gets_the_one_its_longest_trigger_names() -> None:
    """«chồng là người nước ngoài làm khai sinh cho con» (a foreign parent) says more than «khai sinh
    cho con ở nước ngoài» (born abroad), which a Taiwanese husband's question also spreads into."""
    turn = _ask("Chồng tôi người Đài Loan, làm khai sinh cho con cần thêm giấy gì?")
    assert turn.match.kind is MatchKind.SERVICE and turn.match.id == "birth_reg", turn.match
    assert turn.replies[0].text.startswith("Đăng ký khai sinh · Khai sinh có yếu tố nước ngoài"), \
        turn.replies[0].text[:200]


def test_how_long_one_has_before_filing_is_the_deadline_not_the_processing_time() -> None:
    turn = _ask("nghi viec bao lau thi nop ho so that nghiep")
    assert turn.match.kind is MatchKind.SERVICE and turn.match.id == "unemployment", turn.match
    assert "Nghỉ việc quá 3 tháng" in turn.replies[0].text.split("\n")[0], turn.replies[0].text[:200]
    turn = _ask("nop ho so that nghiep bao lau thi co ket qua")
    assert "Nghỉ việc quá 3 tháng" not in turn.replies[0].text.split("\n")[0], turn.replies[0].text[:200]


def test_school_fees_a_modem_and_a_neighbours_fence_are_declined_as_outside_our_matters() -> None:
    for text in ("hoc phi dai hoc bach khoa nam nay bao nhieu 1 ky",
                 "Modem FPT nhà tôi muốn đổi tên wifi thì vào đâu?",
                 "Dạ nhà bên cạnh rào mất lối đi chung, em kiện ở đâu ạ?"):
        turn = _ask(text)
        assert turn.match.kind not in (MatchKind.FAQ, MatchKind.SERVICE, MatchKind.FLOW), (text, turn.match)
    # a loan against the land certificate is the bank's
    assert _ask("cam so do vay ngan hang dc bao nhieu phan tram").match.kind is MatchKind.OFFTOPIC
    # a phone's own face unlock is the phone's setting; VNeID's face check is ours
    assert _ask("dt oppo mo khoa bang khuon mat ko nhan nua").match.kind is MatchKind.OFFTOPIC
    assert _ask("không quét được khuôn mặt khi kích hoạt vneid").match.id == "face_check_fail"
    # the exam registration and renaming in the birth certificate are still ours
    assert _ask("đăng ký thi tốt nghiệp thpt ở đâu").match.id == "exam_reg"
    assert _ask("đổi tên trong giấy khai sinh").match.id == "birth_reg"


def test_the_land_certificate_after_a_new_card_is_not_the_merger_case() -> None:
    """«sổ đỏ có phải làm lại» after a new card is the papers-after-a-new-card answer; the merger's
    case keeps its own words («sáp nhập … sổ đỏ»)."""
    assert _ask("đổi căn cước xong sổ đỏ có phải làm lại không").match.id == "papers_after_new_card"
    turn = _ask("sáp nhập xã rồi sổ đỏ có phải làm lại không")
    assert turn.match.id == "land_change" and "sau sáp nhập" in turn.replies[0].text.split("\n")[0]


def test_why_cannot_i_log_in_is_the_login_entry() -> None:
    """«mà» (but) before «vneid» is no phrase of the wrong-information entry."""
    assert _ask("sao mà vneid không đăng nhập được").match.id == "login_error"
    # a forgotten portal password is the portal's sign-in, not a re-issued card
    assert _ask("cấp lại mật khẩu dịch vụ công quốc gia").match.id == "portal_login"
    assert _ask("đổi thẻ căn cước mới mà vneid vẫn hiện thông tin cũ").match.id == "vneid_info_wrong"
