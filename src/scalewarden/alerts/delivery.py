"""Which channels an alert goes to, and where in them: pure, with the clock passed in.

* :func:`channels_for` reads the stored subscriptions: a channel gets an alert at or above its
  ``min_severity`` from its accounts and regions (empty: all). A channel with several
  matching subscriptions still gets the alert once.
* :func:`mute_of`: a live alert is silenced by an active mute of its check and place, the
  same mutes (and the same matcher) that show findings as MUTED ("Mute similar").
* :class:`ChannelPlanner` keeps one channel readable during a storm. More than ``burst``
  alerts from one principal within ``window`` make that principal's next alert a *burst*
  message, and its later ones replies in the burst's thread, until the principal is quiet for
  a whole window. Independently, a channel gets at most ``rate`` top-level alerts per
  ``window``; past that, alerts go to the thread of one *overflow* message. Nothing is held
  back or dropped: every alert is posted at once, only its place changes.

The planner's state lives in the process that posts (one per replica); it is bounded by the
principals seen within one window, capped at :data:`MAX_TRACKED`.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, Protocol

from scalewarden.alerts.model import Alert
from scalewarden.checks.model import Severity
from scalewarden.checks.mutelist import MuteRule

#: Principals (and their bursts) tracked per channel; past it the quietest are forgotten.
MAX_TRACKED = 10_000


class AlertScope(Protocol):
    """What a subscription says about which alerts a channel wants."""

    @property
    def channel(self) -> str: ...
    @property
    def min_severity(self) -> str: ...
    @property
    def regions(self) -> Sequence[str]: ...
    @property
    def accounts(self) -> Sequence[str]: ...


def wants(subscription: AlertScope, alert: Alert) -> bool:
    """Whether ``subscription`` asks for ``alert`` (severity, account, region)."""
    if alert.severity.rank < Severity(subscription.min_severity).rank:
        return False
    if subscription.accounts and alert.account not in subscription.accounts:
        return False
    return not subscription.regions or alert.region in subscription.regions


def channels_for(subscriptions: Iterable[AlertScope], alert: Alert) -> list[str]:
    """The channels that want ``alert``, each once, in subscription order."""
    return list(dict.fromkeys(s.channel for s in subscriptions if wants(s, alert)))


def resource_names_of(alert: Alert) -> list[str]:
    """The names a mute's resource pattern is tried on, as for a finding: the resource as
    shown; for a scalable target (``namespace resource-id dimension``) its resource id; the
    last ``/`` segment."""
    names = [alert.resource]
    parts = alert.resource.split(" ")
    if len(parts) == 3:
        names.append(parts[1])
    names.extend(name.rsplit("/", 1)[-1] for name in list(names) if "/" in name)
    return list(dict.fromkeys(n for n in names if n))


def mute_of(rules: Iterable[MuteRule], alert: Alert, now: datetime) -> MuteRule | None:
    """The active mute (stored or from a file, the one matcher) that silences ``alert``."""
    names = resource_names_of(alert)
    for rule in rules:
        if rule.active(now) and rule.matches_place(
            alert.check_id, alert.account, alert.region, names
        ):
            return rule
    return None


def principal_of(alert: Alert) -> str:
    """Who a burst is counted for: the caller's ARN (or name); for AWS's own state changes,
    the rule, so that a fleet scaling to max is one burst too."""
    if alert.who is not None and (alert.who.arn or alert.who.name):
        return alert.who.arn or alert.who.name
    return f"rule:{alert.rule_id}"


PlacementKind = Literal["message", "burst", "overflow", "thread"]


@dataclass(frozen=True)
class Placement:
    """Where one alert goes in its channel.

    ``message``: a top-level alert. ``burst``/``overflow``: a top-level alert that also says
    the rest follow in its thread; ``key`` names it for the replies. ``thread``: a reply in the
    thread of the head named ``key``.
    """

    kind: PlacementKind
    key: str = ""


@dataclass
class _Principal:
    recent: deque[float] = field(default_factory=deque)
    burst_key: str = ""
    last: float = 0.0


@dataclass
class ChannelPlanner:
    """Places the alerts of one channel (see the module's docstring). ``now`` in seconds."""

    burst: int = 3
    rate: int = 20
    window: float = 60.0
    _principals: dict[str, _Principal] = field(default_factory=dict)
    _top_level: deque[float] = field(default_factory=deque)
    _overflow_key: str = ""
    _overflow_last: float = 0.0
    _heads: int = 0
    _swept: float = float("-inf")

    def place(self, principal: str, now: float) -> Placement:
        """The placement of the next alert from ``principal`` at ``now``."""
        self._forget(now)
        state = self._principals.setdefault(principal, _Principal())
        while state.recent and now - state.recent[0] >= self.window:
            state.recent.popleft()
        in_burst = bool(state.burst_key) and now - state.last < self.window
        state.last = now
        if in_burst:
            return Placement("thread", state.burst_key)
        state.burst_key = ""
        state.recent.append(now)
        if len(state.recent) > self.burst:
            if not self._room(now):
                return self._overflow(now)
            state.burst_key = self._new_key("burst")
            self._top_level.append(now)
            return Placement("burst", state.burst_key)
        if not self._room(now):
            return self._overflow(now)
        self._top_level.append(now)
        return Placement("message")

    def _room(self, now: float) -> bool:
        while self._top_level and now - self._top_level[0] >= self.window:
            self._top_level.popleft()
        return len(self._top_level) < self.rate

    def _overflow(self, now: float) -> Placement:
        if self._overflow_key and now - self._overflow_last < self.window:
            self._overflow_last = now
            return Placement("thread", self._overflow_key)
        self._overflow_key = self._new_key("overflow")
        self._overflow_last = now
        return Placement("overflow", self._overflow_key)

    def _new_key(self, kind: str) -> str:
        self._heads += 1
        return f"{kind}-{self._heads}"

    def _forget(self, now: float) -> None:
        """Drop what no longer matters: timestamps older than a window, quiet principals.
        At most once a second, so a storm costs a sweep per second, not one per alert."""
        if now - self._swept < 1.0:
            return
        self._swept = now
        for name in list(self._principals):
            state = self._principals[name]
            while state.recent and now - state.recent[0] >= self.window:
                state.recent.popleft()
            if not state.recent and now - state.last >= self.window:
                del self._principals[name]
        if len(self._principals) > MAX_TRACKED:
            quiet = sorted(self._principals, key=lambda n: self._principals[n].last)
            for name in quiet[: len(self._principals) - MAX_TRACKED]:
                del self._principals[name]
