"""Realistic EventBridge events for the alert rules, in the shapes AWS delivers them.

The AAS call is the AAS user guide's EventBridge sample (a console user ``Bob`` whose session
was issued by the ``Admin`` role); request parameters follow botocore's request shapes with
CloudTrail's camelCase keys. IAM, CloudTrail and EC2 calls use those services' CloudTrail
shapes (EC2's query-API wrapper ``{"tag": 1, "content": id}`` included).
"""

from __future__ import annotations

import copy
import json
import zlib
from typing import Any
from urllib.parse import quote

ACCOUNT = "123456789012"

_AAS_SAMPLE: dict[str, Any] = {
    "version": "0",
    "id": "99998888-7777-6666-5555-444433332222",
    "detail-type": "AWS API Call via CloudTrail",
    "source": "aws.autoscaling",
    "account": ACCOUNT,
    "time": "2022-07-13T16:50:15Z",
    "region": "us-west-2",
    "resources": [],
    "detail": {
        "eventVersion": "1.08",
        "userIdentity": {
            "type": "IAMUser",
            "principalId": ACCOUNT,
            "arn": f"arn:aws:iam::{ACCOUNT}:user/Bob",
            "accountId": ACCOUNT,
            "accessKeyId": "AKIAIOSFODNN7EXAMPLE",
            "sessionContext": {
                "sessionIssuer": {
                    "type": "Role",
                    "principalId": ACCOUNT,
                    "arn": f"arn:aws:iam::{ACCOUNT}:role/Admin",
                    "accountId": ACCOUNT,
                    "userName": "Admin",
                },
                "webIdFederationData": {},
                "attributes": {"creationDate": "2022-07-13T15:17:08Z", "mfaAuthenticated": "false"},
            },
        },
        "eventTime": "2022-07-13T16:50:15Z",
        "eventSource": "autoscaling.amazonaws.com",
        "eventName": "RegisterScalableTarget",
        "awsRegion": "us-west-2",
        "sourceIPAddress": "AWS Internal",
        "userAgent": "EC2 Spot Console",
        "requestParameters": {
            "resourceId": "spot-fleet-request/sfr-73fbd2ce-aa30-494c-8788-1cee4EXAMPLE",
            "serviceNamespace": "ec2",
            "scalableDimension": "ec2:spot-fleet-request:TargetCapacity",
            "minCapacity": 2,
            "maxCapacity": 10,
        },
        "responseElements": None,
        "additionalEventData": {"service": "application-autoscaling"},
        "requestID": "e9caf887-8d88-11e5-a331-3332aa445952",
        "eventID": "49d14f36-6450-44a5-a501-b0fdcdfaeb98",
        "readOnly": False,
        "eventType": "AwsApiCall",
        "managementEvent": True,
        "recipientAccountId": ACCOUNT,
        "eventCategory": "Management",
        "sessionCredentialFromConsole": "true",
    },
}

ROLE_IDENTITY = {
    "type": "AssumedRole",
    "principalId": "AROAEXAMPLEID:deploy-7",
    "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/deploy-pipeline/deploy-7",
    "accountId": ACCOUNT,
    "sessionContext": {
        "sessionIssuer": {
            "type": "Role",
            "arn": f"arn:aws:iam::{ACCOUNT}:role/deploy-pipeline",
            "userName": "deploy-pipeline",
        }
    },
}

ROOT_IDENTITY = {
    "type": "Root",
    "principalId": ACCOUNT,
    "arn": f"arn:aws:iam::{ACCOUNT}:root",
    "accountId": ACCOUNT,
}

ECS_TARGET = {
    "serviceNamespace": "ecs",
    "resourceId": "service/prod-cluster/api",
    "scalableDimension": "ecs:service:DesiredCount",
}


def aas_event(name: str, params: dict[str, Any], **detail: Any) -> dict[str, Any]:
    """An Application Auto Scaling call as EventBridge delivers it."""
    event = copy.deepcopy(_AAS_SAMPLE)
    event["detail"]["eventName"] = name
    event["detail"]["requestParameters"] = params
    event["detail"]["readOnly"] = name.startswith(("Describe", "List", "Get"))
    event["detail"].update(detail)
    return event


def ec2_autoscaling_event(name: str, params: dict[str, Any]) -> dict[str, Any]:
    """An EC2 Auto Scaling call: same source and eventSource, no ``service`` marker."""
    event = aas_event(name, params)
    del event["detail"]["additionalEventData"]
    return event


def service_event(
    source: str, event_source: str, name: str, params: dict[str, Any], region: str = "us-east-1"
) -> dict[str, Any]:
    """Another service's CloudTrail call (IAM's arrive in us-east-1)."""
    return {
        "version": "0",
        "id": f"7f1c0b1e-0000-4000-8000-{zlib.crc32(f'{source}{name}'.encode()):012d}",
        "detail-type": "AWS API Call via CloudTrail",
        "source": source,
        "account": ACCOUNT,
        "time": "2026-11-03T02:14:09Z",
        "region": region,
        "resources": [],
        "detail": {
            "eventVersion": "1.09",
            "userIdentity": copy.deepcopy(ROLE_IDENTITY),
            "eventTime": "2026-11-03T02:14:09Z",
            "eventSource": event_source,
            "eventName": name,
            "awsRegion": region,
            "sourceIPAddress": "203.0.113.45",
            "userAgent": "aws-cli/2.15.0",
            "requestParameters": params,
            "responseElements": None,
            "readOnly": False,
            "eventType": "AwsApiCall",
            "managementEvent": True,
            "recipientAccountId": ACCOUNT,
            "eventCategory": "Management",
        },
    }


def iam_event(name: str, params: dict[str, Any]) -> dict[str, Any]:
    return service_event("aws.iam", "iam.amazonaws.com", name, params)


def cloudtrail_event(name: str, params: dict[str, Any]) -> dict[str, Any]:
    return service_event("aws.cloudtrail", "cloudtrail.amazonaws.com", name, params, "eu-west-1")


def ec2_event(name: str, params: dict[str, Any]) -> dict[str, Any]:
    return service_event("aws.ec2", "ec2.amazonaws.com", name, params, "eu-west-1")


def policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


AAS_ALL = {"Effect": "Allow", "Action": "application-autoscaling:*", "Resource": "*"}
AAS_SCOPED = {
    "Effect": "Allow",
    "Action": "application-autoscaling:*",
    "Resource": "*",
    "Condition": {"StringEquals": {"aws:ResourceTag/team": "payments"}},
}
AAS_READ = {"Effect": "Allow", "Action": "application-autoscaling:Describe*", "Resource": "*"}


def url_encoded(document: dict[str, Any]) -> str:
    """A policy document the way CloudTrail often records it: URL-encoded JSON."""
    return quote(json.dumps(document), safe="")


def scaled_to_max(scaled: bool = True) -> dict[str, Any]:
    """The AAS guide's state-change sample."""
    return {
        "version": "0",
        "id": "11112222-3333-4444-5555-666677778888",
        "detail-type": "Application Auto Scaling Scaling Activity State Change",
        "source": "aws.application-autoscaling",
        "account": ACCOUNT,
        "time": "2019-06-12T10:23:40Z",
        "region": "us-west-2",
        "resources": [],
        "detail": {
            "startTime": "2022-06-12T10:20:43Z",
            "endTime": "2022-06-12T10:23:40Z",
            "newDesiredCapacity": 8,
            "oldDesiredCapacity": 5,
            "minCapacity": 2,
            "maxCapacity": 8,
            "resourceId": "table/my-table",
            "scalableDimension": "dynamodb:table:WriteCapacityUnits",
            "serviceNamespace": "dynamodb",
            "statusCode": "Successful",
            "scaledToMax": scaled,
            "direction": "scale-out",
        },
    }


#: (rule id, event) for each rule: events that must alert with that rule.
RISKY: list[tuple[str, dict[str, Any]]] = [
    (
        "aas-scaling-suspended",
        aas_event(
            "RegisterScalableTarget",
            {
                **ECS_TARGET,
                "suspendedState": {
                    "DynamicScalingInSuspended": True,
                    "DynamicScalingOutSuspended": True,
                    "ScheduledScalingSuspended": False,
                },
            },
        ),
    ),
    (
        "aas-capacity-pinned",
        aas_event("RegisterScalableTarget", {**ECS_TARGET, "minCapacity": 6, "maxCapacity": 6}),
    ),
    (
        "aas-single-instance-minimum",
        aas_event("RegisterScalableTarget", {**ECS_TARGET, "minCapacity": 1, "maxCapacity": 20}),
    ),
    ("aas-target-deregistered", aas_event("DeregisterScalableTarget", dict(ECS_TARGET))),
    (
        "aas-policy-deleted",
        aas_event("DeleteScalingPolicy", {**ECS_TARGET, "policyName": "cpu-target-tracking"}),
    ),
    (
        "aas-scheduled-action-deleted",
        aas_event("DeleteScheduledAction", {**ECS_TARGET, "scheduledActionName": "weekday-up"}),
    ),
    (
        "aas-protection-tag-changed",
        aas_event(
            "UntagResource",
            {
                "resourceARN": f"arn:aws:application-autoscaling:us-west-2:{ACCOUNT}:"
                "scalable-target/0e9b4c2a1f3d4e5f6a7b8c9d0e1f2a3b",
                "tagKeys": ["environment"],
            },
        ),
    ),
    (
        "aas-access-denied",
        aas_event(
            "PutScalingPolicy",
            {**ECS_TARGET, "policyName": "p", "policyType": "TargetTrackingScaling"},
            errorCode="AccessDenied",
            errorMessage="User: arn:aws:iam::123456789012:user/Bob is not authorized",
        ),
    ),
    (
        "aas-root-call",
        aas_event(
            "PutScheduledAction",
            {**ECS_TARGET, "scheduledActionName": "night", "schedule": "cron(0 1 * * ? *)"},
            userIdentity=copy.deepcopy(ROOT_IDENTITY),
        ),
    ),
    (
        "iam-policy-grants-aas-writes",
        iam_event(
            "CreatePolicy",
            {"policyName": "ScalingOps", "policyDocument": url_encoded(policy(AAS_ALL))},
        ),
    ),
    (
        "iam-aas-slr-deleted",
        iam_event(
            "DeleteServiceLinkedRole",
            {"roleName": "AWSServiceRoleForApplicationAutoScaling_ECSService"},
        ),
    ),
    ("cloudtrail-logging-stopped", cloudtrail_event("StopLogging", {"name": "org-trail"})),
    ("cloudtrail-trail-deleted", cloudtrail_event("DeleteTrail", {"name": "org-trail"})),
    (
        "cloudtrail-multi-region-dropped",
        cloudtrail_event("UpdateTrail", {"name": "org-trail", "isMultiRegionTrail": False}),
    ),
    (
        "vpce-aas-endpoint-changed",
        ec2_event(
            "DeleteVpcEndpoints",
            {
                "DeleteVpcEndpointsRequest": {
                    "VpcEndpointId": {"tag": 1, "content": "vpce-0a1b2c3d4e5f60718"}
                }
            },
        ),
    ),
    ("aas-scaled-to-max", scaled_to_max()),
]

#: Events no rule may alert on: reads, scoped grants, healthy settings, EC2 Auto Scaling.
BENIGN: list[tuple[str, dict[str, Any]]] = [
    ("guide sample (min 2, max 10)", copy.deepcopy(_AAS_SAMPLE)),
    ("read", aas_event("DescribeScalableTargets", {"serviceNamespace": "ecs"})),
    (
        "root read",
        aas_event(
            "DescribeScalingActivities",
            {"serviceNamespace": "ecs"},
            userIdentity=copy.deepcopy(ROOT_IDENTITY),
        ),
    ),
    (
        "healthy register",
        aas_event("RegisterScalableTarget", {**ECS_TARGET, "minCapacity": 2, "maxCapacity": 10}),
    ),
    (
        "non-zonal minimum 1",
        aas_event(
            "RegisterScalableTarget",
            {
                "serviceNamespace": "dynamodb",
                "resourceId": "table/orders",
                "scalableDimension": "dynamodb:table:ReadCapacityUnits",
                "minCapacity": 1,
                "maxCapacity": 50,
            },
        ),
    ),
    (
        "resume scaling",
        aas_event(
            "RegisterScalableTarget",
            {**ECS_TARGET, "suspendedState": {"DynamicScalingInSuspended": False}},
        ),
    ),
    ("put scaling policy", aas_event("PutScalingPolicy", {**ECS_TARGET, "policyName": "cpu"})),
    (
        "other tag key",
        aas_event(
            "TagResource",
            {
                "resourceARN": "arn:aws:application-autoscaling:"
                "us-west-2:123456789012:scalable-target/0e9b",
                "tags": {"team": "payments"},
            },
        ),
    ),
    (
        "failed deregister (throttled)",
        aas_event("DeregisterScalableTarget", dict(ECS_TARGET), errorCode="ThrottlingException"),
    ),
    (
        "read denied",
        aas_event(
            "DescribeScalingPolicies",
            {"serviceNamespace": "ecs"},
            errorCode="AccessDeniedException",
        ),
    ),
    (
        "EC2 Auto Scaling delete",
        ec2_autoscaling_event("DeleteAutoScalingGroup", {"autoScalingGroupName": "web"}),
    ),
    (
        "EC2 Auto Scaling pinned",
        ec2_autoscaling_event(
            "UpdateAutoScalingGroup", {"autoScalingGroupName": "web", "minSize": 3, "maxSize": 3}
        ),
    ),
    (
        "scoped policy",
        iam_event(
            "PutRolePolicy",
            {
                "roleName": "app",
                "policyName": "scaling",
                "policyDocument": json.dumps(policy(AAS_SCOPED)),
            },
        ),
    ),
    (
        "read-only policy",
        iam_event(
            "CreatePolicy", {"policyName": "ro", "policyDocument": url_encoded(policy(AAS_READ))}
        ),
    ),
    (
        "other SLR deleted",
        iam_event("DeleteServiceLinkedRole", {"roleName": "AWSServiceRoleForElasticLoadBalancing"}),
    ),
    (
        "trail stays multi-region",
        cloudtrail_event("UpdateTrail", {"name": "org-trail", "isMultiRegionTrail": True}),
    ),
    ("trail read", cloudtrail_event("GetTrailStatus", {"name": "org-trail"})),
    ("not at max", scaled_to_max(False)),
    ("endpoint read", ec2_event("DescribeVpcEndpoints", {"DescribeVpcEndpointsRequest": {}})),
]


def heavy_policy(patterns: int = 1800) -> dict[str, Any]:
    """About 200 KB of ``*<40 ?>#*`` action and resource patterns that match nothing.

    Each forces a scan of every position of every action and ARN it is tried on: more
    matching work than one document is allowed, though linear in its size.
    """
    junk = ["*" + "?" * 40 + "#" + "?" * (i % 5) + "*" for i in range(patterns)]
    statement = {
        "Effect": "Allow",
        "Action": [*junk, "application-autoscaling:Put*"],
        "Resource": [*junk, "*"],
    }
    return policy(statement)
