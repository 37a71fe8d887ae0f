"""AccessDenied is remembered per namespace where the call names one.

AAS supports resource-level permissions on scalable targets, so a policy can deny one
namespace (``ecs``) and allow the rest. The local AWS can only fail a whole operation, so the
namespace-specific deny is answered by a ``before-call`` handler on the real clients: the
request never leaves for moto when it names the denied namespace, and goes to moto otherwise.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from botocore.awsrequest import AWSResponse

from scalewarden.aws.collector import CollectorOptions, collect_accounts
from scalewarden.aws.inventory import Source
from scalewarden.aws.session import ClientFactory, ClientSettings, make_config, make_session
from scalewarden.localaws import DEFAULT_ACCOUNT_ID, register_targets

FAST = ClientSettings(max_attempts=2, retry_mode="standard", connect_timeout=1, read_timeout=5)
DENIED = "ecs"


def deny_namespace(operations: set[str], calls: Counter[tuple[str, str]]) -> Any:
    """A client hook: ``operations`` concerning the ``DENIED`` namespace get AccessDenied.

    A call concerns a namespace through its ``ServiceNamespace`` or, for tags, through the
    target its ``ResourceARN`` names (learnt from the targets listing as it passes).
    """
    namespace_of_arn: dict[str, str] = {}

    def after_call(model: Any, parsed: dict[str, Any], **_: Any) -> None:
        if model.name == "DescribeScalableTargets":
            for target in parsed.get("ScalableTargets") or []:
                namespace_of_arn[target["ScalableTargetARN"]] = target["ServiceNamespace"]

    def before_call(model: Any, params: dict[str, Any], **_: Any) -> Any:
        request = json.loads(params.get("body") or b"{}")
        namespace = str(
            request.get("ServiceNamespace") or namespace_of_arn.get(request.get("ResourceARN"))
        )
        calls.update([(model.name, namespace)])
        if model.name not in operations or namespace != DENIED:
            return None
        error = {"Code": "AccessDeniedException", "Message": f"explicit deny on {DENIED}"}
        return AWSResponse("https://denied", 400, {}, None), {
            "Error": error,
            "ResponseMetadata": {"HTTPStatusCode": 400},
        }

    def on_client(client: Any) -> None:
        if client.meta.service_model.service_name == "application-autoscaling":
            client.meta.events.register("before-call", before_call, unique_id="deny-ns")
            client.meta.events.register("after-call", after_call, unique_id="learn-ns")

    return on_client


def collect(on_client: Any, **options: Any) -> Any:
    factory = ClientFactory(make_session(), make_config(FAST), on_client=on_client)
    [inv] = collect_accounts(
        [(factory, DEFAULT_ACCOUNT_ID, "scoped")],
        ["us-east-1"],
        options=CollectorOptions(max_workers=1, **options),
    )
    return inv.regions["us-east-1"]


def test_a_namespace_deny_leaves_the_other_namespaces_collected(aws_env: str) -> None:
    register_targets("us-east-1", "ecs", 2, prefix="svc")
    register_targets("us-east-1", "dynamodb", 3, prefix="orders")
    calls: Counter[tuple[str, str]] = Counter()
    region = collect(
        deny_namespace({"DescribeScalableTargets"}, calls),
        sources=frozenset({Source.SCALABLE_TARGETS}),
    )
    # Only ecs is unknown; DynamoDB's targets were still listed, and every other namespace too.
    assert set(region.errors) == {f"{Source.SCALABLE_TARGETS}:{DENIED}"}
    assert region.errors[f"{Source.SCALABLE_TARGETS}:{DENIED}"].startswith("AccessDenied")
    assert {t.namespace for t in region.targets} == {"dynamodb"}
    assert len(region.targets) == 3
    listed = {ns for (op, ns) in calls if op == "DescribeScalableTargets"}
    assert len(listed) == 15 and DENIED in listed


def test_a_denied_namespace_is_not_asked_again(aws_env: str) -> None:
    register_targets("us-east-1", "ecs", 12, prefix="svc")
    register_targets("us-east-1", "dynamodb", 4, prefix="orders")
    calls: Counter[tuple[str, str]] = Counter()
    region = collect(
        deny_namespace({"ListTagsForResource", "DescribeScalingPolicies"}, calls),
        sources=frozenset({Source.TAGS, Source.SCALING_POLICIES}),
    )
    # One sequential worker: the first refusal is remembered for ecs, for each operation.
    assert calls[("DescribeScalingPolicies", DENIED)] == 1
    assert calls[("ListTagsForResource", DENIED)] == 1
    # ...and only for ecs: the DynamoDB calls of the same operations were all made.
    assert calls[("ListTagsForResource", "dynamodb")] == 4
    assert calls[("DescribeScalingPolicies", "dynamodb")] == 1
    assert set(region.errors) == {f"{Source.SCALING_POLICIES}:{DENIED}", Source.TAGS}
    assert region.errors[Source.TAGS].startswith("AccessDenied on ListTagsForResource")
