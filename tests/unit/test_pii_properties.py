"""Property tests of the PII masking: generated variants of every shape a citizen types.

Each secret is embedded in random Vietnamese-ish words (no digits, no currency or keyword words,
which would legitimately change the reading); after masking, its digits must not appear as a run,
with or without separators. Keep-list items embedded the same way must come out unchanged.
"""

from __future__ import annotations

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.core.pii import mask_pii

FAST = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Words around the number. None is a digit, a currency ("đồng", "k"), a money word ("phí", "giá")
# or a code keyword, so the reading of the number depends on the number alone.
WORDS = (
    "tôi muốn hỏi về thủ tục làm sao vneid căn cước ơi giúp với nhé được không ạ cho em anh chị bị lỗi "
    "đăng nhập cài đặt ứng dụng định danh điện tử cap nhat tai khoan xin cam on hom nay sang mai "
    "cong an xa phuong giay to ho so nop online dien thoai moi roi quen"
).split()
FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
_NOT_DIGIT = re.compile(r"\D")


def words(max_size: int = 6) -> st.SearchStrategy[str]:
    return st.lists(st.sampled_from(WORDS), max_size=max_size).map(" ".join)


def embed(draw: st.DrawFn, shape: str) -> str:
    before, after = draw(words()), draw(words())
    return " ".join(p for p in (before, shape, after) if p)


def digit_string(n: int, first: str = "0123456789") -> st.SearchStrategy[str]:
    return st.tuples(st.sampled_from(first), st.text("0123456789", min_size=n - 1, max_size=n - 1)).map("".join)


def group(digits: str, sizes: list[int], sep: str) -> str:
    parts, i = [], 0
    for size in sizes:
        parts.append(digits[i:i + size])
        i += size
    return sep.join(parts)


def leaks(secret_digits: str, masked: str) -> bool:
    """The secret's digits still readable in ``masked``, contiguous or separator-joined."""
    return secret_digits in _NOT_DIGIT.sub("", masked.translate({ord(c): ord(c) - 0xFF10 + 48 for c in "０１２３４５６７８９"}))


SEPARATORS = ["", " ", ".", "-", "  "]


@st.composite
def id_numbers(draw: st.DrawFn) -> tuple[str, str]:
    n = draw(st.sampled_from([9, 12]))
    digits = draw(digit_string(n))
    sep = draw(st.sampled_from(SEPARATORS))
    sizes = draw(st.sampled_from([[3] * (n // 3), [4, 4, 4] if n == 12 else [3, 3, 3], [n]]))
    shape = group(digits, sizes, sep)
    # A 9/12-digit amount of money ending in 000 ("100.000.000") is money; "113 114 115" hotlines.
    if sep == "." and digits[0] != "0" and digits.endswith("000"):
        digits = digits[:-1] + "7"
        shape = group(digits, sizes, sep)
    if set(_NOT_DIGIT.sub(" ", shape).split()) <= {"111", "112", "113", "114", "115", "116", "156"}:
        shape = group("0" + digits[1:], sizes, sep)
        digits = "0" + digits[1:]
    glue = draw(st.sampled_from(["", "cccd", "CCCD", "cmnd", "căncước", "số", "so"]))
    shape = glue + shape
    if draw(st.booleans()):
        shape = shape.translate(FULL_WIDTH)
    if draw(st.booleans()):
        shape = f"({shape})"
    return embed(draw, shape), digits


@st.composite
def phone_numbers(draw: st.DrawFn) -> tuple[str, str]:
    digits = draw(st.sampled_from("35789")) + draw(st.text("0123456789", min_size=8, max_size=8))
    national = "0" + digits
    form = draw(st.sampled_from(["plain", "4-3-3", "3-3-4", "paren", "double", "+84"]))
    sep = draw(st.sampled_from([" ", ".", "-"]))
    shape = {
        "plain": national,
        "4-3-3": group(national, [4, 3, 3], sep),
        "3-3-4": group(national, [3, 3, 4], sep),
        "paren": f"({national[:4]}) {national[4:7]} {national[7:]}",
        "double": group(national, [4, 3, 3], "  "),
        "+84": "+84 " + group(digits, [3, 3, 3], sep),
    }[form]
    if draw(st.booleans()):
        shape = shape.translate(FULL_WIDTH)
    secret = digits if form == "+84" else national
    return embed(draw, draw(st.sampled_from(["", "sdt ", "gọi ", "số "])) + shape), secret


CODE_KEYWORDS = [
    "otp", "OTP", "mã", "ma", "mã OTP", "ma otp la", "mã xác nhận là", "mã xác nhận:", "code", "passcode",
    "passcode là", "pin", "mật khẩu", "mat khau", "mk", "mk:", "MK la", "mã otp của tôi là",
]


@st.composite
def keyed_codes(draw: st.DrawFn) -> tuple[str, str]:
    n = draw(st.sampled_from([4, 6, 8]))
    digits = draw(digit_string(n))
    form = draw(st.sampled_from(["plain", "spaced", "dashed", "halves"]))
    shape = {
        "plain": digits,
        "spaced": " ".join(digits),
        "dashed": group(digits, [n // 2, n // 2], "-"),
        "halves": group(digits, [n // 2, n // 2], " "),
    }[form]
    glue = "" if draw(st.booleans()) else " "
    return embed(draw, draw(st.sampled_from(CODE_KEYWORDS)) + glue + shape), digits


@st.composite
def standalone_codes(draw: st.DrawFn) -> tuple[str, str]:
    n = draw(st.sampled_from([6, 8]))
    digits = draw(digit_string(n))
    if n == 8 and digits.startswith(("1900", "1800", "1080")):
        digits = "5" + digits[1:]
    form = draw(st.sampled_from(["plain", "spaced", "dashed"] if n == 6 else ["plain", "spaced"]))
    shape = {"plain": digits, "spaced": " ".join(digits), "dashed": group(digits, [3, 3], "-")}[form]
    return embed(draw, shape), digits


PASSWORD_PHRASES = [
    "mật khẩu của tôi là", "mat khau cua toi la", "mật khẩu là", "mat khau la", "mật khẩu:", "mk la", "mk:",
    "MK là", "pass:", "pass la", "password là", "password:", "mật khẩu mới là", "mat khau vneid la",
]


@st.composite
def typed_passwords(draw: st.DrawFn) -> tuple[str, str]:
    # Passwords of at least 6 characters (VNeID asks for 8; older ones may be shorter).
    letters = st.text("abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ", min_size=3, max_size=8)
    tail = st.text("0123456789@#*", min_size=3, max_size=6)
    secret = draw(st.one_of(st.tuples(letters, tail).map("".join), st.text("abcdefghkmnpqrstvwxyz", min_size=8, max_size=12)))
    return embed(draw, f"{draw(st.sampled_from(PASSWORD_PHRASES))} {secret}"), secret


@given(st.one_of(id_numbers(), phone_numbers(), keyed_codes(), standalone_codes()))
@FAST
def test_generated_personal_numbers_never_survive(case: tuple[str, str]) -> None:
    text, digits = case
    masked = mask_pii(text)
    assert masked.changed, text
    assert not leaks(digits, masked.text), (text, masked.text)


@given(typed_passwords())
@FAST
def test_generated_typed_passwords_never_survive(case: tuple[str, str]) -> None:
    text, secret = case
    masked = mask_pii(text)
    assert masked.changed, text
    assert secret not in masked.text, (text, masked.text)


@st.composite
def keep_items(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(["money", "date", "year", "hotline", "procedure", "form", "small"]))
    if kind == "money":
        head = str(draw(st.integers(1, 999)))
        thousands = draw(st.integers(1, 3))
        tail = [draw(st.sampled_from(["000", "500", "250"])) for _ in range(thousands - 1)] + ["000"]
        return ".".join([head, *tail]) + draw(st.sampled_from(["", " đồng", " đ", "đ", " VNĐ"]))
    if kind == "date":
        d, m, y = draw(st.integers(1, 31)), draw(st.integers(1, 12)), draw(st.integers(1950, 2035))
        sep = draw(st.sampled_from(["/", "-", "."]))
        pad = draw(st.booleans())
        day, month = (f"{d:02d}", f"{m:02d}") if pad else (str(d), str(m))
        return draw(st.sampled_from([f"{day}{sep}{month}{sep}{y}", f"{y}-{m:02d}-{d:02d}", f"{day}/{month}"]))
    if kind == "year":
        return f"{draw(st.sampled_from(['năm', 'nam', 'từ năm', 'sinh năm']))} {draw(st.integers(1950, 2035))}"
    if kind == "hotline":
        return draw(st.sampled_from(["1900 0368", "1800 1096", "19000368", "113", "114", "115", "5656", "156",
                                     "đầu số 069", "1900 0368 - 1800 1096"]))
    if kind == "procedure":
        return f"{draw(st.integers(1, 3))}.{draw(st.integers(0, 999999)):06d}"
    if kind == "form":
        return draw(st.sampled_from(["CT01", "CT07", "mẫu CT07", "TK01", "mục 2", "bước 3"]))
    return str(draw(st.integers(0, 999)))


@st.composite
def keep_texts(draw: st.DrawFn) -> str:
    items = draw(st.lists(keep_items(), min_size=1, max_size=3))
    parts = [draw(words(3))]
    for item in items:
        parts += [item, draw(st.lists(st.sampled_from(WORDS), min_size=1, max_size=3).map(" ".join))]
    return " ".join(p for p in parts if p)


@given(keep_texts())
@FAST
def test_money_dates_years_hotlines_and_procedure_codes_stay(text: str) -> None:
    masked = mask_pii(text)
    assert masked.text == text
    assert not masked.changed


@given(st.text(max_size=300))
@settings(max_examples=200, deadline=None)
def test_any_text_masks_without_error_and_is_stable(text: str) -> None:
    once = mask_pii(text).text
    assert mask_pii(once).text == once
