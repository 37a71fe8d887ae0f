"""Parsing of ``/scalewarden ...`` text into a typed command: a pure function.

Slack hands us the whole text after the command name. Parsing here, apart from any I/O,
keeps the listeners thin and lets every odd input be unit-tested. Unknown or malformed input
never raises: it becomes :class:`HelpCommand` carrying a one-line ``problem`` so that the user
sees usage plus what was wrong, rather than an error.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass

from scalewarden.checks.model import Severity
from scalewarden.topics import TOPICS

SEVERITY_NAMES: tuple[str, ...] = tuple(s.value for s in Severity)

_REGION = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d{1,2}$")
_ACCOUNT = re.compile(r"^\d{12}$")
_CHECK_ID = re.compile(r"^[a-z][a-z0-9_]{2,127}$")
#: Longest question we accept; longer text is almost always a paste gone wrong.
MAX_QUESTION_LENGTH = 1000


@dataclass(frozen=True)
class AskCommand:
    """``ask <question>``: answer from the knowledge base."""

    question: str


@dataclass(frozen=True)
class ScanCommand:
    """``scan [check ids | topic] [region=...] [account=...]``: an on-demand scan."""

    check_ids: tuple[str, ...] = ()
    topic: str | None = None
    regions: tuple[str, ...] = ()
    accounts: tuple[str, ...] = ()

    def describe(self) -> str:
        """A short human summary of the scope, used in acks and the audit log."""
        what = (
            ", ".join(self.check_ids)
            if self.check_ids
            else (f"topic {self.topic}" if self.topic else "all checks")
        )
        where = ", ".join(self.regions) if self.regions else "default regions"
        who = ", ".join(self.accounts) if self.accounts else "default account"
        return f"{what}; {where}; {who}"


@dataclass(frozen=True)
class FindingsCommand:
    """``findings [severity]``: the latest stored results at or above a severity."""

    min_severity: str | None = None


@dataclass(frozen=True)
class HelpCommand:
    """``help``, or anything we could not understand (then ``problem`` says what)."""

    problem: str | None = None


Command = AskCommand | ScanCommand | FindingsCommand | HelpCommand

SUBCOMMANDS: tuple[str, ...] = ("ask", "scan", "findings", "help")


def command_name(command: Command) -> str:
    """The sub-command name recorded in the audit log."""
    return {
        AskCommand: "ask",
        ScanCommand: "scan",
        FindingsCommand: "findings",
        HelpCommand: "help",
    }[type(command)]


def _split_values(value: str) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()]


def parse_scan(args: list[str], topics: Collection[str]) -> ScanCommand | HelpCommand:
    """Read ``scan`` arguments; any token we cannot place becomes a help ``problem``."""
    check_ids: list[str] = []
    regions: list[str] = []
    accounts: list[str] = []
    topic: str | None = None
    for token in args:
        key, sep, value = token.partition("=")
        if sep:
            key = key.lower()
            values = _split_values(value)
            if not values:
                return HelpCommand(problem=f"`{key}=` needs a value")
            if key in ("region", "regions"):
                bad = [v for v in values if not _REGION.match(v.lower())]
                if bad:
                    return HelpCommand(problem=f"`{bad[0]}` is not an AWS region name")
                regions.extend(v.lower() for v in values)
            elif key in ("account", "accounts"):
                bad = [v for v in values if not _ACCOUNT.match(v)]
                if bad:
                    return HelpCommand(problem=f"`{bad[0]}` is not a 12-digit AWS account id")
                accounts.extend(values)
            else:
                return HelpCommand(problem=f"unknown scan option `{key}=`")
            continue
        for name in _split_values(token.lower()):
            if name in topics:
                if topic is not None and topic != name:
                    return HelpCommand(problem="give at most one topic per scan")
                topic = name
            elif _CHECK_ID.match(name):
                check_ids.append(name)
            else:
                return HelpCommand(problem=f"`{name}` is neither a check id nor a topic")
    if topic and check_ids:
        return HelpCommand(problem="give either check ids or a topic, not both")
    return ScanCommand(
        check_ids=tuple(dict.fromkeys(check_ids)),
        topic=topic,
        regions=tuple(dict.fromkeys(regions)),
        accounts=tuple(dict.fromkeys(accounts)),
    )


def parse_command(text: str | None, *, topics: Collection[str] = TOPICS) -> Command:
    """Turn the text after ``/scalewarden`` into a command; never raises."""
    raw = (text or "").replace("\u00a0", " ").strip()
    if not raw:
        return HelpCommand()
    head, _, rest = raw.partition(" ")
    name = head.lower()
    rest = rest.strip()
    if name in ("help", "?", "-h", "--help"):
        return HelpCommand()
    if name == "ask":
        if not rest:
            return HelpCommand(
                problem="`ask` needs a question, e.g. `ask what is a scalable target?`"
            )
        if len(rest) > MAX_QUESTION_LENGTH:
            return HelpCommand(
                problem=f"that question is too long ({len(rest)} characters, at most "
                f"{MAX_QUESTION_LENGTH})"
            )
        return AskCommand(question=rest)
    if name == "scan":
        return parse_scan(rest.split(), topics)
    if name == "findings":
        args = rest.split()
        if not args:
            return FindingsCommand()
        if len(args) > 1:
            return HelpCommand(problem="`findings` takes at most one severity")
        severity = args[0].lower()
        if severity == "info":
            severity = "informational"
        if severity not in SEVERITY_NAMES:
            return HelpCommand(
                problem=f"`{args[0]}` is not a severity ({', '.join(SEVERITY_NAMES)})"
            )
        return FindingsCommand(min_severity=severity)
    shown = head if len(head) <= 40 else head[:40] + "…"
    return HelpCommand(problem=f"I don't know the subcommand `{shown}`")
