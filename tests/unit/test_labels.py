"""Picking an offered option from a typed label or number."""

from __future__ import annotations

import unicodedata

import pytest

from faq.labels import pick_option

LABELS = ("Xem các bước", "Quên passcode", "Gặp cán bộ", "Về menu chính")


@pytest.mark.parametrize(
    ("typed", "index"),
    [("1", 0), ("2.", 1), (" 3 ", 2), ("số 2", 1), ("so 4", 3), ("chọn 1", 0), ("2)", 1), ("số hai", 1)],
)
def test_numbers(typed: str, index: int) -> None:
    assert pick_option(typed, LABELS) == index


@pytest.mark.parametrize("typed", ["0", "5", "12", "số 9", "1.5"])
def test_numbers_out_of_range(typed: str) -> None:
    assert pick_option(typed, LABELS) is None


@pytest.mark.parametrize(
    ("typed", "index"),
    [
        ("Xem các bước", 0),
        ("xem cac buoc", 0),
        ("XEM CÁC BƯỚC!", 0),
        (unicodedata.normalize("NFD", "Quên passcode"), 1),
        ("quen pascode", 1),
        ("gap can bo", 2),
        ("ve menu chinh", 3),
        ("ve menu chin", 3),
    ],
)
def test_labels_with_or_without_diacritics_and_small_typos(typed: str, index: int) -> None:
    assert pick_option(typed, LABELS) == index


@pytest.mark.parametrize(
    "typed",
    [
        "quên passcode thì làm sao",
        "cho mình hỏi cách xem các bước đăng ký",
        "mức 2",
        "làm hộ chiếu",
        "",
        "🙂",
        "menu",
        "x" * 10_000,
    ],
)
def test_new_questions_are_not_labels(typed: str) -> None:
    assert pick_option(typed, LABELS) is None


def test_no_labels() -> None:
    assert pick_option("1", ()) is None


def test_ambiguous_similar_labels_pick_nothing_unless_exact() -> None:
    labels = ("Mức 1", "Mức 2")
    assert pick_option("muc 2", labels) == 1
    assert pick_option("muc 3", labels) is None
