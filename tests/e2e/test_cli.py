"""The command line as a user runs it: real processes, JSON lines on stdout, state with --user."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from api.settings import PROJECT_ROOT


def run_cli(args: list[str], db: Path, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{db}", "PYTHONIOENCODING": "utf-8"}
    for key in ("TELEGRAM_BOT_TOKEN", "ZALO_OA_APP_ID", "ZALO_BOT_TOKEN"):
        env.pop(key, None)
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], cwd=PROJECT_ROOT, env=env, input=stdin,
        capture_output=True, text=True, timeout=120, check=False,
    )


def lines(out: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.splitlines()]


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cli") / "cli.sqlite3"


def test_ask_prints_one_json_object_of_the_contract(db: Path) -> None:
    proc = run_cli(["ask", "ko nhan dc otp"], db)
    assert proc.returncode == 0, proc.stderr
    [obj] = lines(proc.stdout)
    assert isinstance(obj["text"], str) and obj["text"]
    assert all(isinstance(b["label"], str) and isinstance(b["payload"], str) for b in obj["buttons"])
    assert isinstance(obj["images"], list)
    assert obj["match"]["kind"] == "faq" and isinstance(obj["match"]["id"], str)
    assert isinstance(obj["match"]["score"], float)


def test_stdin_gives_one_line_per_input_line_in_order(db: Path) -> None:
    proc = run_cli(["ask"], db, stdin="cai vneid\n\nthoi tiet ngay mai the nao\nquen mat khau vneid\n")
    assert proc.returncode == 0, proc.stderr
    out = lines(proc.stdout)
    assert len(out) == 4
    assert out[1]["match"]["kind"] in {"menu", "fallback"}
    assert out[2]["match"]["kind"] in {"offtopic", "fallback"}
    assert out[3]["match"]["kind"] == "faq"


def test_user_state_walks_a_guide_across_calls(db: Path) -> None:
    first = lines(run_cli(["ask", "--user", "ba-lan", "huong dan kich hoat muc 2"], db).stdout)[0]
    assert first["match"]["kind"] == "flow" and first["match"]["id"].startswith("l2/")
    label = first["buttons"][0]["label"]
    # Typing the first button's label without diacritics acts like pressing it, in a new process.
    import unicodedata

    plain = "".join(c for c in unicodedata.normalize("NFD", label) if unicodedata.category(c) != "Mn")
    second = lines(run_cli(["ask", "--user", "ba-lan", plain.replace("đ", "d").replace("Đ", "D")], db).stdout)[0]
    assert second["match"]["kind"] == "flow" and second["match"]["id"] != first["match"]["id"]
    back = lines(run_cli(["ask", "--user", "ba-lan", "quay lai"], db).stdout)[0]
    assert back["match"]["id"] == first["match"]["id"]
    # A bare number picks an option of the last turn.
    walk = lines(run_cli(["ask", "--user", "ba-lan"], db, stdin="1\n1\nmenu\n").stdout)
    assert walk[0]["match"]["kind"] == "flow" and walk[2]["match"]["kind"] == "menu"


def test_eval_meets_the_targets_on_the_development_set(db: Path) -> None:
    proc = run_cli(
        ["eval", "tests/data/dev_queries.yaml", "--min-in-scope", "1.0", "--min-oos", "1.0"], db
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    summary = json.loads(proc.stdout.splitlines()[-1])
    assert summary["in_scope"]["total"] == 39 and summary["oos"]["total"] == 16
    assert "in_scope:" in proc.stderr  # the table goes to stderr


def test_eval_exit_code_follows_the_minimums(db: Path, tmp_path: Path) -> None:
    cases = tmp_path / "one.yaml"
    cases.write_text('cases:\n  - q: "hat cho toi nghe mot bai"\n    expect: [[khong the co]]\n', encoding="utf-8")
    proc = run_cli(["eval", str(cases), "--min-in-scope", "0.5"], db)
    assert proc.returncode == 1
    assert json.loads(proc.stdout.splitlines()[-1])["in_scope"]["rate"] == 0.0
    bad = tmp_path / "bad.yaml"
    bad.write_text("cases: [{q: 1}]\n", encoding="utf-8")
    assert run_cli(["eval", str(bad)], db).returncode == 2


def test_content_check_and_export(db: Path, tmp_path: Path) -> None:
    check = run_cli(["content", "check"], db)
    assert check.returncode == 0, check.stderr
    assert "checked" in lines(check.stdout)[-1]
    out = tmp_path / "export"
    exp = run_cli(["content", "export", "--out", str(out)], db)
    assert exp.returncode == 0, exp.stderr
    assert (out / "faq").is_dir() and list((out / "faq").glob("*.yaml"))
