"""The one settings object: the only reader of the environment.

Every variable is optional and unprefixed (see README "Configuration").
Tests construct :class:`Settings` directly instead of touching the environment.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["PROJECT_ROOT", "Settings", "default_database_url"]

#: The project root, found from the package location (not the working directory).
PROJECT_ROOT = Path(__file__).resolve().parent.parent


def default_database_url() -> str:
    """SQLite file under ``<project root>/data/``."""
    return f"sqlite:///{PROJECT_ROOT / 'data' / 'troly06.sqlite3'}"


class Settings(BaseSettings):
    """Runtime configuration, read once from the environment (and ``.env`` if present)."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore", frozen=True)

    database_url: str = Field(default_factory=default_database_url)
    public_base_url: str = "http://127.0.0.1:8000"
    log_level: str = "INFO"
    #: Seals secrets the bot stores in the database (the Zalo OA tokens); see api/sealed.py.
    secret_key: SecretStr | None = None

    # Content locations (the YAML baseline that seeds the database).
    faq_dir: Path = PROJECT_ROOT / "faq" / "content"
    flows_dir: Path = PROJECT_ROOT / "flows" / "content"
    catalogue_dir: Path = PROJECT_ROOT / "flows" / "catalogue"
    #: Sync the YAML baseline into the database at start-up.
    content_sync_on_start: bool = True

    # Chat API limits.
    chat_rate_per_minute: int = Field(default=30, ge=1)
    chat_ip_rate_per_minute: int = Field(default=120, ge=1)
    max_text_chars: int = Field(default=2000, ge=100)
    max_body_bytes: int = Field(default=64 * 1024, ge=1024)

    # Telegram.
    telegram_bot_token: SecretStr | None = None
    telegram_webhook_secret: SecretStr | None = None
    telegram_api_base_url: str = "https://api.telegram.org/bot"
    telegram_mode: Literal["webhook", "polling"] = "webhook"
    #: The staff Telegram group (a supergroup id, negative) where hand-offs are posted, one forum topic
    #: or reply thread per citizen; needs TELEGRAM_BOT_TOKEN.
    handoff_telegram_chat_id: int | None = Field(default=None, lt=0)

    # Zalo Official Account (Open API v3).
    zalo_oa_app_id: str | None = None
    zalo_oa_app_secret: SecretStr | None = None
    zalo_oa_secret_key: SecretStr | None = None
    zalo_oa_access_token: SecretStr | None = None
    zalo_oa_refresh_token: SecretStr | None = None
    zalo_oa_api_base_url: str = "https://openapi.zalo.me"
    zalo_oauth_base_url: str = "https://oauth.zaloapp.com"
    zalo_oa_max_event_age_s: int = Field(default=300, ge=1)

    # Zalo Bot Platform.
    zalo_bot_token: SecretStr | None = None
    zalo_bot_webhook_secret: SecretStr | None = None
    zalo_bot_api_base_url: str = "https://bot-api.zaloplatforms.com/bot"

    # Announcements by commune (api/announce): Telegram's limit, about 30 messages/s per bot.
    announce_rate_per_s: float = Field(default=30.0, gt=0, le=1000)
    announce_concurrency: int = Field(default=16, ge=1, le=256)
    #: How long a claimed recipient row stays with its worker before another may send it (a crash).
    announce_lease_s: float = Field(default=30.0, ge=2, le=600)
    #: How long an announcement worker may go without a heartbeat before its job is taken as stalled
    #: (its process died) and queued again (PostgreSQL).
    announce_stalled_s: float = Field(default=15.0, ge=3, le=600)

    # Tests only.

    test_database_url: str = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    test_redis_url: str = "redis://127.0.0.1:6379/15"

    @model_validator(mode="after")
    def _refuse_unsafe(self) -> Settings:
        if self.telegram_bot_token and self.telegram_mode == "webhook" and not self.telegram_webhook_secret:
            raise ValueError(
                "TELEGRAM_BOT_TOKEN is set without TELEGRAM_WEBHOOK_SECRET: "
                "set a secret (1-256 chars of A-Z a-z 0-9 _ -) or use TELEGRAM_MODE=polling"
            )
        if self.zalo_oa_app_id and not self.zalo_oa_secret_key:
            raise ValueError("ZALO_OA_APP_ID is set without ZALO_OA_SECRET_KEY: webhook signatures cannot be checked")
        if self.zalo_bot_token and not self.zalo_bot_webhook_secret:
            raise ValueError("ZALO_BOT_TOKEN is set without ZALO_BOT_WEBHOOK_SECRET (the setWebhook secret_token)")
        return self

    @property
    def is_sqlite(self) -> bool:
        """True when the database is SQLite."""
        return self.database_url.startswith("sqlite")
