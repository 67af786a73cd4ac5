"""An iCalendar (RFC 5545) file of events, for /calendar.

Every event is an all-day event (DTSTART/DTEND as dates, DTEND exclusive):
- known to the day: its days ("8–9 May 2017" → 8 May to 10 May exclusive);
- known to the month: it spans the days it can mean — the whole month, or the
  1st–10th / 11th–20th / 21st–end for "early / mid / late" — and the summary
  says "(dates tbc: September 2017)", so nobody mistakes it for a month-long meeting;
- known only to the year: left out (a calendar cannot place it; /events lists it).

`render_calendar` turns the service's CalendarView into the file.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta

from icalendar import Calendar
from icalendar import Event as IcsEvent

from gcmbot.content.dates import format_range
from gcmbot.content.events import event_dates, translated
from gcmbot.i18n import N_, comma, translator
from gcmbot.services.digest import CalendarView

PRODID = "-//gcmbot//Global Compact for Migration events//EN"


def _span(event) -> tuple[date, date] | None:
    """(first day, day after the last day) or None for year-only events."""
    start, end = event_dates(event)
    if start.precision == "year":
        return None
    first = start.value
    if start.precision == "month" and start.part:
        first = start.value.replace(day={"early": 1, "mid": 11, "late": 21}[start.part])
    last = start.last_day
    if end is not None:
        last = max(last, end.last_day)
    return first, last + timedelta(days=1)


CALENDAR_NAME = N_("Global Compact for Migration")


def build_ics(
    events: Iterable, *, now: datetime, name: str | None = None, language: str = "en", refresh_hours: int | None = None
) -> bytes:
    """The calendar in `language`: titles, places, themes and dates from the content's translations.

    With `refresh_hours` it is a subscribed feed that tells calendar apps how often to refresh."""
    _ = translator(language).gettext
    name = name or _(CALENDAR_NAME)
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", name)
    if refresh_hours:
        cal.add("method", "PUBLISH")
        cal.add("refresh-interval", timedelta(hours=refresh_hours), parameters={"VALUE": "DURATION"})
        cal.add("x-published-ttl", f"PT{refresh_hours}H")
    for event in events:
        span = _span(event)
        if span is None:
            continue
        start, end = event_dates(event)
        summary = translated(event, "title", language)
        if start.precision != "day" or (end is not None and end.precision != "day"):
            summary = f"{summary} " + _("(dates tbc: {when})").format(when=format_range(start, end, language))
        item = IcsEvent()
        item.add("uid", f"{event.id}@gcmbot")
        item.add("dtstamp", now)
        item.add("summary", summary)
        item.add("dtstart", span[0])
        item.add("dtend", span[1])
        place, country = translated(event, "place", language), translated(event, "country", language)
        location = comma(language).join(x for x in (place, country) if x)
        if location:
            item.add("location", location)
        participation, organiser = translated(event, "participation", language), translated(event, "organiser", language)
        description = "\n\n".join(
            x for x in (translated(event, "theme", language),
                        _("How civil society can take part:") + f" {participation}" if participation else "",
                        _("Organiser: {organiser}").format(organiser=organiser) if organiser else "") if x
        )
        if description:
            item.add("description", description)
        item.add("transp", "TRANSPARENT")
        cal.add_component(item)
    return cal.to_ical()


def render_calendar(view: CalendarView) -> bytes:
    return build_ics(view.events, now=view.now, name=view.name, language=view.language, refresh_hours=view.refresh_hours)
