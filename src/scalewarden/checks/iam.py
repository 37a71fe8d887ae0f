"""IAM checks: who can change scaling, and who can create service-linked roles.

All three read ``GetAccountAuthorizationDetails`` once per account. Policy documents are
evaluated by ``iam_policy`` (Action/NotAction, Resource/NotResource, wildcards, conditions,
explicit Deny), never by searching for strings.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from scalewarden.aws.inventory import (
    GLOBAL_REGION,
    AccountInventory,
    IamAuthorization,
    RegionInventory,
    Source,
)
from scalewarden.checks.lib.iam_policy import (
    Grant,
    PolicyParseError,
    PolicyTooComplex,
    Statement,
    aas_write_grant,
    create_slr_grant,
    new_budget,
    parse_statements,
)
from scalewarden.checks.model import Check, Finding, Severity, Status

TOPIC = "identity-and-access-management"
_AWS_MANAGED = re.compile(r"^arn:[^:]+:iam::aws:policy/")


def is_aws_managed(arn: str) -> bool:
    return bool(_AWS_MANAGED.match(arn or ""))


def default_document(policy: Mapping[str, Any]) -> Any:
    """The default version's document of a managed policy entry, or ``None``."""
    versions = policy.get("PolicyVersionList") or []
    default_id = policy.get("DefaultVersionId")
    for version in versions:
        if version.get("IsDefaultVersion") or (
            default_id and version.get("VersionId") == default_id
        ):
            return version.get("Document")
    return None


def policy_name(policy: Mapping[str, Any]) -> str:
    """Managed policy name; derived from the ARN when the entry omits it."""
    name = policy.get("PolicyName")
    if name:
        return str(name)
    return str(policy.get("Arn", "")).rsplit("/", 1)[-1]


@dataclass(frozen=True)
class PolicyDoc:
    """A policy document the account controls, with the identity findings refer to it by."""

    kind: str  # "managed" or "inline"
    name: str
    resource_id: str
    resource_arn: str
    document: Any
    attachment_count: int | None = None


_PRINCIPAL_KEYS = (
    ("user", "UserName", "UserPolicyList"),
    ("group", "GroupName", "GroupPolicyList"),
    ("role", "RoleName", "RolePolicyList"),
)

_NAME_KEY = {kind: name for kind, name, _ in _PRINCIPAL_KEYS}
_LIST_KEY = {kind: lst for kind, _, lst in _PRINCIPAL_KEYS}


def _principals(iam: IamAuthorization) -> Iterator[tuple[str, Mapping[str, Any]]]:
    for kind, items in (("user", iam.users), ("group", iam.groups), ("role", iam.roles)):
        for item in items:
            yield kind, item


def inline_resource_id(principal_arn: str, name: str) -> str:
    """How a finding names an inline policy: the principal's ARN and the policy name."""
    return f"{principal_arn}#inline-policy/{name}"


def customer_policies(iam: IamAuthorization) -> Iterator[PolicyDoc]:
    """Customer-managed policies (default version) and every inline policy."""
    for policy in iam.policies:
        arn = str(policy.get("Arn", ""))
        if is_aws_managed(arn):
            continue
        yield PolicyDoc(
            "managed",
            policy_name(policy),
            arn,
            arn,
            default_document(policy),
            policy.get("AttachmentCount"),
        )
    for kind, principal in _principals(iam):
        arn = str(principal.get("Arn", ""))
        for inline in principal.get(_LIST_KEY[kind]) or []:
            name = str(inline.get("PolicyName", ""))
            yield PolicyDoc(
                "inline", name, inline_resource_id(arn, name), arn, inline.get("PolicyDocument")
            )


def partition_of(iam: IamAuthorization) -> str:
    """The account's partition (``aws``, ``aws-cn``, ``aws-us-gov``) read from its own ARNs."""
    for items in (iam.roles, iam.users, iam.groups, iam.policies):
        for item in items:
            parts = str(item.get("Arn", "")).split(":")
            if len(parts) > 2 and parts[0] == "arn" and parts[1]:
                return parts[1]
    return "aws"


def boundary_only(doc: PolicyDoc, entry: Mapping[str, Any] | None) -> bool:
    """A managed policy attached to nobody and used only as a permissions boundary.

    A boundary caps what its principals may do and grants nothing by itself, so its
    statements are not a grant to report.
    """
    if doc.kind != "managed" or entry is None:
        return False
    attached = int(entry.get("AttachmentCount") or 0)
    bounding = int(entry.get("PermissionsBoundaryUsageCount") or 0)
    return attached == 0 and bounding > 0


def _iam_or_raise(account: AccountInventory) -> IamAuthorization:
    if account.iam is None:
        raise ValueError("IAM authorization details were not collected")
    return account.iam


def _short(action: str) -> str:
    return action.split(":", 1)[1]


def _grant_evidence(doc: PolicyDoc, grant: Grant, *, unrestricted: bool) -> dict[str, Any]:
    actions = grant.unrestricted if unrestricted else grant.reachable
    statements = grant.unrestricted_statements if unrestricted else grant.reachable_statements
    evidence: dict[str, Any] = {
        "policy_kind": doc.kind,
        "policy_name": doc.name,
        "actions": sorted(actions),
        "statements": list(statements),
    }
    if doc.attachment_count is not None:
        evidence["attachment_count"] = doc.attachment_count
    if grant.denying_statements:
        evidence["denied_by"] = list(grant.denying_statements)
    if grant.partial_denies:
        evidence["narrowing_denies"] = list(grant.partial_denies)
    return evidence


def _unparsable(
    check: Check, account: AccountInventory, doc: PolicyDoc, exc: PolicyParseError
) -> Finding:
    return check.finding(
        account,
        GLOBAL_REGION,
        Status.ERROR,
        doc.resource_id,
        f"Could not read {doc.kind} policy {doc.name}: {exc}",
        resource_arn=doc.resource_arn,
        evidence={"policy_kind": doc.kind, "policy_name": doc.name},
    )


# --- iam_policy_aas_write_unrestricted ---------------------------------------------------


def _per_customer_policy(
    check: Check,
    account: AccountInventory,
    grant_of: Callable[[Any, str, str], Any],
    verdict: Callable[[PolicyDoc, Any, bool], tuple[Status, str, dict[str, Any]]],
) -> list[Finding]:
    """One finding per customer-managed or inline policy, as ``verdict`` judges its grant.

    ``grant_of(statements, account_id, partition)`` computes the grant; ``verdict(doc, grant,
    boundary_only)`` says what it means. A policy that cannot be read, or whose wildcards
    would take more work than one document is allowed (``PolicyTooComplex``), is ERROR; an account
    without such policies gets one PASS, so the check still shows that it ran.
    """
    iam = _iam_or_raise(account)
    partition = partition_of(iam)
    managed = _managed_index(iam)
    findings: list[Finding] = []
    for doc in customer_policies(iam):
        try:
            statements = parse_statements(doc.document)
            grant = grant_of(statements, account.account_id, partition)
        except PolicyParseError as exc:  # PolicyTooComplex too: ERROR, never PASS
            findings.append(_unparsable(check, account, doc, exc))
            continue
        only_boundary = boundary_only(doc, managed.get(doc.resource_arn))
        status, message, evidence = verdict(doc, grant, only_boundary)
        findings.append(
            check.finding(
                account,
                GLOBAL_REGION,
                status,
                doc.resource_id,
                message,
                resource_arn=doc.resource_arn,
                evidence=evidence,
            )
        )
    return check.pass_when_empty(
        findings,
        account,
        "The account has no customer-managed or inline policies.",
    )


def _aas_write_unrestricted(
    check: Check, account: AccountInventory, _region: RegionInventory | None
) -> list[Finding]:
    def verdict(
        doc: PolicyDoc, grant: Any, only_boundary: bool
    ) -> tuple[Status, str, dict[str, Any]]:
        if only_boundary:
            evidence = _grant_evidence(doc, grant, unrestricted=False)
            evidence["used_as_permissions_boundary"] = True
            message = (
                f"Managed policy {doc.name} is only used as a permissions boundary: it "
                "limits its principals and grants nothing by itself."
            )
            return Status.PASS, message, evidence
        if grant.unrestricted:
            actions = ", ".join(_short(a) for a in sorted(grant.unrestricted))
            message = (
                f"{doc.kind.capitalize()} policy {doc.name} allows Application Auto Scaling "
                f"write actions on all scalable targets without a condition: {actions}."
            )
            return Status.FAIL, message, _grant_evidence(doc, grant, unrestricted=True)
        message = f"{doc.kind.capitalize()} policy {doc.name} does not allow unrestricted "
        message += "Application Auto Scaling writes."
        if grant.reachable:
            message += " It allows some, scoped by resource or condition."
        return Status.PASS, message, _grant_evidence(doc, grant, unrestricted=False)

    return _per_customer_policy(check, account, aas_write_grant, verdict)


# --- iam_principal_aas_write_access -----------------------------------------------------


def _managed_index(iam: IamAuthorization) -> dict[str, Mapping[str, Any]]:
    return {str(p.get("Arn")): p for p in iam.policies if p.get("Arn")}


def _principal_statements(
    kind: str,
    principal: Mapping[str, Any],
    managed: Mapping[str, Mapping[str, Any]],
    groups: Mapping[str, Mapping[str, Any]],
) -> tuple[list[Statement], list[str], list[str]]:
    """Every statement that applies to a principal, plus missing and unreadable documents.

    Users inherit their groups' inline and attached policies, as IAM evaluates them.
    """
    sources: list[tuple[str, Mapping[str, Any]]] = [(kind, principal)]
    if kind == "user":
        for group_name in principal.get("GroupList") or []:
            group = groups.get(str(group_name))
            if group is not None:
                sources.append(("group", group))
    statements: list[Statement] = []
    missing: list[str] = []
    unreadable: list[str] = []
    for src_kind, src in sources:
        for inline in src.get(_LIST_KEY[src_kind]) or []:
            label = f"inline:{inline.get('PolicyName', '')}"
            try:
                statements += parse_statements(inline.get("PolicyDocument"), label)
            except PolicyParseError:
                unreadable.append(label)
        for attached in src.get("AttachedManagedPolicies") or []:
            arn = str(attached.get("PolicyArn", ""))
            entry = managed.get(arn)
            document = default_document(entry) if entry else None
            if document is None:
                missing.append(arn)
                continue
            try:
                statements += parse_statements(document, policy_name(entry or {"Arn": arn}))
            except PolicyParseError:
                unreadable.append(arn)
    return statements, sorted(set(missing)), sorted(set(unreadable))


def _bounded_write_grant(
    statements: list[Statement], account_id: str, partition: str
) -> tuple[Grant, list[str]]:
    """The grant of a principal's statements, each document within its work allowance.

    The documents are judged together (a Deny in one removes what another allows) with the
    allowance of all of them. When that runs out, the documents that exceed their own
    allowance alone are left out and named, and the rest is judged without them, so one
    hostile policy neither stalls the scan nor hides what the others grant.
    """
    labels = list(dict.fromkeys(s.policy for s in statements))
    try:
        return aas_write_grant(statements, account_id, partition, new_budget(len(labels))), []
    except PolicyTooComplex:
        pass
    too_complex: list[str] = []
    for label in labels:
        own = [s for s in statements if s.policy == label]
        try:
            aas_write_grant(own, account_id, partition, new_budget())
        except PolicyTooComplex:
            too_complex.append(label)
    kept = [s for s in statements if s.policy not in too_complex]
    budget = new_budget(len(labels) - len(too_complex))
    try:
        return aas_write_grant(kept, account_id, partition, budget), too_complex
    except PolicyTooComplex:  # only together are they too much: judge none of them
        return aas_write_grant([], account_id, partition), labels


def _principal_write_access(
    check: Check, account: AccountInventory, _region: RegionInventory | None
) -> list[Finding]:
    iam = _iam_or_raise(account)
    partition = partition_of(iam)
    managed = _managed_index(iam)
    groups = {str(g.get("GroupName")): g for g in iam.groups}
    findings: list[Finding] = []
    for kind, principal in _principals(iam):
        name = str(principal.get(_NAME_KEY[kind], ""))
        arn = str(principal.get("Arn", ""))
        statements, missing, unreadable = _principal_statements(kind, principal, managed, groups)
        grant, too_complex = _bounded_write_grant(statements, account.account_id, partition)
        unreadable = sorted({*unreadable, *too_complex})
        reachable, unrestricted = grant.reachable, grant.unrestricted
        evidence: dict[str, Any] = {"principal_type": kind}
        note = ""
        boundary_arn = str(
            (principal.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn") or ""
        )
        if boundary_arn:
            # IAM allows an action only when the boundary allows it too.
            evidence["permissions_boundary"] = boundary_arn
            entry = managed.get(boundary_arn)
            document = default_document(entry) if entry else None
            try:
                if document is None:
                    raise PolicyParseError("its document was not collected")
                bound = aas_write_grant(parse_statements(document), account.account_id, partition)
                reachable = reachable & bound.reachable
                unrestricted = unrestricted & bound.unrestricted
            except PolicyParseError as exc:
                evidence["permissions_boundary_unread"] = str(exc)
                note += " Its permissions boundary could not be read, so it was not applied."
        evidence.update(
            {
                "actions": sorted(reachable),
                "unrestricted_actions": sorted(unrestricted),
                "statements": list(grant.reachable_statements) if reachable else [],
            }
        )
        if missing:
            evidence["missing_policy_documents"] = missing
            note += f" {len(missing)} attached managed policy document(s) were not available."
        if unreadable:
            evidence["unreadable_policies"] = unreadable
            note += f" {len(unreadable)} policy document(s) could not be read."
        if reachable:
            scope = "on every target" if unrestricted else "within the policies' limits"
            actions = ", ".join(_short(a) for a in sorted(reachable))
            findings.append(
                check.finding(
                    account,
                    GLOBAL_REGION,
                    Status.FAIL,
                    arn,
                    f"IAM {kind} {name} can change scaling ({scope}): {actions}.{note}",
                    resource_arn=arn,
                    evidence=evidence,
                )
            )
        elif missing or unreadable:
            findings.append(
                check.finding(
                    account,
                    GLOBAL_REGION,
                    Status.ERROR,
                    arn,
                    f"IAM {kind} {name}: no readable policy allows scaling changes, but"
                    f"{note.lower()}",
                    resource_arn=arn,
                    evidence=evidence,
                )
            )
        else:
            limited = " (its permissions boundary allows none)" if grant.reachable else ""
            findings.append(
                check.finding(
                    account,
                    GLOBAL_REGION,
                    Status.PASS,
                    arn,
                    f"IAM {kind} {name} cannot change scaling{limited}.{note}",
                    resource_arn=arn,
                    evidence=evidence,
                )
            )
    return findings


# --- iam_create_slr_unscoped ------------------------------------------------------------


def _create_slr_unscoped(
    check: Check, account: AccountInventory, _region: RegionInventory | None
) -> list[Finding]:
    def verdict(
        doc: PolicyDoc, grant: Any, only_boundary: bool
    ) -> tuple[Status, str, dict[str, Any]]:
        if only_boundary:
            status = Status.PASS
            message = (
                f"Managed policy {doc.name} is only used as a permissions boundary: it grants "
                "nothing by itself."
            )
        elif grant.unrestricted:
            status = Status.FAIL
            message = (
                f"{doc.kind.capitalize()} policy {doc.name} allows iam:CreateServiceLinkedRole "
                "on every role without an iam:AWSServiceName condition."
            )
        else:
            status = Status.PASS
            message = (
                f"{doc.kind.capitalize()} policy {doc.name} does not allow unscoped "
                "iam:CreateServiceLinkedRole."
            )
        evidence = _grant_evidence(doc, grant, unrestricted=status is Status.FAIL)
        return status, message, evidence

    return _per_customer_policy(check, account, create_slr_grant, verdict)


CHECKS: tuple[Check, ...] = (
    Check(
        id="iam_policy_aas_write_unrestricted",
        title="Policy allows unrestricted Application Auto Scaling writes",
        topic=TOPIC,
        severity=Severity.HIGH,
        description=(
            "A customer-managed or inline policy lets its principals register, deregister, "
            "change or delete scaling on every scalable target, with no condition."
        ),
        risk=(
            "Anyone holding the policy can set a production service's capacity to zero, "
            "delete its scaling policies or deregister it, causing an outage or runaway cost."
        ),
        remediation=(
            "Scope write actions to the namespaces and targets the principal manages, using "
            "resource ARNs or the application-autoscaling:service-namespace and "
            "aws:ResourceTag condition keys."
        ),
        remediation_snippet=(
            '{"Effect": "Allow", "Action": ["application-autoscaling:PutScalingPolicy", '
            '"application-autoscaling:RegisterScalableTarget"], "Resource": '
            '"arn:aws:application-autoscaling:*:111122223333:scalable-target/*", "Condition": '
            '{"StringEquals": {"application-autoscaling:service-namespace": "ecs", '
            '"aws:ResourceTag/team": "payments"}}}'
        ),
        kb_section="iam-policy-examples#unrestricted-writes",
        func=_aas_write_unrestricted,
        requires=(Source.IAM_AUTHORIZATION,),
        scope="account",
    ),
    Check(
        id="iam_principal_aas_write_access",
        title="Principal can change scaling",
        topic=TOPIC,
        severity=Severity.INFORMATIONAL,
        description=(
            "Lists the users, groups and roles that can use any Application Auto Scaling write "
            "action through any policy, AWS managed ones included (users through their groups "
            "too)."
        ),
        risk="Knowing who can change capacity is the start of every access review.",
        remediation=(
            "Review the listed principals; remove write access from those that only need to "
            "read, and prefer scoped customer-managed policies over broad AWS managed ones."
        ),
        remediation_snippet=(
            "aws iam list-entities-for-policy --policy-arn arn:aws:iam::aws:policy/PowerUserAccess"
        ),
        kb_section="iam-managed-policies#who-can-change-scaling",
        func=_principal_write_access,
        requires=(Source.IAM_AUTHORIZATION,),
        scope="account",
    ),
    Check(
        id="iam_create_slr_unscoped",
        title="iam:CreateServiceLinkedRole allowed without a service condition",
        topic=TOPIC,
        severity=Severity.MEDIUM,
        description=(
            "A customer-managed or inline policy allows iam:CreateServiceLinkedRole on every "
            "role without limiting iam:AWSServiceName."
        ),
        risk=(
            "The principal can create a service-linked role for any AWS service, handing that "
            "service permissions in the account that nobody reviewed."
        ),
        remediation=(
            "Allow iam:CreateServiceLinkedRole only for the Application Auto Scaling service "
            "principals the principal needs, with an iam:AWSServiceName condition."
        ),
        remediation_snippet=(
            '{"Effect": "Allow", "Action": "iam:CreateServiceLinkedRole", "Resource": '
            '"arn:aws:iam::*:role/aws-service-role/ecs.application-autoscaling.amazonaws.com/'
            'AWSServiceRoleForApplicationAutoScaling_ECSService", "Condition": {"StringLike": '
            '{"iam:AWSServiceName": "ecs.application-autoscaling.amazonaws.com"}}}'
        ),
        kb_section="service-linked-roles#create-permissions",
        func=_create_slr_unscoped,
        requires=(Source.IAM_AUTHORIZATION,),
        scope="account",
    ),
)
