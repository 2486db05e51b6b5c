"""The web chat page, its static files and /docs, through the ASGI app (no CDN, nothing external)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from api.app import create_app
from api.routes.web import STATIC_DIR
from api.settings import Settings

# src="…" / href="…" / url: '…' in HTML and the Swagger UI bootstrap script.
_URL_RE = re.compile(r"""(?:\b(?:src|href)=|\burl:\s*)["']([^"']+)["']""")
_EXTERNAL_RE = re.compile(r"(?:https?:)?//[A-Za-z0-9]")


@pytest.fixture
async def web_client(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    """A client on the real app. No lifespan: the page and /docs must not need app.state."""
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'web.sqlite3'}"))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


def _local_urls(html: str) -> list[str]:
    urls = _URL_RE.findall(html)
    assert urls, "no asset URLs found"
    for url in urls:
        assert url.startswith("/") and not url.startswith("//"), f"not served by the app: {url}"
    return urls


async def test_chat_page_is_vietnamese_phone_friendly_and_accessible(web_client: httpx.AsyncClient) -> None:
    response = await web_client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    html = response.text
    assert '<html lang="vi">' in html
    assert 'name="viewport" content="width=device-width, initial-scale=1' in html
    assert "<title>Trợ lý 06</title>" in html
    assert 'placeholder="Nhập câu hỏi…"' in html
    assert 'maxlength="2000"' in html
    assert ">Gửi</button>" in html
    assert 'aria-live="polite"' in html
    assert '<label for="text"' in html
    assert 'data-payload="c-privacy"' in html  # the «Quyền riêng tư» button


async def test_chat_page_loads_only_its_own_files(web_client: httpx.AsyncClient) -> None:
    response = await web_client.get("/")
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "connect-src 'self'" in csp and "default-src 'none'" in csp
    expected_types = {".css": "text/css", ".js": "javascript", ".svg": "image/svg+xml"}
    for url in _local_urls(response.text):
        asset = await web_client.get(url)
        assert asset.status_code == 200, url
        assert expected_types[Path(url).suffix] in asset.headers["content-type"], url


def test_static_files_reference_nothing_external() -> None:
    for path in STATIC_DIR.glob("*.*"):
        if path.suffix in {".html", ".css", ".js"}:
            found = _EXTERNAL_RE.findall(path.read_text(encoding="utf-8"))
            assert not found, f"{path.name} refers to another host: {found}"


def test_chat_script_never_renders_text_as_html() -> None:
    script = (STATIC_DIR / "chat.js").read_text(encoding="utf-8")
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert sink not in script, sink
    assert "textContent" in script
    # The ?start= check matches the payload format of the bot (bot.core.types.PAYLOAD_RE).
    assert "/^[A-Za-z0-9_-]{1,64}$/" in script


async def test_head_of_the_page(web_client: httpx.AsyncClient) -> None:
    response = await web_client.head("/")
    assert response.status_code == 200


@pytest.mark.parametrize("path", ["/static/%2e%2e/routes/web.py", "/static/nope.js", "/static/docs/nope.js"])
async def test_unknown_static_paths_are_404(web_client: httpx.AsyncClient, path: str) -> None:
    response = await web_client.get(path)
    assert response.status_code == 404


async def test_docs_serve_swagger_ui_from_the_app(web_client: httpx.AsyncClient) -> None:
    response = await web_client.get("/docs")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    html = response.text
    assert "SwaggerUIBundle" in html
    assert not _EXTERNAL_RE.search(html), "the docs page refers to another host"
    urls = _local_urls(html)
    assert "/openapi.json" in urls
    for url in urls:
        asset = await web_client.get(url)
        assert asset.status_code == 200, url
        if url.endswith((".js", ".css")):
            assert len(asset.content) > 10_000, f"{url} is not the Swagger UI bundle"


async def test_openapi_lists_the_api_but_not_the_page(web_client: httpx.AsyncClient) -> None:
    schema = (await web_client.get("/openapi.json")).json()
    paths = schema["paths"]
    assert "/api/v1/chat" in paths
    assert "/" not in paths and "/docs" not in paths
    assert not any(p.startswith("/static") for p in paths)
    # FastAPI's CDN-backed pages stay off.
    assert (await web_client.get("/redoc")).status_code == 404
    # The Telegram webhook documents its secret header (read from the request, not a parameter).
    webhook = paths["/webhooks/telegram"]["post"]
    assert {"name": "X-Telegram-Bot-Api-Secret-Token", "in": "header"}.items() <= webhook["parameters"][0].items()
