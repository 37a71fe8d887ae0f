"""Compliance frameworks: which checks give evidence for which requirement, kept as data.

One YAML file per framework ships beside this module. Each holds the framework's valid
requirement ids (titles in our own words for the ones we map), and per check the requirement
ids it maps to, each with a one-line rationale. Nothing here is code per framework: adding a
framework is adding a file.

A finding's ``compliance`` field is ``{framework key: [requirement id, ...]}``; the keys are
the ones Prowler uses (``CIS-7.0``, ``NIST-800-53-Revision-5`` …), so the two tools'
findings line up. ``requirement_rows`` turns a scan's findings into the per-requirement table
of ``scalewarden scan --compliance``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from scalewarden.checks.model import Finding


@dataclass(frozen=True)
class RequirementMapping:
    """One check → one requirement, and why it applies."""

    requirement: str
    why: str


@dataclass(frozen=True)
class Framework:
    """One framework: its names, its valid requirements and the checks mapped to them."""

    id: str
    #: The key under a finding's ``compliance`` field.
    key: str
    name: str
    aliases: tuple[str, ...]
    source: str
    #: Every valid requirement id of the framework → our short title ("" when unmapped).
    requirements: Mapping[str, str]
    #: Check id → its requirements in this framework.
    mappings: Mapping[str, tuple[RequirementMapping, ...]]

    def requirements_of(self, check_id: str) -> list[str]:
        return [m.requirement for m in self.mappings.get(check_id, ())]

    def mapped_requirements(self) -> list[str]:
        """Requirement ids some check maps to, in the framework's order."""
        used = {m.requirement for ms in self.mappings.values() for m in ms}
        return [r for r in self.requirements if r in used]


def _parse(name: str, data: Any) -> Framework:
    if not isinstance(data, dict):
        raise ValueError(f"compliance file {name}: not a mapping")
    try:
        requirements = {str(k): str(v or "") for k, v in data["requirements"].items()}
        mappings = {
            str(check): tuple(RequirementMapping(str(m["id"]), str(m["why"])) for m in entries)
            for check, entries in (data.get("mappings") or {}).items()
        }
        return Framework(
            id=str(data["id"]),
            key=str(data["key"]),
            name=str(data["name"]),
            aliases=tuple(str(a) for a in data.get("aliases") or ()),
            source=str(data.get("source") or ""),
            requirements=requirements,
            mappings=mappings,
        )
    except (KeyError, TypeError, AttributeError) as exc:
        raise ValueError(f"compliance file {name}: missing or malformed {exc}") from exc


@lru_cache(maxsize=1)
def frameworks() -> tuple[Framework, ...]:
    """Every shipped framework, in file-name order."""
    import yaml

    # libyaml's safe loader when present: the pure-Python one takes a third of a second
    # for these files, on every scan.
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    folder = resources.files(__name__)
    found = []
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".yaml"):
            data = yaml.load(entry.read_text(encoding="utf-8"), Loader=loader)
            found.append(_parse(entry.name, data))
    return tuple(found)


def framework_choices() -> str:
    return ", ".join(f.id for f in frameworks())


def resolve_framework(name: str) -> Framework:
    """The framework a user named: its id, key or an alias, any case; ValueError otherwise."""
    word = (name or "").strip().lower()
    for framework in frameworks():
        if word in {
            framework.id.lower(),
            framework.key.lower(),
            *map(str.lower, framework.aliases),
        }:
            return framework
    raise ValueError(
        f"unknown compliance framework {name!r}; expected one of: {framework_choices()}"
    )


def compliance_of(check_id: str) -> dict[str, list[str]]:
    """A check's ``compliance`` field: framework key → requirement ids, frameworks in order."""
    out: dict[str, list[str]] = {}
    for framework in frameworks():
        ids = framework.requirements_of(check_id)
        if ids:
            out[framework.key] = ids
    return out


@dataclass(frozen=True)
class RequirementRow:
    """One line of the per-requirement table."""

    requirement: str
    title: str
    checks: tuple[str, ...]
    passed: int
    failed: int
    errors: int
    muted: int

    @property
    def status(self) -> str:
        """FAIL if anything failed; ERROR if something could not be seen; MUTED if a failure
        was accepted; PASS only when every finding passed; ``NO DATA`` when there was none."""
        if self.failed:
            return "FAIL"
        if self.errors:
            return "ERROR"
        if self.muted:
            return "MUTED"
        if self.passed:
            return "PASS"
        return "NO DATA"


def requirement_rows(framework: Framework, findings: Iterable[Finding]) -> list[RequirementRow]:
    """Per mapped requirement: its checks and their PASS/FAIL/ERROR/MUTED finding counts."""
    from scalewarden.checks.model import Status

    by_check: dict[str, list[Finding]] = {}
    for finding in findings:
        by_check.setdefault(finding.check_id, []).append(finding)
    rows = []
    for requirement in framework.mapped_requirements():
        checks = tuple(
            c
            for c, ms in framework.mappings.items()
            if any(m.requirement == requirement for m in ms)
        )
        counts = dict.fromkeys(Status, 0)
        for check in checks:
            for finding in by_check.get(check, ()):
                counts[finding.status] += 1
        rows.append(
            RequirementRow(
                requirement,
                framework.requirements[requirement],
                checks,
                counts[Status.PASS],
                counts[Status.FAIL],
                counts[Status.ERROR],
                counts[Status.MUTED],
            )
        )
    return rows
