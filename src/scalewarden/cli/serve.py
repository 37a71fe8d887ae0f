"""`scalewarden serve`: the FastAPI service under uvicorn, or Bolt over Socket Mode."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from scalewarden.cli.app import CONTEXT_SETTINGS, EXIT_USAGE, app

if TYPE_CHECKING:
    import uvicorn

    from scalewarden.settings import Settings


@app.command(context_settings=CONTEXT_SETTINGS)
def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
    port: int = typer.Option(3000, "--port", min=0, max=65535, help="Port to listen on."),
    socket_mode: bool = typer.Option(
        False,
        "--socket-mode",
        help="Connect to Slack over Socket Mode (needs SLACK_APP_TOKEN); no public URL needed.",
    ),
) -> None:
    """Run the Slack service: /slack/events, /healthz, /readyz, /metrics and /api/v1."""
    import asyncio

    import uvicorn

    from scalewarden.logs import configure_logging
    from scalewarden.settings import get_settings
    from scalewarden.web import create_app

    settings = get_settings()
    configure_logging(settings.log_format)
    if socket_mode:
        if settings.slack_app_token is None or settings.slack_bot_token is None:
            typer.echo(
                "error: --socket-mode needs SLACK_APP_TOKEN (xapp-…, scope connections:write) "
                "and SLACK_BOT_TOKEN",
                err=True,
            )
            raise typer.Exit(EXIT_USAGE)
        asyncio.run(_serve_socket_mode(settings, host, port))
        return
    # Without Slack settings the service says so once, in its log, when it starts.
    uvicorn.Server(_server_config(create_app(settings), settings, host, port)).run()


def _server_config(app: object, settings: Settings, host: str, port: int) -> uvicorn.Config:
    """The connection limits of ``scalewarden.serving``, with this command's address."""
    from scalewarden.serving import server_config

    return server_config(
        app,
        host=host,
        port=port,
        request_timeout=settings.request_timeout,
        max_connections=settings.max_connections,
        log_level="info",
        log_config=None,  # uvicorn's lines go through the handler configure_logging installed
    )


async def _serve_socket_mode(settings: Settings, host: str, port: int) -> None:
    """Socket Mode for Slack, with the HTTP routes (health, metrics, API) served alongside."""
    import uvicorn
    from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

    from scalewarden.web import create_app

    web = create_app(settings, socket_mode=True)
    bolt = web.state.bolt
    assert settings.slack_app_token is not None and bolt is not None
    server = uvicorn.Server(_server_config(web, settings, host, port))
    handler = AsyncSocketModeHandler(bolt, settings.slack_app_token.get_secret_value())
    await handler.connect_async()
    typer.echo(f"Connected to Slack over Socket Mode; health and metrics on http://{host}:{port}")
    try:
        await server.serve()
    finally:
        await handler.close_async()
