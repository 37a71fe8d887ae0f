"""Secrets planted in the name of every nameable resource reach no output at all.

A real scan of the local AWS, where the account alias, IAM policies, roles, users, groups and
inline policies, a DynamoDB table, a trail, an EventBridge rule, a scaling policy, a scheduled
action and a tag each hold a secret in their name. Then every view of that scan is read: every
report format, the rows a database stores (read back raw, on SQLite and PostgreSQL), and what
Slack is sent (messages, thread replies, the uploaded file). Each resource must be reported
(its name shows, masked), and no secret may show anywhere.
"""

from __future__ import annotations

import json
import re
from typing import Any

import boto3
import pytest
from sqlalchemy import create_engine, text

from scalewarden.aws.session import ClientSettings
from scalewarden.checks.model import ScanReport
from scalewarden.localaws import DEFAULT_ACCOUNT_ID
from scalewarden.reports import FORMATS, render
from scalewarden.scan import ScanOptions, ScanScope, run_scan
from scalewarden.slack.scan.flow import UPLOAD_FORMAT
from scalewarden.slack.views.scan import findings_blocks, scan_messages
from scalewarden.store import Store

FAST = ClientSettings(max_attempts=2, retry_mode="standard", connect_timeout=2, read_timeout=10)
REGION = "us-east-1"
GHP = "ghp_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789"
GHS = "ghs_ZyXwVuTsRqPoNmLkJiHgFeDcBa9876543210"
GHR = "ghr_QwErTyUiOpAsDfGhJkLzXcVbNm1357924680"

#: kind → (the part shown, the secret part); the resource's name is the two joined. The
#: secret parts share no text with one another, nor with anything a scan says of its own.
PLANTED: dict[str, tuple[str, str]] = {
    "account alias": ("acct-", "xoxb-5550001111-aliassecret"),
    "managed policy": ("ci-token=", GHP),
    "role": ("role-", "password=Hunter2RoleSecret"),
    "user": ("svc-", "xoxb-5550002222-usersecret"),
    "group": ("grp-", "xoxp-5550003333-groupsecret"),
    "inline policy": ("inline-", GHS),
    "table": ("", "xoxb-5550004444-tablesecret"),
    "trail": ("audit-", "xoxp-5550005555-trailsecret"),
    "rule": ("alert-", GHR),
    "scaling policy": ("tt-", "password=Hunter2PolicySecret"),
    "scheduled action": ("nightly-", "xoxb-5550006666-schedsecret"),
    "tag value": ("", "xoxb-5550007777-tagsecret"),
}


def name(kind: str) -> str:
    shown, secret = PLANTED[kind]
    return shown + secret


def seed() -> None:
    """Every nameable resource, each carrying its secret (names as AWS accepts them)."""
    iam = boto3.client("iam")
    iam.create_account_alias(AccountAlias=name("account alias"))
    broad = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "application-autoscaling:*", "Resource": "*"}],
    }
    arn = iam.create_policy(PolicyName=name("managed policy"), PolicyDocument=json.dumps(broad))[
        "Policy"
    ]["Arn"]
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{DEFAULT_ACCOUNT_ID}:root"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    iam.create_role(RoleName=name("role"), AssumeRolePolicyDocument=json.dumps(trust))
    iam.put_role_policy(
        RoleName=name("role"),
        PolicyName=name("inline policy"),
        PolicyDocument=json.dumps(broad),
    )
    iam.create_user(UserName=name("user"))
    iam.attach_user_policy(UserName=name("user"), PolicyArn=arn)
    iam.create_group(GroupName=name("group"))
    iam.attach_group_policy(GroupName=name("group"), PolicyArn=arn)

    ddb = boto3.client("dynamodb", region_name=REGION)
    for table in (name("table"), "orders"):
        ddb.create_table(
            TableName=table,
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            ProvisionedThroughput={"ReadCapacityUnits": 5, "WriteCapacityUnits": 5},
        )
    aas = boto3.client("application-autoscaling", region_name=REGION)
    target = aas.register_scalable_target(
        ServiceNamespace="dynamodb",
        ResourceId="table/orders",
        ScalableDimension="dynamodb:table:ReadCapacityUnits",
        MinCapacity=5,
        MaxCapacity=5,
    )
    aas.put_scaling_policy(
        PolicyName=name("scaling policy"),
        ServiceNamespace="dynamodb",
        ResourceId="table/orders",
        ScalableDimension="dynamodb:table:ReadCapacityUnits",
        PolicyType="TargetTrackingScaling",
        TargetTrackingScalingPolicyConfiguration={
            "TargetValue": 70.0,
            "PredefinedMetricSpecification": {
                "PredefinedMetricType": "DynamoDBReadCapacityUtilization"
            },
        },
    )
    aas.put_scheduled_action(
        ServiceNamespace="dynamodb",
        ScheduledActionName=name("scheduled action"),
        ResourceId="table/orders",
        ScalableDimension="dynamodb:table:ReadCapacityUnits",
        Schedule="cron(0 1 * * ? *)",
        ScalableTargetAction={"MinCapacity": 5, "MaxCapacity": 10},
    )
    aas.tag_resource(ResourceARN=target["ScalableTargetARN"], Tags={"owner": name("tag value")})

    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket="trail-logs")
    boto3.client("cloudtrail", region_name=REGION).create_trail(
        Name=name("trail"), S3BucketName="trail-logs", EnableLogFileValidation=False
    )
    pattern = {
        "source": ["aws.autoscaling"],
        "detail-type": ["AWS API Call via CloudTrail"],
        "detail": {
            "eventSource": ["autoscaling.amazonaws.com"],
            "eventName": ["DeregisterScalableTarget"],
        },
    }
    boto3.client("events", region_name=REGION).put_rule(
        Name=name("rule"), EventPattern=json.dumps(pattern), State="ENABLED"
    )


def stored_rows(url: str, report: ScanReport) -> str:
    """Every column of every row the store wrote for the scan, read back without the Store."""
    with Store.open(url) as store:
        store.save_scan(report.to_dict(), requested_by="U1", scope_key="k")
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            rows = [
                repr(tuple(row))
                for table in ("scans", "findings")
                for row in connection.execute(text(f"SELECT * FROM {table}"))
            ]
    finally:
        engine.dispose()
    assert len(rows) == 1 + len(report.findings)
    return "\n".join(rows)


def slack_views(report: ScanReport) -> str:
    """What Slack is sent about the scan: message, thread replies, findings, uploaded file."""
    messages = scan_messages(report)
    parts: list[Any] = [messages.text, messages.blocks, messages.thread]
    parts.append(findings_blocks(report.findings, min_severity=None))
    parts.append(UPLOAD_FORMAT.render(report))  # the uploaded file
    return json.dumps(parts, ensure_ascii=False, default=str)


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_no_planted_secret_reaches_any_output(
    aws_env: str, backend: str, tmp_path: Any, request: pytest.FixtureRequest
) -> None:
    seed()
    report = run_scan(ScanScope(regions=[REGION]), options=ScanOptions(client_settings=FAST))
    as_json = render(report, "json")
    for kind, (shown, _secret) in PLANTED.items():
        # Reported, and masked right where its secret starts.
        assert re.search(re.escape(shown) + r"\[REDACTED:", as_json), f"{kind} is not reported"
    url = (
        f"sqlite:///{tmp_path / 'scans.db'}"
        if backend == "sqlite"
        else str(request.getfixturevalue("postgres_url"))
    )
    outputs = {f"report {fmt}": render(report, fmt) for fmt in FORMATS}
    outputs["database rows"] = stored_rows(url, report)
    outputs["Slack"] = slack_views(report)
    for where, output in outputs.items():
        for kind, (_shown, secret) in PLANTED.items():
            tail = secret[-12:]
            assert tail not in output, f"the secret in the {kind}'s name shows in {where}"
    # Fingerprints hash the redacted identity: the same in the next scan of the same account.
    again = run_scan(ScanScope(regions=[REGION]), options=ScanOptions(client_settings=FAST))
    assert {f.fingerprint for f in again.findings} == {f.fingerprint for f in report.findings}
