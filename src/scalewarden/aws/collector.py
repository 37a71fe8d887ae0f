"""The concurrent collector: one ``AccountInventory`` per account, every API call made once.

Work is split into small tasks on a shared ``WorkPool`` (bounded threads, see
``workpool.py``): one task per page of a listing, one per leaf call (tags of a target, a
DynamoDB table, a trail's status). A page task submits the next page at chain priority, so the
longest chains (scalable targets of a busy namespace, IAM authorization details) never wait
behind the fan-out they create.

Nothing is fetched twice and nothing is fetched for nothing:

* policies, scheduled actions and activities are listed only for namespaces that have
  targets (AWS deletes them with the target, so an empty namespace has none);
* referenced alarms are read once per region, after every policy is known, 100 names a call;
* a multi-region trail's status and selectors are read once per account, not per region;
* the activities listing stops at the first page older than the look-back window (AWS
  returns activities newest first);
* after AccessDenied, a disabled region or an operation the endpoint does not implement,
  the same operation is not retried for the rest of that account and region. AccessDenied on
  a call that names a service namespace is remembered for that namespace only: AAS grants
  permissions per scalable target, so a policy may deny ``ecs`` and allow ``dynamodb``.

Every failure becomes ``errors[source]`` with a reason (``errors.describe_error``); the
collection itself always completes.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache, partial
from typing import Any

from scalewarden.aws.errors import describe_error
from scalewarden.aws.inventory import (
    GLOBAL_REGION,
    AccountInventory,
    ConfigRecorder,
    DynamoDBTable,
    EventRule,
    IamAuthorization,
    IngressRule,
    RegionInventory,
    ScalableTarget,
    ScalingActivity,
    ScalingPolicy,
    ScheduledAction,
    SecurityGroup,
    Source,
    SuspendedState,
    Trail,
    VpcEndpoint,
)
from scalewarden.aws.regions import aas_endpoint_service_names
from scalewarden.aws.session import ClientFactory
from scalewarden.aws.workpool import CHAIN, FOLLOW_UP, LEAF, SOURCE, WorkPool

log = logging.getLogger(__name__)

#: Largest page each operation accepts: fewer pages means fewer round trips.
PAGE_SIZES: dict[str, tuple[str, int]] = {
    "describe_scalable_targets": ("MaxResults", 50),
    "describe_scaling_policies": ("MaxResults", 50),
    "describe_scheduled_actions": ("MaxResults", 50),
    "describe_scaling_activities": ("MaxResults", 50),
    "get_account_authorization_details": ("MaxItems", 1000),
    "list_tables": ("Limit", 100),
    "describe_vpcs": ("MaxResults", 1000),
    "describe_vpc_endpoints": ("MaxResults", 1000),
    "list_rules": ("Limit", 100),
    "list_event_buses": ("Limit", 100),
    "describe_alarms": ("MaxRecords", 100),
}
ALARM_BATCH = 100
#: Error categories after which the same operation is not attempted again in that scope.
_STICKY = ("AccessDenied", "RegionDisabled", "NotImplemented", "EndpointUnreachable")


@lru_cache(maxsize=1)
def aas_namespaces() -> tuple[str, ...]:
    """The service namespaces AWS knows, read from botocore's model (never a stale list)."""
    import botocore.session

    model = botocore.session.get_session().get_service_model("application-autoscaling")
    return tuple(model.shape_for("ServiceNamespace").enum)


def global_region(regions: Iterable[str]) -> str:
    """The region to address global services (IAM) from, in the scanned partition.

    IAM has one endpoint per partition; using its home region rather than the first scanned
    region keeps account-wide data independent of whether that region is enabled.
    """
    first = next(iter(regions), "us-east-1")
    if first.startswith("cn-"):
        return "cn-north-1"
    if first.startswith("us-gov-"):
        return "us-gov-west-1"
    return "us-east-1"


@dataclass(frozen=True)
class ProgressUpdate:
    """One unit (an account's region, or its ``global`` IAM data) finished or failed."""

    account_id: str
    region: str
    phase: str  # "collecting" | "done" | "error"


ProgressHook = Callable[[ProgressUpdate], None]


#: Sources that cannot be collected without another one.
_SOURCE_NEEDS: dict[str, tuple[str, ...]] = {
    Source.ALARMS: (Source.SCALING_POLICIES,),
    Source.SCALING_POLICIES: (Source.SCALABLE_TARGETS,),
    Source.SCHEDULED_ACTIONS: (Source.SCALABLE_TARGETS,),
    Source.SCALING_ACTIVITIES: (Source.SCALABLE_TARGETS,),
    Source.TAGS: (Source.SCALABLE_TARGETS,),
    Source.SECURITY_GROUPS: (Source.VPC_ENDPOINTS,),
}


def sources_closure(sources: Iterable[str]) -> frozenset[str]:
    """``sources`` plus everything they are derived from (e.g. alarms need policies)."""
    out: set[str] = set()
    todo = [s.split(":", 1)[0] for s in sources]
    while todo:
        src = todo.pop()
        if src not in out:
            out.add(src)
            todo.extend(_SOURCE_NEEDS.get(src, ()))
    return frozenset(out)


@dataclass(frozen=True)
class CollectorOptions:
    """Tuning and scope of a collection.

    ``sources`` limits collection to what the selected checks read (``None`` = everything):
    a one-check scan then makes only the calls that check needs.
    """

    max_workers: int = 16
    activity_days: int = 7
    namespaces: tuple[str, ...] | None = None
    sources: frozenset[str] | None = None


def _aware(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return None


# --------------------------------------------------------------------------------------------
# Translation from API shapes to inventory records (pure)
# --------------------------------------------------------------------------------------------


def to_target(raw: dict[str, Any], tags: dict[str, str] | None) -> ScalableTarget:
    state = raw.get("SuspendedState") or {}
    return ScalableTarget(
        namespace=raw["ServiceNamespace"],
        resource_id=raw["ResourceId"],
        scalable_dimension=raw["ScalableDimension"],
        min_capacity=int(raw.get("MinCapacity", 0)),
        max_capacity=int(raw.get("MaxCapacity", 0)),
        role_arn=raw.get("RoleARN"),
        suspended=SuspendedState(
            dynamic_scaling_in=bool(state.get("DynamicScalingInSuspended")),
            dynamic_scaling_out=bool(state.get("DynamicScalingOutSuspended")),
            scheduled_scaling=bool(state.get("ScheduledScalingSuspended")),
        ),
        arn=raw.get("ScalableTargetARN"),
        created_at=_aware(raw.get("CreationTime")),
        tags=tags,
    )


def to_policy(raw: dict[str, Any]) -> ScalingPolicy:
    return ScalingPolicy(
        name=raw["PolicyName"],
        arn=raw["PolicyARN"],
        namespace=raw["ServiceNamespace"],
        resource_id=raw["ResourceId"],
        scalable_dimension=raw["ScalableDimension"],
        policy_type=raw.get("PolicyType", ""),
        alarm_names=tuple(a["AlarmName"] for a in raw.get("Alarms") or [] if "AlarmName" in a),
    )


def to_scheduled_action(raw: dict[str, Any]) -> ScheduledAction:
    return ScheduledAction(
        name=raw["ScheduledActionName"],
        arn=raw["ScheduledActionARN"],
        namespace=raw["ServiceNamespace"],
        resource_id=raw["ResourceId"],
        scalable_dimension=raw.get("ScalableDimension", ""),
        schedule=raw.get("Schedule", ""),
        start_time=_aware(raw.get("StartTime")),
        end_time=_aware(raw.get("EndTime")),
    )


def to_activity(raw: dict[str, Any]) -> ScalingActivity:
    return ScalingActivity(
        activity_id=raw["ActivityId"],
        namespace=raw["ServiceNamespace"],
        resource_id=raw["ResourceId"],
        scalable_dimension=raw["ScalableDimension"],
        status_code=raw.get("StatusCode", ""),
        status_message=raw.get("StatusMessage"),
        cause=raw.get("Cause"),
        start_time=_aware(raw.get("StartTime")),
    )


def to_table(raw: dict[str, Any]) -> DynamoDBTable:
    billing = (raw.get("BillingModeSummary") or {}).get("BillingMode") or "PROVISIONED"
    return DynamoDBTable(
        name=raw["TableName"],
        arn=raw.get("TableArn", ""),
        billing_mode=billing,
        gsi_names=tuple(g["IndexName"] for g in raw.get("GlobalSecondaryIndexes") or []),
    )


def to_security_group(raw: dict[str, Any]) -> SecurityGroup:
    rules = tuple(
        IngressRule(
            protocol=str(p.get("IpProtocol", "-1")),
            from_port=p.get("FromPort"),
            to_port=p.get("ToPort"),
            ipv4_ranges=tuple(r["CidrIp"] for r in p.get("IpRanges") or [] if "CidrIp" in r),
            ipv6_ranges=tuple(r["CidrIpv6"] for r in p.get("Ipv6Ranges") or [] if "CidrIpv6" in r),
        )
        for p in raw.get("IpPermissions") or []
    )
    return SecurityGroup(group_id=raw["GroupId"], vpc_id=raw.get("VpcId"), ingress=rules)


def to_endpoint(raw: dict[str, Any]) -> VpcEndpoint:
    return VpcEndpoint(
        endpoint_id=raw["VpcEndpointId"],
        vpc_id=raw.get("VpcId", ""),
        service_name=raw.get("ServiceName", ""),
        endpoint_type=raw.get("VpcEndpointType", ""),
        state=raw.get("State", ""),
        policy_document=raw.get("PolicyDocument"),
        private_dns_enabled=bool(raw.get("PrivateDnsEnabled")),
        security_group_ids=tuple(g["GroupId"] for g in raw.get("Groups") or []),
    )


def records_write_management_events(selectors: dict[str, Any]) -> bool:
    """Whether a trail's basic or advanced selectors record write management events."""
    for sel in selectors.get("EventSelectors") or []:
        if sel.get("IncludeManagementEvents", True) and sel.get("ReadWriteType", "All") in (
            "All",
            "WriteOnly",
        ):
            return True
    for adv in selectors.get("AdvancedEventSelectors") or []:
        fields = {f.get("Field"): f for f in adv.get("FieldSelectors") or []}
        category = fields.get("eventCategory") or {}
        if "Management" not in (category.get("Equals") or []):
            continue
        read_only = fields.get("readOnly") or {}
        if "true" in [str(v).lower() for v in read_only.get("Equals") or []]:
            continue
        return True
    return False


def to_event_rule(raw: dict[str, Any], bus: str) -> EventRule:
    return EventRule(
        name=raw["Name"],
        arn=raw.get("Arn", ""),
        state=raw.get("State", ""),
        event_bus=raw.get("EventBusName", bus),
        event_pattern=raw.get("EventPattern"),
    )


# --------------------------------------------------------------------------------------------
# Collection state
# --------------------------------------------------------------------------------------------


@dataclass
class _RegionState:
    """Everything gathered for one account and region, written by many worker threads."""

    region: str
    lock: threading.Lock = field(default_factory=threading.Lock)
    pending: int = 0
    raw_targets: list[dict[str, Any]] = field(default_factory=list)
    tags: dict[str, dict[str, str]] = field(default_factory=dict)
    policies: list[ScalingPolicy] = field(default_factory=list)
    actions: list[ScheduledAction] = field(default_factory=list)
    activities: list[ScalingActivity] = field(default_factory=list)
    alarms: set[str] = field(default_factory=set)
    tables: list[DynamoDBTable] = field(default_factory=list)
    vpc_ids: list[str] = field(default_factory=list)
    endpoints: list[VpcEndpoint] = field(default_factory=list)
    security_groups: dict[str, SecurityGroup] = field(default_factory=dict)
    trails: list[dict[str, Any]] = field(default_factory=list)
    rules: list[EventRule] = field(default_factory=list)
    recorders: list[ConfigRecorder] = field(default_factory=list)
    securityhub: bool | None = None
    errors: dict[str, str] = field(default_factory=dict)
    broken: dict[str, str] = field(default_factory=dict)
    #: Namespace target chains still running + policy chains still running.
    alarm_wait: int = 0
    namespaces_started: set[str] = field(default_factory=set)


class AccountCollector:
    """Collects one account on a shared pool; ``inventory()`` assembles the result."""

    def __init__(
        self,
        clients: ClientFactory,
        account_id: str,
        account_name: str | None,
        regions: Iterable[str],
        pool: WorkPool,
        *,
        options: CollectorOptions | None = None,
        progress: ProgressHook | None = None,
        now: datetime | None = None,
    ) -> None:
        self.clients = clients
        self.account_id = account_id
        self.account_name = account_name
        self.regions = list(regions)
        self.pool = pool
        self.options = options or CollectorOptions()
        self.progress = progress
        self.now = now or datetime.now(UTC)
        self.namespaces = (
            aas_namespaces() if self.options.namespaces is None else self.options.namespaces
        )
        wanted = self.options.sources
        self._wanted = None if wanted is None else sources_closure(wanted)
        self._states = {r: _RegionState(r) for r in self.regions}
        self._lock = threading.Lock()
        self._iam = IamAuthorization()
        self._iam_error: str | None = None
        self._alias: str | None = None
        self._global_pending = 0
        #: Trail ARN → ("ok", status, selectors) | ("error", reason); read once per account.
        self._trail_info: dict[str, tuple[str, Any, Any]] = {}
        self._trail_requested: set[str] = set()

    def wants(self, source: str) -> bool:
        return self._wanted is None or source in self._wanted

    # -- task bookkeeping --------------------------------------------------------------------

    def _submit(self, region: str, task: Callable[[], None], priority: int) -> None:
        """Run ``task`` for ``region`` (or account-wide), tracking when the unit is finished."""
        if region == GLOBAL_REGION:
            with self._lock:
                self._global_pending += 1
        else:
            st = self._states[region]
            with st.lock:
                st.pending += 1

        def wrapped() -> None:
            try:
                task()
            except Exception as exc:  # a bug here must cost coverage, never a PASS or a crash
                log.exception("collector task failed for %s/%s", self.account_id, region)
                self._fail_everything(region, f"internal collector error: {exc!r}")
            finally:
                self._finish(region)

        self.pool.submit(wrapped, priority)

    def _finish(self, region: str) -> None:
        if region == GLOBAL_REGION:
            with self._lock:
                self._global_pending -= 1
                left = self._global_pending
                failed = self._iam_error is not None
        else:
            st = self._states[region]
            with st.lock:
                st.pending -= 1
                left = st.pending
                failed = bool(st.errors)
        if left == 0 and self.progress is not None:
            self.progress(ProgressUpdate(self.account_id, region, "error" if failed else "done"))

    def _call(
        self,
        region: str,
        source: str,
        service: str,
        op: str,
        namespace: str | None = None,
        **kwargs: Any,
    ) -> Any:
        """One API call; on failure records ``errors[source]`` and returns ``None``.

        ``namespace`` is the AAS service namespace the call concerns, when it concerns one
        (it scopes a remembered AccessDenied); ``ServiceNamespace`` in ``kwargs`` counts too.
        """
        scope = namespace or kwargs.get("ServiceNamespace")
        sticky = self._known_failure(region, service, op, scope)
        if sticky is not None:
            self._fail(region, source, sticky)
            return None
        try:
            return getattr(self.clients.client(service, region), op)(**kwargs)
        except Exception as exc:
            reason = describe_error(exc, _op_name(op))
            self._remember_failure(region, service, op, reason, scope)
            self._fail(region, source, reason)
            return None

    def _known_failure(
        self, region: str, service: str, op: str, namespace: str | None = None
    ) -> str | None:
        """The reason ``op`` is known to fail here (disabled region, denied …), if any."""
        st = self._states.get(region)
        if st is None:
            return None
        with st.lock:
            found = st.broken.get("*") or st.broken.get(f"{service}:{op}")
            if found is None and namespace:
                found = st.broken.get(f"{service}:{op}:{namespace}")
            return found

    def _remember_failure(
        self, region: str, service: str, op: str, reason: str, namespace: str | None = None
    ) -> None:
        """Make failures that retrying cannot fix stick: a disabled region for every call
        there, unimplemented / unreachable for that operation, AccessDenied for that
        operation and namespace.

        Only AccessDenied is narrowed to the namespace: IAM can allow a namespace's targets and
        deny another's (resource-level permissions on scalable targets), whereas an endpoint
        that does not implement an operation or cannot be reached fails it for every
        namespace, and asking again per namespace would only cost calls.
        """
        st = self._states.get(region)
        if st is None or not reason.startswith(_STICKY):
            return
        if reason.startswith("RegionDisabled"):
            key = "*"
        elif namespace and reason.startswith("AccessDenied"):
            key = f"{service}:{op}:{namespace}"
        else:
            key = f"{service}:{op}"
        with st.lock:
            st.broken[key] = reason

    def _fail_everything(self, region: str, reason: str) -> None:
        """Mark every source of ``region`` (or the account-wide data) as not collected."""
        if region == GLOBAL_REGION:
            with self._lock:
                self._iam_error = self._iam_error or reason
            return
        for name, value in vars(Source).items():
            if name.isupper() and value != Source.IAM_AUTHORIZATION:
                self._fail(region, value, reason)

    def _fail(self, region: str, source: str, reason: str) -> None:
        st = self._states[region]
        with st.lock:
            st.errors.setdefault(source, reason)

    def _chain(
        self,
        region: str,
        source: str,
        service: str,
        op: str,
        kwargs: dict[str, Any],
        on_page: Callable[[dict[str, Any]], bool],
        on_done: Callable[[bool], None] | None = None,
        priority: int = CHAIN,
        client_region: str | None = None,
    ) -> None:
        """Page through ``op``: one task per page, the next page at chain priority.

        ``on_page`` returns False to stop early (no further pages requested).
        """
        st_region = region if region != GLOBAL_REGION else None
        call_region = client_region or region
        params = dict(kwargs)
        if op in PAGE_SIZES:
            name, size = PAGE_SIZES[op]
            params.setdefault(name, size)
        state: dict[str, Any] = {"iter": None}
        namespace = kwargs.get("ServiceNamespace")

        def step() -> None:
            # Account-wide (IAM) calls go to a global endpoint: a region's state is irrelevant.
            regional = st_region is not None
            sticky = self._known_failure(call_region, service, op, namespace) if regional else None
            if sticky is not None and state["iter"] is None:
                if st_region is not None:
                    self._fail(st_region, source, sticky)
                if on_done is not None:
                    on_done(False)
                return
            try:
                client = self.clients.client(service, call_region)
                if state["iter"] is None:
                    if client.can_paginate(op):
                        size_key = PAGE_SIZES.get(op, ("", 0))[0]
                        page_size = params.pop(size_key, None) if size_key else None
                        config = {"PageSize": page_size} if page_size else {}
                        pages = client.get_paginator(op).paginate(**params, PaginationConfig=config)
                    else:
                        pages = _manual_pages(getattr(client, op), params)
                    state["iter"] = iter(pages)
                page = next(state["iter"])
            except StopIteration:
                if on_done is not None:
                    on_done(True)
                return
            except Exception as exc:
                reason = describe_error(exc, _op_name(op))
                if regional:
                    self._remember_failure(call_region, service, op, reason, namespace)
                if st_region is None:
                    with self._lock:
                        self._iam_error = self._iam_error or reason
                else:
                    self._fail(st_region, source, reason)
                if on_done is not None:
                    on_done(False)
                return
            if on_page(page):
                self._submit(region, step, priority)
            elif on_done is not None:
                on_done(True)

        self._submit(region, step, priority)

    # -- entry point -------------------------------------------------------------------------

    def start(self) -> None:
        """Submit the first task of every chain; longest chains first."""
        if self.progress is not None:
            self.progress(ProgressUpdate(self.account_id, GLOBAL_REGION, "collecting"))
            for region in self.regions:
                self.progress(ProgressUpdate(self.account_id, region, "collecting"))
        # Hold every unit open while submitting, so that a fast first task cannot make a
        # region look finished before its other chains were even queued.
        with self._lock:
            self._global_pending += 1
        for st in self._states.values():
            with st.lock:
                st.pending += 1
        if self.wants(Source.IAM_AUTHORIZATION):
            self._start_iam()
        if self.account_name is None:
            # Findings carry the account's name where known: its alias, one call.
            self._submit(GLOBAL_REGION, self._alias_lookup, SOURCE)
        if self.wants(Source.SCALABLE_TARGETS):
            for region in self.regions:
                self._start_aas(region)
        for region in self.regions:
            self._start_region_sources(region)
        self._finish(GLOBAL_REGION)
        for region in self.regions:
            self._finish(region)

    # -- account-wide ------------------------------------------------------------------------

    def _start_iam(self) -> None:
        home = global_region(self.regions)

        def on_page(page: dict[str, Any]) -> bool:
            with self._lock:
                self._iam.users.extend(page.get("UserDetailList") or [])
                self._iam.groups.extend(page.get("GroupDetailList") or [])
                self._iam.roles.extend(page.get("RoleDetailList") or [])
                self._iam.policies.extend(page.get("Policies") or [])
            return True

        self._chain(
            GLOBAL_REGION,
            Source.IAM_AUTHORIZATION,
            "iam",
            "get_account_authorization_details",
            {},
            on_page,
            client_region=home,
        )

    def _alias_lookup(self) -> None:
        home = global_region(self.regions)
        try:
            names = self.clients.client("iam", home).list_account_aliases().get("AccountAliases")
            self._alias = names[0] if names else None
        except Exception:  # a name is a nicety; its absence is not a coverage gap
            self._alias = None

    # -- Application Auto Scaling ------------------------------------------------------------

    def _start_aas(self, region: str) -> None:
        st = self._states[region]
        st.alarm_wait = len(self.namespaces)
        for ns in self.namespaces:
            self._start_targets(region, ns)

    def _start_targets(self, region: str, ns: str) -> None:
        st = self._states[region]

        def on_page(page: dict[str, Any]) -> bool:
            targets = page.get("ScalableTargets") or []
            start_followups = False
            with st.lock:
                st.raw_targets.extend(targets)
                if targets and ns not in st.namespaces_started:
                    st.namespaces_started.add(ns)
                    if self.wants(Source.SCALING_POLICIES):
                        st.alarm_wait += 1  # the policies chain of this namespace
                    start_followups = True
            if start_followups:
                self._start_namespace_followups(region, ns)
            for t in targets if self.wants(Source.TAGS) else ():
                arn = t.get("ScalableTargetARN")
                if arn:
                    self._submit(region, partial(self._tags, region, arn, ns), LEAF)
            return True

        self._chain(
            region,
            f"{Source.SCALABLE_TARGETS}:{ns}",
            "application-autoscaling",
            "describe_scalable_targets",
            {"ServiceNamespace": ns},
            on_page,
            on_done=lambda ok: self._alarm_dependency_done(region),
        )

    def _tags(self, region: str, arn: str, namespace: str) -> None:
        resp = self._call(
            region,
            Source.TAGS,
            "application-autoscaling",
            "list_tags_for_resource",
            namespace,
            ResourceARN=arn,
        )
        if resp is not None:
            st = self._states[region]
            with st.lock:
                st.tags[arn] = dict(resp.get("Tags") or {})

    def _start_namespace_followups(self, region: str, ns: str) -> None:
        st = self._states[region]
        aas = "application-autoscaling"

        def policies(page: dict[str, Any]) -> bool:
            found = [to_policy(p) for p in page.get("ScalingPolicies") or []]
            with st.lock:
                st.policies.extend(found)
            return True

        def actions(page: dict[str, Any]) -> bool:
            found = [to_scheduled_action(a) for a in page.get("ScheduledActions") or []]
            with st.lock:
                st.actions.extend(found)
            return True

        since = self.now - timedelta(days=self.options.activity_days)

        def activities(page: dict[str, Any]) -> bool:
            found = [to_activity(a) for a in page.get("ScalingActivities") or []]
            recent = [a for a in found if a.start_time is None or a.start_time >= since]
            with st.lock:
                st.activities.extend(recent)
            # Newest first: once a page reaches past the window, later pages are older still.
            return len(recent) == len(found)

        ns_arg = {"ServiceNamespace": ns}
        chains: list[tuple[str, str, Callable[[dict[str, Any]], bool]]] = [
            (Source.SCALING_POLICIES, "describe_scaling_policies", policies),
            (Source.SCHEDULED_ACTIONS, "describe_scheduled_actions", actions),
            (Source.SCALING_ACTIVITIES, "describe_scaling_activities", activities),
        ]
        for source, op, on_page in chains:
            if not self.wants(source):
                continue
            # Recorded per namespace, as targets are, so the reason says which one failed.
            keyed = f"{source}:{ns}"
            done = (
                (lambda ok: self._alarm_dependency_done(region))
                if source == Source.SCALING_POLICIES
                else None
            )
            self._chain(region, keyed, aas, op, ns_arg, on_page, on_done=done, priority=FOLLOW_UP)

    def _alarm_dependency_done(self, region: str) -> None:
        """Once every namespace's targets and policies are known, read the alarms once."""
        st = self._states[region]
        with st.lock:
            st.alarm_wait -= 1
            if st.alarm_wait:
                return
            names = sorted({n for p in st.policies for n in p.alarm_names})
        for i in range(0, len(names), ALARM_BATCH):
            batch = names[i : i + ALARM_BATCH]
            self._submit(region, partial(self._alarms, region, batch), LEAF)

    def _alarms(self, region: str, names: list[str]) -> None:
        found: set[str] = set()

        def on_page(page: dict[str, Any]) -> bool:
            for kind in ("MetricAlarms", "CompositeAlarms"):
                found.update(a["AlarmName"] for a in page.get(kind) or [])
            return True

        def done(ok: bool) -> None:
            st = self._states[region]
            with st.lock:
                st.alarms.update(found)

        self._chain(
            region,
            Source.ALARMS,
            "cloudwatch",
            "describe_alarms",
            {"AlarmNames": names, "AlarmTypes": ["MetricAlarm", "CompositeAlarm"]},
            on_page,
            on_done=done,
            priority=LEAF,
        )

    # -- other regional sources --------------------------------------------------------------

    def _start_region_sources(self, region: str) -> None:
        if self.wants(Source.DYNAMODB_TABLES):
            self._start_dynamodb(region)
        if self.wants(Source.VPCS) or self.wants(Source.VPC_ENDPOINTS):
            self._start_vpc(region)
        if self.wants(Source.TRAILS):
            self._start_trails(region)
        if self.wants(Source.EVENT_RULES):
            self._start_events(region)
        if self.wants(Source.CONFIG_RECORDERS):
            self._submit(region, partial(self._config, region), SOURCE)
        if self.wants(Source.SECURITY_HUB):
            self._submit(region, partial(self._securityhub, region), SOURCE)

    def _start_dynamodb(self, region: str) -> None:
        st = self._states[region]

        def describe(name: str) -> None:
            resp = self._call(
                region, Source.DYNAMODB_TABLES, "dynamodb", "describe_table", TableName=name
            )
            if resp is not None:
                with st.lock:
                    st.tables.append(to_table(resp["Table"]))

        def on_page(page: dict[str, Any]) -> bool:
            for name in page.get("TableNames") or []:
                self._submit(region, partial(describe, name), LEAF)
            return True

        self._chain(
            region, Source.DYNAMODB_TABLES, "dynamodb", "list_tables", {}, on_page, priority=SOURCE
        )

    def _start_vpc(self, region: str) -> None:
        st = self._states[region]

        def vpcs(page: dict[str, Any]) -> bool:
            with st.lock:
                st.vpc_ids.extend(v["VpcId"] for v in page.get("Vpcs") or [])
            return True

        if self.wants(Source.VPCS):
            self._chain(region, Source.VPCS, "ec2", "describe_vpcs", {}, vpcs, priority=SOURCE)
        if not self.wants(Source.VPC_ENDPOINTS):
            return

        def endpoints(page: dict[str, Any]) -> bool:
            found = [to_endpoint(e) for e in page.get("VpcEndpoints") or []]
            with st.lock:
                st.endpoints.extend(found)
            return True

        def endpoints_done(ok: bool) -> None:
            with st.lock:
                group_ids = sorted({g for e in st.endpoints for g in e.security_group_ids})
            if not self.wants(Source.SECURITY_GROUPS):
                return
            if not ok:
                with st.lock:
                    why = st.errors.get(Source.VPC_ENDPOINTS, "VPC endpoints were not collected")
                self._fail(region, Source.SECURITY_GROUPS, why)
            elif group_ids:
                self._submit(region, partial(self._security_groups, region, group_ids), LEAF)

        # China regions may prefix the name with "cn.": the filter asks for every form.
        services = list(aas_endpoint_service_names(region))
        self._chain(
            region,
            Source.VPC_ENDPOINTS,
            "ec2",
            "describe_vpc_endpoints",
            {"Filters": [{"Name": "service-name", "Values": services}]},
            endpoints,
            on_done=endpoints_done,
            priority=SOURCE,
        )

    def _security_groups(self, region: str, group_ids: list[str]) -> None:
        resp = self._call(
            region, Source.SECURITY_GROUPS, "ec2", "describe_security_groups", GroupIds=group_ids
        )
        if resp is not None:
            st = self._states[region]
            with st.lock:
                for raw in resp.get("SecurityGroups") or []:
                    sg = to_security_group(raw)
                    st.security_groups[sg.group_id] = sg

    def _start_trails(self, region: str) -> None:
        st = self._states[region]

        def describe() -> None:
            resp = self._call(
                region, Source.TRAILS, "cloudtrail", "describe_trails", includeShadowTrails=True
            )
            if resp is None:
                return
            trails = resp.get("trailList") or []
            with st.lock:
                st.trails.extend(trails)
            for trail in trails:
                arn = str(trail.get("TrailARN") or trail.get("Name"))
                with self._lock:
                    if arn in self._trail_requested:
                        continue
                    self._trail_requested.add(arn)
                home = str(trail.get("HomeRegion") or region)
                self._submit(region, partial(self._trail_info_for, region, arn, home), LEAF)

        self._submit(region, describe, SOURCE)

    def _trail_info_for(self, unit: str, arn: str, home: str) -> None:
        """Status and selectors of one trail, asked of its home region, once per account."""
        results: list[Any] = []
        reason: str | None = None
        for op, kwargs in (
            ("get_trail_status", {"Name": arn}),
            ("get_event_selectors", {"TrailName": arn}),
        ):
            try:
                results.append(getattr(self.clients.client("cloudtrail", home), op)(**kwargs))
            except Exception as exc:
                reason = describe_error(exc, _op_name(op))
                self._fail(unit, Source.TRAILS, reason)
                break
        with self._lock:
            if reason is not None:
                self._trail_info[arn] = ("error", reason, None)
            else:
                self._trail_info[arn] = ("ok", results[0], results[1])

    def _start_events(self, region: str) -> None:
        st = self._states[region]

        def buses(page: dict[str, Any]) -> bool:
            for bus in page.get("EventBuses") or []:
                name = bus["Name"]

                def rules(p: dict[str, Any], name: str = name) -> bool:
                    found = [to_event_rule(r, name) for r in p.get("Rules") or []]
                    with st.lock:
                        st.rules.extend(found)
                    return True

                self._chain(
                    region,
                    Source.EVENT_RULES,
                    "events",
                    "list_rules",
                    {"EventBusName": name},
                    rules,
                    priority=FOLLOW_UP,
                )
            return True

        self._chain(
            region, Source.EVENT_RULES, "events", "list_event_buses", {}, buses, priority=SOURCE
        )

    def _config(self, region: str) -> None:
        resp = self._call(
            region, Source.CONFIG_RECORDERS, "config", "describe_configuration_recorder_status"
        )
        if resp is not None:
            st = self._states[region]
            with st.lock:
                st.recorders = [
                    ConfigRecorder(name=r.get("name", ""), recording=bool(r.get("recording")))
                    for r in resp.get("ConfigurationRecordersStatus") or []
                ]

    def _securityhub(self, region: str) -> None:
        from botocore.exceptions import ClientError

        st = self._states[region]
        sticky = self._known_failure(region, "securityhub", "describe_hub")
        if sticky is not None:
            self._fail(region, Source.SECURITY_HUB, sticky)
            return
        try:
            self.clients.client("securityhub", region).describe_hub()
            enabled = True
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code")
            # DescribeHub answers InvalidAccessException when the account is not subscribed.
            if code in ("InvalidAccessException", "ResourceNotFoundException"):
                enabled = False
            else:
                reason = describe_error(exc, "DescribeHub")
                self._remember_failure(region, "securityhub", "describe_hub", reason)
                self._fail(region, Source.SECURITY_HUB, reason)
                return
        except Exception as exc:
            reason = describe_error(exc, "DescribeHub")
            self._remember_failure(region, "securityhub", "describe_hub", reason)
            self._fail(region, Source.SECURITY_HUB, reason)
            return
        with st.lock:
            st.securityhub = enabled

    # -- result ------------------------------------------------------------------------------

    def inventory(self) -> AccountInventory:
        """Assemble the records once the pool has finished (call after ``WorkPool.run``)."""
        account = AccountInventory(
            account_id=self.account_id,
            account_name=self.account_name or self._alias,
            iam=None if self._iam_error else self._iam,
        )
        if self._iam_error:
            account.errors[Source.IAM_AUTHORIZATION] = self._iam_error
        for region, st in self._states.items():
            account.regions[region] = self._region_inventory(st)
        return account

    def _region_inventory(self, st: _RegionState) -> RegionInventory:
        errors = dict(st.errors)
        tags_ok = Source.TAGS not in errors
        targets = [
            to_target(raw, st.tags.get(raw.get("ScalableTargetARN", "")) if tags_ok else None)
            for raw in st.raw_targets
        ]
        trails: list[Trail] = []
        for raw in st.trails:
            arn = str(raw.get("TrailARN") or raw.get("Name"))
            info = self._trail_info.get(arn)
            if info is None or info[0] == "error":
                errors.setdefault(
                    Source.TRAILS, info[1] if info else "trail status was not collected"
                )
                continue
            _, status, selectors = info
            trails.append(
                Trail(
                    name=raw.get("Name", ""),
                    arn=raw.get("TrailARN", ""),
                    home_region=raw.get("HomeRegion", st.region),
                    is_multi_region=bool(raw.get("IsMultiRegionTrail")),
                    is_logging=bool(status.get("IsLogging")),
                    log_file_validation=bool(raw.get("LogFileValidationEnabled")),
                    records_write_management_events=records_write_management_events(selectors),
                )
            )
        return RegionInventory(
            account_id=self.account_id,
            region=st.region,
            targets=sorted(targets, key=lambda t: t.key),
            policies=sorted(st.policies, key=lambda p: (p.target_key, p.name)),
            scheduled_actions=sorted(st.actions, key=lambda a: (a.target_key, a.name)),
            activities=st.activities,
            existing_alarm_names=set(st.alarms),
            dynamodb_tables=sorted(st.tables, key=lambda t: t.name),
            vpc_ids=sorted(st.vpc_ids),
            vpc_endpoints=st.endpoints,
            security_groups=dict(st.security_groups),
            trails=trails,
            event_rules=st.rules,
            config_recorders=st.recorders,
            securityhub_enabled=st.securityhub,
            errors=errors,
        )


def _op_name(op: str) -> str:
    """``describe_scalable_targets`` → ``DescribeScalableTargets`` (how AWS names it)."""
    return "".join(part.capitalize() for part in op.split("_"))


def _manual_pages(method: Callable[..., Any], params: dict[str, Any]) -> Iterable[Any]:
    """Pages of an operation botocore has no paginator for (``NextToken`` style)."""
    token: str | None = None
    while True:
        args = dict(params)
        if token:
            args["NextToken"] = token
        page = method(**args)
        yield page
        token = page.get("NextToken")
        if not token:
            return


def collect_accounts(
    accounts: list[tuple[ClientFactory, str, str | None]],
    regions: Sequence[str],
    *,
    options: CollectorOptions | None = None,
    progress: ProgressHook | None = None,
    account_regions: Mapping[str, Sequence[str]] | None = None,
) -> list[AccountInventory]:
    """Collect every (clients, account id, account name) over ``regions`` on one pool.

    ``account_regions`` overrides ``regions`` per account id: with ``--regions all`` each
    account is scanned in the regions *it* has enabled, which differ between accounts.
    """
    opts = options or CollectorOptions()
    pool = WorkPool(opts.max_workers)
    per_account = account_regions or {}
    collectors = [
        AccountCollector(
            clients,
            account_id,
            name,
            per_account.get(account_id, regions),
            pool,
            options=opts,
            progress=progress,
        )
        for clients, account_id, name in accounts
    ]
    for collector in collectors:
        collector.start()
    pool.run()
    if pool.failures:
        # A bug, not an AWS failure: surface it rather than return a silently partial scan.
        raise RuntimeError(f"collector task failed: {pool.failures[0]!r}") from pool.failures[0]
    return [c.inventory() for c in collectors]


__all__ = [
    "AccountCollector",
    "CollectorOptions",
    "ProgressUpdate",
    "aas_namespaces",
    "collect_accounts",
]
