"""Fixtures of the announcement tests: the Telegram harness (fake Bot API) and the console's app."""

from __future__ import annotations

from tests.console.conftest import browser, console
from tests.e2e.telegram_harness import fake_telegram, loopback_only, telegram, telegram_fake_server, telegram_module_app

__all__ = ["browser", "console", "fake_telegram", "loopback_only", "telegram", "telegram_fake_server",
           "telegram_module_app"]
