"""Fixtures for the team tests: the fake Telegram Bot API (end-to-end tests), the console's app."""

from __future__ import annotations

from tests.console.conftest import browser, console
from tests.e2e.telegram_harness import loopback_only, telegram_fake_server

__all__ = ["browser", "console", "loopback_only", "telegram_fake_server"]
