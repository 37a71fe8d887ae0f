"""Mutelist: accepted risks, scoped, explained and expiring.

A rule names what it mutes (check ids, accounts, regions, resource patterns, tags), why
(``reason``, required) and until when (``expires``, optional). Matching FAIL findings become
MUTED, never hidden: reports still show them, with the reason, so an accepted risk stays
visible and comes back on its own when the rule expires.

File format (YAML)::

    mutes:
      - checks: [target_fixed_capacity]          # ids or glob patterns; default: every check
        accounts: ["111122223333"]               # default: every account
        regions: [us-east-1]                     # default: every region
        resources: ["ecs:service/batch/*"]       # globs on resource_id or resource_arn
        tags: {env: dev}                         # every tag must match (value globs)
        reason: Batch services run at fixed capacity by design.
        expires: 2026-12-31                      # date (end of day UTC) or ISO datetime
        author: alice
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

from scalewarden.checks.model import Finding, Status

_LIST_KEYS = {
    "checks": "checks",
    "check": "checks",
    "accounts": "accounts",
    "account": "accounts",
    "regions": "regions",
    "region": "regions",
    "resources": "resources",
    "resource": "resources",
}
_OTHER_KEYS = {"tags", "reason", "expires", "author"}


class MutelistError(ValueError):
    """The mutelist file cannot be used; the message says where and why."""


@dataclass(frozen=True)
class MuteRule:
    """One rule. Empty criteria tuples mean "any"."""

    index: int
    reason: str
    checks: tuple[str, ...] = ()
    accounts: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    resources: tuple[str, ...] = ()
    tags: tuple[tuple[str, str], ...] = ()
    expires: datetime | None = None
    author: str | None = None

    def active(self, now: datetime) -> bool:
        return self.expires is None or now < self.expires

    def matches(self, finding: Finding) -> bool:
        if self.checks and not _any_glob(self.checks, finding.check_id):
            return False
        if self.accounts and not _any_glob(self.accounts, finding.account_id):
            return False
        if self.regions and not _any_glob(self.regions, finding.region):
            return False
        if self.resources and not (
            _any_glob(self.resources, finding.resource_id)
            or (finding.resource_arn and _any_glob(self.resources, finding.resource_arn))
        ):
            return False
        if self.tags:
            found = finding.evidence.get("tags")
            if not isinstance(found, Mapping):
                return False
            for key, pattern in self.tags:
                value = found.get(key)
                if value is None or not fnmatch.fnmatchcase(str(value), pattern):
                    return False
        return True

    def describe(self) -> dict[str, Any]:
        return {
            "rule": self.index,
            "reason": self.reason,
            "expires": self.expires.isoformat() if self.expires else None,
            "author": self.author,
        }


def _any_glob(patterns: Iterable[str], value: str) -> bool:
    return any(fnmatch.fnmatchcase(value, p) for p in patterns)


def _strings(value: Any, where: str) -> tuple[str, ...]:
    if isinstance(value, str | int):
        return (str(value),)
    if isinstance(value, list) and all(isinstance(v, str | int) for v in value):
        return tuple(str(v) for v in value)
    raise MutelistError(f"{where} must be a string or a list of strings")


def _expiry(value: Any, where: str) -> datetime:
    """A date means "through that day" (UTC); a datetime without zone is UTC."""
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, date):
        return datetime.combine(value, time.max, tzinfo=UTC)
    elif isinstance(value, str):
        text = value.strip()
        try:
            if len(text) == 10:
                return datetime.combine(date.fromisoformat(text), time.max, tzinfo=UTC)
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError as exc:
            raise MutelistError(
                f"{where}: expires {value!r} is not a date (YYYY-MM-DD) or ISO datetime"
            ) from exc
    else:
        raise MutelistError(f"{where}: expires must be a date, got {type(value).__name__}")
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _rule(index: int, raw: Any) -> MuteRule:
    where = f"rule {index + 1}"
    if not isinstance(raw, Mapping):
        raise MutelistError(f"{where} must be a mapping")
    unknown = sorted(str(k) for k in raw if k not in _LIST_KEYS and k not in _OTHER_KEYS)
    if unknown:
        valid = ", ".join(sorted({*_LIST_KEYS.values(), *_OTHER_KEYS}))
        raise MutelistError(f"{where}: unknown key(s) {', '.join(unknown)} (valid: {valid})")
    reason = raw.get("reason")
    if not isinstance(reason, str) or not reason.strip():
        raise MutelistError(f"{where} needs a non-empty reason")
    lists: dict[str, tuple[str, ...]] = {}
    for key, field_name in _LIST_KEYS.items():
        if key in raw:
            lists[field_name] = lists.get(field_name, ()) + _strings(raw[key], f"{where}: {key}")
    tags_raw = raw.get("tags") or {}
    if not isinstance(tags_raw, Mapping):
        raise MutelistError(f"{where}: tags must be a mapping of key to value")
    tags = tuple((str(k), str(v)) for k, v in sorted(tags_raw.items()))
    if not lists and not tags:
        raise MutelistError(
            f"{where} names no check, account, region, resource or tag: it would mute everything"
        )
    author = raw.get("author")
    return MuteRule(
        index=index + 1,
        reason=reason.strip(),
        checks=lists.get("checks", ()),
        accounts=lists.get("accounts", ()),
        regions=lists.get("regions", ()),
        resources=lists.get("resources", ()),
        tags=tags,
        expires=_expiry(raw["expires"], where) if raw.get("expires") is not None else None,
        author=str(author) if author is not None else None,
    )


@dataclass(frozen=True)
class Mutelist:
    rules: tuple[MuteRule, ...]

    @classmethod
    def from_data(cls, data: Any) -> Mutelist:
        """From parsed YAML: ``{"mutes": [...]}`` (or a bare list of rules)."""
        if data is None:
            return cls(())
        if isinstance(data, Mapping):
            extra = sorted(str(k) for k in data if k != "mutes")
            if extra:
                raise MutelistError(f"unknown top-level key(s): {', '.join(extra)} (use 'mutes')")
            data = data.get("mutes") or []
        if not isinstance(data, list):
            raise MutelistError("'mutes' must be a list of rules")
        return cls(tuple(_rule(i, raw) for i, raw in enumerate(data)))

    @classmethod
    def parse(cls, text: str, source: str = "<mutelist>") -> Mutelist:
        import yaml

        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
            problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
            raise MutelistError(f"{source}: invalid YAML{where}: {problem}") from None
        try:
            return cls.from_data(data)
        except MutelistError as exc:
            raise MutelistError(f"{source}: {exc}") from None

    @classmethod
    def load(cls, path: str | Path) -> Mutelist:
        """Read a mutelist file; MutelistError (with the path) on any problem."""
        file = Path(path)
        try:
            text = file.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise MutelistError(f"{file}: no such mutelist file") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise MutelistError(f"{file}: cannot read mutelist: {exc}") from None
        return cls.parse(text, str(file))

    def apply(self, findings: Sequence[Finding], now: datetime | None = None) -> list[Finding]:
        """Findings with every FAIL that an active rule matches turned into MUTED.

        The first matching rule wins; its reason is appended to the message and recorded in
        the evidence (``muted``) so reports can show why.
        """
        moment = now or datetime.now(UTC)
        active = [r for r in self.rules if r.active(moment)]
        out: list[Finding] = []
        for finding in findings:
            rule = next((r for r in active if r.matches(finding)), None)
            if finding.status is not Status.FAIL or rule is None:
                out.append(finding)
                continue
            evidence = dict(finding.evidence)
            evidence["muted"] = rule.describe()
            out.append(
                finding.with_status(
                    Status.MUTED, f"{finding.message} [muted: {rule.reason}]", evidence
                )
            )
        return out
