"""The weekly digest, event reminders and the events list.

Pure parts (no database, no clock, no Telegram): `select_digest` picks what a
segment gets, `due_digests` / `due_reminders` decide who is due at `now`.
`DigestService` runs them over the database and queues the results in the
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

import dataclasses
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from functools import lru_cache
from types import SimpleNamespace
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from gcmbot.content.dates import PartialDate
from gcmbot.content.lifecycle import expand_yearly, is_active
from gcmbot.content.loader import UPCOMING_WINDOW_DAYS, next_occurrence_within, record_warnings
from gcmbot.services.subscriptions import Segment, Subscription, Subscriptions
from gcmbot.store import Database
from gcmbot.store import digest as store
from gcmbot.store import outbox

log = logging.getLogger(__name__)

WEEKS = 8
RECENT_ITEMS = 5  # newest feed documents shown in a week with nothing new
RECENT_ITEMS_SCAN = 200  # how many of the newest items are read to find a segment's
DEFAULT_SINCE = timedelta(days=7)
STALE_AFTER = timedelta(days=7)
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


# --- small helpers ----------------------------------------------------------------


@lru_cache(maxsize=512)
def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value


def event_dates(event) -> tuple[PartialDate, PartialDate | None]:
    start = PartialDate(event.start, event.start_precision or "day", event.part)
    end = PartialDate(event.end, event.end_precision or "day") if event.end else None
    return start, end


def event_last_day(event) -> date:
    known = getattr(event, "last_day", None)  # precomputed on snapshots (see _snapshot)
    if known is not None:
        return known
    start, end = event_dates(event)
    return (end or start).last_day


def event_in(segment: Segment, event) -> bool:
    return segment.wants(regions=[event.region or "global"], topics=event.topics or ())


def _sort_key(event) -> tuple:
    known = getattr(event, "sort_day", None)
    return (known or event_dates(event)[0].sort_day, event.id)


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


def local_today(now: datetime, tz: str = "UTC") -> date:
    return _utc(now).astimezone(zone(tz)).date()


def select_digest(
    segment: Segment,
    events: Iterable,
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
    now, since = _utc(now), _utc(since)
    today = local_today(now, tz)
    horizon = today + timedelta(weeks=weeks)
    chosen_events = sorted(
        (
            e for e in events
            if e.start_precision != "year" and e.start <= horizon and event_last_day(e) >= today and event_in(segment, e)
            and is_active(e)
        ),
        key=_sort_key,
    )
    chosen_statements = sorted(
        (
            s for s in statements
            if since < _utc(s.first_seen_at) <= now and segment.wants(regions=s.regions or (), topics=s.topics or ())
        ),
        key=lambda s: (s.date, s.id),
        reverse=True,
    )
    stale = since - STALE_AFTER
    chosen_items = sorted(
        (
            i for i in feed_items
            if since < _utc(i.first_seen_at) <= now
            and (i.published_at is None or _utc(i.published_at) > stale)
            and segment.wants(regions=i.regions or (), topics=i.topics or ())
        ),
        key=lambda i: (_utc(i.published_at or i.first_seen_at), i.id or 0),
        reverse=True,
    )
    content = DigestContent(today, tuple(chosen_events), tuple(chosen_statements), tuple(chosen_items), weeks)
    if content.empty:
        # Never "nothing" alone: what comes next (for the segment, else for everyone) and the
        # newest documents the feeds brought, even if not new this week.
        ahead = never_silent(segment, events, today)
        recent = tuple(
            i for i in sorted(recent_items, key=lambda i: (_utc(i.published_at or i.first_seen_at), i.id or 0), reverse=True)
            if _utc(i.first_seen_at) <= now and segment.wants(regions=i.regions or (), topics=i.topics or ())
        )[:RECENT_ITEMS]
        content = dataclasses.replace(content, coming=ahead, recent_items=recent)
    return content


def _as_specs(rows: Iterable) -> list:
    """Snapshots seen as content specs (PartialDate start, last_day) for the record checks."""
    out = []
    for e in rows:
        start, _end = event_dates(e)
        out.append(SimpleNamespace(id=e.id, status=getattr(e, "status", "confirmed"), recurs=None, start=start, last_day=event_last_day(e)))
    return out


def never_silent(segment: Segment, events: Iterable, today: date) -> tuple:
    """What to show when nothing is ahead for a segment: ("next" or "next-any", event) for the
    next thing ahead (the segment's, else anyone's) and ("last", event) for the latest held."""
    events = [e for e in events if is_active(e)]
    ahead = sorted((e for e in events if event_last_day(e) >= today), key=_sort_key)
    mine = [e for e in ahead if event_in(segment, e)]
    out: list = []
    if mine:
        out.append(("next", mine[0]))
    elif ahead:
        out.append(("next-any", ahead[0]))
    held = sorted((e for e in events if event_last_day(e) < today and event_in(segment, e)), key=lambda e: (event_last_day(e), e.id))
    if held:
        out.append(("last", held[-1]))
    return tuple(out)


def upcoming_events(segment: Segment, events: Iterable, today: date) -> list:
    """Every event of the segment not over yet, soonest first (all precisions)."""
    return sorted((e for e in events if event_last_day(e) >= today and event_in(segment, e)), key=_sort_key)



def past_events(segment: Segment, events: Iterable, today: date) -> list:
    """Events of the segment that are over, most recent first."""
    return sorted((e for e in events if event_last_day(e) < today and event_in(segment, e)), key=_sort_key, reverse=True)


# --- scheduling decisions (pure) -----------------------------------------------------------


def period_key(now: datetime, tz: str) -> str:
    """The ISO week of `now` in the timezone, e.g. "2026-W48"."""
    year, week, _ = _utc(now).astimezone(zone(tz)).isocalendar()
    return f"{year}-W{week:02d}"


def scheduled_at(now: datetime, tz: str, weekday: int, hour: int) -> datetime:
    """This week's slot (the ISO week `now` falls in, locally), as an aware datetime."""
    local = _utc(now).astimezone(zone(tz))
    monday = local.date() - timedelta(days=local.weekday())
    return datetime.combine(monday + timedelta(days=weekday), time(hour), tzinfo=zone(tz))


def digest_key(period: str, chat_id: int, part: int = 1) -> str:
    base = f"digest:{period}:{chat_id}"
    return base if part == 1 else f"{base}:{part}"


def reminder_key(event_id: str, chat_id: int) -> str:
    return f"reminder:{event_id}:{chat_id}"


@dataclass(frozen=True)
class DueDigest:
    subscription: Subscription
    period: str
    key: str  # the first part's dedup key: present in the outbox = this week is done


def digest_candidates(subscriptions: Iterable[Subscription], now: datetime) -> list[DueDigest]:
    """Active subscribers whose slot this week has come (whether or not it was already handled)."""
    result = []
    for sub in subscriptions:
        if not sub.active or sub.digest_weekday is None:
            continue
        local = _utc(now).astimezone(zone(sub.timezone))
        slot = scheduled_at(now, sub.timezone, sub.digest_weekday, sub.digest_hour)
        if local.replace(tzinfo=None) >= slot.replace(tzinfo=None):  # wall-clock time: DST-proof
            period = period_key(now, sub.timezone)
            result.append(DueDigest(sub, period, digest_key(period, sub.chat_id)))
    return result


def due_digests(
    subscriptions: Iterable[Subscription],
    now: datetime,
    already_queued: set[str] | frozenset[str],
    joined: dict[int, datetime] | None = None,
) -> list[DueDigest]:
    """Who gets their weekly digest queued at `now`.

    Due = this week's local weekday+hour has passed, this week's key is not in
    `already_queued`, and the subscriber did not join after this week's slot
    (`joined`: chat id → subscription time; their first digest comes next week).
    """
    joined = joined or {}
    due = []
    for cand in digest_candidates(subscriptions, now):
        if cand.key in already_queued:
            continue
        sub = cand.subscription
        since = joined.get(sub.chat_id)
        if since is not None and _utc(since) > scheduled_at(now, sub.timezone, sub.digest_weekday, sub.digest_hour):
            continue
        due.append(cand)
    return due


@dataclass(frozen=True)
class DueReminder:
    subscription: Subscription
    event: object
    key: str
    days_left: int


def reminder_candidates(events: Iterable, now: datetime, max_days: int) -> list:
    """Events that could need a reminder within `max_days` in some timezone: known to the day or
    month, and not cancelled."""
    events = [e for e in events if is_active(e)]
    # Local "today" is at most a day away from UTC's.
    low = _utc(now).date()
    high = low + timedelta(days=max_days + 1)
    return [e for e in events if e.start_precision in ("day", "month") and low <= event_dates(e)[0].sort_day <= high]


def due_reminders(
    subscriptions: Iterable[Subscription], events: Iterable, now: datetime, already_queued: set[str] | frozenset[str]
) -> list[DueReminder]:
    """Reminders to queue at `now`: events in a subscriber's segment that start (locally)
    in 1..reminder_days days, for subscribers with reminders on, once per event."""
    subs = [s for s in subscriptions if s.active and s.reminders and s.reminder_days > 0]
    if not subs:
        return []
    candidates = reminder_candidates(events, now, max(s.reminder_days for s in subs))
    due = []
    for sub in subs:
        if not candidates:
            break
        today = local_today(now, sub.timezone)
        for event in candidates:
            days_left = (event_dates(event)[0].sort_day - today).days
            if not 0 < days_left <= sub.reminder_days or not event_in(sub.segment, event):
                continue
            key = reminder_key(event.id, sub.chat_id)
            if key not in already_queued:
                due.append(DueReminder(sub, event, key, days_left))
    return due


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


def _snapshot(rows: Iterable, *, events: bool = False, today: date | None = None) -> list[SimpleNamespace]:
    """Plain copies of database rows: attribute reads on ORM rows are ~10x slower, and a tick
    reads every row once per distinct segment. Events also get their last and sorting day,
    and a yearly event becomes its occurrences around `today` (content/lifecycle.py)."""
    result = []
    for row in rows:
        data = row.model_dump() if hasattr(row, "model_dump") else dict(vars(row))
        result.append(SimpleNamespace(**data))
    if events:
        if today is not None:
            result = expand_yearly(result, today, lambda e, day, ident: SimpleNamespace(**{
                **vars(e), "id": ident, "start": day, "start_precision": "day", "part": None, "end": None,
                "end_precision": None, "recurs": None, "status": "held" if day < today else "confirmed",
            }))
        for item in result:
            start, end = event_dates(item)
            item.last_day, item.sort_day = (end or start).last_day, start.sort_day
    return result


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
                _snapshot(store.events(s), events=True, today=_utc(now).date()), _snapshot(store.statements_seen_since(s, since)),
                _snapshot(store.feed_items_seen_since(s, since)), store.feed_names(s),
                _snapshot(store.recent_feed_items(s, RECENT_ITEMS_SCAN)),
            )

    def _events(self, now: datetime) -> list:
        with self.db.session() as s:
            return _snapshot(store.events(s), events=True, today=_utc(now).date())

    # --- the weekly run ---

    def send_due(self, now: datetime) -> TickReport:
        """One scheduling tick: queue every due digest and reminder in the outbox."""
        now = _utc(now)
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
        today = _utc(now).date()
        rows = self._events(now)
        warnings = [w for e in rows for w in record_warnings(e, today)]
        if rows and next_occurrence_within(_as_specs(rows), today, UPCOMING_WINDOW_DAYS) is None:
            warnings.append(f"no event in the next {UPCOMING_WINDOW_DAYS} days: the calendar will look empty; add what is coming")
        return warnings

    def _queue_record_warnings(self, now: datetime) -> None:
        """Once a week, while the record has warnings, tell the admins (key `record:<week>:<admin>`)."""
        week = "%d-W%02d" % _utc(now).isocalendar()[:2]
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
            offset = _utc(now).astimezone(zone(sub.timezone)).utcoffset()
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
        return last or _utc(now) - DEFAULT_SINCE

    def preview(self, chat_id: int, now: datetime) -> DigestView:
        """The digest this chat would get now (the /digest command): always says something."""
        segment, tz, language = self._who(chat_id)
        return self.preview_segment(segment, now, tz=tz, language=language, since=self.since_for(chat_id, now))

    def preview_segment(
        self, segment: Segment, now: datetime, *, tz: str = "UTC", language: str = "en", since: datetime | None = None
    ) -> DigestView:
        now = _utc(now)
        since = _utc(since) if since else now - DEFAULT_SINCE
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
        return CalendarView([e for e in self._events(now) if event_in(segment, e) and is_active(e)], _utc(now), language=language)

    def calendar_feed(self, segment: Segment, now: datetime, *, name: str, refresh_hours: int = 6) -> CalendarView:
        """The public subscribed calendar of a segment (GET /calendar/<segment>.ics): nothing about any chat."""
        return CalendarView([e for e in self._events(now) if event_in(segment, e) and is_active(e)], _utc(now), name=name,
                            refresh_hours=refresh_hours)
