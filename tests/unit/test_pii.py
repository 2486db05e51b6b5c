"""Masking of what citizens type: ID numbers, phone numbers, codes; money and dates left alone."""

from __future__ import annotations

import pytest

from api.conversation import prepare_inbound
from bot.core.pii import MASK_CODE, MASK_ID, MASK_PHONE, mask_pii


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
        ("phi 100.000 dong", "phi 100.000 dong"),
        ("le phi 1.000.000 dong", "le phi 1.000.000 dong"),
        ("ngay 01/07/2024 nam 2024", "ngay 01/07/2024 nam 2024"),
        ("tong dai 1900 0368", "tong dai 1900 0368"),
        ("muc 2", "muc 2"),
    ],
)
def test_mask(text: str, expected: str) -> None:
    assert mask_pii(text).text == expected


def test_number_cut_by_the_length_limit_is_still_masked() -> None:
    text = "a" * 1999 + " 001203004567"
    inbound = prepare_inbound(text=text, max_chars=2000)
    assert inbound.truncated and inbound.masked
    assert "0012" not in (inbound.text or "")


def test_control_characters_are_dropped() -> None:
    inbound = prepare_inbound(text="xin\x00 chao\x1b")
    assert inbound.text == "xin  chao "
