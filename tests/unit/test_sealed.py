"""Sealing secrets stored in the database (api/sealed.py)."""

from __future__ import annotations

import pytest

from api.sealed import PREFIX, Sealer


def test_round_trip_and_nothing_readable_in_the_stored_form() -> None:
    sealer = Sealer("a long random secret key", purpose="zalo_oa:token")
    stored = sealer.seal('{"access_token": "AT-123"}')
    assert stored.startswith(PREFIX) and "AT-123" not in stored
    assert sealer.open(stored) == '{"access_token": "AT-123"}'
    assert sealer.seal("x") != sealer.seal("x")  # a fresh IV each time


def test_purposes_and_keys_do_not_open_each_other(caplog: pytest.LogCaptureFixture) -> None:
    stored = Sealer("key one", purpose="a").seal("s3cr3t-payload")
    assert Sealer("key one", purpose="b").open(stored) is None
    assert Sealer("key two", purpose="a").open(stored) is None
    assert Sealer(None, purpose="a").open(stored) is None
    assert "cannot be opened" in caplog.text and "s3cr3t" not in caplog.text


def test_without_a_key_values_pass_through_and_unsealed_values_still_read() -> None:
    plain = Sealer(None, purpose="a")
    assert not plain.enabled and plain.seal("v") == "v" and plain.open("v") == "v"
    assert Sealer("key", purpose="a").open('{"legacy": true}') == '{"legacy": true}'
    assert Sealer("key", purpose="a").open(None) is None


def test_a_damaged_sealed_value_reads_as_missing() -> None:
    sealer = Sealer("key", purpose="a")
    assert sealer.open(PREFIX + "not-a-fernet-token") is None
    assert sealer.open(sealer.seal("v")[:-4]) is None
