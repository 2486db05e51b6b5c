"""Secrets the bot keeps in the database, sealed with a key from the environment (``SECRET_KEY``).

The Zalo OA access and refresh tokens change hands between instances through the ``kv`` table;
whoever reads a database copy with them could write to citizens as the official account. With
``SECRET_KEY`` set they are stored sealed: Fernet (AES-128-CBC with HMAC-SHA256, from the
``cryptography`` package) under a key derived from ``SECRET_KEY`` with HKDF-SHA256, one derived key
per purpose. Without it they are stored as they are (a warning says so at start-up).

A stored value that is not sealed (written before ``SECRET_KEY`` was set) is read as it is and sealed
the next time it is written. A sealed value that the key cannot open (``SECRET_KEY`` changed) reads
as missing: the caller falls back to what the settings give, as on a first start.
"""

from __future__ import annotations

import base64
import logging
from typing import Final

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

__all__ = ["PREFIX", "Sealer"]

log = logging.getLogger(__name__)

#: Marks a sealed value (and its format version).
PREFIX: Final = "sealed:v1:"


class Sealer:
    """Seals and opens the values of one purpose; ``key=None`` stores them as they are."""

    def __init__(self, key: str | None, *, purpose: str) -> None:
        """``key``: ``SECRET_KEY``; ``purpose`` separates the keys of unrelated values."""
        self._fernet: Fernet | None = None
        if key:
            derived = HKDF(
                algorithm=hashes.SHA256(), length=32, salt=None, info=f"troly06:{purpose}".encode()
            ).derive(key.encode())
            self._fernet = Fernet(base64.urlsafe_b64encode(derived))
        self.purpose = purpose

    @property
    def enabled(self) -> bool:
        """True when values are sealed."""
        return self._fernet is not None

    def seal(self, value: str) -> str:
        """What to store for ``value``."""
        if self._fernet is None:
            return value
        return PREFIX + self._fernet.encrypt(value.encode()).decode("ascii")

    def open(self, stored: str | None) -> str | None:
        """The value behind ``stored``; None when it is missing or cannot be opened."""
        if stored is None or not stored.startswith(PREFIX):
            return stored  # missing, or stored before sealing was turned on
        if self._fernet is None:
            log.error("%s: a sealed value is stored but SECRET_KEY is not set; ignoring it", self.purpose)
            return None
        try:
            return self._fernet.decrypt(stored[len(PREFIX):].encode("ascii")).decode()
        except (InvalidToken, ValueError, UnicodeError):
            log.error("%s: the stored value cannot be opened with this SECRET_KEY; ignoring it", self.purpose)
            return None
