"""``POST /api/v1/chat``: the web page's and integrators' way to talk to the bot."""

from __future__ import annotations

import time
from typing import Annotated, Any

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator
from starlette.concurrency import run_in_threadpool

from api import budget_keys
from api.conversation import prepare_inbound
from api.deps import ConversationDep, SettingsDep, StoreDep
from api.errors import RateLimited, error_responses
from api.inbound import BoundedJsonRoute
from api.store import RateHit

__all__ = ["ChatIn", "ChatOut", "router"]

# The body is read by api.inbound (bounded depth and numbers, no NUL or lone surrogate): 400 otherwise.
router = APIRouter(prefix="/api/v1", tags=["chat"], route_class=BoundedJsonRoute)

UserId = Annotated[str, StringConstraints(min_length=1, max_length=128, strip_whitespace=True)]


class ChatIn(BaseModel):
    """One message: ``text`` typed by the citizen, or a button ``payload``."""

    model_config = ConfigDict(
        strict=True,
        extra="forbid",
        # What the validator below checks, said in the schema: exactly one of the two is a string.
        json_schema_extra={"oneOf": [
            {"required": ["text"], "properties": {"text": {"type": "string"}}},
            {"required": ["payload"], "properties": {"payload": {"type": "string"}}},
        ]},
    )

    user_id: UserId
    text: str | None = Field(default=None, max_length=100_000)
    payload: str | None = Field(default=None, max_length=256)

    @model_validator(mode="after")
    def _one_of(self) -> ChatIn:
        if (self.text is None) == (self.payload is None):
            raise ValueError("give exactly one of 'text' or 'payload'")
        return self


class ButtonOut(BaseModel):
    """A button: its label and the payload to send back when pressed."""

    label: str
    payload: str


class ImageOut(BaseModel):
    """An image to show."""

    url: str
    alt: str


class ReplyOut(BaseModel):
    """One message from the bot."""

    text: str
    buttons: list[ButtonOut]
    images: list[ImageOut]


class MatchOut(BaseModel):
    """What the main reply answered."""

    kind: str
    id: str | None
    score: float | None


class ChatOut(BaseModel):
    """The bot's replies to one message."""

    replies: list[ReplyOut]
    match: MatchOut


def _client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


@router.post("/chat", response_model=ChatOut, responses=error_responses(400, 413, 422, 429, 503))
async def chat(body: ChatIn, request: Request, response: Response, conv: ConversationDep, store: StoreDep,
               settings: SettingsDep) -> Any:
    """Answer one message from the web chat (channel ``web``).

    While the citizen has a hand-off to a person, the ``X-Handoff`` header carries its status (open,
    escalated, claimed): the page then fetches staff replies from ``GET /api/v1/chat/messages``.
    """
    now = int(time.time())
    hits = (
        RateHit(budget_keys.user("web", body.user_id), settings.chat_rate_per_minute, 60),
        RateHit(budget_keys.address(_client_ip(request)), settings.chat_ip_rate_per_minute, 60),
    )

    def _limits() -> int:
        # All or nothing: a message refused by one budget spends none of the others, so one
        # flooding user never locks out the others behind the same address (a commune's Wi-Fi).
        with store.unit() as unit:
            return unit.take_rate_budget(hits=hits, now_epoch=now)

    retry_after = await run_in_threadpool(_limits)
    if retry_after > 0:
        raise RateLimited(retry_after)
    inbound = prepare_inbound(text=body.text, payload=body.payload, max_chars=settings.max_text_chars)
    result = await run_in_threadpool(conv.run_turn, channel="web", external_id=body.user_id, inbound=inbound)
    assert result is not None  # no de-duplication id on this route
    if result.handoff is not None:
        response.headers["X-Handoff"] = result.handoff
    return result.to_api()
