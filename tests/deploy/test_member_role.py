"""deploy/aws/member-role.yaml: valid CloudFormation, the shipped policy, optional external id."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
import yaml
from cfnlint.api import lint_file
from deploy_files import DEPLOY

TEMPLATE = DEPLOY / "aws" / "member-role.yaml"
POLICY = DEPLOY / "iam" / "scalewarden-readonly.json"


@pytest.fixture(scope="module")
def role() -> dict[str, Any]:
    # The template uses the long form of intrinsic functions (Fn::If, Ref), so plain YAML reads it.
    template = yaml.safe_load(TEMPLATE.read_text())
    (resource,) = template["Resources"].values()
    assert resource["Type"] == "AWS::IAM::Role"
    properties: dict[str, Any] = resource["Properties"]
    return properties


def test_template_passes_cfn_lint() -> None:
    matches = lint_file(TEMPLATE)
    assert not matches, "\n".join(str(m) for m in matches)


def test_permissions_are_the_shipped_read_only_policy(role: dict[str, Any]) -> None:
    (policy,) = role["Policies"]
    assert policy["PolicyDocument"] == json.loads(POLICY.read_text()), (
        "deploy/aws/member-role.yaml and deploy/iam/scalewarden-readonly.json differ: "
        "copy the statements across"
    )


def test_trust_names_the_scanner_and_requires_the_external_id_only_when_given(
    role: dict[str, Any],
) -> None:
    (statement,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert statement["Action"] == "sts:AssumeRole"
    assert statement["Principal"] == {"AWS": {"Ref": "ScannerPrincipalArn"}}
    condition, when_set, when_unset = statement["Condition"]["Fn::If"]
    assert condition == "HasExternalId"
    assert when_set == {"StringEquals": {"sts:ExternalId": {"Ref": "ExternalId"}}}
    assert when_unset == {"Ref": "AWS::NoValue"}
    template = yaml.safe_load(TEMPLATE.read_text())
    assert template["Parameters"]["ExternalId"]["Default"] == ""
    assert template["Conditions"]["HasExternalId"] == {
        "Fn::Not": [{"Fn::Equals": [{"Ref": "ExternalId"}, ""]}]
    }


def test_stack_set_ready_no_account_or_region_in_the_resources() -> None:
    # A StackSet deploys the same template to many accounts: nothing account-specific in it.
    resources = json.dumps(yaml.safe_load(TEMPLATE.read_text())["Resources"])
    assert not re.search(r"\b\d{12}\b", resources)
    assert not re.search(r"\b[a-z]{2}(-gov)?-[a-z]+-\d\b", resources)
    assert '"RoleName": {"Ref": "RoleName"}' in resources
