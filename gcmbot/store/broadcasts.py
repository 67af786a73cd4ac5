"""Broadcast rows (an admin's message to a segment) and their delivery counts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, func, select, update

from gcmbot.models import Broadcast, BroadcastFile, OutboxMessage


def create(
    session: Session, *, text: str, segment: dict, created_by: int, scheduled_at: datetime | None, now: datetime, **extra
) -> Broadcast:
    """`extra`: attachment_kind, attachment_name, attachment_file_id, pin_in_groups."""
    row = Broadcast(text=text, segment=segment, created_by=created_by, created_at=now, scheduled_at=scheduled_at, status="queued", **extra)
    session.add(row)
    session.flush()
    return row


def add_file(session: Session, broadcast_id: int, data: bytes, mime_type: str | None) -> None:
    session.add(BroadcastFile(broadcast_id=broadcast_id, data=data, mime_type=mime_type))
    session.flush()


def file_of(session: Session, broadcast_id: int) -> BroadcastFile | None:
    return session.get(BroadcastFile, broadcast_id)


def set_file_id(session: Session, broadcast_id: int, file_id: str) -> None:
    """The first upload's file_id: every later recipient gets the file by it."""
    session.exec(update(Broadcast).where(Broadcast.id == broadcast_id, Broadcast.attachment_file_id == None).values(attachment_file_id=file_id))  # noqa: E711


def set_recipients(session: Session, broadcast_id: int, recipients: int) -> None:
    session.exec(update(Broadcast).where(Broadcast.id == broadcast_id).values(recipients=recipients))


def get(session: Session, broadcast_id: int) -> Broadcast | None:
    return session.get(Broadcast, broadcast_id)


def recent(session: Session, limit: int = 10) -> list[Broadcast]:
    return list(session.exec(select(Broadcast).order_by(col(Broadcast.id).desc()).limit(limit)).all())


def open_ids(session: Session) -> list[int]:
    """Broadcasts still being delivered."""
    return list(session.exec(select(Broadcast.id).where(Broadcast.status == "queued").order_by(Broadcast.id)).all())


@dataclass(frozen=True)
class Delivery:
    counts: dict[str, int]
    first_sent_at: datetime | None
    last_sent_at: datetime | None


def delivery(session: Session, broadcast_id: int) -> Delivery:
    counts = dict(
        session.exec(
            select(OutboxMessage.status, func.count()).where(OutboxMessage.broadcast_id == broadcast_id).group_by(OutboxMessage.status)
        ).all()
    )
    first, last = session.exec(
        select(func.min(OutboxMessage.sent_at), func.max(OutboxMessage.sent_at)).where(
            OutboxMessage.broadcast_id == broadcast_id, OutboxMessage.status == "sent"
        )
    ).one()
    return Delivery(counts, first, last)


def unfinished(session: Session, broadcast_id: int) -> int:
    return session.exec(
        select(func.count()).where(OutboxMessage.broadcast_id == broadcast_id, col(OutboxMessage.status).in_(("pending", "sending")))
    ).one()


def mark_done(session: Session, broadcast_id: int, now: datetime) -> bool:
    """queued → done, once. False if it was already done (another worker noticed first)."""
    result = session.exec(
        update(Broadcast).where(Broadcast.id == broadcast_id, Broadcast.status == "queued").values(status="done", completed_at=now)
    )
    return result.rowcount == 1  # type: ignore[union-attr]


def mark_report_sent(session: Session, broadcast_id: int) -> bool:
    result = session.exec(
        update(Broadcast).where(Broadcast.id == broadcast_id, Broadcast.report_sent == False).values(report_sent=True)  # noqa: E712
    )
    return result.rowcount == 1  # type: ignore[union-attr]


def cancel(session: Session, broadcast_id: int, now: datetime) -> int | None:
    """queued → cancelled, its pending rows skipped. The number of rows skipped, or None if it was not queued.

    Only rows still `pending` are touched (conditional UPDATE): a row a worker has just claimed is sent.
    """
    result = session.exec(
        update(Broadcast).where(Broadcast.id == broadcast_id, Broadcast.status == "queued").values(status="cancelled", completed_at=now)
    )
    if result.rowcount != 1:  # type: ignore[union-attr]
        return None
    rows = session.exec(
        update(OutboxMessage)
        .where(OutboxMessage.broadcast_id == broadcast_id, OutboxMessage.status == "pending")
        .values(status="skipped", error="cancelled by an admin")
    )
    return rows.rowcount or 0  # type: ignore[union-attr]
