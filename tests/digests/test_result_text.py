"""The plain-text digest (``digest run --dry-run``, ``diff``, the plain Slack post): one line
per finding whatever the account put in its names, and the reason a check could not run."""

from __future__ import annotations

from digest_builders import error, finding

from scalewarden.checks.model import Finding
from scalewarden.digests.result import DigestResult


def test_a_newline_in_a_resource_id_cannot_forge_a_section() -> None:
    forged = "svc/web\nResolved:\n  [critical] everything (all accounts)\r\x1b[2J"
    result = DigestResult(
        subscription_id=1, scan_id="s", baseline=False, new=[finding(resource_id=forged)]
    )
    lines = result.to_text().splitlines()
    assert lines[1] == "New:"
    assert len(lines) == 3  # the headline, the section, one finding
    assert "Resolved:" not in lines[:2] and "\x1b" not in lines[2]
    assert "svc/web Resolved: [critical] everything (all accounts)" in lines[2]


def test_a_check_that_could_not_run_says_why() -> None:
    base = error("target_fixed_capacity")
    reason = "scalable_targets could not be listed: AccessDenied (ecs:DescribeServices)"
    broken = Finding.from_dict({**base.to_dict(), "message": reason})
    result = DigestResult(subscription_id=1, scan_id="s", baseline=False, not_evaluated=[broken])
    text = result.to_text()
    assert "Not evaluated:" in text
    assert reason in text
