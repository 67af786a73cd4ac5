"""The outbox: one row per message to one chat. See models.OutboxMessage."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, func, select

from gcmbot.models import OutboxMessage, utcnow


@dataclass(frozen=True)
class Outgoing:
    """A message to queue. `dedup_key` makes queuing idempotent (e.g. "digest:2026-W48:123")."""

    chat_id: int
    kind: str
    dedup_key: str
    text: str
    broadcast_id: int | None = None
    not_before: datetime | None = None


def enqueue(session: Session, messages: Iterable[Outgoing]) -> int:
    """Insert messages, skipping any whose dedup_key is already queued. Returns how many were new."""
    now = utcnow()
    rows = [
        dict(
            chat_id=m.chat_id, kind=m.kind, dedup_key=m.dedup_key, text=m.text, broadcast_id=m.broadcast_id,
            not_before=m.not_before or now, status="pending", attempts=0, created_at=now,
        )
        for m in messages
    ]
    if not rows:
        return 0
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    inserted = 0
    for start in range(0, len(rows), 1000):
        stmt = insert(OutboxMessage).values(rows[start : start + 1000]).on_conflict_do_nothing(index_elements=["dedup_key"])
        inserted += session.exec(stmt).rowcount or 0  # type: ignore[call-overload]
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
        select(func.max(OutboxMessage.sent_at)).where(OutboxMessage.chat_id == chat_id, OutboxMessage.kind == kind, OutboxMessage.status == "sent")
    ).one()


def backlog(session: Session) -> int:
    return session.exec(select(func.count()).where(col(OutboxMessage.status).in_(("pending", "sending")))).one()
