"""Every question set through the whole bot, so that no score can drop silently.

The questions go through the same path as ``python -m bot eval``: the shell (team commands, the
support-point search, hand-off), the core and the matcher, on the shipped content in a fresh
SQLite database, on a fixed day (fees and facets have validity windows). The floors are the scores
reached when they were set; raise them when the bot gets better, never lower them to pass. (Some were
lowered once, on 03/12/2026, for a deliberate change of what a confident answer is, judged on questions
the content had not seen: see the comment above the real sets.)

Short sets (typed chat questions): the development set must stay at 100%, the others at least at
their scores. Real sets (long questions copied from public pages): answered correctly at least,
and wrong with confidence (a different question answered) at most, the figures reached.
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import pytest

from api.bootstrap import Services
from bot.evaluation import EvalReport, is_held_out, load_cases, run_eval
from tests.whole_bot import ask_as_new_user

DATA = Path(__file__).resolve().parents[1] / "data"


class Floor(NamedTuple):
    """Minimum in-scope and off-topic passes, and the most confident wrong answers allowed."""

    in_scope: int
    oos: int
    wrong: int


FLOORS: dict[str, Floor] = {
    "dev_queries.yaml": Floor(39, 16, 0),
    "extra_queries.yaml": Floor(165, 50, 0),
    "flow_queries.yaml": Floor(27, 0, 1),
    "fresh_queries_3.yaml": Floor(60, 15, 0),
    "fresh_queries_4.yaml": Floor(55, 15, 0),
    "fresh_queries_5.yaml": Floor(54, 15, 1),
    "fresh_queries_6.yaml": Floor(57, 15, 0),
    # 70/70, 1 wrong with the licence documents facet (branch wt-facets-traffic): «doi gplx online can giay kham…»
    "fresh_queries_7.yaml": Floor(70, 14, 1),
    "fresh_queries_8.yaml": Floor(70, 15, 0),
    # 69/70, 1 wrong on 04/12/2026 after helper wt-fresh-gaps wrote content and phrasings for its failures
    # (tuned on: no longer a measure of unseen questions)
    "fresh_queries_9.yaml": Floor(69, 15, 1),
    # first score (on 3f9d672): 34/70, 14/15, 29 wrong (28 in scope), 8 declined; 49/70, 15/15, 19 wrong,
    # 2 declined after the fourth session's answering changes, most of them found on its failures; 69/70,
    # 1 wrong on 04/12/2026 after that session's changes and helper wt-fresh-gaps' content for its failures
    "fresh_queries_10.yaml": Floor(69, 15, 1),
    # first score (on dc537c3, 04/12/2026, seventh session): 45/70, 12/15, 22 wrong (19 in scope), 6 declined
    "fresh_queries_11.yaml": Floor(45, 12, 22),
    # first score (on bf17c2c, 04/12/2026, after that session's changes found on fresh_queries_11):
    # 45/70, 12/15, 20 wrong (17 in scope), 8 declined
    "fresh_queries_12.yaml": Floor(45, 12, 20),
    # first score (on 90c6233, 04/12/2026): 39/70, 14/15, 26 wrong (25 in scope, 1 off topic), 6 declined
    "fresh_queries_13.yaml": Floor(39, 14, 26),
    # first score (on b8c4836, 04/12/2026): 50/70, 13/15, 20 wrong (19 in scope, 1 off topic), 1 declined
    "fresh_queries_14.yaml": Floor(50, 13, 20),
    # KEPT BLIND (totals only, left out of `make eval`). First score (on 97c5cd9, 05/12/2026, ninth session):
    # 36/70, 15/15, 27 wrong (all in scope), 7 declined
    "fresh_queries_15.yaml": Floor(36, 15, 27),
    # Long situational questions (150–600 characters, reader-column style), written by a helper on 04/12/2026
    # (branch wt-long): not real questions, a development aid for reading long questions (see the headers).
    # first score (on 446ed8b): 21/50, 9/10, 11 wrong (10 in scope, 1 off topic), 19 declined
    "long_queries_1.yaml": Floor(21, 9, 11),
    # its twin, KEPT BLIND: its failures are not to be read while tuning (tune on long_queries_1, read only these
    # totals). First score (on 446ed8b): 16/50, 10/10, 11 wrong (all in scope), 23 declined
    "long_queries_2.yaml": Floor(16, 10, 11),
    # a third, also KEPT BLIND, written by a helper on 05/12/2026. First score (on 97c5cd9): 18/40, 9/10,
    # 9 wrong (8 in scope, 1 off topic), 14 declined
    "long_queries_3.yaml": Floor(18, 9, 9),
    # Real questions, floors at the scores of 02/12/2026 (evening), after sourced content for the topics the
    # sets failed on (branches wt-card, wt-card2, wt-civil, wt-civil2, wt-social, wt-misc) and the answering
    # changes of that session; raised on 03/12/2026 with that day's content. Then LOWERED once, on purpose, on
    # 03/12/2026 for sets 2, 3, 5, 8 and 9: a long question the items leave unsure is no longer answered with a
    # service's facet or card as if sure; the answer is offered under «Tôi chưa chắc đã hiểu đúng…» as a "did you
    # mean" (respond._tentative), which the scoring counts as declined. Measured with today's code on the content
    # of the day each of batches 6-9 was collected (82 questions none of that content had seen): confident
    # answers on a facet or card pick were 4 right for 11 wrong (29 correct / 21 wrong → 26 / 11). Sets 1-9 went
    # 170 → 157/177 correct, wrong 1 → 1 in scope and 3 → 1 off topic. Lowered again for sets dev, 6 and 7
    # (157 → 154) when the long-answer bar went from 0.25 to 0.28 on that same unseen-content measure
    # (`make eval-unseen`: 44 correct / 15 wrong → 42 / 12). Raised (dev 16, set 9 35) when a long question the
    # items leave unsure got its first option's answer offered (respond._preview) instead of a bare menu:
    # eval-unseen 42 correct / 10 wrong → 51 / 10.
    "real_questions_dev.yaml": Floor(18, 6, 0),
    "real_questions_1.yaml": Floor(19, 12, 0),
    # collected apart (branch wt-realq) and never tuned on until 02/12/2026
    "real_questions_2.yaml": Floor(20, 4, 0),
    "real_questions_3.yaml": Floor(12, 6, 0),
    # collected apart (branch wt-realq2), first seen by the matcher after wt-understand merged
    "real_questions_4.yaml": Floor(16, 13, 0),
    "real_questions_5.yaml": Floor(7, 10, 0),
    # collected apart (branch wt-realq6): first score 7/15, 5/5, 3 wrong
    "real_questions_6.yaml": Floor(14, 5, 0),
    # collected apart (branch wt-realq7): first score 1/9 in scope, 9/13 off topic, 3 wrong (three off-topic
    # questions about the social-insurance book or a foreigner's residence card answered with an in-scope
    # entry: their words «hộ khẩu thường trú», «thẻ tạm trú» anchor them in the domain). Off topic 8/13: the
    # data-safety entry (wt-card) turned a whistle-blower's question into a "did you mean" (declined); 11/13
    # since an unsure long question naming nothing of ours is declined as out of scope (04/12/2026).
    "real_questions_7.yaml": Floor(8, 11, 0),
    # collected apart (branch wt-realq8): first score 9/18, 5/7, 6 wrong; 14/18 with wt-civ's «Bao lâu có
    # kết quả» of the unemployment benefit
    "real_questions_8.yaml": Floor(17, 7, 0),
    # collected apart (branch wt-realq9): first score 9/40 in scope, 9/11 off topic, 14 wrong (on acbfca0);
    # held out until every other branch had merged: 12/40, 10/11, 13 wrong; after wt-misc and two trigger
    # fixes, which looked at its failures: 18/40, 10/11, 6 wrong; after the social-insurance, death, vehicle and
    # residence content of 03/12/2026 (branch wt-social2) merged with the living-away answering (dbd703a): 26/40,
    # 11/11, 3 wrong; with the civil-status and card content (branch wt-civil3) and the long-answer bar at 0.25:
    # 36/40, 11/11, 1 wrong
    "real_questions_9.yaml": Floor(36, 11, 1),
    # collected apart (branch wt-realq10): first score (on 824319a) 11/19 in scope, 6/8 off topic, 5 wrong (4 in
    # scope, 1 off topic; the floor counts both, as the test does). Still held out (only its totals looked at):
    # after the content and answering changes of 03/12/2026, 12/19, 6/8, 5 wrong; after the tentative answers
    # (above): 11/19, 6/8, 5 wrong (4 in scope); after wt-cover's situations of the less-asked services: 12/19,
    # 6/8, 4 wrong (3 in scope). One of them, exam_reg «chưa có thẻ căn cước khi đăng ký», was written after
    # that branch saw this set's failure list in the combined `make eval` output: that question is no longer
    # held out (before wt-cover: 11/19). With the long-answer bar at 0.28: 12/19, 6/8, 3 wrong (2 in scope).
    # No longer held out at all: on 03/12/2026 (second session) the lead read its first-score failure list;
    # batch 11 is the held-out set now, and this one may be worked on like sets 1-9. 13/19 when a long «how»
    # question naming the procedure by its title is answered (respond._titled); 14/19 with branch wt-civ's
    # remarriage and no-residence card situations (written from a topic list before it saw these questions);
    # 15/19, 2 wrong with wt-veh's vehicle situations and a «không cần chủ cũ» trigger.
    # 1 wrong when a «why» question's whole card is offered, not asserted (respond._card_misses_the_point).
    "real_questions_10.yaml": Floor(17, 7, 1),
    # collected apart (branch wt-batch11): first score (on 797a7bb) 8/18 in scope, 7/7 off topic, 4 wrong (all
    # in scope), 6 declined; held out: only its totals looked at. 9/18, 4 wrong, 5 declined after branch
    # wt-veh's vehicle, licence and fine situations (written from a topic list without seeing this set).
    # 10/18, 4 wrong, 4 declined on 03/12/2026 (third session) after the content of branches wt-lesser,
    # wt-vneid, wt-resid, wt-civ4 (written from topic lists; the lead knew this set's topic list, not its
    # questions) and that session's answering changes.
    # 11/18, 4 wrong, 3 declined on 03/12/2026 (fourth session; totals only): a long question's facet asked of
    # the only service its options and question sentences name is answered (respond._only_this_service, chosen
    # on sets 1-10 and eval-unseen); a first version of the facet-asking trigger rule cost one answer here and
    # was narrowed to its stated reason; helper wt-facets-traffic printed this set's failure list once while
    # checking baselines (it wrote no content for those questions).
    "real_questions_11.yaml": Floor(11, 7, 4),
    # collected apart (branch wt-realq12): first score (on 2d02526) 6/21 in scope, 5/7 off topic, 8 wrong (6 in
    # scope, 2 off topic; the floor counts both), 9 declined; held out: only its totals looked at (the collecting
    # helper saw the failure list once in the eval output, after the set and its expectations were fixed).
    # 7/21, 5/7, 7 wrong (6 in scope), 8 declined after the same session's content and answering changes. The
    # residence helper (wt-resid) saw two of its questions once in a floor failure and, to keep this floor,
    # dropped one trigger («đăng ký tạm trú cho cháu») it had just added: a small selection on held-out data.
    # Unchanged through the fourth session (totals only); helper wt-facets-traffic printed its failure list once.
    # 04/12/2026 (fifth session): a bundle of short-question rules (a «foreigner» object; a short question's
    # told situation when the items are unsure; a child's age as the child cue; a tie-break among a service's
    # situations of one kind) made this floor fail (8 wrong), and the failure message then listed some of
    # its questions to the lead. The bundle had shown no gain on the tunable sets; it was dropped whole,
    # without looking for the part to blame. Floor failures on held-out sets now report totals only.
    "real_questions_12.yaml": Floor(7, 5, 7),
    # collected apart (branch wt-realq13; 68 found, 47 of them duplicates of earlier batches): first score (on
    # afbcfcb) 7/13 in scope, 7/8 off topic, 2 wrong (1 in scope, 1 off topic), 5 declined; held out: only its
    # totals looked at. Unchanged (7/13, 2 wrong, 5 declined) after the content of branches wt-facets-social,
    # wt-facets-admin, wt-facets-traffic (commissioned before this set existed) and the session's answering
    # changes; the lead read the collecting helper's topic summary (not the questions).
    # 04/12/2026 (fifth session): batches 11-13 are no longer clean held-out sets. A score script of the lead's
    # sent the eval's per-case table to the screen once (the last part of the combined run of 11-13: most of
    # batch 13's and the end of batch 12's failures), and the lead opened real_questions_13.first_score.txt
    # once by mistake. Nothing was tuned to those questions: the content helpers of that session were given
    # the failed topics seen as reserved (not to be written), and batch 14 was collected as the clean set.
    "real_questions_13.yaml": Floor(7, 7, 2),
    # collected apart (branch wt-realq14; 17 found, 13 of them duplicates of earlier batches, 4 kept): first score
    # (on 75f3456) 0/1 in scope, 2/3 off topic, 0 wrong, 1 declined; held out: only its totals looked at by the lead.
    # 3/3 off topic since an unsure long question naming nothing of ours is declined as out of scope (04/12/2026).
    "real_questions_14.yaml": Floor(0, 3, 0),
    # collected apart (branch wt-realq15; scraped citizens' Q&A found in public GitHub repositories: 14 found, 7 of
    # them duplicates of earlier batches, 7 kept): first score (on b515154) 1/2 in scope, 5/5 off topic, 0 wrong,
    # 1 declined; held out: only its totals looked at by the lead.
    "real_questions_15.yaml": Floor(1, 5, 0),
    # collected apart (a helper, 04/12/2026; pages corpus and GitHub Q&A datasets: 39 found, 29 of them duplicates of
    # earlier batches, 10 kept): first score (on a9d02dd) 2/4 in scope, 4/6 off topic, 1 wrong (in scope), 1 declined;
    # held out: only its totals looked at by the lead.
    "real_questions_16.yaml": Floor(2, 4, 1),
}


def _score(services: Services, name: str) -> EvalReport:
    def ask(q: str) -> tuple[list[str], list[str], str, str | None]:
        result = ask_as_new_user(services, q, prefix="set")
        return ([r.text for r in result.replies], [b.label for r in result.replies for b in r.buttons],
                result.match.kind.value, result.match.id)

    return run_eval(load_cases(DATA / name), ask)


@pytest.mark.parametrize("name", sorted(FLOORS))
def test_no_question_set_drops_below_its_floor(whole_bot: Services, name: str) -> None:
    summary = _score(whole_bot, name).summary()
    floor = FLOORS[name]
    # A held-out batch's cases are never listed, only counted (:func:`bot.evaluation.is_held_out`): the
    # developer who made the change reads this message.
    failures = [f"{f['outcome']}: {f['q'][:80]} → {f['kind']} {f['id']}" for f in summary["failures"]]
    if summary["held_out_failures_hidden"]:
        failures.append(f"held out: {summary['held_out_failures_hidden']} failures not shown (floor {floor})")
    assert summary["in_scope"]["passed"] >= floor.in_scope, failures
    assert summary["oos"]["passed"] >= floor.oos, failures
    assert summary["wrong"]["count"] <= floor.wrong, failures


def test_the_development_set_is_answered_in_full(whole_bot: Services) -> None:
    summary = _score(whole_bot, "dev_queries.yaml").summary()
    assert summary["in_scope"]["rate"] == 1.0 and summary["oos"]["rate"] == 1.0
    assert summary["wrong"]["count"] == 0


def test_every_set_in_the_data_folder_has_a_floor() -> None:
    assert {p.name for p in DATA.glob("*.yaml")} <= set(FLOORS), "give the new set a floor in FLOORS"


def test_held_out_batches_are_told_apart() -> None:
    assert is_held_out("real_questions_11.yaml") and is_held_out("tests/data/real_questions_15.yaml")
    assert not is_held_out("real_questions_10.yaml") and not is_held_out("real_questions_dev.yaml")
    assert not is_held_out("fresh_queries_11.yaml")
