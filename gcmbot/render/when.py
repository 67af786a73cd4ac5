"""A scheduled moment said back in plain words (services.scheduling parses what the admin typed)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from gcmbot.services.scheduling import WEEKDAYS, zone


@dataclass(frozen=True)
class When:
    at_utc: datetime
    tz: str

    def plain(self, now: datetime) -> str:
        """"Thursday 10 December 2026 at 14:00 (Africa/Nairobi, 11:00 UTC), in 5 days and 3 hours"."""
        local = self.at_utc.astimezone(zone(self.tz))
        words = f"{WEEKDAYS[local.weekday()].capitalize()} {local.day} {local:%B %Y} at {local:%H:%M} ({self.tz}"
        if self.tz != "UTC":
            words += f", {self.at_utc.astimezone(timezone.utc):%H:%M} UTC"
        return words + f"), {until(self.at_utc, now)}"


def until(at: datetime, now: datetime) -> str:
    """"in 5 days and 3 hours", "in 40 minutes"."""
    seconds = max(0, int((at - now).total_seconds()))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    parts = []
    for n, unit in ((days, "day"), (hours, "hour"), (minutes, "minute")):
        if n and len(parts) < 2:
            parts.append(f"{n} {unit}{'s' if n != 1 else ''}")
    return "in " + (" and ".join(parts) if parts else "less than a minute")


def describe(at_utc: datetime, tz: str, now: datetime, lang: str = "en") -> str:
    """The moment in plain words, in `lang` (English: When.plain; others: Babel's date and relative time)."""
    if not lang or lang == "en":
        return When(at_utc, tz).plain(now)
    from babel.dates import format_date, format_time, format_timedelta

    local = at_utc.astimezone(zone(tz))
    when = f"{format_date(local.date(), 'full', locale=lang)} {format_time(local.time(), 'HH:mm', locale=lang)}"
    if tz != "UTC":
        when += f" ({tz}, {at_utc.astimezone(timezone.utc):%H:%M} UTC)"
    else:
        when += " (UTC)"
    return f"{when}, {format_timedelta(at_utc - now, add_direction=True, locale=lang)}"
