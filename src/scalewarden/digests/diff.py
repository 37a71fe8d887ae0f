"""What changed between two stored scans of one scope: a pure function over plain data.

Findings are matched by ``fingerprint`` (check, account, region, resource). The later scan's
findings fall into:

* **new**: FAIL now, and neither FAIL nor MUTED before;
* **open**: FAIL now and FAIL or MUTED before (a lapsed mute shows up here, not as new);
* **muted**: MUTED now;
* **not evaluated**: ERROR now (the check could not read its data there).

And the earlier scan's open findings (FAIL or MUTED) that are gone now are either

* **resolved**: the later scan covered the finding's account, region and check, and that
  check ran there without ERROR (or the finding itself now says PASS); or
* **unverified**: the later scan could not tell (a narrower scope, an unreachable account, a
  region or check that errored). These are never called resolved: silence from a scan that
  did not look is not a fix.

The first scan of a scope has nothing to compare with: it is a **baseline**, and no finding
is called new.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from scalewarden.aws.inventory import GLOBAL_REGION
from scalewarden.checks.lib.redact import MASK_PATTERN
from scalewarden.checks.model import Finding, Status, fingerprint, legacy_fingerprint
from scalewarden.store.records import StoredScan

_OPEN = (Status.FAIL, Status.MUTED)


@dataclass(frozen=True)
class ScanDiff:
    """The change from ``old_scan_id`` to ``scan_id``; every list is worst first."""

    scan_id: str
    old_scan_id: str | None
    baseline: bool
    new: list[Finding] = field(default_factory=list)
    resolved: list[Finding] = field(default_factory=list)
    open: list[Finding] = field(default_factory=list)
    muted: list[Finding] = field(default_factory=list)
    not_evaluated: list[Finding] = field(default_factory=list)
    unverified: list[Finding] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        """Whether anything is new or resolved (a quiet digest is one short line)."""
        return bool(self.new or self.resolved)


def _worst_first(findings: Iterable[Finding]) -> list[Finding]:
    return sorted(
        findings,
        key=lambda f: (-f.severity.rank, f.check_id, f.account_id, f.region, f.resource_id),
    )


def account_regions(report: Mapping[str, Any]) -> dict[str, frozenset[str]]:
    """Account id → the regions the scan read there (older reports list bare account ids
    and one region list for all)."""
    shared = frozenset(str(r) for r in report.get("regions") or [])
    out: dict[str, frozenset[str]] = {}
    for entry in report.get("accounts") or []:
        if isinstance(entry, Mapping):
            regions = entry.get("regions")
            out[str(entry.get("id"))] = (
                frozenset(str(r) for r in regions) if regions is not None else shared
            )
        else:
            out[str(entry)] = shared
    return out


@dataclass(frozen=True)
class Coverage:
    """What a scan looked at, and where each check could not run."""

    checks: frozenset[str]
    regions: Mapping[str, frozenset[str]]
    errored: frozenset[tuple[str, str, str]]
    passed: frozenset[str]

    @classmethod
    def of(cls, scan: StoredScan, findings: Sequence[Finding]) -> Coverage:
        # A scan stored before its checks were recorded: the checks that said anything ran.
        checks = scan.checks if scan.checks is not None else {f.check_id for f in findings}
        return cls(
            checks=frozenset(checks),
            regions=account_regions(scan.report),
            errored=frozenset(
                (f.check_id, f.account_id, f.region) for f in findings if f.status is Status.ERROR
            ),
            passed=frozenset(f.fingerprint for f in findings if f.status is Status.PASS),
        )

    def decides(self, finding: Finding, before: Mapping[str, frozenset[str]]) -> bool:
        """Whether this scan can say that ``finding`` (from an earlier scan) is gone."""
        if finding.fingerprint in self.passed:
            return True  # the check looked at this very resource and passed it
        if finding.check_id not in self.checks:
            return False
        regions = self.regions.get(finding.account_id)
        if regions is None:
            return False
        if finding.region == GLOBAL_REGION:
            # An account-wide verdict drawn from fewer regions than before proves nothing.
            if not before.get(finding.account_id, frozenset()) <= regions:
                return False
        elif finding.region not in regions:
            return False
        return not (
            (finding.check_id, finding.account_id, finding.region) in self.errored
            or (finding.check_id, finding.account_id, GLOBAL_REGION) in self.errored
        )


def _findings(scan: StoredScan) -> list[Finding]:
    return [Finding.from_dict(f) for f in scan.report.get("findings") or []]


def _shown(finding: Finding) -> tuple[str, str, str, str]:
    return (finding.check_id, finding.account_id, finding.region, finding.resource_id)


def _of_the_earlier_scheme(findings: Sequence[Finding]) -> bool:
    """Whether any unmasked finding carries ``legacy_fingerprint`` (then they all do)."""
    return any(
        not MASK_PATTERN.search(f.resource_id) and f.fingerprint == legacy_fingerprint(*_shown(f))
        for f in findings
    )


def carry_over(old: Sequence[Finding], now: Sequence[Finding]) -> list[Finding]:
    """``old``'s findings under the fingerprints ``now``'s scheme gives them.

    Scans stored before fingerprints hashed the raw resource id (``legacy_fingerprint``)
    would otherwise share no fingerprint with a later scan: every finding new, every old one
    resolved. Their findings are re-keyed from what was stored, which never holds a secret:

    * a resource id shown without a mask *is* the raw id, so its fingerprint is computed
      afresh (once the stored one is confirmed to be of the old scheme);
    * a masked id cannot be: it takes the fingerprint of the later scan's one finding shown
      with the same check, account, region and id, when each scan has exactly one such.
      Resources whose names differ only inside a secret stay unmatched (new and resolved
      once), rather than one taking the other's place.
    """
    if _of_the_earlier_scheme(now):
        return list(old)  # two scans stored before the scheme changed: alike already
    current = {f.fingerprint for f in now}
    if not _of_the_earlier_scheme(old) and (not old or any(f.fingerprint in current for f in old)):
        return list(old)  # already of the current scheme
    shown_now = Counter(_shown(f) for f in now)
    shown_before = Counter(_shown(f) for f in old)
    by_shown = {_shown(f): f.fingerprint for f in now if shown_now[_shown(f)] == 1}
    out: list[Finding] = []
    for finding in old:
        key = _shown(finding)
        if finding.fingerprint in current:
            out.append(finding)
        elif not MASK_PATTERN.search(finding.resource_id):
            if finding.fingerprint == legacy_fingerprint(*key):
                finding = replace(finding, fingerprint=fingerprint(*key))
            out.append(finding)
        elif shown_before[key] == 1 and key in by_shown:
            out.append(replace(finding, fingerprint=by_shown[key]))
        else:
            out.append(finding)
    return out


def diff_scans(old: StoredScan | None, new: StoredScan) -> ScanDiff:
    """The diff from ``old`` (the previous scan of the scope, or None) to ``new``."""
    now = _findings(new)
    by_status: dict[Status, list[Finding]] = {s: [] for s in Status}
    for finding in now:
        by_status[finding.status].append(finding)
    muted = _worst_first(by_status[Status.MUTED])
    not_evaluated = _worst_first(by_status[Status.ERROR])
    # A list, not a map by fingerprint: findings that share one (names that differ only in a
    # redacted secret) are each listed, so counts agree with the scan's own summary.
    failing = by_status[Status.FAIL]
    if old is None:
        return ScanDiff(
            scan_id=new.scan_id,
            old_scan_id=None,
            baseline=True,
            open=_worst_first(failing),
            muted=muted,
            not_evaluated=not_evaluated,
        )
    before = {f.fingerprint: f for f in carry_over(_findings(old), now) if f.status in _OPEN}
    still = {f.fingerprint for f in now if f.status in _OPEN}
    coverage = Coverage.of(new, now)
    regions_before = account_regions(old.report)
    gone = [f for fp, f in before.items() if fp not in still]
    return ScanDiff(
        scan_id=new.scan_id,
        old_scan_id=old.scan_id,
        baseline=False,
        new=_worst_first(f for f in failing if f.fingerprint not in before),
        open=_worst_first(f for f in failing if f.fingerprint in before),
        muted=muted,
        not_evaluated=not_evaluated,
        resolved=_worst_first(f for f in gone if coverage.decides(f, regions_before)),
        unverified=_worst_first(f for f in gone if not coverage.decides(f, regions_before)),
    )
