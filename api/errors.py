"""The API's exception tree and the handlers that map it to HTTP answers.

    ApiError                 base: carries an HTTP status and a Vietnamese/English message
    ├── PayloadTooLarge      413, body over the limit
    ├── RateLimited          429, with Retry-After
    ├── ChannelNotConfigured 404, a webhook of a channel with no settings
    ├── Unauthorized         401, wrong or missing webhook secret/signature
    └── ServiceUnavailable   503, the database cannot be reached

Database errors raised by SQLAlchemy are mapped to 503; anything else
unexpected is logged (without the request body) and answered 500.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, OperationalError

__all__ = [
    "ApiError",
    "ChannelNotConfigured",
    "PayloadTooLarge",
    "RateLimited",
    "ServiceUnavailable",
    "Unauthorized",
    "install_handlers",
]

log = logging.getLogger(__name__)


class ApiError(Exception):
    """Base of the API's errors: an HTTP status and a short message."""

    status = 400

    def __init__(self, message: str, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.headers = headers or {}


class PayloadTooLarge(ApiError):
    """The request body is over the size limit."""

    status = 413


class RateLimited(ApiError):
    """Too many messages; retry after the given number of seconds."""

    status = 429

    def __init__(self, retry_after: int) -> None:
        super().__init__("Too many messages, retry later", headers={"Retry-After": str(max(1, retry_after))})
        self.retry_after = retry_after


class ChannelNotConfigured(ApiError):
    """The channel of this webhook has no settings."""

    status = 404


class Unauthorized(ApiError):
    """A webhook secret or signature is missing or wrong."""

    status = 401


class ServiceUnavailable(ApiError):
    """A backing service (the database) cannot be reached."""

    status = 503


def install_handlers(app: FastAPI) -> None:
    """Map the exception tree (and database outages) to JSON responses."""

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse({"error": exc.message}, status_code=exc.status, headers=exc.headers)

    @app.exception_handler(OperationalError)
    async def _db_down(request: Request, exc: OperationalError) -> JSONResponse:
        log.error("database unavailable: %s", type(exc.orig).__name__ if exc.orig else type(exc).__name__)
        return JSONResponse({"error": "database unavailable"}, status_code=503, headers={"Retry-After": "5"})

    @app.exception_handler(DBAPIError)
    async def _db_error(request: Request, exc: DBAPIError) -> JSONResponse:
        if exc.connection_invalidated:
            return JSONResponse({"error": "database unavailable"}, status_code=503, headers={"Retry-After": "5"})
        log.error("database error on %s: %s", request.url.path, type(exc.orig).__name__ if exc.orig else exc)
        return JSONResponse({"error": "internal error"}, status_code=500)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error on %s", request.url.path)
        return JSONResponse({"error": "internal error"}, status_code=500)
