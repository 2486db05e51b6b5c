"""Wiring shared by the server lifespan and the command line: engine, store, content, turns."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from api.conversation import Conversation, utcnow
from api.store.db import make_engine, migrate
from api.handoff.group import GroupPoster
from api.handoff.shell import HandoffShell
from api.live_content import ContentRuntime, sync_from_files
from api.settings import Settings
from api.store import Store
from api.team.chat import TeamShell

__all__ = ["Services", "build_services"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Services:
    """The stateful pieces one process needs."""

    settings: Settings
    store: Store
    content: ContentRuntime
    conversation: Conversation

    def close(self) -> None:
        """Release database connections."""
        self.store.engine.dispose()


def build_services(settings: Settings, *, sync_content: bool | None = None) -> Services:
    """Create the engine, migrate, seed content from YAML (when enabled) and warm the index."""
    engine = make_engine(settings.database_url)
    migrate(engine)
    store = Store(engine)
    if settings.content_sync_on_start if sync_content is None else sync_content:
        sync_from_files(store, settings, now=utcnow())
    runtime = ContentRuntime()
    runtime.current(store)
    team = TeamShell(public_base_url=settings.public_base_url)
    group = GroupPoster(settings.handoff_telegram_chat_id if settings.telegram_bot_token is not None else None)
    return Services(settings, store, runtime, Conversation(store, runtime, team=team, handoff=HandoffShell(group)))
