"""What admins send, read as Telegram HTML: text or a caption formatted in the app arrives as
entities and is turned into HTML; text without formatting is taken as HTML source as typed."""

from __future__ import annotations

from telegram import Message, MessageEntity

_FORMATTING = frozenset({
    MessageEntity.BOLD, MessageEntity.ITALIC, MessageEntity.UNDERLINE, MessageEntity.STRIKETHROUGH, MessageEntity.SPOILER,
    MessageEntity.CODE, MessageEntity.PRE, MessageEntity.TEXT_LINK, MessageEntity.BLOCKQUOTE, MessageEntity.EXPANDABLE_BLOCKQUOTE,
})


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
