"""Who is due for what at `now`: the digest and reminder planner. Pure (no database, no clock, no Telegram).

`digest_candidates` / `due_digests`: subscribers whose weekly slot (local weekday and
hour) has come this ISO week, whose week is not done (its dedup key is not queued) and
who did not join after the slot. `reminder_candidates` / `due_reminders`: events that
start in 1..reminder_days local days for subscribers with reminders on, once per event.
The service (services/digest.py) reads the inputs from the store and queues the results.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from gcmbot.content.events import EventView
from gcmbot.content.lifecycle import is_active
from gcmbot.services.digest_select import as_utc, event_in, local_today, zone
from gcmbot.services.subscriptions import Subscription


def period_key(now: datetime, tz: str) -> str:
    """The ISO week of `now` in the timezone, e.g. "2026-W48"."""
    year, week, _ = as_utc(now).astimezone(zone(tz)).isocalendar()
    return f"{year}-W{week:02d}"


def scheduled_at(now: datetime, tz: str, weekday: int, hour: int) -> datetime:
    """This week's slot (the ISO week `now` falls in, locally), as an aware datetime."""
    local = as_utc(now).astimezone(zone(tz))
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
        local = as_utc(now).astimezone(zone(sub.timezone))
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
        if since is not None and as_utc(since) > scheduled_at(now, sub.timezone, sub.digest_weekday, sub.digest_hour):
            continue
        due.append(cand)
    return due


@dataclass(frozen=True)
class DueReminder:
    subscription: Subscription
    event: EventView
    key: str
    days_left: int


def reminder_candidates(events: Iterable[EventView], now: datetime, max_days: int) -> list:
    """Events that could need a reminder within `max_days` in some timezone: known to the day or
    month, and not cancelled."""
    events = [e for e in events if is_active(e)]
    # Local "today" is at most a day away from UTC's.
    low = as_utc(now).date()
    high = low + timedelta(days=max_days + 1)
    return [e for e in events if e.start.precision in ("day", "month") and low <= e.sort_day <= high]


def due_reminders(
    subscriptions: Iterable[Subscription], events: Iterable[EventView], now: datetime, already_queued: set[str] | frozenset[str]
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
            days_left = (event.sort_day - today).days
            if not 0 < days_left <= sub.reminder_days or not event_in(sub.segment, event):
                continue
            key = reminder_key(event.id, sub.chat_id)
            if key not in already_queued:
                due.append(DueReminder(sub, event, key, days_left))
    return due

