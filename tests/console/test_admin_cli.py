"""``python -m bot admin …`` as an operator runs it: real processes, the password on stdin only."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import col, select

from api.console.security import issue_session
from api.settings import PROJECT_ROOT
from api.store import Store
from api.store.db import make_engine
from api.store.models import AdminAccount, AdminSession, AuditEntry

PASSWORD = "cli-mat-khau-rat-dai-2026"
OTHER = "cli-mat-khau-khac-2027"


def admin(db: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, "-m", "bot", "--database-url", f"sqlite:///{db}", "admin", *args]
    assert not any(PASSWORD in a or OTHER in a for a in argv)  # a password is never an argument
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    env.pop("DATABASE_URL", None)
    proc = subprocess.run(argv, cwd=PROJECT_ROOT, env=env, input=stdin, capture_output=True, text=True,
                          timeout=120, check=False)
    for secret in (PASSWORD, OTHER):
        assert secret not in proc.stdout and secret not in proc.stderr
    return proc


def lines(out: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.splitlines()]


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("admin-cli") / "cli.sqlite3"
    first = admin(path, "create", "Root", "--role", "admin", "--name", "Quản trị viên", stdin=PASSWORD + "\n")
    assert first.returncode == 0, first.stderr
    return path


def store_of(db: Path) -> Store:
    return Store(make_engine(f"sqlite:///{db}"))


def snapshot(db: Path) -> list[tuple[Any, ...]]:
    """Every account row and the number of audit entries: equal before and after = nothing changed."""
    store = store_of(db)
    try:
        with store.unit(readonly=True) as unit:
            rows: list[tuple[Any, ...]] = [
                (a.username, a.role, a.display_name, a.disabled, a.password_hash)
                for a in unit.session.exec(select(AdminAccount).order_by(col(AdminAccount.id)))
            ]
            rows.append((len(unit.session.exec(select(AuditEntry)).all()),))
            return rows
    finally:
        store.engine.dispose()


def test_create_prints_the_account_and_list_never_shows_the_hash(db: Path) -> None:
    made = admin(db, "create", "bien-tap", "--role", "editor", stdin=OTHER + "\r\n")
    assert made.returncode == 0, made.stderr
    [out] = lines(made.stdout)
    assert out["action"] == "created" and out["account"]["username"] == "bien-tap"
    listed = admin(db, "list")
    assert listed.returncode == 0
    rows = lines(listed.stdout)
    assert [r["username"] for r in rows][:2] == ["bien-tap", "root"]
    assert set(rows[0]) == {"id", "username", "name", "role", "disabled", "created_at"}
    assert rows[1] | {"id": 0, "created_at": ""} == {"id": 0, "username": "root", "name": "Quản trị viên",
                                                     "role": "admin", "disabled": False, "created_at": ""}
    assert "argon2" not in listed.stdout
    store = store_of(db)
    with store.unit(readonly=True) as unit:
        entry = unit.session.exec(select(AuditEntry).where(col(AuditEntry.target).endswith(":bien-tap"))).one()
    store.engine.dispose()
    assert entry.username == "cli" and entry.action == "account_created" and entry.ip == "local"


@pytest.mark.parametrize(("args", "stdin", "code", "says"), [
    (["create", "root", "--role", "viewer"], PASSWORD + "\n", 1, "taken"),
    (["create", "ngan", "--role", "viewer"], "short\n", 2, "password"),
    (["create", "rong", "--role", "viewer"], "\n", 2, "no password"),
    (["create", "co cach", "--role", "viewer"], PASSWORD + "\n", 2, "username"),
    (["create", "vai-tro", "--role", "root"], PASSWORD + "\n", 2, "invalid choice"),
    (["create", "dai", "--role", "viewer", "--name", "n" * 200], PASSWORD + "\n", 2, "display_name"),
    (["passwd", "khong-co"], PASSWORD + "\n", 1, "no such account"),
    (["disable", "khong-co"], "", 1, "no such account"),
    (["enable", "khong-co"], "", 1, "no such account"),
    (["passwd", "root"], "ngan\n", 2, "password"),
], ids=["taken", "weak password", "no password", "bad username", "bad role", "long name", "unknown passwd",
        "unknown disable", "unknown enable", "weak new password"])
def test_refusals_say_why_and_change_nothing(db: Path, args: list[str], stdin: str, code: int, says: str) -> None:
    before = snapshot(db)
    proc = admin(db, *args, stdin=stdin)
    assert proc.returncode == code and says in proc.stderr and proc.stdout == ""
    assert snapshot(db) == before


def test_passwd_disable_enable_end_sessions_and_are_audited(db: Path) -> None:
    assert admin(db, "create", "to-truong", "--role", "admin", stdin=PASSWORD + "\n").returncode == 0
    store = store_of(db)
    now = dt.datetime.now(dt.UTC)
    with store.unit() as unit:
        account = unit.session.exec(select(AdminAccount).where(col(AdminAccount.username) == "to-truong")).one()
        for kind in ("browser", "token"):
            issue_session(unit, account=account, kind=kind, ip="203.0.113.1", now=now)

    def open_sessions() -> int:
        with store.unit(readonly=True) as unit:
            return len(unit.session.exec(select(AdminSession).where(
                col(AdminSession.account_id) == account.id, col(AdminSession.revoked_at).is_(None))).all())

    assert open_sessions() == 2
    changed = admin(db, "passwd", "TO-TRUONG", stdin=OTHER + "\n")
    assert changed.returncode == 0, changed.stderr
    assert lines(changed.stdout)[0]["action"] == "password_changed" and open_sessions() == 0
    with store.unit() as unit:
        issue_session(unit, account=account, kind="token", ip="203.0.113.1", now=now)
    off = admin(db, "disable", "to-truong")
    assert off.returncode == 0 and lines(off.stdout)[0]["account"]["disabled"] is True and open_sessions() == 0
    on = admin(db, "enable", "to-truong")
    assert on.returncode == 0 and lines(on.stdout)[0]["account"]["disabled"] is False
    with store.unit(readonly=True) as unit:
        entries = unit.session.exec(select(AuditEntry).where(col(AuditEntry.target).endswith(":to-truong"))
                                    .order_by(col(AuditEntry.id))).all()
    assert [(e.username, e.action) for e in entries] == [
        ("cli", "account_created"), ("cli", "password_changed"), ("cli", "account_updated"), ("cli", "account_updated")
    ]
    assert entries[2].detail == {"disabled": {"from": False, "to": True}, "sessions_revoked": 1}
    store.engine.dispose()


def test_the_last_enabled_admin_cannot_be_disabled(tmp_path: Path) -> None:
    db = tmp_path / "one.sqlite3"
    assert admin(db, "create", "only", "--role", "admin", stdin=PASSWORD + "\n").returncode == 0
    refused = admin(db, "disable", "only")
    assert refused.returncode == 1 and "last enabled admin" in refused.stderr
    assert lines(admin(db, "list").stdout)[0]["disabled"] is False
