"""`scalewarden demo`: the whole product on embedded defaults, no AWS or Slack needed."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from scalewarden.cli.app import CONTEXT_SETTINGS, EXIT_CANNOT_RUN, app

if TYPE_CHECKING:
    from scalewarden.settings import Settings


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
    import tempfile

    from rich.console import Console
    from rich.rule import Rule

    from scalewarden.cli.ask import print_answer
    from scalewarden.demo import SAMPLE_QUESTIONS, demo_account
    from scalewarden.knowledge.answer import KnowledgeBase
    from scalewarden.reports import render
    from scalewarden.scan import ScanError, ScanOptions, ScanScope, run_scan
    from scalewarden.settings import get_settings

    settings = get_settings()
    console = Console(highlight=False)
    console.print(Rule("1. Questions, answered from the knowledge base"))
    engine = KnowledgeBase.from_settings(settings).engine()
    for question in SAMPLE_QUESTIONS:
        console.print(f"\n[bold]> {question}[/bold]")
        print_answer(engine.answer(question, 1))

    console.print()
    console.print(Rule("2. A read-only scan of the local demo account"))
    with demo_account() as account:
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
        if not serve:
            return

        console.print(Rule("3. The service, on the demo account"))
        # The demo keeps its own throw-away database so it never touches a real one.
        db_dir = tempfile.mkdtemp(prefix="scalewarden-demo-")
        settings = settings.model_copy(update={"database_url": f"sqlite:///{db_dir}/demo.db"})
        _serve(report, host, port, settings)


def _serve(report: object, host: str, port: int, settings: Settings) -> None:
    """Store the demo scan, then run the real service (blocking until Ctrl-C)."""
    import uvicorn

    from scalewarden.checks.model import ScanReport
    from scalewarden.store import Store
    from scalewarden.web import create_app

    assert isinstance(report, ScanReport)
    with Store.open(settings.database_url) as store:
        store.save_scan(report.to_dict(), requested_by="demo")
    base = f"http://{host}:{port}"
    lines = [
        f"Serving on {base} (Ctrl-C stops it). Try:",
        f"  curl '{base}/api/v1/ask?q=which+iam+actions+can+change+scaling'",
        f"  curl {base}/api/v1/checks",
        f"  curl {base}/readyz   ·   curl {base}/metrics",
    ]
    print("\n".join(lines), flush=True)
    uvicorn.run(create_app(settings), host=host, port=port, log_level="warning")
