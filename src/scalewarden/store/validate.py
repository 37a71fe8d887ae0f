"""Input checks for the store, as pure functions.

The store refuses bad input *before* it opens a transaction, with a message that names the
offending field, so that a caller's mistake never leaves half a scan behind and never surfaces
as a database traceback. Lengths are checked here because SQLite ignores ``VARCHAR(n)`` while
PostgreSQL enforces it: both backends must accept and refuse the same things.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from scalewarden.store.models import ID_LENGTH, NAME_LENGTH, SHORT_LENGTH

#: Worst first. The rank (4 = critical … 0 = informational) is what SQL sorts and filters on.
SEVERITIES: tuple[str, ...] = ("critical", "high", "medium", "low", "informational")
SEVERITY_RANK: dict[str, int] = {name: len(SEVERITIES) - 1 - i for i, name in enumerate(SEVERITIES)}
STATUSES: tuple[str, ...] = ("PASS", "FAIL", "ERROR", "MUTED")
VOTES: tuple[str, ...] = ("up", "down")
MAX_LIMIT = 10_000


def text(name: str, value: object, *, max_length: int | None = None) -> str:
    """A required, non-blank string of at most ``max_length`` characters."""
    if not isinstance(value, str):
        raise ValueError(f"{name} must be a string, got {type(value).__name__}")
    if not value.strip():
        raise ValueError(f"{name} must not be empty")
    if max_length is not None and len(value) > max_length:
        raise ValueError(f"{name} is too long ({len(value)} characters, at most {max_length})")
    if "\x00" in value:
        # PostgreSQL cannot store NUL in text; refuse it on every backend alike.
        raise ValueError(f"{name} must not contain NUL characters")
    return value


def optional_text(name: str, value: object, *, max_length: int | None = None) -> str | None:
    """Like :func:`text`, but ``None`` is allowed (and an empty string is kept as is)."""
    if value is None:
        return None
    if isinstance(value, str) and value == "":
        return value
    return text(name, value, max_length=max_length)


#: Spellings people type for a severity (``findings info``), as the CLI accepts them too.
SEVERITY_ALIASES = {"info": "informational"}


def severity(value: object, *, name: str = "severity") -> str:
    """A known severity name, case-insensitive (``info`` accepted); returned in lower case."""
    if isinstance(value, str):
        key = value.strip().lower()
        key = SEVERITY_ALIASES.get(key, key)
        if key in SEVERITY_RANK:
            return key
    expected = ", ".join(SEVERITIES)
    raise ValueError(f"{name}: unknown severity {value!r} (expected one of {expected})")


def statuses(values: object) -> tuple[str, ...]:
    """A tuple of known finding statuses, case-insensitive; returned in upper case."""
    if isinstance(values, str) or not isinstance(values, Sequence):
        raise ValueError("statuses must be a tuple of status names, e.g. ('FAIL', 'ERROR')")
    result = []
    for value in values:
        if not isinstance(value, str) or value.strip().upper() not in STATUSES:
            raise ValueError(f"unknown status {value!r} (expected one of {', '.join(STATUSES)})")
        result.append(value.strip().upper())
    return tuple(result)


def vote(value: object) -> str:
    """``"up"`` or ``"down"``: the only two answers a feedback button can give."""
    if value not in VOTES:
        raise ValueError(f"vote must be 'up' or 'down', got {value!r}")
    return str(value)


def limit(value: object) -> int:
    """A positive page size, bounded so that one call cannot read a whole table into memory."""
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_LIMIT:
        raise ValueError(f"limit must be an integer between 1 and {MAX_LIMIT}, got {value!r}")
    return value


#: The largest id an ``Integer`` primary key holds (PostgreSQL's ``integer``); a larger one
#: names no row, and the drivers would fail on it (SQLite overflows past 2**63).
MAX_ROW_ID = 2**31 - 1


def row_id(value: object, *, name: str = "id") -> int:
    """A positive integer row id (subscriptions, deliveries, mutes)."""
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_ROW_ID:
        shown = repr(value) if len(repr(value)) <= 40 else repr(value)[:40] + "…"
        raise ValueError(f"{name} must be a positive integer up to {MAX_ROW_ID}, got {shown}")
    return value


def names(name: str, value: object, *, max_length: int = NAME_LENGTH) -> list[str]:
    """A list of short identifiers (check ids, region names, account ids)."""
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise ValueError(f"{name} must be a list of strings")
    return [text(f"{name}[{i}]", item, max_length=max_length) for i, item in enumerate(value)]


def article_ids(value: object) -> list[str]:
    """A list of knowledge base article ids (strings)."""
    return names("article_ids", value, max_length=ID_LENGTH)


def timestamp(name: str, value: object) -> datetime:
    """An ISO 8601 string or a datetime, as aware UTC. A naive time is taken to be UTC,
    which is what the scan report contract writes."""
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            raise ValueError(f"{name} is not an ISO 8601 timestamp: {value!r}") from None
    else:
        raise ValueError(f"{name} must be an ISO 8601 timestamp, got {type(value).__name__}")
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def json_document(name: str, value: object) -> Any:
    """``value`` normalised to plain JSON (tuples become lists, datetimes ISO strings).

    Normalising before storing is what makes a stored report read back equal to the JSON that
    ``scalewarden scan --format json`` prints, on both backends.
    """

    def default(obj: object) -> str:
        if isinstance(obj, datetime):
            return obj.isoformat()
        raise TypeError(f"{type(obj).__name__} is not JSON serialisable")

    try:
        encoded = json.dumps(value, default=default, allow_nan=False, ensure_ascii=False)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} is not valid JSON: {exc}") from None
    return json.loads(encoded)


@dataclass(frozen=True, slots=True)
class FindingRow:
    """The indexed columns of one finding, plus the finding itself."""

    position: int
    fingerprint: str
    check_id: str
    severity: str
    severity_rank: int
    status: str
    account_id: str | None
    region: str | None
    resource_id: str | None
    payload: dict[str, Any]


@dataclass(frozen=True, slots=True)
class ParsedReport:
    """A scan report checked and split into what the ``scans`` and ``findings`` rows need."""

    scan_id: str
    started_at: datetime
    finished_at: datetime | None
    metadata: dict[str, Any]
    findings: list[FindingRow]


def _optional_column(name: str, value: object, max_length: int) -> str | None:
    if value is None or value == "":
        return None
    return text(name, value, max_length=max_length)


def finding(index: int, value: object) -> FindingRow:
    """One finding of a report (already normalised to JSON), checked field by field."""
    where = f"findings[{index}]"
    if not isinstance(value, dict):
        raise ValueError(f"{where} must be an object, got {type(value).__name__}")
    sev = severity(value.get("severity"), name=f"{where}.severity")
    status = value.get("status")
    if status not in STATUSES:
        raise ValueError(
            f"{where}.status: unknown status {status!r} (expected one of {', '.join(STATUSES)})"
        )
    return FindingRow(
        position=index,
        fingerprint=text(f"{where}.fingerprint", value.get("fingerprint"), max_length=ID_LENGTH),
        check_id=text(f"{where}.check_id", value.get("check_id"), max_length=NAME_LENGTH),
        severity=sev,
        severity_rank=SEVERITY_RANK[sev],
        status=str(status),
        account_id=_optional_column(f"{where}.account_id", value.get("account_id"), SHORT_LENGTH),
        region=_optional_column(f"{where}.region", value.get("region"), SHORT_LENGTH),
        resource_id=_optional_column(f"{where}.resource_id", value.get("resource_id"), 10_000),
        payload=value,
    )


def scan_report(report: object) -> ParsedReport:
    """The JSON scan report contract, checked; raises ``ValueError`` naming the first problem."""
    if not isinstance(report, Mapping):
        raise ValueError(f"scan report must be a JSON object, got {type(report).__name__}")
    for key in ("scan_id", "started_at", "findings"):
        if key not in report:
            raise ValueError(f"scan report is missing {key!r}")
    document = json_document("scan report", dict(report))
    scan_id = text("scan_id", document["scan_id"], max_length=ID_LENGTH)
    findings = document["findings"]
    if not isinstance(findings, list):
        raise ValueError(f"findings must be a list, got {type(findings).__name__}")
    rows = [finding(i, item) for i, item in enumerate(findings)]
    started_at = timestamp("started_at", document["started_at"])
    finished = document.get("finished_at")
    finished_at = None if finished is None else timestamp("finished_at", finished)
    metadata = {key: val for key, val in document.items() if key != "findings"}
    return ParsedReport(
        scan_id=scan_id,
        started_at=started_at,
        finished_at=finished_at,
        metadata=metadata,
        findings=rows,
    )
