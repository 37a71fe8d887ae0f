"""`scalewarden demo`: the whole product on embedded defaults, no AWS or Slack needed."""

from __future__ import annotations

import socket
from typing import TYPE_CHECKING

import typer

from scalewarden.cli.app import CONTEXT_SETTINGS, EXIT_CANNOT_RUN, app

if TYPE_CHECKING:
    from rich.console import Console

    from scalewarden.checks.model import ScanReport
    from scalewarden.demo import DemoAccount
    from scalewarden.settings import Settings


def require_demo_extra() -> None:
    """Exit 3 with a one-line hint when the demo extra is not installed."""
    from scalewarden.demo import DEMO_EXTRA_HINT, missing_demo_modules

    missing = missing_demo_modules()
    if missing:
        typer.echo(
            f"error: the demo needs {', '.join(missing)}, which this install lacks: "
            f"{DEMO_EXTRA_HINT}",
            err=True,
        )
        raise typer.Exit(EXIT_CANNOT_RUN)


def claim_port(host: str, port: int) -> socket.socket:
    """Bind the service's port now, before the walk-through, and keep it for the service.

    A busy port fails at once instead of after the walk-through, and holding the socket
    means nothing can take the port in between.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        typer.echo(
            f"error: cannot serve the demo on {host}:{port} ({exc.strerror or exc}): "
            "pass another --port, or --no-serve",
            err=True,
        )
        raise typer.Exit(EXIT_CANNOT_RUN) from None
    sock.listen(128)
    return sock


@app.command(context_settings=CONTEXT_SETTINGS)
def demo(
    serve: bool = typer.Option(
        True,
        "--serve/--no-serve",
        help="After the walk-through, run the service against the demo account.",
    ),
    host: str = typer.Option("127.0.0.1", "--host", help="Address the service listens on."),
    port: int = typer.Option(3000, "--port", min=0, max=65535, help="Port of the service."),
) -> None:
    """Answer sample questions, scan a local demo account, then serve the results."""
    import contextlib

    from rich.console import Console
    from rich.rule import Rule

    from scalewarden.cli.ask import print_answer
    from scalewarden.demo import SAMPLE_QUESTIONS, demo_account
    from scalewarden.knowledge.answer import KnowledgeBase
    from scalewarden.reports import render
    from scalewarden.scan import ScanError, ScanOptions, ScanScope, run_scan
    from scalewarden.settings import get_settings

    require_demo_extra()
    settings = get_settings()
    with contextlib.ExitStack() as stack:
        listener = stack.enter_context(claim_port(host, port)) if serve else None
        console = Console(highlight=False)
        console.print(Rule("1. Questions, answered from the knowledge base"))
        engine = KnowledgeBase.from_settings(settings).engine()
        for question in SAMPLE_QUESTIONS:
            console.print(f"\n[bold]> {question}[/bold]")
            print_answer(engine.answer(question, 1))

        console.print()
        console.print(Rule("2. A read-only scan of the local demo account"))
        account = stack.enter_context(demo_account())
        seeded = ", ".join(f"{n} {ns}" for ns, n in sorted(account.targets.items()))
        console.print(
            f"Local AWS on {account.endpoint_url}, regions {', '.join(account.regions)}: "
            f"{seeded} scalable targets, IAM policies, endpoints, trails and rules."
        )
        # The demo account's own region, whatever SCALEWARDEN_AWS_REGION says.
        settings = settings.model_copy(update={"aws_region": account.regions[0]})
        try:
            report = run_scan(
                ScanScope(regions=list(account.regions)),
                options=ScanOptions.from_settings(settings),
            )
        except ScanError as exc:
            typer.echo(f"error: the demo scan could not run: {exc}", err=True)
            raise typer.Exit(EXIT_CANNOT_RUN) from None
        typer.echo(render(report, "table"))
        if listener is None:
            console.print("Scan it again any time with: scalewarden scan --demo")
            return

        console.print(Rule("3. The service, on the demo account"))
        _serve(report, listener, account, console, settings)


def _serve(
    report: ScanReport,
    listener: socket.socket,
    account: DemoAccount,
    console: Console,
    settings: Settings,
) -> None:
    """Store the demo scan in a throw-away database, then serve until Ctrl-C.

    The database lives in a temporary folder that is removed however the demo ends (Ctrl-C
    included), so that a demo never leaves files behind or touches a real database. The scan
    routes of the API always need a token: unless ``SCALEWARDEN_API_TOKEN`` is set, the demo
    makes one for this run and prints it, so that its stored scan can be read over the API.
    """
    import secrets
    import tempfile

    import uvicorn
    from pydantic import SecretStr

    from scalewarden.demo import scan_command
    from scalewarden.store import Store
    from scalewarden.web import create_app

    with tempfile.TemporaryDirectory(prefix="scalewarden-demo-") as db_dir:
        settings = settings.model_copy(update={"database_url": f"sqlite:///{db_dir}/demo.db"})
        with Store.open(settings.database_url) as store:
            store.save_scan(report.to_dict(), requested_by="demo")
        host, port = listener.getsockname()[:2]
        base = f"http://{host}:{port}" if ":" not in host else f"http://[{host}]:{port}"
        configured = settings.api_token.get_secret_value().strip() if settings.api_token else ""
        if configured:
            where = "the one in SCALEWARDEN_API_TOKEN"
            header = '-H "Authorization: Bearer $SCALEWARDEN_API_TOKEN"'
        else:
            # URL-safe characters only: the printed header needs no quoting beyond its own.
            token = secrets.token_urlsafe(24)
            settings = settings.model_copy(update={"api_token": SecretStr(token)})
            where, header = f"made for this run: {token}", f"-H 'Authorization: Bearer {token}'"
        scan_id = report.scan_id
        lines = [
            f"Serving on {base} (Ctrl-C stops it). The API token is {where}",
            "Try:",
            f"  curl {header} '{base}/api/v1/ask?q=which+iam+actions+can+change+scaling'",
            f"  curl {header} {base}/api/v1/scans",
            f"  curl {header} '{base}/api/v1/scans/{scan_id}/findings?severity=high'",
            f"  curl {base}/readyz   ·   curl {base}/metrics   ·   {base}/docs in a browser",
            "Scan the local demo AWS from another terminal while this runs:",
            f"  {scan_command(account.endpoint_url, account.regions)}",
            "or, any time, its own embedded copy: scalewarden scan --demo",
        ]
        console.print("\n".join(lines), soft_wrap=True, highlight=False, markup=False)
        server = uvicorn.Server(
            uvicorn.Config(create_app(settings), log_level="warning", access_log=False)
        )
        server.run(sockets=[listener])
