"""Masking of personal data a citizen types: ID numbers, phone numbers, short codes.

Applied by every adapter before anything is stored or logged. Platform ids are
never passed through here. Money written with thousand separators ("100.000")
and dates are left alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["MASK_CODE", "MASK_ID", "MASK_PHONE", "Masked", "mask_pii"]

MASK_ID = "[ID]"
MASK_PHONE = "[SĐT]"
MASK_CODE = "[MÃ]"

# A run of digits, optionally split by single spaces, dots or dashes, with an optional "+".
_DIGIT_RUN = re.compile(r"(?<![\w+])\+?\d(?:[ .\-]?\d){4,}(?!\w)")
_MONEY = re.compile(r"^\d{1,3}(?:\.\d{3})+$")


@dataclass(frozen=True, slots=True)
class Masked:
    """Text with personal numbers replaced, and what kinds were found."""

    text: str
    kinds: frozenset[str]

    @property
    def changed(self) -> bool:
        """True when anything was masked."""
        return bool(self.kinds)


def _classify(run: str) -> str | None:
    digits = re.sub(r"\D", "", run)
    n = len(digits)
    if _MONEY.match(run) and n in (6, 7, 8, 9):
        return None
    if run.startswith("+84") or (digits.startswith("84") and n == 11 and " " not in run[:3]):
        return "phone" if n == 11 else None
    if n == 10 and digits.startswith("0"):
        return "phone"
    if n == 12:
        return "id"
    if n == 9:
        return "id"
    if n == 6 and run.isdigit():
        return "code"
    if n > 12:
        # Several numbers run together (an ID and a phone pasted side by side): mask all.
        return "id"
    return None


def mask_pii(text: str) -> Masked:
    """Replace ID numbers (9/12 digits), phone numbers and 6-digit codes in ``text``."""
    kinds: set[str] = set()

    def repl(m: re.Match[str]) -> str:
        run = m.group(0)
        kind = _classify(run)
        if kind is None:
            return run
        kinds.add(kind)
        return {"id": MASK_ID, "phone": MASK_PHONE, "code": MASK_CODE}[kind]

    out = _DIGIT_RUN.sub(repl, text)
    return Masked(out, frozenset(kinds))
