"""The settings menu: texts and inline keyboards.

Callback data is `s:<token>:<action>[:<arg>…]`, at most 64 bytes. The token
belongs to the newest menu of the chat, so buttons of older menus are stale.
"""

from __future__ import annotations

from html import escape

from telegram import InlineKeyboardButton as Button
from telegram import InlineKeyboardMarkup as Markup

from gcmbot.services.subscriptions import Subscription

KIND_CODES = {"r": "region", "c": "constituency", "t": "topic"}
CODE_OF = {v: k for k, v in KIND_CODES.items()}
KIND_TITLES = {"region": "Regions", "constituency": "Constituencies", "topic": "Topics"}
ALL_LABEL = {"region": "All regions", "constituency": "All constituencies", "topic": "All topics"}
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
LANGUAGE_NAMES = {"en": "English", "es": "Español", "fr": "Français", "ar": "العربية"}
HOURS = (6, 7, 8, 9, 10, 12, 14, 16, 18, 20)
CHECK = "✅ "


def cb(token: str, *parts: object) -> str:
    return ":".join(["s", token, *map(str, parts)])


def _rows(buttons: list[Button], width: int) -> list[list[Button]]:
    return [buttons[i : i + width] for i in range(0, len(buttons), width)]


def _names(values, options: dict[str, str]) -> str:
    return ", ".join(escape(options.get(v, v)) for v in sorted(values, key=lambda v: list(options).index(v) if v in options else 99))


def choice_summary(sub: Subscription, kind: str, options: dict[str, str]) -> str:
    values = sub.segment.get(kind)
    return ALL_LABEL[kind].lower() if values is None else (_names(values, options) or "none")


def digest_summary(sub: Subscription) -> str:
    if sub.digest_weekday is None:
        return "off"
    return f"{WEEKDAYS[sub.digest_weekday]}s at {sub.digest_hour:02d}:00 ({escape(sub.timezone)})"


def summary(sub: Subscription, options: dict[str, dict[str, str]]) -> str:
    onoff = lambda flag: "on" if flag else "off"  # noqa: E731
    status = {"active": "active", "stopped": "stopped (/start resumes)", "inactive": "inactive"}.get(sub.status, sub.status)
    lines = [
        "<b>Your subscription</b>",
        f"Status: {status}",
        f"Regions: {choice_summary(sub, 'region', options['region'])}",
        f"Constituencies: {choice_summary(sub, 'constituency', options['constituency'])}",
        f"Topics: {choice_summary(sub, 'topic', options['topic'])}",
        f"Weekly digest: {digest_summary(sub)}",
        f"Instant alerts for new documents: {onoff(sub.alerts)}",
        f"Reminders before events: {onoff(sub.reminders)}" + (f" ({sub.reminder_days} days before)" if sub.reminders else ""),
        f"Language: {LANGUAGE_NAMES.get(sub.language, sub.language)}",
    ]
    return "\n".join(lines)


def main_menu(sub: Subscription, options: dict[str, dict[str, str]]) -> tuple[str, Markup]:
    t = sub.menu_token
    text = summary(sub, options) + "\n\nWhat would you like to change?"
    keyboard = [
        [Button("🌍 Regions", callback_data=cb(t, "v", "r")), Button("👥 Constituencies", callback_data=cb(t, "v", "c"))],
        [Button("🏷 Topics", callback_data=cb(t, "v", "t")), Button("📬 Digest & alerts", callback_data=cb(t, "d"))],
        [Button("🕒 Timezone", callback_data=cb(t, "z")), Button("🗣 Language", callback_data=cb(t, "l"))],
        [Button("Done", callback_data=cb(t, "done"))],
    ]
    return text, Markup(keyboard)


def choice_menu(sub: Subscription, kind: str, options: dict[str, str]) -> tuple[str, Markup]:
    t, code = sub.menu_token, CODE_OF[kind]
    chosen = sub.segment.get(kind)
    buttons = [
        Button((CHECK if chosen is not None and value in chosen else "") + name, callback_data=cb(t, "t", code, value))
        for value, name in options.items()
    ]
    keyboard = [[Button((CHECK if chosen is None else "") + ALL_LABEL[kind], callback_data=cb(t, "a", code))]]
    keyboard += _rows(buttons, 2)
    keyboard.append([Button("« Back", callback_data=cb(t, "m"))])
    text = f"<b>{KIND_TITLES[kind]}</b>\nTap to select or unselect; you can pick several. Now: {choice_summary(sub, kind, options)}."
    return text, Markup(keyboard)


def digest_menu(sub: Subscription) -> tuple[str, Markup]:
    t = sub.menu_token
    mark = lambda cond, label: (CHECK if cond else "") + label  # noqa: E731
    days = [Button(mark(sub.digest_weekday == i, day[:3]), callback_data=cb(t, "dw", i)) for i, day in enumerate(WEEKDAYS)]
    days.append(Button(mark(sub.digest_weekday is None, "Off"), callback_data=cb(t, "dw", "off")))
    hours = [Button(mark(sub.digest_hour == h, f"{h:02d}:00"), callback_data=cb(t, "dh", h)) for h in HOURS]
    flags = [
        Button(mark(sub.alerts, "Instant alerts"), callback_data=cb(t, "f", "alerts")),
        Button(mark(sub.reminders, "Event reminders"), callback_data=cb(t, "f", "reminders")),
    ]
    keyboard = _rows(days, 4) + _rows(hours, 5) + [flags]
    keyboard.append([Button(mark(sub.send_empty_digest, "Send digest even when nothing is new"), callback_data=cb(t, "f", "empty"))])
    keyboard.append([Button("« Back", callback_data=cb(t, "m"))])
    text = (
        "<b>Digest and alerts</b>\n"
        f"Weekly digest: {digest_summary(sub)}. Pick a day and an hour (your timezone), or Off.\n"
        "Instant alerts: a message as soon as a new UN/IOM document matches your choices.\n"
        "Event reminders: a message a few days before a consultation you follow."
    )
    return text, Markup(keyboard)


def timezone_menu(sub: Subscription, zones_by_region: list[tuple[str, list[str]]]) -> tuple[str, Markup]:
    t = sub.menu_token
    zones: list[str] = []
    for _, names in zones_by_region:
        zones += [z for z in names if z not in zones]
    if "UTC" not in zones:
        zones.insert(0, "UTC")
    buttons = [Button((CHECK if z == sub.timezone else "") + z, callback_data=cb(t, "zs", z)) for z in zones if len(cb(t, "zs", z)) <= 64]
    keyboard = _rows(buttons, 2) + [[Button("« Back", callback_data=cb(t, "m"))]]
    text = (
        f"<b>Timezone</b>\nNow: {escape(sub.timezone)}. Pick one below, or send its name as a message, "
        "like <code>Africa/Nairobi</code> or <code>America/Mexico_City</code>."
    )
    return text, Markup(keyboard)


def language_menu(sub: Subscription) -> tuple[str, Markup]:
    t = sub.menu_token
    buttons = [Button((CHECK if code == sub.language else "") + name, callback_data=cb(t, "ls", code)) for code, name in LANGUAGE_NAMES.items()]
    return "<b>Language</b>\nThe language the bot speaks to this chat.", Markup([buttons, [Button("« Back", callback_data=cb(t, "m"))]])


def done(sub: Subscription, options: dict[str, dict[str, str]]) -> str:
    return summary(sub, options) + "\n\nAll set. /settings changes this at any time; /stop pauses everything."


def forget_confirm(token: str) -> tuple[str, Markup]:
    text = (
        "This deletes <b>everything</b> stored about this chat: the subscription, every choice, "
        "and any messages waiting to be sent. It cannot be undone."
    )
    return text, Markup([[Button("Delete everything", callback_data=cb(token, "fg", "yes")), Button("Cancel", callback_data=cb(token, "fg", "no"))]])


def forgotten(deleted: dict[str, int]) -> str:
    parts = [f"{n} {what}" for what, n in deleted.items() if n]
    if not parts:
        return "Nothing was stored about this chat."
    return "Deleted: " + ", ".join(parts) + ". Nothing about this chat is stored any more. /start subscribes again."


TIMEZONE_SET = "Timezone set to {zone}."
TIMEZONE_BAD = "“{text}” is not a timezone name I know. Send a name like Africa/Nairobi or Europe/Madrid, or pick one from /settings → Timezone. Nothing was changed."
STALE = "This menu is out of date. Send /settings for a fresh one."
UNKNOWN = "Unknown option; nothing was changed."
ADMINS_ONLY = "Only the group's administrators can change the bot's settings here."
NOT_SUBSCRIBED = "This chat is not subscribed. Send /start to subscribe."
FORGET_CANCELLED = "Cancelled. Nothing was deleted."
NOTHING_STORED = "Nothing is stored about this chat."
ADDED_TO_GROUP = "Hello! I send updates on the Global Compact for Migration. A group administrator can send /start to subscribe this group."
