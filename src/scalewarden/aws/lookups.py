"""The live alerts' look-ups: a target's tags and an endpoint's service, for the classifier.

The classifier (``alerts.classify``) is pure and asks two injected questions: which tags a
scalable target carries (the protection-tag raise) and which service a VPC endpoint serves.
:class:`AlertLookups` answers them, in this order:

1. **What scalewarden already knows**: the newest stored scans (``Store.stored_target_tags``,
   ``Store.stored_endpoint``), which still know a target or an endpoint the event deleted.
2. **A live read where the service may read**: the account must pass the service scope's one
   rule (``ServiceScope.problem``: the own account in the single-account set-up, else the
   configured accounts or the organization's), entered like the scanner enters it (the
   service's credentials for its own account, ``SCALEWARDEN_ROLE_NAME`` elsewhere):
   ``application-autoscaling:DescribeScalableTargets`` (a target named without its ARN) and
   ``ListTagsForResource``, ``ec2:DescribeVpcEndpoints``.

They run on the alert pipeline's classification thread, never the event loop. Each call has
short timeouts and one attempt (:data:`LIVE_CLIENT`); live reads of one batch of events share
a time budget (:data:`BATCH_BUDGET`), past which the rest are skipped, so one slow account
delays a batch by a bounded few seconds. Answers are cached for :data:`TTL` seconds and
failures for :data:`FAILURE_TTL` seconds, at the scope they are about
(``errors.about_the_account``): refused permission, throttling, credentials, an unreachable
or failing endpoint per account, region and operation, so an account that refuses costs one
call a minute, not one per event; a validation error, a resource not found or an event that
does not name its target fully for that one resource only, so one malformed name in an event
never blocks genuine reads of the account. A failure never drops an alert: it raises
``LookupFailed`` with a one-line, redacted reason, and the alert says what it could not learn.
What AWS answers is hostile input: tags are only compared with the protection tags, a service
name only tested for Application Auto Scaling's suffix, and both are bounded.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from scalewarden.alerts.classify import LookupFailed, TargetRef
from scalewarden.alerts.model import safe_text
from scalewarden.aws.session import ClientSettings

if TYPE_CHECKING:
    from scalewarden.aws.session import ClientFactory
    from scalewarden.service_scope import ServiceScope
    from scalewarden.store import Store

logger = logging.getLogger(__name__)

#: Live reads: one attempt, short timeouts (a call ends within about 3 s whatever AWS does).
LIVE_CLIENT = ClientSettings(
    max_attempts=1,
    connect_timeout=1.0,
    read_timeout=2.0,
    max_pool_connections=4,
    retry_mode="standard",
)
#: Seconds of live reads one batch of events may spend; the rest are skipped with a reason.
BATCH_BUDGET = 4.0
#: Seconds an answer (or "not known") is kept.
TTL = 300.0
#: Seconds a failure is kept per (account, region, operation): no call storms.
FAILURE_TTL = 60.0
#: Entries kept in each cache.
CACHE_SIZE = 2048
#: Tags read from AWS at most (the API's own limit is 50 per resource).
MAX_TAGS = 200
#: AWS's own limits on a tag's key and value; a longer one is not a tag AWS would keep.
MAX_TAG_KEY, MAX_TAG_VALUE = 128, 256
#: The longest resource id or ARN AWS accepts for a scalable target (and for naming one in
#: the API); an event's longer name is refused before it becomes a cache key.
MAX_TARGET_NAME = 1600

_MISSING = object()


class _AboutResource(LookupFailed):
    """A failure about the one resource looked up (it no longer exists, AWS refused its name,
    the event does not name it fully), not about the account: kept for that resource only."""


class _Cache:
    """A small TTL cache, least recently stored dropped first (one thread uses it)."""

    def __init__(self, ttl: float, clock: Callable[[], float]) -> None:
        self._ttl = ttl
        self._clock = clock
        self._items: OrderedDict[Any, tuple[float, Any]] = OrderedDict()

    def get(self, key: Any) -> Any:
        item = self._items.get(key)
        if item is None or item[0] < self._clock():
            self._items.pop(key, None)
            return _MISSING
        return item[1]

    def put(self, key: Any, value: Any) -> None:
        self._items[key] = (self._clock() + self._ttl, value)
        self._items.move_to_end(key)
        while len(self._items) > CACHE_SIZE:
            self._items.popitem(last=False)


class AlertLookups:
    """``target_tags`` and ``endpoint_service`` for ``AlertContext`` (see the module doc)."""

    def __init__(
        self,
        *,
        store: Callable[[], Store | None],
        scope: ServiceScope,
        region: str | None = None,
        client: ClientSettings = LIVE_CLIENT,
        budget: float = BATCH_BUDGET,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._store = store
        self._scope = scope
        self._region = region
        self._client = client
        self._budget = budget
        self._clock = clock
        self._answers = _Cache(TTL, clock)
        self._failures = _Cache(FAILURE_TTL, clock)
        #: Failures about one resource (gone, a name AWS refused), per resource: a burst of
        #: events about one deleted or misnamed target reads AWS once a minute, not once per
        #: event, and the account's other resources are still read.
        self._resource_failures = _Cache(FAILURE_TTL, clock)
        self._factories: dict[str, ClientFactory] = {}
        self._lock = threading.Lock()
        self._deadline: float | None = None

    # The pipeline's side ------------------------------------------------------------------

    def start_batch(self) -> None:
        """A new batch of events: its live reads get a fresh time budget."""
        self._deadline = self._clock() + self._budget

    # The classifier's look-ups -------------------------------------------------------------

    def target_tags(self, target: TargetRef) -> Mapping[str, str] | None:
        """The target's tags: from a stored scan, else read live; ``LookupFailed`` why not."""
        problem = _target_problem(target)
        if problem:  # before any cache: a hostile name is neither kept nor sent to AWS
            raise LookupFailed(problem)
        key = ("tags", target)
        cached = self._answers.get(key)
        if cached is _MISSING:
            cached = self._remember(key, lambda: self._target_tags(target))
        return cached

    def endpoint_service(self, account: str, region: str, endpoint_id: str) -> str | None:
        """The endpoint's service name: from a stored scan, else read live."""
        key = ("endpoint", account, region, endpoint_id)
        cached = self._answers.get(key)
        if cached is _MISSING:
            cached = self._remember(
                key, lambda: self._endpoint_service(account, region, endpoint_id)
            )
        return cached

    def _remember(self, key: Any, learn: Callable[[], Any]) -> Any:
        """``learn()``'s answer, kept for ``TTL``; a failure about this resource kept for
        ``FAILURE_TTL`` under ``key``; failures about the account are kept per account,
        region and operation (``_live``)."""
        failed = self._resource_failures.get(key)
        if failed is not _MISSING:
            raise failed
        try:
            answer = learn()
        except _AboutResource as exc:
            self._resource_failures.put(key, exc)
            raise
        self._answers.put(key, answer)
        return answer

    # Stored, then live ----------------------------------------------------------------------

    def _target_tags(self, target: TargetRef) -> Mapping[str, str]:
        from scalewarden.checks.lib.redact import redact, safe_resource_id

        label = ""
        if target.namespace and target.resource_id and target.dimension:
            label = redact(
                f"{target.namespace}:{safe_resource_id(target.namespace, target.resource_id)}"
                f":{target.dimension}"
            )
        store = self._store()
        if store is not None and (label or target.arn):
            try:
                fact = store.stored_target_tags(
                    target.account, target.region, label=label, arn=target.arn
                )
            except Exception as exc:  # the database away: go on to AWS
                logger.warning("stored tags look-up failed: %s", type(exc).__name__)
                fact = None
            if fact is not None:
                return fact.tags
        return self._live(target.account, target.region, "ListTagsForResource", target)

    def _endpoint_service(self, account: str, region: str, endpoint_id: str) -> str | None:
        from scalewarden.aws.regions import aas_endpoint_service_names

        store = self._store()
        if store is not None:
            try:
                fact = store.stored_endpoint(account, region, endpoint_id)
            except Exception as exc:
                logger.warning("stored endpoint look-up failed: %s", type(exc).__name__)
                fact = None
            if fact is not None:
                return aas_endpoint_service_names(region)[0]
        return self._live(account, region, "DescribeVpcEndpoints", endpoint_id)

    def _live(self, account: str, region: str, operation: str, what: Any) -> Any:
        """One live read, within the scope's rule, the batch's budget and the failure cache."""
        from scalewarden.aws.accounts import ACCOUNT_ID

        if not ACCOUNT_ID.fullmatch(account) or not region or len(region) > 32:
            raise LookupFailed("the event names no valid account and region")
        own = self._scope.own
        if self._scope.single_account and own is not None and own.known() is None:
            own.resolve(min(2.0, self._budget))  # this is a worker thread: a bounded wait
        problem = self._scope.problem(accounts=[account], regions=[region])
        if problem:
            raise LookupFailed(f"no stored scan knows it, and it is not read live: {problem}")
        failure_key = (account, region, operation)
        failed = self._failures.get(failure_key)
        if failed is not _MISSING:
            raise failed
        if self._deadline is not None and self._clock() > self._deadline:
            raise LookupFailed(
                f"no stored scan knows it, and the live read was skipped: this batch of events "
                f"spent its {self._budget:g} s of look-ups"
            )
        factory = self._factory(account, failure_key)
        try:
            if operation == "ListTagsForResource":
                return self._read_tags(factory, region, what)
            return self._read_endpoint(factory, region, what)
        except _AboutResource:
            raise
        except LookupFailed as exc:
            self._failures.put(failure_key, exc)
            raise
        except Exception as exc:
            failure = _failure(exc, operation)
            if not isinstance(failure, _AboutResource):
                self._failures.put(failure_key, failure)
            raise failure from None

    def _factory(self, account: str, failure_key: tuple[str, str, str]) -> ClientFactory:
        """Clients in ``account``: the service's own credentials for its own account, else
        the configured role assumed there (once, then renewed by botocore)."""
        with self._lock:
            factory = self._factories.get(account)
        if factory is not None:
            return factory
        try:
            factory = self._enter(account)
        except LookupFailed as exc:
            self._failures.put(failure_key, exc)
            raise
        except Exception as exc:
            from scalewarden.aws.errors import describe_error

            failure = LookupFailed(
                safe_text(f"could not enter account {account}: {describe_error(exc)}", 300)
            )
            self._failures.put(failure_key, failure)
            raise failure from None
        with self._lock:
            self._factories[account] = factory
            while len(self._factories) > CACHE_SIZE:  # an organization's accounts, bounded
                self._factories.pop(next(iter(self._factories)))
        return factory

    def _enter(self, account: str) -> ClientFactory:
        from scalewarden.aws.accounts import assume_role_session
        from scalewarden.aws.session import ClientFactory, make_config, make_session

        own = self._scope.own.known() if self._scope.own is not None else None
        session = make_session(None, self._region)
        config = make_config(self._client)
        if account != own:
            if not self._scope.role_name:
                raise LookupFailed(
                    f"account {account} is entered through SCALEWARDEN_ROLE_NAME, which is not set"
                )
            partition = self._scope.own.partition if self._scope.own is not None else "aws"
            sts_region = session.region_name or "us-east-1"
            sts = session.client("sts", region_name=sts_region, config=config)
            session = assume_role_session(
                sts,
                account,
                self._scope.role_name,
                self._scope.external_id,
                session.region_name,
                partition,
            )
        return ClientFactory(session, config)

    @staticmethod
    def _read_tags(factory: ClientFactory, region: str, target: TargetRef) -> Mapping[str, str]:
        aas = factory.client("application-autoscaling", region)
        arn = target.arn
        if not arn:
            if not (target.namespace and target.resource_id and target.dimension):
                raise _AboutResource("the event does not name the target fully")
            try:
                answer = aas.describe_scalable_targets(
                    ServiceNamespace=target.namespace,
                    ResourceIds=[target.resource_id],
                    ScalableDimension=target.dimension,
                )
            except Exception as exc:  # named by its own operation, not the tags call
                raise _failure(exc, "DescribeScalableTargets") from None
            found = answer.get("ScalableTargets") or []
            arn = str(found[0].get("ScalableTargetARN") or "") if found else ""
            if not arn:
                raise _AboutResource(
                    "the target is not registered (any more) and no stored scan has its tags"
                )
        tags = aas.list_tags_for_resource(ResourceARN=arn).get("Tags") or {}
        if not isinstance(tags, Mapping):
            return {}
        return {
            k: v
            for k, v in list(tags.items())[:MAX_TAGS]
            if isinstance(k, str)
            and isinstance(v, str)
            and len(k) <= MAX_TAG_KEY
            and len(v) <= MAX_TAG_VALUE
        }

    @staticmethod
    def _read_endpoint(factory: ClientFactory, region: str, endpoint_id: str) -> str | None:
        from botocore.exceptions import ClientError

        ec2 = factory.client("ec2", region)
        try:
            found = ec2.describe_vpc_endpoints(VpcEndpointIds=[endpoint_id]).get("VpcEndpoints")
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", ""))
            if code.startswith("InvalidVpcEndpointId"):
                raise _AboutResource(
                    "the endpoint no longer exists and no stored scan lists it"
                ) from None
            raise
        name = found[0].get("ServiceName") if found else None
        return name[:256] if isinstance(name, str) else None


def _failure(exc: BaseException, operation: str) -> LookupFailed:
    """``exc`` as the look-up failure an alert shows (redacted, bounded), at the scope it is
    about: the account's (``LookupFailed``) or the one resource's (``_AboutResource``)."""
    from scalewarden.aws.errors import about_the_account, describe_error

    reason = safe_text(describe_error(exc, operation), 300)
    return LookupFailed(reason) if about_the_account(exc) else _AboutResource(reason)


def _target_problem(target: TargetRef) -> str | None:
    """Why an event's target cannot be looked up, or ``None``: a name longer than AWS allows
    (it would pin up to a mebibyte per cache entry), or an ARN that is not a scalable target's
    in the event's own account and region (its tags would be another resource's)."""
    too_long = (
        max(len(target.resource_id), len(target.arn)) > MAX_TARGET_NAME
        or len(target.namespace) > 64
        or len(target.dimension) > 128
        or len(target.region) > 32
    )
    if too_long:
        return "the event names the target with more characters than AWS allows"
    if target.arn:
        parts = target.arn.split(":", 5)
        if (
            len(parts) != 6
            or parts[0] != "arn"
            or parts[2] != "application-autoscaling"
            or parts[3] != target.region
            or parts[4] != target.account
        ):
            return (
                "the event's target ARN is not a scalable target of the event's own account "
                "and region"
            )
    return None
