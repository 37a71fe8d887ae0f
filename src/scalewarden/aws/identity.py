"""The service's own AWS account, learned once through STS ``GetCallerIdentity``.

Without ``SCALEWARDEN_SCAN_ACCOUNTS`` the service scans the account its credentials belong
to, and a request naming that account (an alert's "Scan this target now", ``account=`` in
Slack, the API) must be told apart from one naming another. That needs the account id, which
only STS knows. It is asked for in a thread of its own, never on the event loop and never
while an acknowledgement waits: :meth:`OwnAccount.request` only starts the call, and
:meth:`OwnAccount.known` only reads what the last call learned. The answer is kept for the
life of the process (credentials belong to one account); a failure is kept with its reason
and the call is tried again on the next need once a back-off (30 s, doubling to 5 min) has
passed, so a broken set-up costs one call per back-off, not one per request. The client has
short timeouts and two attempts, so a call ends within seconds whatever AWS does.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from scalewarden.aws.accounts import ACCOUNT_ID, UnexpectedIdentity
from scalewarden.aws.session import ClientSettings

if TYPE_CHECKING:
    from scalewarden.settings import Settings

#: The client of the own-account look-up (STS): a call that cannot finish in
#: a few seconds fails with its reason; a second attempt only, so that nothing storms.
LOOKUP_CLIENT = ClientSettings(
    max_attempts=2,
    connect_timeout=2.0,
    read_timeout=3.0,
    max_pool_connections=4,
    retry_mode="standard",
)
#: Seconds before a failed look-up is tried again, doubled per failure up to the maximum.
RETRY_FIRST = 30.0
RETRY_MAX = 300.0

Fetch = Callable[[], tuple[str, str]]


class OwnAccount:
    """The account id (and partition) of the service's credentials, once learned.

    Thread-safe. ``fetch`` returns ``(account id, partition)`` or raises; the default one
    (:meth:`from_settings`) asks STS with the service's credentials and region.
    """

    def __init__(
        self,
        fetch: Fetch,
        *,
        describe: Callable[[BaseException], str] | None = None,
        retry_first: float = RETRY_FIRST,
        retry_max: float = RETRY_MAX,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._fetch = fetch
        self._describe = describe or _describe
        self._retry_first = retry_first
        self._retry_max = retry_max
        self._clock = clock
        self._lock = threading.Lock()
        self._account: str | None = None
        self._partition = "aws"
        self._error: str | None = None
        self._next_try = 0.0
        self._delay = retry_first
        self._running: threading.Event | None = None

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        regions: Sequence[str] = (),
        *,
        client: ClientSettings = LOOKUP_CLIENT,
        **options: Any,
    ) -> OwnAccount:
        """Learned with the service's credentials (the default chain), from
        ``SCALEWARDEN_AWS_REGION`` or else the home region of the configured regions'
        partition. ``client`` and ``options`` (the constructor's) are for tests."""
        region = settings.aws_region

        def fetch() -> tuple[str, str]:
            from scalewarden.aws.accounts import caller_identity
            from scalewarden.aws.regions import global_region
            from scalewarden.aws.session import make_config, make_session, require_credentials

            session = make_session(None, region)
            require_credentials(session)
            home = session.region_name or global_region(r for r in regions if r != "all")
            sts = session.client("sts", region_name=home, config=make_config(client))
            return caller_identity(sts)

        return cls(fetch, **options)

    def known(self) -> str | None:
        """The account id when learned, else ``None``. Never blocks on AWS."""
        return self._account

    @property
    def partition(self) -> str:
        return self._partition

    def reason(self) -> str:
        """Why the account is not known (empty once it is)."""
        with self._lock:
            if self._account is not None:
                return ""
            if self._running is not None:
                return "it is being asked of AWS STS (GetCallerIdentity) now"
            if self._error is not None:
                return f"AWS STS GetCallerIdentity failed: {self._error}"
            return "it has not been asked of AWS STS yet"

    def request(self) -> threading.Event | None:
        """Start learning the account in a daemon thread, unless it is known, being learned,
        or failed less than a back-off ago. Returns the event set when the running call
        ends (``None``: nothing is running). Never blocks on AWS."""
        with self._lock:
            if self._account is not None:
                return None
            if self._running is not None:
                return self._running
            if self._error is not None and self._clock() < self._next_try:
                return None
            done = self._running = threading.Event()
        threading.Thread(target=self._learn, args=(done,), name="own-account", daemon=True).start()
        return done

    def resolve(self, timeout: float) -> str | None:
        """The account id, learning it first if need be and waiting at most ``timeout``
        seconds (worker threads only: this blocks)."""
        running = self.request()
        if running is not None:
            running.wait(timeout)
        return self._account

    def _learn(self, done: threading.Event) -> None:
        try:
            account, partition = self._fetch()
            if not ACCOUNT_ID.fullmatch(account):  # any fetch, not only ``caller_identity``
                raise UnexpectedIdentity("STS answered with an account id that is not 12 digits")
        except Exception as exc:
            reason = self._describe(exc)
            with self._lock:
                self._error = reason
                self._next_try = self._clock() + self._delay
                self._delay = min(self._delay * 2, self._retry_max)
                self._running = None
            import logging

            # Info, not a warning: a service used for answers only has no AWS credentials by
            # design; whoever names an account is told this reason in the reply.
            logging.getLogger(__name__).info(
                "the service's own AWS account is not known (%s); retried when needed", reason
            )
        else:
            with self._lock:
                self._account, self._partition = account, partition
                self._error = None
                self._running = None
        finally:
            done.set()


def _describe(exc: BaseException) -> str:
    """One bounded line: credentials refused or missing, the local set-up, or AWS's error."""
    from scalewarden.alerts.model import safe_text
    from scalewarden.aws.errors import describe_credential_error, describe_error
    from scalewarden.aws.session import describe_config_error

    text = describe_credential_error(exc) or describe_config_error(exc) or describe_error(exc)
    return safe_text(text, 300)
