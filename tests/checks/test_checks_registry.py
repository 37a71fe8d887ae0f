"""The catalogue: required ids and severities, metadata completeness, selection."""

from __future__ import annotations

import pytest

from scalewarden.checks.model import Check, Severity
from scalewarden.checks.registry import all_checks, check_ids, get_check, select, topics
from scalewarden.settings import DEFAULT_KNOWLEDGE_DIR

REQUIRED = {
    "iam_policy_aas_write_unrestricted": Severity.HIGH,
    "iam_principal_aas_write_access": Severity.INFORMATIONAL,
    "iam_create_slr_unscoped": Severity.MEDIUM,
    "slr_missing_for_namespace": Severity.MEDIUM,
    "slr_unused": Severity.LOW,
    "vpc_endpoint_aas_missing": Severity.LOW,
    "vpc_endpoint_aas_policy_full_access": Severity.LOW,
    "vpc_endpoint_aas_private_dns_disabled": Severity.LOW,
    "vpc_endpoint_aas_sg_open": Severity.MEDIUM,
    "cloudtrail_multiregion_management_events": Severity.HIGH,
    "cloudtrail_log_file_validation": Severity.MEDIUM,
    "eventbridge_aas_destructive_alerting": Severity.LOW,
    "eventbridge_aas_scaled_to_max_alerting": Severity.INFORMATIONAL,
    "target_scaling_suspended": Severity.MEDIUM,
    "target_fixed_capacity": Severity.LOW,
    "target_without_scaling_policy": Severity.LOW,
    "target_single_instance_minimum": Severity.LOW,
    "dynamodb_table_autoscaling_enabled": Severity.MEDIUM,
    "scaling_policy_alarms_missing": Severity.MEDIUM,
    "scaling_activity_failures": Severity.MEDIUM,
    "sensitive_data_in_scaling_names": Severity.MEDIUM,
    "custom_resource_url_credentials": Severity.HIGH,
    "config_recorder_enabled": Severity.LOW,
    "securityhub_enabled": Severity.LOW,
}
KNOWLEDGE = DEFAULT_KNOWLEDGE_DIR


def test_required_checks_exist_with_their_severity() -> None:
    for check_id, severity in REQUIRED.items():
        assert get_check(check_id).severity is severity, check_id


def test_ids_are_unique() -> None:
    ids = check_ids()
    assert len(ids) == len(set(ids))


def test_the_catalogue_holds_exactly_the_listed_checks() -> None:
    """A check dropped from (or slipped into) the catalogue changes what every scan covers."""
    assert len(all_checks()) == len(REQUIRED) == 24
    assert set(check_ids()) == set(REQUIRED)


@pytest.mark.parametrize("check", all_checks(), ids=lambda c: c.id)
def test_metadata_is_complete(check: Check) -> None:
    for field in ("title", "topic", "description", "risk", "remediation", "remediation_snippet"):
        assert getattr(check, field).strip(), f"{check.id}: empty {field}"
    assert check.scope in ("account", "region")
    assert check.id.islower() and " " not in check.id


def _shipped_section_ids() -> set[str]:
    from scalewarden.knowledge.corpus import parse_sources, read_sources

    corpus = parse_sources(read_sources(KNOWLEDGE))
    assert not corpus.problems
    return {section.section_id for article in corpus.articles for section in article.sections}


SHIPPED_SECTIONS = _shipped_section_ids()


@pytest.mark.parametrize("check", all_checks(), ids=lambda c: c.id)
def test_every_check_links_to_a_section_of_the_shipped_knowledge_base(check: Check) -> None:
    """The link is data beside the check (``kb_section``), an explicit ``{#anchor}`` of a
    shipped article's heading: a renamed anchor or a removed section fails here."""
    article, _, anchor = check.kb_section.partition("#")
    assert anchor, f"{check.id}: {check.kb_section!r} names no section"
    assert check.kb_section in SHIPPED_SECTIONS, check.kb_section
    assert check.kb_article == article
    lines = (KNOWLEDGE / f"{article}.md").read_text(encoding="utf-8").splitlines()
    explicit = [
        line for line in lines if line.startswith("## ") and line.endswith(f"{{#{anchor}}}")
    ]
    assert len(explicit) == 1, f"{check.kb_section}: not one explicit {{#{anchor}}} heading"


def test_the_section_links_are_not_all_the_same() -> None:
    """Sanity for the table above: the checks explain different things."""
    assert len({check.kb_section for check in all_checks()}) >= 20


def test_compliance_mappings_where_they_exist() -> None:
    assert get_check("dynamodb_table_autoscaling_enabled").compliance == {
        "AWS-Foundational-Security-Best-Practices": ["DynamoDB.1"],
        "ISO27001-2022": ["A.8.6"],
        "NIST-800-53-Revision-5": ["SC-5(2)"],
    }
    cis = "CIS-7.0"  # CIS 1.4.0 was replaced; its 3.1 and 3.2 are 4.1 and 4.2 today
    assert get_check("cloudtrail_multiregion_management_events").compliance[cis] == ["4.1"]
    assert get_check("cloudtrail_log_file_validation").compliance[cis] == ["4.2"]


def test_select_by_id_topic_and_mix_keeps_catalogue_order() -> None:
    assert [c.id for c in select("target_fixed_capacity")] == ["target_fixed_capacity"]
    vpce = select("vpc-endpoints")
    assert {c.topic for c in vpce} == {"vpc-endpoints"} and len(vpce) == 4
    mixed = select(" securityhub_enabled , vpc-endpoints ")
    order = check_ids()
    assert [c.id for c in mixed] == sorted((c.id for c in mixed), key=order.index)
    assert "securityhub_enabled" in [c.id for c in mixed]
    assert len(select(None)) == len(all_checks()) == len(select(""))


def test_select_unknown_lists_valid_names() -> None:
    with pytest.raises(ValueError) as info:
        select("target_fixed_capacity,nope")
    text = str(info.value)
    assert "nope" in text and "vpc-endpoints" in text and "slr_unused" in text
    assert "target_fixed_capacity," not in text.split("Valid")[0]


def test_get_check_unknown() -> None:
    with pytest.raises(KeyError, match="unknown check"):
        get_check("nope")


def test_topics_are_knowledge_base_topics() -> None:
    allowed = {
        "data-protection",
        "identity-and-access-management",
        "vpc-endpoints",
        "compliance-validation",
        "resilience",
        "infrastructure-security",
        "monitoring-and-logging",
        "service-integrations",
    }
    assert set(topics()) <= allowed
