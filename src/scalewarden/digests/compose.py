"""What a digest message says, decided apart from how Slack draws it.

``compose(result)`` turns a :class:`~scalewarden.digests.result.DigestResult` into a
:class:`DigestOutline`: the headline, failing counts by severity, the new findings worst first,
what was resolved, how many are still open or muted, the mutes that lapsed and the checks that
could not run (one line per check, with its reason). The Slack view
(``slack/views/digest.py``) only lays the outline out within Block Kit's limits; a test can
read the outline without any Block Kit.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from scalewarden.checks.model import Finding, Severity
from scalewarden.digests.result import DigestResult
from scalewarden.store.records import StoredMute


@dataclass(frozen=True)
class UncheckedCheck:
    """A check that reported ERROR somewhere in the scan: where, how often, and why."""

    check_id: str
    title: str
    places: int
    reason: str


@dataclass(frozen=True)
class DigestOutline:
    """A digest, decided: ``quiet`` digests are ``headline`` alone."""

    headline: str
    #: The plain-text digest (``DigestResult.to_text``): the message's fallback text.
    summary: str
    quiet: bool
    baseline: bool
    failing_by_severity: dict[Severity, int] = field(default_factory=dict)
    new: list[Finding] = field(default_factory=list)
    resolved: list[Finding] = field(default_factory=list)
    open_count: int = 0
    muted_count: int = 0
    unverified_count: int = 0
    lapsed_mutes: list[StoredMute] = field(default_factory=list)
    unchecked: list[UncheckedCheck] = field(default_factory=list)

    @property
    def findings_shown(self) -> list[Finding]:
        """The findings the message lists one by one (new first, then resolved)."""
        return [*self.new, *self.resolved]


def _headline(result: DigestResult) -> str:
    if result.baseline:
        return (
            f"Baseline: the first scan of this scope found {len(result.open)} open "
            f"finding(s). Later digests say what changed since."
        )
    if result.quiet:
        unchecked = (
            f", {len(result.not_evaluated)} could not be checked" if result.not_evaluated else ""
        )
        return (
            f"No change since the last scan: {len(result.open)} still open, "
            f"{len(result.muted)} muted{unchecked}."
        )
    return f"{len(result.new)} new, {len(result.resolved)} resolved since the last scan."


def _unchecked(findings: list[Finding]) -> list[UncheckedCheck]:
    by_check: dict[str, list[Finding]] = {}
    for finding in findings:
        by_check.setdefault(finding.check_id, []).append(finding)
    return [
        UncheckedCheck(check_id, group[0].title, len(group), group[0].message)
        for check_id, group in sorted(by_check.items())
    ]


def compose(result: DigestResult) -> DigestOutline:
    """The outline of ``result``'s message. Pure."""
    failing = [*result.new, *result.open]
    counts = {s: 0 for s in Severity}
    for finding in failing:
        counts[finding.severity] += 1
    # A baseline lists nothing as new: its findings are the open count, not news.
    return DigestOutline(
        headline=_headline(result),
        summary=result.to_text(),
        quiet=result.quiet,
        baseline=result.baseline,
        failing_by_severity={s: n for s, n in counts.items() if n},
        new=list(result.new),
        resolved=list(result.resolved),
        open_count=len(result.open),
        muted_count=len(result.muted),
        unverified_count=len(result.unverified),
        lapsed_mutes=list(result.lapsed_mutes),
        unchecked=_unchecked(result.not_evaluated),
    )
