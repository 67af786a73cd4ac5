"""Read-only counts for the health check and the Prometheus metrics (computed at scrape time)."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import case, text
from sqlmodel import Session, col, func, select

from gcmbot.models import Feed, OutboxMessage, QuestionLog, Subscriber


def ping(session: Session) -> None:
    session.exec(text("SELECT 1"))  # type: ignore[call-overload]


def _aware(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)  # SQLite hands back naive UTC
    return value


def last_feed_poll(session: Session) -> datetime | None:
    return _aware(session.exec(select(func.max(Feed.last_polled_at))).one())


def outbox_backlog(session: Session) -> int:
    return session.exec(select(func.count()).where(col(OutboxMessage.status).in_(("pending", "sending")))).one()


def outbox_by_kind_status(session: Session) -> dict[tuple[str, str], int]:
    rows = session.exec(select(OutboxMessage.kind, OutboxMessage.status, func.count()).group_by(OutboxMessage.kind, OutboxMessage.status))
    return {(kind, status): n for kind, status, n in rows}


def outbox_rate_limited(session: Session) -> int:
    """Rows whose last error was Telegram's flood control (429), still waiting or since sent."""
    return session.exec(select(func.count()).where(col(OutboxMessage.error).like("%flood control%"))).one()


def subscribers_by_status(session: Session) -> dict[str, int]:
    return dict(session.exec(select(Subscriber.status, func.count()).group_by(Subscriber.status)).all())


def questions_by_outcome(session: Session) -> dict[str, int]:
    return dict(session.exec(select(QuestionLog.outcome, func.count()).group_by(QuestionLog.outcome)).all())


def feed_states(session: Session) -> dict[str, int]:
    """Active feeds by state: ok (last poll succeeded), failing, flagged, never_polled."""
    state = case(
        (col(Feed.flagged), "flagged"),
        (col(Feed.last_polled_at).is_(None), "never_polled"),
        (Feed.consecutive_failures > 0, "failing"),
        else_="ok",
    )
    rows = session.exec(select(state, func.count()).where(col(Feed.enabled), ~col(Feed.retired)).group_by(state))
    return dict(rows.all())


def feed_failures(session: Session) -> int:
    """Sum of consecutive failures over active feeds (0 when every feed's last poll worked)."""
    return session.exec(select(func.coalesce(func.sum(Feed.consecutive_failures), 0)).where(col(Feed.enabled), ~col(Feed.retired))).one()
