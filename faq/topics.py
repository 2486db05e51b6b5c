"""What a question is about: the object (paper, card, register) it names.

A real question is pulled to an unrelated entry by one shared generic word: «phạt» takes a lost
passport to the traffic-fine entry, «gia hạn» takes an expiring temporary residence to late birth
registration. The object the question names (hộ chiếu, thẻ bảo hiểm y tế, tạm trú, sổ đỏ…) is what
the answer must be about. :func:`topics_in` names the objects of a text; the matcher compares the
objects of the question with those of an entry's own phrasings (title, questions, tags), never its
answer text, which mentions many things it is not about.

Objects are phrases of :func:`faq.normalize.words` (folded, abbreviations expanded), matched on word
boundaries, so the cost is one pass of substring tests over the text. A phrase may name several
objects: «tạm trú» is temporary residence and residence at large («cư trú»). Pure, no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from faq.normalize import words

__all__ = ["LOSS_PHRASES", "SHORT_OBJECTS", "TOPICS", "acted_on", "names_loss", "narrowed", "topics_in", "topics_of_words"]

#: Objects and the phrases (folded words) that name them. Only nouns a procedure is *about*;
#: not the app («vneid»), which many questions mention in passing, nor generic words («phạt»).
TOPICS: Final[dict[str, tuple[str, ...]]] = {
    "passport": ("ho chieu",),
    "health_insurance": ("bao hiem y te", "the y te"),
    "social_insurance": ("bao hiem xa hoi", "so bao hiem", "vssid", "luong huu"),
    "unemployment": ("that nghiep",),
    "permanent_residence": ("thuong tru", "ho khau", "nhap khau", "tach ho", "chuyen khau", "cat khau"),
    "temporary_residence": ("tam tru",),
    "temporary_absence": ("tam vang",),
    "stay_notice": ("luu tru",),
    # every residence procedure, and «cư trú», which names them all
    "residence": ("cu tru", "thuong tru", "ho khau", "nhap khau", "tach ho", "chuyen khau", "cat khau",
                  "tam tru", "tam vang", "luu tru"),
    "id_card": ("can cuoc", "chung minh nhan dan", "chung minh thu", "giay chung minh", "the chip", "gan chip"),
    "account": ("dinh danh", "muc 1", "muc 2"),
    "birth": ("khai sinh", "giay chung sinh"),
    "death": ("khai tu", "giay chung tu", "bao tu"),
    "marriage": ("ket hon", "hon nhan", "doc than",
                 # the couple marrying («tụi em định làm đám cưới»; not «đi đám cưới», a guest)
                 "lam dam cuoi", "cuoi nhau"),
    "criminal_record": ("ly lich tu phap",),
    "driving_licence": ("giay phep lai xe", "bang lai", "bang xe may"),
    "vehicle": ("dang ky xe", "bien so", "ca vet", "sang ten xe", "giay dang ky xe", "xe gan may", "xe mo to",
                # bought second-hand, its registration changes hands («xe qua mấy đời chủ»; never bare
                # «đời chủ», which folds like «đổi chủ hộ», a change of household head)
                "mua lai xe", "ban lai xe", "nhieu doi chu", "may doi chu", "doi chu xe", "chu cu cua xe",
                "giay to xe"),
    "traffic_fine": ("phat nguoi", "vi pham giao thong", "nop phat", "quyet dinh phat", "quyet dinh xu phat"),
    "land": ("quyen su dung dat", "so do", "so hong", "thua dat", "dat dai", "nha dat"),
    "electricity": ("cap dien", "mua dien", "tien dien", "cong to dien", "hop dong dien", "lap dien", "keo dien",
                    "dong ho dien", "dien luc"),
    "tax": ("ma so thue", "dang ky thue", "quyet toan thue", "thue thu nhap", "co quan thue", "chi cuc thue",
            "cuc thue", "nop thue", "giam tru gia canh", "nguoi phu thuoc"),
    "exam": ("thi thpt", "xet tuyen", "tot nghiep thpt", "thi tot nghiep", "dang ky du thi", "thi dai hoc"),
    "seal": ("con dau", "khac dau", "dau noi", "mau dau"),
    # Civil-status procedures the shipped content does not cover (yet): named so that a question about
    # one is never answered by an entry that merely shares «đăng ký», «ở xã» or «cháu» with it.
    "guardianship": ("giam ho",),
    "parentage": ("nhan cha con", "nhan me con", "nhan cha me con", "xac nhan cha con"),
    "adoption": ("con nuoi",),
}

#: Papers a short question names precisely enough that an item about another paper never answers
#: it (the account, the card and residence are named in passing by too many short questions).
SHORT_OBJECTS: Final = frozenset({"passport", "driving_licence", "vehicle", "criminal_record", "birth", "death",
                                  "health_insurance", "traffic_fine",
                                  "marriage", "land", "tax", "electricity", "seal", "exam", "unemployment"})

#: Phrases by which an entry says it handles a lost or damaged paper (folded words; «mất» alone
#: is also «mật», as in «mật khẩu», so it only counts in a phrase).
LOSS_PHRASES: Final[tuple[str, ...]] = (
    "bi mat", "lam mat", "danh mat", "mat the", "mat giay", "mat ho chieu", "mat can cuoc", "mat so",
    "mat ca vet", "mat dang ky", "mat bang", "cap lai", "lam lai", "bi hong", "hu hong", "danh roi",
    "that lac", "bi hu", "mat dien thoai", "mat sim", "lam roi", "roi mat",
)

_BY_PHRASE: Final[tuple[tuple[str, frozenset[str]], ...]] = tuple(
    (f" {phrase} ", frozenset(t for t, phrases in TOPICS.items() if phrase in phrases))
    for phrase in dict.fromkeys(p for phrases in TOPICS.values() for p in phrases)
)


#: Folded phrases that hold an object's phrase but name something else: «quý báo tư vấn» (a
#: reader asking the newspaper to advise) is not «báo tử»; a bank card's chip («thẻ ATM gắn chip»,
#: read «thẻ ngân hàng gắn chip») is not the chip ID card. Blanked before the objects are read.
_LOOKALIKES: Final[tuple[str, ...]] = (
    " bao tu van ", " ngan hang gan chip ", " ngan hang doi chip ", " ngan hang co chip ", " the chip ngan hang ",
)


def topics_of_words(seq: Iterable[str]) -> frozenset[str]:
    """The objects named in a sequence of :func:`~faq.normalize.words`."""
    padded = f" {' '.join(seq)} "
    for lookalike in _LOOKALIKES:
        padded = padded.replace(lookalike, " ")
    # «điện thoại» (a phone) holds no «điện» (power): «mua điện thoại» is no «mua điện», «tiền điện
    # thoại» no power bill; a vehicle's «biển số định danh» is no electronic-ID account
    padded = padded.replace(" dien thoai ", " dienthoai ").replace(" bien so dinh danh ", " bien so ")
    found: set[str] = set()
    for phrase, topics in _BY_PHRASE:
        if phrase in padded:
            found |= topics
    return frozenset(found)


#: Objects that «cư trú» («residence») stands for; a question naming one asks about it, not the rest.
_RESIDENCE_KINDS: Final = frozenset({"permanent_residence", "temporary_residence", "temporary_absence", "stay_notice"})


def narrowed(topics: frozenset[str]) -> frozenset[str]:
    """The objects a question asks about: «residence» at large only when it names no kind of it
    («đăng ký thường trú» is permanent residence, not temporary residence too)."""
    if "residence" in topics and not topics.isdisjoint(_RESIDENCE_KINDS):
        return topics - {"residence"}
    return topics


def topics_in(text: str) -> frozenset[str]:
    """The objects a text names («mất hộ chiếu thì bị phạt không» → passport)."""
    return topics_of_words(words(text))


#: Verbs (folded words) by which a sentence says what is to be done to an object: «muốn làm căn
#: cước», «xin cấp lại hộ chiếu», «đăng ký thường trú», «thủ tục khai tử». «đăng» and «đang» fold
#: alike: only the pair «dang ky» counts.
_ACTIONS: Final = frozenset({"lam", "cap", "doi", "xin", "dang ky", "gia han", "sang ten", "xoa", "tach", "nop",
                             "chuyen", "thu tuc"})
#: At most this many words between the verb and the object («làm lại thẻ căn cước»).
_ACTION_REACH: Final = 3
#: Conjunctions joining a second object (up to three words on: «và tài khoản định danh») to one acted
#: on, and how far before the conjunction (in words) that one may start.
_AND: Final = frozenset({"va", "hoac"})
_AND_REACH: Final = 7
#: Words that end the object acted on before a conjunction («làm căn cước nhưng chưa có hộ khẩu và …»).
_BREAKS: Final = frozenset({"nhung", "chua", "co", "khong", "ma", "thi", "de", "vi", "neu", "da", "duoc", "bi"})


def _is_action(ws: list[str], j: int) -> bool:
    """True when word ``j`` starts a verb of doing, or «thủ tục» (the procedure of …)."""
    return ws[j] in _ACTIONS or " ".join(ws[j:j + 2]) in _ACTIONS


def acted_on(seq: Iterable[str]) -> frozenset[str]:
    """The objects a sequence of :func:`~faq.normalize.words` names right after a verb of doing:
    in «cháu có hộ chiếu còn hạn, muốn làm căn cước có được không», the card, not the passport."""
    ws = list(seq)
    padded = f" {' '.join(ws)} "
    found: set[str] = set()
    acted: list[int] = []  # first words of the objects found after a verb
    coordinated: list[tuple[int, frozenset[str]]] = []
    for phrase, topics in _BY_PHRASE:
        start = padded.find(phrase)
        while start != -1:
            i = padded.count(" ", 0, start)  # the phrase's first word
            if any(_is_action(ws, j) for j in range(max(0, i - _ACTION_REACH), i)):
                found |= topics
                acted.append(i)
            elif (k := next((k for k in range(i - 1, max(-1, i - 4), -1) if ws[k] in _AND), None)) is not None:
                coordinated.append((k, topics))
            start = padded.find(phrase, start + 1)
    # «làm căn cước gắn chip và tài khoản định danh»: an object joined by «và» / «hoặc» to one
    # acted on, a few words before, is acted on too.
    for k, topics in coordinated:
        if any(k - _AND_REACH <= a < k and _BREAKS.isdisjoint(ws[a + 1:k]) for a in acted):
            found |= topics
    return frozenset(found)


def names_loss(seq: Iterable[str]) -> bool:
    """True when the words say a paper was lost, damaged or must be issued again."""
    padded = f" {' '.join(seq)} "
    return any(f" {p} " in padded for p in LOSS_PHRASES)
