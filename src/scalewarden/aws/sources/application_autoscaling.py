"""Application Auto Scaling: scalable targets, their tags, scaling policies, scheduled
actions and recent scaling activities.

Targets are listed per service namespace. Policies, scheduled actions and activities are
listed only for namespaces that have targets (AWS deletes them with the target, so an empty
namespace has none), and the activities listing stops at the first page older than the
look-back window (AWS returns activities newest first). The alarms the policies name are read
once per region, after every namespace's targets and policies are known (``cloudwatch.py``),
and only when a chosen check needs them (``Source.ALARMS``): that ordering is kept here, with
the chains it waits for.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache, partial
from typing import Any

from scalewarden.aws.calls import PageSize
from scalewarden.aws.inventory import Source
from scalewarden.aws.sources import cloudwatch
from scalewarden.aws.sources.base import SourceContext, SourceModule
from scalewarden.aws.translate import to_activity, to_policy, to_scheduled_action, to_target
from scalewarden.aws.workpool import FOLLOW_UP, LEAF

SERVICE = "application-autoscaling"


@lru_cache(maxsize=1)
def aas_namespaces() -> tuple[str, ...]:
    """The service namespaces AWS knows, read from botocore's model (never a stale list)."""
    import botocore.session

    model = botocore.session.get_session().get_service_model("application-autoscaling")
    return tuple(model.shape_for("ServiceNamespace").enum)


@dataclass(frozen=True, slots=True)
class _FollowUp:
    """A listing started for each namespace once it is known to have targets."""

    source: Source
    op: str
    on_page: Callable[[dict[str, Any]], bool]


def start(ctx: SourceContext, region: str) -> None:
    """List every namespace's targets; the rest follows from what they find."""
    st = ctx.state(region)
    st.alarm_wait = len(ctx.namespaces)
    for ns in ctx.namespaces:
        _start_targets(ctx, region, ns)


def _start_targets(ctx: SourceContext, region: str, ns: str) -> None:
    st = ctx.state(region)

    def on_page(page: dict[str, Any]) -> bool:
        raw = page.get("ScalableTargets") or []
        targets = [to_target(t, None) for t in raw]
        start_followups = False
        with st.lock:
            st.targets.extend(targets)
            if targets and ns not in st.namespaces_started:
                st.namespaces_started.add(ns)
                if ctx.wants(Source.SCALING_POLICIES):
                    st.alarm_wait += 1  # the policies chain of this namespace
                start_followups = True
        if start_followups:
            _start_namespace_followups(ctx, region, ns)
        for t in targets if ctx.wants(Source.TAGS) else ():
            if t.arn:
                ctx.submit(region, partial(_tags, ctx, region, t.arn, ns), LEAF)
        return True

    ctx.chain(
        region,
        f"{Source.SCALABLE_TARGETS}:{ns}",
        SERVICE,
        "describe_scalable_targets",
        {"ServiceNamespace": ns},
        on_page,
        on_done=lambda ok: _alarm_dependency_done(ctx, region),
    )


def _tags(ctx: SourceContext, region: str, arn: str, namespace: str) -> None:
    answer = ctx.call(
        region,
        Source.TAGS,
        SERVICE,
        "list_tags_for_resource",
        namespace,
        ResourceARN=arn,
    )
    if answer.ok:
        st = ctx.state(region)
        with st.lock:
            st.tags[arn] = dict(answer.response.get("Tags") or {})


def _start_namespace_followups(ctx: SourceContext, region: str, ns: str) -> None:
    st = ctx.state(region)

    def policies(page: dict[str, Any]) -> bool:
        found = [to_policy(p) for p in page.get("ScalingPolicies") or []]
        with st.lock:
            st.policies.extend(found)
        return True

    def actions(page: dict[str, Any]) -> bool:
        found = [to_scheduled_action(a) for a in page.get("ScheduledActions") or []]
        with st.lock:
            st.actions.extend(found)
        return True

    since = ctx.now - timedelta(days=ctx.activity_days)

    def activities(page: dict[str, Any]) -> bool:
        found = [to_activity(a) for a in page.get("ScalingActivities") or []]
        recent = [a for a in found if a.start_time is None or a.start_time >= since]
        with st.lock:
            st.activities.extend(recent)
        # Newest first: once a page reaches past the window, later pages are older still.
        return len(recent) == len(found)

    followups = (
        _FollowUp(Source.SCALING_POLICIES, "describe_scaling_policies", policies),
        _FollowUp(Source.SCHEDULED_ACTIONS, "describe_scheduled_actions", actions),
        _FollowUp(Source.SCALING_ACTIVITIES, "describe_scaling_activities", activities),
    )
    for follow in followups:
        if not ctx.wants(follow.source):
            continue
        done = (
            (lambda ok: _alarm_dependency_done(ctx, region))
            if follow.source == Source.SCALING_POLICIES
            else None
        )
        ctx.chain(
            region,
            # Recorded per namespace, as targets are, so the reason says which one failed.
            f"{follow.source}:{ns}",
            SERVICE,
            follow.op,
            {"ServiceNamespace": ns},
            follow.on_page,
            on_done=done,
            priority=FOLLOW_UP,
        )


def _alarm_dependency_done(ctx: SourceContext, region: str) -> None:
    """Once every namespace's targets and policies are known, read the alarms once, when
    the chosen checks need them (policies are also read for checks that need no alarms)."""
    if not ctx.wants(Source.ALARMS):
        return
    st = ctx.state(region)
    with st.lock:
        st.alarm_wait -= 1
        if st.alarm_wait:
            return
        names = sorted({n for p in st.policies for n in p.alarm_names})
    cloudwatch.read_alarms(ctx, region, names)


MODULE = SourceModule(
    name="application_autoscaling",
    fills=(
        Source.SCALABLE_TARGETS,
        Source.SCALING_POLICIES,
        Source.SCHEDULED_ACTIONS,
        Source.SCALING_ACTIVITIES,
        Source.TAGS,
    ),
    start=start,
    needs={
        Source.SCALING_POLICIES: (Source.SCALABLE_TARGETS,),
        Source.SCHEDULED_ACTIONS: (Source.SCALABLE_TARGETS,),
        Source.SCALING_ACTIVITIES: (Source.SCALABLE_TARGETS,),
        Source.TAGS: (Source.SCALABLE_TARGETS,),
    },
    page_sizes={
        "describe_scalable_targets": PageSize("MaxResults", 50),
        "describe_scaling_policies": PageSize("MaxResults", 50),
        "describe_scheduled_actions": PageSize("MaxResults", 50),
        "describe_scaling_activities": PageSize("MaxResults", 50),
    },
)
