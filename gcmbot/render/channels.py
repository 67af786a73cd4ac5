"""Texts of /channel: linking a channel from its administrator's private chat."""

from __future__ import annotations

from html import escape

from gcmbot.i18n import N_, translator

USAGE = N_(
    "<b>Channels</b>\nAdd me to your channel as an administrator who may post messages, then send "
    "<code>/channel @yourchannel</code> here (or forward me any post of the channel). You choose what the "
    "channel gets with the same menu; digests and alerts arrive as posts. <code>/channel off</code> unlinks it."
)
PRIVATE_ONLY = N_("Channels are linked in a private chat with me: send /channel there.")
BAD_NAME = N_("“{name}” is not a channel name. Send /channel @yourchannel (its public @username) or forward me a post of the channel.")
NOT_FOUND = N_("I cannot find that channel. Add me to it as an administrator first, then try again.")
NOT_A_CHANNEL = N_("That chat is not a channel. For a group, add me to the group and send /start there.")
BOT_CANNOT_POST = N_("I am not an administrator of {title} with the right to post messages. Give me that right in the channel's settings, then try again.")
NOT_ADMIN = N_("Only administrators of {title} can link it. Nothing was changed.")
OFF_WHICH = N_("Which channel? Send /channel off @yourchannel.")
UNLINKED = N_("{title} is unlinked: nothing more is posted there. Its choices are kept; /channel {name} links it again.")
NOT_LINKED = N_("{title} is not linked. Nothing was changed.")


def say(lang: str | None, message: str, **values: str) -> str:
    return translator(lang).gettext(message).format(**{k: escape(v) for k, v in values.items()})


def linked(title: str, ref: str, *, created: bool, lang: str | None) -> str:
    _ = translator(lang).gettext
    head = _("📢 <b>{title}</b> is linked.") if created else _("📢 <b>{title}</b> is linked again.")
    return head.format(title=escape(title)) + "\n" + _(
        "It gets the weekly digest and, if you turn them on, instant alerts and reminders, as posts. Choose below what it gets; "
        "/channel {name} opens this menu again."
    ).format(name=escape(ref))
