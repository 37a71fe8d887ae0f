"""The ``scalewarden`` command line.

Each sub-command lives in its own module and registers itself on the shared Typer app.
Those modules import only Typer at import time; the heavy parts (boto3, the search index,
FastAPI) are imported inside the command bodies so that ``scalewarden --help`` and a
one-check scan start quickly.
"""

from __future__ import annotations

from scalewarden.cli import (  # noqa: F401  (registration)
    alerts,
    ask,
    checks,
    demo,
    diff,
    digest,
    events,
    history,
    mute,
    scan,
    serve,
)
from scalewarden.cli.app import app


def main() -> None:
    """Console-script entry point."""
    app()


__all__ = ["app", "main"]
