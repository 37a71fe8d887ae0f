"""The compliance data: every mapped id is a real requirement of its framework, with a reason."""

from __future__ import annotations

import re

import pytest

from scalewarden.checks.model import Finding, Severity, Status
from scalewarden.checks.registry import all_checks, check_ids
from scalewarden.compliance import frameworks, requirement_rows, resolve_framework

#: The shape of each framework's published requirement ids.
ID_SHAPES = {
    "aws_fsbp": r"[A-Za-z0-9]+\.\d+",
    "cis_7.0": r"\d+(\.\d+)+",
    "nist_800_53_rev5": r"[A-Z]{2}-\d+(\(\d+\))?",
    "iso27001_2022": r"A\.[5-8]\.\d+",
}


def test_the_four_frameworks_ship() -> None:
    assert [f.id for f in frameworks()] == sorted(ID_SHAPES)
    assert len({f.key for f in frameworks()}) == len(ID_SHAPES)


@pytest.mark.parametrize("framework", frameworks(), ids=lambda f: f.id)
def test_every_mapped_id_is_a_requirement_of_its_framework(framework) -> None:  # type: ignore[no-untyped-def]
    shape = re.compile(ID_SHAPES[framework.id])
    for requirement in framework.requirements:
        assert shape.fullmatch(requirement), (framework.id, requirement)
    known_checks = set(check_ids())
    for check, mappings in framework.mappings.items():
        assert check in known_checks, f"{framework.id} maps unknown check {check}"
        assert mappings, check
        for mapping in mappings:
            assert mapping.requirement in framework.requirements, (check, mapping.requirement)
            assert framework.requirements[mapping.requirement], "a mapped requirement has a title"
            assert len(mapping.why) > 20, f"{check} → {mapping.requirement} says why"


def test_framework_lists_are_whole_not_just_what_is_mapped() -> None:
    by_id = {f.id: f for f in frameworks()}
    assert len(by_id["iso27001_2022"].requirements) == 93  # Annex A of the 2022 edition
    assert "A.8.28" in by_id["iso27001_2022"].requirements
    assert len(by_id["cis_7.0"].requirements) >= 60
    assert len(by_id["aws_fsbp"].requirements) > 200
    assert {"AC-6", "AU-2", "SC-7", "IA-5(7)"} <= set(by_id["nist_800_53_rev5"].requirements)


def test_every_check_maps_to_at_least_one_framework_and_findings_carry_it() -> None:
    for check in all_checks():
        assert check.compliance, f"{check.id} maps to nothing"
    trail = next(c for c in all_checks() if c.id == "cloudtrail_multiregion_management_events")
    assert trail.compliance["CIS-7.0"] == ["4.1"]
    assert trail.compliance["AWS-Foundational-Security-Best-Practices"] == ["CloudTrail.1"]
    assert not any("1.4" in key for c in all_checks() for key in c.compliance)


@pytest.mark.parametrize(
    ("word", "framework"),
    [
        ("cis", "cis_7.0"),
        ("CIS-7.0", "cis_7.0"),
        ("fsbp", "aws_fsbp"),
        ("NIST", "nist_800_53_rev5"),
    ],
)
def test_frameworks_resolve_by_id_key_or_alias(word: str, framework: str) -> None:
    assert resolve_framework(word).id == framework


def test_unknown_framework_names_the_choices() -> None:
    with pytest.raises(ValueError, match=r"cis_7\.0"):
        resolve_framework("cis-1.4")


def _finding(check: str, status: Status, resource: str) -> Finding:
    return Finding(
        check,
        "t",
        Severity.HIGH,
        status,
        "111122223333",
        None,
        "us-east-1",
        resource,
        None,
        "m",
        "r",
        "a",
    )


def test_requirement_rows_count_findings_of_every_mapped_check() -> None:
    cis = resolve_framework("cis")
    findings = [
        _finding("cloudtrail_multiregion_management_events", Status.FAIL, "a"),
        _finding("cloudtrail_log_file_validation", Status.PASS, "t1"),
        _finding("cloudtrail_log_file_validation", Status.PASS, "t2"),
        _finding("securityhub_enabled", Status.ERROR, "r"),
        _finding("target_fixed_capacity", Status.FAIL, "x"),  # not in CIS: counted nowhere
    ]
    rows = {r.requirement: r for r in requirement_rows(cis, findings)}
    assert [r for r in rows] == ["2.21", "4.1", "4.2", "4.3", "5.16", "6.8"]
    assert (rows["4.1"].failed, rows["4.1"].status) == (1, "FAIL")
    assert (rows["4.2"].passed, rows["4.2"].status) == (2, "PASS")
    assert rows["5.16"].status == "ERROR"
    assert rows["4.3"].status == "NO DATA"
    assert rows["4.1"].checks == ("cloudtrail_multiregion_management_events",)
