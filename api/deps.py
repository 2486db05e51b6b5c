"""FastAPI dependencies, named as ``Annotated`` aliases (settings, store, conversation, content)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from api.conversation import Conversation
from api.live_content import ContentRuntime
from api.settings import Settings
from api.store import Store
from bot.core.content import ContentSnapshot

__all__ = ["ConversationDep", "SettingsDep", "SnapshotDep", "StoreDep"]


def get_settings(request: Request) -> Settings:
    """The app's settings."""
    settings: Settings = request.app.state.settings
    return settings


def get_store(request: Request) -> Store:
    """The app's store."""
    store: Store = request.app.state.store
    return store


def get_conversation(request: Request) -> Conversation:
    """The app's turn runner."""
    conv: Conversation = request.app.state.conversation
    return conv


def get_snapshot(request: Request) -> ContentSnapshot:
    """The current content snapshot (rebuilt when the content version changed)."""
    runtime: ContentRuntime = request.app.state.content
    store: Store = request.app.state.store
    return runtime.current(store)


SettingsDep = Annotated[Settings, Depends(get_settings)]
StoreDep = Annotated[Store, Depends(get_store)]
ConversationDep = Annotated[Conversation, Depends(get_conversation)]
SnapshotDep = Annotated[ContentSnapshot, Depends(get_snapshot)]
