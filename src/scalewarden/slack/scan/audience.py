"""Who in Slack waits for one scan, and where its results go: once per destination.

The scan runner merges identical requests into one run, so 40 ``/scalewarden scan`` requests
are one scan; without this, each request would still post its own progress message and its
own results, 40 posts in one channel. Every Slack request following a run takes a seat here,
synchronously, right after the runner admitted it (no other request can slip in between):

* the destination is where the results go (a security channel, or the requester's DM), known
  without a Web API call, so two requests for one place are recognised at once;
* the first request for a destination posts there; every later one for the same destination
  posts nothing. A different person in that channel is told privately, once, where the results
  are (an ephemeral message with a link): results replace the progress message by an edit, and
  Slack does not notify anyone mentioned in an edit, while a list of mentions would grow with
  every requester in a public post.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from scalewarden.scanning.runner import ScanRun

#: The key of the Slack audience in ``ScanRun.followers``.
FOLLOWER = "slack"


def destination_key(security_channels: frozenset[str] | set[str], user: str, channel: str) -> str:
    """Where a request's results go, as a key: the channel itself when it is a security
    channel, otherwise the requester's DM (one per person, whatever channel they typed in)."""
    return f"channel:{channel}" if channel in security_channels else f"dm:{user}"


@dataclass
class Seat:
    """One destination of a run's results, and who asked for them there."""

    key: str
    #: The requester whose request posts here.
    poster: str
    #: Others already told privately where the results are (each is told once).
    told: set[str] = field(default_factory=set)
    #: Resolved by the poster: (channel, ts) of the post, or ``None`` when nothing was posted.
    posted: asyncio.Future[tuple[str, str] | None] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )

    def settle(self, where: tuple[str, str] | None) -> None:
        """Say where the post is (once; later calls change nothing)."""
        if not self.posted.done():
            self.posted.set_result(where)


@dataclass
class Audience:
    """The seats of one run, by destination key."""

    seats: dict[str, Seat] = field(default_factory=dict)

    def join(self, key: str, user: str) -> tuple[Seat, bool]:
        """The seat for ``key``, and whether this request is the one that posts there."""
        seat = self.seats.get(key)
        if seat is not None:
            return seat, False
        seat = self.seats[key] = Seat(key=key, poster=user)
        return seat, True


def take_seat(run: ScanRun, key: str, user: str) -> tuple[Seat, bool]:
    """Join ``run``'s Slack audience (call on the loop, right after the runner's ``submit``)."""
    audience = run.followers.setdefault(FOLLOWER, Audience())
    assert isinstance(audience, Audience)
    return audience.join(key, user)
