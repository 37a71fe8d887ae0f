"""A local AWS on loopback for the tests and the demo: moto's server, made to behave like AWS.

``LocalAws`` starts ``moto.server.ThreadedMotoServer`` on 127.0.0.1 (a free port) in this
process. Before it serves a request, ``install_patches()`` corrects the places where moto's
Application Auto Scaling differs from AWS in ways a scanner notices (each patch names the bug
it works around). Scanning code is never bent to moto: it is moto that is fixed here.

Two test aids ride on the same hook:

* ``LocalAws.inject_fault()`` answers chosen operations with an AWS error (AccessDenied,
  throttling …), optionally only for one account or region, to exercise the ERROR paths.
* ``LocalAws.latency`` sleeps that many seconds in the server before answering each request:
  the benchmark's stand-in for the round trip to AWS.

The seeding helpers at the bottom build realistic accounts through boto3, exactly as a user
would, so the collector reads what it would read from AWS.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import threading
import time
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

#: The access key moto maps to its default account 123456789012.
DEFAULT_ACCOUNT_ID = "123456789012"
FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
}
#: AWS's page size limit for the Describe* operations of Application Auto Scaling.
AAS_MAX_RESULTS = 50

_patch_lock = threading.Lock()
_patched = False


# --------------------------------------------------------------------------------------------
# Fault injection and latency (consulted by the dispatch hook for every request)
# --------------------------------------------------------------------------------------------


@dataclass
class Fault:
    """Answer ``operation`` of ``service`` with the AWS error ``code`` (optionally scoped)."""

    service: str
    operation: str
    code: str
    message: str
    account_id: str | None = None
    region: str | None = None
    #: How many more requests to fail; ``None`` = every one.
    remaining: int | None = None
    hits: int = 0

    def matches(self, service: str, operation: str, account_id: str, region: str) -> bool:
        return (
            self.service in ("*", service)
            and self.operation in ("*", operation)
            and (self.account_id is None or self.account_id == account_id)
            and (self.region is None or self.region == region)
            and (self.remaining is None or self.remaining > 0)
        )


@dataclass
class _Control:
    """Process-wide state read by the patched dispatcher (one moto per process)."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    faults: list[Fault] = field(default_factory=list)
    latency: float = 0.0
    requests: int = 0

    def take_fault(self, service: str, operation: str, account: str, region: str) -> Fault | None:
        with self.lock:
            self.requests += 1
            for fault in self.faults:
                if fault.matches(service, operation, account, region):
                    fault.hits += 1
                    if fault.remaining is not None:
                        fault.remaining -= 1
                    return fault
        return None


_control = _Control()


# --------------------------------------------------------------------------------------------
# Patches to moto (installed once per process)
# --------------------------------------------------------------------------------------------


def _replace(owner: Any, name: str, value: Any) -> None:
    """Swap ``owner.name`` for ``value`` (a class method or module function of moto)."""
    setattr(owner, name, value)


def _aas_enums() -> tuple[list[str], list[str]]:
    """AWS's current namespaces and dimensions, from botocore's model (moto's lists are stale)."""
    import botocore.session

    model = botocore.session.get_session().get_service_model("application-autoscaling")
    return (
        list(model.shape_for("ServiceNamespace").enum),
        list(model.shape_for("ScalableDimension").enum),
    )


def _page(
    items: Sequence[Any], max_results: int | None, token: str | None
) -> tuple[list[Any], str | None]:
    """AWS-style pagination: at most ``max_results`` (capped at 50) items from ``token`` on."""
    size = min(max_results or AAS_MAX_RESULTS, AAS_MAX_RESULTS)
    start = int(token) if token else 0
    end = start + size
    return list(items[start:end]), (str(end) if end < len(items) else None)


def _tags_of(backend: Any) -> dict[str, dict[str, str]]:
    """Tags per scalable target ARN, kept on the backend so that a moto reset clears them."""
    tags: dict[str, dict[str, str]] | None = getattr(backend, "_scalewarden_tags", None)
    if tags is None:
        tags = {}
        backend._scalewarden_tags = tags
    return tags


def _activities_of(backend: Any) -> list[dict[str, Any]]:
    acts: list[dict[str, Any]] | None = getattr(backend, "_scalewarden_activities", None)
    if acts is None:
        acts = []
        backend._scalewarden_activities = acts
    return acts


def _target_exists(backend: Any, arn: str) -> bool:
    """Whether ``arn`` names a registered target, in O(1) amortised time.

    An ARN → target index is kept on the backend and rebuilt only on a miss; a hit is checked
    against the live registry so that a deregistered target is never found.
    """
    index: dict[str, Any] | None = getattr(backend, "_scalewarden_arn_index", None)
    for attempt in range(2):
        if index is None or attempt:
            index = {t.arn: t for by_id in backend.targets.values() for t in by_id.values()}
            backend._scalewarden_arn_index = index
        target = index.get(arn)
        if target is not None:
            live = backend.targets.get(target.scalable_dimension, {}).get(target.resource_id)
            if live is target:
                return True
    return False


def _patch_application_autoscaling() -> None:
    from moto.applicationautoscaling import models, responses
    from moto.applicationautoscaling.exceptions import AWSValidationException
    from moto.core.exceptions import JsonRESTError

    namespaces, dimensions = _aas_enums()
    resp_cls = responses.ApplicationAutoScalingResponse
    backend_cls = models.ApplicationAutoscalingBackend

    class ResourceNotFoundException(JsonRESTError):
        def __init__(self, message: str) -> None:
            super().__init__("ResourceNotFoundException", message)

    # Bug: moto only knows 12 of the 15 namespaces and 19 of the 24 dimensions (no
    # ElastiCache, Neptune, WorkSpaces, SageMaker inference components …) and rejects valid
    # registrations. Validate against botocore's model, as AWS's own API does.
    def _validate_params(self: Any) -> None:
        namespace = self._get_param("ServiceNamespace")
        dimension = self._get_param("ScalableDimension")
        if namespace is not None and namespace not in namespaces:
            raise AWSValidationException(f"Value '{namespace}' at 'serviceNamespace' is invalid")
        if dimension is not None and dimension not in dimensions:
            raise AWSValidationException(f"Value '{dimension}' at 'scalableDimension' is invalid")

    def _target_params_are_valid(namespace: str, r_id: str, dimension: str) -> bool:
        if namespace not in namespaces or (
            dimension is not None
            and (dimension not in dimensions or dimension.split(":", 1)[0] != namespace)
        ):
            raise AWSValidationException(
                "Unsupported service namespace, resource type or scalable dimension"
            )
        return True

    _replace(resp_cls, "_validate_params", _validate_params)
    _replace(models, "_target_params_are_valid", _target_params_are_valid)

    # Bug: registering an ECS target fails unless the ECS cluster and service were created in
    # moto's ECS first. Scans read only Application Auto Scaling, so seeds skip modelling ECS.
    _replace(backend_cls, "_ecs_service_exists_for_target", lambda self, r_id: True)

    # Bug: page 2 of describe_scalable_targets returns the same NextToken again (it is computed
    # from the page length, not the offset), so boto3's paginator raises past 100 targets.
    # Also: AWS caps MaxResults at 50.
    def describe_scalable_targets(self: Any) -> str:
        self._validate_params()
        found = self.applicationautoscaling_backend.describe_scalable_targets(
            self._get_param("ServiceNamespace"),
            self._get_param("ResourceIds"),
            self._get_param("ScalableDimension"),
        )
        page, token = _page(found, self._get_int_param("MaxResults"), self._get_param("NextToken"))
        body: dict[str, Any] = {"ScalableTargets": [_build_target(t) for t in page]}
        if token:
            body["NextToken"] = token
        return json.dumps(body)

    def _build_target(t: Any) -> dict[str, Any]:
        out = responses._build_target(t)
        if not out.get("SuspendedState"):
            out["SuspendedState"] = {
                "DynamicScalingInSuspended": False,
                "DynamicScalingOutSuspended": False,
                "ScheduledScalingSuspended": False,
            }
        return {k: v for k, v in out.items() if v is not None}

    _replace(resp_cls, "describe_scalable_targets", describe_scalable_targets)

    # Bug: RegisterScalableTarget ignores its Tags parameter (AWS tags the new target).
    original_register = resp_cls.register_scalable_target

    def register_scalable_target(self: Any) -> str:
        result = original_register(self)
        tags = self._get_param("Tags") or {}
        if tags:
            arn = json.loads(result)["ScalableTargetARN"]
            _tags_of(self.applicationautoscaling_backend).setdefault(arn, {}).update(tags)
        return str(result)

    _replace(resp_cls, "register_scalable_target", register_scalable_target)

    # Bug: describe_scaling_policies matches ResourceId and ScalableDimension by substring
    # (``table/t10`` also returns ``table/t1``'s policies); AWS matches them exactly. Also AWS
    # pages by 50, moto by 100.
    def describe_scaling_policies(self: Any) -> str:
        backend = self.applicationautoscaling_backend
        namespace = self._get_param("ServiceNamespace")
        resource_id = self._get_param("ResourceId")
        dimension = self._get_param("ScalableDimension")
        names = self._get_param("PolicyNames")
        found = [
            p
            for p in backend.policies.values()
            if p.service_namespace == namespace
            and (not resource_id or p.resource_id == resource_id)
            and (not dimension or p.scalable_dimension == dimension)
            and (not names or p.policy_name in names)
        ]
        page, token = _page(found, self._get_int_param("MaxResults"), self._get_param("NextToken"))
        body: dict[str, Any] = {"ScalingPolicies": [responses._build_policy(p) for p in page]}
        if token:
            body["NextToken"] = token
        return json.dumps(body)

    _replace(resp_cls, "describe_scaling_policies", describe_scaling_policies)

    # Bug: describe_scheduled_actions ignores MaxResults/NextToken and returns everything.
    def describe_scheduled_actions(self: Any) -> str:
        params = json.loads(self.body or "{}")
        found = self.applicationautoscaling_backend.describe_scheduled_actions(
            scheduled_action_names=params.get("ScheduledActionNames"),
            service_namespace=params.get("ServiceNamespace"),
            resource_id=params.get("ResourceId"),
            scalable_dimension=params.get("ScalableDimension"),
        )
        page, token = _page(found, params.get("MaxResults"), params.get("NextToken"))
        body: dict[str, Any] = {
            "ScheduledActions": [
                {k: v for k, v in responses._build_scheduled_action(a).items() if v is not None}
                for a in page
            ]
        }
        if token:
            body["NextToken"] = token
        return json.dumps(body)

    _replace(resp_cls, "describe_scheduled_actions", describe_scheduled_actions)

    # Bug: TagResource, UntagResource and ListTagsForResource are not implemented.
    def _known_arn(self: Any, arn: str) -> None:
        if not _target_exists(self.applicationautoscaling_backend, arn):
            raise ResourceNotFoundException(f"No scalable target found for ARN {arn}")

    def list_tags_for_resource(self: Any) -> str:
        arn = self._get_param("ResourceARN")
        _known_arn(self, arn)
        tags = _tags_of(self.applicationautoscaling_backend).get(arn, {})
        return json.dumps({"Tags": dict(tags)})

    def tag_resource(self: Any) -> str:
        arn = self._get_param("ResourceARN")
        _known_arn(self, arn)
        tags = self._get_param("Tags") or {}
        _tags_of(self.applicationautoscaling_backend).setdefault(arn, {}).update(tags)
        return json.dumps({})

    def untag_resource(self: Any) -> str:
        arn = self._get_param("ResourceARN")
        _known_arn(self, arn)
        current = _tags_of(self.applicationautoscaling_backend).setdefault(arn, {})
        for key in self._get_param("TagKeys") or []:
            current.pop(key, None)
        return json.dumps({})

    # Bug: DescribeScalingActivities is not implemented. Activities only appear when AWS
    # scales something, so ``add_scaling_activity()`` records them for a scenario.
    def describe_scaling_activities(self: Any) -> str:
        self._validate_params()
        namespace = self._get_param("ServiceNamespace")
        resource_id = self._get_param("ResourceId")
        dimension = self._get_param("ScalableDimension")
        include_not_scaled = bool(self._get_param("IncludeNotScaledActivities"))
        found = [
            a
            for a in _activities_of(self.applicationautoscaling_backend)
            if a["ServiceNamespace"] == namespace
            and (not resource_id or a["ResourceId"] == resource_id)
            and (not dimension or a["ScalableDimension"] == dimension)
            and (include_not_scaled or a.get("_not_scaled") is not True)
        ]
        found.sort(key=lambda a: a["StartTime"], reverse=True)
        page, token = _page(found, self._get_int_param("MaxResults"), self._get_param("NextToken"))
        body: dict[str, Any] = {
            "ScalingActivities": [
                {k: v for k, v in a.items() if not k.startswith("_")} for a in page
            ]
        }
        if token:
            body["NextToken"] = token
        return json.dumps(body)

    _replace(resp_cls, "list_tags_for_resource", list_tags_for_resource)
    _replace(resp_cls, "tag_resource", tag_resource)
    _replace(resp_cls, "untag_resource", untag_resource)
    _replace(resp_cls, "describe_scaling_activities", describe_scaling_activities)


def _patch_cloudtrail() -> None:
    from moto.cloudtrail import models

    original_init = models.Trail.__init__

    # Bug: a new trail has no event selectors in moto; AWS gives every new trail the default
    # selector (all management events, read and write), which is what the scan must see.
    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        if not self.event_selectors and not self.advanced_event_selectors:
            self.event_selectors = [
                {
                    "ReadWriteType": "All",
                    "IncludeManagementEvents": True,
                    "DataResources": [],
                    "ExcludeManagementEventSources": [],
                }
            ]

    _replace(models.Trail, "__init__", __init__)


def _patch_server_routing() -> None:
    from moto import backends

    modules = tuple(backends.list_of_moto_modules())

    # Not an AWS difference but a cost: moto's server lists its package directory (about 180
    # stat calls) on every request to route it. The list never changes while running, and
    # without this the local server, not the scanner, dominates every benchmark.
    _replace(backends, "list_of_moto_modules", lambda: modules)


def _patch_dispatch() -> None:
    """Hook every request: injected latency first, then injected faults, then moto."""
    from moto.core.responses import BaseResponse

    original = BaseResponse._dispatch

    def _dispatch(self: Any, request: Any, full_url: Any = None, headers: Any = None) -> Any:
        if _control.latency:
            time.sleep(_control.latency)
        self.setup_class(request, full_url, headers)
        try:
            action = self._get_action()
        except Exception:
            action = None
        if action:
            fault = _control.take_fault(
                str(getattr(self, "boto3_service_name", "")),
                str(action),
                str(self.current_account),
                str(getattr(self, "region", "")),
            )
            if fault is not None:
                return _error_response(str(self.boto3_service_name), fault)
        return self.call_action()

    _dispatch.__wrapped__ = original  # type: ignore[attr-defined]
    _replace(BaseResponse, "_dispatch", _dispatch)


def _protocol(service: str) -> str:
    import botocore.session

    return str(botocore.session.get_session().get_service_model(service).protocol)


def _error_response(service: str, fault: Fault) -> tuple[int, dict[str, str], str]:
    """An AWS error in the wire format of ``service``'s protocol (what botocore parses)."""
    from xml.sax.saxutils import escape

    protocol = _protocol(service)
    status = 400
    if protocol in ("json", "rest-json"):
        body = json.dumps({"__type": fault.code, "message": fault.message})
        return (
            status,
            {"Content-Type": "application/x-amz-json-1.1", "x-amzn-ErrorType": fault.code},
            body,
        )
    code, message = escape(fault.code), escape(fault.message)
    if protocol == "ec2":
        body = (
            f"<Response><Errors><Error><Code>{code}</Code><Message>{message}</Message></Error>"
            "</Errors><RequestID>fault</RequestID></Response>"
        )
    else:
        body = (
            f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code>"
            f"<Message>{message}</Message></Error><RequestId>fault</RequestId></ErrorResponse>"
        )
    return status, {"Content-Type": "text/xml"}, body


def install_patches() -> None:
    """Apply every patch once per process (idempotent, thread-safe)."""
    global _patched
    with _patch_lock:
        if _patched:
            return
        _patch_application_autoscaling()
        _patch_cloudtrail()
        _patch_server_routing()
        _patch_dispatch()
        _patched = True


# --------------------------------------------------------------------------------------------
# The server
# --------------------------------------------------------------------------------------------


class LocalAws:
    """moto's threaded server on 127.0.0.1, patched to behave like AWS."""

    def __init__(self) -> None:
        self._server: Any = None
        self.endpoint_url: str = ""

    def start(self) -> str:
        """Start on a free loopback port and return the endpoint URL."""
        from moto.server import ThreadedMotoServer

        install_patches()
        # moto logs a traceback for every operation it does not implement: the client already
        # gets an error answer, so keep test and demo output readable.
        logging.getLogger("werkzeug").setLevel(logging.CRITICAL)
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self._server.start()
        host, port = self._server.get_host_and_port()
        self.endpoint_url = f"http://{host}:{port}"
        return self.endpoint_url

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None

    def __enter__(self) -> LocalAws:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- state -------------------------------------------------------------------------------

    def reset(self) -> None:
        """Forget every resource in every account and region, and every injected fault."""
        request = urllib.request.Request(f"{self.endpoint_url}/moto-api/reset", method="POST")
        with urllib.request.urlopen(request, timeout=30) as response:
            response.read()
        self.clear_faults()
        self.latency = 0.0

    @property
    def latency(self) -> float:
        return _control.latency

    @latency.setter
    def latency(self, seconds: float) -> None:
        _control.latency = max(0.0, seconds)

    @property
    def request_count(self) -> int:
        """Requests served since start (faulted ones included)."""
        return _control.requests

    def inject_fault(
        self,
        service: str,
        operation: str,
        code: str,
        message: str = "",
        *,
        account_id: str | None = None,
        region: str | None = None,
        times: int | None = None,
    ) -> Fault:
        """Answer ``service``'s ``operation`` (e.g. ``"dynamodb"``, ``"ListTables"``; ``"*"``
        matches any) with the AWS error ``code``, optionally only for one account/region and
        ``times`` times. CloudWatch's CBOR protocol is not supported."""
        if service != "*" and _protocol(service) not in ("json", "rest-json", "query", "ec2"):
            raise ValueError(f"fault injection does not support {service}'s wire protocol")
        fault = Fault(
            service, operation, code, message or code, account_id, region, remaining=times
        )
        with _control.lock:
            _control.faults.append(fault)
        return fault

    def clear_faults(self) -> None:
        with _control.lock:
            _control.faults.clear()

    @contextlib.contextmanager
    def environment(self, region: str = "us-east-1") -> Iterator[None]:
        """Point boto3 at this server with fake credentials, restoring the env afterwards."""
        values = {
            **FAKE_CREDENTIALS,
            "AWS_ENDPOINT_URL": self.endpoint_url,
            "AWS_DEFAULT_REGION": region,
            "AWS_REGION": region,
        }
        saved = {k: os.environ.get(k) for k in [*values, "AWS_PROFILE"]}
        os.environ.pop("AWS_PROFILE", None)
        os.environ.update(values)
        try:
            yield
        finally:
            for key, old in saved.items():
                if old is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = old


def add_scaling_activity(
    *,
    account_id: str,
    region: str,
    namespace: str,
    resource_id: str,
    dimension: str,
    status_code: str,
    status_message: str = "",
    cause: str = "monitor alarm triggered",
    start_time: float | None = None,
    not_scaled: bool = False,
) -> None:
    """Record a scaling activity in the local AWS (AWS creates these when it scales)."""
    from moto.applicationautoscaling.models import applicationautoscaling_backends
    from moto.moto_api._internal import mock_random

    install_patches()
    backend = applicationautoscaling_backends[account_id][region]
    started = time.time() if start_time is None else start_time
    _activities_of(backend).append(
        {
            "ActivityId": str(mock_random.uuid4()),
            "ServiceNamespace": namespace,
            "ResourceId": resource_id,
            "ScalableDimension": dimension,
            "Description": f"Setting desired capacity for {resource_id}.",
            "Cause": cause,
            "StartTime": started,
            "EndTime": started + 30,
            "StatusCode": status_code,
            "StatusMessage": status_message,
            "_not_scaled": not_scaled,
        }
    )


# --------------------------------------------------------------------------------------------
# Seeding: realistic accounts, built through boto3 like a user would
# --------------------------------------------------------------------------------------------

#: One scalable dimension per namespace and how its resource ids look in AWS.
RESOURCE_ID_FORMATS: dict[str, tuple[str, str]] = {
    "dynamodb": ("dynamodb:table:ReadCapacityUnits", "table/{name}"),
    "ecs": ("ecs:service:DesiredCount", "service/prod-cluster/{name}"),
    "ec2": ("ec2:spot-fleet-request:TargetCapacity", "spot-fleet-request/sfr-{name}"),
    "custom-resource": (
        "custom-resource:ResourceType:Property",
        "https://abcdef0123.execute-api.{region}.amazonaws.com/prod/scalableTargetDimensions/{name}",
    ),
    "lambda": ("lambda:function:ProvisionedConcurrency", "function:{name}:live"),
    "sagemaker": ("sagemaker:variant:DesiredInstanceCount", "endpoint/{name}/variant/AllTraffic"),
    "elasticache": ("elasticache:replication-group:Replicas", "replication-group/{name}"),
    "neptune": ("neptune:cluster:ReadReplicaCount", "cluster:{name}"),
    "rds": ("rds:cluster:ReadReplicaCount", "cluster:{name}"),
    "appstream": ("appstream:fleet:DesiredCapacity", "fleet/{name}"),
    "cassandra": ("cassandra:table:ReadCapacityUnits", "keyspace/app/table/{name}"),
    "elasticmapreduce": (
        "elasticmapreduce:instancegroup:InstanceCount",
        "instancegroup/j-{name}/ig-{name}",
    ),
    "workspaces": ("workspaces:workspacespool:DesiredUserSessions", "workspacespool/wspool-{name}"),
}


def _client(service: str, region: str, session: Any = None) -> Any:
    import boto3

    return (session or boto3).client(service, region_name=region)


def register_targets(
    region: str,
    namespace: str,
    count: int,
    *,
    session: Any = None,
    prefix: str = "res",
    min_capacity: int = 2,
    max_capacity: int = 10,
    tags: dict[str, str] | None = None,
) -> list[str]:
    """Register ``count`` targets of ``namespace``; returns their resource ids."""
    dimension, pattern = RESOURCE_ID_FORMATS[namespace]
    aas = _client("application-autoscaling", region, session)
    ids = []
    for i in range(count):
        resource_id = pattern.format(name=f"{prefix}-{i:04d}", region=region)
        params: dict[str, Any] = {
            "ServiceNamespace": namespace,
            "ResourceId": resource_id,
            "ScalableDimension": dimension,
            "MinCapacity": min_capacity,
            "MaxCapacity": max_capacity,
        }
        if tags:
            params["Tags"] = tags
        aas.register_scalable_target(**params)
        ids.append(resource_id)
    return ids


def create_managed_policies(count: int, *, session: Any = None, prefix: str = "app") -> list[str]:
    """``count`` customer-managed policies with realistic (mostly harmless) documents."""
    iam = _client("iam", "us-east-1", session)
    arns = []
    for i in range(count):
        statement: dict[str, Any] = {
            "Effect": "Allow",
            "Action": ["s3:GetObject", "s3:ListBucket"],
            "Resource": f"arn:aws:s3:::{prefix}-bucket-{i}/*",
        }
        doc = {"Version": "2012-10-17", "Statement": [statement]}
        resp = iam.create_policy(
            PolicyName=f"{prefix}-policy-{i:04d}", PolicyDocument=json.dumps(doc)
        )
        arns.append(resp["Policy"]["Arn"])
    return arns


@dataclass
class SeededRegion:
    """What ``seed_scenario`` created in one region (tests assert against it)."""

    region: str
    target_ids: dict[str, list[str]] = field(default_factory=dict)
    fixed_capacity: list[str] = field(default_factory=list)
    suspended: list[str] = field(default_factory=list)
    missing_alarm_policy: str | None = None
    vpc_id: str | None = None
    endpoint_id: str | None = None
    open_group_id: str | None = None


def seed_scenario(
    region: str,
    *,
    session: Any = None,
    account_id: str = DEFAULT_ACCOUNT_ID,
    dynamodb_tables: int = 3,
    ecs_services: int = 3,
    scheduled_actions: int = 2,
    with_endpoint: bool = True,
    with_trail: bool = True,
) -> SeededRegion:
    """A realistic region: several namespaces, policies, schedules, tags, network and logging.

    It holds both sides of most checks: healthy targets next to a fixed-capacity one, a
    suspended one, a single-task ECS service, a policy whose alarm was deleted, a failed
    scaling activity, an endpoint with the default policy and an open security group, a
    trail, an alerting rule, a recorder and Security Hub.
    """
    seeded = SeededRegion(region=region)
    aas = _client("application-autoscaling", region, session)
    ddb = _client("dynamodb", region, session)

    # DynamoDB: provisioned tables with read scaling (write left unscaled) + one on-demand.
    tables = []
    for i in range(dynamodb_tables):
        name = f"orders-{i:03d}"
        ddb.create_table(
            TableName=name,
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            ProvisionedThroughput={"ReadCapacityUnits": 5, "WriteCapacityUnits": 5},
        )
        tables.append(name)
    ddb.create_table(
        TableName="sessions-ondemand",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    dyn_ids = []
    for name in tables:
        rid = f"table/{name}"
        aas.register_scalable_target(
            ServiceNamespace="dynamodb",
            ResourceId=rid,
            ScalableDimension="dynamodb:table:ReadCapacityUnits",
            MinCapacity=5,
            MaxCapacity=100,
            Tags={"team": "orders", "env": "prod"},
        )
        aas.put_scaling_policy(
            PolicyName=f"{name}-read-tt",
            ServiceNamespace="dynamodb",
            ResourceId=rid,
            ScalableDimension="dynamodb:table:ReadCapacityUnits",
            PolicyType="TargetTrackingScaling",
            TargetTrackingScalingPolicyConfiguration={
                "TargetValue": 70.0,
                "PredefinedMetricSpecification": {
                    "PredefinedMetricType": "DynamoDBReadCapacityUtilization"
                },
            },
        )
        dyn_ids.append(rid)
    seeded.target_ids["dynamodb"] = dyn_ids

    # A policy whose CloudWatch alarms were deleted by hand.
    if tables:
        policy = aas.describe_scaling_policies(ServiceNamespace="dynamodb", ResourceId=dyn_ids[0])[
            "ScalingPolicies"
        ][0]
        alarm_names = [a["AlarmName"] for a in policy.get("Alarms", [])]
        _client("cloudwatch", region, session).delete_alarms(AlarmNames=alarm_names[:1])
        seeded.missing_alarm_policy = policy["PolicyName"]

    # ECS services: one runs a single task minimum, one is fixed, one is suspended.
    ecs_ids = register_targets(
        region,
        "ecs",
        ecs_services,
        session=session,
        prefix="web",
        min_capacity=2,
        tags={"team": "web"},
    )
    if ecs_ids:
        aas.register_scalable_target(
            ServiceNamespace="ecs",
            ResourceId=ecs_ids[0],
            ScalableDimension="ecs:service:DesiredCount",
            MinCapacity=1,
            MaxCapacity=4,
        )
    if len(ecs_ids) > 1:
        aas.register_scalable_target(
            ServiceNamespace="ecs",
            ResourceId=ecs_ids[1],
            ScalableDimension="ecs:service:DesiredCount",
            MinCapacity=3,
            MaxCapacity=3,
        )
        seeded.fixed_capacity.append(ecs_ids[1])
    if len(ecs_ids) > 2:
        aas.register_scalable_target(
            ServiceNamespace="ecs",
            ResourceId=ecs_ids[2],
            ScalableDimension="ecs:service:DesiredCount",
            SuspendedState={"DynamicScalingInSuspended": True},
        )
        seeded.suspended.append(ecs_ids[2])
    for rid in ecs_ids:
        aas.put_scaling_policy(
            PolicyName="cpu-step",
            ServiceNamespace="ecs",
            ResourceId=rid,
            ScalableDimension="ecs:service:DesiredCount",
            PolicyType="StepScaling",
            StepScalingPolicyConfiguration={
                "AdjustmentType": "ChangeInCapacity",
                "StepAdjustments": [{"MetricIntervalLowerBound": 0.0, "ScalingAdjustment": 1}],
            },
        )
    seeded.target_ids["ecs"] = ecs_ids

    # Other namespaces: Lambda with a schedule, SageMaker, ElastiCache (a 2024 namespace
    # moto did not know), and a custom resource.
    lambda_ids = register_targets(region, "lambda", 1, session=session, prefix="checkout")
    for i in range(scheduled_actions):
        aas.put_scheduled_action(
            ServiceNamespace="lambda",
            ScheduledActionName=f"business-hours-{i:03d}",
            ResourceId=lambda_ids[0],
            ScalableDimension="lambda:function:ProvisionedConcurrency",
            Schedule="cron(0 8 * * ? *)",
            ScalableTargetAction={"MinCapacity": 5, "MaxCapacity": 50},
        )
    seeded.target_ids["lambda"] = lambda_ids
    seeded.target_ids["sagemaker"] = register_targets(
        region, "sagemaker", 1, session=session, prefix="recommender", min_capacity=1
    )
    seeded.target_ids["elasticache"] = register_targets(
        region, "elasticache", 1, session=session, prefix="cache"
    )
    seeded.target_ids["custom-resource"] = register_targets(
        region, "custom-resource", 1, session=session, prefix="1-23456789"
    )

    # A failed scaling activity in the last day.
    add_scaling_activity(
        account_id=account_id,
        region=region,
        namespace="ecs",
        resource_id=ecs_ids[0] if ecs_ids else "service/prod-cluster/web-0000",
        dimension="ecs:service:DesiredCount",
        status_code="Failed",
        status_message="Service is not in ACTIVE state",
        start_time=time.time() - 3600,
    )

    # Network: a VPC with an AAS interface endpoint, default policy, 443 open to the world.
    ec2 = _client("ec2", region, session)
    vpc_id = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    seeded.vpc_id = vpc_id
    if with_endpoint:
        subnet = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.20.1.0/24")["Subnet"]["SubnetId"]
        sg = ec2.create_security_group(
            GroupName="aas-endpoint", Description="AAS endpoint", VpcId=vpc_id
        )["GroupId"]
        ec2.authorize_security_group_ingress(
            GroupId=sg,
            IpPermissions=[
                {
                    "IpProtocol": "tcp",
                    "FromPort": 443,
                    "ToPort": 443,
                    "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
                }
            ],
        )
        endpoint = ec2.create_vpc_endpoint(
            VpcId=vpc_id,
            ServiceName=f"com.amazonaws.{region}.application-autoscaling",
            VpcEndpointType="Interface",
            SubnetIds=[subnet],
            SecurityGroupIds=[sg],
            PrivateDnsEnabled=True,
        )["VpcEndpoint"]
        seeded.endpoint_id = endpoint["VpcEndpointId"]
        seeded.open_group_id = sg

    if with_trail:
        s3 = _client("s3", region, session)
        bucket = f"trail-logs-{account_id}-{region}"
        if region == "us-east-1":
            s3.create_bucket(Bucket=bucket)
        else:
            s3.create_bucket(
                Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": region}
            )
        ct = _client("cloudtrail", region, session)
        ct.create_trail(
            Name=f"org-trail-{region}",
            S3BucketName=bucket,
            IsMultiRegionTrail=True,
            EnableLogFileValidation=False,
        )
        ct.start_logging(Name=f"org-trail-{region}")

    events = _client("events", region, session)
    events.put_rule(
        Name="aas-destructive-changes",
        EventPattern=json.dumps(
            {
                "source": ["aws.autoscaling"],
                "detail-type": ["AWS API Call via CloudTrail"],
                "detail": {
                    "eventSource": ["autoscaling.amazonaws.com"],
                    "eventName": ["DeregisterScalableTarget", "DeleteScalingPolicy"],
                },
            }
        ),
        State="ENABLED",
    )

    config = _client("config", region, session)
    config.put_configuration_recorder(
        ConfigurationRecorder={
            "name": "default",
            "roleARN": f"arn:aws:iam::{account_id}:role/config-recorder",
            "recordingGroup": {"allSupported": True, "includeGlobalResourceTypes": False},
        }
    )
    _client("securityhub", region, session).enable_security_hub()
    return seeded


def seed_iam(*, session: Any = None, account_id: str = DEFAULT_ACCOUNT_ID) -> None:
    """IAM that the IAM checks care about: an over-broad AAS policy on a role, an
    unscoped ``CreateServiceLinkedRole``, and the DynamoDB service-linked role."""
    iam = _client("iam", "us-east-1", session)
    broad = iam.create_policy(
        PolicyName="scaling-admin",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Action": "application-autoscaling:*", "Resource": "*"},
                    {"Effect": "Allow", "Action": "iam:CreateServiceLinkedRole", "Resource": "*"},
                ],
            }
        ),
    )["Policy"]["Arn"]
    trust = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{account_id}:root"},
                    "Action": "sts:AssumeRole",
                }
            ],
        }
    )
    iam.create_role(RoleName="deployer", AssumeRolePolicyDocument=trust)
    iam.attach_role_policy(RoleName="deployer", PolicyArn=broad)
    slr_trust = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "dynamodb.application-autoscaling.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                }
            ],
        }
    )
    iam.create_role(
        RoleName="AWSServiceRoleForApplicationAutoScaling_DynamoDBTable",
        Path="/aws-service-role/dynamodb.application-autoscaling.amazonaws.com/",
        AssumeRolePolicyDocument=slr_trust,
    )
