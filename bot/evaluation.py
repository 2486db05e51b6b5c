"""Scoring the bot on a question set in the format of the development set (pure but for loading).

A set is YAML ``cases:``; each case has ``q`` and either ``expect`` (a list of groups, each a
list of alternatives) or ``oos: true``; optional ``expect_kind`` / ``expect_flow`` (a flow id,
or ``flow/step``) check the match as well. The rule, exactly as the set states it:

- fold = Unicode NFC, lowercase, strip combining marks, đ→d, collapse whitespace; the reply is
  all replies' text joined with newlines plus all button labels, folded; alternatives are
  folded the same way and matched as substrings;
- an ``expect`` case passes when the match kind is neither ``fallback`` nor ``offtopic`` and
  every group has at least one alternative in the reply;
- an ``oos`` case passes when the match kind is none of ``faq``, ``flow``, ``service``,
  ``clarify``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from faq.normalize import eval_fold

__all__ = [
    "ANSWERED_KINDS",
    "Asker",
    "Case",
    "CaseResult",
    "EvalError",
    "EvalReport",
    "load_cases",
    "parse_cases",
    "reply_text",
    "run_eval",
    "score_case",
]

#: Kinds that count as answering: an out-of-scope question must get none of them.
ANSWERED_KINDS = frozenset({"faq", "flow", "service", "clarify"})
#: Kinds that never count as answering an in-scope question.
UNANSWERED_KINDS = frozenset({"fallback", "offtopic"})

#: ``ask(question) -> (reply texts, button labels, match kind, match id)``.
Asker = Callable[[str], tuple[list[str], list[str], str, "str | None"]]


class EvalError(ValueError):
    """A question set that does not follow the format (names the case)."""


@dataclass(frozen=True, slots=True)
class Case:
    """One question with what its answer must contain, or ``oos`` for out of scope."""

    q: str
    expect: tuple[tuple[str, ...], ...] = ()
    oos: bool = False
    expect_kind: str | None = None
    expect_flow: str | None = None
    expect_service: str | None = None

    @property
    def in_scope(self) -> bool:
        """True for a question the bot should answer."""
        return not self.oos

    @property
    def is_start(self) -> bool:
        """True for a case that must start a guide or open a service card."""
        return self.expect_flow is not None or self.expect_service is not None


@dataclass(frozen=True, slots=True)
class CaseResult:
    """The outcome of one case."""

    case: Case
    passed: bool
    kind: str
    id: str | None
    reply: str


@dataclass(frozen=True, slots=True)
class EvalReport:
    """All case results, with a readable table and the JSON summary."""

    results: tuple[CaseResult, ...] = field(default=())

    def _rate(self, in_scope: bool) -> dict[str, Any]:
        """Pass counts of one half of the set."""
        chosen = [r for r in self.results if r.case.in_scope == in_scope]
        passed = sum(r.passed for r in chosen)
        total = len(chosen)
        return {"passed": passed, "total": total, "rate": round(passed / total, 4) if total else 0.0}

    def _starts(self) -> dict[str, Any]:
        """Pass counts of the cases that must start a guide or open a service."""
        chosen = [r for r in self.results if r.case.is_start]
        passed = sum(r.passed for r in chosen)
        total = len(chosen)
        return {"passed": passed, "total": total, "rate": round(passed / total, 4) if total else 0.0}

    def summary(self) -> dict[str, Any]:
        """``{"in_scope": {passed, total, rate}, "oos": {...}, "starts": {...}, "failures": [...]}``."""
        return {
            "in_scope": self._rate(True),
            "oos": self._rate(False),
            "starts": self._starts(),
            "failures": [
                {"q": r.case.q, "kind": r.kind, "id": r.id, "reply": r.reply[:200]}
                for r in self.results
                if not r.passed
            ],
        }

    def table_lines(self) -> list[str]:
        """One line per case (failures marked ``FAIL``), then the totals."""
        lines = [f"{'':4} {'scope':5} {'kind':9} {'id':28} question"]
        for r in self.results:
            mark = "ok" if r.passed else "FAIL"
            scope = "in" if r.case.in_scope else "oos"
            lines.append(f"{mark:4} {scope:5} {r.kind:9} {str(r.id or '-')[:28]:28} {r.case.q}")
            if not r.passed:
                want = " & ".join("|".join(g) for g in r.case.expect) if r.case.expect else "not answered"
                lines.append(f"{'':10} want: {want}")
                lines.append(f"{'':10} got:  {' '.join(r.reply.split())[:160]}")
        s = self.summary()
        for name in ("in_scope", "oos", "starts"):
            part = s[name]
            if name == "starts" and not part["total"]:
                continue
            lines.append(f"{name}: {part['passed']}/{part['total']} = {part['rate']:.1%}")
        return lines


def _alternatives(raw: Any, where: str) -> tuple[str, ...]:
    """One expect group: a list of strings (a bare string is a group of one)."""
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, list) or not raw or not all(isinstance(a, str | int | float) for a in raw):
        raise EvalError(f"{where}: each expect group must be a non-empty list of strings")
    return tuple(str(a) for a in raw)


def parse_cases(data: Any, *, source: str = "<data>") -> list[Case]:
    """Validate the parsed YAML of a question set into cases."""
    raw_cases = data.get("cases") if isinstance(data, dict) else data
    if not isinstance(raw_cases, list):
        raise EvalError(f"{source}: expected a top-level 'cases:' list")
    cases: list[Case] = []
    for n, raw in enumerate(raw_cases, start=1):
        where = f"{source}: case {n}"
        if not isinstance(raw, dict) or not isinstance(raw.get("q"), str):
            raise EvalError(f"{where}: each case needs a string 'q'")
        oos = bool(raw.get("oos", False))
        expect_raw = raw.get("expect") or []
        if not isinstance(expect_raw, list):
            raise EvalError(f"{where}: 'expect' must be a list of groups")
        expect = tuple(_alternatives(g, where) for g in expect_raw)
        kind = raw.get("expect_kind")
        flow = raw.get("expect_flow")
        service = raw.get("expect_service")
        if oos and (expect or kind or flow or service):
            raise EvalError(f"{where}: an 'oos' case cannot also expect an answer")
        if not oos and not (expect or kind or flow or service):
            raise EvalError(f"{where}: give 'expect', 'expect_kind', 'expect_flow', 'expect_service' or 'oos: true'")
        cases.append(
            Case(
                q=raw["q"],
                expect=expect,
                oos=oos,
                expect_kind=str(kind) if kind is not None else None,
                expect_flow=str(flow) if flow is not None else None,
                expect_service=str(service) if service is not None else None,
            )
        )
    return cases


def load_cases(path: str | Path) -> list[Case]:
    """Read and validate a question set file."""
    p = Path(path)
    with p.open(encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    return parse_cases(data, source=str(p))


def reply_text(texts: Sequence[str], button_labels: Sequence[str]) -> str:
    """The reply as the rule sees it, before folding: texts joined by newlines, then labels."""
    return "\n".join([*texts, *button_labels])


def score_case(
    case: Case,
    texts: Sequence[str],
    button_labels: Sequence[str],
    kind: str,
    match_id: str | None = None,
) -> bool:
    """True when the reply passes ``case`` under the set's rule."""
    if case.oos:
        return kind not in ANSWERED_KINDS
    if kind in UNANSWERED_KINDS:
        return False
    if case.expect_kind is not None and kind != case.expect_kind:
        return False
    if case.expect_flow is not None:
        flow_id = (match_id or "").split("/", 1)[0]
        wanted = case.expect_flow
        if kind != "flow" or (match_id != wanted and flow_id != wanted):
            return False
    if case.expect_service is not None and (kind != "service" or match_id != case.expect_service):
        return False
    folded = eval_fold(reply_text(texts, button_labels))
    return all(any(eval_fold(alt) in folded for alt in group) for group in case.expect)


def run_eval(cases: Sequence[Case], ask: Asker) -> EvalReport:
    """Ask every question in order and score the replies."""
    results: list[CaseResult] = []
    for case in cases:
        texts, labels, kind, match_id = ask(case.q)
        passed = score_case(case, texts, labels, kind, match_id)
        results.append(CaseResult(case, passed, kind, match_id, reply_text(texts, labels)))
    return EvalReport(tuple(results))
