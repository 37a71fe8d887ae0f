"""What the service scans: the configured regions, accounts and role, for Slack and digests.

The CLI names its scope on the command line; the service takes it from the settings
(``SCALEWARDEN_SCAN_REGIONS``, ``SCALEWARDEN_SCAN_ACCOUNTS`` or ``SCALEWARDEN_SCAN_ORGANIZATION``,
``SCALEWARDEN_ROLE_NAME``, ``SCALEWARDEN_EXTERNAL_ID``). A Slack user may narrow it (``region=``,
``account=``) but never widen it to an account or a region the operator did not configure: that
is checked here, once (:meth:`ServiceScope.problem`), for ``/scalewarden scan``, ``digest
subscribe``, ``mute``, the API's scans and an alert's "Scan this target now" alike.

Without configured accounts the service's own account is the one allowed: its id is learned
once through STS (``aws.identity.OwnAccount``) in a thread of its own. :meth:`problem` only
reads what was learned, so it may run anywhere, acknowledgements included; paths that are
not waiting on an acknowledgement first give the look-up a few seconds
(:meth:`ServiceScope.problem_when_known`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from scalewarden.aws.identity import OwnAccount
    from scalewarden.scan import ScanScope
    from scalewarden.settings import Settings


@dataclass(frozen=True)
class ServiceScope:
    """The service's own scope. ``regions`` empty: the configured region (``ScanOptions``);
    ``("all",)``: every enabled region. ``accounts`` empty and not ``organization``: the
    service's own account only, whose id ``own`` learns."""

    regions: tuple[str, ...] = ()
    accounts: tuple[str, ...] = ()
    organization: bool = False
    role_name: str | None = None
    external_id: str | None = None
    #: The service's own account (``None``: never learned, so no account may be named).
    own: OwnAccount | None = field(default=None, compare=False, repr=False)

    #: Seconds a path that is not waiting on an acknowledgement gives the STS look-up.
    LEARN_WAIT = 6.0

    @classmethod
    def from_settings(cls, settings: Settings) -> ServiceScope:
        """The scope the settings give; ``ValueError`` naming the setting that is wrong."""
        from scalewarden.aws.accounts import (
            parse_account_ids,
            validate_external_id,
            validate_role_name,
        )
        from scalewarden.aws.regions import parse_regions

        try:
            regions = parse_regions(settings.scan_regions) or []
        except ValueError as exc:
            raise ValueError(f"SCALEWARDEN_SCAN_REGIONS: {exc}") from None
        try:
            accounts = parse_account_ids(settings.scan_accounts) or []
        except ValueError as exc:
            raise ValueError(f"SCALEWARDEN_SCAN_ACCOUNTS: {exc}") from None
        if accounts and settings.scan_organization:
            raise ValueError(
                "set SCALEWARDEN_SCAN_ACCOUNTS or SCALEWARDEN_SCAN_ORGANIZATION, not both"
            )
        role = validate_role_name(settings.role_name) if settings.role_name else None
        external = (
            validate_external_id(settings.external_id.get_secret_value())
            if settings.external_id is not None and settings.external_id.get_secret_value()
            else None
        )
        from scalewarden.aws.identity import OwnAccount

        return cls(
            regions=tuple(regions),
            accounts=tuple(accounts),
            organization=settings.scan_organization,
            role_name=role,
            external_id=external,
            own=OwnAccount.from_settings(settings, regions),
        )

    @property
    def single_account(self) -> bool:
        """No accounts configured and no organization: the own account is the only one."""
        return not self.accounts and not self.organization

    def account_problem(self, requested: Sequence[str]) -> str | None:
        """Why ``requested`` accounts may not be scanned, or ``None`` when they may."""
        if not requested or self.organization:
            return None
        if not self.accounts:
            return self._own_account_problem(requested)
        outside = [a for a in requested if a not in self.accounts]
        if outside:
            return (
                f"account(s) {', '.join(outside)} are not among the accounts this service "
                f"scans ({', '.join(self.accounts)}), set in SCALEWARDEN_SCAN_ACCOUNTS"
            )
        return None

    def _own_account_problem(self, requested: Sequence[str]) -> str | None:
        """The rule of the single-account set-up: only the service's own account."""
        own = self.own.known() if self.own is not None else None
        if own is None:
            if self.own is not None:
                self.own.request()  # learn it for next time; never waited for here
            why = self.own.reason() if self.own is not None else "it cannot be learned here"
            return (
                "this service scans only its own AWS account, and does not know its id yet "
                f"({why}); try again in a minute, or list the accounts it may scan in "
                "SCALEWARDEN_SCAN_ACCOUNTS"
            )
        outside = [a for a in requested if a != own]
        if outside:
            return (
                f"account {', '.join(outside)} is not this service's own account ({own}), the "
                "only one it scans: an operator can list the accounts it may scan in "
                "SCALEWARDEN_SCAN_ACCOUNTS (with SCALEWARDEN_ROLE_NAME)"
            )
        return None

    def region_problem(self, requested: Sequence[str]) -> str | None:
        """Why ``requested`` regions lie outside the configured ones, or ``None``. Without
        ``SCALEWARDEN_SCAN_REGIONS`` (or with ``all``) every region is the service's."""
        if not requested or not self.regions or "all" in self.regions:
            return None
        outside = [r for r in requested if r not in self.regions]
        if outside:
            return (
                f"region(s) {', '.join(outside)} are not among the regions this service "
                f"scans ({', '.join(self.regions)}), set in SCALEWARDEN_SCAN_REGIONS"
            )
        return None

    def problem(self, *, accounts: Sequence[str] = (), regions: Sequence[str] = ()) -> str | None:
        """Why a request for ``accounts`` and ``regions`` (narrowing the service's scope) may
        not be served, or ``None``: the one check behind Slack's ``scan``, ``digest
        subscribe``, ``alerts subscribe`` and ``mute``, and the API's scans."""
        return self.account_problem(accounts) or self.region_problem(regions)

    async def problem_when_known(
        self, *, accounts: Sequence[str] = (), regions: Sequence[str] = ()
    ) -> str | None:
        """:meth:`problem`, after giving the own account's look-up up to ``LEARN_WAIT``
        seconds in a worker thread when the answer depends on it (never the loop). For paths
        that answer after their acknowledgement: buttons, digest and mute replies, the API."""
        if accounts:
            await self.learn_own_account()
        return self.problem(accounts=accounts, regions=regions)

    async def learn_own_account(self) -> None:
        """Give the own account's look-up up to ``LEARN_WAIT`` seconds (in a worker thread)
        when the single-account rule needs it and it is not known yet."""
        if self.single_account and self.own is not None and not self.own.known():
            await asyncio.to_thread(self.own.resolve, self.LEARN_WAIT)

    def scope(
        self,
        *,
        regions: Sequence[str] = (),
        accounts: Sequence[str] = (),
        checks: str | None = None,
    ) -> ScanScope:
        """The scan for a request narrowed to ``regions``/``accounts`` (empty: the whole
        configured scope). Call :meth:`problem` first."""
        from scalewarden.scan import ScanScope

        return ScanScope(
            regions=list(regions or self.regions) or None,
            accounts=list(accounts or self.accounts) or None,
            organization=self.organization and not accounts,
            role_name=self.role_name,
            external_id=self.external_id,
            checks=checks,
        )
