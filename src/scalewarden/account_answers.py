"""Answers that know the account: how the last stored scan fares on what was just explained.

Pure: no I/O, no clock (``now`` is passed in), no Slack client. The Slack edge
(``slack/listeners/replies.py``) reads the store and decides who is asking; this module says

* which checks an answered section explains (:func:`linked_checks`: each check links to one
  section, ``Check.kb_section``, as data beside the check);
* what the newest stored scan that ran them says about them (:func:`account_note`), honestly:
  a FAIL seen is reported with the worst resource, a scan that could not judge says so,
  "nothing fails" only when the checks ran and neither failed nor erred, and with no stored
  scan (or none that ran these checks) nothing about the account is claimed;
* the one line an admin reads (:func:`note_text`) and the one a non-admin reads
  (:func:`non_admin_text`, never anything from a scan).

Resource names come from a scanned account and are hostile: they are shown redacted, without
control characters, bounded in length and inside a code span that nothing can close early.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from scalewarden.checks.model import Check, Severity
from scalewarden.slack.commands import SLASH_COMMAND
from scalewarden.slack.redact import redact_resource
from scalewarden.slack.usertext import code
from scalewarden.store.records import CheckFindings

#: A scan older than this is called out as possibly out of date (digests run daily).
STALE_AFTER = timedelta(hours=24)
#: The longest resource name the line shows (the middle of a longer one is cut).
MAX_RESOURCE_CHARS = 80


class Standing(StrEnum):
    """What the newest stored scan lets us say about the linked checks."""

    FAILING = "failing"  # at least one FAIL
    UNJUDGED = "unjudged"  # no FAIL, but the scan could not judge some (ERROR)
    CLEAR = "clear"  # every one of the checks ran: no FAIL, no ERROR
    NOT_IN_SCAN = "not_in_scan"  # the newest scan did not run (all of) these checks
    NO_SCAN = "no_scan"  # nothing stored


@dataclass(frozen=True)
class AccountNote:
    """The facts behind the line: which checks, their standing, the worst FAIL, the age."""

    check_ids: tuple[str, ...]
    standing: Standing
    scan_id: str | None = None
    age: timedelta | None = None
    failing: int = 0
    errors: int = 0
    worst_resource: str | None = None
    worst_severity: Severity | None = None

    @property
    def stale(self) -> bool:
        return self.age is not None and self.age > STALE_AFTER


def linked_checks(checks: Iterable[Check], section_id: str) -> tuple[Check, ...]:
    """The checks whose explanation is ``section_id`` (catalogue order)."""
    if not section_id:
        return ()
    return tuple(check for check in checks if check.kb_section == section_id)


def account_note(
    check_ids: Sequence[str], scan: CheckFindings | None, *, now: datetime
) -> AccountNote:
    """What ``scan`` (the newest stored, or ``None``) says about ``check_ids``."""
    ids = tuple(check_ids)
    if scan is None:
        return AccountNote(ids, Standing.NO_SCAN)
    age = max(now - scan.scanned_at, timedelta(0))
    failing = int(scan.counts.get("FAIL", 0))
    errors = int(scan.counts.get("ERROR", 0))
    if failing and scan.failing:
        worst: Mapping[str, object] = scan.failing[0]
        return AccountNote(
            ids,
            Standing.FAILING,
            scan.scan_id,
            age,
            failing,
            errors,
            str(worst.get("resource_id") or ""),
            Severity.parse(str(worst.get("severity") or "info")),
        )
    if errors:
        return AccountNote(ids, Standing.UNJUDGED, scan.scan_id, age, 0, errors)
    if scan.checks is not None:
        ran_them_all = set(ids) <= set(scan.checks)
    else:
        # Stored before the checks run were recorded: a check that ran reports something (a
        # PASS at least), but which of several did is unknown, so only a lone check counts.
        ran_them_all = len(ids) == 1 and any(scan.counts.values())
    if not ran_them_all:
        return AccountNote(ids, Standing.NOT_IN_SCAN, scan.scan_id, age)
    return AccountNote(ids, Standing.CLEAR, scan.scan_id, age)


def age_text(age: timedelta) -> str:
    """``just now``, ``12 min ago``, ``5 h ago``, ``3 days ago``."""
    minutes = int(age.total_seconds() // 60)
    if minutes < 1:
        return "just now"
    if minutes < 60:
        return f"{minutes} min ago"
    hours = minutes // 60
    if hours < 48:
        return f"{hours} h ago"
    return f"{hours // 24} days ago"


def resource_code(text: str) -> str:
    """A hostile resource name as an inline code span: secrets masked and length bounded
    first, then made inert by the one code-span rule (``usertext.code``)."""
    return code(redact_resource(text, max_length=MAX_RESOURCE_CHARS), empty="`(unnamed)`")


def scan_command(check_ids: Sequence[str]) -> str:
    """The slash command that scans exactly these checks, as inline code."""
    return f"`{SLASH_COMMAND} scan {' '.join(check_ids)}`"


def note_text(note: AccountNote) -> str:
    """The admin's line (mrkdwn). With no stored scan it claims nothing about the account."""
    command = scan_command(note.check_ids)
    if note.standing is Standing.NO_SCAN or note.age is None:
        return f"No scan of your account is stored yet: {command} checks this."
    scanned = f"scanned {age_text(note.age)}"
    if note.standing is Standing.FAILING:
        severity = note.worst_severity.value if note.worst_severity else "unknown"
        resource = resource_code(note.worst_resource or "")
        if note.failing == 1:
            line = f"In your account: 1 resource fails this, {resource} ({severity}), {scanned}."
        else:
            line = (
                f"In your account: {note.failing} resources fail this, the worst being "
                f"{resource} ({severity}), {scanned}."
            )
    elif note.standing is Standing.UNJUDGED:
        count = "1 resource" if note.errors == 1 else f"{note.errors} resources"
        line = f"In your account: the last scan could not check this for {count}, {scanned}."
    elif note.standing is Standing.CLEAR:
        line = f"In your account: nothing failed this in the last scan, {scanned}."
    else:
        return f"The last stored scan ({scanned}) did not run this check: {command} does."
    if note.stale:
        line += f" That scan may be out of date: {command} checks again."
    return line


def non_admin_text(check_ids: Sequence[str]) -> str:
    """What a non-admin reads instead: how to get the answer, never a finding."""
    return f"Admins can check this with {scan_command(check_ids)}."
