"""What a source module works with: the context the collector gives it, and the sinks.

A source module (one per AWS API, see ``__init__.py``) never calls boto3 itself: it asks
through ``SourceContext.call`` and ``SourceContext.chain``, which are the collector's one call
wrapper, so the stop-after-permanent-failure rule and the ``errors[source]`` bookkeeping hold
for every source alike. What it reads goes, translated, into the region's ``RegionState`` (or
the account's ``AccountState``), under that state's lock: many worker threads write there.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from scalewarden.aws.calls import Answer, PageSize
from scalewarden.aws.inventory import (
    ConfigRecorder,
    DynamoDBTable,
    EventRule,
    IamAuthorization,
    ScalableTarget,
    ScalingActivity,
    ScalingPolicy,
    ScheduledAction,
    SecurityGroup,
    Source,
    Trail,
    VpcEndpoint,
)
from scalewarden.aws.workpool import CHAIN


@dataclass
class RegionState:
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


@dataclass(frozen=True, slots=True)
class TrailRead:
    """A trail read in full from its home region (``trail``), or why it could not be."""

    trail: Trail | None = None
    error: str | None = None


@dataclass
class AccountState:
    """What is gathered once per account: IAM, the alias, and every trail read so far.

    ``lock`` also guards the collector's own account-wide counters.
    """

    lock: threading.Lock = field(default_factory=threading.Lock)
    iam: IamAuthorization = field(default_factory=IamAuthorization)
    iam_error: str | None = None
    alias: str | None = None
    #: Trail ARN → the trail or why it could not be read; read once per account.
    trails: dict[str, TrailRead] = field(default_factory=dict)
    trail_requested: set[str] = field(default_factory=set)


class SourceContext(Protocol):
    """The collector as a source module sees it (``AccountCollector`` is one)."""

    @property
    def account(self) -> AccountState: ...

    @property
    def regions(self) -> Sequence[str]: ...

    @property
    def namespaces(self) -> Sequence[str]: ...

    @property
    def now(self) -> datetime: ...

    @property
    def activity_days(self) -> int: ...

    def wants(self, source: str) -> bool:
        """Whether the scan needs ``source`` (the chosen checks' sources and what they need)."""
        ...

    def state(self, region: str) -> RegionState:
        """The records gathered so far for ``region``."""
        ...

    def submit(self, region: str, task: Callable[[], None], priority: int) -> None:
        """Run ``task`` for ``region`` (or account-wide) on the pool."""
        ...

    def call(
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
        """One API call; a failure is recorded as ``errors[source]``."""
        ...

    def chain(
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
        """Page through ``op``, one task per page; a failure is recorded as ``errors[source]``."""
        ...

    def fail(self, region: str, source: str, reason: str) -> None:
        """Record why ``source`` is missing in ``region`` (the first reason wins)."""
        ...


@dataclass(frozen=True)
class SourceModule:
    """One AWS API's part of the collection, as the collector's registry lists it.

    ``fills``: the ``Source`` members it collects (it is started when any is wanted);
    ``start(ctx, region)``: submits its first tasks (``None`` when another source starts its
    reads, as the policies start the alarms they name); ``needs``: sources it cannot collect
    without; ``page_sizes``: the largest page each of its listings accepts.
    """

    name: str
    fills: tuple[Source, ...]
    start: Callable[[SourceContext, str], None] | None
    needs: Mapping[str, tuple[Source, ...]] = field(default_factory=dict)
    page_sizes: Mapping[str, PageSize] = field(default_factory=dict)
