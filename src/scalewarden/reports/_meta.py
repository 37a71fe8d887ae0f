"""Shared helpers for formatters: check metadata lookup and ARN parsing.

Findings carry what every format needs except the check's description and risk, which live
in the catalogue. Reports loaded from storage may name checks that no longer exist, so the
lookup falls back to the finding's own text instead of failing.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from scalewarden.checks.model import Finding


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
    """A JSON array with one compact object per line.

    Still one JSON document (what Security Hub tooling and OCSF loaders read), but written by
    the C encoder: pretty-printing with ``indent`` falls back to the pure-Python encoder and
    is several times slower on scans with thousands of findings.
    """
    lines = [json.dumps(item, default=str, ensure_ascii=False) for item in items]
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
