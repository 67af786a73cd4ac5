"""👍 / 👎 on answers: one row per answer given, keyed by a random token — never by chat or person."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlmodel import Session, col, delete, func, select, update

from gcmbot.models import AnswerFeedback

VOTE_DAYS = 7  # an answer can be rated in the week it was given and the next one
TEXT_DAYS = 30  # the text of a 👎 is kept as long as a declined question's
RECORDED, REPEATED, UNKNOWN = "recorded", "repeated", "unknown"


def week_of(day: date) -> date:
    """The Monday of `day`'s week: all a vote keeps of when it was given."""
    return day - timedelta(days=day.weekday())


def add_answer(session: Session, *, token: str, matched: str | None, text: str | None, now: datetime) -> None:
    session.add(AnswerFeedback(token=token, week=week_of(now.date()), matched=matched[:100] if matched else None, text=text))
    forget_old(session, now)


def vote(session: Session, token: str, value: str) -> str:
    """Record `value` (up/down) for the answer with `token`, once. RECORDED, REPEATED or UNKNOWN."""
    # One conditional UPDATE: two quick presses cannot both count. A 👍 needs no text: dropped.
    values: dict = {"vote": value} if value == "down" else {"vote": value, "text": None}
    done = session.exec(
        update(AnswerFeedback).where(col(AnswerFeedback.token) == token, col(AnswerFeedback.vote).is_(None)).values(**values)
    ).rowcount
    if done:
        return RECORDED
    exists = session.exec(select(func.count()).where(col(AnswerFeedback.token) == token)).one()
    return REPEATED if exists else UNKNOWN


def forget_old(session: Session, now: datetime) -> None:
    """Unrated answers go after VOTE_DAYS (their buttons then say so); 👎 texts after TEXT_DAYS."""
    this_week = week_of(now.date())
    session.exec(delete(AnswerFeedback).where(col(AnswerFeedback.vote).is_(None),
                                              col(AnswerFeedback.week) < this_week - timedelta(days=VOTE_DAYS)))
    session.exec(update(AnswerFeedback).where(col(AnswerFeedback.text).is_not(None),
                                              col(AnswerFeedback.week) < week_of((now - timedelta(days=TEXT_DAYS)).date()))
                 .values(text=None))


def votes(session: Session, since: datetime) -> dict[str, int]:
    rows = session.exec(
        select(AnswerFeedback.vote, func.count())
        .where(col(AnswerFeedback.vote).is_not(None), col(AnswerFeedback.week) >= week_of(since.date()))
        .group_by(AnswerFeedback.vote)
    ).all()
    return {v: n for v, n in rows}


def top_down_voted(session: Session, since: datetime, limit: int = 10) -> list[tuple[str, str, int]]:
    """(question text, matched entry, times) of the 👎 answers, most frequent first."""
    text = func.lower(func.trim(AnswerFeedback.text))
    matched = func.coalesce(AnswerFeedback.matched, "")
    rows = session.exec(
        select(text, matched, func.count().label("n"))
        .where(col(AnswerFeedback.vote) == "down", col(AnswerFeedback.text).is_not(None),
               col(AnswerFeedback.week) >= week_of(since.date()))
        .group_by(text, matched)
        .order_by(func.count().desc(), text, matched)
        .limit(limit)
    ).all()
    return [(t, m, n) for t, m, n in rows]
