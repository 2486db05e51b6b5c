"""``python -m bot.eval_unseen``: today's code on the content a real-question batch was collected with."""

from __future__ import annotations

import json
import subprocess

import pytest

from bot import eval_unseen


def _history_available() -> bool:
    try:
        eval_unseen.content_commit(5)
    except eval_unseen.UnseenError:
        return False
    return True


@pytest.mark.skipif(not _history_available(), reason="needs the git history (a shallow clone has none)")
def test_a_batch_is_scored_on_the_content_of_its_collection_day(capsys: pytest.CaptureFixture[str]) -> None:
    commit = eval_unseen.content_commit(5)
    added = subprocess.run(["git", "show", "--name-only", "--format=", commit], cwd=eval_unseen.ROOT,
                           capture_output=True, text=True, check=True).stdout.split()
    assert "tests/data/real_questions_5.first_score.txt" in added
    assert eval_unseen.main(["5"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    row, total = lines[0], lines[-1]["total"]
    assert row["batch"] == 5 and commit.startswith(row["content_commit"])
    assert row["correct"] + row["wrong"] + row["declined"] == row["in_scope"] == 8
    assert total == {k: row[k] for k in ("correct", "wrong", "declined", "in_scope")}


@pytest.mark.skipif(not _history_available(), reason="needs the git history (a shallow clone has none)")
def test_expect_only_scores_the_same_batch_by_its_words(capsys: pytest.CaptureFixture[str]) -> None:
    strict = eval_unseen.score_batch(5)
    loose = eval_unseen.score_batch(5, by_expect_only=True)
    # every case of the batch has expect groups: the same questions, scored without their ids
    assert loose["in_scope"] == strict["in_scope"] and loose["oos"] == strict["oos"]
    assert loose["correct"] >= strict["correct"]
    assert eval_unseen.main(["5", "--expect-only"]) == 0
    assert json.loads(capsys.readouterr().out.splitlines()[0])["correct"] == loose["correct"]


def test_a_batch_without_a_first_score_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert eval_unseen.main(["999"]) == 2
    assert "batch 999" in capsys.readouterr().err
