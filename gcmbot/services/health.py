"""Is the bot healthy, and the numbers behind the metrics. Read from the database at request time."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime

from gcmbot.store import Database
from gcmbot.store import stats as store


@dataclass
class Health:
    database: bool
    scheduler: bool
    delivery: bool
    last_feed_poll_age_seconds: float | None = None
    outbox_backlog: int | None = None
    leader: bool = True
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.database and self.scheduler and self.delivery

    def as_dict(self) -> dict:
        data = asdict(self)
        data["status"] = "ok" if self.ok else "unhealthy"
        return data


def check(db: Database, now: datetime, *, scheduler_running: bool, delivery_running: bool, leader: bool = True) -> Health:
    """Healthy = the database answers, the job queue runs and the delivery loop runs.

    Feed poll age and outbox backlog are reported, not judged: a slow feed or a
    big broadcast in progress is no reason to restart the bot.
    """
    health = Health(database=False, scheduler=scheduler_running, delivery=delivery_running, leader=leader)
    try:
        with db.session() as s:
            store.ping(s)
            health.database = True
            last = store.last_feed_poll(s)
            health.outbox_backlog = store.outbox_backlog(s)
    except Exception as exc:  # the answer must come back even when the database is down
        health.errors.append(f"database: {type(exc).__name__}")
        return health
    if last is not None:
        health.last_feed_poll_age_seconds = round(max((now - last).total_seconds(), 0.0), 1)
    if not scheduler_running:
        health.errors.append("scheduler: job queue not running")
    if not delivery_running:
        health.errors.append("delivery: outbox worker not running")
    return health


@dataclass
class Snapshot:
    """Everything the metrics endpoint reports from the database."""

    outbox: dict[tuple[str, str], int]
    backlog: int
    rate_limited: int
    subscribers: dict[str, int]
    questions: dict[str, int]
    feeds: dict[str, int]
    feed_failures: int
    last_feed_poll: datetime | None


def snapshot(db: Database) -> Snapshot:
    with db.session() as s:
        return Snapshot(
            outbox=store.outbox_by_kind_status(s),
            backlog=store.outbox_backlog(s),
            rate_limited=store.outbox_rate_limited(s),
            subscribers=store.subscribers_by_status(s),
            questions=store.questions_by_outcome(s),
            feeds=store.feed_states(s),
            feed_failures=store.feed_failures(s),
            last_feed_poll=store.last_feed_poll(s),
        )
