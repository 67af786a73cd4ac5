"""Subscriber rows and their choices."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import or_
from sqlmodel import Session, col, delete, func, select, update

from gcmbot.models import AuditLog, OutboxMessage, Subscriber, SubscriberChoice, utcnow

KINDS = ("region", "constituency", "topic")
ALL_FLAG = {"region": "all_regions", "constituency": "all_constituencies", "topic": "all_topics"}


def get(session: Session, chat_id: int) -> Subscriber | None:
    return session.exec(select(Subscriber).where(Subscriber.chat_id == chat_id)).first()


def create(session: Session, **fields) -> Subscriber:
    sub = Subscriber(**fields)
    session.add(sub)
    session.flush()
    return sub


def save(session: Session, sub: Subscriber) -> None:
    sub.updated_at = utcnow()
    session.add(sub)
    session.flush()


def choices(session: Session, subscriber_id: int) -> dict[str, set[str]]:
    result: dict[str, set[str]] = {k: set() for k in KINDS}
    rows = session.exec(select(SubscriberChoice).where(SubscriberChoice.subscriber_id == subscriber_id))
    for row in rows:
        result.setdefault(row.kind, set()).add(row.value)
    return result


def set_choices(session: Session, subscriber_id: int, kind: str, values: Iterable[str]) -> None:
    session.exec(delete(SubscriberChoice).where(SubscriberChoice.subscriber_id == subscriber_id, SubscriberChoice.kind == kind))
    for value in sorted(set(values)):
        session.add(SubscriberChoice(subscriber_id=subscriber_id, kind=kind, value=value))
    session.flush()


def forget(session: Session, chat_id: int) -> dict[str, int]:
    """Delete every row about a chat. Returns what was deleted, per kind."""
    sub = get(session, chat_id)
    deleted = {"subscription": 0, "choices": 0, "messages": 0}
    if sub is not None:
        deleted["choices"] = session.exec(
            delete(SubscriberChoice).where(SubscriberChoice.subscriber_id == sub.id)
        ).rowcount or 0
        session.delete(sub)
        deleted["subscription"] = 1
    deleted["messages"] = session.exec(delete(OutboxMessage).where(OutboxMessage.chat_id == chat_id)).rowcount or 0
    # Refused admin attempts name the person (in a private chat, user id = chat id); admins' own
    # broadcast records stay, as the audit trail of what was sent.
    session.exec(delete(AuditLog).where(AuditLog.actor_id == chat_id, AuditLog.action == "refused"))
    session.flush()
    return deleted


def _matches(kind: str, values: Iterable[str] | None):
    """SQL condition: the subscriber wants everything of `kind`, or one of `values`."""
    if values is None:
        return None
    values = list(values)
    # An uncorrelated IN (subquery) is computed once (via ix_choice_kind_value), not per subscriber.
    chosen = col(Subscriber.id).in_(
        select(SubscriberChoice.subscriber_id).where(SubscriberChoice.kind == kind, col(SubscriberChoice.value).in_(values))
    )
    return or_(getattr(Subscriber, ALL_FLAG[kind]), chosen) if values else getattr(Subscriber, ALL_FLAG[kind])


def select_chat_ids(
    session: Session,
    *,
    regions: Iterable[str] | None = None,
    constituencies: Iterable[str] | None = None,
    topics: Iterable[str] | None = None,
    status: str = "active",
    extra: Iterable = (),
    chat_types: Iterable[str] | None = None,
) -> list[int]:
    """Chat ids of subscribers in a segment. `None` for a dimension means "any"."""
    query = select(Subscriber.chat_id).where(Subscriber.status == status, *extra)
    if chat_types is not None:
        query = query.where(col(Subscriber.chat_type).in_(list(chat_types)))
    for kind, values in (("region", regions), ("constituency", constituencies), ("topic", topics)):
        cond = _matches(kind, values)
        if cond is not None:
            query = query.where(cond)
    return list(session.connection().execute(query.order_by(Subscriber.id)).scalars())


def active(session: Session, *conditions) -> list[Subscriber]:
    return list(session.exec(select(Subscriber).where(Subscriber.status == "active", *conditions).order_by(Subscriber.id)).all())


def choices_for(session: Session, subscriber_ids: list[int]) -> dict[int, dict[str, set[str]]]:
    """Choices of many subscribers in one query."""
    result: dict[int, dict[str, set[str]]] = {i: {k: set() for k in KINDS} for i in subscriber_ids}
    for start in range(0, len(subscriber_ids), 500):
        chunk = subscriber_ids[start : start + 500]
        for row in session.exec(select(SubscriberChoice).where(col(SubscriberChoice.subscriber_id).in_(chunk))):
            result[row.subscriber_id][row.kind].add(row.value)
    return result


def count_by_status(session: Session) -> dict[str, int]:
    return dict(session.exec(select(Subscriber.status, func.count()).group_by(Subscriber.status)).all())


def move_chat(session: Session, old_chat_id: int, new_chat_id: int) -> None:
    """A group became a supergroup: its queued and past messages follow it (so /forget finds them),
    and their dedup keys too (`digest:<week>:<chat>`), so this week's digest is not sent again."""
    session.exec(update(OutboxMessage).where(OutboxMessage.chat_id == old_chat_id).values(chat_id=new_chat_id))
    session.exec(
        update(OutboxMessage)
        .where(
            OutboxMessage.chat_id == new_chat_id,
            or_(col(OutboxMessage.dedup_key).endswith(f":{old_chat_id}"), col(OutboxMessage.dedup_key).contains(f":{old_chat_id}:")),
        )
        .values(dedup_key=func.replace(OutboxMessage.dedup_key, f":{old_chat_id}", f":{new_chat_id}"))
    )
