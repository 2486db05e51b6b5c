"""Vietnamese normalisation: folding, teencode, fillers, n-grams."""

from __future__ import annotations

import unicodedata
from itertools import pairwise

import pytest

from faq.abbreviations import CONTEXTUAL, EXPANSIONS, FILLER_PHRASES, STOPWORDS
from faq.normalize import bigrams, eval_fold, fold, squeeze, tokens, untelex, words


def test_fold_strips_diacritics_and_d_bar() -> None:
    assert fold("Đăng ký ĐỊNH DANH điện tử mức 2") == "dang ky dinh danh dien tu muc 2"
    assert fold("Ưu tiên, hộ chiếu; Thường trú!") == "uu tien ho chieu thuong tru"


@pytest.mark.parametrize(
    "text",
    ["Đăng ký định danh mức độ 2 cần những gì", "Quên mật khẩu VNeID ạ?", "Cước phí thuê bao ở Đà Nẵng"],
)
def test_fold_nfd_equals_nfc(text: str) -> None:
    nfd = unicodedata.normalize("NFD", text)
    assert nfd != text  # really decomposed
    assert fold(nfd) == fold(text)
    assert tokens(nfd) == tokens(text)


def test_fold_punctuation_emoji_and_whitespace() -> None:
    assert fold("  VNeID🙂🙂 tải…ở   đâu???\n\t") == "vneid tai o dau"
    assert fold("dichvucong.gov.vn") == "dichvucong gov vn"
    assert fold("🙂👍") == ""
    assert fold("") == ""


def test_eval_fold_is_the_literal_rule() -> None:
    # keeps punctuation, only collapses whitespace
    assert eval_fold("  Đăng  KÝ,\n mức 2! ") == "dang ky, muc 2!"
    assert eval_fold(unicodedata.normalize("NFD", "Hộ chiếu")) == "ho chieu"
    assert eval_fold("App\nStore") == "app store"


def test_squeeze_repeated_letters() -> None:
    assert squeeze("khongggg") == "khong"
    assert squeeze("dcccc") == "dc"
    assert squeeze("khongg") == "khong"
    # legit doubles after folding: "xoong", "ưu" -> "uu"
    assert squeeze("xoong") == "xoong"
    assert squeeze("uu") == "uu"
    # table words are never squeezed
    assert squeeze("cccd") == "cccd"


def test_repeated_letters_expand_after_squeeze() -> None:
    assert tokens("ko dcccc") == tokens("không được")
    assert tokens("vneiddd loiii") == tokens("vneid lỗi")


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("muc2", "mức 2"),
        ("mức2", "mức 2"),
        ("lv2", "mức 2"),
        ("level 2", "mức 2"),
        ("mức độ 2", "mức 2"),
        ("muc hai", "mức 2"),
        ("md2", "mức 2"),
    ],
)
def test_level_spellings(typed: str, meant: str) -> None:
    assert tokens(typed) == tokens(meant) == ("muc", "2")


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("ko nhận đc otp", "không nhận được otp"),
        ("hok vao dc vneid", "không vào được vneid"),
        ("khum biet cai vneid", "không biết cài vneid"),
        ("quên mk vneid", "quên mật khẩu vneid"),
        ("doi sdt", "đổi số điện thoại"),
        ("cccd het han", "căn cước công dân hết hạn"),
        ("tich hop gplx", "tích hợp giấy phép lái xe"),
        ("the bhyt", "thẻ bảo hiểm y tế"),
        ("dang nhap dvc", "đăng nhập dịch vụ công"),
        ("tk dddt", "tài khoản định danh điện tử"),
        ("đk tạm trú", "đăng ký tạm trú"),
        ("dki tam tru", "đăng ký tạm trú"),
        ("cmnd cu", "chứng minh nhân dân cũ"),
        ("lam passport", "làm hộ chiếu"),
        ("nop phat online", "nộp phạt trực tuyến"),
        # a duration, however it is asked
        ("bao nhieu ngay thi duoc duyet", "bao lâu thì được duyệt"),
        ("mấy hôm có kết quả", "bao lâu có kết quả"),
        ("bn ngay", "bao lâu"),
        # a bank's Smart OTP is its own thing (it does not anchor a question in VNeID's domain)
        ("ma smart otp", "mã smartotp"),
        # snatched, stolen, pickpocketed: lost to its owner; telling the code is reading it out
        ("bi giat dt", "bị mất điện thoại"),
        ("bị trộm điện thoại", "bị mất điện thoại"),
        ("lo noi ma otp", "lỡ đọc mã otp"),
        ("to giac so lua dao", "trình báo số lừa đảo"),
        ("dt thieu nfc", "điện thoại không có nfc"),
        # southern «lãnh» is receiving a benefit; «số đó» of a caller is not «sổ đỏ»
        ("tien that nghiep lanh bao nhieu", "tiền thất nghiệp được bao nhiêu"),
        ("dang lanh tro cap", "đang hưởng trợ cấp"),
        ("chan so do", "chặn số ấy"),
        # «con dâu» (a daughter-in-law) told as a person, typed without marks, is no «con dấu» (a seal)
        ("con dau toi sinh chau", "vợ của con trai tôi sinh cháu"),
        # central «răng mà» is «sao» (why): its «mà» must not pair with the next word
        ("răng mà vneid không đăng nhập được", "sao vneid không đăng nhập được"),
        # holding an event is no organisation
        ("tổ chức đám cưới ở nhà", "làm đám cưới ở nhà"),
        # southern «mần» (làm), «trật» (sai), «tên lót» (chữ đệm), «dzậy»; northern «u» (mẹ)
        ("có phải mần tạm vắng hông", "có phải làm tạm vắng không"),
        ("man giay tam tru", "làm giấy tạm trú"),
        ("khai sinh ghi trật tên lót", "khai sinh ghi sai chữ đệm"),
        ("u tôi già rồi", "mẹ tôi già rồi"),
        ("man hinh bi den", "màn hình bị đen"),
        # goods imported, a bank card's chip: not the residence jargon, not the ID card
        ("hàng nhập khẩu", "hàng ngoại"),
        ("the atm", "thẻ ngân hàng"),
        ("luu tru du lieu", "lưu giữ dữ liệu"),
    ],
)
def test_teencode_and_abbreviations(typed: str, meant: str) -> None:
    assert tokens(typed) == tokens(meant)


@pytest.mark.parametrize("spelling", ["vn eid", "vnied", "vneid", "vnid", "v neid", "VN-eID", "VNEID", "vneidd"])
def test_vneid_spellings(spelling: str) -> None:
    assert tokens(spelling) == ("vneid",)


def test_ambiguous_short_forms_by_context() -> None:
    # "mk": password after "quên", pronoun at the start before a verb
    assert tokens("quen mk") == ("quen", "mat", "khau")
    assert "mat" not in tokens("mk muốn hỏi về hộ chiếu")
    # "dk": registration before a noun, "được" as a particle
    assert tokens("dk tam tru")[:2] == ("dang", "ky")
    assert "dang" not in tokens("vao vneid ko dk")
    # "hk": household book after "sổ", otherwise "không"
    assert tokens("so hk") == ("so", "ho", "khau")
    assert tokens("hk nhan dc otp") == tokens("không nhận được otp")


def test_fillers_are_dropped() -> None:
    plain = tokens("vneid tải ở đâu")
    assert plain == ("vneid", "tai")
    assert tokens("Cho mình hỏi vneid tải ở đâu ạ") == plain
    assert tokens("ad ơi cho em hỏi vneid tải ở đâu vậy") == plain
    assert tokens("vneid tải làm sao") == plain
    # "mình" is dropped, so it cannot match "Minh"
    assert "minh" not in tokens("mình muốn làm hộ chiếu")


def test_bigrams_keep_compounds_across_stopword_homographs() -> None:
    seq = words("thẻ căn cước bị mất")
    assert "can" not in tokens("thẻ căn cước bị mất") or "can cuoc" in bigrams(seq)
    assert "can cuoc" in bigrams(seq)
    assert "chung minh" in bigrams(words("chứng minh nhân dân"))
    # a pair of two stopwords is not a bigram
    assert all(b.split()[0] not in STOPWORDS or b.split()[1] not in STOPWORDS for b in bigrams(seq))


@pytest.mark.parametrize(
    ("raw", "meant"),
    [
        ("ddawng kys taif khoanr", "đăng ký tài khoản"),
        ("queen matj khaaur vneid", "quên mật khẩu vneid"),
        ("khoong nhaanj dduwowcj otp", "không nhận được otp"),
        ("ddieenj thoaij", "điện thoại"),
    ],
)
def test_raw_telex_keystrokes(raw: str, meant: str) -> None:
    assert tokens(raw) == tokens(meant)


def test_untelex_leaves_syllables_and_brands_alone() -> None:
    for word in ("khong", "zalo", "google", "iphone", "samsung", "store", "link", "chip", "xyz"):
        assert untelex(word) == word


def test_digits_split_and_leading_zeros() -> None:
    assert tokens("c06") == ("c", "6")
    assert tokens("Đề án 06") == tokens("de an 6")
    assert tokens("1900 0368") == ("1900", "368")


def test_junk_is_safe() -> None:
    assert tokens("") == ()
    assert tokens("🙂🙂🙂") == ()
    assert tokens("\x00\x01\ud800 abc") == ("abc",)
    long = "vneid " * 20_000
    assert len(tokens(long)) == 20_000
    assert tokens("x" * 100_000) == ("x",)


def test_table_is_folded_and_consistent() -> None:
    for key, value in EXPANSIONS.items():
        assert key == fold(key), key
        assert value == fold(value), key
    for phrase in FILLER_PHRASES:
        assert phrase == fold(phrase), phrase
    assert all(w == fold(w) for w in STOPWORDS)
    assert set(CONTEXTUAL).isdisjoint(EXPANSIONS)


def test_hong_is_broken_after_bi_else_khong() -> None:
    assert "hong" in tokens("thẻ căn cước bị hỏng")
    assert "khong" not in tokens("điện thoại đã hỏng")
    assert tokens("hong biet cai vneid") == tokens("không biết cài vneid")


def test_short_forms_of_the_household_registration_and_the_exam() -> None:
    assert words("tách khẩu cho vợ chồng")[:3] == ("tach", "ho", "khau")
    assert words("dk thi tn thpt")[-4:] == ("thi", "tot", "nghiep", "thpt")
    assert words("ko nhan dc tn")[-2:] == ("tin", "nhan")


def test_vay_is_a_loan_before_money_words_and_a_particle_otherwise() -> None:
    assert words("vay tiền nhanh bằng cccd")[:2] == ("vay", "tien")
    assert "vay" in words("app cho vay online")
    assert "vay" not in words("làm căn cước ở đâu vậy")
    assert "vay" not in words("vậy xin hỏi làm lại ở đâu")
    assert "vay" not in words("sao vay lai the")


def test_nha_is_a_house_unless_it_ends_the_sentence() -> None:
    assert words("nhà mạng")[:1] == ("nha",)
    assert "nha" in words("đăng ký tại nhà được không")
    assert "nha" in words("chủ nhà trọ khai báo")
    assert "nha" not in words("giúp mình nha ad")
    assert words("làm ở nhà được không nha").count("nha") == 1


@pytest.mark.parametrize(
    "typed", ["otp ko ve may", "mã OTP không về điện thoại", "tin nhắn otp chưa thấy về", "sms chua ve dt"]
)
def test_code_that_does_not_arrive_reads_as_not_received(typed: str) -> None:
    got = words(typed)
    assert "ve" not in got and ("nhan", "duoc") in set(pairwise(got))


def test_arrival_rule_leaves_other_ve_alone() -> None:
    assert "ve" in words("tải vneid về máy")
    assert "ve" in words("không về quê được")


@pytest.mark.parametrize("typed", ["1 cộng 1 bằng mấy", "12 nhân 8", "5+7=?", "2 x 3"])
def test_arithmetic_is_marked(typed: str) -> None:
    assert ("phep", "tinh") in set(pairwise(words(typed)))


def test_arithmetic_marker_spares_numbers_and_dates() -> None:
    assert tokens("1900-0368") == ("1900", "368")
    assert "phep" not in words("ngày 01/10/2025, mức 2")


def test_photo_synonyms() -> None:
    assert tokens("chụp hình khuôn mặt") == tokens("chụp ảnh khuôn mặt")
    assert "anh" not in tokens("chụp màn hình")


def test_arrival_rule_reads_ma_as_a_code_only_at_the_end() -> None:
    assert "ve" in words("đi làm xa mà không về quê")
    assert "ve" not in words("mã không về máy")


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("cài đặt vneid trên máy mới", "cai vneid"),
        ("cai dat ung dung dinh danh", "cai ung dung"),
        ("cài đặt app ở đâu", "cai ung dung"),
    ],
)
def test_installing_is_not_the_settings_screen(typed: str, meant: str) -> None:
    assert meant in " ".join(words(typed))
    assert "cai dat" not in " ".join(words(typed))


def test_the_settings_screen_stays_settings() -> None:
    assert "cai dat vneid" in " ".join(words("vào cài đặt vneid đổi mật khẩu"))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # typed with their marks, these are not the words their folded form would be read as
        ("không muốn dính dáng đến chồng cũ", ("khong", "muon", "lien", "quan", "den", "chong", "cu")),
        ("Dính Dáng", ("lien", "quan")),
        ("ảnh sai định dạng", ("anh", "sai", "kieu", "tep")),
        ("đi Hàn Quốc làm việc", ("di", "nuoc", "ngoai", "lam", "viec")),
        # without marks the typo fix still reads «định danh»
        ("dinh dang muc 2", ("dinh", "danh", "muc", "2")),
        ("thẻ hết hạn", ("the", "het", "han")),
        # «lưu trữ» (store) is not «lưu trú» (stay)
        ("VNeID lưu trữ giấy tờ", ("vneid", "luu", "giu", "giay", "to")),
        # central speech: «mô» (nào, đâu), «răng» (sao), «chi» (gì), «chừ» (giờ), «mạ» (mẹ)…
        ("chưa làm lần mô", ("chua", "lam", "lan", "nao")),
        ("báo răng", ("bao", "sao")),
        ("mạ tui chừ đem giấy chi", ("me", "tui", "gio", "dem", "giay", "gi")),
        # ... never where the word is its standard homograph
        ("xe mô tô chi phí", ("xe", "mo", "to", "chi", "phi")),
        ("đau răng", ("dau", "rang")),
        # «hỏng» (broken) typed with its mark is never the southern «hông» (không)
        ("điện thoại hỏng rồi", ("dien", "thoai", "hu", "hong", "roi")),
        ("thẻ bị hư hỏng", ("the", "bi", "hu", "hong")),
        # «áp dụng» (apply) is no app; «sổ hồng» (land certificate) and «hẻm» (an alley) are no «không»
        ("áp dụng từ ngày 1/7", ("ap", "dung", "tu", "ngay", "1", "7")),
        ("đất đã có sổ hồng", ("dat", "da", "co", "so", "hong")),
        ("nhà trong hẻm 12", ("nha", "trong", "ngo", "12")),
        # «nơi mà» (the place where) is no «nói mã» (telling the code)
        ("nơi mà tôi đăng ký", ("noi", "toi", "dang", "ky")),
        # the sides of a card are no loss («mặt» folds like «mất»)
        ("ảnh hai mặt căn cước", ("anh", "hai", "phia", "can", "cuoc")),
        # decomposed marks (some keyboards) are read like composed ones
        ("di\u0301nh da\u0301ng", ("lien", "quan")),
    ],
)
def test_homographs_typed_with_their_marks_keep_their_meaning(text: str, expected: tuple[str, ...]) -> None:
    assert words(text) == expected
