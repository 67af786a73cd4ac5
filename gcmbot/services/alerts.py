"""Instant alerts: new feed items → one batched message per subscriber, through the outbox.

`plan_alerts` and `render_alert` are pure; `Alerts.queue_new` does the database work.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from html import escape

from babel.dates import format_skeleton

from gcmbot.i18n import isolate_html, translator
from gcmbot.services.digest import tg_len
from gcmbot.services.sharing import share_line
from gcmbot.services.subscriptions import Subscription, Subscriptions
from gcmbot.store import Database
from gcmbot.store import feeds as store
from gcmbot.store.outbox import Outgoing, enqueue

log = logging.getLogger(__name__)

MAX_CHARS = 4096
HEADER_ONE = "🆕 <b>New document</b>"
HEADER_MANY = "🆕 <b>{n} new documents</b>"


def _header(n: int, language: str) -> str:
    return "🆕 <b>" + translator(language).ngettext("New document", "{n} new documents", n).format(n=n) + "</b>"


@dataclass(frozen=True)
class AlertItem:
    id: int
    title: str
    link: str
    source: str
    published_at: datetime | None
    topics: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()


def _entry(item: AlertItem, language: str = "en") -> str:
    title = escape(translator(language).gettext("(untitled)") if not item.title or item.title == "(untitled)" else item.title)
    line = f'• <a href="{escape(item.link, quote=True)}">{title}</a>' if item.link else f"• <b>{title}</b>"
    meta = escape(item.source)
    if item.published_at:
        if language == "en":
            meta += f" · {item.published_at.day} {item.published_at:%b %Y}"
        else:
            meta += " · " + format_skeleton("yMMMd", item.published_at.date(), locale=language)
    return f"{line}\n  <i>{meta}</i>"


def render_alert(items: Sequence[AlertItem], *, limit: int = MAX_CHARS, language: str = "en", share: str = "") -> str:
    """One message listing the items (newest first), under Telegram's limit: "… and N more" if needed.
    `share` (the forward-safe start link line) ends it."""
    items = sorted(items, key=lambda i: (i.published_at is not None, i.published_at, i.id), reverse=True)
    more = translator(language).gettext("… and {n} more")
    head = isolate_html(_header(len(items), language), language)
    parts = [head]
    size = tg_len(head)
    if share:
        share = isolate_html(share, language)  # Arabic: the link reads in one piece
        limit -= 2 + tg_len(share)
    for n, item in enumerate(items):
        entry = isolate_html(_entry(item, language), language)
        last = n == len(items) - 1
        reserve = 0 if last else tg_len("\n\n" + more.format(n=len(items)))
        if size + 2 + tg_len(entry) + reserve > limit:
            parts.append(more.format(n=len(items) - n))
            break
        parts.append(entry)
        size += 2 + tg_len(entry)
    if share:
        parts.append(share)
    return "\n\n".join(parts)


def plan_alerts(subscribers: Sequence[Subscription], items: Sequence[AlertItem], bot_username: str | None = None) -> list[Outgoing]:
    """For each active subscriber with alerts on, the items of their segment, in one message."""
    messages = []
    for sub in subscribers:
        if not (sub.active and sub.alerts):
            continue
        mine = [i for i in items if sub.segment.wants(regions=i.regions, topics=i.topics)]
        if not mine:
            continue
        ids = sorted(i.id for i in mine)
        share = share_line(bot_username, sub.segment, sub.language)
        text = render_alert(mine, language=sub.language, share=share)
        messages.append(Outgoing(sub.chat_id, "alert", f"alert:{sub.chat_id}:{ids[0]}-{ids[-1]}:{len(ids)}", text))
    return messages


class Alerts:
    def __init__(self, db: Database, subscriptions: Subscriptions) -> None:
        self.db = db
        self.subscriptions = subscriptions
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
            messages = plan_alerts(subscribers, items, self.bot_username)
            queued = enqueue(s, messages)
            store.mark_alerted(s, [r.id for r in rows])  # type: ignore[misc]
        log.info("alerts: %d new item(s), %d message(s) queued", len(items), queued)
        return queued

