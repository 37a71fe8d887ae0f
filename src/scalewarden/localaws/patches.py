"""Fixes to moto, so that its server answers as AWS does where a scanner notices.

Each patch names the moto bug it works around. Scanning code is never bent to moto: it is
moto that is fixed here. ``install_patches()`` applies them once per process, before the
server (``server.py``) answers its first request.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from typing import Any

#: AWS's page size limit for the Describe* operations of Application Auto Scaling.
AAS_MAX_RESULTS = 50

_patch_lock = threading.Lock()
_patched = False


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


def activities_of(backend: Any) -> list[dict[str, Any]]:
    """Scaling activities recorded in a backend (kept there so that a moto reset clears them)."""
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
            for a in activities_of(self.applicationautoscaling_backend)
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


def install_patches() -> None:
    """Apply every fix to moto once per process (idempotent, thread-safe)."""
    global _patched
    with _patch_lock:
        if _patched:
            return
        _patch_application_autoscaling()
        _patch_cloudtrail()
        _patch_server_routing()
        _patched = True
