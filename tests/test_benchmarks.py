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


def test_dashboard_benchmark_seeds_and_times_the_api_the_page_and_the_export(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'bench.sqlite3'}"
    command = [sys.executable, "-m", "bot", "--database-url", db, "bench-dashboard", "--rows", "600", "--repeat", "1"]
    out = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300, check=True).stdout
    lines = [json.loads(line) for line in out.strip().splitlines()]
    assert lines[0]["measure"] == "seed" and lines[0]["message_log"] == 600 and lines[0]["users"] == 60
    assert [line["measure"] for line in lines[1:-1]] == ["api", "api_channel", "page", "xlsx"]
    for line in lines[1:-1]:
        assert line["rows"] == 600 and 0 < line["median_ms"] <= line["max_ms"] and line["bytes"] > 0
    assert lines[-1]["rows"] == 600 and lines[-1]["dialect"] == "sqlite" and lines[-1]["page_median_ms"] > 0
    # It seeds its own rows: a database that already has citizens is refused, untouched.
    again = subprocess.run(command, check=False, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert again.returncode == 1 and "empty database" in again.stderr and again.stdout == ""
    bad = subprocess.run([sys.executable, "-m", "bot", "bench-dashboard", "--rows", "0"], check=False, cwd=ROOT,
                         capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "--rows" in bad.stderr
