"""``DigestResult``: one subscription's view of a scan diff, ready to render or post.

A subscription sees only findings at or above its ``min_severity``; ERROR findings ("not
evaluated") are kept whatever their severity, because a check that could not run is what a
reader most needs to know about. The JSON form lists findings in the scan JSON's finding
shape (``Finding.to_dict``), which ``digest run --json`` prints and tests pin.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from scalewarden.checks.model import Finding, Severity
from scalewarden.digests.diff import ScanDiff
from scalewarden.reports._meta import one_line
from scalewarden.store.records import StoredMute

#: The finding lists of the JSON form, in the order they are printed.
FINDING_LISTS = ("new", "resolved", "open", "muted", "not_evaluated", "unverified")


@dataclass(frozen=True)
class DigestResult:
    """What one digest says: a subscription's filtered view of one diff."""

    subscription_id: int | None
    scan_id: str
    baseline: bool
    new: list[Finding] = field(default_factory=list)
    resolved: list[Finding] = field(default_factory=list)
    open: list[Finding] = field(default_factory=list)
    muted: list[Finding] = field(default_factory=list)
    not_evaluated: list[Finding] = field(default_factory=list)
    unverified: list[Finding] = field(default_factory=list)
    lapsed_mutes: list[StoredMute] = field(default_factory=list)

    @classmethod
    def of(
        cls,
        diff: ScanDiff,
        *,
        subscription_id: int | None,
        min_severity: Severity = Severity.INFORMATIONAL,
        lapsed_mutes: Sequence[StoredMute] = (),
    ) -> DigestResult:
        def keep(findings: Iterable[Finding]) -> list[Finding]:
            return [f for f in findings if f.severity.rank >= min_severity.rank]

        return cls(
            subscription_id=subscription_id,
            scan_id=diff.scan_id,
            baseline=diff.baseline,
            new=keep(diff.new),
            resolved=keep(diff.resolved),
            open=keep(diff.open),
            muted=keep(diff.muted),
            not_evaluated=list(diff.not_evaluated),
            unverified=keep(diff.unverified),
            lapsed_mutes=list(lapsed_mutes),
        )

    @property
    def quiet(self) -> bool:
        """Nothing new, nothing resolved, no mute lapsed: the digest is one short line."""
        return not (self.new or self.resolved or self.lapsed_mutes) and not self.baseline

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "subscription_id": self.subscription_id,
            "scan_id": self.scan_id,
            "baseline": self.baseline,
        }
        for name in FINDING_LISTS:
            out[name] = [f.to_dict() for f in getattr(self, name)]
        out["lapsed_mutes"] = [mute_to_dict(m) for m in self.lapsed_mutes]
        return out

    def summary_line(self) -> str:
        """One plain-text line: what a quiet digest says, and the headline of a full one."""
        if self.baseline:
            return (
                f"Baseline scan: {len(self.open)} open, {len(self.muted)} muted, "
                f"{len(self.not_evaluated)} not evaluated."
            )
        if self.quiet:
            return (
                f"No change since the last scan: {len(self.open)} still open, "
                f"{len(self.muted)} muted, {len(self.not_evaluated)} not evaluated."
            )
        return (
            f"{len(self.new)} new, {len(self.resolved)} resolved, {len(self.open)} still open, "
            f"{len(self.muted)} muted, {len(self.not_evaluated)} not evaluated."
        )

    def to_text(self) -> str:
        """A plain-text digest (the CLI and, until Block Kit, the Slack post)."""
        lines = [self.summary_line()]
        sections = (
            ("New", self.new, _line),
            ("Resolved", self.resolved, _line),
            ("Not evaluated", self.not_evaluated, _line_with_reason),
            ("No longer seen, not verified", self.unverified, _line),
        )
        for title, findings, show in sections:
            if findings:
                lines.append(f"{title}:")
                lines.extend(f"  {show(f)}" for f in findings)
        if self.lapsed_mutes:
            lines.append("Mutes that lapsed:")
            lines.extend(
                f"  #{m.id} {m.check_id} {m.resource_pattern or '*'} ({m.reason})"
                for m in self.lapsed_mutes
            )
        return "\n".join(lines)


def _line(finding: Finding) -> str:
    """One finding on one line: ids come from the accounts, and AWS allows CR/LF in some, which
    would otherwise forge lines (a "Resolved:" section) in the digest."""
    where = one_line(f"{finding.account_id}/{finding.region}")
    resource = one_line(finding.resource_id)
    return f"[{finding.severity.value}] {finding.check_id} {resource} ({where})"


def _line_with_reason(finding: Finding) -> str:
    """A check that could not run, with why (its ERROR message, redacted like every field)."""
    return f"{_line(finding)}: {one_line(finding.message)}"


def mute_to_dict(mute: StoredMute) -> dict[str, Any]:
    """A stored mute as JSON (``mute list --json`` and the digest's ``lapsed_mutes``)."""
    return {
        "id": mute.id,
        "check_id": mute.check_id,
        "resource_pattern": mute.resource_pattern,
        "accounts": list(mute.accounts),
        "regions": list(mute.regions),
        "reason": mute.reason,
        "author": mute.author,
        "created_at": _iso(mute.created_at),
        "expires_at": _iso(mute.expires_at),
    }


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def lapsed_since(mutes: Iterable[StoredMute], since: datetime | None, now: datetime) -> list:
    """Mutes that expired after ``since`` (the previous scan) and by ``now``: the digest says
    they lapsed, once, because the findings they hid are back."""
    return [
        m
        for m in mutes
        if m.expires_at is not None
        and m.expires_at <= now
        and (since is None or m.expires_at > since)
    ]
