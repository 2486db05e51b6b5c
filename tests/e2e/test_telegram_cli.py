"""``telegram set-webhook|delete-webhook|webhook-info|poll`` and TELEGRAM_MODE=polling, on the fake."""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from bot.telegram_cli import add_telegram_commands
from tests.e2e.telegram_harness import SECRET, open_telegram_app, telegram_settings
from tests.fakes.telegram_api import FakeTelegramAPI, message_update


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, fake_telegram: FakeTelegramAPI, tmp_path: Path) -> FakeTelegramAPI:
    """The environment the CLI reads its settings from, pointed at the fake."""
    monkeypatch.chdir(tmp_path)  # no stray .env
    for name, value in {
        "TELEGRAM_BOT_TOKEN": fake_telegram.token,
        "TELEGRAM_WEBHOOK_SECRET": SECRET,
        "TELEGRAM_API_BASE_URL": fake_telegram.base_url,
        "PUBLIC_BASE_URL": "https://troly06.example.gov.vn/",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite3'}",
        "LOG_LEVEL": "WARNING",
    }.items():
        monkeypatch.setenv(name, value)
    return fake_telegram


async def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, list[dict[str, Any]]]:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url")
    add_telegram_commands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(list(argv))
    code = await asyncio.to_thread(args.func, args)  # the command runs its own event loop
    out = capsys.readouterr().out
    return code, [json.loads(line) for line in out.splitlines()]


async def test_set_webhook_info_and_delete(cli_env: FakeTelegramAPI, capsys: pytest.CaptureFixture[str]) -> None:
    code, lines = await run_cli(capsys, "telegram", "set-webhook", "--drop-pending")
    assert code == 0 and lines == [{
        "ok": True, "url": "https://troly06.example.gov.vn/webhooks/telegram", "drop_pending_updates": True,
        "allowed_updates": ["message", "callback_query", "edited_message", "my_chat_member"],
    }]
    (call,) = cli_env.calls("setWebhook")
    assert call.params["secret_token"] == SECRET and call.params["drop_pending_updates"] is True
    assert call.params["allowed_updates"] == ["message", "callback_query", "edited_message", "my_chat_member"]

    code, lines = await run_cli(capsys, "telegram", "webhook-info")
    assert code == 0 and lines[0]["url"] == "https://troly06.example.gov.vn/webhooks/telegram"
    assert lines[0]["pending_update_count"] == 0 and lines[0]["allowed_updates"][0] == "message"

    code, lines = await run_cli(capsys, "telegram", "delete-webhook")
    assert code == 0 and lines == [{"ok": True, "deleted": True, "drop_pending_updates": False}]
    assert cli_env.webhook == {}


async def test_set_webhook_refused_by_telegram_exits_1(cli_env: FakeTelegramAPI,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    from tests.fakes.telegram_api import Failure

    cli_env.fail_next("setWebhook", Failure(400, "Bad Request: bad webhook: An HTTPS URL must be provided"))
    code, lines = await run_cli(capsys, "telegram", "set-webhook", "--url", "http://example.invalid/x")
    assert code == 1 and lines[0]["ok"] is False and "https url must be provided" in lines[0]["error"].lower()


async def test_poll_command_answers_through_get_updates(cli_env: FakeTelegramAPI,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    cli_env.push_update(message_update(990001, "quên mật khẩu VNeID"))
    code, lines = await run_cli(capsys, "telegram", "poll", "--max-seconds", "4")
    assert code == 0 and lines[0] == {"ok": True, "polling": True, "bot": "troly06_test_bot"}
    assert cli_env.calls("deleteWebhook") and cli_env.calls("sendMessage", chat_id=990001)


async def test_polling_mode_in_the_server_feeds_the_same_path(fake_telegram: FakeTelegramAPI, tmp_path: Path) -> None:
    settings = telegram_settings(tmp_path, fake_telegram, telegram_mode="polling", telegram_webhook_secret=None)
    fake_telegram.set_delay(0)
    update = message_update(990002, "/start f-l2")
    fake_telegram.push_update(update)
    fake_telegram.push_update(update)  # redelivered: answered once
    async with open_telegram_app(settings, fake_telegram) as tg:
        await fake_telegram.wait_for(lambda cs: len(cs) == 1, method="deleteWebhook")
        calls = await fake_telegram.wait_for(lambda cs: len(cs) >= 2, method="sendMessage", chat_id=990002)
        await asyncio.sleep(0.3)
        assert len(fake_telegram.calls("sendMessage", chat_id=990002)) == len(calls) == 2
        health = (await tg.client.get("/healthz")).json()
        assert health["channels"]["telegram"] == "ok (polling)"
        # No secret configured: the webhook is not open in polling mode.
        assert (await tg.post(message_update(990003, "xin chào"))).status_code == 404
