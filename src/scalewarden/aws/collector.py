"""The concurrent collector: one ``AccountInventory`` per account, every API call made once.

Work is split into small tasks on a shared ``WorkPool`` (bounded threads, see
``workpool.py``): one task per page of a listing, one per leaf call (tags of a target, a
DynamoDB table, a trail's status). A page task submits the next page at chain priority, so the
longest chains (scalable targets of a busy namespace, IAM authorization details) never wait
behind the fan-out they create. Turning answers into records is ``translate.py``'s job; this
module only schedules calls and gathers the records.

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

Every AWS call goes through one wrapper, ``AccountCollector._ask``, which applies that rule;
single calls use ``_call`` and listings ``_chain``, both built on it. Every failure becomes
``errors[source]`` with a reason (``errors.describe_error``); the collection itself always
completes.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from functools import lru_cache, partial
from typing import Any

from scalewarden.aws.errors import describe_error, error_code
from scalewarden.aws.inventory import (
    GLOBAL_REGION,
    REGIONAL_SOURCES,
    AccountInventory,
    ConfigRecorder,
    DynamoDBTable,
    EventRule,
    IamAuthorization,
    RegionInventory,
    ScalableTarget,
    ScalingActivity,
    ScalingPolicy,
    ScheduledAction,
    SecurityGroup,
    Source,
    Trail,
    VpcEndpoint,
)
from scalewarden.aws.regions import aas_endpoint_service_names
from scalewarden.aws.session import ClientFactory
from scalewarden.aws.translate import (
    alarm_names,
    to_activity,
    to_config_recorders,
    to_endpoint,
    to_event_rule,
    to_policy,
    to_scheduled_action,
    to_security_group,
    to_table,
    to_target,
    to_trail,
)
from scalewarden.aws.workpool import CHAIN, FOLLOW_UP, LEAF, SOURCE, WorkPool

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class PageSize:
    """The parameter that sets an operation's page size, and the largest value it accepts."""

    param: str
    size: int


#: Largest page each operation accepts: fewer pages means fewer round trips.
PAGE_SIZES: dict[str, PageSize] = {
    "describe_scalable_targets": PageSize("MaxResults", 50),
    "describe_scaling_policies": PageSize("MaxResults", 50),
    "describe_scheduled_actions": PageSize("MaxResults", 50),
    "describe_scaling_activities": PageSize("MaxResults", 50),
    "get_account_authorization_details": PageSize("MaxItems", 1000),
    "list_tables": PageSize("Limit", 100),
    "describe_vpcs": PageSize("MaxResults", 1000),
    "describe_vpc_endpoints": PageSize("MaxResults", 1000),
    "list_rules": PageSize("Limit", 100),
    "list_event_buses": PageSize("Limit", 100),
    "describe_alarms": PageSize("MaxRecords", 100),
}
ALARM_BATCH = 100
#: Error categories after which the same operation is not attempted again in that scope.
_STICKY = ("AccessDenied", "RegionDisabled", "NotImplemented", "EndpointUnreachable")
#: DescribeHub's answers for an account that has not subscribed to Security Hub.
_HUB_NOT_SUBSCRIBED = frozenset({"InvalidAccessException", "ResourceNotFoundException"})


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
    """One unit (an account's region, or its ``global`` IAM data) finished or failed, or
    (phase ``collecting``) one task done: ``calls_done`` of the ``calls_known`` tasks this
    account has queued so far (a task is one API call, one page of a paginated one)."""

    account_id: str
    region: str
    phase: str  # "collecting" | "done" | "error"
    calls_done: int = 0
    calls_known: int = 0


ProgressHook = Callable[[ProgressUpdate], None]


#: Sources that cannot be collected without another one.
_SOURCE_NEEDS: Mapping[str, tuple[Source, ...]] = {
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


# --------------------------------------------------------------------------------------------
# Collection state
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Answer:
    """What one AWS call gave: its ``response``; or an error code the caller declared to mean
    "there is none" (``absent``, e.g. Security Hub not subscribed); or why it failed
    (``error``, a ``describe_error`` reason)."""

    response: Any = None
    absent: str | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.absent is None and self.error is None


@dataclass(frozen=True, slots=True)
class _TrailResult:
    """A trail read in full from its home region (``trail``), or why it could not be."""

    trail: Trail | None = None
    error: str | None = None


@dataclass(frozen=True, slots=True)
class _FollowUp:
    """A listing started for each namespace once it is known to have targets."""

    source: Source
    op: str
    on_page: Callable[[dict[str, Any]], bool]


@dataclass(slots=True)
class _Pager:
    """The page iterator of one listing, created by its first page task."""

    pages: Iterator[Any] | None = None


class KnownFailures:
    """Failures that retrying cannot fix, per region: what stops repeated calls.

    A disabled region fails every call there; an unimplemented or unreachable operation fails
    for every namespace; AccessDenied is narrowed to the namespace when the call names one,
    because IAM can allow one namespace's targets and deny another's (resource-level
    permissions on scalable targets). Regions are any the collector called, scanned or not
    (a trail's home region may not be scanned).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._reasons: dict[str, str] = {}

    def reason(self, region: str, service: str, op: str, namespace: str | None) -> str | None:
        """Why ``op`` is known to fail in ``region`` (for ``namespace``), if it is."""
        with self._lock:
            found = self._reasons.get(f"{region} *") or self._reasons.get(
                f"{region} {service}:{op}"
            )
            if found is None and namespace:
                found = self._reasons.get(f"{region} {service}:{op}:{namespace}")
            return found

    def remember(
        self, region: str, service: str, op: str, reason: str, namespace: str | None
    ) -> None:
        """Record ``reason`` when its category makes it stick (see the class docstring)."""
        if not reason.startswith(_STICKY):
            return
        if reason.startswith("RegionDisabled"):
            key = f"{region} *"
        elif namespace and reason.startswith("AccessDenied"):
            key = f"{region} {service}:{op}:{namespace}"
        else:
            key = f"{region} {service}:{op}"
        with self._lock:
            self._reasons[key] = reason


@dataclass
class _RegionState:
    """Everything gathered for one account and region, written by many worker threads."""

    region: str
    lock: threading.Lock = field(default_factory=threading.Lock)
    pending: int = 0
    targets: list[ScalableTarget] = field(default_factory=list)
    tags: dict[str, dict[str, str]] = field(default_factory=dict)
    policies: list[ScalingPolicy] = field(default_factory=list)
    actions: list[ScheduledAction] = field(default_factory=list)
    activities: list[ScalingActivity] = field(default_factory=list)
    alarms: set[str] = field(default_factory=set)
    tables: list[DynamoDBTable] = field(default_factory=list)
    vpc_ids: list[str] = field(default_factory=list)
    endpoints: list[VpcEndpoint] = field(default_factory=list)
    security_groups: dict[str, SecurityGroup] = field(default_factory=dict)
    #: ARNs of the trails this region lists (their records are read once per account).
    trail_arns: list[str] = field(default_factory=list)
    rules: list[EventRule] = field(default_factory=list)
    recorders: list[ConfigRecorder] = field(default_factory=list)
    securityhub: bool | None = None
    errors: dict[str, str] = field(default_factory=dict)
    #: Namespace target chains still running + policy chains still running.
    alarm_wait: int = 0
    namespaces_started: set[str] = field(default_factory=set)


_END = object()  # a listing has no more pages


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
        self._known = KnownFailures()
        self._lock = threading.Lock()
        self._iam = IamAuthorization()
        self._iam_error: str | None = None
        self._alias: str | None = None
        self._global_pending = 0
        self._calls_known = 0
        self._calls_done = 0
        #: Trail ARN → the trail or why it could not be read; read once per account.
        self._trails: dict[str, _TrailResult] = {}
        self._trail_requested: set[str] = set()

    def wants(self, source: str) -> bool:
        return self._wanted is None or source in self._wanted

    # -- task bookkeeping --------------------------------------------------------------------

    def _submit(self, region: str, task: Callable[[], None], priority: int) -> None:
        """Run ``task`` for ``region`` (or account-wide), tracking when the unit is finished."""
        with self._lock:
            self._calls_known += 1
            if region == GLOBAL_REGION:
                self._global_pending += 1
        if region != GLOBAL_REGION:
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
                self._count_call(region)
                self._finish(region)

        self.pool.submit(wrapped, priority)

    def _count_call(self, region: str) -> None:
        """Report one task done, with how many are known so far (the progress bar's work)."""
        with self._lock:
            self._calls_done += 1
            done, known = self._calls_done, self._calls_known
        if self.progress is not None:
            self.progress(ProgressUpdate(self.account_id, region, "collecting", done, known))

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

    # -- the one call wrapper ----------------------------------------------------------------

    def _ask(
        self,
        unit: str,
        service: str,
        op: str,
        invoke: Callable[[], Any],
        *,
        client_region: str | None = None,
        namespace: str | None = None,
        absent: Collection[str] = (),
    ) -> Answer:
        """Make one AWS call (``invoke``) of ``service``'s ``op``, unless it is known to fail.

        ``unit`` is the region the result belongs to (or ``GLOBAL_REGION``); the call goes to
        ``client_region`` (default: ``unit``), where failures that retrying cannot fix are
        remembered and honoured. Account-wide calls go to a global endpoint, so no region's
        failures apply to them. ``namespace`` scopes a remembered AccessDenied; ``absent``
        lists error codes that are an answer ("there is none"), not a failure.
        """
        region = client_region or unit
        regional = unit != GLOBAL_REGION
        known = self._known.reason(region, service, op, namespace) if regional else None
        if known is not None:
            return Answer(error=known)
        try:
            return Answer(response=invoke())
        except Exception as exc:
            code = error_code(exc)
            if code is not None and code in absent:
                return Answer(absent=code)
            reason = describe_error(exc, _op_name(op))
        if regional:
            self._known.remember(region, service, op, reason, namespace)
        return Answer(error=reason)

    def _call(
        self,
        unit: str,
        source: str | None,
        service: str,
        op: str,
        namespace: str | None = None,
        *,
        client_region: str | None = None,
        absent: Collection[str] = (),
        **kwargs: Any,
    ) -> Answer:
        """One API call through ``_ask``; a failure is recorded as ``errors[source]``.

        ``source=None`` for calls whose failure is no coverage gap (the account's alias).
        ``ServiceNamespace`` in ``kwargs`` scopes a remembered AccessDenied, as ``namespace``
        does for calls that name the namespace only in an ARN.
        """
        call_region = client_region or unit

        def invoke() -> Any:
            return getattr(self.clients.client(service, call_region), op)(**kwargs)

        answer = self._ask(
            unit,
            service,
            op,
            invoke,
            client_region=client_region,
            namespace=namespace or kwargs.get("ServiceNamespace"),
            absent=absent,
        )
        if answer.error is not None and source is not None:
            self._fail(unit, source, answer.error)
        return answer

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

        Each page is one call through ``_ask``. ``on_page`` returns False to stop early (no
        further pages requested); ``on_done(ok)`` runs once, after the last page or failure.
        """
        call_region = client_region or region
        params = dict(kwargs)
        size = PAGE_SIZES.get(op)
        if size is not None:
            params.setdefault(size.param, size.size)
        pager = _Pager()

        def next_page() -> Any:
            if pager.pages is None:
                pager.pages = iter(_pages(self.clients.client(service, call_region), op, params))
            return next(pager.pages, _END)

        def step() -> None:
            answer = self._ask(
                region,
                service,
                op,
                next_page,
                client_region=client_region,
                namespace=kwargs.get("ServiceNamespace"),
            )
            if answer.error is not None:
                self._fail(region, source, answer.error)
                if on_done is not None:
                    on_done(False)
                return
            if answer.response is _END:
                if on_done is not None:
                    on_done(True)
                return
            if on_page(answer.response):
                self._submit(region, step, priority)
            elif on_done is not None:
                on_done(True)

        self._submit(region, step, priority)

    def _fail_everything(self, region: str, reason: str) -> None:
        """Mark every source of ``region`` (or the account-wide data) as not collected."""
        if region == GLOBAL_REGION:
            self._fail(GLOBAL_REGION, Source.IAM_AUTHORIZATION, reason)
            return
        for source in REGIONAL_SOURCES:
            self._fail(region, source, reason)

    def _fail(self, region: str, source: str, reason: str) -> None:
        """Record why ``source`` is missing in ``region`` (the first reason wins)."""
        if region == GLOBAL_REGION:  # the account-wide unit holds one source: IAM
            with self._lock:
                self._iam_error = self._iam_error or reason
            return
        st = self._states[region]
        with st.lock:
            st.errors.setdefault(source, reason)

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
        # A name is a nicety: its absence is no coverage gap (source=None).
        answer = self._call(
            GLOBAL_REGION,
            None,
            "iam",
            "list_account_aliases",
            client_region=global_region(self.regions),
        )
        names = (answer.response or {}).get("AccountAliases") if answer.ok else None
        self._alias = names[0] if names else None

    # -- Application Auto Scaling ------------------------------------------------------------

    def _start_aas(self, region: str) -> None:
        st = self._states[region]
        st.alarm_wait = len(self.namespaces)
        for ns in self.namespaces:
            self._start_targets(region, ns)

    def _start_targets(self, region: str, ns: str) -> None:
        st = self._states[region]

        def on_page(page: dict[str, Any]) -> bool:
            raw = page.get("ScalableTargets") or []
            targets = [to_target(t, None) for t in raw]
            start_followups = False
            with st.lock:
                st.targets.extend(targets)
                if targets and ns not in st.namespaces_started:
                    st.namespaces_started.add(ns)
                    if self.wants(Source.SCALING_POLICIES):
                        st.alarm_wait += 1  # the policies chain of this namespace
                    start_followups = True
            if start_followups:
                self._start_namespace_followups(region, ns)
            for t in targets if self.wants(Source.TAGS) else ():
                if t.arn:
                    self._submit(region, partial(self._tags, region, t.arn, ns), LEAF)
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
        answer = self._call(
            region,
            Source.TAGS,
            "application-autoscaling",
            "list_tags_for_resource",
            namespace,
            ResourceARN=arn,
        )
        if answer.ok:
            st = self._states[region]
            with st.lock:
                st.tags[arn] = dict(answer.response.get("Tags") or {})

    def _start_namespace_followups(self, region: str, ns: str) -> None:
        st = self._states[region]

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

        followups = (
            _FollowUp(Source.SCALING_POLICIES, "describe_scaling_policies", policies),
            _FollowUp(Source.SCHEDULED_ACTIONS, "describe_scheduled_actions", actions),
            _FollowUp(Source.SCALING_ACTIVITIES, "describe_scaling_activities", activities),
        )
        for follow in followups:
            if not self.wants(follow.source):
                continue
            done = (
                (lambda ok: self._alarm_dependency_done(region))
                if follow.source == Source.SCALING_POLICIES
                else None
            )
            self._chain(
                region,
                # Recorded per namespace, as targets are, so the reason says which one failed.
                f"{follow.source}:{ns}",
                "application-autoscaling",
                follow.op,
                {"ServiceNamespace": ns},
                follow.on_page,
                on_done=done,
                priority=FOLLOW_UP,
            )

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
            found.update(alarm_names(page))
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
            self._submit(region, partial(self._trails_of, region), SOURCE)
        if self.wants(Source.EVENT_RULES):
            self._start_events(region)
        if self.wants(Source.CONFIG_RECORDERS):
            self._submit(region, partial(self._config, region), SOURCE)
        if self.wants(Source.SECURITY_HUB):
            self._submit(region, partial(self._securityhub, region), SOURCE)

    def _start_dynamodb(self, region: str) -> None:
        st = self._states[region]

        def describe(name: str) -> None:
            answer = self._call(
                region, Source.DYNAMODB_TABLES, "dynamodb", "describe_table", TableName=name
            )
            if answer.ok:
                table = to_table(answer.response["Table"])
                with st.lock:
                    st.tables.append(table)

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
        answer = self._call(
            region, Source.SECURITY_GROUPS, "ec2", "describe_security_groups", GroupIds=group_ids
        )
        if answer.ok:
            groups = [to_security_group(g) for g in answer.response.get("SecurityGroups") or []]
            st = self._states[region]
            with st.lock:
                st.security_groups.update((g.group_id, g) for g in groups)

    def _trails_of(self, region: str) -> None:
        """The trails a region lists; each one's status and selectors are read once."""
        st = self._states[region]
        answer = self._call(
            region, Source.TRAILS, "cloudtrail", "describe_trails", includeShadowTrails=True
        )
        if not answer.ok:
            return
        for raw in answer.response.get("trailList") or []:
            arn = str(raw.get("TrailARN") or raw.get("Name"))
            with st.lock:
                st.trail_arns.append(arn)
            with self._lock:
                if arn in self._trail_requested:
                    continue
                self._trail_requested.add(arn)
            self._submit(region, partial(self._read_trail, region, arn, raw), LEAF)

    def _read_trail(self, unit: str, arn: str, raw: dict[str, Any]) -> None:
        """Status and selectors of one trail, asked of its home region, once per account."""
        home = str(raw.get("HomeRegion") or unit)
        status = self._call(
            unit, Source.TRAILS, "cloudtrail", "get_trail_status", client_region=home, Name=arn
        )
        selectors = (
            self._call(
                unit,
                Source.TRAILS,
                "cloudtrail",
                "get_event_selectors",
                client_region=home,
                TrailName=arn,
            )
            if status.ok
            else status
        )
        if selectors.ok:
            result = _TrailResult(trail=to_trail(raw, status.response, selectors.response, unit))
        else:
            result = _TrailResult(error=selectors.error)
        with self._lock:
            self._trails[arn] = result

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
        answer = self._call(
            region, Source.CONFIG_RECORDERS, "config", "describe_configuration_recorder_status"
        )
        if answer.ok:
            recorders = to_config_recorders(answer.response)
            st = self._states[region]
            with st.lock:
                st.recorders = recorders

    def _securityhub(self, region: str) -> None:
        answer = self._call(
            region, Source.SECURITY_HUB, "securityhub", "describe_hub", absent=_HUB_NOT_SUBSCRIBED
        )
        if answer.error is None:
            st = self._states[region]
            with st.lock:
                st.securityhub = answer.absent is None

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
        targets = st.targets
        if Source.TAGS not in errors:
            targets = [replace(t, tags=st.tags.get(t.arn or "")) for t in targets]
        trails: list[Trail] = []
        for arn in st.trail_arns:
            result = self._trails.get(arn)
            if result is None or result.trail is None:
                why = result.error if result is not None else None
                errors.setdefault(Source.TRAILS, why or "trail status was not collected")
                continue
            trails.append(result.trail)
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


def _pages(client: Any, op: str, params: dict[str, Any]) -> Iterable[Any]:
    """The pages of ``op``: botocore's paginator, with the page size ``PAGE_SIZES`` gives."""
    if not client.can_paginate(op):
        return _manual_pages(getattr(client, op), params)
    args = dict(params)
    size = PAGE_SIZES.get(op)
    page_size = args.pop(size.param, None) if size is not None else None
    config = {"PageSize": page_size} if page_size else {}
    return client.get_paginator(op).paginate(**args, PaginationConfig=config)


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
