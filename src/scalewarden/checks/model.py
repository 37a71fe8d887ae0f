"""The check and finding model: the contract between checks, the scan, storage and reports.

Everything here is plain data. A ``Check`` is metadata plus one pure function over an
``AccountInventory``; a ``Finding`` is what it says about one resource; a ``ScanReport`` is a
whole run. Reports, the store and Slack only ever see these records (or their ``to_dict()``
form), so the field names are public API and pinned by tests.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Literal

from scalewarden.aws.inventory import GLOBAL_REGION, AccountInventory, RegionInventory
from scalewarden.checks.lib.redact import redact


class Severity(StrEnum):
    """How bad a FAIL is. Ordered by ``rank`` (critical is highest)."""

    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFORMATIONAL = "informational"

    @property
    def rank(self) -> int:
        """Higher is worse; lets callers sort worst first and compare with ``--fail-on``."""
        return _SEVERITY_RANK[self]

    @classmethod
    def parse(cls, value: str) -> Severity:
        """Read a user-supplied severity (any case, ``info`` accepted); ValueError on junk."""
        text = (value or "").strip().lower()
        if text == "info":
            text = "informational"
        for member in cls:
            if member.value == text:
                return member
        valid = ", ".join(m.value for m in cls)
        raise ValueError(f"unknown severity {value!r}; expected one of: {valid}")

    def __str__(self) -> str:
        return self.value


_SEVERITY_RANK = {
    Severity.CRITICAL: 5,
    Severity.HIGH: 4,
    Severity.MEDIUM: 3,
    Severity.LOW: 2,
    Severity.INFORMATIONAL: 1,
}


class Status(StrEnum):
    """Outcome of a check for one resource. MUTED is a FAIL a mutelist rule accepted."""

    PASS = "PASS"
    FAIL = "FAIL"
    ERROR = "ERROR"
    MUTED = "MUTED"

    @classmethod
    def parse(cls, value: str) -> Status:
        text = (value or "").strip().upper()
        for member in cls:
            if member.value == text:
                return member
        raise ValueError(
            f"unknown status {value!r}; expected one of: {', '.join(m.value for m in cls)}"
        )

    def __str__(self) -> str:
        return self.value


Scope = Literal["account", "region"]


def fingerprint(check_id: str, account_id: str, region: str, raw_resource_id: str) -> str:
    """Stable identity of a finding across scans (digests diff scans on it).

    Only the identifying parts go in, joined by a separator that cannot occur in any of
    them, so that a changed message or severity never makes a finding look "new". The
    resource id goes in *as read*, before redaction: what the detector hides changes as it
    learns new shapes of secret, and an identity drawn from its output changed with it (a
    name it newly masked was a new finding, and its old self resolved, in the next digest).
    Two resources whose names differ only inside a secret stay two findings too.

    It is a keyed hash (``identity_digest``'s key), never a plain one: a plain hash of a name
    holding a weak secret would let the secret be guessed offline from a report. Nothing
    stored holds the raw id. Fingerprints of the earlier scheme (``legacy_fingerprint``) are
    carried over when scans are compared (``carry_over``).
    """
    parts = (_SCHEME, check_id, account_id, region, raw_resource_id)
    key = _FINGERPRINT_KEY.get()
    return hmac.new(
        key, "\x1f".join(parts).encode("utf-8", "surrogatepass"), hashlib.sha256
    ).hexdigest()


_SCHEME = "finding identity v2"


def legacy_fingerprint(
    check_id: str, account_id: str, region: str, resource_id: str, hidden: str = ""
) -> str:
    """The fingerprint scans stored before ``fingerprint``'s scheme had: a plain hash of the
    *redacted* id, with ``identity_digest`` of the raw id (``hidden``) when redaction changed
    it. Only ``carry_over`` uses it, to recognise those scans."""
    parts = (check_id, account_id, region, resource_id, *((hidden,) if hidden else ()))
    return hashlib.sha256("\x1f".join(parts).encode("utf-8", "surrogatepass")).hexdigest()


#: The key of ``identity_digest``. The default keeps fingerprints equal between
#: installations; ``SCALEWARDEN_FINGERPRINT_KEY`` (set per scan through ``fingerprint_key``)
#: makes the hash of a redacted name one that nobody without the key can test guesses on.
_DEFAULT_KEY = b"scalewarden finding identity v1"
_FINGERPRINT_KEY: ContextVar[bytes] = ContextVar("fingerprint_key", default=_DEFAULT_KEY)


@contextmanager
def fingerprint_key(key: bytes | None) -> Iterator[None]:
    """Findings built inside use ``key`` for ``identity_digest`` (``None``: the default)."""
    token = _FINGERPRINT_KEY.set(key or _DEFAULT_KEY)
    try:
        yield
    finally:
        _FINGERPRINT_KEY.reset(token)


def identity_digest(raw_resource_id: str) -> str:
    """HMAC-SHA256 of a resource id that held a secret, under the current fingerprint key."""
    key = _FINGERPRINT_KEY.get()
    return hmac.new(
        key, raw_resource_id.encode("utf-8", "surrogatepass"), hashlib.sha256
    ).hexdigest()


def map_strings(value: Any, change: Callable[[str], str]) -> Any:
    """``value`` with ``change`` applied to every string, in dicts (keys too) and lists
    alike (tuples become lists, as JSON has them); anything else as it is."""
    kind = type(value)
    if kind is str:
        return change(value)
    if kind in (int, float, bool) or value is None:
        return value
    if isinstance(value, str):
        return change(value)
    if isinstance(value, Mapping):
        return {map_strings(k, change): map_strings(v, change) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [map_strings(v, change) for v in value]
    return value


def redacted(value: Any) -> Any:
    """``value`` with secrets redacted in every string, in dicts (keys too) and lists alike."""
    return map_strings(value, redact)


#: The free-text fields of a finding; ``Finding`` redacts each one when it is built.
_TEXT_FIELDS = ("title", "account_name", "resource_id", "resource_arn", "message", "remediation")


@dataclass(frozen=True)
class Finding:
    """What one check says about one resource in one account and region.

    Redaction happens here, once, by construction: every text field (message, resource id and
    ARN, account name, title, remediation, and evidence at any depth) is passed through
    ``redact`` before anything can read it. Checks may show names as they are; no report,
    row or Slack message can receive a secret from a finding, whichever check built it.
    """

    check_id: str
    title: str
    severity: Severity
    status: Status
    account_id: str
    account_name: str | None
    region: str
    resource_id: str
    resource_arn: str | None
    message: str
    remediation: str
    kb_article: str
    compliance: Mapping[str, list[str]] = field(default_factory=dict, hash=False)
    evidence: Mapping[str, Any] = field(default_factory=dict, hash=False)
    fingerprint: str = ""

    def __post_init__(self) -> None:
        raw_id = str(self.resource_id)
        for name in _TEXT_FIELDS:
            value = getattr(self, name)
            if value:
                object.__setattr__(self, name, redact(str(value)))
        if self.evidence:
            object.__setattr__(self, "evidence", redacted(self.evidence))
        if not self.fingerprint:
            object.__setattr__(
                self,
                "fingerprint",
                fingerprint(self.check_id, self.account_id, self.region, raw_id),
            )

    def with_status(self, status: Status, message: str, evidence: Mapping[str, Any]) -> Finding:
        """A copy with a new status (used by the mutelist; identity is unchanged)."""
        return replace(self, status=status, message=message, evidence=dict(evidence))

    def to_dict(self) -> dict[str, Any]:
        return {
            "check_id": self.check_id,
            "title": self.title,
            "severity": self.severity.value,
            "status": self.status.value,
            "account_id": self.account_id,
            "account_name": self.account_name,
            "region": self.region,
            "resource_id": self.resource_id,
            "resource_arn": self.resource_arn,
            "message": self.message,
            "remediation": self.remediation,
            "kb_article": self.kb_article,
            "compliance": {k: list(v) for k, v in self.compliance.items()},
            "evidence": dict(self.evidence),
            "fingerprint": self.fingerprint,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Finding:
        return cls(
            check_id=str(data["check_id"]),
            title=str(data.get("title", "")),
            severity=Severity.parse(str(data["severity"])),
            status=Status.parse(str(data["status"])),
            account_id=str(data["account_id"]),
            account_name=data.get("account_name"),
            region=str(data["region"]),
            resource_id=str(data["resource_id"]),
            resource_arn=data.get("resource_arn"),
            message=str(data.get("message", "")),
            remediation=str(data.get("remediation", "")),
            kb_article=str(data.get("kb_article", "")),
            compliance={k: list(v) for k, v in (data.get("compliance") or {}).items()},
            evidence=dict(data.get("evidence") or {}),
            fingerprint=str(data.get("fingerprint") or ""),
        )


#: A check function. ``region`` is ``None`` for account-scoped checks.
CheckFunc = Callable[["Check", AccountInventory, RegionInventory | None], Iterable[Finding]]


@dataclass(frozen=True)
class Check:
    """One posture check: metadata side by side with the function that evaluates it."""

    id: str
    title: str
    topic: str
    severity: Severity
    description: str
    risk: str
    remediation: str
    remediation_snippet: str
    #: The knowledge-base section that explains this check (``article-id#anchor``, the
    #: heading's ``{#anchor}``): the remediation card shows it, and an answer from that section
    #: tells admins how their account fares on this check. A test holds every link to an
    #: existing section of the shipped articles.
    kb_section: str
    func: CheckFunc = field(compare=False, repr=False)
    #: The inventory sources (``Source`` values) its per-resource verdicts read: a whole one
    #: missing makes the scope an ERROR; one namespace of one missing leaves that namespace
    #: out (``checks.engine``). ``source:namespace`` requires just that namespace's part, and
    #: ``source:*`` every namespace's, whole (a role is "unused" only if no namespace uses it). A
    #: narrowed scan collects only these. (Not documentation links: those are
    #: ``kb_article``'s.)
    requires: tuple[str, ...] = ()
    #: Sources that only its scope-wide verdicts ("nothing found", "no endpoint") need in
    #: full: when one is missing, per-resource verdicts stand and the scope-wide PASS does not.
    absence_requires: tuple[str, ...] = ()
    scope: Scope = "region"
    compliance: Mapping[str, list[str]] = field(default_factory=dict, hash=False)

    @property
    def kb_article(self) -> str:
        """The article of :attr:`kb_section` (what findings and report formats carry)."""
        return self.kb_section.partition("#")[0]

    def finding(
        self,
        account: AccountInventory,
        region: str,
        status: Status,
        resource_id: str,
        message: str,
        *,
        resource_arn: str | None = None,
        evidence: Mapping[str, Any] | None = None,
    ) -> Finding:
        """Build a finding carrying this check's metadata (so check bodies stay short)."""
        return Finding(
            check_id=self.id,
            title=self.title,
            severity=self.severity,
            status=status,
            account_id=account.account_id,
            account_name=account.account_name,
            region=region,
            resource_id=resource_id,
            resource_arn=resource_arn,
            message=message,
            remediation=self.remediation,
            kb_article=self.kb_article,
            compliance={k: list(v) for k, v in self.compliance.items()},
            evidence=dict(evidence or {}),
        )

    def pass_when_empty(
        self, findings: list[Finding], account: AccountInventory, message: str
    ) -> list[Finding]:
        """``findings``, or else one account-wide PASS whose message says why none were due."""
        return findings or [
            self.finding(account, GLOBAL_REGION, Status.PASS, account.account_id, message)
        ]

    def to_dict(self) -> dict[str, Any]:
        """Catalogue entry (``scalewarden checks --json``); the function is not data."""
        return {
            "id": self.id,
            "title": self.title,
            "topic": self.topic,
            "severity": self.severity.value,
            "scope": self.scope,
            "description": self.description,
            "risk": self.risk,
            "remediation": self.remediation,
            "remediation_snippet": self.remediation_snippet,
            "kb_article": self.kb_article,
            "kb_section": self.kb_section,
            "compliance": {k: list(v) for k, v in self.compliance.items()},
            # Published as "sources" since the first release; kept for existing consumers.
            "sources": list(self.requires),
            "absence_sources": list(self.absence_requires),
        }


def _iso(value: datetime) -> str:
    if value.tzinfo is None:
        raise ValueError("scan times must be timezone-aware (UTC)")
    return value.astimezone(UTC).isoformat()


def _parse_time(value: str | datetime) -> datetime:
    if isinstance(value, datetime):
        parsed = value
    else:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


@dataclass
class ScanReport:
    """A whole scan run: scope, timing, findings and what could not be seen."""

    scan_id: str
    started_at: datetime
    finished_at: datetime
    accounts: list[dict[str, Any]] = field(default_factory=list)
    regions: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    #: What could not be seen: ``{"account_id", "region", "source", "reason"}``.
    coverage: list[dict[str, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        # Account names and failure reasons come from the scanned accounts too (an access
        # denied message quotes the role's name): redacted here, as findings are.
        self.accounts = redacted(self.accounts)
        self.coverage = redacted(self.coverage)

    @property
    def summary(self) -> dict[str, Any]:
        """Counts by status, FAIL counts by severity, and how many checks ran."""
        by_status = {s.value: 0 for s in Status}
        fail_by_severity = {s.value: 0 for s in Severity}
        for f in self.findings:
            by_status[f.status.value] += 1
            if f.status is Status.FAIL:
                fail_by_severity[f.severity.value] += 1
        return {
            "total": len(self.findings),
            "by_status": by_status,
            "fail_by_severity": fail_by_severity,
            "checks_run": len({f.check_id for f in self.findings}),
        }

    def worst_fail(self) -> Severity | None:
        """The highest severity among FAIL findings (for ``--fail-on``), or ``None``."""
        fails = [f.severity for f in self.findings if f.status is Status.FAIL]
        return max(fails, key=lambda s: s.rank) if fails else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "scan_id": self.scan_id,
            "started_at": _iso(self.started_at),
            "finished_at": _iso(self.finished_at),
            "accounts": [dict(a) for a in self.accounts],
            "regions": list(self.regions),
            "summary": self.summary,
            "findings": [f.to_dict() for f in self.findings],
            "coverage": [dict(c) for c in self.coverage],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ScanReport:
        return cls(
            scan_id=str(data["scan_id"]),
            started_at=_parse_time(data["started_at"]),
            finished_at=_parse_time(data["finished_at"]),
            accounts=[dict(a) for a in data.get("accounts") or []],
            regions=[str(r) for r in data.get("regions") or []],
            findings=[Finding.from_dict(f) for f in data.get("findings") or []],
            coverage=[dict(c) for c in data.get("coverage") or []],
        )


def sort_findings(findings: Sequence[Finding]) -> list[Finding]:
    """Worst first: FAIL before ERROR before MUTED before PASS, then severity, then place."""
    status_order = {Status.FAIL: 0, Status.ERROR: 1, Status.MUTED: 2, Status.PASS: 3}
    return sorted(
        findings,
        key=lambda f: (
            status_order[f.status],
            -f.severity.rank,
            f.check_id,
            f.account_id,
            f.region,
            f.resource_id,
        ),
    )
