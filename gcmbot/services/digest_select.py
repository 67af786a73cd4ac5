"""What a segment's digest and event lists hold at `now`: pure selection (no database, no clock, no Telegram).

`select_digest` picks a week's events, statements and feed items for a segment;
`never_silent` what to say when nothing is ahead; `upcoming_events` / `past_events`
the /events lists. Events are `EventView`s (content/events.py), yearly ones already expanded.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from gcmbot.content.events import EventView
from gcmbot.content.lifecycle import is_active
from gcmbot.services.subscriptions import Segment

WEEKS = 8
RECENT_ITEMS = 5  # newest feed documents shown in a week with nothing new
DEFAULT_SINCE = timedelta(days=7)
STALE_AFTER = timedelta(days=7)


# --- small helpers ----------------------------------------------------------------


@lru_cache(maxsize=512)
def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def as_utc(value: datetime) -> datetime:
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value


def event_in(segment: Segment, event: EventView) -> bool:
    return segment.wants(regions=[event.region or "global"], topics=event.topics or ())


def _sort_key(event: EventView) -> tuple:
    return (event.sort_day, event.id)


# --- selection (pure) ----------------------------------------------------------------


@dataclass(frozen=True)
class DigestContent:
    today: date
    events: tuple = ()
    statements: tuple = ()
    feed_items: tuple = ()
    weeks: int = WEEKS
    coming: tuple = ()  # when empty: (("next" | "next-any" | "last", event), …) — see never_silent
    recent_items: tuple = ()  # when empty: the newest feed items of the segment

    @property
    def empty(self) -> bool:
        return not (self.events or self.statements or self.feed_items)

    @property
    def item_count(self) -> int:
        return len(self.events) + len(self.statements) + len(self.feed_items)


def local_today(now: datetime, tz: str = "UTC") -> date:
    return as_utc(now).astimezone(zone(tz)).date()


def select_digest(
    segment: Segment,
    events: Iterable[EventView],
    statements: Iterable,
    feed_items: Iterable,
    now: datetime,
    since: datetime,
    weeks: int = WEEKS,
    *,
    tz: str = "UTC",
    recent_items: Iterable = (),
) -> DigestContent:
    """What a segment's digest holds at `now` (seen from timezone `tz`).

    - events: consultations and milestones under way or starting within `weeks`
      weeks, in the segment. Events known only to the year ("2017") are too vague
      for "the next weeks" and are left to /events and /calendar;
    - statements and feed items the bot first saw after `since` (and not after `now`);
      feed items published more than a week before `since` are old news found late (a
      feed's first poll, a feed added later) and are left out.
    """
    now, since = as_utc(now), as_utc(since)
    today = local_today(now, tz)
    horizon = today + timedelta(weeks=weeks)
    chosen_events = sorted(
        (
            e for e in events
            if e.start.precision != "year" and e.start.value <= horizon and e.last_day >= today and event_in(segment, e)
            and is_active(e)
        ),
        key=_sort_key,
    )
    chosen_statements = sorted(
        (
            s for s in statements
            if since < as_utc(s.first_seen_at) <= now and segment.wants(regions=s.regions or (), topics=s.topics or ())
        ),
        key=lambda s: (s.date, s.id),
        reverse=True,
    )
    stale = since - STALE_AFTER
    chosen_items = sorted(
        (
            i for i in feed_items
            if since < as_utc(i.first_seen_at) <= now
            and (i.published_at is None or as_utc(i.published_at) > stale)
            and segment.wants(regions=i.regions or (), topics=i.topics or ())
        ),
        key=lambda i: (as_utc(i.published_at or i.first_seen_at), i.id or 0),
        reverse=True,
    )
    content = DigestContent(today, tuple(chosen_events), tuple(chosen_statements), tuple(chosen_items), weeks)
    if content.empty:
        # Never "nothing" alone: what comes next (for the segment, else for everyone) and the
        # newest documents the feeds brought, even if not new this week.
        ahead = never_silent(segment, events, today)
        recent = tuple(
            i for i in sorted(recent_items, key=lambda i: (as_utc(i.published_at or i.first_seen_at), i.id or 0), reverse=True)
            if as_utc(i.first_seen_at) <= now and segment.wants(regions=i.regions or (), topics=i.topics or ())
        )[:RECENT_ITEMS]
        content = dataclasses.replace(content, coming=ahead, recent_items=recent)
    return content


def never_silent(segment: Segment, events: Iterable[EventView], today: date) -> tuple:
    """What to show when nothing is ahead for a segment: ("next" or "next-any", event) for the
    next thing ahead (the segment's, else anyone's) and ("last", event) for the latest held."""
    events = [e for e in events if is_active(e)]
    ahead = sorted((e for e in events if e.last_day >= today), key=_sort_key)
    mine = [e for e in ahead if event_in(segment, e)]
    out: list = []
    if mine:
        out.append(("next", mine[0]))
    elif ahead:
        out.append(("next-any", ahead[0]))
    held = sorted((e for e in events if e.last_day < today and event_in(segment, e)), key=lambda e: (e.last_day, e.id))
    if held:
        out.append(("last", held[-1]))
    return tuple(out)


def upcoming_events(segment: Segment, events: Iterable[EventView], today: date) -> list:
    """Every event of the segment not over yet, soonest first (all precisions)."""
    return sorted((e for e in events if e.last_day >= today and event_in(segment, e)), key=_sort_key)



def past_events(segment: Segment, events: Iterable[EventView], today: date) -> list:
    """Events of the segment that are over, most recent first."""
    return sorted((e for e in events if e.last_day < today and event_in(segment, e)), key=_sort_key, reverse=True)

