"""The one Slack workspace (or Enterprise Grid organisation) this app is installed in.

Admin rights are granted by user id, and a user id means something only inside its own
workspace. Slack signs every request it delivers to the app, including requests from other
workspaces (a distributed app, an organisation-wide install, a Slack Connect channel shared
with another company), so a valid signature does not say "our workspace". The installation is
learned once from ``auth.test`` (at start-up, retried in the background while Slack does not
answer, never by a request), serves as Bolt's ``authorize`` so that the call is made once,
and every request is then checked against it: every workspace and organisation the payload
names, for where it happened and for who acted, must be the installed one. Refusals are
audited.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from slack_bolt.authorization import AuthorizeResult
from slack_bolt.middleware.async_middleware import AsyncMiddleware
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

logger = logging.getLogger(__name__)

#: What a refused slash command is told (in the ack, only to the person who typed it).
REFUSED = (
    "scalewarden is installed in another Slack workspace and answers only there. "
    "Ask an admin of your workspace to install it for you."
)
#: The key under which the installation's own flag travels in Bolt's ``AuthorizeResult``.
_ENTERPRISE_INSTALL = "is_enterprise_install"


@dataclass(frozen=True)
class Installation:
    """Where the app is installed, as ``auth.test`` says for its bot token."""

    team_id: str | None
    enterprise_id: str | None = None
    is_enterprise_install: bool = False

    @classmethod
    def of(cls, result: Mapping[str, Any]) -> Installation:
        """From an ``auth.test`` answer or a Bolt ``AuthorizeResult`` (both are mappings)."""
        return cls(
            team_id=_text(result.get("team_id")),
            enterprise_id=_text(result.get("enterprise_id")),
            is_enterprise_install=result.get(_ENTERPRISE_INSTALL) is True,
        )

    def refusal(self, payload: Mapping[str, Any]) -> str | None:
        """``None`` when ``payload`` comes from this installation, else why it does not.

        A workspace install admits one team (and, inside Enterprise Grid, its organisation);
        an organisation-wide install admits every team of its organisation. A payload that
        names no workspace at all is refused: every command, event and interaction carries one.
        """
        teams = set(_named(payload, _TEAM_PATHS))
        enterprises = set(_named(payload, _ENTERPRISE_PATHS))
        if self.is_enterprise_install:
            if not enterprises:
                return "the request names no organisation"
            other = sorted(enterprises - {self.enterprise_id})
            return f"organisation {other[0]} is not the installed one" if other else None
        if not teams:
            return "the request names no workspace"
        other_teams = sorted(teams - {self.team_id})
        if other_teams:
            return f"workspace {other_teams[0]} is not the installed one"
        other_enterprises = sorted(enterprises - {self.enterprise_id})
        if other_enterprises:
            return f"organisation {other_enterprises[0]} is not the installed one"
        return None


#: Where Slack's payloads name a workspace: where it happened and who acted (Slack Connect
#: and Grid put the actor's own workspace in ``user.team_id`` or ``event.user_team``).
_TEAM_PATHS: tuple[tuple[str, ...], ...] = (
    ("team_id",),
    ("team", "id"),
    ("team",),
    ("user", "team_id"),
    ("view", "team_id"),
    ("event", "team"),
    ("event", "user_team"),
    ("event", "source_team"),
    ("event", "view", "team_id"),
)
_ENTERPRISE_PATHS: tuple[tuple[str, ...], ...] = (
    ("enterprise_id",),
    ("enterprise", "id"),
    ("enterprise",),
    ("team", "enterprise_id"),
    ("user", "enterprise_id"),
    ("event", "enterprise"),
    ("event", "user_enterprise"),
)


def _named(payload: Mapping[str, Any], paths: tuple[tuple[str, ...], ...]) -> Iterator[str]:
    """Every non-empty string found at ``paths`` (objects met on the way are descended).

    Payloads are parsed JSON, so their objects are dicts: ``isinstance(value, dict)`` costs a
    fraction of the ``Mapping`` ABC's check, and this runs sixteen times on every request.
    """
    for path in paths:
        value: Any = payload
        for key in path:
            value = value.get(key) if isinstance(value, dict) else None
        if isinstance(value, str) and value:
            yield value


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


class SlackStatus(StrEnum):
    """What the start-up ``auth.test`` found (``/readyz`` reports it as ``slack``)."""

    #: ``auth.test`` has not answered yet.
    CHECKING = "checking"
    #: Slack answered: the installation is known and requests are served.
    ON = "on"
    #: Slack did not answer (connection refused, timeout, 5xx); retried in the background.
    UNREACHABLE = "unreachable"
    #: Slack refused the bot token: nothing works until it is replaced (and the service
    #: restarted), so it is not retried.
    UNAUTHORISED = "unauthorised"


#: ``auth.test`` errors that mean the bot token itself is refused.
TOKEN_REFUSED = frozenset(
    {
        "invalid_auth",
        "not_authed",
        "account_inactive",
        "token_revoked",
        "token_expired",
        "not_allowed_token_type",
        "no_permission",
        "org_login_required",
        "team_access_not_granted",
        "ekm_access_denied",
    }
)

#: What a slash command is told while the installation is not known, by status.
NOT_CONNECTED = {
    SlackStatus.CHECKING: (
        "scalewarden is still connecting to Slack (it has just started). "
        "Please try again in a few seconds."
    ),
    SlackStatus.UNREACHABLE: (
        "scalewarden cannot reach Slack's Web API just now, so it cannot answer. "
        "Please try again in a minute."
    ),
    SlackStatus.UNAUTHORISED: (
        "scalewarden cannot answer: Slack refuses its bot token. "
        "Ask whoever runs scalewarden to check `SLACK_BOT_TOKEN`."
    ),
}


class NotConnected(RuntimeError):
    """The installation is not known yet (``auth.test`` has not succeeded)."""


class InstalledWorkspace:
    """``auth.test``, called once and shared: the installation, and Bolt's ``authorize``.

    The call is made by :meth:`check_until_known`, a task started with the service, never by a
    request: an ack must not wait on Slack's Web API. Until the call succeeds requests are
    refused at once (:class:`WorkspaceReady`), ``/readyz`` says why (``status``, ``error``),
    and the log says it once, in one line. A Slack that does not answer is asked again in the
    background (after ``retry_first`` seconds, doubling up to ``retry_max``; a refused request
    asks sooner); a refused token is not (only a new token, and a restart, can fix it).
    """

    def __init__(
        self, client: AsyncWebClient, *, retry_first: float = 1.0, retry_max: float = 60.0
    ) -> None:
        self._client = client
        self._answer: dict[str, Any] | None = None
        self.status = SlackStatus.CHECKING
        #: Why Slack is unreachable or refused the token (for ``/readyz`` and the log).
        self.error: str | None = None
        self.attempts = 0
        self.retry_first = retry_first
        self.retry_max = retry_max
        self._wake: asyncio.Event | None = None
        self._last_attempt = 0.0

    @property
    def installation(self) -> Installation | None:
        """What ``auth.test`` said, once it has answered."""
        return Installation.of(self._answer) if self._answer is not None else None

    async def check_until_known(self) -> None:
        """Call ``auth.test`` until Slack answers it (or refuses the token)."""
        self._wake = asyncio.Event()
        delay = self.retry_first
        while await self.check() is SlackStatus.UNREACHABLE:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), delay)
            self._wake.clear()
            delay = min(delay * 2, self.retry_max)

    def nudge(self) -> None:
        """A request was refused while Slack was unreachable: ask again now rather than at
        the end of the back-off (at most once per ``retry_first``)."""
        loop = asyncio.get_running_loop()
        if (
            self.status is SlackStatus.UNREACHABLE
            and self._wake is not None
            and loop.time() - self._last_attempt >= self.retry_first
        ):
            self._wake.set()

    async def check(self) -> SlackStatus:
        """One ``auth.test`` (with the client's own retries); the new status."""
        self.attempts += 1
        self._last_attempt = asyncio.get_running_loop().time()
        try:
            response = await self._client.auth_test()
        except SlackApiError as exc:
            code = exc.response.get("error") if exc.response is not None else None
            if code in TOKEN_REFUSED:
                self._failed(SlackStatus.UNAUTHORISED, f"auth.test answered {code}")
            else:
                status = exc.response.status_code if exc.response is not None else "?"
                self._failed(SlackStatus.UNREACHABLE, f"auth.test answered {status} {code}")
            return self.status
        except Exception as exc:  # connection refused, timeout, DNS: Slack did not answer
            text = " ".join(f"{type(exc).__name__}: {exc}".split())[:300]
            self._failed(SlackStatus.UNREACHABLE, f"auth.test failed ({text})")
            return self.status
        self._answer = dict(response.data) if isinstance(response.data, dict) else {}
        self.status, self.error = SlackStatus.ON, None
        where = Installation.of(self._answer)
        logger.info(
            "installed in Slack workspace %s (organisation %s, organisation-wide: %s)%s",
            where.team_id,
            where.enterprise_id,
            where.is_enterprise_install,
            f"; Slack answered after {self.attempts} attempts" if self.attempts > 1 else "",
        )
        return self.status

    def _failed(self, status: SlackStatus, reason: str) -> None:
        """Record a failure; log it in one line the first time (a retry failing the same way
        is logged at DEBUG only)."""
        first = self.status is not status
        self.status, self.error = status, reason
        if not first:
            logger.debug("Slack still unreachable: %s", reason)
        elif status is SlackStatus.UNAUTHORISED:
            logger.error(
                "Slack refused the bot token (%s): set SLACK_BOT_TOKEN to the app's Bot User "
                "OAuth Token (xoxb-...) and restart; Slack requests are refused until then",
                reason,
            )
        else:
            logger.error(
                "Slack's Web API is unreachable (%s): Slack requests are refused until it "
                "answers; asking again in the background",
                reason,
            )

    def authorize(self) -> Callable[..., Awaitable[AuthorizeResult]]:
        """Bolt's ``authorize``: the installation from the one ``auth.test`` answer."""

        async def authorize() -> AuthorizeResult:
            answer = self._answer
            if answer is None:  # WorkspaceReady refuses these requests first
                raise NotConnected(self.status.value)
            result = AuthorizeResult.from_auth_test_response(
                auth_test_response=answer,
                bot_token=self._client.token,
            )
            result[_ENTERPRISE_INSTALL] = answer.get(_ENTERPRISE_INSTALL) is True
            return result

        return authorize


def _told_privately(text: str) -> BoltResponse:
    """A slash command's ack that only its sender sees, saying why it was not served."""
    return BoltResponse(
        status=200,
        body={"response_type": "ephemeral", "text": text},
        headers={"content-type": "application/json;charset=utf-8"},
    )


class WorkspaceReady(AsyncMiddleware):
    """Refuses, at once, every request that needs the installation while it is not known.

    Runs before Bolt's authorisation, which would otherwise need ``auth.test``. A slash
    command is told why in its ack; an event or a click gets 503 (Slack redelivers an event
    later). Requests that need no installation (``url_verification``, ``ssl_check``,
    uninstall events) go through. A refused command or click is audited (``audit``), as every
    other refusal is: Slack sends neither again, so the audit is the only trace of who asked.
    An event is not: Slack redelivers it, and the delivery that is served is audited then.
    """

    def __init__(
        self,
        workspace: InstalledWorkspace,
        audit: Callable[[AsyncBoltRequest, str], Awaitable[None]] | None = None,
    ) -> None:
        self._workspace = workspace
        self._audit = audit

    async def async_process(
        self,
        *,
        req: AsyncBoltRequest,
        resp: BoltResponse,
        next: Callable[[], Awaitable[BoltResponse]],
    ) -> BoltResponse | None:
        from slack_bolt.middleware.authorization.async_internals import _is_no_auth_required

        workspace = self._workspace
        if workspace.installation is not None or _is_no_auth_required(req):
            return await next()
        workspace.nudge()
        if self._audit is not None and req.body.get("type") != "event_callback":
            await self._audit(req, f"not connected to Slack ({workspace.status.value})")
        if "command" in req.body:
            return _told_privately(NOT_CONNECTED[workspace.status])
        return BoltResponse(status=503, body="")


class WorkspaceGuard(AsyncMiddleware):
    """Refuses, and audits, every request from outside the installation (after Bolt's
    authorisation, whose result says where the app is installed)."""

    def __init__(self, audit: Callable[[AsyncBoltRequest, str], Awaitable[None]]) -> None:
        self._audit = audit

    async def async_process(
        self,
        *,
        req: AsyncBoltRequest,
        resp: BoltResponse,
        next: Callable[[], Awaitable[BoltResponse]],
    ) -> BoltResponse | None:
        installed = req.context.authorize_result
        if installed is None:  # Bolt's own no-auth requests (url_verification, ssl_check)
            return await next()
        reason = Installation.of(installed).refusal(req.body)
        if reason is None:
            return await next()
        logger.warning("refused a Slack request from outside the installation: %s", reason)
        await self._audit(req, reason)
        if "command" in req.body:
            return _told_privately(REFUSED)
        return BoltResponse(status=200, body="")
