"""Rows for `gcmbot export` / `gcmbot import`, as plain JSON-able dicts.

Values are turned into JSON types here (datetimes as ISO 8601 UTC, dates as
ISO dates) and back on import, using each column's type, so the same file
moves between SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import date, datetime, timezone

from sqlalchemy import insert, text
from sqlmodel import Session, SQLModel, func, select

from gcmbot.models import Broadcast, Feed, FeedItem, OutboxMessage, QuestionLog, Statement, Subscriber, SubscriberChoice

# Subscriber fields that are exported: the chat, its language/timezone/status and its settings. Nothing else.
SUBSCRIBER_FIELDS = (
    "chat_id", "chat_type", "language", "timezone", "status", "all_regions", "all_constituencies", "all_topics",
    "digest_weekday", "digest_hour", "send_empty_digest", "alerts", "reminders", "reminder_days", "quiet",
)
# Feed polling state (the rest of a feed comes from content/).
FEED_STATE_FIELDS = (
    "id", "name", "url", "kind", "enabled", "retired", "interval_minutes", "regions", "topics", "etag", "last_modified",
    "body_hash", "last_polled_at", "last_success_at", "last_error", "consecutive_failures", "flagged", "next_poll_at",
)

# Tables that hold what users and the bot did. An import needs them empty.
USER_TABLES = {"subscribers": Subscriber, "feed items": FeedItem, "broadcasts": Broadcast, "outbox messages": OutboxMessage, "question log": QuestionLog}


def _columns(model: type[SQLModel]):
    return model.__table__.columns  # type: ignore[attr-defined]


def _encode(value):
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)  # SQLite hands back naive UTC
        return value.astimezone(timezone.utc).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def _python_type(column_type) -> type | None:
    column_type = getattr(column_type, "impl_instance", column_type)  # TypeDecorators (SQLModel's UTCDateTime)
    try:
        return column_type.python_type
    except NotImplementedError:
        return None


def _decode(model: type[SQLModel], row: dict) -> dict:
    columns = _columns(model)
    out = {}
    for key, value in row.items():
        if key not in columns:
            raise ValueError(f"unknown field {key!r} for {model.__tablename__}")  # type: ignore[attr-defined]
        kind = _python_type(columns[key].type)
        if value is not None and kind is datetime:
            value = datetime.fromisoformat(value)
            if value.tzinfo is None:
                value = value.replace(tzinfo=timezone.utc)
        elif value is not None and kind is date:
            value = date.fromisoformat(value)
        out[key] = value
    return out


def _insert(session: Session, model: type[SQLModel], row: dict):
    """Insert exactly these values (a Core insert: an explicit None stays NULL, not the field's default)."""
    table = model.__table__  # type: ignore[attr-defined]
    stmt = insert(table).values(**_decode(model, row))
    if "id" in table.c:
        return session.exec(stmt.returning(table.c.id)).scalar_one()  # type: ignore[call-overload]
    session.exec(stmt)  # type: ignore[call-overload]
    return None


def _dump(row: SQLModel, fields) -> dict:
    return {f: _encode(getattr(row, f)) for f in fields}


def user_row_counts(session: Session) -> dict[str, int]:
    """Rows in the user-data tables; an import target must have none."""
    return {name: session.exec(select(func.count()).select_from(model)).one() for name, model in USER_TABLES.items()}


# --------------------------------------------------------------------------- export


def subscribers(session: Session) -> list[dict]:
    choices: dict[int, dict[str, list[str]]] = {}
    for c in session.exec(select(SubscriberChoice).order_by(SubscriberChoice.subscriber_id, SubscriberChoice.kind, SubscriberChoice.value)):
        choices.setdefault(c.subscriber_id, {}).setdefault(c.kind, []).append(c.value)
    return [
        {**_dump(sub, SUBSCRIBER_FIELDS), "choices": choices.get(sub.id, {})}  # type: ignore[index]
        for sub in session.exec(select(Subscriber).order_by(Subscriber.id))
    ]


def feeds(session: Session) -> list[dict]:
    return [_dump(f, FEED_STATE_FIELDS) for f in session.exec(select(Feed).order_by(Feed.id))]


def feed_items(session: Session) -> list[dict]:
    fields = [c.name for c in _columns(FeedItem)]
    return [_dump(i, fields) for i in session.exec(select(FeedItem).order_by(FeedItem.id))]


def statements_first_seen(session: Session) -> dict[str, str]:
    """When the bot first learned of each statement: digests list those new since the last one."""
    return {s.id: _encode(s.first_seen_at) for s in session.exec(select(Statement).order_by(Statement.id))}


def broadcasts(session: Session) -> list[dict]:
    fields = [c.name for c in _columns(Broadcast)]
    return [_dump(b, fields) for b in session.exec(select(Broadcast).order_by(Broadcast.id))]


# --------------------------------------------------------------------------- import


def add_subscribers(session: Session, rows: list[dict]) -> int:
    for row in rows:
        row = dict(row)
        chosen = row.pop("choices", {}) or {}
        subscriber_id = _insert(session, Subscriber, {k: v for k, v in row.items() if k != "id"})
        for kind, values in chosen.items():
            for value in sorted(set(values)):
                session.add(SubscriberChoice(subscriber_id=subscriber_id, kind=kind, value=value))
    session.flush()
    return len(rows)


def merge_feeds(session: Session, rows: list[dict]) -> int:
    """Feeds already loaded from content/ get their polling state back; feeds no longer in content/ come back retired."""
    for row in rows:
        data = _decode(Feed, row)
        feed = session.get(Feed, data["id"])
        if feed is None:
            _insert(session, Feed, {**row, "retired": True})
        else:
            for key, value in data.items():
                if key in ("etag", "last_modified", "body_hash", "last_polled_at", "last_success_at", "last_error",
                           "consecutive_failures", "flagged", "next_poll_at"):
                    setattr(feed, key, value)
            session.add(feed)
    session.flush()
    return len(rows)


def add_rows(session: Session, model: type[SQLModel], rows: list[dict]) -> int:
    """Insert rows keeping their ids (other rows and dedup keys may refer to them)."""
    for row in rows:
        _insert(session, model, row)
    session.flush()
    return len(rows)


def set_statements_first_seen(session: Session, first_seen: dict[str, str]) -> int:
    changed = 0
    for statement_id, when in first_seen.items():
        statement = session.get(Statement, statement_id)
        if statement is not None and when:
            statement.first_seen_at = _decode(Statement, {"first_seen_at": when})["first_seen_at"]
            session.add(statement)
            changed += 1
    session.flush()
    return changed


def reset_sequences(session: Session) -> None:
    """After inserting rows with their ids, PostgreSQL's id sequences must continue after the largest."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for model in (FeedItem, Broadcast):
        table = model.__tablename__  # type: ignore[attr-defined]
        session.exec(text(  # type: ignore[call-overload]
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"
        ))
