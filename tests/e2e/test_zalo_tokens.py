"""Zalo OA token manager against the fake OAuth server over HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable, Iterator

import httpx
import pytest

from api.sealed import PREFIX, Sealer
from api.store import Store
from api.channels.zalo_client import (
    LAST_ERROR_KEY,
    TOKEN_KEY,
    OaTokenManager,
    StoredToken,
    ZaloOAuthClient,
    ZaloOAuthError,
)
from tests.fakes.zalo_api import APP_ID, APP_SECRET, FakeZaloOa, loopback_only, serve


@pytest.fixture(autouse=True)
def _loopback_only() -> Iterator[None]:
    with loopback_only():
        yield


@pytest.fixture
def fake() -> Iterator[tuple[FakeZaloOa, str]]:
    oa = FakeZaloOa()
    oa.issue("oa-access-1", "oa-refresh-1")
    with serve(oa.app, "zalo-oauth") as url:
        yield oa, url


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=10) as client:
        yield client


def manager(
    store: Store, http: httpx.AsyncClient, url: str, clock: Callable[[], float] = time.time,
    secret_key: str | None = None,
) -> OaTokenManager:
    oauth = ZaloOAuthClient(http, oauth_base_url=url)
    return OaTokenManager(
        store=store, oauth=oauth, app_id=APP_ID, app_secret=APP_SECRET, poll_s=0.02, clock=clock,
        sealer=Sealer(secret_key, purpose=TOKEN_KEY),
    )


def raw_stored(store: Store) -> str | None:
    with store.unit() as unit:
        return unit.get_kv(key=TOKEN_KEY)


def stored(store: Store) -> StoredToken | None:
    with store.unit() as unit:
        return StoredToken.from_json(unit.get_kv(key=TOKEN_KEY))


async def test_concurrent_refresh_on_two_instances_spends_the_token_once(
    store: Store, http: httpx.AsyncClient, fake: tuple[FakeZaloOa, str]
) -> None:
    oa, url = fake
    oa.refresh_delay = 0.3  # a slow OAuth server widens the race
    first, second = manager(store, http, url), manager(store, http, url)
    first.bootstrap(access_token="oa-access-1", refresh_token="oa-refresh-1")
    second.bootstrap(access_token="oa-access-1", refresh_token="oa-refresh-1")
    a, b = await asyncio.gather(first.refresh(stale="oa-access-1"), second.refresh(stale="oa-access-1"))
    assert len(oa.refresh_calls) == 1
    assert a == b and a.startswith("oa-access-2")
    assert first.refreshes + second.refreshes == 1
    row = stored(store)
    assert row is not None and row.access_token == a and row.refresh_token in oa.unused_refresh
    assert row.expires_at is not None and row.refresh_at is not None and row.refresh_at < row.expires_at


async def test_many_concurrent_callers_in_one_process_refresh_once(
    store: Store, http: httpx.AsyncClient, fake: tuple[FakeZaloOa, str]
) -> None:
    oa, url = fake
    oa.refresh_delay = 0.1
    m = manager(store, http, url)
    m.bootstrap(access_token="oa-access-1", refresh_token="oa-refresh-1")
    tokens = await asyncio.gather(*(m.refresh(stale="oa-access-1") for _ in range(8)))
    assert len(set(tokens)) == 1 and len(oa.refresh_calls) == 1


async def test_stored_pair_wins_over_settings_after_restart(
    store: Store, http: httpx.AsyncClient, fake: tuple[FakeZaloOa, str]
) -> None:
    oa, url = fake
    m = manager(store, http, url)
    m.bootstrap(access_token="oa-access-1", refresh_token="oa-refresh-1")
    new = await m.refresh(stale="oa-access-1")
    restarted = manager(store, http, url)
    restarted.bootstrap(access_token="oa-access-1", refresh_token="oa-refresh-1")  # same settings
    assert await restarted.access_token() == new
    assert len(oa.refresh_calls) == 1


async def test_changed_refresh_setting_reseeds(
    store: Store, http: httpx.AsyncClient, fake: tuple[FakeZaloOa, str]
) -> None:
    oa, url = fake
    m = manager(store, http, url)
    m.bootstrap(access_token="oa-access-1", refresh_token="oa-refresh-1")
    await m.refresh(stale="oa-access-1")
    oa.issue("oa-access-granted", "oa-refresh-granted")
    again = manager(store, http, url)
    again.bootstrap(access_token="oa-access-granted", refresh_token="oa-refresh-granted")
    assert await again.access_token() == "oa-access-granted"


async def test_missing_access_token_is_fetched_and_due_tokens_are_renewed(
    store: Store, http: httpx.AsyncClient, fake: tuple[FakeZaloOa, str]
) -> None:
    oa, url = fake
    clock = [1_000_000.0]
    m = manager(store, http, url, clock=lambda: clock[0])
    m.bootstrap(access_token=None, refresh_token="oa-refresh-1")
    first = await m.access_token()
    assert first.startswith("oa-access-2") and len(oa.refresh_calls) == 1
    assert await m.access_token() == first  # valid: no new refresh
    clock[0] += 90000 - 1800  # within the margin before expiry
    second = await m.access_token()
    assert second != first and len(oa.refresh_calls) == 2


async def test_refused_refresh_is_recorded_and_raised(
    store: Store, http: httpx.AsyncClient, fake: tuple[FakeZaloOa, str]
) -> None:
    oa, url = fake
    m = manager(store, http, url)
    m.bootstrap(access_token="oa-access-1", refresh_token="oa-refresh-used")
    with pytest.raises(ZaloOAuthError) as err:
        await m.refresh(stale="oa-access-1")
    assert err.value.code == -14014
    with store.unit() as unit:
        last = json.loads(unit.get_kv(key=LAST_ERROR_KEY) or "{}")
        lease = unit.get_kv(key="zalo_oa:refresh_lease")
    assert last["code"] == "oauth:-14014" and "oa-refresh-used" not in json.dumps(last)
    assert lease == "[]"  # released: the next try does not wait for a dead lease
    with pytest.raises(ZaloOAuthError):
        await m.refresh(stale="oa-access-1")
    assert len(oa.refresh_calls) == 2


async def test_wrong_app_secret_is_an_oauth_error(
    store: Store, http: httpx.AsyncClient, fake: tuple[FakeZaloOa, str]
) -> None:
    _, url = fake
    oauth = ZaloOAuthClient(http, oauth_base_url=url)
    m = OaTokenManager(store=store, oauth=oauth, app_id=APP_ID, app_secret="wrong")
    m.bootstrap(access_token="oa-access-1", refresh_token="oa-refresh-1")
    with pytest.raises(ZaloOAuthError):
        await m.refresh(stale="oa-access-1")


async def test_tokens_do_not_show_in_reprs(
    store: Store, http: httpx.AsyncClient, fake: tuple[FakeZaloOa, str]
) -> None:
    _, url = fake
    m = manager(store, http, url)
    token = m.bootstrap(access_token="oa-access-1", refresh_token="oa-refresh-1")
    assert token is not None and "oa-access-1" not in repr(token) and "oa-refresh-1" not in repr(token)


async def test_a_token_from_the_settings_is_renewed_within_one_lifetime(
    store: Store, http: httpx.AsyncClient, fake: tuple[FakeZaloOa, str]
) -> None:
    oa, url = fake
    clock = [2_000_000.0]
    m = manager(store, http, url, clock=lambda: clock[0])
    seeded = m.bootstrap(access_token="oa-access-1", refresh_token="oa-refresh-1")
    assert seeded is not None and seeded.refresh_at == 2_000_000.0 + 90000 - 3600
    assert await m.access_token() == "oa-access-1" and not oa.refresh_calls
    clock[0] = seeded.refresh_at
    assert (await m.access_token()).startswith("oa-access-2")


# -- sealed at rest (SECRET_KEY) -------------------------------------------------------------------


async def test_with_a_secret_key_the_stored_pair_is_sealed(
    store: Store, http: httpx.AsyncClient, fake: tuple[FakeZaloOa, str]
) -> None:
    oa, url = fake
    m = manager(store, http, url, secret_key="k" * 32)
    m.bootstrap(access_token="oa-access-1", refresh_token="oa-refresh-1")
    new = await m.refresh(stale="oa-access-1")
    raw = raw_stored(store)
    assert raw is not None and raw.startswith(PREFIX)
    assert "oa-access" not in raw and "oa-refresh" not in raw
    # Another instance with the same key reads it; the refresh is not spent again.
    other = manager(store, http, url, secret_key="k" * 32)
    other.bootstrap(access_token="oa-access-1", refresh_token="oa-refresh-1")
    assert await other.access_token() == new
    assert len(oa.refresh_calls) == 1


async def test_a_pair_stored_unsealed_is_sealed_at_the_next_start(
    store: Store, http: httpx.AsyncClient, fake: tuple[FakeZaloOa, str]
) -> None:
    _, url = fake
    manager(store, http, url).bootstrap(access_token="oa-access-1", refresh_token="oa-refresh-1")
    assert raw_stored(store) == stored_json(store)  # plain JSON before SECRET_KEY
    sealed = manager(store, http, url, secret_key="k" * 32)
    sealed.bootstrap(access_token="oa-access-1", refresh_token="oa-refresh-1")
    raw = raw_stored(store)
    assert raw is not None and raw.startswith(PREFIX) and "oa-access-1" not in raw
    assert await sealed.access_token() == "oa-access-1"


async def test_a_changed_secret_key_falls_back_to_the_settings(
    store: Store, http: httpx.AsyncClient, fake: tuple[FakeZaloOa, str]
) -> None:
    oa, url = fake
    m = manager(store, http, url, secret_key="k" * 32)
    m.bootstrap(access_token="oa-access-1", refresh_token="oa-refresh-1")
    await m.refresh(stale="oa-access-1")
    oa.issue("oa-access-granted", "oa-refresh-granted")
    rekeyed = manager(store, http, url, secret_key="other-key-" * 4)
    rekeyed.bootstrap(access_token="oa-access-granted", refresh_token="oa-refresh-granted")
    assert await rekeyed.access_token() == "oa-access-granted"


def stored_json(store: Store) -> str | None:
    token = stored(store)
    return token.to_json() if token is not None else None
