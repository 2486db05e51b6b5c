"""Logging configuration: quiet HTTP client loggers and redact secrets in every line."""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterable

__all__ = ["RedactingFilter", "configure_logging"]

# Telegram-style bot tokens ("123456:ABC-...") wherever they appear, e.g. in Bot API URLs.
_TOKEN_RE = re.compile(r"\b\d{5,}:[A-Za-z0-9_-]{20,}\b")
_QUIET = ("httpx", "httpcore", "telegram", "telegram.ext", "hpack", "urllib3")


class RedactingFilter(logging.Filter):
    """Replace known secrets and anything shaped like a bot token with ``[redacted]``."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s and len(s) >= 6]

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record's message in place; never drops a record."""
        try:
            message = record.getMessage()
        except Exception:  # a broken format string must not lose the line
            message = str(record.msg)
        redacted = self.redact(message)
        if redacted != message or record.args:
            record.msg, record.args = redacted, None
        return True

    def redact(self, text: str) -> str:
        """Redact secrets in ``text``."""
        for s in self.secrets:
            text = text.replace(s, "[redacted]")
        return _TOKEN_RE.sub("[redacted]", text)


def configure_logging(level: str = "INFO", secrets: Iterable[str] = ()) -> RedactingFilter:
    """Log to stderr with redaction on every handler; HTTP client loggers at WARNING."""
    root = logging.getLogger()
    flt = RedactingFilter(secrets)
    if not any(getattr(h, "_troly06", False) for h in root.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        handler._troly06 = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    for h in root.handlers:
        for old in [f for f in h.filters if isinstance(f, RedactingFilter)]:
            h.removeFilter(old)
        h.addFilter(flt)
    root.setLevel(level.upper())
    for name in _QUIET:
        logging.getLogger(name).setLevel(logging.WARNING)
    # With max_retries=0 (the outbox waits out a 429 itself and logs it in one line), the rate
    # limiter logs every 429 as an ERROR with a traceback; that is all it logs.
    logging.getLogger("telegram.ext.AIORateLimiter").setLevel(logging.CRITICAL)
    return flt
