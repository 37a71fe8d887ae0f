"""What reaches a channel: secrets masked the channel's way, long resource ids shortened."""

from __future__ import annotations

from scalewarden.slack.redact import redact, redact_resource


def test_redaction() -> None:
    text = (
        "token xoxb-123456789-abcdefghijk and xapp-1-A1-123-abcdef01 key AKIAABCDEFGHIJKLMNOP "
        "secret wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY signing_secret=abc"
    )
    masked = redact(text)
    for leaked in ("xoxb-", "xapp-", "AKIA", "wJalr", "signing_secret=abc"):
        assert leaked not in masked
    assert redact_resource("table/" + "x" * 500, max_length=50).count("…") == 1


def test_long_resource_ids_keep_both_ends_within_the_limit() -> None:
    exact = "table/" + "a" * 114
    assert redact_resource(exact) == exact  # 120 characters: shown whole
    longer = "table/" + "a" * 110 + "0123456789" + "Z"
    shown = redact_resource(longer)
    assert shown == longer[:59] + "…" + longer[-59:]
    assert len(shown) == 119 and shown.endswith("0123456789Z")
    # An odd limit is used in full: as much of both ends as fits, never more.
    assert len(redact_resource(longer, max_length=81)) == 81
    assert len(redact_resource(longer, max_length=80)) == 79


def test_chat_masking_uses_the_checks_detector_but_keeps_what_is_not_a_secret() -> None:
    pasted = (
        "my config: password=hunter2hunter2 and https://hooks.example.com/x?token=abcdef123 "
        "and -----BEGIN RSA PRIVATE KEY----- and ghp_" + "a1B2c3D4e5F6g7H8i9J0" * 2
    )
    masked = redact(pasted)
    for leaked in ("hunter2", "abcdef123", "BEGIN RSA PRIVATE KEY", "ghp_"):
        assert leaked not in masked
    assert masked.count("[redacted]") == 4
    # A question is not a leak: addresses, ids and ordinary words stay as typed.
    question = "can ops@example.com scale table/Orders in 111122223333 with a 40 % target?"
    assert redact(question) == question
