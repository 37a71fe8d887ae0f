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
        resources: ["service/batch/*"]           # globs on what users see (below)
        tags: {env: dev}                         # every tag must match (value globs)
        reason: Batch services run at fixed capacity by design.
        expires: 2026-12-31                      # date (end of day UTC) or ISO datetime
        author: alice

A resource pattern matches what people see of a resource: the ``resource_id`` as printed
(``ecs:service/batch/nightly:ecs:service:DesiredCount``), the ARN, the Application Auto
Scaling resource id inside it (``service/batch/nightly``), the resource part of an ARN
(``role/ci/deployer``) or the bare name (``nightly``, ``deployer``).

Stored mutes (from Slack or ``scalewarden mute add``) become rules of the same kind
(:meth:`Mutelist.from_stored`), so there is one matching implementation for both.
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
#: Longest resource pattern a stored mute may have (patterns are typed by people).
MAX_PATTERN_LENGTH = 512


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
    #: The stored mute this rule comes from (``None`` for a mutelist file's rule).
    mute_id: int | None = None

    def active(self, now: datetime) -> bool:
        return self.expires is None or now < self.expires

    @property
    def label(self) -> str:
        """How warnings name the rule: ``rule 3`` of a file, ``mute #7`` when stored."""
        return f"mute #{self.mute_id}" if self.mute_id is not None else f"rule {self.index}"

    def matches(self, finding: Finding) -> bool:
        return self.matches_place(
            finding.check_id,
            finding.account_id,
            finding.region,
            resource_names(finding),
            finding.evidence.get("tags"),
        )

    def matches_place(
        self,
        check_id: str,
        account: str,
        region: str,
        names: Sequence[str],
        tags: Any = None,
    ) -> bool:
        """The rule's test on a finding's (or a live alert's) check, place and resource
        names; a rule with tags needs ``tags`` that match them."""
        if self.checks and not _any_glob(self.checks, check_id):
            return False
        if self.accounts and not _any_glob(self.accounts, account):
            return False
        if self.regions and not _any_glob(self.regions, region):
            return False
        if self.resources and not any(_any_glob(self.resources, name) for name in names):
            return False
        if self.tags:
            found = tags
            if not isinstance(found, Mapping):
                return False
            for key, pattern in self.tags:
                value = found.get(key)
                if value is None or not fnmatch.fnmatchcase(str(value), pattern):
                    return False
        return True

    def describe(self) -> dict[str, Any]:
        described: dict[str, Any] = {
            "rule": self.index,
            "reason": self.reason,
            "expires": self.expires.isoformat() if self.expires else None,
            "author": self.author,
        }
        if self.mute_id is not None:
            described["mute_id"] = self.mute_id
        return described


def _any_glob(patterns: Iterable[str], value: str) -> bool:
    return any(fnmatch.fnmatchcase(value, p) for p in patterns)


def _last_segment(text: str) -> str:
    return text.rsplit("/", 1)[-1]


def resource_names(finding: Finding) -> list[str]:
    """Every name a person might use for the finding's resource, most specific first.

    The printed ``resource_id``; the ARN and its resource part (``role/ci/deployer``); for a
    scalable target, the Application Auto Scaling resource id between the namespace and the
    dimension (``service/batch/nightly``); and the bare name after the last ``/``.
    """
    names = [finding.resource_id]
    parts: list[str] = []
    if finding.resource_arn:
        names.append(finding.resource_arn)
        arn = finding.resource_arn.split(":", 5)
        if len(arn) == 6 and arn[0] == "arn":
            parts.append(arn[5])
    namespace = finding.evidence.get("namespace")
    dimension = finding.evidence.get("scalable_dimension")
    rid = finding.resource_id
    if isinstance(namespace, str) and isinstance(dimension, str):
        prefix, suffix = f"{namespace}:", f":{dimension}"
        if rid.startswith(prefix) and rid.endswith(suffix) and len(rid) > len(prefix + suffix):
            parts.append(rid[len(prefix) : -len(suffix)])
    elif "/" in rid and ":" not in rid:
        parts.append(rid)
    names.extend(parts)
    names.extend(_last_segment(part) for part in parts if "/" in part)
    return list(dict.fromkeys(n for n in names if n))


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

    @classmethod
    def from_stored(cls, mutes: Iterable[Any]) -> Mutelist:
        """Rules from stored mutes (``StoredMute`` records): one check each, optionally one
        resource pattern, accounts and regions. Expired ones are kept; they no longer apply."""
        return cls(
            tuple(
                MuteRule(
                    index=position,
                    reason=mute.reason,
                    checks=(mute.check_id,),
                    accounts=tuple(mute.accounts),
                    regions=tuple(mute.regions),
                    resources=(mute.resource_pattern,) if mute.resource_pattern else (),
                    expires=mute.expires_at,
                    author=mute.author,
                    mute_id=mute.id,
                )
                for position, mute in enumerate(mutes, start=1)
            )
        )

    def __add__(self, other: Mutelist) -> Mutelist:
        return Mutelist(self.rules + other.rules)

    def warnings(
        self, findings: Sequence[Finding], now: datetime, *, known_checks: Iterable[str]
    ) -> list[str]:
        """What is probably wrong with the rules, judged against a scan's findings.

        A rule that expired (it no longer mutes anything), a check pattern that names no known
        check (a typo mutes nothing), and an active rule that matched no FAIL or MUTED finding
        (a pattern that never matches, or a risk that went away).
        """
        known = list(known_checks)
        relevant = [f for f in findings if f.status in (Status.FAIL, Status.MUTED)]
        out: list[str] = []
        for rule in self.rules:
            if not rule.active(now):
                assert rule.expires is not None
                out.append(
                    f"{rule.label} expired on {rule.expires.date().isoformat()} and no longer "
                    f"mutes anything ({rule.reason})"
                )
                continue
            unknown = [p for p in rule.checks if not any(fnmatch.fnmatchcase(c, p) for c in known)]
            if unknown:
                out.append(f"{rule.label} names unknown check id(s): {', '.join(unknown)}")
            elif not any(rule.matches(f) for f in relevant):
                out.append(f"{rule.label} matched no finding in this scan ({rule.reason})")
        return out

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


@dataclass(frozen=True)
class MuteRequest:
    """A new mute, checked before anything is stored (Slack's ``mute`` and ``mute add``)."""

    check_id: str
    resource_pattern: str | None
    accounts: tuple[str, ...]
    regions: tuple[str, ...]
    reason: str
    expires_at: datetime | None

    @classmethod
    def parse(
        cls,
        *,
        check_id: str,
        reason: str,
        now: datetime,
        resource_pattern: str | None = None,
        until: str | None = None,
        accounts: str | None = None,
        regions: str | None = None,
    ) -> MuteRequest:
        """ValueError with a message fit for the user: unknown check, no reason, past expiry,
        a bad account id or region."""
        from scalewarden.aws.accounts import parse_account_ids
        from scalewarden.aws.regions import parse_regions
        from scalewarden.checks.registry import check_ids

        if check_id not in check_ids():
            raise ValueError(
                f"unknown check id {check_id!r} (see `scalewarden checks` for the valid ids)"
            )
        if not reason or not reason.strip():
            raise ValueError("a mute needs a reason")
        expires = None
        if until is not None:
            try:
                expires = _expiry(until, "until")
            except MutelistError as exc:
                raise ValueError(str(exc).replace("expires", "until")) from None
            if expires <= now:
                raise ValueError(f"until {until} is in the past: a mute must expire later")
        pattern = (resource_pattern or "").strip() or None
        if pattern is not None and len(pattern) > MAX_PATTERN_LENGTH:
            raise ValueError(f"resource pattern is longer than {MAX_PATTERN_LENGTH} characters")
        region_list = parse_regions(regions) or []
        return cls(
            check_id=check_id,
            resource_pattern=pattern,
            accounts=tuple(parse_account_ids(accounts) or ()),
            regions=() if region_list == ["all"] else tuple(region_list),
            reason=reason.strip(),
            expires_at=expires,
        )
