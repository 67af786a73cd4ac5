"""The settings menu: texts and inline keyboards (as gcmbot.render.keyboard data).

Callback data is `s:<key>:<action>[:<arg>…]`, at most 64 bytes. The key is the token
of the newest menu of the chat (a channel's: `<channel id>.<token>`), so buttons of
older menus are stale. Actions open a screen (a noun) or change a setting on it (a verb);
ACTIONS says which screen each belongs to.
"""

from __future__ import annotations

from html import escape

from babel.dates import get_day_names
from gcmbot.i18n import LANGUAGE_NAMES, N_, isolate_html, translator
from gcmbot.render.keyboard import Button, Keyboard, fits
from gcmbot.render.keyboard import rows as _rows
from gcmbot.services.subscriptions import REMINDER_DAY_CHOICES, Subscription

# --- the actions: what a button's callback data says --------------------------------
MENU, DONE = "menu", "done"
CHOICES, TOGGLE, ALL = "choices", "toggle", "all"  # args: kind code (r, c, t)[, value id]
DIGEST, WEEKDAY, HOUR, REMIND_DAYS, FLAG, QUIET = "digest", "weekday", "hour", "remind-days", "flag", "quiet"
TIMEZONE, SET_TIMEZONE = "timezone", "set-timezone"
LANGUAGE, SET_LANGUAGE = "language", "set-language"
FORGET = "forget"  # args: yes | no

# Screen → its actions (the first one opens it). The handlers have one function per screen.
ACTIONS = {
    "main": (MENU, DONE),
    "choices": (CHOICES, TOGGLE, ALL),
    "digest": (DIGEST, WEEKDAY, HOUR, REMIND_DAYS, FLAG, QUIET),
    "timezone": (TIMEZONE, SET_TIMEZONE),
    "language": (LANGUAGE, SET_LANGUAGE),
    "forget": (FORGET,),
}

# Menus sent before the actions had names carry one- or two-letter codes. Such a menu stays live
# until the chat opens a newer one (its token is still current), and people tap buttons of
# messages days old: the codes are read as the names they stand for.
LEGACY_ACTIONS = {
    "m": MENU, "v": CHOICES, "t": TOGGLE, "a": ALL, "d": DIGEST, "dw": WEEKDAY, "dh": HOUR, "rd": REMIND_DAYS,
    "f": FLAG, "q": QUIET, "z": TIMEZONE, "zs": SET_TIMEZONE, "l": LANGUAGE, "ls": SET_LANGUAGE, "fg": FORGET,
}
# FLAG's argument → the Subscription field it turns on or off.
FLAGS = {"alerts": "alerts", "reminders": "reminders", "empty": "send_empty_digest"}


def action_of(name: str) -> str:
    """The action a callback's action part means (a legacy code read as its name)."""
    return LEGACY_ACTIONS.get(name, name)

KIND_CODES = {"r": "region", "c": "constituency", "t": "topic"}
CODE_OF = {v: k for k, v in KIND_CODES.items()}
KIND_TITLES = {"region": N_("Regions"), "constituency": N_("Constituencies"), "topic": N_("Topics")}
ALL_LABEL = {"region": N_("All regions"), "constituency": N_("All constituencies"), "topic": N_("All topics")}
ALL_LOWER = {"region": N_("all regions"), "constituency": N_("all constituencies"), "topic": N_("all topics")}
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
HOURS = (6, 7, 8, 9, 10, 12, 14, 16, 18, 20)
REMINDER_DAYS = REMINDER_DAY_CHOICES  # the menu's choices (services.subscriptions)
QUIET_LABELS = {"off": N_("🔔 With sound"), "night": N_("🌙 Quiet at night"), "always": N_("🔕 Always quiet")}
QUIET_SUMMARY = {"off": N_("never"), "night": N_("at night (22:00–07:00)"), "always": N_("always")}
CHECK = "✅ "


def cb(token: str, *parts: object) -> str:
    return ":".join(["s", token, *map(str, parts)])


def menu_key(sub: Subscription) -> str:
    """The token part of a menu's callback data. A channel's menu lives in its admin's private
    chat, so its key also names the channel: `<channel id>.<token>`."""
    return f"{sub.chat_id}.{sub.menu_token}" if sub.is_channel else sub.menu_token


def parse_key(key: str) -> tuple[int | None, str]:
    """(channel id or None, token) from a menu key."""
    channel, dot, token = key.partition(".")
    if not dot:
        return None, key
    return int(channel), token


def _names(values, options: dict[str, str]) -> str:
    return ", ".join(escape(options.get(v, v)) for v in sorted(values, key=lambda v: list(options).index(v) if v in options else 99))


def _t(sub: Subscription):
    return translator(sub.language).gettext


def weekday_name(index: int, lang: str, width: str = "wide") -> str:
    """Monday is 0; names from Babel for the locale ("lunes", "lundi", "الاثنين")."""
    if lang == "en" or not lang:
        return WEEKDAYS[index] if width == "wide" else WEEKDAYS[index][:3]
    return get_day_names(width, locale=lang)[index]


def choice_summary(sub: Subscription, kind: str, options: dict[str, str]) -> str:
    _ = _t(sub)
    values = sub.segment.get(kind)
    return _(ALL_LOWER[kind]) if values is None else (_names(values, options) or _("none"))


def digest_summary(sub: Subscription) -> str:
    _ = _t(sub)
    if sub.digest_weekday is None:
        return _("off")
    return _("{weekday}s at {time} ({zone})").format(
        weekday=weekday_name(sub.digest_weekday, sub.language), time=f"{sub.digest_hour:02d}:00", zone=escape(sub.timezone)
    )


def summary(sub: Subscription, options: dict[str, dict[str, str]]) -> str:
    _ = _t(sub)
    onoff = lambda flag: _("on") if flag else _("off")  # noqa: E731
    status = {"active": _("active"), "stopped": _("stopped (/start resumes)"), "inactive": _("inactive")}.get(sub.status, sub.status)
    reminders = onoff(sub.reminders)
    if sub.reminders:
        reminders += " " + _("({days} days before)").format(days=sub.reminder_days)
    lines = [
        _("<b>This channel's subscription</b>") if sub.is_channel else _("<b>Your subscription</b>"),
        _("Status: {status}").format(status=status),
        _("Regions: {names}").format(names=choice_summary(sub, "region", options["region"])),
        _("Constituencies: {names}").format(names=choice_summary(sub, "constituency", options["constituency"])),
        _("Topics: {names}").format(names=choice_summary(sub, "topic", options["topic"])),
        _("Weekly digest: {when}").format(when=digest_summary(sub)),
        _("Instant alerts for new documents: {onoff}").format(onoff=onoff(sub.alerts)),
        _("Reminders before events: {onoff}").format(onoff=reminders),
        _("Digests without notification sound: {when}").format(when=_(QUIET_SUMMARY[sub.quiet_mode])),
        _("Language: {language}").format(language=LANGUAGE_NAMES.get(sub.language, sub.language)),
    ]
    return isolate_html("\n".join(lines), sub.language)


def main_menu(sub: Subscription, options: dict[str, dict[str, str]]) -> tuple[str, Keyboard]:
    _ = _t(sub)
    t = menu_key(sub)
    text = summary(sub, options) + "\n\n" + _("What would you like to change?")
    keyboard = [
        [Button("🌍 " + _("Regions"), cb(t, CHOICES, "r")), Button("👥 " + _("Constituencies"), cb(t, CHOICES, "c"))],
        [Button("🏷 " + _("Topics"), cb(t, CHOICES, "t")), Button("📬 " + _("Digest & alerts"), cb(t, DIGEST))],
        [Button("🕒 " + _("Timezone"), cb(t, TIMEZONE)), Button("🗣 " + _("Language"), cb(t, LANGUAGE))],
        [Button(_("Done"), cb(t, DONE))],
    ]
    return text, keyboard


def choice_menu(sub: Subscription, kind: str, options: dict[str, str]) -> tuple[str, Keyboard]:
    _ = _t(sub)
    t, code = menu_key(sub), CODE_OF[kind]
    chosen = sub.segment.get(kind)
    buttons = [
        Button((CHECK if chosen is not None and value in chosen else "") + name, cb(t, TOGGLE, code, value))
        for value, name in options.items()
    ]
    keyboard = [[Button((CHECK if chosen is None else "") + _(ALL_LABEL[kind]), cb(t, ALL, code))]]
    keyboard += _rows(buttons, 2)
    keyboard.append([Button(_("« Back"), cb(t, MENU))])
    text = f"<b>{_(KIND_TITLES[kind])}</b>\n" + _("Tap to select or unselect; you can pick several. Now: {names}.").format(
        names=choice_summary(sub, kind, options)
    )
    return text, keyboard


def digest_menu(sub: Subscription) -> tuple[str, Keyboard]:
    _ = _t(sub)
    t = menu_key(sub)
    mark = lambda cond, label: (CHECK if cond else "") + label  # noqa: E731
    days = [Button(mark(sub.digest_weekday == i, weekday_name(i, sub.language, "abbreviated")), cb(t, WEEKDAY, i)) for i in range(7)]
    days.append(Button(mark(sub.digest_weekday is None, _("Off")), cb(t, WEEKDAY, "off")))
    hours = [Button(mark(sub.digest_hour == h, f"{h:02d}:00"), cb(t, HOUR, h)) for h in HOURS]
    flags = [
        Button(mark(sub.alerts, _("Instant alerts")), cb(t, FLAG, "alerts")),
        Button(mark(sub.reminders, _("Event reminders")), cb(t, FLAG, "reminders")),
    ]
    before = [
        Button(mark(sub.reminders and sub.reminder_days == d, _("{days} days before").format(days=d)), cb(t, REMIND_DAYS, d))
        for d in REMINDER_DAYS
    ]
    quiet = [Button(mark(sub.quiet_mode == mode, _(label)), cb(t, QUIET, mode)) for mode, label in QUIET_LABELS.items()]
    keyboard = _rows(days, 4) + _rows(hours, 5) + [flags, before]
    keyboard.append([Button(mark(sub.send_empty_digest, _("Send digest even when nothing is new")), cb(t, FLAG, "empty"))])
    keyboard.append(quiet)
    keyboard.append([Button(_("« Back"), cb(t, MENU))])
    text = "\n".join([
        _("<b>Digest and alerts</b>"),
        _("Weekly digest: {when}. Pick a day and an hour (your timezone), or Off.").format(when=digest_summary(sub)),
        _("Instant alerts: a message as soon as a new UN/IOM document matches your choices."),
        _("Event reminders: a message a few days before a consultation you follow."),
        _("Deliver quietly: digests arrive without a notification sound — never, at night (22:00–07:00 in your timezone) or always."),
    ])
    return text, keyboard


def timezone_menu(sub: Subscription, zones_by_region: list[tuple[str, list[str]]]) -> tuple[str, Keyboard]:
    t = menu_key(sub)
    zones: list[str] = []
    for _, names in zones_by_region:
        zones += [z for z in names if z not in zones]
    if "UTC" not in zones:
        zones.insert(0, "UTC")
    buttons = [Button((CHECK if z == sub.timezone else "") + z, cb(t, SET_TIMEZONE, z)) for z in zones if fits(cb(t, SET_TIMEZONE, z))]
    _ = _t(sub)
    keyboard = _rows(buttons, 2) + [[Button(_("« Back"), cb(t, MENU))]]
    text = _(
        "<b>Timezone</b>\nNow: {zone}. Pick one below, or send its name as a message, "
        "like <code>Africa/Nairobi</code> or <code>America/Mexico_City</code>."
    ).format(zone=escape(sub.timezone))
    return text, keyboard


def language_menu(sub: Subscription) -> tuple[str, Keyboard]:
    _ = _t(sub)
    t = menu_key(sub)
    buttons = [Button((CHECK if code == sub.language else "") + name, cb(t, SET_LANGUAGE, code)) for code, name in LANGUAGE_NAMES.items()]
    text = _("<b>Language</b>\nThe language the bot speaks to this chat.")
    return text, [buttons, [Button(_("« Back"), cb(t, MENU))]]


def done(sub: Subscription, options: dict[str, dict[str, str]]) -> str:
    return summary(sub, options) + "\n\n" + _t(sub)("All set. /settings changes this at any time; /stop pauses everything.")


def forget_confirm(token: str, lang: str = "en") -> tuple[str, Keyboard]:
    _ = translator(lang).gettext
    text = _(
        "This deletes <b>everything</b> stored about this chat: the subscription, every choice, "
        "and any messages waiting to be sent. It cannot be undone."
    )
    return text, [[Button(_("Delete everything"), cb(token, FORGET, "yes")), Button(_("Cancel"), cb(token, FORGET, "no"))]]


_DELETED_KINDS = {"subscription": N_("{n} subscription"), "choices": N_("{n} choices"), "messages": N_("{n} messages")}


def forgotten(deleted: dict[str, int], lang: str = "en") -> str:
    _ = translator(lang).gettext
    parts = [_(_DELETED_KINDS[what]).format(n=n) if what in _DELETED_KINDS else f"{n} {what}" for what, n in deleted.items() if n]
    if not parts:
        return _("Nothing was stored about this chat.")
    return _("Deleted: {what}. Nothing about this chat is stored any more. /start subscribes again.").format(what=", ".join(parts))


TIMEZONE_ASK = N_("Send the name of your timezone, like Africa/Nairobi.")
TIMEZONE_SET = N_("Timezone set to {zone}.")
TIMEZONE_BAD = N_("“{text}” is not a timezone name I know. Send a name like Africa/Nairobi or Europe/Madrid, or pick one from /settings → Timezone. Nothing was changed.")
STALE = N_("This menu is out of date. Send /settings for a fresh one.")
UNKNOWN = N_("Unknown option; nothing was changed.")
FORGET_CANCELLED = N_("Cancelled. Nothing was deleted.")
PROMPT_CANCELLED = N_("Cancelled. Nothing was changed.")
NOTHING_TO_CANCEL = N_("There is nothing to cancel.")
NOTHING_STORED = N_("Nothing is stored about this chat.")
ADDED_TO_GROUP = N_("Hello! I send updates on the Global Compact for Migration. A group administrator can send /start to subscribe this group.")
