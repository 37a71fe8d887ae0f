"""The ``/scalewarden`` subcommands: one spec each, and the pure parser that reads them.

A :class:`CommandSpec` says everything about a subcommand that is not its handler: its name,
its usage, a one-line summary, whether it is for admins only, and how to read the rest of the
text into a typed command. The help message, the Home tab's command list, both manifests'
``usage_hint`` and the README's command list are generated from (or tested against) these
specs, so a usage line is written once. The handlers live in ``slack/listeners/commands.py``,
chosen by spec name from its ``HANDLERS`` table, which also applies ``admin_only``.

Parsing is apart from any I/O, which keeps the handlers thin and lets every odd input be
unit-tested. Unknown or malformed input never raises: it becomes :class:`HelpCommand` carrying
a one-line ``problem`` so that the user sees usage plus what was wrong, rather than an error.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable, Collection
from dataclasses import dataclass

from scalewarden.checks.model import Severity
from scalewarden.slack.usertext import code
from scalewarden.topics import TOPICS

#: The slash command itself (as declared in ``deploy/slack/manifest*.yml``).
SLASH_COMMAND = "/scalewarden"
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
    """``scan [check ids or topic] [region=...] [account=...]``: an on-demand scan."""

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


@dataclass(frozen=True)
class DigestCommand:
    """``digest subscribe|list|unsubscribe|preview``: scheduled digests of this channel.

    ``schedule``/``timezone``/``min_severity`` are already validated for ``subscribe``;
    ``regions`` and ``accounts`` are checked against the service's scope by the handler.
    """

    action: str
    subscription_id: int | None = None
    schedule: str = ""
    timezone: str = "UTC"
    min_severity: str = "low"
    regions: tuple[str, ...] = ()
    accounts: tuple[str, ...] = ()


@dataclass(frozen=True)
class MuteCommand:
    """``mute <check> [resource pattern] reason="…" until=YYYY-MM-DD [accounts=…]
    [regions=…]`` or ``mute list``. No accounts/regions: every account/region scanned."""

    action: str
    check_id: str = ""
    resource_pattern: str | None = None
    reason: str = ""
    until: str | None = None
    accounts: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()


@dataclass(frozen=True)
class AlertsCommand:
    """``alerts subscribe [min=…] [accounts=…] [regions=…]``, ``alerts list``,
    ``alerts unsubscribe ID``: live alerts in this channel (input already validated)."""

    action: str
    subscription_id: int | None = None
    min_severity: str = "medium"
    regions: tuple[str, ...] = ()
    accounts: tuple[str, ...] = ()


@dataclass(frozen=True)
class UnmuteCommand:
    """``unmute ID``: remove a stored mute."""

    mute_id: int


#: Any parsed subcommand: one of the classes above, or a new subcommand's own class.
Command = object


@dataclass(frozen=True)
class ParseContext:
    """What a parser may need besides the text (kept explicit so parsers stay pure)."""

    topics: Collection[str] = TOPICS


#: Reads the text after the subcommand's name into its command, or a ``HelpCommand`` problem.
Parser = Callable[[str, ParseContext], Command]


@dataclass(frozen=True)
class CommandSpec:
    """One ``/scalewarden`` subcommand, apart from its handler.

    ``args`` is the usage after the name (``"[severity]"``); ``summary`` a short phrase that
    reads both as a help line and as a Home tab line; ``admin_only`` is enforced by the
    dispatcher before the handler runs; ``command`` is the type ``parse`` returns on success
    (it names the command in the audit log); ``example`` is the text after the slash command.
    """

    name: str
    command: type
    args: str
    summary: str
    admin_only: bool
    parse: Parser
    example: str = ""
    aliases: tuple[str, ...] = ()

    @property
    def usage(self) -> str:
        """``name args``, as the help, the Home tab, the manifests and the README show it."""
        return f"{self.name} {self.args}".strip()


def _split_values(value: str) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()]


def parse_scan_args(args: list[str], topics: Collection[str]) -> ScanCommand | HelpCommand:
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
                return HelpCommand(problem=f"{code(key + '=')} needs a value")
            if key in ("region", "regions"):
                bad = [v for v in values if not _REGION.match(v.lower())]
                if bad:
                    return HelpCommand(problem=f"{code(bad[0])} is not an AWS region name")
                regions.extend(v.lower() for v in values)
            elif key in ("account", "accounts"):
                bad = [v for v in values if not _ACCOUNT.match(v)]
                if bad:
                    return HelpCommand(problem=f"{code(bad[0])} is not a 12-digit AWS account id")
                accounts.extend(values)
            else:
                return HelpCommand(problem=f"unknown scan option {code(key + '=')}")
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


def severity_name(word: str) -> str | None:
    """A severity as typed (any case, ``info`` too) → its name; ``None`` if it is not one."""
    severity = word.lower()
    if severity == "info":
        severity = "informational"
    return severity if severity in SEVERITY_NAMES else None


def _parse_ask(rest: str, _: ParseContext) -> Command:
    if not rest:
        return HelpCommand(problem="`ask` needs a question, e.g. `ask what is a scalable target?`")
    if len(rest) > MAX_QUESTION_LENGTH:
        return HelpCommand(
            problem=f"that question is too long ({len(rest)} characters, at most "
            f"{MAX_QUESTION_LENGTH})"
        )
    return AskCommand(question=rest)


def _parse_scan(rest: str, context: ParseContext) -> Command:
    return parse_scan_args(rest.split(), context.topics)


def _parse_findings(rest: str, _: ParseContext) -> Command:
    args = rest.split()
    if not args:
        return FindingsCommand()
    if len(args) > 1:
        return HelpCommand(problem="`findings` takes at most one severity")
    severity = severity_name(args[0])
    if severity is None:
        return HelpCommand(problem=f"`{args[0]}` is not a severity ({', '.join(SEVERITY_NAMES)})")
    return FindingsCommand(min_severity=severity)


#: Quotes Slack's clients type for ``"``: a quoted schedule or reason must survive them.
_QUOTES = str.maketrans({"\u201c": '"', "\u201d": '"', "\u2018": "'", "\u2019": "'"})


def _words(rest: str) -> list[str] | HelpCommand:
    """Shell-like words (quotes group), or the problem with the quoting."""
    try:
        return shlex.split(rest.translate(_QUOTES))
    except ValueError:
        return HelpCommand(problem="a quote is not closed")


def _row_id(word: str, what: str) -> int | HelpCommand:
    text = word.lstrip("#")
    if not text.isdigit() or not 0 < int(text) < 2**31:
        return HelpCommand(problem=f"`{word[:40]}` is not a {what} id (see the list)")
    return int(text)


def _parse_subscription_command(
    rest: str,
    *,
    name: str,
    usage: str,
    command: Callable[..., Command],
    id_actions: tuple[str, ...],
    subscribe: Callable[[list[str]], Command],
) -> Command:
    """``<name> list``, ``<name> <id action> ID`` or ``<name> subscribe …`` (read by
    ``subscribe``): what ``digest`` and ``alerts`` share. ``command(action, id)`` builds the
    parsed command of the other actions."""
    words = _words(rest)
    if isinstance(words, HelpCommand):
        return words
    if not words:
        return HelpCommand(problem=f"use {usage}")
    action, args = words[0].lower(), words[1:]
    if action == "list":
        return command("list") if not args else HelpCommand(problem=f"`{name} list` takes nothing")
    if action in id_actions:
        if len(args) != 1:
            return HelpCommand(problem=f"`{name} {action}` takes one subscription id")
        number = _row_id(args[0], "subscription")
        return number if isinstance(number, HelpCommand) else command(action, number)
    if action != "subscribe":
        return HelpCommand(problem=f"use {usage}")
    return subscribe(args)


#: Other spellings of the subscription options, as people type them.
_OPTION_NAMES = {
    "timezone": "tz",
    "min_severity": "min",
    "region": "regions",
    "account": "accounts",
}


def _subscription_options(
    args: list[str],
    allowed: Collection[str],
    unknown: Callable[[str, str], str],
    *,
    plain_words: bool,
) -> tuple[list[str], dict[str, str]] | HelpCommand:
    """The ``key=value`` options of a subscribe (``_OPTION_NAMES`` read as their names) and,
    with ``plain_words``, the other words; ``unknown(word, key)`` says what is wrong with the
    first word that is neither. Every option needs a value."""
    plain: list[str] = []
    options: dict[str, str] = {}
    for word in args:
        key, sep, value = word.partition("=")
        key = _OPTION_NAMES.get(key.lower(), key.lower())
        if not sep and plain_words:
            plain.append(word)
            continue
        if not sep or key not in allowed:
            return HelpCommand(problem=unknown(word, key))
        if not value.strip():
            return HelpCommand(problem=f"{code(key + '=')} needs a value")
        options[key] = value.strip()
    return plain, options


def _scope_options(
    options: dict[str, str], *, all_regions_as_none: bool
) -> tuple[tuple[str, ...], tuple[str, ...]] | HelpCommand:
    """(regions, accounts) from ``regions=``/``accounts=``, checked; ``all_regions_as_none``
    when ``regions=all`` means the same as naming none (alerts, mutes)."""
    from scalewarden.aws.accounts import parse_account_ids
    from scalewarden.aws.regions import parse_regions

    try:
        regions = parse_regions(options.get("regions")) or []
        accounts = parse_account_ids(options.get("accounts")) or []
    except ValueError as exc:
        return HelpCommand(problem=str(exc))
    if all_regions_as_none and "all" in regions:
        regions = []  # every region: the same as naming none
    return tuple(regions), tuple(accounts)


_DIGEST_USAGE = (
    "`digest subscribe daily 09:00 [tz=Europe/Berlin] [min=medium] [regions=...] "
    "[accounts=...]`, `digest list`, `digest unsubscribe ID` or `digest preview ID`"
)


def _parse_digest(rest: str, _: ParseContext) -> Command:
    return _parse_subscription_command(
        rest,
        name="digest",
        usage=_DIGEST_USAGE,
        command=DigestCommand,
        id_actions=("unsubscribe", "preview"),
        subscribe=_parse_subscribe,
    )


def _parse_subscribe(args: list[str]) -> Command:
    from scalewarden.digests.schedule import Schedule

    read = _subscription_options(
        args,
        ("tz", "min", "regions", "accounts"),
        lambda word, key: f"unknown digest option `{key[:40]}=`",
        plain_words=True,
    )
    if isinstance(read, HelpCommand):
        return read
    plain, options = read
    if not plain:
        return HelpCommand(
            problem="say when: `daily 09:00`, `weekdays 09:00`, "
            "`weekly mon 09:00` or a quoted cron expression"
        )
    try:
        schedule = Schedule.parse(" ".join(plain), options.get("tz", "UTC"))
        severity = severity_name(options.get("min", "low"))
        if severity is None:
            raise ValueError(f"`{options['min']}` is not a severity ({', '.join(SEVERITY_NAMES)})")
    except ValueError as exc:
        return HelpCommand(problem=str(exc))
    scope = _scope_options(options, all_regions_as_none=False)
    if isinstance(scope, HelpCommand):
        return scope
    regions, accounts = scope
    return DigestCommand(
        "subscribe",
        schedule=schedule.expression,
        timezone=schedule.timezone,
        min_severity=severity,
        regions=regions,
        accounts=accounts,
    )


_ALERTS_USAGE = (
    "`alerts subscribe [min=medium] [accounts=...] [regions=...]`, `alerts list` or "
    "`alerts unsubscribe ID`"
)


def _parse_alerts(rest: str, _: ParseContext) -> Command:
    return _parse_subscription_command(
        rest,
        name="alerts",
        usage=_ALERTS_USAGE,
        command=AlertsCommand,
        id_actions=("unsubscribe",),
        subscribe=_parse_alerts_subscribe,
    )


def _parse_alerts_subscribe(args: list[str]) -> Command:
    read = _subscription_options(
        args,
        ("min", "regions", "accounts"),
        lambda word, key: f"unknown alerts option `{word[:40]}`: use {_ALERTS_USAGE}",
        plain_words=False,
    )
    if isinstance(read, HelpCommand):
        return read
    _, options = read
    severity = severity_name(options.get("min", "medium"))
    if severity is None:
        return HelpCommand(
            problem=f"`{options['min'][:40]}` is not a severity ({', '.join(SEVERITY_NAMES)})"
        )
    scope = _scope_options(options, all_regions_as_none=True)
    if isinstance(scope, HelpCommand):
        return scope
    regions, accounts = scope
    return AlertsCommand("subscribe", min_severity=severity, regions=regions, accounts=accounts)


def _parse_mute(rest: str, _: ParseContext) -> Command:
    words = _words(rest)
    if isinstance(words, HelpCommand):
        return words
    if words and words[0].lower() == "list":
        return (
            MuteCommand("list")
            if len(words) == 1
            else HelpCommand(problem="`mute list` takes nothing")
        )
    plain: list[str] = []
    options: dict[str, str] = {}
    for word in words:
        key, sep, value = word.partition("=")
        key = {"account": "accounts", "region": "regions"}.get(key.lower(), key.lower())
        if sep and key in ("reason", "until", "accounts", "regions"):
            options[key] = value.strip()
        else:
            plain.append(word)
    for key in ("accounts", "regions"):
        if key in options and not options[key]:
            return HelpCommand(problem=f"`{key}=` needs a value")
    scope = _scope_options(options, all_regions_as_none=True)
    if isinstance(scope, HelpCommand):
        return scope
    regions, accounts = scope
    if not plain:
        return HelpCommand(problem='`mute` needs a check id: `mute <check_id> reason="..."`')
    if len(plain) > 2:
        return HelpCommand(
            problem="`mute` takes a check id and at most one resource pattern; "
            'quote the reason: reason="..."'
        )
    if not _CHECK_ID.match(plain[0]):
        return HelpCommand(problem=f"`{plain[0][:60]}` is not a check id")
    if not options.get("reason"):
        return HelpCommand(problem='a mute needs a reason: reason="why this risk is accepted"')
    return MuteCommand(
        "add",
        check_id=plain[0],
        resource_pattern=plain[1] if len(plain) == 2 else None,
        reason=options["reason"],
        until=options.get("until") or None,
        accounts=accounts,
        regions=regions,
    )


def _parse_unmute(rest: str, _: ParseContext) -> Command:
    words = rest.split()
    if len(words) != 1:
        return HelpCommand(problem="`unmute` takes one mute id (see `mute list`)")
    number = _row_id(words[0], "mute")
    return number if isinstance(number, HelpCommand) else UnmuteCommand(number)


def _parse_help(rest: str, _: ParseContext) -> Command:
    return HelpCommand()


#: Every subcommand, in the order help and the Home tab list them. A new subcommand is a spec
#: here and a handler in ``slack/listeners/commands.py``'s ``HANDLERS``.
SPECS: tuple[CommandSpec, ...] = (
    CommandSpec(
        name="ask",
        command=AskCommand,
        args="<question>",
        summary="Get an answer from the knowledge base",
        admin_only=False,
        parse=_parse_ask,
        example="ask how do I encrypt scaling data?",
    ),
    CommandSpec(
        name="scan",
        command=ScanCommand,
        args="[check ids or topic] [region=...] [account=...]",
        summary="Run a scan of AWS now",
        admin_only=True,
        parse=_parse_scan,
        example="scan identity-and-access-management region=us-east-1,eu-west-1",
    ),
    CommandSpec(
        name="findings",
        command=FindingsCommand,
        args="[severity]",
        summary="Read the latest stored results",
        admin_only=True,
        parse=_parse_findings,
        example="findings high",
    ),
    CommandSpec(
        name="digest",
        command=DigestCommand,
        args="subscribe daily 09:00 [tz=...] [min=...] [regions=...] [accounts=...] "
        "| digest list | digest unsubscribe ID | digest preview ID",
        summary="Post a posture digest in this channel on a schedule",
        admin_only=True,
        parse=_parse_digest,
        example="digest subscribe weekdays 09:00 tz=Europe/Berlin min=medium",
    ),
    CommandSpec(
        name="alerts",
        command=AlertsCommand,
        args="subscribe [min=medium] [accounts=...] [regions=...] | alerts list "
        "| alerts unsubscribe ID",
        summary="Post live alerts on risky scaling changes in this channel",
        admin_only=True,
        parse=_parse_alerts,
        example="alerts subscribe min=medium regions=eu-west-1",
    ),
    CommandSpec(
        name="mute",
        command=MuteCommand,
        args='<check_id> [resource pattern] reason="..." until=YYYY-MM-DD [accounts=...] '
        "[regions=...] | mute list",
        summary="Accept a risk: show a finding as MUTED until a date",
        admin_only=True,
        parse=_parse_mute,
        example='mute dynamodb_table_autoscaling_enabled table/orders-* reason="load tests" '
        "until=2099-12-31",
    ),
    CommandSpec(
        name="unmute",
        command=UnmuteCommand,
        args="ID",
        summary="Remove a mute",
        admin_only=True,
        parse=_parse_unmute,
        example="unmute 3",
    ),
    CommandSpec(
        name="help",
        command=HelpCommand,
        args="",
        summary="Show how to use /scalewarden",
        admin_only=False,
        parse=_parse_help,
        aliases=("?", "-h", "--help"),
    ),
)

_BY_NAME: dict[str, CommandSpec] = {
    word: spec for spec in SPECS for word in (spec.name, *spec.aliases)
}
_BY_TYPE: dict[type, CommandSpec] = {spec.command: spec for spec in SPECS}


def spec_of(command: Command) -> CommandSpec:
    """The spec of a parsed command (a usage error belongs to ``help``)."""
    return _BY_TYPE[type(command)]


def command_name(command: Command) -> str:
    """The sub-command name recorded in the audit log."""
    return spec_of(command).name


def usage_hint() -> str:
    """The manifests' ``usage_hint``: every subcommand's usage, in order."""
    return " | ".join(spec.usage for spec in SPECS)


def parse_command(text: str | None, *, topics: Collection[str] = TOPICS) -> Command:
    """Turn the text after ``/scalewarden`` into a command; never raises."""
    raw = (text or "").replace("\u00a0", " ").strip()
    if not raw:
        return HelpCommand()
    head, _, rest = raw.partition(" ")
    spec = _BY_NAME.get(head.lower())
    if spec is None:
        shown = head if len(head) <= 40 else head[:40] + "…"
        return HelpCommand(problem=f"I don't know the subcommand `{shown}`")
    return spec.parse(rest.strip(), ParseContext(topics=topics))
