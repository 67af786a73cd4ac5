"""An event's lifecycle and yearly events: pure helpers shared by answers, digests and calendars.

An event's `status` says what the record knows of it as of `as_of`:

- `expected`: announced or forecast by a source, not (yet) confirmed ("is expected in 2030");
- `confirmed`: dated by its organisers ("will take place on 18 December 2026");
- `held`: it happened ("took place on 10–11 December 2018");
- `moved`: its dates or place changed; the event shows the new ones ("was moved to …");
- `cancelled`: it will not take place ("was cancelled").

A forecast that did not happen stays on the event as `history` ("First planned for New
York in September 2018"), while its dates and place are what happened.

A `recurs: yearly` event (International Migrants Day) stands for one occurrence a year from
its `start` day on; `expand_yearly` turns it into the occurrences around `today`.
"""

from __future__ import annotations

from datetime import date
from typing import Callable, Iterable, TypeVar

STATUSES = ("expected", "confirmed", "held", "moved", "cancelled")
YEARLY = "yearly"

T = TypeVar("T")


def yearly_on(first: date, year: int) -> date:
    """The day of a yearly event in `year` (29 February falls on 28 February in other years)."""
    try:
        return first.replace(year=year)
    except ValueError:
        return first.replace(year=year, day=28)


def occurrence_status(day: date, today: date) -> str:
    return "held" if day < today else "confirmed"


def expand_yearly(events: Iterable[T], today: date, make: Callable[[T, date, str], T], *, years_back: int = 1, years_ahead: int = 1) -> list[T]:
    """Every event, with each yearly one replaced by its occurrences from `years_back` years
    before `today`'s year to `years_ahead` after (never before its first year).

    `make(event, day, occurrence_id)` builds one occurrence; ids are `<id>-<year>`, so
    reminders and calendar entries of different years never collide."""
    out: list[T] = []
    for event in events:
        if getattr(event, "recurs", None) != YEARLY:
            out.append(event)
            continue
        first = first_day(event)
        for year in range(max(first.year, today.year - years_back), today.year + years_ahead + 1):
            day = yearly_on(first, year)
            out.append(make(event, day, f"{event.id}-{year}"))
    return out


def first_day(event) -> date:
    start = event.start
    return getattr(start, "value", start)


def is_active(event) -> bool:
    """Shown as something to attend or watch: not cancelled."""
    return getattr(event, "status", "confirmed") != "cancelled"
