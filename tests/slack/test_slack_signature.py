"""Slack request signatures: the round trip, refusals and the five-minute window."""

from __future__ import annotations

import time

from scalewarden.slack.signature import sign, verify


def test_signature_round_trip_and_refusals() -> None:
    now = time.time()
    ts = str(int(now))
    body = b"command=%2Fscalewarden&text=help"
    good = sign("secret", ts, body)
    assert verify("secret", body, ts, good, now=lambda: now)
    assert not verify("other", body, ts, good, now=lambda: now)
    assert not verify("secret", body + b"x", ts, good, now=lambda: now)
    assert not verify("secret", body, ts, good, now=lambda: now + 301)
    assert not verify("secret", body, None, good)
    assert not verify("secret", body, ts, None)
    assert not verify("secret", body, "12ab", good)
    assert not verify("secret", body, ts, "v0=é" + good[4:], now=lambda: now)


def test_signatures_are_fresh_for_exactly_five_minutes() -> None:
    body, ts = b"payload=1", "1700000000"
    good = sign("secret", ts, body)
    assert verify("secret", body, ts, good, now=lambda: 1700000000 + 300)
    assert verify("secret", body, ts, good, now=lambda: 1700000000 - 300)
    assert not verify("secret", body, ts, good, now=lambda: 1700000000 + 301)


def test_timestamps_longer_than_twelve_digits_are_refused_unread() -> None:
    for ts in ("100000000000", "1000000000000"):  # 12 and 13 digits, each "fresh"
        good = sign("secret", ts, b"x")
        assert verify("secret", b"x", ts, good, now=lambda ts=ts: int(ts)) is (len(ts) <= 12)
