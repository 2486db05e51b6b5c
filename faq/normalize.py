"""Vietnamese text normalisation for matching: folding, teencode expansion, fillers, n-grams.

Pure functions, no I/O. The pipeline of :func:`words` is::

    mark arithmetic ("1+1", "2 nhân 3") → fold → split letters from digits → squeeze repeated
    letters → undo raw Telex → expand abbreviations (one curated table, :mod:`faq.abbreviations`)
    → resolve ambiguous short forms by context → read "OTP không về (máy)" as "không nhận được"
    → drop question fillers ("nha" only as a particle, not as *nhà*)

:func:`tokens` then drops stopwords; :func:`bigrams` pairs neighbouring words *before* that,
keeping pairs with at least one content word, so compounds such as *căn cước* survive even
though a homograph of one of their syllables is a stopword (the matcher builds its own terms
from :func:`words` the same way). :func:`eval_fold` is the literal fold of the evaluation
rule (it keeps punctuation).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from functools import lru_cache
from itertools import pairwise
from typing import Final

from faq.abbreviations import (
    CONTEXTUAL,
    EXPANSIONS,
    FILLER_PHRASES,
    HOMOGRAPHS,
    KEEP_DOUBLE_LETTERS,
    STOPWORDS,
)

__all__ = [
    "bigrams",
    "chat_fold",
    "eval_fold",
    "fold",
    "is_stopword",
    "is_syllable",
    "squeeze",
    "tokens",
    "untelex",
    "words",
]

_NON_WORD: Final = re.compile(r"[\W_]+")
_PIECES: Final = re.compile(r"\d+|[^\W\d_]+")
_RUN3: Final = re.compile(r"([^\W\d_])\1{2,}")
_DOUBLES: Final = "".join(sorted(KEEP_DOUBLE_LETTERS))
_RUN2: Final = re.compile(rf"([^\W\d_{_DOUBLES}])\1")

_EXPANSIONS: Final[dict[tuple[str, ...], tuple[str, ...]]] = {
    tuple(k.split()): tuple(v.split()) for k, v in EXPANSIONS.items()
}
_EXPANSION_MAX: Final = max(len(k) for k in _EXPANSIONS)
_FILLERS: Final[frozenset[tuple[str, ...]]] = frozenset(tuple(p.split()) for p in FILLER_PHRASES)
_FILLER_MAX: Final = max(len(p) for p in _FILLERS)
_EXPANSION_STARTS: Final = frozenset(k[0] for k in _EXPANSIONS) | frozenset(CONTEXTUAL)
_FILLER_STARTS: Final = frozenset(p[0] for p in _FILLERS)
_LONGEST_WORD: Final = 40
#: Table words are matched as typed, never squeezed ("cccd", "dddt", "app").
_PROTECTED: Final[frozenset[str]] = frozenset(
    {w for k in EXPANSIONS for w in k.split()} | set(CONTEXTUAL)
)

# Context words for the ambiguous short forms of CONTEXTUAL.
_PARTICLES: Final = frozenset(
    {"khong", "ko", "k", "hok", "hong", "khum", "roi", "r", "chua", "a", "nhe", "ha", "vay", "z", "v",
     "nua", "chu", "dau", "het", "ma", "nhi", "luon", "dc", "duoc", "kh"}
)
_BEFORE_PASSWORD: Final = frozenset(
    {"quen", "doi", "sai", "nhap", "lai", "dat", "lay", "khoi", "phuc", "tao", "thay", "go", "mat",
     "nho", "reset", "bi", "cai"}
)
#: "hỏng" (broken) rather than the southern "hông" (không) after these words.
_BEFORE_BROKEN: Final = frozenset(
    {"bi", "da", "hu", "lam", "may", "the", "chip", "hinh", "sim", "xe", "cung", "roi", "vo", "nat"}
)
#: "nhà" (house) rather than the particle "nha" after these words or before a content word.
_BEFORE_HOUSE: Final = frozenset(
    {"o", "tai", "ve", "chu", "cua", "den", "sang", "trong", "mua", "ban", "thue", "xay", "can",
     "tan", "ngoi", "cho", "nguoi", "lam"}
)
#: "vay" (borrow) rather than the particle "vậy" before these words: «vay tiền», «vay vốn», «vay nóng».
_AFTER_LOAN: Final = frozenset({"tien", "von", "no", "nong", "nhanh", "tin", "online", "ngan", "app"})
_AFTER_PARTICLE: Final = frozenset(
    {"ad", "admin", "a", "ban", "oi", "nhe", "em", "anh", "chi", "minh", "ha", "nha", "ak", "ah",
     "shop", "bot", "ca"}
)
#: Words that make "về" mean "arrives" (an OTP or text that "không về máy" was not received).
_ARRIVAL_MARKERS: Final = frozenset({"otp", "sms", "code", "passcode"})
_NEGATIONS: Final = frozenset({"khong", "chua", "chang"})
_DEVICE_AFTER: Final = frozenset({"may", "dt", "dien", "sdt", "so", "dien thoai"})
#: An arithmetic operator between two numbers, typed as a symbol or a word.
_ARITH_SYMBOL: Final = re.compile(r"(?<=\d)\s*[+×÷*=]\s*(?=\d)")
_ARITH_CHARS: Final = frozenset("+×÷*=")
_ARITH_WORDS: Final = frozenset({"cong", "tru", "nhan", "chia", "x"})
_AFTER_PRONOUN: Final = frozenset(
    {"muon", "bi", "co", "dang", "hoi", "can", "da", "la", "vua", "moi", "chua", "khong", "ko", "k",
     "dinh", "di", "lam", "dung", "o", "cung", "van", "se", "tai", "cai", "phai", "duoc", "dc",
     "thay", "nhan", "gui", "nop", "den", "qua", "xin", "hong", "hok"}
)


def _fold_char(c: str) -> str:
    """Fold one character: lowercase base letter, '' for a combining mark, ' ' for a separator."""
    base = "".join(
        x for x in unicodedata.normalize("NFD", c.lower()) if unicodedata.category(x) != "Mn"
    )
    base = base.replace("đ", "d").replace("ð", "d")
    return base if base.isalnum() else ("" if unicodedata.category(c) == "Mn" else " ")


# Precomputed for Latin letters (incl. all Vietnamese precomposed ones) and combining marks;
# anything else goes through the general path of fold().
_FOLD_TABLE: Final[dict[int, str]] = {
    cp: _fold_char(chr(cp))
    for rng in (range(0x20, 0x250), range(0x300, 0x370), range(0x1E00, 0x1F00))
    for cp in rng
}


def fold(text: str) -> str:
    """Lowercase, strip diacritics (NFC or NFD input alike), đ→d, punctuation to spaces."""
    quick = text.translate(_FOLD_TABLE)
    if not quick.isascii():
        decomposed = unicodedata.normalize("NFD", quick.lower())
        quick = "".join(c for c in decomposed if unicodedata.category(c) != "Mn")
        quick = quick.replace("đ", "d").replace("ð", "d")
    return " ".join(_NON_WORD.sub(" ", quick).split())


def eval_fold(text: str) -> str:
    """The evaluation rule's fold: NFC, lowercase, strip combining marks, đ→d, collapse whitespace."""
    lowered = unicodedata.normalize("NFC", text).lower()
    stripped = "".join(c for c in unicodedata.normalize("NFD", lowered) if unicodedata.category(c) != "Mn")
    return " ".join(stripped.replace("đ", "d").split())


# Folded Vietnamese syllable: onset + (a vowel cluster that may take a final consonant, with
# one) or (a cluster that ends the syllable). Folding merges ă/â, ê, ô/ơ, ư with their bases.
# Clusters opening with "y" ("yên", "yêu") take no onset but "qu" ("quyên").
_ONSET: Final = r"(?:ngh|ng|nh|ch|gh|gi|kh|ph|th|tr|qu|[bcdghklmnprstvx])?"
_CLOSABLE: Final = "uye|oa|oe|ie|uo|ua|uy|ue|a|e|i|o|u|y"
_OPEN: Final = "ieu|oai|oay|oeo|uoi|uou|uya|uay|uai|uau|uyu|ai|ao|au|ay|eo|eu|ia|iu|oi|ui|uu"
_CODA: Final = "(?:ch|ng|nh|[cmnpt])"
_SYLLABLE: Final = re.compile(
    rf"^(?:{_ONSET}(?:(?:{_CLOSABLE}){_CODA}?|(?:{_OPEN}))|(?:qu)?(?:ye{_CODA}?|yeu|ya))$"
)


def is_syllable(word: str) -> bool:
    """True when a folded word is shaped like a Vietnamese syllable (not a typo or a brand)."""
    return bool(_SYLLABLE.match(word))


_TELEX_VOWELS: Final = (("uow", "uo"), ("uw", "u"), ("ow", "o"), ("aw", "a"), ("oo", "o"), ("w", "u"))


def untelex(word: str) -> str:
    """Undo raw Telex keystrokes typed with the Vietnamese keyboard off ("thoaij" → "thoai").

    Only a word that is not already a syllable changes, and only into one; doubled letters
    ("ddieenj") were squeezed before this step. A stray English word may read as Telex
    ("box" → "bo"), which is harmless here.
    """
    if is_syllable(word):
        return word
    out = word
    for keys, vowel in _TELEX_VOWELS:
        out = out.replace(keys, vowel)
    if len(out) > 1 and out[-1] in "sfrxj":
        out = out[:-1]
    return out if out != word and is_syllable(out) else word


def squeeze(word: str) -> str:
    """Reduce letter runs of 3+ to one, and doubled letters (except o, u) in words of 3+ letters."""
    if word in _PROTECTED:
        return word
    out = _RUN3.sub(r"\1", word)
    if len(out) >= 3:
        out = _RUN2.sub(r"\1", out)
    return out


@lru_cache(maxsize=65536)
def _word_pieces(word: str) -> tuple[str, ...]:
    """Letter and digit runs of one folded word ("muc2" → muc, 2): squeezed, Telex undone, no zeros."""
    out: list[str] = []
    for piece in _PIECES.findall(word):
        if piece.isdigit():
            out.append(piece.lstrip("0") or "0")
        else:
            squeezed = squeeze(piece)
            out.append(squeezed if squeezed in _PROTECTED else untelex(squeezed))
    return tuple(out)


def _pieces(folded: str) -> list[str]:
    """All pieces of a folded text; very long words (junk) are cut to keep the cache small."""
    out: list[str] = []
    for word in folded.split():
        out.extend(_word_pieces(word[:_LONGEST_WORD]))
    return out


def _contextual(key: str, prev: str | None, nxt: str | None, at_start: bool) -> tuple[str, ...]:
    """Resolve an ambiguous short form from its neighbours."""
    noun, particle = CONTEXTUAL[key]
    if key == "dk":
        use_particle = nxt is None or nxt in _PARTICLES
    elif key == "mk":
        if prev in _BEFORE_PASSWORD or nxt is None:
            use_particle = False
        else:
            use_particle = at_start or nxt in _AFTER_PRONOUN
    elif key == "hong":  # "bị hỏng", "thẻ hỏng"; otherwise the southern "hông" = không
        use_particle = prev not in _BEFORE_BROKEN
    else:  # "hk": hộ khẩu only after "sổ" or before "thường trú"-like nouns
        use_particle = not (prev == "so" or nxt in {"thuong", "giay", "gia"})
    return tuple((particle if use_particle else noun).split())


def _expand(raw: Sequence[str]) -> list[str]:
    """Apply the abbreviation table, longest key first, then the contextual short forms."""
    out: list[str] = []
    i = 0
    n = len(raw)
    while i < n:
        if raw[i] not in _EXPANSION_STARTS:
            out.append(raw[i])
            i += 1
            continue
        for size in range(min(_EXPANSION_MAX, n - i), 0, -1):
            repl = _EXPANSIONS.get(tuple(raw[i : i + size]))
            if repl is not None:
                out.extend(repl)
                i += size
                break
        else:
            word = raw[i]
            if word in CONTEXTUAL:
                prev = raw[i - 1] if i > 0 else None
                nxt = raw[i + 1] if i + 1 < n else None
                out.extend(_contextual(word, prev, nxt, i == 0))
            else:
                out.append(word)
            i += 1
    return out


def _is_house(seq: Sequence[str], i: int) -> bool:
    """True when "nha" at ``i`` is the noun *nhà* ("ở nhà", "nhà mạng"), not the particle *nha*."""
    prev = seq[i - 1] if i > 0 else None
    if prev in _BEFORE_HOUSE:
        return True
    nxt = seq[i + 1] if i + 1 < len(seq) else None
    return nxt is not None and nxt not in _AFTER_PARTICLE


def _is_loan(seq: Sequence[str], i: int) -> bool:
    """True when "vay" at ``i`` is the verb *vay* ("vay tiền", "cho vay"), not the particle *vậy*."""
    nxt = seq[i + 1] if i + 1 < len(seq) else None
    return nxt in _AFTER_LOAN or (i > 0 and seq[i - 1] in ("cho", "khoan", "di") and nxt is not None)


def _arrival(seq: Sequence[str]) -> list[str]:
    """Read "OTP không về (máy)", "mã chưa thấy về" as "không nhận được" (the code did not arrive).

    Only when a code or text ("otp", "tin nhắn") is in the six words before, or "mã" right before
    the negation with nothing but a device word or a particle after; "tải VNeID về máy" and "mà
    không về quê" are left alone. A device word right after "về" is dropped.
    """
    out: list[str] = []
    n = len(seq)
    i = 0
    while i < n:
        w = seq[i]
        if w == "ve" and out:
            neg = out[-1] in _NEGATIONS or (len(out) > 1 and out[-1] == "thay" and out[-2] in _NEGATIONS)
            window = out[-6:]
            nxt = seq[i + 1] if i + 1 < n else None
            cue = (
                not _ARRIVAL_MARKERS.isdisjoint(window)
                or any(a == "tin" and b == "nhan" for a, b in pairwise(window))
                # "mã không về (máy)", not "mà không về quê": only at the end or before a device
                or (len(out) > 1 and out[-2] == "ma" and out[-1] in _NEGATIONS
                    and (nxt is None or nxt in _DEVICE_AFTER or nxt in _PARTICLES))
            )
            if neg and cue:
                out.extend(("nhan", "duoc"))
                i += 1
                if i < n and seq[i] in _DEVICE_AFTER:
                    i += 2 if seq[i] == "dien" and i + 1 < n and seq[i + 1] == "thoai" else 1
                continue
        out.append(w)
        i += 1
    return out


def _arithmetic(seq: Sequence[str]) -> list[str]:
    """Mark "1 cộng 1", "2 nhân 3" (an operator word between numbers) as a "phép tính"."""
    out = list(seq)
    for i in range(1, len(out) - 1):
        if out[i] in _ARITH_WORDS and out[i - 1].isdigit() and out[i + 1].isdigit():
            out[i] = "phep tinh"
    return " ".join(out).split()


def _drop_fillers(seq: Sequence[str]) -> list[str]:
    """Remove question fillers ("cho mình hỏi", "làm sao", "ad ơi"), longest first."""
    out: list[str] = []
    i = 0
    n = len(seq)
    while i < n:
        if seq[i] not in _FILLER_STARTS or (seq[i] == "nha" and _is_house(seq, i)) \
                or (seq[i] == "vay" and _is_loan(seq, i)):
            out.append(seq[i])
            i += 1
            continue
        for size in range(min(_FILLER_MAX, n - i), 0, -1):
            if tuple(seq[i : i + size]) in _FILLERS:
                i += size
                break
        else:
            out.append(seq[i])
            i += 1
    return out


_HOMOGRAPH: Final = re.compile(
    r"(?<![^\W_])(?:" + "|".join(re.escape(k) for k in sorted(HOMOGRAPHS, key=len, reverse=True)) + r")(?![^\W_])",
    re.IGNORECASE,
)


def _homographs(text: str) -> str:
    """``text`` with the words of :data:`~faq.abbreviations.HOMOGRAPHS` typed with their marks rewritten."""
    if not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    return _HOMOGRAPH.sub(lambda m: HOMOGRAPHS[m.group(0).lower()], text)


def words(text: str) -> tuple[str, ...]:
    """Folded, expanded words of ``text`` with fillers removed (stopwords still present)."""
    marked = _homographs(text)
    marked = _ARITH_SYMBOL.sub(" phép tính ", marked) if _ARITH_CHARS.intersection(marked) else marked
    return tuple(_drop_fillers(_arrival(_arithmetic(_expand(_pieces(fold(marked)))))))


@lru_cache(maxsize=1024)  # a turn reads the same text several times; messages reach 4,000 characters
def chat_fold(text: str) -> str:
    """:func:`fold` with chat short forms written out («cần những j» → «can nhung gi», «ntn» → «nhu
    the nao», «dc k» → «duoc khong»), fillers and stopwords kept: the text in which a question's cue
    phrases («cần những gì», «như thế nào») are looked for."""
    return " ".join(_expand(_pieces(fold(_homographs(text)))))


def is_stopword(word: str) -> bool:
    """True for pronouns, particles and politeness words dropped as unigrams."""
    return word in STOPWORDS


def tokens(text: str) -> tuple[str, ...]:
    """Content words of ``text``: :func:`words` without stopwords."""
    return tuple(w for w in words(text) if w not in STOPWORDS)


def bigrams(seq: Sequence[str]) -> tuple[str, ...]:
    """Neighbouring pairs "a b" of ``seq`` where at least one side is a content word."""
    return tuple(
        f"{a} {b}"
        for a, b in pairwise(seq)
        if not (a in STOPWORDS and b in STOPWORDS)
    )
