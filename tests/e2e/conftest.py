"""Fixtures for the end-to-end tests. The browser tests keep their own in test_browser.py."""

from __future__ import annotations

# === Telegram: fake Bot API, app harness, loopback-only guard (owned by the Telegram channel) ===
from tests.e2e.telegram_harness import (
    fake_telegram,
    loopback_only,
    pg_schema_url,
    telegram,
    telegram_fake_server,
    telegram_module_app,
)

__all__ = ["fake_telegram", "loopback_only", "pg_schema_url", "telegram", "telegram_fake_server", "telegram_module_app"]
