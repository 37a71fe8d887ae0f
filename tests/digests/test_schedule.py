"""Schedules: the forms people type, time zones, daylight saving, grace and bad input."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from scalewarden.digests.schedule import Schedule, ScheduleError

GRACE = timedelta(hours=6)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("expression", "cron"),
    [
        ("daily 09:00", "0 9 * * *"),
        ("weekdays 7:30", "30 7 * * 1-5"),
        ("weekly mon 09:00", "0 9 * * 1"),
        ("weekly Sunday 18:05", "5 18 * * 0"),
        ("0 9 1 * *", "0 9 1 * *"),
        ("  daily   09:00 ", "0 9 * * *"),
    ],
)
def test_the_forms_people_type(expression: str, cron: str) -> None:
    assert Schedule.parse(expression).cron == cron


def test_nine_in_berlin_stays_nine_across_both_daylight_saving_changes() -> None:
    berlin = Schedule.parse("daily 09:00", "Europe/Berlin")
    # Winter: 09:00 CET is 08:00 UTC. Clocks go forward on 2026-03-29.
    assert berlin.next_after(utc(2026, 3, 28, 9)) == utc(2026, 3, 29, 7)
    assert berlin.next_after(utc(2026, 3, 27, 9)) == utc(2026, 3, 28, 8)
    # Clocks go back on 2026-10-25: 09:00 CET is 08:00 UTC again.
    assert berlin.next_after(utc(2026, 10, 24, 8)) == utc(2026, 10, 25, 8)
    assert berlin.next_after(utc(2026, 10, 23, 8)) == utc(2026, 10, 24, 7)
    for fire in (utc(2026, 3, 29, 7), utc(2026, 10, 25, 8)):
        assert fire.astimezone(berlin.zone).hour == 9


def test_a_time_skipped_by_spring_forward_runs_once_at_the_first_real_minute() -> None:
    night = Schedule.parse("daily 02:30", "Europe/Berlin")
    fire = night.next_after(utc(2026, 3, 28, 12))
    assert fire == utc(2026, 3, 29, 1)  # 03:00 CEST: 02:30 does not exist that night
    assert night.next_after(fire) == utc(2026, 3, 30, 0, 30)


def test_a_time_that_happens_twice_in_autumn_runs_once() -> None:
    night = Schedule.parse("daily 02:30", "Europe/Berlin")
    fire = night.next_after(utc(2026, 10, 24, 12))
    assert fire == utc(2026, 10, 25, 0, 30)  # the first 02:30 (CEST)
    assert night.next_after(fire) == utc(2026, 10, 26, 1, 30)  # not again at 02:30 CET


def test_weekdays_skip_the_weekend() -> None:
    schedule = Schedule.parse("weekdays 09:00", "UTC")
    friday = utc(2026, 12, 4, 9)
    assert schedule.next_after(friday) == utc(2026, 12, 7, 9)  # Monday


def test_latest_fire_at_or_before_includes_the_exact_moment() -> None:
    schedule = Schedule.parse("daily 09:00", "Europe/Berlin")
    assert schedule.latest_at_or_before(utc(2026, 12, 1, 8)) == utc(2026, 12, 1, 8)
    assert schedule.latest_at_or_before(utc(2026, 12, 1, 7, 59, 59)) == utc(2026, 11, 30, 8)
    assert schedule.latest_at_or_before(utc(2026, 7, 1, 7, 0, 0, 500)) == utc(2026, 7, 1, 7)


def test_due_within_grace_only_the_latest_and_never_before_creation() -> None:
    schedule = Schedule.parse("daily 09:00", "UTC")
    assert schedule.due(utc(2026, 12, 1, 9), grace=GRACE) == utc(2026, 12, 1, 9)
    assert schedule.due(utc(2026, 12, 1, 14, 59), grace=GRACE) == utc(2026, 12, 1, 9)
    assert schedule.due(utc(2026, 12, 1, 15, 1), grace=GRACE) is None
    # Three days down: only the last fire time, and only if within grace.
    assert schedule.due(utc(2026, 12, 4, 10), grace=GRACE) == utc(2026, 12, 4, 9)
    created = utc(2026, 12, 1, 9, 30)
    assert schedule.due(utc(2026, 12, 1, 10), grace=GRACE, not_before=created) is None


@pytest.mark.parametrize(
    ("expression", "timezone", "message"),
    [
        ("daily 25:00", "UTC", "not a time of day"),
        ("daily 9", "UTC", "not a time of day"),
        ("weekly funday 09:00", "UTC", "not a day of the week"),
        ("weekly 09:00", "UTC", "use 'daily HH:MM'"),
        ("hourly", "UTC", "is not a schedule"),
        ("", "UTC", "empty schedule"),
        ("61 9 * * *", "UTC", "bad cron expression"),
        ("0 9 30 2 *", "UTC", "bad cron expression"),
        ("*/5 * * * *", "UTC", "more often than once an hour"),
        ("0 9 * * * *", "UTC", "is not a schedule"),
        ("daily 09:00", "Mars/Olympus", "unknown time zone 'Mars/Olympus'"),
        ("daily 09:00", "../../etc/passwd", "unknown time zone"),
        ("daily 09:00", "", "unknown time zone"),
    ],
)
def test_bad_input_says_what_is_wrong(expression: str, timezone: str, message: str) -> None:
    with pytest.raises(ScheduleError, match=message):
        Schedule.parse(expression, timezone)


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        Schedule.parse("daily 09:00").next_after(datetime(2026, 1, 1))


@pytest.mark.parametrize(
    "timezone", ["America", "Europe", "A" * 10_000, "Europe/" + "x" * 300, "x/" * 5_000]
)
def test_a_directory_or_an_overlong_name_is_an_unknown_zone_not_a_crash(timezone: str) -> None:
    with pytest.raises(ScheduleError, match="unknown time zone") as caught:
        Schedule.parse("daily 09:00", timezone)
    assert len(str(caught.value)) < 300  # the message quotes the input, shortened


@pytest.mark.parametrize(
    "expression",
    [
        "0," * 3_000 + "0 9 * * *",  # a valid cron, absurdly long
        "daily " + "9" * 10_000,
        "1-5," * 2_000 + "1 9 * * *",
        "x " * 5_000,
    ],
)
def test_a_huge_schedule_is_refused_with_a_short_message(expression: str) -> None:
    with pytest.raises(ScheduleError) as caught:
        Schedule.parse(expression)
    assert len(str(caught.value)) < 300


# Each zone's autumn change repeats an hour (Lord Howe: half an hour). In the repeated span the
# latest fire time must be the one the forward calendar gives, or a digest is missed.
_AUTUMN = [
    ("Europe/Berlin", "0 * * * *", utc(2026, 10, 24, 20)),
    ("Europe/Berlin", "30 2 * * *", utc(2026, 10, 24, 20)),
    ("America/New_York", "30 1 * * *", utc(2026, 10, 31, 22)),
    ("America/New_York", "0 * * * *", utc(2026, 10, 31, 22)),
    ("Australia/Lord_Howe", "45 1 * * *", utc(2026, 4, 4, 10)),
    ("Australia/Lord_Howe", "0 * * * *", utc(2026, 4, 4, 10)),
    ("Australia/Lord_Howe", "15 2 * * *", utc(2026, 10, 3, 10)),
    ("Europe/Berlin", "30 2 * * *", utc(2026, 3, 28, 20)),
]


@pytest.mark.parametrize(("timezone", "cron", "start"), _AUTUMN)
def test_latest_fire_agrees_with_the_calendar_across_daylight_saving(
    timezone: str, cron: str, start: datetime
) -> None:
    schedule = Schedule.parse(cron, timezone)
    fires = [schedule.next_after(start)]
    while fires[-1] < start + timedelta(hours=12):
        fires.append(schedule.next_after(fires[-1]))
    moment = fires[0]
    while moment < fires[-1]:
        expected = max(f for f in fires if f <= moment)
        assert schedule.latest_at_or_before(moment) == expected, moment
        moment += timedelta(minutes=5)


def test_an_hourly_digest_fires_in_the_repeated_hour_of_autumn() -> None:
    hourly = Schedule.parse("0 * * * *", "Europe/Berlin")
    # 01:00 UTC is 02:00 CET, the second 02:00 of 2026-10-25: the calendar fires there.
    assert hourly.next_after(utc(2026, 10, 25, 0, 30)) == utc(2026, 10, 25, 1)
    assert hourly.due(utc(2026, 10, 25, 1, 10), grace=GRACE) == utc(2026, 10, 25, 1)


@pytest.mark.parametrize(
    "timezone", ["localtime", "posixrules", "right/UTC", "posix/Europe/Berlin"]
)
def test_a_zone_that_depends_on_the_host_is_refused(timezone: str) -> None:
    """``localtime`` is each host's own zone and ``right/…`` counts leap seconds: replicas
    could compute different fire times for one subscription, and post twice."""
    with pytest.raises(ScheduleError, match="unknown time zone"):
        Schedule.parse("daily 09:00", timezone)
