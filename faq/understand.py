"""Reading a long message: which sentences ask something, which facet they ask, what situation.

Real citizens write a story and then the question ("Mẹ tôi mất tuần trước… Xin hỏi tôi phải đến
cơ quan nào, cần giấy tờ gì?"). :func:`read` splits the message into sentences, keeps those with a
Vietnamese question cue («không» at the end, «ở đâu», «bao nhiêu», «thế nào», «có phải … không»,
«xin hỏi», «?»…) as the *focus*, and names the **facets** asked (who, online, in_person, documents,
fee, time, result), in the order they are asked, and the **situations** told (lost, copy, late,
child, elderly, abroad, wrong_info, where_live). The matcher weighs the focus above the
background; the core answers the facet asked first.

Pure, no I/O; cues are folded phrases matched on word boundaries, so the cost is linear in the
message (one fold, one pass per sentence, substring tests in C).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final, Literal, TypeVar

from faq.normalize import chat_fold

__all__ = [
    "DENY_WORDS",
    "FACETS",
    "HOW_CUES",
    "LONG_CHARS",
    "MAT_FACE_BEFORE",
    "PROXY_CUES",
    "SITUATIONS",
    "WANT_VERBS",
    "FacetKey",
    "Reading",
    "SituationKind",
    "asks_proxy",
    "facets_in",
    "is_question",
    "read",
    "situations_in",
    "split_sentences",
]

FacetKey = Literal["who", "online", "in_person", "documents", "fee", "time", "result"]
SituationKind = Literal["lost", "copy", "late", "child", "elderly", "abroad", "wrong_info", "where_live", "proxy"]

#: A message this long (characters) is read sentence by sentence; shorter ones are one question.
LONG_CHARS: Final = 100
#: At most this many characters are read (a pasted page stays cheap).
_MAX_READ: Final = 4000

#: Folded cues of asking whether someone else may do it for one («ủy quyền cho bố mẹ», «nhờ người
#: làm thay»); «làm hộ» is left out: «làm hồ sơ» folds alike.
PROXY_CUES: Final = ("di thay", "lam thay", "khai thay", "dang ky thay", "nho nguoi", "uy quyen")


#: Words (folded) that deny what follows them: «chưa», «không», «chẳng».
DENY_WORDS: Final = frozenset({"chua", "khong", "chang"})


#: Facet cues, folded; a facet is "asked" when a cue occurs in the focus.
FACETS: Final[dict[FacetKey, tuple[str, ...]]] = {
    "fee": ("le phi", "mat phi", "ton phi", "chi phi", "phi bao nhieu", "bao nhieu tien", "mat tien",
            "ton tien", "het bao nhieu", "mien phi", "nop phi", "thu phi", "muc phi", "mat bao nhieu tien",
            "phi la", "co mat phi", "tra phi", "phai tra tien", "ton kem", "mat dong nao", "ton dong nao",
            "mat xu nao", "ton bao nhieu", "tien bao nhieu",
            # «có phải đóng tiền không»: whether it costs anything (not «đã đóng tiền bảo hiểm»,
            # contributions paid, nor «ra bệnh viện đóng tiền được không», where to pay)
            "phai dong tien", "dong tien khong", "co mat tien"),
    "time": ("bao lau", "may ngay", "thoi han", "bao nhieu ngay", "mat bao lau", "han chot", "may hom",
             "bao gio co", "bao gio thi", "khi nao co", "khi nao nhan", "trong bao lau", "thoi gian giai quyet",
             "thoi gian la", "thoi gian bao", "bao nhieu thoi gian", "may thang", "luc nao", "han nop"),
    "documents": ("giay to gi", "giay to nao", "nhung giay to", "ho so gom", "ho so can", "can ho so",
                  "ho so gi", "can chuan bi", "chuan bi nhung", "chuan bi gi", "mang theo", "can nhung gi",
                  "can gi", "thanh phan ho so", "can giay", "ho so thu tuc", "ho so nhu", "ho so bao gom",
                  "gom nhung gi", "gom nhung giay", "can mang gi", "phai mang gi", "mang nhung gi", "dem theo",
                  "can dem gi", "chuan bi giay", "giay gi",
                  # «có phải đem sổ hộ khẩu không», «phải mang giấy gì»: what to bring («mạng», the
                  # network, folds like «mang»: only after «phải» or before what is brought)
                  "phai dem", "can dem", "dem gi", "dem giay", "dem nhung", "dem so", "dem the",
                  "phai mang", "mang gi", "mang giay", "mang nhung", "mang so", "mang the"),
    "in_person": ("o dau", "co quan nao", "noi nao", "den dau", "tai dau", "cho nao", "dia chi", "phuong nao",
                  "xa nao", "ve que", "tinh khac", "bat ky", "noi thuong tru", "noi o hien tai", "noi tam tru",
                  "lam truc tiep", "den truc tiep", "noi cu tru", "o tinh", "co quan gi", "len tinh",
                  "len huyen", "o cong an xa", "o cong an phuong", "tai cong an xa", "tai cong an phuong",
                  # «phải tới đâu (để) làm»: where to go (not «hồ sơ tới đâu rồi», how far it has got)
                  "phai toi dau", "toi dau de", "toi dau lam"),
    "online": ("online", "truc tuyen", "qua mang", "tren mang", "tai nha", "qua app", "tren app",
               "tren ung dung", "khong can den", "khong phai den", "qua dich vu cong", "tren dich vu cong",
               "tren cong dich vu", "lam tren vneid", "nop tren vneid", "qua vneid", "bang vneid",
               "qua cong dich vu", "qua cong dvc", "tren cong dvc",
               # «vào đâu để làm», «vào trang nào»: which site or app to open
               "vao dau", "vao trang nao", "vao muc nao", "trang web nao", "trang nao de"),
    # Only cues about who may or must: a bare yes/no ("được không", "hay không") is no facet.
    "who": ("ai duoc", "ai phai", "ai lam", "ai co the", "ai se", "ai la nguoi", "trach nhiem", "nguoi nao",
            "doi tuong", "dieu kien", "co phai", "bat buoc", "co can phai", "truong hop nao", "co thuoc",
            # «có cần đăng ký / thông báo / khai báo … không»: must I (not «có căn cước»)
            "co can dang ky", "co can thong bao", "co can khai bao", "co can den", "co can lam",
            # «ai khai báo», «ai đi đăng ký»: who does it
            "ai khai bao", "ai dang ky", "ai di dang ky", "ai di khai", "ai thong bao", "ai bao",
            # someone else doing it for them: who may (:data:`PROXY_CUES`)
            *PROXY_CUES),
    "result": ("ket qua", "nhan duoc gi", "duoc cap gi", "nhan o dau", "tra ve", "nhan qua"),
}

#: Situation cues, folded, looked for in the whole message (the story tells the situation).
SITUATIONS: Final[dict[SituationKind, tuple[str, ...]]] = {
    "lost": ("bi mat", "lam mat", "danh mat", "mat giay", "mat the", "mat can cuoc", "mat cccd", "mat bang",
             "mat ho chieu", "mat so", "mat ca vet", "mat dang ky", "danh roi", "that lac", "bi giat", "bi trom",
             "bi hong", "hu hong", "tray xuoc", "cong venh", "bi rach", "khong con giay", "khong con ban",
             "mat het giay", "bi chay", "bi uot", "mo chu", "khong quet duoc", "moc tui", "mat vi",
             "mat ca vi", "xin cap lai", "bi nat", "can nat", "nat het", "muc nat", "bi moi", "moi an",
             "chuot can", "bi ngap",
             # dropped somewhere («làm rớt hộ chiếu»), reported lost («đơn báo mất», «báo mất ở đâu»;
             # not «bảo mật», which folds alike, said of data)
             "lam rot", "danh rot", "don bao mat", "bao mat o dau", "trinh bao mat"),
    "copy": ("ban sao", "trich luc", "sao y"),
    "late": ("qua han", "tre han", "bi tre", "dang ky cham", "cham dang ky", "chua dang ky", "chua khai sinh",
             "chua khai tu", "chua lam khai sinh", "khai sinh muon", "khai tu muon", "dang ky muon",
             "chua lam giay", "chua duoc khai tu", "chua duoc khai sinh", "chua duoc dang ky",
             "chua di khai sinh", "chua di khai tu", "chua di dang ky", "chua di lam khai sinh",
             # a residence procedure done late («làm tạm trú muộn có bị phạt không»); «muốn» before a
             # verb, which folds the same, is cut out first (:data:`WANT_VERBS`)
             "tam tru muon", "thuong tru muon", "tam vang muon", "luu tru muon", "nhap khau muon",
             # «bây giờ làm còn kịp không»: whether it is too late (not «… liệu có kịp không», whether
             # a procedure done now is ready by a date)
             "con kip", "khong kip"),
    "child": ("con toi", "con gai", "con trai", "con nho", "con em", "be nha", "chau toi", "tre em",
              "tre so sinh", "tre moi sinh", "dua tre", "duoi 14 tuoi", "duoi 6 tuoi", "moi sinh", "cho con",
              "chau be", "con minh"),
    "elderly": ("gia yeu", "nguoi gia", "cao tuoi", "nam mot cho", "bi liet", "om nang", "dau yeu",
                "khong di lai", "khong di duoc", "khong ra ngoai", "duong benh", "tuoi cao", "me toi gia",
                "bo toi gia", "ong ba", "nam vien", "khuyet tat", "di lai kho", "kho di lai", "liet giuong",
                "nam liet", "om liet", "gia roi", "tuoi gia"),
    "abroad": ("nuoc ngoai", "dinh cu", "viet kieu", "xuat khau lao dong", "ve viet nam", "ve nuoc",
               "dang o my", "dang o nhat", "dang o han", "xuat canh", "sang my", "sang uc", "sang nhat",
               "sang han", "sang dai loan", "sang duc", "sang phap", "nguoi uc", "nguoi my", "nguoi han",
               "nguoi nhat", "nguoi trung quoc", "nguoi dai loan",
               # a country named («con gái tui bên Nhật», «mất bên Campuchia»)
               "nhat ban", "han quoc", "dai loan", "campuchia", "thai lan", "trung quoc", "singapore",
               "malaysia", "canada", "ben nhat", "ben han", "ben my", "ben uc", "ben duc", "ben phap",
               "ben lao", "ben nga", "o nhat", "o my", "o uc", "o duc", "o phap", "o lao", "o nga",
               # southern «qua» (to go over to) a country («mang qua Nhật»; not «qua hàn», which is also
               # «quá hạn»)
               "qua nhat", "qua my", "qua uc", "qua duc", "qua phap", "qua dai loan", "qua canada",
               "qua singapore", "qua nga", "qua lao"),
    "wrong_info": ("sai ten", "sai ngay", "sai thong tin", "sai ho", "ghi sai", "bi sai", "sai que",
                   "sai dia chi", "khong khop", "sai nam sinh", "sai gioi tinh", "nham thong tin", "in sai",
                   "in nham", "ghi nham", "nham ten"),
    "where_live": ("noi thuong tru", "noi o hien tai", "noi tam tru", "ve que", "tinh khac", "khac tinh",
                   "ho khau o", "thuong tru tai", "tam tru tai", "dang song o", "dang sinh song", "que o",
                   "bat ky", "noi cu tru", "khong phai ve", "noi dang o", "toi dang o", "minh dang o",
                   "em dang o", "o tro", "dang tam tru", "tam tru o", "xa que",
                   # «giải quyết ở gần nhà được không»: done near where one lives instead
                   "gan nha"),
    # someone else doing it for one («ủy quyền cho bố mẹ», «tui nhờ con gái xin giùm»)
    "proxy": PROXY_CUES,
}

#: Folded phrases by which a question asks how a procedure is done (no one facet of it).
HOW_CUES: Final = ("the nao", "ra sao", "nhu nao", "lam sao", "thu tuc gi", "can lam gi", "phai lam gi",
                   "cach lam", "quy trinh", "trinh tu", "lam nhung gi")
#: ... unless the focus asks about a penalty («mức phạt như thế nào»), which no card answers.
_NOT_HOW: Final = ("phat", "xu phat", "muc phat")

#: Folded phrases that mark a sentence as a question wherever they occur.
_QUESTION_PHRASES: Final = (
    "o dau", "bao nhieu", "bao lau", "the nao", "ra sao", "lam sao", "lam gi", "xin hoi", "cho hoi",
    "muon hoi", "hoi la", "co phai", "hay khong", "duoc khong", "phai khong", "nhu nao", "khi nao",
    "may ngay", "bat buoc", "giay to gi", "co quan nao", "can gi", "nhu the nao", "duoc nhan",
    "co duoc", "hay la", "hay o", "nho tu van", "xin tu van", "tu van giup", "giai dap",
    "cho toi hoi", "cho minh hoi", "cho em hoi", "cho chau hoi", "toi hoi", "em hoi",
    # a request is a question too ("nhờ anh chị hướng dẫn thủ tục…", "xin cho biết…")
    "huong dan giup", "nho huong dan", "xin huong dan", "muon nho", "cho biet", "muon biet", "can biet",
)
# Not cues, though they look like them once folded: "có thể" = "có thẻ" (has a card), "có cần" =
# "có căn (cước)"; a "có thể … không" question ends in "không" anyway.
#: A sentence whose last word (particles dropped) is one of these asks something.
_QUESTION_ENDS: Final = frozenset({"khong", "chua", "sao", "gi", "nao", "dau", "ko", "k", "hong", "khum"})
_TRAILING: Final = frozenset({"a", "vay", "nhi", "the", "nhe", "ha", "ak", "ah", "luon", "chu", "day", "oi",
                              "nha", "ad", "admin", "ban", "em", "anh", "chi", "ru", "v", "z"})
_K = TypeVar("_K", bound=str)
_SPLIT: Final = re.compile(r"(?<=[.?!;:…])\s+|\n+|(?<=[?!])(?=\S)")


@dataclass(frozen=True, slots=True)
class Reading:
    """What a message asks: the focus text, the facets asked, the situations told."""

    #: The question sentences as typed (the whole text when no sentence has a cue, or a short text).
    focus: str
    #: The other sentences (the story), as typed; empty for a short text.
    background: str
    #: True for a message of :data:`LONG_CHARS` or more.
    long: bool
    facets: tuple[FacetKey, ...] = ()
    situations: tuple[SituationKind, ...] = ()
    #: True when some sentence carries a question cue (a long text without one is not a question).
    asks: bool = False
    #: True when the focus asks how a procedure is done («thủ tục thế nào», «phải làm gì»).
    asks_how: bool = False

    @property
    def split(self) -> bool:
        """True when the focus is only part of the message."""
        return bool(self.background)


#: A comma then the lead-in of the question («…, tôi xin hỏi, nộp phạt … thế nào?»): a story and its
#: question typed as one sentence are cut there, so the question is read as the question.
_ASK_CLAUSE: Final = re.compile(
    r",\s*(?=(?:(?:tôi|toi|em|mình|minh|cháu|chau)\s+)?(?:xin|cho|muốn|muon)\s+"
    r"(?:(?:tôi|toi|em|mình|minh|cháu|chau)\s+)?(?:hỏi|hoi)\b)", re.IGNORECASE)


def split_sentences(text: str) -> list[str]:
    """Sentences of ``text`` (cut after . ? ! ; : … followed by a space, and at line breaks), and a
    sentence's story cut from its question at a comma before «(tôi) xin hỏi», «cho (tôi) hỏi»…"""
    return [c.strip() for s in _SPLIT.split(text) if s and s.strip()
            for c in _ASK_CLAUSE.split(s) if c.strip()]


def _padded(folded: str) -> str:
    return f" {folded} "


def is_question(sentence: str) -> bool:
    """True when a sentence carries a Vietnamese question cue (or a question mark)."""
    if "?" in sentence:
        return True
    folded = chat_fold(sentence)
    padded = _padded(folded)
    if any(f" {p} " in padded for p in _QUESTION_PHRASES):
        return True
    words = folded.split()
    while words and words[-1] in _TRAILING:
        words.pop()
    if words[-2:] == ["so", "hong"]:
        return False  # «… đã sang tên sổ hồng.»: the land certificate, not the southern «hông»
    if words[-1:] == ["gi"] and any(f" {w} co " in padded for w in DENY_WORDS):
        return False  # «… không có lương hưu hay trợ cấp gì.»: nothing at all, not «what»
    return bool(words) and words[-1] in _QUESTION_ENDS


def _found(padded: str, table: Mapping[_K, tuple[str, ...]]) -> list[_K]:
    """Keys with a cue in ``padded``, ordered by their first cue."""
    hits: list[tuple[int, _K]] = []
    for key, cues in table.items():
        positions = [i for c in cues if (i := padded.find(f" {c} ")) >= 0]
        if positions:
            hits.append((min(positions), key))
    hits.sort(key=lambda hit: hit[0])
    return [k for _, k in hits]


#: «hết / mất bao nhiêu» then a span of time («hết bao nhiêu ngày») asks how long, not how much.
_HOW_MANY_DAYS: Final = re.compile(r" (?:het|mat|ton) bao nhieu (?=(?:ngay|thoi gian|thang|tuan|hom|buoi|lau) )")


#: «nhờ» and the person asked to do it («tui nhờ con gái xin giùm», «nhờ chị ruột đi nộp»): someone
#: doing it for one, who is the helper, not the one the paper is for.
_PROXY_PERSON: Final = re.compile(
    r" nho (?:(?:con|chau|vo|chong|me|ma|bo|ba|ong|anh|chi|em|ban|nguoi|co|chu|bac|cau|di|thim|hang xom)"
    r"(?: (?:gai|trai|ruot|dau|re|ho|nha|toi|tui|minh|em|than|khac|quen|anh|chi|ban))*+) "
    # ... not the reader asked for help («nhờ anh chị hướng dẫn», «nhờ chị tư vấn giúp em»)
    r"(?!(?:huong dan|tu van|giup|chi giup|chi dum|giai dap|tra loi|xem giup|xem dum|cho hoi|cho biet)\b)"
    # ... and asked to do something of a procedure, a few words on («nhờ chị ruột đi nộp»), not to
    # come and look after the children («nhờ chị ruột từ dưới quê lên chăm cháu»)
    r"(?=(?:\S+ ){0,3}(?:lam|di|nop|xin|khai|dang|lay|nhan|ky|bao|gui|mang|dem|doi|cap|ho|dum|gium|thay)\b)")


def _proxy_read(padded: str) -> str:
    """``padded`` with the helper named after «nhờ» (:data:`_PROXY_PERSON`) read as «nhờ người»."""
    return _PROXY_PERSON.sub(" nho nguoi ", padded)


def asks_proxy(text: str) -> bool:
    """True when ``text`` asks whether someone else may do it (:data:`PROXY_CUES`)."""
    padded = _proxy_read(_padded(chat_fold(text)))
    return any(f" {c} " in padded for c in PROXY_CUES)


#: «(bị) phạt bao nhiêu (tiền)», «phạt mấy triệu»: the amount of a fine, which is no fee of a procedure.
_FINE_AMOUNT: Final = re.compile(r" phat (?:bao nhieu|may trieu|het bao nhieu|mat bao nhieu)(?: tien)? ")


def facets_in(text: str) -> tuple[FacetKey, ...]:
    """Facets asked in ``text``, in the order they are asked."""
    padded = _FINE_AMOUNT.sub(" phat | ", _HOW_MANY_DAYS.sub(" bao nhieu ", _padded(chat_fold(text))))
    return tuple(_found(_proxy_read(padded), FACETS))


#: Phrases holding a situation's cue that tell another thing: a couple living together «chưa đăng ký
#: (kết hôn)» are unmarried, not late with a registration.
#: Words before a folded «mat» that make it «mặt» (face, presence), no loss: «có mặt», «vắng mặt»,
#: «thay mặt» (on behalf of), «tiền mặt» (cash).
MAT_FACE_BEFORE: Final = frozenset({"co", "vang", "thay", "tien"})

_NOT_TOLD: Final = (" chua dang ky ket hon ", " song chung chua dang ky ",
                    # «bị mất trắng» (all that was paid in, lost): no paper lost; «mặt» (:data:`MAT_FACE_BEFORE`)
                    " bi mat trang ", " mat trang ", *(f" {w} mat " for w in sorted(MAT_FACE_BEFORE)))


#: «muốn» (want) before a verb, which folds like «muộn» (late): «đã đổi tên trong khai sinh, muốn sửa
#: tên trên sổ đỏ» tells no late birth registration.
WANT_VERBS: Final = frozenset({
    "sua", "lam", "doi", "hoi", "xin", "dang", "biet", "nhap", "chuyen", "tach", "cap", "khai", "ghi", "them",
    "bo", "nop", "mua", "ban", "sang", "huy", "xoa", "kiem", "tra", "in", "chup",
})
_WANT: Final = re.compile(r" muon (?=(?:" + "|".join(sorted(WANT_VERBS)) + r") )")


#: An age of 70 or more («ông tôi 85 tuổi», «bà 90t», whose «t» chat folding reads as «tôi»):
#: someone elderly, told as «cao tuổi».
_OLD_AGE: Final = re.compile(r" (?:[7-9]\d|1[01]\d) ?(?:tuoi|t|toi) ")


#: Never having been abroad («chưa từng ra nước ngoài», «chưa bao giờ đi nước ngoài»): no one abroad.
_NEVER_ABROAD: Final = re.compile(r" (?:chua|khong) (?:tung |bao gio |he )?(?:ra|di|sang|o|song o|xuat canh) nuoc ngoai ")


def situations_in(text: str) -> tuple[SituationKind, ...]:
    """Situations told in ``text``, in the order they are told."""
    padded = _NEVER_ABROAD.sub(" | ", _padded(chat_fold(text)))
    padded = _proxy_read(_OLD_AGE.sub(" cao tuoi ", _WANT.sub(" | ", padded)))
    for phrase in _NOT_TOLD:
        padded = padded.replace(phrase, " | ")
    return tuple(_found(padded, SITUATIONS))


@functools.lru_cache(maxsize=256)
def read(text: str) -> Reading:
    """Read ``text``: its question sentences, the facets asked and the situations told.

    Cached: one turn reads its message in the matcher and again in the answering core (a
    :class:`Reading` is immutable)."""
    text = text[:_MAX_READ]
    long = len(text) >= LONG_CHARS
    focus, background = text, ""
    asks = False
    if long:
        sentences = split_sentences(text)
        asked = [s for s in sentences if is_question(s)]
        asks = bool(asked)
        if asked and len(asked) < len(sentences):
            focus = " ".join(asked)
            background = " ".join(s for s in sentences if s not in asked)
    else:
        asks = is_question(text)
    padded = _padded(chat_fold(focus))
    return Reading(focus=focus, background=background, long=long, facets=facets_in(focus),
                   situations=situations_in(text), asks=asks,
                   asks_how=asks and any(f" {c} " in padded for c in HOW_CUES)
                   and not any(f" {c} " in padded for c in _NOT_HOW))
