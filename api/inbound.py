"""The one reader of inbound JSON: every webhook and the chat API parse request bodies here.

:func:`read_json` turns raw bytes into plain Python values the adapters can trust, or raises
:class:`~api.errors.BadJson` (400) saying what was wrong. It bounds what Python's ``json`` does
not:

- nesting depth (:data:`MAX_DEPTH`), checked on the bytes *before* parsing, without recursion
  (a 30,000-deep array otherwise ends in ``RecursionError``);
- integers to int64, the widest any of our platforms sends (checked on the digits, before
  ``int()``: a 4,300-digit number otherwise raises ``ValueError`` from Python's int-string limit);
- floats must be finite (``NaN``, ``Infinity``, ``1e999`` are refused: they cannot be answered
  as JSON nor stored);
- strings (values and keys) must not hold NUL (PostgreSQL refuses it in text) nor a lone
  surrogate (it cannot be encoded as UTF-8, so neither stored nor echoed);
- the body must be UTF-8 (``json.loads`` of bytes would also take UTF-16/32, and decodes with
  ``surrogatepass``).

It does no I/O and is cheap on well-formed bodies: the depth check is one ``bytes.count`` pair
unless the body has many brackets, and the strings are walked only when the text holds a
``\\u0000`` or ``\\uD800``–``\\uDFFF`` escape (the only way a NUL or a surrogate can get into a
string once the bytes are valid UTF-8 and the JSON is strict).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Coroutine
from typing import Any, Final

from fastapi import Request, Response
from fastapi.routing import APIRoute

from api.errors import BadJson

__all__ = ["INT64_MAX", "INT64_MIN", "MAX_DEPTH", "BoundedJsonRoute", "check_depth", "read_json"]

#: Deepest nesting accepted. Telegram's deepest updates (a reply to a message with an inline
#: keyboard) stay under 10 levels; Zalo events under 5.
MAX_DEPTH: Final = 32
INT64_MIN: Final = -(2**63)
INT64_MAX: Final = 2**63 - 1
#: Digits of the longest int64 (``9223372036854775807``).
_INT64_DIGITS: Final = 19

#: A JSON string (non-strict: control characters are left for ``json.loads`` to refuse).
_STRING: Final = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKETS: Final = b"[]{}"
_NOT_BRACKETS: Final = bytes(b for b in range(256) if b not in _BRACKETS)
#: What a stored or echoed string must not contain.
_BAD_CHAR: Final = re.compile("[\x00\ud800-\udfff]")
#: The escapes that can put one there (a valid surrogate pair, i.e. an emoji, matches too).
_BAD_ESCAPE: Final = re.compile(r"\\u(?:0000|[dD][89a-fA-F])")


def check_depth(raw: bytes, *, max_depth: int = MAX_DEPTH) -> None:
    """Refuse a body nested deeper than ``max_depth``, without parsing it (no recursion).

    Cheap enough to run on an unauthenticated body: at most two regular-expression passes.
    """
    if raw.count(b"[") + raw.count(b"{") <= max_depth:
        return  # fewer opening brackets than the limit: cannot be deeper
    # Brackets inside strings do not nest: drop the strings, keep only the brackets.
    brackets = _STRING.sub(b"", raw).translate(None, _NOT_BRACKETS)
    depth = 0
    for byte in brackets:
        if byte in b"[{":
            depth += 1
            if depth > max_depth:
                raise BadJson(f"JSON nested deeper than {max_depth} levels")
        else:
            depth -= 1


def _int(digits: str) -> int:
    # Called by json on the digits of every integer: bound them before converting.
    if len(digits) - digits.startswith("-") > _INT64_DIGITS:
        raise BadJson("integer out of range (64-bit signed integers only)")
    value = int(digits)
    if not INT64_MIN <= value <= INT64_MAX:
        raise BadJson("integer out of range (64-bit signed integers only)")
    return value


def _float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise BadJson("number out of range (finite numbers only)")
    return value


def _constant(name: str) -> float:
    raise BadJson(f"{name} is not a JSON number")


def _check_strings(value: Any) -> None:
    """Refuse NUL and lone surrogates in any string or key (iterative: depth is bounded anyway)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if _BAD_CHAR.search(item):
                raise BadJson("NUL character or unpaired surrogate in a string")
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def read_json(raw: bytes, *, max_depth: int = MAX_DEPTH) -> Any:
    """Parse a request body with the bounds above; raises :class:`BadJson` (400) otherwise."""
    check_depth(raw, max_depth=max_depth)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise BadJson("body is not UTF-8") from None
    try:
        data = json.loads(text, parse_int=_int, parse_float=_float, parse_constant=_constant)
    except (json.JSONDecodeError, RecursionError):  # RecursionError: belt and braces, depth is checked
        raise BadJson("body is not valid JSON") from None
    if _BAD_ESCAPE.search(text):  # rare: only then is every string looked at
        _check_strings(data)
    return data


class _BoundedJsonRequest(Request):
    """A request whose ``json()`` is :func:`read_json` (FastAPI parses bodies with ``json()``)."""

    _bounded: Any

    async def json(self) -> Any:
        """The body read by :func:`read_json` (once)."""
        if not hasattr(self, "_bounded"):
            self._bounded = read_json(await self.body())
        return self._bounded


class BoundedJsonRoute(APIRoute):
    """A route whose JSON body FastAPI gets from :func:`read_json`.

    The body is read before FastAPI's own handler runs, so that :class:`BadJson` reaches the
    API's handler as a 400 with its message (raised inside FastAPI's body parsing, any error
    would become a bare "There was an error parsing the body").
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        """FastAPI's handler, given a request whose JSON body is already checked."""
        handler = super().get_route_handler()

        async def bounded(request: Request) -> Response:
            checked = _BoundedJsonRequest(request.scope, request.receive)
            if await checked.body():
                await checked.json()
            return await handler(checked)

        return bounded
