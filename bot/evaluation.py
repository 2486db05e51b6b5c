"""Scoring the bot on a question set in the format of the development set (pure but for loading).

A set is YAML ``cases:``; each case has ``q`` and either ``expect`` (a list of groups, each a
list of alternatives) or ``oos: true``; optional ``expect_kind`` / ``expect_flow`` (a flow id,
or ``flow/step``) check the match as well, and so does ``expect_id``: the acceptable ids of the
answer, one or a list (a FAQ entry id, a flow id or ``flow/step``, a service id; ``kind:id``, e.g.
``service:death_bundle``, when an id exists in two kinds). The rule, exactly as the set states it:

- fold = Unicode NFC, lowercase, strip combining marks, đ→d, collapse whitespace; the reply is
  all replies' text joined with newlines plus all button labels, folded; alternatives are
  folded the same way and matched as substrings;
- an ``expect`` case passes when the match kind is neither ``fallback`` nor ``offtopic`` and
  every group has at least one alternative in the reply;
- an ``oos`` case passes when the match kind is none of ``faq``, ``flow``, ``service``,
  ``clarify``.

Beyond pass or fail, each case gets an :data:`Outcome`: ``correct`` (it passes); ``wrong`` (it
fails on a confident answer, kind ``faq``, ``flow`` or ``service``: an id not in ``expect_id``, or
a reply missing an ``expect`` group; for an ``oos`` case, any confident answer); ``declined`` (it
fails without one: fallback, off-topic decline, clarify menu, hand-off…). With ``expect_id`` a case
passes only on a confident answer with an acceptable id. The wrong rate is what a citizen is
misled by; the declined rate only costs them a rephrasing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Final, Literal

import yaml

from faq.normalize import eval_fold

__all__ = [
    "ANSWERED_KINDS",
    "CONFIDENT_KINDS",
    "Asker",
    "Case",
    "CaseResult",
    "EvalError",
    "EvalReport",
    "Outcome",
    "classify",
    "expect_only",
    "id_matches",
    "is_held_out",
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
#: Kinds of a confident answer: one item served as *the* answer (a clarify menu only offers some).
CONFIDENT_KINDS = frozenset({"faq", "flow", "service"})

#: How a case went: passed, failed on a confident answer, or failed without one.
Outcome = Literal["correct", "wrong", "declined"]

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
    #: Acceptable ids of the answer (FAQ entry, flow or ``flow/step``, service; optionally ``kind:id``).
    expect_id: tuple[str, ...] = ()
    #: From a held-out batch (:func:`is_held_out`): scored, but never shown one by one.
    held_out: bool = False

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

    @property
    def outcome(self) -> Outcome:
        """``correct``, ``wrong`` or ``declined`` (see :func:`classify`)."""
        return classify(self.passed, self.kind)


def _counts(name: str, count: int, total: int) -> dict[str, Any]:
    """``{name: count, "total": total, "rate": count / total}`` (rate 0.0 for an empty set)."""
    return {name: count, "total": total, "rate": round(count / total, 4) if total else 0.0}


@dataclass(frozen=True, slots=True)
class EvalReport:
    """All case results, with a readable table and the JSON summary."""

    results: tuple[CaseResult, ...] = field(default=())
    #: Leave held-out cases out of the table and of the failures (their totals still count).
    hide_held_out: bool = True

    def _rate(self, in_scope: bool) -> dict[str, Any]:
        """Pass counts of one half of the set."""
        chosen = [r for r in self.results if r.case.in_scope == in_scope]
        return _counts("passed", sum(r.passed for r in chosen), len(chosen))

    def _starts(self) -> dict[str, Any]:
        """Pass counts of the cases that must start a guide or open a service."""
        chosen = [r for r in self.results if r.case.is_start]
        return _counts("passed", sum(r.passed for r in chosen), len(chosen))

    def _wrong(self) -> dict[str, Any]:
        """Confident answers that fail, over all cases, split by half of the set."""
        wrong = [r for r in self.results if r.outcome == "wrong"]
        in_scope = sum(r.case.in_scope for r in wrong)
        counts = _counts("count", len(wrong), len(self.results))
        return {**counts, "in_scope": in_scope, "oos": len(wrong) - in_scope}

    def _declined(self) -> dict[str, Any]:
        """In-scope cases failed without a confident answer."""
        chosen = [r for r in self.results if r.case.in_scope]
        return _counts("count", sum(r.outcome == "declined" for r in chosen), len(chosen))

    def summary(self) -> dict[str, Any]:
        """``{"in_scope": {passed, total, rate}, "oos": {...}, "starts": {...}, "wrong": {count, total,
        rate, in_scope, oos}, "declined": {count, total, rate}, "failures": [...]}``."""
        return {
            "in_scope": self._rate(True),
            "oos": self._rate(False),
            "starts": self._starts(),
            "wrong": self._wrong(),
            "declined": self._declined(),
            "failures": [
                {"q": r.case.q, "kind": r.kind, "id": r.id, "outcome": r.outcome, "reply": r.reply[:200]}
                for r in self.results
                if not r.passed and not (r.case.held_out and self.hide_held_out)
            ],
            "held_out_failures_hidden": sum(
                not r.passed and r.case.held_out and self.hide_held_out for r in self.results),
        }

    def table_lines(self) -> list[str]:
        """One line per case (failures marked ``FAIL`` and ``wrong`` or ``declined``), then the totals."""
        lines = [f"{'':4} {'':8} {'scope':5} {'kind':9} {'id':28} question"]
        for r in self.results:
            if r.case.held_out and self.hide_held_out:
                continue
            mark = "ok" if r.passed else "FAIL"
            how = "" if r.passed else r.outcome
            scope = "in" if r.case.in_scope else "oos"
            lines.append(f"{mark:4} {how:8} {scope:5} {r.kind:9} {str(r.id or '-')[:28]:28} {r.case.q}")
            if not r.passed:
                c = r.case
                wants = [f"{name} {value}" for name, value in (
                    ("kind", c.expect_kind), ("flow", c.expect_flow), ("service", c.expect_service),
                    ("id", "|".join(c.expect_id) or None),
                ) if value]
                wants += ["|".join(g) for g in c.expect]
                want = " & ".join(wants) if wants else "not answered"
                lines.append(f"{'':10} want: {want}")
                lines.append(f"{'':10} got:  {' '.join(r.reply.split())[:160]}")
        s = self.summary()
        for name in ("in_scope", "oos", "starts"):
            part = s[name]
            if name == "starts" and not part["total"]:
                continue
            lines.append(f"{name}: {part['passed']}/{part['total']} = {part['rate']:.1%}")
        w, d = s["wrong"], s["declined"]
        lines.append(
            f"wrong: {w['count']}/{w['total']} = {w['rate']:.1%}"
            f" (in scope {w['in_scope']}, off-topic {w['oos']})"
        )
        lines.append(f"declined: {d['count']}/{d['total']} = {d['rate']:.1%} (in scope)")
        if s["held_out_failures_hidden"]:
            lines.append(f"held out: {s['held_out_failures_hidden']} failures not shown (--show-held-out)")
        return lines


def _alternatives(raw: Any, where: str) -> tuple[str, ...]:
    """One expect group: a list of strings (a bare string is a group of one)."""
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, list) or not raw or not all(isinstance(a, str | int | float) for a in raw):
        raise EvalError(f"{where}: each expect group must be a non-empty list of strings")
    return tuple(str(a) for a in raw)


def _ids(raw: Any, where: str) -> tuple[str, ...]:
    """``expect_id``: one id or a non-empty list of ids."""
    if raw is None:
        return ()
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, list) or not raw or not all(isinstance(i, str) and i.strip() for i in raw):
        raise EvalError(f"{where}: 'expect_id' must be an id or a non-empty list of ids")
    return tuple(i.strip() for i in raw)


#: Real-question batches from this number on are held out: collected apart from all tuning, they
#: are reported by their totals only (batch 11 was the first).
FIRST_HELD_OUT: Final = 11
_BATCH: Final = re.compile(r"real_questions_(\d+)\.ya?ml$")


def is_held_out(path: str | Path) -> bool:
    """True for a held-out real-question batch file (``real_questions_N.yaml``, N ≥ :data:`FIRST_HELD_OUT`)."""
    m = _BATCH.search(Path(path).name)
    return m is not None and int(m.group(1)) >= FIRST_HELD_OUT


def parse_cases(data: Any, *, source: str = "<data>") -> list[Case]:
    """Validate the parsed YAML of a question set into cases (held out when ``source`` is a held-out batch)."""
    held_out = is_held_out(source)
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
        ids = _ids(raw.get("expect_id"), where)
        if oos and (expect or kind or flow or service or ids):
            raise EvalError(f"{where}: an 'oos' case cannot also expect an answer")
        if not oos and not (expect or kind or flow or service or ids):
            raise EvalError(
                f"{where}: give 'expect', 'expect_id', 'expect_kind', 'expect_flow', 'expect_service'"
                " or 'oos: true'"
            )
        cases.append(
            Case(
                q=raw["q"],
                expect=expect,
                oos=oos,
                expect_kind=str(kind) if kind is not None else None,
                expect_flow=str(flow) if flow is not None else None,
                expect_service=str(service) if service is not None else None,
                expect_id=ids,
                held_out=held_out,
            )
        )
    return cases


def expect_only(cases: Sequence[Case]) -> list[Case]:
    """``cases`` scored by their ``expect`` groups alone, the rule of the shared development sets
    (``real_questions_dev.yaml`` has no ids): the expected ids, kind, guide and service are dropped,
    so an answer holding the facts asked passes whatever item it came from, and a "did you mean"
    preview holding them passes too. A case left with nothing to check is dropped."""
    kept: list[Case] = []
    for c in cases:
        if not c.oos and not c.expect:
            continue
        kept.append(replace(c, expect_id=(), expect_kind=None, expect_flow=None, expect_service=None))
    return kept


def load_cases(path: str | Path) -> list[Case]:
    """Read and validate a question set file."""
    p = Path(path)
    with p.open(encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    return parse_cases(data, source=str(p))


def reply_text(texts: Sequence[str], button_labels: Sequence[str]) -> str:
    """The reply as the rule sees it, before folding: texts joined by newlines, then labels."""
    return "\n".join([*texts, *button_labels])


def id_matches(wanted: str, kind: str, match_id: str | None) -> bool:
    """True when the answer ``kind``/``match_id`` is the acceptable id ``wanted``.

    ``wanted`` is an id, or ``kind:id``; a flow id accepts any step of the flow (``l2`` accepts
    ``l2/start``), ``flow/step`` only that step. A ``kind:`` prefix on ``match_id`` (the bare
    matcher's keys) is ignored.
    """
    if match_id is None:
        return False
    got_kind, sep, got = match_id.partition(":")
    if not sep or got_kind not in CONFIDENT_KINDS:
        got = match_id
    want_kind, sep, want = wanted.partition(":")
    if sep and want_kind in CONFIDENT_KINDS:
        if want_kind != kind:
            return False
    else:
        want = wanted
    return got == want or (kind == "flow" and "/" not in want and got.split("/", 1)[0] == want)


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
    if case.expect_id and (
        kind not in CONFIDENT_KINDS or not any(id_matches(w, kind, match_id) for w in case.expect_id)
    ):
        return False
    folded = eval_fold(reply_text(texts, button_labels))
    return all(any(eval_fold(alt) in folded for alt in group) for group in case.expect)


def classify(passed: bool, kind: str) -> Outcome:
    """``correct`` when passed, else ``wrong`` on a confident answer and ``declined`` without one."""
    if passed:
        return "correct"
    return "wrong" if kind in CONFIDENT_KINDS else "declined"


def run_eval(cases: Sequence[Case], ask: Asker) -> EvalReport:
    """Ask every question in order and score the replies."""
    results: list[CaseResult] = []
    for case in cases:
        texts, labels, kind, match_id = ask(case.q)
        passed = score_case(case, texts, labels, kind, match_id)
        results.append(CaseResult(case, passed, kind, match_id, reply_text(texts, labels)))
    return EvalReport(tuple(results))
