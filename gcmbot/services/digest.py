"""The weekly digest, event reminders and the events list.

Split like the feeds: the pure parts (no database, no clock, no Telegram) are
`digest_select` (`select_digest`: what a segment gets) and `digest_schedule` (the
planner: `due_digests` / `due_reminders`, who is due for what at `now`).
`DigestService` (here) runs them over the database and queues the results in the
outbox, the one sending path, in words made by the `DigestRenderer` it is given
(gcmbot.render.digest: services never build text for people). On demand it
returns data (`DigestView`, `EventsView`) that the caller renders.

At most once per subscriber per week: a digest's outbox rows carry the dedup key
`digest:<ISO week in the subscriber's timezone>:<chat id>` (further parts get
`:2`, `:3`, …). Rows are queued in one transaction before anything is sent, and
the key is unique, so re-running a tick (after a crash, a restart, or from cron
while the bot runs) never queues a week twice, and a queued digest is delivered
by the worker even if the process dies right after queuing. A week with nothing
to say (and a subscriber who did not ask for "nothing new" messages) gets a
`skipped` row under the same key, so the week counts as done.

A digest is due from the subscriber's weekday and hour (local time) until the
end of that ISO week, so a bot that was down at the scheduled time catches up
on its first tick after start, but never sends last week's digest next week. A
subscriber who joined after this week's slot gets their first digest next week.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from types import SimpleNamespace
from typing import Protocol

from gcmbot.content.events import EventView, with_occurrences
from gcmbot.content.lifecycle import is_active
from gcmbot.content.loader import UPCOMING_WINDOW_DAYS, next_occurrence_within, record_warnings
from gcmbot.services.digest_schedule import digest_candidates, digest_key, due_digests, due_reminders, reminder_candidates
from gcmbot.services.digest_select import (
    DEFAULT_SINCE,
    DigestContent,
    as_utc,
    event_in,
    local_today,
    never_silent,
    past_events,
    select_digest,
    upcoming_events,
    zone,
)
from gcmbot.services.subscriptions import Segment, Subscription, Subscriptions
from gcmbot.store import Database
from gcmbot.store import digest as store
from gcmbot.store import outbox

log = logging.getLogger(__name__)

RECENT_ITEMS_SCAN = 200  # how many of the newest items are read to find a segment's
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(frozen=True)
class DigestView:
    """A digest ready to be put into words (gcmbot.render.digest): what was selected, for whom."""

    content: DigestContent
    tz: str = "UTC"
    language: str = "en"
    feed_names: Mapping[str, str] = field(default_factory=dict)
    send_empty: bool = False  # a week with nothing new still gets a message
    preview: bool = False  # /digest and the CLI: "Preview of your weekly digest"
    bot_username: str | None = None  # for the forward-safe start link (services.sharing)
    segment: Segment = field(default_factory=Segment)


@dataclass(frozen=True)
class EventsView:
    """The /events list: events soonest (or, past, latest) first; `fallback` as never_silent gives it."""

    events: Sequence
    past: bool = False
    language: str = "en"
    fallback: tuple = ()


@dataclass(frozen=True)
class CalendarView:
    """The events of a calendar file (gcmbot.render.calendar writes the .ics)."""

    events: Sequence
    now: datetime
    language: str = "en"
    name: str | None = None  # default: "Global Compact for Migration" in `language`
    refresh_hours: int | None = None  # a subscribed feed: how often calendar apps refresh


class DigestRenderer(Protocol):
    """The words of what DigestService queues; gcmbot.app passes gcmbot.render.digest.RENDERER."""

    def digest(self, view: DigestView, blocks: dict) -> list[str]:
        """Messages of a digest ([] when empty and not wanted); `blocks` memoises items across one run."""
        ...

    def reminder(self, event: object, days_left: int, language: str) -> str: ...

    def record_warnings(self, warnings: Sequence[str], language: str) -> str: ...


# --- the service --------------------------------------------------------------------


@dataclass
class TickReport:
    digests: int = 0  # subscribers whose digest was queued
    messages: int = 0  # outbox rows queued for them (a long digest is several)
    empty: int = 0  # weeks with nothing to say, skipped as the subscriber asked
    reminders: int = 0
    segments: int = 0  # distinct renderings: the cost driver

    def __str__(self) -> str:
        return (
            f"queued {self.digests} digest(s) in {self.messages} message(s) from {self.segments} rendering(s), "
            f"{self.reminders} reminder(s); {self.empty} empty digest(s) skipped"
        )


def _snapshot(rows: Iterable) -> list[SimpleNamespace]:
    """Plain copies of database rows: attribute reads on ORM rows are ~10x slower, and a tick
    reads every row once per distinct segment."""
    return [SimpleNamespace(**(row.model_dump() if hasattr(row, "model_dump") else dict(vars(row)))) for row in rows]


def _event_views(events: Iterable[EventView], today: date) -> list[EventView]:
    """The stored events, each yearly one as its occurrences around `today`."""
    return with_occurrences(events, today)


@dataclass
class _Content:
    events: list
    statements: list
    feed_items: list
    feed_names: dict[str, str] = field(default_factory=dict)
    recent_items: list = field(default_factory=list)  # newest feed items, for a week with nothing new


class DigestService:
    def __init__(self, db: Database, subscriptions: Subscriptions, *, render: DigestRenderer, admin_ids: Iterable[int] = ()) -> None:
        self.db = db
        self.subscriptions = subscriptions
        self.render = render
        self.admin_ids = tuple(sorted(admin_ids))
        self._record_checked: str | None = None  # ISO week of the last check of the record
        self._done: set[str] = set()  # dedup keys known to be in the outbox (saves queries each tick)
        self._subs: tuple[tuple, list[Subscription]] | None = None
        self.bot_username: str | None = None  # for the forward-safe start link; set by the bot from getMe

    # --- reading content ---

    def _content(self, since: datetime, now: datetime) -> _Content:
        with self.db.session() as s:
            return _Content(
                _event_views(store.events(s), as_utc(now).date()), _snapshot(store.statements_seen_since(s, since)),
                _snapshot(store.feed_items_seen_since(s, since)), store.feed_names(s),
                _snapshot(store.recent_feed_items(s, RECENT_ITEMS_SCAN)),
            )

    def _events(self, now: datetime) -> list:
        with self.db.session() as s:
            return _event_views(store.events(s), as_utc(now).date())

    # --- the weekly run ---

    def send_due(self, now: datetime) -> TickReport:
        """One scheduling tick: queue every due digest and reminder in the outbox."""
        now = as_utc(now)
        report = TickReport()
        subs = self._active_subscriptions()
        self._queue_digests(subs, now, report)
        self._queue_reminders(subs, now, report)
        self._queue_record_warnings(now)
        if len(self._done) > 500_000:
            self._done.clear()
        if report.digests or report.reminders or report.empty:
            log.info("digest tick: %s", report)
        return report

    def record_warnings(self, now: datetime) -> list[str]:
        """What an editor should check in the event record today (the same checks as
        `gcmbot content check`): past events still expected or confirmed, old forecasts,
        nothing in the next 90 days."""
        today = as_utc(now).date()
        rows = self._events(now)
        warnings = [w for e in rows for w in record_warnings(e, today)]
        if rows and next_occurrence_within(rows, today, UPCOMING_WINDOW_DAYS) is None:
            warnings.append(f"no event in the next {UPCOMING_WINDOW_DAYS} days: the calendar will look empty; add what is coming")
        return warnings

    def _queue_record_warnings(self, now: datetime) -> None:
        """Once a week, while the record has warnings, tell the admins (key `record:<week>:<admin>`)."""
        week = "%d-W%02d" % as_utc(now).isocalendar()[:2]
        if not self.admin_ids or self._record_checked == week:
            return
        self._record_checked = week
        warnings = self.record_warnings(now)
        if not warnings:
            return
        texts = {a: self.render.record_warnings(warnings, self.subscriptions.language_of(a)) for a in self.admin_ids}
        with self.db.session() as s:
            queued = outbox.enqueue(s, [outbox.Outgoing(a, "admin", f"record:{week}:{a}", texts[a]) for a in self.admin_ids])
        if queued:
            log.warning("event record needs attention: %d warning(s); admins told", len(warnings))

    def _active_subscriptions(self) -> list[Subscription]:
        """All active subscriptions, reloaded only when one changed since the last tick
        (loading 10 000 of them costs most of an idle tick)."""
        with self.db.session() as s:
            version = store.subscribers_version(s)
        if self._subs is None or self._subs[0] != version:
            self._subs = (version, self.subscriptions.active())
        return self._subs[1]

    def _queued(self, keys: Iterable[str]) -> set[str]:
        keys = set(keys)
        unknown = keys - self._done
        if unknown:
            with self.db.session() as s:
                self._done |= outbox.already_queued(s, unknown)
        return keys & self._done

    def _queue_digests(self, subs: list[Subscription], now: datetime, report: TickReport) -> None:
        candidates = digest_candidates(subs, now)
        if not candidates:
            return
        queued = self._queued(c.key for c in candidates)
        waiting = [c.subscription for c in candidates if c.key not in queued]
        if not waiting:
            return
        with self.db.session() as s:
            joined = store.created_at(s, [x.chat_id for x in waiting])
            last = store.last_digest_created(s, [x.chat_id for x in waiting])
        due = due_digests(waiting, now, queued, joined)
        if not due:
            return
        # "Since the last digest": the `now` of the run that queued the last digest the chat
        # received. A run queues all its digests with one timestamp, so subscribers queued
        # together share it (and one rendering per segment) next week too.
        since_of = {d.subscription.chat_id: last.get(d.subscription.chat_id) or now - DEFAULT_SINCE for d in due}
        content = self._content(min(since_of.values()), now)
        cache: dict[tuple, list[str]] = {}
        blocks: dict = {}
        messages: list[outbox.Outgoing] = []
        skipped: list[tuple[int, str, str, str]] = []
        for d in due:
            sub = d.subscription
            since = since_of[sub.chat_id]
            # Timezones at the same UTC offset now see the same week: one rendering for all of them.
            offset = as_utc(now).astimezone(zone(sub.timezone)).utcoffset()
            key = (sub.segment.key, sub.language, offset, since, sub.send_empty_digest)
            texts = cache.get(key)
            if texts is None:
                selected = select_digest(sub.segment, content.events, content.statements, content.feed_items, now, since, tz=sub.timezone)
                view = DigestView(
                    selected, tz=sub.timezone, language=sub.language, feed_names=content.feed_names,
                    send_empty=sub.send_empty_digest, bot_username=self.bot_username, segment=sub.segment,
                )
                texts = cache[key] = self.render.digest(view, blocks)
            if not texts:
                skipped.append((sub.chat_id, "digest", d.key, "nothing new; the subscriber skips empty digests"))
                report.empty += 1
                continue
            quiet = sub.digest_quietly(now)
            messages += [
                outbox.Outgoing(sub.chat_id, "digest", digest_key(d.period, sub.chat_id, i), t, silent=quiet) for i, t in enumerate(texts, 1)
            ]
            report.digests += 1
        with self.db.session() as s:  # one transaction: a digest is queued whole or not at all
            report.messages = outbox.enqueue(s, messages, created_at=now)
            store.mark_done_without_sending(s, skipped)
        report.segments = len(cache)
        self._done |= {d.key for d in due}

    def _queue_reminders(self, subs: list[Subscription], now: datetime, report: TickReport) -> None:
        subs = [s for s in subs if s.reminders]
        if not subs:
            return
        events = reminder_candidates(self._events(now), now, max(s.reminder_days for s in subs))
        if not events:
            return
        due = due_reminders(subs, events, now, frozenset())
        if not due:
            return
        queued = self._queued(d.key for d in due)
        due = [d for d in due if d.key not in queued]
        texts: dict[tuple[str, int, str], str] = {}
        messages = []
        for d in due:
            key = (d.event.id, d.days_left, d.subscription.language)
            text = texts.get(key) or texts.setdefault(key, self.render.reminder(d.event, d.days_left, d.subscription.language))
            messages.append(outbox.Outgoing(d.subscription.chat_id, "reminder", d.key, text))
        with self.db.session() as s:
            report.reminders = outbox.enqueue(s, messages)
        self._done |= {d.key for d in due}

    # --- on demand (/digest, /events, /calendar, the CLI) ---

    def _who(self, chat_id: int | None) -> tuple[Segment, str, str]:
        sub = self.subscriptions.get(chat_id) if chat_id is not None else None
        if sub is None:
            return Segment(), "UTC", "en"
        return sub.segment, sub.timezone, sub.language

    def since_for(self, chat_id: int, now: datetime) -> datetime:
        with self.db.session() as s:
            last = store.last_digest_created(s, [chat_id]).get(chat_id)
        return last or as_utc(now) - DEFAULT_SINCE

    def preview(self, chat_id: int, now: datetime) -> DigestView:
        """The digest this chat would get now (the /digest command): always says something."""
        segment, tz, language = self._who(chat_id)
        return self.preview_segment(segment, now, tz=tz, language=language, since=self.since_for(chat_id, now))

    def preview_segment(
        self, segment: Segment, now: datetime, *, tz: str = "UTC", language: str = "en", since: datetime | None = None
    ) -> DigestView:
        now = as_utc(now)
        since = as_utc(since) if since else now - DEFAULT_SINCE
        content = self._content(since, now)
        selected = select_digest(segment, content.events, content.statements, content.feed_items, now, since, tz=tz,
                                 recent_items=content.recent_items)
        return DigestView(
            selected, tz=tz, language=language, feed_names=content.feed_names, send_empty=True, preview=True,
            bot_username=self.bot_username, segment=segment,
        )

    def events_list(self, chat_id: int | None, now: datetime, *, past: bool = False) -> EventsView:
        segment, tz, language = self._who(chat_id)
        today = local_today(now, tz)
        events = self._events(now)
        chosen = past_events(segment, events, today) if past else upcoming_events(segment, events, today)
        fallback = () if past or chosen else never_silent(segment, events, today)
        return EventsView(chosen, past=past, language=language, fallback=fallback)

    def calendar(self, chat_id: int | None, now: datetime) -> CalendarView:
        """The /calendar file's events: this chat's choices, in its language."""
        segment, _, language = self._who(chat_id)
        return CalendarView([e for e in self._events(now) if event_in(segment, e) and is_active(e)], as_utc(now), language=language)

    def calendar_feed(self, segment: Segment, now: datetime, *, name: str, refresh_hours: int = 6) -> CalendarView:
        """The public subscribed calendar of a segment (GET /calendar/<segment>.ics): nothing about any chat."""
        return CalendarView([e for e in self._events(now) if event_in(segment, e) and is_active(e)], as_utc(now), name=name,
                            refresh_hours=refresh_hours)
