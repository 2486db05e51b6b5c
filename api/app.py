"""The FastAPI application factory and its lifespan (the composition root of the server)."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool

from api.announce import routes as announce_routes
from api.announce.queue import AnnounceRunner, build_broadcaster
from api.bootstrap import build_services
from api.console import (
    account_routes,
    audit_routes,
    auth_routes,
    content_api,
    content_pages,
    inbox_routes,
    transfer_routes,
    tryit,
)
from api.console.transfer import IMPORT_MAX_BYTES
from api.console.security import signing_key
from api.console.web import SecurityHeaders, static_files
from api.channels import start_channels
from api.errors import document_body_limit, install_handlers
from api.dashboard import routes as dashboard_routes
from api.handoff import hours_pages as handoff_hours_pages
from api.handoff import routes as handoff_routes
from api.limits import BodySizeLimit
from api.logging_setup import configure_logging
from api.store.maintenance import Maintenance
from api.routes import chat, health, telegram, web, zalo
from api.routes import services as services_routes
from api.settings import Settings
from api.support import pages as support_pages
from api.support import routes as support_routes
from api.team import member_pages as team_member_pages
from api.team import pages as team_pages
from api.team import routes as team_routes

__all__ = ["create_app"]

log = logging.getLogger(__name__)


def _secrets(settings: Settings) -> list[str]:
    values = [
        settings.secret_key,
        settings.telegram_bot_token,
        settings.telegram_webhook_secret,
        settings.zalo_oa_app_secret,
        settings.zalo_oa_secret_key,
        settings.zalo_oa_access_token,
        settings.zalo_oa_refresh_token,
        settings.zalo_bot_token,
        settings.zalo_bot_webhook_secret,
    ]
    return [v.get_secret_value() for v in values if v is not None]


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app; engines, clients and the content index are made in the lifespan."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        configure_logging(settings.log_level, _secrets(settings))
        services = await run_in_threadpool(build_services, settings)
        app.state.services = services
        app.state.store = services.store
        app.state.content = services.content
        app.state.conversation = services.conversation
        app.state.console_key = await run_in_threadpool(signing_key, services.store, settings)
        # Threads of the health probe's own, so it answers while requests queue on a database lock.
        app.state.health_limiter = anyio.CapacityLimiter(2)
        app.state.channel_states = {"web": "ok", "telegram": "disabled", "zalo_oa": "disabled", "zalo_bot": "disabled"}
        closers = await start_channels(app, services)
        maintenance = Maintenance(services.store)
        maintenance.start()
        app.state.maintenance = maintenance
        escalator = handoff_routes.Escalator(services.store, content=services.content,
                                             shell=services.conversation.handoff)
        escalator.start()
        # Announcements by commune: the broadcast runner (procrastinate worker on PostgreSQL).
        broadcaster, announce_clients = build_broadcaster(settings, services.store)
        announce_runner = AnnounceRunner(services.store, broadcaster, database_url=settings.database_url,
                                        stalled_s=settings.announce_stalled_s)
        await announce_runner.start()
        app.state.announce_runner = announce_runner
        # Everything built so far (content index, libraries) lives as long as the process: keep it
        # out of the cyclic collector, whose full passes over it paused every request ~40 ms.
        gc.collect()
        gc.freeze()
        try:
            yield
        finally:
            for close in reversed(closers):
                try:
                    await close()
                except Exception:  # one channel failing to stop must not keep the others running
                    log.exception("error while stopping a channel")
            await escalator.stop()
            await announce_runner.stop()
            for client in announce_clients:
                await client.aclose()
            try:
                await maintenance.stop()
            except Exception:
                log.exception("error while stopping the maintenance tasks")
            services.close()

    app = FastAPI(
        title="Trợ lý 06",
        version="0.1.0",
        description="Trợ lý hỏi đáp VNeID, định danh điện tử và dịch vụ công thiết yếu (Đề án 06).",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    app.state.settings = settings
    install_handlers(app)
    document_body_limit(app)
    # Content files are uploaded to the console's import (a little room for the multipart framing).
    uploads = {
        "/api/v1/admin/import": IMPORT_MAX_BYTES + 64 * 1024,
        "/admin/transfer/": IMPORT_MAX_BYTES + 64 * 1024,
        # Console forms come from signed-in staff: up to 1 MiB reaches the form's own checks, so an
        # over-long field is refused with the message next to it, not with a bare 413.
        "/admin/": 1024 * 1024,
    }
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes, larger=uploads)
    app.add_middleware(SecurityHeaders)
    app.mount("/admin/static", static_files(), name="admin-static")
    app.include_router(auth_routes.pages)
    app.include_router(auth_routes.api)
    for module in (account_routes, audit_routes, tryit, inbox_routes, transfer_routes):
        app.include_router(module.pages)
        app.include_router(module.api)
    app.include_router(content_api.router)
    app.include_router(content_pages.router)
    app.include_router(team_routes.admin)
    app.include_router(support_routes.admin)
    app.include_router(support_pages.pages)
    app.include_router(support_routes.public)
    app.include_router(team_routes.public)
    app.include_router(team_pages.pages)
    app.include_router(handoff_hours_pages.pages)
    app.include_router(handoff_routes.admin)
    app.include_router(handoff_routes.pages)
    app.include_router(handoff_routes.public)
    app.include_router(team_member_pages.pages)
    # The dashboard (issue 14).
    app.include_router(dashboard_routes.api)
    app.include_router(dashboard_routes.pages)
    # Announcements by commune (issue 14).
    app.include_router(announce_routes.admin)
    app.include_router(announce_routes.pages)
    app.include_router(announce_routes.public)
    app.include_router(health.router)
    app.include_router(chat.router)
    app.include_router(services_routes.router)
    app.include_router(telegram.router)
    app.include_router(zalo.router)
    app.include_router(web.router)
    return app
