"""The shared Typer application that every sub-command module registers on."""

from __future__ import annotations

import typer

from scalewarden import __version__

#: Exit codes shared by every command (documented in the README).
EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2
EXIT_CANNOT_RUN = 3

app = typer.Typer(
    name="scalewarden",
    help="Security assistant for AWS Application Auto Scaling.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
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
