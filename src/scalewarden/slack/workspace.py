"""The one Slack workspace (or Enterprise Grid organisation) this app is installed in.

Admin rights are granted by user id, and a user id means something only inside its own
workspace. Slack signs every request it delivers to the app, including requests from other
workspaces (a distributed app, an organisation-wide install, a Slack Connect channel shared
with another company), so a valid signature does not say "our workspace". The installation is
learned once from ``auth.test`` (at start-up, else on the first request), serves as Bolt's
``authorize`` so that the call is made once, and every request is then checked against it:
every workspace and organisation the payload names, for where it happened and for who acted,
must be the installed one. Refusals are audited.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from slack_bolt.authorization import AuthorizeResult
from slack_bolt.middleware.async_middleware import AsyncMiddleware
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
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
    """Every non-empty string found at ``paths`` (objects met on the way are descended)."""
    for path in paths:
        value: Any = payload
        for key in path:
            value = value.get(key) if isinstance(value, Mapping) else None
        if isinstance(value, str) and value:
            yield value


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


class InstalledWorkspace:
    """``auth.test``, called once and shared: the installation, and Bolt's ``authorize``.

    A failed call is not remembered: the next request tries again (as Bolt's own single-team
    authorisation does), so a Slack outage at start-up costs nothing once Slack is back.
    """

    def __init__(self, client: AsyncWebClient) -> None:
        self._client = client
        self._lock = asyncio.Lock()
        self._answer: dict[str, Any] | None = None
        self.error: str | None = None

    @property
    def installation(self) -> Installation | None:
        """What ``auth.test`` said, once it has answered."""
        return Installation.of(self._answer) if self._answer is not None else None

    async def learn(self) -> dict[str, Any]:
        """``auth.test``'s answer (calling it the first time, or after a failure)."""
        if self._answer is not None:
            return self._answer
        async with self._lock:
            if self._answer is None:
                try:
                    response = await self._client.auth_test()
                except Exception as exc:
                    self.error = f"{type(exc).__name__}: {exc}"[:300]
                    raise
                self._answer = dict(response.data) if isinstance(response.data, dict) else {}
                self.error = None
                where = Installation.of(self._answer)
                logger.info(
                    "installed in Slack workspace %s (organisation %s, organisation-wide: %s)",
                    where.team_id,
                    where.enterprise_id,
                    where.is_enterprise_install,
                )
        return self._answer

    async def learn_at_start(self) -> None:
        """:meth:`learn`, logged rather than raised (the first request retries)."""
        try:
            await self.learn()
        except Exception:
            logger.error(
                "auth.test failed at start-up: %s; retried on the next request", self.error
            )

    def authorize(self) -> Callable[..., Awaitable[AuthorizeResult]]:
        """Bolt's ``authorize``: the installation from the one ``auth.test`` answer."""

        async def authorize() -> AuthorizeResult:
            answer = await self.learn()
            result = AuthorizeResult.from_auth_test_response(
                auth_test_response=answer,
                bot_token=self._client.token,
            )
            result[_ENTERPRISE_INSTALL] = answer.get(_ENTERPRISE_INSTALL) is True
            return result

        return authorize


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
            return BoltResponse(
                status=200,
                body={"response_type": "ephemeral", "text": REFUSED},
                headers={"content-type": "application/json;charset=utf-8"},
            )
        return BoltResponse(status=200, body="")
