"""boto3 sessions and the botocore ``Config`` every scan client uses.

One place decides how scalewarden talks to AWS: the default credential chain (or a named
profile), adaptive retries so that a throttled account slows down instead of failing, bounded
connect/read timeouts so that a dead endpoint cannot hang a scan, and a user agent
``scalewarden/<version>`` so that CloudTrail shows who made the calls.

``AWS_ENDPOINT_URL`` (and the per-service ``AWS_ENDPOINT_URL_<SERVICE>``) is honoured by
botocore itself; nothing here sets ``endpoint_url``, so the local AWS used by tests and the
demo keeps working.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from scalewarden import __version__

if TYPE_CHECKING:
    import boto3
    from botocore.config import Config

#: Attempts per call (first try included) before a throttled or failing call is given up.
DEFAULT_MAX_ATTEMPTS = 8
DEFAULT_CONNECT_TIMEOUT = 5.0
DEFAULT_READ_TIMEOUT = 30.0


class AwsConfigError(RuntimeError):
    """The local AWS configuration cannot be used: an unknown profile (``--profile`` or
    ``AWS_PROFILE``), a config file botocore cannot parse, no credentials, or credentials that
    cannot be loaded (a failing ``credential_process``, an expired SSO session).

    The person running the command must fix their set-up; nothing in AWS was reached, so this
    is told apart from a scan that reached AWS and failed (its own exit code in the CLI).
    """


class NoCredentialsError(AwsConfigError):
    """No credentials could be found: the scan cannot run at all."""


def _config_error_types() -> tuple[type[Exception], ...]:
    """botocore's errors that mean "your local AWS set-up is broken", not "AWS said no"."""
    from botocore import exceptions as e

    return (
        e.ProfileNotFound,
        e.ConfigNotFound,
        e.ConfigParseError,
        e.InvalidConfigError,
        e.PartialCredentialsError,
        e.NoCredentialsError,
        e.CredentialRetrievalError,
        e.UnknownCredentialError,
        e.SSOError,
        e.TokenRetrievalError,
        e.RefreshWithMFAUnsupportedError,
    )


def describe_config_error(exc: BaseException, profile: str | None = None) -> str | None:
    """One line saying what is wrong with the local AWS set-up, or ``None`` when ``exc`` is
    not such an error. ``profile`` is the one named on the command line, if any."""
    import os

    from botocore.exceptions import ProfileNotFound

    if isinstance(exc, AwsConfigError):
        return str(exc)
    if isinstance(exc, ProfileNotFound):
        name = profile or os.environ.get("AWS_PROFILE") or os.environ.get("AWS_DEFAULT_PROFILE")
        source = "--profile" if profile else "AWS_PROFILE"
        return (
            f"unknown AWS profile {name!r} (from {source}): it is in neither ~/.aws/config "
            "nor ~/.aws/credentials; `aws configure list-profiles` lists those defined"
        )
    if isinstance(exc, _config_error_types()):
        text = " ".join(str(exc).split())[:300]
        return f"the AWS configuration cannot be used: {type(exc).__name__}: {text}"
    return None


@dataclass(frozen=True)
class ClientSettings:
    """How clients are built; tests shorten the timeouts and retries."""

    max_attempts: int = DEFAULT_MAX_ATTEMPTS
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT
    read_timeout: float = DEFAULT_READ_TIMEOUT
    #: Size of each client's HTTP connection pool: at least the collector's worker count.
    max_pool_connections: int = 32
    retry_mode: str = "adaptive"


def user_agent() -> str:
    """``scalewarden/<version>``, appended to botocore's own user agent."""
    return f"scalewarden/{__version__}"


#: botocore loggers whose DEBUG records carry credentials: request headers and bodies
#: (session token, ExternalId), canonical requests and signatures, and response bodies
#: (AssumeRole's SecretAccessKey and SessionToken).
BOTOCORE_SECRET_LOGGERS = (
    "botocore.endpoint",
    "botocore.parsers",
    "botocore.auth",
    "botocore.awsrequest",
    "botocore.credentials",
    "botocore.httpsession",
    "botocore.retryhandler",
    "botocore.utils",
)
_REDACTED = "[REDACTED]"
_SECRET_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # XML (query protocol responses): <SecretAccessKey>…</SecretAccessKey>
    (re.compile(r"<(SecretAccessKey|SessionToken)>[^<]*"), rf"<\1>{_REDACTED}"),
    # JSON bodies and repr'd dicts: "SessionToken": "…" / 'ExternalId': '…'
    (
        re.compile(
            r"""(["'](?:SecretAccessKey|SessionToken|ExternalId|secretAccessKey|sessionToken"""
            r"""|accessToken)["']\s*:\s*b?)(["'])(?:\\.|(?!\2)[^\\\n])*+\2""",
            re.IGNORECASE,
        ),
        rf"\1\2{_REDACTED}\2",
    ),
    # Headers as repr'd dicts or canonical request lines; form and query strings.
    (
        re.compile(
            r"""((?:X-Amz-Security-Token|ExternalId)(?:["']\s*:\s*b?["']|:|=))[^"'&\s,}]+""",
            re.IGNORECASE,
        ),
        rf"\1{_REDACTED}",
    ),
    (re.compile(r"(Signature[=:]\s*)[0-9a-f]{64}", re.IGNORECASE), rf"\1{_REDACTED}"),
)


def redact_secrets(text: str) -> str:
    """``text`` with AWS secrets (keys, tokens, external ids, signatures) replaced."""
    for pattern, replacement in _SECRET_PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class SecretRedactingFilter(logging.Filter):
    """Rewrites botocore's DEBUG records so that no credential reaches any log handler.

    scalewarden never turns botocore's DEBUG logging on, but an operator debugging a scan (or
    a service's logging configuration) might; the records would then hold the caller's
    session token and every assumed role's secret key. The record is rewritten, not dropped,
    so the debugging value stays.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        # Runs only for records at an enabled level, so a normal scan pays nothing.
        try:
            message = record.getMessage()
        except Exception:  # a malformed record is logging's problem, not ours
            return True
        cleaned = redact_secrets(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


_FILTER = SecretRedactingFilter()


def install_log_redaction() -> None:
    """Attach the redacting filter to botocore's loggers (idempotent, cheap)."""
    for name in BOTOCORE_SECRET_LOGGERS:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)


def make_config(settings: ClientSettings | None = None) -> Config:
    """The botocore ``Config`` for every scan client (and botocore's logs made safe)."""
    from botocore.config import Config

    install_log_redaction()
    s = settings or ClientSettings()
    return Config(
        retries={"mode": s.retry_mode, "total_max_attempts": s.max_attempts},
        connect_timeout=s.connect_timeout,
        read_timeout=s.read_timeout,
        max_pool_connections=s.max_pool_connections,
        user_agent_extra=user_agent(),
    )


def make_session(profile: str | None = None, region: str | None = None) -> boto3.Session:
    """A boto3 session from the default chain, or from ``profile`` when given.

    Raises :class:`AwsConfigError` for an unknown profile (named here or by ``AWS_PROFILE``)
    or a config file that cannot be parsed.
    """
    import boto3

    try:
        return boto3.Session(profile_name=profile, region_name=region)
    except _config_error_types() as exc:
        raise AwsConfigError(describe_config_error(exc, profile) or str(exc)) from exc


def require_credentials(session: boto3.Session) -> None:
    """Fail early, with a clear message, when no credentials are available at all."""
    try:
        creds = session.get_credentials()
    except Exception as exc:  # a broken credential_process, SSO cache …
        text = " ".join(str(exc).split())[:300]
        raise NoCredentialsError(f"could not load AWS credentials: {text}") from exc
    if creds is None:
        raise NoCredentialsError(
            "no AWS credentials found (environment, profile, SSO or instance role)"
        )


ClientHook = Callable[[Any], None]


class ClientFactory:
    """Builds and caches one client per (service, region) for one set of credentials.

    boto3 sessions are not thread-safe but clients are, so clients are created under a lock
    and then shared by the collector's worker threads. ``on_client`` lets tests and the
    benchmark register botocore event handlers on every client (e.g. ``before-call``).
    """

    def __init__(
        self,
        session: boto3.Session,
        config: Config,
        *,
        on_client: ClientHook | None = None,
    ) -> None:
        self._session = session
        self._config = config
        self._on_client = on_client
        self._lock = threading.Lock()
        self._clients: dict[tuple[str, str], Any] = {}

    @property
    def session(self) -> boto3.Session:
        return self._session

    def client(self, service: str, region: str) -> Any:
        key = (service, region)
        with self._lock:
            client = self._clients.get(key)
            if client is None:
                client = self._session.client(service, region_name=region, config=self._config)
                if self._on_client is not None:
                    self._on_client(client)
                self._clients[key] = client
            return client

    def with_session(self, session: boto3.Session) -> ClientFactory:
        """A factory for another account's credentials with the same config and hooks."""
        return ClientFactory(session, self._config, on_client=self._on_client)
