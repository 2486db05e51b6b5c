"""Schema-driven fuzzing of every operation of ``/openapi.json`` (schemathesis + hypothesis).

The real app runs under uvicorn on loopback with all three webhook channels configured on fakes,
so the webhooks are fuzzed past their 404; most cases carry valid credentials (the Telegram and
Zalo Bot secrets, a Zalo OA body re-stamped with our app id and the current time and signed) so
the fuzzer reaches the parsing code, the rest keep what schemathesis generated (mostly refused
with 401). Each operation gets schema-conforming and schema-violating cases, derandomized (the
same cases on every run) and bounded (:data:`EXAMPLES` per operation and mode).

Checked on every answer: no 5xx, the status is documented for the operation, the content type
and the body conform to the documented response schema. Nothing may be logged with a traceback.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from typing import Any

import httpx
import hypothesis
import pytest
import schemathesis
from hypothesis import HealthCheck, given
from hypothesis import strategies as st
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api.app import create_app
from api.routes.telegram import SECRET_HEADER
from api.settings import Settings
from bot.channels.zalo import BotFacts, OaFacts
from tests.e2e.all_channels import (
    TELEGRAM_SECRET,
    ZALO_BOT_SECRET,
    all_channels_settings,
    fresh_oa_fields,
    signed_oa,
)
from tests.fakes.network import loopback_guard, serve_app
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.fakes.zalo_api import FakeZaloBot, FakeZaloOa

#: Schemathesis builds Hypothesis strategies from the schema; some bounds (a float ``minimum`` that is not an
#: exact decimal) make Hypothesis note a deprecation inside schemathesis, not in this project, and the suite's
#: ``filterwarnings = error`` turned that into a random FlakyFailure. The checks below are what this test asserts.
pytestmark = pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisDeprecationWarning")

#: Cases per operation and generation mode (positive, negative), seeded; 25 keeps the suite within its time budget.
EXAMPLES = 25
_CHECKS = [schemathesis.checks.not_a_server_error, status_code_conformance, content_type_conformance,
           response_schema_conformance]
_MODES = [schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE]


def _openapi() -> dict[str, Any]:
    """The app's OpenAPI schema (the routes do not depend on the settings)."""
    return create_app(Settings(_env_file=None, database_url="sqlite://")).openapi()  # type: ignore[call-arg]


OPENAPI = _openapi()
SCHEMA = schemathesis.openapi.from_dict(OPENAPI)


def _cases() -> list[Any]:
    """(operation, mode) pairs: negative cases only where there is an input to break."""
    pairs = []
    for result in SCHEMA.get_all_operations():
        operation = result.ok()
        raw = OPENAPI["paths"][operation.path][operation.method.lower()]
        for mode in _MODES:
            if mode is schemathesis.GenerationMode.NEGATIVE and not (raw.get("parameters") or raw.get("requestBody")):
                continue
            pairs.append(pytest.param(operation, mode, id=f"{operation.label}-{mode.value}"))
    return pairs


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory, telegram_fake_server: FakeTelegramAPI) -> Iterator[str]:
    """The app with every channel, served over HTTP on loopback (its lifespan in uvicorn's loop)."""
    bot, oa = FakeZaloBot(), FakeZaloOa()
    oa.issue("oa-access-1", "oa-refresh-1")
    db = tmp_path_factory.mktemp("fuzz") / "app.sqlite3"
    with (
        loopback_guard() as refused,
        serve_app(bot.app, "zalo-bot") as bot_url,
        serve_app(oa.app, "zalo-oa") as oa_url,
    ):
        settings = all_channels_settings(f"sqlite:///{db}", telegram_fake_server, bot=bot, bot_url=bot_url,
                                         oa_url=oa_url)
        with serve_app(create_app(settings), "troly06", lifespan="on") as url:
            with httpx.Client(base_url=url, timeout=30) as client:
                for _ in range(400):  # the Telegram bot comes up in the background
                    if client.get("/healthz").json()["channels"]["telegram"] == "ok":
                        break
                    time.sleep(0.05)
            yield url
    assert not refused, f"the app tried to reach beyond loopback: {refused}"


def _request(case: schemathesis.Case, base_url: str, *, genuine: bool) -> dict[str, Any]:
    """httpx arguments for ``case``; with ``genuine``, the webhook credentials are made valid."""
    kwargs = case.as_transport_kwargs(base_url=base_url)
    headers = {k: v for k, v in kwargs["headers"].items() if k.lower() not in ("connection", "accept-encoding")}
    content: bytes | None = None
    if "json" in kwargs:
        body = kwargs["json"]
        if genuine and case.path == "/webhooks/zalo" and isinstance(body, dict):
            body = fresh_oa_fields(body)
        content = json.dumps(body).encode()
    elif isinstance(kwargs.get("data"), bytes | str):
        data = kwargs["data"]
        content = data.encode() if isinstance(data, str) else data
    if genuine:
        if case.path == "/webhooks/telegram":
            headers[SECRET_HEADER] = TELEGRAM_SECRET
        elif case.path == "/webhooks/zalo-bot":
            headers[BotFacts.SECRET_HEADER] = ZALO_BOT_SECRET
        elif case.path == "/webhooks/zalo" and content is not None and isinstance(kwargs.get("json"), dict):
            headers[OaFacts.SIGNATURE_HEADER] = signed_oa(raw=content)[1]
    return {"method": kwargs["method"], "url": kwargs["url"], "params": kwargs.get("params") or None,
            "headers": headers, "cookies": kwargs.get("cookies") or None, "content": content}


@pytest.mark.parametrize(("operation", "mode"), _cases())
def test_every_operation_answers_as_documented(
    operation: Any, mode: schemathesis.GenerationMode, base_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    with httpx.Client(timeout=30) as client:

        @hypothesis.settings(
            max_examples=EXAMPLES,
            derandomize=True,
            database=None,
            deadline=None,
            phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],  # no shrinking: report as found
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy(generation_mode=mode), genuine=st.integers(0, 3).map(bool))
        def fuzz(case: schemathesis.Case, genuine: bool) -> None:
            request = _request(case, base_url, genuine=genuine)
            response = client.request(**request)
            case.validate_response(response, checks=_CHECKS)

        fuzz()
    tracebacks = [f"{r.name}: {r.getMessage()}" for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert not tracebacks, tracebacks
