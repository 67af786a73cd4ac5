"""Feeds and their items: polling state, dedup lookups, alert bookkeeping."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from sqlmodel import Session, col, func, or_, select, update

from gcmbot.models import Feed, FeedItem


def all_feeds(session: Session) -> list[Feed]:
    return list(session.exec(select(Feed).order_by(Feed.id)).all())


def get_feed(session: Session, feed_id: str) -> Feed | None:
    return session.get(Feed, feed_id)


def pollable(session: Session) -> list[Feed]:
    """Enabled feeds still in content/."""
    return list(session.exec(select(Feed).where(Feed.enabled == True, Feed.retired == False).order_by(Feed.id)).all())  # noqa: E712


def due(session: Session, now: datetime) -> list[Feed]:
    """Enabled feeds whose next poll time has come (or was never set)."""
    return list(
        session.exec(
            select(Feed)
            .where(Feed.enabled == True, Feed.retired == False)  # noqa: E712
            .where(or_(col(Feed.next_poll_at).is_(None), col(Feed.next_poll_at) <= now))
            .order_by(Feed.id)
        ).all()
    )


def save_feed(session: Session, feed: Feed) -> None:
    session.add(feed)


def update_feed(session: Session, feed: Feed, columns: Mapping[str, object]) -> None:
    """Write a poll's outcome (services/feed_decide.FeedUpdate.columns()) on the feed."""
    for name, value in columns.items():
        if name not in Feed.model_fields:
            raise KeyError(f"Feed has no column {name!r}")
        setattr(feed, name, value)
    session.add(feed)


def item_counts(session: Session) -> dict[str, int]:
    return dict(session.exec(select(FeedItem.feed_id, func.count()).group_by(FeedItem.feed_id)).all())


def has_items(session: Session, feed_id: str) -> bool:
    return session.exec(select(FeedItem.id).where(FeedItem.feed_id == feed_id).limit(1)).first() is not None


def items_by_key(session: Session, feed_id: str, keys: Iterable[str]) -> dict[str, FeedItem]:
    """Stored items of a feed with any of these keys."""
    keys = list(dict.fromkeys(keys))
    found: dict[str, FeedItem] = {}
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        for row in session.exec(select(FeedItem).where(FeedItem.feed_id == feed_id, col(FeedItem.key).in_(chunk))):
            found[row.key] = row
    return found


def add_items(session: Session, items: Iterable[FeedItem]) -> list[FeedItem]:
    rows = list(items)
    session.add_all(rows)
    session.flush()  # assigns ids
    return rows


def unalerted(session: Session) -> list[FeedItem]:
    return list(session.exec(select(FeedItem).where(FeedItem.alerted == False).order_by(FeedItem.id)).all())  # noqa: E712


def mark_alerted(session: Session, item_ids: Iterable[int]) -> None:
    ids = list(item_ids)
    for start in range(0, len(ids), 500):
        session.exec(update(FeedItem).where(col(FeedItem.id).in_(ids[start : start + 500])).values(alerted=True))  # type: ignore[call-overload]


def feed_names(session: Session) -> dict[str, str]:
    return dict(session.exec(select(Feed.id, Feed.name)).all())


def set_enabled(session: Session, feed_id: str, enabled: bool) -> bool:
    result = session.exec(update(Feed).where(Feed.id == feed_id, Feed.retired == False).values(enabled=enabled))  # noqa: E712
    return result.rowcount == 1  # type: ignore[union-attr]
