"""Dates known to a day, a month ("September 2017", "late November 2017") or a year."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date

from babel.dates import format_date, format_interval, format_skeleton

from gcmbot.i18n import N_, translator

PARTS = ("early", "mid", "late")
_PATTERN = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


@dataclass(frozen=True, order=True)
class PartialDate:
    """A date at a stated precision. `value` is the first day it can mean."""

    value: date
    precision: str = "day"  # day, month, year
    part: str | None = None  # early, mid, late — only with month precision

    @classmethod
    def parse(cls, raw: object, part: object = None) -> PartialDate:
        """Parse `2017-05-08`, `2017-09` or `2018`; raise ValueError with a readable reason."""
        if isinstance(raw, date):
            value, precision = raw, "day"
        else:
            text = str(raw).strip()
            m = _PATTERN.match(text)
            if not m:
                raise ValueError(f"{text!r} is not a date: write YYYY-MM-DD, YYYY-MM or YYYY")
            year, month, day = m.groups()
            try:
                if day:
                    value, precision = date(int(year), int(month), int(day)), "day"
                elif month:
                    value, precision = date(int(year), int(month), 1), "month"
                else:
                    value, precision = date(int(year), 1, 1), "year"
            except ValueError as exc:
                raise ValueError(f"{text!r} is not a real date ({exc})") from None
        if part is not None:
            if part not in PARTS:
                raise ValueError(f"part must be one of {', '.join(PARTS)}, not {part!r}")
            if precision != "month":
                raise ValueError("part (early/mid/late) only goes with a month, like 2017-11")
        return cls(value, precision, part)  # type: ignore[arg-type]

    @property
    def last_day(self) -> date:
        """The last day this date can mean (for "is it over yet?")."""
        if self.precision == "day":
            return self.value
        if self.precision == "year":
            return date(self.value.year, 12, 31)
        days = calendar.monthrange(self.value.year, self.value.month)[1]
        if self.part == "early":
            return self.value.replace(day=10)
        if self.part == "mid":
            return self.value.replace(day=20)
        return self.value.replace(day=days)

    @property
    def sort_day(self) -> date:
        """A representative day for ordering ("late November" sorts after 20 November)."""
        if self.precision == "month" and self.part:
            return self.value.replace(day={"early": 1, "mid": 11, "late": 21}[self.part])
        return self.value

    def iso(self) -> str:
        if self.precision == "day":
            return self.value.isoformat()
        if self.precision == "month":
            return self.value.strftime("%Y-%m")
        return str(self.value.year)

    def __str__(self) -> str:
        return format_range(self, None)


_PART_TEXTS = {"early": N_("early {month}"), "mid": N_("mid {month}"), "late": N_("late {month}")}


def format_range(start: PartialDate, end: PartialDate | None, locale: str | None = None) -> str:
    """Render like the documents do: "8–9 May 2017", "30 June – 1 July 2017", "late November 2017".

    With a `locale` other than English, Babel formats for it at the same precision:
    "8–9 de mayo de 2017", "septiembre de 2017", "finales de noviembre de 2017".
    """
    if locale and locale != "en":
        return _format_localized(start, end, locale)
    if start.precision == "year":
        return str(start.value.year) if not end or end.value.year == start.value.year else f"{start.value.year}–{end.value.year}"
    if start.precision == "month":
        month = f"{calendar.month_name[start.value.month]} {start.value.year}"
        text = f"{start.part} {month}" if start.part else month
        if end and (end.value.year, end.value.month) != (start.value.year, start.value.month):
            text = f"{text} – {format_range(end, None)}"
        return text
    s = start.value
    if end is None or end.precision != "day" or end.value == s:
        return f"{s.day} {calendar.month_name[s.month]} {s.year}"
    e = end.value
    if (s.year, s.month) == (e.year, e.month):
        return f"{s.day}–{e.day} {calendar.month_name[s.month]} {s.year}"
    if s.year == e.year:
        return f"{s.day} {calendar.month_name[s.month]} – {e.day} {calendar.month_name[e.month]} {s.year}"
    return f"{s.day} {calendar.month_name[s.month]} {s.year} – {e.day} {calendar.month_name[e.month]} {e.year}"


def format_day(value: date, locale: str | None = None) -> str:
    """A single day: "8 May 2017" / "8 de mayo de 2017" / "8 mai 2017"."""
    if not locale or locale == "en":
        return f"{value.day} {calendar.month_name[value.month]} {value.year}"
    return format_date(value, "long", locale=locale)


def _format_localized(start: PartialDate, end: PartialDate | None, locale: str) -> str:
    if start.precision == "year":
        if not end or end.value.year == start.value.year:
            return str(start.value.year)
        return f"{start.value.year}–{end.value.year}"
    if start.precision == "month":
        text = format_skeleton("yMMMM", start.value, locale=locale)
        if start.part:
            text = translator(locale).gettext(_PART_TEXTS[start.part]).format(month=text)
        if end and (end.value.year, end.value.month) != (start.value.year, start.value.month):
            text = f"{text} – {format_range(end, None, locale)}"
        return text
    if end is None or end.precision != "day" or end.value == start.value:
        return format_day(start.value, locale)
    s, e = start.value, end.value
    if (s.year, s.month) == (e.year, e.month):
        return format_interval(s, e, "yMMMMd", locale=locale)  # "8–9 de mayo de 2017"
    if s.year == e.year:  # full month names, as in English: "30 juin – 1 juillet 2017"
        return f"{format_skeleton('MMMMd', s, locale=locale)} – {format_day(e, locale)}"
    return f"{format_day(s, locale)} – {format_day(e, locale)}"
