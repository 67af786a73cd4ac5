"""The numbers on the web console's dashboard (subscribers, deliveries, feeds, outbox)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from gcmbot.store import Database
from gcmbot.store import dashboard as store
from gcmbot.store import stats as stats_store

STATUSES = ("active", "stopped", "inactive")
KINDS = ("digest", "alert", "reminder", "broadcast")
WEEKS = 12


@dataclass(frozen=True)
class Breakdown:
    """Subscribers by one dimension: rows of (label, {status: n})."""

    title: str
    rows: list[tuple[str, dict[str, int]]]


@dataclass(frozen=True)
class Week:
    start: date
    new: int
    lost: int
    delivered: dict[str, int]  # by kind
    failed: dict[str, int]  # failed or skipped, by kind


@dataclass(frozen=True)
class Dashboard:
    totals: dict[str, int]
    breakdowns: list[Breakdown]
    weeks: list[Week]
    backlog: int
    scheduled: int
    feeds_attention: list  # FeedStatus of feeds that are flagged, failing or never polled


def week_starts(now: datetime, weeks: int = WEEKS) -> list[datetime]:
    """Mondays 00:00 UTC of the last `weeks` ISO weeks, oldest first (the current week last)."""
    monday = now.astimezone(timezone.utc).date() - timedelta(days=now.astimezone(timezone.utc).weekday())
    return [datetime.combine(monday - timedelta(weeks=i), time(), tzinfo=timezone.utc) for i in reversed(range(weeks))]


def _rows(counts: dict[tuple[str, str], int], labels: list[tuple[str, str]]) -> list[tuple[str, dict[str, int]]]:
    known = {key for key, _ in labels}
    values = [(key, name) for key, name in labels] + sorted((v, v) for v in {v for v, _ in counts} - known)
    rows = []
    for key, name in values:
        per = {st: counts.get((key, st), 0) for st in STATUSES}
        if any(per.values()) or key in known:
            rows.append((name, per))
    return rows


def build(db: Database, subscriptions, feeds, now: datetime) -> Dashboard:
    starts = week_starts(now)
    with db.session() as s:
        totals = {st: n for st, n in stats_store.subscribers_by_status(s).items()}
        raw = {kind: store.by_choice(s, kind) for kind in ("region", "constituency", "topic")}
        language = store.by_column(s, "language")
        chat_type = store.by_column(s, "chat_type")
        new, lost = store.subscribers_per_week(s, starts)
        outbox = store.outbox_per_week(s, starts)
        backlog = stats_store.outbox_backlog(s)
        scheduled = store.scheduled_backlog(s, now)
    titles = {"region": "Region", "constituency": "Constituency", "topic": "Topic"}
    breakdowns = [
        Breakdown(titles[kind], _rows(raw[kind], [("*", "All (no choice made)")] + subscriptions.options(kind))) for kind in raw
    ]
    breakdowns.append(Breakdown("Language", _rows(language, [])))
    breakdowns.append(Breakdown("Chat type", _rows(chat_type, [])))
    weeks = [
        Week(
            start.date(), new.get(i, 0), lost.get(i, 0),
            {k: outbox.get((i, k, "sent"), 0) for k in KINDS},
            {k: outbox.get((i, k, "failed"), 0) + outbox.get((i, k, "skipped"), 0) for k in KINDS},
        )
        for i, start in enumerate(starts)
    ]
    attention = [f for f in feeds.status() if f.enabled and not f.retired and (f.flagged or f.consecutive_failures or f.last_success_at is None)]
    return Dashboard({st: totals.get(st, 0) for st in STATUSES}, breakdowns, weeks, backlog, scheduled, attention)
