"""The HTTP API against its own OpenAPI schema: schemathesis generates requests for every
operation (a bounded number each) and sends them to the real app served by uvicorn on
loopback. No request may get a 5xx, and every answer must match what the schema documents
(status, content type, body).

The app runs with an API token (so that the scan routes are reachable), a real SQLite store,
the shipped knowledge base and a scan function that records instead of calling AWS.
"""

from __future__ import annotations

import asyncio
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from harness import RecordingScanner, build_report, sample_check
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable

from scalewarden.serving import server_config
from scalewarden.settings import Settings
from scalewarden.store import Store
from scalewarden.web import create_app

TOKEN = "fuzz-api-token-0123456789abcdef"
#: Examples generated per operation: about a dozen operations, a few seconds in all.
EXAMPLES = 6
#: The checks every answer must pass.
CHECKS = [
    schemathesis.checks.not_a_server_error,
    schemathesis.checks.status_code_conformance,
    schemathesis.checks.content_type_conformance,
    schemathesis.checks.response_schema_conformance,
    schemathesis.checks.response_headers_conformance,
    schemathesis.checks.negative_data_rejection,
]


def _wait_ready(base: str, thread: threading.Thread, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert thread.is_alive(), "the server stopped"
        try:
            with urllib.request.urlopen(f"{base}/readyz", timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.05)
    raise AssertionError("the app did not become ready")


@pytest.fixture(scope="module")
def served_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The real app under the server configuration of ``scalewarden serve``, on loopback."""
    import uvicorn

    folder: Path = tmp_path_factory.mktemp("fuzz")
    store = Store.open(f"sqlite:///{folder / 'scalewarden.db'}")
    store.save_scan(build_report(3, errors=1).to_dict())
    app = create_app(
        Settings(
            api_token=TOKEN,
            database_url=f"sqlite:///{folder / 'unused.db'}",
            scheduler=False,
            slack_bot_token=None,
            slack_signing_secret=None,
        ),
        store=store,
        scanner=RecordingScanner(build_report(2)),
        checks=lambda: [sample_check()],
    )
    config = server_config(
        app,
        host="127.0.0.1",
        port=0,
        request_timeout=10.0,
        max_connections=100,
        log_level="warning",
    )
    server = uvicorn.Server(config)
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_until_complete, args=(server.serve(),))
    thread.start()
    try:
        while not server.started:
            assert thread.is_alive(), "the server did not start"
            time.sleep(0.02)
        port = server.servers[0].sockets[0].getsockname()[1]
        base = f"http://127.0.0.1:{port}"
        _wait_ready(base, thread)
        yield base
    finally:
        server.should_exit = True
        thread.join(60)
        loop.close()
        store.close()


def _fuzz(operation: Any, mode: schemathesis.GenerationMode) -> None:
    """``EXAMPLES`` generated requests for one operation: valid ones (``POSITIVE``) or ones
    that break the schema (``NEGATIVE``: they must be refused in the one error shape, 4xx)."""

    @given(case=operation.as_strategy(mode))
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        phases=[Phase.explicit, Phase.generate, Phase.shrink],
        suppress_health_check=list(HealthCheck),
        database=None,
    )
    def run(case: Any) -> None:
        case.call_and_validate(headers={"Authorization": f"Bearer {TOKEN}"}, checks=CHECKS)

    run()


def test_every_operation_answers_as_its_schema_says(served_api: str) -> None:
    # One test over all operations, the schema read from the running app (schemathesis's
    # pytest fixture loader does not work with this pytest).
    schema = schemathesis.openapi.from_url(f"{served_api}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    labels = {operation.label for operation in operations}
    assert {"GET /healthz", "HEAD /healthz", "GET /api/v1/ask", "POST /api/v1/scans"} <= labels
    failures = []
    for operation in operations:
        for mode in (schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE):
            try:
                _fuzz(operation, mode)
            except Unsatisfiable:
                # No parameter can break the schema (no parameters, or a free-form string).
                assert mode is schemathesis.GenerationMode.NEGATIVE, operation.label
            except Exception as exc:  # every operation is fuzzed; all failures are reported
                failures.append(f"{operation.label} ({mode.value}): {exc}")
    assert not failures, "\n\n".join(failures)
