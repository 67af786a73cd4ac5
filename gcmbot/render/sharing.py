"""The forward-safe last line of a digest or alert (the link itself: services.sharing.start_link)."""

from __future__ import annotations

from html import escape

from gcmbot.i18n import N_, translator
from gcmbot.services.sharing import start_link
from gcmbot.services.subscriptions import Segment

SHARE_LINE = N_("📣 Get these updates: {link}")


def share_line(bot_username: str | None, segment: Segment, language: str = "en") -> str:
    """The last line of a digest or alert (HTML), or "" when the bot's username is not known yet."""
    if not bot_username:
        return ""
    link = start_link(bot_username, segment)
    anchor = f'<a href="https://{escape(link, quote=True)}">{escape(link)}</a>'
    return translator(language).gettext(SHARE_LINE).format(link=anchor)
