"""``python -m bot telegram set-webhook|delete-webhook|webhook-info|poll`` (a composition root).

    set-webhook [--url URL] [--drop-pending] [--max-connections N]
        point Telegram at PUBLIC_BASE_URL + /webhooks/telegram (or --url) with the secret token
        TELEGRAM_WEBHOOK_SECRET and allowed_updates message, callback_query, edited_message,
        my_chat_member
    delete-webhook [--drop-pending]     remove the webhook (getUpdates works again)
    webhook-info                        print getWebhookInfo (pending updates, last error)
    poll [--max-seconds S]              answer through getUpdates, without a public URL (local
                                        trials): deletes the webhook first, then runs the same
                                        handling and outbox sender as the web server

Each command prints JSON lines on stdout; logs go to stderr. Exit status 1 when Telegram refuses.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import sys
from typing import Any

__all__ = ["add_telegram_commands"]

WEBHOOK_PATH = "/webhooks/telegram"


def _emit(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def _settings(args: argparse.Namespace, **overrides: Any) -> Any:
    from api.settings import Settings

    if getattr(args, "database_url", None):
        overrides["database_url"] = args.database_url
    return Settings(**overrides)


def add_telegram_commands(subparsers: Any) -> None:
    """Add the ``telegram`` command group to the CLI's subparsers."""
    tg = subparsers.add_parser("telegram", help="Telegram webhook and polling")
    sub = tg.add_subparsers(dest="telegram_command", required=True)

    setw = sub.add_parser("set-webhook", help="point Telegram at this server's webhook")
    setw.add_argument("--url", help=f"webhook URL (default PUBLIC_BASE_URL + {WEBHOOK_PATH})")
    setw.add_argument("--drop-pending", action="store_true", help="drop the updates Telegram still holds")
    setw.add_argument("--max-connections", type=int, default=40, help="1-100 parallel connections (default 40)")
    setw.set_defaults(func=_cmd_set_webhook)

    delw = sub.add_parser("delete-webhook", help="remove the webhook")
    delw.add_argument("--drop-pending", action="store_true", help="drop the updates Telegram still holds")
    delw.set_defaults(func=_cmd_delete_webhook)

    info = sub.add_parser("webhook-info", help="show the webhook's state")
    info.set_defaults(func=_cmd_webhook_info)

    poll = sub.add_parser("poll", help="answer through getUpdates (no public URL needed)")
    poll.add_argument("--max-seconds", type=float, help="stop after this many seconds (default: until Ctrl-C)")
    poll.set_defaults(func=_cmd_poll)


def _bot(settings: Any) -> Any:
    from telegram import Bot

    if settings.telegram_bot_token is None:
        raise SystemExit("TELEGRAM_BOT_TOKEN is not set")
    return Bot(settings.telegram_bot_token.get_secret_value(), base_url=settings.telegram_api_base_url)


def _run(coro: Any) -> int:
    from telegram.error import TelegramError

    try:
        result: int = asyncio.run(coro)
        return result
    except TelegramError as exc:
        _emit({"ok": False, "error": f"{type(exc).__name__}: {exc.message}"})
        return 1


def _cmd_set_webhook(args: argparse.Namespace) -> int:
    from bot.channels.telegram import ALLOWED_UPDATES

    settings = _settings(args)
    if settings.telegram_webhook_secret is None:
        raise SystemExit("TELEGRAM_WEBHOOK_SECRET is not set: Telegram must send it with every update")
    url = args.url or settings.public_base_url.rstrip("/") + WEBHOOK_PATH

    async def go() -> int:
        async with _bot(settings) as bot:
            await bot.set_webhook(
                url=url,
                secret_token=settings.telegram_webhook_secret.get_secret_value(),
                allowed_updates=list(ALLOWED_UPDATES),
                drop_pending_updates=args.drop_pending,
                max_connections=args.max_connections,
            )
        _emit({"ok": True, "url": url, "allowed_updates": list(ALLOWED_UPDATES),
               "drop_pending_updates": args.drop_pending})
        return 0

    return _run(go())


def _cmd_delete_webhook(args: argparse.Namespace) -> int:
    settings = _settings(args)

    async def go() -> int:
        async with _bot(settings) as bot:
            await bot.delete_webhook(drop_pending_updates=args.drop_pending)
        _emit({"ok": True, "deleted": True, "drop_pending_updates": args.drop_pending})
        return 0

    return _run(go())


def _cmd_webhook_info(args: argparse.Namespace) -> int:
    settings = _settings(args)

    async def go() -> int:
        async with _bot(settings) as bot:
            info = await bot.get_webhook_info()
        last_error = info.last_error_date.isoformat() if info.last_error_date else None
        _emit({
            "ok": True,
            "url": info.url,
            "pending_update_count": info.pending_update_count,
            "last_error_date": last_error,
            "last_error_message": info.last_error_message,
            "max_connections": info.max_connections,
            "allowed_updates": list(info.allowed_updates or ()),
        })
        return 0

    return _run(go())


def _cmd_poll(args: argparse.Namespace) -> int:
    settings = _settings(args, telegram_mode="polling")
    if settings.telegram_bot_token is None:
        raise SystemExit("TELEGRAM_BOT_TOKEN is not set")
    return asyncio.run(_poll(settings, args.max_seconds))


async def _poll(settings: Any, max_seconds: float | None) -> int:
    from fastapi import FastAPI
    from starlette.concurrency import run_in_threadpool

    from api.channels import telegram as telegram_runtime
    from api.bootstrap import build_services

    os.environ.setdefault("PTB_TIMEDELTA", "true")
    services = await run_in_threadpool(build_services, settings)
    app = FastAPI()
    app.state.channel_states = {}
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(sig, stop.set)
    deadline = None if max_seconds is None else loop.time() + max_seconds

    def remaining() -> float | None:
        return None if deadline is None else max(0.0, deadline - loop.time())

    closers = await telegram_runtime.start(app, services)
    try:
        runtime = app.state.telegram
        ready = asyncio.ensure_future(runtime.ready.wait())
        stopped = asyncio.ensure_future(stop.wait())
        await asyncio.wait({ready, stopped}, timeout=remaining(), return_when=asyncio.FIRST_COMPLETED)
        if ready.done():
            _emit({"ok": True, "polling": True, "bot": runtime.bot_username})
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stopped, timeout=remaining())
        ready.cancel()
    finally:
        for close in reversed(closers):
            await close()
        services.close()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.remove_signal_handler(sig)
    _emit({"ok": True, "polling": False})
    return 0
