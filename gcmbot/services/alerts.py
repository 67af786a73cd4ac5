"""Instant alerts: new feed items → one batched message per subscriber, through the outbox.

`plan_alerts` is pure (who gets which items); `Alerts.queue_new` does the database work and
queues each alert in the words of the renderer it is given (gcmbot.render.alerts).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from gcmbot.services.subscriptions import Subscription, Subscriptions
from gcmbot.store import Database
from gcmbot.store import feeds as store
from gcmbot.store.outbox import Outgoing, enqueue

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AlertItem:
    id: int
    title: str
    link: str
    source: str
    published_at: datetime | None
    topics: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()


@dataclass(frozen=True)
class PlannedAlert:
    """One subscriber's alert: the items of their segment (gcmbot.render.alerts puts it into words)."""

    subscription: Subscription
    items: tuple[AlertItem, ...]
    key: str  # outbox dedup key
    bot_username: str | None = None  # for the forward-safe start link


AlertRenderer = Callable[[PlannedAlert], str]


def plan_alerts(subscribers: Sequence[Subscription], items: Sequence[AlertItem], bot_username: str | None = None) -> list[PlannedAlert]:
    """For each active subscriber with alerts on, the items of their segment, for one message."""
    plans = []
    for sub in subscribers:
        if not (sub.active and sub.alerts):
            continue
        mine = [i for i in items if sub.segment.wants(regions=i.regions, topics=i.topics)]
        if not mine:
            continue
        ids = sorted(i.id for i in mine)
        plans.append(PlannedAlert(sub, tuple(mine), f"alert:{sub.chat_id}:{ids[0]}-{ids[-1]}:{len(ids)}", bot_username))
    return plans


class Alerts:
    def __init__(self, db: Database, subscriptions: Subscriptions, *, render: AlertRenderer) -> None:
        self.db = db
        self.subscriptions = subscriptions
        self.render = render  # gcmbot.render.alerts.render_planned_alert (services never build text)
        self.bot_username: str | None = None  # for the forward-safe start link; set by the bot from getMe

    def queue_new(self, now: datetime | None = None) -> int:
        """Queue alerts for every item not alerted yet, then mark them alerted. Returns messages queued."""
        subscribers = [s for s in self.subscriptions.active() if s.alerts]
        with self.db.session() as s:
            rows = store.unalerted(s)
            if not rows:
                return 0
            names = store.feed_names(s)
            items = [
                AlertItem(r.id, r.title, r.link, names.get(r.feed_id, r.feed_id), r.published_at, tuple(r.topics), tuple(r.regions))  # type: ignore[arg-type]
                for r in rows
            ]
            plans = plan_alerts(subscribers, items, self.bot_username)
            queued = enqueue(s, [Outgoing(p.subscription.chat_id, "alert", p.key, self.render(p)) for p in plans])
            store.mark_alerted(s, [r.id for r in rows])  # type: ignore[misc]
        log.info("alerts: %d new item(s), %d message(s) queued", len(items), queued)
        return queued

