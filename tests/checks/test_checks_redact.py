"""Secret detection and redaction: what is found, and that the secret never comes back."""

from __future__ import annotations

import pytest

from scalewarden.checks.lib.redact import (
    UrlAudit,
    audit_url,
    find_secrets,
    is_secret_param,
    redact,
    redact_tag_value,
    safe_arn,
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


def test_url_with_every_parameter_kept_in_order_and_only_the_secret_masked() -> None:
    url = "https://h.example.com/p?debug=&region=eu&api_key=k1&a/b=c"
    assert audit_url(url) == UrlAudit(
        "https://h.example.com/p?debug=&region=eu&api_key=REDACTED&a%2Fb=c", False, ("api_key",), ()
    )


def test_url_password_holding_an_at_sign_is_masked_whole() -> None:
    audit = audit_url("https://ops:p@ss@h.example.com/x")
    assert audit == UrlAudit("https://REDACTED@h.example.com/x", True, (), ())


def test_url_secrets_in_path_and_fragment_are_masked_and_named_once() -> None:
    key = SECRETS["aws-access-key-id"]
    audit = audit_url(f"https://h.example.com/{key}/x#{key}")
    mask = "[REDACTED:aws-access-key-id]"
    assert audit == UrlAudit(
        f"https://h.example.com/{mask}/x#{mask}", False, (), ("aws-access-key-id",)
    )
    assert audit.unsafe


def test_text_that_is_not_a_url_is_redacted_as_text() -> None:
    key = SECRETS["aws-access-key-id"]
    audit = audit_url(f"https://[fe80::1/p/{key}")  # an unclosed IPv6 host: urlsplit refuses
    assert audit == UrlAudit(
        "https://[fe80::1/p/[REDACTED:aws-access-key-id]", False, (), ("aws-access-key-id",)
    )


def test_an_arn_without_a_resource_id_is_redacted_as_text() -> None:
    key = SECRETS["aws-access-key-id"]
    arn = f"arn:aws:autoscaling:eu-west-1:111111111111:scalingPolicy:x:policyName/{key}"
    assert safe_arn(arn, "ecs", "") == arn.replace(key, "[REDACTED:aws-access-key-id]")


@pytest.mark.parametrize(
    ("key", "value", "shown"),
    [
        ("db-password", "abcdef", "[REDACTED:secret-tag]"),  # six characters: could be one
        ("db-password", "abcde", "abcde"),  # shorter: not a secret worth the name
        ("pass_word", "s3cr3tvalue", "[REDACTED:secret-tag]"),  # separators do not hide it
        ("token-rotation", "every second week", "every second week"),  # a sentence
        ("token-rotation", "Enabled", "Enabled"),  # a flag
        ("password", "REDACTED", "REDACTED"),  # already masked upstream
        (
            "SecretArn",
            "arn:aws:secretsmanager:eu-west-1:1:secret:db",
            "arn:aws:secretsmanager:eu-west-1:1:secret:db",
        ),
        ("KeyName", "prod-keypair", "prod-keypair"),  # key pair names are not secrets
    ],
)
def test_tag_values_are_masked_whole_only_when_the_key_names_a_secret(
    key: str, value: str, shown: str
) -> None:
    assert redact_tag_value(key, value) == shown


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("kR8vT2nQ5wX9mZ3pL6yB4cH7jF1dG0sA", True),  # mixed case and digits, no words
        ("ScalableTargetDimensionsForProduction2024", False),  # words run together
        ("orders2024Production2024Table2024X", False),
        ("dynamodb-table-orders-production-eu-west", False),
        ("3f2b9c1e-8a7d-4e2f-9b1c-0d4e5f6a7b8c", False),  # an id, not a credential
        ("aaaaaaaabbbbbbbbccccccccdddddddd1A", False),  # no lower-upper-digit mix throughout
        ("_" * 32, False),
        # Lower-case runs without a vowel ("kq", "bc") are not words, however short: a key
        # cut into such runs is still a key.
        ("Tkq7Zbc2Wdf9Hgh4Mjk8Rlm3Npq6Sst5", True),
        # Words make a name only when they are half of it or more: three words and a 22-
        # character key glued on (14 of 36) are a key; a generated name that is exactly half
        # words (16 of 32, CloudFormation's suffix after the logical id) stays readable.
        ("SalesOrderItem7K2Q9X4Z1W8R5T3V6N0M2P", True),
        ("ProdServiceCache-7K2Q9X4Z1W8R5T3V", False),
    ],
)
def test_long_tokens_are_masked_only_when_they_look_random(text: str, masked: bool) -> None:
    assert (redact(f"id {text} here") == "id [REDACTED:token] here") is masked


def test_secret_parameter_names_are_read_word_by_word() -> None:
    assert is_secret_param("sessionKey") and is_secret_param("X-Api-Key")
    assert not is_secret_param("monkey") and not is_secret_param("keyword")


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("deploy_ghp_" + "a" * 36, "a" * 36),  # snake_case: "_" is a word character
        ("ci-token%3Dghp_" + "b" * 36, "b" * 36),  # URL-encoded "="
        ("ghp_" + "A" * 36 + "ghp_" + "B" * 36, "B" * 36),  # two glued: no tail left over
        ("svc_xoxb-5550001111-abcdefghij", "5550001111-abcdefghij"),
        ("db_password=Sup3rS3cret", "Sup3rS3cret"),
        ("db_password%3DSup3rS3cret", "Sup3rS3cret"),
        ("x_eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.abcdefghijklmnop", "abcdefghijklmnop"),
    ],
)
def test_secrets_glued_to_a_name_are_redacted(text: str, secret: str) -> None:
    assert secret not in redact(text)


@pytest.mark.parametrize(
    "text",
    [
        "XAKIAIOSFODNN7EXAMPLE",  # a capital glued before
        "9ASIAIOSFODNN7EXAMPLE",  # a digit glued before
        "AKIAIOSFODNN7EXAMPLEX",  # a capital glued after
        "ROLE7ABIA2345672345672345Z",  # glued on both sides
        "svc-XACCAIOSFODNN7EXAMPLE-policy",
    ],
)
def test_access_key_ids_glued_to_capitals_or_digits_are_redacted(text: str) -> None:
    out = redact(text)
    assert "aws-access-key-id" in secret_kinds(text)
    assert not any(
        p + text.split(p, 1)[1][:16] in out for p in ("AKIA", "ASIA", "ABIA", "ACCA") if p in text
    )


@pytest.mark.parametrize(
    "text",
    ["ROLEASIAPACIFICREGIONSNAME", "SCALEASIAPACIFICDEPLOYMENTS", "EASTASIAPACIFICSTANDBYPOOL"],
)
def test_upper_case_words_holding_a_key_prefix_are_not_key_ids(text: str) -> None:
    assert redact(text) == text
