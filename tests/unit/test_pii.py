"""Masking of what citizens type: ID numbers, phone numbers, codes; money and dates left alone."""

from __future__ import annotations

import pytest

from api.conversation import prepare_inbound
from bot.core import texts
from bot.core.pii import MASK_CODE, MASK_ID, MASK_PHONE, MASK_SECRET, mask_pii, without_masks
from bot.core.respond import respond
from bot.core.types import Session
from tests.factories import NOW, snapshot


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("cccd 001203004567", f"cccd {MASK_ID}"),
        ("cmnd 123456789", f"cmnd {MASK_ID}"),
        ("số 001 203 004 567 nhé", f"số {MASK_ID} nhé"),
        ("sdt 0912345678", f"sdt {MASK_PHONE}"),
        ("goi 0912.345.678", f"goi {MASK_PHONE}"),
        ("+84912345678", MASK_PHONE),
        ("ma otp 493817", f"ma otp {MASK_CODE}"),
        # a code after its keyword, even when its halves read as years or a hotline (found by hypothesis)
        ("otp 1900-1900", f"otp {MASK_CODE}"),
        ("mã otp là 2023 2025", f"mã otp là {MASK_CODE}"),
        ("từ 2023-2025 có đổi không", "từ 2023-2025 có đổi không"),
        ("phi 100.000 dong", "phi 100.000 dong"),
        ("le phi 1.000.000 dong", "le phi 1.000.000 dong"),
        ("ngay 01/07/2024 nam 2024", "ngay 01/07/2024 nam 2024"),
        ("tong dai 1900 0368", "tong dai 1900 0368"),
        ("muc 2", "muc 2"),
    ],
)
def test_mask(text: str, expected: str) -> None:
    assert mask_pii(text).text == expected


# Every shape the outside fault run found stored raw (issue 10).
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("cccd001099011346", f"cccd{MASK_ID}"),
        ("CCCD:001099011346 nhé", f"CCCD:{MASK_ID} nhé"),
        ("căncước001099011346", f"căncước{MASK_ID}"),
        ("otp583931", f"otp{MASK_CODE}"),
        ("ma otp 5 8 3 9 5 1", f"ma otp {MASK_CODE}"),
        ("mã 583-961 hết hạn", f"mã {MASK_CODE} hết hạn"),
        ("583-961", MASK_CODE),
        ("5 8 3 9 5 1", MASK_CODE),
        ("mã xác nhận 58393151", f"mã xác nhận {MASK_CODE}"),
        ("58393151", MASK_CODE),
        ("otp 5831", f"otp {MASK_CODE}"),
        ("ma otp la 5831", f"ma otp la {MASK_CODE}"),
        ("mã OTP: 5 8 3 1", f"mã OTP: {MASK_CODE}"),
        ("passcode 123456", f"passcode {MASK_CODE}"),
        ("pin 4821", f"pin {MASK_CODE}"),
        ("sdt ０９１１３４５６７１", f"sdt {MASK_PHONE}"),
        ("cccd ００１０９９０１１３４６", f"cccd {MASK_ID}"),
        ("gọi (0911) 345 672 giúp", f"gọi {MASK_PHONE} giúp"),
        ("sdt 0911  345 672", f"sdt {MASK_PHONE}"),
        ("sdt 0911 345 672.", f"sdt {MASK_PHONE}."),
        ("(+84) 911 345 672", MASK_PHONE),
        ("+84 911-345-672", MASK_PHONE),
        ("cmnd 071.123.456", f"cmnd {MASK_ID}"),
        ("cmnd 271.123.456", f"cmnd {MASK_ID}"),
        ("số 001.099.011.346", f"số {MASK_ID}"),
        ("cccd 001099011346 sdt 0911345671", f"cccd {MASK_ID} sdt {MASK_PHONE}"),
        ("0011223344556677", MASK_ID),
        ("mật khẩu của tôi là Abc@12345", f"mật khẩu của tôi là {MASK_SECRET}"),
        ("mat khau cua toi la abc123", f"mat khau cua toi la {MASK_SECRET}"),
        ("mat khau cua toi la abcdefgh nhe", f"mat khau cua toi la {MASK_SECRET} nhe"),
        ("mk la xyz789, sao không vào được", f"mk la {MASK_SECRET}, sao không vào được"),
        ("MK: Hanoi2024!", f"MK: {MASK_SECRET}!"),
        ("pass: abcd1234", f"pass: {MASK_SECRET}"),
        ("password là qwerty99", f"password là {MASK_SECRET}"),
        ("mật khẩu mới là 12345678", f"mật khẩu mới là {MASK_SECRET}"),
        # «thủ» (of «thủ tục») and «nhập» (of «đăng nhập») side by side are no «thu nhập» (income)
        ("thủ nhập 000000", f"thủ nhập {MASK_CODE}"),
    ],
)
def test_personal_numbers_and_secrets_are_masked(text: str, expected: str) -> None:
    masked = mask_pii(text)
    assert masked.text == expected
    assert masked.changed


# Things a citizen writes that are not personal: they must stay readable.
@pytest.mark.parametrize(
    "text",
    [
        "quên mật khẩu thì làm sao",
        "quen mat khau thi lam sao",
        "mật khẩu là gì",
        "mat khau la nhung ky tu nao",
        "mật khẩu phải có 8 ký tự",
        "đừng đưa mã OTP, mật khẩu cho người lạ \"làm hộ\".",
        "năm 2024",
        "nhưng mà 2024 tôi mới làm",
        "sinh năm 1990, cấp năm 2021",
        "theo hướng dẫn năm 2023–2025",
        "phí 100.000 đồng, 1.000.000 đồng hay 100.000.000 đồng",
        "lệ phí 150.500.000",
        "nhận quà 100000 đồng",
        "ngày 01/07/2024, 1/7/2024, 01-07-2024, 01.07.2024, 2024-07-01",
        "tổng đài 1900 0368 hoặc 1800 1096",
        "gọi 1900 0368 - 1800 1096",
        "gọi 19000368",
        "gọi 113, 114, 115 hoặc 113 114 115",
        "đầu số 069 là của công an, số 0692 342 593",
        "nhắn 5656 hoặc gọi 156",
        "thủ tục 1.013833 và 2.002154",
        "mẫu CT07, CT01",
        "mục 2, bước 3",
        "tôi 65 tuổi, con 12345 con",
        "thu nhập 8000000 một tháng, thu nhap 9000000, tiền 500000",
    ],
)
def test_ordinary_numbers_and_questions_stay(text: str) -> None:
    masked = mask_pii(text)
    assert masked.text == text
    assert not masked.changed


def test_decomposed_diacritics_are_read_like_composed_ones() -> None:
    import unicodedata

    text = unicodedata.normalize("NFD", "mật khẩu của tôi là abc123")
    assert mask_pii(text).text == f"mật khẩu của tôi là {MASK_SECRET}"


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ("menu", "menu"),
        ("q-forgot_password", "q-forgot_password"),
        ("q-fee_id_card_2026", "q-fee_id_card_2026"),
        ("f-l2-step_2", "f-l2-step_2"),
        ("s-cap_cccd", "s-cap_cccd"),
        ("fy-forgot_password", "fy-forgot_password"),
        ("q-forgot_password-rAB12cd34", "q-forgot_password-rAB12cd34"),
        ("menu-r20261101", "menu-r20261101"),  # a referral code is a campaign code, never masked
        ("001099011346", MASK_ID),
        ("cccd001099011346", f"cccd{MASK_ID}"),
        ("q-001099011346", f"q-{MASK_ID}"),
        ("q-otp583931", f"q-otp{MASK_CODE}"),
        ("0911 345 672", MASK_PHONE),
        ("mat khau cua toi la abc123", f"mat khau cua toi la {MASK_SECRET}"),
    ],
)
def test_payloads_keep_their_format_and_lose_personal_numbers(payload: str, expected: str) -> None:
    inbound = prepare_inbound(payload=payload)
    assert inbound.payload == expected
    assert inbound.masked == (payload != expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/start menu-r20261101", "/start menu-r20261101"),
        ("/start q-forgot_password-rAB12cd34", "/start q-forgot_password-rAB12cd34"),
        ("/start q-001099011346", f"/start q-{MASK_ID}"),
        ("/start 001099011346", f"/start {MASK_ID}"),
    ],
)
def test_deep_links_keep_their_referral_code(text: str, expected: str) -> None:
    assert prepare_inbound(text=text).text == expected


@pytest.mark.parametrize(
    "inbound",
    [
        prepare_inbound(text="ma otp la 5831 sao khong dang nhap duoc"),
        prepare_inbound(text="mat khau cua toi la abc123"),
        prepare_inbound(payload="cccd001099011346"),
    ],
)
def test_masking_adds_the_never_share_warning(inbound: object) -> None:
    from bot.core.types import Inbound

    assert isinstance(inbound, Inbound) and inbound.masked
    turn = respond(inbound, Session(), snapshot(), NOW)
    assert texts.PII_WARNING in [r.text for r in turn.replies]
    assert "pii_masked" in [e.name for e in turn.events]


def test_a_2000_character_message_masks_in_well_under_a_millisecond() -> None:
    import time
    import timeit

    def per_call(text: str) -> float:
        return min(timeit.repeat(lambda: mask_pii(text), number=20, repeat=5, timer=time.process_time)) / 20

    question = "Tôi muốn hỏi về thủ tục đăng ký tạm trú trên ứng dụng VNeID thì làm như thế nào ạ. "
    typical = (question * 30)[:1960] + " cccd 001099011346, sdt 0911 345 672"
    # 75 numbers in 2,000 characters: far denser than anyone writes.
    dense = ("tôi quên mật khẩu VNeID, cccd 001099011346, sdt 0911 345 672, phí 100.000 đồng; " * 30)[:2000]
    # Measured on a busy 2-core machine: about 0.07 ms and 0.3-0.6 ms; the bounds leave room for CI.
    assert per_call(typical) < 0.0005
    assert per_call(dense) < 0.002


def test_number_cut_by_the_length_limit_is_still_masked() -> None:
    text = "a" * 1999 + " 001203004567"
    inbound = prepare_inbound(text=text, max_chars=2000)
    assert inbound.truncated and inbound.masked
    assert "0012" not in (inbound.text or "")


def test_control_characters_are_dropped() -> None:
    inbound = prepare_inbound(text="xin\x00 chao\x1b")
    assert inbound.text == "xin  chao "


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # the words that only state the number go with it
        (f"so cccd cua toi la {MASK_ID} sao ko dang ky dc vneid", "sao ko dang ky dc vneid"),
        (f"Số CCCD của mẹ tôi là: {MASK_ID} mà làm mức 2 không được", "mà làm mức 2 không được"),
        (f"căn cước công dân của con trai tôi là {MASK_ID}, cho hỏi", ", cho hỏi"),
        # ... except the card's name when the rest asks about «thẻ», the card just named
        (f"so cccd cua toi la {MASK_ID} lam lai the mat bao lau", "cccd lam lai the mat bao lau"),
        # without «là» the words are what is asked about; only the placeholder goes
        (f"số định danh {MASK_ID} của con bị sai", "số định danh của con bị sai"),
        (f"cmnd: {MASK_ID} mat roi", "cmnd: mat roi"),
        (f"ma otp la {MASK_CODE} co ai goi xin", "ma otp la co ai goi xin"),
        (f"sdt {MASK_PHONE} ko nhan dc otp, mk {MASK_SECRET}", "sdt ko nhan dc otp, mk"),
        (MASK_ID, ""),
        ("quen mat khau vneid [a]", "quen mat khau vneid [a]"),
    ],
)
def test_the_matcher_reads_a_masked_message_without_its_placeholders(text: str, expected: str) -> None:
    assert without_masks(text) == expected
