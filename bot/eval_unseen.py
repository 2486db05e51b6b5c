"""Today's code on content that had never seen the question: ``python -m bot.eval_unseen [N ...]``.

Every real-question batch ``tests/data/real_questions_N.yaml`` was scored once when it was collected
(``real_questions_N.first_score.txt``); content was then written for the topics it failed on, so its
score today says little about questions nobody has looked at. This command runs today's code on the
content of the commit that added that first score (``git archive`` of ``faq/content``,
``flows/content`` and ``flows/catalogue`` into a temporary directory, a fresh SQLite database), so
an answering or calibration change can be judged on questions that content had not seen. Batches
2-10 by default (every batch no longer held out); the held-out batch is named explicitly only to report it, never to tune on it.

stdout: one JSON line per batch and one for the total (correct, wrong, declined, in scope); needs
the git history (a shallow clone exits with status 2 and says so).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Sequence
from io import BytesIO
from pathlib import Path
from typing import Any

__all__ = ["content_commit", "main", "score_batch"]

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"
CONTENT_DIRS = ("faq/content", "flows/content", "flows/catalogue")
DEFAULT_BATCHES = (2, 3, 4, 5, 6, 7, 8, 9, 10)


class UnseenError(RuntimeError):
    """A batch whose collection-day content cannot be found (no first score, no git history)."""


def _git(*args: str) -> bytes:
    try:
        done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, check=True)
    except (OSError, subprocess.CalledProcessError) as exc:
        detail = exc.stderr.decode(errors="replace").strip() if isinstance(exc, subprocess.CalledProcessError) else exc
        raise UnseenError(f"git {' '.join(args)}: {detail}") from exc
    return done.stdout


def content_commit(batch: int) -> str:
    """The commit that added batch ``batch``'s first score: the content of the day it was collected."""
    path = f"tests/data/real_questions_{batch}.first_score.txt"
    commit = _git("log", "--diff-filter=A", "--format=%H", "-1", "--", path).decode().strip()
    if not commit:
        raise UnseenError(f"no commit adds {path} (a shallow clone, or a batch without a first score)")
    return commit


def _extract(commit: str, into: Path) -> None:
    archive = _git("archive", "--format=tar", commit, *CONTENT_DIRS)
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")


def score_batch(batch: int, *, by_expect_only: bool = False) -> dict[str, Any]:
    """Score batch ``batch`` with today's code on its collection-day content (by its ``expect``
    groups alone when ``by_expect_only``: :func:`bot.evaluation.expect_only`)."""
    from api.bootstrap import build_services
    from api.conversation import eval_asker
    from api.settings import Settings
    from bot.evaluation import expect_only, load_cases, run_eval

    commit = content_commit(batch)
    cases = load_cases(DATA / f"real_questions_{batch}.yaml")
    if by_expect_only:
        cases = expect_only(cases)
    with tempfile.TemporaryDirectory(prefix="unseen-") as tmp:
        root = Path(tmp)
        _extract(commit, root)
        settings = Settings(
            database_url=f"sqlite:///{root / 'bot.sqlite3'}",
            faq_dir=root / "faq" / "content",
            flows_dir=root / "flows" / "content",
            catalogue_dir=root / "flows" / "catalogue",
        )
        services = build_services(settings, sync_content=True)
        try:
            summary = run_eval(cases, eval_asker(services.conversation, max_chars=settings.max_text_chars)).summary()
        finally:
            services.close()
    return {
        "batch": batch,
        "content_commit": commit[:12],
        "in_scope": summary["in_scope"]["total"],
        "correct": summary["in_scope"]["passed"],
        "wrong": summary["wrong"]["in_scope"],
        "declined": summary["declined"]["count"],
        "oos": summary["oos"]["total"],
        "oos_passed": summary["oos"]["passed"],
        "oos_wrong": summary["wrong"]["oos"],
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.eval_unseen", description=__doc__.splitlines()[0])
    parser.add_argument("batches", nargs="*", type=int, default=list(DEFAULT_BATCHES))
    parser.add_argument("--expect-only", action="store_true",
                        help="score by the expect groups alone (the shared sets' rule), ignoring expected ids")
    args = parser.parse_args(argv)
    total = {"correct": 0, "wrong": 0, "declined": 0, "in_scope": 0}
    for batch in args.batches:
        try:
            row = score_batch(batch, by_expect_only=args.expect_only)
        except (UnseenError, OSError) as exc:
            print(f"eval_unseen: batch {batch}: {exc}", file=sys.stderr)
            return 2
        sys.stdout.write(json.dumps(row) + "\n")
        for key in total:
            total[key] += row[key]
    sys.stdout.write(json.dumps({"total": total}) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
