"""What stored scans already know about a resource: the ``Store``'s share for live alerts.

An alert's classifier asks two things the event may not carry: a scalable target's tags (the
protection-tag raise) and a VPC endpoint's service (is it Application Auto Scaling's?). The
newest stored scans often know both, and, unlike AWS, they still know about a target or an
endpoint the event has just deleted. Stored scans keep findings, not the inventory, so the
answers come from findings:

* a target's findings carry its tags (redacted like every finding) in ``evidence.tags``,
  under the target's label (``namespace:resource id:dimension``) and its ARN;
* the collector keeps only Application Auto Scaling endpoints, so an endpoint id that is the
  resource of an ``vpc_endpoint_aas_*`` finding is one of those.

Only the newest :data:`FACT_SCANS` scans are read, each through the findings' ``scan_pk``
index, and only rows of the asked account and region: a look-up reads a few rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, or_, select
from sqlalchemy.orm import Session, sessionmaker

from scalewarden.store.models import Finding, Scan

#: Newest scans a look-up reads (newest first; the first that knows the resource answers).
FACT_SCANS = 5
#: Findings of one resource read at most (a target has one per target check).
FACT_ROWS = 16
#: The checks whose per-endpoint findings are about Application Auto Scaling endpoints.
ENDPOINT_CHECKS = (
    "vpc_endpoint_aas_policy_full_access",
    "vpc_endpoint_aas_private_dns_disabled",
    "vpc_endpoint_aas_sg_open",
)


@dataclass(frozen=True)
class StoredFact:
    """What a stored scan said, and which scan said it."""

    scan_id: str
    scanned_at: datetime
    #: The target's tags (``stored_target_tags``); empty for an endpoint.
    tags: dict[str, str]


class FactRecords:
    """Look-ups into stored findings; mixed into :class:`~scalewarden.store.Store`."""

    engine: Engine
    _reads: sessionmaker[Session]

    def stored_target_tags(
        self, account: str, region: str, *, label: str = "", arn: str = ""
    ) -> StoredFact | None:
        """The tags the newest stored scans saw on the target named by ``label`` (as findings
        show it) or ``arn``; ``None`` when none of them has the target with its tags."""
        if not label and not arn:
            return None
        names = []
        if label:
            names.append(Finding.resource_id == label)
        if arn:
            names.append(Finding.payload["resource_arn"].as_string() == arn)
        for scan, payload in self._facts(account, region, or_(*names)):
            evidence = payload.get("evidence")
            tags = evidence.get("tags") if isinstance(evidence, dict) else None
            if isinstance(tags, dict):
                clean = {str(k): str(v) for k, v in list(tags.items())[:200]}
                return StoredFact(scan.scan_id, scan.finished_at or scan.started_at, clean)
        return None

    def stored_endpoint(self, account: str, region: str, endpoint_id: str) -> StoredFact | None:
        """The newest stored scan that found ``endpoint_id`` among the account's Application
        Auto Scaling endpoints in ``region``, or ``None``."""
        match = (Finding.resource_id == endpoint_id) & Finding.check_id.in_(ENDPOINT_CHECKS)
        for scan, _payload in self._facts(account, region, match):
            return StoredFact(scan.scan_id, scan.finished_at or scan.started_at, {})
        return None

    def _facts(self, account: str, region: str, match: Any) -> list[tuple[Scan, dict[str, Any]]]:
        with self._reads() as session:
            scans = session.scalars(
                select(Scan).order_by(Scan.started_at.desc(), Scan.id.desc()).limit(FACT_SCANS)
            ).all()
            for scan in scans:
                rows = session.scalars(
                    select(Finding.payload)
                    .where(
                        Finding.scan_pk == scan.id,
                        Finding.account_id == account,
                        Finding.region == region,
                        match,
                    )
                    .limit(FACT_ROWS)
                ).all()
                if rows:
                    return [(scan, dict(row)) for row in rows]
        return []
