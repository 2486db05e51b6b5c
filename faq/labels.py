"""Picking one of the options last offered from what the citizen typed.

A citizen may type a button's label (with or without diacritics, with a small typo) or its
number ("2", "2.", "số 2", "chọn 2"). The cutoff is strict so that a new question that shares
words with a label ("quên passcode thì làm sao") is *not* taken as pressing it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Final

from rapidfuzz import fuzz

from faq.normalize import fold

__all__ = ["LABEL_CUTOFF", "pick_option"]

#: Minimum rapidfuzz ratio (0-100) between the folded text and a folded label.
LABEL_CUTOFF: Final = 88.0
#: The best label must beat the runner-up by this much to count.
_MARGIN: Final = 4.0
#: Labels this short (folded) must be typed exactly.
_EXACT_ONLY: Final = 4
_MAX_TEXT: Final = 80

_NUMBER: Final = re.compile(r"^(?:(?:so|chon|lua chon|phuong an|option|nut|cau)\s+)?(\d{1,2})$")
_NUMBER_WORDS: Final = re.compile(
    r"^(?:so|chon|lua chon|phuong an|nut|cau)\s+(mot|hai|ba|bon|tu|nam|sau|bay|tam|chin)$"
)
_WORD_VALUES: Final = {
    "mot": 1, "hai": 2, "ba": 3, "bon": 4, "tu": 4, "nam": 5, "sau": 6, "bay": 7, "tam": 8, "chin": 9,
}


def _by_number(folded: str, count: int) -> int | None:
    """The 0-based index of a typed option number, if it is one and in range."""
    m = _NUMBER.match(folded)
    value: int | None = int(m.group(1)) if m else None
    if value is None:
        w = _NUMBER_WORDS.match(folded)
        value = _WORD_VALUES[w.group(1)] if w else None
    if value is None or not 1 <= value <= count:
        return None
    return value - 1


def pick_option(text: str, labels: Sequence[str]) -> int | None:
    """The 0-based index of the option ``text`` designates among ``labels``, or None."""
    if not isinstance(text, str) or not labels or len(text) > _MAX_TEXT * 4:
        return None
    folded = fold(text)
    if not folded or len(folded) > _MAX_TEXT:
        return None
    number = _by_number(folded, len(labels))
    if number is not None:
        return number
    folded_labels = [fold(label) for label in labels]
    for i, label in enumerate(folded_labels):
        if label and folded == label:
            return i
    scored = sorted(
        (
            (fuzz.ratio(folded, label), i)
            for i, label in enumerate(folded_labels)
            if len(label) > _EXACT_ONLY
        ),
        reverse=True,
    )
    if not scored or scored[0][0] < LABEL_CUTOFF:
        return None
    if len(scored) > 1 and scored[0][0] - scored[1][0] < _MARGIN:
        return None
    return scored[0][1]
