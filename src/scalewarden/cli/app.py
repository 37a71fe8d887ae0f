"""The shared Typer application that every sub-command module registers on."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NoReturn

import typer

from scalewarden import __version__

if TYPE_CHECKING:
    from scalewarden.store import Store

#: Exit codes shared by every command (documented in the README).
EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2
EXIT_CANNOT_RUN = 3
#: The local AWS set-up cannot be used: unknown profile, unreadable config, no or refused
#: credentials. Nothing was scanned; the fix is on the machine that ran the command.
EXIT_AWS_CONFIG = 4

#: ``-h`` as well as ``--help``, on the root and on every sub-command (pass it to each
#: ``@app.command``; click also hands it down to sub-command contexts).
CONTEXT_SETTINGS: dict[str, Any] = {"help_option_names": ["-h", "--help"]}

app = typer.Typer(
    name="scalewarden",
    help="Security assistant for AWS Application Auto Scaling.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings=CONTEXT_SETTINGS,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"scalewarden {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Answers, account checks and posture digests for AWS Application Auto Scaling."""


def usage_error(message: str) -> typer.Exit:
    """Print a one-line usage error to stderr and return the exit to raise (code 2)."""
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(EXIT_USAGE)


def cannot_run(message: str) -> typer.Exit:
    """Print a one-line error to stderr and return the exit to raise (code 3)."""
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(EXIT_CANNOT_RUN)


def open_store() -> Store:
    """The configured database, migrated; an unreachable one is a clear exit 3."""
    from scalewarden.settings import get_settings
    from scalewarden.store import Store, StoreError

    try:
        return Store.open(get_settings().database_url)
    except (StoreError, ValueError) as exc:
        raise cannot_run(str(exc)) from None


def remove_stored(what: str, row_id: int, remove: Callable[[Store, int], bool]) -> NoReturn:
    """``remove`` the stored ``what`` (``mute``, ``digest subscription`` …) #``row_id`` and
    say so; exit 2 when there is none or the id is not one."""
    try:
        with open_store() as store:
            removed = remove(store, row_id)
    except ValueError as exc:
        raise usage_error(str(exc)) from None
    if not removed:
        raise usage_error(f"no {what} #{row_id}")
    typer.echo(f"removed {what} #{row_id}")
    raise typer.Exit(EXIT_OK)
