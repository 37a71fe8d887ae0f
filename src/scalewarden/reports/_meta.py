"""Shared helpers for formatters: the one text sanitiser, check metadata lookup and ARN
parsing.

Findings carry what every format needs except the check's description and risk, which live
in the catalogue. Reports loaded from storage may name checks that no longer exist, so the
lookup falls back to the finding's own text instead of failing.

Text read from a scanned account is hostile in every format: :func:`one_line` is what each
one shows of it (the table and Markdown per cell, CSV and HTML per value, the JSON formats
per string through :func:`sanitised`).
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from scalewarden.checks.model import Finding, map_strings

#: What an invisible format character prints as (bidirectional embeddings, overrides, isolates
#: and marks; zero-width spaces and joiners, word joiners, soft hyphens, tag characters):
#: visible, since its presence in a name is itself a finding. ``evil\u202etxt.exe`` would
#: print as ``evilexe.txt``, and ``adm\u200bin`` as ``admin``.
_SHOWN_INVISIBLE = "\ufffd"


def one_line(value: str) -> str:
    """Text on one line with no control or invisible format characters.

    C0 and C1 controls (category Cc: CR, LF, TAB, ESC, BEL, CSI …) become spaces, and runs of
    whitespace (line and paragraph separators included) one space: a newline in a resource id
    would add rows that look like a table's or a CSV's own, and an escape could move a
    terminal's cursor or retitle it. Format characters (category Cf: bidirectional controls,
    zero-width and tag characters) print as U+FFFD: they would make a name read as another.
    Linear in the text; ASCII text without controls takes the fast path.
    """
    if not (value.isascii() and value.isprintable()):
        value = "".join(_shown(c) for c in value)
    return " ".join(value.split())


def _shown(c: str) -> str:
    category = unicodedata.category(c)
    return " " if category == "Cc" else _SHOWN_INVISIBLE if category == "Cf" else c


def sanitised(value: Any) -> Any:
    """``value`` with every string in it (mapping keys included) passed through
    :func:`one_line`: what the JSON formats write, whose strings a reader's terminal,
    spreadsheet or console will show."""
    return map_strings(value, one_line)


@dataclass(frozen=True)
class CheckText:
    description: str
    risk: str
    topic: str
    remediation_snippet: str


def check_text(finding: Finding) -> CheckText:
    from scalewarden.checks.registry import get_check

    try:
        check = get_check(finding.check_id)
    except KeyError:
        return CheckText(finding.title, "", "", "")
    return CheckText(check.description, check.risk, check.topic, check.remediation_snippet)


def arn_partition(arn: str | None) -> str:
    if arn and arn.startswith("arn:"):
        parts = arn.split(":")
        if len(parts) > 1 and parts[1]:
            return parts[1]
    return "aws"


def resource_type(finding: Finding) -> str:
    """The Security Hub resource type name for a finding's resource (``Other`` if unsure)."""
    arn = finding.resource_arn or ""
    parts = arn.split(":", 5)
    if len(parts) == 6:
        service, rest = parts[2], parts[5]
        if service == "iam":
            if "#inline-policy/" in finding.resource_id:
                return "AwsIamPolicy"
            for prefix, kind in (
                ("policy/", "AwsIamPolicy"),
                ("role/", "AwsIamRole"),
                ("user/", "AwsIamUser"),
                ("group/", "AwsIamGroup"),
            ):
                if rest.startswith(prefix):
                    return kind
        if service == "dynamodb" and rest.startswith("table/"):
            return "AwsDynamoDbTable"
        if service == "cloudtrail" and rest.startswith("trail/"):
            return "AwsCloudTrailTrail"
    if finding.resource_id == finding.account_id:
        return "AwsAccount"
    return "Other"


def json_array_lines(items: Iterable[Any]) -> str:
    """A JSON array with one compact object per line, its strings :func:`sanitised`.

    Still one JSON document (what Security Hub tooling and OCSF loaders read), but written by
    the C encoder: pretty-printing with ``indent`` falls back to the pure-Python encoder and
    is several times slower on scans with thousands of findings.
    """
    lines = [json.dumps(sanitised(item), default=str, ensure_ascii=False) for item in items]
    if not lines:
        return "[]\n"
    return "[\n" + ",\n".join(lines) + "\n]\n"


@lru_cache(maxsize=128)
def explanation_url(article_id: str) -> str | None:
    """The first official page the knowledge-base article cites, or ``None``."""
    from scalewarden.knowledge.corpus import split_front_matter
    from scalewarden.settings import get_settings

    folder = get_settings().knowledge_path
    if not article_id or "/" in article_id or article_id.startswith("."):
        return None
    try:
        text = (folder / f"{article_id}.md").read_text(encoding="utf-8")
        meta, _ = split_front_matter(text, article_id)
    except (OSError, ValueError):
        return None
    sources = (meta or {}).get("sources") or []
    first = str(sources[0]) if sources else ""
    return first if first.startswith("https://") else None


def compliance_text(finding: Finding) -> str:
    """``CIS-7.0: 4.1 | 4.2; NIST-800-53-Revision-5: AU-2`` (frameworks in key order)."""
    return "; ".join(f"{key}: {' | '.join(ids)}" for key, ids in sorted(finding.compliance.items()))
