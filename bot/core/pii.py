"""Masking of personal data a citizen types: ID numbers, phone numbers, codes and passwords.

Applied by every adapter before anything is stored or logged. Platform ids are
never passed through here. Money ("100.000", "100.000.000 đồng"), dates,
years, procedure codes ("1.013833", "CT07") and hotlines ("1900 0368", "113")
are left readable.

It runs on every message, so the text is scanned by a few precompiled patterns
only (on a lower-cased copy, accents matched by character classes, any Unicode
decimal digit matched by ``\\d``); the slower work is done per digit run found.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

__all__ = ["MASK_CODE", "MASK_ID", "MASK_PHONE", "MASK_SECRET", "Masked", "mask_pii", "without_masks"]

MASK_ID = "[ID]"
MASK_PHONE = "[SĐT]"
MASK_CODE = "[MÃ]"
MASK_SECRET = "[MẬT KHẨU]"

_MASKS: Final = {"id": MASK_ID, "phone": MASK_PHONE, "code": MASK_CODE, "secret": MASK_SECRET}


def _accent_classes() -> dict[str, str]:
    """Each ASCII letter with every lower-case Latin letter that carries it plus diacritics."""
    forms: dict[str, set[str]] = {c: {c} for c in "abcdefghijklmnopqrstuvwxyz"}
    for start, end in ((0x00E0, 0x0250), (0x1E00, 0x1F00)):
        for cp in range(start, end):
            ch = chr(cp)
            base = unicodedata.normalize("NFD", ch)[0]
            if ch.islower() and base in forms:
                forms[base].add(ch)
    forms["d"].add("đ")
    return {c: "[" + "".join(sorted(v)) + "]" if len(v) > 1 else c for c, v in forms.items()}


_ACCENTS: Final = _accent_classes()


def _loose(words: str) -> str:
    """A pattern for ``words`` typed with or without diacritics (lower-case text)."""
    return r"\s?".join("".join(_ACCENTS.get(c, re.escape(c)) for c in w) for w in words.split())


# Separators inside a number: up to two spaces (also wide ones), a dot or a dash (also full-width).
_SEP: Final = r"[ \u00a0\u2007\u202f\u3000.\-\u2010-\u2015\u2212\uff0d\uff0e]"
# A run of digits (any script): split by separators, or written "(0911) 345 672".
_RUN: Final = re.compile(r"\d+(?:(?:" + _SEP + r"{1,2}|[)\uff09]" + _SEP + r"?|" + _SEP + r"?[(\uff08])\d+)*")
# What may stand right before a run and belongs to the number: "+84", "(+84)", "(0911)".
_LEAD: Final = re.compile(r"(?:[(\uff08]\s?)?(?:[+\uff0b]\s?)?$")
_LEAD_CHARS: Final = "(+ \uff08\uff0b"


class _RunTable(dict[int, str]):
    """``str.translate`` table of a digit run: wide separators and any decimal digit to ASCII.

    Filled on first sight of a character; a run holds only digits and separators, so it stays small.
    """

    def __missing__(self, cp: int) -> str:
        ch = chr(cp)
        value = str(unicodedata.decimal(ch)) if ch.isdecimal() else ch
        self[cp] = value
        return value


_RUN_TABLE: Final = _RunTable({
    **{ord(c): " " for c in "\u00a0\u2007\u202f\u3000"},
    **{ord(c): "-" for c in "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\uff0d"},
    0xFF0E: ".", 0xFF08: "(", 0xFF09: ")", 0xFF0B: "+",
})
_GROUP: Final = re.compile(r"\d+")
_NOT_DIGIT: Final = re.compile(r"\D")
# Separators that split numbers written side by side ("1900 0368 - 1800 1096").
_WIDE_SEP: Final = re.compile(r"\d(?P<sep>\s*-\s*|\s{2,}|\s*[()]\s*)(?=\d)")
_PROCEDURE: Final = re.compile(r"\d\.\d{6}")
_MONEY: Final = re.compile(r"[1-9]\d{0,2}(?:\.\d{3})+")
_DATE: Final = re.compile(r"(?:\d{1,2}(?P<s1>[.\-])\d{1,2}(?P=s1)\d{4}|\d{4}(?P<s2>[.\-])\d{1,2}(?P=s2)\d{1,2})")
_CURRENCY_AFTER: Final = re.compile(
    r"\s?(?:[dđ₫$]\b|" + "|".join(_loose(w) for w in ("dong", "vnd", "nghin", "ngan", "trieu", "ty", "ti", "usd"))
    + r"|k\b)"
)
def _plain_or_marked(words: str) -> str:
    """A pattern for ``words`` typed without diacritics or with exactly these (lower-case text):
    «thu nhập» or «thu nhap», never «thủ nhập» (words of «thủ tục», «đăng nhập» side by side)."""
    def one(w: str) -> str:
        plain = "".join(c for c in unicodedata.normalize("NFD", w) if not unicodedata.combining(c))
        return re.escape(w) if plain == w else f"(?:{re.escape(plain)}|{re.escape(w)})"
    return r"\s?".join(one(w) for w in words.split())


_MONEY_BEFORE: Final = re.compile(
    r"(?:" + "|".join(_plain_or_marked(w) for w in ("phí", "giá", "tiền", "lương", "thu nhập")) + r")\W{0,3}$"
)
_HOTLINE_PREFIX: Final = ("1900", "1800", "1080")
_SHORT_NUMBERS: Final = frozenset({"111", "112", "113", "114", "115", "116", "156", "5656"})

# A code keyword, then a few filler words ("mã xác nhận của tôi là"): a number right after is a
# code. "mã" is spelt out: "mà" (but) and "má" (mother) are not keywords. The pattern is written
# backwards and matched on the reversed text before a run: one anchored match per run, however
# long the message.
_KEYWORDS: Final = ("otp", "code", "passcode", "password", "pass", "pin", "mk", "mat khau", "mat ma")
_FILLERS: Final = (
    "la cua toi minh em anh chi moi vua nhan duoc gui ve so otp pin xac thuc kich hoat dang nhap "
    "ban ne day gom sms vneid cu sau hien tai"
)


def _loose_reversed(words: str) -> str:
    return _loose(" ".join(w[::-1] for w in reversed(words.split())))


_CODE_KEYWORD_BEFORE: Final = re.compile(
    r"\W{0,3}(?:(?:" + "|".join(_loose_reversed(w) for w in _FILLERS.split()) + r")\W{1,3})*"
    r"(?:[aã]m|" + "|".join(_loose_reversed(w) for w in _KEYWORDS) + r")(?![^\W_])"
)
# A password phrase followed by "là" / ":" / "=" and the secret ("mật khẩu của tôi là abc123").
_SECRET_PHRASE: Final = re.compile(
    r"(?:" + _loose("mat khau") + "|" + _loose("mat ma") + r"|mk|pass(?:word|code)?|pw)\b"
    r"(?:\s+[^\W\d_]+){0,4}?\s*(?:\bl[aà]\b\s*:?|[:=])\s*(?P<secret>[^\s,;]+)"
)
# Words that follow "mật khẩu là" in a question, not a password ("là gì", "la nhung ky tu nao").
_NOT_SECRET: Final = frozenset(
    "gi sao bao nhieu nhung khong dung phai the nao nhu gom bang may mot minh chua roi cai vay "
    "nay kia dau dai ngan chu cac tat ca so ky tu hoa thuong dac biet".split()
)
_TRAILING_PUNCT: Final = ".!?…)\"'»"

Span = tuple[int, int, str]


@dataclass(frozen=True, slots=True)
class Masked:
    """Text with personal numbers replaced, and what kinds were found."""

    text: str
    kinds: frozenset[str]

    @property
    def changed(self) -> bool:
        """True when anything was masked."""
        return bool(self.kinds)


def _is_word_char(text: str, i: int) -> bool:
    return 0 <= i < len(text) and (text[i].isalnum() or text[i] == "_")


def _ascii_run(run: str) -> str:
    return run if run.isascii() else run.translate(_RUN_TABLE)


def _looks_secret(token: str) -> bool:
    """A password-like token: long enough, and not an ordinary word of a question."""
    # Vietnamese words with diacritics are not passwords; bare ASCII words are, unless common.
    if len(token) < 4 or not token.isascii():
        return False
    return any(c.isdigit() for c in token) or not token.isalpha() or token.lower() not in _NOT_SECRET


def _classify(run: str, *, keyed: Callable[[], bool], money_context: Callable[[], bool]) -> str | None:
    """The kind of personal number ``run`` (ASCII digits and separators) is, or None."""
    if run.isdigit():  # the common case, cheapest path
        groups, digits = [run], run
    else:
        if _PROCEDURE.fullmatch(run) or _DATE.fullmatch(run):
            return None
        groups = _GROUP.findall(run)
        digits = "".join(groups)
    n = len(digits)
    if n < 4:
        return None
    if n <= 8 and len(groups) > 1 and keyed():
        return "code"  # "otp 1900-1900": after a code keyword, never read as years
    if len(groups) > 1 and (
        all(len(g) == 4 and g[:2] in ("19", "20") for g in groups)  # years: "2023–2025"
        or all(g in _SHORT_NUMBERS for g in groups)  # "113 114 115"
    ):
        return None
    if n <= 8:
        if keyed():
            return "code"
        code = _standalone_code(run, groups, digits)
        return None if code is None or money_context() else code  # "100000 đồng" is money
    if _MONEY.fullmatch(run) and (n not in (9, 12) or groups[-1] == "000" or money_context()):
        return None
    if "+" in run or (n == 11 and digits.startswith("84")):
        return "phone" if n <= 12 else "id"
    if n in (10, 11) and digits.startswith("0"):
        # 069… is the police's own network (public numbers citizens are told to call).
        return None if digits.startswith("069") else "phone"
    if n in (9, 12):
        return "id"
    if n > 12:
        return "id"  # several numbers pasted together (an ID and a phone side by side)
    return None


def _standalone_code(run: str, groups: list[str], digits: str) -> str | None:
    """A 6- or 8-digit code with no keyword before it, written as codes are ("583961", "583-961")."""
    n = len(digits)
    spaced_only = len(groups) > 1 and all(len(g) == 1 for g in groups)
    sizes = [len(g) for g in groups]
    if n == 6 and (len(groups) == 1 or spaced_only or (sizes in ([3, 3], [2, 2, 2]) and "." not in run)):
        return "code"  # "583.961" reads as money
    # 8 digits standing alone are a code (a date needs separators), unless a hotline.
    if n == 8 and not digits.startswith(_HOTLINE_PREFIX) and (len(groups) == 1 or spaced_only or sizes == [4, 4]):
        return "code"
    return None


class _Scan:
    """One message being scanned: the text and its lower-cased copy (same length, same offsets)."""

    def __init__(self, text: str) -> None:
        self.text = text
        low = text.lower()
        # lower() keeps the length of Vietnamese text; a few other letters grow (İ → i̇).
        self.low = low if len(low) == len(text) else "".join(c if len(c.lower()) != 1 else c.lower() for c in text)

    def keyed(self, pos: int) -> bool:
        """True when "mã OTP là", "passcode:", "otp"… stands right before ``pos``."""
        head = self.low[max(0, pos - 40):pos][::-1]
        return _CODE_KEYWORD_BEFORE.match(head) is not None

    def secret_spans(self) -> list[Span]:
        spans: list[Span] = []
        for m in _SECRET_PHRASE.finditer(self.low):
            if _is_word_char(self.low, m.start() - 1):
                continue
            start, end = m.span("secret")
            while end > start and self.low[end - 1] in _TRAILING_PUNCT:
                end -= 1
            if _looks_secret(self.text[start:end]):
                spans.append((start, end, "secret"))
        return spans

    def digit_spans(self, taken: list[Span]) -> list[Span]:
        text = self.text
        spans: list[Span] = []
        for m in _RUN.finditer(text):
            raw = m.group()
            if len(raw) < 4 or (not raw.isdigit() and len(_NOT_DIGIT.sub("", raw)) < 4):
                continue  # "113", "mục 2": too short to be anything personal
            start, end = m.span()
            digit_start = start
            if start and text[start - 1] in _LEAD_CHARS:
                lead = _LEAD.search(text, max(0, start - 4), start)
                if lead is not None:
                    start = lead.start()
                    # An opening bracket without its closing one belongs to the sentence.
                    if text[start] in "(\uff08" and ")" not in raw and "\uff09" not in raw:
                        start += 1
            if taken and any(s < end and start < e for s, e, _ in taken):
                continue
            spans.extend(self._split_run(start, digit_start, end))
        return spans

    def _split_run(self, start: int, digit_start: int, end: int) -> list[Span]:
        """Classify a run; one longer than any ID is first split where numbers stood side by side."""
        run = _ascii_run(self.text[start:end])
        if len(run) > 12 and len(_NOT_DIGIT.sub("", run)) > 12:
            seps = [m.span("sep") for m in _WIDE_SEP.finditer(run)]
            if seps:
                bounds = [0, *(x for span in seps for x in span), len(run)]
                out: list[Span] = []
                for a, b in zip(bounds[::2], bounds[1::2], strict=True):
                    out.extend(self._one(start + a, digit_start if a == 0 else start + a, start + b, run[a:b]))
                return out
        return self._one(start, digit_start, end, run)

    def _one(self, start: int, digit_start: int, end: int, run: str) -> list[Span]:
        kind = _classify(
            run,
            keyed=lambda: self.keyed(digit_start),
            money_context=lambda: bool(
                _CURRENCY_AFTER.match(self.low, end) or _MONEY_BEFORE.search(self.low, max(0, start - 12), start)
            ),
        )
        return [] if kind is None else [(start, end, kind)]


def mask_pii(text: str) -> Masked:
    """Replace ID numbers, phone numbers, codes and typed passwords in ``text``."""
    if not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)  # decomposed accents ("a" + U+0300) read as one letter
    scan = _Scan(text)
    spans = scan.secret_spans()
    spans += scan.digit_spans(spans)
    if not spans:
        return Masked(text, frozenset())
    spans.sort()
    out: list[str] = []
    pos = 0
    for start, end, kind in spans:
        if start < pos:
            continue
        out.append(text[pos:start])
        out.append(_MASKS[kind])
        pos = end
    out.append(text[pos:])
    return Masked("".join(out), frozenset(kind for _, _, kind in spans))


# A masked ID number with the words that only state it: «số CCCD của tôi là [ID]». Without «là» the words
# stay: «số định danh [ID] của con bị sai» asks about that number, «cmnd: [ID] mất rồi» about the card.
_ID_LABELS: Final = ("so can cuoc cong dan", "so can cuoc", "can cuoc cong dan", "can cuoc", "so cccd", "cccd",
                     "so cmnd", "cmnd", "so cmt", "cmt", "so dinh danh ca nhan", "so dinh danh", "ma dinh danh",
                     "dinh danh", "so the", "so")
_STATED_ID: Final = re.compile(
    r"(?<![^\W_])(?P<label>" + "|".join(_loose(w) for w in _ID_LABELS) + r")"
    r"(?:\s+" + _loose("cua") + r"(?:\s+[^\W\d_]+){1,3}?)?"
    r"\s+l[aà]\s*:?\s*" + re.escape(MASK_ID),
    re.IGNORECASE,
)
_PLACEHOLDER: Final = re.compile("|".join(re.escape(m) for m in _MASKS.values()))
#: «thẻ» (the card) in what is left: the paper whose number was stated is the one asked about.
_THE_CARD: Final = re.compile(r"(?<![^\W_])th[eẻ](?![^\W_])", re.IGNORECASE)
#: Labels that name the card itself (not «số», «định danh»).
_CARD_LABELS: Final = re.compile(r"(?:" + "|".join(_loose(w) for w in ("can cuoc", "cccd", "cmnd", "cmt")) + r")",
                                 re.IGNORECASE)


def without_masks(text: str) -> str:
    """``text`` (already masked) as the matcher should read it: without the placeholders, which are
    no words of a question, nor the words that only state a masked ID number («số CCCD của tôi là
    [ID], sao không đăng ký được VNeID» asks about registering, not about the card), except the
    card's name when the rest asks about «thẻ» (the card just named)."""
    if "[" not in text:
        return text
    if MASK_ID in text:
        rest = _STATED_ID.sub(" ", text)
        # «số cccd của tôi là [ID], làm lại thẻ mất bao lâu»: the card named is what «thẻ» refers
        # to, so its name stays («cccd … làm lại thẻ»); the number-stating words still go
        text = _STATED_ID.sub(lambda m: f" {card.group(0)} " if (card := _CARD_LABELS.search(m.group("label")))
                              else " ", text) if _THE_CARD.search(rest) else rest
    return " ".join(_PLACEHOLDER.sub(" ", text).split())
