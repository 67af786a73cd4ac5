"""One typed view of an event, whatever it was read from (issue 21).

The content loader builds `EventView`s from content/events.yaml; the store's rows become
the same views through `event_view(row)`, the one place an event's dates are rebuilt as
`PartialDate`s from their columns. Digests, reminders, calendars and answers all read
these views: a yearly event becomes its occurrences in one place (`with_occurrences`), and
a field is shown in a language through one helper (`translated`: the translation, else English).
Pure: no database, no clock.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from gcmbot.content.dates import PartialDate
from gcmbot.content.lifecycle import expand_yearly, occurrence_status

GLOBAL = "global"


def translated(entry: Any, name: str, language: str | None = "en") -> str:
    """A content field in `language` where the entry's `translations` have it, else English (never marked)."""
    value = getattr(entry, name, None) or ""
    if language and language != "en":
        value = ((getattr(entry, "translations", None) or {}).get(name) or {}).get(language) or value
    return value


@dataclass(frozen=True)
class EventView:
    """An event of the record: a consultation, a review, a day to mark."""

    id: str
    title: str
    kind: str
    start: PartialDate
    end: PartialDate | None = None
    topics: tuple[str, ...] = ()
    theme: str = ""
    place: str = ""
    country: str = ""
    region: str = GLOBAL
    organiser: str = ""
    participation: str = ""
    source: str = ""  # the source's id (content/sources.yaml)
    note: str = ""
    # {field: {language: text}}: the `translations` of the entry (English is the field itself)
    translations: dict = field(default_factory=dict, hash=False, compare=False)
    status: str = "confirmed"  # expected, confirmed, held, moved, cancelled (content/lifecycle.py)
    as_of: date | None = None  # when the record was last checked against its source
    history: str = ""  # what was planned before ("first planned for New York in September 2018")
    recurs: str | None = None  # "yearly": the same day every year from `start`
    source_title: str = ""  # the source's title and link, where the reader looked them up (answers)
    source_url: str = ""
    # Computed once: a digest tick compares every event's days once per distinct segment.
    last_day: date = field(init=False, compare=False, repr=False)
    sort_day: date = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "last_day", (self.end or self.start).last_day)
        object.__setattr__(self, "sort_day", self.start.sort_day)

    def tense(self, today: date) -> str:
        """past, now or future, relative to `today`."""
        if self.last_day < today:
            return "past"
        if self.start.value > today:
            return "future"
        return "now"

    def text(self, name: str, language: str | None = "en") -> str:
        return translated(self, name, language)


def event_dates(row: Any) -> tuple[PartialDate, PartialDate | None]:
    """An event's start and end as PartialDates, from the store's columns (start, start_precision,
    part, end, end_precision) or from a view (which has them already)."""
    if isinstance(row.start, PartialDate):
        return row.start, row.end
    start = PartialDate(row.start, row.start_precision or "day", row.part)
    end = PartialDate(row.end, row.end_precision or "day") if row.end else None
    return start, end


def event_view(row: Any, sources: Mapping[str, Any] | None = None) -> EventView:
    """The view of a stored event row (models.Event); `sources` (id → Source row) fills in the
    source's title and link."""
    start, end = event_dates(row)
    source = (sources or {}).get(row.source) if row.source else None
    return EventView(
        id=row.id, title=row.title, kind=row.kind, start=start, end=end, topics=tuple(row.topics or ()), theme=row.theme or "",
        place=row.place or "", country=row.country or "", region=row.region or GLOBAL, organiser=row.organiser or "",
        participation=row.participation or "", source=row.source or "", note=row.note or "", translations=row.translations or {},
        status=row.status or "confirmed", as_of=row.as_of, history=row.history or "", recurs=row.recurs,
        source_title=getattr(source, "title", "") or "", source_url=getattr(source, "url", "") or "",
    )


def occurrence(event: EventView, day: date, ident: str, today: date) -> EventView:
    """One year's occurrence of a yearly event: that day, held or to come."""
    return dataclasses.replace(event, id=ident, start=PartialDate(day), end=None, recurs=None, status=occurrence_status(day, today))


def with_occurrences(events: Iterable[EventView], today: date) -> list[EventView]:
    """The events, each yearly one replaced by its occurrences around `today` (content/lifecycle.py)."""
    return expand_yearly(events, today, lambda e, day, ident: occurrence(e, day, ident, today))
