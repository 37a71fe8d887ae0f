"""Scan benchmark: the real collector against a seeded local AWS with injected latency.

What it does, in one run:

1. Starts the local AWS (moto's server, patched by ``scalewarden.localaws``) in a *child
   process*, so that moto's request handling does not compete with the collector for this
   process's GIL, as AWS would not. The child seeds 2,000 scalable targets over 4 regions
   (unevenly: 800/600/400/200, so one region is clearly the slowest), scaling policies,
   scheduled actions and 200 customer-managed IAM policies, all through boto3.
2. Turns on 20 ms of latency per HTTP request. The latency is injected on the server side:
   the patched request dispatcher sleeps 20 ms in the request's own thread before answering
   (``LocalAws.latency``), so concurrent requests overlap as real network round trips do.
3. Runs a full scan (every check) with 1 worker (the sequential baseline) and with the
   tuned worker counts, recording every API call through botocore's ``before-call`` event.
4. Compares the calls with the minimum number of pages the seeded data needs (computed from
   the data and the API page limits, not from the collector) and the wall time with the
   critical path: the slowest region's sequential pages × latency.
5. Times a cold ``scalewarden scan --checks target_fixed_capacity`` (a new process) against
   a small account.

With ``--accounts N`` it measures an organisation scan instead: the child creates an
organisation of N accounts (moto switches account on ``sts:AssumeRole``, so every member is
entered as a real scan enters it), seeds a few scalable targets in three of the 17 regions of
each member, and the parent runs ``scan --organization --role-name ScalewardenReadOnly`` over
all 17 regions, reporting the wall time, the API calls and the peak memory of the process.

Usage: ``python bench/scan.py [--latency 0.02] [--workers 1,8,16,32] [--accounts N] [--json]``
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

# Running ``python bench/scan.py`` puts bench/ first on sys.path, where bench/http.py would
# shadow the standard library's ``http`` package once botocore imports it (lazily, below).
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

ROOT = Path(__file__).resolve().parents[1]
REGIONS = {"us-east-1": 800, "eu-west-1": 600, "ap-southeast-2": 400, "us-west-2": 200}
#: Per region, the share of targets per namespace (must sum to 1).
MIX = {"dynamodb": 0.4, "ecs": 0.3, "lambda": 0.2, "sagemaker": 0.1}
IAM_POLICIES = 200
PAGE = 50
#: The 17 regions enabled by default in every commercial account.
ORG_REGIONS = (
    "us-east-1", "us-east-2", "us-west-1", "us-west-2", "ca-central-1", "sa-east-1",
    "eu-west-1", "eu-west-2", "eu-west-3", "eu-central-1", "eu-north-1", "ap-south-1",
    "ap-northeast-1", "ap-northeast-2", "ap-northeast-3", "ap-southeast-1", "ap-southeast-2",
)  # fmt: skip
#: Per member account: targets per namespace in each of its first three regions.
ORG_SEED = {"dynamodb": 8, "lambda": 4}
ORG_ROLE = "ScalewardenReadOnly"


def region_layout(total: int) -> dict[str, int]:
    counts = {ns: int(total * share) for ns, share in MIX.items()}
    counts["dynamodb"] += total - sum(counts.values())
    return counts


# --------------------------------------------------------------------------------------------
# Child process: the local AWS
# --------------------------------------------------------------------------------------------


def seed_organization(accounts: int) -> list[str]:
    """An organisation of ``accounts`` accounts (the caller's included), each seeded."""
    import boto3

    from scalewarden.localaws import register_targets

    org = boto3.client("organizations")
    org.create_organization(FeatureSet="ALL")
    for i in range(accounts - 1):
        org.create_account(Email=f"member{i}@example.com", AccountName=f"member-{i:03d}")
    ids = [
        a["Id"] for page in org.get_paginator("list_accounts").paginate() for a in page["Accounts"]
    ]
    sts = boto3.client("sts")
    for account_id in ids:
        creds = sts.assume_role(
            RoleArn=f"arn:aws:iam::{account_id}:role/{ORG_ROLE}", RoleSessionName="seed"
        )["Credentials"]
        session = boto3.Session(
            aws_access_key_id=creds["AccessKeyId"],
            aws_secret_access_key=creds["SecretAccessKey"],
            aws_session_token=creds["SessionToken"],
        )
        for region in ORG_REGIONS[:3]:
            for namespace, count in ORG_SEED.items():
                register_targets(region, namespace, count, session=session, prefix=namespace)
    return ids


def child(mode: str, latency: float, accounts: int = 0) -> None:
    """Serve a seeded local AWS until stdin closes; print the endpoint URL first."""
    import boto3

    from scalewarden.localaws import (
        LocalAws,
        create_managed_policies,
        register_targets,
        seed_iam,
        seed_scenario,
    )

    aws = LocalAws()
    aws.start()
    with aws.environment():
        if mode in ("big", "big-hostile"):
            for region, total in REGIONS.items():
                aas = boto3.client("application-autoscaling", region_name=region)
                for ns, count in region_layout(total).items():
                    ids = register_targets(region, ns, count, prefix=f"{ns}-bench")
                    if ns == "ecs":  # a step policy per service: 3+ pages of policies
                        for rid in ids:
                            aas.put_scaling_policy(
                                PolicyName="cpu",
                                ServiceNamespace="ecs",
                                ResourceId=rid,
                                ScalableDimension="ecs:service:DesiredCount",
                                PolicyType="StepScaling",
                                StepScalingPolicyConfiguration={
                                    "AdjustmentType": "ChangeInCapacity"
                                },
                            )
                    if ns == "lambda":  # a schedule per function: 1+ pages of actions
                        for rid in ids:
                            aas.put_scheduled_action(
                                ServiceNamespace="lambda",
                                ScheduledActionName="business-hours",
                                ResourceId=rid,
                                ScalableDimension="lambda:function:ProvisionedConcurrency",
                                Schedule="cron(0 8 * * ? *)",
                                ScalableTargetAction={"MinCapacity": 2},
                            )
            create_managed_policies(IAM_POLICIES)
            if mode == "big-hostile":
                create_hostile_policies()
        elif mode == "org":
            seed_organization(accounts)
        else:
            seed_scenario("us-east-1")
            seed_iam()
    aws.latency = latency
    print(aws.endpoint_url, flush=True)
    sys.stdin.read()  # until the parent closes the pipe
    aws.stop()


def create_hostile_policies() -> None:
    """``bench/hostile.py``'s worst-case wildcard documents as customer-managed policies."""
    import importlib.util

    import boto3

    spec = importlib.util.spec_from_file_location(
        "bench_hostile", Path(__file__).parent / "hostile.py"
    )
    assert spec is not None and spec.loader is not None
    hostile = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(hostile)
    docs = {
        "hostile-reported": hostile.document(["*?" * 10 + "#0", "*?" * 10 + "#1"]),
        "hostile-200-values": hostile.document([f"{'*?' * 12}#{i}" for i in range(200)]),
        "hostile-6kb": hostile.six_kb(),
    }
    iam = boto3.client("iam")
    for name, doc in docs.items():
        iam.create_policy(PolicyName=name, PolicyDocument=json.dumps(doc))


class Child:
    """A child-process local AWS (context manager)."""

    def __init__(self, mode: str, latency: float, accounts: int = 0, nice: int = 0) -> None:
        """``nice``: a lower CPU priority for the local AWS (``bench/http.py --during-scan``:
        it stands in for a remote service, whose CPU would not be taken from this machine)."""
        self.mode, self.latency, self.accounts, self.nice = mode, latency, accounts, nice
        self.proc: subprocess.Popen[str] | None = None
        self.url = ""

    def __enter__(self) -> Child:
        self.proc = subprocess.Popen(
            [
                sys.executable,
                __file__,
                "--child",
                self.mode,
                "--latency",
                str(self.latency),
                "--accounts",
                str(self.accounts),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            # Set before the server starts: its request threads inherit it.
            preexec_fn=(lambda: os.nice(self.nice)) if self.nice else None,
        )
        assert self.proc.stdout is not None
        self.url = self.proc.stdout.readline().strip()
        if not self.url.startswith("http://127.0.0.1:"):
            raise RuntimeError("the local AWS did not start")
        return self

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None:
            assert self.proc.stdin is not None
            self.proc.stdin.close()
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:  # a very large local AWS can be slow to stop
                self.proc.kill()
                self.proc.wait()


def aws_env(url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_SESSION_TOKEN": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ENDPOINT_URL": url,
            "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        }
    )
    return env


# --------------------------------------------------------------------------------------------
# Minimum pages, from the data and the API limits
# --------------------------------------------------------------------------------------------


def pages(items: int, size: int) -> int:
    """Pages a listing needs: an empty listing still costs one call."""
    return max(1, math.ceil(items / size))


def minimum_calls_per_region(total: int) -> int:
    """The fewest calls that read one bench region completely, given the API."""
    from scalewarden.aws.sources.application_autoscaling import aas_namespaces

    layout = region_layout(total)
    policies = {"ecs": layout["ecs"]}
    actions = {"lambda": layout["lambda"]}
    calls = 0
    for ns in aas_namespaces():
        n = layout.get(ns, 0)
        calls += pages(n, PAGE)  # DescribeScalableTargets (ServiceNamespace is required)
        if n:
            calls += pages(policies.get(ns, 0), PAGE)  # DescribeScalingPolicies
            calls += pages(actions.get(ns, 0), PAGE)  # DescribeScheduledActions
            calls += 1  # DescribeScalingActivities (none seeded)
            calls += n  # ListTagsForResource: one ARN per call
    # Step policies without alarms → no DescribeAlarms. One call each for: ListTables,
    # DescribeVpcs, DescribeVpcEndpoints, DescribeTrails, ListEventBuses, ListRules (default
    # bus), DescribeConfigurationRecorderStatus, DescribeHub.
    return calls + 8


def minimum_calls() -> tuple[int, dict[str, int]]:
    per_region = {r: minimum_calls_per_region(n) for r, n in REGIONS.items()}
    # Account-wide: GetCallerIdentity, GetAccountAuthorizationDetails (≤1000 items a page),
    # ListAccountAliases.
    return sum(per_region.values()) + 3, per_region


# --------------------------------------------------------------------------------------------
# Measurements
# --------------------------------------------------------------------------------------------


def run_full_scan(url: str, workers: int, scope: Any = None) -> dict[str, Any]:
    from scalewarden.aws.session import ClientSettings
    from scalewarden.scan import ScanOptions, ScanScope, run_scan

    os.environ.update(aws_env(url))
    calls: Counter[str] = Counter()
    per_region: Counter[str] = Counter()
    scope = scope or ScanScope(regions=list(REGIONS))

    def on_client(client: Any) -> None:
        region = client.meta.region_name

        def record(model: Any, **_: Any) -> None:
            calls[model.name] += 1
            per_region[region] += 1

        client.meta.events.register("before-call", record)

    started = time.perf_counter()
    report = run_scan(
        scope,
        options=ScanOptions(
            max_workers=workers,
            client_settings=ClientSettings(max_pool_connections=max(workers, 10)),
            on_client=on_client,
        ),
    )
    wall = time.perf_counter() - started
    targets = sum(1 for f in report.findings if f.check_id == "target_fixed_capacity")
    return {
        "workers": workers,
        "wall_s": round(wall, 2),
        "calls": sum(calls.values()),
        "calls_by_region": dict(per_region),
        "calls_by_operation": dict(calls.most_common()),
        "findings": len(report.findings),
        "targets_seen": targets,
        "coverage_gaps": len(report.coverage),
        "accounts_scanned": len(report.accounts),
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def organization_scan(accounts: int, latency: float, workers: int) -> dict[str, Any]:
    """One ``--organization`` scan of ``accounts`` accounts × 17 regions (every check)."""
    from scalewarden.scan import ScanScope

    started = time.perf_counter()
    with Child("org", latency, accounts) as aws:
        seeded = time.perf_counter() - started
        scope = ScanScope(regions=list(ORG_REGIONS), organization=True, role_name=ORG_ROLE)
        result = run_full_scan(aws.url, workers, scope)
        # Printed at once: stopping a local AWS of this size takes a while.
        print(json.dumps({k: v for k, v in result.items() if "by_" not in k}), file=sys.stderr)
    per_region = result.pop("calls_by_region")
    return {
        "accounts": accounts,
        "regions": len(ORG_REGIONS),
        "latency_s": latency,
        "seed_s": round(seeded, 1),
        "targets": accounts * 3 * sum(ORG_SEED.values()),
        "calls_per_account_region": round(
            (result["calls"] - per_region.get("us-east-1", 0))
            / (accounts * (len(ORG_REGIONS) - 1)),
            1,
        ),
        **result,
    }


def cold_cli(url: str, repeats: int = 3) -> list[float]:
    """Wall time of a fresh ``scalewarden scan --checks target_fixed_capacity`` process."""
    exe = Path(sys.executable).with_name("scalewarden")
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        result = subprocess.run(
            [
                str(exe),
                "scan",
                "--checks",
                "target_fixed_capacity",
                "--format",
                "json",
                "--fail-on",
                "critical",
            ],
            env=aws_env(url),
            capture_output=True,
            text=True,
            check=False,
        )
        times.append(round(time.perf_counter() - started, 2))
        if result.returncode != 0:
            raise RuntimeError(f"scan failed ({result.returncode}): {result.stderr[-500:]}")
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=0.02)
    parser.add_argument("--workers", default="1,8,16,32")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--accounts", type=int, default=0, help="organisation scan of N accounts")
    parser.add_argument("--child", choices=["big", "big-hostile", "small", "org"])
    args = parser.parse_args()
    if args.child:
        child(args.child, args.latency, args.accounts)
        return
    if args.accounts:
        workers = max(int(w) for w in args.workers.split(","))
        print(json.dumps(organization_scan(args.accounts, args.latency, workers), indent=2))
        return

    minimum, min_per_region = minimum_calls()
    slowest = max(min_per_region, key=lambda r: min_per_region[r])
    critical_path = min_per_region[slowest] * args.latency
    results = []
    with Child("big", args.latency) as aws:
        for workers in [int(w) for w in args.workers.split(",")]:
            result = run_full_scan(aws.url, workers)
            result["calls_vs_minimum"] = round(result["calls"] / minimum, 3)
            result["wall_vs_critical_path"] = round(result["wall_s"] / critical_path, 3)
            results.append(result)
            print(
                f"workers={workers:>3}  wall={result['wall_s']:>6.2f}s  "
                f"({result['wall_vs_critical_path']:.2f}x critical path)  "
                f"calls={result['calls']} ({result['calls_vs_minimum']:.3f}x minimum)",
                file=sys.stderr,
            )
    with Child("small", 0.0) as aws:
        cold = cold_cli(aws.url)
    summary = {
        "latency_s": args.latency,
        "targets": sum(REGIONS.values()),
        "regions": REGIONS,
        "iam_policies": IAM_POLICIES,
        "minimum_calls": minimum,
        "minimum_calls_by_region": min_per_region,
        "critical_path_s": round(critical_path, 2),
        "slowest_region": slowest,
        "runs": results,
        "cold_one_check_scan_s": cold,
    }
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        print(f"minimum calls: {minimum}; critical path ({slowest}): {critical_path:.2f}s")
        for r in results:
            print(
                f"workers={r['workers']:>3} wall={r['wall_s']}s calls={r['calls']} "
                f"(x{r['calls_vs_minimum']} min, x{r['wall_vs_critical_path']} critical path)"
            )
        print(f"cold one-check scan: {cold} s")


if __name__ == "__main__":
    main()
