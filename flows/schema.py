"""Schemas of guided flows (``flows/content/*.yaml``) and the services catalogue (``flows/catalogue/``).

A flow file holds ``flows:``, a list of :class:`Flow`. A flow is a list of
:class:`Step`; the first step is where the flow starts. A step moves on with
``next`` ("✅ Xong, bước tiếp"), ``fail`` ("Bước này không được"), ``back_to``
("Thử lại bước này", for troubleshooting steps) or its ``choices``; a step with
``end: true`` finishes the flow.

A catalogue directory holds ``taxonomy.yaml`` (``life_events:`` and ``sectors:``)
and any number of service files with ``services:``, a list of :class:`Service`.

Field checks live here; checks across steps and files (unknown targets,
unreachable steps, dead ends) live in :func:`flows.engine.validate_flows`.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Literal, Self, get_args

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

__all__ = [
    "CHOICE_LABEL_MAX",
    "FACET_KEYS",
    "FACET_TEXT_MAX",
    "FLOW_ID_RE",
    "SERVICE_ID_RE",
    "SITUATION_ID_RE",
    "SITUATION_KINDS",
    "SITUATION_LABEL_MAX",
    "STEP_ID_RE",
    "STEP_TEXT_MAX",
    "TAXON_ID_RE",
    "Channel",
    "Choice",
    "Facet",
    "FacetKey",
    "FacetVersion",
    "Fee",
    "Flow",
    "FlowFile",
    "ImageRef",
    "LifeEvent",
    "Sector",
    "Service",
    "ServiceFile",
    "Situation",
    "SituationKind",
    "Step",
    "TaxonomyFile",
]

#: Flow ids and step ids go into ``f-<flow>-<step>`` payloads: ``[a-z0-9_]`` only, never ``-``.
FLOW_ID_RE = re.compile(r"^[a-z0-9_]{1,10}$")
STEP_ID_RE = re.compile(r"^[a-z0-9_]{1,16}$")
SERVICE_ID_RE = re.compile(r"^[a-z0-9_]{2,30}$")
#: Situation ids go into ``sf-<service>-<situation>`` payloads: with a 30-character service id
#: the payload is at most 54 characters (room for a referral suffix).
SITUATION_ID_RE = re.compile(r"^[a-z][a-z0-9_]{1,19}$")
TAXON_ID_RE = re.compile(r"^[a-z0-9_]{2,20}$")
#: Images are files shipped under ``flows/images/``; never an external URL.
IMAGE_PATH_RE = re.compile(r"^[a-z0-9_][a-z0-9_/-]*\.(png|jpg|jpeg|webp|svg)$")
STEP_TEXT_MAX = 500
CHOICE_LABEL_MAX = 30


def _check_id(value: str, pattern: re.Pattern[str], what: str) -> str:
    if not pattern.match(value):
        raise ValueError(f"{what} {value!r} must match {pattern.pattern}")
    return value


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class ImageRef(_Model):
    """A picture shown with a step: a file under ``flows/images/`` and its alt text."""

    path: str
    alt: str = Field(min_length=3, max_length=200)

    @field_validator("path")
    @classmethod
    def _local_path(cls, v: str) -> str:
        if ".." in v or not IMAGE_PATH_RE.match(v):
            raise ValueError("image path must be a relative file under flows/images/ (no URL, no '..')")
        return v


class Choice(_Model):
    """A button of a step; exactly one of ``goto`` / ``faq`` / ``flow`` / ``service`` is set.

    ``flow`` is another flow id, optionally with a step: ``l2`` or ``l2/no_card``.
    """

    label: str = Field(min_length=1, max_length=CHOICE_LABEL_MAX)
    goto: str | None = None
    faq: str | None = None
    flow: str | None = None
    service: str | None = None

    @model_validator(mode="after")
    def _one_target(self) -> Choice:
        targets = [t for t in (self.goto, self.faq, self.flow, self.service) if t is not None]
        if len(targets) != 1:
            raise ValueError(f"choice {self.label!r} needs exactly one of goto, faq, flow, service")
        if self.goto is not None:
            _check_id(self.goto, STEP_ID_RE, "goto step")
        if self.faq is not None:
            _check_id(self.faq, re.compile(r"^[a-z0-9][a-z0-9_]{1,39}$"), "faq id")
        if self.service is not None:
            _check_id(self.service, SERVICE_ID_RE, "service id")
        if self.flow is not None:
            flow_id, _, step_id = self.flow.partition("/")
            _check_id(flow_id, FLOW_ID_RE, "flow id")
            if step_id:
                _check_id(step_id, STEP_ID_RE, "flow step")
        return self

    @property
    def flow_target(self) -> tuple[str, str | None] | None:
        """``(flow, step or None)`` for a choice that opens another flow."""
        if self.flow is None:
            return None
        flow_id, _, step_id = self.flow.partition("/")
        return flow_id, step_id or None


class Step(_Model):
    """One step of a flow: what to do now, and where each button leads."""

    id: str
    text: str = Field(min_length=1, max_length=STEP_TEXT_MAX)
    image: ImageRef | None = None
    #: Things to have at hand, shown as "Mang theo:" and one "• item" per line.
    checklist: tuple[str, ...] = ()
    #: Heading of the checklist ("Mang theo:" for things to bring, "Chuẩn bị:" at home).
    checklist_title: str = Field(default="Mang theo:", min_length=2, max_length=30)
    choices: tuple[Choice, ...] = ()
    #: Target of "✅ Xong, bước tiếp".
    next: str | None = None
    #: Target of "Bước này không được" (a troubleshooting step).
    fail: str | None = None
    #: For troubleshooting steps: "Thử lại bước này" returns to this step.
    back_to: str | None = None
    #: Related FAQ entry ids (offered on end steps, used for questions asked mid-flow).
    faq: tuple[str, ...] = ()
    end: bool = False

    @field_validator("id")
    @classmethod
    def _id_format(cls, v: str) -> str:
        return _check_id(v, STEP_ID_RE, "step id")

    @field_validator("next", "fail", "back_to")
    @classmethod
    def _target_format(cls, v: str | None) -> str | None:
        return None if v is None else _check_id(v, STEP_ID_RE, "target step")

    @field_validator("checklist", "faq")
    @classmethod
    def _no_blank_items(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        cleaned = tuple(s.strip() for s in v)
        if any(not s for s in cleaned):
            raise ValueError("empty item")
        return cleaned

    @model_validator(mode="after")
    def _end_has_no_next(self) -> Step:
        if self.end and (self.next or self.fail or self.back_to):
            raise ValueError(f"end step {self.id!r} cannot have next, fail or back_to")
        return self


class Flow(_Model):
    """A guided flow: a title, how citizens ask for it, and its steps (the first one starts it)."""

    id: str
    title: str = Field(min_length=3, max_length=40)
    summary: str = Field(min_length=10, max_length=400)
    #: How citizens ask for this guide (5-10 phrasings), indexed by the matcher.
    triggers: tuple[str, ...] = Field(min_length=5, max_length=10)
    source: str = Field(min_length=3)
    reviewed: dt.date
    steps: tuple[Step, ...] = Field(min_length=1)
    #: Vague problem words ("báo lỗi", "không vào được"): a message that matches nothing and says
    #: nothing more than one of these (besides ``vague_context`` words and filler words) starts
    #: this guide, whose first step asks what is wrong, instead of "I did not understand".
    vague_problems: tuple[str, ...] = Field(default=(), max_length=30)
    #: Words such a vague message may also carry ("VNeID", "ứng dụng", "điện thoại").
    vague_context: tuple[str, ...] = Field(default=(), max_length=30)

    @field_validator("id")
    @classmethod
    def _id_format(cls, v: str) -> str:
        return _check_id(v, FLOW_ID_RE, "flow id")

    @field_validator("vague_problems", "vague_context")
    @classmethod
    def _vague_nonempty(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        cleaned = tuple(w.strip() for w in v)
        if any(not w for w in cleaned):
            raise ValueError("empty vague word")
        return cleaned

    @model_validator(mode="after")
    def _vague_needs_problems(self) -> Flow:
        if self.vague_context and not self.vague_problems:
            raise ValueError("vague_context without vague_problems")
        return self

    @field_validator("triggers")
    @classmethod
    def _triggers_nonempty(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        cleaned = tuple(t.strip() for t in v)
        if any(not t for t in cleaned):
            raise ValueError("empty trigger phrasing")
        return cleaned

    @property
    def start(self) -> str:
        """Id of the first step."""
        return self.steps[0].id

    def step(self, step_id: str) -> Step | None:
        """The step with this id, or None."""
        for s in self.steps:
            if s.id == step_id:
                return s
        return None


class FlowFile(_Model):
    """The top level of a flow content file."""

    flows: tuple[Flow, ...] = Field(min_length=1)


# --- Services catalogue ------------------------------------------------------------------------

Channel = Literal["portal", "vneid", "commune"]


class _Window(_Model):
    """Something shown only from ``valid_from`` to ``valid_until`` (both inclusive, both optional)."""

    valid_from: dt.date | None = None
    valid_until: dt.date | None = None

    @model_validator(mode="after")
    def _window(self) -> Self:
        if self.valid_from and self.valid_until and self.valid_from > self.valid_until:
            raise ValueError("valid_from is after valid_until")
        return self

    def is_valid_on(self, day: dt.date) -> bool:
        """True when this item may be shown on ``day``."""
        if self.valid_from and day < self.valid_from:
            return False
        return not (self.valid_until and day > self.valid_until)


class Fee(_Window):
    """A fee, processing time or other time-limited fact; hidden outside ``valid_from``..``valid_until``."""

    text: str = Field(min_length=5, max_length=300)
    source: str = Field(min_length=3)


#: One facet of a service, as a citizen asks it: who may do it, where online, where in person,
#: what to prepare, how much, how long, what you get.
FacetKey = Literal["who", "online", "in_person", "documents", "fee", "time", "result"]
FACET_KEYS: tuple[FacetKey, ...] = get_args(FacetKey)
FACET_TEXT_MAX = 600
#: A common situation of a service: lost or damaged papers, late registration, for a child, for an
#: elderly or bedridden person, from abroad, wrong information, living away from the registered place.
SituationKind = Literal["lost", "copy", "late", "child", "elderly", "abroad", "wrong_info", "where_live", "proxy",
                        "other"]
SITUATION_KINDS: tuple[SituationKind, ...] = get_args(SituationKind)
SITUATION_LABEL_MAX = 40


class _Dated(_Window):
    """A sourced, reviewed answer text, hidden outside ``valid_from``..``valid_until``."""

    text: str = Field(min_length=5, max_length=FACET_TEXT_MAX)
    #: A document name and number, or a page address.
    source: str = Field(min_length=3)
    reviewed: dt.date
    #: True when the source is weak: the answer then carries a hedge line.
    uncertain: bool = False


class Facet(_Dated):
    """The answer to one facet of a service (``fee``: «Lệ phí»…), sourced and dated."""


class FacetVersion(Facet):
    """Another dated version of a facet (a fee after a reduction ends): served when the main one is not."""

    key: FacetKey


def _overlap(a: _Dated, b: _Dated) -> bool:
    lo_a, hi_a = a.valid_from or dt.date.min, a.valid_until or dt.date.max
    lo_b, hi_b = b.valid_from or dt.date.min, b.valid_until or dt.date.max
    return lo_a <= hi_b and lo_b <= hi_a


class Situation(_Dated):
    """A common situation of a service («Mất giấy khai sinh»), with the phrases that signal it."""

    id: str
    kind: SituationKind
    #: Button label.
    label: str = Field(min_length=3, max_length=SITUATION_LABEL_MAX)
    #: Vietnamese phrases (with diacritics) that signal this situation; the matcher normalises them.
    #: A phrase of up to four words must occur as written; a longer one also matches when most of its
    #: words and word pairs occur anywhere in the message (:func:`bot.core.asking.trigger_hit`), so a
    #: long phrase made of common words («không có hộ khẩu làm căn cước») can fire on a story that
    #: only mentions them: prefer short, specific phrases.
    triggers: tuple[str, ...] = Field(min_length=1, max_length=20)

    @field_validator("id")
    @classmethod
    def _id_format(cls, v: str) -> str:
        return _check_id(v, SITUATION_ID_RE, "situation id")

    @field_validator("triggers")
    @classmethod
    def _triggers_nonempty(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        cleaned = tuple(t.strip() for t in v)
        if any(not t for t in cleaned):
            raise ValueError("empty trigger phrase")
        return cleaned


class Service(_Model):
    """One public service (thủ tục) of the catalogue."""

    id: str
    #: ``de_an_06`` = the 25 essential services of QĐ 06/QĐ-TTg; ``qd_422`` = QĐ 422/QĐ-TTg.
    group: Literal["de_an_06", "qd_422"] = "de_an_06"
    #: Position in the Đề án 06 list (1-25).
    number: int | None = Field(default=None, ge=1, le=25)
    #: The official name, as in the published list.
    name: str = Field(min_length=5, max_length=200)
    #: Short button label ("Làm hộ chiếu").
    title: str = Field(min_length=3, max_length=30)
    #: One or two plain sentences: what this is, abbreviations expanded.
    summary: str = Field(min_length=10, max_length=300)
    sector: str
    #: Responsible body as published ("Bộ Công an", "Cấp xã").
    body: str = Field(min_length=3, max_length=160)
    life_events: tuple[str, ...] = ()
    #: Where it can be done: national portal, VNeID app, at the commune.
    channels: tuple[Channel, ...] = Field(min_length=1)
    #: Extra words on where to do it, only when sourced.
    where_note: str | None = Field(default=None, max_length=300)
    #: What to prepare, only where the sources give it.
    prepare: tuple[str, ...] = ()
    fees: tuple[Fee, ...] = ()
    legal_basis: tuple[str, ...] = ()
    #: Other words citizens use for it ("làm hộ chiếu", "passport").
    keywords: tuple[str, ...] = ()
    #: A guided flow for it, and related FAQ ids.
    flow: str | None = None
    faq: tuple[str, ...] = ()
    source: str = Field(min_length=3)
    reviewed: dt.date
    #: True when part of the card rests on facts marked uncertain.
    uncertain: bool = False
    #: The service facet by facet (see :data:`FacetKey`), each sourced and dated; only sourced facets.
    facets: dict[FacetKey, Facet] = Field(default_factory=dict)
    #: Other dated versions of facets (the fee after 31/12/2026…); never two valid on the same day.
    facet_versions: tuple[FacetVersion, ...] = ()
    #: Its common situations (lost papers, late registration…), each sourced and dated.
    situations: tuple[Situation, ...] = ()

    @field_validator("id")
    @classmethod
    def _id_format(cls, v: str) -> str:
        return _check_id(v, SERVICE_ID_RE, "service id")

    @field_validator("situations")
    @classmethod
    def _situation_ids(cls, v: tuple[Situation, ...]) -> tuple[Situation, ...]:
        seen: set[str] = set()
        for sit in v:
            if sit.id in seen:
                raise ValueError(f"duplicate situation id {sit.id!r}")
            if sit.id in FACET_KEYS:
                raise ValueError(f"situation id {sit.id!r} is a facet name")
            seen.add(sit.id)
        return v

    @model_validator(mode="after")
    def _one_version_a_day(self) -> Service:
        for i, version in enumerate(self.facet_versions):
            others: list[_Dated] = list(self.facet_versions[:i])
            main = self.facets.get(version.key)
            if main is not None:
                others.append(main)
            for other in others:
                if (not isinstance(other, FacetVersion) or other.key == version.key) and _overlap(version, other):
                    raise ValueError(f"facet {version.key!r}: two versions are valid on the same day")
        return self

    def facet_on(self, key: FacetKey, day: dt.date) -> Facet | None:
        """The version of facet ``key`` to serve on ``day``, or None (none given, or all expired)."""
        main = self.facets.get(key)
        if main is not None and main.is_valid_on(day):
            return main
        return next((v for v in self.facet_versions if v.key == key and v.is_valid_on(day)), None)

    def situation(self, situation_id: str) -> Situation | None:
        """The situation with this id, or None."""
        return next((s for s in self.situations if s.id == situation_id), None)

    @field_validator("sector")
    @classmethod
    def _sector_format(cls, v: str) -> str:
        return _check_id(v, TAXON_ID_RE, "sector id")

    @field_validator("life_events")
    @classmethod
    def _events_format(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(_check_id(e, TAXON_ID_RE, "life event id") for e in v)

    @field_validator("flow")
    @classmethod
    def _flow_format(cls, v: str | None) -> str | None:
        return None if v is None else _check_id(v, FLOW_ID_RE, "flow id")

    @model_validator(mode="after")
    def _numbered(self) -> Service:
        if self.group == "de_an_06" and self.number is None:
            raise ValueError("a Đề án 06 service needs its number (1-25)")
        if self.group == "qd_422" and self.number is not None:
            raise ValueError("only Đề án 06 services are numbered")
        return self


class ServiceFile(_Model):
    """The top level of a catalogue services file."""

    services: tuple[Service, ...] = Field(min_length=1)


class LifeEvent(_Model):
    """A life event to browse services by ("Có con nhỏ")."""

    id: str
    title: str = Field(min_length=3, max_length=30)
    intro: str = Field(min_length=5, max_length=300)
    keywords: tuple[str, ...] = ()

    @field_validator("id")
    @classmethod
    def _id_format(cls, v: str) -> str:
        return _check_id(v, TAXON_ID_RE, "life event id")


class Sector(_Model):
    """A sector (field of administration) to browse services by ("Hộ tịch")."""

    id: str
    title: str = Field(min_length=3, max_length=30)
    intro: str = Field(min_length=5, max_length=300)

    @field_validator("id")
    @classmethod
    def _id_format(cls, v: str) -> str:
        return _check_id(v, TAXON_ID_RE, "sector id")


class TaxonomyFile(_Model):
    """``taxonomy.yaml``: the life events and sectors, in display order."""

    life_events: tuple[LifeEvent, ...] = Field(min_length=1)
    sectors: tuple[Sector, ...] = Field(min_length=1)
