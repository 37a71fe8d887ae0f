"""Slack request signature check (HMAC-SHA256, ``v0``, five-minute window).

Bolt can check signatures too, but only after it has parsed the body, and a non-numeric
timestamp header makes its check raise. The web layer therefore verifies the raw bytes first,
for every request whatever its body, and only authentic requests reach the parser. This is
the one check: Bolt's is off, and Bolt admits only what the ingress marked as verified
(``slack/app.py``, ``SignedAtEdge``).
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable

MAX_AGE_SECONDS = 60 * 5


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The ``X-Slack-Signature`` value Slack would send for ``body`` at ``timestamp``."""
    base = b"v0:" + timestamp.encode("ascii") + b":" + body
    return "v0=" + hmac.new(secret.encode("utf-8"), base, hashlib.sha256).hexdigest()


def verify(
    secret: str,
    body: bytes,
    timestamp: str | None,
    signature: str | None,
    *,
    now: Callable[[], float] = time.time,
) -> bool:
    """True only for a well-formed, fresh and matching signature (constant-time compare)."""
    if not timestamp or not signature or not timestamp.isascii() or not timestamp.isdigit():
        return False
    if len(timestamp) > 12 or abs(now() - int(timestamp)) > MAX_AGE_SECONDS:
        return False
    if not signature.isascii():
        return False
    expected = sign(secret, timestamp, body)
    return hmac.compare_digest(expected.encode("ascii"), signature.encode("ascii"))
