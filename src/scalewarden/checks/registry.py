"""The check catalogue: every check in one ordered list, and selection by id or topic.

Each topic module exports ``CHECKS``; this module only concatenates them, so adding a check
means writing it next to its siblings and nothing else. Ids are unique (asserted on load).
"""

from __future__ import annotations

from dataclasses import replace
from functools import lru_cache

from scalewarden.checks.model import Check
from scalewarden.compliance import compliance_of


@lru_cache(maxsize=1)
def all_checks() -> tuple[Check, ...]:
    """The whole catalogue, in a stable order (topic modules, then definition order)."""
    from scalewarden.checks import (
        data_protection,
        dynamodb,
        iam,
        monitoring,
        service_linked_roles,
        targets,
        vpc_endpoints,
    )

    checks: list[Check] = []
    for module in (
        iam,
        service_linked_roles,
        vpc_endpoints,
        monitoring,
        targets,
        dynamodb,
        data_protection,
    ):
        checks.extend(module.CHECKS)
    # Compliance mappings are data (``scalewarden/compliance/*.yaml``), joined here so that
    # every finding a check builds carries them.
    checks = [replace(c, compliance=compliance_of(c.id)) for c in checks]
    ids = [c.id for c in checks]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise RuntimeError(f"duplicate check ids: {', '.join(duplicates)}")
    return tuple(checks)


def get_check(check_id: str) -> Check:
    """One check by id; KeyError naming the valid ids when unknown."""
    for check in all_checks():
        if check.id == check_id:
            return check
    raise KeyError(f"unknown check {check_id!r}; valid ids: {', '.join(check_ids())}")


def check_ids() -> list[str]:
    return [c.id for c in all_checks()]


def topics() -> list[str]:
    return sorted({c.topic for c in all_checks()})


def select(spec: str | None) -> list[Check]:
    """Checks named by a comma-separated list of ids and/or topics (``None``/empty: all).

    Order follows the catalogue whatever the order of the spec; unknown names raise a
    ValueError that lists the valid ids and topics, so the CLI can print it as is.
    """
    if spec is None or not spec.strip():
        return list(all_checks())
    wanted = [part.strip() for part in spec.split(",") if part.strip()]
    ids = set(check_ids())
    topic_names = set(topics())
    unknown = [w for w in wanted if w not in ids and w not in topic_names]
    if unknown:
        raise ValueError(
            f"unknown check or topic: {', '.join(unknown)}. "
            f"Valid topics: {', '.join(sorted(topic_names))}. "
            f"Valid check ids: {', '.join(check_ids())}."
        )
    chosen = set(wanted)
    return [c for c in all_checks() if c.id in chosen or c.topic in chosen]
