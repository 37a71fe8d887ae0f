"""Hostile events: secrets, mrkdwn and invisible characters, huge and oddly typed fields."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from alert_samples import ECS_TARGET, RISKY, aas_event, iam_event

from scalewarden.alerts import classify
from scalewarden.alerts.model import MAX_FIELD, MAX_RESOURCE

SECRET_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
TOKEN = "xoxb-17653672481-19874698323-pdFZKVeTuE8sk7oOcBrzbqgy"


def _text_of(alert: Any) -> str:
    return json.dumps(alert.to_dict())


def test_secrets_in_names_never_reach_the_alert() -> None:
    params = {
        **ECS_TARGET,
        "resourceId": f"service/prod/api-aws_secret_access_key={SECRET_KEY}",
        "policyName": f"slack-{TOKEN}",
    }
    event = aas_event("DeleteScalingPolicy", params)
    event["detail"]["userIdentity"]["arn"] = f"arn:aws:iam::123456789012:user/{TOKEN}"
    event["detail"]["sourceIPAddress"] = f"password={SECRET_KEY}"
    alert = classify(event)
    assert alert is not None
    text = _text_of(alert)
    assert SECRET_KEY not in text and TOKEN not in text
    assert "REDACTED" in alert.resource and "REDACTED" in alert.who.name  # type: ignore[union-attr]


def test_a_secret_in_an_iam_policy_name_is_redacted() -> None:
    document = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "application-autoscaling:*", "Resource": "*"}],
    }
    alert = classify(
        iam_event("CreatePolicy", {"policyName": f"p-{TOKEN}", "policyDocument": document})
    )
    assert alert is not None and TOKEN not in _text_of(alert)


def test_mrkdwn_and_invisible_characters_stay_literal_on_one_line() -> None:
    hostile = (
        "service/prod/api\n\n*URGENT* <!channel> <https://evil.example|aws.amazon.com>\u202e\u200b"
    )
    params = {**ECS_TARGET, "resourceId": hostile, "policyName": "a\rb\x00c"}
    alert = classify(aas_event("DeleteScalingPolicy", params))
    assert alert is not None
    for text in (alert.resource, alert.summary, *(c.before for c in alert.changes)):
        assert not any(ch in text for ch in "\n\r\x00\u202e\u200b"), text
    # Kept as literal text for the Slack renderer to escape, never dropped silently.
    assert "<!channel>" in alert.resource


def test_huge_fields_are_cut_and_the_rest_of_the_event_is_not_read() -> None:
    params: dict[str, Any] = {
        **ECS_TARGET,
        "resourceId": "service/prod/" + "a" * 2_000_000,
        "policyName": "p" * 1_000_000,
        "tags": {f"k{i}": "v" * 10 for i in range(100_000)},
        "junk": [{"nested": ["x" * 100] * 100}] * 1000,
    }
    event = aas_event("DeleteScalingPolicy", params)
    event["detail"]["userIdentity"]["arn"] = "arn:aws:iam::1:user/" + "u" * 1_000_000
    alert = classify(event)
    assert alert is not None
    assert len(alert.resource) <= MAX_RESOURCE
    assert len(alert.who.arn) <= MAX_RESOURCE and len(alert.who.name) <= MAX_FIELD  # type: ignore[union-attr]
    assert all(len(c.before) <= MAX_FIELD for c in alert.changes)
    assert len(_text_of(alert)) < 8_000


def test_many_endpoint_ids_and_tag_keys_are_bounded() -> None:
    from alert_samples import ec2_event

    ids = [{"tag": i, "content": f"vpce-{i:017x}"} for i in range(50_000)]
    alert = classify(
        ec2_event("DeleteVpcEndpoints", {"DeleteVpcEndpointsRequest": {"VpcEndpointId": ids}})
    )
    assert alert is not None and alert.resource.count("vpce-") <= 16
    untag = aas_event(
        "UntagResource", {"resourceARN": "arn:x", "tagKeys": [f"k{i}" for i in range(100_000)]}
    )
    assert classify(untag) is None  # the protection key is not among the first keys read


ODD_VALUES: list[Any] = [None, 5, "text", [1, 2], {"a": {"b": []}}, True, 1.5]


@pytest.mark.parametrize(("rule_id", "event"), RISKY, ids=[r for r, _ in RISKY])
def test_oddly_typed_fields_never_raise(rule_id: str, event: dict[str, Any]) -> None:
    keys = [*event["detail"], "detail", "account", "region", "id", "time"]
    for key in keys:
        for value in ODD_VALUES:
            broken = copy.deepcopy(event)
            if key in broken["detail"]:
                broken["detail"][key] = value
            else:
                broken[key] = value
            alert = classify(broken)
            if alert is not None:
                json.dumps(alert.to_dict())
    for params_value in ODD_VALUES:
        broken = copy.deepcopy(event)
        for name in list(broken["detail"].get("requestParameters") or {}):
            broken["detail"]["requestParameters"][name] = params_value
        classify(broken)


@pytest.mark.parametrize(
    "name",
    [
        f"api-tok\u200ben={SECRET_KEY}",  # zero-width space inside the key word
        f"api-p\u0430ssword={SECRET_KEY}",  # Cyrillic а
        f"api-pass\u202eword={SECRET_KEY}",  # a bidirectional override inside it
        "api-XAKIAIOSFODNN7EXAMPLE",  # an access key id glued to a capital
    ],
)
def test_secrets_spelt_around_the_detector_never_reach_the_alert(name: str) -> None:
    params = {**ECS_TARGET, "resourceId": f"service/prod/{name}", "policyName": name}
    event = aas_event("DeleteScalingPolicy", params)
    event["detail"]["userIdentity"]["arn"] = f"arn:aws:iam::123456789012:user/{name}\ud800"
    alert = classify(event)
    assert alert is not None
    text = _text_of(alert)
    text.encode("utf-8")  # the lone surrogate is gone too
    assert SECRET_KEY not in text and "IOSFODNN7EXAMPLE" not in text
