"""`scalewarden diff OLD_ID NEW_ID`: what changed between two stored scans.

The same diff the digests post: new, resolved, still open, muted, not evaluated, and the
findings the newer scan could not verify (it did not look, or could not read).
"""

from __future__ import annotations

import typer

from scalewarden.cli.app import EXIT_OK, app, open_store, usage_error


@app.command("diff")
def diff(
    old_id: str = typer.Argument(..., help="The earlier scan id (see `scalewarden history`)."),
    new_id: str = typer.Argument(..., help="The later scan id."),
    json_output: bool = typer.Option(False, "--json", help="Print JSON instead of text."),
) -> None:
    """Compare two stored scans by finding fingerprint."""
    import json

    from scalewarden.digests.diff import diff_scans
    from scalewarden.digests.result import DigestResult

    with open_store() as store:
        try:
            old = store.scan_record(old_id)
            new = store.scan_record(new_id)
        except ValueError as exc:
            raise usage_error(str(exc)) from None
    missing = [i for i, s in ((old_id, old), (new_id, new)) if s is None]
    if missing:
        raise usage_error(
            f"no stored scan with id {', '.join(missing)} (see `scalewarden history`)"
        )
    assert old is not None and new is not None
    result = DigestResult.of(diff_scans(old, new), subscription_id=None)
    if json_output:
        data = result.to_dict()
        del data["subscription_id"], data["lapsed_mutes"]
        data["old_scan_id"] = old.scan_id
        typer.echo(json.dumps(data, indent=2))
    else:
        typer.echo(result.to_text())
    raise typer.Exit(EXIT_OK)
