"""Thin httpx clients for Zalo OA (Open API v3 + OAuth v4) and the Zalo Bot Platform, and the
OA access-token manager.

Exceptions::

    ZaloClientError          base
    ├── ZaloTransportError   no usable answer: network error, timeout, HTTP error without a
    │                        platform error code, a body that is not JSON (``status`` if any)
    ├── ZaloOaApiError       OA answered ``{"error": code != 0, "message": …}``
    ├── ZaloOAuthError       the OAuth server refused a refresh (``code``, e.g. a used token)
    └── ZaloBotApiError      Bot API answered ``{"ok": false, "error_code", "description"}``

Messages never contain URLs (Bot API URLs contain the token) nor tokens.

Tokens: an OA access token lives ~25 h and is renewed with a **single-use** refresh token. The
pair is kept in the database (``KeyValue`` ``zalo_oa:token``) so every instance uses the newest,
and a refresh is serialised across instances by a lease row taken under the store's advisory
lock (PostgreSQL) or write lock (SQLite): the OAuth call itself runs outside any transaction, and
an instance that finds the lease taken waits for the new pair instead of burning the token again.
The settings only seed an empty database or one seeded from a different refresh token.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import json
import logging
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from api.sealed import PREFIX as SEALED
from api.sealed import Sealer
from api.store import Store, Unit
from bot.channels.zalo import OaFacts

__all__ = [
    "LAST_ERROR_KEY",
    "TOKEN_KEY",
    "OaTokenManager",
    "StoredToken",
    "TokenPair",
    "ZaloBotApiError",
    "ZaloBotClient",
    "ZaloClientError",
    "ZaloOAuthClient",
    "ZaloOAuthError",
    "ZaloOaApiError",
    "ZaloOaClient",
    "ZaloTransportError",
    "record_error",
]

log = logging.getLogger(__name__)

#: ``KeyValue`` keys of the OA channel.
TOKEN_KEY = "zalo_oa:token"
LEASE_KEY = "zalo_oa:refresh_lease"
LAST_ERROR_KEY = "zalo_oa:last_error"
_LOCK_NAME = "zalo_oa:token"


class ZaloClientError(Exception):
    """Base of the Zalo clients' errors."""


class ZaloTransportError(ZaloClientError):
    """No usable answer from the platform (network, timeout, HTTP error, not JSON)."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status

    @property
    def transient(self) -> bool:
        """True when trying again later may work (network, timeouts, 429 and 5xx)."""
        return self.status is None or self.status == 429 or self.status >= 500


class ZaloOaApiError(ZaloClientError):
    """The OA API refused a call with an error code."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(f"Zalo OA error {code}: {message}")
        self.code = code
        self.message = message


class ZaloOAuthError(ZaloClientError):
    """The OAuth server refused to refresh the token."""

    def __init__(self, code: int | None, message: str) -> None:
        super().__init__(f"Zalo OAuth error {code}: {message}")
        self.code = code
        self.message = message


class ZaloBotApiError(ZaloClientError):
    """The Bot API answered ``ok: false``."""

    def __init__(self, code: int, description: str, *, retry_after: int | None = None) -> None:
        super().__init__(f"Zalo Bot error {code}: {description}")
        self.code = code
        self.description = description
        self.retry_after = retry_after


async def _post(http: httpx.AsyncClient, url: str, **kwargs: Any) -> tuple[int, Any]:
    """POST and decode JSON; transport problems become :class:`ZaloTransportError` (no URL)."""
    try:
        response = await http.post(url, **kwargs)
    except httpx.TimeoutException as exc:
        raise ZaloTransportError(f"timeout ({type(exc).__name__})") from None
    except httpx.HTTPError as exc:
        raise ZaloTransportError(f"network error ({type(exc).__name__})") from None
    try:
        data = response.json()
    except ValueError:
        raise ZaloTransportError(
            f"HTTP {response.status_code}, body not JSON", status=response.status_code
        ) from None
    return response.status_code, data


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            return None
    return None


# --- Zalo OA ----------------------------------------------------------------------------------


class ZaloOaClient:
    """Sends consultation (CS) messages through the OA Open API v3."""

    def __init__(self, http: httpx.AsyncClient, *, api_base_url: str) -> None:
        """Use ``http`` (owned by the caller) against ``api_base_url`` (ZALO_OA_API_BASE_URL)."""
        self._http = http
        self._url = api_base_url.rstrip("/") + OaFacts.CS_PATH

    @staticmethod
    def _recipient(user_id: str, reply_to: str | None) -> dict[str, str]:
        recipient = {"user_id": user_id}
        if reply_to and OaFacts.REPLY_WITH_MESSAGE_ID:
            recipient["message_id"] = reply_to
        return recipient

    async def send_text(
        self, *, access_token: str, user_id: str, text: str, reply_to: str | None = None
    ) -> str | None:
        """Send a text; returns Zalo's message id."""
        body = {"recipient": self._recipient(user_id, reply_to), "message": {"text": text}}
        return await self._send(access_token, body)

    async def send_image(
        self, *, access_token: str, user_id: str, url: str, reply_to: str | None = None
    ) -> str | None:
        """Send an image by URL (a ``media`` template); returns Zalo's message id."""
        attachment = {
            "type": "template",
            "payload": {"template_type": "media", "elements": [{"media_type": "image", "url": url}]},
        }
        body = {"recipient": self._recipient(user_id, reply_to), "message": {"attachment": attachment}}
        return await self._send(access_token, body)

    async def _send(self, access_token: str, body: Mapping[str, Any]) -> str | None:
        status, data = await _post(self._http, self._url, json=body, headers={"access_token": access_token})
        code = _int(data.get("error")) if isinstance(data, dict) else None
        if code is not None and code != 0:
            raise ZaloOaApiError(code, str(data.get("message") or ""))
        if status >= 400 or not isinstance(data, dict):
            raise ZaloTransportError(f"HTTP {status}", status=status)
        result = data.get("data")
        message_id = result.get("message_id") if isinstance(result, dict) else None
        return str(message_id) if message_id is not None else None


@dataclass(frozen=True, slots=True)
class TokenPair:
    """An access token, its single-use refresh token and its lifetime in seconds."""

    access_token: str
    refresh_token: str
    expires_in: int | None

    def __repr__(self) -> str:
        return f"TokenPair(expires_in={self.expires_in!r})"


class ZaloOAuthClient:
    """Refreshes OA tokens at the OAuth v4 endpoint."""

    def __init__(self, http: httpx.AsyncClient, *, oauth_base_url: str) -> None:
        """Use ``http`` against ``oauth_base_url`` (ZALO_OAUTH_BASE_URL)."""
        self._http = http
        self._url = oauth_base_url.rstrip("/") + OaFacts.REFRESH_PATH

    async def refresh(self, *, app_id: str, app_secret: str, refresh_token: str) -> TokenPair:
        """Exchange the refresh token (spent by this call) for a new pair."""
        status, data = await _post(
            self._http,
            self._url,
            data={"refresh_token": refresh_token, "app_id": app_id, "grant_type": "refresh_token"},
            headers={"secret_key": app_secret},
        )
        if not isinstance(data, dict):
            raise ZaloTransportError(f"HTTP {status}, unexpected body", status=status)
        access, refresh = data.get("access_token"), data.get("refresh_token")
        if isinstance(access, str) and access and isinstance(refresh, str) and refresh:
            return TokenPair(access, refresh, _int(data.get("expires_in")))
        if status >= 500 or status == 429:
            raise ZaloTransportError(f"HTTP {status}", status=status)
        message = data.get("error_description") or data.get("error_name") or data.get("message") or ""
        raise ZaloOAuthError(_int(data.get("error")), str(message))


# --- Zalo Bot Platform ------------------------------------------------------------------------


class ZaloBotClient:
    """Calls Bot API methods at ``{base_url}<token>/<method>`` (POST JSON)."""

    def __init__(self, http: httpx.AsyncClient, *, base_url: str, token: str) -> None:
        """Use ``http`` against ``base_url`` (ZALO_BOT_API_BASE_URL) with the bot token."""
        self._http = http
        self._prefix = f"{base_url}{token}/"

    async def call(self, method: str, params: Mapping[str, Any] | None = None) -> Any:
        """Call ``method``; returns its ``result``."""
        status, data = await _post(self._http, self._prefix + method, json=dict(params or {}))
        if isinstance(data, dict) and data.get("ok") is True:
            return data.get("result")
        if isinstance(data, dict) and data.get("ok") is False:
            parameters = data.get("parameters")
            retry_after = _int(parameters.get("retry_after")) if isinstance(parameters, dict) else None
            code = _int(data.get("error_code"))
            raise ZaloBotApiError(
                code if code is not None else status,
                str(data.get("description") or ""),
                retry_after=retry_after,
            )
        raise ZaloTransportError(f"HTTP {status}, unexpected body", status=status)

    async def get_me(self) -> Any:
        """The bot's own account."""
        return await self.call("getMe")

    async def send_message(self, *, chat_id: str, text: str) -> Any:
        """Send a text (at most 2,000 characters)."""
        return await self.call("sendMessage", {"chat_id": chat_id, "text": text})

    async def send_photo(self, *, chat_id: str, photo: str, caption: str | None = None) -> Any:
        """Send a photo by URL, with an optional caption."""
        params: dict[str, Any] = {"chat_id": chat_id, "photo": photo}
        if caption:
            params["caption"] = caption
        return await self.call("sendPhoto", params)


# --- OA tokens --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StoredToken:
    """The pair as stored. Times are epoch seconds, None when unknown (a pair seeded from the
    settings); ``seed`` is the fingerprint of the settings the chain started from."""

    access_token: str | None
    refresh_token: str | None
    expires_at: float | None
    refresh_at: float | None
    seed: str

    def to_json(self) -> str:
        """The ``KeyValue`` value."""
        return json.dumps(
            {
                "access_token": self.access_token,
                "refresh_token": self.refresh_token,
                "expires_at": self.expires_at,
                "refresh_at": self.refresh_at,
                "seed": self.seed,
            }
        )

    @classmethod
    def from_json(cls, raw: str | None) -> StoredToken | None:
        """Inverse of :meth:`to_json`; None for a missing or unreadable value."""
        if not raw:
            return None
        try:
            data = json.loads(raw)
        except ValueError:
            return None
        if not isinstance(data, dict):
            return None

        def number(key: str) -> float | None:
            value = data.get(key)
            return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None

        return cls(
            access_token=data.get("access_token") or None,
            refresh_token=data.get("refresh_token") or None,
            expires_at=number("expires_at"),
            refresh_at=number("refresh_at"),
            seed=str(data.get("seed") or ""),
        )

    def __repr__(self) -> str:
        return f"StoredToken(expires_at={self.expires_at!r}, refresh_at={self.refresh_at!r})"


def _seed_of(access_token: str | None, refresh_token: str | None) -> str:
    """A one-way fingerprint of the token settings (the refresh token when there is one)."""
    basis = f"r:{refresh_token}" if refresh_token else f"a:{access_token or ''}"
    return hashlib.sha256(basis.encode()).hexdigest()


def _utc(epoch: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(epoch, dt.UTC)


def record_error(unit: Unit, *, key: str, code: str, message: str, now: float) -> None:
    """Remember a channel's last error for admins under ``key`` (no tokens, no message texts)."""
    unit.set_kv(
        key=key,
        value=json.dumps(
            {"code": code, "message": message[:300], "at": _utc(now).isoformat()}, ensure_ascii=False
        ),
        now=_utc(now),
    )


class _Lease:
    """What a try to take the refresh lease found."""

    def __init__(self, *, mine: bool, token: StoredToken | None) -> None:
        self.mine = mine
        self.token = token


class OaTokenManager:
    """Hands out a valid OA access token; refreshes it once across all instances."""

    def __init__(
        self,
        *,
        store: Store,
        oauth: ZaloOAuthClient,
        app_id: str,
        app_secret: str | None,
        clock: Callable[[], float] = time.time,
        lease_s: float = 60.0,
        poll_s: float = 0.1,
        margin_s: float = OaFacts.REFRESH_MARGIN_S,
        sealer: Sealer | None = None,
    ) -> None:
        """``lease_s`` must exceed the OAuth call's timeout: a lease older than that is taken over.

        ``sealer`` seals the stored pair (see :mod:`api.sealed`); without one it is stored as is.
        """
        self._store = store
        self._sealer = sealer or Sealer(None, purpose=TOKEN_KEY)
        self._oauth = oauth
        self._app_id = app_id
        self._app_secret = app_secret
        self._clock = clock
        self._lease_s = lease_s
        self._poll_s = poll_s
        self._margin_s = margin_s
        self._owner = uuid.uuid4().hex
        self._cached: StoredToken | None = None
        self._lock = asyncio.Lock()
        #: How many refreshes this instance performed (for /healthz and tests).
        self.refreshes = 0

    # -- database steps (blocking; run in a thread) --------------------------------------------

    def _load(self, unit: Unit) -> StoredToken | None:
        return StoredToken.from_json(self._sealer.open(unit.get_kv(key=TOKEN_KEY)))

    def _save(self, unit: Unit, token: StoredToken, now: float) -> None:
        unit.set_kv(key=TOKEN_KEY, value=self._sealer.seal(token.to_json()), now=_utc(now))

    def bootstrap(self, *, access_token: str | None, refresh_token: str | None) -> StoredToken | None:
        """Seed the database from the settings unless it holds a pair seeded from the same ones."""
        seed = _seed_of(access_token, refresh_token)
        now = self._clock()
        with self._store.unit() as unit:
            unit.advisory_lock(name=_LOCK_NAME)
            raw = unit.get_kv(key=TOKEN_KEY)
            stored = StoredToken.from_json(self._sealer.open(raw))
            configured = bool(access_token or refresh_token)
            if configured and (stored is None or stored.seed != seed):
                # The age of a token from the settings is unknown: renew it within a lifetime at
                # the latest (sooner if Zalo answers -216 first), so the chain never lapses.
                refresh_at = now + OaFacts.ACCESS_TOKEN_LIFETIME_S - self._margin_s if access_token else None
                stored = StoredToken(access_token, refresh_token, None, refresh_at, seed)
                self._save(unit, stored, now)
                log.info("zalo_oa: token pair seeded from the settings")
            elif stored is not None and self._sealer.enabled and raw is not None and not raw.startswith(SEALED):
                self._save(unit, stored, now)  # stored before SECRET_KEY was set: seal it now
                log.info("zalo_oa: stored token pair sealed with SECRET_KEY")
        self._cached = stored
        return stored

    def _try_lease(self, stale: str | None) -> _Lease:
        now = self._clock()
        with self._store.unit() as unit:
            unit.advisory_lock(name=_LOCK_NAME)
            token = self._load(unit)
            if token is not None and token.access_token and token.access_token != stale:
                return _Lease(mine=False, token=token)  # someone else refreshed meanwhile
            lease = _parse_lease(unit.get_kv(key=LEASE_KEY))
            if lease is not None and lease[0] != self._owner and lease[1] > now:
                return _Lease(mine=False, token=None)
            unit.set_kv(key=LEASE_KEY, value=json.dumps([self._owner, now + self._lease_s]), now=_utc(now))
            return _Lease(mine=True, token=token)

    def _store_pair(self, pair: TokenPair, seed: str) -> StoredToken:
        now = self._clock()
        expires_at = refresh_at = None
        if pair.expires_in:
            expires_at = now + pair.expires_in
            # Refresh ahead by the margin, but never sooner than half the lifetime (short-lived
            # tokens would otherwise be refreshed on every use).
            refresh_at = now + max(pair.expires_in - self._margin_s, pair.expires_in / 2)
        token = StoredToken(pair.access_token, pair.refresh_token, expires_at, refresh_at, seed)
        with self._store.unit() as unit:
            unit.advisory_lock(name=_LOCK_NAME)
            self._save(unit, token, now)
            unit.set_kv(key=LEASE_KEY, value="[]", now=_utc(now))
        return token

    def _release(self, error: ZaloClientError) -> None:
        now = self._clock()
        code = f"oauth:{error.code}" if isinstance(error, ZaloOAuthError) else "oauth:transport"
        with self._store.unit() as unit:
            unit.advisory_lock(name=_LOCK_NAME)
            lease = _parse_lease(unit.get_kv(key=LEASE_KEY))
            if lease is not None and lease[0] == self._owner:
                unit.set_kv(key=LEASE_KEY, value="[]", now=_utc(now))
            record_error(
                unit, key=LAST_ERROR_KEY, code=code, message=f"token refresh failed: {error}", now=now
            )

    def _read(self) -> StoredToken | None:
        with self._store.unit(readonly=True) as unit:
            return self._load(unit)

    # -- async API -----------------------------------------------------------------------------

    def needs_refresh(self, token: StoredToken | None) -> bool:
        """True when there is no access token or it is due for renewal (close to expiry)."""
        if token is None or not token.access_token:
            return True
        return token.refresh_at is not None and token.refresh_at <= self._clock()

    async def current(self) -> StoredToken | None:
        """The pair as last seen by this instance (read from the database the first time)."""
        if self._cached is None:
            self._cached = await asyncio.to_thread(self._read)
        return self._cached

    async def reload(self) -> StoredToken | None:
        """The pair as stored now (another instance may have refreshed it)."""
        self._cached = await asyncio.to_thread(self._read)
        return self._cached

    async def access_token(self) -> str:
        """A usable access token, refreshed first when it is missing or about to expire."""
        token = await self.current()
        if self.needs_refresh(token):
            return await self.refresh(stale=token.access_token if token else None)
        assert token is not None and token.access_token is not None
        return token.access_token

    async def refresh(self, *, stale: str | None) -> str:
        """A token other than ``stale``: the one another instance stored, or a fresh one.

        Raises :class:`ZaloOAuthError` when the refresh token is refused (the chain is broken
        and an admin must grant access again) and :class:`ZaloTransportError` when the OAuth
        server cannot be reached.
        """
        async with self._lock:
            cached = self._cached
            if (
                cached is not None
                and cached.access_token
                and cached.access_token != stale
                and not self.needs_refresh(cached)
            ):
                return cached.access_token
            deadline = time.monotonic() + self._lease_s + 5
            while True:
                lease = await asyncio.to_thread(self._try_lease, stale)
                if not lease.mine and lease.token is not None:
                    self._cached = lease.token
                    if not self.needs_refresh(lease.token):
                        assert lease.token.access_token is not None
                        return lease.token.access_token
                    stale = lease.token.access_token  # theirs is also near expiry: refresh it
                    continue
                if lease.mine:
                    return await self._refresh_with(lease.token)
                if time.monotonic() > deadline:
                    raise ZaloTransportError("timed out waiting for another instance's token refresh")
                await asyncio.sleep(self._poll_s)

    async def _refresh_with(self, token: StoredToken | None) -> str:
        if token is None or not token.refresh_token or not self._app_secret:
            error = ZaloOAuthError(None, "no refresh token or app secret configured")
            await asyncio.to_thread(self._release, error)
            raise error
        try:
            pair = await self._oauth.refresh(
                app_id=self._app_id, app_secret=self._app_secret, refresh_token=token.refresh_token
            )
        except ZaloClientError as exc:
            await asyncio.to_thread(self._release, exc)
            log.error("zalo_oa: token refresh failed: %s", exc)
            raise
        stored = await asyncio.to_thread(self._store_pair, pair, token.seed)
        self._cached = stored
        self.refreshes += 1
        log.info("zalo_oa: access token refreshed")
        assert stored.access_token is not None
        return stored.access_token


def _parse_lease(raw: str | None) -> tuple[str, float] | None:
    if not raw:
        return None
    try:
        data = json.loads(raw)
    except ValueError:
        return None
    if (
        isinstance(data, list)
        and len(data) == 2
        and isinstance(data[0], str)
        and isinstance(data[1], int | float)
    ):
        return data[0], float(data[1])
    return None
