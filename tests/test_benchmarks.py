"""The benchmark commands run and report what they promise (their figures are not judged here)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_webhook_benchmark_reports_one_line_per_level_and_answers_every_update() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "bot.bench_webhook", "--updates", "40", "--concurrency", "2,3", "--warmup", "5"],
        cwd=ROOT, capture_output=True, text=True, timeout=180, check=True,
    ).stdout
    lines = [json.loads(line) for line in out.strip().splitlines()]
    assert [line["concurrency"] for line in lines] == [2, 3]
    for line in lines:
        assert line["bench"] == "telegram_webhook" and line["db"] == "sqlite" and line["workers"] == 1
        # Every update got its 200 after the commit, none was taken for a duplicate.
        assert line["statuses"] == {"answered": 40}
        assert line["updates_per_s"] > 0 and 0 < line["p50_ms"] <= line["p99_ms"] <= line["max_ms"]
        assert line["server_cpu_ms_per_update"] > 0


def test_webhook_benchmark_refuses_a_bad_level() -> None:
    done = subprocess.run([sys.executable, "-m", "bot.bench_webhook", "--concurrency", "8,x"],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "--concurrency" in done.stderr
