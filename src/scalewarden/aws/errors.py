"""Turn a failed AWS call into a short, clear reason for ``errors[source]``.

A scan never stops because one call failed: the collector records *why* a source is missing
and the checks that need it report ERROR with that reason. The reason must tell an operator
what to fix (a missing permission, a disabled region, throttling) without leaking secrets:
only the error code and AWS's own message are kept, never request parameters.
"""

from __future__ import annotations

ACCESS_DENIED_CODES = frozenset(
    {
        "AccessDenied",
        "AccessDeniedException",
        "UnauthorizedOperation",
        "AuthorizationError",
        "AuthorizationErrorException",
        "UnauthorizedException",
    }
)
THROTTLING_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "RequestThrottled",
        "RequestThrottledException",
        "SlowDown",
        "ProvisionedThroughputExceededException",
        "LimitExceededException",
    }
)
DISABLED_REGION_CODES = frozenset(
    {
        "OptInRequired",
        "UnrecognizedClientException",
        "InvalidClientTokenId",
        "AuthFailure",
        "SubscriptionRequiredException",
    }
)
#: The credentials themselves were refused: expired, unknown key, bad signature or clock skew.
CREDENTIAL_CODES = frozenset(
    {
        "ExpiredToken",
        "ExpiredTokenException",
        "RequestExpired",
        "InvalidAccessKeyId",
        "SignatureDoesNotMatch",
        "IncompleteSignature",
        "InvalidSignatureException",
        "MissingAuthenticationToken",
        "UnrecognizedClientException",
        "InvalidClientTokenId",
        "AuthFailure",
    }
)
NOT_IMPLEMENTED_CODES = frozenset({"NotImplemented", "NotImplementedException", "404", "500"})

_MAX_MESSAGE = 200


def _short(message: str) -> str:
    """One line, bounded length: the reason travels into tables and Slack messages."""
    line = " ".join(message.split())
    return line if len(line) <= _MAX_MESSAGE else line[: _MAX_MESSAGE - 1] + "…"


def error_code(exc: BaseException) -> str | None:
    """The AWS error code of a service's error answer (``ClientError``), else ``None``."""
    from botocore.exceptions import ClientError

    if not isinstance(exc, ClientError):
        return None
    return str(exc.response.get("Error", {}).get("Code") or "") or None


def describe_credential_error(exc: BaseException) -> str | None:
    """A reason naming the credentials when ``exc`` says they were refused, else ``None``.

    In a region call, InvalidClientTokenId or UnrecognizedClientException usually means the
    region is not enabled (``describe_error`` says RegionDisabled). On the very first call,
    ``sts:GetCallerIdentity`` in the home region, they mean the credentials are invalid, and
    saying "RegionDisabled" there sends the operator the wrong way.
    """
    from botocore.exceptions import ClientError

    if not isinstance(exc, ClientError):
        return None
    err = exc.response.get("Error", {})
    code = str(err.get("Code") or "")
    if code not in CREDENTIAL_CODES:
        return None
    message = str(err.get("Message") or "")
    return _short(
        "InvalidCredentials: AWS refused the credentials (expired or invalid; renew them or "
        f"check the profile and the clock): {code}: {message}".rstrip(": ")
    )


def about_the_account(exc: BaseException) -> bool:
    """Whether ``exc`` says something about the account, region or endpoint rather than about
    the one resource a call named: refused permission, throttling, refused or missing
    credentials, a disabled region, an unimplemented operation, an endpoint that is
    unreachable, slow or failing (5xx). Such a failure would repeat for any other resource, so
    a caller may remember it for the whole scope; anything else (a validation error, a
    resource not found, a parameter botocore refused before sending) is about what that call
    named, and remembering it wider would let one malformed name block genuine calls."""
    from botocore.exceptions import (
        ClientError,
        ConnectionClosedError,
        CredentialRetrievalError,
        NoCredentialsError,
        PartialCredentialsError,
        ReadTimeoutError,
    )
    from botocore.exceptions import ConnectionError as EndpointError  # connect, proxy, DNS

    if isinstance(exc, ClientError):
        code = error_code(exc) or ""
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        return (
            code in ACCESS_DENIED_CODES
            or code in THROTTLING_CODES
            or code in DISABLED_REGION_CODES
            or code in CREDENTIAL_CODES
            or code in NOT_IMPLEMENTED_CODES
            or (isinstance(status, int) and status >= 500)
        )
    return isinstance(
        exc,
        EndpointError
        | ReadTimeoutError
        | ConnectionClosedError
        | NoCredentialsError
        | PartialCredentialsError
        | CredentialRetrievalError,
    )


def describe_error(exc: BaseException, operation: str | None = None) -> str:
    """A one-line reason for ``exc``, starting with its category.

    Categories: ``AccessDenied``, ``Throttled``, ``RegionDisabled``, ``NotImplemented``,
    ``Timeout``, ``EndpointUnreachable``, else the AWS error code.
    """
    from botocore.exceptions import (
        ClientError,
        ConnectionClosedError,
        ConnectTimeoutError,
        EndpointConnectionError,
        ReadTimeoutError,
    )

    where = f" on {operation}" if operation else ""
    if isinstance(exc, ClientError):
        err = exc.response.get("Error", {})
        code = str(err.get("Code") or "")
        message = str(err.get("Message") or "")
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if code in ACCESS_DENIED_CODES:
            return _short(f"AccessDenied{where}: {message or code}")
        if code in THROTTLING_CODES:
            return _short(f"Throttled{where}: still throttled after retries ({code})")
        if code in DISABLED_REGION_CODES:
            return _short(f"RegionDisabled{where}: {code}: {message}".rstrip(": "))
        lowered = message.lower()
        if (
            code in NOT_IMPLEMENTED_CODES
            or status in (404, 501)
            or "not yet implemented" in lowered
            or "not been implemented" in lowered
        ):
            return _short(f"NotImplemented{where}: the endpoint does not implement it")
        return _short(f"{code or status or 'Error'}{where}: {message}".rstrip(": "))
    if isinstance(exc, ConnectTimeoutError | ReadTimeoutError):
        return _short(f"Timeout{where}: {exc}")
    if isinstance(exc, EndpointConnectionError | ConnectionClosedError):
        return _short(f"EndpointUnreachable{where}: {exc}")
    return _short(f"{type(exc).__name__}{where}: {exc}")
