"""Fixtures for the hand-off tests: the console's app (an account per role), the fake Telegram API."""

from __future__ import annotations

from tests.console.conftest import browser, console
from tests.e2e.telegram_harness import loopback_only, telegram_fake_server

__all__ = ["browser", "console", "loopback_only", "telegram_fake_server"]
