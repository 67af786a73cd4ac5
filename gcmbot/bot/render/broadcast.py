"""The admin broadcast flow: texts and inline keyboards.

Callback data is `b:<draft token>:<action>[:<kind code>[:<value>]]` (≤ 64 bytes).
The token belongs to the admin's current draft; buttons of older drafts are stale.
Actions: v view a kind, t toggle a value, a all of a kind, m segment menu,
p preview, s send, x cancel, n pin in groups on/off.
"""

from __future__ import annotations

from html import escape

from telegram import InlineKeyboardButton as Button
from telegram import InlineKeyboardMarkup as Markup
from telegram import Message, MessageEntity

KIND_CODES = {"r": "region", "c": "constituency", "t": "topic"}
CODE_OF = {v: k for k, v in KIND_CODES.items()}
TITLES = {"region": "Regions", "constituency": "Constituencies", "topic": "Topics"}
ALL_LABEL = {"region": "All regions", "constituency": "All constituencies", "topic": "All topics"}
CHECK = "✅ "
ACTIONS = frozenset("vtampsxn")
_FORMATTING = frozenset({
    MessageEntity.BOLD, MessageEntity.ITALIC, MessageEntity.UNDERLINE, MessageEntity.STRIKETHROUGH, MessageEntity.SPOILER,
    MessageEntity.CODE, MessageEntity.PRE, MessageEntity.TEXT_LINK, MessageEntity.BLOCKQUOTE, MessageEntity.EXPANDABLE_BLOCKQUOTE,
})


def cb(token: str, *parts: object) -> str:
    return ":".join(["b", token, *map(str, parts)])


def html_source(message: Message) -> str:
    """The admin's text as Telegram HTML.

    Text formatted in the Telegram app (bold, links…) arrives as entities: it is
    turned into HTML. Text without formatting is taken as HTML source as typed.
    """
    if any(e.type in _FORMATTING for e in message.entities or ()):
        return message.text_html
    return message.text or ""


def caption_source(message: Message) -> str:
    """A document's or photo's caption as Telegram HTML (like html_source for a text)."""
    if any(e.type in _FORMATTING for e in message.caption_entities or ()):
        return message.caption_html
    return message.caption or ""


def ask_text(token: str) -> tuple[str, Markup]:
    text = (
        "<b>New broadcast</b>\nSend me the message now. You can use Telegram HTML: "
        "<code>&lt;b&gt;</code>, <code>&lt;i&gt;</code>, <code>&lt;u&gt;</code>, <code>&lt;s&gt;</code>, "
        "<code>&lt;a href=\"https://…\"&gt;</code>, <code>&lt;code&gt;</code>, <code>&lt;pre&gt;</code>, "
        "<code>&lt;blockquote&gt;</code>, <code>&lt;tg-spoiler&gt;</code> — write &amp;lt; &amp;gt; &amp;amp; for a literal &lt; &gt; &amp;. "
        "Or format it in the app. You may also send one document (a PDF…) or one photo, with the message as its caption "
        "(at most 1024 characters). You will choose who gets it and see a preview before anything is sent."
    )
    return text, Markup([[Button("Cancel", callback_data=cb(token, "x"))]])


def bad_html(error: str) -> str:
    return f"<b>That text cannot be sent:</b> {escape(error)}\n\nNothing was queued. Send the corrected text."


def _summary(chosen: dict[str, set[str]], options: dict[str, dict[str, str]]) -> list[str]:
    lines = []
    for kind in ("region", "constituency", "topic"):
        values = chosen[kind]
        names = ", ".join(escape(name) for vid, name in options[kind].items() if vid in values) if values else ALL_LABEL[kind].lower()
        lines.append(f"{TITLES[kind]}: {names}")
    return lines


def segment_menu(token: str, chosen: dict[str, set[str]], options: dict[str, dict[str, str]], count: int) -> tuple[str, Markup]:
    text = "\n".join(["<b>Who should get it?</b>", *_summary(chosen, options), f"Recipients now: <b>{count}</b>"])
    keyboard = [
        [Button("🌍 Regions", callback_data=cb(token, "v", "r")), Button("👥 Constituencies", callback_data=cb(token, "v", "c"))],
        [Button("🏷 Topics", callback_data=cb(token, "v", "t"))],
        [Button("Preview ▶", callback_data=cb(token, "p")), Button("Cancel", callback_data=cb(token, "x"))],
    ]
    return text, Markup(keyboard)


def choice_menu(token: str, kind: str, chosen: set[str], options: dict[str, str], count: int) -> tuple[str, Markup]:
    code = CODE_OF[kind]
    buttons = [
        Button((CHECK if value in chosen else "") + name, callback_data=cb(token, "t", code, value))
        for value, name in options.items()
        if len(cb(token, "t", code, value).encode()) <= 64
    ]
    keyboard = [[Button((CHECK if not chosen else "") + ALL_LABEL[kind], callback_data=cb(token, "a", code))]]
    keyboard += [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    keyboard.append([Button("« Back", callback_data=cb(token, "m"))])
    text = f"<b>{TITLES[kind]}</b>\nTap to select or unselect; several are fine. Nothing selected = everyone.\nRecipients now: <b>{count}</b>"
    return text, Markup(keyboard)


def segment_chosen(chosen: dict[str, set[str]], options: dict[str, dict[str, str]]) -> str:
    return "\n".join(["<b>Segment</b>", *_summary(chosen, options), "Preview below ⬇"])


def confirm(token: str, count: int, *, pin: bool = False) -> tuple[str, Markup]:
    back = Button("« Change segment", callback_data=cb(token, "m"))
    cancel = Button("Cancel", callback_data=cb(token, "x"))
    if count == 0:
        return "No active subscriber matches this segment, so there is nobody to send it to.", Markup([[back, cancel]])
    text = (
        f"Above is the message exactly as recipients will see it.\nIt goes to <b>{count}</b> "
        f"subscriber{'s' if count != 1 else ''}. Send it?"
    )
    if pin:
        text += "\nIt will be pinned in groups where I may pin messages."
    pin_button = Button(("✅ " if pin else "") + "📌 Pin in groups", callback_data=cb(token, "n"))
    return text, Markup([[Button(f"✅ Send to {count}", callback_data=cb(token, "s"))], [pin_button], [back, cancel]])


def queued(broadcast_id: int, recipients: int) -> str:
    return (
        f"Broadcast <b>#{broadcast_id}</b> is queued for {recipients} recipient{'s' if recipients != 1 else ''}. "
        "It goes out at Telegram's pace (about 30 messages a second); you will get a report when it is done. "
        "/broadcasts shows progress."
    )


def broadcasts_list(entries: list[str]) -> str:
    if not entries:
        return "No broadcasts yet. /broadcast sends one."
    return "<b>Recent broadcasts</b>\n\n" + "\n\n".join(entries)


PRIVATE_ONLY = "Broadcasts are prepared in a private chat with me, so the preview stays private. Send /broadcast there."
STALE = "This broadcast draft is out of date. Send /broadcast to start again."
UNKNOWN = "Unknown option; nothing was changed."
CANCELLED = "Cancelled. Nothing was sent."
EMPTY = "Nobody matches this segment any more; nothing was queued."
