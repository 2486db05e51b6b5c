"""Grouping of unanswered questions, and the matcher's explanation of its ranking."""

from __future__ import annotations

import datetime as dt

from faq.grouping import group_questions, grouping_key, similarity
from faq.matcher import IndexDoc, Matcher

# Realistic inbox questions: the same thing typed with and without diacritics, teencode, fillers.
QUESTIONS = [
    ("làm sao đổi số điện thoại trên vneid", "phone"),
    ("lam sao doi so dien thoai tren vneid", "phone"),
    ("cho mình hỏi đổi sđt trong vneid thế nào ạ", "phone"),
    ("doi sdt vneid nhu the nao", "phone"),
    ("con tôi 14 tuổi có làm định danh được không", "child"),
    ("con toi 14 tuoi co lam dinh danh duoc khong", "child"),
    ("vneid bị lỗi", "error"),
    ("vneid bi loi", "error"),
    ("vneid", "bare"),
    ("vneid bị lỗi khi đăng nhập bằng mã qr", "error_qr"),
    ("đăng ký xe máy ở đâu", "motorbike"),
    ("dang ky xe may o dau", "motorbike"),
    ("đăng ký kết hôn ở đâu", "marriage"),
    ("dang ky ket hon o dau", "marriage"),
    ("giá vàng hôm nay", "gold"),
    ("gia vang hom nay bao nhieu", "gold"),
    ("sao không nhận được mã otp", "otp"),
    ("sao ko nhan duoc ma otp", "otp"),
    ("quên mật khẩu vneid", "password"),
    ("quen mk vneid", "password"),
]


def _labelled() -> dict[frozenset[int], set[str]]:
    groups = group_questions([q for q, _ in QUESTIONS])
    return {frozenset(g): {QUESTIONS[i][1] for i in g} for g in groups}


def test_every_group_holds_one_question() -> None:
    for members, labels in _labelled().items():
        assert len(labels) == 1, [QUESTIONS[i][0] for i in members]


def test_diacritics_teencode_and_fillers_do_not_split_a_question() -> None:
    by_label: dict[str, int] = {}
    for _, labels in _labelled().items():
        for label in labels:
            by_label[label] = by_label.get(label, 0) + 1
    # Each of these was typed two or more ways and lands in one group.
    for label in ("phone", "child", "error", "motorbike", "marriage", "gold", "otp", "password"):
        assert by_label[label] == 1, label


def test_a_subset_of_words_is_not_the_same_question() -> None:
    # token_set_ratio alone scores 100 here; the coverage guard keeps them apart.
    assert similarity(grouping_key("vneid"), grouping_key("vneid bị lỗi khi đăng nhập bằng mã qr")) < 85
    assert similarity(grouping_key("đăng ký xe máy ở đâu"), grouping_key("đăng ký kết hôn ở đâu")) < 85


def test_groups_are_order_stable_and_start_with_their_oldest() -> None:
    texts = [q for q, _ in QUESTIONS]
    groups = group_questions(texts)
    assert all(g == sorted(g) for g in groups)
    assert [g[0] for g in groups] == sorted(g[0] for g in groups)
    # New questions arriving later never change the first member of an existing group.
    more = group_questions([*texts, "đổi số điện thoại vneid", "vneid bi loi roi"])
    assert {g[0] for g in groups} <= {g[0] for g in more}


def test_empty_and_junk_questions() -> None:
    assert group_questions([]) == []
    assert group_questions(["", "  ", "???"]) == [[0, 1, 2]]
    assert len(group_questions(["x" * 100_000, "y" * 100_000])) == 2


def test_explain_lists_the_matched_terms_of_each_candidate() -> None:
    docs = [
        IndexDoc("faq:forgot", "faq", ("quên mật khẩu vneid", "lấy lại mật khẩu")),
        IndexDoc("faq:phone", "faq", ("đổi số điện thoại vneid",)),
        IndexDoc("offtopic:weather", "offtopic", ("thời tiết hôm nay",)),
    ]
    matcher = Matcher(docs)
    found = matcher.explain("Quên mat khau VNeID", today=dt.date(2026, 12, 3), k=5)
    assert found[0].key == "faq:forgot"
    assert "mat khau" in found[0].terms and "vneid" in found[0].terms
    assert found[0].score == matcher.search("Quên mat khau VNeID", today=dt.date(2026, 12, 3), k=1)[0].score
    second = {e.key: e for e in found}.get("faq:phone")
    assert second is not None and second.terms == ("vneid",)
    assert matcher.explain("", today=dt.date(2026, 12, 3)) == ()
