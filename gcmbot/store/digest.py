"""Reads for digests, reminders and the calendar; the digest's bookkeeping rows in the outbox.

Feed items are written by the feeds feature; `add_feed_item` here is a minimal
writer for tests and benchmarks.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timezone

from sqlmodel import Session, col, func, select

from gcmbot.content.events import EventView, event_view
from gcmbot.models import Event, Feed, FeedItem, OutboxMessage, Statement, Subscriber, utcnow
from gcmbot.store import outbox


def aware(value: datetime | None) -> datetime | None:
    """Datetimes read back through aggregates may come without a timezone (SQLite): they are UTC."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value


def events(session: Session) -> list[EventView]:
    """Every event, as the typed view digests, reminders and calendars read (content/events.py)."""
    return [event_view(row) for row in session.exec(select(Event).order_by(Event.start, Event.id))]


def statements_seen_since(session: Session, since: datetime) -> list[Statement]:
    return list(session.exec(select(Statement).where(Statement.first_seen_at > since).order_by(Statement.first_seen_at)).all())


def feed_items_seen_since(session: Session, since: datetime) -> list[FeedItem]:
    return list(session.exec(select(FeedItem).where(FeedItem.first_seen_at > since).order_by(FeedItem.first_seen_at, FeedItem.id)).all())


def recent_feed_items(session: Session, limit: int) -> list[FeedItem]:
    """The newest feed items, whenever they were seen (for a digest week with nothing new)."""
    return list(session.exec(select(FeedItem).order_by(FeedItem.first_seen_at.desc(), FeedItem.id.desc()).limit(limit)).all())


def feed_names(session: Session) -> dict[str, str]:
    return dict(session.exec(select(Feed.id, Feed.name)).all())


def subscribers_version(session: Session) -> tuple:
    """Changes whenever any subscription changes (every change stamps updated_at; /forget changes
    the count): lets the scheduler reuse its snapshot of all subscriptions between ticks."""
    return tuple(session.exec(select(func.count(), func.max(Subscriber.updated_at))).one())


def last_digest_created(session: Session, chat_ids: Iterable[int]) -> dict[int, datetime]:
    """When the last digest each chat actually received was put together (its rows' created_at,
    which the digest run sets to its own `now`).

    Using the selection time, not the sending time, means an item seen while the
    digest waited in the queue is in the next digest rather than in none.
    """
    ids = list(chat_ids)
    found: dict[int, datetime] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        rows = session.exec(
            select(OutboxMessage.chat_id, func.max(OutboxMessage.created_at))
            .where(col(OutboxMessage.chat_id).in_(chunk), OutboxMessage.kind == "digest", OutboxMessage.status == "sent")
            .group_by(OutboxMessage.chat_id)
        ).all()
        found.update({chat_id: aware(at) for chat_id, at in rows})
    return found


def created_at(session: Session, chat_ids: Iterable[int]) -> dict[int, datetime]:
    ids = list(chat_ids)
    found: dict[int, datetime] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        rows = session.exec(select(Subscriber.chat_id, Subscriber.created_at).where(col(Subscriber.chat_id).in_(chunk))).all()
        found.update({chat_id: aware(at) for chat_id, at in rows})
    return found


def mark_done_without_sending(session: Session, entries: Iterable[tuple[int, str, str, str]]) -> int:
    """Record (chat_id, kind, dedup_key, reason) as handled without a message (e.g. an empty digest
    the subscriber does not want), so the period is not reconsidered at every tick or after a restart.
    The rows are `skipped`: the delivery worker never sends them and `last_sent_at` ignores them."""
    now = utcnow()
    rows = [
        dict(chat_id=c, kind=k, dedup_key=key, text="", broadcast_id=None, status="skipped", error=reason, attempts=0, not_before=now, created_at=now)
        for c, k, key, reason in entries
    ]
    return outbox.insert_new(session, rows)


def add_feed_item(
    session: Session,
    *,
    feed_id: str,
    key: str,
    title: str,
    link: str = "",
    published_at: datetime | None = None,
    first_seen_at: datetime | None = None,
    topics: Iterable[str] = (),
    regions: Iterable[str] = (),
) -> FeedItem:
    """Store one feed item (tests, benchmarks; the feeds feature has its own writer)."""
    item = FeedItem(
        feed_id=feed_id, key=key, title=title, link=link, published_at=published_at,
        first_seen_at=first_seen_at or utcnow(), topics=list(topics), regions=list(regions),
    )
    session.add(item)
    session.flush()
    return item
