"""The pure flow engine: render a step, move between steps, validate flows, index them.

Every function takes the immutable :class:`FlowSet`, the citizen's
:class:`~bot.core.types.FlowPosition` and the time as ``now_iso``, and returns a
:class:`FlowOutcome` (what to say, the new position, what happened). Nothing here
reads a clock, the environment or a file.

Step numbering ("Bước n/N"): ``n`` counts the steps the citizen went through (from the
position's history) plus the current one; a troubleshooting step (one with ``back_to``)
keeps the number of the step it returns to. ``N`` is ``n`` plus the longest way forward
from the step, so each branch counts its own length and ``N`` never grows along a path.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

from bot.core import texts
from bot.core.payloads import make
from bot.core.types import Button, Event, FlowPosition, Image, Reply
from faq.loader import ContentError
from faq.matcher import IndexDoc
from faq.normalize import is_stopword, words
from flows.schema import Choice, Flow, Step

__all__ = [
    "BUTTONS_MAX",
    "DONE_LABEL",
    "FAIL_LABEL",
    "HISTORY_MAX",
    "IMAGE_URL_PREFIX",
    "RETRY_LABEL",
    "STILL_FAILING_LABEL",
    "VAGUE_WORDS_MAX",
    "FlowOutcome",
    "FlowSet",
    "back",
    "button_count",
    "enter",
    "flow_index_docs",
    "goto",
    "restart",
    "show",
    "step_buttons",
    "validate_flows",
]

DONE_LABEL = "✅ Xong, bước tiếp"
FAIL_LABEL = "Bước này không được"
RETRY_LABEL = "Thử lại bước này"
#: ``fail`` of a troubleshooting step: the fix did not help either.
STILL_FAILING_LABEL = "Vẫn chưa được"
GONE_TEXT = (
    "Hướng dẫn này vừa được cập nhật nên tôi không mở lại được bước cũ. "
    "Bạn bấm để làm lại từ đầu, hoặc về menu chính."
)
#: At most this many buttons on one step (back and menu included).
BUTTONS_MAX = 6
#: At most this many related FAQ/guide buttons on an end step.
END_RELATED_MAX = 2
#: Steps remembered for "quay lại".
HISTORY_MAX = 30
#: Step images are files under ``flows/images/``, served by the app at this path.
IMAGE_URL_PREFIX = "/static/flows/"


@dataclass(frozen=True, slots=True)
class FlowOutcome:
    """What the engine decided: the reply, the new position (None when finished), ref and events."""

    reply: Reply
    position: FlowPosition | None
    ref: str
    events: tuple[Event, ...]


@dataclass(frozen=True, slots=True)
class _Numbering:
    #: Longest run of forward moves from each step (back edges of cycles removed).
    ahead: Mapping[str, int]
    #: Troubleshooting steps (with ``back_to``): they keep the number of the step that failed.
    trouble: frozenset[str]
    back_to: Mapping[str, str]
    end: frozenset[str]


@dataclass(frozen=True, slots=True)
class FlowSet:
    """An immutable, validated collection of flows with their step numbering."""

    _flows: Mapping[str, Flow] = field(default_factory=lambda: MappingProxyType({}))
    _numbering: Mapping[str, _Numbering] = field(default_factory=lambda: MappingProxyType({}))
    _faq_titles: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    _vague: tuple[_VagueRule, ...] = ()

    @classmethod
    def build(cls, flows: Sequence[Flow], *, faq_titles: Mapping[str, str] | None = None) -> FlowSet:
        """Index flows by id (a later duplicate id is ignored); ``faq_titles`` labels related-FAQ buttons."""
        by_id: dict[str, Flow] = {}
        for f in flows:
            by_id.setdefault(f.id, f)
        return cls(
            _flows=MappingProxyType(by_id),
            _numbering=MappingProxyType({fid: _number(f) for fid, f in by_id.items()}),
            _faq_titles=MappingProxyType(dict(faq_titles or {})),
            _vague=tuple(_VagueRule.of(f) for f in by_id.values() if f.vague_problems),
        )

    def vague_guide(self, text: str) -> str | None:
        """The guide a vague problem message ("báo lỗi", "app ko vào dc") should start, or None.

        Every content word of ``text`` must be one of a flow's ``vague_problems`` or
        ``vague_context`` words, and a whole ``vague_problems`` phrase must occur in it: "máy giặt
        bị lỗi" says more than that and is left alone.
        """
        seq = words(text)
        content = [w for w in seq if not is_stopword(w)]
        if not content or len(content) > VAGUE_WORDS_MAX:
            return None
        for rule in self._vague:
            if rule.matches(seq, content):
                return rule.flow_id
        return None

    def __len__(self) -> int:
        return len(self._flows)

    def get(self, flow_id: str) -> Flow | None:
        """The flow with this id, or None."""
        return self._flows.get(flow_id)

    def ids(self) -> tuple[str, ...]:
        """Flow ids in load order."""
        return tuple(self._flows)

    def all(self) -> tuple[Flow, ...]:
        """All flows in load order."""
        return tuple(self._flows.values())

    def titles(self) -> dict[str, str]:
        """Flow id → title."""
        return {fid: f.title for fid, f in self._flows.items()}

    def faq_title(self, faq_id: str) -> str | None:
        """Button label of an FAQ entry, when known."""
        return self._faq_titles.get(faq_id)

    def position_of(self, pos: FlowPosition) -> tuple[int, int]:
        """``(n, total)`` for "Bước n/N"; ``(0, 0)`` when the flow or step no longer exists."""
        return self.numbers(pos.flow, pos.step, pos.history)

    def numbers(self, flow_id: str, step_id: str, history: Sequence[str] = ()) -> tuple[int, int]:
        """``(n, total)`` of a step reached through ``history``; ``(0, 0)`` when unknown.

        ``n`` counts the steps done on the way (troubleshooting steps aside) plus this one; a
        troubleshooting step shares the number of the step it returns to. ``total`` adds the
        longest way still ahead, so it never grows along a path; on an end step it equals ``n``.
        """
        num = self._numbering.get(flow_id)
        if num is None or step_id not in num.ahead:
            return (0, 0)
        done = sum(1 for h in history if h in num.ahead and h not in num.trouble)
        if step_id in num.trouble:
            n = max(done, 1)
            ahead = num.ahead.get(num.back_to.get(step_id, step_id), 0)
        else:
            n = done + 1
            ahead = num.ahead[step_id]
        return (n, n if step_id in num.end else n + ahead)


#: A message longer than this (in content words) is never vague.
VAGUE_WORDS_MAX = 8


@dataclass(frozen=True, slots=True)
class _VagueRule:
    flow_id: str
    problems: tuple[tuple[str, ...], ...]
    allowed: frozenset[str]

    @classmethod
    def of(cls, flow: Flow) -> _VagueRule:
        problems = tuple(p for p in (words(w) for w in flow.vague_problems) if p)
        allowed = {w for p in problems for w in p} | {w for c in flow.vague_context for w in words(c)}
        return cls(flow.id, problems, frozenset(allowed))

    def matches(self, seq: tuple[str, ...], content: Sequence[str]) -> bool:
        """``seq``: the message's words; ``content``: those that are not filler words."""
        if not all(w in self.allowed for w in content):
            return False
        return any(_contains(seq, p) for p in self.problems)


def _contains(words: tuple[str, ...], phrase: tuple[str, ...]) -> bool:
    n = len(phrase)
    return any(words[i:i + n] == phrase for i in range(len(words) - n + 1))


# --- Graph helpers ------------------------------------------------------------------------------


def _forward_targets(step: Step) -> list[str]:
    """Targets that move the citizen forward (count as a new step number)."""
    out = [c.goto for c in step.choices if c.goto is not None]
    if step.next is not None:
        out.append(step.next)
    return out


def _all_targets(step: Step) -> list[str]:
    """Every in-flow target of a step's buttons."""
    out = _forward_targets(step)
    out += [t for t in (step.fail, step.back_to) if t is not None]
    return out


def _number(flow: Flow) -> _Numbering:
    """Longest forward run from each step, over forward moves with the back edges of cycles dropped."""
    steps = {s.id: s for s in flow.steps}
    forward = {sid: [t for t in _forward_targets(s) if t in steps] for sid, s in steps.items()}
    # Depth-first from the first step (then any step left): an edge to a step on the stack closes a cycle.
    state: dict[str, int] = {}  # 1 = on the stack, 2 = done
    dag: dict[str, list[str]] = {sid: [] for sid in steps}
    for root in [flow.start, *steps]:
        if root in state:
            continue
        stack: list[tuple[str, int]] = [(root, 0)]
        state[root] = 1
        while stack:
            sid, i = stack.pop()
            if i < len(forward[sid]):
                stack.append((sid, i + 1))
                t = forward[sid][i]
                if state.get(t) == 1:
                    continue  # back edge
                dag[sid].append(t)
                if t not in state:
                    state[t] = 1
                    stack.append((t, 0))
            else:
                state[sid] = 2
    ahead: dict[str, int] = {}
    for root in steps:  # iterative post-order longest path on the DAG
        if root in ahead:
            continue
        todo: list[tuple[str, bool]] = [(root, False)]
        while todo:
            sid, expanded = todo.pop()
            if sid in ahead:
                continue
            if expanded:
                ahead[sid] = max((1 + ahead[t] for t in dag[sid]), default=0)
                continue
            todo.append((sid, True))
            todo += [(t, False) for t in dag[sid] if t not in ahead]
    return _Numbering(
        ahead=MappingProxyType(ahead),
        trouble=frozenset(sid for sid, s in steps.items() if s.back_to is not None),
        back_to=MappingProxyType({sid: s.back_to for sid, s in steps.items() if s.back_to is not None}),
        end=frozenset(sid for sid, s in steps.items() if s.end),
    )


# --- Rendering ----------------------------------------------------------------------------------


def _choice_button(flow: Flow, choice: Choice) -> Button:
    if choice.goto is not None:
        return Button(choice.label, make("f", flow.id, choice.goto))
    if choice.faq is not None:
        return Button(choice.label, make("q", choice.faq))
    if choice.service is not None:
        return Button(choice.label, make("s", choice.service))
    target = choice.flow_target
    assert target is not None  # exactly one target is guaranteed by the schema
    other, other_step = target
    return Button(choice.label, make("f", other, other_step) if other_step else make("f", other))


def step_buttons(flows: FlowSet, flow: Flow, step: Step, *, history: Sequence[str]) -> tuple[Button, ...]:
    """The buttons of a step, in display order (``history``: the steps before it, for "Quay lại")."""
    out: list[Button] = []
    if step.next is not None:
        out.append(Button(DONE_LABEL, make("f", flow.id, step.next)))
    if step.back_to is not None:
        out.append(Button(RETRY_LABEL, make("f", flow.id, step.back_to)))
    out += [_choice_button(flow, c) for c in step.choices]
    if step.fail is not None:
        label = STILL_FAILING_LABEL if step.back_to is not None else FAIL_LABEL
        out.append(Button(label, make("f", flow.id, step.fail)))
    if step.end:
        room = max(0, END_RELATED_MAX - len(step.choices))
        for faq_id in step.faq:
            title = flows.faq_title(faq_id)
            if room and title:
                out.append(Button(title, make("q", faq_id)))
                room -= 1
        out += [texts.MAIN_MENU_BUTTON, texts.HANDOFF_BUTTON]
    else:
        # "Thử lại bước này" already leads back when the step came straight from the one it retries.
        if history and not (step.back_to is not None and history[-1] == step.back_to):
            out.append(texts.BACK)
        out.append(texts.MAIN_MENU_BUTTON)
    seen: set[str] = set()
    unique = []
    for b in out:
        if b.payload not in seen:
            seen.add(b.payload)
            unique.append(b)
    return tuple(unique)


def button_count(step: Step) -> int:
    """Most buttons a step can show (back counted for every step that is not an end)."""
    n = len(step.choices) + sum(t is not None for t in (step.next, step.fail, step.back_to))
    if step.end:
        return n + min(len(step.faq), max(0, END_RELATED_MAX - len(step.choices))) + 2
    return n + 2


def _render_text(flows: FlowSet, flow: Flow, step: Step, history: Sequence[str]) -> str:
    n, total = flows.numbers(flow.id, step.id, history)
    lines = [f"Bước {n}/{total} · {flow.title}", step.text]
    if step.checklist:
        lines.append(step.checklist_title)
        lines += [f"• {item}" for item in step.checklist]
    return "\n".join(lines)


def _images(step: Step) -> tuple[Image, ...]:
    if step.image is None:
        return ()
    return (Image(url=IMAGE_URL_PREFIX + step.image.path, alt=step.image.alt),)


def _event(name: str, flow: Flow, step: Step) -> Event:
    return Event(name, (("flow", flow.id), ("step", step.id)))


def _outcome(
    flows: FlowSet,
    flow: Flow,
    step: Step,
    history: tuple[str, ...],
    now_iso: str,
    event: str,
) -> FlowOutcome:
    history = history[-HISTORY_MAX:]
    reply = Reply(
        text=_render_text(flows, flow, step, history),
        buttons=step_buttons(flows, flow, step, history=history),
        images=_images(step),
    )
    events = [_event(event, flow, step)]
    position: FlowPosition | None = FlowPosition(flow=flow.id, step=step.id, history=history, at=now_iso)
    if step.end:
        position = None
        if event != "flow_finished":
            events.append(_event("flow_finished", flow, step))
    return FlowOutcome(reply=reply, position=position, ref=f"{flow.id}/{step.id}", events=tuple(events))


def _gone(flows: FlowSet, pos: FlowPosition) -> FlowOutcome:
    """The flow or step of a stored position no longer exists."""
    buttons: list[Button] = []
    if flows.get(pos.flow) is not None:
        buttons.append(Button(texts.RESTART.label, make("f", pos.flow)))
    buttons.append(texts.MAIN_MENU_BUTTON)
    return FlowOutcome(
        reply=Reply(text=GONE_TEXT, buttons=tuple(buttons)),
        position=None,
        ref=f"{pos.flow}/{pos.step}",
        events=(),
    )


# --- Moves --------------------------------------------------------------------------------------


def enter(flows: FlowSet, flow_id: str, step_id: str | None, *, now_iso: str) -> FlowOutcome | None:
    """Start a flow (at its first step, or at ``step_id`` for a deep link); None when unknown."""
    flow = flows.get(flow_id)
    if flow is None:
        return None
    step = flow.step(step_id or flow.start)
    if step is None:
        return None
    return _outcome(flows, flow, step, (), now_iso, "flow_started")


def goto(flows: FlowSet, pos: FlowPosition, step_id: str, *, now_iso: str) -> FlowOutcome | None:
    """A step button was pressed: show ``step_id`` and remember where we came from."""
    flow = flows.get(pos.flow)
    if flow is None:
        return None
    step = flow.step(step_id)
    if step is None:
        return None
    if step_id == pos.step:
        history = pos.history
    elif step_id in pos.history:  # going back to a step already on the path: cut the loop
        history = pos.history[: len(pos.history) - 1 - pos.history[::-1].index(step_id)]
    else:
        history = (*pos.history, pos.step) if flow.step(pos.step) is not None else pos.history
    return _outcome(flows, flow, step, history, now_iso, "flow_step")


def back(flows: FlowSet, pos: FlowPosition, *, now_iso: str) -> FlowOutcome:
    """Go to the previous step; at the first step, show it again."""
    flow = flows.get(pos.flow)
    if flow is None:
        return _gone(flows, pos)
    history = list(pos.history)
    while history:
        prev = flow.step(history.pop())
        if prev is not None:
            return _outcome(flows, flow, prev, tuple(history), now_iso, "flow_step")
    current = flow.step(pos.step)
    if current is None:
        return _gone(flows, pos)
    return _outcome(flows, flow, current, (), now_iso, "flow_step")


def restart(flows: FlowSet, pos: FlowPosition, *, now_iso: str) -> FlowOutcome:
    """Start the same flow again from its first step."""
    outcome = enter(flows, pos.flow, None, now_iso=now_iso)
    return outcome if outcome is not None else _gone(flows, pos)


def show(flows: FlowSet, pos: FlowPosition, *, now_iso: str) -> FlowOutcome | None:
    """Show the current step again (resume); None if the flow or step no longer exists."""
    flow = flows.get(pos.flow)
    if flow is None:
        return None
    step = flow.step(pos.step)
    if step is None:
        return None
    history = tuple(h for h in pos.history if flow.step(h) is not None)
    return _outcome(flows, flow, step, history, now_iso, "flow_step")


# --- Validation ---------------------------------------------------------------------------------


def _reachable(start: str, steps: Mapping[str, Step]) -> set[str]:
    seen = {start}
    queue = deque([start])
    while queue:
        for t in _all_targets(steps[queue.popleft()]):
            if t in steps and t not in seen:
                seen.add(t)
                queue.append(t)
    return seen


def _can_finish(steps: Mapping[str, Step]) -> set[str]:
    """Steps from which an end step or another flow can be reached."""
    done = {sid for sid, s in steps.items() if s.end or any(c.flow is not None for c in s.choices)}
    changed = True
    while changed:
        changed = False
        for sid, s in steps.items():
            if sid not in done and any(t in done for t in _all_targets(s)):
                done.add(sid)
                changed = True
    return done


def _step_errors(
    flow: Flow,
    steps: Mapping[str, Step],
    flow_steps: Mapping[str, Collection[str]],
    known_faq: Collection[str] | None,
    known_services: Collection[str] | None,
) -> Iterable[tuple[str | None, str]]:
    for s in flow.steps:
        for attr in ("next", "fail", "back_to"):
            target = getattr(s, attr)
            if target is not None and target not in steps:
                yield s.id, f"{attr} → unknown step {target!r}"
            if target == s.id and attr != "back_to":
                yield s.id, f"{attr} points to the step itself"
        for c in s.choices:
            if c.goto is not None and c.goto not in steps:
                yield s.id, f"choice {c.label!r} → unknown step {c.goto!r}"
            ft = c.flow_target
            if ft is not None:
                other, other_step = ft
                if other not in flow_steps:
                    yield s.id, f"choice {c.label!r} → unknown flow {other!r}"
                elif other_step is not None and other_step not in flow_steps[other]:
                    yield s.id, f"choice {c.label!r} → unknown step {other_step!r} of flow {other!r}"
            if c.faq is not None and known_faq is not None and c.faq not in known_faq:
                yield s.id, f"choice {c.label!r} → unknown FAQ entry {c.faq!r}"
            if c.service is not None and known_services is not None and c.service not in known_services:
                yield s.id, f"choice {c.label!r} → unknown service {c.service!r}"
        if known_faq is not None:
            for faq_id in s.faq:
                if faq_id not in known_faq:
                    yield s.id, f"related FAQ entry {faq_id!r} is unknown"
        if not s.end and not (s.next or s.fail or s.back_to or s.choices):
            yield s.id, "dead end: the step is not an end step and has no button to go on"
        if button_count(s) > BUTTONS_MAX:
            yield s.id, f"too many buttons ({button_count(s)} > {BUTTONS_MAX})"
        if s.choices and len({c.label for c in s.choices}) != len(s.choices):
            yield s.id, "two choices have the same label"


def validate_flows(
    flows: Sequence[Flow],
    *,
    file_of: Mapping[str, str],
    known_faq: Collection[str] | None = None,
    known_services: Collection[str] | None = None,
) -> list[ContentError]:
    """Check targets, reachability, dead ends and duplicates; each error names file, flow and step."""
    errors: list[ContentError] = []
    flow_steps: dict[str, set[str]] = {}
    seen_flows: set[str] = set()
    for f in flows:
        flow_steps.setdefault(f.id, {s.id for s in f.steps})

    def err(flow: Flow, step_id: str | None, message: str) -> None:
        where = f"flow {flow.id!r}" + (f", step {step_id!r}" if step_id else "")
        errors.append(
            ContentError(
                file=file_of.get(flow.id, "?"),
                entry_id=f"{flow.id}/{step_id}" if step_id else flow.id,
                message=f"{where}: {message}",
            )
        )

    for f in flows:
        if f.id in seen_flows:
            err(f, None, "duplicate flow id")
            continue
        seen_flows.add(f.id)
        steps: dict[str, Step] = {}
        for s in f.steps:
            if s.id in steps:
                err(f, s.id, "duplicate step id")
            else:
                steps[s.id] = s
        for step_id, message in _step_errors(f, steps, flow_steps, known_faq, known_services):
            err(f, step_id, message)
        if not any(s.end for s in f.steps):
            err(f, None, "no end step (end: true)")
        reachable = _reachable(f.start, steps)
        for s in f.steps:
            if s.id not in reachable:
                err(f, s.id, "unreachable from the first step")
        finishing = _can_finish(steps)
        for s in f.steps:
            if s.id in reachable and s.id not in finishing and (s.next or s.fail or s.back_to or s.choices):
                err(f, s.id, "no way from this step to an end step")
    return errors


# --- Index --------------------------------------------------------------------------------------


def flow_index_docs(flows: FlowSet) -> list[IndexDoc]:
    """One matcher document per flow: its triggers and title, then its summary."""
    return [
        IndexDoc(key=f"flow:{f.id}", kind="flow", phrasings=(*f.triggers, f.title), body=f.summary)
        for f in flows.all()
    ]
