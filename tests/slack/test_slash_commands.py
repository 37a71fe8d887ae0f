"""The subcommand specs and their handlers: the table, the generated texts, and each handler
driven without HTTP (a fake ``ack`` and ``respond``, as in Slack's starter template)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from harness import ADMIN, USER, build_report, sample_check

from scalewarden.knowledge.answer import Answer, Result
from scalewarden.scanning.executors import ThreadExecutor
from scalewarden.scanning.runner import ScanRunner
from scalewarden.slack.access import AccessPolicy
from scalewarden.slack.commands import (
    SPECS,
    AskCommand,
    FindingsCommand,
    HelpCommand,
    ScanCommand,
    command_name,
    parse_command,
    spec_of,
    usage_hint,
)
from scalewarden.slack.listeners import commands as listener
from scalewarden.slack.listeners.commands import HANDLERS, CommandContext, dispatch
from scalewarden.slack.metrics import Metrics
from scalewarden.slack.services import SlackServices
from scalewarden.slack.views.help import command_line, help_blocks
from scalewarden.slack.views.home import home_view

ROOT = Path(__file__).resolve().parents[2]
MANIFESTS = ("manifest.yml", "manifest.socket-mode.yml")


# -------------------------------------------------------------------------------------------
# The table and the texts generated from it


def test_every_spec_has_one_handler_and_parses_its_own_example() -> None:
    assert list(HANDLERS) == [spec.name for spec in SPECS]
    assert len({spec.command for spec in SPECS}) == len(SPECS)
    for spec in SPECS:
        parsed = parse_command(spec.example or spec.name)
        assert type(parsed) is spec.command, spec.name
        assert command_name(parsed) == spec.name
        for alias in spec.aliases:
            assert spec_of(parse_command(alias)) is spec


@pytest.mark.parametrize("name", MANIFESTS)
def test_manifest_usage_hint_is_generated_from_the_specs(name: str) -> None:
    """If this fails, paste the expected line into the manifest (it is the specs' usage)."""
    data = yaml.safe_load((ROOT / "deploy" / "slack" / name).read_text())
    (command,) = data["features"]["slash_commands"]
    assert command["usage_hint"] == usage_hint(), (
        f"deploy/slack/{name}: set usage_hint to {usage_hint()!r}"
    )


def test_readme_lists_exactly_the_subcommands_of_the_specs() -> None:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("\n## Slack\n", 1)[1].split("\n## ", 1)[0]
    listed = [line[2:] for line in section.splitlines() if line.startswith("- `/scalewarden")]
    assert listed == [command_line(spec) for spec in SPECS]


def test_help_and_home_tab_list_the_specs_by_access() -> None:
    help_text = str(help_blocks())
    admin = str(home_view(latest=None, may_scan=True, admins_configured=True))
    user = str(home_view(latest=None, may_scan=False, admins_configured=True))
    for spec in SPECS:
        assert f"/scalewarden {spec.usage}" in help_text
        assert f"/scalewarden {spec.usage}" in admin
        assert (f"/scalewarden {spec.usage}" in user) is not spec.admin_only
    assert "(admins)" in help_text


# -------------------------------------------------------------------------------------------
# Handlers without HTTP


class FakeAck:
    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    async def __call__(self, **kwargs: Any) -> None:
        self.calls.append(kwargs)


class FakeRespond:
    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    async def __call__(self, **message: Any) -> int:
        self.calls.append(message)
        return 200


class FakeStore:
    """Only what ``findings`` reads."""

    def __init__(self, findings: list[dict[str, Any]]) -> None:
        self.findings = findings

    def latest_findings(self, *, min_severity: str | None = None) -> list[dict[str, Any]]:
        return self.findings

    def latest_scan(self) -> dict[str, Any] | None:
        return {"scan_id": "s"} if self.findings else None


def _answer(question: str, top: int) -> Answer:
    result = Result("a", "TLS", "Which TLS version?", "TLS 1.2 or later.", 9.0, ())
    return Answer(question, True, (result,))


def _services(store: Any = None) -> SlackServices:
    def scanner(job: Any, progress: Any) -> Any:
        raise AssertionError("no scan in these tests")

    return SlackServices(
        store=store,
        answerer=_answer,
        scans=ScanRunner(ThreadExecutor(scanner)),
        checks=lambda: [sample_check()],
        explainer=lambda article, about: None,
        access=AccessPolicy(frozenset({ADMIN}), None),
        metrics=Metrics(),
    )


def _context(services: SlackServices, *, user: str = USER, text: str = "") -> CommandContext:
    return CommandContext(
        services=services,
        client=None,  # type: ignore[arg-type]  # no handler here reaches the Web API
        ack=FakeAck(),
        respond=FakeRespond(),  # type: ignore[arg-type]
        name=spec_of(parse_command(text)).name,
        text=text,
        user_id=user,
        team_id="T1",
        channel_id="C1",
    )


async def test_help_handler_acks_usage_with_the_problem_inert() -> None:
    ctx = _context(_services(), text="scan region=<!channel>")
    await listener.handle_help(ctx, HelpCommand(problem="`<!channel>` is not a region"))
    (ack,) = ctx.ack.calls  # type: ignore[attr-defined]
    assert ack["response_type"] == "ephemeral"
    assert "<!channel>" not in ack["text"] and "&lt;!channel&gt;" in ack["text"]
    assert "Usage" in str(ack["blocks"])


async def test_ask_handler_acks_then_answers_through_respond() -> None:
    services = _services()
    ctx = _context(services, text="ask which TLS version?")
    await listener.handle_ask(ctx, AskCommand("which TLS version?"))
    assert ctx.ack.calls == [{"text": "Looking that up…", "response_type": "ephemeral"}]  # type: ignore[attr-defined]
    await services.tasks.drain(5)
    (reply,) = ctx.respond.calls  # type: ignore[attr-defined]
    assert "TLS 1.2 or later." in str(reply["blocks"]) and reply["replace_original"] is True


async def test_findings_handler_without_a_database_says_so() -> None:
    services = _services(store=None)
    ctx = _context(services, user=ADMIN, text="findings")
    await listener.handle_findings(ctx, FindingsCommand())
    await services.tasks.drain(5)
    (reply,) = ctx.respond.calls  # type: ignore[attr-defined]
    assert "No database is configured" in reply["text"]


async def test_findings_handler_shows_the_stored_findings() -> None:
    rows = [f.to_dict() for f in build_report(3).findings]
    services = _services(store=FakeStore(rows))
    ctx = _context(services, user=ADMIN, text="findings")
    await listener.handle_findings(ctx, FindingsCommand())
    await services.tasks.drain(5)
    (reply,) = ctx.respond.calls  # type: ignore[attr-defined]
    assert reply["text"] == "3 open finding(s)" and "table/orders-0000" in str(reply["blocks"])


async def test_scan_handler_refuses_unknown_checks_before_scanning() -> None:
    services = _services()
    ctx = _context(services, user=ADMIN, text="scan no_such_check")
    await listener.handle_scan(ctx, ScanCommand(check_ids=("no_such_check",)))
    (ack,) = ctx.ack.calls  # type: ignore[attr-defined]
    assert "I don't know the check(s) `no_such_check`" in ack["text"]


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.name)
async def test_admin_only_is_applied_from_the_spec(
    spec: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whatever the handler, a non-admin reaches it exactly when its spec is not admin-only,
    and an admin always does."""
    reached: list[str] = []

    async def spy(ctx: CommandContext, command: object) -> None:
        reached.append(ctx.user_id)

    monkeypatch.setitem(HANDLERS, spec.name, spy)
    command = parse_command(spec.example or spec.name)
    for user in (USER, ADMIN):
        services = _services()
        ctx = _context(services, user=user, text=spec.example or spec.name)
        await dispatch(ctx, command)
        await services.tasks.drain(5)
        if user == USER and spec.admin_only:
            (ack,) = ctx.ack.calls  # type: ignore[attr-defined]
            assert "only scalewarden admins" in ack["text"]
            metrics = services.metrics.commands.labels(command=spec.name, outcome="denied")
            assert metrics._value.get() == 1
    assert reached == ([ADMIN] if spec.admin_only else [USER, ADMIN])


def test_a_new_subcommand_needs_only_a_spec_and_a_handler() -> None:
    """The places that list subcommands read the specs: none names one by hand."""
    source = ROOT / "src" / "scalewarden" / "slack"
    for path in (source / "views" / "help.py", source / "views" / "home.py"):
        text = path.read_text()
        assert not re.search(r"/scalewarden (ask|scan|findings)\b", text), path
