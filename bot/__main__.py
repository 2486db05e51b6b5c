"""Command line of Trợ lý 06 (a composition root): ``python -m bot <command>``.

stdout carries only JSON lines (UTF-8); logs go to stderr.

    ask "TEXT" [--user ID]     answer one question (or one per stdin line without TEXT)
    serve [--host H] [--port P] run the web server (the same app as ``make run``)
    eval FILE.yaml [...]        score the bot on a question set
    bench                       measure matcher, answer path, start-up and memory
    bench-dashboard [--rows N]  time the dashboard on N seeded message-log rows (a new, empty database)
    content sync|check|export   manage the content in the database
    chaos kill|db-loss|api-down fault scenarios against the real app on loopback (see bot.chaos)
    admin create|passwd|disable|enable|list   console accounts (passwords are read from stdin)

``admin``: a password is never an argument (it would show in ``ps`` and shell history): it is
read with getpass, twice, from a terminal, else as one line of stdin. Exit status 2 for input
that can never work (a weak password, a bad username, a bad role), 1 for a refusal of the
database's state (an unknown user, a taken username, the last enabled admin). Every change is
in the audit log under the username ``cli``.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import uuid
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

__all__ = ["main"]

log = logging.getLogger("bot")


def _emit(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def _settings(args: argparse.Namespace) -> Any:
    from api.settings import Settings

    overrides: dict[str, Any] = {}
    if getattr(args, "database_url", None):
        overrides["database_url"] = args.database_url
    return Settings(**overrides)


def _cmd_ask(args: argparse.Namespace) -> int:
    from api.bootstrap import build_services
    from api.conversation import prepare_inbound
    from bot.core.types import Source

    settings = _settings(args)
    services = build_services(settings)
    try:
        def one(text: str, user: str | None) -> dict[str, Any]:
            source: Source = "user" if user else "cli"
            inbound = prepare_inbound(text=text, source=source, max_chars=settings.max_text_chars)
            result = services.conversation.run_turn(
                channel="cli", external_id=user or f"cli-{uuid.uuid4().hex[:12]}", inbound=inbound
            )
            assert result is not None
            return result.to_cli()

        if args.text is not None:
            _emit(one(args.text, args.user))
            return 0
        for line in sys.stdin:
            _emit(one(line.rstrip("\r\n"), args.user))
        return 0
    finally:
        services.close()


def _cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from api.app import create_app

    app = create_app(_settings(args))
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning", access_log=False)
    return 0


def _cmd_eval(args: argparse.Namespace) -> int:
    from api.bootstrap import build_services
    from api.conversation import eval_asker
    from bot.evaluation import EvalError, expect_only, load_cases, run_eval

    try:
        cases = [c for f in args.files for c in load_cases(Path(f))]
    except (EvalError, OSError, ValueError) as exc:
        print(f"eval: {exc}", file=sys.stderr)
        return 2
    if args.expect_only:
        cases = expect_only(cases)
    settings = _settings(args)
    services = build_services(settings)
    try:
        report = run_eval(cases, eval_asker(services.conversation, max_chars=settings.max_text_chars))
        # Held-out batches: totals only, unless asked (their collector's one first score).
        report = replace(report, hide_held_out=not args.show_held_out)
        for line in report.table_lines():
            print(line, file=sys.stderr)
        summary = report.summary()
        _emit(summary)
        ok = True
        if args.min_in_scope is not None and summary["in_scope"]["rate"] < args.min_in_scope:
            ok = False
        if args.min_oos is not None and summary["oos"]["rate"] < args.min_oos:
            ok = False
        return 0 if ok else 1
    finally:
        services.close()


def _cmd_bench(args: argparse.Namespace) -> int:
    from bot.bench import run_bench

    for row in run_bench(entries=args.synthetic, queries=args.queries, turns=args.turns):
        _emit(row)
    return 0


def _at_least_one(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("at least 1")
    return value


def _cmd_bench_dashboard(args: argparse.Namespace) -> int:
    from api.dashboard.bench import run

    return run(rows=args.rows, repeat=args.repeat, database_url=args.database_url)


def _cmd_content(args: argparse.Namespace) -> int:
    from api.bootstrap import build_services
    from api.content import content_check, write_export
    from api.conversation import utcnow
    from api.live_content import sync_from_files

    settings = _settings(args)
    services = build_services(settings, sync_content=False)
    try:
        if args.action == "sync":
            report = sync_from_files(services.store, settings, now=utcnow(), force=args.force)
            _emit(report.as_dict())
            return 1 if report.errors else 0
        if args.action == "check":
            with services.store.unit() as unit:
                rows = [r for kind in ("faq", "flow", "service") for r in unit.content_rows(kind=kind)]
            problems = content_check(rows, today=utcnow().date())
            for p in problems:
                _emit({"problem": p})
            _emit({"checked": len(rows), "problems": len(problems)})
            return 0
        out = Path(args.out)
        written = write_export(services.store, out)
        _emit({"exported": [str(p) for p in written]})
        return 0
    finally:
        services.close()


class _Refused(Exception):
    """An admin command that cannot be done; ``code`` is the exit status."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


def _read_password() -> str:
    import getpass

    if sys.stdin.isatty():
        first = getpass.getpass("Mật khẩu mới: ")
        if getpass.getpass("Nhập lại: ") != first:
            raise _Refused("the two passwords differ", 2)
        return first
    line = sys.stdin.readline()
    if not line.strip("\r\n"):
        raise _Refused("no password on standard input (one line is read)", 2)
    return line.rstrip("\r\n")


def _cmd_admin(args: argparse.Namespace) -> int:
    from pydantic import ValidationError

    from api.console.accounts import (
        AccountCreate,
        AccountError,
        AccountOut,
        AccountUpdate,
        LastAdmin,
        PasswordIn,
        add_account,
        change_password,
        find_account,
        list_accounts,
        update_account,
    )
    from api.conversation import utcnow
    from api.store import Store
    from api.store.db import make_engine, migrate

    def row(account: AccountOut) -> dict[str, Any]:
        return {"id": account.id, "username": account.username, "name": account.display_name,
                "role": account.role.value, "disabled": account.disabled,
                "created_at": account.created_at.isoformat()}

    engine = make_engine(_settings(args).database_url)
    try:
        migrate(engine)
        store = Store(engine)
        try:
            if args.action == "list":
                with store.unit(readonly=True) as unit:
                    for account in list_accounts(unit):
                        _emit(row(account))
                return 0
            if args.action == "create":
                # Check the name and role before asking for the password.
                AccountCreate(username=args.username, password="x" * 10, role=args.role,
                              display_name=args.name)
                data = AccountCreate(username=args.username, password=_read_password(), role=args.role,
                                     display_name=args.name)
                with store.unit() as unit:
                    out = add_account(unit, data, now=utcnow(), actor="cli", ip="local")
                _emit({"action": "created", "account": row(out)})
                return 0
            with store.unit(readonly=True) as unit:
                account_id = find_account(unit, username=args.username).id
            assert account_id is not None
            if args.action == "passwd":
                new = PasswordIn(password=_read_password())
                with store.unit() as unit:
                    out = change_password(unit, account_id, new, now=utcnow(), actor="cli", ip="local")
                _emit({"action": "password_changed", "account": row(out)})
                return 0
            with store.unit() as unit:
                update = AccountUpdate(disabled=args.action == "disable")
                out = update_account(unit, account_id, update, actor="cli", ip="local", now=utcnow())
            _emit({"action": f"{args.action}d", "account": row(out)})
            return 0
        except ValidationError as exc:
            fields = ", ".join(str(e["loc"][0]) for e in exc.errors() if e["loc"])
            raise _Refused(f"invalid {fields}: " + "; ".join(e["msg"] for e in exc.errors()), 2) from None
        except LastAdmin as exc:
            raise _Refused(exc.message, 1) from None
        except AccountError as exc:
            raise _Refused(exc.message, 1) from None
    except _Refused as exc:
        print(f"admin {args.action}: {exc}", file=sys.stderr)
        return exc.code
    finally:
        engine.dispose()


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bot", description="Trợ lý 06 command line")
    p.add_argument("--database-url", help="override DATABASE_URL")
    sub = p.add_subparsers(dest="command", required=True)

    ask = sub.add_parser("ask", help="answer one question, or one per line of stdin")
    ask.add_argument("text", nargs="?")
    ask.add_argument("--user", help="keep state between calls under this user id")
    ask.set_defaults(func=_cmd_ask)

    serve = sub.add_parser("serve", help="run the web server")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.set_defaults(func=_cmd_serve)

    ev = sub.add_parser("eval", help="score the bot on question sets")
    ev.add_argument("files", nargs="+")
    ev.add_argument("--min-in-scope", type=float)
    ev.add_argument("--min-oos", type=float)
    ev.add_argument("--expect-only", action="store_true",
                    help="score by the expect groups alone (the shared sets' rule), ignoring expected ids and kinds")
    ev.add_argument("--show-held-out", action="store_true",
                    help="also list the cases of held-out batches (real_questions_N.yaml, N >= 11) one by one")
    ev.set_defaults(func=_cmd_eval)

    bench = sub.add_parser("bench", help="measure speed and memory")
    bench.add_argument("--synthetic", type=int, default=2000)
    bench.add_argument("--queries", type=int, default=2000)
    bench.add_argument("--turns", type=int, default=500)
    bench.set_defaults(func=_cmd_bench)

    dash = sub.add_parser("bench-dashboard", help="time the dashboard on N seeded message-log rows (a new database)")
    dash.add_argument("--rows", type=_at_least_one, default=100_000)
    dash.add_argument("--repeat", type=_at_least_one, default=5)
    dash.set_defaults(func=_cmd_bench_dashboard)

    content = sub.add_parser("content", help="manage content in the database")
    content.add_argument("action", choices=["sync", "check", "export"])
    content.add_argument("--force", action="store_true", help="sync: overwrite entries edited in the database")
    content.add_argument("--out", default="data/export", help="export: output directory")
    content.set_defaults(func=_cmd_content)

    admin = sub.add_parser("admin", help="console accounts; passwords are read from stdin, never arguments")
    actions = admin.add_subparsers(dest="action", required=True)
    create = actions.add_parser("create", help="add an account")
    create.add_argument("username")
    create.add_argument("--role", required=True, choices=["admin", "editor", "member", "viewer"])
    create.add_argument("--name", default="", help="display name")
    for name, text in (("passwd", "set a new password (ends its sessions and tokens)"),
                       ("disable", "disable the account and end its sessions and tokens"),
                       ("enable", "enable a disabled account")):
        actions.add_parser(name, help=text).add_argument("username")
    actions.add_parser("list", help="one JSON line per account")
    admin.set_defaults(func=_cmd_admin)

    from bot import chaos

    fault = sub.add_parser("chaos", help="run a fault scenario and count lost/duplicated/delayed answers")
    chaos.add_arguments(fault)
    fault.set_defaults(func=chaos.main)

    from bot import bench_broadcast

    broadcast = sub.add_parser("bench-broadcast", help="send one announcement to N subscribers through a fake Bot API")
    bench_broadcast.add_arguments(broadcast)
    broadcast.set_defaults(func=bench_broadcast.main)
    sub.add_parser("announce-worker", help="run the announcement sender alone (until SIGTERM)").set_defaults(
        func=bench_broadcast.worker_main)

    from bot.telegram_cli import add_telegram_commands

    add_telegram_commands(sub)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Parse arguments and run the command; logs go to stderr."""
    from api.logging_setup import configure_logging

    args = _parser().parse_args(argv)
    configure_logging("WARNING" if args.command in ("ask", "eval", "admin") else "INFO")
    code: int = args.func(args)
    return code


if __name__ == "__main__":
    raise SystemExit(main())
