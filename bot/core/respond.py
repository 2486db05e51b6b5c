"""The conversation core: ``respond(inbound, session, content, now) -> Turn``.

Pure: no I/O, no clock (``now`` is passed in), no channel types. The shell
(api/conversation.py) loads the session and content, calls this, and stores
what it returns.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from typing import Final

from bot.core import asking, handoff, payloads, pii, texts
from bot.core.content import ContentSnapshot
from bot.core.types import (
    Button,
    Event,
    FlowPosition,
    Inbound,
    Match,
    MatchKind,
    Reply,
    ReplyRole,
    Session,
    Turn,
)
from bot.core.ui_texts import TextId
from faq.labels import pick_option
from faq.matcher import Candidate, Decision
from faq.normalize import bigrams, chat_fold, fold, is_stopword, words
from faq.schema import FaqEntry
from faq.topics import TOPICS, narrowed, topics_in
from faq.understand import Reading, read, situations_in, split_sentences
from flows import catalogue as cat
from flows import engine
from flows import facets as svc_facets
from flows.engine import FlowOutcome
from flows.schema import FACET_KEYS, Service

__all__ = ["respond"]

#: A flow left untouched this long is offered for resuming rather than continued silently.
RESUME_AFTER = dt.timedelta(hours=6)
#: Words (folded) by which a citizen asks to be walked through something, not just told.
GUIDE_WORDS = ("huong dan", "cac buoc", "tung buoc", "chi cach", "chi toi cach", "chi giup")
#: A long question scoring below this, with no word of the bot's domain, is said to be out of scope.
OUT_OF_SCOPE_BELOW = 0.11
#: ... unless one of its options belongs to a service and scores at least this.
SERVICE_GUESS_MIN = 0.09
#: When unsure, a service is answered for a long question only when at least this share of the
#: objects it is about are asked (:meth:`faq.matcher.Matcher.asked_share`).
SERVICE_FIT_MIN = 0.5
#: Situations told that make a service's general card the wrong answer unless it handles them
#: (a loss, a late registration, wrong information, someone abroad).
_CHANGES_PROCEDURE = (*asking.DECISIVE, "abroad")
#: Facets whose cues cannot be read another way (unlike «thời hạn»: of a card, or of the procedure).
_PLAIN_FACETS = ("documents", "in_person", "online")
#: How close a guide's score must be to the top answer for a guide request to start it instead.
GUIDE_MARGIN = 0.1


@dataclass(frozen=True, slots=True)
class _Ctx:
    """Inputs of one turn."""

    inbound: Inbound
    session: Session
    content: ContentSnapshot
    now: dt.datetime

    @property
    def today(self) -> dt.date:
        return self.now.date()

    @property
    def now_iso(self) -> str:
        return self.now.isoformat()

    def text(self, key: TextId) -> str:
        """One of the bot's own sentences as live in the content snapshot."""
        return self.content.texts.get_text(key)


@dataclass(frozen=True, slots=True)
class _Out:
    """The main reply of a turn and its consequences, before notes are added."""

    replies: tuple[Reply, ...]
    match: Match
    session: Session
    events: tuple[Event, ...] = ()
    delete_user_data: bool = False


def respond(inbound: Inbound, session: Session, content: ContentSnapshot, now: dt.datetime) -> Turn:
    """Answer one inbound message given the stored session and the content snapshot."""
    ctx = _Ctx(inbound, session, content, now)
    out = _dispatch(ctx)
    before: list[Reply] = []
    if inbound.truncated:
        before.append(Reply(ctx.text("truncated"), role=ReplyRole.NOTE))
    events = list(out.events)
    if inbound.masked:
        before.append(Reply(ctx.text("pii_warning"), role=ReplyRole.WARNING))
        events.append(Event("pii_masked"))
    replies = (*before, *out.replies)
    options = tuple(b for r in replies for b in r.buttons)
    new_session, counted = handoff.count_misses(replace(out.session, options=options), tuple(events))
    return Turn(
        replies=replies,
        session=new_session,
        match=out.match,
        events=counted,
        delete_user_data=out.delete_user_data,
    )


# --- Dispatch ---------------------------------------------------------------------------------


def _dispatch(ctx: _Ctx) -> _Out:
    inbound = ctx.inbound
    if inbound.payload is not None:
        return _on_payload(ctx, inbound.payload)
    text = inbound.text or ""
    if not text.strip():
        if inbound.media:
            return _out(ctx, Reply(ctx.text("media"), _nav_buttons(ctx)), Match(MatchKind.FALLBACK),
                        events=(Event("media", (("type", inbound.media),)),))
        return _out(ctx, Reply(ctx.text("empty"), texts.MAIN_MENU), Match(MatchKind.MENU))
    stripped = text.strip()
    # "/start payload" deep links (Telegram) and "/command@botname".
    if stripped.startswith("/"):
        head, _, rest = stripped.partition(" ")
        command = head.split("@", 1)[0].lower()
        if command == "/start" and rest.strip():
            return _with_privacy(ctx, _on_payload(ctx, rest.strip()))
        stripped = command
    folded = fold(stripped)
    command_name = texts.COMMANDS.get(folded) or texts.COMMANDS.get(stripped.lower())
    if command_name:
        return _on_command(ctx, command_name)
    if _asks_for_a_person(folded):
        return _on_command(ctx, "handoff")
    if folded in texts.GREETINGS:
        return _welcome(ctx, MatchKind.GREETING)
    if folded in texts.THANKS_WORDS:
        return _out(ctx, Reply(ctx.text("thanks"), (texts.MAIN_MENU_BUTTON,)), Match(MatchKind.GREETING))
    if ctx.session.options:
        idx = pick_option(stripped, [b.label for b in ctx.session.options])
        if idx is not None:
            return _on_payload(ctx, ctx.session.options[idx].payload)
    # Personal numbers arrive masked («[ID]»): the placeholders, and the words that only state an
    # ID number, are not what the question asks.
    return _on_question(ctx, pii.without_masks(stripped) if ctx.inbound.masked else stripped)


def _asks_for_a_person(folded: str) -> bool:
    """True for a short message asking for a person in its own words (:data:`texts.HANDOFF_PHRASES`),
    not a question that mentions one: no question word about a procedure («… có phải gặp … không»)."""
    tokens = folded.split()
    if not tokens or len(tokens) > texts.HANDOFF_MAX_WORDS:
        return False
    padded = f" {' '.join(tokens)} "
    if not any(f" {p} " in padded for p in texts.HANDOFF_PHRASES):
        return False
    return not any(f" {q} " in padded for q in _NOT_A_REQUEST)


#: Question words after which a mention of staff is part of a question («… có phải gặp nhân viên không»).
_NOT_A_REQUEST: Final = ("co phai", "phai khong", "bao lau", "o dau", "bao nhieu", "the nao", "lam sao",
                         "co can", "can khong", "co duoc", "duoc khong", "khi nao", "ban la", "la nguoi")


def _on_command(ctx: _Ctx, name: str) -> _Out:
    mapping = {
        "start": "",
        "menu": "menu",
        "help": "menu",
        "exit": "c-exit",
        "back": "c-back",
        "restart": "c-restart",
        "resume": "c-resume",
        "handoff": "c-handoff",
        "delete": "c-delete",
        "privacy": "c-privacy",
    }
    if name == "start":
        return _welcome(ctx, MatchKind.GREETING)
    return _on_payload(ctx, mapping[name])


def _on_payload(ctx: _Ctx, raw: str) -> _Out:
    parsed = payloads.parse(raw)
    if parsed is None:
        return _unknown_content(ctx)
    out = _on_parsed(ctx, parsed)
    if parsed.referral:
        out = replace(out, events=(*out.events, Event("referral", (("code", parsed.referral), ("payload", raw)))))
    return out


def _on_parsed(ctx: _Ctx, p: payloads.Payload) -> _Out:
    session = ctx.session
    arg = p.arg or ""
    if p.kind == "menu" or p.kind == "m":
        return _menu(ctx)
    if p.kind == "q":
        entry = ctx.content.faq.get(arg)
        if entry is None or not entry.is_valid_on(ctx.today):
            return _unknown_content(ctx)
        return _answer_faq(ctx, entry, score=None)
    if p.kind == "f":
        step = p.args[1] if len(p.args) > 1 else None
        return _flow_goto(ctx, arg, step)
    if p.kind == "s":
        card = cat.service_card(ctx.content.catalogue, arg, today=ctx.today)
        if card is None:
            return _unknown_content(ctx)
        return _leave_flow_for(ctx, card, Match(MatchKind.SERVICE, arg), (Event("service_viewed", (("service", arg),)),))
    if p.kind == "sf":
        out = _answer_facet(ctx, arg, p.args[1], score=None)
        return _unknown_content(ctx) if out is None else out
    if p.kind == "cat":
        return _leave_flow_for(ctx, cat.browse_root(ctx.content.catalogue), Match(MatchKind.MENU, "cat"))
    if p.kind == "ev":
        reply = cat.by_life_event(ctx.content.catalogue, arg)
        return _unknown_content(ctx) if reply is None else _leave_flow_for(ctx, reply, Match(MatchKind.MENU, f"ev-{arg}"))
    if p.kind == "sec":
        reply = cat.by_sector(ctx.content.catalogue, arg)
        return _unknown_content(ctx) if reply is None else _leave_flow_for(ctx, reply, Match(MatchKind.MENU, f"sec-{arg}"))
    if p.kind == "fy":
        return _out(ctx, Reply(ctx.text("feedback_yes_thanks"), (texts.MAIN_MENU_BUTTON,)), Match(MatchKind.MENU),
                    events=(Event("feedback_yes", (("entry", arg),)),))
    if p.kind == "fn":
        data = (("entry", arg), ("question", session.last_question or ""))
        return _out(ctx, Reply(ctx.text("feedback_no_thanks"), (texts.HANDOFF_BUTTON, texts.MAIN_MENU_BUTTON)),
                    Match(MatchKind.MENU), events=(Event("feedback_no", data),))
    if p.kind == "c":
        return _on_control(ctx, arg)
    if p.kind in ("dy", "dn"):
        return _guide_done(ctx, arg, done=p.kind == "dy")
    return _unknown_content(ctx)


def _guide_done(ctx: _Ctx, flow_id: str, *, done: bool) -> _Out:
    """The answer to «Bạn đã làm xong chưa?»: a yes is a self-reported completion (the shell counts it)."""
    if ctx.content.flows.get(flow_id) is None:
        return _unknown_content(ctx)
    if done:
        return _out(ctx, Reply(texts.GUIDE_DONE_THANKS, texts.MAIN_MENU), Match(MatchKind.MENU, f"done-{flow_id}"),
                    events=(Event("guide_done", (("flow", flow_id),)),))
    buttons = (Button(texts.RESTART.label, payloads.make("f", flow_id)), texts.HANDOFF_BUTTON, texts.MAIN_MENU_BUTTON)
    return _out(ctx, Reply(texts.GUIDE_NOT_DONE, buttons), Match(MatchKind.MENU, f"notdone-{flow_id}"),
                events=(Event("guide_not_done", (("flow", flow_id),)),))


def _on_control(ctx: _Ctx, name: str) -> _Out:
    session = ctx.session
    flows = ctx.content.flows
    if name == "back" and session.flow:
        return _flow_out(ctx, engine.back(flows, session.flow, now_iso=ctx.now_iso))
    if name == "restart" and session.flow:
        return _flow_out(ctx, engine.restart(flows, session.flow, now_iso=ctx.now_iso))
    if name == "resume":
        pos = session.flow or session.paused_flow
        if pos is not None:
            shown = engine.show(flows, pos, now_iso=ctx.now_iso)
            if shown is not None:
                return _flow_out(ctx, shown)
        return _menu(ctx)
    if name == "exit":
        left = Session(last_answer=session.last_answer, last_question=session.last_question)
        reply = Reply(ctx.text("exit_done") + " " + ctx.text("menu"), texts.MAIN_MENU)
        events = (Event("flow_left", (("flow", session.flow.flow),)),) if session.flow else ()
        return _Out((reply,), Match(MatchKind.MENU), left, events)
    if name == "handoff":
        reply = Reply(
            ctx.text("handoff") + "\n\n" + texts.SOURCE_LINE.format(source=ctx.text("handoff_source"), reviewed="11/2026"),
            (texts.MAIN_MENU_BUTTON,),
        )
        data = (("question", session.last_question or ""), ("reason", "asked"))
        return _out(ctx, reply, Match(MatchKind.HANDOFF), events=(Event("handoff_requested", data),))
    if name == "privacy":
        return _out(ctx, Reply(ctx.text("privacy"), (texts.DELETE_MINE, texts.MAIN_MENU_BUTTON)), Match(MatchKind.MENU, "privacy"))
    if name == "delete":
        reply = Reply(ctx.text("delete_done"), (texts.MAIN_MENU_BUTTON,))
        return _Out((reply,), Match(MatchKind.MENU, "privacy"), Session(), (Event("privacy_delete"),),
                    delete_user_data=True)
    # back/restart outside a flow, or an unknown control word: the menu.
    return _menu(ctx)


# --- Free text ----------------------------------------------------------------------------------


def _on_question(ctx: _Ctx, text: str) -> _Out:
    decision = _scam_first(ctx, text, ctx.content.matcher.decide(text, today=ctx.today))
    reading = read(text)
    if decision.outcome == "answer" and decision.candidates and decision.candidates[0].kind == "faq" \
            and _other_facet(ctx, decision.candidates[0].key, reading):
        # The best item answers one facet (the card's fee) and the question asks others only
        # («mất chứng minh thư thì làm lại ở đâu, mất bao lâu»): not sure enough to assert it.
        decision = Decision("clarify", decision.candidates)
    orig = ctx
    s = ctx.session
    # A question in the middle of a flow pauses it; the answer offers to continue.
    session = replace(s, last_question=text, flow=None, paused_flow=s.flow or s.paused_flow)
    ctx = replace(ctx, session=session)
    faceted = _facet_first(ctx, text, reading, decision)
    if faceted is not None:
        return _offer_resume(orig, _also_asked(ctx, text, reading, faceted))
    if decision.outcome == "clarify" and (one := _facet_entry(ctx, text, reading, decision)) is not None:
        out = _open_candidate(ctx, one)
        if out is not None:
            return _offer_resume(orig, out)
    if decision.outcome == "answer" and decision.candidates:
        top = _prefer_guide(ctx, text, decision.candidates)
        out = _open_candidate(ctx, top)
        if out is not None:
            if top.kind == "service" and (svc := ctx.content.catalogue.get(top.key.partition(":")[2])):
                out = _say_missing(ctx, svc, reading, (), out) or out
                if _card_misses_the_point(reading):
                    out = _tentative(ctx, text, out) or out
            return _offer_resume(orig, _also_asked(ctx, text, reading, out))
    if decision.outcome in ("answer", "clarify"):
        guide = _common_guide(ctx, decision.candidates)
        # Unsure between answers that all belong to one guide ("có người xưng công an bắt cài
        # ứng dụng, gửi ảnh căn cước…"): the guide's questions sort it out.
        started = _start_guide(ctx, guide, _round(decision.candidates[0].score)) if guide else None
        if started is not None:
            return _offer_resume(orig, started)
        if decision.outcome == "clarify" and _names_nothing_of_ours(ctx, text, reading):
            return _offer_resume(orig, _out_of_scope_reply(ctx, text, decision.candidates[0]))
        service = asking.asked_service(ctx.content.catalogue, decision.candidates, reading)
        asked = ctx.content.matcher.asked_topics(text)
        if service is not None and not ctx.content.matcher.about(f"service:{service}", asked):
            service = None  # not the question's own service: about another object
        own = Button(svc.title, payloads.make("s", svc.id)) if service and (svc := ctx.content.catalogue.get(service)) \
            else None
        buttons = asking.distinct_options(_plausible(ctx, asked, decision.candidates),
                                          lambda c: _candidate_button(ctx, c), first=own)
        if buttons and reading.long:
            # A long question the items leave unsure: the first option is shown, offered under the
            # line saying the bot is not sure, with the other options beside it; typed at length,
            # a question deserves the likely answer, not one more menu to read first.
            previewed = _preview(ctx, text, buttons, _round(decision.candidates[0].score))
            if previewed is not None:
                return _offer_resume(orig, previewed)
        if buttons:
            top = decision.candidates[0]
            reply = Reply(ctx.text("clarify"), (*buttons[:3], texts.MAIN_MENU_BUTTON))
            keys = ",".join(c.key for c in decision.candidates)
            out = _out(ctx, reply, Match(MatchKind.CLARIFY, None, _round(top.score)),
                       events=(Event("clarify_offered", (("question", text), ("candidates", keys))),))
            return _offer_resume(orig, out)
    # "báo lỗi", "ko vào dc": the guide's first step asks what is wrong.
    guide = ctx.content.flows.vague_guide(text)
    started = _start_guide(ctx, guide, None) if guide else None
    if started is not None:
        return _offer_resume(orig, started)
    best = decision.candidates[0] if decision.candidates else None
    if _out_of_scope(ctx, text, reading, best, decision.candidates):
        return _offer_resume(orig, _out_of_scope_reply(ctx, text, best))
    guessed = _topic_guess(ctx, text, reading)
    if guessed is not None:
        return _offer_resume(orig, guessed)
    # A story that matched nothing: not «ask shorter» alone, since it may be another matter entirely.
    reply = Reply(ctx.text("fallback_long" if reading.long and reading.asks else "fallback"),
                  (*texts.MAIN_MENU[:4], texts.HANDOFF_BUTTON))
    data = (("question", text), ("best", best.key if best else ""), ("score", f"{best.score:.3f}" if best else ""))
    out = _out(ctx, reply, Match(MatchKind.FALLBACK, None, _round(best.score) if best else None),
               events=(Event("fallback", data),))
    return _offer_resume(orig, out)


#: Folded cues of someone posing as the police or a stranger reaching out: a procedure asked
#: about in such a message («có anh xưng công an hẹn làm mức 2 cho em qua video call») is the bait.
#: A stranger only when reaching out or sent something: «người lạ đến ở nhờ» asks the stay notice.
_SCAM_CUES: Final = (" xung cong an ", " xung la cong an ", " tu xung ", " tu nhan la cong an ", " gia danh ",
                     " gia cong an ", " cong an gia ", " video call ", " goi video ", " link la ",
                     " nguoi la goi ", " nguoi la nhan ", " nguoi la gui ", " nguoi la doi ", " nguoi la hoi ",
                     " nguoi la ket ban ", " nguoi la xin ", " gui cho nguoi la ", " gui nguoi la ")
#: The FAQ tag of the scam warnings, and the scam guide.
_SCAM_TAG: Final = "lua_dao"
_SCAM_FLOW: Final = "scam"
#: How many items are looked through for a scam warning.
_SCAM_DEPTH: Final = 10


def _is_scam_item(ctx: _Ctx, c: Candidate) -> bool:
    """True for the scam guide or an FAQ entry tagged as a scam warning (:data:`_SCAM_TAG`)."""
    if c.kind == "flow":
        return c.key.partition(":")[2].split("/", 1)[0] == _SCAM_FLOW
    entry = ctx.content.faq.get(c.key.partition(":")[2]) if c.kind == "faq" else None
    return entry is not None and _SCAM_TAG in entry.tags


def _scam_first(ctx: _Ctx, text: str, decision: Decision) -> Decision:
    """``decision``, or, for a message telling of someone posing as the police or a stranger
    (:data:`_SCAM_CUES`) whose best item is one of our procedures, the best scam warning among the
    items (the scam guide when none is): the procedure named is the bait, the warning the answer.
    Unsure only between scam warnings, the best one is answered."""
    if decision.outcome == "clarify" and decision.candidates \
            and all(_is_scam_item(ctx, c) for c in decision.candidates):
        # unsure only between scam warnings: the best one, given plainly (a warning a little off
        # the case still warns; a menu first delays it)
        return Decision("answer", decision.candidates)
    reading = read(text)
    # a long message: in its question sentences (a stranger in the story may be background)
    padded = f" {chat_fold(reading.focus if reading.long else text)} "
    if not any(c in padded for c in _SCAM_CUES):
        return decision
    if decision.candidates and (_is_scam_item(ctx, decision.candidates[0])
                                or decision.candidates[0].kind == "offtopic"):
        # a warning already, or another matter the bot declines (money sent to a stranger's
        # bank account by mistake)
        return decision
    found = ctx.content.matcher.search(text, today=ctx.today, k=_SCAM_DEPTH)
    scam = next((c for c in found if _is_scam_item(ctx, c)), None)
    if scam is None and ctx.content.flows.get(_SCAM_FLOW) is not None:
        scam = Candidate(f"flow:{_SCAM_FLOW}", "flow", decision.candidates[0].score if decision.candidates else 0.0)
    if scam is None:
        return decision
    return Decision("answer", (scam, *(c for c in decision.candidates if c.key != scam.key)))


#: Objects (:data:`faq.topics.TOPICS`) that are the paper or register of our own procedures, so a
#: long question naming one and no other is about one of them even when no item matched it.
#: Not land, tax, social insurance, marriage or health insurance: their disputes, benefits and
#: divorces are asked far more often than their registration, and are not ours.
_SERVICE_OBJECTS: Final = frozenset({
    "id_card", "passport", "birth", "death", "permanent_residence", "temporary_residence", "temporary_absence",
    "stay_notice", "driving_licence", "vehicle", "traffic_fine", "unemployment", "criminal_record",
})


#: Objects whose disputes and benefits are asked more often than their papers, but whose paper
#: lost, copied or written wrong (:data:`_PAPER_CASES`) is one of our procedures: a marriage
#: certificate, a land-use certificate.
_PAPER_OBJECTS: Final = frozenset({"marriage", "land"})
_PAPER_CASES: Final = frozenset({"lost", "copy", "wrong_info"})


#: How many items are looked through to break a tie between services in :func:`_topic_guess`.
_GUESS_DEPTH: Final = 20


def _topic_guess(ctx: _Ctx, text: str, reading: Reading) -> _Out | None:
    """A question no item matched, naming exactly one object of our procedures (a long one in its
    question sentences: «… có bị xóa hộ khẩu không?»; a marriage or land paper only when lost,
    copied or written wrong; the app's account named beside a paper does not count): that
    procedure's situation told or facet asked, else its card, offered under the line saying the bot
    is not sure (:func:`_tentative`, a "did you mean" for the inbox) rather than «not understood».
    None for a message that asks nothing, or names no such object, several, or one no single service
    is about (a tie that no item of only one of them breaks)."""
    if not reading.asks:
        return None
    matcher = ctx.content.matcher
    asked = narrowed(matcher.asked_topics(text) if reading.long else topics_in(text))
    if len(asked) > 1 and "account" in asked:
        # the app's account named in passing beside a paper («tôi đã có tài khoản VNeID»): the paper
        asked = asked - {"account"}
    if len(asked) != 1 or not (asked <= _SERVICE_OBJECTS or (
            asked <= _PAPER_OBJECTS and any(k in _PAPER_CASES for k in reading.situations))):
        return None
    (topic,) = asked
    # the services about that object, those about it alone first (the card's own procedure, not
    # the tax code updated from it), then the one whose names the message shares the most with
    services = _services_asked(ctx, asked) \
        or [s for s in ctx.content.catalogue.services if topic in matcher.topics_of(f"service:{s.id}")]
    if not services:
        return None
    named = _named_most(services, text) if len(services) > 1 else services
    if len(named) > 1:
        # still a tie (the card and the old ID number's confirmation): the one ranked first for the
        # message among the items, however weakly (an item of both tells nothing)
        ids = {s.id for s in named}
        ranked = [mine for c in matcher.search(text, today=ctx.today, k=_GUESS_DEPTH)
                  if len(mine := ids.intersection(asking.services_for_key(ctx.content.catalogue, c.key))) == 1]
        named = [s for s in named if s.id in ranked[0]] if ranked else named
    if len(named) != 1:
        return None
    # the situation told or the facet asked of it, when one is (a marriage certificate written
    # wrong: its correction), else its card
    pick = asking.pick_facet(named[0], text, reading, ctx.today)
    out = _facet_answers(ctx, named[0], pick.keys, None) if pick is not None else None
    return _tentative(ctx, text, out or _service_answer(ctx, named[0].id, reading, None))


#: The least confidence of the other object's item in :func:`_also_asked`.
ALSO_ASKED_MIN: Final = 0.3


def _answered_key(match: Match) -> str | None:
    """The matcher's key of the item a confident reply answers with (``faq:…``, ``service:…``,
    ``flow:…``), or None for any other reply."""
    if match.kind not in (MatchKind.FAQ, MatchKind.SERVICE, MatchKind.FLOW) or not match.id:
        return None
    return f"{match.kind.value}:{match.id.partition('/')[0]}"


def _also_asked(ctx: _Ctx, text: str, reading: Reading, out: _Out) -> _Out:
    """``out``, a confident answer to a long question asking of two objects named side by side
    («sổ hộ khẩu và giấy chứng minh của tôi bị mất, làm ở tỉnh khác được không»: the card's
    re-issue), with a second reply on the other: the first paragraph of the best FAQ item about it
    and not about the object answered, for the words naming it (and its loss, when one is told),
    with its button. Unchanged when the question asks of one object or of more than two, or when
    no such item is close enough (:data:`ALSO_ASKED_MIN`)."""
    key = _answered_key(out.match)
    if key is None or not reading.long or not out.replies:
        return out
    matcher = ctx.content.matcher
    asked = matcher.asked_topics(text) - {"residence"}
    own = matcher.topics_of(key)
    left = asked - own
    if len(asked) != 2 or len(left) != 1 or not own or own.isdisjoint(asked):
        return out
    other = next(iter(left))
    # Asked together: the two named side by side («sổ hộ khẩu và giấy chứng minh bị mất»), not the
    # other one told in passing («có hộ khẩu ở Thanh Hóa … muốn đổi biển số xe»).
    sentences = [words(s) for s in split_sentences(reading.focus)]
    naming = [f" {' '.join(ws)} " for ws in sentences if _side_by_side(ws, own, other)]
    # The other object by the words naming it, and its loss when one is told («sổ hộ khẩu bị mất»):
    # the sentence's other words (where, how long) are asked of the object answered.
    named = " ".join(p for p in TOPICS.get(other, ()) if any(f" {p} " in padded for padded in naming))
    if not named:
        return out
    query = f"{named} bi mat" if "lost" in reading.situations else named
    for c in matcher.search(query, today=ctx.today, k=20):
        if c.score < ALSO_ASKED_MIN:
            break
        entry = ctx.content.faq.get(c.key.partition(":")[2]) if c.kind == "faq" else None
        if entry is None or entry.kind != "faq" or not entry.is_valid_on(ctx.today) \
                or other not in (theirs := matcher.topics_of(c.key)) or not theirs.isdisjoint(own):
            continue
        first = entry.answer.strip().split("\n\n", 1)[0]
        source = texts.SOURCE_LINE.format(source=entry.source, reviewed=entry.reviewed.strftime("%m/%Y"))
        also = Reply(ctx.text("also_asked").format(title=entry.title, answer=first, source=source),
                     (Button(entry.title, payloads.make("q", entry.id)),))
        return replace(out, replies=(*out.replies, also),
                       events=(*out.events, Event("also_answered", (("entry", entry.id),))))
    return out


#: Words joining two papers named together («A và B», «cả A lẫn B», «A cùng B»).
_JOINING: Final = frozenset({"va", "hoac", "lan", "cung", "voi"})
#: Words before a paper's name that its object phrase leaves out («và *sổ* hộ khẩu», «lẫn *cả* bằng lái»).
_PAPER_WORDS: Final = frozenset({"so", "giay", "the", "ca", "to"})


def _side_by_side(ws: Sequence[str], own: frozenset[str], other: str) -> bool:
    """True when words ``ws`` (:func:`faq.normalize.words`) name object ``other`` and one of ``own``
    next to each other, joined by «và», «hoặc», «lẫn», «cùng» or «với» and at most two words of a
    paper's name (:data:`_PAPER_WORDS`); never by nothing: «biển số định danh» is one thing, and the
    words keep no comma to tell «A, B» from it."""
    spans: list[tuple[int, int, str]] = []  # (first word, past the last word, object)
    for obj in (other, *own):
        for phrase in TOPICS.get(obj, ()):
            p = phrase.split()
            spans += [(i, i + len(p), obj) for i in range(len(ws) - len(p) + 1) if list(ws[i:i + len(p)]) == p]
    for a_start, a_end, a in spans:
        for b_start, _b_end, b in spans:
            between = ws[a_end:b_start]
            if a != b and other in (a, b) and 0 < len(between) <= 3 \
                    and all(w in _JOINING or w in _PAPER_WORDS for w in between) \
                    and any(w in _JOINING for w in between):
                return True
    return False


def _out_of_scope_reply(ctx: _Ctx, text: str, best: Candidate | None) -> _Out:
    """The decline of a question outside the bot's scope (text ``out_of_scope``: what it covers and
    who advises instead), with the main topics and the way to a person."""
    reply = Reply(ctx.text("out_of_scope"), (*texts.MAIN_MENU[:3], texts.HANDOFF_BUTTON, texts.MAIN_MENU_BUTTON))
    return _out(ctx, reply, Match(MatchKind.OFFTOPIC, "out_of_scope", _round(best.score) if best else None),
                events=(Event("offtopic", (("entry", "out_of_scope"), ("question", text))),))


def _names_nothing_of_ours(ctx: _Ctx, text: str, reading: Reading) -> bool:
    """True for a long question that names no object of ours (:mod:`faq.topics`: no paper, card,
    register or benefit), no word of the domain (:meth:`Matcher.is_anchored`) and no «giấy tờ»
    (papers, which «giấy tờ cho người mất» or «giấy tờ tùy thân» ask about in everyday words): a rent
    deposit, a school transfer, military service. Left unsure between items that share its everyday
    words, it is declined as outside the bot's scope rather than offered one of them."""
    return reading.long and reading.asks and not topics_in(text) and not ctx.content.matcher.is_anchored(text) \
        and " giay to " not in f" {' '.join(words(text))} "


def _out_of_scope(ctx: _Ctx, text: str, reading: Reading, best: Candidate | None,
                  candidates: tuple[Candidate, ...]) -> bool:
    """True for a long question that matches nothing of ours and names nothing of our domain.

    Such a question (an inheritance, a divorce, a child's fever) is declined as outside the
    bot's scope, saying who can help, instead of "I did not understand, ask shorter".
    """
    if not (reading.long and reading.asks) or ctx.content.matcher.is_anchored(text):
        return False
    if best is not None and best.score >= OUT_OF_SCOPE_BELOW:
        return False
    # A service close enough to be a guess ("mua xe cũ… thủ tục thế nào"): not understood, rather
    # than told it is not ours.
    return not any(
        c.score >= SERVICE_GUESS_MIN and asking.services_for_key(ctx.content.catalogue, c.key) for c in candidates
    )


def _service_answer(ctx: _Ctx, service_id: str, reading: Reading, score: float | None) -> _Out | None:
    """A service asked about in a long question: the facet asked first, then the card.

    When the facet asked (fee, time, documents…) is not on the card, the first line says so
    honestly and points to the procedure page and a person.
    """
    svc = ctx.content.catalogue.get(service_id)
    card = cat.service_card(ctx.content.catalogue, service_id, today=ctx.today)
    if svc is None or card is None:
        return None
    facet = asking.main_facet(reading)
    text = card.text
    buttons = card.buttons
    note = ""
    if facet is not None and not asking.card_covers(svc, facet):
        note = ctx.text("facet_missing").format(facet=asking.FACET_LABELS[facet], service=svc.title)
        text = f"{note}\n\n{text}"
        buttons = _with_handoff(buttons)
    data: tuple[tuple[str, str], ...] = (("service", service_id),)
    if facet is not None:
        data += (("facet", facet),)
    events: tuple[Event, ...] = (Event("service_viewed", data),)
    if note:
        # What the citizen asked and the content lacks goes to the admins' unanswered inbox.
        events += (Event("facet_missing", (*data, ("question", ctx.inbound.text or ""))),)
    return _leave_flow_for(ctx, Reply(text, buttons), Match(MatchKind.SERVICE, service_id, score), events)


#: Facets an FAQ item can be wholly about that another facet's question never wants (a card fee
#: entry for «mất căn cước làm lại ở đâu, mất bao lâu»).
_EXCLUSIVE_FACETS: Final = frozenset({"fee", "time", "documents"})


def _other_facet(ctx: _Ctx, key: str, reading: Reading) -> bool:
    """True when FAQ item ``key`` answers one facet (the fee) and the question asks others only."""
    own = ctx.content.matcher.facet_of(key)
    asked = [f for f in reading.facets if f != "who"]
    return own in _EXCLUSIVE_FACETS and bool(asked) and own not in asked


def _facet_entry(ctx: _Ctx, text: str, reading: Reading, decision: Decision) -> Candidate | None:
    """Of close options, the one FAQ item that answers the one facet asked, or None.

    «Công dân từ đủ 14 tuổi … làm thẻ căn cước. Vậy lệ phí là bao nhiêu?» is as close to the card's
    fee entry as to its age milestones; asked only the fee of the card, the fee entry answers it.
    Only when the question names its object (every option is about it) and one option alone
    answers that facet."""
    asked_facets = {f for f in reading.facets if f != "who"}
    if len(asked_facets) != 1 or not asked_facets <= _EXCLUSIVE_FACETS:
        return None
    matcher = ctx.content.matcher
    objects = matcher.asked_topics(text) if reading.long else narrowed(topics_in(text))
    if not objects:
        return None
    hits = [c for c in decision.candidates if c.kind == "faq" and matcher.facet_of(c.key) in asked_facets]
    if len(hits) != 1 or not matcher.about(hits[0].key, objects):
        return None
    return hits[0]


def _facet_first(ctx: _Ctx, text: str, reading: Reading, decision: Decision) -> _Out | None:
    """The facet or situation asked of a service, answered first (kind ``service``), or None.

    The service is the one a long question is clearly about (:func:`asking.asked_service`), the
    service of a confident answer, or the one whose objects the question names (its question
    sentences for a long one, :func:`_object_service`; the whole text for a short one). What to
    answer is :func:`asking.pick_facet`: a situation whose trigger the message contains, the facet
    asked, or (long messages) the situation told; for a long «how is it done» or «what to prepare»
    with none of these, the filing and preparing facets or the card under an honest first line.
    """
    catalogue = ctx.content.catalogue
    matcher = ctx.content.matcher
    asked = matcher.asked_topics(text)
    if decision.outcome != "answer":
        # Unsure, but the message names one service's situation word for word ("mất cà vẹt xe").
        named = asking.situation_named(catalogue, text, ctx.today)
        # The objects named: a long question's question sentences, a short question's words («thẻ
        # căn cước … in sai quê quán» is about the card, not the birth certificate's hometown).
        where = asked if reading.long else narrowed(topics_in(text))
        if named is not None and (svc_named := catalogue.get(named[0])) is not None \
                and (matcher.about(f"service:{svc_named.id}", where)
                     or _situation_about(svc_named, named[1], where)):
            score = _round(decision.candidates[0].score) if decision.candidates else None
            keys = asking.situation_keys(svc_named, named[1], reading, ctx.today, text)
            return _facet_answers(ctx, svc_named, keys, score)
    if not decision.candidates:
        return None
    top = decision.candidates[0]
    if decision.outcome in ("none", "clarify") and not reading.long and top.kind != "offtopic" \
            and (plain := _plain_option(ctx, text, decision.candidates)) is not None:
        # A short question naming the object of an option's service (the best one's, or of the
        # first option that belongs to a service: the card's age milestones belong to none), and a
        # facet or situation of it, among words the items do not know (places, family: «quê thanh
        # hóa đang ở sg làm hộ chiếu ở đâu»), which keep the match below the bar or leave it unsure
        # between items: that service's facet or situation rather than «not understood» or a menu.
        svc_plain, pick_plain = plain
        return _facet_answers(ctx, svc_plain, pick_plain.keys, _round(top.score))
    if decision.outcome in ("none", "clarify") and not reading.long and top.kind != "offtopic" \
            and (named_short := narrowed(topics_in(text))) \
            and (told_short := _told_answer(ctx, named_short, text, reading, _round(top.score),
                                            asking.SHORT_TOLD_KINDS)) is not None:
        # A short question naming one service's object and telling, by its cue, a situation that
        # changes the procedure or someone abroad, elderly or a child («đăng ký thường trú khi đi du
        # học nước ngoài»), which the items leave unsure (a foreigner's account shares «nước ngoài …
        # thường trú»): that service's situation of that kind.
        return told_short
    if decision.outcome == "none" and top.score < asking.SOLE_SERVICE_MIN:
        # Nothing matches well, but the question sentence may still name one service's object
        # and ask a facet or situation of it («… có cần đăng ký lưu trú cho chị tôi không?»).
        own = _object_service(ctx, asked, reading, text) if reading.long else None
        pick_own = asking.pick_facet(own, text, reading, ctx.today) if own is not None else None
        if own is None or pick_own is None:
            return None
        out = _facet_answers(ctx, own, pick_own.keys, _round(top.score))
        return out if _sure_of_pick(decision, reading, pick_own) else _tentative(ctx, text, out)
    # The objects a short question names (a long one's are ``asked``, from its question sentences).
    objects = narrowed(topics_in(text)) if not reading.long else frozenset()
    top_own = matcher.topics_of(top.key)
    if objects and top.kind != "offtopic":
        # A short question naming one service's situation word for word and the object it is
        # about («tách hộ khẩu … nộp ở đâu»), while the best item is also about objects it does
        # not name (what to bring for level 2, which mentions the old household book): that
        # situation, not the other item.
        hit = asking.situation_named(catalogue, text, ctx.today)
        if hit is not None and (svc_hit := catalogue.get(hit[0])) is not None \
                and (_names_all(ctx, svc_hit, objects) or _situation_about(svc_hit, hit[1], objects)) \
                and (not (top_own and top_own <= objects) or _other_facet(ctx, top.key, reading)
                     or (svc_hit.id not in asking.services_for_key(catalogue, top.key)
                         and _named_at_length(svc_hit, hit[1], text, matcher.phrasings_of(top.key)))):
            return _facet_answers(ctx, svc_hit, asking.situation_keys(svc_hit, hit[1], reading, ctx.today, text),
                                  _round(top.score))
    if objects and decision.outcome == "answer" and top.kind == "faq" and top_own > objects \
            and (told_case := _told_case(ctx, objects, text, reading)) is not None:
        # A short question telling, in a situation's own words, a case of a service about exactly
        # the objects it names («đánh rơi giấy đăng ký xe, xin cấp lại thường cho lâu không»), while
        # the best item is a broader entry about more papers (losing several papers at once): that
        # service's situation.
        own_svc, own_pick = told_case
        return _facet_answers(ctx, own_svc, own_pick.keys, _round(top.score))
    if objects and decision.outcome == "answer" and top.kind != "offtopic" and top_own and reading.situations \
            and (top_own.isdisjoint(objects) or _misses_the_case(ctx, top, top_own, objects, reading)) \
            and (told_out := _told_answer(ctx, objects, text, reading, _round(top.score))) is not None:
        # A short question naming one service's object and telling a situation of it by its cue,
        # while the best item is about other objects only («người già 90 tuổi không đi được làm
        # cccd»: the elderly's help with the app) or misses that case of the object's paper
        # (:func:`_misses_the_case`): that service's one situation of that kind.
        return told_out
    service = asking.asked_service(catalogue, decision.candidates, reading)
    if service is not None and objects and matcher.topics_of(f"service:{service}").isdisjoint(objects):
        # A short question naming its object («đổi thẻ căn cước … bao lâu») is not about the
        # options' service when that service is about none of the objects named (the birth bundle).
        service = None
    if service is None and decision.outcome == "answer":
        found = asking.services_for_key(catalogue, top.key)
        if objects:
            # Never the service of an item about none of the objects a short question names.
            found = tuple(sid for sid in found if not matcher.topics_of(f"service:{sid}").isdisjoint(objects))
        if len(found) > 1 and objects and reading.facets:
            # The best item belongs to several services (the death guide: death registration and
            # the death bundle) and a short question asks a facet of the one whose objects it
            # names («làm giấy khai tử ở đâu»): that one.
            found = tuple(sid for sid in found
                          if (s := catalogue.get(sid)) is not None and _names_all(ctx, s, objects))
        service = found[0] if len(found) == 1 else None
    # A short question asking a facet of the one service whose objects it names, while the best
    # item is also about objects it does not name («thường trú nộp ở đâu» got the birth bundle).
    short_named = service is None and decision.outcome == "answer" and bool(objects) and any(
        f != "who" for f in reading.facets) and not (top_own and top_own <= objects)
    if short_named:
        # ... and names nothing else: a question naming the app's level and health insurance
        # keeps its answer about the app.
        own_services = _services_about(ctx, objects)
        if len(own_services) > 1:
            # Several services about the object named (the card and the old ID number's
            # confirmation): the one whose own name and keywords the question's words are in.
            own_services = _named_most(own_services, text)
        service = own_services[0].id if len(own_services) == 1 else None
    elif service is None and decision.outcome == "answer" and objects and not reading.long \
            and any(f != "who" for f in reading.facets) and not asking.services_for_key(catalogue, top.key) \
            and not any(k in asking.DECISIVE for k in reading.situations):
        # A short question asking a facet of the service whose objects it names, and the best item
        # (in no service) shares nothing with it but the procedure's name and the facet's words
        # («đổi thẻ căn cước mất bao lâu» and the age-milestone entry, asked «… thời hạn bao lâu»);
        # never when a loss or another decisive situation is told (the fee of a lost card).
        own_services = _services_about(ctx, objects)
        if len(own_services) > 1:
            own_services = _named_most(own_services, text)
        if len(own_services) == 1 and _names_and_asks_only(ctx, own_services[0], text, reading, top.key):
            service, short_named = own_services[0].id, True
    svc = catalogue.get(service) if service is not None else None
    if svc is not None and (not matcher.about(f"service:{svc.id}", asked) or (
            decision.outcome != "answer" and matcher.asked_share(f"service:{svc.id}", asked) < SERVICE_FIT_MIN)):
        # A service about another object than the one asked («gia hạn tạm trú» is no birth
        # registration, though an entry of that service shares «quá hạn … bị phạt»); or, unsure,
        # one mostly about other things (a thẻ BHYT question and the birth – residence – BHYT
        # bundle): not that service's answer.
        svc = None
    # Whether the story's service is sure: named by the options, or by the question sentence.
    clear = svc is not None and service is not None and reading.long
    if svc is None and reading.long and decision.outcome != "answer" \
            and not (top.kind == "offtopic" and matcher.about(top.key, asked)):
        # Unsure, but the question sentence names the object of one service («… thì đăng ký
        # thường trú được không, điều kiện là gì?»): the story's service, when a facet or a
        # situation of it is asked (checked below); never instead of a confident answer, nor
        # when the best match is a decline about that same object (a bill too high is the power
        # company's, not the contract's wrong details).
        svc = _object_service(ctx, asked, reading, text)
        clear = svc is not None
    pick: asking.Pick | None = None
    if svc is not None:
        pick = asking.pick_facet(svc, text, reading, ctx.today)
    told_here = [k for k in reading.situations if k in asking.DECISIVE]
    if svc is not None and pick is None and reading.long and decision.outcome != "answer" and told_here \
            and not all(asking.covers_situation(svc, k) for k in told_here):
        # The options' service cannot handle the late or lost paper told; another service whose
        # objects the question names can («sổ tạm trú quá hạn … thu chứng minh thư»).
        other_svc = _object_service(ctx, asked, reading, text)
        if other_svc is not None and other_svc.id != svc.id:
            svc, pick = other_svc, asking.pick_facet(other_svc, text, reading, ctx.today)
    if svc is None and reading.long and decision.outcome == "clarify":
        # Unsure and no clear service, but a late or lost paper is told: the service among the
        # options, about the object asked, that handles it («chưa đăng ký khai tử» → death
        # registration's late case).
        other = _service_for_situation(ctx, text, decision.candidates, reading, asked)
        if other is not None:
            svc, pick = other
    if svc is None:
        return None
    if pick is not None and pick.keys == ("who",) and reading.long and _several_asked(ctx, asked):
        # «Must I» asked of the objects of two services («lưu trú» and «tạm vắng»): who must do
        # one of them would answer half of it.
        return None
    unsure = reading.long and decision.outcome != "answer"
    if pick is None:
        told = [k for k in reading.situations if k in _CHANGES_PROCEDURE]
        if (decision.outcome == "clarify" and top.score >= matcher.clarify_threshold
                and (reading.facets or reading.situations)
                and all(asking.covers_situation(svc, k) for k in told)
                and asking.all_of_service(catalogue, decision.candidates, svc.id)):
            # Every option is this service: its card, saying honestly when the facet asked is missing.
            return _maybe(ctx, text, unsure, _service_answer(ctx, svc.id, reading, _round(top.score)))
        missing = [f for f in reading.facets if f in _PLAIN_FACETS and not asking.card_covers(svc, f)]
        if clear and service is not None and missing and not told and not reading.asks_how \
                and matcher.asked_share(f"service:{svc.id}", asked) >= SERVICE_FIT_MIN \
                and asking.services_for_key(catalogue, top.key) == (svc.id,) \
                and (decision.outcome != "answer" or asking.is_main_entry(svc, top.key)):
            # Sure of the story's service (its own items lead the options), and the question asks
            # what to prepare or where, which it has nothing on: its card under an honest line.
            return _maybe(ctx, text, unsure, _service_answer(ctx, svc.id, reading, _round(top.score)))
        # Sure when the question sentences name the procedure by its title («thủ tục đăng ký kết
        # hôn lại như thế nào») and the items offer something: how it is done is what they ask.
        titled = clear and reading.asks_how and _titled(svc, reading.focus)
        if clear and (decision.outcome == "clarify" or (titled and decision.outcome == "none")) \
                and reading.asks_how \
                and all(asking.covers_situation(svc, k) for k in told):
            # Unsure of the items, but sure of the story's service, and the question asks how it
            # is done: how to file it online and what to prepare, when it has both; else its card.
            have = svc_facets.available_facets(svc, ctx.today)
            if all(f in have for f in asking.HOW_FACETS):
                # (offered only, when no item matched at all: «khai sinh có yếu tố nước ngoài»)
                sure = decision.outcome == "clarify" and (titled or _only_this_service(ctx, decision, svc, asked))
                return _maybe(ctx, text, unsure and not sure,
                              _facet_answers(ctx, svc, asking.HOW_FACETS, _round(top.score)))
            return _maybe(ctx, text, unsure, _service_answer(ctx, svc.id, reading, _round(top.score)))
        return None
    # A confident answer from a specific entry ("đổi thẻ theo mốc tuổi") is kept unless the
    # message names one of the service's situations outright; a general one gives way.
    if decision.outcome == "answer" and pick.how != "trigger" and not asking.is_main_entry(svc, top.key) \
            and not short_named:
        return None
    out = _facet_answers(ctx, svc, pick.keys, _round(top.score))
    if pick.how == "facet":
        out = _say_missing(ctx, svc, reading, pick.keys, out)
    if _sure_of_pick(decision, reading, pick) or (
            pick.how == "facet" and _only_this_service(ctx, decision, svc, asked)):
        return out
    return _tentative(ctx, text, out)


def _services_about(ctx: _Ctx, objects: frozenset[str]) -> list[Service]:
    """The services about exactly ``objects`` (:meth:`faq.matcher.Matcher.topics_of`), in catalogue order."""
    return [s for s in ctx.content.catalogue.services if ctx.content.matcher.topics_of(f"service:{s.id}") == objects]


def _told_case(ctx: _Ctx, objects: frozenset[str], text: str, reading: Reading) -> tuple[Service, asking.Pick] | None:
    """(service, pick) for the one service about exactly ``objects`` whose situation the message
    tells by that situation's trigger (of two about the card, the one whose trigger it holds), or None."""
    found = []
    for svc in _services_about(ctx, objects):
        pick = asking.pick_facet(svc, text, reading, ctx.today)
        if pick is not None and pick.how == "trigger":
            found.append((svc, pick))
    return found[0] if len(found) == 1 else None


def _only_this_service(ctx: _Ctx, decision: Decision, svc: Service, asked: frozenset[str]) -> bool:
    """True when every option is ``svc`` (its card, guide or FAQ entries) and the question sentences
    name its objects and no other («… muốn nhận tiền thất nghiệp thì nộp hồ sơ ở đâu?»): the items are
    unsure of the wording, not of the service, so the facet asked of it may be answered.

    Measured before adopting it (today's code, facet picks on unsure long questions): on the real
    question sets 1-10 and the dev set, 5 declined became correct and none wrong; on the content of
    the day each of batches 2-10 was collected (:mod:`bot.eval_unseen`), 2 and none wrong."""
    return asking.all_of_service(ctx.content.catalogue, decision.candidates, svc.id) and bool(asked) \
        and asked <= ctx.content.matcher.topics_of(f"service:{svc.id}") | {"residence"}


def _plainly_named(ctx: _Ctx, text: str, top: Candidate, *, exact: bool = False) -> tuple[Service, asking.Pick] | None:
    """(service, pick) for a short question naming the objects of the one service of item ``top``
    whose objects include them all (are exactly them, when ``exact``: an option after the best,
    which must not be a service that merely also touches them, such as the death bundle's removal
    of a residence), and a facet or situation of it (:func:`asking.pick_facet`)."""
    objects = narrowed(topics_in(text))
    if not objects or top.score < _PLAIN_MIN:
        return None
    matcher = ctx.content.matcher
    found = [sid for sid in asking.services_for_key(ctx.content.catalogue, top.key)
             if (objects == matcher.topics_of(f"service:{sid}") if exact
                 else objects <= matcher.topics_of(f"service:{sid}"))]
    if not found and not exact and not asking.services_for_key(ctx.content.catalogue, top.key) \
            and objects <= matcher.topics_of(top.key):
        # The best item belongs to no service (filing residence online, for any kind of it): the
        # one service about exactly the objects named («nộp thường trú trên vneid mấy ngày có kết quả»).
        found = [s.id for s in _services_about(ctx, objects)]
    svc = ctx.content.catalogue.get(found[0]) if len(found) == 1 else None
    if svc is None:
        return None
    pick = asking.pick_facet(svc, text, read(text), ctx.today)
    return (svc, pick) if pick is not None else None


def _plain_option(ctx: _Ctx, text: str, candidates: Sequence[Candidate]) -> tuple[Service, asking.Pick] | None:
    """:func:`_plainly_named` of the first option that gives one: the best one, or a later one
    whose service is about exactly the objects named."""
    for n, c in enumerate(candidates):
        if c.kind != "offtopic" and (plain := _plainly_named(ctx, text, c, exact=n > 0)) is not None:
            return plain
    return None


#: The least confidence of the best item for :func:`_plainly_named`.
_PLAIN_MIN: Final = 0.08


#: Situations a short question's best item must be asked with to answer it: those that change the
#: procedure, someone abroad («giấy khai sinh của bé mang qua Nhật du học»), someone else doing it.
_MISSED_CASES: Final = frozenset({*asking.DECISIVE, "abroad", "proxy"})


def _misses_the_case(ctx: _Ctx, top: Candidate, top_own: frozenset[str], objects: frozenset[str],
                     reading: Reading) -> bool:
    """True when FAQ item ``top``, about (at least) the papers a short question names, is never asked
    with the situation the question tells that it must answer (:data:`_MISSED_CASES`: «thẻ bảo hiểm y
    tế của con bị in nhầm tên đệm», wrong information, and the item says how long the child's card
    lasts; «giấy khai sinh của bé mang qua Nhật», someone abroad, and the item is the child's ID
    number), and answers no facet asked («đánh rơi căn cước, cấp lại tốn bao nhiêu»: the card's fee
    entry is the point)."""
    matcher = ctx.content.matcher
    told = [k for k in reading.situations if k in _MISSED_CASES]
    return top.kind == "faq" and objects <= top_own and bool(told) \
        and matcher.facet_of(top.key) not in reading.facets \
        and not any(k in situations_in(p) for p in matcher.phrasings_of(top.key) for k in told)


def _told_answer(ctx: _Ctx, objects: frozenset[str], text: str, reading: Reading, score: float | None,
                 kinds: Collection[str] | None = None) -> _Out | None:
    """The answer of the one service about exactly ``objects`` (the one whose name the words are in,
    of several) with its situation of the first kind the question tells (of ``kinds``, when given),
    or None; of several of that kind, the one the question's words single out (:func:`asking.one_of_kind`)."""
    matcher = ctx.content.matcher
    own = _services_about(ctx, objects)
    if len(own) > 1:
        own = _named_most(own, text)
    if len(own) != 1:
        return None
    svc = own[0]
    told_kinds = [k for k in reading.situations if kinds is None or k in kinds]
    told = asking.one_of_kind(svc_facets.available_situations(svc, ctx.today), told_kinds,
                              text=text, naming=asking.naming_words(svc))
    if told is None:
        return None
    return _facet_answers(ctx, svc, asking.situation_keys(svc, told.id, reading, ctx.today), score)


def _names_and_asks_only(ctx: _Ctx, svc: Service, text: str, reading: Reading, key: str) -> bool:
    """True when a short question shares with item ``key`` nothing but words naming ``svc`` and the
    facet cues it asks («đổi thẻ căn cước mất bao lâu» and the age-milestone entry, asked «thẻ căn
    cước có thời hạn bao lâu»): the item matched on the procedure's name and «bao lâu», not on
    what it is about, so the facet asked of the service answers instead."""
    naming = {w for k in (svc.name, svc.title, *svc.keywords) for w in words(k)}
    # the asked facets' own phrases only («mất bao lâu», not «mất thẻ»)
    rest = {w for w in asking.without_cues(words(text), reading.facets)
            if w != "|" and w not in naming and not is_stopword(w)}
    theirs = {w for p in ctx.content.matcher.phrasings_of(key) for w in words(p)}
    return not (rest & theirs)


def _say_missing(ctx: _Ctx, svc: Service, reading: Reading, shown: tuple[str, ...], out: _Out | None) -> _Out | None:
    """``out`` (facets ``shown`` of ``svc`` answered, or its whole card when none) under the honest
    line that the content lacks another facet asked («đổi bằng lái online cần giấy khám sức khỏe không»: no documents facet), with the
    way to a person; the question goes to the admins' unanswered inbox (``facet_missing``)."""
    have = set(svc_facets.available_facets(svc, ctx.today))
    if not shown:  # the whole card: what it says itself
        have = {f for f in _NOTED_FACETS if asking.card_covers(svc, f)}
    missing = [f for f in reading.facets if f in _NOTED_FACETS and f not in have and f not in shown]
    if out is None or not out.replies or not missing:
        return out
    facet = missing[0]
    note = ctx.text("facet_missing").format(facet=asking.FACET_LABELS[facet], service=svc.title)
    first, *rest = out.replies
    data = (("service", svc.id), ("facet", facet), ("question", ctx.inbound.text or ""))
    return replace(out, replies=(replace(first, text=f"{note}\n\n{first.text}", buttons=_with_handoff(first.buttons)),
                                 *rest),
                   events=(*out.events, Event("facet_missing", data)))


def _with_handoff(buttons: tuple[Button, ...]) -> tuple[Button, ...]:
    """``buttons`` with «Gặp người hỗ trợ» before the last one (the menu), once."""
    if texts.HANDOFF_BUTTON in buttons:
        return buttons
    return (*buttons[:-1], texts.HANDOFF_BUTTON, buttons[-1]) if buttons else (texts.HANDOFF_BUTTON,)


#: Facets whose absence is said when another facet of the service is answered instead.
_NOTED_FACETS: Final = ("documents", "fee", "time")


#: How a pick must have been found for a long question the items leave unsure («did you mean»,
#: or nothing) to be answered with its service anyway: a situation named word for word or a
#: decisive one told (a loss, a late registration…). A facet asked («bao lâu», «ở đâu») or the
#: whole card is not enough. Measured with today's code on the content of the day each of the real
#: question batches 6-9 was collected (so none of them had been looked at: 82 in-scope questions):
#: upgrading on a facet or to the card gave 29 correct and 21 wrong; on these two only, 26 and 11.
_UNSURE_HOW: Final = frozenset({"trigger", "told"})


def _maybe(ctx: _Ctx, text: str, unsure: bool, out: _Out | None) -> _Out | None:
    """``out`` as it is, or as a tentative answer (:func:`_tentative`) when ``unsure``."""
    return _tentative(ctx, text, out) if unsure else out


def _tentative(ctx: _Ctx, text: str, out: _Out | None) -> _Out | None:
    """A service's answer to a long question the items left unsure, offered, not asserted: under a
    line saying the bot is not sure it understood, with the way to other topics and to a person,
    as a "did you mean" (kind ``clarify``, recorded as one for the admins' inbox)."""
    if out is None or not out.replies:
        return out
    first, *rest = out.replies
    # a way to a person, then back to the menu, after the answer's own buttons
    ours = (texts.HANDOFF_BUTTON.payload, texts.MAIN_MENU_BUTTON.payload)
    own = tuple(b for b in first.buttons if b.payload not in ours)
    buttons = (*own, texts.HANDOFF_BUTTON, texts.MAIN_MENU_BUTTON)
    reply = replace(first, text=f"{ctx.text('unsure_preview')}\n\n{first.text}", buttons=buttons)
    offered = f"{out.match.kind.value}:{out.match.id}" if out.match.id else out.match.kind.value
    events = (*out.events, Event("clarify_offered", (("question", text), ("candidates", offered))))
    return replace(out, replies=(reply, *rest), match=Match(MatchKind.CLARIFY, None, out.match.score), events=events)


#: Folded cues of a question asking a reason («vì sao biển số tứ quý không được định danh»).
_WHY_CUES: Final = (" vi sao ", " tai sao ", " ly do gi ", " sao lai ")


def _card_misses_the_point(reading: Reading) -> bool:
    """True when a service's whole card, matched with confidence, is still not what was asked: a
    long question (a story and its point: must I, is it legal, is it true that…; no item matched a
    facet or situation of it) or one asking why. The card says how the procedure is done, never
    why or whether; offered under the not-sure line instead (:func:`_tentative`)."""
    return reading.long or any(c in f" {fold(reading.focus)} " for c in _WHY_CUES)


def _plausible(ctx: _Ctx, asked: frozenset[str], candidates: tuple[Candidate, ...]) -> tuple[Candidate, ...]:
    """The options worth offering for a long question naming its objects (``asked``, from
    :meth:`Matcher.asked_topics`): not an item about other objects only (marriage registration for
    a question about getting the card); all of them when that would leave none."""
    matcher = ctx.content.matcher
    if not asked:
        return candidates
    kept = tuple(c for c in candidates if not (own := matcher.topics_of(c.key)) or own & asked)
    return kept or candidates


def _preview(ctx: _Ctx, text: str, options: list[Button], score: float | None) -> _Out | None:
    """The first "did you mean" option (an FAQ entry or a service card) answered tentatively
    (:func:`_tentative`), the other options as its first buttons; None for a guide or an unknown one."""
    first, others = options[0], options[1:3]
    prefix, _, ident = first.payload.partition("-")
    kind = {"q": "faq", "s": "service"}.get(prefix)
    if kind is None:
        return None
    out = _tentative(ctx, text, _open_candidate(ctx, Candidate(f"{kind}:{ident}", kind, score or 0.0)))
    if out is None or not out.replies:
        return None
    head, *rest = out.replies
    ours = {b.payload for b in (*others, texts.HANDOFF_BUTTON, texts.MAIN_MENU_BUTTON)}
    # the other options, then the first of the answer's own buttons, then a person and the menu
    kept = [b for b in head.buttons if b.payload not in ours
            and not b.payload.startswith(_FEEDBACK_PREFIXES)][:_PREVIEW_OWN_BUTTONS]
    buttons = (*others, *kept, texts.HANDOFF_BUTTON, texts.MAIN_MENU_BUTTON)
    return replace(out, replies=(replace(head, buttons=buttons), *rest))


#: How many of a previewed answer's own buttons (its guide, related entries, facets) are kept
#: beside the other options, so that a phone screen shows at most seven.
_PREVIEW_OWN_BUTTONS: Final = 3
#: Payload prefixes of «Đúng ý tôi» / «Chưa đúng»: a guess is judged by picking another option
#: or a person, not by feedback on an answer the bot did not give as one.
_FEEDBACK_PREFIXES: Final = ("fy-", "fn-")


def _sure_of_pick(decision: Decision, reading: Reading, pick: asking.Pick) -> bool:
    """True when ``pick`` may be answered: the items were sure, the question is short, or (long and
    unsure) the pick rests on the situation itself, not on a facet word (:data:`_UNSURE_HOW`)."""
    return decision.outcome == "answer" or not reading.long or pick.how in _UNSURE_HOW


def _named_at_length(svc: Service, situation_id: str, text: str, top_phrasings: Sequence[str]) -> bool:
    """True when a trigger typed in three words or more of the situation is in ``text`` word for
    word («kết hôn lại») and in none of the best item's own phrasings (an entry asked that way is
    the specific answer: «làm căn cước cho con dưới 6 tuổi»); never a loss, since folded «mất» is
    also «mặt» (a side: «chụp 2 mặt căn cước») and «mật»."""
    sit = svc.situation(situation_id)
    if sit is None or sit.kind == "lost":
        return False
    have = words(text)
    theirs = [words(p) for p in top_phrasings]
    return any(len(t.split()) >= 3 and asking.trigger_hit(t, have, exact=True)
               and not any(asking.trigger_hit(t, p, exact=True) for p in theirs) for t in sit.triggers)


def _titled(svc: Service, focus: str) -> bool:
    """True when the question sentences name the service by its own title, word for word («…
    thủ tục đăng ký kết hôn lại như thế nào» names «Đăng ký kết hôn»)."""
    return len(words(svc.title)) >= 2 and asking.trigger_hit(svc.title, words(focus), exact=True)


def _named_most(services: list[Service], text: str) -> list[Service]:
    """Of ``services``, those sharing the most word pairs with ``text`` in their name, title and
    keywords («đổi thẻ căn cước …» → «Cấp lại, đổi thẻ căn cước»); all of them on a tie."""
    asked = set(bigrams(words(text)))
    shared = [len(asked & {p for k in (s.name, s.title, *s.keywords) for p in bigrams(words(k))}) for s in services]
    best = max(shared)
    return [s for s, n in zip(services, shared, strict=True) if n == best]


def _situation_about(svc: Service, situation_id: str, named: frozenset[str]) -> bool:
    """True when a situation's own words are about every object named, though its service is not
    (the unmarried parents' birth registration is about marriage: «không có giấy kết hôn, con mang
    họ cha được không»)."""
    sit = svc.situation(situation_id)
    return sit is not None and bool(named) and named <= _topics_of_text(f"{sit.label}. {sit.text}")


@functools.lru_cache(maxsize=512)
def _topics_of_text(text: str) -> frozenset[str]:
    return narrowed(topics_in(text))


def _names_all(ctx: _Ctx, svc: Service, named: frozenset[str]) -> bool:
    """True when a question names every object ``svc`` is about (and it is about some)."""
    own = ctx.content.matcher.topics_of(f"service:{svc.id}")
    return bool(own) and own <= named


def _services_asked(ctx: _Ctx, asked: frozenset[str]) -> list[Service]:
    """The services all of whose objects are among the objects asked."""
    matcher = ctx.content.matcher
    return [s for s in ctx.content.catalogue.services
            if (own := matcher.topics_of(f"service:{s.id}")) and own <= asked]


def _several_asked(ctx: _Ctx, asked: frozenset[str]) -> bool:
    """True when the objects asked cover those of more than one service."""
    return len(_services_asked(ctx, asked)) > 1


def _object_service(ctx: _Ctx, asked: frozenset[str], reading: Reading | None = None,
                    text: str | None = None) -> Service | None:
    """The one service whose objects a long question all asks («đăng ký thường trú» for
    permanent residence; not the unemployment service, also about social insurance, for a
    question about social insurance alone), or None when there is none or more than one.

    Of several (the card and the old ID number's confirmation, both about the card), the one
    that handles the late or lost paper told, or else the one whose situation ``text`` names."""
    if not asked:
        return None
    found = _services_asked(ctx, asked)
    if reading is None or len(found) < 2:
        return found[0] if len(found) == 1 else None
    told = [k for k in reading.situations if k in asking.DECISIVE]
    if told:
        # Several are named, but the story tells a late or lost paper only one of them handles
        # («sổ tạm trú quá hạn … thu chứng minh thư»: the temporary residence's extension).
        found = [s for s in found if all(asking.covers_situation(s, k) for k in told)]
    elif text is not None:
        # ... or the message names a situation of only one of them, in its own words («đến độ
        # tuổi … phải đi đổi căn cước»: the card's age milestones, not the old ID number).
        picks = [(s, asking.pick_facet(s, text, reading, ctx.today)) for s in found]
        hit = [s for s, p in picks if p is not None and p.how == "trigger"]
        # ... or the story tells a situation only one of them has (living away from where one is
        # registered: the card's «làm ở nơi đang ở», not the old ID number's confirmation).
        found = hit or [s for s, p in picks if p is not None and p.how == "told"] or found
    return found[0] if len(found) == 1 else None


def _service_for_situation(ctx: _Ctx, text: str, candidates: tuple[Candidate, ...], reading: Reading,
                           asked: frozenset[str]) -> tuple[Service, asking.Pick] | None:
    """A service of the options, about an object asked, that handles a decisive situation told
    (a loss, a late registration…), with what of it to answer; or None."""
    told = [k for k in reading.situations if k in asking.DECISIVE]
    if not told:
        return None
    catalogue = ctx.content.catalogue
    seen: set[str] = set()
    for c in candidates:
        for sid in asking.services_for_key(catalogue, c.key):
            other = catalogue.get(sid)
            if sid in seen or other is None:
                continue
            seen.add(sid)
            key = f"service:{sid}"
            if not ctx.content.matcher.about(key, asked) or ctx.content.matcher.asked_share(key, asked) < SERVICE_FIT_MIN \
                    or not any(asking.covers_situation(other, k) for k in told):
                continue
            pick = asking.pick_facet(other, text, reading, ctx.today)
            if pick is not None:
                return other, pick
    return None


def _facet_answers(ctx: _Ctx, svc: Service, keys: tuple[str, ...], score: float | None) -> _Out | None:
    """One or two facets (or a situation) of ``svc`` answered in one reply, each under a heading
    naming the procedure and the facet ("Đăng ký khai tử · Làm trực tiếp ở đâu")."""
    parts: list[str] = []
    shown: list[str] = []
    last: svc_facets.FacetAnswer | None = None
    for key in keys:
        answer = svc_facets.render_facet(svc, key, ctx.today)
        if answer is None:
            continue
        situation = svc.situation(key)
        label = situation.label if situation is not None else svc_facets.facet_labels.get(key, "")  # type: ignore[call-overload]
        body = answer.text
        if situation is not None and not cat.says_where(situation.text):
            # A situation says what to do; where to do it is on the card: one line of it here,
            # unless it names the place itself (the card's channels may not be its route).
            head, sep, source = body.rpartition("\n\nNguồn:")
            body = f"{head}\n{cat.where_line(svc)}{sep}{source}" if sep else f"{body}\n{cat.where_line(svc)}"
        parts.append(f"{svc.title} · {label}\n{body}")
        shown.append(svc_facets.facet_payload(svc.id, key))
        last = answer
    if last is None:
        return None
    buttons = _asked_facets_first(ctx, svc, tuple(b for b in last.buttons if b.payload not in shown), shown)
    events = tuple(Event("facet_viewed", (("service", svc.id), ("facet", k))) for k in keys)
    return _leave_flow_for(ctx, Reply("\n\n".join(parts), buttons), Match(MatchKind.SERVICE, svc.id, score), events)


def _asked_facets_first(ctx: _Ctx, svc: Service, buttons: tuple[Button, ...], shown: Sequence[str]) -> tuple[Button, ...]:
    """``buttons`` under a facet answer with the facets the question asked and the reply does not
    show first («… làm online ở đâu và mất bao lâu» answered with a situation and the time: «Làm
    online ở đâu» leads), still at most :data:`flows.facets.FACET_BUTTONS_MAX` facets."""
    question = ctx.inbound.text or ""
    if not question:
        return buttons
    have = svc_facets.available_facets(svc, ctx.today)
    wanted = [Button(svc_facets.facet_labels[f], svc_facets.facet_payload(svc.id, f)) for f in read(question).facets
              if f in have and svc_facets.facet_payload(svc.id, f) not in shown]
    if not wanted:
        return buttons
    facet_payloads = {svc_facets.facet_payload(svc.id, f) for f in FACET_KEYS}
    taken = {b.payload for b in wanted}
    facets = [*wanted, *(b for b in buttons if b.payload in facet_payloads and b.payload not in taken)]
    rest = [b for b in buttons if b.payload not in facet_payloads]
    return (*facets[:svc_facets.FACET_BUTTONS_MAX], *rest)


def _start_guide(ctx: _Ctx, flow_id: str, score: float | None) -> _Out | None:
    """The first step of a guide, as the answer to a question; None when the guide is gone."""
    outcome = engine.enter(ctx.content.flows, flow_id, None, now_iso=ctx.now_iso)
    if outcome is None:
        return None
    return replace(_flow_out(ctx, outcome), match=Match(MatchKind.FLOW, outcome.ref, score))


def _common_guide(ctx: _Ctx, candidates: tuple[Candidate, ...]) -> str | None:
    """The guide every candidate belongs to (FAQ entries pointing to it, or the guide itself).

    None unless there are at least two candidates and all of them lead to the same guide.
    """
    guides: set[str | None] = set()
    for c in candidates:
        kind, _, ident = c.key.partition(":")
        if kind == "flow":
            guides.add(ident)
        elif kind == "faq":
            entry = ctx.content.faq.get(ident)
            guides.add(entry.flow if entry is not None else None)
        else:
            return None
    if len(candidates) < 2 or len(guides) != 1:
        return None
    (guide,) = guides
    return guide if guide is not None and ctx.content.flows.get(guide) is not None else None


def _prefer_guide(ctx: _Ctx, text: str, candidates: tuple[Candidate, ...]) -> Candidate:
    """For "hướng dẫn … từng bước", start the guide the top FAQ answer points to, when it scores close."""
    top = candidates[0]
    kind, _, ident = top.key.partition(":")
    entry = ctx.content.faq.get(ident) if kind == "faq" else None
    if entry is None or entry.flow is None:
        return top
    folded = f" {fold(text)} "
    if not any(f" {w} " in folded for w in GUIDE_WORDS):
        return top
    guide = next((c for c in candidates if c.key == f"flow:{entry.flow}"), None)
    return guide if guide is not None and guide.score >= top.score - GUIDE_MARGIN else top


def _open_candidate(ctx: _Ctx, c: Candidate) -> _Out | None:
    kind, _, ident = c.key.partition(":")
    score = _round(c.score)
    if kind == "faq":
        entry = ctx.content.faq.get(ident)
        return _answer_faq(ctx, entry, score=score) if entry else None
    if kind == "offtopic":
        entry = ctx.content.faq.get(ident)
        text = entry.answer if entry else ctx.text("offtopic_default")
        return _out(ctx, Reply(text, (texts.MAIN_MENU_BUTTON,)), Match(MatchKind.OFFTOPIC, ident, score),
                    events=(Event("offtopic", (("entry", ident), ("question", ctx.session.last_question or ""))),))
    if kind == "flow":
        return _start_guide(ctx, ident, score)
    if kind == "service":
        card = cat.service_card(ctx.content.catalogue, ident, today=ctx.today)
        if card is None:
            return None
        return _leave_flow_for(ctx, card, Match(MatchKind.SERVICE, ident, score),
                               (Event("service_viewed", (("service", ident),)),))
    return None


def _answer_facet(ctx: _Ctx, service_id: str, key: str, *, score: float | None) -> _Out | None:
    """One facet (``fee``…) or situation of a service answered first; None when it is unknown or expired."""
    svc = ctx.content.catalogue.get(service_id)
    answer = svc_facets.render_facet(svc, key, ctx.today) if svc is not None else None
    if answer is None:
        return None
    events = (Event("facet_viewed", (("service", service_id), ("facet", key))),)
    return _leave_flow_for(ctx, Reply(answer.text, answer.buttons), Match(MatchKind.SERVICE, service_id, score), events)


def _candidate_button(ctx: _Ctx, c: Candidate) -> Button | None:
    kind, _, ident = c.key.partition(":")
    title = ctx.content.title_of(c.key)
    if title is None:
        return None
    prefix = {"faq": "q", "flow": "f", "service": "s"}.get(kind)
    return Button(title, f"{prefix}-{ident}") if prefix else None


def _answer_faq(ctx: _Ctx, entry: FaqEntry, *, score: float | None) -> _Out:
    buttons: list[Button] = []
    if entry.flow and ctx.content.flows.get(entry.flow) is not None:
        buttons.append(Button("Xem các bước", f"f-{entry.flow}"))
    for rid in entry.related:
        rel = ctx.content.faq.get(rid)
        if rel is not None and rel.kind == "faq" and rel.is_valid_on(ctx.today) and len(buttons) < 3:
            buttons.append(Button(rel.title, f"q-{rel.id}"))
    buttons += [
        Button(texts.FEEDBACK_YES, f"fy-{entry.id}"),
        Button(texts.FEEDBACK_NO, f"fn-{entry.id}"),
        texts.MAIN_MENU_BUTTON,
    ]
    source = texts.SOURCE_LINE.format(source=entry.source, reviewed=entry.reviewed.strftime("%m/%Y"))
    reply = Reply(f"{entry.answer.strip()}\n\n{source}", tuple(buttons))
    session = replace(ctx.session, last_answer=entry.id)
    events = (Event("faq_answered", (("entry", entry.id),)),)
    return _leave_flow_for(replace(ctx, session=session), reply, Match(MatchKind.FAQ, entry.id, score), events)


# --- Flows ----------------------------------------------------------------------------------------


def _flow_goto(ctx: _Ctx, flow_id: str, step: str | None) -> _Out:
    flows = ctx.content.flows
    current = ctx.session.flow or ctx.session.paused_flow
    outcome: FlowOutcome | None
    if current is not None and current.flow == flow_id and step is not None:
        outcome = engine.goto(flows, current, step, now_iso=ctx.now_iso)
    else:
        outcome = engine.enter(flows, flow_id, step, now_iso=ctx.now_iso)
    if outcome is None:
        return _unknown_content(ctx)
    return _flow_out(ctx, outcome)


def _flow_out(ctx: _Ctx, outcome: FlowOutcome) -> _Out:
    session = replace(ctx.session, flow=outcome.position, paused_flow=None)
    replies: tuple[Reply, ...] = (outcome.reply,)
    if any(e.name == "flow_finished" for e in outcome.events):
        replies += (_done_question(outcome.ref.partition("/")[0]),)
    return _Out(replies, Match(MatchKind.FLOW, outcome.ref), session, outcome.events)


def _done_question(flow_id: str) -> Reply:
    """Every guide ends by asking whether the citizen got it done (a completion when they say yes)."""
    buttons = (Button(texts.GUIDE_DONE_YES, payloads.make("dy", flow_id)),
               Button(texts.GUIDE_DONE_NO, payloads.make("dn", flow_id)))
    return Reply(texts.GUIDE_DONE_QUESTION, buttons, role=ReplyRole.NOTE)


# --- Menus, notes and helpers ---------------------------------------------------------------------


def _menu(ctx: _Ctx) -> _Out:
    out = _leave_flow_for(ctx, Reply(ctx.text("menu"), texts.MAIN_MENU), Match(MatchKind.MENU))
    return _offer_resume(ctx, out, force=True)


def _welcome(ctx: _Ctx, kind: MatchKind) -> _Out:
    out = _leave_flow_for(ctx, Reply(ctx.text("welcome"), texts.MAIN_MENU), Match(kind))
    return _offer_resume(ctx, _with_privacy(ctx, out), force=True)


def _with_privacy(ctx: _Ctx, out: _Out) -> _Out:
    note = Reply(ctx.text("privacy_line"), (texts.PRIVACY_BUTTON,), role=ReplyRole.NOTE)
    return replace(out, replies=(*out.replies, note))


def _unknown_content(ctx: _Ctx) -> _Out:
    reply = Reply(ctx.text("unknown_content") + " " + ctx.text("menu"), texts.MAIN_MENU)
    return _out(ctx, reply, Match(MatchKind.FALLBACK))


def _leave_flow_for(ctx: _Ctx, reply: Reply, match: Match, events: tuple[Event, ...] = ()) -> _Out:
    """Show something outside the active flow; the flow is kept for resuming."""
    s = ctx.session
    paused = s.flow or s.paused_flow
    return _Out((reply,), match, replace(s, flow=None, paused_flow=paused), events)


def _offer_resume(ctx: _Ctx, out: _Out, *, force: bool = False) -> _Out:
    """Add a "continue the guide" offer (an extra button, never a gate) when a flow is unfinished."""
    pos: FlowPosition | None = out.session.paused_flow
    if pos is None or out.match.kind is MatchKind.FLOW:
        return out
    if not force and ctx.session.flow is None and not _stale(pos, ctx.now):
        # Paused earlier in this conversation and already offered: don't repeat on every answer.
        if ctx.session.paused_flow is not None:
            return out
    flow = ctx.content.flows.get(pos.flow)
    if flow is None:
        return out
    n, total = ctx.content.flows.position_of(pos)
    offer = Reply(ctx.text("resume_offer").format(title=flow.title, n=n, total=total), (texts.RESUME_BUTTON,),
                  role=ReplyRole.RESUME)
    return replace(out, replies=(*out.replies, offer))


def _stale(pos: FlowPosition, now: dt.datetime) -> bool:
    try:
        at = dt.datetime.fromisoformat(pos.at)
    except ValueError:
        return True
    if at.tzinfo is None and now.tzinfo is not None:
        at = at.replace(tzinfo=now.tzinfo)
    return now - at > RESUME_AFTER


def _nav_buttons(ctx: _Ctx) -> tuple[Button, ...]:
    if ctx.session.flow:
        return (texts.RESUME_BUTTON, texts.MAIN_MENU_BUTTON)
    return (texts.MAIN_MENU_BUTTON, texts.HANDOFF_BUTTON)


def _out(ctx: _Ctx, reply: Reply, match: Match, *, events: tuple[Event, ...] = ()) -> _Out:
    return _Out((reply,), match, ctx.session, events)


def _round(score: float) -> float:
    return round(max(0.0, min(1.0, score)), 4)
