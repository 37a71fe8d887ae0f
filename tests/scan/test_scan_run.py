"""``run_scan`` end to end against the local AWS: accounts, regions, progress, IAM policy."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import re
import threading
from pathlib import Path
from typing import Any

import boto3
import pytest

from scalewarden.aws.accounts import parse_account_ids, role_arn
from scalewarden.aws.regions import parse_regions
from scalewarden.aws.session import ClientSettings
from scalewarden.checks.model import Status
from scalewarden.localaws import (
    DEFAULT_ACCOUNT_ID,
    LocalAws,
    seed_iam,
    seed_scenario,
)
from scalewarden.scan import ProgressEvent, ScanError, ScanOptions, ScanScope, ScopeError, run_scan
from scalewarden.settings import Settings

POLICY = Path(__file__).resolve().parents[2] / "deploy" / "iam" / "scalewarden-readonly.json"
FAST = ClientSettings(max_attempts=2, retry_mode="standard", connect_timeout=2, read_timeout=10)
OTHER = "111111111111"
#: Calls a scan makes that the read-only policy of a scanned account must not grant:
#: GetCallerIdentity needs no permission; AssumeRole belongs to the scanning principal's
#: own policy (it targets the role this policy is attached to).
NOT_IN_ACCOUNT_POLICY = {"sts:GetCallerIdentity", "sts:AssumeRole"}


def assumed(account_id: str) -> boto3.Session:
    creds = boto3.client("sts").assume_role(
        RoleArn=role_arn(account_id, "seeder"), RoleSessionName="seed"
    )["Credentials"]
    return boto3.Session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
        region_name="us-east-1",
    )


def scan(scope: ScanScope, **options: Any) -> Any:
    return run_scan(scope, options=ScanOptions(client_settings=FAST, **options))


def test_multi_account_via_assume_role(aws_env: str) -> None:
    seed_scenario("us-east-1", with_endpoint=False)
    other = assumed(OTHER)
    seed_scenario("us-east-1", session=other, account_id=OTHER, ecs_services=2)
    report = scan(
        ScanScope(
            accounts=[DEFAULT_ACCOUNT_ID, OTHER],
            role_name="ScalewardenReadOnly",
            checks="target_fixed_capacity,vpc_endpoint_aas_missing",
        )
    )
    assert [a["id"] for a in report.accounts] == [DEFAULT_ACCOUNT_ID, OTHER]
    fixed = {
        (f.account_id, f.status) for f in report.findings if f.check_id == "target_fixed_capacity"
    }
    assert (DEFAULT_ACCOUNT_ID, Status.FAIL) in fixed
    assert (OTHER, Status.FAIL) in fixed
    # The default account has no AAS endpoint, the other one has: the accounts were not mixed.
    missing = {
        f.account_id: f.status for f in report.findings if f.check_id == "vpc_endpoint_aas_missing"
    }
    assert missing == {DEFAULT_ACCOUNT_ID: Status.FAIL, OTHER: Status.PASS}
    assert report.coverage == []


def test_role_that_cannot_be_assumed_gives_errors_for_that_account_only(
    aws_env: str, local_aws: LocalAws
) -> None:
    seed_scenario("us-east-1", with_endpoint=False)
    local_aws.inject_fault("sts", "AssumeRole", "AccessDenied", "not allowed to assume")
    report = scan(
        ScanScope(
            accounts=[DEFAULT_ACCOUNT_ID, OTHER],
            role_name="ScalewardenReadOnly",
            checks="target_fixed_capacity,iam_create_slr_unscoped",
        )
    )
    other = [f for f in report.findings if f.account_id == OTHER]
    assert other and all(f.status is Status.ERROR for f in other)
    assert all("could not assume role ScalewardenReadOnly" in f.message for f in other)
    mine = [f for f in report.findings if f.account_id == DEFAULT_ACCOUNT_ID]
    assert {f.status for f in mine} >= {Status.FAIL}
    assert {c["account_id"] for c in report.coverage} == {OTHER}


def test_organization_lists_active_accounts_with_names(aws_env: str) -> None:
    org = boto3.client("organizations")
    org.create_organization(FeatureSet="ALL")
    member = org.create_account(Email="pay@example.com", AccountName="payments")[
        "CreateAccountStatus"
    ]["AccountId"]
    seed_scenario("us-east-1", session=assumed(member), account_id=member, with_endpoint=False)
    report = scan(
        ScanScope(
            organization=True, role_name="ScalewardenReadOnly", checks="target_fixed_capacity"
        )
    )
    names = {a["id"]: a["name"] for a in report.accounts}
    assert names[member] == "payments"
    assert DEFAULT_ACCOUNT_ID in names
    assert any(
        f.account_id == member and f.account_name == "payments" and f.status is Status.FAIL
        for f in report.findings
    )


def test_progress_events_count_up_to_total(aws_env: str) -> None:
    seed_scenario("us-east-1", with_endpoint=False, with_trail=False)
    events: list[ProgressEvent] = []
    run_scan(
        ScanScope(regions=["us-east-1", "eu-west-1"], checks="target_fixed_capacity"),
        progress=events.append,
        options=ScanOptions(client_settings=FAST),
    )
    finished = [e for e in events if e.phase != "collecting"]
    assert {e.total for e in events} == {3}  # two regions + the account-wide unit
    assert sorted(e.done for e in finished) == [1, 2, 3]
    assert {e.region for e in finished} == {"us-east-1", "eu-west-1", "global"}


def test_scope_and_credential_errors(aws_env: str, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ScopeError, match="no_such_check"):
        scan(ScanScope(checks="no_such_check"))
    with pytest.raises(ScopeError, match="role-name"):
        scan(ScanScope(accounts=[OTHER]))
    with pytest.raises(ValueError, match="moon-1"):
        parse_regions("us-east-1,moon-1")
    with pytest.raises(ValueError, match="12 digits"):
        parse_account_ids("123")
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(key)
    with pytest.raises(ScanError, match="no AWS credentials"):
        scan(ScanScope())


def test_without_a_configured_region_identity_is_asked_in_the_scanned_partition(
    aws_env: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """China (or GovCloud) credentials are unknown in us-east-1: with no AWS_REGION set, the
    caller's identity is asked in the home region of the partition being scanned."""
    for key in ("AWS_REGION", "AWS_DEFAULT_REGION"):
        monkeypatch.delenv(key, raising=False)
    seen: list[tuple[str, str]] = []

    def on_client(client: Any) -> None:
        seen.append((client.meta.service_model.service_name, client.meta.region_name))

    for regions, home in ((["cn-northwest-1"], "cn-north-1"), (["us-gov-east-1"], "us-gov-west-1")):
        seen.clear()
        # The local AWS need not play a partition it is not: the STS call is the point.
        with contextlib.suppress(ScanError):
            scan(ScanScope(regions=regions, checks="securityhub_enabled"), on_client=on_client)
        assert ("sts", home) in seen, seen
        assert ("sts", "us-east-1") not in seen, seen


# ---- the least-privilege policy ---------------------------------------------------------


def policy_actions() -> set[str]:
    doc = json.loads(POLICY.read_text())
    actions: set[str] = set()
    for statement in doc["Statement"]:
        assert statement["Effect"] == "Allow"
        assert not {"NotAction", "NotResource", "Condition"} & set(statement)
        value = statement["Action"]
        actions.update([value] if isinstance(value, str) else value)
    return actions


def test_policy_allows_only_reads() -> None:
    actions = policy_actions()
    assert actions
    read = re.compile(r"^[a-z0-9-]+:(Describe|List|Get)[A-Za-z]+$")
    for action in actions:
        assert "*" not in action and "?" not in action, action
        assert read.match(action), f"{action} is not a read-only action"


def test_every_call_of_a_full_scan_is_allowed_by_the_policy(aws_env: str) -> None:
    org = boto3.client("organizations")
    org.create_organization(FeatureSet="ALL")
    member = org.create_account(Email="a@example.com", AccountName="apps")["CreateAccountStatus"][
        "AccountId"
    ]
    seed_scenario("us-east-1")
    seed_iam()
    seed_scenario("eu-west-1", session=assumed(member), account_id=member, with_trail=False)

    recorded: set[str] = set()

    def on_client(client: Any) -> None:
        service = client.meta.service_model.service_name

        def record(model: Any, **_: Any) -> None:
            recorded.add(f"{service}:{model.name}")

        client.meta.events.register("before-call", record)

    options = ScanOptions(client_settings=FAST, on_client=on_client)
    # Every check, two accounts of an organization, two regions.
    report = run_scan(
        ScanScope(
            regions=["us-east-1", "eu-west-1"], organization=True, role_name="ScalewardenReadOnly"
        ),
        options=options,
    )
    assert report.coverage == [], report.coverage
    assert {a["id"] for a in report.accounts} == {DEFAULT_ACCOUNT_ID, member}
    # "all" regions (DescribeRegions), and the account alias as its name without
    # --organization; one cheap check keeps this second scan small.
    report = run_scan(ScanScope(regions=["all"], checks="securityhub_enabled"), options=options)
    assert len(report.regions) > 10
    allowed = policy_actions()
    needed = recorded - NOT_IN_ACCOUNT_POLICY
    assert needed <= allowed, f"calls not allowed by the policy: {sorted(needed - allowed)}"
    # Least privilege: the policy grants nothing the scan does not use.
    assert allowed <= needed, f"policy grants unused actions: {sorted(allowed - needed)}"


def test_scalewarden_max_workers_bounds_the_collector_threads(
    aws_env: str, local_aws: LocalAws, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The operator's setting, not the default of 16, decides how many threads call AWS (the
    CLI and the service pass it as ``ScanOptions.from_settings``)."""
    seed_scenario("us-east-1", with_endpoint=False)
    monkeypatch.setenv("SCALEWARDEN_MAX_WORKERS", "3")
    local_aws.latency = 0.005  # calls overlap, so idle workers pick up the fan-out
    threads: set[str] = set()

    def on_client(client: Any) -> None:
        client.meta.events.register(
            "before-call", lambda **_: threads.add(threading.current_thread().name)
        )

    options = dataclasses.replace(
        ScanOptions.from_settings(Settings()), client_settings=FAST, on_client=on_client
    )
    run_scan(ScanScope(regions=["us-east-1"], checks="target_fixed_capacity"), options=options)
    collectors = {name for name in threads if name.startswith("scalewarden-collect-")}
    assert len(collectors) > 1
    assert collectors <= {f"scalewarden-collect-{i}" for i in range(3)}


def test_scalewarden_fingerprint_key_keys_the_identity_of_redacted_resources(
    aws_env: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two scheduled actions whose names differ only inside a secret show the same redacted
    id but stay two findings, told apart by a keyed hash under the operator's key."""
    import boto3

    aas = boto3.client("application-autoscaling", region_name="us-east-1")
    target = {
        "ServiceNamespace": "ecs",
        "ResourceId": "service/default/web",
        "ScalableDimension": "ecs:service:DesiredCount",
    }
    aas.register_scalable_target(**target, MinCapacity=1, MaxCapacity=4)
    for token in ("ghp_" + "A" * 36, "ghp_" + "B" * 36):  # differ only inside the secret
        aas.put_scheduled_action(
            **target, ScheduledActionName=f"nightly-{token}", Schedule="rate(1 day)"
        )
    scope = ScanScope(regions=["us-east-1"], checks="sensitive_data_in_scaling_names")

    def prints(key: str | None) -> dict[tuple[str, str], str]:
        if key is None:
            monkeypatch.delenv("SCALEWARDEN_FINGERPRINT_KEY", raising=False)
        else:
            monkeypatch.setenv("SCALEWARDEN_FINGERPRINT_KEY", key)
        options = dataclasses.replace(ScanOptions.from_settings(Settings()), client_settings=FAST)
        report = run_scan(scope, options=options)
        fails = [f for f in report.findings if f.status is Status.FAIL]
        assert len(fails) == 2 and fails[0].resource_id == fails[1].resource_id
        return {f"{f.resource_id}#{i}": f.fingerprint for i, f in enumerate(fails)}

    default, keyed = prints(None), prints("operator key")
    assert set(default.values()).isdisjoint(keyed.values())
    assert len(set(default.values())) == len(set(keyed.values())) == 2
