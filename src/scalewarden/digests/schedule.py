"""When a digest fires: schedule expressions and time zones, as pure arithmetic.

People write ``daily 09:00``, ``weekdays 09:00``, ``weekly mon 09:00`` or a 5-field cron
expression, in an IANA time zone. Everything is turned into one cron expression and evaluated
by cronsim in that zone, so nine o'clock in Berlin stays nine o'clock across daylight saving
changes. A time skipped by a spring-forward runs at the first minute that exists; a time that
happens twice in autumn runs once, at its first occurrence (as cron does).

Nothing here reads a clock: callers pass ``now``, which is what lets tests run the calendar
with a fake one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from itertools import pairwise
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from cronsim import CronSim, CronSimError

#: Digests run a scan each; a schedule may not fire more often than this.
MIN_INTERVAL = timedelta(hours=1)
#: How many consecutive fire times the interval rule is checked on.
_INTERVAL_SAMPLE = 48
#: A fixed reference day for validation, so a schedule is accepted or refused the same way
#: whatever the day it is typed on.
_REFERENCE = datetime(2026, 1, 1, tzinfo=UTC)

_DAYS = {
    name: number
    for number, full in enumerate(
        ("sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday")
    )
    for name in (full, full[:3])
}
_TIME = re.compile(r"^(\d{1,2}):(\d{2})$")
_FORMS = "'daily HH:MM', 'weekdays HH:MM', 'weekly mon HH:MM' or a 5-field cron expression"
#: Longest schedule expression and time-zone name accepted (the store's column width): longer
#: input is refused before any parsing, and messages quote only its start.
MAX_LENGTH = 128


class ScheduleError(ValueError):
    """A schedule or time zone that cannot be used; the message says why and what works."""


def _shown(text: str) -> str:
    """``text`` quoted for a message, cut short: input may be kilobytes long."""
    return repr(text if len(text) <= 40 else text[:40] + "…")


@cache
def _portable_zones() -> frozenset[str]:
    """The IANA names every replica resolves alike: ``localtime`` is each host's own zone, and
    ``posixrules``, ``right/…`` and ``posix/…`` are not in the list (``right/`` counts leap
    seconds). Replicas that disagreed on a fire time would each post a digest."""
    return frozenset(available_timezones() - {"localtime"})


def zone(name: str) -> ZoneInfo:
    """The IANA time zone ``name`` (``Europe/Berlin``, ``UTC``); ScheduleError when unknown."""
    text = (name or "").strip()
    try:
        if not text or len(text) > MAX_LENGTH or text not in _portable_zones():
            raise ValueError
        return ZoneInfo(text)
    # OSError: a directory of the database ("America") or a name the file system refuses.
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ScheduleError(
            f"unknown time zone {_shown(name or '')}: use an IANA name such as Europe/Berlin, "
            "America/New_York or UTC"
        ) from None


def _clock(text: str, expression: str) -> tuple[int, int]:
    match = _TIME.match(text)
    if match:
        hour, minute = int(match.group(1)), int(match.group(2))
        if hour < 24 and minute < 60:
            return hour, minute
    raise ScheduleError(
        f"{_shown(expression)}: {_shown(text)} is not a time of day (HH:MM, 00:00-23:59)"
    )


def to_cron(expression: str) -> str:
    """The 5-field cron expression for a schedule as people write it."""
    if len(expression or "") > MAX_LENGTH:
        raise ScheduleError(
            f"{_shown(expression)} is longer than {MAX_LENGTH} characters: use {_FORMS}"
        )
    words = (expression or "").split()
    if not words:
        raise ScheduleError(f"empty schedule: use {_FORMS}")
    kind = words[0].lower()
    if kind in ("daily", "weekdays") and len(words) == 2:
        hour, minute = _clock(words[1], expression)
        return f"{minute} {hour} * * {'*' if kind == 'daily' else '1-5'}"
    if kind == "weekly" and len(words) == 3:
        day = _DAYS.get(words[1].lower())
        if day is None:
            raise ScheduleError(
                f"{_shown(expression)}: {_shown(words[1])} is not a day of the week "
                "(mon, tue, … sun)"
            )
        hour, minute = _clock(words[2], expression)
        return f"{minute} {hour} * * {day}"
    if kind in ("daily", "weekdays", "weekly"):
        raise ScheduleError(f"{_shown(expression)}: use {_FORMS}")
    if len(words) != 5:
        raise ScheduleError(
            f"{_shown(expression)} is not a schedule: use {_FORMS} (cron has 5 fields: "
            "minute hour day-of-month month day-of-week)"
        )
    return " ".join(words)


@dataclass(frozen=True)
class Schedule:
    """A parsed schedule: the expression as written, its cron form and its time zone."""

    expression: str
    cron: str
    timezone: str

    @classmethod
    def parse(cls, expression: str, timezone: str = "UTC") -> Schedule:
        """Parse and validate; ScheduleError with a message fit for the user otherwise."""
        cron = to_cron(expression)
        tz = zone(timezone)
        try:
            times = CronSim(cron, _REFERENCE.astimezone(tz))
            fires = [next(times) for _ in range(_INTERVAL_SAMPLE)]
        except CronSimError as exc:
            raise ScheduleError(f"bad cron expression {cron!r}: {exc}") from None
        except StopIteration:
            raise ScheduleError(f"cron expression {cron!r} never fires") from None
        gaps = [later - earlier for earlier, later in pairwise(fires)]
        if any(gap < MIN_INTERVAL for gap in gaps):
            raise ScheduleError(
                f"{_shown(expression)} fires more often than once an hour; a digest runs a scan "
                "each time, so choose a daily or hourly schedule"
            )
        return cls(expression=" ".join(expression.split()), cron=cron, timezone=tz.key)

    @property
    def zone(self) -> ZoneInfo:
        return zone(self.timezone)

    def next_after(self, moment: datetime) -> datetime:
        """The first fire time strictly after ``moment`` (aware), in UTC."""
        local = _aware(moment).astimezone(self.zone)
        return next(CronSim(self.cron, local)).astimezone(UTC)

    def latest_at_or_before(self, moment: datetime) -> datetime:
        """The last fire time at or before ``moment`` (aware), in UTC.

        cronsim's backward walk works in wall time, so inside an hour that autumn repeats it
        can step over a fire time the forward walk gives (hourly schedules lose one). Its
        answer is only a starting point: the forward walk, which ``next_after`` uses too,
        decides, so both agree on one calendar.
        """
        moment = _aware(moment).astimezone(UTC)
        local = moment.astimezone(self.zone).replace(microsecond=0)
        # cronsim steps back one second before searching: start one second later.
        start = next(CronSim(self.cron, local + timedelta(seconds=1), reverse=True))
        latest = start.astimezone(UTC)
        while latest > moment:  # wall-time arithmetic overshot across a change: go back
            latest = next(CronSim(self.cron, latest.astimezone(self.zone), reverse=True))
            latest = latest.astimezone(UTC)
        following = self.next_after(latest)
        while following <= moment:
            latest, following = following, self.next_after(following)
        return latest

    def due(
        self, now: datetime, *, grace: timedelta, not_before: datetime | None = None
    ) -> datetime | None:
        """The fire time to run at ``now``, if any: the latest one at or before ``now``,
        when it is at most ``grace`` old and not before ``not_before`` (the subscription's
        creation). Only the latest counts, so a long outage catches up once, not once per
        missed time."""
        fire = self.latest_at_or_before(now)
        if now - fire > grace:
            return None
        if not_before is not None and fire < not_before:
            return None
        return fire


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("schedule arithmetic needs a timezone-aware datetime")
    return moment
