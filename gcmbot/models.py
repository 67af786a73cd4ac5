"""Database tables (SQLModel). The one place the schema is written down.

Every change here needs an Alembic revision in `migrations/versions/`
(`alembic revision --autogenerate -m "..."`). Types are chosen to work the
same on SQLite and PostgreSQL: chat ids are BIGINT, lists are JSON.
"""

from __future__ import annotations

from enum import StrEnum

from datetime import date, datetime, timezone

from sqlalchemy import JSON, BigInteger, Column, Index, LargeBinary, UniqueConstraint
from sqlalchemy import false as sql_false
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


# Datetimes are timezone-aware: SQLModel stores them as UTC and returns them in UTC.


class Subscriber(SQLModel, table=True):
    """A chat (a person or an organisation's group) that receives updates."""

    id: int | None = Field(default=None, primary_key=True)
    chat_id: int = Field(sa_column=Column(BigInteger, unique=True, nullable=False))
    chat_type: str = Field(max_length=16)  # private, group, supergroup, channel
    language: str = Field(default="en", max_length=8)
    timezone: str = Field(default="UTC", max_length=64)
    # active: receives messages; stopped: said /stop; inactive: blocked us or removed us.
    status: str = Field(default="active", max_length=16, index=True)
    all_regions: bool = True
    all_constituencies: bool = True
    all_topics: bool = True
    digest_weekday: int | None = Field(default=0)  # Monday=0 … Sunday=6; None = no digest
    digest_hour: int = 9
    send_empty_digest: bool = False
    alerts: bool = False
    reminders: bool = True
    reminder_days: int = 3
    # Digests without a notification sound: auto (at night, 22:00-07:00 local, for groups and
    # channels; never for people), night, always, off.
    quiet: str = Field(default="auto", max_length=8, sa_column_kwargs={"server_default": "auto"})
    # Changes each time a settings menu is drawn; buttons of older menus are stale.
    menu_token: str = Field(default="", max_length=8)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class SubscriberChoice(SQLModel, table=True):
    """One selected region / constituency / topic of a subscriber."""

    __table_args__ = (Index("ix_choice_kind_value", "kind", "value", "subscriber_id"),)

    subscriber_id: int = Field(foreign_key="subscriber.id", primary_key=True, ondelete="CASCADE")
    kind: str = Field(primary_key=True, max_length=16)  # region, constituency, topic
    value: str = Field(primary_key=True, max_length=64)


class TaxonomyTerm(SQLModel, table=True):
    """Regions, constituencies and topics, loaded from content/."""

    kind: str = Field(primary_key=True, max_length=16)
    id: str = Field(primary_key=True, max_length=64)
    name: str
    position: int = 0
    data: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class Event(SQLModel, table=True):
    id: str = Field(primary_key=True, max_length=100)
    title: str
    kind: str = Field(max_length=32)
    topics: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    theme: str = ""
    place: str = ""
    country: str = ""
    region: str = Field(default="global", max_length=64)
    start: date
    start_precision: str = Field(default="day", max_length=8)  # day, month, year
    part: str | None = Field(default=None, max_length=8)  # early, mid, late (month precision)
    end: date | None = None
    end_precision: str | None = Field(default=None, max_length=8)
    organiser: str = ""
    participation: str = ""
    source: str = ""
    note: str = ""
    # {field: {language: text}} from the content's `translations` (English is the field itself).
    translations: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False, server_default="{}"))
    # The record's lifecycle (content/README.md): expected, confirmed, held, moved, cancelled.
    status: str = Field(default="confirmed", max_length=16, sa_column_kwargs={"server_default": "confirmed"})
    as_of: date | None = None  # when the record was last checked against its source
    history: str = ""  # what had been planned before ("first planned for New York in September 2018")
    recurs: str | None = Field(default=None, max_length=16)  # "yearly"


class Statement(SQLModel, table=True):
    id: str = Field(primary_key=True, max_length=100)
    title: str
    date: date
    date_precision: str = Field(default="day", max_length=8)
    organisation: str = ""
    summary: str = ""
    topics: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    regions: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    source: str = ""
    url: str = ""
    note: str = Field(default="", sa_column_kwargs={"server_default": ""})  # the editor's note (not shown)
    # {field: {language: text}} from the content's `translations` (English is the field itself).
    translations: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False, server_default="{}"))
    # When the bot first learned of it: digests list statements new since the last digest.
    first_seen_at: datetime = Field(default_factory=utcnow)


class FaqEntry(SQLModel, table=True):
    id: str = Field(primary_key=True, max_length=100)
    question: str
    alternatives: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    answer: str
    topics: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    source: str = ""
    translations: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False, server_default="{}"))
    as_of: date | None = None  # when the answer was last checked against its source
    events: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False, server_default="[]"))  # the events it explains


class Source(SQLModel, table=True):
    """A document the content was written from."""

    id: str = Field(primary_key=True, max_length=100)
    title: str
    publisher: str = ""
    date: str = ""
    url: str = ""
    file: str = Field(default="", sa_column_kwargs={"server_default": ""})  # the seed document's file name, if any


class Feed(SQLModel, table=True):
    id: str = Field(primary_key=True, max_length=100)
    name: str
    url: str
    kind: str = Field(default="rss", max_length=16)
    enabled: bool = True
    retired: bool = False  # removed from content/: kept for its items, never polled
    interval_minutes: int = 30
    regions: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    topics: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    note: str = Field(default="", sa_column_kwargs={"server_default": ""})  # the editor's note (not shown)
    etag: str | None = None
    last_modified: str | None = None
    body_hash: str | None = Field(default=None, max_length=64)
    last_polled_at: datetime | None = None
    last_success_at: datetime | None = None
    last_error: str | None = None
    consecutive_failures: int = 0
    flagged: bool = False
    next_poll_at: datetime | None = None


class FeedItem(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("feed_id", "key", name="uq_feeditem_feed_key"),)

    id: int | None = Field(default=None, primary_key=True)
    feed_id: str = Field(foreign_key="feed.id", max_length=100, index=True)
    key: str = Field(max_length=255)  # stable identity: guid, else link, else hash
    title: str
    link: str = ""
    summary: str = ""
    published_at: datetime | None = None
    first_seen_at: datetime = Field(default_factory=utcnow, index=True)
    topics: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    regions: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    alerted: bool = False


class Broadcast(SQLModel, table=True):
    """An admin's message to a segment (also the audit record of it)."""

    id: int | None = Field(default=None, primary_key=True)
    text: str
    segment: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_by: int = Field(sa_column=Column(BigInteger, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)
    scheduled_at: datetime | None = None
    status: str = Field(default="queued", max_length=16)  # queued, done, cancelled
    recipients: int = 0
    completed_at: datetime | None = None
    report_sent: bool = False
    # One document or photo, sent with `text` as its caption. The file is uploaded once (the
    # first send; BroadcastFile keeps the bytes until then) and sent by file_id afterwards.
    attachment_kind: str | None = Field(default=None, max_length=16)  # document, photo
    attachment_name: str | None = Field(default=None, max_length=255)
    attachment_file_id: str | None = Field(default=None, max_length=255)
    pin_in_groups: bool = Field(default=False, sa_column_kwargs={"server_default": sql_false()})


class BroadcastFile(SQLModel, table=True):
    """The bytes of a broadcast's attachment, for its first upload (a file sent from chat has a file_id already)."""

    broadcast_id: int = Field(foreign_key="broadcast.id", primary_key=True, ondelete="CASCADE")
    mime_type: str | None = Field(default=None, max_length=100)
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class OutboxStatus(StrEnum):
    """An outbox row's life: pending → sending → sent | failed | skipped (a StrEnum: stored as its text)."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    SKIPPED = "skipped"


class OutboxKind(StrEnum):
    """What an outbox row is. Broadcasts go last in the sending budget (services/pacing.py)."""

    DIGEST = "digest"
    ALERT = "alert"
    REMINDER = "reminder"
    BROADCAST = "broadcast"
    ADMIN = "admin"  # feed flags, broadcast reports


class OutboxMessage(SQLModel, table=True):
    """One message to one chat. Digests, alerts, reminders and broadcasts all go through here.

    `dedup_key` is unique: the same digest week, reminder or broadcast can never be
    queued twice for a chat, whatever crashes and restarts happen.
    """

    __table_args__ = (Index("ix_outbox_status_due", "status", "not_before"),)

    id: int | None = Field(default=None, primary_key=True)
    chat_id: int = Field(sa_column=Column(BigInteger, nullable=False, index=True))
    kind: str = Field(max_length=16)  # digest, alert, reminder, broadcast
    dedup_key: str = Field(max_length=200, unique=True)
    text: str
    broadcast_id: int | None = Field(default=None, foreign_key="broadcast.id", index=True)
    # pending → sending → sent | failed | skipped
    status: str = Field(default="pending", max_length=16)
    silent: bool = Field(default=False, sa_column_kwargs={"server_default": sql_false()})  # disable_notification
    pin: bool = Field(default=False, sa_column_kwargs={"server_default": sql_false()})  # pin it where the bot may (groups)
    attempts: int = 0
    not_before: datetime = Field(default_factory=utcnow)
    claimed_at: datetime | None = None
    sent_at: datetime | None = None
    telegram_message_id: int | None = None
    error: str | None = None
    created_at: datetime = Field(default_factory=utcnow)


class QuestionLog(SQLModel, table=True):
    """What people ask, without who asked. Text is kept only for declined questions, 30 days."""

    id: int | None = Field(default=None, primary_key=True)
    asked_at: datetime = Field(default_factory=utcnow, index=True)
    outcome: str = Field(max_length=16)  # answered, suggested, declined
    matched: str | None = Field(default=None, max_length=100)
    text: str | None = None


class AnswerFeedback(SQLModel, table=True):
    """A 👍 / 👎 on one answer — with no chat id or user id, so nobody can learn who voted (issue 13).

    `token` is the random, unguessable value in the answer's two buttons: one answer, one vote.
    Only the week is kept, not the time. The (redacted) question text is kept while a vote may
    come (VOTE_DAYS), dropped on a 👍, and kept 30 days after a 👎 (store/feedback.py).
    """

    id: int | None = Field(default=None, primary_key=True)
    token: str = Field(max_length=32, unique=True)
    week: date = Field(index=True)  # the Monday of the week the answer was given
    matched: str | None = Field(default=None, max_length=100)
    text: str | None = None
    vote: str | None = Field(default=None, max_length=8)  # up, down; None while nobody voted


class AuditLog(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow)
    actor_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    action: str = Field(max_length=32)
    detail: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class WebLoginToken(SQLModel, table=True):
    """A one-time login link for the web console (only its SHA-256 is stored)."""

    token_hash: str = Field(primary_key=True, max_length=64)
    admin_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    used_at: datetime | None = None


class WebSession(SQLModel, table=True):
    """A logged-in web console session (the cookie holds the secret; only its SHA-256 is stored)."""

    id_hash: str = Field(primary_key=True, max_length=64)
    admin_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    csrf_token: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow)
    last_seen_at: datetime = Field(default_factory=utcnow)
    ended_at: datetime | None = None


class ConsoleEdit(SQLModel, table=True):
    """A content entry changed in the web console: the database is its working copy, so
    `gcmbot content load` reports it instead of overwriting it (unless --overwrite)."""

    kind: str = Field(primary_key=True, max_length=16)  # event, faq, statement, feed, taxonomy
    entry_id: str = Field(primary_key=True, max_length=100)
    edited_at: datetime = Field(default_factory=utcnow)
    edited_by: int = Field(sa_column=Column(BigInteger, nullable=False))


class SendBudget(SQLModel, table=True):
    """The sending budget of one bot, shared by every process on this database (services/pacing.py).

    `next_at` (Unix seconds) is when the next free sending slot starts; a process
    reserves a block of slots by moving it forward in one atomic UPDATE.
    """

    bot_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    next_at: float = 0.0
    # When a process last reserved slots for replies to people, and which: the others' queued
    # traffic waits meanwhile (people first across processes).
    replies_at: float = 0.0
    replies_by: str = Field(default="", max_length=32)
