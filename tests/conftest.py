"""Shared fixtures: a local AWS (moto's server on 127.0.0.1, patched to behave like AWS).

* ``moto_server`` (session): starts ``scalewarden.localaws.LocalAws`` once and yields its
  endpoint URL. Starting moto takes a while, so every test shares one server.
* ``local_aws`` (session): the same ``LocalAws`` object, for fault injection
  (``local_aws.inject_fault(...)``) and seeding helpers.
* ``aws_env`` (function): a clean AWS for one test. Resets every moto account and region,
  clears injected faults, and points boto3 at the server with fake credentials
  (``AWS_ENDPOINT_URL``, region ``us-east-1``), ignoring any real AWS config on the machine.
  Yields the endpoint URL.
* ``tiny_aws_backoff`` (function): botocore's standard retry mode still retries, but waits a
  millisecond instead of its jittered back-off (up to a second per throttled attempt).

Everything stays on loopback; no test can reach real AWS because the credentials are fake and
the endpoint is local.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from scalewarden.localaws import FAKE_CREDENTIALS, LocalAws


@pytest.fixture(scope="session")
def local_aws() -> Iterator[LocalAws]:
    aws = LocalAws()
    aws.start()
    yield aws
    aws.stop()


@pytest.fixture(scope="session")
def moto_server(local_aws: LocalAws) -> str:
    return local_aws.endpoint_url


@pytest.fixture
def aws_env(local_aws: LocalAws, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[str]:
    local_aws.reset()
    empty = tmp_path / "empty-aws-config"
    empty.write_text("")
    for key in list(os.environ):
        if key.startswith("AWS_"):
            monkeypatch.delenv(key, raising=False)
    for key, value in FAKE_CREDENTIALS.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("AWS_ENDPOINT_URL", local_aws.endpoint_url)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(empty))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(empty))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.delenv("SCALEWARDEN_AWS_REGION", raising=False)
    from scalewarden.settings import get_settings

    get_settings.cache_clear()
    yield local_aws.endpoint_url
    local_aws.clear_faults()
    local_aws.latency = 0.0
    get_settings.cache_clear()


@pytest.fixture
def tiny_aws_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    from botocore.retries import standard

    monkeypatch.setattr(standard.ExponentialBackoff, "delay_amount", lambda self, context: 0.001)


#: Where the hermetic fixture points boto3's config and credential files: nowhere.
_NO_AWS_FILE = "/nonexistent/scalewarden-tests/aws"


@pytest.fixture(autouse=True)
def _no_real_aws(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reaches real AWS, or the instance metadata service, by accident.

    The service learns its own account through STS when it starts; in a test that does not
    point boto3 at moto (``aws_env``), that call must fail at once for lack of credentials,
    never find a developer's real ones or wait for the metadata endpoint.
    """
    for key in list(os.environ):
        if key.startswith("AWS_"):
            monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_CONFIG_FILE", _NO_AWS_FILE)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", _NO_AWS_FILE)


@pytest.fixture(autouse=True)
def _fresh_secret_detector() -> None:
    """Each test runs the secret detector afresh, not from an earlier test's cached results.

    ``find_secrets`` caches by text; mutation testing forks each run from a process that has
    already run the suite, and a cached verdict would hide a change to the detector.
    """
    from scalewarden.checks.lib.lookalikes import _fold
    from scalewarden.checks.lib.redact import _find_secrets_cached

    _find_secrets_cached.cache_clear()
    _fold.cache_clear()
