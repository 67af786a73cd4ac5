"""The words of feeds for admins: /feeds (the state of every feed) and the notices of a feed
flagged after failing or working again."""

from __future__ import annotations

import html
from datetime import datetime
from html import escape

from gcmbot.i18n import N_, moment, number, translator
from gcmbot.services.feeds import FeedNotice, FeedStatus

NO_FEEDS = N_("No feeds are configured. Add one to content/feeds.yaml and run gcmbot content load.")
MAX_CHARS = 4096


def _when(value: datetime | None, lang: str = "en") -> str:
    return moment(value, lang) if value else translator(lang).gettext("never")


def feed_status(feeds: list[FeedStatus], lang: str = "en") -> str:
    """One block per feed: state, last success, last error, item count. Under Telegram's limit. In `lang`."""
    tr = translator(lang)
    _ = tr.gettext
    if not feeds:
        return _(NO_FEEDS)
    blocks = ["<b>" + _("Feeds") + "</b> " + _("({n} flagged)").format(n=number(sum(f.flagged for f in feeds), lang))]
    for f in feeds:
        state = "🚩 " + _("flagged") if f.flagged else _("retired") if f.retired else _("on") if f.enabled else _("off")
        items = tr.ngettext("{n} item", "{n} items", f.items).format(n=number(f.items, lang))
        lines = [
            f"<b>{escape(f.name)}</b> — {state}",
            f"<code>{escape(f.id)}</code> · {items} · " + _("last success: {when}").format(when=_when(f.last_success_at, lang)),
        ]
        if f.last_error:
            lines.append(_("last error: {error}").format(error=escape(f.last_error[:200]))
                         + (" " + _("({n}× in a row)").format(n=number(f.consecutive_failures, lang)) if f.consecutive_failures else ""))
        blocks.append("\n".join(lines))
    text = "\n\n".join(blocks)
    while len(text) > MAX_CHARS and len(blocks) > 2:
        blocks.pop()
        text = "\n\n".join(blocks) + "\n\n" + _("… more in {command}").format(command="<code>gcmbot feeds list</code>")
    return text


def admin_flag_text(name: str, failures: int, error: str | None, lang: str = "en") -> str:
    tr = translator(lang)
    return (
        "⚠️ " + tr.ngettext("Feed {name} failed {n} time in a row and is now flagged.", "Feed {name} failed {n} times in a row and is now flagged.",
                           failures).format(name=f"<b>{html.escape(name)}</b>", n=number(failures, lang)) + "\n"
        + tr.gettext("Last error: {error}").format(error=html.escape(error or tr.gettext("unknown"))) + "\n"
        + tr.gettext("It is retried with backoff; /feeds shows the state of all feeds.")
    )


def admin_recovered_text(name: str, lang: str = "en") -> str:
    return "✅ " + translator(lang).gettext("Feed {name} works again and is no longer flagged.").format(name=f"<b>{html.escape(name)}</b>")


def render_notice(notice: FeedNotice, lang: str) -> str:
    """services.feeds.FeedNoticeRenderer."""
    if notice.recovered:
        return admin_recovered_text(notice.name, lang)
    return admin_flag_text(notice.name, notice.failures, notice.error, lang)
