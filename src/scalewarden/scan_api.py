"""The scan routes of the JSON API (``/api/v1/scans``): start, list, status, findings, report.

They use the service's one scan runner (``services.scans``), so an API scan shares the queue,
the limits, the merging and the worker processes of Slack and digest scans, and is audited
like them (user ``api``, command ``scan``, the outcome when it ends). Every route needs the
API token (``TokenRequired``), even when the rest of the API is open.

Ids: ``POST`` answers with the scan's id, which is also the id its report is stored under.
Queued, running and recently finished scans are read from the runner (their status, progress
and failure); completed scans from the store (findings and reports, across restarts).
Findings are paged with ``limit`` (1-500, default 100) and ``offset``; a page says
``next_offset`` (``null`` on the last page).
"""

from __future__ import annotations

import asyncio
import json
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from scalewarden.api import Services, TokenRequired, api_error, error_responses
from scalewarden.scan import ScanScope, ScopeError
from scalewarden.scanning.jobs import ScanJob
from scalewarden.scanning.runner import (
    Admission,
    ScanCancelled,
    ScanRun,
    ScanState,
    audit_outcome,
    merged_outcome,
)
from scalewarden.service_scope import ServiceScope
from scalewarden.slack.services import SlackServices

#: Who the audit log names for API scans, and whose queue limit they count against.
API_REQUESTER = "api"
#: Most findings in one page.
MAX_PAGE = 500

router = APIRouter(prefix="/api/v1/scans", tags=["scans"], responses=error_responses(401, 422))


class ScanBody(BaseModel):
    """``POST /api/v1/scans``: what to scan, within the service's scope (``SCALEWARDEN_SCAN_*``).
    Omitted (or empty) means that whole scope, with every check; the stored mutes apply."""

    accounts: list[Annotated[str, Field(max_length=12)]] | None = Field(
        default=None, max_length=200
    )
    regions: list[Annotated[str, Field(max_length=32)]] | None = Field(default=None, max_length=40)
    checks: list[Annotated[str, Field(max_length=128)]] | None = Field(default=None, max_length=200)


def _scope(body: ScanBody, service: ServiceScope) -> ScanScope:
    """The body as a scope within the service's (``SCALEWARDEN_SCAN_*``), validated now so
    that a bad request is a 400, not a failed scan."""
    from scalewarden.aws.accounts import parse_account_ids
    from scalewarden.aws.regions import parse_regions

    try:
        accounts = parse_account_ids(",".join(body.accounts)) if body.accounts else None
        regions = (
            ["all"]
            if body.regions == ["all"]
            else (parse_regions(",".join(body.regions)) if body.regions else None)
        )
    except ValueError as exc:
        raise ScopeError(str(exc)) from exc
    problem = service.problem(accounts=accounts or (), regions=regions or ())
    if problem:
        raise ScopeError(problem)
    scope = service.scope(
        regions=regions or (),
        accounts=accounts or (),
        checks=",".join(body.checks) if body.checks else None,
    )
    scope.check_ids()  # ScopeError naming an unknown check
    return scope


def _scope_dict(scope: ScanScope) -> dict[str, Any]:
    checks = [c for c in (scope.checks or "").split(",") if c]
    return {"accounts": scope.accounts, "regions": scope.regions, "checks": checks or None}


def _run_view(run: ScanRun) -> dict[str, Any]:
    """A run as the API shows it: status, scope, times, progress, summary or error."""
    from scalewarden.slack.scan.flow import failure_message

    progress = run.progress
    error = None
    if run.state in (ScanState.FAILED, ScanState.CANCELLED) and run.error is not None:
        error = failure_message(run.error).removeprefix(":x: ")
        if isinstance(run.error, ScanCancelled):
            error = str(run.error)
    return {
        "id": run.id,
        "status": run.state.value,
        "source": run.source,
        "scope": _scope_dict(run.job.scope),
        "created_at": run.created_at.isoformat(),
        "started_at": run.started_at.isoformat() if run.started_at else None,
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
        "progress": None
        if progress is None or not run.active
        else {"done": getattr(progress, "done", None), "total": getattr(progress, "total", None)},
        "summary": run.report.summary if run.report is not None else None,
        "error": error,
    }


def _stored_view(report: dict[str, Any]) -> dict[str, Any]:
    """A stored scan (read back from the database) in the same shape."""
    accounts = [a.get("id") for a in report.get("accounts") or [] if isinstance(a, dict)]
    return {
        "id": report.get("scan_id"),
        "status": ScanState.COMPLETED.value,
        "source": None,
        "scope": {"accounts": accounts, "regions": report.get("regions"), "checks": None},
        "created_at": report.get("started_at"),
        "started_at": report.get("started_at"),
        "finished_at": report.get("finished_at"),
        "progress": None,
        "summary": report.get("summary"),
        "error": None,
    }


async def _audit_when_done(
    services: SlackServices, run: ScanRun, arguments: str, *, merged: bool
) -> None:
    """Audit the request when its scan ends (as a Slack scan is audited): a request merged
    into a scan under way as ``merged``."""
    outcome, detail = await audit_outcome(run)
    if merged:
        outcome, detail = merged_outcome(run, outcome, detail)
    await services.audit.record(
        user_id=API_REQUESTER,
        team_id=None,
        channel_id=None,
        command="scan",
        arguments=arguments,
        outcome=outcome,
        detail=detail,
    )


@router.post("", status_code=202, responses=error_responses(400, 429))
async def start_scan(body: ScanBody, services: Services, _caller: TokenRequired) -> JSONResponse:
    """Queue a scan (or join the same one); 202 with its id, 400 for a bad scope, 429 when
    the queue's limits refuse it."""
    from scalewarden.slack.scan.flow import stored_mutes

    if body.accounts:
        # Naming an account needs the service's own account id (off the loop, bounded).
        await services.scan_scope.learn_own_account()
    try:
        scope = _scope(body, services.scan_scope)
    except ScopeError as exc:
        return api_error(400, "invalid_scope", str(exc))
    arguments = json.dumps(_scope_dict(scope), sort_keys=True)
    job = ScanJob(scope, mutelist=await stored_mutes(services))
    ticket = services.scans.submit(job, requester=API_REQUESTER, source="api")
    if ticket.run is None:
        reason = ticket.reason or "refused"
        services.tasks.spawn(
            services.audit.record(
                user_id=API_REQUESTER,
                team_id=None,
                channel_id=None,
                command="scan",
                arguments=arguments,
                outcome="refused",
                detail=reason,
            )
        )
        return api_error(429, "scan_refused", reason, {"Retry-After": "60"})
    run = ticket.run
    merged = ticket.admission is Admission.MERGED
    services.tasks.spawn(_audit_when_done(services, run, arguments, merged=merged), name="api-scan")
    view = _run_view(run) | {"merged": merged}
    return JSONResponse(view, status_code=202, headers={"Location": f"/api/v1/scans/{run.id}"})


@router.get("")
async def list_scans(
    services: Services,
    _caller: TokenRequired,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> JSONResponse:
    """Scans newest first: queued, running and recently finished ones from the runner, then
    the stored ones."""
    views = [_run_view(run) for run in services.scans.runs()]
    seen = {v["id"] for v in views} | {run.stored_id for run in services.scans.runs()}
    store = services.store
    if store is not None and len(views) < limit:
        stored = await asyncio.to_thread(store.scan_history, limit=limit)
        views += [
            {
                "id": s.scan_id,
                "status": ScanState.COMPLETED.value,
                "source": None,
                "scope": {
                    "accounts": list(s.accounts),
                    "regions": list(s.regions),
                    "checks": None,
                },
                "created_at": s.started_at.isoformat(),
                "started_at": s.started_at.isoformat(),
                "finished_at": s.finished_at.isoformat() if s.finished_at else None,
                "progress": None,
                "summary": {"by_status": s.by_status},
                "error": None,
            }
            for s in stored
            if s.scan_id not in seen
        ]
    return JSONResponse({"scans": views[:limit], "count": len(views[:limit])})


async def _stored_report(services: SlackServices, scan_id: str) -> dict[str, Any] | None:
    store = services.store
    if store is None:
        return None
    record = await asyncio.to_thread(store.scan_record, scan_id)
    return None if record is None else record.report


def _not_found(scan_id: str) -> JSONResponse:
    return api_error(404, "not_found", f"no scan has the id {scan_id[:80]!r}")


def _impossible_id(scan_id: str) -> bool:
    """True for an id no scan can have (blank, only whitespace such as U+0085, too long): the
    store refuses to look such an id up, and the answer is a 404, not its error."""
    from scalewarden.store import validate
    from scalewarden.store.models import ID_LENGTH

    try:
        validate.text("scan_id", scan_id, max_length=ID_LENGTH)
    except ValueError:
        return True
    return False


def _not_finished(run: ScanRun) -> JSONResponse | None:
    """409 while the scan is queued or running; 404-like 410 when it ended without a report."""
    if run.active:
        return api_error(409, "scan_not_finished", f"the scan is {run.state.value}; try later")
    if run.state is not ScanState.COMPLETED:
        return api_error(409, "scan_has_no_report", f"the scan {run.state.value}")
    return None


@router.get("/{scan_id}", responses=error_responses(404))
async def scan_status(scan_id: str, services: Services, _caller: TokenRequired) -> JSONResponse:
    """A scan's status and summary (and its progress while it runs, its error if it failed)."""
    if _impossible_id(scan_id):
        return _not_found(scan_id)
    run = services.scans.find(scan_id)
    if run is not None:
        return JSONResponse(_run_view(run))
    report = await _stored_report(services, scan_id)
    if report is None:
        return _not_found(scan_id)
    return JSONResponse(_stored_view(report))


@router.get("/{scan_id}/findings", responses=error_responses(400, 404, 409))
async def scan_findings(
    scan_id: str,
    services: Services,
    _caller: TokenRequired,
    severity: Annotated[str | None, Query(max_length=16)] = None,
    status: Annotated[str | None, Query(max_length=16)] = None,
    check: Annotated[str | None, Query(max_length=128)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> JSONResponse:
    """One page of a completed scan's findings, worst first: at or above ``severity``, with
    ``status`` (PASS, FAIL, ERROR, MUTED), of check ``check``."""
    if _impossible_id(scan_id):
        return _not_found(scan_id)
    run = services.scans.find(scan_id)
    if run is not None and (refusal := _not_finished(run)) is not None:
        return refusal
    store = services.store
    if store is None:
        return _not_found(scan_id)
    stored_id = run.stored_id if run is not None and run.stored_id else scan_id
    try:
        page = await asyncio.to_thread(
            store.scan_findings,
            stored_id,
            min_severity=severity,
            status=status,
            check_id=check,
            limit=limit,
            offset=offset,
        )
    except ValueError as exc:
        return api_error(400, "invalid_filter", str(exc))
    if page is None:
        return _not_found(scan_id)
    findings, more = page
    return JSONResponse(
        {
            "scan_id": stored_id,
            "findings": findings,
            "count": len(findings),
            "limit": limit,
            "offset": offset,
            "next_offset": offset + len(findings) if more else None,
        }
    )


@router.get("/{scan_id}/report", responses=error_responses(400, 404, 409))
async def scan_report(
    scan_id: str,
    services: Services,
    _caller: TokenRequired,
    format: Annotated[str, Query(max_length=16)] = "json",
) -> Response:
    """The whole report in any format of the one registry (``scalewarden.reports.FORMATS``)."""
    from scalewarden.checks.model import ScanReport
    from scalewarden.reports import resolve_format

    try:
        output = resolve_format(format)
    except ValueError as exc:
        return api_error(400, "unknown_format", str(exc))
    if _impossible_id(scan_id):
        return _not_found(scan_id)
    run = services.scans.find(scan_id)
    if run is not None and (refusal := _not_finished(run)) is not None:
        return refusal
    stored_id = run.stored_id if run is not None and run.stored_id else scan_id
    data = await _stored_report(services, stored_id)
    if data is None:
        return _not_found(scan_id)
    text = await asyncio.to_thread(lambda: output.render(ScanReport.from_dict(data)))
    filename = output.filename(f"scalewarden-scan-{stored_id}")
    return Response(
        text,
        media_type=output.media_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
