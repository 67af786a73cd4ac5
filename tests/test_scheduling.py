"""Parsing the time of a scheduled broadcast in the admin's timezone, and saying it back."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from gcmbot.render.when import describe
from gcmbot.services.scheduling import BadTime, parse_when

NOW = datetime(2026, 12, 4, 15, 30, tzinfo=timezone.utc)  # Friday 18:30 in Nairobi (UTC+3)


@pytest.mark.parametrize("text, expected", [
    ("2026-12-10 14:00", datetime(2026, 12, 10, 11, 0, tzinfo=timezone.utc)),
    ("10.12.2026 14:00", datetime(2026, 12, 10, 11, 0, tzinfo=timezone.utc)),
    ("10/12 14:00", datetime(2026, 12, 10, 11, 0, tzinfo=timezone.utc)),
    ("10 Dec 14:00", datetime(2026, 12, 10, 11, 0, tzinfo=timezone.utc)),
    ("3 January 9", datetime(2027, 1, 3, 6, 0, tzinfo=timezone.utc)),  # no year, passed this year: next year
    ("tomorrow 9:00", datetime(2026, 12, 5, 6, 0, tzinfo=timezone.utc)),
    ("Today 23:15", datetime(2026, 12, 4, 20, 15, tzinfo=timezone.utc)),
    ("friday 10:00", datetime(2026, 12, 11, 7, 0, tzinfo=timezone.utc)),  # said on Friday evening: next week
    ("monday at 08:30", datetime(2026, 12, 7, 5, 30, tzinfo=timezone.utc)),
    ("in 2 hours", datetime(2026, 12, 4, 17, 30, tzinfo=timezone.utc)),
    ("in 45 min", datetime(2026, 12, 4, 16, 15, tzinfo=timezone.utc)),
    ("2026-12-10", datetime(2026, 12, 10, 6, 0, tzinfo=timezone.utc)),  # a day alone: 09:00
])
def test_times_in_the_admins_timezone(text, expected):
    assert parse_when(text, "Africa/Nairobi", NOW) == expected


@pytest.mark.parametrize("text, why", [
    ("yesterday 9:00", "like 2026-12-10 14:00"),
    ("today 10:00", "has passed"),
    ("2026-02-30 10:00", "no such day"),
    ("2026-12-10 25:00", "not a time of day"),
    ("2028-12-10 10:00", "more than a year"),
    ("10 Foo 10:00", "not a month"),
])
def test_bad_times_are_explained(text, why):
    with pytest.raises(BadTime, match=why):
        parse_when(text, "Africa/Nairobi", NOW)


def test_said_back_in_plain_words():
    at = parse_when("2026-12-10 14:00", "Africa/Nairobi", NOW)
    assert describe(at, "Africa/Nairobi", NOW) == "Thursday 10 December 2026 at 14:00 (Africa/Nairobi, 11:00 UTC), in 5 days and 19 hours"
    assert describe(parse_when("in 40 minutes", "UTC", NOW), "UTC", NOW) == "Friday 4 December 2026 at 16:10 (UTC), in 40 minutes"


def test_daylight_saving_time_is_respected():
    now = datetime(2026, 3, 20, 12, 0, tzinfo=timezone.utc)
    assert parse_when("2026-03-30 09:00", "Europe/Madrid", now) == datetime(2026, 3, 30, 7, 0, tzinfo=timezone.utc)  # CEST
    assert parse_when("2026-03-27 09:00", "Europe/Madrid", now) == datetime(2026, 3, 27, 8, 0, tzinfo=timezone.utc)  # CET
