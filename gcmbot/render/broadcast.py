"""The words of broadcasts: the admin's /broadcast dialog (texts and keyboards), the report
when one has finished, a broadcast's status (/broadcasts in HTML, `gcmbot broadcast status`
plain) and a segment in plain words.

The dialog's callback data is `b:<draft token>:<action>[:<kind code>[:<value>]]` (≤ 64 bytes).
The token belongs to the admin's current draft; buttons of older drafts are stale.
Actions: v view a kind, t toggle a value, a all of a kind, m segment menu,
p preview, s send now, x cancel, n pin in groups on/off, w schedule… (ask for the time),
q quick time (1h, tm = tomorrow 09:00, mo = Monday 09:00), k confirm the schedule, c back to Send now / Schedule.
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape

from gcmbot.i18n import N_, moment, number, translator
from gcmbot.render.keyboard import Button, Keyboard
from gcmbot.services.broadcast import CLI_ACTOR, BroadcastStatus, SegmentNames
from gcmbot.services.subscriptions import KINDS

TITLES = {"region": N_("Regions"), "constituency": N_("Constituencies"), "topic": N_("Topics")}
STATES = {"done": N_("done"), "cancelled": N_("cancelled"), "scheduled": N_("scheduled"), "sending": N_("sending")}


def describe_segment(names: SegmentNames, lang: str = "en") -> str:
    """Plain words for a segment: "Regions: Africa · Constituencies: all · Topics: all" (in `lang`)."""
    _ = translator(lang).gettext
    parts = []
    for kind in KINDS:
        chosen = names.get(kind)
        if chosen is None:
            parts.append(_("{kind}: all").format(kind=_(TITLES[kind])))
        else:
            parts.append(f"{_(TITLES[kind])}: {', '.join(chosen)}")
    return " · ".join(parts)


def duration(seconds: float, lang: str = "en") -> str:
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{number(seconds, lang)} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{number(minutes, lang)} min {seconds} s"
    hours, minutes = divmod(minutes, 60)
    return f"{number(hours, lang)} h {minutes} min"


def report(st: BroadcastStatus, names: SegmentNames, lang: str = "en") -> str:
    """The summary the admin gets when a broadcast has finished (in the admin's language).
    services.broadcast.ReportRenderer."""
    _ = translator(lang).gettext
    n: Callable[[int], str] = lambda value: number(value, lang)  # noqa: E731
    took = ""
    if st.completed_at and st.created_at:
        start = st.scheduled_at or st.created_at
        took_for = duration(max(0.0, (st.completed_at - start).total_seconds()), lang)
        if st.rate:
            took = "\n" + _("Took {duration}, {rate} messages/s.").format(duration=took_for, rate=number(st.rate, lang, 1))
        else:
            took = "\n" + _("Took {duration}.").format(duration=took_for)
    lines = [
        "<b>" + _("Broadcast {id} finished").format(id=f"#{st.id}") + "</b>",
        escape(describe_segment(names, lang)),
        _("Sent: {sent} of {recipients}").format(sent=n(st.sent), recipients=n(st.recipients)),
        _("Failed: {failed}").format(failed=n(st.failed)) + (" " + _("(see gcmbot broadcast status)") if st.failed else ""),
        _("Skipped (chat blocked the bot or is gone): {skipped}").format(skipped=n(st.skipped)),
    ]
    return "\n".join(lines) + took


def status(st: BroadcastStatus, names: SegmentNames, *, html: bool = True, lang: str = "en") -> str:
    """One broadcast in a few lines: for /broadcasts (HTML, in the admin's language) and
    `gcmbot broadcast status` (plain)."""
    _ = translator(lang).gettext
    n: Callable[[int], str] = lambda value: number(value, lang)  # noqa: E731
    b: Callable[[str], str] = (lambda t: f"<b>{t}</b>") if html else (lambda t: t)  # noqa: E731
    esc: Callable[[str], str] = escape if html else (lambda t: t)  # noqa: E731
    state = st.status if st.status in ("done", "cancelled") else ("scheduled" if st.scheduled_at and st.sent == 0 and st.pending else "sending")
    head = b(f"#{st.id}") + f" {moment(st.created_at, lang)} — {_(STATES[state])}"
    if st.scheduled_at and state == "scheduled":
        head += " " + _("for {when}").format(when=moment(st.scheduled_at, lang))
    counts = _("sent {sent} / pending {pending} / failed {failed} / skipped {skipped} of {recipients}").format(
        sent=n(st.sent), pending=n(st.pending), failed=n(st.failed), skipped=n(st.skipped), recipients=n(st.recipients))
    rate = ", " + _("{rate} msg/s").format(rate=number(st.rate, lang, 1)) if st.rate else ""
    by = "cli" if st.created_by == CLI_ACTOR else str(st.created_by)
    return f"{head}\n{esc(describe_segment(names, lang))}\n{counts}{rate} " + _("(by {who})").format(who=by)


# --- the /broadcast dialog ---------------------------------------------------------

KIND_CODES = {"r": "region", "c": "constituency", "t": "topic"}
CODE_OF = {v: k for k, v in KIND_CODES.items()}
ALL_LABEL = {"region": N_("All regions"), "constituency": N_("All constituencies"), "topic": N_("All topics")}
CHECK = "✅ "
ACTIONS = frozenset("vtampsxnwqkc")
QUICK_TIMES = {"1h": "in 1 hour", "tm": "tomorrow 9:00", "mo": "monday 9:00"}


def cb(token: str, *parts: object) -> str:
    return ":".join(["b", token, *map(str, parts)])


def ask_text(token: str, lang: str = "en") -> tuple[str, Keyboard]:
    _ = translator(lang).gettext
    text = "<b>" + _("New broadcast") + "</b>\n" + _(
        "Send me the message now. You can use Telegram HTML: {tags} — write {escapes} for a literal {chars}. "
        "Or format it in the app. You may also send one document (a PDF…) or one photo, with the message as its caption "
        "(at most 1024 characters). You will choose who gets it and see a preview before anything is sent."
    ).format(
        tags="<code>&lt;b&gt;</code>, <code>&lt;i&gt;</code>, <code>&lt;u&gt;</code>, <code>&lt;s&gt;</code>, "
        "<code>&lt;a href=\"https://…\"&gt;</code>, <code>&lt;code&gt;</code>, <code>&lt;pre&gt;</code>, "
        "<code>&lt;blockquote&gt;</code>, <code>&lt;tg-spoiler&gt;</code>",
        escapes="&amp;lt; &amp;gt; &amp;amp;", chars="&lt; &gt; &amp;",
    )
    return text, [[Button(_("Cancel"), cb(token, "x"))]]


def bad_html(error: str, lang: str = "en") -> str:
    _ = translator(lang).gettext
    return "<b>" + _("That text cannot be sent:") + f"</b> {escape(error)}\n\n" + _("Nothing was queued. Send the corrected text.")


def _summary(chosen: dict[str, set[str]], options: dict[str, dict[str, str]], lang: str = "en") -> list[str]:
    _ = translator(lang).gettext
    lines = []
    for kind in ("region", "constituency", "topic"):
        values = chosen[kind]
        names = ", ".join(escape(name) for vid, name in options[kind].items() if vid in values) if values else _(ALL_LABEL[kind]).lower()
        lines.append(f"{_(TITLES[kind])}: {names}")
    return lines


def _recipients_now(count: int, lang: str) -> str:
    return translator(lang).gettext("Recipients now: {count}").format(count=f"<b>{count}</b>")


def segment_menu(token: str, chosen: dict[str, set[str]], options: dict[str, dict[str, str]], count: int, lang: str = "en") -> tuple[str, Keyboard]:
    _ = translator(lang).gettext
    text = "\n".join(["<b>" + _("Who should get it?") + "</b>", *_summary(chosen, options, lang), _recipients_now(count, lang)])
    keyboard = [
        [Button("🌍 " + _("Regions"), cb(token, "v", "r")), Button("👥 " + _("Constituencies"), cb(token, "v", "c"))],
        [Button("🏷 " + _("Topics"), cb(token, "v", "t"))],
        [Button(_("Preview") + " ▶", cb(token, "p")), Button(_("Cancel"), cb(token, "x"))],
    ]
    return text, keyboard


def choice_menu(token: str, kind: str, chosen: set[str], options: dict[str, str], count: int, lang: str = "en") -> tuple[str, Keyboard]:
    _ = translator(lang).gettext
    code = CODE_OF[kind]
    buttons = [
        Button((CHECK if value in chosen else "") + name, cb(token, "t", code, value))
        for value, name in options.items()
        if len(cb(token, "t", code, value).encode()) <= 64
    ]
    keyboard = [[Button((CHECK if not chosen else "") + _(ALL_LABEL[kind]), cb(token, "a", code))]]
    keyboard += [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    keyboard.append([Button("« " + _("Back"), cb(token, "m"))])
    text = (
        f"<b>{_(TITLES[kind])}</b>\n" + _("Tap to select or unselect; several are fine. Nothing selected = everyone.")
        + "\n" + _recipients_now(count, lang)
    )
    return text, keyboard


def segment_chosen(chosen: dict[str, set[str]], options: dict[str, dict[str, str]], lang: str = "en") -> str:
    _ = translator(lang).gettext
    return "\n".join(["<b>" + _("Segment") + "</b>", *_summary(chosen, options, lang), _("Preview below") + " ⬇"])


def confirm(token: str, count: int, lang: str = "en", *, pin: bool = False) -> tuple[str, Keyboard]:
    tr = translator(lang)
    _ = tr.gettext
    back = Button("« " + _("Change segment"), cb(token, "m"))
    cancel = Button(_("Cancel"), cb(token, "x"))
    if count == 0:
        return _("No active subscriber matches this segment, so there is nobody to send it to."), [[back, cancel]]
    text = _("Above is the message exactly as recipients will see it.") + "\n" + tr.ngettext(
        "It goes to {count} subscriber. Send it?", "It goes to {count} subscribers. Send it?", count
    ).format(count=f"<b>{count}</b>")
    if pin:
        text += "\n" + _("It will be pinned in groups where I may pin messages.")
    pin_button = Button(("✅ " if pin else "") + "📌 " + _("Pin in groups"), cb(token, "n"))
    send = Button("✅ " + _("Send to {count}").format(count=count), cb(token, "s"))
    later = Button("⏰ " + _("Schedule…"), cb(token, "w"))
    return text, [[send], [later, pin_button], [back, cancel]]


def ask_time(token: str, tz: str, lang: str = "en") -> tuple[str, Keyboard]:
    """"When should it go out?" with quick picks; the admin may also type a time (in their timezone)."""
    _ = translator(lang).gettext
    text = "⏰ <b>" + _("When should it go out?") + "</b>\n" + _(
        "Send the date and time in your timezone ({zone}), for example <code>tomorrow 9:00</code>, <code>friday 10:00</code>, "
        "<code>2026-12-10 14:00</code> or <code>in 2 hours</code>. You will see it in words before anything is scheduled."
    ).format(zone=escape(tz))
    quick = [
        Button(_("In 1 hour"), cb(token, "q", "1h")),
        Button(_("Tomorrow 09:00"), cb(token, "q", "tm")),
        Button(_("Monday 09:00"), cb(token, "q", "mo")),
    ]
    back = Button("« " + _("Back"), cb(token, "c"))
    return text, [quick, [back, Button(_("Cancel"), cb(token, "x"))]]


def confirm_schedule(token: str, count: int, when: str, lang: str = "en", *, pin: bool = False) -> tuple[str, Keyboard]:
    """The chosen time in plain words, and the button that schedules."""
    tr = translator(lang)
    _ = tr.gettext
    text = "⏰ " + _("It goes out {when}").format(when=f"<b>{escape(when)}</b>") + "\n" + tr.ngettext(
        "to {count} subscriber (those who follow the segment now).", "to {count} subscribers (those who follow the segment now).", count
    ).format(count=count)
    if pin:
        text += "\n" + _("It will be pinned in groups where I may pin messages.")
    text += "\n" + _("Schedule it?")
    return text, [
        [Button("✅ " + _("Schedule for {count}").format(count=count), cb(token, "k"))],
        [Button("« " + _("Change the time"), cb(token, "w")), Button(_("Cancel"), cb(token, "x"))],
    ]


def scheduled(broadcast_id: int, recipients: int, when: str, lang: str = "en") -> str:
    tr = translator(lang)
    return " ".join((
        tr.ngettext("Broadcast {id} is scheduled for {n} recipient:", "Broadcast {id} is scheduled for {n} recipients:", recipients)
        .format(id=f"<b>#{broadcast_id}</b>", n=recipients),
        escape(when) + ".",
        tr.gettext("/broadcasts lists it with a Cancel button."),
    ))


def queued(broadcast_id: int, recipients: int, lang: str = "en") -> str:
    tr = translator(lang)
    return " ".join((
        tr.ngettext("Broadcast {id} is queued for {n} recipient.", "Broadcast {id} is queued for {n} recipients.", recipients)
        .format(id=f"<b>#{broadcast_id}</b>", n=recipients),
        tr.gettext("It goes out at Telegram's pace (about 30 messages a second); you will get a report when it is done."),
        tr.gettext("/broadcasts shows progress."),
    ))


def broadcasts_list(entries: list[str], lang: str = "en") -> str:
    _ = translator(lang).gettext
    if not entries:
        return _("No broadcasts yet. /broadcast sends one.")
    return "<b>" + _("Recent broadcasts") + "</b>\n\n" + "\n\n".join(entries)


def cancel_buttons(broadcast_ids: list[int], lang: str = "en") -> Keyboard | None:
    """One "✖ Cancel #N" button per scheduled broadcast (callback `bx:<id>`)."""
    if not broadcast_ids:
        return None
    _ = translator(lang).gettext
    return [[Button("✖ " + _("Cancel #{id}").format(id=i), f"bx:{i}")] for i in broadcast_ids]


BAD_TIME = N_("I cannot use that time: {why}. Nothing was scheduled; send another time.")
TIME_PASSED = N_("That time has passed. Choose another one.")
NOT_CANCELLABLE = N_("Broadcast #{id} cannot be cancelled any more: it has started, finished or was cancelled.")
CANCELLED_ONE = N_("Broadcast #{id} cancelled: {n} message(s) withdrawn.")
# Shown with translator(lang).gettext(CONSTANT).
PRIVATE_ONLY = N_("Broadcasts are prepared in a private chat with me, so the preview stays private. Send /broadcast there.")
STALE = N_("This broadcast draft is out of date. Send /broadcast to start again.")
UNKNOWN = N_("Unknown option; nothing was changed.")
CANCELLED = N_("Cancelled. Nothing was sent.")
EMPTY = N_("Nobody matches this segment any more; nothing was queued.")
