"""The question log: what people ask and how it went — never who asked."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session, col, func, select, update

from gcmbot.models import QuestionLog

TEXT_DAYS = 30


def log_question(session: Session, *, outcome: str, matched: str | None, text: str | None, now: datetime) -> None:
    """Record one question. Texts older than TEXT_DAYS are wiped on every write."""
    session.add(QuestionLog(asked_at=now, outcome=outcome, matched=matched[:100] if matched else None, text=text))
    forget_old_texts(session, now)


def forget_old_texts(session: Session, now: datetime) -> int:
    cutoff = now - timedelta(days=TEXT_DAYS)
    result = session.exec(
        update(QuestionLog).where(col(QuestionLog.text).is_not(None), col(QuestionLog.asked_at) < cutoff).values(text=None)
    )
    return result.rowcount or 0


def counts_by_outcome(session: Session, since: datetime) -> dict[str, int]:
    rows = session.exec(
        select(QuestionLog.outcome, func.count()).where(col(QuestionLog.asked_at) >= since).group_by(QuestionLog.outcome)
    ).all()
    return {outcome: n for outcome, n in rows}


def top_matched(session: Session, since: datetime, limit: int = 5) -> list[tuple[str, int]]:
    rows = session.exec(
        select(QuestionLog.matched, func.count().label("n"))
        .where(col(QuestionLog.asked_at) >= since, col(QuestionLog.matched).is_not(None))
        .group_by(QuestionLog.matched)
        .order_by(func.count().desc(), QuestionLog.matched)
        .limit(limit)
    ).all()
    return [(m, n) for m, n in rows]


def top_unanswered(session: Session, since: datetime, limit: int = 10) -> list[tuple[str, int]]:
    """The declined questions asked most often (texts are kept TEXT_DAYS days)."""
    text = func.lower(func.trim(QuestionLog.text))
    rows = session.exec(
        select(text, func.count().label("n"))
        .where(col(QuestionLog.asked_at) >= since, QuestionLog.outcome == "declined", col(QuestionLog.text).is_not(None))
        .group_by(text)
        .order_by(func.count().desc(), text)
        .limit(limit)
    ).all()
    return [(t, n) for t, n in rows]
