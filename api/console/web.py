"""What every console page shares: the templates, security headers and the static files.

Pages are server-rendered Jinja2 templates (autoescaped: whatever a citizen typed is shown as
text) with their own CSS and JavaScript served by the app, no CDN and no inline script, under a
Content-Security-Policy that allows only this origin.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.console.security import Principal

__all__ = ["CONSOLE_CSP", "SecurityHeaders", "render", "static_files", "templates"]

_HERE = Path(__file__).resolve().parent

templates = Jinja2Templates(directory=_HERE / "templates")

CONSOLE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'"
)


def static_files() -> StaticFiles:
    """The console's CSS and JavaScript (mounted at ``/admin/static``)."""
    return StaticFiles(directory=_HERE / "static")


def render(request: Request, name: str, *, who: Principal | None, status_code: int = 200,
           **context: Any) -> HTMLResponse:
    """Render a console page with the signed-in account (for the menu and the CSRF token)."""
    return templates.TemplateResponse(request, name, {"who": who, **context}, status_code=status_code)


class SecurityHeaders:
    """Adds the CSP and the usual hardening headers to every ``/admin`` response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """ASGI entry point."""
        if scope["type"] != "http" or not str(scope.get("path", "")).startswith("/admin"):
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += [
                    (b"content-security-policy", CONSOLE_CSP.encode()),
                    (b"x-frame-options", b"DENY"),
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"same-origin"),
                ]
                if not str(scope.get("path", "")).startswith("/admin/static"):
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)
