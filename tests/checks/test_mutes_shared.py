"""One matching implementation for mutelist files and stored mutes, on what users see."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from inventory_builders import account, region, run, target

from scalewarden.checks.model import Finding, Severity, Status
from scalewarden.checks.mutelist import Mutelist, MuteRequest, resource_names
from scalewarden.checks.registry import check_ids
from scalewarden.store.records import StoredMute

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)
README = Path(__file__).resolve().parents[2] / "README.md"


def readme_mutelist() -> str:
    """The YAML example under the README's "Mutelist" heading, verbatim."""
    text = README.read_text(encoding="utf-8")
    section = text[text.index("### Mutelist") :]
    match = re.search(r"```yaml\n(.*?)```", section, re.S)
    assert match, "the README's mutelist example is missing"
    return match.group(1)


def batch_findings() -> list[Finding]:
    """target_fixed_capacity as a real scan reports it, for a dev batch service and prod web."""
    inventory = account(
        region(
            targets=[
                target(
                    resource_id="service/batch/nightly",
                    min_capacity=2,
                    max_capacity=2,
                    tags={"env": "dev"},
                ),
                target(
                    resource_id="service/web/api",
                    min_capacity=2,
                    max_capacity=2,
                    tags={"env": "prod"},
                ),
            ]
        )
    )
    return run("target_fixed_capacity", inventory)


def test_the_readme_example_works_verbatim() -> None:
    rules = Mutelist.parse(readme_mutelist(), "README.md")
    findings = rules.apply(batch_findings(), NOW)
    by_resource = {f.resource_id: f for f in findings}
    batch = by_resource["ecs:service/batch/nightly:ecs:service:DesiredCount"]
    web = by_resource["ecs:service/web/api:ecs:service:DesiredCount"]
    assert batch.status is Status.MUTED
    assert "Batch services run at fixed capacity by design." in batch.message
    assert web.status is Status.FAIL
    assert rules.warnings(findings, NOW, known_checks=check_ids()) == []


@pytest.mark.parametrize(
    "pattern",
    [
        "ecs:service/batch/nightly:ecs:service:DesiredCount",  # resource_id as printed
        "service/batch/*",  # the Application Auto Scaling resource id
        "nightly",  # the bare name
        "night*",
    ],
)
def test_a_pattern_matches_what_users_see_of_a_target(pattern: str) -> None:
    rules = Mutelist.from_data({"mutes": [{"resources": [pattern], "reason": "ok"}]})
    muted = [f.resource_id for f in rules.apply(batch_findings(), NOW) if f.status is Status.MUTED]
    assert muted == ["ecs:service/batch/nightly:ecs:service:DesiredCount"]


def test_a_pattern_matches_an_arn_its_resource_part_and_its_name() -> None:
    arn = "arn:aws:iam::111122223333:role/ci/deployer"
    finding = Finding(
        "iam_principal_aas_write_access",
        "t",
        Severity.HIGH,
        Status.FAIL,
        "111122223333",
        None,
        "global",
        arn,
        arn,
        "m",
        "r",
        "k",
    )
    names = resource_names(finding)
    assert names[:1] == [arn]
    assert "role/ci/deployer" in names and "deployer" in names
    for pattern in (arn, "role/ci/*", "deployer", "arn:aws:iam::*:role/ci/*"):
        rules = Mutelist.from_data({"mutes": [{"resources": pattern, "reason": "ok"}]})
        assert rules.apply([finding], NOW)[0].status is Status.MUTED, pattern
    rules = Mutelist.from_data({"mutes": [{"resources": "other", "reason": "ok"}]})
    assert rules.apply([finding], NOW)[0].status is Status.FAIL


def test_warnings_for_expired_unknown_and_unmatched_rules() -> None:
    rules = Mutelist.from_data(
        {
            "mutes": [
                {"checks": "target_fixed_capacity", "reason": "old", "expires": "2026-01-31"},
                {"checks": ["target_fixd_capacity"], "reason": "typo"},
                {"checks": "target_*", "resources": "service/none/*", "reason": "gone"},
                {"checks": "target_fixed_capacity", "resources": "nightly", "reason": "fine"},
            ]
        }
    )
    findings = rules.apply(batch_findings(), NOW)
    assert rules.warnings(findings, NOW, known_checks=check_ids()) == [
        "rule 1 expired on 2026-01-31 and no longer mutes anything (old)",
        "rule 2 names unknown check id(s): target_fixd_capacity",
        "rule 3 matched no finding in this scan (gone)",
    ]


def _stored(**overrides: object) -> StoredMute:
    values: dict[str, object] = {
        "id": 7,
        "check_id": "target_fixed_capacity",
        "resource_pattern": "service/batch/*",
        "reason": "batch is fixed",
        "author": "U1",
        "created_at": NOW - timedelta(days=1),
        "expires_at": NOW + timedelta(days=1),
    }
    values.update(overrides)
    return StoredMute(**values)  # type: ignore[arg-type]


def test_stored_mutes_match_like_file_rules_and_lapse_by_themselves() -> None:
    rules = Mutelist.from_stored([_stored()])
    findings = rules.apply(batch_findings(), NOW)
    muted = [f for f in findings if f.status is Status.MUTED]
    assert [f.resource_id for f in muted] == ["ecs:service/batch/nightly:ecs:service:DesiredCount"]
    assert muted[0].evidence["muted"]["mute_id"] == 7
    later = NOW + timedelta(days=2)
    assert all(f.status is Status.FAIL for f in rules.apply(batch_findings(), later))
    assert rules.warnings(batch_findings(), later, known_checks=check_ids()) == [
        f"mute #7 expired on {(NOW + timedelta(days=1)).date()} and no longer mutes anything "
        "(batch is fixed)"
    ]


def test_stored_mutes_scope_by_account_and_region() -> None:
    elsewhere = Mutelist.from_stored([_stored(accounts=("999999999999",))])
    assert all(f.status is Status.FAIL for f in elsewhere.apply(batch_findings(), NOW))
    other_region = Mutelist.from_stored([_stored(regions=("eu-west-1",))])
    assert all(f.status is Status.FAIL for f in other_region.apply(batch_findings(), NOW))


def test_a_mute_request_is_checked_before_anything_is_stored() -> None:
    request = MuteRequest.parse(
        check_id="target_fixed_capacity",
        resource_pattern=" service/batch/* ",
        reason=" accepted ",
        until="2026-12-31",
        accounts="111122223333",
        regions="us-east-1",
        now=NOW,
    )
    assert request.resource_pattern == "service/batch/*"
    assert request.reason == "accepted"
    assert request.expires_at == datetime(2026, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)
    assert request.accounts == ("111122223333",) and request.regions == ("us-east-1",)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"check_id": "no_such_check"}, "unknown check id 'no_such_check'"),
        ({"reason": "  "}, "needs a reason"),
        ({"until": "2026-05-31"}, "in the past"),
        ({"until": "tomorrow"}, "not a date"),
        ({"accounts": "12"}, "12 digits"),
        ({"regions": "mars-1"}, "unknown region"),
        ({"resource_pattern": "x" * 600}, "longer than 512"),
    ],
)
def test_bad_mute_requests_say_why(kwargs: dict[str, str], message: str) -> None:
    values = {"check_id": "target_fixed_capacity", "reason": "ok", "now": NOW, **kwargs}
    with pytest.raises(ValueError, match=message):
        MuteRequest.parse(**values)  # type: ignore[arg-type]


def test_a_stored_mute_says_which_mute_and_who_in_the_muted_finding() -> None:
    rules = Mutelist.from_stored([_stored(), _stored(id=8, resource_pattern=None, author="U2")])
    assert [(r.index, r.checks, r.resources) for r in rules.rules] == [
        (1, ("target_fixed_capacity",), ("service/batch/*",)),
        (2, ("target_fixed_capacity",), ()),
    ]
    batch, web = rules.apply(batch_findings(), NOW)
    assert batch.evidence["muted"] == {
        "rule": 1,
        "reason": "batch is fixed",
        "expires": (NOW + timedelta(days=1)).isoformat(),
        "author": "U1",
        "mute_id": 7,
    }
    assert web.evidence["muted"]["mute_id"] == 8  # no pattern: every resource of the check


def test_file_rules_and_stored_mutes_apply_together() -> None:
    file_rules = Mutelist.from_data({"mutes": [{"resources": "api", "reason": "web is fine"}]})
    both = file_rules + Mutelist.from_stored([_stored()])
    assert len(both.rules) == 2
    assert {f.status for f in both.apply(batch_findings(), NOW)} == {Status.MUTED}


def test_a_mute_request_without_options_mutes_everywhere_for_ever() -> None:
    request = MuteRequest.parse(
        check_id="target_fixed_capacity", reason="ok", regions="all", now=NOW
    )
    assert request == MuteRequest("target_fixed_capacity", None, (), (), "ok", None)


def test_a_mute_request_pattern_may_be_as_long_as_the_limit() -> None:
    pattern = "x" * 512
    request = MuteRequest.parse(
        check_id="target_fixed_capacity", reason="ok", resource_pattern=pattern, now=NOW
    )
    assert request.resource_pattern == pattern


def test_a_mute_request_must_expire_after_now_and_says_until_not_expires() -> None:
    with pytest.raises(ValueError, match="in the past"):
        MuteRequest.parse(
            check_id="target_fixed_capacity", reason="ok", until=NOW.isoformat(), now=NOW
        )
    with pytest.raises(ValueError) as caught:
        MuteRequest.parse(check_id="target_fixed_capacity", reason="ok", until="soon", now=NOW)
    assert "until 'soon' is not a date" in str(caught.value)
    assert "expires" not in str(caught.value)
