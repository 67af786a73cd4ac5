"""Texts of the core commands, rendered as Telegram HTML. Everything variable is escaped."""

from __future__ import annotations

from html import escape

# (command, description) shown by /help and registered with setMyCommands.
# Keep in step with the README's "Using the bot" section.
COMMANDS: list[tuple[str, str]] = [
    ("start", "Subscribe this chat to GCM updates"),
    ("settings", "Choose regions, constituencies, topics, digest day and time"),
    ("mysubscription", "Show what this chat receives"),
    ("timezone", "Set your timezone, e.g. /timezone Africa/Nairobi"),
    ("digest", "Show your digest now (a preview)"),
    ("events", "Upcoming consultations and milestones"),
    ("calendar", "Get the events as a calendar file (.ics)"),
    ("stop", "Pause all messages (your choices are kept)"),
    ("forget", "Delete everything stored about this chat"),
    ("ask", "Ask a question about the compact (or just write it in a private chat)"),
    ("help", "What this bot can do"),
]
ADMIN_COMMANDS: list[tuple[str, str]] = [
    ("broadcast", "Send a message to the subscribers of a region / constituency / topic"),
    ("broadcasts", "Recent broadcasts with sent / pending / failed counts"),
    ("stats", "What people ask, and the top questions the bot could not answer"),
    ("feeds", "State of the UN/IOM feeds: last success, last error, items, flagged"),
]


def welcome(*, created: bool, restored: bool, narrowed: list[str]) -> str:
    if created:
        head = "<b>Welcome!</b> This chat is now subscribed to updates on the Global Compact for Migration."
    elif restored:
        head = "<b>Welcome back!</b> Your subscription is active again, with the choices you had before."
    else:
        head = "This chat is already subscribed."
    lines = [head]
    if narrowed:
        lines.append("Following: " + ", ".join(escape(n) for n in narrowed) + ".")
    elif created:
        lines.append("You get a weekly digest for <b>all regions and all constituencies</b>.")
    lines.append("Narrow it down with the menu below or /settings at any time; /help lists everything.")
    return "\n\n".join(lines)


def help_text(*, is_admin: bool) -> str:
    lines = ["<b>gcmbot</b> keeps you up to date on the UN Global Compact for Migration: consultations, statements and new UN/IOM documents.", ""]
    lines += [f"/{cmd} — {escape(desc)}" for cmd, desc in COMMANDS]
    if is_admin and ADMIN_COMMANDS:
        lines += ["", "<b>Admins</b>"] + [f"/{cmd} — {escape(desc)}" for cmd, desc in ADMIN_COMMANDS]
    lines += ["", "Privacy: the bot stores only this chat's id and your choices. /forget deletes them."]
    return "\n".join(lines)


STOPPED = "You will receive nothing more. Your choices are kept: /start resumes, /forget deletes everything."
NOT_SUBSCRIBED = "This chat is not subscribed. Send /start to subscribe."
BAD_START_LINK = "That start link has an option I do not know ({what}), so I subscribed you to everything. Use /settings to choose."
ADMINS_ONLY = "Only the group's administrators can change the bot's settings here."
UNKNOWN_BUTTON = "This button is not valid any more."
