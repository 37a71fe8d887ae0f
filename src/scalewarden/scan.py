"""A whole scan: scope → inventories (concurrent) → checks (pure) → mutelist → ``ScanReport``.

This is the one entry point the CLI, the Slack app and the scheduler share. It decides what
"could not run at all" means (``ScanError``: no credentials, the caller's identity cannot be
read, the organization cannot be listed) versus what is a gap in coverage (one account's
role cannot be assumed, one API is denied): the former aborts, the latter becomes ERROR
findings and ``coverage`` entries while the rest of the scan goes on.
"""

from __future__ import annotations

import hashlib
import json
import threading
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    import boto3

    from scalewarden.aws.collector import ProgressUpdate
    from scalewarden.aws.inventory import AccountInventory
    from scalewarden.aws.session import ClientFactory, ClientHook, ClientSettings
    from scalewarden.checks.model import Check, ScanReport
    from scalewarden.settings import Settings

Phase = Literal["collecting", "done", "error"]


#: A scan of "the configured region" when none is configured anywhere.


class ScanError(RuntimeError):
    """The scan could not run at all (no credentials, identity unreadable …): exit code 3."""


class CredentialsError(ScanError):
    """The local AWS set-up cannot be used (unknown profile, unreadable config file, no or
    unusable credentials, credentials AWS refuses): exit code 4. Nothing was scanned."""


class ScopeError(ValueError):
    """The requested scope is invalid (bad region, missing role name …): a usage error."""


@dataclass(frozen=True)
class ScanScope:
    """What to scan. ``regions``: ``None`` = the configured region, or every enabled region
    when none is configured (as ``["all"]``); ``["all"]`` = every AAS region each account has
    enabled (resolved per account). ``accounts``: ``None`` = the caller's own account.
    ``checks`` selects ids and topics, ``exclude_checks`` removes ids and topics from that,
    and ``severities`` keeps only checks of those severities."""

    regions: list[str] | None = None
    accounts: list[str] | None = None
    role_name: str | None = None
    external_id: str | None = None
    organization: bool = False
    profile: str | None = None
    checks: str | None = None
    exclude_checks: str | None = None
    severities: tuple[str, ...] | None = None

    def check_ids(self) -> list[str]:
        """The ids of the checks this scope runs, in catalogue order (``ScopeError`` on junk).

        Stored with every saved scan: a scan that did not run a check cannot resolve its
        findings, and the report alone cannot say which checks ran without finding anything.
        """
        return [check.id for check in _select_checks(self)]

    def key(self) -> str:
        """The scope key: equal for scans that look at the same accounts, regions and checks.

        Built from what was asked (not from what the accounts resolved to), so ``--regions
        all`` stays one scope when an account enables a region. Digests diff a scan with the
        previous scan of the same key; the diff itself still checks coverage finding by
        finding, so the key only chooses what to compare with.
        """
        return scope_key(
            accounts=self.accounts,
            regions=self.regions,
            checks=self.check_ids(),
            organization=self.organization,
        )


def scope_key(
    *,
    accounts: Sequence[str] | None,
    regions: Sequence[str] | None,
    checks: Sequence[str],
    organization: bool = False,
) -> str:
    """A short stable hash of a scope (sorted, de-duplicated; ``None`` means the default)."""
    raw = json.dumps(
        {
            "accounts": sorted(set(accounts)) if accounts else None,
            "organization": organization,
            "regions": sorted(set(regions)) if regions else None,
            "checks": sorted(set(checks)),
        },
        sort_keys=True,
    )
    return "scope:" + hashlib.sha256(raw.encode()).hexdigest()[:32]


@dataclass(frozen=True)
class ProgressEvent:
    """Progress of one unit of collection: an account's region, or ``GLOBAL_REGION`` (its
    account-wide IAM data).

    ``done``/``total`` count finished units over the whole scan, so a caller can show
    "3/9" without tracking state itself. ``calls_done``/``calls_known`` count the work
    itself: API calls (one per page) finished, out of those known so far. The known count
    grows as pages reveal more to read, so it is an estimate that only ever gets closer.
    """

    account_id: str
    region: str
    phase: Phase
    done: int
    total: int
    calls_done: int = 0
    calls_known: int = 0


#: The one progress type: called with each ``ProgressEvent`` of a running scan, from the
#: collector's worker threads (the CLI's progress bar and Slack's progress message take it).
ProgressCallback = Callable[[ProgressEvent], None]


@dataclass(frozen=True)
class ScanOptions:
    """How to scan, as opposed to what (``ScanScope``): values from the settings, and knobs
    for tests and the benchmark. Defaults suit real accounts.

    The scan never reads the settings itself: the CLI and the service pass theirs in
    (``from_settings``), so a service built with other settings scans with those.
    """

    #: The region when the scope names none and the AWS profile or environment gives none
    #: (``SCALEWARDEN_AWS_REGION``); STS and Organizations are called from it too.
    region: str | None = None
    #: Collector threads; ``None`` = the collector's default.
    max_workers: int | None = None
    client_settings: ClientSettings | None = None
    #: Called with every botocore client created (e.g. to register ``before-call`` hooks).
    on_client: ClientHook | None = None
    #: ``SCALEWARDEN_FINGERPRINT_KEY`` (``checks.model.fingerprint``); ``None``: built in.
    fingerprint_key: bytes | None = field(default=None, repr=False)

    @classmethod
    def from_settings(cls, settings: Settings) -> ScanOptions:
        """The options ``settings`` set (region, pool size, fingerprint key); test knobs left
        at their defaults."""
        key = settings.fingerprint_key
        return cls(
            region=settings.aws_region,
            max_workers=settings.max_workers,
            fingerprint_key=key.get_secret_value().encode("utf-8") if key else None,
        )


def _select_checks(scope: ScanScope) -> list[Check]:
    """The checks the scope asks for: selected, minus excluded, at the wanted severities."""
    from scalewarden.checks.model import Severity
    from scalewarden.checks.registry import select

    try:
        chosen = list(select(scope.checks))
        excluded = {c.id for c in select(scope.exclude_checks)} if scope.exclude_checks else set()
        severities = {Severity.parse(s) for s in scope.severities or ()}
    except ValueError as exc:
        raise ScopeError(str(exc)) from exc
    chosen = [c for c in chosen if c.id not in excluded]
    if severities:
        chosen = [c for c in chosen if c.severity in severities]
    if not chosen:
        # A scan of nothing would "pass"; say why instead.
        raise ScopeError("no check left to run after --checks, --exclude-checks and --severity")
    return chosen


def _regions(scope: ScanScope, session: boto3.Session) -> list[str] | None:
    """The regions named or configured, the same for every account; ``None`` for ``all``,
    which depends on each account and is resolved once the accounts are entered."""
    from scalewarden.aws.regions import parse_regions

    requested = scope.regions
    if requested is not None and requested != ["all"]:
        try:
            parsed = parse_regions(",".join(requested))
        except ValueError as exc:
            raise ScopeError(str(exc)) from exc
        return parsed or []
    home = session.region_name
    if requested is None and home:
        try:
            return parse_regions(home) or []
        except ValueError as exc:
            raise ScopeError(f"configured region: {exc}") from exc
    return None


@dataclass
class _Account:
    account_id: str
    name: str | None
    clients: ClientFactory | None
    error: str | None = None


def _home_region(session: boto3.Session, named: list[str] | None) -> str:
    """Where to call STS and Organizations from: the configured region, else the home region
    of the partition the named regions are in (China credentials do not work in us-east-1)."""
    from scalewarden.aws.regions import global_region

    return session.region_name or global_region(named or ())


def _caller(clients: ClientFactory, home: str) -> tuple[str, str]:
    """(account id, partition) of the credentials; failing here means nothing can run."""
    from scalewarden.aws.accounts import caller_identity
    from scalewarden.aws.errors import describe_credential_error, describe_error
    from scalewarden.aws.session import describe_config_error

    try:
        return caller_identity(clients.client("sts", home))
    except Exception as exc:
        # Credentials are loaded lazily (an SSO token, a credential_process): their failure
        # surfaces on this first call, as does AWS refusing them.
        refused = describe_credential_error(exc) or describe_config_error(exc)
        if refused:
            raise CredentialsError(f"could not read the caller's identity: {refused}") from exc
        raise ScanError(f"could not read the caller's identity: {describe_error(exc)}") from exc


#: Roles assumed at once when entering many accounts: AssumeRole is one call per account, and
#: an organization of hundreds of accounts should not wait for them one after another.
ASSUME_WORKERS = 8


def _accounts(
    scope: ScanScope,
    session: boto3.Session,
    clients: ClientFactory,
    caller: str,
    partition: str,
    home: str,
) -> list[_Account]:
    from scalewarden.aws.accounts import (
        assume_role_session,
        organization_accounts,
        parse_account_ids,
    )
    from scalewarden.aws.errors import describe_error

    sts = clients.client("sts", home)

    wanted: list[tuple[str, str | None]]
    if scope.organization:
        try:
            wanted = organization_accounts(clients.client("organizations", home))
        except Exception as exc:
            raise ScanError(
                f"could not list the organization's accounts: {describe_error(exc)} "
                "(--organization runs in the management account or a delegated administrator "
                "account, with organizations:ListAccounts)"
            ) from exc
        if not wanted:
            # A scan of no account would "pass" with exit 0: never report green for nothing.
            raise ScanError("the organization lists no ACTIVE account to scan")
        if scope.accounts:
            members = {a[0] for a in wanted}
            outside = [a for a in scope.accounts if a not in members]
            if outside:
                raise ScopeError(f"not ACTIVE accounts of the organization: {', '.join(outside)}")
            only = set(scope.accounts)
            wanted = [a for a in wanted if a[0] in only]
    elif scope.accounts:
        try:
            ids = parse_account_ids(",".join(scope.accounts)) or []
        except ValueError as exc:
            raise ScopeError(str(exc)) from exc
        wanted = [(i, None) for i in ids]
    else:
        return [_Account(caller, None, clients)]

    if any(a != caller for a, _ in wanted) and not scope.role_name:
        raise ScopeError("--role-name is required to scan other accounts")

    def enter(target: tuple[str, str | None]) -> _Account:
        account_id, name = target
        if account_id == caller:
            return _Account(account_id, name, clients)
        try:
            assumed = assume_role_session(
                sts,
                account_id,
                scope.role_name or "",
                scope.external_id,
                session.region_name,
                partition,
            )
            return _Account(account_id, name, clients.with_session(assumed))
        except Exception as exc:
            reason = f"could not assume role {scope.role_name}: {describe_error(exc)}"
            return _Account(account_id, name, None, reason)

    if len(wanted) == 1:
        return [enter(wanted[0])]
    with ThreadPoolExecutor(
        max_workers=min(ASSUME_WORKERS, len(wanted)), thread_name_prefix="scalewarden-assume"
    ) as pool:
        return list(pool.map(enter, wanted))  # map keeps the requested order


def _enabled_regions(accounts: list[_Account], home: str, partition: str) -> dict[str, list[str]]:
    """``--regions all`` for each reachable account: the AAS regions of the partition that
    *this* account has enabled, asked through its own (assumed) session.

    Opt-in regions are enabled per account, so the caller's list is wrong for a member
    account: it would scan regions the member has not enabled (a wall of RegionDisabled
    errors) and miss regions only the member has enabled. One ``ec2:DescribeRegions`` per
    account, run in parallel like the AssumeRole calls. An account whose list cannot be read
    becomes unreachable with the reason, unless it is the only account: then nothing can run.
    """
    from scalewarden.aws.errors import describe_error
    from scalewarden.aws.regions import enabled_aas_regions

    reachable = [a for a in accounts if a.clients is not None]

    def resolve(account: _Account) -> list[str] | str:
        assert account.clients is not None
        try:
            return enabled_aas_regions(account.clients.client("ec2", home), partition)
        except Exception as exc:
            return f"could not list the account's enabled regions: {describe_error(exc)}"

    if len(reachable) <= 1:
        results = [resolve(a) for a in reachable]
    else:
        with ThreadPoolExecutor(
            max_workers=min(ASSUME_WORKERS, len(reachable)),
            thread_name_prefix="scalewarden-regions",
        ) as pool:
            results = list(pool.map(resolve, reachable))
    out: dict[str, list[str]] = {}
    for account, result in zip(reachable, results, strict=True):
        if isinstance(result, str):
            if len(accounts) == 1:
                raise ScanError(result)
            account.clients, account.error = None, result
        else:
            out[account.account_id] = result
    return out


def _unreachable(account: _Account, regions: Sequence[str]) -> AccountInventory:
    """An inventory for an account we could not enter: every source missing, with why."""
    from scalewarden.aws.inventory import (
        REGIONAL_SOURCES,
        AccountInventory,
        RegionInventory,
        Source,
    )

    reason = account.error or "account not reachable"
    inventory = AccountInventory(
        account_id=account.account_id,
        account_name=account.name,
        errors={Source.IAM_AUTHORIZATION: reason},
    )
    for region in regions:
        inventory.regions[region] = RegionInventory(
            account_id=account.account_id,
            region=region,
            errors=dict.fromkeys(REGIONAL_SOURCES, reason),
        )
    return inventory


def coverage_of(inventories: Sequence[AccountInventory]) -> list[dict[str, str]]:
    """Every source that could not be collected, per account and region, with the reason."""
    from scalewarden.aws.inventory import GLOBAL_REGION

    out: list[dict[str, str]] = []
    for inv in inventories:
        for source, reason in sorted(inv.errors.items()):
            out.append(
                {
                    "account_id": inv.account_id,
                    "region": GLOBAL_REGION,
                    "source": source,
                    "reason": reason,
                }
            )
        for region, rinv in sorted(inv.regions.items()):
            for source, reason in sorted(rinv.errors.items()):
                out.append(
                    {
                        "account_id": inv.account_id,
                        "region": region,
                        "source": source,
                        "reason": reason,
                    }
                )
    return out


def run_scan(
    scope: ScanScope,
    *,
    progress: ProgressCallback | None = None,
    mutelist: Any = None,
    options: ScanOptions | None = None,
    scan_id: str | None = None,
) -> ScanReport:
    """Run a scan and return its report. Raises ``ScopeError`` (usage) or ``ScanError``.

    ``scan_id`` names the report (a new random id by default): the service gives a scan its
    id when it is queued, before it runs."""
    from scalewarden.aws.collector import CollectorOptions, collect_accounts
    from scalewarden.aws.session import (
        AwsConfigError,
        ClientFactory,
        ClientSettings,
        describe_config_error,
        make_config,
        make_session,
        require_credentials,
    )
    from scalewarden.checks.engine import evaluate
    from scalewarden.checks.model import ScanReport, fingerprint_key, sort_findings

    opts = options or ScanOptions()
    started = datetime.now(UTC)
    checks = _select_checks(scope)
    workers = opts.max_workers or CollectorOptions().max_workers
    settings = opts.client_settings or ClientSettings(max_pool_connections=max(workers, 10))
    config = make_config(settings)
    try:
        # An explicit region wins over the profile's, as AWS_REGION does in boto3 itself.
        session = make_session(scope.profile, opts.region)
        require_credentials(session)
        clients = ClientFactory(session, config, on_client=opts.on_client)
        named = _regions(scope, session)
        home = _home_region(session, named)
    except AwsConfigError as exc:
        raise CredentialsError(str(exc)) from exc
    except Exception as exc:  # botocore reads the config lazily (the region, for one)
        reason = describe_config_error(exc, scope.profile)
        if reason is None:
            raise
        raise CredentialsError(reason) from exc
    caller, partition = _caller(clients, home)
    accounts = _accounts(scope, session, clients, caller, partition, home)
    per_account: dict[str, list[str]] = {}
    if named is None:
        per_account = _enabled_regions(accounts, home, partition)
        regions = sorted({r for rs in per_account.values() for r in rs})
    else:
        regions = named
    if not regions:
        failed = next((a.error for a in accounts if a.error), None)
        if len(accounts) == 1:
            why = "the account has no enabled AAS region"
        elif failed:
            why = f"no account's enabled regions could be read ({failed})"
        else:
            why = "no scanned account has an enabled AAS region"
        raise ScanError(f"no region to scan: {why}")

    reachable = [a for a in accounts if a.clients is not None]
    total = sum(len(per_account.get(a.account_id, regions)) + 1 for a in reachable)
    finished = 0
    calls: dict[str, tuple[int, int]] = {}  # account → (calls done, calls known)
    lock = threading.Lock()  # updates arrive from the collector's worker threads

    def on_update(update: ProgressUpdate) -> None:
        nonlocal finished
        phase: Phase = "collecting"
        if update.phase in ("done", "error"):
            phase = "done" if update.phase == "done" else "error"
        with lock:
            if phase != "collecting":
                finished += 1
            if update.calls_known:
                calls[update.account_id] = (update.calls_done, update.calls_known)
            event = ProgressEvent(
                update.account_id,
                update.region,
                phase,
                finished,
                total,
                sum(d for d, _ in calls.values()),
                sum(k for _, k in calls.values()),
            )
            if progress is not None:
                progress(event)

    # A full scan reads everything; a narrower one only what its checks declare, so that
    # `--checks target_fixed_capacity` makes a handful of calls instead of hundreds.
    from scalewarden.aws.permissions import base_source

    everything = len(checks) == len(_select_checks(ScanScope()))
    sources = (
        None
        if everything
        else frozenset(base_source(s) for c in checks for s in (*c.requires, *c.absence_requires))
    )
    collected = collect_accounts(
        [(a.clients, a.account_id, a.name) for a in reachable if a.clients is not None],
        regions,
        options=CollectorOptions(max_workers=workers, sources=sources),
        progress=on_update,
        account_regions=per_account,
    )
    by_id = {inv.account_id: inv for inv in collected}
    inventories = [
        by_id[a.account_id] if a.clients is not None else _unreachable(a, regions) for a in accounts
    ]
    with fingerprint_key(opts.fingerprint_key):
        findings = evaluate(inventories, checks)
    if mutelist is not None:
        findings = mutelist.apply(findings, datetime.now(UTC))
    return ScanReport(
        scan_id=scan_id or uuid.uuid4().hex,
        started_at=started,
        finished_at=datetime.now(UTC),
        # Each account's own regions (with `all` they differ); `regions` is their union.
        accounts=[
            {"id": inv.account_id, "name": inv.account_name, "regions": sorted(inv.regions)}
            for inv in inventories
        ],
        regions=list(regions),
        findings=sort_findings(findings),
        coverage=coverage_of(inventories),
    )
