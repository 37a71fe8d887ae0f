"""Data protection checks: secrets and personal data in scaling configuration.

Names and tags of scaling resources show up in consoles, CloudTrail, billing and chat, so
they must not carry e-mail addresses, keys or tokens. Custom-resource targets are addressed
by URL, which tempts people to embed credentials in it. Both checks redact what they find
before it reaches a finding: findings travel to Slack.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from scalewarden.aws.inventory import (
    AccountInventory,
    RegionInventory,
    ScalableTarget,
    ScalingPolicy,
    ScheduledAction,
    Source,
)
from scalewarden.checks.lib.aas import per_target_findings, safe_tags, target_arn, target_label
from scalewarden.checks.lib.redact import (
    audit_url,
    redact_tag_value,
    safe_arn,
    safe_resource_id,
    secret_kinds,
    tag_value_is_secret,
)
from scalewarden.checks.model import Check, Finding, Severity, Status

TOPIC = "data-protection"


def _sensitive_names(
    check: Check, account: AccountInventory, region: RegionInventory | None
) -> list[Finding]:
    assert region is not None
    findings: list[Finding] = []
    checked = 0

    def fail(
        resource_id: str, what: str, name: str, kinds: list[str], arn: str | None, **extra: Any
    ) -> None:
        """One FAIL; ``arn`` must already be safe to show (see ``safe_arn``)."""
        evidence: dict[str, Any] = {"where": what, "name": name, "kinds": kinds}
        evidence.update(extra)
        findings.append(
            check.finding(
                account,
                region.region,
                Status.FAIL,
                resource_id,
                f"The {what} {name!r} holds what looks like: {', '.join(kinds)}.",
                resource_arn=arn or None,
                evidence=evidence,
            )
        )

    user_named: tuple[tuple[Sequence[ScalingPolicy | ScheduledAction], str, str], ...] = (
        (region.policies, "policy", "scaling policy name"),
        (region.scheduled_actions, "scheduled-action", "scheduled action name"),
    )
    for items, kind, field in user_named:
        for item in items:
            checked += 1
            kinds = secret_kinds(item.name)
            if kinds:
                where = safe_resource_id(item.namespace, item.resource_id)
                fail(
                    f"{item.namespace}:{where}:{kind}/{item.name}",
                    field,
                    item.name,
                    kinds,
                    safe_arn(item.arn, item.namespace, item.resource_id),
                )
    untagged_unknown = 0
    for target in region.targets:
        if target.tags is None:
            untagged_unknown += 1
            continue
        for key, value in sorted(target.tags.items()):
            checked += 1
            named = ["secret-named tag"] if tag_value_is_secret(key, value) else []
            kinds = list(dict.fromkeys(secret_kinds(key) + named + secret_kinds(value)))
            if kinds:
                fail(
                    f"{target_label(target)}:tag/{key}",
                    "tag of target",
                    f"{target_label(target)} {key}",
                    kinds,
                    target_arn(target),
                    tag_key=key,
                    tag_value=redact_tag_value(key, value),
                )
    resource = f"{account.account_id}/{region.region}"
    if untagged_unknown and not region.missing(Source.TAGS):
        # Targets whose own tags could not be read are not clean: say how many. (When the
        # tags source failed, the engine names it and withdraws the region-wide PASS.)
        findings.append(
            check.finding(
                account,
                region.region,
                Status.ERROR,
                f"{resource}/tags",
                f"Tags of {untagged_unknown} target(s) were not collected; they were not checked.",
            )
        )
    elif not any(f.status is Status.FAIL for f in findings):
        findings.append(
            check.finding(
                account,
                region.region,
                Status.PASS,
                resource,
                f"None of the {checked} policy names, scheduled action names and tags checked "
                "holds a secret or an e-mail address.",
                evidence={"checked": checked},
            )
        )
    return findings


def _url_credentials(
    check: Check, account: AccountInventory, region: RegionInventory | None
) -> list[Finding]:
    assert region is not None

    def verdict(target: ScalableTarget) -> tuple[Status, str, dict[str, Any]]:
        audit = audit_url(target.resource_id)
        evidence: dict[str, Any] = {
            "url": audit.redacted,
            "user_info": audit.has_userinfo,
            "secret_parameters": list(audit.secret_params),
            "secrets_in_path": list(audit.secrets_elsewhere),
        }
        tags = safe_tags(target)
        if tags is not None:
            evidence["tags"] = tags
        if not audit.unsafe:
            return Status.PASS, "The custom resource URL carries no credentials.", evidence
        reasons = []
        if audit.has_userinfo:
            reasons.append("user info (user:password@)")
        if audit.secret_params:
            reasons.append(f"secret query parameter(s) {', '.join(audit.secret_params)}")
        if audit.secrets_elsewhere:
            reasons.append(f"{', '.join(audit.secrets_elsewhere)} in the path")
        message = f"The custom resource URL carries {' and '.join(reasons)}: {audit.redacted}"
        return Status.FAIL, message, evidence

    custom = [t for t in region.targets if t.namespace == "custom-resource"]
    return per_target_findings(check, account, region, custom, verdict)


CHECKS: tuple[Check, ...] = (
    Check(
        id="sensitive_data_in_scaling_names",
        title="Secrets or personal data in scaling names or tags",
        topic=TOPIC,
        severity=Severity.MEDIUM,
        description=(
            "A scaling policy name, scheduled action name or target tag holds an e-mail "
            "address, an access key id, a token or another secret."
        ),
        risk=(
            "Names and tags are not protected as secrets: they appear in consoles, logs, "
            "CloudTrail, cost reports and every tool that reads them."
        ),
        remediation=(
            "Rename the policy or action (delete and recreate it) and remove the tag; rotate "
            "any credential that was exposed."
        ),
        remediation_snippet=(
            "aws application-autoscaling untag-resource --resource-arn <target-arn> "
            "--tag-keys <key>"
        ),
        kb_section="data-protection#sensitive-names",
        func=_sensitive_names,
        requires=(Source.SCALABLE_TARGETS, Source.SCALING_POLICIES, Source.SCHEDULED_ACTIONS),
        # Names are judged without tags (SecurityAudit cannot read them); "nothing found"
        # needs every tag.
        absence_requires=(Source.TAGS,),
    ),
    Check(
        id="custom_resource_url_credentials",
        title="Credentials in a custom resource URL",
        topic=TOPIC,
        severity=Severity.HIGH,
        description=(
            "A custom-resource scalable target's URL carries user info or secret-looking "
            "query parameters."
        ),
        risk=(
            "The resource id is readable by anyone with Describe permissions and is recorded "
            "in CloudTrail: the credential is effectively public inside the account."
        ),
        remediation=(
            "Authenticate the API Gateway endpoint with IAM (SigV4) instead, deregister the "
            "target, register it again with a clean URL, and rotate the credential."
        ),
        remediation_snippet=(
            "aws application-autoscaling deregister-scalable-target --service-namespace "
            "custom-resource --scalable-dimension custom-resource:ResourceType:Property "
            "--resource-id <url>"
        ),
        kb_section="data-protection#custom-resource-endpoint",
        func=_url_credentials,
        requires=(Source.SCALABLE_TARGETS,),
    ),
)
