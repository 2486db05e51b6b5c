"""The evaluation rule of the question sets, implemented exactly."""

from __future__ import annotations

import unicodedata
from dataclasses import replace
from pathlib import Path

import pytest

from bot.evaluation import (
    Case,
    EvalError,
    classify,
    expect_only,
    id_matches,
    is_held_out,
    load_cases,
    parse_cases,
    run_eval,
    score_case,
)

DATA = Path(__file__).resolve().parent.parent / "data"


def test_loads_the_dev_set() -> None:
    cases = load_cases(DATA / "dev_queries.yaml")
    assert len(cases) > 40
    assert any(c.oos for c in cases) and any(c.expect for c in cases)
    assert all(c.oos != bool(c.expect) for c in cases)


def test_in_scope_passes_when_every_group_has_an_alternative() -> None:
    case = Case("q", expect=(("app store", "appstore"), ("google play", "ch play")))
    assert score_case(case, ["Tải trên App Store hoặc CH Play."], [], "faq")
    assert not score_case(case, ["Tải trên App Store."], [], "faq")


def test_fold_details_nfd_d_bar_case_and_whitespace() -> None:
    case = Case("q", expect=(("đăng ký  mức 2",),))
    nfd = unicodedata.normalize("NFD", "Bạn ĐĂNG KÝ\n   MỨC 2 tại Công an")
    assert score_case(case, [nfd], [], "faq")
    # an alternative written without diacritics matches a reply with them, and vice versa
    assert score_case(Case("q", expect=(("cong an",),)), ["Công an cấp xã"], [], "faq")
    assert score_case(Case("q", expect=(("Công an",),)), ["cong an cap xa"], [], "faq")


def test_punctuation_is_kept_by_the_rule() -> None:
    # the rule does not strip punctuation: "app-store" is not "app store"
    assert not score_case(Case("q", expect=(("app store",),)), ["app-store"], [], "faq")


def test_texts_joined_by_newlines_then_button_labels() -> None:
    case = Case("q", expect=(("muc 1",),))
    # "mức" at the end of one reply and "1" at the start of the next are joined by a newline,
    # which the whitespace collapse turns into a space
    assert score_case(case, ["Bạn làm mức", "1 trên ứng dụng"], [], "faq")
    assert score_case(case, ["Bạn muốn hỏi về:"], ["Đăng ký mức 1", "Mức 2"], "clarify")


@pytest.mark.parametrize("kind", ["fallback", "offtopic"])
def test_in_scope_fails_on_fallback_or_offtopic_even_with_the_words(kind: str) -> None:
    case = Case("q", expect=(("vneid",),))
    assert not score_case(case, ["VNeID"], [], kind)


@pytest.mark.parametrize(
    ("kind", "passed"),
    [("fallback", True), ("offtopic", True), ("greeting", True), ("menu", True), ("handoff", True),
     ("faq", False), ("flow", False), ("service", False), ("clarify", False)],
)
def test_oos_kinds(kind: str, passed: bool) -> None:
    assert score_case(Case("q", oos=True), ["anything"], [], kind) is passed


def test_expect_kind_and_flow() -> None:
    assert score_case(Case("q", expect_flow="l2"), ["Bước 1"], [], "flow", "l2/start")
    assert score_case(Case("q", expect_flow="l2/start"), ["Bước 1"], [], "flow", "l2/start")
    assert not score_case(Case("q", expect_flow="l2"), ["Bước 1"], [], "flow", "l1/start")
    assert not score_case(Case("q", expect_flow="l2"), ["Bước 1"], [], "faq", "l2")
    assert score_case(Case("q", expect_kind="service", expect=(("ho chieu",),)), ["Hộ chiếu"], [], "service")
    assert not score_case(Case("q", expect_kind="service", expect=(("ho chieu",),)), ["Hộ chiếu"], [], "faq")


def test_parse_errors_name_the_case() -> None:
    with pytest.raises(EvalError, match="case 2"):
        parse_cases({"cases": [{"q": "a", "oos": True}, {"q": "b"}]})
    with pytest.raises(EvalError, match="cases"):
        parse_cases({"nope": []})
    with pytest.raises(EvalError, match="case 1"):
        parse_cases({"cases": [{"q": "a", "expect": [[]]}]})


def test_run_eval_summary_and_table() -> None:
    cases = parse_cases(
        {"cases": [
            {"q": "vneid tải ở đâu", "expect": [["app store"]]},
            {"q": "thời tiết", "oos": True},
            {"q": "quên mật khẩu", "expect": [["quen"]]},
        ]}
    )
    answers = {
        "vneid tải ở đâu": (["Tải trên App Store."], ["Về menu"], "faq", "install_where"),
        "thời tiết": (["Ngoài phạm vi."], [], "offtopic", "weather"),
        "quên mật khẩu": (["Xin lỗi, mình chưa hiểu. " + "x" * 300], [], "fallback", None),
    }
    report = run_eval(cases, lambda q: answers[q])
    summary = report.summary()
    assert summary["in_scope"] == {"passed": 1, "total": 2, "rate": 0.5}
    assert summary["oos"] == {"passed": 1, "total": 1, "rate": 1.0}
    (failure,) = summary["failures"]
    assert failure["q"] == "quên mật khẩu" and failure["kind"] == "fallback" and failure["id"] is None
    assert len(failure["reply"]) == 200
    lines = report.table_lines()
    assert sum(line.startswith("FAIL") for line in lines) == 1
    assert any("quên mật khẩu" in line and line.startswith("FAIL") for line in lines)
    assert [line.split(":")[0] for line in lines[-4:]] == ["in_scope", "oos", "wrong", "declined"]
    assert lines[-4].startswith("in_scope: 1/2")
    assert lines[-2].startswith("wrong: 0/3") and lines[-1].startswith("declined: 1/2")


def test_expect_service_and_starts_summary() -> None:
    from bot.evaluation import parse_cases, run_eval

    cases = parse_cases(
        {"cases": [{"q": "lam ho chieu", "expect_service": "passport"}, {"q": "huong dan muc 2", "expect_flow": "l2"}]}
    )
    answers = {"lam ho chieu": ("service", "passport"), "huong dan muc 2": ("flow", "l1/start")}

    def ask(q: str) -> tuple[list[str], list[str], str, str | None]:
        kind, ident = answers[q]
        return (["x"], [], kind, ident)

    summary = run_eval(cases, ask).summary()
    assert summary["starts"] == {"passed": 1, "total": 2, "rate": 0.5}
    assert [f["q"] for f in summary["failures"]] == ["huong dan muc 2"]


# --- expect_id and the three-way outcome (correct, wrong, declined) ----------------------------------


@pytest.mark.parametrize(
    ("wanted", "kind", "got", "ok"),
    [
        ("fee_id_card", "faq", "fee_id_card", True),
        ("fee_id_card", "faq", "fee_id_card_2026", False),
        ("l2", "flow", "l2/start", True),  # a flow id accepts any of its steps
        ("l2/start", "flow", "l2/start", True),
        ("l2/where", "flow", "l2/start", False),
        ("l2", "faq", "l2_x", False),
        ("passport", "service", "passport", True),
        ("service:death_bundle", "service", "death_bundle", True),  # kind:id when an id is in two kinds
        ("service:death_bundle", "faq", "death_bundle", False),
        ("death_bundle", "faq", "faq:death_bundle", True),  # the bare matcher's keys carry the kind
        ("x", "faq", None, False),
    ],
)
def test_id_matches(wanted: str, kind: str, got: str | None, ok: bool) -> None:
    assert id_matches(wanted, kind, got) is ok


def test_expect_id_parses_one_or_a_list_and_rejects_oos() -> None:
    one, many = parse_cases(
        {"cases": [
            {"q": "a", "expect_id": "svc_id_card"},
            {"q": "b", "expect_id": ["fee_id_card", "fee_id_card_2026"]},
        ]}
    )
    assert one.expect_id == ("svc_id_card",) and many.expect_id == ("fee_id_card", "fee_id_card_2026")
    assert not one.expect and one.in_scope
    with pytest.raises(EvalError, match="case 1"):
        parse_cases({"cases": [{"q": "a", "oos": True, "expect_id": "x"}]})
    with pytest.raises(EvalError, match="expect_id"):
        parse_cases({"cases": [{"q": "a", "expect_id": []}]})


def test_expect_id_needs_a_confident_answer_with_an_acceptable_id() -> None:
    case = Case("q", expect_id=("fee_id_card", "fee_id_card_2026"))
    assert score_case(case, ["Lệ phí"], [], "faq", "fee_id_card_2026")
    assert not score_case(case, ["Lệ phí"], [], "faq", "svc_id_card")
    # a clarify menu that offers the right entry is not the answer
    assert not score_case(case, ["Bạn muốn hỏi về:"], ["Lệ phí thẻ căn cước"], "clarify", None)
    # both the id and the words are required when both are given
    both = Case("q", expect=(("mien phi",),), expect_id=("fee_id_card",))
    assert score_case(both, ["Miễn phí"], [], "faq", "fee_id_card")
    assert not score_case(both, ["30.000 đồng"], [], "faq", "fee_id_card")


def test_expect_only_scores_by_the_words_as_the_shared_sets_do() -> None:
    both = Case("q", expect=(("mien phi",),), expect_id=("fee_id_card",), expect_kind="faq")
    ids_only = Case("r", expect_id=("fee_id_card",))
    oos = Case("s", oos=True)
    kept = expect_only([both, ids_only, oos])
    # a case with ids only has nothing left to check; an off-topic case is kept as it is
    assert [c.q for c in kept] == ["q", "s"] and kept[1] == oos
    loose = kept[0]
    assert loose.expect == both.expect and not loose.expect_id and loose.expect_kind is None
    # the words in a "did you mean" preview pass, as real_questions_dev.yaml states its rule
    assert score_case(loose, ["Tôi chưa chắc…", "Miễn phí"], [], "clarify", None)
    assert not score_case(both, ["Tôi chưa chắc…", "Miễn phí"], [], "clarify", None)
    assert not score_case(loose, ["30.000 đồng"], [], "faq", "fee_id_card")


@pytest.mark.parametrize(
    ("passed", "kind", "outcome"),
    [(True, "faq", "correct"), (True, "clarify", "correct"), (True, "fallback", "correct"),
     (False, "faq", "wrong"), (False, "flow", "wrong"), (False, "service", "wrong"),
     (False, "clarify", "declined"), (False, "fallback", "declined"), (False, "offtopic", "declined"),
     (False, "handoff", "declined")],
)
def test_classify(passed: bool, kind: str, outcome: str) -> None:
    assert classify(passed, kind) == outcome


def test_three_way_summary_and_table() -> None:
    cases = parse_cases(
        {"cases": [
            {"q": "right", "expect_id": "fee_id_card"},
            {"q": "other entry", "expect_id": ["fee_id_card", "fee_id_card_2026"]},
            {"q": "words missing", "expect": [["mien phi"]]},
            {"q": "menu", "expect_id": "fee_id_card"},
            {"q": "not understood", "expect": [["x"]]},
            {"q": "weather", "oos": True},
            {"q": "divorce", "oos": True},
            {"q": "land dispute", "oos": True},
        ]}
    )
    answers = {
        "right": (["a"], [], "faq", "fee_id_card"),
        "other entry": (["a"], [], "faq", "svc_id_card"),
        "words missing": (["30.000 đồng"], [], "faq", "fee_id_card"),
        "menu": (["Bạn muốn hỏi về:"], ["Lệ phí thẻ căn cước"], "clarify", None),
        "not understood": (["Xin lỗi"], [], "fallback", None),
        "weather": (["Ngoài phạm vi."], [], "offtopic", "ot_weather"),
        "divorce": (["Bạn muốn hỏi về:"], ["Đất đai"], "clarify", None),
        "land dispute": (["Đăng ký biến động đất đai"], [], "service", "land_change"),
    }
    report = run_eval(cases, lambda q: answers[q])
    outcomes = {r.case.q: r.outcome for r in report.results}
    assert outcomes == {
        "right": "correct", "other entry": "wrong", "words missing": "wrong", "menu": "declined",
        "not understood": "declined", "weather": "correct", "divorce": "declined", "land dispute": "wrong",
    }
    summary = report.summary()
    # the existing keys keep their shape
    assert summary["in_scope"] == {"passed": 1, "total": 5, "rate": 0.2}
    assert summary["oos"] == {"passed": 1, "total": 3, "rate": 0.3333}
    assert summary["wrong"] == {"count": 3, "total": 8, "rate": 0.375, "in_scope": 2, "oos": 1}
    assert summary["declined"] == {"count": 2, "total": 5, "rate": 0.4}
    assert {f["q"]: f["outcome"] for f in summary["failures"]}["other entry"] == "wrong"
    lines = report.table_lines()
    assert "wrong: 3/8 = 37.5% (in scope 2, off-topic 1)" in lines
    assert "declined: 2/5 = 40.0% (in scope)" in lines
    row = next(line for line in lines if line.endswith(" other entry"))
    assert row.startswith("FAIL wrong") and "svc_id_card" in row
    assert any(line.strip() == "want: id fee_id_card|fee_id_card_2026" for line in lines)


def test_held_out_cases_count_in_the_totals_but_are_never_listed() -> None:
    data = {"cases": [{"q": "câu giữ kín", "expect": [["không có"]]}, {"q": "câu ngoài phạm vi", "oos": True}]}
    held = parse_cases(data, source="tests/data/real_questions_12.yaml")
    open_ = parse_cases(data, source="tests/data/real_questions_3.yaml")
    assert all(c.held_out for c in held) and not any(c.held_out for c in open_)
    assert is_held_out("real_questions_11.yml") and not is_held_out("real_questions_10.yaml")

    def ask(q: str) -> tuple[list[str], list[str], str, str | None]:
        return (["một câu trả lời"], [], "faq", "x")  # wrong for both

    report = run_eval([*held, *open_], ask)
    summary = report.summary()
    assert summary["in_scope"] == {"passed": 0, "total": 2, "rate": 0.0}
    assert summary["wrong"]["count"] == 4
    # only the open copies are listed, once each
    assert [f["q"] for f in summary["failures"]] == ["câu giữ kín", "câu ngoài phạm vi"]
    assert summary["held_out_failures_hidden"] == 2
    table = "\n".join(report.table_lines())
    assert table.count("câu giữ kín") == 1 and "held out: 2 failures not shown" in table
    shown = replace(report, hide_held_out=False)
    assert len(shown.summary()["failures"]) == 4 and "\n".join(shown.table_lines()).count("câu giữ kín") == 2
