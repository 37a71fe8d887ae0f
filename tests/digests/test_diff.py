"""The scan diff: new, open, resolved, muted, not evaluated, and never a false "resolved"."""

from __future__ import annotations

from dataclasses import replace

from digest_builders import error, finding, stored

from scalewarden.aws.inventory import GLOBAL_REGION
from scalewarden.checks.model import Severity, Status
from scalewarden.digests.diff import account_regions, diff_scans

WEB = "ecs:service/web/api:ecs:service:DesiredCount"
BATCH = "ecs:service/batch/nightly:ecs:service:DesiredCount"


def _ids(findings: list) -> list[str]:
    return [f.resource_id for f in findings]


def test_the_first_scan_of_a_scope_is_a_baseline_and_calls_nothing_new() -> None:
    scan = stored([finding(resource_id=WEB), finding(resource_id=BATCH, status=Status.PASS)])
    diff = diff_scans(None, scan)
    assert diff.baseline
    assert diff.scan_id == scan.scan_id and diff.old_scan_id is None
    assert diff.new == [] and diff.resolved == []
    assert _ids(diff.open) == [WEB]
    assert not diff.changed


def test_new_open_and_resolved_by_fingerprint() -> None:
    old = stored([finding(resource_id=WEB), finding(resource_id=BATCH)])
    new = stored(
        [
            finding(resource_id=WEB, severity=Severity.HIGH),  # same identity, other severity
            finding("iam_create_slr_unscoped", "role/ci", region=GLOBAL_REGION),
        ]
    )
    diff = diff_scans(old, new)
    assert diff.baseline is False
    assert (diff.scan_id, diff.old_scan_id) == (new.scan_id, old.scan_id)
    assert _ids(diff.new) == ["role/ci"]
    assert _ids(diff.open) == [WEB]
    assert _ids(diff.resolved) == [BATCH]
    assert diff.unverified == []
    assert diff.changed


def test_new_findings_are_listed_worst_first() -> None:
    old = stored([])
    new = stored(
        [
            finding(resource_id="a", severity=Severity.LOW),
            finding(resource_id="b", severity=Severity.CRITICAL),
            finding(resource_id="c", severity=Severity.MEDIUM),
        ]
    )
    assert _ids(diff_scans(old, new).new) == ["b", "c", "a"]


def test_a_narrower_region_scope_resolves_nothing_outside_it() -> None:
    old = stored(
        [finding(resource_id=WEB), finding(resource_id=BATCH, region="us-east-1")],
        regions=("eu-west-1", "us-east-1"),
    )
    new = stored([], regions=("eu-west-1",))
    diff = diff_scans(old, new)
    assert _ids(diff.resolved) == [WEB]
    assert _ids(diff.unverified) == [BATCH]


def test_fewer_checks_resolve_nothing_of_the_checks_left_out() -> None:
    old = stored([finding(resource_id=WEB), finding("iam_create_slr_unscoped", "role/ci")])
    new = stored([], checks=("iam_create_slr_unscoped",))
    diff = diff_scans(old, new)
    assert _ids(diff.resolved) == ["role/ci"]
    assert _ids(diff.unverified) == [WEB]


def test_an_account_left_out_resolves_nothing_in_it() -> None:
    other = "222222222222"
    old = stored(
        [finding(resource_id=WEB), finding(resource_id=BATCH, account_id=other)],
        accounts=("111111111111", other),
    )
    new = stored([], accounts=("111111111111",))
    diff = diff_scans(old, new)
    assert _ids(diff.resolved) == [WEB]
    assert _ids(diff.unverified) == [BATCH]


def test_a_check_that_errored_resolves_nothing_and_is_not_evaluated() -> None:
    old = stored([finding(resource_id=WEB)])
    new = stored([error("target_fixed_capacity")])
    diff = diff_scans(old, new)
    assert diff.resolved == []
    assert _ids(diff.unverified) == [WEB]
    assert [(f.check_id, f.status) for f in diff.not_evaluated] == [
        ("target_fixed_capacity", Status.ERROR)
    ]


def test_an_unreadable_region_blocks_only_that_region() -> None:
    old = stored(
        [finding(resource_id=WEB), finding(resource_id=BATCH, region="us-east-1")],
        regions=("eu-west-1", "us-east-1"),
    )
    new = stored(
        [
            error("target_fixed_capacity", "us-east-1"),
            error("iam_create_slr_unscoped", "us-east-1"),
        ],
        regions=("eu-west-1", "us-east-1"),
    )
    diff = diff_scans(old, new)
    assert _ids(diff.resolved) == [WEB]
    assert _ids(diff.unverified) == [BATCH]
    assert len(diff.not_evaluated) == 2


def test_an_error_of_another_check_does_not_block_a_resolution() -> None:
    old = stored([finding(resource_id=WEB)])
    new = stored([error("iam_create_slr_unscoped")])
    assert _ids(diff_scans(old, new).resolved) == [WEB]


def test_an_account_wide_finding_needs_every_region_read_before() -> None:
    trail = finding("iam_create_slr_unscoped", "111111111111", region=GLOBAL_REGION)
    old = stored([trail], regions=("eu-west-1", "us-east-1"))
    narrower = stored([], regions=("eu-west-1",))
    wider = stored([], regions=("eu-west-1", "us-east-1", "eu-central-1"))
    assert diff_scans(old, narrower).resolved == []
    assert _ids(diff_scans(old, narrower).unverified) == ["111111111111"]
    assert _ids(diff_scans(old, wider).resolved) == ["111111111111"]


def test_muted_findings_count_apart_and_a_lapsed_mute_is_open_not_new() -> None:
    old = stored([finding(resource_id=WEB), finding(resource_id=BATCH, status=Status.MUTED)])
    new = stored([finding(resource_id=WEB, status=Status.MUTED), finding(resource_id=BATCH)])
    diff = diff_scans(old, new)
    assert _ids(diff.muted) == [WEB]
    assert _ids(diff.open) == [BATCH]
    assert diff.new == [] and diff.resolved == [] and diff.unverified == []


def test_without_recorded_checks_a_check_that_reported_counts_as_run() -> None:
    old = stored([finding(resource_id=WEB), finding(resource_id=BATCH)], checks=None)
    new = stored([finding(resource_id=WEB, status=Status.PASS)], checks=None)
    diff = diff_scans(old, new)
    # The check reported (a PASS) in that account and region, without ERROR: it ran there.
    assert _ids(diff.resolved) == [BATCH, WEB]
    assert diff.unverified == []


def test_a_legacy_scan_that_lists_no_checks_resolves_only_what_it_ran() -> None:
    old = stored([finding(resource_id=WEB), finding("iam_create_slr_unscoped", "role/ci")])
    new = stored(
        [finding("iam_create_slr_unscoped", "role/other", status=Status.PASS)], checks=None
    )
    diff = diff_scans(old, new)
    assert _ids(diff.resolved) == ["role/ci"]
    assert _ids(diff.unverified) == [WEB]


def test_findings_that_share_a_fingerprint_are_each_listed() -> None:
    """Two resources whose names differ only in a secret redact to the same id (fingerprints
    stored before they took a keyed hash of the raw id were the same too). The digest must
    still count both, as the scan's summary does."""
    key_a = "svc-AKIAIOSFODNN7EXAMPLE"
    key_b = "svc-AKIAI44QH8DHBEXAMPLE"
    twins = [finding(resource_id=key_a), finding(resource_id=key_b)]
    assert twins[0].resource_id == twins[1].resource_id  # redaction made them look alike
    assert twins[0].fingerprint != twins[1].fingerprint  # the keyed hash keeps them apart
    # As stored by an earlier version: one fingerprint for both.
    stale = [replace(t, fingerprint=twins[0].fingerprint) for t in twins]
    assert len(diff_scans(None, stored(stale)).open) == 2
    assert len(diff_scans(stored(stale), stored(stale)).open) == 2
    baseline = diff_scans(None, stored(twins))
    assert len(baseline.open) == 2
    diff = diff_scans(stored([]), stored(twins))
    assert len(diff.new) == 2 and diff.open == []
    again = diff_scans(stored(twins), stored(twins))
    assert len(again.open) == 2 and again.new == []


def test_a_baseline_lists_muted_findings_apart() -> None:
    scan = stored([finding(resource_id=WEB, status=Status.MUTED), finding(resource_id=BATCH)])
    diff = diff_scans(None, scan)
    assert _ids(diff.muted) == [WEB]
    assert _ids(diff.open) == [BATCH]
    errored = diff_scans(None, stored([error("target_fixed_capacity")]))
    assert [f.status for f in errored.not_evaluated] == [Status.ERROR]


def test_regions_are_read_per_account_and_older_reports_share_one_list() -> None:
    report = {
        "regions": ["eu-west-1", "us-east-1"],
        "accounts": [
            {"id": "111111111111", "regions": ["eu-west-1"]},
            {"id": "222222222222"},  # no list of its own: the scan's regions
            333333333333,  # an older report: a bare account id
        ],
    }
    both = frozenset({"eu-west-1", "us-east-1"})
    assert account_regions(report) == {
        "111111111111": frozenset({"eu-west-1"}),
        "222222222222": both,
        "333333333333": both,
    }
    assert account_regions({}) == {}


def test_an_account_wide_finding_is_resolved_by_a_scan_of_the_same_regions() -> None:
    trail = finding("iam_create_slr_unscoped", "111111111111", region=GLOBAL_REGION)
    old = stored([trail], regions=("eu-west-1", "us-east-1"))
    same = stored([], regions=("us-east-1", "eu-west-1"))
    assert _ids(diff_scans(old, same).resolved) == ["111111111111"]


def test_an_account_wide_finding_of_a_report_without_accounts_can_be_resolved() -> None:
    trail = finding("iam_create_slr_unscoped", "111111111111", region=GLOBAL_REGION)
    old = stored([trail])
    del old.report["accounts"]  # stored before scans recorded their accounts
    assert _ids(diff_scans(old, stored([])).resolved) == ["111111111111"]


def test_a_resource_that_now_passes_is_resolved_even_where_its_check_errored() -> None:
    """The check could not read everything in the region, but it read this resource and
    passed it: that is a verdict, not silence."""
    old = stored([finding(resource_id=WEB), finding(resource_id=BATCH)])
    new = stored([finding(resource_id=WEB, status=Status.PASS), error("target_fixed_capacity")])
    diff = diff_scans(old, new)
    assert _ids(diff.resolved) == [WEB]
    assert _ids(diff.unverified) == [BATCH]
