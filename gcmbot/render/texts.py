"""Texts of the core commands, rendered as Telegram HTML. Everything variable is escaped.

Texts are English msgids marked for translation (gcmbot.i18n); the functions take the
chat's language. Module constants are English; show them with `tr(lang, CONSTANT)`.
"""

from __future__ import annotations

from html import escape

from gcmbot.i18n import LANGUAGE_NAMES, LANGUAGES, N_, isolate_html, translator

# (command, description) shown by /help and registered with setMyCommands (per language).
# Keep in step with the README's "Using the bot" section.
COMMANDS: list[tuple[str, str]] = [
    ("start", N_("Subscribe this chat to GCM updates")),
    ("settings", N_("Choose regions, constituencies, topics, digest day and time")),
    ("mysubscription", N_("Show what this chat receives")),
    ("timezone", N_("Set your timezone, e.g. /timezone Africa/Nairobi")),
    ("lang", N_("Choose the bot's language, e.g. /lang fr")),
    ("digest", N_("Show your digest now (a preview)")),
    ("events", N_("Upcoming consultations and milestones")),
    ("calendar", N_("Get the events as a calendar file (.ics)")),
    ("stop", N_("Pause all messages (your choices are kept)")),
    ("forget", N_("Delete everything stored about this chat")),
    ("ask", N_("Ask a question about the compact (or just write it in a private chat)")),
    ("channel", N_("Link a channel you administer, e.g. /channel @mychannel; /channel off unlinks it")),
    ("help", N_("What this bot can do")),
]
ADMIN_COMMANDS: list[tuple[str, str]] = [
    ("broadcast", N_("Send a message to the subscribers of a region / constituency / topic")),
    ("broadcasts", N_("Recent broadcasts with sent / pending / failed counts")),
    ("stats", N_("What people ask, and the top questions the bot could not answer")),
    ("feeds", N_("State of the UN/IOM feeds: last success, last error, items, flagged")),
    ("web", N_("A one-time login link to the web console (private chat)")),
]


def tr(lang: str | None, message: str) -> str:
    """`message` (an English msgid) in `lang`."""
    return translator(lang).gettext(message)


def commands(lang: str | None = "en") -> list[tuple[str, str]]:
    """COMMANDS with their descriptions in `lang` (for /help and setMyCommands)."""
    _ = translator(lang).gettext
    return [(cmd, _(desc)) for cmd, desc in COMMANDS]


def welcome(*, created: bool, restored: bool, narrowed: list[str], lang: str | None = "en") -> str:
    _ = translator(lang).gettext
    if created:
        head = _("<b>Welcome!</b> This chat is now subscribed to updates on the Global Compact for Migration.")
    elif restored:
        head = _("<b>Welcome back!</b> Your subscription is active again, with the choices you had before.")
    else:
        head = _("This chat is already subscribed.")
    lines = [head]
    if narrowed:
        lines.append(_("Following: {names}.").format(names=", ".join(escape(n) for n in narrowed)))
    elif created:
        lines.append(_("You get a weekly digest for <b>all regions and all constituencies</b>."))
    lines.append(_("Narrow it down with the menu below or /settings at any time; /help lists everything."))
    return isolate_html("\n\n".join(lines), lang)


def help_text(*, is_admin: bool, lang: str | None = "en") -> str:
    _ = translator(lang).gettext
    lines = [_("<b>gcmbot</b> keeps you up to date on the UN Global Compact for Migration: consultations, statements and new UN/IOM documents."), ""]
    lines += [f"/{cmd} — {escape(desc)}" for cmd, desc in commands(lang)]
    if is_admin and ADMIN_COMMANDS:
        lines += ["", "<b>" + _("Admins") + "</b>"] + [f"/{cmd} — {escape(_(desc))}" for cmd, desc in ADMIN_COMMANDS]
    lines += ["", _("Privacy: the bot stores only this chat's id and your choices. /forget deletes them.")]
    return isolate_html("\n".join(lines), lang)  # Arabic: "/start" stays "/start", each line stays right-to-left


def language_set(lang: str) -> str:
    return translator(lang).gettext("The bot now speaks {language} in this chat.").format(language=LANGUAGE_NAMES[lang])


def language_bad(code: str, lang: str | None) -> str:
    return translator(lang).gettext(
        "“{code}” is not a language I speak. Choose one of: {codes}. Nothing was changed."
    ).format(code=escape(code[:16]), codes=", ".join(LANGUAGES))


STOPPED = N_("You will receive nothing more. Your choices are kept: /start resumes, /forget deletes everything.")
NOT_SUBSCRIBED = N_("This chat is not subscribed. Send /start to subscribe.")
BAD_START_LINK = N_("That start link has an option I do not know ({what}), so I subscribed you to everything. Use /settings to choose.")
ADMINS_ONLY = N_("Only the group's administrators can change the bot's settings here.")
UNKNOWN_BUTTON = N_("This button is not valid any more.")
CHOOSE_LANGUAGE = N_("Choose the language the bot speaks to this chat:")
CHANNEL_ADMINS_ONLY = N_("Only the channel's administrators can change its settings.")
CHANNEL_ADDED = N_("I can post in your channel now. To choose what it gets, send /channel {name} here.")
