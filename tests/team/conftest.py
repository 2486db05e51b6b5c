"""Fixtures for the team tests: the fake Telegram Bot API of the end-to-end tests."""

from __future__ import annotations

from tests.e2e.telegram_harness import loopback_only, telegram_fake_server

__all__ = ["loopback_only", "telegram_fake_server"]
