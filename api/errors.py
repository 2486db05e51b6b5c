"""The API's exception tree and the handlers that map it to HTTP answers.

    ApiError                 base: carries an HTTP status and a Vietnamese/English message (400)
    ├── BadJson              400, the body is not bounded JSON (api.inbound) or not an object
    ├── InvalidBody          422, the body is JSON but not what the route reads or accepts
    ├── NotFound             404, no such thing (announcement, hand-off, member…) or not one the account sees
    ├── Conflict             409, its state does not allow this (already sent, held by another staff member)
    ├── PayloadTooLarge      413, body over the limit
    ├── RateLimited          429, with Retry-After
    ├── ChannelNotConfigured 404, a webhook of a channel with no settings
    ├── Unauthorized         401, wrong or missing webhook secret/signature
    └── ServiceUnavailable   503, the database cannot be reached

Request validation errors (FastAPI's ``RequestValidationError``) are answered 422 with the field
locations and messages but never the input (it may hold what JSON cannot encode, and it is the
citizen's data). Starlette's and FastAPI's own HTTP errors (404 for an unknown path, 405, 400
for a body that is not UTF-8 JSON) get the same ``{"error": str}`` body. Database errors raised
by SQLAlchemy are mapped to 503; anything else unexpected is logged (without the request body)
and answered 500.

Every answer other than a success has the body ``{"error": str}`` (:class:`ErrorOut`), plus
``detail`` on a 422 (:class:`ValidationErrorOut`); :func:`error_responses` documents them in
the OpenAPI schema.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import DBAPIError, OperationalError
from starlette.exceptions import HTTPException

__all__ = [
    "ApiError",
    "BadJson",
    "ChannelNotConfigured",
    "Conflict",
    "ErrorOut",
    "FieldError",
    "InvalidBody",
    "NotFound",
    "PayloadTooLarge",
    "RateLimited",
    "ServiceUnavailable",
    "Unauthorized",
    "ValidationErrorOut",
    "document_body_limit",
    "error_responses",
    "install_handlers",
    "validation_body",
]

log = logging.getLogger(__name__)


class ApiError(Exception):
    """Base of the API's errors: an HTTP status and a short message."""

    status = 400

    def __init__(self, message: str, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.headers = headers or {}


class BadJson(ApiError):
    """The body is not JSON within the bounds of :mod:`api.inbound`, or not the JSON value expected."""

    status = 400


class InvalidBody(ApiError):
    """The body is JSON but not what the route reads or accepts (not a Telegram Update, an unknown
    commune code, a time in the past…)."""

    status = 422


class NotFound(ApiError):
    """No such thing (an announcement, a hand-off, a support point, a team member, a content item…), or
    not one this account may see."""

    status = 404


class Conflict(ApiError):
    """The thing is not in a state that allows this (an announcement already sent or cancelled, a
    hand-off held by another staff member or closed)."""

    status = 409


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


class ErrorOut(BaseModel):
    """The body of every error answer."""

    error: str


class FieldError(BaseModel):
    """One problem of a request: where (``["body", "user_id"]``) and what."""

    loc: list[str | int]
    msg: str
    type: str


class ValidationErrorOut(BaseModel):
    """The body of a 422: the problems, without the input that caused them."""

    error: str
    detail: list[FieldError]


#: Descriptions of the statuses the routes answer (OpenAPI).
_DESCRIPTIONS: dict[int, str] = {
    400: "The body is not JSON, nests too deep, or holds an out-of-range number, a NUL or an "
         "unpaired surrogate",
    401: "Wrong or missing webhook secret or signature",
    403: "The account's role may not do this",
    404: "Not found (for a webhook: the channel is not configured)",
    409: "The state changed meanwhile (another staff member claimed it, or it is closed)",
    413: "The request body is over the size limit",
    422: "The request does not have the expected shape",
    429: "Too many messages; retry after Retry-After seconds",
    503: "The database or the channel is not available; retry later",
}


def document_body_limit(app: FastAPI) -> None:
    """Every operation that takes a body may answer 413 (the body-size middleware runs before any
    route): add it to each such operation of the OpenAPI schema, once, where a route did not."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = build()
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                if isinstance(operation, dict) and "requestBody" in operation:
                    operation.setdefault("responses", {}).setdefault("413", {
                        "description": _DESCRIPTIONS[413],
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}},
                    })
        schema.setdefault("components", {}).setdefault("schemas", {}).setdefault(
            "ErrorOut", ErrorOut.model_json_schema(ref_template="#/components/schemas/{model}"))
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for these error statuses, each with its body model and description."""
    return {
        status: {"model": ValidationErrorOut if status == 422 else ErrorOut, "description": _DESCRIPTIONS[status]}
        for status in statuses
    }


#: Longest location part or message echoed in a 422 (they may quote a client-chosen key).
_ECHO_MAX = 200


def _clean(value: str) -> str:
    """A string that JSON can always encode as UTF-8: lone surrogates replaced, length bounded."""
    return value[:_ECHO_MAX].encode("utf-8", "replace").decode("utf-8")


def validation_body(exc: RequestValidationError) -> dict[str, Any]:
    """The 422 body: each error's location, message and type, never its input or context."""
    detail = []
    for err in exc.errors():
        loc = [part if isinstance(part, int) and not isinstance(part, bool) else _clean(str(part))
               for part in err.get("loc", ())]
        detail.append({"loc": loc, "msg": _clean(str(err.get("msg", ""))), "type": _clean(str(err.get("type", "")))})
    return {"error": "invalid request", "detail": detail}


def install_handlers(app: FastAPI) -> None:
    """Map the exception tree (and database outages) to JSON responses."""

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        # Replaces FastAPI's handler, which echoes the input (possibly unencodable: NaN, surrogates).
        return JSONResponse(validation_body(exc), status_code=422)

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse({"error": exc.message}, status_code=exc.status, headers=exc.headers)

    @app.exception_handler(HTTPException)
    async def _http_error(request: Request, exc: HTTPException) -> JSONResponse:
        # FastAPI's own refusals (an unparsable body, an unknown path) in the shape of every other error.
        return JSONResponse({"error": str(exc.detail)}, status_code=exc.status_code, headers=exc.headers)

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
