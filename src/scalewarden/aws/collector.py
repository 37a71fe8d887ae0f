"""The concurrent collector: one ``AccountInventory`` per account, every API call made once.

Work is split into small tasks on a shared ``WorkPool`` (bounded threads, see
``workpool.py``): one task per page of a listing, one per leaf call (tags of a target, a
DynamoDB table, a trail's status). A page task submits the next page at chain priority, so the
longest chains (scalable targets of a busy namespace, IAM authorization details) never wait
behind the fan-out they create. What each AWS API is asked, and in what order, is its source
module's business (``sources/``, one per API, listed in ``sources/__init__.py``); turning
answers into records is ``translate.py``'s. This module schedules, wraps every call, keeps
count of what is left per unit, and assembles the records.

Nothing is fetched twice and nothing is fetched for nothing: only the sources the chosen
checks need (and what those are derived from) are started, and after AccessDenied, a
disabled region or an operation the endpoint does not implement, the same operation is not
retried for the rest of that account and region. AccessDenied on a call that names a service
namespace is remembered for that namespace only: AAS grants permissions per scalable target,
so a policy may deny ``ecs`` and allow ``dynamodb``.

Every AWS call goes through one wrapper, ``AccountCollector._ask``, which applies that rule;
single calls use ``call`` and listings ``chain``, both built on it, and they are all a source
module may use (``sources/base.SourceContext``). Every failure becomes ``errors[source]``
with a reason (``errors.describe_error``); the collection itself always completes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import partial
from typing import Any

from scalewarden.aws.calls import Answer, KnownFailures, op_name, pages
from scalewarden.aws.errors import describe_error, error_code
from scalewarden.aws.inventory import (
    GLOBAL_REGION,
    REGIONAL_SOURCES,
    AccountInventory,
    RegionInventory,
    Source,
)
from scalewarden.aws.session import ClientFactory
from scalewarden.aws.sources import (
    ACCOUNT_WIDE,
    LONG_CHAINS,
    PAGE_SIZES,
    REGIONAL,
    SOURCE_NEEDS,
    cloudtrail,
    iam,
)
from scalewarden.aws.sources.application_autoscaling import aas_namespaces
from scalewarden.aws.sources.base import AccountState, RegionState, SourceModule
from scalewarden.aws.workpool import CHAIN, SOURCE, WorkPool

log = logging.getLogger(__name__)


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


def sources_closure(sources: Iterable[str]) -> frozenset[str]:
    """``sources`` plus everything they are derived from (e.g. alarms need policies)."""
    out: set[str] = set()
    todo = [s.split(":", 1)[0] for s in sources]
    while todo:
        src = todo.pop()
        if src not in out:
            out.add(src)
            todo.extend(SOURCE_NEEDS.get(src, ()))
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


@dataclass(slots=True)
class _Pager:
    """The page iterator of one listing, created by its first page task."""

    pages: Iterator[Any] | None = None


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
        self.activity_days = self.options.activity_days
        self._states = {r: RegionState(r) for r in self.regions}
        self._known = KnownFailures()
        self.account = AccountState()
        #: The account state's lock also guards the counters below.
        self._lock = self.account.lock
        self._global_pending = 0
        self._calls_known = 0
        self._calls_done = 0

    def wants(self, source: str) -> bool:
        """Whether the scan needs ``source`` (the chosen checks' sources and what they need)."""
        return self._wanted is None or source in self._wanted

    def _wants_any(self, module: SourceModule) -> bool:
        return any(self.wants(s) for s in module.fills)

    def state(self, region: str) -> RegionState:
        """The records gathered so far for ``region``."""
        return self._states[region]

    # -- task bookkeeping --------------------------------------------------------------------

    def submit(self, region: str, task: Callable[[], None], priority: int) -> None:
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
                failed = self.account.iam_error is not None
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
            reason = describe_error(exc, op_name(op))
        if regional:
            self._known.remember(region, service, op, reason, namespace)
        return Answer(error=reason)

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
            self.fail(unit, source, answer.error)
        return answer

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
                client = self.clients.client(service, call_region)
                pager.pages = iter(pages(client, op, params, PAGE_SIZES))
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
                self.fail(region, source, answer.error)
                if on_done is not None:
                    on_done(False)
                return
            if answer.response is _END:
                if on_done is not None:
                    on_done(True)
                return
            if on_page(answer.response):
                self.submit(region, step, priority)
            elif on_done is not None:
                on_done(True)

        self.submit(region, step, priority)

    def _fail_everything(self, region: str, reason: str) -> None:
        """Mark every source of ``region`` (or the account-wide data) as not collected."""
        if region == GLOBAL_REGION:
            self.fail(GLOBAL_REGION, Source.IAM_AUTHORIZATION, reason)
            return
        for source in REGIONAL_SOURCES:
            self.fail(region, source, reason)

    def fail(self, region: str, source: str, reason: str) -> None:
        """Record why ``source`` is missing in ``region`` (the first reason wins)."""
        if region == GLOBAL_REGION:  # the account-wide unit holds one source: IAM
            with self._lock:
                self.account.iam_error = self.account.iam_error or reason
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
        for module in ACCOUNT_WIDE:
            if module.start is not None and self._wants_any(module):
                module.start(self, GLOBAL_REGION)
        if self.account_name is None:
            # Findings carry the account's name where known: its alias, one call.
            self.submit(GLOBAL_REGION, partial(iam.read_alias, self), SOURCE)
        for module in LONG_CHAINS:
            if module.start is not None and self._wants_any(module):
                for region in self.regions:
                    module.start(self, region)
        for region in self.regions:
            for module in REGIONAL:
                if module.start is not None and self._wants_any(module):
                    module.start(self, region)
        self._finish(GLOBAL_REGION)
        for region in self.regions:
            self._finish(region)

    # -- result ------------------------------------------------------------------------------

    def inventory(self) -> AccountInventory:
        """Assemble the records once the pool has finished (call after ``WorkPool.run``)."""
        account = AccountInventory(
            account_id=self.account_id,
            account_name=self.account_name or self.account.alias,
            iam=None if self.account.iam_error else self.account.iam,
        )
        if self.account.iam_error:
            account.errors[Source.IAM_AUTHORIZATION] = self.account.iam_error
        for region, st in self._states.items():
            account.regions[region] = self._region_inventory(st)
        return account

    def _region_inventory(self, st: RegionState) -> RegionInventory:
        errors = dict(st.errors)
        targets = st.targets
        if Source.TAGS not in errors:
            targets = [replace(t, tags=st.tags.get(t.arn or "")) for t in targets]
        trails = cloudtrail.region_trails(st, self.account.trails, errors)
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
    "collect_accounts",
    "sources_closure",
]
