"""Starting and stopping the chat channels (Telegram, Zalo OA, Zalo Bot) in the lifespan.

A channel with no settings is not started, and its webhook answers 404. A
channel whose platform cannot be reached at start-up does not stop the app:
its runtime retries in the background and reports its state in
``app.state.channel_states`` (shown by ``/healthz``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import FastAPI

from api.bootstrap import Services

__all__ = ["Closer", "start_channels"]

Closer = Callable[[], Awaitable[None]]


async def start_channels(app: FastAPI, services: Services) -> list[Closer]:
    """Start every configured channel; returns the closers to await at shutdown (in reverse)."""
    settings = services.settings
    closers: list[Closer] = []
    if settings.telegram_bot_token is not None:
        from api.channels import telegram as telegram_runtime

        closers += await telegram_runtime.start(app, services)
    if settings.zalo_oa_app_id is not None or settings.zalo_bot_token is not None:
        from api.channels import zalo as zalo_runtime

        closers += await zalo_runtime.start(app, services)
    return closers
