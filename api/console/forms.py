"""Reading HTML form posts for the console pages: each field as one text, checked by an input model.

A browser only ever sends text, but a hand-made post may repeat a field or send a file in its
place; both are answered as a bad field rather than an error, and a message per field (Vietnamese,
from the caller's table) is what the page shows next to it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import Request
from pydantic import BaseModel, ValidationError

__all__ = ["form_fields", "validate"]

_FALLBACK = "Giá trị không hợp lệ."


async def form_fields(request: Request, names: tuple[str, ...],
                      messages: Mapping[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """The text of each named field (``""`` when absent), and a message for each that is not one text."""
    form = await request.form()
    values: dict[str, str] = {}
    errors: dict[str, str] = {}
    for name in names:
        given = form.getlist(name)
        first = given[0] if given else ""
        if len(given) > 1 or not isinstance(first, str):
            errors[name] = messages.get(name, _FALLBACK)  # repeated, or a file where text belongs
            first = ""
        values[name] = first if isinstance(first, str) else ""
    await form.close()  # only text is kept: a file sent anyway is closed (its spool deleted) now
    return values, errors


def validate(model: type[BaseModel], data: Mapping[str, Any], errors: dict[str, str],
             messages: Mapping[str, str]) -> Any:
    """``model`` built from ``data``, or None when a field is bad (a message for each added to ``errors``)."""
    try:
        result = model.model_validate(dict(data))
    except ValidationError as exc:
        for err in exc.errors():
            name = str(err["loc"][0]) if err["loc"] else ""
            errors.setdefault(name, messages.get(name, _FALLBACK))
        return None
    return None if errors else result
