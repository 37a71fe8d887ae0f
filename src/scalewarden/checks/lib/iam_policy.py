"""A small IAM identity-policy evaluator for the questions our checks ask.

IAM's own simulator is not available to a read-only scan (and moto lacks it), so this module
answers narrower questions directly from policy documents: *which of these actions does this
set of statements allow, on all resources of a kind, without a condition?* It implements the
parts of the IAM evaluation logic that decide that question:

* ``Action`` / ``NotAction`` with ``*`` and ``?`` wildcards, matched case-insensitively (IAM
  action names are case-insensitive, so ``Application-AutoScaling:Put*`` counts);
* ``Resource`` / ``NotResource``, judged against *probe* ARNs that stand for "any resource of
  the kind" (different regions and ids), so ``*`` and ``arn:aws:application-autoscaling:*``
  are unrestricted while a single target's ARN is not;
* ``Condition``: an Allow with a condition the caller deems restricting is not unrestricted;
* explicit ``Deny``: a Deny without any condition that covers every probe removes its actions
  (a conditional or narrower Deny does not, and is reported in the evidence instead).

It is deliberately conservative the other way round only where the issue demands it: the
question is "could this grant be abused everywhere", not a full authorization decision.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Literal
from urllib.parse import unquote

from scalewarden.checks.lib.wildcard import WorkBudget, WorkLimitExceeded, iam_wildcard

Coverage = Literal["all", "some", "none"]


class PolicyParseError(ValueError):
    """A policy document that is not valid JSON or not shaped like an IAM policy."""


@dataclass(frozen=True)
class Statement:
    """One normalised policy statement. Exactly one of each Action/NotAction pair is set."""

    index: int
    sid: str | None
    effect: str  # "Allow" or "Deny"
    actions: tuple[str, ...] | None
    not_actions: tuple[str, ...] | None
    resources: tuple[str, ...] | None
    not_resources: tuple[str, ...] | None
    condition: Mapping[str, Any] = field(default_factory=dict, hash=False)
    #: Name of the policy the statement came from (set when statements of several are merged).
    policy: str = ""

    @property
    def label(self) -> str:
        name = self.sid if self.sid else f"#{self.index}"
        return f"{self.policy}:{name}" if self.policy else name


def load_document(document: str | Mapping[str, Any] | None) -> dict[str, Any]:
    """A policy document as a dict, from a dict, a JSON string or a URL-encoded JSON string.

    ``GetAccountAuthorizationDetails`` returns documents URL-encoded on the wire; boto3 decodes
    them to dicts, but stored or hand-written inventories may carry either form.
    """
    if document is None:
        raise PolicyParseError("the policy document is missing")
    if isinstance(document, Mapping):
        return dict(document)
    text = document.strip()
    if not text.startswith("{"):
        text = unquote(text).strip()
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise PolicyParseError(f"the policy document is not valid JSON ({exc.msg})") from exc
    except RecursionError:
        # Valid JSON nested deeper than the reader goes: no policy grammar allows that.
        raise PolicyParseError("the policy document is nested too deeply") from None
    if not isinstance(data, dict):
        raise PolicyParseError("the policy document is not a JSON object")
    return data


def _strings(value: Any, key: str) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise PolicyParseError(f"{key} must be a string or a list of strings")


def parse_statements(document: str | Mapping[str, Any] | None, policy: str = "") -> list[Statement]:
    """Normalise a policy document's statements; PolicyParseError when it is malformed."""
    data = load_document(document)
    raw = data.get("Statement")
    if raw is None:
        raise PolicyParseError("the policy document has no Statement")
    items = [raw] if isinstance(raw, Mapping) else raw
    if not isinstance(items, list):
        raise PolicyParseError("Statement must be an object or a list")
    out: list[Statement] = []
    for i, item in enumerate(items):
        if not isinstance(item, Mapping):
            raise PolicyParseError(f"statement {i} is not an object")
        effect = item.get("Effect")
        if effect not in ("Allow", "Deny"):
            raise PolicyParseError(f"statement {i} has Effect {effect!r}")
        actions = _strings(item["Action"], "Action") if "Action" in item else None
        not_actions = _strings(item["NotAction"], "NotAction") if "NotAction" in item else None
        if (actions is None) == (not_actions is None):
            raise PolicyParseError(f"statement {i} needs exactly one of Action or NotAction")
        resources = _strings(item["Resource"], "Resource") if "Resource" in item else None
        not_res = _strings(item["NotResource"], "NotResource") if "NotResource" in item else None
        condition = item.get("Condition") or {}
        if not isinstance(condition, Mapping):
            raise PolicyParseError(f"statement {i} has a Condition that is not an object")
        sid = item.get("Sid")
        out.append(
            Statement(
                index=i,
                sid=str(sid) if sid else None,
                effect=str(effect),
                actions=actions,
                not_actions=not_actions,
                resources=resources,
                not_resources=not_res,
                condition=dict(condition),
                policy=policy,
            )
        )
    return out


#: Matching steps one policy document may take (``WorkBudget``). The largest AWS managed
#: policies take well under a tenth of it; a document past it is reported, not judged.
POLICY_WORK_LIMIT = 4_000_000


class PolicyTooComplex(PolicyParseError):
    """Judging a document would take more matching work than ``POLICY_WORK_LIMIT`` allows."""


def new_budget(documents: int = 1) -> WorkBudget:
    """The work allowance for judging ``documents`` policy documents together."""
    return WorkBudget(POLICY_WORK_LIMIT * max(documents, 1))


def action_matches(pattern: str, action: str, budget: WorkBudget | None = None) -> bool:
    """Whether an Action pattern names ``action`` (``service:Name``), case-insensitively."""
    return iam_wildcard(pattern.strip(), True).matches(action, budget)


def resource_matches(pattern: str, arn: str, budget: WorkBudget | None = None) -> bool:
    """Whether a Resource (or ``StringLike``/``ArnLike`` value) matches, case-sensitively."""
    return iam_wildcard(pattern.strip(), False).matches(arn, budget)


def value_like(pattern: str, value: str, budget: WorkBudget | None = None) -> bool:
    """``StringLike``/``ArnLike`` semantics: the value as written, wildcards, case-sensitive."""
    return iam_wildcard(pattern, False).matches(value, budget)


def arn_like(pattern: str, value: str, budget: WorkBudget | None = None) -> bool:
    """``ArnLike``/``ArnEquals``: each of the six ARN parts matched on its own, case-sensitively.

    A value that is not an ARN matches nothing (IAM compares ARN operators part by part).
    """
    want = pattern.split(":", 5)
    have = value.split(":", 5)
    if len(want) != 6 or len(have) != 6 or have[0] != "arn":
        return False
    return all(value_like(w, h, budget) for w, h in zip(want, have, strict=True))


def statement_actions(
    stmt: Statement, universe: Iterable[str], budget: WorkBudget | None = None
) -> frozenset[str]:
    """The members of ``universe`` that the statement's Action/NotAction applies to."""
    if stmt.actions is not None:
        pats = stmt.actions
        return frozenset(a for a in universe if any(action_matches(p, a, budget) for p in pats))
    not_pats = stmt.not_actions or ()
    return frozenset(a for a in universe if not any(action_matches(p, a, budget) for p in not_pats))


def _service_of(pattern: str) -> str | None:
    parts = pattern.split(":")
    return parts[2] if len(parts) > 2 and parts[0].lower() == "arn" else None


def resource_coverage(
    stmt: Statement, probes: Sequence[str], service: str, budget: WorkBudget | None = None
) -> Coverage:
    """How much of a resource kind (stood for by ``probes``) the statement applies to.

    ``all``: every probe matches (``*``, or a wildcard ARN across regions and ids);
    ``some``: a probe matches or a pattern names the service (a specific resource);
    ``none``: the statement cannot apply to that kind of resource.
    """
    if stmt.resources is not None:
        pats = stmt.resources
        hits = [any(resource_matches(p, probe, budget) for p in pats) for probe in probes]
        if all(hits):
            return "all"
        if any(hits):
            return "some"
        for p in pats:
            svc = _service_of(p)
            if svc is not None and action_matches(svc, service, budget):
                return "some"
        return "none"
    if stmt.not_resources is None:
        # Identity policies require a Resource element; without one nothing is granted.
        return "none"
    excluded = [
        any(resource_matches(p, probe, budget) for p in stmt.not_resources) for probe in probes
    ]
    if not any(excluded):
        for p in stmt.not_resources:
            svc = _service_of(p)
            if svc is not None and action_matches(svc, service, budget):
                return "some"  # excludes specific resources of the kind
        return "all"
    return "none" if all(excluded) else "some"


#: Whether a statement's Condition restricts it (``budget`` pays for wildcard values).
Restricting = Callable[[Mapping[str, Any], WorkBudget | None], bool]


def has_condition(condition: Mapping[str, Any], budget: WorkBudget | None = None) -> bool:
    """Default notion of "restricted": any condition at all."""
    return bool(condition)


#: A service principal no policy would name: a condition that lets it through lets any through.
UNLISTED_SERVICE = "unlisted-example-service.amazonaws.com"


def _operator_allows(
    operator: str, values: Sequence[str], probe: str, budget: WorkBudget | None = None
) -> bool | None:
    """Whether a string condition operator lets ``probe`` through; ``None`` when unknown.

    Set prefixes (``ForAnyValue:``/``ForAllValues:``) and the ``IfExists`` suffix do not change
    the outcome for a single-valued key that the request always carries.
    """
    base = operator.split(":", 1)[1] if ":" in operator else operator
    if base.endswith("IfExists"):
        base = base[: -len("IfExists")]
    if base == "StringEquals":
        return probe in values
    if base == "StringEqualsIgnoreCase":
        return probe.lower() in {v.lower() for v in values}
    if base == "StringLike":
        return any(value_like(v, probe, budget) for v in values)
    if base in ("ArnLike", "ArnEquals"):
        return any(arn_like(v, probe, budget) for v in values)
    if base == "StringNotEquals":
        return probe not in values
    if base == "StringNotEqualsIgnoreCase":
        return probe.lower() not in {v.lower() for v in values}
    if base == "StringNotLike":
        return not any(value_like(v, probe, budget) for v in values)
    if base in ("ArnNotLike", "ArnNotEquals"):
        return not any(arn_like(v, probe, budget) for v in values)
    if base == "Null":
        # "Null": "false" demands the key be present, which it always is.
        return all(v.strip().lower() == "false" for v in values)
    return None


def condition_on_key(key: str, probe: str) -> Restricting:
    """A restriction test: the condition on ``key`` rejects the value ``probe``.

    Used for ``iam:AWSServiceName`` on ``iam:CreateServiceLinkedRole`` with a service name
    nobody would list: ``StringLike`` ``*`` or ``*.amazonaws.com``, ``StringNotEquals`` a few
    services, or ``Null`` ``false`` all let it through and so restrict nothing, while
    ``StringEquals`` a list of services or ``StringLike *.application-autoscaling...`` do.
    Every operator block on the key must pass (IAM ANDs them); an operator this module does
    not know is taken as restricting, as IAM fails a string key under a non-string operator.
    Conditions on other keys are not the question asked and are ignored.
    """
    wanted = key.lower()

    def restricting(condition: Mapping[str, Any], budget: WorkBudget | None = None) -> bool:
        for operator, block in condition.items():
            if not isinstance(block, Mapping):
                continue
            for k, values in block.items():
                if str(k).lower() != wanted:
                    continue
                items = values if isinstance(values, list) else [values]
                # JSON booleans and numbers ("Null": false) compare as their IAM strings.
                vals = [json.dumps(v) if isinstance(v, bool) else str(v) for v in items]
                if not vals:
                    continue
                if _operator_allows(str(operator), vals, probe, budget) is not True:
                    return True
        return False

    return restricting


@dataclass(frozen=True)
class Grant:
    """What a set of statements allows of a set of actions on a kind of resource."""

    #: Allowed on every resource of the kind with no restricting condition, after Denies.
    unrestricted: frozenset[str]
    #: Allowed in any way (some resources, or under conditions), after unconditional Denies.
    reachable: frozenset[str]
    #: Labels of the Allow statements behind ``unrestricted``.
    unrestricted_statements: tuple[str, ...]
    #: Labels of the Allow statements behind ``reachable``.
    reachable_statements: tuple[str, ...]
    #: Labels of Deny statements that removed actions (unconditional, every resource).
    denying_statements: tuple[str, ...]
    #: Labels of Deny statements that only narrow (conditional or on some resources).
    partial_denies: tuple[str, ...]


def evaluate(
    statements: Sequence[Statement],
    universe: Iterable[str],
    probes: Sequence[str],
    service: str,
    restricting: Restricting = has_condition,
    budget: WorkBudget | None = None,
) -> Grant:
    """Which of ``universe`` the statements allow on resources stood for by ``probes``.

    Every wildcard match is paid for from ``budget`` (a fresh one for one document when
    none is given); ``PolicyTooComplex`` when the statements need more than it allows.
    """
    work = budget if budget is not None else new_budget()
    try:
        return _evaluate(statements, universe, probes, service, restricting, work)
    except WorkLimitExceeded as exc:
        raise PolicyTooComplex(str(exc)) from exc


def _evaluate(
    statements: Sequence[Statement],
    universe: Iterable[str],
    probes: Sequence[str],
    service: str,
    restricting: Restricting,
    budget: WorkBudget,
) -> Grant:
    actions = frozenset(universe)
    free: set[str] = set()
    anyhow: set[str] = set()
    free_by: list[str] = []
    any_by: list[str] = []
    denied: set[str] = set()
    deny_by: list[str] = []
    partial: list[str] = []
    for stmt in statements:
        hit = statement_actions(stmt, actions, budget)
        if not hit:
            continue
        coverage = resource_coverage(stmt, probes, service, budget)
        if coverage == "none":
            continue
        if stmt.effect == "Deny":
            if coverage == "all" and not stmt.condition:
                denied |= hit
                deny_by.append(stmt.label)
            else:
                partial.append(stmt.label)
            continue
        anyhow |= hit
        any_by.append(stmt.label)
        if coverage == "all" and not restricting(stmt.condition, budget):
            free |= hit
            free_by.append(stmt.label)
    return Grant(
        unrestricted=frozenset(free - denied),
        reachable=frozenset(anyhow - denied),
        unrestricted_statements=tuple(free_by) if free - denied else (),
        reachable_statements=tuple(any_by) if anyhow - denied else (),
        denying_statements=tuple(deny_by),
        partial_denies=tuple(partial),
    )


# --- Application Auto Scaling specifics -------------------------------------------------

AAS_SERVICE = "application-autoscaling"
_WRITE_PREFIXES = ("Register", "Deregister", "Put", "Delete")
_WRITE_NAMES = ("TagResource", "UntagResource")
_READ_PREFIXES = ("Describe", "List", "Get")

#: The account id the probes use when the caller does not know the scanned account.
PROBE_ACCOUNT = "123456789012"


def aas_target_probes(account_id: str = PROBE_ACCOUNT, partition: str = "aws") -> tuple[str, ...]:
    """ARNs standing for "any scalable target of the account": two regions, two id shapes.

    They carry the scanned account's id and partition, so ``Resource`` patterns that name the
    account itself (``arn:aws:application-autoscaling:*:<account>:scalable-target/*``) are
    recognised as covering every target, as they do in IAM.
    """
    prefix = f"arn:{partition}:application-autoscaling"
    return (
        f"{prefix}:us-east-1:{account_id}:scalable-target/0ec5a0f3d2b64d5d9c3b1e4a7f8e9d0c1b2a",
        f"{prefix}:eu-west-3:{account_id}:scalable-target/z9",
    )


def slr_probes(account_id: str = PROBE_ACCOUNT, partition: str = "aws") -> tuple[str, ...]:
    """ARNs standing for "any service-linked role of the account" (an AAS one and another)."""
    prefix = f"arn:{partition}:iam::{account_id}:role/aws-service-role"
    return (
        f"{prefix}/ecs.application-autoscaling.amazonaws.com/"
        "AWSServiceRoleForApplicationAutoScaling_ECSService",
        f"{prefix}/elasticloadbalancing.amazonaws.com/AWSServiceRoleForElasticLoadBalancing",
    )


AAS_TARGET_PROBES: tuple[str, ...] = aas_target_probes()
SLR_PROBES: tuple[str, ...] = slr_probes()


def classify_operation(name: str) -> Literal["write", "read"]:
    """Write or read, by the operation's verb (the rule the checks document)."""
    if name.startswith(_WRITE_PREFIXES) or name in _WRITE_NAMES:
        return "write"
    if name.startswith(_READ_PREFIXES):
        return "read"
    raise ValueError(f"unclassified Application Auto Scaling operation {name!r}")


@lru_cache(maxsize=1)
def aas_actions() -> tuple[str, ...]:
    """``application-autoscaling:<Op>`` for every operation in botocore's model."""
    import botocore.session

    model = botocore.session.get_session().get_service_model(AAS_SERVICE)
    return tuple(f"{AAS_SERVICE}:{op}" for op in sorted(model.operation_names))


@lru_cache(maxsize=1)
def aas_write_actions() -> tuple[str, ...]:
    """``application-autoscaling:<Op>`` for every write operation in botocore's model.

    Read from the installed model rather than a list here, so a new operation is judged as
    soon as botocore knows it (an unknown verb raises instead of being silently skipped).
    """
    return tuple(a for a in aas_actions() if classify_operation(a.split(":", 1)[1]) == "write")


def aas_write_grant(
    statements: Sequence[Statement],
    account_id: str = PROBE_ACCOUNT,
    partition: str = "aws",
    budget: WorkBudget | None = None,
) -> Grant:
    """What the statements allow of Application Auto Scaling's write actions."""
    probes = aas_target_probes(account_id, partition)
    return evaluate(statements, aas_write_actions(), probes, AAS_SERVICE, budget=budget)


def create_slr_grant(
    statements: Sequence[Statement],
    account_id: str = PROBE_ACCOUNT,
    partition: str = "aws",
    budget: WorkBudget | None = None,
) -> Grant:
    """``iam:CreateServiceLinkedRole`` on any role without an ``iam:AWSServiceName`` limit."""
    return evaluate(
        statements,
        ("iam:CreateServiceLinkedRole",),
        slr_probes(account_id, partition),
        "iam",
        restricting=condition_on_key("iam:AWSServiceName", UNLISTED_SERVICE),
        budget=budget,
    )
