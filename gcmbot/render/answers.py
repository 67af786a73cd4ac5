"""Answers to questions: Telegram HTML (everything variable escaped), the "Did you mean" keyboard,
and a plain-text version for `gcmbot ask`.

Callback data of suggestion buttons is `q:<faq id>` (ids are ≤ 60 chars of [a-z0-9-]); of the
👍 / 👎 buttons under an answer, `fb:u:<token>` / `fb:d:<token>` (the answer's random feedback token).
"""

from __future__ import annotations

import html
import re
from datetime import date

from gcmbot.content.dates import format_day, format_range
from gcmbot.i18n import N_, comma, isolate_html, translator
from gcmbot.content.events import EventView, translated
from gcmbot.render.keyboard import Button, Keyboard
from gcmbot.services.questions import (
    ANSWERED, DOWN, SUGGESTED, UP, VOTE_RECORDED, VOTE_REPEATED, VOTE_UNKNOWN, Answer, QuestionStats,
)

CALLBACK_PREFIX = "q:"
CALLBACK_RE = re.compile(r"^q:([a-z0-9][a-z0-9-]{0,61})$")
FEEDBACK_PREFIX = "fb:"
FEEDBACK_RE = re.compile(r"^fb:([ud]):([A-Za-z0-9_-]{16})$")
_VOTES = {"u": UP, "d": DOWN}
MAX_CHARS = 4000

# Questions about the bot itself: intent → answer (HTML). Keep in step with texts.COMMANDS.
INTENT_TEXTS = {
    "stop": N_("To stop all messages, send /stop. Your choices are kept, and /start resumes. To delete everything, send /forget."),
    "forget": N_("The bot stores only this chat's id and your choices — no names, no messages. Send /forget to delete all of it."),
    "settings": N_("Send /settings to choose your regions, constituencies, topics, timezone and digest day and time."),
    "digest": N_("Everyone subscribed gets a weekly digest. Choose its day and time, or turn it off, with /settings; /mysubscription shows what you get now."),
    "subscription": N_("Send /mysubscription to see what this chat receives, and /settings to change it."),
    "start": N_("Send /start to subscribe this chat, then /settings to choose regions and topics."),
    "help": N_("Send /help for the list of commands. You can also ask me questions about the Global Compact for Migration, here or with /ask in groups."),
}
DECLINED = N_(
    "Sorry, I don't know the answer to that. I can answer questions about the Global Compact for "
    "Migration process and its events. Try /events for the calendar, or /help."
)
NOT_SURE = N_("I'm not sure what you mean. Did you mean:")
ASK_USAGE = N_("Ask me a question after the command, like: /ask when is the Geneva consultation")
UNKNOWN_ENTRY = N_("That question is no longer in my list. Ask again in your own words.")
MORE_EVENTS = N_("…and {n} more. /events lists them all.")
VOTE_TEXTS = {
    VOTE_RECORDED: N_("Thank you! Your rating helps us improve the answers."),
    VOTE_REPEATED: N_("This answer has been rated already."),
    VOTE_UNKNOWN: N_("This button is not valid (any more). Ask again to rate a new answer."),
}
NO_UPCOMING = N_("No upcoming event of that kind is on record; the most recent one was:")
WHEN_AND_WHERE = N_("When and where")
NONE_OF_THAT_KIND = N_("Nothing of that kind is on the calendar then. What the calendar has in that month:")

# (status, tense, precision is a day) → phrase. The record's status wins over the calendar:
# a held event "took place", an expected one "is expected", whatever day it is.
_WHEN = {
    ("held", "past", True): N_("took place on {when}"),
    ("held", "past", False): N_("took place in {when}"),
    ("held", "now", True): N_("is taking place on {when}"),
    ("held", "now", False): N_("is taking place in {when}"),
    ("confirmed", "future", True): N_("will take place on {when}"),
    ("confirmed", "future", False): N_("will take place in {when}"),
    ("confirmed", "now", True): N_("is taking place on {when}"),
    ("confirmed", "now", False): N_("is taking place in {when}"),
    ("confirmed", "past", True): N_("was scheduled for {when} (the record does not yet say it took place)"),
    ("confirmed", "past", False): N_("was scheduled for {when} (the record does not yet say it took place)"),
    ("expected", "future", True): N_("is expected on {when}"),
    ("expected", "future", False): N_("is expected in {when}"),
    ("expected", "now", True): N_("is expected on {when}"),
    ("expected", "now", False): N_("is expected in {when}"),
    ("expected", "past", True): N_("was expected on {when} (the record does not yet say whether it took place)"),
    ("expected", "past", False): N_("was expected in {when} (the record does not yet say whether it took place)"),
}
CANCELLED = N_("was cancelled (it had been planned for {when})")
MOVED = N_("was moved to {when}")  # the event shows its new dates, whatever the tense
HISTORY = N_("Earlier plans: {history}")
CALENDAR_AHEAD = N_("Coming up in the calendar:")
CALENDAR_NOTHING_AHEAD = N_("Nothing is on the calendar ahead yet. The most recent event on record:")
CALENDAR_PERIOD = N_("On the calendar from {first} to {last}:")
CALENDAR_PERIOD_EMPTY = N_("Nothing on the calendar from {first} to {last}.")
CALENDAR_LAST = N_("The most recent event on record:")
CALENDAR_EMPTY = N_("The calendar has no events yet.")
CALENDAR_MORE = N_("/events lists everything ahead for your choices; /calendar adds it to your calendar app.")


def when_phrase(event: EventView, today: date, lang: str = "en") -> str:
    """"took place on 10–11 December 2018", "is expected in 2030", "was cancelled …": the
    record's status and the tense for `today`, at the precision the content gives."""
    span = format_range(event.start, event.end, lang)
    tr = translator(lang)
    if event.status in ("cancelled", "moved"):
        return tr.gettext(CANCELLED if event.status == "cancelled" else MOVED).format(when=span)
    tense = event.tense(today)
    status = event.status if event.status in ("held", "confirmed", "expected") else "confirmed"
    if status == "held" and tense == "future":
        status = "confirmed"  # a record error (content check reports it); never say "took place" of the future
    return tr.gettext(_WHEN[(status, tense, event.start.precision == "day")]).format(when=span)


def _place(event: EventView, lang: str = "en") -> str:
    place = event.place.strip()
    if not place or "confirm" in place.lower() or place.lower() == "various":
        return ""
    place = translated(event, "place", lang).strip()
    country = event.country.strip()
    if "confirm" not in country.lower() and "various" not in country.lower():
        country = translated(event, "country", lang).strip()
    if country and country.lower() not in place.lower() and "confirm" not in country.lower() and "various" not in country.lower():
        return f"{place}{comma(lang)}{country}"
    return place


def _event_html(event: EventView, today: date, lang: str = "en") -> str:
    _ = translator(lang).gettext
    place = _place(event, lang)
    if place:
        where = " " + _("in {place}").format(place=html.escape(place))
    else:
        where = " " + _("(place to be confirmed)") if "confirm" in event.place.lower() else ""
    title = html.escape(translated(event, "title", lang))
    lines = [f"<b>{title}</b> {html.escape(when_phrase(event, today, lang))}{where}."]
    theme = translated(event, "theme", lang)
    if theme:
        lines.append(_("Theme: {theme}").format(theme=html.escape(theme)))
    history = translated(event, "history", lang)
    if history:
        lines.append(_(HISTORY).format(history=html.escape(history)))
    if event.source_title:
        lines.append(_("Source: {source}").format(source=f"<i>{html.escape(event.source_title)}</i>"))
    return "\n".join(lines)


def answer_html(answer: Answer, lang: str = "en") -> str:
    """The message text, Telegram HTML, under 4096 characters, in `lang` where texts and content have it
    (in Arabic, with Latin names, dates and numbers isolated: see i18n.isolate_html)."""
    return _fit(isolate_html(_answer_html(answer, lang), lang))


def _answer_html(answer: Answer, lang: str = "en") -> str:
    _ = translator(lang).gettext
    if answer.kind == "bot" and answer.intent:
        return _(INTENT_TEXTS.get(answer.intent, INTENT_TEXTS["help"]))
    if answer.kind == "calendar":
        return _fit(_calendar_html(answer, lang))
    if answer.kind == "events" and answer.events:
        # The dates; then the entry that explains them, if the answer has one.
        return _fit("\n\n".join([_events_html(answer, lang)] + ([_faq_html(answer.faq, lang)] if answer.faq else [])))
    if answer.outcome == ANSWERED and answer.faq:
        # The entry; then the dates of its events that the question asked about, if any.
        dates = [f"<b>{html.escape(_(WHEN_AND_WHERE))}</b>\n\n" + _events_html(answer, lang)] if answer.events else []
        return _fit("\n\n".join([_faq_html(answer.faq, lang)] + dates))
    if answer.outcome == SUGGESTED and answer.suggestions:
        return _(NOT_SURE)
    return _(DECLINED)


def _events_html(answer: Answer, lang: str) -> str:
    _ = translator(lang).gettext
    parts = [_(NO_UPCOMING)] if answer.no_upcoming else []
    parts += [_(NONE_OF_THAT_KIND)] if answer.none_of_that_kind else []
    parts += [_event_html(e, answer.today, lang) for e in answer.events]
    if answer.more_events:
        parts.append(_(MORE_EVENTS).format(n=answer.more_events))
    return "\n\n".join(parts)


def _faq_html(faq, lang: str) -> str:
    _ = translator(lang).gettext
    question, text = translated(faq, "question", lang), translated(faq, "answer", lang)
    out = f"<b>{html.escape(question)}</b>\n\n{html.escape(text)}"
    if faq.source:
        out += "\n\n" + _("Source: {source}").format(source=f"<i>{html.escape(faq.source)}</i>")
    return out


def _calendar_html(answer: Answer, lang: str) -> str:
    _ = translator(lang).gettext
    if answer.period:
        first, last = (format_day(d, lang) for d in answer.period)
        head = _(CALENDAR_PERIOD if answer.events else CALENDAR_PERIOD_EMPTY).format(first=first, last=last)
    elif answer.no_upcoming:
        head = _(CALENDAR_NOTHING_AHEAD) if answer.events else _(CALENDAR_EMPTY)
    elif answer.events and answer.events[0].last_day < answer.today:
        head = _(CALENDAR_LAST)
    else:
        head = _(CALENDAR_AHEAD)
    parts = [html.escape(head)] + [_event_html(e, answer.today, lang) for e in answer.events]
    if answer.more_events:
        parts.append(_(MORE_EVENTS).format(n=answer.more_events))
    parts.append(_(CALENDAR_MORE))
    return "\n\n".join(parts)


def suggestions_markup(answer: Answer, lang: str = "en") -> Keyboard | None:
    if answer.outcome != SUGGESTED or not answer.suggestions:
        return None
    return [[Button(_label(translated(c, "question", lang)), f"{CALLBACK_PREFIX}{c.id}")] for c in answer.suggestions]


def feedback_markup(answer: Answer) -> Keyboard | None:
    """👍 / 👎 under an answer from the content (once rated, the handler removes them)."""
    if not answer.feedback_token:
        return None
    token = answer.feedback_token
    return [[Button("👍", f"{FEEDBACK_PREFIX}u:{token}"), Button("👎", f"{FEEDBACK_PREFIX}d:{token}")]]


def reply_markup(answer: Answer, lang: str = "en") -> Keyboard | None:
    """The buttons under an answer: "Did you mean" suggestions, or 👍 / 👎."""
    return suggestions_markup(answer, lang) or feedback_markup(answer)


def parse_feedback(data: str | None) -> tuple[str, str] | None:
    """(token, up/down) of a 👍 / 👎 button, or None when the data is not a valid one."""
    m = FEEDBACK_RE.match(data or "")
    return (m.group(2), _VOTES[m.group(1)]) if m else None


def parse_callback(data: str | None) -> str | None:
    """The FAQ id of a suggestion button, or None when the data is not a valid one."""
    m = CALLBACK_RE.match(data or "")
    return m.group(1) if m else None


def answer_plain(answer: Answer, lang: str = "en") -> str:
    """The same answer as plain text, for the command line."""
    text = answer_html(answer, lang)
    if answer.outcome == SUGGESTED:
        text += "\n" + "\n".join(f"  - {translated(c, 'question', lang)}" for c in answer.suggestions)
    return html.unescape(re.sub(r"<[^>]+>", "", text))


OUTCOMES = {"answered": N_("answered"), "suggested": N_("suggested"), "declined": N_("declined")}


def stats_html(stats: QuestionStats, lang: str = "en") -> str:
    from gcmbot.i18n import number

    tr = translator(lang)
    _ = tr.gettext
    counts = stats.counts
    total = sum(counts.values())
    lines = ["<b>" + tr.ngettext("Questions in the last {days} day: {total}", "Questions in the last {days} days: {total}", stats.days)
             .format(days=number(stats.days, lang), total=number(total, lang)) + "</b>"]
    for outcome in ("answered", "suggested", "declined"):
        lines.append(f"{_(OUTCOMES[outcome])}: {number(counts.get(outcome, 0), lang)}")
    if stats.top_matched:
        lines += ["", "<b>" + _("Most asked about") + "</b>"] + [f"{number(n, lang)}× {html.escape(m)}" for m, n in stats.top_matched]
    lines += ["", "<b>" + _("Top unanswered questions") + "</b>"]
    lines += [f"{number(n, lang)}× {html.escape(t[:200])}" for t, n in stats.unanswered] or [_("none")]
    lines += ["", "<b>" + _("Ratings of answers") + "</b>",
              f"👍 {number(stats.votes.get(UP, 0), lang)} · 👎 {number(stats.votes.get(DOWN, 0), lang)}"]
    lines += ["", "<b>" + _("Top down-voted questions") + "</b>"]
    lines += [f"{number(n, lang)}× {html.escape(t[:200])} → {html.escape(m or '-')}" for t, m, n in stats.down_voted] or [_("none")]
    return _fit("\n".join(lines))


def stats_plain(stats: QuestionStats, lang: str = "en") -> str:
    """The /stats report as plain text, for `gcmbot questions report`."""
    return html.unescape(re.sub(r"<[^>]+>", "", stats_html(stats, lang)))


def _label(question: str) -> str:
    return question if len(question) <= 60 else question[:57].rstrip() + "…"


def _fit(text: str) -> str:
    if len(text) <= MAX_CHARS:
        return text
    cut = text[:MAX_CHARS]
    # At a paragraph break if that keeps most of it, else at a space (never inside an entity).
    para = cut.rfind("\n\n")
    cut = cut[:para] if para > MAX_CHARS // 2 else cut[: cut.rfind(" ")]
    # Never leave a tag open: drop any unterminated one at the end.
    cut = re.sub(r"<[^>]*$", "", cut)
    for tag in ("b", "i"):
        if cut.count(f"<{tag}>") > cut.count(f"</{tag}>"):
            cut += f"</{tag}>"
    return cut + "\n…"
