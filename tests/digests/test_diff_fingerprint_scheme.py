"""Fingerprints do not move when the secret detector changes, and scans stored under the
earlier scheme (a hash of the *redacted* id) still diff against new ones without churn."""

from __future__ import annotations

from typing import Any

import pytest
from digest_builders import finding, stored

from scalewarden.checks import model
from scalewarden.checks.model import Finding, identity_digest, legacy_fingerprint
from scalewarden.digests.diff import carry_over, diff_scans
from scalewarden.store.records import StoredScan

WEB = "ecs:service/web/api:ecs:service:DesiredCount"
GLUED_KEY = "ecs:service/XAKIAIOSFODNN7EXAMPLE/api"  # the detector before showed it whole
TOKEN = "ecs:service/ci-ghp_" + "a1B2c3D4e5F6g7H8i9J0" * 2 + "/api"
OTHER_TOKEN = "ecs:service/ci-ghp_" + "z9Y8x7W6v5U4t3S2r1Q0" * 2 + "/api"


def test_a_fingerprint_does_not_depend_on_what_the_detector_hides(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    before = finding(resource_id=GLUED_KEY).fingerprint
    monkeypatch.setattr(model, "redact", lambda text: "[REDACTED:everything]")
    hidden_more = finding(resource_id=GLUED_KEY)
    assert hidden_more.resource_id == "[REDACTED:everything]"
    assert hidden_more.fingerprint == before
    # Under the earlier scheme it moved: what was hashed was what was shown.
    assert legacy_fingerprint("c", "a", "r", GLUED_KEY) != legacy_fingerprint(
        "c", "a", "r", "[REDACTED:everything]", identity_digest(GLUED_KEY)
    )


def _legacy_stored(rows: list[tuple[str, str]]) -> StoredScan:
    """A scan as stored before: each finding shown as the detector then showed its id, under
    the fingerprint of that time (a raw id never reaches the store)."""
    scan = stored([finding(resource_id=WEB)])
    findings: list[dict[str, Any]] = []
    for raw, shown in rows:
        row = finding(resource_id=raw).to_dict()
        hidden = identity_digest(raw) if shown != raw else ""
        row["resource_id"] = shown
        row["fingerprint"] = legacy_fingerprint(
            row["check_id"], row["account_id"], row["region"], shown, hidden
        )
        findings.append(row)
    scan.report["findings"] = findings
    return scan


def test_a_scan_stored_under_the_earlier_scheme_diffs_without_churn() -> None:
    old = _legacy_stored(
        [
            (WEB, WEB),
            (GLUED_KEY, GLUED_KEY),  # shown whole then, masked now
            (TOKEN, finding(resource_id=TOKEN).resource_id),  # masked then and now
            ("ecs:service/gone/api", "ecs:service/gone/api"),
        ]
    )
    new = stored([finding(resource_id=r) for r in (WEB, GLUED_KEY, TOKEN, "ecs:service/fresh/api")])
    diff = diff_scans(old, new)
    assert [f.resource_id for f in diff.new] == ["ecs:service/fresh/api"]
    assert [f.resource_id for f in diff.resolved] == ["ecs:service/gone/api"]
    assert len(diff.open) == 3
    # Re-keyed from what was stored: the old scan's findings now carry the new fingerprints.
    carried = carry_over([Finding.from_dict(f) for f in old.report["findings"]], [])
    assert carried[0].fingerprint == finding(resource_id=WEB).fingerprint


def test_legacy_findings_that_redact_alike_are_not_matched_by_guess() -> None:
    # Two resources shown the same (their names differ only inside a secret): which is which
    # cannot be told from what was stored, so neither takes the other's place.
    shown = finding(resource_id=TOKEN).resource_id
    old = _legacy_stored([(WEB, WEB), (TOKEN, shown), (OTHER_TOKEN, shown)])
    new = stored([finding(resource_id=r) for r in (WEB, TOKEN, OTHER_TOKEN)])
    diff = diff_scans(old, new)
    assert len(diff.new) == 2 and len(diff.resolved) == 2
    assert [f.resource_id for f in diff.open] == [WEB]


def test_scans_of_the_current_scheme_are_matched_by_fingerprint_alone() -> None:
    # A rotated secret in a name is another resource now: it is not matched by what is shown.
    old = stored([finding(resource_id=WEB), finding(resource_id=TOKEN)])
    new = stored([finding(resource_id=WEB), finding(resource_id=OTHER_TOKEN)])
    diff = diff_scans(old, new)
    assert [f.resource_id for f in diff.open] == [WEB]
    assert len(diff.new) == 1 and len(diff.resolved) == 1


def test_two_scans_stored_under_the_earlier_scheme_still_diff_alike() -> None:
    # ``scalewarden diff`` of two old scans: both keep their stored fingerprints.
    shown = finding(resource_id=TOKEN).resource_id
    old = _legacy_stored([(WEB, WEB), (TOKEN, shown), ("ecs:service/gone/api",) * 2])
    new = _legacy_stored([(WEB, WEB), (TOKEN, shown), ("ecs:service/fresh/api",) * 2])
    diff = diff_scans(old, new)
    assert sorted(f.resource_id for f in diff.open) == sorted([WEB, shown])
    assert [f.resource_id for f in diff.new] == ["ecs:service/fresh/api"]
    assert [f.resource_id for f in diff.resolved] == ["ecs:service/gone/api"]
