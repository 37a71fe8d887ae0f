"""The parts of the collector's one call wrapper that hold no collection state.

``Answer`` is what a call gave a source; ``KnownFailures`` is the rule that stops an
operation from being asked again after a failure retrying cannot fix; the paging functions
turn a listing into pages of the size each source declares. ``collector.py`` applies them in
``AccountCollector._ask``, the only place an AWS call is made.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

#: Error categories after which the same operation is not attempted again in that scope.
_STICKY = ("AccessDenied", "RegionDisabled", "NotImplemented", "EndpointUnreachable")


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
class PageSize:
    """The parameter that sets an operation's page size, and the largest value it accepts."""

    param: str
    size: int


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


def op_name(op: str) -> str:
    """``describe_scalable_targets`` → ``DescribeScalableTargets`` (how AWS names it)."""
    return "".join(part.capitalize() for part in op.split("_"))


def pages(
    client: Any, op: str, params: dict[str, Any], page_sizes: Mapping[str, PageSize]
) -> Iterable[Any]:
    """The pages of ``op``: botocore's paginator, with the page size ``page_sizes`` gives."""
    if not client.can_paginate(op):
        return _manual_pages(getattr(client, op), params)
    args = dict(params)
    size = page_sizes.get(op)
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
