"""The one curated table of chat abbreviations, teencode and fillers (folded forms).

Every key and value here is already *folded* (lowercase, no diacritics, ``đ`` → ``d``) and
split into space-separated tokens, because :func:`faq.normalize.tokens` applies the table after
folding. Edit freely: add a line, run ``pytest tests/unit/test_normalize.py``.

- :data:`EXPANSIONS` rewrites a sequence of 1–3 tokens into other tokens (an empty value drops
  them). The longest key wins at each position.
- :data:`CONTEXTUAL` lists the ambiguous short forms resolved by their neighbours in
  :mod:`faq.normalize` (``dk``: *đăng ký* or *được*; ``mk``: *mật khẩu* or *mình*; ``hk``: *hộ
  khẩu* or *không*).
- :data:`FILLER_PHRASES` are dropped wherever they occur (after expansion).
- :data:`STOPWORDS` are single tokens dropped as unigrams; bigrams are built before that, so
  *chứng minh* or *căn cước* keep their compound even though *minh* and *căn* ≈ *cần* are listed.
- :data:`KEEP_DOUBLE_LETTERS`: doubled letters that are legitimate after folding (*xoong*, *ưu*).
- :data:`HOMOGRAPHS` is the one table *with* diacritics: words that fold like a key above but mean
  something else when typed with their marks (*dính dáng* is no *định danh*); rewritten before folding.
"""

from __future__ import annotations

from typing import Final

__all__ = [
    "COMPOUNDS",
    "CONTEXTUAL",
    "DISOWNED_ANCHORS",
    "DOMAIN_ANCHORS",
    "EXPANSIONS",
    "FILLER_PHRASES",
    "FOREIGN_NAMES",
    "GENERIC_WORDS",
    "HOMOGRAPHS",
    "KEEP_DOUBLE_LETTERS",
    "STOPWORDS",
]

#: Folded token sequence → folded replacement ("" drops the tokens).
EXPANSIONS: Final[dict[str, str]] = {
    # --- negation / "được" --------------------------------------------------------------
    "k": "khong",
    "e": "em",
    "m": "minh",
    "t": "toi",
    "b": "ban",
    "ko": "khong",
    "kg": "khong",
    "kh": "khong",
    "hok": "khong",
    "khum": "khong",
    "hem": "khong",
    "hum": "khong",
    "khg": "khong",
    "khog": "khong",
    "khon": "khong",
    "dc": "duoc",
    # «sổ hồng» (the home's land certificate), not «số hông» (the southern «không»)
    "so hong": "so hong",
    # «xài» (southern «dùng»: use)
    "xai": "dung",
    # both sides of a card typed without marks («chup hai mat cccd»): its sides, not «mất» (lost)
    "hai mat": "hai phia",
    "2 mat": "2 phia",
    "ca hai mat": "ca hai phia",
    "dk dc": "dang ky duoc",
    # «nhập khẩu» of goods, not the residence jargon for «nhập hộ khẩu»
    "xuat nhap khau": "ngoai thuong",
    "hang nhap khau": "hang ngoai",
    "hang hoa nhap khau": "hang ngoai",
    "nhap khau hang": "mua hang ngoai",
    "nhap khau hang hoa": "mua hang ngoai",
    "thue nhap khau": "thue hang ngoai",
    "xe nhap khau": "xe ngoai",
    "o to nhap khau": "o to ngoai",
    # a bank card with a chip (banks changed magnetic cards for chip ones), not the chip ID card
    "the atm": "the ngan hang",
    "atm": "ngan hang",
    "the tu sang the chip": "the ngan hang doi chip",
    # a phone or paper snatched, stolen, pickpocketed is lost to its owner
    "bi giat": "bi mat",
    "bi trom": "bi mat",
    "bi cuop": "bi mat",
    "bi moc tui": "bi mat",
    # southern «mần» (làm) typed without marks, where «màn» (a screen) cannot be meant
    "man sao": "lam sao",
    "man gi": "lam gi",
    "man lai": "lam lai",
    "man giay": "lam giay",
    "man thu tuc": "lam thu tuc",
    "man tam": "lam tam",
    "di man": "di lam",
    # southern «trật» (wrong) on a paper, «tên lót» (the middle name)
    "ghi trat": "ghi sai",
    "trat ten": "sai ten",
    "trat ngay": "sai ngay",
    "trat nam sinh": "sai nam sinh",
    "trat thong tin": "sai thong tin",
    "ten lot": "chu dem",
    # southern «dzậy» (the particle «vậy»); northern «u» (mother)
    "dzay": "",
    "u toi": "me toi",
    "u em": "me em",
    "u nha": "me nha",
    # southern «lãnh» (receive) a benefit, money, a salary; not «lãnh đạo», «lạnh»
    "lanh bao nhieu": "duoc bao nhieu",
    "lanh tro cap": "huong tro cap",
    "lanh tien": "nhan tien",
    "lanh luong": "nhan luong",
    "dang lanh": "dang huong",
    "duoc lanh": "duoc huong",
    "di lanh": "di nhan",
    # «số đó» (that number) typed without marks, where it is a caller's number, not «sổ đỏ»
    "trinh bao so do": "trinh bao so ay",
    "chan so do": "chan so ay",
    "goi lai so do": "goi lai so ay",
    "so do goi": "so ay goi",
    "so do la": "so ay la",
    # «tổ chức» an event (to hold it) is no «tổ chức» (an organisation, which has an account of its own)
    "to chuc dam": "lam dam",
    "to chuc tiec": "lam tiec",
    "to chuc le": "lam le",
    "to chuc sinh nhat": "lam sinh nhat",
    # «con dâu» (a daughter-in-law) typed without marks, told as a person («con dau toi sinh chau»),
    # folds like «con dấu» (a seal)
    "con dau toi": "vo cua con trai toi",
    "con dau tui": "vo cua con trai tui",
    "con dau minh": "vo cua con trai minh",
    "con dau em": "vo cua con trai em",
    "con dau nha": "vo cua con trai nha",
    "con dau sinh": "vo cua con trai sinh",
    # telling someone the code is reading it out to them
    "noi ma": "doc ma",
    # «tố giác» a scam is reporting it to the police
    "to giac": "trinh bao",
    # a phone lacking NFC has none
    "thieu nfc": "khong co nfc",
    # «lưu trữ» typed without marks, where the object says it is storing
    "luu tru du lieu": "luu giu du lieu",
    "luu tru thong tin": "luu giu thong tin",
    "luu tru giay to": "luu giu giay to",
    "luu tru ho so": "luu giu ho so",
    "duoc ko": "duoc khong",
    "dx": "duoc",
    "dcc": "duoc",
    "duok": "duoc",
    "chx": "chua",
    "ch": "chua",
    "r": "roi",
    "ms": "moi",
    "cx": "cung",
    "cg": "cung",
    "vs": "voi",
    "j": "gi",
    "gj": "gi",
    "lm": "lam",
    "bik": "biet",
    "bit": "biet",
    "bt": "biet",
    "ng": "nguoi",
    "ngta": "nguoi ta",
    "trc": "truoc",
    "ns": "noi",
    "bn": "ban",
    "bn tien": "bao nhieu tien",
    # How long: "bao nhiêu ngày", "mấy hôm" ask for a duration ("bao lâu"), not an amount
    # ("bao nhiêu tiền"); one form for all of them, in questions and in content alike.
    "bn ngay": "bao lau",
    "bao nhieu ngay": "bao lau",
    "bao nhieu hom": "bao lau",
    "bao nhieu tuan": "bao lau",
    "bao nhieu thang": "bao lau",
    "bao nhieu lau": "bao lau",
    "may ngay": "bao lau",
    "may hom": "bao lau",
    "may tuan": "bao lau",
    "may thang": "bao lau",
    "bn lau": "bao lau",
    "bn tuoi": "bao nhieu tuoi",
    "bnhiu": "bao nhieu",
    "bao nhiu": "bao nhieu",
    "nhiu": "nhieu",
    "kq": "ket qua",
    "xn": "xac nhan",
    "hs": "ho so",
    "tg": "thoi gian",
    "mn": "moi nguoi",
    "mng": "moi nguoi",
    "ntn": "nhu the nao",
    "sao z": "sao vay",
    "z": "vay",
    "v": "vay",
    "thui": "thoi",
    "hok bit": "khong biet",
    "sd": "su dung",
    "sdung": "su dung",
    "ht": "ho tro",
    "hdan": "huong dan",
    "hdsd": "huong dan su dung",
    # --- registration / login ------------------------------------------------------------
    "dki": "dang ky",
    "dky": "dang ky",
    "dangky": "dang ky",
    "dang ki": "dang ky",
    "ki": "ky",
    "dn": "dang nhap",
    "dangnhap": "dang nhap",
    "dnhap": "dang nhap",
    "dang nhat": "dang nhap",
    "kh hoat": "kich hoat",
    "kich hoat": "kich hoat",
    "kichhoat": "kich hoat",
    "mat khau": "mat khau",
    "matkhau": "mat khau",
    "pass": "mat khau",
    "password": "mat khau",
    "pw": "mat khau",
    "passcode": "passcode",
    "pascode": "passcode",
    "ma pin": "passcode",
    # the six-digit code the app asks for («nó hỏi mã 6 số»)
    "ma 6 so": "passcode",
    "ma 6 chu so": "passcode",
    "tk": "tai khoan",
    "taikhoan": "tai khoan",
    "acc": "tai khoan",
    "account": "tai khoan",
    "sdt": "so dien thoai",
    "so dt": "so dien thoai",
    "dt": "dien thoai",
    "dth": "dien thoai",
    "dthoai": "dien thoai",
    "dienthoai": "dien thoai",
    "dien thaoi": "dien thoai",
    "smartphone": "dien thoai",
    "ip": "iphone",
    "ios": "iphone",
    "ifone": "iphone",
    "adr": "android",
    "androi": "android",
    "adroid": "android",
    "ap": "ung dung",
    # ... but «áp dụng» (to apply) is no app
    "ap dung": "ap dung",
    "app": "ung dung",
    "apps": "ung dung",
    "ud": "ung dung",
    "appstore": "app store",
    "app store": "app store",
    "ap store": "app store",
    "chplay": "ch play",
    "ch play": "ch play",
    "ch pay": "ch play",
    "gg play": "google play",
    "googleplay": "google play",
    "gg": "google",
    "fb": "facebook",
    "face": "facebook",
    "zl": "zalo",
    "ma xac thuc": "ma otp",
    "ma xac minh": "ma otp",
    "otp": "otp",
    # A bank's "Smart OTP" is not VNeID's OTP: one word, so it does not anchor the domain.
    "smart otp": "smartotp",
    "smartotp": "smartotp",
    # "cài đặt" before the app's name is installing it ("cài đặt vneid ở đâu"), not its settings.
    "cai dat vneid": "cai vneid",
    "cai dat ung dung": "cai ung dung",
    "cai dat app": "cai ung dung",
    # ... but «vào / trong / mục cài đặt» is a settings screen, read as typed.
    "vao cai dat": "vao cai dat",
    "trong cai dat": "trong cai dat",
    "muc cai dat": "muc cai dat",
    "phan cai dat": "phan cai dat",
    "sinhtrachoc": "sinh trac hoc",
    "sth": "sinh trac hoc",
    "chup hinh": "chup anh",
    "hinh chan dung": "anh chan dung",
    "faceid": "khuon mat",
    "face id": "khuon mat",
    # --- VNeID and identity ----------------------------------------------------------------
    "vneid": "vneid",
    "vn eid": "vneid",
    "v neid": "vneid",
    "vn e id": "vneid",
    "vnied": "vneid",
    "vnid": "vneid",
    "vneld": "vneid",
    "vneit": "vneid",
    "vnneid": "vneid",
    "vneide": "vneid",
    "veneid": "vneid",
    "vnei": "vneid",
    "vn id": "vneid",
    "vnedi": "vneid",
    "vn eld": "vneid",
    "eid": "vneid",
    "dddt": "dinh danh dien tu",
    "ddt": "dinh danh dien tu",
    "dd dt": "dinh danh dien tu",
    "dd": "dinh danh",
    "dinhdanh": "dinh danh",
    "dinh dang": "dinh danh",
    # countries citizens often work or study in: they mean abroad; folded, «hàn» would be «hạn»
    "han quoc": "nuoc ngoai",
    "nhat ban": "nuoc ngoai",
    "dai loan": "nuoc ngoai",
    "muc do": "muc",
    "muc hai": "muc 2",
    "muc mot": "muc 1",
    "cap do": "muc",
    "level": "muc",
    "lever": "muc",
    "lvl": "muc",
    "lv": "muc",
    "md": "muc",
    "cccd": "can cuoc cong dan",
    "ccd": "can cuoc cong dan",
    "cancuoc": "can cuoc",
    "can cuoc cd": "can cuoc cong dan",
    "the cc": "the can cuoc",
    "cmnd": "chung minh nhan dan",
    "cmt": "chung minh nhan dan",
    "cmtnd": "chung minh nhan dan",
    "hochieu": "ho chieu",
    "passport": "ho chieu",
    "visa": "thi thuc",
    "gplx": "giay phep lai xe",
    "cavet": "ca vet",
    "blx": "giay phep lai xe",
    "bang lai": "giay phep lai xe",
    "bang lai xe": "giay phep lai xe",
    "bhyt": "bao hiem y te",
    "bh yt": "bao hiem y te",
    "the bh": "the bao hiem",
    "bhxh": "bao hiem xa hoi",
    "bh xh": "bao hiem xa hoi",
    "bhtn": "bao hiem that nghiep",
    "dvc": "dich vu cong",
    "dvcqg": "dich vu cong quoc gia",
    "dichvucong": "dich vu cong",
    "dich vu cong": "dich vu cong",
    "tthc": "thu tuc hanh chinh",
    "lltp": "ly lich tu phap",
    "ltp": "ly lich tu phap",
    "mst": "ma so thue",
    "gks": "giay khai sinh",
    "tamtru": "tam tru",
    "thuongtru": "thuong tru",
    "so ho khau": "so ho khau",
    "shk": "so ho khau",
    "congan": "cong an",
    "cax": "cong an xa",
    "ca xa": "cong an xa",
    "ca phuong": "cong an phuong",
    "nfc": "nfc",
    "chip": "chip",
    "qr": "qr",
    "qrcode": "qr",
    "ma qr": "qr",
    "gttt": "giay to tuy than",
    "bsx": "bien so xe",
    "gcndk": "giay chung nhan dang ky",
    "gcn": "giay chung nhan",
    "bien so": "bien so",
    "ngan hang": "ngan hang",
    "stk": "so tai khoan",
    "sms": "tin nhan",
    "tn": "tin nhan",
    # … except in the school-leaving exam («thi tn», «tn thpt»: tốt nghiệp)
    "thi tn": "thi tot nghiep",
    # «tách khẩu»: splitting the household registration (hộ khẩu), said short
    "tach khau": "tach ho khau",
    "tn thpt": "tot nghiep thpt",
    "msg": "tin nhan",
    "online": "truc tuyen",
    "onl": "truc tuyen",
    "qua mang": "truc tuyen",
    "tren mang": "truc tuyen",
    "internet": "truc tuyen",
    "update": "cap nhat",
    "up date": "cap nhat",
    "bug": "loi",
    "error": "loi",
    "err": "loi",
    "down": "tai",
    "dow": "tai",
    "download": "tai",
    "downloat": "tai",
    "tai ve": "tai",
    "ok": "",
    "oke": "",
    "okie": "",
    "okay": "",
    "hi": "",
    "hello": "",
    "alo": "",
    "thanks": "",
    "thank": "",
    "tks": "",
    "thanks you": "",
    "pls": "",
    "plz": "",
}

#: Lower-case words typed WITH diacritics → what they mean, rewritten before folding: folded, they
#: would be read as a key of :data:`EXPANSIONS` («dinh dang» → «định danh», the typo fix).
HOMOGRAPHS: Final[dict[str, str]] = {
    "dính dáng": "liên quan",
    "định dạng": "kiểu tệp",
    # «con dấu» (a seal) and «sổ đỏ» (the land certificate) fold alike
    "con dâu": "vợ của con trai",
    "nàng dâu": "vợ của con trai",
    "cô dâu": "người vợ mới cưới",
    "số đó": "số ấy",
    # southern «mần» (làm), typed with its mark
    "mần": "làm",
    # «lưu trữ» (to store: data, papers) folds like «lưu trú» (to stay: the stay notice)
    "lưu trữ": "lưu giữ",
    # central speech (Huế, Quảng, Nghệ Tĩnh), typed with its marks: «răng» (sao), «mô» (đâu, nào),
    # «rứa» (vậy), «chi» (gì), «ni» (này), «chừ» (giờ), «hỉ» (nhỉ), «mạ», «mệ» (mẹ), «bọ» (bố), «o»
    # (cô); only where the word cannot be its standard homograph («mô tô», «chi phí», «răng» teeth)
    "làm răng": "làm sao",
    "răng rứa": "sao vậy",
    "vì răng": "vì sao",
    "là răng": "là sao",
    "răng mà": "sao",
    "răng không": "sao không",
    "báo răng": "báo sao",
    "khai răng": "khai sao",
    "đi mô": "đi đâu",
    "ở mô": "ở đâu",
    "chỗ mô": "chỗ nào",
    "nơi mô": "nơi nào",
    "lần mô": "lần nào",
    "khi mô": "khi nào",
    "cái mô": "cái nào",
    "giấy mô": "giấy nào",
    "rứa": "vậy",
    "giấy chi": "giấy gì",
    "cái chi": "cái gì",
    "làm chi": "làm gì",
    "phạt chi": "phạt gì",
    "chi rứa": "gì vậy",
    "chi không": "gì không",
    "chi hết": "gì hết",
    "bữa ni": "bữa nay",
    "năm ni": "năm nay",
    "chừ": "giờ",
    "hỉ": "nhỉ",
    "mạ tui": "mẹ tui",
    "mạ tôi": "mẹ tôi",
    "mạ em": "mẹ em",
    "mệ tui": "bà tui",
    "mệ tôi": "bà tôi",
    "bọ tui": "bố tui",
    "bọ tôi": "bố tôi",
    "o tui": "cô tui",
    "o tôi": "cô tôi",
    # «hỏng» (broken) typed with its mark is never the southern «hông» (không), which it folds like
    # («điện thoại hỏng rồi» had read «điện thoại không rồi»)
    "hỏng": "hư hỏng",
    # «qua Hàn» (southern: over to Korea), typed with its mark, is no «quá hạn» (overdue)
    "qua hàn": "sang hàn",
    # «hẻm» (an alley in an address) is no «hem» (không)
    "hẻm": "ngõ",
    # marked forms that fold to a situation cue and mean something else: «còn nhớ» (still remember)
    # is no small child, «mặt bằng» (premises), «mặt thẻ» (the card's face) no loss, «mất vì» (died
    # of) no lost wallet, «nhận quà» (a gift, the scam's bait) no result of a procedure
    "còn nhớ": "vẫn nhớ",
    "mặt bằng": "địa điểm",
    "mặt thẻ": "phía thẻ",
    "mặt căn cước": "phía căn cước",
    "mất vì": "qua đời vì",
    "nhận quà": "được quà",
    # «nơi mà» (the place where) is no «nói mã» (telling the code); «cặp đó» (that couple) no «cấp độ»
    "nơi mà": "nơi",
    "cặp đó": "cặp ấy",
    "hư hỏng": "hư hỏng",
    # the sides of a card («gửi ảnh hai mặt căn cước»), not its loss («mất căn cước»)
    "hai mặt": "hai phía",
    "2 mặt": "2 phía",
    "mặt trước": "phía trước",
    "mặt sau": "phía sau",
}

#: Ambiguous short forms resolved by context in :func:`faq.normalize.tokens`.
CONTEXTUAL: Final[dict[str, tuple[str, str]]] = {
    # key: (meaning when it heads a noun phrase, meaning as a particle/pronoun)
    "dk": ("dang ky", "duoc"),
    "mk": ("mat khau", "minh"),
    "hk": ("ho khau", "khong"),
    "hong": ("hong", "khong"),  # hỏng (broken) after "bị", "đã", "hư"…; else the southern "hông"
}

#: Question fillers dropped wherever they occur (after expansion), longest first.
FILLER_PHRASES: Final[tuple[str, ...]] = (
    "cho minh hoi",
    "cho em hoi",
    "cho toi hoi",
    "cho chau hoi",
    "cho tui hoi",
    "cho anh hoi",
    "cho chi hoi",
    "cho hoi",
    "xin hoi",
    "muon hoi",
    "hoi chut",
    "ad oi",
    "admin oi",
    "bot oi",
    "shop oi",
    "ban oi",
    "tro ly oi",
    "lam sao",
    "lam the nao",
    "nhu the nao",
    "the nao",
    "ra sao",
    "thi sao",
    "sao vay",
    "tai sao",
    "vi sao",
    "phai lam gi",
    "lam gi",
    "la gi",
    "gi vay",
    "o dau",
    "o cho nao",
    "cho nao",
    "kieu gi",
    "kieu nao",
    "nhu nao",
    "cach nao",
    "bang cach nao",
    "giup minh",
    "giup em",
    "giup toi",
    "giup voi",
    "giup vs",
    "ho minh",
    "ho em",
    "dum minh",
    "dum em",
    "cam on",
    "xin cam on",
    "xin chao",
    "chao ban",
    "duoc khong",
    "co duoc khong",
    "duoc ko",
    "khong a",
    "khong vay",
    "a nhe",
    "nhe ad",
    "vay a",
    "vui long",
    # single particles and interjections: dropped before bigrams are formed
    "a", "ad", "admin", "oi", "nhe", "nha", "nhen", "ne", "vay", "ah", "ak", "ik", "uh", "um",
    "uhm", "hic", "hix", "hjx", "huhu", "hihi", "haha", "hehe", "kaka",
)

#: Single folded tokens dropped as unigrams (pronouns, particles, politeness). Bigrams are
#: formed *before* this step and kept when one side is not a stopword, so "căn cước"
#: ("can_cuoc") or "hồ sơ" survive even though a homograph of one syllable is listed here.
STOPWORDS: Final[frozenset[str]] = frozenset(
    {
        # politeness, interjections, sentence particles
        "a", "ad", "admin", "oi", "nhe", "nha", "nhi", "ha", "vay", "ne", "nhen", "chu", "ay",
        "ah", "ak", "ik", "u", "uh", "um", "uk", "uhm", "hic", "huhu", "hix", "hihi", "haha",
        "hehe", "kaka", "hjx", "thoi", "nua", "di", "xin", "vui", "long", "giup", "dum", "hoi",
        # pronouns and forms of address
        "em", "anh", "chi", "toi", "tui", "minh", "chau", "ban", "ong", "ba", "bac", "co",
        # function words
        "thi", "la", "cua", "cai", "nay", "do", "kia", "voi", "va", "hay", "hoac", "nao", "gi",
        "sao", "nhung", "cac", "mot", "rat", "roi", "da", "se", "van", "cung", "nen", "khi",
        "neu", "o", "cho", "de", "qua", "trong", "tren", "ma", "muon", "phai", "vao", "ra",
        "nhu", "bang", "duoc",
    }
)

#: Letters that legitimately double after folding ("xoong", "ưu" → "uu"); other doubles are squeezed.
KEEP_DOUBLE_LETTERS: Final[frozenset[str]] = frozenset({"o", "u"})

#: Two-syllable words whose syllables are not indexed on their own: after folding, a syllable of
#: these collides with a frequent other word ("tài khoản" vs "tải", "mật khẩu" vs "mất", "căn
#: cước" vs "cần", "đăng ký" vs "đang"), so only the pair (a bigram) is kept as a term.
COMPOUNDS: Final[frozenset[str]] = frozenset(
    {
        "tai khoan", "mat khau", "can cuoc", "dang ky", "dang nhap", "ho chieu", "ho khau",
        "ho so", "ho tich", "ho tro", "dien thoai", "dinh danh", "dien tu", "cong an", "cong dan",
        "dich vu", "thu tuc", "thong tin", "khuon mat", "ung dung", "cu tru", "tam tru",
        "thuong tru", "luu tru", "khai sinh", "khai tu", "ket hon", "bao hiem", "giay phep",
        "lai xe", "ly lich", "tu phap", "vi pham", "giao thong", "truc tuyen", "kich hoat",
        "xac thuc", "xac nhan", "that nghiep", "tro cap", "bien so", "lua dao", "gia mao",
        "cap nhat", "cai dat", "chung minh", "nhan dan", "sinh trac", "van tay", "chan dung",
        "thiet bi", "mien phi", "le phi", "phe duyet", "tong dai", "tin nhan",
        "ma so", "quoc gia", "hanh chinh", "chinh chu", "thue bao", "nha mang", "tam vang",
        "tich hop", "giay to", "y te", "xa hoi", "may tinh", "tu choi",
        # «trái tuyến» (outside the registered hospital): its «trái» is not the «trai» of «con trai»
        "trai tuyen", "dung tuyen", "vuot tuyen",
    }
)

#: Words that anchor a question in the bot's domain. When one is in a question, an off-topic
#: decline that matched the question's generic rest ("tốn bao nhiêu tiền") does not win; a word
#: that an off-topic entry's own questions use (e.g. "otp" in a banking decline) stops counting.
#: Keep them specific: "thủ tục", "hồ sơ", "lệ phí", "bảo hiểm" also open off-topic questions.
DOMAIN_ANCHORS: Final[tuple[str, ...]] = (
    "vneid", "dinh danh", "can cuoc", "chung minh", "otp", "passcode", "muc 1", "muc 2", "cong an",
    "ho chieu", "khai sinh", "khai tu", "ket hon", "tam tru", "thuong tru", "cu tru", "luu tru",
    "tam vang", "ho khau", "giay phep", "bien so", "ly lich", "tu phap", "that nghiep", "tro cap",
    "nfc", "chip", "sinh trac", "lien thong", "phat nguoi", "vi pham", "de an", "mai tang", "tu tuat", "khai bao",
)

#: Shops, apps and brands of other services (folded). Named in a question and in an off-topic
#: entry's phrasings, and used by no in-scope item, they decline it even when that entry matches
#: weakly: «shopee bắt quay video khuôn mặt» is about the shop, not VNeID's face check. Not «zalo»
#: or «facebook»: scams reach citizens through them, and the in-scope items say so.
FOREIGN_NAMES: Final[frozenset[str]] = frozenset({
    "shopee", "lazada", "tiki", "tiktok", "momo", "zalopay", "vnpay", "grab", "gojek", "youtube",
    "messenger", "instagram", "gmail", "netflix", "spotify",
})

#: Phrases in which an anchor word says nothing of the bot's domain: a question about severance pay
#: («trợ cấp thôi việc») or about breaking the law in general («vi phạm quy định pháp luật») is a
#: labour or legal question, which the off-topic declines answer.
DISOWNED_ANCHORS: Final[dict[str, tuple[str, ...]]] = {
    "tro cap": ("tro cap thoi viec", "tro cap mat viec"),
    "vi pham": ("vi pham phap luat", "vi pham quy dinh phap luat", "vi pham hop dong", "vi pham luat lao dong"),
}

#: Words too vague to carry an answer on their own ("máy", "bị", "lỗi", "mấy", "về"): a confident
#: answer or a "did you mean" must share at least one other word (or a bigram with another word)
#: with the entry, so "máy giặt bị lỗi E21" or "1 cộng 1 bằng mấy" is not answered from "máy",
#: "lỗi", "bằng", "mấy" alone. Several are homographs once folded (máy/mấy, về/vé, bằng/bảng,
#: mới/mọi, thẻ/thế, tự/từ/tủ). Keep domain words ("vneid", "otp", "tải", "điện") out of here.
GENERIC_WORDS: Final[frozenset[str]] = frozenset(
    {
        # homographs once folded: máy/mấy, bị/bí, về/vé, bằng/bảng, có/cô, tự/từ/tủ, dùng/đúng
        "may", "bi", "ve", "bang", "co", "tu", "dung", "gia", "can",
        # nó/nợ: the pronoun of every chat message and a debt
        "no",
        # vague nouns and verbs: lỗi, làm, được, việc, người, cái, xem, biết, giúp, hướng dẫn
        "loi", "lam", "duoc", "viec", "nguoi", "cai", "xem", "biet", "giup", "huong", "dan", "cach",
        "muon", "hien", "con", "hu", "hong", "tot", "nen", "khac", "lan", "theo",
        # quantity, time and place words: bao nhiêu, ngày, giờ, hôm, mai, gần, sau, trước, trên…
        "bao", "nhieu", "ngay", "gio", "hom", "mai", "hoai", "gan", "sau", "truoc", "trong", "tren",
        "duoi", "ngoai", "o", "toi", "bay",
        # «bên cạnh» (next to, besides): a place word («nhà bên cạnh rào lối đi»)
        "ben", "canh",
        # particles and function words not already stopwords
        "khong", "sao", "gi", "nao", "nay", "do", "hay", "phai", "nhu", "thi", "khi", "cho", "dang",
        "da", "nua", "luon", "van", "chua", "roi", "rat", "qua", "di", "ra", "len", "xuong", "den",
        "cung", "voi", "va", "hoac",
    }
)
