"""deploy/iam/README.md says what the code does, and the shipped policy grants all of it."""

from __future__ import annotations

import json
from pathlib import Path

from reference_data import require_reference
from scalewarden.aws.inventory import Source
from scalewarden.aws.permissions import ALERT_ACTIONS, SCAN_ACTIONS, SOURCE_ACTIONS, readme
from scalewarden.checks.lib.iam_policy import evaluate, parse_statements
from scalewarden.checks.registry import all_checks

DEPLOY = Path(__file__).resolve().parents[2] / "deploy" / "iam"


def test_the_readme_is_generated_from_the_catalogue() -> None:
    assert (DEPLOY / "README.md").read_text() == readme(all_checks()), (
        "regenerate: python -m scalewarden.aws.permissions > deploy/iam/README.md"
    )


def test_every_source_and_every_requirement_has_its_actions_in_the_policy() -> None:
    policy = json.loads((DEPLOY / "scalewarden-readonly.json").read_text())
    granted = {
        a
        for s in policy["Statement"]
        for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
    }
    sources = {v for k, v in vars(Source).items() if k.isupper()}
    assert set(SOURCE_ACTIONS) == sources
    needed = {a for actions in SOURCE_ACTIONS.values() for a in actions}
    assert needed | {a for a, _ in SCAN_ACTIONS} | {a for a, _ in ALERT_ACTIONS} <= granted
    for check in all_checks():
        for requirement in (*check.requires, *check.absence_requires):
            assert requirement.split(":", 1)[0] in SOURCE_ACTIONS, (check.id, requirement)


def test_the_alert_look_ups_call_exactly_the_listed_actions() -> None:
    """Every AWS operation ``aws/lookups.py`` calls on its clients is listed for the policy,
    and nothing listed is left uncalled."""
    import re

    source = (Path(__file__).resolve().parents[2] / "src/scalewarden/aws/lookups.py").read_text()
    called = set(re.findall(r"\b(?:aas|ec2)\.([a-z_]+)\(", source))
    operations = {
        f"{'ec2' if n.endswith('vpc_endpoints') else 'application-autoscaling'}:"
        + "".join(p.title() for p in n.split("_"))
        for n in called
    }
    assert operations == {a for a, _ in ALERT_ACTIONS}


def _denied_sources(policy_name: str) -> set[str]:
    document = json.loads(
        (require_reference("aws-managed-policies") / f"{policy_name}.json").read_text()
    )
    statements = parse_statements(document)
    denied = set()
    for source, actions in SOURCE_ACTIONS.items():
        grant = evaluate(statements, actions, ("*",), actions[0].split(":")[0])
        if grant.reachable != frozenset(actions):
            denied.add(source)
    return denied


def test_security_audit_lacks_only_the_tags_and_read_only_access_lacks_nothing() -> None:
    assert _denied_sources("SecurityAudit") == {Source.TAGS}
    assert _denied_sources("ReadOnlyAccess") == set()
    tag_readers = {c.id for c in all_checks() if Source.TAGS in (*c.requires, *c.absence_requires)}
    # With SecurityAudit, tags are needed by absence verdicts only: everything else is judged.
    assert tag_readers and not any(Source.TAGS in c.requires for c in all_checks())
