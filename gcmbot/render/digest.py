"""The words of the weekly digest, event reminders, /events (and its buttons), /calendar and the
record note for admins.

Pure: data in (services.digest's DigestView / EventsView, snapshots of events, statements and
feed items), Telegram HTML out. Every block is complete HTML, so `pack` may split between blocks.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timezone
from typing import Any

from gcmbot.content.dates import PartialDate, format_day, format_range
from gcmbot.i18n import N_, comma, isolate_html, translator
from gcmbot.render.keyboard import Button, Keyboard
from gcmbot.render.markup import LIMIT, esc, safe_url, tg_len
from gcmbot.render.sharing import share_line
from gcmbot.services.digest import DigestView, EventsView
from gcmbot.content.events import event_dates, translated
from gcmbot.services.digest_select import DigestContent, zone

_PART_LABEL_ROOM = 40  # room kept in each message for "Part 2 of 3"


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value


def fmt_day(value: date, language: str = "en") -> str:
    if language == "en":
        return f"{value.day} {value.strftime('%B')} {value.year}"
    return format_day(value, language)


def event_when(event, language: str = "en") -> str:
    """"8–9 May 2017", "September 2017", "late November 2017": the precision the content gives."""
    start, end = event_dates(event)
    return format_range(start, end, language)


FOOTER = N_("⚙️ Change what you receive: /settings · Pause everything: /stop")


_STATUS_MARKS = {"expected": N_("expected"), "moved": N_("moved"), "cancelled": N_("cancelled")}


def render_event(event, *, full: bool = True, language: str = "en") -> str:
    _ = translator(language).gettext
    place, country = translated(event, "place", language), translated(event, "country", language)
    where = country if place in country else place if country in place else f"{place}{comma(language)}{country}"
    lines = [f"• <b>{esc(translated(event, 'title', language), 400)}</b>"]
    meta = f"🗓 {esc(event_when(event, language))}"
    status = getattr(event, "status", "confirmed")
    if status in _STATUS_MARKS:
        meta += f" <i>({esc(_(_STATUS_MARKS[status]))})</i>"
    if where:
        meta += f" · 📍 {esc(where, 200)}"
    lines.append(meta)
    if full:
        theme = translated(event, "theme", language)
        if theme:
            lines.append(esc(theme, 700))
        participation = translated(event, "participation", language)
        if participation:
            lines.append("<i>" + _("How civil society can take part:") + f"</i> {esc(participation, 700)}")
    return "\n".join(lines)


def render_statement(statement, language: str = "en") -> str:
    start = PartialDate(statement.date, statement.date_precision or "day")
    date_text = format_range(start, None, language)
    href = safe_url(statement.url)
    title = esc(translated(statement, "title", language), 400)
    head = f'• <a href="{href}">{title}</a>' if href else f"• <b>{title}</b>"
    meta = " · ".join(x for x in (esc(translated(statement, "organisation", language), 150), esc(date_text)) if x)
    lines = [head, meta]
    summary = translated(statement, "summary", language)
    if summary:
        lines.append(esc(summary, 800))  # translations run longer than the English (up to ~650 characters)
    return "\n".join(lines)


def render_feed_item(item, *, feed_names: dict[str, str], tz: str = "UTC", when: date | None = None, language: str = "en") -> str:
    href = safe_url(item.link)
    untitled = translator(language).gettext("(untitled)")
    title = esc(untitled if not item.title or item.title == "(untitled)" else item.title, 400)
    head = f'• <a href="{href}">{title}</a>' if href else f"• {title}"
    when = when or _utc(item.published_at or item.first_seen_at).astimezone(zone(tz)).date()
    meta = " · ".join(x for x in (esc(feed_names.get(item.feed_id, item.feed_id), 120), fmt_day(when, language)) if x)
    return f"{head}\n{meta}"


def pack(head: str, sections: Sequence[tuple[str, Sequence[str]]], foot: str, *, limit: int = LIMIT, language: str = "en") -> list[str]:
    """Put blocks into as few messages as fit `limit`, splitting only between blocks.

    Every block is complete HTML (its tags open and close inside it), so a split
    can never fall inside a tag. A section that goes on in the next message
    repeats its title with "(continued)". Messages after the first get "Part k of n".
    """
    _ = translator(language).gettext
    continued = _("(continued)")
    room = limit - _PART_LABEL_ROOM
    messages: list[list[str]] = [[head]]
    sizes = [tg_len(head)]

    def add(piece: str, continued_header: str | None = None) -> None:
        if sizes[-1] + 2 + tg_len(piece) > room:
            messages.append([])
            sizes.append(0)
            if continued_header:
                piece = f"{continued_header} <i>{continued}</i>\n\n{piece}"
        if messages[-1]:
            sizes[-1] += 2
        messages[-1].append(piece)
        sizes[-1] += tg_len(piece)

    for header, blocks in sections:
        if not blocks:
            continue
        add(f"{header}\n\n{blocks[0]}", None)  # a title never ends a message alone
        for block in blocks[1:]:
            add(block, header)
    add(foot)
    texts = ["\n\n".join(parts) for parts in messages]
    if len(texts) > 1:
        label = _("Part {part} of {parts}")
        texts = [texts[0]] + [
            f"<i>{isolate_html(label.format(part=i, parts=len(texts)), language)}</i>\n{t}" for i, t in enumerate(texts[1:], start=2)
        ]
    return texts


def digest_head(today: date, *, preview: bool = False, language: str = "en") -> str:
    _ = translator(language).gettext
    title = _("Preview of your weekly digest: Global Compact for Migration") if preview else _("Your weekly digest: Global Compact for Migration")
    return f"📰 <b>{title}</b>\n{fmt_day(today, language)}"


def render_digest(
    content: DigestContent,
    *,
    tz: str = "UTC",
    language: str = "en",
    feed_names: dict[str, str] | None = None,
    send_empty: bool = False,
    preview: bool = False,
    limit: int = LIMIT,
    blocks: dict | None = None,
    share: str = "",
) -> list[str]:
    """Telegram HTML messages (each within `limit`) for a digest; [] when empty and not wanted.

    `share` is the forward-safe last line (render.sharing.share_line), after the footer.

    Headings, dates and translated content fields are in `language` (English where missing).
    `blocks` is an optional memo of rendered items shared between many digests of one run.
    """
    feed_names = feed_names or {}
    memo: dict = blocks if blocks is not None else {}

    def cached(key, make):
        text = memo.get(key)
        if text is None:
            text = memo[key] = make()
        return text

    def feed_block(item):
        when = _utc(item.published_at or item.first_seen_at).astimezone(zone(tz)).date()
        return cached(("f", item.feed_id, item.id, when, language), lambda: render_feed_item(item, feed_names=feed_names, when=when, language=language))

    _ = translator(language).gettext
    rtl = lambda text: isolate_html(text, language)  # noqa: E731  (Arabic: Latin names, dates and numbers isolated)
    head = rtl(digest_head(content.today, preview=preview, language=language))
    footer = rtl(_(FOOTER) + (f"\n{share}" if share else ""))
    if content.empty:
        if not send_empty:
            return []
        nothing = _("Nothing new this week for your choices.")
        return pack(f"{head}\n\n{nothing}", _fallback_sections(content, language, feed_block), footer, limit=limit, language=language)
    sections = [
        (rtl("📅 <b>" + _("Coming up in the next {weeks} weeks").format(weeks=content.weeks) + "</b>"),
         [cached(("e", e.id, language), lambda e=e: rtl(render_event(e, language=language))) for e in content.events]),
        ("🗣 <b>" + _("New statements") + "</b>", [cached(("s", s.id, language), lambda s=s: rtl(render_statement(s, language))) for s in content.statements]),
        ("📄 <b>" + _("New UN and IOM documents") + "</b>", [rtl(feed_block(i)) for i in content.feed_items]),
    ]
    return pack(head, sections, footer, limit=limit, language=language)


_COMING_LABELS = {
    "next": N_("Coming next for your choices:"),
    "next-any": N_("Nothing is on the calendar ahead for your choices. Coming next for everyone:"),
    "last": N_("The most recent event for your choices:"),
}


def _fallback_sections(content: DigestContent, language: str, feed_block) -> list:
    _ = translator(language).gettext
    sections = [("📅 <b>" + _(_COMING_LABELS[label]) + "</b>", [render_event(e, language=language)]) for label, e in content.coming]
    if content.recent_items:
        sections.append(("📄 <b>" + _("The newest UN and IOM documents") + "</b>", [feed_block(i) for i in content.recent_items]))
    return sections


def render_events_list(events: Sequence, *, past: bool, limit: int = LIMIT, language: str = "en", fallback: tuple = ()) -> str:
    """The /events message: compact items, trimmed with "… and N more" to fit one message.
    With nothing ahead, `fallback` (see never_silent) says what comes next and what was last."""
    _ = translator(language).gettext
    title = "🗂 <b>" + _("Past consultations and milestones") + "</b>" if past else "📅 <b>" + _("Upcoming consultations and milestones") + "</b>"
    if not events:
        if fallback:
            parts = [title] + [f"<i>{_(_COMING_LABELS[label])}</i>\n{render_event(e, full=False, language=language)}" for label, e in fallback]
            return "\n\n".join(parts + [_("/events shows the past ones with the button below.")])
        none = _("No past events for your choices.") if past else _("The calendar has no events yet.")
        return f"{title}\n\n{none}"
    tail_room = 120
    parts, size = [title], tg_len(title)
    shown = 0
    for event in events:
        block = isolate_html(render_event(event, full=False, language=language), language)
        if size + 2 + tg_len(block) > limit - tail_room:
            break
        parts.append(block)
        size += 2 + tg_len(block)
        shown += 1
    if shown < len(events):
        parts.append(isolate_html(_("… and {n} more. /calendar has them all.").format(n=len(events) - shown), language))
    else:
        parts.append(isolate_html(_("/calendar adds them to your calendar app."), language))
    return "\n\n".join(parts)


def render_reminder(event, days_left: int, language: str = "en") -> str:
    tr = translator(language)
    heading = tr.gettext("Reminder:")
    when = tr.gettext("tomorrow") if days_left == 1 else tr.ngettext("in {n} day", "in {n} days", days_left).format(n=days_left)
    return isolate_html(
        f"⏰ <b>{heading}</b> {esc(event_when(event, language))} ({when})\n\n"
        f"{render_event(event, language=language)}\n\n"
        + tr.gettext("/events lists what is coming up · /settings turns reminders off"),
        language,
    )


def render_record_warnings(warnings: Sequence[str], limit: int = 20, language: str = "en") -> str:
    """The weekly admin note, in the admin's language (the warnings themselves are the content
    check's, in English, as `gcmbot content check` prints them for the editor)."""
    _ = translator(language).gettext
    lines = [f"• {esc(w, 300)}" for w in warnings[:limit]]
    if len(warnings) > limit:
        lines.append(_("… and {n} more: run {command}").format(n=len(warnings) - limit, command="<code>gcmbot content check</code>"))
    return (
        "📋 <b>" + _("The event record needs a look") + "</b>\n\n" + "\n".join(lines) + "\n\n"
        + _("Edit {file} (status: held, moved or cancelled; as_of: the day you checked), then {command}. "
            "This note comes once a week while a warning stands.").format(
            file="<code>content/events.yaml</code>", command="<code>gcmbot content load</code>")
    )



def render_digest_view(view: DigestView, *, blocks: dict | None = None, limit: int = LIMIT) -> list[str]:
    """The messages of a digest the service selected (queued weekly, or a /digest preview)."""
    return render_digest(
        view.content, tz=view.tz, language=view.language, feed_names=dict(view.feed_names), send_empty=view.send_empty,
        preview=view.preview, limit=limit, blocks=blocks, share=share_line(view.bot_username, view.segment, view.language),
    )


def render_events_view(view: EventsView, *, limit: int = LIMIT) -> str:
    return render_events_list(view.events, past=view.past, limit=limit, language=view.language, fallback=view.fallback)


class Renderer:
    """services.digest.DigestRenderer: the words of what the weekly run queues."""

    def digest(self, view: DigestView, blocks: dict) -> list[str]:
        return render_digest_view(view, blocks=blocks)

    def reminder(self, event: Any, days_left: int, language: str) -> str:
        return render_reminder(event, days_left, language)

    def record_warnings(self, warnings: Sequence[str], language: str) -> str:
        return render_record_warnings(warnings, language=language)


RENDERER = Renderer()


# --- /digest, /events and /calendar: buttons and fixed texts -----------------------

# Callback data of the /events buttons: exactly these two values are valid.
PAST, UPCOMING = "ev:past", "ev:up"


def events_keyboard(*, past: bool, lang: str = "en") -> Keyboard:
    _ = translator(lang).gettext
    if past:
        return [[Button("📅 " + _("Upcoming events"), UPCOMING)]]
    return [[Button("🗂 " + _("Past events"), PAST)]]


CALENDAR_FILE = "gcm-events.ics"
CALENDAR_CAPTION = N_(
    "Consultations and milestones for your choices. Open the file to add them to your calendar app. "
    "Events known only to the month span it and say “dates tbc”."
)
PREVIEW_NOTE = N_("This preview does not replace your weekly digest.")
UNKNOWN_BUTTON = N_("This button is not valid.")
