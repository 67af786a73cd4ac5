"""The outbox: one row per message to one chat. See models.OutboxMessage."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, func, select, update

from gcmbot.models import OutboxMessage, OutboxStatus, utcnow


@dataclass(frozen=True)
class Outgoing:
    """A message to queue. `dedup_key` makes queuing idempotent (e.g. "digest:2026-W48:123")."""

    chat_id: int
    kind: str
    dedup_key: str
    text: str
    broadcast_id: int | None = None
    not_before: datetime | None = None
    silent: bool = False  # without notification sound (disable_notification)
    pin: bool = False  # pin it after sending, where the bot may


def enqueue(session: Session, messages: Iterable[Outgoing], *, created_at: datetime | None = None) -> int:
    """Insert messages, skipping any whose dedup_key is already queued. Returns how many were new.

    `created_at` (default: now) records the moment the content was selected; digests read
    it back as "new since the last digest", so a scheduling run passes its own `now`.
    """
    now = utcnow()
    rows = [
        dict(
            chat_id=m.chat_id, kind=m.kind, dedup_key=m.dedup_key, text=m.text, broadcast_id=m.broadcast_id,
            not_before=m.not_before or now, status=OutboxStatus.PENDING.value, attempts=0, created_at=created_at or now,
            silent=m.silent, pin=m.pin,
        )
        for m in messages
    ]
    return insert_new(session, rows)


def insert_new(session: Session, rows: list[dict]) -> int:
    """Insert outbox rows (full column dicts), skipping dedup_keys already present. Returns how many were new.

    One statement executed with many parameter sets (SQLAlchemy's "insertmanyvalues"):
    compiled once, so 10 000 rows take well under a second, unlike one big VALUES list.
    """
    if not rows:
        return 0
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = OutboxMessage.__table__  # type: ignore[attr-defined]
    stmt = insert(table).on_conflict_do_nothing(index_elements=["dedup_key"]).returning(table.c.id)
    connection = session.connection()
    inserted = 0
    for start in range(0, len(rows), 1000):
        inserted += len(connection.execute(stmt, rows[start : start + 1000]).all())
    return inserted


def already_queued(session: Session, dedup_keys: Iterable[str]) -> set[str]:
    keys = list(dedup_keys)
    found: set[str] = set()
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        found.update(session.exec(select(OutboxMessage.dedup_key).where(col(OutboxMessage.dedup_key).in_(chunk))).all())
    return found


def last_sent_at(session: Session, chat_id: int, kind: str) -> datetime | None:
    return session.exec(
        select(func.max(OutboxMessage.sent_at)).where(OutboxMessage.chat_id == chat_id, OutboxMessage.kind == kind, col(OutboxMessage.status) == OutboxStatus.SENT)
    ).one()


def backlog(session: Session) -> int:
    return session.exec(select(func.count()).where(col(OutboxMessage.status).in_((OutboxStatus.PENDING, OutboxStatus.SENDING)))).one()


@dataclass(frozen=True)
class Due:
    id: int
    chat_id: int
    text: str
    attempts: int
    kind: str
    broadcast_id: int | None
    silent: bool = False
    pin: bool = False


def due(session: Session, now: datetime, limit: int = 200) -> list[Due]:
    """Pending rows whose time has come, oldest first."""
    rows = session.exec(
        select(OutboxMessage)
        .where(col(OutboxMessage.status) == OutboxStatus.PENDING, col(OutboxMessage.not_before) <= now)
        .order_by(OutboxMessage.id)
        .limit(limit)
    ).all()
    return [Due(r.id, r.chat_id, r.text, r.attempts, r.kind, r.broadcast_id, r.silent, r.pin) for r in rows]


def claim(session: Session, row_id: int, now: datetime) -> bool:
    """Atomically move one row pending → sending. False if another worker got it first."""
    result = session.exec(
        update(OutboxMessage)
        .where(col(OutboxMessage.id) == row_id, col(OutboxMessage.status) == OutboxStatus.PENDING)
        .values(status=OutboxStatus.SENDING.value, claimed_at=now, attempts=OutboxMessage.attempts + 1)
    )
    return result.rowcount == 1  # type: ignore[union-attr]


def finish(session: Session, row_id: int, status: str, *, now: datetime, message_id: int | None = None, error: str | None = None) -> None:
    """sending → sent | failed | skipped."""
    values: dict = {"status": OutboxStatus(status).value, "error": error}
    if status == OutboxStatus.SENT:
        values.update(sent_at=now, telegram_message_id=message_id)
    session.exec(update(OutboxMessage).where(OutboxMessage.id == row_id).values(**values))


def release(session: Session, row_id: int, *, not_before: datetime, error: str | None, chat_id: int | None = None) -> None:
    """sending → pending again, to retry at `not_before` (optionally to a migrated chat id)."""
    values: dict = {"status": OutboxStatus.PENDING.value, "not_before": not_before, "error": error}
    if chat_id is not None:
        values["chat_id"] = chat_id
    session.exec(update(OutboxMessage).where(OutboxMessage.id == row_id).values(**values))


def skip_pending_for_chat(session: Session, chat_id: int, reason: str) -> int:
    """The chat blocked us: nothing else queued for it will be sent."""
    result = session.exec(
        update(OutboxMessage)
        .where(col(OutboxMessage.chat_id) == chat_id, col(OutboxMessage.status) == OutboxStatus.PENDING)
        .values(status=OutboxStatus.SKIPPED.value, error=reason)
    )
    return result.rowcount or 0  # type: ignore[union-attr]


def fail_interrupted(session: Session, older_than: datetime) -> int:
    """Rows left in `sending` by a crashed worker.

    At-most-once: the request may have reached Telegram before the crash, so these
    rows are not sent again; they end as failed with a clear error.
    """
    result = session.exec(
        update(OutboxMessage)
        .where(col(OutboxMessage.status) == OutboxStatus.SENDING, col(OutboxMessage.claimed_at) < older_than)
        .values(status=OutboxStatus.FAILED.value, error="interrupted while sending; not retried (at-most-once)")
    )
    return result.rowcount or 0  # type: ignore[union-attr]


def counts_by_status(session: Session, broadcast_id: int | None = None) -> dict[str, int]:
    query = select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
    if broadcast_id is not None:
        query = query.where(OutboxMessage.broadcast_id == broadcast_id)
    return dict(session.exec(query).all())
