"""Read-only counts for the web console's dashboard."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import case
from sqlmodel import Session, col, func, select

from gcmbot.models import OutboxMessage, Subscriber, SubscriberChoice

ALL_FLAG = {"region": Subscriber.all_regions, "constituency": Subscriber.all_constituencies, "topic": Subscriber.all_topics}


def by_column(session: Session, column: str) -> dict[tuple[str, str], int]:
    """{(value, status): n} for a Subscriber column (language, chat_type)."""
    c = getattr(Subscriber, column)
    return {(v, st): n for v, st, n in session.exec(select(c, Subscriber.status, func.count()).group_by(c, Subscriber.status))}


def by_choice(session: Session, kind: str) -> dict[tuple[str, str], int]:
    """{(choice id or "*" for "all", status): n} for regions, constituencies or topics."""
    flag = ALL_FLAG[kind]
    counts: dict[tuple[str, str], int] = {}
    for st, n in session.exec(select(Subscriber.status, func.count()).where(col(flag)).group_by(Subscriber.status)):
        counts[("*", st)] = n
    rows = session.exec(
        select(SubscriberChoice.value, Subscriber.status, func.count())
        .join(Subscriber, Subscriber.id == SubscriberChoice.subscriber_id)
        .where(SubscriberChoice.kind == kind, ~col(flag))
        .group_by(SubscriberChoice.value, Subscriber.status)
    )
    for value, st, n in rows:
        counts[(value, st)] = n
    return counts


def _week_index(column, starts: list[datetime]):
    """A SQL expression: the index of the week (in `starts`, ascending) a datetime falls in, -1 before."""
    return case(*[(column >= start, i) for i, start in reversed(list(enumerate(starts)))], else_=-1)


def subscribers_per_week(session: Session, starts: list[datetime]) -> tuple[dict[int, int], dict[int, int]]:
    """(new per week by created_at, lost per week: stopped or inactive, by their last change)."""
    week = _week_index(Subscriber.created_at, starts)
    new = dict(session.exec(select(week, func.count()).where(Subscriber.created_at >= starts[0]).group_by(week)).all())
    week = _week_index(Subscriber.updated_at, starts)
    lost = dict(
        session.exec(
            select(week, func.count())
            .where(col(Subscriber.status).in_(("stopped", "inactive")), Subscriber.updated_at >= starts[0])
            .group_by(week)
        ).all()
    )
    return new, lost


def outbox_per_week(session: Session, starts: list[datetime]) -> dict[tuple[int, str, str], int]:
    """{(week index, kind, status): n} of messages by the week they were queued."""
    week = _week_index(OutboxMessage.created_at, starts)
    rows = session.exec(
        select(week, OutboxMessage.kind, OutboxMessage.status, func.count())
        .where(OutboxMessage.created_at >= starts[0])
        .group_by(week, OutboxMessage.kind, OutboxMessage.status)
    )
    return {(w, kind, st): n for w, kind, st, n in rows}


def scheduled_backlog(session: Session, now: datetime) -> int:
    """Pending messages waiting for a later time (scheduled broadcasts, retries)."""
    return session.exec(select(func.count()).where(OutboxMessage.status == "pending", OutboxMessage.not_before > now)).one()
