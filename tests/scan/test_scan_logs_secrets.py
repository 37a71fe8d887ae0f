"""No credential reaches the logs, even with botocore's DEBUG logging switched on."""

from __future__ import annotations

import logging
import re

import pytest

from scalewarden.aws.session import ClientSettings, redact_secrets
from scalewarden.localaws import DEFAULT_ACCOUNT_ID, seed_scenario
from scalewarden.scan import ScanOptions, ScanScope, run_scan

SESSION_TOKEN = "CallerSessionToken-7f3a9c"
EXTERNAL_ID = "ext-id-5b2e91"
FAST = ClientSettings(max_attempts=2, retry_mode="standard", connect_timeout=2, read_timeout=10)


def test_botocore_debug_logs_of_a_multi_account_scan_hold_no_secret(
    aws_env: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("AWS_SESSION_TOKEN", SESSION_TOKEN)
    seed_scenario("us-east-1", with_endpoint=False)
    with caplog.at_level(logging.DEBUG):
        run_scan(
            ScanScope(
                accounts=[DEFAULT_ACCOUNT_ID, "111111111111"],
                role_name="ScalewardenReadOnly",
                external_id=EXTERNAL_ID,
                checks="target_fixed_capacity",
            ),
            options=ScanOptions(client_settings=FAST),
        )
    text = "\n".join(r.getMessage() for r in caplog.records)
    # The test saw what it guards against: AssumeRole's answer and signed requests.
    assert "<SecretAccessKey>" in text and "x-amz-security-token" in text.lower()
    assert SESSION_TOKEN not in text
    assert EXTERNAL_ID not in text
    assert not re.search(r"<(SecretAccessKey|SessionToken)>(?!\[REDACTED\])", text)
    assert not re.search(r"Signature[=:]\s*[0-9a-f]{64}", text)


@pytest.mark.parametrize(
    ("raw", "secret"),
    [
        ("<SecretAccessKey>wJalr/K7MDENG+bPxRfi</SecretAccessKey>", "wJalr/K7MDENG+bPxRfi"),
        ('{"sessionToken": "IQoJb3Jp\\"Z2luX2Vj"}', "Z2luX2Vj"),
        ("{'X-Amz-Security-Token': b'FwoGZXIvYXdzE'}", "FwoGZXIvYXdzE"),
        ("x-amz-security-token:FwoGZXIvYXdzE\nhost:sts", "FwoGZXIvYXdzE"),
        ("Action=AssumeRole&ExternalId=tenant-42&Version=2011-06-15", "tenant-42"),
        ("{'ExternalId': 'tenant-42'}", "tenant-42"),
    ],
)
def test_redact_secrets_shapes(raw: str, secret: str) -> None:
    cleaned = redact_secrets(raw)
    assert secret not in cleaned and "[REDACTED]" in cleaned
