"""What a long question is about: the service asked, and "did you mean" options that help.

Pure helpers for :mod:`bot.core.respond`. A long message is read by :func:`faq.understand.read`
(question sentences, facets asked, situations told); here the ranked candidates of the matcher
are tied to the services of the catalogue, so that a story about a lost card with a question at
the end ("Tôi có thể xin cấp lại tại nhà hay không?") is answered as the card service rather than
offered three loosely related buttons, and the buttons that are offered are distinct.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Final, Literal

from bot.core.types import Button
from faq.abbreviations import GENERIC_WORDS
from faq.matcher import Candidate
from faq.normalize import chat_fold, fold, is_stopword, words
from faq.understand import (
    DENY_WORDS,
    FACETS,
    MAT_FACE_BEFORE,
    WANT_VERBS,
    FacetKey,
    Reading,
    asks_proxy,
    facets_in,
    situations_in,
)
from flows.catalogue import Catalogue
from flows.facets import available_facets, available_situations
from flows.schema import Service, Situation

__all__ = [
    "DECISIVE",
    "FACET_LABELS",
    "HOW_FACETS",
    "MAX_FACETS",
    "MAX_OPTIONS",
    "SHORT_TOLD_KINDS",
    "SOLE_SERVICE_MIN",
    "Pick",
    "all_of_service",
    "asked_service",
    "card_covers",
    "covers_situation",
    "distinct_options",
    "is_main_entry",
    "main_facet",
    "naming_words",
    "one_of_kind",
    "pick_facet",
    "services_for_key",
    "situation_keys",
    "situation_named",
    "trigger_hit",
]

#: At most this many "did you mean" options.
MAX_OPTIONS: Final = 3
#: Situations that change the procedure itself (a loss means re-issue or a copy, not a first
#: registration): told in a long message, they come before the facet asked.
DECISIVE: Final = ("lost", "copy", "late", "wrong_info")
#: The least confidence at which the only service among the options counts as the one asked.
SOLE_SERVICE_MIN: Final = 0.1
#: At most this many facets answered at once ("đến cơ quan nào, cần giấy tờ gì?").
MAX_FACETS: Final = 2

#: The facets that answer «how is it done»: where to file it online, and what to prepare.
HOW_FACETS: Final[tuple[FacetKey, ...]] = ("online", "documents")

#: How each facet is named to the citizen ("Tôi chưa có thông tin về {label} …").
FACET_LABELS: Final[dict[FacetKey, str]] = {
    "who": "ai được làm và điều kiện",
    "online": "cách làm trực tuyến",
    "in_person": "nơi nộp hồ sơ trực tiếp",
    "documents": "giấy tờ cần chuẩn bị",
    "fee": "lệ phí",
    "time": "thời hạn giải quyết",
    "result": "kết quả nhận được",
}


def services_for_key(cat: Catalogue, key: str) -> tuple[str, ...]:
    """The services an index key belongs to: the service itself, or those listing its guide or FAQ entry."""
    kind, _, ident = key.partition(":")
    if kind == "service":
        return (ident,) if cat.get(ident) is not None else ()
    return tuple(
        svc.id for svc in cat.services
        if (kind == "faq" and ident in svc.faq) or (kind == "flow" and svc.flow == ident)
    )


def asked_service(cat: Catalogue, candidates: Sequence[Candidate], reading: Reading) -> str | None:
    """The service a long question is clearly about, or None.

    Clear means: among the top three candidates, at least two belong to that service (its card,
    its guide or one of its FAQ entries), or the only candidate does, and the best candidate is
    one of them; or it is the only service among them and the question asks a facet or tells a
    decisive situation. Only long messages are read this way; a short one is answered by its best
    match.
    """
    if not reading.long or not candidates or candidates[0].kind == "offtopic":
        return None
    top = candidates[:MAX_OPTIONS]
    votes = [services_for_key(cat, c.key) for c in top]
    counts: dict[str, int] = {}
    for found in votes:
        for sid in found:
            counts[sid] = counts.get(sid, 0) + 1
    need = 1 if len(top) == 1 else 2
    best = [sid for sid in votes[0] if counts[sid] >= need]
    if best:
        return max(best, key=lambda sid: counts[sid])
    # The only service among the options, when the question says what it asks of a service (a
    # facet) or tells a situation that changes the procedure (a loss, a late registration).
    if len(counts) == 1 and len(votes[0]) == 1 and candidates[0].score >= SOLE_SERVICE_MIN and (
        any(f != "who" for f in reading.facets) or any(k in DECISIVE for k in reading.situations)
    ):
        return votes[0][0]
    return None


#: A trigger typed in at most this many words must occur as a phrase; a longer one may be spread out.
_PHRASE_MAX: Final = 4


@functools.lru_cache(maxsize=8192)
def _trigger_shape(trigger: str) -> tuple[tuple[str, ...], int]:
    """A trigger's normalised words and how many words it was typed in (triggers are content: the
    same few hundred strings on every turn, so they are normalised once)."""
    return tuple(words(trigger)), len(fold(trigger).split())


#: Facets that all ask where or how one gets it (online, at an office, the result by post): one
#: question for :func:`trigger_hit`.
_WHERE_FACETS: Final = frozenset({"online", "in_person", "result"})


def _asked_as(facets: Collection[str]) -> frozenset[str]:
    """Facets as :func:`trigger_hit` compares them: «who» (any must-I) left out, the «where» ones as one."""
    return frozenset("where" if f in _WHERE_FACETS else f for f in facets if f != "who")


@functools.lru_cache(maxsize=8192)
def _trigger_facets(trigger: str) -> frozenset[str]:
    """The facets a trigger itself asks («nhận lý lịch tư pháp ở đâu»: where), see :func:`_asked_as`."""
    return _asked_as(facets_in(trigger))


#: Words after a folded «mat» that make it «mất» of time or money («mất bao lâu», «mất phí», «mất
#: trắng»: all that was paid in) or «mật» («mật khẩu», «mật mã»), not a lost paper.
_MAT_NOT_LOST: Final = frozenset({"bao", "thoi", "phi", "tien", "khau", "ma", "nhieu", "chi", "trang"})
#: ... and «mấy» of time after it («mất mấy ngày»), unlike «mất máy» (a lost phone), which folds alike.
_TIME_UNITS: Final = frozenset({"ngay", "thang", "tuan", "tieng", "gio", "hom", "buoi", "nam", "phut"})


def _lost_mat(text_words: Sequence[str]) -> bool:
    """True when some folded «mat» in the words is not followed by a word of time, money or «khẩu»
    (:data:`_MAT_NOT_LOST`), nor preceded by a word that makes it «mặt» (:data:`~faq.understand.MAT_FACE_BEFORE`)."""
    for i, w in enumerate(text_words):
        if w != "mat" or (i and text_words[i - 1] in MAT_FACE_BEFORE):
            continue
        after = text_words[i + 1 : i + 3]
        if not after:
            return True
        if after[0] in _MAT_NOT_LOST or (after[0] == "may" and len(after) > 1 and after[1] in _TIME_UNITS):
            continue
        return True
    return False


#: Words before a trigger that deny it («loại thường, không cần gắn chip»).
_DENIALS: Final = (("khong", "can"), ("khong", "phai"))
#: How many words after a denial it covers, for a trigger told in its own words.
_DENIED_SPAN: Final = 2


def _negated(tw: Sequence[str], text_words: Sequence[str], at: int) -> bool:
    """True when the trigger ``tw`` found at ``at`` is denied by the words before it, unless the
    trigger itself starts with a denial («không có giấy báo tử»)."""
    if tw[0] == "khong":
        return False
    return any(tuple(text_words[max(0, at - len(d)) : at]) == d for d in _DENIALS)


@functools.lru_cache(maxsize=64)
def _undenied(text_words: tuple[str, ...]) -> frozenset[str]:
    """The words, less the few that a denial right before them covers («không cần gắn chip»); cached,
    as every spread trigger of every situation is checked against the same message."""
    if "khong" not in text_words:
        return frozenset(text_words)
    out: list[str] = []
    skip = 0
    for i, w in enumerate(text_words):
        if skip:
            skip -= 1
            continue
        out.append(w)
        if any(tuple(text_words[max(0, i + 1 - len(d)) : i + 1]) == d for d in _DENIALS):
            skip = _DENIED_SPAN
    return frozenset(out)


def _wants_next(tw: Sequence[str], text_words: Sequence[str], after: int) -> bool:
    """True when a trigger ending in folded «muon» («khai sinh muộn») is followed by a verb in the
    message, so that its «muon» is «muốn» (want): «… khai sinh, muốn sửa tên trên sổ đỏ»."""
    return tw[-1] == "muon" and after < len(text_words) and text_words[after] in WANT_VERBS


def _denied_in(word: str, text_words: Sequence[str]) -> bool:
    """True when ``word`` occurs in ``text_words`` with a denial at most three words before it."""
    return any(w == word and not DENY_WORDS.isdisjoint(text_words[max(0, i - 3):i]) for i, w in enumerate(text_words))


def trigger_hit(trigger: str, text_words: Sequence[str], *, exact: bool = False,
                asked: Collection[str] = ()) -> bool:
    """True when a situation's trigger phrase is in the (normalised) words of a message.

    A trigger typed in up to four words ("mất thẻ căn cước", "mất cccd") must occur as written, so
    that "quên mật khẩu … cccd" or "đổi thẻ căn cước, mất phí không" (folded, "mật" and "mất" read
    "mat") is no loss. A longer one ("nhà thuê có đăng ký thường trú được không") also counts
    when all its content words and three quarters of all its words occur, and two thirds of its
    word pairs do, as people tell it their own way but keep its compounds ("nhà thuê", "thường
    trú"); not with ``exact``, nor when the trigger asks a facet («… ở đâu») and the message asks
    others only (``asked``: the facets it asks).
    """
    tw, typed = _trigger_shape(trigger)
    n = len(tw)
    if not n:
        return False
    if any(tuple(text_words[i : i + n]) == tw and not _wants_next(tw, text_words, i + n)
           and not _negated(tw, text_words, i)
           for i in range(len(text_words) - n + 1)):
        return True
    if exact or typed <= _PHRASE_MAX:
        return False
    if any(w in DENY_WORDS and j + 1 < n and not _denied_in(tw[j + 1], text_words) for j, w in enumerate(tw)):
        # The trigger tells something not done («chưa nhận được thông báo phạt nguội») and the
        # message tells it done («nhận được thông báo phạt nguội»): the opposite case.
        return False
    content = {w for w in tw if not is_stopword(w)}
    present = set(_undenied(tuple(text_words)))
    if "mat" in content and not _lost_mat(text_words):
        # «mất» of a loss trigger, typed only as «mất bao lâu» (how long) or «mật khẩu»: no loss
        present.discard("mat")
    if not content or not content <= present:
        return False
    if (asks := _trigger_facets(trigger)) and (other := _asked_as(asked)) and asks.isdisjoint(other):
        # The trigger asks one thing of the situation («nhận lý lịch tư pháp ở đâu»), whose cue
        # normalising drops, and the message asks something else of its words («… bao nhiêu ngày
        # thì nhận được»): only the phrase as written counts.
        return False
    if sum(w in present for w in tw) * 4 < n * 3:
        # Too much of the trigger is missing, though only words that look like particles once
        # folded («nhà mượn» → "nha muon"): "đăng ký thường trú" alone is no borrowed home.
        return False
    pairs = {(a, b) for a, b in pairwise(tw) if not (is_stopword(a) and is_stopword(b))}
    have = set(pairwise(text_words))
    return len(pairs & have) * 3 >= len(pairs) * 2


def situation_named(cat: Catalogue, text: str, today: dt.date) -> tuple[str, str] | None:
    """(service id, situation id) when the message contains, word for word, a trigger phrase of
    exactly one service's situations ("mất giấy đăng ký xe"), whatever else it says; of that
    service, its first such situation."""
    text_words = words(text[:2000])
    hits: dict[int, int] = {}
    for i, word in enumerate(text_words):
        for phrase, svc_no, sit_no in cat.triggers_by_first_word().get(word, ()):
            if (svc_no not in hits or sit_no < hits[svc_no]) \
                    and tuple(text_words[i : i + len(phrase)]) == phrase \
                    and not _wants_next(phrase, text_words, i + len(phrase)) \
                    and cat.services[svc_no].situations[sit_no].is_valid_on(today):
                hits[svc_no] = sit_no
    if len(hits) != 1:
        return None
    ((svc_no, sit_no),) = hits.items()
    svc = cat.services[svc_no]
    return svc.id, svc.situations[sit_no].id


def main_facet(reading: Reading) -> FacetKey | None:
    """The facet to answer first: the first specific one asked; "who" (any yes/no question) last."""
    specific = [f for f in reading.facets if f != "who"]
    if specific:
        return specific[0]
    return reading.facets[0] if reading.facets else None




@dataclass(frozen=True, slots=True)
class Pick:
    """What of a service to answer first: facet keys, or one situation id (with at most one facet
    asked besides it, :func:`situation_keys`), and how it was found."""

    keys: tuple[str, ...]
    #: ``trigger``: the message contains one of the situation's trigger phrases (strong evidence).
    how: Literal["trigger", "told", "near", "facet"]


def one_of_kind(situations: Sequence[Situation], kinds: Iterable[str], *, text: str | None = None,
                naming: frozenset[str] = frozenset()) -> Situation | None:
    """The service's one situation of the first of ``kinds`` it has exactly one of, or None.

    With ``text`` (a short question), a kind the service has several situations of («đi làm ở nước
    ngoài», «ra nước ngoài định cư») counts too when the question's own words single one of them out
    (:func:`_closest`, among those of that kind; ``naming``: the words naming the service).
    """
    for kind in kinds:
        same = [s for s in situations if s.kind == kind]
        if len(same) == 1:
            return same[0]
        if text is not None and len(same) > 1 and (near := _closest(same, naming, text)) is not None:
            return near
    return None


def pick_facet(svc: Service, text: str, reading: Reading, today: dt.date) -> Pick | None:
    """What of ``svc`` to answer first, or None when nothing fits.

    In order: a situation whose trigger the message contains; asked by when it must be done, the
    one late situation; for a long message, the one situation of a decisive kind told (a loss, a
    late registration, wrong information), of living away when asked where or whether one must, of
    someone abroad or a child told in the question sentences; for a short one, the one situation
    of a kind its cue tells (decisive, abroad, elderly, a child), then the one its own words come
    closest to; then the facets asked (at most two, "who" only when nothing more specific is), when
    the service has them on ``today``, unless a long message tells a decisive situation the
    service has nothing on.
    """
    situations = available_situations(svc, today)
    have = set(available_facets(svc, today))
    text_words = words(text[:2000])
    if (sit := _strongest_hit(situations, text_words, reading)) is not None:
        sit = _as_told(situations, sit, reading)
        if reading.long and reading.split and sit.kind not in _FOCUS_TOLD \
                and (told := _told_in_focus(situations, reading)) is not None \
                and not any(trigger_hit(t, text_words, exact=True) for t in sit.triggers):
            # A long story holds many words: a trigger told in it in its own words (spread) yields to
            # what the question sentence itself tells («bố mẹ làm thay … được không»: someone
            # else doing it, not the copy of the certificate the story's words spread into).
            sit = told
        sit = _for_whom(svc, situations, sit, reading, text_words)
        return Pick((sit.id, *_also_asked(svc, sit, reading, have)), "trigger")

    if "time" in reading.facets and _DEADLINE.search(f" {chat_fold(reading.focus)} ") \
            and (late := one_of_kind(situations, ("late",))) is not None:
        # «mấy ngày phải đi khai tử», «hạn chót … là bao lâu»: by when it must be done, which the
        # service's one situation about doing it late says, not how long the office takes.
        return Pick((late.id,), "told")
    if reading.long:
        decisive = _told_first(k for k in reading.situations if k in DECISIVE)
        if (told := one_of_kind(situations, decisive)) is not None:
            return Pick((told.id, *_also_asked(svc, told, reading, have)), "told")
        if decisive and not all(covers_situation(svc, k) for k in decisive):
            # A loss (or a late registration…) changes the procedure; a facet of a service that
            # says nothing about it would answer another question.
            return None
        if "where_live" in reading.situations and "abroad" not in reading.situations \
                and set(reading.facets) <= _WHERE_OR_MUST and not asks_proxy(reading.focus) \
                and (away := one_of_kind(situations, ("where_live",))) is not None:
            # Living away from where one is registered, told in the story, and asked where or
            # whether one must (go back): the service's one situation about it, when it has one;
            # not for someone abroad, whom «go to the commune police where you live» does not help,
            # nor when asked whether someone else may do it for one («ủy quyền cho cha mẹ»).
            return Pick((away.id,), "told")
        # Someone abroad or a child told in the question sentence itself («anh tôi đang sống tại
        # Đức, muốn làm căn cước … có làm ở Đại sứ quán được không?»), not only in the story: the
        # service's one situation of that kind. Measured with today's code on the content of the
        # day each of batches 2-10 was collected: 2 declined became correct, none wrong; counting
        # someone elderly too gave one more correct and one wrong, so it is left out. Told only
        # in the story («con tôi 6 tuổi ở với ông bà»), they are often background: not answered.
        in_focus = _told_in_focus(situations, reading)
        if in_focus is not None:
            return Pick((in_focus.id,), "told")
    else:
        # A short question telling a situation that changes the procedure by its own cue («giấy
        # khai sinh bản sao xin ở đâu»: a copy), or someone abroad, elderly or a child: the
        # service's one situation of that kind, before one sharing more of its other words (the
        # electronic certificate, «bản»).
        told = one_of_kind(situations, _told_first(k for k in reading.situations if k in SHORT_TOLD_KINDS),
                           text=text, naming=naming_words(svc))
        if told is not None:
            return Pick((told.id, *_also_asked(svc, told, reading, have)), "told")
        plain = any(f in _PLAIN_ASKED for f in reading.facets)
        if (near := closest_situation(svc, text, today, own_words=plain)) is not None:
            # A short question told in its own words («ở trọ muốn lắp điện riêng»): the situation
            # whose label and triggers share its rarest words, before a facet word it also has.
            also = _also_asked(svc, near, reading, have) or tuple(
                f for f in reading.facets if f != "who" and f in have)[:1]
            return Pick((near.id, *also), "near")
    asked: list[str] = [f for f in reading.facets if f != "who" and f in have]
    if not asked and "who" in reading.facets and "who" in have:
        asked = ["who"]
    if asked:
        return Pick(tuple(asked[:MAX_FACETS]), "facet")
    return None


def _strongest_hit(situations: Sequence[Situation], text_words: Sequence[str], reading: Reading) -> Situation | None:
    """The situation whose trigger the message holds; of several (a short question), the one with
    the longest trigger found, then one found as written: «chồng là người nước ngoài làm khai sinh
    cho con» says more than «khai sinh cho con ở nước ngoài», «biển số định danh khi bán xe» more
    than «biển số định danh»."""
    best: tuple[int, bool] | None = None
    found: Situation | None = None
    for sit in situations:
        for t in sit.triggers:
            if not trigger_hit(t, text_words, asked=reading.facets):
                continue
            if reading.long:
                # a long story's many words let long triggers spread into it by chance: the first
                # one found, as before (measured: ranking them there gained two stories and lost one)
                return sit
            rank = (len(_trigger_shape(t)[0]), trigger_hit(t, text_words, exact=True))
            if best is None or rank > best:
                best, found = rank, sit
    return found


def _for_whom(svc: Service, situations: Sequence[Situation], sit: Situation, reading: Reading,
              text_words: Sequence[str]) -> Situation:
    """``sit``, or, when the message holds only bare triggers of it naming the matter («người phụ
    thuộc») and tells whom it is for by its cue («mẹ em 70 tuổi»: someone elderly), the service's one
    case of that kind."""
    if sit.kind != "other" or any(not _bare(t, sit, svc) and trigger_hit(t, text_words) for t in sit.triggers):
        return sit
    kind = one_of_kind(situations, _told_first(k for k in reading.situations if k in _SHORT_TOLD))
    return kind if kind is not None else sit


def _bare(trigger: str, sit: Situation, svc: Service) -> bool:
    """True for a trigger that only names the matter: all its words are in the situation's label or
    the service's name («đăng ký người phụ thuộc» of «Đăng ký người phụ thuộc»)."""
    return set(_trigger_shape(trigger)[0]) <= set(_trigger_shape(sit.label)[0]) | naming_words(svc)


def _told_in_focus(situations: Sequence[Situation], reading: Reading) -> Situation | None:
    """The one situation of a kind (:data:`_FOCUS_TOLD`) a long question's question sentences tell."""
    return one_of_kind(situations, (k for k in situations_in(reading.focus) if k in _FOCUS_TOLD))


def _as_told(situations: Sequence[Situation], sit: Situation, reading: Reading) -> Situation:
    """``sit``, or the service's one situation about wrong information when ``sit`` is a copy and the
    message tells of wrong information: the copy named is the paper that is wrong (:func:`_told_first`)."""
    if sit.kind == "copy" and "wrong_info" in reading.situations \
            and (fix := one_of_kind(situations, ("wrong_info",))) is not None:
        return fix
    return sit


def _told_first(kinds: Iterable[str]) -> list[str]:
    """Situation kinds in the order told, but wrong information before a copy: «trích lục khai tử
    ghi sai tên lót, sửa sao» names the copy as the paper that is wrong, and asks the correction."""
    told = list(kinds)
    if "copy" in told and "wrong_info" in told:
        told.remove("copy")
        told.append("copy")
    return told


def _situation_words(sit: Situation) -> tuple[frozenset[str], frozenset[tuple[str, str]]]:
    ws = [_trigger_shape(p)[0] for p in (sit.label, *sit.triggers)]
    return frozenset(w for seq in ws for w in seq), frozenset(b for seq in ws for b in pairwise(seq))


def without_cues(ws: Sequence[str], facets: Collection[FacetKey] | None = None) -> tuple[str, ...]:
    """``ws`` (normalised words) with every word of a facet's own phrase («hết bao nhiêu», «bao
    lâu») replaced by ``|``, overlapping phrases included: those words say what is asked of a
    procedure, not what it is about. Only the cues of ``facets`` when given, else of all facets."""
    cues = _CUE_WORDS if facets is None else tuple(
        tuple(c.split()) for f in facets for c in FACETS.get(f, ()))
    covered: set[int] = set()
    for cue in cues:
        k = len(cue)
        covered.update(j for i in range(len(ws) - k + 1) if tuple(ws[i:i + k]) == cue for j in range(i, i + k))
    return tuple("|" if i in covered else w for i, w in enumerate(ws))


def closest_situation(svc: Service, text: str, today: dt.date, *, own_words: bool = False) -> Situation | None:
    """The situation of ``svc`` a short question tells in its own words, or None.

    The question's words (less those naming the service, its name and title, stopwords and vague
    words) and word pairs («bán xe», «hết hạn»), a facet's own phrases left out, are weighed by how
    few of the service's situations use them (label and triggers); a situation is picked when it
    shares two such words or a pair no other situation has, scores at least :data:`NEAR_MIN`, and
    :data:`NEAR_LEAD` times the next one. With ``own_words`` (the question asks a facet outright),
    a pair alone is not enough: it must share a word too («nộp thường trú trên vneid mấy ngày có kết
    quả» shares only «trú trên» with «thường trú trên tàu thuyền»).
    """
    return _closest(available_situations(svc, today), naming_words(svc), text, own_words=own_words)


def naming_words(svc: Service) -> frozenset[str]:
    """The words of a service's name and title."""
    return frozenset(w for k in (svc.name, svc.title) for w in words(k))


def _closest(situations: Sequence[Situation], naming: frozenset[str], text: str, *,
             own_words: bool = False) -> Situation | None:
    """Of ``situations``, the one a short question tells in its own words (:func:`closest_situation`)."""
    if len(situations) < 2:
        return None
    typed = without_cues(words(text[:_NEAR_CHARS]))  # a facet's own phrases say nothing of a situation
    mine = {w for w in typed if w not in naming and not _says_little(w) and len(w) > 1}
    # word pairs told together («bán xe», «hết hạn», «đổi biển»), unless both name the service or
    # both say nothing (stopwords, vague words, places and spans of time)
    pairs = {b for b in pairwise(typed) if "|" not in b and not (b[0] in naming and b[1] in naming)
             and not all(_says_little(w) for w in b)}
    if not mine and not pairs:
        return None
    shapes = [_situation_words(s) for s in situations]
    df: dict[object, int] = {}
    for ws, bs in shapes:
        for f in (*ws, *bs):
            df[f] = df.get(f, 0) + 1
    n = len(situations)
    scored: list[tuple[float, int, Situation]] = []
    for sit, (ws, bs) in zip(situations, shapes, strict=True):
        shared = mine & ws
        shared_pairs = pairs & bs
        # evidence: two of the question's own words, or a pair no other situation has
        if len(shared) < 2 and not any(df[b] == 1 for b in shared_pairs):
            continue
        if own_words and not shared:
            continue
        score = sum(math.log(1 + n / df[w]) for w in shared) \
            + _PAIR_WEIGHT * sum(math.log(1 + n / df[b]) for b in shared_pairs)
        scored.append((score, len(shared), sit))
    if not scored:
        return None
    scored.sort(key=lambda t: t[0], reverse=True)
    best = scored[0][0]
    runner = scored[1][0] if len(scored) > 1 else 0.0
    return scored[0][2] if best >= NEAR_MIN and best >= NEAR_LEAD * runner else None


#: Facets asked outright, which a situation guessed from a word pair alone must not pre-empt.
_PLAIN_ASKED: Final = frozenset({"time", "fee", "documents", "in_person", "online"})


#: Words of place and of time spans («lên tỉnh», «ở vài hôm», «mỗi lần»): told around any situation,
#: they single out none (:func:`closest_situation`).
_PLACE_AND_TIME: Final = frozenset({
    "tinh", "phuong", "xa", "huyen", "quan", "thanh", "pho", "thon", "ap", "to",
    "vai", "hom", "ngay", "thang", "nam", "tuan", "lan", "gio", "bua", "nay", "qua", "sau", "truoc",
})


#: Words told around every procedure of ours (greetings, «xin phép», «giấy», «cả», «sang»): shared
#: with a situation's label or trigger, they single it out no more than a place does.
_EVERYWHERE: Final = frozenset({"kinh", "chao", "phep", "giay", "ca", "sang"})


def _says_little(word: str) -> bool:
    """True for a word that tells no situation: a stopword, a vague word, a place or a time span."""
    return is_stopword(word) or word in GENERIC_WORDS or word in _PLACE_AND_TIME or word in _EVERYWHERE


#: How a question asks by when something must be done (folded, padded): «mấy ngày phải …», «phải …
#: trong bao lâu», «hạn chót», «chậm nhất bao lâu».
_DEADLINE: Final = re.compile(
    # ... also «nghỉ việc bao lâu thì nộp hồ sơ»: how long one has (not «nộp bao lâu thì có kết quả»)
    r" (?:may ngay|bao lau|bao nhieu ngay|may thang)(?:(?: thi)? (?:phai|bat buoc)| thi (?:nop|lam|di|dang ky|khai)) "
    r"| phai \S+(?: \S+){0,4} trong (?:vong )?(?:may ngay|bao lau|bao nhieu ngay) "
    r"| han chot | cham nhat ")


#: Situations a short question tells by their cue that are hardly mere background in so few words
#: («chú tôi mất bên Campuchia thì khai tử thế nào»), besides the decisive ones; a place lived in
#: (``where_live``) was measured to add nothing.
_SHORT_TOLD: Final = frozenset({"abroad", "elderly", "child", "proxy"})
#: What a short question tells by a cue and is answered as told: the decisive situations and those above.
SHORT_TOLD_KINDS: Final = frozenset({*DECISIVE, *_SHORT_TOLD})


#: Situations a long question tells in its question sentences that are answered as told.
_FOCUS_TOLD: Final = frozenset({"abroad", "child", "proxy"})


#: Every facet cue phrase, as words.
_CUE_WORDS: Final = tuple({tuple(c.split()) for cues in FACETS.values() for c in cues})
#: How a short question's own words must single out a situation (:func:`closest_situation`).
NEAR_MIN: Final = 2.0
NEAR_LEAD: Final = 1.5
_PAIR_WEIGHT: Final = 1.0
_NEAR_CHARS: Final = 300


#: The facets a question about where one lives asks: where, or whether one must («có phải về quê»).
_WHERE_OR_MUST: Final[frozenset[str]] = frozenset({"who", "in_person"})

#: Facets a situation's answer does not hold (it says what to do and, in a line, where), answered
#: after it when asked: «mất căn cước … làm lại ở đâu, mất bao lâu» also gets how long it takes.
_AFTER_SITUATION: Final[tuple[FacetKey, ...]] = ("time", "fee", "documents")


def _also_asked(svc: Service, sit: Situation, reading: Reading, have: Collection[str]) -> tuple[str, ...]:
    """The one facet asked besides a situation, when the service's facets hold for that situation.

    They hold when the situation does not change the procedure (a child, someone elderly…) or the
    service's own name says it is that procedure («Cấp lại, đổi thẻ căn cước» for a lost card). A
    lost birth certificate is a copy of the extract, whose fee and time are not the registration's.
    """
    if sit.kind in DECISIVE and not _named_for(svc, sit.kind):
        return ()
    return tuple(f for f in reading.facets if f in _AFTER_SITUATION and f in have)[:1]


def situation_keys(svc: Service, situation_id: str, reading: Reading, today: dt.date,
                   text: str = "") -> tuple[str, ...]:
    """A situation of ``svc`` (named in ``text`` by its trigger, told as the message tells it: see
    :func:`_as_told` and :func:`_for_whom`) and the one facet asked besides it that its answer lacks
    (see :func:`_also_asked`), as keys for one reply."""
    sit = svc.situation(situation_id)
    if sit is None:
        return (situation_id,)
    situations = available_situations(svc, today)
    sit = _for_whom(svc, situations, _as_told(situations, sit, reading), reading, words(text[:2000]))
    return (sit.id, *_also_asked(svc, sit, reading, set(available_facets(svc, today))))


#: Words by which a service's own name or keywords say it handles a decisive situation.
_SITUATION_WORDS: Final[dict[str, tuple[str, ...]]] = {
    "lost": ("cap lai", "lam lai", "bi mat", "mat the", "mat giay"),
    "copy": ("ban sao", "trich luc"),
    "late": ("qua han", "tre han", "muon"),
    "wrong_info": ("cai chinh", "dieu chinh", "sua doi", "bi sai", "ghi sai"),
}


def covers_situation(svc: Service, kind: str) -> bool:
    """True when ``svc`` handles a situation of ``kind``: one of its situations is of that kind, or
    its name, title or keywords say so ("Cấp đổi, cấp lại giấy phép lái xe" covers a loss)."""
    return any(s.kind == kind for s in svc.situations) or _named_for(svc, kind)


def _named_for(svc: Service, kind: str) -> bool:
    """True when ``svc``'s name, title or keywords say it handles a situation of ``kind``."""
    words_of = f" {fold(' '.join((svc.name, svc.title, *svc.keywords)))} "
    return any(f" {w} " in words_of for w in _SITUATION_WORDS.get(kind, ()))


def is_main_entry(svc: Service, key: str) -> bool:
    """True for the service's own card or its main FAQ entry (the first it lists): a general answer
    about the procedure, which a facet asked may replace; a specific entry is kept."""
    kind, _, ident = key.partition(":")
    return (
        (kind == "service" and ident == svc.id)
        or (kind == "faq" and svc.faq[:1] == (ident,))
        or (kind == "flow" and svc.flow == ident)
    )


def all_of_service(cat: Catalogue, candidates: Sequence[Candidate], service_id: str) -> bool:
    """True when there are at least two candidates and every one belongs to ``service_id``."""
    return len(candidates) >= 2 and all(service_id in services_for_key(cat, c.key) for c in candidates)


def card_covers(svc: Service, facet: FacetKey) -> bool:
    """True when the service card itself says something about ``facet``."""
    if facet in ("online", "in_person"):
        return True  # «Làm ở đâu» lists the channels
    if facet == "documents":
        return bool(svc.prepare)
    if facet in ("fee", "time"):
        return bool(svc.fees)
    return False


def distinct_options(
    candidates: Sequence[Candidate],
    button_for: Callable[[Candidate], Button | None],
    *,
    first: Button | None = None,
    limit: int = MAX_OPTIONS,
) -> list[Button]:
    """Up to ``limit`` "did you mean" buttons, never two with the same label or the same target.

    ``first`` (the question's own service) leads; labels are compared folded ("Đổi thẻ" and
    "doi the" are one option), payloads exactly; off-topic candidates are never offered.
    """
    out: list[Button] = []
    labels: set[str] = set()
    targets: set[str] = set()

    def add(button: Button | None) -> None:
        if button is None or len(out) >= limit:
            return
        label = " ".join(fold(button.label).split())
        if label in labels or button.payload in targets:
            return
        labels.add(label)
        targets.add(button.payload)
        out.append(button)

    add(first)
    for c in candidates:
        if c.kind != "offtopic":
            add(button_for(c))
    return out
