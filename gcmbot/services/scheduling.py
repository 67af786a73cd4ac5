"""When a scheduled broadcast goes out: parse what an admin types (in their timezone); saying it back
in plain words is gcmbot.render.when's. Pure functions: no database, no clock (`now` is passed in), no Telegram.

Accepted (case-insensitive; the time is 24-hour HH:MM or H:MM, or H alone for a full hour):
    2026-12-10 14:00      10.12.2026 14:00     10/12/2026 14:00 (day first)     10 Dec 14:00
    today 18:00           tomorrow 9:00        friday 10:00 (the next Friday)   in 2 hours / in 30 minutes
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from gcmbot.i18n import N_

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
MAX_AHEAD = timedelta(days=366)
MIN_AHEAD = timedelta(minutes=1)

_TIME = r"(?P<h>\d{1,2})(?::(?P<m>\d{2}))?"
_PATTERNS = [
    re.compile(rf"^(?P<y>\d{{4}})-(?P<mo>\d{{1,2}})-(?P<d>\d{{1,2}})(?:[ t]+{_TIME})?$"),
    re.compile(rf"^(?P<d>\d{{1,2}})[./](?P<mo>\d{{1,2}})(?:[./](?P<y>\d{{2,4}}))?\.?\s+{_TIME}$"),
    re.compile(rf"^(?P<d>\d{{1,2}})\s+(?P<mon>[a-z]{{3}})[a-z]*\.?(?:\s+(?P<y>\d{{4}}))?\s+{_TIME}$"),
    re.compile(rf"^(?P<rel>today|tomorrow)\s+(?:at\s+)?{_TIME}$"),
    re.compile(rf"^(?:next\s+)?(?P<wd>{'|'.join(WEEKDAYS)})\s+(?:at\s+)?{_TIME}$"),
]
_IN = re.compile(r"^in\s+(?P<n>\d{1,4})\s*(?P<unit>minutes?|mins?|m|hours?|h|days?|d)$")


class BadTime(ValueError):
    """What the admin typed is not a time we understand, or it is in the past / too far ahead.
    `reason` is an English msgid with `{placeholders}` filled from `values` (translate, then format)."""

    def __init__(self, reason: str, **values: object) -> None:
        self.reason, self.values = reason, values
        super().__init__(reason.format(**values))

    def translated(self, gettext) -> str:
        return gettext(self.reason).format(**self.values)


FORMAT_HINT = N_("write a date and time like 2026-12-10 14:00, tomorrow 9:00, friday 10:00 or in 2 hours")
NOT_A_TIME = N_("{time} is not a time of day (00:00 to 23:59)")
NOT_A_MONTH = N_("“{name}” is not a month (jan … dec)")
NO_SUCH_DAY = N_("there is no such day")
PASSED = N_("that time has passed: choose a moment at least a minute from now")
TOO_FAR = N_("that is more than a year ahead")


def zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return ZoneInfo("UTC")


def parse_when(text: str, tz: str, now: datetime) -> datetime:
    """The moment `text` means, seen in timezone `tz`, as an aware UTC datetime. BadTime otherwise."""
    zi, now = zone(tz), now.astimezone(timezone.utc)
    local_now = now.astimezone(zi)
    raw = " ".join(text.strip().lower().split())
    m = _IN.match(raw)
    if m:
        n, unit = int(m.group("n")), m.group("unit")[0]
        at = now + {"m": timedelta(minutes=n), "h": timedelta(hours=n), "d": timedelta(days=n)}[unit]
        return _check(at, now)
    for pattern in _PATTERNS:
        m = pattern.match(raw)
        if m:
            break
    else:
        raise BadTime(FORMAT_HINT)
    groups = m.groupdict()
    hour = int(groups["h"]) if groups.get("h") is not None else 9  # a date alone: 09:00 (said back before confirming)
    minute = int(groups.get("m") or 0)
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        raise BadTime(NOT_A_TIME, time=f"{hour}:{minute:02d}")
    if groups.get("rel"):
        day = local_now.date() + timedelta(days=1 if groups["rel"] == "tomorrow" else 0)
    elif groups.get("wd"):
        ahead = (WEEKDAYS.index(groups["wd"]) - local_now.weekday()) % 7
        day = local_now.date() + timedelta(days=ahead)
        if ahead == 0 and time(hour, minute) <= local_now.time():
            day += timedelta(days=7)  # "friday 10:00" said on a Friday afternoon: next week
    else:
        if groups.get("mon"):
            if groups["mon"] not in MONTHS:
                raise BadTime(NOT_A_MONTH, name=groups["mon"])
            month = MONTHS.index(groups["mon"]) + 1
        else:
            month = int(groups["mo"])
        year = int(groups["y"]) if groups.get("y") else local_now.year
        if year < 100:
            year += 2000
        try:
            day = date(year, month, int(groups["d"]))
        except ValueError:
            raise BadTime(NO_SUCH_DAY) from None
        if not groups.get("y") and datetime.combine(day, time(hour, minute), zi) <= local_now:
            day = day.replace(year=day.year + 1)  # "10 Jan 9:00" in December: next January
    # fold=0: a wall-clock time repeated by a DST change is its first occurrence.
    at = datetime.combine(day, time(hour, minute)).replace(tzinfo=zi).astimezone(timezone.utc)
    return _check(at, now)


def _check(at: datetime, now: datetime) -> datetime:
    if at < now + MIN_AHEAD:
        raise BadTime(PASSED)
    if at > now + MAX_AHEAD:
        raise BadTime(TOO_FAR)
    return at
