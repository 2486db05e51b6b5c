"""Schemas of the FAQ content files (``faq/content/*.yaml``).

A file holds ``entries:``, a list of :class:`FaqEntry`. Entries of kind
``offtopic`` are polite declines for questions outside the bot's scope
(other apps, weather, small talk); they are matched like FAQ entries but
reported as ``offtopic`` and never offered as "did you mean" candidates.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

__all__ = ["ENTRY_ID_RE", "FaqEntry", "FaqFile"]

#: Entry ids are short snake_case ASCII so they fit in button payloads.
ENTRY_ID_RE = re.compile(r"^[a-z0-9][a-z0-9_]{1,39}$")
ANSWER_MAX = 1200


class FaqEntry(BaseModel):
    """One question-and-answer entry."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    id: str
    kind: Literal["faq", "offtopic"] = "faq"
    #: Short label for buttons ("Quên passcode"), about 24 characters.
    title: str = Field(min_length=2, max_length=40)
    questions: tuple[str, ...] = Field(min_length=1)
    answer: str = Field(min_length=10, max_length=ANSWER_MAX)
    tags: tuple[str, ...] = ()
    #: Ids of related entries offered as follow-up buttons.
    related: tuple[str, ...] = ()
    #: Id of a guided flow offered with the answer ("Xem các bước").
    flow: str | None = None
    #: Where the facts come from (human-readable, shown as "Nguồn: …").
    source: str = Field(min_length=3)
    reviewed: dt.date
    valid_from: dt.date | None = None
    valid_until: dt.date | None = None
    #: True when the answer contains facts marked uncertain in the sources.
    uncertain: bool = False
    #: A draft is kept and edited but never served (not indexed, not offered, not linked).
    status: Literal["published", "draft"] = "published"

    @field_validator("id")
    @classmethod
    def _id_format(cls, v: str) -> str:
        if not ENTRY_ID_RE.match(v):
            raise ValueError("id must be 2-40 chars of a-z, 0-9 and _ (starting with a letter or digit)")
        return v

    @field_validator("questions")
    @classmethod
    def _questions_nonempty(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        cleaned = tuple(q.strip() for q in v)
        if any(not q for q in cleaned):
            raise ValueError("empty question phrasing")
        return cleaned

    @model_validator(mode="after")
    def _window(self) -> FaqEntry:
        if self.valid_from and self.valid_until and self.valid_from > self.valid_until:
            raise ValueError("valid_from is after valid_until")
        if self.kind == "offtopic" and self.source.strip() == "":
            raise ValueError("source required")
        return self

    def is_valid_on(self, day: dt.date) -> bool:
        """True when the entry may be served on ``day``."""
        if self.valid_from and day < self.valid_from:
            return False
        return not (self.valid_until and day > self.valid_until)


class FaqFile(BaseModel):
    """The top level of a FAQ content file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    entries: tuple[FaqEntry, ...] = Field(min_length=1)
