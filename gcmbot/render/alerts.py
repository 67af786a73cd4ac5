"""The words of an instant alert: one message listing a subscriber's new feed items."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from babel.dates import format_skeleton

from gcmbot.i18n import isolate_html, translator
from gcmbot.render.markup import LIMIT, tg_len
from gcmbot.render.sharing import share_line
from gcmbot.services.alerts import AlertItem, PlannedAlert


def _header(n: int, language: str) -> str:
    return "🆕 <b>" + translator(language).ngettext("New document", "{n} new documents", n).format(n=n) + "</b>"


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


def render_alert(items: Sequence[AlertItem], *, limit: int = LIMIT, language: str = "en", share: str = "") -> str:
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


def render_planned_alert(alert: PlannedAlert) -> str:
    """services.alerts.AlertRenderer: the message a planned alert is queued with."""
    sub = alert.subscription
    return render_alert(alert.items, language=sub.language, share=share_line(alert.bot_username, sub.segment, sub.language))
