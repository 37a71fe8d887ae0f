"""Drive the real FastAPI app with requests signed and shaped the way Slack sends them."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import httpx
from fake_slack import TEAM_ID, FakeSlack
from fastapi import FastAPI

from scalewarden.checks.model import Check, Finding, ScanReport, Severity, Status
from scalewarden.scan import ScanScope
from scalewarden.scanning.jobs import ScanJob

SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
BOT_TOKEN = "xoxb-1234567890-0987654321-AbCdEfGhIjKlMnOpQrStUvWx"
APP_TOKEN = "xapp-1-A0000000001-1234567890-abcdef0123456789"
ADMIN = "UADMIN001"
USER = "UUSER0001"
CHANNEL = "C0000CHAN"


def sign(body: bytes, *, secret: str = SIGNING_SECRET, timestamp: int | None = None) -> dict:
    """The two headers Slack adds: ``X-Slack-Request-Timestamp`` and ``X-Slack-Signature``."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    base = b"v0:" + ts.encode() + b":" + body
    digest = hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}"}


def mention(text: str, *, ts: str, user: str = USER, **extra: Any) -> dict[str, Any]:
    """An ``app_mention`` event in ``CHANNEL`` (``extra`` adds fields, e.g. ``thread_ts``)."""
    return {
        "type": "app_mention",
        "user": user,
        "channel": CHANNEL,
        "text": text,
        "ts": ts,
        **extra,
    }


def command_body(text: str, *, user: str, channel: str, response_url: str) -> bytes:
    """A slash command exactly as Slack posts it: form-encoded."""
    return urlencode(
        {
            "token": "deprecated-verification-token",
            "team_id": TEAM_ID,
            "team_domain": "example",
            "channel_id": channel,
            "channel_name": "general",
            "user_id": user,
            "user_name": "someone",
            "command": "/scalewarden",
            "text": text,
            "api_app_id": "A0000000001",
            "is_enterprise_install": "false",
            "response_url": response_url,
            "trigger_id": "1234.5678.abcd",
        }
    ).encode()


def event_body(event: dict[str, Any], event_id: str) -> bytes:
    """An Events API callback, as JSON."""
    return json.dumps(
        {
            "token": "deprecated-verification-token",
            "team_id": TEAM_ID,
            "api_app_id": "A0000000001",
            "event": event,
            "type": "event_callback",
            "event_id": event_id,
            "event_time": int(time.time()),
            "authorizations": [{"team_id": TEAM_ID, "user_id": "UBOT0001", "is_bot": True}],
        }
    ).encode()


def action_body(action_id: str, value: str, *, user: str, response_url: str) -> bytes:
    """A block_actions interaction, as ``payload=<json>`` form data."""
    payload = {
        "type": "block_actions",
        "user": {"id": user, "username": "someone", "team_id": TEAM_ID},
        "api_app_id": "A0000000001",
        "token": "deprecated-verification-token",
        "container": {"type": "message", "message_ts": "1700000000.000001"},
        "trigger_id": "1234.5678.abcd",
        "team": {"id": TEAM_ID, "domain": "example"},
        "channel": {"id": CHANNEL, "name": "general"},
        "response_url": response_url,
        "actions": [
            {
                "action_id": action_id,
                "block_id": "answer_actions",
                "text": {"type": "plain_text", "text": "x"},
                "value": value,
                "type": "button",
                "action_ts": "1700000000.000002",
            }
        ],
    }
    return urlencode({"payload": json.dumps(payload)}).encode()


def sample_check(check_id: str = "dynamodb_table_autoscaling_enabled") -> Check:
    """A catalogue entry with every field the Slack views show."""
    return Check(
        id=check_id,
        title="DynamoDB tables scale with Application Auto Scaling",
        topic="resilience",
        severity=Severity.MEDIUM,
        description="Every provisioned DynamoDB table has scalable targets for reads and writes.",
        risk="A table without auto scaling is throttled when traffic grows.",
        remediation="Register the table's read and write capacity as scalable targets.",
        remediation_snippet="aws application-autoscaling register-scalable-target ...",
        kb_section="service-integrations#amazon-dynamodb-dynamodb",
        func=lambda check, account, region: [],
        requires=(
            "https://docs.aws.amazon.com/autoscaling/application/userguide/services-that-can-integrate-dynamodb.html",
        ),
    )


def build_report(count: int, *, errors: int = 0) -> ScanReport:
    """A report of ``count`` FAIL findings (mixed severities) plus ``errors`` ERRORs."""
    severities = list(Severity)
    findings = []
    for i in range(count):
        findings.append(
            Finding(
                check_id="dynamodb_table_autoscaling_enabled",
                title=f"DynamoDB table without auto scaling #{i}",
                severity=severities[i % len(severities)],
                status=Status.FAIL,
                account_id="123456789012",
                account_name="prod",
                region="us-east-1" if i % 2 else "eu-west-1",
                resource_id=f"table/orders-{i:04d}",
                resource_arn=f"arn:aws:dynamodb:us-east-1:123456789012:table/orders-{i:04d}",
                message="The table has no scalable target for write capacity. " * 3,
                remediation="Register the table.",
                kb_article="service-integrations",
            )
        )
    for i in range(errors):
        findings.append(
            Finding(
                check_id="iam_no_wildcard",
                title="IAM policies do not allow every action",
                severity=Severity.HIGH,
                status=Status.ERROR,
                account_id="123456789012",
                account_name=None,
                region="global",
                resource_id=f"policy-{i}",
                resource_arn=None,
                message="could not read IAM: AccessDenied",
                remediation="Grant iam:GetAccountAuthorizationDetails.",
                kb_article="identity-and-access-management",
            )
        )
    now = datetime.now(UTC)
    return ScanReport(
        scan_id=f"scan-{count}-{errors}-{int(time.time() * 1000)}",
        started_at=now - timedelta(seconds=12),
        finished_at=now,
        accounts=[{"account_id": "123456789012", "account_name": "prod"}],
        regions=["eu-west-1", "us-east-1"],
        findings=findings,
    )


@dataclass
class RecordingScanner:
    """A scan function for tests where AWS is not the point: records the scope of each
    call, reports progress. ``create_app`` runs it in a thread (it records in this process)."""

    report: ScanReport
    calls: list[ScanScope] = field(default_factory=list)
    gate: threading.Event | None = None
    error: Exception | None = None
    #: (daemon, name) of the thread each call ran in.
    threads: list[tuple[bool, str]] = field(default_factory=list)

    def __call__(self, job: ScanJob, progress: Callable[[Any], None]) -> ScanReport:
        self.calls.append(job.scope)
        current = threading.current_thread()
        self.threads.append((current.daemon, current.name))
        from types import SimpleNamespace

        for i in range(3):
            progress(
                SimpleNamespace(
                    account_id="123456789012", region="us-east-1", phase="collect", done=i, total=3
                )
            )
        if self.gate is not None:
            self.gate.wait(10)
        if self.error is not None:
            raise self.error
        return self.report


class Harness:
    """The app under test, an HTTP client bound to it, and the Slack stand-in."""

    def __init__(self, app: FastAPI, fake: FakeSlack, store: Any) -> None:
        self.app = app
        self.fake = fake
        self.store = store
        self.client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://testserver"
        )

    @property
    def services(self) -> Any:
        return self.app.state.services

    async def post(
        self,
        body: bytes,
        content_type: str,
        *,
        headers: dict[str, str] | None = None,
        signed: bool = True,
        timestamp: int | None = None,
    ) -> httpx.Response:
        all_headers = {"Content-Type": content_type}
        if signed:
            all_headers.update(sign(body, timestamp=timestamp))
        all_headers.update(headers or {})
        return await self.client.post("/slack/events", content=body, headers=all_headers)

    async def command(
        self, text: str, *, user: str = ADMIN, channel: str = CHANNEL, hook: str = "cmd"
    ) -> httpx.Response:
        body = command_body(
            text, user=user, channel=channel, response_url=self.fake.response_url(hook)
        )
        return await self.post(body, "application/x-www-form-urlencoded")

    async def event(
        self, event: dict[str, Any], *, event_id: str, headers: dict[str, str] | None = None
    ) -> httpx.Response:
        return await self.post(event_body(event, event_id), "application/json", headers=headers)

    async def action(
        self, action_id: str, value: str, *, user: str = USER, hook: str = "act"
    ) -> httpx.Response:
        body = action_body(action_id, value, user=user, response_url=self.fake.response_url(hook))
        return await self.post(body, "application/x-www-form-urlencoded")

    async def settle(self) -> None:
        """Wait until the work a request started has finished.

        The app runs Bolt with ``process_before_response``, so by the time a response is
        back every listener has handed its slow part to the tracked background tasks; waiting
        for those to go idle (including tasks they spawn) is all there is to wait for.
        """
        await self.services.tasks.drain(10)
