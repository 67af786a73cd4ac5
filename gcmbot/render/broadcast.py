"""The words of broadcasts: the admin's report when one has finished, a broadcast's status
(/broadcasts in HTML, `gcmbot broadcast status` plain) and a segment in plain words."""

from __future__ import annotations

from collections.abc import Callable
from html import escape

from gcmbot.i18n import N_, moment, number, translator
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
