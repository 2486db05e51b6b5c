"""The evaluation rule of the question sets, implemented exactly."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest

from bot.evaluation import Case, EvalError, load_cases, parse_cases, run_eval, score_case

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
    assert lines[-2].startswith("in_scope: 1/2")


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
