"""Mutelist rules: scope by check, account, region, resource and tag; reason; expiry; errors."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from scalewarden.checks.model import Finding, Severity, Status
from scalewarden.checks.mutelist import Mutelist, MutelistError

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)


def finding(
    check_id: str = "target_fixed_capacity",
    *,
    status: Status = Status.FAIL,
    account_id: str = "111122223333",
    region: str = "us-east-1",
    resource_id: str = "ecs:service/batch/nightly:ecs:service:DesiredCount",
    resource_arn: str | None = None,
    tags: dict[str, str] | None = None,
) -> Finding:
    evidence: dict[str, object] = {"min_capacity": 1}
    if tags is not None:
        evidence["tags"] = tags
    return Finding(
        check_id,
        "t",
        Severity.LOW,
        status,
        account_id,
        None,
        region,
        resource_id,
        resource_arn,
        "Fixed capacity.",
        "r",
        "resilience",
        {},
        evidence,
    )


def mutes(yaml_text: str) -> Mutelist:
    return Mutelist.parse(yaml_text)


def test_rule_by_check_and_resource_pattern() -> None:
    ml = mutes(
        """
mutes:
  - checks: [target_fixed_capacity]
    resources: ["ecs:service/batch/*"]
    reason: Batch services run at fixed capacity by design.
    author: alice
"""
    )
    out = ml.apply(
        [
            finding(),
            finding(resource_id="ecs:service/prod/web:ecs:service:DesiredCount"),
            finding("slr_unused"),
        ],
        NOW,
    )
    assert [f.status for f in out] == [Status.MUTED, Status.FAIL, Status.FAIL]
    muted = out[0]
    assert muted.message.endswith("[muted: Batch services run at fixed capacity by design.]")
    assert muted.evidence["muted"] == {
        "rule": 1,
        "reason": "Batch services run at fixed capacity by design.",
        "expires": None,
        "author": "alice",
    }
    assert muted.fingerprint == finding().fingerprint  # identity is unchanged
    assert muted.evidence["min_capacity"] == 1


def test_rule_by_account_and_region() -> None:
    ml = mutes(
        """
mutes:
  - accounts: ["222233334444"]
    regions: [eu-*]
    reason: sandbox
"""
    )
    out = ml.apply(
        [
            finding(account_id="222233334444", region="eu-west-1"),
            finding(account_id="222233334444", region="us-east-1"),
            finding(region="eu-west-1"),
        ],
        NOW,
    )
    assert [f.status for f in out] == [Status.MUTED, Status.FAIL, Status.FAIL]


def test_integer_account_ids_in_yaml_are_accepted() -> None:
    ml = mutes("mutes:\n  - account: 222233334444\n    reason: sandbox\n")
    assert ml.apply([finding(account_id="222233334444")], NOW)[0].status is Status.MUTED


def test_rule_by_tag_and_by_arn() -> None:
    ml = mutes(
        """
mutes:
  - tags: {env: "dev*"}
    reason: dev
  - resources: ["arn:aws:iam::111122223333:policy/legacy-*"]
    reason: legacy
"""
    )
    out = ml.apply(
        [
            finding(tags={"env": "dev-1"}),
            finding(tags={"env": "prod"}),
            finding(),
            finding(
                "iam_policy_aas_write_unrestricted",
                resource_id="x",
                resource_arn="arn:aws:iam::111122223333:policy/legacy-ops",
            ),
        ],
        NOW,
    )
    assert [f.status for f in out] == [Status.MUTED, Status.FAIL, Status.FAIL, Status.MUTED]
    assert out[3].evidence["muted"]["rule"] == 2


def test_only_fail_findings_are_muted() -> None:
    ml = mutes("mutes:\n  - checks: ['*']\n    reason: everything\n")
    out = ml.apply([finding(status=Status.PASS), finding(status=Status.ERROR), finding()], NOW)
    assert [f.status for f in out] == [Status.PASS, Status.ERROR, Status.MUTED]


def test_expiry() -> None:
    ml = mutes(
        """
mutes:
  - checks: [target_fixed_capacity]
    reason: until the end of May
    expires: 2026-05-31
  - checks: [target_fixed_capacity]
    reason: until the first of June, noon
    expires: "2026-06-01T12:00:01Z"
"""
    )
    assert ml.rules[0].expires == datetime(2026, 5, 31, 23, 59, 59, 999999, tzinfo=UTC)
    out = ml.apply([finding()], NOW)
    assert out[0].status is Status.MUTED and out[0].evidence["muted"]["rule"] == 2
    later = ml.apply([finding()], datetime(2026, 6, 2, tzinfo=UTC))
    assert later[0].status is Status.FAIL
    same_day = ml.apply([finding()], datetime(2026, 5, 31, 23, tzinfo=UTC))
    assert same_day[0].evidence["muted"]["rule"] == 1


def test_empty_file_mutes_nothing() -> None:
    assert Mutelist.parse("").apply([finding()], NOW)[0].status is Status.FAIL
    assert Mutelist.parse("mutes: []").rules == ()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("mutes: [\n  - bad", "invalid YAML at line"),
        ("mutes:\n  - checks: [a]\n", "needs a non-empty reason"),
        ("mutes:\n  - reason: everything\n", "would mute everything"),
        ("mutes:\n  - check: a\n    reason: r\n    colour: red\n", "unknown key(s) colour"),
        ("mutes:\n  - check: a\n    reason: r\n    expires: someday\n", "is not a date"),
        ("mutes:\n  - check: {a: 1}\n    reason: r\n", "must be a string or a list"),
        ("mutes:\n  - check: a\n    reason: r\n    tags: [x]\n", "tags must be a mapping"),
        ("rules: []", "unknown top-level key(s): rules"),
        ("mutes: 3", "must be a list"),
        ("mutes:\n  - 3\n", "rule 1 must be a mapping"),
    ],
)
def test_bad_files_give_clear_errors(text: str, message: str) -> None:
    with pytest.raises(MutelistError, match=message.replace("(", r"\(").replace(")", r"\)")):
        Mutelist.parse(text, "mutes.yaml")


def test_load_from_path(tmp_path: Path) -> None:
    path = tmp_path / "mutes.yaml"
    path.write_text(
        "mutes:\n  - check: target_fixed_capacity\n    reason: ok\n    expires: 2030-01-01\n"
    )
    ml = Mutelist.load(path)
    assert ml.rules[0].expires is not None and ml.rules[0].expires.date() == date(2030, 1, 1)
    with pytest.raises(MutelistError, match="no such mutelist file"):
        Mutelist.load(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("mutes:\n  - check: x\n")
    with pytest.raises(MutelistError, match=str(bad).replace("/", "/")):
        Mutelist.load(bad)


def test_a_rule_lapses_at_the_instant_it_expires() -> None:
    ml = mutes(
        "mutes:\n  - check: target_fixed_capacity\n    reason: r\n"
        "    expires: 2026-06-01T12:00:00Z\n"
    )
    assert ml.apply([finding()], NOW)[0].status is Status.FAIL


def test_a_datetime_without_a_zone_is_utc_and_shows_in_the_evidence() -> None:
    ml = mutes(
        "mutes:\n  - check: target_fixed_capacity\n    reason: r\n"
        "    expires: 2026-06-01 13:00:00\n"
    )
    assert ml.rules[0].expires == datetime(2026, 6, 1, 13, tzinfo=UTC)
    (out,) = ml.apply([finding()], NOW)
    assert out.evidence["muted"] == {
        "rule": 1,
        "reason": "r",
        "expires": "2026-06-01T13:00:00+00:00",
        "author": None,
    }


def test_applying_without_a_time_uses_the_clock() -> None:
    ml = mutes("mutes:\n  - check: target_fixed_capacity\n    reason: r\n    expires: 2999-01-01\n")
    assert ml.apply([finding()])[0].status is Status.MUTED


def test_check_and_checks_in_one_rule_add_up() -> None:
    ml = mutes("mutes:\n  - check: a\n    checks: [b, c]\n    reason: r\n")
    assert sorted(ml.rules[0].checks) == ["a", "b", "c"]


def test_a_rule_by_resource_only_mutes_that_resource_of_any_check() -> None:
    ml = mutes("mutes:\n  - resources: '*/batch/*'\n    reason: r\n    author: U1\n")
    rule = ml.rules[0]
    assert (rule.checks, rule.accounts, rule.regions) == ((), (), ())
    other = finding(resource_id="ecs:service/web/api:ecs:service:DesiredCount")
    out = ml.apply([finding("another_check"), other], NOW)
    assert [f.status for f in out] == [Status.MUTED, Status.FAIL]
    assert out[0].evidence["muted"]["author"] == "U1"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "mutes: [\n  - bad",
            "mutes.yaml: invalid YAML at line 2, column 3: "
            "expected the node content, but found '-'",
        ),
        (
            "mutes:\n  - check: a\n    reason: r\n    colour: red\n    size: 2\n",
            "mutes.yaml: rule 1: unknown key(s) colour, size (valid: accounts, author, checks, "
            "expires, reason, regions, resources, tags)",
        ),
        (
            "mutes:\n  - check: a\n    reason: r\n    expires: [1]\n",
            "mutes.yaml: rule 1: expires must be a date, got list",
        ),
        (
            "mutes:\n  - check: {a: 1}\n    reason: r\n",
            "mutes.yaml: rule 1: check must be a string or a list of strings",
        ),
        ("rules: []\nmore: 1", "mutes.yaml: unknown top-level key(s): more, rules (use 'mutes')"),
        ("mutes: 3", "mutes.yaml: 'mutes' must be a list of rules"),
    ],
)
def test_bad_files_say_exactly_where_and_what(text: str, message: str) -> None:
    with pytest.raises(MutelistError) as caught:
        Mutelist.parse(text, "mutes.yaml")
    assert str(caught.value) == message


def test_an_unreadable_mutelist_says_so(tmp_path: Path) -> None:
    with pytest.raises(MutelistError, match=f"^{tmp_path}: cannot read mutelist: "):
        Mutelist.load(tmp_path)  # a folder, not a file
