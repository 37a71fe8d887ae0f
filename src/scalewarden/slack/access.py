"""Who may run scans and read findings: admins by user id, or by membership of one user group.

Anyone may ask questions. Scans touch AWS and findings name resources, accounts and weak spots,
so both are for admins only. With neither
``SCALEWARDEN_ADMIN_USERS`` nor ``SCALEWARDEN_ADMIN_USERGROUP`` configured nobody may scan:
a fresh install must not let the whole workspace drive AWS calls. Group membership is read with
``usergroups.users.list`` and cached briefly, because a burst of commands should not turn into a
burst of Web API calls (that method is rate-limited per workspace). Slack's
``subteam_members_changed`` event drops the cache, so a change of membership counts at once.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

logger = logging.getLogger(__name__)

NOT_CONFIGURED = (
    "Scans are turned off because no admins are configured. Ask whoever runs scalewarden to "
    "set `SCALEWARDEN_ADMIN_USERS` (comma-separated Slack user ids, e.g. `U012AB3CD,U045EF6GH`) "
    "or `SCALEWARDEN_ADMIN_USERGROUP` (a user group id such as `S0123ABCD`) and restart it."
)
NOT_AN_ADMIN = (
    "Sorry, only scalewarden admins may run scans or read findings. Anyone may ask questions "
    "with `/scalewarden ask ...`."
)
CANNOT_VERIFY = (
    "I could not check your membership of the admin user group just now (Slack did not "
    "answer in time or refused the lookup), so I did not go ahead. Please try again in a minute."
)


class GroupLookupError(RuntimeError):
    """``usergroups.users.list`` answered, but not with a list of user ids."""


@dataclass(frozen=True)
class AccessDecision:
    """Whether a user may scan and, if not, the message to show them."""

    allowed: bool
    reason: str = ""


#: How long the admin-group lookup may take. It never holds up an ack (a command that needs it
#: is acknowledged first, ``decided_now``), so it may take longer than Slack's 3 s.
LOOKUP_TIMEOUT = 10.0


class AccessPolicy:
    """Decides scan access; one instance per app so that the group cache is shared.

    ``lookup_timeout`` bounds the group lookup of every decision (commands, buttons, the Home
    tab): a lookup that takes longer refuses with :data:`CANNOT_VERIFY`.
    """

    def __init__(
        self,
        admin_user_ids: frozenset[str],
        admin_usergroup: str | None,
        *,
        cache_seconds: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
        lookup_timeout: float = LOOKUP_TIMEOUT,
    ) -> None:
        self.admin_user_ids = admin_user_ids
        self.admin_usergroup = (admin_usergroup or "").strip() or None
        self.lookup_timeout = lookup_timeout
        self._cache_seconds = cache_seconds
        self._clock = clock
        self._members: frozenset[str] | None = None
        self._fetched_at = 0.0
        self._lock = asyncio.Lock()

    @property
    def configured(self) -> bool:
        """True when at least one way of being an admin is set."""
        return bool(self.admin_user_ids) or self.admin_usergroup is not None

    async def _group_members(self, client: AsyncWebClient) -> frozenset[str]:
        assert self.admin_usergroup is not None
        async with self._lock:
            fresh = self._clock() - self._fetched_at < self._cache_seconds
            if self._members is not None and fresh:
                return self._members
            response = await client.usergroups_users_list(usergroup=self.admin_usergroup)
            users = response.get("users")
            # A string here would be read as a set of characters: refuse anything but a list.
            if not isinstance(users, list) or not all(isinstance(u, str) for u in users):
                raise GroupLookupError("usergroups.users.list did not return a list of users")
            self._members = frozenset(users)
            self._fetched_at = self._clock()
            return self._members

    def forget_group(self, usergroup_id: object) -> bool:
        """Drop the cached members if ``usergroup_id`` is the admin group (Slack said it
        changed); True if it was. The next decision reads the group afresh, so someone removed
        from it loses scan access at once instead of when the cache would have expired."""
        if self.admin_usergroup is None or usergroup_id != self.admin_usergroup:
            return False
        self._members = None
        return True

    async def is_admin(self, user_id: str, client: AsyncWebClient) -> bool:
        """True for a listed admin or a member of the admin group (API errors propagate)."""
        if user_id in self.admin_user_ids:
            return True
        if self.admin_usergroup is None:
            return False
        return user_id in await self._group_members(client)

    def decided_now(self, user_id: str) -> AccessDecision | None:
        """The decision when it needs no Web API call (no admins configured, a listed admin,
        the group's members cached and fresh), else ``None``: then :meth:`may_scan` must ask
        Slack, which an ack must not wait for."""
        if not self.configured:
            return AccessDecision(False, NOT_CONFIGURED)
        if user_id in self.admin_user_ids:
            return AccessDecision(True)
        if self.admin_usergroup is None:
            return AccessDecision(False, NOT_AN_ADMIN)
        fresh = self._clock() - self._fetched_at < self._cache_seconds
        if self._members is None or not fresh:
            return None
        return (
            AccessDecision(True)
            if user_id in self._members
            else AccessDecision(False, NOT_AN_ADMIN)
        )

    async def may_scan(self, user_id: str, client: AsyncWebClient) -> AccessDecision:
        """The decision, with a message fit to show the user when refused."""
        if not self.configured:
            return AccessDecision(False, NOT_CONFIGURED)
        try:
            allowed = await asyncio.wait_for(self.is_admin(user_id, client), self.lookup_timeout)
        except Exception as exc:  # whatever went wrong, an unverified user is not an admin
            error = exc.response.get("error") if isinstance(exc, SlackApiError) else None
            logger.warning("admin group lookup failed: %s %s", type(exc).__name__, error or "")
            return AccessDecision(False, CANNOT_VERIFY)
        return AccessDecision(True) if allowed else AccessDecision(False, NOT_AN_ADMIN)
