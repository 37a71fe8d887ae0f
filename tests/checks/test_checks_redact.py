"""Secret detection and redaction: what is found, and that the secret never comes back."""

from __future__ import annotations

import pytest

from scalewarden.checks.lib.redact import (
    audit_url,
    find_secrets,
    redact,
    safe_resource_id,
    secret_kinds,
)

SECRETS = {
    "email": "ops.alice+scale@example.com",
    "aws-access-key-id": "AKIAIOSFODNN7EXAMPLE",
    "aws-secret-key": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "slack-token": "xoxb-123456789012-abcdefghijkl",
    "slack-app-token": "xapp-1-A0123456789-1234567890123-abcdef",
    "secret-setting": "AWS_SECRET_ACCESS_KEY=abc/def+ghi",
    "github-token": "ghp_" + "a1B2c3D4e5F6g7H8i9J0" * 2,
    "jwt": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N",
    "credential": "password=hunter2hunter2",
    "token": "Zx9" + "Qm4Lr7Tw2Kp8Vb5Nc3Hj6Gd1" * 2,
}


@pytest.mark.parametrize(("kind", "secret"), SECRETS.items())
def test_each_kind_is_found_and_redacted(kind: str, secret: str) -> None:
    text = f"scale out {secret} policy"  # a space ends every secret shape
    assert kind in secret_kinds(text)
    out = redact(text)
    assert secret not in out
    assert f"[REDACTED:{kind}]" in out
    assert out == f"scale out [REDACTED:{kind}] policy"


@pytest.mark.parametrize(
    "clean",
    [
        "cpu50-target-tracking",
        "table/orders/index/by_user",
        "service/prod-cluster/web-frontend",
        "scale-up-0ec5a0f3-d2b6-4d5d-9c3b-1e4a7f8e9d0c",
        "arn:aws:dynamodb:us-east-1:111122223333:table/Orders",
        "endpoint/my-endpoint/variant/AllTraffic",
        "0123456789abcdef0123456789abcdef01234567",
    ],
)
def test_ordinary_names_are_left_alone(clean: str) -> None:
    assert find_secrets(clean) == []
    assert redact(clean) == clean


def test_url_userinfo_and_secret_parameters() -> None:
    url = "https://admin:S3cretPass@abc.execute-api.us-east-1.amazonaws.com/prod/scalableTargetDimensions/1-23?api_key=k-123&region=eu"
    audit = audit_url(url)
    assert audit.unsafe and audit.has_userinfo
    assert audit.secret_params == ("api_key",)
    assert (
        "S3cretPass" not in audit.redacted
        and "k-123" not in audit.redacted
        and "admin" not in audit.redacted
    )
    assert "region=eu" in audit.redacted and "api_key=REDACTED" in audit.redacted


def test_url_secret_looking_value_under_innocent_name() -> None:
    audit = audit_url("https://x.example.com/p?id=AKIAIOSFODNN7EXAMPLE")
    assert audit.secret_params == ("id",)
    assert "AKIA" not in audit.redacted


def test_clean_url() -> None:
    url = "https://abc.execute-api.us-east-1.amazonaws.com/prod/scalableTargetDimensions/1-23456789"
    audit = audit_url(url)
    assert not audit.unsafe and audit.redacted == url


def test_safe_resource_id_for_custom_resources_only_parses_urls() -> None:
    assert "pw" not in safe_resource_id("custom-resource", "https://u:pw@h.example.com/x")
    assert safe_resource_id("ecs", "service/a/b") == "service/a/b"
