"""The Inventory: everything a scan knows about one account, collected once.

Checks never call AWS. The collector (``scalewarden.aws.collector``) fills these plain,
immutable records once per account and region, and every check reads them. That is what
makes checks testable with hand-made data and the collector testable against moto.

Missing data is explicit. When a call fails (AccessDenied, throttling past retries, a
disabled region, an operation the endpoint does not implement, a timeout), the collector
records the reason under a *source* key in ``errors`` and leaves the field empty. A check
declares the sources it reads; if any is missing for a scope, the check reports ERROR for
that scope with the reason, and never PASS.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

#: The ``region`` of account-wide data and findings (IAM, the one-per-account CloudTrail
#: verdict) and of the account-wide unit in progress events and ``coverage``. One spelling
#: everywhere, so a filter on it (mutelist, ASFF's home region) sees every account-wide row.
GLOBAL_REGION = "global"


class Source(StrEnum):
    """Names of the data sources a check can depend on (keys of ``errors``).

    A ``StrEnum``: each member *is* its string, so it serialises, compares and keys ``errors``
    as the name, and ``list(Source)`` is every source, in the order below.

    Scalable targets are collected per namespace; a failure for one namespace is recorded as
    ``scalable_targets:<namespace>`` so the message can say which one. ``missing()`` treats a
    source name as a prefix, so a check that requires ``SCALABLE_TARGETS`` sees all of them.
    """

    SCALABLE_TARGETS = "scalable_targets"
    SCALING_POLICIES = "scaling_policies"
    SCHEDULED_ACTIONS = "scheduled_actions"
    SCALING_ACTIVITIES = "scaling_activities"
    TAGS = "tags"
    ALARMS = "cloudwatch_alarms"
    DYNAMODB_TABLES = "dynamodb_tables"
    VPCS = "vpcs"
    VPC_ENDPOINTS = "vpc_endpoints"
    SECURITY_GROUPS = "security_groups"
    TRAILS = "cloudtrail_trails"
    EVENT_RULES = "eventbridge_rules"
    CONFIG_RECORDERS = "config_recorders"
    SECURITY_HUB = "securityhub"
    # Account-wide (collected once per account, not per region)
    IAM_AUTHORIZATION = "iam_authorization"


#: The sources collected per region (every source but the account-wide ones).
REGIONAL_SOURCES: tuple[Source, ...] = tuple(s for s in Source if s is not Source.IAM_AUTHORIZATION)


def _missing(errors: Mapping[str, str], sources: tuple[str, ...]) -> dict[str, str]:
    """The subset of ``errors`` whose key is one of ``sources`` or starts with ``source:``."""
    out: dict[str, str] = {}
    for key, reason in errors.items():
        base = key.split(":", 1)[0]
        if key in sources or base in sources:
            out[key] = reason
    return out


@dataclass(frozen=True)
class SuspendedState:
    """``SuspendedState`` of a scalable target: which kinds of scaling are switched off."""

    dynamic_scaling_in: bool = False
    dynamic_scaling_out: bool = False
    scheduled_scaling: bool = False

    @property
    def any(self) -> bool:
        return self.dynamic_scaling_in or self.dynamic_scaling_out or self.scheduled_scaling


@dataclass(frozen=True)
class ScalableTarget:
    """One registered scalable target (``DescribeScalableTargets``) with its tags."""

    namespace: str
    resource_id: str
    scalable_dimension: str
    min_capacity: int
    max_capacity: int
    role_arn: str | None = None
    suspended: SuspendedState = field(default_factory=SuspendedState)
    arn: str | None = None
    created_at: datetime | None = None
    #: Tags from ``ListTagsForResource``; ``None`` when they could not be read.
    tags: Mapping[str, str] | None = None

    @property
    def key(self) -> tuple[str, str, str]:
        """(namespace, resource id, dimension): how policies and actions refer to a target."""
        return (self.namespace, self.resource_id, self.scalable_dimension)


@dataclass(frozen=True)
class ScalingPolicy:
    """A scaling policy (``DescribeScalingPolicies``)."""

    name: str
    arn: str
    namespace: str
    resource_id: str
    scalable_dimension: str
    policy_type: str
    #: Names of the CloudWatch alarms the policy is wired to (target tracking creates its own).
    alarm_names: tuple[str, ...] = ()

    @property
    def target_key(self) -> tuple[str, str, str]:
        return (self.namespace, self.resource_id, self.scalable_dimension)


@dataclass(frozen=True)
class ScheduledAction:
    """A scheduled action (``DescribeScheduledActions``)."""

    name: str
    arn: str
    namespace: str
    resource_id: str
    scalable_dimension: str
    schedule: str
    start_time: datetime | None = None
    end_time: datetime | None = None

    @property
    def target_key(self) -> tuple[str, str, str]:
        return (self.namespace, self.resource_id, self.scalable_dimension)


@dataclass(frozen=True)
class ScalingActivity:
    """A scaling activity (``DescribeScalingActivities``), recent ones only."""

    activity_id: str
    namespace: str
    resource_id: str
    scalable_dimension: str
    status_code: str
    status_message: str | None = None
    cause: str | None = None
    start_time: datetime | None = None


@dataclass(frozen=True)
class DynamoDBTable:
    """A DynamoDB table: its billing mode and global secondary indexes."""

    name: str
    arn: str
    #: ``PROVISIONED`` or ``PAY_PER_REQUEST`` (on-demand).
    billing_mode: str
    gsi_names: tuple[str, ...] = ()


@dataclass(frozen=True)
class IngressRule:
    """One inbound permission of a security group, flattened."""

    protocol: str  # "tcp", "udp", "icmp" or "-1" for all
    from_port: int | None
    to_port: int | None
    ipv4_ranges: tuple[str, ...] = ()
    ipv6_ranges: tuple[str, ...] = ()


@dataclass(frozen=True)
class SecurityGroup:
    group_id: str
    vpc_id: str | None
    ingress: tuple[IngressRule, ...] = ()


@dataclass(frozen=True)
class VpcEndpoint:
    """A VPC endpoint for the Application Auto Scaling service of the region."""

    endpoint_id: str
    vpc_id: str
    service_name: str
    endpoint_type: str
    state: str
    #: The endpoint policy as a JSON string; AWS returns the full-access default when unset.
    policy_document: str | None
    private_dns_enabled: bool
    security_group_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class Trail:
    """A CloudTrail trail as seen from one region, with its status and selectors."""

    name: str
    arn: str
    home_region: str
    is_multi_region: bool
    is_logging: bool
    log_file_validation: bool
    #: True when the trail's (basic or advanced) selectors record write management events.
    records_write_management_events: bool


@dataclass(frozen=True)
class EventRule:
    """An EventBridge rule on any event bus of the region."""

    name: str
    arn: str
    state: str  # ENABLED / DISABLED / ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS
    event_bus: str
    #: The event pattern as a JSON string, ``None`` for scheduled rules.
    event_pattern: str | None


@dataclass(frozen=True)
class ConfigRecorder:
    name: str
    recording: bool


@dataclass
class RegionInventory:
    """What one account looks like in one region."""

    account_id: str
    region: str
    targets: list[ScalableTarget] = field(default_factory=list)
    policies: list[ScalingPolicy] = field(default_factory=list)
    scheduled_actions: list[ScheduledAction] = field(default_factory=list)
    activities: list[ScalingActivity] = field(default_factory=list)
    #: Names of the CloudWatch alarms referenced by scaling policies that still exist.
    existing_alarm_names: set[str] = field(default_factory=set)
    dynamodb_tables: list[DynamoDBTable] = field(default_factory=list)
    vpc_ids: list[str] = field(default_factory=list)
    #: Endpoints whose service is ``com.amazonaws.<region>.application-autoscaling``.
    vpc_endpoints: list[VpcEndpoint] = field(default_factory=list)
    security_groups: dict[str, SecurityGroup] = field(default_factory=dict)
    trails: list[Trail] = field(default_factory=list)
    event_rules: list[EventRule] = field(default_factory=list)
    config_recorders: list[ConfigRecorder] = field(default_factory=list)
    #: ``True``/``False`` once known; ``None`` only together with an error.
    securityhub_enabled: bool | None = None
    #: Source key (see ``Source``) → why it could not be collected.
    errors: dict[str, str] = field(default_factory=dict)

    def missing(self, *sources: str) -> dict[str, str]:
        """Which of ``sources`` could not be collected here, with the reasons."""
        return _missing(self.errors, sources)

    @property
    def namespaces_with_targets(self) -> set[str]:
        return {t.namespace for t in self.targets}


@dataclass
class IamAuthorization:
    """``GetAccountAuthorizationDetails`` as returned by AWS (all pages merged).

    Kept close to the API shape (lists of dicts with ``UserName``, ``RolePolicyList``,
    ``AttachedManagedPolicies``, ``PolicyVersionList`` …) because the IAM checks need all of it
    and a translation layer would only lose fields.
    """

    users: list[dict[str, Any]] = field(default_factory=list)
    groups: list[dict[str, Any]] = field(default_factory=list)
    roles: list[dict[str, Any]] = field(default_factory=list)
    policies: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class AccountInventory:
    """One account: the account-wide data plus one ``RegionInventory`` per scanned region."""

    account_id: str
    account_name: str | None = None
    iam: IamAuthorization | None = None
    regions: dict[str, RegionInventory] = field(default_factory=dict)
    #: Account-wide source key → reason (e.g. ``iam_authorization``).
    errors: dict[str, str] = field(default_factory=dict)

    def missing(self, *sources: str) -> dict[str, str]:
        return _missing(self.errors, sources)
