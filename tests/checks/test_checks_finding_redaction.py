"""Redaction by construction: a finding cannot hold a secret, whoever builds it."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from hypothesis import example, given, settings
from hypothesis import strategies as st
from inventory_builders import account

from scalewarden.checks.lib.redact import redact
from scalewarden.checks.model import (
    Finding,
    ScanReport,
    Severity,
    Status,
    fingerprint,
    fingerprint_key,
)
from scalewarden.checks.registry import all_checks

SECRET = "xoxb-5550001111-abcdefghij"


def leaky() -> Finding:
    return Finding(
        check_id="iam_policy_aas_write_unrestricted",
        title="Policy allows writes",
        severity=Severity.HIGH,
        status=Status.FAIL,
        account_id="111122223333",
        account_name=f"prod-{SECRET}",
        region="global",
        resource_id=f"arn:aws:iam::111122223333:policy/ci-{SECRET}",
        resource_arn=f"arn:aws:iam::111122223333:policy/ci-{SECRET}",
        message=f"Managed policy ci-{SECRET} allows everything.",
        remediation="Scope it.",
        kb_article="iam-policy-examples",
        evidence={"policy_name": f"ci-{SECRET}", "nested": [{"name": SECRET}, 3, None]},
    )


def test_every_text_field_is_redacted_when_the_finding_is_built() -> None:
    finding = leaky()
    data = finding.to_dict()
    assert SECRET not in repr(data)
    assert finding.message == "Managed policy ci-[REDACTED:slack-token] allows everything."
    assert finding.resource_id.endswith("policy/ci-[REDACTED:slack-token]")
    assert finding.account_name == "prod-[REDACTED:slack-token]"
    assert finding.evidence == {
        "policy_name": "ci-[REDACTED:slack-token]",
        "nested": [{"name": "[REDACTED:slack-token]"}, 3, None],
    }


def test_fingerprints_hash_the_raw_identity_under_a_key_and_survive_storage() -> None:
    finding = leaky()
    # The identity as read, through the keyed hash: what the detector hides does not move it.
    raw_id = f"arn:aws:iam::111122223333:policy/ci-{SECRET}"
    assert finding.fingerprint == fingerprint(finding.check_id, "111122223333", "global", raw_id)
    assert SECRET not in repr(finding.to_dict())
    # Read back (store, JSON file) it is the same finding: redaction does not redact twice.
    assert Finding.from_dict(finding.to_dict()) == finding
    assert Finding.from_dict(finding.to_dict()).to_dict() == finding.to_dict()
    muted = finding.with_status(Status.MUTED, f"accepted for {SECRET}", {"rule": SECRET})
    assert SECRET not in repr(muted.to_dict()) and muted.fingerprint == finding.fingerprint


def test_scan_reports_redact_account_names_and_coverage_reasons() -> None:
    when = datetime(2026, 1, 1, tzinfo=UTC)
    report = ScanReport(
        scan_id="s",
        started_at=when,
        finished_at=when,
        accounts=[{"id": "111122223333", "name": SECRET, "regions": ["us-east-1"]}],
        coverage=[
            {
                "account_id": "111122223333",
                "region": "us-east-1",
                "source": "iam_authorization",
                "reason": f"AccessDenied: role/deploy-{SECRET} is not authorized",
            }
        ],
    )
    assert SECRET not in repr(report.to_dict())
    assert ScanReport.from_dict(report.to_dict()).to_dict() == report.to_dict()


def test_no_check_metadata_is_mistaken_for_a_secret() -> None:
    inv = account()
    for check in all_checks():
        built = check.finding(inv, "global", Status.PASS, "r", "m")
        assert (built.title, built.remediation) == (check.title, check.remediation), check.id


FRAGMENTS = [
    "https://",
    "user:pw@",
    "REDACTED@",
    "host.example.com/",
    "?token=abc123",
    "&x=1",
    "password=",
    "Hunter2Secret",
    "#inline-",
    "ghp_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789",
    "xoxb-5550001111-abcdefghij",
    "a@b.io",
    " token: ",
    "role/",
    "-",
]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(FRAGMENTS), max_size=8).map("".join))
@example("https://REDACTED@password=https://REDACTED@")  # a mask after audit_url's user info
def test_redacting_twice_changes_nothing(text: str) -> None:
    once = redact(text)
    assert redact(once) == once


def _named(resource_id: str) -> Finding:
    return Finding(
        check_id="iam_policy_aas_write_unrestricted",
        title="Policy allows writes",
        severity=Severity.HIGH,
        status=Status.FAIL,
        account_id="111122223333",
        account_name="prod",
        region="global",
        resource_id=resource_id,
        resource_arn=None,
        message="allows everything",
        remediation="Scope it.",
        kb_article="iam-policy-examples",
    )


def test_resources_differing_only_inside_a_secret_keep_apart() -> None:
    # Both names redact to the same text; as one fingerprint, the second would hide the first
    # in a diff, a digest, a mute and Security Hub's import (ASFF Id).
    first = _named(f"arn:aws:iam::111122223333:policy/ci-{SECRET}")
    second = _named(f"arn:aws:iam::111122223333:policy/ci-{SECRET[:-4]}wxyz")
    assert first.resource_id == second.resource_id
    assert first.fingerprint != second.fingerprint
    # Stable across scans, and no plain hash of the name (which would let a weak secret be
    # guessed offline): the raw name goes in through a keyed hash only.
    assert _named(f"arn:aws:iam::111122223333:policy/ci-{SECRET}").fingerprint == first.fingerprint
    plain = f"arn:aws:iam::111122223333:policy/ci-{SECRET}".encode()
    assert hashlib.sha256(plain).hexdigest() not in {first.fingerprint, second.fingerprint}
    with fingerprint_key(b"another installation's key"):
        assert (
            _named(f"arn:aws:iam::111122223333:policy/ci-{SECRET}").fingerprint != first.fingerprint
        )
