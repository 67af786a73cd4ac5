"""/feeds: the state of every feed, for admins."""

from __future__ import annotations

from datetime import datetime
from html import escape

from gcmbot.services.feeds import FeedStatus

NO_FEEDS = "No feeds are configured. Add one to content/feeds.yaml and run gcmbot content load."
MAX_CHARS = 4096


def _when(value: datetime | None) -> str:
    return f"{value:%Y-%m-%d %H:%M} UTC" if value else "never"


def feed_status(feeds: list[FeedStatus]) -> str:
    """One block per feed: state, last success, last error, item count. Under Telegram's limit."""
    if not feeds:
        return NO_FEEDS
    blocks = [f"<b>Feeds</b> ({sum(f.flagged for f in feeds)} flagged)"]
    for f in feeds:
        state = "🚩 flagged" if f.flagged else "retired" if f.retired else "on" if f.enabled else "off"
        lines = [
            f"<b>{escape(f.name)}</b> — {state}",
            f"<code>{escape(f.id)}</code> · {f.items} items · last success: {_when(f.last_success_at)}",
        ]
        if f.last_error:
            lines.append(f"last error: {escape(f.last_error[:200])}" + (f" ({f.consecutive_failures}× in a row)" if f.consecutive_failures else ""))
        blocks.append("\n".join(lines))
    text = "\n\n".join(blocks)
    while len(text) > MAX_CHARS and len(blocks) > 2:
        blocks.pop()
        text = "\n\n".join(blocks) + "\n\n… more in <code>gcmbot feeds list</code>"
    return text
