"""The web chat page at ``/``, its static files, and ``/docs`` with Swagger UI served locally.

Nothing here needs ``app.state``: the page is static and talks to ``POST /api/v1/chat`` from
the browser. Swagger UI's files come from the ``fastapi-offline`` wheel, so ``/docs`` works
without any CDN.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.staticfiles import StaticFiles

__all__ = ["DOCS_ASSETS_URL", "STATIC_DIR", "STATIC_URL", "router"]

#: The chat page's own files (HTML, CSS, JS, icon).
STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
STATIC_URL = "/static"
#: Where Swagger UI's JS, CSS and favicon are served from.
DOCS_ASSETS_URL = f"{STATIC_URL}/docs"

# The page loads nothing from another origin; bot images may live on any https host.
_PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
        "img-src 'self' https: data:; base-uri 'none'; form-action 'none'; "
        "frame-ancestors 'none'"
    ),
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    # The page is tiny; always revalidate so a deploy is picked up at once.
    "Cache-Control": "no-cache",
}

router = APIRouter(include_in_schema=False)
# Mount the more specific prefix first: "/static" would otherwise swallow "/static/docs/…".
router.mount(
    DOCS_ASSETS_URL,
    StaticFiles(directory=str(files("fastapi_offline") / "static")),
    name="docs-assets",
)
router.mount(STATIC_URL, StaticFiles(directory=STATIC_DIR), name="static")


@router.api_route("/", methods=["GET", "HEAD"], response_class=FileResponse)
async def chat_page() -> FileResponse:
    """The web chat page."""
    return FileResponse(STATIC_DIR / "index.html", media_type="text/html", headers=_PAGE_HEADERS)


@router.get("/docs", response_class=HTMLResponse)
async def swagger_ui(request: Request) -> HTMLResponse:
    """Swagger UI for the OpenAPI schema, with every asset served by this app."""
    root = request.scope.get("root_path", "")
    openapi_url = request.app.openapi_url or "/openapi.json"
    return get_swagger_ui_html(
        openapi_url=f"{root}{openapi_url}",
        title=f"{request.app.title} - API",
        swagger_js_url=f"{root}{DOCS_ASSETS_URL}/swagger-ui-bundle.js",
        swagger_css_url=f"{root}{DOCS_ASSETS_URL}/swagger-ui.css",
        swagger_favicon_url=f"{root}{DOCS_ASSETS_URL}/favicon.png",
        # The default validator badge would load an image from swagger.io.
        swagger_ui_parameters={"validatorUrl": None},
    )
