"""The audit log: who did what, kept."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from gcmbot.models import AuditLog


def record(session: Session, *, actor_id: int, action: str, detail: dict, now: datetime) -> AuditLog:
    row = AuditLog(actor_id=actor_id, action=action, detail=detail, at=now)
    session.add(row)
    session.flush()
    return row


def entries(session: Session, action: str | None = None, limit: int = 100) -> list[AuditLog]:
    query = select(AuditLog).order_by(col(AuditLog.id).desc()).limit(limit)
    if action is not None:
        query = query.where(AuditLog.action == action)
    return list(session.exec(query).all())
